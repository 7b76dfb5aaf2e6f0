"""Roll-ups: recompute from facts, upsert keyed by (organisation, subject, period)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from measurement.models import (
    COMPLETION_UNITS,
    CohortProgressRollup,
    LearnerProgressRollup,
    TeamProgressRollup,
)
from organizations.models import Membership, Organization, Team
from organizations.outbox.delivery import debounce_window, derived_rows_only, queue_after_commit
from organizations.outbox.models import OutboxEntry
from organizations.relative_dates import org_today, zone_named
from organizations.tenancy import current_org
from pathways.models import Cohort, Enrollment
from pathways.queries import (
    enrollment_progress_ctes,
    enrollment_progress_params,
    progress_sql_for_vendor,
)

# Facts about one learner (or the whole organisation) that arrive within this window share one
# roll-up: one outbox row per learner and window (its dedupe key), run at the window's end.
ROLLUP_DEBOUNCE_SECONDS = 30
# A roll-up runs this long after its window ends, so a fact whose transaction found the window's
# row and committed just after the window closed is still seen by the roll-up.
ROLLUP_GRACE_SECONDS = 5
ROLLUP_HANDLER = "measurement.tasks.run_progress_rollup"


def period_for(org: Organization, now: dt.datetime | None = None) -> dt.date:
    """The roll-up period containing ``now``: the first day of the month in the org's zone."""
    local = timezone.localtime(now or timezone.now(), timezone=zone_named(org.time_zone))
    return local.date().replace(day=1)


def _pending_key(org_id: int, learner_id: int | None = None) -> str:
    """The outbox dedupe key prefix of a pending roll-up (the window number follows)."""
    if learner_id is None:
        return f"progress-rollup:{org_id}"
    return f"progress-rollup:{org_id}:{learner_id}"


def queue_progress_rollup(
    org_id: int, learner_id: int | None = None, now: dt.datetime | None = None
) -> None:
    """Record a progress roll-up in the outbox, in the caller's transaction (the fact's): one
    learner's (a fact about them changed), or the whole organisation's (``learner_id`` None: a
    cohort or pathway version changed). Must run inside ``tenant_context`` of ``org_id``.

    Only PostgreSQL is written here, never Redis or the broker: the fact commits whatever they
    do, and the row commits with the fact or not at all. Facts that arrive close together
    share one row (the dedupe key names the learner and the ``ROLLUP_DEBOUNCE_SECONDS``
    window), delivered at the window's end by a worker or, when the broker was unreachable,
    by the outbox sweep once it is back. Without a broker (tasks run eagerly, ``make run``) the
    roll-up runs once, after commit.
    """
    from organizations.outbox.delivery import record_debounced

    org = current_org()
    if org is None or org.pk != org_id:
        raise RuntimeError("queue_progress_rollup must run inside its organisation's context.")
    args = () if learner_id is None else (learner_id,)
    record_debounced(
        ROLLUP_HANDLER,
        *args,
        key=_pending_key(org_id, learner_id),
        seconds=ROLLUP_DEBOUNCE_SECONDS,
        grace=ROLLUP_GRACE_SECONDS,
        now=now,
    )


@dataclass(frozen=True)
class RollupResult:
    period: dt.date
    learners: int  # enrolment rows in the roll-up's scope after it ran
    teams: int  # team rows in its scope after it ran
    # Enrolment rows inserted or changed: unchanged rows are left as they are (one learner's
    # roll-up on SQLite, or of a learner counted in no team, rewrites their rows).
    written: int = 0


# --- Set-based progress roll-up --------------------------------------------------------------
#
# Per enrolment: one INSERT … SELECT … ON CONFLICT DO UPDATE over ``enrollment_progress_ctes``
# (the learner's own definition of progress, computed in the database), writing only the rows
# that are new or whose figures changed; then the rows in scope that no longer qualify (a
# withdrawn enrolment, a deactivated learner) are deleted. Per team: one upsert aggregating the
# learners' rows just written (per person: the mean of their enrolments; finished when every
# enrolment is done), then the team rows in scope that no learner row backs any more are
# deleted. Per cohort: the same, summing the learners' rows of the cohorts written or deleted
# (every cohort for the organisation's roll-up), so programme health reads one row a cohort.
# Every statement is in PostgreSQL's dialect, translated for SQLite.

# The WITH clause goes after INSERT: SQLite's driver reports the row count only of
# statements that begin with INSERT.
_LEARNER_INSERT = """
INSERT INTO {rollup} (organization_id, enrollment_id, learner_id, cohort_id, team_id, period,
                      steps_total, steps_done, steps_overdue, completion, computed_at)
"""
_ONLY_CHANGED = """WHERE r.id IS NULL OR r.learner_id <> p.learner_id
   OR r.cohort_id IS DISTINCT FROM p.cohort_id OR r.team_id IS DISTINCT FROM p.team_id
   OR r.steps_total <> p.steps_total OR r.steps_done <> p.steps_done
   OR r.steps_overdue <> p.steps_overdue OR r.completion <> p.completion
"""
_LEARNER_UPSERT = """
SELECT %s, p.enrollment_id, p.learner_id, p.cohort_id, p.team_id, %s, p.steps_total,
       p.steps_done, p.steps_overdue, p.completion, %s
FROM progress p
LEFT JOIN {rollup} r ON r.organization_id = %s AND r.enrollment_id = p.enrollment_id
     AND r.period = %s
{only_changed}ON CONFLICT (organization_id, enrollment_id, period) DO UPDATE
SET learner_id = excluded.learner_id, cohort_id = excluded.cohort_id, team_id = excluded.team_id,
    steps_total = excluded.steps_total, steps_done = excluded.steps_done,
    steps_overdue = excluded.steps_overdue, completion = excluded.completion,
    computed_at = excluded.computed_at
"""

