"""Demo social learning for ``seed_demo``: a recommendation, comments, saved modules and
mentoring around the demo learner (``learner@<slug>.test``). Idempotent: every row is looked up
before it is created, so a second run changes nothing."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from competencies.models import Competency
from organizations.models import Membership, Organization
from pathways.models import (
    Comment,
    MentoringOffer,
    MentoringRequest,
    Module,
    Recommendation,
    RetrievalItem,
    RetrievalOption,
    SavedModule,
)
from pathways.scenarios.queries import items_for_competency
from pathways.scenarios.services import do_answer_practice

COMMENTS = [
    (
        "I tried the three questions in my Monday stand-up. Two people took ownership of "
        "blockers I would normally have solved myself."
    ),
    (
        "Useful. The hardest part for me is staying quiet after asking. Any tips on how "
        "long to wait?"
    ),
    "Count to five in your head. It feels long to you and normal to everyone else.",
]
LEARNER_COMMENT = (
    "Writing my defaults down before the weekly review made it obvious how often I jump in "
    "with answers. Trying a question first this week."
)


def _colleagues(learner: Membership) -> list[Membership]:
    """Other active learners, people on other teams first (stable order for re-runs)."""
    others = list(
        Membership.objects.filter(is_active=True, is_learner=True)
        .exclude(pk=learner.pk)
        .select_related("user", "team")
        .order_by("user__email")
    )
    return sorted(others, key=lambda m: m.team_id == learner.team_id)


def _practise(person: Membership, competency: Competency, answers: list[bool]) -> None:
    """``person`` answers practice questions on ``competency`` through the practice service,
    right or wrong as ``answers`` says, one question each; so their estimate rests on answers
    they can see on their growth page. Tokens name the person, competency and question, so a
    second run records nothing. Does less when there are fewer questions."""
    items = list(items_for_competency(competency.pk).order_by("pk")[: len(answers)])
    right: dict[int, int] = {}
    wrong: dict[int, int] = {}
    for item_id, option_id, is_correct in RetrievalOption.objects.filter(
        item__in=items
    ).values_list("item_id", "pk", "is_correct"):
        (right if is_correct else wrong)[item_id] = option_id
    for item, correct in zip(items, answers, strict=False):
        token = f"demo-{person.pk}-{competency.pk}-{item.pk}"
        if item.kind == RetrievalItem.Kind.MULTIPLE_CHOICE:
            option = right.get(item.pk) if correct else wrong.get(item.pk)
            if option is not None:
                do_answer_practice(person, competency.pk, item.pk, token, option_id=option)
        else:
            do_answer_practice(person, competency.pk, item.pk, token, grade=3 if correct else 1)


def seed_social(org: Organization) -> None:
    """Must run inside ``tenant_context(org)``. Quietly does less when the demo has no
    modules, competencies or colleagues yet."""
    learner = (
        Membership.objects.filter(user__email=f"learner@{org.slug}.test")
        .select_related("user")
        .first()
    )
    if learner is None:
        return
    colleagues = _colleagues(learner)
    if len(colleagues) < 2:
        return
    now = timezone.now()
    modules = list(Module.objects.filter(status=Module.Status.PUBLISHED).order_by("id"))
    if modules:
        _seed_library(learner, colleagues, modules, now)
    competencies = list(Competency.objects.order_by("framework_id", "position", "id")[:4])
    if competencies and len(colleagues) >= 4:
        _seed_mentoring(learner, colleagues, competencies, now)


def _seed_library(
    learner: Membership, colleagues: list[Membership], modules: list[Module], now: dt.datetime
) -> None:
    later = modules[len(modules) // 2 :] or modules
    Recommendation.objects.get_or_create(
        sender=colleagues[0],
        recipient=learner,
        module=later[0],
        defaults={
            "note": "Short and practical. It changed how I plan my week; worth ten minutes.",
            "created_at": now - dt.timedelta(days=1),
        },
    )
    if len(later) > 1:
        Recommendation.objects.get_or_create(
            sender=colleagues[1],
            recipient=learner,
            module=later[1],
            defaults={"note": "", "created_at": now - dt.timedelta(days=3)},
        )
    if len(colleagues) > 2:
        Recommendation.objects.get_or_create(
            sender=colleagues[1],
            recipient=colleagues[2],
            module=modules[0],
            defaults={"note": "Short and practical.", "created_at": now - dt.timedelta(days=2)},
        )
    for module in modules[-2:]:
        SavedModule.objects.get_or_create(learner=learner, module=module)
    first = modules[0]
    if not Comment.objects.filter(module=first).exists():
        authors = [colleagues[0], colleagues[1], colleagues[0]]
        for i, (author, body) in enumerate(zip(authors, COMMENTS, strict=True)):
            Comment.objects.create(
                module=first,
                author=author,
                body=body,
                created_at=now - dt.timedelta(days=6 - i, hours=3),
            )
        Comment.objects.create(
            module=first,
            author=learner,
            body=LEARNER_COMMENT,
            created_at=now - dt.timedelta(days=2),
        )
    if len(modules) > 1 and not Comment.objects.filter(module=modules[1]).exists():
        Comment.objects.create(
            module=modules[1],
            author=colleagues[1],
            body="The question bank at the end is gold. I keep it open during one-to-ones.",
            created_at=now - dt.timedelta(days=4),
        )


def _seed_mentoring(
    learner: Membership,
    colleagues: list[Membership],
    competencies: list[Competency],
    now: dt.datetime,
) -> None:
    mentor, second_mentor, mentee = colleagues[0], colleagues[1], colleagues[2]
    # Mentors offer, and have the practice record that makes them "further on"; the first
    # chose to show their knowledge estimate, the second keeps it to themselves.
    for person, competency, answers, share in (
        (mentor, competencies[0], [True] * 6, True),
        (second_mentor, competencies[0], [True, True, False, True], False),
    ):
        MentoringOffer.objects.get_or_create(
            mentor=person, competency=competency, defaults={"share_estimate": share}
        )
        _practise(person, competency, answers)
    if len(competencies) > 1:
        MentoringOffer.objects.get_or_create(mentor=mentor, competency=competencies[1])
        _practise(mentor, competencies[1], [True] * 5)
        # An accepted pair: the demo learner is mentored on the second competency.
        if not MentoringRequest.objects.filter(mentee=learner, competency=competencies[1]).exists():
            MentoringRequest.objects.create(
                mentee=learner,
                mentor=mentor,
                competency=competencies[1],
                note="I'd like to get better at this before our reorganisation in spring.",
                response_note="Happy to. Thursdays after 3 work best for me.",
                status=MentoringRequest.Status.ACCEPTED,
                created_at=now - dt.timedelta(days=9),
                responded_at=now - dt.timedelta(days=8),
            )
    # Other demo learners mentor each other too, so the feature looks lived-in.
    for pair_mentor, pair_mentee, competency, days in zip(
        colleagues[3::2], colleagues[4::2], competencies * 3, (12, 6, 3), strict=False
    ):
        MentoringOffer.objects.get_or_create(mentor=pair_mentor, competency=competency)
        if not MentoringRequest.objects.filter(mentee=pair_mentee, competency=competency).exists():
            MentoringRequest.objects.create(
                mentee=pair_mentee,
                mentor=pair_mentor,
                competency=competency,
                status=MentoringRequest.Status.ACCEPTED,
                created_at=now - dt.timedelta(days=days + 1),
                responded_at=now - dt.timedelta(days=days),
            )
    # An open request with suggestions waiting for the learner to choose a mentor.
    if not MentoringRequest.objects.filter(mentee=learner, competency=competencies[0]).exists():
        MentoringRequest.objects.create(
            mentee=learner,
            competency=competencies[0],
            note="Looking for someone who has done this in a busy operations team.",
            created_at=now - dt.timedelta(days=1),
        )
    # The learner mentors too: an offer and a colleague's request awaiting their answer.
    if len(competencies) > 2:
        offered = competencies[2]
        MentoringOffer.objects.get_or_create(mentor=learner, competency=offered)
        _practise(learner, offered, [True, True, False, True, True])
        if not MentoringRequest.objects.filter(mentee=mentee, competency=offered).exists():
            MentoringRequest.objects.create(
                mentee=mentee,
                mentor=learner,
                competency=offered,
                note="I saw you offer this. Could we meet for half an hour?",
                status=MentoringRequest.Status.PROPOSED,
                created_at=now - dt.timedelta(hours=20),
            )
