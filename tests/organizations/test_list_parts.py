"""The list parts written in Python (organizations/templatetags/list_parts.py) against the
include templates they replaced, kept here as they were: the same bytes for every kind of page
(first, middle, last, only), with and without a query, an htmx target, a wording."""

from __future__ import annotations

import pytest
from django.core.paginator import Paginator
from django.template import Context, Template
from django.utils import translation

from organizations.paging import NextPage
from organizations.templatetags import list_parts

# The include templates as they were before they called the tags.
_PEOPLE_TABS = Template(
    '{% load i18n %}{% with here=request.resolver_match.url_name %}\n<nav class="tabs" aria-label="{% translate \'People and teams\' %}">\n  <a href="{% url \'people_list\' org.slug %}" {% if here == \'people_list\' %}aria-current="page"{% endif %}>{% translate "People" %}</a>\n  <a href="{% url \'team_list\' org.slug %}" {% if here == \'team_list\' %}aria-current="page"{% endif %}>{% translate "Teams" %}</a>\n  <a href="{% url \'import_upload\' org.slug %}" {% if here == \'import_upload\' %}aria-current="page"{% endif %}>{% translate "Import from CSV" %}</a>\n</nav>\n{% endwith %}\n'
)
_PAGINATION = Template(
    '{% load i18n %}{# Pages of a long list. Pass `page` (a Django Page), `query` (the list\'s other parameters, urlencoded, without `page`) and, to swap the list in place with htmx, `target` (the id of the element the list\'s partial replaces). The links are real links: without JavaScript they load the page. #}{% if page.paginator.num_pages > 1 %}\n<nav class="pagination cluster" aria-label="{% translate \'Pages\' %}">\n  {% if page.has_previous %}{% if page.previous_page_number > 1 %}<a class="btn btn--link btn--small" href="?{% if query %}{{ query }}&amp;{% endif %}page=1"{% if target %} hx-get="?{% if query %}{{ query }}&amp;{% endif %}page=1" hx-target="#{{ target }}" hx-swap="outerHTML" hx-push-url="true"{% endif %}>{% translate "First" %}</a>{% endif %}\n  <a class="btn btn--secondary btn--small" rel="prev" href="?{% if query %}{{ query }}&amp;{% endif %}page={{ page.previous_page_number }}"{% if target %} hx-get="?{% if query %}{{ query }}&amp;{% endif %}page={{ page.previous_page_number }}" hx-target="#{{ target }}" hx-swap="outerHTML" hx-push-url="true"{% endif %}>{% translate "Previous" %}</a>{% endif %}\n  <span class="muted">{% blocktranslate with first=page.start_index last=page.end_index total=page.paginator.count %}{{ first }}\u2013{{ last }} of {{ total }}{% endblocktranslate %} \u00b7 {% blocktranslate with n=page.number total=page.paginator.num_pages %}page {{ n }} of {{ total }}{% endblocktranslate %}</span>\n  {% if page.has_next %}<a class="btn btn--secondary btn--small" rel="next" href="?{% if query %}{{ query }}&amp;{% endif %}page={{ page.next_page_number }}"{% if target %} hx-get="?{% if query %}{{ query }}&amp;{% endif %}page={{ page.next_page_number }}" hx-target="#{{ target }}" hx-swap="outerHTML" hx-push-url="true"{% endif %}>{% translate "Next" %}</a>\n  {% if page.next_page_number < page.paginator.num_pages %}<a class="btn btn--link btn--small" href="?{% if query %}{{ query }}&amp;{% endif %}page={{ page.paginator.num_pages }}"{% if target %} hx-get="?{% if query %}{{ query }}&amp;{% endif %}page={{ page.paginator.num_pages }}" hx-target="#{{ target }}" hx-swap="outerHTML" hx-push-url="true"{% endif %}>{% translate "Last" %}</a>{% endif %}{% endif %}\n</nav>\n{% endif %}\n'
)
_NEXT_PAGINATION = Template(
    '{% load i18n %}{# Pages of a long list that is not counted (organizations.paging.NextPage): `page`, `query` (the list\'s other parameters, urlencoded, without `page`), optionally `target` (the id of the element the list\'s partial replaces, to swap it in place with htmx), `newer_older` to word the links for a list newest first. Real links: without JavaScript they load the page. #}{% if page.has_other_pages %}\n<nav class="pagination cluster" aria-label="{% translate \'Pages\' %}">\n  {% if page.has_previous %}{% if page.previous_page_number > 1 %}<a class="btn btn--link btn--small" href="?{% if query %}{{ query }}&amp;{% endif %}page=1"{% if target %} hx-get="?{% if query %}{{ query }}&amp;{% endif %}page=1" hx-target="#{{ target }}" hx-swap="outerHTML" hx-push-url="true"{% endif %}>{% if newer_older %}{% translate "Newest" %}{% else %}{% translate "First" %}{% endif %}</a>{% endif %}\n  <a class="btn btn--secondary btn--small" rel="prev" href="?{% if query %}{{ query }}&amp;{% endif %}page={{ page.previous_page_number }}"{% if target %} hx-get="?{% if query %}{{ query }}&amp;{% endif %}page={{ page.previous_page_number }}" hx-target="#{{ target }}" hx-swap="outerHTML" hx-push-url="true"{% endif %}>{% if newer_older %}{% translate "Newer" %}{% else %}{% translate "Previous" %}{% endif %}</a>{% endif %}\n  <span class="muted">{% blocktranslate with first=page.start_index last=page.end_index n=page.number %}{{ first }}\u2013{{ last }} \u00b7 page {{ n }}{% endblocktranslate %}</span>\n  {% if page.has_next %}<a class="btn btn--secondary btn--small" rel="next" href="?{% if query %}{{ query }}&amp;{% endif %}page={{ page.next_page_number }}"{% if target %} hx-get="?{% if query %}{{ query }}&amp;{% endif %}page={{ page.next_page_number }}" hx-target="#{{ target }}" hx-swap="outerHTML" hx-push-url="true"{% endif %}>{% if newer_older %}{% translate "Older" %}{% else %}{% translate "Next" %}{% endif %}</a>{% endif %}\n</nav>\n{% endif %}\n'
)
_TABLE_DOWNLOADS = Template(
    '{% load i18n %}{# The table above as a download: pass `query` (the page\'s filters, urlencoded), optionally `what`, and `download_url` when the table is another page\'s (e.g. a dashboard\'s summary of a list). #}\n<p class="muted table-downloads">{% if what %}{% blocktranslate %}Download {{ what }}:{% endblocktranslate %}{% else %}{% translate "Download this table:" %}{% endif %}\n  <a href="{{ download_url|default:\'\' }}?{% if query %}{{ query }}&amp;{% endif %}format=csv" download>CSV</a> \u00b7\n  <a href="{{ download_url|default:\'\' }}?{% if query %}{{ query }}&amp;{% endif %}format=xlsx" download>{% translate "Excel (XLSX)" %}</a></p>\n'
)
_PAGE_LINKS = Template(
    '{% load i18n %}{% if page.paginator.num_pages > 1 %}\n<nav class="cluster" aria-label="{% translate \'Pages\' %}">\n  {% if page.has_previous %}<a class="btn btn--secondary btn--small" href="?{% if query %}{{ query }}&amp;{% endif %}page={{ page.previous_page_number }}" rel="prev">{% translate "Previous" %}</a>{% endif %}\n  <span class="muted">{% blocktranslate with n=page.number total=page.paginator.num_pages %}Page {{ n }} of {{ total }}{% endblocktranslate %}</span>\n  {% if page.has_next %}<a class="btn btn--secondary btn--small" href="?{% if query %}{{ query }}&amp;{% endif %}page={{ page.next_page_number }}" rel="next">{% translate "Next" %}</a>{% endif %}\n</nav>\n{% endif %}\n'
)