_LEARNER_DELETE = """
DELETE FROM {rollup}
WHERE organization_id = %s AND period = %s {scope}
  AND NOT EXISTS (SELECT 1 FROM {enrollment} e JOIN {membership} m ON m.id = e.learner_id
                  WHERE e.id = {rollup}.enrollment_id AND m.is_active = %s AND e.status <> %s)
"""

# Team figures are per person (the minimum cell size counts people, and someone in two
# pathways must not weigh twice): a learner's completion is the mean over their enrolments;
# finished means all of them done. ``rows`` is the learner rows aggregated (``_TEAM_ROWS``, or
# ``_TEAM_ROWS_WRITTEN`` in the statement that writes the learner rows). The completions are
# summed as integers (``_UNITS``, ``TeamProgressRollup.completion_sum``) and the mean is that
# exact sum over the learners (``_MEAN``), so a team's row adjusted by one learner's old and
# new figures (``_TEAM_CHANGE``) is the row this aggregate gives.
_UNITS = f"CAST(SUM(CAST(ROUND(completion * {COMPLETION_UNITS}) AS BIGINT)) AS BIGINT) / COUNT(*)"
_MEAN = "CAST({total} AS DOUBLE PRECISION) / (CAST({learners} AS DOUBLE PRECISION) * {units})"

_TEAM_MEAN = _MEAN.format(
    total="CAST(SUM(l.units) AS BIGINT)", learners="COUNT(*)", units=COMPLETION_UNITS
)
_CHANGED_MEAN = _MEAN.format(
    total="(tr.completion_sum + c.units)",
    learners="(tr.learners + c.learners)",
    units=COMPLETION_UNITS,
)

_TEAM_UPSERT = """
INSERT INTO {team_rollup} (organization_id, team_id, period, learners, learners_finished,
                           completion_sum, mean_completion, computed_at)
SELECT %s, l.team_id, %s, COUNT(*), SUM(CASE WHEN l.lowest >= 1.0 THEN 1 ELSE 0 END),
       CAST(SUM(l.units) AS BIGINT), {team_mean}, %s
FROM (SELECT team_id, learner_id, {units} AS units, MIN(completion) AS lowest
      FROM {rows}
      GROUP BY team_id, learner_id) l
WHERE l.team_id IS NOT NULL
GROUP BY l.team_id
ON CONFLICT (organization_id, team_id, period) DO UPDATE
SET learners = excluded.learners, learners_finished = excluded.learners_finished,
    completion_sum = excluded.completion_sum, mean_completion = excluded.mean_completion,
    computed_at = excluded.computed_at
"""

_TEAM_ROWS = """{rollup}
      WHERE organization_id = %s AND period = %s AND team_id IS NOT NULL {teams}"""

# The teams' rows as the learner rows' upsert (``written``, in the same statement) leaves them:
# the learners' rows are their figures (``progress``: the rows written and those left as they
# were, equal to them), their earlier rows left out (a row that no longer qualifies is deleted
# after).
_TEAM_ROWS_WRITTEN = """(
        SELECT team_id, learner_id, completion FROM {rollup}
        WHERE organization_id = %s AND period = %s AND team_id IS NOT NULL {teams} {others}
        UNION ALL
        SELECT team_id, learner_id, completion FROM progress
        WHERE team_id IS NOT NULL {teams}) r"""

# One statement on PostgreSQL: the rows of some learners upserted (``learner_rollup_sql``'s
# statement as the data-modifying ``written``: only the rows that are new or whose figures
# changed), then their teams' rows written from them (``teams``: aggregated afresh,
# ``_TEAM_UPSERT``, or adjusted by the learners' change, ``_TEAM_CHANGE``). ``old`` is the
# learners' rows counted in a team before the statement and ``change`` the difference per team,
# learner by learner, between what ``progress`` (the learners' rows once written) and ``old``
# count (people, people finished, completion units), for the teams where it is not nothing: a
# roll-up that changes no figure writes no row. A team the roll-up did not lock whose row this
# changes is marked for a fresh aggregate (``flagged``: its ``completion_sum`` emptied).
# Returns the enrolments written with their cohort (kind 0), the team rows written with their
# learners (1), the locked teams with a change (2), the number of rows flagged (3) and every
# enrolment in progress of the learners, written or not (4). Every row is read in the snapshot
# the statement began with, taken after the teams were locked, so the later of two roll-ups for
# a team reads the earlier one's rows, and its ``old`` rows are those the team's row sums.
_LEARNER_AND_TEAM_UPSERT = """, old AS MATERIALIZED (
SELECT team_id, learner_id, completion FROM {rollup}
WHERE organization_id = %s AND period = %s AND team_id IS NOT NULL {scope}
), written AS (
{learners}RETURNING enrollment_id, cohort_id
), change AS (
SELECT team_id, SUM(sign) AS learners, SUM(sign * finished) AS finished,
       SUM(sign * units) AS units
FROM (SELECT team_id, 1 AS sign, CASE WHEN MIN(completion) >= 1.0 THEN 1 ELSE 0 END AS finished,
             {units} AS units
      FROM progress WHERE team_id IS NOT NULL GROUP BY team_id, learner_id
      UNION ALL
      SELECT team_id, -1, CASE WHEN MIN(completion) >= 1.0 THEN 1 ELSE 0 END, {units}
      FROM old GROUP BY team_id, learner_id) c
GROUP BY team_id
HAVING SUM(sign) <> 0 OR SUM(sign * finished) <> 0 OR SUM(sign * units) <> 0
), teams_written AS (
{teams}), flagged AS (
UPDATE {team_rollup} tr SET completion_sum = NULL
FROM change c
WHERE tr.organization_id = %s AND tr.period = %s AND tr.team_id = c.team_id
  AND tr.completion_sum IS NOT NULL {not_locked}
RETURNING tr.team_id
){queued}
SELECT 0, enrollment_id, cohort_id FROM written
UNION ALL
SELECT 1, team_id, learners FROM teams_written
UNION ALL
SELECT 2, team_id, NULL FROM change WHERE true {locked}
UNION ALL
SELECT 3, COUNT(*), NULL FROM flagged
UNION ALL
SELECT 4, enrollment_id, NULL FROM progress{queued_rows}
"""

