"""The set-based progress roll-up counts what each learner sees: on a varied organisation
(personalised steps from self-assessments and the 360 baseline, elective groups before and
after the choice, overdue steps, enrolments on two pathway versions, withdrawn enrolments and
a deactivated learner) every row equals the learner's own page (``enrollment_views``), the
team rows equal the per-person means of those figures, and the one-learner roll-up gives the
rows of the full one. Runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict

import pytest
from django.utils import timezone

from competencies.models import Competency, Framework
from measurement.feedback.models import CompetencyScore, Cycle, Participant, Report
from measurement.models import LearnerProgressRollup, TeamProgressRollup
from measurement.services import do_rollup_learner_progress, do_rollup_progress
from organizations.models import Membership, Team
from organizations.relative_dates import org_today
from organizations.tenancy import tenant_context
from pathways.models import (
    Cohort,
    ElectiveChoice,
    ElectiveGroup,
    Enrollment,
    Pathway,
    PathwayVersion,
    PersonalisationRule,
    SelfAssessment,
    Stage,
    Step,
    StepCompletion,
)
from pathways.queries import enrollment_progress, enrollment_views, enrollments_in_progress
from tests.conftest import make_member

BELOW = PersonalisationRule.Action.INCLUDE_IF_BELOW
AT_LEAST = PersonalisationRule.Action.INCLUDE_IF_AT_LEAST
FROM_360 = PersonalisationRule.Source.FEEDBACK_360


def _version(pathway, number, stage_title):
    version = PathwayVersion.objects.create(
        pathway=pathway, number=number, status=PathwayVersion.Status.PUBLISHED
    )
    return version, Stage.objects.create(version=version, title=stage_title, position=0)


def _step(version, stage, position, *, key=None, due=None, opens=0, group=None):
    fields = {"key": key} if key is not None else {}
    return Step.objects.create(
        version=version,
        stage=stage,
        position=position,
        title=f"Step {version.number}.{position}",
        available_offset_days=opens,
        due_offset_days=due,
        elective_group=group,
        **fields,
    )


def _closed_baseline(cohort, learner, competency, mean, closed_at, *, status="closed"):
    cycle = Cycle.objects.create(
        cohort=cohort,
        kind=Cycle.Kind.BASELINE,
        title=f"Baseline {learner.pk} {closed_at:%Y%m%d}",
        status=status,
        nominations_close_on=closed_at.date() - dt.timedelta(days=20),
        responses_close_on=closed_at.date() - dt.timedelta(days=1),
        closed_at=closed_at if status == "closed" else None,
    )
    participant = Participant.objects.create(cycle=cycle, learner=learner)
    report = Report.objects.create(participant=participant, cycle=cycle, learner=learner, data={})
    CompetencyScore.objects.create(
        report=report,
        cycle=cycle,
        learner=learner,
        competency=competency,
        others_mean=mean,
        others_n=4 if mean is not None else 0,
    )


def _varied_organisation(org, seed=14, learners=36):
    """Two versions of one pathway (v2 keeps three of v1's step keys), elective groups in
    both, rules on self-assessments and on the 360 baseline (one step with two rules, one on
    an elective option), cohorts that started 90 and 30 days ago and one that starts in ten,
    enrolments moved to v2 in the oldest cohort, random completions (also of steps not in the
    enrolment's version), choices (also of excluded options), ratings and 360 baselines (an
    older and a later one, an open one, one without others' mean)."""
    rng = random.Random(seed)
    today = timezone.localdate()
    now = timezone.now()
    with tenant_context(org):
        framework = Framework.objects.create(name="Leadership")
        listening, feedback, delegating = (
            Competency.objects.create(framework=framework, name=name, position=i)
            for i, name in enumerate(["Listening", "Feedback", "Delegating"])
        )
        pathway = Pathway.objects.create(name="Leading people")
        v1, stage1 = _version(pathway, 1, "Foundations")
        v2, stage2 = _version(pathway, 2, "Foundations, revised")
        g1 = ElectiveGroup.objects.create(version=v1, title="Pick one", choose=1)
        g2 = ElectiveGroup.objects.create(version=v2, title="Pick two", choose=2)
        s1 = [
            _step(v1, stage1, 0, due=5),
            _step(v1, stage1, 1, due=20),
            _step(v1, stage1, 2, due=None, opens=10),
            _step(v1, stage1, 3, due=40, group=g1),
            _step(v1, stage1, 4, due=60, group=g1),
            _step(v1, stage1, 5, due=200, group=g1),
            _step(v1, stage1, 6, due=100),
        ]
        s2 = [
            _step(v2, stage2, 0, key=s1[0].key, due=5),
            _step(v2, stage2, 1, key=s1[1].key, due=20),
            _step(v2, stage2, 2, key=s1[3].key, due=25, group=g2),
            _step(v2, stage2, 3, due=25, group=g2),
            _step(v2, stage2, 4, due=None, group=g2),
            _step(v2, stage2, 5, due=50, group=g2),
            _step(v2, stage2, 6, due=15),
            _step(v2, stage2, 7, due=70),
        ]
        rules = [
            (s1[1], listening, BELOW, 3, "self_assessment"),
            (s1[5], delegating, AT_LEAST, 3, FROM_360),
            (s1[6], feedback, AT_LEAST, 3, "self_assessment"),
            (s2[1], listening, BELOW, 3, "self_assessment"),
            (s2[3], feedback, AT_LEAST, 4, "self_assessment"),  # an elective option
            (s2[6], listening, BELOW, 4, "self_assessment"),  # two rules on one step
            (s2[6], feedback, AT_LEAST, 2, "self_assessment"),
            (s2[7], delegating, BELOW, 3, FROM_360),
        ]
        for step, competency, action, threshold, source in rules:
            PersonalisationRule.objects.create(
                step=step, competency=competency, action=action, threshold=threshold, source=source
            )
        cohorts = [
            Cohort.objects.create(name="Spring", version=v1, start_date=today - dt.timedelta(90)),
            Cohort.objects.create(name="Summer", version=v2, start_date=today - dt.timedelta(30)),
            Cohort.objects.create(name="Winter", version=v2, start_date=today + dt.timedelta(10)),
        ]
        teams = [Team.objects.create(name=f"Team {i}") for i in range(3)]
    every_key = [s.key for s in s1 + s2]
    members = []
    for i in range(learners):
        team = rng.choice([*teams, None])
        member = make_member(org, f"var{i}@{org.slug}.example", is_learner=True, team=team)
        members.append(member)
        with tenant_context(org):
            for cohort in rng.sample(cohorts, rng.choice([1, 1, 2])):
                version = v2 if cohort.version_id == v2.pk or rng.random() < 0.3 else v1
                enrollment = Enrollment.objects.create(
                    cohort=cohort,
                    learner=member,
                    version=version,
                    status=rng.choice(["active"] * 8 + ["completed", "withdrawn"]),
                )
                for key in rng.sample(every_key, rng.randint(0, 7)):
                    StepCompletion.objects.get_or_create(
                        enrollment=enrollment, learner=member, step_key=key
                    )
                options = [s.key for s in s1 + s2 if s.elective_group_id is not None]
                for key in rng.sample(options, rng.randint(0, 3)):
                    ElectiveChoice.objects.get_or_create(enrollment=enrollment, step_key=key)
                for competency in (listening, feedback, delegating):
                    if rng.random() < 0.7:
                        SelfAssessment.objects.create(
                            enrollment=enrollment, competency=competency, rating=rng.randint(1, 5)
                        )
            if i % 3 == 0:  # an older baseline that a later one replaces
                _closed_baseline(cohorts[0], member, delegating, 4.5, now - dt.timedelta(days=200))
            if i % 2 == 0:
                mean = rng.choice([1.5, 2.75, 3.0, 3.25, 4.0, None])
                _closed_baseline(cohorts[0], member, delegating, mean, now - dt.timedelta(days=50))
            if i % 5 == 0:  # still collecting answers: not a baseline yet
                _closed_baseline(cohorts[1], member, delegating, 1.0, now, status="open")
    with tenant_context(org):
        Membership.objects.filter(pk=members[1].pk).update(is_active=False)
    return members, teams, s2


def _expected(org):
    """Per enrolment, the figures of the learner's own page; per team, the per-person means."""
    with tenant_context(org):
        loaded = enrollments_in_progress(
            Enrollment.objects.filter(learner__is_active=True).select_related("learner")
        )
        views = enrollment_views(loaded, org_today())
    rows = {}
    per_team: dict[int, dict[int, list[float]]] = defaultdict(lambda: defaultdict(list))
    for enrollment, view in zip(loaded, views, strict=True):
        completion = min(1.0, view.steps_done / view.steps_total) if view.steps_total else 0.0
        rows[view.id] = (
            enrollment.learner_id,
            enrollment.learner.team_id,
            view.steps_total,
            view.steps_done,
            len(view.overdue),
            completion,
        )
        if enrollment.learner.team_id is not None:
            per_team[enrollment.learner.team_id][enrollment.learner_id].append(completion)
    teams = {
        team_id: (
            len(people),
            sum(1 for values in people.values() if min(values) >= 1.0),
            pytest.approx(sum(sum(v) / len(v) for v in people.values()) / len(people)),
        )
        for team_id, people in per_team.items()
    }
    return rows, teams, views


def _rolled_up(org):
    with tenant_context(org):
        rows = {
            r.enrollment_id: (
                r.learner_id,
                r.team_id,
                r.steps_total,
                r.steps_done,
                r.steps_overdue,
                r.completion,
            )
            for r in LearnerProgressRollup.objects.all()
        }
        teams = {
            t.team_id: (t.learners, t.learners_finished, t.mean_completion)
            for t in TeamProgressRollup.objects.all()
        }
    return rows, teams


def test_it_rolls_up_each_learners_own_figures_on_a_varied_organisation(org_a, org_b):
    _varied_organisation(org_a)
    _varied_organisation(org_b, seed=15, learners=8)
    expected_rows, expected_teams, views = _expected(org_a)
    # The data set exercises every part of the rule, so that agreement means something.
    steps = [s for v in views for s in v.steps]
    assert {s.state for s in steps} >= {"done", "available", "locked", "skipped", "not_chosen"}
    assert any(s.state == "choose" for s in steps)
    assert any(s.state == "skipped" and "already" in s.reason for s in steps)
    assert sum(len(v.overdue) for v in views) > 5
    assert len({v.version_id for v in views}) == 2
    assert len({(v.steps_total, v.steps_done) for v in views}) > 8

    with tenant_context(org_a):
        result = do_rollup_progress(org_a)
        computed = {
            p.enrollment_id: (
                p.learner_id,
                p.team_id,
                p.steps_total,
                p.steps_done,
                p.steps_overdue,
                p.completion,
            )
            for p in enrollment_progress(org_a.pk, org_today())
        }
    rows, teams = _rolled_up(org_a)
    assert rows == expected_rows
    assert computed == expected_rows
    assert teams == expected_teams
    assert (result.learners, result.teams, result.written) == (len(rows), len(teams), len(rows))
    with tenant_context(org_a):  # over unchanged facts nothing is rewritten
        again = do_rollup_progress(org_a)
    assert (again.learners, again.written) == (len(rows), 0)
    assert _rolled_up(org_a) == (rows, teams)
    with tenant_context(org_b):
        assert not LearnerProgressRollup.objects.exists()


def test_it_rolls_up_one_learner_after_each_kind_of_fact_as_the_full_rollup_does(org_a, org_b):
    members, teams, v2_steps = _varied_organisation(org_a, seed=16, learners=24)
    _varied_organisation(org_b, seed=17, learners=6)
    with tenant_context(org_a):
        do_rollup_progress(org_a)
    with tenant_context(org_b):
        do_rollup_progress(org_b)
    before_b = _rolled_up(org_b)
    rng = random.Random(3)
    with tenant_context(org_a):
        enrollments = list(
            Enrollment.objects.exclude(status="withdrawn").filter(learner__is_active=True)
        )
        assert len(enrollments) > 10
        touched = []
        for enrollment in rng.sample(enrollments, 6):
            key = rng.choice(v2_steps).key
            StepCompletion.objects.get_or_create(
                enrollment=enrollment, learner_id=enrollment.learner_id, step_key=key
            )
            ElectiveChoice.objects.get_or_create(
                enrollment=enrollment, step_key=v2_steps[rng.choice([3, 4, 5])].key
            )
            SelfAssessment.objects.update_or_create(
                enrollment=enrollment,
                competency=Competency.objects.get(name="Listening"),
                defaults={"rating": rng.randint(1, 5)},
            )
            touched.append(enrollment.learner_id)
        mover = enrollments[0].learner_id
        current = Membership.objects.get(pk=mover).team_id
        Membership.objects.filter(pk=mover).update(team=next(t for t in teams if t.pk != current))
        withdrawn = enrollments[1]
        Enrollment.objects.filter(pk=withdrawn.pk).update(status="withdrawn")
        leaver = enrollments[2].learner_id
        Membership.objects.filter(pk=leaver).update(is_active=False)
        for learner_id in sorted({*touched, mover, withdrawn.learner_id, leaver}):
            do_rollup_learner_progress(org_a, learner_id)
    incremental = _rolled_up(org_a)
    expected_rows, expected_teams, _views = _expected(org_a)
    assert incremental[0] == expected_rows
    assert incremental[1] == expected_teams
    with tenant_context(org_a):
        do_rollup_progress(org_a)
    assert _rolled_up(org_a)[0] == incremental[0]
    assert _rolled_up(org_a)[1] == {
        team: (n, done, pytest.approx(mean)) for team, (n, done, mean) in incremental[1].items()
    }
    assert _rolled_up(org_b) == before_b
