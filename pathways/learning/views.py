"""Learner pages: diagnostic, module and step pages, electives, history (thin views)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.forms import Form
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from organizations.exports import requested_format, tabular_response
from organizations.http import TenantRequest
from organizations.roles import role_required
from pathways.learning import queries, services
from pathways.learning.forms import (
    DiagnosticForm,
    ElectiveChoiceForm,
    PracticeAnswerForm,
    ReactionForm,
)
from pathways.queries import Celebration, learner_enrollments
from pathways.services import do_record_module_opened, do_undo_step_completion
from pathways.social.queries import comments_for


def _add_errors(form: Form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for name, errors in exc.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def _context(request: TenantRequest, module_id: int) -> queries.StepContext | None:
    """The enrolment step a module is taken in, from ``?enrollment=&step=`` (404 if not the
    learner's)."""
    enrollment, step = request.GET.get("enrollment", ""), request.GET.get("step", "")
    if not (enrollment.isdigit() and step.isdigit()):
        return None
    try:
        context = queries.step_context(request.membership, int(enrollment), int(step))
    except ObjectDoesNotExist as exc:
        raise Http404(_("No such step in your pathways.")) from exc
    if context.step.module_id != module_id:
        raise Http404(_("That step is not about this module."))
    return context


def _module_response(
    request: TenantRequest, module_id: int, context: queries.StepContext | None, **forms: Any
) -> HttpResponse:
    try:
        page = queries.module_page(request.membership, module_id, context)
    except ObjectDoesNotExist as exc:
        raise Http404(_("No such module.")) from exc
    answer_form = forms.get("answer_form") or PracticeAnswerForm(initial={"text": page.answer})
    reaction_form = forms.get("reaction_form") or ReactionForm(
        initial={"useful": page.useful, "relevant": page.relevant}
    )
    if not forms.get("partial") and request.method == "GET":
        # Opening the page is the evidence that the module's content was reached.
        do_record_module_opened(request.membership, module_id)
    ctx = {"page": page, "answer_form": answer_form, "reaction_form": reaction_form}
    ctx["query"] = f"?enrollment={context.enrollment_id}&step={context.step.id}" if context else ""
    partial = forms.get("partial")
    if not partial:  # the discussion is part of the full page only
        try:
            ctx["comments"] = comments_for(module_id, request.membership)
        except ObjectDoesNotExist:  # a retired module still in the learner's pathway
            ctx["comments"] = None
    status = 400 if any(f.errors for f in (answer_form, reaction_form)) else 200
    template = "pathways/learning/module.html" + (f"#{partial}" if partial else "")
    return render(request, template, ctx, status=status)


@role_required("learner")
def module_detail(request: TenantRequest, org_slug: str, module_id: int) -> HttpResponse:
    return _module_response(request, module_id, _context(request, module_id))


@role_required("learner")
def step_detail(
    request: TenantRequest, org_slug: str, enrollment_id: int, step_id: int
) -> HttpResponse:
    try:
        context = queries.step_context(request.membership, enrollment_id, step_id)
    except ObjectDoesNotExist as exc:
        raise Http404(_("No such step in your pathways.")) from exc
    if context.step.module_id is not None:
        return _module_response(request, context.step.module_id, context)
    page = queries.template_step_page(request.membership, context)
    return render(request, "pathways/learning/template_step.html", {"page": page})


def _back(request: TenantRequest, org_slug: str, module_id: int) -> str:
    url = reverse("learning_module", kwargs={"org_slug": org_slug, "module_id": module_id})
    enrollment, step = request.GET.get("enrollment", ""), request.GET.get("step", "")
    if enrollment.isdigit() and step.isdigit():
        url += f"?enrollment={enrollment}&step={step}"
    return url


@require_POST
@role_required("learner")
def save_answer(request: TenantRequest, org_slug: str, module_id: int) -> HttpResponse:
    form = PracticeAnswerForm(request.POST)
    context = _context(request, module_id)
    if form.is_valid():
        try:
            _answer, created = services.do_save_practice_answer(
                request.membership, module_id, form.cleaned_data["text"]
            )
        except ObjectDoesNotExist as exc:
            raise Http404(_("No such module.")) from exc
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            note = _("Answer saved as evidence.") if created else _("Answer updated.")
            if request.htmx:
                messages.success(request, note)
                return _module_response(request, module_id, context, partial="practice")
            messages.success(request, note)
            return redirect(_back(request, org_slug, module_id))
    partial = "practice" if request.htmx else None
    return _module_response(request, module_id, context, answer_form=form, partial=partial)


@require_POST
@role_required("learner")
def save_reaction(request: TenantRequest, org_slug: str, module_id: int) -> HttpResponse:
    form = ReactionForm(request.POST)
    context = _context(request, module_id)
    if form.is_valid():
        try:
            services.do_save_reaction(
                request.membership,
                module_id,
                form.cleaned_data["useful"],
                form.cleaned_data["relevant"],
            )
        except ObjectDoesNotExist as exc:
            raise Http404(_("No such module.")) from exc
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Thank you: your rating helps improve the programme."))
            if request.htmx:
                return _module_response(request, module_id, context, partial="reaction")
            return redirect(_back(request, org_slug, module_id))
    partial = "reaction" if request.htmx else None
    return _module_response(request, module_id, context, reaction_form=form, partial=partial)


def _done_message(request: TenantRequest, outcome: services.DoneOutcome) -> None:
    parts = [_("Marked done.")]
    if outcome.finished_pathway:
        parts = [
            _("Marked done: that was the last step of %(pathway)s.")
            % {"pathway": outcome.finished_pathway}
        ]
    elif outcome.finished_stage:
        parts = [_("Marked done: that finishes %(stage)s.") % {"stage": outcome.finished_stage}]
    if outcome.cards_created:
        parts.append(
            ngettext(
                "%(n)s question was added to your reviews.",
                "%(n)s questions were added to your reviews.",
                outcome.cards_created,
            )
            % {"n": outcome.cards_created}
        )
    parts.append(_("Done by mistake? You can undo it below for a few minutes."))
    messages.success(request, " ".join(parts))


@require_POST
@role_required("learner")
def module_done(request: TenantRequest, org_slug: str, module_id: int) -> HttpResponse:
    try:
        outcome = services.do_mark_module_done(request.membership, module_id)
    except ObjectDoesNotExist as exc:
        raise Http404(_("No such module.")) from exc
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        _done_message(request, outcome)
    return redirect("learning_module", org_slug=org_slug, module_id=module_id)


@require_POST
@role_required("learner")
def module_undo(request: TenantRequest, org_slug: str, module_id: int) -> HttpResponse:
    try:
        module = services.do_undo_module_done(request.membership, module_id)
    except ObjectDoesNotExist as exc:
        raise Http404(_("No such module.")) from exc
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("Undone: “%(title)s” is no longer marked done, and its reviews were withdrawn.")
            % {"title": module.title},
        )
    return redirect("learning_module", org_slug=org_slug, module_id=module_id)


