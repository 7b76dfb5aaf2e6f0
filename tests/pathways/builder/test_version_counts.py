"""Each pathway version's active enrolments counted at write time (``VersionCounts``, kept by
PostgreSQL triggers): after every write that changes them, whatever code makes it (the
services, a publication that moves the learners, a bulk insert, a queryset update or delete, an
erasure, a deletion), the kept row equals the active enrolments counted now; two enrolments at
once both count; the migration's backfill and the nightly repair set rows right; the pathways
list reads the kept row, and shows the same numbers on SQLite, where they are counted."""

from __future__ import annotations

import importlib
import re

import pytest
from django.apps import apps
from django.db import connection
from django.urls import reverse

from organizations.gdpr.services import do_erase_person
from organizations.models import Membership
from organizations.tenancy import tenant_context
from pathways import services as pathway_services
from pathways.builder import counts, queries
from pathways.builder import services as builder_services
from pathways.cohorts import services as cohort_services
from pathways.cohorts.queries import LearnerFilter
from pathways.models import Enrollment, VersionCounts
from tests.conftest import enroll, make_member, make_pathway
from tests.races import race

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the counts are kept by PostgreSQL triggers"
)


def _kept() -> dict[int, int]:
    return {k.version_id: k.active for k in VersionCounts.objects.all() if k.active}


def _check(org, version=None, expected=None):
    """The kept rows of the organisation equal its active enrolments counted now; with
    ``expected``, the version's row holds that many."""
    with tenant_context(org):
        assert _kept() == counts.live_version_counts()
        if version is not None:
            assert VersionCounts.objects.filter(version=version).count() == 1
            assert VersionCounts.objects.get(version=version).active == expected


def _list_counts(org) -> dict[int, int]:
    with tenant_context(org):
        return {v.id: v.active_learners for p in queries.pathway_list() for v in p.versions}


def _page_counts(html: str) -> dict[int, int]:
    """Each version's active learners as the pathways list page shows them (the third number
    of its row: steps, cohorts, active learners)."""
    shown = {}
    for version_id, row in re.findall(
        r'<th scope="row"><a href="[^"]*/versions/(\d+)/">(.*?)</tr>', html, re.S
    ):
        shown[int(version_id)] = int(re.findall(r'<td class="num">(\d+)</td>', row)[2])
    return shown


