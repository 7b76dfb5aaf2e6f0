"""The people page and the audit log as HTML written in Python once per page: their header,
filters, counts, table and empty states (the templates keep the page's frame, ``base.html``,
and hand the partial to htmx).

The templates translated every word, reversed every link and resolved every value on every
request: more Python than the pages' reads. Here the same markup comes from string
formatting with the same message ids (so translations apply alike), translated once per
language and process, each link reversed once per organisation, and each page's cells escaped
together (``django.utils.html.escape`` of each: the same characters). What they write is what
the templates wrote, byte for byte (tests/organizations/people/test_list_pages_html.py holds
them to those templates, kept there as they were).
"""

from __future__ import annotations

import datetime as dt
import functools
import html
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.forms import Form
from django.template.defaultfilters import date as date_filter
from django.template.loader import get_template
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import timezone
from django.utils.dates import MONTHS_3
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_noop as N_

from organizations.html_parts import value_html
from organizations.listed_fields import kept_filters
from organizations.paging import NextPage
from organizations.people.queries import (
    ROLE_LABELS,
    STATUS_LABELS,
    AuditLine,
    PendingJoin,
    Status,
    audit_diff,
    reference_names,
)
from organizations.people.tables import zone_abbreviation
from organizations.relative_dates import relative_time
from organizations.templatetags.list_parts import (
    next_pagination_html,
    people_tabs_html,
    table_downloads_html,
)
from organizations.words import words

# Combinations kept per process for each kept part (languages × organisations × queries).
KEPT = 1024


def escape_each(texts: Sequence[str]) -> list[str]:
    """``django.utils.html.escape`` of each of ``texts`` (plain strings): one ``html.escape``
    of them joined rather than one call each (a page escapes hundreds of cells)."""
    if not texts:
        return []
    parts = html.escape("\x00".join(texts)).split("\x00")
    if len(parts) != len(texts):  # a text holding the separator itself
        return [html.escape(text) for text in texts]
    return parts


# --- Words ---------------------------------------------------------------------------------

# The pages' longer sentences, by name.
_PEOPLE_LEAD = N_(
    "Everyone in the organisation: their team, manager and roles. Invite people one by one or "
    "import a CSV file."
)
_JOINING_LEAD = N_(
    "These addresses already use Pathwise elsewhere. They appear under People once they "
    "accept; until then you cannot change their details."
)
_NOT_INVITED_LEAD = N_(
    "People added by an import cannot sign in until they accept an invitation and choose a "
    "password."
)
_NO_PEOPLE_LEAD = N_(
    "Invite your first learners, coaches and sponsors, or import everyone at once from your "
    "HR system's CSV export."
)
_AUDIT_LEAD = N_(
    "Every change made by an HR admin or an import: who, what, when, and the values before "
    "and after. Newest first."
)
_NOTHING_LEAD = N_(
    "Changes to people, teams, cohorts, pathways and the library appear here as admins make "
    "them. Loosen the filters to see more."
)
# ``{% translate %}`` of the pages' literal words: the translation as it is (a template's
# literal is safe text, so the tag does not escape it), from ``organizations.words``. Listed
# here so that the catalogue holds them (the pages ask for them by their text).
_MSGIDS = (
    N_("People"),
    _PEOPLE_LEAD,
    N_("Invite a person"),
    N_("Import from CSV"),
    N_("Asked to join"),
    _JOINING_LEAD,
    N_("And more, newest shown first."),
    _NOT_INVITED_LEAD,
    N_("See who"),
    N_("Invite them all"),
    N_("Filter"),
    N_("Clear filters"),
    N_("match the filters"),
    N_("Name"),
    N_("Job title"),
    N_("Team"),
    N_("Manager"),
    N_("Roles"),
    N_("Status"),
    N_("all people who match the filters"),
    N_("Nobody matches these filters"),
    N_("Try a shorter search or fewer filters."),
    N_("No people yet"),
    _NO_PEOPLE_LEAD,
    N_("Audit log"),
    _AUDIT_LEAD,
    N_("Audit entries, newest first"),
    N_("When"),
    N_("Who"),
    N_("What"),
    N_("Changes"),
    N_("all entries that match the filters"),
    N_("Nothing recorded here"),
    _NOTHING_LEAD,
)


