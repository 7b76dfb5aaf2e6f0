"""Tenant context: the application wall (scoped managers) and the database wall (RLS settings).

``tenant_context(org)`` is the one way to act for an organisation. It opens a transaction
(a savepoint when nested), sets a ContextVar that the fail-closed ``TenantManager`` reads, and on
PostgreSQL sets ``app.org_id`` transaction-locally so that row-level security policies apply.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from django.db import connection, models, transaction
from django.db.migrations.operations.base import Operation

if TYPE_CHECKING:
    from organizations.models import Organization

_current_org: ContextVar[Organization | None] = ContextVar("pathwise_org", default=None)
_current_user_id: ContextVar[int | None] = ContextVar("pathwise_user_id", default=None)


def set_tenant_sql(org_id: str, user_id: str) -> str:
    """Both transaction-local tenant settings as SQL expressions, from the SQL of their values
    (text): the one place that names them for a statement."""
    return f"set_config('app.org_id', {org_id}, true), set_config('app.user_id', {user_id}, true)"


SET_TENANT_SQL = "select " + set_tenant_sql("%s", "%s")


class TenantContextMissing(RuntimeError):
    """A tenant-owned table was queried with no organisation in context."""


def current_org() -> Organization | None:
    return _current_org.get()


def current_org_id() -> int | None:
    org = _current_org.get()
    return org.pk if org is not None else None


def _set_database_tenant(org_id: int | None, user_id: int | None) -> None:
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            SET_TENANT_SQL,
            ["" if org_id is None else str(org_id), "" if user_id is None else str(user_id)],
        )


@contextmanager
def tenant_context(org: Organization, *, user_id: int | None = None) -> Iterator[Organization]:
    """Act for ``org`` (both walls) until the block ends; yields the organisation."""
    previous_org = _current_org.get()
    previous_user = _current_user_id.get()
    with transaction.atomic():
        org_token = _current_org.set(org)
        user_token = _current_user_id.set(user_id)
        _set_database_tenant(org.pk, user_id)
        try:
            yield org
        finally:
            _current_org.reset(org_token)
            _current_user_id.reset(user_token)
            if not transaction.get_connection().needs_rollback:
                _set_database_tenant(
                    previous_org.pk if previous_org is not None else None, previous_user
                )


@contextmanager
def request_tenant_context(
    org: Organization, *, user_id: int | None, database_tenant_set: bool
) -> Iterator[Organization]:
    """``tenant_context`` for the request's own transaction (``TenantMiddleware``), entered
    directly inside it: both walls for ``org`` until the block ends, without the savepoint and
    the closing SET that a nested ``tenant_context`` pays. No savepoint is needed because an
    error inside rolls the request's transaction back anyway; the settings need no resetting
    because they are transaction-local and the transaction ends with the request. They are
    reset only when the request's transaction is itself nested in another (a test's).
    ``database_tenant_set``: the organisation was read through
    ``organizations.request_reads.active_organization``, which set the database settings in
    the same statement."""
    conn = transaction.get_connection()
    if not conn.in_atomic_block:
        raise TenantContextMissing("request_tenant_context() needs the request's transaction.")
    previous_org = _current_org.get()
    previous_user = _current_user_id.get()
    org_token = _current_org.set(org)
    user_token = _current_user_id.set(user_id)
    if not database_tenant_set:
        _set_database_tenant(org.pk, user_id)
    try:
        yield org
    finally:
        _current_org.reset(org_token)
        _current_user_id.reset(user_token)
        if len(conn.atomic_blocks) > 1 and not conn.needs_rollback:
            _set_database_tenant(
                previous_org.pk if previous_org is not None else None, previous_user
            )


@contextmanager
def user_context(user_id: int) -> Iterator[None]:
    """Before any organisation is chosen: lets a user read their own memberships (RLS policy)."""
    previous_user = _current_user_id.get()
    with transaction.atomic():
        token = _current_user_id.set(user_id)
        _set_database_tenant(current_org_id(), user_id)
        try:
            yield
        finally:
            _current_user_id.reset(token)
            if not transaction.get_connection().needs_rollback:
                _set_database_tenant(current_org_id(), previous_user)


class TenantQuerySet(models.QuerySet):
    pass


class TenantManager(models.Manager):
    """Fail-closed: every query is filtered to the current organisation, or raises."""

    def get_queryset(self) -> models.QuerySet[Any]:
        org_id = current_org_id()
        if org_id is None:
            raise TenantContextMissing(
                f"{self.model.__name__} was queried outside tenant_context(); "
                "use tenant_context(org), .for_org(org) or the named .unscoped() escape."
            )
        return TenantQuerySet(self.model, using=self._db).filter(organization_id=org_id)

    def for_org(self, org: Organization | int) -> models.QuerySet[Any]:
        org_id = org if isinstance(org, int) else org.pk
        return TenantQuerySet(self.model, using=self._db).filter(organization_id=org_id)

    def unscoped(self) -> models.QuerySet[Any]:
        """Every organisation's rows the database lets us see. Named loudly on purpose."""
        return TenantQuerySet(self.model, using=self._db)


