"""Project pages: templates (admin); the charter, the project page and its actions (learners,
sponsor, coach, admin); lists per role and per cohort; the stakeholder's rating page."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from coaching import queries as coaching_queries
from organizations.exports import requested_format, tabular_response
from organizations.http import TenantRequest
from organizations.page_frame import page_response
from organizations.roles import active_role, role_required
from organizations.tenancy import tenant_context
from projects import forms, list_page, queries, rating_links, services
from projects.models import (
    BenefitClaim,
    Milestone,
    MilestoneTemplate,
    Project,
    ProjectLearner,
    ProjectTemplate,
    ProjectTemplateCompetency,
    RatingRequest,
)

PREFIX = "milestones"


@role_required("admin")
def project_template_list(request: TenantRequest, org_slug: str) -> HttpResponse:
    rows = queries.project_template_list()
    fmt = requested_format(request)
    if fmt:
        export = queries.template_export_rows(rows)
        return tabular_response(
            fmt, f"{org_slug}-project-templates", queries.TEMPLATE_EXPORT_HEADERS, export
        )
    return render(request, "projects/template_list.html", {"rows": rows})


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


# --- Running projects ------------------------------------------------------------------------


def _add_errors(form: Any, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for name, errors in exc.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def _project(request: TenantRequest, project_id: int) -> Project:
    try:
        return queries.get_project_for(request.membership, project_id)
    except Project.DoesNotExist as exc:
        raise Http404(_("No such project.")) from exc


def _detail(
    request: TenantRequest, project_id: int, status: int = 200, **forms_: Any
) -> HttpResponse:
    try:
        page = queries.project_page(request.membership, project_id)
    except Project.DoesNotExist as exc:
        raise Http404(_("No such project.")) from exc
    context: dict[str, Any] = {
        "page": page,
        "review_form": forms_.get("review_form") or forms.ReviewForm(),
        "update_form": forms_.get("update_form") or forms.UpdateForm(),
        "done_form": forms_.get("done_form") or forms.MilestoneDoneForm(),
        "move_form": forms_.get("move_form") or forms.MilestoneMoveForm(),
        "signoff_form": forms_.get("signoff_form") or forms.SignOffForm(),
        "claim_form": forms_.get("claim_form") or forms.ClaimDecisionForm(),
        "form_milestone": forms_.get("milestone_id"),
        "form_claim": forms_.get("claim_id"),
        "action_error": forms_.get("error", ""),
        "coaching_sessions": coaching_queries.project_sessions(request.membership, page.id),
    }
    return render(request, "projects/project_detail.html", context, status=status)


@login_required
def project_detail(request: TenantRequest, org_slug: str, project_id: int) -> HttpResponse:
    return _detail(request, project_id)


def _charter_response(
    request: TenantRequest,
    *,
    template: ProjectTemplate | None,
    project: Project | None,
    initial: dict[str, Any],
    milestones: list[dict[str, Any]],
    save: Any,
    step_title: str = "",
) -> HttpResponse:
    scope = template.scope if template else ""
    if request.method == "POST":
        form = forms.CharterForm(request.POST, template_scope=scope)
        formset = forms.PlannedMilestoneFormSet(request.POST, prefix=PREFIX)
        if form.is_valid() and formset.is_valid():
            try:
                saved = save(forms.charter_input(form, formset))
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                messages.success(
                    request,
                    _("Charter saved. Submit it to your sponsor when it is ready.")
                    if saved.sponsor_id
                    else _("Charter saved. Submit it to start the project."),
                )
                return redirect("project_detail", org_slug=request.org.slug, project_id=saved.pk)
    else:
        form = forms.CharterForm(initial=initial, template_scope=scope)
        formset = forms.PlannedMilestoneFormSet(initial=milestones, prefix=PREFIX)
    status = 400 if request.method == "POST" else 200
    context = {
        "form": form,
        "formset": formset,
        "template": template,
        "project": project,
        "step_title": step_title,
    }
    return render(request, "projects/charter_form.html", context, status=status)


@role_required("learner")
def project_for_step(
    request: TenantRequest, org_slug: str, enrollment_id: int, step_id: int
) -> HttpResponse:
    """A project step: the learner's project, or the charter form that starts it."""
    from pathways.models import Step

    try:
        _cohort_id, step = services.check_project_step(request.membership, enrollment_id, step_id)
    except ObjectDoesNotExist as exc:
        raise Http404(_("No such project step in your pathways.")) from exc
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("org_home", org_slug=org_slug)
    assert isinstance(step, Step)
    existing = queries.project_for_step(request.membership, step.key)
    if existing is not None:
        return redirect("project_detail", org_slug=org_slug, project_id=existing)
    template = step.project_template
    start = timezone.localdate()
    planned = services.planned_milestones(template, start)
    end = max((m.due_on for m in planned), default=start + dt.timedelta(weeks=12))
    initial = {
        "title": template.title if template else step.display_title,
        "problem": "",
        "scope": template.scope if template else ProjectTemplate.Scope.TEAM,
        "expected_outcomes": template.expected_outcomes if template else "",
        "start_date": start,
        "end_date": end,
    }
    return _charter_response(
        request,
        template=template,
        project=None,
        initial=initial,
        milestones=[{"title": m.title, "due_on": m.due_on} for m in planned],
        save=lambda data: services.do_start_project(
            request.membership, enrollment_id, step_id, data
        ),
        step_title=step.display_title,
    )


