"""Impact writes: metrics and their values, the measurement plan, cost lines, and the impact
roll-up (set-based SQL for the group means, statsmodels for DiD, roi.py for the money).

``check_*`` validate and raise ``ImpactError`` with the field it concerns; ``do_*`` write inside
a transaction and record follow-up work (the roll-up) in the outbox in the same transaction.
Everything here runs inside ``tenant_context``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Avg, Count, Q
from django.utils import timezone

from measurement import anonymity, roi, sources, stats
from measurement.models import (
    CostLine,
    ImpactRollup,
    LearnerProgressRollup,
    MeasurementPlan,
    Metric,
    MetricGroupRollup,
    MetricValue,
    PlanChange,
    PlanMetric,
    PlanTeam,
    TeamMetricRollup,
)
from organizations.audit import record_change, snapshot
from organizations.models import Membership, Organization, Team
from organizations.outbox.delivery import derived_rows_only, record_followup
from organizations.relative_dates import org_today
from organizations.tenancy import current_org
from pathways.models import Ability, Cohort, Enrollment, ModuleReaction

# Facts arriving within this window share one impact roll-up (one outbox row per cohort and
# window, run at the window's end).
ROLLUP_WINDOW = dt.timedelta(minutes=2)
# BKT p(known) at which a competency counts as mastered (MEASUREMENT.md).
MASTERED_AT = 0.95
ROLLUP_HANDLER = "measurement.impact.run_impact_rollup"


class ImpactError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


# --- metrics ------------------------------------------------------------------------------


def check_metric_value(metric: Metric, raw: object) -> Decimal:
    """The value as a Decimal, or ImpactError: not a number, wrong unit, out of range."""
    text = str(raw).strip().replace(",", "") if raw is not None else ""
    unit = metric.unit.strip()
    if text.endswith("%"):
        if unit != "%":
            raise ImpactError("value", f"{metric.name} is measured in {unit}, not %.")
        text = text[:-1].strip()
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ImpactError("value", f"“{raw}” is not a number ({metric.name} in {unit}).") from None
    if not value.is_finite():
        raise ImpactError("value", f"“{raw}” is not a number.")
    low, high = metric.min_value, metric.max_value
    if unit == "%" and low is None:
        low = Decimal(0)
    if unit == "%" and high is None:
        high = Decimal(100)
    if (low is not None and value < low) or (high is not None and value > high):
        raise ImpactError(
            "value",
            f"{value} {unit} is outside the range of {metric.name} "
            f"({'' if low is None else low}–{'' if high is None else high} {unit}).",
        )
    return value


def do_define_metric(
    *,
    name: str,
    unit: str,
    direction: str,
    level: str,
    min_value: Decimal | None = None,
    max_value: Decimal | None = None,
    is_revenue: bool = False,
) -> Metric:
    if not name.strip():
        raise ImpactError("name", "Give the metric a name.")
    if Metric.objects.filter(name__iexact=name.strip()).exists():
        raise ImpactError("name", f"A metric named “{name}” already exists.")
    if min_value is not None and max_value is not None and min_value >= max_value:
        raise ImpactError("max_value", "The highest value must be above the lowest.")
    org = current_org()
    assert org is not None
    return Metric.objects.create(
        organization=org,
        name=name.strip(),
        unit=unit.strip(),
        direction=direction,
        level=level,
        min_value=min_value,
        max_value=max_value,
        is_revenue=is_revenue,
    )


@dataclass(frozen=True)
class ValueRow:
    metric_id: int
    team_id: int
    period: dt.date
    value: Decimal


def upsert_metric_values(
    rows: Sequence[ValueRow], source: str, entered_by: Membership | None
) -> tuple[int, int]:
    """Insert or replace values keyed by (metric, team, period); returns (created, updated).
    Idempotent: the same rows twice leave the same table."""
    org = current_org()
    assert org is not None
    keys = {(r.metric_id, r.team_id, r.period) for r in rows}
    existing = set(
        MetricValue.objects.filter(
            metric_id__in={r.metric_id for r in rows}, period__in={r.period for r in rows}
        ).values_list("metric_id", "team_id", "period")
    )
    now = timezone.now()
    MetricValue.objects.bulk_create(
        [
            MetricValue(
                organization=org,
                metric_id=r.metric_id,
                team_id=r.team_id,
                period=r.period,
                value=r.value,
                source=source,
                entered_by=entered_by,
                entered_at=now,
            )
            for r in rows
        ],
        batch_size=1000,
        update_conflicts=True,
        unique_fields=["organization", "metric", "team", "period"],
        update_fields=["value", "source", "entered_by", "entered_at"],
    )
    updated = len(keys & existing)
    return len(keys) - updated, updated


def do_enter_metric_value(
    metric: Metric,
    team: Team,
    period: dt.date,
    raw: object,
    by: Membership | None,
    source: str = "form",
) -> MetricValue:
    value = check_metric_value(metric, raw)
    with transaction.atomic():
        upsert_metric_values([ValueRow(metric.pk, team.pk, month_start(period), value)], source, by)
        queue_rollups_for_team(team.pk)
        return MetricValue.objects.get(metric=metric, team=team, period=month_start(period))


# --- the plan -----------------------------------------------------------------------------

PLAN_FIELDS = (
    "baseline_on",
    "follow_up_on",
    "evaluation_start",
    "evaluation_end",
    "comparison",
    "comparison_label",
    "profit_margin_pct",
    "currency",
    "competency_ids",
    "intangibles",
)


@dataclass(frozen=True)
class PlanInput:
    evaluation_start: dt.date
    evaluation_end: dt.date
    baseline_on: dt.date | None = None
    follow_up_on: dt.date | None = None
    comparison: str = "none"
    comparison_team_ids: tuple[int, ...] = ()
    comparison_function: str = ""
    comparison_people_ids: tuple[int, ...] = ()
    profit_margin_pct: Decimal = Decimal(15)
    currency: str = "EUR"
    competency_ids: tuple[int, ...] = ()
    intangibles: str = ""
    metrics: tuple[tuple[int, int, Decimal | None], ...] = ()  # (metric id, population, unit value)


def participant_team_ids(cohort: Cohort) -> set[int]:
    return set(
        Enrollment.objects.filter(cohort=cohort, learner__team__isnull=False)
        .exclude(status=Enrollment.Status.WITHDRAWN)
        .values_list("learner__team_id", flat=True)
    )


def comparison_team_ids(data: PlanInput, participants: set[int]) -> tuple[set[int], str]:
    """Resolve the chosen comparison group to teams, leaving out participants' teams."""
    if data.comparison == MeasurementPlan.Comparison.TEAMS:
        teams = list(Team.objects.filter(pk__in=data.comparison_team_ids))
        label = ", ".join(sorted(t.name for t in teams))
    elif data.comparison == MeasurementPlan.Comparison.FUNCTION:
        if not data.comparison_function.strip():
            raise ImpactError("comparison_function", "Choose the function of the comparison group.")
        ids = Membership.objects.filter(
            function__iexact=data.comparison_function.strip(), team__isnull=False, is_active=True
        ).values_list("team_id", flat=True)
        teams = list(Team.objects.filter(pk__in=set(ids)))
        label = f"teams in {data.comparison_function.strip()}"
    elif data.comparison == MeasurementPlan.Comparison.PEOPLE:
        ids = Membership.objects.filter(
            pk__in=data.comparison_people_ids, team__isnull=False
        ).values_list("team_id", flat=True)
        teams = list(Team.objects.filter(pk__in=set(ids)))
        label = f"teams of {len(data.comparison_people_ids)} listed people"
    else:
        return set(), ""
    chosen = {t.pk for t in teams} - participants
    if not chosen:
        raise ImpactError(
            "comparison",
            "The comparison group has no team outside the programme: choose other teams, "
            "or no comparison group (the estimates are then labelled weaker).",
        )
    return chosen, label


