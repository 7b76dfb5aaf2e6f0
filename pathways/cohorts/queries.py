"""Reads for cohort pages and the admin home: plain data, a fixed number of queries.

Progress is counted by step identity: a learner's step is done when a ``StepCompletion`` with
that step's key exists for their enrolment, among the steps of the version they follow. A step
is overdue when its ``due_offset_days`` have passed since the cohort start and it is not done.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, NamedTuple

from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import (
    Case,
    Count,
    Exists,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.utils import timezone

from measurement.models import LearnerProgressRollup
from measurement.queries import CohortHealth
from organizations.models import Membership, Role
from organizations.raw_queries import (
    contains_param,
    contains_sql,
    date_of,
    fetch_rows,
    moment_of,
    tenant_id,
)
from pathways.cohorts import counts
from pathways.models import (
    Cohort,
    CohortCoach,
    CohortSponsor,
    Enrollment,
    PathwayVersion,
    Step,
    StepCompletion,
)
from pathways.queries import enrollment_views, enrollments_in_progress

LEARNERS_PER_PAGE = 50
WITHDRAWN = Enrollment.Status.WITHDRAWN


@dataclass
class LearnerProgress:
    enrollment_id: int
    membership_id: int
    name: str
    email: str
    team: str
    status: str
    status_label: str
    steps_done: int
    steps_total: int
    overdue: list[str]
    last_activity: dt.datetime | None
    version: int

    @property
    def percent(self) -> int:
        return round(100 * self.steps_done / self.steps_total) if self.steps_total else 0

    @property
    def not_started(self) -> bool:
        return self.status != WITHDRAWN and self.steps_done == 0


@dataclass
class StaffMember:
    membership_id: int
    name: str
    email: str


@dataclass
class CohortDetail:
    cohort: Cohort
    pathway: str
    version: int
    learners: list[LearnerProgress]
    coaches: list[StaffMember]
    sponsors: list[StaffMember]
    active: int
    withdrawn: int
    not_started: int
    overdue_steps: int
    learners_overdue: int
    steps_done: int
    steps_possible: int

    @property
    def percent(self) -> int:
        return round(100 * self.steps_done / self.steps_possible) if self.steps_possible else 0


SHOW_FILTERS = ("all", "not_started", "overdue", "withdrawn")


def cohort_detail(
    cohort_id: int, today: dt.date | None = None, enrollment_ids: Collection[int] | None = None
) -> CohortDetail:
    """A cohort with its learners' progress worked out from the facts now, its coaches and
    sponsors (11 queries). Every learner, or only those of ``enrollment_ids`` (one page of the
    API): the time grows with the learners read, so pages read ``cohort_overview`` and
    ``learner_page`` (the roll-up) instead; the totals cover the learners read.

    Raises ``Cohort.DoesNotExist`` for an id outside the organisation.
    """
    today = today or timezone.localdate()
    cohort = Cohort.objects.select_related("version__pathway").get(pk=cohort_id)
    in_cohort = Enrollment.objects.filter(cohort=cohort)
    if enrollment_ids is not None:
        in_cohort = in_cohort.filter(pk__in=list(enrollment_ids))
    enrollments = list(
        in_cohort.select_related("learner__user", "learner__team", "version").order_by(
            "learner__user__full_name", "learner__user__email"
        )
    )
    version_ids = {e.version_id for e in enrollments} | {cohort.version_id}
    steps: dict[int, list[Step]] = defaultdict(list)
    for step in Step.objects.filter(version_id__in=version_ids).order_by("position", "id"):
        steps[step.version_id].append(step)
    done: dict[int, set[str]] = defaultdict(set)
    last: dict[int, dt.datetime] = {}
    for enrollment_id, key, when in StepCompletion.objects.filter(
        enrollment__in=in_cohort
    ).values_list("enrollment_id", "step_key", "completed_at"):
        done[enrollment_id].add(str(key))
        if enrollment_id not in last or when > last[enrollment_id]:
            last[enrollment_id] = when
    # Active learners' progress is what they see themselves: required steps after
    # personalisation and electives (pathways.queries.enrollment_views, 4 queries).
    views = {view.id: view for view in enrollment_views(enrollments_in_progress(in_cohort), today)}
    learners = []
    for e in enrollments:
        version_steps = steps[e.version_id]
        view = views.get(e.pk)
        if view is not None:
            steps_done, steps_total = view.steps_done, view.steps_total
            overdue = [s.title for stage in view.stages for s in stage.steps if s.overdue]
        else:  # withdrawn: what they had done of the version when they left
            keys = {str(s.key) for s in version_steps}
            steps_done, steps_total, overdue = len(done[e.pk] & keys), len(version_steps), []
        learners.append(
            LearnerProgress(
                enrollment_id=e.pk,
                membership_id=e.learner_id,
                name=e.learner.user.full_name or e.learner.user.email,
                email=e.learner.user.email,
                team=e.learner.team.name if e.learner.team else "",
                status=e.status,
                status_label=e.get_status_display(),
                steps_done=steps_done,
                steps_total=steps_total,
                overdue=overdue,
                last_activity=last.get(e.pk),
                version=e.version.number,
            )
        )
    active = [lp for lp in learners if lp.status != WITHDRAWN]

    def staff(model: type[CohortCoach] | type[CohortSponsor]) -> list[StaffMember]:
        return [
            StaffMember(
                link.membership_id,
                link.membership.user.full_name or link.membership.user.email,
                link.membership.user.email,
            )
            for link in model.objects.filter(cohort=cohort)
            .select_related("membership__user")
            .order_by("membership__user__full_name")
        ]

    return CohortDetail(
        cohort=cohort,
        pathway=cohort.version.pathway.name,
        version=cohort.version.number,
        learners=learners,
        coaches=staff(CohortCoach),
        sponsors=staff(CohortSponsor),
        active=len(active),
        withdrawn=len(learners) - len(active),
        not_started=sum(1 for lp in active if lp.not_started),
        overdue_steps=sum(len(lp.overdue) for lp in active),
        learners_overdue=sum(1 for lp in active if lp.overdue),
        steps_done=sum(lp.steps_done for lp in active),
        steps_possible=sum(lp.steps_total for lp in active),
    )


# --- The cohort page: figures from the progress roll-up, learners a page at a time -----------
#
# ``cohort_detail`` above works every enrolment out from the facts, which the reminder e-mail and
# the API (one page of enrolments at a time) need. The page reads the roll-up instead: a cohort
# of 5,000 learners costs what a cohort of 5 does (a fixed number of queries, each using an
# index on the organisation, the roll-up period and the cohort), and says how fresh it is.


@dataclass(frozen=True)
class CohortOverview:
    """The cohort page's header: enrolments now, progress as of the latest roll-up."""

    cohort: Cohort
    pathway: str
    version: int
    coaches: list[StaffMember]
    sponsors: list[StaffMember]
    enrolments: int  # every enrolment, withdrawn ones and deactivated people's included
    active: int  # enrolled now, not withdrawn, the person still active
    withdrawn: int
    counted: int  # of ``active``, in the latest roll-up
    not_started: int
    overdue_steps: int
    learners_overdue: int
    steps_done: int
    steps_possible: int
    # The oldest row of the cohort in the latest roll-up: every figure is at least this fresh.
    as_of: dt.datetime | None

    @property
    def percent(self) -> int:
        return round(100 * self.steps_done / self.steps_possible) if self.steps_possible else 0

    @property
    def pending(self) -> int:
        """Active learners the roll-up has not counted yet (enrolled since it last ran)."""
        return max(0, self.active - self.counted)


