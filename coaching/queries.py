"""Reads for coaching pages, the API and other areas (a fixed number of queries each)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, NamedTuple

from django.core.paginator import Page, Paginator
from django.db.models import (
    Avg,
    Count,
    Exists,
    Max,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Sum,
    Window,
)
from django.utils import dateformat, timezone
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext, ngettext

from coaching.models import (
    CalendarFeed,
    CoachingEngagement,
    CoachingSession,
    EngagementFocus,
    Experiment,
    Goal,
    JournalEntry,
    Observation,
    ObservationInvite,
    PeerFeedback,
    Rehearsal,
    SessionCompetency,
    SessionParticipant,
    ThreeWayNote,
)
from measurement.models import LearnerProgressRollup
from measurement.services import period_for
from organizations.models import Membership
from organizations.raw_queries import (
    contains_param,
    contains_sql,
    counted_page,
    date_of,
    fetch_row_sets,
    fetch_rows,
    moment_of,
    moment_param,
    tenant_id,
)
from organizations.tenancy import current_org
from organizations.words import words
from pathways.cohorts import counts as cohort_counts
from pathways.learning import next_actions
from pathways.learning.next_actions import NextAction
from pathways.models import (
    CohortCoach,
    Enrollment,
    SelfAssessment,
    VersionCompetency,
)
from projects.models import Project
from projects.queries import (
    ProjectLink,
    project_links,
    projects_of_learners,
)


class Coachee(NamedTuple):
    """One enrolment of a coachee on the coach's home (the roster's rows, the first to talk
    to) and in the roster's export. A named tuple: a home makes thirty, each made in a third
    of a frozen dataclass's time."""

    enrollment_id: int
    learner_id: int
    name: str
    email: str
    team: str
    pathway: str
    cohort: str
    status: str
    # From the progress roll-up; None until the learner's first roll-up has run.
    steps_done: int | None = None
    steps_total: int | None = None
    steps_overdue: int = 0

    @property
    def percent(self) -> int | None:
        if not self.steps_total or self.steps_done is None:
            return None
        return round(100 * self.steps_done / self.steps_total)

    @property
    def not_started(self) -> bool:
        return self.steps_done == 0

    # The roster table's texts, as its template would translate them: computed in Python, a
    # fraction of the cost of a ``blocktranslate`` per row (the names escaped, as it does).
    @property
    def progress_aria(self) -> str:
        return mark_safe(gettext("Progress of %(name)s") % {"name": conditional_escape(self.name)})  # noqa: S308

    @property
    def progress_label(self) -> str:
        return gettext("%(percent)s%% · %(done)s of %(possible)s required steps") % {
            "percent": self.percent,
            "done": self.steps_done,
            "possible": self.steps_total,
        }

    @property
    def overdue_label(self) -> str:
        n = self.steps_overdue
        return ngettext("%(n)s step", "%(n)s steps", n) % {"n": n}

    @property
    def steps_overdue_label(self) -> str:
        n = self.steps_overdue
        return ngettext("%(n)s step overdue", "%(n)s steps overdue", n) % {"n": n}

    @property
    def email_label(self) -> str:
        return mark_safe(gettext("E-mail %(name)s") % {"name": conditional_escape(self.name)})  # noqa: S308


# How many coachees the "talk to these first" list names; the rest are counted.
ATTENTION_SHOWN = 5


@dataclass(frozen=True)
class Roster:
    coachees: list[Coachee]
    computed_at: dt.datetime | None

    @property
    def attention(self) -> list[Coachee]:
        """Coachees with overdue steps or not started, most overdue first."""
        return sorted(
            (c for c in self.coachees if c.steps_overdue or c.not_started), key=_attention_order
        )

    @property
    def attention_shown(self) -> list[Coachee]:
        return self.attention[:ATTENTION_SHOWN]

    @property
    def attention_more(self) -> int:
        return max(0, len(self.attention) - ATTENTION_SHOWN)

    @property
    def overdue_count(self) -> int:
        return sum(1 for c in self.coachees if c.steps_overdue)

    @property
    def not_started_count(self) -> int:
        return sum(1 for c in self.coachees if c.not_started)

    @property
    def learner_count(self) -> int:
        return len({c.email for c in self.coachees})


def _attention_order(c: Coachee) -> tuple[int, int, str]:
    """Most overdue steps first, then those who have not started, then by name."""
    return (-c.steps_overdue, 0 if c.not_started else 1, c.name.lower())


def coachee_enrollments(coach: Membership) -> QuerySet[Enrollment]:
    """The enrolments of the learners in the cohorts this coach is assigned to (not withdrawn),
    with what ``coachee_rows`` shows already joined. The API pages this queryset."""
    return (
        Enrollment.objects.filter(cohort__coaches=coach)
        .exclude(status=Enrollment.Status.WITHDRAWN)
        .select_related("learner__user", "learner__team", "cohort", "version__pathway")
    )


def coachee_rows(enrollments: Sequence[Enrollment], period: dt.date | None = None) -> Roster:
    """``enrollments`` (from ``coachee_enrollments``) as roster rows with their progress from the
    roll-up table for ``period`` (default: the current period; 1 query, which also finds the
    newest of the rows read with one ``Max`` over them)."""
    org = current_org()
    if period is None and org is not None:
        period = period_for(org)
    progress = (
        {
            row.enrollment_id: row
            for row in LearnerProgressRollup.objects.filter(
                period=period, enrollment_id__in=[e.pk for e in enrollments]
            ).annotate(newest=Window(Max("computed_at")))
        }
        if enrollments and period is not None
        else {}
    )
    coachees = []
    for e in enrollments:
        row = progress.get(e.pk)
        coachees.append(
            _coachee(
                e,
                row.steps_done if row else None,
                row.steps_total if row else None,
                row.steps_overdue if row else 0,
            )
        )
    newest = next(iter(progress.values())).newest if progress else None  # type: ignore[attr-defined]
    return Roster(coachees=coachees, computed_at=newest)


def _coachee(
    e: Enrollment,
    steps_done: int | None,
    steps_total: int | None,
    steps_overdue: int | None,
    labels: tuple[str, str, str | None] | None = None,
) -> Coachee:
    """A roster row from an enrolment read with its learner and user joined; ``labels``
    (pathway, cohort, team) when read as annotations, else from the enrolment's joined rows."""
    pathway, cohort, team = labels or (
        e.version.pathway.name,
        e.cohort.name,
        e.learner.team.name if e.learner.team else "",
    )
    return Coachee(
        enrollment_id=e.pk,
        learner_id=e.learner_id,
        name=e.learner.user.display_name,
        email=e.learner.user.email,
        team=team or "",
        pathway=pathway,
        cohort=cohort,
        status=e.get_status_display(),
        steps_done=steps_done,
        steps_total=steps_total,
        steps_overdue=steps_overdue or 0,
    )


def coachees_of(coach: Membership) -> Roster:
    """Learners enrolled in the cohorts this coach is assigned to, with their progress from the
    roll-up table for the current period (2 queries whatever their number). The coach sees
    progress and overdue steps, as an admin does; nothing a learner keeps private."""
    return coachee_rows(
        list(
            coachee_enrollments(coach).order_by(
                "learner__user__full_name", "learner__user__email", "id"
            )
        ),
        period=_latest_period(),
    )


# =============================================================================================
# Engagements, sessions, goals, experiments, journal, observations (reader-aware reads)
# =============================================================================================
#
# Every read of private text takes the reader and returns only what they may see (the table in
# ARCHITECTURE.md): private notes go to their author; summaries and experiments to the coach
# and the participant; journal text to its learner, or to their coach for a shared entry; peer
# feedback to its recipient; three-way notes to coach, coachee and sponsor. Admins and
# sponsors read counts (``coaching_counts``) and nothing else.

# Coachees without a session for this long need attention on the coach's home.
NO_SESSION_ATTENTION = dt.timedelta(weeks=4)
SESSIONS_PER_PAGE = 25
ENGAGEMENTS_PER_PAGE = 25
# How many entries of each kind the coach's and learner's pages list (the newest).
LATEST = 20


def _name(m: Membership) -> str:
    return m.user.display_name


@dataclass(frozen=True)
class SessionRow:
    id: int
    title: str
    kind: str
    kind_label: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    minutes: int
    mode_label: str
    location: str
    status: str
    status_label: str
    coach: str
    participants: tuple[str, ...]
    cohort: str

    @property
    def is_group(self) -> bool:
        return self.kind == CoachingSession.Kind.GROUP

    def needs_log(self, now: dt.datetime) -> bool:
        return self.status == CoachingSession.Status.SCHEDULED and self.starts_at <= now


def _session_rows(sessions: QuerySet[CoachingSession]) -> list[SessionRow]:
    """Rows with coach, cohort and participants' names (2 queries)."""
    sessions = sessions.select_related("coach__user", "cohort").prefetch_related(
        Prefetch(
            "participants",
            queryset=SessionParticipant.objects.select_related("learner__user").order_by("id"),
        )
    )
    return [
        SessionRow(
            id=s.pk,
            title=s.title,
            kind=s.kind,
            kind_label=s.get_kind_display(),
            starts_at=s.starts_at,
            ends_at=s.ends_at,
            minutes=s.minutes,
            mode_label=s.get_mode_display(),
            location=s.location,
            status=s.status,
            status_label=s.get_status_display(),
            coach=_name(s.coach),
            participants=tuple(_name(p.learner) for p in s.participants.all()),
            cohort=s.cohort.name if s.cohort else "",
        )
        for s in sessions
    ]


@dataclass(frozen=True)
class AttentionRow:
    name: str
    engagement_id: int
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class OtherOrganisation:
    name: str
    slug: str


# How many rows each part of the coach's home shows; the rest are counted and one link away
# (all sessions, the roster's pages), so the page stays the same size whatever the coach's load.
SESSIONS_SHOWN = 10
TO_LOG_SHOWN = 10
ENGAGEMENT_ATTENTION_SHOWN = 10
COACHEES_PER_PAGE = 25
ROSTER_VIEWS = ("all", "overdue", "not_started", "not_counted")


@dataclass(frozen=True)
class CoachHome:
    today: list[SessionRow]
    this_week: list[SessionRow]
    upcoming_more: bool  # more sessions this week than shown
    to_log: list[SessionRow]
    to_log_count: int
    attention: list[AttentionRow]
    attention_count: int
    engagements: int
    other_organisations: list[OtherOrganisation]


def _or_none(period: dt.date | None) -> dt.date:
    """``period``, or a date no roll-up has when there is none yet (so a filter matches none)."""
    return period or dt.date.min


def latest_period() -> dt.date | None:
    """The organisation's latest progress roll-up period (1 query: an index's last entry)."""
    return LearnerProgressRollup.objects.aggregate(period=Max("period"))["period"]


_latest_period = latest_period


_UNSET: Any = object()


# The coach's home, read on every visit: its fixed reads written once as SQL (no queryset to
# compile), each base table filtered on the organisation (what the scoped manager adds) and
# run under row-level security like every query. ``{period}`` is the latest roll-up's period:
# a parameter when known, else the last entry of the roll-up's index, read in the statement.
# Statuses are the models' choices, written into the texts (``_is``), so that they cannot drift.
def _is(choice: Any) -> str:
    """``choice`` (a model's ``TextChoices`` member) as an SQL string literal."""
    value = str(choice.value)
    assert value.replace("_", "").isalnum(), value  # a fixed word: nothing to escape
    return f"'{value}'"


def _compact(sql: str) -> str:
    """``sql`` with each run of white space one space, a space kept at either end that had
    some: the home's statement is sent on every visit, and psycopg keeps its conversion (its
    placeholders found) only for a text of at most ``MAX_CACHED_STATEMENT_LENGTH`` bytes. For
    these texts alone: none has a comment or a quoted space."""
    lead = " " if sql[:1].isspace() else ""
    tail = " " if sql[-1:].isspace() else ""
    return lead + " ".join(sql.split()) + tail


_WITHDRAWN = _is(Enrollment.Status.WITHDRAWN)
_ACTIVE_ENGAGEMENT = _is(CoachingEngagement.Status.ACTIVE)
_SCHEDULED = _is(CoachingSession.Status.SCHEDULED)
_HELD = _is(CoachingSession.Status.HELD)
_ATTENDED = _is(SessionParticipant.Attendance.ATTENDED)
_OPEN_EXPERIMENT = _is(Experiment.Status.OPEN)
_RUNNING_PROJECT = _is(Project.Status.RUNNING)

