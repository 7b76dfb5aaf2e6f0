"""Reads of 360 feedback: plain frozen dataclasses, a fixed number of queries each.

Confidentiality (ARCHITECTURE.md): one person's report is the learner's, and their coach's only
when shared; sponsors and admins see counts of invitations and answers, never scores of a person.
Other areas read frozen reports only, through ``competency_score_facts`` and
``baseline_others_means``.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse

from measurement.feedback.models import (
    NOMINATED_GROUPS,
    CompetencyScore,
    Cycle,
    CycleCounts,
    Item,
    Participant,
    Pulse,
    RaterRequest,
    Relationship,
    Report,
)
from measurement.feedback.reporting import GROUP_LABELS
from organizations.models import Membership
from organizations.raw_queries import counted_page, date_of, fetch_rows, tenant_id
from pathways.learning.next_actions import NextAction, Read
from pathways.models import CohortCoach

PROGRESS_PAGE_SIZE = 25

# --- contracts read by the impact dashboards -------------------------------------------------


@dataclass(frozen=True)
class CompetencyScoreFact:  # read from FROZEN reports only
    learner_id: int
    cycle_id: int
    cohort_id: int
    kind: str  # "baseline" | "follow_up"
    closed_on: dt.date
    competency_id: int
    self_score: float | None
    others_mean: float | None  # mean of the shown groups' means (None when no group is shown)
    others_n: int  # raters in shown groups
    change: float | None  # follow-up only: others_mean - baseline others_mean
    rci: float | None  # follow-up only
    reading: str  # "reliable improvement" | "reliable decline" | "within measurement error" | ""
    report_id: int | None = None
    baseline_cycle_id: int | None = None  # follow-up only: the baseline it is compared with


def _score_fact(r: CompetencyScore) -> CompetencyScoreFact:
    return CompetencyScoreFact(
        learner_id=r.learner_id,
        cycle_id=r.cycle_id,
        cohort_id=r.cycle.cohort_id,
        kind=r.cycle.kind,
        closed_on=r.cycle.closed_at.date() if r.cycle.closed_at else r.cycle.responses_close_on,
        competency_id=r.competency_id,
        self_score=r.self_score,
        others_mean=r.others_mean,
        others_n=r.others_n,
        change=r.change,
        rci=r.rci,
        reading=r.reading,
        report_id=r.report_id,
        baseline_cycle_id=r.cycle.baseline_id,
    )


def competency_score_facts(cohort_ids: Sequence[int]) -> list[CompetencyScoreFact]:
    """Every frozen competency score of the cohorts' closed cycles (one query)."""
    rows = (
        CompetencyScore.objects.filter(
            cycle__cohort_id__in=list(cohort_ids), cycle__status=Cycle.Status.CLOSED
        )
        .select_related("cycle")
        .order_by("cycle_id", "learner_id", "competency_id")
    )
    return [_score_fact(r) for r in rows]


def learner_score_facts(learner_ids: Sequence[int]) -> list[CompetencyScoreFact]:
    """Every frozen competency score of the learners, in closed cycles of any cohort, oldest
    cycle first (one query): what the individual growth roll-up reads."""
    rows = (
        CompetencyScore.objects.filter(
            learner_id__in=list(learner_ids), cycle__status=Cycle.Status.CLOSED
        )
        .select_related("cycle")
        .order_by("learner_id", "cycle__closed_at", "cycle_id", "competency_id")
    )
    return [_score_fact(r) for r in rows]


@dataclass(frozen=True)
class PulseScoreFact:  # closed pulses only, shown groups only
    learner_id: int
    baseline_cycle_id: int
    competency_id: int
    number: int
    sent_on: dt.date
    closes_on: dt.date
    items: int  # the competency's behaviours in this pulse
    others_mean: float | None  # mean of the shown groups' means (None: no group shown)
    others_n: int  # raters in shown groups who rated at least half of these behaviours
    baseline_items_mean: float | None  # the baseline's others' mean on the same behaviours