@require_POST
@role_required("learner")
def step_undo(
    request: TenantRequest, org_slug: str, enrollment_id: int, step_id: int
) -> HttpResponse:
    try:
        step = do_undo_step_completion(request.membership, enrollment_id, step_id)
    except ObjectDoesNotExist as exc:
        raise Http404(_("No such step in your pathways.")) from exc
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("Undone: “%(title)s” is no longer marked done, and its reviews were withdrawn.")
            % {"title": step.display_title},
        )
    return redirect(
        "learning_step", org_slug=org_slug, enrollment_id=enrollment_id, step_id=step_id
    )


@require_POST
@role_required("learner")
def step_done(
    request: TenantRequest, org_slug: str, enrollment_id: int, step_id: int
) -> HttpResponse:
    """Mark a module step done from its page. Back on the step's page the learner is told what
    the step finished (the home celebrates it) and may undo a slip for a short while; an htmx
    request gets the home's pathway card, celebrating a finished stage or pathway."""
    try:
        outcome = services.do_mark_step_done(request.membership, enrollment_id, step_id)
    except ObjectDoesNotExist as exc:
        raise Http404(_("No such step in your pathways.")) from exc
    except ValidationError as exc:
        if request.htmx:
            return _enrollment_card(request, enrollment_id, error=" ".join(exc.messages))
        messages.error(request, " ".join(exc.messages))
        return redirect(
            "learning_step", org_slug=org_slug, enrollment_id=enrollment_id, step_id=step_id
        )
    if request.htmx:
        return _enrollment_card(request, enrollment_id, celebration=outcome.celebration)
    _done_message(request, outcome)
    return redirect(
        "learning_step", org_slug=org_slug, enrollment_id=enrollment_id, step_id=step_id
    )


