"""Coaching pages: thin doors onto ``coaching.services`` and ``coaching.queries``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db import transaction
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from coaching import page_parts, queries, services
from coaching.forms import (
    EVERY_PARTICIPANT,
    EngagementForm,
    ExperimentCloseForm,
    ExperimentForm,
    GoalForm,
    GoalUpdateForm,
    InviteObserverForm,
    JournalForm,
    NoteForm,
    ObservationForm,
    PairCohortForm,
    PeerFeedbackForm,
    RateForm,
    RehearsalForm,
    RescheduleForm,
    SessionForm,
    SessionLogForm,
)
from coaching.ics import calendar
from coaching.models import CoachingSession, SessionParticipant
from coaching.notifications import session_event
from organizations.exports import requested_format, tabular_response
from organizations.http import TenantRequest
from organizations.models import Membership, Organization
from organizations.page_frame import page_response
from organizations.roles import role_required
from organizations.tenancy import tenant_context
from organizations.words import words
from pathways.models import Cohort


def _or_404[T](read: Callable[..., T], *args: Any) -> T:
    try:
        return read(*args)
    except ObjectDoesNotExist as exc:
        raise Http404(_("Not found.")) from exc


def _attempt[T](form: Form, write: Callable[[], T]) -> T | None:
    """Run a service; its ValidationError goes next to the form's fields (nothing written)."""
    try:
        with transaction.atomic():
            return write()
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            for field, errors in exc.error_dict.items():
                # An error about a field the form does not show goes to the form's summary.
                shown = field in form.fields and not form.fields[field].widget.is_hidden
                form.add_error(field if shown else None, errors)
        else:
            form.add_error(None, exc)
    except ObjectDoesNotExist as exc:
        raise Http404(_("Not found.")) from exc
    return None


def _saved(form: Form, write: Callable[[], object]) -> bool:
    """The form is valid and the service accepted it."""
    return form.is_valid() and _attempt(form, write) is not None


# --- Coach --------------------------------------------------------------------------------------


@role_required("coach")
def coach_home(request: TenantRequest, org_slug: str) -> HttpResponse:
    fmt = requested_format(request)
    if fmt:  # the roster table, every coachee
        rows = queries.roster_export_rows(queries.coachees_of(request.membership))
        return tabular_response(fmt, "coachees", queries.ROSTER_EXPORT_HEADERS, rows)
    show = request.GET.get("show", "all")
    show = show if show in queries.ROSTER_VIEWS else "all"
    q = request.GET.get("q", "").strip()[:100]
    coach = request.membership
    # The latest roll-up period and the home's own counts ride on the roster summary's one
    # statement; the roster's partial shows neither those counts nor the first coachees to
    # talk to.
    home = not request.htmx
    now = timezone.now()
    # The home's sessions and engagements ride on the same statement (``fetch_row_sets``).
    summary = queries.roster_summary(
        coach,
        home_counts=home,
        attention=home,
        now=now,
        home_reads=queries.home_reads(coach, now) if home else (),
        # The roster's first page, the one most visits show, rides on it too.
        first_page=show if not q and request.GET.get("page", "1") == "1" else None,
    )
    period = summary.period
    page = queries.roster_page(coach, period, show, q, request.GET.get("page"), summary)
    urls = page_parts.HomeUrls.of(org_slug)
    roster = page_parts.roster_parts(summary, page, show, q, urls.home)
    if not home:
        context = {"summary": summary, "roster": roster}
        return render(request, "coaching/coach_home.html#roster", context)
    top = page_parts.home_top(queries.coach_home(coach, now, period=period, summary=summary), urls)
    content = page_parts.home_content(top, summary, roster)
    return page_response(request, words().literal("Coaching"), content)


@role_required("coach")
def coach_sessions(request: TenantRequest, org_slug: str) -> HttpResponse:
    fmt = requested_format(request)
    if fmt:
        rows = queries.coach_session_export_rows(request.membership)
        return tabular_response(fmt, "coaching-sessions", queries.SESSION_EXPORT_HEADERS, rows)
    page = queries.coach_sessions(request.membership, request.GET.get("page"))
    return render(
        request,
        "coaching/session_list.html",
        {"page": page, "content": page_parts.session_list(page, org_slug)},
    )


