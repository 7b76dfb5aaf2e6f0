"""REST API for coaching: a coach's coachees, sessions and session logs, the observations they
record and the journal entries their coachees shared; a learner's own journal. Shape and
validation only; ``coaching.services`` decides and ``coaching.queries`` says who reads what.
A coach reads only their own sessions (private notes included: they wrote them) and the
observations they recorded. Journal text reaches its learner, and their coach while an entry
is shared; never an admin, a sponsor or an API key."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.urls import include, path
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter
from rest_framework.views import APIView

from coaching import queries, services
from coaching.models import (
    CoachingSession,
    Experiment,
    JournalEntry,
    Observation,
    SessionParticipant,
)
from competencies.models import BehaviouralIndicator, Competency, ProficiencyLevel
from measurement import queries as measurement_queries
from organizations.api import (
    MAX_ID,
    ErrorSerializer,
    IsMember,
    StrictSerializer,
    TenantPrimaryKeyField,
    TenantViewSet,
    member,
    validated_query,
    with_etag,
)
from organizations.models import Membership
from pathways.models import Enrollment

ERRORS = {400: ErrorSerializer, 403: ErrorSerializer, 404: ErrorSerializer}
TAGS = ["coaching"]


class ParticipantSerializer(StrictSerializer):
    learner = serializers.IntegerField(source="learner_id")
    name = serializers.CharField(source="learner.user.display_name")
    attendance = serializers.CharField()
    rating = serializers.IntegerField(allow_null=True)


class SessionSerializer(StrictSerializer):
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
    project = serializers.IntegerField(
        source="project_id",
        allow_null=True,
        help_text="The coachee's project this 1:1 works on (an id of the projects API), or null",
    )
    project_title = serializers.CharField(source="project.title", allow_null=True)


class AttendanceSerializer(StrictSerializer):
    learner = serializers.IntegerField(min_value=1)
    attendance = serializers.ChoiceField(choices=SessionParticipant.Attendance.choices)


class AgreedSerializer(StrictSerializer):
    learner = serializers.IntegerField(min_value=1)
    kind = serializers.ChoiceField(
        choices=Experiment.Kind.choices, default=Experiment.Kind.EXPERIMENT
    )
    action = serializers.CharField(max_length=2000)
    hypothesis = serializers.CharField(max_length=500, required=False, allow_blank=True)
    where = serializers.CharField(max_length=200, required=False, allow_blank=True)
    due_on = serializers.DateField()


class SessionLogSerializer(StrictSerializer):
    attendance = AttendanceSerializer(many=True)
    actual_minutes = serializers.IntegerField(min_value=1, max_value=480)
    competencies = serializers.ListField(
        child=TenantPrimaryKeyField(Competency), required=False, default=list
    )
    private_notes = serializers.CharField(max_length=20000, required=False, allow_blank=True)
    shared_summary = serializers.CharField(max_length=20000, required=False, allow_blank=True)
    agreed = AgreedSerializer(many=True, required=False, default=list)
    project = serializers.IntegerField(
        min_value=1,
        max_value=MAX_ID,
        allow_null=True,
        required=False,
        help_text=(
            "A 1:1 only: the coachee's project the session worked on (one they work on, in this "
            "organisation); null unlinks it; left out, the link stays as it is"
        ),
    )

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
            project=d.get("project", services.Keep.KEEP),
        )


class LogOutcomeSerializer(StrictSerializer):
    session = SessionSerializer()
    steps_completed = serializers.IntegerField()
    steps_not_open = serializers.ListField(child=serializers.CharField())


class SessionFilters(serializers.Serializer):
    status = serializers.ChoiceField(choices=CoachingSession.Status.values, required=False)
    since = serializers.DateField(required=False, help_text="Starting on or after (YYYY-MM-DD)")
    until = serializers.DateField(required=False, help_text="Starting on or before (YYYY-MM-DD)")
    learner = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, required=False, help_text="With this participant"
    )


@extend_schema_view(
    list=extend_schema(
        summary="Your coaching sessions (newest first)", parameters=[SessionFilters], tags=TAGS
    ),
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
        queryset = (
            queryset.filter(coach=member(self.request))
            .select_related("project")
            .prefetch_related("participants__learner__user")
        )
        if self.action != "list":
            return queryset
        filters = validated_query(self.request, SessionFilters)
        if "status" in filters:
            queryset = queryset.filter(status=filters["status"])
        if "since" in filters:
            queryset = queryset.filter(starts_at__date__gte=filters["since"])
        if "until" in filters:
            queryset = queryset.filter(starts_at__date__lte=filters["until"])
        if "learner" in filters:
            queryset = queryset.filter(participants__learner_id=filters["learner"])
        return queryset

    @extend_schema(
        summary=(
            "Log a session: attendance, actual length, notes, summary, experiments, the project"
        ),
        request=SessionLogSerializer,
        examples=[
            OpenApiExample(
                "A 1:1 held",
                value={
                    "attendance": [{"learner": 17, "attendance": "attended"}],
                    "actual_minutes": 50,
                    "competencies": [4],
                    "private_notes": "",
                    "shared_summary": "We agreed to try one open question in each 1:1.",
                    "agreed": [
                        {
                            "learner": 17,
                            "kind": "experiment",
                            "action": "Ask before advising in every 1:1",
                            "hypothesis": "People bring their own solutions first",
                            "where": "Weekly 1:1s",
                            "due_on": "2026-04-01",
                        }
                    ],
                    "project": 8,
                },
                request_only=True,
            )
        ],
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


class ObservationSerializer(StrictSerializer):
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


class ObservationFilters(serializers.Serializer):
    learner = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False)
    competency = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False)
    since = serializers.DateField(required=False, help_text="Observed on or after (YYYY-MM-DD)")
    until = serializers.DateField(required=False, help_text="Observed on or before (YYYY-MM-DD)")


@extend_schema_view(
    list=extend_schema(
        summary="Observations you recorded", parameters=[ObservationFilters], tags=TAGS
    ),
    create=extend_schema(
        summary="Record a behavioural observation of a coachee (or a colleague who invited you)",
        responses={201: ObservationSerializer, **ERRORS},
        examples=[
            OpenApiExample(
                "In a stand-up",
                value={
                    "learner": 17,
                    "competency": 4,
                    "indicator": 12,
                    "level": 3,
                    "situation": "Weekly stand-up",
                    "behaviour": "Invited the quietest member to speak first",
                    "observed_on": "2026-03-12",
                },
                request_only=True,
            )
        ],
        tags=TAGS,
    ),
)
class ObservationViewSet(mixins.ListModelMixin, mixins.CreateModelMixin, TenantViewSet):
    model = Observation
    required_roles = ("coach", "learner")
    serializer_class = ObservationSerializer
    cursor_ordering = ("-created_at", "-id")

    def scope_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        queryset = queryset.filter(observer=member(self.request))
        if self.action != "list":
            return queryset
        filters = validated_query(self.request, ObservationFilters)
        for name in ("learner", "competency"):
            if name in filters:
                queryset = queryset.filter(**{f"{name}_id": filters[name]})
        if "since" in filters:
            queryset = queryset.filter(observed_on__gte=filters["since"])
        if "until" in filters:
            queryset = queryset.filter(observed_on__lte=filters["until"])
        return queryset

    def perform_create(self, serializer: Any) -> None:
        d = dict(serializer.validated_data)
        learner = d.pop("learner")
        serializer.instance = services.do_record_observation(member(self.request), learner, **d)


# Examples for the schema.
ENTRY = {
    "id": 41,
    "text": "I asked before advising in the stand-up; two people spoke who rarely do.",
    "prompt": "When did you practise coaching conversations this week?",
    "competency": 4,
    "competency_name": "Coaching conversations",
    "shared": True,
    "shared_at": "2026-03-13T08:05:00Z",
    "created_at": "2026-03-12T18:40:00Z",
}
ENTRY_EXAMPLE = OpenApiExample("An entry", value=ENTRY, response_only=True)
SHARED_EXAMPLE = OpenApiExample(
    "A shared entry",
    value={**ENTRY, "learner": 17, "learner_name": "Ana Ruiz"},
    response_only=True,
)
COACHEE_EXAMPLE = OpenApiExample(
    "A coachee",
    value={
        "enrollment_id": 88,
        "learner_id": 17,
        "name": "Ana Ruiz",
        "email": "ana@example.org",
        "team": "Sales North",
        "pathway": "Leading Through Change",
        "cohort": "Spring 2026",
        "status": "Active",
        "steps_done": 6,
        "steps_total": 14,
        "steps_overdue": 1,
        "percent": 43,
    },
    response_only=True,
)

# --- Coachees ---------------------------------------------------------------------------------


class CoacheeSerializer(StrictSerializer):
    enrollment_id = serializers.IntegerField()
    learner_id = serializers.IntegerField(help_text="The member id (observations take it)")
    name = serializers.CharField()
    email = serializers.EmailField()
    team = serializers.CharField(allow_blank=True)
    pathway = serializers.CharField()
    cohort = serializers.CharField()
    status = serializers.CharField(help_text="The enrolment's status, in words")
    steps_done = serializers.IntegerField(allow_null=True, help_text="Null until rolled up")
    steps_total = serializers.IntegerField(allow_null=True)
    steps_overdue = serializers.IntegerField()
    percent = serializers.IntegerField(allow_null=True)


class CoacheeFilters(serializers.Serializer):
    cohort = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, required=False, help_text="A cohort id"
    )


def _coachee(c: queries.Coachee) -> dict[str, Any]:
    return {
        "enrollment_id": c.enrollment_id,
        "learner_id": c.learner_id,
        "name": c.name,
        "email": c.email,
        "team": c.team,
        "pathway": c.pathway,
        "cohort": c.cohort,
        "status": c.status,
        "steps_done": c.steps_done,
        "steps_total": c.steps_total,
        "steps_overdue": c.steps_overdue,
        "percent": c.percent,
    }


@extend_schema_view(
    list=extend_schema(
        summary="Your coachees: learners of the cohorts you coach, with their progress",
        description="The coach's roster, as on the coach's home page: one row per enrolment "
        "(not withdrawn) in a cohort you are assigned to, with steps done and overdue from the "
        "latest progress roll-up. Nothing a learner keeps private.",
        parameters=[CoacheeFilters],
        examples=[COACHEE_EXAMPLE],
        tags=TAGS,
    )
)
class CoacheeViewSet(mixins.ListModelMixin, TenantViewSet):
    model = Enrollment
    required_roles = ("coach",)
    serializer_class = CoacheeSerializer
    cursor_ordering = ("id",)

    def scope_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        # The roster's own rule (coaching.queries), already within the organisation.
        mine = queries.coachee_enrollments(member(self.request))
        cohort = validated_query(self.request, CoacheeFilters).get("cohort")
        return mine.filter(cohort_id=cohort) if cohort else mine

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.get_queryset()) or []
        roster = queries.coachee_rows(page)
        return self.get_paginated_response([_coachee(c) for c in roster.coachees])


# --- Journal ----------------------------------------------------------------------------------


class JournalEntrySerializer(StrictSerializer):
    id = serializers.IntegerField(read_only=True)
    text = serializers.CharField(
        max_length=20000,
        allow_blank=True,
        trim_whitespace=False,
        help_text="Private to the learner unless they share the entry with their coach",
    )
    prompt = serializers.CharField(
        max_length=300, required=False, allow_blank=True, help_text="The prompt answered, if any"
    )
    competency = TenantPrimaryKeyField(
        Competency, required=False, allow_null=True, help_text="A competency id, if it is about one"
    )
    competency_name = serializers.CharField(read_only=True, allow_blank=True)
    shared = serializers.BooleanField(read_only=True, help_text="Shared with the coach now")
    shared_at = serializers.DateTimeField(read_only=True, allow_null=True)
    created_at = serializers.DateTimeField(read_only=True)

    def to_representation(self, instance: Any) -> Any:
        return {
            "id": instance.pk,
            "text": instance.text,
            "prompt": instance.prompt,
            "competency": instance.competency_id,
            "competency_name": instance.competency.name if instance.competency else "",
            "shared": instance.shared_at is not None,
            "shared_at": serializers.DateTimeField().to_representation(instance.shared_at)
            if instance.shared_at
            else None,
            "created_at": serializers.DateTimeField().to_representation(instance.created_at),
        }


class SharedJournalEntrySerializer(JournalEntrySerializer):
    learner = serializers.IntegerField(read_only=True, help_text="The coachee's member id")
    learner_name = serializers.CharField(read_only=True)

    def to_representation(self, instance: Any) -> Any:
        return {
            **super().to_representation(instance),
            "learner": instance.learner_id,
            "learner_name": instance.learner.user.display_name,
        }


class ShareSerializer(StrictSerializer):
    shared = serializers.BooleanField(
        help_text="true: your coach may read this entry; false: withdraw it"
    )


class JournalFilters(serializers.Serializer):
    since = serializers.DateField(required=False, help_text="Written on or after (YYYY-MM-DD)")
    until = serializers.DateField(required=False, help_text="Written on or before (YYYY-MM-DD)")
    competency = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False)
    shared = serializers.ChoiceField(
        choices=["true", "false"], required=False, help_text="Only shared, or only private"
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        since, until = attrs.get("since"), attrs.get("until")
        if since and until and since > until:
            raise serializers.ValidationError({"until": ["Must not be before `since`."]})
        return attrs


class SharedJournalFilters(JournalFilters):
    shared = None  # type: ignore[assignment]  # a coach reads shared entries only
    learner = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, required=False, help_text="A coachee's member id"
    )


def _journal_filtered(queryset: QuerySet[Any], filters: dict[str, Any]) -> QuerySet[Any]:
    """Dates are days of the organisation's time zone (the middleware activates it)."""
    if "since" in filters:
        queryset = queryset.filter(created_at__date__gte=filters["since"])
    if "until" in filters:
        queryset = queryset.filter(created_at__date__lte=filters["until"])
    if "competency" in filters:
        queryset = queryset.filter(competency_id=filters["competency"])
    if "learner" in filters:
        queryset = queryset.filter(learner_id=filters["learner"])
    if filters.get("shared") is not None:
        queryset = queryset.filter(shared_at__isnull=filters["shared"] == "false")
    return queryset


