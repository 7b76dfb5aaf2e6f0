"""Demo API keys: one read-only and one read-write key per demo organisation, with fixed
secrets so that the README can show a working ``curl`` (demo data only: never do this for real
keys, whose secrets are random and shown once)."""

from __future__ import annotations

import hashlib

from organizations.api_keys.services import KEY_PREFIX
from organizations.models import ApiKey, Membership

DEMO_KEYS = (
    ("BI dashboard (demo)", ApiKey.Scope.READ),
    ("HRIS sync (demo)", ApiKey.Scope.READ_WRITE),
)


def demo_key_plaintext(slug: str, scope: str) -> str:
    prefix = hashlib.sha256(f"{slug}:{scope}:prefix".encode()).hexdigest()[:8]
    return f"{KEY_PREFIX}{prefix}_demo-{slug}-{scope.replace('_', '-')}-key"


def seed_api_keys(admin: Membership, slug: str) -> None:
    """Must run inside tenant_context(org). Idempotent: keys are found by prefix."""
    for name, scope in DEMO_KEYS:
        plaintext = demo_key_plaintext(slug, scope)
        prefix, _sep, secret = plaintext.removeprefix(KEY_PREFIX).partition("_")
        ApiKey.objects.get_or_create(
            prefix=prefix,
            defaults={
                "name": name,
                "scope": scope,
                "created_by": admin,
                "secret_sha256": hashlib.sha256(secret.encode()).hexdigest(),
            },
        )
