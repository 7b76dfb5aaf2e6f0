"""Demo pathway, cohort and varied learner progress for ``seed_demo``."""

from __future__ import annotations

import datetime as dt
import random

from django.utils import timezone

from organizations.audit import record_change
from organizations.demo import DemoPeople
from organizations.outbox.models import OutboxEntry
from pathways.builder.demo import extend_demo_pathway
from pathways.cohorts.queries import cohort_detail
from pathways.cohorts.services import OVERDUE_REMINDER_HANDLER, org_today
from pathways.models import (
    Cohort,
    CohortCoach,
    CohortSponsor,
    Enrollment,
    Module,
    OverdueReminder,
    Pathway,
    PathwayVersion,
    Stage,
    Step,
    StepCompletion,
)

STAGES = [
    (
        "Stage 1: Lead yourself",
        [
            (
                "Know your leadership defaults",
                "How your habits under pressure shape your team's day, and how to notice them.",
                8,
            ),
            (
                "Ask before you tell",
                "Coaching questions that turn status updates into ownership.",
                10,
            ),
            ("Energy, not hours", "Plan your week around the few decisions only you can make.", 7),
        ],
    ),
    (
        "Stage 2: Lead others",
        [
            (
                "Feedback that lands",
                "The situation–behaviour–impact model, and how to ask for feedback in return.",
                12,
            ),
            (
                "Delegating outcomes, not tasks",
                "Hand over the result, the constraints and the check-ins; keep the accountability.",
                10,
            ),
            ("Running a one-to-one that matters", "A simple agenda your direct reports own.", 9),
        ],
    ),
    (
        "Stage 3: Lead change",
        [
            (
                "Telling the story of the change",
                "Why now, what stays, what changes: a narrative people can repeat.",
                11,
            ),
            (
                "Working with resistance",
                "Treat pushback as information: name it, explore it, use it.",
                12,
            ),
            (
                "Making progress visible",
                "Small wins, shared scoreboards and the rhythm of review.",
                8,
            ),
        ],
    ),
]


def seed_pathways(people: DemoPeople, rng: random.Random) -> Cohort:
    """Must run inside tenant_context(people.org). Idempotent."""
    pathway, _ = Pathway.objects.get_or_create(
        name="Leading Through Change",
        defaults={
            "purpose": "Equip first- and second-line leaders to lead themselves, their teams and change."
        },
    )
    version, created = PathwayVersion.objects.get_or_create(
        pathway=pathway,
        number=1,
        defaults={
            "status": PathwayVersion.Status.PUBLISHED,
            "published_at": timezone.now(),
            "target_roles": "Team leads, first- and second-line managers",
        },
    )
    if created:
        position = 0
        for stage_index, (stage_title, modules) in enumerate(STAGES):
            stage = Stage.objects.create(version=version, title=stage_title, position=stage_index)
            for title, summary, minutes in modules:
                module, _ = Module.objects.get_or_create(
                    title=title,
                    defaults={
                        "summary": summary,
                        "body": summary,
                        "minutes": minutes,
                        "status": Module.Status.PUBLISHED,
                    },
                )
                Step.objects.create(
                    version=version,
                    stage=stage,
                    module=module,
                    position=position,
                    available_offset_days=7 * stage_index,
                    # Each stage's modules are due ten days after the stage opens.
                    due_offset_days=7 * stage_index + 10,
                )
                position += 1
        # The project and coaching steps, added only with the version (published = immutable).
        extend_demo_pathway(version)
    start = timezone.localdate() - dt.timedelta(days=17)
    cohort, _ = Cohort.objects.get_or_create(
        name="Leading Through Change – Autumn cohort",
        defaults={"version": version, "start_date": start},
    )
    CohortCoach.objects.get_or_create(cohort=cohort, membership=people.coach)
    if people.consultant is not None:
        CohortCoach.objects.get_or_create(cohort=cohort, membership=people.consultant)
    CohortSponsor.objects.get_or_create(cohort=cohort, membership=people.sponsor)

    Enrollment.objects.bulk_create(
        [
            Enrollment(organization_id=people.org.pk, cohort=cohort, learner=m, version=version)
            for m in people.learners
        ],
        batch_size=1000,
        ignore_conflicts=True,
    )
    steps = list(Step.objects.filter(version=version).order_by("position"))
    open_steps = [
        s
        for s in steps
        if cohort.start_date + dt.timedelta(days=s.available_offset_days) <= timezone.localdate()
    ]
    enrollments = list(Enrollment.objects.filter(cohort=cohort).select_related("learner__user"))
    facts = []
    now = timezone.now()
    for enrollment in enrollments:
        if enrollment.learner_id == people.learner.pk:
            done_count = 3  # the demo learner just finished Stage 1 (celebrated on the home)
        else:
            # Varied, realistic progress: some not started, most part-way, a few ahead.
            local = random.Random(f"{people.org.slug}-{enrollment.learner.user.email}")
            done_count = min(len(open_steps), int(local.triangular(0, len(open_steps) + 1, 3)))
            if local.random() < 0.1:  # about one in ten has not begun: the admin's follow-up list
                done_count = 0
        for offset, step in enumerate(open_steps[:done_count]):
            facts.append(
                StepCompletion(
                    organization_id=people.org.pk,
                    enrollment=enrollment,
                    learner_id=enrollment.learner_id,
                    step_key=step.key,
                    completed_at=now - dt.timedelta(days=done_count - offset),
                )
            )
    StepCompletion.objects.bulk_create(facts, batch_size=2000, ignore_conflicts=True)
    seed_sent_overdue_reminder(people, cohort)
    return cohort


def seed_sent_overdue_reminder(people: DemoPeople, cohort: Cohort) -> OverdueReminder | None:
    """Yesterday the admin reminded the cohort's overdue learners and the e-mails went out: the
    reminder row, its delivered outbox follow-up and the audit entry, as the service leaves them
    (today's reminder stays possible). Once per cohort; ``None`` when nobody is overdue."""
    if OverdueReminder.objects.filter(cohort=cohort).exists():
        return None
    detail = cohort_detail(cohort.pk)
    recipients = [
        {"membership": lp.membership_id, "steps": lp.overdue}
        for lp in detail.learners
        if lp.overdue and lp.status != Enrollment.Status.WITHDRAWN
    ]
    if not recipients:
        return None
    clicked = timezone.now() - dt.timedelta(days=1)
    reminder = OverdueReminder.objects.create(
        cohort=cohort,
        sent_by=people.admin.user,
        local_date=org_today(people.org, clicked),
        recipients=recipients,
        created_at=clicked,
        sent_at=clicked + dt.timedelta(seconds=20),
    )
    OutboxEntry.objects.create(
        handler=OVERDUE_REMINDER_HANDLER,
        args=[reminder.pk],
        dedupe_key=f"overdue-reminder:{reminder.pk}",
        created_at=clicked,
        run_after=clicked,
        done_at=reminder.sent_at,
        attempts=1,
    )
    record_change(
        people.admin.user,
        "reminded",
        cohort,
        after={"learners reminded": len(recipients)},
        object_repr=f"Overdue learners of {cohort.name}",
    )
    return reminder
