"""The two reads every page under ``/o/<slug>/`` makes before its view (``TenantMiddleware``),
as SQL text written once per process from the models' own metadata.

Building and compiling their querysets cost more Python than anything else the middleware does
(the organisation with both tenant settings riding on it, and the member with their team and
whether they manage one). The statements and the rows are the ones those querysets gave: the same
columns, the same filters (the membership's base table and the managed-team check on the
organisation, as the scoped manager adds), one round trip each, under row-level security like
every statement. Instances are built with ``Model.from_db``, as the ORM builds them.

The session store (``organizations.accounts.sessions``) reads the session and its account with the
same column and instance helpers.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from django.db import connection
from django.db.models import Model

from organizations.models import Membership, Organization, Team
from organizations.tenancy import set_tenant_sql


def model_fields(model: type[Model]) -> list[Any]:
    """The concrete fields of ``model`` in the order its SQL selects them and its rows read."""
    return list(model._meta.concrete_fields)


def model_columns(model: type[Model], alias: str) -> str:
    """The columns of ``model_fields`` on the table under ``alias``, quoted."""
    quote = connection.ops.quote_name
    return ", ".join(f"{alias}.{quote(f.column)}" for f in model_fields(model))


def model_instance(model: type[Model], values: tuple[Any, ...]) -> Any:
    """``model`` from its concrete fields' column values, converted as the ORM converts them
    (the backend's converters, then the field's ``from_db_value``: SQLite's booleans and
    moments, say) and built with ``from_db``."""
    converted = list(values)
    for index, converters, column in _converters(model, connection.vendor):
        value = converted[index]
        for converter in converters:
            value = converter(value, column, connection)
        converted[index] = value
    return model.from_db(connection.alias, [f.attname for f in model_fields(model)], converted)


@cache
def _converters(model: type[Model], vendor: str) -> list[tuple[int, list[Any], Any]]:
    """Each field's converters that are not empty, by position (once per model and backend)."""
    found = []
    for index, field in enumerate(model_fields(model)):
        column = field.get_col(model._meta.db_table)
        converters = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
        if converters:
            found.append((index, converters, column))
    return found


@cache
def _organization_sql(vendor: str) -> str:
    quote = connection.ops.quote_name
    # On PostgreSQL both tenant settings travel in the organisation's own SELECT: transaction-
    # local, set only when a row is found, inside the request's transaction.
    settings = ", " + set_tenant_sql("CAST(o.id AS text)", "%s") if vendor == "postgresql" else ""
    return (
        f"SELECT {model_columns(Organization, 'o')}{settings} "  # noqa: S608 - identifiers from metadata
        f"FROM {quote(Organization._meta.db_table)} o "
        "WHERE o.is_active AND o.slug = %s LIMIT 1"
    )


@cache
def _membership_sql(vendor: str) -> str:
    quote = connection.ops.quote_name
    team = quote(Team._meta.db_table)
    return (
        f"SELECT {model_columns(Membership, 'm')}, "  # noqa: S608 - identifiers from metadata
        f"EXISTS (SELECT 1 FROM {team} mt "
        "WHERE mt.organization_id = %s AND mt.manager_id = m.id), "
        f"{model_columns(Team, 't')} "
        f"FROM {quote(Membership._meta.db_table)} m "
        f"LEFT JOIN {team} t ON t.id = m.team_id "
        "WHERE m.organization_id = %s AND m.is_active AND m.user_id = %s LIMIT 1"
    )


def active_organization(slug: str, user_id: int | None) -> Organization | None:
    """The active organisation of ``slug`` or None; on PostgreSQL, in the same statement, the
    tenant settings for it and ``user_id`` (inside the request's transaction)."""
    params: list[Any] = [slug]
    if connection.vendor == "postgresql":
        params = ["" if user_id is None else str(user_id), slug]
    with connection.cursor() as cursor:
        cursor.execute(_organization_sql(connection.vendor), params)
        row = cursor.fetchone()
    if row is None:
        return None
    return model_instance(Organization, row[: len(model_fields(Organization))])  # type: ignore[no-any-return]


def active_membership(org_id: int, user_id: int) -> Membership | None:
    """``user_id``'s active membership of ``org_id`` or None, with its team loaded and
    ``manages_team`` (whether they manage a team, for the navigation)."""
    with connection.cursor() as cursor:
        cursor.execute(_membership_sql(connection.vendor), [org_id, org_id, user_id])
        row = cursor.fetchone()
    if row is None:
        return None
    width = len(model_fields(Membership))
    membership: Membership = model_instance(Membership, row[:width])
    membership.manages_team = bool(row[width])  # type: ignore[attr-defined]
    team_values = row[width + 1 :]
    team = None if team_values[0] is None else model_instance(Team, team_values)
    Membership.team.field.set_cached_value(membership, team)  # type: ignore[attr-defined]
    return membership