# With a broker, the cohorts of the learner rows written have their roll-ups recorded by the
# statement that writes them (in ``_LEARNER_AND_TEAM_UPSERT``), as ``queue_cohort_rollups``
# records them: one outbox row per cohort, period and window (``record_debounced``), the
# window's row kept when it is there already (looked for first, so that no insert is tried,
# and no id drawn, for the window's later roll-ups); returns the rows recorded (kind 5), whose
# delivery is queued when the transaction commits.
_COHORTS_QUEUED = """, queued AS (
INSERT INTO {outbox} (organization_id, handler, args, dedupe_key, created_at, run_after,
                      attempts, last_error)
SELECT %s, %s, jsonb_build_array(w.cohort_id, CAST(%s AS TEXT)), w.dedupe_key, %s, %s, 0, ''
FROM (SELECT DISTINCT cohort_id,
             CAST(%s AS TEXT) || CAST(cohort_id AS TEXT) || CAST(%s AS TEXT) AS dedupe_key
      FROM written WHERE cohort_id IS NOT NULL) w
WHERE NOT EXISTS (SELECT 1 FROM {outbox} o
                  WHERE o.organization_id = %s AND o.dedupe_key = w.dedupe_key)
ORDER BY w.cohort_id
ON CONFLICT (organization_id, dedupe_key) WHERE NOT (dedupe_key = '') DO NOTHING
RETURNING id
)"""
_COHORTS_QUEUED_ROWS = """
UNION ALL
SELECT 5, id, NULL FROM queued"""

# The locked teams' rows adjusted by their learners' ``change`` (in ``_LEARNER_AND_TEAM_UPSERT``):
# what ``_TEAM_UPSERT`` would give them, when each row was the aggregate of its learners' rows
# before. A row emptied of its sum, or one the change would take below zero (it was not the
# sum of its rows: rows deleted or written behind the roll-ups' back), is left for a fresh
# aggregate.
_TEAM_CHANGE = """UPDATE {team_rollup} tr
SET learners = tr.learners + c.learners, learners_finished = tr.learners_finished + c.finished,
    completion_sum = tr.completion_sum + c.units,
    mean_completion = CASE WHEN tr.learners + c.learners > 0 THEN {changed_mean} ELSE 0 END,
    computed_at = %s
FROM change c
WHERE tr.organization_id = %s AND tr.period = %s AND tr.team_id = c.team_id
  AND tr.completion_sum IS NOT NULL {locked}
  AND tr.learners + c.learners >= 0 AND tr.learners_finished + c.finished >= 0
  AND tr.completion_sum + c.units >= 0
"""

_TEAM_DELETE = """
DELETE FROM {team_rollup}
WHERE organization_id = %s AND period = %s {teams}
  AND NOT EXISTS (SELECT 1 FROM {rollup} l
                  WHERE l.organization_id = {team_rollup}.organization_id
                    AND l.period = {team_rollup}.period AND l.team_id = {team_rollup}.team_id)
"""

# A cohort's row sums its learners' rows of the period, as programme health shows them. It is
# aggregated afresh (never by deltas), after the cohorts are locked in primary-key order: two
# roll-ups touching one cohort serialise, and the later one's aggregate, a statement begun
# after the lock, reads the earlier one's rows.
_COHORT_LOCK = """
SELECT id FROM {cohort} WHERE organization_id = %s {cohorts} ORDER BY id FOR NO KEY UPDATE
"""

_COHORT_UPSERT = """
INSERT INTO {cohort_rollup} (organization_id, cohort_id, period, counted, not_started,
                             steps_done, steps_total, steps_overdue, learners_overdue,
                             computed_at)
SELECT %s, cohort_id, %s, COUNT(*), SUM(CASE WHEN steps_done = 0 THEN 1 ELSE 0 END),
       SUM(steps_done), SUM(steps_total), SUM(steps_overdue),
       SUM(CASE WHEN steps_overdue > 0 THEN 1 ELSE 0 END), MAX(computed_at)
FROM {rollup}
WHERE organization_id = %s AND period = %s AND cohort_id IS NOT NULL {cohorts}
GROUP BY cohort_id
ON CONFLICT (organization_id, period, cohort_id) DO UPDATE
SET counted = excluded.counted, not_started = excluded.not_started,
    steps_done = excluded.steps_done, steps_total = excluded.steps_total,
    steps_overdue = excluded.steps_overdue, learners_overdue = excluded.learners_overdue,
    computed_at = excluded.computed_at
"""