def _enrollment_card(
    request: TenantRequest,
    enrollment_id: int,
    celebration: Celebration | None = None,
    error: str = "",
) -> HttpResponse:
    try:
        [enrollment] = learner_enrollments(request.membership, enrollment_id=enrollment_id)
    except ValueError as exc:  # no such enrolment of the learner's
        raise Http404(_("No such step in your pathways.")) from exc
    [enrollment] = queries.with_card_text(request.org.slug, [enrollment])
    context = {"enrollment": enrollment, "just_finished": celebration, "card_error": error}
    response = render(request, "pathways/learner_home.html#enrollment-card", context)
    if celebration is not None or error:
        # The button was low in a long card; bring its top, where the news is, into view.
        response["HX-Reswap"] = f"outerHTML show:#enrollment-{enrollment.id}:top"
    return response


@require_http_methods(["GET", "POST"])
@role_required("learner")
def diagnostic(request: TenantRequest, org_slug: str, enrollment_id: int) -> HttpResponse:
    try:
        view = queries.diagnostic_for(request.membership, enrollment_id)
    except ObjectDoesNotExist as exc:
        raise Http404(_("No such enrolment.")) from exc
    form = DiagnosticForm(view, request.POST or None)
    if request.method == "POST" and view.taken_at is None and form.is_valid():
        try:
            services.do_save_self_assessment(request.membership, enrollment_id, form.ratings())
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Thank you. Your pathway is now tailored to you."))
            return redirect("org_home", org_slug=org_slug)
    status = 400 if form.errors else 200
    return render(
        request, "pathways/learning/diagnostic.html", {"view": view, "form": form}, status=status
    )


@require_http_methods(["GET", "POST"])
@role_required("learner")
def electives(request: TenantRequest, org_slug: str, enrollment_id: int) -> HttpResponse:
    try:
        page = queries.electives_for(request.membership, enrollment_id)
    except ObjectDoesNotExist as exc:
        raise Http404(_("No such enrolment.")) from exc
    group_id = request.POST.get("group", "")
    forms = [
        ElectiveChoiceForm(g, request.POST if str(g.id) == group_id else None) for g in page.groups
    ]
    bound = next((f for f in forms if f.is_bound), None)
    if request.method == "POST" and bound is None:
        raise Http404(_("No such elective group in this pathway."))
    if bound is not None and bound.is_valid():
        try:
            services.do_choose_electives(
                request.membership, enrollment_id, bound.group.id, bound.cleaned_data["steps"]
            )
        except ValidationError as exc:
            _add_errors(bound, exc)
        else:
            messages.success(request, _("Your electives are saved."))
            return redirect("learning_electives", org_slug=org_slug, enrollment_id=enrollment_id)
    status = 400 if bound is not None and bound.errors else 200
    return render(
        request,
        "pathways/learning/electives.html",
        {"page": page, "forms": forms},
        status=status,
    )


@role_required("learner")
def history(request: TenantRequest, org_slug: str) -> HttpResponse:
    fmt = requested_format(request)
    if fmt is not None:  # the learner's own history, all of it
        rows = queries.history_export_rows(request.membership)
        return tabular_response(fmt, "my-history", queries.HISTORY_EXPORT_HEADERS, rows)
    page = queries.history_page(request.membership, request.GET.get("page"), org_slug)
    return render(request, "pathways/learning/history.html", {"page": page})
