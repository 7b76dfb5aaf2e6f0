"""Demo competency framework and strategic priorities for ``seed_demo`` (idempotent).

Other demo code looks competencies up by name: use ``DEMO_COMPETENCIES``.
"""

from __future__ import annotations

from competencies.models import (
    BehaviouralIndicator,
    Competency,
    Framework,
    PriorityAlignment,
    ProficiencyLevel,
    StrategicPriority,
)
from organizations.models import Organization

DEMO_FRAMEWORK = "Leadership Capability Framework"

DEMO_FRAMEWORK_DESCRIPTION = (
    "The eight capabilities we expect of every people leader, from first-line managers to heads "
    "of function. Programmes, 360 surveys and coaching conversations all use this framework."
)

DEMO_SCALE: list[tuple[int, str, str]] = [
    (
        1,
        "Foundation",
        "Understands what the capability involves and can describe good practice; applies it "
        "with support from a manager or coach in familiar, low-stakes situations.",
    ),
    (
        2,
        "Developing",
        "Applies it unprompted in routine situations within their own team; slips back into old "
        "habits under time pressure or when stakes rise.",
    ),
    (
        3,
        "Proficient",
        "Applies it consistently, including in difficult conversations and unfamiliar "
        "situations, and adapts the approach to the people and the moment.",
    ),
    (
        4,
        "Advanced",
        "Applies it across teams and in ambiguous, high-stakes situations; deliberately builds "
        "the capability in the people around them.",
    ),
    (
        5,
        "Expert",
        "Role-models it for the organisation: shapes how other leaders practise it and is sought "
        "out for advice on the hardest cases.",
    ),
]

# (name, category, description, indicators)
DEMO_FRAMEWORK_CONTENT: list[tuple[str, str, str, list[str]]] = [
    (
        "Strategic thinking",
        "Leading the business",
        "Connects day-to-day work to where the organisation is heading; spots trends early and "
        "makes choices about what the team will and will not do.",
        [
            "Explains how the team's goals contribute to the company strategy in plain words",
            "Brings customer, market or competitor evidence into planning discussions",
            "Names the trade-offs in a plan and says explicitly what the team will stop doing",
            "Revisits priorities when the facts change rather than waiting for the annual cycle",
        ],
    ),
    (
        "Leading change",
        "Leading the business",
        "Makes the case for change, brings people through the uncertainty it creates and keeps "
        "momentum until the new way of working sticks.",
        [
            "Explains why a change is needed before explaining what will change",
            "Asks the people affected what worries them and acts on what they say",
            "Sets short-term milestones so progress is visible within weeks",
            "Follows up after launch until the new way of working is routine",
        ],
    ),
    (
        "Coaching and developing others",
        "Leading others",
        "Grows people's capability by asking before telling, delegating stretching work and "
        "making development part of everyday conversations.",
        [
            "Asks open questions before offering a solution",
            "Delegates the outcome, not just the task, and agrees how support will be given",
            "Holds regular one-to-ones that the team member sets the agenda for",
            "Discusses each team member's development goals at least once a quarter",
        ],
    ),
    (
        "Giving and receiving feedback",
        "Leading others",
        "Gives timely, specific feedback that helps people improve, and actively seeks "
        "feedback on their own impact.",
        [
            "Describes the situation, the behaviour and its impact rather than judging the person",
            "Gives feedback within a few days of the event, in private when it is corrective",
            "Asks colleagues for feedback on their own leadership and thanks them for it",
            "Shows visibly what they changed after receiving feedback",
        ],
    ),
    (
        "Decision making",
        "Leading the business",
        "Makes sound, timely decisions with the information available, involves the right "
        "people and owns the outcome.",
        [
            "States who decides, by when and how others will be involved before debating options",
            "Decides on time even when information is incomplete, and says what would change it",
            "Explains the reasoning behind a decision to the people it affects",
            "Reviews past decisions openly to learn what to do differently",
        ],
    ),
    (
        "Collaboration across boundaries",
        "Leading across the organisation",
        "Builds working relationships beyond their own team and function, and puts the shared "
        "result ahead of local targets.",
        [
            "Involves other teams early when their work will be affected",
            "Shares information and resources with other teams without being asked",
            "Resolves disagreements between teams directly with their counterpart instead of "
            "escalating",
            "Gives other teams credit for shared results in public",
        ],
    ),
    (
        "Emotional self-management",
        "Leading self",
        "Stays composed and constructive under pressure, notices their own reactions and "
        "chooses how to respond.",
        [
            "Stays calm and respectful in tense meetings, even when challenged",
            "Names their own reaction and takes a pause before responding to bad news",
            "Manages their workload so that stress does not spill over onto the team",
            "Apologises and repairs the relationship after reacting badly",
        ],
    ),
    (
        "Communicating with influence",
        "Leading across the organisation",
        "Gets a message across clearly and persuasively to different audiences, and listens as "
        "much as they speak.",
        [
            "Opens with the key message and the ask, then gives the supporting detail",
            "Adapts the message to what the audience cares about",
            "Checks understanding by asking people to play back what they will do",
            "Listens to objections fully and addresses them directly",
        ],
    ),
]

