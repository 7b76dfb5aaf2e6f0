"""Small builders for scenario and practice tests (real rows, no mocks)."""

from __future__ import annotations

from dataclasses import dataclass

from competencies.models import Competency, Framework
from organizations.models import Organization
from organizations.tenancy import tenant_context
from pathways.models import (
    ChoiceScore,
    Module,
    ModuleCompetency,
    RetrievalItem,
    RetrievalOption,
    Scenario,
    ScenarioChoice,
    ScenarioNode,
)


@dataclass
class ScenarioFixture:
    scenario: Scenario
    coaching: Competency
    delegation: Competency
    start: ScenarioNode
    middle: ScenarioNode
    good_end: ScenarioNode
    bad_end: ScenarioNode
    ask: ScenarioChoice  # start -> middle, effective, Coaching +2
    tell: ScenarioChoice  # start -> middle, Coaching -1, Delegation -1
    plan: ScenarioChoice  # middle -> good end, effective, Coaching +1, Delegation +2
    take_back: ScenarioChoice  # middle -> bad end, Delegation -2


def make_competencies(org: Organization, names: list[str]) -> list[Competency]:
    with tenant_context(org):
        framework, _ = Framework.objects.get_or_create(name="Leadership")
        return [
            Competency.objects.get_or_create(
                framework=framework, name=name, defaults={"position": i}
            )[0]
            for i, name in enumerate(names)
        ]


def make_scenario(
    org: Organization,
    title: str = "The struggling report",
    status: str = Scenario.Status.PUBLISHED,
) -> ScenarioFixture:
    coaching, delegation = make_competencies(org, ["Coaching and developing others", "Delegation"])
    with tenant_context(org):
        scenario = Scenario.objects.create(
            title=title, summary="Sam has missed two deadlines.", status=status
        )
        start = ScenarioNode.objects.create(
            scenario=scenario,
            key="start",
            text="Sam has missed two deadlines this month.",
            position=0,
        )
        middle = ScenarioNode.objects.create(
            scenario=scenario,
            key="middle",
            text="Sam admits the workload feels unclear.",
            position=1,
        )
        good_end = ScenarioNode.objects.create(
            scenario=scenario,
            key="good-end",
            text="Sam delivers the next milestone early.",
            is_ending=True,
            debrief="Asking first and agreeing a plan Sam owns built commitment.",
            position=2,
        )
        bad_end = ScenarioNode.objects.create(
            scenario=scenario,
            key="bad-end",
            text="You finish the work yourself, late at night.",
            is_ending=True,
            debrief="Taking the task back solves today and weakens tomorrow.",
            position=3,
        )
        scenario.start_node = start
        scenario.save()
        ask = ScenarioChoice.objects.create(
            node=start,
            text="Ask Sam what is getting in the way",
            next_node=middle,
            feedback="Sam opens up.",
            is_effective=True,
            position=0,
        )
        tell = ScenarioChoice.objects.create(
            node=start,
            text="Tell Sam exactly what to do",
            next_node=middle,
            feedback="Sam nods but looks flat.",
            position=1,
        )
        plan = ScenarioChoice.objects.create(
            node=middle,
            text="Agree a plan Sam owns",
            next_node=good_end,
            feedback="Sam proposes two changes.",
            is_effective=True,
            position=0,
        )
        take_back = ScenarioChoice.objects.create(
            node=middle,
            text="Take the task back",
            next_node=bad_end,
            feedback="Relief for Sam, more work for you.",
            position=1,
        )
        for choice, competency, score in [
            (ask, coaching, 2),
            (tell, coaching, -1),
            (tell, delegation, -1),
            (plan, coaching, 1),
            (plan, delegation, 2),
            (take_back, delegation, -2),
        ]:
            ChoiceScore.objects.create(choice=choice, competency=competency, score=score)
    return ScenarioFixture(
        scenario, coaching, delegation, start, middle, good_end, bad_end, ask, tell, plan, take_back
    )


def make_items(
    org: Organization,
    competency: Competency,
    difficulties: list[float],
    kind: str = RetrievalItem.Kind.MULTIPLE_CHOICE,
    module_status: str = Module.Status.PUBLISHED,
    title: str = "Coaching basics",
    tag_module: bool = True,
    item_competency: bool = True,
) -> list[RetrievalItem]:
    with tenant_context(org):
        module = Module.objects.create(title=title, status=module_status)
        if tag_module:
            ModuleCompetency.objects.create(module=module, competency=competency)
        items = []
        for i, b in enumerate(difficulties):
            item = RetrievalItem.objects.create(
                module=module,
                competency=competency if item_competency else None,
                kind=kind,
                prompt=f"Question {i + 1} on {competency.name}",
                model_answer="Ask, listen, then agree the next step.",
                difficulty=b,
                position=i,
            )
            if kind == RetrievalItem.Kind.MULTIPLE_CHOICE:
                RetrievalOption.objects.create(
                    item=item,
                    text="Ask an open question",
                    is_correct=True,
                    feedback="Open questions invite ownership.",
                    position=0,
                )
                RetrievalOption.objects.create(
                    item=item,
                    text="Give the answer",
                    feedback="Telling keeps you the owner.",
                    position=1,
                )
            items.append(item)
    return items


def add_try_again(org: Organization, fx: ScenarioFixture) -> ScenarioChoice:
    """A "try again" loop: a weak option at the middle situation that leads back to the start
    (Delegation −1). The loop has a way out (the other middle options), so it is a sound tree."""
    with tenant_context(org):
        back = ScenarioChoice.objects.create(
            node=fx.middle,
            text="Promise to think it over",
            next_node=fx.start,
            feedback="Sam is none the wiser; you are back where you started.",
            position=2,
        )
        ChoiceScore.objects.create(choice=back, competency=fx.delegation, score=-1)
    return back
