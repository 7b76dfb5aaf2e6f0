"""Each cohort's enrolments counted, exact at write time: ``CohortCounts``, one row a cohort.

On PostgreSQL the rows are kept by statement triggers (migration ``pathways.0027``) in the
transaction of every write that changes them, whatever code makes it: an enrolment, a bulk
enrolment, a withdrawal or restoration, a completion, a person switched off or on (a form or a
people import), an enrolment or a person deleted (an erasure), a new cohort, the demo's bulk
inserts. Each change is ``n = n + delta`` on the cohort's locked row, so that two enrolments at
once both count. The nightly roll-up repairs a row that drifted anyway (``repair``).

Elsewhere (SQLite, no triggers) the same figures are counted from the enrolments.

Readers:

- ``HEADER_COUNTS_SQL`` with ``header_counts_params``: a one-row subquery of the cohort page's
  header, ``(enrolments, current_, current_inactive)`` of one cohort.
- ``CURRENT_ENROLMENTS_SQL`` (``{cohorts}``: a list of cohort ids or a subquery): the current
  (not withdrawn) enrolments of several cohorts in one number, what coach home counts.
- ``cohort_counts``: the figures of some cohorts, as ``Counted``.
- ``COACH_LEARNERS_SQL``: a coach's coachees, each person once however many of the coach's
  cohorts they are in (``CoachCounts``, kept by the triggers of migration ``pathways.0029``,
  which count a coach's people again on every change that may move them; counted from the
  enrolments elsewhere: ``live_coach_learners``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import connection

from organizations.raw_queries import counts_kept, fetch_rows, tenant_id
from pathways.models import Enrollment

logger = logging.getLogger(__name__)

WITHDRAWN = Enrollment.Status.WITHDRAWN


# Whether the counts are kept in ``CohortCounts`` (PostgreSQL) rather than counted.
stored = counts_kept


@dataclass(frozen=True)
class Counted:
    """A cohort's enrolments: every one, the withdrawn ones, and the current (not withdrawn)
    ones of people deactivated since."""

    enrolments: int
    withdrawn: int
    inactive: int

    @property
    def current(self) -> int:
        """Enrolments not withdrawn (deactivated people's included)."""
        return self.enrolments - self.withdrawn

    @property
    def active(self) -> int:
        """Enrolments not withdrawn, of people still active."""
        return self.current - self.inactive


# Every cohort's figures counted from its enrolments, with the organisation as parameters: the
# triggers' figures, for SQLite and for ``repair``. Deactivated people found from the few of
# them (the partial index ``membership_inactive``).
_LIVE_SQL = """SELECT e.cohort_id, COUNT(*) AS enrolments,
    COUNT(CASE WHEN e.status = %s THEN 1 END) AS withdrawn,
    COUNT(CASE WHEN e.status <> %s AND e.learner_id IN (
        SELECT m.id FROM organizations_membership m
        WHERE m.organization_id = %s AND NOT m.is_active) THEN 1 END) AS inactive
FROM pathways_enrollment e WHERE e.organization_id = %s{where}
GROUP BY e.cohort_id"""


def _live_params(org_id: int) -> list[Any]:
    return [WITHDRAWN, WITHDRAWN, org_id, org_id]


# The page's header: one row of (enrolments, current_, current_inactive) for one cohort (an
# aggregate, so a row of zeros for a cohort without enrolments or outside the organisation).
_STORED_HEADER = """SELECT COALESCE(MAX(k.enrolments), 0) AS enrolments,
        COALESCE(MAX(k.enrolments - k.withdrawn), 0) AS current_,
        COALESCE(MAX(k.inactive), 0) AS current_inactive
    FROM pathways_cohortcounts k WHERE k.organization_id = %s AND k.cohort_id = %s"""
_LIVE_HEADER = """SELECT COUNT(*) AS enrolments,
        COUNT(CASE WHEN e.status <> %s THEN 1 END) AS current_,
        COUNT(CASE WHEN e.status <> %s AND e.learner_id IN (
            SELECT m.id FROM organizations_membership m
            WHERE m.organization_id = %s AND NOT m.is_active) THEN 1 END) AS current_inactive
    FROM pathways_enrollment e WHERE e.organization_id = %s AND e.cohort_id = %s"""


def header_counts_sql() -> str:
    """The cohort page header's counts subquery (``header_counts_params``)."""
    return _STORED_HEADER if stored() else _LIVE_HEADER


def header_counts_params(org_id: int, cohort_id: int) -> list[Any]:
    if stored():
        return [org_id, cohort_id]
    return [WITHDRAWN, WITHDRAWN, org_id, org_id, cohort_id]


# A cohort's current enrolments of people still active (``Counted.active``), as a subquery of
# the cohort column ``{cohort}`` of an outer query: the kept row (one index probe) with the
# organisation as parameter, or counted from the enrolments (less those of deactivated people,
# found from the few of them by the partial index ``membership_inactive``) with the
# organisation three times. Programme health reads it for every cohort.
_STORED_ACTIVE = """(SELECT COALESCE(MAX(k.enrolments - k.withdrawn - k.inactive), 0)
        FROM pathways_cohortcounts k WHERE k.organization_id = %s AND k.cohort_id = {cohort})"""
_LIVE_ACTIVE = """((SELECT count(*) FROM pathways_enrollment e
         WHERE e.organization_id = %s AND e.cohort_id = {cohort} AND e.status <> 'withdrawn')
       - (SELECT count(*) FROM pathways_enrollment e
           WHERE e.organization_id = %s AND e.cohort_id = {cohort} AND e.status <> 'withdrawn'
             AND e.learner_id IN (SELECT m.id FROM organizations_membership m
                                   WHERE m.organization_id = %s AND NOT m.is_active)))"""


def active_learners_sql(cohort: str, org_id: int) -> tuple[str, list[Any]]:
    """The subquery of the current enrolments of active people of the cohort whose id is the
    column ``cohort`` of the outer query, and its parameters."""
    if stored():
        return _STORED_ACTIVE.format(cohort=cohort), [org_id]
    return _LIVE_ACTIVE.format(cohort=cohort), [org_id, org_id, org_id]


# Coach home's current enrolments of its cohorts (``{cohorts}``), with the organisation as
# parameter: one index probe a cohort, whatever their learners.
CURRENT_ENROLMENTS_SQL = """SELECT COALESCE(SUM(k.enrolments - k.withdrawn), 0)
FROM pathways_cohortcounts k WHERE k.organization_id = %s AND k.cohort_id IN ({cohorts})"""


def cohort_counts(cohort_ids: Iterable[int]) -> dict[int, Counted]:
    """The figures of the cohorts ``cohort_ids`` of the organisation (1 query); a cohort with
    no enrolments, or not in the organisation, is left out."""
    ids = sorted(set(cohort_ids))
    if not ids:
        return {}
    org_id = tenant_id()
    marks = ", ".join(["%s"] * len(ids))
    if stored():
        rows = fetch_rows(
            "SELECT k.cohort_id, k.enrolments, k.withdrawn, k.inactive"  # noqa: S608 - marks
            f" FROM pathways_cohortcounts k WHERE k.organization_id = %s AND k.cohort_id IN ({marks})",
            [org_id, *ids],
        )
    else:
        rows = fetch_rows(
            _LIVE_SQL.format(where=f" AND e.cohort_id IN ({marks})"), [*_live_params(org_id), *ids]
        )
    return {
        cohort_id: Counted(enrolments, withdrawn, inactive)
        for cohort_id, enrolments, withdrawn, inactive in rows
        if enrolments
    }


def live_cohort_counts() -> dict[int, Counted]:
    """Every cohort of the organisation with enrolments, counted from them now (1 query)."""
    org_id = tenant_id()
    rows = fetch_rows(_LIVE_SQL.format(where=""), _live_params(org_id))
    return {pk: Counted(n, withdrawn, inactive) for pk, n, withdrawn, inactive in rows}


# Rows missing (a cohort from before the triggers, or written with them switched off) added,
# then every row whose figures differ from its cohort's enrolments set to them.
_REPAIR_MISSING = """INSERT INTO pathways_cohortcounts
    (organization_id, cohort_id, enrolments, withdrawn, inactive)
SELECT c.organization_id, c.id, 0, 0, 0 FROM pathways_cohort c
WHERE c.organization_id = %s AND NOT EXISTS (
    SELECT 1 FROM pathways_cohortcounts k WHERE k.organization_id = %s AND k.cohort_id = c.id)
ON CONFLICT DO NOTHING"""
_REPAIR = """UPDATE pathways_cohortcounts k
SET enrolments = COALESCE(l.enrolments, 0), withdrawn = COALESCE(l.withdrawn, 0),
    inactive = COALESCE(l.inactive, 0)
FROM pathways_cohortcounts k2 LEFT JOIN ({live}) l ON l.cohort_id = k2.cohort_id
WHERE k.organization_id = %s AND k2.id = k.id
    AND (k.enrolments, k.withdrawn, k.inactive)
        IS DISTINCT FROM (COALESCE(l.enrolments, 0), COALESCE(l.withdrawn, 0),
                          COALESCE(l.inactive, 0))
RETURNING k.cohort_id"""


def repair() -> list[int]:
    """Set every cohort's row of the organisation to its enrolments counted now (3 statements),
    in case one drifted (a write with the triggers off, a restore); returns the cohorts whose
    row was wrong, logged as a warning. The nightly roll-up runs it; nothing on SQLite."""
    if not stored():
        return []
    org_id = tenant_id()
    with connection.cursor() as cursor:
        cursor.execute(_REPAIR_MISSING, [org_id, org_id])
        cursor.execute(
            _REPAIR.format(live=_LIVE_SQL.format(where="")), [*_live_params(org_id), org_id]
        )
        repaired = sorted(row[0] for row in cursor.fetchall())
    if repaired:
        logger.warning("cohort counts repaired for org %s: cohorts %s", org_id, repaired)
    return repaired


# A coach's coachees, with the organisation and the coach as parameters: the kept row (one
# index probe), 0 for a coach without one (no cohort yet).
COACH_LEARNERS_SQL = """SELECT COALESCE(MAX(kc.learners), 0) FROM pathways_coachcounts kc
    WHERE kc.organization_id = %s AND kc.coach_id = %s"""

# Every coach of the organisation's people counted from the enrolments of their cohorts, with
# the organisation as parameters: the triggers' figure, for ``repair``.
_LIVE_COACHES_SQL = """SELECT cc.membership_id, COUNT(DISTINCT e.learner_id) AS learners
FROM pathways_cohortcoach cc
LEFT JOIN pathways_enrollment e ON e.organization_id = cc.organization_id
    AND e.cohort_id = cc.cohort_id AND NOT (e.status = %s)
WHERE cc.organization_id = %s
GROUP BY cc.membership_id"""


def live_coach_learners() -> dict[int, int]:
    """Every coach of the organisation (assigned a cohort) and their coachees, counted from
    the enrolments now (1 query)."""
    return dict(fetch_rows(_LIVE_COACHES_SQL, [WITHDRAWN, tenant_id()]))


# Rows missing added for every coach assigned a cohort, then every row whose figure differs
# from the enrolments' set to it (a coach taken off every cohort counts none).
_REPAIR_MISSING_COACHES = """INSERT INTO pathways_coachcounts (organization_id, coach_id, learners)
SELECT DISTINCT cc.organization_id, cc.membership_id, 0 FROM pathways_cohortcoach cc
WHERE cc.organization_id = %s
ON CONFLICT (organization_id, coach_id) DO NOTHING"""
_REPAIR_COACHES = f"""UPDATE pathways_coachcounts k SET learners = COALESCE(l.learners, 0)
FROM pathways_coachcounts k2 LEFT JOIN ({_LIVE_COACHES_SQL}) l ON l.membership_id = k2.coach_id
WHERE k.organization_id = %s AND k2.id = k.id AND k.learners <> COALESCE(l.learners, 0)
RETURNING k.coach_id"""  # noqa: S608 - fixed text


def repair_coaches() -> list[int]:
    """Set every coach's row of the organisation to their coachees counted now (2
    statements), in case one drifted (a write with the triggers off, a restore); returns the
    coaches whose row was wrong, logged as a warning. The nightly roll-up runs it; nothing
    on SQLite."""
    if not stored():
        return []
    org_id = tenant_id()
    with connection.cursor() as cursor:
        cursor.execute(_REPAIR_MISSING_COACHES, [org_id])
        cursor.execute(_REPAIR_COACHES, [WITHDRAWN, org_id, org_id])
        repaired = sorted(row[0] for row in cursor.fetchall())
    if repaired:
        logger.warning("coach counts repaired for org %s: coaches %s", org_id, repaired)
    return repaired
