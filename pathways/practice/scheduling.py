"""FSRS scheduling for review cards: the bridge between ``ReviewCard`` rows and ``fsrs.Card``.

Defaults and reasoning are in MEASUREMENT.md ("Spaced repetition (FSRS)"): desired retention per
organisation (default 0.9), maximum interval capped at the programme's length, UTC only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from fsrs import Card, Rating, Scheduler, State

from organizations.models import Membership, Organization
from pathways.models import Enrollment, ReviewCard

# With no end date a programme is treated as a year long: long enough for spacing to work,
# short enough that what was learnt comes back while it still matters.
OPEN_ENDED_PROGRAMME_DAYS = 365
# One short step: a card the learner missed comes back a minute later, within the same sitting,
# and a card answered well graduates at once (the module itself was the first exposure). The
# FSRS default of 1 and 10 minutes would bring each new card back once more after the learner
# has usually closed the page between meetings.
LEARNING_STEPS = (dt.timedelta(minutes=1),)
RELEARNING_STEPS = (dt.timedelta(minutes=1),)


def programme_length_days(starts_and_ends: Iterable[tuple[dt.date, dt.date | None]]) -> int:
    """The longest programme among ``(start_date, end_date)`` pairs, in days (at least 1).

    An open-ended programme counts as ``OPEN_ENDED_PROGRAMME_DAYS``; with no programme at all
    the same default applies.
    """
    lengths = [
        (end - start).days if end is not None else OPEN_ENDED_PROGRAMME_DAYS
        for start, end in starts_and_ends
    ]
    return max(1, max(lengths, default=OPEN_ENDED_PROGRAMME_DAYS))


def learner_programme_days(learner: Membership) -> int:
    """The maximum interval for ``learner``: the longest active enrolment's cohort (1 query)."""
    pairs = Enrollment.objects.filter(learner=learner, status=Enrollment.Status.ACTIVE).values_list(
        "cohort__start_date", "cohort__end_date"
    )
    return programme_length_days(pairs)


def scheduler_for(org: Organization, maximum_interval_days: int, *, fuzz: bool = True) -> Scheduler:
    """An FSRS scheduler with the organisation's retention and the programme's length as cap.

    Fuzzing (a day or two either way on long intervals) spreads reviews learnt together over
    several days; tests switch it off to compare exact intervals.
    """
    return Scheduler(
        desired_retention=org.desired_retention,
        learning_steps=LEARNING_STEPS,
        relearning_steps=RELEARNING_STEPS,
        maximum_interval=max(1, maximum_interval_days),
        enable_fuzzing=fuzz,
    )


def as_utc(moment: dt.datetime) -> dt.datetime:
    """FSRS accepts only aware datetimes whose tzinfo is exactly ``datetime.timezone.utc``."""
    if moment.tzinfo is None:
        raise ValueError("FSRS needs an aware datetime.")
    return moment.astimezone(dt.UTC)


def to_fsrs(card: ReviewCard) -> Card:
    """The FSRS view of a stored card; ``card_id`` is our primary key (never generated)."""
    state = State(card.state)
    return Card(
        card_id=card.pk,
        state=state,
        step=card.step if state != State.Review else None,
        stability=card.stability,
        difficulty=card.difficulty,
        due=as_utc(card.due),
        last_review=as_utc(card.last_review) if card.last_review is not None else None,
    )


def apply_fsrs(card: ReviewCard, scheduled: Card) -> None:
    """Copy FSRS's result onto the stored card (the caller saves it)."""
    card.state = int(scheduled.state)
    card.step = scheduled.step
    card.stability = scheduled.stability
    card.difficulty = scheduled.difficulty
    card.due = scheduled.due
    card.last_review = scheduled.last_review


def schedule_review(
    scheduler: Scheduler,
    card: ReviewCard,
    rating: Rating,
    at: dt.datetime,
    duration_ms: int | None,
) -> None:
    """Review ``card`` with ``rating`` at ``at`` and store the new schedule on it (unsaved)."""
    scheduled, _log = scheduler.review_card(
        to_fsrs(card), rating, review_datetime=as_utc(at), review_duration=duration_ms
    )
    apply_fsrs(card, scheduled)
