"""A page of a long list without counting the list: the page's rows and one more, so the page
knows whether a next one exists. For lists whose exact total would mean counting every row of a
table that grows with the organisation (``COUNT(*)`` reads them all), such as the security
events and the audit log; the order must be served by an index so that a page reads about
``per_page`` rows whatever the table's size (an offset still walks the rows before it)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

# Beyond this page the offset would walk too many rows: a filter narrows the list instead.
MAX_PAGE = 200


@dataclass(frozen=True)
class NextPage:
    """One page: ``object_list``, its ``number`` (from 1), and whether there is a next one."""

    object_list: list[Any]
    number: int
    per_page: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_other_pages(self) -> bool:
        return self.has_previous or self.has_next

    @property
    def next_page_number(self) -> int:
        return self.number + 1

    @property
    def previous_page_number(self) -> int:
        return self.number - 1

    @property
    def start_index(self) -> int:
        return (self.number - 1) * self.per_page + 1 if self.object_list else 0

    @property
    def end_index(self) -> int:
        return (self.number - 1) * self.per_page + len(self.object_list)

    @property
    def total(self) -> int | None:
        """The list's length when this page reaches its end (no next page), known without
        counting; ``None`` while more pages follow."""
        return None if self.has_next else self.end_index

    def __len__(self) -> int:
        return len(self.object_list)

    def __iter__(self) -> Any:
        return iter(self.object_list)


def page_number(number: Any) -> int:
    """The page asked for: a whole number from 1 to ``MAX_PAGE``; anything else is page 1."""
    try:
        n = int(number)
    except (TypeError, ValueError):
        return 1
    return min(max(n, 1), MAX_PAGE)


def requested_page(number: Any) -> int | None:
    """The page asked for as ``Paginator.get_page`` reads it, for lists that count their rows:
    page 1 for anything but a whole number, ``None`` (the last page) below 1 or absurdly far."""
    try:
        n = int(number)
    except (TypeError, ValueError):
        return 1
    return n if 1 <= n <= 10**9 else None


def next_page(rows: QuerySet[Any], number: Any, per_page: int) -> NextPage:
    """Page ``number`` of ``rows`` (a queryset: one query, LIMIT per_page + 1 with its offset)."""
    return next_page_of(lambda limit, offset: list(rows[offset : offset + limit]), number, per_page)


def next_page_of(
    fetch: Callable[[int, int], Sequence[Any]], number: Any, per_page: int
) -> NextPage:
    """Page ``number`` of the rows ``fetch(limit, offset)`` returns (a read written as SQL
    text, say: one query, ``per_page`` + 1 rows from ``offset``)."""
    n = page_number(number)
    found = list(fetch(per_page + 1, (n - 1) * per_page))
    if not found and n > 1:
        # Past the end (a stale link): the first page rather than an empty one.
        return next_page_of(fetch, 1, per_page)
    return NextPage(found[:per_page], n, per_page, len(found) > per_page)
