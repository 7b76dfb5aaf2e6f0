"""Reads for the security pages: a person's sessions and events, an organisation's events."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from organizations.models import (
    Membership,
    Organization,
    OrganizationSSO,
    SecurityEvent,
    User,
    UserSession,
)
from organizations.paging import NextPage, next_page, next_page_of
from organizations.raw_queries import fetch_rows, moment_of, tenant_id

EVENTS_PER_PAGE = 50


@dataclass
class SessionRow:
    id: int
    user_agent: str
    ip_address: str
    created_at: dt.datetime
    last_seen_at: dt.datetime
    is_current: bool


@dataclass
class EventRow:
    kind: str
    label: str
    person: str
    ip_address: str
    user_agent: str
    created_at: dt.datetime
    organization: str


def own_sessions(user: User, current_key: str | None) -> list[SessionRow]:
    """The person's signed-in browsers, most recently active first (1 query)."""
    return [
        SessionRow(
            s.pk,
            s.user_agent,
            s.ip_address or "",
            s.created_at,
            s.last_seen_at,
            s.session_key == current_key,
        )
        for s in UserSession.objects.filter(user=user).order_by("-last_seen_at")
    ]


def _kind_labels() -> dict[str, str]:
    """Each kind's label in the active language, looked up once for a list of events (what
    ``get_kind_display`` gives, which translates every kind on each call); a kind no longer
    listed reads as itself."""
    return {kind: str(label) for kind, label in SecurityEvent.Kind.choices}


def _rows(events: list[SecurityEvent], labels: dict[str, str] | None = None) -> list[EventRow]:
    labels = _kind_labels() if labels is None else labels
    return [
        EventRow(
            e.kind,
            labels.get(e.kind, e.kind),
            (e.user.full_name or e.user.email) if e.user else e.email,
            e.ip_address or "",
            e.user_agent,
            e.created_at,
            e.organization.name if e.organization else "",
        )
        for e in events
    ]


def _page(events: QuerySet[SecurityEvent], number: str | None) -> tuple[NextPage, list[EventRow]]:
    """A page of ``events``, newest first, not counted: the total would mean reading every
    event of every member (1 query: the page's rows and one more)."""
    page = next_page(events, number, EVENTS_PER_PAGE)
    return page, _rows(page.object_list)


def own_events(user: User) -> QuerySet[SecurityEvent]:
    """The person's own security events, newest first (no query yet)."""
    events = SecurityEvent.objects.filter(user=user).select_related("user", "organization")
    return events.order_by("-created_at", "-id")


def own_events_page(user: User, number: str | None) -> tuple[NextPage, list[EventRow]]:
    """The person's own security events, newest first (1 query)."""
    return _page(own_events(user), number)


def organization_events(org: Organization) -> QuerySet[SecurityEvent]:
    """Events of the organisation's members: their account events (sign-ins, passwords) and
    what they did in this organisation, never what they did in another (no query yet).

    Runs in ``org``'s tenant context: the membership sub-query is scoped to it.
    """
    members = Membership.objects.values("user_id")
    return (
        SecurityEvent.objects.filter(user_id__in=members)
        .filter(Q(organization__isnull=True) | Q(organization=org))
        .select_related("user", "organization")
        .order_by("-created_at", "-id")
    )


# The organisation's events as ``organization_events`` reads them, a page at a time: its
# members' events (the membership sub-query filters on the organisation in context) that
# happened outside any organisation or in this one. The page's bounds are written into the
# text, not passed: the statement is prepared on its fifth use, and with an unknown limit
# PostgreSQL priced a generic plan that hashes every member above a custom one, so it
# planned the read again on every request (0.6 ms at 5,000 learners); planned for a page, it
# walks the events newest first, each probed in the organisation's memberships.
_ORGANIZATION_EVENTS_SQL = """
    SELECT e.kind, u.full_name, u.email, e.ip_address, e.user_agent, e.created_at,
           e.organization_id
    FROM organizations_securityevent e
    JOIN organizations_user u ON u.id = e.user_id
    WHERE e.user_id IN (SELECT m.user_id FROM organizations_membership m
                        WHERE m.organization_id = %s)
      AND (e.organization_id IS NULL OR e.organization_id = %s)
    ORDER BY e.created_at DESC, e.id DESC
    LIMIT {limit:d} OFFSET {offset:d}"""


def organization_events_page(
    org: Organization, number: str | None
) -> tuple[NextPage, list[EventRow]]:
    """``organization_events`` a page at a time, in one statement as SQL text (the page's rows
    and one more, the members' names joined in; an event's organisation can only be ``org``).
    Runs in ``org``'s tenant context."""
    params = [tenant_id(), org.pk]

    def fetch(limit: int, offset: int) -> list[tuple[Any, ...]]:
        sql = _ORGANIZATION_EVENTS_SQL.format(limit=int(limit), offset=int(offset))
        return fetch_rows(sql, params)

    page = next_page_of(fetch, number, EVENTS_PER_PAGE)
    labels = _kind_labels()
    rows = [
        EventRow(
            kind,
            labels.get(kind, kind),
            full_name or email,
            ip_address or "",
            user_agent,
            moment_of(created_at),
            org.name if organization_id is not None else "",
        )
        for (
            kind,
            full_name,
            email,
            ip_address,
            user_agent,
            created_at,
            organization_id,
        ) in page.object_list
    ]
    return page, rows


EVENT_EXPORT_HEADERS = ("When", "Who", "What", "Organisation", "IP address", "Browser")


def event_export_rows(events: QuerySet[SecurityEvent]) -> Iterator[tuple[object, ...]]:
    """``events`` (``own_events`` or ``organization_events``) as export rows, all of them,
    streamed from one query (times in the reader's time zone)."""
    labels = _kind_labels()
    for e in events.iterator(chunk_size=2000):
        (row,) = _rows([e], labels)
        yield (
            timezone.localtime(row.created_at),
            row.person,
            row.label,
            row.organization,
            row.ip_address,
            row.user_agent,
        )


def sso_settings(org: Organization) -> dict[str, object] | None:
    """The organisation's single sign-on as form values (never the secret), or None (2 queries)."""
    sso = OrganizationSSO.objects.select_related("social_app").filter(organization=org).first()
    if sso is None:
        return None
    return {
        "issuer": sso.social_app.settings.get("server_url", ""),
        "client_id": sso.social_app.client_id,
        "domains": ", ".join(sso.domains.values_list("domain", flat=True)),
        "default_role": sso.default_role,
        "password_sign_in_disabled": sso.password_sign_in_disabled,
        "is_active": sso.is_active,
    }
