"""The database wall, tested against PostgreSQL as the application's own role."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from organizations.checks import tenant_models
from organizations.tenancy import tenant_context
from tests.conftest import make_member, requires_postgres

pytestmark = requires_postgres


def _clear_tenant() -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "select set_config('app.org_id', '', true), set_config('app.user_id', '', true)"
        )


def test_it_runs_as_a_role_that_cannot_bypass_rls(db):
    with connection.cursor() as cursor:
        cursor.execute("select rolsuper, rolbypassrls from pg_roles where rolname = current_user")
        assert cursor.fetchone() == (False, False)


def test_it_enables_and_forces_rls_with_a_policy_on_every_tenant_table(db):
    tables = sorted(m._meta.db_table for m in tenant_models())
    assert len(tables) > 10
    with connection.cursor() as cursor:
        cursor.execute(
            "select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace "
            "where n.nspname = current_schema() and c.relrowsecurity and c.relforcerowsecurity "
            "and exists (select 1 from pg_policies p where p.tablename = c.relname "
            "and p.policyname = 'tenant_isolation' and p.qual is not null and p.with_check is not null)"
        )
        protected = {row[0] for row in cursor.fetchall()}
    assert [t for t in tables if t not in protected] == []


def test_it_returns_no_rows_without_a_tenant(org_a, org_b):
    make_member(org_a, "a@example.com", is_learner=True)
    make_member(org_b, "b@example.com", is_learner=True)
    _clear_tenant()
    with connection.cursor() as cursor:
        cursor.execute("select count(*) from organizations_membership")
        assert cursor.fetchone()[0] == 0


def test_it_returns_only_the_tenants_rows_even_to_raw_sql(org_a, org_b):
    make_member(org_a, "a@example.com", is_learner=True)
    make_member(org_b, "b@example.com", is_learner=True)
    make_member(org_b, "c@example.com", is_learner=True)
    with tenant_context(org_b), connection.cursor() as cursor:
        cursor.execute(
            "select count(*), min(organization_id), max(organization_id) "
            "from organizations_membership"
        )
        assert cursor.fetchone() == (2, org_b.pk, org_b.pk)


def test_it_refuses_to_insert_a_row_for_another_organisation(org_a, org_b):
    with tenant_context(org_a):
        with pytest.raises(DatabaseError, match="row-level security"), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(
                    "insert into organizations_team (organization_id, name) values (%s, 'Spy')",
                    [org_b.pk],
                )


def test_it_lets_a_user_see_only_their_own_memberships_before_choosing(org_a, org_b):
    alice = make_member(org_a, "alice@example.com", is_learner=True)
    make_member(org_b, "alice@example.com", is_coach=True)
    make_member(org_b, "bob@example.com", is_learner=True)
    _clear_tenant()
    with connection.cursor() as cursor:
        cursor.execute("select set_config('app.user_id', %s, true)", [str(alice.user_id)])
        cursor.execute("select count(*) from organizations_membership")
        assert cursor.fetchone()[0] == 2
