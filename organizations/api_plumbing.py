"""The classes ``REST_FRAMEWORK`` settings name (authentication, throttle, pagination).

They live apart from ``organizations.api`` because DRF imports its settings' classes while
``rest_framework.views`` is still loading; this module must not import DRF's views or viewsets.
"""

from __future__ import annotations

import logging
from typing import Any

from rest_framework.authentication import BaseAuthentication
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from organizations.models import ApiKey, Membership, Organization, User

logger = logging.getLogger(__name__)


# --- Who is asking ----------------------------------------------------------------------------


def member(request: Any) -> Membership:
    """The member the tenant middleware resolved (for a key: the admin who created it)."""
    membership: Membership = getattr(request, "_request", request).membership
    return membership


def organization(request: Any) -> Organization:
    org: Organization = getattr(request, "_request", request).org
    return org


def api_key(request: Any) -> ApiKey | None:
    return getattr(getattr(request, "_request", request), "api_key", None)


def acting_roles(request: Any) -> list[str]:
    """The roles this request may act in: a member's roles, or only ``admin`` for a key."""
    membership = getattr(getattr(request, "_request", request), "membership", None)
    if membership is None:
        return []
    if api_key(request) is not None:
        return ["admin"] if membership.has_role("admin") else []
    return list(membership.roles)


class ApiKeyAuthentication(BaseAuthentication):
    """Reads the key the tenant middleware authenticated (it must: keys are looked up inside
    the organisation of the URL). Returns the key's creator as ``request.user`` and the key as
    ``request.auth``."""

    def authenticate(self, request: Request) -> tuple[User, ApiKey] | None:
        key = api_key(request)
        if key is None:
            return None
        return key.created_by.user, key

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'


class ApiKeyRateThrottle(SimpleRateThrottle):
    """Requests per API key; session users are not throttled here. Fails open if the cache is
    down: a throttle is a courtesy, never a reason to refuse the organisation's own data."""

    scope = "api_key"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        key = api_key(request)
        return None if key is None else f"throttle_api_key_{key.pk}"

    def allow_request(self, request: Request, view: Any) -> bool:
        try:
            return super().allow_request(request, view)
        except Exception:  # the cache backend's errors vary by backend
            logger.warning("API key throttle skipped: cache unavailable", exc_info=True)
            return True


class TenantCursorPagination(CursorPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    ordering = "-id"

    def get_ordering(self, request: Any, queryset: Any, view: Any) -> tuple[str, ...]:
        ordering = getattr(view, "cursor_ordering", None)
        return tuple(ordering) if ordering else (self.ordering,)
