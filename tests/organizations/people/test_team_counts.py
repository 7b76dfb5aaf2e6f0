"""Each team's active members counted at write time (``TeamCounts``, kept by PostgreSQL
triggers): after every write that changes a person's team or active flag, whatever code makes
it (the person's form, a people import, a person switched off or on, a bulk insert, a queryset
update or delete, a team deleted, an erasure, the demo), the kept rows equal the memberships
counted now; two writes at once both count; the nightly repair sets a drifted or missing row
right; each organisation sees only its own rows; the teams page reads the kept figure, with
the same statements and bytes as when it counted."""

from __future__ import annotations

import importlib
import random
from types import SimpleNamespace

import pytest
from django.db import DatabaseError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

from organizations.demo import seed_people
from organizations.gdpr.services import do_erase_person
from organizations.models import Membership, Organization, Team, TeamCounts, User
from organizations.people import services, team_counts
from organizations.people.services import PersonData
from organizations.tenancy import tenant_context
from tests.conftest import PASSWORD, count_queries, make_member
from tests.races import race

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the counts are kept by PostgreSQL triggers"
)
MIGRATION = "0021_team_counts"
migration = importlib.import_module(f"organizations.migrations.{MIGRATION}")
_OPENING = '<main id="main" class="container" tabindex="-1">'


def _check(org: Organization, expected: dict[str, int] | None = None) -> None:
    """Every team of the organisation has a kept row equal to its active members counted now;
    with ``expected``, the figures of the teams named there are those."""
    with tenant_context(org):
        kept = team_counts.kept_team_counts()
        teams = dict(Team.objects.values_list("pk", "name"))
        assert set(kept) == set(teams)
        live = team_counts.live_team_counts()
        assert {pk: live.get(pk, 0) for pk in teams} == kept
        if expected is not None:
            assert {teams[pk]: n for pk, n in kept.items() if teams[pk] in expected} == expected


def _team(org: Organization, name: str) -> Team:
    with tenant_context(org):
        return Team.objects.create(name=name)


def _data(email: str, team: Team | None) -> PersonData:
    return PersonData(
        email=email,
        name="",
        job_title="",
        function="",
        team=team,
        manager=None,
        roles={"learner"},
    )


IMPORT = (
    "email,name,title,function,team,manager_email,roles\n"
    "ana@acme.example,Ana,,,Sales,,learner\n"
    "ben@acme.example,Ben,,,Sales,,learner\n"
    "leo@acme.example,Leo,,,Support,,learner\n"
)