def pulse_score_facts(learner_ids: Sequence[int], today: dt.date, org: Any) -> list[PulseScoreFact]:
    """Per closed pulse of the learners (``closes_on`` before ``today``) and competency: the
    others' mean on the pulsed behaviours, by the report's rules (a group below the anonymity
    threshold is dropped, never folded in; a rater counts for a competency when they rated at
    least half of its pulsed behaviours), beside the baseline's others' mean on the same
    behaviours. A pulse still open is never read. Four queries."""
    from measurement import anonymity
    from measurement.feedback.models import Answer
    from measurement.feedback.reporting import OTHER_GROUPS, competency_rater_score

    pulses = list(
        Pulse.objects.filter(
            participant__learner_id__in=list(learner_ids), closes_on__lt=today
        ).select_related("participant")
    )
    if not pulses:
        return []
    item_ids = sorted({i for p in pulses for i in p.item_ids})
    competency_of = dict(Item.objects.filter(pk__in=item_ids).values_list("id", "competency_id"))
    baseline_items: dict[int, dict[int, float | None]] = {}
    for participant_id, data in Report.objects.filter(
        participant_id__in={p.participant_id for p in pulses}
    ).values_list("participant_id", "data"):
        baseline_items[participant_id] = {
            int(row["item_id"]): row.get("others_mean") for row in data.get("items", [])
        }
    groups: dict[int, dict[str, set[int]]] = defaultdict(lambda: defaultdict(set))
    scores: dict[int, dict[int, int | None]] = defaultdict(dict)
    for pulse_id, rel, request_id, item_id, score in (
        Answer.objects.filter(
            request__pulse__in=pulses, request__status=RaterRequest.Status.SUBMITTED
        )
        .order_by("id")
        .values_list("request__pulse_id", "request__relationship", "request_id", "item_id", "score")
    ):
        groups[pulse_id][rel].add(request_id)
        scores[request_id][item_id] = score  # the latest answer per request and item is in force
    facts = []
    for pulse in sorted(pulses, key=lambda p: (p.participant.learner_id, p.number)):
        by_competency: dict[int, list[int]] = defaultdict(list)
        for item_id in pulse.item_ids:
            if item_id in competency_of:
                by_competency[competency_of[item_id]].append(item_id)
        responded = {g: len(ids) for g, ids in groups[pulse.pk].items()}
        shown = [g for g in OTHER_GROUPS if g in anonymity.shown_groups(org, responded)]
        for competency_id, ids in sorted(by_competency.items()):
            means, n = [], 0
            for g in shown:
                values = [
                    v
                    for request_id in sorted(groups[pulse.pk][g])
                    if (v := competency_rater_score(scores[request_id], ids)) is not None
                ]
                if values:
                    means.append(sum(values) / len(values))
                    n += len(values)
            before = [
                float(v)
                for i in ids
                if (v := baseline_items.get(pulse.participant_id, {}).get(i)) is not None
            ]
            facts.append(
                PulseScoreFact(
                    learner_id=pulse.participant.learner_id,
                    baseline_cycle_id=pulse.participant.cycle_id,
                    competency_id=competency_id,
                    number=pulse.number,
                    sent_on=pulse.sent_on,
                    closes_on=pulse.closes_on,
                    items=len(ids),
                    others_mean=sum(means) / len(means) if means else None,
                    others_n=n,
                    baseline_items_mean=sum(before) / len(before) if before else None,
                )
            )
    return facts


def readable_report_ids(reader: Membership, report_ids: Sequence[int]) -> set[int]:
    """Which of these reports ``reader`` may read by ``can_read_report``'s rule: their own, or
    one the learner shared with the coach of its cohort (one query)."""
    ids = [i for i in report_ids if i is not None]
    if not ids:
        return set()
    coached = CohortCoach.objects.filter(membership=reader).values("cohort_id")
    return set(
        Report.objects.filter(pk__in=ids)
        .filter(Q(learner=reader) | Q(shared_with_coach=True, cycle__cohort_id__in=coached))
        .values_list("pk", flat=True)
    )


def baseline_others_means(learner_id: int) -> dict[int, float]:
    """Competency id -> others' mean in the learner's latest closed baseline (one query)."""
    latest = (
        CompetencyScore.objects.filter(
            learner_id=learner_id,
            cycle__kind=Cycle.Kind.BASELINE,
            cycle__status=Cycle.Status.CLOSED,
        )
        .order_by("-cycle__closed_at", "-cycle_id")
        .values_list("cycle_id", flat=True)[:1]
    )
    rows = CompetencyScore.objects.filter(
        learner_id=learner_id, cycle_id__in=latest, others_mean__isnull=False
    ).values_list("competency_id", "others_mean")
    return {cid: float(mean) for cid, mean in rows if mean is not None}


# --- the learner's next step ----------------------------------------------------------------


