"""Dashboard reads: only roll-up tables, a fixed number of queries."""

from __future__ import annotations

import datetime as dt
import decimal
import json
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, cast

from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import (
    Count,
    F,
    Max,
    OuterRef,
    QuerySet,
    Subquery,
    Sum,
)
from django.utils.translation import gettext as _

from measurement import anonymity
from measurement.models import (
    CostLine,
    ImpactRollup,
    MeasurementPlan,
    Metric,
    MetricValue,
    PlanTeam,
    TeamMetricRollup,
)
from organizations.models import Membership
from organizations.raw_queries import date_of, fetch_row_sets, fetch_rows, moment_of, tenant_id
from organizations.words import words
from pathways.cohorts import counts as cohort_counts
from pathways.models import (
    Cohort,
)

# Aggregates across learners are shown only for cells of at least this many people.
MIN_CELL_SIZE = anonymity.MIN_PEOPLE_PER_CELL


@dataclass(frozen=True)
class TeamCompletion:
    team: str
    learners: int
    finished: int
    mean_completion: float  # 0..1


@dataclass(frozen=True)
class TeamCompletionReport:
    period: dt.date | None
    teams: list[TeamCompletion]
    hidden_teams: int
    computed_at: dt.datetime | None

    @property
    def learners(self) -> int:
        return sum(t.learners for t in self.teams)


# The teams' rows of the latest period, the best completion first.
_TEAM_COMPLETION_SQL = """
SELECT t.name, r.learners, r.learners_finished, r.mean_completion, r.computed_at, r.period
  FROM measurement_teamprogressrollup r
  JOIN organizations_team t ON t.id = r.team_id
 WHERE r.organization_id = %s
   AND r.period = (SELECT max(period) FROM measurement_teamprogressrollup
                    WHERE organization_id = %s)
 ORDER BY r.mean_completion DESC, t.name
"""


def _team_report(rows: list[tuple[Any, ...]]) -> TeamCompletionReport:
    """The report of the rows of ``_TEAM_COMPLETION_SQL`` (no query)."""
    if not rows:
        return TeamCompletionReport(period=None, teams=[], hidden_teams=0, computed_at=None)
    shown = [
        TeamCompletion(name, learners, finished, mean)
        for name, learners, finished, mean, _at, _period in rows
        if anonymity.cell_is_shown(learners)
    ]
    return TeamCompletionReport(
        period=date_of(rows[0][5]),
        teams=shown,
        hidden_teams=len(rows) - len(shown),
        computed_at=max(moment_of(r[4]) for r in rows),
    )


def team_completion() -> TeamCompletionReport:
    """Completion by team for the latest roll-up period (1 statement). Teams with fewer than
    MIN_CELL_SIZE learners are dropped, not folded into another figure."""
    org = tenant_id()
    return _team_report(fetch_rows(_TEAM_COMPLETION_SQL, [org, org]))


@dataclass(frozen=True)
class CohortHealth:
    """One cohort on the admin's programme-health table.

    ``learners`` counts the active learners enrolled now; the progress figures come from the
    latest progress roll-up, which covers ``counted`` of them (learners added since the last
    roll-up are counted when it next runs, within a minute of the change).
    """

    id: int
    name: str
    pathway: str
    version: int
    start_date: dt.date
    end_date: dt.date | None
    status: str
    learners: int
    counted: int
    not_started: int
    steps_done: int
    steps_total: int
    overdue_steps: int
    learners_overdue: int

    @property
    def percent(self) -> int:
        return round(100 * self.steps_done / self.steps_total) if self.steps_total else 0

    @property
    def pending(self) -> int:
        return max(0, self.learners - self.counted)


@dataclass(frozen=True)
class ProgrammeHealth:
    cohorts: list[CohortHealth]
    period: dt.date | None
    computed_at: dt.datetime | None


# Each cohort with its pathway, its current learners and its row of the latest progress
# roll-up period. ``{learners}``: each cohort's current enrolments of active people, its kept
# row on PostgreSQL (``pathways.cohorts.counts``: one probe a cohort, whatever its size), else
# counted in their own subqueries; no enrolment is joined to its person. ``{quality}`` adds,
# for the admin home, what the cohort's impact roll-up says its evidence lacks.
_COHORT_HEALTH_SQL = """
SELECT c.id, c.name, p.name, v.number, c.start_date, c.end_date, c.status, {learners},
       latest.period, r.counted, r.not_started, r.steps_done, r.steps_total, r.steps_overdue,
       r.learners_overdue, r.computed_at{quality_columns}
  FROM pathways_cohort c
  JOIN pathways_pathwayversion v ON v.id = c.version_id
  JOIN pathways_pathway p ON p.id = v.pathway_id
 CROSS JOIN (SELECT max(period) AS period FROM measurement_cohortprogressrollup
              WHERE organization_id = %s) latest
  LEFT JOIN measurement_cohortprogressrollup r
    ON r.organization_id = %s AND r.cohort_id = c.id AND r.period = latest.period{quality_join}
 WHERE c.organization_id = %s
 ORDER BY c.start_date DESC, c.name
"""


def _quality_of_evidence() -> str:
    """The SQL of an impact roll-up's ``data_quality`` evidence as JSON text (NULL without)."""
    if connection.vendor == "postgresql":
        return "(ir.evidence -> 'data_quality')::text"
    return "json_extract(ir.evidence, '$.data_quality')"


def _cohort_health_sql(with_quality: bool) -> tuple[str, list[Any]]:
    """``_COHORT_HEALTH_SQL`` for the organisation in context, and its parameters."""
    org = tenant_id()
    learners, learners_params = cohort_counts.active_learners_sql("c.id", org)
    if with_quality:
        sql = _COHORT_HEALTH_SQL.format(
            learners=learners,
            quality_columns=f", ir.id IS NOT NULL, {_quality_of_evidence()}",
            quality_join="\n  LEFT JOIN measurement_impactrollup ir"
            " ON ir.organization_id = %s AND ir.cohort_id = c.id",
        )
        return sql, [*learners_params, org, org, org, org]
    sql = _COHORT_HEALTH_SQL.format(learners=learners, quality_columns="", quality_join="")
    return sql, [*learners_params, org, org, org]


def _cohort_health_rows(with_quality: bool) -> list[tuple[Any, ...]]:
    """The rows of ``_COHORT_HEALTH_SQL`` (1 statement)."""
    return fetch_rows(*_cohort_health_sql(with_quality))


