"""The team dashboard's content as HTML, built once per page in Python (as the impact page's
is, ``measurement.impact_page``): the page's header, then per team its heading, its latest
figures, its programme chart and table by month, and its metrics' charts and table.

The template resolved, filtered and translated in every card, cell and month: most of the
page's time. Here the same markup comes from string formatting, with the same message ids
(each looked up once per catalogue, ``organizations.words``), the same filters
(``floatformat``, ``date``, ``widthratio``, ``figure_script``) and the same escaping: byte for
byte what the template wrote (tests/measurement/test_team_page.py holds it to the template's
content block, tests/measurement/test_team_rows.py the tables' rows to its loops). No
queries; what a cell holds is what ``queries.managed_teams`` let through (a hidden cell
carries no figure).
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Callable, Sequence

from django.template.defaultfilters import floatformat
from django.utils.dates import MONTHS_3
from django.utils.safestring import SafeString

from measurement import charts
from measurement.queries import ManagedTeam, TeamCell
from measurement.templatetags.figures import figure_json
from organizations.html_parts import interpolate, value_html
from organizations.words import Words, words


def _month_names() -> dict[int, str]:
    """``|date:"M"`` of each month ("Jan"), escaped."""
    return {m: html.escape(str(name).title()) for m, name in MONTHS_3.items()}


def _month(period: dt.date, w: Words) -> SafeString:
    """``|date:"M Y"`` of a month, escaped (as ``{{ }}`` and ``blocktranslate`` write it, and
    marked so, not to be escaped again), its name from the catalogue ``w`` (the names
    translated once per catalogue)."""
    return SafeString(f"{w.kept(_month_names, _month_names)[period.month]} {period.year:04d}")


def _percent(value: float) -> str:
    """``{% widthratio value 1 100 %}``."""
    return str(round(float(value) / 1.0 * 100))


def _completion(c: TeamCell, w: Words) -> str:
    learners = interpolate(w["%(n)s learners"], {"n": c.base})
    return f'{_percent(c.value or 0)}% <span class="muted">({learners})</span>'


def _part_of_base(c: TeamCell, w: Words) -> str:
    return f"{value_html(c.part)} / {value_html(c.base)}"


def _satisfaction(c: TeamCell, w: Words) -> str:
    ratings = interpolate(w["%(n)s ratings"], {"n": c.base})
    return f'{floatformat(c.value, 2)} <span class="muted">({ratings})</span>'


_COLUMNS: tuple[tuple[str, Callable[[TeamCell, Words], str]], ...] = (
    ("completion", _completion),
    ("milestones", _part_of_base),
    ("satisfaction", _satisfaction),
    ("attendance", _part_of_base),
)


def programme_rows(team: ManagedTeam) -> SafeString:
    """The programme table's rows: a month, then completion, milestones on time, stakeholder
    satisfaction and coaching attendance ("–" for none, "hidden" below the cell size)."""
    w = words()
    hidden = value_html(w["hidden"])
    rows = []
    for row in team.programme_rows():
        cells = []
        for name, shown in _COLUMNS:
            c = row.get(name)
            text = "–" if not isinstance(c, TeamCell) else hidden if c.hidden else shown(c, w)
            cells.append(f'\n        <td class="num">{text}</td>')
        month = row["month"]
        assert isinstance(month, dt.date)  # ``programme_rows`` keys every row by its month
        rows.append(f'<tr><th scope="row">{_month(month, w)}</th>{"".join(cells)}\n      </tr>')
    return SafeString("".join(rows))


def metric_rows(team: ManagedTeam) -> SafeString:
    """The metrics table's rows: the latest month's value, its month, and the change over the
    period with which way is better."""
    w = words()
    hidden = value_html(w["hidden"])
    better = {
        True: f'<span class="muted">({value_html(w["higher is better"])})</span>',
        False: f'<span class="muted">({value_html(w["lower is better"])})</span>',
    }
    rows = []
    for m in team.metrics:
        latest = m.latest
        if latest:
            when, value = latest
            figures = (
                f'<td class="num">{floatformat(value, 1)} {value_html(m.unit)}</td>'
                f"<td>{_month(when, w)}</td>"
            )
        else:
            figures = f'<td class="num">{hidden}</td><td></td>'
        change = m.change
        if change is not None:
            moved = (
                f"{floatformat(change, 1)} {value_html(m.change_unit)} "
                f"{better[bool(m.higher_is_better)]}"
            )
        else:
            moved = "–"
        rows.append(
            f'<tr><th scope="row">{value_html(m.name)}</th>{figures}'
            f'<td class="num">{moved}</td></tr>'
        )
    return SafeString("".join(rows))


def _script(figure: charts.Figure, element_id: str) -> str:
    """``{{ figure|figure_script:element_id }}``."""
    return (
        f'<script id="{value_html(element_id)}" type="application/json">'
        f"{figure_json(figure)}</script>"
    )


def _stats(team: ManagedTeam, min_cell: int, w: Words) -> str:
    """The latest month's figures, a card each (completion's says when it shows if none)."""
    t = w.literal
    if c := team.latest_completion:
        base = interpolate(
            w["%(n)s learners, %(f)s finished (%(month)s)"],
            {"n": c.base, "f": c.part, "month": _month(c.period, w)},
        )
        completion = (
            f'<div class="stat"><p class="stat__value">{_percent(c.value or 0)}%</p>'
            f'<p class="stat__label">{t("mean pathway completion")}</p>'
            f'<p class="stat__base">{base}</p></div>'
        )
    else:
        base = interpolate(
            w["shown from %(min_cell)s learners in the team"], {"min_cell": min_cell}
        )
        completion = (
            '<div class="stat"><p class="stat__value">–</p>'
            f'<p class="stat__label">{t("programme participation")}</p>'
            f'<p class="stat__base">{base}</p></div>'
        )
    milestones = attendance = satisfaction = ""
    if c := team.latest_milestones:
        base = interpolate(
            w["%(f)s of %(n)s due in %(month)s, projects of %(p)s learners"],
            {"f": c.part, "n": c.base, "p": c.people, "month": _month(c.period, w)},
        )
        milestones = (
            f'\n    <div class="stat"><p class="stat__value">{_percent(c.value or 0)}%</p>'
            f'<p class="stat__label">{t("project milestones on time")}</p>'
            f'<p class="stat__base">{base}</p></div>\n    '
        )
    if c := team.latest_satisfaction:
        base = interpolate(
            w["%(n)s ratings in %(month)s"], {"n": c.base, "month": _month(c.period, w)}
        )
        satisfaction = (
            f'\n    <div class="stat"><p class="stat__value">{floatformat(c.value, 1)} / 5</p>'
            f'<p class="stat__label">{t("stakeholder satisfaction")}</p>'
            f'<p class="stat__base">{base}</p></div>\n    '
        )
    if c := team.latest_attendance:
        base = interpolate(
            w["%(f)s of %(n)s places, %(p)s learners (%(month)s)"],
            {"f": c.part, "n": c.base, "p": c.people, "month": _month(c.period, w)},
        )
        attendance = (
            f'\n    <div class="stat"><p class="stat__value">{_percent(c.value or 0)}%</p>'
            f'<p class="stat__label">{t("coaching places attended")}</p>'
            f'<p class="stat__base">{base}</p></div>\n    '
        )
    return (
        f'\n  <div class="grid grid--3">\n    \n    {completion}\n    \n    {milestones}'
        f"\n    {satisfaction}\n    {attendance}\n  </div>\n\n  "
    )


def _programme(team: ManagedTeam, w: Words) -> str:
    """The programme's chart and its data table by month, or why there is none."""
    t = w.literal
    if not team.has_programme:
        return (
            '\n  <p class="muted">'
            + t(
                "No programme figures for this team yet: completion, project milestones and "
                "coaching attendance appear once its people take part."
            )
            + "</p>\n  "
        )
    figure_id = f"team-{team.id}-participation"
    label = interpolate(
        w[
            "Programme participation of %(name)s by month; the same figures are in the data "
            "table below."
        ],
        {"name": team.name},
    )
    return (
        f'\n  <div class="chart" data-plotly-figure="{value_html(figure_id)}" role="img"'
        f' aria-label="{label}"></div>\n'
        f"  {_script(charts.team_participation_figure(team), figure_id)}\n"
        '  <details class="chart__table">\n'
        f"    <summary>{t('Data table')}</summary>\n"
        '    <div class="table-wrap"><table class="table">\n'
        f'      <thead><tr><th scope="col">{t("Month")}</th>'
        f'<th scope="col" class="num">{t("Completion")}</th>'
        f'<th scope="col" class="num">{t("Milestones on time")}</th>'
        f'<th scope="col" class="num">{t("Stakeholder satisfaction")}</th>'
        f'<th scope="col" class="num">{t("Coaching attendance")}</th></tr></thead>\n'
        f"      <tbody>{programme_rows(team)}</tbody>\n"
        "    </table></div>\n"
        "  </details>\n  "
    )


