"""Things to do that other areas add to the learner's one next step.

Projects (a charter sent back, a milestone due), coaching (an experiment due) and 360 feedback
(raters to nominate, a report to read) are not pathway steps, yet the learner's home must weigh
them with the steps. Each area registers one source in its ``AppConfig.ready()``: best a
``Read``, its SQL text and what its rows mean, which the home sends in one statement with the
other areas' reads and its own (``organizations.raw_queries.fetch_row_sets``)::

    from pathways.learning import next_actions
    next_actions.register(next_actions.Read(my_area.queries.next_actions_statement,
                                            my_area.queries.next_actions_from))

or a function that reads by itself, ``(membership, org_slug, today) -> list[NextAction]``
(one statement of its own). Either must run a fixed, small number of queries (the learner
home's query-count test counts them).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from organizations.raw_queries import fetch_row_sets, fetch_rows

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
# The SQL text and parameters of an area's read for a member on a day; None: nothing to read.
Statement = tuple[str, Sequence[Any]]


@dataclass(frozen=True)
class Read:
    """An area's next actions as a read that can travel with others: ``statement(membership,
    today)`` gives its SQL text (a ``SELECT`` with ``%s`` placeholders, its base tables filtered
    on the organisation) or None, and ``actions(rows, membership, org_slug, today)`` what its
    rows, in its order, ask of the learner (no query)."""

    statement: Callable[[Membership, dt.date], Statement | None]
    actions: Callable[[list[tuple[Any, ...]], Membership, str, dt.date], list[NextAction]]

    def alone(self, membership: Membership, org_slug: str, today: dt.date) -> list[NextAction]:
        """This read's actions, read by itself (one query, or none)."""
        statement = self.statement(membership, today)
        rows = fetch_rows(*statement) if statement is not None else []
        return self.actions(rows, membership, org_slug, today)


_sources: list[Source | Read] = []


def register(source: Source | Read) -> None:
    """Add ``source`` once (``ready()`` can run twice in tests)."""
    if source not in _sources:
        _sources.append(source)


@dataclass
class Pending:
    """Every registered source's actions for one learner, before the reads are sent: the
    caller sends ``statements`` (with its own, in one statement) and hands their rows, in
    that order, to ``actions``."""

    membership: Membership
    org_slug: str
    today: dt.date
    reads: list[tuple[Read, Statement | None]]

    @property
    def statements(self) -> list[Statement]:
        return [statement for _read, statement in self.reads if statement is not None]

    def actions(self, row_sets: Sequence[list[tuple[Any, ...]]]) -> list[NextAction]:
        """The actions of every source in registration order; the reads' from ``row_sets``
        (the rows of ``statements``), the functions' read now."""
        m, slug, today = self.membership, self.org_slug, self.today
        found, rows_of = [], iter(row_sets)
        reads = iter(self.reads)
        for source in _sources:
            if isinstance(source, Read):
                read, statement = next(reads)
                rows = next(rows_of) if statement is not None else []
                found.extend(read.actions(rows, m, slug, today))
            else:
                found.extend(source(m, slug, today))
        return found


def pending_for(membership: Membership, org_slug: str, today: dt.date) -> Pending:
    """The registered reads' statements for this learner (no query)."""
    reads = [
        (source, source.statement(membership, today))
        for source in _sources
        if isinstance(source, Read)
    ]
    return Pending(membership, org_slug, today, reads)


def actions_for(membership: Membership, org_slug: str, today: dt.date) -> list[NextAction]:
    """Every registered source's actions for this learner, in registration order (the reads
    in one statement)."""
    pending = pending_for(membership, org_slug, today)
    return pending.actions(fetch_row_sets(pending.statements))
