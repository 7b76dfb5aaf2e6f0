"""Each cohort's enrolments counted at write time (``CohortCounts``, kept by PostgreSQL triggers):
after every write that changes them, whatever code makes it (the services, a bulk insert, a
queryset update or delete, an erasure, a deletion), the kept row equals the enrolments counted
now; two enrolments at once both count; the nightly repair sets a drifted row right; the cohort
page and coach home's reader read the kept row."""

from __future__ import annotations

import pytest
from django.db import connection
from django.urls import reverse

from organizations.gdpr.services import do_erase_person
from organizations.models import Membership
from organizations.people.services import do_deactivate_person, do_reactivate_person
from organizations.tenancy import tenant_context
from pathways import services as pathway_services
from pathways.cohorts import counts
from pathways.cohorts import services as cohort_services
from pathways.cohorts.queries import LearnerFilter, cohort_page
from pathways.models import Cohort, CohortCounts, Enrollment
from tests.conftest import enroll, make_member, make_pathway
from tests.races import race

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the counts are kept by PostgreSQL triggers"
)


def _kept() -> dict[int, tuple[int, int, int]]:
    return {
        k.cohort_id: (k.enrolments, k.withdrawn, k.inactive)
        for k in CohortCounts.objects.all()
        if k.enrolments or k.withdrawn or k.inactive
    }


def _live() -> dict[int, tuple[int, int, int]]:
    return {
        pk: (c.enrolments, c.withdrawn, c.inactive) for pk, c in counts.live_cohort_counts().items()
    }


def _check(org, cohort=None, expected=None):
    """The kept rows of the organisation equal its enrolments counted now; with ``expected``,
    the cohort's (enrolments, withdrawn, inactive) are those."""
    with tenant_context(org):
        assert _kept() == _live()
        if cohort is not None:
            assert CohortCounts.objects.filter(cohort=cohort).count() == 1
            k = CohortCounts.objects.get(cohort=cohort)
            assert (k.enrolments, k.withdrawn, k.inactive) == expected