def check_plan(cohort: Cohort, data: PlanInput) -> None:
    if data.evaluation_end <= data.evaluation_start:
        raise ImpactError("evaluation_end", "The evaluation period must end after it starts.")
    if data.baseline_on and data.follow_up_on and data.follow_up_on <= data.baseline_on:
        raise ImpactError("follow_up_on", "The 360 follow-up must come after the baseline.")
    if not Decimal(0) <= data.profit_margin_pct <= Decimal(100):
        raise ImpactError("profit_margin_pct", "The profit margin is a percentage from 0 to 100.")
    for _metric_id, population, unit_value in data.metrics:
        if population < 0 or (unit_value is not None and unit_value < 0):
            raise ImpactError("metrics", "People affected and standard values cannot be negative.")


def _snapshot(plan: MeasurementPlan) -> dict[str, object]:
    out: dict[str, object] = {}
    for name in PLAN_FIELDS:
        value = getattr(plan, name)
        out[name] = (
            value.isoformat()
            if isinstance(value, dt.date)
            else (str(value) if isinstance(value, Decimal) else value)
        )
    out["teams"] = sorted(
        [t.team_id, t.group] for t in PlanTeam.objects.filter(plan=plan).order_by("team_id")
    )
    out["metrics"] = sorted(
        [m.metric_id, m.population, None if m.unit_value is None else str(m.unit_value)]
        for m in PlanMetric.objects.filter(plan=plan)
    )
    return out


def do_save_plan(cohort: Cohort, data: PlanInput, by: Membership | None) -> MeasurementPlan:
    """Create or replace the cohort's plan. After the cohort started a change is allowed but
    recorded (``PlanChange``), and pages show "plan changed on …"."""
    check_plan(cohort, data)
    org = current_org()
    assert org is not None
    with transaction.atomic():
        participants = participant_team_ids(cohort)
        comparison, label = comparison_team_ids(data, participants)
        plan = MeasurementPlan.objects.select_for_update().filter(cohort=cohort).first()
        before = _snapshot(plan) if plan is not None else None
        if plan is None:
            plan = MeasurementPlan(organization=org, cohort=cohort)
        for name in PLAN_FIELDS:
            if name not in ("comparison_label", "competency_ids"):
                setattr(plan, name, getattr(data, name))
        plan.competency_ids = list(data.competency_ids)
        plan.comparison_label = label
        plan.updated_at = timezone.now()
        plan.save()
        PlanTeam.objects.filter(plan=plan).delete()
        PlanTeam.objects.bulk_create(
            [
                PlanTeam(organization=org, plan=plan, team_id=t, group="participants")
                for t in participants
            ]
            + [
                PlanTeam(organization=org, plan=plan, team_id=t, group="comparison")
                for t in comparison
            ]
        )
        PlanMetric.objects.filter(plan=plan).delete()
        PlanMetric.objects.bulk_create(
            [
                PlanMetric(organization=org, plan=plan, metric_id=m, population=p, unit_value=v)
                for m, p, v in data.metrics
            ]
        )
        if before is not None and cohort.start_date <= org_today():
            after = _snapshot(plan)
            changed = [k for k in after if before.get(k) != after[k]]
            if changed:
                PlanChange.objects.create(
                    organization=org,
                    plan=plan,
                    changed_by=by,
                    fields=changed,
                    before=before,
                    after=after,
                )
        queue_impact_rollup(cohort.pk)
    return plan


# --- costs --------------------------------------------------------------------------------


@dataclass(frozen=True)
class CostInput:
    category: str
    description: str = ""
    amount: Decimal | None = None
    shared_by: int = 1
    people: int | None = None
    hours: Decimal | None = None
    hourly_rate: Decimal | None = None


# CostLine.amount holds 14 digits, 2 after the point.
MAX_COST = Decimal("999999999999.99")


def check_cost(data: CostInput) -> Decimal:
    """The line's full amount, or ImpactError (negative, missing, too large, unknown
    category)."""
    if data.category not in CostLine.Category.values:
        raise ImpactError("category", "Choose a cost category.")
    if data.shared_by < 1:
        raise ImpactError("shared_by", "A line is shared by at least one cohort.")
    if data.category == CostLine.Category.PARTICIPANTS_TIME:
        if not data.people or data.hours is None or data.hourly_rate is None:
            raise ImpactError(
                "hours", "Participants' time needs people, hours each and the loaded hourly rate."
            )
        if data.hours < 0 or data.hourly_rate < 0:
            raise ImpactError("hourly_rate", "Hours and rates cannot be negative.")
        total = data.people * data.hours * data.hourly_rate
        if total > MAX_COST:
            raise ImpactError("hours", "People × hours × rate is more than a cost line can hold.")
        return total.quantize(roi.CENT)
    if data.amount is None:
        raise ImpactError("amount", "Enter the amount.")
    if data.amount < 0:
        raise ImpactError("amount", "A cost cannot be negative.")
    if data.amount > MAX_COST:
        raise ImpactError("amount", "That is more than a cost line can hold.")
    return data.amount.quantize(roi.CENT)


def _audit_cost(by: Membership | None, action: str, line: CostLine, cohort: Cohort) -> None:
    state = snapshot(line, ["cohort", "category", "description", "amount", "shared_by"])
    record_change(
        by.user if by else None,
        action,
        line,
        object_repr=f"{line.get_category_display()}, {cohort.name}",
        before=None if action == "created" else state,
        after=state if action == "created" else None,
    )


def do_add_cost(cohort: Cohort, data: CostInput, by: Membership | None = None) -> CostLine:
    amount = check_cost(data)
    org = current_org()
    assert org is not None
    with transaction.atomic():
        # A double submit of the add form: the cohort row serialises the two, and the second
        # finds the first's line (same category, description and figures) instead of adding it.
        Cohort.objects.select_for_update().filter(pk=cohort.pk).first()
        if CostLine.objects.filter(
            cohort=cohort,
            category=data.category,
            description__iexact=data.description.strip(),
            amount=amount,
            shared_by=data.shared_by,
        ).exists():
            raise ImpactError(
                "description",
                "This cohort already has this cost line; describe a second one differently.",
            )
        line = CostLine.objects.create(
            organization=org,
            cohort=cohort,
            category=data.category,
            description=data.description.strip(),
            amount=amount,
            shared_by=data.shared_by,
            people=data.people,
            hours=data.hours,
            hourly_rate=data.hourly_rate,
        )
        _audit_cost(by, "created", line, cohort)
        queue_impact_rollup(cohort.pk)
    return line


