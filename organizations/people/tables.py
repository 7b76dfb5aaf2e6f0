"""The teams table's rows, written in Python once per page, and the moments of the audit and
security tables (``organizations/people/list_pages.py`` writes the people and audit pages).

A template that resolves, filters, translates and reverses in every cell of fifty rows costs
more than the page's reads; these helpers hand it each row's HTML instead (the template loops
over them and writes the table around them). What the rows show is what the templates wrote
before, byte for byte: the same words, links, dates, markup and whitespace.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Callable, Iterable

from django.utils.dates import MONTHS_3
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from organizations.people.queries import TeamRow
from organizations.words import words


def escape(text: str) -> SafeString:
    """``django.utils.html.escape`` of a str (the same characters), without its wrapper for
    lazy strings: a page escapes hundreds of cells."""
    return SafeString(html.escape(text))


def zone_abbreviation(local: dt.datetime) -> str:
    """``|date:"T"``: the zone's abbreviation at that moment, or nothing for a wall-clock time
    that is ambiguous or does not exist (what Django's date format writes)."""
    zone = local.tzinfo
    if zone is None or zone.utcoffset(local.replace(fold=not local.fold)) != zone.utcoffset(local):
        return ""
    return str(zone.tzname(local))


def _months_3() -> dict[int, str]:
    """``|date:"M"`` of each month ("Jan"), translated once per catalogue."""
    return words().kept(_months_3, lambda: {m: str(name).title() for m, name in MONTHS_3.items()})


def exact_moment(local: dt.datetime, seconds: bool = True) -> str:
    """What ``|date:"j M Y, H:i:s T"`` writes for a local moment, put together directly
    (``|date:"j M Y, H:i T"`` without ``seconds``)."""
    clock = f"{local.hour:02d}:{local.minute:02d}"
    if seconds:
        clock = f"{clock}:{local.second:02d}"
    return (
        f"{local.day} {_months_3()[local.month]} {local.year:04d}, "
        f"{clock} {zone_abbreviation(local)}"
    )


def team_table(
    teams: Iterable[TeamRow], edit_url: Callable[[int], str], people_url: str, search: bool
) -> list[SafeString]:
    """The teams page's rows as the table's rows of HTML, each with the whitespace the
    template's loop wrote around it; a team's edit page is ``edit_url(id)``, its members
    ``people_url`` filtered by it; a ``search`` lists every level, so each row says which team
    it is part of."""
    top = escape(_("— top level —"))
    part_of = escape(_("Part of"))
    manager = escape(_("Manager"))
    members = escape(_("Active members"))
    subteams = escape(_("Sub-teams"))
    rows = []
    for t in teams:
        cell = ""
        if search:
            parent = (
                f'<a href="?parent={t.parent_id}">{escape(t.parent)}</a>' if t.parent_id else top
            )
            cell = f'<td data-label="{part_of}">{parent}</td>'
        sub = f'<a href="?parent={t.id}">{t.subteams}</a>' if t.subteams else "0"
        rows.append(
            SafeString(
                "\n        <tr>\n"
                f'          <th scope="row"><a href="{edit_url(t.id)}">{escape(t.name)}</a></th>\n'
                f"          {cell}\n"
                f'          <td data-label="{manager}">{escape(t.manager) if t.manager else "—"}'
                "</td>\n"
                f'          <td class="num" data-label="{members}">'
                f'<a href="{people_url}?team={t.id}">{t.members}</a></td>\n'
                f'          <td class="num" data-label="{subteams}">{sub}</td>\n'
                "        </tr>\n      "
            )
        )
    return rows
