"""API keys: create, revoke, and authenticate a presented key (the middleware's half).

A key looks like ``pw_<prefix>_<secret>``. The prefix finds the row (unique per organisation),
the secret is compared by its SHA-256 in constant time. Keys are looked up only inside the
organisation named by the URL, so a key of another organisation is simply unknown there (404).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from organizations.audit import record_change, snapshot
from organizations.models import ApiKey, Membership

KEY_PREFIX = "pw_"
# last_used_at is written at most once a minute per key, so a busy integration costs one
# UPDATE a minute rather than one per request.
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class ApiKeyRefused(Exception):
    """A known key that may not be used for this request; ``status`` and ``detail`` say why."""

    def __init__(self, status: int, code: str, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail


@dataclass(frozen=True)
class NewKey:
    key: ApiKey
    plaintext: str


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def presented_api_key(request: HttpRequest) -> str | None:
    """The key in ``Authorization: Bearer pw_…`` (or ``Api-Key pw_…``), if the request has one."""
    header = request.headers.get("Authorization", "")
    scheme, _sep, value = header.partition(" ")
    value = value.strip()
    if scheme.lower() in {"bearer", "api-key"} and value.startswith(KEY_PREFIX):
        return value
    return None


def check_create_key(actor: Membership, name: str, expires_at: dt.datetime | None) -> str:
    if not actor.has_role("admin"):
        raise ValidationError(_("Only an HR admin can create API keys."))
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("Give the key a name that says what uses it.")})
    if ApiKey.objects.filter(name__iexact=name).exists():
        raise ValidationError({"name": _("A key with this name already exists.")})
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError({"expires_at": _("The expiry must be in the future.")})
    return name


def do_create_key(
    actor: Membership, name: str, scope: str, expires_at: dt.datetime | None = None
) -> NewKey:
    """Create a key and return it with its plaintext, which is never stored or shown again.
    Must run inside the tenant context."""
    name = check_create_key(actor, name, expires_at)
    if scope not in ApiKey.Scope.values:
        raise ValidationError({"scope": _("Choose read only or read and write.")})
    with transaction.atomic():
        prefix = secrets.token_hex(4)
        while ApiKey.objects.filter(prefix=prefix).exists():  # 1 in 4 billion, but cheap to ask
            prefix = secrets.token_hex(4)
        secret = secrets.token_urlsafe(32)
        key = ApiKey.objects.create(
            name=name,
            prefix=prefix,
            secret_sha256=_digest(secret),
            scope=scope,
            created_by=actor,
            expires_at=expires_at,
        )
        record_change(
            actor.user,
            "created",
            key,
            after=snapshot(key, ["name", "prefix", "scope", "expires_at"]),
        )
    return NewKey(key=key, plaintext=f"{KEY_PREFIX}{prefix}_{secret}")


def do_revoke_key(actor: Membership, key_id: int) -> ApiKey:
    """Revoke a key (idempotent: a revoked key stays revoked at its first time)."""
    if not actor.has_role("admin"):
        raise ValidationError(_("Only an HR admin can revoke API keys."))
    with transaction.atomic():
        key = ApiKey.objects.select_for_update().get(pk=key_id)
        if key.revoked_at is None:
            key.revoked_at = timezone.now()
            key.revoked_by = actor.user
            key.save(update_fields=["revoked_at", "revoked_by"])
            record_change(actor.user, "revoked", key, after={"revoked_at": str(key.revoked_at)})
    return key


def authenticate_key(presented: str, method: str) -> ApiKey:
    """The key for ``presented`` in the current organisation, checked for state and scope.

    Raises ``ApiKey.DoesNotExist`` for a key this organisation does not know (the caller answers
    404, as for a non-member), ``ApiKeyRefused`` for a known key that may not do this request.
    Must run inside the tenant context.
    """
    _pw, _sep, rest = presented.partition(KEY_PREFIX)
    prefix, _sep, secret = rest.partition("_")
    key = (
        ApiKey.objects.select_related("created_by__user", "created_by__team")
        .filter(prefix=prefix)
        .first()
    )
    if key is None or not hmac.compare_digest(key.secret_sha256, _digest(secret)):
        raise ApiKey.DoesNotExist
    now = timezone.now()
    state = key.state(now)
    if state == "revoked":
        raise ApiKeyRefused(401, "key_revoked", _("This API key has been revoked."))
    if state == "expired":
        raise ApiKeyRefused(401, "key_expired", _("This API key has expired."))
    creator = key.created_by
    if not (creator.is_active and creator.is_admin and creator.user.is_active):
        raise ApiKeyRefused(
            401,
            "key_owner_inactive",
            _("The admin who created this API key is no longer an admin; create a new key."),
        )
    if method.upper() not in SAFE_METHODS and not key.can_write:
        raise ApiKeyRefused(403, "key_read_only", _("This API key is read-only."))
    if key.last_used_at is None or key.last_used_at < now - LAST_USED_RESOLUTION:
        ApiKey.objects.filter(pk=key.pk).filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - LAST_USED_RESOLUTION)
        ).update(last_used_at=now)
    return key


def record_key_write(key: ApiKey, method: str, path: str, status: int) -> None:
    """Audit one write made with ``key`` (in the request's transaction)."""
    record_change(
        key.created_by.user,
        "api_write",
        object_type="API key",
        object_id=key.pk,
        object_repr=key.name,
        after={"method": method, "path": path[:300], "status": status},
    )
