"""Micro-mentoring matches: who could mentor a learner on a competency.

A suggested mentor offers the competency, is an active member other than the mentee, has not
already declined this mentee on it, and is *stronger* on it than the mentee on at least one
measure the two can be compared on:

* practice evidence (``Ability``): Elo ability ``theta`` or BKT mastery ``p_known``. A mentee with
  no practice yet is compared with the model's starting values (theta 0, p_known 0.2), which is
  what "no evidence" means in those models;
* the self-assessment diagnostic (``SelfAssessment.rating``), compared only when both gave one.

Ranking: mentors from another team first (the point of mentoring is a view from elsewhere), then
by the mastery gap, the ability gap and the self-rating gap, then by name.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from organizations.models import Membership
from pathways.models import Ability, MentoringOffer, MentoringRequest, SelfAssessment

# The values Ability rows start from: what the models assume before any evidence.
PRIOR_THETA = 0.0
PRIOR_P_KNOWN = 0.2


@dataclass(frozen=True)
class Strength:
    """What Pathwise knows about one person on one competency (None: no evidence)."""

    theta: float | None = None
    p_known: float | None = None
    rating: int | None = None
    answers: int = 0  # graded answers behind ``p_known`` (0: the model's assumption only)


@dataclass(frozen=True)
class MentorSuggestion:
    membership_id: int
    name: str
    team: str
    job_title: str
    cross_team: bool
    mentor: Strength
    mentee: Strength
    shares_estimate: bool = False  # the mentor chose to show it when offering

    @property
    def mastery_percent(self) -> int | None:
        """The mentor's knowledge estimate, only if they chose to share it and it rests on
        answers (never the model's starting assumption)."""
        if not self.shares_estimate or self.mentor.p_known is None or not self.mentor.answers:
            return None
        return round(100 * self.mentor.p_known)

    @property
    def mentor_answers(self) -> int:
        return self.mentor.answers

    @property
    def mentee_mastery_percent(self) -> int | None:
        """The viewer's own estimate; None while it rests on no answer."""
        if self.mentee.p_known is None or not self.mentee.answers:
            return None
        return round(100 * self.mentee.p_known)


def _gaps(mentor: Strength, mentee: Strength) -> tuple[float, float, float] | None:
    """(mastery gap, ability gap, rating gap); None when the mentor is not stronger at all."""
    p_gap = theta_gap = rating_gap = 0.0
    if mentor.p_known is not None:
        p_gap = mentor.p_known - (mentee.p_known if mentee.p_known is not None else PRIOR_P_KNOWN)
    if mentor.theta is not None:
        theta_gap = mentor.theta - (mentee.theta if mentee.theta is not None else PRIOR_THETA)
    if mentor.rating is not None and mentee.rating is not None:
        rating_gap = float(mentor.rating - mentee.rating)
    if p_gap > 0 or theta_gap > 0 or rating_gap > 0:
        return p_gap, theta_gap, rating_gap
    return None


def is_stronger(mentor: Strength, mentee: Strength) -> bool:
    """Whether ``mentor`` is ahead of ``mentee`` on at least one comparable measure."""
    return _gaps(mentor, mentee) is not None


def suggest_mentors(
    mentee: Membership, competency_ids: Iterable[int], limit: int | None = 3
) -> dict[int, list[MentorSuggestion]]:
    """Ranked mentor suggestions per competency id for ``mentee`` (4 queries in all, whatever
    the number of competencies, offers or people). Must run inside the tenant context."""
    wanted = sorted(set(competency_ids))
    result: dict[int, list[MentorSuggestion]] = {cid: [] for cid in wanted}
    if not wanted:
        return result
    offers = list(
        MentoringOffer.objects.filter(
            competency_id__in=wanted, mentor__is_active=True, mentor__is_learner=True
        )
        .exclude(mentor=mentee)
        .select_related("mentor__user", "mentor__team")
        .order_by("id")
    )
    if not offers:
        return result
    people = {o.mentor_id for o in offers} | {mentee.pk}
    abilities: dict[tuple[int, int], tuple[float, float, int]] = {
        (learner_id, cid): (theta, p_known, updates)
        for learner_id, cid, theta, p_known, updates in Ability.objects.filter(
            learner_id__in=people, competency_id__in=wanted
        ).values_list("learner_id", "competency_id", "theta", "p_known", "updates")
    }
    # The most recent self-rating per person and competency (several enrolments may ask).
    ratings: dict[tuple[int, int], int] = {}
    for learner_id, cid, rating in (
        SelfAssessment.objects.filter(enrollment__learner_id__in=people, competency_id__in=wanted)
        .order_by("created_at", "id")
        .values_list("enrollment__learner_id", "competency_id", "rating")
    ):
        ratings[(learner_id, cid)] = rating
    declined = set(
        MentoringRequest.objects.filter(
            mentee=mentee, competency_id__in=wanted, status=MentoringRequest.Status.DECLINED
        ).values_list("mentor_id", "competency_id")
    )

    def strength(person_id: int, cid: int) -> Strength:
        ability = abilities.get((person_id, cid))
        return Strength(
            theta=ability[0] if ability else None,
            p_known=ability[1] if ability else None,
            rating=ratings.get((person_id, cid)),
            answers=ability[2] if ability else 0,
        )

    ranked: dict[int, list[tuple[tuple, MentorSuggestion]]] = defaultdict(list)
    for offer in offers:
        cid = offer.competency_id
        if (offer.mentor_id, cid) in declined:
            continue
        mine, theirs = strength(mentee.pk, cid), strength(offer.mentor_id, cid)
        gaps = _gaps(theirs, mine)
        if gaps is None:
            continue
        mentor = offer.mentor
        cross_team = mentor.team_id is None or mentor.team_id != mentee.team_id
        name = mentor.user.display_name
        suggestion = MentorSuggestion(
            membership_id=mentor.pk,
            name=name,
            team=mentor.team.name if mentor.team is not None else "",
            job_title=mentor.job_title,
            cross_team=cross_team,
            mentor=theirs,
            mentee=mine,
            shares_estimate=offer.share_estimate,
        )
        key = (not cross_team, -gaps[0], -gaps[1], -gaps[2], name.lower(), mentor.pk)
        ranked[cid].append((key, suggestion))
    for cid, rows in ranked.items():
        rows.sort(key=lambda row: row[0])
        result[cid] = [s for _, s in rows][:limit] if limit else [s for _, s in rows]
    return result


def can_mentor(mentee: Membership, mentor_id: int, competency_id: int) -> bool:
    """Whether ``mentor_id`` is among the suggested mentors for ``mentee`` on the competency."""
    return any(
        s.membership_id == mentor_id
        for s in suggest_mentors(mentee, [competency_id], limit=None)[competency_id]
    )