@postgresql_only
def test_every_write_path_keeps_the_counts_exact(org_a, org_b, admin_a):
    fixture = make_pathway(org_a, n_steps=2)
    v1 = fixture.version
    other = make_pathway(org_b, n_steps=1)
    _check(org_a, v1, 0)  # a new version has its row
    people = [make_member(org_a, f"l{i}@a.example", is_learner=True) for i in range(5)]
    for person in [make_member(org_b, f"b{i}@b.example", is_learner=True) for i in range(2)]:
        enroll(org_b, other, person)
    _check(org_b, other.version, 2)

    with tenant_context(org_a):
        ada = cohort_services.do_enrol_learner(admin_a.user, fixture.cohort, people[0])
    _check(org_a, v1, 1)
    with tenant_context(org_a):
        added = cohort_services.do_enrol_matching(admin_a.user, fixture.cohort, LearnerFilter())
    assert added == 4
    _check(org_a, v1, 5)

    with tenant_context(org_a):
        cohort_services.do_withdraw(admin_a.user, ada)
    _check(org_a, v1, 4)
    with tenant_context(org_a):
        cohort_services.do_enrol_learner(admin_a.user, fixture.cohort, people[0])  # restored
    _check(org_a, v1, 5)

    with tenant_context(org_a):
        # The last step done completes the enrolment: no longer active; an undo reopens it.
        bo = Enrollment.objects.get(cohort=fixture.cohort, learner=people[1])
        for step in fixture.steps:
            pathway_services.do_complete_step(people[1], bo.pk, step.pk)
        assert Enrollment.objects.get(pk=bo.pk).status == Enrollment.Status.COMPLETED
    _check(org_a, v1, 4)
    with tenant_context(org_a):
        pathway_services.do_undo_step_completion(people[1], bo.pk, fixture.steps[-1].pk)
        assert Enrollment.objects.get(pk=bo.pk).status == Enrollment.Status.ACTIVE
    _check(org_a, v1, 5)

    with tenant_context(org_a):
        # A new draft has its row; publishing it with the learners moves every active one (one
        # bulk update), the completed one stays on v1.
        Enrollment.objects.filter(learner=people[2]).update(status=Enrollment.Status.COMPLETED)
        v2, created = builder_services.do_start_new_draft(admin_a.user, v1)
        assert created
    _check(org_a, v2, 0)
    _check(org_a, v1, 4)
    with tenant_context(org_a):
        result = builder_services.do_publish(admin_a.user, v2, move_enrollments=True)
        assert result.moved_enrollments == 4
    _check(org_a, v2, 4)
    _check(org_a, v1, 0)
    with tenant_context(org_a):
        # Back to active on the old version (a queryset update of status alone).
        Enrollment.objects.filter(learner=people[2]).update(status=Enrollment.Status.ACTIVE)
    _check(org_a, v1, 1)

    with tenant_context(org_a):
        # An erasure keeps the enrolments others' figures count.
        do_erase_person(admin_a.user, people[3], people[3].user.email)
    _check(org_a, v2, 4)

    with tenant_context(org_a):
        # A person deleted takes their enrolments with them; enrolments deleted in bulk.
        Membership.objects.get(pk=people[4].pk).delete()
    _check(org_a, v2, 3)
    with tenant_context(org_a):
        Enrollment.objects.filter(learner__in=[people[0], people[2]]).delete()
    _check(org_a, v2, 2)
    _check(org_a, v1, 0)

    second = make_pathway(org_a, n_steps=1, name="Second")
    newcomers = [make_member(org_a, f"n{i}@a.example", is_learner=True) for i in range(3)]
    with tenant_context(org_a):
        # The demo's and the bench's bulk inserts, onto two versions at once.
        Enrollment.objects.bulk_create(
            [
                Enrollment(organization_id=org_a.pk, cohort=c.cohort, learner=m, version=version)
                for m in newcomers
                for c, version in ((fixture, v2), (second, second.version))
            ]
            + [
                Enrollment(
                    organization_id=org_a.pk,
                    cohort=second.cohort,
                    learner=people[1],
                    version=second.version,
                    status=Enrollment.Status.WITHDRAWN,
                )
            ]
        )
    _check(org_a, v2, 5)
    _check(org_a, second.version, 3)
    assert _list_counts(org_a) == {v1.pk: 0, v2.pk: 5, second.version.pk: 3}
    with tenant_context(org_a):
        # A draft discarded takes its row with it.
        draft, _created = builder_services.do_start_new_draft(admin_a.user, second.version)
        assert VersionCounts.objects.filter(version=draft).exists()
        builder_services.do_discard_draft(admin_a.user, draft)
        assert not VersionCounts.objects.filter(version_id=draft.pk).exists()
    _check(org_a, second.version, 3)
    _check(org_b, other.version, 2)  # the other organisation's rows never moved
    with tenant_context(org_b):
        assert not VersionCounts.objects.filter(version=v2).exists()  # not visible there


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
    _check(org_a, fixture.version, 2)


