"""People, teams, invitations, CSV import and the audit log (HR admin), and the public page
that accepts an invitation."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.forms import SetPasswordForm
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from organizations.csrf_token import get_token
from organizations.exports import requested_format, tabular_response
from organizations.html_parts import url_with_id
from organizations.http import TenantRequest
from organizations.listed_fields import data_key
from organizations.models import ImportJob, Membership, Team
from organizations.outbox.delivery import is_stalled
from organizations.page_frame import csrf_input, page_response
from organizations.people import list_pages, queries, services, tables
from organizations.people.forms import (
    AuditFilterForm,
    ImportUploadForm,
    PeopleFilterForm,
    PersonForm,
    TeamFilterForm,
    TeamForm,
)
from organizations.people.invitations import InvitationInvalid, ValidInvitation, read_token
from organizations.roles import ROLE_LABELS, role_required


def _error(form: Any, exc: ValidationError) -> None:
    for message in exc.messages:
        form.add_error(None, message)


def _person_data(form: PersonForm) -> services.PersonData:
    d = form.cleaned_data
    return services.PersonData(
        email=d["email"],
        name=d["name"],
        job_title=d["job_title"],
        function=d["function"],
        team=d["team"],
        manager=d["manager_email"],
        roles=set(d["roles"]),
    )


def _base_url(request: TenantRequest) -> str:
    return request.build_absolute_uri("/")


# --- People ----------------------------------------------------------------------------------

# The filters each list page draws, in its order.
PEOPLE_FILTERS = ("q", "team", "role", "function", "status")
AUDIT_FILTERS = ("actor", "object_type", "action", "date_from", "date_to")


@role_required("admin")
def people_list(request: TenantRequest, org_slug: str) -> HttpResponse:
    overview = queries.people_overview(request.GET.get("team"))
    choices = overview.choices
    data = request.GET or None
    # An unbound form filters nothing and shows no errors: it is only drawn (and kept).
    form = None if data is None else PeopleFilterForm(data, choices=choices)
    valid = form is not None and form.is_valid()
    filters = (
        queries.PeopleFilters(**form.cleaned_data) if form and valid else queries.PeopleFilters()
    )
    fmt = requested_format(request)
    if fmt is not None:
        rows = queries.people_export_rows(filters)
        return tabular_response(fmt, f"{org_slug}-people", queries.PEOPLE_EXPORT_HEADERS, rows)
    listing = queries.people_list_page(filters, request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("format", None)
    filtered = form is not None and valid and any(form.cleaned_data.values())
    results = list_pages.people_results_html(
        org_slug=org_slug,
        people=listing.people,
        page=listing.page,
        total=listing.total,
        total_more=listing.more,
        filtered=filtered,
        query=query.urlencode(),
    )
    if request.htmx:
        return HttpResponse(results)
    not_invited = overview.not_invited
    match = request.resolver_match
    top, rest = list_pages.people_page_html(
        org_slug=org_slug,
        here=(match.url_name if match is not None else "") or "",
        filters=list_pages.filters_html(
            (
                "people",
                data_key(data, PEOPLE_FILTERS),
                tuple(choices.teams),
                tuple(choices.functions),
                choices.many_teams,
            ),
            lambda: form or PeopleFilterForm(None, choices=choices),
            PEOPLE_FILTERS,
        ),
        filtered=filtered,
        not_invited=min(not_invited, queries.NOT_INVITED_COUNTED),
        not_invited_more=not_invited > queries.NOT_INVITED_COUNTED,
        pending_joins=overview.pending_joins,
        pending_joins_shown=queries.PENDING_JOINS_SHOWN,
        results=results,
    )
    # The not-invited section's form and the page's headers carry the same token.
    token = get_token(request)
    content: str = top
    if rest:
        content = f"{top}{csrf_input(token)}{rest}"
    return page_response(request, list_pages.title("People"), content, csrf_token=token)


@role_required("admin")
def person_invite(request: TenantRequest, org_slug: str) -> HttpResponse:
    form = PersonForm(request.POST or None)
    if form.is_valid():
        try:
            invitation = services.do_invite_person(
                request.user, _person_data(form), _base_url(request)
            )
        except ValidationError as exc:
            _error(form, exc)
        else:
            messages.success(
                request, _("Invitation sent to %s. The link works for 7 days.") % invitation.email
            )
            if invitation.membership_id is None:
                # An existing account: they become a member when they accept.
                return redirect("people_list", org_slug=org_slug)
            return redirect(
                "person_detail", org_slug=org_slug, membership_id=invitation.membership_id
            )
    return render(request, "organizations/people/person_invite.html", {"form": form})


def _get_person(membership_id: int) -> Membership:
    return get_object_or_404(
        Membership.objects.select_related("user", "manager__user"), pk=membership_id
    )


@role_required("admin")
def person_detail(request: TenantRequest, org_slug: str, membership_id: int) -> HttpResponse:
    membership = _get_person(membership_id)
    form = PersonForm(request.POST or None, initial=PersonForm.initial_for(membership))
    if request.method == "POST" and form.is_valid():
        try:
            services.do_update_person(request.user, membership, _person_data(form))
        except ValidationError as exc:
            _error(form, exc)
        else:
            messages.success(request, _("Saved %s.") % form.cleaned_data["name"])
            return redirect("person_detail", org_slug=org_slug, membership_id=membership_id)
    detail = queries.person_detail(membership_id)
    return render(
        request, "organizations/people/person_detail.html", {"form": form, "detail": detail}
    )


def _person_action(
    request: TenantRequest, org_slug: str, membership_id: int, action: Any, done: str
) -> HttpResponse:
    membership = _get_person(membership_id)
    try:
        action(membership)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, done % {"email": membership.user.email})
    return redirect("person_detail", org_slug=org_slug, membership_id=membership_id)


@require_POST
@role_required("admin")
def person_resend(request: TenantRequest, org_slug: str, membership_id: int) -> HttpResponse:
    return _person_action(
        request,
        org_slug,
        membership_id,
        lambda m: services.do_resend_invitation(request.user, m, _base_url(request)),
        _("A new invitation was sent to %(email)s; earlier links no longer work."),
    )


@require_POST
@role_required("admin")
def person_deactivate(request: TenantRequest, org_slug: str, membership_id: int) -> HttpResponse:
    return _person_action(
        request,
        org_slug,
        membership_id,
        lambda m: services.do_deactivate_person(request.user, m),
        _("%(email)s is deactivated. Their history is kept; reactivate them at any time."),
    )


@require_POST
@role_required("admin")
def person_reactivate(request: TenantRequest, org_slug: str, membership_id: int) -> HttpResponse:
    return _person_action(
        request,
        org_slug,
        membership_id,
        lambda m: services.do_reactivate_person(request.user, m),
        _("%(email)s can sign in again."),
    )


@require_POST
@role_required("admin")
def people_invite_all(request: TenantRequest, org_slug: str) -> HttpResponse:
    invited = services.do_invite_everyone_not_invited(request.user, _base_url(request))
    if invited:
        messages.success(
            request,
            _("Sending %(n)s invitation(s). Each link works once and expires after 7 days.")
            % {"n": invited},
        )
    else:
        messages.info(request, _("Everyone has been invited already."))
    return redirect("people_list", org_slug=org_slug)


# --- Teams -----------------------------------------------------------------------------------


@role_required("admin")
def team_list(request: TenantRequest, org_slug: str) -> HttpResponse:
    fmt = requested_format(request)
    if fmt is not None:
        rows = queries.team_export_rows(queries.team_tree())
        return tabular_response(fmt, f"{org_slug}-teams", queries.TEAM_EXPORT_HEADERS, rows)
    form = TeamFilterForm(request.GET or None)
    q = form.cleaned_data["q"].strip() if form.is_valid() else ""
    parent = None
    parent_id = request.GET.get("parent")
    if parent_id and not q:
        if not parent_id.isdigit():
            raise Http404
        # Another organisation's team is not found: the team table is scoped to this one.
        parent = get_object_or_404(Team.objects.select_related("parent"), pk=int(parent_id))
    page, teams = queries.team_page(
        queries.TeamFilters(q=q, parent=parent), request.GET.get("page")
    )
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("format", None)
    # Each team's links from one reversal per route, its cells' words translated once.
    edit_url = url_with_id("team_edit", org_slug)
    people_url = reverse("people_list", args=[org_slug])
    context = {
        "form": form,
        "page": page,
        "teams": tables.team_table(teams, edit_url, people_url, search=bool(q)),
        "q": q,
        "parent": parent,
        "query": query.urlencode(),
    }
    template = "organizations/people/team_list.html"
    return render(request, f"{template}#results" if request.htmx else template, context)


def _save_team(request: TenantRequest, org_slug: str, team: Team | None) -> HttpResponse:
    form = TeamForm(
        request.POST or None,
        team=team,
        initial=(
            {
                "name": team.name,
                "parent": team.parent_id,
                "manager_email": team.manager.user.email if team.manager else "",
            }
            if team
            else None
        ),
    )
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            saved = services.do_save_team(
                request.user, team, name=d["name"], parent=d["parent"], manager=d["manager_email"]
            )
        except ValidationError as exc:
            _error(form, exc)
        else:
            messages.success(request, _("Saved the team “%s”.") % saved.name)
            return redirect("team_list", org_slug=org_slug)
    return render(request, "organizations/people/team_form.html", {"form": form, "team": team})


@role_required("admin")
def team_create(request: TenantRequest, org_slug: str) -> HttpResponse:
    return _save_team(request, org_slug, None)


@role_required("admin")
def team_edit(request: TenantRequest, org_slug: str, team_id: int) -> HttpResponse:
    return _save_team(
        request,
        org_slug,
        get_object_or_404(Team.objects.select_related("manager__user"), pk=team_id),
    )


@require_POST
@role_required("admin")
def team_delete(request: TenantRequest, org_slug: str, team_id: int) -> HttpResponse:
    team = get_object_or_404(Team, pk=team_id)
    try:
        services.do_delete_team(request.user, team)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("team_edit", org_slug=org_slug, team_id=team_id)
    messages.success(request, _("Deleted the team “%s”.") % team.name)
    return redirect("team_list", org_slug=org_slug)


# --- CSV import ------------------------------------------------------------------------------


@role_required("admin")
def import_upload(request: TenantRequest, org_slug: str) -> HttpResponse:
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        filename, content = form.cleaned_data["file"]
        job, _plan = services.do_preview_import(request.user, filename, content)
        return redirect("import_detail", org_slug=org_slug, job_id=job.pk)
    jobs = queries.recent_imports()
    fmt = requested_format(request)
    if fmt is not None and request.method != "POST":
        rows = queries.import_export_rows(jobs)
        return tabular_response(fmt, f"{org_slug}-imports", queries.IMPORT_EXPORT_HEADERS, rows)
    return render(request, "organizations/people/import_upload.html", {"form": form, "jobs": jobs})


@role_required("admin")
def import_detail(request: TenantRequest, org_slug: str, job_id: int) -> HttpResponse:
    job = get_object_or_404(ImportJob.objects.defer("content"), pk=job_id)
    fmt = requested_format(request)
    if fmt is not None and request.GET.get("table") == "changes":
        rows = queries.change_export_rows(job.summary)
        name = f"{job.filename} changes"
        return tabular_response(fmt, name, queries.CHANGE_EXPORT_HEADERS, rows)
    if fmt is not None:
        rows = queries.problem_export_rows(job.problems or [])
        name = f"{job.filename} problems"
        return tabular_response(fmt, name, queries.PROBLEM_EXPORT_HEADERS, rows)
    template = "organizations/people/import_detail.html"
    polling = bool(request.htmx and request.GET.get("progress"))
    response = render(
        request,
        f"{template}#progress" if polling else template,
        {"job": job, "summary": job.summary, "stalled": is_stalled(job)},
    )
    if polling and job.status not in {ImportJob.Status.QUEUED, ImportJob.Status.RUNNING}:
        response["HX-Refresh"] = "true"  # finished: show the whole result page
    return response


@require_POST
@role_required("admin")
def import_confirm(request: TenantRequest, org_slug: str, job_id: int) -> HttpResponse:
    job = get_object_or_404(ImportJob, pk=job_id)
    try:
        job = services.do_confirm_import(request.user, job)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        if job.status == ImportJob.Status.DONE:
            messages.success(
                request,
                _("Import applied: %(changes)s change(s).")
                % {"changes": job.summary.get("changes", 0)},
            )
        elif job.status == ImportJob.Status.QUEUED:
            messages.info(
                request,
                _("The import is running in the background. You can leave this page."),
            )
        elif job.status in {ImportJob.Status.REFUSED, ImportJob.Status.FAILED}:
            messages.error(request, _("Nothing was imported: see the problems below."))
    return redirect("import_detail", org_slug=org_slug, job_id=job_id)


# --- Audit log -------------------------------------------------------------------------------


@role_required("admin")
def audit_log(request: TenantRequest, org_slug: str) -> HttpResponse:
    choices = queries.audit_choices()
    data = request.GET or None
    # An unbound form filters nothing and shows no errors: it is only drawn (and kept).
    form = None if data is None else AuditFilterForm(data, choices=choices)
    if form is not None:
        form.is_valid()  # an invalid value is shown beside its field; the valid ones still apply
    filters = queries.AuditFilters(**getattr(form, "cleaned_data", {}))
    fmt = requested_format(request)
    if fmt is not None:
        rows = queries.audit_export_rows(filters)
        return tabular_response(fmt, f"{org_slug}-audit-log", queries.AUDIT_EXPORT_HEADERS, rows)
    page, lines = queries.audit_page(filters, request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("format", None)
    query_text = query.urlencode()
    results = list_pages.audit_results_html(
        page=page, rows=list_pages.audit_rows_html(lines), query=query_text
    )
    if request.htmx:
        return HttpResponse(results)
    filters_html = list_pages.filters_html(
        (
            "audit",
            data_key(data, AUDIT_FILTERS),
            tuple(choices.actors),
            tuple(choices.object_types),
            tuple(choices.actions),
        ),
        lambda: form or AuditFilterForm(None, choices=choices),
        AUDIT_FILTERS,
    )
    content = list_pages.audit_page_html(
        org_slug=org_slug, form=form, filters=filters_html, query=query_text, results=results
    )
    return page_response(request, list_pages.title("Audit log"), content)


# --- Public: accept an invitation ------------------------------------------------------------


def accept_invitation(request: HttpRequest, token: str) -> HttpResponse:
    try:
        valid = read_token(token)
    except InvitationInvalid as exc:
        return render(
            request,
            "organizations/people/invitation_invalid.html",
            {"reason": exc.reason, "message": exc.message},
            status=410 if exc.reason in {"expired", "used", "replaced"} else 404,
        )
    if valid.invitation.membership is None:
        return _accept_join(request, token, valid)
    user = valid.invitation.membership.user
    if user.has_usable_password():
        login_url = reverse("login") + "?next=" + reverse("org_home", args=[valid.org.slug])
        return render(
            request,
            "organizations/people/invitation_accept.html",
            {"org_name": valid.org.name, "existing": True, "login_url": login_url},
        )
    form = SetPasswordForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user, slug = services.do_accept_invitation(token, form.cleaned_data["new_password1"])
        except InvitationInvalid as exc:
            return render(
                request,
                "organizations/people/invitation_invalid.html",
                {"reason": exc.reason, "message": exc.message},
                status=410,
            )
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, _("Welcome to %s. Your password is set.") % valid.org.name)
        return redirect("org_home", org_slug=slug)
    return render(
        request,
        "organizations/people/invitation_accept.html",
        {"form": form, "org_name": valid.org.name, "person": user, "existing": False},
    )


def _accept_join(request: HttpRequest, token: str, valid: ValidInvitation) -> HttpResponse:
    """An existing account asked to join: the person signs in, sees the organisation and the
    roles offered, and accepts; only then does the membership exist."""
    if not request.user.is_authenticated:
        login_url = reverse("login") + "?" + urlencode({"next": request.get_full_path()})
        return render(
            request,
            "organizations/people/invitation_accept.html",
            {"org_name": valid.org.name, "existing": True, "login_url": login_url},
        )
    invitation = valid.invitation
    context = {
        "org_name": valid.org.name,
        "roles": [ROLE_LABELS[r] for r in invitation.terms.get("roles", []) if r in ROLE_LABELS],
        "job_title": invitation.terms.get("job_title", ""),
        "inviter": invitation.invited_by.display_name if invitation.invited_by else "",
        "invited_email": invitation.email,
        "right_account": invitation.user_id == request.user.pk,
    }
    if request.method == "POST" and context["right_account"]:
        try:
            services.do_accept_join(token, request.user)  # type: ignore[arg-type]
        except InvitationInvalid as exc:
            return render(
                request,
                "organizations/people/invitation_invalid.html",
                {"reason": exc.reason, "message": exc.message},
                status=410,
            )
        messages.success(request, _("You have joined %s.") % valid.org.name)
        return redirect("org_home", org_slug=valid.org.slug)
    return render(request, "organizations/people/invitation_join.html", context)
