"""Impact and team roll-up benchmarks: each roll-up against the bare SQL aggregate of the same
facts, side by side in one run, printed as a ratio; and the number of queries each page takes.

The demo gives the spring pilot 14 teams; to measure at scale the benchmark adds ``--units``
comparison business units (default 1,000) with 24 months of the pilot's three metrics, so the
impact roll-up reads 72,000 metric values besides the 5,000 learners' facts.

"Bare" means the aggregates only: one ``SELECT … GROUP BY`` per fact table the roll-up reads,
rows fetched, nothing written, no statistics, no ROI, no JSON.
"""

from __future__ import annotations

import datetime as dt
import random
import statistics
import time
from collections.abc import Callable
from decimal import Decimal

from django.db import connection
from django.db.models import Avg, Count, F, Model, Q, Sum
from django.utils import timezone

from coaching.models import (
    CoachingEngagement,
    CoachingSession,
    Goal,
    Observation,
    SessionParticipant,
)
from measurement import impact, sources
from measurement.feedback.models import CompetencyScore
from measurement.models import (
    CostLine,
    LearnerCompetencyRollup,
    LearnerProgressRollup,
    MeasurementPlan,
    Metric,
    MetricValue,
    PlanChange,
    PlanMetric,
    PlanTeam,
    TeamMetricRollup,
)
from organizations.models import Membership, Organization, Team
from organizations.relative_dates import org_today
from organizations.tenancy import tenant_context
from pathways.models import Ability, Enrollment, ModuleReaction
from projects.models import BenefitClaim, Milestone, StakeholderRating

ORG = "acme"
REPEAT = 7


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


def _rounds(
    runs: list[tuple[Callable[[], object], Callable[[], object] | None]], repeat: int = REPEAT
) -> list[tuple[float, float]]:
    """Best and median seconds of each ``(run, setup)``, timed in interleaved rounds (one of
    each per round, ``setup`` untimed before its run), so that load from other processes falls
    on the roll-up and its bare aggregate alike."""
    timings: list[list[float]] = [[] for _ in runs]
    for _ in range(repeat):
        for i, (run, setup) in enumerate(runs):
            if setup is not None:
                setup()
            t0 = time.perf_counter()
            run()
            timings[i].append(time.perf_counter() - t0)
    return [(min(t), statistics.median(t)) for t in timings]


