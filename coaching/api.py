"""REST API for coaches: their sessions and session logs, and the observations they record.
Shape and validation only; ``coaching.services`` decides. A coach reads only their own
sessions (private notes included: they wrote them) and the observations they recorded."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.urls import include, path
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from coaching import services
from coaching.models import CoachingSession, Experiment, Observation, SessionParticipant
from competencies.models import BehaviouralIndicator, Competency, ProficiencyLevel
from organizations.api import ErrorSerializer, TenantPrimaryKeyField, TenantViewSet, member
from organizations.models import Membership

ERRORS = {400: ErrorSerializer, 403: ErrorSerializer, 404: ErrorSerializer}
TAGS = ["coaching"]


class ParticipantSerializer(serializers.Serializer):
    learner = serializers.IntegerField(source="learner_id")
    name = serializers.CharField(source="learner.user.display_name")
    attendance = serializers.CharField()
    rating = serializers.IntegerField(allow_null=True)


class SessionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    title = serializers.CharField()
    starts_at = serializers.DateTimeField()
    minutes = serializers.IntegerField()
    mode = serializers.CharField()
    location = serializers.CharField()
    status = serializers.CharField()
    uid = serializers.UUIDField()
    sequence = serializers.IntegerField()
    actual_minutes = serializers.IntegerField(allow_null=True)
    private_notes = serializers.CharField()
    shared_summary = serializers.CharField()
    participants = ParticipantSerializer(many=True)


class AttendanceSerializer(serializers.Serializer):
    learner = serializers.IntegerField(min_value=1)
    attendance = serializers.ChoiceField(choices=SessionParticipant.Attendance.choices)


class AgreedSerializer(serializers.Serializer):
    learner = serializers.IntegerField(min_value=1)
    kind = serializers.ChoiceField(
        choices=Experiment.Kind.choices, default=Experiment.Kind.EXPERIMENT
    )
    action = serializers.CharField(max_length=2000)
    hypothesis = serializers.CharField(max_length=500, required=False, allow_blank=True)
    where = serializers.CharField(max_length=200, required=False, allow_blank=True)
    due_on = serializers.DateField()


class SessionLogSerializer(serializers.Serializer):
    attendance = AttendanceSerializer(many=True)
    actual_minutes = serializers.IntegerField(min_value=1, max_value=480)
    competencies = serializers.ListField(
        child=TenantPrimaryKeyField(Competency), required=False, default=list
    )
    private_notes = serializers.CharField(max_length=20000, required=False, allow_blank=True)
    shared_summary = serializers.CharField(max_length=20000, required=False, allow_blank=True)
    agreed = AgreedSerializer(many=True, required=False, default=list)

    def to_log(self) -> services.SessionLog:
        d = self.validated_data
        return services.SessionLog(
            attendance={a["learner"]: a["attendance"] for a in d["attendance"]},
            actual_minutes=d["actual_minutes"],
            competencies=d["competencies"],
            private_notes=d.get("private_notes", ""),
            shared_summary=d.get("shared_summary", ""),
            agreed=[
                services.AgreedItem(
                    learner_id=a["learner"],
                    action=a["action"],
                    due_on=a["due_on"],
                    kind=a["kind"],
                    hypothesis=a.get("hypothesis", ""),
                    where=a.get("where", ""),
                )
                for a in d["agreed"]
            ],
        )


class LogOutcomeSerializer(serializers.Serializer):
    session = SessionSerializer()
    steps_completed = serializers.IntegerField()
    steps_not_open = serializers.ListField(child=serializers.CharField())


@extend_schema_view(
    list=extend_schema(summary="Your coaching sessions (newest first)", tags=TAGS),
    retrieve=extend_schema(
        summary="One of your sessions", responses={200: SessionSerializer, **ERRORS}, tags=TAGS
    ),
)
class SessionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    model = CoachingSession
    required_roles = ("coach",)
    serializer_class = SessionSerializer
    cursor_ordering = ("-starts_at", "-id")
    lookup_value_converter = "int"

    def scope_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        return queryset.filter(coach=member(self.request)).prefetch_related(
            "participants__learner__user"
        )

    @extend_schema(
        summary="Log a session: attendance, actual length, notes, summary, experiments",
        request=SessionLogSerializer,
        responses={200: LogOutcomeSerializer, **ERRORS},
        tags=TAGS,
    )
    @action(detail=True, methods=["post"])
    def log(self, request: Request, org_slug: str, pk: int) -> Response:
        session = self.get_object()
        serializer = SessionLogSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        outcome = services.do_log_session(member(request), session.pk, serializer.to_log())
        fresh = self.get_queryset().get(pk=outcome.session.pk)
        body = {
            "session": SessionSerializer(fresh).data,
            "steps_completed": outcome.steps_completed,
            "steps_not_open": outcome.steps_not_open,
        }
        return Response(body, status=status.HTTP_200_OK)


class ObservationSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    learner = TenantPrimaryKeyField(Membership)
    competency = TenantPrimaryKeyField(Competency)
    indicator = TenantPrimaryKeyField(BehaviouralIndicator, required=False, allow_null=True)
    level = TenantPrimaryKeyField(ProficiencyLevel)
    situation = serializers.CharField(max_length=5000)
    behaviour = serializers.CharField(max_length=5000)
    observed_on = serializers.DateField()
    observer_kind = serializers.CharField(read_only=True)

    def to_representation(self, instance: Any) -> Any:
        return {
            "id": instance.pk,
            "learner": instance.learner_id,
            "competency": instance.competency_id,
            "indicator": instance.indicator_id,
            "level": instance.level_id,
            "situation": instance.situation,
            "behaviour": instance.behaviour,
            "observed_on": instance.observed_on,
            "observer_kind": instance.observer_kind,
        }


@extend_schema_view(
    list=extend_schema(summary="Observations you recorded", tags=TAGS),
    create=extend_schema(
        summary="Record a behavioural observation of a coachee (or a colleague who invited you)",
        responses={201: ObservationSerializer, **ERRORS},
        tags=TAGS,
    ),
)
class ObservationViewSet(mixins.ListModelMixin, mixins.CreateModelMixin, TenantViewSet):
    model = Observation
    required_roles = ("coach", "learner")
    serializer_class = ObservationSerializer
    cursor_ordering = ("-created_at", "-id")

    def scope_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        return queryset.filter(observer=member(self.request))

    def perform_create(self, serializer: Any) -> None:
        d = dict(serializer.validated_data)
        learner = d.pop("learner")
        serializer.instance = services.do_record_observation(member(self.request), learner, **d)


router = SimpleRouter(use_regex_path=False)
router.register("coaching/sessions", SessionViewSet, basename="api-coaching-session")
router.register("coaching/observations", ObservationViewSet, basename="api-coaching-observation")

urlpatterns = [path("", include(router.urls))]
