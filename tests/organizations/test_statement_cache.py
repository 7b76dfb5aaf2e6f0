"""psycopg keeps the conversion of the pages' long statements (organizations/raw_queries.py,
``keep_long_statements``): coach home's merged read, longer than psycopg's default of 4,096
characters, and the learner home's, with more than its 50 parameters, are parsed once per
process, not on every request."""

from __future__ import annotations

import pytest
from django.db import connection

from organizations.raw_queries import LONGEST_KEPT_STATEMENT, MOST_KEPT_PARAMETERS
from tests.conftest import enroll, make_member, make_pathway

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="psycopg's conversion is PostgreSQL's"
)


def test_the_limit_is_raised_at_start_up():
    from psycopg import _queries

    assert _queries.MAX_CACHED_STATEMENT_LENGTH == LONGEST_KEPT_STATEMENT
    assert _queries.MAX_CACHED_STATEMENT_PARAMS == MOST_KEPT_PARAMETERS


@pytest.mark.parametrize(
    ("role", "path", "shortest", "fewest"),
    [
        # A view of the roster: its first page's filter adds parameters (42 for those overdue).
        ("is_coach", "coaching/?show=overdue", 4096, 0),
        # The learner home's merged read: 60 parameters, a shorter text.
        ("is_learner", "", 0, 50),
    ],
)
def test_a_homes_statement_is_converted_once(client, org_a, role, path, shortest, fewest):
    from psycopg import _queries

    person = make_member(org_a, "person@example.com", **{role: True})
    enroll(org_a, make_pathway(org_a, n_steps=2), person)  # a learner's home with a pathway
    client.force_login(person.user)
    url = f"/o/{org_a.slug}/{path}"
    sent = []

    def keep(execute, sql, params, many, context):
        sent.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(keep):
        assert client.get(url).status_code == 200
    kept = [(len(sql), len(params or ())) for sql, params in sent]
    assert all(n <= LONGEST_KEPT_STATEMENT and p <= MOST_KEPT_PARAMETERS for n, p in kept)
    assert any(n > shortest and p > fewest for n, p in kept)  # past psycopg's own limits
    client.get(url)
    before = _queries._query2pg.cache_info()
    client.get(url)
    after = _queries._query2pg.cache_info()
    assert after.misses == before.misses  # every statement of the page found converted
    assert after.hits > before.hits
