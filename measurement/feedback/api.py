"""REST API of 360 feedback: shape only; the reads are ``queries``, the rules the anonymity
module's (reports are the frozen ones, exactly as the learner's page shows them)."""

from __future__ import annotations

from typing import Any

from django.urls import include, path
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from measurement.feedback import queries
from measurement.feedback.models import Cycle, Report
from organizations.api import ErrorSerializer, StrictSerializer, TenantViewSet, member

TAGS = ["360 feedback"]
ERRORS = {404: ErrorSerializer}


class CycleProgressSerializer(StrictSerializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    kind = serializers.CharField()
    status = serializers.CharField()
    cohort = serializers.CharField()
    learners = serializers.IntegerField()
    invited = serializers.IntegerField(help_text="Raters invited (self-ratings not counted).")
    responded = serializers.IntegerField(help_text="Raters who answered.")
    responses_close_on = serializers.DateField()


class GroupSerializer(StrictSerializer):
    group = serializers.CharField()
    name = serializers.CharField(source="label")
    responded = serializers.IntegerField()
    shown = serializers.BooleanField()
    hidden_reason = serializers.CharField(allow_blank=True)


class CompetencyRowSerializer(StrictSerializer):
    competency_id = serializers.IntegerField()
    name = serializers.CharField()
    self = serializers.FloatField(allow_null=True)
    others_mean = serializers.FloatField(allow_null=True, help_text="Mean of shown groups' means.")
    others_n = serializers.IntegerField()
    gap = serializers.FloatField(allow_null=True)
    gap_label = serializers.CharField(allow_blank=True)
    change = serializers.FloatField(allow_null=True)
    rci = serializers.FloatField(allow_null=True)
    reading = serializers.CharField(allow_blank=True)


class ReportSerializer(StrictSerializer):
    id = serializers.IntegerField()
    cycle = serializers.CharField()
    kind = serializers.CharField()
    computed_at = serializers.DateTimeField()
    groups = GroupSerializer(many=True)
    competencies = CompetencyRowSerializer(many=True)


@extend_schema_view(
    list=extend_schema(summary="360 cycles with invitation and answer counts", tags=TAGS),
    retrieve=extend_schema(
        summary="One 360 cycle's counts",
        responses={200: CycleProgressSerializer, **ERRORS},
        tags=TAGS,
    ),
)
class CycleViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Counts only: an admin never sees a person's scores."""

    model = Cycle
    required_roles = ("admin",)
    serializer_class = CycleProgressSerializer
    lookup_value_converter = "int"
    cursor_ordering = ("-created_at", "-id")

    def list(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        rows = queries.cycle_list(list(page or []))
        return self.get_paginated_response(CycleProgressSerializer(rows, many=True).data)

    def retrieve(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        (row,) = queries.cycle_list([self.get_object()])
        return Response(CycleProgressSerializer(row).data)


def _report_body(report: Report) -> dict[str, Any]:
    return {
        "id": report.pk,
        "cycle": report.cycle.title,
        "kind": report.cycle.kind,
        "computed_at": report.computed_at,
        "groups": report.data["groups"],
        "competencies": report.data["competencies"],
    }


@extend_schema_view(
    list=extend_schema(summary="My frozen 360 reports", tags=TAGS),
    retrieve=extend_schema(
        summary="One of my 360 reports", responses={200: ReportSerializer, **ERRORS}, tags=TAGS
    ),
)
class MyReportViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """The learner's own reports only; nobody else's, whatever the role."""

    model = Report
    required_roles = ("learner",)  # an API key acts as an admin only: it never reads a report
    serializer_class = ReportSerializer
    lookup_value_converter = "int"
    cursor_ordering = ("-computed_at", "-id")

    def scope_queryset(self, queryset: Any) -> Any:
        return queryset.filter(learner=member(self.request)).select_related("cycle")

    def list(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        body = [_report_body(r) for r in page or []]
        return self.get_paginated_response(ReportSerializer(body, many=True).data)

    def retrieve(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        return Response(ReportSerializer(_report_body(self.get_object())).data)


router = SimpleRouter(use_regex_path=False)
router.register("feedback/cycles", CycleViewSet, basename="api-feedback-cycles")
router.register("me/feedback/reports", MyReportViewSet, basename="api-my-feedback-reports")

urlpatterns = [path("", include(router.urls))]
