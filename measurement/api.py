"""REST API for measurement: team and business metrics and their values, cost lines (HR
admins; API keys), the sponsor's impact figures and the team manager's aggregates.

``POST …/metrics/<id>/values/`` takes ``{"values": [{"team", "period", "value"}, …]}``: every
row is checked first (team of this organisation, a month, a value in the metric's unit and
range, no team and month twice); one bad row refuses the whole request with an error per row
(``values[3].value``) and nothing is written. Re-sending the same values changes nothing.

The impact endpoints return what the impact page shows, read through the same
``measurement.queries`` functions, so the same readers see the same cohorts (a sponsor the
cohorts they sponsor, an admin all) and the same anonymity rule holds: the roll-up stores no
figure of a cell under ``anonymity.MIN_PEOPLE_PER_CELL`` learners, and no endpoint here names or
returns one person's data.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import transaction
from django.http import Http404
from django.urls import include, path
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter
from rest_framework.views import APIView

from measurement import impact, queries
from measurement.importer import parse_period
from measurement.models import CostLine, Metric, MetricValue
from organizations.api import (
    MAX_ID,
    ErrorSerializer,
    IsMember,
    StrictSerializer,
    TenantCursorPagination,
    TenantPrimaryKeyField,
    TenantViewSet,
    member,
    validated_query,
    with_etag,
)
from organizations.models import Team
from organizations.relative_dates import org_today
from pathways.models import Cohort

ERRORS = {400: ErrorSerializer, 403: ErrorSerializer, 404: ErrorSerializer}
TAGS = ["impact"]
MAX_VALUES = 5000


class MetricSerializer(StrictSerializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField()
    unit = serializers.CharField()
    direction = serializers.CharField()
    level = serializers.CharField()
    min_value = serializers.DecimalField(max_digits=14, decimal_places=4, allow_null=True)
    max_value = serializers.DecimalField(max_digits=14, decimal_places=4, allow_null=True)
    is_revenue = serializers.BooleanField()


class ValueInSerializer(StrictSerializer):
    team = serializers.IntegerField()
    period = serializers.CharField(help_text="YYYY-MM")
    value = serializers.CharField(help_text="A number in the metric's unit")


class ValuesInSerializer(StrictSerializer):
    values = serializers.ListField(
        child=ValueInSerializer(), allow_empty=False, max_length=MAX_VALUES
    )


class ValuesResultSerializer(StrictSerializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()


class ValueSerializer(StrictSerializer):
    team = serializers.IntegerField(source="team_id")
    team_name = serializers.CharField(source="team.name")
    period = serializers.DateField(help_text="The month's first day")
    value = serializers.DecimalField(max_digits=14, decimal_places=4)
    source = serializers.ChoiceField(choices=MetricValue.Source.values)  # type: ignore[assignment]
    entered_at = serializers.DateTimeField()


class PaginatedValuesSerializer(StrictSerializer):
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = ValueSerializer(many=True)


class MonthField(serializers.CharField):
    """A month, ``YYYY-MM`` (or a day of it), read as the month's first day."""

    def run_validation(self, data: Any = serializers.empty) -> Any:
        text = super().run_validation(data)  # a string of at most max_length characters
        try:
            return parse_period(text)
        except impact.ImpactError as error:
            raise serializers.ValidationError(error.message) from error


class ValueFilters(serializers.Serializer):
    team = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False)
    since = MonthField(required=False, max_length=10, help_text="From this month (YYYY-MM)")
    until = MonthField(required=False, max_length=10, help_text="To this month (YYYY-MM)")


