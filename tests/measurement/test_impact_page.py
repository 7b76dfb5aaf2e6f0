"""The impact page's metric cards and table rows, built in Python: the branches the template
had (before/after only, too few teams, hidden competencies, shared costs, claims), with values
escaped and links to the drill-downs; and the page as a whole for a sponsor, 404 elsewhere."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

from django.urls import reverse

from measurement import impact, impact_page, queries
from measurement.queries import (
    CohortImpact,
    CompetencyChange,
    GroupPoint,
    Level,
    MetricResult,
    TeamCompletion,
    TeamCompletionReport,
)
from measurement.services import do_rollup_progress
from organizations.models import Membership
from organizations.tenancy import tenant_context
from pathways.models import Cohort, CohortSponsor
from tests.conftest import count_queries, make_member
from tests.measurement.impact_fixtures import START, build_example

DID = {
    "estimate": -3.0,
    "ci_low": -4.125,
    "ci_high": -1.875,
    "naive": -4.0,
    "treated_pre": 15.0,
    "treated_post": 11.0,
    "comparison_pre": 14.0,
    "comparison_post": 13.0,
}


def _metric(**changes):
    metric = MetricResult(
        metric_id=7,
        name="Turnover & <churn>",
        unit="%",
        level="team",
        higher_is_better=False,
        did=DID,
        pre_post=None,
        pre_trend={"parallel": True},
        too_few="",
        money=Decimal("425250.00"),
        naive_money=Decimal("576731.00"),
        participant_teams=6,
        comparison_teams=8,
        values=140,
        series=[GroupPoint(dt.date(2026, 1, 1), "participants", 6, 15.0)],
    )
    return dataclasses.replace(metric, **changes)


def _impact(**changes):
    example = CohortImpact(
        id=3,
        name="Spring",
        start_date=dt.date(2026, 1, 5),
        currency="EUR",
        participants=40,
        has_comparison=True,
        comparison_label="Service teams",
        plan_changed_on=None,
        costs=Decimal("460000.00"),
        benefits=Decimal("880000.00"),
        bcr=1.91,
        roi_pct=91.0,
        payback_months=6.3,
        computed_at=dt.datetime(2026, 12, 1, tzinfo=dt.UTC),
        levels=[Level("1", "Reaction", "rated 4 of 5 <well>", "12 ratings", "levels")],
        behaviour=[],
        metrics=[],
        benefit_rows=[],
        cost_rows=[],
        claims=[],
        intangibles=[],
        evaluation=["2026-01-01", "2026-12-31"],
    )
    return dataclasses.replace(example, **changes)


def test_a_metric_card_shows_the_estimate_its_money_and_its_links():
    impact_ = _impact(metrics=[_metric()])
    [card] = impact_page.metric_cards(impact_, [(impact_.metrics[0], {"data": []}, "m-7")], "acme")
    url = reverse("impact_metric", args=["acme", 3, 7])
    assert "Turnover &amp; &lt;churn&gt; (%)" in card
    assert "aria-label=\"Monthly Turnover &amp; &lt;churn&gt; of participants'" in card
    assert '<script id="m-7" type="application/json">' in card
    assert "Difference-in-differences: -3.00 percentage points (95% CI -4.13 to -1.88" in card
    assert "Worth 425,250 EUR a year (the naive figure would claim 576,731 EUR)." in card
    assert "both groups moved in parallel" in card
    assert f'<p><a href="{url}">See the 140 team values behind this</a></p>' in card
    assert f'<a href="{url}?format=csv" download>CSV</a>' in card
    assert "Download the monthly means of the chart:" in card


def test_a_metric_without_a_comparison_group_or_with_too_few_teams_says_so():
    before_after = _metric(did=None, pre_post={"pre": 1.5, "post": 2.25}, money=None, series=[])
    too_few = _metric(metric_id=8, did=None, too_few="only 2 teams <yet>", series=[])
    unparallel = _metric(metric_id=9, money=None, pre_trend={"parallel": False})
    impact_ = _impact(metrics=[before_after, too_few, unparallel])
    cards = impact_page.metric_cards(
        impact_, [(m, {}, f"m-{m.metric_id}") for m in impact_.metrics], "acme"
    )
    assert '<td class="num">1.50</td><td class="num">2.25</td><td class="num">6</td>' in cards[0]
    assert "weaker evidence" in cards[0] and "Comparison teams" not in cards[0]
    assert "data-plotly-figure" not in cards[0]
    assert '<p class="muted">only 2 teams &lt;yet&gt;</p>' in cards[1]
    assert "Difference-in-differences" not in cards[1]
    assert "caution" in cards[2] and "Worth" not in cards[2]


def test_behaviour_rows_hide_small_groups_and_show_changes():
    shown = CompetencyChange("Listening <1>", 6, False, "", 0.125, 0.05, 0.2, 0.4, 0.5, 2)
    hidden = dataclasses.replace(shown, name="Feedback", n=4, hidden=True)
    few = dataclasses.replace(shown, name="Coaching", too_few="no follow-up yet")
    rows = impact_page.behaviour_rows(_impact(behaviour=[shown, hidden, few]), 5)
    assert (
        '<tr><th scope="row">Listening &lt;1&gt;</th><td class="num">6</td>\n    '
        '<td class="num">0.13 (0.05 to 0.20)</td><td class="num">0.50</td>'
        '<td class="num">0.40</td><td class="num">2 / 6</td></tr>'
    ) in rows
    assert "hidden: fewer than 5 learners, so it could identify people" in rows
    assert '<td colspan="4">no follow-up yet</td>' in rows


def test_roi_rows_link_their_evidence_and_share_costs():
    impact_ = _impact(
        benefit_rows=[
            {
                "label": "Claims & estimates",
                "source": "participants' estimates",
                "facts": {"respondents": 29, "participants": 40, "excluded": 2},
                "gross": "120000.00",
                "value": "60000.00",
            },
            {
                "label": "Turnover",
                "source": "comparison group (difference-in-differences)",
                "facts": {"metric_id": 7},
                "gross": "500000.00",
                "value": "425250.00",
            },
        ],
        cost_rows=[
            {
                "label": "Coaching",
                "description": "external <coaches>",
                "shared_by": 3,
                "amount": "30000.00",
                "allocated": "10000.00",
            }
        ],
    )
    benefits = impact_page.benefit_rows(impact_, "acme")
    assert (
        f'<a href="{reverse("impact_claims", args=["acme", 3])}">Claims &amp; estimates' in benefits
    )
    assert "29 of 40 participants claimed (the others count zero); 2 excluded" in benefits
    assert f'<a href="{reverse("impact_metric", args=["acme", 3, 7])}">Turnover</a>' in benefits
    assert '<td class="num">120,000</td><td class="num">60,000</td>' in benefits
    costs = impact_page.cost_rows(impact_)
    assert "<td>external &lt;coaches&gt; (1/3 of 30000.00)</td>" in costs
    assert '<td class="num">10,000</td>' in costs
    assert impact_page.benefit_rows(_impact(), "acme") == ""


def test_level_and_team_rows():
    levels = impact_page.level_rows(_impact())
    assert levels == (
        '<tr><th scope="row"><a href="#levels">1 Reaction</a></th>'
        "<td>rated 4 of 5 &lt;well&gt;</td><td>12 ratings</td></tr>"
    )
    report = TeamCompletionReport(
        period=dt.date(2026, 12, 1),
        teams=[TeamCompletion("Sales & Co", 7, 2, 0.505)],
        hidden_teams=0,
        computed_at=None,
    )
    assert impact_page.team_rows(report) == (
        '<tr><th scope="row">Sales &amp; Co</th><td class="num">7</td>'
        '<td class="num">2</td><td class="num">50%</td></tr>'
    )


def test_the_page_shows_the_built_parts_to_its_sponsor_only(org_a, org_b, monkeypatch, login):
    cohort_id = build_example(org_a, monkeypatch, learners_n=40)
    sponsor = make_member(org_a, "sponsor@a.example", is_sponsor=True)
    with tenant_context(org_a):
        impact.do_rollup_impact()
        do_rollup_progress(org_a)
        CohortSponsor.objects.create(cohort_id=cohort_id, membership=sponsor)
        teams = queries.team_completion().teams
    assert len(teams) == 4  # ten learners in each participants' team
    url = reverse("sponsor_home", args=[org_a.slug])
    client = login(sponsor)
    client.get(url)
    with count_queries() as ctx:
        html = client.get(url).content.decode()
    assert len(ctx.app_queries) == 5
    assert "Difference-in-differences:" in html
    assert reverse("impact_claims", args=[org_a.slug, cohort_id]) in html
    assert "Download the monthly means of the chart:" in html
    assert impact_page.team_rows(queries.TeamCompletionReport(None, teams, 0, None)) in html
    outsider = login(make_member(org_b, "sponsor@b.example", is_sponsor=True))
    assert outsider.get(url).status_code == 404
    assert (
        "Difference-in-differences:"
        not in outsider.get(reverse("sponsor_home", args=[org_b.slug])).content.decode()
    )


def test_an_admin_chooses_among_all_cohorts_newest_first(org_a, org_b, monkeypatch, login):
    older = build_example(org_a, monkeypatch, learners_n=6)
    with tenant_context(org_a):
        newer = Cohort.objects.create(
            name="Autumn",
            version=Cohort.objects.get(pk=older).version,
            start_date=START.replace(month=9),
        )
        Cohort.objects.create(
            name="Later, no plan", version=newer.version, start_date=dt.date(2026, 10, 1)
        )
        impact.do_rollup_impact()
        page, report = queries.impact_page_data(
            make_member(org_a, "boss@a.example", is_admin=True), None
        )
        assert [c.name for c in page.cohorts] == [
            c.name
            for c in queries.visible_cohorts(Membership.objects.get(user__email="boss@a.example"))
        ]
        assert [c.start_date for c in page.cohorts] == sorted(
            (c.start_date for c in page.cohorts), reverse=True
        )
        assert [c.has_rollup for c in page.cohorts] == [False, False, True]
        assert page.selected is not None and page.selected.id == older
        assert report == queries.team_completion()


def test_table_downloads_are_the_include():
    from django.template.loader import render_to_string

    for query in ("cohort=7&table=levels", "table=progress", 'a=<b>&c="d"', ""):
        expected = render_to_string("includes/table_downloads.html", {"query": query})
        assert str(impact_page.table_downloads(query)) == expected
