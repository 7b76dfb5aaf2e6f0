"""Plotly figures as plain JSON-ready dicts; drawn by the locally served plotly.js.

This module is the one place that builds figures (the growth pages', the 360 report's and the
knowledge estimate's builders use its helpers). A figure is ``{"data": [trace, …], "layout": {…}}``, the structure plotly.js
draws, built directly rather than through ``plotly.graph_objects``: the graph objects validate
every property on every assignment, which cost a page tens of milliseconds per figure. The
dicts are what the graph objects gave (tests/measurement/test_charts.py validates each
through them and compares): the same traces, layout and Plotly's default ("plotly") template,
whose per-trace defaults are kept for the trace types the figure draws (plotly.js applies no
other).
"""

from __future__ import annotations

import functools
from typing import Any

from measurement.queries import (
    CohortImpact,
    CompetencyChange,
    ManagedTeam,
    MetricResult,
    TeamCompletionReport,
    TeamMetricSeries,
    latest_shown,
)
from organizations.words import translated as _

# Okabe–Ito: distinguishable with the common forms of colour blindness.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442"]

_FONT = {"family": "system-ui, -apple-system, Segoe UI, Roboto, sans-serif", "size": 14}

Figure = dict[str, Any]


@functools.cache
def _template() -> dict[str, Any]:
    """Plotly's default template as JSON, computed once per process (the graph objects put it
    into every figure)."""
    import plotly.io as pio

    template = pio.templates[pio.templates.default].to_plotly_json()
    return {"data": template.get("data", {}), "layout": template.get("layout", {})}


def trace(kind: str, **properties: Any) -> dict[str, Any]:
    """One trace of type ``kind`` (a trace the served plotly.js bundle draws: bar, scatter;
    tests/test_static_assets.py checks it)."""
    return {**properties, "type": kind}


class SharedTemplate(dict[str, Any]):
    """A figure's template shared by every figure that draws the same kinds of trace, never
    changed: its JSON (most of a small figure's) is written once per process, and kept here
    (``figures.figure_json``)."""

    json: str | None = None


@functools.cache
def template_of(kinds: frozenset[str]) -> SharedTemplate:
    """The default template with its trace defaults for ``kinds``, one object per set of
    kinds."""
    base = _template()
    return SharedTemplate(
        data={k: v for k, v in base["data"].items() if k in kinds}, layout=base["layout"]
    )


def figure(traces: list[dict[str, Any]], layout: dict[str, Any]) -> Figure:
    """The figure of ``traces`` with ``layout`` and the default template (its trace defaults
    for the types drawn here), last in the layout."""
    kinds = frozenset(t["type"] for t in traces)
    return {"data": traces, "layout": {**layout, "template": template_of(kinds)}}


def vline(x: Any, **line: Any) -> dict[str, Any]:
    """A vertical line across the plot at ``x`` (what ``Figure.add_vline`` adds)."""
    return {
        "line": line,
        "type": "line",
        "x0": x,
        "x1": x,
        "xref": "x",
        "y0": 0,
        "y1": 1,
        "yref": "y domain",
    }


def _layout(
    title: str, height: int = 340, *, legend_y: float = -0.2, bottom: int = 50, **more: Any
) -> dict[str, Any]:
    return {
        "title": {"text": title, "x": 0, "xanchor": "left"},
        "margin": {"l": 10, "r": 10, "t": 70, "b": bottom},
        "height": height,
        "font": _FONT,
        "plot_bgcolor": "#ffffff",
        "paper_bgcolor": "#ffffff",
        "legend": {"orientation": "h", "y": legend_y},
        **more,
    }


def percent_bars_layout(
    title: str,
    value_title: str,
    category_title: str,
    bars: int,
    *,
    top: int = 60,
    header: int = 60,
    most: int = 102,
    **more: Any,
) -> dict[str, Any]:
    """The layout of a horizontal bar chart of percentages (one bar per category, 0 to
    ``most`` %): 44 pixels a bar below a ``header`` of title and axis, 260 at least."""
    return {
        "title": {"text": title, "x": 0, "xanchor": "left"},
        "xaxis": {
            "title": {"text": value_title},
            "range": [0, most],
            "ticksuffix": "%",
        },
        "yaxis": {"title": {"text": category_title}, "automargin": True},
        "margin": {"l": 10, "r": 10, "t": top, "b": 50},
        "height": max(260, header + 44 * bars),
        "font": _FONT,
        "plot_bgcolor": "#ffffff",
        "paper_bgcolor": "#ffffff",
        **more,
    }