class LearnerRow(NamedTuple):
    """One enrolment on the cohort page: progress from the latest roll-up (``None`` until the
    learner is first counted); a withdrawn learner shows the steps done before leaving. A named
    tuple: a page makes fifty, each made in a third of a frozen dataclass's time."""

    enrollment_id: int
    membership_id: int
    name: str
    email: str
    team: str
    status: str
    status_label: str
    version: int
    steps_done: int | None
    steps_total: int | None
    steps_overdue: int
    last_activity: dt.datetime | None

    @property
    def withdrawn(self) -> bool:
        return self.status == WITHDRAWN

    @property
    def counted(self) -> bool:
        return self.steps_total is not None

    @property
    def percent(self) -> int:
        return round(100 * (self.steps_done or 0) / self.steps_total) if self.steps_total else 0

    @property
    def not_started(self) -> bool:
        return not self.withdrawn and self.counted and self.steps_done == 0


def _or_none(period: dt.date | None) -> dt.date:
    """``period``, or a date no roll-up has when there is none yet (so a filter matches none)."""
    return period or dt.date.min


# The cohort page's header in one statement: its enrolments' counts (``{counts}``: the cohort's
# ``CohortCounts`` row, kept exact by triggers, or on SQLite counted, ``pathways.cohorts.counts``)
# and beside them (outer joins, so the counting runs once) the cohort,
# its pathway, the organisation's latest roll-up period, the cohort's row of that
# period and its latest reminder to overdue learners. Written as SQL text: the page is read
# often and compiling querysets cost more than the database's work. Its first six columns line
# up with the rows of ``_COHORT_STAFF_ROWS`` (kind 0), so that the page reads both in one
# statement.
_OVERVIEW_SQL = """
SELECT 0 AS kind, c.id, c.name, p.name, v.number, n.enrolments, c.version_id, c.start_date,
    c.end_date, c.status, c.created_at, n.current_, n.current_inactive, latest.period,
    r.counted, r.not_started, r.learners_overdue, r.computed_at, r.steps_done, r.steps_total,
    r.steps_overdue, o.local_date, o.recipients, o.sent_at{pad}
FROM (
    {counts}
) n
LEFT JOIN pathways_cohort c ON c.organization_id = %s AND c.id = %s
LEFT JOIN pathways_pathwayversion v ON v.id = c.version_id
LEFT JOIN pathways_pathway p ON p.id = v.pathway_id
LEFT JOIN (SELECT {latest} AS period) latest ON 1 = 1
LEFT JOIN measurement_cohortprogressrollup r
    ON r.organization_id = c.organization_id AND r.period = latest.period AND r.cohort_id = c.id
LEFT JOIN (
    SELECT o.local_date, {recipients} AS recipients, o.sent_at
    FROM pathways_overduereminder o WHERE o.organization_id = %s AND o.cohort_id = %s
    ORDER BY o.local_date DESC, o.id DESC LIMIT 1
) o ON 1 = 1
"""

