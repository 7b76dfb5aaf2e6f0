"""The growth pages' Plotly figures (drawn by the locally served plotly.js); each title states
the finding, and the page shows the same figures in a table beside the chart."""

from __future__ import annotations

import textwrap
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from measurement.charts import _FONT, PALETTE, Figure, figure, trace
from measurement.feedback.models import SCALE_MAX, SCALE_MIN
from measurement.growth.queries import GrowthPicture, Patterns

# Plotly does not wrap titles: break them so that a phone shows the whole finding.
TITLE_WIDTH = 38
LABEL_WIDTH = 14


def _title(text: str) -> dict[str, Any]:
    return {"text": "<br>".join(textwrap.wrap(text, TITLE_WIDTH)), "x": 0, "xanchor": "left"}


def _top_margin(title: dict[str, Any]) -> int:
    """Room above the plot for every line of the (wrapped) title."""
    return 30 + 24 * (title["text"].count("<br>") + 1)


def _label(name: str) -> str:
    """A competency name broken into short lines, so a phone keeps room for the points."""
    return "<br>".join(textwrap.wrap(name, LABEL_WIDTH)) or name


def _finding(picture: GrowthPicture) -> str:
    charted = picture.charted
    improved = [c for c in charted if c.status == "improved"]
    compared = [c for c in charted if c.status in ("improved", "declined", "steady")]
    if improved and len(improved) <= 2:
        return ngettext(
            "Reliable improvement in %(k)s of %(n)s competency: %(names)s",
            "Reliable improvement in %(k)s of %(n)s competencies: %(names)s",
            len(compared),
        ) % {
            "k": len(improved),
            "n": len(compared),
            "names": _(" and ").join(c.name for c in improved),
        }
    if improved:
        return ngettext(
            "Reliable improvement in %(k)s of %(n)s competency",
            "Reliable improvement in %(k)s of %(n)s competencies",
            len(compared),
        ) % {"k": len(improved), "n": len(compared)}
    if compared:
        return _("No reliable change yet: every change is within rater noise")
    rated = [c for c in charted if c.baseline_others is not None]
    if rated:
        best = max(rated, key=lambda c: c.baseline_others or 0)
        return _("Baseline: colleagues rate %(name)s highest (%(mean)s of %(max)s)") % {
            "name": best.name,
            "mean": f"{best.baseline_others:.1f}",
            "max": SCALE_MAX,
        }
    return _("Colleagues' 360 ratings per competency")


def _points(
    label: str,
    names: list[str],
    values: list[float | None],
    raters: list[int | None],
    colour: str,
    symbol: str,
    *,
    size: int = 13,
    detail: tuple[list[list[Any]], str] | None = None,
) -> dict[str, Any]:
    """One series of colleagues' means, a marker per competency; the hover names the series,
    the mean on the rating scale and the raters behind it, then ``detail``: more values per
    competency and the hover text that shows them (``%{customdata[1]}`` onwards)."""
    extra, extra_hover = detail if detail is not None else ([[] for _row in names], "")
    marker: dict[str, Any] = {"color": colour, "size": size, "symbol": symbol}
    if symbol.endswith("-open"):
        marker["line"] = {"width": 3}  # an open marker needs a thick rim to be seen
    return trace(
        "scatter",
        x=values,
        y=names,
        mode="markers",
        name=label,
        marker=marker,
        customdata=[[n, *more] for n, more in zip(raters, extra, strict=True)],
        hovertemplate=f"<b>%{{y}}</b><br>{label}: %{{x:.2f}} of {SCALE_MAX}<br>"
        f"%{{customdata[0]}} raters{extra_hover}<extra></extra>",
    )