DEMO_COMPETENCIES: list[str] = [name for name, _c, _d, _i in DEMO_FRAMEWORK_CONTENT]

# (title, description, [(competency, weight)])
DEMO_PRIORITIES: list[tuple[str, str, list[tuple[str, int]]]] = [
    (
        "Enter two new markets by 2027",
        "Launch in two new countries with local teams in place and the first customers live by "
        "the end of 2027.",
        [
            ("Strategic thinking", 5),
            ("Leading change", 4),
            ("Decision making", 4),
            ("Communicating with influence", 3),
        ],
    ),
    (
        "Cut customer churn by a fifth",
        "Reduce annual customer churn from 15% to 12% by fixing the causes customers give for "
        "leaving, most of which sit between teams.",
        [
            ("Collaboration across boundaries", 5),
            ("Giving and receiving feedback", 3),
            ("Communicating with influence", 3),
        ],
    ),
    (
        "Build a bench of ready-now successors",
        "Have at least one ready-now successor for every senior leadership role, and two for the "
        "most critical ones.",
        [
            ("Coaching and developing others", 5),
            ("Giving and receiving feedback", 4),
            ("Emotional self-management", 2),
        ],
    ),
    (
        "Run operations with fewer hand-offs",
        "Halve the number of hand-offs between teams in our core order-to-cash process so that "
        "problems are fixed where they start.",
        [
            ("Collaboration across boundaries", 4),
            ("Decision making", 3),
            ("Leading change", 3),
        ],
    ),
]


def seed_framework(org: Organization) -> Framework:
    """Create (or complete) the demo framework and priorities in ``org``; safe to run again.

    Runs inside ``tenant_context(org)``. Existing rows are left as they are, so text an admin
    edited in the demo survives a re-seed.
    """
    framework, _created = Framework.objects.get_or_create(
        name=DEMO_FRAMEWORK, defaults={"description": DEMO_FRAMEWORK_DESCRIPTION}
    )
    for value, label, descriptor in DEMO_SCALE:
        ProficiencyLevel.objects.get_or_create(
            framework=framework, value=value, defaults={"label": label, "descriptor": descriptor}
        )
    by_name: dict[str, Competency] = {}
    for position, (name, category, description, indicators) in enumerate(DEMO_FRAMEWORK_CONTENT):
        competency, created = Competency.objects.get_or_create(
            framework=framework,
            name=name,
            defaults={"category": category, "description": description, "position": position},
        )
        by_name[name] = competency
        if created:
            for i, text in enumerate(indicators):
                BehaviouralIndicator.objects.create(competency=competency, text=text, position=i)
    for title, description, links in DEMO_PRIORITIES:
        priority, _created = StrategicPriority.objects.get_or_create(
            title=title, defaults={"description": description}
        )
        for name, weight in links:
            PriorityAlignment.objects.get_or_create(
                priority=priority, competency=by_name[name], defaults={"weight": weight}
            )
    return framework
