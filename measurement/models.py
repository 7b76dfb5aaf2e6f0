"""Roll-up tables: recomputed from facts by Celery tasks, upserted, read by dashboards."""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.db.models import Case, F, Q, Value, When
from django.utils import timezone

from organizations.tenancy import TenantModel

# Rows behind: steps overdue, or none done yet.
BEHIND = Q(steps_overdue__gt=0) | Q(steps_done=0)
# Those not started before those who started (an order; ``learnerrollup_attention`` indexes it).
NOT_STARTED_FIRST = Case(When(steps_done=0, then=Value(0)), default=Value(1))


class LearnerProgressRollup(TenantModel):
    """Per learner and enrolment, per period (month start): steps done of steps in scope, and
    the steps in scope whose due date has passed undone (as of the last roll-up)."""

    # The organisation's own index would repeat the unique key's first column: one index less
    # for every row the roll-up inserts.
    organization = models.ForeignKey(
        "organizations.Organization",
        on_delete=models.CASCADE,
        related_name="+",
        editable=False,
        db_index=False,
    )

    enrollment = models.ForeignKey(
        "pathways.Enrollment", on_delete=models.CASCADE, related_name="+"
    )
    learner = models.ForeignKey(
        "organizations.Membership", on_delete=models.CASCADE, related_name="+"
    )
    # The enrolment's cohort, copied so that programme health sums one table without joins.
    # Empty only on rows written before it was recorded; every roll-up rewrites its period.
    cohort = models.ForeignKey(
        "pathways.Cohort", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    team = models.ForeignKey(
        "organizations.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    period = models.DateField()
    steps_total = models.PositiveIntegerField()
    steps_done = models.PositiveIntegerField()
    steps_overdue = models.PositiveIntegerField(default=0)
    completion = models.FloatField()
    # When the figures last changed: the organisation's roll-up leaves a row whose figures it
    # recomputed unchanged as it is (the team rows are rewritten on every run).
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "enrollment", "period"], name="learnerrollup_unique"
            )
        ]
        indexes = [
            # A coach's or a cohort's figures (counts of the rows of some cohorts) read from
            # the index alone.
            models.Index(
                fields=[
                    "organization",
                    "period",
                    "cohort",
                    "steps_done",
                    "steps_overdue",
                    "computed_at",
                ],
                name="learnerrollup_cohort_figures",
            ),
            # Who to talk to first: the rows behind, most overdue first, then those not started
            # (``NOT_STARTED_FIRST``), so that a list of the first few by name joins the names of
            # one tie only, not of every row behind.
            models.Index(
                F("organization"),
                F("period"),
                F("steps_overdue").desc(),
                NOT_STARTED_FIRST,
                F("cohort"),
                condition=BEHIND,
                name="learnerrollup_attention",
            ),
            # A team's row is aggregated from its learners' rows of the period.
            models.Index(fields=["organization", "period", "team"], name="learnerrollup_team"),
        ]


class CohortProgressRollup(TenantModel):
    """Per cohort, per period: the sums of its learners' ``LearnerProgressRollup`` rows of the
    period, written in the same transaction as those rows by every progress roll-up (the
    organisation's and one learner's), so that programme health reads one row per cohort."""

    cohort = models.ForeignKey("pathways.Cohort", on_delete=models.CASCADE, related_name="+")
    period = models.DateField()
    counted = models.PositiveIntegerField()  # learner rows of the cohort in the period
    not_started = models.PositiveIntegerField()  # of those, rows with no step done
    steps_done = models.PositiveIntegerField()
    steps_total = models.PositiveIntegerField()
    steps_overdue = models.PositiveIntegerField()
    learners_overdue = models.PositiveIntegerField()  # rows with an overdue step
    # The latest ``computed_at`` of the cohort's learner rows: when a figure last changed.
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "period", "cohort"], name="cohortrollup_unique"
            )
        ]


# A learner's completion in a team's ``completion_sum``: 10⁻¹² (a team of up to 9.2 million learners
# fits a 64-bit sum).
COMPLETION_UNITS = 1_000_000_000_000


