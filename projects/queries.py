"""Reads for project pages, the learner's next step, coaches and the measurement roll-ups:
plain dataclasses, a fixed number of queries whatever the number of rows.

Who sees a project (ARCHITECTURE.md, confidentiality): its learners, its sponsor, the coaches
of its cohort and admins. Stakeholder ratings only as an aggregate once the organisation's
anonymity threshold of stakeholders answered; their comments (with the comment threshold) only
to the learners and the sponsor — never to a coach.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.paginator import Page
from django.db.models import Avg, Count, Exists, F, OuterRef, Q, QuerySet, Subquery
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from measurement.anonymity import comments_are_shown, stakeholder_aggregate_is_shown
from organizations.models import Membership
from organizations.raw_queries import (
    contains_param,
    contains_sql,
    counted_page,
    date_of,
    fetch_rows,
    tenant_id,
)
from organizations.tenancy import current_org
from projects.models import (
    BenefitClaim,
    Milestone,
    MilestoneDateChange,
    MilestoneTemplate,
    OutcomeResult,
    Project,
    ProjectDecision,
    ProjectLearner,
    ProjectTemplate,
    ProjectTemplateCompetency,
    RatingRequest,
    Stakeholder,
    StakeholderRating,
    StatusUpdate,
)


@dataclass
class MilestoneRow:
    title: str
    offset_weeks: int


@dataclass
class ProjectTemplateRow:
    id: int
    title: str
    brief: str
    scope: str
    scope_label: str
    sponsor_required: bool
    competencies: list[str] = field(default_factory=list)
    milestones: list[MilestoneRow] = field(default_factory=list)
    used_by_steps: int = 0

    @property
    def weeks(self) -> int:
        return max((m.offset_weeks for m in self.milestones), default=0)


def project_template_list() -> list[ProjectTemplateRow]:
    """Every project template with its competencies, milestones and pathway use (4 queries)."""
    from pathways.models import Step

    rows = {
        t.pk: ProjectTemplateRow(
            id=t.pk,
            title=t.title,
            brief=t.brief,
            scope=t.scope,
            scope_label=t.get_scope_display(),
            sponsor_required=t.sponsor_required,
        )
        for t in ProjectTemplate.objects.order_by("title")
    }
    for template_id, name in (
        ProjectTemplateCompetency.objects.filter(template_id__in=rows)
        .order_by("competency__position", "competency__name")
        .values_list("template_id", "competency__name")
    ):
        rows[template_id].competencies.append(name)
    for m in MilestoneTemplate.objects.filter(template_id__in=rows).order_by("offset_weeks", "id"):
        rows[m.template_id].milestones.append(MilestoneRow(m.title, m.offset_weeks))
    uses: dict[int, int] = defaultdict(int)
    for template_id, n in (
        Step.objects.filter(project_template_id__in=rows)
        .values("project_template_id")
        .annotate(n=Count("id"))
        .values_list("project_template_id", "n")
    ):
        uses[template_id] = n
    for pk, row in rows.items():
        row.used_by_steps = uses[pk]
    return list(rows.values())


TEMPLATE_EXPORT_HEADERS = [
    "Template",
    "Brief",
    "Scope",
    "Competencies practised",
    "Milestones",
    "Weeks",
    "Sponsor",
    "Used in steps",
]


def template_export_rows(rows: list[ProjectTemplateRow]) -> list[list[object]]:
    """The project template list as export rows, milestones named with their week (no
    queries)."""
    return [
        [
            t.title,
            t.brief,
            t.scope_label,
            ", ".join(t.competencies),
            "; ".join(f"{m.title} (week {m.offset_weeks})" for m in t.milestones),
            t.weeks,
            "Required" if t.sponsor_required else "Optional",
            t.used_by_steps,
        ]
        for t in rows
    ]


# --- Visibility ------------------------------------------------------------------------------

PROJECTS_PER_PAGE = 25
# A milestone not done within this many days of its date (and not late yet) is "due soon".
SOON_DAYS = 7


def _coached_cohorts(reader: Membership) -> QuerySet[Any]:
    from pathways.models import CohortCoach

    return CohortCoach.objects.filter(membership=reader).values("cohort_id")


def visible_projects(reader: Membership, role: str) -> QuerySet[Project]:
    """The projects ``reader`` sees acting as ``role`` (no query runs until evaluated). The
    lists write the same rule as SQL (``_visible_where``); the tests hold one to the other."""
    projects = Project.objects.all()
    if role == "admin" and reader.is_admin:
        return projects
    if role == "sponsor" and reader.is_sponsor:
        return projects.filter(sponsor=reader)
    if role == "coach" and reader.is_coach:
        return projects.filter(cohort_id__in=_coached_cohorts(reader))
    if role == "learner" and reader.is_learner:
        return projects.filter(
            pk__in=ProjectLearner.objects.filter(learner=reader).values("project_id")
        )
    # A sponsor need not hold the sponsor role to sponsor one project a colleague chose them for.
    if role == "sponsor":
        return projects.filter(sponsor=reader)
    return projects.none()


def any_role_filter(reader: Membership) -> Q:
    if reader.is_admin:
        return Q()
    q = Q(sponsor=reader) | Q(
        pk__in=ProjectLearner.objects.filter(learner=reader).values("project_id")
    )
    if reader.is_coach:
        q |= Q(cohort_id__in=_coached_cohorts(reader))
    return q


def get_project_for(reader: Membership, project_id: int) -> Project:
    """The project if ``reader`` may see it under any role they hold; else ``DoesNotExist``."""
    return Project.objects.select_related("owner__user", "sponsor__user").get(
        any_role_filter(reader), pk=project_id
    )


# --- The project page ------------------------------------------------------------------------


@dataclass(frozen=True)
class MoveView:
    old_date: dt.date
    new_date: dt.date
    reason: str
    at: dt.datetime


@dataclass
class MilestoneView:
    id: int
    title: str
    due_on: dt.date
    approved_on: dt.date | None
    done_on: dt.date | None
    evidence: str
    evidence_links: list[str]
    state: str  # planned | upcoming | due_soon | at_risk | late | done_on_time | done_late
    state_label: str
    ratings_requested: bool
    moves: list[MoveView] = field(default_factory=list)

    @property
    def is_open(self) -> bool:
        return self.done_on is None


def milestone_state(
    due_on: dt.date, approved_on: dt.date | None, done_on: dt.date | None, today: dt.date
) -> tuple[str, str]:
    """On time is judged against the approved date; moving a milestone past it puts it at risk."""
    if approved_on is None:
        return "planned", _("Planned")
    if done_on is not None:
        if done_on <= approved_on:
            return "done_on_time", _("Done on time")
        return "done_late", _("Done late")
    if today > approved_on:
        return "late", _("Late")
    if due_on > approved_on:
        return "at_risk", _("At risk: moved past the approved date")
    if (approved_on - today).days <= SOON_DAYS:
        return "due_soon", _("Due soon")
    return "upcoming", _("Upcoming")


@dataclass(frozen=True)
class UpdateView:
    on: dt.date
    rag: str
    rag_label: str
    progress: str
    tried: str
    blockers: str
    next_steps: str
    author: str


@dataclass(frozen=True)
class DecisionView:
    kind: str
    label: str
    actor: str
    comment: str
    at: dt.datetime


@dataclass(frozen=True)
class Occasion:
    label: str
    asked: int
    answered: int


@dataclass(frozen=True)
class Satisfaction:
    """Stakeholder ratings of a project as an aggregate (never one answer on its own)."""

    stakeholders_answered: int
    threshold: int
    shown: bool
    outcome_quality: float | None
    collaboration: float | None
    communication: float | None
    overall: float | None
    responses: int
    comments: list[str]
    comments_hidden_reason: str
    occasions: list[Occasion]


@dataclass(frozen=True)
class ClaimView:
    id: int
    measure: str
    annual_value: Decimal
    adjusted_value: Decimal | None
    roi_value: Decimal
    is_revenue: bool
    basis: str
    isolation_pct: Decimal
    confidence_pct: Decimal
    benefit: Decimal  # roi_value x isolation x confidence, first year
    status: str
    status_label: str
    decision_comment: str
    excluded_reason: str


@dataclass(frozen=True)
class OutcomeView:
    expected: str
    achieved: str


@dataclass
class ProjectPage:
    id: int
    title: str
    problem: str
    status: str
    status_label: str
    scope_label: str
    scope_reason: str
    template_scope_label: str
    expected_outcomes: list[str]
    functions: list[str]
    start_date: dt.date
    end_date: dt.date
    owner_id: int
    owner: str
    learners: list[str]
    sponsor_id: int | None
    sponsor: str
    sponsor_required: bool
    sponsor_rating: int | None
    sponsor_assessment: str
    stakeholders: list[tuple[str, str]]
    milestones: list[MilestoneView]
    updates: list[UpdateView]
    decisions: list[DecisionView]
    satisfaction: Satisfaction
    outcomes: list[OutcomeView]
    claims: list[ClaimView]
    # What the reader may do here.
    is_learner: bool
    is_owner: bool
    is_sponsor: bool
    is_admin: bool
    sent_back_comment: str = ""
    more_asked_comment: str = ""

    @property
    def can_edit_charter(self) -> bool:
        return self.is_owner and self.status in (Project.Status.DRAFT, Project.Status.SENT_BACK)

    @property
    def is_running(self) -> bool:
        return self.status == Project.Status.RUNNING

    @property
    def on_time(self) -> int:
        return sum(m.state == "done_on_time" for m in self.milestones)

    @property
    def late(self) -> int:
        return sum(m.state in ("late", "done_late") for m in self.milestones)

    @property
    def pending_claims(self) -> int:
        return sum(c.status == BenefitClaim.Status.PENDING for c in self.claims)


def _links(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def satisfaction_for(project_id: int, *, with_comments: bool) -> Satisfaction:
    """The aggregate of one project's stakeholder ratings (3 queries)."""
    org = current_org()
    assert org is not None
    ratings = StakeholderRating.objects.filter(project_id=project_id)
    agg = ratings.aggregate(
        n=Count("id"),
        people=Count("request__stakeholder_id", distinct=True),
        oq=Avg("outcome_quality"),
        col=Avg("collaboration"),
        com=Avg("communication"),
    )
    people = agg["people"] or 0
    shown = stakeholder_aggregate_is_shown(org, people)
    comments: list[str] = []
    hidden_reason = ""
    if with_comments and shown:
        if comments_are_shown(org, "other", people):
            comments = list(ratings.exclude(comment="").values_list("comment", flat=True))
            random.shuffle(comments)  # no order that hints at who wrote what
        else:
            hidden_reason = _(
                "Comments are shown once at least %(n)s stakeholders have answered."
            ) % {"n": org.comment_threshold}
    occasions: dict[object, list[int]] = {}
    labels: dict[object, str] = {}
    for milestone_id, title, answered in RatingRequest.objects.filter(
        project_id=project_id
    ).values_list("milestone_id", "milestone__title", "answered_at"):
        counts = occasions.setdefault(milestone_id, [0, 0])
        counts[0] += 1
        counts[1] += answered is not None
        labels[milestone_id] = title or _("End of the project")

    def mean(value: float | None) -> float | None:
        return round(value, 1) if shown and value is not None else None

    overall = None
    if shown and agg["oq"] is not None:
        overall = round((agg["oq"] + agg["col"] + agg["com"]) / 3, 1)
    return Satisfaction(
        stakeholders_answered=people,
        threshold=org.anonymity_threshold,
        shown=shown,
        outcome_quality=mean(agg["oq"]),
        collaboration=mean(agg["col"]),
        communication=mean(agg["com"]),
        overall=overall,
        responses=(agg["n"] or 0) if shown else 0,
        comments=comments,
        comments_hidden_reason=hidden_reason,
        occasions=[Occasion(labels[k], v[0], v[1]) for k, v in occasions.items()],
    )


