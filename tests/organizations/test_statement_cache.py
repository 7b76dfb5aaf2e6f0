"""psycopg keeps the conversion of the pages' long statements (organizations/raw_queries.py,
``keep_long_statements``): coach home's merged read, longer than psycopg's default of 4,096
characters and, with the roster filtered to a view, with more than its 50 parameters, is parsed
once per process, not on every request."""

from __future__ import annotations

import pytest
from django.db import connection

from organizations.raw_queries import LONGEST_KEPT_STATEMENT, MOST_KEPT_PARAMETERS
from tests.conftest import make_member

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="psycopg's conversion is PostgreSQL's"
)


def test_the_limit_is_raised_at_start_up():
    from psycopg import _queries

    assert _queries.MAX_CACHED_STATEMENT_LENGTH == LONGEST_KEPT_STATEMENT
    assert _queries.MAX_CACHED_STATEMENT_PARAMS == MOST_KEPT_PARAMETERS


def test_coach_homes_statement_is_converted_once(client, org_a):
    from psycopg import _queries

    coach = make_member(org_a, "coach@example.com", is_coach=True)
    client.force_login(coach.user)
    # A view of the roster: its first page's filter adds parameters to the statement (49
    # for every coachee, 53 for those overdue).
    url = f"/o/{org_a.slug}/coaching/?show=overdue"
    sent = []

    def keep(execute, sql, params, many, context):
        sent.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(keep):
        assert client.get(url).status_code == 200
    longest, params = max(sent, key=lambda statement: len(statement[0]))
    assert 4096 < len(longest) <= LONGEST_KEPT_STATEMENT
    assert 50 < len(params) <= MOST_KEPT_PARAMETERS
    client.get(url)
    before = _queries._query2pg.cache_info()
    client.get(url)
    after = _queries._query2pg.cache_info()
    assert after.misses == before.misses  # every statement of the page found converted
    assert after.hits > before.hits
