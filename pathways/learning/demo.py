"""Demo learner activity for ``seed_demo``: the demo learner (``learner@<slug>.test``) and the
other demo learners get a self-assessment, practice answers, reactions, review cards (some due
today) and a review history answered through the review service. Runs after the other demo
seeders, so it only adds what is missing; idempotent: every row is looked up (or inserted with
``ignore_conflicts``) before it is created, and a card already reviewed is not reviewed again.
"""

from __future__ import annotations

import datetime as dt
import random

from django.utils import timezone
from fsrs import Rating

from competencies.models import Competency
from organizations.demo import DemoPeople
from pathways.learning.queries import diagnostic_for
from pathways.models import (
    ActivityEvent,
    Enrollment,
    ModuleReaction,
    PracticeAnswer,
    PracticeTask,
    RetrievalItem,
    RetrievalOption,
    ReviewCard,
    SelfAssessment,
    Step,
    StepCompletion,
    VersionCompetency,
)
from pathways.practice.services import do_review, issue_ticket
from pathways.services import refresh_module_reach

# Colleagues of the demo learner who also get a review history (each review is a few queries).
REVIEWERS = 12
# A practice answer is written a little before its module is marked done; the module's review
# cards are first answered a little after (the same day).
ANSWER_BEFORE_DONE = dt.timedelta(minutes=15)
OPENED_BEFORE_DONE = dt.timedelta(minutes=25)
FIRST_REVIEW_AFTER_DONE = dt.timedelta(hours=1)

PATHWAY_COMPETENCIES = [
    "Leading change",
    "Coaching and developing others",
    "Giving and receiving feedback",
    "Communicating with influence",
]

# module title -> (practice prompt, multiple-choice item, free-recall item)
MODULE_PRACTICE: dict[str, tuple[str, tuple[str, list[tuple[str, bool, str]]], tuple[str, str]]] = {
    "Know your leadership defaults": (
        "Think of the last tense meeting you led. What did you do in the first five minutes, "
        "and what did your team do in response? Name one default you want to change.",
        (
            "Under pressure, a leader's defaults mostly show up as…",
            [
                ("Habits they repeat without deciding to", True, "Yes: defaults run on autopilot."),
                ("Values they state in team meetings", False, "Stated values are deliberate."),
                ("Rules written in the team charter", False, "Charters are written choices."),
            ],
        ),
        (
            "Name one way to notice your own defaults before they shape your team's day.",
            "Ask a trusted colleague what you typically do under pressure, or review your last "
            "three tense meetings and note your first reaction in each.",
        ),
    ),
    "Ask before you tell": (
        "Pick one status update this week where you would normally give the answer. Write the "
        "question you will ask instead, and who you will ask.",
        (
            "Which question hands ownership back to the person bringing a problem?",
            [
                ("“What have you tried so far?”", True, "It invites their own thinking first."),
                ("“Why didn't you escalate earlier?”", False, "That puts them on the defensive."),
                ("“Shall I just handle it?”", False, "That takes the ownership away."),
            ],
        ),
        (
            "What should you do right after asking a coaching question?",
            "Stay quiet and wait: give the other person time to think before you fill the silence.",
        ),
    ),
    "Energy, not hours": (
        "List the three decisions only you can make next week. Block time for them in your "
        "calendar and write down what you will say no to.",
        (
            "Planning around energy means you schedule your hardest decisions…",
            [
                ("When you are freshest", True, "Right: match the work to your energy."),
                ("At the end of the day", False, "By then your decision quality drops."),
                ("Whenever a gap appears", False, "Gaps rarely leave room for deep work."),
            ],
        ),
        (
            "What question helps you find the decisions only you can make?",
            "“If I were away for two weeks, which decisions would wait for me?”",
        ),
    ),
    "Feedback that lands": (
        "Prepare one piece of feedback for a colleague using situation, behaviour, impact. "
        "Write it out, then add the question you will ask to hear their view.",
        (
            "In the SBI model, the B stands for…",
            [
                ("Behaviour you observed", True, "Yes: something you saw or heard."),
                ("Belief about their motives", False, "Motives are guesses; stick to facts."),
                ("Benefit to the business", False, "That belongs to the impact part."),
            ],
        ),
        (
            "Why describe the impact of the behaviour, not only the behaviour?",
            "Impact explains why it matters to you, the team or the customer, so the other "
            "person can decide what to change.",
        ),
    ),
    "Delegating outcomes, not tasks": (
        "Choose one piece of work to delegate this month. Write the outcome, the constraints "
        "and the check-in dates you will agree with the person.",
        (
            "When you delegate an outcome, what do you keep?",
            [
                ("The accountability for the result", True, "Right: you stay accountable."),
                ("The detailed method", False, "The method belongs to the person doing it."),
                ("Every decision along the way", False, "That is delegating tasks, not outcomes."),
            ],
        ),
        (
            "Name the three things a good hand-over of an outcome includes.",
            "The result wanted, the constraints (time, budget, must-nots) and the check-ins.",
        ),
    ),
    "Running a one-to-one that matters": (
        "Ask one direct report to write the agenda for your next one-to-one. Note what they "
        "put first and what that tells you.",
        (
            "Whose agenda comes first in a one-to-one that matters?",
            [
                ("The direct report's", True, "Yes: it is their meeting."),
                ("The manager's", False, "Status updates can go elsewhere."),
                ("Whoever arrives first", False, "Agree the order up front instead."),
            ],
        ),
        (
            "What should every one-to-one end with?",
            "Agreed next steps with an owner and a date, written down by the direct report.",
        ),
    ),
    "Telling the story of the change": (
        "Write the story of a change your team is going through in five sentences: why now, "
        "what stays, what changes, what it means for them, what happens next.",
        (
            "A change story people can repeat starts with…",
            [
                ("Why now", True, "Yes: the reason makes the rest make sense."),
                ("The project plan", False, "Plans come after people see the reason."),
                ("The new org chart", False, "Structure without reason breeds rumours."),
            ],
        ),
        (
            "Why say explicitly what stays the same during a change?",
            "It gives people stable ground and reduces the fear that everything is at risk.",
        ),
    ),
    "Working with resistance": (
        "Think of someone pushing back on a change. Write down what their resistance might be "
        "telling you, and the question you will ask to explore it.",
        (
            "Treating pushback as information means you first…",
            [
                ("Ask what is behind it", True, "Yes: explore before you respond."),
                ("Repeat the case for change", False, "Repeating rarely changes minds."),
                ("Escalate to their manager", False, "That ends the conversation early."),
            ],
        ),
        (
            "Name the three moves for working with resistance.",
            "Name it, explore it, use it.",
        ),
    ),
    "Making progress visible": (
        "Pick one measure of progress your team can see every week. Decide where it will be "
        "shown and when you will review it together.",
        (
            "Small wins matter during change because they…",
            [
                ("Show people the change is working", True, "Yes: visible progress builds belief."),
                ("Replace the need for a plan", False, "They complement the plan."),
                ("Are easy to report upwards", False, "Their main audience is the team."),
            ],
        ),
        (
            "What makes a scoreboard useful to a team?",
            "The team can see it, understands it at a glance and reviews it on a steady rhythm.",
        ),
    ),
}

