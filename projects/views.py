"""Project template pages (admin): list, create, edit, delete."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from organizations.http import TenantRequest
from organizations.roles import role_required
from projects import forms, queries, services
from projects.models import MilestoneTemplate, ProjectTemplate, ProjectTemplateCompetency

PREFIX = "milestones"


@role_required("admin")
def project_template_list(request: TenantRequest, org_slug: str) -> HttpResponse:
    return render(request, "projects/template_list.html", {"rows": queries.project_template_list()})


def _initial(template: ProjectTemplate) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    data = {
        "title": template.title,
        "brief": template.brief,
        "expected_outcomes": template.expected_outcomes,
        "scope": template.scope,
        "sponsor_required": template.sponsor_required,
        "competencies": list(
            ProjectTemplateCompetency.objects.filter(template=template).values_list(
                "competency_id", flat=True
            )
        ),
    }
    rows = [
        {"title": m.title, "offset_weeks": m.offset_weeks}
        for m in MilestoneTemplate.objects.filter(template=template)
    ]
    return data, rows


def _edit(request: TenantRequest, template: ProjectTemplate | None) -> HttpResponse:
    if request.method == "POST" and "add_row" in request.POST:
        # Another milestone row: redisplay what was typed, unvalidated, plus an empty row.
        initial: dict[str, Any] = {
            k: request.POST.get(k, "") for k in forms.ProjectTemplateForm.base_fields
        }
        initial["competencies"] = request.POST.getlist("competencies")
        initial["sponsor_required"] = bool(request.POST.get("sponsor_required"))
        form = forms.ProjectTemplateForm(initial=initial)
        rows = forms.with_extra_row(request.POST, PREFIX)["rows"]
        formset = forms.MilestoneFormSet(initial=rows, prefix=PREFIX)
        if len(formset.forms) > len(rows):
            # The page reloads: put the keyboard in the row just added, not at the top.
            formset.forms[len(rows)].fields["title"].widget.attrs["autofocus"] = True
    elif request.method == "POST":
        form = forms.ProjectTemplateForm(request.POST)
        formset = forms.MilestoneFormSet(request.POST, prefix=PREFIX)
        if form.is_valid() and formset.is_valid():
            try:
                saved = services.do_save_project_template(
                    request.user,
                    template,
                    **form.cleaned_data,
                    milestones=forms.milestones_from(formset),
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(
                    request, _("Project template “%(title)s” saved.") % {"title": saved.title}
                )
                return redirect("project_template_list", org_slug=request.org.slug)
    else:
        data, rows = _initial(template) if template else ({}, [])
        form = forms.ProjectTemplateForm(initial=data)
        formset = forms.MilestoneFormSet(initial=rows, prefix=PREFIX)
    return render(
        request,
        "projects/template_form.html",
        {"form": form, "formset": formset, "template": template},
    )


@role_required("admin")
def project_template_create(request: TenantRequest, org_slug: str) -> HttpResponse:
    return _edit(request, None)


@role_required("admin")
def project_template_edit(request: TenantRequest, org_slug: str, template_id: int) -> HttpResponse:
    return _edit(request, get_object_or_404(ProjectTemplate, pk=template_id))


@require_POST
@role_required("admin")
def project_template_delete(
    request: TenantRequest, org_slug: str, template_id: int
) -> HttpResponse:
    template = get_object_or_404(ProjectTemplate, pk=template_id)
    try:
        services.do_delete_project_template(request.user, template)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("project_template_edit", org_slug=org_slug, template_id=template.pk)
    messages.success(request, _("Project template “%(title)s” deleted.") % {"title": template})
    return redirect("project_template_list", org_slug=org_slug)
