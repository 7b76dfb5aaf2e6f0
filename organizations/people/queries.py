"""Reads for the people, teams, import and audit pages: plain data, a fixed number of queries."""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypedDict

from django.apps import apps
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import (
    Exists,
    OuterRef,
    Q,
    QuerySet,
)
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as gettext_now
from django.utils.translation import gettext_lazy as _

from organizations.models import AuditEntry, ImportJob, Invitation, Membership, Role, Team
from organizations.paging import NextPage, next_page_of
from organizations.people import counts as people_counts
from organizations.people import team_counts
from organizations.people.invitations import INVITATION_MAX_AGE
from organizations.raw_queries import fetch_rows, moment_of, moment_param, tenant_id

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

    class _PendingInvitation(TypedDict):
        has_pending_invitation: bool

    # A membership annotated with ``has_pending_invitation=_pending_invitation()``.
    type PersonWithInvitation = WithAnnotations[Membership, _PendingInvitation]

PEOPLE_PER_PAGE = 50
AUDIT_PER_PAGE = 50
PERSON_HISTORY = 10
ROLE_LABELS = dict(Role.choices)


class Status:
    ACTIVE = "active"
    INVITED = "invited"
    NOT_INVITED = "not_invited"
    DEACTIVATED = "deactivated"


STATUS_LABELS = {
    Status.ACTIVE: _("Active"),
    Status.INVITED: _("Invited"),
    Status.NOT_INVITED: _("Not invited yet"),
    Status.DEACTIVATED: _("Deactivated"),
}


@dataclass
class PersonRow:
    id: int
    name: str
    email: str
    job_title: str
    function: str
    team: str
    manager: str
    roles: list[str]
    status: str

    @property
    def status_label(self) -> str:
        return str(STATUS_LABELS[self.status])

    @property
    def role_labels(self) -> list[str]:
        return [str(ROLE_LABELS[r]) for r in self.roles]


def _pending_invitation() -> Exists:
    return Exists(Invitation.objects.filter(membership=OuterRef("pk"), accepted_at__isnull=True))


def _status_of(m: PersonWithInvitation) -> str:
    if not m.is_active:
        return Status.DEACTIVATED
    if m.user.has_usable_password():
        return Status.ACTIVE
    return Status.INVITED if m.has_pending_invitation else Status.NOT_INVITED


def person_row(m: PersonWithInvitation) -> PersonRow:
    return PersonRow(
        id=m.pk,
        name=m.user.full_name or m.user.email,
        email=m.user.email,
        job_title=m.job_title,
        function=m.function,
        team=m.team.name if m.team else "",
        manager=(m.manager.user.full_name or m.manager.user.email) if m.manager else "",
        roles=m.roles,
        status=_status_of(m),
    )


@dataclass
class PeopleFilters:
    q: str = ""
    team: int | None = None
    role: str = ""
    function: str = ""
    status: str = ""


# Beyond this many matches the page says "more than" rather than count every one of them.
PEOPLE_COUNTED = 1000


@dataclass
class PeoplePage:
    page: NextPage
    people: list[PersonRow]
    # The matches, exact up to ``PEOPLE_COUNTED``; ``more`` when there are more than that.
    total: int
    more: bool


PEOPLE_EXPORT_HEADERS = (
    "Name",
    "E-mail",
    "Job title",
    "Function",
    "Team",
    "Manager",
    "Roles",
    "Status",
)


def people_export_rows(filters: PeopleFilters) -> Iterator[tuple[str, ...]]:
    """Every person matching the filters as export rows (``PEOPLE_EXPORT_HEADERS``), streamed
    from one query in chunks so a large organisation's export does not sit in memory twice."""
    for m in people_matching(filters).iterator(chunk_size=2000):
        row = person_row(m)
        yield (
            row.name,
            row.email,
            row.job_title,
            row.function,
            row.team,
            row.manager,
            ", ".join(row.role_labels),
            row.status_label,
        )


def people_matching(filters: PeopleFilters) -> QuerySet[PersonWithInvitation]:
    """The members matching the filters with what ``person_row`` needs (no query yet)."""
    people = Membership.objects.select_related("user", "team", "manager__user").annotate(
        has_pending_invitation=_pending_invitation()
    )
    if filters.q:
        people = people.filter(
            Q(user__full_name__icontains=filters.q) | Q(user__email__icontains=filters.q)
        )
    if filters.team:
        people = people.filter(team_id=filters.team)
    if filters.role in Role.values:
        people = people.filter(**{f"is_{filters.role}": True})
    if filters.function:
        people = people.filter(function=filters.function)
    unusable = Q(user__password__startswith="!")
    if filters.status == Status.ACTIVE:
        people = people.filter(is_active=True).exclude(unusable)
    elif filters.status == Status.INVITED:
        people = people.filter(unusable, is_active=True, has_pending_invitation=True)
    elif filters.status == Status.NOT_INVITED:
        people = people.filter(unusable, is_active=True, has_pending_invitation=False)
    elif filters.status == Status.DEACTIVATED:
        people = people.filter(is_active=False)
    return people.order_by("user__full_name", "user__email", "pk")


def _not_invited() -> QuerySet[Membership]:
    return (
        Membership.objects.filter(is_active=True, user__password__startswith="!")
        .annotate(has_pending_invitation=_pending_invitation())
        .filter(has_pending_invitation=False)
    )


# Beyond this many, the people page says "more than" rather than count every one of them.
NOT_INVITED_COUNTED = 1000


PENDING_JOINS_SHOWN = 10


@dataclass
class PendingJoin:
    email: str
    roles: list[str]
    sent_at: dt.datetime


def not_invited_people() -> list[Membership]:
    return list(_not_invited().select_related("user").order_by("pk"))


# --- The people page as SQL text -----------------------------------------------------------