def growth_figure(picture: GrowthPicture) -> Figure:
    """Colleagues' mean per competency at the baseline and the follow-up (a line between the
    two), and the latest pulse on the pulsed behaviours, on the 1–5 scale."""
    rows = list(reversed(picture.charted))  # the first competency at the top
    names = [_label(c.name) for c in rows]
    segments_x: list[float | None] = []
    segments_y: list[str | None] = []
    for c in rows:
        if (
            c.has_baseline
            and c.has_follow_up
            and None not in (c.baseline_others, c.follow_up_others)
        ):
            segments_x += [c.baseline_others, c.follow_up_others, None]
            segments_y += [_label(c.name), _label(c.name), None]
    traces: list[dict[str, Any]] = [
        trace(
            "scatter",
            x=segments_x,
            y=segments_y,
            mode="lines",
            line={"color": "#767676", "width": 2},
            hoverinfo="skip",
            showlegend=False,
        )
    ]
    traces.append(
        _points(
            _("Colleagues at the baseline"),
            names,
            [c.baseline_others if c.has_baseline else None for c in rows],
            [c.baseline_others_n for c in rows],
            PALETTE[0],
            "circle-open",
        )
    )
    if any(c.has_follow_up for c in rows):
        traces.append(
            _points(
                _("Colleagues at the follow-up"),
                names,
                [c.follow_up_others if c.has_follow_up else None for c in rows],
                [c.follow_up_others_n for c in rows],
                PALETTE[2],
                "circle",
                detail=(
                    [[c.change or 0.0, c.rci or 0.0, c.reading or "–"] for c in rows],
                    "; change %{customdata[1]:+.2f}, RCI %{customdata[2]:.2f}: %{customdata[3]}",
                ),
            )
        )
    if any(c.has_new_baseline for c in rows):
        traces.append(
            _points(
                _("Colleagues at a new baseline"),
                names,
                [c.new_baseline_others if c.has_new_baseline else None for c in rows],
                [c.new_baseline_others_n for c in rows],
                PALETTE[3],
                "square-open",
                size=12,
            )
        )
    if any(c.latest_pulse and c.latest_pulse.others_mean is not None for c in rows):
        traces.append(
            _points(
                _("Latest pulse (pulsed behaviours only)"),
                names,
                [c.latest_pulse.others_mean if c.latest_pulse else None for c in rows],
                [c.latest_pulse.others_n if c.latest_pulse else 0 for c in rows],
                PALETTE[1],
                "x",
                size=11,
            )
        )
    title = _title(_finding(picture))
    top = _top_margin(title)
    layout = {
        "title": title,
        "xaxis": {
            "title": {
                "text": _("Mean rating (%(low)s–%(high)s)") % {"low": SCALE_MIN, "high": SCALE_MAX}
            },
            "range": [SCALE_MIN - 0.2, SCALE_MAX + 0.2],
        },
        "yaxis": {"title": {"text": _("Competency")}, "automargin": True},
        "legend": {"orientation": "h", "yanchor": "top", "y": -0.22, "x": 0},
        "margin": {"l": 10, "r": 10, "t": top, "b": 150},
        "height": top + 150 + 64 * max(1, len(rows)),
        "font": _FONT,
        "plot_bgcolor": "#ffffff",
        "paper_bgcolor": "#ffffff",
    }
    return figure(traces, layout)


def patterns_figure(patterns: Patterns) -> Figure:
    """Share of coachees with a reliable improvement per competency (shown cells only)."""
    moving = patterns.moving
    rows = list(reversed(moving))
    bars = trace(
        "bar",
        x=[round(100 * (r.improved_share or 0), 1) for r in rows],
        y=[_label(r.name) for r in rows],
        orientation="h",
        marker={"color": PALETTE[2]},
        customdata=[[r.improved, r.pairs, r.mean_change or 0.0] for r in rows],
        hovertemplate="<b>%{y}</b><br>%{customdata[0]} of %{customdata[1]} coachees: "
        "reliable improvement<br>mean change %{customdata[2]:+.2f} points<extra></extra>",
    )
    if moving and (moving[0].improved or 0) > 0:
        top = moving[0]
        title = _("%(name)s moves most: %(k)s of %(n)s coachees improved reliably") % {
            "name": top.name,
            "k": top.improved,
            "n": top.pairs,
        }
    elif moving:
        title = _("No competency shows a reliable improvement among these coachees yet")
    else:
        title = _("Too few coachees a competency to show patterns")
    heading = _title(title)
    room = _top_margin(heading)
    layout = {
        "title": heading,
        "xaxis": {
            "title": {"text": _("Share of coachees")},
            "range": [0, 102],
            "ticksuffix": "%",
        },
        "yaxis": {"title": {"text": _("Competency")}, "automargin": True},
        "margin": {"l": 10, "r": 10, "t": room, "b": 60},
        "height": room + 60 + 56 * max(1, len(rows)),
        "font": _FONT,
        "plot_bgcolor": "#ffffff",
        "paper_bgcolor": "#ffffff",
    }
    return figure([bars], layout)
