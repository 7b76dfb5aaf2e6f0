"""Cohort pages for HR admins: list, create, edit, learners, coaches and sponsors."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from html import escape  # the standard library's: Django's wraps it for lazy text, per call
from typing import Any
from urllib.parse import quote

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.forms import Form
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dates import MONTHS_3, WEEKDAYS_ABBR
from django.utils.http import urlencode
from django.utils.safestring import SafeString
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect

from measurement import home_rows
from measurement.queries import programme_health
from organizations import relative_dates
from organizations.csrf_token import get_token
from organizations.exports import requested_format, tabular_response
from organizations.html_parts import escape_each, url, url_with_id, value_html
from organizations.http import TenantRequest
from organizations.models import Membership
from organizations.page_frame import csrf_input, page_response
from organizations.roles import role_required
from organizations.words import translated as _
from organizations.words import words
from pathways.cohorts import queries, services
from pathways.cohorts.forms import AddLearnerForm, CohortForm, LearnerFilterForm, StaffForm
from pathways.cohorts.queries import COHORT_EXPORT_HEADERS, cohort_export_rows
from pathways.models import Cohort, Enrollment

# ``cohort.get_status_display()``'s labels, each translated once per catalogue (``Words.label``).
_COHORT_STATUSES = dict(Cohort.Status.choices)


def _calendar_words() -> tuple[list[str], dict[int, str]]:
    """The abbreviated day names (Monday first) and the titled three-letter month names of
    ``relative_dates.long_datetime``, translated (kept per catalogue by ``_Moments``)."""
    days = [str(day) for _n, day in sorted(WEEKDAYS_ABBR.items())]
    return days, {n: str(month).title() for n, month in MONTHS_3.items()}


def _flash_error(request: TenantRequest, exc: ValidationError) -> None:
    messages.error(request, " ".join(exc.messages))


def _flash_form_errors(request: TenantRequest, form: Form) -> None:
    """A refused form's errors as one message (the page it posted from shows no bound form)."""
    messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))


@role_required("admin")
def cohort_list(request: TenantRequest, org_slug: str) -> HttpResponse:
    health = programme_health()
    fmt = requested_format(request)
    if fmt is not None:
        rows = cohort_export_rows(health.cohorts)
        return tabular_response(fmt, f"{org_slug}-cohorts", COHORT_EXPORT_HEADERS, rows)
    context = {
        "cohorts": health.cohorts,
        "health": health,
        "health_rows": home_rows.health_rows(health.cohorts, org_slug),
    }
    return render(request, "pathways/cohorts/cohort_list.html", context)


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


