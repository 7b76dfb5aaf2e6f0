"""Demo projects for ``seed_demo``: in each organisation, projects in every state as a
programme manager would recognise them — a draft, a charter waiting for the sponsor, one sent
back, the demo learner's running project with an on-time and a late milestone, and from the
spring cohort a project waiting for sign-off and two signed off with stakeholder ratings and
confirmed, rejected and excluded benefit claims.

Rows are written directly (the services would e-mail everyone and refuse back-dated facts);
the shapes are those the services write. Idempotent: nothing is added once the organisation has
a project. Must run inside ``tenant_context(org)``, after ``seed_pathways``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone

from organizations.demo import DemoPeople
from organizations.models import Membership
from pathways.models import (
    Cohort,
    CohortCoach,
    CohortSponsor,
    Enrollment,
    Step,
    StepCompletion,
)
from projects.models import (
    BenefitClaim,
    Milestone,
    OutcomeResult,
    Project,
    ProjectDecision,
    ProjectLearner,
    ProjectTemplate,
    RatingRequest,
    Stakeholder,
    StakeholderRating,
    StatusUpdate,
)

SPRING = "Leading Through Change – Spring cohort"


@dataclass
class Plan:
    title: str
    problem: str
    outcomes: list[str]
    functions: list[str]
    status: str
    start_days_ago: int
    weeks: int
    milestones: list[tuple[str, int, int | None]]  # title, week, done days after the date
    stakeholders: list[tuple[str, str]]
    ratings: list[tuple[int, int, int, str]] = field(default_factory=list)
    updates: list[tuple[int, str, str, str]] = field(default_factory=list)  # days ago, rag...
    achieved: list[str] = field(default_factory=list)
    claims: list[dict] = field(default_factory=list)
    decisions: list[tuple[str, str]] = field(default_factory=list)  # kind, comment
    sponsor_rating: int | None = None
    assessment: str = ""


def _people(slug: str) -> list[tuple[str, str]]:
    return [
        ("Priya Raman (Head of Customer Service)", f"priya.raman@{slug}.test"),
        ("Tom Becker (Night shift lead)", f"tom.becker@{slug}.test"),
        ("Grace Owusu (Finance controller)", f"grace.owusu@{slug}.test"),
        ("Luis Ortega (Key account, Northwind)", "luis.ortega@northwind.example"),
        ("Hannah Weiss (Warehouse team member)", f"hannah.weiss@{slug}.test"),
    ]


def _plans(slug: str) -> dict[str, Plan]:
    people = _people(slug)
    return {
        "running": Plan(
            title="Halve order errors at the shift handover",
            problem=(
                "About 40 orders a week are re-keyed because the night shift's handover notes "
                "miss changes made after 18:00. Customers wait an extra day and the day shift "
                "starts every morning firefighting."
            ),
            outcomes=[
                "Re-keyed orders down from 40 to 20 a week by the end of the project",
                "Both shifts run the new handover huddle without me",
            ],
            functions=["Operations", "Customer service"],
            status=Project.Status.RUNNING,
            start_days_ago=16,
            weeks=10,
            milestones=[
                ("Map today's handover with both shift leads", 1, -1),
                ("Agree a one-page handover sheet with the night shift", 2, None),
                ("Pilot the 10-minute handover huddle for two weeks", 6, None),
                ("Share results and agree next steps with the sponsor", 10, None),
            ],
            stakeholders=people[:4],
            ratings=[(4, 5, 4, "Good start; keep the night shift in the room."), (4, 4, 3, "")],
            updates=[
                (9, "green", "Handover mapped with Tom and the day lead; three gaps found.", ""),
                (
                    2,
                    "amber",
                    "Draft sheet ready but the night shift has not reviewed it yet.",
                    "Night shift rota changed this week; two reviewers off.",
                ),
            ],
            decisions=[("submitted", ""), ("approved", "Good scope. Keep customer service close.")],
        ),
        "submitted": Plan(
            title="Stop month-end overtime in accounts payable",
            problem=(
                "The AP team works 60 overtime hours at every month end because approvals "
                "arrive in the last two days."
            ),
            outcomes=["Overtime at month end below 15 hours", "Approvals spread over the month"],
            functions=["Finance", "Procurement"],
            status=Project.Status.SUBMITTED,
            start_days_ago=0,
            weeks=8,
            milestones=[
                ("Show approvers the month-end curve", 1, None),
                ("Weekly approval slot agreed with budget holders", 3, None),
                ("Two month ends under the new rhythm", 8, None),
            ],
            stakeholders=people[2:4],
            decisions=[("submitted", "")],
        ),
        "sent_back": Plan(
            title="A customer call-back promise we keep",
            problem="Customers who ask for a call-back wait two days on average.",
            outcomes=["Call-backs within 4 working hours"],
            functions=["Customer service"],
            status=Project.Status.SENT_BACK,
            start_days_ago=0,
            weeks=8,
            milestones=[("Measure today's call-back times", 1, None)],
            stakeholders=people[:1],
            decisions=[
                ("submitted", ""),
                (
                    "sent_back",
                    "Good problem. Add a success measure we can see weekly and name who in "
                    "Sales is affected.",
                ),
            ],
        ),
        "draft": Plan(
            title="Fewer handoffs in new-starter IT setup",
            problem="New starters wait 3 days for a working laptop; five teams touch each request.",
            outcomes=["Laptop ready on day one for 9 in 10 new starters"],
            functions=["Technology", "HR"],
            status=Project.Status.DRAFT,
            start_days_ago=-7,
            weeks=8,
            milestones=[("Follow three requests end to end", 1, None)],
            stakeholders=[],
        ),
        "closing": Plan(
            title="Same-day answers to delivery complaints",
            problem="Delivery complaints took 4 days to answer; a third escalated to account managers.",
            outcomes=["Complaints answered the same working day", "Escalations halved"],
            functions=["Operations", "Customer service", "Sales"],
            status=Project.Status.CLOSING,
            start_days_ago=120,
            weeks=12,
            milestones=[
                ("Complaint journey mapped", 2, 0),
                ("Daily 15-minute complaint stand-up running", 5, 3),
                ("Escalation rule agreed with Sales", 8, 0),
                ("Results reviewed with the sponsor", 12, 2),
            ],
            stakeholders=people[:4],
            ratings=[
                (4, 4, 5, "Answers are faster and friendlier."),
                (5, 4, 4, ""),
                (3, 4, 4, "Sales were brought in late."),
            ],
            achieved=[
                "83 % of complaints answered the same day (from 12 %).",
                "Escalations down from 31 to 14 a month.",
            ],
            claims=[
                {
                    "measure": "Account-manager hours spent on escalations",
                    "annual_value": Decimal("26400"),
                    "basis": "17 fewer escalations a month x 2 h x 12 months x 65 per hour",
                    "isolation_pct": Decimal("70"),
                    "confidence_pct": Decimal("75"),
                }
            ],
            decisions=[("submitted", ""), ("approved", ""), ("closed", "")],
        ),
        "signed_off": Plan(
            title="Cut invoice disputes with our top 20 customers",
            problem=(
                "One invoice in nine to our top 20 customers is disputed; each dispute delays "
                "payment by 23 days and takes Finance and Sales 3 hours to resolve."
            ),
            outcomes=[
                "Disputed invoices below one in twenty-five",
                "Finance and Sales agree prices before invoicing",
            ],
            functions=["Finance", "Sales", "Customer service"],
            status=Project.Status.SIGNED_OFF,
            start_days_ago=200,
            weeks=12,
            milestones=[
                ("Dispute causes analysed for the last 6 months", 2, 0),
                ("Price check before invoicing piloted with 5 customers", 5, -2),
                ("Rolled out to all top 20 customers", 9, 6),
                ("Results reviewed with the sponsor", 12, 0),
            ],
            stakeholders=people,
            ratings=[
                (5, 4, 4, "Disputes are rare now; the price check works."),
                (4, 5, 4, "Finance and Sales finally talk before invoicing."),
                (4, 4, 5, "Clear weekly updates."),
                (5, 5, 4, "Our payments team noticed the difference."),
                (4, 3, 4, "Roll-out to all 20 took longer than planned."),
            ],
            updates=[(150, "green", "Pilot live with 5 customers; 1 dispute in 60 invoices.", "")],
            achieved=[
                "Disputed invoices fell from 11 % to 3.5 % over the last three months.",
                "A weekly 20-minute price check between Finance and Sales, run by them.",
            ],
            claims=[
                {
                    "measure": "Finance and Sales time spent on disputes",
                    "annual_value": Decimal("42000"),
                    "basis": "140 fewer disputes a year x 3 h x 100 per hour (loaded cost)",
                    "isolation_pct": Decimal("80"),
                    "confidence_pct": Decimal("70"),
                    "status": BenefitClaim.Status.CONFIRMED,
                    "adjusted_value": Decimal("36000"),
                    "decision_comment": "Use 120 disputes: two customers changed contracts.",
                },
                {
                    "measure": "Cash tied up in disputed invoices",
                    "annual_value": Decimal("180000"),
                    "basis": "Average disputed balance x 23 days, treated as a yearly gain",
                    "isolation_pct": Decimal("60"),
                    "confidence_pct": Decimal("50"),
                    "status": BenefitClaim.Status.REJECTED,
                    "decision_comment": "A one-off working-capital gain, not a yearly benefit.",
                },
            ],
            decisions=[("submitted", ""), ("approved", ""), ("closed", ""), ("signed_off", "")],
            sponsor_rating=5,
            assessment="A lasting change that Finance and Sales now own. Well led.",
        ),
        "signed_off_2": Plan(
            title="A buddy for every new warehouse starter",
            problem="Four in ten new warehouse staff left within 90 days last year.",
            outcomes=["90-day leaving rate below 20 %"],
            functions=["Operations", "HR"],
            status=Project.Status.SIGNED_OFF,
            start_days_ago=190,
            weeks=10,
            milestones=[
                ("Exit interviews of last year's leavers read", 1, 0),
                ("Eight buddies trained", 4, 0),
                ("First 20 starters through the scheme", 10, 0),
            ],
            stakeholders=people[1:5],
            ratings=[(4, 5, 5, "New starters know who to ask."), (4, 4, 4, ""), (5, 5, 4, "")],
            achieved=["90-day leaving rate 18 % for the 20 starters (from 40 %)."],
            claims=[
                {
                    "measure": "Hiring and training cost of early leavers",
                    "annual_value": Decimal("64000"),
                    "basis": "8 fewer early leavers a year x 8,000 (agency fee and training)",
                    "isolation_pct": Decimal("50"),
                    "confidence_pct": Decimal("60"),
                    "status": BenefitClaim.Status.CONFIRMED,
                },
                {
                    "measure": "Company-wide retention",
                    "annual_value": Decimal("2000000"),
                    "basis": "All retention gains across the company this year",
                    "isolation_pct": Decimal("100"),
                    "confidence_pct": Decimal("90"),
                    "status": BenefitClaim.Status.EXCLUDED,
                    "excluded_reason": "Extreme: the scheme covered 20 warehouse starters only.",
                },
            ],
            decisions=[("submitted", ""), ("approved", ""), ("closed", ""), ("signed_off", "")],
            sponsor_rating=4,
            assessment="Simple and effective; extend it to the day shift next.",
        ),
    }


def _spring_cohort(autumn: Cohort, learners: list[Membership], people: DemoPeople) -> Cohort:
    today = timezone.localdate()
    cohort, _ = Cohort.objects.get_or_create(
        name=SPRING,
        defaults={
            "version": autumn.version,
            "start_date": today - dt.timedelta(days=230),
            "end_date": today - dt.timedelta(days=40),
            "status": Cohort.Status.FINISHED,
        },
    )
    CohortCoach.objects.get_or_create(cohort=cohort, membership=people.coach)
    CohortSponsor.objects.get_or_create(cohort=cohort, membership=people.sponsor)
    for learner in learners:
        Enrollment.objects.get_or_create(
            cohort=cohort, learner=learner, defaults={"version": autumn.version}
        )
    return cohort


def _write(
    plan: Plan,
    owner: Membership,
    co_learners: list[Membership],
    sponsor: Membership,
    cohort: Cohort,
    step: Step | None,
    template: ProjectTemplate | None,
    admin: Membership,
) -> Project:
    today = timezone.localdate()
    now = timezone.now()
    start = today - dt.timedelta(days=plan.start_days_ago)
    end = start + dt.timedelta(weeks=plan.weeks)
    approved = plan.status not in (
        Project.Status.DRAFT,
        Project.Status.SUBMITTED,
        Project.Status.SENT_BACK,
    )
    closed = plan.status in (Project.Status.CLOSING, Project.Status.SIGNED_OFF)
    project = Project.objects.create(
        template=template,
        cohort=cohort,
        step_key=step.key if step else None,
        owner=owner,
        sponsor=sponsor,
        sponsor_required=True,
        title=plan.title,
        problem=plan.problem,
        scope=ProjectTemplate.Scope.CROSS_FUNCTIONAL
        if len(plan.functions) > 1
        else ProjectTemplate.Scope.TEAM,
        expected_outcomes="\n".join(plan.outcomes),
        functions=plan.functions,
        start_date=start,
        end_date=end,
        status=plan.status,
        approved_at=now - dt.timedelta(days=plan.start_days_ago) if approved else None,
        closed_at=now - dt.timedelta(days=max(plan.start_days_ago - 7 * plan.weeks, 1))
        if closed
        else None,
        signed_off_at=now - dt.timedelta(days=30) if plan.status == "signed_off" else None,
        sponsor_rating=plan.sponsor_rating,
        sponsor_assessment=plan.assessment,
    )
    for learner in [owner, *co_learners]:
        enrollment = Enrollment.objects.filter(cohort=cohort, learner=learner).first()
        ProjectLearner.objects.create(project=project, learner=learner, enrollment=enrollment)
        if plan.status == Project.Status.SIGNED_OFF and enrollment is not None and step:
            StepCompletion.objects.get_or_create(
                enrollment=enrollment,
                step_key=step.key,
                defaults={"learner": learner, "completed_at": now - dt.timedelta(days=30)},
            )
    milestones = []
    for position, (title, week, done_after) in enumerate(plan.milestones):
        due = start + dt.timedelta(weeks=week)
        done_on = due + dt.timedelta(days=done_after) if done_after is not None else None
        milestones.append(
            Milestone.objects.create(
                project=project,
                title=title,
                position=position,
                due_on=due,
                approved_on=due if approved else None,
                done_on=done_on if done_on is not None and done_on <= today else None,
                evidence="Shared with the sponsor at the check-in." if done_on else "",
            )
        )
    stakeholders = [
        Stakeholder.objects.create(project=project, name=name, email=email)
        for name, email in plan.stakeholders
    ]
    occasion = milestones[0] if plan.status == Project.Status.RUNNING else None
    if plan.ratings or closed:
        if occasion is not None:
            Milestone.objects.filter(pk=occasion.pk).update(ratings_requested_at=now)
        for i, person in enumerate(stakeholders):
            request = RatingRequest.objects.create(
                project=project,
                stakeholder=person,
                milestone=occasion,
                sent_at=now - dt.timedelta(days=5),
                answered_at=now - dt.timedelta(days=3) if i < len(plan.ratings) else None,
                reminders_sent=0 if i < len(plan.ratings) else 1,
            )
            if i < len(plan.ratings):
                quality, collaboration, communication, comment = plan.ratings[i]
                StakeholderRating.objects.create(
                    request=request,
                    project=project,
                    outcome_quality=quality,
                    collaboration=collaboration,
                    communication=communication,
                    comment=comment,
                )
    for days_ago, rag, progress, blockers in plan.updates:
        StatusUpdate.objects.create(
            project=project,
            author=owner,
            on=today - dt.timedelta(days=days_ago),
            rag=rag,
            progress=progress,
            blockers=blockers,
        )
    for i, achieved in enumerate(plan.achieved):
        OutcomeResult.objects.create(
            project=project, position=i, expected=plan.outcomes[i], achieved=achieved
        )
    for data in plan.claims:
        data = dict(data)
        status = data.pop("status", BenefitClaim.Status.PENDING)
        decider = admin if status == BenefitClaim.Status.EXCLUDED else sponsor
        BenefitClaim.objects.create(
            project=project,
            claimant=owner,
            status=status,
            decided_by=decider if status != BenefitClaim.Status.PENDING else None,
            decided_on=today - dt.timedelta(days=30) if status != "pending" else None,
            **data,
        )
    for kind, comment in plan.decisions:
        actor = owner if kind in ("submitted", "closed") else sponsor
        ProjectDecision.objects.create(project=project, actor=actor, kind=kind, comment=comment)
    return project


def seed_projects(people: DemoPeople, autumn: Cohort) -> None:
    """Projects in every state for the demo organisation (once)."""
    if Project.objects.exists():
        return
    step = (
        Step.objects.filter(version=autumn.version, kind=Step.Kind.PROJECT)
        .select_related("project_template")
        .first()
    )
    template = step.project_template if step else None
    others = [m for m in people.learners if m.pk != people.learner.pk]
    if len(others) < 8:
        return  # ``--learners`` too small for colleagues on projects
    plans = _plans(people.org.slug)
    spring_people = others[-5:]
    spring = _spring_cohort(autumn, spring_people, people)

    def write(key: str, owner: Membership, cohort: Cohort, *co: Membership) -> None:
        _write(plans[key], owner, list(co), people.sponsor, cohort, step, template, people.admin)

    write("running", people.learner, autumn)
    write("submitted", others[0], autumn)
    write("sent_back", others[1], autumn)
    write("draft", others[2], autumn)
    write("closing", spring_people[0], spring)
    write("signed_off", spring_people[1], spring, spring_people[2])
    write("signed_off_2", spring_people[3], spring)
