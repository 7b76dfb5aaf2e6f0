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
