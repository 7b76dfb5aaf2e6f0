from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from measurement import impact, impact_page, importer, queries, team_page
from measurement.forms import CostForm, MetricForm, MetricImportForm, MetricValueForm, PlanForm
from measurement.impact import ImpactError
from measurement.models import (
    CostLine,
    MeasurementPlan,
    Metric,
    MetricImport,
    PlanChange,
    PlanMetric,
    PlanTeam,
)
from measurement.pdf import impact_summary_pdf
from organizations.exports import requested_format, tabular_response
from organizations.http import TenantRequest
from organizations.outbox.delivery import is_stalled
from organizations.page_frame import page_response, plotly_script
from organizations.relative_dates import org_today
from organizations.roles import role_required
from organizations.words import words
from pathways.models import Cohort


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
    fmt = requested_format(request)
    if fmt:
        selected = queries.cohort_impact(request.membership, _cohort_param(request)).selected
        return _sponsor_download(fmt, request.GET.get("table", ""), selected)
    page, report = queries.impact_page_data(request.membership, _cohort_param(request))
    content = impact_page.page_html(page, report, org_slug)
    return page_response(request, words().literal("Impact"), content, head=plotly_script(request))


def _sponsor_download(fmt: str, table: str, impact: queries.CohortImpact | None) -> HttpResponse:
    """One table of the impact page as a download: ``table`` names it; the ROI table is the
    default. Tables of the selected cohort need one to be shown (else 404)."""
    if table == "progress":
        return tabular_response(
            fmt, "progress-by-team", *queries.team_completion_table(queries.team_completion())
        )
    if impact is None:
        raise Http404("No impact to show.")
    if table == "levels":
        return tabular_response(fmt, f"levels-{impact.name}", *queries.levels_table(impact))
    if table == "behaviour":
        return tabular_response(fmt, f"behaviour-{impact.name}", *queries.behaviour_table(impact))
    return tabular_response(fmt, f"roi-{impact.name}", *queries.roi_table(impact))


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
    if fmt and request.GET.get("table") == "values":
        table = queries.impact_values_table(cohort_id, metric_id)
        return tabular_response(fmt, f"{metric.name}-{impact.name}-values", *table)
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


# --- admin: impact set-up -----------------------------------------------------------------


def _field_error(form: forms.Form, error: ImpactError) -> None:
    form.add_error(error.field if error.field in form.fields else None, error.message)


@role_required("admin")
def impact_setup(request: TenantRequest, org_slug: str) -> HttpResponse:
    setup = queries.impact_setup()
    fmt = requested_format(request)
    if fmt and request.GET.get("table") == "cohorts":
        return tabular_response(
            fmt, f"{org_slug}-impact-cohorts", *queries.setup_cohorts_table(setup)
        )
    if fmt:
        return tabular_response(fmt, f"{org_slug}-metrics", *queries.setup_metrics_table(setup))
    return render(request, "measurement/setup.html", {"setup": setup})


@role_required("admin")
def metric_create(request: TenantRequest, org_slug: str) -> HttpResponse:
    form = MetricForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            metric = impact.do_define_metric(**form.cleaned_data)
        except ImpactError as error:
            _field_error(form, error)
        else:
            messages.success(request, _("Metric “%(name)s” defined.") % {"name": metric.name})
            return redirect("metric_values", org_slug, metric.pk)
    return render(request, "measurement/metric_form.html", {"form": form})


@role_required("admin")
def metric_values(request: TenantRequest, org_slug: str, metric_id: int) -> HttpResponse:
    metric = get_object_or_404(Metric, pk=metric_id)
    form = MetricValueForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            impact.do_enter_metric_value(
                metric, data["team"], data["period"], data["value"], request.membership
            )
        except ImpactError as error:
            _field_error(form, error)
        else:
            messages.success(request, _("Value saved; the impact figures refresh within minutes."))
            return redirect("metric_values", org_slug, metric.pk)
    fmt = requested_format(request)
    if fmt and request.method != "POST":
        return tabular_response(fmt, f"{metric.name} values", *queries.metric_values_table(metric))
    values = queries.metric_values_list(metric.pk, request.GET.get("page"))
    return render(
        request,
        "measurement/metric_values.html",
        {"metric": metric, "form": form, "values": values},
    )


@role_required("admin")
def metric_import(request: TenantRequest, org_slug: str) -> HttpResponse:
    form = MetricImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        job = importer.do_start_import(upload.name, upload.read(), request.membership)
        return redirect("metric_import_detail", org_slug, job.pk)
    recent = MetricImport.objects.defer("rows").order_by("-created_at")[:10]
    return render(request, "measurement/metric_import.html", {"form": form, "recent": recent})


