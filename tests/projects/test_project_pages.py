"""Project pages: the charter form, the project page and its actions, lists per role with
constant query counts, the admin's per-cohort page and export, and the stakeholder's link."""

from __future__ import annotations

import datetime as dt
import html
import io
import re

import openpyxl
import pytest
from django.core import signing
from django.db.models import F
from django.utils import timezone
from freezegun import freeze_time

from organizations.tenancy import tenant_context
from pathways.models import CohortCoach
from projects import rating_links, services
from projects.models import (
    Milestone,
    Project,
    ProjectLearner,
    RatingRequest,
    StakeholderRating,
    StatusUpdate,
)
from tests.conftest import count_queries, make_member
from tests.projects.helpers import claim, make_world, running, start


def _field_error(page: str, field_id: str) -> str:
    match = re.search(rf'<p class="field__error" id="{field_id}_error">([^<]*)</p>', page)
    assert match, field_id
    return html.unescape(match.group(1))


def _charter_post(world, **overrides):
    today = timezone.localdate()
    data = {
        "title": "Halve handover errors",
        "problem": "Night-shift handovers lose orders.",
        "scope": "team",
        "expected_outcomes": "Errors halved\nTeam owns the routine",
        "start_date": today.isoformat(),
        "end_date": (today + dt.timedelta(weeks=8)).isoformat(),
        "sponsor_email": world.sponsor.user.email,
        "functions": "Operations, Customer service",
        "stakeholders": "Olga Ops <olga@partner.example>\nCarl, carl@partner.example",
        "milestones-TOTAL_FORMS": "2",
        "milestones-INITIAL_FORMS": "0",
        "milestones-0-title": "Map the handover",
        "milestones-0-due_on": (today + dt.timedelta(weeks=2)).isoformat(),
        "milestones-1-title": "",
        "milestones-1-due_on": "",
    }
    data.update(overrides)
    return data


def test_the_step_leads_to_a_prefilled_charter_then_to_the_project(client, org_a, org_b):
    world = make_world(org_a)
    client.force_login(world.learner.user)
    step_url = f"/o/{org_a.slug}/learn/enrollments/{world.enrollment.pk}/steps/{world.step.pk}/"
    assert f"{step_url}project/" in client.get(step_url).content.decode()
    page = client.get(step_url + "project/").content.decode()
    in_two_weeks = (timezone.localdate() + dt.timedelta(weeks=2)).isoformat()
    assert 'value="Map the handover"' in page and f'value="{in_two_weeks}"' in page
    assert "The template suggests Team" in page
    bad = client.post(
        step_url + "project/",
        _charter_post(world, sponsor_email="ghost@nowhere.example", scope="organisation"),
    )
    assert bad.status_code == 400
    text = bad.content.decode()
    assert _field_error(text, "id_sponsor_email") == (
        "ghost@nowhere.example is not a member of this organisation. Choose a colleague here."
    )
    assert "wider than the template allows" in _field_error(text, "id_scope_reason")
    with tenant_context(org_a):
        assert not Project.objects.exists()
    response = client.post(step_url + "project/", _charter_post(world))
    with tenant_context(org_a):
        project = Project.objects.get()
        assert [s.name for s in project.stakeholders.order_by("name")] == ["Carl", "Olga Ops"]
    assert response.url == f"/o/{org_a.slug}/projects/{project.pk}/"
    assert client.get(step_url + "project/").url == response.url
    page = client.get(response.url).content.decode()
    assert "Submit to my sponsor" in page and "Halve handover errors" in page


def test_sponsor_reviews_on_the_page_with_errors_next_to_the_field(client, org_a, org_b):
    world = make_world(org_a)
    project = start(world)
    with tenant_context(org_a):
        services.do_submit_charter(world.learner, project)
    client.force_login(world.sponsor.user)
    url = f"/o/{org_a.slug}/projects/{project.pk}/"
    assert "Approve this charter or send it back" in client.get(url).content.decode()
    refused = client.post(url + "review/", {"decision": "send_back", "comment": ""})
    assert refused.status_code == 400
    assert "Say what the learner should change" in _field_error(
        refused.content.decode(), "id_comment"
    )
    assert client.post(url + "review/", {"decision": "approve"}).status_code == 302
    with tenant_context(org_a):
        assert Project.objects.get().status == Project.Status.RUNNING


