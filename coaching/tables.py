"""The coach's roster and sessions table rows and the admin's engagements, written in Python
once per page.

A template that resolves, translates and escapes in every cell of a page of coachees costs
more than the page's reads; this hands it each row's HTML instead (the template loops over
them and writes the table around them). What the rows show is what the template wrote before,
byte for byte: the same words, markup and whitespace.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Callable, Iterable

from django.utils import timezone
from django.utils.dates import MONTHS_3, WEEKDAYS_ABBR
from django.utils.safestring import SafeString

from coaching.queries import Coachee, EngagementListRow, SessionRow
from organizations.html_parts import escape_each
from organizations.words import words


def roster_rows(coachees: Iterable[Coachee]) -> list[SafeString]:
    """The roster table's rows (``<tr>`` … ``</tr>``), names and labels escaped."""
    w = words()
    not_counted = html.escape(w["not counted yet"])
    not_started = html.escape(w["Not started"])
    aria = w["Progress of %(name)s"]
    # Escaped before the numbers go in: a whole number needs no escaping, so this is the
    # label escaped with them in, one escape a page instead of one a row.
    label_html = html.escape(w["%(percent)s%% · %(done)s of %(possible)s required steps"])
    # A page's rows share a few teams, pathways, cohorts, statuses and overdue counts: each
    # escaped (and the count's label translated) once.
    escaped: dict[str, str] = {}
    overdue_labels: dict[int, str] = {}

    def esc(text: str) -> str:
        if (html_text := escaped.get(text)) is None:
            html_text = escaped[text] = html.escape(text)
        return html_text

    coachees = list(coachees)
    rows = []
    for c, name in zip(coachees, escape_each([c.name for c in coachees]), strict=True):
        percent = c.percent
        if percent is None:
            progress = f'<span class="muted">{not_counted}</span>'
        elif c.not_started:
            progress = f'<span class="badge badge--locked">{not_started}</span>'
        else:
            text = label_html % {
                "percent": percent,
                "done": c.steps_done,
                "possible": c.steps_total,
            }
            progress = (
                f'<progress class="progress progress--small" max="100" value="{percent}"'
                f' aria-label="{aria % {"name": name}}"></progress>\n'
                f'        <span class="progress-label">{text}</span>'
            )
        if n := c.steps_overdue:
            if (overdue := overdue_labels.get(n)) is None:
                steps = html.escape(w.count("%(n)s step", "%(n)s steps", n) % {"n": n})
                overdue = overdue_labels[n] = f'<span class="badge badge--overdue">{steps}</span>'
        else:
            overdue = "—"
        rows.append(
            SafeString(
                f'<tr>\n      <th scope="row">{name}</th><td>{esc(c.team) or "—"}</td>'
                f"<td>{esc(c.pathway)}</td><td>{esc(c.cohort)}</td>\n"
                f"      <td>{progress}</td>\n"
                f"      <td>{overdue}</td>\n"
                f'      <td><span class="badge badge--info">{esc(c.status)}</span></td>'
                f"</tr>"
            )
        )
    return rows


class Moments:
    """What ``|date`` writes for moments in the active time zone, put together directly; each
    day and month name translated once a page (when first shown)."""

    def __init__(self) -> None:
        self.zone = timezone.get_current_timezone()
        self.days: dict[int, str] = {}
        self.months: dict[int, str] = {}

    def _local(self, value: dt.datetime) -> tuple[dt.datetime, str, str]:
        local = value.astimezone(self.zone)
        if (day := self.days.get(weekday := local.weekday())) is None:
            day = self.days[weekday] = str(WEEKDAYS_ABBR[weekday])
        if (month := self.months.get(local.month)) is None:
            month = self.months[local.month] = str(MONTHS_3[local.month]).title()
        return local, day, month

    def date_time(self, value: dt.datetime) -> str:
        """``|date:"D j M Y, H:i"``, escaped."""
        local, day, month = self._local(value)
        return html.escape(
            f"{day} {local.day} {month} {local.year:04d}, {local.hour:02d}:{local.minute:02d}"
        )

    def day_time(self, value: dt.datetime) -> str:
        """``|date:"D j M, H:i"``, escaped."""
        local, day, month = self._local(value)
        return html.escape(f"{day} {local.day} {month}, {local.hour:02d}:{local.minute:02d}")

    def time(self, value: dt.datetime) -> str:
        """``|date:"H:i"``."""
        local = value.astimezone(self.zone)
        return f"{local.hour:02d}:{local.minute:02d}"


def session_rows(sessions: Iterable[SessionRow], url: Callable[[int], str]) -> list[SafeString]:
    """The coach's sessions table's rows (``<tr>`` … ``</tr>``): the session's link (``url``
    of its id: ``organizations.html_parts.url_with_id("session_detail", org_slug)``), kind,
    start in the active time zone, length, participants and status, escaped."""
    moments = Moments()
    return [
        SafeString(
            f'<tr><th scope="row"><a href="{url(s.id)}">{html.escape(s.title)}</a>'
            f' <span class="badge badge--info">{html.escape(s.kind_label)}</span></th>'
            f"<td>{moments.date_time(s.starts_at)} · {s.minutes} min</td>"
            f"<td>{', '.join(html.escape(name) for name in s.participants)}</td>"
            f"<td>{html.escape(s.status_label)}</td></tr>"
        )
        for s in sessions
    ]


def engagement_rows(engagements: Iterable[EngagementListRow]) -> SafeString:
    """The admin's engagements table's rows, as the template's loop wrote them (each cell
    escaped)."""
    return SafeString(
        "".join(
            f'<tr><th scope="row">{html.escape(e.coachee)}</th><td>{html.escape(e.coach)}</td>'
            f"<td>{html.escape(e.cohort)}</td><td>{html.escape(e.sessions)}</td>"
            f"<td>{html.escape(e.dates)}</td><td>{html.escape(e.focus)}</td></tr>"
            for e in engagements
        )
    )