@role_required("coach")
def session_new(request: TenantRequest, org_slug: str) -> HttpResponse:
    coach = request.membership
    form = SessionForm(coach, request.POST or None, initial={"kind": "one_to_one"})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        plan = services.SessionPlan(
            d["title"], d["starts_at"], d["minutes"], d["mode"], d["location"],
            d["conversation_template"],
        )  # fmt: skip
        one_to_one = d["kind"] == CoachingSession.Kind.ONE_TO_ONE
        session = _attempt(
            form,
            lambda: services.do_schedule_session(
                coach,
                plan,
                engagement=d["engagement"] if one_to_one else None,
                cohort=None if one_to_one else d["cohort"],
                participants=[] if one_to_one else list(d["participants"]),
                capacity=d["capacity"] or 1,
                project=d.get("project"),
            ),
        )
        if session is not None:
            messages.success(request, _("Session scheduled; invitations are on their way."))
            return redirect("session_detail", org_slug=org_slug, session_id=session.pk)
    return render(request, "coaching/session_form.html", {"form": form})


@role_required("coach")
def session_edit(request: TenantRequest, org_slug: str, session_id: int) -> HttpResponse:
    session = get_object_or_404(CoachingSession, pk=session_id, coach=request.membership)
    initial = {
        "starts_at": session.starts_at,
        "minutes": session.minutes,
        "mode": session.mode,
        "location": session.location,
    }
    form = RescheduleForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        done = _attempt(
            form,
            lambda: services.do_reschedule_session(
                request.membership, session.pk, **form.cleaned_data
            ),
        )
        if done is not None:
            messages.success(request, _("Session moved; participants get an update."))
            return redirect("session_detail", org_slug=org_slug, session_id=session.pk)
    return render(request, "coaching/session_edit.html", {"form": form, "session": session})


@require_POST
@role_required("coach")
def session_cancel(request: TenantRequest, org_slug: str, session_id: int) -> HttpResponse:
    try:
        services.do_cancel_session(request.membership, session_id)
    except ObjectDoesNotExist as exc:
        raise Http404 from exc
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Session cancelled; participants get a cancellation."))
    return redirect("session_detail", org_slug=org_slug, session_id=session_id)


@role_required("coach")
def session_log(request: TenantRequest, org_slug: str, session_id: int) -> HttpResponse:
    detail = _or_404(queries.session_detail, request.membership, session_id)
    if not detail.is_coach:
        raise Http404
    participants = [(p.learner_id, p.name) for p in detail.participants]
    form = SessionLogForm(
        participants,
        request.POST or None,
        initial={
            "actual_minutes": detail.row.minutes,
            "project": detail.project.id if detail.project else None,
        },
        projects=queries.linkable_projects(detail),
    )
    if request.method == "POST" and form.is_valid():
        log = _session_log(form, participants)
        outcome = _attempt(
            form, lambda: services.do_log_session(request.membership, session_id, log)
        )
        if outcome is not None:
            messages.success(request, _log_message(outcome))
            return redirect("session_detail", org_slug=org_slug, session_id=session_id)
    return render(request, "coaching/session_log.html", {"form": form, "detail": detail})


def _session_log(form: SessionLogForm, participants: list[tuple[int, str]]) -> services.SessionLog:
    d = form.cleaned_data
    attendance = {lid: d[f"attendance_{lid}"] for lid, _name in participants}
    agreed = []
    if d["exp_action"].strip():
        chosen = d["exp_learner"] if d["exp_learner"] not in (None, "") else participants[0][0]
        for_whom = (
            [lid for lid, a in attendance.items() if a == SessionParticipant.Attendance.ATTENDED]
            if chosen == EVERY_PARTICIPANT
            else [chosen]
        )
        agreed = [
            services.AgreedItem(
                learner_id=lid,
                action=d["exp_action"],
                due_on=d["exp_due_on"],
                hypothesis=d["exp_hypothesis"],
                where=d["exp_where"],
            )
            for lid in for_whom
        ]
    return services.SessionLog(
        attendance=attendance,
        actual_minutes=d["actual_minutes"],
        competencies=list(d["competencies"]),
        private_notes=d["private_notes"],
        shared_summary=d["shared_summary"],
        agreed=agreed,
        project=d["project"] if "project" in form.fields else services.Keep.KEEP,
    )


