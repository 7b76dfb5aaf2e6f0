"""Record follow-up work with a fact, deliver it later, re-deliver what is overdue."""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Model, Q, QuerySet
from django.utils import timezone
from django.utils.module_loading import import_string

from organizations.models import Organization
from organizations.outbox.models import OutboxEntry
from organizations.tenancy import current_org

logger = logging.getLogger(__name__)

# A row not done this long after it was due is queued again by the beat sweep. Longer than a
# normal delivery takes, so a row being worked on is rarely queued twice (and twice is harmless:
# delivery locks the row and skips one already done).
REDELIVER_AFTER = dt.timedelta(minutes=5)
# Rows re-queued per organisation per sweep; each costs one small task.
SWEEP_BATCH = 500
# A row due within this time is queued on commit with its due time as the task's ETA, so a
# debounced roll-up runs when its window ends rather than at the next sweep; later rows are
# left to the sweep. A worker holds an ETA task unacknowledged until it runs, so this stays
# well below the broker's visibility timeout (settings.CELERY_BROKER_TRANSPORT_OPTIONS).
ETA_HORIZON = dt.timedelta(minutes=2)
# After this many failed attempts a row stays in the table, undelivered, for a person to look at.
MAX_ATTEMPTS = 8
# A job carried by follow-ups (an import's batches, an export's parts) that has not moved on for
# this long is given up: the outbox's whole retry schedule for one row takes about four hours,
# and a large job takes minutes, so a day without progress means nothing will move it on.
ABANDONED_AFTER = dt.timedelta(hours=24)


def record_followup(
    handler: str,
    *args: Any,
    dedupe_key: str = "",
    run_after: dt.datetime | None = None,
) -> OutboxEntry | None:
    """Record ``handler(org, *args)`` to run after the current transaction commits.

    Must be called inside ``tenant_context`` (the row belongs to the current organisation) and
    normally inside the transaction that writes the fact. ``args`` must be JSON values (ids, not
    model instances). Returns the new row, or ``None`` when ``dedupe_key`` was already recorded.
    Delivery is queued on commit (run eagerly, in process, when there is no broker), for
    ``run_after`` when that is within ``ETA_HORIZON``; a later ``run_after`` is left to the
    beat sweep, which also delivers any row whose queued delivery was lost (broker down, worker
    killed).
    """
    import_string(handler)  # fail now, in the caller's transaction, on a typo
    when = run_after or timezone.now()
    # A key already recorded (a debounced window's later facts) costs one read, no savepoint.
    if dedupe_key and OutboxEntry.objects.filter(dedupe_key=dedupe_key).exists():
        return None
    try:
        with transaction.atomic():
            entry = OutboxEntry.objects.create(
                handler=handler, args=list(args), dedupe_key=dedupe_key, run_after=when
            )
    except IntegrityError:
        if dedupe_key:  # recorded concurrently by another transaction
            return None
        raise
    queue_after_commit(entry.organization_id, entry.pk, when)
    return entry


def queue_after_commit(org_id: int, entry_id: int, when: dt.datetime) -> None:
    """Queue the delivery of a row just recorded in the current transaction once it commits
    (for ``when``), as ``record_followup`` does for the rows it records: a row due later than
    ``ETA_HORIZON`` is left to the beat sweep."""
    if when - timezone.now() <= ETA_HORIZON:
        transaction.on_commit(lambda: _queue_delivery(org_id, entry_id, when))


# After a failed publish this process stops trying for this long: while the broker is down a
# request pays for one failed attempt (about a second), not one per follow-up it records.
BROKER_BACKOFF_SECONDS = 30.0
_broker_down_until = 0.0


def _queue_delivery(org_id: int, entry_id: int, when: dt.datetime) -> None:
    """Queue one row's delivery (at ``when``); runs after the fact committed. A broker that
    cannot be reached is logged, never raised: the fact is saved and the request succeeds, and
    the beat sweep delivers the row once the broker is back."""
    global _broker_down_until
    from django.conf import settings

    from organizations.outbox.tasks import deliver_followup

    if settings.CELERY_TASK_ALWAYS_EAGER:  # no broker: run now, errors surface
        deliver_followup.delay(org_id, entry_id)
        return
    if time.monotonic() < _broker_down_until:
        logger.info("outbox %s: broker unreachable of late; left to the sweep", entry_id)
        return
    options: dict[str, Any] = {"eta": when} if when > timezone.now() else {}
    try:
        deliver_followup.apply_async((org_id, entry_id), retry=False, **options)
    except Exception as exc:  # the broker's own errors (kombu, redis, socket) vary
        _broker_down_until = time.monotonic() + BROKER_BACKOFF_SECONDS
        logger.warning(
            "outbox %s: delivery not queued (%s: %s); the sweep will deliver it",
            entry_id,
            type(exc).__name__,
            exc,
        )


