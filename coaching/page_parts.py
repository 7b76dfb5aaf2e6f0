"""The coach's home, the coach's sessions and the admin's engagements as HTML built once per
page in Python. The home: its header, the sessions to log,
today's and the week's sessions, the coachees who need attention, the roster's figures, its
first coachees to talk to, and the roster's search, tabs and table with the shared pagination
(``home_content``, in the frame of ``organizations.page_frame``; ``coach_home.html`` keeps the
roster's partial and the page as the template wrote it). The sessions and engagements
lists: their header and table (the templates keep the frame, the empty list and the shared
downloads with a search).

The template resolved, translated and reversed in every list item, tab and card: more Python
than the page's reads. Here the same markup comes from string formatting, with the same
message ids (so translations apply alike; each looked up once per catalogue,
``organizations.words``), the same filters (``date``, ``urlencode``,
``relative_time``) and the same escaping (values escaped, translated text as the template
inserts it): byte for byte what the template wrote (tests/coaching/test_page_parts.py holds
them to the template's fragments). No queries.
"""

from __future__ import annotations

import functools
import html
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib import parse

from django.template.defaultfilters import urlencode
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.safestring import SafeString

from coaching.queries import Coachee, CoachHome, RosterSummary, SessionRow
from coaching.tables import Moments, engagement_rows, roster_rows, session_rows
from measurement.impact_page import downloads
from organizations.html_parts import interpolate, url_with_id, value_html
from organizations.templatetags.list_parts import pagination_html
from organizations.templatetags.relative_dates import relative_time
from organizations.words import Words, words


def _count(w: Words, singular: str, plural: str, n: int, **values: Any) -> str:
    """``{% blocktranslate count n=… with … %}``: the text for ``n`` (of the catalogue's words
    ``w``), the values escaped."""
    return interpolate(w.count(singular, plural, n), {"n": n, **values})


def _names(names: Sequence[str]) -> str:
    """``|join:", "`` of names, escaped."""
    return ", ".join(html.escape(name) for name in names)


def session_items(
    sessions: Sequence[SessionRow], detail_url: Callable[[int], str], moments: Moments
) -> str:
    """``coaching/_session_rows.html`` of ``sessions`` (a list of links to each session)."""
    items = []
    for s in sessions:
        participants = f" · {_names(s.participants)}" if s.participants else ""
        cancelled = (
            f' <span class="badge badge--retired">{html.escape(s.status_label)}</span>'
            if s.status == "cancelled"
            else ""
        )
        items.append(
            f'\n  <li><a href="{detail_url(s.id)}"><strong>{html.escape(s.title)}</strong></a>'
            f" · {moments.day_time(s.starts_at)}–{moments.time(s.ends_at)}"
            f' · <span class="badge badge--info">{html.escape(s.kind_label)}</span>'
            f" {html.escape(s.mode_label)}{participants}{cancelled}</li>"
        )
    return f'<ul class="stack-list">{"".join(items)}\n</ul>\n'


@dataclass(frozen=True)
class HomeUrls:
    """The links of the coach's home for one organisation (one ``reverse`` each)."""

    home: str
    sessions: str
    new_session: str
    calendar: str
    patterns: str
    session: Callable[[int], str]
    log: Callable[[int], str]
    engagement: Callable[[int], str]

    @classmethod
    def of(cls, org_slug: str) -> HomeUrls:
        # Reversed once per process for each organisation (and URL prefix and URLconf, which
        # the links depend on too): eight ``reverse`` cost more than the page's lists.
        return _home_urls(org_slug, get_script_prefix(), get_urlconf())


@functools.lru_cache(maxsize=1024)
def _home_urls(org_slug: str, _prefix: str, _urlconf: Any) -> HomeUrls:
    args = [org_slug]
    return HomeUrls(
        home=html.escape(reverse("coach_home", args=args)),
        sessions=html.escape(reverse("coach_sessions", args=args)),
        new_session=html.escape(reverse("session_new", args=args)),
        calendar=html.escape(reverse("my_calendar", args=args)),
        patterns=html.escape(reverse("coach_patterns", args=args)),
        session=url_with_id("session_detail", org_slug),
        log=url_with_id("session_log", org_slug),
        engagement=url_with_id("engagement_detail", org_slug),
    )


