"""Each organisation's members counted at write time (``PeopleCounts``, kept by PostgreSQL
triggers): after every write that changes them, whatever code makes it (an invitation, an
import, a role changed, a person switched off or on, an erasure, a bulk insert, a queryset
update or delete, the demo), the kept row equals the memberships counted now; two members added
at once both count; a membership cannot move to another organisation; the nightly repair sets a
drifted or missing row right; each organisation sees only its own row; the people page reads
the kept figure where it answers the filters, with the same statements and, below the old
bound, the same bytes as when it counted."""

from __future__ import annotations

import importlib
import random
from dataclasses import astuple
from types import SimpleNamespace

import pytest
from django.db import DatabaseError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

from organizations.demo import seed_people
from organizations.gdpr.services import do_erase_person
from organizations.models import Membership, Organization, PeopleCounts, User
from organizations.people import counts, queries, services
from organizations.people.services import PersonData
from organizations.tenancy import tenant_context
from tests.conftest import PASSWORD, count_queries, make_member
from tests.races import race

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the counts are kept by PostgreSQL triggers"
)
MIGRATION = "0020_people_counts"
migration = importlib.import_module(f"organizations.migrations.{MIGRATION}")
_OPENING = '<main id="main" class="container" tabindex="-1">'


def _check(org: Organization, expected: tuple[int, ...] | None = None) -> None:
    """The organisation's kept row equals its memberships counted now; with ``expected``, its
    (members, deactivated, admins, sponsors, coaches, learners) are those."""
    with tenant_context(org):
        kept = counts.kept_counts()
        assert kept is not None and PeopleCounts.objects.count() == 1
        assert kept == counts.live_counts()
        if expected is not None:
            assert astuple(kept) == expected


def _data(email: str, *roles: str) -> PersonData:
    return PersonData(
        email=email, name="", job_title="", function="", team=None, manager=None, roles=set(roles)
    )


IMPORT = (
    "email,name,title,function,team,manager_email,roles\n"
    "ana@acme.example,Ana,,,,,learner;sponsor\n"
    "ben@acme.example,Ben,,,,,learner\n"
)


@postgresql_only
def test_every_write_path_keeps_the_counts_exact(org_a, org_b, admin_a):
    make_member(org_b, "b@globex.example", is_learner=True)
    _check(org_b, (1, 0, 0, 0, 0, 1))
    _check(org_a, (1, 0, 1, 0, 0, 0))  # the first member made the row
    leo = make_member(org_a, "leo@acme.example", is_learner=True)
    with tenant_context(org_a):
        invitation = services.do_invite_person(admin_a.user, _data("ivy@acme.example", "coach"))
    ivy = invitation.membership
    assert ivy is not None
    _check(org_a, (3, 0, 1, 0, 1, 1))
    with tenant_context(org_a):
        # A role given and taken (the person's form).
        services.do_update_person(
            admin_a.user, leo, _data("leo@acme.example", "learner", "sponsor", "coach")
        )
        _check(org_a, (3, 0, 1, 1, 2, 1))
        services.do_update_person(admin_a.user, leo, _data("leo@acme.example", "learner"))
        _check(org_a, (3, 0, 1, 0, 1, 1))
        # Switched off and on.
        services.do_deactivate_person(admin_a.user, leo)
        _check(org_a, (3, 1, 1, 0, 1, 1))
        services.do_reactivate_person(admin_a.user, leo)
        _check(org_a, (3, 0, 1, 0, 1, 1))
        services.do_deactivate_person(admin_a.user, leo)
        # A people import: two new, then one of them given another role.
        job, _plan = services.do_preview_import(admin_a.user, "people.csv", IMPORT)
        assert services.do_confirm_import(admin_a.user, job).status == "done"
        _check(org_a, (5, 1, 1, 1, 1, 3))
        again = IMPORT.replace("ben@acme.example,Ben,,,,,learner", "ben@acme.example,Ben,,,,,coach")
        job, _plan = services.do_preview_import(admin_a.user, "people.csv", again)
        assert services.do_confirm_import(admin_a.user, job).status == "done"
        _check(org_a, (5, 1, 1, 1, 2, 2))
        # An erasure keeps the membership (anonymous): nothing moves.
        do_erase_person(admin_a.user, ivy, "ivy@acme.example")
        _check(org_a, (5, 1, 1, 1, 2, 2))
        # A bulk insert and a queryset update of many rows (the benchmark, a data fix).
        users = User.objects.bulk_create(
            [User(email=f"bulk{i}@acme.example", password="!") for i in range(4)]
        )
        Membership.objects.bulk_create(
            [
                Membership(organization=org_a, user=u, is_learner=True, is_active=i != 0)
                for i, u in enumerate(users)
            ]
        )
        _check(org_a, (9, 2, 1, 1, 2, 6))
        Membership.objects.filter(user__in=users).update(is_learner=False, is_coach=True)
        _check(org_a, (9, 2, 1, 1, 6, 2))
        # Memberships deleted, one by one and a queryset's at once.
        Membership.objects.get(user=users[2]).delete()
        _check(org_a, (8, 2, 1, 1, 5, 2))
        Membership.objects.filter(user__in=users[:2]).delete()
        _check(org_a, (6, 1, 1, 1, 3, 2))
    _check(org_b, (1, 0, 0, 0, 0, 1))  # the other organisation's row never moved
    # An organisation deleted takes its row and memberships with it.
    with tenant_context(org_b):
        Organization.objects.filter(pk=org_b.pk).delete()
        assert counts.kept_counts() is None
    _check(org_a, (6, 1, 1, 1, 3, 2))


