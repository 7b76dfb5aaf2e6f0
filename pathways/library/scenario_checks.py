"""Structural checks of a scenario tree, on plain rows (no queries here).

A playable scenario has a start node; every node is reachable from it; every situation offers
choices and every choice leads to another node; endings offer none; and from every reachable
node some ending can still be reached. A path back to a situation already passed is fine as
long as the loop has a way out to an ending ("try again" after a poor choice): a play records
each decision by its position in the play, so a learner who comes back decides again.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Iterable
from dataclasses import dataclass

from django.utils.translation import gettext as _

from pathways.models import ScenarioChoice, ScenarioNode


@dataclass(frozen=True)
class TreeProblem:
    # no_start | unreachable | leads_nowhere | no_choices | ending_with_choices | dead_loop
    code: str
    node_key: str
    message: str


def _reachable(start: int, edges: dict[int, set[int]]) -> set[int]:
    seen = {start}
    queue = deque([start])
    while queue:
        for nxt in edges[queue.popleft()]:
            if nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    return seen


def _quote(keys: Iterable[str]) -> str:
    return ", ".join(f"“{k}”" for k in keys)


def find_tree_problems(
    nodes: list[ScenarioNode], choices: list[ScenarioChoice], start_node_id: int | None
) -> list[TreeProblem]:
    """Every problem, in node order, each naming the node it is about."""
    problems: list[TreeProblem] = []
    by_id = {n.pk: n for n in nodes}
    if not nodes:
        return [
            TreeProblem(
                "no_start",
                "",
                _("The scenario has no situations yet: add the opening situation."),
            )
        ]
    edges: dict[int, set[int]] = defaultdict(set)
    reverse: dict[int, set[int]] = defaultdict(set)
    choices_of: dict[int, list[ScenarioChoice]] = defaultdict(list)
    for choice in choices:
        choices_of[choice.node_id].append(choice)
        # A play ends at an ending, so an ending's choices (a problem of their own) lead nowhere.
        source = by_id.get(choice.node_id)
        if choice.next_node_id in by_id and source is not None and not source.is_ending:
            edges[choice.node_id].add(choice.next_node_id)
            reverse[choice.next_node_id].add(choice.node_id)

    for node in nodes:
        own = choices_of[node.pk]
        if node.is_ending and own:
            problems.append(
                TreeProblem(
                    "ending_with_choices",
                    node.key,
                    _("Ending “%(key)s” offers %(n)d choice(s); an ending closes the scenario.")
                    % {"key": node.key, "n": len(own)},
                )
            )
        elif not node.is_ending and not own:
            problems.append(
                TreeProblem(
                    "no_choices",
                    node.key,
                    _("Situation “%(key)s” offers no choices and is not an ending.")
                    % {"key": node.key},
                )
            )
        for choice in own:
            if not node.is_ending and choice.next_node_id not in by_id:
                problems.append(
                    TreeProblem(
                        "leads_nowhere",
                        node.key,
                        _("In “%(key)s”, the choice “%(text)s” leads nowhere.")
                        % {"key": node.key, "text": choice.text[:60]},
                    )
                )

    if start_node_id not in by_id:
        problems.insert(
            0,
            TreeProblem("no_start", "", _("Choose the start node: the opening situation.")),
        )
        return problems

    reachable = _reachable(start_node_id, edges)
    for node in nodes:
        if node.pk not in reachable:
            problems.append(
                TreeProblem(
                    "unreachable",
                    node.key,
                    _("“%(key)s” cannot be reached from the start node “%(start)s”.")
                    % {"key": node.key, "start": by_id[start_node_id].key},
                )
            )

    # Nodes from which an ending can be reached: walk backwards from every ending.
    can_finish: set[int] = set()
    for node in nodes:
        if node.is_ending:
            can_finish |= _reachable(node.pk, reverse)
    # Group the reachable nodes that cannot finish into loops (strongly connected parts with a
    # cycle). A stuck node off any loop leads only into a stuck loop or to a node named above
    # (no choices, a choice leading nowhere), so naming the loops names every dead end.
    stuck = {pk for pk in reachable if pk not in can_finish}
    stuck_edges = defaultdict(set, {pk: edges[pk] & stuck for pk in stuck})
    stuck_reverse = defaultdict(set, {pk: reverse[pk] & stuck for pk in stuck})
    done: set[int] = set()
    for node in nodes:
        if node.pk not in stuck or node.pk in done:
            continue
        loop = _reachable(node.pk, stuck_edges) & _reachable(node.pk, stuck_reverse)
        done |= loop
        if len(loop) == 1 and node.pk not in stuck_edges[node.pk]:
            continue
        keys = [n.key for n in nodes if n.pk in loop]
        message = _("%(keys)s loop with no way out to an ending.") % {"keys": _quote(keys)}
        problems.append(TreeProblem("dead_loop", keys[0], message))
    return problems