@postgresql_only
def test_every_write_path_keeps_the_counts_exact(org_a, org_b, admin_a):
    globex = _team(org_b, "Globex ops")
    make_member(org_b, "b@globex.example", team=globex, is_learner=True)
    ops = _team(org_a, "Ops")
    _check(org_a, {"Ops": 0})  # a new team's row, zero
    leo = make_member(org_a, "leo@acme.example", team=ops, is_learner=True)
    make_member(org_a, "mia@acme.example", team=ops, is_learner=True)
    _check(org_a, {"Ops": 2})
    with tenant_context(org_a):
        # Moved by the person's form: to another team, then to none, then back.
        support = Team.objects.create(name="Support")
        services.do_update_person(admin_a.user, leo, _data("leo@acme.example", support))
        _check(org_a, {"Ops": 1, "Support": 1})
        services.do_update_person(admin_a.user, leo, _data("leo@acme.example", None))
        _check(org_a, {"Ops": 1, "Support": 0})
        services.do_update_person(admin_a.user, leo, _data("leo@acme.example", ops))
        _check(org_a, {"Ops": 2, "Support": 0})
        # Switched off and on: a deactivated member leaves the count, and moving one does not
        # bring it back.
        services.do_deactivate_person(admin_a.user, leo)
        _check(org_a, {"Ops": 1})
        services.do_update_person(admin_a.user, leo, _data("leo@acme.example", support))
        _check(org_a, {"Ops": 1, "Support": 0})
        services.do_reactivate_person(admin_a.user, leo)
        _check(org_a, {"Ops": 1, "Support": 1})
        # A people import: a new team made, two people added to it, one moved.
        job, _plan = services.do_preview_import(admin_a.user, "people.csv", IMPORT)
        assert services.do_confirm_import(admin_a.user, job).status == "done"
        _check(org_a, {"Ops": 1, "Sales": 2, "Support": 1})
        moved = IMPORT.replace("Ben,,,Sales", "Ben,,,Support").replace("Leo,,,Support", "Leo,,,Ops")
        job, _plan = services.do_preview_import(admin_a.user, "people.csv", moved)
        assert services.do_confirm_import(admin_a.user, job).status == "done"
        _check(org_a, {"Ops": 2, "Sales": 1, "Support": 1})
        # An erasure keeps the membership (anonymous) in its team: nothing moves.
        ana = Membership.objects.get(user__email="ana@acme.example")
        do_erase_person(admin_a.user, ana, "ana@acme.example")
        _check(org_a, {"Ops": 2, "Sales": 1, "Support": 1})
        # A bulk insert and queryset updates of many rows (the benchmark, a data fix): each
        # statement moves each team's row once.
        users = User.objects.bulk_create(
            [User(email=f"bulk{i}@acme.example", password="!") for i in range(5)]
        )
        Membership.objects.bulk_create(
            [
                Membership(organization=org_a, user=u, team=ops, is_learner=True, is_active=i != 0)
                for i, u in enumerate(users)
            ]
        )
        _check(org_a, {"Ops": 6, "Sales": 1, "Support": 1})
        sales = Team.objects.get(name="Sales")
        Membership.objects.filter(user__in=users).update(team=sales)
        _check(org_a, {"Ops": 2, "Sales": 5, "Support": 1})
        Membership.objects.filter(user__in=users[:3]).update(is_active=False)
        _check(org_a, {"Ops": 2, "Sales": 3, "Support": 1})
        Membership.objects.filter(user__in=users).update(is_active=True, team=support)
        _check(org_a, {"Ops": 2, "Sales": 1, "Support": 6})
        # Memberships deleted, one by one and a queryset's at once.
        Membership.objects.get(user=users[4]).delete()
        _check(org_a, {"Support": 5})
        Membership.objects.filter(user__in=users[:2]).delete()
        _check(org_a, {"Support": 3})
        # A team deleted with its members in it (its members' team set to none, its row gone),
        # and an empty one deleted through the service.
        Team.objects.filter(pk=support.pk).delete()
        _check(org_a, {"Ops": 2, "Sales": 1})
        assert not Membership.objects.filter(user__in=users[2:4], team__isnull=False).exists()
        empty = Team.objects.create(name="Empty")
        services.do_delete_team(admin_a.user, empty)
        _check(org_a, {"Ops": 2, "Sales": 1})
    _check(org_b, {"Globex ops": 1})  # the other organisation's row never moved
    # An organisation deleted takes its rows, teams and memberships with it.
    with tenant_context(org_b):
        Organization.objects.filter(pk=org_b.pk).delete()
        assert team_counts.kept_team_counts() == {}
    _check(org_a, {"Ops": 2, "Sales": 1})


@postgresql_only
def test_the_demo_keeps_the_counts_exact(org_a):
    with tenant_context(org_a):
        seed_people(org_a, 12, random.Random(1))
    _check(org_a)
    with tenant_context(org_a):
        assert sum(team_counts.kept_team_counts().values()) >= 12


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_two_members_added_to_a_team_at_once_both_count(org_a):
    ops = _team(org_a, "Ops")
    make_member(org_a, "first@acme.example", team=ops, is_admin=True)
    ada = User.objects.create_user(email="ada@acme.example", password=PASSWORD)
    bo = User.objects.create_user(email="bo@acme.example", password=PASSWORD)
    outcome = race(
        org_a,
        lambda: Membership.objects.create(user=ada, team=ops, is_learner=True),
        lambda: Membership.objects.create(user=bo, team=ops, is_learner=True),
    )
    assert isinstance(outcome, Membership)
    _check(org_a, {"Ops": 3})


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_a_person_switched_off_while_another_moves_in_both_count(org_a):
    ops = _team(org_a, "Ops")
    sales = _team(org_a, "Sales")
    admin = make_member(org_a, "first@acme.example", is_admin=True)
    leo = make_member(org_a, "leo@acme.example", team=ops, is_learner=True)
    mia = make_member(org_a, "mia@acme.example", team=sales, is_learner=True)
    outcome = race(
        org_a,
        lambda: services.do_deactivate_person(admin.user, leo),
        lambda: Membership.objects.filter(pk=mia.pk).update(team=ops),
    )
    assert outcome == 1
    _check(org_a, {"Ops": 1, "Sales": 0})


