"""People and teams over the REST API (HR admins, API keys): the people list, a sync endpoint
that takes the same rows as the CSV import (all-or-nothing, idempotent), and teams (list,
create, edit, delete as on the teams page). Shape and validation only."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.urls import include, path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, serializers
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from organizations.api import (
    MAX_ID,
    ErrorSerializer,
    StrictSerializer,
    TenantPrimaryKeyField,
    TenantViewSet,
    member,
    validated_query,
)
from organizations.models import Membership, Role, Team
from organizations.people import importer, queries, services, team_counts

TAGS = ["people"]
PERSON_STATUSES = ["active", "invited", "not_invited", "deactivated"]
MAX_SYNC_ROWS = 2000  # per request; larger HRIS feeds use `manage.py import_people`


class PersonSerializer(StrictSerializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    email = serializers.EmailField()
    job_title = serializers.CharField(allow_blank=True)
    function = serializers.CharField(allow_blank=True)
    team = serializers.CharField(allow_blank=True)
    manager = serializers.CharField(allow_blank=True)
    roles = serializers.ListField(child=serializers.ChoiceField(choices=Role.values))
    status = serializers.ChoiceField(choices=["active", "invited", "not_invited", "deactivated"])


class SyncRowSerializer(StrictSerializer):
    email = serializers.CharField(max_length=254)
    name = serializers.CharField(max_length=200)
    title = serializers.CharField(max_length=200, required=False, allow_blank=True, allow_null=True)
    function = serializers.CharField(
        max_length=100, required=False, allow_blank=True, allow_null=True
    )
    team = serializers.CharField(max_length=200, required=False, allow_blank=True, allow_null=True)
    manager_email = serializers.CharField(
        max_length=254, required=False, allow_blank=True, allow_null=True
    )
    roles = serializers.ListField(
        child=serializers.ChoiceField(choices=Role.values),
        required=False,
        allow_null=True,
        max_length=4,
        help_text="Omit to keep a person's roles (a new person is a learner).",
    )


class SyncSerializer(StrictSerializer):
    people = serializers.ListField(
        child=SyncRowSerializer(), max_length=MAX_SYNC_ROWS, allow_empty=False
    )
    dry_run = serializers.BooleanField(default=False, help_text="Check and plan only.")


class SyncResultSerializer(StrictSerializer):
    applied = serializers.BooleanField()
    rows = serializers.IntegerField()
    new = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    teams_to_create = serializers.ListField(child=serializers.CharField())


def _filters(params: Any) -> queries.PeopleFilters:
    team = params.get("team", "")
    return queries.PeopleFilters(
        q=params.get("q", "")[:200],
        team=int(team) if team.isdigit() and int(team) <= MAX_ID else None,
        role=params.get("role", ""),
        function=params.get("function", "")[:100],
        status=params.get("status", ""),
    )


def _parsed(rows: list[dict[str, Any]]) -> importer.ParsedFile:
    """The API's rows as the CSV importer reads them (row ``i`` is number ``i + 1``)."""
    parsed = importer.ParsedFile(columns=list(importer.KNOWN_COLUMNS))
    for i, row in enumerate(rows):
        parsed.rows.append(
            importer.PersonRow(
                number=i + 1,
                email=row["email"].strip().lower(),
                name=row["name"].strip(),
                title=row.get("title"),
                function=row.get("function"),
                team=row.get("team"),
                manager_email=(row.get("manager_email") or "").strip().lower() or None,
                roles=row.get("roles"),
            )
        )
    return parsed


