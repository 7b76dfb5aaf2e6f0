"""The coach's home: the learners of the cohorts they coach, with progress from the roll-up, and
who to talk to first."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from measurement.services import do_rollup_progress
from organizations.tenancy import tenant_context
from pathways.models import CohortCoach, StepCompletion
from tests.conftest import count_queries, enroll, make_member, make_pathway


def _cohort_with_learners(org, coach, n, prefix):
    """``n`` learners; the first finished two steps, the rest none; step 1 fell due last week."""
    fixture = make_pathway(org, start=timezone.localdate() - dt.timedelta(days=20))
    with tenant_context(org):
        CohortCoach.objects.create(cohort=fixture.cohort, membership=coach)
        fixture.steps[0].due_offset_days = 10
        fixture.steps[0].save()
    learners = []
    for i in range(n):
        member = make_member(org, f"{prefix}{i}@{org.slug}.example", is_learner=True)
        enrollment = enroll(org, fixture, member)
        if i == 0:
            with tenant_context(org):
                for step in fixture.steps[:2]:
                    StepCompletion.objects.create(
                        enrollment=enrollment, learner=member, step_key=step.key
                    )
        learners.append(member)
    with tenant_context(org):
        do_rollup_progress(org)
    return fixture, learners


def test_it_lists_coachees_with_progress_and_who_needs_attention(client, org_a, org_b):
    coach = make_member(org_a, "cora@a.example", is_coach=True)
    _cohort_with_learners(org_a, coach, 3, "l")
    client.force_login(coach.user)
    page = client.get(f"/o/{org_a.slug}/").content.decode()
    assert "50% · 2 of 4 required steps" in page
    assert "Talk to these coachees first" in page
    assert page.count("1 step overdue") == 2  # the two who have not done the step due last week
    assert "with overdue steps" in page and "not started" in page


def test_it_shows_nothing_of_cohorts_the_coach_does_not_coach(client, org_a, org_b):
    coach = make_member(org_a, "cora@a.example", is_coach=True)
    other = make_member(org_a, "otto@a.example", is_coach=True)
    _cohort_with_learners(org_a, other, 2, "coachee")
    client.force_login(coach.user)
    page = client.get(f"/o/{org_a.slug}/").content.decode()
    assert "No coachees yet" in page and "Coachee0" not in page


def test_it_gives_404_to_another_organisations_coach(client, org_a, org_b):
    coach_a = make_member(org_a, "cora@a.example", is_coach=True)
    _cohort_with_learners(org_a, coach_a, 2, "coachee")
    coach_b = make_member(org_b, "bea@b.example", is_coach=True)
    client.force_login(coach_b.user)
    assert client.get(f"/o/{org_a.slug}/").status_code == 404
    assert "Coachee0" not in client.get(f"/o/{org_b.slug}/").content.decode()


def _queries(client, org, n):
    coach = make_member(org, f"coach{n}@{org.slug}.example", is_coach=True)
    _cohort_with_learners(org, coach, n, f"q{n}-")
    client.force_login(coach.user)
    url = f"/o/{org.slug}/"
    client.get(url)
    with count_queries() as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_it_reads_the_roster_in_constant_queries(client, org_a, org_b):
    assert _queries(client, org_a, 3) == _queries(client, org_b, 30)