# The organisation's latest progress roll-up period (one probe of ``learnerrollup_cohort_figures``
# from its end), with the organisation as its parameter.
_LATEST_PERIOD = """(SELECT MAX(lp.period) FROM measurement_learnerprogressrollup lp
    WHERE lp.organization_id = %s)"""
_OVERVIEW_SQL = _OVERVIEW_SQL.replace("{latest}", _LATEST_PERIOD)

# The filters' choices: the organisation's teams and its members' distinct functions (each
# found from the previous one by one step of the index ``membership_org_function``, a loose
# index scan: a few functions cost a few index probes, not a read of every membership); and
# the cohort's coaches and sponsors. Rows: (kind, id, text, e-mail, is coach, is sponsor),
# each followed by ``{pad}`` (more columns, to line up with another statement's).
_FUNCTIONS_CTE = """
WITH RECURSIVE f (name) AS (
    SELECT MIN(function) FROM organizations_membership WHERE organization_id = %s AND function > ''
    UNION ALL
    SELECT (SELECT MIN(m.function) FROM organizations_membership m
            WHERE m.organization_id = %s AND m.function > f.name)
    FROM f WHERE f.name IS NOT NULL
)
"""
_FILTER_ROWS = """SELECT 1 AS kind, t.id, t.name, '' AS email, 0 AS coach, 0 AS sponsor{pad}
FROM organizations_team t WHERE t.organization_id = %s
UNION ALL
SELECT 2, 0, f.name, '', 0, 0{pad} FROM f WHERE f.name IS NOT NULL
"""
# The cohort's coaches and sponsors (kinds 4 and 5), which its page reads: who else can be
# assigned is found as the admin types (``assignable_people``), never listed in full.
_COHORT_STAFF_ROWS = """SELECT 4 AS kind, cc.membership_id, u.full_name, u.email, 1, 0{pad}
FROM pathways_cohortcoach cc
JOIN organizations_membership m ON m.id = cc.membership_id
JOIN organizations_user u ON u.id = m.user_id
WHERE cc.organization_id = %s AND cc.cohort_id = %s
UNION ALL
SELECT 5, cs.membership_id, u.full_name, u.email, 0, 1{pad}
FROM pathways_cohortsponsor cs
JOIN organizations_membership m ON m.id = cs.membership_id
JOIN organizations_user u ON u.id = m.user_id
WHERE cs.organization_id = %s AND cs.cohort_id = %s
"""
_CHOICES_ORDER = "ORDER BY 1, 3, 4, 2\n"
_FILTER_CHOICES_SQL = _FUNCTIONS_CTE + _FILTER_ROWS.format(pad="") + _CHOICES_ORDER


def _recipients_count() -> str:
    """The SQL of the number of learners a reminder went to (its ``recipients`` list)."""
    if connection.vendor == "postgresql":
        return "jsonb_array_length(o.recipients)"
    return "json_array_length(o.recipients)"


def _overview_sql(pad: str = "") -> str:
    """``_OVERVIEW_SQL`` for this database (``_overview_params``)."""
    return _OVERVIEW_SQL.format(
        counts=counts.header_counts_sql(), recipients=_recipients_count(), pad=pad
    )


def _overview_params(org_id: int, cohort_id: int) -> list[Any]:
    return [
        *counts.header_counts_params(org_id, cohort_id),
        *[org_id, cohort_id, org_id, org_id, cohort_id],
    ]


def _staff_params(org_id: int, cohort_id: int) -> list[Any]:
    """The parameters of ``_COHORT_STAFF_ROWS``."""
    return [org_id, cohort_id, org_id, cohort_id]


def cohort_page(cohort_id: int) -> tuple[CohortOverview, dt.date | None, ReminderSent | None]:
    """The cohort page's header: the cohort with its counts and progress as of the latest
    roll-up (as ``cohort_overview``, without its staff, whom ``cohort_staff`` reads), that
    roll-up's period and the cohort's latest reminder to overdue learners (1 query, whatever
    the number of learners).

    Raises ``Cohort.DoesNotExist`` for an id outside the organisation.
    """
    org_id = tenant_id()
    rows = fetch_rows(
        _overview_sql(),
        _overview_params(org_id, cohort_id),
    )
    return _overview_of(rows[0], org_id, cohort_id)


