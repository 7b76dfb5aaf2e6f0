"""Goals, experiments, journal, observations and the read contracts other areas use."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from coaching import queries, services
from coaching.models import Goal, JournalEntry, Observation
from organizations.tenancy import tenant_context
from pathways.learning import next_actions
from pathways.models import SelfAssessment
from tests.coaching.helpers import build_world, held_session
from tests.conftest import count_queries


@pytest.fixture
def w(org_a, org_b):
    build_world(org_b, "b", n_learners=1)
    return build_world(org_a, "a")


def test_goals_need_a_measure_and_close_with_a_reflection(w):
    ana = w.learners[0]
    with tenant_context(w.org):
        with pytest.raises(ValidationError) as exc:
            services.do_set_goal(
                ana,
                w.engagements[0].pk,
                title="",
                success_measure="",
                target_date=timezone.localdate() - dt.timedelta(days=1),
            )
        assert set(exc.value.message_dict) == {"title", "success_measure", "target_date"}
        goal = services.do_set_goal(
            ana,
            w.engagements[0].pk,
            title="Run a calmer stand-up",
            success_measure="Team rates it 4/5",
            target_date=timezone.localdate() + dt.timedelta(days=40),
            competency=w.competencies[0],
        )
        services.do_update_goal(w.coach, goal.pk, progress=40, status="open")
        with pytest.raises(ValidationError, match="what you learned"):
            services.do_update_goal(ana, goal.pk, progress=40, status="achieved")
        services.do_update_goal(ana, goal.pk, progress=40, status="achieved", reflection="Yes")
        goal.refresh_from_db()
        assert goal.status == Goal.Status.ACHIEVED and goal.progress == 100
        # Another learner cannot touch it.
        with pytest.raises(Goal.DoesNotExist):
            services.do_update_goal(w.learners[1], goal.pk, progress=1, status="open")


def test_experiments_close_with_what_happened_and_show_as_a_next_step_when_due(w):
    ana = w.learners[0]
    today = timezone.localdate()
    with tenant_context(w.org):
        due = services.do_add_experiment(
            w.coach,
            w.engagements[0].pk,
            hypothesis="They will speak up",
            action="Ask the quietest person first",
            where="Monday planning",
            due_on=today + dt.timedelta(days=2),
        )
        services.do_add_experiment(
            w.coach, w.engagements[0].pk, action="Later one", due_on=today + dt.timedelta(days=30)
        )
        with count_queries() as ctx:
            actions = next_actions.actions_for(ana, w.org.slug, today)
        mine = [a for a in actions if a.kind == "experiment"]
        assert [a.title for a in mine] == ["Ask the quietest person first"]
        assert mine[0].url.endswith(f"#experiment-{due.pk}") and mine[0].due_on == due.due_on
        assert len(ctx.app_queries) <= 2 + 10  # ours: 2, whatever the number of experiments
        with pytest.raises(ValidationError):
            services.do_close_experiment(ana, due.pk, status="done", what_happened=" ", learned="")
        services.do_close_experiment(
            ana, due.pk, status="done", what_happened="Two ideas", learned="Silence works"
        )
        assert [
            a for a in next_actions.actions_for(ana, w.org.slug, today) if a.kind == "experiment"
        ] == []


def test_a_held_session_to_rate_is_a_next_step_until_rated(w):
    ana = w.learners[0]
    session = held_session(w)
    today = timezone.localdate()
    with tenant_context(w.org):
        kinds = [a.kind for a in next_actions.actions_for(ana, w.org.slug, today)]
        assert "rate_session" in kinds
        services.do_rate_session(ana, session.pk, 5)
        kinds = [a.kind for a in next_actions.actions_for(ana, w.org.slug, today)]
        assert "rate_session" not in kinds


def test_the_journal_is_private_until_one_entry_is_shared(w):
    ana = w.learners[0]
    with tenant_context(w.org):
        with pytest.raises(ValidationError):
            services.do_write_journal(ana, text="   ")
        entry = services.do_write_journal(ana, text="Felt rushed", prompt="What got in the way?")
        assert queries.engagement_detail(w.coach, w.engagements[0].pk).shared_journal == []
        services.do_share_journal_entry(ana, entry.pk, True)
        [shared] = queries.engagement_detail(w.coach, w.engagements[0].pk).shared_journal
        assert shared.text == "Felt rushed"
        with pytest.raises(JournalEntry.DoesNotExist):
            services.do_share_journal_entry(w.learners[1], entry.pk, True)


def test_journal_prompts_come_from_the_pathways_competencies(w, client):
    from pathways.models import VersionCompetency

    with tenant_context(w.org):
        VersionCompetency.objects.create(
            version=w.enrollments[0].version, competency=w.competencies[0]
        )
        prompts = queries.journal_prompts(w.learners[0])
    assert prompts and w.competencies[0].name.lower() in prompts[0][1]
    client.force_login(w.learners[0].user)
    body = client.get(f"/o/{w.org.slug}/my-coaching/journal/").content.decode()
    assert w.competencies[0].name.lower() in body


def test_observations_need_the_coach_or_an_invited_peer_and_the_competencys_scale(w, client):
    ana, ben = w.learners[0], w.learners[1]
    fields = {
        "competency": w.competencies[0],
        "level": w.levels[3],
        "situation": "Quarterly review",
        "behaviour": "Named the risk before the numbers",
        "observed_on": timezone.localdate(),
    }
    with tenant_context(w.org):
        with pytest.raises(ValidationError, match="invited"):
            services.do_record_observation(ben, ana, **fields)
        services.do_invite_observer(ana, ben)
        peer = services.do_record_observation(ben, ana, **fields)
        coach = services.do_record_observation(
            w.coach, ana, **{**fields, "indicator": w.competencies[0].indicators.first()}
        )
        assert (peer.observer_kind, coach.observer_kind) == ("peer", "coach")
        wrong_indicator = w.competencies[1].indicators.first()
        with pytest.raises(ValidationError) as exc:
            services.do_record_observation(
                w.coach,
                ana,
                **{
                    **fields,
                    "indicator": wrong_indicator,
                    "observed_on": timezone.localdate() + dt.timedelta(days=1),
                },
            )
        assert set(exc.value.message_dict) == {"indicator", "observed_on"}
        assert Observation.objects.count() == 2
        facts = queries.observation_facts([ana.pk])
    assert [(f.observer_kind, f.rating, f.scale_max) for f in facts] == [
        ("peer", 4, 5),
        ("coach", 4, 5),
    ]
    # The learner sees who observed what on "my growth", as level-3 evidence.
    client.force_login(ana.user)
    growth = client.get(f"/o/{w.org.slug}/growth/").content.decode()
    assert "Named the risk before the numbers" in growth
    assert "Observations (coach, peers)" in growth
    assert "Coach" in growth and "Learner1" in growth


def test_coaching_counts_per_cohort_and_per_coach(w):
    a, b = w.learners[0], w.learners[1]
    held_session(w, group=True, days_ago=4)  # 3 attended, 55 minutes
    session = held_session(w, days_ago=2)  # 1:1 with a, 55 minutes
    with tenant_context(w.org):
        services.do_rate_session(a, session.pk, 4)
        from coaching.models import SessionParticipant

        SessionParticipant.objects.filter(learner=b).update(attendance="no_show")
        services.do_set_goal(
            a,
            w.engagements[0].pk,
            title="g",
            success_measure="m",
            target_date=timezone.localdate() + dt.timedelta(days=3),
        )
        goal = services.do_set_goal(
            b,
            w.engagements[1].pk,
            title="g2",
            success_measure="m",
            target_date=timezone.localdate() + dt.timedelta(days=3),
        )
        services.do_update_goal(b, goal.pk, progress=100, status="achieved", reflection="done")
        with count_queries() as ctx:
            [row] = queries.coaching_counts([w.cohort_id])
        [by_coach] = queries.coaching_counts([w.cohort_id], by_coach=True)
    assert len(ctx.app_queries) == 4
    assert row.cohort_id == w.cohort_id and row.coach_id is None
    assert (row.sessions_held, row.hours, row.coachees) == (2, round(110 / 60, 2), 3)
    assert row.attendance_rate == pytest.approx(3 / 4) and row.no_show_rate == pytest.approx(1 / 4)
    assert (row.rating_mean, row.rating_n) == (4.0, 1)
    assert (row.goals_set, row.goals_achieved) == (2, 1)
    assert by_coach.coach_id == w.coach.pk and by_coach.sessions_held == 2


def test_the_suggested_focus_is_the_lowest_self_assessment(w):
    ana = w.learners[0]
    with tenant_context(w.org):
        SelfAssessment.objects.create(
            enrollment=w.enrollments[0], competency=w.competencies[0], rating=8
        )
        SelfAssessment.objects.create(
            enrollment=w.enrollments[0], competency=w.competencies[1], rating=3
        )
        assert queries.suggested_focus(ana) == [w.competencies[1].pk, w.competencies[0].pk]
        engagement = services.do_create_engagement(
            coach=w.coach,
            coachee=ana,
            cohort=None,
            starts_on=timezone.localdate(),
            ends_on=timezone.localdate() + dt.timedelta(days=60),
        )
        [row] = [e for e in queries.learner_coaching(ana).engagements if e.id == engagement.pk]
    assert row.focus == (w.competencies[0].name, w.competencies[1].name)


def test_peer_feedback_only_between_attendees_of_a_group_session(w):
    ana, ben = w.learners[0], w.learners[1]
    group = held_session(w, group=True)
    one = held_session(w, days_ago=6)
    with tenant_context(w.org):
        with pytest.raises(ValidationError):
            services.do_give_peer_feedback(ana, group.pk, ana.pk, what_worked="me")
        with pytest.raises(Exception):  # noqa: B017 - a 1:1 has no peers: not found
            services.do_give_peer_feedback(ana, one.pk, ben.pk, what_worked="x")
        services.do_give_peer_feedback(ana, group.pk, ben.pk, what_worked="Clear asks")
        with pytest.raises(ValidationError, match="already"):
            services.do_give_peer_feedback(ana, group.pk, ben.pk, what_worked="again")
        assert [f.what_worked for f in queries.session_detail(ben, group.pk).feedback_received] == [
            "Clear asks"
        ]
        assert queries.session_detail(w.learners[2], group.pk).feedback_received == []


def test_the_360_baseline_outranks_the_self_assessment_in_the_suggestion(w, monkeypatch):
    ana = w.learners[0]
    first, second = w.competencies[0], w.competencies[1]
    with tenant_context(w.org):
        SelfAssessment.objects.create(enrollment=w.enrollments[0], competency=first, rating=2)
        SelfAssessment.objects.create(enrollment=w.enrollments[0], competency=second, rating=9)
        # No closed baseline yet: the real 360 source adds nothing.
        assert queries.suggested_focus(ana) == [first.pk, second.pk]

        def baseline(learner):  # others rate "second" low, "first" high
            return {second.pk: 0.1, first.pk: 0.9}

        monkeypatch.setattr(queries, "FOCUS_SOURCES", (baseline, queries._self_assessment_scores))
        assert queries.suggested_focus(ana) == [second.pk, first.pk]


def test_an_invited_colleague_is_shown_where_to_record_the_observation(w, client):
    ana, ben = w.learners[0], w.learners[1]
    client.force_login(ana.user)
    client.post(f"/o/{w.org.slug}/my-coaching/observers/", {"peer": ben.pk})
    client.force_login(ben.user)
    page = client.get(f"/o/{w.org.slug}/my-coaching/").content.decode()
    url = f"/o/{w.org.slug}/coaching/observe/{ana.pk}/"
    assert url in page
    level = w.levels[1]
    response = client.post(
        url,
        {
            "competency": w.competencies[0].pk,
            "level": level.pk,
            "situation": "Client call",
            "behaviour": "Summarised the agreement before closing",
            "observed_on": timezone.localdate().isoformat(),
        },
        follow=True,
    )
    assert "your observation was recorded" in response.content.decode()
    with tenant_context(w.org):
        assert Observation.objects.get(learner=ana).observer_kind == "peer"
    # Someone not invited cannot reach the form.
    client.force_login(w.learners[2].user)
    assert client.get(url).status_code == 404
