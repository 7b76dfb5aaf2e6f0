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