_PERIOD_READ = (
    "(SELECT MAX(lp.period) FROM measurement_learnerprogressrollup lp"
    " WHERE lp.organization_id = %s)"
)
_COACH_COHORTS = (
    "SELECT cc.cohort_id FROM pathways_cohortcoach cc"
    " WHERE cc.organization_id = %s AND cc.membership_id = %s"
)


def _period_sql(period: dt.date | None | Any, org: int) -> tuple[str, list[Any]]:
    """``{period}`` of the statements above and its parameters."""
    if period is _UNSET:
        return _PERIOD_READ, [org]
    return "%s", [_or_none(period)]


# The coach's current enrolments and the people they are (``en`` below), counted from the
# enrolments; parameters: the organisation, then the cohorts'.
_ENROLMENTS_COUNTED = f"""SELECT COUNT(*) AS n, COUNT(DISTINCT se.learner_id) AS learners
    FROM pathways_enrollment se
    WHERE se.organization_id = %s AND se.cohort_id IN ({{cohorts}})
        AND NOT (se.status = {_WITHDRAWN})"""  # noqa: S608 - fixed text
# The same on PostgreSQL, where each cohort's enrolments and each coach's people are kept
# counted at write time (``pathways.cohorts.counts``): the enrolments are the sum of the kept
# counts, the people the coach's kept row (a person in two of the coach's cohorts once).
# Parameters (``_enrolments_sql``): the organisation and the cohorts' for the kept counts, the
# organisation and the coach.
_ENROLMENTS_KEPT = """SELECT ({counted}) AS n, ({learners}) AS learners"""


_ENROLMENTS_COUNTED_SQL = _compact(_ENROLMENTS_COUNTED.format(cohorts=_COACH_COHORTS))
_ENROLMENTS_KEPT_SQL = _compact(
    _ENROLMENTS_KEPT.format(
        counted=cohort_counts.CURRENT_ENROLMENTS_SQL.format(cohorts=_COACH_COHORTS),
        learners=cohort_counts.COACH_LEARNERS_SQL,
    )
)


def _enrolments_sql(org: int, cohort_params: list[Any]) -> tuple[str, list[Any]]:
    """``{enrolments}`` of ``_SUMMARY_SQL`` with its parameters (``cohort_params`` those of
    ``_COACH_COHORTS``: the organisation and the coach): from the kept counts where they are
    kept, else counted."""
    if not cohort_counts.stored():
        return _ENROLMENTS_COUNTED_SQL, [org, *cohort_params]
    return _ENROLMENTS_KEPT_SQL, [org, *cohort_params, *cohort_params]


# Every count of the roster and of the home in one row: the enrolments and the people they
# are (``{enrolments}``: kept counts on PostgreSQL, ``enrollment_cohort_current`` elsewhere);
# the progress figures from the coach's cohorts' roll-up rows
# (``CohortProgressRollup``, one a cohort), not counted from their learners' rows. Coachees to
# talk to first are those overdue and those not started with nothing overdue: the latter an
# equality range of ``learnerrollup_attention`` (its order and condition written as it is
# indexed), read only for a cohort with someone not started.
_SUMMARY_SQL = _compact("""
SELECT {period}, en.n, en.learners, pr.counted, pr.overdue, pr.not_started, pr.attention,
    pr.as_of{home_columns}{attention_columns}
FROM (
    {enrolments}
) en CROSS JOIN (
    SELECT SUM(sr.counted) AS counted, SUM(sr.learners_overdue) AS overdue,
        SUM(sr.not_started) AS not_started, MAX(sr.computed_at) AS as_of,
        SUM(sr.learners_overdue + CASE WHEN sr.not_started > 0 THEN (
            SELECT COUNT(*) FROM measurement_learnerprogressrollup nr
            WHERE nr.organization_id = sr.organization_id AND nr.period = sr.period
                AND nr.steps_overdue = 0 AND CASE WHEN nr.steps_done = 0 THEN 0 ELSE 1 END = 0
                AND nr.cohort_id = sr.cohort_id AND (nr.steps_overdue > 0 OR nr.steps_done = 0))
            ELSE 0 END) AS attention
    FROM measurement_cohortprogressrollup sr
    WHERE sr.organization_id = %s AND sr.cohort_id IN ({cohorts}) AND sr.period = {period}
) pr{attention}
""")  # noqa: S608 - fixed text
_HOME_COLUMNS = _compact(f""",
    (SELECT COUNT(*) FROM coaching_coachingengagement ae
        WHERE ae.organization_id = %s AND ae.coach_id = %s AND ae.status = {_ACTIVE_ENGAGEMENT}),
    (SELECT COUNT(*) FROM coaching_coachingsession ls
        WHERE ls.organization_id = %s AND ls.coach_id = %s AND ls.starts_at < %s
            AND ls.status = {_SCHEDULED}),
    (SELECT COUNT(*) FROM organizations_membership om
        WHERE om.user_id = %s AND om.is_coach AND om.is_active
            AND NOT (om.organization_id = %s))""")  # noqa: S608 - fixed text

# A coachee's row (``Coachee``): the enrolment ``ce``, its learner ``cm`` and user ``cu``
# joined, the names as probes for the rows read only (few joins keep planning short).
# ``_COACHEE_COLUMNS_OF`` names the three tables' aliases: a read whose one derived table
# already carries the enrolment's, learner's and user's columns names it for all three.
_COACHEE_COLUMNS_OF = """{ce}.id AS c_id, {ce}.learner_id AS c_learner, {cu}.full_name AS c_name,
    {cu}.email AS c_email, {ce}.status AS c_status,
    (SELECT ct.name FROM organizations_team ct
        WHERE ct.organization_id = {ce}.organization_id AND ct.id = {cm}.team_id) AS c_team,
    (SELECT cpw.name FROM pathways_pathwayversion cv
        JOIN pathways_pathway cpw ON cpw.id = cv.pathway_id
        WHERE cv.organization_id = {ce}.organization_id AND cv.id = {ce}.version_id) AS c_pathway,
    (SELECT cco.name FROM pathways_cohort cco
        WHERE cco.organization_id = {ce}.organization_id AND cco.id = {ce}.cohort_id) AS c_cohort"""
_COACHEE_COLUMNS = _COACHEE_COLUMNS_OF.format(ce="ce", cm="cm", cu="cu")

# The first coachees to talk to, along ``learnerrollup_attention``: joined to the summary's
# one row (``_SUMMARY_SQL``'s ``{attention}``), whose ``{period}`` it reads too, and put back in
# their order there (one round trip less than a statement of their own).
_ROSTER_ATTENTION_SQL = f"""
    SELECT {_COACHEE_COLUMNS}, r.steps_done AS c_done, r.steps_total AS c_total,
        r.steps_overdue AS c_overdue, CASE WHEN r.steps_done = 0 THEN 0 ELSE 1 END AS c_started
    FROM measurement_learnerprogressrollup r
    JOIN pathways_enrollment ce ON ce.id = r.enrollment_id
    JOIN organizations_membership cm ON cm.id = ce.learner_id
    JOIN organizations_user cu ON cu.id = cm.user_id
    WHERE r.organization_id = %s AND r.cohort_id IN ({_COACH_COHORTS}) AND r.period = {{period}}
        AND (r.steps_overdue > 0 OR r.steps_done = 0)
    ORDER BY r.steps_overdue DESC, CASE WHEN r.steps_done = 0 THEN 0 ELSE 1 END, cu.full_name,
        r.enrollment_id
    LIMIT {ATTENTION_SHOWN}"""  # noqa: S608 - fixed text
_ROSTER_ATTENTION_COLUMNS = (
    ", at.c_id, at.c_learner, at.c_name, at.c_email, at.c_status, at.c_team, at.c_pathway,"
    " at.c_cohort, at.c_done, at.c_total, at.c_overdue"
)
_ROSTER_ATTENTION_JOIN = _compact(f"""
LEFT JOIN ({_ROSTER_ATTENTION_SQL}
) at ON 1 = 1
ORDER BY at.c_overdue DESC, at.c_started, at.c_name, at.c_id""")

# One page of the roster by name: the page's enrolments found with the columns of their rows
# (the enrolment's, its learner's team, the user's name and e-mail, as the paging query joins
# them anyway), then each of those 25 read with its names and roll-up figures (each a probe of
# its unique index). Probes in the paging query itself would run for every row an offset skips
# (a deep page's 2,500 rows); columns it already joined cost nothing more. The page's size is
# written into the text, and the first page, the one every visit shows, has a text of its own
# without an offset: its prepared statement's generic plan walks the names in order for a page
# (planned once) rather than sorting the roster, where an unknown offset would have PostgreSQL
# plan every request again.
_ROSTER_FIGURES = "rr.steps_done, rr.steps_total, rr.steps_overdue"
# A row's roll-up figures: its one row of the period, one index probe by enrolment for the
# three figures (NULLs for an enrolment the roll-up has not counted yet).
_ROSTER_FIGURES_JOIN = """LEFT JOIN measurement_learnerprogressrollup rr
    ON rr.organization_id = ce.organization_id AND rr.enrollment_id = ce.id
        AND rr.period = {period}"""
_ROSTER_PAGE_SQL = f"""
SELECT {_COACHEE_COLUMNS_OF.format(ce="ce", cm="ce", cu="ce")}, {_ROSTER_FIGURES}
FROM (
    SELECT pe.id, pe.learner_id, pu.full_name, pu.email, pe.status, pe.organization_id,
        pe.version_id, pe.cohort_id, pm.team_id
    FROM pathways_enrollment pe
    JOIN organizations_membership pm ON pm.id = pe.learner_id
    JOIN organizations_user pu ON pu.id = pm.user_id
    WHERE pe.organization_id = %s AND pe.cohort_id IN ({_COACH_COHORTS})
        AND NOT (pe.status = {_WITHDRAWN}){{view}}
    ORDER BY pu.full_name, pu.email, pe.id
    LIMIT {COACHEES_PER_PAGE}{{offset}}
) ce
{_ROSTER_FIGURES_JOIN}
ORDER BY ce.full_name, ce.email, ce.id
"""  # noqa: S608 - fixed text
_ROSTER_VIEW_SQL = f"""
    AND {{negate}}(pe.id IN (
        SELECT vr.enrollment_id FROM measurement_learnerprogressrollup vr
        WHERE vr.organization_id = %s AND vr.cohort_id IN ({_COACH_COHORTS})
            AND vr.period = {{{{period}}}}{{wanted}}))"""  # noqa: S608 - fixed text
_ROSTER_VIEW_WHERE = {
    "all": "",
    "overdue": _ROSTER_VIEW_SQL.format(negate="", wanted=" AND vr.steps_overdue > 0"),
    "not_started": _ROSTER_VIEW_SQL.format(negate="", wanted=" AND vr.steps_done = 0"),
    "not_counted": _ROSTER_VIEW_SQL.format(negate="NOT ", wanted=""),
}


def _roster_page_text(view: str, first: bool, period: str = "%s") -> str:
    """``_ROSTER_PAGE_SQL`` of a view, its first page or a later one (its offset a
    parameter), ``{period}`` written as ``period``: a parameter, or the latest period read in
    the statement (``_PERIOD_READ``) when the first page rides on the summary's statement."""
    where = _ROSTER_VIEW_WHERE[view].format(period=period)
    offset = "" if first else " OFFSET %s"
    return _ROSTER_PAGE_SQL.format(view=where, offset=offset, period=period)


def _roster_page_params(
    view: str, org: int, coach_pk: int, period_params: list[Any], offset: int = 0
) -> list[Any]:
    """The parameters of ``_roster_page_text(view, not offset, …)`` (``period_params`` those
    of one ``{period}``)."""
    view_params = [org, org, coach_pk, *period_params] if _ROSTER_VIEW_WHERE[view] else []
    return [
        org, org, coach_pk, *view_params, *([offset] if offset else []),
        *period_params,  # the page's figures
    ]  # fmt: skip


# Each view's page texts: (view, first page) -> SQL.
_ROSTER_PAGE_TEXTS = {
    (view, first): _roster_page_text(view, first)
    for view in ROSTER_VIEWS
    for first in (True, False)
}
# Each view's first page as the summary's statement reads it (``roster_summary(first_page=…)``):
# the latest period read in the statement, as the summary reads it.
_ROSTER_FIRST_TEXTS = {
    view: _compact(_roster_page_text(view, True, _PERIOD_READ)) for view in ROSTER_VIEWS
}