def _vacuum(*models: type[Model]) -> None:
    """Clear the dead row versions a setup's delete left (PostgreSQL; outside a transaction), so
    that "into an empty table" starts from an empty table, as a first roll-up does, and not
    from one holding every earlier round's deleted rows (each insert would otherwise check its
    unique key against all of them). Untimed, like the delete."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM {', '.join(m._meta.db_table for m in models)}")


def _ms(best_median: tuple[float, float]) -> str:
    return f"{best_median[0] * 1000:8.1f} / {best_median[1] * 1000:8.1f} ms"


def _bare_metric_aggregates(org: Organization, cohort_ids: list[int]) -> None:
    """Monthly group means and each plan team's means before and after: what the impact
    roll-up aggregates from metric values."""
    with connection.cursor() as cursor:
        cursor.execute(
            impact.group_means_sql(cohort_ids, upsert=False),
            [timezone.now(), org.pk, *cohort_ids],
        )
        cursor.fetchall()
    impact.team_window_means(org.pk, list(MeasurementPlan.objects.select_related("cohort")))


def _bare_learner_aggregates(cohort_ids: list[int]) -> None:
    """One aggregate per cohort of every other fact the impact roll-up reads: enrolments,
    progress, mastery, module reactions, claims, coaching, 360 scores, observations, project
    milestones and ratings, costs and plan changes."""
    cohorts = Q(cohort_id__in=cohort_ids)
    enrolled = Q(learner__enrollments__cohort_id__in=cohort_ids)
    per_cohort = "learner__enrollments__cohort_id"
    queries = [
        Enrollment.objects.filter(cohorts).values("cohort_id").annotate(n=Count("learner_id")),
        LearnerProgressRollup.objects.filter(cohorts)
        .values("cohort_id")
        .annotate(n=Count("id"), done=Count("id", filter=Q(completion__gte=1.0))),
        Ability.objects.filter(enrolled)
        .values(per_cohort)
        .annotate(n=Count("id"), known=Count("id", filter=Q(p_known__gte=0.95))),
        ModuleReaction.objects.filter(enrolled)
        .values(per_cohort)
        .annotate(n=Count("id"), useful=Avg("useful"), relevant=Avg("relevant")),
        BenefitClaim.objects.filter(project__cohort_id__in=cohort_ids)
        .values("project__cohort_id", "status")
        .annotate(n=Count("id"), value=Sum("annual_value"), adjusted=Sum("adjusted_value")),
        CoachingSession.objects.filter(cohorts, status="held")
        .values("cohort_id")
        .annotate(n=Count("id"), minutes=Sum("actual_minutes")),
        SessionParticipant.objects.filter(session__cohort_id__in=cohort_ids)
        .values("session__cohort_id", "attendance")
        .annotate(n=Count("id"), rating=Avg("rating")),
        CoachingEngagement.objects.filter(cohorts)
        .values("cohort_id")
        .annotate(n=Count("coachee_id", distinct=True)),
        Goal.objects.filter(engagement__cohort_id__in=cohort_ids)
        .values("engagement__cohort_id", "status")
        .annotate(n=Count("id")),
        CompetencyScore.objects.filter(cycle__cohort_id__in=cohort_ids)
        .values("cycle__cohort_id", "cycle__kind", "competency_id")
        .annotate(n=Count("id"), mean=Avg("others_mean")),
        Observation.objects.filter(enrolled).values(per_cohort).annotate(n=Count("id")),
        Milestone.objects.filter(project__cohort_id__in=cohort_ids)
        .values("project__cohort_id")
        .annotate(n=Count("id"), on_time=Count("id", filter=Q(done_on__lte=F("approved_on")))),
        StakeholderRating.objects.filter(project__cohort_id__in=cohort_ids)
        .values("project__cohort_id")
        .annotate(n=Count("id"), mean=Avg("outcome_quality")),
        CostLine.objects.filter(cohorts).values("cohort_id", "category").annotate(t=Sum("amount")),
        PlanChange.objects.filter(plan__cohort_id__in=cohort_ids)
        .values("plan__cohort_id")
        .annotate(n=Count("id")),
    ]
    for query in queries:
        list(query)


def measure_impact_rollup(values: int) -> None:
    """``values``: how many metric values the organisation holds (``add_business_units``)."""
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
        with tenant_context(org), connection.cursor() as cursor:
            cursor.execute(
                impact.group_means_sql(cohort_ids, upsert=False),
                [timezone.now(), org.pk, *cohort_ids],
            )
            cursor.fetchall()

    def bare_metrics() -> None:
        with tenant_context(org):
            _bare_metric_aggregates(org, cohort_ids)

    def bare_all() -> None:
        with tenant_context(org):
            _bare_metric_aggregates(org, cohort_ids)
            _bare_learner_aggregates(cohort_ids)

    full()  # warm caches
    b_groups, groups, b_metrics, b_all, whole = _rounds(
        [(bare_groups, None), (groups_only, None), (bare_metrics, None), (bare_all, None)]
        + [(full, None)]
    )
    print(
        f"impact roll-up ({values:,} metric values, {len(cohort_ids)} planned cohort(s)), "
        f"best / median of {REPEAT}:"
    )
    print(f"  bare SQL: group means                  {_ms(b_groups)}")
    print(
        f"  set-based group roll-up (upsert)       {_ms(groups)}   "
        f"ratio {groups[1] / b_groups[1]:4.2f}x"
    )
    print(f"  bare SQL: every metric aggregate       {_ms(b_metrics)}")
    print(f"  bare SQL: every fact the roll-up reads {_ms(b_all)}")
    print(
        f"  full impact roll-up (+DiD, ROI)        {_ms(whole)}   "
        f"ratio {whole[1] / b_all[1]:4.2f}x (vs metric aggregates only "
        f"{whole[1] / b_metrics[1]:4.2f}x)"
    )


def measure_team_rollup() -> None:
    """The team roll-up of every team against the bare aggregates of its facts, and one team's
    roll-up (what a new metric value or a completed milestone queues)."""
    org = Organization.objects.get(slug=ORG)
    with tenant_context(org):
        first, last = impact.team_rollup_months(org_today())
        learner = Membership.objects.get(user__email=f"learner@{ORG}.test")
        busiest = (
            Team.objects.annotate(n=Count("members"))
            .order_by("-n", "pk")
            .values_list("pk", "n")
            .first()
        )
    team_id, team_size = busiest or (learner.team_id, 0)

    def full() -> None:
        with tenant_context(org):
            impact.do_rollup_team_metrics()

    def one_team() -> None:
        with tenant_context(org):
            impact.do_rollup_team_metrics([team_id])

    def bare() -> None:
        now = timezone.now()
        with tenant_context(org), connection.cursor() as cursor:
            for which in ("completion", "metric"):
                cursor.execute(
                    impact.team_rollup_sql(which, None, upsert=False),
                    impact.team_rollup_params(which, org.pk, first, last, now, None),
                )
                cursor.fetchall()
            sources.team_project_months(first, last)
            sources.team_attendance_months(first, last)

    def empty() -> None:
        with tenant_context(org):
            TeamMetricRollup.objects.all().delete()
        _vacuum(TeamMetricRollup)

    full()  # warm caches
    # each round: into an empty table, then again over the same facts
    b, fresh, again, one = _rounds([(bare, None), (full, empty), (full, None), (one_team, None)])
    with tenant_context(org):
        rows = TeamMetricRollup.objects.filter(period__gte=first).count()
        teams = TeamMetricRollup.objects.values("team_id").distinct().count()
    print(
        f"team roll-up ({rows:,} team × measure × month rows of {teams:,} teams, "
        f"{first:%b %Y}–{last:%b %Y}), best / median of {REPEAT}:"
    )
    print(f"  bare SQL: every fact it reads          {_ms(b)}")
    print(f"  full, into an empty table              {_ms(fresh)}   ratio {fresh[1] / b[1]:4.2f}x")
    print(f"  full, facts unchanged (no row written) {_ms(again)}   ratio {again[1] / b[1]:4.2f}x")
    print(f"  one team's roll-up ({team_size} people){'':<6}{_ms(one)}")


def measure_growth_rollup() -> None:
    """The growth roll-up of every learner (learner × competency × month) against the bare
    reads of its facts: the same five source reads, in the same batches of learners, fetched
    and nothing computed or written."""
    from measurement.growth import services as growth

    org = Organization.objects.get(slug=ORG)
    with tenant_context(org):
        learners = list(
            Membership.objects.filter(is_active=True, is_learner=True)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
    today = org_today()

    def full() -> None:
        with tenant_context(org):
            growth.do_rollup_growth()

    def bare() -> None:
        with tenant_context(org):
            for start in range(0, len(learners), growth.LEARNER_BATCH):
                batch = learners[start : start + growth.LEARNER_BATCH]
                sources.learner_competency_scores(batch)
                sources.pulse_scores(batch, today, org)
                sources.observations(batch)
                sources.goals(batch)
                list(
                    Ability.objects.filter(learner_id__in=batch, updates__gt=0).values_list(
                        "learner_id", "competency_id", "p_known", "updates"
                    )
                )

    def empty() -> None:
        with tenant_context(org):
            LearnerCompetencyRollup.objects.all().delete()
        _vacuum(LearnerCompetencyRollup)

    full()  # warm caches
    # each round: into an empty table, then again over the same facts
    b, fresh, again = _rounds([(bare, None), (full, empty), (full, None)])
    with tenant_context(org):
        rows = LearnerCompetencyRollup.objects.count()
    print(
        f"growth roll-up ({len(learners):,} learners, {rows:,} learner × competency rows), "
        f"best / median of {REPEAT}:"
    )
    print(f"  bare reads of every fact it reads      {_ms(b)}")
    print(f"  full, into an empty table              {_ms(fresh)}   ratio {fresh[1] / b[1]:4.2f}x")
    print(f"  full, facts unchanged (no row written) {_ms(again)}   ratio {again[1] / b[1]:4.2f}x")


def team_manager_email() -> str | None:
    """The manager of the demo organisation's largest team (for the "My teams" page)."""
    org = Organization.objects.get(slug=ORG)
    with tenant_context(org):
        team = (
            Team.objects.filter(manager__isnull=False)
            .annotate(n=Count("members"))
            .order_by("-n", "pk")
            .select_related("manager__user")
            .first()
        )
        return team.manager.user.email if team and team.manager else None


