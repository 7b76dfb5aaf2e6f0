"""The team manager's page put together in Python (measurement/team_page.py, in
templates/measurement/team_dashboard.html): the same HTML as the content block it replaced
(tests/measurement/templates_before.py), for a team too small to show, teams with and without
programme figures, each latest figure and metrics (with and without shown months), names to
escape, one person and many, in English and German."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.template import Context, Template
from django.utils import translation

from measurement import charts, team_page
from measurement.queries import MIN_CELL_SIZE, ManagedTeam, TeamCell, TeamMetricSeries
from tests.measurement import templates_before

JAN, FEB, MAR, APR = (dt.date(2026, m, 1) for m in (1, 2, 3, 4))
NAME = "Ops <b>&\"'"


def _shown(period: dt.date, value: float, base: int = 12, part: int = 7) -> TeamCell:
    return TeamCell(period, value, base, part, 9)


def _hidden(period: dt.date) -> TeamCell:
    return TeamCell(period, None, None, None, None)


def _team(
    pk: int, name: str = NAME, people: int = 9, shown: bool = True, **parts: Any
) -> ManagedTeam:
    values: dict[str, Any] = {
        "completion": [],
        "milestones": [],
        "satisfaction": [],
        "attendance": [],
        "metrics": [],
    }
    values.update(parts)
    return ManagedTeam(id=pk, name=name, people=people, shown=shown, months=[], **values)


METRICS = [
    TeamMetricSeries(31, 'Churn & <risk> "x"', "%", False, [_shown(JAN, 12.25), _shown(MAR, 9.5)]),
    TeamMetricSeries(32, "Quiet", "days", True, [_hidden(JAN), _hidden(FEB)]),
    TeamMetricSeries(33, "Revenue", "k€ <net>", True, [_hidden(JAN), _shown(FEB, 1500.04)]),
]
FULL = {
    "completion": [_shown(JAN, 0.125), _hidden(FEB), _shown(MAR, 0.995, base=1234, part=3)],
    "milestones": [_shown(FEB, 0.5, base=4, part=2), _hidden(APR)],
    "satisfaction": [_shown(JAN, 4.256, base=6), _shown(MAR, 3.04, base=1)],
    "attendance": [_hidden(JAN), _shown(MAR, 0.8, base=20, part=16)],
}
SHAPES: dict[str, list[ManagedTeam]] = {
    "a hidden team of one": [_team(1, people=1, shown=False)],
    "a hidden team and a shown one": [
        _team(2, name="Small & <few>", people=3, shown=False),
        _team(3, **FULL, metrics=METRICS),
    ],
    "every figure and metric": [_team(4, **FULL, metrics=METRICS)],
    "no programme figures, no metrics": [_team(5, people=5)],
    "no programme figures, metrics only": [_team(6, metrics=METRICS[1:2])],
    "programme months all hidden": [
        _team(7, completion=[_hidden(JAN)], attendance=[_hidden(FEB)], metrics=METRICS[:1])
    ],
    "milestones only": [_team(8, milestones=[_shown(APR, 1.0, base=3, part=3)])],
    "satisfaction only": [_team(9, satisfaction=[_hidden(JAN), _shown(FEB, 5.0, base=1)])],
    "attendance only, completion hidden": [
        _team(10, completion=[_hidden(MAR)], attendance=[_shown(MAR, 0.0, base=7, part=0)])
    ],
    "several teams": [
        _team(11, name="A", people=1, shown=False),
        _team(12, name="B", people=14, **FULL),
        _team(13, name="C", people=6, metrics=METRICS),
    ],
}


def _content() -> str:
    """The template's content block as it is now."""
    # The page's template, its frame now written by ``page_frame``, kept as it was.
    path = Path(settings.BASE_DIR) / "tests" / "organizations" / "replaced" / "team_dashboard.html"
    text = path.read_text()
    start = text.index("{% block content %}") + len("{% block content %}")
    return "{% load i18n %}" + text[start : text.rindex("{% endblock %}")]


def _sections(teams: list[ManagedTeam]) -> list[tuple[Any, ...]]:
    """The sections as the view gave them to the template before."""
    return [
        (
            t,
            charts.team_participation_figure(t) if t.shown and t.has_programme else None,
            f"team-{t.id}-participation",
            [(m, charts.team_metric_figure(t, m), f"team-{t.id}-metric-{m.id}") for m in t.metrics],
            team_page.programme_rows(t) if t.shown and t.has_programme else "",
            team_page.metric_rows(t) if t.shown else "",
        )
        for t in teams
    ]


def _both(teams: list[ManagedTeam]) -> tuple[str, str]:
    expected = Template(templates_before.TEAM_DASHBOARD).render(
        Context({"sections": _sections(teams), "min_cell": MIN_CELL_SIZE})
    )
    written = Template(_content()).render(
        Context({"content": team_page.content_html(teams, MIN_CELL_SIZE)})
    )
    return written, expected


@pytest.mark.parametrize("language", ["en", "de"])
@pytest.mark.parametrize("shape", SHAPES)
def test_the_page_is_what_its_template_wrote(language, shape):
    with translation.override(language):
        written, expected = _both(SHAPES[shape])
    assert written == expected


def test_the_shapes_reach_every_branch():
    with translation.override("en"):
        html = "".join(_both(teams)[0] for teams in SHAPES.values())
    for text in (
        "Ops &lt;b&gt;&amp;&quot;&#x27;",
        "Small &amp; &lt;few&gt;",
        "· 1 person</span>",
        "· 3 people</span>",
        "Hidden: fewer than 5 people",
        "mean pathway completion",
        "shown from 5 learners in the team",
        "1234 learners, 3 finished (Mar 2026)",
        "project milestones on time",
        "3.0 / 5",
        "1 ratings in Mar 2026",
        "coaching places attended",
        "16 of 20 places, 9 learners (Mar 2026)",
        'data-plotly-figure="team-4-participation"',
        '<script id="team-4-participation" type="application/json">',
        "No programme figures for this team yet",
        "Team metrics",
        'data-plotly-figure="team-4-metric-31"',
        "Churn &amp; &lt;risk&gt; &quot;x&quot; by month",
        "No metric values for this team",
        "Download every figure of Ops &lt;b&gt;",
        'href="?team=4&amp;format=xlsx"',
    ):
        assert text in html, text
    assert 'data-plotly-figure="team-4-metric-32"' not in html  # no shown month, no chart
    with translation.override("de"):
        german = _both(SHAPES["every figure and metric"])[0]
    assert "Mär 2026" in german and "3,0 / 5" in german