def _log_message(outcome: services.LogOutcome) -> str:
    text = _("Session logged.")
    if outcome.steps_completed:
        text += " " + _("%(n)s pathway coaching step(s) completed.") % {
            "n": outcome.steps_completed
        }
    if outcome.steps_not_open:
        text += " " + _("Not open yet, so not completed: %(steps)s.") % {
            "steps": "; ".join(outcome.steps_not_open)
        }
    return text


@role_required("coach", "learner")
def session_detail(request: TenantRequest, org_slug: str, session_id: int) -> HttpResponse:
    detail = _or_404(queries.session_detail, request.membership, session_id)
    others = [
        (p.learner_id, p.name)
        for p in detail.participants
        if p.learner_id != request.membership.pk
        and p.attendance == SessionParticipant.Attendance.ATTENDED
        and p.learner_id not in detail.feedback_given_to
    ]
    context = {
        "detail": detail,
        "rate_form": RateForm(initial={"rating": detail.my_rating}),
        "feedback_form": PeerFeedbackForm(others) if others else None,
    }
    return render(request, "coaching/session_detail.html", context)


@require_POST
@role_required("learner")
def session_rate(request: TenantRequest, org_slug: str, session_id: int) -> HttpResponse:
    form = RateForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Rate the session from 1 (not useful) to 5 (very useful)."))
    else:
        try:
            services.do_rate_session(request.membership, session_id, form.cleaned_data["rating"])
        except ObjectDoesNotExist as exc:
            raise Http404 from exc
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Thank you: your rating helps your coach."))
    return redirect("session_detail", org_slug=org_slug, session_id=session_id)


@require_POST
@role_required("learner")
def session_feedback(request: TenantRequest, org_slug: str, session_id: int) -> HttpResponse:
    detail = _or_404(queries.session_detail, request.membership, session_id)
    others = [(p.learner_id, p.name) for p in detail.participants]
    form = PeerFeedbackForm(others, request.POST)
    if form.is_valid():
        d = form.cleaned_data
        done = _attempt(
            form,
            lambda: services.do_give_peer_feedback(
                request.membership, session_id, d["recipient"],
                what_worked=d["what_worked"], what_to_try=d["what_to_try"],
            ),
        )  # fmt: skip
        if done is not None:
            messages.success(request, _("Feedback sent; only its recipient sees it."))
            return redirect("session_detail", org_slug=org_slug, session_id=session_id)
    messages.error(request, _problems(form))
    return redirect("session_detail", org_slug=org_slug, session_id=session_id)


# --- Engagements ----------------------------------------------------------------------------


@role_required("admin")
def engagement_list(request: TenantRequest, org_slug: str) -> HttpResponse:
    query = request.GET.get("q", "").strip()
    fmt = requested_format(request)
    if fmt:
        rows = queries.engagement_export_rows(query)
        name = f"{org_slug}-coaching-engagements"
        return tabular_response(fmt, name, queries.ENGAGEMENT_EXPORT_HEADERS, rows)
    page = queries.engagement_page(request.GET.get("page"), query)
    context = {
        "page": page,
        "content": page_parts.engagement_list(page, query, org_slug),
        "pager": page_parts.engagement_pager(page, query),
        "q": query,
        "query": urlencode({"q": query}) if query else "",
    }
    return render(request, "coaching/engagement_list.html", context)


@role_required("admin")
def engagement_new(request: TenantRequest, org_slug: str) -> HttpResponse:
    form = EngagementForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        engagement = _attempt(form, lambda: services.do_create_engagement(**form.cleaned_data))
        if engagement is not None:
            messages.success(request, _("Coaching engagement created."))
            return redirect("engagement_list", org_slug=org_slug)
    return render(request, "coaching/engagement_form.html", {"form": form})


@role_required("admin")
def engagement_pair_cohort(request: TenantRequest, org_slug: str) -> HttpResponse:
    """The cohort set-up: one coach for every learner of a cohort who has none yet."""
    form = PairCohortForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        made = _attempt(form, lambda: services.do_pair_cohort(**form.cleaned_data))
        if made is not None:
            messages.success(
                request,
                _("%(n)s coachee(s) paired with %(coach)s.")
                % {"n": len(made), "coach": form.cleaned_data["coach"].user.display_name},
            )
            return redirect("engagement_list", org_slug=org_slug)
    return render(request, "coaching/engagement_pair.html", {"form": form})


