"""``make load``: gunicorn against the bench data, and a bounded Locust profile on loopback.

1. Collects static files and starts gunicorn on 127.0.0.1 (``--workers``, default one sync
   worker per core: CPU-bound here, PostgreSQL answers from memory). ``--worker-class gthread
   --threads N --keep-alive S`` tries threaded workers; on the shared 2-core machine they did
   worse (closed loop 19.5 against 34.5 requests/s for 2 sync workers, p99 9.5 s).
2. Signs people in once, through Django's own ``login()`` (the sign-in hook records their
   session and a security event, as for any sign-in), without the password form: the form's
   deliberate password-hash cost (PBKDF2, a few hundred ms a sign-in) is not what is measured.
   Each Locust user then sends its own session cookie through the full middleware.
3. Warms every page up (``--warm`` requests each, one after another, so that each worker has
   loaded its templates and planned its statements once): the first request of a page in a
   fresh worker costs tens of times a warm one, and a measurement that starts cold reports
   that start-up in its slowest percent.
4. Runs Locust headless, each phase bounded in time: ``--closed-users`` (16) learners on their
   home page with no think time for ``--closed-seconds`` (30), then ``--mixed-users`` (50)
   people at 1 s think time mixing learner home, review, coach home, sponsor home and two admin
   lists for ``--mixed-seconds`` (60). The mix's people arrive over ``--ramp`` seconds (5), as
   people do, not all in the same millisecond, and its figures are counted once they all have
   (Locust's ``--reset-stats``): 50 first requests at one instant queue behind the workers
   and, with a constant think time, come back together every second after.
5. Prints a table per phase and page, with the goals (printed, not asserted): closed loop
   ≥ 200 requests/s on 2 cores; the mix p95 ≤ 50 ms, p99 ≤ 150 ms, no errors.

Needs ``BENCH_DATABASE_URL`` (PostgreSQL, seeded by ``seed_demo``; bench/pages.py
``--grow-to`` adds learners) and Locust (the dev extras; ``LOCUST`` names another binary).
Traffic goes to 127.0.0.1 only; gunicorn is stopped at the end whatever happens.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BIN = Path(sys.executable).parent
ORG = "acme"

CLOSED_GOAL_RPS = 200.0
P95_GOAL_MS, P99_GOAL_MS = 50.0, 150.0


def _environment(url: str) -> dict[str, str]:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": os.environ.get("DJANGO_SECRET_KEY", "pathwise-bench-only"),
        "DJANGO_HTTPS": "0",
        "DJANGO_SECURE_COOKIES": "0",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "REDIS_URL": "",
        "LOG_LEVEL": "WARNING",
    }
    return env


def _sign_in(env: dict[str, str], learners: int, others: int) -> dict[str, list[str]]:
    """Session keys per role: ``learners`` distinct learners, and ``others`` browsers each for
    the demo coach, sponsor and admin."""
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.test import Client

    from organizations.models import Membership, Organization, User
    from organizations.tenancy import tenant_context

    settings.ALLOWED_HOSTS = ["testserver"]
    org = Organization.objects.get(slug=ORG)
    with tenant_context(org):
        # Learners with an enrolment, the demo learner first (the one with the most history).
        emails = list(
            Membership.objects.filter(is_learner=True, is_active=True, enrollments__isnull=False)
            .order_by("pk")
            .values_list("user__email", flat=True)
            .distinct()[: learners * 4]
        )
    emails = sorted(set(emails), key=lambda e: (e != f"learner@{ORG}.test", e))[:learners]
    people = {
        "learner": emails,
        "coach": [f"coach@{ORG}.test"] * others,
        "sponsor": [f"sponsor@{ORG}.test"] * others,
        "admin": [f"admin@{ORG}.test"] * others,
    }
    sessions: dict[str, list[str]] = {}
    for role, addresses in people.items():
        sessions[role] = []
        for email in addresses:
            browser = Client()
            browser.force_login(User.objects.get(email=email))
            sessions[role].append(browser.cookies[settings.SESSION_COOKIE_NAME].value)
    return sessions


def _wait_until_up(port: int, server: subprocess.Popen[bytes], seconds: float = 180) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"make load: gunicorn exited with {server.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"make load: gunicorn did not answer on 127.0.0.1:{port} in {seconds:.0f} s")


def _locust(
    env: dict[str, str],
    out: Path,
    phase: str,
    classes: list[str],
    users: int,
    seconds: int,
    think: float,
    port: int,
    ramp: float = 0,
) -> list[dict[str, Any]]:
    locust = os.environ.get("LOCUST") or str(BIN / "locust")
    prefix = out / phase
    command = [
        locust,
        "-f",
        str(ROOT / "bench" / "locustfile.py"),
        "--headless",
        "--host",
        f"http://127.0.0.1:{port}",
        "--users",
        str(users),
        "--spawn-rate",
        str(users / ramp if ramp > 0 else users),
        "--run-time",
        f"{seconds + math.ceil(ramp)}s",
        "--reset-stats",
        "--stop-timeout",
        "5",
        "--csv",
        str(prefix),
        "--only-summary",
        "--loglevel",
        "WARNING",
        *classes,
    ]
    run_env = {**env, "LOAD_THINK": str(think)}
    # Bounded twice: Locust's own --run-time, and a hard limit here.
    with open(f"{prefix}.log", "w") as log:
        subprocess.run(
            command,
            env=run_env,
            check=False,
            timeout=seconds + ramp + 60,
            stdout=log,
            stderr=log,
        )
    try:
        with open(f"{prefix}_stats.csv", newline="") as stats:
            return list(csv.DictReader(stats))
    except OSError:
        tail = Path(f"{prefix}.log").read_text()[-2000:]
        raise SystemExit(f"make load: Locust wrote no figures for {phase}:\n{tail}") from None


# The pages of bench/locustfile.py, by role.
PAGES = {
    "learner": ["", "practice/"],
    "coach": ["coaching/"],
    "sponsor": [""],
    "admin": ["cohorts/", "people/"],
}


def _warm_up(port: int, sessions: dict[str, list[str]], requests: int) -> None:
    """Each page of the profile ``requests`` times in turn, as its role."""
    for role, paths in PAGES.items():
        cookie = f"sessionid={sessions[role][0]}"
        for path in paths:
            for _ in range(requests):
                request = urllib.request.Request(
                    f"http://127.0.0.1:{port}/o/{ORG}/{path}", headers={"Cookie": cookie}
                )
                with urllib.request.urlopen(request, timeout=30) as response:
                    response.read()


def _row(rows: list[dict[str, Any]], name: str) -> dict[str, Any] | None:
    return next((r for r in rows if r["Name"] == name), None)


def _print_phase(title: str, rows: list[dict[str, Any]]) -> None:
    print(title)
    print(
        f"  {'page':<16} {'requests':>8} {'errors':>6} {'req/s':>7} "
        f"{'p50':>6} {'p95':>6} {'p99':>6} {'max':>6}  (ms)"
    )
    for row in rows:
        name = "all" if row["Name"] == "Aggregated" else row["Name"]
        print(
            f"  {name:<16} {int(row['Request Count']):8d} {int(row['Failure Count']):6d} "
            f"{float(row['Requests/s']):7.1f} {row['50%']:>6} {row['95%']:>6} "
            f"{row['99%']:>6} {float(row['Max Response Time']):6.0f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8123)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--worker-class", default="sync", choices=["sync", "gthread"])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--keep-alive", type=int, default=5, help="seconds (gthread only)")
    parser.add_argument("--closed-users", type=int, default=16)
    parser.add_argument("--closed-seconds", type=int, default=30)
    parser.add_argument("--mixed-users", type=int, default=50)
    parser.add_argument("--mixed-seconds", type=int, default=60)
    parser.add_argument("--ramp", type=float, default=5, help="seconds for the mix to arrive")
    parser.add_argument(
        "--warm", type=int, default=None, help="warm-up requests per page (4 per worker)"
    )
    args = parser.parse_args()

    url = os.environ.get("BENCH_DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        raise SystemExit(
            "make load: set BENCH_DATABASE_URL to a PostgreSQL database seeded with seed_demo."
        )
    locust = os.environ.get("LOCUST") or str(BIN / "locust")
    if shutil.which(locust) is None:
        raise SystemExit("make load: Locust is missing; `make venv` installs the dev extras.")
    env = _environment(url)
    subprocess.run(
        [str(BIN / "python"), "manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    sessions = _sign_in(env, learners=args.closed_users + args.mixed_users, others=4)
    env["LOAD_SESSIONS"] = json.dumps(sessions)
    env["LOAD_ORG"] = ORG
    server = subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            "config.wsgi",
            "--bind",
            f"127.0.0.1:{args.port}",
            "--workers",
            str(args.workers),
            "--worker-class",
            args.worker_class,
            "--threads",
            str(args.threads),
            "--keep-alive",
            str(args.keep_alive),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        _wait_until_up(args.port, server)
        from organizations.models import Membership, Organization
        from organizations.tenancy import tenant_context

        with tenant_context(Organization.objects.get(slug=ORG)):
            learners = Membership.objects.filter(is_learner=True, is_active=True).count()
        print(
            f"load: gunicorn, {args.workers} {args.worker_class} workers × {args.threads} "
            f"threads on {os.cpu_count()} cores; "
            f"{ORG} has {learners:,} learners; Locust on the same machine, 127.0.0.1"
        )
        warm = args.warm if args.warm is not None else 4 * args.workers
        _warm_up(args.port, sessions, warm)
        print(f"warm-up: {warm} requests per page, not counted")
        with tempfile.TemporaryDirectory(prefix="pathwise-load-") as tmp:
            out = Path(tmp)
            closed = _locust(
                env,
                out,
                "closed",
                ["LearnerHome"],
                args.closed_users,
                args.closed_seconds,
                0,
                args.port,
            )
            mixed = _locust(
                env,
                out,
                "mixed",
                ["Learner", "Coach", "Sponsor", "Admin"],
                args.mixed_users,
                args.mixed_seconds,
                1,
                args.port,
                ramp=args.ramp,
            )
        _print_phase(
            f"closed loop: {args.closed_users} learners, no think time, {args.closed_seconds} s",
            closed,
        )
        total = _row(closed, "Aggregated")
        if total is not None:
            rps = float(total["Requests/s"])
            verdict = "ok" if rps >= CLOSED_GOAL_RPS else "below"
            print(f"  goal ≥ {CLOSED_GOAL_RPS:.0f} requests/s on 2 cores: {rps:.1f} ({verdict})")
        _print_phase(
            f"mix: {args.mixed_users} people arriving over {args.ramp:g} s, 1 s think time, "
            f"{args.mixed_seconds} s counted",
            mixed,
        )
        total = _row(mixed, "Aggregated")
        if total is not None:
            p95, p99 = float(total["95%"]), float(total["99%"])
            errors = int(total["Failure Count"])
            verdict = (
                "ok" if p95 <= P95_GOAL_MS and p99 <= P99_GOAL_MS and errors == 0 else "missed"
            )
            print(
                f"  goal p95 ≤ {P95_GOAL_MS:.0f} ms, p99 ≤ {P99_GOAL_MS:.0f} ms, 0 errors: "
                f"p95 {p95:.0f} ms, p99 {p99:.0f} ms, {errors} errors ({verdict})"
            )
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()


if __name__ == "__main__":
    main()