def title(msgid: str) -> SafeString:
    """``{% translate msgid %}`` of one of the pages' words, for the page's title."""
    return SafeString(words()[msgid])


def count_words(singular: str, plural: str, n: int) -> str:
    """``{% blocktranslate count n=… %}``: the catalogue's form for ``n``, ``n`` escaped."""
    return words().count(singular, plural, n) % {"n": value_html(n)}


def with_n(text: str, n: Any) -> str:
    """``{% blocktranslate with n=… %}`` of a translated ``text``: ``n`` escaped."""
    return text % {"n": value_html(n)}


# --- Links and shared parts, kept --------------------------------------------------------


@functools.lru_cache(maxsize=KEPT)
def _urls(_prefix: str, _urlconf: Any, org_slug: str) -> dict[str, str]:
    """``{% url name org.slug %}`` of the pages' links (escaped, as the tag writes them)."""
    names = ("people_list", "person_invite", "import_upload", "people_invite_all", "audit_log")
    found = {name: reverse(name, args=[org_slug]) for name in names}
    # A person's page is the list's address and their id (the rows join it as reversed).
    return {"people_rows": found["people_list"]} | {
        name: conditional_escape(url) for name, url in found.items()
    }


def urls(org_slug: str) -> dict[str, str]:
    return _urls(get_script_prefix(), get_urlconf(), org_slug)


@functools.lru_cache(maxsize=KEPT)
def _tabs(_language: str | None, _prefix: str, _urlconf: Any, org_slug: str, here: str) -> str:
    return people_tabs_html(org_slug, here)


@functools.lru_cache(maxsize=KEPT)
def _pager(
    _language: str | None,
    number: int,
    per_page: int,
    rows: int,
    has_next: bool,
    query: str,
    target: str,
    newer_older: bool,
) -> str:
    # What the pager writes depends on these only (``NextPage``'s properties).
    page = NextPage([None] * rows, number, per_page, has_next)
    return next_pagination_html(page, query, target, newer_older)


def pager(page: NextPage, query: str, target: str = "", newer_older: bool = False) -> str:
    """``{% next_pagination %}`` of ``page``, kept per language, page and query."""
    return _pager(
        get_language(),
        page.number,
        page.per_page,
        len(page.object_list),
        page.has_next,
        query,
        target,
        newer_older,
    )


@functools.lru_cache(maxsize=KEPT)
def _downloads(_language: str | None, query: str, what: str) -> str:
    return table_downloads_html(query, SafeString(what))


def downloads(query: str, what: str) -> str:
    """``{% table_downloads query=query what=what %}`` (``what`` a translated literal)."""
    return _downloads(get_language(), query, what)


# --- Filters, kept -------------------------------------------------------------------------


def filters_html(key: tuple[Any, ...], form: Callable[[], Form], names: Sequence[str]) -> str:
    """The fields ``names`` of the filter form as the page writes them (``form.listed``, one
    after another on lines of their own), kept per ``key`` (``listed_fields.kept_filters``)."""

    def draw() -> str:
        listed: Any = form().listed  # type: ignore[attr-defined]
        return "\n".join(f"    {listed[name]}" for name in names)

    return kept_filters(key, draw)


# --- People --------------------------------------------------------------------------------

_BADGES = {
    Status.ACTIVE: "badge--done",
    Status.DEACTIVATED: "badge--retired",
    Status.INVITED: "badge--info",
    Status.NOT_INVITED: "badge--draft",
}


def _row_words() -> tuple[dict[str, str], dict[str, str]]:
    """The roles' and statuses' labels in the active language, escaped."""
    roles = {role: html.escape(str(label)) for role, label in ROLE_LABELS.items()}
    statuses = {status: html.escape(str(label)) for status, label in STATUS_LABELS.items()}
    return roles, statuses


