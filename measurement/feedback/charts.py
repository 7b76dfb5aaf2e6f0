"""The report's Plotly figure (drawn by the locally served plotly.js), built as a plain dict with
the helpers of measurement/charts.py, and its PDF (fpdf2)."""

from __future__ import annotations

import textwrap
from typing import Any

from fpdf import FPDF

from measurement.charts import _FONT, PALETTE, Figure, figure, trace


def report_figure(data: dict[str, Any]) -> Figure:
    """Self vs others per competency, as a horizontal dot plot on the 1–5 scale."""
    rows = list(reversed(data["competencies"]))
    names = [c["name"] for c in rows]
    traces = []
    for key, label, colour, symbol in (
        ("others_mean", "Others (mean of shown groups)", PALETTE[0], "circle"),
        ("self", "Self", PALETTE[1], "diamond"),
    ):
        traces.append(
            trace(
                "scatter",
                x=[c[key] for c in rows],
                y=names,
                mode="markers",
                name=label,
                marker={"color": colour, "size": 14, "symbol": symbol},
                customdata=[[c["others_n"]] for c in rows],
                hovertemplate=f"<b>%{{y}}</b><br>{label}: %{{x:.2f}} of 5"
                "<br>%{customdata[0]} raters in shown groups<extra></extra>",
            )
        )
    blind = [c["name"] for c in data["competencies"] if c["gap_label"] == "blind spot"]
    title = (
        f"You rate yourself higher than others on {len(blind)} of "
        f"{len(data['competencies'])} competencies"
        if blind
        else "How you and others rate each competency"
    )
    return figure(
        traces,
        {
            # Plotly does not wrap titles: break them so a phone shows the whole finding.
            "title": {"text": "<br>".join(textwrap.wrap(title, 34)), "x": 0, "xanchor": "left"},
            "xaxis": {"title": {"text": "Mean rating (1–5)"}, "range": [0.8, 5.2]},
            "yaxis": {"title": {"text": "Competency"}, "automargin": True},
            "legend": {"orientation": "h", "y": -0.5},
            "margin": {"l": 10, "r": 10, "t": 80, "b": 110},
            "height": max(280, 120 + 50 * len(rows)),
            "font": _FONT,
            "plot_bgcolor": "#ffffff",
            "paper_bgcolor": "#ffffff",
        },
    )


def _fmt(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"


def _latin(text: str) -> str:
    # The core PDF fonts speak Latin-1 only.
    return (
        text.replace("–", "-")
        .replace("…", "...")
        .replace("’", "'")
        .encode("latin-1", "replace")
        .decode("latin-1")
    )


def _line(pdf: FPDF, width: float, height: float, text: str) -> None:
    pdf.multi_cell(width, height, text, new_x="LMARGIN", new_y="NEXT")


def report_pdf(title: str, learner: str, data: dict[str, Any], items: dict[int, str]) -> bytes:
    """The same figures as the page, as a PDF document."""
    pdf = FPDF()
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    _line(pdf, 0, 8, _latin(f"360 report: {title}"))
    pdf.set_font("Helvetica", "", 11)
    _line(
        pdf, 0, 6, _latin(f"For {learner}. Confidential: only you, and your coach if you share it.")
    )
    pdf.ln(2)
    _line(pdf, 0, 6, _latin("Who answered"))
    for g in data["groups"]:
        state = f"{g['responded']} answered" + ("" if g["shown"] else f" - {g['hidden_reason']}")
        _line(pdf, 0, 6, _latin(f"  {g['label']}: {state}"))
    pdf.ln(2)
    pdf.set_font("Helvetica", "B", 12)
    _line(pdf, 0, 7, "Competencies (1-5 scale)")
    pdf.set_font("Helvetica", "", 10)
    for c in data["competencies"]:
        line = (
            f"{c['name']}: self {_fmt(c['self'])}, others {_fmt(c['others_mean'])} "
            f"(n={c['others_n']})"
        )
        if c["gap"] is not None:
            line += f", gap {c['gap']:+.2f} ({c['gap_label']})"
        if c["rci"] is not None:
            line += f", change {c['change']:+.2f}, RCI {c['rci']:.2f}: {c['reading']}"
        _line(pdf, 0, 6, _latin(line))
    _line(pdf, 0, 6, "Self-ratings are usually more lenient than others' (about d = 0.32).")
    for heading, key in (("Highest rated", "highest"), ("Lowest rated", "lowest")):
        pdf.set_font("Helvetica", "B", 12)
        _line(pdf, 0, 7, heading)
        pdf.set_font("Helvetica", "", 10)
        for item_id in data[key]:
            _line(pdf, 0, 6, _latin(f"  - {items.get(item_id, '')}"))
    for block in data["comments"]:
        pdf.set_font("Helvetica", "B", 12)
        _line(pdf, 0, 7, _latin(block["question"]))
        pdf.set_font("Helvetica", "", 10)
        for text in block["texts"]:
            _line(pdf, 0, 6, _latin(f"  - {text}"))
        if not block["texts"]:
            _line(pdf, 0, 6, "  Not shown: too few answers to keep comments anonymous.")
    return bytes(pdf.output())
