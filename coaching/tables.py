"""The coach's roster rows, written in Python once per page.

A template that resolves, translates and escapes in every cell of a page of coachees costs
more than the page's reads; this hands it each row's HTML instead (the template loops over
them and writes the table around them). What the rows show is what the template wrote before,
byte for byte: the same words, markup and whitespace.
"""

from __future__ import annotations

import html
from collections.abc import Iterable

from django.utils.safestring import SafeString
from django.utils.translation import gettext, ngettext

from coaching.queries import Coachee


def roster_rows(coachees: Iterable[Coachee]) -> list[SafeString]:
    """The roster table's rows (``<tr>`` … ``</tr>``), names and labels escaped."""
    not_counted = html.escape(gettext("not counted yet"))
    not_started = html.escape(gettext("Not started"))
    aria = gettext("Progress of %(name)s")
    label = gettext("%(percent)s%% · %(done)s of %(possible)s required steps")
    rows = []
    for c in coachees:
        name = html.escape(c.name)
        percent = c.percent
        if percent is None:
            progress = f'<span class="muted">{not_counted}</span>'
        elif c.not_started:
            progress = f'<span class="badge badge--locked">{not_started}</span>'
        else:
            text = label % {"percent": percent, "done": c.steps_done, "possible": c.steps_total}
            progress = (
                f'<progress class="progress progress--small" max="100" value="{percent}"'
                f' aria-label="{aria % {"name": name}}"></progress>\n'
                f'        <span class="progress-label">{html.escape(text)}</span>'
            )
        if n := c.steps_overdue:
            steps = html.escape(ngettext("%(n)s step", "%(n)s steps", n) % {"n": n})
            overdue = f'<span class="badge badge--overdue">{steps}</span>'
        else:
            overdue = "—"
        rows.append(
            SafeString(
                f'<tr>\n      <th scope="row">{name}</th><td>{html.escape(c.team) or "—"}</td>'
                f"<td>{html.escape(c.pathway)}</td><td>{html.escape(c.cohort)}</td>\n"
                f"      <td>{progress}</td>\n"
                f"      <td>{overdue}</td>\n"
                f'      <td><span class="badge badge--info">{html.escape(c.status)}</span></td>'
                f"</tr>"
            )
        )
    return rows
