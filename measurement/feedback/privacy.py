"""GDPR hooks for 360 feedback (see ``organizations.gdpr``).

Export: the person's participations, the nominations they made (whom they asked, in which group,
and whether they answered), their self-ratings (scores and comments), the ratings they gave as a
rater, and their reports exactly as frozen (what the learner sees). Other raters' individual
answers about the person are not exported: the learner sees them only inside the report.

Erasure keeps every score: raw answers (the person's own and others' about them) and the frozen
reports' figures (``Report.data`` scores and ``CompetencyScore``) are facts cohort summaries,
follow-up change and reliability rest on. Text goes:

- comments about the person (raw rows, and the comment texts in their frozen reports);
- comments the person wrote as a rater (raw rows, and the same texts in the frozen reports of
  those they rated; anonymous there, but still their words);
- rater requests addressed to the person lose their name and address.

The e-mail addresses of the raters the person nominated are the raters' data, not the person's,
and stay with the requests (response rates count them).

Retention (``purge_expired``): raw answers and comments behind reports frozen before the cut-off
are deleted (the frozen report keeps its figures and comments). A baseline whose follow-up has
not closed yet is kept, as the follow-up's reliability is computed from its raw answers. Pulse
answers are not behind a report and are left alone.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from django.db.models import Q

from measurement.feedback.models import (
    Answer,
    Comment,
    Cycle,
    Participant,
    RaterRequest,
    Relationship,
    Report,
)
from organizations.gdpr import rows
from organizations.models import Membership


def _as_rater(m: Membership) -> Any:
    return RaterRequest.objects.filter(Q(rater=m) | Q(email__iexact=m.user.email))


def export_person(membership: Membership) -> dict[str, list[dict[str, Any]]]:
    m = membership
    participations = Participant.objects.filter(learner=m)
    self_requests = RaterRequest.objects.filter(
        participant__in=participations, relationship=Relationship.SELF
    )
    given = _as_rater(m).exclude(relationship=Relationship.SELF)
    return {
        "participations": rows(participations),
        "nominations": rows(
            RaterRequest.objects.filter(participant__in=participations, pulse__isnull=True).exclude(
                relationship=Relationship.SELF
            ),
            ["participant_id", "relationship", "name", "email", "status", "created_at"],
        ),  # fmt: skip
        "self_ratings": rows(
            Answer.objects.filter(request__in=self_requests),
            ["request_id", "item_id", "score", "created_at"],
        ),
        "self_rating_comments": rows(
            Comment.objects.filter(request__in=self_requests),
            ["request_id", "question", "text", "created_at"],
        ),
        "ratings_you_gave": rows(
            Answer.objects.filter(request__in=given),
            ["request_id", "item_id", "score", "created_at"],
        ),
        "comments_you_gave": rows(
            Comment.objects.filter(request__in=given),
            ["request_id", "question", "text", "created_at"],
        ),
        "reports": rows(
            Report.objects.filter(learner=m),
            ["cycle_id", "data", "computed_at", "read_at", "shared_with_coach"],
        ),
    }


def _remove_texts(data: dict[str, Any], texts: Counter[str] | None) -> dict[str, Any]:
    """The report's comment texts without ``texts`` (each removed as often as it was written);
    all of them when ``texts`` is None."""
    remaining = Counter(texts or ())
    for block in data.get("comments", []):
        kept = []
        for text in block.get("texts", []):
            if texts is None:
                continue
            if remaining[text] > 0:
                remaining[text] -= 1
                continue
            kept.append(text)
        block["texts"] = kept
    return data


def erase_person(membership: Membership, placeholder: dict[str, Any]) -> dict[str, int]:
    m = membership
    participations = Participant.objects.filter(learner=m)
    about_them = Comment.objects.filter(request__participant__in=participations).exclude(text="")
    written = list(
        _as_rater(m).exclude(participant__in=participations).values_list("pk", "participant_id")
    )
    written_ids = [pk for pk, _participant in written]
    # The comment in force per (request, question) is the one a report shows.
    by_participant: dict[int, Counter[str]] = {}
    latest: dict[tuple[int, int], str] = {}
    for request_id, question, text in (
        Comment.objects.filter(request_id__in=written_ids)
        .order_by("id")
        .values_list("request_id", "question", "text")
    ):
        latest[(request_id, question)] = text
    participant_of = dict(written)
    for (request_id, _question), text in latest.items():
        if text.strip():
            by_participant.setdefault(participant_of[request_id], Counter())[text.strip()] += 1
    reports = 0
    for report in Report.objects.filter(participant__in=participations):
        report.data = _remove_texts(report.data, None)
        report.save(update_fields=["data"])
        reports += 1
    for report in Report.objects.filter(participant_id__in=list(by_participant)):
        report.data = _remove_texts(report.data, by_participant[report.participant_id])
        report.save(update_fields=["data"])
    return {
        "360 comments about the person deleted": about_them.update(text=""),
        "360 comments by the person deleted": Comment.objects.filter(request_id__in=written_ids)
        .exclude(text="")
        .update(text=""),
        "360 reports (comments removed, scores kept)": reports,
        "360 rater requests made anonymous": _as_rater(m).update(
            email=placeholder["email"], name=""
        ),
    }


def purge_expired(org: Any, before: dt.datetime) -> dict[str, int]:
    frozen = Report.objects.filter(computed_at__lt=before).exclude(
        cycle__follow_ups__in=Cycle.objects.exclude(status=Cycle.Status.CLOSED)
    )
    requests = RaterRequest.objects.filter(
        participant__in=frozen.values("participant_id"), pulse__isnull=True
    )
    done = {
        "360 raw answers deleted": Answer.objects.filter(request__in=requests).delete()[0],
        "360 raw comments deleted": Comment.objects.filter(request__in=requests).delete()[0],
    }
    return {item: n for item, n in done.items() if n}  # only what was done
