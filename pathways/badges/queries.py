"""Reads for the badge pages and API."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.core.paginator import Page, Paginator
from django.utils import timezone
from django.utils.translation import gettext

from organizations.models import Membership
from pathways.models import BadgeAssertion

BADGES_PER_PAGE = 50


@dataclass(frozen=True)
class BadgeRow:
    id: int
    uid: str
    pathway_id: int
    pathway: str
    learner: str
    issued_on: dt.datetime
    revoked_at: dt.datetime | None
    revocation_reason: str


def badge_row(b: BadgeAssertion) -> BadgeRow:
    """``b`` with its pathway and learner's user selected."""
    return BadgeRow(
        id=b.pk,
        uid=str(b.uid),
        pathway_id=b.pathway_id,
        pathway=b.pathway.name,
        learner=str(b.learner.user),
        issued_on=b.issued_on,
        revoked_at=b.revoked_at,
        revocation_reason=b.revocation_reason,
    )


def _badges() -> Any:
    return BadgeAssertion.objects.select_related("pathway", "learner__user")


def learner_badges(learner: Membership) -> list[BadgeRow]:
    """The learner's badges, newest first (1 query; a learner has a handful)."""
    return [badge_row(b) for b in _badges().filter(learner=learner)]


def issued_badges_page(page_number: Any = 1) -> tuple[Page, list[BadgeRow]]:
    """One page of every badge issued in the organisation, newest first (2 queries)."""
    page = Paginator(_badges().order_by("-issued_on", "-id"), BADGES_PER_PAGE).get_page(page_number)
    return page, [badge_row(b) for b in page.object_list]


BADGE_EXPORT_HEADERS = (
    "Learner",
    "E-mail",
    "Pathway",
    "Issued",
    "Status",
    "Revoked",
    "Reason for revoking",
    "Assertion",
)


def issued_badges_export_rows(assertion_base: str) -> Iterator[tuple[Any, ...]]:
    """Every badge issued in the organisation, newest first, as export rows
    (``BADGE_EXPORT_HEADERS``; times in the organisation's time zone), streamed from one query.
    ``assertion_base`` is the public address the badge's uid is appended to."""
    for b in _badges().order_by("-issued_on", "-id").iterator(chunk_size=2000):
        yield (
            str(b.learner.user),
            b.learner.user.email,
            b.pathway.name,
            timezone.localtime(b.issued_on),
            gettext("Revoked") if b.revoked_at else gettext("Valid"),
            timezone.localtime(b.revoked_at) if b.revoked_at else None,
            b.revocation_reason,
            f"{assertion_base}{b.uid}",
        )
