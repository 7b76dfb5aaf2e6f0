"""Resolution by first segments (organizations/url_dispatch.py) must give, for every path, what
Django's resolver gives over the same patterns: the same view, arguments, names, namespaces and
route, or the same 404. Every route of the product is resolved both ways, as written and with
its neighbours (no trailing slash, a longer segment, one more segment), and so are paths that
match nothing."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.exceptions import Resolver404
from django.urls.resolvers import RegexPattern, RoutePattern

import config.urls
from organizations.url_dispatch import ANY, FirstSegmentResolver, by_first_segment, first_segments

SAMPLES = {
    "int": "7",
    "slug": "acme",
    "str": "abc",
    "path": "a/b",
    "uuid": str(uuid.UUID(int=5)),
}


def _routes(patterns: list[Any], prefix: str = "") -> Iterator[str]:
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from _routes(p.url_patterns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern)


def _sample(route: str) -> str:
    def value(match: re.Match[str]) -> str:
        converter = match.group(1) or "str"
        return SAMPLES.get(converter, "7")

    return re.sub(r"<(?:(\w+):)?\w+>", value, route)


def _paths() -> list[str]:
    found = {"", "nope/", "o/", "o/acme/nope/", "o/acme/coachingx/", "healthzz", "o/acme"}
    for route in _routes(config.urls.site_patterns):
        path = _sample(route.lstrip("^").rstrip("$"))
        found |= {path, path.rstrip("/"), path + "x/", path.rstrip("/") + "x/", "x" + path}
    return sorted(found)


def _resolved(resolver: URLResolver, path: str) -> tuple[Any, ...] | None:
    try:
        m = resolver.resolve("/" + path)
    except Resolver404:
        return None
    return (
        m.func,
        m.args,
        m.kwargs,
        m.url_name,
        m.app_names,
        m.namespaces,
        m.route,
        getattr(m, "captured_kwargs", None),
        getattr(m, "extra_kwargs", None),
    )


def test_every_path_resolves_as_django_resolves_it():
    plain = URLResolver(RegexPattern(r"^/"), config.urls.site_patterns)
    fast = URLResolver(RegexPattern(r"^/"), by_first_segment(config.urls.site_patterns))
    paths = _paths()
    assert len(paths) > 1000
    matched = 0
    for path in paths:
        expected = _resolved(plain, path)
        assert _resolved(fast, path) == expected, path
        matched += expected is not None
    assert matched > 300


def test_the_products_urlconf_resolves_by_first_segments():
    (root,) = get_resolver().url_patterns
    assert isinstance(root, FirstSegmentResolver)
    match = get_resolver().resolve("/o/acme/coaching/")
    assert match.url_name == "coach_home" and match.kwargs == {"org_slug": "acme"}
    assert match.route == "o/<slug:org_slug>/coaching/"
    # Reversing sees the patterns as written.
    assert reverse("coach_home", args=["acme"]) == "/o/acme/coaching/"
    assert reverse("healthz") == "/healthz"


@pytest.mark.parametrize(
    ("route", "endpoint", "expected"),
    [
        ("coaching/", True, frozenset({"coaching"})),
        ("coaching/<int:id>/", True, frozenset({"coaching"})),
        ("healthz", True, frozenset({"healthz"})),
        ("", True, frozenset({""})),
        ("<slug:org>/", True, ANY),
        ("cal<int:n>/", True, ANY),
        ("accounts/", False, frozenset({"accounts"})),
        ("acc", False, ANY),  # an include by ``acc`` also takes ``accounts/…``
    ],
)
def test_first_segments_of_a_route(route, endpoint, expected):
    def view(request: Any) -> None:
        return None

    pattern: URLPattern | URLResolver
    if endpoint:
        pattern = URLPattern(RoutePattern(route, is_endpoint=True), view)
    else:
        pattern = URLResolver(RoutePattern(route), [URLPattern(RoutePattern("x/"), view)])
    assert first_segments(pattern) == expected


def test_a_regular_expression_or_an_unprefixed_include_of_one_can_match_anything():
    def view(request: Any) -> None:
        return None

    regex = URLPattern(RegexPattern(r"^feed/$"), view)
    assert first_segments(regex) is ANY
    include = URLResolver(RoutePattern(""), [URLPattern(RoutePattern("a/"), view), regex])
    assert first_segments(include) is ANY
    literal = URLResolver(RoutePattern(""), [URLPattern(RoutePattern("a/"), view)])
    assert first_segments(literal) == frozenset({"a"})


def test_order_is_kept_where_two_patterns_can_match():
    def first(request: Any) -> None:
        return None

    def second(request: Any) -> None:
        return None

    patterns = [
        URLResolver(RoutePattern(""), [URLPattern(RoutePattern("a/<int:n>/"), first)]),
        URLPattern(RoutePattern("<str:s>/<int:n>/"), second),
        URLPattern(RoutePattern("a/<str:s>/"), first),
    ]
    fast = URLResolver(RegexPattern(r"^/"), by_first_segment(patterns))
    assert fast.resolve("/a/3/").func is first
    assert fast.resolve("/b/3/").func is second
    assert fast.resolve("/a/x/").func is first
    with pytest.raises(Resolver404):
        fast.resolve("/b/x/")
    # An unknown first segment is tried only against the patterns that can match anything.
    (root,) = by_first_segment(patterns)
    root.resolve("zzz/3/")
    by_segment, other = root._table()
    assert set(by_segment) == {"a"}
    assert [p.pattern._route for p in other.url_patterns] == ["<str:s>/<int:n>/"]
