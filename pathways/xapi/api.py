"""xAPI over the REST API: a learner's own record, an admin's cohort export, and the statement
receiver for external content (API keys). Shape and validation only."""

from __future__ import annotations

from typing import Any

from django.shortcuts import get_object_or_404
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from organizations.api import ErrorSerializer, IsMember, api_key, member, organization, with_etag
from pathways.models import Cohort
from pathways.xapi import services
from pathways.xapi.statements import XAPI_VERSION, Site, cohort_record, learner_record

TAGS = ["xAPI"]
VERSION_HEADER = OpenApiParameter(
    "X-Experience-API-Version",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=True,
    description="1.0.3 (any 1.0.x is accepted)",
    enum=["1.0.3", "1.0.2", "1.0.1", "1.0.0"],
)
EXAMPLE_STATEMENT = {
    "actor": {
        "objectType": "Agent",
        "account": {"homePage": "https://pathwise.example.org/o/acme/", "name": "42"},
    },
    "verb": {"id": "http://adlnet.gov/expapi/verbs/completed", "display": {"en-US": "completed"}},
    "object": {"id": "https://pathwise.example.org/o/acme/xapi/activities/module/7"},
}


def site_for(request: Any) -> Site:
    return Site(base=request.build_absolute_uri("/").rstrip("/"), org=organization(request))


class AgentAccountSerializer(serializers.Serializer):
    homePage = serializers.URLField()  # noqa: N815 - xAPI's field names
    name = serializers.CharField()


class AgentSerializer(serializers.Serializer):
    objectType = serializers.CharField()  # noqa: N815
    name = serializers.CharField(required=False)
    account = AgentAccountSerializer()


class VerbSerializer(serializers.Serializer):
    id = serializers.URLField()
    display = serializers.DictField(child=serializers.CharField())


class ActivitySerializer(serializers.Serializer):
    objectType = serializers.CharField()  # noqa: N815
    id = serializers.URLField()
    definition = serializers.DictField()


class StatementSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    actor = AgentSerializer()
    verb = VerbSerializer()
    object = ActivitySerializer()
    result = serializers.DictField(required=False)
    context = serializers.DictField()  # type: ignore[assignment]
    timestamp = serializers.DateTimeField()
    stored = serializers.DateTimeField()
    version = serializers.CharField()
    authority = AgentSerializer()


class StatementResultSerializer(serializers.Serializer):
    statements = StatementSerializer(many=True)
    more = serializers.CharField(allow_blank=True)


def _statement_result(request: Request, statements: list[dict[str, Any]]) -> Response:
    response = Response({"statements": statements, "more": ""})
    response["X-Experience-API-Version"] = XAPI_VERSION
    return with_etag(request, response)


class MyStatementsView(APIView):
    """The signed-in learner's whole learning record as xAPI 1.0.3 statements."""

    permission_classes = [IsMember]
    required_roles = ("learner",)

    @extend_schema(
        summary="My learning record as xAPI statements",
        responses={200: StatementResultSerializer},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str) -> Response:
        return _statement_result(request, learner_record(site_for(request), member(request)))


class CohortStatementsView(APIView):
    """A cohort's completions as xAPI statements, for admins (no answers or choices)."""

    permission_classes = [IsMember]
    required_roles = ("admin",)

    @extend_schema(
        summary="A cohort's completions as xAPI statements",
        responses={200: StatementResultSerializer},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str, cohort_id: int) -> Response:
        cohort = get_object_or_404(Cohort, pk=cohort_id)
        return _statement_result(request, cohort_record(site_for(request), cohort.pk))


class StatementReceiverView(APIView):
    """A statement **receiver**, not a full Learning Record Store: it accepts ``completed``,
    ``passed`` and ``answered`` statements about this organisation's modules (object id = the
    module's ``xapi_activity_id``) for its learners, and records them as the same facts the
    browser records (a completed step or module, a practice answer). Other verbs, unknown
    activities or learners are refused with 400; a batch is all-or-nothing. Statements are not
    stored or served back. Needs a read-write API key."""

    permission_classes = [IsMember]
    required_roles = ("admin",)
    parser_classes = [JSONParser]

    @extend_schema(
        summary="Receive xAPI statements from external content",
        parameters=[VERSION_HEADER],
        request={"application/json": OpenApiTypes.OBJECT},
        responses={
            200: serializers.ListSerializer(child=serializers.UUIDField()),
            400: ErrorSerializer,
        },
        examples=[OpenApiExample("A completion", value=EXAMPLE_STATEMENT, request_only=True)],
        tags=TAGS,
    )
    def post(self, request: Request, org_slug: str) -> Response:
        if api_key(request) is None:
            raise PermissionDenied(
                "The statement receiver takes an API key (Authorization: Bearer)."
            )
        version = request.headers.get("X-Experience-API-Version", "")
        if not version.startswith("1.0"):
            raise serializers.ValidationError(
                {"X-Experience-API-Version": ["Send the header X-Experience-API-Version: 1.0.3."]}
            )
        ids = services.do_receive_statements(site_for(request), request.data)
        response = Response(ids)
        response["X-Experience-API-Version"] = XAPI_VERSION
        return response


urlpatterns = [
    path("me/xapi/statements/", MyStatementsView.as_view(), name="api_my_statements"),
    path(
        "cohorts/<int:cohort_id>/xapi/statements/",
        CohortStatementsView.as_view(),
        name="api_cohort_statements",
    ),
    path("xapi/statements", StatementReceiverView.as_view(), name="api_xapi_statements"),
]