# The roster searched (or read without the summary's counts): one page of a view's enrolments
# whose name or e-mail contains the search (as Django's ``icontains`` writes it), by name,
# and how many there are, from one statement: the count's one row joined to the page's rows
# (``_ROSTER_PAGE_SQL``'s columns and the count last), so that a page past the end still says
# how many. ``{where}`` is ``_ROSTER_SEARCH_WHERE`` with the view and the search.
_ROSTER_SEARCH_SQL = f"""
SELECT {_COACHEE_COLUMNS}, {_ROSTER_FIGURES}, t.n
FROM (
    SELECT COUNT(*) AS n
    FROM pathways_enrollment pe
    JOIN organizations_membership pm ON pm.id = pe.learner_id
    JOIN organizations_user pu ON pu.id = pm.user_id
    WHERE {{where}}
) t
LEFT JOIN (
    SELECT pe.id, pu.full_name, pu.email
    FROM pathways_enrollment pe
    JOIN organizations_membership pm ON pm.id = pe.learner_id
    JOIN organizations_user pu ON pu.id = pm.user_id
    WHERE {{where}}
    ORDER BY pu.full_name, pu.email, pe.id
    LIMIT %s OFFSET %s
) pg ON 1 = 1
LEFT JOIN pathways_enrollment ce ON ce.id = pg.id
LEFT JOIN organizations_membership cm ON cm.id = ce.learner_id
LEFT JOIN organizations_user cu ON cu.id = cm.user_id
{_ROSTER_FIGURES_JOIN}
ORDER BY pg.full_name, pg.email, pg.id
"""  # noqa: S608 - fixed text
_ROSTER_SEARCH_WHERE = f"""pe.organization_id = %s AND pe.cohort_id IN ({_COACH_COHORTS})
        AND NOT (pe.status = {_WITHDRAWN}){{view}}{{search}}"""  # noqa: S608 - fixed text


def _roster_search_sql(view: str, search: bool) -> str:
    """``_ROSTER_SEARCH_SQL`` of a view, with the search when ``search`` (each backend writes
    its own ``icontains``: read when asked, cheap)."""
    found = ""
    if search:
        found = f"\n        AND ({contains_sql('pu.full_name')} OR {contains_sql('pu.email')})"
    view_where = _ROSTER_VIEW_WHERE[view].format(period="%s")
    where = _ROSTER_SEARCH_WHERE.format(view=view_where, search=found)
    return _ROSTER_SEARCH_SQL.format(where=where, period="%s")


# The coach's sessions with the coach, the cohort and every participant (one row each, by
# id), for ``_home_session_rows``: one head, and the sessions each read wants as its tail
# (an index range of (coach, start) cut to what it shows, and the order).
_SESSIONS_HEAD = """
SELECT s.id, s.title, s.kind, s.starts_at, s.minutes, s.mode, s.location, s.status,
    su.full_name, su.email, sco.name, pu.full_name, pu.email
FROM coaching_coachingsession s
JOIN organizations_membership sm ON sm.id = s.coach_id
JOIN organizations_user su ON su.id = sm.user_id
LEFT JOIN pathways_cohort sco ON sco.id = s.cohort_id
LEFT JOIN coaching_sessionparticipant sp
    ON sp.organization_id = s.organization_id AND sp.session_id = s.id
LEFT JOIN organizations_membership pm ON pm.id = sp.learner_id
LEFT JOIN organizations_user pu ON pu.id = pm.user_id
WHERE s.organization_id = %s AND """
# Both session lists of the home: scheduled this week from today, and past their time. The
# two lists' ids are one set (``UNION ALL``; a session of today already begun is in both, and
# ``IN`` reads it once), so that the sessions are probed by id: two ``IN`` tests joined by
# ``OR`` cannot be, and would scan every session of the organisation (22,000 sessions: 15 ms).
# Each list a derived table, as SQLite takes no parenthesised member of a ``UNION``.
_HOME_SESSIONS_TAIL = f"""s.id IN (
    SELECT u.id FROM (
        SELECT us.id FROM coaching_coachingsession us
        WHERE us.organization_id = %s AND us.coach_id = %s AND us.status = {_SCHEDULED}
            AND us.starts_at >= %s AND us.starts_at < %s
        ORDER BY us.starts_at, us.id
        LIMIT {SESSIONS_SHOWN + 1:d}) u
    UNION ALL
    SELECT n.id FROM (
        SELECT ns.id FROM coaching_coachingsession ns
        WHERE ns.organization_id = %s AND ns.coach_id = %s AND ns.status = {_SCHEDULED}
            AND ns.starts_at < %s
        ORDER BY ns.starts_at, ns.id
        LIMIT {TO_LOG_SHOWN:d}) n)
ORDER BY s.starts_at, s.id, sp.id
"""  # noqa: S608 - fixed text
# The lists' sizes are written in, and the text sent compact (``_compact``).
_HOME_SESSIONS_SQL = _compact(_SESSIONS_HEAD + _HOME_SESSIONS_TAIL)
# One page of the coach's sessions, newest first, with how many there are (for
# ``counted_page``): the count's one row joined to the page's sessions (the head's columns and
# the count last), so that a page past the end still says how many.
_SESSION_PAGE_SQL = """
SELECT s.id, s.title, s.kind, s.starts_at, s.minutes, s.mode, s.location, s.status,
    su.full_name, su.email, sco.name, pu.full_name, pu.email, t.n
FROM (
    SELECT COUNT(*) AS n FROM coaching_coachingsession cs
    WHERE cs.organization_id = %s AND cs.coach_id = %s
) t
LEFT JOIN coaching_coachingsession s ON s.organization_id = %s AND s.id IN (
    SELECT ps.id FROM coaching_coachingsession ps
    WHERE ps.organization_id = %s AND ps.coach_id = %s
    ORDER BY ps.starts_at DESC, ps.id DESC
    LIMIT %s OFFSET %s)
LEFT JOIN organizations_membership sm ON sm.id = s.coach_id
LEFT JOIN organizations_user su ON su.id = sm.user_id
LEFT JOIN pathways_cohort sco ON sco.id = s.cohort_id
LEFT JOIN coaching_sessionparticipant sp
    ON sp.organization_id = s.organization_id AND sp.session_id = s.id
LEFT JOIN organizations_membership pm ON pm.id = sp.learner_id
LEFT JOIN organizations_user pu ON pu.id = pm.user_id
ORDER BY s.starts_at DESC, s.id DESC, sp.id
"""

# The coach's active engagements by name with what would make their coachee need attention
# (``_attention_rows``): the last session held, open experiments past their date, pathway
# steps overdue, project milestones late. Each figure is read once, for the coach's own
# engagements, and judged in Python (a filter in SQL would compute them again).
_ATTENTION_SQL = _compact(f"""
SELECT e.id, au.full_name, au.email,
    (SELECT rs.starts_at FROM coaching_sessionparticipant rp
        JOIN coaching_coachingsession rs ON rs.id = rp.session_id
        WHERE rp.organization_id = e.organization_id AND rs.coach_id = e.coach_id
            AND rs.status = {_HELD}
            AND rp.learner_id = e.coachee_id
        ORDER BY rs.starts_at DESC LIMIT 1),
    (SELECT COUNT(*) FROM coaching_experiment rx
        WHERE rx.organization_id = e.organization_id AND rx.due_on < %s
            AND rx.status = {_OPEN_EXPERIMENT}
            AND rx.learner_id = e.coachee_id),
    (SELECT SUM(rr.steps_overdue) FROM measurement_learnerprogressrollup rr
        WHERE rr.organization_id = e.organization_id AND rr.period = {{period}}
            AND rr.steps_overdue > 0
            AND rr.learner_id = e.coachee_id),
    (SELECT COUNT(DISTINCT rm.id) FROM projects_projectlearner rpl
        JOIN projects_project rpr ON rpr.id = rpl.project_id
        JOIN projects_milestone rm ON rm.project_id = rpr.id
        WHERE rpl.organization_id = e.organization_id AND rm.approved_on < %s
            AND rm.done_on IS NULL
            AND rpr.status = {_RUNNING_PROJECT} AND rpl.learner_id = e.coachee_id)
FROM coaching_coachingengagement e
JOIN organizations_membership am ON am.id = e.coachee_id
JOIN organizations_user au ON au.id = am.user_id
WHERE e.organization_id = %s AND e.coach_id = %s AND e.status = {_ACTIVE_ENGAGEMENT}
ORDER BY au.full_name, au.email, e.id
""")  # noqa: S608 - fixed text


def _display_name(full_name: str, email: str) -> str:
    """``User.display_name`` of a row's two columns."""
    return full_name or email.split("@")[0]


def _label(choices: Any, value: str) -> str:
    return str(dict(choices).get(value, value))


def _attention_rows(rows: Sequence[tuple[Any, ...]], now: dt.datetime) -> list[AttentionRow]:
    """The engagements of ``_ATTENTION_SQL``'s rows whose coachee needs attention, with the
    reasons (no query): no session held in four weeks, an open experiment past its date,
    pathway steps overdue, a project milestone late."""
    w = words()  # each reason's words looked up once per catalogue
    attention = []
    for pk, full_name, email, last, experiments, steps, milestones in rows:
        reasons = []
        last = moment_of(last) if last is not None else None
        if last is None or last < now - NO_SESSION_ATTENTION:
            reasons.append(w["no session in four weeks"] if last else w["no session held yet"])
        if n := experiments:
            reasons.append(
                w.count("%(n)s overdue experiment", "%(n)s overdue experiments", n) % {"n": n}
            )
        if n := steps:
            reasons.append(
                w.count("%(n)s pathway step overdue", "%(n)s pathway steps overdue", n) % {"n": n}
            )
        if n := milestones:
            reasons.append(
                w.count("%(n)s project milestone late", "%(n)s project milestones late", n)
                % {"n": n}
            )
        if reasons:
            name = _display_name(full_name, email)
            attention.append(AttentionRow(name, pk, tuple(reasons)))
    return attention


# Lazy labels, translated when shown.
_SESSION_KINDS = dict(CoachingSession.Kind.choices)
_SESSION_MODES = dict(CoachingSession.Mode.choices)
_SESSION_STATUSES = dict(CoachingSession.Status.choices)


def _home_session_rows(rows: Sequence[tuple[Any, ...]]) -> list[SessionRow]:
    """``SessionRow`` of the rows of ``_HOME_SESSIONS_SQL`` (one per participant; no query)."""
    # Each label translated once per catalogue (a lazy label's every ``str`` is a catalogue
    # look-up).
    label = words().label

    sessions: dict[int, tuple[tuple[Any, ...], list[str]]] = {}
    for row in rows:
        first, names = sessions.setdefault(row[0], (row, []))
        if row[12] is not None:
            names.append(_display_name(row[11], row[12]))
    result = []
    for (
        pk,
        title,
        kind,
        starts_at,
        minutes,
        mode,
        location,
        status,
        *rest,
    ), names in sessions.values():
        coach_name, coach_email, cohort = rest[:3]
        starts = moment_of(starts_at)
        result.append(
            SessionRow(
                id=pk,
                title=title,
                kind=kind,
                kind_label=label(_SESSION_KINDS, kind),
                starts_at=starts,
                ends_at=starts + dt.timedelta(minutes=minutes),
                minutes=minutes,
                mode_label=label(_SESSION_MODES, mode),
                location=location,
                status=status,
                status_label=label(_SESSION_STATUSES, status),
                coach=_display_name(coach_name, coach_email),
                participants=tuple(names),
                cohort=cohort or "",
            )
        )
    return result


_ENROLMENT_STATUSES = dict(Enrollment.Status.choices)  # lazy labels, translated when shown


def _coachees_of(rows: Sequence[Sequence[Any]]) -> list[Coachee]:
    """``Coachee`` of rows of ``_COACHEE_COLUMNS`` and their roll-up figures (no query); each
    status translated once per catalogue (a lazy label's every ``str`` is a catalogue
    look-up)."""
    w = words()
    new = tuple.__new__  # ``Coachee``'s fields in order, without its keyword handling
    return [
        new(
            Coachee,
            (
                pk,
                learner_id,
                _display_name(full_name, email),
                email,
                team or "",
                pathway,
                cohort,
                w.label(_ENROLMENT_STATUSES, status),
                done,
                total,
                overdue or 0,
            ),
        )
        for pk, learner_id, full_name, email, status, team, pathway, cohort, done, total, overdue in rows
    ]


