"""360 feedback pages: thin doors onto services and queries."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import formats, timezone
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString
from django.views.decorators.http import require_POST

from measurement.feedback import charts, queries, services
from measurement.feedback.forms import AddRaterForm, LaunchCycleForm, NominationForm
from measurement.feedback.models import Cycle, Participant, RaterRequest, Relationship, Report
from measurement.feedback.reporting import rci_critical
from organizations.exports import requested_format, tabular_response
from organizations.html_parts import url_with_id, value_html
from organizations.http import TenantRequest
from organizations.models import Organization
from organizations.roles import role_required
from organizations.tenancy import tenant_context

# --- admin ------------------------------------------------------------------------------------


@role_required("admin")
def cycle_list(request: TenantRequest, org_slug: str) -> HttpResponse:
    fmt = requested_format(request)
    if fmt is not None:
        rows = queries.cycle_export_rows(queries.cycle_list())
        return tabular_response(fmt, f"{org_slug}-360-cycles", queries.CYCLE_EXPORT_HEADERS, rows)
    page, cycles = queries.cycle_page(request.GET.get("page"))
    context = {"cycles": cycles, "rows": _cycle_rows(cycles, org_slug), "page": page}
    return render(request, "feedback/cycle_list.html", context)


def _cycle_rows(cycles: list[queries.CycleRow], org_slug: str) -> SafeString:
    """The cycles' table rows as the list's template loop wrote them (the link joined to one
    reversed URL)."""
    cycle_url = url_with_id("feedback_cycle", org_slug)
    return SafeString(
        "".join(
            "<tr>\n"
            f'    <th scope="row"><a href="{cycle_url(c.id)}">{conditional_escape(c.title)}</a>'
            f'<br><span class="muted">{conditional_escape(c.kind_label)} · '
            f"{conditional_escape(c.cohort)}</span></th>\n"
            f'    <td><span class="badge badge--{"done" if c.status == "closed" else "info"}">'
            f"{conditional_escape(c.status_label)}</span></td>\n"
            f'    <td class="num">{value_html(c.learners)}</td>\n'
            f'    <td class="num">{value_html(c.responded)} / {value_html(c.invited)}</td>\n'
            "    <td>"
            + (
                conditional_escape(formats.date_format(c.responses_close_on, "j M Y"))
                if c.responses_close_on
                else ""
            )
            + "</td>\n  </tr>"
            for c in cycles
        )
    )


@role_required("admin")
def launch_cycle(request: TenantRequest, org_slug: str) -> HttpResponse:
    form = LaunchCycleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        spec = services.CycleSpec(
            title=data["title"],
            kind=data["kind"],
            cohort_id=data["cohort"].pk,
            nominations_close_on=data["nominations_close_on"],
            responses_close_on=data["responses_close_on"],
            competency_ids=[c.pk for c in data["competencies"]],
            baseline_id=data["baseline"].pk if data["baseline"] else None,
            question_1=data["question_1"],
            question_2=data["question_2"],
            min_per_group=data["min_per_group"],
            recommended_per_group=data["recommended_per_group"],
            max_per_group=data["max_per_group"],
            pulse_every_weeks=data["pulse_every_weeks"],
        )
        try:
            cycle = services.do_launch_cycle(request.membership, spec, timezone.localdate())
        except services.FeedbackError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, f"{cycle.title} launched: learners are asked to nominate.")
            return redirect("feedback_cycle", org_slug=org_slug, cycle_id=cycle.pk)
    return render(request, "feedback/launch.html", {"form": form})


@role_required("admin")
def cycle_detail(request: TenantRequest, org_slug: str, cycle_id: int) -> HttpResponse:
    cycle = get_object_or_404(Cycle.objects.select_related("cohort"), pk=cycle_id)
    fmt = requested_format(request)
    if fmt is not None and request.GET.get("table") == "summary":
        if cycle.status != Cycle.Status.CLOSED:
            raise Http404("The cohort picture appears when the cycle closes.")
        table = queries.summary_export(queries.cohort_summary(cycle))
        return tabular_response(fmt, f"{cycle.title} cohort picture", *table)
    if fmt is not None:
        headers, rows = queries.progress_export(cycle)
        return tabular_response(fmt, f"{cycle.title} progress", headers, rows)
    progress = queries.cycle_progress(cycle, request.GET.get("page"), request.GET.get("q", ""))
    template = "feedback/cycle_detail.html"
    if request.htmx:
        template += "#progress"
    summary = queries.cohort_summary(cycle) if cycle.status == Cycle.Status.CLOSED else []
    return render(request, template, {"progress": progress, "cycle": cycle, "summary": summary})


@require_POST
@role_required("admin")
def cycle_action(request: TenantRequest, org_slug: str, cycle_id: int) -> HttpResponse:
    cycle = get_object_or_404(Cycle, pk=cycle_id)
    action = request.POST.get("action")
    try:
        if action == "remind":
            n = services.do_send_reminders_now(cycle, request.membership)
            messages.success(request, f"Reminders queued for {n} raters who have not answered.")
        elif action == "close_nominations":
            services.do_close_nominations(cycle, request.membership)
            messages.success(request, "Nominations closed; answers are still collected.")
        elif action == "close":
            if services.do_close_cycle(cycle, request.membership):
                messages.success(request, "Cycle closed: each learner's report is being computed.")
            else:
                messages.info(request, "This cycle was already closed.")
        else:
            messages.error(request, "Unknown action.")
    except services.FeedbackError as exc:
        messages.error(request, exc.message)
    return redirect("feedback_cycle", org_slug=org_slug, cycle_id=cycle.pk)


# --- learner, manager, coach -----------------------------------------------------------------


def my_feedback(request: TenantRequest, org_slug: str) -> HttpResponse:
    home = queries.feedback_home(request.membership)
    return render(request, "feedback/my_feedback.html", {"home": home})


def _participant_for(request: TenantRequest, participant_id: int) -> Participant:
    """The learner's own participation, or one their manager (or an admin) approves; else 404."""
    participant = get_object_or_404(
        Participant.objects.select_related("cycle", "learner__user", "learner__manager"),
        pk=participant_id,
    )
    if participant.learner_id != request.membership.pk and not services.can_approve(
        participant, request.membership
    ):
        raise Http404
    return participant