_QUERIES = ["", "q=ana&status=active", "q=%3Cb%3E+%26"]


def _pages() -> list:
    pages = []
    for count in (0, 10, 25, 26, 60, 1234):
        paginator = Paginator(range(count), 25, allow_empty_first_page=True)
        pages += [paginator.page(n) for n in paginator.page_range]
    return pages


def _next_pages() -> list:
    return [
        NextPage(object_list=list(range(n)), number=number, per_page=25, has_next=more)
        for number in (1, 2, 3, 7)
        for n, more in ((25, True), (3, False), (0, False))
    ]


@pytest.mark.parametrize("target", ["", "team-results"])
@pytest.mark.parametrize("query", _QUERIES)
def test_the_pagination_is_what_its_include_wrote(query, target):
    with translation.override("en"):
        for page in _pages():
            context = {"page": page, "query": query, "target": target}
            old = _PAGINATION.render(Context(context))
            assert list_parts.pagination_html(page, query, target) == old


@pytest.mark.parametrize("newer_older", [False, True])
@pytest.mark.parametrize("target", ["", "people-results"])
@pytest.mark.parametrize("query", _QUERIES)
def test_the_next_pagination_is_what_its_include_wrote(query, target, newer_older):
    with translation.override("en"):
        for page in _next_pages():
            context = {"page": page, "query": query, "target": target, "newer_older": newer_older}
            old = _NEXT_PAGINATION.render(Context(context))
            assert list_parts.next_pagination_html(page, query, target, newer_older) == old