def _programme_health(rows: list[tuple[Any, ...]]) -> ProgrammeHealth:
    """Programme health from the rows of ``_COHORT_HEALTH_SQL`` (no query)."""
    if not rows:
        return ProgrammeHealth(cohorts=[], period=None, computed_at=None)
    labels = dict(Cohort.Status.choices)
    cohorts = []
    computed_at = None
    for row in rows:
        (pk, name, pathway, version, start, end, status, learners, _period) = row[:9]
        (counted, not_started, done, total, overdue, learners_overdue, at) = row[9:16]
        if at is not None:
            at = moment_of(at)
            if computed_at is None or at > computed_at:
                computed_at = at
        cohorts.append(
            CohortHealth(
                id=pk,
                name=name,
                pathway=pathway,
                version=version,
                start_date=date_of(start),  # type: ignore[arg-type]
                end_date=date_of(end),
                status=str(labels.get(status, status)),
                learners=learners,
                counted=counted or 0,
                not_started=not_started or 0,
                steps_done=done or 0,
                steps_total=total or 0,
                overdue_steps=overdue or 0,
                learners_overdue=learners_overdue or 0,
            )
        )
    return ProgrammeHealth(cohorts=cohorts, period=date_of(rows[0][8]), computed_at=computed_at)


def programme_health() -> ProgrammeHealth:
    """Each cohort's size, progress, overdue steps and learners not started (1 statement,
    whatever the number of cohorts and learners).

    Progress is the learners' own definition (required steps after personalisation and
    elective choices, from ``enrollment_views`` via the roll-up), summed over the enrolments of
    the latest roll-up period, which leaves out withdrawn enrolments and deactivated people
    (one ``CohortProgressRollup`` row per cohort, kept by the progress roll-ups from their
    learners' rows).
    """
    return _programme_health(_cohort_health_rows(with_quality=False))


# --- Impact (sponsor, admin): read ImpactRollup and MetricGroupRollup only -------------------


@dataclass(frozen=True)
class CohortChoice:
    id: int
    name: str
    start_date: dt.date
    has_rollup: bool


@dataclass(frozen=True)
class Level:
    number: str  # "1" … "5", "ROI"
    name: str
    finding: str
    n: str  # the base in words, e.g. "36 learners"
    anchor: str  # where on the page (or which drill-down) the evidence sits


@dataclass(frozen=True)
class GroupPoint:
    period: dt.date
    group: str
    teams: int
    mean_value: float


@dataclass(frozen=True)
class MetricResult:
    metric_id: int
    name: str
    unit: str
    level: str
    higher_is_better: bool
    did: dict[str, Any] | None
    pre_post: dict[str, Any] | None
    pre_trend: dict[str, Any] | None
    too_few: str
    money: Decimal | None
    naive_money: Decimal | None
    participant_teams: int
    comparison_teams: int
    values: int
    series: list[GroupPoint]

    @property
    def change_unit(self) -> str:
        """How a change is spoken of: a change of a percentage is in percentage points."""
        return words()["percentage points"] if self.unit.strip() == "%" else self.unit

    @property
    def ci_in_good_direction(self) -> tuple[float, float] | None:
        if not self.did:
            return None
        low, high = self.did["ci_low"], self.did["ci_high"]
        return (low, high) if self.higher_is_better else (-high, -low)

    @property
    def effect_in_good_direction(self) -> float | None:
        if not self.did:
            return None
        return self.did["estimate"] if self.higher_is_better else -self.did["estimate"]


@dataclass(frozen=True)
class CompetencyChange:
    name: str
    n: int
    hidden: bool
    too_few: str
    mean_change: float | None
    ci_low: float | None
    ci_high: float | None
    d_z: float | None
    d_av: float | None
    reliable: int


@dataclass(frozen=True)
class CohortImpact:
    id: int
    name: str
    start_date: dt.date
    currency: str
    participants: int
    has_comparison: bool
    comparison_label: str
    plan_changed_on: str | None
    costs: Decimal
    benefits: Decimal
    bcr: float | None
    roi_pct: float | None
    payback_months: float | None
    computed_at: dt.datetime
    levels: list[Level]
    behaviour: list[CompetencyChange]
    metrics: list[MetricResult]
    benefit_rows: list[dict[str, Any]]
    cost_rows: list[dict[str, Any]]
    claims: list[dict[str, Any]]
    intangibles: list[str]
    evaluation: list[str]


@dataclass(frozen=True)
class SponsorImpact:
    cohorts: list[CohortChoice]
    selected: CohortImpact | None

    @property
    def choices(self) -> list[CohortChoice]:
        """The cohorts that have impact figures to show."""
        return [c for c in self.cohorts if c.has_rollup]


# The cohorts a reader may see, newest first, each with whether it has an impact roll-up;
# ``{sponsored}`` keeps a sponsor's own.
_VISIBLE_COHORTS_SQL = """
SELECT c.id, c.name, c.start_date,
       EXISTS (SELECT 1 FROM measurement_impactrollup ir
                WHERE ir.organization_id = %s AND ir.cohort_id = c.id)
  FROM pathways_cohort c
 WHERE c.organization_id = %s{sponsored}
 ORDER BY c.start_date DESC, c.name
"""
_SPONSORED = """
   AND c.id IN (SELECT cs.cohort_id FROM pathways_cohortsponsor cs
                 WHERE cs.organization_id = %s AND cs.membership_id = %s)"""


def _visible_cohorts_sql(reader: Membership) -> tuple[str, list[Any]]:
    org = tenant_id()
    if reader.is_admin:
        return _VISIBLE_COHORTS_SQL.format(sponsored=""), [org, org]
    return _VISIBLE_COHORTS_SQL.format(sponsored=_SPONSORED), [org, org, org, reader.pk]


def _cohort_choices(rows: list[tuple[Any, ...]]) -> list[CohortChoice]:
    return [
        CohortChoice(pk, name, date_of(start), bool(rolled))  # type: ignore[arg-type]
        for pk, name, start, rolled in rows
    ]


def visible_cohorts(reader: Membership) -> list[CohortChoice]:
    """The cohorts whose impact ``reader`` may see: an admin all, a sponsor the cohorts they
    sponsor (1 statement)."""
    return _cohort_choices(fetch_rows(*_visible_cohorts_sql(reader)))


# Cohorts (kind 0: id, name, start date, rolled) in their order, then teams (kind 1: the
# columns of ``_TEAM_COMPLETION_SQL``) in theirs.
_COHORTS_AND_TEAMS_SQL = """
SELECT 0, q.*, NULL, NULL, NULL, NULL, NULL, NULL FROM ({cohorts}) q
 UNION ALL
SELECT 1, NULL, NULL, NULL, NULL, t.* FROM ({teams}) t
 ORDER BY 1, 4 DESC, 3, 9 DESC, 6
"""


def _visible_cohorts_and_teams(
    reader: Membership,
) -> tuple[list[CohortChoice], TeamCompletionReport]:
    """``visible_cohorts`` and ``team_completion`` in one round trip: the two reads side by
    side (``UNION ALL``), each row filling its own columns."""
    org = tenant_id()
    cohorts_sql, cohorts_params = _visible_cohorts_sql(reader)
    sql = _COHORTS_AND_TEAMS_SQL.format(cohorts=cohorts_sql, teams=_TEAM_COMPLETION_SQL)
    rows = fetch_rows(sql, [*cohorts_params, org, org])
    cohorts = _cohort_choices([r[1:5] for r in rows if r[0] == 0])
    return cohorts, _team_report([r[5:] for r in rows if r[0] == 1])