def participant_detail(request: TenantRequest, org_slug: str, participant_id: int) -> HttpResponse:
    participant = _participant_for(request, participant_id)
    is_learner = participant.learner_id == request.membership.pk
    form = NominationForm(request.POST or None)
    if request.method == "POST" and is_learner and form.is_valid():
        d = form.cleaned_data
        try:
            services.do_nominate(
                participant, request.membership, d["relationship"], d["email"], d["name"]
            )
        except services.FeedbackError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, f"{d['email']} added to your list.")
            return redirect(
                "feedback_participant", org_slug=org_slug, participant_id=participant.pk
            )
    fmt = requested_format(request)
    if fmt is not None and request.method != "POST":
        name = f"{participant.cycle.title} answers so far"
        return tabular_response(
            fmt, name, *queries.counts_export(queries.participant_view(participant))
        )
    return _participant_page(request, participant, form=form)


def _participant_page(
    request: TenantRequest,
    participant: Participant,
    form: NominationForm | None = None,
    add_form: AddRaterForm | None = None,
) -> HttpResponse:
    is_learner = participant.learner_id == request.membership.pk
    cycle = participant.cycle
    can_add_rater = (
        request.membership.is_admin
        and participant.nominations == Participant.Nominations.APPROVED
        and cycle.status != Cycle.Status.CLOSED
        and timezone.localdate() <= cycle.responses_close_on
    )
    bound = [f for f in (form, add_form) if f is not None]
    return render(
        request,
        "feedback/participant.html",
        {
            "view": queries.participant_view(participant),
            "form": form or NominationForm(),
            "add_form": add_form or AddRaterForm(),
            "is_learner": is_learner,
            "can_approve": services.can_approve(participant, request.membership),
            "can_add_rater": can_add_rater,
        },
        status=422 if any(f.errors for f in bound) else 200,
    )


