"""Plays that come back to a situation ("try again"): each visit is a decision of its own,
numbered in the play; a second submit of a step is a replay, a stale or future step is
refused; evidence, Elo and BKT move once per decision."""

from __future__ import annotations

import importlib
from types import SimpleNamespace

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from organizations.tenancy import tenant_context
from pathways import adaptive
from pathways.models import (
    Ability,
    ActivityEvent,
    MasteryEvidence,
    Scenario,
    ScenarioDecision,
    ScenarioPlay,
)
from pathways.scenarios import queries, services
from tests.conftest import count_queries, make_member, requires_postgres
from tests.pathways.scenarios.builders import add_try_again, make_scenario
from tests.races import race

MIGRATION = "0013_scenario_decision_sequence"
migration = importlib.import_module(f"pathways.migrations.{MIGRATION}")


@pytest.fixture
def world(org_a, org_b):
    fx = make_scenario(org_a)
    back = add_try_again(org_a, fx)
    leo = make_member(org_a, "leo@a.example", is_learner=True)
    return fx, back, leo


def _start(client, org, fx):
    assert client.post(f"/o/{org.slug}/scenarios/{fx.scenario.pk}/play/").status_code == 302
    with tenant_context(org):
        return ScenarioPlay.objects.order_by("-id").first()


def _choose(client, org, play, choice, sequence, **extra):
    """Submit ``choice`` as the play page does, for decision number ``sequence``."""
    return client.post(
        f"/o/{org.slug}/scenarios/plays/{play.pk}/choose/",
        {"choice": choice.pk, "sequence": sequence},
        **extra,
    )


def _play(org, learner, choices):
    """A play through the services, making ``choices`` in turn."""
    with tenant_context(org):
        play = services.do_start_play(learner, choices[0].node.scenario_id)
        for sequence, choice in enumerate(choices, start=1):
            services.do_choose(learner, play.pk, choice.pk, sequence=sequence)
    return play


def _decisions(org, play):
    with tenant_context(org):
        return list(
            ScenarioDecision.objects.filter(play=play)
            .order_by("sequence")
            .values_list("sequence", "node__key", "choice__text")
        )


def test_it_plays_round_a_try_again_loop_to_an_ending_and_debriefs_both_visits(
    client, org_a, world
):
    fx, back, leo = world
    client.force_login(leo.user)
    play = _start(client, org_a, fx)
    _choose(client, org_a, play, fx.ask, 1)
    response = _choose(client, org_a, play, back, 2)
    feedback = client.get(response["Location"]).content.decode()
    assert "you are back where you started" in feedback and "Continue" in feedback

    again = client.get(f"/o/{org_a.slug}/scenarios/{fx.scenario.pk}/play/").content.decode()
    assert "Decision 3" in again and "Sam has missed two deadlines this month." in again
    assert "You are back in this situation. At decision 1 you chose" in again
    assert fx.ask.text in again and fx.tell.text in again
    assert 'name="sequence" value="3"' in again
    _choose(client, org_a, play, fx.tell, 3)
    _choose(client, org_a, play, fx.plan, 4)

    assert _decisions(org_a, play) == [
        (1, "start", fx.ask.text),
        (2, "middle", back.text),
        (3, "start", fx.tell.text),
        (4, "middle", fx.plan.text),
    ]
    page = client.get(f"/o/{org_a.slug}/scenarios/plays/{play.pk}/debrief/").content.decode()
    assert "with 4 choices" in page
    assert "2 of your 4 choices were the most effective option." in page
    # Coaching +2 −1 +1; Delegation −1 −1 +2: every decision counts, the loop's too.
    assert "You showed some Coaching and developing others (+2)" in page
    assert "Your choices balanced out on Delegation (0)" in page
    path = page[page.index('id="path-title"') :]
    assert [path.index(f"Decision {n}") for n in range(1, 5)] == sorted(
        path.index(f"Decision {n}") for n in range(1, 5)
    )
    assert "Decision 3: back in the situation of decision 1" in path
    assert "Decision 4: back in the situation of decision 2" in path
    assert path.count("Sam has missed two deadlines this month.") == 2
    assert path.index(fx.ask.text) < path.index(back.text) < path.index(fx.tell.text)

    with tenant_context(org_a):
        completed = ActivityEvent.objects.get(verb="completed", actor=leo)
        steps = list(
            ActivityEvent.objects.filter(verb="experienced", actor=leo)
            .order_by("id")
            .values_list("result__extensions__sequence", flat=True)
        )
    assert steps == [1, 2, 3, 4]
    assert completed.result["extensions"]["choices"] == 4
    assert completed.result["extensions"]["competencies"] == {
        str(fx.coaching.pk): 2,
        str(fx.delegation.pk): 0,
    }
    listing = client.get(f"/o/{org_a.slug}/scenarios/").content.decode()
    assert "Best ending so far (+2 behaviour points)" in listing