def _claim_view(c: BenefitClaim) -> ClaimView:
    roi_value = Decimal(str(c.roi_value))
    benefit = (roi_value * c.isolation_pct * c.confidence_pct / Decimal(10000)).quantize(
        Decimal("0.01")
    )
    return ClaimView(
        id=c.pk,
        measure=c.measure,
        annual_value=c.annual_value,
        adjusted_value=c.adjusted_value,
        roi_value=roi_value,
        is_revenue=c.is_revenue,
        basis=c.basis,
        isolation_pct=c.isolation_pct,
        confidence_pct=c.confidence_pct,
        benefit=benefit,
        status=c.status,
        status_label=c.get_status_display(),
        decision_comment=c.decision_comment,
        excluded_reason=c.excluded_reason,
    )


def project_page(reader: Membership, project_id: int, today: dt.date | None = None) -> ProjectPage:
    """Everything the project page shows to ``reader`` (a fixed number of queries). Raises
    ``Project.DoesNotExist`` when the reader may not see the project."""
    today = today or timezone.localdate()
    project = get_project_for(reader, project_id)
    places = list(
        ProjectLearner.objects.filter(project=project)
        .select_related("learner__user")
        .order_by("id")
    )
    is_learner = any(p.learner_id == reader.pk for p in places)
    is_sponsor = project.sponsor_id == reader.pk
    moves: dict[int, list[MoveView]] = defaultdict(list)
    for move in MilestoneDateChange.objects.filter(milestone__project=project).order_by(
        "created_at", "id"
    ):
        moves[move.milestone_id].append(
            MoveView(move.old_date, move.new_date, move.reason, move.created_at)
        )
    milestones = []
    for m in Milestone.objects.filter(project=project).order_by("due_on", "position", "id"):
        state, label = milestone_state(m.due_on, m.approved_on, m.done_on, today)
        milestones.append(
            MilestoneView(
                id=m.pk,
                title=m.title,
                due_on=m.due_on,
                approved_on=m.approved_on,
                done_on=m.done_on,
                evidence=m.evidence,
                evidence_links=_links(m.evidence_links),
                state=state,
                state_label=label,
                ratings_requested=m.ratings_requested_at is not None,
                moves=moves[m.pk],
            )
        )
    decisions = [
        DecisionView(
            d.kind,
            d.get_kind_display(),
            d.actor.user.display_name if d.actor else "",
            d.comment,
            d.created_at,
        )
        for d in ProjectDecision.objects.filter(project=project)
        .select_related("actor__user")
        .order_by("created_at", "id")
    ]

    def latest(kind: str) -> str:
        return next((d.comment for d in reversed(decisions) if d.kind == kind), "")

    template_scope: object = ""
    if project.template_id is not None:
        template_scope = ProjectTemplate.Scope(
            ProjectTemplate.objects.values_list("scope", flat=True).get(pk=project.template_id)
        ).label
    return ProjectPage(
        id=project.pk,
        title=project.title,
        problem=project.problem,
        status=project.status,
        status_label=project.get_status_display(),
        scope_label=project.get_scope_display(),
        scope_reason=project.scope_reason,
        template_scope_label=str(template_scope),
        expected_outcomes=project.outcome_lines,
        functions=list(project.functions),
        start_date=project.start_date,
        end_date=project.end_date,
        owner_id=project.owner_id,
        owner=project.owner.user.display_name,
        learners=[p.learner.user.display_name for p in places],
        sponsor_id=project.sponsor_id,
        sponsor=project.sponsor.user.display_name if project.sponsor else "",
        sponsor_required=project.sponsor_required,
        sponsor_rating=project.sponsor_rating,
        sponsor_assessment=project.sponsor_assessment,
        stakeholders=[
            (s.name, s.email) for s in Stakeholder.objects.filter(project=project).order_by("name")
        ],
        milestones=milestones,
        updates=[
            UpdateView(
                u.on,
                u.rag,
                u.get_rag_display(),
                u.progress,
                u.tried,
                u.blockers,
                u.next_steps,
                u.author.user.display_name if u.author else "",
            )
            for u in StatusUpdate.objects.filter(project=project)
            .select_related("author__user")
            .order_by("-on", "-id")
        ],
        decisions=decisions,
        satisfaction=satisfaction_for(project.pk, with_comments=is_learner or is_sponsor),
        outcomes=[
            OutcomeView(o.expected, o.achieved)
            for o in OutcomeResult.objects.filter(project=project).order_by("position")
        ],
        claims=[_claim_view(c) for c in BenefitClaim.objects.filter(project=project)],
        is_learner=is_learner,
        is_owner=project.owner_id == reader.pk,
        is_sponsor=is_sponsor,
        is_admin=reader.is_admin,
        sent_back_comment=latest(ProjectDecision.Kind.SENT_BACK)
        if project.status == Project.Status.SENT_BACK
        else "",
        more_asked_comment=latest(ProjectDecision.Kind.MORE_ASKED)
        if project.status == Project.Status.RUNNING
        else "",
    )