def _overview_of(
    row: tuple[Any, ...], org_id: int, cohort_id: int
) -> tuple[CohortOverview, dt.date | None, ReminderSent | None]:
    """The header's row (``_OVERVIEW_SQL``) read."""
    (
        _kind,
        pk,
        name,
        pathway,
        version,
        enrolments,
        version_id,
        start_date,
        end_date,
        status,
        created_at,
        current,
        current_inactive,
        period,
        counted,
        not_started,
        learners_overdue,
        computed_at,
        steps_done,
        steps_total,
        steps_overdue,
        reminded_on,
        reminded,
        reminder_sent_at,
    ) = row
    if pk is None:  # the counts' one row, and no cohort beside it
        raise Cohort.DoesNotExist(f"No cohort {cohort_id} in the organisation.")
    start = date_of(start_date)
    assert start is not None  # a cohort's start date is required
    # A model instance from the row, no query: the page and its download read its fields.
    cohort = Cohort(
        id=pk,
        organization_id=org_id,
        name=name,
        version_id=version_id,
        start_date=start,
        end_date=date_of(end_date),
        status=status,
        created_at=moment_of(created_at),
    )
    overview = CohortOverview(
        cohort=cohort,
        pathway=pathway,
        version=version,
        coaches=[],
        sponsors=[],
        enrolments=enrolments,
        active=current - current_inactive,
        withdrawn=enrolments - current,
        counted=counted or 0,
        not_started=not_started or 0,
        overdue_steps=steps_overdue or 0,
        learners_overdue=learners_overdue or 0,
        steps_done=steps_done or 0,
        steps_possible=steps_total or 0,
        as_of=moment_of(computed_at) if computed_at is not None else None,
    )
    reminder = None
    if reminded_on is not None:
        reminder = ReminderSent(
            local_date=date_of(reminded_on),  # type: ignore[arg-type]
            learners=reminded or 0,
            sent_at=moment_of(reminder_sent_at) if reminder_sent_at is not None else None,
        )
    return overview, date_of(period), reminder


def cohort_overview(cohort_id: int) -> tuple[CohortOverview, dt.date | None]:
    """The cohort, its staff, its enrolment counts and its progress from the latest roll-up,
    and that roll-up's period (2 queries, whatever the number of learners).

    Raises ``Cohort.DoesNotExist`` for an id outside the organisation.
    """
    overview, period, _reminder = cohort_page(cohort_id)
    coaches, sponsors = cohort_staff(cohort_id)
    return dataclasses.replace(overview, coaches=coaches, sponsors=sponsors), period


def _rollup(period: dt.date | None, field: str) -> Subquery:
    """The enrolment's ``field`` in the roll-up of ``period`` (NULL when it has no row)."""
    return Subquery(
        LearnerProgressRollup.objects.filter(
            enrollment_id=OuterRef("pk"), period=_or_none(period)
        ).values(field)[:1]
    )


BY_NAME = ("learner__user__full_name", "learner__user__email", "learner__user__id")


def _learner_rows(cohort: Cohort, period: dt.date | None, show: str, q: str) -> QuerySet[Any]:
    """The cohort's enrolments in the view ``show`` whose learner's name or e-mail contains
    ``q``, by name, with their roll-up figures, last step done and (for a withdrawn learner) the
    steps of their version they had done (no query yet; one when evaluated)."""
    return _with_figures(_chosen_rows(cohort, period, show, q), period)


def _chosen_rows(cohort: Cohort, period: dt.date | None, show: str, q: str) -> QuerySet[Any]:
    """The enrolments of the view ``show`` matching ``q``, by name, without their figures."""
    rows = Enrollment.objects.filter(cohort=cohort)
    if show in ("not_started", "overdue"):
        counted = LearnerProgressRollup.objects.filter(period=_or_none(period), cohort=cohort)
        counted = (
            counted.filter(steps_done=0)
            if show == "not_started"
            else counted.filter(steps_overdue__gt=0)
        )
        rows = rows.exclude(status=WITHDRAWN).filter(pk__in=counted.values("enrollment_id"))
    elif show == "withdrawn":
        rows = rows.filter(status=WITHDRAWN)
    q = q.strip()
    if q:
        rows = rows.filter(
            Q(learner__user__full_name__icontains=q) | Q(learner__user__email__icontains=q)
        )
    return rows.order_by(*BY_NAME)


def _with_figures(rows: QuerySet[Any], period: dt.date | None) -> QuerySet[Any]:
    """``rows`` with their people, roll-up figures, last step done and (withdrawn learners)
    the steps of their version they had done, by name."""
    completions = StepCompletion.objects.filter(enrollment_id=OuterRef("pk"))
    done_in_version = (
        completions.filter(
            step_key__in=Step.objects.filter(version_id=OuterRef(OuterRef("version_id"))).values(
                "key"
            )
        )
        .order_by()
        .values("enrollment_id")
        .annotate(n=Count("id"))
        .values("n")
    )
    steps_in_version = (
        Step.objects.filter(version_id=OuterRef("version_id"))
        .order_by()
        .values("version_id")
        .annotate(n=Count("id"))
        .values("n")
    )
    return (
        rows.select_related("learner__user", "learner__team", "version")
        .annotate(
            r_done=_rollup(period, "steps_done"),
            r_total=_rollup(period, "steps_total"),
            r_overdue=_rollup(period, "steps_overdue"),
            last_done=Subquery(completions.order_by("-completed_at").values("completed_at")[:1]),
            withdrawn_done=Case(
                When(status=WITHDRAWN, then=Subquery(done_in_version)), default=Value(None)
            ),
            withdrawn_total=Case(
                When(status=WITHDRAWN, then=Subquery(steps_in_version)), default=Value(None)
            ),
        )
        .order_by(*BY_NAME)
    )