_COHORT_DELETE = """
DELETE FROM {cohort_rollup}
WHERE organization_id = %s AND period = %s {cohorts}
  AND NOT EXISTS (SELECT 1 FROM {rollup} l
                  WHERE l.organization_id = {cohort_rollup}.organization_id
                    AND l.period = {cohort_rollup}.period
                    AND l.cohort_id = {cohort_rollup}.cohort_id)
"""

_COUNT = """
SELECT COUNT(*) FROM {rollup} WHERE organization_id = %s AND period = %s
"""

# One learner's scope in one statement: the teams they are in and were counted in (``own``),
# and the teams a teammate with a roll-up pending moves between (a pending member of one of
# those teams whose rows are counted elsewhere, a pending learner counted in one of them who is
# now in another team), locked (in primary-key order, so two roll-ups for one team serialise
# and the later one reads the earlier one's rows: both teams of a move are locked and
# adjusted); the teammates whose row the team's figure cannot rest on: a current member of
# the team with an enrolment in progress but no row counted in this team for the period
# (enrolled, joined or reactivated since their last roll-up, or a new month), and a row counted
# in the team whose learner left it or was deactivated; the enrolments the learner's rows
# of the period stand for now, so that the delete of rows that no longer qualify runs only
# when there is one; and whether the teams' rows must be aggregated afresh (``unsure``).
# ``kind`` tells the four apart.
#
# Which teammates are compared rests on an invariant kept where the facts are written: every
# fact that changes whom a team counts (an enrolment made, withdrawn or restored, a person who
# joins, leaves, is deactivated or reactivated) records that person's roll-up in the outbox in
# its own transaction (``queue_progress_rollup``), and that roll-up marks its outbox row done
# in the transaction that writes their rows. So once a team has its row for the period, a
# teammate whose rows do not match their memberships and enrolments has a roll-up pending
# (``pending``): only those are compared (``members``, ``counted`` hold them alone). A team
# with no row for the period yet (its first roll-up of a month, a team never rolled up), an
# organisation's roll-up pending (facts recorded for everyone at once: a bulk enrolment, many
# moves) or a period other than the current one leave nothing to rest on (``unsure``): then
# every member of the teams and every row counted in them is compared, read once each through
# their team indexes, and the teams' rows are aggregated afresh from their learners' rows; so
# are they when a team's row has no sum (``completion_sum`` emptied: a roll-up changed it
# without its lock). Otherwise each team's row is the sum of its learners' rows and is adjusted
# by the change in the rows written (``_TEAM_CHANGE``). The members' enrolments are the only
# other fact read, and only for the members compared. The nightly organisation's roll-up
# rewrites every row whatever happened.
#
# The teams to lock are found through their primary key: on PostgreSQL the candidates are
# collected into an array first (``= ANY(ARRAY(…))``), so that no plan, generic or custom,
# reads every team of the organisation and hashes it to find the few (``IN (…)`` was planned as
# a hash join over the organisation's teams, a time that grows with them).
_LEARNER_SCOPE = """
WITH pending AS MATERIALIZED (
    SELECT DISTINCT {first_arg} AS id FROM {outbox} o
    WHERE o.organization_id = %s AND o.done_at IS NULL AND o.handler = %s
      AND {first_arg} IS NOT NULL
),
own AS MATERIALIZED (
    SELECT m0.team_id AS id FROM {membership} m0
    WHERE m0.organization_id = %s AND m0.id = %s AND m0.is_active = %s
    UNION
    SELECT r0.team_id FROM {rollup} r0
    WHERE r0.organization_id = %s AND r0.period = %s AND r0.learner_id = %s
),
teams AS (
    SELECT t.id AS id FROM {team} t
    WHERE t.organization_id = %s
      AND t.id {any_of}(SELECT id FROM own
                   UNION
                   SELECT r1.team_id FROM pending p
                   JOIN {membership} m1 ON m1.id = p.id
                   JOIN {rollup} r1 ON r1.learner_id = p.id
                   WHERE m1.organization_id = %s AND m1.is_active = %s
                     AND m1.team_id IN (SELECT id FROM own)
                     AND r1.organization_id = %s AND r1.period = %s
                   UNION
                   SELECT m2.team_id FROM pending p
                   JOIN {rollup} r2 ON r2.learner_id = p.id
                   JOIN {membership} m2 ON m2.id = p.id
                   WHERE r2.organization_id = %s AND r2.period = %s
                     AND r2.team_id IN (SELECT id FROM own)
                     AND m2.organization_id = %s AND m2.is_active = %s){any_of_end}
    ORDER BY t.id{for_update}
),
unsure AS MATERIALIZED (
    SELECT 1 AS unsure WHERE %s
    UNION ALL
    SELECT 1 FROM teams t
    WHERE NOT EXISTS (SELECT 1 FROM {team_rollup} tr
                      WHERE tr.organization_id = %s AND tr.period = %s AND tr.team_id = t.id
                        AND tr.completion_sum IS NOT NULL)
    UNION ALL
    SELECT 1 FROM {outbox} o
    WHERE o.organization_id = %s AND o.done_at IS NULL AND o.handler = %s
      AND {first_arg} IS NULL
),
members AS MATERIALIZED (
    SELECT m.id AS id, m.team_id AS team_id
    FROM teams t {members}
    WHERE EXISTS (SELECT 1 FROM unsure)
    UNION ALL
    SELECT m.id, m.team_id FROM pending p JOIN {membership} m ON m.id = p.id
    WHERE m.organization_id = %s AND m.is_active = %s AND m.team_id IN (SELECT id FROM teams)
      AND NOT EXISTS (SELECT 1 FROM unsure)
),
counted AS MATERIALIZED (
    SELECT r.learner_id AS learner_id, r.enrollment_id AS enrollment_id, r.team_id AS team_id
    FROM teams t {counted}
    WHERE EXISTS (SELECT 1 FROM unsure)
    UNION ALL
    SELECT r.learner_id, r.enrollment_id, r.team_id FROM pending p JOIN {rollup} r
         ON r.learner_id = p.id
    WHERE r.organization_id = %s AND r.period = %s AND r.team_id IN (SELECT id FROM teams)
      AND NOT EXISTS (SELECT 1 FROM unsure)
)
SELECT 0 AS kind, id FROM teams
UNION ALL
SELECT 1, m.id FROM members m {enrolments}
WHERE NOT EXISTS (SELECT 1 FROM counted r WHERE r.enrollment_id = e.id AND r.team_id = m.team_id)
UNION ALL
SELECT 1, r.learner_id FROM counted r
WHERE NOT EXISTS (SELECT 1 FROM members m WHERE m.id = r.learner_id AND m.team_id = r.team_id)
UNION ALL
SELECT 2, enrollment_id FROM {rollup}
WHERE organization_id = %s AND period = %s AND learner_id = %s
UNION ALL
SELECT 3, 1 WHERE EXISTS (SELECT 1 FROM unsure)
"""