def project_for_step(learner: Membership, step_key: Any) -> int | None:
    """The id of the learner's project for a pathway step (by the step's key), if any."""
    return (
        ProjectLearner.objects.filter(learner=learner, project__step_key=step_key)
        .values_list("project_id", flat=True)
        .first()
    )


# --- Lists (learner, sponsor, coach, admin per cohort) ---------------------------------------


@dataclass
class ProjectRow:
    id: int
    title: str
    status: str
    status_label: str
    cohort: str
    learners: list[str]
    sponsor: str
    start_date: dt.date
    end_date: dt.date
    milestones: int
    on_time: int
    late: int
    at_risk: int
    due_soon: int
    latest_rag: str
    latest_rag_label: str
    latest_update_on: dt.date | None
    satisfaction: float | None
    satisfaction_n: int
    claims: int = 0
    claims_confirmed: int = 0
    claims_pending: int = 0
    confirmed_value: Decimal = Decimal(0)


@dataclass(frozen=True)
class ProjectFilters:
    cohort_id: int | None = None
    status: str = ""
    sponsor_id: int | None = None
    late_only: bool = False
    search: str = ""


def _annotated(projects: QuerySet[Project], today: dt.date) -> QuerySet[Project]:
    approved = Q(milestones__approved_on__isnull=False)
    open_ = Q(milestones__done_on__isnull=True)
    latest = StatusUpdate.objects.filter(project=OuterRef("pk")).order_by("-on", "-id")
    return projects.select_related("owner__user", "sponsor__user", "cohort").annotate(
        n_milestones=Count("milestones", distinct=True),
        n_on_time=Count(
            "milestones",
            filter=approved & Q(milestones__done_on__lte=F("milestones__approved_on")),
            distinct=True,
        ),
        n_late=Count(
            "milestones",
            filter=approved
            & (
                Q(milestones__done_on__gt=F("milestones__approved_on"))
                | (open_ & Q(milestones__approved_on__lt=today))
            ),
            distinct=True,
        ),
        n_at_risk=Count(
            "milestones",
            filter=approved
            & open_
            & Q(milestones__approved_on__gte=today)
            & Q(milestones__due_on__gt=F("milestones__approved_on")),
            distinct=True,
        ),
        n_due_soon=Count(
            "milestones",
            filter=approved
            & open_
            & Q(milestones__due_on__gte=today)
            & Q(milestones__due_on__lte=today + dt.timedelta(days=SOON_DAYS)),
            distinct=True,
        ),
        latest_rag=Subquery(latest.values("rag")[:1]),
        latest_on=Subquery(latest.values("on")[:1]),
    )


def _filtered(
    projects: QuerySet[Project], filters: ProjectFilters, today: dt.date
) -> QuerySet[Project]:
    if filters.cohort_id is not None:
        projects = projects.filter(cohort_id=filters.cohort_id)
    if filters.status:
        projects = projects.filter(status=filters.status)
    if filters.sponsor_id is not None:
        projects = projects.filter(sponsor_id=filters.sponsor_id)
    if filters.search:
        projects = projects.filter(title__icontains=filters.search)
    if filters.late_only:
        # A semi-join, not a join and DISTINCT: the list pages on the projects alone.
        late = Milestone.objects.filter(
            Q(project_id=OuterRef("pk"), approved_on__isnull=False)
            & (Q(done_on__gt=F("approved_on")) | Q(done_on__isnull=True, approved_on__lt=today))
        )
        projects = projects.filter(Exists(late))
    return projects


# Waiting for the reader comes first on every list: charters to approve, projects to sign off.
_STATUS_ORDER = [
    Project.Status.SUBMITTED,
    Project.Status.CLOSING,
    Project.Status.SENT_BACK,
    Project.Status.RUNNING,
    Project.Status.DRAFT,
    Project.Status.SIGNED_OFF,
    Project.Status.CLOSED,
]