JOURNAL_EXAMPLE = OpenApiExample(
    "A reflection",
    value={
        "text": "I asked before advising in the stand-up; two people spoke who rarely do.",
        "prompt": "When did you practise coaching conversations this week?",
        "competency": 4,
    },
    request_only=True,
)


@extend_schema_view(
    list=extend_schema(
        summary="My journal entries (newest first)",
        parameters=[JournalFilters],
        examples=[ENTRY_EXAMPLE],
        tags=["learner"],
    ),
    retrieve=extend_schema(
        summary="One of my journal entries",
        responses={200: JournalEntrySerializer, **ERRORS},
        examples=[ENTRY_EXAMPLE],
        tags=["learner"],
    ),
    create=extend_schema(
        summary="Write a journal entry (private to you until you share it)",
        request=JournalEntrySerializer,
        responses={201: JournalEntrySerializer, **ERRORS},
        examples=[JOURNAL_EXAMPLE, ENTRY_EXAMPLE],
        tags=["learner"],
    ),
)
class MyJournalViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, TenantViewSet
):
    """A learner's own journal, as the journal page: write, read, share with the coach or
    withdraw. Entries are not edited or deleted (the page offers neither)."""

    model = JournalEntry
    required_roles = ("learner",)
    serializer_class = JournalEntrySerializer
    cursor_ordering = ("-created_at", "-id")
    lookup_value_converter = "int"

    def scope_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        queryset = queryset.filter(learner=member(self.request)).select_related("competency")
        if self.action == "list":
            queryset = _journal_filtered(queryset, validated_query(self.request, JournalFilters))
        return queryset

    def perform_create(self, serializer: Any) -> None:
        d = serializer.validated_data
        serializer.instance = services.do_write_journal(
            member(self.request),
            text=d["text"],
            prompt=d.get("prompt", ""),
            competency=d.get("competency"),
        )

    @extend_schema(
        summary="Share a journal entry with your coach, or withdraw it",
        request=ShareSerializer,
        responses={200: JournalEntrySerializer, **ERRORS},
        examples=[OpenApiExample("Share", value={"shared": True}, request_only=True)],
        tags=["learner"],
    )
    @action(detail=True, methods=["post"])
    def share(self, request: Request, org_slug: str, pk: int) -> Response:
        payload = ShareSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        entry = services.do_share_journal_entry(
            member(request), pk, payload.validated_data["shared"]
        )
        return Response(JournalEntrySerializer(self.get_queryset().get(pk=entry.pk)).data)


