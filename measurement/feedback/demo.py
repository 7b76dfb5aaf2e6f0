"""Demo 360 feedback: a closed baseline with frozen reports and a running follow-up per cohort.

Must run inside ``tenant_context(people.org)``; idempotent (a second run finds the baseline and
changes nothing). Raters are colleagues from the demo people plus a few external addresses;
the demo learner's direct reports are too few to show, so their report shows a hidden group.
"""

from __future__ import annotations

import datetime as dt
import random

from django.utils import timezone

from competencies.models import Competency
from measurement.feedback import services
from measurement.feedback.models import (
    Answer,
    Comment,
    Cycle,
    Item,
    Participant,
    Pulse,
    RaterRequest,
    Report,
)
from organizations.demo import DemoPeople
from organizations.outbox.models import OutboxEntry
from pathways.models import Cohort

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
    baseline = services.do_launch_cycle(people.admin, spec, today)
    skill = {m.pk: rng.uniform(2.4, 3.8) for m in people.learners}
    _run(people, baseline, rng, skill, everyone_answers=True)
    services.do_close_cycle(baseline)
    services.do_compute_reports(people.org, baseline.pk)
    _age(baseline, BASELINE_AGE)
    services.do_send_due_pulses(today)
    _answer_pulses(people, baseline, rng, skill)

    follow_spec = services.CycleSpec(
        title=FOLLOW_UP_TITLE,
        kind=Cycle.Kind.FOLLOW_UP,
        cohort_id=cohort.pk,
        nominations_close_on=today + dt.timedelta(days=7),
        responses_close_on=today + dt.timedelta(days=21),
        baseline_id=baseline.pk,
    )
    follow_up = services.do_launch_cycle(people.admin, follow_spec, today)
    grown = {pk: s + rng.uniform(0.0, 0.7) for pk, s in skill.items()}
    _run(people, follow_up, rng, grown, everyone_answers=False)
    # Demo data sends no e-mail: drop the follow-ups the seed recorded.
    OutboxEntry.objects.filter(
        handler__startswith="measurement.feedback.", created_at__gte=started
    ).delete()


def _run(
    people: DemoPeople,
    cycle: Cycle,
    rng: random.Random,
    skill: dict[int, float],
    everyone_answers: bool,
) -> None:
    """Nominate, approve and answer for every participant (the follow-up: about two thirds)."""
    learners = people.learners
    items = list(Item.objects.filter(cycle=cycle))
    participants = list(
        Participant.objects.filter(cycle=cycle).select_related(
            "cycle", "learner__user", "learner__manager"
        )
    )
    today = timezone.localdate()
    added_rater: list[int] = []
    for index, participant in enumerate(participants):
        learner = participant.learner
        colleagues = [m for m in learners if m.team_id == learner.team_id and m.pk != learner.pk]
        colleagues = [m for m in colleagues if m.pk != learner.manager_id][:5]
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
            if not everyone_answers and reports and not added_rater:
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
            if not everyone_answers and rng.random() < 0.4:
                continue
            if everyone_answers and request.relationship == "peer" and n == 5:
                continue  # one peer never answered: the report counts only those who did
            if is_demo and request.email.startswith("report0."):
                continue
            lean = 0.6 if request.relationship == "self" else 0.0
            scores = {
                item.pk: (
                    None
                    if request.relationship == "direct_report" and rng.random() < 0.15
                    else max(1, min(5, round(skill[learner.pk] + lean + rng.gauss(0, 0.7))))
                )
                for item in items
            }
            comments = {1: rng.choice(COMMENTS)} if request.relationship != "self" else {}
            services.do_save_answers(request, scores, comments, submit=True, today=today)


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
    """Answer the first pulse and move it into the past so its trend shows."""
    today = timezone.localdate()
    for pulse in Pulse.objects.filter(participant__cycle=baseline).select_related("participant"):
        for request in RaterRequest.objects.filter(pulse=pulse).select_related(
            "participant__cycle", "pulse"
        ):
            scores = {
                i: max(
                    1, min(5, round(skill[pulse.participant.learner_id] + 0.3 + rng.gauss(0, 0.6)))
                )
                for i in pulse.item_ids
            }
            services.do_save_answers(request, scores, {}, submit=True, today=today)
    Pulse.objects.filter(participant__cycle=baseline).update(
        sent_on=today - dt.timedelta(days=14), closes_on=today - dt.timedelta(days=4)
    )