def home_reads(
    coach: Membership, now: dt.datetime, period: dt.date | None | Any = _UNSET
) -> list[tuple[str, list[Any]]]:
    """The two reads of ``coach_home`` as ``fetch_row_sets`` takes them: the sessions of both
    lists with their participants, the coach's active engagements with what their coachees'
    reasons for attention would say (their pathway steps as of ``period``, the latest roll-up's
    read in the statement when not given). Sent with ``roster_summary``'s statement by
    ``roster_summary(…, home_reads=…)``."""
    org = tenant_id()
    zone = timezone.get_current_timezone()
    day_start = now.astimezone(zone).replace(hour=0, minute=0, second=0, microsecond=0)
    week_end = day_start + dt.timedelta(days=7)
    period_sql, period_params = _period_sql(period, org)
    return [
        (
            _HOME_SESSIONS_SQL,
            [
                org,
                org, coach.pk, moment_param(day_start), moment_param(week_end),
                org, coach.pk, moment_param(now),
            ],
        ),
        (
            # The engagement's organisation and coach, read from its row, in the figures'
            # subqueries: the parameters once.
            _ATTENTION_SQL.format(period=period_sql),
            [
                now.astimezone(zone).date(),
                *period_params,
                timezone.localdate(),
                org, coach.pk,
            ],
        ),
    ]  # fmt: skip


def coach_home(
    coach: Membership,
    now: dt.datetime | None = None,
    *,
    period: dt.date | None = _UNSET,
    summary: RosterSummary | None = None,
) -> CoachHome:
    """The coach's day: sessions today and in the next 7 days, sessions past their time and
    not logged, coachees who need attention (no session in four weeks, an overdue experiment,
    overdue pathway steps, a project milestone late) and the other organisations they coach in;
    each list its first rows and a count. ``period`` is the latest roll-up's (read when not
    given) and ``summary`` a ``roster_summary(…, home_counts=True)`` whose statement already
    counted the engagements, the sessions to log and the other organisations (else one more
    statement counts them). 1 query, whatever the number of sessions, engagements or
    coachees, two reads sent as one statement (``fetch_row_sets``): the sessions of both lists
    with their participants, the coach's active engagements with what their coachees' reasons
    for attention would say (one row each; those with a reason are counted and the first
    shown); a second query, the other organisations' names, only when the summary counted
    some."""
    now = now or timezone.now()
    if summary is None or summary.home is None:
        summary = roster_summary(coach, period, home_counts=True, now=now, attention=False)
    counts = summary.home
    assert counts is not None
    if summary.home_rows is not None:
        session_rows, attention_rows = summary.home_rows
    else:
        session_rows, attention_rows = fetch_row_sets(home_reads(coach, now, summary.period))
    zone = timezone.get_current_timezone()
    day_start = now.astimezone(zone).replace(hour=0, minute=0, second=0, microsecond=0)
    day_end = day_start + dt.timedelta(days=1)
    week_end = day_start + dt.timedelta(days=7)
    rows = _home_session_rows(session_rows)
    upcoming_rows = [s for s in rows if day_start <= s.starts_at < week_end]
    attention = _attention_rows(attention_rows, now)
    return CoachHome(
        today=[s for s in upcoming_rows[:SESSIONS_SHOWN] if s.starts_at < day_end],
        this_week=[s for s in upcoming_rows[:SESSIONS_SHOWN] if s.starts_at >= day_end],
        upcoming_more=len(upcoming_rows) > SESSIONS_SHOWN,
        to_log=[s for s in rows if s.starts_at < now][:TO_LOG_SHOWN],
        to_log_count=counts.to_log,
        attention=attention[:ENGAGEMENT_ATTENTION_SHOWN],
        attention_count=len(attention),
        engagements=counts.engagements,
        # Named only when the summary counted some: most coaches coach in one organisation.
        other_organisations=_other_organisations(coach) if counts.other_organisations else [],
    )


@dataclass(frozen=True)
class HomeCounts:
    """What the coach's home counts besides the roster."""

    engagements: int  # active
    to_log: int  # sessions past their time, not logged
    other_organisations: int  # the others this user coaches in (``_other_organisations``)


_HOME_COUNTS = 3  # the columns of ``_HOME_COLUMNS``, ``HomeCounts``'s fields


@dataclass(frozen=True)
class RosterSummary:
    """The coach's roster in figures: enrolments now, progress as of the latest roll-up."""

    enrolments: int
    learners: int
    counted: int
    overdue: int  # enrolments with overdue steps
    not_started: int
    as_of: dt.datetime | None  # the newest roll-up row counted: rows the roll-up left as they
    # were (their figures did not change) keep the time they last changed
    attention: list[Coachee]  # overdue first, then not started, the first ``ATTENTION_SHOWN``
    attention_total: int
    period: dt.date | None
    home: HomeCounts | None = None  # when asked for (``home_counts``)
    # The rows of ``home_reads``' reads when they were sent with the summary's statement.
    home_rows: list[list[tuple[Any, ...]]] | None = field(default=None, compare=False, repr=False)
    # A roster view's first page when it was read with the summary (``first_page``): the view
    # and its coachees.
    first_page: tuple[str, list[Coachee]] | None = field(default=None, compare=False, repr=False)

    @property
    def not_counted(self) -> int:
        return max(0, self.enrolments - self.counted)

    @property
    def attention_more(self) -> int:
        return max(0, self.attention_total - len(self.attention))

    @property
    def has_attention(self) -> bool:
        """Whether there are coachees to talk to first (a roll-up counted some)."""
        return self.period is not None and self.attention_total > 0

    def count_of(self, view: str) -> int:
        """The number of enrolments in one of ``ROSTER_VIEWS``."""
        return {
            "all": self.enrolments,
            "overdue": self.overdue,
            "not_started": self.not_started,
            "not_counted": self.not_counted,
        }[view]


def _coach_cohorts(coach: Membership) -> QuerySet[Any]:
    return CohortCoach.objects.filter(membership=coach).values("cohort_id")


def roster_summary(
    coach: Membership,
    period: dt.date | None = _UNSET,
    *,
    home_counts: bool = False,
    now: dt.datetime | None = None,
    attention: bool = True,
    home_reads: Sequence[tuple[str, Sequence[Any]]] = (),
    first_page: str | None = None,
) -> RosterSummary:
    """Counts of the coach's roster and the coachees to talk to first (1 query whatever the
    number of coachees: every count in one row, which also reads the latest period when
    ``period`` is not given, joined to the first coachees needing attention with their rows;
    not those without ``attention``, which leaves ``attention`` empty).
    ``home_counts`` adds the counts of the coach's home to the same statement (``home``);
    ``home_reads`` (``home_reads(…)``) go with it too, one statement (``fetch_row_sets``), and
    their rows are kept in ``home_rows`` for ``coach_home``; ``first_page`` (one of
    ``ROSTER_VIEWS``) reads that view's first page by name in the statement too, as of the
    period it reads (``first_page``, for ``roster_page``)."""
    now = now or timezone.now()
    org = tenant_id()
    period_sql, period_params = _period_sql(period, org)
    cohorts = [org, coach.pk]
    home_columns, home_params = "", []
    if home_counts:
        home_columns = _HOME_COLUMNS
        home_params = [org, coach.pk, org, coach.pk, moment_param(now), coach.user_id, org]
    attention_columns, attention_join, attention_params = "", "", []
    if attention:
        attention_columns = _ROSTER_ATTENTION_COLUMNS
        attention_join = _ROSTER_ATTENTION_JOIN.format(period=period_sql)
        attention_params = [org, *cohorts, *period_params]
    enrolments_sql, enrolments_params = _enrolments_sql(org, cohorts)
    params = [*period_params, *home_params, *enrolments_params, org, *cohorts, *period_params,
              *attention_params]  # fmt: skip
    sql = _SUMMARY_SQL.format(
        enrolments=enrolments_sql,
        period=period_sql,
        cohorts=_COACH_COHORTS,
        home_columns=home_columns,
        attention_columns=attention_columns,
        attention=attention_join,
    )
    reads: list[tuple[str, Sequence[Any]]] = [(sql, params), *home_reads]
    if first_page is not None:
        text = (
            _ROSTER_FIRST_TEXTS[first_page]
            if period is _UNSET
            else _ROSTER_PAGE_TEXTS[first_page, True]
        )
        reads.append((text, _roster_page_params(first_page, org, coach.pk, period_params)))
    rows, *more = fetch_row_sets(reads)
    first_rows = more.pop() if first_page is not None else None
    home_rows = more or None
    read_period, enrolments, learners, counted, overdue, not_started, attention_total, as_of = rows[
        0
    ][:8]
    home = rows[0][8 : 8 + _HOME_COUNTS] if home_counts else None
    coachees = 8 + (_HOME_COUNTS if home_counts else 0)
    if period is _UNSET:
        period = date_of(read_period)
    summary = RosterSummary(
        enrolments=int(enrolments or 0),
        learners=int(learners or 0),
        counted=int(counted or 0),
        overdue=int(overdue or 0),
        not_started=int(not_started or 0),
        as_of=moment_of(as_of) if as_of is not None else None,
        attention=[],
        attention_total=int(attention_total or 0),
        period=period,
        home=HomeCounts(*(int(n or 0) for n in home)) if home is not None else None,
        home_rows=home_rows,
        first_page=(
            (first_page, _coachees_of(first_rows))
            if first_page is not None and first_rows is not None
            else None
        ),
    )
    if attention and summary.has_attention:
        first = [row[coachees:] for row in rows if row[coachees] is not None]
        summary = replace(summary, attention=_coachees_of(first))
    return summary


class _RosterRows:
    """One roster view's rows by name, read a page at a time (``_ROSTER_PAGE_SQL``) when the
    paginator slices them; their number is the summary's."""

    def __init__(
        self,
        coach: Membership,
        period: dt.date | None,
        view: str,
        count: int,
        first: list[Coachee] | None = None,
    ):
        self.coach, self.period, self.view, self._count = coach, period, view, count
        self.first = first  # the first page, when the summary's statement read it

    def count(self) -> int:
        return self._count

    def __getitem__(self, window: slice) -> list[Coachee]:
        start = window.start or 0
        # The paginator asks for one page at most: ``COACHEES_PER_PAGE`` rows, fewer on the last.
        assert window.stop - start <= COACHEES_PER_PAGE, window
        if start == 0 and self.first is not None:
            return self.first[: window.stop]
        org = tenant_id()
        params = _roster_page_params(self.view, org, self.coach.pk, [_or_none(self.period)], start)
        rows = fetch_rows(_ROSTER_PAGE_TEXTS[self.view, start == 0], params)
        return _coachees_of(rows[: window.stop - start])


def roster_page(
    coach: Membership,
    period: dt.date | None,
    view: str,
    q: str,
    page_number: Any,
    summary: RosterSummary | None = None,
) -> Page:
    """One page of the coach's roster (``Coachee`` rows with progress from the roll-up of
    ``period``), by name: ``view`` is one of ``ROSTER_VIEWS``, ``q`` part of a name or e-mail.
    One query: the page's rows with their roll-up figures when ``summary`` already counted
    the view (no search); else those rows and their count (``_ROSTER_SEARCH_SQL``)."""
    q = q.strip()
    if summary is not None and not q:
        first = (
            summary.first_page[1] if summary.first_page and summary.first_page[0] == view else None
        )
        rows = _RosterRows(coach, period, view, summary.count_of(view), first)
        return Paginator(rows, COACHEES_PER_PAGE).get_page(page_number)  # type: ignore[arg-type]
    org = tenant_id()
    period = _or_none(period)
    view_params = [org, org, coach.pk, period] if _ROSTER_VIEW_WHERE[view] else []
    search_params = [contains_param(q), contains_param(q)] if q else []
    where_params = [org, org, coach.pk, *view_params, *search_params]
    sql = _roster_search_sql(view, bool(q))

    def read(offset: int, limit: int) -> tuple[list[Coachee], int]:
        rows = fetch_rows(sql, [*where_params, *where_params, limit, offset, period])
        return _coachees_of([row[:-1] for row in rows if row[0] is not None]), rows[0][-1]

    return counted_page(read, page_number, COACHEES_PER_PAGE)


