"""The team dashboard's tables as HTML, built once per page in Python (as the impact page's
are, ``measurement.impact_page``): a team's programme figures by month and its metrics.

The template resolved, filtered and translated in every cell of every month: most of the
page's time. Here the same markup comes from string formatting, with the same message ids,
the same filters (``floatformat``, ``date``, ``widthratio``) and the same escaping: byte for
byte what the template wrote. No queries; what a cell holds is what ``queries.managed_teams``
let through (a hidden cell carries no figure).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import cast

from django.template.defaultfilters import floatformat
from django.utils.formats import date_format
from django.utils.safestring import SafeString
from django.utils.translation import gettext

from measurement.queries import ManagedTeam, TeamCell
from organizations.html_parts import blocktranslate, value_html


def _percent(value: float) -> str:
    """``{% widthratio value 1 100 %}``."""
    return str(round(float(value) / 1.0 * 100))


def _completion(c: TeamCell) -> str:
    learners = blocktranslate("%(n)s learners", n=c.base)
    return f'{_percent(c.value or 0)}% <span class="muted">({learners})</span>'


def _part_of_base(c: TeamCell) -> str:
    return f"{value_html(c.part)} / {value_html(c.base)}"


def _satisfaction(c: TeamCell) -> str:
    ratings = blocktranslate("%(n)s ratings", n=c.base)
    return f'{floatformat(c.value, 2)} <span class="muted">({ratings})</span>'


_COLUMNS: tuple[tuple[str, Callable[[TeamCell], str]], ...] = (
    ("completion", _completion),
    ("milestones", _part_of_base),
    ("satisfaction", _satisfaction),
    ("attendance", _part_of_base),
)


def programme_rows(team: ManagedTeam) -> SafeString:
    """The programme table's rows: a month, then completion, milestones on time, stakeholder
    satisfaction and coaching attendance ("–" for none, "hidden" below the cell size)."""
    hidden = value_html(gettext("hidden"))
    rows = []
    for row in team.programme_rows():
        month = cast(dt.date, row["month"])  # ``programme_rows`` keys every row by its month
        cells = []
        for name, shown in _COLUMNS:
            c = row.get(name)
            text = "–" if not isinstance(c, TeamCell) else hidden if c.hidden else shown(c)
            cells.append(f'\n        <td class="num">{text}</td>')
        rows.append(
            f'<tr><th scope="row">{value_html(date_format(month, "M Y"))}</th>'
            f"{''.join(cells)}\n      </tr>"
        )
    return SafeString("".join(rows))


def metric_rows(team: ManagedTeam) -> SafeString:
    """The metrics table's rows: the latest month's value, its month, and the change over the
    period with which way is better."""
    hidden = value_html(gettext("hidden"))
    better = {
        True: f'<span class="muted">({value_html(gettext("higher is better"))})</span>',
        False: f'<span class="muted">({value_html(gettext("lower is better"))})</span>',
    }
    rows = []
    for m in team.metrics:
        latest = m.latest
        if latest:
            when, value = latest
            figures = (
                f'<td class="num">{floatformat(value, 1)} {value_html(m.unit)}</td>'
                f"<td>{value_html(date_format(when, 'M Y'))}</td>"
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