@postgresql_only
def test_the_demo_keeps_the_counts_exact(org_a):
    with tenant_context(org_a):
        seed_people(org_a, 8, random.Random(1))
    _check(org_a)
    with tenant_context(org_a):
        assert counts.live_counts().members >= 8


@postgresql_only
def test_a_membership_cannot_move_to_another_organisation(org_a, org_b):
    leo = make_member(org_a, "leo@acme.example", is_learner=True)
    make_member(org_b, "b@globex.example", is_learner=True)
    with tenant_context(org_a):
        with pytest.raises(DatabaseError, match="row-level security"), transaction.atomic():
            Membership.objects.filter(pk=leo.pk).update(organization_id=org_b.pk)
    _check(org_a, (1, 0, 0, 0, 0, 1))
    _check(org_b, (1, 0, 0, 0, 0, 1))


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_two_members_added_at_once_both_count(org_a):
    make_member(org_a, "first@acme.example", is_admin=True)
    ada = User.objects.create_user(email="ada@acme.example", password=PASSWORD)
    bo = User.objects.create_user(email="bo@acme.example", password=PASSWORD)
    outcome = race(
        org_a,
        lambda: Membership.objects.create(user=ada, is_learner=True),
        lambda: Membership.objects.create(user=bo, is_learner=True, is_coach=True),
    )
    assert isinstance(outcome, Membership)
    _check(org_a, (3, 0, 1, 0, 1, 2))


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_a_person_switched_off_while_another_joins_both_count(org_a):
    admin = make_member(org_a, "first@acme.example", is_admin=True)
    leo = make_member(org_a, "leo@acme.example", is_learner=True)
    bo = User.objects.create_user(email="bo@acme.example", password=PASSWORD)
    outcome = race(
        org_a,
        lambda: services.do_deactivate_person(admin.user, leo),
        lambda: Membership.objects.create(user=bo, is_learner=True),
    )
    assert isinstance(outcome, Membership)
    _check(org_a, (3, 1, 1, 0, 0, 2))


@postgresql_only
def test_the_migration_counts_every_organisations_people(org_a, org_b, admin_a):
    """Under row-level security (the application's role), one organisation at a time."""
    make_member(org_a, "leo@acme.example", is_learner=True, is_coach=True)
    make_member(org_b, "b@globex.example", is_sponsor=True)
    for org in (org_a, org_b):
        with tenant_context(org):
            PeopleCounts.objects.all().delete()
    apps = MigrationExecutor(connection).loader.project_state(("organizations", MIGRATION)).apps
    migration.count_existing_people(apps, SimpleNamespace(connection=connection))
    _check(org_a, (2, 0, 1, 0, 1, 1))
    _check(org_b, (1, 0, 0, 1, 0, 0))


@postgresql_only
def test_the_repair_sets_a_drifted_or_missing_row_right(org_a, org_b):
    for i in range(3):
        make_member(org_a, f"l{i}@acme.example", is_learner=True)
    make_member(org_b, "b@globex.example", is_coach=True)
    with tenant_context(org_a):
        assert counts.repair() is None  # nothing drifted
        PeopleCounts.objects.update(members=7, learners=1)
        assert counts.repair() == counts.Counted(members=3, learners=3)
        PeopleCounts.objects.all().delete()
        assert counts.repair() == counts.Counted(members=3, learners=3)
    _check(org_a, (3, 0, 0, 0, 0, 3))
    with tenant_context(org_b):
        PeopleCounts.objects.update(deactivated=1)
    with tenant_context(org_a):
        assert counts.repair() is None  # another organisation's row is its own
    with tenant_context(org_b):
        assert counts.repair() == counts.Counted(members=1, coaches=1)
    _check(org_b, (1, 0, 0, 0, 1, 0))


@postgresql_only
def test_the_nightly_rollup_repairs_the_counts(org_a):
    from measurement.tasks import rollup_progress

    make_member(org_a, "l@acme.example", is_learner=True)
    with tenant_context(org_a):
        PeopleCounts.objects.update(members=9)
    rollup_progress.delay(org_a.pk)
    _check(org_a, (1, 0, 0, 0, 0, 1))


