"""Hot, fixed reads as SQL text, for pages whose Python time matters (the learner's home).

Compiling a queryset costs about a millisecond of Python on every request; a fixed read
written once as SQL costs none. Such SQL must keep both tenancy walls: it filters its base
table on ``organization_id`` itself (what the scoped manager adds) and runs under row-level
security like every query. Values come back as each backend gives them: SQLite hands out dates
and times as text where it cannot tell a column's type (a ``UNION``, an expression), hence the
readers below.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django.db import connection
from django.utils import timezone

from organizations.tenancy import TenantContextMissing, current_org_id

# psycopg turns a statement's ``%s`` placeholders into ``$n`` once per text and keeps the
# result, but only for texts of up to 4,096 characters (``psycopg._queries``, which has no
# public setting for it); a longer text is parsed again on every execution. The pages' merged
# reads (``fetch_row_sets``) are longer: coach home's is some 7,500 characters, parsed again on
# each request (0.1-0.2 ms). Raised once, at start-up (``OrganizationsConfig.ready``); psycopg's
# store holds 128 texts, so at most 2 MB. It keeps them only for up to 50 parameters too (a
# guard against texts written for each length of a list), and the learner home's merged read
# has 60 (the module library's 54): raised to 64, the store's bound unchanged.
LONGEST_KEPT_STATEMENT = 16_384
MOST_KEPT_PARAMETERS = 64


def keep_long_statements() -> None:
    """Let psycopg keep the conversion of texts up to ``LONGEST_KEPT_STATEMENT`` characters
    and ``MOST_KEPT_PARAMETERS`` parameters."""
    try:
        from psycopg import _queries
    except ImportError:  # no PostgreSQL driver installed: nothing to tune
        return
    for name, value in (
        ("MAX_CACHED_STATEMENT_LENGTH", LONGEST_KEPT_STATEMENT),
        ("MAX_CACHED_STATEMENT_PARAMS", MOST_KEPT_PARAMETERS),
    ):
        if not hasattr(_queries, name):
            raise RuntimeError(f"psycopg no longer has {name}: see raw_queries")
        setattr(_queries, name, max(getattr(_queries, name), value))


def counts_kept() -> bool:
    """Whether the count tables (people, teams, cohorts, pathway versions) are kept at write
    time: their migrations install the statement triggers that keep them on PostgreSQL only;
    elsewhere (SQLite) their readers count from the rows."""
    return connection.vendor == "postgresql"


def fetch_rows(sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
    """Every row of ``sql`` (``%s`` placeholders) with ``params``, in one round trip."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


# Where each read's columns start in ``fetch_row_sets``' rows (and where the last ends), by the
# reads' texts: found once from the statement's description (about 7 Python calls a column).
# The texts are the modules' constants, so few; kept up to a bound all the same.
_READ_STARTS: dict[tuple[str, ...], list[int]] = {}
_READ_STARTS_KEPT = 64