def _learner_table(
    request: TenantRequest,
    org_slug: str,
    cohort_id: int,
    version: int,
    rows: Iterable[Any],
    csrf: str | None = None,
) -> SafeString:
    """The learners table's rows as HTML, put together in Python once per page: a template
    would resolve, translate and reverse in every row (the rows are what the template wrote:
    the same words, links, forms and accessible names). Empty without rows. ``csrf``: the
    page's ``{% csrf_token %}`` input, when the page has written it already."""
    w = words()
    person = url_with_id("person_detail", org_slug)
    withdraw = url_with_id("enrollment_withdraw", org_slug, cohort_id)
    csrf = csrf or csrf_input(get_token(request))
    rows = list(rows)
    names = escape_each([lp.name for lp in rows])
    emails = escape_each([lp.email for lp in rows])
    # The sentences escaped once, each row's escaped name put in (escaping a text escapes each
    # of its characters: the same as escaping the sentence with the name in it).
    steps_of = escape(w["%(done)s of %(total)s steps"])
    progress_of = escape(w["Progress of %(name)s"])
    confirm = escape(
        w[
            "Withdraw %(name)s from this cohort? Their steps stop appearing on their home page; "
            "their progress is kept and comes back if you add them again."
        ]
    )
    withdrawn_badge = f'<span class="badge badge--retired">{escape(w["Withdrawn"])}</span>'
    uncounted = f'<span class="muted">{escape(w["not counted yet"])}</span>\n          '
    not_started = f'<span class="badge badge--locked">{escape(w["Not started"])}</span>'
    withdraw_word = escape(w["Withdraw"])
    completed = Enrollment.Status.COMPLETED
    moment = _Moments()
    overdue_badges: dict[int, str] = {}
    teams: dict[str, str] = {"": "—"}  # each team's name escaped once a page
    html = []
    for lp, name, email in zip(rows, names, emails, strict=True):
        withdrawn = lp.status == queries.WITHDRAWN
        done, total = lp.steps_done, lp.steps_total
        steps = steps_of % {"done": done, "total": total}
        if withdrawn:
            progress = (
                f'{withdrawn_badge}\n          <span class="progress-label">{steps}</span>\n'
                "          "
            )
        elif total is None:  # not counted yet
            progress = uncounted
        else:
            if done == 0:
                bar = not_started
            else:
                done_class = " progress--done" if lp.status == completed else ""
                bar = (
                    f'<progress class="progress progress--small{done_class}"'
                    f' max="{total or 1}" value="{done}"'
                    f' aria-label="{progress_of % {"name": name}}"></progress>'
                )
            progress = f'{bar}\n          <span class="progress-label">{steps}</span>'
        overdue = lp.steps_overdue
        if not overdue:
            overdue_cell = "—"
        elif (overdue_cell := overdue_badges.get(overdue, "")) == "":
            said = ngettext("%(n)s step overdue", "%(n)s steps overdue", overdue) % {"n": overdue}
            overdue_cell = f'<span class="badge badge--overdue">{escape(said)}</span>'
            overdue_badges[overdue] = overdue_cell
        badge = (
            f' <span class="badge badge--draft">v{lp.version}</span>'
            if lp.version != version
            else ""
        )
        action = (
            ""
            if withdrawn
            else (
                f'<form method="post" action="{withdraw(lp.enrollment_id)}"'
                f' data-confirm="{confirm % {"name": name}}">{csrf}'
                f'<button class="btn btn--link btn--small" type="submit">{withdraw_word}'
                f'<span class="visually-hidden"> {name}</span></button></form>'
            )
        )
        if (team := teams.get(lp.team)) is None:
            team = teams[lp.team] = escape(lp.team)
        html.append(
            "\n      <tr>\n"
            f'        <th scope="row"><a href="{person(lp.membership_id)}">{name}</a>'
            f'<br><span class="muted">{email}</span>{badge}</th>\n'
            f"        <td>{team}</td>\n"
            f"        <td>{progress}</td>\n"
            f"        <td>{overdue_cell}</td>\n"
            f"        <td>{moment(lp.last_activity) if lp.last_activity else '—'}</td>\n"
            f"        <td>{action}</td>\n"
            "      </tr>\n    "
        )
    return SafeString("".join(html))


