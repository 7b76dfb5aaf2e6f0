"""Open Badges 2.0 JSON-LD documents: the assertion, the badge class and the issuer profile,
all hosted at public URLs under ``/badges/<org>/`` (hosted verification)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils.html import escape, strip_tags

from organizations.models import Organization
from pathways.models import BadgeAssertion, Pathway

CONTEXT = "https://w3id.org/openbadges/v2"


def _abs(base: str, name: str, **kwargs: Any) -> str:
    return base + reverse(name, kwargs=kwargs)


def issuer_url(base: str, org: Organization) -> str:
    return _abs(base, "badge_issuer", org_slug=org.slug)


def badge_class_url(base: str, org: Organization, pathway_id: int) -> str:
    return _abs(base, "badge_class", org_slug=org.slug, pathway_id=pathway_id)


def assertion_url(base: str, org: Organization, badge: BadgeAssertion) -> str:
    return _abs(base, "badge_assertion", org_slug=org.slug, uid=badge.uid)


def assertion_url_for(base: str, org_slug: str, uid: str) -> str:
    return _abs(base, "badge_assertion", org_slug=org_slug, uid=uid)


def issuer(base: str, org: Organization) -> dict[str, Any]:
    sender = settings.DEFAULT_FROM_EMAIL
    email = sender.split("<")[-1].rstrip(">").strip() if "<" in sender else sender
    return {
        "@context": CONTEXT,
        "type": "Issuer",
        "id": issuer_url(base, org),
        "name": org.name,
        "url": f"{base}/o/{org.slug}/",
        "email": email,
    }


def badge_class(base: str, org: Organization, pathway: Pathway) -> dict[str, Any]:
    purpose = strip_tags(pathway.purpose).strip()
    return {
        "@context": CONTEXT,
        "type": "BadgeClass",
        "id": badge_class_url(base, org, pathway.pk),
        "name": pathway.name,
        "description": purpose or f"Completed the {pathway.name} pathway at {org.name}.",
        "image": _abs(base, "badge_image", org_slug=org.slug, pathway_id=pathway.pk),
        "criteria": {
            "narrative": f"Complete every required step of the {pathway.name} pathway: "
            "its micro-learning modules, practice, project work and coaching."
        },
        "issuer": issuer_url(base, org),
    }


def assertion(base: str, org: Organization, badge: BadgeAssertion) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "@context": CONTEXT,
        "type": "Assertion",
        "id": assertion_url(base, org, badge),
        "recipient": {
            "type": "email",
            "hashed": True,
            "salt": badge.salt,
            "identity": badge.identity_hash,
        },
        "badge": badge_class_url(base, org, badge.pathway_id),
        "verification": {"type": "hosted"},
        "issuedOn": badge.issued_on.isoformat(),
    }
    if badge.is_revoked:
        doc["revoked"] = True
        doc["revocationReason"] = badge.revocation_reason
    return doc


def image_svg(pathway: Pathway) -> str:
    """A round badge with the pathway's initials (no external fonts or images)."""
    initials = "".join(w[0] for w in pathway.name.split()[:3] if w[:1].isalnum()).upper() or "P"
    title = escape(pathway.name)
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="256" height="256" viewBox="0 0 256 256" '
        f'role="img" aria-label="{title}"><title>{title}</title>'
        '<circle cx="128" cy="128" r="120" fill="#1f4e79"/>'
        '<circle cx="128" cy="128" r="100" fill="none" stroke="#ffffff" stroke-width="6"/>'
        '<text x="128" y="150" text-anchor="middle" font-family="system-ui, sans-serif" '
        f'font-size="64" font-weight="700" fill="#ffffff">{initials}</text></svg>'
    )
