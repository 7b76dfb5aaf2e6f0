"""System checks that keep the tenancy rules true as the schema grows."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.core.checks import Error, Tags, register
from django.core.exceptions import FieldDoesNotExist
from django.db import connections, models
from django.db.models import F

from organizations.tenancy import TenantModel

# The apps whose tables hold tenant data unless named below.
PROJECT_APPS = frozenset(
    {"organizations", "competencies", "pathways", "projects", "coaching", "measurement"}
)
# Global tables, shared by every organisation: the tenant itself and the people who sign in
# (a coach may work for several organisations). Anything else in PROJECT_APPS is tenant-owned
# and must be a TenantModel, so that it gets the scoped manager, the checks and RLS.
GLOBAL_MODELS = frozenset(
    {
        "organizations.Organization",
        "organizations.User",
        # Account-level security records: an account and its sessions span organisations.
        "organizations.SecurityEvent",
        "organizations.UserSession",
        # Single sign-on is looked up by e-mail domain before any organisation is chosen.
        "organizations.OrganizationSSO",
        "organizations.SSODomain",
        # A person's own data export spans every organisation they belong to.
        "organizations.DataExport",
    }
)


def tenant_models() -> list[type[models.Model]]:
    return [
        model
        for model in apps.get_models()
        if issubclass(model, TenantModel) and not model._meta.proxy
    ]


def _names_organization(model: type[models.Model], name: str) -> bool:
    """Whether ``name`` (a field name or its column attribute) is the organization field."""
    try:
        return model._meta.get_field(name).name == "organization"
    except FieldDoesNotExist:
        return False


def led_by_organization(model: type[models.Model], constraint: models.UniqueConstraint) -> bool:
    """Whether the constraint's first field, or first expression, is ``model.organization``.

    Expression constraints (``UniqueConstraint(F("organization"), Lower("name"), ...)``) count
    when their first expression is a plain reference to the field; anything wrapped around it
    (``Lower("organization")``) or any other field first does not.
    """
    if constraint.fields:
        return _names_organization(model, constraint.fields[0])
    first = constraint.expressions[0] if constraint.expressions else None
    return isinstance(first, F) and _names_organization(model, getattr(first, "name", ""))


@register(Tags.models)
def check_tenant_schema(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    errors: list[Error] = []
    for model in tenant_models():
        errors.extend(tenant_model_errors(model))
    for model in apps.get_models():
        errors.extend(global_model_errors(model))
    return errors


def global_model_errors(model: type[models.Model]) -> list[Error]:
    """E005: a concrete model of ours that is not a TenantModel must be a declared global table.

    Without this, a new table that forgets to subclass TenantModel would hold tenant rows with
    neither wall: no scoped manager, no E001-E004 checks and no RLS migration.
    """
    meta = model._meta
    if meta.app_label not in PROJECT_APPS or meta.proxy or not meta.managed:
        return []
    if issubclass(model, TenantModel) or meta.label in GLOBAL_MODELS:
        return []
    return [
        Error(
            f"{meta.label} is neither a TenantModel nor a declared global table; subclass "
            "TenantModel (and enable row-level security in its migration) or add it to "
            "organizations.checks.GLOBAL_MODELS.",
            id="pathwise.E005",
        )
    ]


def tenant_model_errors(model: type[models.Model]) -> list[Error]:
    """The tenancy rules one tenant model breaks (E001, E002, E004)."""
    errors: list[Error] = []
    label = model._meta.label
    try:
        field = model._meta.get_field("organization")
    except Exception:
        field = None
    related = field.related_model if field is not None else None
    if not isinstance(related, type) or related._meta.label != "organizations.Organization":
        errors.append(Error(f"{label} lacks an 'organization' foreign key.", id="pathwise.E001"))
    for fields in model._meta.unique_together:
        if not fields or fields[0] != "organization":
            errors.append(
                Error(
                    f"{label}: unique_together {fields} must start with organization.",
                    id="pathwise.E002",
                )
            )
    for constraint in model._meta.constraints:
        if isinstance(constraint, models.UniqueConstraint) and not led_by_organization(
            model, constraint
        ):
            errors.append(
                Error(
                    f"{label}: unique constraint {constraint.name} must start with organization.",
                    id="pathwise.E002",
                )
            )
    for f in model._meta.local_fields:
        if f.unique and not f.primary_key:
            errors.append(
                Error(
                    f"{label}.{f.name} is unique on its own; make the constraint start "
                    "with organization.",
                    id="pathwise.E002",
                )
            )
    for m2m in model._meta.local_many_to_many:
        through = m2m.remote_field.through
        if through is None:  # Django sets it when the model class is prepared
            raise RuntimeError(f"{label}.{m2m.name} has no through model.")
        if through._meta.auto_created and issubclass(m2m.related_model, TenantModel):
            errors.append(
                Error(
                    f"{label}.{m2m.name} links tenant rows through an auto-created table "
                    "with no organization; give it a TenantModel through=.",
                    id="pathwise.E004",
                )
            )
    return errors


@register(Tags.database)
def check_row_level_security(databases: Any = None, **kwargs: Any) -> list[Error]:
    """E003, for the databases ``migrate`` and ``check --database`` name."""
    errors: list[Error] = []
    for alias in databases or []:
        errors.extend(row_level_security_errors(alias))
    return errors


def row_level_security_errors(alias: str) -> list[Error]:
    """The tenant tables of database ``alias`` that lack ENABLE or FORCE row-level security or
    the tenant_isolation policy (none on SQLite, which has no row-level security)."""
    connection = connections[alias]
    if connection.vendor != "postgresql":
        return []
    tables = {m._meta.db_table: m._meta.label for m in tenant_models()}
    with connection.cursor() as cursor:
        cursor.execute(
            "select c.relname, c.relrowsecurity, c.relforcerowsecurity, "
            "exists(select 1 from pg_policies p where p.tablename = c.relname "
            "and p.policyname = 'tenant_isolation') "
            "from pg_class c join pg_namespace n on n.oid = c.relnamespace "
            "where n.nspname = current_schema() and c.relname = any(%s)",
            [list(tables)],
        )
        seen = {row[0]: row[1:] for row in cursor.fetchall()}
    errors: list[Error] = []
    for table, label in tables.items():
        if table not in seen:
            continue  # not migrated yet; migrate reports that itself
        enabled, forced, has_policy = seen[table]
        if not (enabled and forced and has_policy):
            errors.append(
                Error(
                    f"{label} ({table}) lacks ENABLE/FORCE row-level security or the "
                    "tenant_isolation policy; add EnableRowLevelSecurity to a migration.",
                    id="pathwise.E003",
                )
            )
    return errors