def _money(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)


def _pct(part: int, whole: int) -> str:
    return f"{round(100 * part / whole)} %" if whole else "–"


def _levels(
    row: _ImpactRow, metrics: list[MetricResult], behaviour: list[CompetencyChange]
) -> list[Level]:
    kept = words().__getitem__  # the catalogue's kept words
    ev = row.evidence
    reaction = ev.get("reaction")
    modules = ev.get("modules")
    learning = ev.get("learning")
    mastery = ev.get("mastery")
    projects = ev.get("projects")
    levels = []
    if modules:
        finding = kept("modules rated %(u)s of 5 useful and %(r)s of 5 relevant") % {
            "u": modules["useful"],
            "r": modules["relevant"],
        }
        if reaction and reaction.get("rating_mean") is not None:
            finding += kept("; coaching sessions %(m)s of 5") % {"m": reaction["rating_mean"]}
        levels.append(
            Level(
                "1",
                kept("Reaction"),
                finding,
                kept("%(n)s ratings by %(p)s learners")
                % {"n": modules["ratings"], "p": modules["learners"]},
                "levels",
            )
        )
    elif reaction and reaction.get("rating_mean") is not None:
        levels.append(
            Level(
                "1",
                kept("Reaction"),
                kept("coaching sessions rated %(m)s of 5") % {"m": reaction["rating_mean"]},
                kept("%(n)s ratings") % {"n": reaction["rating_n"]},
                "levels",
            )
        )
    else:
        levels.append(
            Level(
                "1",
                kept("Reaction"),
                kept("no session ratings yet"),
                kept("0 ratings"),
                "levels",
            )
        )
    if learning:
        finding = kept("%(share)s finished their pathway") % {
            "share": _pct(learning["finished"], learning["enrolments"])
        }
        if mastery:
            finding += kept("; %(share)s of competency estimates mastered") % {
                "share": _pct(mastery["mastered"], mastery["estimates"])
            }
        levels.append(
            Level(
                "2",
                kept("Learning"),
                finding,
                kept("%(n)s learners") % {"n": learning["learners"]},
                "levels",
            )
        )
    else:
        levels.append(
            Level(
                "2",
                kept("Learning"),
                kept("no progress rolled up yet"),
                kept("0 learners"),
                "levels",
            )
        )
    shown = [c for c in behaviour if c.mean_change is not None]
    if shown:
        up = sum(1 for c in shown if (c.ci_low or 0) > 0)
        levels.append(
            Level(
                "3",
                kept("Behaviour"),
                kept(
                    "%(up)s of %(all)s competencies improved (95 %% CI above 0) in others' 360 ratings"
                )
                % {"up": up, "all": len(shown)},
                kept("%(n)s learners with baseline and follow-up") % {"n": max(c.n for c in shown)},
                "behaviour",
            )
        )
    elif ev.get("observations"):
        seen = ev["observations"]
        levels.append(
            Level(
                "3",
                kept("Behaviour"),
                kept(
                    "%(n)s coach and peer observations, rated %(share)s of the scale on average; no 360 follow-up yet"
                )
                % {"n": seen["observations"], "share": f"{round(100 * seen['mean_share'])} %"},
                kept("%(n)s learners observed") % {"n": seen["learners"]},
                "behaviour",
            )
        )
    else:
        levels.append(
            Level(
                "3",
                kept("Behaviour"),
                kept("no 360 follow-up with enough learners yet"),
                kept("fewer than %(n)s learners per competency") % {"n": MIN_CELL_SIZE},
                "behaviour",
            )
        )
    team = [m for m in metrics if m.level == "team" and (m.did or m.pre_post)]
    team_finding = []
    if projects and projects.get("milestones_due"):
        team_finding.append(
            kept("%(share)s of project milestones on time")
            % {"share": _pct(projects["milestones_on_time"], projects["milestones_due"])}
        )
    for m in team:
        team_finding.append(_metric_phrase(m))
    levels.append(
        Level(
            "4",
            kept("Team results"),
            "; ".join(team_finding) or kept("no team metrics entered yet"),
            kept("%(n)s teams")
            % {
                "n": max(
                    [m.participant_teams for m in team] + [projects["teams"] if projects else 0]
                )
            },
            "results",
        )
    )
    business = [m for m in metrics if m.level == "business" and (m.did or m.pre_post)]
    levels.append(
        Level(
            "5",
            kept("Business results"),
            "; ".join(_metric_phrase(m) for m in business)
            or kept("no business metrics entered yet"),
            kept("%(p)s participant teams vs %(c)s comparison teams")
            % {
                "p": max([m.participant_teams for m in business] + [0]),
                "c": max([m.comparison_teams for m in business] + [0]),
            },
            "results",
        )
    )
    if row.roi_pct is not None:
        levels.append(
            Level(
                "ROI",
                kept("Return on investment"),
                kept("ROI %(roi)s %%, benefit–cost ratio %(bcr)s")
                % {"roi": f"{row.roi_pct:.0f}", "bcr": f"{row.bcr:.2f}"},
                kept("first-year benefits; fully loaded costs"),
                "roi",
            )
        )
    else:
        levels.append(
            Level("ROI", kept("Return on investment"), kept("no costs recorded yet"), "–", "roi")
        )
    return levels


def _metric_phrase(m: MetricResult) -> str:
    kept = words().__getitem__  # the catalogue's kept words
    if m.did:
        effect = m.effect_in_good_direction or 0.0
        word = kept("better") if effect > 0 else kept("worse")
        return kept("%(name)s %(size)s %(unit)s %(word)s than the comparison group") % {
            "name": m.name,
            "size": f"{abs(effect):.1f}",
            "unit": m.change_unit,
            "word": word,
        }
    if m.pre_post:
        return kept("%(name)s changed %(change)s %(unit)s (before/after only: weaker evidence)") % {
            "name": m.name,
            "change": f"{m.pre_post['change']:+.1f}",
            "unit": m.unit,
        }
    return m.name


