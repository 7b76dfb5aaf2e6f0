"""People over the REST API (HR admins, API keys): the list, and a sync endpoint that takes
the same rows as the CSV import (all-or-nothing, idempotent). Shape and validation only."""

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

from organizations.api import MAX_ID, TenantViewSet, member
from organizations.models import Membership, Role
from organizations.people import importer, queries

TAGS = ["people"]
PERSON_STATUSES = ["active", "invited", "not_invited", "deactivated"]
MAX_SYNC_ROWS = 2000  # per request; larger HRIS feeds use `manage.py import_people`


class PersonSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    email = serializers.EmailField()
    job_title = serializers.CharField(allow_blank=True)
    function = serializers.CharField(allow_blank=True)
    team = serializers.CharField(allow_blank=True)
    manager = serializers.CharField(allow_blank=True)
    roles = serializers.ListField(child=serializers.ChoiceField(choices=Role.values))
    status = serializers.ChoiceField(choices=["active", "invited", "not_invited", "deactivated"])


class SyncRowSerializer(serializers.Serializer):
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


class SyncSerializer(serializers.Serializer):
    people = serializers.ListField(
        child=SyncRowSerializer(), max_length=MAX_SYNC_ROWS, allow_empty=False
    )
    dry_run = serializers.BooleanField(default=False, help_text="Check and plan only.")


class SyncResultSerializer(serializers.Serializer):
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


router = SimpleRouter(use_regex_path=False)
router.register("people", PeopleViewSet, basename="api-people")

urlpatterns = [path("", include(router.urls))]
