"""Catalogue, personal library, comments, recommendations and micro-mentoring (thin views)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from organizations.exports import requested_format, tabular_response
from organizations.http import TenantRequest
from organizations.roles import role_required
from pathways.social import queries, services
from pathways.social.forms import (
    AnswerForm,
    CatalogueFilterForm,
    CommentForm,
    MentorRequestForm,
    OfferForm,
    RecommendForm,
)


def _next_or(request: TenantRequest, default: str) -> str:
    """The ``next`` URL posted by the page, when it is one of ours; else ``default``."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def _page_number(request: TenantRequest) -> int:
    try:
        return max(1, int(request.GET.get("page", "1")))
    except ValueError:
        return 1


def _partial_wanted(request: TenantRequest) -> bool:
    return bool(request.htmx) and not request.htmx.history_restore_request


# Catalogue and personal library -----------------------------------------------------------------


@role_required("learner")
def catalogue(request: TenantRequest, org_slug: str) -> HttpResponse:
    options = queries.filter_options()
    form = CatalogueFilterForm(request.GET or None, options=options)
    page = queries.catalogue(
        request.membership, form.filters(), _page_number(request), options=options
    )
    context = {"form": form, "page": page, "query": request.GET.urlencode()}
    template = "pathways/social/catalogue.html"
    return render(request, f"{template}#results" if _partial_wanted(request) else template, context)


@role_required("learner")
def my_library(request: TenantRequest, org_slug: str) -> HttpResponse:
    modules = queries.my_library(request.membership)
    return render(request, "pathways/social/my_library.html", {"modules": modules})


def _save_toggle(request: TenantRequest, org_slug: str, module_id: int, save: bool) -> HttpResponse:
    try:
        if save:
            services.do_save_module(request.membership, module_id)
        else:
            services.do_unsave_module(request.membership, module_id)
        card = queries.module_card(request.membership, module_id)
    except ObjectDoesNotExist as exc:
        raise Http404(_("No such module in the catalogue.")) from exc
    if request.htmx:
        return render(request, "pathways/social/_save_button.html", {"card": card})
    if save:
        messages.success(request, _("“%(title)s” is in your library.") % {"title": card.title})
    else:
        messages.success(request, _("“%(title)s” left your library.") % {"title": card.title})
    return redirect(_next_or(request, reverse("my_library", args=[org_slug])))


@require_POST
@role_required("learner")
def save_module(request: TenantRequest, org_slug: str, module_id: int) -> HttpResponse:
    return _save_toggle(request, org_slug, module_id, save=True)


@require_POST
@role_required("learner")
def unsave_module(request: TenantRequest, org_slug: str, module_id: int) -> HttpResponse:
    return _save_toggle(request, org_slug, module_id, save=False)


# Comments ---------------------------------------------------------------------------------------


def _module_page(org_slug: str, module_id: int, request: TenantRequest) -> str:
    """Back to the page the discussion was shown on (module page or discussion page)."""
    return _next_or(request, reverse("module_comments", args=[org_slug, module_id]))


def _comments_response(
    request: TenantRequest, module_id: int, form: CommentForm | None = None, status: str = ""
) -> HttpResponse:
    """The discussion: the whole page, or for htmx the thread inside ``#module-comments``
    (``status`` is announced to screen readers through the section's status line)."""
    try:
        comments = queries.comments_for(module_id, request.membership)
    except ObjectDoesNotExist as exc:
        raise Http404(_("No such module.")) from exc
    context: dict[str, Any] = {
        "comments": comments,
        "comment_form": form or CommentForm(),
        "comments_status": status,
    }
    if _partial_wanted(request):
        return render(request, "pathways/social/_comments.html#thread", context)
    return render(request, "pathways/social/comments.html", context)


def _own_comment(request: TenantRequest, comment_id: int) -> queries.OwnComment:
    try:
        return queries.own_comment(request.membership, comment_id)
    except ObjectDoesNotExist as exc:
        raise Http404(_("No such comment of yours.")) from exc


@role_required("learner", "admin")
def module_comments(request: TenantRequest, org_slug: str, module_id: int) -> HttpResponse:
    return _comments_response(request, module_id)


@require_POST
@role_required("learner")
def post_comment(request: TenantRequest, org_slug: str, module_id: int) -> HttpResponse:
    form = CommentForm(request.POST)
    if form.is_valid():
        try:
            services.do_post_comment(request.membership, module_id, form.cleaned_data["body"])
        except ObjectDoesNotExist as exc:
            raise Http404(_("No such module.")) from exc
        except ValidationError as exc:
            form.add_error("body", exc)
    if form.errors or request.htmx:
        status = "" if form.errors else _("Your comment is posted.")
        return _comments_response(request, module_id, form if form.errors else None, status)
    messages.success(request, _("Your comment is posted."))
    return redirect(_module_page(org_slug, module_id, request))


