"""The other apps' facts, read through their ``queries.py`` read contracts
(/work/notes/contracts.md). A source that is not installed yet reads as no facts, so the
impact roll-up runs from whatever exists and joins each source as it lands."""

from __future__ import annotations

from collections.abc import Sequence
from importlib import import_module
from typing import Any


def _contract(module: str, name: str) -> Any | None:
    try:
        return getattr(import_module(module), name)
    except (ImportError, AttributeError):
        return None


def benefit_claims(cohort_ids: Sequence[int]) -> list[Any]:
    """``projects.queries.benefit_claims_for_cohorts``: BenefitClaimFact rows."""
    read = _contract("projects.queries", "benefit_claims_for_cohorts")
    return list(read(cohort_ids)) if read is not None else []


def coaching_counts(cohort_ids: Sequence[int]) -> list[Any]:
    """``coaching.queries.coaching_counts``: CoachingCounts rows per cohort."""
    read = _contract("coaching.queries", "coaching_counts")
    return list(read(cohort_ids)) if read is not None else []


def competency_scores(cohort_ids: Sequence[int]) -> list[Any]:
    """``measurement.feedback.queries.competency_score_facts``: frozen 360 report scores."""
    read = _contract("measurement.feedback.queries", "competency_score_facts")
    return list(read(cohort_ids)) if read is not None else []


def observations(learner_ids: Sequence[int]) -> list[Any]:
    """``coaching.queries.observation_facts``: coach and peer observations."""
    read = _contract("coaching.queries", "observation_facts")
    return list(read(learner_ids)) if read is not None else []


def team_project_facts(cohort_ids: Sequence[int], start: Any, end: Any) -> list[Any]:
    """``projects.queries.team_project_facts``: milestones and stakeholder satisfaction per team."""
    read = _contract("projects.queries", "team_project_facts")
    return list(read(cohort_ids, start, end)) if read is not None else []