def _pending_joins_html(joins: Sequence[PendingJoin], shown: int) -> str:
    w = words()
    items = []
    for j in joins[:shown]:
        local = timezone.localtime(j.sent_at)  # what ``|date`` is handed (aware)
        roles = ", ".join(conditional_escape(role) for role in j.roles)
        items.append(
            f"<li>{conditional_escape(j.email)} · {roles} · "
            f'<time datetime="{conditional_escape(date_filter(local, "c"))}">'
            f"{conditional_escape(date_filter(local, 'j M Y'))}</time></li>"
        )
    more = (
        f'<p class="muted">{w["And more, newest shown first."]}</p>' if len(joins) > shown else ""
    )
    return (
        '\n<section class="card stack" aria-labelledby="joining-title">\n'
        f'  <h2 class="card__title" id="joining-title">{w["Asked to join"]}</h2>\n'
        f'  <p class="muted">{w[_JOINING_LEAD]}</p>\n'
        f"  <ul>{''.join(items)}</ul>\n"
        f"  {more}\n"
        "</section>\n"
    )


def _not_invited_html(n: int, more: bool, people_url: str, invite_all_url: str) -> tuple[str, str]:
    """The section about the people not invited yet, in two: before the form's CSRF token
    (the template writes it) and after."""
    w = words()
    if more:
        title = with_n(w["More than %(n)s people have not been invited yet"], n)
        confirm = with_n(
            w["E-mail an invitation to everyone not invited yet, more than %(n)s people, now?"],
            n,
        )
        button = w["Invite them all"]
    else:
        title = count_words(
            "%(n)s person has not been invited yet", "%(n)s people have not been invited yet", n
        )
        confirm = count_words(
            "E-mail an invitation to %(n)s person now?",
            "E-mail an invitation to %(n)s people now?",
            n,
        )
        button = count_words("Invite %(n)s person", "Invite %(n)s people", n)
    before = (
        '\n<section class="card card--primary split" aria-labelledby="not-invited-title">\n'
        "  <div>\n"
        f'    <h2 class="card__title" id="not-invited-title">{title}</h2>\n'
        f'    <p class="muted">{w[_NOT_INVITED_LEAD]} <a href="{people_url}?status=not_invited">'
        f"{w['See who']}</a></p>\n"
        "  </div>\n"
        f'  <form method="post" action="{invite_all_url}" data-confirm="{confirm}">'
    )
    after = (
        f'\n    <button class="btn btn--primary" type="submit">{button}</button>\n'
        "  </form>\n"
        "</section>\n"
    )
    return before, after


def people_rows_html(people: Iterable[Any], people_url: str) -> str:
    """The people table's rows (``PersonRow``), each with the whitespace the template's loop
    wrote around it; a person's page is ``people_url`` and their id."""
    roles, statuses = words().kept(_row_words, _row_words)
    people = list(people)
    texts: list[str] = []
    for p in people:
        texts += (p.name, p.email, p.job_title, p.function, p.team, p.manager)
    escaped = escape_each(texts)
    rows = []
    for i, p in enumerate(people):
        name, email, job, function, team, manager = escaped[6 * i : 6 * i + 6]
        job = job if p.job_title else "—"
        if p.function:
            job = f'{job}<br><span class="muted">{function}</span>'
        rows.append(
            "\n        <tr>\n"
            f'          <th scope="row"><a href="{people_url}{p.id}/">{name}</a>'
            f'<br><span class="muted">{email}</span></th>\n'
            f"          <td>{job}</td>\n"
            f"          <td>{team if p.team else '—'}</td>\n"
            f"          <td>{manager if p.manager else '—'}</td>\n"
            f"          <td>{', '.join([roles[r] for r in p.roles])}</td>\n"
            f'          <td><span class="badge {_BADGES[p.status]}">{statuses[p.status]}'
            "</span></td>\n"
            "        </tr>\n      "
        )
    return "".join(rows)


