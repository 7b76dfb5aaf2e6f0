"""Reviewing a card: grading rules, idempotent submits, durations, and what a review changes."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import signing
from django.core.exceptions import ValidationError

from competencies.models import Competency
from organizations.tenancy import tenant_context
from pathways.models import (
    Ability,
    MasteryEvidence,
    ModuleCompetency,
    RetrievalItem,
    ReviewCard,
    ReviewLog,
)
from pathways.practice import services
from pathways.practice.services import (
    MAX_DURATION_MS,
    SLOW_ANSWER_MS,
    grade_multiple_choice,
    issue_ticket,
    review_duration_ms,
)
from tests.conftest import make_member
from tests.pathways.practice.factories import make_cards, options_of

SHOWN = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def leo(org_a):
    return make_member(org_a, "leo@a.example", is_learner=True)


def _review(org, learner, card, seconds=5.0, shown=SHOWN, ticket=None, **answer):
    ticket = ticket or issue_ticket(learner, card.pk, now=shown)
    with tenant_context(org):
        return services.do_review(
            learner, card.pk, ticket=ticket, now=shown + dt.timedelta(seconds=seconds),
            fuzz=False, **answer,
        )  # fmt: skip


def test_it_grades_a_wrong_choice_again(org_a, org_b, leo):
    built = make_cards(org_a, leo, n=1, due=SHOWN)
    _right, wrong = options_of(org_a, built.items[0])
    result = _review(org_a, leo, built.cards[0], option_id=wrong)
    assert (result.rating, result.correct, result.rating_label) == (1, False, "Again")
    assert result.due - result.reviewed_at == dt.timedelta(minutes=1)


def test_it_grades_a_quick_right_choice_good_and_a_slow_one_hard(org_a, org_b, leo):
    built = make_cards(org_a, leo, n=2, due=SHOWN)
    right, _wrong = options_of(org_a, built.items[0])
    quick = _review(org_a, leo, built.cards[0], seconds=SLOW_ANSWER_MS / 1000, option_id=right)
    right2, _ = options_of(org_a, built.items[1])
    slow = _review(org_a, leo, built.cards[1], seconds=SLOW_ANSWER_MS / 1000 + 1, option_id=right2)
    assert (quick.rating, quick.correct) == (3, True)
    assert (slow.rating, slow.correct) == (2, True)
    assert quick.due > slow.due


def test_it_follows_the_grading_rule(org_a, org_b):
    assert grade_multiple_choice(False, 1000) == 1
    assert grade_multiple_choice(True, SLOW_ANSWER_MS) == 3
    assert grade_multiple_choice(True, SLOW_ANSWER_MS + 1) == 2
    assert grade_multiple_choice(False, SLOW_ANSWER_MS * 3) == 1


def test_it_records_a_self_graded_free_recall(org_a, org_b, leo):
    built = make_cards(org_a, leo, n=2, kind=RetrievalItem.Kind.FREE_RECALL, due=SHOWN)
    easy = _review(org_a, leo, built.cards[0], seconds=40, rating=4)
    again = _review(org_a, leo, built.cards[1], seconds=40, rating=1)
    assert (easy.rating, easy.correct) == (4, True)
    assert (again.rating, again.correct) == (1, False)
    assert easy.due - easy.reviewed_at >= dt.timedelta(days=1)
    assert again.due - again.reviewed_at < dt.timedelta(hours=1)


def test_it_refuses_a_free_recall_without_a_rating_and_changes_nothing(org_a, org_b, leo):
    card = make_cards(org_a, leo, n=1, kind=RetrievalItem.Kind.FREE_RECALL, due=SHOWN).cards[0]
    with pytest.raises(ValidationError) as exc:
        _review(org_a, leo, card, rating=None)
    assert "rating" in exc.value.error_dict
    with tenant_context(org_a):
        assert ReviewLog.objects.count() == 0
        assert ReviewCard.objects.get(pk=card.pk).due == SHOWN


def test_it_refuses_a_choice_from_another_question(org_a, org_b, leo):
    built = make_cards(org_a, leo, n=2, due=SHOWN)
    other_right, _ = options_of(org_a, built.items[1])
    with pytest.raises(ValidationError) as exc:
        _review(org_a, leo, built.cards[0], option_id=other_right)
    assert "option" in exc.value.error_dict
    with tenant_context(org_a):
        assert ReviewLog.objects.count() == 0


def test_it_records_the_same_review_once(org_a, org_b, leo):
    built = make_cards(org_a, leo, n=1, due=SHOWN)
    right, wrong = options_of(org_a, built.items[0])
    card = built.cards[0]
    ticket = issue_ticket(leo, card.pk, now=SHOWN)
    first = _review(org_a, leo, card, ticket=ticket, option_id=right)
    again = _review(org_a, leo, card, seconds=9, ticket=ticket, option_id=wrong)
    assert not first.replayed and again.replayed
    assert (again.rating, again.due, again.correct) == (first.rating, first.due, True)
    with tenant_context(org_a):
        assert ReviewLog.objects.count() == 1
        assert ReviewCard.objects.get(pk=card.pk).due == first.due
        assert Ability.objects.get(learner=leo).updates == 1


def test_it_writes_one_evidence_row_per_competency_for_a_double_submitted_review(org_a, org_b, leo):
    built = make_cards(org_a, leo, n=1, due=SHOWN)
    [item], card = built.items, built.cards[0]
    right, _wrong = options_of(org_a, item)
    with tenant_context(org_a):
        # A question that names no competency counts for each competency of its module.
        listening = Competency.objects.create(framework=built.competency.framework, name="Listen")
        RetrievalItem.objects.filter(pk=item.pk).update(competency=None)
        for competency in (built.competency, listening):
            ModuleCompetency.objects.create(module=item.module, competency=competency)
    ticket = issue_ticket(leo, card.pk, now=SHOWN)
    first = _review(org_a, leo, card, ticket=ticket, option_id=right)
    again = _review(org_a, leo, card, seconds=7, ticket=ticket, option_id=right)
    assert again.replayed
    with tenant_context(org_a):
        log = ReviewLog.objects.get()
        rows = list(MasteryEvidence.objects.order_by("competency_id"))
        updates = list(Ability.objects.order_by("competency_id").values_list("updates", flat=True))
    assert [(r.source_kind, r.source_id, r.competency_id) for r in rows] == [
        ("review", log.pk, built.competency.pk),
        ("review", log.pk, listening.pk),
    ]
    assert all(r.correct and r.answered_at == first.reviewed_at for r in rows)
    assert updates == [1, 1]


def test_it_logs_the_review_and_moves_the_due_date(org_a, org_b, leo):
    built = make_cards(org_a, leo, n=1, due=SHOWN)
    right, _ = options_of(org_a, built.items[0])
    result = _review(org_a, leo, built.cards[0], seconds=7.5, option_id=right)
    with tenant_context(org_a):
        log = ReviewLog.objects.get()
        card = ReviewCard.objects.get()
        item = RetrievalItem.objects.get()
        ability = Ability.objects.get(learner=leo, competency=built.competency)
    assert (log.rating, log.correct, log.duration_ms) == (3, True, 7500)
    assert (log.due_before, log.due_after) == (SHOWN, card.due)
    assert card.due == result.due and card.last_review == log.reviewed_at
    assert card.state == 2 and card.stability is not None
    assert ability.theta > 0 and item.difficulty < 0  # Elo learnt from the right answer


def test_it_refuses_a_card_that_is_not_due_yet(org_a, org_b, leo):
    card = make_cards(org_a, leo, n=1, due=SHOWN + dt.timedelta(days=3)).cards[0]
    right, _ = options_of(org_a, card.item)
    with pytest.raises(ValidationError, match="not due until"):
        _review(org_a, leo, card, option_id=right)


def test_it_clamps_the_duration_to_sane_bounds(org_a, org_b):
    assert review_duration_ms(SHOWN, SHOWN + dt.timedelta(hours=3)) == MAX_DURATION_MS
    assert review_duration_ms(SHOWN, SHOWN - dt.timedelta(seconds=2)) == 0
    assert review_duration_ms(SHOWN, SHOWN + dt.timedelta(seconds=12)) == 12_000


def test_it_stores_a_clamped_duration_for_a_card_left_open(org_a, org_b, leo):
    built = make_cards(org_a, leo, n=1, due=SHOWN)
    right, _ = options_of(org_a, built.items[0])
    result = _review(org_a, leo, built.cards[0], seconds=7200, option_id=right)
    assert result.duration_ms == MAX_DURATION_MS
    assert result.rating == 2  # right, but not fluent


def test_it_refuses_a_tampered_or_foreign_ticket(org_a, org_b, leo):
    built = make_cards(org_a, leo, n=2, due=SHOWN)
    right, _ = options_of(org_a, built.items[0])
    card = built.cards[0]
    mia = make_member(org_a, "mia@a.example", is_learner=True)
    forged = signing.dumps(
        {"l": leo.pk, "c": card.pk, "t": "x", "s": 0}, salt="another-salt", compress=True
    )
    for ticket in (
        forged,
        issue_ticket(mia, card.pk, now=SHOWN),
        issue_ticket(leo, built.cards[1].pk, now=SHOWN),
        "garbage",
    ):
        with pytest.raises(ValidationError, match="could not be checked"):
            _review(org_a, leo, card, ticket=ticket, option_id=right)
    with tenant_context(org_a):
        assert ReviewLog.objects.count() == 0


def test_it_gives_no_access_to_another_learners_card(org_a, org_b, leo):
    mia = make_member(org_a, "mia@a.example", is_learner=True)
    card = make_cards(org_a, mia, n=1, due=SHOWN).cards[0]
    with pytest.raises(ReviewCard.DoesNotExist):
        _review(org_a, leo, card, option_id=1)
