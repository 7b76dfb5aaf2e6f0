"""The growth chart: the knowledge estimate (BKT p(known)) per competency, from quiz answers,
built in Python as a plain dict with the helpers of measurement/charts.py, drawn by plotly.js."""

from __future__ import annotations

from django.utils.translation import gettext as _

from measurement.charts import Figure, figure, percent_bars_layout, trace
from pathways.scenarios.queries import GrowthReport

# Okabe–Ito: distinguishable with the common forms of colour blindness.
LEARNING_COLOUR = "#0072B2"
MASTERED_COLOUR = "#009E73"
THRESHOLD_COLOUR = "#D55E00"


def growth_title(report: GrowthReport) -> str:
    """A title that states the finding."""
    estimated = report.estimated
    if not estimated:
        return _("Knowledge estimate per competency")
    strongest = max(estimated, key=lambda c: (c.p_known, c.answers))
    values = {
        "name": strongest.name,
        "percent": f"{strongest.whole_percent}%",
        "n": strongest.answers,
        "strong": report.strong,
        "total": report.framework_competencies or len(estimated),
    }
    if report.strong:
        return (
            _("Strong quiz evidence on %(strong)s of %(total)s competencies; highest: %(name)s")
            % values
        )
    return _("Highest so far: %(name)s at %(percent)s, from %(n)s answers") % values


def growth_figure(report: GrowthReport) -> Figure:
    rows = list(reversed(report.estimated))  # strongest at the top of a horizontal bar chart
    threshold = report.mastered_at * 100
    bars = trace(
        "bar",
        x=[c.percent for c in rows],
        y=[c.name for c in rows],
        orientation="h",
        marker={
            "color": [MASTERED_COLOUR if c.strong_evidence else LEARNING_COLOUR for c in rows],
            "pattern": {"shape": ["/" if c.strong_evidence else "" for c in rows]},
        },
        text=[f"{c.whole_percent}%" for c in rows],
        textposition="outside",
        customdata=[[c.answers, c.status] for c in rows],
        hovertemplate=(
            "<b>%{y}</b><br>"
            + _("knowledge estimate %{x:.1f}%")
            + "<br>%{customdata[1]} · "
            + _("based on %{customdata[0]} answers")
            + "<extra></extra>"
        ),
    )
    # The threshold across the bars, in data coordinates (half a bar beyond the outer ones).
    line = {
        "type": "line",
        "x0": threshold,
        "x1": threshold,
        "y0": -0.5,
        "y1": len(rows) - 0.5,
        "line": {"color": THRESHOLD_COLOUR, "dash": "dash", "width": 2},
    }
    label = {
        "x": threshold,
        "y": len(rows) - 0.5,
        "text": _("strong at %(threshold)s%%") % {"threshold": f"{threshold:.0f}"},
        "showarrow": False,
        "yanchor": "bottom",
        "xanchor": "right",
        "font": {"color": THRESHOLD_COLOUR},
    }
    return figure(
        [bars],
        percent_bars_layout(
            growth_title(report),
            _("Knowledge estimate from quiz answers (%)"),
            _("Competency"),
            len(rows),
            top=70,
            header=90,
            most=105,
            showlegend=False,
            shapes=[line],
            annotations=[label],
        ),
    )
