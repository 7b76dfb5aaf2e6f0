"""Module rules: minutes, tags, competencies, status changes, practice tasks, Markdown, audit."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from organizations.models import AuditEntry
from organizations.tenancy import tenant_context
from pathways.library import services
from pathways.markdown import render_markdown
from pathways.models import Module, ModuleCompetency, ModuleTag, PracticeAnswer, PracticeTask
from tests.conftest import make_member
from tests.pathways.library.conftest import make_competencies, make_module


def test_it_refuses_a_module_longer_than_15_minutes_and_writes_nothing(org_a, org_b):
    with tenant_context(org_a):
        with pytest.raises(ValidationError) as exc:
            services.do_save_module(None, None, services.ModuleData(title="Epic", minutes=16))
        assert "Micro-modules take at most 15 minutes" in exc.value.message_dict["minutes"][0]
        with pytest.raises(ValidationError):
            services.do_save_module(None, None, services.ModuleData(title="Blink", minutes=0))
        assert Module.objects.count() == 0
        assert AuditEntry.objects.count() == 0


def test_it_accepts_15_minutes_and_checks_difficulty(org_a, org_b):
    module = make_module(org_a, "Fifteen", minutes=15)
    assert module.minutes == 15
    with tenant_context(org_a), pytest.raises(ValidationError) as exc:
        services.do_save_module(None, None, services.ModuleData(title="Hard", difficulty=6))
    assert "difficulty" in exc.value.message_dict


def test_it_parses_comma_separated_tags_without_blanks_or_repeats():
    assert services.parse_tags(" Team lead,, team LEAD , Senior  manager,") == [
        "Team lead",
        "Senior manager",
    ]


def test_it_saves_competencies_and_tags_and_replaces_them_on_edit(org_a, org_b):
    a, b = make_competencies(org_a, "Coaching", "Strategy")
    module = make_module(
        org_a,
        "Ask before you tell",
        competency_ids=[a.pk],
        roles=["Team lead"],
        impacts=["Engagement"],
    )
    with tenant_context(org_a):
        data = services.ModuleData(
            title="Ask before you tell",
            summary="Questions.",
            body="Ask.",
            competency_ids=[b.pk],
            roles=["Senior manager"],
            functions=["Sales"],
        )
        services.do_save_module(None, module, data)
        assert list(ModuleCompetency.objects.values_list("competency_id", flat=True)) == [b.pk]
        assert sorted(ModuleTag.objects.values_list("kind", "value")) == [
            ("function", "Sales"),
            ("role", "Senior manager"),
        ]
        entry = AuditEntry.objects.filter(action="updated").get()
        assert entry.before["competencies"] == ["Coaching"]
        assert entry.after["competencies"] == ["Strategy"]


def test_it_refuses_another_organisations_competency(org_a, org_b):
    [foreign] = make_competencies(org_b, "Globex skill")
    with tenant_context(org_a), pytest.raises(ValidationError) as exc:
        services.do_save_module(
            None, None, services.ModuleData(title="X", competency_ids=[foreign.pk])
        )
    assert "competencies" in exc.value.message_dict


def test_it_audits_creation_but_not_a_save_without_changes(org_a, org_b):
    module = make_module(org_a, "Quiet")
    with tenant_context(org_a):
        assert AuditEntry.objects.filter(action="created", object_id=str(module.pk)).count() == 1
        services.do_save_module(
            None,
            module,
            services.ModuleData(title="Quiet", summary=module.summary, body=module.body),
        )
        assert not AuditEntry.objects.filter(action="updated").exists()


def test_it_publishes_retires_and_refuses_publishing_without_a_body(org_a, org_b):
    module = make_module(org_a, "Empty", body="")
    with tenant_context(org_a):
        with pytest.raises(ValidationError) as exc:
            services.do_set_module_status(None, module, Module.Status.PUBLISHED)
        assert "body" in exc.value.messages[0]
        module.body = "Now there is a body."
        module.save()
        services.do_set_module_status(None, module, Module.Status.PUBLISHED, reason=REASON)
        services.do_set_module_status(None, module, Module.Status.RETIRED)
        assert Module.objects.get(pk=module.pk).status == "retired"
        assert list(
            AuditEntry.objects.filter(object_id=str(module.pk))
            .order_by("id")
            .values_list("action", flat=True)
        ) == ["created", "published", "retired"]
        with pytest.raises(ValidationError):
            services.do_set_module_status(None, module, Module.Status.RETIRED)


REASON = "A short read: its practice happens in the coaching session."


def test_it_refuses_publishing_without_practice_task_and_questions_unless_told_why(org_a, org_b):
    module = make_module(org_a, "Bare")
    with tenant_context(org_a):
        with pytest.raises(ValidationError) as exc:
            services.do_set_module_status(None, module, Module.Status.PUBLISHED)
        assert exc.value.message_dict["reason"] == [
            "It lacks a practice task and retrieval questions, which the library promises "
            "learners. Add them, or say why it should be published without them (at least 10 "
            "characters)."
        ]
        assert Module.objects.get(pk=module.pk).status == "draft"
        services.do_save_practice_task(None, module, "reflect", "Plan one conversation.")
        with pytest.raises(ValidationError) as exc:
            services.do_set_module_status(None, module, Module.Status.PUBLISHED, reason="ok")
        assert "It lacks retrieval questions" in exc.value.messages[0]
        services.do_set_module_status(None, module, Module.Status.PUBLISHED, reason=REASON)
        entry = AuditEntry.objects.get(action="published", object_id=str(module.pk))
        assert entry.after["reason"] == REASON


def test_it_keeps_one_practice_task_per_module(org_a, org_b):
    module = make_module(org_a, "Practice")
    with tenant_context(org_a):
        services.do_save_practice_task(None, module, "reflect", "What did you notice?")
        services.do_save_practice_task(None, module, "action", "Plan one conversation.")
        task = PracticeTask.objects.get()
        assert (task.kind, task.prompt) == ("action", "Plan one conversation.")
        with pytest.raises(ValidationError):
            services.do_save_practice_task(None, module, "action", "   ")
        services.do_delete_practice_task(None, module)
        assert PracticeTask.objects.count() == 0
        assert AuditEntry.objects.filter(object_type="Practice Task").count() == 3


def test_it_strips_scripts_and_event_handlers_from_markdown():
    html = str(
        render_markdown(
            "## Title\n\n<script>alert(1)</script>\n\n<img src=x onerror=alert(2)>"
            "\n\n[link](javascript:alert(3)) and **bold**"
        )
    )
    assert "<script" not in html
    assert "onerror" not in html
    assert "javascript:" not in html
    assert "<h2>Title</h2>" in html
    assert "<strong>bold</strong>" in html


def test_it_refuses_to_remove_a_practice_task_learners_have_answered(org_a, org_b, client):
    module = make_module(org_a, "Practice")
    admin = make_member(org_a, "admin@a.example", is_admin=True)
    leo = make_member(org_a, "leo@a.example", is_learner=True)
    with tenant_context(org_a):
        task = services.do_save_practice_task(None, module, "reflect", "What did you notice?")
        PracticeAnswer.objects.create(learner=leo, task=task, text="My private reflection")
        with pytest.raises(ValidationError, match="1 learner"):
            services.do_delete_practice_task(None, module)
        assert PracticeAnswer.objects.filter(text="My private reflection").exists()
    client.force_login(admin.user)
    response = client.post(f"/o/{org_a.slug}/library/modules/{module.pk}/practice/delete/")
    assert response.status_code == 302
    with tenant_context(org_a):
        assert PracticeTask.objects.filter(pk=task.pk).exists()
        assert PracticeAnswer.objects.count() == 1
        assert not AuditEntry.objects.filter(action="deleted").exists()
