"""Resolve the organisation from the URL, check membership, and set both tenancy walls.

Every request under ``/o/<slug>/`` or ``/api/v1/orgs/<slug>/`` runs inside one transaction
with the tenant set; a non-member (or a deactivated member) gets 404, never a hint that the
organisation exists. Responses are rendered before the transaction closes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.middleware import (
    AuthenticationMiddleware as DjangoAuthenticationMiddleware,
)
from django.contrib.auth.views import redirect_to_login
from django.db import connection, transaction
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    JsonResponse,
    QueryDict,
)
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.functional import SimpleLazyObject
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from organizations.accounts import mfa
from organizations.accounts import services as account_services
from organizations.accounts.sessions import signed_in_user
from organizations.api_keys.services import (
    SAFE_METHODS,
    ApiKeyRefused,
    authenticate_key,
    presented_api_key,
    record_key_write,
)
from organizations.models import ApiKey, Membership
from organizations.relative_dates import zone_named
from organizations.request_reads import active_membership, active_organization
from organizations.tenancy import request_tenant_context

TENANT_PATH = re.compile(r"^/(?:o|api/v1/orgs)/(?P<slug>[-a-zA-Z0-9_]+)/")


def _api_not_found() -> JsonResponse:
    return JsonResponse({"status": 404, "code": "not_found", "detail": "Not found."}, status=404)


def _is_html(response: HttpResponse) -> bool:
    return str(response.get("Content-Type", "")).startswith("text/html")


class AuthenticationMiddleware(DjangoAuthenticationMiddleware):
    """Django's ``AuthenticationMiddleware`` with ``request.user`` taken from the account the
    session store read together with the session (``organizations.accounts.sessions``): one
    statement for "who is this browser" instead of two, the same checks."""

    def process_request(self, request: HttpRequest) -> None:
        super().process_request(request)
        request.user = SimpleLazyObject(lambda: _cached_signed_in_user(request))  # type: ignore[assignment]


def _cached_signed_in_user(request: HttpRequest) -> Any:
    if not hasattr(request, "_cached_user"):
        request._cached_user = signed_in_user(request)  # type: ignore[attr-defined]
    return request._cached_user  # type: ignore[attr-defined]


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
        user_id = request.user.pk
        with transaction.atomic():
            # One statement: the organisation, and (PostgreSQL) both tenant settings with it
            # (organizations.request_reads: SQL text, no queryset compiled on every request).
            org = active_organization(match["slug"], user_id)
            if org is None:
                if is_api:
                    return _api_not_found()
                raise Http404("No such organisation.")
            idle_limit = org.session_idle_minutes
            idle = account_services.idle_for(request) if idle_limit else None
            if idle_limit and idle is not None and idle.total_seconds() > idle_limit * 60:
                account_services.do_sign_out_idle(request, org)
                messages.info(
                    request,
                    _("You were signed out after %(n)s minutes without activity.")
                    % {"n": idle_limit},
                )
                return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
            with request_tenant_context(
                org, user_id=user_id, database_tenant_set=connection.vendor == "postgresql"
            ):
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
                    # One membership per (organisation, user), with its team and whether they
                    # manage one (the navigation's link to their teams' page).
                    membership = active_membership(org.pk, request.user.pk or 0)
                if membership is None:
                    if is_api:
                        return _api_not_found()
                    raise Http404("No such organisation.")
                # An API key is its own credential; a person's session must pass the second step.
                if (
                    key is None
                    and mfa.requires_mfa(org, membership)
                    and not mfa.session_is_verified(request)
                ):
                    return _second_step_required(request)
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


def _second_step_required(request: HttpRequest) -> HttpResponse:
    """The organisation requires two-step sign-in of this member and this session has not
    passed it: set it up (or confirm a code) first."""
    if request.path_info.startswith("/api/"):
        detail = _("This organisation requires two-step sign-in. Sign in again.")
        return JsonResponse({"status": 403, "code": "mfa_required", "detail": detail}, status=403)
    return redirect(reverse("mfa_settings") + "?" + urlencode({"next": request.get_full_path()}))


# C0 control characters and DEL, except tab, line feed and carriage return, which forms may hold.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# JSON bodies larger than this are not inspected here (the API takes small bodies; uploads are
# multipart and handled above).
JSON_INSPECT_BYTES = 1024 * 1024


def _clean_querydict(data: QueryDict) -> QueryDict | None:
    """A copy of ``data`` without control characters, or None when it has none."""
    if not any(
        CONTROL_CHARACTERS.search(key) or any(CONTROL_CHARACTERS.search(v) for v in values)
        for key, values in data.lists()
    ):
        return None
    cleaned = QueryDict(mutable=True, encoding=data.encoding)
    for key, values in data.lists():
        cleaned.setlist(
            CONTROL_CHARACTERS.sub("", key), [CONTROL_CHARACTERS.sub("", v) for v in values]
        )
    cleaned._mutable = False
    return cleaned


def _control_character_fields(value: Any, path: str = "") -> list[str]:
    """The paths (``rows[3].email``; "" for the whole body) of every text in a decoded JSON
    body, key or value, that holds a control character."""
    if isinstance(value, str):
        return [path] if CONTROL_CHARACTERS.search(value) else []
    found: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            name = CONTROL_CHARACTERS.sub("", str(key))
            inner = f"{path}.{name}" if path else name
            if CONTROL_CHARACTERS.search(str(key)):
                found.append(inner)
            found += _control_character_fields(item, inner)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _control_character_fields(item, f"{path}[{index}]")
    return found


def _control_characters_refused(fields: list[str], message: str = "") -> JsonResponse:
    """400 in the API's error shape (``organizations.api``): what any JSON client expects."""
    message = message or _("Text may not contain control characters.")
    code = "control_characters_not_allowed"
    errors = [{"field": field or None, "code": code, "message": message} for field in fields]
    detail = f"{fields[0]}: {message}" if fields and fields[0] else message
    body = {"status": 400, "code": "invalid", "detail": detail, "errors": errors}
    return JsonResponse(body, status=400)