def people_results_html(
    *,
    org_slug: str,
    people: Sequence[Any],
    page: NextPage,
    total: int,
    total_more: bool,
    filtered: bool,
    query: str,
) -> SafeString:
    """The people page's results (the htmx partial): the count, the table and its pages and
    downloads, or the empty state."""
    w = words()
    u = urls(org_slug)
    if total_more:
        count = with_n(w["More than %(n)s people"], total)
    else:
        count = count_words("%(n)s person", "%(n)s people", total)
    if filtered:
        count += f" {w['match the filters']}"
    if people:
        body = (
            '\n  <div class="table-wrap">\n'
            '    <table class="table">\n'
            f'      <caption class="visually-hidden">{w["People"]}</caption>\n'
            "      <thead><tr>\n"
            f'        <th scope="col">{w["Name"]}</th><th scope="col">{w["Job title"]}</th>'
            f'<th scope="col">{w["Team"]}</th>\n'
            f'        <th scope="col">{w["Manager"]}</th><th scope="col">{w["Roles"]}</th>'
            f'<th scope="col">{w["Status"]}</th>\n'
            "      </tr></thead>\n"
            "      <tbody>\n"
            f"      {people_rows_html(people, u['people_rows'])}\n"
            "      </tbody>\n"
            "    </table>\n"
            "  </div>\n"
            f"  {pager(page, query, 'people-results')}\n"
            f"  {downloads(query, w['all people who match the filters'])}\n"
            "  "
        )
    elif filtered:
        body = (
            '\n  <div class="empty-state">'
            f"<h2>{w['Nobody matches these filters']}</h2>"
            f"<p>{w['Try a shorter search or fewer filters.']}</p>"
            f'<a class="btn btn--secondary" href="{u["people_list"]}">{w["Clear filters"]}</a>'
            "</div>\n  "
        )
    else:
        body = (
            '\n  <div class="empty-state">'
            f"<h2>{w['No people yet']}</h2><p>{w[_NO_PEOPLE_LEAD]}</p>"
            f'<a class="btn btn--primary" href="{u["import_upload"]}">{w["Import from CSV"]}</a>'
            "</div>\n  "
        )
    return SafeString(
        '\n<section id="people-results" aria-live="polite" class="stack">\n'
        f'  <p class="muted">{count}</p>\n'
        f"  {body}\n"
        "</section>\n"
    )


def people_page_html(
    *,
    org_slug: str,
    here: str,
    filters: str,
    filtered: bool,
    not_invited: int,
    not_invited_more: bool,
    pending_joins: Sequence[PendingJoin],
    pending_joins_shown: int,
    results: str,
) -> tuple[SafeString, SafeString]:
    """The people page's content, in two: before the not-invited section's CSRF token and
    after it (nothing after when there is no such section)."""
    w = words()
    u = urls(org_slug)
    joins = _pending_joins_html(pending_joins, pending_joins_shown) if pending_joins else ""
    clear = (
        f'<a class="btn btn--link" href="{u["people_list"]}">{w["Clear filters"]}</a>'
        if filtered
        else ""
    )
    top = (
        '\n<header class="page-header split">\n'
        "  <div>\n"
        f'    <h1 class="page-header__title">{w["People"]}</h1>\n'
        f'    <p class="page-header__lead">{w[_PEOPLE_LEAD]}</p>\n'
        "  </div>\n"
        '  <div class="page-header__actions cluster">\n'
        f'    <a class="btn btn--primary" href="{u["person_invite"]}">{w["Invite a person"]}</a>\n'
        f'    <a class="btn btn--secondary" href="{u["import_upload"]}">'
        f"{w['Import from CSV']}</a>\n"
        "  </div>\n"
        "</header>\n"
        f"{_tabs(get_language(), get_script_prefix(), get_urlconf(), org_slug, here)}\n"
        f"{joins}\n"
    )
    form = (
        "\n\n"
        f'<form method="get" action="{u["people_list"]}" class="card stack" role="search"\n'
        f'      hx-get="{u["people_list"]}" hx-target="#people-results" hx-swap="outerHTML"'
        ' hx-push-url="true"\n'
        '      hx-trigger="input changed delay:300ms from:#id_q, change, submit">\n'
        '  <div class="grid grid--3">\n'
        f"{filters}\n"
        "  </div>\n"
        '  <div class="form-actions cluster">\n'
        f'    <button class="btn btn--secondary" type="submit">{w["Filter"]}</button>\n'
        f"    {clear}\n"
        "  </div>\n"
        "</form>\n\n"
        f"{results}\n"
    )
    if not not_invited:
        return SafeString(top + form), SafeString("")
    before, after = _not_invited_html(
        not_invited, not_invited_more, u["people_list"], u["people_invite_all"]
    )
    return SafeString(top + before), SafeString(after + form)


