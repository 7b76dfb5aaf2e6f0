"""Plotly figures built in Python; drawn by the locally served plotly.js."""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go
from django.utils.translation import gettext as _

from measurement.queries import TeamCompletionReport

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
