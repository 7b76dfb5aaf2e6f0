"""The individual growth roll-up (learner × competency × period): recomputed from facts that
the services wrote, idempotent, never writing a fact, queued with each fact and debounced."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from coaching.models import Goal, Observation
from measurement import stats
from measurement.feedback import services as feedback
from measurement.feedback.models import Answer, CompetencyScore, Pulse, RaterRequest, Report
from measurement.growth import services as growth
from measurement.models import LearnerCompetencyRollup
from measurement.services import period_for
from organizations.models import Membership
from organizations.outbox.models import OutboxEntry
from organizations.tenancy import tenant_context
from pathways.models import Ability
from tests.conftest import requires_postgres
from tests.measurement.growth_helpers import (
    build_growth_scene,
    observe,
    peers,
    practise,
    run_cycle,
    set_goal,
)


@pytest.fixture
def scenes(org_a, org_b):
    return build_growth_scene(org_a, "a", n_learners=3), build_growth_scene(org_b, "b")


def rows_of(scene, learner=None):
    with tenant_context(scene.org):
        qs = LearnerCompetencyRollup.objects.order_by("learner_id", "competency_id", "period")
        if learner is not None:
            qs = qs.filter(learner=learner)
        return [
            {k: v for k, v in row.items() if k not in ("id", "computed_at")} for row in qs.values()
        ]


def facts_of(scene):
    """Every fact table the roll-up reads, as it stands."""
    with tenant_context(scene.org):
        return [
            list(model.objects.order_by("pk").values())
            for model in (CompetencyScore, Report, Answer, Pulse, Observation, Goal, Ability)
        ]


def a_pair(scene, follow_ups):
    """Baseline: peers 2 (self 4) for the first learner, 3 for the second, 4 for the third;
    follow-up: ``follow_ups`` in the same order."""
    base = {m.pk: v for m, v in zip(scene.learners, (2, 3, 4), strict=True)}
    after = {m.pk: v for m, v in zip(scene.learners, follow_ups, strict=True)}
    baseline = run_cycle(
        scene,
        lambda m, r, i: 4 if r.relationship == "self" else base[m.pk],
        pulse_every_weeks=4,
    )
    follow_up = run_cycle(
        scene,
        lambda m, r, i: 5 if r.relationship == "self" else after[m.pk],
        kind="follow_up",
        baseline=baseline,
    )
    return baseline, follow_up


def test_it_joins_360_observations_mastery_and_goals_per_competency(scenes):
    a, b = scenes
    a_pair(a, (4, 3, 2))
    first, second = a.competencies
    observe(a, a.learner, first, 3)
    observe(a, a.learner, first, 4)
    set_goal(a, a.learner, first, achieved=True)
    set_goal(a, a.learner, first)
    practise(a, a.learner, second, 0.97)
    with tenant_context(a.org):
        result = growth.do_rollup_growth()
    assert result.learners == 4 and result.rows == 6  # the manager is a learner without facts
    row = next(r for r in rows_of(a, a.learner) if r["competency_id"] == first.pk)
    assert row["baseline_others"] == pytest.approx(2.0) and row["baseline_others_n"] == 4
    assert row["baseline_self"] == pytest.approx(4.0)
    assert row["follow_up_others"] == pytest.approx(4.0) and row["follow_up_self"] == 5.0
    assert row["change"] == pytest.approx(2.0)
    expected = stats.reliable_change(2.0, 4.0, 0.5, 0.85)  # defaults below 10 learners
    assert row["rci"] == pytest.approx(expected.rci)
    assert row["reading"] == expected.reading == "reliable improvement"
    assert row["reliable_points"] == pytest.approx(1.96 * expected.s_diff)
    assert (row["observations"], row["observation_mean"]) == (2, pytest.approx(3.5))
    assert row["observation_scale_max"] == max(lv.value for lv in a.levels)
    assert (row["goals"], row["goals_achieved"]) == (2, 1)
    assert row["p_known"] is None and not row["mastered"]
    other = next(r for r in rows_of(a, a.learner) if r["competency_id"] == second.pk)
    assert other["p_known"] == pytest.approx(0.97) and other["mastered"]
    assert other["mastery_answers"] == 9 and other["observations"] == 0
    with tenant_context(a.org):
        assert row["period"] == period_for(a.org)
    assert rows_of(b) == []  # nothing leaks into the other organisation


def test_readings_match_the_statistics_module_in_every_direction(scenes):
    a, _b = scenes
    a_pair(a, (4, 3, 2))  # improvement, no change, decline
    with tenant_context(a.org):
        growth.do_rollup_growth()
    for learner, (pre, post) in zip(a.learners, ((2, 4), (3, 3), (4, 2)), strict=True):
        for row in rows_of(a, learner):
            expected = stats.reliable_change(pre, post, 0.5, 0.85)
            assert row["reading"] == expected.reading
            assert row["rci"] == pytest.approx(expected.rci)
    readings = {r["reading"] for r in rows_of(a)}
    assert readings == {"reliable improvement", "within measurement error", "reliable decline"}


def test_a_rerun_changes_nothing_and_no_fact_is_ever_written(scenes):
    a, _b = scenes
    a_pair(a, (4, 3, 2))
    observe(a, a.learner, a.competencies[0], 3)
    set_goal(a, a.learner, a.competencies[0])
    practise(a, a.learner, a.competencies[1], 0.5)
    with tenant_context(a.org):
        growth.do_rollup_growth()
    first, facts = rows_of(a), facts_of(a)
    with tenant_context(a.org), CaptureQueriesContext(connection) as ctx:
        growth.do_rollup_growth()
        growth.do_rollup_growth([a.learner.pk])
    assert rows_of(a) == first and facts_of(a) == facts
    table = LearnerCompetencyRollup._meta.db_table
    for q in ctx.captured_queries:
        sql = q["sql"].strip().upper()
        if sql.startswith(("INSERT", "UPDATE", "DELETE")):
            target = re.search(r'(?:INTO|UPDATE|FROM)\s+"?(\w+)"?', q["sql"], re.IGNORECASE)
            assert target and target.group(1) == table, q["sql"]


def test_a_new_fact_queues_the_learners_rollup_which_picks_it_up(
    scenes, django_capture_on_commit_callbacks
):
    a, _b = scenes
    run_cycle(a, peers(3))
    with tenant_context(a.org):
        growth.do_rollup_growth()
    assert all(r["observations"] == 0 for r in rows_of(a, a.learner))
    with django_capture_on_commit_callbacks(execute=True):
        observe(a, a.learner, a.competencies[0], 4)
    with tenant_context(a.org):
        entry = OutboxEntry.objects.filter(handler=growth.ROLLUP_HANDLER).latest("pk")
        assert entry.args == [[a.learner.pk]] and entry.done_at is not None
    row = next(r for r in rows_of(a, a.learner) if r["competency_id"] == a.competencies[0].pk)
    assert row["observations"] == 1 and row["observation_mean"] == pytest.approx(4.0)
    # A goal on a competency queues it too; a goal on none changes no competency's row.
    with django_capture_on_commit_callbacks(execute=True):
        set_goal(a, a.learner, a.competencies[1], achieved=True)
    row = next(r for r in rows_of(a, a.learner) if r["competency_id"] == a.competencies[1].pk)
    assert (row["goals"], row["goals_achieved"]) == (1, 1)


def test_freezing_a_report_queues_its_learners_rollup(scenes, django_capture_on_commit_callbacks):
    a, _b = scenes
    with django_capture_on_commit_callbacks(execute=True):
        run_cycle(a, peers(3))
    assert {r["learner_id"] for r in rows_of(a)} == {m.pk for m in a.learners}
    assert all(r["baseline_others"] == pytest.approx(3.0) for r in rows_of(a))


def test_facts_in_one_window_share_one_rollup_run_at_its_end(scenes, settings):
    a, _b = scenes
    settings.CELERY_TASK_ALWAYS_EAGER = False
    now = dt.datetime(2026, 3, 2, 9, 0, 30, tzinfo=dt.UTC)
    with tenant_context(a.org):
        growth.queue_growth_rollup([a.learner.pk], now=now)
        growth.queue_growth_rollup([a.learner.pk], now=now + dt.timedelta(seconds=50))
        growth.queue_growth_rollup([a.learners[1].pk], now=now)
        growth.queue_growth_rollup([a.learner.pk], now=now + dt.timedelta(minutes=2))
        entries = list(
            OutboxEntry.objects.filter(handler=growth.ROLLUP_HANDLER).order_by("run_after", "pk")
        )
    assert [e.args for e in entries] == [[[a.learner.pk]], [[a.learners[1].pk]], [[a.learner.pk]]]
    assert entries[0].run_after == dt.datetime(2026, 3, 2, 9, 2, tzinfo=dt.UTC)
    assert entries[2].run_after == dt.datetime(2026, 3, 2, 9, 4, tzinfo=dt.UTC)


def test_only_closed_pulses_of_the_chosen_baseline_count(scenes):
    a, _b = scenes
    learner = a.learner
    baseline = run_cycle(a, peers(2), learners=[learner], pulse_every_weeks=4)
    with tenant_context(a.org):
        start = timezone.localdate(baseline.closed_at) + dt.timedelta(weeks=4)
        feedback.do_send_due_pulses(start)
        pulse = Pulse.objects.get(participant__learner=learner)
        for request in RaterRequest.objects.filter(pulse=pulse).select_related(
            "participant__cycle", "pulse"
        ):
            feedback.do_save_answers(
                request, dict.fromkeys(pulse.item_ids, 3), {}, submit=True, today=start
            )
        open_day = timezone.make_aware(dt.datetime.combine(pulse.closes_on, dt.time(12)))
        growth.do_rollup_growth([learner.pk], now=open_day)
    assert all(r["pulses"] == [] for r in rows_of(a, learner))  # still open: never shown
    with tenant_context(a.org):
        growth.do_rollup_growth([learner.pk], now=open_day + dt.timedelta(days=1))
    pulsed = [r for r in rows_of(a, learner) if r["pulses"]]
    assert pulsed
    for row in pulsed:
        (point,) = row["pulses"]
        assert point["number"] == 1 and point["others_mean"] == pytest.approx(3.0)
        assert point["others_n"] == 4 and point["baseline_items_mean"] == pytest.approx(2.0)


def test_a_learner_who_leaves_loses_their_rows_and_the_nightly_task_runs(scenes):
    from measurement.tasks import fan_out_nightly_rollups, rollup_growth

    a, _b = scenes
    run_cycle(a, peers(3))
    with tenant_context(a.org):
        growth.do_rollup_growth()
    assert {r["learner_id"] for r in rows_of(a)} == {m.pk for m in a.learners}
    with tenant_context(a.org):
        Membership.objects.filter(pk=a.learners[2].pk).update(is_active=False)
    result = rollup_growth.delay(a.org.pk).get()
    assert result["learners"] == 3  # two learners and their manager
    assert {r["learner_id"] for r in rows_of(a)} == {a.learners[0].pk, a.learners[1].pk}
    assert fan_out_nightly_rollups.delay().get() >= 2


def test_a_withdrawn_fact_takes_its_row_with_it(scenes):
    a, _b = scenes
    practise(a, a.learner, a.competencies[0], 0.4)
    with tenant_context(a.org):
        growth.do_rollup_growth([a.learner.pk])
        assert LearnerCompetencyRollup.objects.filter(learner=a.learner).count() == 1
        Ability.objects.filter(learner=a.learner).delete()
        growth.do_rollup_growth([a.learner.pk])
        assert not LearnerCompetencyRollup.objects.filter(learner=a.learner).exists()


@requires_postgres
def test_the_database_hides_the_rows_from_other_organisations(scenes):
    a, b = scenes
    practise(a, a.learner, a.competencies[0], 0.4)
    with tenant_context(a.org):
        growth.do_rollup_growth()
    table = LearnerCompetencyRollup._meta.db_table
    with tenant_context(b.org), connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {table}")  # noqa: S608 - our own table name
        assert cursor.fetchone()[0] == 0
    with tenant_context(a.org), connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {table}")  # noqa: S608
        assert cursor.fetchone()[0] == 1


def test_a_later_round_shows_beside_the_last_pair(scenes):
    a, _b = scenes
    learner = a.learner
    first = run_cycle(a, peers(2), learners=[learner])
    run_cycle(a, peers(4), kind="follow_up", baseline=first, learners=[learner])
    with tenant_context(a.org):
        growth.do_rollup_growth([learner.pk])
    assert all(r["new_baseline_on"] is None for r in rows_of(a, learner))
    run_cycle(a, peers(3), learners=[learner])  # a new programme's baseline
    with tenant_context(a.org):
        growth.do_rollup_growth([learner.pk])
    for row in rows_of(a, learner):
        assert (row["baseline_others"], row["follow_up_others"]) == (2.0, 4.0)
        assert row["reading"] == "reliable improvement"
        assert (
            row["new_baseline_others"] == pytest.approx(3.0) and row["new_baseline_others_n"] == 4
        )
