"""Coaching conversation templates: validation, focus, audit, deletion, pages."""

from __future__ import annotations

import html
import re

import pytest
from django.core.exceptions import ValidationError

from coaching import template_services as services
from coaching.models import ConversationFocus, ConversationTemplate
from coaching.template_queries import conversation_template_list
from organizations.models import AuditEntry
from organizations.tenancy import tenant_context
from tests.conftest import count_queries, make_member
from tests.pathways.builder.helpers import make_competencies, make_draft


def _save(org, template=None, **overrides):
    data = {
        "title": "Mid-programme coaching conversation",
        "purpose": "Take stock halfway and choose the next experiment.",
        "questions": "What has changed in how you lead?\n\n  What got in the way?  \n",
        "suggested_timing": "After Stage 2, before the project's first milestone",
    }
    data.update(overrides)
    with tenant_context(org):
        return services.do_save_conversation_template(None, template, **data)


@pytest.fixture
def admin_a(org_a):
    return make_member(org_a, "admin@a.example", is_admin=True)


def test_it_saves_questions_one_per_line_with_focus_and_audits(org_a, org_b):
    competencies = make_competencies(org_a, 2)
    template = _save(org_a, focus_competencies=competencies)
    with tenant_context(org_a):
        template.refresh_from_db()
        assert template.question_list == [
            "What has changed in how you lead?",
            "What got in the way?",
        ]
        assert ConversationFocus.objects.filter(template=template).count() == 2
        assert AuditEntry.objects.filter(action="created", object_id=str(template.pk)).exists()
    _save(org_a, template, purpose="Changed", focus_competencies=[])
    with tenant_context(org_a):
        entry = AuditEntry.objects.get(action="updated")
        assert entry.before["purpose"].startswith("Take stock") and entry.after["purpose"] == (
            "Changed"
        )
        assert not ConversationFocus.objects.exists()
    with tenant_context(org_b):
        assert not ConversationTemplate.objects.exists()


def test_it_refuses_a_template_without_questions_or_purpose_and_writes_nothing(org_a, org_b):
    _save(org_a)
    with tenant_context(org_a):
        with pytest.raises(ValidationError) as exc:
            services.do_save_conversation_template(
                None,
                None,
                title="MID-PROGRAMME coaching conversation",
                purpose="",
                questions="\n \n",
            )
        text = " ".join(exc.value.messages)
        assert "already exists" in text and "Say what the conversation is for" in text
        assert "at least one question" in text
        with pytest.raises(ValidationError, match="20 questions or fewer"):
            services.do_save_conversation_template(
                None,
                None,
                title="Long",
                purpose="p",
                questions="\n".join(f"Q{i}?" for i in range(21)),
            )
        assert ConversationTemplate.objects.count() == 1


def test_it_refuses_to_delete_a_template_a_pathway_step_uses(org_a, org_b):
    draft = make_draft(org_a)
    with tenant_context(org_a):
        with pytest.raises(ValidationError, match="used by 1 pathway step"):
            services.do_delete_conversation_template(None, draft.conversation)
    unused = _save(org_a)
    unused_pk = unused.pk
    with tenant_context(org_a):
        services.do_delete_conversation_template(None, unused)
        assert not ConversationTemplate.objects.filter(pk=unused_pk).exists()
        assert AuditEntry.objects.filter(action="deleted", object_id=str(unused_pk)).exists()


def test_it_creates_and_edits_a_template_in_the_browser(client, org_a, org_b, admin_a):
    [competency] = make_competencies(org_a, 1)
    client.force_login(admin_a.user)
    response = client.post(
        f"/o/{org_a.slug}/conversation-templates/new/",
        {
            "title": "Project kick-off",
            "purpose": "Shape the project.",
            "questions": "Who needs to be involved?\nWhat does success look like?",
            "focus_competencies": [competency.pk],
        },
    )
    assert response.status_code == 302
    page = client.get(f"/o/{org_a.slug}/conversation-templates/").content.decode()
    assert "Project kick-off" in page and "2 questions" in page and "Competency 1" in page
    page = client.post(
        f"/o/{org_a.slug}/conversation-templates/new/",
        {"title": "Empty", "purpose": "p", "questions": ""},
    ).content.decode()
    assert "Please correct the following" in page


def test_it_shows_a_title_already_taken_next_to_the_title_field(client, org_a, org_b, admin_a):
    _save(org_a)
    _save(org_b, title="Project kick-off")  # another organisation's title is free to use
    client.force_login(admin_a.user)
    url = f"/o/{org_a.slug}/conversation-templates/new/"
    data = {"purpose": "p", "questions": "Who needs to be involved?"}
    page = client.post(
        url, {**data, "title": "mid-programme coaching conversation"}
    ).content.decode()
    error = re.search(r'<p class="field__error" id="id_title_error">([^<]*)</p>', page)
    assert error and html.unescape(error.group(1)) == (
        "A conversation template called “mid-programme coaching conversation” already exists."
    )
    assert '<a href="#id_title">Title</a>: A conversation template called' in page
    assert client.post(url, {**data, "title": "Project kick-off"}).status_code == 302
    with tenant_context(org_a):
        assert ConversationTemplate.objects.count() == 2


def test_it_gives_404_to_learners_and_for_another_organisations_template(
    client, org_a, org_b, admin_a
):
    template = _save(org_a)
    coach = make_member(org_a, "coach@a.example", is_coach=True)
    client.force_login(coach.user)
    assert client.get(f"/o/{org_a.slug}/conversation-templates/").status_code == 404
    intruder = make_member(org_b, "admin@b.example", is_admin=True)
    client.force_login(intruder.user)
    assert client.get(f"/o/{org_b.slug}/conversation-templates/{template.pk}/").status_code == 404
    assert (
        client.post(
            f"/o/{org_b.slug}/conversation-templates/{template.pk}/",
            {"title": "Hijack", "purpose": "x", "questions": "x"},
        ).status_code
        == 404
    )
    assert (
        client.post(f"/o/{org_b.slug}/conversation-templates/{template.pk}/delete/").status_code
        == 404
    )
    with tenant_context(org_a):
        assert ConversationTemplate.objects.get(pk=template.pk).title != "Hijack"


def test_it_lists_templates_in_the_same_number_of_queries_for_small_and_large(
    client, org_a, org_b, admin_a
):
    competencies = make_competencies(org_a, 3)
    _save(org_a, title="One", focus_competencies=competencies[:1])
    client.force_login(admin_a.user)
    url = f"/o/{org_a.slug}/conversation-templates/"
    client.get(url)
    with count_queries() as ctx:
        client.get(url)
    small = len(ctx.app_queries)
    for i in range(6):
        _save(org_a, title=f"Conversation {i}", focus_competencies=competencies)
    make_draft(org_a)
    with count_queries() as ctx:
        page = client.get(url).content.decode()
    assert len(ctx.app_queries) == small
    assert "Conversation 5" in page
    with tenant_context(org_a), count_queries() as ctx:
        rows = conversation_template_list()
    assert len(ctx.app_queries) == 3
    assert sum(r.used_by_steps for r in rows) == 1