_STATUS_LABELS = dict(Enrollment.Status.choices)


def _learner_row(e: Any) -> LearnerRow:
    withdrawn = e.status == WITHDRAWN
    return LearnerRow(
        enrollment_id=e.pk,
        membership_id=e.learner_id,
        name=e.learner.user.full_name or e.learner.user.email,
        email=e.learner.user.email,
        team=e.learner.team.name if e.learner.team else "",
        status=e.status,
        status_label=str(_STATUS_LABELS.get(e.status, e.status)),
        version=e.version.number,
        steps_done=(e.withdrawn_done or 0) if withdrawn else e.r_done,
        steps_total=(e.withdrawn_total or 0) if withdrawn else e.r_total,
        steps_overdue=0 if withdrawn else (e.r_overdue or 0),
        last_activity=e.last_done,
    )


# One page of a cohort's enrolments in the page's order (the learner's name, e-mail and id):
# chosen first (``{where}``: the view's filters and the search), then their people, roll-up
# figures, last step done and, for a withdrawn learner, the steps of their version done before
# leaving, for the page's rows only. ``{cohort}`` and ``{page}``: the cohort and the page's
# size and offset, as parameters (``_LEARNER_PAGE_SQL``) or as the walking form writes them
# (``_page_statement``).
_LEARNER_PAGE_TEMPLATE = """
SELECT p.id, p.learner_id, p.full_name, p.email, t.name, p.status, v.number,
    r.steps_done, r.steps_total, r.steps_overdue,
    (SELECT MAX(sc.completed_at) FROM pathways_stepcompletion sc
     WHERE sc.organization_id = %s AND sc.enrollment_id = p.id),
    CASE WHEN p.status = %s THEN (
        SELECT COUNT(*) FROM pathways_stepcompletion sc
        WHERE sc.organization_id = %s AND sc.enrollment_id = p.id AND sc.step_key IN (
            SELECT s.key FROM pathways_step s
            WHERE s.organization_id = %s AND s.version_id = p.version_id)) END,
    CASE WHEN p.status = %s THEN (
        SELECT COUNT(*) FROM pathways_step s
        WHERE s.organization_id = %s AND s.version_id = p.version_id) END
FROM (
    SELECT e.id, e.learner_id, e.status, e.version_id, m.team_id, u.full_name, u.email,
        u.id AS user_id
    FROM pathways_enrollment e
    JOIN organizations_membership m ON m.id = e.learner_id
    JOIN organizations_user u ON u.id = m.user_id
    WHERE e.organization_id = %s AND e.cohort_id = {cohort}{where}
    ORDER BY u.full_name, u.email, u.id LIMIT {page}
) p
JOIN pathways_pathwayversion v ON v.id = p.version_id
LEFT JOIN organizations_team t ON t.id = p.team_id
LEFT JOIN measurement_learnerprogressrollup r
    ON r.organization_id = %s AND r.enrollment_id = p.id AND r.period = %s
ORDER BY p.full_name, p.email, p.user_id
"""
# The page with its cohort, size and offset as parameters.
_LEARNER_PAGE_SQL = _LEARNER_PAGE_TEMPLATE.format(cohort="%s", page="%s OFFSET %s", where="{where}")
# The walking form: the cohort read by a sub-select, the page's size and offset written in
# (``{limit}`` and ``{offset}``, whole numbers).
_WALKING_PAGE_SQL = _LEARNER_PAGE_TEMPLATE.format(
    cohort="(SELECT %s)", page="{limit:d} OFFSET {offset:d}", where="{where}"
)
# The enrolments of the view (``{where}``) counted; ``{lead}`` and ``{pad}``: columns around.
_LEARNER_COUNT_SQL = """SELECT {lead}COUNT(*){pad} FROM pathways_enrollment e
JOIN organizations_membership m ON m.id = e.learner_id
JOIN organizations_user u ON u.id = m.user_id
WHERE e.organization_id = %s AND e.cohort_id = %s{where}
"""
_COUNTED_SQL = """ AND e.status <> %s AND e.id IN (SELECT lr.enrollment_id
    FROM measurement_learnerprogressrollup lr
    WHERE lr.organization_id = %s AND lr.period = {period} AND lr.cohort_id = %s AND {figure})"""
_NOT_STARTED_SQL = _COUNTED_SQL.replace("{figure}", "lr.steps_done = 0")
_OVERDUE_SQL = _COUNTED_SQL.replace("{figure}", "lr.steps_overdue > 0")