def _rows(projects: list[Project]) -> list[ProjectRow]:
    """Rows for already-annotated projects (3 more queries: learners, ratings, claims)."""
    org = current_org()
    assert org is not None
    ids = [p.pk for p in projects]
    names: dict[int, list[str]] = defaultdict(list)
    for project_id, full_name, email in (
        ProjectLearner.objects.filter(project_id__in=ids)
        .order_by("id")
        .values_list("project_id", "learner__user__full_name", "learner__user__email")
    ):
        names[project_id].append(full_name or email.split("@")[0])
    ratings = {
        r["project_id"]: r
        for r in StakeholderRating.objects.filter(project_id__in=ids)
        .values("project_id")
        .annotate(
            people=Count("request__stakeholder_id", distinct=True),
            oq=Avg("outcome_quality"),
            col=Avg("collaboration"),
            com=Avg("communication"),
        )
    }
    claims: dict[int, list[BenefitClaim]] = defaultdict(list)
    for claim in BenefitClaim.objects.filter(project_id__in=ids):
        claims[claim.project_id].append(claim)
    rows = []
    for p in projects:
        r = ratings.get(p.pk)
        people = r["people"] if r else 0
        shown = stakeholder_aggregate_is_shown(org, people)
        mine = claims[p.pk]
        confirmed = [c for c in mine if c.status == BenefitClaim.Status.CONFIRMED]
        rows.append(
            ProjectRow(
                id=p.pk,
                title=p.title,
                status=p.status,
                status_label=p.get_status_display(),
                cohort=p.cohort.name if p.cohort else "",
                learners=names[p.pk],
                sponsor=p.sponsor.user.display_name if p.sponsor else "",
                start_date=p.start_date,
                end_date=p.end_date,
                milestones=p.n_milestones,  # type: ignore[attr-defined]
                on_time=p.n_on_time,  # type: ignore[attr-defined]
                late=p.n_late,  # type: ignore[attr-defined]
                at_risk=p.n_at_risk,  # type: ignore[attr-defined]
                due_soon=p.n_due_soon,  # type: ignore[attr-defined]
                latest_rag=p.latest_rag or "",  # type: ignore[attr-defined]
                latest_rag_label=str(
                    StatusUpdate.Rag(p.latest_rag).label if p.latest_rag else ""  # type: ignore[attr-defined]
                ),
                latest_update_on=p.latest_on,  # type: ignore[attr-defined]
                satisfaction=(
                    round((r["oq"] + r["col"] + r["com"]) / 3, 1) if r and shown else None
                ),
                satisfaction_n=people,
                claims=len(mine),
                claims_confirmed=len(confirmed),
                claims_pending=sum(c.status == BenefitClaim.Status.PENDING for c in mine),
                confirmed_value=sum(
                    (Decimal(str(c.roi_value)) for c in confirmed), start=Decimal(0)
                ),
            )
        )
    return rows


def _ordered(projects: QuerySet[Project]) -> QuerySet[Project]:
    from django.db.models import Case, IntegerField, Value, When

    rank = Case(
        *[When(status=s, then=Value(i)) for i, s in enumerate(_STATUS_ORDER)],
        output_field=IntegerField(),
    )
    return projects.annotate(status_rank=rank).order_by("status_rank", "end_date", "id")


@dataclass
class ProjectListPage:
    page: Page
    rows: list[ProjectRow]
    total: int
    waiting: int  # charters and sign-offs waiting for a sponsor (sponsor's list)


# The lists of projects (every role's, the admin's per cohort), read on every visit: written
# once as SQL, no queryset to compile. The list's length and how many wait for a sponsor (also
# on a page past the end), then one page of projects ("waiting for the reader" first, as
# ``_STATUS_ORDER``) with their cohort and sponsor, their milestone figures, latest status
# update, stakeholder ratings and claims worked out for the page's projects only, and one row
# per learner (in the order they joined). ``{where}`` is the reader's projects and the filters.
_STATUS_RANK = " ".join(f"WHEN '{s}' THEN {i}" for i, s in enumerate(_STATUS_ORDER))
_PROJECT_LIST_SQL = f"""
WITH page AS (
    SELECT p.id, p.title, p.status, p.start_date, p.end_date, p.cohort_id, p.sponsor_id,
        CASE p.status {_STATUS_RANK} END AS status_rank
    FROM projects_project p
    WHERE p.organization_id = %s{{where}}
    ORDER BY status_rank, p.end_date, p.id
    LIMIT %s OFFSET %s
)
SELECT p.id, p.title, p.status, p.start_date, p.end_date, pco.name, psu.full_name, psu.email,
    ms.n, ms.on_time, ms.late, ms.at_risk, ms.due_soon, lu.rag, lu."on",
    ra.people, ra.oq, ra.col, ra.com, cl.n, cl.confirmed, cl.pending, cl.confirmed_value,
    lru.full_name, lru.email, t.n, t.waiting
FROM (
    SELECT COUNT(*) AS n,
        SUM(CASE WHEN p.status IN ('submitted', 'closing') THEN 1 ELSE 0 END) AS waiting
    FROM projects_project p
    WHERE p.organization_id = %s{{where}}
) t
LEFT JOIN page p ON 1 = 1
LEFT JOIN pathways_cohort pco ON pco.id = p.cohort_id
LEFT JOIN organizations_membership psm ON psm.id = p.sponsor_id
LEFT JOIN organizations_user psu ON psu.id = psm.user_id
LEFT JOIN (
    SELECT m.project_id, COUNT(*) AS n,
        SUM(CASE WHEN m.done_on <= m.approved_on THEN 1 ELSE 0 END) AS on_time,
        SUM(CASE WHEN m.done_on > m.approved_on
            OR (m.done_on IS NULL AND m.approved_on < %s) THEN 1 ELSE 0 END) AS late,
        SUM(CASE WHEN m.done_on IS NULL AND m.approved_on >= %s AND m.due_on > m.approved_on
            THEN 1 ELSE 0 END) AS at_risk,
        SUM(CASE WHEN m.approved_on IS NOT NULL AND m.done_on IS NULL AND m.due_on >= %s
            AND m.due_on <= %s THEN 1 ELSE 0 END) AS due_soon
    FROM projects_milestone m
    WHERE m.organization_id = %s AND m.project_id IN (SELECT id FROM page)
    GROUP BY m.project_id
) ms ON ms.project_id = p.id
LEFT JOIN (
    SELECT u.project_id, u.rag, u."on",
        ROW_NUMBER() OVER (PARTITION BY u.project_id ORDER BY u."on" DESC, u.id DESC) AS k
    FROM projects_statusupdate u
    WHERE u.organization_id = %s AND u.project_id IN (SELECT id FROM page)
) lu ON lu.project_id = p.id AND lu.k = 1
LEFT JOIN (
    SELECT r.project_id, COUNT(DISTINCT rq.stakeholder_id) AS people,
        AVG(r.outcome_quality) AS oq, AVG(r.collaboration) AS col, AVG(r.communication) AS com
    FROM projects_stakeholderrating r
    JOIN projects_ratingrequest rq ON rq.id = r.request_id
    WHERE r.organization_id = %s AND r.project_id IN (SELECT id FROM page)
    GROUP BY r.project_id
) ra ON ra.project_id = p.id
LEFT JOIN (
    SELECT c.project_id, COUNT(*) AS n,
        SUM(CASE WHEN c.status = 'confirmed' THEN 1 ELSE 0 END) AS confirmed,
        SUM(CASE WHEN c.status = 'pending' THEN 1 ELSE 0 END) AS pending,
        SUM(CASE WHEN c.status <> 'confirmed' THEN 0
            WHEN c.adjusted_value < c.annual_value THEN c.adjusted_value
            ELSE c.annual_value END) AS confirmed_value
    FROM projects_benefitclaim c
    WHERE c.organization_id = %s AND c.project_id IN (SELECT id FROM page)
    GROUP BY c.project_id
) cl ON cl.project_id = p.id
LEFT JOIN projects_projectlearner pl ON pl.organization_id = %s AND pl.project_id = p.id
LEFT JOIN organizations_membership lrm ON lrm.id = pl.learner_id
LEFT JOIN organizations_user lru ON lru.id = lrm.user_id
ORDER BY p.status_rank, p.end_date, p.id, pl.id
"""  # noqa: S608 - fixed text
# Late: an approved milestone done after its approved date, or open past it.
_LATE_SQL = """
    AND EXISTS (SELECT 1 FROM projects_milestone lm
        WHERE lm.organization_id = p.organization_id AND lm.project_id = p.id
            AND lm.approved_on IS NOT NULL
            AND (lm.done_on > lm.approved_on OR (lm.done_on IS NULL AND lm.approved_on < %s)))"""