@pytest.mark.parametrize("query", _QUERIES)
def test_the_page_links_are_what_their_include_wrote(query):
    with translation.override("en"):
        for page in _pages():
            old = _PAGE_LINKS.render(Context({"page": page, "query": query}))
            assert list_parts.page_links_html(page, query) == old


@pytest.mark.parametrize("download_url", ["", "/o/acme/cohorts/"])
@pytest.mark.parametrize("what", ["", "all people who <match> & more"])
@pytest.mark.parametrize("query", _QUERIES)
def test_the_table_downloads_are_what_their_include_wrote(query, what, download_url):
    context = {"query": query, "what": what, "download_url": download_url}
    with translation.override("en"):
        old = _TABLE_DOWNLOADS.render(Context(context))
        assert list_parts.table_downloads_html(query, what, download_url) == old


def test_the_include_templates_write_what_the_tags_write():
    """The include files now call the tags: including them writes the same as before."""
    from django.template.loader import get_template

    page = Paginator(range(90), 25).page(2)
    next_page = NextPage(object_list=[1], number=2, per_page=25, has_next=True)
    cases = [
        ("includes/pagination.html", _PAGINATION, {"page": page, "query": "q=a", "target": "t"}),
        (
            "includes/next_pagination.html",
            _NEXT_PAGINATION,
            {"page": next_page, "query": "q=a", "newer_older": True},
        ),
        ("organizations/people/_pagination.html", _PAGE_LINKS, {"page": page, "query": "q=a"}),
        ("includes/table_downloads.html", _TABLE_DOWNLOADS, {"query": "q=a", "what": "x"}),
    ]
    with translation.override("en"):
        for name, old, context in cases:
            assert get_template(name).render(context) == old.render(Context(context))


@pytest.mark.parametrize("here", ["people_list", "team_list", "import_upload", "audit_log", ""])
def test_the_people_tabs_are_what_their_include_wrote(here):
    from types import SimpleNamespace

    request = SimpleNamespace(resolver_match=SimpleNamespace(url_name=here) if here else None)
    context = {"request": request, "org": SimpleNamespace(slug="acme")}
    with translation.override("en"):
        old = _PEOPLE_TABS.render(Context(context))
        assert list_parts.people_tabs_html("acme", here) == old
        assert Template("{% load list_parts %}{% people_tabs %}").render(Context(context)) == old


def test_the_joined_rows_are_what_the_loop_wrote():
    from django.utils.safestring import SafeString

    rows = [SafeString("<tr><td>a &amp; b</td></tr>\n"), "<tr>not safe & raw</tr>", SafeString("")]
    loop = Template("{% for row in rows %}{{ row }}{% endfor %}")
    joined = Template("{% load list_parts %}{{ rows|html_rows }}")
    for value in (rows, [], rows[:1]):
        assert joined.render(Context({"rows": value})) == loop.render(Context({"rows": value}))


def test_without_a_page_the_tags_write_what_the_includes_wrote():
    for tag, old in (
        ("pagination", _PAGINATION),
        ("next_pagination", _NEXT_PAGINATION),
        ("page_links", _PAGE_LINKS),
    ):
        ours = Template("{% load list_parts %}{% " + tag + " %}").render(Context({}))
        assert ours == old.render(Context({})) == "\n"
