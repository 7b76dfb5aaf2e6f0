"""Redis and the broker made unreachable for a block: a port nothing listens on."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager

from django.test import override_settings


def closed_port() -> int:
    """A local TCP port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _reset_connections(app) -> None:  # type: ignore[no-untyped-def]
    """Drop the app's cached broker connections and result backend so the next use reads
    the configuration again."""
    app._after_fork()  # forgets the connection and producer pools
    app._backend_cache = None
    app._local.__dict__.pop("backend", None)


@contextmanager
def redis_unreachable() -> Iterator[str]:
    """Cache, broker and result backend all point at a closed port, and tasks are sent to the
    broker (not run eagerly), as in production with Redis down. Yields the dead URL."""
    from config.celery import app

    url = f"redis://127.0.0.1:{closed_port()}/0"
    saved = {key: app.conf[key] for key in ("broker_url", "result_backend", "task_always_eager")}
    caches = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}
    }
    with override_settings(REDIS_URL=url, CACHES=caches, CELERY_TASK_ALWAYS_EAGER=False):
        app.conf.update(broker_url=url, result_backend=url, task_always_eager=False)
        _reset_connections(app)
        try:
            yield url
        finally:
            from organizations.outbox import delivery

            app.conf.update(saved)
            _reset_connections(app)
            # The broker is back: later publishes in this process must not be skipped by the
            # back-off the outage started (the next test would wait for a sweep instead).
            delivery._broker_down_until = 0.0
