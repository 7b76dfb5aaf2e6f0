"""REST API for competency frameworks (HR admins; API keys): shape and validation only."""

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
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from competencies import queries, services
from competencies.models import Competency, Framework
from organizations.api import (
    ErrorSerializer,
    StrictSerializer,
    TenantPrimaryKeyField,
    TenantViewSet,
    member,
)

ERRORS = {400: ErrorSerializer, 403: ErrorSerializer, 404: ErrorSerializer}
TAGS = ["competencies"]


class LevelSerializer(StrictSerializer):
    value = serializers.IntegerField()
    label = serializers.CharField()  # type: ignore[assignment]
    descriptor = serializers.CharField()


class FrameworkSerializer(StrictSerializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(max_length=200)
    description = serializers.CharField(max_length=5000, required=False, allow_blank=True)
    created_at = serializers.DateTimeField(read_only=True)
    levels = LevelSerializer(many=True, read_only=True)


class IndicatorSerializer(StrictSerializer):
    id = serializers.IntegerField(read_only=True)
    text = serializers.CharField(max_length=300)


class PriorityLinkSerializer(StrictSerializer):
    priority_id = serializers.IntegerField()
    title = serializers.CharField()
    weight = serializers.IntegerField()


class CompetencySerializer(StrictSerializer):
    id = serializers.IntegerField(read_only=True)
    framework = serializers.IntegerField(source="framework_id", read_only=True)
    name = serializers.CharField()
    description = serializers.CharField()
    category = serializers.CharField()
    indicators = IndicatorSerializer(many=True, read_only=True)
    priorities = PriorityLinkSerializer(many=True, read_only=True)


class CompetencyWriteSerializer(StrictSerializer):
    framework = TenantPrimaryKeyField(Framework)
    name = serializers.CharField(max_length=200)
    description = serializers.CharField(max_length=5000, required=False, allow_blank=True)
    category = serializers.CharField(max_length=100, required=False, allow_blank=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.partial:  # a competency stays in its framework
            self.fields.pop("framework")


class FrameworkDetailSerializer(StrictSerializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    description = serializers.CharField()
    levels = LevelSerializer(many=True)
    competencies = CompetencySerializer(many=True)


def _framework_levels(frameworks: list[Framework]) -> list[dict[str, Any]]:
    return [
        {
            "id": f.pk,
            "name": f.name,
            "description": f.description,
            "created_at": f.created_at,
            "levels": list(f.levels.all()),
        }
        for f in frameworks
    ]


@extend_schema_view(
    list=extend_schema(summary="Competency frameworks", tags=TAGS),
    retrieve=extend_schema(
        summary="A framework with its scale, competencies and indicators",
        responses={200: FrameworkDetailSerializer, **ERRORS},
        tags=TAGS,
    ),
    create=extend_schema(
        summary="Create a framework (with the default 1–5 scale)",
        responses={201: FrameworkSerializer, **ERRORS},
        examples=[OpenApiExample("Leadership", value={"name": "Leadership", "description": ""})],
        tags=TAGS,
    ),
    partial_update=extend_schema(
        summary="Rename or describe a framework",
        responses={200: FrameworkSerializer, **ERRORS},
        examples=[
            OpenApiExample("Describe", value={"description": "How we lead here"}, request_only=True)
        ],
        tags=TAGS,
    ),
)
class FrameworkViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    TenantViewSet,
):
    model = Framework
    required_roles = ("admin",)
    serializer_class = FrameworkSerializer
    lookup_value_converter = "int"
    http_method_names = ["get", "post", "patch", "head", "options"]

    def scope_queryset(self, queryset: Any) -> Any:
        return queryset.prefetch_related("levels")

    def list(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        data = FrameworkSerializer(_framework_levels(page or []), many=True).data
        return self.get_paginated_response(data)

    def retrieve(self, request: Any, pk: int | None = None, **kwargs: Any) -> Response:
        detail = queries.framework_detail(int(pk or 0))
        return Response(FrameworkDetailSerializer(detail).data)

    def create(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        payload = FrameworkSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        d = payload.validated_data
        framework = services.do_create_framework(
            member(request).user, d["name"], d.get("description", "")
        )
        body = _framework_levels(
            [Framework.objects.prefetch_related("levels").get(pk=framework.pk)]
        )
        return Response(FrameworkSerializer(body[0]).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        framework = self.get_object()
        payload = FrameworkSerializer(data=request.data, partial=True)
        payload.is_valid(raise_exception=True)
        d = payload.validated_data
        services.do_update_framework(
            member(request).user,
            framework,
            d.get("name", framework.name),
            d.get("description", framework.description),
        )
        body = _framework_levels(
            [Framework.objects.prefetch_related("levels").get(pk=framework.pk)]
        )
        return Response(FrameworkSerializer(body[0]).data)


@extend_schema_view(
    list=extend_schema(
        summary="Competencies with their indicators",
        parameters=[
            OpenApiParameter("framework", OpenApiTypes.INT, description="Only this framework"),
            OpenApiParameter("category", OpenApiTypes.STR, description="Exact category"),
        ],
        tags=TAGS,
    ),
    retrieve=extend_schema(
        summary="One competency", responses={200: CompetencySerializer, **ERRORS}, tags=TAGS
    ),
    create=extend_schema(
        summary="Add a competency at the end of its framework",
        request=CompetencyWriteSerializer,
        responses={201: CompetencySerializer, **ERRORS},
        examples=[
            OpenApiExample(
                "Coaching others",
                value={"framework": 1, "name": "Coaching others", "category": "People"},
                request_only=True,
            )
        ],
        tags=TAGS,
    ),
    partial_update=extend_schema(
        summary="Edit a competency",
        request=CompetencyWriteSerializer,
        responses={200: CompetencySerializer, **ERRORS},
        examples=[
            OpenApiExample("Rename", value={"name": "Coaching conversations"}, request_only=True)
        ],
        tags=TAGS,
    ),
    destroy=extend_schema(
        summary="Delete a competency (refused while ratings or steps use it)",
        responses={204: None, **ERRORS},
        tags=TAGS,
    ),
)
class CompetencyViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    TenantViewSet,
):
    model = Competency
    required_roles = ("admin",)
    serializer_class = CompetencySerializer
    lookup_value_converter = "int"
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def scope_queryset(self, queryset: Any) -> Any:
        if self.action != "list":
            return queryset.select_related("framework")
        params = self.request.query_params
        framework = params.get("framework", "")
        if framework:
            queryset = queryset.filter(framework_id=int(framework) if framework.isdigit() else 0)
        if params.get("category"):
            queryset = queryset.filter(category=params["category"])
        return queryset

    def list(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        views = queries.competency_views(list(page or []))
        return self.get_paginated_response(CompetencySerializer(views, many=True).data)

    def retrieve(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        competency = self.get_object()
        return Response(CompetencySerializer(queries.competency_card(competency.pk)).data)

    def create(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        payload = CompetencyWriteSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        d = payload.validated_data
        competency = services.do_create_competency(
            member(request).user,
            d["framework"],
            d["name"],
            d.get("description", ""),
            d.get("category", ""),
        )
        card = queries.competency_card(competency.pk)
        return Response(CompetencySerializer(card).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        competency = self.get_object()
        payload = CompetencyWriteSerializer(data=request.data, partial=True)
        payload.is_valid(raise_exception=True)
        d = payload.validated_data
        services.do_update_competency(
            member(request).user,
            competency,
            d.get("name", competency.name),
            d.get("description", competency.description),
            d.get("category", competency.category),
        )
        return Response(CompetencySerializer(queries.competency_card(competency.pk)).data)

    def destroy(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        services.do_delete_competency(member(request).user, self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Add a behavioural indicator",
        request=IndicatorSerializer,
        responses={201: CompetencySerializer, **ERRORS},
        examples=[
            OpenApiExample(
                "An observable behaviour",
                value={"text": "Asks an open question before offering advice"},
                request_only=True,
            )
        ],
        tags=TAGS,
    )
    @action(detail=True, methods=["post"], url_path="indicators")
    def add_indicator(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        competency = self.get_object()
        payload = IndicatorSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        services.do_add_indicator(member(request).user, competency, payload.validated_data["text"])
        card = queries.competency_card(competency.pk)
        return Response(CompetencySerializer(card).data, status=status.HTTP_201_CREATED)


router = SimpleRouter(use_regex_path=False)
router.register("frameworks", FrameworkViewSet, basename="api-frameworks")
router.register("competencies", CompetencyViewSet, basename="api-competencies")

urlpatterns = [path("", include(router.urls))]