def _to_log(home: CoachHome, urls: HomeUrls, moments: Moments) -> str:
    w = words()
    if not home.to_log:
        return ""
    items = []
    log_it = w["Log it"]
    for s in home.to_log:
        participants = ""
        if s.participants:
            participants = f" · {_names(s.participants[:3])}"
            if (others := len(s.participants) - 3) > 0:
                participants += " " + _count(w, "and %(n)s more", "and %(n)s more", others)
        items.append(
            f"<li><strong>{html.escape(s.title)}</strong> · {moments.day_time(s.starts_at)}"
            f"{participants} · "
            f'<a class="btn btn--small btn--primary" href="{urls.log(s.id)}">{log_it}</a></li>'
        )
    n = home.to_log_count
    title = _count(w, "%(n)s session to log", "%(n)s sessions to log", n)
    more = ""
    if n > len(home.to_log):
        see_all = interpolate(w["See all sessions: %(n)s to log, the oldest shown here"], {"n": n})
        more = f'<p class="muted"><a href="{urls.sessions}">{see_all}</a></p>'
    return (
        '\n<section class="card card--primary" aria-labelledby="to-log-title">\n'
        f'  <h2 id="to-log-title">{title}</h2>\n'
        f'  <ul class="stack-list">{"".join(items)}</ul>\n'
        f"  {more}\n"
        "</section>\n"
    )


def _sessions_cards(home: CoachHome, urls: HomeUrls, moments: Moments) -> str:
    w = words()
    if home.today:
        today = session_items(home.today, urls.session, moments)
    else:
        today = f'<p class="muted">{w["No sessions today."]}</p>'
    if home.this_week:
        week = session_items(home.this_week, urls.session, moments)
    elif not home.upcoming_more:
        week = (
            f'<p class="muted">{w["Nothing else scheduled this week."]} '
            f'<a href="{urls.new_session}">{w["Schedule a session"]}</a></p>'
        )
    else:
        week = ""
    more = ""
    if home.upcoming_more:
        more = (
            f'<p class="muted"><a href="{urls.sessions}">'
            f"{w['More sessions this week: see all sessions']}</a></p>"
        )
    return (
        '<section class="grid grid--2">\n'
        '  <div class="card" aria-labelledby="today-title"><h2 id="today-title"'
        f' class="card__title">{w["Today"]}</h2>\n'
        f"    {today}</div>\n"
        '  <div class="card" aria-labelledby="week-title"><h2 id="week-title"'
        f' class="card__title">{w["Next 7 days"]}</h2>\n'
        f"    {week}\n"
        f"    {more}</div>\n"
        "</section>\n"
    )


def _attention(home: CoachHome, urls: HomeUrls) -> str:
    w = words()
    if not home.attention:
        if not home.engagements:
            return ""
        n = home.engagements
        on_track = _count(
            w, "Your %(n)s coachee is on track.", "All %(n)s of your coachees are on track.", n
        )
        return f'<p class="muted">{on_track}</p>'
    items = []
    for a in home.attention:
        reasons = "".join(
            f'<span class="badge badge--overdue">{html.escape(r)}</span> ' for r in a.reasons
        )
        items.append(
            f'<li><a href="{urls.engagement(a.engagement_id)}"><strong>{html.escape(a.name)}</strong>'
            f"</a> · {reasons}</li>"
        )
    n = home.attention_count
    title = _count(w, "%(n)s coachee needs attention", "%(n)s coachees need attention", n)
    more = ""
    if n > len(home.attention):
        first = interpolate(
            w["The first %(shown)s by name are listed; find anyone by name in the roster below."],
            {"shown": len(home.attention)},
        )
        more = f'<p class="muted">{first}</p>'
    return (
        '\n<section class="card" aria-labelledby="attention-title">\n'
        f'  <h2 id="attention-title">{title}</h2>\n'
        f'  <ul class="stack-list">{"".join(items)}</ul>\n'
        f"  {more}\n"
        "</section>\n"
    )


def _other_organisations(home: CoachHome) -> str:
    w = words()
    if not home.other_organisations:
        return ""
    links = ", ".join(
        f'<a href="{html.escape(reverse("coach_home", args=[o.slug]))}">{html.escape(o.name)}</a>'
        for o in home.other_organisations
    )
    return (
        f'<p class="muted">{w["You also coach in:"]} {links} — '
        f"{w["each organisation's coachees are kept separate."]}</p>"
    )


