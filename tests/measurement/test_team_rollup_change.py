"""A learner's roll-up adjusts their team's row by their old and new figures (an exact integer
sum of completions, ``TeamProgressRollup.completion_sum``) instead of aggregating the team's
rows: after every kind of fact, the team rows it leaves are exactly those the organisation's
roll-up gives (counts, sum and mean, to the last bit), and the whole-team aggregate is still
used where the team's row cannot be trusted to sum its rows."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection

from measurement import services
from measurement.models import LearnerProgressRollup, TeamProgressRollup
from measurement.services import (
    do_rollup_learner_progress,
    do_rollup_progress,
    queue_progress_rollup,
)
from organizations.models import Membership, Team
from organizations.outbox.delivery import do_deliver_followup
from organizations.outbox.models import OutboxEntry
from organizations.tenancy import tenant_context
from pathways.models import Enrollment, StepCompletion
from tests.conftest import count_queries, enroll, make_member, make_pathway
from tests.races import _meanwhile

# Only the learner's roll-up that adjusts the team's row sends this text.
CHANGE = "tr.completion_sum + c.units"
AGGREGATE = "GROUP BY l.team_id"


def _adjusted(sql):
    """Whether the roll-up adjusted the team's row by the change (PostgreSQL: it writes the
    learner rows and the team's in one statement) rather than aggregating it afresh (SQLite
    always aggregates; the rows must be the same)."""
    if connection.vendor != "postgresql":
        assert CHANGE not in sql
        return True
    return CHANGE in sql and AGGREGATE not in sql


def _aggregated(sql):
    return AGGREGATE in sql and CHANGE not in sql


def _team_rows(org):
    with tenant_context(org):
        return sorted(
            TeamProgressRollup.objects.values_list(
                "team_id",
                "period",
                "learners",
                "learners_finished",
                "completion_sum",
                "mean_completion",
            )
        )


def _learner_rows(org):
    with tenant_context(org):
        return sorted(
            LearnerProgressRollup.objects.values_list(
                "enrollment_id", "period", "team_id", "steps_done", "steps_total", "completion"
            )
        )


def _same_as_full(org, period=None):
    """The rows left now are those the organisation's roll-up gives: exactly."""
    teams, learners = _team_rows(org), _learner_rows(org)
    with tenant_context(org):
        do_rollup_progress(org, period)
    assert _team_rows(org) == teams
    assert _learner_rows(org) == learners
    return teams


def _sql(ctx):
    return "\n".join(q["sql"] for q in ctx.captured_queries)


def _roll_up(org, learner, period=None):
    """One learner's roll-up; returns the SQL it sent."""
    with tenant_context(org), count_queries() as ctx:
        do_rollup_learner_progress(org, learner.pk, period)
    return _sql(ctx)


def _deliver(org):
    """Deliver the pending progress roll-ups as a worker would (each in its own transaction,
    the outbox row marked done with the rows); returns the SQL they sent."""
    with tenant_context(org), count_queries() as ctx:
        for entry_id in (
            OutboxEntry.objects.filter(handler=services.ROLLUP_HANDLER, done_at=None)
            .order_by("pk")
            .values_list("pk", flat=True)
        ):
            assert do_deliver_followup(org, entry_id).outcome == "done"
    return _sql(ctx)


@pytest.fixture
def scene(org_a, org_b):
    """Two teams; learners with one or two enrolments and completions that are not sums of
    powers of two (thirds), one learner finished."""
    three = make_pathway(org_a, n_steps=3)
    other = make_pathway(org_a, n_steps=3, name="Second Pathway")
    with tenant_context(org_a):
        alpha, beta = Team.objects.create(name="Alpha"), Team.objects.create(name="Beta")
    people = {}
    for name, team, done, second in [
        ("ana", alpha, 1, 2),
        ("bo", alpha, 2, None),
        ("cy", alpha, 3, 3),
        ("di", beta, 0, 1),
        ("ed", beta, 1, None),
    ]:
        member = make_member(org_a, f"{name}@{org_a.slug}.example", is_learner=True, team=team)
        for fixture, n in [(three, done), (other, second)]:
            if n is None:
                continue
            enrolment = enroll(org_a, fixture, member)
            with tenant_context(org_a):
                for step in fixture.steps[:n]:
                    StepCompletion.objects.create(
                        enrollment=enrolment, learner=member, step_key=step.key
                    )
        people[name] = member
    with tenant_context(org_a):
        do_rollup_progress(org_a)
    return {"org": org_a, "three": three, "other": other, "alpha": alpha, "beta": beta, **people}


