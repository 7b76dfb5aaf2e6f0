"""Each pathway version's active enrolments counted, exact at write time: ``VersionCounts``,
one row a version.

On PostgreSQL the rows are kept by statement triggers (migration ``pathways.0028``) in the
transaction of every write that changes them, whatever code makes it: an enrolment, a bulk
enrolment, a withdrawal or restoration, a completion or its undoing, a publication that moves
the active learners to the new version, an enrolment or a person deleted, a new version, the
demo's bulk inserts. Each change is ``n = n + delta`` on the version's locked row, so that two
enrolments at once both count. The nightly roll-up repairs a row that drifted anyway
(``repair``).

Elsewhere (SQLite, no triggers) the same figure is counted from the enrolments.

Reader: ``active_learners_sql``, a subquery of the pathways list giving the active enrolments
of the version ``v`` of its outer query.
"""

from __future__ import annotations

import logging

from django.db import connection

from organizations.raw_queries import counts_kept, fetch_rows, tenant_id

logger = logging.getLogger(__name__)


# Whether the counts are kept in ``VersionCounts`` (PostgreSQL) rather than counted.
stored = counts_kept


# The version ``v``'s active enrolments, with the organisation as parameter. Kept: one index
# probe (an aggregate, so zero for a version without a row). Counted: every active enrolment
# of the version. The status (``Enrollment.Status.ACTIVE``) is written into the texts, as in
# the triggers: it never changes.
_STORED_ACTIVE = """(SELECT COALESCE(MAX(k.active), 0) FROM pathways_versioncounts k
   WHERE k.organization_id = %s AND k.version_id = v.id)"""
_LIVE_ACTIVE = """(SELECT COUNT(*) FROM pathways_enrollment e
   WHERE e.organization_id = %s AND e.version_id = v.id AND e.status = 'active')"""


def active_learners_sql() -> str:
    """The subquery of the version ``v``'s active enrolments (the organisation a parameter)."""
    return _STORED_ACTIVE if stored() else _LIVE_ACTIVE


# Every version's active enrolments counted from them, with the organisation as parameter:
# the triggers' figure, for ``repair`` and the tests.
_LIVE_SQL = """SELECT e.version_id, COUNT(*) AS active
FROM pathways_enrollment e WHERE e.organization_id = %s AND e.status = 'active'
GROUP BY e.version_id"""


def live_version_counts() -> dict[int, int]:
    """Every version of the organisation with active enrolments, and how many, counted from
    them now (1 query)."""
    return dict(fetch_rows(_LIVE_SQL, [tenant_id()]))


# Rows missing (a version from before the triggers, or written with them switched off) added,
# then every row whose figure differs from its version's active enrolments set to it.
_REPAIR_MISSING = """INSERT INTO pathways_versioncounts (organization_id, version_id, active)
SELECT v.organization_id, v.id, 0 FROM pathways_pathwayversion v
WHERE v.organization_id = %s AND NOT EXISTS (
    SELECT 1 FROM pathways_versioncounts k WHERE k.organization_id = %s AND k.version_id = v.id)
ON CONFLICT DO NOTHING"""
_REPAIR = f"""UPDATE pathways_versioncounts k SET active = COALESCE(l.active, 0)
FROM pathways_versioncounts k2 LEFT JOIN ({_LIVE_SQL}) l ON l.version_id = k2.version_id
WHERE k.organization_id = %s AND k2.id = k.id AND k.active <> COALESCE(l.active, 0)
RETURNING k.version_id"""  # noqa: S608 - the constant above


def repair() -> list[int]:
    """Set every version's row of the organisation to its active enrolments counted now
    (2 statements), in case one drifted (a write with the triggers off, a restore); returns
    the versions whose row was wrong, logged as a warning. The nightly roll-up runs it;
    nothing on SQLite."""
    if not stored():
        return []
    org_id = tenant_id()
    with connection.cursor() as cursor:
        cursor.execute(_REPAIR_MISSING, [org_id, org_id])
        cursor.execute(_REPAIR, [org_id, org_id])
        repaired = sorted(row[0] for row in cursor.fetchall())
    if repaired:
        logger.warning("version counts repaired for org %s: versions %s", org_id, repaired)
    return repaired
