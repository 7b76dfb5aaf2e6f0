"""Impact demo: a finished spring pilot cohort of the demo pathway, comparison teams, a year
and more of monthly metrics with a real programme effect and noise, fully loaded costs, and the
roll-up, so the sponsor's impact page tells a coherent story.

The story: 24 managers from the six demo teams took the pilot; eight teams of the regions
division, with no one in any programme, are the comparison group. Regretted turnover fell in
both (a better labour market) but about three points more in participants' teams; engagement
rose a little more. Idempotent: a second run on the same day changes nothing.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import replace
from decimal import Decimal

from django.utils import timezone

from measurement import impact
from measurement.models import CostLine, MeasurementPlan, Metric
from measurement.services import do_rollup_progress
from organizations.demo import DemoPeople
from organizations.models import Team
from pathways.learning.demo import seed_learning
from pathways.models import Cohort, CohortSponsor, Enrollment, Step, StepCompletion
from projects.demo import SPRING

PILOT_NAME = "Leading Through Change – Spring pilot"
PILOT_SIZE = 24
COMPARISON_TEAMS = [
    "Regions – North Operations",
    "Regions – South Operations",
    "Regions – Field Service",
    "Regions – Logistics",
    "Regions – Key Accounts",
    "Regions – Service Desk",
    "Regions – Procurement",
    "Regions – Finance Hub",
]
# (name, unit, direction, level, min, max, pre level, common trend per month, effect, noise sd)
METRICS = [
    ("Regretted turnover", "%", "down", "business", 0, 100, 14.0, -0.15, -3.0, 1.2),
    ("Engagement score", "points", "up", "team", 0, 100, 66.0, 0.1, 3.0, 1.5),
    ("Customer retention", "%", "up", "business", 0, 100, 88.0, 0.0, 1.0, 1.0),
]


def _months_between(first: dt.date, last: dt.date) -> list[dt.date]:
    months, month = [], first
    while month <= last:
        months.append(month)
        month = (month + dt.timedelta(days=32)).replace(day=1)
    return months


def _add_months(day: dt.date, n: int) -> dt.date:
    month = day.month - 1 + n
    return dt.date(day.year + month // 12, month % 12 + 1, 1)


def _complete_pathway(pilot: Cohort) -> None:
    """Every step done for the pilot's completed enrolments, as the product completes an
    enrolment only on its last step: their completions spread evenly from the cohort's start to
    the day they finished, so that their progress, a coach's roster and the cohort's page show
    them done, not as having every step overdue. The steps of an elective group are left out
    (they are owed only once chosen; the demo's pathway has none); idempotent."""
    finished = list(
        Enrollment.objects.filter(cohort=pilot, status=Enrollment.Status.COMPLETED).values_list(
            "pk", "learner_id", "completed_at"
        )
    )
    keys = list(
        Step.objects.filter(version_id=pilot.version_id, elective_group__isnull=True)
        .order_by("stage__position", "position", "pk")
        .values_list("key", flat=True)
    )
    if not finished or not keys:
        return
    start = dt.datetime.combine(pilot.start_date, dt.time(9), tzinfo=dt.UTC)
    StepCompletion.objects.bulk_create(
        [
            StepCompletion(
                organization_id=pilot.organization_id,
                enrollment_id=pk,
                learner_id=learner_id,
                step_key=key,
                completed_at=start + (done - start) * (i + 1) / len(keys),
            )
            for pk, learner_id, done in finished
            if done is not None
            for i, key in enumerate(keys)
        ],
        ignore_conflicts=True,
    )


def seed_impact(people: DemoPeople, current: Cohort) -> Cohort:
    """Must run inside tenant_context(people.org), after the pathways demo made ``current``."""
    rng = random.Random(f"{people.org.slug}-impact")
    today = timezone.localdate()
    start = _add_months(today.replace(day=1), -8)
    # The projects demo's finished spring cohort, with its signed-off projects and claims, is
    # the pilot when it exists; otherwise the pilot is made here.
    pilot = (
        Cohort.objects.filter(name=SPRING).first()
        or Cohort.objects.get_or_create(
            name=PILOT_NAME,
            defaults={
                "version": current.version,
                "start_date": start,
                "end_date": start + dt.timedelta(days=150),
                "status": Cohort.Status.FINISHED,
            },
        )[0]
    )
    start = pilot.start_date
    CohortSponsor.objects.get_or_create(cohort=pilot, membership=people.sponsor)
    participants = [m for m in people.learners if m.pk != people.learner.pk][:PILOT_SIZE]
    Enrollment.objects.bulk_create(
        [
            Enrollment(
                organization_id=people.org.pk,
                cohort=pilot,
                learner=m,
                version=pilot.version,
                status=Enrollment.Status.COMPLETED,
                completed_at=timezone.now() - dt.timedelta(days=60),
            )
            for m in participants
        ],
        ignore_conflicts=True,
    )
    _complete_pathway(pilot)
    # What taking those modules leaves (their "opened" and "completed" facts, review cards,
    # answers, reactions), as the learning demo gives every other completion: on this run,
    # not only on the next one, which would find the completions already there.
    seed_learning(replace(people, learners=participants))
    comparison = [Team.objects.get_or_create(name=name)[0] for name in COMPARISON_TEAMS]
    participant_teams = sorted(impact.participant_team_ids(pilot))

    # A year and more of monthly values: six months before the start, then every full month.
    months = _months_between(_add_months(start, -6), _add_months(today.replace(day=1), -1))
    effect_from = _add_months(start, 2)
    metrics = {}
    rows: list[impact.ValueRow] = []
    for name, unit, direction, level, low, high, base, trend, effect, noise in METRICS:
        metric, _ = Metric.objects.get_or_create(
            name=name,
            defaults={
                "unit": unit,
                "direction": direction,
                "level": level,
                "min_value": Decimal(low),
                "max_value": Decimal(high),
            },
        )
        metrics[name] = metric
        for team_id in [*participant_teams, *(t.pk for t in comparison)]:
            treated = team_id in participant_teams
            level_of_team = base + rng.gauss(0, noise * 1.5)
            for i, month in enumerate(months):
                value = level_of_team + trend * i + rng.gauss(0, noise)
                if treated and month >= effect_from:
                    ramp = min(1.0, (months.index(month) - months.index(effect_from) + 1) / 3)
                    value += effect * ramp
                value = min(high, max(low, value))
                rows.append(impact.ValueRow(metric.pk, team_id, month, Decimal(f"{value:.2f}")))
    impact.upsert_metric_values(rows, "demo", None)

    if not MeasurementPlan.objects.filter(cohort=pilot).exists():
        impact.do_save_plan(
            pilot,
            impact.PlanInput(
                baseline_on=start - dt.timedelta(days=7),
                follow_up_on=start + dt.timedelta(days=160),
                evaluation_start=_add_months(start, 3),
                evaluation_end=current.start_date.replace(day=1) - dt.timedelta(days=1),
                comparison="teams",
                comparison_team_ids=tuple(t.pk for t in comparison),
                profit_margin_pct=Decimal(12),
                currency="EUR",
                intangibles="Engagement score (team level)\nBench strength: successors named\n"
                "Cross-functional collaboration",
                metrics=(
                    (metrics["Regretted turnover"].pk, 300, Decimal(45000)),
                    (metrics["Engagement score"].pk, 0, None),
                    (metrics["Customer retention"].pk, 0, None),
                ),
            ),
            people.admin,
        )
    n = Enrollment.objects.filter(cohort=pilot).count()
    # Costs need participants (their time is a line); ``seed_demo --learners 0`` has none.
    if n and not CostLine.objects.filter(cohort=pilot).exists():
        C = CostLine.Category
        for line in (
            impact.CostInput(C.NEEDS_ANALYSIS, "shared by three cohorts", Decimal(30000), 3),
            impact.CostInput(C.DESIGN, "shared by three cohorts", Decimal(60000), 3),
            impact.CostInput(C.CONTENT, "module and 360 licences", Decimal(9000)),
            impact.CostInput(C.COACHING, f"{n} × 6 sessions × 350", Decimal(n * 6 * 350)),
            impact.CostInput(C.FACILITATION, "two workshop days", Decimal(14000)),
            impact.CostInput(
                C.PARTICIPANTS_TIME,
                f"{n} × 50 h × 85 loaded rate",
                people=n,
                hours=Decimal(50),
                hourly_rate=Decimal(85),
            ),
            impact.CostInput(C.TRAVEL, "workshop travel", Decimal(11000)),
            impact.CostInput(C.FACILITIES, "venue and catering", Decimal(7000)),
            impact.CostInput(C.TECHNOLOGY, "platform share", Decimal(6000)),
            impact.CostInput(C.ADMINISTRATION, "programme coordinator share", Decimal(12000)),
            impact.CostInput(C.EVALUATION, "360s and analysis", Decimal(8000)),
            impact.CostInput(C.OVERHEAD, "", Decimal(5000)),
        ):
            impact.do_add_cost(pilot, line)
    do_rollup_progress(people.org)  # the pilot's learners join the progress roll-up
    impact.do_rollup_impact()
    impact.do_rollup_team_metrics()  # what each team lead sees on "My teams"
    return pilot
