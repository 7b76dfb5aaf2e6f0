"""Cohort pages for HR admins: list, create, edit, learners, coaches and sponsors."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from html import escape  # the standard library's: Django's wraps it for lazy text, per call
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dates import MONTHS_3, WEEKDAYS_ABBR
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from measurement.queries import programme_health
from organizations import relative_dates as words
from organizations.exports import requested_format, tabular_response
from organizations.http import TenantRequest
from organizations.models import Membership
from organizations.roles import role_required
from pathways.cohorts import queries, services
from pathways.cohorts.forms import AddLearnerForm, CohortForm, LearnerFilterForm, StaffForm
from pathways.cohorts.queries import COHORT_EXPORT_HEADERS, cohort_export_rows
from pathways.models import Cohort, Enrollment


def _flash_error(request: TenantRequest, exc: ValidationError) -> None:
    messages.error(request, " ".join(exc.messages))


def _staff_forms(choices: queries.Choices, data: Any = None) -> dict[str, StaffForm]:
    return {
        "coach": StaffForm(data, people=choices.coaches, label=_("Coach"), prefix="coach"),
        "sponsor": StaffForm(data, people=choices.sponsors, label=_("Sponsor"), prefix="sponsor"),
    }


@role_required("admin")
def cohort_list(request: TenantRequest, org_slug: str) -> HttpResponse:
    health = programme_health()
    fmt = requested_format(request)
    if fmt is not None:
        rows = cohort_export_rows(health.cohorts)
        return tabular_response(fmt, f"{org_slug}-cohorts", COHORT_EXPORT_HEADERS, rows)
    return render(
        request, "pathways/cohorts/cohort_list.html", {"cohorts": health.cohorts, "health": health}
    )


@role_required("admin")
def cohort_create(request: TenantRequest, org_slug: str) -> HttpResponse:
    form = CohortForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            cohort = services.do_create_cohort(request.user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Cohort “%s” created. Now add its learners.") % cohort.name)
            return redirect("cohort_detail", org_slug=org_slug, cohort_id=cohort.pk)
    has_versions = form.has_versions()
    return render(
        request,
        "pathways/cohorts/cohort_form.html",
        {"form": form, "cohort": None, "has_versions": has_versions},
    )


@role_required("admin")
def cohort_edit(request: TenantRequest, org_slug: str, cohort_id: int) -> HttpResponse:
    cohort = get_object_or_404(Cohort.objects.select_related("version__pathway"), pk=cohort_id)
    initial = {
        "name": cohort.name,
        "start_date": cohort.start_date,
        "end_date": cohort.end_date,
        "status": cohort.status,
    }
    form = CohortForm(request.POST or None, initial=initial, editing=True)
    if request.method == "POST" and form.is_valid():
        try:
            services.do_update_cohort(request.user, cohort, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Saved “%s”.") % cohort.name)
            return redirect("cohort_detail", org_slug=org_slug, cohort_id=cohort.pk)
    return render(request, "pathways/cohorts/cohort_form.html", {"form": form, "cohort": cohort})


# A number no URL argument takes, reversed in place of an id and replaced by each row's id.
_ID_MARK = 987654321987


def _url_with_id(name: str, *args: Any) -> tuple[str, str]:
    """The URL ``name`` for ``args`` and a last id argument, split around that id: the table's
    fifty rows join their id in rather than reversing the URL fifty times."""
    before, after = reverse(name, args=[*args, _ID_MARK]).split(str(_ID_MARK))
    return before, after


def _learner_table(
    request: TenantRequest, org_slug: str, cohort_id: int, version: int, rows: Iterable[Any]
) -> SafeString:
    """The learners table's rows as HTML, put together in Python once per page: a template
    would resolve, translate and reverse in every row (the rows are what the template wrote:
    the same words, links, forms and accessible names). Empty without rows."""
    person = _url_with_id("person_detail", org_slug)
    withdraw = _url_with_id("enrollment_withdraw", org_slug, cohort_id)
    csrf = format_html(
        '<input type="hidden" name="csrfmiddlewaretoken" value="{}">', get_token(request)
    )
    steps_of = _("%(done)s of %(total)s steps")
    progress_of = _("Progress of %(name)s")
    confirm = _(
        "Withdraw %(name)s from this cohort? Their steps stop appearing on their home page; "
        "their progress is kept and comes back if you add them again."
    )
    withdrawn_badge = f'<span class="badge badge--retired">{escape(_("Withdrawn"))}</span>'
    uncounted = f'<span class="muted">{escape(_("not counted yet"))}</span>'
    not_started = f'<span class="badge badge--locked">{escape(_("Not started"))}</span>'
    withdraw_word = escape(_("Withdraw"))
    moment = _Moments()
    overdue_badges: dict[int, str] = {}
    html = []
    for lp in rows:
        name = escape(lp.name)
        steps = escape(steps_of % {"done": lp.steps_done, "total": lp.steps_total})
        if lp.withdrawn:
            progress = (
                f'{withdrawn_badge}\n          <span class="progress-label">{steps}</span>\n'
                "          "
            )
        elif not lp.counted:
            progress = f"{uncounted}\n          "
        else:
            if lp.not_started:
                bar = not_started
            else:
                done = " progress--done" if lp.status == Enrollment.Status.COMPLETED else ""
                bar = (
                    f'<progress class="progress progress--small{done}"'
                    f' max="{lp.steps_total or 1}" value="{lp.steps_done}"'
                    f' aria-label="{escape(progress_of % {"name": lp.name})}"></progress>'
                )
            progress = f'{bar}\n          <span class="progress-label">{steps}</span>'
        overdue = lp.steps_overdue
        if not overdue:
            overdue_cell = "—"
        elif (overdue_cell := overdue_badges.get(overdue, "")) == "":
            words = ngettext("%(n)s step overdue", "%(n)s steps overdue", overdue) % {"n": overdue}
            overdue_cell = f'<span class="badge badge--overdue">{escape(words)}</span>'
            overdue_badges[overdue] = overdue_cell
        badge = (
            f' <span class="badge badge--draft">v{lp.version}</span>'
            if lp.version != version
            else ""
        )
        action = (
            ""
            if lp.withdrawn
            else (
                f'<form method="post" action="{withdraw[0]}{lp.enrollment_id}{withdraw[1]}"'
                f' data-confirm="{escape(confirm % {"name": lp.name})}">{csrf}'
                f'<button class="btn btn--link btn--small" type="submit">{withdraw_word}'
                f'<span class="visually-hidden"> {name}</span></button></form>'
            )
        )
        html.append(
            "\n      <tr>\n"
            f'        <th scope="row"><a href="{person[0]}{lp.membership_id}{person[1]}">{name}</a>'
            f'<br><span class="muted">{escape(lp.email)}</span>{badge}</th>\n'
            f"        <td>{escape(lp.team) if lp.team else '—'}</td>\n"
            f"        <td>{progress}</td>\n"
            f"        <td>{overdue_cell}</td>\n"
            f"        <td>{moment(lp.last_activity) if lp.last_activity else '—'}</td>\n"
            f"        <td>{action}</td>\n"
            "      </tr>\n    "
        )
    return SafeString("".join(html))


class _Moments:
    """What ``{{ value|relative_time }}`` writes, for one now and time zone (a page's): the
    day and month names of ``relative_dates.long_datetime`` translated once, not per row."""

    def __init__(self) -> None:
        self.now, self.zone = timezone.now(), timezone.get_current_timezone()
        self.days = [str(day) for _n, day in sorted(WEEKDAYS_ABBR.items())]
        self.months = {n: str(month).title() for n, month in MONTHS_3.items()}

    def __call__(self, value: dt.datetime) -> str:
        local = value.astimezone(self.zone)
        exact = (
            f"{self.days[local.weekday()]} {local.day} {self.months[local.month]} "
            f"{local.year:04d}, {local.hour:02d}:{local.minute:02d}"
        )
        return (
            f'<time datetime="{local.isoformat(timespec="seconds")}" title="{escape(exact)}">'
            f"{escape(words.relative_time(value, self.now, self.zone))}</time>"
        )


@role_required("admin")
def cohort_detail(request: TenantRequest, org_slug: str, cohort_id: int) -> HttpResponse:
    try:
        overview, period, last_reminder = queries.cohort_page(cohort_id)
    except Cohort.DoesNotExist as exc:
        raise Http404 from exc
    show = request.GET.get("show", "all")
    show = show if show in queries.SHOW_FILTERS else "all"
    q = request.GET.get("q", "").strip()[:100]
    fmt = requested_format(request)
    if fmt is not None:
        rows = queries.progress_export_rows(overview.cohort, period, show, q)
        name = f"{org_slug}-{overview.cohort.name}-progress"
        return tabular_response(fmt, name, queries.PROGRESS_EXPORT_HEADERS, rows)
    page = queries.learner_page(
        overview.cohort, period, show, q, request.GET.get("page"), overview=overview
    )
    context = {
        "detail": overview,
        "cohort": overview.cohort,
        "page": page,
        "rows": _learner_table(
            request, org_slug, overview.cohort.pk, overview.version, page.object_list
        ),
        "show": show,
        "q": q,
        "query": urlencode({"show": show, "q": q} if q else {"show": show}),
        "tabs": [
            ("all", _("All"), None),
            ("not_started", _("Not started"), overview.not_started),
            ("overdue", _("Overdue"), overview.learners_overdue),
            ("withdrawn", _("Withdrawn"), overview.withdrawn),
        ],
    }
    template = "pathways/cohorts/cohort_detail.html"
    if request.htmx:
        return render(request, f"{template}#learners", context)
    choices, coaches, sponsors = queries.cohort_choices_and_staff(overview.cohort.pk)
    staff_forms = _staff_forms(choices)
    context |= {
        "add_form": AddLearnerForm(),
        "filter_form": LearnerFilterForm(choices=choices),
        "last_reminder": last_reminder,
        "staff_sections": [
            ("coach", coaches, staff_forms["coach"]),
            ("sponsor", sponsors, staff_forms["sponsor"]),
        ],
    }
    return render(request, template, context)


@require_POST
@role_required("admin")
def cohort_add_learner(request: TenantRequest, org_slug: str, cohort_id: int) -> HttpResponse:
    cohort = get_object_or_404(Cohort, pk=cohort_id)
    form = AddLearnerForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
    else:
        member = form.cleaned_data["email"]
        try:
            services.do_enrol_learner(request.user, cohort, member)
        except ValidationError as exc:
            _flash_error(request, exc)
        else:
            messages.success(request, _("%s added to the cohort.") % member.user.email)
    return redirect("cohort_detail", org_slug=org_slug, cohort_id=cohort_id)


@role_required("admin")
def cohort_add_matching(request: TenantRequest, org_slug: str, cohort_id: int) -> HttpResponse:
    """GET: how many learners the filter would add (htmx preview); POST: add them."""
    cohort = get_object_or_404(Cohort, pk=cohort_id)
    data = request.POST if request.method == "POST" else request.GET
    form = LearnerFilterForm(data, choices=queries.cohort_choices())
    if not form.is_valid():
        messages.error(request, _("Choose the filter again: one of its values is not known."))
        return redirect("cohort_detail", org_slug=org_slug, cohort_id=cohort_id)
    learner_filter = queries.LearnerFilter(**form.cleaned_data)
    if request.method == "POST":
        added = services.do_enrol_matching(request.user, cohort, learner_filter)
        messages.success(request, _("%(n)s learner(s) added to the cohort.") % {"n": added})
        return redirect("cohort_detail", org_slug=org_slug, cohort_id=cohort_id)
    to_add, already = queries.matching_learners(cohort, learner_filter)
    context = {"cohort": cohort, "to_add": len(to_add), "already": already, "form": form}
    template = "pathways/cohorts/add_matching.html"
    return render(request, f"{template}#preview" if request.htmx else template, context)


@require_POST
@role_required("admin")
def enrollment_withdraw(
    request: TenantRequest, org_slug: str, cohort_id: int, enrollment_id: int
) -> HttpResponse:
    enrollment = get_object_or_404(
        Enrollment.objects.select_related("cohort", "learner__user"),
        pk=enrollment_id,
        cohort_id=cohort_id,
    )
    try:
        services.do_withdraw(request.user, enrollment)
    except ValidationError as exc:
        _flash_error(request, exc)
    else:
        messages.success(
            request,
            _("%s was withdrawn. Their progress is kept; add them again to restore it.")
            % enrollment.learner.user.email,
        )
    return redirect("cohort_detail", org_slug=org_slug, cohort_id=cohort_id)


@require_POST
@role_required("admin")
def cohort_staff_add(
    request: TenantRequest, org_slug: str, cohort_id: int, kind: str
) -> HttpResponse:
    cohort = get_object_or_404(Cohort, pk=cohort_id)
    if kind not in services.STAFF:
        raise Http404
    form = _staff_forms(queries.cohort_choices(), request.POST)[kind]
    if not form.is_valid():
        messages.error(request, _("Choose a person from the list."))
    else:
        member = get_object_or_404(
            Membership.objects.select_related("user"), pk=form.cleaned_data["membership"]
        )
        try:
            services.do_assign_staff(request.user, cohort, kind, member)
        except ValidationError as exc:
            _flash_error(request, exc)
        else:
            messages.success(request, _("%s assigned to the cohort.") % member.user.email)
    return redirect("cohort_detail", org_slug=org_slug, cohort_id=cohort_id)


@require_POST
@role_required("admin")
def cohort_staff_remove(
    request: TenantRequest, org_slug: str, cohort_id: int, kind: str, membership_id: int
) -> HttpResponse:
    cohort = get_object_or_404(Cohort, pk=cohort_id)
    member = get_object_or_404(Membership.objects.select_related("user"), pk=membership_id)
    if kind not in services.STAFF:
        raise Http404
    try:
        services.do_remove_staff(request.user, cohort, kind, member)
    except ValidationError as exc:
        _flash_error(request, exc)
    else:
        messages.success(request, _("%s is no longer assigned to this cohort.") % member.user.email)
    return redirect("cohort_detail", org_slug=org_slug, cohort_id=cohort_id)


@require_POST
@role_required("admin")
def cohort_remind_overdue(request: TenantRequest, org_slug: str, cohort_id: int) -> HttpResponse:
    cohort = get_object_or_404(Cohort, pk=cohort_id)
    try:
        reminder = services.do_remind_overdue(request.user, cohort, request.org)
    except ValidationError as exc:
        _flash_error(request, exc)
    else:
        n = len(reminder.recipients)
        messages.success(
            request,
            ngettext(
                "Reminder e-mailed to %(n)s overdue learner, with their overdue steps.",
                "Reminder e-mailed to %(n)s overdue learners, each with their overdue steps.",
                n,
            )
            % {"n": n},
        )
    return redirect("cohort_detail", org_slug=org_slug, cohort_id=cohort_id)