class TenantModel(models.Model):
    """Base for every tenant-owned table: carries ``organization`` and the scoped manager."""

    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.CASCADE, related_name="+", editable=False
    )

    objects = TenantManager()

    class Meta:
        abstract = True
        base_manager_name = "objects"

    def save(self, *args: Any, **kwargs: Any) -> None:
        org_id = current_org_id()
        if self.organization_id is None:
            if org_id is None:
                raise TenantContextMissing(f"Cannot save {type(self).__name__} with no tenant.")
            self.organization_id = org_id
        elif org_id is not None and self.organization_id != org_id:
            raise TenantContextMissing(
                f"{type(self).__name__} belongs to organisation {self.organization_id}, "
                f"not to the one in context ({org_id})."
            )
        super().save(*args, **kwargs)


RLS_POLICY = "tenant_isolation"
RLS_PREDICATE = "organization_id = nullif((select current_setting('app.org_id', true)), '')::bigint"


class EnableRowLevelSecurity(Operation):
    """Migration operation: ENABLE + FORCE row-level security with the tenant policy.

    A no-op on databases other than PostgreSQL (the application wall still holds there).
    """

    reversible = True
    reduces_to_sql = True

    def __init__(self, model_name: str) -> None:
        self.model_name = model_name

    def deconstruct(self) -> tuple[str, list[Any], dict[str, Any]]:
        return (self.__class__.__qualname__, [self.model_name], {})

    def state_forwards(self, app_label: str, state: Any) -> None:
        pass

    def _table(self, app_label: str, state: Any) -> str:
        return state.apps.get_model(app_label, self.model_name)._meta.db_table

    def database_forwards(self, app_label, schema_editor, from_state, to_state) -> None:  # type: ignore[no-untyped-def]
        if schema_editor.connection.vendor != "postgresql":
            return
        table = schema_editor.quote_name(self._table(app_label, to_state))
        schema_editor.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        schema_editor.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        schema_editor.execute(f"DROP POLICY IF EXISTS {RLS_POLICY} ON {table}")
        schema_editor.execute(
            f"CREATE POLICY {RLS_POLICY} ON {table} USING ({RLS_PREDICATE}) "
            f"WITH CHECK ({RLS_PREDICATE})"
        )

    def database_backwards(self, app_label, schema_editor, from_state, to_state) -> None:  # type: ignore[no-untyped-def]
        if schema_editor.connection.vendor != "postgresql":
            return
        table = schema_editor.quote_name(self._table(app_label, from_state))
        schema_editor.execute(f"DROP POLICY IF EXISTS {RLS_POLICY} ON {table}")
        schema_editor.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
        schema_editor.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")

    def describe(self) -> str:
        return f"Enable row-level security on {self.model_name}"

    @property
    def migration_name_fragment(self) -> str:
        return f"rls_{self.model_name.lower()}"


class PostgresSQL(Operation):
    """Raw SQL that only PostgreSQL runs (policies and other RLS details); a no-op elsewhere."""

    reversible = True
    reduces_to_sql = True

    def __init__(self, sql: str, reverse_sql: str) -> None:
        self.sql = sql
        self.reverse_sql = reverse_sql

    def deconstruct(self) -> tuple[str, list[Any], dict[str, Any]]:
        return (self.__class__.__qualname__, [self.sql, self.reverse_sql], {})

    def state_forwards(self, app_label: str, state: Any) -> None:
        pass

    def database_forwards(self, app_label, schema_editor, from_state, to_state) -> None:  # type: ignore[no-untyped-def]
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(self.sql)

    def database_backwards(self, app_label, schema_editor, from_state, to_state) -> None:  # type: ignore[no-untyped-def]
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(self.reverse_sql)

    def describe(self) -> str:
        return "PostgreSQL-only SQL"