def home_top(home: CoachHome, urls: HomeUrls) -> SafeString:
    """Everything of the page above the roster's figures: the header, the sessions to log,
    today's and the week's sessions, the coachees who need attention, the other organisations
    and the roster's title."""
    w = words()
    header = (
        '<header class="page-header"><h1 class="page-header__title">'
        f"{w['Your coaching']}</h1>\n"
        '<p class="page-header__lead">'
        f"{w["Today's sessions, what is left to log, and who may need a conversation first."]}"
        "</p>\n"
        '<div class="page-header__actions cluster">'
        f'<a class="btn btn--primary" href="{urls.new_session}">{w["Schedule a session"]}'
        f'</a> <a class="btn btn--link" href="{urls.sessions}">{w["All sessions"]}</a>'
        f' <a class="btn btn--link" href="{urls.calendar}">{w["Calendar feed"]}</a>'
        f' <a class="btn btn--link" href="{urls.patterns}">{w["Growth patterns"]}</a>'
        "</div></header>\n"
    )
    moments = Moments()
    return SafeString(
        f"{header}{_to_log(home, urls, moments)}\n"
        f"{_sessions_cards(home, urls, moments)}"
        f"{_attention(home, urls)}\n"
        f"{_other_organisations(home)}\n"
        f'<h2 id="coachees-title">{w["Your coachees"]}</h2>\n'
    )


def _roster_attention(summary: RosterSummary) -> str:
    w = words()
    if not summary.attention:
        return ""
    not_started = w["Not started"]
    email_label = w["E-mail %(name)s"]  # ``Coachee.email_label``
    items = []
    for c in summary.attention:
        if n := c.steps_overdue:
            overdue = w.count("%(n)s step overdue", "%(n)s steps overdue", n) % {"n": n}
            badge = f'<span class="badge badge--overdue">{html.escape(overdue)}</span>'
        else:
            badge = f'<span class="badge badge--locked">{not_started}</span>'
        name = html.escape(c.name)
        items.append(
            f"\n    <li><strong>{name}</strong> · {html.escape(c.pathway)} · {badge}"
            f' · <a href="mailto:{html.escape(c.email)}">{email_label % {"name": name}}</a></li>'
        )
    more = ""
    if n := summary.attention_more:
        more_text = _count(
            w, "and %(n)s more in the table below", "and %(n)s more in the table below", n
        )
        more = f'<p class="muted">{more_text}</p>'
    first = w[
        "Overdue steps first, then those who have not started: a short check-in often "
        "unblocks them."
    ]
    return (
        '\n<section class="card card--primary" aria-labelledby="roster-attention-title">\n'
        f'  <h2 id="roster-attention-title">{w["Talk to these coachees first"]}</h2>\n'
        f"  <p>{first}</p>\n"
        f'  <ul class="stack-list">{"".join(items)}\n'
        "  </ul>\n"
        f"  {more}\n"
        "</section>\n"
    )


def roster_summary(summary: RosterSummary) -> SafeString:
    """The roster's three figures and the first coachees to talk to (when it has coachees)."""
    w = words()
    learners, enrolments = summary.learners, summary.enrolments
    if summary.as_of:
        as_of = interpolate(
            w["progress as of %(when)s"], {"when": relative_time(summary.as_of, "dated")}
        )
    else:
        as_of = w["progress not counted yet"]
    return SafeString(
        f'\n<section class="grid grid--3" aria-label="{w["Summary"]}">\n'
        f'  <div class="card stat"><p class="stat__value">{value_html(learners)}</p>'
        f'<p class="stat__label">{_count(w, "coachee", "coachees", learners)}</p>'
        '<p class="stat__base">'
        f"{_count(w, 'in %(n)s enrolment', 'in %(n)s enrolments', enrolments)}</p></div>\n"
        f'  <div class="card stat"><p class="stat__value">{value_html(summary.overdue)}</p>'
        f'<p class="stat__label">{w["with overdue steps"]}</p><p class="stat__base">'
        f"{_count(w, 'of %(n)s enrolment counted', 'of %(n)s enrolments counted', summary.counted)}"
        "</p></div>\n"
        f'  <div class="card stat"><p class="stat__value">{value_html(summary.not_started)}</p>'
        f'<p class="stat__label">{w["not started"]}</p>'
        f'<p class="stat__base">{as_of}</p></div>\n'
        "</section>\n"
        f"{_roster_attention(summary)}\n"
    )


def home_content(top: str, summary: RosterSummary, roster: RosterParts) -> str:
    """The coach's home, its ``content`` block as ``coaching/coach_home.html`` writes it: the
    top of the page, then the roster's figures and partial, or the note for a coach with no
    coachees yet."""
    if summary.enrolments:
        rest = f"{roster_summary(summary)}{roster.before}{roster.after}\n"
    else:
        w = words()
        note = w.literal(
            "When an HR admin assigns you to a cohort, its learners are listed here with their "
            "progress."
        )
        title = w.literal("No coachees yet")
        rest = f'\n<div class="empty-state"><h2>{title}</h2><p>{note}</p></div>\n'
    return f"\n{top}{rest}\n"


