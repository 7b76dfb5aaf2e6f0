"""Plotly figures built in Python; drawn by the locally served plotly.js."""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go
from django.utils.translation import gettext as _

from measurement.queries import (
    CohortImpact,
    CompetencyChange,
    ManagedTeam,
    MetricResult,
    TeamCompletionReport,
    TeamMetricSeries,
    latest_shown,
)

# Okabe–Ito: distinguishable with the common forms of colour blindness.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442"]


def team_completion_figure(report: TeamCompletionReport) -> dict[str, Any]:
    teams = list(reversed(report.teams))  # highest at the top of a horizontal bar chart
    leader = report.teams[0] if report.teams else None
    title = (
        _("%(team)s leads with %(share)s of steps completed")
        % {"team": leader.team, "share": f"{leader.mean_completion:.0%}"}
        if leader
        else _("Completion by team")
    )
    fig = go.Figure(
        go.Bar(
            x=[round(t.mean_completion * 100, 1) for t in teams],
            y=[t.team for t in teams],
            orientation="h",
            marker_color=PALETTE[0],
            customdata=[[t.learners, t.finished] for t in teams],
            hovertemplate=(
                "<b>%{y}</b><br>%{x:.1f}% of pathway steps completed"
                "<br>%{customdata[0]} learners, %{customdata[1]} finished<extra></extra>"
            ),
        )
    )
    fig.update_layout(
        title={"text": title, "x": 0, "xanchor": "left"},
        xaxis={
            "title": {"text": _("Mean completion (% of pathway steps)")},
            "range": [0, 102],
            "ticksuffix": "%",
        },
        yaxis={"title": {"text": _("Team")}, "automargin": True},
        margin={"l": 10, "r": 10, "t": 60, "b": 50},
        height=max(260, 60 + 44 * len(teams)),
        font={"family": "system-ui, -apple-system, Segoe UI, Roboto, sans-serif", "size": 14},
        plot_bgcolor="#ffffff",
        paper_bgcolor="#ffffff",
    )
    return fig.to_plotly_json()


_FONT = {"family": "system-ui, -apple-system, Segoe UI, Roboto, sans-serif", "size": 14}


def _layout(fig: go.Figure, title: str, height: int = 340) -> dict[str, Any]:
    fig.update_layout(
        title={"text": title, "x": 0, "xanchor": "left"},
        margin={"l": 10, "r": 10, "t": 70, "b": 50},
        height=height,
        font=_FONT,
        plot_bgcolor="#ffffff",
        paper_bgcolor="#ffffff",
        legend={"orientation": "h", "y": -0.2},
    )
    return fig.to_plotly_json()


def metric_figure(metric: MetricResult, start: str) -> dict[str, Any]:
    """Participants vs comparison over time, the programme's start marked: pre-trends visible."""
    fig = go.Figure()
    for i, (group, label) in enumerate(
        (("participants", _("Participants' teams")), ("comparison", _("Comparison teams")))
    ):
        points = [p for p in metric.series if p.group == group]
        if not points:
            continue
        fig.add_trace(
            go.Scatter(
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
    fig.add_vline(x=start, line_dash="dot", line_color="#555")
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
    fig.update_yaxes(title={"text": metric.unit}, automargin=True)
    fig.update_xaxes(title={"text": _("Month (dotted line: programme start)")})
    return _layout(fig, title)


def behaviour_figure(changes: list[CompetencyChange]) -> dict[str, Any]:
    """Mean change in others' 360 ratings per competency with its 95 % CI."""
    shown = [c for c in changes if c.mean_change is not None]
    fig = go.Figure(
        go.Scatter(
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
    )
    fig.add_vline(x=0, line_color="#555")
    up = sum(1 for c in shown if (c.ci_low or 0) > 0)
    title = _("Others' 360 ratings rose in %(up)s of %(n)s competencies (95%% CI above 0)") % {
        "up": up,
        "n": len(shown),
    }
    fig.update_xaxes(title={"text": _("Mean change, points on the 5-point scale (95% CI)")})
    fig.update_yaxes(automargin=True)
    return _layout(fig, title, height=max(260, 100 + 50 * len(shown)))


def roi_figure(impact: CohortImpact) -> dict[str, Any]:
    """Benefits by source against fully loaded costs."""
    labels = [b["label"] for b in impact.benefit_rows] + [_("Fully loaded costs")]
    values = [float(b["value"]) for b in impact.benefit_rows] + [float(impact.costs)]
    colours = [PALETTE[2]] * len(impact.benefit_rows) + [PALETTE[5]]
    fig = go.Figure(
        go.Bar(
            x=values,
            y=labels,
            orientation="h",
            marker_color=colours,
            hovertemplate="<b>%{y}</b><br>%{x:,.0f} " + impact.currency + "<extra></extra>",
        )
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
    fig.update_xaxes(title={"text": impact.currency + _(", first year")})
    fig.update_yaxes(automargin=True)
    return _layout(fig, title, height=max(240, 100 + 50 * len(labels)))


def team_participation_figure(team: ManagedTeam) -> dict[str, Any]:
    """A team's programme participation by month, in %: completion, milestones on time and
    coaching attendance; hidden months (fewer than five people) are gaps, not zeros."""
    fig = go.Figure()
    findings = []
    traces = (
        ("completion", _("Pathway steps done"), _("%(v)s of pathway steps done")),
        ("milestones", _("Milestones on time"), _("%(v)s of milestones on time")),
        ("attendance", _("Coaching places attended"), _("%(v)s of coaching places attended")),
    )
    for i, (name, label, phrase) in enumerate(traces):
        cells = getattr(team, name)
        if not cells:
            continue
        fig.add_trace(
            go.Scatter(
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
    fig.update_yaxes(title={"text": "%"}, range=[0, 102], ticksuffix="%")
    _layout(fig, title, height=380)
    fig.update_layout(legend={"y": -0.35}, margin={"b": 110})
    return fig.to_plotly_json()


def team_metric_figure(team: ManagedTeam, metric: TeamMetricSeries) -> dict[str, Any]:
    """One team metric by month; the title says how it moved over the window."""
    cells = metric.cells
    fig = go.Figure(
        go.Scatter(
            x=[c.period.isoformat() for c in cells],
            y=[None if c.value is None else round(c.value, 2) for c in cells],
            mode="lines+markers",
            connectgaps=False,
            line={"color": PALETTE[0]},
            hovertemplate="%{x|%b %Y}: %{y} " + metric.unit + "<extra></extra>",
        )
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
    fig.update_yaxes(title={"text": metric.unit}, automargin=True)
    fig.update_xaxes(title={"text": _("Month")})
    return _layout(fig, title, height=300)