class TeamProgressRollup(TenantModel):
    """Per team, per period: mean completion of its enrolled learners."""

    team = models.ForeignKey("organizations.Team", on_delete=models.CASCADE, related_name="+")
    period = models.DateField()
    learners = models.PositiveIntegerField()
    learners_finished = models.PositiveIntegerField()
    # The sum over its learners of their completion in units of ``1 / COMPLETION_UNITS`` (each
    # learner's mean over their enrolments, every enrolment's completion rounded to a unit
    # first): integers, so that a learner's roll-up can add
    # their new figure and take away their old one without the sum drifting through float
    # rounding; ``mean_completion`` is this sum over ``learners`` units. Empty when the row may
    # no longer be the sum of its learners' rows (a roll-up that held no lock on the team moved
    # rows out of it or into it, or a row written before the sum was kept): the team's next
    # roll-up aggregates it afresh.
    completion_sum = models.BigIntegerField(null=True, blank=True)
    mean_completion = models.FloatField()
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "team", "period"], name="teamrollup_unique"
            )
        ]


# --- Impact: measurement plan, metrics, costs (facts) ---------------------------------------


class Metric(TenantModel):
    """A team or business metric an admin defines, e.g. regretted turnover % (lower is better)."""

    class Level(models.TextChoices):
        TEAM = "team", "Team"
        BUSINESS = "business", "Business"

    class Direction(models.TextChoices):
        UP = "up", "Higher is better"
        DOWN = "down", "Lower is better"

    name = models.CharField(max_length=120)
    unit = models.CharField(max_length=20, help_text="e.g. %, points, EUR, days")
    direction = models.CharField(max_length=4, choices=Direction.choices, default=Direction.UP)
    level = models.CharField(max_length=10, choices=Level.choices, default=Level.TEAM)
    min_value = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    max_value = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    is_revenue = models.BooleanField(
        default=False, help_text="A revenue figure: turned into profit with the plan's margin."
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="metric_unique_name")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.unit})"

    @property
    def higher_is_better(self) -> bool:
        return self.direction == self.Direction.UP


class MetricValue(TenantModel):
    """One value of a metric for a team (or business unit) in a period (month start). A fact:
    re-entering the same team and period replaces the value (the import is idempotent)."""

    class Source(models.TextChoices):
        FORM = "form", "Entered in the browser"
        IMPORT = "import", "Imported from a file"
        API = "api", "Pushed through the API"
        DEMO = "demo", "Demo data"

    metric = models.ForeignKey(Metric, on_delete=models.CASCADE, related_name="values")
    team = models.ForeignKey("organizations.Team", on_delete=models.CASCADE, related_name="+")
    period = models.DateField()
    value = models.DecimalField(max_digits=14, decimal_places=4)
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.FORM)
    entered_by = models.ForeignKey(
        "organizations.Membership",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    entered_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "metric", "team", "period"], name="metricvalue_unique"
            )
        ]
        indexes = [
            models.Index(fields=["organization", "metric", "period"], name="metricvalue_period")
        ]


class MeasurementPlan(TenantModel):
    """What a cohort is expected to move, against whom, and how results become money. Fixed when
    the cohort starts; later changes are recorded in ``PlanChange`` and shown."""

    class Comparison(models.TextChoices):
        NONE = "none", "No comparison group"
        TEAMS = "teams", "Chosen teams"
        FUNCTION = "function", "Teams of a function"
        PEOPLE = "people", "A list of people (their teams)"

    cohort = models.ForeignKey("pathways.Cohort", on_delete=models.CASCADE, related_name="+")
    baseline_on = models.DateField(null=True, blank=True)
    follow_up_on = models.DateField(null=True, blank=True)
    evaluation_start = models.DateField()
    evaluation_end = models.DateField()
    comparison = models.CharField(max_length=10, choices=Comparison.choices, default="none")
    comparison_label = models.CharField(max_length=300, blank=True)
    profit_margin_pct = models.DecimalField(max_digits=5, decimal_places=2, default=15)
    currency = models.CharField(max_length=3, default="EUR")
    competency_ids = models.JSONField(default=list, blank=True)
    intangibles = models.TextField(blank=True, help_text="One per line; listed beside ROI.")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "cohort"], name="plan_unique_cohort")
        ]

    @property
    def has_comparison(self) -> bool:
        return self.comparison != self.Comparison.NONE