def team_completion_figure(report: TeamCompletionReport) -> Figure:
    teams = list(reversed(report.teams))  # highest at the top of a horizontal bar chart
    leader = report.teams[0] if report.teams else None
    title = (
        _("%(team)s leads with %(share)s of steps completed")
        % {"team": leader.team, "share": f"{leader.mean_completion:.0%}"}
        if leader
        else _("Completion by team")
    )
    bars = trace(
        "bar",
        x=[round(t.mean_completion * 100, 1) for t in teams],
        y=[t.team for t in teams],
        orientation="h",
        marker={"color": PALETTE[0]},
        customdata=[[t.learners, t.finished] for t in teams],
        hovertemplate=(
            "<b>%{y}</b><br>%{x:.1f}% of pathway steps completed"
            "<br>%{customdata[0]} learners, %{customdata[1]} finished<extra></extra>"
        ),
    )
    return figure(
        [bars],
        percent_bars_layout(
            title, _("Mean completion (% of pathway steps)"), _("Team"), len(teams)
        ),
    )


def metric_figure(metric: MetricResult, start: str) -> Figure:
    """Participants vs comparison over time, the programme's start marked: pre-trends visible."""
    traces = []
    for i, (group, label) in enumerate(
        (("participants", _("Participants' teams")), ("comparison", _("Comparison teams")))
    ):
        points = [p for p in metric.series if p.group == group]
        if not points:
            continue
        traces.append(
            trace(
                "scatter",
                x=[p.period.isoformat() for p in points],
                y=[round(p.mean_value, 2) for p in points],
                mode="lines+markers",
                name=label,
                line={"color": PALETTE[i], "dash": "solid" if i == 0 else "dash"},
                customdata=[p.teams for p in points],
                hovertemplate="%{x|%b %Y}: %{y} "
                + metric.unit
                + "<br>%{customdata} teams<extra>"
                + label
                + "</extra>",
            )
        )
    if metric.did:
        effect = metric.effect_in_good_direction or 0.0
        low, high = metric.ci_in_good_direction or (0.0, 0.0)
        title = _(
            "%(name)s: %(size)s %(unit)s %(word)s than comparison (95%% CI %(lo)s to %(hi)s)"
        ) % {
            "name": metric.name,
            "size": f"{abs(effect):.1f}",
            "unit": metric.change_unit,
            "word": _("better") if effect > 0 else _("worse"),
            "lo": f"{low:.1f}",
            "hi": f"{high:.1f}",
        }
    elif metric.pre_post:
        title = _("%(name)s changed %(c)s %(unit)s (no comparison group: weaker evidence)") % {
            "name": metric.name,
            "c": f"{metric.pre_post['change']:+.1f}",
            "unit": metric.unit,
        }
    else:
        title = metric.name
    return figure(
        traces,
        _layout(
            title,
            shapes=[vline(start, color="#555", dash="dot")],
            xaxis={"title": {"text": _("Month (dotted line: programme start)")}},
            yaxis={"title": {"text": metric.unit}, "automargin": True},
        ),
    )


def behaviour_figure(changes: list[CompetencyChange]) -> Figure:
    """Mean change in others' 360 ratings per competency with its 95 % CI."""
    shown = [c for c in changes if c.mean_change is not None]
    points = trace(
        "scatter",
        x=[c.mean_change for c in shown],
        y=[c.name for c in shown],
        mode="markers",
        marker={"color": PALETTE[2], "size": 12},
        error_x={
            "type": "data",
            "symmetric": False,
            "array": [(c.ci_high or 0) - (c.mean_change or 0) for c in shown],
            "arrayminus": [(c.mean_change or 0) - (c.ci_low or 0) for c in shown],
        },
        customdata=[[c.n, c.d_av] for c in shown],
        hovertemplate="<b>%{y}</b><br>mean change %{x:+.2f} points"
        "<br>n = %{customdata[0]} learners, d_av %{customdata[1]:.2f}<extra></extra>",
    )
    up = sum(1 for c in shown if (c.ci_low or 0) > 0)
    title = _("Others' 360 ratings rose in %(up)s of %(n)s competencies (95%% CI above 0)") % {
        "up": up,
        "n": len(shown),
    }
    return figure(
        [points],
        _layout(
            title,
            height=max(260, 100 + 50 * len(shown)),
            shapes=[vline(0, color="#555")],
            xaxis={"title": {"text": _("Mean change, points on the 5-point scale (95% CI)")}},
            yaxis={"automargin": True},
        ),
    )