# The forms of the engagement page: context name -> (class, id prefix, section partial).
ENGAGEMENT_FORMS: dict[str, tuple[type[Form], str, str]] = {
    "goal_form": (GoalForm, "goal", "goals"),
    "experiment_form": (ExperimentForm, "experiment", "experiments"),
    "observation_form": (ObservationForm, "observation", "observations"),
    "rehearsal_form": (RehearsalForm, "rehearsal", "rehearsals"),
    "note_form": (NoteForm, "note", "notes"),
}


def _engagement_form(name: str, detail: queries.EngagementDetail, data: Any = None) -> Form:
    """One form of the engagement page, its field ids unique on the page."""
    form_class, prefix, _section = ENGAGEMENT_FORMS[name]
    if form_class is ExperimentForm:
        return ExperimentForm(data, auto_id=f"{prefix}_%s", projects=detail.projects)
    return form_class(data, auto_id=f"{prefix}_%s")


def _forms_for(role: str) -> list[str]:
    """The engagement page's forms a reader in ``role`` (coach, coachee, sponsor) may use."""
    names = ["note_form"]
    if role != "sponsor":
        names += ["goal_form", "experiment_form"]
    if role == "coach":
        names += ["observation_form", "rehearsal_form"]
    return names


def _engagement_context(detail: queries.EngagementDetail, **bound: Form) -> dict[str, Any]:
    """The page's context: the forms its reader's role may use, ``bound`` ones as submitted."""
    context: dict[str, Any] = {"detail": detail}
    for name in _forms_for(detail.role):
        context[name] = bound.get(name) or _engagement_form(name, detail)
    return context


@role_required("coach", "learner", "sponsor")
def engagement_detail(request: TenantRequest, org_slug: str, engagement_id: int) -> HttpResponse:
    detail = _or_404(queries.engagement_detail, request.membership, engagement_id)
    return render(request, "coaching/engagement_detail.html", _engagement_context(detail))


def _focus_first_problem(form: Form) -> None:
    """Put the keyboard on the first field in error (or the first field, when the error is
    about the whole form); the summary above the fields announces every error."""
    names = [name for name in form.fields if name in form.errors] or list(form.fields)
    for name in names:
        if not form.fields[name].widget.is_hidden:
            form.fields[name].widget.attrs["autofocus"] = True
            return


def _engagement_write(
    request: TenantRequest,
    engagement_id: int,
    name: str,
    write: Callable[[Form, queries.EngagementDetail], object],
    ok: str,
) -> HttpResponse:
    """Validate the page's form ``name`` and call ``write(form, detail)``. Saved: back to the
    page with ``ok`` (htmx: the section again, with the new row and ``ok``). Refused: the form
    again beside its list, with each error next to its field and nothing saved."""
    detail = _or_404(queries.engagement_detail, request.membership, engagement_id)
    if name not in _forms_for(detail.role):
        raise Http404
    form = _engagement_form(name, detail, request.POST)
    section = ENGAGEMENT_FORMS[name][2]
    template = "coaching/engagement_detail.html"
    if _saved(form, lambda: write(form, detail)):
        if not request.htmx:
            messages.success(request, ok)
            return redirect(
                "engagement_detail", org_slug=request.org.slug, engagement_id=engagement_id
            )
        detail = queries.engagement_detail(request.membership, engagement_id)
        context = {**_engagement_context(detail), "saved": section, "saved_message": ok}
        return render(request, f"{template}#{section}", context)
    _focus_first_problem(form)
    context = _engagement_context(detail, **{name: form})
    return render(request, f"{template}#{section}" if request.htmx else template, context)


def _problems(form: Form) -> str:
    return " ".join(
        f"{form.fields[f].label}: {e}" if f in form.fields else str(e)
        for f, errors in form.errors.items()
        for e in errors
    )


@require_POST
@role_required("coach", "learner")
def goal_new(request: TenantRequest, org_slug: str, engagement_id: int) -> HttpResponse:
    return _engagement_write(
        request,
        engagement_id,
        "goal_form",
        lambda form, _detail: services.do_set_goal(
            request.membership, engagement_id, **form.cleaned_data
        ),
        _("Goal set."),
    )


