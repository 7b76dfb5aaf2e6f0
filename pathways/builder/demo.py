"""Demo content of the pathway builder for ``seed_demo``: a project template, a coaching
conversation template, their steps in "Leading Through Change", a second published pathway with
an elective group and personalisation rules, and self-assessment baselines for the running
cohort. Everything is idempotent and must run inside ``tenant_context(org)``.

Modules are looked up (or created) by title, so the richer versions written by the library demo
are used whichever of the two seeds runs first.
"""

from __future__ import annotations

import random

from django.db.models import Max

from coaching.models import ConversationFocus, ConversationTemplate
from competencies.models import Competency
from pathways.builder import services
from pathways.models import (
    Cohort,
    Enrollment,
    Module,
    Pathway,
    PathwayVersion,
    PersonalisationRule,
    SelfAssessment,
    Stage,
    Step,
)
from projects.models import MilestoneTemplate, ProjectTemplate, ProjectTemplateCompetency

PROJECT_TITLE = "Lead a real change in your area"
PROJECT = {
    "brief": (
        "Choose one change your area genuinely needs in the next quarter — a process that wastes "
        "people's time, a customer problem nobody owns, a way of working that no longer fits — "
        "and lead it from first conversation to visible result. You agree the goal and a success "
        "measure with your sponsor, bring the people affected with you, and report what happened "
        "and what you learned about yourself as a leader."
    ),
    "expected_outcomes": (
        "A measurable improvement in your area, agreed with your sponsor at the start.\n"
        "A team that understands why the change matters and owns how it is done.\n"
        "Evidence of leading change: a stakeholder map, a pilot and an honest review."
    ),
    "scope": ProjectTemplate.Scope.CROSS_FUNCTIONAL,
    "sponsor_required": True,
}
MILESTONES = [
    ("Agree the change, its success measure and check-ins with your sponsor", 1),
    ("Map the people affected and talk to the three most sceptical", 2),
    ("Run a small pilot and collect feedback from the people doing the work", 5),
    ("Share the results and decide with your sponsor what happens next", 8),
]
PROJECT_COMPETENCIES = [
    "Leading change",
    "Communicating with influence",
    "Collaboration across boundaries",
]

CONVERSATION_TITLE = "Mid-programme coaching conversation"
CONVERSATION = {
    "purpose": (
        "Take stock halfway through the programme: what has already changed in how the learner "
        "leads, what is getting in the way, and which experiment they will run before the next "
        "conversation. The coach listens for patterns across modules and the learner's own "
        "feedback, and helps shape the change project."
    ),
    "questions": "\n".join(
        [
            "Looking back over the last few weeks, what are you doing differently as a leader?",
            "Where did you notice yourself slipping back into old habits, and what triggered it?",
            "What feedback have you had from your team, and what did you make of it?",
            "Which change in your area matters most right now, and who needs to be with you?",
            "What small experiment will you run before we next speak, and how will you know it "
            "worked?",
            "What support do you need from your manager or sponsor?",
        ]
    ),
    "suggested_timing": (
        "After Stage 2 (Lead others), before the change project starts; about 60 minutes."
    ),
}
CONVERSATION_FOCUS = ["Giving and receiving feedback", "Emotional self-management"]

SECOND_PATHWAY = "First-Time Manager Essentials"
SECOND_PURPOSE = (
    "Help people in their first year as a manager make the shift from doing the work to getting "
    "it done through others: clear expectations, regular one-to-ones, honest feedback and "
    "confident delegation."
)
SECOND_ROLES = "Newly promoted managers and team leads in their first 12 months"
SECOND_COMPETENCIES = [
    "Giving and receiving feedback",
    "Coaching and developing others",
    "Decision making",
    "Emotional self-management",
]
# Modules come from the library demo (looked up by title); these summaries are only used when
# the library has not been seeded, so the pathway still has real, published steps.
FALLBACK_MODULES = {
    "Know your leadership defaults": (
        "How your habits under pressure shape your team's day, and how to notice them.",
        8,
    ),
    "Running a one-to-one that matters": ("A simple agenda your direct reports own.", 9),
    "Recognising good work specifically": (
        "Name the behaviour and its effect so that good work is repeated, not just praised.",
        7,
    ),
    "Feedback that lands": (
        "The situation–behaviour–impact model, and how to ask for feedback in return.",
        12,
    ),
    "Difficult conversations: opening well": (
        "The first two minutes decide most hard conversations: state the issue, then listen.",
        10,
    ),
    "Delegating outcomes, not tasks": (
        "Hand over the result, the constraints and the check-ins; keep the accountability.",
        10,
    ),
    "Staying steady under pressure": (
        "Notice your stress signals early and choose a response your team can rely on.",
        9,
    ),
}


def _competencies(names: list[str]) -> list[Competency]:
    found = {c.name: c for c in Competency.objects.filter(name__in=names)}
    return [found[n] for n in names if n in found]


def _module(title: str) -> Module:
    summary, minutes = FALLBACK_MODULES.get(title, (title, 10))
    module, _ = Module.objects.get_or_create(
        title=title,
        defaults={
            "summary": summary,
            "body": summary,
            "minutes": minutes,
            "status": Module.Status.PUBLISHED,
        },
    )
    return module


