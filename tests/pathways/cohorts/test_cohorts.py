"""Cohorts: runs of a published version, learners by hand or by filter, coaches and sponsors,
withdrawal, progress and overdue steps, the admin home; roles, 404s and query counts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from measurement.queries import programme_health
from measurement.services import do_rollup_progress
from organizations.models import AuditEntry, Team
from organizations.tenancy import tenant_context
from pathways.cohorts import queries, services
from pathways.models import (
    Cohort,
    CohortCoach,
    CohortSponsor,
    Enrollment,
    Pathway,
    PathwayVersion,
    Step,
    StepCompletion,
)
from tests.conftest import count_queries, enroll, make_member, make_pathway


@pytest.fixture
def admin_a(org_a):
    return make_member(org_a, "boss@acme.example", is_admin=True)


def _team(org, name):
    with tenant_context(org):
        return Team.objects.get_or_create(name=name)[0]


def _draft(org):
    with tenant_context(org):
        pathway = Pathway.objects.create(name="Draft pathway")
        return PathwayVersion.objects.create(pathway=pathway, number=1)


def test_it_creates_a_cohort_only_from_a_published_version(client, org_a, org_b, admin_a):
    fixture = make_pathway(org_a)
    draft = _draft(org_a)
    client.force_login(admin_a.user)
    url = f"/o/{org_a.slug}/cohorts/new/"
    page = client.get(url).content.decode()
    assert "Leading Through Change v1" in page and "Draft pathway" not in page
    refused = client.post(
        url, {"name": "Spring", "version": draft.pk, "start_date": "2026-03-01"}
    ).content.decode()
    assert "Select a valid choice" in refused
    with tenant_context(org_a), pytest.raises(ValidationError, match="published version only"):
        services.do_create_cohort(
            admin_a.user, name="Spring", version=draft, start_date=dt.date(2026, 3, 1)
        )
    bad_dates = client.post(
        url,
        {
            "name": "Spring",
            "version": fixture.version.pk,
            "start_date": "2026-03-01",
            "end_date": "2026-02-01",
        },
    ).content.decode()
    assert "The end date is before the start date." in bad_dates
    response = client.post(
        url, {"name": "Spring", "version": fixture.version.pk, "start_date": "2026-03-01"}
    )
    assert response.status_code == 302
    with tenant_context(org_a):
        cohort = Cohort.objects.get(name="Spring")
        assert cohort.version_id == fixture.version.pk
        assert AuditEntry.objects.filter(action="created", object_type="Cohort").count() == 1
    duplicate = client.post(
        url, {"name": "spring", "version": fixture.version.pk, "start_date": "2026-03-01"}
    ).content.decode()
    assert "already a cohort called" in duplicate


def test_it_tells_the_admin_to_publish_a_pathway_first(client, org_a, org_b, admin_a):
    _draft(org_a)
    client.force_login(admin_a.user)
    page = client.get(f"/o/{org_a.slug}/cohorts/new/").content.decode()
    assert "No published pathway yet" in page


def test_it_adds_learners_by_filter_and_skips_those_already_in(client, org_a, org_b, admin_a):
    fixture = make_pathway(org_a)
    sales = _team(org_a, "Sales")
    already = make_member(org_a, "in@acme.example", team=sales, is_learner=True)
    enroll(org_a, fixture, already)
    for i in range(3):
        make_member(org_a, f"s{i}@acme.example", team=sales, is_learner=True)
    make_member(org_a, "coach@acme.example", team=sales, is_coach=True)  # not a learner
    make_member(org_a, "other@acme.example", is_learner=True)  # another team
    make_member(org_b, "b@globex.example", is_learner=True)
    client.force_login(admin_a.user)
    url = f"/o/{org_a.slug}/cohorts/{fixture.cohort.pk}/learners/add-matching/"
    preview = client.get(url, {"team": sales.pk}, HTTP_HX_REQUEST="true").content.decode()
    assert "<strong>3</strong> learners will be added." in preview
    assert "1 matching learner is already in the cohort and is skipped." in preview
    client.post(url, {"team": sales.pk})
    with tenant_context(org_a):
        emails = set(
            Enrollment.objects.filter(cohort=fixture.cohort).values_list(
                "learner__user__email", flat=True
            )
        )
    assert emails == {"in@acme.example", "s0@acme.example", "s1@acme.example", "s2@acme.example"}
    client.post(url, {"team": sales.pk})  # again: nothing new
    with tenant_context(org_a):
        assert Enrollment.objects.filter(cohort=fixture.cohort).count() == 4
        entry = AuditEntry.objects.get(action="enrolled", object_type="Cohort")
        assert entry.after["added"] == 3


def _titled(org, email, title, **kwargs):
    return make_member(org, email, is_learner=True, job_title=title, **kwargs)


def test_it_adds_learners_whose_job_title_contains_the_words_given(client, org_a, org_b, admin_a):
    fixture = make_pathway(org_a)
    sales = _team(org_a, "Sales")
    _titled(org_a, "sm@acme.example", "Sales Manager", team=sales)
    _titled(org_a, "om@acme.example", "OPERATIONS MANAGER")
    _titled(org_a, "eng@acme.example", "Engineer", team=sales)
    _titled(org_a, "mgmt@acme.example", "Management trainee")  # "manage", not "manager"
    _titled(org_b, "bm@globex.example", "Branch Manager")  # another organisation
    client.force_login(admin_a.user)
    url = f"/o/{org_a.slug}/cohorts/{fixture.cohort.pk}/learners/add-matching/"
    preview = client.get(url, {"job_title": " manager "}, HTTP_HX_REQUEST="true")
    assert "<strong>2</strong> learners will be added." in preview.content.decode()
    both = client.get(url, {"job_title": "Manager", "team": sales.pk}, HTTP_HX_REQUEST="true")
    assert "<strong>1</strong> learner will be added." in both.content.decode()
    client.post(url, {"job_title": "manager"})
    with tenant_context(org_a):
        emails = set(
            Enrollment.objects.filter(cohort=fixture.cohort).values_list(
                "learner__user__email", flat=True
            )
        )
        entry = AuditEntry.objects.get(action="enrolled", object_type="Cohort")
    assert emails == {"sm@acme.example", "om@acme.example"}
    assert entry.after["added"] == 2
    assert entry.after["learners"] == ["om@acme.example", "sm@acme.example"]
    assert entry.after["filter"]["job_title"] == "manager"
    assert "learners not listed" not in entry.after


def test_the_detail_page_links_to_the_filters_which_preview_as_they_change(
    client, org_a, org_b, admin_a
):
    fixture = make_pathway(org_a)
    make_member(org_a, "l@acme.example", is_learner=True)
    client.force_login(admin_a.user)
    base = f"/o/{org_a.slug}/cohorts/{fixture.cohort.pk}/"
    page = client.get(base).content.decode()
    assert 'name="job_title"' not in page and 'name="team"' not in page
    assert "Add by team, job title, role or function" in page
    assert f'<a class="btn btn--secondary" href="{base}learners/add-matching/">' in page
    filters = client.get(f"{base}learners/add-matching/").content.decode()
    assert 'name="job_title"' in filters and "Job title contains" in filters
    assert "Also holds the platform role" in filters and 'name="function"' in filters
    # Every change asks for the count again, into the preview; without htmx, a button does.
    assert f'hx-get="{base}learners/add-matching/" hx-trigger="change, input delay:400ms"' in (
        filters
    )
    assert 'hx-target="#matching-preview"' in filters
    assert 'type="submit" formmethod="get">Check how many</button>' in filters
    assert '<div id="matching-preview" class="stack" aria-live="polite">' in filters
    assert "<strong>1</strong> learner will be added." in filters
    # The button that adds comes after the one that counts: Enter in a field counts.
    assert filters.index("Check how many") < filters.index("Add 1 learner")


def test_an_unknown_filter_value_sends_back_to_the_filters(client, org_a, org_b, admin_a):
    fixture = make_pathway(org_a)
    client.force_login(admin_a.user)
    url = f"/o/{org_a.slug}/cohorts/{fixture.cohort.pk}/learners/add-matching/"
    assert client.get(url, {"team": 999999}).url == url
    htmx = client.get(url, {"team": 999999}, HTTP_HX_REQUEST="true")
    assert htmx.headers["HX-Redirect"] == url


def test_the_bulk_enrolment_audit_names_the_first_learners_and_counts_the_rest(
    org_a, org_b, admin_a, monkeypatch
):
    monkeypatch.setattr(services, "AUDIT_LEARNERS_LISTED", 3)
    fixture = make_pathway(org_a)
    for i in range(5):
        make_member(org_a, f"l{i}@acme.example", is_learner=True)
    with tenant_context(org_a):
        added = services.do_enrol_matching(admin_a.user, fixture.cohort, queries.LearnerFilter())
        entry = AuditEntry.objects.get(action="enrolled", object_type="Cohort")
    assert added == 5
    assert entry.after["learners"] == ["l0@acme.example", "l1@acme.example", "l2@acme.example"]
    assert entry.after["learners not listed"] == 2
    assert entry.after["added"] == 5


def test_the_matching_preview_runs_the_same_queries_for_3_and_30_learners(
    client, org_a, org_b, admin_a
):
    fixture = make_pathway(org_a)
    client.force_login(admin_a.user)
    url = f"/o/{org_a.slug}/cohorts/{fixture.cohort.pk}/learners/add-matching/"
    counts = []
    for start, stop in ((0, 3), (3, 30)):
        for i in range(start, stop):
            _titled(org_a, f"m{i:02d}@acme.example", "Team Manager")
        with count_queries() as ctx:
            page = client.get(url, {"job_title": "manager"}, HTTP_HX_REQUEST="true")
        counts.append(len(ctx.app_queries))
        assert f"<strong>{stop}</strong> learners will be added." in page.content.decode()
    assert counts[0] == counts[1]


def test_it_adds_one_learner_and_refuses_duplicates_and_non_learners(org_a, org_b, admin_a):
    fixture = make_pathway(org_a)
    leo = make_member(org_a, "leo@acme.example", is_learner=True)
    coach = make_member(org_a, "coach@acme.example", is_coach=True)
    with tenant_context(org_a):
        services.do_enrol_learner(admin_a.user, fixture.cohort, leo)
        with pytest.raises(ValidationError, match="already in this cohort"):
            services.do_enrol_learner(admin_a.user, fixture.cohort, leo)
        with pytest.raises(ValidationError, match="does not hold the learner role"):
            services.do_enrol_learner(admin_a.user, fixture.cohort, coach)
        assert Enrollment.objects.count() == 1


def test_withdrawing_keeps_the_enrolment_and_progress(client, org_a, org_b, admin_a):
    fixture = make_pathway(org_a)
    leo = make_member(org_a, "leo@acme.example", is_learner=True)
    enrollment = enroll(org_a, fixture, leo)
    with tenant_context(org_a):
        StepCompletion.objects.create(
            enrollment=enrollment, learner=leo, step_key=fixture.steps[0].key
        )
    client.force_login(admin_a.user)
    url = f"/o/{org_a.slug}/cohorts/{fixture.cohort.pk}/learners/{enrollment.pk}/withdraw/"
    assert client.post(url).status_code == 302
    with tenant_context(org_a):
        enrollment.refresh_from_db()
        assert enrollment.status == Enrollment.Status.WITHDRAWN
        assert StepCompletion.objects.filter(enrollment=enrollment).count() == 1
        assert AuditEntry.objects.filter(action="withdrew").count() == 1
        summary = programme_health().cohorts[0]
        assert summary.learners == 0
        # Adding them again restores the same enrolment with its progress.
        services.do_enrol_learner(admin_a.user, fixture.cohort, leo)
        enrollment.refresh_from_db()
        assert enrollment.status == Enrollment.Status.ACTIVE
        assert queries.cohort_detail(fixture.cohort.pk).learners[0].steps_done == 1


def test_it_assigns_coaches_and_sponsors_who_hold_the_role(client, org_a, org_b, admin_a):
    fixture = make_pathway(org_a)
    coach = make_member(org_a, "coach@acme.example", is_coach=True)
    sponsor = make_member(org_a, "sponsor@acme.example", is_sponsor=True)
    client.force_login(admin_a.user)
    base = f"/o/{org_a.slug}/cohorts/{fixture.cohort.pk}/staff"
    client.post(f"{base}/coach/add/", {"coach-email": "COACH@acme.example"})
    client.post(f"{base}/sponsor/add/", {"sponsor-email": sponsor.user.email})
    wrong = client.post(f"{base}/coach/add/", {"coach-email": sponsor.user.email}, follow=True)
    assert "sponsor@acme.example does not hold the coach role." in wrong.content.decode()
    unknown = client.post(f"{base}/coach/add/", {"coach-email": "nobody@acme.example"}, follow=True)
    assert "nobody@acme.example is not a member of this organisation." in unknown.content.decode()
    again = client.post(f"{base}/coach/add/", {"coach-email": coach.user.email}, follow=True)
    assert "coach@acme.example is already a coach of this cohort." in again.content.decode()
    with tenant_context(org_a):
        assert CohortCoach.objects.get().membership_id == coach.pk
        assert CohortSponsor.objects.get().membership_id == sponsor.pk
    page = client.get(f"/o/{org_a.slug}/cohorts/{fixture.cohort.pk}/").content.decode()
    assert "coach@acme.example" in page and "sponsor@acme.example" in page
    client.post(f"{base}/coach/{coach.pk}/remove/")
    with tenant_context(org_a):
        assert not CohortCoach.objects.exists()
        assert AuditEntry.objects.filter(object_type="Cohort coach").count() == 2


def test_the_detail_shows_progress_overdue_steps_and_who_has_not_started(
    client, org_a, org_b, admin_a
):
    start = timezone.localdate() - dt.timedelta(days=20)
    fixture = make_pathway(org_a, n_steps=3, start=start)
    with tenant_context(org_a):
        Step.objects.filter(pk=fixture.steps[0].pk).update(due_offset_days=7)  # overdue
        Step.objects.filter(pk=fixture.steps[1].pk).update(due_offset_days=60)  # not yet due
    ada = make_member(org_a, "ada@acme.example", is_learner=True)
    bo = make_member(org_a, "bo@acme.example", is_learner=True)
    cy = make_member(org_a, "cy@acme.example", is_learner=True)
    e_ada = enroll(org_a, fixture, ada)
    enroll(org_a, fixture, bo)
    e_cy = enroll(org_a, fixture, cy)
    with tenant_context(org_a):
        for step in fixture.steps[:2]:
            StepCompletion.objects.create(enrollment=e_ada, learner=ada, step_key=step.key)
        Enrollment.objects.filter(pk=e_cy.pk).update(status="withdrawn")
        detail = queries.cohort_detail(fixture.cohort.pk)
        do_rollup_progress(org_a)  # the facts above were written directly, not by services
        [summary] = programme_health().cohorts
    rows = {lp.email: lp for lp in detail.learners}
    assert (rows["ada@acme.example"].steps_done, rows["ada@acme.example"].steps_total) == (2, 3)
    assert rows["ada@acme.example"].overdue == []
    assert rows["bo@acme.example"].overdue == ["Leading Through Change module 1"]
    assert rows["bo@acme.example"].not_started and not rows["cy@acme.example"].not_started
    assert (detail.active, detail.withdrawn, detail.not_started) == (2, 1, 1)
    assert (detail.overdue_steps, detail.steps_done, detail.steps_possible) == (1, 2, 6)
    assert (summary.learners, summary.not_started, summary.overdue_steps) == (2, 1, 1)
    assert (summary.steps_done, summary.steps_total, summary.percent) == (2, 6, 33)
    assert (summary.learners_overdue, summary.pending) == (1, 0)
    client.force_login(admin_a.user)
    overdue = client.get(
        f"/o/{org_a.slug}/cohorts/{fixture.cohort.pk}/", {"show": "overdue"}
    ).content.decode()
    assert "bo@acme.example" in overdue and "ada@acme.example" not in overdue
    home = client.get(f"/o/{org_a.slug}/").content.decode()
    assert "33% · 2 of 6 required steps" in home
    assert f"/o/{org_a.slug}/cohorts/{fixture.cohort.pk}/?show=overdue" in home


def test_a_learner_gets_404_on_cohort_pages(client, org_a, org_b, admin_a):
    fixture = make_pathway(org_a)
    leo = make_member(org_a, "leo@acme.example", is_learner=True)
    client.force_login(leo.user)
    for path in ("cohorts/", "cohorts/new/", f"cohorts/{fixture.cohort.pk}/"):
        assert client.get(f"/o/{org_a.slug}/{path}").status_code == 404, path


def test_another_organisations_cohort_is_404_under_ones_own_slug(client, org_a, org_b):
    fixture = make_pathway(org_a)
    leo = make_member(org_a, "leo@acme.example", is_learner=True)
    enrollment = enroll(org_a, fixture, leo)
    intruder = make_member(org_b, "intruder@globex.example", is_admin=True, is_learner=True)
    make_pathway(org_b, name="Globex path")
    client.force_login(intruder.user)
    base = f"/o/{org_b.slug}/cohorts/{fixture.cohort.pk}"
    for url in (f"{base}/", f"{base}/edit/", f"{base}/learners/add-matching/"):
        assert client.get(url).status_code == 404, url
    for url in (
        f"{base}/learners/{enrollment.pk}/withdraw/",
        f"{base}/learners/add/",
        f"{base}/staff/coach/add/",
        f"{base}/staff/coach/{leo.pk}/remove/",
    ):
        assert client.post(url, {"email": "intruder@globex.example"}).status_code == 404, url
    with tenant_context(org_a):
        assert Enrollment.objects.get(pk=enrollment.pk).status == "active"
        assert Enrollment.objects.count() == 1


def test_another_organisations_cohort_cannot_be_changed_under_ones_own_slug(client, org_a, org_b):
    fixture = make_pathway(org_a)
    make_member(org_a, "leo@acme.example", is_learner=True)
    intruder = make_member(org_b, "intruder@globex.example", is_admin=True, is_learner=True)
    make_pathway(org_b, name="Globex path")
    client.force_login(intruder.user)
    base = f"/o/{org_b.slug}/cohorts/{fixture.cohort.pk}"
    edit = {"name": "Hijacked", "start_date": "2026-01-05", "status": "archived"}
    assert client.post(f"{base}/edit/", edit).status_code == 404
    assert client.post(f"{base}/learners/add-matching/", {}).status_code == 404
    with tenant_context(org_a):
        cohort = Cohort.objects.get(pk=fixture.cohort.pk)
        assert (cohort.name, cohort.status) == (fixture.cohort.name, fixture.cohort.status)
        assert not Enrollment.objects.exists()
        assert not AuditEntry.objects.filter(object_type="Cohort").exists()


def test_another_organisations_people_cannot_be_used_in_ones_own_cohort(client, org_a, org_b):
    """Ids and e-mails from another organisation, under one's own cohort: 404 or refused."""
    theirs = make_pathway(org_a)
    leo = make_member(org_a, "leo@acme.example", is_learner=True, is_coach=True)
    their_enrollment = enroll(org_a, theirs, leo)
    with tenant_context(org_a):
        CohortCoach.objects.create(cohort=theirs.cohort, membership=leo)
    sales = _team(org_a, "Sales")
    intruder = make_member(org_b, "intruder@globex.example", is_admin=True)
    mine = make_pathway(org_b, name="Globex path")
    client.force_login(intruder.user)
    base = f"/o/{org_b.slug}/cohorts/{mine.cohort.pk}"
    assert client.post(f"{base}/learners/{their_enrollment.pk}/withdraw/").status_code == 404
    assert client.post(f"{base}/staff/coach/{leo.pk}/remove/").status_code == 404
    refusals = {
        f"{base}/learners/add/": (
            {"email": "leo@acme.example"},
            "leo@acme.example is not a member of this organisation",
        ),
        f"{base}/staff/coach/add/": (
            {"coach-email": "leo@acme.example"},
            "leo@acme.example is not a member of this organisation.",
        ),
        f"{base}/learners/add-matching/": (
            {"team": sales.pk},
            "Choose the filter again: one of its values is not known.",
        ),
    }
    for url, (data, message) in refusals.items():
        page = client.post(url, data, follow=True)
        assert page.status_code == 200 and message in page.content.decode(), url
    with tenant_context(org_b):
        assert not Enrollment.objects.exists()
        assert not CohortCoach.objects.exists()
    with tenant_context(org_a):
        assert Enrollment.objects.get(pk=their_enrollment.pk).status == "active"
        assert CohortCoach.objects.filter(cohort=theirs.cohort, membership=leo).exists()


