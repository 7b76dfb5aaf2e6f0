"""The API's shared base: tenant-safe viewsets, key authentication, pagination, ETags, errors.

How to add an endpoint (any app's ``api.py``; register the router's urls in ``config/urls.py``'s
``api_patterns``)::

    class ThingViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
        model = Thing                       # a TenantModel: get_queryset() is sealed
        required_roles = ("admin",)         # any of these roles; empty = any member
        serializer_class = ThingSerializer
        cursor_ordering = ("-created_at", "-id")   # optional; default ("-id",)

        def scope_queryset(self, queryset):  # narrow, select_related; never widen
            return queryset.select_related("owner")

What the base gives every endpoint under ``/api/v1/orgs/<slug>/``:

- **Tenant.** The middleware has resolved the organisation and the member (404 otherwise) and
  runs the request in one transaction with both walls set; ``member(request)`` is the member.
- **Authentication.** The browser session, or an API key: ``Authorization: Bearer pw_…``. A key
  acts as the admin who created it, in the ``admin`` role only (``acting_roles``); a read-only
  key gets 403 on any write before the view runs; every write with a key is audited. Keys are
  throttled per key (``api_key`` rate in ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]``).
- **Pagination.** Cursor pagination (``?cursor=…``, ``?page_size=`` up to 200) on
  ``self.paginate_queryset``; the body is ``{"next", "previous", "results"}``.
- **ETag.** Every ``GET`` answered 200 carries a weak ``ETag`` of its body; a matching
  ``If-None-Match`` gets 304 with no body. Function views can call ``with_etag``.
- **Errors.** Every 4xx body is ``{"status", "code", "detail", "errors": [{"field", "code",
  "message"}]}``; ``field`` is a path such as ``rows[3].email`` (null for the whole request).
  A Django ``ValidationError`` from a service's ``check_*`` becomes 400 naming its fields, an
  ``ObjectDoesNotExist`` 404. The schema documents 400/401/403/404/429 with ``ErrorSerializer``
  on every tenant operation by itself (``organizations.api_docs.add_error_responses``).
- **Filters.** List filters are a serializer of query parameters (``parameters=[TheFilters]``
  in ``extend_schema`` documents them); ``validated_query(request, TheFilters)`` gives the
  validated values or a 400 naming the parameter (``since``), as for a body.
- **Unknown fields.** Request bodies' serializers derive from ``StrictSerializer``: a field the
  endpoint does not know is a 400 naming it (a typo never silently falls back to a default).
- **Ids in request bodies.** ``TenantPrimaryKeyField(Model)`` accepts only this organisation's
  rows (another organisation's id is a 400 naming the field, never a leak).
- **Schema and fuzzing.** Annotate with ``extend_schema`` (summary, request, responses, tags);
  ``manage.py spectacular --validate --fail-on-warn`` must stay clean (a test runs it), and
  ``tests/api/test_fuzz.py`` fuzzes every operation in the schema as each demo role and with a
  demo key, so an endpoint added to ``config/urls.py`` is fuzzed the day it lands.
- **Function views.** ``APIView`` subclasses get the same authentication, throttle and error
  body; set ``permission_classes = [IsMember]`` and ``required_roles``, use ``member(request)``
  and wrap GET answers in ``with_etag(request, Response(...))``.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, ClassVar

from django.core.exceptions import ObjectDoesNotExist
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.http import Http404
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions, serializers, status, viewsets
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler

from organizations.api_plumbing import (
    ApiKeyAuthentication,
    ApiKeyRateThrottle,
    TenantCursorPagination,
    acting_roles,
    api_key,
    member,
    organization,
)
from organizations.tenancy import TenantModel

__all__ = [
    "ApiKeyAuthentication",
    "ApiKeyRateThrottle",
    "ErrorSerializer",
    "IsMember",
    "TenantCursorPagination",
    "MAX_ID",
    "StrictSerializer",
    "TenantPrimaryKeyField",
    "TenantViewSet",
    "acting_roles",
    "api_exception_handler",
    "api_key",
    "member",
    "organization",
    "validated_query",
    "with_etag",
]


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    target_class = "organizations.api_plumbing.ApiKeyAuthentication"
    name = "apiKey"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An organisation's API key, `pw_…`, made by an admin at "
            "/o/<org>/api-keys/. It acts as that admin, read-only or read-write.",
        }


class IsMember(BasePermission):
    """The tenant middleware already 404s non-members; this also requires a role if asked."""

    message = "Your role in this organisation cannot use this endpoint."

    def has_permission(self, request: Any, view: Any) -> bool:
        if getattr(request._request, "membership", None) is None:
            return False
        roles = getattr(view, "required_roles", ())
        acting = acting_roles(request)
        return bool(acting) and (not roles or any(r in acting for r in roles))


# --- Pagination and ETags ---------------------------------------------------------------------


def body_etag(data: Any) -> str:
    payload = json.dumps(data, sort_keys=True, cls=DjangoJSONEncoder, separators=(",", ":"))
    return 'W/"' + hashlib.sha256(payload.encode()).hexdigest()[:32] + '"'


def with_etag(request: Request, response: Response) -> Response:
    """Adds an ETag to a 200 GET response, or turns it into 304 if the client has it."""
    if request.method not in ("GET", "HEAD") or response.status_code != 200:
        return response
    etag = body_etag(response.data)
    candidates = {t.strip() for t in request.headers.get("If-None-Match", "").split(",")}
    response["ETag"] = etag
    if etag in candidates or etag.removeprefix("W/") in candidates:
        response.status_code = status.HTTP_304_NOT_MODIFIED
        response.data = None
    return response


# --- The base viewset -------------------------------------------------------------------------


class TenantViewSet(viewsets.GenericViewSet):
    """Subclasses name ``model`` and may narrow with ``scope_queryset``; they may not override
    ``get_queryset``, so no endpoint can forget the tenant filter."""

    model: ClassVar[type[TenantModel]]
    required_roles: ClassVar[tuple[str, ...]] = ()
    cursor_ordering: ClassVar[tuple[str, ...] | None] = None
    permission_classes = [IsMember]
    pagination_class: type[TenantCursorPagination] | None = TenantCursorPagination

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "get_queryset" in cls.__dict__:
            raise TypeError(f"{cls.__name__} must not override get_queryset; use scope_queryset.")

    def scope_queryset(self, queryset: models.QuerySet[Any]) -> models.QuerySet[Any]:
        return queryset

    def get_queryset(self) -> models.QuerySet[Any]:
        if getattr(self, "swagger_fake_view", False):  # drf-spectacular: no tenant, no rows
            return self.model.objects.unscoped().none()
        return self.scope_queryset(self.model.objects.all())

    def finalize_response(self, request: Any, response: Any, *args: Any, **kwargs: Any) -> Any:
        response = super().finalize_response(request, response, *args, **kwargs)
        if isinstance(response, Response):
            response = with_etag(request, response)
        return response


def validated_query(request: Request, filters: type[serializers.Serializer]) -> dict[str, Any]:
    """The request's query parameters checked by ``filters`` (each parameter's last value; an
    unknown parameter is ignored, as browsers' pages do); a bad one is a 400 naming it."""
    params = {key: request.query_params.get(key) for key in request.query_params}
    checked = filters(data=params)
    checked.is_valid(raise_exception=True)
    return dict(checked.validated_data)


