"""Things to do that other areas add to the learner's one next step.

Projects (a charter sent back, a milestone due), coaching (an experiment due) and 360 feedback
(raters to nominate, a report to read) are not pathway steps, yet the learner's home must weigh
them with the steps. Each area registers one source in its ``AppConfig.ready()``::

    from pathways.learning import next_actions
    next_actions.register(my_area.queries.next_actions_for)

A source takes ``(membership, org_slug, today)`` and returns a list of ``NextAction``; it must
run a fixed, small number of queries (the learner home's query-count test counts them).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from organizations.models import Membership


@dataclass(frozen=True)
class NextAction:
    """One thing to do. ``due_on`` orders it: past due competes with overdue steps (oldest
    first); due within ``SOON`` comes after due reviews and before the next pathway step; the
    rest after the pathway's steps."""

    kind: str  # e.g. "project_charter", "milestone", "experiment", "nominate_raters"
    title: str
    reason: str
    url: str
    due_on: dt.date | None = None


# An action due within this many days comes before the pathway's next step.
SOON = dt.timedelta(days=7)

Source = Callable[["Membership", str, dt.date], list[NextAction]]
_sources: list[Source] = []


def register(source: Source) -> None:
    """Add ``source`` once (``ready()`` can run twice in tests)."""
    if source not in _sources:
        _sources.append(source)


def actions_for(membership: Membership, org_slug: str, today: dt.date) -> list[NextAction]:
    """Every registered source's actions for this learner, in registration order."""
    actions: list[NextAction] = []
    for source in _sources:
        actions.extend(source(membership, org_slug, today))
    return actions