def _metrics(team: ManagedTeam, w: Words) -> str:
    """A chart per metric with a shown month, and the metrics' table; or why there is none."""
    t = w.literal
    if not team.metrics:
        return (
            '<p class="muted">'
            + t(
                "No metric values for this team in the last twelve months. Your programme "
                "admin enters or imports them."
            )
            + "</p>"
        )
    charts_html = []
    for m in team.metrics:
        if m.points:
            figure_id = f"team-{team.id}-metric-{m.id}"
            label = interpolate(
                w["%(name)s by month; the same figures are in the table below."], {"name": m.name}
            )
            charts_html.append(
                f'\n  <div class="chart" data-plotly-figure="{value_html(figure_id)}" role="img"'
                f' aria-label="{label}"></div>\n'
                f"  {_script(charts.team_metric_figure(team, m), figure_id)}"
            )
        charts_html.append("\n  ")
    return (
        f"\n  <h3>{t('Team metrics')}</h3>\n  {''.join(charts_html)}\n"
        '  <div class="table-wrap"><table class="table">\n'
        f'    <thead><tr><th scope="col">{t("Metric")}</th>'
        f'<th scope="col" class="num">{t("Latest")}</th>'
        f'<th scope="col">{t("Month")}</th>'
        f'<th scope="col" class="num">{t("Change over the period")}</th></tr></thead>\n'
        f"    <tbody>{metric_rows(team)}</tbody>\n"
        "  </table></div>\n  "
    )


