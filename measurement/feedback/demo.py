"""Demo 360 feedback: a closed baseline with frozen reports and a running follow-up per cohort.

Must run inside ``tenant_context(people.org)``; idempotent (a second run finds the baseline and
changes nothing). Raters are colleagues from the demo people plus a few external addresses;
the demo learner's direct reports are too few to show, so their report shows a hidden group.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from competencies.models import Competency
from measurement.feedback import reporting, services
from measurement.feedback.models import (
    Answer,
    Comment,
    CompetencyScore,
    Cycle,
    Item,
    Participant,
    Pulse,
    RaterRequest,
    Relationship,
    Report,
)
from organizations.demo import DemoPeople, refresh_statistics
from organizations.models import Membership
from organizations.outbox.models import OutboxEntry
from pathways.models import Cohort, Enrollment

BASELINE_TITLE = "Baseline 360"
FOLLOW_UP_TITLE = "Follow-up 360"
# The baseline closed this long ago; the pulse schedule has sent one pulse since.
BASELINE_AGE = dt.timedelta(weeks=8)
COMMENTS = [
    "Listens before deciding and explains the why.",
    "Gives clear priorities when things change.",
    "Could delegate more of the detail.",
    "Makes time for one-to-ones even in busy weeks.",
    "Sometimes jumps in with the answer too quickly.",
    "Brings people from other teams into decisions.",
]


def seed_feedback(people: DemoPeople, cohort: Cohort) -> None:
    if Cycle.objects.filter(cohort=cohort, title=BASELINE_TITLE).exists():
        return
    started = timezone.now()
    rng = random.Random(f"feedback-{people.org.slug}")
    today = timezone.localdate()
    competency_ids = list(
        Competency.objects.filter(indicators__isnull=False)
        .distinct()
        .order_by("position", "name")
        .values_list("pk", flat=True)[:4]
    )
    if not competency_ids:
        return
    spec = services.CycleSpec(
        title=BASELINE_TITLE,
        kind=Cycle.Kind.BASELINE,
        cohort_id=cohort.pk,
        nominations_close_on=today,
        responses_close_on=today + dt.timedelta(days=14),
        competency_ids=competency_ids,
        question_1="What should this person keep doing?",
        question_2="What one thing would make them more effective?",
        pulse_every_weeks=6,
    )
    baseline = launch(people, spec, today)
    skill = {m.pk: rng.uniform(2.4, 3.8) for m in people.learners}
    _run(people, baseline, rng, skill, everyone_answers=True)
    refresh_statistics()  # the bulk-inserted answers, for the reads that follow
    close_and_freeze(people, baseline)
    _age(baseline, BASELINE_AGE)
    _send_pulses_in_bulk(people, baseline, today)
    services.do_send_due_pulses(today)  # the hand-made participants' pulses
    _answer_pulses(people, baseline, rng, skill)

    follow_spec = services.CycleSpec(
        title=FOLLOW_UP_TITLE,
        kind=Cycle.Kind.FOLLOW_UP,
        cohort_id=cohort.pk,
        nominations_close_on=today + dt.timedelta(days=7),
        responses_close_on=today + dt.timedelta(days=21),
        baseline_id=baseline.pk,
    )
    follow_up = launch(people, follow_spec, today)
    grown = {pk: s + rng.uniform(0.0, 0.7) for pk, s in skill.items()}
    _run(people, follow_up, rng, grown, everyone_answers=False)
    # Demo data sends no e-mail: drop the follow-ups the seed recorded.
    OutboxEntry.objects.filter(
        handler__startswith="measurement.feedback.", created_at__gte=started
    ).delete()


def launch(people: DemoPeople, spec: services.CycleSpec, today: dt.date) -> Cycle:
    """``do_launch_cycle`` for the cohort: the cycle, its items and the hand-made learners'
    participants through the service; every other active learner's participant, self request
    (invited) and manager request (nominated) bulk-inserted in the same transaction, as the
    service writes them (without its "nominate your raters" e-mail, which the demo drops)."""
    active = Enrollment.objects.filter(cohort_id=spec.cohort_id, status=Enrollment.Status.ACTIVE)
    bulk = list(
        active.exclude(learner_id__in=people.hand_made)
        .select_related("learner__user", "learner__manager__user")
        .order_by("learner_id")
    )
    with transaction.atomic():
        # The service launches for the hand-made learners only: the others' enrolments are
        # set aside for the length of this transaction, which nobody else sees.
        Enrollment.objects.filter(pk__in=[e.pk for e in bulk]).update(
            status=Enrollment.Status.WITHDRAWN
        )
        cycle = services.do_launch_cycle(people.admin, spec, today)
        Enrollment.objects.filter(pk__in=[e.pk for e in bulk]).update(
            status=Enrollment.Status.ACTIVE
        )
        for start in range(0, len(bulk), BULK_PARTICIPANTS):
            batch = [e.learner for e in bulk[start : start + BULK_PARTICIPANTS]]
            participants = Participant.objects.bulk_create(
                [Participant(organization_id=people.org.pk, cycle=cycle, learner=m) for m in batch]
            )
            now = timezone.now()
            requests = []
            for participant, learner in zip(participants, batch, strict=True):
                requests.append(
                    RaterRequest(
                        organization_id=people.org.pk,
                        participant=participant,
                        relationship=Relationship.SELF,
                        rater=learner,
                        email=learner.user.email,
                        name=learner.user.display_name,
                        status=RaterRequest.Status.INVITED,
                        invited_at=now,
                        created_at=now,
                    )
                )
                manager = learner.manager
                if manager is not None and manager.is_active:
                    requests.append(
                        RaterRequest(
                            organization_id=people.org.pk,
                            participant=participant,
                            relationship=Relationship.MANAGER,
                            rater=manager,
                            email=manager.user.email,
                            name=manager.user.display_name,
                            created_at=now,
                        )
                    )
            RaterRequest.objects.bulk_create(requests, batch_size=BULK_ROWS)
    return cycle


def _run(
    people: DemoPeople,
    cycle: Cycle,
    rng: random.Random,
    skill: dict[int, float],
    everyone_answers: bool,
) -> None:
    """Nominate, approve and answer for every participant (the follow-up: about two thirds).

    The hand-made learners (``people.hand_made``) go through the services one by one; every
    other participant's nominations, approval and answers are bulk-inserted (``_BulkRound``) in
    the shapes the services write, drawing on ``rng`` in the same order."""
    items = list(Item.objects.filter(cycle=cycle))
    participants = list(
        Participant.objects.filter(cycle=cycle).select_related(
            "cycle", "learner__user", "learner__manager"
        )
    )
    by_team: dict[int | None, list[Membership]] = defaultdict(list)
    for m in people.learners:
        by_team[m.team_id].append(m)
    today = timezone.localdate()
    added_rater: list[int] = []
    bulk = _BulkRound(people, cycle, items)
    for index, participant in enumerate(participants):
        learner = participant.learner
        colleagues = [
            m for m in by_team[learner.team_id] if m.pk not in (learner.pk, learner.manager_id)
        ][:5]
        is_demo = learner.pk == people.learner.pk
        # Of the demo learner's three direct reports one never answers: two stay hidden
        # (threshold 3). Other learners vary.
        reports = 3 if is_demo or index % 3 == 0 else 0
        nominations = [("peer", m.user.email, m.user.display_name) for m in colleagues]
        nominations += [
            ("peer", f"peer{k}.{learner.pk}@partner.example", f"Partner peer {k + 1}")
            for k in range(max(0, 3 - len(colleagues)))
        ]
        nominations += [
            ("direct_report", f"report{k}.{learner.pk}@{people.org.slug}.example", "")
            for k in range(reports)
        ]
        if participant.learner.manager_id is None:
            nominations.append(("manager", people.sponsor.user.email, ""))
        add_rater = not everyone_answers and reports and not added_rater
        if not people.is_hand_made(learner.pk):
            if is_demo and not everyone_answers:
                bulk.nominate(participant, nominations)  # a draft list: a next step
                continue
            if bulk.nominate_and_approve(participant, nominations, add_rater=bool(add_rater)):
                added_rater.append(participant.pk)
            bulk.answer(participant, rng, skill, everyone_answers, is_demo)
            continue
        for group, email, name in nominations:
            try:
                services.do_nominate(participant, learner, group, email, name)
            except services.FeedbackError:
                continue
        if is_demo and not everyone_answers:
            continue  # the demo learner's follow-up list is still a draft: a next step
        if not services.nomination_problems(participant):
            services.do_submit_nominations(participant, learner)
            participant.refresh_from_db()
            services.do_approve_nominations(participant, people.admin)
            participant.refresh_from_db()
            if add_rater:
                # After approval the admin adds a direct report the list missed.
                services.do_add_rater(
                    participant,
                    people.admin,
                    "direct_report",
                    f"new-report.{learner.pk}@{people.org.slug}.example",
                    "New direct report",
                    today=today,
                )
                added_rater.append(participant.pk)
        requests = RaterRequest.objects.filter(
            participant=participant, status=RaterRequest.Status.INVITED, pulse__isnull=True
        ).select_related("participant__cycle", "pulse")
        for n, request in enumerate(requests):
            scores_comments = _answers_of(
                request.relationship,
                request.email,
                n,
                is_demo,
                items,
                rng,
                skill[learner.pk],
                everyone_answers,
            )
            if scores_comments is not None:
                scores, comments = scores_comments
                services.do_save_answers(request, scores, comments, submit=True, today=today)
    bulk.flush()


def _answers_of(
    relationship: str,
    email: str,
    n: int,
    is_demo: bool,
    items: list[Item],
    rng: random.Random,
    skill: float,
    everyone_answers: bool,
) -> tuple[dict[int, int | None], dict[int, str]] | None:
    """What the ``n``-th invited rater of a learner answers (None: they never answer)."""
    if not everyone_answers and rng.random() < 0.4:
        return None
    if everyone_answers and relationship == "peer" and n == 5:
        return None  # one peer never answered: the report counts only those who did
    if is_demo and email.startswith("report0."):
        return None
    lean = 0.6 if relationship == "self" else 0.0
    scores = {
        item.pk: (
            None
            if relationship == "direct_report" and rng.random() < 0.15
            else max(1, min(5, round(skill + lean + rng.gauss(0, 0.7))))
        )
        for item in items
    }
    comments = {1: rng.choice(COMMENTS)} if relationship != "self" else {}
    return scores, comments


# Participants per bulk write: their requests, answers and comments are inserted together.
BULK_PARTICIPANTS = 500
BULK_ROWS = 5000  # rows per INSERT


# Columns and PostgreSQL types of the append-only facts written by ``insert_facts``.
FACT_COLUMNS = {
    Answer: (
        ("organization_id", "request_id", "item_id", "score", "created_at"),
        ("bigint", "bigint", "bigint", "smallint", "timestamptz"),
    ),
    Comment: (
        ("organization_id", "request_id", "question", "text", "created_at"),
        ("bigint", "bigint", "smallint", "text", "timestamptz"),
    ),
}


def insert_facts(model: type[Answer] | type[Comment], rows: list[tuple[Any, ...]]) -> None:
    """Append answers or comments, values in ``FACT_COLUMNS`` order as the database stores
    them, without building a model instance per row (what makes ``bulk_create`` of a million
    answers take many minutes): on PostgreSQL one ``INSERT … SELECT FROM unnest(…)`` per
    ``BULK_ROWS`` rows, on SQLite ``executemany``. Ids follow the order of ``rows``. The
    organisation is on every row (row-level security checks it on insert)."""
    columns, types = FACT_COLUMNS[model]
    table = connection.ops.quote_name(model._meta.db_table)
    names = ", ".join(connection.ops.quote_name(c) for c in columns)
    # Table, column names and types are the model's own (FACT_COLUMNS), never input.
    if connection.vendor == "postgresql":
        arrays = ", ".join(f"%s::{t}[]" for t in types)
        sql = f"INSERT INTO {table} ({names}) SELECT * FROM unnest({arrays})"  # noqa: S608
    else:
        places = ", ".join(["%s"] * len(columns))
        sql = f"INSERT INTO {table} ({names}) VALUES ({places})"  # noqa: S608
    with connection.cursor() as cursor:
        for start in range(0, len(rows), BULK_ROWS):
            chunk = rows[start : start + BULK_ROWS]
            if connection.vendor == "postgresql":
                cursor.execute(sql, [list(column) for column in zip(*chunk, strict=True)])
            else:
                cursor.executemany(sql, chunk)


class _BulkRound:
    """The rows ``do_nominate``, ``do_submit_nominations``, ``do_approve_nominations`` and
    ``do_save_answers`` would write for participants who are not hand-made, held in memory and
    inserted every ``BULK_PARTICIPANTS`` participants: the same checks (a rater once per list,
    group maxima, the anonymity minima before a list is submitted), the same statuses and
    timestamps, append-only answers, the organisation on every row. The follow-ups the services
    would record (e-mails) are not: the demo sends none and deletes them after a seed."""

    def __init__(self, people: DemoPeople, cycle: Cycle, items: list[Item]) -> None:
        self.people = people
        self.cycle = cycle
        self.items = items
        self.org_id = people.org.pk
        self.members: dict[str, Membership] | None = None
        self.launch_requests: dict[int, list[RaterRequest]] | None = None
        self.pending: list[Participant] = []
        self.new_requests: list[RaterRequest] = []
        self.requests: dict[int, list[RaterRequest]] = {}  # participant -> invited, by id
        self.approved: list[int] = []
        self.invited: list[int] = []  # launch requests (the manager's) invited on approval
        self.answers: list[tuple[RaterRequest, dict[int, int | None], dict[int, str]]] = []

    def _member(self, address: str) -> Membership | None:
        if self.members is None:
            self.members = {
                m.user.email.lower(): m
                for m in Membership.objects.filter(is_active=True).select_related("user")
            }
        return self.members.get(address)

    def nominate(
        self, participant: Participant, nominations: list[tuple[str, str, str]]
    ) -> tuple[list[RaterRequest], list[RaterRequest], dict[str, int]]:
        """``do_nominate`` for each rater, by ``check_nominate``'s rules (the learner's own
        address, a rater once per list, the group maxima): the launch's requests, the new
        ones (held for the next flush) and the count per group."""
        if self.launch_requests is None:
            self.launch_requests = defaultdict(list)
            for r in RaterRequest.objects.filter(
                participant__cycle=self.cycle, pulse__isnull=True
            ).order_by("id"):
                self.launch_requests[r.participant_id].append(r)
        now = timezone.now()
        existing = self.launch_requests.get(participant.pk, [])
        emails = {r.email.lower() for r in existing}
        counts: dict[str, int] = defaultdict(int)
        for r in existing:
            counts[r.relationship] += 1
        own = participant.learner.user.email.lower()
        new: list[RaterRequest] = []
        for group, email, name in nominations:
            address = email.strip().lower()
            limit = (
                services.MAX_MANAGERS if group == Relationship.MANAGER else self.cycle.max_per_group
            )
            if address == own or address in emails or counts[group] >= limit:
                continue
            member = self._member(address)
            new.append(
                RaterRequest(
                    organization_id=self.org_id,
                    participant=participant,
                    relationship=group,
                    rater=member,
                    email=address,
                    name=name.strip() or (member.user.display_name if member else ""),
                    created_at=now,
                )
            )
            emails.add(address)
            counts[group] += 1
        self.pending.append(participant)
        self.new_requests += new
        return existing, new, counts

    def nominate_and_approve(
        self,
        participant: Participant,
        nominations: list[tuple[str, str, str]],
        add_rater: bool,
    ) -> bool:
        """Nominate (``check_nominate``'s rules), submit and approve when the list meets the
        minima; returns whether the admin adds a rater after approval (as the services do)."""
        existing, new, counts = self.nominate(participant, nominations)
        approved = not services.nomination_problems_from_counts(counts, self.cycle.min_per_group)
        invited = [r for r in existing if r.status == RaterRequest.Status.INVITED]
        now = timezone.now()
        if approved:
            self.approved.append(participant.pk)
            for r in existing:
                if r.status == RaterRequest.Status.NOMINATED:
                    self.invited.append(r.pk)
                    invited.append(r)
            for r in new:
                r.status = RaterRequest.Status.INVITED
                r.invited_at = now
            invited += new
        self.requests[participant.pk] = invited
        if approved and add_rater:
            # After approval the admin adds a direct report the list missed, through the
            # service (its audit entry included), before anyone answers.
            self.flush()
            participant.refresh_from_db()
            services.do_add_rater(
                participant,
                self.people.admin,
                "direct_report",
                f"new-report.{participant.learner_id}@{self.people.org.slug}.example",
                "New direct report",
                today=timezone.localdate(),
            )
            self.requests[participant.pk] = list(
                RaterRequest.objects.filter(
                    participant=participant,
                    status=RaterRequest.Status.INVITED,
                    pulse__isnull=True,
                ).order_by("id")
            )
        return approved and add_rater

    def answer(
        self,
        participant: Participant,
        rng: random.Random,
        skill: dict[int, float],
        everyone_answers: bool,
        is_demo: bool = False,
    ) -> None:
        learner_id = participant.learner_id
        for n, request in enumerate(self.requests[participant.pk]):
            found = _answers_of(
                request.relationship,
                request.email,
                n,
                is_demo,
                self.items,
                rng,
                skill[learner_id],
                everyone_answers,
            )
            if found is not None:
                self.answers.append((request, *found))
        if len(self.pending) >= BULK_PARTICIPANTS:
            self.flush()

    def flush(self) -> None:
        if not self.pending and not self.answers:
            return
        now = timezone.now()
        with transaction.atomic():
            RaterRequest.objects.bulk_create(self.new_requests, batch_size=BULK_ROWS)
            Participant.objects.filter(pk__in=self.approved).update(
                nominations=Participant.Nominations.APPROVED,
                approved_by=self.people.admin,
                approved_at=now,
            )
            RaterRequest.objects.filter(pk__in=self.invited).update(
                status=RaterRequest.Status.INVITED, invited_at=now
            )
            at = connection.ops.adapt_datetimefield_value(now)
            answers: list[tuple[Any, ...]] = []
            comments: list[tuple[Any, ...]] = []
            submitted = []
            for request, scores, texts in self.answers:
                answers += [
                    (self.org_id, request.pk, item_id, score, at)
                    for item_id, score in scores.items()
                ]
                comments += [(self.org_id, request.pk, q, t, at) for q, t in texts.items() if t]
                submitted.append(request.pk)
            insert_facts(Answer, answers)
            insert_facts(Comment, comments)
            for start in range(0, len(submitted), BULK_ROWS):
                RaterRequest.objects.filter(
                    pk__in=submitted[start : start + BULK_ROWS],
                    status=RaterRequest.Status.INVITED,
                ).update(status=RaterRequest.Status.SUBMITTED, submitted_at=now)
        self.pending, self.new_requests, self.requests = [], [], {}
        self.approved, self.invited, self.answers = [], [], []


def _age(cycle: Cycle, age: dt.timedelta) -> None:
    """Move a just-closed cycle into the past (its facts with it), keeping the report frozen."""
    now = timezone.now()
    then = now - age
    Cycle.objects.filter(pk=cycle.pk).update(
        closed_at=then,
        created_at=then - dt.timedelta(days=21),
        nominations_close_on=(then - dt.timedelta(days=14)).date(),
        responses_close_on=then.date(),
    )
    requests = RaterRequest.objects.filter(participant__cycle=cycle)
    requests.filter(submitted_at__isnull=False).update(submitted_at=then - dt.timedelta(days=2))
    requests.update(invited_at=then - dt.timedelta(days=14))
    Answer.objects.filter(request__participant__cycle=cycle).update(
        created_at=then - dt.timedelta(days=2)
    )
    Comment.objects.filter(request__participant__cycle=cycle).update(
        created_at=then - dt.timedelta(days=2)
    )
    Report.objects.filter(cycle=cycle).update(computed_at=then)
    cycle.refresh_from_db()


def _answer_pulses(
    people: DemoPeople, baseline: Cycle, rng: random.Random, skill: dict[int, float]
) -> None:
    """Answer the first pulse and move it into the past so its trend shows: the hand-made
    learners' through the service, the others' bulk-inserted as ``do_save_answers`` writes."""
    today = timezone.localdate()
    now = timezone.now()
    at = connection.ops.adapt_datetimefield_value(now)
    answers: list[tuple[Any, ...]] = []
    submitted: list[int] = []
    pulses = Pulse.objects.filter(participant__cycle=baseline).select_related("participant")
    requests: dict[int, list[RaterRequest]] = defaultdict(list)
    for request in (
        RaterRequest.objects.filter(pulse__participant__cycle=baseline)
        .select_related("participant__cycle", "pulse")
        .order_by("id")
    ):
        requests[request.pulse_id].append(request)  # type: ignore[index]
    for pulse in pulses.order_by("number", "participant_id"):
        learner_id = pulse.participant.learner_id
        for request in requests[pulse.pk]:
            scores = {
                i: max(1, min(5, round(skill[learner_id] + 0.3 + rng.gauss(0, 0.6))))
                for i in pulse.item_ids
            }
            if people.is_hand_made(learner_id):
                services.do_save_answers(request, scores, {}, submit=True, today=today)
                continue
            if request.status != RaterRequest.Status.INVITED:
                continue
            answers += [(people.org.pk, request.pk, i, score, at) for i, score in scores.items()]
            submitted.append(request.pk)
    with transaction.atomic():
        insert_facts(Answer, answers)
        for start in range(0, len(submitted), BULK_ROWS):
            RaterRequest.objects.filter(
                pk__in=submitted[start : start + BULK_ROWS], status=RaterRequest.Status.INVITED
            ).update(status=RaterRequest.Status.SUBMITTED, submitted_at=now)
    Pulse.objects.filter(participant__cycle=baseline).update(
        sent_on=today - dt.timedelta(days=14), closes_on=today - dt.timedelta(days=4)
    )


def close_and_freeze(people: DemoPeople, cycle: Cycle) -> None:
    """``do_close_cycle`` then ``do_compute_reports``: every participant's report computed and
    frozen once, from the answers in force at the close. The hand-made learners' through the
    service (with its follow-ups: the "report ready" e-mail, the growth roll-up); the others'
    computed by the same function on the same inputs and bulk-inserted with their competency
    scores, without follow-ups (the demo sends no e-mail and rolls up at the end)."""
    Cycle.objects.filter(pk=cycle.pk).exclude(status=Cycle.Status.CLOSED).update(
        status=Cycle.Status.CLOSED, closed_at=timezone.now()
    )
    cycle.refresh_from_db()
    org = people.org
    done = set(Report.objects.filter(cycle=cycle).values_list("participant_id", flat=True))
    todo = [
        p
        for p in Participant.objects.filter(cycle=cycle).order_by("pk")
        if p.pk not in done and not people.is_hand_made(p.learner_id)
    ]
    if todo:
        items = [
            reporting.ItemDef(i.pk, i.competency_id, i.competency_name, i.text)
            for i in cycle.items.all()
        ]
        questions = {n: q for n, q in ((1, cycle.question_1), (2, cycle.question_2)) if q}
        responses = services._responses_for(cycle)
        baselines: dict[int, dict[int, float]] = {}
        params: dict[int, reporting.ReliabilityParams] = {}
        if cycle.baseline is not None:
            baselines, params = services._baseline_reliability(cycle.baseline)
        for start in range(0, len(todo), BULK_PARTICIPANTS):
            batch = todo[start : start + BULK_PARTICIPANTS]
            reports = [
                Report(
                    organization_id=org.pk,
                    participant=p,
                    cycle=cycle,
                    learner_id=p.learner_id,
                    data=reporting.compute_report(
                        org,
                        items,
                        responses.get(p.pk, []),
                        questions,
                        salt=f"{org.pk}:{p.pk}",
                        baseline=baselines.get(p.learner_id, {}) if cycle.baseline_id else None,
                        reliability=params,
                    ),
                )
                for p in batch
            ]
            with transaction.atomic():
                Report.objects.bulk_create(reports, batch_size=BULK_ROWS)
                CompetencyScore.objects.bulk_create(
                    [row for report in reports for row in services.competency_scores(report)],
                    batch_size=BULK_ROWS,
                )
    services.do_compute_reports(org, cycle.pk)


def _send_pulses_in_bulk(people: DemoPeople, baseline: Cycle, today: dt.date) -> None:
    """What ``do_send_due_pulses`` starts for participants who are not hand-made: the pulse
    due ``today`` on the (up to three) items their frozen report rated lowest, to the manager
    and the peers who answered the baseline, invited now. Once per participant and number."""
    if baseline.closed_at is None or not baseline.pulse_every_weeks:
        return
    weeks = (today - timezone.localdate(baseline.closed_at)).days // 7
    number = weeks // baseline.pulse_every_weeks
    if number < 1:
        return
    reports = dict(Report.objects.filter(cycle=baseline).values_list("participant_id", "data"))
    existing = set(
        Pulse.objects.filter(participant__cycle=baseline, number=number).values_list(
            "participant_id", flat=True
        )
    )
    raters: dict[int, list[RaterRequest]] = defaultdict(list)
    for r in RaterRequest.objects.filter(
        participant__cycle=baseline,
        pulse__isnull=True,
        status=RaterRequest.Status.SUBMITTED,
        relationship__in=[Relationship.MANAGER, Relationship.PEER],
    ).order_by("id"):
        raters[r.participant_id].append(r)
    pulses = []
    for participant in Participant.objects.filter(cycle=baseline).order_by("pk"):
        if participant.pk in existing or people.is_hand_made(participant.learner_id):
            continue
        data = reports.get(participant.pk)
        item_ids = list(data["lowest"][: services.PULSE_ITEMS]) if data else []
        if item_ids:
            pulses.append(
                Pulse(
                    organization_id=people.org.pk,
                    participant=participant,
                    number=number,
                    item_ids=item_ids,
                    sent_on=today,
                    closes_on=today + dt.timedelta(days=services.PULSE_OPEN_DAYS),
                )
            )
    now = timezone.now()
    with transaction.atomic():
        Pulse.objects.bulk_create(pulses, batch_size=BULK_ROWS)
        RaterRequest.objects.bulk_create(
            [
                RaterRequest(
                    organization_id=people.org.pk,
                    participant_id=pulse.participant_id,
                    pulse=pulse,
                    relationship=r.relationship,
                    rater_id=r.rater_id,
                    email=r.email,
                    name=r.name,
                    status=RaterRequest.Status.INVITED,
                    invited_at=now,
                    created_at=now,
                )
                for pulse in pulses
                for r in raters[pulse.participant_id]
            ],
            batch_size=BULK_ROWS,
        )