@postgresql_only
def test_every_write_path_keeps_the_counts_exact(org_a, org_b, admin_a):
    fixture = make_pathway(org_a, n_steps=2)
    other = make_pathway(org_b, n_steps=1)
    cohort = fixture.cohort
    _check(org_a, cohort, (0, 0, 0))  # a new cohort has its row
    people = [make_member(org_a, f"l{i}@a.example", is_learner=True) for i in range(5)]
    b_people = [make_member(org_b, f"b{i}@b.example", is_learner=True) for i in range(2)]
    for person in b_people:
        enroll(org_b, other, person)
    _check(org_b, other.cohort, (2, 0, 0))

    with tenant_context(org_a):
        # One enrolment (the page's form).
        ada = cohort_services.do_enrol_learner(admin_a.user, cohort, people[0])
    _check(org_a, cohort, (1, 0, 0))
    with tenant_context(org_a):
        # Everyone matching a filter at once (one bulk insert).
        added = cohort_services.do_enrol_matching(admin_a.user, cohort, LearnerFilter())
    assert added == 4
    _check(org_a, cohort, (5, 0, 0))

    with tenant_context(org_a):
        cohort_services.do_withdraw(admin_a.user, ada)  # withdrawn
    _check(org_a, cohort, (5, 1, 0))
    with tenant_context(org_a):
        cohort_services.do_enrol_learner(admin_a.user, cohort, people[0])  # restored
    _check(org_a, cohort, (5, 0, 0))

    with tenant_context(org_a):
        # Completion: the last step done completes the enrolment (its status changes, the
        # counts do not), and an undo reopens it.
        bo = Enrollment.objects.get(cohort=cohort, learner=people[1])
        for step in fixture.steps:
            pathway_services.do_complete_step(people[1], bo.pk, step.pk)
        assert Enrollment.objects.get(pk=bo.pk).status == Enrollment.Status.COMPLETED
    _check(org_a, cohort, (5, 0, 0))
    with tenant_context(org_a):
        pathway_services.do_undo_step_completion(people[1], bo.pk, fixture.steps[-1].pk)
        assert Enrollment.objects.get(pk=bo.pk).status == Enrollment.Status.ACTIVE
    _check(org_a, cohort, (5, 0, 0))

    with tenant_context(org_a):
        # A person switched off, then on (the people page); a people import switching several
        # off at once is a bulk update.
        do_deactivate_person(admin_a.user, people[2])
    _check(org_a, cohort, (5, 0, 1))
    with tenant_context(org_a):
        cohort_services.do_withdraw(
            admin_a.user, Enrollment.objects.get(cohort=cohort, learner=people[2])
        )  # a deactivated person withdrawn: no longer counted as inactive
    _check(org_a, cohort, (5, 1, 0))
    with tenant_context(org_a):
        do_reactivate_person(admin_a.user, Membership.objects.get(pk=people[2].pk))
    _check(org_a, cohort, (5, 1, 0))
    with tenant_context(org_a):
        Membership.objects.filter(pk__in=[people[3].pk, people[4].pk]).update(is_active=False)
    _check(org_a, cohort, (5, 1, 2))
    with tenant_context(org_a):
        Membership.objects.filter(pk=people[4].pk).update(is_active=True)
    _check(org_a, cohort, (5, 1, 1))

    with tenant_context(org_a):
        # An erasure keeps the enrolments others' figures count.
        do_erase_person(admin_a.user, people[1], people[1].user.email)
    _check(org_a, cohort, (5, 1, 1))

    with tenant_context(org_a):
        # A person deleted takes their enrolments with them; enrolments deleted in bulk.
        Membership.objects.get(pk=people[3].pk).delete()
    _check(org_a, cohort, (4, 1, 0))
    with tenant_context(org_a):
        Enrollment.objects.filter(cohort=cohort, learner=people[4]).delete()
    _check(org_a, cohort, (3, 1, 0))

    second = make_pathway(org_a, n_steps=1, name="Second")
    newcomers = [make_member(org_a, f"n{i}@a.example", is_learner=True) for i in range(3)]
    with tenant_context(org_a):
        # The demo's and the bench's bulk inserts, into two cohorts at once.
        Enrollment.objects.bulk_create(
            [
                Enrollment(organization_id=org_a.pk, cohort=c.cohort, learner=m, version=c.version)
                for m in newcomers
                for c in (fixture, second)
            ]
            + [
                Enrollment(
                    organization_id=org_a.pk,
                    cohort=second.cohort,
                    learner=people[0],
                    version=second.version,
                    status=Enrollment.Status.WITHDRAWN,
                )
            ]
        )
    _check(org_a, cohort, (6, 1, 0))
    _check(org_a, second.cohort, (4, 1, 0))
    with tenant_context(org_a):
        # A cohort deleted takes its row with it.
        Cohort.objects.filter(pk=second.cohort.pk).delete()
        assert not CohortCounts.objects.filter(cohort_id=second.cohort.pk).exists()
    _check(org_a, cohort, (6, 1, 0))
    _check(org_b, other.cohort, (2, 0, 0))  # the other organisation's rows never moved
    with tenant_context(org_b):
        assert not CohortCounts.objects.filter(cohort=cohort).exists()  # not visible there


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_two_enrolments_at_once_both_count(org_a, admin_a):
    fixture = make_pathway(org_a, n_steps=1)
    ada = make_member(org_a, "ada@a.example", is_learner=True)
    bo = make_member(org_a, "bo@a.example", is_learner=True)
    outcome = race(
        org_a,
        lambda: cohort_services.do_enrol_learner(admin_a.user, fixture.cohort, ada),
        lambda: cohort_services.do_enrol_learner(admin_a.user, fixture.cohort, bo),
    )
    assert isinstance(outcome, Enrollment)
    _check(org_a, fixture.cohort, (2, 0, 0))


@postgresql_only
def test_the_repair_sets_a_drifted_row_right(org_a, org_b):
    fixture = make_pathway(org_a, n_steps=1)
    second = make_pathway(org_a, n_steps=1, name="Second")
    other = make_pathway(org_b, n_steps=1)
    for i in range(3):
        enroll(org_a, fixture, make_member(org_a, f"l{i}@a.example", is_learner=True))
    enroll(org_b, other, make_member(org_b, "b@b.example", is_learner=True))
    with tenant_context(org_a):
        assert counts.repair() == []  # nothing drifted
        CohortCounts.objects.filter(cohort=fixture.cohort).update(enrolments=7, inactive=2)
        CohortCounts.objects.filter(cohort=second.cohort).delete()
        assert counts.repair() == [fixture.cohort.pk]
        assert CohortCounts.objects.filter(cohort=second.cohort).exists()
    _check(org_a, fixture.cohort, (3, 0, 0))
    with tenant_context(org_b):
        CohortCounts.objects.filter(cohort=other.cohort).update(withdrawn=1)
    with tenant_context(org_a):
        assert counts.repair() == []  # another organisation's rows are its own
    with tenant_context(org_b):
        assert counts.repair() == [other.cohort.pk]
    _check(org_b, other.cohort, (1, 0, 0))


