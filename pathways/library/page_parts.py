"""The module library's page (``pathways/library/library.html``) put together in Python once per
request: its header, tabs and filter form (``top``) and its results (``results``, also the
htmx partial). The template resolved and translated each heading, label and option, and drew
the filter form through Django's form machinery, which cost more than the page's reads.

Here the same markup comes from string formatting with the same message ids (each looked up
once per catalogue, ``organizations.words``), the same escaping (values escaped, translated text
as the template inserts it) and the selects as ``ListedSelect`` draws them: byte for byte what
the template wrote (tests/pathways/library/test_library_parts.py holds them to it). The filter
fields come from the form itself whenever a chosen value is not among a field's choices (the
field then shows the form's error). No queries.
"""

from __future__ import annotations

import functools
import html
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.safestring import SafeString, mark_safe

from organizations.html_parts import interpolate
from organizations.templatetags.list_parts import table_downloads_html
from organizations.words import Words, words
from pathways.library.queries import LibraryFilters, LibraryPage
from pathways.models import Module

# The filter form's fields in the page's order: name, label, the empty choice's text.
FILTER_FIELDS = (
    ("competency", "Competency", "Any competency"),
    ("role", "Role", "Any role"),
    ("function", "Function", "Any function"),
    ("impact", "Impact area", "Any impact area"),
    ("format", "Format", "Any format"),
    ("status", "Status", "Any status"),
)


@dataclass(frozen=True)
class LibraryUrls:
    """The page's links for one organisation (reversed once per process for each)."""

    library: str
    new_module: str
    scenarios: str


@functools.lru_cache(maxsize=1024)
def _urls(org_slug: str, _prefix: str, _urlconf: Any) -> LibraryUrls:
    args = [org_slug]
    return LibraryUrls(
        library=html.escape(reverse("module_library", args=args)),
        new_module=html.escape(reverse("library_module_new", args=args)),
        scenarios=html.escape(reverse("library_scenario_list", args=args)),
    )


def urls_of(org_slug: str) -> LibraryUrls:
    return _urls(org_slug, get_script_prefix(), get_urlconf())


def _choices(data: LibraryPage, name: str) -> list[tuple[str, Any]]:
    """A filter's choices after its empty one: (value as text, label)."""
    if name == "competency":
        return [(str(pk), text) for pk, text in data.competencies]
    if name in ("role", "function", "impact"):
        values = {"role": data.roles, "function": data.functions, "impact": data.impacts}[name]
        return [(v, v) for v in values]
    choices = Module.Format.choices if name == "format" else Module.Status.choices
    # The model's labels, translated once per catalogue.
    return words().kept(
        ("library filter", name), lambda: [(str(value), str(label)) for value, label in choices]
    )


def filter_fields(data: LibraryPage, params: Mapping[str, Any] | None) -> SafeString | None:
    """The six filter fields as the form draws them (``field_html`` of each, one per line),
    for the request's ``params`` (``None``: an unbound form); ``None`` when a value chosen is
    not among its field's choices: the form then draws its error."""
    w = words()
    fields = []
    for name, label, empty in FILTER_FIELDS:
        choices = _choices(data, name)
        chosen = params.get(name) if params is not None else None
        value = "" if chosen is None else str(chosen)
        if value and all(value != v for v, _label in choices):
            return None
        options = [("", w[empty]), *choices]
        first = next(i for i, (v, _label) in enumerate(options) if v == value)
        drawn = "".join(
            f'\n  <option value="{html.escape(v)}"{" selected" if i == first else ""}>'
            f"{html.escape(str(text))}</option>\n"
            for i, (v, text) in enumerate(options)
        )
        fields.append(
            '<div class="field">\n'
            f'  <label for="id_{name}">{html.escape(w[label])}</label>\n'
            f'  <select name="{name}" id="id_{name}">{drawn}\n</select>\n'
            "  \n  \n</div>\n"
        )
    return mark_safe("\n    ".join(fields))  # noqa: S308 - every value is escaped above


