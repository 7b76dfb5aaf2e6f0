"""Reads that several areas own, sent as one statement (``fetch_row_sets``): each read's rows
in its own order, with their own columns and types, under both tenancy walls."""

from __future__ import annotations

import datetime as dt

from organizations.models import Team
from organizations.raw_queries import fetch_row_sets, tenant_id
from organizations.tenancy import tenant_context
from tests.conftest import count_queries, make_member

TEAMS = (
    "SELECT t.name, t.id FROM organizations_team t WHERE t.organization_id = %s ORDER BY t.name {}"
)
MEMBERS = """
SELECT m.created_at, m.is_learner FROM organizations_membership m
WHERE m.organization_id = %s AND m.is_learner = %s ORDER BY m.id
"""


def test_it_reads_each_statement_in_its_order_in_one_statement(org_a, org_b):
    for org in (org_a, org_b):
        with tenant_context(org):
            for name in ("Blue", "Amber", "Cyan"):
                Team.objects.create(name=f"{name} {org.slug}")
    make_member(org_a, "ann@example.com", is_learner=True)
    make_member(org_a, "bob@example.com", is_learner=False)
    make_member(org_b, "cem@example.com", is_learner=True)
    with tenant_context(org_a), count_queries() as ctx:
        org = tenant_id()
        down, members, nothing, up = fetch_row_sets(
            [
                (TEAMS.format("DESC"), [org]),
                (MEMBERS, [org, True]),
                (MEMBERS + " LIMIT %s", [org, True, 0]),
                (TEAMS.format("ASC"), [org]),
            ]
        )
    assert len(ctx.app_queries) == 1
    assert [name for name, _pk in down] == ["Cyan acme-t", "Blue acme-t", "Amber acme-t"]
    assert [name for name, _pk in up] == ["Amber acme-t", "Blue acme-t", "Cyan acme-t"]
    assert all(isinstance(pk, int) for _name, pk in up)
    [(created_at, is_learner)] = members  # Ann only: not Bob, not the other organisation's
    assert is_learner is True or is_learner == 1  # SQLite gives its booleans as integers
    assert isinstance(created_at, dt.datetime | str)
    assert nothing == []


def test_it_sends_one_read_as_it_is_and_nothing_for_none(org_a, org_b):
    with tenant_context(org_a):
        Team.objects.create(name="Solo")
        with count_queries() as ctx:
            assert fetch_row_sets([]) == []
            [[(name, _pk)]] = fetch_row_sets([(TEAMS.format("ASC"), [tenant_id()])])
    assert name == "Solo" and len(ctx.app_queries) == 1
    assert "FULL JOIN" not in ctx.app_queries[0]["sql"]
