"""The module library over the REST API (HR admins, API keys). Shape and validation only."""

from __future__ import annotations

from typing import Any

from django.urls import include, path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from organizations.api import MAX_ID, StrictSerializer, TenantViewSet, member, organization
from pathways.library import services
from pathways.models import Module
from pathways.xapi.statements import Site

TAGS = ["modules"]
LIFECYCLE_STATUSES = Module.Status.values  # a module's and a pathway version's


class ModuleSerializer(StrictSerializer):
    id = serializers.IntegerField(read_only=True)
    title = serializers.CharField(max_length=200)
    summary = serializers.CharField(max_length=300, required=False, allow_blank=True)
    body = serializers.CharField(
        max_length=100_000, required=False, allow_blank=True, help_text="Markdown"
    )
    format = serializers.ChoiceField(choices=Module.Format.values, default=Module.Format.READ)
    minutes = serializers.IntegerField(min_value=1, max_value=15, default=10)
    difficulty = serializers.IntegerField(min_value=1, max_value=5, default=2)
    is_core = serializers.BooleanField(default=True)
    competencies = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID),
        required=False,
        max_length=50,
        help_text="Competency ids",
    )
    status = serializers.ChoiceField(choices=Module.Status.values, read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)
    xapi_activity_id = serializers.URLField(
        read_only=True,
        help_text="The activity IRI external content uses in xAPI statements about this module",
    )


def _row(request: Any, m: Module) -> dict[str, Any]:
    site = Site(base=request.build_absolute_uri("/").rstrip("/"), org=organization(request))
    return {
        "id": m.pk,
        "title": m.title,
        "summary": m.summary,
        "body": m.body,
        "format": m.format,
        "minutes": m.minutes,
        "difficulty": m.difficulty,
        "is_core": m.is_core,
        "competencies": sorted(c.pk for c in m.competencies.all()),
        "status": m.status,
        "updated_at": m.updated_at,
        "xapi_activity_id": site.activity_iri("module", str(m.pk)),
    }


def _data(d: dict[str, Any], module: Module | None) -> services.ModuleData:
    def pick(name: str, default: Any) -> Any:
        if name in d:
            return d[name]
        return getattr(module, name) if module is not None else default

    competencies = d.get("competencies")
    if competencies is None:
        competencies = [c.pk for c in module.competencies.all()] if module is not None else []
    return services.ModuleData(
        title=pick("title", ""),
        summary=pick("summary", ""),
        body=pick("body", ""),
        format=pick("format", Module.Format.READ),
        minutes=pick("minutes", 10),
        difficulty=pick("difficulty", 2),
        is_core=pick("is_core", True),
        competency_ids=competencies,
    )


@extend_schema_view(
    list=extend_schema(
        summary="Modules of the library",
        parameters=[
            OpenApiParameter("status", OpenApiTypes.STR, enum=Module.Status.values),
            OpenApiParameter("competency", OpenApiTypes.INT),
        ],
        tags=TAGS,
    ),
    retrieve=extend_schema(summary="One module", tags=TAGS),
    create=extend_schema(
        summary="Add a draft module (publishing stays in the browser)",
        examples=[
            OpenApiExample(
                "A short read",
                value={
                    "title": "Asking before telling",
                    "summary": "Why an open question first changes the conversation",
                    "body": "## Try this\nAsk *what have you tried?* before you advise.",
                    "format": "read",
                    "minutes": 8,
                    "difficulty": 2,
                    "competencies": [4],
                },
                request_only=True,
            )
        ],
        tags=TAGS,
    ),
    partial_update=extend_schema(
        summary="Edit a module",
        examples=[OpenApiExample("Shorter", value={"minutes": 6}, request_only=True)],
        tags=TAGS,
    ),
)
class ModuleViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    TenantViewSet,
):
    model = Module
    required_roles = ("admin",)
    serializer_class = ModuleSerializer
    lookup_value_converter = "int"
    http_method_names = ["get", "post", "patch", "head", "options"]

    def scope_queryset(self, queryset: Any) -> Any:
        queryset = queryset.prefetch_related("competencies")
        params = self.request.query_params
        if params.get("status", "") in Module.Status.values:
            queryset = queryset.filter(status=params["status"])
        competency = params.get("competency", "")
        if competency.isdigit() and int(competency) <= MAX_ID:
            queryset = queryset.filter(competencies__id=int(competency))
        return queryset

    def list(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.get_queryset()) or []
        return self.get_paginated_response([_row(request, m) for m in page])

    def retrieve(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        return Response(_row(request, self.get_object()))

    def create(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        payload = ModuleSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        module = services.do_save_module(
            member(request).user, None, _data(payload.validated_data, None)
        )
        saved = self.get_queryset().get(pk=module.pk)
        return Response(_row(request, saved), status=status.HTTP_201_CREATED)

    def partial_update(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        module = self.get_object()
        payload = ModuleSerializer(data=request.data, partial=True)
        payload.is_valid(raise_exception=True)
        services.do_save_module(member(request).user, module, _data(payload.validated_data, module))
        return Response(_row(request, self.get_queryset().get(pk=module.pk)))


router = SimpleRouter(use_regex_path=False)
router.register("modules", ModuleViewSet, basename="api-modules")

urlpatterns = [path("", include(router.urls))]
