"""Adaptive practice: Elo ability/difficulty and Bayesian Knowledge Tracing (MEASUREMENT.md).

Elo per learner x competency (theta) and per item or scenario (difficulty b):
``P = 1 / (1 + e^-(theta - b))``, ``theta += K (c - P)``, ``b -= K (c - P)``,
``K = 1 / (1 + 0.05 n)`` with n the number of earlier updates of that side.
The next item is picked near ``b = theta - 1.7`` (about 85% expected success).

BKT per learner x competency: guess .2, slip .1, learn .1; mastered at p(known) >= .95.
Every BKT update writes one ``MasteryEvidence`` row in the same transaction: the ledger the
growth page counts, so its counts are always the updates behind each estimate.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from organizations.models import Membership
from pathways.models import Ability, MasteryEvidence, RetrievalItem, Scenario

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
    p_known_before: float


@dataclass(frozen=True)
class AnswerSource:
    """The stored answer an update comes from: a review log, the "answered" activity event of
    a practice question or a scenario decision (``MasteryEvidence.Source``), and its time."""

    kind: str
    id: int
    answered_at: dt.datetime


def do_record_outcome(
    learner: Membership,
    competency_id: int | None,
    target: RetrievalItem | Scenario,
    correct: bool,
    source: AnswerSource,
) -> Outcome | None:
    """One answer that tells us about one competency (see ``do_record_outcomes``). Returns None
    when the answer concerns no competency (nothing to learn about the learner)."""
    if competency_id is None:
        return None
    return do_record_outcomes(learner, [competency_id], target, correct, source)[0]


def _queue_growth(learner_id: int) -> None:
    """The learner's mastery moved: their growth roll-up, recorded with the answer."""
    from measurement.growth.services import queue_growth_rollup

    queue_growth_rollup([learner_id])


def do_record_outcomes(
    learner: Membership,
    competency_ids: Sequence[int],
    target: RetrievalItem | Scenario,
    correct: bool,
    source: AnswerSource,
) -> list[Outcome]:
    """Update the learner's ability and p(known) on each competency an answer is evidence of,
    and the item's (or scenario's) difficulty once, and write one ``MasteryEvidence`` row per
    competency for ``source``. Returns one outcome per competency, in competency-id order; an
    empty list when the answer concerns no competency.

    Each ability is compared with the target's difficulty before this answer. The answer is one
    event for the target, so its difficulty moves once, by the mean surprise over the abilities
    (with a single competency this is plain Elo). Locks the learner's ability rows in
    primary-key order, then the target row, so concurrent answers do not lose updates.
    ``source`` must be stored already; recording it a second time raises IntegrityError (the
    ledger's unique constraint) and, as it runs in one transaction, moves no estimate.
    """
    wanted = sorted(set(competency_ids))
    if not wanted:
        return []
    with transaction.atomic():
        for competency_id in wanted:
            Ability.objects.get_or_create(
                learner=learner, competency_id=competency_id, defaults={"p_known": BKT_PRIOR}
            )
        abilities = list(
            Ability.objects.select_for_update()
            .filter(learner=learner, competency_id__in=wanted)
            .order_by("pk")
        )
        model = type(target)
        locked = model.objects.select_for_update().get(pk=target.pk)
        now = timezone.now()
        # Per competency: the updated ability, the expected success and p(known) before.
        moved: dict[int, tuple[Ability, float, float]] = {}
        evidence: list[MasteryEvidence] = []
        surprise = 0.0
        for ability in abilities:
            before = ability.p_known
            expected = expected_success(ability.theta, locked.difficulty)
            surprise += (1.0 if correct else 0.0) - expected
            ability.theta, _b = elo_update(
                ability.theta,
                ability.updates,
                locked.difficulty,
                locked.difficulty_updates,
                correct,
            )
            ability.updates += 1
            ability.p_known = bkt_update(ability.p_known, correct)
            ability.updated_at = now
            ability.save(update_fields=["theta", "updates", "p_known", "updated_at"])
            moved[ability.competency_id] = (ability, expected, before)
            evidence.append(
                MasteryEvidence(
                    organization_id=learner.organization_id,
                    learner=learner,
                    competency_id=ability.competency_id,
                    source_kind=source.kind,
                    source_id=source.id,
                    correct=correct,
                    p_known_before=before,
                    p_known_after=ability.p_known,
                    answered_at=source.answered_at,
                    created_at=now,
                )
            )
        # One row per competency, written with the updates: the growth page counts these.
        MasteryEvidence.objects.bulk_create(evidence)
        difficulty = locked.difficulty - k_factor(locked.difficulty_updates) * surprise / len(
            abilities
        )
        model.objects.filter(pk=locked.pk).update(
            difficulty=difficulty, difficulty_updates=locked.difficulty_updates + 1
        )
        target.difficulty = difficulty
        target.difficulty_updates = locked.difficulty_updates + 1
        _queue_growth(learner.pk)
    return [
        Outcome(
            theta=ability.theta,
            difficulty=difficulty,
            p_known=ability.p_known,
            expected=expected,
            p_known_before=before,
        )
        for ability, expected, before in (moved[cid] for cid in wanted)
    ]
