"""Demo module library for ``seed_demo``: 22 micro-modules and two published scenarios.

``seed_library(org)`` runs inside ``tenant_context(org)`` and is idempotent. Competencies are
looked up by name (``competencies.demo.DEMO_COMPETENCIES``); any that do not exist are left out.
A module that already exists keeps an admin's edits; only a thin module (no body, or a body that
merely repeats its summary, as the demo pathway creates) is filled in.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from competencies.models import Competency
from organizations.models import Organization
from pathways.library.demo_modules import CHANGE as CHANGE_COMPETENCY
from pathways.library.demo_modules import (
    COACH,
    COLLAB,
    DECIDE,
    DEMO_MODULES,
    FEEDBACK,
    INFLUENCE,
    SELF,
)
from pathways.library.services import DIFFICULTY_LEVELS, check_scenario_tree
from pathways.models import (
    ChoiceScore,
    Module,
    ModuleCompetency,
    ModuleTag,
    PracticeTask,
    RetrievalItem,
    RetrievalOption,
    Scenario,
    ScenarioChoice,
    ScenarioNode,
)

# Scenario: nodes as (key, text, debrief or None for a situation); choices per node as
# (text, next key, feedback, is_effective, {competency: score}).
Node = tuple[str, str, str | None]
Choice = tuple[str, str, str, bool, dict[str, int]]

DEMO_SCENARIOS: list[dict[str, Any]] = [
    {
        "title": "The missed deadline",
        "summary": "A reliable analyst misses a deadline and the sales director wants answers.",
        "module": "Feedback that lands",
        "nodes": [
            (
                "start",
                "It is Monday, 9:00. The quarterly churn report that Sam owed the sales director "
                "on Friday has not arrived. Sam is usually one of your most reliable analysts. "
                'The director has just messaged you: "Where is the report? I need it for this '
                "afternoon's pipeline review.\"",
                None,
            ),
            (
                "chat",
                'Sam looks tired. "Sorry. Finance sent the revenue data late on Thursday and '
                "two figures didn't reconcile. I didn't want to send something half-done, and I "
                "didn't know how to tell you.\"",
                None,
            ),
            (
                "pressure",
                "At 11:55 Sam sends a report. Two revenue figures do not match finance's numbers, "
                "and Sam has gone silent in the team chat.",
                None,
            ),
            (
                "rescue",
                "You spend three hours rebuilding the report yourself and send it at 14:00. Sam "
                "sees it in the shared folder and says nothing. Two of your own tasks slipped.",
                None,
            ),
            (
                "plan",
                "Together you agree that Sam sends the director the confirmed sections by 14:00 "
                "with the two revenue figures marked provisional, and finishes them with finance "
                "tomorrow. Sam looks relieved.",
                None,
            ),
            (
                "end-good",
                "The director gets a usable report on time for the review and a clear note on "
                "the two open figures. A week later Sam flags a data delay on Wednesday, two days "
                "before the next deadline.",
                "You separated the problem (late data) from the person (a reliable analyst "
                "stuck), asked before you told, and agreed an early-warning habit. Sam learned "
                "that raising a risk early brings help, so the next risk reached you in time. "
                "Feedback that names the impact and looks forward builds exactly that habit.",
            ),
            (
                "end-late",
                "The director presents figures that finance contradicts in the meeting. She "
                "calls you afterwards, unhappy, and Sam hears about it from a colleague.",
                "Speed without understanding shipped the problem instead of solving it. Pressure "
                "made Sam finish fast rather than finish right, and nobody learned why the "
                "deadline slipped. A five-minute conversation at 9:00 would have surfaced the "
                "finance delay and let you set expectations with the director.",
            ),
            (
                "end-fragile",
                "The report is out, but over the following weeks Sam raises fewer problems and "
                "the next deadline slips too.",
                "The immediate crisis passed, but the cause did not. When problems lead to blame "
                "or to the manager taking over, people hide the next one. Ask what happened, "
                "describe the impact without judgement, and agree how risks will be flagged "
                "earlier: that is what prevents the next miss.",
            ),
        ],
        "choices": {
            "start": [
                (
                    "Tell the director you will update her by 11:00, then ask Sam for a quick "
                    "chat.",
                    "chat",
                    "Good: you bought time honestly and went to the source before deciding.",
                    True,
                    {SELF: 1, COACH: 1},
                ),
                (
                    'Promise the director it will be there today and message Sam: "Need the '
                    'report by noon."',
                    "pressure",
                    "You set a deadline without knowing what went wrong. Sam now works fast "
                    "instead of right.",
                    False,
                    {COACH: -1, FEEDBACK: -1},
                ),
                (
                    "Open the data yourself and write the report.",
                    "rescue",
                    "The report will ship, but you have taken the problem away from Sam and "
                    "learned nothing about why it slipped.",
                    False,
                    {COACH: -2},
                ),
            ],
            "chat": [
                (
                    "\"Thanks for telling me. What's left to do, and what do you need to finish "
                    'it today?"',
                    "plan",
                    "You kept the focus on solving the problem and treated Sam as the owner.",
                    True,
                    {COACH: 2, DECIDE: 1},
                ),
                (
                    '"You should have told me on Thursday. This makes us both look bad."',
                    "end-fragile",
                    "True, but blame arrives before help. Sam hears that admitting a problem gets "
                    "you criticised.",
                    False,
                    {FEEDBACK: -1, SELF: -1},
                ),
            ],
            "pressure": [
                (
                    "Send it to the director anyway: it is late enough already.",
                    "end-late",
                    "You passed an unchecked problem to a senior stakeholder.",
                    False,
                    {DECIDE: -2},
                ),
                (
                    "Call Sam, acknowledge you pushed hard, and ask what is behind the gaps.",
                    "chat",
                    "A good recovery: owning your part makes it safe for Sam to explain.",
                    True,
                    {SELF: 1, FEEDBACK: 1},
                ),
            ],
            "rescue": [
                (
                    "Move on: the director has what she needs.",
                    "end-fragile",
                    "The deadline is met, but the cause is untouched and Sam has learned you "
                    "will take over.",
                    False,
                    {COACH: -1},
                ),
                (
                    "Ask Sam for a conversation about what happened.",
                    "chat",
                    "Better late than never: understanding the cause is what prevents the next "
                    "miss.",
                    True,
                    {COACH: 1},
                ),
            ],
            "plan": [
                (
                    "Tell the director the new plan and agree with Sam that any risk to a "
                    "deadline is flagged two days ahead.",
                    "end-good",
                    "You managed the stakeholder and turned the incident into a habit that "
                    "prevents the next one.",
                    True,
                    {FEEDBACK: 2, DECIDE: 1, COACH: 1},
                ),
                (
                    "Tell the director that Sam's delay caused the problem.",
                    "end-fragile",
                    "Publicly placing the blame protects you today and costs you Sam's trust.",
                    False,
                    {COACH: -2, SELF: -1},
                ),
            ],
        },
    },
    {
        "title": "A resistant senior team member",
        "summary": "An experienced engineer criticises the new release process in front of the "
        "team.",
        "module": "Working with resistance",
        "nodes": [
            (
                "start",
                "In the weekly team meeting you introduce the new release process. Maria, a "
                "senior engineer with twelve years in the company, says in front of everyone: "
                '"We tried this in 2019. It failed then and it will fail now." The room goes '
                "quiet and looks at you.",
                None,
            ),
            (
                "one-to-one",
                "Over coffee, Maria explains. In 2019 the process was imposed without the "
                "tooling it needed; releases slowed for months, and she was the one customers "
                'complained to. "Nobody asked the people who actually ship."',
                None,
            ),
            (
                "shutdown",
                "Over the next two weeks Maria follows the new process to the letter and no "
                "further. Two junior engineers repeat her doubts in private, and a release slips.",
                None,
            ),
            (
                "debate",
                "You answer each of Maria's points; she answers yours. Twenty minutes later the "
                "meeting has overrun, nothing is decided and the team has watched two senior "
                "people spar.",
                None,
            ),
            (
                "co-design",
                "Maria lists what would make it work: automated tests in the pipeline before "
                "the switch, and a rollback plan for the first month. She offers to draft the "
                "rollback plan herself.",
                None,
            ),
            (
                "end-advocate",
                "Maria presents the rollback plan at the next meeting. The juniors ask her "
                "questions, the first releases go out on time, and she starts coaching others on "
                "the new process.",
                "You treated the pushback as information. Maria's objection contained a real "
                "flaw (missing tooling) and a real cost (she carried the last failure). Hearing "
                "it privately, asking what would make it work and giving her a visible role "
                "turned your most credible critic into your most credible advocate.",
            ),
            (
                "end-compliance",
                "The process goes ahead as announced. Maria complies, the team follows her lead, "
                "and adoption stays half-hearted for months.",
                "You won the argument and lost the team's energy. Resistance that is overruled "
                "rather than explored goes underground. The concern behind it (tooling, the "
                "memory of 2019) was never addressed, so the risk it pointed to is still there.",
            ),
            (
                "end-escalation",
                "Your manager raises Maria's attitude with HR. Maria feels singled out and "
                "starts looking for another job; the team becomes guarded in meetings.",
                "Escalating a disagreement as a performance problem told everyone that "
                "challenge is unwelcome. Before escalating, find out what sits behind the "
                "pushback: it is usually information you need.",
            ),
        ],
        "choices": {
            "start": [
                (
                    "Thank Maria for raising it and ask to hear more after the meeting, one to "
                    "one.",
                    "one-to-one",
                    "You kept your composure, took her seriously and moved the conversation to "
                    "where it can be honest.",
                    True,
                    {SELF: 1, CHANGE_COMPETENCY: 1},
                ),
                (
                    "Say the decision has been made and move to the next item.",
                    "shutdown",
                    "Efficient in the moment, but the team hears that concerns are not welcome.",
                    False,
                    {CHANGE_COMPETENCY: -1, INFLUENCE: -1},
                ),
                (
                    "Answer her objections point by point, there and then.",
                    "debate",
                    "A public debate turns a concern into a contest that someone has to lose.",
                    False,
                    {SELF: -1, COLLAB: -1},
                ),
            ],
            "one-to-one": [
                (
                    '"What would have to be true for this to work this time?"',
                    "co-design",
                    "You invited her expertise into the solution instead of defending the plan.",
                    True,
                    {CHANGE_COMPETENCY: 2, COACH: 1},
                ),
                (
                    "Reassure her that this time is different because leadership is behind it.",
                    "end-compliance",
                    "Reassurance does not answer what went wrong in 2019; she hears that nothing "
                    "has been learned.",
                    False,
                    {INFLUENCE: -1},
                ),
            ],
            "shutdown": [
                (
                    "Book a one-to-one with Maria to understand her concerns.",
                    "one-to-one",
                    "A good recovery: it is not too late to listen.",
                    True,
                    {CHANGE_COMPETENCY: 1, SELF: 1},
                ),
                (
                    "Raise it with your manager as a performance issue.",
                    "end-escalation",
                    "You have turned a disagreement about a process into a judgement of a person.",
                    False,
                    {COLLAB: -2, CHANGE_COMPETENCY: -1},
                ),
            ],
            "debate": [
                (
                    "Stop, acknowledge her experience, and suggest continuing one to one.",
                    "one-to-one",
                    "Naming the stalemate and changing the setting is a strong recovery.",
                    True,
                    {SELF: 1},
                ),
                (
                    "Call for a show of hands to settle it.",
                    "end-compliance",
                    "A vote after a public argument produces winners and losers, not commitment.",
                    False,
                    {COLLAB: -1},
                ),
            ],
            "co-design": [
                (
                    "Ask Maria to present the rollback plan at the next team meeting, and add the "
                    "test automation to the plan.",
                    "end-advocate",
                    "You used her objection to improve the plan and gave her a visible role.",
                    True,
                    {CHANGE_COMPETENCY: 2, INFLUENCE: 1, COLLAB: 1},
                ),
                (
                    "Thank her, but keep the plan as announced to avoid delay.",
                    "end-compliance",
                    "She offered help and you declined it; the concern stays unaddressed.",
                    False,
                    {CHANGE_COMPETENCY: -1},
                ),
            ],
        },
    },
]


def _is_thin(module: Module) -> bool:
    body = module.body.strip()
    return not body or body == module.summary.strip()


def _seed_module(spec: dict[str, Any], competencies: dict[str, Competency]) -> Module:
    module = Module.objects.filter(title=spec["title"]).first()
    if module is not None and not _is_thin(module):
        return module  # an admin's edits win over the demo text
    if module is None:
        module = Module(title=spec["title"], status=Module.Status.PUBLISHED)
    module.summary = spec["summary"]
    module.body = spec["body"]
    module.minutes = spec["minutes"]
    module.format = spec["format"]
    module.difficulty = spec["difficulty"]
    module.is_core = spec.get("core", True)
    module.save()
    org_id = module.organization_id
    ModuleCompetency.objects.bulk_create(
        [
            ModuleCompetency(organization_id=org_id, module=module, competency=competencies[name])
            for name in spec["competencies"]
            if name in competencies
        ],
        ignore_conflicts=True,
    )
    ModuleTag.objects.bulk_create(
        [
            ModuleTag(organization_id=org_id, module=module, kind=kind, value=value)
            for kind, key in (("role", "roles"), ("function", "functions"), ("impact", "impacts"))
            for value in spec[key]
        ],
        ignore_conflicts=True,
    )
    kind, prompt = spec["practice"]
    PracticeTask.objects.update_or_create(module=module, defaults={"kind": kind, "prompt": prompt})
    if not RetrievalItem.objects.filter(module=module).exists():
        for position, (item_kind, text, competency, level, answer) in enumerate(spec["items"]):
            item = RetrievalItem.objects.create(
                module=module,
                kind=item_kind,
                prompt=text,
                competency=competencies.get(competency),
                difficulty=DIFFICULTY_LEVELS[level],
                model_answer=answer if item_kind == "free" else "",
                position=position,
            )
            if item_kind == "mc":
                RetrievalOption.objects.bulk_create(
                    [
                        RetrievalOption(
                            organization_id=org_id,
                            item=item,
                            text=option,
                            is_correct=correct,
                            feedback=feedback,
                            position=i,
                        )
                        for i, (option, correct, feedback) in enumerate(answer)
                    ]
                )
    return module


def _seed_scenario(spec: dict[str, Any], competencies: dict[str, Competency]) -> Scenario:
    existing = Scenario.objects.filter(title=spec["title"]).first()
    if existing is not None:
        return existing
    scenario = Scenario.objects.create(
        title=spec["title"],
        summary=spec["summary"],
        module=Module.objects.filter(title=spec["module"]).first(),
    )
    nodes = {
        key: ScenarioNode.objects.create(
            scenario=scenario,
            key=key,
            text=text,
            is_ending=debrief is not None,
            debrief=debrief or "",
            position=position,
        )
        for position, (key, text, debrief) in enumerate(spec["nodes"])
    }
    for key, choices in spec["choices"].items():
        for position, (text, target, feedback, effective, scores) in enumerate(choices):
            choice = ScenarioChoice.objects.create(
                node=nodes[key],
                text=text,
                next_node=nodes[target],
                feedback=feedback,
                is_effective=effective,
                position=position,
            )
            ChoiceScore.objects.bulk_create(
                [
                    ChoiceScore(
                        organization_id=scenario.organization_id,
                        choice=choice,
                        competency=competencies[name],
                        score=score,
                    )
                    for name, score in scores.items()
                    if name in competencies
                ]
            )
    scenario.start_node = nodes[spec["nodes"][0][0]]
    problems = check_scenario_tree(scenario)
    if problems:  # the demo text above is wrong: fail loudly rather than seed a broken tree
        raise ValueError("; ".join(p.message for p in problems))
    scenario.status = Scenario.Status.PUBLISHED
    scenario.save()
    return scenario


def seed_library(org: Organization) -> list[Module]:
    """Create (or complete) the demo modules and scenarios in ``org``; returns the modules.

    Must run inside ``tenant_context(org)``.
    """
    with transaction.atomic():
        competencies = {c.name: c for c in Competency.objects.all()}
        modules = [_seed_module(spec, competencies) for spec in DEMO_MODULES]
        for spec in DEMO_SCENARIOS:
            _seed_scenario(spec, competencies)
    return modules