@require_POST
@role_required("admin")
def participant_add_rater(
    request: TenantRequest, org_slug: str, participant_id: int
) -> HttpResponse:
    """An HR admin adds a rater to an approved list; refused, the form comes back beside the
    list with the error next to its field."""
    participant = _participant_for(request, participant_id)
    add_form = AddRaterForm(request.POST)
    if add_form.is_valid():
        d = add_form.cleaned_data
        try:
            added = services.do_add_rater(
                participant, request.membership, d["relationship"], d["email"], d["name"]
            )
        except services.FeedbackError as exc:
            add_form.add_error(exc.field if exc.field in add_form.fields else None, exc.message)
        else:
            messages.success(request, f"{added.email} added and invited to rate.")
            return redirect(
                "feedback_participant", org_slug=org_slug, participant_id=participant.pk
            )
    return _participant_page(request, participant, add_form=add_form)


@require_POST
def participant_action(request: TenantRequest, org_slug: str, participant_id: int) -> HttpResponse:
    participant = _participant_for(request, participant_id)
    action = request.POST.get("action")
    try:
        if action == "remove":
            services.do_remove_nomination(
                participant, request.membership, int(request.POST.get("request_id") or 0)
            )
            messages.success(request, "Removed from your list.")
        elif action == "submit":
            services.do_submit_nominations(participant, request.membership)
            messages.success(request, "List sent for approval.")
        elif action == "approve":
            n = services.do_approve_nominations(participant, request.membership)
            messages.success(request, f"Approved: {n} invitations are on their way.")
        else:
            messages.error(request, "Unknown action.")
    except services.FeedbackError as exc:
        messages.error(request, exc.message)
    return redirect("feedback_participant", org_slug=org_slug, participant_id=participant.pk)


def self_rating(request: TenantRequest, org_slug: str, participant_id: int) -> HttpResponse:
    participant = get_object_or_404(
        Participant.objects.select_related("cycle"), pk=participant_id, learner=request.membership
    )
    rater_request = get_object_or_404(
        RaterRequest.objects.select_related(
            "participant__cycle", "participant__learner__user", "organization", "pulse"
        ),
        participant=participant,
        relationship=Relationship.SELF,
        pulse__isnull=True,
    )
    return _rating_page(request, rater_request, "feedback/rate.html")


def report_detail(request: TenantRequest, org_slug: str, report_id: int) -> HttpResponse:
    report = get_object_or_404(
        Report.objects.select_related("cycle", "learner__user", "participant"), pk=report_id
    )
    if not queries.can_read_report(report, request.membership):
        raise Http404
    services.do_mark_report_read(report, request.membership)
    items = {i["item_id"]: i for i in report.data["items"]}
    trends = (
        queries.pulse_trends(report.participant, timezone.localdate(), request.org)
        if report.learner_id == request.membership.pk
        else []
    )
    fmt = requested_format(request)
    if fmt is not None:  # pulses are the learner's alone, as on the page
        if request.GET.get("table") == "pulses":
            if report.learner_id != request.membership.pk:
                raise Http404
            return tabular_response(
                fmt, f"{report.cycle.title} pulses", *queries.trends_export(trends)
            )
        return tabular_response(
            fmt, f"{report.cycle.title} 360", *queries.report_export(report.data)
        )
    return render(
        request,
        "feedback/report.html",
        {
            "report": report,
            "data": report.data,
            "highest": [items[i] for i in report.data["highest"] if i in items],
            "lowest": [items[i] for i in report.data["lowest"] if i in items],
            "figure": charts.report_figure(report.data),
            "is_learner": report.learner_id == request.membership.pk,
            "trends": trends,
            "z": rci_critical(),
        },
    )


def report_pdf(request: TenantRequest, org_slug: str, report_id: int) -> HttpResponse:
    report = get_object_or_404(
        Report.objects.select_related("cycle", "learner__user"), pk=report_id
    )
    if not queries.can_read_report(report, request.membership):
        raise Http404
    texts = {i["item_id"]: i["text"] for i in report.data["items"]}
    body = charts.report_pdf(
        report.cycle.title, report.learner.user.display_name, report.data, texts
    )
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="360-report-{report.pk}.pdf"'
    return response