def measure_dashboards(repeat: int) -> None:
    """Server time and query count of every impact dashboard, for its reader: the sponsor's
    impact page (headline, chain, ROI), a claim's evidence and a metric's series, the team
    manager's page, the learner's growth, the coach's view of a coachee and the coach's
    patterns. The counts must not grow with the organisation (the tests pin them at 5 and 500
    learners); printed here at the seeded size."""
    from django.test import Client
    from django.urls import reverse

    from bench.run import summarise
    from bench.scenarios import _time_page
    from organizations.models import User

    org = Organization.objects.get(slug=ORG)
    with tenant_context(org):
        plan = MeasurementPlan.objects.select_related("cohort").order_by("pk").first()
        learner = Membership.objects.get(user__email=f"learner@{ORG}.test")
        coach = Membership.objects.get(user__email=f"coach@{ORG}.test")
        engagement = (
            CoachingEngagement.objects.filter(coach=coach, coachee=learner).order_by("pk").first()
        )
        metric_id = (
            PlanMetric.objects.filter(plan=plan).order_by("pk").values_list("metric_id", flat=True)
        ).first()
        learners = Membership.objects.filter(is_learner=True, is_active=True).count()
    pilot = plan.cohort_id if plan else None
    pages: list[tuple[str, str, str]] = [
        ("impact (sponsor)", f"sponsor@{ORG}.test", reverse("sponsor_home", args=[ORG])),
    ]
    if pilot:
        pages += [
            (
                "impact, pilot cohort",
                f"sponsor@{ORG}.test",
                reverse("sponsor_home", args=[ORG]) + f"?cohort={pilot}",
            ),
            ("impact claims", f"sponsor@{ORG}.test", reverse("impact_claims", args=[ORG, pilot])),
        ]
        if metric_id:
            pages.append(
                (
                    "impact metric",
                    f"sponsor@{ORG}.test",
                    reverse("impact_metric", args=[ORG, pilot, metric_id]),
                )
            )
    manager = team_manager_email()
    if manager:
        pages.append(("team page (manager)", manager, reverse("team_dashboard", args=[ORG])))
    pages.append(
        ("my growth (learner)", f"learner@{ORG}.test", reverse("learner_growth", args=[ORG]))
    )
    if engagement:
        pages.append(
            (
                "coachee growth (coach)",
                f"coach@{ORG}.test",
                reverse("coachee_growth", args=[ORG, engagement.pk]),
            )
        )
    pages.append(("patterns (coach)", f"coach@{ORG}.test", reverse("coach_patterns", args=[ORG])))
    print(f"impact dashboards ({org.name}, {learners:,} learners; server time, queries):")
    for name, email, path in pages:
        client = Client()
        client.force_login(User.objects.get(email=email))
        timings, queries = _time_page(client, path, repeat)
        summarise(name, timings, queries)