# The roster's views as its tabs name them (lazy: translated when the page is written).
ROSTER_TABS = (
    ("all", "All"),
    ("overdue", "Overdue"),
    ("not_started", "Not started"),
    ("not_counted", "Not counted yet"),
)


@dataclass(frozen=True)
class RosterParts:
    """The roster's partial in two parts: ``before`` (the search, the tabs, the table) and
    ``after`` (the shared pagination with a table, the empty view's note, the downloads)."""

    before: SafeString
    after: SafeString


def roster_parts(
    summary: RosterSummary,
    page: Any,
    show: str,
    q: str,
    home_url: str,
) -> RosterParts:
    """The roster's partial (its view ``show``, search ``q`` and ``page`` of ``Coachee``), its
    pagination's links keeping the view and the search."""
    w = words()
    coachees: Sequence[Coachee] = page.object_list
    here, show_html = home_url, html.escape(show)
    q_html = html.escape(q)
    q_param = f"&amp;q={html.escape(urlencode(q))}" if q else ""
    clear = ""
    if q:
        clear = (
            f'<a class="btn btn--link btn--small" href="{here}?show={show_html}"'
            f' hx-get="{here}?show={show_html}" hx-target="#roster" hx-swap="outerHTML"'
            f' hx-push-url="true">{w["Clear search"]}</a>'
        )
    tabs = []
    for key, label in ROSTER_TABS:
        link = f"{here}?show={key}{q_param}"
        current = 'aria-current="page"' if show == key else ""
        tabs.append(
            f'<a href="{link}" hx-get="{link}" hx-target="#roster" hx-swap="outerHTML"'
            f' hx-push-url="true" {current}>{html.escape(w[label])}'
            f" ({value_html(summary.count_of(key))})</a>\n    "
        )
    head = (
        '\n<section id="roster" class="stack" aria-labelledby="coachees-title"'
        ' aria-live="polite">\n  \n'
        f'  <form method="get" action="{here}" role="search" class="cluster" hx-get="{here}"'
        ' hx-target="#roster" hx-swap="outerHTML" hx-push-url="true"'
        ' hx-trigger="input changed delay:300ms from:#coachee-search, submit">\n'
        f'    <input type="hidden" name="show" value="{show_html}">\n'
        '    <div class="field"><label for="coachee-search">'
        f"{w['Find a coachee by name or e-mail']}</label>\n"
        f'      <input type="search" id="coachee-search" name="q" value="{q_html}"'
        ' maxlength="100" autocomplete="off"></div>\n'
        '    <button class="btn btn--secondary btn--small" type="submit">'
        f"{w['Search']}</button>\n"
        f"    {clear}\n"
        "  </form>\n"
        f'  <nav class="tabs" aria-label="{w["Show coachees"]}">\n'
        f"    {''.join(tabs)}\n"
        "  </nav>\n  "
    )
    downloads_html = downloads("", w["every coachee with their progress"])
    if coachees:
        count = page.paginator.count
        if q:
            caption = _count(
                w, "%(n)s enrolment matches “%(q)s”", "%(n)s enrolments match “%(q)s”", count, q=q
            )
        else:
            caption = _count(
                w, "%(n)s enrolment in this view", "%(n)s enrolments in this view", count
            )
        heads = "".join(
            f'<th scope="col">{w[h]}</th>'
            for h in ("Name", "Team", "Pathway", "Cohort", "Progress", "Overdue", "Status")
        )
        table = (
            '\n  <div class="table-wrap"><table class="table">\n'
            f"    <caption>{caption}</caption>\n"
            f"    <thead><tr>{heads}</tr></thead>\n"
            f"    <tbody>{''.join(roster_rows(coachees))}</tbody>\n"
            "  </table></div>\n  "
        )
        # The shared pagination (``includes/pagination.html``), its tag's HTML called directly.
        query = parse.urlencode({"show": show, "q": q} if q else {"show": show})
        pages = pagination_html(page, query, "roster")
        return RosterParts(
            SafeString(head + table),
            SafeString(f"{pages}\n  \n  {downloads_html}\n</section>\n"),
        )
    if q:
        empty = (
            f'\n  <div class="empty-state"><h2>{w["Nobody matches this search"]}</h2>'
            f"<p>{w['Try part of the name or of the e-mail address, or another view.']}"
            "</p></div>\n  "
        )
    else:
        empty = f'\n  <p class="muted">{w["Nobody in this view."]}</p>\n  '
    return RosterParts(SafeString(head), SafeString(f"{empty}\n  {downloads_html}\n</section>\n"))


