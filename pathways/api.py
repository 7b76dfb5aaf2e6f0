"""REST API for learners' progress: shape and validation only; services decide."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.urls import include, path
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from organizations.api import ErrorSerializer, StrictSerializer, TenantViewSet
from organizations.http import TenantRequest
from pathways import queries, services
from pathways.learning import queries as learning_queries
from pathways.models import Enrollment

if TYPE_CHECKING:
    from rest_framework.request import Request

    from organizations.models import Membership


def _learner(request: Request) -> Membership:
    """The member the tenant middleware put on the underlying Django request (``IsMember``
    has already refused requests without one)."""
    return cast(TenantRequest, request._request).membership


class StepSerializer(StrictSerializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    kind = serializers.CharField()
    stage = serializers.CharField()
    state = serializers.CharField()
    reason = serializers.CharField()


class EnrollmentProgressSerializer(StrictSerializer):
    id = serializers.IntegerField()
    pathway = serializers.CharField()
    cohort = serializers.CharField()
    steps_total = serializers.IntegerField()
    steps_done = serializers.IntegerField()
    percent = serializers.IntegerField()
    steps = serializers.SerializerMethodField()

    def get_steps(self, obj: queries.EnrollmentView) -> list[dict[str, Any]]:
        return [StepSerializer(s).data for stage in obj.stages for s in stage.steps]


class NextStepSerializer(StrictSerializer):
    kind = serializers.CharField()
    title = serializers.CharField()
    reason = serializers.CharField()
    url = serializers.CharField(allow_null=True)
    enrollment_id = serializers.SerializerMethodField()
    step_id = serializers.SerializerMethodField()

    def get_enrollment_id(self, obj: learning_queries.NextStep) -> int | None:
        return obj.enrollment.id if obj.enrollment is not None else None

    def get_step_id(self, obj: learning_queries.NextStep) -> int | None:
        return obj.step.id if obj.step is not None else None


class CompleteStepSerializer(StrictSerializer):
    step_id = serializers.IntegerField(min_value=1, max_value=2**62)


class NextStepResponseSerializer(StrictSerializer):
    next_step = NextStepSerializer(allow_null=True)
    reviews_due = serializers.IntegerField()


class StepCompletionSerializer(StrictSerializer):
    step_key = serializers.CharField()
    completed_at = serializers.DateTimeField()


@extend_schema_view(
    list=extend_schema(
        summary="My enrolments with step states",
        responses={200: EnrollmentProgressSerializer(many=True), 403: ErrorSerializer},
        tags=["learner"],
    ),
)
class MyEnrollmentViewSet(mixins.ListModelMixin, TenantViewSet):
    """``GET me/enrollments/``: the signed-in learner's pathways with step states;
    ``POST me/enrollments/<id>/complete-step/`` with ``{"step_id": n}`` marks a step done;
    ``GET me/enrollments/next-step/``: the one next step across them, with its reason."""

    model = Enrollment
    required_roles = ("learner",)
    serializer_class = EnrollmentProgressSerializer
    pagination_class = None  # a learner has a handful of enrolments

    def scope_queryset(self, queryset: Any) -> Any:
        return queryset.filter(learner=_learner(self.request))

    def list(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        data = queries.learner_enrollments(_learner(request))
        return Response(EnrollmentProgressSerializer(data, many=True).data)

    @extend_schema(
        summary="My one next step",
        responses={200: NextStepResponseSerializer, 403: ErrorSerializer},
        tags=["learner"],
    )
    @action(detail=False, methods=["get"], url_path="next-step")
    def next_step(self, request: Any, **kwargs: Any) -> Response:
        home = learning_queries.learner_home(_learner(request), kwargs["org_slug"])
        return Response(
            {
                "next_step": NextStepSerializer(home.next_step).data if home.next_step else None,
                "reviews_due": home.reviews_due,
            }
        )

    @extend_schema(
        summary="Mark a step of my enrolment done",
        request=CompleteStepSerializer,
        responses={
            200: StepCompletionSerializer,
            400: ErrorSerializer,
            403: ErrorSerializer,
            404: ErrorSerializer,
        },
        examples=[OpenApiExample("Step 12", value={"step_id": 12}, request_only=True)],
        tags=["learner"],
    )
    @action(detail=True, methods=["post"], url_path="complete-step")
    def complete_step(self, request: Any, pk: int | None = None, **kwargs: Any) -> Response:
        payload = CompleteStepSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        enrollment = self.get_object()
        try:
            completion = services.do_learner_complete_step(
                _learner(request), enrollment.pk, payload.validated_data["step_id"]
            )
        except ObjectDoesNotExist as exc:
            raise NotFound("No such step in this enrolment.") from exc
        except ValidationError as exc:
            raise serializers.ValidationError({"step_id": exc.messages}) from exc
        return Response(
            {"step_key": str(completion.step_key), "completed_at": completion.completed_at},
            status=status.HTTP_200_OK,
        )


router = SimpleRouter()
router.register("me/enrollments", MyEnrollmentViewSet, basename="my-enrollments")

urlpatterns = [path("", include(router.urls))]
