"""Impact roll-up benchmark: the organisation's full impact roll-up against the bare SQL
aggregate of the same facts, side by side in one run, printed as a ratio; and the number of
queries each impact page takes.

The demo gives the spring pilot 14 teams; to measure at scale the benchmark adds ``--units``
comparison business units (default 1,000) with 24 months of the pilot's three metrics, so the
roll-up reads 72,000 metric values besides the 5,000 learners' facts.
"""

from __future__ import annotations

import datetime as dt
import random
import statistics
import time
from decimal import Decimal

from django.db import connection
from django.utils import timezone

from measurement import impact
from measurement.models import MeasurementPlan, Metric, MetricValue, PlanMetric, PlanTeam
from organizations.models import Organization, Team
from organizations.tenancy import tenant_context

ORG = "acme"
REPEAT = 5


def add_business_units(units: int) -> int:
    """Comparison business units with 24 months of every plan metric (idempotent)."""
    org = Organization.objects.get(slug=ORG)
    rng = random.Random(7)
    with tenant_context(org):
        plan = MeasurementPlan.objects.select_related("cohort").order_by("pk").first()
        assert plan is not None, "seed_demo gives the demo pilot a measurement plan"
        pilot = plan.cohort
        names = [f"Unit {i:05d}" for i in range(units)]
        Team.objects.bulk_create(
            [Team(organization=org, name=n) for n in names], ignore_conflicts=True, batch_size=1000
        )
        team_ids = list(Team.objects.filter(name__in=names).values_list("pk", flat=True))
        PlanTeam.objects.bulk_create(
            [
                PlanTeam(organization=org, plan=plan, team_id=t, group="comparison")
                for t in team_ids
            ],
            ignore_conflicts=True,
            batch_size=1000,
        )
        first = pilot.start_date.replace(day=1) - dt.timedelta(days=200)
        months = sorted({(first + dt.timedelta(days=31 * i)).replace(day=1) for i in range(24)})
        metrics = list(
            Metric.objects.filter(pk__in=PlanMetric.objects.filter(plan=plan).values("metric_id"))
        )
        now = timezone.now()
        rows = [
            MetricValue(
                organization=org,
                metric=m,
                team_id=t,
                period=month,
                value=Decimal(f"{rng.uniform(10, 90):.2f}"),
                source="demo",
                entered_at=now,
            )
            for m in metrics
            for t in team_ids
            for month in months
        ]
        MetricValue.objects.bulk_create(rows, ignore_conflicts=True, batch_size=2000)
        return MetricValue.objects.count()


def _best(run: object, repeat: int = REPEAT) -> tuple[float, float]:
    timings = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        run()  # type: ignore[operator]
        timings.append(time.perf_counter() - t0)
    return min(timings), statistics.median(timings)


def measure_impact_rollup(units: int) -> None:
    values = add_business_units(units)
    org = Organization.objects.get(slug=ORG)
    with tenant_context(org):
        cohort_ids = sorted(MeasurementPlan.objects.values_list("cohort_id", flat=True))

    def full() -> None:
        with tenant_context(org):
            impact.do_rollup_impact()

    def groups_only() -> None:
        with tenant_context(org):
            impact.rollup_metric_groups(org.pk, cohort_ids, timezone.now())

    def bare_groups() -> None:
        # The group roll-up's aggregate over the same facts, only read: no upsert.
        with tenant_context(org), connection.cursor() as cursor:
            cursor.execute(
                impact.group_means_sql(cohort_ids, upsert=False),
                [timezone.now(), org.pk, *cohort_ids],
            )
            cursor.fetchall()

    def bare() -> None:
        # Every aggregate of metric facts the full roll-up needs (monthly group means and each
        # team's means before and after), only read: no upsert, no statistics, no ROI.
        bare_groups()
        with tenant_context(org):
            plans = list(MeasurementPlan.objects.select_related("cohort"))
            impact.team_window_means(org.pk, plans)

    full()  # warm caches
    bare_best, bare_median = _best(bare)
    bare_groups_best, bare_groups_median = _best(bare_groups)
    groups_best, groups_median = _best(groups_only)
    full_best, full_median = _best(full)
    print(
        f"impact roll-up ({values:,} metric values, {len(cohort_ids)} planned cohort(s)), "
        f"best / median of {REPEAT}:"
    )
    print(
        f"  bare SQL: group means only        {bare_groups_best * 1000:7.1f} / "
        f"{bare_groups_median * 1000:7.1f} ms"
    )
    print(
        f"  set-based group roll-up (upsert)  {groups_best * 1000:7.1f} / "
        f"{groups_median * 1000:7.1f} ms   ratio {groups_median / bare_groups_median:4.2f}x"
    )
    print(
        f"  bare SQL: all metric aggregates   {bare_best * 1000:7.1f} / {bare_median * 1000:7.1f} ms"
    )
    print(
        f"  full impact roll-up (+DiD, ROI)   {full_best * 1000:7.1f} / {full_median * 1000:7.1f} ms"
        f"   ratio {full_median / bare_median:4.2f}x"
    )
