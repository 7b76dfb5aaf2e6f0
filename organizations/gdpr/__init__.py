"""GDPR access (export) and erasure, pluggable per app.

Each app may provide ``<app>/privacy.py`` with any of:

- ``export_person(membership) -> dict[str, list[dict]]``: the person's rows in this app, by
  table label, as JSON-safe dicts. Runs in the membership's tenant context.
- ``erase_person(membership, placeholder) -> dict[str, int]``: delete the person's private
  text and personal data in this app and keep the facts others' figures rest on (now pointing at
  the anonymous ``membership``; ``placeholder`` names the strings that replace theirs). Returns
  what was done, by item, as counts for the receipt. Runs in the tenant context, in one
  transaction with every other app's erasure.
- ``purge_expired(org, before) -> dict[str, int]``: the retention job; delete what the
  organisation's retention period says must go (raw answers behind reports frozen before
  ``before``). Runs nightly in the tenant context.

The modules are found by app label, so an app joins by adding the file.
"""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from collections.abc import Callable
from importlib import import_module
from types import ModuleType
from typing import Any

from django.apps import apps
from django.db import models


def privacy_modules() -> list[tuple[str, ModuleType]]:
    """``(app_label, module)`` for every installed app that has a ``privacy`` module, in
    ``INSTALLED_APPS`` order."""
    found = []
    for config in apps.get_app_configs():
        try:
            module = import_module(f"{config.name}.privacy")
        except ModuleNotFoundError as exc:
            if exc.name != f"{config.name}.privacy":
                raise
            continue
        found.append((config.label, module))
    return found


def hooks(name: str) -> list[tuple[str, Callable[..., Any]]]:
    return [(label, getattr(m, name)) for label, m in privacy_modules() if hasattr(m, name)]


def json_safe(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, bytes | memoryview):
        return None
    return value


def rows(queryset: models.QuerySet[Any], fields: list[str] | None = None) -> list[dict[str, Any]]:
    """The queryset's rows as JSON-safe dicts (concrete fields, foreign keys as ids)."""
    model = queryset.model
    names = fields or [f.attname for f in model._meta.concrete_fields if f.name != "organization"]
    return [{k: json_safe(v) for k, v in row.items()} for row in queryset.values(*names)]
