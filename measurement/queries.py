"""Dashboard reads: only roll-up tables, a fixed number of queries."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Max

from measurement.models import TeamProgressRollup

# Aggregates across learners are shown only for cells of at least this many people.
MIN_CELL_SIZE = 5


@dataclass(frozen=True)
class TeamCompletion:
    team: str
    learners: int
    finished: int
    mean_completion: float  # 0..1


@dataclass(frozen=True)
class TeamCompletionReport:
    period: dt.date | None
    teams: list[TeamCompletion]
    hidden_teams: int
    computed_at: dt.datetime | None

    @property
    def learners(self) -> int:
        return sum(t.learners for t in self.teams)


def team_completion() -> TeamCompletionReport:
    """Completion by team for the latest roll-up period (2 queries). Teams with fewer than
    MIN_CELL_SIZE learners are dropped, not folded into another figure."""
    latest = TeamProgressRollup.objects.aggregate(period=Max("period"))["period"]
    if latest is None:
        return TeamCompletionReport(period=None, teams=[], hidden_teams=0, computed_at=None)
    rows = list(
        TeamProgressRollup.objects.filter(period=latest)
        .select_related("team")
        .order_by("-mean_completion", "team__name")
    )
    shown = [
        TeamCompletion(r.team.name, r.learners, r.learners_finished, r.mean_completion)
        for r in rows
        if r.learners >= MIN_CELL_SIZE
    ]
    return TeamCompletionReport(
        period=latest,
        teams=shown,
        hidden_teams=len(rows) - len(shown),
        computed_at=max((r.computed_at for r in rows), default=None),
    )