class _Moments:
    """What ``{{ value|relative_time }}`` writes, for one now and time zone (a page's): the
    day and month names of ``relative_dates.long_datetime`` translated once per catalogue, and
    the words of a day before or after today (``relative_dates.relative_day``, what
    ``relative_time`` says from a day apart) once per day on the page."""

    def __init__(self) -> None:
        self.now, self.zone = timezone.now(), timezone.get_current_timezone()
        self.utc_now = self.now.astimezone(dt.UTC)
        self.today = timezone.localdate(self.now, timezone=self.zone)
        self.days, self.months = words().kept(_calendar_words, _calendar_words)
        # Escaped once: a title's other characters (digits, spaces, commas, colons) stay.
        self.title_days = [escape(day) for day in self.days]
        self.title_months = {n: escape(month) for n, month in self.months.items()}
        self.said: dict[dt.date, str] = {}  # a day's words, escaped

    def __call__(self, value: dt.datetime) -> str:
        local = value.astimezone(self.zone)
        # The year, hour and minute are the ISO text's own ("2026-12-05T14:05:33+00:00", the
        # year written with four digits as ``:04d`` writes it): sliced, not formatted again.
        iso = local.isoformat(timespec="seconds")
        title = (
            f"{self.title_days[local.weekday()]} {local.day} {self.title_months[local.month]} "
            f"{iso[:4]}, {iso[11:16]}"
        )
        day = local.date()
        # ``relative_time``'s calendar words: a day apart or more, on another date. ``utc_now``
        # is in UTC: the difference of two aware moments, whatever the value's zone.
        if abs((value - self.utc_now).total_seconds()) >= 86400 and day != self.today:
            said = self.said.get(day)
            if said is None:
                said = self.said[day] = escape(relative_dates.relative_day(day, self.today))
        else:
            said = escape(relative_dates.relative_time(value, self.now, self.zone))
        return f'<time datetime="{iso}" title="{title}">{said}</time>'

    def day_month_year(self, value: dt.date) -> str:
        """``date_format(value, "j M Y")``: "3 Dec 2026"."""
        return f"{value.day} {self.months[value.month]} {value.year:04d}"

    def dated(self, value: dt.datetime) -> str:
        """What ``{{ value|relative_time:"dated" }}`` writes: the moment in words with its
        exact date and time ("2 hours ago (3 Dec, 14:05)", the year when not this year's)."""
        local = value.astimezone(self.zone)
        clock = f"{local.hour:02d}:{local.minute:02d}"
        year = "" if local.year == self.now.astimezone(self.zone).year else f" {local.year:04d}"
        text = _("%(relative)s (%(date)s)") % {
            "relative": relative_dates.relative_time(value, self.now, self.zone),
            "date": f"{local.day} {self.months[local.month]}{year}, {clock}",
        }
        exact = (
            f"{self.days[local.weekday()]} {local.day} {self.months[local.month]} "
            f"{local.year:04d}, {clock}"
        )
        return (
            f'<time datetime="{local.isoformat(timespec="seconds")}" title="{escape(exact)}">'
            f"{escape(text)}</time>"
        )


