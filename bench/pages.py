"""Every role's home and every list page against the floor: a view behind the same middleware
that does nothing else.

For each page: the server time (median of ``--repeat`` requests, in process through Django's
test client, no network), the statements it sends, and its ratio to the floor, whose requests
are interleaved with the page's so that both see the same machine (a shared machine's load
moves both alike). The floor exists only here: this module is a URLconf that adds it to the
product's (``config.urls``), so the product has no such page.

Each run's figures are kept in ``BENCH_PAGES_RESULTS`` (default a JSON file in /tmp) under
the organisation's number of learners; when runs at a small (≤ 100) and a large (≥ 5,000)
size are both there, the growth of every page is printed.

Goals (printed, not asserted): every page within 3× the floor; no page's time growing more
than 1.2× from 50 to 5,000 learners.

``make bench`` calls ``measure_pages_against_floor`` (bench/run.py), after adding a year of
coaching history (bench/scenarios.py ``add_coaching_history``). Alone, on a database already
seeded with ``seed_demo``::

    BENCH_DATABASE_URL=postgres://… .venv/bin/python bench/pages.py            # as it is
    BENCH_DATABASE_URL=postgres://… .venv/bin/python bench/pages.py --grow-to 5000

``--grow-to`` measures, bulk-adds learners to the demo organisation (bench/scenarios.py)
until it has that many, and measures again: both sizes in one run.
"""

from __future__ import annotations

import json
import os
import re
import statistics
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ORG = "acme"
FLOOR_NAME = "bench_floor"
RATIO_GOAL = 3.0
GROWTH_GOAL = 1.2
SMALL, LARGE = 100, 5000
# Requests of a page before it is timed, so that it is timed as a connection in service runs it:
# psycopg prepares a statement on its sixth run on a connection (``prepare_threshold``, settings)
# and PostgreSQL plans a prepared statement afresh for its first five executions before it
# settles on a plan it keeps (a generic plan, unless the custom ones are cheaper). A page's
# first ten runs on a connection pay planning (1-4 ms on the heaviest pages); a connection lives
# CONN_MAX_AGE seconds and serves a page many more times than that under load.
WARM_REQUESTS = 11


def floor(request: Any, org_slug: str) -> Any:
    """The floor: everything a signed-in page pays before its view, and nothing else."""
    from django.http import HttpResponse

    return HttpResponse(b"floor", content_type="text/plain")


def __getattr__(name: str) -> Any:
    """``urlpatterns`` of this URLconf, built on first use (after Django is set up): the
    product's, plus the floor."""
    if name != "urlpatterns":
        raise AttributeError(name)
    from django.urls import path

    import config.urls

    return [
        path("o/<slug:org_slug>/bench-floor/", floor, name=FLOOR_NAME),
        *config.urls.urlpatterns,
    ]


@dataclass
class PageFigure:
    name: str
    median_ms: float
    floor_ms: float
    statements: int
    queries: int

    @property
    def ratio(self) -> float:
        return self.median_ms / self.floor_ms


def _pages() -> list[tuple[str, str, str, dict[str, Any]]]:
    """(name, who, URL name, URL kwargs) of every role's home and every list page."""
    from bench.impact import team_manager_email
    from organizations.models import Membership, Organization
    from organizations.tenancy import tenant_context
    from pathways.models import Enrollment

    org = Organization.objects.get(slug=ORG)
    with tenant_context(org):
        learner = Membership.objects.get(user__email=f"learner@{ORG}.test")
        running = (
            Enrollment.objects.filter(learner=learner)
            .order_by("-cohort__start_date")
            .values_list("cohort_id", flat=True)
            .first()
        )
    admin, coach = f"admin@{ORG}.test", f"coach@{ORG}.test"
    learner_email, sponsor = f"learner@{ORG}.test", f"sponsor@{ORG}.test"
    pages: list[tuple[str, str, str, dict[str, Any]]] = [
        ("learner home", learner_email, "org_home", {}),
        ("review", learner_email, "review_session", {}),
        ("my growth", learner_email, "learner_growth", {}),
        ("learning history", learner_email, "learning_history", {}),
        ("coach home", coach, "coach_home", {}),
        ("coach sessions", coach, "coach_sessions", {}),
        ("sponsor home", sponsor, "org_home", {}),
        ("impact (sponsor)", sponsor, "sponsor_home", {}),
        ("admin home", admin, "org_home", {}),
        ("admin cohorts", admin, "cohort_list", {}),
        ("cohort detail", admin, "cohort_detail", {"cohort_id": running}),
        ("people", admin, "people_list", {}),
        ("teams", admin, "team_list", {}),
        ("projects", admin, "project_list", {}),
        ("360 cycles", admin, "feedback_cycles", {}),
        ("pathways", admin, "pathway_list", {}),
        ("engagements", admin, "engagement_list", {}),
        ("module library", admin, "module_library", {}),
        ("audit log", admin, "audit_log", {}),
        ("security events", admin, "organization_events", {}),
    ]
    manager = team_manager_email()
    if manager:
        pages.append(("my teams (manager)", manager, "team_dashboard", {}))
    return pages