@require_POST
def report_share(request: TenantRequest, org_slug: str, report_id: int) -> HttpResponse:
    report = get_object_or_404(Report, pk=report_id, learner=request.membership)
    shared = request.POST.get("shared") == "1"
    services.do_share_report(report, request.membership, shared)
    messages.success(
        request, "Your coach can now read this report." if shared else "No longer shared."
    )
    return redirect("feedback_report", org_slug=org_slug, report_id=report.pk)


# --- the rater's link (no account) ---------------------------------------------------------


def rate(request: HttpRequest, token: str) -> HttpResponse:
    """A rater's signed link: resolves the organisation from the token and acts inside it."""
    try:
        org_id, request_id = services.read_token(token)
    except services.LinkInvalid as exc:
        return _link_problem(request, exc, 404 if exc.reason == "forged" else 410)
    org = Organization.objects.filter(pk=org_id, is_active=True).first()
    if org is None:
        raise Http404
    with tenant_context(org):
        rater_request = (
            RaterRequest.objects.select_related(
                "participant__cycle", "participant__learner__user", "organization", "pulse"
            )
            .filter(pk=request_id)
            .first()
        )
        if rater_request is None:
            raise Http404
        return _rating_page(request, rater_request, "feedback/rate.html", token=token)


def _link_problem(request: HttpRequest, exc: services.LinkInvalid, status: int) -> HttpResponse:
    return render(
        request,
        "feedback/link_problem.html",
        {"reason": exc.reason, "message": exc.message},
        status=status,
    )


def _rating_page(
    request: HttpRequest, rater_request: RaterRequest, template: str, token: str = ""
) -> HttpResponse:
    today = timezone.localdate()
    try:
        services.check_can_answer(rater_request, today)
    except services.LinkInvalid as exc:
        return _link_problem(request, exc, 410)
    form = queries.rating_form(rater_request)
    error: services.FeedbackError | None = None
    if request.method == "POST":
        action = request.POST.get("action", "save")
        try:
            if action == "decline":
                services.do_decline(rater_request, today)
                return render(request, "feedback/thanks.html", {"declined": True, "form": form})
            item_ids = [i.id for _name, items in form.competencies for i in items]
            scores = services.parse_scores(
                {i: request.POST.get(f"item_{i}", "") for i in item_ids}, item_ids
            )
            comments = {
                n: request.POST.get(f"comment_{n}", "").strip()[:2000] for n, _q in form.questions
            }
            services.do_save_answers(
                rater_request, scores, comments, submit=action == "submit", today=today
            )
        except services.FeedbackError as exc:
            error = exc
        except services.LinkInvalid as exc:
            return _link_problem(request, exc, 410)
        else:
            if action == "submit":
                return render(request, "feedback/thanks.html", {"declined": False, "form": form})
            return redirect(request.path + "?saved=1")
    posted = request.POST if error else None
    sections = [
        (
            name,
            [
                (
                    item,
                    posted.get(f"item_{item.id}", "")
                    if posted is not None
                    else _as_value(form.scores, item.id),
                    error is not None and error.field == f"item_{item.id}",
                )
                for item in items
            ],
        )
        for name, items in form.competencies
    ]
    questions = [
        (n, q, posted.get(f"comment_{n}", "") if posted is not None else form.comments.get(n, ""))
        for n, q in form.questions
    ]
    return render(
        request,
        template,
        {
            "form": form,
            "sections": sections,
            "questions": questions,
            "error": error,
            "saved": request.GET.get("saved") == "1",
            "token": token,
            "scale": [(str(n), anchor) for n, anchor in enumerate(form.anchors, 1)],
        },
        status=422 if error else 200,
    )


def _as_value(scores: dict[int, int | None], item_id: int) -> str:
    if item_id not in scores:
        return ""
    score = scores[item_id]
    return services.NOT_OBSERVED if score is None else str(score)
