"""A worker killed with SIGKILL in the middle of a roll-up: a second worker does the roll-up
within the broker's visibility timeout (seconds here, minutes in production), not an hour
later. Real Redis, real worker processes, the real PostgreSQL test database."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from measurement import services
from measurement.models import LearnerProgressRollup
from organizations.models import Team
from organizations.outbox.models import OutboxEntry
from organizations.tenancy import tenant_context
from pathways.models import StepCompletion
from tests.conftest import enroll, make_member, make_pathway

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL (real Redis)"),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="worker processes share the test database: PostgreSQL, not SQLite in memory",
    ),
]

# Seconds a taken task may stay unacknowledged before Redis hands it to another worker.
VISIBILITY_TIMEOUT = 5
# Start-up of a worker process on a busy machine, one restore cycle (10 s), the timeout.
BOUND = 120


def _database_url() -> str:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"


def _start_worker(name: str, logs: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT),
        "DJANGO_SECRET_KEY": "worker-test-only",
        "PATHWISE_TESTING": "0",
        "DJANGO_DEBUG": "0",
    }
    command = [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo"]
    command += [f"--hostname={name}@%h", "--without-gossip", "--without-mingle", "-l", "INFO"]
    log = open(logs / f"worker-{name}.log", "wb")  # noqa: SIM115 (the process writes it)
    return subprocess.Popen(
        command,
        cwd=settings.BASE_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: killed whole, children included
    )


def _kill(worker: subprocess.Popen[bytes]) -> None:
    if worker.poll() is None:
        os.killpg(worker.pid, signal.SIGKILL)
    worker.wait(timeout=30)


def _empty_queues() -> None:
    """Nothing left in this Redis database by an earlier run: the queue and the unacked set."""
    import redis

    client = redis.Redis.from_url(os.environ["REDIS_URL"])
    client.delete("celery", "unacked", "unacked_index", "unacked_mutex")


def _wait_until_blocked(pattern: str) -> None:
    """Until another session waits on a lock this one holds, running ``pattern``."""
    deadline = time.monotonic() + BOUND
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute("select pg_stat_clear_snapshot()")
            cursor.execute(
                "select count(*) from pg_stat_activity "
                "where pg_backend_pid() = any(pg_blocking_pids(pid)) and query ilike %s",
                [f"%{pattern}%"],
            )
            if cursor.fetchone()[0]:
                return
        time.sleep(0.2)
    raise AssertionError("the first worker never took the roll-up")


def test_a_second_worker_does_the_rollup_a_killed_worker_took(org_a, tmp_path):
    from config.celery import app
    from organizations.outbox.tasks import deliver_followup

    fixture = make_pathway(org_a)
    with tenant_context(org_a):
        team = Team.objects.create(name="Alpha")
    learner = make_member(org_a, "lea@acme.example", team=team, is_learner=True)
    enrollment = enroll(org_a, fixture, learner)
    with tenant_context(org_a):
        StepCompletion.objects.create(
            enrollment=enrollment, learner=learner, step_key=fixture.steps[0].key
        )
        # The row a fact records (its on-commit delivery is sent by the test below).
        entry = OutboxEntry.objects.create(handler=services.ROLLUP_HANDLER, args=[learner.pk])
    _empty_queues()
    workers = []
    app.conf.task_always_eager = False
    try:
        workers.append(_start_worker("first", tmp_path))
        with tenant_context(org_a):
            # Hold the roll-up's outbox row: the first worker takes the task (unacknowledged,
            # acks late) and waits for this lock inside it, mid-task.
            OutboxEntry.objects.select_for_update().get(pk=entry.pk)
            deliver_followup.apply_async((org_a.pk, entry.pk))
            _wait_until_blocked("outbox_outboxentry")
            _kill(workers[0])
        killed_at = time.monotonic()
        assert workers[0].returncode == -signal.SIGKILL
        with tenant_context(org_a):
            entry.refresh_from_db()
            assert entry.done_at is None  # the killed worker wrote nothing
            assert not LearnerProgressRollup.objects.exists()

        workers.append(_start_worker("second", tmp_path))
        done = None
        while time.monotonic() - killed_at < BOUND and done is None:
            time.sleep(0.5)
            with tenant_context(org_a):
                done = OutboxEntry.objects.get(pk=entry.pk).done_at
        took = time.monotonic() - killed_at
    finally:
        app.conf.task_always_eager = True
        for worker in workers:
            _kill(worker)
    logs = "".join(p.read_text(errors="replace")[-3000:] for p in sorted(tmp_path.glob("*.log")))
    assert done is not None, f"no worker did the roll-up within {BOUND} s of the kill:\n{logs}"
    print(f"roll-up redelivered and done {took:.1f} s after the kill")
    with tenant_context(org_a):
        row = LearnerProgressRollup.objects.get(enrollment=enrollment)
        assert (row.steps_done, row.steps_total) == (1, 4)
        assert OutboxEntry.objects.get(pk=entry.pk).attempts == 1