@extend_schema_view(
    list=extend_schema(
        summary="Journal entries your coachees shared with you (newest first)",
        description="Only entries a coachee of yours shared, and only while shared: a withdrawn "
        "entry disappears. Private entries never reach this endpoint.",
        parameters=[SharedJournalFilters],
        examples=[SHARED_EXAMPLE],
        tags=TAGS,
    ),
    retrieve=extend_schema(
        summary="One journal entry a coachee shared with you",
        responses={200: SharedJournalEntrySerializer, **ERRORS},
        examples=[SHARED_EXAMPLE],
        tags=TAGS,
    ),
)
class SharedJournalViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    model = JournalEntry
    required_roles = ("coach",)
    serializer_class = SharedJournalEntrySerializer
    cursor_ordering = ("-created_at", "-id")
    lookup_value_converter = "int"

    def scope_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        queryset = queryset.filter(queries.shared_with_coach(member(self.request))).select_related(
            "competency", "learner__user"
        )
        if self.action == "list":
            filters = validated_query(self.request, SharedJournalFilters)
            queryset = _journal_filtered(queryset, filters)
        return queryset


# --- Coaching summary (admins and sponsors) ----------------------------------------------------


class ReportRowSerializer(StrictSerializer):
    cohort_id = serializers.IntegerField(allow_null=True)
    cohort = serializers.CharField()
    coach_id = serializers.IntegerField(allow_null=True, help_text="Null: all coaches")
    coach = serializers.CharField(allow_blank=True)
    coachees = serializers.IntegerField()
    sessions_held = serializers.IntegerField()
    hours = serializers.FloatField()
    attendance_percent = serializers.IntegerField(allow_null=True)
    no_show_percent = serializers.IntegerField(allow_null=True)
    mean_rating = serializers.FloatField(
        allow_null=True, help_text="1–5; null under 5 ratings (it could point at a person)"
    )
    ratings = serializers.IntegerField()
    goals_set = serializers.IntegerField()
    goals_achieved = serializers.IntegerField()