# The learner a pending roll-up's outbox row names (its first argument; NULL for the
# organisation's roll-up, which has none).
_FIRST_ARG = {
    "postgresql": "CAST(o.args ->> 0 AS BIGINT)",
    "sqlite": "json_extract(o.args, '$[0]')",
}

# A join in ``_LEARNER_SCOPE`` of the rows of ``table`` (alias ``alias``) that meet ``where``,
# for each row before it (a locked team, a member). PostgreSQL reads them through the index
# ``where`` names, row after row, only when told so (LATERAL, OFFSET 0): otherwise a plan (a
# prepared statement's generic plan, or a custom one) can read every row of the organisation
# and hash it, a time that grows with the organisation.
_EACH = {
    "postgresql": "CROSS JOIN LATERAL (SELECT * FROM {table} {alias} WHERE {where} OFFSET 0) {alias}",
    "sqlite": "JOIN {table} {alias} ON {where}",
}


def _tables(**extra: str) -> dict[str, str]:
    return {
        "rollup": LearnerProgressRollup._meta.db_table,
        "team_rollup": TeamProgressRollup._meta.db_table,
        "cohort_rollup": CohortProgressRollup._meta.db_table,
        "cohort": Cohort._meta.db_table,
        "enrollment": Enrollment._meta.db_table,
        "membership": Membership._meta.db_table,
        "team": Team._meta.db_table,
        "outbox": OutboxEntry._meta.db_table,
        # A learner's completion units, and a team's mean from its sum (``_TEAM_UPSERT``,
        # ``_TEAM_CHANGE``).
        "units": _UNITS,
        "team_mean": _TEAM_MEAN,
        "changed_mean": _CHANGED_MEAN,
        **extra,
    }


def _in(column: str, ids: Sequence[int] | None) -> str:
    """``AND column IN (%s, …)`` for ``ids``; empty (no condition) for None."""
    if ids is None:
        return ""
    return f"AND {column} IN ({', '.join(['%s'] * len(ids))})" if ids else "AND 1 = 0"


def learner_rollup_sql(learner_ids: Sequence[int] | None, only_changed: bool = True) -> str:
    """The upsert of the enrolment rows of ``learner_ids`` (None: every learner), writing only
    new and changed rows unless ``only_changed`` is False; parameters from
    ``learner_rollup_params``."""
    ctes, select = _learner_rollup_parts(learner_ids, only_changed)
    return progress_sql_for_vendor(_LEARNER_INSERT.format(**_tables()) + ctes + select)


def _learner_rollup_parts(learner_ids: Sequence[int] | None, only_changed: bool) -> tuple[str, str]:
    """``learner_rollup_sql``'s WITH clause and the ``SELECT … ON CONFLICT`` after it."""
    # SQLite reads "ON CONFLICT" after a join as the join's condition unless a WHERE comes first.
    where = _ONLY_CHANGED if only_changed else "WHERE true\n"
    return (
        enrollment_progress_ctes(_in("e.learner_id", learner_ids)),
        _LEARNER_UPSERT.format(only_changed=where, **_tables()),
    )


def learner_rollup_params(
    org_id: int,
    period: dt.date,
    today: dt.date,
    now: dt.datetime,
    learner_ids: Sequence[int] | None,
) -> list[Any]:
    return [
        *enrollment_progress_params(org_id, today, learner_ids or []),
        org_id,
        period,
        now,
        org_id,
        period,
    ]


def _write_cohort_rows(
    cursor: Any, org_id: int, period: dt.date, cohort_ids: Sequence[int] | None
) -> None:
    """Aggregate the rows of ``cohort_ids`` (None: every cohort) from their learners' rows of
    the period, after locking the cohorts (PostgreSQL), and delete those no learner row backs
    any more (2 statements, 3 on PostgreSQL; none for no cohort)."""
    if cohort_ids == []:
        return
    cohorts = _in("cohort_id", cohort_ids)
    if connection.vendor == "postgresql":
        cursor.execute(
            _COHORT_LOCK.format(cohorts=_in("id", cohort_ids), **_tables()),
            [org_id, *(cohort_ids or [])],
        )
    cursor.execute(
        _COHORT_UPSERT.format(cohorts=cohorts, **_tables()),
        [org_id, period, org_id, period, *(cohort_ids or [])],
    )
    written = max(cursor.rowcount, 0)
    if cohort_ids is None or written < len(cohort_ids):
        cursor.execute(
            _COHORT_DELETE.format(cohorts=cohorts, **_tables()),
            [org_id, period, *(cohort_ids or [])],
        )


