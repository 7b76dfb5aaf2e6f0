"""Structural checks of a scenario tree, on plain rows (no queries here).

A playable scenario has a start node; every node is reachable from it; every situation offers
choices and every choice leads to another node; endings offer none; from every reachable node
some ending can still be reached; and no path comes back to a situation already passed. A play
records one decision per situation (the idempotent answer to a double submit or the back
button), so a learner who came back to a situation would be shown their earlier choice again
and could never move on.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Iterable
from dataclasses import dataclass

from django.utils.translation import gettext as _

from pathways.models import ScenarioChoice, ScenarioNode


@dataclass(frozen=True)
class TreeProblem:
    # no_start | unreachable | leads_nowhere | no_choices | ending_with_choices | dead_loop | loop
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
    # Group the reachable nodes into loops (strongly connected parts with a cycle). A loop is
    # stuck as a whole or not at all: its nodes reach each other, so they reach the same endings.
    done: set[int] = set()
    inner_edges = defaultdict(set, {pk: edges[pk] & reachable for pk in reachable})
    inner_reverse = defaultdict(set, {pk: reverse[pk] & reachable for pk in reachable})
    for node in nodes:
        if node.pk not in reachable or node.pk in done:
            continue
        loop = _reachable(node.pk, inner_edges) & _reachable(node.pk, inner_reverse)
        done |= loop
        if len(loop) == 1 and node.pk not in inner_edges[node.pk]:
            continue
        keys = [n.key for n in nodes if n.pk in loop]
        if node.pk not in can_finish:
            message = _("%(keys)s loop with no way out to an ending.") % {"keys": _quote(keys)}
            problems.append(TreeProblem("dead_loop", keys[0], message))
        elif len(loop) == 1:
            back = next(c for c in choices_of[node.pk] if c.next_node_id == node.pk)
            message = _(
                "In “%(key)s”, the choice “%(text)s” leads back to “%(key)s”. A learner decides "
                "once per situation, so the play could never move on: point it at another "
                "situation or an ending."
            ) % {"key": node.key, "text": back.text[:60]}
            problems.append(TreeProblem("loop", node.key, message))
        else:
            message = _(
                "%(keys)s lead back to one another. A learner decides once per situation, so "
                "one who comes back could never move on: make every path lead forward to an "
                "ending."
            ) % {"keys": _quote(keys)}
            problems.append(TreeProblem("loop", keys[0], message))
    return problems