def _visible_where(reader: Membership, role: str) -> tuple[str, list[Any]]:
    """``visible_projects`` as SQL on ``projects_project p``: the condition and its parameters."""
    org = tenant_id()
    if role == "admin" and reader.is_admin:
        return "", []
    if role == "sponsor":
        # Also a member without the sponsor role whom a colleague chose for one project.
        return " AND p.sponsor_id = %s", [reader.pk]
    if role == "coach" and reader.is_coach:
        return (
            " AND p.cohort_id IN (SELECT vc.cohort_id FROM pathways_cohortcoach vc"
            " WHERE vc.organization_id = %s AND vc.membership_id = %s)",
            [org, reader.pk],
        )
    if role == "learner" and reader.is_learner:
        return (
            " AND p.id IN (SELECT vl.project_id FROM projects_projectlearner vl"
            " WHERE vl.organization_id = %s AND vl.learner_id = %s)",
            [org, reader.pk],
        )
    return " AND 1 = 0", []


def _list_where(
    reader: Membership, role: str, filters: ProjectFilters, today: dt.date
) -> tuple[str, list[Any]]:
    """The reader's projects (``_visible_where``) and ``filters`` (as ``_filtered``) as SQL."""
    where, params = _visible_where(reader, role)
    if filters.cohort_id is not None:
        where, params = f"{where} AND p.cohort_id = %s", [*params, filters.cohort_id]
    if filters.status:
        where, params = f"{where} AND p.status = %s", [*params, filters.status]
    if filters.sponsor_id is not None:
        where, params = f"{where} AND p.sponsor_id = %s", [*params, filters.sponsor_id]
    if filters.search:
        where = f"{where} AND {contains_sql('p.title')}"
        params = [*params, contains_param(filters.search)]
    if filters.late_only:
        where, params = f"{where}{_LATE_SQL}", [*params, today]
    return where, params


_STATUS_LABELS = dict(Project.Status.choices)
_RAG_LABELS = dict(StatusUpdate.Rag.choices)


def _list_rows(rows: Sequence[tuple[Any, ...]]) -> list[ProjectRow]:
    """The ``ProjectRow`` of ``_PROJECT_LIST_SQL``'s rows (one per learner; no query)."""
    org = current_org()
    assert org is not None
    projects: dict[int, tuple[tuple[Any, ...], list[str]]] = {}
    for row in rows:
        _first, names = projects.setdefault(row[0], (row, []))
        if row[24] is not None:
            names.append(row[23] or row[24].split("@")[0])
    result = []
    for (
        pk, title, status, start_date, end_date, cohort, sponsor_name, sponsor_email,
        n, on_time, late, at_risk, due_soon, rag, rag_on,
        people, oq, col, com, claims, confirmed, pending, confirmed_value, *_rest,
    ), names in projects.values():  # fmt: skip
        people = people or 0
        shown = people and stakeholder_aggregate_is_shown(org, people)
        result.append(
            ProjectRow(
                id=pk,
                title=title,
                status=status,
                status_label=str(_STATUS_LABELS.get(status, status)),
                cohort=cohort or "",
                learners=names,
                sponsor=(sponsor_name or sponsor_email.split("@")[0]) if sponsor_email else "",
                start_date=date_of(start_date),  # type: ignore[arg-type]
                end_date=date_of(end_date),  # type: ignore[arg-type]
                milestones=n or 0,
                on_time=on_time or 0,
                late=late or 0,
                at_risk=at_risk or 0,
                due_soon=due_soon or 0,
                latest_rag=rag or "",
                latest_rag_label=str(_RAG_LABELS.get(rag, "")) if rag else "",
                latest_update_on=date_of(rag_on),
                satisfaction=(
                    round((float(oq) + float(col) + float(com)) / 3, 1) if shown else None
                ),
                satisfaction_n=people,
                claims=claims or 0,
                claims_confirmed=confirmed or 0,
                claims_pending=pending or 0,
                confirmed_value=Decimal(str(confirmed_value or 0)),
            )
        )
    return result


def project_list(
    reader: Membership,
    role: str,
    filters: ProjectFilters = ProjectFilters(),
    page_number: int | str | None = 1,
    today: dt.date | None = None,
) -> ProjectListPage:
    """One page of the projects ``reader`` sees as ``role``: one query, the page's rows with
    the list's length and the projects waiting for a sponsor (one more only for a page number
    the paginator corrects). Counted and paged on the projects alone; the milestone figures,
    latest status, ratings and claims are worked out for the page's projects only."""
    today = today or timezone.localdate()
    org = tenant_id()
    where, where_params = _list_where(reader, role, filters, today)
    sql = _PROJECT_LIST_SQL.format(where=where)
    soon = today + dt.timedelta(days=SOON_DAYS)
    counts: list[int] = []

    def read(offset: int, limit: int) -> tuple[list[ProjectRow], int]:
        rows = fetch_rows(
            sql,
            [
                org, *where_params, limit, offset,
                org, *where_params,
                today, today, today, soon, org,
                org, org, org, org,
            ],
        )  # fmt: skip
        counts[:] = [rows[0][25], rows[0][26] or 0]
        # One row without a project when the page is empty: the counts alone.
        return _list_rows([r for r in rows if r[0] is not None]), rows[0][25]

    page = counted_page(read, page_number, PROJECTS_PER_PAGE)
    total, waiting = counts
    rows: list[ProjectRow] = list(page.object_list)
    return ProjectListPage(
        page=page, rows=rows, total=total, waiting=waiting if role == "sponsor" else 0
    )


