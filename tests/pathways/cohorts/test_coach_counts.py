"""Each coach's coachees counted at write time (``CoachCounts``, kept by PostgreSQL triggers):
after every write that may change them, whatever code makes it (the services, a bulk insert, a
queryset update or delete, an erasure, a deletion, a coach assigned or taken off), the kept row
equals the coach's people counted now, a person in two of the coach's cohorts once; two
enrolments at once both count, of two people or of one person in two cohorts; the nightly
repair sets a drifted row right; coach home reads the kept row."""

from __future__ import annotations

import pytest
from django.db import connection

from coaching import queries as coaching_queries
from organizations.gdpr.services import do_erase_person
from organizations.models import Membership
from organizations.tenancy import tenant_context
from pathways.cohorts import counts
from pathways.cohorts import services as cohort_services
from pathways.cohorts.queries import LearnerFilter
from pathways.models import CoachCounts, Cohort, CohortCoach, Enrollment
from tests.conftest import count_queries, enroll, make_member, make_pathway
from tests.races import race

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the counts are kept by PostgreSQL triggers"
)


def _kept() -> dict[int, int]:
    return dict(CoachCounts.objects.values_list("coach_id", "learners"))


def _check(org, expected: dict[Membership, int]):
    """The kept rows of the organisation equal its coaches' people counted now, and those of
    ``expected`` are those (a coach of no cohort has no row, or a row of none)."""
    with tenant_context(org):
        kept = _kept()
        live = counts.live_coach_learners()
        assert {coach: n for coach, n in kept.items() if coach in live} == live
        assert {coach.pk: kept.get(coach.pk, 0) for coach in expected} == {
            coach.pk: n for coach, n in expected.items()
        }


@postgresql_only
def test_every_write_path_keeps_the_counts_exact(org_a, org_b, admin_a):
    first = make_pathway(org_a, n_steps=1, name="First")
    second = make_pathway(org_a, n_steps=1, name="Second")
    other = make_pathway(org_b, n_steps=1, name="Elsewhere")
    kim = make_member(org_a, "kim@a.example", is_coach=True)
    lee = make_member(org_a, "lee@a.example", is_coach=True)
    b_coach = make_member(org_b, "coach@b.example", is_coach=True)
    people = [make_member(org_a, f"l{i}@a.example", is_learner=True) for i in range(5)]
    for person in people[:2]:
        enroll(org_a, first, person)
    enroll(org_b, other, make_member(org_b, "b@b.example", is_learner=True))

    with tenant_context(org_a):
        # A coach assigned a cohort (the cohort page's form) gets a row, counted.
        cohort_services.do_assign_staff(admin_a.user, first.cohort, "coach", kim)
        # Assigned a second cohort in bulk, with someone already in the first.
        enroll(org_a, second, people[0])
        CohortCoach.objects.bulk_create(
            [
                CohortCoach(organization_id=org_a.pk, cohort=second.cohort, membership=kim),
                CohortCoach(organization_id=org_a.pk, cohort=second.cohort, membership=lee),
            ]
        )
    with tenant_context(org_b):
        cohort_services.do_assign_staff(None, other.cohort, "coach", b_coach)
    _check(org_a, {kim: 2, lee: 1})
    _check(org_b, {b_coach: 1})

    with tenant_context(org_a):
        # One enrolment, then everyone matching a filter at once (one bulk insert).
        cohort_services.do_enrol_learner(admin_a.user, second.cohort, people[1])  # in both
        added = cohort_services.do_enrol_matching(admin_a.user, first.cohort, LearnerFilter())
    assert added == 3
    _check(org_a, {kim: 5, lee: 2})

    with tenant_context(org_a):
        # Withdrawn from one of two cohorts: still a coachee; from both: not.
        ada_first = Enrollment.objects.get(cohort=first.cohort, learner=people[0])
        cohort_services.do_withdraw(admin_a.user, ada_first)
    _check(org_a, {kim: 5, lee: 2})
    with tenant_context(org_a):
        ada_second = Enrollment.objects.get(cohort=second.cohort, learner=people[0])
        cohort_services.do_withdraw(admin_a.user, ada_second)
    _check(org_a, {kim: 4, lee: 1})
    with tenant_context(org_a):
        cohort_services.do_enrol_learner(admin_a.user, second.cohort, people[0])  # restored
    _check(org_a, {kim: 5, lee: 2})

    with tenant_context(org_a):
        # An enrolment moved to another cohort (a queryset update), or to another person.
        Enrollment.objects.filter(cohort=first.cohort, learner=people[4]).update(
            cohort=second.cohort
        )
    _check(org_a, {kim: 5, lee: 3})
    with tenant_context(org_a):
        # A status change that moves no one (a completion) counts nothing again.
        Enrollment.objects.filter(learner=people[4]).update(status=Enrollment.Status.COMPLETED)
    _check(org_a, {kim: 5, lee: 3})

    with tenant_context(org_a):
        # An erasure keeps the enrolments; a person deleted takes theirs; a bulk delete.
        do_erase_person(admin_a.user, people[1], people[1].user.email)
    _check(org_a, {kim: 5, lee: 3})
    with tenant_context(org_a):
        Membership.objects.get(pk=people[3].pk).delete()
    _check(org_a, {kim: 4, lee: 3})
    with tenant_context(org_a):
        Enrollment.objects.filter(learner=people[2]).delete()  # in the first cohort only
    _check(org_a, {kim: 3, lee: 3})

    with tenant_context(org_a):
        # A coach taken off a cohort (the cohort page), then a cohort deleted.
        cohort_services.do_remove_staff(admin_a.user, second.cohort, "coach", lee)
    _check(org_a, {kim: 3, lee: 0})
    with tenant_context(org_a):
        Cohort.objects.filter(pk=first.cohort.pk).delete()
    _check(org_a, {kim: 3, lee: 0})
    with tenant_context(org_a):
        # A coach deleted takes their row with them.
        Membership.objects.get(pk=kim.pk).delete()
        assert not CoachCounts.objects.filter(coach_id=kim.pk).exists()
    _check(org_b, {b_coach: 1})  # the other organisation's rows never moved
    with tenant_context(org_b):
        assert not CoachCounts.objects.filter(coach_id=lee.pk).exists()  # not visible there


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_two_enrolments_at_once_both_count(org_a, admin_a):
    first = make_pathway(org_a, n_steps=1, name="First")
    second = make_pathway(org_a, n_steps=1, name="Second")
    coach = make_member(org_a, "coach@a.example", is_coach=True)
    ada = make_member(org_a, "ada@a.example", is_learner=True)
    bo = make_member(org_a, "bo@a.example", is_learner=True)
    with tenant_context(org_a):
        for fixture in (first, second):
            cohort_services.do_assign_staff(None, fixture.cohort, "coach", coach)
    # Two people into the coach's two cohorts at once: each counts the other's.
    outcome = race(
        org_a,
        lambda: cohort_services.do_enrol_learner(admin_a.user, first.cohort, ada),
        lambda: cohort_services.do_enrol_learner(admin_a.user, second.cohort, bo),
    )
    assert isinstance(outcome, Enrollment)
    _check(org_a, {coach: 2})
    # One person into both at once: one coachee.
    cy = make_member(org_a, "cy@a.example", is_learner=True)
    outcome = race(
        org_a,
        lambda: cohort_services.do_enrol_learner(admin_a.user, first.cohort, cy),
        lambda: cohort_services.do_enrol_learner(admin_a.user, second.cohort, cy),
    )
    assert isinstance(outcome, Enrollment)
    _check(org_a, {coach: 3})