def _as_errors(problems: list[importer.Problem]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for p in problems:
        if p.row is None:
            key = "people"
        else:
            key = f"people[{p.row - 1}]" + (f".{p.column}" if p.column else "")
        errors.setdefault(key, []).append(p.message)
    return errors


@extend_schema_view(
    list=extend_schema(
        summary="People (members) with their team, manager, roles and status",
        parameters=[
            OpenApiParameter("q", OpenApiTypes.STR, description="Name or e-mail contains"),
            OpenApiParameter("team", OpenApiTypes.INT),
            OpenApiParameter("role", OpenApiTypes.STR, enum=Role.values),
            OpenApiParameter("function", OpenApiTypes.STR),
            OpenApiParameter("status", OpenApiTypes.STR, enum=PERSON_STATUSES),
        ],
        tags=TAGS,
    )
)
class PeopleViewSet(mixins.ListModelMixin, TenantViewSet):
    model = Membership
    required_roles = ("admin",)
    serializer_class = PersonSerializer
    cursor_ordering = ("pk",)

    def list(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        people = queries.people_matching(_filters(request.query_params))
        page = self.paginate_queryset(people) or []
        data = PersonSerializer([queries.person_row(m) for m in page], many=True).data
        return self.get_paginated_response(data)

    @extend_schema(
        summary="Sync people from an HRIS: the CSV import's rows, all or nothing",
        description="Each row is one person, as a row of the CSV import (`email`, `name`, "
        "`title`, `function`, `team`, `manager_email`, `roles`). The whole request is checked "
        "first; any problem refuses it with every problem named (`people[3].email`) and nothing "
        "changes. Sending the same rows again changes nothing. Nobody is deactivated by "
        "omission.",
        request=SyncSerializer,
        responses={200: SyncResultSerializer},
        examples=[
            OpenApiExample(
                "Two people",
                value={
                    "people": [
                        {"email": "ana@example.org", "name": "Ana Ruiz", "team": "Sales"},
                        {
                            "email": "ben@example.org",
                            "name": "Ben Ode",
                            "manager_email": "ana@example.org",
                            "roles": ["learner"],
                        },
                    ],
                    "dry_run": False,
                },
                request_only=True,
            )
        ],
        tags=TAGS,
    )
    @action(detail=False, methods=["post"])
    def sync(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        payload = SyncSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        plan = importer.plan_import(_parsed(payload.validated_data["people"]))
        if plan.refused:
            raise ValidationError(_as_errors(plan.problems))
        applied = not payload.validated_data["dry_run"]
        summary = importer.apply_plan(plan, member(request).user) if applied else plan.summary()
        return Response(
            {
                "applied": applied,
                **{k: summary[k] for k in ("rows", "new", "updated", "unchanged")},
                "teams_to_create": summary["teams_to_create"],
            }
        )


# --- Teams ------------------------------------------------------------------------------------


class TeamSerializer(StrictSerializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(max_length=200)
    parent = TenantPrimaryKeyField(  # type: ignore[assignment]
        Team, required=False, allow_null=True, help_text="The team this one sits under"
    )
    manager = TenantPrimaryKeyField(
        Membership, required=False, allow_null=True, help_text="The member id of its manager"
    )
    manager_name = serializers.CharField(read_only=True, allow_blank=True)
    members = serializers.IntegerField(read_only=True, help_text="Active members")

    def to_representation(self, instance: Any) -> Any:
        manager = instance.manager
        return {
            "id": instance.pk,
            "name": instance.name,
            "parent": instance.parent_id,
            "manager": instance.manager_id,
            "manager_name": (manager.user.full_name or manager.user.email) if manager else "",
            "members": getattr(instance, "active_members", 0),
        }

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        team = self.instance
        # The service's own checks, run here too so each message names its field.
        try:
            if "name" in attrs:
                services.check_team_name(attrs["name"], team)
        except ValidationError as exc:
            raise serializers.ValidationError({"name": exc.messages}) from exc
        try:
            services.check_team_parent(team, attrs.get("parent"))
        except ValidationError as exc:
            raise serializers.ValidationError({"parent": exc.messages}) from exc
        return attrs


class TeamFilters(serializers.Serializer):
    q = serializers.CharField(max_length=200, required=False, help_text="Name contains")
    parent = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False)  # type: ignore[assignment]


TEAM_ERRORS = {400: ErrorSerializer, 403: ErrorSerializer, 404: ErrorSerializer}


@extend_schema_view(
    list=extend_schema(
        summary="Teams, with parent, manager and active members",
        parameters=[TeamFilters],
        examples=[
            OpenApiExample(
                "A team",
                value={
                    "id": 7,
                    "name": "Sales North",
                    "parent": 2,
                    "manager": 21,
                    "manager_name": "Ana Ruiz",
                    "members": 9,
                },
                response_only=True,
            )
        ],
        tags=TAGS,
    ),
    retrieve=extend_schema(summary="One team", tags=TAGS),
    create=extend_schema(
        summary="Create a team",
        responses={201: TeamSerializer, **TEAM_ERRORS},
        examples=[
            OpenApiExample(
                "Under a department",
                value={"name": "Sales North", "parent": 2, "manager": 17},
                request_only=True,
            )
        ],
        tags=TAGS,
    ),
    partial_update=extend_schema(
        summary="Rename a team, move it, or change its manager",
        responses={200: TeamSerializer, **TEAM_ERRORS},
        examples=[
            OpenApiExample(
                "New manager, top level", value={"manager": 21, "parent": None}, request_only=True
            )
        ],
        tags=TAGS,
    ),
    destroy=extend_schema(
        summary="Delete an empty team (its sub-teams move up to its parent)",
        responses={204: None, **TEAM_ERRORS},
        tags=TAGS,
    ),
)
class TeamViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    TenantViewSet,
):
    model = Team
    required_roles = ("admin",)
    serializer_class = TeamSerializer
    cursor_ordering = ("name", "id")
    lookup_value_converter = "int"
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def scope_queryset(self, queryset: Any) -> Any:
        queryset = queryset.select_related("manager__user").annotate(
            active_members=team_counts.active_members()
        )
        if self.action == "list":
            filters = validated_query(self.request, TeamFilters)
            if filters.get("q"):
                queryset = queryset.filter(name__icontains=filters["q"])
            if "parent" in filters:
                queryset = queryset.filter(parent_id=filters["parent"])
        return queryset

    def _save(self, serializer: Any, team: Team | None) -> None:
        d = serializer.validated_data
        saved = services.do_save_team(
            member(self.request).user,
            team,
            name=d.get("name", team.name if team else ""),
            parent=d.get("parent", team.parent if team else None),
            manager=d.get("manager", team.manager if team else None),
        )
        serializer.instance = self.get_queryset().get(pk=saved.pk)

    def perform_create(self, serializer: Any) -> None:
        self._save(serializer, None)

    def perform_update(self, serializer: Any) -> None:
        self._save(serializer, serializer.instance)

    def perform_destroy(self, instance: Any) -> None:
        services.do_delete_team(member(self.request).user, instance)


router = SimpleRouter(use_regex_path=False)
router.register("people", PeopleViewSet, basename="api-people")
router.register("teams", TeamViewSet, basename="api-team")

urlpatterns = [path("", include(router.urls))]