def do_delete_cost(line: CostLine, by: Membership | None = None) -> None:
    with transaction.atomic():
        cohort_id = line.cohort_id
        _audit_cost(by, "deleted", line, line.cohort)
        line.delete()
        queue_impact_rollup(cohort_id)


# --- roll-up ------------------------------------------------------------------------------


def queue_impact_rollup(cohort_id: int, now: dt.datetime | None = None) -> None:
    """Record the cohort's impact roll-up in the outbox, in the caller's transaction: one row per
    cohort and ``ROLLUP_WINDOW`` (its dedupe key), run at the window's end, so a burst of facts
    shares one roll-up and a broker outage loses nothing."""
    if settings.CELERY_TASK_ALWAYS_EAGER:
        # No broker and no beat sweep (the embedded default): roll up once, after commit.
        record_followup(ROLLUP_HANDLER, cohort_id)
        return
    now = now or timezone.now()
    window = int(now.timestamp() // ROLLUP_WINDOW.total_seconds())
    run_after = dt.datetime.fromtimestamp((window + 1) * ROLLUP_WINDOW.total_seconds(), tz=dt.UTC)
    record_followup(
        ROLLUP_HANDLER,
        cohort_id,
        dedupe_key=f"impact-rollup:{cohort_id}:{window}",
        run_after=run_after,
    )


def queue_rollups_for_team(team_id: int) -> None:
    """A metric value of a team changed: the team's own roll-up and every plan that counts the
    team roll up again."""
    queue_team_rollup(team_id)
    for cohort_id in set(
        PlanTeam.objects.filter(team_id=team_id).values_list("plan__cohort_id", flat=True)
    ):
        queue_impact_rollup(cohort_id)


@derived_rows_only
def run_impact_rollup(org: Organization, cohort_id: int) -> None:
    """Outbox handler: the cohort's impact roll-up (a vanished cohort is done)."""
    if Cohort.objects.filter(pk=cohort_id).exists():
        do_rollup_impact([cohort_id])


_GROUP_SELECT = """
SELECT v.organization_id, p.cohort_id, v.metric_id, v.period, pt."group", COUNT(*),
       AVG(CAST(v.value AS DOUBLE PRECISION)), %s
FROM {values} v
JOIN {planteam} pt ON pt.team_id = v.team_id AND pt.organization_id = v.organization_id
JOIN {plan} p ON p.id = pt.plan_id AND p.organization_id = v.organization_id
JOIN {planmetric} pm ON pm.plan_id = p.id AND pm.metric_id = v.metric_id
     AND pm.organization_id = v.organization_id
WHERE v.organization_id = %s AND p.cohort_id IN ({cohorts})
GROUP BY v.organization_id, p.cohort_id, v.metric_id, v.period, pt."group"
"""
_GROUP_SQL = (
    """
INSERT INTO {rollup} (organization_id, cohort_id, metric_id, period, "group", teams,
                      mean_value, computed_at)"""
    + _GROUP_SELECT
    + """ON CONFLICT (organization_id, cohort_id, metric_id, period, "group") DO UPDATE
SET teams = excluded.teams, mean_value = excluded.mean_value, computed_at = excluded.computed_at
RETURNING cohort_id, metric_id, period, "group", mean_value, teams
"""
)


def group_means_sql(cohort_ids: Sequence[int], upsert: bool = True) -> str:
    """The set-based statement of the metric group roll-up; ``upsert=False`` gives the bare
    aggregate of the same facts (what the benchmark compares the roll-up with)."""
    sql = (_GROUP_SQL if upsert else _GROUP_SELECT).format(
        rollup=MetricGroupRollup._meta.db_table,
        values=MetricValue._meta.db_table,
        planteam=PlanTeam._meta.db_table,
        plan=MeasurementPlan._meta.db_table,
        planmetric=PlanMetric._meta.db_table,
        cohorts=", ".join(["%s"] * len(cohort_ids)),
    )
    return sql.replace("DOUBLE PRECISION", "REAL") if connection.vendor == "sqlite" else sql


@dataclass(frozen=True)
class GroupMean:
    """One row of ``MetricGroupRollup`` as the upsert returns it."""

    cohort_id: int
    metric_id: int
    period: dt.date
    group: str
    mean_value: float
    teams: int


def rollup_metric_groups(
    org_id: int, cohort_ids: Sequence[int], now: dt.datetime
) -> list[GroupMean]:
    """Set-based: each cohort's participants' and comparison means per metric and period,
    upserted; rows no longer backed by facts are deleted. Returns the rows written (the
    statement's ``RETURNING``, so the caller need not read the table back)."""
    if not cohort_ids:
        return []
    with connection.cursor() as cursor:
        cursor.execute(group_means_sql(cohort_ids), [now, org_id, *cohort_ids])
        rows = [
            GroupMean(
                cohort_id,
                metric_id,
                # SQLite hands raw rows back as text
                dt.date.fromisoformat(period) if isinstance(period, str) else period,
                group,
                float(mean),
                teams,
            )
            for cohort_id, metric_id, period, group, mean, teams in cursor.fetchall()
        ]
    MetricGroupRollup.objects.filter(cohort_id__in=cohort_ids, computed_at__lt=now).delete()
    return rows


_WINDOW_SQL = """
WITH w(cohort_id, pre_before, eval_start, eval_end) AS (VALUES {windows})
SELECT w.cohort_id, v.metric_id, v.team_id, pt."group",
       CASE WHEN v.period < w.pre_before THEN 0 ELSE 1 END AS after,
       AVG(CAST(v.value AS DOUBLE PRECISION)), COUNT(*)
FROM {values} v
JOIN {planteam} pt ON pt.team_id = v.team_id AND pt.organization_id = v.organization_id
JOIN {plan} p ON p.id = pt.plan_id AND p.organization_id = v.organization_id
JOIN w ON w.cohort_id = p.cohort_id
JOIN {planmetric} pm ON pm.plan_id = p.id AND pm.metric_id = v.metric_id
     AND pm.organization_id = v.organization_id
WHERE v.organization_id = %s
  AND (v.period < w.pre_before OR (v.period >= w.eval_start AND v.period <= w.eval_end))
GROUP BY w.cohort_id, v.metric_id, v.team_id, pt."group",
         CASE WHEN v.period < w.pre_before THEN 0 ELSE 1 END
"""


def team_window_means(
    org_id: int, plans: list[MeasurementPlan]
) -> dict[tuple[int, int], list[tuple[int, str, bool, float, int]]]:
    """Per (cohort, metric): each plan team's mean before the cohort's start month and in the
    evaluation period, with how many monthly values it rests on. One set-based aggregate."""
    out: dict[tuple[int, int], list[tuple[int, str, bool, float, int]]] = defaultdict(list)
    if not plans:
        return out
    params: list[Any] = []
    for plan in plans:
        params += [plan.cohort_id, month_start(plan.cohort.start_date)]
        params += [plan.evaluation_start, plan.evaluation_end]
    sql = _WINDOW_SQL.format(
        windows=", ".join(["(%s, %s, %s, %s)"] * len(plans)),
        values=MetricValue._meta.db_table,
        planteam=PlanTeam._meta.db_table,
        plan=MeasurementPlan._meta.db_table,
        planmetric=PlanMetric._meta.db_table,
    )
    if connection.vendor == "sqlite":
        sql = sql.replace("DOUBLE PRECISION", "REAL")
    else:  # typed literals for the VALUES list
        sql = sql.replace("(%s, %s, %s, %s)", "(%s::bigint, %s::date, %s::date, %s::date)")
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, org_id])
        for cohort_id, metric_id, team_id, group, after, mean, n in cursor.fetchall():
            out[(cohort_id, metric_id)].append((team_id, group, bool(after), float(mean), n))
    return out