def _header(
    org_slug: str,
    detail: queries.CohortOverview,
    last_reminder: queries.ReminderSent | None,
    csrf: str,
) -> SafeString:
    """The page's header, its figures and their freshness: what the template wrote, put
    together in Python (the same words, links and forms), its words looked up once per
    catalogue (``organizations.words``), its dates written as ``date_format`` and
    ``relative_time`` write them (tests/pathways/cohorts/page_before.py holds what they
    wrote)."""
    w = words()
    cohort = detail.cohort
    args = (org_slug, cohort.pk)
    moment = _Moments()
    lead = w["%(pathway)s (version %(version)s), from %(start)s"] % {
        "pathway": escape(detail.pathway),
        "version": detail.version,
        "start": escape(moment.day_month_year(cohort.start_date)),
    }
    if cohort.end_date:
        lead += " " + w["to %(end)s"] % {"end": escape(moment.day_month_year(cohort.end_date))}
    withdrawn = ""
    if detail.withdrawn:
        n = detail.withdrawn
        words_ = w.count("plus %(n)s withdrawn", "plus %(n)s withdrawn", n) % {"n": n}
        withdrawn = f'<span class="stat__base">{words_}</span>'
    overdue = detail.learners_overdue
    remind = ""
    if overdue:
        confirm = w.count(
            "E-mail a reminder to %(n)s overdue learner, listing their overdue steps? "
            "You can send one reminder a day.",
            "E-mail a reminder to %(n)s overdue learners, each listing their overdue steps? "
            "You can send one reminder a day.",
            overdue,
        ) % {"n": overdue}
        remind = (
            f'<form method="post" action="{escape(url("cohort_remind_overdue", *args))}"'
            f' data-confirm="{confirm}">{csrf}<button class="btn btn--secondary btn--small"'
            f' type="submit">{w["Remind overdue learners"]}</button></form>'
        )
    reminded = ""
    if last_reminder:
        n = last_reminder.learners
        if last_reminder.sent_at:
            sent = w.count(
                "Last reminder e-mailed %(when)s to %(n)s learner",
                "Last reminder e-mailed %(when)s to %(n)s learners",
                n,
            ) % {"when": moment.dated(last_reminder.sent_at), "n": n}
        else:
            sent = w.count(
                "A reminder to %(n)s learner is on its way.",
                "A reminder to %(n)s learners is on its way.",
                n,
            ) % {"n": n}
        reminded = f'<p class="stat__base">{sent}</p>'
    if detail.as_of:
        fresh = w[
            "Progress as of %(when)s: it is counted again whenever a learner completes a step, "
            "and every night."
        ] % {"when": moment.dated(detail.as_of)}
    else:
        fresh = w[
            "Progress has not been counted yet: it appears within a minute of the first "
            "learner's activity, and every night."
        ]
    if detail.pending:
        fresh += " " + w.count(
            "%(n)s learner added since then is counted next time.",
            "%(n)s learners added since then are counted next time.",
            detail.pending,
        ) % {"n": detail.pending}
    behind = w.count("%(n)s learner behind", "%(n)s learners behind", overdue) % {"n": overdue}
    steps = w["%(done)s of %(possible)s required steps"] % {
        "done": detail.steps_done,
        "possible": detail.steps_possible,
    }
    counted = w["of %(n)s learners counted"] % {"n": detail.counted}
    return SafeString(
        '<header class="page-header split">\n  <div>\n'
        f'    <p><a href="{escape(url("cohort_list", org_slug))}">← {w["Cohorts"]}'
        "</a></p>\n"
        f'    <h1 class="page-header__title">{escape(cohort.name)}</h1>\n'
        f'    <p class="page-header__lead">{lead} · <span class="badge badge--info">'
        f"{escape(w.label(_COHORT_STATUSES, cohort.status))}</span></p>\n"
        "  </div>\n"
        '  <div class="page-header__actions cluster">\n'
        f'    <a class="btn btn--primary" href="#add-learners">{w["Add learners"]}</a>\n'
        f'    <a class="btn btn--secondary" href="{escape(url("cohort_edit", *args))}">'
        f"{w['Edit']}</a>\n"
        f'    <a class="btn btn--link" href="{escape(url("cohort_statements", *args))}"'
        f" download>{w['Completions as xAPI (JSON)']}</a>\n"
        "  </div>\n</header>\n\n"
        '<div class="grid">\n'
        f'  <div class="stat"><span class="stat__value">{detail.active}</span>'
        f' <span class="stat__label">{w["learners"]}</span>{withdrawn}</div>\n'
        f'  <div class="stat"><span class="stat__value">{detail.percent}%</span>'
        f' <span class="stat__label">{w["of steps done"]}</span>'
        f'<span class="stat__base">{steps}</span></div>\n'
        f'  <div class="stat"><span class="stat__value">{detail.overdue_steps}</span>'
        f' <span class="stat__label">{w["overdue steps"]}</span>'
        f'<span class="stat__base">{behind}</span>\n'
        f"    {remind}\n"
        f"    {reminded}</div>\n"
        f'  <div class="stat"><span class="stat__value">{detail.not_started}</span>'
        f' <span class="stat__label">{w["not started"]}</span>'
        f'<span class="stat__base">{counted}</span></div>\n'
        "</div>\n"
        f'<p class="muted" id="progress-freshness">{fresh}</p>'
    )


