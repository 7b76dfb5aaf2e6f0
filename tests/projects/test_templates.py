"""Project templates: validation, milestones, competencies, audit, deletion, pages."""

from __future__ import annotations

import html
import re

import pytest
from django.core.exceptions import ValidationError

from organizations.models import AuditEntry
from organizations.tenancy import tenant_context
from projects import services
from projects.models import MilestoneTemplate, ProjectTemplate, ProjectTemplateCompetency
from projects.queries import project_template_list
from tests.conftest import count_queries, make_member
from tests.pathways.builder.helpers import make_competencies, make_draft

M = services.MilestoneInput


def _save(org, template=None, **overrides):
    data = {
        "title": "Lead a real change in your area",
        "brief": "Pick a change your team needs and lead it end to end.",
        "expected_outcomes": "A measurable improvement; a team that owns it.",
        "scope": "cross_functional",
        "sponsor_required": True,
        "milestones": [M("Stakeholder map agreed", 2), M("Pilot running", 6)],
    }
    data.update(overrides)
    with tenant_context(org):
        return services.do_save_project_template(None, template, **data)


@pytest.fixture
def admin_a(org_a):
    return make_member(org_a, "admin@a.example", is_admin=True)


def test_it_saves_a_template_with_milestones_and_competencies_and_audits(org_a, org_b):
    competencies = make_competencies(org_a, 2)
    template = _save(org_a, competencies=competencies)
    with tenant_context(org_a):
        assert list(
            MilestoneTemplate.objects.filter(template=template).values_list("title", "offset_weeks")
        ) == [("Stakeholder map agreed", 2), ("Pilot running", 6)]
        assert ProjectTemplateCompetency.objects.filter(template=template).count() == 2
        entry = AuditEntry.objects.get(action="created")
        assert entry.after["milestones"] == [["Stakeholder map agreed", 2], ["Pilot running", 6]]
    # Editing replaces milestones and records before and after.
    _save(org_a, template, milestones=[M("Results shared", 10)], competencies=competencies[:1])
    with tenant_context(org_a):
        assert list(
            MilestoneTemplate.objects.filter(template=template).values_list("title", flat=True)
        ) == ["Results shared"]
        entry = AuditEntry.objects.get(action="updated")
        assert len(entry.before["milestones"]) == 2 and len(entry.after["milestones"]) == 1
    with tenant_context(org_b):
        assert not ProjectTemplate.objects.exists()


def test_it_refuses_bad_input_naming_each_problem_and_writes_nothing(org_a, org_b):
    _save(org_a)
    with tenant_context(org_a):
        with pytest.raises(ValidationError) as exc:
            services.do_save_project_template(
                None,
                None,
                title="lead a real change in your area",
                brief=" ",
                scope="galaxy",
                milestones=[M("", 1), M("Too late", 500)],
            )
        text = " ".join(exc.value.messages)
        for expected in (
            "already exists",
            "Write the brief",
            "Choose the scope",
            "Milestone 1 needs a title",
            "Milestone 2 must fall between week 0 and week 104",
        ):
            assert expected in text
        assert ProjectTemplate.objects.count() == 1
        assert MilestoneTemplate.objects.count() == 2


def test_it_refuses_to_delete_a_template_a_pathway_step_uses(org_a, org_b):
    draft = make_draft(org_a)
    with tenant_context(org_a):
        with pytest.raises(ValidationError, match="used by 1 pathway step"):
            services.do_delete_project_template(None, draft.project)
        assert ProjectTemplate.objects.filter(pk=draft.project.pk).exists()
    unused = _save(org_a)
    unused_pk = unused.pk
    with tenant_context(org_a):
        services.do_delete_project_template(None, unused)
        assert not ProjectTemplate.objects.filter(pk=unused_pk).exists()
        assert AuditEntry.objects.filter(action="deleted", object_id=str(unused_pk)).exists()