def _num(value: float | None, places: int = 4) -> float | None:
    return None if value is None or value != value else round(float(value), places)


def _metric_evidence(
    plan: MeasurementPlan,
    pm: PlanMetric,
    metric: Metric,
    window_means: list[tuple[int, str, bool, float, int]],
    monthly: list[tuple[str, dt.date, float, int]],
) -> tuple[dict[str, object], roi.Benefit | None]:
    """DiD (or a weaker pre/post change without a comparison group) for one plan metric, from
    each team's mean before the start and in the evaluation period; the pre-trend from the
    groups' monthly means before the start; its money when the plan gives a standard value."""
    start = month_start(plan.cohort.start_date)
    rows = [
        stats.DidObservation(str(team_id), group == "participants", post, mean)
        for team_id, group, post, mean, _n in window_means
    ]
    pre_months = sorted({period for _g, period, _m, _t in monthly if period < start})
    trend_rows = [
        (group == "participants", float(pre_months.index(period)), mean, float(teams))
        for group, period, mean, teams in monthly
        if period < start
    ]
    sign = 1.0 if metric.higher_is_better else -1.0
    out: dict[str, object] = {
        "metric_id": metric.pk,
        "name": metric.name,
        "unit": metric.unit,
        "level": metric.level,
        "higher_is_better": metric.higher_is_better,
        "values": sum(n for *_rest, n in window_means),
        "participant_teams": len({r.unit for r in rows if r.treated}),
        "comparison_teams": len({r.unit for r in rows if not r.treated}),
        "population": pm.population,
        "unit_value": None if pm.unit_value is None else str(pm.unit_value),
    }
    benefit: roi.Benefit | None = None
    if plan.has_comparison:
        did = stats.difference_in_differences(rows)
        if isinstance(did, stats.TooFew):
            out["too_few"] = did.message
        else:
            out["did"] = {
                "estimate": _num(did.estimate),
                "ci_low": _num(did.ci_low),
                "ci_high": _num(did.ci_high),
                "p_value": _num(did.p_value),
                "n_clusters": did.n_clusters,
                "treated_pre": _num(did.treated_pre),
                "treated_post": _num(did.treated_post),
                "comparison_pre": _num(did.comparison_pre),
                "comparison_post": _num(did.comparison_post),
                "naive": _num(did.naive_change),
            }
            trend = stats.pre_trend_of_means(trend_rows)
            out["pre_trend"] = (
                {"too_few": trend.message}
                if isinstance(trend, stats.TooFew)
                else {
                    "participants_slope": _num(trend.treated_slope),
                    "comparison_slope": _num(trend.comparison_slope),
                    "p_value": _num(trend.p_value),
                    "parallel": trend.parallel,
                }
            )
            if pm.unit_value is not None and pm.population:
                effect = sign * did.estimate
                benefit = roi.metric_benefit(
                    label=metric.name,
                    effect=effect,
                    unit=metric.unit,
                    population=pm.population,
                    unit_value=pm.unit_value,
                    is_revenue=metric.is_revenue,
                    margin_pct=plan.profit_margin_pct,
                    isolated_by="comparison group (difference-in-differences)",
                    facts={"metric_id": metric.pk, "teams": did.n_clusters},
                )
                naive = roi.metric_benefit(
                    metric.name,
                    sign * did.naive_change,
                    metric.unit,
                    pm.population,
                    pm.unit_value,
                    metric.is_revenue,
                    plan.profit_margin_pct,
                    "naive",
                    {},
                )
                out["money"] = str(benefit.value)
                out["naive_money"] = str(naive.value)
    else:
        in_programme = [r for r in rows if r.treated]
        pre = [r.value for r in in_programme if not r.post]
        post = [r.value for r in in_programme if r.post]
        if len(pre) >= 2 and len(post) >= 2:
            out["pre_post"] = {
                "pre": _num(sum(pre) / len(pre)),
                "post": _num(sum(post) / len(post)),
                "change": _num(sum(post) / len(post) - sum(pre) / len(pre)),
                "weaker": True,
            }
        else:
            out["too_few"] = "Values before and during the evaluation period are needed."
    return out, benefit


def _behaviour(facts: Sequence[sources.CompetencyScoreFact]) -> dict[int, dict[str, object]]:
    """Level 3 per cohort from the frozen 360 reports: per competency, the paired change of
    others' means (baseline → follow-up) with CI and d_z/d_av, and the share with reliable
    change. Only cells of at least MIN_PEOPLE_PER_CELL learners carry figures."""
    pairs: dict[tuple[int, int], dict[int, dict[str, object]]] = defaultdict(dict)
    for f in facts:
        if f.others_mean is None:
            continue
        entry = pairs[(f.cohort_id, f.competency_id)].setdefault(f.learner_id, {})
        entry[f.kind] = f.others_mean
        if f.kind == "follow_up":
            entry["reading"] = f.reading
    out: dict[int, dict[str, object]] = defaultdict(lambda: {"competencies": []})
    for (cohort_id, competency_id), by_learner in sorted(pairs.items()):
        complete = [e for e in by_learner.values() if "baseline" in e and "follow_up" in e]
        cell: dict[str, object] = {"competency_id": competency_id, "n": len(complete)}
        if not anonymity.cell_is_shown(len(complete)):
            cell["hidden"] = True
        else:
            result = stats.paired_change(
                [float(e["baseline"]) for e in complete],  # type: ignore[arg-type]
                [float(e["follow_up"]) for e in complete],  # type: ignore[arg-type]
            )
            if isinstance(result, stats.TooFew):
                cell["too_few"] = result.message
            else:
                cell.update(
                    mean_change=_num(result.mean_change),
                    ci_low=_num(result.ci_low),
                    ci_high=_num(result.ci_high),
                    d_z=_num(result.d_z),
                    d_av=_num(result.d_av),
                    mde_d_z=_num(result.mde_d_z),
                    reliable=sum(1 for e in complete if e.get("reading") == "reliable improvement"),
                )
        out[cohort_id]["competencies"].append(cell)  # type: ignore[attr-defined]
    return out


