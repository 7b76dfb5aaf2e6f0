"""search_modules: text (full-text on PostgreSQL, every word on SQLite) and every filter."""

from __future__ import annotations

import pytest
from django.db import connection

from organizations.tenancy import tenant_context
from pathways.library import services
from pathways.library.search import search_modules
from pathways.models import Module
from tests.conftest import count_queries
from tests.pathways.library.conftest import make_competencies, make_module

on_postgres = pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL")
on_sqlite = pytest.mark.skipif(connection.vendor == "postgresql", reason="SQLite fallback")


@pytest.fixture
def library(org_a, org_b):
    feedback, delegation = make_competencies(org_a, "Giving feedback", "Delegation")
    make_module(
        org_a,
        "Feedback that lands",
        summary="The situation-behaviour-impact model.",
        body="Describe the behaviour you saw and its impact on the team.",
        competency_ids=[feedback.pk],
        roles=["Team lead"],
        functions=["Sales"],
        impacts=["Engagement"],
        format="read",
    )
    make_module(
        org_a,
        "Delegating outcomes",
        summary="Hand over results, not tasks.",
        body="Agree the outcome and the check-ins; give honest feedback at the end.",
        competency_ids=[delegation.pk],
        roles=["Senior manager"],
        functions=["Operations"],
        impacts=["Productivity"],
        format="watch",
    )
    make_module(
        org_a,
        "Energy, not hours",
        summary="Plan your week.",
        body="Protect deep work.",
        format="listen",
    )
    make_module(org_b, "Feedback in Globex", body="Feedback for another organisation.")
    return {"feedback": feedback, "delegation": delegation}


def _titles(org, **kw):
    with tenant_context(org):
        return [m.title for m in search_modules(**kw)]


def test_it_lists_the_whole_library_by_title_without_filters(org_a, library):
    assert _titles(org_a) == ["Delegating outcomes", "Energy, not hours", "Feedback that lands"]


def test_it_finds_text_in_title_summary_and_body_and_never_another_organisations(org_a, library):
    assert set(_titles(org_a, text="feedback")) == {"Feedback that lands", "Delegating outcomes"}
    assert _titles(org_a, text="deep work") == ["Energy, not hours"]
    assert _titles(org_a, text="situation") == ["Feedback that lands"]


def test_it_requires_every_word_to_match(org_a, library):
    assert _titles(org_a, text="feedback outcome") == ["Delegating outcomes"]
    assert _titles(org_a, text="feedback zebra") == []


@on_sqlite
def test_it_matches_parts_of_words_case_insensitively_on_sqlite(org_a, library):
    assert _titles(org_a, text="DELEG") == ["Delegating outcomes"]


@on_postgres
def test_it_stems_words_and_ranks_title_matches_first_on_postgres(org_a, library):
    # "delegate" matches "Delegating" by its English stem.
    assert _titles(org_a, text="delegate") == ["Delegating outcomes"]
    # Both mention feedback; the one with it in the title ranks above the one with it in the body.
    assert _titles(org_a, text="feedback") == ["Feedback that lands", "Delegating outcomes"]


@on_postgres
def test_it_matches_the_gin_index_expression_on_postgres(org_a, library):
    # Under FORCE ROW LEVEL SECURITY the planner never pushes the non-leakproof @@ operator
    # into an index scan, so the tenant's rows are found by organization first. Without the
    # policy and the tenant indexes in the way (all rolled back with the test) the index serves it,
    # which proves the search expression and the index expression are the same.
    with tenant_context(org_a):
        queryset = search_modules(text="feedback")
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("ALTER TABLE pathways_module NO FORCE ROW LEVEL SECURITY")
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("SET LOCAL enable_indexscan = off")
            cursor.execute("DROP INDEX pathways_module_organization_id_d867d462")
            cursor.execute("DROP INDEX module_org_status")
            cursor.execute("DROP INDEX module_unique_title_ci")  # also leads with organization
            plan = queryset.explain()
    assert "module_fts" in plan


def test_it_filters_by_competency_tags_format_and_status(org_a, library):
    assert _titles(org_a, competency_id=library["delegation"].pk) == ["Delegating outcomes"]
    assert _titles(org_a, role="team lead") == ["Feedback that lands"]
    assert _titles(org_a, function="Operations") == ["Delegating outcomes"]
    assert _titles(org_a, impact="Engagement") == ["Feedback that lands"]
    assert _titles(org_a, format="listen") == ["Energy, not hours"]
    assert _titles(org_a, status="published") == []
    assert _titles(org_a, text="feedback", role="Senior manager") == ["Delegating outcomes"]


REASON = "Search tests need published modules only."


def test_it_shows_learners_only_published_modules(org_a, library):
    with tenant_context(org_a):
        module = Module.objects.get(title="Energy, not hours")
        services.do_set_module_status(None, module, Module.Status.PUBLISHED, reason=REASON)
    assert _titles(org_a, published_only=True) == ["Energy, not hours"]
    assert _titles(org_a, published_only=True, status="draft") == ["Energy, not hours"]


def test_it_runs_one_query_whatever_the_filters(org_a, library):
    with tenant_context(org_a), count_queries() as ctx:
        list(
            search_modules(
                text="feedback",
                competency_id=library["feedback"].pk,
                role="Team lead",
                function="Sales",
                impact="Engagement",
                format="read",
                status="draft",
            )
        )
    assert len(ctx.app_queries) == 1


def test_it_never_shows_learners_retired_or_draft_modules(org_a, library):
    with tenant_context(org_a):
        for title in ("Energy, not hours", "Feedback that lands"):
            services.do_set_module_status(
                None, Module.objects.get(title=title), "published", reason=REASON
            )
        services.do_set_module_status(
            None, Module.objects.get(title="Feedback that lands"), "retired"
        )
    assert _titles(org_a, published_only=True, text="energy") == ["Energy, not hours"]
    assert _titles(org_a, published_only=True, text="feedback") == []
