"""Two requests at once on PostgreSQL: the first in an open transaction, the second on another
connection, which the test lets go once the database makes it wait for the first."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from django.db import connection, transaction

from organizations.models import Organization
from organizations.tenancy import tenant_context


def _meanwhile(org: Organization, work: Callable[[], Any]) -> tuple[threading.Thread, list[Any]]:
    outcome: list[Any] = []

    def run() -> None:
        try:
            with tenant_context(org):
                outcome.append(work())
        except Exception as exc:  # reported by the test, not lost in the thread
            outcome.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


def _wait_for_a_blocked_write(thread: threading.Thread) -> None:
    """Until the other connection waits for this one: it passed its check and now waits to learn
    whether this transaction's row, in the same unique index, commits."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and thread.is_alive():
        with connection.cursor() as cursor:
            cursor.execute("select pg_stat_clear_snapshot()")  # else one snapshot per transaction
            cursor.execute(
                "select count(*) from pg_stat_activity "
                "where pg_backend_pid() = any(pg_blocking_pids(pid))"
            )
            if cursor.fetchone()[0]:
                return
        time.sleep(0.05)
    raise AssertionError("the second save never waited for the first")


def race(
    first_org: Organization,
    first: Callable[[], Any],
    second: Callable[[], Any],
    second_org: Organization | None = None,
) -> Any:
    """Run ``first`` in an open transaction and ``second`` meanwhile on another connection;
    commit once ``second`` is blocked by it. Returns what ``second`` returned or raised."""
    with tenant_context(first_org), transaction.atomic():
        first()
        thread, outcome = _meanwhile(second_org or first_org, second)
        _wait_for_a_blocked_write(thread)
    thread.join(timeout=10)
    assert not thread.is_alive()
    return outcome[0]
