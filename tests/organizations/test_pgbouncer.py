"""The tenant setting behind PgBouncer in transaction pooling mode, on ONE server connection.

Run with ``PGBOUNCER_URL`` (CI's pooling step, README: CI): every connection of the run then goes
through PgBouncer (tests/pgbouncer.py), whose pool for the test database has a single PostgreSQL
backend. Two organisations' requests take turns on that backend; each must only ever see its own
rows, and a transaction must never start with the other organisation's ``app.org_id`` or
``app.user_id`` still set. Without ``PGBOUNCER_URL`` these tests skip, unless
``PATHWISE_REQUIRE_PGBOUNCER=1`` (CI) makes that a failure.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import psycopg
import pytest
from django.db import connection, connections, transaction
from django.test import Client

from organizations.models import Organization, Team
from organizations.tenancy import tenant_context
from tests.conftest import make_member
from tests.pgbouncer import PGBOUNCER_URL, REQUIRED, pgbouncer_address

pytestmark = pytest.mark.django_db(transaction=True)  # other connections see the rows

ROUNDS = 25
SETTINGS_SQL = (
    "select current_setting('app.org_id', true), current_setting('app.user_id', true), "
    "pg_backend_pid()"
)


@pytest.fixture(autouse=True)
def _needs_pgbouncer() -> None:
    if not PGBOUNCER_URL:
        message = (
            "PGBOUNCER_URL is unset: these tests need PgBouncer in transaction pooling mode "
            "(README: CI, the pooling step)"
        )
        if REQUIRED:
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture
def console() -> Iterator[Callable[[str], list[dict[str, Any]]]]:
    """PgBouncer's console (SHOW commands) as rows of dicts."""
    host, port, user = pgbouncer_address()
    with psycopg.connect(
        host=host, port=port, user=user, dbname="pgbouncer", autocommit=True
    ) as conn:

        def show(command: str) -> list[dict[str, Any]]:
            cursor = conn.execute(command)
            names = [column.name for column in cursor.description or []]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

        yield show


def _pool(show: Callable[[str], list[dict[str, Any]]]) -> dict[str, Any]:
    settings = connection.settings_dict
    (pool,) = [
        p
        for p in show("SHOW POOLS")
        if (p["database"], p["user"]) == (settings["NAME"], settings["USER"])
    ]
    return pool


def _blank(value: str | None) -> bool:
    """An unset custom setting reads NULL before the session first sets it, '' afterwards."""
    return value in (None, "")


def _in_thread(work: Callable[[], Any]) -> tuple[threading.Thread, list[Any]]:
    """Run ``work`` on its own thread (so its own Django connection); keeps result or error."""
    outcome: list[Any] = []

    def run() -> None:
        try:
            outcome.append(work())
        except BaseException as exc:  # reported by the test, not lost in the thread
            outcome.append(exc)
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


def _result(thread: threading.Thread, outcome: list[Any]) -> Any:
    thread.join(60)
    assert not thread.is_alive(), "a request never got the server connection"
    (result,) = outcome
    if isinstance(result, BaseException):
        raise result
    return result


@pytest.fixture
def two_orgs() -> dict[str, Any]:
    orgs = {}
    for prefix, name in (("a", "Acme"), ("b", "Globex")):
        org = Organization.objects.create(name=name, slug=f"{name.lower()}-pool")
        member = make_member(org, f"admin@{prefix}.example", is_admin=True)
        with tenant_context(org):
            for i in range(3):
                Team.objects.create(name=f"{name} team {i}")
        orgs[prefix] = (org, member)
    return orgs


def test_it_runs_through_pgbouncer_in_transaction_mode_with_one_server_connection(console):
    config = {row["key"]: row["value"] for row in console("SHOW CONFIG")}
    assert (config["pool_mode"], config["default_pool_size"]) == ("transaction", "1")
    assert connection.settings_dict["PORT"] == str(pgbouncer_address()[1])
    with connection.cursor() as cursor:
        cursor.execute("select 1")
    assert _pool(console)["pool_mode"] == "transaction"
    assert connection.settings_dict["DISABLE_SERVER_SIDE_CURSORS"] is True


