"""The coach's enrolments and the people they are: read from the cohorts' and the coach's kept
counts on PostgreSQL (``pathways.cohorts.counts``; tests/pathways/cohorts/test_coach_counts.py
reads which), counted from the enrolments elsewhere; the same figures either way, a person in
two of the coach's cohorts counted once among the people."""

from __future__ import annotations

from coaching import queries
from organizations.tenancy import tenant_context
from pathways.models import CohortCoach, Enrollment
from tests.conftest import enroll, make_member, make_pathway


def _figures(org, coach):
    with tenant_context(org):
        summary = queries.roster_summary(coach)
        cohorts = CohortCoach.objects.filter(membership=coach).values("cohort_id")
        live = Enrollment.objects.filter(cohort_id__in=cohorts).exclude(
            status=Enrollment.Status.WITHDRAWN
        )
        return (
            (summary.enrolments, summary.learners),
            (live.count(), live.values("learner_id").distinct().count()),
        )


def test_one_cohort_and_two_with_a_person_in_both(org_a, org_b):
    coach = make_member(org_a, "coach@a.example", is_coach=True)
    people = [make_member(org_a, f"p{i}@a.example", is_learner=True) for i in range(4)]
    first = make_pathway(org_a, n_steps=1, name="First")
    for person in people:
        enroll(org_a, first, person)
    with tenant_context(org_a):
        CohortCoach.objects.create(cohort=first.cohort, membership=coach)
        Enrollment.objects.filter(learner=people[3]).update(status=Enrollment.Status.WITHDRAWN)
    # Another organisation's enrolments are never counted.
    other = make_pathway(org_b, n_steps=1, name="Elsewhere")
    enroll(org_b, other, make_member(org_b, "q@b.example", is_learner=True))
    read, live = _figures(org_a, coach)
    assert read == live == (3, 3)

    second = make_pathway(org_a, n_steps=1, name="Second")
    enroll(org_a, second, people[0])  # in both of the coach's cohorts
    enroll(org_a, second, make_member(org_a, "new@a.example", is_learner=True))
    with tenant_context(org_a):
        CohortCoach.objects.create(cohort=second.cohort, membership=coach)
    read, live = _figures(org_a, coach)
    assert read == live == (5, 4)


def test_two_cohorts_count_a_person_in_both_once_whichever_is_smaller(org_a, org_b):
    """With two cohorts a person in both is one person: the same as counting the distinct
    people, whichever cohort is the smaller, with withdrawals in either, at equal sizes, and
    with a third cohort."""
    coach = make_member(org_a, "coach@a.example", is_coach=True)
    people = [make_member(org_a, f"p{i}@a.example", is_learner=True) for i in range(6)]
    small = make_pathway(org_a, n_steps=1, name="Small")  # the lower id, fewer people
    large = make_pathway(org_a, n_steps=1, name="Large")
    for person in people[:2]:
        enroll(org_a, small, person)
    for person in people:
        enroll(org_a, large, person)  # people 0 and 1 in both
    with tenant_context(org_a):
        CohortCoach.objects.create(cohort=small.cohort, membership=coach)
        CohortCoach.objects.create(cohort=large.cohort, membership=coach)
    # The same people elsewhere are not theirs: another organisation's enrolments.
    other = make_pathway(org_b, n_steps=1, name="Elsewhere")
    enroll(org_b, other, make_member(org_b, "p0@a.example", is_learner=True))
    read, live = _figures(org_a, coach)
    assert read == live == (8, 6)

    # The larger cohort first (the lower id): a third cohort, made later, of five of them.
    with tenant_context(org_a):
        CohortCoach.objects.filter(membership=coach, cohort=small.cohort).delete()
    first = make_pathway(org_a, n_steps=1, name="Third")
    for person in people[:5]:
        enroll(org_a, first, person)
    with tenant_context(org_a):
        CohortCoach.objects.create(cohort=first.cohort, membership=coach)
    read, live = _figures(org_a, coach)
    assert read == live == (11, 6)

    # A withdrawal in the larger cohort of a person in both: counted once, from the other.
    with tenant_context(org_a):
        Enrollment.objects.filter(learner=people[0], cohort=large.cohort).update(
            status=Enrollment.Status.WITHDRAWN
        )
    read, live = _figures(org_a, coach)
    assert read == live == (10, 6)
    # And in the smaller one as well: not counted at all.
    with tenant_context(org_a):
        Enrollment.objects.filter(learner=people[0], cohort=first.cohort).update(
            status=Enrollment.Status.WITHDRAWN
        )
    read, live = _figures(org_a, coach)
    assert read == live == (9, 5)

    # Equal sizes, every person in both.
    with tenant_context(org_a):
        Enrollment.objects.filter(learner=people[0]).update(status=Enrollment.Status.ACTIVE)
        Enrollment.objects.filter(learner=people[5], cohort=large.cohort).delete()
    read, live = _figures(org_a, coach)
    assert read == live == (10, 5)

    # Three cohorts: the people counted among the enrolments.
    with tenant_context(org_a):
        CohortCoach.objects.create(cohort=small.cohort, membership=coach)
    read, live = _figures(org_a, coach)
    assert read == live == (12, 5)
