"""Demo scenario plays for ``seed_demo``: the demo learner has played a scenario to an ending,
and some colleagues have too, so the growth page and scenario list show real evidence."""

from __future__ import annotations

import random

from organizations.demo import DemoPeople
from pathways.models import Scenario, ScenarioChoice, ScenarioPlay
from pathways.scenarios.services import do_choose, do_start_play

# Colleagues who get a play each: enough for varied evidence, bounded for large seeds.
OTHER_PLAYERS = 24
MAX_DECISIONS = 20


def _play_to_end(learner, scenario: Scenario, rng: random.Random, best: bool) -> None:
    play = do_start_play(learner, scenario.pk)
    # A published tree reaches an ending, but a "try again" loop may be taken more than once
    # by a random player; the bound keeps that finite (the play then stays unfinished).
    for sequence in range(1, MAX_DECISIONS + 1):
        play.refresh_from_db()
        if play.finished_at is not None or play.current_node_id is None:
            return
        choices = list(
            ScenarioChoice.objects.filter(node_id=play.current_node_id).order_by("position", "id")
        )
        if not choices:
            return
        effective = [c for c in choices if c.is_effective]
        choice = effective[0] if best and effective else rng.choice(choices)
        do_choose(learner, play.pk, choice.pk, sequence=sequence)


def seed_scenario_plays(people: DemoPeople) -> None:
    """Idempotent: a learner who already has a finished play of a scenario gets no new one."""
    scenarios = list(Scenario.objects.filter(status=Scenario.Status.PUBLISHED).order_by("title"))
    if not scenarios:
        return
    rng = random.Random(f"plays-{people.org.slug}")
    finished = set(
        ScenarioPlay.objects.filter(finished_at__isnull=False).values_list(
            "learner_id", "scenario_id"
        )
    )
    players = [(people.learner, scenarios[0], True)]
    others = [m for m in people.learners if m.pk != people.learner.pk][:OTHER_PLAYERS]
    players += [(m, rng.choice(scenarios), rng.random() < 0.5) for m in others]
    for learner, scenario, best in players:
        if (learner.pk, scenario.pk) not in finished:
            _play_to_end(learner, scenario, rng, best)