def test_a_learner_marks_a_milestone_done_and_sees_the_error_when_evidence_is_missing(
    client, org_a, org_b
):
    world = make_world(org_a)
    project = running(world)
    with tenant_context(org_a):
        milestone = Milestone.objects.order_by("due_on").first()
    client.force_login(world.learner.user)
    url = f"/o/{org_a.slug}/projects/{project.pk}/milestones/{milestone.pk}/"
    refused = client.post(url + "done/", {"evidence": ""})
    assert refused.status_code == 400 and "This field is required" in refused.content.decode()
    client.post(url + "done/", {"evidence": "Sheet live", "links": "https://wiki.example/x"})
    page = client.get(f"/o/{org_a.slug}/projects/{project.pk}/").content.decode()
    assert "Done on time" in page and "https://wiki.example/x" in page
    # An approved charter cannot be edited: the edit page sends the learner back with why.
    back = client.get(f"/o/{org_a.slug}/projects/{project.pk}/charter/", follow=True)
    assert "can no longer be edited" in back.content.decode()


def _all_urls(org, project, milestone, claim_id, world):
    base = f"/o/{org.slug}/projects/{project.pk}/"
    return [
        ("get", base),
        ("get", base + "charter/"),
        ("post", base + "submit/"),
        ("post", base + "review/"),
        ("post", base + "updates/"),
        ("get", base + "close/"),
        ("post", base + "close/"),
        ("post", base + "sign-off/"),
        ("post", base + f"milestones/{milestone.pk}/done/"),
        ("post", base + f"milestones/{milestone.pk}/move/"),
        ("post", base + f"milestones/{milestone.pk}/ratings/"),
        ("post", base + f"claims/{claim_id}/"),
        ("get", f"/o/{org.slug}/cohorts/{world.cohort.pk}/projects/"),
        (
            "get",
            f"/o/{org.slug}/learn/enrollments/{world.enrollment.pk}/steps/{world.step.pk}/project/",
        ),
    ]


def test_every_project_url_is_404_for_another_organisations_member(client, org_a, org_b):
    world = make_world(org_a)
    project = running(world)
    with tenant_context(org_a):
        services.do_close_project(world.learner, project, achieved=["a", "b"], claims=[claim()])
        milestone = Milestone.objects.first()
        claim_id = project.claims.get().pk
    intruder = make_member(
        org_b, "all@b.example", is_admin=True, is_learner=True, is_coach=True, is_sponsor=True
    )
    client.force_login(intruder.user)
    payload = {"decision": "approve", "rag": "green", "progress": "x", "evidence": "x"}
    for method, url in _all_urls(org_b, project, milestone, claim_id, world):
        response = getattr(client, method)(url, payload if method == "post" else None)
        assert response.status_code == 404, url
    # Through org A's address an outsider is not a member: 404 as well.
    for method, url in _all_urls(org_a, project, milestone, claim_id, world)[:3]:
        assert getattr(client, method)(url).status_code == 404, url
    assert client.get(f"/o/{org_b.slug}/projects/").status_code == 200
    assert "Halve handover errors" not in client.get(f"/o/{org_b.slug}/projects/").content.decode()
    with tenant_context(org_a):
        assert Project.objects.get().status == Project.Status.CLOSING


def test_a_sponsor_sees_only_the_projects_they_sponsor(client, org_a, org_b):
    world = make_world(org_a)
    other = make_world(org_a, prefix="x-")
    mine = running(world, title="Mine to sponsor")
    theirs = running(other, title="Someone else's")
    client.force_login(world.sponsor.user)
    listing = client.get(f"/o/{org_a.slug}/projects/").content.decode()
    assert "Mine to sponsor" in listing and "Someone else" not in listing
    assert client.get(f"/o/{org_a.slug}/projects/{mine.pk}/").status_code == 200
    assert client.get(f"/o/{org_a.slug}/projects/{theirs.pk}/").status_code == 404
    nav = client.get(f"/o/{org_a.slug}/").content.decode()
    assert f'href="/o/{org_a.slug}/projects/"' in nav


def _ratings(org, project, comments):
    with tenant_context(org):
        for i, comment in enumerate(comments):
            person = project.stakeholders.create(name=f"S{i}", email=f"s{i}@x.example")
            request = RatingRequest.objects.create(project=project, stakeholder=person)
            services.do_submit_rating(
                request.pk, outcome_quality=4, collaboration=4, communication=4, comment=comment
            )


