"""FSRS scheduling: intervals grow with Good, shrink with Again, and stop at the programme."""

from __future__ import annotations

import datetime as dt

import pytest
from fsrs import Rating, State

from organizations.tenancy import tenant_context
from pathways.models import ReviewCard
from pathways.practice.scheduling import (
    OPEN_ENDED_PROGRAMME_DAYS,
    learner_programme_days,
    programme_length_days,
    schedule_review,
    scheduler_for,
    to_fsrs,
)
from tests.conftest import enroll, make_member, make_pathway
from tests.pathways.practice.factories import make_cards

START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def _intervals(org, card, ratings, maximum_days=3650):
    scheduler = scheduler_for(org, maximum_days, fuzz=False)
    at, out = START, []
    for rating in ratings:
        schedule_review(scheduler, card, rating, at, 5000)
        out.append(card.due - at)
        at = card.due
    return out


def test_it_spaces_always_good_answers_further_and_further_apart(org_a, org_b):
    learner = make_member(org_a, "leo@a.example", is_learner=True)
    card = make_cards(org_a, learner, n=1).cards[0]
    days = [i.days for i in _intervals(org_a, card, [Rating.Good] * 5)]
    assert days == sorted(days) and len(set(days)) == 5
    assert days[0] >= 1  # a right first answer graduates the card at once
    assert card.state == State.Review and card.step is None


def test_it_never_schedules_beyond_the_maximum_interval(org_a, org_b):
    learner = make_member(org_a, "leo@a.example", is_learner=True)
    card = make_cards(org_a, learner, n=1).cards[0]
    days = [i.days for i in _intervals(org_a, card, [Rating.Good] * 8, maximum_days=30)]
    assert max(days) == 30
    assert days[-1] == 30


def test_it_brings_a_forgotten_card_back_sooner(org_a, org_b):
    learner = make_member(org_a, "leo@a.example", is_learner=True)
    good_card, again_card = make_cards(org_a, learner, n=2).cards
    good = _intervals(org_a, good_card, [Rating.Good, Rating.Good, Rating.Good])
    lapsed = _intervals(org_a, again_card, [Rating.Good, Rating.Good, Rating.Again])
    assert lapsed[2] < dt.timedelta(hours=1) < good[2]
    assert again_card.state == State.Relearning


def test_it_keeps_our_card_id_and_utc_times(org_a, org_b):
    learner = make_member(org_a, "leo@a.example", is_learner=True)
    card = make_cards(org_a, learner, n=1).cards[0]
    fsrs_card = to_fsrs(card)
    assert fsrs_card.card_id == card.pk
    assert fsrs_card.due.tzinfo is dt.UTC


def test_it_takes_the_org_retention_into_account(org_a, org_b):
    org_b.desired_retention = 0.8
    learner = make_member(org_a, "leo@a.example", is_learner=True)
    a, b = make_cards(org_a, learner, n=2).cards
    strict = _intervals(org_a, a, [Rating.Good] * 3)
    relaxed = _intervals(org_b, b, [Rating.Good] * 3)
    assert relaxed[-1] > strict[-1]


@pytest.mark.parametrize(
    ("pairs", "expected"),
    [
        ([], OPEN_ENDED_PROGRAMME_DAYS),
        ([(dt.date(2026, 1, 1), dt.date(2026, 4, 1))], 90),
        ([(dt.date(2026, 1, 1), dt.date(2026, 2, 1)), (dt.date(2026, 1, 1), None)], 365),
        ([(dt.date(2026, 1, 1), dt.date(2025, 12, 1))], 1),
    ],
)
def test_it_measures_the_programme_length(pairs, expected):
    assert programme_length_days(pairs) == expected


def test_it_uses_the_learners_longest_active_enrolment(org_a, org_b):
    learner = make_member(org_a, "leo@a.example", is_learner=True)
    short = make_pathway(org_a, name="Short", start=dt.date(2026, 1, 1))
    long = make_pathway(org_a, name="Long", start=dt.date(2026, 1, 1))
    with tenant_context(org_a):
        short.cohort.end_date = dt.date(2026, 2, 1)
        short.cohort.save()
        long.cohort.end_date = dt.date(2026, 7, 1)
        long.cohort.save()
    enroll(org_a, short, learner)
    withdrawn = enroll(org_a, long, learner)
    with tenant_context(org_a):
        assert learner_programme_days(learner) == 181
        withdrawn.status = "withdrawn"
        withdrawn.save()
        assert learner_programme_days(learner) == 31
        assert ReviewCard.objects.count() == 0
