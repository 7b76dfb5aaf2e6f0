"""The tenancy system checks fire on the schema mistakes they exist for: a tenant model without
its organization (E001), a table of ours that is not a tenant model nor a declared global one
(E005), and a tenant table whose row-level security was switched off (E003, PostgreSQL)."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.db import connection, models
from django.test.utils import isolate_apps

from organizations.checks import (
    check_tenant_schema,
    global_model_errors,
    row_level_security_errors,
    tenant_model_errors,
)
from organizations.models import Membership, Organization, User
from organizations.tenancy import TenantModel
from pathways.models import Module
from tests.conftest import requires_postgres


def test_it_passes_on_the_real_schema():
    assert check_tenant_schema() == []


def test_it_flags_a_tenant_model_that_drops_its_organization():
    with isolate_apps("organizations"):

        class Orphan(TenantModel):
            organization = None  # type: ignore[assignment]  # removes the inherited field
            name = models.CharField(max_length=50)

            class Meta:
                app_label = "organizations"

        errors = tenant_model_errors(Orphan)
    assert [(e.id, e.msg) for e in errors] == [
        ("pathwise.E001", "organizations.Orphan lacks an 'organization' foreign key.")
    ]


def test_it_flags_a_tenant_model_whose_organization_points_elsewhere():
    with isolate_apps("organizations"):

        class Misfiled(TenantModel):
            organization = models.ForeignKey(  # type: ignore[assignment]
                "organizations.User", on_delete=models.CASCADE, related_name="+"
            )

            class Meta:
                app_label = "organizations"

        errors = tenant_model_errors(Misfiled)
    assert [e.id for e in errors] == ["pathwise.E001"]


def test_it_flags_a_table_of_ours_that_is_not_a_tenant_model():
    with isolate_apps("pathways"):

        class Bookmark(models.Model):
            module = models.ForeignKey(Module, on_delete=models.CASCADE, related_name="+")

            class Meta:
                app_label = "pathways"

            def __str__(self) -> str:
                return str(self.module_id)

        errors = global_model_errors(Bookmark)
    assert [e.id for e in errors] == ["pathwise.E005"]
    assert "pathways.Bookmark is neither a TenantModel nor a declared global table" in errors[0].msg


def test_it_accepts_the_declared_global_tables_and_other_apps():
    assert global_model_errors(Organization) == []
    assert global_model_errors(User) == []
    assert global_model_errors(Membership) == []
    from django.contrib.sessions.models import Session

    assert global_model_errors(Session) == []


@requires_postgres
def test_it_flags_a_tenant_table_whose_row_level_security_is_not_forced(db):
    assert row_level_security_errors("default") == []
    table = Membership._meta.db_table
    with connection.cursor() as cursor:  # rolled back with the test's transaction
        cursor.execute(f"alter table {table} no force row level security")
    errors = row_level_security_errors("default")
    assert [(e.id, e.msg.split(" lacks")[0]) for e in errors] == [
        ("pathwise.E003", f"organizations.Membership ({table})")
    ]
    with pytest.raises(SystemCheckError, match="pathwise.E003"):
        call_command("check", "--database", "default")


@requires_postgres
def test_it_flags_a_tenant_table_without_its_policy(db):
    table = Module._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"drop policy tenant_isolation on {table}")
    assert [e.id for e in row_level_security_errors("default")] == ["pathwise.E003"]


def test_it_has_nothing_to_check_on_sqlite(db):
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only")
    assert row_level_security_errors("default") == []
