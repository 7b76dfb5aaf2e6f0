"""Builder pages: admin only, other organisations' objects are 404, htmx partials, forms."""

from __future__ import annotations

import pytest

from organizations.tenancy import tenant_context
from pathways.builder import services
from pathways.models import (
    Cohort,
    ElectiveGroup,
    Enrollment,
    Module,
    Pathway,
    PathwayVersion,
    PersonalisationRule,
    Stage,
    Step,
    StepPrerequisite,
)
from tests.conftest import count_queries, make_member
from tests.pathways.builder.helpers import make_competencies, make_draft, ordered_titles


@pytest.fixture
def admin_a(org_a):
    return make_member(org_a, "admin@a.example", is_admin=True)


def test_it_shows_the_pathway_list_to_admins_and_404_to_learners(client, org_a, org_b, admin_a):
    draft = make_draft(org_a)
    client.force_login(admin_a.user)
    page = client.get(f"/o/{org_a.slug}/pathways/")
    assert page.status_code == 200
    assert draft.version.pathway.name in page.content.decode()
    learner = make_member(org_a, "leo@a.example", is_learner=True)
    client.force_login(learner.user)
    assert client.get(f"/o/{org_a.slug}/pathways/").status_code == 404
    assert client.get(f"/o/{org_a.slug}/pathways/versions/{draft.version.pk}/").status_code == 404


def test_it_teaches_on_an_empty_pathway_list(client, org_a, org_b, admin_a):
    client.force_login(admin_a.user)
    page = client.get(f"/o/{org_a.slug}/pathways/").content.decode()
    assert "No pathways yet" in page and "Create the first pathway" in page


def test_it_creates_a_pathway_from_the_form_and_opens_the_editor(client, org_a, org_b, admin_a):
    competencies = make_competencies(org_a, 2)
    client.force_login(admin_a.user)
    response = client.post(
        f"/o/{org_a.slug}/pathways/new/",
        {
            "name": "Leading Hybrid Teams",
            "purpose": "Lead across sites",
            "target_roles": "Team leads",
            "competencies": [competencies[0].pk],
        },
    )
    with tenant_context(org_a):
        version = PathwayVersion.objects.get(pathway__name="Leading Hybrid Teams")
    assert response.status_code == 302
    assert response["Location"] == f"/o/{org_a.slug}/pathways/versions/{version.pk}/"
    page = client.get(response["Location"]).content.decode()
    assert "Competency 1" in page and "Draft" in page
    # A duplicate name is refused next to the field and nothing is written.
    page = client.post(f"/o/{org_a.slug}/pathways/new/", {"name": "leading hybrid teams"})
    assert page.status_code == 200 and "already exists" in page.content.decode()
    with tenant_context(org_a):
        assert Pathway.objects.count() == 1


OBJECT_URLS = [
    ("get", "pathways/versions/{version}/"),
    ("get", "pathways/versions/{version}/details/"),
    ("post", "pathways/versions/{version}/details/"),
    ("get", "pathways/versions/{version}/copy/"),
    ("post", "pathways/versions/{version}/copy/"),
    ("get", "pathways/versions/{version}/publish/"),
    ("post", "pathways/versions/{version}/publish/"),
    ("post", "pathways/versions/{version}/new-draft/"),
    ("post", "pathways/versions/{version}/discard/"),
    ("get", "pathways/versions/{version}/preview/"),
    ("post", "pathways/versions/{version}/stages/add/"),
    ("get", "pathways/stages/{stage}/rename/"),
    ("post", "pathways/stages/{stage}/rename/"),
    ("post", "pathways/stages/{stage}/move/"),
    ("post", "pathways/stages/{stage}/delete/"),
    ("get", "pathways/versions/{version}/steps/add/"),
    ("post", "pathways/versions/{version}/steps/add/"),
    ("get", "pathways/steps/{step}/"),
    ("post", "pathways/steps/{step}/"),
    ("post", "pathways/steps/{step}/move/"),
    ("post", "pathways/steps/{step}/stage/"),
    ("post", "pathways/steps/{step}/delete/"),
    ("post", "pathways/steps/{step}/prerequisites/"),
    ("post", "pathways/steps/{step}/rules/add/"),
    ("post", "pathways/rules/{rule}/delete/"),
    ("get", "pathways/versions/{version}/groups/add/"),
    ("post", "pathways/versions/{version}/groups/add/"),
    ("get", "pathways/versions/{version}/groups/{group}/"),
    ("post", "pathways/versions/{version}/groups/{group}/"),
    ("post", "pathways/groups/{group}/delete/"),
]