def test_the_organisations_rollup_keeps_an_exact_sum_and_the_mean_follows_from_it(scene):
    org, alpha = scene["org"], scene["alpha"]
    with tenant_context(org):
        row = TeamProgressRollup.objects.get(team=alpha)
    # Ana 1/3 and 2/3 (mean 1/2), Bo 2/3, Cy finished: in units of 10⁻¹².
    units = 10**12
    ana = (round(units / 3) + round(2 * units / 3)) // 2
    assert row.completion_sum == ana + round(2 * units / 3) + units
    assert (row.learners, row.learners_finished) == (3, 1)
    assert row.mean_completion == row.completion_sum / (3.0 * units)
    assert row.mean_completion == pytest.approx((0.5 + 2 / 3 + 1) / 3)


def test_a_completed_step_adjusts_the_team_by_the_change(scene, django_capture_on_commit_callbacks):
    from pathways.services import do_complete_step

    org, ana, three = scene["org"], scene["ana"], scene["three"]
    before = _team_rows(org)
    with tenant_context(org):
        enrolment = Enrollment.objects.get(learner=ana, cohort=three.cohort)
        do_complete_step(ana, enrolment.pk, three.steps[1].id)
    sql = _deliver(org)
    assert _adjusted(sql)
    after = _same_as_full(org)
    assert after != before  # the figure moved, and by exactly what the full roll-up gives


def test_an_enrolment_and_a_withdrawal_adjust_the_team(scene):
    from pathways.cohorts.services import do_enrol_learner, do_withdraw

    org, bo, other = scene["org"], scene["bo"], scene["other"]
    with tenant_context(org):
        do_enrol_learner(None, other.cohort, bo)
    assert _adjusted(_deliver(org))
    _same_as_full(org)
    with tenant_context(org):
        do_withdraw(None, Enrollment.objects.get(learner=bo, cohort=other.cohort))
    assert _adjusted(_deliver(org))
    _same_as_full(org)
    with tenant_context(org):  # the last enrolment of a finished learner withdrawn
        for enrolment in Enrollment.objects.filter(learner=scene["cy"]):
            do_withdraw(None, enrolment)
    assert _adjusted(_deliver(org))
    rows = _same_as_full(org)
    assert [r[2:4] for r in rows if r[0] == scene["alpha"].pk] == [(2, 0)]


@pytest.mark.parametrize("first", ["joined", "left", "mover"])
def test_a_move_locks_and_adjusts_both_teams_whichever_roll_up_runs_first(scene, first):
    """The mover's roll-up pending: a roll-up of a teammate in the team they joined, of one in
    the team they left, or their own, locks both teams and adjusts both rows, which are then
    the full roll-up's (no team left to drift)."""
    from organizations.people.services import queue_rollups_for_moves

    org, alpha, beta, cy = scene["org"], scene["alpha"], scene["beta"], scene["cy"]
    with tenant_context(org):
        Membership.objects.filter(pk=cy.pk).update(team=beta)
        queue_rollups_for_moves({cy.pk: alpha.pk})
    learner = {"joined": scene["di"], "left": scene["bo"], "mover": cy}[first]
    with tenant_context(org), count_queries() as ctx:
        result = do_rollup_learner_progress(org, learner.pk)
    assert result.teams == 2  # both locked and written
    sql = _sql(ctx)
    assert _adjusted(sql)
    rows = _team_rows(org)
    assert all(row[4] is not None for row in rows)  # neither team left for a fresh aggregate
    assert {row[0]: row[2:4] for row in rows} == {alpha.pk: (2, 0), beta.pk: (3, 1)}
    assert _same_as_full(org) == rows
    _deliver(org)  # the mover's own roll-up: nothing left to change
    assert _team_rows(org)[0][2:5] == rows[0][2:5]
    _same_as_full(org)


