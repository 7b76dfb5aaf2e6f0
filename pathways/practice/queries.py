"""Reads for spaced retrieval practice: due counts, the review page, reminder candidates.

Every function returns plain data built with a fixed number of queries, whatever the number of
cards. Times are UTC; pages show them in the organisation's time zone.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass, field

from django.db.models import Count, Min, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from organizations.models import Membership
from organizations.relative_dates import zone_named
from pathways.models import RetrievalItem, RetrievalOption, ReviewCard, ReviewLog


def rating_label(rating: int) -> str:
    return {1: _("Again"), 2: _("Hard"), 3: _("Good"), 4: _("Easy")}[rating]


def due_count(learner: Membership, now: dt.datetime | None = None) -> int:
    """How many of ``learner``'s review cards are due at ``now`` (1 query)."""
    now = now or timezone.now()
    return ReviewCard.objects.filter(learner=learner, due__lte=now).count()


def next_due(learner: Membership, now: dt.datetime | None = None) -> dt.datetime | None:
    """When the learner's next card falls due after ``now`` (None with no cards; 1 query)."""
    now = now or timezone.now()
    return (
        ReviewCard.objects.filter(learner=learner, due__gt=now)
        .aggregate(next=Min("due"))
        .get("next")
    )


@dataclass
class OptionView:
    id: int
    text: str
    is_correct: bool
    feedback: str


@dataclass
class CardView:
    id: int
    prompt: str
    kind: str  # "mc" or "free"
    module: str
    competency: str
    model_answer: str
    is_new: bool
    options: list[OptionView] = field(default_factory=list)

    @property
    def is_multiple_choice(self) -> bool:
        # An item without options cannot be answered by choosing; it is recalled instead.
        return self.kind == RetrievalItem.Kind.MULTIPLE_CHOICE and bool(self.options)


def card_view(card: ReviewCard, options: list[RetrievalOption]) -> CardView:
    """Plain view of a card whose item, module and competency were selected with it."""
    item = card.item
    return CardView(
        id=card.pk,
        prompt=item.prompt,
        kind=item.kind,
        module=item.module.title,
        competency=item.competency.name if item.competency is not None else "",
        model_answer=item.model_answer,
        is_new=card.last_review is None,
        options=[
            OptionView(id=o.pk, text=o.text, is_correct=o.is_correct, feedback=o.feedback)
            for o in options
        ],
    )


def item_options(item_id: int) -> list[RetrievalOption]:
    return list(RetrievalOption.objects.filter(item_id=item_id).order_by("position", "id"))


def learner_card(learner: Membership, card_id: int) -> CardView:
    """One of the learner's cards (2 queries; raises ``ReviewCard.DoesNotExist`` otherwise)."""
    card = ReviewCard.objects.select_related("item__module", "item__competency").get(
        pk=card_id, learner=learner
    )
    return card_view(card, item_options(card.item_id))


def learner_zone(time_zone: str, org_time_zone: str) -> zoneinfo.ZoneInfo:
    """The learner's own time zone, else the organisation's, else UTC."""
    return zone_named(time_zone, org_time_zone)


@dataclass
class ReviewPage:
    card: CardView | None
    due: int
    total_cards: int
    next_due: dt.datetime | None
    reviewed_today: int
    answered: int  # in this sitting, carried by the page
    now: dt.datetime

    @property
    def position(self) -> int:
        return self.answered + 1

    @property
    def session_total(self) -> int:
        return self.answered + self.due


def review_page(
    learner: Membership,
    answered: int = 0,
    now: dt.datetime | None = None,
    day_start: dt.datetime | None = None,
    include_card: bool = True,
) -> ReviewPage:
    """The oldest due card and the counts around it (at most 4 queries, whatever the cards).

    ``day_start`` is the start of the learner's local day (for "reviewed today");
    ``include_card=False`` gives only the counts (2 queries).
    """
    now = now or timezone.now()
    day_start = day_start or now - dt.timedelta(hours=24)
    counts = ReviewCard.objects.filter(learner=learner).aggregate(
        n_due=Count("id", filter=Q(due__lte=now)),
        n_total=Count("id"),
        next_at=Min("due", filter=Q(due__gt=now)),
    )
    reviewed_today = ReviewLog.objects.filter(
        learner=learner, reviewed_at__gte=day_start, reviewed_at__lte=now
    ).count()
    view = None
    if include_card and counts["n_due"]:
        card = (
            ReviewCard.objects.filter(learner=learner, due__lte=now)
            .select_related("item__module", "item__competency")
            .order_by("due", "id")
            .first()
        )
        if card is not None:
            options = (
                item_options(card.item_id)
                if card.item.kind == RetrievalItem.Kind.MULTIPLE_CHOICE
                else []
            )
            view = card_view(card, options)
    return ReviewPage(
        card=view,
        due=counts["n_due"],
        total_cards=counts["n_total"],
        next_due=counts["next_at"],
        reviewed_today=reviewed_today,
        answered=max(0, answered),
        now=now,
    )


@dataclass
class ReminderCandidate:
    learner_id: int
    email: str
    name: str
    time_zone: str  # the user's own, or "" for the organisation's
    due: int


def reminder_candidates(now: dt.datetime) -> list[ReminderCandidate]:
    """Active learners in the current organisation who want reminders and have cards due at
    ``now``, with how many (1 query)."""
    rows = (
        ReviewCard.objects.filter(
            due__lte=now,
            learner__is_active=True,
            learner__is_learner=True,
            learner__user__is_active=True,
            learner__user__email_reminders=True,
        )
        .values(
            "learner_id",
            "learner__user__email",
            "learner__user__full_name",
            "learner__user__time_zone",
        )
        .annotate(n=Count("id"))
        .order_by("learner_id")
    )
    return [
        ReminderCandidate(
            learner_id=row["learner_id"],
            email=row["learner__user__email"],
            name=row["learner__user__full_name"] or row["learner__user__email"].split("@")[0],
            time_zone=row["learner__user__time_zone"],
            due=row["n"],
        )
        for row in rows
    ]