@require_POST
@role_required("coach", "learner")
def goal_update(request: TenantRequest, org_slug: str, goal_id: int) -> HttpResponse:
    form = GoalUpdateForm(request.POST)
    if _saved(
        form, lambda: services.do_update_goal(request.membership, goal_id, **form.cleaned_data)
    ):
        messages.success(request, _("Goal updated."))
    else:
        messages.error(request, _problems(form))
    return redirect(_back(request))


@require_POST
@role_required("coach", "learner")
def experiment_new(request: TenantRequest, org_slug: str, engagement_id: int) -> HttpResponse:
    return _engagement_write(
        request,
        engagement_id,
        "experiment_form",
        lambda form, _detail: services.do_add_experiment(
            request.membership, engagement_id, **form.cleaned_data
        ),
        _("Experiment agreed."),
    )


@require_POST
@role_required("coach", "learner")
def experiment_close(request: TenantRequest, org_slug: str, experiment_id: int) -> HttpResponse:
    form = ExperimentCloseForm(request.POST)
    if _saved(
        form,
        lambda: services.do_close_experiment(
            request.membership, experiment_id, **form.cleaned_data
        ),
    ):
        messages.success(request, _("Experiment closed: what you learned is kept."))
    else:
        messages.error(request, _problems(form))
    return redirect(_back(request))


def _back(request: HttpRequest) -> str:
    """Back to the coaching page the form was on (only our own paths)."""
    target = request.POST.get("next", "")
    org = getattr(request, "org", None)
    if org is not None and target.startswith(f"/o/{org.slug}/"):
        return target
    return reverse("my_coaching", args=[org.slug]) if org is not None else "/"


@require_POST
@role_required("coach", "learner", "sponsor")
def note_new(request: TenantRequest, org_slug: str, engagement_id: int) -> HttpResponse:
    return _engagement_write(
        request,
        engagement_id,
        "note_form",
        lambda form, _detail: services.do_add_three_way_note(
            request.membership, engagement_id, form.cleaned_data["text"]
        ),
        _("Three-way note added; the coach, coachee and sponsor see it."),
    )


@require_POST
@role_required("coach")
def observation_new(request: TenantRequest, org_slug: str, engagement_id: int) -> HttpResponse:
    return _engagement_write(
        request,
        engagement_id,
        "observation_form",
        lambda form, detail: services.do_record_observation(
            request.membership, Membership.objects.get(pk=detail.coachee_id), **form.cleaned_data
        ),
        _("Observation recorded; it joins the learner's evidence."),
    )


@require_POST
@role_required("coach")
def rehearsal_new(request: TenantRequest, org_slug: str, engagement_id: int) -> HttpResponse:
    return _engagement_write(
        request,
        engagement_id,
        "rehearsal_form",
        lambda form, _detail: services.do_assign_rehearsal(
            request.membership, engagement_id, **form.cleaned_data
        ),
        _("Scenario assigned to rehearse."),
    )


@require_POST
@role_required("learner")
def rehearsal_consent(request: TenantRequest, org_slug: str, rehearsal_id: int) -> HttpResponse:
    consent = request.POST.get("consent") == "yes"
    try:
        services.do_consent_rehearsal(request.membership, rehearsal_id, consent)
    except ObjectDoesNotExist as exc:
        raise Http404 from exc
    messages.success(
        request,
        _("Your coach can now see this rehearsal's debrief.")
        if consent
        else _("Your coach no longer sees this rehearsal's debrief."),
    )
    return redirect("my_coaching", org_slug=org_slug)


# --- Learner ------------------------------------------------------------------------------------


@role_required("learner")
def my_coaching(request: TenantRequest, org_slug: str) -> HttpResponse:
    context = {
        "c": queries.learner_coaching(request.membership),
        "close_form": ExperimentCloseForm(),
        "goal_update_form": GoalUpdateForm(),
        "invite_form": InviteObserverForm(request.membership),
    }
    return render(request, "coaching/my_coaching.html", context)


