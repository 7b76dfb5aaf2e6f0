"""The people, teams and audit tables' cells, worked out in Python once per page.

A template that resolves, filters, translates and reverses in every one of fifty rows costs
more than the page's reads; these helpers hand it ready, escaped strings instead. What the rows
show is what the templates wrote before: the same words, links, dates and markup.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.urls import reverse
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


@dataclass(frozen=True)
class AuditCells:
    """One row of the audit table: each cell's text, escaped."""

    iso: str  # the moment in the organisation's zone, ISO 8601 (``|date:'c'``)
    exact: SafeString  # "2 Mar 2026, 11:00:00 CET" (``|date:"j M Y, H:i:s T"``)
    ago: str  # "2 hours ago"
    actor: SafeString
    action: SafeString
    kind: SafeString  # the object's type in lower case
    object_repr: SafeString
    changes: SafeString


def _zone_abbreviation(local: dt.datetime) -> str:
    """``|date:"T"``: the zone's abbreviation at that moment, or nothing for a wall-clock time
    that is ambiguous or does not exist (what Django's date format writes)."""
    zone = local.tzinfo
    if zone is None or zone.utcoffset(local.replace(fold=not local.fold)) != zone.utcoffset(local):
        return ""
    return str(zone.tzname(local))


def exact_moment(local: dt.datetime) -> str:
    """What ``|date:"j M Y, H:i:s T"`` writes for a local moment, put together directly."""
    return (
        f"{local.day} {MONTHS_3[local.month].title()} {local.year:04d}, "
        f"{local.hour:02d}:{local.minute:02d}:{local.second:02d} {_zone_abbreviation(local)}"
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


def audit_table(lines: Iterable[AuditLine], now: dt.datetime | None = None) -> list[AuditCells]:
    """The audit page's rows (``queries.audit_page``) as cells: times in the active zone (the
    organisation's), the diffs in the admin's words with the rows they refer to named (one
    query for the page, none when no snapshot refers to a row)."""
    lines = list(lines)
    names = reference_names(snap for line in lines for snap in (line.before, line.after))
    now = now or timezone.now()
    zone = timezone.get_current_timezone()
    none = escape(_("no field changes"))
    cells = []
    for line in lines:
        local = timezone.localtime(line.created_at, zone)
        cells.append(
            AuditCells(
                iso=local.isoformat(),
                exact=escape(exact_moment(local)),
                ago=escape(words.relative_time(line.created_at, now, zone)),
                actor=escape(line.actor),
                action=escape(line.action),
                kind=escape(line.object_type.lower()),
                object_repr=escape(line.object_repr),
                changes=_diff_html(audit_diff(line.before, line.after, names), none),
            )
        )
    return cells


@dataclass(frozen=True)
class PersonCells:
    """One row of the people table: each cell's text, escaped."""

    url: str
    name: SafeString
    email: SafeString
    job: SafeString  # the job title (or "—"), and the function below it
    team: SafeString
    manager: SafeString
    roles: SafeString
    badge: str  # the status badge's modifier class
    status: SafeString


_BADGES = {
    Status.ACTIVE: "badge--done",
    Status.DEACTIVATED: "badge--retired",
    Status.INVITED: "badge--info",
    Status.NOT_INVITED: "badge--draft",
}


def people_table(people: Iterable[PersonRow], people_url: str) -> list[PersonCells]:
    """The people page's rows as cells; a person's page is ``people_url`` and their id."""
    roles = {role: escape(str(label)) for role, label in ROLE_LABELS.items()}
    statuses = {status: escape(str(label)) for status, label in STATUS_LABELS.items()}
    cells = []
    for p in people:
        job = escape(p.job_title) if p.job_title else "—"
        if p.function:
            job = f'{job}<br><span class="muted">{escape(p.function)}</span>'
        cells.append(
            PersonCells(
                url=f"{people_url}{p.id}/",
                name=escape(p.name),
                email=escape(p.email),
                job=SafeString(job),
                team=escape(p.team) if p.team else SafeString("—"),
                manager=escape(p.manager) if p.manager else SafeString("—"),
                roles=SafeString(", ".join(roles[r] for r in p.roles)),
                badge=_BADGES[p.status],
                status=statuses[p.status],
            )
        )
    return cells


@dataclass(frozen=True)
class TeamCells:
    """One row of the teams table: each cell's text, escaped, and its links."""

    edit_url: str
    name: SafeString
    part_of: SafeString  # the team it is part of (a search lists every level)
    manager: SafeString
    people_url: str  # its active members, the people page filtered by it
    members: int
    subteams: SafeString


# A number no URL argument takes, reversed in place of an id and replaced by each row's id.
_ID_MARK = "2147483647"


def url_with_id(name: str, *args: Any) -> Callable[[int], str]:
    """The URL ``name`` for ``args`` and a last id argument, from one ``reverse``: a table's
    rows join their id in rather than reversing the URL once each."""
    before, _mark, after = reverse(name, args=[*args, int(_ID_MARK)]).rpartition(_ID_MARK)
    return lambda pk: f"{before}{pk}{after}"


def team_table(
    teams: Iterable[TeamRow], edit_url: Callable[[int], str], people_url: str
) -> list[TeamCells]:
    """The teams page's rows as cells; a team's edit page is ``edit_url(id)``, its members
    ``people_url`` filtered by it."""
    top = escape(_("— top level —"))
    cells = []
    for t in teams:
        cells.append(
            TeamCells(
                edit_url=edit_url(t.id),
                name=escape(t.name),
                part_of=SafeString(
                    f'<a href="?parent={t.parent_id}">{escape(t.parent)}</a>'
                    if t.parent_id
                    else top
                ),
                manager=escape(t.manager) if t.manager else SafeString("—"),
                people_url=f"{people_url}?team={t.id}",
                members=t.members,
                subteams=SafeString(
                    f'<a href="?parent={t.id}">{t.subteams}</a>' if t.subteams else "0"
                ),
            )
        )
    return cells