def fetch_row_sets(
    statements: Sequence[tuple[str, Sequence[Any]]],
) -> list[list[tuple[Any, ...]]]:
    """The rows of each of ``statements`` (each a ``SELECT`` with ``%s`` placeholders and its
    parameters), in its own order, from ONE statement: reads that several areas own, sent in
    one round trip and run as one statement (each statement PostgreSQL runs costs its start,
    snapshot and row-level security checks, and a turn of the client and the server).

    Each read becomes a derived table numbered in its order, and the tables are full-joined on
    false: every row holds one read's row (its columns keep their types) beside NULLs for the
    others', so the reads need no common shape. Nothing is sent for no statements.

    For a page's small reads (a few rows each): the planner prices the join as if it paired
    every row of one read with every row of the others (it runs in linear time, but a price in
    the hundreds of thousands would bring JIT compilation on), so long reads go alone."""
    if len(statements) <= 1:
        return [fetch_rows(sql, params) for sql, params in statements]
    parts: list[str] = []
    params: list[Any] = []
    for i, (sql, read_params) in enumerate(statements):
        # The reads' own text, from their modules; no input.
        parts.append(f"(SELECT row_number() OVER () AS read_{i}, q.* FROM ({sql}) q) r{i}")  # noqa: S608
        params.extend(read_params)
    combined = "SELECT * FROM " + " FULL JOIN ".join(  # noqa: S608 - as above
        part if i == 0 else f"{part} ON false" for i, part in enumerate(parts)
    )
    texts = tuple(sql for sql, _params in statements)
    with connection.cursor() as cursor:
        cursor.execute(combined, params)
        starts = _READ_STARTS.get(texts)
        if starts is None:
            names = [column[0] for column in cursor.description]
            starts = [names.index(f"read_{i}") for i in range(len(statements))] + [len(names)]
            if len(_READ_STARTS) < _READ_STARTS_KEPT:
                _READ_STARTS[texts] = starts
        rows = cursor.fetchall()
    ends = starts[1:]
    numbered: list[list[tuple[int, tuple[Any, ...]]]] = [[] for _ in statements]
    for row in rows:
        for i, start in enumerate(starts):
            if row[start] is not None:
                numbered[i].append((row[start], row[start + 1 : ends[i]]))
                break
    return [[row for _n, row in sorted(found, key=lambda pair: pair[0])] for found in numbered]


def tenant_id() -> int:
    """The organisation in context, which such SQL filters on (what the scoped manager does);
    raises like the manager without one."""
    org_id = current_org_id()
    if org_id is None:
        raise TenantContextMissing("A tenant read ran outside tenant_context().")
    return org_id


def moment_param(value: dt.datetime) -> Any:
    """An aware moment as the backend compares it with a stored one (naive UTC on SQLite)."""
    return connection.ops.adapt_datetimefield_value(value)


def date_of(value: Any) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def moment_of(value: Any) -> dt.datetime:
    """A stored moment (not NULL), aware (SQLite keeps them as naive UTC text)."""
    if not isinstance(value, dt.datetime):
        value = dt.datetime.fromisoformat(str(value))
    return value if timezone.is_aware(value) else value.replace(tzinfo=dt.UTC)


# Reads of a page of a list as SQL text (below): the search written as Django writes it, the
# page cut as Django's paginator cuts it.
if TYPE_CHECKING:
    from collections.abc import Callable

    from django.core.paginator import Page


def contains_sql(column: str) -> str:
    """``column`` contains the next parameter (``contains_param``), ignoring case, written as
    the backend writes Django's ``icontains``: the same rows as the ORM's search."""
    operator = connection.operators["icontains"]  # type: ignore[attr-defined]
    return f"{connection.ops.lookup_cast('icontains') % column} {operator}"


def contains_param(text: str) -> str:
    """The parameter of ``contains_sql`` for ``text`` (its wildcards escaped, as Django does)."""
    return f"%{connection.ops.prep_for_like_query(text)}%"


# A page number past any list's end (whose offset the database might not even take) is read
# as this one, then corrected to the last page like any number past the end.
_FAR_PAGE = 1_000_000


def counted_page(
    read: Callable[[int, int], tuple[list[Any], int]], number: Any, per_page: int
) -> Page:
    """Page ``number`` of a list read by ``read(offset, limit)``, which returns that window's
    rows and the list's length (also when the window is empty) from one statement. The page
    asked for is read first; a number the paginator corrects (not a number, past the end,
    below 1) costs one more read. The same page as ``Paginator.get_page`` gives."""
    from django.core.paginator import Paginator

    try:
        asked = min(max(int(number), 1), _FAR_PAGE)
    except (TypeError, ValueError):
        asked = 1
    rows, total = read((asked - 1) * per_page, per_page)
    # A paginator over a range of the list's length counts nothing and corrects the number
    # as it would for the list itself.
    page = Paginator(range(total), per_page).get_page(number)
    if page.number != asked:
        rows, total = read((page.number - 1) * per_page, per_page)
    page.object_list = rows  # type: ignore[assignment]
    return page