def roi_figure(impact: CohortImpact) -> Figure:
    """Benefits by source against fully loaded costs."""
    labels = [b["label"] for b in impact.benefit_rows] + [_("Fully loaded costs")]
    values = [float(b["value"]) for b in impact.benefit_rows] + [float(impact.costs)]
    colours = [PALETTE[2]] * len(impact.benefit_rows) + [PALETTE[5]]
    bars = trace(
        "bar",
        x=values,
        y=labels,
        orientation="h",
        marker={"color": colours},
        hovertemplate="<b>%{y}</b><br>%{x:,.0f} " + impact.currency + "<extra></extra>",
    )
    title = (
        _("Benefits of %(b)s against costs of %(c)s %(cur)s: ROI %(roi)s %%")
        % {
            "b": f"{impact.benefits:,.0f}",
            "c": f"{impact.costs:,.0f}",
            "cur": impact.currency,
            "roi": f"{impact.roi_pct:.0f}",
        }
        if impact.roi_pct is not None
        else _("Benefits and costs")
    )
    return figure(
        [bars],
        _layout(
            title,
            height=max(240, 100 + 50 * len(labels)),
            xaxis={"title": {"text": impact.currency + _(", first year")}},
            yaxis={"automargin": True},
        ),
    )


def team_participation_figure(team: ManagedTeam) -> Figure:
    """A team's programme participation by month, in %: completion, milestones on time and
    coaching attendance; hidden months (fewer than five people) are gaps, not zeros."""
    traces = []
    findings = []
    series = (
        ("completion", _("Pathway steps done"), _("%(v)s of pathway steps done")),
        ("milestones", _("Milestones on time"), _("%(v)s of milestones on time")),
        ("attendance", _("Coaching places attended"), _("%(v)s of coaching places attended")),
    )
    for i, (name, label, phrase) in enumerate(series):
        cells = getattr(team, name)
        if not cells:
            continue
        traces.append(
            trace(
                "scatter",
                x=[c.period.isoformat() for c in cells],
                y=[None if c.value is None else round(c.value * 100, 1) for c in cells],
                mode="lines+markers",
                name=label,
                connectgaps=False,
                line={"color": PALETTE[i], "dash": ("solid", "dash", "dot")[i]},
                customdata=[c.base for c in cells],
                hovertemplate="%{x|%b %Y}: %{y:.0f}% (of %{customdata})<extra>"
                + label
                + "</extra>",
            )
        )
        latest = latest_shown(cells)
        if latest is not None and latest.value is not None:
            findings.append(phrase % {"v": f"{latest.value:.0%}"})
    title = (
        _("%(team)s, latest month: %(findings)s")
        % {"team": team.name, "findings": "; ".join(findings)}
        if findings
        else _("%(team)s: no programme figure with five or more people yet") % {"team": team.name}
    )
    # The months label themselves; the legend sits below their (on a phone, slanted) ticks.
    return figure(
        traces,
        _layout(
            title,
            height=380,
            legend_y=-0.35,
            bottom=110,
            yaxis={"title": {"text": "%"}, "range": [0, 102], "ticksuffix": "%"},
        ),
    )


def team_metric_figure(team: ManagedTeam, metric: TeamMetricSeries) -> Figure:
    """One team metric by month; the title says how it moved over the window."""
    cells = metric.cells
    line = trace(
        "scatter",
        x=[c.period.isoformat() for c in cells],
        y=[None if c.value is None else round(c.value, 2) for c in cells],
        mode="lines+markers",
        connectgaps=False,
        line={"color": PALETTE[0]},
        hovertemplate="%{x|%b %Y}: %{y} " + metric.unit + "<extra></extra>",
    )
    points = metric.points
    unit = metric.change_unit
    if metric.change is not None and metric.improved is not None:
        title = _(
            "%(name)s %(verb)s %(size)s %(unit)s since %(since)s (%(a)s → %(b)s): %(word)s"
        ) % {
            "name": metric.name,
            "verb": _("rose") if metric.change > 0 else _("fell"),
            "size": f"{abs(metric.change):.1f}",
            "unit": unit,
            "since": points[0][0].strftime("%b %Y"),
            "a": f"{points[0][1]:.1f}",
            "b": f"{points[-1][1]:.1f}",
            "word": _("better") if metric.improved else _("worse"),
        }
    elif metric.change is not None:
        title = _("%(name)s unchanged since %(since)s (%(v)s %(unit)s)") % {
            "name": metric.name,
            "since": points[0][0].strftime("%b %Y"),
            "v": f"{points[-1][1]:.1f}",
            "unit": metric.unit,
        }
    elif points:
        title = _("%(name)s: %(v)s %(unit)s in %(month)s") % {
            "name": metric.name,
            "v": f"{points[-1][1]:.1f}",
            "unit": metric.unit,
            "month": points[-1][0].strftime("%b %Y"),
        }
    else:
        title = metric.name
    return figure(
        [line],
        _layout(
            title,
            height=300,
            xaxis={"title": {"text": _("Month")}},
            yaxis={"title": {"text": metric.unit}, "automargin": True},
        ),
    )