def _view_filter(
    org_id: int, cohort_id: int, period: dt.date | None, show: str, q: str, latest: bool = False
) -> tuple[str, list[Any]]:
    """The SQL (``AND …``) and parameters that keep the enrolments of the view ``show`` whose
    learner's name or e-mail contains ``q`` (what ``_chosen_rows`` filters): the roll-up
    figures of ``period``, or with ``latest`` of the latest period (``_LATEST_PERIOD``)."""
    where, params = "", []
    if show in ("not_started", "overdue"):
        counted = _NOT_STARTED_SQL if show == "not_started" else _OVERDUE_SQL
        where += counted.replace("{period}", _LATEST_PERIOD if latest else "%s")
        params += [WITHDRAWN, org_id, org_id if latest else period, cohort_id]
    elif show == "withdrawn":
        where += " AND e.status = %s"
        params.append(WITHDRAWN)
    q = q.strip()
    if q:
        # Django's ``icontains``: the pattern's own wildcards escaped, capitals ignored.
        pattern = f"%{connection.ops.prep_for_like_query(q)}%"
        where += (
            " AND (UPPER(u.full_name) LIKE UPPER(%s) ESCAPE '\\'"
            " OR UPPER(u.email) LIKE UPPER(%s) ESCAPE '\\')"
        )
        params += [pattern, pattern]
    return where, params


class _Unread(list[Any]):
    """The paginator's object list when the page's rows are read apart: it has the count."""

    def __init__(self, count: int) -> None:
        super().__init__()
        self.total = count

    def count(self, *args: Any) -> int:  # type: ignore[override]
        return self.total


def _page_params(
    org_id: int, cohort_id: int, where_params: list[Any], page: list[Any], period: Any
) -> list[Any]:
    """The parameters of ``_LEARNER_PAGE_TEMPLATE`` for the view's ``where_params``, the page's
    size and offset when they are parameters (``page``, else empty) and the roll-up period."""
    return [org_id, WITHDRAWN, org_id, org_id, WITHDRAWN, org_id, org_id, cohort_id,
            *where_params, *page, org_id, period]  # fmt: skip


# A view of many learners is read by walking its people in the page's order (the index
# ``user_name_order``) until the page is full, in a statement of its own whose plan does not
# depend on its parameters, so that PostgreSQL keeps one generic plan for it instead of planning
# it afresh on every run: the page's size and offset are written in it (a parameter's LIMIT is
# planned as a tenth of the rows, which prices walking higher than sorting), and the cohort is
# read by a sub-select, unknown to a custom plan as to the generic one (otherwise the generic
# plan, priced with an average cohort, costs more than a custom plan and is never kept). A view
# of fewer learners, or a page deep in a view, keeps ``_LEARNER_PAGE_SQL`` as it is: its
# custom plan sorts the few enrolments (walking the people by name would read most of them).
WALK_FROM = 1000
WALK_SHARE = 20  # walked while the page ends within the view's first 1/20th


def _page_statement(
    org_id: int, cohort_id: int, where: str, where_params: list[Any], number: int, count: int
) -> tuple[str, list[Any]]:
    """The SQL of the page ``number`` of a view of ``count`` learners (``_LEARNER_PAGE_SQL``,
    or for a view of many ``_WALKING_PAGE_SQL``) and its parameters but the roll-up period."""
    offset = (number - 1) * LEARNERS_PER_PAGE
    if count >= WALK_FROM and count >= WALK_SHARE * (offset + LEARNERS_PER_PAGE):
        # The page's size and offset written in the SQL (whole numbers), not parameters.
        sql = _WALKING_PAGE_SQL.format(where=where, limit=LEARNERS_PER_PAGE, offset=offset)
        page: list[Any] = []
    else:
        sql = _LEARNER_PAGE_SQL.format(where=where)
        page = [LEARNERS_PER_PAGE, offset]
    return sql, _page_params(org_id, cohort_id, where_params, page, None)[:-1]


def _learner_rows_of(rows: Iterable[tuple[Any, ...]]) -> list[LearnerRow]:
    """The rows of ``_LEARNER_PAGE_SQL`` read."""
    labels = {status: str(label) for status, label in _STATUS_LABELS.items()}  # once a page
    new = tuple.__new__  # ``LearnerRow``'s fields in order, without its keyword handling
    return [
        new(
            LearnerRow,
            (
                pk,
                membership_id,
                full_name or email,
                email,
                team or "",
                status,
                labels.get(status, status),
                version,
                (withdrawn_done or 0) if status == WITHDRAWN else done,
                (withdrawn_total or 0) if status == WITHDRAWN else total,
                0 if status == WITHDRAWN else (overdue or 0),
                moment_of(last) if last is not None else None,
            ),
        )
        for (
            pk,
            membership_id,
            full_name,
            email,
            team,
            status,
            version,
            done,
            total,
            overdue,
            last,
            withdrawn_done,
            withdrawn_total,
        ) in rows
    ]


# The cohort page's header (kind 0) and, for the whole page, the cohort's coaches and sponsors
# (kinds 4 and 5, ``_COHORT_STAFF_ROWS``) and, for a view the header does not count (a search,
# the not started and overdue views), the count of its learners (kind 7), in one statement,
# each row padded with NULLs to the header's width. The page's learners are read apart
# (``_LEARNER_PAGE_SQL``): which rows a page holds depends on the count, and their best plan on
# the cohort (walking the people by name for a cohort of most of the organisation, sorting the
# few enrolments of a small one), which a prepared statement's generic plan cannot tell.
_HEADER_WIDTH = 24