@role_required("learner")
def project_edit(request: TenantRequest, org_slug: str, project_id: int) -> HttpResponse:
    project = _project(request, project_id)
    try:
        services.check_charter_editable(request.membership, project)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("project_detail", org_slug=org_slug, project_id=project.pk)
    page = queries.project_page(request.membership, project.pk)
    co = list(
        ProjectLearner.objects.filter(project=project)
        .exclude(learner_id=project.owner_id)
        .values_list("learner__user__email", flat=True)
    )
    initial = {
        "title": project.title,
        "problem": project.problem,
        "scope": project.scope,
        "scope_reason": project.scope_reason,
        "expected_outcomes": project.expected_outcomes,
        "start_date": project.start_date,
        "end_date": project.end_date,
        "sponsor_email": project.sponsor.user.email if project.sponsor else "",
        "co_learners": ", ".join(co),
        "functions": ", ".join(project.functions),
        "stakeholders": "\n".join(f"{name} <{email}>" for name, email in page.stakeholders),
    }
    return _charter_response(
        request,
        template=project.template,
        project=project,
        initial=initial,
        milestones=[{"title": m.title, "due_on": m.due_on} for m in page.milestones],
        save=lambda data: services.do_update_charter(request.membership, project, data),
    )


def _act(
    request: TenantRequest, project_id: int, action: Any, success: str, **render_args: Any
) -> HttpResponse:
    """Run one service call for a POST on the project page: success -> message and back to the
    page; refused -> the page again with the message next to the form (nothing written)."""
    project = _project(request, project_id)
    try:
        action(project)
    except ValidationError as exc:
        form = render_args.get("form")
        if form is not None:
            _add_errors(form, exc)
            key = render_args.pop("form_key")
            render_args.pop("form")
            return _detail(request, project_id, status=400, **{key: form}, **render_args)
        return _detail(request, project_id, status=400, error=" ".join(exc.messages))
    messages.success(request, success)
    return redirect("project_detail", org_slug=request.org.slug, project_id=project_id)


def _invalid(
    request: TenantRequest, project_id: int, key: str, form: Any, **extra: Any
) -> HttpResponse:
    _project(request, project_id)  # 404 before showing errors about someone else's project
    return _detail(request, project_id, status=400, **{key: form}, **extra)


@require_POST
@login_required
def project_submit(request: TenantRequest, org_slug: str, project_id: int) -> HttpResponse:
    return _act(
        request,
        project_id,
        lambda p: services.do_submit_charter(request.membership, p),
        _("Charter submitted."),
    )


@require_POST
@login_required
def project_review(request: TenantRequest, org_slug: str, project_id: int) -> HttpResponse:
    form = forms.ReviewForm(request.POST)
    if not form.is_valid():
        return _invalid(request, project_id, "review_form", form)
    approve = form.cleaned_data["decision"] == "approve"
    return _act(
        request,
        project_id,
        lambda p: services.do_review_charter(
            request.membership, p, approve=approve, comment=form.cleaned_data["comment"]
        ),
        _("Charter approved: the project is running.")
        if approve
        else _("Charter sent back with your comment."),
        form=form,
        form_key="review_form",
    )


@require_POST
@login_required
def project_update(request: TenantRequest, org_slug: str, project_id: int) -> HttpResponse:
    form = forms.UpdateForm(request.POST)
    if not form.is_valid():
        return _invalid(request, project_id, "update_form", form)
    return _act(
        request,
        project_id,
        lambda p: services.do_post_update(request.membership, p, **form.cleaned_data),
        _("Status update posted."),
        form=form,
        form_key="update_form",
    )


def _milestone(project: Project, milestone_id: int) -> Milestone:
    milestone = Milestone.objects.filter(project=project, pk=milestone_id).first()
    if milestone is None:
        raise Http404(_("No such milestone."))
    return milestone