@postgresql_only
def test_the_migration_counts_the_versions_it_finds(org_a, org_b):
    fixture = make_pathway(org_a, n_steps=1)
    other = make_pathway(org_b, n_steps=1)
    for i in range(3):
        enroll(org_a, fixture, make_member(org_a, f"l{i}@a.example", is_learner=True))
    enroll(org_b, other, make_member(org_b, "b@b.example", is_learner=True))
    for org in (org_a, org_b):
        with tenant_context(org):
            VersionCounts.objects.all().delete()  # as before the migration
    migration = importlib.import_module("pathways.migrations.0028_version_counts")

    class _SchemaEditor:
        pass

    editor = _SchemaEditor()
    editor.connection = connection  # type: ignore[attr-defined]
    migration.count_existing_versions(apps, editor)
    _check(org_a, fixture.version, 3)
    _check(org_b, other.version, 1)


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
        VersionCounts.objects.filter(version=fixture.version).update(active=7)
        VersionCounts.objects.filter(version=second.version).delete()
        assert counts.repair() == [fixture.version.pk]
        assert VersionCounts.objects.filter(version=second.version).exists()
    _check(org_a, fixture.version, 3)
    _check(org_a, second.version, 0)
    with tenant_context(org_b):
        VersionCounts.objects.filter(version=other.version).update(active=5)
    with tenant_context(org_a):
        assert counts.repair() == []  # another organisation's rows are its own
    with tenant_context(org_b):
        assert counts.repair() == [other.version.pk]
    _check(org_b, other.version, 1)


@postgresql_only
def test_the_nightly_rollup_repairs_the_counts(org_a):
    from measurement.tasks import rollup_progress

    fixture = make_pathway(org_a, n_steps=1)
    enroll(org_a, fixture, make_member(org_a, "l@a.example", is_learner=True))
    with tenant_context(org_a):
        VersionCounts.objects.filter(version=fixture.version).update(active=9)
    rollup_progress.delay(org_a.pk)
    _check(org_a, fixture.version, 1)


@postgresql_only
def test_the_list_reads_the_kept_counts(org_a, admin_a, client):
    fixture = make_pathway(org_a, n_steps=1)
    for i in range(2):
        enroll(org_a, fixture, make_member(org_a, f"l{i}@a.example", is_learner=True))
    assert _list_counts(org_a) == {fixture.version.pk: 2}
    with tenant_context(org_a):
        # A row set apart from the facts shows on the list: it is what the list reads.
        VersionCounts.objects.filter(version=fixture.version).update(active=40)
    assert _list_counts(org_a) == {fixture.version.pk: 40}
    client.force_login(admin_a.user)
    html = client.get(reverse("pathway_list", args=[org_a.slug])).content.decode()
    assert _page_counts(html) == {fixture.version.pk: 40}


def test_the_list_shows_the_active_learners_on_any_database(org_a, org_b, admin_a, client):
    """On SQLite (no triggers) the list counts the enrolments; on PostgreSQL it reads the kept
    rows: the same numbers, and none of another organisation's."""
    fixture = make_pathway(org_a, n_steps=1)
    empty = make_pathway(org_a, n_steps=1, name="Empty")
    people = [make_member(org_a, f"l{i}@a.example", is_learner=True) for i in range(4)]
    for person in people:
        enroll(org_a, fixture, person)
    other = make_pathway(org_b, n_steps=1, name="Other")
    enroll(org_b, other, make_member(org_b, "b@b.example", is_learner=True))
    with tenant_context(org_a):
        cohort_services.do_withdraw(
            admin_a.user, Enrollment.objects.get(cohort=fixture.cohort, learner=people[0])
        )
        Enrollment.objects.filter(learner=people[1]).update(status=Enrollment.Status.COMPLETED)
        v2, _created = builder_services.do_start_new_draft(admin_a.user, fixture.version)
        assert counts.live_version_counts() == {fixture.version.pk: 2}
    assert _list_counts(org_a) == {fixture.version.pk: 2, v2.pk: 0, empty.version.pk: 0}
    assert _list_counts(org_b) == {other.version.pk: 1}
    client.force_login(admin_a.user)
    html = client.get(reverse("pathway_list", args=[org_a.slug])).content.decode()
    assert "Other" not in html
    assert _page_counts(html) == {fixture.version.pk: 2, v2.pk: 0, empty.version.pk: 0}