# --- Audit log -----------------------------------------------------------------------------

# The snapshot keys' words kept per language (``audit_diff``'s ``labels``) up to this many.
AUDIT_LABELS_KEPT = 4096


def _audit_words() -> tuple[str, dict[int, str], dict[str, str]]:
    """In the active language: "no field changes" (escaped), the months as ``|date:"M"``
    writes them, and a store for the snapshot keys' words."""
    months = {month: str(MONTHS_3[month]).title() for month in range(1, 13)}
    return html.escape(gettext("no field changes")), months, {}


# Relative moments kept per language and span (``_span``) up to this many.
AGO_KEPT = 4096
_agos: dict[tuple[Any, ...], str] = {}


def _span(value: dt.datetime, now: dt.datetime, today: dt.date, zone: dt.tzinfo) -> tuple[Any, ...]:
    """What ``relative_time(value, now, zone)`` says depends on, nothing more: under half a
    minute, its direction; under an hour, the minutes and direction; under a day (or on the
    same local day), the hours and direction; else the local days between (``today``:
    ``now``'s local date in ``zone``)."""
    seconds = (value.astimezone(dt.UTC) - now.astimezone(dt.UTC)).total_seconds()
    span = abs(seconds)
    if span < 30:
        return (0, seconds <= 0)
    minutes = int(span / 60 + 0.5)
    if minutes < 60:
        return (1, minutes, seconds > 0)
    day = value.astimezone(zone).date()
    if span < 86400:
        return (2, min(23, int(span / 3600 + 0.5)), seconds > 0)
    if day == today:
        return (3, int(span / 3600 + 0.5), seconds > 0)
    return (4, (day - today).days)


def relative_moment(
    value: dt.datetime, now: dt.datetime, today: dt.date, zone: dt.tzinfo, language: str | None
) -> str:
    """``relative_time(value, now, zone)``, said once per language and span and kept."""
    key = (language, *_span(value, now, today, zone))
    said = _agos.get(key)
    if said is None:
        if len(_agos) >= AGO_KEPT:
            _agos.clear()
        said = _agos[key] = relative_time(value, now, zone)
    return said


def audit_rows_html(lines: Iterable[AuditLine], now: dt.datetime | None = None) -> str:
    """The audit page's rows (``queries.audit_page``) as the table's rows of HTML, each with
    the whitespace the template's loop wrote around it: times in the active zone (the
    organisation's), the diffs in the admin's words with the rows they refer to named (one
    query for the page, none when no snapshot refers to a row)."""
    lines = list(lines)
    names = reference_names(snap for line in lines for snap in (line.before, line.after))
    now = now or timezone.now()
    zone = timezone.get_current_timezone()
    language = get_language()
    none, months, labels = words().kept(_audit_words, _audit_words)
    today = now.astimezone(zone).date()
    if len(labels) > AUDIT_LABELS_KEPT:
        labels.clear()
    texts: list[str] = []
    shapes = []
    for line in lines:
        local = line.created_at.astimezone(zone)  # ``timezone.localtime``
        exact = (
            f"{local.day} {months[local.month]} {local.year:04d}, "
            f"{local.hour:02d}:{local.minute:02d}:{local.second:02d} {zone_abbreviation(local)}"
        )
        diff = audit_diff(line.before, line.after, names, labels)
        texts += (
            exact,
            relative_moment(line.created_at, now, today, zone, language),
            line.actor,
            line.action,
            line.object_type.lower(),
            line.object_repr,
        )
        for d in diff:
            texts += (d.field, d.before, d.after)
        shapes.append((local.isoformat(), [d.kind for d in diff]))
    escaped = escape_each(texts)
    at = 0
    rows = []
    for iso, kinds in shapes:
        exact, ago, actor, action, kind, object_repr = escaped[at : at + 6]
        at += 6
        if kinds:
            parts = ['<dl class="kv">']
            for change in kinds:
                field, before, after = escaped[at : at + 3]
                at += 3
                if change == "added":
                    shown = after
                elif change == "removed":
                    shown = f"<del>{before}</del>"
                else:
                    shown = f"<del>{before}</del> → <ins>{after}</ins>"
                parts.append(f"<dt>{field}</dt><dd>{shown}</dd>")
            parts.append("</dl>")
            changes = "".join(parts)
        else:
            changes = f'<span class="muted">{none}</span>'
        rows.append(
            "\n      <tr>\n"
            f'        <td><time datetime="{iso}">{exact}</time><br>'
            f'<span class="muted">{ago}</span></td>\n'
            f"        <td>{actor}</td>\n"
            f"        <td><strong>{action}</strong> {kind}<br>"
            f'<span class="muted">{object_repr}</span></td>\n'
            f"        <td>{changes}</td>\n"
            "      </tr>\n    "
        )
    return "".join(rows)


