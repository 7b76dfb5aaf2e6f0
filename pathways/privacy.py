"""GDPR hooks for pathways (see ``organizations.gdpr``): a learner's progress, practice,
scenarios, comments and mentoring. Erasure deletes what the person wrote and keeps the facts
(completions, reviews, plays) that cohort and programme figures count."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from organizations.gdpr import rows
from organizations.models import Membership
from pathways.models import (
    ActivityEvent,
    Comment,
    Enrollment,
    MentoringOffer,
    MentoringRequest,
    ModuleReaction,
    PracticeAnswer,
    Recommendation,
    ReviewCard,
    ReviewLog,
    SavedModule,
    ScenarioPlay,
    SelfAssessment,
    StepCompletion,
)


def export_person(membership: Membership) -> dict[str, list[dict[str, Any]]]:
    enrollments = Enrollment.objects.filter(learner=membership)
    return {
        "enrollments": rows(enrollments),
        "step_completions": rows(StepCompletion.objects.filter(learner=membership)),
        "self_assessments": rows(SelfAssessment.objects.filter(enrollment__in=enrollments)),
        "practice_answers": rows(PracticeAnswer.objects.filter(learner=membership)),
        "module_reactions": rows(ModuleReaction.objects.filter(learner=membership)),
        "review_cards": rows(ReviewCard.objects.filter(learner=membership)),
        "review_log": rows(ReviewLog.objects.filter(learner=membership)),
        "scenario_plays": rows(ScenarioPlay.objects.filter(learner=membership)),
        "activity": rows(ActivityEvent.objects.filter(actor=membership)),
        "saved_modules": rows(SavedModule.objects.filter(learner=membership)),
        "comments": rows(Comment.objects.filter(author=membership)),
        "recommendations": rows(
            Recommendation.objects.filter(Q(sender=membership) | Q(recipient=membership))
        ),
        "mentoring_offers": rows(MentoringOffer.objects.filter(mentor=membership)),
        "mentoring_requests": rows(
            MentoringRequest.objects.filter(Q(mentee=membership) | Q(mentor=membership))
        ),
    }


def erase_person(membership: Membership, placeholder: dict[str, Any]) -> dict[str, int]:
    removed = placeholder["label"]
    return {
        "practice answers (text deleted)": PracticeAnswer.objects.filter(learner=membership).update(
            text=""
        ),
        "comments (text deleted)": Comment.objects.filter(author=membership).update(body=removed),
        "recommendation notes deleted": Recommendation.objects.filter(sender=membership)
        .exclude(note="")
        .update(note=""),
        "mentoring notes deleted": MentoringRequest.objects.filter(mentee=membership)
        .exclude(note="")
        .update(note="")
        + MentoringRequest.objects.filter(mentor=membership)
        .exclude(response_note="")
        .update(response_note=""),
        "saved modules deleted": SavedModule.objects.filter(learner=membership).delete()[0],
        "mentoring offers deleted": MentoringOffer.objects.filter(mentor=membership).delete()[0],
    }