def test_a_coach_sees_coachees_projects_but_never_stakeholders_comments(client, org_a, org_b):
    world = make_world(org_a)
    coach = make_member(org_a, "coach@a.example", is_coach=True)
    stranger_coach = make_member(org_a, "coach2@a.example", is_coach=True)
    with tenant_context(org_a):
        CohortCoach.objects.create(cohort=world.cohort, membership=coach)
    project = running(world)
    with tenant_context(org_a):
        services.do_post_update(world.learner, project, rag="green", progress="Pilot going well")
    _ratings(org_a, project, [f"Secret remark {i}" for i in range(5)])
    client.force_login(world.learner.user)
    assert (
        "Secret remark 3" in client.get(f"/o/{org_a.slug}/projects/{project.pk}/").content.decode()
    )
    client.force_login(coach.user)
    listing = client.get(f"/o/{org_a.slug}/projects/").content.decode()
    assert "Halve handover errors" in listing
    page = client.get(f"/o/{org_a.slug}/projects/{project.pk}/").content.decode()
    assert "Pilot going well" in page and "4.0" in page
    assert "Secret remark" not in page
    client.force_login(stranger_coach.user)
    assert client.get(f"/o/{org_a.slug}/projects/{project.pk}/").status_code == 404


def test_the_aggregate_stays_hidden_below_the_threshold_on_page_and_list(client, org_a, org_b):
    world = make_world(org_a)
    project = running(world)
    _ratings(org_a, project, ["a", "b"])
    client.force_login(world.sponsor.user)
    page = client.get(f"/o/{org_a.slug}/projects/{project.pk}/").content.decode()
    assert "Hidden: ratings are shown as an average once at least 3 stakeholders" in page
    assert "(2 so far)" in page
    assert "hidden (n=2)" in client.get(f"/o/{org_a.slug}/projects/").content.decode()


def _bulk_projects(world, n):
    """``n`` running projects with milestones, updates, ratings and learners (direct rows)."""
    today = timezone.localdate()
    with tenant_context(world.org):
        for i in range(n):
            p = Project.objects.create(
                owner=world.learner,
                sponsor=world.sponsor,
                cohort=world.cohort,
                title=f"Project {i}",
                problem="p",
                scope="team",
                expected_outcomes="o",
                start_date=today - dt.timedelta(days=30),
                end_date=today + dt.timedelta(days=30),
                status=Project.Status.RUNNING,
                approved_at=timezone.now(),
            )
            ProjectLearner.objects.create(project=p, learner=world.learner)
            for d in (-5, 10):
                day = today + dt.timedelta(days=d)
                Milestone.objects.create(project=p, title="m", due_on=day, approved_on=day)
            StatusUpdate.objects.create(project=p, on=today, rag="amber", progress="x")
            person = p.stakeholders.create(name="S", email=f"s{i}@x.example")
            r = RatingRequest.objects.create(project=p, stakeholder=person)
            StakeholderRating.objects.create(
                request=r, project=p, outcome_quality=4, collaboration=4, communication=4
            )


@pytest.mark.parametrize("role", ["sponsor", "admin", "coach", "learner"])
def test_lists_run_the_same_number_of_queries_for_5_and_50_projects(client, org_a, org_b, role):
    world = make_world(org_a)
    coach = make_member(org_a, "coach@a.example", is_coach=True)
    with tenant_context(org_a):
        CohortCoach.objects.create(cohort=world.cohort, membership=coach)
    reader = {
        "sponsor": world.sponsor,
        "admin": world.admin,
        "coach": coach,
        "learner": world.learner,
    }[role]
    url = (
        f"/o/{org_a.slug}/cohorts/{world.cohort.pk}/projects/"
        if role == "admin"
        else f"/o/{org_a.slug}/projects/"
    )
    client.force_login(reader.user)
    _bulk_projects(world, 5)
    client.get(url)
    with count_queries() as ctx:
        assert client.get(url).status_code == 200
    small = len(ctx.app_queries)
    _bulk_projects(world, 45)
    with count_queries() as ctx:
        page = client.get(url).content.decode()
    assert len(ctx.app_queries) == small
    assert "50 projects" in page and "Page 1 of 2" in page  # 25 a page


