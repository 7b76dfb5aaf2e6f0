"""Resolve the organisation from the URL, check membership, and set both tenancy walls.

Every request under ``/o/<slug>/`` or ``/api/v1/orgs/<slug>/`` runs inside one transaction
with the tenant set; a non-member (or a deactivated member) gets 404, never a hint that the
organisation exists. Responses are rendered before the transaction closes.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone

from organizations.api_keys.services import (
    SAFE_METHODS,
    ApiKeyRefused,
    authenticate_key,
    presented_api_key,
    record_key_write,
)
from organizations.models import ApiKey, Membership, Organization
from organizations.relative_dates import zone_named
from organizations.tenancy import tenant_context

TENANT_PATH = re.compile(r"^/(?:o|api/v1/orgs)/(?P<slug>[-a-zA-Z0-9_]+)/")


def _api_not_found() -> JsonResponse:
    return JsonResponse({"status": 404, "code": "not_found", "detail": "Not found."}, status=404)


def _is_html(response: HttpResponse) -> bool:
    return str(response.get("Content-Type", "")).startswith("text/html")


class TenantMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.org = None  # type: ignore[attr-defined]
        request.membership = None  # type: ignore[attr-defined]
        match = TENANT_PATH.match(request.path_info)
        if match is None:
            return self.get_response(request)
        is_api = request.path_info.startswith("/api/")
        # An API key replaces the session for API paths (organizations.api_keys.services).
        presented = presented_api_key(request) if is_api else None
        request.api_key = None  # type: ignore[attr-defined]
        if presented is None and not request.user.is_authenticated:
            if request.path_info.startswith("/api/"):
                return JsonResponse(
                    {
                        "status": 403,
                        "code": "not_authenticated",
                        "detail": "Authentication credentials were not provided.",
                    },
                    status=403,
                )
            return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
        with transaction.atomic():
            org = Organization.objects.filter(slug=match["slug"], is_active=True).first()
            if org is None:
                if is_api:
                    return _api_not_found()
                raise Http404("No such organisation.")
            with tenant_context(org, user_id=request.user.pk):
                key: ApiKey | None = None
                if presented is not None:
                    try:
                        key = authenticate_key(presented, request.method or "GET")
                    except ApiKey.DoesNotExist:
                        return _api_not_found()
                    except ApiKeyRefused as refused:
                        body = {"status": refused.status, "code": refused.code}
                        body["detail"] = refused.detail
                        return JsonResponse(body, status=refused.status)
                    membership: Membership | None = key.created_by
                    request.api_key = key  # type: ignore[attr-defined]
                else:
                    membership = (
                        Membership.objects.select_related("team")
                        .filter(user_id=request.user.pk or 0, is_active=True)
                        .first()
                    )
                if membership is None:
                    if is_api:
                        return _api_not_found()
                    raise Http404("No such organisation.")
                request.org = org  # type: ignore[attr-defined]
                request.membership = membership  # type: ignore[attr-defined]
                # Dates and times on pages are the organisation's (UX: its time zone).
                timezone.activate(zone_named(org.time_zone))
                try:
                    response = self.get_response(request)
                    render = getattr(response, "render", None)
                    if callable(render) and not getattr(response, "is_rendered", True):
                        response = render()
                finally:
                    timezone.deactivate()
                if is_api and response.status_code == 404 and _is_html(response):
                    response = _api_not_found()  # an unmatched URL under the API answers JSON
                if response.status_code >= 500:
                    transaction.set_rollback(True)
                elif key is not None and request.method not in SAFE_METHODS:
                    record_key_write(key, request.method or "", request.path, response.status_code)
        return response