_COHORT_CHOICES_SQL = """
SELECT co.id, co.name, n.n
FROM (
    SELECT p.cohort_id, COUNT(*) AS n FROM projects_project p
    WHERE p.organization_id = %s AND p.cohort_id IS NOT NULL
    GROUP BY p.cohort_id
) n
JOIN pathways_cohort co ON co.id = n.cohort_id
ORDER BY co.start_date DESC, co.id
"""


def cohort_choices() -> list[tuple[int, str, int]]:
    """Cohorts with at least one project: (id, name, projects), newest first (1 query, along
    ``project_cohort``)."""
    return [(pk, name, n) for pk, name, n in fetch_rows(_COHORT_CHOICES_SQL, [tenant_id()])]


def cohort_project_rows(filters: ProjectFilters, today: dt.date | None = None) -> list[ProjectRow]:
    """Every project of a cohort (admin export): 4 queries whatever the rows."""
    today = today or timezone.localdate()
    projects = _filtered(Project.objects.all(), filters, today)
    return _rows(list(_ordered(_annotated(projects, today))))


EXPORT_HEADERS = [
    "Project",
    "Status",
    "Learners",
    "Sponsor",
    "Start",
    "End",
    "Milestones",
    "On time",
    "Late",
    "At risk",
    "Latest status",
    "Latest update",
    "Stakeholder satisfaction (1-5)",
    "Stakeholders answered",
    "Claims",
    "Claims confirmed",
    "Claims pending",
    "Confirmed annual value",
]


def export_rows(rows: list[ProjectRow]) -> list[list[object]]:
    return [
        [
            r.title,
            r.status_label,
            "; ".join(r.learners),
            r.sponsor,
            r.start_date,
            r.end_date,
            r.milestones,
            r.on_time,
            r.late,
            r.at_risk,
            r.latest_rag_label,
            r.latest_update_on,
            r.satisfaction if r.satisfaction is not None else "hidden (below threshold)",
            r.satisfaction_n,
            r.claims,
            r.claims_confirmed,
            r.claims_pending,
            r.confirmed_value,
        ]
        for r in rows
    ]


# --- The learner's next step and the coach ---------------------------------------------------


# The learner home's project facts, read on every visit: written once as SQL, no queryset to
# compile. The learner's open projects (their own drafts and charters sent back, and running
# ones), each with its first open milestone when it runs (by due date, position, id); the base
# table filtered on the organisation.
_NEXT_ACTIONS_SQL = """
SELECT p.id, p.status, p.owner_id, p.title, p.start_date, p.end_date,
    m.title, m.due_on, m.approved_on
FROM projects_project p
LEFT JOIN projects_milestone m ON p.status = %s AND m.id = (
    SELECT o.id FROM projects_milestone o
    WHERE o.project_id = p.id AND o.done_on IS NULL
    ORDER BY o.due_on, o.position, o.id
    LIMIT 1
)
WHERE p.organization_id = %s
    AND p.id IN (SELECT l.project_id FROM projects_projectlearner l WHERE l.learner_id = %s)
    AND p.status IN (%s, %s, %s)
ORDER BY p.id
"""


def next_actions_statement(membership: Membership, today: dt.date) -> tuple[str, list[Any]] | None:
    """The learner home's read of the member's projects (``next_actions_from`` words it), sent
    with the home's other reads; None for a member who is not a learner."""
    if membership is None or not membership.is_learner:
        return None
    running, draft, sent_back = (
        Project.Status.RUNNING,
        Project.Status.DRAFT,
        Project.Status.SENT_BACK,
    )
    return _NEXT_ACTIONS_SQL, [running, tenant_id(), membership.pk, draft, sent_back, running]


def next_actions_for(membership: Membership, org_slug: str, today: dt.date) -> list[Any]:
    """Project actions for the learner's home: finish or fix a charter, a milestone due or
    late, a closing report due (1 query)."""
    from pathways.learning.next_actions import Read

    return Read(next_actions_statement, next_actions_from).alone(membership, org_slug, today)


def next_actions_from(
    rows: list[tuple[Any, ...]], membership: Membership, org_slug: str, today: dt.date
) -> list[Any]:
    """The actions of ``next_actions_statement``'s rows (no query)."""
    from pathways.learning.next_actions import NextAction

    running, draft, sent_back = (
        Project.Status.RUNNING,
        Project.Status.DRAFT,
        Project.Status.SENT_BACK,
    )
    soon = today + dt.timedelta(days=SOON_DAYS)
    actions = []
    for pk, status, owner_id, title, start_date, end_date, m_title, m_due, m_approved in rows:
        url = reverse("project_detail", args=[org_slug, pk])
        if status == sent_back and owner_id == membership.pk:
            actions.append(
                NextAction(
                    "project_charter",
                    _("Fix your project charter: %(title)s") % {"title": title},
                    _("Your sponsor sent it back with a comment."),
                    url,
                    today,
                )
            )
        elif status == draft and owner_id == membership.pk:
            actions.append(
                NextAction(
                    "project_charter",
                    _("Finish and submit your project charter: %(title)s") % {"title": title},
                    _("The project starts when your sponsor approves it."),
                    url,
                    date_of(start_date),
                )
            )
        elif status == running:
            due_on, approved_on, end_on = date_of(m_due), date_of(m_approved), date_of(end_date)
            late = approved_on is not None and approved_on < today
            if due_on is not None and (late or due_on <= soon):
                actions.append(
                    NextAction(
                        "milestone",
                        _("Milestone: %(milestone)s") % {"milestone": m_title},
                        (
                            _("Late: it was due %(date)s. Mark it done or move it with a reason.")
                            % {"date": approved_on}
                            if late
                            else _("Due in %(title)s.") % {"title": title}
                        ),
                        url,
                        approved_on if late else due_on,
                    )
                )
            elif due_on is None or end_on is None or end_on <= soon:
                actions.append(
                    NextAction(
                        "project_close",
                        _("Write the closing report: %(title)s") % {"title": title},
                        _("Record what was achieved and any business benefit."),
                        url + "close/",
                        end_on,
                    )
                )
    return actions


def late_milestones_by_learner(learner_ids: Sequence[int]) -> dict[int, int]:
    """Learner (Membership id) -> open milestones past their approved date in running projects
    (1 query). Learners with none are left out."""
    if not learner_ids:
        return {}
    today = timezone.localdate()
    rows = (
        ProjectLearner.objects.filter(
            learner_id__in=list(learner_ids),
            project__status=Project.Status.RUNNING,
            project__milestones__done_on__isnull=True,
            project__milestones__approved_on__lt=today,
        )
        .values("learner_id")
        .annotate(n=Count("project__milestones", distinct=True))
    )
    return {r["learner_id"]: r["n"] for r in rows if r["n"]}