@postgresql_only
def test_the_migration_counts_every_organisations_teams(org_a, org_b):
    """Under row-level security (the application's role), one organisation at a time."""
    ops = _team(org_a, "Ops")
    _team(org_a, "Empty")
    make_member(org_a, "leo@acme.example", team=ops, is_learner=True)
    make_member(org_a, "mia@acme.example", team=ops, is_learner=True, is_active=False)
    globex = _team(org_b, "Globex ops")
    make_member(org_b, "b@globex.example", team=globex, is_sponsor=True)
    for org in (org_a, org_b):
        with tenant_context(org):
            TeamCounts.objects.all().delete()
    apps = MigrationExecutor(connection).loader.project_state(("organizations", MIGRATION)).apps
    migration.count_existing_teams(apps, SimpleNamespace(connection=connection))
    _check(org_a, {"Ops": 1, "Empty": 0})
    _check(org_b, {"Globex ops": 1})


@postgresql_only
def test_the_repair_sets_a_drifted_or_missing_row_right(org_a, org_b):
    ops = _team(org_a, "Ops")
    sales = _team(org_a, "Sales")
    for i in range(3):
        make_member(org_a, f"l{i}@acme.example", team=ops, is_learner=True)
    globex = _team(org_b, "Globex ops")
    make_member(org_b, "b@globex.example", team=globex, is_coach=True)
    with tenant_context(org_a):
        assert team_counts.repair() == []  # nothing drifted
        TeamCounts.objects.filter(team=ops).update(active=7)
        TeamCounts.objects.filter(team=sales).update(active=2)
        assert team_counts.repair() == sorted([ops.pk, sales.pk])
        TeamCounts.objects.all().delete()
        assert team_counts.repair() == [ops.pk]  # the missing rows made; Sales's is zero
    _check(org_a, {"Ops": 3, "Sales": 0})
    with tenant_context(org_b):
        TeamCounts.objects.update(active=5)
    with tenant_context(org_a):
        assert team_counts.repair() == []  # another organisation's row is its own
    with tenant_context(org_b):
        assert team_counts.repair() == [globex.pk]
    _check(org_b, {"Globex ops": 1})


@postgresql_only
def test_the_nightly_rollup_repairs_the_counts(org_a):
    from measurement.tasks import rollup_progress

    ops = _team(org_a, "Ops")
    make_member(org_a, "l@acme.example", team=ops, is_learner=True)
    with tenant_context(org_a):
        TeamCounts.objects.update(active=9)
    rollup_progress.delay(org_a.pk)
    _check(org_a, {"Ops": 1})


@postgresql_only
def test_each_organisation_sees_and_moves_only_its_own_rows(org_a, org_b):
    ops = _team(org_a, "Ops")
    make_member(org_a, "a@acme.example", team=ops, is_learner=True)
    globex = _team(org_b, "Globex ops")
    make_member(org_b, "b@globex.example", team=globex, is_learner=True)
    with tenant_context(org_b), connection.cursor() as cursor:
        cursor.execute("select organization_id, team_id, active from organizations_teamcounts")
        assert cursor.fetchall() == [(org_b.pk, globex.pk, 1)]
        # Nor can it write one for another organisation.
        with pytest.raises(DatabaseError, match="row-level security"), transaction.atomic():
            cursor.execute(
                "insert into organizations_teamcounts (organization_id, team_id, active)"
                " values (%s, %s, 0)",
                [org_a.pk, ops.pk],
            )
    with connection.cursor() as cursor:
        cursor.execute("select set_config('app.org_id', '', true)")
        cursor.execute("select count(*) from organizations_teamcounts")
        assert cursor.fetchone()[0] == 0


@postgresql_only
def test_the_teams_page_download_and_api_read_the_kept_figure(client, org_a, org_b, admin_a):
    ops = _team(org_a, "Ops")
    make_member(org_a, "l0@acme.example", team=ops, is_learner=True)
    _team(org_b, "Globex ops")
    with tenant_context(org_a):
        # Set apart from the memberships, so that the page shows where it reads.
        TeamCounts.objects.update(active=4321)
    client.force_login(admin_a.user)
    page = client.get(f"/o/{org_a.slug}/teams/").content.decode()
    assert f'href="/o/{org_a.slug}/people/?team={ops.pk}">4321</a>' in page
    assert "Globex" not in page
    export = client.get(f"/o/{org_a.slug}/teams/", {"format": "csv"}).content.decode()
    assert "4321" in export and "Globex" not in export
    listed = client.get(f"/api/v1/orgs/{org_a.slug}/teams/").json()["results"]
    assert [(t["name"], t["members"]) for t in listed] == [("Ops", 4321)]
    assert client.get(f"/api/v1/orgs/{org_a.slug}/teams/{ops.pk}/").json()["members"] == 4321


