"""The team manager's view: their teams only, read from the team roll-up, aggregates only,
nothing for a team or a month under five people, constant queries, CSV/XLSX."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

from django.utils import timezone
from openpyxl import load_workbook

from measurement import impact
from measurement.services import do_rollup_progress
from organizations.models import Team
from organizations.tenancy import tenant_context
from tests.conftest import count_queries, enroll, make_member, make_pathway
from tests.measurement.impact_fixtures import held_group_session


def _team(org, name, size, manager, metric=None):
    with tenant_context(org):
        team = Team.objects.create(name=name, manager=manager)
    people = [
        make_member(org, f"{name.lower()}{i}@x.example", team=team, is_learner=True)
        for i in range(size)
    ]
    if metric is not None:
        with tenant_context(org):
            month = timezone.localdate().replace(day=1) - dt.timedelta(days=1)
            impact.upsert_metric_values(
                [impact.ValueRow(metric.pk, team.pk, month.replace(day=1), Decimal(70))],
                "form",
                None,
            )
    return team, people


def _roll_up(org):
    with tenant_context(org):
        do_rollup_progress(org)
        impact.do_rollup_team_metrics()


def test_a_manager_sees_their_teams_aggregates_only(org_a, org_b, login):
    boss = make_member(org_a, "boss@a.example", is_learner=True)
    with tenant_context(org_a):
        metric = impact.do_define_metric(
            name="Engagement", unit="points", direction="up", level="team"
        )
    big, people = _team(org_a, "Big", 6, boss, metric)
    _team(org_a, "Small", 3, boss, metric)
    _team(org_a, "Elsewhere", 6, None, metric)
    fixture = make_pathway(org_a, n_steps=2)
    for person in people:
        enroll(org_a, fixture, person)
    _roll_up(org_a)
    client = login(boss)
    with count_queries() as ctx:
        page = client.get(f"/o/{org_a.slug}/impact/team/").content.decode()
    assert "Big" in page and "Engagement" in page and "70.0 points" in page
    assert "6 learners, 0 finished" in page
    assert "Hidden: fewer than 5 people" in page  # the small team
    assert "Elsewhere" not in page
    assert "big0@x.example" not in page and "Big0" not in page
    assert 'data-plotly-figure="team-%s-participation"' % big.pk in page
    _team(org_a, "Another", 7, boss, metric)
    _roll_up(org_a)
    with count_queries() as more:
        client.get(f"/o/{org_a.slug}/impact/team/")
    assert len(ctx.app_queries) == len(more.app_queries)


def test_a_month_with_fewer_than_five_people_is_hidden_on_the_page_and_in_downloads(
    org_a, org_b, login
):
    boss = make_member(org_a, "boss@a.example", is_learner=True)
    team, people = _team(org_a, "Ops", 8, boss)
    held_group_session(org_a, people[:3], attended=2)  # three learners: hidden
    _roll_up(org_a)
    client = login(boss)
    page = client.get(f"/o/{org_a.slug}/impact/team/").content.decode()
    assert "coaching places attended" not in page  # no stat card from a hidden month
    assert "hidden" in page
    assert "2 / 3" not in page and "67%" not in page
    body = client.get(f"/o/{org_a.slug}/impact/team/?team={team.pk}&format=csv")
    rows = list(csv.reader(io.StringIO(body.content.decode())))
    [attendance] = [r for r in rows if r[1] == "Coaching attendance"]
    assert attendance[2] == "hidden: fewer than 5 people" and attendance[4:] == ["", "", ""]
    # five learners this time: the month is shown, with its counts
    held_group_session(org_a, people[3:8], attended=4)
    _roll_up(org_a)
    page = client.get(f"/o/{org_a.slug}/impact/team/").content.decode()
    assert "6 of 8 places, 8 learners" in page


def test_it_downloads_the_teams_figures_as_csv_and_xlsx(org_a, org_b, login):
    boss = make_member(org_a, "boss@a.example", is_learner=True)
    with tenant_context(org_a):
        metric = impact.do_define_metric(
            name="=Engagement", unit="points", direction="up", level="team"
        )
    team, people = _team(org_a, "Big", 6, boss, metric)
    fixture = make_pathway(org_a, n_steps=2)
    for person in people:
        enroll(org_a, fixture, person)
    _roll_up(org_a)
    client = login(boss)
    url = f"/o/{org_a.slug}/impact/team/?team={team.pk}&format="
    response = client.get(url + "csv")
    assert response["Content-Disposition"] == 'attachment; filename="team-big.csv"'
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:3] == ["Month", "Measure", "Value"]
    by_measure = {r[1]: r for r in rows[1:]}
    assert by_measure["Pathway completion"][2:] == ["0.0", "share of steps done", "0", "6", "6"]
    assert by_measure["'=Engagement"][2:4] == ["70.0", "points"]  # a formula stays text
    book = load_workbook(io.BytesIO(client.get(url + "xlsx").content))
    sheet_rows = list(book.active.iter_rows(values_only=True))
    assert len(sheet_rows) == len(rows)
    assert client.get(f"/o/{org_a.slug}/impact/team/?team=999999&format=csv").status_code == 404


def test_the_page_takes_the_same_queries_for_a_team_of_5_and_of_60(org_a, org_b, login):
    boss = make_member(org_a, "boss@a.example", is_learner=True)
    with tenant_context(org_a):
        metric = impact.do_define_metric(
            name="Engagement", unit="points", direction="up", level="team"
        )
    team, people = _team(org_a, "Grow", 5, boss, metric)
    fixture = make_pathway(org_a, n_steps=2)
    for person in people:
        enroll(org_a, fixture, person)
    held_group_session(org_a, people, attended=5)
    _roll_up(org_a)
    client = login(boss)
    client.get(f"/o/{org_a.slug}/impact/team/")
    with count_queries() as small:
        client.get(f"/o/{org_a.slug}/impact/team/")
    more = [
        make_member(org_a, f"grow-more{i}@x.example", team=team, is_learner=True) for i in range(55)
    ]
    for person in more:
        enroll(org_a, fixture, person)
    held_group_session(org_a, more, attended=50)
    with tenant_context(org_a):
        for months_back in range(1, 12):
            month = timezone.localdate().replace(day=1)
            for _ in range(months_back):
                month = (month - dt.timedelta(days=1)).replace(day=1)
            impact.upsert_metric_values(
                [impact.ValueRow(metric.pk, team.pk, month, Decimal(60 + months_back))],
                "form",
                None,
            )
    _roll_up(org_a)
    with count_queries() as large:
        page = client.get(f"/o/{org_a.slug}/impact/team/").content.decode()
    assert "60 learners" in page
    assert len(large.app_queries) == len(small.app_queries)
    ours = [q for q in large.app_queries if "teammetricrollup" in q["sql"].lower()]
    assert len(ours) == 1
    # The session, organisation and membership, then the teams with their roll-up rows in
    # one statement.
    assert len(large.app_queries) == 4


def test_others_get_404(org_a, org_b, login):
    boss = make_member(org_a, "boss@a.example", is_learner=True)
    team, _people = _team(org_a, "Big", 6, boss)
    assert (
        login(make_member(org_a, "nobody@a.example", is_learner=True))
        .get(f"/o/{org_a.slug}/impact/team/")
        .status_code
        == 404
    )
    outsider = login(make_member(org_b, "boss@b.example", is_admin=True))
    assert outsider.get(f"/o/{org_a.slug}/impact/team/").status_code == 404
    assert (
        outsider.get(f"/o/{org_a.slug}/impact/team/?team={team.pk}&format=csv").status_code == 404
    )
    # a manager of a team in B cannot download A's team through B's page either
    b_boss = make_member(org_b, "lead@b.example", is_learner=True)
    _team(org_b, "Bees", 6, b_boss)
    assert (
        login(b_boss).get(f"/o/{org_b.slug}/impact/team/?team={team.pk}&format=csv").status_code
        == 404
    )


def test_managers_find_the_page_in_their_navigation_and_admins_find_the_setup(
    org_a, org_b, login, client
):
    boss = make_member(org_a, "boss@a.example", is_learner=True)
    _team(org_a, "Big", 6, boss)
    page = login(boss).get(f"/o/{org_a.slug}/").content.decode()
    assert f'href="/o/{org_a.slug}/impact/team/"' in page
    client.logout()
    plain = make_member(org_a, "plain@a.example", is_learner=True)
    assert (
        f'href="/o/{org_a.slug}/impact/team/"'
        not in login(plain).get(f"/o/{org_a.slug}/").content.decode()
    )
    client.logout()
    admin = make_member(org_a, "admin@a.example", is_admin=True)
    page = login(admin).get(f"/o/{org_a.slug}/people/").content.decode()
    assert f'href="/o/{org_a.slug}/impact/setup/"' in page