@extend_schema_view(
    list=extend_schema(summary="Team and business metrics", tags=TAGS),
)
class MetricViewSet(mixins.ListModelMixin, TenantViewSet):
    model = Metric
    required_roles = ("admin",)
    serializer_class = MetricSerializer
    lookup_value_converter = "int"
    cursor_ordering = ("name", "id")
    http_method_names = ["get", "post", "head", "options"]

    @extend_schema(
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
        methods=["POST"],
    )
    @extend_schema(
        summary="Values of a metric, newest month first (for BI feeds)",
        parameters=[ValueFilters],
        examples=[
            OpenApiExample(
                "A page",
                value={
                    "next": None,
                    "previous": None,
                    "results": [
                        {
                            "team": 7,
                            "team_name": "Sales North",
                            "period": "2026-03-01",
                            "value": "91.5000",
                            "source": "api",
                            "entered_at": "2026-04-02T06:00:00Z",
                        }
                    ],
                },
                response_only=True,
            )
        ],
        responses={200: PaginatedValuesSerializer, **ERRORS},
        tags=TAGS,
        methods=["GET"],
    )
    @action(
        detail=True,
        methods=["get", "post"],
        serializer_class=ValuesInSerializer,
        pagination_class=None,
    )
    def values(self, request: Any, pk: int | None = None, **kwargs: Any) -> Response:
        metric = self.get_object()
        if request.method == "GET":
            return self._list_values(request, metric)
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

    def _list_values(self, request: Any, metric: Metric) -> Response:
        filters = validated_query(request, ValueFilters)
        rows = MetricValue.objects.filter(metric=metric).select_related("team")
        if "team" in filters:
            rows = rows.filter(team_id=filters["team"])
        if "since" in filters:
            rows = rows.filter(period__gte=filters["since"])
        if "until" in filters:
            rows = rows.filter(period__lte=filters["until"])
        paginator = ValuesPagination()
        page = paginator.paginate_queryset(rows, request, view=self) or []
        return paginator.get_paginated_response(ValueSerializer(page, many=True).data)


class ValuesPagination(TenantCursorPagination):
    """A metric's values: newest month first (the id keeps the order stable)."""

    def get_ordering(self, request: Any, queryset: Any, view: Any) -> tuple[str, ...]:
        return ("-period", "-id")


# Examples for the schema (MEASUREMENT.md's worked example, shortened).
COST_LINE = {
    "id": 5,
    "cohort": 3,
    "category": "participants_time",
    "category_label": "Participants' time",
    "description": "40 × 60 h × 90",
    "amount": "216000.00",
    "shared_by": 1,
    "people": 40,
    "hours": "60.00",
    "hourly_rate": "90.00",
    "allocated": "216000.00",
    "created_at": "2026-01-10T09:00:00Z",
}
IMPACT = {
    "id": 3,
    "name": "Spring 2026",
    "start_date": "2026-01-01",
    "evaluation_start": "2026-07-01",
    "evaluation_end": "2026-12-31",
    "currency": "EUR",
    "participants": 40,
    "has_comparison": True,
    "comparison_label": "4 teams: Service 0, Service 1, Service 2, Service 3",
    "plan_changed_on": None,
    "computed_at": "2027-01-05T02:00:00Z",
    "headline": {
        "roi_pct": 91.3,
        "bcr": 1.91,
        "payback_months": 6.3,
        "benefits": "880000.00",
        "costs": "460000.00",
    },
    "levels": [
        {
            "level": "3",
            "name": "Behaviour",
            "finding": "2 of 3 competencies improved (95 % CI above 0) in others' 360 ratings",
            "based_on": "36 learners with baseline and follow-up",
        }
    ],
    "behaviour": [
        {
            "competency": "Coaching conversations",
            "n": 36,
            "hidden": False,
            "too_few": "",
            "mean_change": 0.31,
            "ci_low": 0.12,
            "ci_high": 0.5,
            "d_z": 0.55,
            "d_av": 0.62,
            "reliable": 7,
        },
        {
            "competency": "Delegation",
            "n": 4,
            "hidden": True,
            "too_few": "",
            "mean_change": None,
            "ci_low": None,
            "ci_high": None,
            "d_z": None,
            "d_av": None,
            "reliable": 0,
        },
    ],
    "results": [
        {
            "metric_id": 2,
            "name": "Regretted turnover",
            "unit": "%",
            "change_unit": "percentage points",
            "level": "business",
            "higher_is_better": False,
            "did": {
                "estimate": -3.0,
                "ci_low": -4.1,
                "ci_high": -1.9,
                "p_value": 0.001,
                "n_clusters": 8,
                "treated_pre": 14.0,
                "treated_post": 9.0,
                "comparison_pre": 14.0,
                "comparison_post": 12.0,
                "naive": -5.0,
            },
            "pre_post": None,
            "pre_trend": {
                "participants_slope": 0.0,
                "comparison_slope": 0.0,
                "p_value": 0.9,
                "parallel": True,
                "too_few": None,
            },
            "too_few": "",
            "money": "480000.00",
            "naive_money": "800000.00",
            "participant_teams": 4,
            "comparison_teams": 4,
            "values": 48,
            "series": [
                {"period": "2025-12-01", "group": "participants", "teams": 4, "mean_value": 14.0}
            ],
        }
    ],
    "benefits": [
        {
            "source": "comparison group (difference-in-differences)",
            "label": "Regretted turnover",
            "gross": "480000.00",
            "isolation_pct": 100.0,
            "confidence_pct": 100.0,
            "value": "480000.00",
            "facts": {"metric_id": 2, "teams": 8, "events": 12.0},
        }
    ],
    "costs": [
        {
            "category": "design",
            "label": "Design and development",
            "description": "a third of 90,000",
            "amount": "90000.00",
            "shared_by": 3,
            "allocated": "30000.00",
        }
    ],
    "costs_by_category": [
        {"category": "design", "label": "Design and development", "allocated": "30000.00"}
    ],
    "intangibles": ["Engagement", "Bench strength"],
}