# The cohort's impact roll-up (kind 0), its group means per metric and month (kind 1), and
# the names of the competencies its behaviour evidence names (kind 2), in one round trip: the
# kinds fill different columns. ``{competency_ids}`` reads the ids from the evidence.
_IMPACT_SQL = """
SELECT 0, ir.costs, ir.benefits, ir.bcr, ir.roi_pct, ir.payback_months, ir.evidence,
       ir.computed_at, NULL, NULL, NULL, NULL, NULL
  FROM measurement_impactrollup ir
 WHERE ir.organization_id = %s AND ir.cohort_id = %s
 UNION ALL
SELECT 1, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
       g.metric_id, g.period, g."group", g.teams, g.mean_value
  FROM measurement_metricgrouprollup g
 WHERE g.organization_id = %s AND g.cohort_id = %s
 UNION ALL
SELECT 2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, co.id, NULL, co.name, NULL, NULL
  FROM competencies_competency co
 WHERE co.organization_id = %s AND co.id IN ({competency_ids})
 ORDER BY 1, 10, 11
"""
_COMPETENCY_IDS = {
    "postgresql": (
        "SELECT (x ->> 'competency_id')::bigint FROM measurement_impactrollup ir,"
        " jsonb_array_elements(ir.evidence -> 'behaviour' -> 'competencies') x"
        " WHERE ir.organization_id = %s AND ir.cohort_id = %s"
    ),
    "sqlite": (
        "SELECT json_extract(x.value, '$.competency_id') FROM measurement_impactrollup ir,"
        " json_each(ir.evidence, '$.behaviour.competencies') x"
        " WHERE ir.organization_id = %s AND ir.cohort_id = %s"
    ),
}
# What Django's SQLite backend makes of a stored decimal (PostgreSQL hands out Decimals).
_FLOAT_TO_DECIMAL = decimal.Context(prec=15).create_decimal_from_float
_CENTS = Decimal("0.01")


def _cents(value: Any) -> Decimal:
    if isinstance(value, Decimal):
        return value
    return _FLOAT_TO_DECIMAL(value).quantize(_CENTS, context=decimal.Context(prec=16))


@dataclass(frozen=True)
class _ImpactRow:
    """A cohort's ``ImpactRollup`` row, as ``_IMPACT_SQL`` reads it."""

    costs: Decimal
    benefits: Decimal
    bcr: float | None
    roi_pct: float | None
    payback_months: float | None
    evidence: dict[str, Any]
    computed_at: dt.datetime


def _impact_rows(
    cohort_id: int,
) -> tuple[_ImpactRow | None, dict[int, list[GroupPoint]], dict[int, str]]:
    """The cohort's impact roll-up row, its series per metric and the names of the
    competencies of its evidence (1 statement)."""
    org = tenant_id()
    sql = _IMPACT_SQL.format(competency_ids=_COMPETENCY_IDS[connection.vendor])
    row = None
    series: dict[int, list[GroupPoint]] = {}
    names: dict[int, str] = {}
    for kind, *cells in fetch_rows(sql, [org, cohort_id, org, cohort_id, org, org, cohort_id]):
        if kind == 1:
            metric_id, period, group, teams, mean_value = cells[7:]
            point = GroupPoint(date_of(period), group, teams, mean_value)  # type: ignore[arg-type]
            series.setdefault(metric_id, []).append(point)
        elif kind == 2:
            names[cells[7]] = cells[9]
        else:
            costs, benefits, bcr, roi_pct, payback, evidence, computed_at = cells[:7]
            row = _ImpactRow(
                costs=_cents(costs),
                benefits=_cents(benefits),
                bcr=bcr,
                roi_pct=roi_pct,
                payback_months=payback,
                evidence=json.loads(evidence),
                computed_at=moment_of(computed_at),
            )
    return row, series, names


def cohort_impact(reader: Membership, cohort_id: int | None) -> SponsorImpact:
    """The impact page of ``cohort_id`` (or of the first visible cohort with a roll-up) for
    ``reader``: 2 statements whatever the number of learners, teams or claims. A cohort the
    reader may not see reads as absent."""
    return _cohort_impact(visible_cohorts(reader), cohort_id)


def impact_page_data(
    reader: Membership, cohort_id: int | None
) -> tuple[SponsorImpact, TeamCompletionReport]:
    """``cohort_impact`` and ``team_completion``, as the impact page shows them: 2 statements
    whatever the number of learners, teams or claims."""
    cohorts, report = _visible_cohorts_and_teams(reader)
    return _cohort_impact(cohorts, cohort_id), report


def _cohort_impact(cohorts: list[CohortChoice], cohort_id: int | None) -> SponsorImpact:
    """The impact of ``cohort_id`` if it is one of ``cohorts`` (those the reader may see) with
    a roll-up, else of the first such (1 statement)."""
    allowed = {c.id for c in cohorts if c.has_rollup}
    chosen = (
        cohort_id if cohort_id in allowed else next((c.id for c in cohorts if c.has_rollup), None)
    )
    if chosen is None:
        return SponsorImpact(cohorts=cohorts, selected=None)
    row, series, names = _impact_rows(chosen)
    if row is None:  # the roll-up was replaced between the two statements
        return SponsorImpact(cohorts=cohorts, selected=None)
    ev = row.evidence
    removed = words()["(removed competency)"]
    metrics = [
        MetricResult(
            metric_id=m["metric_id"],
            name=m["name"],
            unit=m["unit"],
            level=m["level"],
            higher_is_better=m["higher_is_better"],
            did=m.get("did"),
            pre_post=m.get("pre_post"),
            pre_trend=m.get("pre_trend"),
            too_few=m.get("too_few", ""),
            money=_money(m.get("money")),
            naive_money=_money(m.get("naive_money")),
            participant_teams=m["participant_teams"],
            comparison_teams=m["comparison_teams"],
            values=m["values"],
            series=series.get(m["metric_id"], []),
        )
        for m in ev.get("metrics", [])
    ]
    behaviour = [
        CompetencyChange(
            name=names.get(c["competency_id"], removed),
            n=c["n"],
            hidden=bool(c.get("hidden")),
            too_few=c.get("too_few", ""),
            mean_change=c.get("mean_change"),
            ci_low=c.get("ci_low"),
            ci_high=c.get("ci_high"),
            d_z=c.get("d_z"),
            d_av=c.get("d_av"),
            reliable=c.get("reliable", 0),
        )
        for c in ev.get("behaviour", {}).get("competencies", [])
    ]
    name = next(c.name for c in cohorts if c.id == chosen)
    return SponsorImpact(
        cohorts=cohorts,
        selected=CohortImpact(
            id=chosen,
            name=name,
            start_date=next(c.start_date for c in cohorts if c.id == chosen),
            currency=ev.get("currency", "EUR"),
            participants=ev.get("participants", 0),
            has_comparison=ev.get("has_comparison", False),
            comparison_label=ev.get("comparison_label", ""),
            plan_changed_on=ev.get("plan_changed_on"),
            costs=row.costs,
            benefits=row.benefits,
            bcr=row.bcr,
            roi_pct=row.roi_pct,
            payback_months=row.payback_months,
            computed_at=row.computed_at,
            levels=_levels(row, metrics, behaviour),
            behaviour=behaviour,
            metrics=metrics,
            benefit_rows=ev.get("benefits", []),
            cost_rows=ev.get("cost_lines", []),
            claims=ev.get("claims", []),
            intangibles=ev.get("intangibles", []),
            evaluation=ev.get("evaluation", []),
        ),
    )


def start_of(impact: CohortImpact) -> str:
    """The programme's start month (ISO), where the charts draw their dotted line."""
    return impact.start_date.replace(day=1).isoformat()


