"""The team manager's view: their teams only, aggregates only, nothing for a team under five
people, constant queries."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from measurement import impact
from measurement.services import do_rollup_progress
from organizations.models import Team
from organizations.tenancy import tenant_context
from tests.conftest import count_queries, enroll, make_member, make_pathway


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
    with tenant_context(org_a):
        do_rollup_progress(org_a)
    client = login(boss)
    with count_queries() as ctx:
        page = client.get(f"/o/{org_a.slug}/impact/team/").content.decode()
    assert "Big" in page and "Engagement" in page and "70.0 points" in page
    assert "6 learners, 0 finished" in page
    assert "Hidden: fewer than 5 people" in page  # the small team
    assert "Elsewhere" not in page
    assert "big0@x.example" not in page and "Big0" not in page
    _team(org_a, "Another", 7, boss, metric)
    with count_queries() as more:
        client.get(f"/o/{org_a.slug}/impact/team/")
    assert len(ctx.app_queries) == len(more.app_queries)


def test_others_get_404(org_a, org_b, login):
    boss = make_member(org_a, "boss@a.example", is_learner=True)
    _team(org_a, "Big", 6, boss)
    assert (
        login(make_member(org_a, "nobody@a.example", is_learner=True))
        .get(f"/o/{org_a.slug}/impact/team/")
        .status_code
        == 404
    )
    assert (
        login(make_member(org_b, "boss@b.example", is_admin=True))
        .get(f"/o/{org_a.slug}/impact/team/")
        .status_code
        == 404
    )