@require_POST
@login_required
def milestone_done(
    request: TenantRequest, org_slug: str, project_id: int, milestone_id: int
) -> HttpResponse:
    milestone = _milestone(_project(request, project_id), milestone_id)
    form = forms.MilestoneDoneForm(request.POST)
    if not form.is_valid():
        return _invalid(request, project_id, "done_form", form, milestone_id=milestone_id)
    return _act(
        request,
        project_id,
        lambda p: services.do_complete_milestone(
            request.membership, milestone, **form.cleaned_data
        ),
        _("Milestone “%(title)s” marked done.") % {"title": milestone.title},
        form=form,
        form_key="done_form",
        milestone_id=milestone_id,
    )


@require_POST
@login_required
def milestone_move(
    request: TenantRequest, org_slug: str, project_id: int, milestone_id: int
) -> HttpResponse:
    milestone = _milestone(_project(request, project_id), milestone_id)
    form = forms.MilestoneMoveForm(request.POST)
    if not form.is_valid():
        return _invalid(request, project_id, "move_form", form, milestone_id=milestone_id)
    return _act(
        request,
        project_id,
        lambda p: services.do_move_milestone(request.membership, milestone, **form.cleaned_data),
        _("Milestone moved; the approved date is kept for judging on time."),
        form=form,
        form_key="move_form",
        milestone_id=milestone_id,
    )


@require_POST
@login_required
def milestone_ratings(
    request: TenantRequest, org_slug: str, project_id: int, milestone_id: int
) -> HttpResponse:
    milestone = _milestone(_project(request, project_id), milestone_id)
    return _act(
        request,
        project_id,
        lambda p: services.do_request_milestone_ratings(request.membership, milestone),
        _("Stakeholders were asked for their rating by e-mail."),
    )


@login_required
def project_close(request: TenantRequest, org_slug: str, project_id: int) -> HttpResponse:
    """The closing report: achieved against each expected outcome, and benefit claims."""
    project = _project(request, project_id)
    if request.method == "POST":
        form = forms.CloseForm(request.POST, outcomes=project.outcome_lines)
        formset = forms.ClaimFormSet(request.POST, prefix="claims")
        if form.is_valid() and formset.is_valid():
            try:
                services.do_close_project(
                    request.membership,
                    project,
                    achieved=form.achieved(),
                    claims=forms.claims_from(formset),
                )
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                messages.success(
                    request,
                    _("Closing report sent to your sponsor for sign-off.")
                    if project.sponsor_id
                    else _("Project closed. Your pathway step is done."),
                )
                return redirect("project_detail", org_slug=org_slug, project_id=project.pk)
    else:
        try:
            services.check_is_learner_on(request.membership, project)
            services.check_running(project)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect("project_detail", org_slug=org_slug, project_id=project.pk)
        form = forms.CloseForm(outcomes=project.outcome_lines)
        formset = forms.ClaimFormSet(prefix="claims")
    return render(
        request,
        "projects/close_form.html",
        {"project": project, "form": form, "formset": formset},
        status=400 if request.method == "POST" else 200,
    )


@require_POST
@login_required
def claim_decide(
    request: TenantRequest, org_slug: str, project_id: int, claim_id: int
) -> HttpResponse:
    project = _project(request, project_id)
    claim = BenefitClaim.objects.filter(project=project, pk=claim_id).first()
    if claim is None:
        raise Http404(_("No such claim."))
    form = forms.ClaimDecisionForm(request.POST)
    if not form.is_valid():
        return _invalid(request, project_id, "claim_form", form, claim_id=claim_id)
    return _act(
        request,
        project_id,
        lambda p: services.do_decide_claim(request.membership, claim, **form.cleaned_data),
        _("Claim “%(measure)s”: %(decision)s.")
        % {
            "measure": claim.measure,
            "decision": BenefitClaim.Status(form.cleaned_data["decision"]).label,
        },
        form=form,
        form_key="claim_form",
        claim_id=claim_id,
    )


@require_POST
@login_required
def project_signoff(request: TenantRequest, org_slug: str, project_id: int) -> HttpResponse:
    form = forms.SignOffForm(request.POST)
    if not form.is_valid():
        return _invalid(request, project_id, "signoff_form", form)
    data = form.cleaned_data
    if data["decision"] == "sign_off":
        return _act(
            request,
            project_id,
            lambda p: services.do_sign_off(
                request.membership, p, rating=data.get("rating"), assessment=data["assessment"]
            ),
            _("Project signed off. The learners' pathway step is done."),
            form=form,
            form_key="signoff_form",
        )
    return _act(
        request,
        project_id,
        lambda p: services.do_ask_for_more(request.membership, p, comment=data["assessment"]),
        _("The project is running again with your request."),
        form=form,
        form_key="signoff_form",
    )