def test_it_creates_a_template_from_the_form_with_an_added_milestone_row(
    client, org_a, org_b, admin_a
):
    [competency] = make_competencies(org_a, 1)
    client.force_login(admin_a.user)
    url = f"/o/{org_a.slug}/project-templates/new/"
    base = {
        "title": "Improve a handover",
        "brief": "Fix the shift handover.",
        "scope": "team",
        "competencies": [competency.pk],
        "milestones-TOTAL_FORMS": "1",
        "milestones-INITIAL_FORMS": "0",
        "milestones-0-title": "Map today's handover",
        "milestones-0-offset_weeks": "1",
    }
    page = client.post(url, {**base, "add_row": "1"}).content.decode()
    assert 'name="milestones-TOTAL_FORMS" value="2"' in page
    assert "Map today&#x27;s handover" in page
    with tenant_context(org_a):
        assert not ProjectTemplate.objects.exists()  # adding a row saves nothing
    response = client.post(
        url,
        {
            **base,
            "milestones-TOTAL_FORMS": "2",
            "milestones-1-title": "New handover live",
            "milestones-1-offset_weeks": "4",
        },
    )
    assert response.status_code == 302
    with tenant_context(org_a):
        template = ProjectTemplate.objects.get()
        assert template.milestones.count() == 2
    page = client.get(f"/o/{org_a.slug}/project-templates/").content.decode()
    assert "Improve a handover" in page and "2 over 4 weeks" in page


def test_it_removes_a_milestone_row_marked_for_removal(client, org_a, org_b, admin_a):
    template = _save(org_a)
    client.force_login(admin_a.user)
    response = client.post(
        f"/o/{org_a.slug}/project-templates/{template.pk}/",
        {
            "title": template.title,
            "brief": template.brief,
            "scope": "team",
            "milestones-TOTAL_FORMS": "2",
            "milestones-INITIAL_FORMS": "2",
            "milestones-0-title": "Stakeholder map agreed",
            "milestones-0-offset_weeks": "2",
            "milestones-0-DELETE": "on",
            "milestones-1-title": "Pilot running",
            "milestones-1-offset_weeks": "6",
        },
    )
    assert response.status_code == 302
    with tenant_context(org_a):
        assert list(template.milestones.values_list("title", flat=True)) == ["Pilot running"]


def test_it_shows_errors_next_to_fields(client, org_a, org_b, admin_a):
    client.force_login(admin_a.user)
    page = client.post(
        f"/o/{org_a.slug}/project-templates/new/",
        {
            "title": "",
            "scope": "team",
            "milestones-TOTAL_FORMS": "1",
            "milestones-INITIAL_FORMS": "0",
            "milestones-0-title": "Kick-off",
        },
    ).content.decode()
    assert "Please correct the following" in page
    assert "Say in which week this milestone falls." in page


def _tag(page, element_id):
    """The opening tag of the element with ``element_id``."""
    match = re.search(rf'<[^>]*id="{element_id}"[^>]*>', page)
    assert match, element_id
    return match.group(0)


def _field_error(page, field_id):
    """The error shown under the field with ``field_id``."""
    match = re.search(rf'<p class="field__error" id="{field_id}_error">([^<]*)</p>', page)
    assert match, field_id
    return html.unescape(match.group(1))


def test_it_summarises_a_milestone_rows_error_at_the_top_linking_to_its_field(
    client, org_a, org_b, admin_a
):
    client.force_login(admin_a.user)
    page = client.post(
        f"/o/{org_a.slug}/project-templates/new/",
        {
            "title": "Improve a handover",
            "brief": "Fix the shift handover.",
            "scope": "team",
            "milestones-TOTAL_FORMS": "2",
            "milestones-INITIAL_FORMS": "0",
            "milestones-0-title": "Map today's handover",
            "milestones-0-offset_weeks": "1",
            "milestones-1-title": "New handover live",
        },
    ).content.decode()
    start = page.index('class="form-errors"')
    summary = page[start : page.index("</ul>", start)]
    assert (
        '<a href="#id_milestones-1-offset_weeks">Milestone 2 week</a>: '
        "Say in which week this milestone falls." in summary
    )
    assert "Milestone 1" not in summary
    with tenant_context(org_a):
        assert not ProjectTemplate.objects.exists()