class InputHygieneMiddleware:
    """Once for every form and query parameter: control characters (NUL above all, which
    PostgreSQL refuses in text) are removed from query strings and form fields, so no search,
    filter or form has to remember; a path or a JSON body carrying them gets a 400."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if CONTROL_CHARACTERS.search(request.path_info):
            message = _("The address contains control characters.")
            if request.path_info.startswith("/api/"):
                return _control_characters_refused([""], message)
            return HttpResponse(message, status=400, content_type="text/plain")
        cleaned_get = _clean_querydict(request.GET)
        if cleaned_get is not None:
            request.GET = cleaned_get  # type: ignore[assignment]
        content_type = request.content_type or ""
        if request.method == "POST" and content_type in {
            "application/x-www-form-urlencoded",
            "multipart/form-data",
        }:
            cleaned_post = _clean_querydict(request.POST)
            if cleaned_post is not None:
                request.POST = cleaned_post  # type: ignore[assignment]
        elif (
            request.method in {"POST", "PUT", "PATCH"}
            and content_type.endswith("json")
            and int(request.META.get("CONTENT_LENGTH") or 0) <= JSON_INSPECT_BYTES
        ):
            try:
                body = json.loads(request.body or b"null")
            except (ValueError, UnicodeDecodeError):
                body = None  # the API's own parser answers malformed JSON
            fields = _control_character_fields(body)
            if fields:
                return _control_characters_refused(fields)
        return self.get_response(request)


class SignedInPagesMiddleware:
    """For a signed-in person: pages are never stored by browsers or proxies (a shared computer's
    back button must not show them after sign-out), and the browser's activity is noted for the
    sessions page and the idle timeout."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            patch_cache_control(response, no_store=True, private=True)
            account_services.touch_session(request)
        return response
