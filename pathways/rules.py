"""Which steps apply to a learner: personalisation rules evaluated against their baseline.

Pure functions over plain values, shared by the learner's next step, the admin's rule preview
and the roll-ups, so all three always agree.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Rule:
    competency_id: int
    action: str  # "include_below" | "skip_at_least" (PersonalisationRule.Action)
    threshold: int


def step_applies(rules: Iterable[Rule], baseline: Mapping[int, int]) -> bool:
    """True when every rule on the step keeps it for a learner with ``baseline``
    (competency id -> rating). A rule on a competency the learner has no baseline for keeps the
    step: without evidence we do not skip learning."""
    for rule in rules:
        rating = baseline.get(rule.competency_id)
        if rating is None:
            continue
        if rule.action == "include_below" and rating >= rule.threshold:
            return False
        if rule.action == "skip_at_least" and rating >= rule.threshold:
            return False
    return True