class PlanTeam(TenantModel):
    """A team in the plan: a participants' team (its people are in the cohort) or a comparison
    team. Resolved from the plan's choice (teams, function, people) when the plan is saved."""

    class Group(models.TextChoices):
        PARTICIPANTS = "participants", "Participants"
        COMPARISON = "comparison", "Comparison"

    plan = models.ForeignKey(MeasurementPlan, on_delete=models.CASCADE, related_name="teams")
    team = models.ForeignKey("organizations.Team", on_delete=models.CASCADE, related_name="+")
    group = models.CharField(max_length=12, choices=Group.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "plan", "team"], name="planteam_unique")
        ]


class PlanMetric(TenantModel):
    """A metric the plan expects to move, and how a change in it becomes money.

    ``population`` people are affected (e.g. 400 in the participants' teams); for a metric in
    %, a change of one point is ``population / 100`` events (exits, customers). ``unit_value``
    is the standard value of one event or unit (e.g. 40,000 per regretted exit). No unit value:
    an intangible, listed beside ROI and never added in."""

    plan = models.ForeignKey(MeasurementPlan, on_delete=models.CASCADE, related_name="metrics")
    metric = models.ForeignKey(Metric, on_delete=models.CASCADE, related_name="+")
    population = models.PositiveIntegerField(default=0)
    unit_value = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "plan", "metric"], name="planmetric_unique"
            )
        ]


class PlanChange(TenantModel):
    """Append-only: a change to a plan after its cohort started ("plan changed on …")."""

    plan = models.ForeignKey(MeasurementPlan, on_delete=models.CASCADE, related_name="changes")
    changed_by = models.ForeignKey(
        "organizations.Membership",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    changed_at = models.DateTimeField(default=timezone.now)
    fields = models.JSONField(default=list)
    before = models.JSONField(default=dict)
    after = models.JSONField(default=dict)

    class Meta:
        ordering = ["-changed_at"]


class CostLine(TenantModel):
    """A fully loaded cost line of a cohort (Phillips). ``amount`` is the line's full amount;
    the cohort carries ``amount / shared_by`` of it. Participants' time is computed from
    people × hours × loaded hourly rate."""

    class Category(models.TextChoices):
        NEEDS_ANALYSIS = "needs_analysis", "Needs analysis"
        DESIGN = "design", "Design and development"
        CONTENT = "content", "Content licences"
        COACHING = "coaching", "Coaching fees"
        FACILITATION = "facilitation", "Facilitation"
        ADMINISTRATION = "administration", "Programme administration"
        PARTICIPANTS_TIME = "participants_time", "Participants' time"
        TRAVEL = "travel", "Travel"
        FACILITIES = "facilities", "Facilities"
        TECHNOLOGY = "technology", "Technology and platform"
        EVALUATION = "evaluation", "Evaluation"
        OVERHEAD = "overhead", "Overhead"

    cohort = models.ForeignKey("pathways.Cohort", on_delete=models.CASCADE, related_name="+")
    category = models.CharField(max_length=20, choices=Category.choices)
    description = models.CharField(max_length=200, blank=True)
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    shared_by = models.PositiveSmallIntegerField(default=1)
    people = models.PositiveIntegerField(null=True, blank=True)
    hours = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    hourly_rate = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["category", "pk"]
        indexes = [models.Index(fields=["organization", "cohort"], name="costline_cohort")]

    @property
    def allocated(self) -> Decimal:
        return (self.amount / self.shared_by).quantize(Decimal("0.01"))


class MetricImport(TenantModel):
    """A CSV/XLSX import of metric values: checked in full, then applied all-or-nothing."""

    class Status(models.TextChoices):
        REFUSED = "refused", "Refused: the file has problems"
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed: it stopped, nothing was imported"

    created_by = models.ForeignKey(
        "organizations.Membership",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    filename = models.CharField(max_length=255)
    rows = models.JSONField(default=list)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    created_values = models.PositiveIntegerField(default=0)
    updated_values = models.PositiveIntegerField(default=0)
    problems = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # When a running import last moved on (a batch checked): one that has not moved for
    # ``outbox.delivery.ABANDONED_AFTER`` is marked failed by the outbox sweep, and the admin uploads the file again.
    progress_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    @property
    def percent(self) -> int:
        return round(100 * self.processed_rows / self.total_rows) if self.total_rows else 100


# --- Impact roll-ups (recomputed from the facts above and the sources' facts) ---------------


class MetricGroupRollup(TenantModel):
    """Per cohort × metric × period × group (participants or comparison): the mean of the
    group's team values and how many teams it rests on. Written by set-based SQL."""

    cohort = models.ForeignKey("pathways.Cohort", on_delete=models.CASCADE, related_name="+")
    metric = models.ForeignKey(Metric, on_delete=models.CASCADE, related_name="+")
    period = models.DateField()
    group = models.CharField(max_length=12)
    teams = models.PositiveIntegerField()
    mean_value = models.FloatField()
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "cohort", "metric", "period", "group"],
                name="metricgrouprollup_unique",
            )
        ]