def _learners_top(
    here: str, show: str, q: str, tabs: list[tuple[str, str, int | None]], count: int
) -> SafeString:
    """The learners section's opening: its search, its views (tabs) and how many learners
    the view holds, as the template wrote them."""
    w = words()
    hx = 'hx-target="#cohort-learners" hx-swap="outerHTML" hx-push-url="true"'
    show_html = escape(show)
    clear = ""
    if q:
        clear = (
            f'<a class="btn btn--link btn--small" href="?show={show_html}"'
            f' hx-get="?show={show_html}" {hx}>{w["Clear search"]}</a>'
        )
    searched = f"&amp;q={escape(quote(q, safe='/'))}" if q else ""
    links = []
    for key, label, n in tabs:
        target = f"?show={escape(key)}{searched}"
        current = 'aria-current="page"' if show == key else ""
        counted = f" ({n})" if n is not None else ""
        links.append(
            f'<a href="{target}" hx-get="{target}" {hx} {current}>{escape(label)}{counted}</a>\n'
            "    "
        )
    if q:
        matches = ngettext(
            "%(n)s learner matches “%(q)s”", "%(n)s learners match “%(q)s”", count
        ) % {"n": count, "q": escape(q)}
    else:
        matches = ngettext("%(n)s learner in this view", "%(n)s learners in this view", count) % {
            "n": count
        }
    here = escape(here)
    return SafeString(
        '<section id="cohort-learners" class="stack" aria-labelledby="learners-title"'
        ' aria-live="polite">\n'
        f'  <h2 id="learners-title">{w["Learners"]}</h2>\n'
        f'  <form method="get" action="{here}" role="search" class="cluster" hx-get="{here}"'
        f' {hx} hx-trigger="input changed delay:300ms from:#learner-search, submit">\n'
        f'    <input type="hidden" name="show" value="{show_html}">\n'
        '    <div class="field"><label for="learner-search">'
        f"{w['Find a learner by name or e-mail']}</label>\n"
        '      <input type="search" id="learner-search" name="q"'
        f' value="{escape(q)}" maxlength="100" autocomplete="off"></div>\n'
        f'    <button class="btn btn--secondary btn--small" type="submit">{w["Search"]}</button>\n'
        f"    {clear}\n"
        "  </form>\n"
        f'  <nav class="tabs" aria-label="{w["Show learners"]}">\n'
        f"    {''.join(links)}\n"
        "  </nav>\n"
        f'  <p class="muted">{matches}</p>\n  '
    )


def _pages_html(page: Any, query: str) -> str:
    """``list_parts.pagination_html(page, query, "cohort-learners")``: the learners' pages,
    their words looked up once per catalogue (``organizations.words``)."""
    w = words()
    paginator = page.paginator
    pages = paginator.num_pages
    if not pages > 1:
        return "\n"
    before = f"?{escape(query)}&amp;page=" if query else "?page="

    def link(css: str, rel: str, number: int, word: str) -> str:
        href = f"{before}{value_html(number)}"
        rel_html = f' rel="{rel}"' if rel else ""
        return (
            f'<a class="{css}"{rel_html} href="{href}" hx-get="{href}"'
            ' hx-target="#cohort-learners" hx-swap="outerHTML" hx-push-url="true">'
            f"{escape(w[word])}</a>"
        )

    parts = [f'\n<nav class="pagination cluster" aria-label="{escape(w["Pages"])}">\n  ']
    if page.has_previous():
        number = page.previous_page_number()
        if number > 1:
            parts.append(link("btn btn--link btn--small", "", 1, "First"))
        parts.append("\n  ")
        parts.append(link("btn btn--secondary btn--small", "prev", number, "Previous"))
    shown = w["%(first)s–%(last)s of %(total)s"] % {
        "first": value_html(page.start_index()),
        "last": value_html(page.end_index()),
        "total": value_html(paginator.count),
    }
    of = w["page %(n)s of %(total)s"] % {
        "n": value_html(page.number),
        "total": value_html(pages),
    }
    parts.append(f'\n  <span class="muted">{shown} · {of}</span>\n  ')
    if page.has_next():
        following = page.next_page_number()
        parts.append(link("btn btn--secondary btn--small", "next", following, "Next"))
        parts.append("\n  ")
        if following < pages:
            parts.append(link("btn btn--link btn--small", "", pages, "Last"))
    parts.append("\n</nav>\n\n")
    return "".join(parts)


def _downloads_html(query: str, what: str) -> str:
    """``list_parts.table_downloads_html(query, what)``: the view's rows as CSV and XLSX."""
    base = f"?{escape(query)}&amp;" if query else "?"
    return (
        f'\n<p class="muted table-downloads">{_("Download %(what)s:") % {"what": escape(what)}}\n'
        f'  <a href="{base}format=csv" download>CSV</a> ·\n'
        f'  <a href="{base}format=xlsx" download>{escape(_("Excel (XLSX)"))}</a></p>\n'
    )


