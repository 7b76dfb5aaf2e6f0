"""The lists of projects (every role's, and the admin's per cohort) written in Python: the page's
title, its table's cells (``table_rows``) and its content, byte for byte what
``projects/project_list.html`` rendered (``tests/projects/test_list_page.py`` holds them to it,
kept in ``tests/organizations/replaced/``).

The template drew the page through the engine on every visit: some ninety variable nodes, a
dozen translations and three form widgets through the form renderer, about a millisecond and a
half, more than the list's one statement. Here its fixed words are translated once per
catalogue (``organizations.words``), and the filter form, which depends only on the language
and the request's values for its three fields, is drawn once for each such key and kept.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

from django.utils import dateformat
from django.utils.formats import localize
from django.utils.html import conditional_escape, escape
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from organizations.html_parts import blocktranslate, blocktranslate_count, url_with_id
from organizations.listed_fields import data_key, kept_filters
from organizations.templatetags.list_parts import page_links_html
from organizations.words import words
from projects.models import Project
from projects.queries import ProjectRow

FILTERS = ("q", "status", "late")


def _word(msgid: str) -> str:
    """``{% translate "msgid" %}``: a literal's translation, as it is (a template's literal is
    safe text), looked up once per catalogue."""
    return words().literal(msgid)


def _projects(n: int) -> str:
    return blocktranslate_count("%(n)s project", "%(n)s projects", n, n=n)


def title_html(role: str, cohort_name: str | None) -> SafeString:
    """The page's title and heading, by the role the member acts in (a cohort's own first)."""
    if cohort_name is not None:
        return SafeString(blocktranslate("Projects of %(name)s", name=cohort_name))
    return SafeString(
        _word(
            {
                "sponsor": "Sponsored projects",
                "coach": "Coachees' projects",
                "learner": "My projects",
            }.get(role, "Projects")
        )
    )


def _lead(role: str, waiting: int) -> str:
    if role == "sponsor":
        return blocktranslate_count(
            "%(n)s waits for your decision (charter or sign-off); it comes first.",
            "%(n)s wait for your decision (charters or sign-offs); they come first.",
            waiting,
            n=waiting,
        )
    if role == "coach":
        return _word(
            "The projects of the cohorts you coach: updates and milestones. Stakeholders' "
            "comments stay with the learner and sponsor."
        )
    return _word(
        "On time is judged against the milestone dates the sponsor approved. Satisfaction is "
        "the stakeholders' mean on 1–5, shown once enough have answered."
    )


def _downloads(query: str) -> str:
    before = f"{conditional_escape(query)}&amp;" if query else ""
    return (
        '<div class="page-header__actions cluster">\n'
        f'    <a class="btn btn--secondary" href="?{before}format=csv" download>'
        f"{_word('Download CSV')}</a>\n"
        f'    <a class="btn btn--secondary" href="?{before}format=xlsx" download>'
        f"{_word('Download XLSX')}</a>\n  </div>"
    )


_COHORTS_LEAD = "Each cohort's page has the same filters and downloads the rows as CSV or XLSX."


def _cohorts_nav(org_slug: str, cohorts: Sequence[tuple[int, str, int]]) -> str:
    if not cohorts:
        return ""
    url = url_with_id("cohort_projects", org_slug)
    items = "".join(
        f'<li><a href="{conditional_escape(url(pk))}">{conditional_escape(name)}</a> '
        f'<span class="muted">{_projects(n)}</span></li>'
        for pk, name, n in cohorts
    )
    return (
        '\n<nav class="card stack" aria-labelledby="cohorts-title">\n'
        f'  <h2 class="card__title" id="cohorts-title">{_word("Projects by cohort")}</h2>\n'
        '  <p class="muted">'
        f"{_word(_COHORTS_LEAD)}</p>\n  <ul>{items}</ul>\n</nav>\n"
    )


def _drawn_filters(form: Any) -> str:
    """The filter form's three fields and button as the template drew them."""
    q, status, late = form["q"], form["status"], form["late"]

    def label(field: Any) -> str:
        return (
            f'<label for="{conditional_escape(field.id_for_label)}">'
            f"{conditional_escape(field.label)}</label>"
        )

    return (
        '\n<form method="get" class="cluster" role="search"'
        f' aria-label="{_word("Filter projects")}">\n'
        f'  <div class="field">{label(q)}{q}</div>\n'
        f'  <div class="field">{label(status)}{status}</div>\n'
        f'  <div class="field choice">{late} {label(late)}</div>\n'
        f'  <button class="btn btn--secondary" type="submit">{_word("Filter")}</button>\n'
        "</form>\n"
    )


def filters_html(data: Any, form: Callable[[], Any]) -> str:
    """The filter form as the page draws it, kept per language and the request's values for
    its fields (``data``, a ``QueryDict``, or None: ``listed_fields.kept_filters``); ``form``
    makes it."""
    return kept_filters(("projects", data_key(data, FILTERS)), lambda: _drawn_filters(form()))


# The status badges of projects/_status_badge.html, by status ("info" for the others).
_BADGES: dict[str, str] = {
    Project.Status.SIGNED_OFF: "done",
    Project.Status.CLOSED: "done",
    Project.Status.RUNNING: "available",
    Project.Status.SENT_BACK: "overdue",
    Project.Status.DRAFT: "draft",
}