def _observations(learners: dict[int, set[int]]) -> dict[int, dict[str, object]]:
    """Coach and peer observations of each cohort's learners (``learners``: learner -> their
    cohorts): how many, of how many learners, and the mean rating as a share of its scale.
    Nothing for fewer than MIN_PEOPLE_PER_CELL."""
    if not learners:
        return {}
    per_cohort: dict[int, list[tuple[int, float]]] = defaultdict(list)
    for o in sources.observations(sorted(learners)):
        for cohort_id in learners.get(o.learner_id, ()):
            per_cohort[cohort_id].append(
                (o.learner_id, o.rating / o.scale_max if o.scale_max else 0)
            )
    out: dict[int, dict[str, object]] = {}
    for cohort_id, rows in per_cohort.items():
        people = len({learner for learner, _share in rows})
        if anonymity.cell_is_shown(people):
            out[cohort_id] = {
                "observations": len(rows),
                "learners": people,
                "mean_share": _num(sum(share for _l, share in rows) / len(rows), 3),
            }
    return out


def _baselines(facts: Sequence[sources.CompetencyScoreFact]) -> dict[int, int]:
    """Learners per cohort with a frozen 360 baseline (any competency)."""
    seen: dict[int, set[int]] = defaultdict(set)
    for f in facts:
        if f.kind == "baseline":
            seen[f.cohort_id].add(f.learner_id)
    return {cohort_id: len(learners) for cohort_id, learners in seen.items()}


# Months before the start whose values the comparison needs (pre-trends need three).
PRE_MONTHS = 3


def _data_quality(
    plan: MeasurementPlan,
    plan_metrics: list[PlanMetric],
    monthly: dict[tuple[int, int], list[tuple[str, dt.date, float, int]]],
    groups: dict[int, str],
    participants: int,
    claimants: int,
    baselines: int,
    now: dt.datetime,
) -> dict[str, object]:
    """What is missing for the evidence: metric values per team and month (three months before
    the start to the end of the evaluation or last month), 360 baselines, claim responses."""
    start = month_start(plan.cohort.start_date)
    first = start
    for _ in range(PRE_MONTHS):
        first = month_start(first - dt.timedelta(days=1))
    last = min(month_start(plan.evaluation_end), month_start(now.date()) - dt.timedelta(days=1))
    months = []
    month = first
    while month <= last:
        months.append(month)
        month = month_start(month + dt.timedelta(days=32))
    # Before the start and in the evaluation period; the months between are not compared.
    months = [m for m in months if m < start or m >= month_start(plan.evaluation_start)]
    metrics = []
    teams_expected = len(groups)  # every plan team, participants and comparison
    for pm in plan_metrics:
        entered = sum(
            teams
            for _g, period, _mean, teams in monthly[(plan.cohort_id, pm.metric_id)]
            if period in months
        )
        expected = teams_expected * len(months)
        missing = max(0, expected - entered)
        metrics.append(
            {
                "metric_id": pm.metric_id,
                "name": pm.metric.name,
                "expected": expected,
                "missing": missing,
            }
        )
    return {
        "metrics": metrics,
        "participants": participants,
        "baselines": baselines,
        "baseline_planned": plan.baseline_on is not None,
        "claimants": claimants,
        "comparison": plan.has_comparison,
    }


@dataclass(frozen=True)
class ImpactRollupResult:
    cohorts: int
    group_rows: int