def _learners_section(
    learners_top: str, rows: str, page: Any, show: str, q: str, query: str
) -> SafeString:
    """The learners section (the template's ``learners`` partial, the htmx swap): its opening,
    the table of the page's ``rows`` with its pages and downloads, or what the view holds when
    it holds nobody."""
    w = words()
    if rows:
        head = "".join(
            f'<th scope="col">{escape(w[word])}</th>'
            for word in ("Learner", "Team", "Progress", "Overdue", "Last step done")
        )
        actions = escape(w["Actions"])
        what = w["the learners in this view with their progress"]
        body = (
            '\n  <div class="table-wrap"><table class="table">\n'
            f'    <caption class="visually-hidden">{escape(w["Learners and their progress"])}'
            "</caption>\n"
            f'    <thead><tr>{head}<th scope="col"><span class="visually-hidden">{actions}'
            "</span></th></tr></thead>\n"
            f"    <tbody>\n    {rows}\n    </tbody>\n"
            "  </table></div>\n"
            f"  {_pages_html(page, query)}\n"
            f"  {_downloads_html(query, what)}\n"
            "  "
        )
    elif q:
        body = (
            f'\n  <div class="empty-state"><h2>{escape(w["Nobody matches this search"])}</h2>'
            f"<p>{escape(w['Try part of the name or of the e-mail address, or another view.'])}"
            "</p></div>\n  "
        )
    elif show == "all":
        body = (
            f'\n  <div class="empty-state"><h2>{escape(w["No learners yet"])}</h2><p>'
            + escape(
                w["Add learners one by one by e-mail, or a whole team or function at once below."]
            )
            + "</p></div>\n  "
        )
    else:
        body = f'\n  <p class="muted">{escape(w["Nobody in this view."])}</p>\n  '
    return SafeString(f"\n{learners_top}{body}\n</section>\n")


def _field(id_: str, label: str, widget: str) -> str:
    """``includes/field.html`` for a required field without help or errors (an unbound form's:
    ``listed_fields.field_html``'s markup)."""
    return (
        f'<div class="field">\n  <label for="{id_}">{escape(label)}'
        f' <span aria-hidden="true">*</span></label>\n  {widget}\n  \n  \n</div>\n'
    )


def _email_field() -> str:
    """``AddLearnerForm().email``, drawn."""
    return _field(
        "id_email",
        _("Learner's e-mail"),
        '<input type="email" name="email" maxlength="320" required id="id_email">',
    )


def _staff_field(kind: str, label: str, people_url: str) -> str:
    """``StaffForm(prefix=kind, people_url=people_url).email``, drawn (``includes/field.html``
    for a required field with help, unbound), and the list its suggestions fill
    (``_staff_people_list``)."""
    id_ = f"id_{kind}-email"
    help_text = escape(
        words()["Type part of their name or e-mail, then choose them from the list."]
    )
    return (
        f'<div class="field">\n  <label for="{id_}">{escape(label)}'
        ' <span aria-hidden="true">*</span></label>\n'
        f'  <input type="email" name="{kind}-email" maxlength="320" list="{kind}-people"'
        f' autocomplete="off" hx-get="{escape(people_url)}"'
        ' hx-trigger="focus once, input changed delay:300ms"'
        f' hx-target="#{kind}-people" hx-sync="this:replace" required'
        f' aria-describedby="{id_}_helptext" id="{id_}">\n'
        f'  <p class="field__help" id="{id_}_helptext">{help_text}</p>\n  \n</div>\n'
        f"{_staff_people_list(kind)}"
    )


def _staff_people_list(kind: str) -> str:
    """The empty list of a staff field's suggestions, which ``cohort_staff_people`` fills."""
    return f'<datalist id="{kind}-people"></datalist>'


