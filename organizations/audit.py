"""The audit log: who changed what, when, with the state before and after.

Every admin write calls ``record_change`` inside its transaction, so an audit row exists
exactly when the change does.
"""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from typing import Any

from django.db import models

from organizations.models import AuditEntry, User


def snapshot(obj: models.Model, fields: list[str] | None = None) -> dict[str, Any]:
    """A JSON-safe dict of ``obj``'s concrete field values (foreign keys as ids)."""
    data: dict[str, Any] = {}
    for field in obj._meta.concrete_fields:
        if fields is not None and field.name not in fields:
            continue
        if field.name in {"organization", "password"}:
            continue
        value = getattr(obj, field.attname)
        if isinstance(value, dt.datetime | dt.date):
            value = value.isoformat()
        elif isinstance(value, decimal.Decimal | uuid.UUID):
            value = str(value)
        data[field.name] = value
    return data


def _type_label(obj: models.Model) -> str:
    """The model's verbose name in title case (Django always sets one; the stubs allow None)."""
    return str(obj._meta.verbose_name or type(obj).__name__).title()


def record_change(
    actor: User | None,
    action: str,
    obj: models.Model | None = None,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    object_type: str | None = None,
    object_id: str | int | None = None,
    object_repr: str | None = None,
) -> AuditEntry:
    """Append an audit entry; ``action`` is a verb such as ``created``, ``updated``,
    ``deleted``, ``published``, ``imported``. Must run inside the tenant context."""
    return AuditEntry.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        object_type=object_type or (_type_label(obj) if obj is not None else ""),
        object_id=str(object_id if object_id is not None else (obj.pk if obj is not None else "")),
        object_repr=(object_repr or (str(obj) if obj is not None else ""))[:300],
        before=before,
        after=after,
    )