def test_two_organisations_interleaved_on_one_server_connection_see_only_their_own_rows(
    two_orgs,
):
    barrier = threading.Barrier(2, timeout=60)
    order: list[str] = []
    order_lock = threading.Lock()

    def requests(prefix: str) -> dict[str, Any]:
        org, member = two_orgs[prefix]
        seen: dict[str, Any] = {"pids": set(), "orgs": set(), "names": set(), "leaks": []}
        for i in range(ROUNDS):
            barrier.wait()  # both contend for the one server connection in every round
            with transaction.atomic(), connection.cursor() as cursor:  # a request begins
                cursor.execute(SETTINGS_SQL)
                org_id, user_id, pid = cursor.fetchone()
                if not (_blank(org_id) and _blank(user_id)):
                    seen["leaks"].append(("at start", i, org_id, user_id))
                seen["pids"].add(pid)
            with tenant_context(org, user_id=member.user_id):
                with order_lock:
                    order.append(prefix)
                with connection.cursor() as cursor:
                    cursor.execute(SETTINGS_SQL)
                    org_id, user_id, pid = cursor.fetchone()
                    if (org_id, user_id) != (str(org.pk), str(member.user_id)):
                        seen["leaks"].append(("inside", i, org_id, user_id))
                    seen["pids"].add(pid)
                    # The database wall alone, without the scoped manager's filter.
                    cursor.execute("select distinct organization_id from organizations_team")
                    seen["orgs"].update(row[0] for row in cursor.fetchall())
                Team.objects.create(name=f"{org.name} round {i}")
                seen["names"].update(Team.objects.values_list("name", flat=True))
            with connection.cursor() as cursor:  # autocommit: its own transaction
                cursor.execute(SETTINGS_SQL)
                org_id, user_id, pid = cursor.fetchone()
                if not (_blank(org_id) and _blank(user_id)):
                    seen["leaks"].append(("after", i, org_id, user_id))
                seen["pids"].add(pid)
        return seen

    a = _in_thread(lambda: requests("a"))
    b = _in_thread(lambda: requests("b"))
    seen_a, seen_b = _result(*a), _result(*b)

    for seen, (org, _member) in ((seen_a, two_orgs["a"]), (seen_b, two_orgs["b"])):
        assert seen["leaks"] == []
        assert seen["orgs"] == {org.pk}
        assert all(name.startswith(org.name) for name in seen["names"])
        assert f"{org.name} round {ROUNDS - 1}" in seen["names"]
    # One PostgreSQL backend served both organisations, and their transactions alternated.
    assert len(seen_a["pids"] | seen_b["pids"]) == 1
    switches = sum(1 for x, y in zip(order, order[1:], strict=False) if x != y)
    assert sorted(order) == ["a"] * ROUNDS + ["b"] * ROUNDS and switches >= ROUNDS


@pytest.mark.parametrize("ending", ["commit", "rollback"])
def test_a_waiting_request_gets_the_server_connection_without_the_previous_tenant(
    two_orgs, console, ending
):
    (org_a, member_a), (org_b, _member_b) = two_orgs["a"], two_orgs["b"]
    holding, release = threading.Event(), threading.Event()

    class Abandon(Exception):
        pass

    def request_a() -> int:
        try:
            with tenant_context(org_a, user_id=member_a.user_id), connection.cursor() as cursor:
                cursor.execute("select pg_backend_pid()")
                (pid,) = cursor.fetchone()
                Team.objects.create(name="Acme secret team")
                holding.set()
                release.wait(30)
                if ending == "rollback":
                    raise Abandon
        except Abandon:
            pass
        return pid

    def request_b() -> tuple[Any, ...]:
        with transaction.atomic(), connection.cursor() as cursor:
            # Its first statement: no tenant yet, so the database wall must show nothing.
            cursor.execute(SETTINGS_SQL + ", (select count(*) from organizations_team)")
            before = cursor.fetchone()
        with tenant_context(org_b):
            names = set(Team.objects.values_list("name", flat=True))
        return (*before, names)

    a = _in_thread(request_a)
    assert holding.wait(30)
    b = _in_thread(request_b)
    # Let A finish only once B is queued for the one server connection A holds.
    deadline = time.monotonic() + 30
    while _pool(console)["cl_waiting"] < 1 and time.monotonic() < deadline:
        time.sleep(0.01)
    waiting = _pool(console)["cl_waiting"]
    release.set()
    pid_a = _result(*a)
    org_id, user_id, pid_b, visible_teams, names_b = _result(*b)

    assert waiting == 1
    assert pid_b == pid_a  # the same backend, handed from A to B
    assert _blank(org_id) and _blank(user_id) and visible_teams == 0
    assert names_b == {"Globex team 0", "Globex team 1", "Globex team 2"}
    with tenant_context(org_a):
        kept = Team.objects.filter(name="Acme secret team").exists()
    assert kept is (ending == "commit")


def test_interleaved_api_requests_of_two_organisations_see_only_their_own_teams(two_orgs):
    barrier = threading.Barrier(2, timeout=60)

    def requests(prefix: str) -> list[str]:
        org, member = two_orgs[prefix]
        client = Client()
        client.force_login(member.user)
        url = f"/api/v1/orgs/{org.slug}/teams/"
        seen: list[str] = []
        for i in range(10):
            barrier.wait()
            created = client.post(url, {"name": f"{org.name} api {i}"}, "application/json")
            assert created.status_code == 201, created.content
            listed = client.get(url)
            assert listed.status_code == 200, listed.content
            seen.extend(team["name"] for team in listed.json()["results"])
        return seen

    a = _in_thread(lambda: requests("a"))
    b = _in_thread(lambda: requests("b"))
    seen_a, seen_b = _result(*a), _result(*b)
    assert seen_a and all(name.startswith("Acme") for name in seen_a)
    assert seen_b and all(name.startswith("Globex") for name in seen_b)
    assert "Acme api 9" in seen_a and "Globex api 9" in seen_b


def test_a_session_level_setting_would_leak_to_the_other_organisation(two_orgs):
    """Why the tenant is set transaction-locally: the pool hands a session's leftovers on."""
    org_a = two_orgs["a"][0]
    other = connections.create_connection("default")  # a second client of the same pool
    try:
        with connection.cursor() as cursor:
            cursor.execute("select set_config('app.org_id', %s, false)", [str(org_a.pk)])
        with other.cursor() as cursor:
            cursor.execute(
                "select current_setting('app.org_id', true), "
                "(select count(*) from organizations_team)"
            )
            leaked = cursor.fetchone()
    finally:
        with connection.cursor() as cursor:
            cursor.execute("select set_config('app.org_id', '', false)")
        other.close()
    assert leaked == (str(org_a.pk), 3)
