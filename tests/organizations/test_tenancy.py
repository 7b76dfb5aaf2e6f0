from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import IntegrityError

from organizations.checks import check_tenant_schema
from organizations.models import Membership, Team
from organizations.tenancy import TenantContextMissing, tenant_context
from tests.conftest import make_member


def test_it_refuses_a_tenant_query_without_context(org_a, org_b):
    with pytest.raises(TenantContextMissing):
        list(Team.objects.all())


def test_it_scopes_queries_to_the_organisation_in_context(org_a, org_b):
    with tenant_context(org_a):
        Team.objects.create(name="Sales")
    with tenant_context(org_b):
        Team.objects.create(name="Finance")
        assert [t.name for t in Team.objects.all()] == ["Finance"]
    with tenant_context(org_a):
        assert [t.name for t in Team.objects.all()] == ["Sales"]


def test_it_refuses_to_save_a_row_into_another_organisation(org_a, org_b):
    with tenant_context(org_a):
        team = Team.objects.create(name="Sales")
    with pytest.raises(TenantContextMissing), tenant_context(org_b):
        team.name = "Hijacked"
        team.save()


def test_it_names_the_unscoped_escape(org_a, org_b):
    make_member(org_a, "a@example.com", is_learner=True)
    make_member(org_b, "b@example.com", is_learner=True)
    assert Membership.objects.unscoped().count() in {0, 2}  # 0 where RLS hides every row


def test_it_keeps_unique_constraints_per_organisation(org_a, org_b):
    with tenant_context(org_a):
        Team.objects.create(name="Sales")
    with tenant_context(org_b):
        Team.objects.create(name="Sales")  # same name, other tenant: allowed
    with pytest.raises(IntegrityError), tenant_context(org_a):
        Team.objects.create(name="Sales")


def test_it_passes_the_tenant_schema_check():
    assert check_tenant_schema() == []


def test_it_runs_system_checks_with_the_database_checks(db):
    call_command("check", "--database", "default")
