"""Request types for views: what the tenant middleware and django-htmx put on a request."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest

if TYPE_CHECKING:
    from django_htmx.middleware import HtmxDetails

    from organizations.models import Membership, Organization, User


class AuthenticatedRequest(HttpRequest):
    """A request from a signed-in user (views behind ``login_required``)."""

    user: User  # type: ignore[assignment]
    htmx: HtmxDetails


class TenantRequest(AuthenticatedRequest):
    """A request under ``/o/<slug>/``: the middleware has resolved the organisation and the
    member (a non-member never reaches a view)."""

    org: Organization
    membership: Membership