def test_it_puts_the_keyboard_in_the_milestone_row_just_added(client, org_a, org_b, admin_a):
    client.force_login(admin_a.user)
    url = f"/o/{org_a.slug}/project-templates/new/"
    page = client.post(
        url,
        {
            "title": "Improve a handover",
            "brief": "",
            "scope": "team",
            "milestones-TOTAL_FORMS": "1",
            "milestones-INITIAL_FORMS": "0",
            "milestones-0-title": "Map today's handover",
            "milestones-0-offset_weeks": "1",
            "add_row": "1",
        },
    ).content.decode()
    assert "autofocus" in _tag(page, "id_milestones-1-title")
    assert page.count("autofocus") == 1
    assert "autofocus" not in client.get(url).content.decode()  # a fresh page starts at the top


def test_it_shows_a_title_already_taken_next_to_the_title_field(client, org_a, org_b, admin_a):
    _save(org_a)
    _save(org_b, title="Improve a handover")  # another organisation's title is free to use
    client.force_login(admin_a.user)
    page = client.post(
        f"/o/{org_a.slug}/project-templates/new/",
        {
            "title": "LEAD A REAL CHANGE IN YOUR AREA",
            "brief": "Again.",
            "scope": "team",
            "milestones-TOTAL_FORMS": "1",
            "milestones-INITIAL_FORMS": "0",
        },
    ).content.decode()
    assert _field_error(page, "id_title") == (
        "A project template called “LEAD A REAL CHANGE IN YOUR AREA” already exists."
    )
    assert '<a href="#id_title">Title</a>: A project template called' in page
    response = client.post(
        f"/o/{org_a.slug}/project-templates/new/",
        {
            "title": "Improve a handover",
            "brief": "Fix the shift handover.",
            "scope": "team",
            "milestones-TOTAL_FORMS": "1",
            "milestones-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302
    with tenant_context(org_a):
        assert ProjectTemplate.objects.count() == 2


def test_it_gives_404_to_learners_and_for_another_organisations_template(
    client, org_a, org_b, admin_a
):
    template = _save(org_a)
    learner = make_member(org_a, "leo@a.example", is_learner=True)
    client.force_login(learner.user)
    assert client.get(f"/o/{org_a.slug}/project-templates/").status_code == 404
    intruder = make_member(org_b, "admin@b.example", is_admin=True)
    client.force_login(intruder.user)
    assert client.get(f"/o/{org_b.slug}/project-templates/").status_code == 200
    assert client.get(f"/o/{org_b.slug}/project-templates/{template.pk}/").status_code == 404
    assert (
        client.post(f"/o/{org_b.slug}/project-templates/{template.pk}/delete/").status_code == 404
    )
    edit = {"title": "Hijack", "brief": "x", "scope": "individual"}
    assert client.post(f"/o/{org_b.slug}/project-templates/{template.pk}/", edit).status_code == 404
    with tenant_context(org_a):
        assert (
            ProjectTemplate.objects.get(pk=template.pk).title == "Lead a real change in your area"
        )


def test_it_lists_templates_in_the_same_number_of_queries_for_small_and_large(
    client, org_a, org_b, admin_a
):
    competencies = make_competencies(org_a, 3)
    _save(org_a, title="One", competencies=competencies[:1])
    client.force_login(admin_a.user)
    url = f"/o/{org_a.slug}/project-templates/"
    client.get(url)
    with count_queries() as ctx:
        client.get(url)
    small = len(ctx.app_queries)
    for i in range(6):
        _save(
            org_a,
            title=f"Template {i}",
            competencies=competencies,
            milestones=[M(f"Milestone {j}", j) for j in range(4)],
        )
    make_draft(org_a)
    with count_queries() as ctx:
        page = client.get(url).content.decode()
    assert len(ctx.app_queries) == small
    assert "Template 5" in page
    with tenant_context(org_a), count_queries() as ctx:
        rows = project_template_list()
    assert len(ctx.app_queries) == 4
    assert next(r for r in rows if r.title == "Template 0").competencies == [
        "Competency 1",
        "Competency 2",
        "Competency 3",
    ]
