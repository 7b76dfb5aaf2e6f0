"""Reads for spaced retrieval practice: due counts, the review page, reminder candidates.

Every function returns plain data built with a fixed number of queries, whatever the number of
cards. Times are UTC; pages show them in the organisation's time zone.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass, field

from django.db.models import Count, Min
from django.utils import timezone
from django.utils.translation import gettext as _

from organizations.models import Membership
from organizations.raw_queries import fetch_rows, moment_of, moment_param, tenant_id
from organizations.relative_dates import zone_named
from pathways.models import RetrievalItem, RetrievalOption, ReviewCard


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


# The review page's read, on every card of a sitting: written once as SQL, no queryset to
# compile, one round trip. A counts row (due now, cards in all, the next due moment, reviews
# since the start of the day), then the oldest due card with its item, module and competency,
# then that item's options when it is a multiple-choice one, in order. Every base table is
# filtered on the organisation (and the learner: their indexes lead with both). Typed NULLs:
# PostgreSQL types a UNION's columns pair by pair.
_REVIEW_PAGE_SQL = """
WITH card AS (
    SELECT rc.id, rc.item_id, rc.last_review
    FROM pathways_reviewcard rc
    WHERE rc.organization_id = %s AND rc.learner_id = %s AND rc.due <= %s AND %s
    ORDER BY rc.due, rc.id
    LIMIT 1
)
SELECT 0 AS part, CAST(NULL AS bigint) AS id,
    (SELECT COUNT(*) FROM pathways_reviewcard d
        WHERE d.organization_id = %s AND d.learner_id = %s AND d.due <= %s) AS n1,
    (SELECT COUNT(*) FROM pathways_reviewcard a
        WHERE a.organization_id = %s AND a.learner_id = %s) AS n2,
    (SELECT COUNT(*) FROM pathways_reviewlog l
        WHERE l.organization_id = %s AND l.learner_id = %s
            AND l.reviewed_at >= %s AND l.reviewed_at <= %s) AS n3,
    (SELECT MIN(n.due) FROM pathways_reviewcard n
        WHERE n.organization_id = %s AND n.learner_id = %s AND n.due > %s) AS at,
    CAST(NULL AS text) AS t1, CAST(NULL AS text) AS t2, CAST(NULL AS text) AS t3,
    CAST(NULL AS text) AS t4, CAST(NULL AS text) AS t5, CAST(NULL AS boolean) AS flag
UNION ALL
SELECT 1, card.id, NULL, NULL, NULL, card.last_review, item.prompt, item.kind, m.title, c.name,
    item.model_answer, NULL
FROM card
JOIN pathways_retrievalitem item ON item.id = card.item_id
JOIN pathways_module m ON m.id = item.module_id
LEFT JOIN competencies_competency c ON c.id = item.competency_id
UNION ALL
SELECT 2, o.id, o.position, NULL, NULL, NULL, o.text, NULL, NULL, NULL, o.feedback,
    o.is_correct
FROM card
JOIN pathways_retrievalitem item ON item.id = card.item_id
JOIN pathways_retrievaloption o ON o.item_id = item.id
WHERE o.organization_id = %s AND item.kind = %s
ORDER BY 1, 3, 2
"""


def review_page(
    learner: Membership,
    answered: int = 0,
    now: dt.datetime | None = None,
    day_start: dt.datetime | None = None,
    include_card: bool = True,
) -> ReviewPage:
    """The oldest due card and the counts around it (1 query, whatever the cards).

    ``day_start`` is the start of the learner's local day (for "reviewed today");
    ``include_card=False`` gives only the counts.
    """
    now = now or timezone.now()
    day_start = day_start or now - dt.timedelta(hours=24)
    org_id, learner_id, at = tenant_id(), learner.pk, moment_param(now)
    rows = fetch_rows(
        _REVIEW_PAGE_SQL,
        [
            *(org_id, learner_id, at, include_card),
            *(org_id, learner_id, at),
            *(org_id, learner_id),
            *(org_id, learner_id, moment_param(day_start), at),
            *(org_id, learner_id, at),
            *(org_id, RetrievalItem.Kind.MULTIPLE_CHOICE.value),
        ],
    )
    _part, _id, n_due, n_total, reviewed_today, next_at, *_rest = rows[0]
    view = None
    if len(rows) > 1:
        _part, card_id, _n1, _n2, _n3, last_review, prompt, kind, module, competency, model = rows[
            1
        ][:11]
        view = CardView(
            id=card_id,
            prompt=prompt,
            kind=kind,
            module=module,
            competency=competency if competency is not None else "",
            model_answer=model,
            is_new=last_review is None,
            options=[
                OptionView(id=row[1], text=row[6], is_correct=bool(row[11]), feedback=row[10])
                for row in rows[2:]
            ],
        )
    return ReviewPage(
        card=view,
        due=int(n_due),
        total_cards=int(n_total),
        next_due=moment_of(next_at) if next_at is not None else None,
        reviewed_today=int(reviewed_today),
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
