"""Each team's active members counted, exact at write time: ``TeamCounts``, one row a team.

On PostgreSQL the rows are kept by statement triggers on teams and memberships (migration
``organizations.0021``) in the transaction of every write that changes them, whatever code
makes it: a person added with a team, moved to another team or to none (the person's form, a
people import), switched off or on, a membership deleted (an organisation removed), a team
deleted (its members' team set to none), a new team, the demo's and the benchmark's bulk
inserts. Each change is ``n = n + delta`` on the team's locked row, so that two writes at once
both count. The nightly roll-up repairs a row that drifted anyway (``repair``).

Elsewhere (SQLite, no triggers) the teams page counts each team's active members.

Readers: ``active_members_sql``, a subquery of the teams page giving the active members of the
team ``p`` of its outer query; ``active_members``, the same figure as an expression on a query
of teams (the teams export and the teams API).
"""

from __future__ import annotations

import logging

from django.db import connection
from django.db.models import Count, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.expressions import Expression
from django.db.models.functions import Coalesce

from organizations.models import TeamCounts
from organizations.raw_queries import counts_kept, fetch_rows, tenant_id

logger = logging.getLogger(__name__)


# Whether the counts are kept in ``TeamCounts`` (PostgreSQL) rather than counted.
stored = counts_kept


# The team ``p``'s active members, with the organisation as parameter. Kept: one index probe
# (an aggregate, so zero for a team without a row). Counted: every active membership of the
# team (the ``membership_org_team_active`` index).
_STORED_ACTIVE = """(SELECT COALESCE(MAX(k.active), 0) FROM organizations_teamcounts k
            WHERE k.organization_id = %s AND k.team_id = p.id)"""
_LIVE_ACTIVE = """(SELECT COUNT(*) FROM organizations_membership m
            WHERE m.organization_id = %s AND m.team_id = p.id AND m.is_active)"""


def active_members_sql() -> str:
    """The subquery of the team ``p``'s active members (the organisation a parameter)."""
    return _STORED_ACTIVE if stored() else _LIVE_ACTIVE


def active_members() -> Expression:
    """Each team's active members, to annotate a query of teams with: the team's kept row
    (one index probe a team; zero for a team without a row) or, where counts are not kept,
    its active memberships counted (a join and a GROUP BY over the organisation's members)."""
    if stored():
        kept = TeamCounts.objects.filter(team_id=OuterRef("pk")).values("active")[:1]
        return Coalesce(Subquery(kept, output_field=IntegerField()), Value(0))
    return Count("members", filter=Q(members__is_active=True))


# Every team's active members counted from the memberships, with the organisation as
# parameter: the triggers' figure, for ``repair`` and the tests.
_LIVE_SQL = """SELECT m.team_id, COUNT(*) AS active
FROM organizations_membership m
WHERE m.organization_id = %s AND m.is_active AND m.team_id IS NOT NULL
GROUP BY m.team_id"""


def live_team_counts() -> dict[int, int]:
    """Every team of the organisation with active members, and how many, counted from the
    memberships now (1 query)."""
    return dict(fetch_rows(_LIVE_SQL, [tenant_id()]))


def kept_team_counts() -> dict[int, int]:
    """Every team's kept figure, zeros included (1 query)."""
    return dict(
        fetch_rows(
            "SELECT team_id, active FROM organizations_teamcounts WHERE organization_id = %s",
            [tenant_id()],
        )
    )


# Rows missing (a team from before the triggers, or written with them switched off) added,
# then every row whose figure differs from its team's active members set to it.
_REPAIR_MISSING = """INSERT INTO organizations_teamcounts (organization_id, team_id, active)
SELECT t.organization_id, t.id, 0 FROM organizations_team t
WHERE t.organization_id = %s AND NOT EXISTS (
    SELECT 1 FROM organizations_teamcounts k WHERE k.organization_id = %s AND k.team_id = t.id)
ON CONFLICT DO NOTHING"""
_REPAIR = f"""UPDATE organizations_teamcounts k SET active = COALESCE(l.active, 0)
FROM organizations_teamcounts k2 LEFT JOIN ({_LIVE_SQL}) l ON l.team_id = k2.team_id
WHERE k.organization_id = %s AND k2.id = k.id AND k.active <> COALESCE(l.active, 0)
RETURNING k.team_id"""  # noqa: S608 - the constant above


def repair() -> list[int]:
    """Set every team's row of the organisation to its active members counted now
    (2 statements), in case one drifted (a write with the triggers off, a restore) or is
    missing; returns the teams whose row was wrong, logged as a warning. The nightly roll-up
    runs it; nothing on SQLite."""
    if not stored():
        return []
    org_id = tenant_id()
    with connection.cursor() as cursor:
        cursor.execute(_REPAIR_MISSING, [org_id, org_id])
        cursor.execute(_REPAIR, [org_id, org_id])
        repaired = sorted(row[0] for row in cursor.fetchall())
    if repaired:
        logger.warning("team counts repaired for org %s: teams %s", org_id, repaired)
    return repaired