def _page_and_statements(client, url, params):
    with count_queries() as ctx:
        response = client.get(url, params)
    page = response.content.decode()
    start = page.index(_OPENING)
    return page[start : page.rindex("</main>")], len(ctx.app_queries)


@pytest.mark.parametrize("params", [{}, {"page": 2}, {"q": "desk"}, "parent"])
def test_the_teams_page_writes_what_counting_wrote(
    client, org_a, org_b, admin_a, monkeypatch, params
):
    """The same bytes and statements as when the page counted each team's active members, on
    either database (on SQLite both count)."""
    from organizations.people import queries

    monkeypatch.setattr(queries, "TEAMS_PER_PAGE", 2)
    ops = _team(org_a, "Ops")
    sales = _team(org_a, "Sales")
    _team(org_a, "Support")
    with tenant_context(org_a):
        north = Team.objects.create(name="North desk", parent=ops)
        Team.objects.create(name="South desk", parent=ops)
    people = [
        make_member(org_a, f"p{i}@acme.example", team=team, is_learner=True)
        for i, team in enumerate([ops, ops, ops, sales, north, None])
    ]
    with tenant_context(org_a):
        services.do_deactivate_person(admin_a.user, people[0])
    globex = _team(org_b, "Ops desk")
    make_member(org_b, "b@globex.example", team=globex, is_learner=True)
    if params == "parent":
        params = {"parent": ops.pk}
    client.force_login(admin_a.user)
    url = f"/o/{org_a.slug}/teams/"
    kept, kept_statements = _page_and_statements(client, url, params)
    monkeypatch.setattr(team_counts, "stored", lambda: False)
    counted, counted_statements = _page_and_statements(client, url, params)
    assert kept == counted and kept_statements == counted_statements
    assert "Ops desk" not in kept and "/people/?team=" in kept


def test_the_count_is_not_kept_on_other_databases(org_a):
    """On SQLite (no triggers) the page counts each team's active members."""
    ops = _team(org_a, "Ops")
    make_member(org_a, "l@acme.example", team=ops, is_learner=True)
    with tenant_context(org_a):
        assert team_counts.live_team_counts() == {ops.pk: 1}
        if team_counts.stored():
            assert "organizations_teamcounts" in team_counts.active_members_sql()
            assert team_counts.kept_team_counts() == {ops.pk: 1}
        else:
            assert "organizations_membership" in team_counts.active_members_sql()
            assert team_counts.repair() == []


def test_the_teams_export_and_api_give_what_counting_gave(
    client, org_a, org_b, admin_a, monkeypatch
):
    """The same export bytes and API answers as when each team's active members were counted,
    with a deactivated person, a person without a team, sub-teams and another organisation's
    team (on SQLite both count)."""
    ops = _team(org_a, "Ops")
    sales = _team(org_a, "Sales")
    _team(org_a, "Empty")
    with tenant_context(org_a):
        north = Team.objects.create(name="North desk", parent=ops)
    people = [
        make_member(org_a, f"p{i}@acme.example", team=team, is_learner=True)
        for i, team in enumerate([ops, ops, sales, north, None])
    ]
    with tenant_context(org_a):
        services.do_deactivate_person(admin_a.user, people[0])
    globex = _team(org_b, "Globex ops")
    make_member(org_b, "b@globex.example", team=globex, is_learner=True)
    client.force_login(admin_a.user)

    def read():
        export = client.get(f"/o/{org_a.slug}/teams/", {"format": "csv"}).content
        listed = client.get(f"/api/v1/orgs/{org_a.slug}/teams/").json()
        one = client.get(f"/api/v1/orgs/{org_a.slug}/teams/{ops.pk}/").json()
        return export, listed, one

    kept = read()
    monkeypatch.setattr(team_counts, "stored", lambda: False)
    counted = read()
    assert kept == counted
    figures = {t["name"]: t["members"] for t in kept[1]["results"]}
    assert figures == {"Empty": 0, "North desk": 1, "Ops": 1, "Sales": 1}
    assert b"Globex" not in kept[0]