@postgresql_only
def test_the_repair_sets_a_drifted_row_right(org_a, org_b):
    fixture = make_pathway(org_a, n_steps=1)
    other = make_pathway(org_b, n_steps=1)
    coach = make_member(org_a, "coach@a.example", is_coach=True)
    b_coach = make_member(org_b, "coach@b.example", is_coach=True)
    for i in range(3):
        enroll(org_a, fixture, make_member(org_a, f"l{i}@a.example", is_learner=True))
    enroll(org_b, other, make_member(org_b, "b@b.example", is_learner=True))
    with tenant_context(org_a):
        cohort_services.do_assign_staff(None, fixture.cohort, "coach", coach)
    with tenant_context(org_b):
        cohort_services.do_assign_staff(None, other.cohort, "coach", b_coach)
    with tenant_context(org_a):
        assert counts.repair_coaches() == []  # nothing drifted
        CoachCounts.objects.filter(coach=coach).update(learners=7)
        assert counts.repair_coaches() == [coach.pk]
    _check(org_a, {coach: 3})
    with tenant_context(org_a):
        CoachCounts.objects.filter(coach=coach).delete()  # a row missing is made, counted
        assert counts.repair_coaches() == [coach.pk]
    _check(org_a, {coach: 3})
    with tenant_context(org_b):
        CoachCounts.objects.filter(coach=b_coach).update(learners=0)
        assert counts.repair_coaches() == [b_coach.pk]  # its own rows only
    _check(org_b, {b_coach: 1})


def test_coach_home_reads_the_kept_row(org_a):
    """On PostgreSQL the summary reads the coach's kept row, not the enrolments' people; the
    figure is the same either way."""
    coach = make_member(org_a, "coach@a.example", is_coach=True)
    fixture = make_pathway(org_a, n_steps=1)
    enroll(org_a, fixture, make_member(org_a, "p@a.example", is_learner=True))
    with tenant_context(org_a):
        CohortCoach.objects.create(cohort=fixture.cohort, membership=coach)
        with count_queries() as ctx:
            summary = coaching_queries.roster_summary(coach)
    assert (summary.enrolments, summary.learners) == (1, 1)
    (sql,) = [q["sql"] for q in ctx.captured_queries if "en CROSS JOIN" in q["sql"]]
    if connection.vendor == "postgresql":
        assert "pathways_coachcounts" in sql and "COUNT(DISTINCT" not in sql
    else:
        assert "pathways_coachcounts" not in sql and "COUNT(DISTINCT se.learner_id)" in sql