def roi_table(impact: CohortImpact) -> tuple[list[str], list[list[Any]]]:
    headers = [
        _("Part"),
        _("Item"),
        _("Source or description"),
        _("Isolation / confidence"),
        _("Amount"),
    ]
    rows: list[list[Any]] = [
        [
            _("Benefit"),
            b["label"],
            b["source"],
            f"{b['isolation_pct']} % / {b['confidence_pct']} %",
            b["value"],
        ]
        for b in impact.benefit_rows
    ]
    rows += [
        [
            _("Cost"),
            c["label"],
            c["description"]
            + (f" (1/{c['shared_by']} of {c['amount']})" if c["shared_by"] > 1 else ""),
            "",
            c["allocated"],
        ]
        for c in impact.cost_rows
    ]
    rows.append([_("Total"), _("Benefits"), "", "", str(impact.benefits)])
    rows.append([_("Total"), _("Fully loaded costs"), "", "", str(impact.costs)])
    if impact.bcr is not None and impact.roi_pct is not None:
        rows.append([_("Result"), _("Benefit–cost ratio"), "", "", f"{impact.bcr:.2f}"])
        rows.append([_("Result"), _("ROI %"), "", "", f"{impact.roi_pct:.1f}"])
    if impact.payback_months is not None:
        rows.append([_("Result"), _("Payback (months)"), "", "", f"{impact.payback_months:.1f}"])
    rows += [[_("Intangible (not added)"), item, "", "", ""] for item in impact.intangibles]
    return headers, rows


def claims_table(impact: CohortImpact) -> tuple[list[str], list[list[Any]]]:
    headers = [
        _("Claim"),
        _("Project"),
        _("Measure"),
        _("Annual value"),
        _("Revenue"),
        _("Isolation %"),
        _("Confidence %"),
        _("Status"),
        _("Reason"),
        _("Counted"),
    ]
    rows = [
        [
            c["claim_id"],
            c.get("project", ""),
            c["measure"],
            c["annual_value"],
            _("yes") if c["is_revenue"] else _("no"),
            c["isolation_pct"],
            c["confidence_pct"],
            c["status"],
            c["reason"],
            c["counted"],
        ]
        for c in impact.claims
    ]
    return headers, rows


def series_table(metric: MetricResult) -> tuple[list[str], list[list[Any]]]:
    headers = [_("Month"), _("Group"), _("Teams"), _("Mean (%(unit)s)") % {"unit": metric.unit}]
    return headers, [
        [p.period.isoformat(), p.group, p.teams, round(p.mean_value, 4)] for p in metric.series
    ]


def levels_table(impact: CohortImpact) -> tuple[list[str], list[list[Any]]]:
    """The "from reaction to ROI" table as the sponsor page shows it (no queries)."""
    headers = [_("Level"), _("Name"), _("What we found"), _("Based on")]
    return headers, [[lv.number, lv.name, lv.finding, lv.n] for lv in impact.levels]


def behaviour_table(impact: CohortImpact) -> tuple[list[str], list[list[Any]]]:
    """Behaviour change per competency (no queries). A competency hidden by the anonymity rule
    keeps only its name and base, and says why, as on the page."""
    headers = [
        _("Competency"),
        _("Learners (pairs)"),
        _("Mean change"),
        _("95% CI low"),
        _("95% CI high"),
        _("d_av"),
        _("d_z"),
        _("Reliable improvement"),
        _("Note"),
    ]
    rows: list[list[Any]] = []
    for c in impact.behaviour:
        if c.hidden or c.too_few:
            note = (
                _("hidden: fewer than %(n)s learners, so it could identify people")
                % {"n": MIN_CELL_SIZE}
                if c.hidden
                else c.too_few
            )
            rows.append([c.name, c.n, None, None, None, None, None, None, note])
        else:
            rows.append(
                [c.name, c.n, c.mean_change, c.ci_low, c.ci_high, c.d_av, c.d_z, c.reliable, ""]
            )
    return headers, rows


def team_completion_table(report: TeamCompletionReport) -> tuple[list[str], list[list[Any]]]:
    """Completion by team, only the teams shown (at least MIN_CELL_SIZE learners; no queries)."""
    headers = [_("Team"), _("Learners"), _("Finished"), _("Mean completion %")]
    return headers, [
        [t.team, t.learners, t.finished, round(100 * t.mean_completion, 1)] for t in report.teams
    ]


def _plan_values(cohort_id: int, metric_id: int) -> QuerySet[Any]:
    """The metric's values for the plan's teams, newest first, each with its team's group."""
    groups = PlanTeam.objects.filter(plan__cohort_id=cohort_id, team_id=OuterRef("team_id")).values(
        "group"
    )[:1]
    return (
        MetricValue.objects.filter(
            metric_id=metric_id,
            team_id__in=PlanTeam.objects.filter(plan__cohort_id=cohort_id).values("team_id"),
        )
        .annotate(group=Subquery(groups))
        .order_by("-period", "team__name")
        .values_list("team__name", "group", "period", "value")
    )


def impact_values_table(cohort_id: int, metric_id: int) -> tuple[list[str], Any]:
    """Every team value behind a metric's estimate (``metric_values_page`` without pages),
    streamed from one query."""
    rows = _plan_values(cohort_id, metric_id)
    return [_("Team"), _("Group"), _("Month"), _("Value")], rows.iterator(chunk_size=2000)


@dataclass(frozen=True)
class TeamValue:
    team: str
    group: str
    period: dt.date
    value: Decimal


VALUES_PER_PAGE = 50


def metric_values_page(cohort_id: int, metric_id: int, page: str | None) -> Page[TeamValue]:
    """The metric values (facts) of the plan's teams behind an estimate, newest first, a page
    at a time (2 queries: count and page)."""
    rows = _plan_values(cohort_id, metric_id)
    paginator = Paginator(rows, VALUES_PER_PAGE)
    result: Page[Any] = paginator.get_page(page)
    result.object_list = [TeamValue(*row) for row in result.object_list]
    return result


@dataclass(frozen=True)
class MetricRow:
    id: int
    name: str
    unit: str
    level: str
    direction: str
    values: int
    latest: dt.date | None


@dataclass(frozen=True)
class CohortSetup:
    id: int
    name: str
    start_date: dt.date
    has_plan: bool
    has_comparison: bool
    costs: Decimal
    cost_lines: int
    roi_pct: float | None


@dataclass(frozen=True)
class ImpactSetup:
    metrics: list[MetricRow]
    cohorts: list[CohortSetup]