class StrictSerializer(serializers.Serializer):
    """A serializer that refuses, by name, a field it does not know (read-only fields are known
    and ignored on input, as DRF does). Output is unchanged."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            unknown = sorted(str(name) for name in data if name not in self.fields)
            if unknown:
                raise serializers.ValidationError(
                    {name: ["Unknown field: this endpoint does not take it."] for name in unknown},
                    code="unknown_field",
                )
        return super().to_internal_value(data)


# --- Fields ---------------------------------------------------------------------------------


MAX_ID = 2**63 - 1


class TenantPrimaryKeyField(serializers.IntegerField):
    """An id of one of this organisation's ``model`` rows, looked up at validation time
    through the scoped manager (another organisation's id reads as "no such …")."""

    def __init__(self, model: type[TenantModel], **kwargs: Any) -> None:
        self.model = model
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(**kwargs)

    def run_validation(self, data: Any = serializers.empty) -> Any:
        pk = super().run_validation(data)
        if pk is None:
            return None
        obj = self.model.objects.filter(pk=pk).first()
        if obj is None:
            name = self.model._meta.verbose_name
            raise serializers.ValidationError(f"No {name} with id {pk} in this organisation.")
        return obj

    def to_representation(self, value: Any) -> Any:
        return getattr(value, "pk", value)


# --- Errors -----------------------------------------------------------------------------------


class FieldErrorSerializer(serializers.Serializer):
    field = serializers.CharField(allow_null=True, help_text="e.g. `name` or `rows[3].email`")
    code = serializers.CharField()
    message = serializers.CharField()


class ErrorSerializer(serializers.Serializer):
    status = serializers.IntegerField()
    code = serializers.CharField()
    detail = serializers.CharField()
    errors = FieldErrorSerializer(many=True, required=False)  # type: ignore[assignment]


def _flatten(details: Any, path: str = "") -> list[dict[str, Any]]:
    """``get_full_details()`` of a ValidationError as a flat list naming each field's path."""
    out: list[dict[str, Any]] = []
    if isinstance(details, dict) and set(details) == {"message", "code"}:
        return [{"field": path or None, "code": details["code"], "message": details["message"]}]
    if isinstance(details, dict):
        for name, value in details.items():
            if name in ("non_field_errors", "__all__"):
                out += _flatten(value, path)
            elif isinstance(name, int) or str(name).isdigit():  # a list's item, by index
                out += _flatten(value, f"{path}[{name}]")
            else:
                out += _flatten(value, f"{path}.{name}" if path else str(name))
    elif isinstance(details, list):
        nested = any(isinstance(d, dict) and set(d) != {"message", "code"} for d in details)
        for index, value in enumerate(details):
            out += _flatten(value, f"{path}[{index}]" if nested else path)
    return out


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler with one body shape for every error (see the module docstring)."""
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(detail=as_serializer_error(exc))
    elif isinstance(exc, ObjectDoesNotExist | Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = exception_handler(exc, context)
    if response is None or not isinstance(exc, exceptions.APIException):
        return response
    body: dict[str, Any] = {"status": response.status_code}
    if isinstance(exc, exceptions.ValidationError):
        errors = _flatten(exc.get_full_details())
        body["code"] = "invalid"
        first = errors[0] if errors else None
        if first is not None and first["field"] is None:
            body["detail"] = first["message"]
        elif first is not None:
            body["detail"] = f"{first['field']}: {first['message']}"
        else:
            body["detail"] = "Invalid input."
        body["errors"] = errors
    else:
        codes = exc.get_codes()
        body["code"] = codes if isinstance(codes, str) else exc.default_code
        body["detail"] = str(exc.detail) if not isinstance(exc.detail, dict | list) else str(exc)
    response.data = body
    return response