# Whether a person has a password: ``has_usable_password`` (Django marks an unusable one with
# this prefix). Written into the SQL text, not passed, so that the planner sees the pattern.
_NO_PASSWORD = f"u.password LIKE '{UNUSABLE_PASSWORD_PREFIX}%%'"
_PENDING = (
    "EXISTS (SELECT 1 FROM organizations_invitation i WHERE i.organization_id = %s"
    " AND i.membership_id = m.id AND i.accepted_at IS NULL)"
)
# ``icontains``: the text between wildcards, with the wildcards in it escaped; ``ILIKE`` on
# PostgreSQL (a trigram index serves it when there is one), ``LIKE`` on SQLite (which ignores
# the case of ASCII letters, as Django's own lookup does there).
_ESCAPE = "ESCAPE '\\'"


def _contains_pattern(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _like() -> str:
    return "ILIKE" if connection.vendor == "postgresql" else "LIKE"


def _people_where(filters: PeopleFilters, org: int) -> tuple[str, list[Any]]:
    """``filters`` as SQL conditions on ``m`` (the membership) and ``u`` (its user), and their
    parameters: what ``people_matching`` filters on."""
    where: list[str] = []
    params: list[Any] = []
    if filters.q:
        like = _like()
        where.append(f"(u.full_name {like} %s {_ESCAPE} OR u.email {like} %s {_ESCAPE})")
        params += [_contains_pattern(filters.q)] * 2
    if filters.team:
        where.append("m.team_id = %s")
        params.append(filters.team)
    if filters.role in Role.values:
        where.append(f"m.is_{filters.role}")  # one of four column names, checked just above
    if filters.function:
        where.append("m.function = %s")
        params.append(filters.function)
    if filters.status == Status.ACTIVE:
        where.append(f"m.is_active AND NOT {_NO_PASSWORD}")
    elif filters.status in (Status.INVITED, Status.NOT_INVITED):
        pending = _PENDING if filters.status == Status.INVITED else f"NOT {_PENDING}"
        where.append(f"m.is_active AND {_NO_PASSWORD} AND {pending}")
        params.append(org)
    elif filters.status == Status.DEACTIVATED:
        where.append("NOT m.is_active")
    return "".join(f" AND {w}" for w in where), params


_PEOPLE_PAGE_SQL = """
    SELECT p.id, p.full_name, p.email, p.job_title, p.function, t.name, mu.full_name,
           mu.email, p.is_admin, p.is_sponsor, p.is_coach, p.is_learner, p.is_active,
           p.has_password,
           EXISTS (SELECT 1 FROM organizations_invitation i WHERE i.organization_id = %s
                   AND i.membership_id = p.id AND i.accepted_at IS NULL),
           {counted}
    FROM (
        SELECT m.id, u.full_name, u.email, m.job_title, m.function, m.team_id, m.manager_id,
               m.is_admin, m.is_sponsor, m.is_coach, m.is_learner, m.is_active,
               NOT {no_password} AS has_password
        FROM organizations_membership m
        JOIN organizations_user u ON u.id = m.user_id
        WHERE m.organization_id = %s{where}
        ORDER BY u.full_name, u.email, m.id
        LIMIT {limit} OFFSET {offset}
    ) p
    LEFT JOIN organizations_team t ON t.id = p.team_id
    LEFT JOIN organizations_membership mm ON mm.id = p.manager_id
    LEFT JOIN organizations_user mu ON mu.id = mm.user_id
    ORDER BY p.full_name, p.email, p.id"""
# The matches counted up to a bound (the organisation and the filters' parameters as
# parameters): the people page's count where no kept figure answers.
_PEOPLE_COUNTED_SQL = """(SELECT COUNT(*) FROM (
                SELECT 1 FROM organizations_membership m{count_join}
                WHERE m.organization_id = %s{where} LIMIT {bound}) counted)"""


def people_list_page(filters: PeopleFilters, page_number: Any = 1) -> PeoplePage:
    """One page of people matching the filters, by name, in one statement as SQL text: the
    page's members walked in name order through ``user_name_order`` and stopping at the page,
    joined to their team and manager, and the matches counted: read from the organisation's
    kept figures where one answers the filters exactly (none, a role, the deactivated:
    ``people.counts``), else counted up to ``PEOPLE_COUNTED`` + 1 (used while more pages
    follow: the last page knows the total from its own rows). No statement reads every person
    of a large organisation."""
    org = tenant_id()
    where, params = _people_where(filters, org)
    kept = people_counts.kept_column(filters)
    if kept is not None:
        counted_sql = people_counts.KEPT_SQL.format(column=kept)
        count_params: list[Any] = [org]
    else:
        # The count joins the users only when a filter is on them: a count of members alone
        # reads the membership index up to the bound.
        count_join = " JOIN organizations_user u ON u.id = m.user_id" if "u." in where else ""
        counted_sql = _PEOPLE_COUNTED_SQL.format(
            count_join=count_join, where=where, bound=int(PEOPLE_COUNTED + 1)
        )
        count_params = [org, *params]

    def fetch(limit: int, offset: int) -> list[tuple[Any, ...]]:
        # The page's bounds written into the text, not passed: the statement is prepared on
        # its fifth use, and a plan made for an unknown limit sorts every member of the
        # organisation (6 ms at 5,000 learners), so PostgreSQL planned it again on every
        # request (0.9 ms); a plan made for a page walks the names' index to the page.
        sql = _PEOPLE_PAGE_SQL.format(
            where=where,
            no_password=_NO_PASSWORD,
            counted=counted_sql,
            limit=int(limit),
            offset=int(offset),
        )
        return fetch_rows(sql, [org, *count_params, org, *params])

    page = next_page_of(fetch, page_number, PEOPLE_PER_PAGE)
    people = []
    for (
        pk,
        name,
        email,
        job_title,
        function,
        team,
        manager_name,
        manager_email,
        is_admin,
        is_sponsor,
        is_coach,
        is_learner,
        is_active,
        has_password,
        pending,
        _matches,
    ) in page.object_list:
        if not is_active:
            status = Status.DEACTIVATED
        elif has_password:
            status = Status.ACTIVE
        else:
            status = Status.INVITED if pending else Status.NOT_INVITED
        people.append(
            PersonRow(
                id=pk,
                name=name or email,
                email=email,
                job_title=job_title,
                function=function,
                team=team or "",
                manager=(manager_name or manager_email or ""),
                roles=[
                    role
                    for role, held in (
                        (Role.ADMIN, is_admin),
                        (Role.SPONSOR, is_sponsor),
                        (Role.COACH, is_coach),
                        (Role.LEARNER, is_learner),
                    )
                    if held
                ],
                status=status,
            )
        )
    if kept is not None:
        # Every row carries the kept figure, read in the page's snapshot.
        total = page.object_list[0][-1] if page.object_list else 0
        return PeoplePage(page=page, people=people, total=total, more=False)
    # Every row carries the matches counted up to the bound; the last page knows its own.
    total = page.total if page.total is not None else page.object_list[0][-1]
    return PeoplePage(
        page=page, people=people, total=min(total, PEOPLE_COUNTED), more=total > PEOPLE_COUNTED
    )


@dataclass
class PeopleOverview:
    """What the people page shows besides its list: the filters' choices, the people not
    invited yet (counted up to ``NOT_INVITED_COUNTED`` + 1) and the accounts asked to join."""

    choices: FilterChoices
    not_invited: int
    pending_joins: list[PendingJoin]


# The page's fixed reads in one statement (the same text on SQLite):
# - the first teams by their case-blind name (``team_unique_name_ci``), read only when the
#   filter lists them: ``tc`` counts the organisation's teams up to one past the filter's bound,
#   ordered so that it walks that index however many teams other organisations hold; an
#   organisation of a thousand units reads no team's row and says so in a row of kind 6;
# - the team chosen;
# - the functions, skipping through ``membership_org_function`` value by value;
# - the people not invited yet, counted up to a bound from the users without a password
#   (``user_no_password``) rather than from every member;
# - the newest accounts asked to join.
# The invitations come first: PostgreSQL types the NULLs of a union's later branches from the
# earlier ones (jsonb, a moment).
_PEOPLE_OVERVIEW_SQL = """
    WITH RECURSIVE f(value, n) AS (
        SELECT (SELECT function FROM organizations_membership
                WHERE organization_id = %s AND function > ''
                ORDER BY function LIMIT 1), 1
        UNION ALL
        SELECT (SELECT t.function FROM organizations_membership t
                WHERE t.organization_id = %s AND t.function > f.value
                ORDER BY t.function LIMIT 1), f.n + 1
        FROM f WHERE f.value IS NOT NULL AND f.n < %s
    ), tc(many) AS (
        SELECT COUNT(*) > %s FROM (
            SELECT 1 FROM organizations_team WHERE organization_id = %s
            ORDER BY LOWER(name) LIMIT %s) listed
    )
    SELECT 5, id, email, terms, sent_at, NULL FROM (
        SELECT id, email, terms, sent_at FROM organizations_invitation
        WHERE organization_id = %s AND accepted_at IS NULL AND membership_id IS NULL
          AND user_id IS NOT NULL
        ORDER BY sent_at DESC, id DESC LIMIT %s) joins
    UNION ALL
    SELECT 1, id, name, NULL, NULL, LOWER(name) FROM (
        SELECT id, name FROM organizations_team WHERE organization_id = %s
        ORDER BY LOWER(name) LIMIT %s) teams
    WHERE NOT (SELECT many FROM tc)
    UNION ALL
    SELECT 6, NULL, NULL, NULL, NULL, NULL FROM tc WHERE many
    UNION ALL
    SELECT 2, id, name, NULL, NULL, NULL FROM organizations_team
    WHERE organization_id = %s AND id = %s
    UNION ALL
    SELECT 3, NULL, value, NULL, NULL, value FROM f WHERE value IS NOT NULL
    UNION ALL
    SELECT 4, (SELECT COUNT(*) FROM (
        SELECT 1 FROM organizations_user u
        JOIN organizations_membership m ON m.user_id = u.id AND m.organization_id = %s
        WHERE {no_password} AND m.is_active AND NOT {pending} LIMIT %s) counted),
        NULL, NULL, NULL, NULL
    ORDER BY 1, 6, 5 DESC, 2 DESC"""


def people_overview(team: Any = None) -> PeopleOverview:
    """The people page's fixed reads (``PeopleOverview``) in one statement as SQL text. The
    team filter lists the first ``TEAM_CHOICES_MAX`` teams by name; beyond that many (an
    organisation of a thousand units) it offers the team already chosen (``team``, as the
    page's parameter) only, and teams are chosen from the teams page."""
    org = tenant_id()
    chosen = int(team) if isinstance(team, str) and team.isdigit() else None
    rows = fetch_rows(
        _PEOPLE_OVERVIEW_SQL.format(no_password=_NO_PASSWORD, pending=_PENDING),
        [
            org,
            org,
            FUNCTION_CHOICES_MAX,
            TEAM_CHOICES_MAX,
            org,
            TEAM_CHOICES_MAX + 1,
            org,
            PENDING_JOINS_SHOWN + 1,
            org,
            TEAM_CHOICES_MAX,
            org,
            chosen if chosen is not None and chosen < 2**63 else 0,
            org,
            org,
            NOT_INVITED_COUNTED + 1,
        ],
    )
    teams: list[tuple[int, str]] = []
    chosen_team: list[tuple[int, str]] = []
    functions: list[str] = []
    not_invited = 0
    many = False
    joins = []
    for kind, pk, text, terms, sent_at, _sort in rows:
        if kind == 6:
            many = True
        elif kind == 1:
            teams.append((pk, text))
        elif kind == 2:
            chosen_team.append((pk, text))
        elif kind == 3:
            functions.append(text)
        elif kind == 4:
            not_invited = pk
        else:
            roles = (_json_of(terms) or {}).get("roles", [])
            joins.append(
                PendingJoin(
                    text,
                    [str(ROLE_LABELS[r]) for r in roles if r in ROLE_LABELS],
                    moment_of(sent_at),
                )
            )
    return PeopleOverview(
        choices=FilterChoices(
            teams=chosen_team if many else teams, functions=functions, many_teams=many
        ),
        not_invited=not_invited,
        pending_joins=joins,
    )


# The team filter lists the teams up to this many; beyond it (an organisation of a thousand
# units) it offers the team already chosen, and teams are chosen from the teams page (each
# team's member count links to the people filtered by it).
TEAM_CHOICES_MAX = 100
FUNCTION_CHOICES_MAX = 200


@dataclass
class FilterChoices:
    teams: list[tuple[int, str]]
    functions: list[str]
    # More teams than the filter lists: ``teams`` holds the chosen one only.
    many_teams: bool = False


@dataclass
class TeamNode:
    id: int
    name: str
    manager: str
    members: int
    depth: int
    parent_id: int | None
    children: list[TeamNode] = field(default_factory=list)


def team_tree() -> list[TeamNode]:
    """Every team in tree order (depth-first, by name) with its active members, read from
    each team's kept row where counts are kept (``team_counts``) (1 query)."""
    teams = list(
        Team.objects.select_related("manager__user")
        .annotate(n=team_counts.active_members())
        .order_by("name")
    )
    nodes = {
        t.pk: TeamNode(
            id=t.pk,
            name=t.name,
            manager=(t.manager.user.full_name or t.manager.user.email) if t.manager else "",
            members=t.n,
            depth=0,
            parent_id=t.parent_id,
        )
        for t in teams
    }
    roots: list[TeamNode] = []
    for node in nodes.values():
        parent = nodes.get(node.parent_id) if node.parent_id else None
        (parent.children if parent else roots).append(node)
    ordered: list[TeamNode] = []

    def walk(node: TeamNode, depth: int) -> None:
        node.depth = depth
        ordered.append(node)
        for child in node.children:
            walk(child, depth + 1)

    for root in roots:
        walk(root, 0)
    return ordered


TEAMS_PER_PAGE = 50


@dataclass
class TeamFilters:
    """The teams page: top-level teams, a team's sub-teams (``parent``), or every team whose
    name contains ``q`` (at any level)."""

    q: str = ""
    parent: Team | None = None


@dataclass
class TeamRow:
    id: int
    name: str
    parent_id: int | None
    parent: str
    manager: str
    members: int
    subteams: int


# The page of teams and their number in one statement (the same text on SQLite): the count
# joined to the page's teams, so that a page past the end still reads the number of pages.
# Each team's active members: kept on PostgreSQL, counted elsewhere (``team_counts``).
_TEAM_PAGE_SQL = """
    SELECT c.n, p.id, p.name, p.parent_id, pt.name, mu.full_name, mu.email,
           {active_members},
           (SELECT COUNT(*) FROM organizations_team s
            WHERE s.organization_id = %s AND s.parent_id = p.id)
    FROM (SELECT COUNT(*) AS n FROM organizations_team t
          WHERE t.organization_id = %s{where}) c
    LEFT JOIN (
        SELECT t.id, t.name, t.parent_id, t.manager_id FROM organizations_team t
        WHERE t.organization_id = %s{where}
        ORDER BY t.name, t.id
        LIMIT %s OFFSET %s
    ) p ON 1 = 1
    LEFT JOIN organizations_team pt ON pt.id = p.parent_id
    LEFT JOIN organizations_membership mm ON mm.id = p.manager_id
    LEFT JOIN organizations_user mu ON mu.id = mm.user_id
    ORDER BY p.name, p.id"""


def team_page(filters: TeamFilters, page_number: Any = 1) -> tuple[Page, list[TeamRow]]:
    """One page of teams by name with their number (1 statement as SQL text; a second only
    for a page number past the end, which shows the last page as Django's paginator does).
    The order and the filter are served by the ``team_org_parent_name`` index; the active
    members are read from each page team's kept row (``TeamCounts``, on PostgreSQL; counted
    by the ``membership_org_team_active`` index elsewhere) and the sub-teams counted by the
    ``team_org_parent_name`` index, for the page's teams only, so a page costs the same with
    10 teams or 10,000 and with 50 people or 50,000."""
    org = tenant_id()
    if filters.q:
        where = f" AND t.name {_like()} %s {_ESCAPE}"
        params: list[Any] = [_contains_pattern(filters.q)]
    elif filters.parent is not None:
        where, params = " AND t.parent_id = %s", [filters.parent.pk]
    else:
        where, params = " AND t.parent_id IS NULL", []
    sql = _TEAM_PAGE_SQL.format(where=where, active_members=team_counts.active_members_sql())

    def fetch(number: int) -> list[tuple[Any, ...]]:
        offset = (number - 1) * TEAMS_PER_PAGE
        return fetch_rows(sql, [org, org, org, *params, org, *params, TEAMS_PER_PAGE, offset])

    paginator: Paginator[TeamRow] = Paginator([], TEAMS_PER_PAGE)
    try:
        number = int(page_number)
    except (TypeError, ValueError):
        number = 1
    fetched = max(number, 1)
    rows = fetch(fetched)
    # What ``Paginator.get_page`` makes of the number, now that the count is known.
    paginator.count = rows[0][0]
    valid = paginator.get_page(page_number).number
    if valid != fetched:
        rows = fetch(valid)
    teams = [
        TeamRow(
            id=pk,
            name=name,
            parent_id=parent_id,
            parent=parent or "",
            manager=(manager_name or manager_email or ""),
            members=members,
            subteams=subteams,
        )
        for _n, pk, name, parent_id, parent, manager_name, manager_email, members, subteams in rows
        if pk is not None
    ]
    return Page(teams, valid, paginator), teams


@dataclass
class InvitationRow:
    sent_at: dt.datetime
    invited_by: str
    accepted_at: dt.datetime | None
    # When the link stops working: set on the newest invitation still waiting (a newer one
    # retires the older links), so the admin sees whether re-sending is needed.
    expires_at: dt.datetime | None = None
    expired: bool = False


@dataclass
class PersonDetail:
    person: PersonRow
    membership: Membership
    created_at: dt.datetime
    deactivated_at: dt.datetime | None
    reports: list[PersonRow]
    invitations: list[InvitationRow]
    enrollments: list[dict[str, Any]]
    history: list[AuditRow]


def person_detail(membership_id: int, now: dt.datetime | None = None) -> PersonDetail:
    """A person with their reports, invitations (newest first; the newest waiting one says when
    its link expires, judged at ``now``), enrolments and recent history (5 queries).

    Raises ``Membership.DoesNotExist`` for an id outside the organisation.
    """
    from pathways.models import Enrollment

    m = (
        Membership.objects.select_related("user", "team", "manager__user")
        .annotate(has_pending_invitation=_pending_invitation())
        .get(pk=membership_id)
    )
    reports = [
        person_row(r)
        for r in Membership.objects.select_related("user", "team", "manager__user")
        .annotate(has_pending_invitation=_pending_invitation())
        .filter(manager=m)
        .order_by("user__full_name")
    ]
    invitations = [
        InvitationRow(i.sent_at, i.invited_by.display_name if i.invited_by else "", i.accepted_at)
        for i in Invitation.objects.filter(membership=m)
        .select_related("invited_by")
        .order_by("-sent_at", "-id")
    ]
    if invitations and invitations[0].accepted_at is None:
        newest = invitations[0]
        newest.expires_at = newest.sent_at + INVITATION_MAX_AGE
        newest.expired = newest.expires_at <= (now or timezone.now())
    enrollments = [
        {
            "cohort_id": e.cohort_id,
            "cohort": e.cohort.name,
            "pathway": e.version.pathway.name,
            "status": e.get_status_display(),
            "enrolled_at": e.enrolled_at,
        }
        for e in Enrollment.objects.filter(learner=m).select_related("cohort", "version__pathway")
    ]
    entries = list(
        AuditEntry.objects.filter(object_type="Person", object_id=str(m.pk))
        .select_related("actor")
        .order_by("-created_at", "-id")[:PERSON_HISTORY]
    )
    names = _reference_names(entries)
    history = [_audit_row(e, names) for e in entries]
    return PersonDetail(
        history=history,
        person=person_row(m),
        membership=m,
        created_at=m.created_at,
        deactivated_at=m.deactivated_at,
        reports=reports,
        invitations=invitations,
        enrollments=enrollments,
    )


@dataclass
class ImportRow:
    id: int
    filename: str
    created_at: dt.datetime
    created_by: str
    total_rows: int
    status: str
    status_label: str


def recent_imports(limit: int = 10) -> list[ImportRow]:
    """The latest imports, newest first (1 query; the file contents stay in the database)."""
    return [
        ImportRow(
            j.pk,
            j.filename,
            j.created_at,
            j.created_by.display_name if j.created_by else gettext_now("command line"),
            j.total_rows,
            j.status,
            j.get_status_display(),
        )
        for j in ImportJob.objects.select_related("created_by").defer("content")[:limit]
    ]


IMPORT_EXPORT_HEADERS = ("File", "Uploaded", "By", "Rows", "Status")


def import_export_rows(rows: list[ImportRow]) -> list[tuple[Any, ...]]:
    """The recent imports as export rows (no queries; times in the organisation's zone)."""
    return [
        (j.filename, timezone.localtime(j.created_at), j.created_by, j.total_rows, j.status_label)
        for j in rows
    ]


PROBLEM_EXPORT_HEADERS = ("Row", "Column", "Problem")


def problem_export_rows(problems: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """An import's problems (row 1 is the header) as export rows, to fix the file by."""
    return [(p.get("row"), p.get("column", ""), p.get("message", "")) for p in problems]


CHANGE_EXPORT_HEADERS = ("Person", "E-mail", "Field", "Before", "After")


def change_export_rows(summary: dict[str, Any]) -> list[tuple[Any, ...]]:
    """The changes an import makes to existing people, a field a row, as the page lists them
    (the summary keeps the first 200 people)."""
    return [
        (p.get("name", ""), p.get("email", ""), field, values[0], values[1])
        for p in (summary or {}).get("updated_people", [])
        for field, values in p.get("changes", {}).items()
    ]


# --- Audit log -----------------------------------------------------------------------------


@dataclass
class AuditFilters:
    actor: int | None = None
    object_type: str = ""
    action: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None


@dataclass
class DiffLine:
    field: str
    before: str
    after: str
    kind: str  # added | removed | changed


@dataclass
class AuditRow:
    id: int
    created_at: dt.datetime
    actor: str
    action: str
    object_type: str
    object_repr: str
    diff: list[DiffLine]


# Snapshot keys that name another row by id, and the model that row lives in: the audit page
# shows its name instead (one query per model on the page, whatever the number of entries).
AUDIT_REFERENCES: dict[str, str] = {
    "stage": "pathways.Stage",
    "module": "pathways.Module",
    "step": "pathways.Step",
    "prerequisites": "pathways.Step",
    "requires": "pathways.Step",
    "steps": "pathways.Step",
    "elective_group": "pathways.ElectiveGroup",
    "version": "pathways.PathwayVersion",
    "cohort": "pathways.Cohort",
    "competency": "competencies.Competency",
    "competencies": "competencies.Competency",
    "framework": "competencies.Framework",
    "team": "organizations.Team",
    "project_template": "projects.ProjectTemplate",
    "conversation_template": "coaching.ConversationTemplate",
}
# What naming a row of these models reads besides the row itself.
AUDIT_NAME_JOINS: dict[str, tuple[str, ...]] = {
    "pathways.Step": ("module", "project_template", "conversation_template"),
    "pathways.PathwayVersion": ("pathway",),
}
# Internal keys an admin has no use for.
AUDIT_HIDDEN = {"id", "key", "organization", "step_key", "password"}
AUDIT_LABELS = {
    "available_offset_days": _("opens (days after the cohort starts)"),
    "due_offset_days": _("due (days after the cohort starts)"),
    "position": _("place in order"),
    "choose": _("steps to choose"),
    "moved_enrollments": _("learners moved"),
    "moved_cohorts": _("cohorts moved"),
    "retired_versions": _("versions retired"),
    "is_active": _("active"),
    "p_known": _("knowledge estimate"),
    "reason": _("reason given"),
}
_DEFAULT_REPR = re.compile(r"^([A-Za-z]+) object \((\d+)\)$")


@functools.lru_cache(maxsize=64)
def _diff_words(_language: str | None) -> dict[str, str]:
    """The diffs' words in the active language (``_language``), translated once per language
    and process: a page of diffs says "yes" and "no" many times."""
    return {
        "yes": gettext_now("yes"),
        "no": gettext_now("no"),
        "deleted": gettext_now("a deleted item"),
    }


def _readable(value: Any, names: dict[Any, str] | None = None) -> str:
    # Most values are plain text or whole numbers, said as they are (no call to find out).
    if names is None and value.__class__ is str:
        return value or "—"
    if names is None and value.__class__ is int:
        return str(value)
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return _diff_words(get_language())["yes" if value else "no"]
    if names is not None:
        ids = value if isinstance(value, list) else [value]
        return ", ".join(
            [names[v] if v in names else _diff_words(get_language())["deleted"] for v in ids]
        )
    if isinstance(value, list) and all(not isinstance(v, dict | list) for v in value):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def _label(key: str) -> str:
    return str(AUDIT_LABELS.get(key, key.replace("_", " ")))


def _plain_repr(object_repr: str, object_type: str) -> str:
    """Entries written before a model named itself read "ElectiveGroup object (1)"."""
    match = _DEFAULT_REPR.match(object_repr)
    if match is None:
        return object_repr
    return gettext_now("%(type)s no. %(id)s") % {"type": object_type, "id": match.group(2)}


def _reference_names(entries: list[AuditEntry]) -> dict[str, dict[Any, str]]:
    """Names of every row the entries' snapshots refer to by id, per model label (one query
    whatever the models that occur, none when no snapshot refers to a row)."""
    return reference_names(snap for e in entries for snap in (e.before, e.after))


# How each model an audit snapshot refers to is named, as SQL text: its table's name column
# (what the model's ``__str__`` returns). Steps and pathway versions are named from joined
# rows (``_reference_name``); every read filters on the organisation like the scoped manager.
_NAME_COLUMNS: dict[str, str] = {
    "pathways.Stage": "title",
    "pathways.Module": "title",
    "pathways.ElectiveGroup": "title",
    "pathways.Cohort": "name",
    "competencies.Competency": "name",
    "competencies.Framework": "name",
    "organizations.Team": "name",
    "projects.ProjectTemplate": "title",
    "coaching.ConversationTemplate": "title",
}


@functools.lru_cache(maxsize=1024)
def _kept_names_sql(_vendor: str, label: str, n: int) -> str:
    """``_names_sql``, written once per database vendor (its quoting), model and number."""
    return _names_sql(label, n)


def _names_sql(label: str, n: int) -> str:
    """A ``SELECT label, id, name, extra`` of ``n`` ids (``%s``: the organisation, then them)
    of the model ``label``, whose name (``str(row)``) ``_reference_name`` puts together."""
    model = apps.get_model(label)
    table = connection.ops.quote_name(model._meta.db_table)
    ids = ", ".join(["%s"] * n)
    if label == "pathways.Step":
        # ``Step.display_title``: its title, else its module's, project's or conversation's,
        # else the kind's label (in Python, translated).
        module = connection.ops.quote_name(apps.get_model("pathways.Module")._meta.db_table)
        project = connection.ops.quote_name(
            apps.get_model("projects.ProjectTemplate")._meta.db_table
        )
        talk = connection.ops.quote_name(
            apps.get_model("coaching.ConversationTemplate")._meta.db_table
        )
        return f"""
            SELECT 'pathways.Step', s.id,
                   CASE WHEN s.title <> '' THEN s.title
                        WHEN s.module_id IS NOT NULL THEN m.title
                        WHEN s.project_template_id IS NOT NULL THEN p.title
                        WHEN s.conversation_template_id IS NOT NULL THEN c.title END,
                   s.kind
            FROM {table} s
            LEFT JOIN {module} m ON m.id = s.module_id
            LEFT JOIN {project} p ON p.id = s.project_template_id
            LEFT JOIN {talk} c ON c.id = s.conversation_template_id
            WHERE s.organization_id = %s AND s.id IN ({ids})"""  # noqa: S608
    if label == "pathways.PathwayVersion":
        pathway = connection.ops.quote_name(apps.get_model("pathways.Pathway")._meta.db_table)
        return f"""
            SELECT 'pathways.PathwayVersion', v.id, p.name, CAST(v.number AS TEXT)
            FROM {table} v JOIN {pathway} p ON p.id = v.pathway_id
            WHERE v.organization_id = %s AND v.id IN ({ids})"""  # noqa: S608
    column = connection.ops.quote_name(_NAME_COLUMNS[label])
    return f"""
        SELECT '{label}', t.id, t.{column}, NULL
        FROM {table} t WHERE t.organization_id = %s AND t.id IN ({ids})"""  # noqa: S608


def _reference_name(label: str, name: Any, extra: Any) -> str:
    if label == "pathways.PathwayVersion":
        return f"{name} v{extra}"
    if label == "pathways.Step" and name is None:
        return str(dict(_step_kinds()).get(extra, extra))
    return str(name)


def _step_kinds() -> Any:
    from pathways.models import Step

    return Step.Kind.choices


def reference_names(snapshots: Iterable[Any]) -> dict[str, dict[Any, str]]:
    """Names of every row ``snapshots`` (audit ``before``/``after`` values) refer to by id
    (``AUDIT_REFERENCES``), per model label: one query for every model at once, as SQL text;
    none when no snapshot refers to a row."""
    wanted: dict[str, set[int]] = {}
    for snap in snapshots:
        if not isinstance(snap, dict):
            continue
        for key, value in snap.items():
            if key not in AUDIT_REFERENCES or value is None:
                continue
            label = AUDIT_REFERENCES[key]
            ids = value if isinstance(value, list) else [value]
            wanted.setdefault(label, set()).update([v for v in ids if isinstance(v, int)])
    parts: list[str] = []
    params: list[Any] = []
    org = tenant_id()
    for label, wanted_ids in sorted(wanted.items()):
        if not wanted_ids:
            continue
        parts.append(_kept_names_sql(connection.vendor, label, len(wanted_ids)))
        params += [org, *sorted(wanted_ids)]
    names: dict[str, dict[Any, str]] = {label: {} for label in wanted}
    if parts:
        for label, pk, name, extra in fetch_rows(" UNION ALL ".join(parts), params):
            names[label][pk] = _reference_name(label, name, extra)
    return names


def audit_diff(
    before: Any,
    after: Any,
    names: dict[str, dict[Any, str]] | None = None,
    labels: dict[str, str] | None = None,
) -> list[DiffLine]:
    """Field-by-field differences between two snapshots, in the admin's words: rows referred
    to by id are named (``names`` from ``_reference_names``), internal keys are left out, and
    so are unchanged fields. ``labels`` keeps the keys' words for a page's entries (each key
    translated once a page)."""
    if not isinstance(before, dict) and not isinstance(after, dict):
        if before == after:
            return []
        return [DiffLine("value", _readable(before), _readable(after), "changed")]
    before = before if isinstance(before, dict) else {}
    after = after if isinstance(after, dict) else {}
    lines = []
    for key in sorted(before.keys() | after.keys()):
        if key in AUDIT_HIDDEN:
            continue
        if key not in before:
            b, a, kind = None, after[key], "added"
        elif key not in after:
            b, a, kind = before[key], None, "removed"
        else:
            b, a, kind = before[key], after[key], "changed"
            if b == a:
                continue
        label = AUDIT_REFERENCES.get(key)
        lookup = (names or {}).get(label, {}) if label else None
        if labels is None:
            words = _label(key)
        else:
            words = labels.get(key) or labels.setdefault(key, _label(key))
        lines.append(DiffLine(words, _readable(b, lookup), _readable(a, lookup), kind))
    return lines


def _audit_matching(filters: AuditFilters) -> QuerySet[AuditEntry]:
    entries = AuditEntry.objects.select_related("actor")
    if filters.actor:
        entries = entries.filter(actor_id=filters.actor)
    if filters.object_type:
        entries = entries.filter(object_type=filters.object_type)
    if filters.action:
        entries = entries.filter(action=filters.action)
    if filters.date_from:
        entries = entries.filter(created_at__date__gte=filters.date_from)
    if filters.date_to:
        entries = entries.filter(created_at__date__lte=filters.date_to)
    return entries.order_by("-created_at", "-id")


@dataclass(frozen=True)
class AuditLine:
    """An entry of the audit page as read: its actor's name (or the system's), and its
    snapshots decoded."""

    id: int
    created_at: dt.datetime
    actor: str
    action: str
    object_type: str
    object_repr: str
    before: Any
    after: Any


def _json_of(value: Any) -> Any:
    """A JSON column as read through a cursor: text on both backends (Django decodes it in
    the field), already decoded by a driver that does so."""
    return json.loads(value) if isinstance(value, str) else value


def _moment_bound(day: dt.date) -> dt.datetime | None:
    """The first moment of ``day`` in the active time zone (the organisation's), where the
    page's days begin; ``None`` beyond the calendar's ends."""
    try:
        start = dt.datetime.combine(day, dt.time.min, tzinfo=timezone.get_current_timezone())
        return start.astimezone(dt.UTC)
    except OverflowError:
        return None


_AUDIT_PAGE_SQL = """
    SELECT e.id, e.created_at, u.full_name, u.email, e.actor_id, e.action, e.object_type,
           e.object_repr, e.before, e.after
    FROM organizations_auditentry e
    LEFT JOIN organizations_user u ON u.id = e.actor_id
    WHERE e.organization_id = %s{where}
    ORDER BY e.created_at DESC, e.id DESC
    LIMIT %s OFFSET %s"""


def _audit_where(filters: AuditFilters) -> tuple[str, list[Any]]:
    """The filters as SQL conditions on ``e`` and their parameters. A day filter compares the
    moment with the day's first moment in the organisation's zone (what ``created_at__date``
    means), so that the ``audit_org_time`` index serves it."""
    where: list[str] = []
    params: list[Any] = []
    if filters.actor:
        where.append("e.actor_id = %s")
        params.append(filters.actor)
    if filters.object_type:
        where.append("e.object_type = %s")
        params.append(filters.object_type)
    if filters.action:
        where.append("e.action = %s")
        params.append(filters.action)
    if filters.date_from and (start := _moment_bound(filters.date_from)) is not None:
        where.append("e.created_at >= %s")
        params.append(moment_param(start))
    if filters.date_to:
        try:
            after = filters.date_to + dt.timedelta(days=1)
        except OverflowError:
            after = None
        if after is not None and (end := _moment_bound(after)) is not None:
            where.append("e.created_at < %s")
            params.append(moment_param(end))
    return "".join(f" AND {w}" for w in where), params


def audit_page(filters: AuditFilters, page_number: Any = 1) -> tuple[NextPage, list[AuditLine]]:
    """Newest first, a page at a time through the ``audit_org_time`` index, not counted: the
    log only grows, and its total would mean reading all of it. One statement as SQL text
    (the entries with their actors' names), plus one naming every row the page's snapshots
    refer to (``reference_names``); the diffs are worked out by the caller (``audit_diff``)."""
    where, params = _audit_where(filters)
    sql = _AUDIT_PAGE_SQL.format(where=where)
    org = tenant_id()

    def fetch(limit: int, offset: int) -> list[tuple[Any, ...]]:
        return fetch_rows(sql, [org, *params, limit, offset])

    page = next_page_of(fetch, page_number, AUDIT_PER_PAGE)
    system = gettext_now("Pathwise (system)")
    # The page's snapshots read as text decoded together: one JSON array of them all.
    texts = [v for row in page.object_list for v in (row[8], row[9]) if isinstance(v, str)]
    decoded = iter(json.loads(f"[{','.join(texts)}]") if texts else ())
    lines = [
        AuditLine(
            id=pk,
            created_at=moment_of(created_at),
            actor=(full_name or email) if actor_id is not None else system,
            action=action,
            object_type=object_type,
            object_repr=_plain_repr(object_repr, object_type),
            before=next(decoded) if isinstance(before, str) else before,
            after=next(decoded) if isinstance(after, str) else after,
        )
        for (
            pk,
            created_at,
            full_name,
            email,
            actor_id,
            action,
            object_type,
            object_repr,
            before,
            after,
        ) in page.object_list
    ]
    return page, lines


AUDIT_EXPORT_HEADERS = ("When", "Who", "Action", "What", "Object", "Changes")
# Entries read per batch of the download; each batch names the rows its snapshots refer to with
# one query per model that occurs (as a page of the log does).
AUDIT_EXPORT_BATCH = 2000


def audit_export_rows(filters: AuditFilters) -> Iterator[tuple[Any, ...]]:
    """Every entry matching the filters, newest first, as export rows (``AUDIT_EXPORT_HEADERS``;
    times in the organisation's time zone, changes as "field: before → after" lines). One
    query streamed in batches, plus the name look-ups of each batch."""
    batch: list[AuditEntry] = []

    def rows_of(entries: list[AuditEntry]) -> Iterator[tuple[Any, ...]]:
        names = _reference_names(entries)
        for e in entries:
            row = _audit_row(e, names)
            yield (
                timezone.localtime(row.created_at),
                row.actor,
                row.action,
                row.object_type,
                row.object_repr,
                "\n".join(_diff_text(line) for line in row.diff),
            )

    for entry in _audit_matching(filters).iterator(chunk_size=AUDIT_EXPORT_BATCH):
        batch.append(entry)
        if len(batch) == AUDIT_EXPORT_BATCH:
            yield from rows_of(batch)
            batch = []
    if batch:
        yield from rows_of(batch)


def _diff_text(line: DiffLine) -> str:
    if line.kind == "added":
        return f"{line.field}: {line.after}"
    if line.kind == "removed":
        return f"{line.field}: {line.before} → —"
    return f"{line.field}: {line.before} → {line.after}"


TEAM_EXPORT_HEADERS = ("Team", "Parent team", "Level", "Manager", "Active members")


def team_export_rows(teams: list[TeamNode]) -> list[tuple[Any, ...]]:
    """The team list (``team_tree``, in tree order) as export rows (no queries)."""
    names = {t.id: t.name for t in teams}
    return [
        (t.name, names.get(t.parent_id, "") if t.parent_id else "", t.depth, t.manager, t.members)
        for t in teams
    ]


def _audit_row(e: AuditEntry, names: dict[str, dict[Any, str]]) -> AuditRow:
    return AuditRow(
        id=e.pk,
        created_at=e.created_at,
        actor=(e.actor.full_name or e.actor.email) if e.actor else gettext_now("Pathwise (system)"),
        action=e.action,
        object_type=e.object_type,
        object_repr=_plain_repr(e.object_repr, e.object_type),
        diff=audit_diff(e.before, e.after, names),
    )


@dataclass
class AuditChoices:
    actors: list[tuple[int, str]]
    object_types: list[str]
    actions: list[str]


AUDIT_CHOICES_MAX = 200


def _index_skip(name: str, column: str, least: str) -> str:
    """A recursive part ``name(value, n)`` that skips through the ``(organization, column)``
    index of the log from one value of ``column`` to the next (a scalar sub-select per value,
    above ``least``): as many index probes as there are values, not a read of the log. Its
    parameters: the organisation, the organisation again, and the most values to list."""
    return f"""
    {name}(value, n) AS (
        SELECT (SELECT {column} FROM organizations_auditentry
                WHERE organization_id = %s AND {column} > {least}
                ORDER BY {column} LIMIT 1), 1
        UNION ALL
        SELECT (SELECT t.{column} FROM organizations_auditentry t
                WHERE t.organization_id = %s AND t.{column} > {name}.value
                ORDER BY t.{column} LIMIT 1), {name}.n + 1
        FROM {name} WHERE {name}.value IS NOT NULL AND {name}.n < %s
    )"""  # noqa: S608 - fixed text


# Who (the actors' names joined in), what and which action, each skipped through its own
# index; the same text runs on SQLite.
_AUDIT_CHOICES_SKIPS = ",".join(
    [
        _index_skip("a", "actor_id", "0"),
        _index_skip("o", "object_type", "''"),
        _index_skip("c", "action", "''"),
    ]
)
_AUDIT_CHOICES_SQL = f"""
    WITH RECURSIVE{_AUDIT_CHOICES_SKIPS}
    SELECT 1, u.id, u.full_name, u.email, NULL
    FROM a JOIN organizations_user u ON u.id = a.value
    UNION ALL SELECT 2, NULL, NULL, NULL, o.value FROM o WHERE o.value IS NOT NULL
    UNION ALL SELECT 3, NULL, NULL, NULL, c.value FROM c WHERE c.value IS NOT NULL
    ORDER BY 1, 3, 4, 5"""  # noqa: S608 - fixed text


def audit_choices() -> AuditChoices:
    """Values present in the log, for the filter drop-downs: who (by name), what and which
    action, each at most ``AUDIT_CHOICES_MAX``, in one statement that skips through each
    value's index value by value rather than reading the whole log."""
    choices = AuditChoices(actors=[], object_types=[], actions=[])
    org, most = tenant_id(), AUDIT_CHOICES_MAX
    rows = fetch_rows(_AUDIT_CHOICES_SQL, [org, org, most] * 3)
    for kind, pk, full_name, email, value in rows:
        if kind == 1:
            choices.actors.append((pk, full_name or email))
        elif kind == 2:
            choices.object_types.append(value)
        else:
            choices.actions.append(value)
    return choices