def impact_setup() -> ImpactSetup:
    """The admin's impact set-up: metrics with how many values, cohorts with plan, costs and
    ROI (2 queries)."""
    metrics = [
        MetricRow(
            m.pk, m.name, m.unit, m.get_level_display(), m.get_direction_display(), m.n, m.latest
        )
        for m in Metric.objects.annotate(n=Count("values"), latest=Max("values__period")).order_by(
            "name"
        )
    ]
    plans = MeasurementPlan.objects.filter(cohort_id=OuterRef("pk"))
    cohorts = [
        CohortSetup(
            c.pk,
            c.name,
            c.start_date,
            c.plan_comparison is not None,
            c.plan_comparison not in (None, MeasurementPlan.Comparison.NONE),
            c.cost_total or Decimal(0),
            c.cost_lines,
            c.roi,
        )
        for c in Cohort.objects.annotate(
            plan_comparison=Subquery(plans.values("comparison")[:1]),
            cost_total=Subquery(
                CostLine.objects.filter(cohort_id=OuterRef("pk"))
                .values("cohort_id")
                .annotate(t=Sum(F("amount") / F("shared_by")))
                .values("t")[:1]
            ),
            cost_lines=Subquery(
                CostLine.objects.filter(cohort_id=OuterRef("pk"))
                .values("cohort_id")
                .annotate(n=Count("id"))
                .values("n")[:1]
            ),
            roi=Subquery(
                ImpactRollup.objects.filter(cohort_id=OuterRef("pk")).values("roi_pct")[:1]
            ),
        ).order_by("-start_date", "name")
    ]
    return ImpactSetup(metrics, cohorts)


def metric_values_list(metric_id: int, page: str | None) -> Page[Any]:
    """A metric's values, newest month first, a page at a time (2 queries)."""
    rows = (
        MetricValue.objects.filter(metric_id=metric_id)
        .select_related("team")
        .order_by("-period", "team__name")
    )
    return Paginator(rows, VALUES_PER_PAGE).get_page(page)


def metric_values_table(metric: Metric) -> tuple[list[str], Any]:
    """Every value of a metric as the values page lists them (newest month first), streamed
    from one query whatever their number."""
    sources = dict(MetricValue.Source.choices)
    rows = (
        MetricValue.objects.filter(metric_id=metric.pk)
        .order_by("-period", "team__name")
        .values_list("period", "team__name", "value", "source")
        .iterator(chunk_size=2000)
    )
    headers = [_("Month"), _("Team"), _("Value (%(unit)s)") % {"unit": metric.unit}, _("Source")]
    return headers, ([p, team, v, sources.get(src, src)] for p, team, v, src in rows)


def cost_lines_table(cohort: Cohort) -> tuple[list[str], list[list[Any]]]:
    """The cohort's cost lines as its costs page lists them, with the full amount and the
    cohort's share (1 query)."""
    headers = [
        _("Category"),
        _("Detail"),
        _("People"),
        _("Hours each"),
        _("Hourly rate"),
        _("Amount"),
        _("Shared by cohorts"),
        _("This cohort"),
    ]
    return headers, [
        [
            line.get_category_display(),
            line.description,
            line.people,
            line.hours,
            line.hourly_rate,
            line.amount,
            line.shared_by,
            line.allocated,
        ]
        for line in CostLine.objects.filter(cohort=cohort)
    ]


def setup_metrics_table(setup: ImpactSetup) -> tuple[list[str], list[list[Any]]]:
    """The set-up page's metrics (no queries)."""
    headers = [_("Metric"), _("Unit"), _("Level"), _("Good is"), _("Values"), _("Latest month")]
    return headers, [
        [m.name, m.unit, m.level, m.direction, m.values, m.latest] for m in setup.metrics
    ]


def setup_cohorts_table(setup: ImpactSetup) -> tuple[list[str], list[list[Any]]]:
    """The set-up page's cohorts with plan, costs and ROI (no queries)."""
    headers = [
        _("Cohort"),
        _("Starts"),
        _("Measurement plan"),
        _("Comparison group"),
        _("Cost lines"),
        _("Costs"),
        _("ROI %"),
    ]
    yes, no = _("yes"), _("no")
    return headers, [
        [
            c.name,
            c.start_date,
            yes if c.has_plan else no,
            yes if c.has_comparison else no,
            c.cost_lines or 0,
            Decimal(c.costs).quantize(Decimal("0.01")),
            round(c.roi_pct, 1) if c.roi_pct is not None else None,
        ]
        for c in setup.cohorts
    ]


@dataclass(frozen=True)
class CohortDataQuality:
    id: int
    name: str
    has_plan: bool
    participants: int
    comparison: bool
    baselines: int
    baseline_planned: bool
    claimants: int
    metrics_missing: list[dict[str, Any]]  # name, missing, expected, teams_missing

    @property
    def baseline_rate(self) -> str:
        return _pct(self.baselines, self.participants)

    @property
    def claim_rate(self) -> str:
        return _pct(self.claimants, self.participants)


@dataclass(frozen=True)
class ModuleQuality:
    id: int
    title: str
    ratings: int
    useful: float | None  # None below the cell size
    relevant: float | None
    completions: int  # learners who completed it (its ``ModuleReach`` row)


@dataclass(frozen=True)
class DataQuality:
    cohorts: list[CohortDataQuality]
    weakest_modules: list[ModuleQuality]
    unrated_modules: int


WEAKEST_MODULES = 8
DATA_QUALITY_COHORTS = 20  # the latest started cohorts


# The rated modules, the shown ones (from MIN_CELL_SIZE raters) first and the weakest of them
# first, with the number of modules below the cell size counted over all rows (a window):
# the first WEAKEST_MODULES rows are the weakest shown ones. Each module's raters, rating sums
# and completions are kept in its ``ModuleReach`` roll-up row (one reaction per learner and
# module, so ratings are raters; completions are the learners with a ``completed`` event of
# the module, as the module library counts them): a row per rated module, whatever the number
# of learners who rated or completed it.
_WEAKEST_MODULES_SQL = """
SELECT r.module_id, m.title, r.ratings, r.useful_sum, r.relevant_sum, r.completed,
       SUM(CASE WHEN r.ratings >= %s THEN 0 ELSE 1 END) OVER ()
  FROM pathways_modulereach r
  JOIN pathways_module m ON m.id = r.module_id
 WHERE r.organization_id = %s AND r.ratings > 0
 ORDER BY CASE WHEN r.ratings >= %s THEN 0 ELSE 1 END,
          (r.useful_sum + r.relevant_sum) * 1.0 / r.ratings, m.title, r.module_id
 LIMIT %s
"""


def _weakest_modules_params() -> list[Any]:
    cell = anonymity.MIN_PEOPLE_PER_CELL
    return [cell, tenant_id(), cell, WEAKEST_MODULES]


def _weakest_modules(modules: list[tuple[Any, ...]]) -> tuple[list[ModuleQuality], int]:
    """The weakest shown modules, weakest first, and the number of rated modules below the
    cell size, from the rows of ``_WEAKEST_MODULES_SQL`` in any order (no query)."""
    unrated = modules[0][-1] if modules else 0
    weakest = sorted(
        (
            ModuleQuality(pk, title, n, useful / n, relevant / n, completed or 0)
            for pk, title, n, useful, relevant, completed, _hidden in modules
            if anonymity.cell_is_shown(n)
        ),
        key=lambda m: ((m.useful + m.relevant) / 2, m.title),  # type: ignore[operator]
    )
    return weakest, int(unrated or 0)