def _forms(
    org_slug: str,
    cohort_id: int,
    csrf: str,
    staff_sections: list[tuple[str, list[queries.StaffMember]]],
) -> SafeString:
    """The page's forms (add one learner, with a link to adding learners by filter; assign
    and remove coaches and sponsors: ``staff_sections``, each kind's people), each field as
    ``includes/field.html`` writes an unbound ``AddLearnerForm`` or ``StaffForm`` field
    (tests/pathways/cohorts/page_before.py holds what they wrote)."""
    w = words()
    args = (org_slug, cohort_id)
    matching = escape(url("cohort_add_matching", *args))

    def people_url(kind: str) -> str:
        return url("cohort_staff_people", *args, kind)

    cards = []
    for kind, people in staff_sections:
        coach = kind == "coach"
        if people:
            remove = w["Remove"]
            removed = url_with_id("cohort_staff_remove", *args, kind)
            items = "".join(
                f'<li class="split"><span>{(name := escape(s.name))} <span class="muted">'
                f"{escape(s.email)}</span></span>\n"
                '      <form method="post" action="'
                f'{escape(removed(s.membership_id))}"'
                f' data-confirm="{w["Remove %(name)s from this cohort?"] % {"name": name}}">'
                f'{csrf}<button class="btn btn--link btn--small" type="submit">{remove}'
                f'<span class="visually-hidden"> {name}</span></button></form></li>'
                for s in people
            )
            listed = f"<ul>{items}</ul>\n    "
        else:
            none = (
                w["No coach assigned. Coaches see this cohort's learners on their roster."]
                if coach
                else w["No sponsor assigned. Sponsors follow this cohort's progress and impact."]
            )
            listed = f'<p class="muted">{none}</p>'
        cards.append(
            "\n  "
            '<div class="card stack">\n'
            f'    <h2 class="card__title">{w["Coaches"] if coach else w["Sponsors"]}</h2>\n'
            f"    {listed}\n"
            '    <form method="post" action="'
            f'{escape(url("cohort_staff_add", *args, kind))}" class="cluster"'
            f" novalidate>{csrf}\n"
            f"      {_staff_field(kind, w['Coach'] if coach else w['Sponsor'], people_url(kind))}\n"
            '      <button class="btn btn--secondary btn--small" type="submit">'
            f"{w['Assign']}</button>\n"
            "    </form>\n"
            "  </div>\n  "
        )
    return SafeString(
        '<section class="grid grid--2" id="add-learners" aria-labelledby="add-title">\n'
        f'  <h2 id="add-title" class="visually-hidden">{w["Add learners"]}</h2>\n'
        '  <form method="post" action="'
        f'{escape(url("cohort_add_learner", *args))}" class="card stack" novalidate>'
        f"{csrf}\n"
        f'    <h3 class="card__title">{w["Add one learner"]}</h3>\n'
        f"    {_email_field()}\n"
        '    <div class="form-actions"><button class="btn btn--secondary" type="submit">'
        f"{w['Add learner']}</button></div>\n"
        "  </form>\n"
        '  <div class="card stack">\n'
        f'    <h3 class="card__title">{w["Add by team, job title, role or function"]}</h3>\n'
        '    <p class="muted">'
        f"{w['Active learners who match every filter you set; anyone already in the cohort is skipped.']}"
        "</p>\n"
        '    <div class="form-actions"><a class="btn btn--secondary" href="'
        f'{matching}">{w["Add learners by filter"]}</a></div>\n'
        "  </div>\n"
        "</section>\n\n"
        f'<section class="grid grid--2" aria-label="{w["Coaches and sponsors"]}">\n'
        f"  {''.join(cards)}\n"
        "</section>"
    )


