"""Playing a scenario: start, choose, feedback, debrief, evidence once, refusals, replay."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from organizations.tenancy import tenant_context
from pathways.models import (
    Ability,
    ActivityEvent,
    Scenario,
    ScenarioDecision,
    ScenarioPlay,
)
from pathways.scenarios import services
from tests.conftest import count_queries, make_member
from tests.pathways.scenarios.builders import make_scenario


@pytest.fixture
def world(org_a, org_b):
    fx = make_scenario(org_a)
    leo = make_member(org_a, "leo@a.example", is_learner=True)
    return fx, leo


def _start(client, org, fx):
    response = client.post(f"/o/{org.slug}/scenarios/{fx.scenario.pk}/play/")
    assert response.status_code == 302
    with tenant_context(org):
        return ScenarioPlay.objects.order_by("-id").first()


def _choose(client, org, play, choice, sequence, **extra):
    """Submit ``choice`` as the play page does, for decision number ``sequence``."""
    return client.post(
        f"/o/{org.slug}/scenarios/plays/{play.pk}/choose/",
        {"choice": choice.pk, "sequence": sequence},
        **extra,
    )


def test_it_starts_a_play_at_the_opening_situation(client, org_a, world):
    fx, leo = world
    client.force_login(leo.user)
    intro = client.get(f"/o/{org_a.slug}/scenarios/{fx.scenario.pk}/play/").content.decode()
    assert "How it works" in intro
    play = _start(client, org_a, fx)
    assert play.current_node_id == fx.start.pk and play.finished_at is None
    page = client.get(f"/o/{org_a.slug}/scenarios/{fx.scenario.pk}/play/").content.decode()
    assert "Sam has missed two deadlines this month." in page
    assert fx.ask.text in page and fx.tell.text in page
    assert fx.plan.text not in page


def test_it_shows_feedback_after_a_choice_then_the_next_situation(client, org_a, world):
    fx, leo = world
    client.force_login(leo.user)
    play = _start(client, org_a, fx)
    response = _choose(client, org_a, play, fx.ask, 1)
    with tenant_context(org_a):
        decision = ScenarioDecision.objects.get(play=play)
    assert response["Location"].endswith(f"/plays/{play.pk}/decisions/{decision.pk}/")
    feedback = client.get(response["Location"]).content.decode()
    assert "Sam opens up." in feedback and "Effective choice" in feedback
    assert "Coaching and developing others +2" in feedback
    assert f"/scenarios/{fx.scenario.pk}/play/" in feedback  # Continue
    nxt = client.get(f"/o/{org_a.slug}/scenarios/{fx.scenario.pk}/play/").content.decode()
    assert "Sam admits the workload feels unclear." in nxt
    assert "Decision 2" in nxt


def test_it_swaps_the_feedback_in_place_for_htmx(client, org_a, world):
    fx, leo = world
    client.force_login(leo.user)
    play = _start(client, org_a, fx)
    response = _choose(client, org_a, play, fx.ask, 1, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith('<section id="scenario-play"')
    assert "Sam opens up." in body and "<html" not in body
    assert "/decisions/" in response["HX-Push-Url"]


def test_it_ends_with_a_debrief_of_behaviours_per_competency(client, org_a, world):
    fx, leo = world
    client.force_login(leo.user)
    play = _start(client, org_a, fx)
    _choose(client, org_a, play, fx.ask, 1)
    response = _choose(client, org_a, play, fx.plan, 2)
    feedback = client.get(response["Location"]).content.decode()
    assert f"/plays/{play.pk}/debrief/" in feedback
    page = client.get(f"/o/{org_a.slug}/scenarios/plays/{play.pk}/debrief/").content.decode()
    assert "Sam delivers the next milestone early." in page
    assert "Asking first and agreeing a plan Sam owns built commitment." in page
    assert "You showed strong Coaching and developing others (+3)" in page
    assert "You showed some Delegation (+2)" in page
    assert "2 of your 2 choices were the most effective option." in page
    with tenant_context(org_a):
        play.refresh_from_db()
        completed = ActivityEvent.objects.get(verb="completed", actor=leo)
        experienced = ActivityEvent.objects.filter(verb="experienced", actor=leo).count()
    assert play.finished_at is not None and play.current_node_id == fx.good_end.pk
    assert completed.object_id == str(fx.scenario.pk)
    assert completed.result["score"] == {"raw": 5}
    assert completed.result["extensions"]["competencies"] == {
        str(fx.coaching.pk): 3,
        str(fx.delegation.pk): 2,
    }
    assert experienced == 2


def test_it_words_behaviour_that_worked_against_a_competency(client, org_a, world):
    fx, leo = world
    client.force_login(leo.user)
    play = _start(client, org_a, fx)
    _choose(client, org_a, play, fx.tell, 1)
    _choose(client, org_a, play, fx.take_back, 2)
    page = client.get(f"/o/{org_a.slug}/scenarios/plays/{play.pk}/debrief/").content.decode()
    assert "Your choices worked against Delegation (\u22123)" in page
    assert "Your choices worked against Coaching and developing others (\u22121)" in page
    assert "0 of your 2 choices were the most effective option." in page


def test_it_updates_elo_for_the_competencies_the_choices_touch(client, org_a, world):
    fx, leo = world
    client.force_login(leo.user)
    play = _start(client, org_a, fx)
    _choose(client, org_a, play, fx.ask, 1)  # the start node scores Coaching and Delegation
    with tenant_context(org_a):
        abilities = {a.competency_id: a for a in Ability.objects.filter(learner=leo)}
        scenario = Scenario.objects.get(pk=fx.scenario.pk)
    assert set(abilities) == {fx.coaching.pk, fx.delegation.pk}
    assert all(a.updates == 1 for a in abilities.values())
    # One choice, one event for the scenario: both abilities meet it at 0 (K=1, even odds)
    # and its difficulty moves once, by the mean surprise.
    assert abilities[fx.coaching.pk].theta == pytest.approx(0.5)
    assert abilities[fx.delegation.pk].theta == pytest.approx(0.5)
    assert scenario.difficulty_updates == 1
    assert scenario.difficulty == pytest.approx(-0.5)  # an effective choice: it looks easier


def test_it_stores_a_double_submit_once(client, org_a, world):
    fx, leo = world
    client.force_login(leo.user)
    play = _start(client, org_a, fx)
    first = _choose(client, org_a, play, fx.ask, 1)
    again = _choose(client, org_a, play, fx.ask, 1)
    assert first["Location"] == again["Location"]
    with tenant_context(org_a):
        assert ScenarioDecision.objects.filter(play=play).count() == 1
        assert ActivityEvent.objects.filter(verb="experienced").count() == 1
        assert Ability.objects.get(learner=leo, competency=fx.coaching).updates == 1


def test_it_keeps_the_first_choice_on_a_back_button_resubmission(client, org_a, world):
    fx, leo = world
    client.force_login(leo.user)
    play = _start(client, org_a, fx)
    _choose(client, org_a, play, fx.ask, 1)
    page = client.post(
        f"/o/{org_a.slug}/scenarios/plays/{play.pk}/choose/",
        {"choice": fx.tell.pk, "sequence": 1},
        follow=True,
    ).content.decode()
    assert "your first choice stands" in page
    assert "Sam opens up." in page  # the stored choice's feedback
    with tenant_context(org_a):
        [decision] = ScenarioDecision.objects.filter(play=play)
    assert decision.choice_id == fx.ask.pk


def test_it_refuses_a_choice_from_another_situation_and_stores_nothing(client, org_a, world):
    fx, leo = world
    client.force_login(leo.user)
    play = _start(client, org_a, fx)
    page = _choose(client, org_a, play, fx.plan, 1, follow=True).content.decode()
    assert "belongs to a different situation from the one you are in" in page
    with tenant_context(org_a):
        assert ScenarioDecision.objects.count() == 0
        assert Ability.objects.count() == 0
        play.refresh_from_db()
    assert play.current_node_id == fx.start.pk


def test_it_refuses_a_choice_from_another_scenario(org_a, world):
    fx, leo = world
    other = make_scenario(org_a, title="Another scenario")
    with tenant_context(org_a):
        play = services.do_start_play(leo, fx.scenario.pk)
        with pytest.raises(ValidationError, match="not part of this scenario"):
            services.do_choose(leo, play.pk, other.ask.pk, sequence=1)
        assert ScenarioDecision.objects.count() == 0


def test_it_refuses_choices_after_the_ending(org_a, world):
    fx, leo = world
    with tenant_context(org_a):
        play = services.do_start_play(leo, fx.scenario.pk)
        services.do_choose(leo, play.pk, fx.tell.pk, sequence=1)
        outcome = services.do_choose(leo, play.pk, fx.take_back.pk, sequence=2)
        assert outcome.finished and outcome.recorded
        # The other middle choice: that node was decided, so the stored decision comes back.
        repeat = services.do_choose(leo, play.pk, fx.plan.pk, sequence=2)
        assert not repeat.recorded and repeat.decision.choice_id == fx.take_back.pk
        assert ScenarioDecision.objects.filter(play=play).count() == 2


def test_it_starts_a_new_play_to_replay_and_reuses_an_untouched_one(client, org_a, world):
    fx, leo = world
    client.force_login(leo.user)
    play = _start(client, org_a, fx)
    assert _start(client, org_a, fx).pk == play.pk  # double click on Start
    _choose(client, org_a, play, fx.tell, 1)
    _choose(client, org_a, play, fx.take_back, 2)
    replay = _start(client, org_a, fx)
    assert replay.pk != play.pk and replay.current_node_id == fx.start.pk
    _choose(client, org_a, replay, fx.ask, 1)
    _choose(client, org_a, replay, fx.plan, 2)
    listing = client.get(f"/o/{org_a.slug}/scenarios/").content.decode()
    assert "Played 2 times" in listing
    assert "Best ending so far (+5 behaviour points)" in listing
    assert "Sam delivers the next milestone early." in listing


def test_it_hides_draft_scenarios_from_learners(client, org_a, world):
    _fx, leo = world
    draft = make_scenario(org_a, title="Draft one", status=Scenario.Status.DRAFT)
    client.force_login(leo.user)
    assert "Draft one" not in client.get(f"/o/{org_a.slug}/scenarios/").content.decode()
    assert client.get(f"/o/{org_a.slug}/scenarios/{draft.scenario.pk}/play/").status_code == 404
    assert client.post(f"/o/{org_a.slug}/scenarios/{draft.scenario.pk}/play/").status_code == 404


def test_it_teaches_when_there_are_no_scenarios(client, org_a, org_b):
    leo = make_member(org_a, "leo@a.example", is_learner=True)
    client.force_login(leo.user)
    page = client.get(f"/o/{org_a.slug}/scenarios/").content.decode()
    assert "No scenarios to play yet" in page


def test_it_keeps_another_learners_play_private(client, org_a, world):
    fx, leo = world
    mia = make_member(org_a, "mia@a.example", is_learner=True)
    with tenant_context(org_a):
        play = services.do_start_play(leo, fx.scenario.pk)
        decision = services.do_choose(leo, play.pk, fx.ask.pk, sequence=1).decision
    client.force_login(mia.user)
    base = f"/o/{org_a.slug}/scenarios/plays/{play.pk}"
    assert client.get(f"{base}/debrief/").status_code == 404
    assert client.get(f"{base}/decisions/{decision.pk}/").status_code == 404
    assert client.post(f"{base}/choose/", {"choice": fx.plan.pk, "sequence": 2}).status_code == 404


def test_it_gives_404_for_another_organisations_ids_under_ones_own_slug(client, org_a, org_b):
    fx = make_scenario(org_a)
    leo = make_member(org_a, "leo@a.example", is_learner=True)
    with tenant_context(org_a):
        play = services.do_start_play(leo, fx.scenario.pk)
        decision = services.do_choose(leo, play.pk, fx.ask.pk, sequence=1).decision
    intruder = make_member(org_b, "intruder@b.example", is_learner=True)
    make_scenario(org_b, title="Globex scenario")
    client.force_login(intruder.user)
    slug = org_b.slug
    assert client.get(f"/o/{slug}/scenarios/{fx.scenario.pk}/play/").status_code == 404
    assert client.post(f"/o/{slug}/scenarios/{fx.scenario.pk}/play/").status_code == 404
    base = f"/o/{slug}/scenarios/plays/{play.pk}"
    assert client.get(f"{base}/debrief/").status_code == 404
    assert client.get(f"{base}/decisions/{decision.pk}/").status_code == 404
    assert client.post(f"{base}/choose/", {"choice": fx.plan.pk, "sequence": 2}).status_code == 404
    assert "The struggling report" not in client.get(f"/o/{slug}/scenarios/").content.decode()
    with tenant_context(org_a):
        assert ScenarioDecision.objects.count() == 1


def _play_through(org, learner, fx, n):
    with tenant_context(org):
        for _ in range(n):
            play = services.do_start_play(learner, fx.scenario.pk)
            services.do_choose(learner, play.pk, fx.ask.pk, sequence=1)
            services.do_choose(learner, play.pk, fx.plan.pk, sequence=2)


def test_it_lists_scenarios_in_a_constant_number_of_queries(client, org_a, org_b):
    leo = make_member(org_a, "leo@a.example", is_learner=True)
    fx = make_scenario(org_a, title="Scenario 0")
    _play_through(org_a, leo, fx, 1)
    client.force_login(leo.user)
    url = f"/o/{org_a.slug}/scenarios/"
    client.get(url)
    with count_queries() as small:
        assert client.get(url).status_code == 200
    for i in range(1, 5):
        _play_through(org_a, leo, make_scenario(org_a, title=f"Scenario {i}"), 3)
    with count_queries() as large:
        page = client.get(url).content.decode()
    assert page.count("Played 3 times") == 4
    assert len(large.app_queries) == len(small.app_queries)


def test_it_shows_the_play_and_debrief_in_a_constant_number_of_queries(client, org_a, org_b):
    leo = make_member(org_a, "leo@a.example", is_learner=True)
    fx = make_scenario(org_a)
    client.force_login(leo.user)
    with tenant_context(org_a):
        play = services.do_start_play(leo, fx.scenario.pk)
        services.do_choose(leo, play.pk, fx.ask.pk, sequence=1)
    play_url = f"/o/{org_a.slug}/scenarios/{fx.scenario.pk}/play/"
    with count_queries() as small:
        assert client.get(play_url).status_code == 200
    busy = make_scenario(org_a, title="Played often")
    _play_through(org_a, leo, busy, 6)  # more finished plays, decisions and scores
    with tenant_context(org_a):
        open_play = services.do_start_play(leo, busy.scenario.pk)
        services.do_choose(leo, open_play.pk, busy.ask.pk, sequence=1)
    with count_queries() as large:
        page = client.get(f"/o/{org_a.slug}/scenarios/{busy.scenario.pk}/play/").content.decode()
    assert "Decision 2" in page
    assert len(large.app_queries) == len(small.app_queries)

    with tenant_context(org_a):
        services.do_choose(leo, play.pk, fx.plan.pk, sequence=2)
    debrief_url = f"/o/{org_a.slug}/scenarios/plays/{play.pk}/debrief/"
    with count_queries() as debrief:
        assert client.get(debrief_url).status_code == 200
    short = make_scenario(org_a, title="Short one")
    with tenant_context(org_a):
        one = services.do_start_play(leo, short.scenario.pk)
        services.do_choose(leo, one.pk, short.tell.pk, sequence=1)
        services.do_choose(leo, one.pk, short.take_back.pk, sequence=2)
    with count_queries() as other:
        assert client.get(f"/o/{org_a.slug}/scenarios/plays/{one.pk}/debrief/").status_code == 200
    assert len(debrief.app_queries) == len(other.app_queries)


def test_it_refuses_a_wrong_choice_in_place_for_htmx(client, org_a, world):
    fx, leo = world
    client.force_login(leo.user)
    play = _start(client, org_a, fx)
    response = _choose(client, org_a, play, fx.take_back, 1, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200 and "<html" not in body
    assert 'role="alert"' in body and "belongs to a different situation" in body
    assert fx.ask.text in body  # the current options are shown again
    nxt = client.get(
        f"/o/{org_a.slug}/scenarios/{fx.scenario.pk}/play/", HTTP_HX_REQUEST="true"
    ).content.decode()
    assert nxt.lstrip().startswith('<section id="scenario-play"')


def test_it_finishes_at_once_a_scenario_that_opens_on_an_ending(org_a, world):
    fx, leo = world
    with tenant_context(org_a):
        Scenario.objects.filter(pk=fx.scenario.pk).update(start_node=fx.good_end)
        play = services.do_start_play(leo, fx.scenario.pk)
        assert play.finished_at is not None
        assert ActivityEvent.objects.get(verb="completed").result["score"] == {"raw": 0}


def test_it_starts_over_with_a_new_play_and_keeps_the_earlier_evidence(client, org_a, world):
    fx, leo = world
    client.force_login(leo.user)
    play = _start(client, org_a, fx)
    _choose(client, org_a, play, fx.tell, 1)
    page = client.get(f"/o/{org_a.slug}/scenarios/{fx.scenario.pk}/play/").content.decode()
    assert "Start over" in page
    again = _start(client, org_a, fx)
    assert again.pk != play.pk and again.current_node_id == fx.start.pk
    fresh = client.get(f"/o/{org_a.slug}/scenarios/{fx.scenario.pk}/play/").content.decode()
    assert "Decision 1" in fresh
    with tenant_context(org_a):
        assert ScenarioDecision.objects.filter(play=play).count() == 1


def test_it_only_continues_the_latest_play(client, org_a, world):
    fx, leo = world
    with tenant_context(org_a):
        abandoned = services.do_start_play(leo, fx.scenario.pk)
        services.do_choose(leo, abandoned.pk, fx.tell.pk, sequence=1)
        latest = ScenarioPlay.objects.create(
            learner=leo, scenario=fx.scenario, current_node=fx.start
        )
        services.do_choose(leo, latest.pk, fx.ask.pk, sequence=1)
        services.do_choose(leo, latest.pk, fx.plan.pk, sequence=2)
    client.force_login(leo.user)
    listing = client.get(f"/o/{org_a.slug}/scenarios/").content.decode()
    assert "In progress" not in listing and "Play again" in listing
    intro = client.get(f"/o/{org_a.slug}/scenarios/{fx.scenario.pk}/play/").content.decode()
    assert "Start a new play" in intro


def test_it_says_the_first_choice_stands_in_the_swapped_card_too(client, org_a, world):
    fx, leo = world
    client.force_login(leo.user)
    play = _start(client, org_a, fx)
    _choose(client, org_a, play, fx.ask, 1)
    card = client.post(
        f"/o/{org_a.slug}/scenarios/plays/{play.pk}/choose/",
        {"choice": fx.tell.pk, "sequence": 1},
        headers={"HX-Request": "true"},
    ).content.decode()
    assert "<html" not in card and "your first choice stands" in card