def _statements(client: Any, url: str) -> tuple[int, int]:
    """All statements one request sends, and the data statements among them (counted as the
    tests count them: not the tenant ``set_config`` alone, nor transaction control)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    # A request first: the once-a-minute note of the browser's activity (two writes) falls on
    # it, not on the request counted.
    client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        client.get(url)
    sql = [q["sql"] for q in ctx.captured_queries]
    data = [
        s
        for s in sql
        if not re.match(r"select set_config\('app\.", s)
        and not re.match(r"(BEGIN|COMMIT|SAVEPOINT|RELEASE SAVEPOINT|ROLLBACK)\b", s)
    ]
    return len(sql), len(data)


def _interleaved(client: Any, url: str, floor_url: str, repeat: int) -> tuple[float, float]:
    """Median milliseconds of ``url`` and of the floor, requested in turn ``repeat`` times."""
    page_times, floor_times = [], []
    for _ in range(repeat):
        for target, times in ((floor_url, floor_times), (url, page_times)):
            t0 = time.perf_counter()
            response = client.get(target)
            times.append(time.perf_counter() - t0)
            if response.status_code != 200:
                raise RuntimeError(f"{target} answered {response.status_code}")
    return statistics.median(page_times) * 1000, statistics.median(floor_times) * 1000


def learner_count() -> int:
    from organizations.models import Membership, Organization
    from organizations.tenancy import tenant_context

    with tenant_context(Organization.objects.get(slug=ORG)):
        return Membership.objects.filter(is_learner=True, is_active=True).count()


def measure(repeat: int = 20, only: tuple[str, ...] = ()) -> list[PageFigure]:
    from django.test import Client, override_settings
    from django.urls import NoReverseMatch, reverse

    from organizations.models import User

    figures: list[PageFigure] = []
    clients: dict[str, Any] = {}
    with override_settings(ROOT_URLCONF="bench.pages"):
        floor_url = reverse(FLOOR_NAME, args=[ORG])
        for name, email, url_name, kwargs in _pages():
            if only and name not in only and name != "learner home":
                continue
            try:
                url = reverse(url_name, kwargs={"org_slug": ORG, **kwargs})
            except NoReverseMatch:
                print(f"  {name:<20} (no such page in this build)")
                continue
            if email not in clients:
                clients[email] = Client()
                clients[email].force_login(User.objects.get(email=email))
            client = clients[email]
            for _ in range(WARM_REQUESTS):  # templates, the session's last-seen time, plans
                client.get(url)
            client.get(floor_url)
            try:
                page_ms, floor_ms = _interleaved(client, url, floor_url, repeat)
            except RuntimeError as refused:
                print(f"  {name:<20} {refused}")
                continue
            statements, queries = _statements(client, url)
            figures.append(PageFigure(name, page_ms, floor_ms, statements, queries))
        floor_statements, floor_queries = _statements(clients[f"learner@{ORG}.test"], floor_url)
    floor_ms = statistics.median(f.floor_ms for f in figures)
    print(
        f"  {'floor':<20} {floor_ms:7.2f} ms  {floor_statements:3d} statements "
        f"({floor_queries} queries)   (median over all pages' interleaved floor requests)"
    )
    print(f"  {'page':<20} {'median':>7}      {'stmts':>5} {'queries':>7}  {'× floor':>7}  goal")
    for f in figures:
        verdict = "ok" if f.ratio <= RATIO_GOAL else f"over {RATIO_GOAL:g}×"
        print(
            f"  {f.name:<20} {f.median_ms:7.2f} ms  {f.statements:5d} {f.queries:7d}  "
            f"{f.ratio:6.1f}×  {verdict}"
        )
    return figures


def _results_file() -> Path:
    from django.db import connection

    default = f"/tmp/pathwise-bench-pages-{connection.vendor}.json"
    return Path(os.environ.get("BENCH_PAGES_RESULTS", default))


def _record(learners: int, figures: list[PageFigure]) -> dict[str, Any]:
    results_path = _results_file()
    try:
        results = json.loads(results_path.read_text())
    except (OSError, ValueError):
        results = {}
    results[str(learners)] = {f.name: asdict(f) for f in figures}
    results_path.write_text(json.dumps(results, indent=1))
    return results  # type: ignore[no-any-return]


def print_growth(results: dict[str, Any]) -> None:
    """Each page's time at the largest size against the smallest, raw and relative to the floor
    of its own run (which cancels a machine that was busier in one run than the other)."""
    sizes = sorted(int(n) for n in results)
    small = [n for n in sizes if n <= SMALL]
    large = [n for n in sizes if n >= LARGE]
    if not small or not large:
        have = ", ".join(str(n) for n in sizes) or "none"
        print(
            f"  growth: needs a run at ≤ {SMALL} and one at ≥ {LARGE:,} learners "
            f"(runs kept in {_results_file()}: {have})"
        )
        return
    a, b = results[str(small[0])], results[str(large[-1])]
    print(f"growth from {small[0]} to {large[-1]:,} learners (goal ≤ {GROWTH_GOAL:g}×):")
    print(
        f"  {'page':<20} {'small':>8} {'large':>9}  {'time':>6}  {'× floor':>7}  stmts  "
        "goal (on × floor)"
    )
    for name, big in b.items():
        if name not in a:
            continue
        was = a[name]
        raw = big["median_ms"] / was["median_ms"]
        relative = (big["median_ms"] / big["floor_ms"]) / (was["median_ms"] / was["floor_ms"])
        # Judged on the floor-relative growth: the raw one also carries the machine's load.
        verdict = "ok" if relative <= GROWTH_GOAL else f"over {GROWTH_GOAL:g}×"
        print(
            f"  {name:<20} {was['median_ms']:6.2f}ms {big['median_ms']:7.2f}ms  {raw:5.2f}×  "
            f"{relative:6.2f}×  {was['statements']:2d}→{big['statements']:<2d} {verdict}"
        )


def measure_pages_against_floor(repeat: int = 20, only: tuple[str, ...] = ()) -> list[PageFigure]:
    """Measure, print, keep this run's figures and print the growth when both sizes are kept."""
    learners = learner_count()
    print(f"pages against the floor ({ORG}: {learners:,} learners; median of {repeat}):")
    figures = measure(repeat, only)
    print_growth(_record(learners, figures))
    return figures


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument(
        "--grow-to", type=int, default=None, help="then bulk-add learners to this many, again"
    )
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        metavar="PAGE",
        help="measure only this page (its printed name; repeatable) and the learner home",
    )
    args = parser.parse_args()
    url = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("DATABASE_URL")
    if not url:
        raise SystemExit("bench/pages.py: set BENCH_DATABASE_URL to a seeded database.")
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_DEBUG", "0")
    os.environ.setdefault("DJANGO_SECRET_KEY", "pathwise-bench-only")
    os.environ.setdefault("DJANGO_HTTPS", "0")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ["REDIS_URL"] = ""
    os.environ["LOG_LEVEL"] = "WARNING"

    import django

    django.setup()
    from django.conf import settings

    settings.ALLOWED_HOSTS = ["testserver"]
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    only = tuple(args.only)
    measure_pages_against_floor(args.repeat, only)
    if args.grow_to:
        from django.db import connection

        from bench.scenarios import add_learners

        more = args.grow_to - learner_count()
        if more > 0:
            add_learners(more)
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("ANALYZE")
        measure_pages_against_floor(args.repeat, only)


if __name__ == "__main__":
    main()