ANSWERS = [
    "I jumped straight to a solution when Priya raised the delivery delay. Next time I will "
    "ask what she has already tried before offering anything.",
    "I will ask Jonas “What would you do if I were not here?” in Thursday's stand-up instead "
    "of assigning the fix myself.",
    "Blocked Monday 8–10 for the supplier decision and the hiring plan. Saying no to the "
    "weekly reporting call; I will read the notes instead.",
    "In Tuesday's planning meeting you presented the forecast without the regional numbers. "
    "The team could not check the assumptions. How did you see it?",
]


def _ensure_content(module_ids: set[int]) -> None:
    """Give the demo pathway's modules a practice task and two retrieval items when the library
    seed has not already done so."""
    modules = {
        module.title: module
        for s in Step.objects.filter(module_id__in=module_ids).select_related("module")
        if (module := s.module) is not None
    }
    has_task = set(
        PracticeTask.objects.filter(module_id__in=module_ids).values_list("module_id", flat=True)
    )
    has_items = set(
        RetrievalItem.objects.filter(module_id__in=module_ids).values_list("module_id", flat=True)
    )
    for title, (prompt, (mc_prompt, options), (free_prompt, answer)) in MODULE_PRACTICE.items():
        module = modules.get(title)
        if module is None:
            continue
        if module.pk not in has_task:
            PracticeTask.objects.create(module=module, prompt=prompt)
        if module.pk not in has_items:
            item = RetrievalItem.objects.create(
                module=module, kind=RetrievalItem.Kind.MULTIPLE_CHOICE, prompt=mc_prompt
            )
            for position, (text, correct, feedback) in enumerate(options):
                RetrievalOption.objects.create(
                    item=item, text=text, is_correct=correct, feedback=feedback, position=position
                )
            RetrievalItem.objects.create(
                module=module,
                kind=RetrievalItem.Kind.FREE_RECALL,
                prompt=free_prompt,
                model_answer=answer,
                position=1,
            )


