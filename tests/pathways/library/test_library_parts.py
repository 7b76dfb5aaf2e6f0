"""The module library's page put together in Python (pathways/library/page_parts.py): the same
HTML as its template wrote (tests/pathways/library/templates_before.py), in every shape the page
takes (an empty library, no match, one page, several, filters on, a search and names with
characters to escape, a value not among a filter's choices) and language."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from django.http import QueryDict
from django.template import Context, Template
from django.utils import translation
from django.utils.safestring import SafeString

from pathways.library import page_parts
from pathways.library.forms import LibraryFilterForm
from pathways.library.queries import LibraryFilters, LibraryPage, PageNumbers
from pathways.library.views import _filters
from tests.pathways.library import templates_before

SLUG = "acme-t"
NASTY = "<b>&\"'"
ROWS_HTML = SafeString("\n      <tr><th>the rows as _rows_html wrote them</th></tr>\n    ")


def _data(total: int, size: int, number: int = 1) -> LibraryPage:
    pages = max(1, -(-total // 20))
    return LibraryPage(
        rows=[SimpleNamespace(id=i) for i in range(min(total, 20))],  # type: ignore[misc]
        page=PageNumbers(number, pages),
        total=total,
        competencies=[(3, f"Coaching {NASTY}"), (1, "Feedback")],
        roles=["Team lead", f"A & B {NASTY}"],
        functions=[],
        impacts=["x"],
        library_size=size,
        rows_html=ROWS_HTML if total else SafeString(),
    )


def _before(data: LibraryPage, params: QueryDict, filters: LibraryFilters, query: str) -> str:
    form = LibraryFilterForm(
        params or None, data.competencies, data.roles, data.functions, data.impacts
    )
    context = {"org": SimpleNamespace(slug=SLUG), "data": data, "form": form}
    context.update(filters=filters, query=query)
    return Template(templates_before.LIBRARY).render(Context(context))


def _now(data: LibraryPage, params: QueryDict, filters: LibraryFilters, query: str) -> str:
    urls = page_parts.urls_of(SLUG)
    fields = page_parts.filter_fields(data, params or None)
    if fields is None:
        form = LibraryFilterForm(
            params or None, data.competencies, data.roles, data.functions, data.impacts
        )
        fields = SafeString(
            "\n    ".join(form.listed[name] for name, _l, _e in page_parts.FILTER_FIELDS)
        )
    top = page_parts.top(urls, filters, fields)
    results = page_parts.results(data, filters, query, urls)
    return Template("{{ top }}{{ results }}\n").render(Context({"top": top, "results": results}))


SHAPES: list[tuple[str, dict[str, Any]]] = [
    ("", {"total": 0, "size": 0}),  # the library is empty
    ("q=nothing", {"total": 0, "size": 7}),  # no match
    ("", {"total": 7, "size": 7}),
    ("", {"total": 65, "size": 65}),  # first of several pages
    ("page=2", {"total": 65, "size": 65, "number": 2}),
    ("page=4", {"total": 65, "size": 65, "number": 4}),
    ("q=%3Cb%3E%26%22%27&role=A+%26+B+%3Cb%3E%26%22%27&competency=3", {"total": 1, "size": 9}),
    ("format=read&status=draft&impact=x&function=", {"total": 21, "size": 40, "number": 2}),
    ("competency=2", {"total": 3, "size": 9}),  # not a choice: the form's error
    ("role=nobody&format=csv", {"total": 3, "size": 9}),
    ("status=zz&role=Team+lead", {"total": 3, "size": 9}),
]


@pytest.mark.parametrize("language", ["en", "de"])
@pytest.mark.parametrize(("params", "shape"), SHAPES)
def test_the_library_is_what_its_template_wrote(language, params, shape):
    query_dict = QueryDict(params)
    data = _data(**shape)
    filters = _filters(query_dict)
    query = query_dict.urlencode()
    with translation.override(language):
        before = _before(data, query_dict, filters, query)
        assert _now(data, query_dict, filters, query) == before
    assert "<select" in before and "library-results" in before


def test_a_value_not_among_the_choices_is_drawn_by_the_form():
    data = _data(3, 9)
    assert page_parts.filter_fields(data, QueryDict("competency=2")) is None
    assert page_parts.filter_fields(data, QueryDict("status=zz")) is None
    assert page_parts.filter_fields(data, QueryDict("competency=3&status=draft")) is not None
    assert page_parts.filter_fields(data, None) is not None
