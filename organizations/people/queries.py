"""Reads for the people, teams, import and audit pages: plain data, a fixed number of queries."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypedDict

from django.core.paginator import Page, Paginator
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as gettext_now
from django.utils.translation import gettext_lazy as _

from organizations.models import AuditEntry, ImportJob, Invitation, Membership, Role, Team, User
from organizations.people.invitations import INVITATION_MAX_AGE

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


def _person_row(m: PersonWithInvitation) -> PersonRow:
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


def people_page(filters: PeopleFilters, page_number: Any = 1) -> tuple[Page, list[PersonRow]]:
    """One page of people matching the filters (2 queries: count and page)."""
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
    people = people.order_by("user__full_name", "user__email")
    page = Paginator(people, PEOPLE_PER_PAGE).get_page(page_number)
    return page, [_person_row(m) for m in page.object_list]


def _not_invited() -> QuerySet[Membership]:
    return (
        Membership.objects.filter(is_active=True, user__password__startswith="!")
        .annotate(has_pending_invitation=_pending_invitation())
        .filter(has_pending_invitation=False)
    )


def not_invited_count() -> int:
    """Active people with no password and no pending invitation (1 query)."""
    return _not_invited().count()


PENDING_JOINS_SHOWN = 10


@dataclass
class PendingJoin:
    email: str
    roles: list[str]
    sent_at: dt.datetime


def pending_joins() -> list[PendingJoin]:
    """Existing Pathwise accounts asked to join and not yet answered, newest first: at most
    ``PENDING_JOINS_SHOWN`` + 1 rows, so the page can say there are more (1 query)."""
    invitations = Invitation.objects.filter(
        membership__isnull=True, accepted_at__isnull=True, user__isnull=False
    ).order_by("-sent_at", "-id")[: PENDING_JOINS_SHOWN + 1]
    return [
        PendingJoin(
            i.email,
            [str(ROLE_LABELS[r]) for r in i.terms.get("roles", []) if r in ROLE_LABELS],
            i.sent_at,
        )
        for i in invitations
    ]


def not_invited_people() -> list[Membership]:
    return list(_not_invited().select_related("user").order_by("pk"))


@dataclass
class FilterChoices:
    teams: list[tuple[int, str]]
    functions: list[str]


def filter_choices() -> FilterChoices:
    """Teams and functions for the filter drop-downs (2 queries)."""
    return FilterChoices(
        teams=list(Team.objects.order_by("name").values_list("pk", "name")),
        functions=list(
            Membership.objects.exclude(function="")
            .order_by("function")
            .values_list("function", flat=True)
            .distinct()
        ),
    )


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
    """Every team in tree order (depth-first, by name) with its active member count (1 query)."""
    teams = list(
        Team.objects.select_related("manager__user")
        .annotate(n=Count("members", filter=Q(members__is_active=True)))
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
        _person_row(r)
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
    history = [
        _audit_row(e)
        for e in AuditEntry.objects.filter(object_type="Person", object_id=str(m.pk))
        .select_related("actor")
        .order_by("-created_at", "-id")[:PERSON_HISTORY]
    ]
    return PersonDetail(
        history=history,
        person=_person_row(m),
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


def _readable(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return gettext_now("yes") if value else gettext_now("no")
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def audit_diff(before: Any, after: Any) -> list[DiffLine]:
    """Field-by-field differences between two snapshots; unchanged fields are left out."""
    if not isinstance(before, dict) and not isinstance(after, dict):
        if before == after:
            return []
        return [DiffLine("value", _readable(before), _readable(after), "changed")]
    before = before if isinstance(before, dict) else {}
    after = after if isinstance(after, dict) else {}
    lines = []
    for key in sorted(set(before) | set(after)):
        b, a = before.get(key), after.get(key)
        if key in before and key in after and b == a:
            continue
        kind = "added" if key not in before else "removed" if key not in after else "changed"
        lines.append(DiffLine(key.replace("_", " "), _readable(b), _readable(a), kind))
    return lines


def audit_page(filters: AuditFilters, page_number: Any = 1) -> tuple[Page, list[AuditRow]]:
    """Newest first (2 queries: count and page)."""
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
    page = Paginator(entries.order_by("-created_at", "-id"), AUDIT_PER_PAGE).get_page(page_number)
    return page, [_audit_row(e) for e in page.object_list]


def _audit_row(e: AuditEntry) -> AuditRow:
    return AuditRow(
        id=e.pk,
        created_at=e.created_at,
        actor=(e.actor.full_name or e.actor.email) if e.actor else gettext_now("Pathwise (system)"),
        action=e.action,
        object_type=e.object_type,
        object_repr=e.object_repr,
        diff=audit_diff(e.before, e.after),
    )


@dataclass
class AuditChoices:
    actors: list[tuple[int, str]]
    object_types: list[str]
    actions: list[str]


def audit_choices() -> AuditChoices:
    """Values present in the log, for the filter drop-downs (3 queries)."""
    actor_ids = AuditEntry.objects.exclude(actor=None).values("actor_id").distinct()
    actors = [
        (u.pk, u.full_name or u.email)
        for u in User.objects.filter(pk__in=actor_ids).order_by("full_name", "email")
    ]
    return AuditChoices(
        actors=actors,
        object_types=list(
            AuditEntry.objects.order_by("object_type")
            .values_list("object_type", flat=True)
            .distinct()
        ),
        actions=list(
            AuditEntry.objects.order_by("action").values_list("action", flat=True).distinct()
        ),
    )
