"""URL resolution that tries, at each level of includes, only the patterns a path's next segment
can match.

Django resolves a path by trying every pattern of the URLconf in order, descending into each
include, until one matches. Pathwise has some 300 patterns, most under ``o/<org>/`` in includes
without a prefix of their own, so a page near the end (coach home, the impact page, a cohort's
page) was resolved only after some 200 failed patterns, each failed include raising and catching
an exception: about a third of a millisecond a request, where the first page costs a twentieth.

``by_first_segment(patterns)`` wraps a URLconf's patterns in one include that, for a path,
tries only the patterns whose route can match the path's first segment: a route beginning with
a literal segment (``coaching/…``) only paths beginning with it; a route beginning with a
converter or a regular expression, any path; an include without a prefix, the union of its own
patterns. Every include below is wrapped alike, so each level keeps the order of its patterns
and skips only those that cannot match. The match is Django's own (the same view, arguments,
names, namespaces and route); only ``tried``, the list a debugging 404 page shows, is shorter.
Reversing and the system checks see the patterns as written.
"""

from __future__ import annotations

from typing import Any

from django.urls import URLPattern, URLResolver
from django.urls.resolvers import RoutePattern

# The first segments of a pattern that can match any path.
ANY = None


def first_segments(pattern: URLPattern | URLResolver) -> frozenset[str] | None:
    """The first path segments ``pattern`` can match, or ``ANY``."""
    route = pattern.pattern
    if not isinstance(route, RoutePattern):
        return ANY  # a regular expression, or a language prefix
    text = str(route)
    if isinstance(pattern, URLResolver) and text == "":
        found: set[str] = set()
        for child in pattern.url_patterns:
            segments = first_segments(child)
            if segments is ANY:
                return ANY
            found |= segments
        return frozenset(found)
    head, slash, _rest = text.partition("/")
    if "<" in head:
        return ANY  # a converter in the first segment
    if slash:
        return frozenset({head})  # the path begins with ``head/``
    if isinstance(pattern, URLPattern):
        return frozenset({head})  # the whole path is ``head``
    return ANY  # an include by a prefix without a slash can match a longer first segment


class FirstSegmentResolver(URLResolver):
    """An include that tries only the patterns its remaining path's first segment can match."""

    _tables: tuple[dict[str, URLResolver], URLResolver] | None = None

    def _table(self) -> tuple[dict[str, URLResolver], URLResolver]:
        if self._tables is None:
            children = [(_dispatching(child), first_segments(child)) for child in self.url_patterns]
            literals = set().union(*(s for _c, s in children if s is not ANY))

            def tries(segment: str | None) -> URLResolver:
                return URLResolver(
                    self.pattern,
                    [c for c, s in children if s is ANY or (segment is not None and segment in s)],
                    self.default_kwargs,
                    self.app_name,
                    self.namespace,
                )

            self._tables = ({segment: tries(segment) for segment in literals}, tries(None))
        return self._tables

    def resolve(self, path: Any) -> Any:
        path = str(path)
        match = self.pattern.match(path)
        if not match:
            return super().resolve(path)  # Django's 404 for a path outside this include
        by_segment, other = self._table()
        segment = match[0].partition("/")[0]
        return by_segment.get(segment, other).resolve(path)


def _dispatching(pattern: URLPattern | URLResolver) -> URLPattern | URLResolver:
    if isinstance(pattern, URLResolver) and type(pattern) is URLResolver:
        return FirstSegmentResolver(
            pattern.pattern,
            pattern.urlconf_name,
            pattern.default_kwargs,
            pattern.app_name,
            pattern.namespace,
        )
    return pattern


def by_first_segment(patterns: list[Any]) -> list[Any]:
    """``patterns`` as one include, resolved by first segments (the module's docstring)."""
    return [FirstSegmentResolver(RoutePattern(""), patterns)]
