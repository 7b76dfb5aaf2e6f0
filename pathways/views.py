"""HTML views for learners and admins (thin: resolve, validate, call a service, render)."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render

from measurement.queries import data_quality, programme_health
from organizations.http import TenantRequest
from organizations.roles import role_required
from pathways.learning import queries as learning_queries


@role_required("learner")
def learner_home(request: TenantRequest, org_slug: str) -> HttpResponse:
    home = learning_queries.learner_home(request.membership, org_slug)
    return render(request, "pathways/learner_home.html", {"home": home})


@role_required("admin")
def admin_home(request: TenantRequest, org_slug: str) -> HttpResponse:
    health = programme_health()
    return render(
        request,
        "pathways/admin_home.html",
        {"cohorts": health.cohorts, "health": health, "quality": data_quality()},
    )
