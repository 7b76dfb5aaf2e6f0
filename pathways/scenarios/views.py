"""Learner pages: scenarios (list, play, feedback, debrief), adaptive practice, my growth."""

from __future__ import annotations

import uuid
from dataclasses import replace

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from competencies.models import Competency
from organizations.exports import requested_format, tabular_response
from organizations.http import TenantRequest
from organizations.roles import role_required
from pathways.models import RetrievalItem, Scenario, ScenarioPlay
from pathways.scenarios import charts, queries, services
from pathways.scenarios.forms import ChoiceForm, PracticeForm

PLAY = "pathways/scenarios/play.html"
PRACTISE = "pathways/scenarios/practise.html"


def _partial(request: TenantRequest, template: str, name: str) -> str:
    """The named partial for an htmx swap, the whole page otherwise (and on history restore)."""
    htmx = getattr(request, "htmx", None)
    return f"{template}#{name}" if htmx and not htmx.history_restore_request else template


def _play_or_404(request: TenantRequest, play_id: int) -> queries.PlayView:
    try:
        return queries.play_view(request.membership, play_id)
    except ScenarioPlay.DoesNotExist as exc:
        raise Http404(_("No such play of yours.")) from exc


@require_GET
@role_required("learner")
def scenario_list(request: TenantRequest, org_slug: str) -> HttpResponse:
    scenarios = queries.scenario_summaries(request.membership)
    return render(request, "pathways/scenarios/list.html", {"scenarios": scenarios})


@require_http_methods(["GET", "POST"])
@role_required("learner")
def scenario_play(request: TenantRequest, org_slug: str, scenario_id: int) -> HttpResponse:
    learner = request.membership
    if request.method == "POST":
        try:
            services.do_start_play(learner, scenario_id)
        except Scenario.DoesNotExist as exc:
            raise Http404(_("No such scenario.")) from exc
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect("scenario_list", org_slug=org_slug)
        return redirect("scenario_play", org_slug=org_slug, scenario_id=scenario_id)
    summary = next(iter(queries.scenario_summaries(learner, scenario_id)), None)
    if summary is None:
        raise Http404(_("No such scenario."))
    play = _play_or_404(request, summary.open_play_id) if summary.open_play_id else None
    name = "situation" if play else "intro"
    return render(request, _partial(request, PLAY, name), {"scenario": summary, "play": play})


@require_POST
@role_required("learner")
def scenario_choose(request: TenantRequest, org_slug: str, play_id: int) -> HttpResponse:
    form = ChoiceForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(next(iter(form.errors.values()))[0])
        chosen = form.cleaned_data["choice"]
        outcome = services.do_choose(
            request.membership, play_id, chosen, sequence=form.cleaned_data["sequence"]
        )
    except ScenarioPlay.DoesNotExist as exc:
        raise Http404(_("No such play of yours.")) from exc
    except ValidationError as exc:
        return _refused(request, org_slug, _play_or_404(request, play_id), exc)
    if outcome.decision.choice_id != chosen:
        messages.info(
            request,
            _(
                "You had already chosen at this point, so your first choice stands. "
                "Play the scenario again to try another path."
            ),
        )
    url = reverse("scenario_decision", args=[org_slug, play_id, outcome.decision.pk])
    if not request.htmx:
        return redirect(url)
    play = _play_or_404(request, play_id)
    response = render(
        request, f"{PLAY}#feedback", {"play": play, "decision": play.decision(outcome.decision.pk)}
    )
    response["HX-Push-Url"] = url
    return response


def _refused(
    request: TenantRequest, org_slug: str, play: queries.PlayView, exc: ValidationError
) -> HttpResponse:
    error = " ".join(exc.messages)
    if request.htmx:
        return render(request, f"{PLAY}#situation", {"play": play, "error": error})
    messages.error(request, error)
    if play.finished:
        return redirect("scenario_debrief", org_slug=org_slug, play_id=play.id)
    return redirect("scenario_play", org_slug=org_slug, scenario_id=play.scenario_id)


@require_GET
@role_required("learner")
def scenario_decision(
    request: TenantRequest, org_slug: str, play_id: int, decision_id: int
) -> HttpResponse:
    play = _play_or_404(request, play_id)
    decision = play.decision(decision_id)
    if decision is None:
        raise Http404(_("No such choice in this play."))
    context = {"play": play, "decision": decision}
    return render(request, _partial(request, PLAY, "feedback"), context)


@require_GET
@role_required("learner")
def scenario_debrief(request: TenantRequest, org_slug: str, play_id: int) -> HttpResponse:
    play = _play_or_404(request, play_id)
    if not play.finished:
        return redirect("scenario_play", org_slug=org_slug, scenario_id=play.scenario_id)
    return render(request, "pathways/scenarios/debrief.html", {"play": play})


@require_http_methods(["GET", "POST"])
@role_required("learner")
def practise_competency(request: TenantRequest, org_slug: str, competency_id: int) -> HttpResponse:
    learner = request.membership
    if request.method == "POST":
        return _practice_answer(request, competency_id)
    try:
        pick = queries.pick_practice(learner, competency_id)
    except Competency.DoesNotExist as exc:
        raise Http404(_("No such competency.")) from exc
    context = {"pick": pick, "form": PracticeForm(), "token": uuid.uuid4().hex}
    return render(request, _partial(request, PRACTISE, "question"), context)


def _practice_answer(request: TenantRequest, competency_id: int) -> HttpResponse:
    learner = request.membership
    form = PracticeForm(request.POST)
    if not form.is_valid():
        raise Http404(_("That question is not part of the practice for this competency."))
    data = form.cleaned_data
    try:
        pick = queries.practice_of_item(learner, competency_id, data["item"])
    except (Competency.DoesNotExist, RetrievalItem.DoesNotExist) as exc:
        raise Http404(_("That question is not part of the practice for this competency.")) from exc
    context = {"pick": pick, "form": form, "token": data["token"]}
    if data["action"] == PracticeForm.REVEAL:
        return render(request, _partial(request, PRACTISE, "question"), {**context, "reveal": True})
    try:
        outcome = services.do_answer_practice(
            learner, competency_id, data["item"], data["token"], data["option"], data["grade"]
        )
    except ValidationError as exc:
        reveal = pick.item is not None and not pick.item.is_multiple_choice
        context.update(error=" ".join(exc.messages), reveal=reveal)
        return render(request, _partial(request, PRACTISE, "question"), context)
    chosen = pick.item.option(outcome.option_id) if pick.item and outcome.option_id else None
    pick = replace(pick, ability=queries.ability_for(learner, competency_id))
    context.update(pick=pick, outcome=outcome, chosen=chosen)
    return render(request, _partial(request, PRACTISE, "question"), context)


@require_GET
@role_required("learner")
def my_growth(request: TenantRequest, org_slug: str) -> HttpResponse:
    report = queries.growth_report(request.membership)
    fmt = requested_format(request)
    if fmt is not None:  # the learner's own estimates
        rows = queries.growth_export_rows(report)
        return tabular_response(fmt, "my-growth", queries.GROWTH_EXPORT_HEADERS, rows)
    figure = None
    if report.estimated:
        figure = charts.growth_figure(report)
    return render(request, "pathways/growth/my_growth.html", {"report": report, "figure": figure})