# The learner home's 360 facts, read on every visit: written once as SQL, no queryset to
# compile. The member's own participations and those of their reports whose nominations wait
# for approval, in a cycle still open or with a report not yet read. The member (by primary key)
# and the reports with nominations waiting (from the partial index of waiting nominations, then
# by primary key) are found in two branches, not one test on either: a prepared statement's
# generic plan then costs what a member's own plan costs (a manager index estimate of hundreds
# of reports had made PostgreSQL plan this statement again on every visit), and keeps it. Every
# base table filtered on the organisation.
# Written into the text, as the partial index's condition must match it literally.
_WAITING = Participant.Nominations.SUBMITTED.value
_NEXT_ACTIONS_SQL = f"""
SELECT p.id, p.learner_id, p.nominations, c.title, c.status, c.nominations_close_on,
    c.responses_close_on, u.full_name, u.email,
    (SELECT r.id FROM feedback_report r
        WHERE r.participant_id = p.id AND r.read_at IS NULL ORDER BY r.id LIMIT 1),
    (SELECT COUNT(*) FROM feedback_raterrequest q
        WHERE q.participant_id = p.id AND q.relationship = %s AND q.status = %s
            AND q.pulse_id IS NULL)
FROM (
    SELECT l.id, l.user_id FROM organizations_membership l
    WHERE l.organization_id = %s AND l.id = %s
    UNION ALL
    SELECT DISTINCT l.id, l.user_id FROM feedback_participant s
    JOIN organizations_membership l ON l.id = s.learner_id
    WHERE s.organization_id = %s AND s.nominations = '{_WAITING}' AND l.organization_id = %s
        AND l.manager_id = %s AND l.id <> %s
) l
JOIN feedback_participant p ON p.learner_id = l.id
JOIN feedback_cycle c ON c.id = p.cycle_id
JOIN organizations_user u ON u.id = l.user_id
WHERE p.organization_id = %s AND (p.learner_id = %s OR p.nominations = '{_WAITING}')
    AND (c.status <> %s OR EXISTS (
        SELECT 1 FROM feedback_report o WHERE o.participant_id = p.id AND o.read_at IS NULL
    ))
ORDER BY p.id
"""  # noqa: S608 - a choice's value from the model, no input


def next_actions_statement(membership: Membership, today: dt.date) -> tuple[str, list[Any]] | None:
    """The learner home's read of the member's 360 participations and their reports' waiting
    nominations (``next_actions_from`` words it), sent with the home's other reads."""
    if membership is None:  # no member, nothing to do
        return None
    return _NEXT_ACTIONS_SQL, [
        Relationship.SELF,
        RaterRequest.Status.INVITED,
        *(tenant_id(), membership.pk),  # the member
        *(tenant_id(), tenant_id(), membership.pk, membership.pk),  # their reports waiting
        *(tenant_id(), membership.pk),
        Cycle.Status.CLOSED,
    ]


def next_actions_for(membership: Membership, org_slug: str, today: dt.date) -> list[NextAction]:
    """Nominate raters, rate yourself, approve a report's raters, read a new report (one
    query)."""
    return Read(next_actions_statement, next_actions_from).alone(membership, org_slug, today)


def next_actions_from(
    rows: list[tuple[Any, ...]], membership: Membership, org_slug: str, today: dt.date
) -> list[NextAction]:
    """The actions of ``next_actions_statement``'s rows (no query)."""
    actions: list[NextAction] = []
    for (
        pk,
        learner_id,
        nominations,
        title,
        status,
        nominations_close_on,
        responses_close_on,
        full_name,
        email,
        unread_report,
        self_pending,
    ) in rows:
        if learner_id != membership.pk:
            name = full_name or email.split("@")[0]  # User.display_name
            actions.append(
                NextAction(
                    "approve_raters",
                    f"Approve {name}'s raters",
                    "Their invitations go out once you approve the list.",
                    reverse("feedback_participant", args=[org_slug, pk]),
                    date_of(nominations_close_on),
                )
            )
            continue
        if unread_report:
            actions.append(
                NextAction(
                    "read_report",
                    f"Read your 360 report: {title}",
                    "It is ready, and only you can see it.",
                    reverse("feedback_report", args=[org_slug, unread_report]),
                    today,
                )
            )
        if status == Cycle.Status.CLOSED:
            continue
        if nominations == Participant.Nominations.DRAFT:
            actions.append(
                NextAction(
                    "nominate_raters",
                    f"Choose your raters for {title}",
                    "Your manager, peers and others rate you on the same statements you rate "
                    "yourself on.",
                    reverse("feedback_participant", args=[org_slug, pk]),
                    date_of(nominations_close_on),
                )
            )
        if self_pending:
            actions.append(
                NextAction(
                    "rate_yourself",
                    f"Rate yourself for {title}",
                    "About 10 minutes; your report compares your view with others'.",
                    reverse("feedback_self", args=[org_slug, pk]),
                    date_of(responses_close_on),
                )
            )
    return actions


# --- admin ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CycleRow:
    id: int
    title: str
    kind: str
    kind_label: str
    status: str
    status_label: str
    cohort: str
    learners: int
    invited: int
    responded: int
    responses_close_on: dt.date


CYCLES_PER_PAGE = 25


