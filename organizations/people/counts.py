"""An organisation's members counted, exact at write time: ``PeopleCounts``, one row an
organisation.

On PostgreSQL the row is kept by statement triggers on memberships (migration
``organizations.0020``) in the transaction of every write that changes it, whatever code makes
it: an invitation, a person added by the admin or by a people import, a person switched off or
on, roles given or taken, a membership deleted (an erasure, an organisation removed), the demo's
and the benchmark's bulk inserts. Each change is ``n = n + delta`` on the organisation's locked
row (an upsert for the first member), so that two writes at once both count. A membership never
moves to another organisation (row-level security refuses the write). The nightly roll-up
repairs a row that drifted anyway (``repair``).

Elsewhere (SQLite, no triggers) the people page counts its matches, as it does on PostgreSQL for
the filters a kept figure does not answer (a search, a team, a function, the statuses that
depend on a person's password or invitation, any two filters together).

Readers:

- ``kept_column``: the figure of ``PeopleCounts`` that is the number of people matching some
  filters, or ``None`` when none is.
- ``KEPT_SQL`` (``{column}``, the organisation as parameter): that figure as a one-row
  subquery (zero for an organisation with no row: one that never had a member).
"""

from __future__ import annotations

import logging
from dataclasses import astuple, dataclass
from typing import TYPE_CHECKING

from organizations.models import Role
from organizations.raw_queries import counts_kept, fetch_rows, tenant_id

if TYPE_CHECKING:
    from organizations.people.queries import PeopleFilters

logger = logging.getLogger(__name__)

# The figures, in the table's order.
COUNTED = ("members", "deactivated", "admins", "sponsors", "coaches", "learners")
# The role filter's values and the figures that count them.
ROLE_COLUMNS = {
    Role.ADMIN: "admins",
    Role.SPONSOR: "sponsors",
    Role.COACH: "coaches",
    Role.LEARNER: "learners",
}
# The people page's status filter answered by a figure (the others need the person's
# password and invitations).
DEACTIVATED = "deactivated"


# Whether the counts are kept in ``PeopleCounts`` (PostgreSQL) rather than counted.
stored = counts_kept


@dataclass(frozen=True)
class Counted:
    """An organisation's members: every one, the deactivated ones, and each role's holders."""

    members: int = 0
    deactivated: int = 0
    admins: int = 0
    sponsors: int = 0
    coaches: int = 0
    learners: int = 0


def kept_column(filters: PeopleFilters) -> str | None:
    """The figure that counts the people matching ``filters`` exactly (no filter: every
    member; a role alone; the deactivated alone), or ``None`` (count them, or not stored)."""
    if not stored() or filters.q or filters.team or filters.function:
        return None
    # A role the page does not know filters nothing (``_people_where``), as no role.
    role = filters.role if filters.role in ROLE_COLUMNS else ""
    status = filters.status
    if not role and not status:
        return "members"
    if role and not status:
        return ROLE_COLUMNS[role]  # type: ignore[index]
    if status == DEACTIVATED and not role:
        return "deactivated"
    return None


# The figure ``{column}`` (one of ``COUNTED``) of the organisation (parameter): an aggregate,
# so a row of zero for an organisation without a row.
KEPT_SQL = """(SELECT COALESCE(MAX(k.{column}), 0) FROM organizations_peoplecounts k
                WHERE k.organization_id = %s)"""


# Every figure counted from the memberships now, with the organisation as parameter: the
# triggers' figures, for ``repair`` and the tests.
_LIVE_SQL = """SELECT COUNT(*) AS members,
    COUNT(CASE WHEN NOT m.is_active THEN 1 END) AS deactivated,
    COUNT(CASE WHEN m.is_admin THEN 1 END) AS admins,
    COUNT(CASE WHEN m.is_sponsor THEN 1 END) AS sponsors,
    COUNT(CASE WHEN m.is_coach THEN 1 END) AS coaches,
    COUNT(CASE WHEN m.is_learner THEN 1 END) AS learners
FROM organizations_membership m WHERE m.organization_id = %s"""


def live_counts() -> Counted:
    """The organisation's figures counted from its memberships now (1 query)."""
    (row,) = fetch_rows(_LIVE_SQL, [tenant_id()])
    return Counted(*row)


def kept_counts() -> Counted | None:
    """The organisation's kept figures (1 query), or ``None`` without a row."""
    rows = fetch_rows(
        f"SELECT {', '.join(COUNTED)} FROM organizations_peoplecounts"  # noqa: S608 - names
        " WHERE organization_id = %s",
        [tenant_id()],
    )
    return Counted(*rows[0]) if rows else None


# The row made when missing (an organisation from before the triggers, or a row deleted), then
# set to the memberships counted now when it differs.
_REPAIR = """INSERT INTO organizations_peoplecounts AS k
    (organization_id, members, deactivated, admins, sponsors, coaches, learners)
SELECT %s, l.* FROM ({live}) l
ON CONFLICT (organization_id) DO UPDATE SET
    members = EXCLUDED.members, deactivated = EXCLUDED.deactivated, admins = EXCLUDED.admins,
    sponsors = EXCLUDED.sponsors, coaches = EXCLUDED.coaches, learners = EXCLUDED.learners
WHERE (k.members, k.deactivated, k.admins, k.sponsors, k.coaches, k.learners)
    IS DISTINCT FROM (EXCLUDED.members, EXCLUDED.deactivated, EXCLUDED.admins,
                      EXCLUDED.sponsors, EXCLUDED.coaches, EXCLUDED.learners)
RETURNING k.members, k.deactivated, k.admins, k.sponsors, k.coaches, k.learners"""


def repair() -> Counted | None:
    """Set the organisation's row to its memberships counted now (1 statement), in case it
    drifted (a write with the triggers off, a restore) or is missing; returns the figures
    when the row was wrong or missing, logged as a warning. The nightly roll-up runs it;
    nothing on SQLite."""
    if not stored():
        return None
    org_id = tenant_id()
    rows = fetch_rows(_REPAIR.format(live=_LIVE_SQL), [org_id, org_id])
    if not rows:
        return None
    repaired = Counted(*rows[0])
    logger.warning("people counts repaired for org %s: %s", org_id, astuple(repaired))
    return repaired
