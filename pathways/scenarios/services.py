"""Writes for scenario plays and adaptive practice: check_* validates, do_* changes state.

Learner activity, not admin changes: nothing here goes to the audit log; every answer is
evidence (ScenarioDecision, ActivityEvent) and updates the learner's Elo ability and BKT
p(known) through ``pathways.adaptive.do_record_outcomes``, which also writes the answer's
``MasteryEvidence`` rows (what the growth page counts).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from organizations.models import Membership
from pathways import adaptive
from pathways.models import (
    Ability,
    ActivityEvent,
    ChoiceScore,
    MasteryEvidence,
    RetrievalItem,
    RetrievalOption,
    Scenario,
    ScenarioChoice,
    ScenarioDecision,
    ScenarioPlay,
)
from pathways.scenarios.queries import PRACTICE_OBJECT, PRACTICE_VERB, items_for_competency

# --------------------------------------------------------------------------------------------
# Scenarios
# --------------------------------------------------------------------------------------------


def check_playable(scenario_id: int) -> Scenario:
    """The published scenario with an opening situation. Raises Scenario.DoesNotExist for a
    draft, retired or unknown scenario (learners never see those)."""
    scenario = Scenario.objects.select_related("start_node").get(
        pk=scenario_id, status=Scenario.Status.PUBLISHED
    )
    if scenario.start_node is None:
        raise ValidationError(
            _("“%(title)s” has no opening situation yet, so it cannot be played.")
            % {"title": scenario.title}
        )
    return scenario


def do_start_play(learner: Membership, scenario_id: int) -> ScenarioPlay:
    """Start a new play of a published scenario at its opening situation.

    A learner's unfinished play of the same scenario with no choice made yet is reused, so a
    double click on "Start" does not leave an empty play behind. A play that starts at an
    ending (a one-node scenario) finishes at once.
    """
    with transaction.atomic():
        # Lock the learner: two "Start" clicks at once are serialised, the second reuses.
        Membership.objects.select_for_update().filter(pk=learner.pk).first()
        scenario = check_playable(scenario_id)
        start_node = scenario.start_node
        assert start_node is not None, "check_playable refuses a scenario without a start node"
        fresh = (
            ScenarioPlay.objects.filter(
                learner=learner,
                scenario=scenario,
                finished_at__isnull=True,
                decisions__isnull=True,
            )
            .order_by("-started_at", "-id")
            .first()
        )
        if fresh is not None:
            return fresh
        play = ScenarioPlay.objects.create(
            learner=learner, scenario=scenario, current_node=start_node
        )
        if start_node.is_ending:
            _finish(play, learner)
    return play


@dataclass(frozen=True)
class ChoiceOutcome:
    decision: ScenarioDecision
    recorded: bool  # False: this step of the play was already decided; nothing changed
    finished: bool


def check_choice(play: ScenarioPlay, choice_id: int) -> ScenarioChoice:
    """The choice, if it belongs to the play's scenario. Raises ValidationError otherwise."""
    try:
        return ScenarioChoice.objects.select_related("node", "next_node").get(
            pk=choice_id, node__scenario_id=play.scenario_id
        )
    except (ScenarioChoice.DoesNotExist, ValueError, TypeError) as exc:
        raise ValidationError(
            _("That choice is not part of this scenario. Pick one of the options shown.")
        ) from exc


def competencies_tested(choice: ScenarioChoice) -> list[int]:
    """The competencies a decision at ``choice``'s node is evidence of: those scored on any
    choice of that node (so an unscored weak option still counts as a miss), or, when the node
    scores none, those scored anywhere in the scenario (1 query). ``do_choose`` updates these
    estimates and records them in the ``MasteryEvidence`` ledger the growth page counts."""
    at_node: set[int] = set()
    in_scenario: set[int] = set()
    for node_id, competency_id in ChoiceScore.objects.filter(
        choice__node__scenario_id=choice.node.scenario_id
    ).values_list("choice__node_id", "competency_id"):
        in_scenario.add(competency_id)
        if node_id == choice.node_id:
            at_node.add(competency_id)
    return sorted(at_node or in_scenario)