def learners_with_late_milestones() -> QuerySet[ProjectLearner]:
    """Learners' places in running projects with an open milestone past its approved date:
    what ``late_milestones_by_learner`` counts, as a subquery for another read (no query)."""
    return ProjectLearner.objects.filter(
        project__status=Project.Status.RUNNING,
        project__milestones__done_on__isnull=True,
        project__milestones__approved_on__lt=timezone.localdate(),
    )


# --- The contract coaching reads: a coachee's projects a session or experiment links -------


def projects_of_learners(learner_ids: Sequence[int]) -> dict[int, list[tuple[int, str]]]:
    """Learner (Membership id) -> the projects they work on as ``(id, title)``, by title: what
    a coach may link a session or experiment to (1 query). Learners with none are left out."""
    found: dict[int, list[tuple[int, str]]] = defaultdict(list)
    if not learner_ids:
        return {}
    for learner_id, project_id, title in (
        ProjectLearner.objects.filter(learner_id__in=list(learner_ids))
        .order_by("project__title", "project_id")
        .values_list("learner_id", "project_id", "project__title")
    ):
        found[learner_id].append((project_id, title))
    return dict(found)


def learner_works_on(learner_id: int, project_id: int) -> bool:
    """Whether the learner works on the project, in the current organisation (another
    organisation's project is not even found: the tenant filter hides it)."""
    return ProjectLearner.objects.filter(project_id=project_id, learner_id=learner_id).exists()


@dataclass(frozen=True)
class ProjectLink:
    id: int
    title: str
    can_open: bool  # the reader may open the project's page


def project_links(reader: Membership, project_ids: Sequence[int]) -> dict[int, ProjectLink]:
    """Project id -> its title and whether ``reader`` may open its page (1 query)."""
    if not project_ids:
        return {}
    visible = Project.objects.filter(any_role_filter(reader), pk=OuterRef("pk"))
    return {
        pk: ProjectLink(pk, title, can_open)
        for pk, title, can_open in Project.objects.filter(pk__in=list(project_ids))
        .annotate(can_open=Exists(visible))
        .values_list("pk", "title", "can_open")
    }


# --- Contracts read by the impact roll-ups (notes/contracts.md) ------------------------------


@dataclass(frozen=True)
class BenefitClaimFact:
    claim_id: int
    project_id: int
    project_title: str
    cohort_id: int | None
    learner_ids: tuple[int, ...]
    measure: str
    annual_value: Decimal
    is_revenue: bool
    isolation_pct: float
    confidence_pct: float
    status: str
    excluded_reason: str
    basis: str
    decided_on: dt.date | None


def benefit_claims_for_cohorts(cohort_ids: Sequence[int]) -> list[BenefitClaimFact]:
    """Every benefit claim of the cohorts' projects (2 queries). ``annual_value`` is what goes
    on to ROI: the lower of the claimed and the sponsor's adjusted value."""
    claims = list(
        BenefitClaim.objects.filter(project__cohort_id__in=list(cohort_ids))
        .select_related("project")
        .order_by("project_id", "id")
    )
    learners: dict[int, list[int]] = defaultdict(list)
    for project_id, learner_id in (
        ProjectLearner.objects.filter(project_id__in={c.project_id for c in claims})
        .order_by("learner_id")
        .values_list("project_id", "learner_id")
    ):
        learners[project_id].append(learner_id)
    return [
        BenefitClaimFact(
            claim_id=c.pk,
            project_id=c.project_id,
            project_title=c.project.title,
            cohort_id=c.project.cohort_id,
            learner_ids=tuple(learners[c.project_id]),
            measure=c.measure,
            annual_value=Decimal(str(c.roi_value)),
            is_revenue=c.is_revenue,
            isolation_pct=float(c.isolation_pct),
            confidence_pct=float(c.confidence_pct),
            status=c.status,
            excluded_reason=c.excluded_reason,
            basis=c.basis,
            decided_on=c.decided_on,
        )
        for c in claims
    ]


@dataclass(frozen=True)
class TeamProjectFacts:
    team_id: int
    projects: int
    milestones_due: int
    milestones_on_time: int
    milestones_late: int
    satisfaction_mean: float | None
    satisfaction_n: int
    functions_breadth: float


def team_project_facts(
    cohort_ids: Sequence[int] | None, start: dt.date, end: dt.date
) -> list[TeamProjectFacts]:
    """Per team (the team of each learner on a project; a project counts once per team):
    projects approved and running in the period, approved milestones dated in the period
    (``start`` <= approved date <= ``end``) and how many were done on time or late (late: done
    after the approved date, or not done and past it today), stakeholder satisfaction from
    ratings given in the period (mean of the three scales, ``None`` below the organisation's
    anonymity threshold of responses) and the mean number of functions per project. 3 queries.
    """
    org = current_org()
    assert org is not None
    today = timezone.localdate()
    projects = Project.objects.filter(
        approved_at__isnull=False, start_date__lte=end, end_date__gte=start
    )
    if cohort_ids is not None:
        projects = projects.filter(cohort_id__in=list(cohort_ids))
    team_projects: dict[int, dict[int, int]] = defaultdict(dict)  # team -> project -> functions
    for team_id, project_id, functions in (
        ProjectLearner.objects.filter(project__in=projects, learner__team_id__isnull=False)
        .values_list("learner__team_id", "project_id", "project__functions")
        .distinct()
    ):
        team_projects[team_id][project_id] = len(functions or [])
    milestone_rows = (
        Milestone.objects.filter(
            project__in=projects,
            approved_on__gte=start,
            approved_on__lte=end,
            project__learners__learner__team_id__isnull=False,
        )
        .values("project__learners__learner__team_id")
        .annotate(
            due=Count("id", distinct=True),
            on_time=Count("id", filter=Q(done_on__lte=F("approved_on")), distinct=True),
            late=Count(
                "id",
                filter=Q(done_on__gt=F("approved_on"))
                | Q(done_on__isnull=True, approved_on__lt=today),
                distinct=True,
            ),
        )
    )
    milestones = {r["project__learners__learner__team_id"]: r for r in milestone_rows}
    rating_rows = (
        StakeholderRating.objects.filter(
            project__in=projects,
            created_at__date__gte=start,
            created_at__date__lte=end,
            project__learners__learner__team_id__isnull=False,
        )
        .values("project__learners__learner__team_id")
        .annotate(
            n=Count("id", distinct=True),
            oq=Avg("outcome_quality"),
            col=Avg("collaboration"),
            com=Avg("communication"),
        )
    )
    ratings = {r["project__learners__learner__team_id"]: r for r in rating_rows}
    facts = []
    for team_id in sorted(team_projects):
        per_project = team_projects[team_id]
        m: dict[str, Any] = dict(milestones.get(team_id) or {})
        r = ratings.get(team_id)
        n = r["n"] if r else 0
        shown = r is not None and stakeholder_aggregate_is_shown(org, n)
        facts.append(
            TeamProjectFacts(
                team_id=team_id,
                projects=len(per_project),
                milestones_due=m.get("due", 0),
                milestones_on_time=m.get("on_time", 0),
                milestones_late=m.get("late", 0),
                satisfaction_mean=(
                    round((r["oq"] + r["col"] + r["com"]) / 3, 2) if shown and r else None
                ),
                satisfaction_n=n,
                functions_breadth=round(sum(per_project.values()) / len(per_project), 2),
            )
        )
    return facts