class ImpactRollup(TenantModel):
    """Per cohort: the business-level evidence and the ROI, recomputed as a whole.

    ``evidence`` holds the DiD estimate per plan metric (with CI, n, pre-trend), the benefits
    by source (with isolation and confidence, and the facts behind them: claim ids, metric
    value counts), the costs by category, and the level 1–3 figures with their n."""

    cohort = models.ForeignKey("pathways.Cohort", on_delete=models.CASCADE, related_name="+")
    costs = models.DecimalField(max_digits=16, decimal_places=2, default=0)
    benefits = models.DecimalField(max_digits=16, decimal_places=2, default=0)
    bcr = models.FloatField(null=True, blank=True)
    roi_pct = models.FloatField(null=True, blank=True)
    payback_months = models.FloatField(null=True, blank=True)
    evidence = models.JSONField(default=dict)
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "cohort"], name="impactrollup_unique")
        ]


# --- Individual growth roll-up (learner × competency × period) -------------------------------


class LearnerCompetencyRollup(TenantModel):
    """Per learner, competency and period (month start): the individual level of the impact
    chain, recomputed from facts (``measurement.growth.services``) and read by "My growth" and
    the coach's views. Never a fact itself; rows are rewritten whole.

    360 figures come from frozen reports (others' mean = mean of the shown groups' means, so a
    hidden group is never in it): the learner's latest closed follow-up and its baseline (else
    the latest closed baseline alone), and the latest baseline when a later round started. ``pulses`` lists the latest baseline's closed pulses for this competency (others
    only, on the pulsed behaviours, with that baseline's mean on the same behaviours). ``rci``
    and ``reading`` are the follow-up report's reliable change index (Jacobson & Truax);
    ``reliable_points`` is the smallest change that would have counted."""

    learner = models.ForeignKey(
        "organizations.Membership", on_delete=models.CASCADE, related_name="+"
    )
    competency = models.ForeignKey(
        "competencies.Competency", on_delete=models.CASCADE, related_name="+"
    )
    period = models.DateField()
    # 360 baseline and follow-up (frozen reports; ids, not foreign keys: rows are rebuilt).
    baseline_report_id = models.BigIntegerField(null=True, blank=True)
    baseline_on = models.DateField(null=True, blank=True)
    baseline_others = models.FloatField(null=True, blank=True)
    baseline_others_n = models.PositiveIntegerField(default=0)
    baseline_self = models.FloatField(null=True, blank=True)
    follow_up_report_id = models.BigIntegerField(null=True, blank=True)
    follow_up_on = models.DateField(null=True, blank=True)
    follow_up_others = models.FloatField(null=True, blank=True)
    follow_up_others_n = models.PositiveIntegerField(default=0)
    follow_up_self = models.FloatField(null=True, blank=True)
    # The latest baseline when it belongs to a later round than that pair; empty otherwise.
    new_baseline_report_id = models.BigIntegerField(null=True, blank=True)
    new_baseline_on = models.DateField(null=True, blank=True)
    new_baseline_others = models.FloatField(null=True, blank=True)
    new_baseline_others_n = models.PositiveIntegerField(default=0)
    new_baseline_self = models.FloatField(null=True, blank=True)
    pulses = models.JSONField(default=list, blank=True)
    change = models.FloatField(null=True, blank=True)
    rci = models.FloatField(null=True, blank=True)
    reading = models.CharField(max_length=40, blank=True)
    reliable_points = models.FloatField(null=True, blank=True)
    # Behavioural observations by a coach or invited peers (on the competency's scale).
    observations = models.PositiveIntegerField(default=0)
    observation_mean = models.FloatField(null=True, blank=True)
    observation_scale_max = models.PositiveSmallIntegerField(null=True, blank=True)
    last_observed_on = models.DateField(null=True, blank=True)
    # Knowledge of the module content (BKT p(known)) and the graded answers behind it.
    p_known = models.FloatField(null=True, blank=True)
    mastery_answers = models.PositiveIntegerField(default=0)
    mastered = models.BooleanField(default=False)
    # Coaching goals on this competency.
    goals = models.PositiveIntegerField(default=0)
    goals_achieved = models.PositiveIntegerField(default=0)
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "learner", "competency", "period"],
                name="learnercompetencyrollup_unique",
            )
        ]
        indexes = [
            models.Index(
                fields=["organization", "period", "competency"], name="lcrollup_period_comp"
            )
        ]