def _data_quality(rows: list[tuple[Any, ...]], modules: list[tuple[Any, ...]]) -> DataQuality:
    """Data quality from the rows of ``_COHORT_HEALTH_SQL`` with quality and those of
    ``_WEAKEST_MODULES_SQL`` (no query): per started cohort (the latest 20) what the evidence
    lacks, from the impact roll-up, and the weakest modules."""
    cohorts = []
    planned = Cohort.Status.PLANNED
    for row in rows:
        if row[6] == planned:
            continue
        has_plan, evidence = bool(row[16]), row[17]
        quality: dict[str, Any] = json.loads(evidence) if evidence else {}
        if not isinstance(quality, dict):
            quality = {}
        cohorts.append(
            CohortDataQuality(
                id=row[0],
                name=row[1],
                has_plan=has_plan,
                participants=quality.get("participants", 0),
                comparison=quality.get("comparison", False),
                baselines=quality.get("baselines", 0),
                baseline_planned=quality.get("baseline_planned", False),
                claimants=quality.get("claimants", 0),
                metrics_missing=[m for m in quality.get("metrics", []) if m["missing"]],
            )
        )
        if len(cohorts) == DATA_QUALITY_COHORTS:
            break
    weakest, unrated = _weakest_modules(modules)
    return DataQuality(cohorts=cohorts, weakest_modules=weakest, unrated_modules=unrated)


def data_quality() -> DataQuality:
    """Programme health's data and content quality (2 statements): per cohort what the
    evidence lacks (from the impact roll-up), and the modules learners rate lowest, with how
    many learners completed each. A module's ratings show only from MIN_CELL_SIZE raters."""
    modules = fetch_rows(_WEAKEST_MODULES_SQL, _weakest_modules_params())
    return _data_quality(_cohort_health_rows(with_quality=True), modules)


@dataclass(frozen=True)
class AdminHome:
    health: ProgrammeHealth
    quality: DataQuality


# The cohorts (kind 0: the columns of ``_COHORT_HEALTH_SQL`` with quality) in their order,
# then the weakest modules (kind 1: the columns of ``_WEAKEST_MODULES_SQL``, by title and id:
# they are sorted by their ratings in Python, which keeps this order among ties).
_ADMIN_HOME_SQL = """
SELECT 0, h.*, NULL, NULL, NULL, NULL, NULL, NULL, NULL FROM ({cohorts}) h
 UNION ALL
SELECT 1, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
       NULL, NULL, NULL, NULL, w.* FROM ({modules}) w
 ORDER BY 1, 6 DESC, 3, 21, 20
"""


def admin_home() -> AdminHome:
    """The admin home's programme health and data quality (1 statement, whatever the number
    of cohorts, learners and modules)."""
    cohorts_sql, cohorts_params = _cohort_health_sql(with_quality=True)
    sql = _ADMIN_HOME_SQL.format(cohorts=cohorts_sql, modules=_WEAKEST_MODULES_SQL)
    rows = fetch_rows(sql, [*cohorts_params, *_weakest_modules_params()])
    cohorts = [r[1:19] for r in rows if r[0] == 0]
    modules = [r[19:] for r in rows if r[0] == 1]
    return AdminHome(health=_programme_health(cohorts), quality=_data_quality(cohorts, modules))


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def data_quality_table(quality: DataQuality) -> tuple[list[str], list[list[Any]]]:
    """The admin home's data-quality rows per cohort (no queries)."""
    headers = [
        _("Cohort"),
        _("Plan"),
        _("Comparison group"),
        _("Metric values missing"),
        _("Participants"),
        _("360 baselines"),
        _("Benefit claims"),
    ]
    yes, no = _("yes"), _("no")
    rows = []
    for c in quality.cohorts:
        missing = "; ".join(
            _("%(name)s: %(missing)s of %(expected)s team-months") % m for m in c.metrics_missing
        )
        rows.append(
            [
                c.name,
                yes if c.has_plan else no,
                yes if c.comparison else no,
                missing,
                c.participants if c.has_plan else None,
                c.baselines if c.has_plan else None,
                c.claimants if c.has_plan else None,
            ]
        )
    return headers, rows


def weakest_modules_table(quality: DataQuality) -> tuple[list[str], list[list[Any]]]:
    """The modules learners rate lowest, only those with enough raters (no queries)."""
    headers = [
        _("Module"),
        _("Useful (of 5)"),
        _("Relevant (of 5)"),
        _("Ratings"),
        _("Completions"),
    ]
    return headers, [
        [m.title, _round(m.useful), _round(m.relevant), m.ratings, m.completions]
        for m in quality.weakest_modules
    ]


@dataclass(frozen=True)
class TeamCell:
    """One team × measure × month figure, or a hidden one: below MIN_CELL_SIZE people the
    value and the counts behind it never leave this module."""

    period: dt.date
    value: float | None  # None: hidden
    base: int | None  # learners, milestones due, ratings, session places; None when hidden
    part: int | None  # finished, on time, attended
    people: int | None

    @property
    def hidden(self) -> bool:
        return self.value is None


def _cell(
    period: dt.date, value: float, base: int | None, part: int | None, people: int
) -> TeamCell:
    """A team roll-up row's figure, or a hidden one below MIN_CELL_SIZE people."""
    if not anonymity.cell_is_shown(people):
        return TeamCell(period, None, None, None, None)
    return TeamCell(period, value, base, part, people)


def latest_shown(cells: list[TeamCell]) -> TeamCell | None:
    return next((c for c in reversed(cells) if not c.hidden), None)


@dataclass(frozen=True)
class TeamMetricSeries:
    id: int
    name: str
    unit: str
    higher_is_better: bool
    cells: list[TeamCell]  # by month, oldest first

    @property
    def points(self) -> list[tuple[dt.date, float]]:
        return [(c.period, c.value) for c in self.cells if c.value is not None]

    @property
    def latest(self) -> tuple[dt.date, float] | None:
        return self.points[-1] if self.points else None

    @property
    def change(self) -> float | None:
        """Latest shown value minus the earliest shown one of the window, when both exist."""
        points = self.points
        if len(points) < 2:
            return None
        return points[-1][1] - points[0][1]

    @property
    def change_unit(self) -> str:
        """A change of a percentage is in percentage points."""
        return _("percentage points") if self.unit.strip() == "%" else self.unit

    @property
    def improved(self) -> bool | None:
        change = self.change
        if change is None or change == 0:
            return None
        return (change > 0) == self.higher_is_better


