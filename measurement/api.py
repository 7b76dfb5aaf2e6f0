"""REST API for team and business metrics (HR admins; API keys): list metrics and push values.

``POST …/metrics/<id>/values/`` takes ``{"values": [{"team", "period", "value"}, …]}``: every
row is checked first (team of this organisation, a month, a value in the metric's unit and
range, no team and month twice); one bad row refuses the whole request with an error per row
(``values[3].value``) and nothing is written. Re-sending the same values changes nothing.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.urls import include, path
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from measurement import impact
from measurement.importer import parse_period
from measurement.models import Metric
from organizations.api import ErrorSerializer, TenantViewSet, member
from organizations.models import Team

ERRORS = {400: ErrorSerializer, 403: ErrorSerializer, 404: ErrorSerializer}
TAGS = ["impact"]
MAX_VALUES = 5000


class MetricSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField()
    unit = serializers.CharField()
    direction = serializers.CharField()
    level = serializers.CharField()
    min_value = serializers.DecimalField(max_digits=14, decimal_places=4, allow_null=True)
    max_value = serializers.DecimalField(max_digits=14, decimal_places=4, allow_null=True)
    is_revenue = serializers.BooleanField()


class ValueInSerializer(serializers.Serializer):
    team = serializers.IntegerField()
    period = serializers.CharField(help_text="YYYY-MM")
    value = serializers.CharField(help_text="A number in the metric's unit")


class ValuesInSerializer(serializers.Serializer):
    values = serializers.ListField(
        child=ValueInSerializer(), allow_empty=False, max_length=MAX_VALUES
    )


class ValuesResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()


@extend_schema_view(
    list=extend_schema(summary="Team and business metrics", tags=TAGS),
    values=extend_schema(
        summary="Push values of a metric (all or nothing; idempotent)",
        request=ValuesInSerializer,
        responses={200: ValuesResultSerializer, **ERRORS},
        examples=[
            OpenApiExample(
                "Two teams in March",
                value={
                    "values": [
                        {"team": 1, "period": "2026-03", "value": "12.5"},
                        {"team": 2, "period": "2026-03", "value": "14"},
                    ]
                },
                request_only=True,
            )
        ],
        tags=TAGS,
    ),
)
class MetricViewSet(mixins.ListModelMixin, TenantViewSet):
    model = Metric
    required_roles = ("admin",)
    serializer_class = MetricSerializer
    lookup_value_converter = "int"
    cursor_ordering = ("name", "id")
    http_method_names = ["get", "post", "head", "options"]

    @action(detail=True, methods=["post"], serializer_class=ValuesInSerializer)
    def values(self, request: Any, pk: int | None = None, **kwargs: Any) -> Response:
        metric = self.get_object()
        payload = ValuesInSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        rows = payload.validated_data["values"]
        teams = set(
            Team.objects.filter(pk__in={r["team"] for r in rows}).values_list("pk", flat=True)
        )
        errors: list[dict[str, list[str]]] = []
        checked: list[impact.ValueRow] = []
        seen: set[tuple[int, object]] = set()
        for row in rows:
            problems: dict[str, list[str]] = {}
            if row["team"] not in teams:
                problems["team"] = ["No such team."]
            try:
                period = parse_period(row["period"])
            except impact.ImpactError as error:
                problems["period"] = [error.message]
                period = None
            try:
                value = impact.check_metric_value(metric, row["value"])
            except impact.ImpactError as error:
                problems["value"] = [error.message]
            if period is not None and (row["team"], period) in seen:
                problems["period"] = ["This team and month is already in the request."]
            seen.add((row["team"], period))
            errors.append(problems)
            if not problems:
                checked.append(impact.ValueRow(metric.pk, row["team"], period, value))  # type: ignore[arg-type]
        if any(errors):
            raise serializers.ValidationError({"values": errors})
        with transaction.atomic():
            created, updated = impact.upsert_metric_values(checked, "api", member(request))
            for team_id in sorted({r.team_id for r in checked}):
                impact.queue_rollups_for_team(team_id)
        return Response(
            ValuesResultSerializer({"created": created, "updated": updated}).data,
            status=status.HTTP_200_OK,
        )


router = SimpleRouter()
router.register("metrics", MetricViewSet, basename="metric")

urlpatterns = [path("", include(router.urls))]