def top(urls: LibraryUrls, filters: LibraryFilters, fields: str) -> SafeString:
    """The page's header, its tabs and the filter form (``fields``: ``filter_fields``)."""
    w = words()
    lead = w[
        "Micro-modules of at most 15 minutes, each with a practice task and retrieval "
        "questions. Pathways are built from the published ones."
    ]
    clear = (
        f'<a class="btn btn--link" href="{urls.library}">{w["Clear filters"]}</a>'
        if filters.active
        else ""
    )
    return SafeString(
        "\n"
        '<header class="page-header">\n'
        f'  <h1 class="page-header__title">{w["Module library"]}</h1>\n'
        f'  <p class="page-header__lead">{lead}</p>\n'
        '  <div class="page-header__actions"><a class="btn btn--primary"'
        f' href="{urls.new_module}">{w["New module"]}</a></div>\n'
        "</header>\n"
        f'<nav class="tabs" aria-label="{w["Library sections"]}">\n'
        "  <ul>\n"
        f'    <li><a href="{urls.library}" aria-current="page">{w["Modules"]}</a></li>\n'
        f'    <li><a href="{urls.scenarios}" >{w["Scenarios"]}</a></li>\n'
        "  </ul>\n"
        "</nav>\n"
        "\n\n"
        f'<form method="get" action="{urls.library}" class="card stack" role="search"\n'
        f'      hx-get="{urls.library}" hx-target="#library-results" hx-swap="outerHTML"'
        ' hx-push-url="true"\n'
        '      hx-trigger="submit, input changed delay:400ms from:#id_q, change">\n'
        '  <div class="field">\n'
        f'    <label for="id_q">{w["Search titles, summaries and bodies"]}</label>\n'
        '    <input type="search" name="q" id="id_q"'
        f' value="{html.escape(filters.text)}" maxlength="200"'
        f' placeholder="{w["e.g. feedback, delegation, resistance"]}">\n'
        "  </div>\n"
        '  <div class="grid grid--3">\n'
        f"    {fields}\n"
        "  </div>\n"
        '  <div class="form-actions">\n'
        f'    <button class="btn btn--secondary" type="submit">{w["Search"]}</button>\n'
        f"    {clear}\n"
        f'    <span class="htmx-indicator muted" aria-hidden="true">{w["Searching…"]}</span>\n'
        "  </div>\n"
        "</form>\n\n"
    )


def _pager(w: Words, data: LibraryPage, query: str) -> str:
    page = data.page
    if not page.has_other_pages:
        return ""
    before = f"{html.escape(query)}&amp;" if query else ""
    back = forward = ""
    if page.has_previous:
        back = (
            f'<a class="btn btn--secondary btn--small"'
            f' href="?{before}page={page.previous_page_number}">{w["Previous"]}</a>'
        )
    if page.has_next:
        forward = (
            f'<a class="btn btn--secondary btn--small"'
            f' href="?{before}page={page.next_page_number}">{w["Next"]}</a>'
        )
    where = interpolate(w["Page %(n)s of %(total)s"], {"n": page.number, "total": page.num_pages})
    return (
        f'\n  <nav class="cluster" aria-label="{w["Pages"]}">\n'
        f"    {back}\n"
        f'    <span class="muted">{where}</span>\n'
        f"    {forward}\n"
        "  </nav>\n  "
    )


def results(
    data: LibraryPage, filters: LibraryFilters, query: str, urls: LibraryUrls
) -> SafeString:
    """The results section (the page's htmx partial): the count, the table, the downloads and
    the pager; or why nothing is listed."""
    w = words()
    if data.rows:
        count = interpolate(
            w.count(
                "%(total)s module matches, of %(size)s in the library.",
                "%(total)s modules match, of %(size)s in the library.",
                data.total,
            ),
            {"size": data.library_size, "total": data.total},
        )
        best = f" {w['Best matches first.']}" if filters.text else ""
        heads = (
            f'<th scope="col">{w["Module"]}</th><th scope="col">{w["Format"]}</th>'
            f'<th scope="col" class="num">{w["Time"]}</th>'
            f'<th scope="col">{w["Competencies"]}</th><th scope="col">{w["Practice"]}</th>'
            f'<th scope="col">{w["Learners"]}</th><th scope="col">{w["Status"]}</th>'
        )
        downloads = table_downloads_html(query, mark_safe(w["all modules that match"]))  # noqa: S308 - the template's translated text, as it inserted it
        body = (
            f'\n  <p class="muted">{count}{best}</p>\n'
            '  <div class="table-wrap">\n'
            '  <table class="table">\n'
            f'    <caption class="visually-hidden">{w["Modules"]}</caption>\n'
            f"    <thead><tr>{heads}</tr></thead>\n"
            "    <tbody>\n"
            f"    {data.rows_html}\n"
            "    </tbody>\n"
            "  </table>\n"
            "  </div>\n"
            f"  {downloads}\n  {_pager(w, data, query)}\n  "
        )
    elif data.library_size:
        body = (
            f'\n  <div class="empty-state"><h2>{w["No module matches"]}</h2>'
            "<p>"
            f"{w['Try fewer words or remove a filter. Every word you type must appear in the module.']}"
            f'</p><a class="btn btn--secondary" href="{urls.library}">'
            f"{w['Show all modules']}</a></div>\n  "
        )
    else:
        lead = w[
            "Modules are short lessons (at most 15 minutes) with a practice task and retrieval "
            "questions. Write the first one, then add it to a pathway."
        ]
        body = (
            f'\n  <div class="empty-state"><h2>{w["The library is empty"]}</h2><p>{lead}</p>'
            f'<a class="btn btn--primary" href="{urls.new_module}">'
            f"{w['Write the first module']}</a></div>\n  "
        )
    return SafeString(
        '\n<section id="library-results" class="stack" aria-live="polite"'
        ' aria-labelledby="results-heading">\n'
        f'  <h2 id="results-heading" class="visually-hidden">{w["Results"]}</h2>\n'
        f"  {body}\n"
        "</section>\n"
    )