def check_step(
    play: ScenarioPlay, choice: ScenarioChoice, sequence: int
) -> ScenarioDecision | None:
    """Where a choice submitted for decision number ``sequence`` of the play stands.

    Returns the stored decision when that step was already decided at the choice's situation
    (a double submit or the back button: a replay), or None when ``sequence`` is the play's
    next decision and the choice is one offered in the play's current situation (the ``next``
    of its last decision, or the opening). Raises ValidationError for a step the play is not
    at (a page left open while the play moved on, or a made-up number), a play that has ended
    and a choice from another situation. The play must be locked by the caller.
    """
    made = ScenarioDecision.objects.filter(play=play).count()
    if 1 <= sequence <= made:
        decided = ScenarioDecision.objects.get(play=play, sequence=sequence)
        if decided.node_id == choice.node_id:
            return decided
    if play.finished_at is not None:
        raise ValidationError(
            _("This play has ended. Play the scenario again to try other choices.")
        )
    if sequence != made + 1:
        raise ValidationError(
            _(
                "That page was out of date: this play is at decision %(next)s now. "
                "Choose one of the options shown."
            )
            % {"next": made + 1}
        )
    if choice.node_id != play.current_node_id:
        raise ValidationError(
            _(
                "“%(choice)s” belongs to a different situation from the one you are in. "
                "Choose one of the options shown now."
            )
            % {"choice": choice.text}
        )
    return None


def do_choose(learner: Membership, play_id: int, choice_id: int, *, sequence: int) -> ChoiceOutcome:
    """Record the learner's choice as decision number ``sequence`` of the play (1 for the
    first) at its current situation, and move the play on to where the choice leads.

    A play may come back to a situation it has passed (a "try again" loop); each visit is a
    decision of its own. Idempotent per step: a submit for a step already decided (double
    submit, back button) returns the stored decision and changes nothing, so evidence, Elo and
    BKT move once per decision. A step the play is not at, a choice from another situation
    or a choice after the play ended is refused with ValidationError (``check_step``).
    Raises ScenarioPlay.DoesNotExist when the play is not the learner's.
    """
    with transaction.atomic():
        # Lock the play: two concurrent choices on it are serialised, so the second one sees
        # the first one's decision and counts it.
        play = (
            ScenarioPlay.objects.select_for_update()
            .select_related("scenario")
            .get(pk=play_id, learner=learner)
        )
        choice = check_choice(play, choice_id)
        existing = check_step(play, choice, sequence)
        if existing is not None:
            return ChoiceOutcome(existing, recorded=False, finished=play.finished_at is not None)
        try:
            with transaction.atomic():
                decision = ScenarioDecision.objects.create(
                    play=play, sequence=sequence, node_id=choice.node_id, choice=choice
                )
        except IntegrityError:
            # Only reachable when the step was written without the play's lock: judge the
            # submit again against what is stored now.
            stored = check_step(play, choice, sequence)
            assert stored is not None, "the step exists: the insert ran into it"
            return ChoiceOutcome(stored, recorded=False, finished=play.finished_at is not None)

        scores = list(
            ChoiceScore.objects.filter(choice=choice).values_list("competency_id", "score")
        )
        ActivityEvent.objects.create(
            actor=learner,
            verb="experienced",
            object_type="scenario_node",
            object_id=str(choice.node_id),
            result={
                "success": choice.is_effective,
                "response": str(choice.pk),
                "score": {"raw": sum(s for _c, s in scores)},
                "extensions": {
                    "scenario": play.scenario_id,
                    "play": play.pk,
                    "sequence": sequence,
                    "competencies": {str(c): s for c, s in scores},
                },
            },
        )
        source = adaptive.AnswerSource(
            MasteryEvidence.Source.SCENARIO_CHOICE, decision.pk, decision.decided_at
        )
        adaptive.do_record_outcomes(
            learner, competencies_tested(choice), play.scenario, choice.is_effective, source
        )

        next_node = choice.next_node
        play.current_node = next_node
        play.save(update_fields=["current_node"])
        finished = next_node is None or next_node.is_ending
        if finished:
            _finish(play, learner)
    return ChoiceOutcome(decision, recorded=True, finished=finished)


def _finish(play: ScenarioPlay, learner: Membership) -> None:
    """Close the play and log its completion with the behaviour scores per competency."""
    play.finished_at = timezone.now()
    play.save(update_fields=["finished_at"])
    by_competency: dict[str, int] = {}
    # One row per decision and score: a choice made on two visits to a situation counts twice.
    for competency_id, score in ScenarioDecision.objects.filter(play=play).values_list(
        "choice__scores__competency_id", "choice__scores__score"
    ):
        if competency_id is None:  # a choice that scores nothing
            continue
        by_competency[str(competency_id)] = by_competency.get(str(competency_id), 0) + score
    decisions = list(
        ScenarioDecision.objects.filter(play=play).values_list("choice__is_effective", flat=True)
    )
    seconds = max(0, round((play.finished_at - play.started_at).total_seconds()))
    ActivityEvent.objects.create(
        actor=learner,
        verb="completed",
        object_type="scenario",
        object_id=str(play.scenario_id),
        timestamp=play.finished_at,
        result={
            "completion": True,
            "score": {"raw": sum(by_competency.values())},
            "duration": f"PT{seconds}S",
            "extensions": {
                "play": play.pk,
                "ending": play.current_node.key if play.current_node is not None else "",
                "choices": len(decisions),
                "effective_choices": sum(1 for d in decisions if d),
                "competencies": by_competency,
            },
        },
    )


