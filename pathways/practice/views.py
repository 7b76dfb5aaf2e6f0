"""Learner pages for spaced retrieval practice (thin: resolve, validate, call, render)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from organizations.http import TenantRequest
from organizations.roles import role_required
from pathways.models import ReviewCard
from pathways.practice import queries, services
from pathways.practice.forms import ReminderSettingsForm, ReviewAnswerForm

PAGE = "pathways/practice/review_session.html"


def _zone(request: TenantRequest) -> Any:
    return queries.learner_zone(request.user.time_zone, request.org.time_zone)


def _page(request: TenantRequest, answered: int, include_card: bool = True) -> queries.ReviewPage:
    """Must run inside ``timezone.override(_zone(request))``: "today" is the learner's day."""
    now = timezone.now()
    day_start = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    return queries.review_page(
        request.membership,
        answered,
        now=now,
        day_start=day_start,
        include_card=include_card,
    )


def _render(request: TenantRequest, context: dict[str, Any]) -> HttpResponse:
    return render(request, f"{PAGE}#review-panel" if request.htmx else PAGE, context)


def _answered(raw: str | None) -> int:
    return int(raw) if raw and raw.isdigit() and len(raw) < 6 else 0


@role_required("learner")
def review_session(request: TenantRequest, org_slug: str) -> HttpResponse:
    with timezone.override(_zone(request)):
        page = _page(request, _answered(request.GET.get("n")))
        ticket = services.issue_ticket(request.membership, page.card.id) if page.card else ""
        return _render(request, {"page": page, "ticket": ticket, "form": ReviewAnswerForm()})


@require_POST
@role_required("learner")
def review_answer(request: TenantRequest, org_slug: str, card_id: int) -> HttpResponse:
    learner = request.membership
    form = ReviewAnswerForm(request.POST)
    with timezone.override(_zone(request)):
        if form.is_valid():
            data = form.cleaned_data
            try:
                result = services.do_review(
                    learner, card_id, ticket=data["ticket"], option_id=data["option"],
                    rating=data["rating"],
                )  # fmt: skip
            except ReviewCard.DoesNotExist as exc:
                raise Http404(_("No such card in your practice.")) from exc
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                page = _page(request, form.answered() + 1, include_card=False)
                return _render(request, {"page": page, "result": result})
        return _render(request, _retry_context(request, form, card_id))


def _retry_context(request: TenantRequest, form: ReviewAnswerForm, card_id: int) -> dict[str, Any]:
    """Show the answered card again with its errors when only the answer was missing; otherwise
    (stale or tampered form, card no longer due) the next due card with a fresh ticket."""
    learner = request.membership
    page = _page(request, form.answered())
    missing_answer = (
        any(f in form.errors for f in ("option", "rating")) and "ticket" not in form.errors
    )
    if missing_answer and not form.non_field_errors():
        try:
            page.card = queries.learner_card(learner, card_id)
        except ReviewCard.DoesNotExist as exc:
            raise Http404(_("No such card in your practice.")) from exc
        return {"page": page, "ticket": form.data.get("ticket", ""), "form": form}
    ticket = services.issue_ticket(learner, page.card.id) if page.card else ""
    return {"page": page, "ticket": ticket, "form": form}


@role_required("learner")
def practice_settings(request: TenantRequest, org_slug: str) -> HttpResponse:
    user = request.user
    form = ReminderSettingsForm(
        request.POST or None,
        initial={"email_reminders": user.email_reminders, "time_zone": user.time_zone},
        org_time_zone=request.org.time_zone,
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.do_update_reminder_settings(user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(
                request,
                _("Daily reminders are on.")
                if form.cleaned_data["email_reminders"]
                else _("Daily reminders are off. Your reviews still wait for you here."),
            )
            return redirect("practice_settings", org_slug=org_slug)
    with timezone.override(_zone(request)):  # the next review's time in the learner's zone
        context = {"form": form, "next_due": queries.next_due(request.membership)}
        return render(request, "pathways/practice/settings.html", context)
