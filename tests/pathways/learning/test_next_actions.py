"""Other areas' actions join the learner's one next step in the right order."""

from __future__ import annotations

import datetime as dt

from pathways.learning import next_actions
from pathways.learning.queries import choose_next_step

TODAY = dt.date(2026, 3, 10)


def action(kind: str, due: dt.date | None) -> next_actions.NextAction:
    return next_actions.NextAction(
        kind=kind, title=kind.title(), reason="", url=f"/{kind}/", due_on=due
    )


def test_a_late_action_comes_before_reviews_and_a_soon_one_after_them():
    late = action("milestone", TODAY - dt.timedelta(days=2))
    soon = action("experiment", TODAY + dt.timedelta(days=3))
    chosen = choose_next_step("acme", [], 4, "/review/", TODAY, [soon, late])
    assert chosen is not None and chosen.kind == "milestone"
    assert "2 days ago" in chosen.reason
    chosen = choose_next_step("acme", [], 4, "/review/", TODAY, [soon])
    assert chosen is not None and chosen.kind == "reviews"
    chosen = choose_next_step("acme", [], 0, None, TODAY, [soon])
    assert chosen is not None and chosen.kind == "experiment" and chosen.url == "/experiment/"


def test_an_undated_action_comes_when_nothing_else_is_left():
    later = action("report", None)
    chosen = choose_next_step("acme", [], 0, None, TODAY, [later])
    assert chosen is not None and chosen.kind == "report"
    assert choose_next_step("acme", [], 0, None, TODAY, []) is None


def test_registered_sources_are_asked_once_each(org_a):
    calls: list[str] = []

    def source(membership, org_slug, today):
        calls.append(org_slug)
        return [action("nominate_raters", today)]

    next_actions.register(source)
    next_actions.register(source)
    try:
        got = next_actions.actions_for(None, "acme", TODAY)  # type: ignore[arg-type]
    finally:
        next_actions._sources.remove(source)
    assert calls == ["acme"] and [a.kind for a in got] == ["nominate_raters"]


def test_reads_travel_in_one_statement_and_keep_the_registration_order(org_a):
    from organizations.raw_queries import tenant_id
    from organizations.tenancy import tenant_context
    from tests.conftest import count_queries

    def statement(word: str):
        def read(membership, today):
            return "SELECT %s AS word, %s AS org", [word, tenant_id()]

        return read

    def actions(rows, membership, org_slug, today):
        return [action(word, today) for word, _org in rows]

    def source(membership, org_slug, today):
        return [action("function", None)]

    first = next_actions.Read(statement("first"), actions)
    silent = next_actions.Read(lambda membership, today: None, actions)
    last = next_actions.Read(statement("last"), actions)
    registered = list(next_actions._sources)
    next_actions._sources[:] = []
    for s in (first, source, silent, last):
        next_actions.register(s)
    try:
        with tenant_context(org_a), count_queries() as ctx:
            got = next_actions.actions_for(None, "acme", TODAY)  # type: ignore[arg-type]
            alone = last.alone(None, "acme", TODAY)  # type: ignore[arg-type]
    finally:
        next_actions._sources[:] = registered
    assert [a.kind for a in got] == ["first", "function", "last"]
    assert [a.kind for a in alone] == ["last"]
    assert len(ctx.app_queries) == 2  # the two reads together, then one alone