COHORT_ROLLUP_HANDLER = "measurement.services.deliver_cohort_rollup"


def _cohort_key_parts(org_id: int, period: dt.date) -> tuple[str, str]:
    """What comes before and after the cohort's id in ``_cohort_key``: the roll-up's statement
    writes the key in SQL around each cohort's id (``_COHORTS_QUEUED``)."""
    return f"cohort-rollup:{org_id}:", f":{period.isoformat()}"


def _cohort_key(org_id: int, cohort_id: str, period: dt.date) -> str:
    """The dedupe key of a cohort's pending roll-up, without its window's number."""
    before, after = _cohort_key_parts(org_id, period)
    return f"{before}{cohort_id}{after}"


def queue_cohort_rollups(org_id: int, period: dt.date, cohort_ids: Iterable[int]) -> None:
    """Record, in the transaction of a roll-up that wrote or deleted learner rows of these
    cohorts, that their cohort rows are due: the outbox aggregates each cohort once per
    ``ROLLUP_DEBOUNCE_SECONDS`` window, after commit, whatever the number of its learners'
    roll-ups in the window. A learner's roll-up then neither reads their whole cohort's rows nor
    waits on the cohort's row behind their cohort-mates' roll-ups."""
    from organizations.outbox.delivery import record_debounced

    for cohort_id in sorted(cohort_ids):
        record_debounced(
            COHORT_ROLLUP_HANDLER,
            cohort_id,
            period.isoformat(),
            key=_cohort_key(org_id, str(cohort_id), period),
            seconds=ROLLUP_DEBOUNCE_SECONDS,
            grace=ROLLUP_GRACE_SECONDS,
        )


@derived_rows_only
def deliver_cohort_rollup(org: Organization, cohort_id: int, period: str) -> None:
    """The outbox handler of ``queue_cohort_rollups``: the cohort's row of ``period`` (ISO date)
    aggregated afresh from its learners' rows (idempotent)."""
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        _write_cohort_rows(cursor, org.pk, dt.date.fromisoformat(period), [cohort_id])


