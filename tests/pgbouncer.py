"""Running tests through PgBouncer (``PGBOUNCER_URL``), as CI's pooling step does.

pytest-django creates and drops the test database directly on PostgreSQL (``DATABASE_URL``):
CREATE and DROP DATABASE through a pooler would meet the pool's own server connections. Between
the two, every connection the tests open goes to PgBouncer instead, for the same test database,
with the settings an app behind transaction pooling needs (``DATABASE_TRANSACTION_POOLING``: no
server-side cursors, which outlive a transaction, and no prepared statements, which a direct
connection keeps and a pooled one would look for on another server connection).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.db import OperationalError, connections

PGBOUNCER_URL = os.environ.get("PGBOUNCER_URL", "")
REQUIRED = os.environ.get("PATHWISE_REQUIRE_PGBOUNCER") == "1"


def pgbouncer_address() -> tuple[str, int, str]:
    """Host, port and user of ``PGBOUNCER_URL`` (its database name is not used)."""
    parts = urlsplit(PGBOUNCER_URL)
    if parts.scheme not in {"postgres", "postgresql"} or not parts.hostname:
        raise pytest.UsageError(
            f"PGBOUNCER_URL={PGBOUNCER_URL!r} is not a postgres://user@host:port/ address"
        )
    user = parts.username or connections["default"].settings_dict["USER"]
    return parts.hostname, parts.port or 6432, user


@contextmanager
def through_pgbouncer(blocker: Any) -> Iterator[None]:
    """Point the default alias at PgBouncer until the block ends (the test database exists)."""
    direct = connections["default"].settings_dict
    if direct["ENGINE"] != "django.db.backends.postgresql":
        raise pytest.UsageError("PGBOUNCER_URL needs DATABASE_URL=postgres://… behind it")
    host, port, user = pgbouncer_address()
    saved = {
        key: direct.get(key)
        for key in ("HOST", "PORT", "USER", "DISABLE_SERVER_SIDE_CURSORS", "OPTIONS")
    }
    pooled_options = {
        key: value
        for key, value in direct["OPTIONS"].items()
        if key not in {"server_side_binding", "prepare_threshold"}
    }
    connections.close_all()
    # Connections made later, in any thread, read this same dict (settings.DATABASES).
    direct.update(
        HOST=host,
        PORT=str(port),
        USER=user,
        DISABLE_SERVER_SIDE_CURSORS=True,
        OPTIONS=pooled_options,
    )
    try:
        with blocker.unblock():
            try:
                connections["default"].ensure_connection()
            except OperationalError as exc:
                first_line = str(exc).strip().splitlines()[0]
                pytest.exit(
                    f"cannot reach the test database through PgBouncer at {host}:{port}: {first_line}",
                    2,
                )
        yield
    finally:
        connections.close_all()
        direct.update(saved)
        with blocker.unblock():
            _close_pooled_server_connections()


def _close_pooled_server_connections() -> None:
    """PgBouncer keeps its server connection to the test database open after the last client
    leaves; end it (the role may end its own backends) so that the database can be dropped."""
    with connections["default"].cursor() as cursor:
        cursor.execute(
            "select count(pg_terminate_backend(pid)) from pg_stat_activity "
            "where datname = current_database() and usename = current_user "
            "and pid <> pg_backend_pid()"
        )
    connections["default"].close()