@pytest.mark.parametrize(("method", "route"), OBJECT_URLS)
def test_it_gives_404_for_another_organisations_objects_under_ones_own_slug(
    client, org_a, org_b, method, route
):
    draft = make_draft(org_a)
    [competency] = make_competencies(org_a, 1)
    with tenant_context(org_a):
        group = services.do_save_elective_group(
            None, draft.version, group=None, title="Pick", choose=1, steps=draft.steps[:2]
        )
        rule = services.do_add_rule(
            None, draft.steps[2], competency=competency, action="include_below", threshold=3
        )
        before = (Step.objects.count(), PathwayVersion.objects.count())
    intruder = make_member(org_b, "intruder@b.example", is_admin=True)
    make_draft(org_b, "Intruder's own")
    client.force_login(intruder.user)
    url = f"/o/{org_b.slug}/" + route.format(
        version=draft.version.pk,
        stage=draft.stages[0].pk,
        step=draft.steps[2].pk,
        rule=rule.pk,
        group=group.pk,
    )
    data = {"direction": "up", "title": "Hijack", "name": "Hijack", "choose": 1}
    response = getattr(client, method)(url, data)
    assert response.status_code == 404, url
    with tenant_context(org_a):
        assert (Step.objects.count(), PathwayVersion.objects.count()) == before
        assert ElectiveGroup.objects.get(pk=group.pk).title == "Pick"
        assert PersonalisationRule.objects.filter(pk=rule.pk).exists()
        assert not Pathway.objects.filter(name="Hijack").exists()
        assert not Stage.objects.filter(title="Hijack").exists()
        assert not Step.objects.filter(title="Hijack").exists()


def test_it_refuses_another_organisations_ids_in_the_forms_of_ones_own_pathway(
    client, org_a, org_b
):
    """Own step and version, but the competency, stage, steps, module or cohort posted belong
    to another organisation: each form refuses the choice and nothing is written."""
    theirs = make_draft(org_a)
    [their_competency] = make_competencies(org_a, 1)
    with tenant_context(org_a):
        services.do_publish(None, theirs.version)
        their_cohort = Cohort.objects.create(
            name="Theirs", version=theirs.version, start_date="2026-01-05"
        )
    intruder = make_member(org_b, "intruder@b.example", is_admin=True)
    mine = make_draft(org_b, "Intruder's own")
    client.force_login(intruder.user)
    base = f"/o/{org_b.slug}/pathways"
    step = mine.steps[2]
    posts = [
        (
            f"{base}/steps/{step.pk}/rules/add/",
            {"action": "include_below", "threshold": 3, "competency": their_competency.pk},
            "Select a valid choice",
        ),
        (
            f"{base}/steps/{step.pk}/stage/",
            {"stage": theirs.stages[1].pk},
            "Choose a stage of this version for the step.",
        ),
        (
            f"{base}/steps/{step.pk}/prerequisites/",
            {"requires": [theirs.steps[0].pk]},
            "Select a valid choice",
        ),
        (
            f"{base}/versions/{mine.version.pk}/steps/add/",
            {
                "kind": "module",
                "module": theirs.steps[0].module_id,
                "stage": mine.stages[0].pk,
                "available_offset_days": 0,
            },
            "Select a valid choice",
        ),
        (
            f"{base}/versions/{mine.version.pk}/groups/add/",
            {"title": "Theirs", "choose": 1, "steps": [s.pk for s in theirs.steps[:2]]},
            "Select a valid choice",
        ),
    ]
    with tenant_context(org_b):
        before = list(Step.objects.order_by("pk").values_list("pk", "stage_id", "position"))
    for url, data, message in posts:
        page = client.post(url, data, follow=True)
        assert page.status_code == 200, url
        assert message in page.content.decode(), url
    with tenant_context(org_b):
        assert list(Step.objects.order_by("pk").values_list("pk", "stage_id", "position")) == before
        assert not PersonalisationRule.objects.exists()
        assert not StepPrerequisite.objects.exists()
        assert not ElectiveGroup.objects.exists()
        services.do_publish(None, mine.version)
        Cohort.objects.create(name="Mine", version=mine.version, start_date="2026-01-05")
    preview = client.get(
        f"{base}/versions/{mine.version.pk}/preview/", {"cohort": their_cohort.pk}
    ).content.decode()
    assert "Select a valid choice" in preview
    assert "Theirs" not in preview and "active learners, " not in preview


