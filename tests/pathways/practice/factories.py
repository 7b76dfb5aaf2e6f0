"""Builders for practice tests: retrieval items with options, and review cards due at a time."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from competencies.models import Competency, Framework
from organizations.models import Membership, Organization
from organizations.tenancy import tenant_context
from pathways.models import Module, RetrievalItem, RetrievalOption, ReviewCard


@dataclass
class Built:
    cards: list[ReviewCard]
    items: list[RetrievalItem]
    competency: Competency


def make_cards(
    org: Organization,
    learner: Membership,
    n: int = 3,
    kind: str = RetrievalItem.Kind.MULTIPLE_CHOICE,
    due: dt.datetime | None = None,
    module_title: str = "Giving feedback",
) -> Built:
    """``n`` new cards (state Learning, step 0) for ``learner``, due at ``due`` (default: an
    hour ago), one item each; multiple-choice items get one right and two wrong options."""
    due = due or timezone.now() - dt.timedelta(hours=1)
    with tenant_context(org):
        framework, _ = Framework.objects.get_or_create(name="Leadership")
        competency, _ = Competency.objects.get_or_create(framework=framework, name="Feedback")
        module = Module.objects.create(
            title=module_title, minutes=10, status=Module.Status.PUBLISHED
        )
        cards, items = [], []
        for i in range(n):
            item = RetrievalItem.objects.create(
                module=module,
                competency=competency,
                kind=kind,
                prompt=f"Question {i + 1}: what makes feedback useful?",
                model_answer="Specific, timely and about behaviour.",
                position=i,
            )
            if kind == RetrievalItem.Kind.MULTIPLE_CHOICE:
                RetrievalOption.objects.create(
                    item=item, text="Specific and timely", is_correct=True, position=0,
                    feedback="Yes: specific feedback can be acted on.",
                )  # fmt: skip
                RetrievalOption.objects.create(
                    item=item, text="Saved for the annual review", position=1,
                    feedback="Months later the moment is gone.",
                )  # fmt: skip
                RetrievalOption.objects.create(
                    item=item, text="About personality", position=2, feedback="Not actionable."
                )
            items.append(item)
            cards.append(
                ReviewCard.objects.create(
                    learner=learner, item=item, state=1, step=0, due=due + dt.timedelta(seconds=i)
                )
            )
    return Built(cards=cards, items=items, competency=competency)


def options_of(org: Organization, item: RetrievalItem) -> tuple[int, int]:
    """(right option id, a wrong option id)."""
    with tenant_context(org):
        right = RetrievalOption.objects.get(item=item, is_correct=True).pk
        wrong = RetrievalOption.objects.filter(item=item, is_correct=False).first().pk
    return right, wrong