_OTHER_ORGANISATIONS_SQL = """
SELECT oo.name, oo.slug
FROM organizations_membership om
JOIN organizations_organization oo ON oo.id = om.organization_id
WHERE om.user_id = %s AND om.is_coach AND om.is_active AND NOT (om.organization_id = %s)
ORDER BY oo.name
"""


def _other_organisations(coach: Membership) -> list[OtherOrganisation]:
    """The other organisations this user coaches in (1 query). The one read of the home not
    filtered on the organisation in context, by design: the membership table's own-user policy
    lets a user see their own memberships elsewhere, and nothing else of them."""
    from organizations.tenancy import _current_user_id

    if _current_user_id.get() is None:
        return []
    return [
        OtherOrganisation(name, slug)
        for name, slug in fetch_rows(_OTHER_ORGANISATIONS_SQL, [coach.user_id, tenant_id()])
    ]


def coach_sessions(coach: Membership, page_number: str | int | None) -> Page:
    """The coach's sessions, newest first, a page at a time: one query, the page's rows along
    the (coach, start) index with their participants and the number of sessions (one more
    only for a page number the paginator corrects); each item a ``SessionRow``."""
    org = tenant_id()

    def read(offset: int, limit: int) -> tuple[list[SessionRow], int]:
        rows = fetch_rows(_SESSION_PAGE_SQL, [org, coach.pk, org, org, coach.pk, limit, offset])
        # One row without a session when the page is empty: the number alone.
        return _home_session_rows([r for r in rows if r[0] is not None]), int(rows[0][13])

    return counted_page(read, page_number, SESSIONS_PER_PAGE)


SESSION_EXPORT_HEADERS = (
    "Session",
    "Kind",
    "Starts",
    "Minutes",
    "Mode",
    "Location",
    "Cohort",
    "Participants",
    "Status",
)


def coach_session_export_rows(coach: Membership) -> Iterator[tuple[Any, ...]]:
    """Every session of the coach, newest first, as export rows (``SESSION_EXPORT_HEADERS``;
    start in the organisation's time zone): what the sessions list shows, never notes or
    summaries. Two queries whatever the number: the participants' names of all the coach's
    sessions at once, then the sessions streamed in chunks."""
    names: dict[int, list[str]] = defaultdict(list)
    for session_id, full_name, email in (
        SessionParticipant.objects.filter(session__coach=coach)
        .order_by("session_id", "id")
        .values_list("session_id", "learner__user__full_name", "learner__user__email")
    ):
        names[session_id].append(full_name or email.split("@")[0])
    sessions = (
        CoachingSession.objects.filter(coach=coach)
        .select_related("cohort")
        .order_by("-starts_at", "-id")
    )
    for s in sessions.iterator(chunk_size=2000):
        yield (
            s.title,
            s.get_kind_display(),
            timezone.localtime(s.starts_at),
            s.minutes,
            s.get_mode_display(),
            s.location,
            s.cohort.name if s.cohort else "",
            ", ".join(names.get(s.pk, [])),
            s.get_status_display(),
        )


ROSTER_EXPORT_HEADERS = (
    "Name",
    "E-mail",
    "Team",
    "Pathway",
    "Cohort",
    "Status",
    "Required steps done",
    "Required steps",
    "Progress %",
    "Steps overdue",
)


def roster_export_rows(roster: Roster) -> list[tuple[Any, ...]]:
    """The coach's roster table as export rows (``ROSTER_EXPORT_HEADERS``; no queries):
    progress and overdue steps, as on the page, nothing a learner keeps private."""
    return [
        (
            c.name,
            c.email,
            c.team,
            c.pathway,
            c.cohort,
            c.status,
            c.steps_done,
            c.steps_total,
            c.percent,
            c.steps_overdue,
        )
        for c in roster.coachees
    ]


# --- One session, as its reader may see it ----------------------------------------------------


@dataclass(frozen=True)
class ParticipantRow:
    learner_id: int
    name: str
    attendance: str
    attendance_label: str
    rating: int | None  # the coach sees each rating of their own session


@dataclass(frozen=True)
class ExperimentRow:
    id: int
    learner: str
    kind_label: str
    hypothesis: str
    action: str
    where: str
    due_on: dt.date
    status: str
    status_label: str
    what_happened: str
    learned: str
    project_id: int | None = None
    project_title: str = ""

    @property
    def is_open(self) -> bool:
        return self.status == Experiment.Status.OPEN


def _experiment_rows(qs: QuerySet[Experiment]) -> list[ExperimentRow]:
    return [
        ExperimentRow(
            id=x.pk,
            learner=_name(x.learner),
            kind_label=x.get_kind_display(),
            hypothesis=x.hypothesis,
            action=x.action,
            where=x.where,
            due_on=x.due_on,
            status=x.status,
            status_label=x.get_status_display(),
            what_happened=x.what_happened,
            learned=x.learned,
            project_id=x.project.pk if x.project else None,
            project_title=x.project.title if x.project else "",
        )
        for x in qs.select_related("learner__user", "project")
    ]


@dataclass(frozen=True)
class PeerFeedbackRow:
    giver: str
    what_worked: str
    what_to_try: str
    created_at: dt.datetime


@dataclass(frozen=True)
class SessionDetail:
    row: SessionRow
    is_coach: bool
    participants: list[ParticipantRow]
    private_notes: str  # "" unless the reader wrote them
    shared_summary: str  # "" unless the reader is the coach or a participant
    competencies: list[str]
    experiments: list[ExperimentRow]
    conversation_template: str
    questions: list[str]
    my_rating: int | None
    my_attendance: str
    feedback_received: list[PeerFeedbackRow]
    feedback_given_to: set[int]
    # The coachee's project a 1:1 works on, for its coach and its participant.
    project: ProjectLink | None = None

    @property
    def logged(self) -> bool:
        return self.row.status == CoachingSession.Status.HELD


def session_detail(reader: Membership, session_id: int) -> SessionDetail:
    """The session for its coach or one of its participants (else ``DoesNotExist``); private
    notes only for the coach; peer feedback only the reader's own (at most 9 queries)."""
    session = (
        CoachingSession.objects.filter(pk=session_id)
        .filter(Q(coach=reader) | Q(participants__learner=reader))
        .select_related("conversation_template")
        .distinct()
        .get()
    )
    is_coach = session.coach_id == reader.pk
    [row] = _session_rows(CoachingSession.objects.filter(pk=session.pk))
    participants = list(
        SessionParticipant.objects.filter(session=session).select_related("learner__user")
    )
    mine = next((p for p in participants if p.learner_id == reader.pk), None)
    experiments = Experiment.objects.filter(session=session)
    if not is_coach:
        experiments = experiments.filter(learner=reader)
    template = session.conversation_template
    return SessionDetail(
        row=row,
        is_coach=is_coach,
        participants=[
            ParticipantRow(
                learner_id=p.learner_id,
                name=_name(p.learner),
                attendance=p.attendance,
                attendance_label=p.get_attendance_display() if p.attendance else "",
                rating=p.rating if is_coach else None,
            )
            for p in participants
        ],
        private_notes=session.private_notes if is_coach else "",
        shared_summary=session.shared_summary,
        competencies=list(
            SessionCompetency.objects.filter(session=session)
            .order_by("competency__name")
            .values_list("competency__name", flat=True)
        ),
        experiments=_experiment_rows(experiments),
        conversation_template=template.title if template else "",
        questions=template.question_list if template else [],
        my_rating=mine.rating if mine else None,
        my_attendance=mine.attendance if mine else "",
        feedback_received=[
            PeerFeedbackRow(_name(f.giver), f.what_worked, f.what_to_try, f.created_at)
            for f in PeerFeedback.objects.filter(session=session, recipient=reader).select_related(
                "giver__user"
            )
        ],
        feedback_given_to=set(
            PeerFeedback.objects.filter(session=session, giver=reader).values_list(
                "recipient_id", flat=True
            )
        ),
        project=project_links(reader, [session.project_id]).get(session.project_id)
        if session.project_id
        else None,
    )


def linkable_projects(detail: SessionDetail) -> list[tuple[int, str]]:
    """The projects a 1:1 session may work on: its coachee's, as ``(id, title)`` (1 query);
    none for a group session."""
    if detail.row.is_group or len(detail.participants) != 1:
        return []
    coachee = detail.participants[0].learner_id
    return projects_of_learners([coachee]).get(coachee, [])


# --- The project page: sessions that worked on a project ---------------------------------------


@dataclass(frozen=True)
class ProjectSessionRow:
    """A session linked to a project, as the project page shows it: when, how long, its state
    and its coach; never its notes or its summary."""

    id: int
    starts_at: dt.datetime
    minutes: int
    status: str
    status_label: str
    coach: str
    can_open: bool  # the reader is its coach or its participant: the session page is theirs


@dataclass(frozen=True)
class ProjectSessions:
    rows: list[ProjectSessionRow]
    total: int


def project_sessions(reader: Membership, project_id: int) -> ProjectSessions:
    """The coaching sessions linked to a project that ``reader`` may know of, latest first (at
    most ``LATEST``; 2 queries). Session dates follow "session counts, hours, attendance":
    an admin sees every one; anyone else only those they coach or take part in, so neither a
    sponsor nor a co-learner learns of another person's coaching."""
    takes_part = Exists(SessionParticipant.objects.filter(session=OuterRef("pk"), learner=reader))
    sessions = CoachingSession.objects.filter(project_id=project_id).annotate(takes_part=takes_part)
    if not reader.is_admin:
        sessions = sessions.filter(Q(coach=reader) | Q(takes_part=True))
    total = sessions.count()
    rows = [
        ProjectSessionRow(
            id=s.pk,
            starts_at=s.starts_at,
            minutes=s.actual_minutes or s.minutes,
            status=s.status,
            status_label=s.get_status_display(),
            coach=_name(s.coach),
            can_open=s.coach_id == reader.pk or s.takes_part,
        )
        for s in sessions.select_related("coach__user").order_by("-starts_at", "-id")[:LATEST]
    ]
    return ProjectSessions(rows, total)


# --- The learner's coaching page ----------------------------------------------------------------


@dataclass(frozen=True)
class GoalRow:
    id: int
    title: str
    competency: str
    success_measure: str
    target_date: dt.date
    progress: int
    status: str
    status_label: str
    reflection: str


def _goal_rows(qs: QuerySet[Goal]) -> list[GoalRow]:
    return [
        GoalRow(
            g.pk,
            g.title,
            g.competency.name if g.competency else "",
            g.success_measure,
            g.target_date,
            g.progress,
            g.status,
            g.get_status_display(),
            g.reflection,
        )
        for g in qs.select_related("competency")
    ]


@dataclass(frozen=True)
class ObservationRow:
    id: int
    learner: str
    observer: str
    observer_kind: str
    competency_id: int
    competency: str
    indicator: str
    level_value: int
    level_label: str
    scale_max: int
    situation: str
    behaviour: str
    observed_on: dt.date


def _observation_rows(qs: QuerySet[Observation]) -> list[ObservationRow]:
    scale_max = Max("competency__framework__levels__value")
    return [
        ObservationRow(
            id=o.pk,
            learner=_name(o.learner),
            observer=_name(o.observer),
            observer_kind=o.get_observer_kind_display(),
            competency_id=o.competency_id,
            competency=o.competency.name,
            indicator=o.indicator.text if o.indicator else "",
            level_value=o.level.value,
            level_label=o.level.label,
            scale_max=o.scale_max or o.level.value,
            situation=o.situation,
            behaviour=o.behaviour,
            observed_on=o.observed_on,
        )
        for o in qs.select_related(
            "learner__user", "observer__user", "competency", "indicator", "level"
        ).annotate(scale_max=scale_max)
    ]


@dataclass(frozen=True)
class NoteRow:
    author: str
    text: str
    created_at: dt.datetime


@dataclass(frozen=True)
class RehearsalRow:
    id: int
    scenario_id: int
    scenario: str
    note: str
    consented: bool
    # The latest finished play's ending and choices, only when the reader may see them.
    debrief: str = ""
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class EngagementRow:
    id: int
    coach: str
    coach_email: str
    coachee: str
    sponsor: str
    cohort: str
    starts_on: dt.date
    ends_on: dt.date
    sessions_contracted: int
    sessions_held: int
    focus: tuple[str, ...]
    confidentiality: str
    status_label: str


