"""The people, teams and audit tables' rows, written in Python once per page.

A template that resolves, filters, translates and reverses in every cell of fifty rows costs
more than the page's reads; these helpers hand it each row's HTML instead (the template loops
over them and writes the table around them). What the rows show is what the templates wrote
before, byte for byte: the same words, links, dates, markup and whitespace.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Callable, Iterable

from django.utils import timezone
from django.utils.dates import MONTHS_3
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from organizations import relative_dates as words
from organizations.people.queries import (
    ROLE_LABELS,
    STATUS_LABELS,
    AuditLine,
    DiffLine,
    PersonRow,
    Status,
    TeamRow,
    audit_diff,
    reference_names,
)


def escape(text: str) -> SafeString:
    """``django.utils.html.escape`` of a str (the same characters), without its wrapper for
    lazy strings: a page escapes hundreds of cells."""
    return SafeString(html.escape(text))


def _zone_abbreviation(local: dt.datetime) -> str:
    """``|date:"T"``: the zone's abbreviation at that moment, or nothing for a wall-clock time
    that is ambiguous or does not exist (what Django's date format writes)."""
    zone = local.tzinfo
    if zone is None or zone.utcoffset(local.replace(fold=not local.fold)) != zone.utcoffset(local):
        return ""
    return str(zone.tzname(local))


def exact_moment(local: dt.datetime, seconds: bool = True) -> str:
    """What ``|date:"j M Y, H:i:s T"`` writes for a local moment, put together directly
    (``|date:"j M Y, H:i T"`` without ``seconds``)."""
    clock = f"{local.hour:02d}:{local.minute:02d}"
    if seconds:
        clock = f"{clock}:{local.second:02d}"
    return (
        f"{local.day} {MONTHS_3[local.month].title()} {local.year:04d}, "
        f"{clock} {_zone_abbreviation(local)}"
    )


def _diff_html(lines: list[DiffLine], none: str) -> SafeString:
    if not lines:
        return SafeString(f'<span class="muted">{none}</span>')
    parts = ['<dl class="kv">']
    for line in lines:
        parts.append(f"<dt>{html.escape(line.field)}</dt><dd>")
        if line.kind == "added":
            parts.append(html.escape(line.after))
        elif line.kind == "removed":
            parts.append(f"<del>{html.escape(line.before)}</del>")
        else:
            parts.append(
                f"<del>{html.escape(line.before)}</del> → <ins>{html.escape(line.after)}</ins>"
            )
        parts.append("</dd>")
    parts.append("</dl>")
    return SafeString("".join(parts))


def audit_table(lines: Iterable[AuditLine], now: dt.datetime | None = None) -> list[SafeString]:
    """The audit page's rows (``queries.audit_page``) as the table's rows of HTML, each with
    the whitespace the template's loop wrote around it: times in the active zone (the
    organisation's), the diffs in the admin's words with the rows they refer to named (one
    query for the page, none when no snapshot refers to a row)."""
    lines = list(lines)
    names = reference_names(snap for line in lines for snap in (line.before, line.after))
    now = now or timezone.now()
    zone = timezone.get_current_timezone()
    none = escape(_("no field changes"))
    labels: dict[str, str] = {}
    rows = []
    for line in lines:
        local = timezone.localtime(line.created_at, zone)
        rows.append(
            SafeString(
                "\n      <tr>\n"
                f'        <td><time datetime="{local.isoformat()}">'
                f"{escape(exact_moment(local))}</time><br>"
                f'<span class="muted">{escape(words.relative_time(line.created_at, now, zone))}'
                "</span></td>\n"
                f"        <td>{escape(line.actor)}</td>\n"
                f"        <td><strong>{escape(line.action)}</strong> "
                f"{escape(line.object_type.lower())}<br>"
                f'<span class="muted">{escape(line.object_repr)}</span></td>\n'
                f"        <td>{_diff_html(audit_diff(line.before, line.after, names, labels), none)}</td>\n"
                "      </tr>\n    "
            )
        )
    return rows


_BADGES = {
    Status.ACTIVE: "badge--done",
    Status.DEACTIVATED: "badge--retired",
    Status.INVITED: "badge--info",
    Status.NOT_INVITED: "badge--draft",
}


def people_table(people: Iterable[PersonRow], people_url: str) -> list[SafeString]:
    """The people page's rows as the table's rows of HTML, each with the whitespace the
    template's loop wrote around it; a person's page is ``people_url`` and their id."""
    roles = {role: escape(str(label)) for role, label in ROLE_LABELS.items()}
    statuses = {status: escape(str(label)) for status, label in STATUS_LABELS.items()}
    rows = []
    for p in people:
        job = escape(p.job_title) if p.job_title else "—"
        if p.function:
            job = f'{job}<br><span class="muted">{escape(p.function)}</span>'
        rows.append(
            SafeString(
                "\n        <tr>\n"
                f'          <th scope="row"><a href="{people_url}{p.id}/">{escape(p.name)}</a>'
                f'<br><span class="muted">{escape(p.email)}</span></th>\n'
                f"          <td>{job}</td>\n"
                f"          <td>{escape(p.team) if p.team else '—'}</td>\n"
                f"          <td>{escape(p.manager) if p.manager else '—'}</td>\n"
                f"          <td>{', '.join(roles[r] for r in p.roles)}</td>\n"
                f'          <td><span class="badge {_BADGES[p.status]}">{statuses[p.status]}'
                "</span></td>\n"
                "        </tr>\n      "
            )
        )
    return rows


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