# --- Cost lines -----------------------------------------------------------------------------


class CostLineSerializer(StrictSerializer):
    id = serializers.IntegerField(read_only=True)
    cohort = TenantPrimaryKeyField(Cohort, help_text="A cohort id")
    category = serializers.ChoiceField(choices=CostLine.Category.choices)
    category_label = serializers.CharField(read_only=True)
    description = serializers.CharField(max_length=200, required=False, allow_blank=True)
    amount = serializers.DecimalField(
        max_digits=14,
        decimal_places=2,
        required=False,
        allow_null=True,
        help_text="The line's full amount; for participants' time it is people × hours × rate",
    )
    shared_by = serializers.IntegerField(
        min_value=1,
        max_value=32767,
        required=False,
        default=1,
        help_text="Shared by how many cohorts: this cohort carries amount ÷ shared_by",
    )
    people = serializers.IntegerField(
        min_value=1, max_value=2**31 - 1, required=False, allow_null=True
    )
    hours = serializers.DecimalField(
        max_digits=8, decimal_places=2, required=False, allow_null=True, help_text="Hours each"
    )
    hourly_rate = serializers.DecimalField(
        max_digits=10,
        decimal_places=2,
        required=False,
        allow_null=True,
        help_text="Loaded hourly rate",
    )
    allocated = serializers.DecimalField(
        max_digits=14, decimal_places=2, read_only=True, help_text="What this cohort carries"
    )
    created_at = serializers.DateTimeField(read_only=True)

    def to_representation(self, instance: Any) -> Any:
        money = serializers.DecimalField(max_digits=14, decimal_places=2)
        rate = serializers.DecimalField(max_digits=10, decimal_places=2)
        hours = serializers.DecimalField(max_digits=8, decimal_places=2)
        return {
            "id": instance.pk,
            "cohort": instance.cohort_id,
            "category": instance.category,
            "category_label": instance.get_category_display(),
            "description": instance.description,
            "amount": money.to_representation(instance.amount),
            "shared_by": instance.shared_by,
            "people": instance.people,
            "hours": None if instance.hours is None else hours.to_representation(instance.hours),
            "hourly_rate": None
            if instance.hourly_rate is None
            else rate.to_representation(instance.hourly_rate),
            "allocated": money.to_representation(instance.allocated),
            "created_at": serializers.DateTimeField().to_representation(instance.created_at),
        }


class CostFilters(serializers.Serializer):
    cohort = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False)
    category = serializers.ChoiceField(choices=CostLine.Category.choices, required=False)


