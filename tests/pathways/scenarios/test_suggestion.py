"""The scenario list suggests the scenario that suits the learner best: Elo expected success
nearest 85% (MEASUREMENT.md), scenarios not yet played to an ending first."""

from __future__ import annotations

import math

import pytest

from organizations.tenancy import tenant_context
from pathways.models import Ability, Scenario
from pathways.scenarios import queries, services
from tests.conftest import count_queries, make_member
from tests.pathways.scenarios.builders import make_competencies, make_scenario


def _with_difficulty(org, title, difficulty):
    fx = make_scenario(org, title=title)
    with tenant_context(org):
        Scenario.objects.filter(pk=fx.scenario.pk).update(difficulty=difficulty)
    return fx


def _ability(org, learner, competency, theta):
    with tenant_context(org):
        Ability.objects.create(learner=learner, competency=competency, theta=theta, updates=5)


def _play_to_end(org, learner, fx):
    with tenant_context(org):
        play = services.do_start_play(learner, fx.scenario.pk)
        services.do_choose(learner, play.pk, fx.ask.pk, sequence=1)
        services.do_choose(learner, play.pk, fx.plan.pk, sequence=2)


def _expected(theta, b):
    return 1 / (1 + math.exp(-(theta - b)))


@pytest.fixture
def three(org_a, org_b):
    """Leo (ability 1.4 on Coaching, 0.6 on Delegation: 1.0 on average) and three scenarios
    scoring both: hard (b 2.0, 27%), near the target (b -0.7, 85%), easy (b -3.0, 98%)."""
    leo = make_member(org_a, "leo@a.example", is_learner=True)
    hard = _with_difficulty(org_a, "A budget cut", 2.0)
    near = _with_difficulty(org_a, "B new starter", -0.7)
    easy = _with_difficulty(org_a, "C quick win", -3.0)
    _ability(org_a, leo, hard.coaching, 1.4)
    _ability(org_a, leo, hard.delegation, 0.6)
    return leo, hard, near, easy


def test_it_suggests_the_scenario_nearest_85_percent_and_orders_by_suitability(org_a, three):
    leo, hard, near, easy = three
    with tenant_context(org_a):
        summaries = queries.scenario_summaries(leo)
    assert [s.title for s in summaries] == ["B new starter", "C quick win", "A budget cut"]
    assert [s.suggested for s in summaries] == [True, False, False]
    assert summaries[0].expected == pytest.approx(_expected(1.0, -0.7))
    assert [s.expected_percent for s in summaries] == [85, 98, 27]


def test_it_says_why_a_scenario_is_suggested_on_the_list(client, org_a, three):
    leo, hard, near, easy = three
    client.force_login(leo.user)
    page = client.get(f"/o/{org_a.slug}/scenarios/").content.decode()
    assert page.count("Suggested for you") == 1
    assert page.index("B new starter") < page.index("C quick win") < page.index("A budget cut")
    assert page.index("Suggested for you") < page.index("B new starter")
    assert "About 85% chance of choosing the most effective option at each decision" in page
    assert "About 27% chance" in page and "About 98% chance" in page
    assert page.count("btn--primary") == 1  # one primary action: play the suggested one


def test_it_moves_a_scenario_played_to_an_ending_after_the_others(org_a, three):
    leo, hard, near, easy = three
    _play_to_end(org_a, leo, near)
    with tenant_context(org_a):
        summaries = queries.scenario_summaries(leo)
    assert [s.title for s in summaries][-1] == "B new starter"
    assert summaries[0].suggested and not summaries[-1].suggested
    for finished in (hard, easy):
        _play_to_end(org_a, leo, finished)
    with tenant_context(org_a):
        summaries = queries.scenario_summaries(leo)
    # Every scenario played to an ending: the best suited now, to play again.
    assert [s.suggested for s in summaries].count(True) == 1
    best = min(summaries, key=lambda s: s.suitability)
    assert best.suggested


def test_it_starts_a_newcomer_from_the_elo_starting_ability(org_a, org_b):
    newcomer = make_member(org_a, "new@a.example", is_learner=True)
    _with_difficulty(org_a, "A budget cut", 0.0)  # 50% for ability 0
    _with_difficulty(org_a, "B new starter", -1.5)  # 82%
    with tenant_context(org_a):
        summaries = queries.scenario_summaries(newcomer)
    assert [(s.title, s.expected_percent, s.suggested) for s in summaries] == [
        ("B new starter", 82, True),
        ("A budget cut", 50, False),
    ]


def test_it_suggests_nothing_of_another_organisation(client, org_a, org_b, three):
    other = make_member(org_b, "leo@a.example", is_learner=True)
    client.force_login(other.user)
    page = client.get(f"/o/{org_b.slug}/scenarios/").content.decode()
    assert "Suggested for you" not in page and "B new starter" not in page


def test_it_lists_suggestions_in_a_constant_number_of_queries(client, org_a, org_b):
    leo = make_member(org_a, "leo@a.example", is_learner=True)
    _with_difficulty(org_a, "Scenario 0", 0.0)
    client.force_login(leo.user)
    url = f"/o/{org_a.slug}/scenarios/"
    client.get(url)
    with count_queries() as small:
        assert client.get(url).status_code == 200
    others = make_competencies(org_a, [f"Extra {i}" for i in range(3)])
    for i in range(1, 7):
        fx = _with_difficulty(org_a, f"Scenario {i}", -0.5 * i)
        if i % 2:
            _play_to_end(org_a, leo, fx)
    with tenant_context(org_a):
        for competency in others:
            Ability.objects.create(learner=leo, competency=competency, theta=0.3)
    with count_queries() as large:
        page = client.get(url).content.decode()
    assert page.count("Suggested for you") == 1 and "Scenario 6" in page
    assert len(large.app_queries) == len(small.app_queries)