@role_required("learner")
def edit_comment(request: TenantRequest, org_slug: str, comment_id: int) -> HttpResponse:
    comment = _own_comment(request, comment_id)
    form = CommentForm(request.POST or None, initial={"body": comment.body})
    if request.method == "POST" and form.is_valid():
        try:
            services.do_edit_comment(request.membership, comment.id, form.cleaned_data["body"])
        except ValidationError as exc:
            form.add_error("body", exc)
        else:
            if request.htmx:
                return _comments_response(
                    request, comment.module_id, status=_("Your comment is updated.")
                )
            messages.success(request, _("Your comment is updated."))
            return redirect(_module_page(org_slug, comment.module_id, request))
    context = {"comment": comment, "form": form, "next": _next_or(request, "")}
    template = "pathways/social/comment_edit.html"
    if not _partial_wanted(request):
        return render(request, template, context)
    response = render(request, f"{template}#edit-form", context)
    if request.method == "POST":  # errors: show the form again where it was, not over the thread
        response["HX-Retarget"] = f"#comment-{comment.id}"
        response["HX-Reswap"] = "innerHTML"
    return response


@require_POST
@role_required("learner")
def delete_comment(request: TenantRequest, org_slug: str, comment_id: int) -> HttpResponse:
    comment = _own_comment(request, comment_id)
    try:
        services.do_delete_comment(request.membership, comment.id)
    except ValidationError as exc:
        status = " ".join(exc.messages)
        if not request.htmx:
            messages.error(request, status)
    else:
        status = _("Your comment is deleted.")
        if not request.htmx:
            messages.success(request, status)
    if request.htmx:
        return _comments_response(request, comment.module_id, status=status)
    return redirect(_module_page(org_slug, comment.module_id, request))


@require_POST
@role_required("admin")
def remove_comment(request: TenantRequest, org_slug: str, comment_id: int) -> HttpResponse:
    try:
        comment = services.do_remove_comment(request.membership, comment_id)
    except ObjectDoesNotExist as exc:
        raise Http404(_("No such comment.")) from exc
    removed = _("The comment is removed; a placeholder shows where it was.")
    if request.htmx:
        return _comments_response(request, comment.module_id, status=removed)
    messages.success(request, removed)
    return redirect(_module_page(org_slug, comment.module_id, request))


@role_required("admin")
def recent_comments(request: TenantRequest, org_slug: str) -> HttpResponse:
    comments = queries.recent_comments()
    fmt = requested_format(request)
    if fmt is not None:
        rows = queries.comment_export_rows(comments)
        return tabular_response(fmt, f"{org_slug}-comments", queries.COMMENT_EXPORT_HEADERS, rows)
    context = {"comments": comments, "limit": queries.RECENT_COMMENTS_LIMIT}
    return render(request, "pathways/social/recent_comments.html", context)


# Recommendations --------------------------------------------------------------------------------