def _engagement_rows(qs: QuerySet[CoachingEngagement]) -> list[EngagementRow]:
    """Rows with names, focus and sessions held (3 queries)."""
    engagements = list(qs.select_related("coach__user", "coachee__user", "sponsor__user", "cohort"))
    ids = [e.pk for e in engagements]
    focus: dict[int, list[str]] = {}
    for eid, name in (
        EngagementFocus.objects.filter(engagement_id__in=ids)
        .order_by("competency__position", "competency__name")
        .values_list("engagement_id", "competency__name")
    ):
        focus.setdefault(eid, []).append(name)
    held: dict[int, int] = defaultdict(int)
    for coach_id, learner_id, n in (
        SessionParticipant.objects.filter(
            session__status=CoachingSession.Status.HELD,
            attendance=SessionParticipant.Attendance.ATTENDED,
            learner_id__in={e.coachee_id for e in engagements},
            session__coach_id__in={e.coach_id for e in engagements},
        )
        .values("session__coach_id", "learner_id")
        .annotate(n=Count("id"))
        .values_list("session__coach_id", "learner_id", "n")
    ):
        held[coach_id, learner_id] = n  # type: ignore[index]
    return [
        EngagementRow(
            id=e.pk,
            coach=_name(e.coach),
            coach_email=e.coach.user.email,
            coachee=_name(e.coachee),
            sponsor=_name(e.sponsor) if e.sponsor else "",
            cohort=e.cohort.name if e.cohort else "",
            starts_on=e.starts_on,
            ends_on=e.ends_on,
            sessions_contracted=e.sessions_contracted,
            sessions_held=held.get((e.coach_id, e.coachee_id), 0),  # type: ignore[call-overload]
            focus=tuple(focus.get(e.pk, [])),
            confidentiality=e.confidentiality,
            status_label=e.get_status_display(),
        )
        for e in engagements
    ]


@dataclass(frozen=True)
class PastSession:
    row: SessionRow
    summary: str
    my_rating: int | None
    attended: bool


@dataclass(frozen=True)
class LearnerCoaching:
    engagements: list[EngagementRow]
    upcoming: list[SessionRow]
    past: list[PastSession]
    goals: list[GoalRow]
    experiments: list[ExperimentRow]
    observations: list[ObservationRow]
    notes: dict[int, list[NoteRow]]
    rehearsals: list[RehearsalRow]
    feedback_received: list[PeerFeedbackRow]
    # Colleagues who invited this learner to observe them: (their Membership id, name).
    observe_requests: list[tuple[int, str]] = field(default_factory=list)

    @property
    def has_anything(self) -> bool:
        return bool(self.engagements or self.upcoming or self.past)


def learner_coaching(learner: Membership, now: dt.datetime | None = None) -> LearnerCoaching:
    """Everything the learner's own coaching holds for them (about 16 queries, fixed)."""
    from django.utils import timezone

    now = now or timezone.now()
    engagements = _engagement_rows(
        CoachingEngagement.objects.filter(coachee=learner).order_by("-starts_on", "id")
    )
    mine = CoachingSession.objects.filter(participants__learner=learner).exclude(
        status=CoachingSession.Status.CANCELLED
    )
    upcoming = _session_rows(
        mine.filter(status=CoachingSession.Status.SCHEDULED, starts_at__gte=now).order_by(
            "starts_at"
        )
    )
    past = _session_rows(
        mine.filter(status=CoachingSession.Status.HELD).order_by("-starts_at")[:LATEST]
    )
    participation = {
        p["session_id"]: p
        for p in SessionParticipant.objects.filter(
            learner=learner, session_id__in=[s.id for s in past]
        ).values("session_id", "rating", "attendance")
    }
    summaries = dict(
        CoachingSession.objects.filter(pk__in=[s.id for s in past]).values_list(
            "pk", "shared_summary"
        )
    )
    notes: dict[int, list[NoteRow]] = defaultdict(list)
    for n in ThreeWayNote.objects.filter(engagement__coachee=learner).select_related(
        "author__user"
    ):
        notes[n.engagement_id].append(NoteRow(_name(n.author), n.text, n.created_at))
    return LearnerCoaching(
        engagements=engagements,
        upcoming=upcoming,
        past=[
            PastSession(
                row=s,
                summary=summaries.get(s.id, ""),
                my_rating=participation[s.id]["rating"] if s.id in participation else None,
                attended=s.id in participation
                and participation[s.id]["attendance"] == SessionParticipant.Attendance.ATTENDED,
            )
            for s in past
        ],
        goals=_goal_rows(Goal.objects.filter(learner=learner)),
        experiments=_experiment_rows(
            Experiment.objects.filter(learner=learner).order_by("status", "due_on")
        ),
        observations=_observation_rows(Observation.objects.filter(learner=learner)[:LATEST]),
        notes=dict(notes),
        rehearsals=_rehearsal_rows(Rehearsal.objects.filter(engagement__coachee=learner), learner),
        feedback_received=[
            PeerFeedbackRow(_name(f.giver), f.what_worked, f.what_to_try, f.created_at)
            for f in PeerFeedback.objects.filter(recipient=learner)
            .select_related("giver__user")
            .order_by("-created_at")[:LATEST]
        ],
        observe_requests=[
            (i.learner_id, _name(i.learner))
            for i in ObservationInvite.objects.filter(peer=learner).select_related("learner__user")
        ],
    )


def _rehearsal_rows(qs: QuerySet[Rehearsal], learner: Membership | None) -> list[RehearsalRow]:
    """Rehearsals; the debrief of each (the latest finished play's ending and choices) is
    included for the learner, and for the coach only where the learner consented (3 queries)."""
    from pathways.models import ScenarioDecision, ScenarioPlay

    rehearsals = list(qs.select_related("scenario", "engagement"))
    visible = [r for r in rehearsals if learner is not None or r.consented_at is not None]
    plays: dict[tuple[int, int], ScenarioPlay] = {}
    for finished in (
        ScenarioPlay.objects.filter(
            learner_id__in={r.engagement.coachee_id for r in visible},
            scenario_id__in={r.scenario_id for r in visible},
            finished_at__isnull=False,
        )
        .select_related("current_node")
        .order_by("finished_at")
    ):
        plays[finished.learner_id, finished.scenario_id] = finished  # the latest wins
    choices: dict[int, list[str]] = defaultdict(list)
    for play_id, text in (
        ScenarioDecision.objects.filter(play_id__in=[p.pk for p in plays.values()])
        .order_by("sequence")
        .values_list("play_id", "choice__text")
    ):
        choices[play_id].append(text)
    rows = []
    for r in rehearsals:
        play = plays.get((r.engagement.coachee_id, r.scenario_id))
        show = play is not None and (learner is not None or r.consented_at is not None)
        rows.append(
            RehearsalRow(
                id=r.pk,
                scenario_id=r.scenario_id,
                scenario=r.scenario.title,
                note=r.note,
                consented=r.consented_at is not None,
                debrief=(play.current_node.debrief if show and play and play.current_node else ""),
                choices=tuple(choices[play.pk]) if show and play else (),
            )
        )
    return rows


# --- The coach's view of one engagement, the sponsor's three-way view ---------------------------


@dataclass(frozen=True)
class JournalRow:
    id: int
    prompt: str
    text: str
    competency: str
    shared: bool
    created_at: dt.datetime


@dataclass(frozen=True)
class EngagementDetail:
    row: EngagementRow
    coachee_id: int
    role: str  # "coach", "coachee" or "sponsor"
    sessions: list[SessionRow]
    goals: list[GoalRow]
    experiments: list[ExperimentRow]
    shared_journal: list[JournalRow]
    observations: list[ObservationRow]
    notes: list[NoteRow]
    rehearsals: list[RehearsalRow]
    has_sponsor: bool
    # The coachee's projects (id, title), offered when an experiment is agreed.
    projects: list[tuple[int, str]] = field(default_factory=list)


def engagement_detail(reader: Membership, engagement_id: int) -> EngagementDetail:
    """One engagement for its coach, coachee or sponsor (else ``DoesNotExist``). The sponsor
    gets the agreement and the three-way notes only; nothing else is even read for them."""
    engagement = (
        CoachingEngagement.objects.filter(pk=engagement_id)
        .filter(Q(coach=reader) | Q(coachee=reader) | Q(sponsor=reader))
        .get()
    )
    role = (
        "coach"
        if engagement.coach_id == reader.pk
        else "coachee"
        if engagement.coachee_id == reader.pk
        else "sponsor"
    )
    [row] = _engagement_rows(CoachingEngagement.objects.filter(pk=engagement.pk))
    notes = [
        NoteRow(_name(n.author), n.text, n.created_at)
        for n in ThreeWayNote.objects.filter(engagement=engagement).select_related("author__user")
    ]
    if role == "sponsor":
        return EngagementDetail(
            row, engagement.coachee_id, role, [], [], [], [], [], notes, [], True
        )
    coachee = engagement.coachee_id
    sessions = _session_rows(
        CoachingSession.objects.filter(
            coach_id=engagement.coach_id, participants__learner_id=coachee
        ).order_by("-starts_at")[:LATEST]
    )
    journal = JournalEntry.objects.filter(learner_id=coachee, shared_at__isnull=False)
    return EngagementDetail(
        row=row,
        coachee_id=coachee,
        role=role,
        sessions=sessions,
        goals=_goal_rows(Goal.objects.filter(learner_id=coachee)),
        experiments=_experiment_rows(
            Experiment.objects.filter(learner_id=coachee).order_by("status", "due_on")
        ),
        shared_journal=_journal_rows(journal) if role == "coach" else [],
        observations=_observation_rows(Observation.objects.filter(learner_id=coachee)[:LATEST]),
        notes=notes,
        rehearsals=_rehearsal_rows(
            Rehearsal.objects.filter(engagement=engagement),
            engagement.coachee if role == "coachee" else None,
        ),
        has_sponsor=engagement.sponsor_id is not None,
        projects=projects_of_learners([coachee]).get(coachee, []),
    )


def coach_engagements(coach: Membership) -> list[EngagementRow]:
    return _engagement_rows(
        CoachingEngagement.objects.filter(coach=coach).order_by("coachee__user__full_name", "id")
    )


def sponsor_engagements(sponsor: Membership) -> list[EngagementRow]:
    return _engagement_rows(CoachingEngagement.objects.filter(sponsor=sponsor))


def _engagements_matching(query: str) -> QuerySet[CoachingEngagement]:
    qs = CoachingEngagement.objects.order_by("-starts_on", "id")
    if query:
        qs = qs.filter(
            Q(coach__user__full_name__icontains=query)
            | Q(coachee__user__full_name__icontains=query)
            | Q(coachee__user__email__icontains=query)
        )
    return qs


@dataclass(frozen=True)
class EngagementListRow:
    """A row of the admin's list of engagements, each cell the text the page shows (the
    template escapes it): names, cohort, contract, dates and focus, never what was said."""

    id: int
    coachee: str
    coach: str
    cohort: str  # "—" without a cohort
    sessions: str  # held / contracted
    dates: str  # starts – ends
    focus: str  # the focus competencies, or "—"


# The admin's list of engagements, read on every visit: written once as SQL, no queryset to
# compile. The list's length (also on a page past its end), then a page of engagements (newest
# start first, along ``engagement_start_order``) with their people and cohort, the sessions the
# coachee attended with the coach, and one row per focus competency (in the framework's order).
_ENGAGEMENT_LIST_SQL = f"""
SELECT e.id, e.starts_on, e.ends_on, e.sessions_contracted, eu.full_name, eu.email,
    cu.full_name, cu.email, eco.name,
    (SELECT COUNT(*) FROM coaching_sessionparticipant hp
        JOIN coaching_coachingsession hs ON hs.id = hp.session_id
        WHERE hp.organization_id = %s AND hp.learner_id = e.coachee_id
            AND hp.attendance = {_ATTENDED} AND hs.coach_id = e.coach_id AND hs.status = {_HELD}),
    fc.name, t.n
FROM (
    SELECT COUNT(*) AS n FROM coaching_coachingengagement ne{{search_join}}
    WHERE ne.organization_id = %s{{search}}
) t
LEFT JOIN (
    SELECT ne.id, ne.coach_id, ne.coachee_id, ne.cohort_id, ne.starts_on, ne.ends_on,
        ne.sessions_contracted
    FROM coaching_coachingengagement ne{{search_join}}
    WHERE ne.organization_id = %s{{search}}
    ORDER BY ne.starts_on DESC, ne.id
    LIMIT %s OFFSET %s
) e ON 1 = 1
LEFT JOIN organizations_membership em ON em.id = e.coachee_id
LEFT JOIN organizations_user eu ON eu.id = em.user_id
LEFT JOIN organizations_membership cm ON cm.id = e.coach_id
LEFT JOIN organizations_user cu ON cu.id = cm.user_id
LEFT JOIN pathways_cohort eco ON eco.id = e.cohort_id
LEFT JOIN coaching_engagementfocus f ON f.organization_id = %s AND f.engagement_id = e.id
LEFT JOIN competencies_competency fc ON fc.id = f.competency_id
ORDER BY e.starts_on DESC, e.id, fc.position, fc.name
"""  # noqa: S608 - fixed text
# The search of the list (as ``_engagements_matching``): the coach's or coachee's name, or the
# coachee's e-mail.
_ENGAGEMENT_SEARCH_JOIN = """
    JOIN organizations_membership nem ON nem.id = ne.coachee_id
    JOIN organizations_user neu ON neu.id = nem.user_id
    JOIN organizations_membership ncm ON ncm.id = ne.coach_id
    JOIN organizations_user ncu ON ncu.id = ncm.user_id"""