@role_required("learner")
def journal(request: TenantRequest, org_slug: str) -> HttpResponse:
    form = JournalForm(request.POST or None, initial={"prompt": request.GET.get("prompt", "")})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        entry = _attempt(
            form,
            lambda: services.do_write_journal(
                request.membership, text=d["text"], prompt=d["prompt"]
            ),
        )
        if entry is not None:
            messages.success(request, _("Saved to your private journal."))
            return redirect("journal", org_slug=org_slug)
    context = {
        "form": form,
        "entries": queries.journal(request.membership),
        "prompts": queries.journal_prompts(request.membership),
        "prompt": request.GET.get("prompt", ""),
    }
    return render(request, "coaching/journal.html", context)


@require_POST
@role_required("learner")
def journal_share(request: TenantRequest, org_slug: str, entry_id: int) -> HttpResponse:
    share = request.POST.get("share") == "yes"
    try:
        services.do_share_journal_entry(request.membership, entry_id, share)
    except ObjectDoesNotExist as exc:
        raise Http404 from exc
    messages.success(
        request,
        _("Shared with your coach.") if share else _("Withdrawn: your coach no longer sees it."),
    )
    return redirect("journal", org_slug=org_slug)


@require_POST
@role_required("learner")
def observer_invite(request: TenantRequest, org_slug: str) -> HttpResponse:
    form = InviteObserverForm(request.membership, request.POST)
    if _saved(
        form, lambda: services.do_invite_observer(request.membership, form.cleaned_data["peer"])
    ):
        messages.success(request, _("Invited: they can now record an observation of you."))
    else:
        messages.error(request, _problems(form))
    return redirect("my_coaching", org_slug=org_slug)


@role_required("learner", "coach")
def observe_peer(request: TenantRequest, org_slug: str, learner_id: int) -> HttpResponse:
    """A colleague the learner invited records an observation of them."""
    learner = get_object_or_404(Membership, pk=learner_id)
    if services.observer_kind_for(request.membership, learner) is None:
        raise Http404
    form = ObservationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        done = _attempt(
            form,
            lambda: services.do_record_observation(
                request.membership, learner, **form.cleaned_data
            ),
        )
        if done is not None:
            messages.success(request, _("Thank you: your observation was recorded."))
            return redirect("org_home", org_slug=org_slug)
    return render(request, "coaching/observe.html", {"form": form, "learner": learner})


# --- Calendar -----------------------------------------------------------------------------------


@role_required("learner", "coach")
def my_calendar(request: TenantRequest, org_slug: str) -> HttpResponse:
    if request.method == "POST":
        services.do_reset_calendar_feed(request.membership)
        messages.success(request, _("New calendar address made; the old one no longer works."))
        return redirect("my_calendar", org_slug=org_slug)
    secret = queries.active_feed_secret(request.membership)
    url = (
        request.build_absolute_uri(reverse("calendar_feed", args=[f"{request.org.pk}-{secret}"]))
        if secret
        else ""
    )
    return render(request, "coaching/my_calendar.html", {"feed_url": url})


@require_GET
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """A person's sessions as an ICS feed, reached by the secret URL alone (no session)."""
    org_id, _sep, secret = token.partition("-")
    if not org_id.isdigit() or not secret:
        raise Http404
    org = Organization.objects.filter(pk=int(org_id), is_active=True).first()
    if org is None:
        raise Http404
    with tenant_context(org):
        from coaching.models import CalendarFeed

        feed = (
            CalendarFeed.objects.filter(
                secret=secret, revoked_at__isnull=True, membership__is_active=True
            )
            .select_related("membership__user")
            .first()
        )
        if feed is None:
            raise Http404
        events = [
            session_event(s, cancelled=s.status == CoachingSession.Status.CANCELLED)
            for s in queries.feed_sessions(feed.membership)
        ]
        body = calendar(events, org.time_zone, None, name=f"Pathwise coaching · {org.name}")
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, max-age=300"
    return response


# --- Admin and sponsor: counts only ---------------------------------------------------------


@role_required("admin", "sponsor")
def coaching_report(request: TenantRequest, org_slug: str) -> HttpResponse:
    admin = request.membership.is_admin
    cohorts = Cohort.objects.order_by("name")
    if not admin:
        cohorts = cohorts.filter(sponsors=request.membership)
    names = dict(cohorts.values_list("pk", "name"))
    report = queries.coaching_report(list(names), names, by_coach=admin)
    fmt = requested_format(request)
    if fmt:
        return tabular_response(fmt, "coaching-summary", report.headers, report.table_rows)
    return render(request, "coaching/report.html", {"report": report, "admin": admin})
