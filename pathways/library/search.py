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
from django.db.models import Exists, OuterRef, Q, QuerySet

from pathways.models import Module, ModuleCompetency, ModuleTag

SEARCH_CONFIG = "english"


def _words(text: str) -> list[str]:
    return [w for w in text.split() if w.strip()]


def _postgres_text_search(queryset: QuerySet[Module], text: str) -> QuerySet[Module]:
    from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector

    # Same expression as the GIN index in migration 0005 (title, summary, body; english).
    document = SearchVector("title", "summary", "body", config=SEARCH_CONFIG)
    query = SearchQuery(text, config=SEARCH_CONFIG, search_type="websearch")
    weighted = (
        SearchVector("title", weight="A", config=SEARCH_CONFIG)
        + SearchVector("summary", weight="B", config=SEARCH_CONFIG)
        + SearchVector("body", weight="C", config=SEARCH_CONFIG)
    )
    return (
        queryset.annotate(document=document)
        .filter(document=query)
        .annotate(rank=SearchRank(weighted, query))
        .order_by("-rank", "title", "id")
    )


def _fallback_text_search(queryset: QuerySet[Module], text: str) -> QuerySet[Module]:
    for word in _words(text):
        queryset = queryset.filter(
            Q(title__icontains=word) | Q(summary__icontains=word) | Q(body__icontains=word)
        )
    return queryset


def _tagged(kind: str, value: str) -> Exists:
    return Exists(
        ModuleTag.objects.filter(module_id=OuterRef("pk"), kind=kind, value__iexact=value.strip())
    )


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
    evaluated). With ``text`` the best matches come first; otherwise by title.

    Must run inside the tenant context. ``published_only`` is for learner pages and wins over
    ``status``.
    """
    queryset = Module.objects.all()
    if published_only:
        queryset = queryset.filter(status=Module.Status.PUBLISHED)
    elif status:
        queryset = queryset.filter(status=status)
    if format:
        queryset = queryset.filter(format=format)
    if competency_id:
        queryset = queryset.filter(
            Exists(
                ModuleCompetency.objects.filter(
                    module_id=OuterRef("pk"), competency_id=competency_id
                )
            )
        )
    for kind, value in (
        (ModuleTag.Kind.ROLE, role),
        (ModuleTag.Kind.FUNCTION, function),
        (ModuleTag.Kind.IMPACT, impact),
    ):
        if value and value.strip():
            queryset = queryset.filter(_tagged(kind, value))
    text = (text or "").strip()
    if not _words(text):
        return queryset.order_by("title", "id")
    if connection.vendor == "postgresql":
        return _postgres_text_search(queryset, text)
    return _fallback_text_search(queryset, text).order_by("title", "id")


# The same filters as SQL text, for the admin's library page (no queryset to compile on every
# request). The text search uses the GIN index's expression (migration 0005) on PostgreSQL.
_DOCUMENT = (
    "to_tsvector('english'::regconfig, COALESCE(m.title, '') || ' ' || COALESCE(m.summary, '') "
    "|| ' ' || COALESCE(m.body, ''))"
)
_QUERY = "websearch_to_tsquery('english'::regconfig, %s)"
_RANK = (
    "ts_rank(setweight(to_tsvector('english'::regconfig, COALESCE(m.title, '')), 'A') "
    "|| setweight(to_tsvector('english'::regconfig, COALESCE(m.summary, '')), 'B') "
    "|| setweight(to_tsvector('english'::regconfig, COALESCE(m.body, '')), 'C'), " + _QUERY + ")"
)

# A tag of a kind, its value compared as ``value__iexact`` is on each backend.
_TAGGED_POSTGRES = (
    " AND EXISTS (SELECT 1 FROM pathways_moduletag t"
    " WHERE t.organization_id = m.organization_id AND t.module_id = m.id AND t.kind = %s"
    " AND UPPER(t.value) = UPPER(%s))"
)
_TAGGED_LIKE = (
    " AND EXISTS (SELECT 1 FROM pathways_moduletag t"
    " WHERE t.organization_id = m.organization_id AND t.module_id = m.id AND t.kind = %s"
    " AND t.value LIKE %s ESCAPE '\\')"
)


@dataclass(frozen=True)
class MatchingSql:
    """Conditions on the modules table aliased ``m`` (each starts with `` AND``), their
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
) -> MatchingSql:
    """``search_modules``'s filters (every one must hold) as SQL text; the rank is 0 without
    text, and off PostgreSQL, where every word must occur in the title, summary or body."""
    conditions: list[str] = []
    params: list[Any] = []
    if status:
        conditions.append(" AND m.status = %s")
        params.append(status)
    if format:
        conditions.append(" AND m.format = %s")
        params.append(format)
    if competency_id:
        conditions.append(
            " AND EXISTS (SELECT 1 FROM pathways_modulecompetency mc"
            " WHERE mc.organization_id = m.organization_id AND mc.module_id = m.id"
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
    if not _words(text):
        return MatchingSql("".join(conditions), params, "0", [])
    if postgres:
        conditions.append(f" AND {_DOCUMENT} @@ {_QUERY}")
        params.append(text)
        return MatchingSql("".join(conditions), params, _RANK, [text])
    for word in _words(text):
        pattern = f"%{connection.ops.prep_for_like_query(word)}%"
        conditions.append(
            " AND (m.title LIKE %s ESCAPE '\\' OR m.summary LIKE %s ESCAPE '\\'"
            " OR m.body LIKE %s ESCAPE '\\')"
        )
        params += [pattern] * 3
    return MatchingSql("".join(conditions), params, "0", [])
