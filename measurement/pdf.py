"""The sponsor's one-page impact summary (fpdf2, core fonts, no network)."""

from __future__ import annotations

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from measurement.queries import CohortImpact

_REPLACE = {
    "–": "-",
    "—": "-",
    "×": "x",
    "’": "'",
    "‘": "'",
    "“": '"',
    "”": '"',
    "…": "...",
    "€": "EUR",
}


def _latin(text: object) -> str:
    """Core PDF fonts speak Latin-1: swap the typographic characters we use, replace the rest."""
    out = str(text)
    for a, b in _REPLACE.items():
        out = out.replace(a, b)
    return out.encode("latin-1", "replace").decode("latin-1")


def _money(value: object, currency: str) -> str:
    return f"{float(str(value)):,.0f} {currency}"


def impact_summary_pdf(impact: CohortImpact) -> bytes:
    """One A4 page: headline, the level 1-5 chain with n, the ROI table, intangibles."""
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=False)
    pdf.add_page()
    pdf.set_margins(15, 15, 15)
    width = pdf.w - 30

    def line(text: str, size: int = 10, style: str = "", height: float = 5.5) -> None:
        pdf.set_font("Helvetica", style, size)
        pdf.multi_cell(width, height, _latin(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    line(f"Programme impact: {impact.name}", 16, "B", 8)
    line(
        f"{impact.participants} participants; evaluation {' to '.join(impact.evaluation)}; "
        f"computed {impact.computed_at:%d %b %Y}",
        9,
    )
    pdf.ln(2)
    if impact.roi_pct is not None and impact.payback_months is not None:
        line(
            f"ROI {impact.roi_pct:.0f} %, payback {impact.payback_months:.1f} months "
            f"(benefit-cost ratio {impact.bcr:.2f})",
            14,
            "B",
            7,
        )
    line(
        f"First-year benefits {_money(impact.benefits, impact.currency)} against fully loaded "
        f"costs {_money(impact.costs, impact.currency)}.",
    )
    if not impact.has_comparison:
        line(
            "No comparison group: business results are before/after trends (weaker evidence).",
            9,
            "I",
        )
    pdf.ln(2)
    line("The chain of evidence", 12, "B", 7)
    for level in impact.levels:
        line(f"Level {level.number} {level.name}: {level.finding} ({level.n})", 9, "", 5)
    pdf.ln(2)
    line("ROI table", 12, "B", 7)
    pdf.set_font("Helvetica", "", 9)
    for b in impact.benefit_rows:
        pdf.cell(width - 40, 5, _latin(f"Benefit: {b['label']} ({b['source']})"))
        pdf.cell(
            40,
            5,
            _money(b["value"], impact.currency),
            align="R",
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )
    for c in impact.cost_rows:
        pdf.cell(width - 40, 5, _latin(f"Cost: {c['label']} {c['description']}"[:95]))
        pdf.cell(
            40,
            5,
            _money(c["allocated"], impact.currency),
            align="R",
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )
        if pdf.get_y() > 262:
            line("(further cost lines in the online table)", 8, "I")
            break
    pdf.set_font("Helvetica", "B", 9)
    pdf.cell(width - 40, 6, "Benefits / costs")
    pdf.cell(
        40,
        6,
        _latin(f"{float(impact.benefits):,.0f} / {float(impact.costs):,.0f}"),
        align="R",
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    if impact.intangibles:
        line("Intangibles (listed, not added): " + "; ".join(impact.intangibles), 9, "I")
    pdf.set_y(-18)
    line(
        "Benefits: first year only, isolated (comparison group first) and adjusted by "
        "confidence; non-respondents count zero; extreme claims excluded (Phillips).",
        7,
        "",
        3.5,
    )
    return bytes(pdf.output())