def table_rows(rows: Sequence[ProjectRow], org_slug: str, in_cohort: bool) -> list[dict[str, Any]]:
    """The list's cells, worked out in Python once per page (the words translated once, the
    link joined to one reversed URL): the template's words and markup before, escaped here."""
    project_url = url_with_id("project_detail", org_slug)
    of = _("%(on_time)s of %(n)s")
    sponsor_of = _("sponsor %(s)s")
    hidden = _("hidden (n=%(n)s)")
    confirmed_of = _("%(c)s of %(n)s confirmed")
    waiting = _("%(p)s waiting")
    muted_dash = '<span class="muted">—</span>'
    days: dict[dt.date, str] = {}
    table = []
    for r in rows:
        people: str = escape(", ".join(r.learners))
        if r.sponsor:
            people += " · " + sponsor_of % {"s": escape(r.sponsor)}
        if r.cohort and not in_cohort:
            people += " · " + escape(r.cohort)
        milestones = of % {"on_time": r.on_time, "n": r.milestones}
        if r.late:
            late = ngettext("%(n)s late", "%(n)s late", r.late) % {"n": r.late}
            milestones += f' · <span class="badge badge--overdue">{late}</span>'
        if r.at_risk:
            risk = ngettext("%(n)s at risk", "%(n)s at risk", r.at_risk) % {"n": r.at_risk}
            milestones += f' · <span class="badge badge--locked">{risk}</span>'
        latest = muted_dash
        if r.latest_update_on:
            day = r.latest_update_on
            if day not in days:
                days[day] = dateformat.format(day, "j M")
            latest = f"{escape(r.latest_rag_label)}, {days[day]}"
        if r.satisfaction is not None:
            satisfaction = (
                f'{localize(r.satisfaction)} <span class="muted">(n={r.satisfaction_n})</span>'
            )
        else:
            satisfaction = f'<span class="muted">{hidden % {"n": r.satisfaction_n}}</span>'
        claims = muted_dash
        if r.claims:
            claims = confirmed_of % {"c": r.claims_confirmed, "n": r.claims}
            if r.claims_pending:
                claims += " · " + waiting % {"p": r.claims_pending}
        badge = _BADGES.get(r.status, "info")
        table.append(
            {
                "url": project_url(r.id),
                "title": escape(r.title),
                "people": SafeString(people),
                "status": SafeString(
                    f'<span class="badge badge--{badge}">{escape(r.status_label)}</span>\n'
                ),
                "milestones": SafeString(milestones),
                "latest": SafeString(latest),
                "satisfaction": SafeString(satisfaction),
                "claims": SafeString(claims),
            }
        )
    return table


def _table(role: str, total: int, rows: Sequence[dict[str, Any]], page: Any, query: str) -> str:
    claims_head = f'<th scope="col" class="num">{_word("Claims")}</th>' if role != "coach" else ""
    body = []
    for r in rows:
        claims = f'<td class="num">{r["claims"]}</td>' if role != "coach" else ""
        body.append(
            "\n    <tr>\n"
            f'      <th scope="row"><a href="{conditional_escape(r["url"])}">'
            f'{conditional_escape(r["title"])}</a><br><span class="muted">{r["people"]}</span>'
            "</th>\n"
            f"      <td>{r['status']}</td>\n"
            f'      <td class="num">{r["milestones"]}</td>\n'
            f"      <td>{r['latest']}</td>\n"
            f'      <td class="num">{r["satisfaction"]}</td>\n'
            f"      {claims}\n    </tr>\n  "
        )
    return (
        '\n<div class="table-wrap" tabindex="0">\n<table class="table">\n'
        f"  <caption>{_projects(total)}</caption>\n"
        "  <thead><tr>\n"
        f'    <th scope="col">{_word("Project")}</th>\n'
        f'    <th scope="col">{_word("Status")}</th>\n'
        f'    <th scope="col" class="num">{_word("Milestones on time")}</th>\n'
        f'    <th scope="col">{_word("Latest update")}</th>\n'
        f'    <th scope="col" class="num">{_word("Satisfaction (1–5)")}</th>\n'
        f"    {claims_head}\n"
        "  </tr></thead>\n  <tbody>\n  "
        f"{''.join(body)}\n  </tbody>\n</table>\n</div>\n"
        f"{page_links_html(page, query)}\n"
    )


_EMPTY = {
    "learner": "A project starts from a project step in your pathway: open the step and set up "
    "its charter.",
    "sponsor": "When a learner names you as the sponsor of their project, its charter waits "
    "here for your approval.",
    "coach": "Projects of the learners in the cohorts you coach appear here once they set up a "
    "charter.",
}
_EMPTY_ADMIN = (
    "Learners start projects from the project steps of their pathway; add a project template "
    "to a pathway to offer one."
)


def _empty(role: str, query: str) -> str:
    heading = _word("No project matches these filters" if query else "No projects yet")
    return (
        f'\n<div class="empty-state">\n  <h2>{heading}</h2>\n'
        f"  <p>{_word(_EMPTY.get(role, _EMPTY_ADMIN))}</p>\n</div>\n"
    )


def content_html(
    *,
    org_slug: str,
    role: str,
    cohort_name: str | None,
    listing: Any,
    rows: Sequence[dict[str, Any]],
    filters: str,
    query: str,
    cohorts: Sequence[tuple[int, str, int]],
) -> SafeString:
    """The page's content block: its header, the admin's cohorts, the filters (``filters``,
    drawn; none for a learner), then the page's rows (``rows``, the cells of
    ``table_rows``) and their pages, or what to do when there are none."""
    actions = _downloads(query) if cohort_name is not None else ""
    header = (
        '\n<header class="page-header">\n'
        f'  <h1 class="page-header__title">{title_html(role, cohort_name)}</h1>\n'
        f'  <p class="page-header__lead">{_lead(role, listing.waiting)}</p>\n'
        f"  {actions}\n</header>\n"
    )
    results = (
        _table(role, listing.total, rows, listing.page, query)
        if listing.rows
        else _empty(role, query)
    )
    form = filters if role != "learner" else ""
    return SafeString(f"{header}{_cohorts_nav(org_slug, cohorts)}\n{form}\n{results}\n")