@postgresql_only
def test_each_organisation_sees_and_moves_only_its_own_row(org_a, org_b):
    make_member(org_a, "a@acme.example", is_learner=True)
    make_member(org_b, "b@globex.example", is_learner=True)
    with tenant_context(org_b), connection.cursor() as cursor:
        cursor.execute("select organization_id from organizations_peoplecounts")
        assert cursor.fetchall() == [(org_b.pk,)]
        # Nor can it write one for another organisation.
        with pytest.raises(DatabaseError, match="row-level security"), transaction.atomic():
            cursor.execute(
                "insert into organizations_peoplecounts (organization_id, members, deactivated,"
                " admins, sponsors, coaches, learners) values (%s, 0, 0, 0, 0, 0, 0)",
                [org_a.pk + org_b.pk + 1],
            )
    with connection.cursor() as cursor:
        cursor.execute("select set_config('app.org_id', '', true)")
        cursor.execute("select count(*) from organizations_peoplecounts")
        assert cursor.fetchone()[0] == 0


@postgresql_only
def test_the_people_page_reads_the_kept_figure_where_it_answers(client, org_a, org_b, admin_a):
    make_member(org_a, "l0@acme.example", is_learner=True)
    make_member(org_a, "l1@acme.example", is_coach=True)
    gone = make_member(org_a, "l2@acme.example", is_learner=True)
    make_member(org_b, "b@globex.example", is_learner=True)
    with tenant_context(org_a):
        services.do_deactivate_person(admin_a.user, gone)
        # Set apart from the memberships, so that the page shows where it reads.
        PeopleCounts.objects.update(
            members=5001, deactivated=12, admins=3, sponsors=4, coaches=5, learners=4990
        )
    client.force_login(admin_a.user)
    url = f"/o/{org_a.slug}/people/"
    for params, shown in (
        ({}, "5001 people"),
        ({"role": "learner"}, "4990 people match the filters"),
        ({"role": "coach"}, "5 people match the filters"),
        ({"status": "deactivated"}, "12 people match the filters"),
        # Not answered by a figure: counted.
        ({"q": "acme"}, "3 people match the filters"),
        ({"status": "deactivated", "role": "coach"}, "0 people match the filters"),
        ({"status": "active"}, "3 people match the filters"),
    ):
        page = client.get(url, params).content.decode()
        assert f'<p class="muted">{shown}</p>' in page, params
        assert "globex" not in page


def _page_and_statements(client, url, params):
    with count_queries() as ctx:
        response = client.get(url, params)
    page = response.content.decode()
    start = page.index(_OPENING)
    return page[start : page.rindex("</main>")], len(ctx.app_queries)


@pytest.mark.parametrize(
    "params",
    [{}, {"page": 2}, {"role": "learner"}, {"role": "admin"}, {"status": "deactivated"}],
)
def test_the_people_page_writes_what_counting_wrote_below_the_bound(
    client, org_a, org_b, admin_a, monkeypatch, params
):
    """The same bytes and statements as when the page counted its matches (pages of 4, so
    that the first has a next page and shows the count read)."""
    monkeypatch.setattr(queries, "PEOPLE_PER_PAGE", 4)
    people = [make_member(org_a, f"p{i}@acme.example", is_learner=True) for i in range(7)]
    with tenant_context(org_a):
        services.do_deactivate_person(admin_a.user, people[0])
    make_member(org_b, "b@globex.example", is_learner=True)
    client.force_login(admin_a.user)
    url = f"/o/{org_a.slug}/people/"
    kept, kept_statements = _page_and_statements(client, url, params)
    monkeypatch.setattr(counts, "kept_column", lambda filters: None)
    counted, counted_statements = _page_and_statements(client, url, params)
    assert kept == counted and kept_statements == counted_statements
    assert kept.count(" people") >= 1


def test_the_count_is_not_kept_on_other_databases(org_a):
    """On SQLite (no triggers) the page counts its matches, whatever the filters."""
    make_member(org_a, "l@acme.example", is_learner=True)
    kept = counts.kept_column(queries.PeopleFilters())
    if counts.stored():
        assert kept == "members"
        assert counts.kept_column(queries.PeopleFilters(role="coach")) == "coaches"
        assert counts.kept_column(queries.PeopleFilters(status="deactivated")) == "deactivated"
        assert counts.kept_column(queries.PeopleFilters(role="bogus")) == "members"
    else:
        assert kept is None
        with tenant_context(org_a):
            assert counts.repair() is None
            assert counts.kept_counts() is None
            assert counts.live_counts() == counts.Counted(members=1, learners=1)
    for unanswered in (
        queries.PeopleFilters(q="l"),
        queries.PeopleFilters(team=1),
        queries.PeopleFilters(function="Sales"),
        queries.PeopleFilters(status="active"),
        queries.PeopleFilters(status="invited"),
        queries.PeopleFilters(role="learner", status="deactivated"),
    ):
        assert counts.kept_column(unanswered) is None