def _write_rows(
    cursor: Any,
    org_id: int,
    period: dt.date,
    today: dt.date,
    now: dt.datetime,
    learner_ids: Sequence[int] | None,
    team_ids: Sequence[int] | None,
    existing: set[int] | None = None,
    delta: bool = False,
) -> RollupResult:
    """Upsert the rows of ``learner_ids`` and of ``team_ids`` (None: all of them) and delete
    the rows in that scope that no longer qualify; then the rows of the cohorts whose learner
    rows were written or deleted. A team's row is aggregated from its learners' rows, so
    ``learner_ids`` must hold every learner of ``team_ids`` whose row is missing or out of
    date; with ``delta`` (PostgreSQL, a few learners) it is instead adjusted by the change
    between those learners' rows before and after (``_TEAM_CHANGE``), which needs every row
    of ``team_ids`` to be the sum of its learners' rows (its ``completion_sum`` kept), and a
    team not in ``team_ids`` whose row the change touches has its sum emptied. ``existing``:
    the enrolments of the scope's rows before the upsert when known; then the delete runs only
    when one of them no longer qualifies.

    Every learner: only new and changed rows are written, every cohort row is aggregated
    again, and the rows are counted after (8 statements on PostgreSQL). A few learners: on
    PostgreSQL, with teams, only their new and changed rows are written and their teams' rows
    adjusted or aggregated in the same statement (``_LEARNER_AND_TEAM_UPSERT``: nothing is
    written when no figure changed); otherwise their rows are all written (the upsert returns
    their enrolments and cohorts); the team rows are deleted only when a team lost its last
    row (1 statement on PostgreSQL, 2 on SQLite; one more when a row no longer qualifies, and
    one when a team also lost its last learner); the cohorts of the rows written or deleted
    have their rows queued through the outbox (``queue_cohort_rollups``)."""
    every = learner_ids is None
    params = learner_rollup_params(org_id, period, today, now, learner_ids)
    scope, teams = _in("learner_id", learner_ids), _in("team_id", team_ids)
    team_params = [org_id, period, now, org_id, period, *(team_ids or [])]
    # A few learners' rows and their teams' in one statement (PostgreSQL writes both from one).
    together = bool(learner_ids) and bool(team_ids) and connection.vendor == "postgresql"
    # With a broker, that statement records the roll-ups of the cohorts of the rows it writes
    # (without one, each is recorded to run once, after commit: ``record_debounced``).
    queue_in_statement = together and not settings.CELERY_TASK_ALWAYS_EAGER
    n_teams = 0
    again: list[int] = []  # teams to aggregate afresh after all
    if together:
        assert learner_ids and team_ids
        ctes, select = _learner_rollup_parts(learner_ids, only_changed=True)
        progress_params = enrollment_progress_params(org_id, today, learner_ids)
        locked = _in("team_id", team_ids)
        if delta:
            team_sql = _TEAM_CHANGE.format(locked=_in("tr.team_id", team_ids), **_tables())
            team_sql += "RETURNING tr.team_id, tr.learners\n"
            team_sql_params = [now, org_id, period, *team_ids]
        else:
            # Their earlier rows left out (``learner_ids`` is not empty here).
            others = _in("learner_id NOT", learner_ids)
            team_rows = _TEAM_ROWS_WRITTEN.format(teams=teams, others=others, **_tables())
            team_sql = _TEAM_UPSERT.format(rows=team_rows, **_tables())
            team_sql += "RETURNING team_id, learners\n"
            team_sql_params = [*team_params, *learner_ids, *team_ids]
        queued_params: list[Any] = []
        if queue_in_statement:
            # The cohorts' keys are ``_cohort_key``'s with the window's number after.
            window, due = debounce_window(ROLLUP_DEBOUNCE_SECONDS, ROLLUP_GRACE_SECONDS, now)
            before, after = _cohort_key_parts(org_id, period)
            handler = COHORT_ROLLUP_HANDLER
            queued_params = [org_id, handler, period.isoformat(), now, due]
            queued_params += [before, f"{after}:{window}", org_id]
        cursor.execute(
            ctes
            + _LEARNER_AND_TEAM_UPSERT.format(
                scope=scope,
                learners=_LEARNER_INSERT.format(**_tables()) + select,
                teams=team_sql,
                not_locked=_in("tr.team_id NOT", team_ids),
                locked=locked,
                queued=_COHORTS_QUEUED.format(**_tables()) if queue_in_statement else "",
                queued_rows=_COHORTS_QUEUED_ROWS if queue_in_statement else "",
                **_tables(),
            ),
            [
                *progress_params,
                *(org_id, period, *learner_ids),  # old
                *params[len(progress_params) :],  # written
                *team_sql_params,
                *(org_id, period, *team_ids),  # flagged
                *queued_params,
                *team_ids,  # the locked teams' change
            ],
        )
        returned = []
        updated: dict[int, int] = {}
        changed: set[int] = set()
        qualifying: set[int] = set()
        for kind, pk, value in cursor.fetchall():
            if kind == 0:
                returned.append((pk, value))
            elif kind == 1:
                updated[pk] = value
            elif kind == 2:
                changed.add(pk)
            elif kind == 4:
                qualifying.add(pk)
            elif kind == 5:
                queue_after_commit(org_id, pk, due)
        n_teams = sum(1 for n in updated.values() if n > 0)
        if delta:
            # Locked teams with no change keep their row; a changed one whose row was not
            # adjusted (deleted or emptied of its sum since the scope was read) is aggregated
            # afresh, the lock still held.
            n_teams += len(set(team_ids) - changed)
            again = sorted(changed - set(updated))
    else:
        sql = learner_rollup_sql(learner_ids, only_changed=every)
        cursor.execute(sql if every else sql + "RETURNING enrollment_id, cohort_id\n", params)
        returned = [] if every else cursor.fetchall()
        qualifying = {row[0] for row in returned}  # every row of the scope written
    # The cohorts of the rows written or deleted whose roll-ups are to be recorded (those of
    # the rows written are recorded already when the statement did it).
    cohort_ids: set[int] = set()
    written_cohorts = {row[1] for row in returned if row[1] is not None}
    if every:
        written = learners = max(cursor.rowcount, 0)
        stale = True
    else:
        written, learners = len(returned), len(qualifying)
        stale = existing is None or not existing <= qualifying
    if stale:
        delete = _LEARNER_DELETE.format(scope=scope, **_tables())
        cursor.execute(
            delete if every else delete + "RETURNING cohort_id\n",
            [org_id, period, *(learner_ids or []), True, Enrollment.Status.WITHDRAWN],
        )
        if not every:
            cohort_ids |= {row[0] for row in cursor.fetchall() if row[0] is not None}
    cohort_ids = (
        cohort_ids - written_cohorts if queue_in_statement else cohort_ids | written_cohorts
    )
    if team_ids != []:
        if not together or again:
            # Every team of the scope, or the locked teams whose row a change could not adjust
            # (deleted or emptied of its sum since the scope was read), the lock still held.
            ids = again if together else team_ids
            rows = _TEAM_ROWS.format(teams=_in("team_id", ids), **_tables())
            cursor.execute(
                _TEAM_UPSERT.format(rows=rows, **_tables()),
                [org_id, period, now, org_id, period, *(ids or [])],
            )
            n_teams += max(cursor.rowcount, 0)
        if team_ids is None or n_teams < len(team_ids):
            cursor.execute(
                _TEAM_DELETE.format(teams=teams, **_tables()),
                [org_id, period, *(team_ids or [])],
            )
    if every:
        _write_cohort_rows(cursor, org_id, period, None)
    else:
        queue_cohort_rollups(org_id, period, cohort_ids)
    if every:
        cursor.execute(_COUNT.format(**_tables()), [org_id, period])
        (learners,) = cursor.fetchone()
    return RollupResult(period=period, learners=learners, teams=n_teams, written=written)


# The organisation's teams locked in primary-key order before the organisation's roll-up writes
# a row, as a learner's roll-up locks its teams before writing theirs (``_LEARNER_SCOPE``): both
# take their team locks first and in one order, so they cannot wait on each other's rows in a
# cycle (a deadlock). NO KEY UPDATE conflicts with a learner's roll-up's lock, not with the key
# share that adding or moving a person to a team takes.
_LOCK_TEAMS = "SELECT id FROM {team} WHERE organization_id = %s ORDER BY id FOR NO KEY UPDATE"


