"""Adaptive practice: Elo ability/difficulty and Bayesian Knowledge Tracing (MEASUREMENT.md).

Elo per learner x competency (theta) and per item or scenario (difficulty b):
``P = 1 / (1 + e^-(theta - b))``, ``theta += K (c - P)``, ``b -= K (c - P)``,
``K = 1 / (1 + 0.05 n)`` with n the number of earlier updates of that side.
The next item is picked near ``b = theta - 1.7`` (about 85% expected success).

BKT per learner x competency: guess .2, slip .1, learn .1; mastered at p(known) >= .95.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from organizations.models import Membership
from pathways.models import Ability, RetrievalItem, Scenario

TARGET_SUCCESS = 0.85
TARGET_OFFSET = math.log(TARGET_SUCCESS / (1 - TARGET_SUCCESS))  # ~1.73 logits
BKT_GUESS, BKT_SLIP, BKT_LEARN, BKT_PRIOR = 0.2, 0.1, 0.1, 0.2
MASTERED_AT = 0.95


def expected_success(theta: float, difficulty: float) -> float:
    return 1.0 / (1.0 + math.exp(-(theta - difficulty)))


def k_factor(updates: int) -> float:
    return 1.0 / (1.0 + 0.05 * updates)


def elo_update(
    theta: float, theta_updates: int, difficulty: float, difficulty_updates: int, correct: bool
) -> tuple[float, float]:
    """Return the new (theta, difficulty) after one answer."""
    surprise = (1.0 if correct else 0.0) - expected_success(theta, difficulty)
    return (
        theta + k_factor(theta_updates) * surprise,
        difficulty - k_factor(difficulty_updates) * surprise,
    )


def bkt_update(p_known: float, correct: bool) -> float:
    """Posterior p(known) after one observation, then the chance to learn from it."""
    if correct:
        seen = p_known * (1 - BKT_SLIP)
        posterior = seen / (seen + (1 - p_known) * BKT_GUESS)
    else:
        seen = p_known * BKT_SLIP
        posterior = seen / (seen + (1 - p_known) * (1 - BKT_GUESS))
    return posterior + (1 - posterior) * BKT_LEARN


def target_difficulty(theta: float) -> float:
    """The item difficulty that gives about TARGET_SUCCESS expected success."""
    return theta - TARGET_OFFSET


@dataclass(frozen=True)
class Outcome:
    theta: float
    difficulty: float
    p_known: float
    expected: float


def do_record_outcome(
    learner: Membership,
    competency_id: int | None,
    target: RetrievalItem | Scenario,
    correct: bool,
) -> Outcome | None:
    """Update the learner's ability and the item's (or scenario's) difficulty from one answer.

    Locks the ability row and the target row (primary-key order: ability first, it is created
    or fetched per learner) so concurrent answers do not lose updates. Returns None when the
    answer concerns no competency (nothing to learn about the learner).
    """
    if competency_id is None:
        return None
    with transaction.atomic():
        ability, _ = Ability.objects.select_for_update().get_or_create(
            learner=learner, competency_id=competency_id, defaults={"p_known": BKT_PRIOR}
        )
        model = type(target)
        locked = model.objects.select_for_update().get(pk=target.pk)
        expected = expected_success(ability.theta, locked.difficulty)
        theta, difficulty = elo_update(
            ability.theta, ability.updates, locked.difficulty, locked.difficulty_updates, correct
        )
        ability.theta = theta
        ability.updates += 1
        ability.p_known = bkt_update(ability.p_known, correct)
        ability.updated_at = timezone.now()
        ability.save(update_fields=["theta", "updates", "p_known", "updated_at"])
        model.objects.filter(pk=locked.pk).update(
            difficulty=difficulty, difficulty_updates=locked.difficulty_updates + 1
        )
        target.difficulty = difficulty
        target.difficulty_updates = locked.difficulty_updates + 1
    return Outcome(theta=theta, difficulty=difficulty, p_known=ability.p_known, expected=expected)