def _report_row(r: queries.ReportRow) -> dict[str, Any]:
    c = r.counts
    return {
        "cohort_id": c.cohort_id,
        "cohort": r.cohort,
        "coach_id": c.coach_id,
        "coach": r.coach,
        "coachees": c.coachees,
        "sessions_held": c.sessions_held,
        "hours": c.hours,
        "attendance_percent": r.attendance_percent,
        "no_show_percent": r.no_show_percent,
        "mean_rating": r.rating_label,
        "ratings": c.rating_n,
        "goals_set": c.goals_set,
        "goals_achieved": c.goals_achieved,
    }


class CoachingReportView(APIView):
    permission_classes = [IsMember]
    required_roles = ("admin", "sponsor")

    @extend_schema(
        summary="Coaching summary: counts per cohort (admins also per coach)",
        description="The coaching summary page's table: sessions, hours, attendance, ratings "
        "and goals, counts only; never notes, summaries or journal text. A sponsor sees the "
        "cohorts they sponsor, an admin every cohort and each coach's rows.",
        responses={200: ReportRowSerializer(many=True)},
        examples=[
            OpenApiExample(
                "One cohort",
                value=[
                    {
                        "cohort_id": 3,
                        "cohort": "Spring 2026",
                        "coach_id": None,
                        "coach": "",
                        "coachees": 12,
                        "sessions_held": 41,
                        "hours": 36.5,
                        "attendance_percent": 93,
                        "no_show_percent": 4,
                        "mean_rating": 4.4,
                        "ratings": 30,
                        "goals_set": 15,
                        "goals_achieved": 6,
                    }
                ],
                response_only=True,
            )
        ],
        tags=["dashboards"],
    )
    def get(self, request: Request, org_slug: str) -> Response:
        reader = member(request)
        # The cohorts this reader may see a programme's figures of (admin all, sponsor theirs).
        names = {c.id: c.name for c in measurement_queries.visible_cohorts(reader)}
        report = queries.coaching_report(list(names), names, by_coach=reader.is_admin)
        rows = [_report_row(r) for r in [*report.by_cohort, *report.by_coach]]
        return with_etag(request, Response(ReportRowSerializer(rows, many=True).data))


router = SimpleRouter(use_regex_path=False)
router.register("coaching/sessions", SessionViewSet, basename="api-coaching-session")
router.register("coaching/observations", ObservationViewSet, basename="api-coaching-observation")
router.register("coaching/coachees", CoacheeViewSet, basename="api-coaching-coachee")
router.register("coaching/journal", SharedJournalViewSet, basename="api-coaching-journal")
router.register("me/journal", MyJournalViewSet, basename="api-my-journal")

urlpatterns = [
    path("", include(router.urls)),
    path("coaching/report/", CoachingReportView.as_view(), name="api_coaching_report"),
]