def test_the_admin_cohort_page_filters_and_downloads_csv_and_xlsx(client, org_a, org_b):
    world = make_world(org_a)
    late = running(world, title="=Late one")
    with tenant_context(org_a):
        Milestone.objects.filter(project=late).update(
            approved_on=timezone.localdate() - dt.timedelta(days=3)
        )
    other = make_world(org_a, prefix="y-")
    start(other, title="Still a draft")
    with tenant_context(org_a):
        Project.objects.filter(title="Still a draft").update(cohort=world.cohort)
    client.force_login(world.admin.user)
    url = f"/o/{org_a.slug}/cohorts/{world.cohort.pk}/projects/"
    page = client.get(url).content.decode()
    assert "=Late one" in page and "Still a draft" in page
    filtered = client.get(url, {"late": "on"}).content.decode()
    assert "=Late one" in filtered and "Still a draft" not in filtered
    drafts = client.get(url, {"status": "draft"}).content.decode()
    assert "Still a draft" in drafts and "Late one" not in drafts
    csv_response = client.get(url, {"format": "csv", "late": "on"})
    assert csv_response["Content-Type"].startswith("text/csv")
    lines = csv_response.content.decode().splitlines()
    assert lines[0].startswith("Project,Status,Learners,Sponsor")
    assert len(lines) == 2 and lines[1].startswith("'=Late one,Running")  # formula neutralised
    xlsx = client.get(url, {"format": "xlsx"})
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet.max_row == 3 and sheet.cell(1, 1).value == "Project"
    learner = make_member(org_a, "l2@a.example", is_learner=True)
    client.force_login(learner.user)
    assert client.get(url).status_code == 404


def _link(org, **kw):
    world = make_world(org, **kw)
    running(world)
    with tenant_context(org):
        milestone = Milestone.objects.order_by("due_on").first()
        services.do_request_milestone_ratings(world.learner, milestone)
        request = RatingRequest.objects.order_by("id").first()
    return request, rating_links.make_token(request)


def test_a_stakeholder_rates_through_the_link_once_without_an_account(client, org_a, org_b):
    request, token = _link(org_a)
    url = f"/r/project/{token}/"
    page = client.get(url).content.decode()
    assert "How did “Halve handover errors on the night shift” go for you?" in page
    refused = client.post(url, {"outcome_quality": "4", "comment": "Good"})
    assert refused.status_code == 400
    assert _field_error(refused.content.decode(), "id_collaboration") == (
        "Choose a rating from 1 to 5."
    )
    done = client.post(
        url, {"outcome_quality": "4", "collaboration": "5", "communication": "3", "comment": "Ok"}
    )
    assert done.status_code == 200 and "your rating is recorded" in done.content.decode()
    again = client.post(url, {"outcome_quality": "1", "collaboration": "1", "communication": "1"})
    assert again.status_code == 410 and "already used" in again.content.decode()
    assert client.get(url).status_code == 410
    with tenant_context(org_a):
        assert StakeholderRating.objects.get().collaboration == 5


def test_forged_expired_and_wrong_organisation_links_show_a_clear_page(client, org_a, org_b):
    request, token = _link(org_a)
    forged = client.get(f"/r/project/{token[:-3]}abc/")
    assert forged.status_code == 404 and "not valid" in forged.content.decode()
    # A genuinely signed token naming org B with org A's request finds nothing there.
    wrong = signing.TimestampSigner(salt="pathwise.project-rating").sign(f"{org_b.pk}:{request.pk}")
    response = client.get(f"/r/project/{wrong}/")
    assert response.status_code == 404 and "no longer exists" in response.content.decode()
    with freeze_time(timezone.now() + dt.timedelta(days=22)):
        expired = client.post(
            f"/r/project/{token}/",
            {"outcome_quality": "4", "collaboration": "4", "communication": "4"},
        )
    assert expired.status_code == 410 and "expired" in expired.content.decode()
    with tenant_context(org_a):
        assert not StakeholderRating.objects.exists()


def test_the_learner_home_shows_the_late_milestone_as_the_next_step(client, org_a, org_b):
    with freeze_time("2026-03-02 09:00:00+00:00"):
        world = make_world(org_a)
        running(world)
    with freeze_time("2026-03-20 09:00:00+00:00"):
        client.force_login(world.learner.user)
        page = client.get(f"/o/{org_a.slug}/").content.decode()
    assert "Milestone: Map the handover" in page