@role_required("admin")
def metric_import_detail(request: TenantRequest, org_slug: str, import_id: int) -> HttpResponse:
    job = get_object_or_404(MetricImport.objects.defer("rows"), pk=import_id)
    fmt = requested_format(request)
    if fmt:
        headers = [_("Row"), _("Column"), _("Problem")]
        rows = [(p.get("row"), p.get("column", ""), p.get("message", "")) for p in job.problems]
        return tabular_response(fmt, f"{job.filename} problems", headers, rows)
    polling = bool(request.htmx and request.GET.get("progress"))
    template = "measurement/metric_import_detail.html"
    context = {"job": job, "stalled": is_stalled(job)}
    response = render(request, f"{template}#progress" if polling else template, context)
    if polling and job.status not in {MetricImport.Status.QUEUED, MetricImport.Status.RUNNING}:
        response["HX-Refresh"] = "true"
    return response


@role_required("admin")
def plan_edit(request: TenantRequest, org_slug: str, cohort_id: int) -> HttpResponse:
    cohort = get_object_or_404(Cohort, pk=cohort_id)
    plan = MeasurementPlan.objects.filter(cohort=cohort).first()
    metrics = list(Metric.objects.order_by("name"))
    form = PlanForm(request.POST or None, metrics=metrics, initial=_plan_initial(plan, cohort))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            impact.do_save_plan(
                cohort,
                impact.PlanInput(
                    evaluation_start=data["evaluation_start"],
                    evaluation_end=data["evaluation_end"],
                    baseline_on=data["baseline_on"],
                    follow_up_on=data["follow_up_on"],
                    comparison=data["comparison"],
                    comparison_team_ids=tuple(t.pk for t in data["comparison_teams"]),
                    comparison_function=data["comparison_function"],
                    comparison_people_ids=tuple(m.pk for m in data["comparison_people"]),
                    profit_margin_pct=data["profit_margin_pct"],
                    currency=data["currency"].upper(),
                    intangibles=data["intangibles"],
                    metrics=form.chosen_metrics(),
                ),
                request.membership,
            )
        except ImpactError as error:
            _field_error(form, error)
        else:
            messages.success(request, _("Measurement plan saved."))
            return redirect("impact_setup", org_slug)
    changes = list(PlanChange.objects.filter(plan=plan)[:10]) if plan else []
    return render(
        request,
        "measurement/plan_form.html",
        {"form": form, "cohort": cohort, "plan": plan, "changes": changes},
    )


def _plan_initial(plan: MeasurementPlan | None, cohort: Cohort) -> dict[str, Any]:
    if plan is None:
        return {"evaluation_start": cohort.start_date, "comparison": "none"}
    initial: dict[str, Any] = {
        name: getattr(plan, name)
        for name in (
            "baseline_on",
            "follow_up_on",
            "evaluation_start",
            "evaluation_end",
            "comparison",
            "profit_margin_pct",
            "currency",
            "intangibles",
        )
    }
    initial["comparison_teams"] = [
        t.team_id for t in PlanTeam.objects.filter(plan=plan, group="comparison")
    ]
    for pm in PlanMetric.objects.filter(plan=plan):
        initial[f"metric_{pm.metric_id}"] = True
        initial[f"metric_{pm.metric_id}_population"] = pm.population
        initial[f"metric_{pm.metric_id}_unit_value"] = pm.unit_value
    return initial


@role_required("admin")
def cohort_costs(request: TenantRequest, org_slug: str, cohort_id: int) -> HttpResponse:
    cohort = get_object_or_404(Cohort, pk=cohort_id)
    form = CostForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            impact.do_add_cost(cohort, impact.CostInput(**form.cleaned_data), by=request.membership)
        except ImpactError as error:
            _field_error(form, error)
        else:
            messages.success(request, _("Cost line added."))
            return redirect("cohort_costs", org_slug, cohort.pk)
    fmt = requested_format(request)
    if fmt and request.method != "POST":
        return tabular_response(fmt, f"{cohort.name} costs", *queries.cost_lines_table(cohort))
    lines = list(CostLine.objects.filter(cohort=cohort))
    total = sum((line.allocated for line in lines), Decimal(0))
    return render(
        request,
        "measurement/costs.html",
        {"cohort": cohort, "form": form, "lines": lines, "total": total},
    )


@require_POST
@role_required("admin")
def cost_delete(
    request: TenantRequest, org_slug: str, cohort_id: int, line_id: int
) -> HttpResponse:
    line = get_object_or_404(CostLine, pk=line_id, cohort_id=cohort_id)
    impact.do_delete_cost(line, by=request.membership)
    messages.success(request, _("Cost line removed."))
    return redirect("cohort_costs", org_slug, cohort_id)


def team_dashboard(request: TenantRequest, org_slug: str) -> HttpResponse:
    """A team manager's view: their teams' metrics and the programme's participation, from the
    team roll-up, aggregates only. A member who manages no team gets 404; ``?team=<id>&format=``
    downloads one of their teams' figures."""
    teams = queries.managed_teams(request.membership, org_today())
    if not teams:
        raise Http404("You manage no team.")
    fmt = requested_format(request)
    if fmt:
        team = next((t for t in teams if str(t.id) == request.GET.get("team") and t.shown), None)
        if team is None:
            raise Http404("No figures to download for this team.")
        return tabular_response(fmt, f"team-{team.name}", *queries.team_table(team))
    content = team_page.content_html(teams, queries.MIN_CELL_SIZE)
    return page_response(request, words().literal("My teams"), content, head=plotly_script(request))
