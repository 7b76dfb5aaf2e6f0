"""The security events table's rows, written in Python once per page (as the people and audit
tables are, organizations/people/tables.py): the rows the template wrote before, byte for
byte."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.utils import timezone
from django.utils.safestring import SafeString
from django.utils.text import Truncator

from organizations import relative_dates as words
from organizations.accounts.queries import EventRow
from organizations.people.tables import escape, exact_moment

# The browser is cut to this many characters (``|truncatechars:60``).
USER_AGENT_SHOWN = 60


def event_table(
    events: Iterable[EventRow], show_person: bool, now: dt.datetime | None = None
) -> list[SafeString]:
    """The events (``queries.own_events_page``, ``queries.organization_events_page``) as the
    table's rows of HTML, each with the whitespace the template's loop wrote around it: times
    in the active zone (the organisation's on its page), who only with ``show_person``."""
    now = now or timezone.now()
    zone = timezone.get_current_timezone()
    browsers: dict[str, str] = {}  # a page's events come from a few browsers
    rows = []
    for e in events:
        local = timezone.localtime(e.created_at, zone)
        person = f"<td>{escape(e.person)}</td>" if show_person else ""
        where = f'<br><span class="muted">{escape(e.organization)}</span>' if e.organization else ""
        browser = browsers.get(e.user_agent)
        if browser is None:
            browser = browsers[e.user_agent] = escape(
                Truncator(e.user_agent).chars(USER_AGENT_SHOWN)
            )
        rows.append(
            SafeString(
                "\n    <tr>\n"
                f'      <td><time datetime="{local.isoformat()}">'
                f"{escape(exact_moment(local, seconds=False))}</time><br>"
                f'<span class="muted">{escape(words.relative_time(e.created_at, now, zone))}'
                "</span></td>\n"
                f"      {person}\n"
                f"      <td><strong>{escape(e.label)}</strong>{where}</td>\n"
                f"      <td>{escape(e.ip_address) if e.ip_address else '—'}<br>"
                f'<span class="muted">{browser}</span></td>\n'
                "    </tr>\n  "
            )
        )
    return rows
