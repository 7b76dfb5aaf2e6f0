"""GDPR hooks for coaching (see ``organizations.gdpr``).

Export: the engagements the person is party to (as coachee, coach or sponsor), the sessions they
coached (with their own private notes) or took part in (never the coach's private notes), their
attendance and ratings, goals, experiments, journal, observations about and by them (about them:
no observer identity), peer feedback they gave and received (received: text only, no giver),
three-way notes of their engagements, rehearsals, and their calendar feeds (never the secret).

Erasure keeps every fact ``coaching_counts`` and the observation facts count (engagements,
sessions, minutes, attendance, ratings, goal and experiment statuses, observation levels) and
deletes the text:

- the journal (entries deleted: nothing counts them);
- goals' and experiments' text (title/action become the placeholder, the rest is emptied);
- observation text by the person and about the person (the level stays);
- peer feedback text the person gave or received (the rows stay);
- three-way notes the person wrote, and every note of their engagements as coachee;
- a coach's private notes: their own when the coach is erased; when a coachee is erased, the
  private notes and shared summary of their 1:1 sessions, which are wholly about them. A group
  session's shared summary stays when its coach is erased: it is the participants' record too;
- rehearsal notes of their engagements as coachee;
- calendar feeds (deleted, so the secret URL stops working).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from coaching.models import (
    CalendarFeed,
    CoachingEngagement,
    CoachingSession,
    Experiment,
    Goal,
    JournalEntry,
    Observation,
    PeerFeedback,
    Rehearsal,
    SessionParticipant,
    ThreeWayNote,
)
from organizations.gdpr import rows
from organizations.models import Membership

SESSION_FIELDS = [
    "id",
    "coach_id",
    "kind",
    "engagement_id",
    "cohort_id",
    "title",
    "starts_at",
    "minutes",
    "mode",
    "location",
    "status",
    "actual_minutes",
    "shared_summary",
    "logged_at",
    "cancelled_at",
]
OBSERVATION_FIELDS = [
    "id",
    "learner_id",
    "observer_kind",
    "competency_id",
    "indicator_id",
    "level_id",
    "situation",
    "behaviour",
    "observed_on",
    "created_at",
]


def export_person(membership: Membership) -> dict[str, list[dict[str, Any]]]:
    m = membership
    engagements = CoachingEngagement.objects.filter(Q(coach=m) | Q(coachee=m) | Q(sponsor=m))
    own_1to1 = CoachingEngagement.objects.filter(Q(coach=m) | Q(coachee=m))
    took_part = SessionParticipant.objects.filter(learner=m).values("session_id")
    return {
        "engagements": rows(engagements),
        "sessions_you_coached": rows(
            CoachingSession.objects.filter(coach=m), [*SESSION_FIELDS, "private_notes"]
        ),
        "sessions_you_took_part_in": rows(
            CoachingSession.objects.filter(pk__in=took_part), SESSION_FIELDS
        ),
        "session_attendance_and_ratings": rows(SessionParticipant.objects.filter(learner=m)),
        "goals": rows(Goal.objects.filter(learner=m)),
        "experiments": rows(Experiment.objects.filter(learner=m)),
        "journal": rows(JournalEntry.objects.filter(learner=m)),
        "observations_about_you": rows(Observation.objects.filter(learner=m), OBSERVATION_FIELDS),
        "observations_you_made": rows(Observation.objects.filter(observer=m)),
        "peer_feedback_you_gave": rows(PeerFeedback.objects.filter(giver=m)),
        "peer_feedback_you_received": rows(
            PeerFeedback.objects.filter(recipient=m),
            ["session_id", "what_worked", "what_to_try", "created_at"],
        ),
        "three_way_notes": rows(ThreeWayNote.objects.filter(engagement__in=engagements)),
        "rehearsals": rows(Rehearsal.objects.filter(engagement__in=own_1to1)),
        "calendar_feeds": rows(
            CalendarFeed.objects.filter(membership=m), ["created_at", "revoked_at"]
        ),
    }


def erase_person(membership: Membership, placeholder: dict[str, Any]) -> dict[str, int]:
    m = membership
    label = placeholder["label"]
    as_coachee = CoachingEngagement.objects.filter(coachee=m)
    return {
        "journal entries deleted": JournalEntry.objects.filter(learner=m).delete()[0],
        "goals (text deleted)": Goal.objects.filter(learner=m).update(
            title=label, success_measure="", reflection=""
        ),
        "experiments (text deleted)": Experiment.objects.filter(learner=m).update(
            hypothesis="", action=label, where="", what_happened="", learned=""
        ),
        "observations (text deleted)": Observation.objects.filter(
            Q(learner=m) | Q(observer=m)
        ).update(situation=label, behaviour=label),
        "peer feedback (text deleted)": PeerFeedback.objects.filter(
            Q(giver=m) | Q(recipient=m)
        ).update(what_worked=label, what_to_try=""),
        "three-way notes (text deleted)": ThreeWayNote.objects.filter(
            Q(author=m) | Q(engagement__in=as_coachee)
        ).update(text=label),
        "private session notes deleted": CoachingSession.objects.filter(coach=m)
        .exclude(private_notes="")
        .update(private_notes=""),
        "one-to-one session notes deleted": CoachingSession.objects.filter(
            engagement__in=as_coachee, kind=CoachingSession.Kind.ONE_TO_ONE
        )
        .exclude(private_notes="", shared_summary="")
        .update(private_notes="", shared_summary=""),
        "rehearsal notes deleted": Rehearsal.objects.filter(engagement__in=as_coachee)
        .exclude(note="")
        .update(note=""),
        "calendar feeds deleted": CalendarFeed.objects.filter(membership=m).delete()[0],
    }
