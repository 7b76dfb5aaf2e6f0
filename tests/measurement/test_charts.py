"""The chart pages' figures, built as plain dicts (measurement/charts.py and the builders that use
its helpers: the growth pages, the 360 report, the knowledge estimate), are what Plotly's graph
objects make of the same properties: every property valid, the default template, nothing lost;
and the page embeds them as Django's ``json_script`` would, faster."""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from decimal import Decimal
from typing import Any

import plotly.graph_objects as go
from django.urls import reverse
from django.utils.html import json_script
from plotly.utils import PlotlyJSONEncoder

from measurement import charts, impact
from measurement.feedback import charts as feedback_charts
from measurement.growth import services as growth
from measurement.queries import CompetencyChange, TeamCompletionReport
from measurement.services import do_rollup_progress
from measurement.templatetags.figures import figure_json, figure_script
from organizations.models import Team
from organizations.tenancy import tenant_context
from pathways.models import CohortSponsor
from pathways.scenarios import charts as scenario_charts
from pathways.scenarios import queries as scenario_queries
from tests.conftest import enroll, make_member, make_pathway
from tests.feedback.helpers import (
    answer_all,
    build_scene,
    close_and_compute,
    launch,
    nominate_and_approve,
)
from tests.measurement.growth_helpers import build_growth_scene, peers, run_cycle
from tests.measurement.impact_fixtures import build_example
from tests.pathways.scenarios.test_growth import build_known_data

SCRIPT = re.compile(r'<script id="([^"]+)" type="application/json">(.*?)</script>', re.S)


def _plain(value: Any) -> Any:
    """JSON as the page embedded it before: through plotly's encoder."""
    return json.loads(json.dumps(value, cls=PlotlyJSONEncoder))


def assert_as_graph_objects_make_it(figure: dict[str, Any]) -> None:
    """``figure`` validates through plotly.graph_objects (which raise on any unknown property or
    value) and equals what they make of its traces and layout: the default template included,
    its per-trace defaults for the trace types drawn (plotly.js applies no other)."""
    layout = {k: v for k, v in figure["layout"].items() if k != "template"}
    made = _plain(go.Figure(data=figure["data"], layout=layout).to_plotly_json())
    kinds = {t["type"] for t in made["data"]}
    template = made["layout"]["template"]
    template["data"] = {k: v for k, v in template["data"].items() if k in kinds}
    assert _plain(figure) == made
    assert figure["layout"]["template"]["layout"]  # colours, fonts, axes of the default look


def embedded(html: str) -> dict[str, Any]:
    return {found.group(1): json.loads(found.group(2)) for found in SCRIPT.finditer(html)}


def test_the_sponsor_page_embeds_the_figures_the_graph_objects_gave(org_a, monkeypatch, login):
    cohort_id = build_example(org_a, monkeypatch)
    with tenant_context(org_a):
        impact.do_rollup_impact()
        do_rollup_progress(org_a)
    sponsor = make_member(org_a, "sponsor@a.example", is_sponsor=True)
    with tenant_context(org_a):
        CohortSponsor.objects.create(cohort_id=cohort_id, membership=sponsor)
    html = login(sponsor).get(reverse("sponsor_home", args=[org_a.slug])).content.decode()
    figures = embedded(html)
    assert {"roi-figure", "team-completion-figure"} <= set(figures)
    assert any(name.startswith("metric-") for name in figures)
    for figure in figures.values():
        assert_as_graph_objects_make_it(figure)
    roi = figures["roi-figure"]
    assert roi["data"][0]["type"] == "bar" and roi["data"][0]["x"][-1] == 460000.0
    assert roi["layout"]["title"]["text"].startswith("Benefits of 880,000 against costs")
    metric = next(f for name, f in figures.items() if name.startswith("metric-"))
    assert metric["layout"]["shapes"][0]["line"] == {"color": "#555", "dash": "dot"}
    # the hover templates' markup arrives escaped in the page and intact in the figure
    assert "<b>%{y}</b>" in roi["data"][0]["hovertemplate"] and "\\u003Cb\\u003E" in html


def test_the_team_and_growth_pages_embed_the_figures_the_graph_objects_gave(org_a, client):
    boss = make_member(org_a, "boss@a.example", is_learner=True)
    with tenant_context(org_a):
        metric = impact.do_define_metric(
            name="Engagement", unit="points", direction="up", level="team"
        )
        team = Team.objects.create(name="Big", manager=boss)
        month = dt.date.today().replace(day=1) - dt.timedelta(days=1)
        impact.upsert_metric_values(
            [impact.ValueRow(metric.pk, team.pk, month.replace(day=1), Decimal(70))], "form", None
        )
    fixture = make_pathway(org_a, n_steps=2)
    for i in range(6):
        enroll(org_a, fixture, make_member(org_a, f"p{i}@a.example", team=team, is_learner=True))
    with tenant_context(org_a):
        do_rollup_progress(org_a)
        impact.do_rollup_team_metrics()
    client.force_login(boss.user)
    figures = embedded(client.get(f"/o/{org_a.slug}/impact/team/").content.decode())
    assert f"team-{team.pk}-participation" in figures and len(figures) == 2
    for figure in figures.values():
        assert_as_graph_objects_make_it(figure)

    scene = build_growth_scene(org_a, "g")
    baseline = run_cycle(scene, peers(2))
    run_cycle(scene, peers(4, self_value=5), kind="follow_up", baseline=baseline)
    with tenant_context(org_a):
        growth.do_rollup_growth()
    client.force_login(scene.learner.user)
    html = client.get(reverse("learner_growth", args=[org_a.slug])).content.decode()
    figure = embedded(html)["growth-figure"]
    assert_as_graph_objects_make_it(figure)
    assert [t["type"] for t in figure["data"]] == ["scatter"] * 3


