"""Search and filter the module library.

On PostgreSQL the text search is full-text search (English stemming, web-search syntax such as
"quoted phrases" and -exclusions, ranked by where the words occur: title over summary over body)
over the same expression as the ``module_fts`` GIN index. Row-level security applies the tenant
policy before the non-leakproof ``@@`` operator, so inside a tenant the planner narrows to the
organisation's modules by index first and matches those; the GIN index serves roles outside the
policy. On other databases every word must occur (case-insensitively) in the title, summary or
body.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import BooleanField, FloatField, QuerySet
from django.db.models.expressions import RawSQL

from pathways.models import Module, ModuleTag

SEARCH_CONFIG = "english"


def _words(text: str) -> list[str]:
    return [w for w in text.split() if w.strip()]


def search_modules(
    *,
    text: str = "",
    competency_id: int | None = None,
    role: str = "",
    function: str = "",
    impact: str = "",
    format: str = "",  # noqa: A002 - the library's own word for a module's medium
    status: str | None = None,
    published_only: bool = False,
) -> QuerySet[Module]:
    """Modules of the current organisation matching every given filter (one query when
    evaluated), through the same SQL as the admin's library page (``matching_sql``). With
    ``text`` the best matches come first; otherwise by title.

    Must run inside the tenant context. ``published_only`` is for learner pages and wins over
    ``status``.
    """
    matching = matching_sql(
        text=text,
        competency_id=competency_id,
        role=role,
        function=function,
        impact=impact,
        format=format,
        status=Module.Status.PUBLISHED if published_only else status,
        alias=connection.ops.quote_name(Module._meta.db_table),
    )
    queryset = Module.objects.all()
    if matching.conditions:
        condition = matching.conditions.removeprefix(" AND ")
        queryset = queryset.filter(
            RawSQL(condition, matching.params, BooleanField())  # noqa: S611 - parameters bound
        )
    if not matching.rank_params:
        return queryset.order_by("title", "id")
    rank = RawSQL(matching.rank, matching.rank_params, FloatField())  # noqa: S611 - bound
    return queryset.annotate(rank=rank).order_by("-rank", "title", "id")


# The filters as SQL text, on the modules table under the alias {m}: the admin's library page
# (no queryset to compile on every request) and ``search_modules``. The text search uses the GIN
# index's expression (migration 0005) on PostgreSQL.
_DOCUMENT = (
    "to_tsvector('english'::regconfig, COALESCE({m}.title, '') || ' ' || COALESCE({m}.summary, '') "
    "|| ' ' || COALESCE({m}.body, ''))"
)
_QUERY = "websearch_to_tsquery('english'::regconfig, %s)"
_RANK = (
    "ts_rank(setweight(to_tsvector('english'::regconfig, COALESCE({m}.title, '')), 'A') "
    "|| setweight(to_tsvector('english'::regconfig, COALESCE({m}.summary, '')), 'B') "
    "|| setweight(to_tsvector('english'::regconfig, COALESCE({m}.body, '')), 'C'), " + _QUERY + ")"
)

# A tag of a kind, its value compared as ``value__iexact`` is on each backend.
_TAGGED_POSTGRES = (
    " AND EXISTS (SELECT 1 FROM pathways_moduletag t"
    " WHERE t.organization_id = {m}.organization_id AND t.module_id = {m}.id AND t.kind = %s"
    " AND UPPER(t.value) = UPPER(%s))"
)
_TAGGED_LIKE = (
    " AND EXISTS (SELECT 1 FROM pathways_moduletag t"
    " WHERE t.organization_id = {m}.organization_id AND t.module_id = {m}.id AND t.kind = %s"
    " AND t.value LIKE %s ESCAPE '\\')"
)


@dataclass(frozen=True)
class MatchingSql:
    """Conditions on the modules table under its alias (each starts with `` AND``), their
    parameters, and the rank to order by (best first, then title and id)."""

    conditions: str
    params: list[Any]
    rank: str
    rank_params: list[Any]


def matching_sql(
    *,
    text: str = "",
    competency_id: int | None = None,
    role: str = "",
    function: str = "",
    impact: str = "",
    format: str = "",  # noqa: A002 - the library's own word for a module's medium
    status: str | None = None,
    alias: str = "m",
) -> MatchingSql:
    """The library's filters (every one must hold) as SQL text on the modules table under
    ``alias``; the rank is 0 without text, and off PostgreSQL, where every word must occur in
    the title, summary or body (as ``icontains`` finds it)."""
    conditions: list[str] = []
    params: list[Any] = []
    if status:
        conditions.append(" AND {m}.status = %s")
        params.append(status)
    if format:
        conditions.append(" AND {m}.format = %s")
        params.append(format)
    if competency_id:
        conditions.append(
            " AND EXISTS (SELECT 1 FROM pathways_modulecompetency mc"
            " WHERE mc.organization_id = {m}.organization_id AND mc.module_id = {m}.id"
            " AND mc.competency_id = %s)"
        )
        params.append(competency_id)
    postgres = connection.vendor == "postgresql"
    for kind, value in (
        (ModuleTag.Kind.ROLE, role),
        (ModuleTag.Kind.FUNCTION, function),
        (ModuleTag.Kind.IMPACT, impact),
    ):
        if value and value.strip():
            conditions.append(_TAGGED_POSTGRES if postgres else _TAGGED_LIKE)
            stripped = value.strip()
            params += [
                str(kind),
                stripped if postgres else connection.ops.prep_for_like_query(stripped),
            ]
    text = (text or "").strip()
    rank, rank_params = "0", []
    if _words(text) and postgres:
        conditions.append(f" AND {_DOCUMENT} @@ {_QUERY}")
        params.append(text)
        rank, rank_params = _RANK, [text]
    elif _words(text):
        for word in _words(text):
            pattern = f"%{connection.ops.prep_for_like_query(word)}%"
            conditions.append(
                " AND ({m}.title LIKE %s ESCAPE '\\' OR {m}.summary LIKE %s ESCAPE '\\'"
                " OR {m}.body LIKE %s ESCAPE '\\')"
            )
            params += [pattern] * 3
    return MatchingSql(
        "".join(conditions).replace("{m}", alias), params, rank.replace("{m}", alias), rank_params
    )