def ensure_templates() -> tuple[ProjectTemplate, ConversationTemplate]:
    """The demo project and conversation templates (created once, never overwritten)."""
    project, created = ProjectTemplate.objects.get_or_create(title=PROJECT_TITLE, defaults=PROJECT)
    if created:
        MilestoneTemplate.objects.bulk_create(
            [
                MilestoneTemplate(
                    organization_id=project.organization_id,
                    template=project,
                    title=title,
                    offset_weeks=weeks,
                )
                for title, weeks in MILESTONES
            ]
        )
        ProjectTemplateCompetency.objects.bulk_create(
            [
                ProjectTemplateCompetency(
                    organization_id=project.organization_id, template=project, competency=c
                )
                for c in _competencies(PROJECT_COMPETENCIES)
            ]
        )
    conversation, created = ConversationTemplate.objects.get_or_create(
        title=CONVERSATION_TITLE, defaults=CONVERSATION
    )
    if created:
        ConversationFocus.objects.bulk_create(
            [
                ConversationFocus(
                    organization_id=conversation.organization_id,
                    template=conversation,
                    competency=c,
                )
                for c in _competencies(CONVERSATION_FOCUS)
            ]
        )
    return project, conversation


def extend_demo_pathway(version: PathwayVersion) -> None:
    """Add the coaching conversation (end of Stage 2) and the change project (end of Stage 3)
    to a freshly created "Leading Through Change" version, plus a personalisation rule.
    Called only when the version is created, so a published version never changes."""
    project, conversation = ensure_templates()
    stages = list(Stage.objects.filter(version=version).order_by("position", "id"))
    if len(stages) < 3:
        return
    top = Step.objects.filter(version=version).aggregate(p=Max("position"))["p"] or 0
    Step.objects.create(
        version=version,
        stage=stages[1],
        kind=Step.Kind.COACHING,
        conversation_template=conversation,
        position=top + 1,
        available_offset_days=10,
        due_offset_days=17,
    )
    Step.objects.create(
        version=version,
        stage=stages[2],
        kind=Step.Kind.PROJECT,
        project_template=project,
        position=top + 2,
        available_offset_days=14,
        due_offset_days=70,
    )
    services._renumber_steps(version)
    calm = _competencies(["Emotional self-management"])
    energy = Step.objects.filter(version=version, module__title="Energy, not hours").first()
    if calm and energy is not None:
        PersonalisationRule.objects.create(
            step=energy,
            competency=calm[0],
            action=PersonalisationRule.Action.INCLUDE_IF_BELOW,
            threshold=4,
        )


def seed_second_pathway() -> PathwayVersion | None:
    """First-Time Manager Essentials v1, built and published through the builder's services
    (so the demo passes the same checks as an admin's pathway). None if it already exists."""
    if Pathway.objects.filter(name=SECOND_PATHWAY).exists():
        return None
    _project, conversation = ensure_templates()
    version = services.do_create_pathway(
        None,
        name=SECOND_PATHWAY,
        purpose=SECOND_PURPOSE,
        target_roles=SECOND_ROLES,
        competencies=_competencies(SECOND_COMPETENCIES),
        first_stage_title="Stage 1: Your first 90 days",
    )
    first = Stage.objects.get(version=version)
    second = services.do_add_stage(None, version, title="Stage 2: Conversations that matter")
    third = services.do_add_stage(None, version, title="Stage 3: Make it stick")

    def add(stage: Stage, title: str, day: int) -> Step:
        return services.do_add_step(
            None,
            version,
            stage=stage,
            target=services.StepTarget(kind=Step.Kind.MODULE, module=_module(title)),
            available_offset_days=day,
        )

    add(first, "Know your leadership defaults", 0)
    add(first, "Running a one-to-one that matters", 3)
    add(first, "Recognising good work specifically", 7)
    feedback = add(second, "Feedback that lands", 14)
    difficult = add(second, "Difficult conversations: opening well", 17)
    delegating = add(second, "Delegating outcomes, not tasks", 17)
    steady = add(third, "Staying steady under pressure", 28)
    services.do_add_step(
        None,
        version,
        stage=third,
        target=services.StepTarget(kind=Step.Kind.COACHING, conversation_template=conversation),
        title="First-90-days coaching conversation",
        available_offset_days=35,
        due_offset_days=49,
    )
    services.do_save_elective_group(
        None,
        version,
        group=None,
        title="Choose your focus",
        choose=1,
        steps=[difficult, delegating],
    )
    # Both electives open once the feedback module is done, and so does the step after them,
    # whichever elective the learner picked.
    services.do_set_prerequisites(None, delegating, requires=[feedback])
    services.do_set_prerequisites(None, steady, requires=[feedback])
    rated = _competencies(["Giving and receiving feedback"])
    if rated:
        services.do_add_rule(
            None,
            feedback,
            competency=rated[0],
            action=PersonalisationRule.Action.INCLUDE_IF_BELOW,
            threshold=4,
        )
    services.do_publish(None, version)
    return version


def seed_baselines(cohort: Cohort, org_slug: str) -> int:
    """Self-assessment ratings (1–5) for most of the cohort's learners; about one in five has
    not taken the diagnostic yet. Returns how many ratings exist for the cohort."""
    competencies = list(Competency.objects.order_by("position", "name")[:8])
    if not competencies:
        return 0
    rows = []
    for enrollment in Enrollment.objects.filter(cohort=cohort).select_related("learner__user"):
        local = random.Random(f"{org_slug}-baseline-{enrollment.learner.user.email}")
        if local.random() < 0.2:
            continue
        for competency in competencies:
            rows.append(
                SelfAssessment(
                    organization_id=cohort.organization_id,
                    enrollment=enrollment,
                    competency=competency,
                    rating=max(1, min(5, round(local.triangular(1, 5, 3)))),
                    created_at=enrollment.enrolled_at,
                )
            )
    SelfAssessment.objects.bulk_create(rows, batch_size=2000, ignore_conflicts=True)
    return SelfAssessment.objects.filter(enrollment__cohort=cohort).count()


def seed_builder(cohort: Cohort, org_slug: str) -> None:
    """Templates, the second published pathway and baselines for the running cohort."""
    ensure_templates()
    seed_second_pathway()
    seed_baselines(cohort, org_slug)