def do_rollup_impact(cohort_ids: Iterable[int] | None = None) -> ImpactRollupResult:
    """Recompute the impact of ``cohort_ids`` (None: every cohort with a plan) from facts and
    upsert ``MetricGroupRollup`` and ``ImpactRollup``. Idempotent; never edits a fact."""
    org = current_org()
    assert org is not None
    now = timezone.now()
    plans = {
        p.cohort_id: p
        for p in MeasurementPlan.objects.select_related("cohort").filter(
            **({} if cohort_ids is None else {"cohort_id__in": list(cohort_ids)})
        )
    }
    ids = sorted(plans)
    with transaction.atomic():
        group_means = rollup_metric_groups(org.pk, ids, now)
        plan_metrics: dict[int, list[PlanMetric]] = defaultdict(list)
        for pm in PlanMetric.objects.select_related("metric").filter(plan__cohort_id__in=ids):
            plan_metrics[pm.plan_id].append(pm)
        groups: dict[int, dict[int, str]] = defaultdict(dict)
        for pt in PlanTeam.objects.filter(plan__cohort_id__in=ids).values(
            "plan_id", "team_id", "group"
        ):
            groups[pt["plan_id"]][pt["team_id"]] = pt["group"]
        collapsed = team_window_means(org.pk, list(plans.values()))
        monthly: dict[tuple[int, int], list[tuple[str, dt.date, float, int]]] = defaultdict(list)
        for g in sorted(group_means, key=lambda g: g.period):
            monthly[(g.cohort_id, g.metric_id)].append((g.group, g.period, g.mean_value, g.teams))
        costs: dict[int, list[CostLine]] = defaultdict(list)
        for line in CostLine.objects.filter(cohort_id__in=ids):
            costs[line.cohort_id].append(line)
        # learner -> their cohorts among ``ids``: participants per cohort and observations
        enrolled: dict[int, set[int]] = defaultdict(set)
        in_cohort: dict[int, set[int]] = defaultdict(set)
        for cohort_id, learner_id in (
            Enrollment.objects.filter(cohort_id__in=ids)
            .exclude(status=Enrollment.Status.WITHDRAWN)
            .values_list("cohort_id", "learner_id")
        ):
            enrolled[learner_id].add(cohort_id)
            in_cohort[cohort_id].add(learner_id)
        participants = {cohort_id: len(people) for cohort_id, people in in_cohort.items()}
        progress = {
            row["cohort_id"]: row
            for row in LearnerProgressRollup.objects.filter(cohort_id__in=ids)
            .values("cohort_id")
            .annotate(
                n=Count("learner_id", distinct=True),
                done=Count("id", filter=Q(completion__gte=1.0)),
                total=Count("id"),
            )
        }
        mastery = {
            row["learner__enrollments__cohort_id"]: row
            for row in Ability.objects.filter(learner__enrollments__cohort_id__in=ids)
            .values("learner__enrollments__cohort_id")
            .annotate(
                learners=Count("learner_id", distinct=True),
                estimates=Count("id"),
                mastered=Count("id", filter=Q(p_known__gte=MASTERED_AT)),
            )
        }
        reactions = {
            row["learner__enrollments__cohort_id"]: row
            for row in ModuleReaction.objects.filter(learner__enrollments__cohort_id__in=ids)
            .values("learner__enrollments__cohort_id")
            .annotate(
                learners=Count("learner_id", distinct=True),
                n=Count("id"),
                useful=Avg("useful"),
                relevant=Avg("relevant"),
            )
        }
        claims_by_cohort: dict[int, list[sources.BenefitClaimFact]] = defaultdict(list)
        for claim in sources.benefit_claims(ids):
            if claim.cohort_id is not None:
                claims_by_cohort[claim.cohort_id].append(claim)
        coaching = {c.cohort_id: c for c in sources.coaching_counts(ids) if c.coach_id is None}
        # Every cohort's projects in its own window, in one read (not one per cohort).
        project_facts = {
            f.cohort_id: f
            for f in sources.cohort_project_facts(
                {c: (p.cohort.start_date, p.evaluation_end) for c, p in plans.items()}
            )
        }
        scores = sources.competency_scores(ids)
        behaviour = _behaviour(scores)
        baselines = _baselines(scores)
        observed = _observations(enrolled)
        changes: dict[int, int] = defaultdict(int)
        last_change: dict[int, dt.datetime] = {}
        for cohort_id, changed_at in (
            PlanChange.objects.filter(plan__cohort_id__in=ids)
            .order_by("changed_at")
            .values_list("plan__cohort_id", "changed_at")
        ):
            changes[cohort_id] += 1
            last_change[cohort_id] = changed_at

        rows = []
        for cohort_id, plan in plans.items():
            metrics_out = []
            benefits: list[roi.Benefit] = []
            for pm in plan_metrics[plan.pk]:
                evidence, benefit = _metric_evidence(
                    plan,
                    pm,
                    pm.metric,
                    collapsed[(cohort_id, pm.metric_id)],
                    monthly[(cohort_id, pm.metric_id)],
                )
                metrics_out.append(evidence)
                if benefit is not None:
                    benefits.append(benefit)
            n_participants = participants.get(cohort_id, 0)
            claim_benefit, claim_rows = roi.claims_benefit(
                claims_by_cohort[cohort_id],
                n_participants,
                plan.profit_margin_pct,
            )
            if claim_rows:
                benefits.append(claim_benefit)
            items = [
                roi.CostItem(
                    line.category,
                    line.get_category_display(),
                    line.description,
                    line.amount,
                    line.shared_by,
                )
                for line in costs[cohort_id]
            ]
            result = roi.roi(items, benefits)
            prog = progress.get(cohort_id)
            known = mastery.get(cohort_id)
            liked = reactions.get(cohort_id)
            projects = project_facts.get(cohort_id)
            coach = coaching.get(cohort_id)
            evidence_json: dict[str, object] = {
                "participants": n_participants,
                "has_comparison": plan.has_comparison,
                "comparison_label": plan.comparison_label,
                "plan_changes": changes.get(cohort_id, 0),
                "plan_changed_on": last_change[cohort_id].date().isoformat()
                if cohort_id in last_change
                else None,
                "metrics": metrics_out,
                "benefits": [
                    {
                        "source": b.source,
                        "label": b.label,
                        "gross": str(b.gross),
                        "isolation_pct": round(b.isolation_pct, 1),
                        "confidence_pct": round(b.confidence_pct, 1),
                        "value": str(b.value),
                        "facts": b.facts,
                    }
                    for b in result.benefit_items
                ],
                "claims": claim_rows,
                "costs": {k: str(v) for k, v in result.costs_by_category.items()},
                "cost_lines": [
                    {
                        "category": i.category,
                        "label": i.label,
                        "description": i.description,
                        "amount": str(i.amount),
                        "shared_by": i.shared_by,
                        "allocated": str(i.allocated),
                    }
                    for i in items
                ],
                "intangibles": [
                    line.strip() for line in plan.intangibles.splitlines() if line.strip()
                ],
                "reaction": None
                if coach is None
                else {
                    "rating_mean": _num(coach.rating_mean, 2),
                    "rating_n": coach.rating_n,
                    "sessions": coach.sessions_held,
                    "attendance_rate": _num(coach.attendance_rate, 3),
                },
                "learning": None
                if prog is None
                else {
                    "learners": prog["n"],
                    "finished": prog["done"],
                    "enrolments": prog["total"],
                },
                "modules": None
                if liked is None or not anonymity.cell_is_shown(liked["learners"])
                else {
                    "learners": liked["learners"],
                    "ratings": liked["n"],
                    "useful": _num(liked["useful"], 2),
                    "relevant": _num(liked["relevant"], 2),
                },
                "mastery": None
                if known is None or not anonymity.cell_is_shown(known["learners"])
                else {
                    "learners": known["learners"],
                    "estimates": known["estimates"],
                    "mastered": known["mastered"],
                },
                "projects": None
                if projects is None
                else {
                    "teams": projects.teams,
                    "projects": projects.projects,
                    "milestones_due": projects.milestones_due,
                    "milestones_on_time": projects.milestones_on_time,
                    "satisfaction_mean": _num(projects.satisfaction_mean, 2),
                    "satisfaction_n": projects.satisfaction_n
                    if projects.satisfaction_mean is not None
                    else 0,
                },
                "data_quality": _data_quality(
                    plan,
                    plan_metrics[plan.pk],
                    monthly,
                    groups[plan.pk],
                    n_participants,
                    int(str(claim_benefit.facts["respondents"])) if claim_rows else 0,
                    baselines.get(cohort_id, 0),
                    now,
                ),
                "currency": plan.currency,
                "evaluation": [plan.evaluation_start.isoformat(), plan.evaluation_end.isoformat()],
                "start_date": plan.cohort.start_date.isoformat(),
                "observations": observed.get(cohort_id),
                "behaviour": behaviour.get(cohort_id, {"competencies": []}),
            }
            rows.append(
                ImpactRollup(
                    organization=org,
                    cohort_id=cohort_id,
                    costs=result.costs,
                    benefits=result.benefits,
                    bcr=result.bcr,
                    roi_pct=result.roi_pct,
                    payback_months=result.payback_months,
                    evidence=evidence_json,
                    computed_at=now,
                )
            )
        ImpactRollup.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["organization", "cohort"],
            update_fields=[
                "costs",
                "benefits",
                "bcr",
                "roi_pct",
                "payback_months",
                "evidence",
                "computed_at",
            ],
        )
        if cohort_ids is None:
            ImpactRollup.objects.exclude(cohort_id__in=ids).delete()
    return ImpactRollupResult(cohorts=len(rows), group_rows=len(group_means))


# --- team roll-up: team × measure × month ---------------------------------------------------

TEAM_ROLLUP_HANDLER = "measurement.impact.run_team_rollup"
# Months a team roll-up recomputes: the current one and the twelve before it, what the team
# manager's dashboard shows. Older rows stay as they were last computed.
TEAM_ROLLUP_MONTHS = 13
# Programme rows per INSERT statement; 500 rows are about 60 kB of parameters.
TEAM_UPSERT_BATCH = 500


def team_rollup_months(today: dt.date) -> tuple[dt.date, dt.date]:
    """The first day of the earliest month and the last day of the current month."""
    first = today.replace(day=1)
    for _month in range(TEAM_ROLLUP_MONTHS - 1):
        first = month_start(first - dt.timedelta(days=1))
    last = month_start(today.replace(day=1) + dt.timedelta(days=32)) - dt.timedelta(days=1)
    return first, last