def section_html(team: ManagedTeam, min_cell: int) -> str:
    """One team's section: its name and size, then (for a team of at least ``min_cell``
    people) its figures, charts, tables and downloads; for a smaller team, why none show."""
    w = words()
    t = w.literal
    pk = value_html(team.id)
    people = interpolate(w.count("%(n)s person", "%(n)s people", team.people), {"n": team.people})
    if not team.shown:
        body = (
            '\n  <p class="muted">'
            + interpolate(
                w[
                    "Hidden: fewer than %(min_cell)s people, so team figures could identify "
                    "someone."
                ],
                {"min_cell": min_cell},
            )
            + "</p>\n  "
        )
    else:
        downloads = interpolate(w["Download every figure of %(name)s:"], {"name": team.name})
        rule = interpolate(
            w[
                "A month's figure shows only when at least %(min_cell)s people stand behind "
                "it; otherwise it reads “hidden”. Figures refresh within minutes of new "
                "results and nightly."
            ],
            {"min_cell": min_cell},
        )
        body = (
            _stats(team, min_cell, w)
            + _programme(team, w)
            + "\n\n  "
            + _metrics(team, w)
            + f'\n  <p class="muted table-downloads">{downloads}\n'
            f'    <a href="?team={pk}&amp;format=csv" download>CSV</a> ·\n'
            f'    <a href="?team={pk}&amp;format=xlsx" download>{t("Excel (XLSX)")}</a></p>\n'
            f'  <p class="muted">{rule}</p>\n  '
        )
    return (
        f'\n<section class="card stack" aria-labelledby="team-{pk}">\n'
        f'  <h2 id="team-{pk}">{value_html(team.name)} <span class="muted">· {people}</span></h2>\n'
        f"  {body}\n</section>\n"
    )


def content_html(teams: Sequence[ManagedTeam], min_cell: int) -> SafeString:
    """The page's content block: its header and each team's section."""
    t = words().literal
    header = (
        '\n<header class="page-header">\n'
        f'  <h1 class="page-header__title">{t("How your teams are doing")}</h1>\n'
        '  <p class="page-header__lead">'
        + t(
            "Your teams' metrics over the last twelve months and how their people take part "
            "in the programme. Figures are for the team as a whole; no person's answers are "
            "shown."
        )
        + "</p>\n</header>\n"
    )
    return SafeString(header + "".join(section_html(team, min_cell) for team in teams) + "\n")
