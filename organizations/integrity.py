"""Turning a unique-constraint violation into the message the pre-check would have given.

Services check for duplicates before they write, but two requests at once can both pass the check.
The database constraint then refuses the second write; ``refuse_duplicate`` rolls that write back
(a savepoint) and raises the service's own ``ValidationError`` instead of a server error.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, models, transaction


def _constraint(model: type[models.Model], name: str) -> models.UniqueConstraint:
    for constraint in model._meta.constraints:
        if isinstance(constraint, models.UniqueConstraint) and constraint.name == name:
            return constraint
    raise LookupError(f"{model._meta.label} has no unique constraint {name!r}.")


def _column(model: type[models.Model], name: str) -> str:
    field = model._meta.get_field(name)
    if not isinstance(field, models.Field) or field.column is None:
        raise LookupError(f"{model._meta.label}.{name} is not a column.")
    return field.column


def _unique_columns(table: str, index: str) -> list[str]:
    with connection.cursor() as cursor:
        found = connection.introspection.get_constraints(cursor, table).get(index)
    return list(found["columns"] or []) if found and found["unique"] else []


def violates(exc: IntegrityError, model: type[models.Model], names: str | tuple[str, ...]) -> bool:
    """Whether ``exc`` is a violation of one of ``model``'s unique constraints ``names`` (or of a
    ``unique=True`` field among them, named by the field's name).

    PostgreSQL names the violated constraint or index; SQLite names an index built on expressions
    and otherwise lists the columns (``UNIQUE constraint failed: table.a, table.b``).
    """
    if isinstance(names, str):
        names = (names,)
    return any(_violates_one(exc, model, name) for name in names)


def _violates_one(exc: IntegrityError, model: type[models.Model], name: str) -> bool:
    table = model._meta.db_table
    field = next((f for f in model._meta.local_fields if f.name == name and f.unique), None)
    columns = (
        [field.column]
        if field is not None
        else [_column(model, f) for f in _constraint(model, name).fields]
    )
    violated = getattr(getattr(exc.__cause__, "diag", None), "constraint_name", None)
    if violated:
        if field is None:
            return violated == name
        return _unique_columns(table, violated) == columns  # PostgreSQL named it, not Django
    prefix, _sep, failed = str(exc).partition(": ")
    if prefix != "UNIQUE constraint failed":
        return False
    if field is None and failed == f"index '{name}'":
        return True
    return bool(columns) and failed == ", ".join(f"{table}.{c}" for c in columns)


@contextmanager
def refuse_duplicate(
    model: type[models.Model], names: str | tuple[str, ...], error: ValidationError
) -> Iterator[None]:
    """Run the block in a transaction (a savepoint when nested). If it breaks one of ``model``'s
    unique constraints ``names`` (see ``violates``), nothing of the block is kept and ``error`` is
    raised in place of the ``IntegrityError``; any other error passes through unchanged."""
    try:
        with transaction.atomic():
            yield
    except IntegrityError as exc:
        if not violates(exc, model, names):
            raise
        raise error from exc