# --- Team roll-up (team × measure × month) ---------------------------------------------------


class TeamMetricRollup(TenantModel):
    """Per team × measure × month: what a team manager's dashboard shows, recomputed from facts.

    ``measure`` is one of the programme's own figures (completion, milestones on time,
    stakeholder satisfaction, coaching attendance) or ``metric``: then ``metric`` names the
    team metric and ``value`` is its value that month. ``base`` is what the figure rests on
    (learners, milestones due, ratings, logged session places; 1 for a metric value), ``part``
    the count behind a share (learners finished, milestones on time, places attended), and
    ``people`` the distinct people behind the cell, which the anonymity rule checks."""

    class Measure(models.TextChoices):
        COMPLETION = "completion", "Pathway completion"
        MILESTONES = "milestones", "Project milestones on time"
        SATISFACTION = "satisfaction", "Stakeholder satisfaction"
        ATTENDANCE = "attendance", "Coaching attendance"
        METRIC = "metric", "Team metric"

    # Derived rows, rewritten from facts by every roll-up: no foreign-key constraints in the
    # database (Django still cascades deletes of an organisation, team or metric to them).
    # Checking three keys of each of ~40,000 rows cost a first fill more than its inserts.
    # No organisation index either: the unique key leads with it.
    organization = models.ForeignKey(
        "organizations.Organization",
        on_delete=models.CASCADE,
        related_name="+",
        editable=False,
        db_index=False,
        db_constraint=False,
    )
    team = models.ForeignKey(
        "organizations.Team", on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    period = models.DateField()
    measure = models.CharField(max_length=12, choices=Measure.choices)
    metric = models.ForeignKey(
        Metric,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        db_constraint=False,
    )
    value = models.FloatField()
    base = models.PositiveIntegerField()
    part = models.PositiveIntegerField(null=True, blank=True)
    people = models.PositiveIntegerField()
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            # A metric's row is unique on the five columns (this index also serves the team
            # page's reads); a programme row has no metric, and NULLs never conflict, so it
            # has a partial key of its own. Each upsert names one as its conflict target.
            models.UniqueConstraint(
                fields=["organization", "team", "period", "measure", "metric"],
                name="teammetricrollup_unique",
            ),
            models.UniqueConstraint(
                fields=["organization", "team", "period", "measure"],
                condition=models.Q(metric__isnull=True),
                name="teammetricrollup_measure",
            ),
            models.CheckConstraint(
                condition=models.Q(measure="metric", metric__isnull=False)
                | (~models.Q(measure="metric") & models.Q(metric__isnull=True)),
                name="teammetricrollup_metric_iff_measure",
            ),
        ]