def test_it_moves_a_step_with_htmx_and_returns_the_structure_partial(client, org_a, org_b, admin_a):
    draft = make_draft(org_a)
    client.force_login(admin_a.user)
    url = f"/o/{org_a.slug}/pathways/steps/{draft.steps[1].pk}/move/"
    response = client.post(url, {"direction": "up"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith('<section id="structure"')
    assert "<html" not in body and "Moved" in body
    assert "autofocus" in body
    titles = [t for _, t in ordered_titles(org_a, draft.version)]
    assert titles[:2] == [draft.steps[1].display_title, draft.steps[0].display_title]
    # Without htmx the same form redirects back to the editor.
    response = client.post(url, {"direction": "down"})
    assert response.status_code == 302
    assert [t for _, t in ordered_titles(org_a, draft.version)][:2] == titles[:2][::-1]


def test_it_reports_a_refused_move_in_the_partial(client, org_a, org_b, admin_a):
    draft = make_draft(org_a)
    client.force_login(admin_a.user)
    url = f"/o/{org_a.slug}/pathways/steps/{draft.steps[0].pk}/move/"
    body = client.post(url, {"direction": "up"}, HTTP_HX_REQUEST="true").content.decode()
    assert "already the first step" in body


def test_it_adds_a_project_step_and_shows_the_default_prerequisite(client, org_a, org_b, admin_a):
    draft = make_draft(org_a, n_modules=1)
    client.force_login(admin_a.user)
    response = client.post(
        f"/o/{org_a.slug}/pathways/versions/{draft.version.pk}/steps/add/",
        {
            "kind": "project",
            "project_template": draft.project.pk,
            "stage": draft.stages[0].pk,
            "title": "Your change project",
            "available_offset_days": 7,
            "due_offset_days": 42,
        },
    )
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "Your change project" in page
    assert "after the previous step" in page and "default" in page
    # A project step without its template gets the error next to the field.
    page = client.post(
        f"/o/{org_a.slug}/pathways/versions/{draft.version.pk}/steps/add/",
        {"kind": "project", "stage": draft.stages[0].pk, "available_offset_days": 0},
    ).content.decode()
    assert "Choose the project template." in page


def test_it_publishes_from_the_form_moving_learners_when_asked(client, org_a, org_b, admin_a):
    draft = make_draft(org_a)
    learner = make_member(org_a, "leo@a.example", is_learner=True)
    with tenant_context(org_a):
        from pathways.models import Cohort

        services.do_publish(None, draft.version)
        cohort = Cohort.objects.create(
            name="Spring", version=draft.version, start_date="2026-01-05"
        )
        enrollment = Enrollment.objects.create(
            cohort=cohort, learner=learner, version=draft.version
        )
        v2, _ = services.do_start_new_draft(None, draft.version)
    client.force_login(admin_a.user)
    url = f"/o/{org_a.slug}/pathways/versions/{v2.pk}/publish/"
    page = client.get(url).content.decode()
    assert "Move active learners to this version" in page
    response = client.post(url, {"move_enrollments": "move"})
    assert response.status_code == 302
    with tenant_context(org_a):
        assert Enrollment.objects.get(pk=enrollment.pk).version_id == v2.pk
        assert PathwayVersion.objects.get(pk=v2.pk).status == "published"
    # The published version's editor offers a new draft, not editing controls.
    page = client.get(f"/o/{org_a.slug}/pathways/versions/{v2.pk}/").content.decode()
    assert "Edit as new version" in page and "Move up" not in page


def test_it_lists_publish_problems_instead_of_the_publish_button(client, org_a, org_b, admin_a):
    draft = make_draft(org_a)
    with tenant_context(org_a):
        Module.objects.filter(pk=draft.steps[0].module_id).update(status="draft")
    client.force_login(admin_a.user)
    url = f"/o/{org_a.slug}/pathways/versions/{draft.version.pk}/publish/"
    page = client.get(url).content.decode()
    assert "publish it in the library first" in page
    client.post(url, {"move_enrollments": "stay"})
    with tenant_context(org_a):
        assert PathwayVersion.objects.get(pk=draft.version.pk).status == "draft"


def test_it_refuses_editing_a_published_step_through_the_form(client, org_a, org_b, admin_a):
    draft = make_draft(org_a)
    with tenant_context(org_a):
        services.do_publish(None, draft.version)
    client.force_login(admin_a.user)
    page = client.post(
        f"/o/{org_a.slug}/pathways/steps/{draft.steps[0].pk}/",
        {"title": "Changed", "available_offset_days": 3},
    ).content.decode()
    assert "cannot be changed" in page
    with tenant_context(org_a):
        assert Step.objects.get(pk=draft.steps[0].pk).title == ""


def test_it_shows_the_rule_preview_for_a_chosen_cohort(client, org_a, org_b, admin_a):
    draft = make_draft(org_a)
    [competency] = make_competencies(org_a, 1)
    with tenant_context(org_a):
        services.do_add_rule(
            None, draft.steps[0], competency=competency, action="include_below", threshold=4
        )
        services.do_publish(None, draft.version)
        from pathways.models import Cohort

        cohort = Cohort.objects.create(
            name="Spring", version=draft.version, start_date="2026-01-05"
        )
    learner = make_member(org_a, "leo@a.example", is_learner=True)
    with tenant_context(org_a):
        Enrollment.objects.create(cohort=cohort, learner=learner, version=draft.version)
    client.force_login(admin_a.user)
    url = f"/o/{org_a.slug}/pathways/versions/{draft.version.pk}/preview/?cohort={cohort.pk}"
    body = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert body.lstrip().startswith('<section id="preview"')
    assert "1 / 1" in body and "No baseline yet" in body


def test_it_adds_a_stretch_rule_from_the_step_form(client, org_a, org_b, admin_a):
    draft = make_draft(org_a)
    [competency] = make_competencies(org_a, 1)
    client.force_login(admin_a.user)
    url = f"/o/{org_a.slug}/pathways/steps/{draft.steps[1].pk}/"
    form = client.get(url).content.decode()
    assert 'value="include_below"' in form and 'value="include_at_least"' in form
    assert 'value="skip_at_least"' not in form
    response = client.post(
        f"{url}rules/add/",
        {"action": "include_at_least", "threshold": 4, "competency": competency.pk},
        follow=True,
    )
    page = response.content.decode()
    assert "Personalisation rule added." in page
    assert "Include only if baseline is at least 4 — Competency 1" in page
    with tenant_context(org_a):
        rule = PersonalisationRule.objects.get(step=draft.steps[1])
    assert (rule.action, rule.threshold) == ("include_at_least", 4)
    # The old, ambiguous action is no longer accepted.
    page = client.post(
        f"{url}rules/add/",
        {"action": "skip_at_least", "threshold": 4, "competency": competency.pk},
    ).content.decode()
    assert "Select a valid choice" in page
    with tenant_context(org_a):
        assert PersonalisationRule.objects.count() == 1


@pytest.mark.parametrize("route", ["pathways/", "pathways/versions/{version}/"])
def test_it_renders_builder_pages_in_the_same_number_of_queries_for_small_and_large(
    client, org_a, org_b, admin_a, route
):
    client.force_login(admin_a.user)
    small = make_draft(org_a, "Small", n_modules=1)
    url = f"/o/{org_a.slug}/" + route.format(version=small.version.pk)
    client.get(url)  # warm sessions and caches
    with count_queries() as ctx:
        assert client.get(url).status_code == 200
    small_count = len(ctx.app_queries)
    large = make_draft(org_a, "Large", n_modules=9)
    [competency] = make_competencies(org_a, 1)
    with tenant_context(org_a):
        for step in large.steps[:5]:
            services.do_add_rule(
                None, step, competency=competency, action="include_below", threshold=4
            )
        services.do_save_elective_group(
            None, large.version, group=None, title="Pick", choose=1, steps=large.steps[:2]
        )
    for name in ("More 1", "More 2"):
        make_draft(org_a, name, n_modules=2)
    url = f"/o/{org_a.slug}/" + route.format(version=large.version.pk)
    with count_queries() as ctx:
        assert client.get(url).status_code == 200
    assert len(ctx.app_queries) == small_count


def test_it_sends_the_admin_back_when_a_form_would_change_a_published_version(
    client, org_a, org_b, admin_a
):
    draft = make_draft(org_a)
    with tenant_context(org_a):
        services.do_publish(None, draft.version)
    client.force_login(admin_a.user)
    for route in ("details/", "steps/add/", "groups/add/"):
        url = f"/o/{org_a.slug}/pathways/versions/{draft.version.pk}/{route}"
        response = client.get(url, follow=True)
        assert response.redirect_chain[-1][0].endswith(f"/versions/{draft.version.pk}/"), route
        assert "cannot be changed" in response.content.decode()


def test_it_explains_an_elective_group_asking_for_too_many_steps(client, org_a, org_b, admin_a):
    draft = make_draft(org_a)
    client.force_login(admin_a.user)
    page = client.post(
        f"/o/{org_a.slug}/pathways/versions/{draft.version.pk}/groups/add/",
        {"title": "Choose", "choose": 3, "steps": [draft.steps[0].pk, draft.steps[1].pk]},
    ).content.decode()
    assert "cannot choose 3 of 2" in page
    with tenant_context(org_a):
        assert not ElectiveGroup.objects.exists()
    response = client.post(
        f"/o/{org_a.slug}/pathways/versions/{draft.version.pk}/groups/add/",
        {"title": "Choose", "choose": 1, "steps": [draft.steps[0].pk, draft.steps[1].pk]},
    )
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "choose 1 of 2" in page


def test_it_manages_stages_from_the_editor(client, org_a, org_b, admin_a):
    draft = make_draft(org_a)
    client.force_login(admin_a.user)
    base = f"/o/{org_a.slug}/pathways"
    client.post(
        f"{base}/versions/{draft.version.pk}/stages/add/", {"title": "Stage 3: Lead change"}
    )
    client.post(f"{base}/stages/{draft.stages[0].pk}/rename/", {"title": "Lead yourself"})
    client.post(f"{base}/stages/{draft.stages[0].pk}/move/", {"direction": "down"})
    with tenant_context(org_a):
        from pathways.models import Stage

        assert list(
            Stage.objects.filter(version=draft.version)
            .order_by("position")
            .values_list("title", flat=True)
        ) == ["Stage 2", "Lead yourself", "Stage 3: Lead change"]
    page = client.post(
        f"{base}/stages/{draft.stages[1].pk}/move/", {"direction": "up"}, follow=True
    ).content.decode()
    assert "already the first stage" in page
    client.post(f"{base}/stages/{draft.stages[1].pk}/delete/")
    with tenant_context(org_a):
        assert Step.objects.filter(version=draft.version).count() == 3


def test_it_shows_what_publishing_changes_and_who_moves_before_the_click(
    client, org_a, org_b, admin_a
):
    from pathways.models import Cohort, Step, StepCompletion

    draft = make_draft(org_a)
    learners = [make_member(org_a, f"l{i}@a.example", is_learner=True) for i in range(3)]
    with tenant_context(org_a):
        services.do_publish(None, draft.version)
        cohort = Cohort.objects.create(
            name="Spring", version=draft.version, start_date="2026-01-05"
        )
        enrollments = [
            Enrollment.objects.create(cohort=cohort, learner=m, version=draft.version)
            for m in learners
        ]
        first = draft.steps[0]
        StepCompletion.objects.create(
            enrollment=enrollments[0], learner=learners[0], step_key=first.key
        )
        v2, _ = services.do_start_new_draft(None, draft.version)
        v2_steps = {s.key: s for s in Step.objects.filter(version=v2)}
        services.do_delete_step(None, v2_steps[first.key])
        second = v2_steps[draft.steps[1].key]
        services.do_update_step(None, second, title="", available_offset_days=7, due_offset_days=10)
        extra = Module.objects.create(title="Feedback that lands", minutes=5, status="published")
        services.do_add_step(
            None,
            v2,
            stage=v2.stages.order_by("position").first(),
            target=services.StepTarget(kind="module", module=extra),
        )
    client.force_login(admin_a.user)
    url = f"/o/{org_a.slug}/pathways/versions/{v2.pk}/publish/"
    with count_queries() as ctx:
        page = client.get(url).content.decode()
    assert "What changes from version 1 to version 2" in page
    assert "1 step added" in page and "Feedback that lands" in page
    assert "1 step removed" in page and first.display_title in page
    assert f"{second.display_title}: opens on day 7 instead of day 1; due on day 10" in page
    assert "3 active learners (in 1 planned or running cohorts) are on an earlier version." in page
    assert "1 of them completed a step this version removes" in page
    assert 'data-confirm="Publish version 2? If you chose to move them, 3 learners move' in page
    assert len(ctx.app_queries) < 40
