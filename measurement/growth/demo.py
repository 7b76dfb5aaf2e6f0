"""Demo growth: the finished pilot's 360 baseline and follow-up, the demo coach's past coachees
in it, and the roll-up, so that every growth page tells a believable story.

- The pilot cohort (the impact demo's) had a 360 baseline before it started and a follow-up
  after it ended: most participants improved a little, a few clearly (reliable change), most
  changes stay within rater noise, as in real programmes (Smither 2005: "generally small").
- The demo coach coached eight of the pilot's participants: observations and goals on the
  competencies they worked on; three of them shared their 360 reports with the coach (so the
  coach's patterns show the pilot, and the per-coachee view shows both shared and unshared).
- The demo learner, in the current cohort, has the baseline, a closed pulse and a running
  follow-up from the 360 demo, the coaching demo's observations and goals and the practice
  demo's answers; they shared their baseline report with their coach.

Must run inside ``tenant_context(people.org)`` after the coaching and impact demos.
Idempotent: a second run finds the pilot's cycles and engagements and only rolls up again.
"""

from __future__ import annotations

import datetime as dt
import random

from django.utils import timezone

from coaching.models import CoachingEngagement, EngagementFocus, Goal, Observation
from competencies.models import Competency, ProficiencyLevel
from measurement import impact
from measurement.feedback import services as feedback
from measurement.feedback.demo import _age, _run
from measurement.feedback.models import Cycle, Report
from measurement.growth.services import ROLLUP_HANDLER, do_rollup_growth
from organizations.demo import DemoPeople
from organizations.outbox.models import OutboxEntry
from pathways.models import Cohort, CohortCoach, Enrollment

PILOT_BASELINE = "Pilot baseline 360"
PILOT_FOLLOW_UP = "Pilot follow-up 360"
COACHED_IN_PILOT = 8
SHARED_IN_PILOT = 3
OBSERVATIONS = [
    (
        "Quarterly planning with the shift leads",
        "Asked each lead for their option before giving hers; adopted one of theirs.",
    ),
    (
        "Escalation from a key customer",
        "Handed the call to the account lead and stayed on only to back her up.",
    ),
    (
        "Team meeting after the reorganisation",
        "Explained the why of the change and took questions until they ran out.",
    ),
]


def seed_growth(people: DemoPeople, pilot: Cohort) -> None:
    started = timezone.now()
    rng = random.Random(f"growth-{people.org.slug}")
    if not Cycle.objects.filter(cohort=pilot, title=PILOT_BASELINE).exists():
        _pilot_360(people, pilot, rng)
    if not CoachingEngagement.objects.filter(coach=people.coach, cohort=pilot).exists():
        _pilot_coaching(people, pilot, rng)
    # The demo learner chose to share their baseline report with their coach.
    for report in Report.objects.filter(
        learner=people.learner, cycle__kind=Cycle.Kind.BASELINE, shared_with_coach=False
    ):
        feedback.do_share_report(report, people.learner, True)
    # Demo data sends no e-mail and rolls up below: drop the follow-ups the seed recorded.
    OutboxEntry.objects.filter(created_at__gte=started).filter(
        handler__startswith="measurement.feedback."
    ).delete()
    OutboxEntry.objects.filter(created_at__gte=started, handler=ROLLUP_HANDLER).delete()
    do_rollup_growth()
    impact.do_rollup_impact([pilot.pk])  # its behaviour change now has a follow-up


