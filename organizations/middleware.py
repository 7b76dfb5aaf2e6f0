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

from organizations.models import Membership, Organization
from organizations.relative_dates import zone_named
from organizations.tenancy import tenant_context

TENANT_PATH = re.compile(r"^/(?:o|api/v1/orgs)/(?P<slug>[-a-zA-Z0-9_]+)/")


class TenantMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.org = None  # type: ignore[attr-defined]
        request.membership = None  # type: ignore[attr-defined]
        match = TENANT_PATH.match(request.path_info)
        if match is None:
            return self.get_response(request)
        if not request.user.is_authenticated:
            if request.path_info.startswith("/api/"):
                return JsonResponse(
                    {"detail": "Authentication credentials were not provided."}, status=403
                )
            return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
        with transaction.atomic():
            org = Organization.objects.filter(slug=match["slug"], is_active=True).first()
            if org is None:
                raise Http404("No such organisation.")
            with tenant_context(org, user_id=request.user.pk):
                membership = (
                    Membership.objects.select_related("team")
                    .filter(user_id=request.user.pk, is_active=True)
                    .first()
                )
                if membership is None:
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
                if response.status_code >= 500:
                    transaction.set_rollback(True)
        return response
