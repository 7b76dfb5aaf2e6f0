"""HTML views for learners and admins (thin: resolve, validate, call a service, render)."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render

from measurement import home_rows
from measurement import queries as measurement_queries
from measurement.queries import data_quality, data_quality_table, weakest_modules_table
from organizations.csrf_token import get_token
from organizations.exports import requested_format, tabular_response
from organizations.http import TenantRequest
from organizations.page_frame import page_response
from organizations.roles import role_required
from organizations.words import words
from pathways.learning import home_page
from pathways.learning import queries as learning_queries


@role_required("learner")
def learner_home(request: TenantRequest, org_slug: str) -> HttpResponse:
    home = learning_queries.learner_home(request.membership, org_slug)
    # The recommendations' forms and the page's headers carry the same token.
    token = get_token(request) if home.recommendations else None
    content = home_page.content_html(home, org_slug, request.user.display_name, token or "")
    return page_response(request, words().literal("Your next step"), content, csrf_token=token)


@role_required("admin")
def admin_home(request: TenantRequest, org_slug: str) -> HttpResponse:
    fmt = requested_format(request)
    if fmt:  # the data-quality tables; programme health downloads from the cohort list
        quality = data_quality()
        if request.GET.get("table") == "modules":
            return tabular_response(
                fmt, f"{org_slug}-weakest-modules", *weakest_modules_table(quality)
            )
        return tabular_response(fmt, f"{org_slug}-data-quality", *data_quality_table(quality))
    home = measurement_queries.admin_home()
    context = {
        "cohorts": home.health.cohorts,
        "health": home.health,
        "health_rows": home_rows.health_rows(home.health.cohorts, org_slug),
        "quality": home.quality,
        "quality_rows": home_rows.quality_rows(home.quality, org_slug),
        "module_rows": home_rows.module_rows(home.quality),
    }
    return render(request, "pathways/admin_home.html", context)
