"""The sponsor's and team manager's dashboards through the API: the figures the impact page
shows (MEASUREMENT.md's worked example), for the same readers under the same anonymity rule,
constant queries, and nothing of one person."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from competencies.models import Competency, Framework
from measurement import impact, queries, sources, stats
from measurement.services import do_rollup_progress
from organizations.api_keys.services import do_create_key
from organizations.models import Team
from organizations.tenancy import tenant_context
from pathways.models import CohortSponsor
from tests.api.test_costs_api import _key
from tests.conftest import count_queries, enroll, make_member, make_pathway
from tests.measurement.impact_fixtures import build_example
from tests.measurement.test_behaviour_rollup import BASE, FOLLOW, _facts


def _sponsor(org, cohort_id, email="sponsor@a.example"):
    sponsor = make_member(org, email, is_sponsor=True)
    with tenant_context(org):
        CohortSponsor.objects.create(cohort_id=cohort_id, membership=sponsor)
    return sponsor


def _rolled(org, monkeypatch, learners_n=40):
    cohort_id = build_example(org, monkeypatch, learners_n=learners_n)
    with tenant_context(org):
        impact.do_rollup_impact()
    return cohort_id


def _api(org, path=""):
    return f"/api/v1/orgs/{org.slug}/impact/{path}"


def test_it_gives_the_worked_examples_headline_chain_and_roi_table(
    client, org_a, org_b, monkeypatch
):
    cohort_id = _rolled(org_a, monkeypatch)
    client.force_login(_sponsor(org_a, cohort_id).user)
    cohorts = client.get(_api(org_a, "cohorts/")).json()
    assert [(c["id"], c["has_figures"]) for c in cohorts] == [(cohort_id, True)]
    body = client.get(_api(org_a, f"cohorts/{cohort_id}/")).json()
    headline = body["headline"]
    assert headline["benefits"] == "880000.00" and headline["costs"] == "460000.00"
    assert headline["bcr"] == pytest.approx(1.91, abs=0.005)
    assert headline["roi_pct"] == pytest.approx(91.3, abs=0.05)
    assert headline["payback_months"] == pytest.approx(6.3, abs=0.05)
    assert [lv["level"] for lv in body["levels"]] == ["1", "2", "3", "4", "5", "ROI"]
    assert body["participants"] == 40 and body["has_comparison"] is True
    [turnover] = body["results"]
    assert turnover["did"]["estimate"] == pytest.approx(-3.0)
    assert turnover["did"]["ci_low"] <= -3.0 <= turnover["did"]["ci_high"]
    assert turnover["money"] == "480000.00" and turnover["naive_money"] == "800000.00"
    assert turnover["change_unit"] == "percentage points" and turnover["pre_post"] is None
    assert {p["group"] for p in turnover["series"]} == {"participants", "comparison"}
    assert [(b["source"], b["value"]) for b in body["benefits"]] == [
        ("comparison group (difference-in-differences)", "480000.00"),
        ("participants' estimates", "400000.00"),
    ]
    assert body["benefits"][1]["facts"]["respondents"] == 29
    by_category = {c["category"]: c["allocated"] for c in body["costs_by_category"]}
    assert by_category["participants_time"] == "216000.00"
    assert sum(Decimal(v) for v in by_category.values()) == Decimal("460000.00")
    assert len(body["costs"]) == 9
    assert body["intangibles"] == ["Engagement", "Bench strength"]
    # The same figures as the page's ROI export.
    page = client.get(reverse("sponsor_home", args=[org_a.slug]) + "?format=csv").content
    assert b"880000.00" in page and b"460000.00" in page
    claims = client.get(_api(org_a, f"cohorts/{cohort_id}/claims/"))
    assert len(claims.json()) == 30
    assert {c["status"] for c in claims.json()} == {"confirmed", "excluded"}
    assert b"mgr" not in claims.content and b"mgr" not in client.get(_api(org_a)).content


def test_behaviour_cells_under_five_learners_carry_no_figure(client, org_a, org_b, monkeypatch):
    fixture = make_pathway(org_a, n_steps=1)
    learners = [make_member(org_a, f"p{i}@a.example", is_learner=True) for i in range(6)]
    for learner in learners:
        enroll(org_a, fixture, learner)
    with tenant_context(org_a):
        framework = Framework.objects.create(name="Leadership")
        listening = Competency.objects.create(framework=framework, name="Listening")
        feedback = Competency.objects.create(framework=framework, name="Giving feedback")
    facts = _facts(fixture.cohort.pk, learners, listening.pk, 6) + _facts(
        fixture.cohort.pk, learners, feedback.pk, 4
    )
    monkeypatch.setattr(sources, "competency_scores", lambda ids: facts)
    with tenant_context(org_a):
        impact.do_save_plan(
            fixture.cohort,
            impact.PlanInput(
                dt.date(2026, 7, 1), dt.date(2026, 12, 31), profit_margin_pct=Decimal(10)
            ),
            None,
        )
        impact.do_rollup_impact()
    client.force_login(_sponsor(org_a, fixture.cohort.pk).user)
    rows = {
        r["competency"]: r
        for r in client.get(_api(org_a, f"cohorts/{fixture.cohort.pk}/")).json()["behaviour"]
    }
    expected = stats.paired_change(BASE, FOLLOW)
    assert isinstance(expected, stats.PairedChange)
    shown = rows["Listening"]
    assert shown["n"] == 6 and shown["reliable"] == 1 and shown["hidden"] is False
    assert shown["mean_change"] == pytest.approx(expected.mean_change, abs=1e-4)
    assert shown["ci_low"] == pytest.approx(expected.ci_low, abs=1e-4)
    assert shown["d_z"] == pytest.approx(expected.d_z, abs=1e-4)
    assert shown["d_av"] == pytest.approx(expected.d_av, abs=1e-4)
    hidden = rows["Giving feedback"]
    assert hidden["hidden"] is True and hidden["n"] == 4
    assert [hidden[k] for k in ("mean_change", "ci_low", "ci_high", "d_z", "d_av")] == [None] * 5


def test_readers_are_those_of_the_page(client, org_a, org_b, monkeypatch):
    cohort_id = _rolled(org_a, monkeypatch)
    detail = _api(org_a, f"cohorts/{cohort_id}/")
    claims = _api(org_a, f"cohorts/{cohort_id}/claims/")
    # A sponsor of another cohort sees no cohort, and this one as absent.
    client.force_login(make_member(org_a, "other-sponsor@a.example", is_sponsor=True).user)
    assert client.get(_api(org_a, "cohorts/")).json() == []
    assert client.get(detail).status_code == 404 and client.get(claims).status_code == 404
    # Learners and coaches are refused by role.
    for roles in ({"is_learner": True}, {"is_coach": True}):
        who = make_member(org_a, f"{next(iter(roles))}@a.example", **roles)
        client.force_login(who.user)
        for url in (_api(org_a, "cohorts/"), detail, claims, _api(org_a, "team-progress/")):
            assert client.get(url).status_code == 403, url
    # An admin sees every cohort, with a session or with a read-only key.
    admin = make_member(org_a, "admin@a.example", is_admin=True)
    client.force_login(admin.user)
    assert client.get(detail).json()["id"] == cohort_id
    client.logout()
    assert client.get(detail, **_key(org_a, admin, "read")).json()["id"] == cohort_id
    # A cohort without a roll-up has no figures to show.
    plain = make_pathway(org_a, name="No plan")
    without = client.get(
        _api(org_a, f"cohorts/{plain.cohort.pk}/"), **_key(org_a, admin, "read", "B")
    )
    assert without.status_code == 404
    client.force_login(admin.user)
    listed = {c["id"]: c["has_figures"] for c in client.get(_api(org_a, "cohorts/")).json()}
    assert listed == {cohort_id: True, plain.cohort.pk: False}
    assert client.get(_api(org_a, f"cohorts/{plain.cohort.pk}/")).status_code == 404


def test_another_organisation_gets_404(client, org_a, org_b, monkeypatch):
    cohort_id = _rolled(org_a, monkeypatch)
    outsider = make_member(org_b, "admin@b.example", is_admin=True, is_sponsor=True)
    urls = ["cohorts/", f"cohorts/{cohort_id}/", f"cohorts/{cohort_id}/claims/", "team-progress/"]
    client.force_login(outsider.user)
    for url in urls:
        assert client.get(_api(org_a, url)).status_code == 404, url
    for url in urls[1:3]:
        assert client.get(_api(org_b, url)).status_code == 404, url
    assert client.get(f"/api/v1/orgs/{org_a.slug}/me/teams/").status_code == 404
    client.logout()
    with tenant_context(org_b):
        their_key = do_create_key(outsider, "BI", "read").plaintext
    for url in urls:
        response = client.get(_api(org_a, url), HTTP_AUTHORIZATION=f"Bearer {their_key}")
        assert response.status_code == 404, url


def test_the_impact_reads_take_the_same_queries_whatever_the_cohort_size(
    client, org_a, org_b, monkeypatch
):
    small = _rolled(org_a, monkeypatch, learners_n=5)
    client.force_login(_sponsor(org_a, small).user)
    with count_queries() as few:
        assert client.get(_api(org_a, f"cohorts/{small}/")).status_code == 200
    big = _rolled(org_b, monkeypatch, learners_n=60)
    client.force_login(_sponsor(org_b, big, email="sponsor@b.example").user)
    with count_queries() as many:
        assert client.get(_api(org_b, f"cohorts/{big}/")).status_code == 200
    assert len(few.app_queries) == len(many.app_queries)
    urls = ("cohorts/", f"cohorts/{big}/claims/")
    with count_queries() as before:
        for url in urls:
            assert client.get(_api(org_b, url)).status_code == 200
    for i in range(3):
        with tenant_context(org_b):
            CohortSponsor.objects.create(
                cohort=make_pathway(org_b, name=f"More {i}").cohort,
                membership=CohortSponsor.objects.get(cohort_id=big).membership,
            )
    with count_queries() as after:
        assert len(client.get(_api(org_b, urls[0])).json()) == 4
        assert client.get(_api(org_b, urls[1])).status_code == 200
    assert len(before.app_queries) == len(after.app_queries)
    etag = client.get(_api(org_b, f"cohorts/{big}/"))["ETag"]
    assert client.get(_api(org_b, f"cohorts/{big}/"), HTTP_IF_NONE_MATCH=etag).status_code == 304


def test_team_progress_leaves_out_teams_under_five_learners(client, org_a, org_b):
    fixture = make_pathway(org_a, n_steps=2)
    with tenant_context(org_a):
        big = Team.objects.create(name="Big")
        small = Team.objects.create(name="Small")
    for team, n in ((big, 6), (small, 3)):
        for i in range(n):
            enroll(org_a, fixture, make_member(org_a, f"{team.name}{i}@a.example", team=team))
    with tenant_context(org_a):
        do_rollup_progress(org_a)
    client.force_login(make_member(org_a, "s@a.example", is_sponsor=True).user)
    with count_queries() as few:
        body = client.get(_api(org_a, "team-progress/")).json()
    assert [(t["team"], t["learners"]) for t in body["teams"]] == [("Big", 6)]
    assert body["hidden_teams"] == 1 and body["learners"] == 6
    with tenant_context(org_a):
        assert body["hidden_teams"] == queries.team_completion().hidden_teams
        more = Team.objects.create(name="More")
    for i in range(7):
        enroll(org_a, fixture, make_member(org_a, f"more{i}@a.example", team=more))
    with tenant_context(org_a):
        do_rollup_progress(org_a)
    with count_queries() as many:
        assert len(client.get(_api(org_a, "team-progress/")).json()["teams"]) == 2
    assert len(few.app_queries) == len(many.app_queries)


def test_a_manager_reads_their_teams_aggregates_only(client, org_a, org_b):
    boss = make_member(org_a, "boss@a.example", is_learner=True)
    with tenant_context(org_a):
        metric = impact.do_define_metric(
            name="Engagement", unit="points", direction="up", level="team"
        )
        big = Team.objects.create(name="Big", manager=boss)
        small = Team.objects.create(name="Small", manager=boss)
    fixture = make_pathway(org_a, n_steps=2)
    for team, n in ((big, 6), (small, 3)):
        for i in range(n):
            person = make_member(org_a, f"{team.name}{i}@a.example", team=team, is_learner=True)
            enroll(org_a, fixture, person)
    with tenant_context(org_a):
        month = (dt.date.today().replace(day=1) - dt.timedelta(days=1)).replace(day=1)
        impact.upsert_metric_values(
            [impact.ValueRow(metric.pk, t.pk, month, Decimal(70)) for t in (big, small)],
            "form",
            None,
        )
        do_rollup_progress(org_a)
        impact.do_rollup_team_metrics()
    client.force_login(boss.user)
    url = f"/api/v1/orgs/{org_a.slug}/me/teams/"
    with count_queries() as few:
        response = client.get(url)
    teams = {t["name"]: t for t in response.json()}
    assert teams["Big"]["shown"] is True and teams["Big"]["learners"] == 6
    [completion] = [c for c in teams["Big"]["programme"] if c["measure"] == "completion"]
    assert completion["hidden"] is False and completion["base"] == 6 and completion["part"] == 0
    assert teams["Big"]["metrics"][0]["points"] == [
        {"period": month.isoformat(), "value": "70.0000"}
    ]
    assert teams["Small"] == {
        "id": small.pk,
        "name": "Small",
        "people": 3,
        "shown": False,
        "learners": None,
        "finished": None,
        "mean_completion": None,
        "programme": [],
        "metrics": [],
    }
    assert b"Big0" not in response.content and b"@a.example" not in response.content
    with tenant_context(org_a):
        Team.objects.create(name="Another", manager=boss)
    with count_queries() as more:
        assert len(client.get(url).json()) == 3
    assert len(few.app_queries) == len(more.app_queries)
    client.force_login(make_member(org_a, "nobody@a.example", is_learner=True).user)
    assert client.get(url).status_code == 404