def _grow(org, fixture, start, stop):
    for i in range(start, stop):
        member = make_member(org, f"l{i:03d}@acme.example", is_learner=True)
        enrollment = enroll(org, fixture, member)
        with tenant_context(org):
            StepCompletion.objects.create(
                enrollment=enrollment, learner=member, step_key=fixture.steps[0].key
            )


@pytest.mark.parametrize(
    "path", ["", "cohorts/", "cohorts/{cohort}/", "cohorts/{cohort}/?show=overdue"]
)
def test_cohort_pages_run_the_same_queries_for_5_and_50_learners(
    client, org_a, org_b, admin_a, path
):
    fixture = make_pathway(org_a)
    second = make_pathway(org_a, name="Second pathway")
    client.force_login(admin_a.user)
    url = f"/o/{org_a.slug}/" + path.format(cohort=fixture.cohort.pk)
    counts = []
    for start, stop in ((0, 5), (5, 50)):
        _grow(org_a, fixture, start, stop)
        _grow(org_a, second, 100 + start, 100 + stop)
        with count_queries() as ctx:
            assert client.get(url).status_code == 200
        counts.append(len(ctx.app_queries))
    assert counts[0] == counts[1]


def test_admins_edit_a_cohorts_name_dates_and_status(client, org_a, org_b, admin_a):
    fixture = make_pathway(org_a)
    client.force_login(admin_a.user)
    url = f"/o/{org_a.slug}/cohorts/{fixture.cohort.pk}/edit/"
    assert "Leading Through Change v1" in client.get(url).content.decode()
    response = client.post(
        url,
        {
            "name": "Autumn leaders",
            "start_date": "2026-09-01",
            "end_date": "2026-12-15",
            "status": "planned",
        },
    )
    assert response.status_code == 302
    with tenant_context(org_a):
        cohort = Cohort.objects.get(pk=fixture.cohort.pk)
        assert (cohort.name, cohort.status) == ("Autumn leaders", "planned")
        assert cohort.end_date == dt.date(2026, 12, 15)
        entry = AuditEntry.objects.get(action="updated", object_type="Cohort")
        assert entry.after["name"] == "Autumn leaders"
    listing = client.get(f"/o/{org_a.slug}/cohorts/").content.decode()
    assert "Autumn leaders" in listing and "15 Dec 2026" in listing