# --------------------------------------------------------------------------------------------
# Adaptive practice by competency
# --------------------------------------------------------------------------------------------

GOOD = 3  # fsrs.Rating.Good: free recall self-graded Good or Easy counts as right
GRADES = {1, 2, 3, 4}


@dataclass(frozen=True)
class PracticeOutcome:
    item_id: int
    correct: bool
    option_id: int | None
    p_known_before: float
    p_known_after: float
    expected: float  # the chance of a right answer the learner had before answering
    recorded: bool  # False: this answer (same token) was already stored


def check_practice_item(competency_id: int, item_id: int) -> RetrievalItem:
    try:
        return items_for_competency(competency_id).get(pk=item_id)
    except (RetrievalItem.DoesNotExist, ValueError, TypeError) as exc:
        raise ValidationError(
            _("That question is not part of the practice for this competency.")
        ) from exc


def check_practice_answer(
    item: RetrievalItem, option_id: int | None, grade: int | None
) -> tuple[bool, int | None]:
    """Grade an answer: (correct, option id). Raises ValidationError for a missing answer."""
    if item.kind == RetrievalItem.Kind.MULTIPLE_CHOICE:
        option = (
            RetrievalOption.objects.filter(item=item, pk=option_id).first() if option_id else None
        )
        if option is None:
            raise ValidationError(_("Choose one of the answers, then check it."))
        return option.is_correct, option.pk
    if grade not in GRADES:
        raise ValidationError(
            _("Say how well you remembered the answer: Again, Hard, Good or Easy.")
        )
    return grade >= GOOD, None


def do_answer_practice(
    learner: Membership,
    competency_id: int,
    item_id: int,
    token: str,
    option_id: int | None = None,
    grade: int | None = None,
) -> PracticeOutcome:
    """Grade one adaptive-practice answer, update Elo and BKT, log it as an xAPI "answered".

    Practice outside FSRS: review cards are left alone. ``token`` (one per question shown)
    makes a double submit or retry a no-op that returns the first result.
    """
    token = (token or "").strip()
    if not token or len(token) > 64:
        raise ValidationError(_("This answer form has expired. Reload the question and try again."))
    with transaction.atomic():
        item = check_practice_item(competency_id, item_id)
        correct, chosen = check_practice_answer(item, option_id, grade)
        # Lock the learner's ability row first: concurrent submits of one token queue here.
        ability, _created = Ability.objects.select_for_update().get_or_create(
            learner=learner, competency_id=competency_id, defaults={"p_known": adaptive.BKT_PRIOR}
        )
        earlier = ActivityEvent.objects.filter(
            actor=learner, verb=PRACTICE_VERB, object_type=PRACTICE_OBJECT, result__token=token
        ).first()
        if earlier is not None:
            result = earlier.result
            return PracticeOutcome(
                item_id=int(earlier.object_id),
                correct=bool(result.get("success")),
                option_id=result.get("option"),
                p_known_before=result.get("p_known_before", ability.p_known),
                p_known_after=result.get("p_known_after", ability.p_known),
                expected=result.get("expected", 0.0),
                recorded=False,
            )
        event = ActivityEvent.objects.create(
            actor=learner,
            verb=PRACTICE_VERB,
            object_type=PRACTICE_OBJECT,
            object_id=str(item.pk),
            result={
                "success": correct,
                "response": str(chosen) if chosen is not None else f"grade:{grade}",
                "option": chosen,
                "token": token,
                "competency": competency_id,
                "mode": "adaptive",
            },
        )
        source = adaptive.AnswerSource(
            MasteryEvidence.Source.PRACTICE_QUESTION, event.pk, event.timestamp
        )
        outcome = adaptive.do_record_outcome(learner, competency_id, item, correct, source)
        assert outcome is not None  # competency_id is set
        # The ledger row points at the statement, so the statement is stored first and gets
        # the estimate's move in this same transaction, before any other reader can see it.
        event.result.update(
            expected=round(outcome.expected, 4),
            p_known_before=round(outcome.p_known_before, 4),
            p_known_after=round(outcome.p_known, 4),
        )
        event.save(update_fields=["result"])
    return PracticeOutcome(
        item_id=item.pk,
        correct=correct,
        option_id=chosen,
        p_known_before=outcome.p_known_before,
        p_known_after=outcome.p_known,
        expected=outcome.expected,
        recorded=True,
    )
