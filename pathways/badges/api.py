"""Badges over the REST API: a learner's badges; admins list and revoke."""

from __future__ import annotations

from typing import Any

from django.urls import include, path
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import mixins, serializers
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter
from rest_framework.views import APIView

from organizations.api import (
    IsMember,
    StrictSerializer,
    TenantViewSet,
    member,
    organization,
    with_etag,
)
from pathways.badges import documents, queries, services
from pathways.models import BadgeAssertion

TAGS = ["badges"]


class BadgeSerializer(StrictSerializer):
    id = serializers.IntegerField()
    pathway_id = serializers.IntegerField()
    pathway = serializers.CharField()
    learner = serializers.CharField()
    issued_on = serializers.DateTimeField()
    revoked = serializers.BooleanField()
    revocation_reason = serializers.CharField(allow_blank=True)
    assertion_url = serializers.URLField(help_text="Public Open Badges 2.0 assertion (hosted).")


class RevokeSerializer(StrictSerializer):
    reason = serializers.CharField(max_length=300)


def _shape(request: Any, row: queries.BadgeRow) -> dict[str, Any]:
    base = request.build_absolute_uri("/").rstrip("/")
    org = organization(request)
    return {
        "id": row.id,
        "pathway_id": row.pathway_id,
        "pathway": row.pathway,
        "learner": row.learner,
        "issued_on": row.issued_on,
        "revoked": row.revoked_at is not None,
        "revocation_reason": row.revocation_reason,
        "assertion_url": documents.assertion_url_for(base, org.slug, row.uid),
    }


class MyBadgesView(APIView):
    permission_classes = [IsMember]
    required_roles = ("learner",)

    @extend_schema(summary="My Open Badges", responses={200: BadgeSerializer(many=True)}, tags=TAGS)
    def get(self, request: Any, org_slug: str) -> Response:
        rows = queries.learner_badges(member(request))
        return with_etag(request, Response([_shape(request, r) for r in rows]))


@extend_schema_view(list=extend_schema(summary="Badges issued in the organisation", tags=TAGS))
class BadgeViewSet(mixins.ListModelMixin, TenantViewSet):
    model = BadgeAssertion
    required_roles = ("admin",)
    serializer_class = BadgeSerializer
    lookup_value_converter = "int"
    cursor_ordering = ("-issued_on", "-id")

    def scope_queryset(self, queryset: Any) -> Any:
        return queryset.select_related("pathway", "learner__user")

    def list(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.get_queryset()) or []
        rows = [_shape(request, queries.badge_row(b)) for b in page]
        return self.get_paginated_response(BadgeSerializer(rows, many=True).data)

    @extend_schema(
        summary="Revoke a badge (its public assertion then says revoked)",
        request=RevokeSerializer,
        responses={200: BadgeSerializer},
        examples=[
            OpenApiExample(
                "Issued in error",
                value={"reason": "Issued to the wrong person"},
                request_only=True,
            )
        ],
        tags=TAGS,
    )
    @action(detail=True, methods=["post"])
    def revoke(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        badge = self.get_object()
        payload = RevokeSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        revoked = services.do_revoke_badge(
            member(request).user, badge.pk, payload.validated_data["reason"]
        )
        revoked = self.get_queryset().get(pk=revoked.pk)
        return Response(BadgeSerializer(_shape(request, queries.badge_row(revoked))).data)


router = SimpleRouter(use_regex_path=False)
router.register("badges", BadgeViewSet, basename="api-badges")

urlpatterns = [
    path("me/badges/", MyBadgesView.as_view(), name="api_my_badges"),
    path("", include(router.urls)),
]
