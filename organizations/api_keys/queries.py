"""Reads for the API keys page."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from organizations.models import ApiKey


@dataclass(frozen=True)
class KeyRow:
    id: int
    name: str
    prefix: str
    scope_label: str
    can_write: bool
    created_by: str
    created_at: dt.datetime
    expires_at: dt.datetime | None
    last_used_at: dt.datetime | None
    state: str


def key_rows() -> list[KeyRow]:
    """Every key of the current organisation, newest first; one query. An organisation has a
    handful of keys (one per integration), so the list is not paginated."""
    now = timezone.now()
    return [
        KeyRow(
            id=k.pk,
            name=k.name,
            prefix=k.prefix,
            scope_label=k.get_scope_display(),
            can_write=k.can_write,
            created_by=str(k.created_by.user),
            created_at=k.created_at,
            expires_at=k.expires_at,
            last_used_at=k.last_used_at,
            state=k.state(now),
        )
        for k in ApiKey.objects.select_related("created_by__user")
    ]


KEY_EXPORT_HEADERS = (
    "Key",
    "Prefix",
    "Status",
    "Access",
    "Last used",
    "Created",
    "Created by",
    "Expires",
)
STATE_LABELS = {"active": _("Active"), "revoked": _("Revoked"), "expired": _("Expired")}


def key_export_rows(rows: list[KeyRow]) -> list[tuple[object, ...]]:
    """The keys as export rows: names, prefixes and dates, never a secret (no queries)."""

    def local(value: dt.datetime | None) -> dt.datetime | None:
        return timezone.localtime(value) if value else None

    return [
        (
            k.name,
            f"pw_{k.prefix}_",
            str(STATE_LABELS.get(k.state, k.state)),
            k.scope_label,
            local(k.last_used_at),
            local(k.created_at),
            k.created_by,
            local(k.expires_at),
        )
        for k in rows
    ]