def _engagement_list_read(query: str) -> Callable[[int, int], tuple[list[EngagementListRow], int]]:
    """``read(offset, limit)`` of the admin's list for the search ``query`` (one statement)."""
    org = tenant_id()
    search_join, search, search_params = "", "", []
    if query:
        search_join = _ENGAGEMENT_SEARCH_JOIN
        search = (
            f" AND ({contains_sql('ncu.full_name')} OR {contains_sql('neu.full_name')}"
            f" OR {contains_sql('neu.email')})"
        )
        search_params = [contains_param(query)] * 3
    sql = _ENGAGEMENT_LIST_SQL.format(search_join=search_join, search=search)

    def read(offset: int, limit: int) -> tuple[list[EngagementListRow], int]:
        rows = fetch_rows(sql, [org, org, *search_params, org, *search_params, limit, offset, org])
        # One row without an engagement when the page is empty: the length alone.
        return _engagement_list_rows([r for r in rows if r[0] is not None]), rows[0][11]

    return read


def _engagement_list_rows(rows: Sequence[tuple[Any, ...]]) -> list[EngagementListRow]:
    """The ``EngagementListRow`` of ``_ENGAGEMENT_LIST_SQL``'s rows (one per focus; no query)."""
    engagements: dict[int, tuple[tuple[Any, ...], list[str]]] = {}
    for row in rows:
        _first, focus = engagements.setdefault(row[0], (row, []))
        if row[10] is not None:
            focus.append(row[10])
    days: dict[Any, str] = {}

    def day(value: Any) -> str:
        # The words of the template's ``date:"j M Y"``, formed once per date on the page.
        if value not in days:
            when = date_of(value)
            assert when is not None  # both dates of an engagement are required
            days[value] = dateformat.format(when, "j M Y")
        return days[value]

    return [
        EngagementListRow(
            id=pk,
            coachee=_display_name(coachee_name, coachee_email),
            coach=_display_name(coach_name, coach_email),
            cohort=cohort or "—",
            sessions=f"{held} / {contracted}",
            dates=f"{day(starts_on)} – {day(ends_on)}",
            focus=", ".join(focus) or "—",
        )
        for (
            pk, starts_on, ends_on, contracted, coachee_name, coachee_email,
            coach_name, coach_email, cohort, held, *_rest,
        ), focus in engagements.values()
    ]  # fmt: skip


def engagement_page(page_number: str | int | None, query: str = "") -> Page:
    """Admin list of engagements (``EngagementListRow``: names, cohort, contract, focus; no
    private text), a page at a time, searchable by a name: one query, the page's rows with
    the list's length; one more only for a page number the paginator corrects."""
    return counted_page(_engagement_list_read(query), page_number, ENGAGEMENTS_PER_PAGE)


ENGAGEMENT_EXPORT_HEADERS = (
    "Coachee",
    "Coachee e-mail",
    "Coach",
    "Coach e-mail",
    "Sponsor",
    "Cohort",
    "Sessions held",
    "Sessions contracted",
    "Starts",
    "Ends",
    "Focus",
    "Status",
)


def engagement_export_rows(query: str = "") -> Iterator[tuple[Any, ...]]:
    """Every engagement the admin list finds for ``query``, as export rows
    (``ENGAGEMENT_EXPORT_HEADERS``): names, contract, focus and sessions held, never what was
    said. Three queries whatever the number: focus and sessions held are read for all matching
    engagements at once, then the engagements are streamed in chunks."""
    qs = _engagements_matching(query)
    focus: dict[int, list[str]] = defaultdict(list)
    for engagement_id, name in (
        EngagementFocus.objects.filter(engagement_id__in=qs.values("pk"))
        .order_by("engagement_id", "competency__position", "competency__name")
        .values_list("engagement_id", "competency__name")
    ):
        focus[engagement_id].append(name)
    held = {
        (coach_id, learner_id): n
        for coach_id, learner_id, n in SessionParticipant.objects.filter(
            session__status=CoachingSession.Status.HELD,
            attendance=SessionParticipant.Attendance.ATTENDED,
            learner_id__in=qs.values("coachee_id"),
        )
        .values("session__coach_id", "learner_id")
        .annotate(n=Count("id"))
        .values_list("session__coach_id", "learner_id", "n")
    }
    rows = qs.select_related("coach__user", "coachee__user", "sponsor__user", "cohort")
    for e in rows.iterator(chunk_size=2000):
        yield (
            _name(e.coachee),
            e.coachee.user.email,
            _name(e.coach),
            e.coach.user.email,
            _name(e.sponsor) if e.sponsor else "",
            e.cohort.name if e.cohort else "",
            held.get((e.coach_id, e.coachee_id), 0),
            e.sessions_contracted,
            e.starts_on,
            e.ends_on,
            ", ".join(focus.get(e.pk, [])),
            e.get_status_display(),
        )


# --- Journal ------------------------------------------------------------------------------------


def _journal_rows(qs: QuerySet[JournalEntry]) -> list[JournalRow]:
    return [
        JournalRow(
            j.pk,
            j.prompt,
            j.text,
            j.competency.name if j.competency else "",
            j.shared_at is not None,
            j.created_at,
        )
        for j in qs.select_related("competency")[: LATEST * 5]
    ]


def shared_with_coach(coach: Membership) -> Q:
    """The journal entries ``coach`` may read: those a coachee of theirs (a coaching engagement
    with this coach) shared, and only while shared; the rule ``engagement_detail`` applies to
    one coachee. A learner reads all of their own; nobody else reads any."""
    return Q(
        shared_at__isnull=False,
        learner_id__in=CoachingEngagement.objects.filter(coach=coach).values("coachee_id"),
    )


def journal(learner: Membership) -> list[JournalRow]:
    """The learner's own entries (the only reader of unshared text)."""
    return _journal_rows(JournalEntry.objects.filter(learner=learner))


PROMPTS = (
    "When did you practise {c} this week, and what happened?",
    "What got in the way of {c} recently, and what would you try next time?",
    "Who around you shows {c} well? What do they do that you could borrow?",
)


def journal_prompts(learner: Membership) -> list[tuple[int, str]]:
    """Prompts from the competencies of the learner's active pathways (1 query)."""
    names = list(
        VersionCompetency.objects.filter(
            version_id__in=Enrollment.objects.filter(
                learner=learner, status=Enrollment.Status.ACTIVE
            ).values("version_id")
        )
        .order_by("competency__position", "competency__name")
        .values_list("competency_id", "competency__name")
        .distinct()[:3]
    )
    return [
        (cid, gettext(PROMPTS[i % len(PROMPTS)]).format(c=name.lower()))
        for i, (cid, name) in enumerate(names)
    ]


# --- Suggested focus ------------------------------------------------------------------------


# Sources of "where this learner has most to gain": each returns competency id -> a score on
# a 0-1 scale where lower means more room to grow: the others' means of the learner's latest
# closed 360 baseline (1-5) and the learner's self-assessment diagnostic (1-10).
def _self_assessment_scores(learner: Membership) -> dict[int, float]:
    rows = SelfAssessment.objects.filter(enrollment__learner=learner).values_list(
        "competency_id", "rating"
    )
    return {cid: (rating - 1) / 9 for cid, rating in rows}  # ratings are 1-10


def _baseline_360_scores(learner: Membership) -> dict[int, float]:
    from measurement.feedback.queries import baseline_others_means

    return {cid: (mean - 1) / 4 for cid, mean in baseline_others_means(learner.pk).items()}


FOCUS_SOURCES = (_baseline_360_scores, _self_assessment_scores)


def suggested_focus(learner: Membership, limit: int = 3) -> list[int]:
    """The competencies to suggest as an engagement's focus: the lowest scores, the 360
    baseline taking precedence over the learner's self-assessment where both exist."""
    scores: dict[int, float] = {}
    for source in reversed(FOCUS_SOURCES):  # earlier sources override later ones
        scores.update(source(learner))
    return [cid for cid, _score in sorted(scores.items(), key=lambda kv: (kv[1], kv[0]))][:limit]


# --- Calendar feed --------------------------------------------------------------------------


def feed_sessions(membership: Membership) -> list[CoachingSession]:
    """Sessions for a person's feed: those they coach or attend, from 30 days back (2
    queries; cancelled ones stay so calendars drop them)."""
    from django.utils import timezone

    since = timezone.now() - dt.timedelta(days=30)
    return list(
        CoachingSession.objects.filter(starts_at__gte=since)
        .filter(Q(coach=membership) | Q(participants__learner=membership))
        .distinct()
        .select_related("coach__user")
        .order_by("starts_at")
    )


def active_feed_secret(membership: Membership) -> str | None:
    return (
        CalendarFeed.objects.filter(membership=membership, revoked_at__isnull=True)
        .order_by("-created_at")
        .values_list("secret", flat=True)
        .first()
    )


# --- Counts for admins and sponsors (the read contract the impact pages use) -----------------


@dataclass(frozen=True)
class CoachingCounts:
    cohort_id: int | None
    coach_id: int | None  # Membership id; None in the per-cohort rows
    coachees: int
    sessions_held: int
    hours: float
    attendance_rate: float | None  # attended / (attended + late-cancelled + no-show)
    no_show_rate: float | None
    rating_mean: float | None
    rating_n: int
    goals_set: int
    goals_achieved: int


def coaching_counts(cohort_ids: Sequence[int], by_coach: bool = False) -> list[CoachingCounts]:
    """Counts per cohort (``by_coach`` False) or per cohort and coach, never text: sessions
    held, hours (actual length), attendance and no-show rates over logged participants, the
    mean session rating with its n, coachees, goals set and achieved (4 queries)."""
    keys = ["cohort_id", "coach_id"] if by_coach else ["cohort_id"]
    held = CoachingSession.objects.filter(
        cohort_id__in=cohort_ids, status=CoachingSession.Status.HELD
    )
    rows: dict[tuple, dict] = defaultdict(dict)
    for r in held.values(*keys).annotate(n=Count("id"), minutes=Sum("actual_minutes")):
        rows[tuple(r[k] for k in keys)].update(sessions=r["n"], minutes=r["minutes"] or 0)
    pkeys = [f"session__{k}" for k in keys]
    A = SessionParticipant.Attendance
    for r in (
        SessionParticipant.objects.filter(session__in=held)
        .values(*pkeys)
        .annotate(
            attended=Count("id", filter=Q(attendance=A.ATTENDED)),
            logged=Count("id", filter=~Q(attendance="")),
            no_show=Count("id", filter=Q(attendance=A.NO_SHOW)),
            rating_n=Count("rating"),
            rating_mean=Avg("rating"),
        )
    ):
        rows[tuple(r[k] for k in pkeys)].update(r)
    for r in (
        CoachingEngagement.objects.filter(cohort_id__in=cohort_ids)
        .values(*keys)
        .annotate(coachees=Count("coachee_id", distinct=True))
    ):
        rows[tuple(r[k] for k in keys)]["coachees"] = r["coachees"]
    gkeys = [f"engagement__{k}" for k in keys]
    for r in (
        Goal.objects.filter(engagement__cohort_id__in=cohort_ids)
        .values(*gkeys)
        .annotate(set=Count("id"), achieved=Count("id", filter=Q(status=Goal.Status.ACHIEVED)))
    ):
        rows[tuple(r[k] for k in gkeys)].update(goals_set=r["set"], goals_achieved=r["achieved"])
    result = []
    for key, r in sorted(rows.items(), key=lambda kv: tuple(x or 0 for x in kv[0])):
        logged = r.get("logged", 0)
        result.append(
            CoachingCounts(
                cohort_id=key[0],
                coach_id=key[1] if by_coach else None,
                coachees=r.get("coachees", 0),
                sessions_held=r.get("sessions", 0),
                hours=round(r.get("minutes", 0) / 60, 2),
                attendance_rate=r["attended"] / logged if logged else None,
                no_show_rate=r["no_show"] / logged if logged else None,
                rating_mean=float(r["rating_mean"]) if r.get("rating_mean") is not None else None,
                rating_n=r.get("rating_n", 0),
                goals_set=r.get("goals_set", 0),
                goals_achieved=r.get("goals_achieved", 0),
            )
        )
    return result


