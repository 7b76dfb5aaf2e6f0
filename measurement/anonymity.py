"""The one anonymity rule. Every page, export and API response that shows people data asks here.

From MEASUREMENT.md and the confidentiality table in ARCHITECTURE.md:

- 360 rater groups: ``self`` and ``manager`` are attributed; ``peer``, ``direct_report`` and
  ``other`` are anonymous and shown only with at least the organisation's threshold of
  responses (3–10, default 3). A group below it is dropped entirely, scores and comments, and
  never folded into "all others".
- "All others" (the combined view) needs at least ``MIN_RATERS_FOR_ALL_OTHERS`` shown raters.
- Comments need the organisation's comment threshold (default 5), are shuffled and carry no
  rater data.
- Stakeholder ratings of a project: an aggregate only, once the anonymity threshold answered.
- Aggregates across learners (team, cohort, any cell of a dashboard or export): at least
  ``MIN_PEOPLE_PER_CELL`` distinct people per shown cell, checked on the combination of filters
  the reader chose (the cell as shown), not on each filter alone. A reader who also sees some
  of those people's own figures must not recover the rest by subtraction.
"""

from __future__ import annotations

import hashlib
from collections.abc import Hashable, Mapping
from typing import Protocol

ATTRIBUTED_GROUPS = ("self", "manager")
ANONYMOUS_GROUPS = ("peer", "direct_report", "other")
MIN_RATERS_FOR_ALL_OTHERS = 4
MIN_PEOPLE_PER_CELL = 5


class HasThresholds(Protocol):
    anonymity_threshold: int
    comment_threshold: int


def rater_group_is_shown(org: HasThresholds, group: str, responses: int) -> bool:
    """Whether a 360 (or pulse) rater group's scores may be shown with ``responses`` answers."""
    if responses <= 0:
        return False
    if group in ATTRIBUTED_GROUPS:
        return True
    return responses >= org.anonymity_threshold


def all_others_is_shown(shown_raters: int) -> bool:
    """Whether the combined "all others" figure may be shown; count only raters of shown groups."""
    return shown_raters >= MIN_RATERS_FOR_ALL_OTHERS


def comments_are_shown(org: HasThresholds, group: str, responses: int) -> bool:
    """Whether a group's comments may be shown (a higher threshold than scores)."""
    if group == "self":
        return True
    return responses >= org.comment_threshold


def stakeholder_aggregate_is_shown(org: HasThresholds, responses: int) -> bool:
    """Whether the aggregate of a project's stakeholder ratings may be shown."""
    return responses >= org.anonymity_threshold


def cell_is_shown(people: int) -> bool:
    """Whether an aggregate across learners resting on ``people`` distinct people may be shown."""
    return people >= MIN_PEOPLE_PER_CELL


def cell_with_known_members_is_shown(people: int, unknown: int) -> bool:
    """Whether an aggregate across ``people`` learners may be shown to a reader who already sees
    the individual figures of all but ``unknown`` of them (a coach who was shown some reports).
    Subtracting what they know recovers the aggregate of the ``unknown`` others, so that must
    rest on ``MIN_PEOPLE_PER_CELL`` people too, unless there is nothing left to recover."""
    return cell_is_shown(people) and (unknown == 0 or cell_is_shown(unknown))


def hidden_reason(org: HasThresholds, group: str, responses: int) -> str:
    """Why a rater group is hidden, in plain words ("" when it is shown)."""
    if rater_group_is_shown(org, group, responses):
        return ""
    if responses <= 0:
        return "no answers"
    return f"hidden: fewer than {org.anonymity_threshold} responded"


def shown_groups(org: HasThresholds, responses: Mapping[str, int]) -> set[str]:
    """The rater groups whose scores may be shown, given responses per group.

    A hidden group is dropped entirely: callers must leave its scores and comments out of every
    figure, "all others" included (never fold it in, or it is recovered by subtraction).
    """
    return {g for g, n in responses.items() if rater_group_is_shown(org, g, n)}


def suppressed_cells[K: Hashable](people: Mapping[K, int], total_is_shown: bool = True) -> set[K]:
    """Cells of one breakdown (e.g. teams of a cohort) to hide, given distinct people per cell.

    Primary suppression hides every cell below ``MIN_PEOPLE_PER_CELL``. When the total of the
    breakdown is shown and exactly one cell is hidden, it could be recovered by subtracting the
    shown cells from the total, so the smallest shown cell is hidden too (complementary
    suppression). ``people`` must be counted on the combination of filters the reader chose.
    """
    hidden = {k for k, n in people.items() if not cell_is_shown(n)}
    shown = [k for k in people if k not in hidden]
    if total_is_shown and len(hidden) == 1 and shown:
        hidden.add(min(shown, key=lambda k: (people[k], str(k))))
    return hidden


def comment_order_key(salt: str, text: str) -> str:
    """Order comments by a keyed hash: shuffled, stable for a frozen report, no rater order."""
    return hashlib.sha256(f"{salt}\x00{text}".encode()).hexdigest()
