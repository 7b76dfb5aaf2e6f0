"""Pathways over the REST API, read-only: composing and publishing stay in the browser."""

from __future__ import annotations

from typing import Any

from django.urls import include, path
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from organizations.api import StrictSerializer, TenantViewSet
from pathways.models import Pathway, PathwayVersion

TAGS = ["pathways"]


class VersionSerializer(StrictSerializer):
    id = serializers.IntegerField()
    number = serializers.IntegerField()
    status = serializers.ChoiceField(choices=PathwayVersion.Status.values)
    steps = serializers.IntegerField()


class PathwaySerializer(StrictSerializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    purpose = serializers.CharField(allow_blank=True)
    versions = VersionSerializer(many=True)


def _row(p: Pathway) -> dict[str, Any]:
    versions = sorted(p.versions.all(), key=lambda v: -v.number)
    return {
        "id": p.pk,
        "name": p.name,
        "purpose": p.purpose,
        "versions": [
            {"id": v.pk, "number": v.number, "status": v.status, "steps": len(v.steps.all())}
            for v in versions
        ],
    }


@extend_schema_view(
    list=extend_schema(summary="Pathways with their versions", tags=TAGS),
    retrieve=extend_schema(summary="One pathway with its versions", tags=TAGS),
)
class PathwayViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    model = Pathway
    required_roles = ("admin",)
    serializer_class = PathwaySerializer
    lookup_value_converter = "int"

    def scope_queryset(self, queryset: Any) -> Any:
        return queryset.prefetch_related("versions__steps")

    def list(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.get_queryset()) or []
        return self.get_paginated_response([_row(p) for p in page])

    def retrieve(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        return Response(_row(self.get_object()))


router = SimpleRouter(use_regex_path=False)
router.register("pathways", PathwayViewSet, basename="api-pathways")

urlpatterns = [path("", include(router.urls))]
