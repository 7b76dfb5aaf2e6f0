"""Which steps apply to a learner: personalisation rules evaluated against their baseline.

Pure functions over plain values, shared by the learner's next step, the admin's rule preview
and the roll-ups, so all three always agree.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

# The two actions a rule can take (PersonalisationRule.Action takes these values and adds labels).
INCLUDE_IF_BELOW = "include_below"  # for learners who need it: kept when baseline < threshold
INCLUDE_IF_AT_LEAST = "include_at_least"  # a stretch step: kept when baseline >= threshold

# Where a rule reads the learner's baseline (PersonalisationRule.Source adds labels): their own
# self-assessment, or the others' mean per competency of their latest closed 360 baseline.
SOURCE_SELF_ASSESSMENT = "self_assessment"
SOURCE_360 = "feedback_360"


@dataclass(frozen=True)
class Rule:
    competency_id: int
    action: str  # INCLUDE_IF_BELOW | INCLUDE_IF_AT_LEAST
    threshold: int
    source: str = SOURCE_SELF_ASSESSMENT


def rule_keeps(rule: Rule, rating: float | None) -> bool:
    """True when ``rule`` keeps its step for a learner rated ``rating`` on its competency.

    A learner with no rating keeps the step whatever the action: without evidence we neither
    skip learning they may need nor hold back a stretch they may be ready for.
    """
    if rating is None:
        return True
    if rule.action == INCLUDE_IF_BELOW:
        return rating < rule.threshold
    if rule.action == INCLUDE_IF_AT_LEAST:
        return rating >= rule.threshold
    raise ValueError(f"Unknown personalisation rule action: {rule.action!r}")


def step_applies(
    rules: Iterable[Rule],
    baseline: Mapping[int, int],
    others: Mapping[int, float] | None = None,
) -> bool:
    """True when every rule on the step keeps it for a learner with ``baseline``
    (competency id -> self-assessed rating) and ``others`` (competency id -> others' mean in the
    360 baseline), each rule reading its own source."""
    return all(rule_keeps(rule, rule_rating(rule, baseline, others)) for rule in rules)


def rule_rating(
    rule: Rule, baseline: Mapping[int, int], others: Mapping[int, float] | None = None
) -> float | None:
    """The learner's rating a rule reads, from the rule's source (None when there is none)."""
    source = (others or {}) if rule.source == SOURCE_360 else baseline
    return source.get(rule.competency_id)