def _form_errors_html(form: Form | None) -> str:
    """``{% include "includes/form_errors.html" %}``: nothing but its line break when the form
    has no errors (an unbound form has none)."""
    if form is None or not form.errors:
        return "\n"
    return str(get_template("includes/form_errors.html").render({"form": form}))


def audit_results_html(*, page: NextPage, rows: str, query: str) -> SafeString:
    """The audit log's results (the htmx partial): the count, the entries, their downloads
    and pages, or the empty state."""
    w = words()
    total = page.total
    if total is not None:
        count = count_words("%(n)s entry", "%(n)s entries", total)
    else:
        count = with_n(w["More than %(n)s entries"], page.end_index)
    if rows:
        body = (
            '\n  <div class="table-wrap"><table class="table">\n'
            f'    <caption class="visually-hidden">{w["Audit entries, newest first"]}</caption>\n'
            f'    <thead><tr><th scope="col">{w["When"]}</th><th scope="col">{w["Who"]}</th>'
            f'<th scope="col">{w["What"]}</th><th scope="col">{w["Changes"]}</th></tr></thead>\n'
            "    <tbody>\n"
            f"    {rows}\n"
            "    </tbody>\n"
            "  </table></div>\n"
            f"  {downloads(query, w['all entries that match the filters'])}\n"
            f"  {pager(page, query, newer_older=True)}\n"
            "  "
        )
    else:
        body = (
            '\n  <div class="empty-state">'
            f"<h2>{w['Nothing recorded here']}</h2><p>{w[_NOTHING_LEAD]}</p></div>\n  "
        )
    return SafeString(
        '\n<section id="audit-results" class="stack" aria-live="polite">\n'
        f'  <p class="muted">{count}</p>\n'
        f"  {body}\n"
        "</section>\n"
    )


def audit_page_html(
    *, org_slug: str, form: Form | None, filters: str, query: str, results: str
) -> SafeString:
    """The audit log's content: its header, filters (``form``: the bound filter form, for its
    errors) and results."""
    w = words()
    url = urls(org_slug)["audit_log"]
    clear = f'<a class="btn btn--link" href="{url}">{w["Clear filters"]}</a>' if query else ""
    return SafeString(
        '\n<header class="page-header">\n'
        f'  <h1 class="page-header__title">{w["Audit log"]}</h1>\n'
        f'  <p class="page-header__lead">{w[_AUDIT_LEAD]}</p>\n'
        "</header>\n"
        f'<form method="get" action="{url}" class="card stack" novalidate\n'
        f'      hx-get="{url}" hx-target="#audit-results" hx-swap="outerHTML"'
        ' hx-push-url="true" hx-trigger="change, submit">\n'
        f"  {_form_errors_html(form)}\n"
        '  <div class="grid grid--3">\n'
        f"{filters}\n"
        "  </div>\n"
        '  <div class="form-actions cluster"><button class="btn btn--secondary" type="submit">'
        f"{w['Filter']}</button>\n"
        f"    {clear}</div>\n"
        "</form>\n"
        f"{results}\n"
    )