@dataclass(frozen=True)
class TeamProjectMonth:
    """One team's project facts in one month (the team of each learner on a project)."""

    team_id: int
    month: dt.date  # first day of the month
    milestones_due: int  # approved milestones dated in the month
    milestones_on_time: int  # of those, done on or before the approved date
    milestone_learners: int  # the team's learners on the projects of those milestones
    satisfaction_mean: float | None  # None below the anonymity threshold of responses
    satisfaction_n: int  # stakeholder ratings given in the month
    rating_learners: int  # the team's learners on the rated projects


def team_project_months(
    start: dt.date, end: dt.date, team_ids: Sequence[int] | None = None
) -> list[TeamProjectMonth]:
    """Per team and month from ``start`` to ``end``: milestones due (by approved date) and on
    time, stakeholder satisfaction from ratings given that month (mean of the three scales,
    ``None`` below the organisation's anonymity threshold of responses), each with how many of
    the team's learners are on the projects behind it. Approved projects only; ``team_ids``
    limits the teams. 2 queries, whatever the number of teams and months."""
    from django.db.models import DateField
    from django.db.models.functions import TruncMonth

    org = current_org()
    assert org is not None
    team = "project__learners__learner__team_id"
    teams = Q(**{f"{team}__isnull": False})
    if team_ids is not None:
        teams &= Q(**{f"{team}__in": list(team_ids)})
    milestones = (
        Milestone.objects.filter(
            teams,
            project__approved_at__isnull=False,
            approved_on__gte=start,
            approved_on__lte=end,
        )
        .annotate(month=TruncMonth("approved_on", output_field=DateField()))
        .values(team, "month")
        .annotate(
            due=Count("id", distinct=True),
            on_time=Count("id", filter=Q(done_on__lte=F("approved_on")), distinct=True),
            learners=Count("project__learners__learner_id", distinct=True),
        )
    )
    ratings = (
        StakeholderRating.objects.filter(
            teams,
            project__approved_at__isnull=False,
            created_at__date__gte=start,
            created_at__date__lte=end,
        )
        .annotate(month=TruncMonth("created_at", output_field=DateField()))
        .values(team, "month")
        .annotate(
            n=Count("id", distinct=True),
            oq=Avg("outcome_quality"),
            col=Avg("collaboration"),
            com=Avg("communication"),
            learners=Count("project__learners__learner_id", distinct=True),
        )
    )
    cells: dict[tuple[int, dt.date], dict[str, Any]] = defaultdict(dict)
    for r in milestones:
        cells[(r[team], r["month"])].update(due=r["due"], on_time=r["on_time"], ml=r["learners"])
    for r in ratings:
        shown = stakeholder_aggregate_is_shown(org, r["n"])
        mean = round((r["oq"] + r["col"] + r["com"]) / 3, 2) if shown else None
        cells[(r[team], r["month"])].update(mean=mean, n=r["n"], rl=r["learners"])
    return [
        TeamProjectMonth(
            team_id=team_id,
            month=month,
            milestones_due=c.get("due", 0),
            milestones_on_time=c.get("on_time", 0),
            milestone_learners=c.get("ml", 0),
            satisfaction_mean=c.get("mean"),
            satisfaction_n=c.get("n", 0),
            rating_learners=c.get("rl", 0),
        )
        for (team_id, month), c in sorted(cells.items())
    ]


@dataclass(frozen=True)
class CohortProjectFacts:
    """A cohort's approved projects running in its evaluation window, counted once each."""

    cohort_id: int
    teams: int  # distinct teams of the learners on those projects
    projects: int
    milestones_due: int  # approved milestones dated in the window
    milestones_on_time: int  # of those, done on or before the approved date
    satisfaction_mean: float | None  # None below the anonymity threshold of responses
    satisfaction_n: int  # stakeholder ratings given in the window


def cohort_project_facts(
    windows: Mapping[int, tuple[dt.date, dt.date]],
) -> list[CohortProjectFacts]:
    """Per cohort id of ``windows`` and its own ``(start, end)``: its approved projects running
    in the window, their teams, the approved milestones dated in it and how many were done on
    time, and stakeholder satisfaction from ratings given in it (mean of the three scales,
    ``None`` below the organisation's anonymity threshold). 3 queries, whatever the number of
    cohorts."""
    org = current_org()
    assert org is not None
    if not windows:
        return []
    running = Q()
    dated = Q()
    rated = Q()
    for cohort_id, (start, end) in windows.items():
        running |= Q(cohort_id=cohort_id, start_date__lte=end, end_date__gte=start)
        dated |= Q(
            project__cohort_id=cohort_id,
            project__start_date__lte=end,
            project__end_date__gte=start,
            approved_on__gte=start,
            approved_on__lte=end,
        )
        rated |= Q(
            project__cohort_id=cohort_id,
            project__start_date__lte=end,
            project__end_date__gte=start,
            created_at__date__gte=start,
            created_at__date__lte=end,
        )
    projects = {
        r["cohort_id"]: r
        for r in Project.objects.filter(running, approved_at__isnull=False)
        .values("cohort_id")
        .annotate(
            n=Count("id", distinct=True), teams=Count("learners__learner__team", distinct=True)
        )
    }
    milestones = {
        r["project__cohort_id"]: r
        for r in Milestone.objects.filter(dated, project__approved_at__isnull=False)
        .values("project__cohort_id")
        .annotate(due=Count("id"), on_time=Count("id", filter=Q(done_on__lte=F("approved_on"))))
    }
    ratings = {
        r["project__cohort_id"]: r
        for r in StakeholderRating.objects.filter(rated, project__approved_at__isnull=False)
        .values("project__cohort_id")
        .annotate(
            n=Count("id"),
            oq=Avg("outcome_quality"),
            col=Avg("collaboration"),
            com=Avg("communication"),
        )
    }
    out = []
    for cohort_id in sorted(projects):
        m: dict[str, Any] = dict(milestones.get(cohort_id) or {})
        r = ratings.get(cohort_id)
        n = r["n"] if r else 0
        shown = r is not None and stakeholder_aggregate_is_shown(org, n)
        out.append(
            CohortProjectFacts(
                cohort_id=cohort_id,
                teams=projects[cohort_id]["teams"],
                projects=projects[cohort_id]["n"],
                milestones_due=m.get("due", 0),
                milestones_on_time=m.get("on_time", 0),
                satisfaction_mean=(
                    round((r["oq"] + r["col"] + r["com"]) / 3, 2) if shown and r else None
                ),
                satisfaction_n=n,
            )
        )
    return out
