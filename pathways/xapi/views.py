"""Browser downloads of xAPI statements: a learner's own record, an admin's cohort export."""

from __future__ import annotations

import json

from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse
from django.shortcuts import get_object_or_404

from organizations.http import TenantRequest
from organizations.roles import role_required
from pathways.models import Cohort
from pathways.xapi.statements import XAPI_VERSION, Site, cohort_record, learner_record


def _download(statements: list[dict[str, object]], filename: str) -> HttpResponse:
    body = json.dumps({"statements": statements, "more": ""}, indent=2, cls=DjangoJSONEncoder)
    response = HttpResponse(body, content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Experience-API-Version"] = XAPI_VERSION
    return response


def _site(request: TenantRequest) -> Site:
    return Site(base=request.build_absolute_uri("/").rstrip("/"), org=request.org)


@role_required("learner")
def my_learning_record(request: TenantRequest, org_slug: str) -> HttpResponse:
    statements = learner_record(_site(request), request.membership)
    return _download(statements, f"{org_slug}-my-learning-record.xapi.json")


@role_required("admin")
def cohort_statements(request: TenantRequest, org_slug: str, cohort_id: int) -> HttpResponse:
    cohort = get_object_or_404(Cohort, pk=cohort_id)
    return _download(
        cohort_record(_site(request), cohort.pk), f"{org_slug}-cohort-{cohort.pk}.xapi.json"
    )