def test_the_cohort_list_teaches_when_empty(client, org_a, org_b, admin_a):
    client.force_login(admin_a.user)
    page = client.get(f"/o/{org_a.slug}/cohorts/").content.decode()
    assert "No cohorts yet" in page and f"/o/{org_a.slug}/cohorts/new/" in page


def test_it_shows_each_learner_the_steps_they_owe_after_personalisation(org_a, org_b):
    from competencies.models import Competency, Framework
    from pathways.models import PersonalisationRule, SelfAssessment, StepCompletion

    fixture = make_pathway(org_a, n_steps=2)
    leo = make_member(org_a, "leo@a.example", is_learner=True)
    enrollment = enroll(org_a, fixture, leo)
    with tenant_context(org_a):
        framework = Framework.objects.create(name="Leadership")
        feedback = Competency.objects.create(framework=framework, name="Feedback")
        PersonalisationRule.objects.create(
            step=fixture.steps[1], competency=feedback, action="include_below", threshold=3
        )
        SelfAssessment.objects.create(enrollment=enrollment, competency=feedback, rating=4)
        StepCompletion.objects.create(
            enrollment=enrollment, learner=leo, step_key=fixture.steps[0].key
        )
        [row] = queries.cohort_detail(fixture.cohort.pk).learners
    assert (row.steps_done, row.steps_total, row.percent) == (1, 1, 100)
