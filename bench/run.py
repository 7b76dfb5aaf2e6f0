"""Pathwise benchmarks: ``make bench`` (or ``.venv/bin/python bench/run.py``).

Seeds both demo organisations with ``seed_demo --learners 5000`` (``--learners``: 5,000 learners
per organisation, their 360s, pulses, practice and progress; the hand-made few through the
services, the rest bulk-inserted) and adds 200 modules (``--modules``), gives the demo learner a
review card for every module's retrieval items and the demo organisation four held coaching
sessions a learner over the past year (``--sessions-per-learner``), then measures the server
time (median and p95 over ``--repeat`` requests, in process through Django's test client, one
core) and the query count of the learner home, the review page, the sponsor home and the admin's
programme health; the organisation's progress roll-up and the one-learner roll-up a completed
step queues against the bare SQL of the same figures (bench/rollup.py); then the impact, team
and growth roll-ups against the bare SQL aggregates of their facts (bench/impact.py), the query
count of every impact dashboard, and every role's pages against a floor behind the same
middleware (bench/pages.py). Uses its own database: ``BENCH_DATABASE_URL`` (e.g. a PostgreSQL
URL for a non-superuser role), else a SQLite file in /tmp. ``--no-seed`` measures a database
already migrated and seeded; ``--seed-learners N`` seeds N learners with seed_demo and bulk-adds
the rest to the demo organisation's running cohort only (no 360, a quicker and thinner data
set)."""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=5000)
    parser.add_argument("--modules", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=60)
    parser.add_argument("--units", type=int, default=1000, help="business units for impact")
    parser.add_argument(
        "--sessions-per-learner",
        type=int,
        default=4,
        help="held coaching sessions a learner in the demo organisation's past year",
    )
    parser.add_argument(
        "--no-seed", action="store_true", help="use the database as it is: no migrate, no seed"
    )
    parser.add_argument(
        "--seed-learners",
        type=int,
        default=None,
        help="seed_demo with this many learners, then bulk-add the rest of --learners to the "
        "demo organisation's running cohort (default: seed_demo with all of them)",
    )
    args = parser.parse_args()

    url = os.environ.get("BENCH_DATABASE_URL", "sqlite:////tmp/pathwise-bench.sqlite3")
    if url.startswith("sqlite:////") and not args.no_seed:
        Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_DEBUG", "0")
    os.environ.setdefault("DJANGO_SECRET_KEY", "pathwise-bench-only")
    os.environ.setdefault("DJANGO_HTTPS", "0")  # the in-process client speaks plain http
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ["REDIS_URL"] = ""
    os.environ["LOG_LEVEL"] = "WARNING"

    import django

    django.setup()
    from django.conf import settings

    settings.ALLOWED_HOSTS = ["testserver"]
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Pages as the product renders them, minus the hashed-name manifest, which only exists
    # after collectstatic (not part of the benchmark).
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    from django.core.management import call_command

    print(f"database: {settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}")
    if not args.no_seed:
        t0 = time.perf_counter()
        call_command("migrate", verbosity=0)
        print(f"migrate: {time.perf_counter() - t0:.1f} s")
        t0 = time.perf_counter()
        seeded = min(args.learners, args.seed_learners or args.learners)
        with open(os.devnull, "w") as quiet:
            call_command("seed_demo", "--learners", str(seeded), stdout=quiet)
        print(
            f"seed_demo --learners {seeded} (2 organisations, {seeded:,} learners each): "
            f"{time.perf_counter() - t0:.1f} s"
        )
        if seeded < args.learners:
            from bench.scenarios import add_learners

            add_learners(args.learners - seeded)

    from django.db import connection

    from bench.impact import (
        add_business_units,
        measure_dashboards,
        measure_growth_rollup,
        measure_impact_rollup,
        measure_team_rollup,
    )
    from bench.rollup import measure_progress_rollup
    from bench.scenarios import add_coaching_history, add_library_and_cards, measure_pages

    add_library_and_cards(args.modules)
    if not args.no_seed:
        add_coaching_history(args.sessions_per_learner * args.learners)
    values = add_business_units(args.units)
    if connection.vendor == "postgresql":
        # Fresh statistics after the bulk loads, as autovacuum's analyze gives a live database
        # (without them the planner takes the new tables for empty: nested loops over 72,000
        # metric values).
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    measure_progress_rollup()
    measure_impact_rollup(values)
    measure_team_rollup()
    measure_growth_rollup()
    measure_dashboards(min(args.repeat, 20))
    measure_pages(args.repeat)
    from bench.pages import measure_pages_against_floor

    measure_pages_against_floor()


def summarise(name: str, timings: list[float], queries: int) -> None:
    timings_ms = sorted(t * 1000 for t in timings)
    p95 = timings_ms[max(0, int(round(0.95 * len(timings_ms))) - 1)]
    print(
        f"{name:<22} median {statistics.median(timings_ms):7.1f} ms   p95 {p95:7.1f} ms   "
        f"queries {queries:3d}   (n={len(timings_ms)})"
    )


if __name__ == "__main__":
    main()
