"""Elo and Bayesian Knowledge Tracing (MEASUREMENT.md "Adaptive practice and mastery")."""

from __future__ import annotations

import math

import pytest
from django.db import IntegrityError

from organizations.tenancy import tenant_context
from pathways import adaptive
from pathways.models import Ability, MasteryEvidence, RetrievalItem, ReviewCard, ReviewLog
from tests.conftest import make_member
from tests.pathways.scenarios.builders import make_competencies, make_items


def answer(leo, item, token: str) -> adaptive.AnswerSource:
    """A stored review of ``item``: the answer an update comes from (call inside the tenant)."""
    card, _created = ReviewCard.objects.get_or_create(learner=leo, item=item)
    log = ReviewLog.objects.create(card=card, learner=leo, token=token, rating=3, correct=True)
    return adaptive.AnswerSource(MasteryEvidence.Source.REVIEW, log.pk, log.reviewed_at)


def reference_bkt(p: float, correct: bool) -> float:
    """BKT written out from the published parameters: guess .2, slip .1, learn .1."""
    if correct:
        posterior = p * 0.9 / (p * 0.9 + (1 - p) * 0.2)
    else:
        posterior = p * 0.1 / (p * 0.1 + (1 - p) * 0.8)
    return posterior + (1 - posterior) * 0.1


def test_it_gives_even_odds_when_ability_equals_difficulty():
    assert adaptive.expected_success(0.0, 0.0) == 0.5
    assert adaptive.expected_success(1.3, 1.3) == 0.5
    assert adaptive.expected_success(1.0, 0.0) == pytest.approx(1 / (1 + math.exp(-1)))
    assert adaptive.expected_success(0.0, 1.0) == pytest.approx(1 - 1 / (1 + math.exp(-1)))


def test_it_moves_ability_and_difficulty_by_k_times_the_surprise_with_k_one_at_first():
    theta, b = adaptive.elo_update(0.0, 0, 0.0, 0, correct=True)
    assert (theta, b) == pytest.approx((0.5, -0.5))
    theta, b = adaptive.elo_update(0.0, 0, 0.0, 0, correct=False)
    assert (theta, b) == pytest.approx((-0.5, 0.5))


def test_it_shrinks_k_with_the_number_of_earlier_updates():
    assert adaptive.k_factor(0) == 1.0
    assert adaptive.k_factor(1) == pytest.approx(1 / 1.05)
    assert adaptive.k_factor(20) == pytest.approx(0.5)
    # Second answer: theta 0.5 (1 update) against a fresh item at 0.
    p = 1 / (1 + math.exp(-0.5))
    theta, b = adaptive.elo_update(0.5, 1, 0.0, 0, correct=True)
    assert theta == pytest.approx(0.5 + (1 - p) / 1.05)
    assert b == pytest.approx(0.0 - (1 - p))


def test_it_moves_difficulty_opposite_to_ability():
    for correct in (True, False):
        theta, b = adaptive.elo_update(0.2, 3, -0.4, 7, correct=correct)
        assert (theta - 0.2) * (b + 0.4) < 0


def test_it_targets_about_85_percent_expected_success():
    for theta in (-2.0, 0.0, 1.5):
        target = adaptive.target_difficulty(theta)
        assert adaptive.expected_success(theta, target) == pytest.approx(0.85)
        assert theta - target == pytest.approx(1.7346, abs=1e-3)


def test_it_updates_bkt_with_guess_slip_and_learn():
    assert adaptive.bkt_update(0.2, True) == pytest.approx(0.18 / 0.34 + (1 - 0.18 / 0.34) * 0.1)
    assert adaptive.bkt_update(0.2, True) == pytest.approx(0.5765, abs=1e-4)
    assert adaptive.bkt_update(0.2, False) == pytest.approx(0.1273, abs=1e-4)
    p = 0.2
    for correct in (True, True, False, True, True, True):
        expected = reference_bkt(p, correct)
        p = adaptive.bkt_update(p, correct)
        assert p == pytest.approx(expected)


def test_it_records_outcomes_on_the_learner_and_the_item(org_a, org_b):
    [coaching] = make_competencies(org_a, ["Coaching"])
    [item] = make_items(org_a, coaching, [0.0])
    leo = make_member(org_a, "leo@a.example", is_learner=True)
    with tenant_context(org_a):
        first = adaptive.do_record_outcome(
            leo, coaching.pk, item, correct=True, source=answer(leo, item, "t1")
        )
        second = adaptive.do_record_outcome(
            leo, coaching.pk, item, correct=True, source=answer(leo, item, "t2")
        )
        ability = Ability.objects.get(learner=leo, competency=coaching)
        stored = RetrievalItem.objects.get(pk=item.pk)
        ledger = list(MasteryEvidence.objects.order_by("id"))
    assert first.expected == 0.5
    assert (first.theta, first.difficulty) == pytest.approx((0.5, -0.5))
    # Second update: both sides have one earlier update, P = logistic(0.5 - -0.5) = logistic(1).
    p = 1 / (1 + math.exp(-1.0))
    assert second.expected == pytest.approx(p)
    assert ability.theta == pytest.approx(0.5 + (1 - p) / 1.05)
    assert stored.difficulty == pytest.approx(-0.5 - (1 - p) / 1.05)
    assert (ability.updates, stored.difficulty_updates) == (2, 2)
    assert ability.p_known == pytest.approx(reference_bkt(reference_bkt(0.2, True), True))
    # One ledger row per update, chained: each starts where the previous one left p(known).
    assert [(e.competency_id, e.correct) for e in ledger] == [(coaching.pk, True)] * 2
    assert [(e.p_known_before, e.p_known_after) for e in ledger] == [
        (0.2, first.p_known),
        (first.p_known, second.p_known),
    ]
    assert (first.p_known_before, second.p_known_before) == (0.2, first.p_known)


def test_it_records_an_answer_once_and_moves_nothing_the_second_time(org_a, org_b):
    coaching, delegation = make_competencies(org_a, ["Coaching", "Delegation"])
    [item] = make_items(org_a, coaching, [0.0])
    leo = make_member(org_a, "leo@a.example", is_learner=True)
    with tenant_context(org_a):
        source = answer(leo, item, "t1")
        adaptive.do_record_outcomes(leo, [coaching.pk, delegation.pk], item, True, source)
        with pytest.raises(IntegrityError):
            adaptive.do_record_outcomes(leo, [coaching.pk, delegation.pk], item, True, source)
        abilities = list(Ability.objects.values_list("updates", flat=True))
        rows = MasteryEvidence.objects.filter(source_id=source.id).count()
        stored = RetrievalItem.objects.get(pk=item.pk)
    assert abilities == [1, 1] and rows == 2
    assert stored.difficulty_updates == 1


def test_it_learns_nothing_about_a_learner_from_an_item_without_competency(org_a, org_b):
    [coaching] = make_competencies(org_a, ["Coaching"])
    [item] = make_items(org_a, coaching, [0.3])
    leo = make_member(org_a, "leo@a.example", is_learner=True)
    with tenant_context(org_a):
        source = answer(leo, item, "t1")
        assert adaptive.do_record_outcome(leo, None, item, correct=False, source=source) is None
        assert Ability.objects.count() == 0
        assert MasteryEvidence.objects.count() == 0
        assert RetrievalItem.objects.get(pk=item.pk).difficulty == 0.3
