"""A direct PostgreSQL connection keeps the statements it repeats prepared (config/settings.py,
``DATABASE_PREPARED_STATEMENTS``): from the fifth time a page's statement is sent on a
connection, PostgreSQL runs it without planning it again. Behind PgBouncer in transaction mode
(``DATABASE_TRANSACTION_POOLING``; tests/pgbouncer.py, CI's pooling step runs this file too), a
statement prepared on one server connection would be looked for on another: none is prepared.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client

from organizations.models import Organization
from tests.conftest import make_member
from tests.pgbouncer import PGBOUNCER_URL

pytestmark = pytest.mark.django_db


def _prepared() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("select statement from pg_prepared_statements")
        return {row[0] for row in cursor.fetchall()}


@pytest.fixture(autouse=True)
def _needs_postgresql() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("prepared statements are PostgreSQL's")


def test_a_statement_repeated_on_a_connection_is_prepared_unless_pooled() -> None:
    sql = "select count(*) from organizations_organization where id > %s"
    for n in range(6):
        with connection.cursor() as cursor:
            cursor.execute(sql, [n])
            assert cursor.fetchone() == (0,)
    prepared = [text for text in _prepared() if "organizations_organization where id >" in text]
    if PGBOUNCER_URL:
        assert prepared == []
    else:
        # Bound on the server: the text PostgreSQL keeps has a placeholder, not the value.
        assert prepared == ["select count(*) from organizations_organization where id > $1"]


def test_a_page_asked_for_again_runs_prepared_statements_with_the_same_answer() -> None:
    org = Organization.objects.create(name="Prepared", slug="prepared")
    learner = make_member(org, "learner@prepared.test", is_learner=True)
    client = Client()
    client.force_login(learner.user)
    first = client.get(f"/o/{org.slug}/")
    assert first.status_code == 200
    for _ in range(6):
        again = client.get(f"/o/{org.slug}/")
        assert again.status_code == 200
    prepared = _prepared()
    if PGBOUNCER_URL:
        assert prepared == set()
    else:
        # The middleware's reads of the organisation and the membership are among them.
        assert any("organizations_membership" in text for text in prepared)
        assert any("organizations_organization" in text for text in prepared)
    assert again.content.count(b"<main") == first.content.count(b"<main") == 1