def _counted_cycles() -> QuerySet[Cycle]:
    """Cycles newest first with their counts (no query yet). On PostgreSQL the counts are each
    cycle's ``CycleCounts`` row, kept by triggers in the transaction of every change, so a
    cycle costs one index look-up whatever its number of learners and raters; elsewhere they
    are counted here."""
    cycles = Cycle.objects.select_related("cohort").order_by("-created_at", "-id")
    if connection.vendor != "postgresql":
        return cycles.annotate(
            learners=Count("participants", distinct=True),
            invited=Count(
                "participants__requests",
                filter=_COUNTED & ~Q(participants__requests__status=RaterRequest.Status.NOMINATED),
                distinct=True,
            ),
            responded=Count(
                "participants__requests",
                filter=_COUNTED & Q(participants__requests__status=RaterRequest.Status.SUBMITTED),
                distinct=True,
            ),
        )
    counts = CycleCounts.objects.filter(cycle=OuterRef("pk"))
    return cycles.annotate(
        learners=Coalesce(Subquery(counts.values("learners")[:1]), 0),
        invited=Coalesce(Subquery(counts.values("invited")[:1]), 0),
        responded=Coalesce(Subquery(counts.values("responded")[:1]), 0),
    )


_COUNTED = Q(participants__requests__pulse__isnull=True) & ~Q(
    participants__requests__relationship=Relationship.SELF
)


def _cycle_row(c: Any) -> CycleRow:
    return CycleRow(
        c.pk,
        c.title,
        c.kind,
        c.get_kind_display(),
        c.status,
        c.get_status_display(),
        c.cohort.name,
        c.learners,
        c.invited,
        c.responded,
        c.responses_close_on,
    )


def cycle_list(cycles_in: Sequence[Cycle] | None = None) -> list[CycleRow]:
    """Cycles (all, or the given ones), newest first, with their learners and raters invited
    and answered (1 query)."""
    cycles = _counted_cycles()
    if cycles_in is not None:
        cycles = cycles.filter(pk__in=[c.pk for c in cycles_in])
    return [_cycle_row(c) for c in cycles]


# A page of cycles, newest first, with the number of cycles on every row (one row of NULLs
# past the end): the counts are each cycle's ``CycleCounts`` row (PostgreSQL's triggers).
_CYCLE_PAGE_SQL = """
SELECT n.n, p.id, p.title, p.kind, p.status, co.name, p.responses_close_on,
       COALESCE(cc.learners, 0), COALESCE(cc.invited, 0), COALESCE(cc.responded, 0)
FROM (SELECT COUNT(*) AS n FROM feedback_cycle WHERE organization_id = %s) n
LEFT JOIN (
    SELECT c.id, c.title, c.kind, c.status, c.cohort_id, c.responses_close_on, c.created_at
    FROM feedback_cycle c WHERE c.organization_id = %s
    ORDER BY c.created_at DESC, c.id DESC
    LIMIT %s OFFSET %s
) p ON 1 = 1
LEFT JOIN pathways_cohort co ON co.id = p.cohort_id
LEFT JOIN feedback_cyclecounts cc ON cc.organization_id = %s AND cc.cycle_id = p.id
ORDER BY p.created_at DESC, p.id DESC
"""


def cycle_page(page_number: Any = 1) -> tuple[Page[Any], list[CycleRow]]:
    """A page of cycles, newest first, with their counts: on PostgreSQL one statement as SQL
    text (a second only for a page number past the end, as ``counted_page`` reads it);
    elsewhere 2 queries (the count of cycles and the page, counting the requests)."""
    if connection.vendor != "postgresql":
        page = Paginator(_counted_cycles(), CYCLES_PER_PAGE).get_page(page_number)
        return page, [_cycle_row(c) for c in page.object_list]
    org = tenant_id()
    kinds, statuses = dict(Cycle.Kind.choices), dict(Cycle.Status.choices)

    def read(offset: int, limit: int) -> tuple[list[CycleRow], int]:
        found = fetch_rows(_CYCLE_PAGE_SQL, [org, org, limit, offset, org])
        rows = [
            CycleRow(
                pk,
                title,
                kind,
                str(kinds.get(kind, kind)),
                status,
                str(statuses.get(status, status)),
                cohort,
                learners,
                invited,
                responded,
                close_on,
            )
            for _n, pk, title, kind, status, cohort, close_on, learners, invited, responded in found
            if pk is not None
        ]
        return rows, found[0][0]

    page = counted_page(read, page_number, CYCLES_PER_PAGE)
    return page, cast(list[CycleRow], page.object_list)


@dataclass(frozen=True)
class GroupProgress:
    group: str
    label: str
    nominated: int
    invited: int
    responded: int
    declined: int


@dataclass(frozen=True)
class LearnerProgress:
    participant_id: int
    name: str
    nominations: str
    nominations_label: str
    self_done: bool
    groups: list[GroupProgress]
    to_remind: int