def _self_assessments(
    enrollment: Enrollment,
    learner_ratings: random.Random,
    competencies_by_version: dict[int, list],
    assessed: set[int],
) -> list[SelfAssessment]:
    """Unsaved self-assessment rows for an enrolment that has none yet. The diagnostic's
    competencies depend only on the version, so they are read once per version."""
    if enrollment.pk in assessed:
        return []
    if enrollment.version_id not in competencies_by_version:
        diagnostic = diagnostic_for(enrollment.learner, enrollment.pk)
        competencies_by_version[enrollment.version_id] = list(diagnostic.competencies)
    return [
        SelfAssessment(
            organization_id=enrollment.organization_id,
            enrollment=enrollment,
            competency_id=c.id,
            rating=learner_ratings.choice(sorted(c.scale_values)[:4]),
        )
        for c in competencies_by_version[enrollment.version_id]
    ]


def seed_learning(people: DemoPeople) -> None:
    """Must run inside ``tenant_context(people.org)``, after the pathways, library and social
    seeds. Quietly does less when there is no demo pathway."""
    now = timezone.now()
    enrollments = list(
        Enrollment.objects.filter(learner__in=people.learners).select_related(
            "learner", "cohort", "version"
        )
    )
    if not enrollments:
        return
    version_ids = {e.version_id for e in enrollments}
    for competency in Competency.objects.filter(name__in=PATHWAY_COMPETENCIES):
        for version_id in version_ids:
            VersionCompetency.objects.get_or_create(version_id=version_id, competency=competency)
    steps = {
        (s.version_id, str(s.key)): s
        for s in Step.objects.filter(version_id__in=version_ids, module__isnull=False)
    }
    module_ids = {s.module_id for s in steps.values() if s.module_id is not None}
    _ensure_content(module_ids)
    tasks = dict(PracticeTask.objects.values_list("module_id", "pk"))
    done_by_enrollment: dict[int, list[tuple[Step, dt.datetime]]] = {}
    for enrollment_id, version_id, key, completed_at in StepCompletion.objects.filter(
        enrollment__in=enrollments
    ).values_list("enrollment_id", "enrollment__version_id", "step_key", "completed_at"):
        step = steps.get((version_id, str(key)))
        if step is not None:
            done_by_enrollment.setdefault(enrollment_id, []).append((step, completed_at))

    # Bulk reads and writes throughout: ``seed_demo --learners 5000`` must stay quick.
    assessed = set(
        SelfAssessment.objects.filter(enrollment__in=enrollments).values_list(
            "enrollment_id", flat=True
        )
    )
    items_by_module: dict[int, list[int]] = {}
    for item_id, module_id in RetrievalItem.objects.filter(module_id__in=module_ids).values_list(
        "pk", "module_id"
    ):
        items_by_module.setdefault(module_id, []).append(item_id)
    competencies_by_version: dict[int, list] = {}
    answers, reactions, assessments, cards = [], [], [], []
    # Taking a module leaves "opened" and "completed" facts (what the library's reach counts);
    # the ones already there are kept, so a second run adds none.
    events: list[ActivityEvent] = []
    logged = set(
        ActivityEvent.objects.filter(
            actor__in=[e.learner_id for e in enrollments],
            verb__in=["experienced", "completed"],
            object_type="module",
        ).values_list("actor_id", "verb", "object_id")
    )
    for enrollment in enrollments:
        learner = enrollment.learner
        is_demo = learner.pk == people.learner.pk
        local = random.Random(f"{people.org.slug}-learning-{learner.pk}")
        # Most learners took the diagnostic; a few have not yet (their home asks for it).
        # Ratings draw from their own generator so re-runs make the same choices below.
        takes_diagnostic = local.random() < 0.8
        if is_demo or takes_diagnostic:
            assessments += _self_assessments(
                enrollment,
                random.Random(f"{people.org.slug}-sa-{learner.pk}"),
                competencies_by_version,
                assessed,
            )
        for index, (step, completed_at) in enumerate(done_by_enrollment.get(enrollment.pk, [])):
            step_module = step.module_id
            if step_module is None:  # never: ``steps`` holds only steps with a module
                continue
            for verb, when in (
                ("experienced", completed_at - OPENED_BEFORE_DONE),
                ("completed", completed_at),
            ):
                if (learner.pk, verb, str(step_module)) not in logged:
                    logged.add((learner.pk, verb, str(step_module)))
                    events.append(
                        ActivityEvent(
                            organization_id=people.org.pk,
                            actor=learner,
                            verb=verb,
                            object_type="module",
                            object_id=str(step_module),
                            result={"completion": True} if verb == "completed" else {},
                            registration=enrollment,
                            timestamp=when,
                        )
                    )
            # The cards marking the module done created (ensure_review_cards), in bulk: new,
            # due from the moment the module was done.
            cards += [
                ReviewCard(
                    organization_id=people.org.pk,
                    learner=learner,
                    item_id=item_id,
                    state=1,
                    step=0,
                    due=completed_at,
                    created_at=completed_at,
                )
                for item_id in items_by_module.get(step_module, [])
            ]
            task_id = tasks.get(step_module)
            if task_id is not None and (is_demo or local.random() < 0.6):
                answers.append(
                    PracticeAnswer(
                        organization_id=people.org.pk,
                        learner=learner,
                        task_id=task_id,
                        text=ANSWERS[(index + learner.pk) % len(ANSWERS)],
                        # Written just before the module was marked done.
                        created_at=completed_at - ANSWER_BEFORE_DONE,
                        updated_at=completed_at - ANSWER_BEFORE_DONE,
                    )
                )
            if is_demo or local.random() < 0.5:
                reactions.append(
                    ModuleReaction(
                        organization_id=people.org.pk,
                        learner=learner,
                        module_id=step_module,
                        useful=local.choice([4, 4, 5, 3]),
                        relevant=local.choice([5, 4, 4, 3]),
                    )
                )
    SelfAssessment.objects.bulk_create(assessments, ignore_conflicts=True, batch_size=1000)
    ReviewCard.objects.bulk_create(cards, ignore_conflicts=True, batch_size=1000)
    PracticeAnswer.objects.bulk_create(answers, ignore_conflicts=True, batch_size=1000)
    ModuleReaction.objects.bulk_create(reactions, ignore_conflicts=True, batch_size=1000)
    ActivityEvent.objects.bulk_create(events, batch_size=1000)
    refresh_module_reach(
        {int(e.object_id) for e in events if e.object_type == "module"}
        | {r.module_id for r in reactions}
    )
    _seed_reviews(people, now)