def queue_team_rollup(team_id: int, now: dt.datetime | None = None) -> None:
    """Record the team's roll-up in the outbox, in the caller's transaction: one row per team
    and ``ROLLUP_WINDOW`` (its dedupe key), run at the window's end."""
    if settings.CELERY_TASK_ALWAYS_EAGER:
        record_followup(TEAM_ROLLUP_HANDLER, team_id)
        return
    now = now or timezone.now()
    window = int(now.timestamp() // ROLLUP_WINDOW.total_seconds())
    run_after = dt.datetime.fromtimestamp((window + 1) * ROLLUP_WINDOW.total_seconds(), tz=dt.UTC)
    record_followup(
        TEAM_ROLLUP_HANDLER,
        team_id,
        dedupe_key=f"team-rollup:{team_id}:{window}",
        run_after=run_after,
    )


def queue_team_rollups_for_learners(learner_ids: Iterable[int]) -> None:
    """Facts about these learners changed (a milestone of their project, a logged session, their
    progress): their teams roll up again."""
    for team_id in sorted(
        set(
            Membership.objects.filter(pk__in=learner_ids, team__isnull=False).values_list(
                "team_id", flat=True
            )
        )
    ):
        queue_team_rollup(team_id)


@derived_rows_only
def run_team_rollup(org: Organization, team_id: int) -> None:
    """Outbox handler: one team's roll-up (a vanished team is done)."""
    if Team.objects.filter(pk=team_id).exists():
        do_rollup_team_metrics([team_id])


_TEAM_COLUMNS = (
    "organization_id, team_id, period, measure, metric_id, value, base, part, people, computed_at"
)
# A row whose figures did not change is left as it is (no new row version, no index churn):
# re-running over unchanged facts writes nothing. ``computed_at`` is when the figures last
# changed. "IS NOT" is SQLite's null-safe inequality; PostgreSQL spells it IS DISTINCT FROM.
_TEAM_UPDATE = """DO UPDATE SET value = excluded.value, base = excluded.base, part = excluded.part,
    people = excluded.people, computed_at = excluded.computed_at
WHERE {rollup}.value IS NOT excluded.value OR {rollup}.base IS NOT excluded.base
   OR {rollup}.part IS NOT excluded.part OR {rollup}.people IS NOT excluded.people"""
_TEAM_INSERT = "INSERT INTO {rollup} ({columns})"
# The two unique keys of TeamMetricRollup, as conflict targets.
_ON_MEASURE = "ON CONFLICT (organization_id, team_id, period, measure) WHERE metric_id IS NULL "
_ON_METRIC = "ON CONFLICT (organization_id, team_id, period, measure, metric_id) "
_TEAM_VALUES_SQL = (
    _TEAM_INSERT
    + " VALUES (%s, %s, %s, %s, NULL, %s, %s, %s, %s, %s) "
    + _ON_MEASURE
    + _TEAM_UPDATE
)
# Rows of the scope that no fact backs any more: a metric value or a team's progress rows
# gone (a value deleted, everyone left the team). The programme rows are few; they are
# compared with the fresh ones in Python.
_STALE_SQL = """
DELETE FROM {rollup}
WHERE organization_id = %s AND period >= %s AND period <= %s {teams} AND {which}
  AND NOT EXISTS (SELECT 1 FROM {facts} f
                  WHERE f.organization_id = {rollup}.organization_id
                    AND f.team_id = {rollup}.team_id AND f.period = {rollup}.period {match})
"""

# Only the rows that are new or whose figures changed go on to the upsert: over unchanged facts
# it neither writes nor locks a row.
_CHANGED_SELECT = """
SELECT f.organization_id, f.team_id, f.period, f.measure, f.metric_id, f.value, f.base, f.part,
       f.people, f.computed_at
FROM ({select}) f
LEFT JOIN {rollup} r ON r.organization_id = f.organization_id AND r.team_id = f.team_id
     AND r.period = f.period AND {key}
WHERE r.id IS NULL OR r.value IS NOT f.value OR r.base IS NOT f.base OR r.part IS NOT f.part
   OR r.people IS NOT f.people
"""

# Completion per team and month from the learners' progress rows: per person (someone in two
# pathways weighs once), a learner's completion is the mean of their enrolments and finished
# means every enrolment done, as TeamProgressRollup counts it.
_COMPLETION_SELECT = """
SELECT %s AS organization_id, l.team_id AS team_id, l.period AS period, 'completion' AS measure,
       CAST(NULL AS BIGINT) AS metric_id, AVG(l.completion) AS value, COUNT(*) AS base,
       SUM(CASE WHEN l.lowest >= 1.0 THEN 1 ELSE 0 END) AS part, COUNT(*) AS people,
       %s AS computed_at
FROM (SELECT team_id, period, learner_id, AVG(completion) AS completion,
             MIN(completion) AS lowest
      FROM {progress}
      WHERE organization_id = %s AND team_id IS NOT NULL AND period >= %s AND period <= %s {teams}
      GROUP BY team_id, period, learner_id) l
WHERE l.team_id IS NOT NULL
GROUP BY l.team_id, l.period
"""
# A team metric's value per month; the people behind it are the team's active members.
_METRIC_SELECT = """
SELECT v.organization_id AS organization_id, v.team_id AS team_id, v.period AS period,
       'metric' AS measure, v.metric_id AS metric_id, CAST(v.value AS DOUBLE PRECISION) AS value,
       1 AS base, CAST(NULL AS INTEGER) AS part, COALESCE(m.people, 0) AS people,
       %s AS computed_at
FROM {values} v
LEFT JOIN (SELECT team_id, COUNT(*) AS people FROM {membership}
           WHERE organization_id = %s AND is_active = %s AND team_id IS NOT NULL {member_teams}
           GROUP BY team_id) m ON m.team_id = v.team_id
WHERE v.organization_id = %s AND v.period >= %s AND v.period <= %s {teams}
"""


def team_rollup_sql(which: str, team_ids: Sequence[int] | None, upsert: bool = True) -> str:
    """The set-based statement for ``which`` ("completion" or "metric"), its parameters from
    ``team_rollup_params``; ``upsert=False`` gives the bare aggregate of the same facts (what
    the benchmark compares the roll-up with)."""
    teams = "" if team_ids is None else f"AND team_id IN ({', '.join(['%s'] * len(team_ids))})"
    if which == "completion":
        select = _COMPLETION_SELECT.format(
            progress=LearnerProgressRollup._meta.db_table, teams=teams
        )
        conflict = _ON_MEASURE
        key = "r.measure = f.measure AND r.metric_id IS NULL"
    else:
        select = _METRIC_SELECT.format(
            values=MetricValue._meta.db_table,
            membership=Membership._meta.db_table,
            member_teams=teams,
            teams=teams.replace("team_id", "v.team_id"),
        )
        conflict = _ON_METRIC
        key = "r.measure = f.measure AND r.metric_id = f.metric_id"
    rollup = TeamMetricRollup._meta.db_table
    sql = (
        _TEAM_INSERT.format(rollup=rollup, columns=_TEAM_COLUMNS)
        + _CHANGED_SELECT.format(select=select, rollup=rollup, key=key)
        + conflict
        + _TEAM_UPDATE.format(rollup=rollup)
        if upsert
        else select
    )
    return _for_vendor(sql)


def _for_vendor(sql: str) -> str:
    if connection.vendor == "sqlite":
        return sql.replace("DOUBLE PRECISION", "REAL")
    return re.sub(r" IS NOT (?=(excluded|f)\.)", " IS DISTINCT FROM ", sql)


# After the metric upsert every metric value of the scope has its row (the row's key is the
# value's own unique key), so the scope holds a row no value backs exactly when it has more
# rows than values: two counts decide whether the anti-join delete is needed at all.
_METRIC_COUNTS_SQL = """
SELECT (SELECT COUNT(*) FROM {values}
        WHERE organization_id = %s AND period >= %s AND period <= %s {teams}),
       (SELECT COUNT(*) FROM {rollup}
        WHERE organization_id = %s AND period >= %s AND period <= %s {teams}
          AND metric_id IS NOT NULL)
"""


def _delete_stale_team_rows(
    cursor: Any, org_id: int, first: dt.date, last: dt.date, team_ids: Sequence[int] | None
) -> None:
    """Delete the scope's metric and completion rows whose facts are gone (2 statements, 3 when
    a metric value of the scope was deleted since the last run)."""
    rollup = TeamMetricRollup._meta.db_table
    teams = "" if team_ids is None else f"AND team_id IN ({', '.join(['%s'] * len(team_ids))})"
    scope = [org_id, first, last, *(team_ids or [])]
    cursor.execute(
        _METRIC_COUNTS_SQL.format(values=MetricValue._meta.db_table, rollup=rollup, teams=teams),
        scope + scope,
    )
    values, rows = cursor.fetchone()
    stale = []
    if rows > values:
        stale.append(
            (
                "metric_id IS NOT NULL",
                MetricValue._meta.db_table,
                f"AND f.metric_id = {rollup}.metric_id",
            )
        )
    stale.append(("measure = 'completion'", LearnerProgressRollup._meta.db_table, ""))
    for which, facts, match in stale:
        cursor.execute(
            _STALE_SQL.format(rollup=rollup, teams=teams, which=which, facts=facts, match=match),
            scope,
        )


def team_rollup_params(
    which: str,
    org_id: int,
    first: dt.date,
    last: dt.date,
    now: dt.datetime,
    team_ids: Sequence[int] | None,
) -> list[Any]:
    teams = [] if team_ids is None else list(team_ids)
    if which == "completion":
        return [org_id, now, org_id, first, last, *teams]
    return [now, org_id, True, *teams, org_id, first, last, *teams]


def programme_team_rows(
    first: dt.date, last: dt.date, team_ids: Sequence[int] | None
) -> list[tuple[int, dt.date, str, float, int, int | None, int]]:
    """``(team, month, measure, value, base, part, people)`` for milestones on time, stakeholder
    satisfaction and coaching attendance, from the projects and coaching contracts (3 queries).
    A month without milestones, shown ratings or logged sessions has no row."""
    M = TeamMetricRollup.Measure
    rows: list[tuple[int, dt.date, str, float, int, int | None, int]] = []
    for p in sources.team_project_months(first, last, team_ids):
        if p.milestones_due:
            rows.append(
                (
                    p.team_id,
                    p.month,
                    M.MILESTONES,
                    p.milestones_on_time / p.milestones_due,
                    p.milestones_due,
                    p.milestones_on_time,
                    p.milestone_learners,
                )
            )
        if p.satisfaction_mean is not None:
            rows.append(
                (
                    p.team_id,
                    p.month,
                    M.SATISFACTION,
                    p.satisfaction_mean,
                    p.satisfaction_n,
                    None,
                    p.rating_learners,
                )
            )
    for a in sources.team_attendance_months(first, last, team_ids):
        rows.append(
            (
                a.team_id,
                a.month,
                M.ATTENDANCE,
                a.attended / a.logged,
                a.logged,
                a.attended,
                a.learners,
            )
        )
    return rows


@dataclass(frozen=True)
class TeamRollupResult:
    teams: int | None  # None: every team
    rows: int
    first: dt.date
    last: dt.date


def do_rollup_team_metrics(
    team_ids: Sequence[int] | None = None, today: dt.date | None = None
) -> TeamRollupResult:
    """Recompute ``TeamMetricRollup`` for ``team_ids`` (None: every team) over the last
    ``TEAM_ROLLUP_MONTHS`` months and upsert it, leaving unchanged rows untouched; rows of
    those teams and months that no fact backs any more are deleted. Set-based for completion
    and the metric values, one batched upsert for the programme rows. Idempotent; never edits
    a fact. Runs in ``tenant_context``; 8 statements plus one per ``TEAM_UPSERT_BATCH``
    programme rows, one more when a metric value of the scope was deleted since the last run. ``rows`` of the result counts the rows inserted or changed."""
    org = current_org()
    assert org is not None
    now = timezone.now()
    first, last = team_rollup_months(today or org_today())
    ids = None if team_ids is None else sorted(set(team_ids))
    if ids == []:
        return TeamRollupResult(0, 0, first, last)
    programme = programme_team_rows(first, last, ids)
    written = 0
    with transaction.atomic(), connection.cursor() as cursor:
        for which in ("completion", "metric"):
            cursor.execute(
                team_rollup_sql(which, ids),
                team_rollup_params(which, org.pk, first, last, now, ids),
            )
            written += max(cursor.rowcount, 0)
        insert = _for_vendor(
            _TEAM_VALUES_SQL.format(rollup=TeamMetricRollup._meta.db_table, columns=_TEAM_COLUMNS)
        )
        for i in range(0, len(programme), TEAM_UPSERT_BATCH):
            cursor.executemany(
                insert,
                [
                    (org.pk, team, month, str(measure), value, base, part, people, now)
                    for team, month, measure, value, base, part, people in programme[
                        i : i + TEAM_UPSERT_BATCH
                    ]
                ],
            )
            written += max(cursor.rowcount, 0)
        _delete_stale_team_rows(cursor, org.pk, first, last, ids)
        fresh = {(team, month, str(measure)) for team, month, measure, *_rest in programme}
        M = TeamMetricRollup.Measure
        # (no metric: the partial unique index of the programme rows answers it)
        earlier = TeamMetricRollup.objects.filter(
            period__gte=first,
            period__lte=last,
            metric__isnull=True,
            measure__in=[M.MILESTONES, M.SATISFACTION, M.ATTENDANCE],
        )
        if ids is not None:
            earlier = earlier.filter(team_id__in=ids)
        gone = [
            pk
            for pk, team, month, measure in earlier.values_list(
                "pk", "team_id", "period", "measure"
            )
            if (team, month, measure) not in fresh
        ]
        if gone:
            TeamMetricRollup.objects.filter(pk__in=gone).delete()
    return TeamRollupResult(None if ids is None else len(ids), written, first, last)