@dataclass(frozen=True)
class CycleProgress:
    cycle: Cycle
    page: Page[Any]
    rows: list[LearnerProgress]
    learners: int
    invited: int
    responded: int
    to_remind: int
    reports: int
    q: str


def cycle_progress(cycle: Cycle, page_number: int | str | None, q: str = "") -> CycleProgress:
    """Per learner (paginated, searchable) and rater group: invited / responded counts
    (five queries whatever the number of learners)."""
    participants = cycle.participants.select_related("learner__user").order_by(
        "learner__user__full_name", "id"
    )
    if q:
        participants = participants.filter(
            Q(learner__user__full_name__icontains=q) | Q(learner__user__email__icontains=q)
        )
    page = Paginator(participants, PROGRESS_PAGE_SIZE).get_page(page_number)
    ids = [p.pk for p in page.object_list]
    per: dict[tuple[int, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for pid, rel, status, n in (
        RaterRequest.objects.filter(participant_id__in=ids, pulse__isnull=True)
        .values_list("participant_id", "relationship", "status")
        .annotate(n=Count("id"))
    ):
        per[(pid, rel)][status] += n
    rows = []
    for p in page.object_list:
        groups = []
        remind = 0
        for g in NOMINATED_GROUPS:
            c = per[(p.pk, g)]
            invited = c["invited"] + c["submitted"] + c["declined"]
            groups.append(
                GroupProgress(
                    g,
                    GROUP_LABELS[g],
                    invited + c["nominated"],
                    invited,
                    c["submitted"],
                    c["declined"],
                )
            )
            remind += c["invited"]
        rows.append(
            LearnerProgress(
                p.pk,
                p.learner.user.display_name,
                p.nominations,
                p.get_nominations_display(),
                per[(p.pk, Relationship.SELF)]["submitted"] > 0,
                groups,
                remind,
            )
        )
    totals = (
        RaterRequest.objects.filter(participant__cycle=cycle, pulse__isnull=True)
        .exclude(relationship=Relationship.SELF)
        .aggregate(
            invited=Count("id", filter=~Q(status=RaterRequest.Status.NOMINATED)),
            responded=Count("id", filter=Q(status=RaterRequest.Status.SUBMITTED)),
            to_remind=Count("id", filter=Q(status=RaterRequest.Status.INVITED)),
        )
    )
    return CycleProgress(
        cycle=cycle,
        page=page,
        rows=rows,
        learners=page.paginator.count,
        invited=totals["invited"],
        responded=totals["responded"],
        to_remind=totals["to_remind"],
        reports=Report.objects.filter(cycle=cycle).count(),
        q=q,
    )


# --- the learner -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Nominee:
    id: int
    relationship: str
    label: str
    name: str
    email: str
    removable: bool


@dataclass(frozen=True)
class GroupCount:
    group: str
    label: str
    nominated: int
    responded: int
    minimum: int
    anonymous: bool


@dataclass(frozen=True)
class ParticipantView:
    participant: Participant
    nominees: list[Nominee]
    counts: list[GroupCount]
    self_status: str
    problems: list[str] = field(default_factory=list)


def participant_view(participant: Participant) -> ParticipantView:
    """The learner's list and per-group answer counts: how many answered, never who
    (one query)."""
    from measurement.feedback.services import nomination_problems_from_counts

    requests = list(participant.requests.filter(pulse__isnull=True).order_by("relationship", "id"))
    nominees = []
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    self_status = ""
    for r in requests:
        if r.relationship == Relationship.SELF:
            self_status = r.status
            continue
        counts[r.relationship][0] += 1
        if r.status == RaterRequest.Status.SUBMITTED:
            counts[r.relationship][1] += 1
        nominees.append(
            Nominee(
                r.pk,
                r.relationship,
                GROUP_LABELS[r.relationship],
                r.name,
                r.email,
                r.status == RaterRequest.Status.NOMINATED
                and participant.nominations == Participant.Nominations.DRAFT,
            )
        )
    cycle = participant.cycle
    return ParticipantView(
        participant,
        nominees,
        [
            GroupCount(
                g,
                GROUP_LABELS[g],
                counts[g][0],
                counts[g][1],
                1 if g == Relationship.MANAGER else cycle.min_per_group,
                g != Relationship.MANAGER,
            )
            for g in NOMINATED_GROUPS
        ],
        self_status,
        nomination_problems_from_counts({g: c[0] for g, c in counts.items()}, cycle.min_per_group),
    )


@dataclass(frozen=True)
class MyCycle:
    participant_id: int
    title: str
    kind_label: str
    status: str
    status_label: str
    nominations: str
    nominations_label: str
    responses_close_on: dt.date
    report_id: int | None


@dataclass(frozen=True)
class FeedbackHome:
    cycles: list[MyCycle]
    approvals: list[tuple[int, str, str]]  # participant id, learner name, cycle title
    shared: list[tuple[int, str, str]]  # report id, learner name, cycle title (for coaches)


def feedback_home(membership: Membership) -> FeedbackHome:
    """The member's own cycles, lists waiting for their approval and reports shared with them
    as a coach (four queries)."""
    reports = dict(Report.objects.filter(learner=membership).values_list("participant_id", "id"))
    mine = Participant.objects.filter(learner=membership).select_related("cycle")
    cycles = [
        MyCycle(
            p.pk,
            p.cycle.title,
            p.cycle.get_kind_display(),
            p.cycle.status,
            p.cycle.get_status_display(),
            p.nominations,
            p.get_nominations_display(),
            p.cycle.responses_close_on,
            reports.get(p.pk),
        )
        for p in mine.order_by("-cycle__created_at")
    ]
    approvals = [
        (p.pk, p.learner.user.display_name, p.cycle.title)
        for p in Participant.objects.filter(
            learner__manager=membership, nominations=Participant.Nominations.SUBMITTED
        ).select_related("learner__user", "cycle")
    ]
    coached = CohortCoach.objects.filter(membership=membership).values("cohort_id")
    shared = [
        (r.pk, r.learner.user.display_name, r.cycle.title)
        for r in Report.objects.filter(shared_with_coach=True, cycle__cohort_id__in=coached)
        .select_related("learner__user", "cycle")
        .order_by("-computed_at")[:50]
    ]
    return FeedbackHome(cycles, approvals, shared)


def can_read_report(report: Report, membership: Membership) -> bool:
    """The learner; their cohort's coach once the learner shared it. Nobody else (one query)."""
    if report.learner_id == membership.pk:
        return True
    return (
        report.shared_with_coach
        and CohortCoach.objects.filter(
            cohort_id=report.cycle.cohort_id, membership=membership
        ).exists()
    )


@dataclass(frozen=True)
class RatingForm:
    request: RaterRequest
    learner_name: str
    org_name: str
    title: str
    anchors: list[str]
    competencies: list[tuple[str, list[Item]]]
    scores: dict[int, int | None]
    comments: dict[int, str]
    questions: list[tuple[int, str]]
    answered: int
    total: int
    attributed: bool
    closes_on: dt.date


def rating_form(request: RaterRequest) -> RatingForm:
    """The survey one request answers, with the answers saved so far (four queries)."""
    from measurement.feedback.services import current_answers, window_closes_on

    cycle = request.participant.cycle
    items = Item.objects.filter(cycle=cycle)
    if request.pulse_id is not None:
        items = items.filter(pk__in=request.pulse.item_ids)  # type: ignore[union-attr]
    grouped: dict[str, list[Item]] = {}
    for item in items.order_by("position", "id"):
        grouped.setdefault(item.competency_name, []).append(item)
    scores, comments = current_answers(request)
    total = sum(len(v) for v in grouped.values())
    questions = (
        []
        if request.pulse_id
        else [(n, q) for n, q in ((1, cycle.question_1), (2, cycle.question_2)) if q]
    )
    return RatingForm(
        request=request,
        learner_name=request.participant.learner.user.display_name,
        org_name=request.organization.name,
        title=cycle.title,
        anchors=list(cycle.anchors),
        competencies=list(grouped.items()),
        scores=scores,
        comments=comments,
        questions=questions,
        answered=len(scores),
        total=total,
        attributed=request.relationship in (Relationship.SELF, Relationship.MANAGER),
        closes_on=window_closes_on(request),
    )


@dataclass(frozen=True)
class PulseTrend:
    item_id: int
    text: str
    points: list[tuple[int, dt.date, float | None, int]]  # number, sent on, mean, n


def pulse_trends(participant: Participant, today: dt.date, org: Any) -> list[PulseTrend]:
    """Per indicator, the closed pulses' means (shown groups only; a pulse still open is never
    shown, so one more answer cannot be read off by comparing two views). Three queries."""
    from measurement import anonymity

    pulses = list(Pulse.objects.filter(participant=participant, closes_on__lt=today))
    if not pulses:
        return []
    item_ids = sorted({i for p in pulses for i in p.item_ids})
    texts = dict(Item.objects.filter(pk__in=item_ids).values_list("id", "text"))
    by_pulse: dict[int, dict[str, dict[int, list[int]]]] = defaultdict(
        lambda: defaultdict(lambda: defaultdict(list))
    )
    responded: dict[int, dict[str, set[int]]] = defaultdict(lambda: defaultdict(set))
    from measurement.feedback.models import Answer

    for pulse_id, rel, req_id, item_id, score in (
        Answer.objects.filter(
            request__pulse__in=pulses, request__status=RaterRequest.Status.SUBMITTED
        )
        .order_by("id")
        .values_list("request__pulse_id", "request__relationship", "request_id", "item_id", "score")
    ):
        responded[pulse_id][rel].add(req_id)
        if score is not None:
            by_pulse[pulse_id][rel][item_id].append(score)
    trends = []
    for item_id in item_ids:
        points = []
        for p in sorted(pulses, key=lambda p: p.number):
            if item_id not in p.item_ids:
                continue
            counts = {g: len(ids) for g, ids in responded[p.pk].items()}
            shown = anonymity.shown_groups(org, counts)
            means = [sum(v) / len(v) for g in shown if (v := by_pulse[p.pk][g].get(item_id))]
            n = sum(counts[g] for g in shown)
            points.append((p.number, p.sent_on, sum(means) / len(means) if means else None, n))
        trends.append(PulseTrend(item_id, texts.get(item_id, ""), points))
    return trends


@dataclass(frozen=True)
class SummaryCell:
    team: str
    mean: float | None  # None = hidden (fewer than 5 people, or its complement)
    people: int | None


@dataclass(frozen=True)
class SummaryRow:
    competency: str
    mean: float | None
    people: int | None
    teams: list[SummaryCell]


def cohort_summary(cycle: Cycle) -> list[SummaryRow]:
    """Others' mean per competency across the cycle's learners, overall and per team, from the
    frozen reports. Every cell (cycle × competency × team, the combination shown) needs
    ``MIN_PEOPLE_PER_CELL`` learners; a lone hidden team is hidden with a complement so that
    it cannot be recovered from the total (two queries)."""
    from django.db.models import Avg

    from measurement import anonymity

    scored = CompetencyScore.objects.filter(cycle=cycle, others_mean__isnull=False)
    totals = {
        r["competency_id"]: r
        for r in scored.values("competency_id")
        .annotate(people=Count("learner_id", distinct=True), mean=Avg("others_mean"))
        .order_by()
    }
    per_team: dict[int, dict[str, tuple[int, float]]] = defaultdict(dict)
    for r in (
        scored.values("competency_id", "learner__team__name")
        .annotate(people=Count("learner_id", distinct=True), mean=Avg("others_mean"))
        .order_by()
    ):
        per_team[r["competency_id"]][r["learner__team__name"] or "No team"] = (
            r["people"],
            r["mean"],
        )
    names = dict(cycle.items.values_list("competency_id", "competency_name").distinct())
    rows = []
    for cid, name in sorted(names.items(), key=lambda kv: kv[1]):
        total = totals.get(cid)
        total_shown = bool(total) and anonymity.cell_is_shown(total["people"])  # type: ignore[index]
        teams = per_team.get(cid, {})
        hidden = anonymity.suppressed_cells(
            {t: people for t, (people, _m) in teams.items()}, total_is_shown=total_shown
        )
        rows.append(
            SummaryRow(
                name,
                total["mean"] if total and total_shown else None,
                total["people"] if total and total_shown else None,
                [
                    SummaryCell(t, None, None) if t in hidden else SummaryCell(t, m, p)
                    for t, (p, m) in sorted(teams.items())
                ],
            )
        )
    return rows


def baseline_others_means_for(learner_ids: Sequence[int]) -> dict[int, dict[int, float]]:
    """Learner id -> (competency id -> others' mean) of each learner's latest closed baseline,
    for the pathway's personalisation rules (one query)."""
    rows = (
        CompetencyScore.objects.filter(
            learner_id__in=list(learner_ids),
            cycle__kind=Cycle.Kind.BASELINE,
            cycle__status=Cycle.Status.CLOSED,
            others_mean__isnull=False,
        )
        .order_by("learner_id", "cycle__closed_at", "cycle_id")
        .values_list("learner_id", "cycle_id", "competency_id", "others_mean")
    )
    latest: dict[int, int] = {}
    means: dict[int, dict[int, float]] = defaultdict(dict)
    for learner_id, cycle_id, competency_id, mean in rows:
        if latest.get(learner_id) != cycle_id:  # a later baseline replaces an earlier one
            latest[learner_id] = cycle_id
            means[learner_id] = {}
        if mean is not None:
            means[learner_id][competency_id] = float(mean)
    return dict(means)


def progress_export(cycle: Cycle) -> tuple[list[str], list[list[Any]]]:
    """Every learner's counts per rater group, for a CSV/XLSX download (two queries): the same
    counts as the progress page, never a score or a rater's name."""
    per: dict[tuple[int, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for pid, rel, status, n in (
        RaterRequest.objects.filter(participant__cycle=cycle, pulse__isnull=True)
        .values_list("participant_id", "relationship", "status")
        .annotate(n=Count("id"))
        .order_by()
    ):
        per[(pid, rel)][status] += n
    headers = ["Learner", "E-mail", "List", "Self-rating done"]
    for g in NOMINATED_GROUPS:
        headers += [f"{GROUP_LABELS[g]} invited", f"{GROUP_LABELS[g]} answered"]
    rows = []
    for p in cycle.participants.select_related("learner__user").order_by(
        "learner__user__full_name", "id"
    ):
        row: list[Any] = [
            p.learner.user.display_name,
            p.learner.user.email,
            p.get_nominations_display(),
            per[(p.pk, Relationship.SELF)]["submitted"] > 0,
        ]
        for g in NOMINATED_GROUPS:
            c = per[(p.pk, g)]
            row += [c["invited"] + c["submitted"] + c["declined"], c["submitted"]]
        rows.append(row)
    return headers, rows


CYCLE_EXPORT_HEADERS = [
    "Cycle",
    "Kind",
    "Status",
    "Cohort",
    "Learners",
    "Raters invited",
    "Raters answered",
    "Answers close",
]


def cycle_export_rows(rows: list[CycleRow]) -> list[list[Any]]:
    """The cycle list (``cycle_list``) as export rows (no queries)."""
    return [
        [
            c.title,
            c.kind_label,
            c.status_label,
            c.cohort,
            c.learners,
            c.invited,
            c.responded,
            c.responses_close_on,
        ]
        for c in rows
    ]


def summary_export(summary: list[SummaryRow]) -> tuple[list[str], list[list[Any]]]:
    """The cohort picture (``cohort_summary``) a cell a row: the whole cohort, then each team.
    A hidden cell keeps neither mean nor count, and says so (no queries)."""
    from measurement.anonymity import MIN_PEOPLE_PER_CELL

    headers = ["Competency", "Learners of", "Others' mean (1-5)", "Learners (n)", "Note"]
    hidden = f"hidden: fewer than {MIN_PEOPLE_PER_CELL} learners"
    rows: list[list[Any]] = []
    for row in summary:
        cells = [("Whole cohort", row.mean, row.people)] + [
            (f"Team {c.team}", c.mean, c.people) for c in row.teams
        ]
        for who, mean, people in cells:
            if mean is None:
                rows.append([row.competency, who, None, None, hidden])
            else:
                rows.append([row.competency, who, round(mean, 2), people, ""])
    return headers, rows


def counts_export(view: ParticipantView) -> tuple[list[str], list[list[Any]]]:
    """A participant's answers so far per rater group: how many, never who (no queries)."""
    headers = ["Group", "Nominated", "Answered", "Minimum"]
    return headers, [
        [g.label, g.nominated, g.responded, g.minimum if g.anonymous else 1] for g in view.counts
    ]


def report_export(data: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    """The frozen report's table per competency, as its readers see it: groups hidden for
    anonymity were dropped when the report was computed and stay out (no queries)."""
    headers = [
        "Competency",
        "Self",
        "Others (mean of shown groups)",
        "Others (n)",
        "Gap",
        "Reading",
        "By group",
        "All others",
        "All others (n)",
    ]
    follow_up = bool(data.get("is_follow_up"))
    if follow_up:
        headers += ["Change since baseline", "RCI", "Reading of the change"]
    rows: list[list[Any]] = []
    for c in data.get("competencies", []):
        groups = "; ".join(
            f"{s['label']} {s['mean']:.2f} (n={s['n']})"
            for g, s in c.get("groups", {}).items()
            if g != "self" and s.get("mean") is not None
        )
        all_others = c.get("all_others") or {}
        row = [
            c.get("name", ""),
            c.get("self"),
            c.get("others_mean"),
            c.get("others_n") if c.get("others_mean") is not None else None,
            c.get("gap"),
            c.get("gap_label", "") if c.get("gap") is not None else "",
            groups,
            all_others.get("mean"),
            all_others.get("n"),
        ]
        if follow_up:
            row += [c.get("change"), c.get("rci"), c.get("reading", "")]
        rows.append(row)
    return headers, rows


def trends_export(trends: list[PulseTrend]) -> tuple[list[str], list[list[Any]]]:
    """The learner's pulse means since the baseline, a pulse a row (closed pulses, shown
    groups only, as on the report; no queries)."""
    headers = ["Statement", "Pulse", "Sent", "Mean (1-5)", "Raters (n)"]
    return headers, [
        [t.text, number, sent, None, None]
        if mean is None
        else [t.text, number, sent, round(mean, 2), n]
        for t in trends
        for number, sent, mean, n in t.points
    ]