def _seed_reviews(people: DemoPeople, now: dt.datetime) -> None:
    """A first review of each card, an hour after its module was done, through the review
    service (FSRS schedule, Elo and BKT updated as for any answer), for the demo learner and
    the first ``REVIEWERS`` colleagues with cards; now and then a card is missed.

    FSRS then decides what is due: a card answered well comes back about two days later (so
    modules done three days ago are due today, yesterday's later this week) and a missed one
    at once. Cards of a module done within the last hour keep waiting for their first review.
    Colleagues beyond ``REVIEWERS`` keep their new cards and no history: answering every card
    of ``seed_demo --learners 5000`` would take minutes.
    """
    reviewers = [people.learner.pk] + [m.pk for m in people.learners if m.pk != people.learner.pk][
        :REVIEWERS
    ]
    cards = list(
        ReviewCard.objects.filter(
            learner_id__in=reviewers,
            last_review__isnull=True,
            created_at__lte=now - FIRST_REVIEW_AFTER_DONE,
        )
        .select_related("item", "learner")
        .order_by("learner_id", "item_id")
    )
    right: dict[int, int] = {}
    wrong: dict[int, int] = {}
    for item_id, option_id, correct in RetrievalOption.objects.filter(
        item_id__in={c.item_id for c in cards}
    ).values_list("item_id", "pk", "is_correct"):
        (right if correct else wrong).setdefault(item_id, option_id)
    for index, card in enumerate(cards):
        at = min(now, card.created_at + FIRST_REVIEW_AFTER_DONE + dt.timedelta(minutes=index % 5))
        correct = index % 7 != 3
        shown_at = at - dt.timedelta(seconds=6 + index % 7 * 2)
        ticket = issue_ticket(card.learner, card.pk, now=shown_at)
        if card.item.kind == RetrievalItem.Kind.MULTIPLE_CHOICE:
            option = (right if correct else wrong).get(card.item_id)
            if option is None:
                continue
            do_review(card.learner, card.pk, ticket=ticket, option_id=option, now=at, fuzz=False)
        else:
            rating = int(Rating.Good) if correct else int(Rating.Again)
            do_review(card.learner, card.pk, ticket=ticket, rating=rating, now=at, fuzz=False)
