from __future__ import annotations

import json
from typing import Any

from django.http import Http404, HttpResponse
from django.shortcuts import render
from plotly.utils import PlotlyJSONEncoder

from measurement import charts, queries
from measurement.pdf import impact_summary_pdf
from organizations.exports import requested_format, tabular_response
from organizations.http import TenantRequest
from organizations.roles import role_required


def _json(figure: dict[str, Any]) -> Any:
    return json.loads(json.dumps(figure, cls=PlotlyJSONEncoder))


def _cohort_param(request: TenantRequest) -> int | None:
    raw = request.GET.get("cohort", "")
    return int(raw) if raw.isdigit() else None


def _impact_for(request: TenantRequest, cohort_id: int) -> queries.CohortImpact:
    """The cohort's impact if the reader may see it (sponsor of it, or admin), else 404."""
    impact = queries.cohort_impact(request.membership, cohort_id).selected
    if impact is None or impact.id != cohort_id:
        raise Http404("No impact to show for this cohort.")
    return impact


@role_required("sponsor", "admin")
def sponsor_home(request: TenantRequest, org_slug: str) -> HttpResponse:
    """The sponsor's question first: did the programme they fund pay off, and how sure are we?"""
    page = queries.cohort_impact(request.membership, _cohort_param(request))
    impact = page.selected
    fmt = requested_format(request)
    if fmt and impact is not None:
        return tabular_response(fmt, f"roi-{impact.name}", *queries.roi_table(impact))
    report = queries.team_completion()
    context: dict[str, Any] = {
        "page": page,
        "impact": impact,
        "report": report,
        "figure": _json(charts.team_completion_figure(report)),
        "min_cell": queries.MIN_CELL_SIZE,
    }
    if impact is not None:
        context["metric_figures"] = [
            (m, _json(charts.metric_figure(m, queries.start_of(impact))), f"metric-{m.metric_id}")
            for m in impact.metrics
        ]
        context["behaviour_figure"] = _json(charts.behaviour_figure(impact.behaviour))
        context["roi_figure"] = _json(charts.roi_figure(impact))
    return render(request, "measurement/sponsor_home.html", context)


@role_required("sponsor", "admin")
def impact_claims(request: TenantRequest, org_slug: str, cohort_id: int) -> HttpResponse:
    """Evidence: the claims behind "participants' estimates", each counted or not, and why."""
    impact = _impact_for(request, cohort_id)
    fmt = requested_format(request)
    if fmt:
        return tabular_response(fmt, f"claims-{impact.name}", *queries.claims_table(impact))
    return render(request, "measurement/impact_claims.html", {"impact": impact})


@role_required("sponsor", "admin")
def impact_metric(
    request: TenantRequest, org_slug: str, cohort_id: int, metric_id: int
) -> HttpResponse:
    """Evidence: the group means per month behind a metric's estimate, and the team values."""
    impact = _impact_for(request, cohort_id)
    metric = next((m for m in impact.metrics if m.metric_id == metric_id), None)
    if metric is None:
        raise Http404("This metric is not in the cohort's plan.")
    fmt = requested_format(request)
    if fmt:
        return tabular_response(fmt, f"{metric.name}-{impact.name}", *queries.series_table(metric))
    values = queries.metric_values_page(cohort_id, metric_id, request.GET.get("page"))
    return render(
        request,
        "measurement/impact_metric.html",
        {"impact": impact, "metric": metric, "values": values},
    )


@role_required("sponsor", "admin")
def impact_pdf(request: TenantRequest, org_slug: str, cohort_id: int) -> HttpResponse:
    """A one-page summary to forward."""
    impact = _impact_for(request, cohort_id)
    response = HttpResponse(impact_summary_pdf(impact), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="impact-{impact.id}.pdf"'
    return response