def test_it_stores_a_double_submit_of_a_step_once_even_in_a_situation_seen_before(
    client, org_a, world
):
    fx, back, leo = world
    client.force_login(leo.user)
    play = _start(client, org_a, fx)
    _choose(client, org_a, play, fx.ask, 1)
    _choose(client, org_a, play, back, 2)
    first = _choose(client, org_a, play, fx.tell, 3)
    again = _choose(client, org_a, play, fx.tell, 3)
    assert first["Location"] == again["Location"]
    # A page left open from the first visit to the start: that step was decided, so the
    # stored choice stands and nothing is written.
    page = client.post(
        f"/o/{org_a.slug}/scenarios/plays/{play.pk}/choose/",
        {"choice": fx.tell.pk, "sequence": 1},
        follow=True,
    ).content.decode()
    assert "your first choice stands" in page and "Sam opens up." in page
    assert [step for step, _key, _text in _decisions(org_a, play)] == [1, 2, 3]
    with tenant_context(org_a):
        assert ActivityEvent.objects.filter(verb="experienced").count() == 3
        assert Ability.objects.get(learner=leo, competency=fx.coaching).updates == 3
        assert MasteryEvidence.objects.filter(competency=fx.coaching).count() == 3


def test_it_refuses_a_stale_or_future_step_and_changes_nothing(client, org_a, world):
    fx, back, leo = world
    play = _play(org_a, leo, [fx.ask, back])  # back at the start: decision 3 is next
    with tenant_context(org_a):
        before = list(Ability.objects.order_by("id").values_list("theta", "p_known", "updates"))
        for sequence in (4, 9):
            with pytest.raises(ValidationError, match="this play is at decision 3 now"):
                services.do_choose(leo, play.pk, fx.ask.pk, sequence=sequence)
        # Step 2 was decided in the middle situation, not at the start: a stale page.
        with pytest.raises(ValidationError, match="this play is at decision 3 now"):
            services.do_choose(leo, play.pk, fx.ask.pk, sequence=2)
        # The next step, but an option of another situation.
        with pytest.raises(ValidationError, match="belongs to a different situation"):
            services.do_choose(leo, play.pk, fx.plan.pk, sequence=3)
        after = list(Ability.objects.order_by("id").values_list("theta", "p_known", "updates"))
        assert after == before
        assert ActivityEvent.objects.filter(verb="experienced").count() == 2

    client.force_login(leo.user)
    response = _choose(client, org_a, play, fx.ask, 5, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200 and 'role="alert"' in body
    assert "That page was out of date: this play is at decision 3 now." in body
    assert 'name="sequence" value="3"' in body  # the current options, with the right step
    for data in ({"choice": fx.ask.pk}, {"choice": fx.ask.pk, "sequence": "0"}):
        page = client.post(
            f"/o/{org_a.slug}/scenarios/plays/{play.pk}/choose/", data, follow=True
        ).content.decode()
        assert "That page was out of date. Choose one of the options shown now." in page
    assert len(_decisions(org_a, play)) == 2


def test_it_refuses_a_new_step_after_the_ending_but_replays_a_decided_one(org_a, world):
    fx, back, leo = world
    play = _play(org_a, leo, [fx.ask, back, fx.tell, fx.take_back])
    with tenant_context(org_a):
        with pytest.raises(ValidationError, match="This play has ended"):
            services.do_choose(leo, play.pk, fx.plan.pk, sequence=5)
        repeat = services.do_choose(leo, play.pk, fx.plan.pk, sequence=4)
        assert not repeat.recorded and repeat.finished
        assert repeat.decision.choice_id == fx.take_back.pk
        assert ScenarioDecision.objects.filter(play=play).count() == 4


def test_it_moves_elo_bkt_and_the_evidence_ledger_once_per_decision(org_a, world):
    fx, back, leo = world
    choices = [fx.ask, back, fx.tell, back, fx.ask, fx.plan]
    play = _play(org_a, leo, choices)
    with tenant_context(org_a):
        # A replayed step changes nothing.
        services.do_choose(leo, play.pk, fx.ask.pk, sequence=5)
        decisions = list(ScenarioDecision.objects.filter(play=play).order_by("sequence"))
        abilities = {a.competency_id: a for a in Ability.objects.filter(learner=leo)}
        scenario = Scenario.objects.get(pk=fx.scenario.pk)
        ledger = list(
            MasteryEvidence.objects.filter(learner=leo).values_list(
                "source_id", "competency_id", "correct", "p_known_after"
            )
        )
        growth = {c.name: c for c in queries.growth_report(leo).competencies}
        completed = ActivityEvent.objects.get(verb="completed", actor=leo)
    assert [d.sequence for d in decisions] == [1, 2, 3, 4, 5, 6]
    # Both situations score both competencies, so every decision tests both.
    assert {a.updates for a in abilities.values()} == {6}
    assert scenario.difficulty_updates == 6
    assert sorted((s, c) for s, c, _ok, _p in ledger) == sorted(
        (d.pk, cid) for d in decisions for cid in (fx.coaching.pk, fx.delegation.pk)
    )
    expected = adaptive.BKT_PRIOR
    for choice in choices:
        expected = adaptive.bkt_update(expected, choice.is_effective)
    assert abilities[fx.coaching.pk].p_known == pytest.approx(expected)
    last = max(ledger, key=lambda row: row[0])
    assert last[3] == pytest.approx(expected)
    coaching = growth["Coaching and developing others"]
    assert coaching.decisions.count == 6 == coaching.answers
    assert coaching.decisions.right == 3
    assert coaching.decisions.score_total == 2 + 0 - 1 + 0 + 2 + 1
    # The same choice made twice counts twice in the play's totals.
    assert completed.result["extensions"]["competencies"] == {
        str(fx.coaching.pk): 2 - 1 + 2 + 1,
        str(fx.delegation.pk): -1 - 1 - 1 + 2,
    }


def test_it_keeps_plays_private_across_learners_and_organisations(client, org_a, org_b, world):
    fx, back, leo = world
    play = _play(org_a, leo, [fx.ask, back])
    with tenant_context(org_a):
        decision = ScenarioDecision.objects.get(play=play, sequence=2)
    mia = make_member(org_a, "mia@a.example", is_learner=True)
    gil = make_member(org_b, "gil@b.example", is_learner=True)
    for member, org in ((mia, org_a), (gil, org_b)):
        client.force_login(member.user)
        base = f"/o/{org.slug}/scenarios/plays/{play.pk}"
        assert client.get(f"{base}/debrief/").status_code == 404
        assert client.get(f"{base}/decisions/{decision.pk}/").status_code == 404
        data = {"choice": fx.tell.pk, "sequence": 3}
        assert client.post(f"{base}/choose/", data).status_code == 404
    assert len(_decisions(org_a, play)) == 2


def test_it_shows_the_play_and_debrief_in_a_constant_number_of_queries(client, org_a, world):
    fx, back, leo = world
    client.force_login(leo.user)
    short = _play(org_a, leo, [fx.ask])
    play_url = f"/o/{org_a.slug}/scenarios/{fx.scenario.pk}/play/"
    with count_queries() as small:
        assert "Decision 2" in client.get(play_url).content.decode()
    with tenant_context(org_a):
        for sequence, choice in enumerate([back, fx.tell, back, fx.ask, back], start=2):
            services.do_choose(leo, short.pk, choice.pk, sequence=sequence)
    with count_queries() as large:
        page = client.get(play_url).content.decode()
    assert "Decision 7" in page and "You are back in this situation" in page
    assert len(large.app_queries) == len(small.app_queries)

    quick = _play(org_a, leo, [fx.ask, fx.plan])
    with count_queries() as few:
        assert client.get(f"/o/{org_a.slug}/scenarios/plays/{quick.pk}/debrief/").status_code == 200
    with tenant_context(org_a):
        services.do_choose(leo, short.pk, fx.tell.pk, sequence=7)
        services.do_choose(leo, short.pk, fx.plan.pk, sequence=8)
    with count_queries() as many:
        page = client.get(f"/o/{org_a.slug}/scenarios/plays/{short.pk}/debrief/").content.decode()
    assert "with 8 choices" in page
    assert len(many.app_queries) == len(few.app_queries)


def test_the_migration_numbers_earlier_decisions_per_play_in_the_order_they_were_made(org_a, org_b):
    fx_a, fx_b = make_scenario(org_a), make_scenario(org_b)
    back_a = add_try_again(org_a, fx_a)
    leo = make_member(org_a, "leo@a.example", is_learner=True)
    bea = make_member(org_b, "bea@b.example", is_learner=True)
    looped = _play(org_a, leo, [fx_a.ask, back_a, fx_a.tell, fx_a.plan])
    other = _play(org_a, leo, [fx_a.tell])
    theirs = _play(org_b, bea, [fx_b.ask, fx_b.take_back])
    with tenant_context(org_a):
        # The first two were made in the other order than their ids say: time decides.
        first, second = ScenarioDecision.objects.filter(play=looped).order_by("sequence")[:2]
        earlier = first.decided_at - (second.decided_at - first.decided_at)
        ScenarioDecision.objects.filter(pk=second.pk).update(decided_at=earlier)
    for org in (org_a, org_b):  # numbers to be replaced
        with tenant_context(org):
            for n, pk in enumerate(ScenarioDecision.objects.values_list("pk", flat=True)):
                ScenarioDecision.objects.filter(pk=pk).update(sequence=500 + n)

    apps = MigrationExecutor(connection).loader.project_state(("pathways", MIGRATION)).apps
    migration.number_decisions(apps, SimpleNamespace(connection=connection))

    assert _steps(org_a, looped) == [
        (1, back_a.text),
        (2, fx_a.ask.text),
        (3, fx_a.tell.text),
        (4, fx_a.plan.text),
    ]
    assert _steps(org_a, other) == [(1, fx_a.tell.text)]
    assert _steps(org_b, theirs) == [(1, fx_b.ask.text), (2, fx_b.take_back.text)]


def _steps(org, play):
    with tenant_context(org):
        return list(
            ScenarioDecision.objects.filter(play=play)
            .order_by("sequence")
            .values_list("sequence", "choice__text")
        )


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_it_stores_one_decision_when_the_same_step_is_submitted_twice_at_once(org_a, org_b):
    fx = make_scenario(org_a)
    back = add_try_again(org_a, fx)
    leo = make_member(org_a, "leo@a.example", is_learner=True)
    play = _play(org_a, leo, [fx.ask, back])

    def submit():
        return services.do_choose(leo, play.pk, fx.tell.pk, sequence=3)

    second = race(org_a, submit, submit)
    assert not isinstance(second, Exception), second
    assert not second.recorded and second.decision.sequence == 3
    assert [step for step, _key, _text in _decisions(org_a, play)] == [1, 2, 3]
    with tenant_context(org_a):
        assert Ability.objects.get(learner=leo, competency=fx.coaching).updates == 3
        assert MasteryEvidence.objects.filter(competency=fx.coaching).count() == 3
    with tenant_context(org_b):
        assert not ScenarioDecision.objects.exists()