@postgresql_only
def test_the_nightly_rollup_repairs_the_counts(org_a):
    from measurement.tasks import rollup_progress

    fixture = make_pathway(org_a, n_steps=1)
    enroll(org_a, fixture, make_member(org_a, "l@a.example", is_learner=True))
    with tenant_context(org_a):
        CohortCounts.objects.filter(cohort=fixture.cohort).update(enrolments=9)
    rollup_progress.delay(org_a.pk)
    _check(org_a, fixture.cohort, (1, 0, 0))


@postgresql_only
def test_the_page_and_coach_homes_reader_read_the_kept_counts(org_a, admin_a, client):
    fixture = make_pathway(org_a, n_steps=1)
    people = [make_member(org_a, f"l{i}@a.example", is_learner=True) for i in range(4)]
    for person in people:
        enroll(org_a, fixture, person)
    with tenant_context(org_a):
        cohort_services.do_withdraw(
            admin_a.user, Enrollment.objects.get(cohort=fixture.cohort, learner=people[0])
        )
        do_deactivate_person(admin_a.user, people[1])
        overview, _period, _reminder = cohort_page(fixture.cohort.pk)
        assert (overview.enrolments, overview.active, overview.withdrawn) == (4, 2, 1)
        kept = counts.cohort_counts([fixture.cohort.pk, 0])
        assert kept == {fixture.cohort.pk: counts.Counted(4, 1, 1)}
        assert kept[fixture.cohort.pk].current == 3 and kept[fixture.cohort.pk].active == 2
        with connection.cursor() as cursor:
            sql = counts.CURRENT_ENROLMENTS_SQL.format(cohorts="%s, %s")
            cursor.execute(sql, [org_a.pk, fixture.cohort.pk, 0])
            assert cursor.fetchone()[0] == 3  # what coach home counts: not withdrawn
        # The page shows the kept row: a row set apart from the facts shows on it.
        CohortCounts.objects.filter(cohort=fixture.cohort).update(enrolments=40, withdrawn=10)
        overview, _period, _reminder = cohort_page(fixture.cohort.pk)
        assert (overview.enrolments, overview.withdrawn, overview.active) == (40, 10, 29)
    client.force_login(admin_a.user)
    html = client.get(reverse("cohort_detail", args=[org_a.slug, fixture.cohort.pk])).content
    assert b'<span class="stat__value">29</span>' in html
    assert b"Withdrawn (10)" in html


def test_the_readers_give_the_enrolments_counted_on_any_database(org_a, org_b, admin_a):
    """On SQLite (no triggers) the same readers count the enrolments."""
    fixture = make_pathway(org_a, n_steps=1)
    empty = make_pathway(org_a, n_steps=1, name="Empty")
    people = [make_member(org_a, f"l{i}@a.example", is_learner=True) for i in range(3)]
    for person in people:
        enroll(org_a, fixture, person)
    other = make_pathway(org_b, n_steps=1)
    enroll(org_b, other, make_member(org_b, "b@b.example", is_learner=True))
    with tenant_context(org_a):
        cohort_services.do_withdraw(
            admin_a.user, Enrollment.objects.get(cohort=fixture.cohort, learner=people[0])
        )
        do_deactivate_person(admin_a.user, people[1])
        ids = [fixture.cohort.pk, empty.cohort.pk, other.cohort.pk]
        assert counts.cohort_counts(ids) == {fixture.cohort.pk: counts.Counted(3, 1, 1)}
        assert counts.live_cohort_counts() == {fixture.cohort.pk: counts.Counted(3, 1, 1)}
        overview, _period, _reminder = cohort_page(fixture.cohort.pk)
        assert (overview.enrolments, overview.active, overview.withdrawn) == (3, 1, 1)
        assert counts.cohort_counts([]) == {}