def record_debounced(
    handler: str,
    *args: Any,
    key: str,
    seconds: int,
    grace: int,
    now: dt.datetime | None = None,
) -> OutboxEntry | None:
    """Record ``handler(org, *args)`` once per window of ``seconds`` for ``key``: facts that
    arrive within one window share one row (its dedupe key is ``key`` and the window's number),
    run ``grace`` seconds after the window ends, so a fact whose transaction found the window's
    row and committed just after the window closed is still seen. Without a broker (tasks run
    eagerly) the handler runs once, after commit. Call it in the fact's transaction."""
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return record_followup(handler, *args)
    window, run_after = debounce_window(seconds, grace, now)
    return record_followup(handler, *args, dedupe_key=f"{key}:{window}", run_after=run_after)


def debounce_window(
    seconds: int, grace: int, now: dt.datetime | None = None
) -> tuple[int, dt.datetime]:
    """The number of the ``seconds`` window containing ``now`` (the last part of a debounced
    row's dedupe key, ``record_debounced``) and when its row is due: ``grace`` seconds after
    the window ends."""
    now = now or timezone.now()
    window = int(now.timestamp() // seconds)
    return window, dt.datetime.fromtimestamp((window + 1) * seconds + grace, tz=dt.UTC)


def abandon_followups(dedupe_prefix: str, reason: str) -> int:
    """Give up on the current organisation's pending rows whose dedupe key starts with
    ``dedupe_prefix`` (the links of a job that was marked failed): they are marked done with
    ``reason`` and never delivered, so a job started again is not raced by its old links.
    Returns how many were abandoned."""
    assert dedupe_prefix, "an empty prefix would abandon every keyed row"
    return OutboxEntry.objects.filter(
        dedupe_key__startswith=dedupe_prefix, done_at__isnull=True
    ).update(done_at=timezone.now(), last_error=f"abandoned: {reason}"[:2000])


def last_progress(job: Model) -> dt.datetime:
    """When ``job`` (a model with ``progress_at`` and ``created_at``) last moved on."""
    return job.progress_at or job.created_at  # type: ignore[attr-defined]


def is_stalled(job: Model, now: dt.datetime | None = None) -> bool:
    """Whether ``job``, if still pending, has not moved on for ``ABANDONED_AFTER`` (no query):
    the sweep will mark it failed. For pages, which only read."""
    return last_progress(job) < (now or timezone.now()) - ABANDONED_AFTER


def fail_stalled(
    pending: QuerySet[Any],
    dedupe_prefix: str,
    problem: dict[str, Any],
    *,
    failed_status: str,
) -> list[int]:
    """Mark the jobs of ``pending`` (the current organisation's queued or running jobs of a
    model with ``status``, ``problems``, ``progress_at``, ``created_at`` and ``finished_at``)
    that have not moved on for ``ABANDONED_AFTER`` failed, with ``problem`` as their only
    problem, and abandon their pending follow-ups (dedupe keys ``{dedupe_prefix}:{pk}:…``), so
    a job started again is not raced by its old links. Returns the ids marked failed.

    Compare-and-set per job: one that a follow-up moved on meanwhile is left alone. One
    statement when no job is stalled. Called by the outbox sweep (``tasks``), never by a page.
    """
    cutoff = timezone.now() - ABANDONED_AFTER
    stalled = pending.filter(
        Q(progress_at__lt=cutoff) | Q(progress_at__isnull=True, created_at__lt=cutoff)
    )
    failed = []
    for pk in stalled.order_by("pk").values_list("pk", flat=True):
        # The same conditions again, on the row: a follow-up that moved the job on meanwhile wins.
        if stalled.filter(pk=pk).update(
            status=failed_status, problems=[problem], finished_at=timezone.now()
        ):
            abandon_followups(f"{dedupe_prefix}:{pk}:", "the job was marked failed")
            logger.warning("%s %s made no progress for a day: marked failed", dedupe_prefix, pk)
            failed.append(pk)
    return failed


def derived_rows_only[Handler: Callable[..., Any]](handler: Handler) -> Handler:
    """Mark an outbox handler whose writes are all derived from facts (roll-ups, counts) and
    recomputed by any later delivery of the same row: its delivery commits without waiting for
    its WAL to reach disk (see ``do_deliver_followup``). A handler that writes a fact, sends
    something or hands out a token must not be marked."""
    handler.derived_rows_only = True  # type: ignore[attr-defined]
    return handler


# The delivery's transaction commits without waiting for its WAL flush, if it has written
# nothing yet: the check runs before the row lock, the delivery's first write. A transaction
# that wrote before (a fact's, where a test delivers inside it) keeps the server's setting.
_DEFERRED_FLUSH_SQL = (
    "SELECT set_config('synchronous_commit', 'off', true) "
    "WHERE pg_current_xact_id_if_assigned() IS NULL"
)


def defer_commit_flush() -> bool:
    """Let the current transaction's commit return before its WAL is flushed to disk, if the
    transaction has written nothing yet (PostgreSQL's ``synchronous_commit = off``, for this
    transaction only; nothing elsewhere). Its rows are visible to others as soon as it commits;
    only a crash of the database server within a fraction of a second after the commit can
    lose it, and then it is lost whole. Returns whether it did."""
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute(_DEFERRED_FLUSH_SQL)
        return cursor.fetchone() is not None


def _restore_commit_flush() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL synchronous_commit TO DEFAULT")


@dataclass(frozen=True)
class Delivery:
    entry_id: int
    outcome: str  # "done", "already done", "vanished", "failed", "not due"


def do_deliver_followup(org: Organization, entry_id: int) -> Delivery:
    """Run one recorded follow-up once. Runs inside ``tenant_context(org)``.

    Locks the row, skips it when done, gone or not yet due, calls the handler and marks the row
    done in the same transaction: a handler that raises leaves the row pending with the error
    and one more attempt counted, for the sweep to try again.

    The delivery of a handler marked ``derived_rows_only`` commits without waiting for the WAL
    flush (``defer_commit_flush``, when the transaction held no write of its own before): a
    crash of the database server that loses such a commit loses the row's done mark with the
    rows the handler wrote, so the row is still pending and the sweep delivers it again. Other
    handlers' deliveries commit as the server is set to.
    """
    assert current_org() is not None
    with transaction.atomic():
        deferred = defer_commit_flush()  # before the lock: the row is not read yet
        entry = OutboxEntry.objects.select_for_update().filter(pk=entry_id).first()
        if entry is None:
            return Delivery(entry_id, "vanished")
        if entry.done_at is not None:
            return Delivery(entry_id, "already done")
        if entry.run_after > timezone.now():
            return Delivery(entry_id, "not due")
        try:
            handler = import_string(entry.handler)
            if deferred and not getattr(handler, "derived_rows_only", False):
                _restore_commit_flush()
            with transaction.atomic():
                handler(org, *entry.args)
        except Exception as exc:
            logger.exception("outbox %s (%s) failed", entry.pk, entry.handler)
            attempts = entry.attempts + 1
            OutboxEntry.objects.filter(pk=entry.pk).update(
                attempts=attempts,
                last_error=f"{type(exc).__name__}: {exc}"[:2000],
                # Back off 1, 2, 4 … minutes; the sweep delivers it again once it is due.
                run_after=timezone.now() + dt.timedelta(minutes=min(2 ** (attempts - 1), 240)),
            )
            return Delivery(entry_id, "failed")
        OutboxEntry.objects.filter(pk=entry.pk).update(
            done_at=timezone.now(), attempts=entry.attempts + 1, last_error=""
        )
    return Delivery(entry_id, "done")


def overdue_followups(now: dt.datetime | None = None) -> list[int]:
    """Ids of the current organisation's pending rows that are due and were not delivered.

    A row recorded for later (``run_after`` after ``created_at``, also a failed row waiting for
    its retry) is overdue as soon as it is due; a row meant to run at once, when it has waited
    ``REDELIVER_AFTER`` (its on-commit delivery was lost with the broker or a worker).
    """
    now = now or timezone.now()
    scheduled = Q(run_after__gt=F("created_at") + dt.timedelta(seconds=1), run_after__lte=now)
    stale = Q(run_after__lte=now - REDELIVER_AFTER)
    return list(
        OutboxEntry.objects.filter(done_at__isnull=True, attempts__lt=MAX_ATTEMPTS)
        .filter(scheduled | stale)
        .order_by("pk")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