@dataclass(frozen=True)
class ManagedTeam:
    id: int
    name: str
    people: int
    shown: bool  # at least MIN_CELL_SIZE active people: figures may be shown
    months: list[dt.date]
    completion: list[TeamCell]
    milestones: list[TeamCell]
    satisfaction: list[TeamCell]
    attendance: list[TeamCell]
    metrics: list[TeamMetricSeries]

    @property
    def latest_completion(self) -> TeamCell | None:
        return latest_shown(self.completion)

    @property
    def latest_milestones(self) -> TeamCell | None:
        return latest_shown(self.milestones)

    @property
    def latest_satisfaction(self) -> TeamCell | None:
        return latest_shown(self.satisfaction)

    @property
    def latest_attendance(self) -> TeamCell | None:
        return latest_shown(self.attendance)

    @property
    def learners(self) -> int | None:
        cell = self.latest_completion
        return None if cell is None else cell.base

    @property
    def finished(self) -> int | None:
        cell = self.latest_completion
        return None if cell is None else cell.part

    @property
    def mean_completion(self) -> float | None:
        cell = self.latest_completion
        return None if cell is None else cell.value

    @property
    def has_programme(self) -> bool:
        return any(self.completion or self.milestones or self.satisfaction or self.attendance)

    def programme_rows(self) -> list[dict[str, TeamCell | dt.date | None]]:
        """One row per month with any programme figure: month and the four cells (or None)."""
        by: dict[dt.date, dict[str, TeamCell | dt.date | None]] = {}
        for name in ("completion", "milestones", "satisfaction", "attendance"):
            for cell in getattr(self, name):
                by.setdefault(cell.period, {"month": cell.period})[name] = cell
        return [by[m] for m in sorted(by)]


TEAM_MONTHS = 12


def team_window(today: dt.date) -> list[dt.date]:
    """The months the team page shows: the current one and the TEAM_MONTHS before it."""
    months = [today.replace(day=1)]
    for _month in range(TEAM_MONTHS):
        months.insert(0, (months[0] - dt.timedelta(days=1)).replace(day=1))
    return months


# The team page's two reads, as SQL text sent in one statement (no querysets to compile): the
# manager's teams with their active people, and the roll-up rows of the window of those teams
# (a team too small to show is dropped in Python, as soon as its rows arrive); every base
# table filtered on the organisation.
_MANAGED_TEAMS_SQL = """
SELECT t.id, t.name, COUNT(m.id) FILTER (WHERE m.is_active)
FROM organizations_team t LEFT JOIN organizations_membership m ON m.team_id = t.id
WHERE t.organization_id = %s AND t.manager_id = %s
GROUP BY t.id ORDER BY t.name
"""
_MANAGED_TEAM_ROLLUPS_SQL = """
SELECT r.team_id, r.measure, r.metric_id, x.name, x.unit, x.direction, r.period, r.value,
    r.base, r.part, r.people
FROM measurement_teammetricrollup r LEFT JOIN measurement_metric x ON x.id = r.metric_id
WHERE r.organization_id = %s AND r.period >= %s AND r.team_id IN (
    SELECT t.id FROM organizations_team t WHERE t.organization_id = %s AND t.manager_id = %s
)
ORDER BY r.period, r.id
"""


def managed_teams(manager: Membership, today: dt.date) -> list[ManagedTeam]:
    """The teams ``manager`` manages, with the team roll-up of the last twelve months: the
    programme's participation (completion, milestones on time, stakeholder satisfaction,
    coaching attendance) and the team metrics. Aggregates only: nothing for a team of fewer
    than MIN_CELL_SIZE active people, and each month's figure only when at least
    MIN_CELL_SIZE people stand behind it. 1 query, whatever the size of the teams."""
    months = team_window(today)
    org_id = tenant_id()
    team_rows, rows = fetch_row_sets(
        [
            (_MANAGED_TEAMS_SQL, [org_id, manager.pk]),
            (_MANAGED_TEAM_ROLLUPS_SQL, [org_id, months[0], org_id, manager.pk]),
        ]
    )
    teams = [(pk, name, people) for pk, name, people in team_rows]
    ids = [pk for pk, _name, people in teams if anonymity.cell_is_shown(people)]
    cells: dict[int, dict[str, list[TeamCell]]] = {t: defaultdict(list) for t in ids}
    series: dict[int, dict[int, TeamMetricSeries]] = {t: {} for t in ids}
    for row in rows:
        team_id, measure, metric_id, name, unit, direction = row[:6]
        if team_id not in cells:  # a team too small to show: its figures go no further
            continue
        period, value, base, part, people = row[6:]
        cell = _cell(cast(dt.date, date_of(period)), value, base, part, people)  # NOT NULL
        if metric_id is None:
            cells[team_id][measure].append(cell)
            continue
        entry = series[team_id].get(metric_id)
        if entry is None:
            up = direction == Metric.Direction.UP  # ``Metric.higher_is_better``
            entry = series[team_id][metric_id] = TeamMetricSeries(metric_id, name, unit, up, [])
        entry.cells.append(cell)
    M = TeamMetricRollup.Measure
    out = []
    for pk, team_name, people in teams:
        mine = cells.get(pk, {})
        out.append(
            ManagedTeam(
                id=pk,
                name=team_name,
                people=people,
                shown=pk in cells,
                months=months,
                completion=list(mine.get(M.COMPLETION, [])),
                milestones=list(mine.get(M.MILESTONES, [])),
                satisfaction=list(mine.get(M.SATISFACTION, [])),
                attendance=list(mine.get(M.ATTENDANCE, [])),
                metrics=sorted(series.get(pk, {}).values(), key=lambda m: m.name.lower()),
            )
        )
    return out


def team_table(team: ManagedTeam) -> tuple[list[str], list[list[Any]]]:
    """Every figure of the team's page as rows for CSV/XLSX: month, measure, value, what it
    rests on and the people behind it; a hidden month says so and carries no figure."""
    headers = [
        _("Month"),
        _("Measure"),
        _("Value"),
        _("Unit"),
        _("Finished, on time or attended"),
        _("Out of (learners, milestones due, ratings or session places)"),
        _("People behind the figure"),
    ]
    hidden = _("hidden: fewer than %(n)s people") % {"n": MIN_CELL_SIZE}
    rows: list[list[Any]] = []
    labels = (
        ("completion", _("Pathway completion"), _("share of steps done")),
        ("milestones", _("Project milestones on time"), _("share of milestones due")),
        ("satisfaction", _("Stakeholder satisfaction"), _("mean of 1-5 ratings")),
        ("attendance", _("Coaching attendance"), _("share of session places")),
    )
    for name, label, unit in labels:
        for c in getattr(team, name):
            rows.append(
                [c.period, label, hidden, "", "", "", ""]
                if c.value is None
                else [c.period, label, round(c.value, 4), unit, c.part, c.base, c.people]
            )
    for m in team.metrics:
        for c in m.cells:
            rows.append(
                [c.period, m.name, hidden, m.unit, "", "", ""]
                if c.value is None
                else [c.period, m.name, round(c.value, 4), m.unit, None, None, c.people]
            )
    rows.sort(key=lambda r: (r[0], str(r[1])))
    return headers, rows