@role_required("admin")
def cohort_detail(request: TenantRequest, org_slug: str, cohort_id: int) -> HttpResponse:
    fmt = requested_format(request)
    whole = fmt is None and not request.htmx  # the whole page, with its forms' choices
    show = request.GET.get("show", "all")
    show = show if show in queries.SHOW_FILTERS else "all"
    q = request.GET.get("q", "").strip()[:100]
    try:
        if fmt is not None:
            overview, period, _reminder = queries.cohort_page(cohort_id)
            rows = queries.progress_export_rows(overview.cohort, period, show, q)
            name = f"{org_slug}-{overview.cohort.name}-progress"
            return tabular_response(fmt, name, queries.PROGRESS_EXPORT_HEADERS, rows)
        overview, _period, last_reminder, staff, page = queries.cohort_page_with_learners(
            cohort_id, show, q, request.GET.get("page"), with_staff=whole
        )
    except Cohort.DoesNotExist as exc:
        raise Http404 from exc
    cohort = overview.cohort
    w = words()
    token = get_token(request)
    csrf = csrf_input(token)
    tabs = [
        ("all", w["All"], None),
        ("not_started", w["Not started"], overview.not_started),
        ("overdue", w["Overdue"], overview.learners_overdue),
        ("withdrawn", w["Withdrawn"], overview.withdrawn),
    ]
    here = url("cohort_detail", org_slug, cohort.pk)
    learners = _learners_section(
        _learners_top(here, show, q, tabs, page.paginator.count),
        _learner_table(request, org_slug, cohort.pk, overview.version, page.object_list, csrf),
        page,
        show,
        q,
        urlencode({"show": show, "q": q} if q else {"show": show}),
    )
    if not whole:
        return HttpResponse(learners)
    assert staff is not None  # read with the whole page
    coaches, sponsors = staff
    header = _header(org_slug, overview, last_reminder, csrf)
    forms = _forms(org_slug, cohort.pk, csrf, [("coach", coaches), ("sponsor", sponsors)])
    # The page's token in the frame too (the context processor's would mask the same secret
    # once more).
    content = f"\n{header}\n\n{learners}\n\n{forms}\n"
    return page_response(request, escape(cohort.name), content, csrf_token=token)


@require_POST
@role_required("admin")
def cohort_add_learner(request: TenantRequest, org_slug: str, cohort_id: int) -> HttpResponse:
    cohort = get_object_or_404(Cohort, pk=cohort_id)
    form = AddLearnerForm(request.POST)
    if not form.is_valid():
        _flash_form_errors(request, form)
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
    """The filters of adding learners: GET shows how many learners they would add (the whole
    page, or with htmx its preview as the filters change); POST adds them."""
    cohort = get_object_or_404(Cohort, pk=cohort_id)
    data = request.POST if request.method == "POST" else request.GET
    form = LearnerFilterForm(data, choices=queries.filter_choices())
    if not form.is_valid():
        messages.error(request, _("Choose the filter again: one of its values is not known."))
        again = reverse("cohort_add_matching", args=[org_slug, cohort_id])
        # The preview would hold the whole page: htmx loads the filters afresh instead.
        return HttpResponseClientRedirect(again) if request.htmx else redirect(again)
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
    form = StaffForm(
        request.POST, label=_("Coach") if kind == "coach" else _("Sponsor"), prefix=kind
    )
    if not form.is_valid():
        _flash_form_errors(request, form)
    else:
        member = form.cleaned_data["email"]
        try:
            services.do_assign_staff(request.user, cohort, kind, member)
        except ValidationError as exc:
            _flash_error(request, exc)
        else:
            messages.success(request, _("%s assigned to the cohort.") % member.user.email)
    return redirect("cohort_detail", org_slug=org_slug, cohort_id=cohort_id)


@role_required("admin")
def cohort_staff_people(
    request: TenantRequest, org_slug: str, cohort_id: int, kind: str
) -> HttpResponse:
    """The options of the assign form's list (``_staff_people_list``): who can be assigned as
    the cohort's coach or sponsor (``kind``) whose name or e-mail contains what the admin has
    typed in the field, by name, a few at most (1 query)."""
    if kind not in services.STAFF:
        raise Http404
    link, role, _label = services.STAFF[kind]
    people = queries.assignable_people(
        cohort_id, role, link, request.GET.get(f"{kind}-email", "")[:100]
    )
    if people is None:
        raise Http404
    return HttpResponse(
        "".join(
            f'<option value="{escape(email)}">{escape(name)}</option>\n' for name, email in people
        )
    )


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