@role_required("learner")
def recommend_module(request: TenantRequest, org_slug: str, module_id: int) -> HttpResponse:
    try:
        module = queries.module_card(request.membership, module_id)
    except ObjectDoesNotExist as exc:
        raise Http404(_("No such module in the catalogue.")) from exc
    form = RecommendForm(
        request.POST or None, colleagues=queries.colleagues_for(request.membership)
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            rec = services.do_recommend(
                request.membership, data["recipient"], module_id, data["note"]
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            name = rec.recipient.user.display_name
            messages.success(request, _("Recommended to %(name)s.") % {"name": name})
            return redirect(_next_or(request, reverse("catalogue", args=[org_slug])))
    context = {"module": module, "form": form, "next": _next_or(request, "")}
    return render(request, "pathways/social/recommend.html", context)


@require_POST
@role_required("learner")
def dismiss_recommendation(
    request: TenantRequest, org_slug: str, recommendation_id: int
) -> HttpResponse:
    try:
        services.do_dismiss_recommendation(request.membership, recommendation_id)
    except ObjectDoesNotExist as exc:
        raise Http404(_("No such recommendation.")) from exc
    if request.htmx:
        return HttpResponse("")  # the card is swapped away
    messages.success(request, _("Recommendation dismissed."))
    return redirect(_next_or(request, reverse("org_home", args=[org_slug])))


# Micro-mentoring --------------------------------------------------------------------------------


def _mentoring(request: TenantRequest, **forms: Any) -> HttpResponse:
    page = queries.mentoring_page(request.membership)
    context: dict[str, Any] = {
        "page": page,
        "offer_form": forms.get("offer_form")
        or OfferForm(competencies=[c for c in page.competencies if c[0] not in page.offered_ids]),
        "request_form": forms.get("request_form")
        or MentorRequestForm(competencies=page.competencies),
    }
    return render(request, "pathways/social/mentoring.html", context)


@role_required("learner")
def my_mentoring(request: TenantRequest, org_slug: str) -> HttpResponse:
    fmt = requested_format(request)
    if fmt is not None:  # the learner's own mentoring pairs
        rows = queries.mentoring_export_rows(queries.mentoring_page(request.membership))
        return tabular_response(fmt, "mentoring-pairs", queries.MENTORING_EXPORT_HEADERS, rows)
    return _mentoring(request)


@require_POST
@role_required("learner")
def offer_mentoring(request: TenantRequest, org_slug: str) -> HttpResponse:
    form = OfferForm(request.POST, competencies=queries.competency_choices())
    if form.is_valid():
        try:
            offers = services.do_offer_mentoring(
                request.membership,
                form.cleaned_data["competencies"],
                share_estimate=form.cleaned_data["share_estimate"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(
                request,
                _("Thank you. Colleagues can now ask you on %(n)d competencies.")
                % {"n": len(offers)},
            )
            return redirect("my_mentoring", org_slug=org_slug)
    return _mentoring(request, offer_form=form)


def _mentoring_action(
    request: TenantRequest, org_slug: str, action: Any, done: str
) -> HttpResponse:
    """Run a one-button mentoring action; report its outcome on "my mentoring"."""
    try:
        action()
    except ObjectDoesNotExist as exc:
        raise Http404(_("No such mentoring request or offer.")) from exc
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, done)
    return redirect("my_mentoring", org_slug=org_slug)


@require_POST
@role_required("learner")
def withdraw_offer(request: TenantRequest, org_slug: str, offer_id: int) -> HttpResponse:
    return _mentoring_action(
        request,
        org_slug,
        lambda: services.do_withdraw_offer(request.membership, offer_id),
        _("You no longer offer mentoring on that competency. Agreed mentoring carries on."),
    )


@require_POST
@role_required("learner")
def request_mentor(request: TenantRequest, org_slug: str) -> HttpResponse:
    form = MentorRequestForm(request.POST, competencies=queries.competency_choices())
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.do_request_mentor(request.membership, data["competency"], data["note"])
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Request saved. Choose a mentor from the suggestions."))
            return redirect("my_mentoring", org_slug=org_slug)
    return _mentoring(request, request_form=form)


@require_POST
@role_required("learner")
def propose_mentor(request: TenantRequest, org_slug: str, request_id: int) -> HttpResponse:
    try:
        mentor_id = int(request.POST.get("mentor", ""))
    except ValueError:
        mentor_id = 0
    return _mentoring_action(
        request,
        org_slug,
        lambda: services.do_propose_mentor(request.membership, request_id, mentor_id),
        _("Request sent. You will see their answer here."),
    )


@require_POST
@role_required("learner")
def answer_request(request: TenantRequest, org_slug: str, request_id: int) -> HttpResponse:
    form = AnswerForm(request.POST)
    if not form.is_valid():
        errors = [str(e) for field_errors in form.errors.values() for e in field_errors]
        messages.error(request, " ".join(errors))
        return redirect("my_mentoring", org_slug=org_slug)
    accept = form.cleaned_data["decision"] == "accept"
    return _mentoring_action(
        request,
        org_slug,
        lambda: services.do_answer_request(
            request.membership, request_id, accept=accept, note=form.cleaned_data["note"]
        ),
        _("Accepted. You now see each other under “Mentoring pairs”.")
        if accept
        else _("Declined. Your colleague will find another mentor."),
    )


@require_POST
@role_required("learner")
def withdraw_request(request: TenantRequest, org_slug: str, request_id: int) -> HttpResponse:
    return _mentoring_action(
        request,
        org_slug,
        lambda: services.do_withdraw_request(request.membership, request_id),
        _("Request withdrawn."),
    )


@require_POST
@role_required("learner")
def ask_again(request: TenantRequest, org_slug: str, request_id: int) -> HttpResponse:
    return _mentoring_action(
        request,
        org_slug,
        lambda: services.do_ask_again(request.membership, request_id),
        _("Request reopened. Choose another mentor from the suggestions."),
    )