@login_required
def project_list(request: TenantRequest, org_slug: str) -> HttpResponse:
    """The projects of the role the member is acting in: own (learner), sponsored (sponsor),
    coachees' (coach), everyone's (admin)."""
    role = active_role(request) or ""
    form = forms.ProjectFilterForm(request.GET or None)
    filters = queries.ProjectFilters()
    if form.is_valid():
        filters = queries.ProjectFilters(
            status=form.cleaned_data["status"],
            late_only=form.cleaned_data["late"],
            search=form.cleaned_data["q"],
        )
    listing = queries.project_list(request.membership, role, filters, request.GET.get("page", 1))
    query = request.GET.copy()
    query.pop("page", None)
    return _list_page(
        request,
        org_slug,
        role,
        None,
        listing,
        list_page.table_rows(listing.rows, org_slug, in_cohort=False),
        form,
        query.urlencode(),
        # The admin works per cohort (filters and downloads there).
        queries.cohort_choices() if role == "admin" else [],
    )


def _list_page(
    request: TenantRequest,
    org_slug: str,
    role: str,
    cohort_name: str | None,
    listing: queries.ProjectListPage,
    rows: list[dict[str, Any]],
    form: forms.ProjectFilterForm,
    query: str,
    cohorts: list[tuple[int, str, int]],
) -> HttpResponse:
    """A list of projects as a whole page, written in Python (``projects.list_page``)."""
    content = list_page.content_html(
        org_slug=org_slug,
        role=role,
        cohort_name=cohort_name,
        listing=listing,
        rows=rows,
        filters=list_page.filters_html(request.GET or None, lambda: form),
        query=query,
        cohorts=cohorts,
    )
    return page_response(request, list_page.title_html(role, cohort_name), content)


@role_required("admin")
def cohort_projects(request: TenantRequest, org_slug: str, cohort_id: int) -> HttpResponse:
    """Admin: every project of a cohort, filterable, with CSV and XLSX of the same rows."""
    from pathways.models import Cohort

    cohort = get_object_or_404(Cohort, pk=cohort_id)
    form = forms.ProjectFilterForm(request.GET or None)
    filters = queries.ProjectFilters(cohort_id=cohort.pk)
    if form.is_valid():
        filters = queries.ProjectFilters(
            cohort_id=cohort.pk,
            status=form.cleaned_data["status"],
            late_only=form.cleaned_data["late"],
            search=form.cleaned_data["q"],
        )
    fmt = requested_format(request)
    if fmt:
        rows = queries.cohort_project_rows(filters)
        return tabular_response(
            fmt, f"{cohort.name} projects", queries.EXPORT_HEADERS, queries.export_rows(rows)
        )
    listing = queries.project_list(request.membership, "admin", filters, request.GET.get("page", 1))
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("format", None)
    return _list_page(
        request,
        org_slug,
        "admin",
        cohort.name,
        listing,
        list_page.table_rows(listing.rows, org_slug, in_cohort=True),
        form,
        query.urlencode(),
        [],
    )


def project_rating(request: HttpRequest, token: str) -> HttpResponse:
    """The stakeholder's rating page (no account): the signed link names the organisation and
    the request; a used, expired, forged or vanished link shows a clear page, never a 500."""
    try:
        link = rating_links.read_token(token)
    except services.RatingUnavailable as exc:
        return _rating_unavailable(request, exc)
    with tenant_context(link.org):
        request_row = (
            RatingRequest.objects.select_related("project__owner__user", "milestone", "stakeholder")
            .filter(pk=link.request_id)
            .first()
        )
        if request_row is None:
            return _rating_unavailable(
                request,
                services.RatingUnavailable("gone", _("This rating request no longer exists.")),
            )
        if request_row.answered_at is not None:
            return _rating_unavailable(
                request,
                services.RatingUnavailable(
                    "used", _("This link was already used: your rating is recorded. Thank you.")
                ),
            )
        form = forms.RatingForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                services.do_submit_rating(request_row.pk, **form.cleaned_data)
            except services.RatingUnavailable as exc:
                return _rating_unavailable(request, exc)
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                return render(
                    request,
                    "projects/rating_thanks.html",
                    {"org_name": link.org.name, "project": request_row.project},
                )
        context = {
            "form": form,
            "rating_request": request_row,
            "project": request_row.project,
            "learner": request_row.project.owner.user.display_name,
            "org_name": link.org.name,
        }
        status = 400 if request.method == "POST" else 200
        return render(request, "projects/rating_form.html", context, status=status)


def _rating_unavailable(request: HttpRequest, exc: services.RatingUnavailable) -> HttpResponse:
    status = 410 if exc.reason in {"expired", "used"} else 404
    return render(
        request,
        "projects/rating_unavailable.html",
        {"reason": exc.reason, "message": exc.message},
        status=status,
    )
