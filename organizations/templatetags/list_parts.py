"""The parts every list page ends with, written in Python: its pages' links
(``includes/pagination.html``, ``includes/next_pagination.html``,
``organizations/people/_pagination.html``) and its downloads
(``includes/table_downloads.html``). Each include's template is now one of these tags, so every
page that includes one draws it in Python; a list page of this project calls the tag itself and
saves the include too. Each writes exactly what the include's template wrote
(tests/organizations/test_list_parts.py holds them to the templates they replaced)."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString
from django.utils.translation import gettext

from organizations.html_parts import blocktranslate, interpolate, urls_html, value_html
from organizations.words import Words, words

register = template.Library()


def _v(obj: Any, name: str) -> Any:
    """``obj.name`` as a template reads it: called when it is a method (a Django ``Page``'s),
    as it is when a property (``organizations.paging.NextPage``'s)."""
    value = getattr(obj, name)
    return value() if callable(value) else value


def _word(msgid: str, w: Words | None = None) -> str:
    """``{% translate msgid %}``: the translation, escaped (once per catalogue; ``w``, the
    catalogue's words when the caller has them already)."""
    return (w or words()).kept(("list_parts", msgid), lambda: conditional_escape(gettext(msgid)))


def _hx(href: str, target: str) -> str:
    """The htmx attributes that swap the list in place (``target``: the element's id,
    escaped)."""
    if not target:
        return ""
    return f' hx-get="{href}" hx-target="#{target}" hx-swap="outerHTML" hx-push-url="true"'


def _link(css: str, rel: str, href: str, target: str, word: str) -> str:
    rel_html = f' rel="{rel}"' if rel else ""
    return f'<a class="{css}"{rel_html} href="{href}"{_hx(href, target)}>{word}</a>'


def _href(query_html: str, number: Any) -> str:
    """A page's link, keeping the list's query (escaped)."""
    if query_html:
        return f"?{query_html}&amp;page={value_html(number)}"
    return f"?page={value_html(number)}"


def _escaped(value: Any) -> str:
    """A query or target as the template wrote it: escaped, nothing for none."""
    return conditional_escape(value) if value else ""


def _opening(
    w: Words, page: Any, query_html: str, target_html: str, first: str, previous: str
) -> list[str]:
    """The start of both pagers: the list's ``nav`` and, past the first page, a link to the
    first page (past the second) and to the previous one, worded ``first`` and ``previous``
    (``query_html`` and ``target_html`` escaped)."""
    parts = [f'\n<nav class="pagination cluster" aria-label="{_word("Pages", w)}">\n  ']
    if _v(page, "has_previous"):
        number = _v(page, "previous_page_number")
        if number > 1:
            first_href = _href(query_html, 1)
            parts.append(_link("btn btn--link btn--small", "", first_href, target_html, first))
        parts.append("\n  ")
        href = _href(query_html, number)
        parts.append(_link("btn btn--secondary btn--small", "prev", href, target_html, previous))
    return parts


def pagination_html(page: Any, query: Any = "", target: Any = "") -> SafeString:
    """``includes/pagination.html``: the pages of a counted list (a Django ``Page``)."""
    paginator = page.paginator
    if not _v(paginator, "num_pages") > 1:
        return SafeString("\n")
    w, query_html, target_html = words(), _escaped(query), _escaped(target)
    first, previous = _word("First", w), _word("Previous", w)
    parts = _opening(w, page, query_html, target_html, first, previous)
    parts.append(
        '\n  <span class="muted">'
        + interpolate(
            w["%(first)s–%(last)s of %(total)s"],
            {
                "first": _v(page, "start_index"),
                "last": _v(page, "end_index"),
                "total": _v(paginator, "count"),
            },
        )
        + " · "
        + interpolate(
            w["page %(n)s of %(total)s"],
            {"n": _v(page, "number"), "total": _v(paginator, "num_pages")},
        )
        + "</span>\n  "
    )
    if _v(page, "has_next"):
        following = _v(page, "next_page_number")
        href = _href(query_html, following)
        next_word = _word("Next", w)
        parts.append(_link("btn btn--secondary btn--small", "next", href, target_html, next_word))
        parts.append("\n  ")
        if following < _v(paginator, "num_pages"):
            last = _href(query_html, _v(paginator, "num_pages"))
            last_word = _word("Last", w)
            parts.append(_link("btn btn--link btn--small", "", last, target_html, last_word))
    parts.append("\n</nav>\n\n")
    return SafeString("".join(parts))


def next_pagination_html(
    page: Any, query: Any = "", target: Any = "", newer_older: Any = False
) -> SafeString:
    """``includes/next_pagination.html``: the pages of a list that is not counted
    (``organizations.paging.NextPage``), worded newest first with ``newer_older``."""
    if not _v(page, "has_other_pages"):
        return SafeString("\n")
    w, query_html, target_html = words(), _escaped(query), _escaped(target)
    if newer_older:
        first, previous = _word("Newest", w), _word("Newer", w)
    else:
        first, previous = _word("First", w), _word("Previous", w)
    parts = _opening(w, page, query_html, target_html, first, previous)
    parts.append(
        '\n  <span class="muted">'
        + interpolate(
            w["%(first)s–%(last)s · page %(n)s"],
            {
                "first": _v(page, "start_index"),
                "last": _v(page, "end_index"),
                "n": _v(page, "number"),
            },
        )
        + "</span>\n  "
    )
    if _v(page, "has_next"):
        word = _word("Older", w) if newer_older else _word("Next", w)
        href = _href(query_html, _v(page, "next_page_number"))
        parts.append(_link("btn btn--secondary btn--small", "next", href, target_html, word))
    parts.append("\n</nav>\n\n")
    return SafeString("".join(parts))


def page_links_html(page: Any, query: Any = "") -> SafeString:
    """``organizations/people/_pagination.html``: Previous, "Page n of m", Next."""
    paginator = page.paginator
    if not _v(paginator, "num_pages") > 1:
        return SafeString("\n")
    w, query_html = words(), _escaped(query)
    parts = [f'\n<nav class="cluster" aria-label="{_word("Pages", w)}">\n  ']
    if _v(page, "has_previous"):
        href = _href(query_html, _v(page, "previous_page_number"))
        parts.append(
            f'<a class="btn btn--secondary btn--small" href="{href}" rel="prev">'
            f"{_word('Previous', w)}</a>"
        )
    parts.append(
        '\n  <span class="muted">'
        + interpolate(
            w["Page %(n)s of %(total)s"],
            {"n": _v(page, "number"), "total": _v(paginator, "num_pages")},
        )
        + "</span>\n  "
    )
    if _v(page, "has_next"):
        href = _href(query_html, _v(page, "next_page_number"))
        parts.append(
            f'<a class="btn btn--secondary btn--small" href="{href}" rel="next">'
            f"{_word('Next', w)}</a>"
        )
    parts.append("\n</nav>\n\n")
    return SafeString("".join(parts))


def table_downloads_html(query: Any = "", what: Any = "", download_url: Any = "") -> SafeString:
    """``includes/table_downloads.html``: the table above as CSV and XLSX."""
    lead = (
        blocktranslate("Download %(what)s:", what=what) if what else _word("Download this table:")
    )
    base = conditional_escape(download_url or "") + "?"
    if query:
        base += conditional_escape(query) + "&amp;"
    return SafeString(
        f'\n<p class="muted table-downloads">{lead}\n'
        f'  <a href="{base}format=csv" download>CSV</a> ·\n'
        f'  <a href="{base}format=xlsx" download>{_word("Excel (XLSX)")}</a></p>\n'
    )


@register.simple_tag(takes_context=True)
def pagination(context: template.Context, **values: Any) -> SafeString:
    """``{% pagination %}``: ``pagination_html`` of the context's ``page``, ``query`` and
    ``target`` (or of the values given)."""
    get = _reader(context, values)
    if get("page") == "":  # the include wrote its line break alone without a page
        return SafeString("\n")
    return pagination_html(get("page"), get("query"), get("target"))


@register.simple_tag(takes_context=True)
def next_pagination(context: template.Context, **values: Any) -> SafeString:
    get = _reader(context, values)
    if get("page") == "":
        return SafeString("\n")
    return next_pagination_html(get("page"), get("query"), get("target"), get("newer_older"))


@register.simple_tag(takes_context=True)
def page_links(context: template.Context, **values: Any) -> SafeString:
    get = _reader(context, values)
    if get("page") == "":
        return SafeString("\n")
    return page_links_html(get("page"), get("query"))


@register.simple_tag(takes_context=True)
def table_downloads(context: template.Context, **values: Any) -> SafeString:
    get = _reader(context, values)
    return table_downloads_html(get("query"), get("what"), get("download_url"))


@register.filter(is_safe=True)
def html_rows(rows: Any) -> SafeString:
    """``{% for row in rows %}{{ row }}{% endfor %}`` for rows written in Python: joined once
    (each escaped, as ``{{ row }}`` escapes what is not already safe HTML)."""
    return SafeString("".join(conditional_escape(row) for row in rows))


_PEOPLE_TABS = ("people_list", "team_list", "import_upload")


def people_tabs_html(org_slug: str, here: str) -> SafeString:
    """``organizations/people/_people_tabs.html``: People, Teams, Import, ``here`` marked."""
    urls = urls_html(_PEOPLE_TABS, org_slug)  # reversed once per organisation
    links = "".join(
        f'\n  <a href="{urls[name]}" '
        f"{'aria-current="page"' if here == name else ''}>{_word(word)}</a>"
        for name, word in (
            ("people_list", "People"),
            ("team_list", "Teams"),
            ("import_upload", "Import from CSV"),
        )
    )
    return SafeString(
        f'\n<nav class="tabs" aria-label="{_word("People and teams")}">{links}\n</nav>\n\n'
    )


@register.simple_tag(takes_context=True)
def people_tabs(context: template.Context) -> SafeString:
    """``{% people_tabs %}``: ``people_tabs_html`` for the context's organisation and page."""
    match = getattr(context.get("request"), "resolver_match", None)
    return people_tabs_html(context["org"].slug, getattr(match, "url_name", "") or "")


def _reader(context: template.Context, values: dict[str, Any]) -> Any:
    """A value given to the tag, else the context's (as an include sees it), else ``""``."""

    def get(name: str) -> Any:
        if name in values:
            return values[name]
        value = context.get(name, "")
        return "" if value is None else value

    return get