def test_the_project_page_runs_the_same_number_of_queries_however_long_its_history(
    client, org_a, org_b
):
    world = make_world(org_a)
    project = running(world)
    _ratings(org_a, project, [f"c{i}" for i in range(5)])  # comments shown: one more query
    client.force_login(world.sponsor.user)
    url = f"/o/{org_a.slug}/projects/{project.pk}/"
    client.get(url)
    with count_queries() as ctx:
        client.get(url)
    small = len(ctx.app_queries)
    today = timezone.localdate()
    with tenant_context(org_a):
        for i in range(20):
            Milestone.objects.create(
                project=project, title=f"Extra {i}", due_on=today, approved_on=today
            )
            StatusUpdate.objects.create(project=project, on=today, rag="green", progress=f"u{i}")
        first = Milestone.objects.filter(project=project).first()
        for i in range(5):
            services.do_move_milestone(
                world.learner, first, new_date=today + dt.timedelta(days=i + 1), reason="r"
            )
    with tenant_context(org_a):
        for i in range(10):
            person = project.stakeholders.create(name=f"T{i}", email=f"t{i}@x.example")
            request = RatingRequest.objects.create(project=project, stakeholder=person)
            services.do_submit_rating(
                request.pk, outcome_quality=3, collaboration=3, communication=3, comment="more"
            )
    with count_queries() as ctx:
        page = client.get(url).content.decode()
    assert len(ctx.app_queries) == small
    assert "Extra 19" in page and "u19" in page


def test_the_learner_home_offers_the_project_not_mark_done_for_a_project_step(client, org_a, org_b):
    world = make_world(org_a)
    client.force_login(world.learner.user)
    page = client.get(f"/o/{org_a.slug}/").content.decode()
    project_url = (
        f"/o/{org_a.slug}/learn/enrollments/{world.enrollment.pk}/steps/{world.step.pk}/project/"
    )
    assert project_url in page and "Mark done" not in page


def test_a_refused_move_shows_why_next_to_the_field_and_keeps_the_date(client, org_a, org_b):
    world = make_world(org_a)
    project = running(world)
    with tenant_context(org_a):
        milestone = Milestone.objects.order_by("due_on").first()
    client.force_login(world.learner.user)
    too_late = (project.end_date + dt.timedelta(days=5)).isoformat()
    response = client.post(
        f"/o/{org_a.slug}/projects/{project.pk}/milestones/{milestone.pk}/move/",
        {"new_date": too_late, "reason": "Supplier late"},
    )
    assert response.status_code == 400
    page = html.unescape(response.content.decode())
    assert "The new date falls after the project's end" in page and "Supplier late" in page
    with tenant_context(org_a):
        assert Milestone.objects.get(pk=milestone.pk).due_on == milestone.due_on


def test_the_list_pages_on_projects_and_works_out_figures_for_the_page_it_shows(
    client, org_a, org_b
):
    """Counted and paged on the projects; each row's milestone figures are its own facts, on
    every page and under the late filter (a semi-join: no project twice)."""
    from projects.queries import PROJECTS_PER_PAGE, ProjectFilters, project_list

    world = make_world(org_a)
    _bulk_projects(world, PROJECTS_PER_PAGE + 5)
    today = timezone.localdate()
    with tenant_context(org_a):
        on_time = Project.objects.get(title="Project 3")
        Milestone.objects.filter(project=on_time).update(done_on=F("approved_on"))
        extra = Project.objects.get(title="Project 7")
        Milestone.objects.create(project=extra, title="x", due_on=today, approved_on=today)
        late_ids = set(
            Milestone.objects.filter(approved_on__lt=today, done_on__isnull=True).values_list(
                "project_id", flat=True
            )
        )
        seen = []
        for number in (1, 2):
            listing = project_list(world.admin, "admin", ProjectFilters(), number)
            assert listing.total == Project.objects.count()
            for row in listing.rows:
                facts = Milestone.objects.filter(project_id=row.id)
                assert row.milestones == facts.count()
                assert row.on_time == facts.filter(done_on__lte=F("approved_on")).count()
                assert row.latest_rag == (
                    StatusUpdate.objects.filter(project_id=row.id)
                    .order_by("-on", "-id")
                    .values_list("rag", flat=True)
                    .first()
                    or ""
                )
                seen.append(row.id)
        assert sorted(seen) == sorted(Project.objects.values_list("pk", flat=True))
        late = project_list(world.admin, "admin", ProjectFilters(late_only=True))
        assert late.total == len(late_ids) > PROJECTS_PER_PAGE
        assert {r.id for r in late.rows} <= late_ids and len(late.rows) == PROJECTS_PER_PAGE
        assert on_time.pk not in late_ids
    client.force_login(world.admin.user)
    page = client.get(f"/o/{org_a.slug}/projects/", {"late": "on"}).content.decode()
    assert "Project 3<" not in page and "Project 4<" in page