@extend_schema_view(
    list=extend_schema(
        summary="Cost lines of cohorts (fully loaded costs, Phillips)",
        parameters=[CostFilters],
        examples=[OpenApiExample("A line", value=COST_LINE, response_only=True)],
        tags=TAGS,
    ),
    retrieve=extend_schema(
        summary="One cost line",
        responses={200: CostLineSerializer, **ERRORS},
        examples=[OpenApiExample("A line", value=COST_LINE, response_only=True)],
        tags=TAGS,
    ),
    create=extend_schema(
        summary="Add a cost line to a cohort (the ROI refreshes within minutes)",
        description="Checked as on the cohort's costs page: a category; an amount, or for "
        "participants' time people, hours each and the loaded hourly rate; nothing negative.",
        request=CostLineSerializer,
        responses={201: CostLineSerializer, **ERRORS},
        examples=[
            OpenApiExample(
                "Coaching fees",
                value={
                    "cohort": 3,
                    "category": "coaching",
                    "description": "40 × 6 sessions × 400",
                    "amount": "96000.00",
                },
                request_only=True,
            ),
            OpenApiExample(
                "Participants' time",
                value={
                    "cohort": 3,
                    "category": "participants_time",
                    "people": 40,
                    "hours": "60",
                    "hourly_rate": "90",
                },
                request_only=True,
            ),
        ],
        tags=TAGS,
    ),
    destroy=extend_schema(
        summary="Remove a cost line (the ROI refreshes within minutes)",
        responses={204: None, **ERRORS},
        tags=TAGS,
    ),
)
class CostLineViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    TenantViewSet,
):
    model = CostLine
    required_roles = ("admin",)
    serializer_class = CostLineSerializer
    cursor_ordering = ("-created_at", "-id")
    lookup_value_converter = "int"

    def scope_queryset(self, queryset: Any) -> Any:
        if self.action != "list":
            return queryset
        filters = validated_query(self.request, CostFilters)
        if "cohort" in filters:
            queryset = queryset.filter(cohort_id=filters["cohort"])
        if "category" in filters:
            queryset = queryset.filter(category=filters["category"])
        return queryset

    def perform_create(self, serializer: Any) -> None:
        d = dict(serializer.validated_data)
        cohort = d.pop("cohort")
        data = impact.CostInput(
            category=d["category"],
            description=d.get("description", ""),
            amount=d.get("amount"),
            shared_by=d.get("shared_by", 1),
            people=d.get("people"),
            hours=d.get("hours"),
            hourly_rate=d.get("hourly_rate"),
        )
        try:
            serializer.instance = impact.do_add_cost(cohort, data, by=member(self.request))
        except impact.ImpactError as error:
            raise serializers.ValidationError({error.field: [error.message]}) from error

    def perform_destroy(self, instance: Any) -> None:
        impact.do_delete_cost(instance, by=member(self.request))


# --- Impact (sponsor, admin): the impact page's figures --------------------------------------