def test_deactivating_and_reactivating_adjust_the_team(scene):
    from organizations.people.services import do_deactivate_person, do_reactivate_person

    org, ana, bo = scene["org"], scene["ana"], scene["bo"]
    with tenant_context(org):
        do_deactivate_person(None, ana)
    assert _adjusted(_roll_up(org, bo))  # a teammate's roll-up, Ana's pending
    assert _same_as_full(org)[0][2] == 2
    _deliver(org)
    _same_as_full(org)
    with tenant_context(org):
        do_reactivate_person(None, Membership.objects.get(pk=ana.pk))
    assert _adjusted(_deliver(org))
    assert _same_as_full(org)[0][2] == 3


def test_a_bulk_enrolment_aggregates_the_team_afresh(scene):
    """The organisation's roll-up pending (facts recorded for everyone at once): the team's
    members are all compared and the row aggregated from its rows, not adjusted."""
    org, alpha = scene["org"], scene["alpha"]
    late = [
        make_member(org, f"late{i}@{org.slug}.example", is_learner=True, team=alpha)
        for i in range(2)
    ]
    for member in late:
        enroll(org, scene["three"], member)
    with tenant_context(org):
        queue_progress_rollup(org.pk)  # as a bulk enrolment records it
    sql = _roll_up(org, scene["bo"])
    assert _aggregated(sql)
    assert _same_as_full(org)[0][2] == 5


def test_a_past_month_and_a_row_without_its_sum_are_aggregated_afresh(scene):
    org, alpha, bo = scene["org"], scene["alpha"], scene["bo"]
    last = dt.date(2020, 1, 1)
    with tenant_context(org):
        do_rollup_progress(org, last)
    sql = _roll_up(org, bo, last)
    assert _aggregated(sql)
    _same_as_full(org, last)
    # A row whose sum was emptied (written before the sum was kept, or marked by a roll-up
    # that changed it without its lock): the next roll-up aggregates it and keeps the sum again.
    with tenant_context(org):
        TeamProgressRollup.objects.filter(team=alpha).exclude(period=last).update(
            completion_sum=None, learners=99
        )
    sql = _roll_up(org, bo)
    assert _aggregated(sql)
    rows = _same_as_full(org)
    assert all(row[4] is not None for row in rows)
    assert _adjusted(_roll_up(org, bo))  # and is adjusted by changes again


