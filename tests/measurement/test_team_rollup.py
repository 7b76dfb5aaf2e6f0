"""The team roll-up (team × measure × month): each figure from its facts with the people behind
it, idempotent, one team at a time when that team's facts arrive, and never a write to a fact."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from django.utils import timezone

from measurement import impact
from measurement.models import MetricValue, TeamMetricRollup
from measurement.services import do_rollup_progress
from measurement.tasks import rollup_team_metrics
from organizations.models import Membership, Team
from organizations.outbox.models import OutboxEntry
from organizations.tenancy import tenant_context
from pathways.models import StepCompletion
from projects import services as project_services
from projects.models import Milestone, ProjectLearner, RatingRequest
from tests.conftest import count_queries, enroll, make_member, make_pathway
from tests.measurement.impact_fixtures import held_group_session
from tests.projects.helpers import make_world, running

M = TeamMetricRollup.Measure


def _last_month() -> dt.date:
    return (timezone.localdate().replace(day=1) - dt.timedelta(days=1)).replace(day=1)


def _teams(org, sizes=(("Alpha", 6, 1), ("Beta", 5, 3))):
    """Teams of learners in one four-step pathway, each learner with ``done`` steps done, and
    an engagement value per team last month; then the progress roll-up."""
    fixture = make_pathway(org, n_steps=4)
    teams = {}
    with tenant_context(org):
        metric = impact.do_define_metric(
            name="Engagement", unit="points", direction="up", level="team"
        )
    for name, size, done in sizes:
        with tenant_context(org):
            team = Team.objects.create(name=name)
        teams[name] = team
        for i in range(size):
            m = make_member(
                org, f"{name.lower()}{i}@{org.slug}.example", team=team, is_learner=True
            )
            e = enroll(org, fixture, m)
            with tenant_context(org):
                for step in fixture.steps[:done]:
                    StepCompletion.objects.create(enrollment=e, learner=m, step_key=step.key)
        with tenant_context(org):
            impact.upsert_metric_values(
                [impact.ValueRow(metric.pk, team.pk, _last_month(), Decimal(60 + size))],
                "form",
                None,
            )
    with tenant_context(org):
        do_rollup_progress(org)
    return teams, metric


def _cells(**filters):
    return {
        (r.team_id, r.period, r.measure, r.metric_id): r
        for r in TeamMetricRollup.objects.filter(**filters)
    }


def test_it_computes_each_measure_with_the_people_behind_it(org_a, org_b):
    teams, metric = _teams(org_a)
    _teams(org_b)
    alpha, beta = teams["Alpha"], teams["Beta"]
    with tenant_context(org_a):
        alpha_people = list(Membership.objects.filter(team=alpha))
    held_group_session(org_a, alpha_people, attended=5)
    with tenant_context(org_a):
        result = impact.do_rollup_team_metrics()
        cells = _cells()
    this_month = timezone.localdate().replace(day=1)
    assert result.rows == len(cells) == 5  # 2 completion, 2 metric values, 1 attendance
    done = cells[(alpha.pk, this_month, M.COMPLETION, None)]
    assert (done.value, done.base, done.part, done.people) == (0.25, 6, 0, 6)
    done = cells[(beta.pk, this_month, M.COMPLETION, None)]
    assert (done.value, done.base, done.people) == (0.75, 5, 5)
    value = cells[(alpha.pk, _last_month(), M.METRIC, metric.pk)]
    assert (value.value, value.base, value.people) == (66.0, 1, 6)
    came = cells[(alpha.pk, this_month, M.ATTENDANCE, None)]
    assert (came.value, came.base, came.part, came.people) == (5 / 6, 6, 5, 6)


def test_it_counts_milestones_and_satisfaction_of_the_teams_learners(org_a, org_b):
    teams, _metric = _teams(org_a, sizes=(("Alpha", 0, 0),))
    world = make_world(org_a, team=teams["Alpha"], prefix="p-")
    today = timezone.localdate()
    project = running(
        world,
        start_date=today - dt.timedelta(days=40),
        milestones=[
            project_services.MilestonePlan("Map the handover", today - dt.timedelta(days=1)),
            project_services.MilestonePlan("Pilot running", today + dt.timedelta(days=30)),
        ],
    )
    with tenant_context(org_a):
        first = Milestone.objects.filter(project=project).order_by("due_on").first()
        project_services.do_complete_milestone(
            world.learner, first, evidence="Mapped with the night shift", done_on=today
        )
        for i, score in enumerate((3, 4, 5)):
            person = project.stakeholders.create(name=f"S{i}", email=f"s{i}@x.example")
            request = RatingRequest.objects.create(project=project, stakeholder=person)
            project_services.do_submit_rating(
                request.pk, outcome_quality=score, collaboration=4, communication=5
            )
        impact.do_rollup_team_metrics()
        [cell] = TeamMetricRollup.objects.filter(measure=M.MILESTONES)
        [rated] = TeamMetricRollup.objects.filter(measure=M.SATISFACTION)
    assert cell.team_id == rated.team_id == teams["Alpha"].pk
    assert cell.period == first.approved_on.replace(day=1)
    # done a day after its approved date: due 1, on time 0, one learner behind it
    assert (cell.value, cell.base, cell.part, cell.people) == (0.0, 1, 0, 1)
    # three ratings (the anonymity threshold), mean of the three scales, one learner
    assert (rated.value, rated.base, rated.part, rated.people) == (4.33, 3, None, 1)
    assert rated.period == today.replace(day=1)


def test_a_rerun_changes_nothing_and_writes_only_the_rollup(org_a, org_b):
    _teams(org_a)
    with tenant_context(org_a):
        impact.do_rollup_team_metrics()
        fields = ["pk", "team_id", "period", "measure", "metric_id", "value", "base", "part"]
        first = sorted(TeamMetricRollup.objects.values_list(*fields, "people", "computed_at"))
        with count_queries() as ctx:
            result = impact.do_rollup_team_metrics()
        again = sorted(TeamMetricRollup.objects.values_list(*fields, "people", "computed_at"))
    assert again == first  # not one row rewritten
    assert result.rows == 0
    writes = [
        q["sql"]
        for q in ctx.app_queries
        if re.match(r"\s*(INSERT|UPDATE|DELETE)", q["sql"], re.IGNORECASE)
    ]
    assert writes, "the roll-up upserts"
    table = TeamMetricRollup._meta.db_table
    for sql in writes:
        target = re.match(r'\s*(?:INSERT INTO|UPDATE|DELETE FROM)\s+"?(\w+)"?', sql, re.I)
        assert target and target.group(1) == table, sql


def test_a_metric_value_recomputes_only_that_team(org_a, org_b, django_capture_on_commit_callbacks):
    teams, metric = _teams(org_a)
    alpha, beta = teams["Alpha"], teams["Beta"]
    with tenant_context(org_a):
        impact.do_rollup_team_metrics()
        before = {r.pk: r.computed_at for r in TeamMetricRollup.objects.filter(team=alpha)}
    with django_capture_on_commit_callbacks(execute=True):
        with tenant_context(org_a):
            impact.do_enter_metric_value(metric, beta, timezone.localdate(), "71", None)
    with tenant_context(org_a):
        after = {r.pk: r.computed_at for r in TeamMetricRollup.objects.filter(team=alpha)}
        new = TeamMetricRollup.objects.get(
            team=beta, measure=M.METRIC, period=timezone.localdate().replace(day=1)
        )
    assert after == before  # Alpha untouched
    assert new.value == 71.0 and new.people == 5


def test_a_completed_milestone_recomputes_only_its_teams(
    org_a, org_b, django_capture_on_commit_callbacks
):
    teams, _metric = _teams(org_a)
    world = make_world(org_a, team=teams["Beta"], prefix="p-")
    today = timezone.localdate()
    project = running(
        world,
        start_date=today - dt.timedelta(days=40),
        milestones=[project_services.MilestonePlan("Map the handover", today)],
    )
    with tenant_context(org_a):
        impact.do_rollup_team_metrics()
        alpha_before = {
            r.pk: r.computed_at for r in TeamMetricRollup.objects.filter(team=teams["Alpha"])
        }
        due = TeamMetricRollup.objects.get(measure=M.MILESTONES)
        assert (due.team_id, due.base, due.part) == (teams["Beta"].pk, 1, 0)  # due, not done
        milestone = Milestone.objects.get(project=project)
    with django_capture_on_commit_callbacks(execute=True):
        with tenant_context(org_a):
            project_services.do_complete_milestone(
                world.learner, milestone, evidence="Done and shown", done_on=today
            )
    with tenant_context(org_a):
        alpha_after = {
            r.pk: r.computed_at for r in TeamMetricRollup.objects.filter(team=teams["Alpha"])
        }
        cell = TeamMetricRollup.objects.get(measure=M.MILESTONES)
    assert alpha_after == alpha_before
    assert cell.pk == due.pk and (cell.base, cell.part, cell.value) == (1, 1, 1.0)
    assert cell.computed_at > due.computed_at


def test_facts_record_one_outbox_row_per_team_and_window(org_a, org_b, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    teams, metric = _teams(org_a)
    now = dt.datetime(2026, 3, 1, 12, 0, 10, tzinfo=dt.UTC)
    with tenant_context(org_a):
        OutboxEntry.objects.all().delete()
        impact.queue_team_rollup(teams["Alpha"].pk, now=now)
        impact.queue_team_rollup(teams["Alpha"].pk, now=now + dt.timedelta(seconds=40))
        impact.queue_team_rollup(teams["Beta"].pk, now=now)
        rows = list(OutboxEntry.objects.filter(handler=impact.TEAM_ROLLUP_HANDLER).order_by("args"))
    assert [r.args for r in rows] == [[teams["Alpha"].pk], [teams["Beta"].pk]]
    assert rows[0].run_after == dt.datetime(2026, 3, 1, 12, 2, tzinfo=dt.UTC)


def test_a_row_whose_fact_is_gone_is_deleted(org_a, org_b):
    teams, metric = _teams(org_a)
    with tenant_context(org_a):
        impact.do_rollup_team_metrics()
        assert TeamMetricRollup.objects.filter(measure=M.METRIC).count() == 2
        MetricValue.objects.filter(team=teams["Alpha"]).delete()
        impact.do_rollup_team_metrics()
        left = list(TeamMetricRollup.objects.filter(measure=M.METRIC).values_list("team_id"))
    assert left == [(teams["Beta"].pk,)]


def test_a_learner_who_left_the_team_leaves_its_figures(org_a, org_b):
    teams, _metric = _teams(org_a)
    with tenant_context(org_a):
        impact.do_rollup_team_metrics()
        Membership.objects.filter(team=teams["Beta"]).update(is_active=False)
        do_rollup_progress(org_a)
        impact.do_rollup_team_metrics([teams["Beta"].pk])
        left = _cells(team=teams["Beta"])
    # no completion row any more; the metric value stays, now resting on no active member
    assert [key[2] for key in left] == [M.METRIC]
    assert next(iter(left.values())).people == 0


def test_the_nightly_task_rolls_up_every_team_of_its_organisation(org_a, org_b):
    _teams(org_a)
    _teams(org_b)
    result = rollup_team_metrics.apply(args=(org_a.pk,)).get()
    assert result["rows"] == 4
    with tenant_context(org_b):
        assert not TeamMetricRollup.objects.exists()
    with tenant_context(org_a):
        assert ProjectLearner.objects.count() == 0  # facts untouched
        assert TeamMetricRollup.objects.count() == 4


def test_cohort_project_facts_count_each_project_once_in_its_cohorts_window(org_a, org_b):
    """The impact roll-up's project evidence: one read for every cohort, each in its own
    window; a project whose learners sit in two teams counts once."""
    from projects.queries import cohort_project_facts

    with tenant_context(org_a):
        north, south = Team.objects.create(name="North"), Team.objects.create(name="South")
    today = timezone.localdate()
    first = make_world(org_a, team=north, prefix="a-")
    second = make_world(org_a, team=north, prefix="b-")
    plans = [
        project_services.MilestonePlan("Map the handover", today - dt.timedelta(days=10)),
        project_services.MilestonePlan("Pilot running", today - dt.timedelta(days=5)),
    ]
    one = running(first, start_date=today - dt.timedelta(days=40), milestones=plans)
    two = running(second, start_date=today - dt.timedelta(days=40), milestones=plans[:1])
    colleague = make_member(org_a, "south@a.example", team=south, is_learner=True)
    with tenant_context(org_a):
        ProjectLearner.objects.create(project=one, learner=colleague)
        early = Milestone.objects.filter(project=one).order_by("due_on").first()
        project_services.do_complete_milestone(
            first.learner, early, evidence="Mapped", done_on=today - dt.timedelta(days=11)
        )
        for i in range(3):
            person = one.stakeholders.create(name=f"S{i}", email=f"s{i}@x.example")
            request = RatingRequest.objects.create(project=one, stakeholder=person)
            project_services.do_submit_rating(
                request.pk, outcome_quality=4, collaboration=4, communication=4
            )
        windows = {
            first.cohort.pk: (today - dt.timedelta(days=40), today + dt.timedelta(days=60)),
            second.cohort.pk: (today - dt.timedelta(days=2), today + dt.timedelta(days=60)),
        }
        with count_queries() as ctx:
            facts = {f.cohort_id: f for f in cohort_project_facts(windows)}
    assert len(ctx.app_queries) == 3
    a, b = facts[first.cohort.pk], facts[second.cohort.pk]
    assert (a.teams, a.projects, a.milestones_due, a.milestones_on_time) == (2, 1, 2, 1)
    assert (a.satisfaction_mean, a.satisfaction_n) == (4.0, 3)
    # the second cohort's only milestone is dated before its window
    assert (b.teams, b.projects, b.milestones_due, b.satisfaction_mean) == (1, 1, 0, None)
    assert two.cohort_id == second.cohort.pk


def test_the_metric_rows_anti_join_runs_only_when_a_value_is_gone(org_a, org_b):
    """After the upsert every metric value has its row, so the scope holds a row that no value
    backs exactly when it has more rows than values: the delete's anti-join is skipped
    otherwise, and still removes the row of a deleted value, in a one-team run too."""
    teams, metric = _teams(org_a)
    _teams(org_b)
    with tenant_context(org_b):
        impact.do_rollup_team_metrics()

    def metric_deletes(ctx):
        return [
            q["sql"]
            for q in ctx.app_queries
            if q["sql"].lstrip().startswith("DELETE") and "metric_id IS NOT NULL" in q["sql"]
        ]

    with tenant_context(org_a):
        impact.do_rollup_team_metrics()
        with count_queries() as unchanged:
            impact.do_rollup_team_metrics()
        assert metric_deletes(unchanged) == []
        alpha = teams["Alpha"].pk
        MetricValue.objects.filter(team_id=alpha).delete()
        with count_queries() as one_team:
            impact.do_rollup_team_metrics([alpha])
        assert len(metric_deletes(one_team)) == 1
        assert not TeamMetricRollup.objects.filter(team_id=alpha, measure=M.METRIC).exists()
        assert TeamMetricRollup.objects.filter(team=teams["Beta"], measure=M.METRIC).exists()
        # A value of the other team, deleted too, is not in a one-team run's scope.
        beta = teams["Beta"].pk
        MetricValue.objects.filter(team_id=beta).delete()
        impact.do_rollup_team_metrics([alpha])
        assert TeamMetricRollup.objects.filter(team_id=beta, measure=M.METRIC).exists()
        impact.do_rollup_team_metrics()
        assert not TeamMetricRollup.objects.filter(measure=M.METRIC).exists()
    with tenant_context(org_b):  # the other organisation keeps its rows
        assert TeamMetricRollup.objects.filter(measure=M.METRIC).count() == 2