class ImpactCohortSerializer(StrictSerializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    start_date = serializers.DateField()
    has_figures = serializers.BooleanField(
        help_text="False until the cohort has a measurement plan and its impact is rolled up"
    )


class HeadlineSerializer(StrictSerializer):
    roi_pct = serializers.FloatField(allow_null=True, help_text="(benefits − costs) ÷ costs × 100")
    bcr = serializers.FloatField(allow_null=True, help_text="Benefit–cost ratio")
    payback_months = serializers.FloatField(
        allow_null=True, help_text="costs ÷ (annual benefits ÷ 12)"
    )
    benefits = serializers.DecimalField(
        max_digits=16, decimal_places=2, help_text="First-year benefits, isolated and adjusted"
    )
    costs = serializers.DecimalField(
        max_digits=16, decimal_places=2, help_text="Fully loaded costs"
    )


class ImpactLevelSerializer(StrictSerializer):
    level = serializers.CharField(source="number", help_text="1 … 5, or ROI")
    name = serializers.CharField()
    finding = serializers.CharField()
    based_on = serializers.CharField(source="n", help_text="The base, e.g. 36 learners")


class BehaviourSerializer(StrictSerializer):
    competency = serializers.CharField(source="name")
    n = serializers.IntegerField(help_text="Learners with baseline and follow-up (pairs)")
    hidden = serializers.BooleanField(
        help_text="Fewer than 5 learners: no figure, so it cannot identify people"
    )
    too_few = serializers.CharField(allow_blank=True, help_text="Why no estimate, if none")
    mean_change = serializers.FloatField(allow_null=True, help_text="Others' ratings, 1–5 scale")
    ci_low = serializers.FloatField(allow_null=True, help_text="95% confidence interval")
    ci_high = serializers.FloatField(allow_null=True)
    d_z = serializers.FloatField(allow_null=True, help_text="Mean change ÷ sd of the changes")
    d_av = serializers.FloatField(
        allow_null=True, help_text="Mean change ÷ average sd of baseline and follow-up"
    )
    reliable = serializers.IntegerField(help_text="Learners with a reliable improvement (RCI)")


class DidSerializer(StrictSerializer):
    estimate = serializers.FloatField(allow_null=True, help_text="treated × post, in the unit")
    ci_low = serializers.FloatField(allow_null=True)
    ci_high = serializers.FloatField(allow_null=True)
    p_value = serializers.FloatField(allow_null=True)
    n_clusters = serializers.IntegerField(allow_null=True, help_text="Teams (SE clustered)")
    treated_pre = serializers.FloatField(allow_null=True)
    treated_post = serializers.FloatField(allow_null=True)
    comparison_pre = serializers.FloatField(allow_null=True)
    comparison_post = serializers.FloatField(allow_null=True)
    naive = serializers.FloatField(allow_null=True, help_text="Participants' before/after alone")


class PrePostSerializer(StrictSerializer):
    pre = serializers.FloatField(allow_null=True)
    post = serializers.FloatField(allow_null=True)
    change = serializers.FloatField(allow_null=True)
    weaker = serializers.BooleanField(allow_null=True, help_text="Always true: no comparison")


class PreTrendSerializer(StrictSerializer):
    participants_slope = serializers.FloatField(allow_null=True)
    comparison_slope = serializers.FloatField(allow_null=True)
    p_value = serializers.FloatField(allow_null=True)
    parallel = serializers.BooleanField(allow_null=True)
    too_few = serializers.CharField(allow_null=True)


class GroupPointSerializer(StrictSerializer):
    period = serializers.DateField()
    group = serializers.ChoiceField(choices=["participants", "comparison"])
    teams = serializers.IntegerField()
    mean_value = serializers.FloatField()


class MetricResultSerializer(StrictSerializer):
    metric_id = serializers.IntegerField()
    name = serializers.CharField()
    unit = serializers.CharField()
    change_unit = serializers.CharField()
    level = serializers.CharField()
    higher_is_better = serializers.BooleanField()
    did = DidSerializer(allow_null=True, help_text="Difference-in-differences (comparison group)")
    pre_post = PrePostSerializer(
        allow_null=True, help_text="Before/after only (no comparison group): weaker evidence"
    )
    pre_trend = PreTrendSerializer(allow_null=True)
    too_few = serializers.CharField(allow_blank=True)
    money = serializers.DecimalField(max_digits=16, decimal_places=2, allow_null=True)
    naive_money = serializers.DecimalField(max_digits=16, decimal_places=2, allow_null=True)
    participant_teams = serializers.IntegerField()
    comparison_teams = serializers.IntegerField()
    values = serializers.IntegerField(help_text="Team values behind the estimate")
    series = GroupPointSerializer(many=True, help_text="Monthly mean of each group's teams")


class BenefitSerializer(StrictSerializer):
    source = serializers.CharField(help_text="How it was isolated")  # type: ignore[assignment]
    label = serializers.CharField()  # type: ignore[assignment]
    gross = serializers.DecimalField(max_digits=16, decimal_places=2)
    isolation_pct = serializers.FloatField()
    confidence_pct = serializers.FloatField()
    value = serializers.DecimalField(max_digits=16, decimal_places=2, help_text="Counted")
    facts = serializers.DictField(help_text="The base: teams, or claims and respondents")


class CostRowSerializer(StrictSerializer):
    category = serializers.ChoiceField(choices=CostLine.Category.choices)
    label = serializers.CharField()  # type: ignore[assignment]
    description = serializers.CharField(allow_blank=True)
    amount = serializers.DecimalField(max_digits=16, decimal_places=2)
    shared_by = serializers.IntegerField()
    allocated = serializers.DecimalField(max_digits=16, decimal_places=2)


class CategoryCostSerializer(StrictSerializer):
    category = serializers.ChoiceField(choices=CostLine.Category.choices)
    label = serializers.CharField()  # type: ignore[assignment]
    allocated = serializers.DecimalField(max_digits=16, decimal_places=2)


class ImpactSerializer(StrictSerializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    start_date = serializers.DateField()
    evaluation_start = serializers.DateField(allow_null=True)
    evaluation_end = serializers.DateField(allow_null=True)
    currency = serializers.CharField()
    participants = serializers.IntegerField()
    has_comparison = serializers.BooleanField()
    comparison_label = serializers.CharField(allow_blank=True)
    plan_changed_on = serializers.DateField(allow_null=True)
    computed_at = serializers.DateTimeField()
    headline = HeadlineSerializer()
    levels = ImpactLevelSerializer(many=True, help_text="Reaction to ROI, each with its base")
    behaviour = BehaviourSerializer(many=True, help_text="360 change per competency")
    results = MetricResultSerializer(many=True, help_text="Team and business metrics")
    benefits = BenefitSerializer(many=True)
    costs = CostRowSerializer(many=True)
    costs_by_category = CategoryCostSerializer(many=True)
    intangibles = serializers.ListField(
        child=serializers.CharField(), help_text="Listed beside the ROI, never added in"
    )


class ImpactClaimSerializer(StrictSerializer):
    claim_id = serializers.IntegerField()
    project = serializers.CharField(allow_blank=True)
    measure = serializers.CharField()
    basis = serializers.CharField(allow_blank=True)
    annual_value = serializers.DecimalField(max_digits=16, decimal_places=2)
    is_revenue = serializers.BooleanField()
    isolation_pct = serializers.FloatField()
    confidence_pct = serializers.FloatField()
    status = serializers.CharField()
    reason = serializers.CharField(allow_blank=True)
    counted = serializers.DecimalField(max_digits=16, decimal_places=2)


class TeamCompletionSerializer(StrictSerializer):
    team = serializers.CharField()
    learners = serializers.IntegerField()
    finished = serializers.IntegerField()
    mean_completion = serializers.FloatField(help_text="0 … 1")


class TeamProgressSerializer(StrictSerializer):
    period = serializers.DateField(allow_null=True)
    computed_at = serializers.DateTimeField(allow_null=True)
    learners = serializers.IntegerField()
    teams = TeamCompletionSerializer(many=True)
    hidden_teams = serializers.IntegerField(help_text="Teams under 5 learners, left out")


class MetricPointSerializer(StrictSerializer):
    period = serializers.DateField()
    value = serializers.DecimalField(max_digits=14, decimal_places=4)


class TeamMetricSerializer(StrictSerializer):
    name = serializers.CharField()
    unit = serializers.CharField()
    higher_is_better = serializers.BooleanField()
    change = serializers.DecimalField(
        max_digits=15, decimal_places=4, allow_null=True, help_text="Latest minus first month"
    )
    points = MetricPointSerializer(many=True, help_text="The last twelve months")


class TeamCellSerializer(StrictSerializer):
    measure = serializers.ChoiceField(
        choices=["completion", "milestones", "satisfaction", "attendance"]
    )
    period = serializers.DateField()
    hidden = serializers.BooleanField()
    value = serializers.FloatField(allow_null=True)
    base = serializers.IntegerField(allow_null=True)
    part = serializers.IntegerField(allow_null=True)


class ManagedTeamSerializer(StrictSerializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    people = serializers.IntegerField()
    shown = serializers.BooleanField(help_text="At least 5 people: figures may be shown")
    learners = serializers.IntegerField(allow_null=True)
    finished = serializers.IntegerField(allow_null=True)
    mean_completion = serializers.FloatField(allow_null=True, help_text="0 … 1")
    programme = TeamCellSerializer(
        many=True,
        help_text="The programme's monthly figures (completion, milestones on time, stakeholder "
        "satisfaction, coaching attendance); a month under 5 people has hidden=true and no figures",
    )
    metrics = TeamMetricSerializer(many=True)


def _impact_for(request: Request, cohort_id: int) -> queries.CohortImpact:
    """The cohort's impact if the reader may see it (as the page: sponsor of it, or admin)."""
    selected = queries.cohort_impact(member(request), cohort_id).selected
    if selected is None or selected.id != cohort_id:
        raise Http404("No impact to show for this cohort.")
    return selected


def _impact_body(i: queries.CohortImpact) -> dict[str, Any]:
    by_category: dict[str, dict[str, Any]] = {}
    for row in i.cost_rows:
        entry = by_category.setdefault(
            row["category"],
            {"category": row["category"], "label": row["label"], "allocated": Decimal(0)},
        )
        entry["allocated"] += Decimal(row["allocated"])
    evaluation = list(i.evaluation) + [None, None]
    return {
        "id": i.id,
        "name": i.name,
        "start_date": i.start_date,
        "evaluation_start": evaluation[0],
        "evaluation_end": evaluation[1],
        "currency": i.currency,
        "participants": i.participants,
        "has_comparison": i.has_comparison,
        "comparison_label": i.comparison_label,
        "plan_changed_on": i.plan_changed_on,
        "computed_at": i.computed_at,
        "headline": {
            "roi_pct": i.roi_pct,
            "bcr": i.bcr,
            "payback_months": i.payback_months,
            "benefits": i.benefits,
            "costs": i.costs,
        },
        "levels": i.levels,
        "behaviour": i.behaviour,
        "results": [
            {**m.__dict__, "change_unit": m.change_unit, "series": m.series} for m in i.metrics
        ],
        "benefits": i.benefit_rows,
        "costs": i.cost_rows,
        "costs_by_category": list(by_category.values()),
        "intangibles": i.intangibles,
    }


IMPACT_ROLES = ("sponsor", "admin")


class ImpactCohortsView(APIView):
    permission_classes = [IsMember]
    required_roles = IMPACT_ROLES

    @extend_schema(
        summary="Cohorts whose impact you may see (sponsor: those you sponsor; admin: all)",
        responses={200: ImpactCohortSerializer(many=True)},
        examples=[
            OpenApiExample(
                "Two cohorts",
                value=[
                    {
                        "id": 3,
                        "name": "Spring 2026",
                        "start_date": "2026-01-01",
                        "has_figures": True,
                    },
                    {
                        "id": 4,
                        "name": "Autumn 2026",
                        "start_date": "2026-09-01",
                        "has_figures": False,
                    },
                ],
                response_only=True,
            )
        ],
        tags=["dashboards"],
    )
    def get(self, request: Request, org_slug: str) -> Response:
        rows = [
            {"id": c.id, "name": c.name, "start_date": c.start_date, "has_figures": c.has_rollup}
            for c in queries.visible_cohorts(member(request))
        ]
        return with_etag(request, Response(ImpactCohortSerializer(rows, many=True).data))


class ImpactView(APIView):
    permission_classes = [IsMember]
    required_roles = IMPACT_ROLES

    @extend_schema(
        summary="A cohort's impact: headline, levels 1–5, behaviour, results, ROI table",
        description="The figures of the impact page, from the latest impact roll-up: ROI, "
        "benefit–cost ratio and payback; the chain from reaction to ROI with each level's base; "
        "behaviour change per competency from 360 follow-ups (mean change with its 95% CI, d_z, "
        "d_av, reliable improvements; a competency under 5 learners is `hidden` and carries no "
        "figure); team and business metrics with the difference-in-differences estimate "
        "against the comparison group (or a weaker before/after change without one); benefits "
        "by source with isolation and confidence; fully loaded costs; intangibles. A cohort "
        "you may not see, or without figures yet, is 404.",
        responses={200: ImpactSerializer, **ERRORS},
        examples=[
            OpenApiExample("A cohort with a comparison group", value=IMPACT, response_only=True)
        ],
        tags=["dashboards"],
    )
    def get(self, request: Request, org_slug: str, cohort_id: int) -> Response:
        body = ImpactSerializer(_impact_body(_impact_for(request, cohort_id))).data
        return with_etag(request, Response(body))


class ImpactClaimsView(APIView):
    permission_classes = [IsMember]
    required_roles = IMPACT_ROLES

    @extend_schema(
        summary="The project benefit claims behind a cohort's participants' estimates",
        description="Each claim counted or not, and why (the impact page's evidence). Claims "
        "name projects, never a person.",
        responses={200: ImpactClaimSerializer(many=True), **ERRORS},
        examples=[
            OpenApiExample(
                "One claim excluded",
                value=[
                    {
                        "claim_id": 29,
                        "project": "Moonshot",
                        "measure": "market share",
                        "basis": "",
                        "annual_value": "2000000.00",
                        "is_revenue": False,
                        "isolation_pct": 100.0,
                        "confidence_pct": 100.0,
                        "status": "excluded",
                        "reason": "unsupported",
                        "counted": "0.00",
                    }
                ],
                response_only=True,
            )
        ],
        tags=["dashboards"],
    )
    def get(self, request: Request, org_slug: str, cohort_id: int) -> Response:
        claims = _impact_for(request, cohort_id).claims
        return with_etag(request, Response(ImpactClaimSerializer(claims, many=True).data))


class TeamProgressView(APIView):
    permission_classes = [IsMember]
    required_roles = IMPACT_ROLES

    @extend_schema(
        summary="Programme progress by team (teams under 5 learners left out)",
        responses={200: TeamProgressSerializer},
        examples=[
            OpenApiExample(
                "One team hidden",
                value={
                    "period": "2026-03-01",
                    "computed_at": "2026-03-14T02:00:00Z",
                    "learners": 12,
                    "teams": [
                        {
                            "team": "Sales North",
                            "learners": 12,
                            "finished": 3,
                            "mean_completion": 0.58,
                        }
                    ],
                    "hidden_teams": 1,
                },
                response_only=True,
            )
        ],
        tags=["dashboards"],
    )
    def get(self, request: Request, org_slug: str) -> Response:
        report = queries.team_completion()
        body = {
            "period": report.period,
            "computed_at": report.computed_at,
            "learners": report.learners,
            "teams": report.teams,
            "hidden_teams": report.hidden_teams,
        }
        return with_etag(request, Response(TeamProgressSerializer(body).data))


class MyTeamsView(APIView):
    permission_classes = [IsMember]

    @extend_schema(
        summary="The teams you manage: their metrics and programme participation",
        description="As the team page: aggregates only, and no figures for a team of fewer "
        "than 5 active people. 404 if you manage no team.",
        responses={200: ManagedTeamSerializer(many=True), **ERRORS},
        examples=[
            OpenApiExample(
                "A team and a small one",
                value=[
                    {
                        "id": 7,
                        "name": "Sales North",
                        "people": 9,
                        "shown": True,
                        "learners": 6,
                        "finished": 1,
                        "mean_completion": 0.41,
                        "programme": [
                            {
                                "measure": "completion",
                                "period": "2026-02-01",
                                "hidden": False,
                                "value": 0.41,
                                "base": 6,
                                "part": 1,
                            }
                        ],
                        "metrics": [
                            {
                                "name": "Engagement",
                                "unit": "points",
                                "higher_is_better": True,
                                "change": "4.0000",
                                "points": [
                                    {"period": "2026-01-01", "value": "68.0000"},
                                    {"period": "2026-02-01", "value": "72.0000"},
                                ],
                            }
                        ],
                    },
                    {
                        "id": 8,
                        "name": "Pilot desk",
                        "people": 3,
                        "shown": False,
                        "learners": None,
                        "finished": None,
                        "mean_completion": None,
                        "programme": [],
                        "metrics": [],
                    },
                ],
                response_only=True,
            )
        ],
        tags=["dashboards"],
    )
    def get(self, request: Request, org_slug: str) -> Response:
        teams = queries.managed_teams(member(request), org_today())
        if not teams:
            raise Http404("You manage no team.")
        rows = [
            {
                "id": t.id,
                "name": t.name,
                "people": t.people,
                "shown": t.shown,
                "learners": t.learners,
                "finished": t.finished,
                "mean_completion": t.mean_completion,
                "programme": [
                    {
                        "measure": measure,
                        "period": c.period,
                        "hidden": c.hidden,
                        "value": c.value,
                        "base": c.base,
                        "part": c.part,
                    }
                    for measure, cells in (
                        ("completion", t.completion),
                        ("milestones", t.milestones),
                        ("satisfaction", t.satisfaction),
                        ("attendance", t.attendance),
                    )
                    for c in cells
                ],
                "metrics": [
                    {
                        "name": m.name,
                        "unit": m.unit,
                        "higher_is_better": m.higher_is_better,
                        "change": m.change,
                        "points": [{"period": p, "value": v} for p, v in m.points],
                    }
                    for m in t.metrics
                ],
            }
            for t in teams
        ]
        return with_etag(request, Response(ManagedTeamSerializer(rows, many=True).data))


router = SimpleRouter(use_regex_path=False)
router.register("metrics", MetricViewSet, basename="metric")
router.register("costs", CostLineViewSet, basename="api-cost")

urlpatterns = [
    path("", include(router.urls)),
    path("impact/cohorts/", ImpactCohortsView.as_view(), name="api_impact_cohorts"),
    path("impact/cohorts/<int:cohort_id>/", ImpactView.as_view(), name="api_impact"),
    path(
        "impact/cohorts/<int:cohort_id>/claims/",
        ImpactClaimsView.as_view(),
        name="api_impact_claims",
    ),
    path("impact/team-progress/", TeamProgressView.as_view(), name="api_team_progress"),
    path("me/teams/", MyTeamsView.as_view(), name="api_my_teams"),
]