@dataclass(frozen=True)
class ObservationFact:
    observation_id: int
    learner_id: int  # Membership id
    competency_id: int
    indicator_id: int | None
    rating: int  # the proficiency level's value
    scale_max: int
    observed_on: dt.date
    observer_kind: str  # "coach" | "peer"


def observation_facts(learner_ids: Sequence[int] | None = None) -> list[ObservationFact]:
    """Observations as level-3 facts for roll-ups (1 query): no text, no observer."""
    qs = Observation.objects.all()
    if learner_ids is not None:
        qs = qs.filter(learner_id__in=learner_ids)
    return [
        ObservationFact(
            observation_id=r["pk"],
            learner_id=r["learner_id"],
            competency_id=r["competency_id"],
            indicator_id=r["indicator_id"],
            rating=r["level__value"],
            scale_max=r["scale_max"] or r["level__value"],
            observed_on=r["observed_on"],
            observer_kind=r["observer_kind"],
        )
        for r in qs.annotate(scale_max=Max("competency__framework__levels__value"))
        .values(
            "pk",
            "learner_id",
            "competency_id",
            "indicator_id",
            "level__value",
            "scale_max",
            "observed_on",
            "observer_kind",
        )
        .order_by("observed_on", "pk")
    ]


@dataclass(frozen=True)
class GoalFact:
    learner_id: int  # Membership id
    competency_id: int
    goals: int  # set on this competency, in any state
    achieved: int


def goal_facts(learner_ids: Sequence[int]) -> list[GoalFact]:
    """Coaching goals per learner and competency, counts only (1 query): no titles, no
    reflections. Goals that name no competency are left out."""
    return [
        GoalFact(r["learner_id"], r["competency_id"], r["goals"], r["achieved"])
        for r in Goal.objects.filter(learner_id__in=list(learner_ids), competency__isnull=False)
        .values("learner_id", "competency_id")
        .annotate(goals=Count("id"), achieved=Count("id", filter=Q(status=Goal.Status.ACHIEVED)))
        .order_by("learner_id", "competency_id")
    ]


@dataclass(frozen=True)
class CoachedLearner:
    engagement_id: int
    learner_id: int  # Membership id
    name: str
    cohort_id: int | None
    cohort: str
    cohort_start: dt.date | None


def coached_learners(coach: Membership, engagement_id: int | None = None) -> list[CoachedLearner]:
    """The coach's coachees, one row per engagement (or only ``engagement_id``, when it is
    theirs), with the engagement's cohort: who the growth views of a coach may read (1 query).
    Names only, nothing a coachee keeps private."""
    qs = CoachingEngagement.objects.filter(coach=coach)
    if engagement_id is not None:
        qs = qs.filter(pk=engagement_id)
    return [
        CoachedLearner(
            e.pk,
            e.coachee_id,
            _name(e.coachee),
            e.cohort_id,
            e.cohort.name if e.cohort else "",
            e.cohort.start_date if e.cohort else None,
        )
        for e in qs.select_related("coachee__user", "cohort").order_by(
            "coachee__user__full_name", "id"
        )
    ]


def observations_by_competency(learner: Membership) -> dict[int, list[ObservationRow]]:
    """The learner's observations for "my growth", by competency (1 query)."""
    by: dict[int, list[ObservationRow]] = defaultdict(list)
    for row in _observation_rows(Observation.objects.filter(learner=learner)):
        by[row.competency_id].append(row)
    return dict(by)


# --- The learner's next step -------------------------------------------------------------------


# The learner home's coaching facts, read on every visit: written once as SQL, no queryset to
# compile. Open experiments due soon (at most 3), then held sessions attended since a day and
# not rated (at most 2), each ordered by date; the base tables filtered on the organisation.
# Typed NULLs: PostgreSQL types a UNION's columns pair by pair.
_NEXT_ACTIONS_SQL = """
SELECT * FROM (
    SELECT 0 AS part, x.id, x.action AS text, x.due_on,
        CAST(NULL AS timestamptz) AS starts_at, CAST(NULL AS integer) AS session_id
    FROM coaching_experiment x
    WHERE x.organization_id = %s AND x.learner_id = %s AND x.status = %s AND x.due_on <= %s
    ORDER BY x.due_on, x.id
    LIMIT 3
) experiments
UNION ALL
SELECT * FROM (
    SELECT 1, p.id, s.title, CAST(NULL AS date), s.starts_at, s.id
    FROM coaching_sessionparticipant p
    JOIN coaching_coachingsession s ON s.id = p.session_id
    WHERE p.organization_id = %s AND p.learner_id = %s AND p.rating IS NULL
        AND p.attendance = %s AND s.status = %s AND s.starts_at >= %s
    ORDER BY s.starts_at, p.id
    LIMIT 2
) sessions
ORDER BY 1, 4, 5, 2
"""


def next_actions_statement(membership: Membership, today: dt.date) -> tuple[str, list[Any]] | None:
    """The learner home's read of the member's open experiments due within a week (or overdue)
    and the held sessions they attended in the last week but have not rated
    (``next_actions_from`` words it), sent with the home's other reads; None for a member who
    is not a learner."""
    # getattr: the registry's own tests call every source without a member.
    if not getattr(membership, "is_learner", False):
        return None
    # Asked for a week after the session, never overdue: a rating must not push aside a step.
    # "Since" is a day of the active time zone: from its first moment.
    since = today - dt.timedelta(days=7)
    first_moment = timezone.make_aware(dt.datetime.combine(since, dt.time.min))
    return _NEXT_ACTIONS_SQL, [
        tenant_id(),
        membership.pk,
        Experiment.Status.OPEN,
        today + next_actions.SOON,
        tenant_id(),
        membership.pk,
        SessionParticipant.Attendance.ATTENDED,
        CoachingSession.Status.HELD,
        moment_param(first_moment),
    ]


def next_actions_from(
    rows: list[tuple[Any, ...]], membership: Membership, org_slug: str, today: dt.date
) -> list[NextAction]:
    """The actions of ``next_actions_statement``'s rows (no query)."""
    from django.urls import reverse

    if not rows:
        return []
    url = reverse("my_coaching", args=[org_slug])
    actions = []
    for part, pk, text, due_on, starts_at, session_id in rows:
        if part == 0:
            actions.append(
                NextAction(
                    kind="experiment",
                    title=text if len(text) <= 80 else text[:79] + "…",
                    reason=gettext(
                        "The experiment you agreed with your coach: note what happened."
                    ),
                    url=f"{url}#experiment-{pk}",
                    due_on=date_of(due_on),
                )
            )
            continue
        actions.append(
            NextAction(
                kind="rate_session",
                title=gettext("Rate “%(title)s”") % {"title": text},
                reason=gettext("One click: how useful was this session? It helps your coach."),
                url=reverse("session_detail", args=[org_slug, session_id]),
                due_on=moment_of(starts_at).date() + dt.timedelta(days=7),
            )
        )
    return actions


def next_actions_for(membership: Membership, org_slug: str, today: dt.date) -> list[NextAction]:
    """The same actions read by themselves (1 query, none for a member who is not a learner)."""
    return next_actions.Read(next_actions_statement, next_actions_from).alone(
        membership, org_slug, today
    )


@dataclass(frozen=True)
class ReportRow:
    cohort: str
    coach: str  # "" in per-cohort rows
    counts: CoachingCounts

    @property
    def rating_shown(self) -> bool:
        """A mean of fewer than 5 people's ratings would let a reader guess one person's."""
        from measurement.anonymity import cell_is_shown

        return cell_is_shown(self.counts.rating_n)

    @property
    def rating_label(self) -> float | None:
        mean = self.counts.rating_mean
        return round(mean, 2) if mean is not None and self.rating_shown else None

    @property
    def attendance_percent(self) -> int | None:
        rate = self.counts.attendance_rate
        return None if rate is None else round(rate * 100)

    @property
    def no_show_percent(self) -> int | None:
        rate = self.counts.no_show_rate
        return None if rate is None else round(rate * 100)


@dataclass(frozen=True)
class CoachingReport:
    by_cohort: list[ReportRow]
    by_coach: list[ReportRow]
    headers: tuple[str, ...] = (
        "Cohort",
        "Coach",
        "Coachees",
        "Sessions held",
        "Hours",
        "Attendance rate %",
        "No-show rate %",
        "Mean rating (1-5; hidden under 5 ratings)",
        "Ratings (n)",
        "Goals set",
        "Goals achieved",
    )

    @property
    def table_rows(self) -> list[list[object]]:
        return [
            [
                r.cohort,
                r.coach or "All coaches",
                r.counts.coachees,
                r.counts.sessions_held,
                r.counts.hours,
                r.attendance_percent,
                r.no_show_percent,
                r.rating_label,
                r.counts.rating_n,
                r.counts.goals_set,
                r.counts.goals_achieved,
            ]
            for r in [*self.by_cohort, *self.by_coach]
        ]


def coaching_report(
    cohort_ids: Sequence[int], cohort_names: dict[int, str], by_coach: bool
) -> CoachingReport:
    """Counts per cohort, and per cohort and coach when ``by_coach`` (at most 9 queries)."""
    per_cohort = [
        ReportRow(cohort_names.get(c.cohort_id or 0, "—"), "", c)
        for c in coaching_counts(cohort_ids)
    ]
    per_coach: list[ReportRow] = []
    if by_coach:
        counts = coaching_counts(cohort_ids, by_coach=True)
        coaches = {
            m.pk: _name(m)
            for m in Membership.objects.filter(pk__in={c.coach_id for c in counts}).select_related(
                "user"
            )
        }
        per_coach = [
            ReportRow(cohort_names.get(c.cohort_id or 0, "—"), coaches.get(c.coach_id or 0, "—"), c)
            for c in counts
        ]
    return CoachingReport(per_cohort, per_coach)


@dataclass(frozen=True)
class TeamAttendanceMonth:
    """Coaching attendance of one team's learners in one month (their current team)."""

    team_id: int
    month: dt.date  # first day of the month
    logged: int  # places in held sessions with attendance logged
    attended: int
    learners: int  # distinct learners behind those places


def team_attendance_months(
    start: dt.date, end: dt.date, team_ids: Sequence[int] | None = None
) -> list[TeamAttendanceMonth]:
    """Per team and month of held sessions from ``start`` to ``end``: places with attendance
    logged, places attended and the learners behind them. Counts only, never text; ``team_ids``
    limits the teams. 1 query."""
    from django.db.models import DateField
    from django.db.models.functions import TruncMonth

    places = SessionParticipant.objects.filter(
        session__status=CoachingSession.Status.HELD,
        session__starts_at__date__gte=start,
        session__starts_at__date__lte=end,
        learner__team_id__isnull=False,
    ).exclude(attendance="")
    if team_ids is not None:
        places = places.filter(learner__team_id__in=list(team_ids))
    rows = (
        places.annotate(month=TruncMonth("session__starts_at", output_field=DateField()))
        .values("learner__team_id", "month")
        .annotate(
            logged=Count("id"),
            attended=Count("id", filter=Q(attendance=SessionParticipant.Attendance.ATTENDED)),
            learners=Count("learner_id", distinct=True),
        )
        .order_by("learner__team_id", "month")
    )
    return [
        TeamAttendanceMonth(
            r["learner__team_id"], r["month"], r["logged"], r["attended"], r["learners"]
        )
        for r in rows
    ]
