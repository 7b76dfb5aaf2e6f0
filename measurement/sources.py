"""The other apps' facts, read only through their ``queries.py`` read contracts
(/work/notes/contracts.md): projects (benefit claims, milestones and stakeholder ratings),
coaching (session counts, observations, goal counts) and 360 feedback (frozen competency scores,
closed pulses).

One module, so the impact roll-up names each source once and tests can stand a source in.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

from coaching.queries import CoachingCounts, GoalFact, ObservationFact, TeamAttendanceMonth
from coaching.queries import coaching_counts as _coaching_counts
from coaching.queries import goal_facts as _goal_facts
from coaching.queries import observation_facts as _observation_facts
from coaching.queries import team_attendance_months as _team_attendance_months
from measurement.feedback.queries import (
    CompetencyScoreFact,
    PulseScoreFact,
    competency_score_facts,
)
from measurement.feedback.queries import learner_score_facts as _learner_score_facts
from measurement.feedback.queries import pulse_score_facts as _pulse_score_facts
from projects.queries import (
    BenefitClaimFact,
    CohortProjectFacts,
    TeamProjectMonth,
    benefit_claims_for_cohorts,
)
from projects.queries import cohort_project_facts as _cohort_project_facts
from projects.queries import team_project_months as _team_project_months


def benefit_claims(cohort_ids: Sequence[int]) -> list[BenefitClaimFact]:
    return benefit_claims_for_cohorts(cohort_ids)


def coaching_counts(cohort_ids: Sequence[int]) -> list[CoachingCounts]:
    return _coaching_counts(cohort_ids)


def competency_scores(cohort_ids: Sequence[int]) -> list[CompetencyScoreFact]:
    return competency_score_facts(cohort_ids)


def observations(learner_ids: Sequence[int]) -> list[ObservationFact]:
    return _observation_facts(learner_ids)


def cohort_project_facts(
    windows: Mapping[int, tuple[dt.date, dt.date]],
) -> list[CohortProjectFacts]:
    return _cohort_project_facts(windows)


def team_project_months(
    start: dt.date, end: dt.date, team_ids: Sequence[int] | None = None
) -> list[TeamProjectMonth]:
    return _team_project_months(start, end, team_ids)


def team_attendance_months(
    start: dt.date, end: dt.date, team_ids: Sequence[int] | None = None
) -> list[TeamAttendanceMonth]:
    return _team_attendance_months(start, end, team_ids)


def learner_competency_scores(learner_ids: Sequence[int]) -> list[CompetencyScoreFact]:
    return _learner_score_facts(learner_ids)


def pulse_scores(learner_ids: Sequence[int], today: dt.date, org: object) -> list[PulseScoreFact]:
    return _pulse_score_facts(learner_ids, today, org)


def goals(learner_ids: Sequence[int]) -> list[GoalFact]:
    return _goal_facts(learner_ids)