def _header_sql(with_staff: bool, count_where: str | None) -> str:
    """The SQL of ``cohort_page_with_learners``' first statement."""
    parts = [_overview_sql()]
    if with_staff:
        parts.append(_COHORT_STAFF_ROWS.format(pad=", NULL" * (_HEADER_WIDTH - 6)))
    if count_where is not None:
        parts.append(
            _LEARNER_COUNT_SQL.format(
                lead="7, ", pad=", NULL" * (_HEADER_WIDTH - 2), where=count_where
            )
        )
    return "UNION ALL\n".join(parts) + _CHOICES_ORDER


def cohort_page_with_learners(
    cohort_id: int, show: str, q: str, page_number: Any, with_staff: bool = True
) -> tuple[
    CohortOverview,
    dt.date | None,
    ReminderSent | None,
    tuple[list[StaffMember], list[StaffMember]] | None,
    Page,
]:
    """The cohort page: ``cohort_page``, with ``with_staff`` the cohort's coaches and sponsors
    (its forms'), and the page ``page_number`` of its learners in the view ``show`` matching
    the search ``q``, each a ``LearnerRow`` (2 queries, whatever the number of learners: the
    header with the staff and the view's count, then the page's learners). The unsearched
    "all" and "withdrawn" views take their count from the header's.

    Raises ``Cohort.DoesNotExist`` for an id outside the organisation.
    """
    org_id = tenant_id()
    q = q.strip()
    counted_by_header = not q and show in ("all", "withdrawn")
    params = _overview_params(org_id, cohort_id)
    if with_staff:
        params += _staff_params(org_id, cohort_id)
    count_where = None
    if not counted_by_header:
        # The view's count, of the roll-up's latest period (the header's, in the same snapshot).
        count_where, count_params = _view_filter(org_id, cohort_id, None, show, q, latest=True)
        params += [org_id, cohort_id, *count_params]
    rows = fetch_rows(_header_sql(with_staff, count_where), params)
    overview, period, reminder = _overview_of(rows[0], org_id, cohort_id)
    staff = None
    if with_staff:
        staff = _staff_of(row[:6] for row in rows if 4 <= row[0] <= 5)
    if counted_by_header:
        count = overview.enrolments if show == "all" else overview.withdrawn
    else:
        count = rows[-1][1]  # kind 7, the last row
    page = Paginator(_Unread(count), LEARNERS_PER_PAGE).get_page(page_number)
    where, where_params = _view_filter(org_id, cohort_id, period, show, q)
    sql, page_params = _page_statement(
        org_id, cohort_id, where, where_params, page.number, page.paginator.count
    )
    page.object_list = _learner_rows_of(  # type: ignore[assignment]
        fetch_rows(sql, [*page_params, period])
    )
    return overview, period, reminder, staff, page


# The people who can be assigned to a cohort as its coaches (or sponsors): active members of
# the organisation who hold the role (``{role}``, the membership's column) and are not the
# cohort's already (``{link}``, its coaches' or sponsors' table), whose name or e-mail contains
# the admin's text (``{search}``), by name, at most ``{most}``; after a row of kind 0 when the
# cohort is the organisation's. One statement, the people limited before they are sorted out.
_ASSIGNABLE_SQL = """SELECT 0 AS kind, '' AS name, '' AS email FROM pathways_cohort c
WHERE c.organization_id = %s AND c.id = %s
UNION ALL
SELECT 1, s.full_name, s.email FROM (
    SELECT u.full_name, u.email FROM organizations_membership m
    JOIN organizations_user u ON u.id = m.user_id
    WHERE m.organization_id = %s AND m.is_active AND m.{role}{search} AND NOT EXISTS (
        SELECT 1 FROM {link} l
        WHERE l.organization_id = %s AND l.cohort_id = %s AND l.membership_id = m.id)
    ORDER BY u.full_name, u.email, u.id LIMIT {most:d}
) s
ORDER BY 1, 2, 3
"""
ASSIGNABLE_SHOWN = 10


def assignable_people(
    cohort_id: int, role: str, link: type[CohortCoach] | type[CohortSponsor], text: str
) -> list[tuple[str, str]] | None:
    """The cohort's coaches or sponsors to be, as the admin types ``text``: the active members
    holding the role (``role``, the membership's flag) who are not in the cohort's ``link``
    table yet, whose name or e-mail contains the text (any, for none), by name: (name, e-mail)
    of up to ``ASSIGNABLE_SHOWN`` (1 query). None when the cohort is not the organisation's."""
    org_id = tenant_id()
    search, search_params = "", []
    text = text.strip()
    if text:
        search = f" AND ({contains_sql('u.full_name')} OR {contains_sql('u.email')})"
        search_params = [contains_param(text)] * 2
    sql = _ASSIGNABLE_SQL.format(
        role=role, link=link._meta.db_table, search=search, most=ASSIGNABLE_SHOWN
    )
    rows = fetch_rows(sql, [org_id, cohort_id, org_id, *search_params, org_id, cohort_id])
    if not rows or rows[0][0] != 0:
        return None
    return [(name or email, email) for _kind, name, email in rows[1:]]


@dataclass(frozen=True)
class ReminderSent:
    """The latest reminder to a cohort's overdue learners, as its page shows it."""

    local_date: dt.date
    learners: int
    sent_at: dt.datetime | None  # None while its e-mails are on their way


