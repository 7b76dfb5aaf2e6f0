"""Cohorts and enrolments over the REST API (HR admins, API keys). Shape and validation only."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q
from django.shortcuts import get_object_or_404
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

from organizations.api import (
    StrictSerializer,
    TenantCursorPagination,
    TenantPrimaryKeyField,
    TenantViewSet,
    member,
)
from organizations.models import Membership
from pathways.cohorts import queries, services
from pathways.models import Cohort, Enrollment, PathwayVersion

TAGS = ["cohorts"]
COHORT_STATUSES = Cohort.Status.values
ENROLLMENT_STATUSES = Enrollment.Status.values


class CohortSerializer(StrictSerializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    pathway = serializers.CharField()
    pathway_id = serializers.IntegerField()
    version = serializers.IntegerField()
    version_id = serializers.IntegerField()
    start_date = serializers.DateField()
    end_date = serializers.DateField(allow_null=True)
    status = serializers.ChoiceField(choices=Cohort.Status.values)
    learners = serializers.IntegerField(help_text="Active and completed learners now")


class CohortCreateSerializer(StrictSerializer):
    name = serializers.CharField(max_length=200)
    version = TenantPrimaryKeyField(PathwayVersion, help_text="A published pathway version")
    start_date = serializers.DateField()
    end_date = serializers.DateField(required=False, allow_null=True)


class EnrollmentSerializer(StrictSerializer):
    id = serializers.IntegerField()
    learner_id = serializers.IntegerField()
    name = serializers.CharField()
    email = serializers.EmailField()
    team = serializers.CharField(allow_blank=True)
    status = serializers.ChoiceField(choices=Enrollment.Status.values)
    steps_done = serializers.IntegerField()
    steps_total = serializers.IntegerField()
    percent = serializers.IntegerField()
    overdue_steps = serializers.ListField(child=serializers.CharField())
    last_activity = serializers.DateTimeField(allow_null=True)


class PaginatedEnrollmentSerializer(StrictSerializer):
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = EnrollmentSerializer(many=True)


class EnrolSerializer(StrictSerializer):
    learner = TenantPrimaryKeyField(Membership, help_text="The member id of a learner")


def _cohort_row(c: Cohort) -> dict[str, Any]:
    return {
        "id": c.pk,
        "name": c.name,
        "pathway": c.version.pathway.name,
        "pathway_id": c.version.pathway_id,
        "version": c.version.number,
        "version_id": c.version_id,
        "start_date": c.start_date,
        "end_date": c.end_date,
        "status": c.status,
        "learners": getattr(c, "learner_count", 0),
    }


def _enrollment_row(lp: queries.LearnerProgress) -> dict[str, Any]:
    return {
        "id": lp.enrollment_id,
        "learner_id": lp.membership_id,
        "name": lp.name,
        "email": lp.email,
        "team": lp.team,
        "status": lp.status,
        "steps_done": lp.steps_done,
        "steps_total": lp.steps_total,
        "percent": lp.percent,
        "overdue_steps": lp.overdue,
        "last_activity": lp.last_activity,
    }


@extend_schema_view(
    list=extend_schema(
        summary="Cohorts",
        parameters=[
            OpenApiParameter(
                "status",
                OpenApiTypes.STR,
                enum=COHORT_STATUSES,
                description="Only cohorts in this state",
            )
        ],
        responses={200: CohortSerializer(many=True)},
        tags=TAGS,
    ),
    retrieve=extend_schema(summary="One cohort", responses={200: CohortSerializer}, tags=TAGS),
    create=extend_schema(
        summary="Start a cohort on a published pathway version",
        request=CohortCreateSerializer,
        responses={201: CohortSerializer},
        examples=[
            OpenApiExample(
                "Spring cohort",
                value={"name": "Spring cohort", "version": 3, "start_date": "2027-03-01"},
                request_only=True,
            )
        ],
        tags=TAGS,
    ),
)
class CohortViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, TenantViewSet
):
    model = Cohort
    required_roles = ("admin",)
    serializer_class = CohortSerializer
    lookup_value_converter = "int"

    def scope_queryset(self, queryset: Any) -> Any:
        queryset = queryset.select_related("version__pathway").annotate(
            learner_count=Count(
                "enrollments", filter=~Q(enrollments__status=Enrollment.Status.WITHDRAWN)
            )
        )
        status_filter = self.request.query_params.get("status", "")
        if status_filter in Cohort.Status.values:
            queryset = queryset.filter(status=status_filter)
        return queryset

    def list(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.get_queryset()) or []
        return self.get_paginated_response([_cohort_row(c) for c in page])

    def retrieve(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        return Response(_cohort_row(self.get_object()))

    def create(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        payload = CohortCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        d = payload.validated_data
        cohort = services.do_create_cohort(
            member(request).user,
            name=d["name"],
            version=d["version"],
            start_date=d["start_date"],
            end_date=d.get("end_date"),
        )
        return Response(_cohort_row(self.get_queryset().get(pk=cohort.pk)), status.HTTP_201_CREATED)

    @extend_schema(
        summary="The cohort's learners with their progress (cursor-paginated)",
        responses={200: PaginatedEnrollmentSerializer},
        tags=TAGS,
        methods=["GET"],
    )
    @extend_schema(
        summary="Enrol a learner (a withdrawn learner is restored with their progress)",
        request=EnrolSerializer,
        examples=[OpenApiExample("Member 17", value={"learner": 17}, request_only=True)],
        responses={201: EnrollmentSerializer},
        tags=TAGS,
        methods=["POST"],
    )
    @action(detail=True, methods=["get", "post"], pagination_class=None)
    def enrollments(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        cohort = self.get_object()
        if request.method == "POST":
            payload = EnrolSerializer(data=request.data)
            payload.is_valid(raise_exception=True)
            enrollment = services.do_enrol_learner(
                member(request).user, cohort, payload.validated_data["learner"]
            )
            [row] = queries.cohort_detail(cohort.pk, enrollment_ids=[enrollment.pk]).learners
            return Response(_enrollment_row(row), status=status.HTTP_201_CREATED)
        # One page of enrolments by cursor; their progress from the cohort's read (fixed queries).
        paginator = TenantCursorPagination()
        page = paginator.paginate_queryset(
            Enrollment.objects.filter(cohort=cohort).only("pk"), request, view=self
        )
        ids = [e.pk for e in page or []]
        progress = {
            lp.enrollment_id: lp
            for lp in queries.cohort_detail(cohort.pk, enrollment_ids=ids).learners
        }
        rows = [_enrollment_row(progress[e.pk]) for e in page or [] if e.pk in progress]
        return paginator.get_paginated_response(rows)

    @extend_schema(
        summary="Withdraw a learner (their progress is kept)",
        request=None,
        responses={200: EnrollmentSerializer},
        tags=TAGS,
    )
    @action(
        detail=True,
        methods=["post"],
        url_path="enrollments/<int:enrollment_id>/withdraw",
        url_name="withdraw",
    )
    def withdraw(self, request: Any, *args: Any, enrollment_id: int, **kwargs: Any) -> Response:
        cohort = self.get_object()
        enrollment = get_object_or_404(Enrollment, pk=enrollment_id, cohort=cohort)
        services.do_withdraw(member(request).user, enrollment)
        [row] = queries.cohort_detail(cohort.pk, enrollment_ids=[enrollment.pk]).learners
        return Response(_enrollment_row(row))


router = SimpleRouter(use_regex_path=False)
router.register("cohorts", CohortViewSet, basename="api-cohorts")

urlpatterns = [path("", include(router.urls))]