def _pilot_360(people: DemoPeople, pilot: Cohort, rng: random.Random) -> None:
    """The pilot's baseline (before the start) and follow-up (after the end), through the 360
    services while its enrolments were running, then moved into the past."""
    enrollments = Enrollment.objects.filter(cohort=pilot)
    statuses = dict(enrollments.values_list("pk", "status"))
    if not statuses:
        return
    competency_ids = list(
        Competency.objects.filter(indicators__isnull=False)
        .distinct()
        .order_by("position", "name")
        .values_list("pk", flat=True)[:4]
    )
    if not competency_ids:
        return
    today = timezone.localdate()
    enrollments.update(status=Enrollment.Status.ACTIVE)
    try:
        baseline = feedback.do_launch_cycle(
            people.admin,
            feedback.CycleSpec(
                title=PILOT_BASELINE,
                kind=Cycle.Kind.BASELINE,
                cohort_id=pilot.pk,
                nominations_close_on=today,
                responses_close_on=today + dt.timedelta(days=14),
                competency_ids=competency_ids,
                question_1="What should this person keep doing?",
                question_2="What one thing would make them more effective?",
            ),
            today,
        )
        learner_ids = list(enrollments.values_list("learner_id", flat=True))
        skill = {pk: rng.uniform(2.3, 3.6) for pk in learner_ids}
        _run(people, baseline, rng, skill, everyone_answers=True)
        feedback.do_close_cycle(baseline)
        feedback.do_compute_reports(people.org, baseline.pk)
        follow_up = feedback.do_launch_cycle(
            people.admin,
            feedback.CycleSpec(
                title=PILOT_FOLLOW_UP,
                kind=Cycle.Kind.FOLLOW_UP,
                cohort_id=pilot.pk,
                nominations_close_on=today,
                responses_close_on=today + dt.timedelta(days=14),
                baseline_id=baseline.pk,
            ),
            today,
        )
        # Most grow a little; about one in four clearly (beyond rater noise).
        grown = {
            pk: s + (rng.uniform(0.6, 1.1) if rng.random() < 0.25 else rng.uniform(-0.1, 0.4))
            for pk, s in skill.items()
        }
        _run(people, follow_up, rng, grown, everyone_answers=True)
        feedback.do_close_cycle(follow_up)
        feedback.do_compute_reports(people.org, follow_up.pk)
    finally:
        for status in set(statuses.values()):
            enrollments.filter(pk__in=[pk for pk, s in statuses.items() if s == status]).update(
                status=status
            )
    start = pilot.start_date
    _age(baseline, dt.timedelta(days=(today - start).days + 10))
    end = pilot.end_date or start + dt.timedelta(days=150)
    _age(follow_up, dt.timedelta(days=max(1, (today - end).days - 20)))


def _pilot_coaching(people: DemoPeople, pilot: Cohort, rng: random.Random) -> None:
    """Ended engagements of the demo coach with eight pilot participants: observations, goals
    (most achieved), and three who shared their 360 reports with the coach."""
    coachees = list(
        Enrollment.objects.filter(cohort=pilot)
        .select_related("learner")
        .order_by("learner__user__email")
        .values_list("learner_id", flat=True)[:COACHED_IN_PILOT]
    )
    if not coachees:
        return
    CohortCoach.objects.get_or_create(cohort=pilot, membership=people.coach)
    focus = list(
        Competency.objects.filter(indicators__isnull=False)
        .distinct()
        .order_by("position", "name")[:3]
    )
    levels: dict[int, list[ProficiencyLevel]] = {}
    for lv in ProficiencyLevel.objects.filter(
        framework_id__in={c.framework_id for c in focus}
    ).order_by("value"):
        levels.setdefault(lv.framework_id, []).append(lv)
    start = pilot.start_date
    end = pilot.end_date or start + dt.timedelta(days=150)
    org_id = people.org.pk
    for n, learner_id in enumerate(coachees):
        engagement = CoachingEngagement.objects.create(
            coach=people.coach,
            coachee_id=learner_id,
            cohort=pilot,
            sessions_contracted=6,
            starts_on=start,
            ends_on=end,
            status=CoachingEngagement.Status.ENDED,
        )
        # Six worked on the first competency (a pattern the coach can see), two on the next.
        worked_on = (focus[0] if n < 6 else focus[min(1, len(focus) - 1)]) if focus else None
        if worked_on is None:
            continue
        EngagementFocus.objects.create(
            organization_id=org_id, engagement=engagement, competency=worked_on
        )
        scale = levels.get(worked_on.framework_id, [])
        for k, (situation, behaviour) in enumerate(OBSERVATIONS[: 2 + n % 2]):
            if not scale:
                break
            level = scale[min(len(scale) - 1, 1 + k + rng.randint(0, 1))]
            Observation.objects.create(
                learner_id=learner_id,
                observer=people.coach,
                observer_kind=Observation.ObserverKind.COACH,
                competency=worked_on,
                level=level,
                situation=situation,
                behaviour=behaviour,
                observed_on=start + dt.timedelta(days=30 + 40 * k),
            )
        achieved = n % 4 != 3
        Goal.objects.create(
            engagement=engagement,
            learner_id=learner_id,
            competency=worked_on,
            title=f"Practise {worked_on.name.lower()} every week",
            success_measure="Two examples a week my team would recognise",
            target_date=end - dt.timedelta(days=14),
            progress=100 if achieved else 40,
            status=Goal.Status.ACHIEVED if achieved else Goal.Status.DROPPED,
            reflection="It became a habit once I planned it into the week."
            if achieved
            else "Overtaken by the reorganisation; picked up again with my manager.",
            closed_at=timezone.make_aware(
                dt.datetime.combine(end - dt.timedelta(days=10), dt.time(12))
            ),
        )
        if n < SHARED_IN_PILOT:
            Report.objects.filter(learner_id=learner_id, cycle__cohort=pilot).update(
                shared_with_coach=True
            )