COHORT_EXPORT_HEADERS = (
    "Cohort",
    "Pathway",
    "Version",
    "Start date",
    "End date",
    "Status",
    "Learners",
    "Learners in the latest roll-up",
    "Steps done",
    "Steps total",
    "Percent done",
    "Overdue steps",
    "Learners overdue",
    "Not started",
)


def cohort_export_rows(cohorts: list[CohortHealth]) -> list[tuple[Any, ...]]:
    """The programme-health table's rows for export (``COHORT_EXPORT_HEADERS``; no queries)."""
    return [
        (
            c.name,
            c.pathway,
            c.version,
            c.start_date,
            c.end_date,
            c.status,
            c.learners,
            c.counted,
            c.steps_done,
            c.steps_total,
            c.percent,
            c.overdue_steps,
            c.learners_overdue,
            c.not_started,
        )
        for c in cohorts
    ]


PROGRESS_EXPORT_HEADERS = (
    "Learner",
    "E-mail",
    "Team",
    "Status",
    "Steps done",
    "Steps total",
    "Percent done",
    "Steps overdue",
    "Last step done (UTC)",
    "Pathway version",
)


def progress_export_rows(
    cohort: Cohort, period: dt.date | None, show: str, q: str = ""
) -> Iterator[tuple[Any, ...]]:
    """Every learner of the view as export rows (``PROGRESS_EXPORT_HEADERS``), the figures the
    page shows, streamed from one query in chunks."""
    for e in _learner_rows(cohort, period, show, q).iterator(chunk_size=2000):
        lp = _learner_row(e)
        yield (
            lp.name,
            lp.email,
            lp.team,
            lp.status_label,
            lp.steps_done,
            lp.steps_total,
            lp.percent if lp.counted else None,
            lp.steps_overdue,
            lp.last_activity.astimezone(dt.UTC).replace(tzinfo=None) if lp.last_activity else None,
            lp.version,
        )


@dataclass
class Choices:
    teams: list[tuple[int, str]]
    functions: list[str]


def _staff_of(rows: Iterable[tuple[Any, ...]]) -> tuple[list[StaffMember], list[StaffMember]]:
    """The cohort's coaches and sponsors from ``_COHORT_STAFF_ROWS``' rows (by kind and name)."""
    coaches: list[StaffMember] = []
    sponsors: list[StaffMember] = []
    for kind, pk, name, email, _coach, _sponsor in rows:
        (coaches if kind == 4 else sponsors).append(StaffMember(pk, name or email, email))
    return coaches, sponsors


def cohort_staff(cohort_id: int) -> tuple[list[StaffMember], list[StaffMember]]:
    """The coaches and the sponsors of the cohort ``cohort_id``, by name (1 query; none for
    a cohort outside the organisation)."""
    org_id = tenant_id()
    sql = _COHORT_STAFF_ROWS.format(pad="") + _CHOICES_ORDER
    return _staff_of(fetch_rows(sql, _staff_params(org_id, cohort_id)))


def filter_choices() -> Choices:
    """Teams and functions for the filters of adding learners by filter (1 query)."""
    org_id = tenant_id()
    choices = Choices(teams=[], functions=[])
    for kind, pk, text, _email, _coach, _sponsor in fetch_rows(
        _FILTER_CHOICES_SQL, [org_id, org_id, org_id]
    ):
        if kind == 1:
            choices.teams.append((pk, text))
        else:
            choices.functions.append(text)
    return choices


@dataclass
class LearnerFilter:
    team: int | None = None
    role: str = ""  # a platform role the learner also holds (coach, sponsor, admin)
    function: str = ""
    job_title: str = ""  # any part of the job title, whatever the capitals


@dataclass(frozen=True)
class MatchedLearner:
    membership_id: int
    email: str


def matching_learners(
    cohort: Cohort, learner_filter: LearnerFilter
) -> tuple[list[MatchedLearner], int]:
    """Active learners matching every filter set: those not yet in the cohort (by e-mail), and
    how many already are (1 query). Withdrawn learners count as already in the cohort; re-add
    them one by one."""
    people = Membership.objects.filter(is_active=True, is_learner=True)
    if learner_filter.team:
        people = people.filter(team_id=learner_filter.team)
    if learner_filter.role in Role.values:
        people = people.filter(**{f"is_{learner_filter.role}": True})
    if learner_filter.function:
        people = people.filter(function=learner_filter.function)
    if learner_filter.job_title.strip():
        people = people.filter(job_title__icontains=learner_filter.job_title.strip())
    rows = list(
        people.annotate(
            enrolled=Exists(Enrollment.objects.filter(cohort=cohort, learner=OuterRef("pk")))
        )
        .order_by("user__email")
        .values_list("pk", "user__email", "enrolled")
    )
    to_add = [MatchedLearner(pk, email) for pk, email, enrolled in rows if not enrolled]
    already = sum(1 for _pk, _email, enrolled in rows if enrolled)
    return to_add, already


def published_versions() -> list[PathwayVersion]:
    return list(
        PathwayVersion.objects.filter(status=PathwayVersion.Status.PUBLISHED)
        .select_related("pathway")
        .order_by("pathway__name", "-number")
    )