def test_a_team_the_rollup_did_not_lock_is_marked_for_a_fresh_aggregate(scene):
    """A pending teammate whose rows are in a team none of the locked teams leads to (they
    joined a locked team from a team their rows are in, through a team in between): the roll-up
    moves their rows and empties that team's sum rather than leave it summing rows it no
    longer has; that team's next roll-up aggregates it afresh."""
    from organizations.people.services import queue_rollups_for_moves

    org, alpha, beta = scene["org"], scene["alpha"], scene["beta"]
    with tenant_context(org):
        gamma = Team.objects.create(name="Gamma")
    gus, stays = (
        make_member(org, f"{name}@{org.slug}.example", is_learner=True, team=gamma)
        for name in ("gus", "stays")
    )
    enroll(org, scene["three"], gus)
    enroll(org, scene["other"], stays)
    with tenant_context(org):
        do_rollup_progress(org)
        # Ed moved to Alpha (pending); Gus moved from Gamma to Beta (pending): Bo's roll-up
        # locks Alpha and Beta (Ed's rows), compares Beta's pending members, and so moves
        # Gus's rows out of Gamma, which it did not lock.
        Membership.objects.filter(pk=scene["ed"].pk).update(team=alpha)
        queue_rollups_for_moves({scene["ed"].pk: beta.pk})
        Membership.objects.filter(pk=gus.pk).update(team=beta)
        queue_rollups_for_moves({gus.pk: gamma.pk})
    _roll_up(org, scene["bo"])
    with tenant_context(org):
        row = TeamProgressRollup.objects.get(team=gamma)
        assert not LearnerProgressRollup.objects.filter(learner=gus, team=gamma).exists()
    if connection.vendor == "postgresql":  # SQLite aggregates every team's row afresh anyway
        assert (row.completion_sum, row.learners) == (None, 2)
    _deliver(org)  # Ed's and Gus's own roll-ups
    sql = _roll_up(org, stays)  # Gamma's next roll-up
    assert _aggregated(sql)
    with tenant_context(org):
        assert TeamProgressRollup.objects.get(team=gamma).learners == 1
    _same_as_full(org)


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row locks between connections: PostgreSQL"
)
def test_a_learners_rollup_waiting_on_the_organisations_adjusts_the_rows_it_wrote():
    """The organisation's roll-up holds the teams and rewrote every row (facts had changed for
    several learners); a learner's roll-up waits for the team, then adjusts the team's row by
    the difference from the rows the organisation's wrote (read after the lock), not from the
    rows before it: the team's row is the full roll-up's, to the last bit."""
    import threading
    import time

    from django.db import connections

    from organizations.models import Organization

    org = Organization.objects.create(name="Wait Org", slug="wait-org")
    three = make_pathway(org, n_steps=3)
    with tenant_context(org):
        alpha = Team.objects.create(name="Alpha")
    people = [
        make_member(org, f"w{i}@{org.slug}.example", is_learner=True, team=alpha) for i in range(3)
    ]
    enrolments = [enroll(org, three, member) for member in people]
    with tenant_context(org):
        do_rollup_progress(org)
        for member, enrolment in zip(people, enrolments, strict=True):  # no roll-up recorded
            StepCompletion.objects.create(
                enrollment=enrolment, learner=member, step_key=three.steps[0].key
            )
    held, release, errors = threading.Event(), threading.Event(), []

    def organisation_roll_up():
        try:
            with tenant_context(org):
                do_rollup_progress(org)
                held.set()
                assert release.wait(30)
        except Exception as exc:  # reported by the test's thread
            errors.append(exc)
        finally:
            connections.close_all()

    first = threading.Thread(target=organisation_roll_up)
    first.start()
    assert held.wait(30)
    with tenant_context(org):  # a fact the organisation's roll-up did not see
        StepCompletion.objects.create(
            enrollment=enrolments[0], learner=people[0], step_key=three.steps[1].key
        )
    second, outcome = _meanwhile(org, lambda: do_rollup_learner_progress(org, people[0].pk))
    second.join(1.0)
    assert second.is_alive(), "the learner's roll-up waits for the team"
    time.sleep(0.1)
    release.set()
    first.join(30)
    second.join(30)
    assert not errors and not first.is_alive() and not second.is_alive()
    assert not any(isinstance(result, Exception) for result in outcome), outcome
    rows = _team_rows(org)
    assert [row[2:4] for row in rows] == [(3, 0)]
    units = 10**12
    assert rows[0][4] == round(2 * units / 3) + 2 * round(units / 3)
    assert _same_as_full(org) == rows


def test_a_change_that_would_take_a_row_below_zero_aggregates_it_afresh(scene):
    """A row that is not the sum of its rows (written behind the roll-ups' back): a change
    that would take a figure below zero is not applied; the row is aggregated afresh in the
    same roll-up rather than failing it (a negative count breaks the table's constraint)."""
    from pathways.cohorts.services import do_withdraw

    org, alpha, bo = scene["org"], scene["alpha"], scene["bo"]
    with tenant_context(org):
        TeamProgressRollup.objects.filter(team=alpha).update(
            learners=0, learners_finished=0, completion_sum=0
        )
        do_withdraw(None, Enrollment.objects.get(learner=bo))
    sql = _deliver(org)
    if connection.vendor == "postgresql":
        assert CHANGE in sql and AGGREGATE in sql  # tried, then aggregated
    assert _same_as_full(org)[0][2] == 2