def _pager(page: Any, previous: str, next_: str, query: str = "") -> str:
    """The lists' own pager (``?page=`` links, ``query`` after each number, escaped)."""
    w = words()
    if not page.has_other_pages():
        return ""
    back = forward = ""
    if page.has_previous():
        back = f'<a href="?page={page.previous_page_number()}{query}">{w[previous]}</a>'
    if page.has_next():
        forward = f'<a href="?page={page.next_page_number()}{query}">{w[next_]}</a>'
    where = interpolate(
        w["Page %(n)s of %(total)s"], {"n": page.number, "total": page.paginator.num_pages}
    )
    return (
        f'<nav class="cluster" aria-label="{w["Pages"]}">{back}<span>{where}</span>{forward}</nav>'
    )


def session_list(page: Any, org_slug: str) -> SafeString:
    """The coach's sessions page's header and, with sessions, their table (its rows links to
    each session), downloads and pager."""
    w = words()
    header = (
        '\n<header class="page-header"><h1 class="page-header__title">'
        f"{w['Your sessions']}</h1>\n"
        '<div class="page-header__actions"><a class="btn btn--primary"'
        f' href="{html.escape(reverse("session_new", args=[org_slug]))}">'
        f"{w['Schedule a session']}</a></div></header>\n"
    )
    if not page.object_list:
        return SafeString(header)
    caption = _count(
        w, "%(n)s session, newest first", "%(n)s sessions, newest first", page.paginator.count
    )
    heads = "".join(f'<th scope="col">{w[h]}</th>' for h in ("Session", "When", "Who", "Status"))
    rows = session_rows(page.object_list, url_with_id("session_detail", org_slug))
    return SafeString(
        f'{header}\n<div class="table-wrap"><table class="table"><caption>{caption}</caption>\n'
        f"<thead><tr>{heads}</tr></thead>\n"
        f"<tbody>{''.join(rows)}</tbody></table></div>\n"
        f"{downloads('', w['all your sessions'])}\n"
        f"{_pager(page, 'Newer', 'Older')}\n"
    )


def engagement_list(page: Any, q: str, org_slug: str) -> SafeString:
    """The admin's engagements page's header, search and, with engagements, their table (the
    template adds the downloads and the pager)."""
    w = words()
    args = [org_slug]
    lead = w[
        "Who coaches whom, for which cohort, and what was contracted. What is said in "
        "coaching is never shown here."
    ]
    header = (
        '\n<header class="page-header"><h1 class="page-header__title">'
        f"{w['Coaching engagements']}</h1>\n"
        f'<p class="page-header__lead">{lead}</p>\n'
        '<div class="page-header__actions cluster"><a class="btn btn--primary"'
        f' href="{html.escape(reverse("engagement_new", args=args))}">'
        f"{w['Pair a coach and a coachee']}</a> "
        '<a class="btn btn--secondary"'
        f' href="{html.escape(reverse("engagement_pair_cohort", args=args))}">'
        f"{w['Pair a whole cohort']}</a> "
        f'<a class="btn btn--link" href="{html.escape(reverse("coaching_report", args=args))}">'
        f"{w['Coaching summary']}</a></div></header>\n"
        f'<form method="get" class="cluster" role="search"><label for="q">'
        f"{w['Search by name']}</label>"
        f'<input id="q" name="q" value="{html.escape(q)}" type="search">'
        f'<button class="btn btn--secondary" type="submit">{w["Search"]}</button></form>\n'
    )
    if not page.object_list:
        return SafeString(header)
    caption = _count(w, "%(n)s engagement", "%(n)s engagements", page.paginator.count)
    heads = "".join(
        f'<th scope="col">{w[h]}</th>'
        for h in ("Coachee", "Coach", "Cohort", "Sessions held / contracted", "Dates", "Focus")
    )
    return SafeString(
        f'{header}\n<div class="table-wrap"><table class="table"><caption>{caption}</caption>\n'
        f"<thead><tr>{heads}</tr></thead>\n"
        f"<tbody>{engagement_rows(page.object_list)}</tbody></table></div>\n"
    )


def engagement_pager(page: Any, q: str) -> SafeString:
    """The engagements' pager (the search kept in each link)."""
    return SafeString(_pager(page, "Previous", "Next", f"&amp;q={html.escape(urlencode(q))}"))