def do_rollup_progress(org: Organization, period: dt.date | None = None) -> RollupResult:
    """Recompute per-learner, per-team and per-cohort progress for ``period`` and upsert it
    (9 statements on PostgreSQL, set-based, the first locking the organisation's teams).

    Must run inside ``tenant_context(org)``. Idempotent: running it twice leaves the same rows
    (the second run writes none); rows for enrolments or teams that no longer qualify are
    removed.
    """
    now = timezone.now()
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(_LOCK_TEAMS.format(team=Team._meta.db_table), [org.pk])
        return _write_rows(
            cursor, org.pk, period or period_for(org, now), org_today(now), now, None, None
        )


def do_rollup_learner_progress(
    org: Organization, learner_id: int, period: dt.date | None = None
) -> RollupResult:
    """Recompute, for ``period``, the rows of one learner, then the rows of the teams they are
    or were counted in, as those teams' learner rows give them: what a fact about one
    learner changes, in a time that does not grow with the organisation. Gives the rows
    ``do_rollup_progress`` gives for them.

    A team's figure never rests on rows that were not written yet: teammates with no row
    counted in the team for the period (enrolled or joined since the last roll-up, a new
    month) and rows of teammates who left the team or were deactivated are recomputed too.
    Once the team has its row for the period, only the teammates with a roll-up pending in the
    outbox are compared (every fact that changes whom a team counts records one in its own
    transaction, see ``_LEARNER_SCOPE``): the scope reads neither the team's members nor their
    enrolments nor the team's rows, unless the team has no row for the period yet, the
    organisation's roll-up is pending or ``period`` is not the current one.
    The team's row is then adjusted by the difference between the rows written and the rows
    they replace (counts and an integer sum of completions, ``completion_sum``, so the mean
    never drifts): the team's rows are not read. It is aggregated afresh from them where it
    cannot be trusted to be their sum: the team has no row for the period or none with its sum,
    the organisation's roll-up is pending, or ``period`` is not the current one.
    Must run inside ``tenant_context(org)``, in its transaction (no savepoint of its own).
    Locks the affected teams (in primary-key order), so two roll-ups for one team serialise and
    the later one reads the earlier one's rows; a teammate with a roll-up pending who moved
    has both teams locked and adjusted. A learner who left or was deactivated loses
    their rows. 2 statements on PostgreSQL: the scope (the teams locked, through their primary
    key, the teammates to refresh, the learner's rows), then the learner rows' upsert and the
    teams' rows adjusted (or aggregated) in one, which writes only the rows whose figures
    changed, nothing at all when none did (3 on SQLite, where the learner's rows are all
    rewritten and the teams' rows always aggregated, in a statement of their own); one more to
    delete rows that no longer qualify (a withdrawn enrolment, a learner deactivated,
    teammates recomputed), one when a team lost its last learner, and one, rarely, when a
    team's row changed between the scope and the lock (it is aggregated afresh). The rows of
    the cohorts of the learner rows written (inserted or changed) or deleted are queued
    through the outbox in the same transaction (``queue_cohort_rollups``; with a broker, on
    PostgreSQL, by the upsert's statement for the rows it writes): each cohort is aggregated
    once per window, not once per learner's roll-up.
    """
    now = timezone.now()
    current = period_for(org, now)
    period = period or current
    sqlite = connection.vendor == "sqlite"
    each, tables = _EACH[connection.vendor], _tables()
    # The teams' active members, the teams' rows of the period, the members' enrolments in
    # progress.
    members = "m.organization_id = %s AND m.is_active = %s AND m.team_id = t.id"
    counted = "r.organization_id = %s AND r.period = %s AND r.team_id = t.id"
    enrolments = "e.organization_id = %s AND e.learner_id = m.id AND e.status <> %s"
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        cursor.execute(
            progress_sql_for_vendor(
                _LEARNER_SCOPE.format(
                    for_update="" if sqlite else " FOR UPDATE",
                    any_of="IN " if sqlite else "= ANY(ARRAY",
                    any_of_end="" if sqlite else ")",
                    members=each.format(table=tables["membership"], alias="m", where=members),
                    counted=each.format(table=tables["rollup"], alias="r", where=counted),
                    enrolments=each.format(table=tables["enrollment"], alias="e", where=enrolments),
                    first_arg=_FIRST_ARG[connection.vendor],
                    **tables,
                )
            ),
            [
                *(org.pk, ROLLUP_HANDLER),  # pending
                *(org.pk, learner_id, True, org.pk, period, learner_id),  # own
                *(org.pk, org.pk, True, org.pk, period, org.pk, period, org.pk, True),  # teams
                *(period != current, org.pk, period, org.pk, ROLLUP_HANDLER),  # unsure
                *(org.pk, True, org.pk, True),  # members
                *(org.pk, period, org.pk, period),  # counted
                *(org.pk, Enrollment.Status.WITHDRAWN, org.pk, period, learner_id),
            ],
        )
        team_ids: set[int] = set()
        scope = {learner_id}
        existing: set[int] = set()
        unsure: set[int] = set()
        for kind, pk in cursor.fetchall():
            (team_ids, scope, existing, unsure)[kind].add(pk)
        return _write_rows(
            cursor,
            org.pk,
            period,
            org_today(now),
            now,
            sorted(scope),
            sorted(team_ids),
            # Teammates' rows are not listed: with any in scope the delete runs.
            existing if scope == {learner_id} else None,
            # Every locked team has a row summing its learners' rows: adjusted by the change.
            delta=not unsure,
        )
