"""Reads for organisation pages."""

from __future__ import annotations

from dataclasses import dataclass

from organizations.models import Membership, Organization
from organizations.tenancy import user_context


@dataclass(frozen=True)
class OrgChoice:
    slug: str
    name: str
    roles: list[str]


def organizations_for_user(user_id: int) -> list[OrgChoice]:
    """The user's active organisations (one query). Before a tenant is chosen the database only
    shows a user their own memberships (second RLS policy on memberships)."""
    with user_context(user_id):
        memberships = list(
            Membership.objects.unscoped()
            .filter(user_id=user_id, is_active=True)
            .select_related("organization")
            .filter(organization__is_active=True)
            .order_by("organization__name")
        )
    return [OrgChoice(m.organization.slug, m.organization.name, m.roles) for m in memberships]


def organization_by_slug(slug: str) -> Organization | None:
    return Organization.objects.filter(slug=slug, is_active=True).first()