def test_the_360_report_and_knowledge_pages_embed_the_figures_the_graph_objects_gave(
    org_a, org_b, client
):
    scene = build_scene(org_a)
    build_scene(org_b, prefix="b-")
    cycle = launch(scene)
    participant = nominate_and_approve(scene, cycle, peers=3)
    # self above others everywhere: blind spots, and a title long enough to be wrapped
    answer_all(scene, participant, lambda r, i: 5 if r.relationship == "self" else 2)
    (report,) = close_and_compute(scene, cycle)
    client.force_login(scene.learner.user)
    url = reverse("feedback_report", args=[org_a.slug, report.pk])
    html = client.get(url).content.decode()
    figure = embedded(html)["report-figure"]
    assert_as_graph_objects_make_it(figure)
    assert [(t["type"], t["name"]) for t in figure["data"]] == [
        ("scatter", "Others (mean of shown groups)"),
        ("scatter", "Self"),
    ]
    assert "<br>" in figure["layout"]["title"]["text"] and "\\u003Cbr\\u003E" in html
    assert figure["data"][1]["x"] == [5.0] * len(figure["data"][1]["y"])

    leo = make_member(org_a, "leo@a.example", is_learner=True)
    build_known_data(org_a, leo)
    client.force_login(leo.user)
    html = client.get(reverse("my_growth", args=[org_a.slug])).content.decode()
    figure = embedded(html)["growth-figure"]
    assert_as_graph_objects_make_it(figure)
    (bar,) = figure["data"]
    assert bar["type"] == "bar" and bar["marker"]["pattern"]["shape"]
    assert [s["type"] for s in figure["layout"]["shapes"]] == ["line"]
    assert figure["layout"]["annotations"][0]["text"].startswith("strong at ")


def test_figures_without_data_are_still_what_the_graph_objects_gave():
    empty = TeamCompletionReport(period=None, teams=[], hidden_teams=0, computed_at=None)
    assert_as_graph_objects_make_it(charts.team_completion_figure(empty))
    assert_as_graph_objects_make_it(charts.behaviour_figure([]))
    hidden = CompetencyChange("Listening", 3, True, "", None, None, None, None, None, 0)
    assert charts.behaviour_figure([hidden])["data"][0]["x"] == []
    assert_as_graph_objects_make_it(feedback_charts.report_figure({"competencies": []}))
    nothing = scenario_queries.GrowthReport(competencies=[])
    assert_as_graph_objects_make_it(scenario_charts.growth_figure(nothing))


def test_figure_script_gives_what_json_script_gave_for_the_old_figures():
    figure = {
        "data": [
            {
                "type": "scatter",
                "x": [dt.date(2026, 1, 1), "2026-02-01"],
                "y": [Decimal("1.50"), math.nan],
                "hovertemplate": "<b>%{y}</b> & more<extra>Équipe</extra>",
                "customdata": [[1, math.inf], [2, None]],
            }
        ],
        "layout": {"title": {"text": "Sales <br>and </script> “quoted”"}},
    }
    old = str(json_script(_plain(figure), "f"))
    assert str(figure_script(figure, "f")) == old
    assert "</script>" not in figure_json(figure) and "<" not in figure_json(figure)
    assert json.loads(figure_json(figure))["data"][0]["y"] == [1.5, None]


def test_a_shared_templates_json_is_put_in_place_as_the_whole_figure_dumped():
    tricky = {
        "type": "scatter",
        "x": [dt.date(2026, 1, 1), "2026-02-01"],
        "y": [Decimal("1.50"), math.nan],
        "hovertemplate": "<b>%{y}</b> & more<extra>Équipe</extra>",
    }
    layout = {"title": {"text": "Sales <br>and </script> “quoted”"}, "height": 300}
    figures = [
        charts.figure([tricky], layout),  # NaN: plotly's encoder writes null
        charts.figure([charts.trace("bar", x=[1.5], y=["a"])], {"height": 200}),
        charts.figure([charts.trace("bar", x=[1]), charts.trace("scatter", x=[2])], {}),
        charts.figure([], {"title": {"text": "none"}}),
    ]
    for figure in [*figures, *figures]:  # written, then from the kept JSON
        whole = {"data": figure["data"], "layout": dict(figure["layout"])}
        whole["layout"]["template"] = dict(figure["layout"]["template"])  # not shared: dumped
        assert figure_json(figure) == figure_json(whole)
        assert figure_json(figure) == figure_json(json.loads(figure_json(whole)))
    assert charts.figure([tricky], {})["layout"]["template"] is figures[0]["layout"]["template"]
