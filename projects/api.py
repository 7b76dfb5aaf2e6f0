"""REST API for projects (read-only): the projects the member may see, and one project's page
as data. Shape only: visibility and the anonymity rule come from ``projects.queries``."""

from __future__ import annotations

from typing import Any

from django.urls import include, path
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from organizations.api import ErrorSerializer, StrictSerializer, TenantViewSet, member
from projects import queries
from projects.models import Project

ERRORS = {403: ErrorSerializer, 404: ErrorSerializer}
TAGS = ["projects"]


class ProjectSummarySerializer(StrictSerializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    status = serializers.CharField()
    cohort_id = serializers.IntegerField(allow_null=True)
    owner_id = serializers.IntegerField()
    sponsor_id = serializers.IntegerField(allow_null=True)
    start_date = serializers.DateField()
    end_date = serializers.DateField()


class MilestoneSerializer(StrictSerializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    due_on = serializers.DateField()
    approved_on = serializers.DateField(allow_null=True)
    done_on = serializers.DateField(allow_null=True)
    state = serializers.CharField()
    evidence = serializers.CharField()


class UpdateSerializer(StrictSerializer):
    on = serializers.DateField()
    rag = serializers.CharField()
    progress = serializers.CharField()
    tried = serializers.CharField()
    blockers = serializers.CharField()
    next_steps = serializers.CharField()


class SatisfactionSerializer(StrictSerializer):
    stakeholders_answered = serializers.IntegerField()
    threshold = serializers.IntegerField()
    shown = serializers.BooleanField()
    outcome_quality = serializers.FloatField(allow_null=True)
    collaboration = serializers.FloatField(allow_null=True)
    communication = serializers.FloatField(allow_null=True)
    overall = serializers.FloatField(allow_null=True)
    comments = serializers.ListField(child=serializers.CharField())


class ClaimSerializer(StrictSerializer):
    id = serializers.IntegerField()
    measure = serializers.CharField()
    annual_value = serializers.DecimalField(max_digits=14, decimal_places=2)
    adjusted_value = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True)
    roi_value = serializers.DecimalField(max_digits=14, decimal_places=2)
    is_revenue = serializers.BooleanField()
    isolation_pct = serializers.DecimalField(max_digits=5, decimal_places=2)
    confidence_pct = serializers.DecimalField(max_digits=5, decimal_places=2)
    benefit = serializers.DecimalField(max_digits=16, decimal_places=2)
    status = serializers.CharField()


class ProjectDetailSerializer(StrictSerializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    problem = serializers.CharField()
    status = serializers.CharField()
    scope_label = serializers.CharField()
    expected_outcomes = serializers.ListField(child=serializers.CharField())
    functions = serializers.ListField(child=serializers.CharField())
    start_date = serializers.DateField()
    end_date = serializers.DateField()
    owner_id = serializers.IntegerField()
    sponsor_id = serializers.IntegerField(allow_null=True)
    learners = serializers.ListField(child=serializers.CharField())
    milestones = MilestoneSerializer(many=True)
    updates = UpdateSerializer(many=True)
    satisfaction = SatisfactionSerializer()
    claims = ClaimSerializer(many=True)
    sponsor_rating = serializers.IntegerField(allow_null=True)


@extend_schema_view(
    list=extend_schema(
        summary="Projects you may see (learner: yours; sponsor: sponsored; coach: your "
        "cohorts'; admin: all)",
        responses={200: ProjectSummarySerializer(many=True), **ERRORS},
        tags=TAGS,
    ),
    retrieve=extend_schema(
        summary="One project: milestones, updates, stakeholder aggregate, claims",
        responses={200: ProjectDetailSerializer, **ERRORS},
        tags=TAGS,
    ),
)
class ProjectViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    model = Project
    serializer_class = ProjectSummarySerializer
    lookup_value_converter = "int"
    http_method_names = ["get", "head", "options"]

    def scope_queryset(self, queryset: Any) -> Any:
        return queryset.filter(queries.any_role_filter(member(self.request)))

    def retrieve(self, request: Any, pk: int | None = None, **kwargs: Any) -> Response:
        page = queries.project_page(member(request), int(pk or 0))
        return Response(ProjectDetailSerializer(page).data)


router = SimpleRouter(use_regex_path=False)
router.register("projects", ProjectViewSet, basename="api-projects")

urlpatterns = [path("", include(router.urls))]
