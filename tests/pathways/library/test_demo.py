"""seed_library: a rich, idempotent demo library that the demo pathway reuses."""

from __future__ import annotations

from competencies.demo import DEMO_COMPETENCIES, seed_framework
from organizations.tenancy import tenant_context
from pathways.demo import STAGES
from pathways.library.demo import seed_library
from pathways.library.services import check_scenario_tree
from pathways.models import (
    ChoiceScore,
    Module,
    ModuleCompetency,
    PracticeTask,
    RetrievalItem,
    RetrievalOption,
    Scenario,
    ScenarioNode,
)


def _counts():
    return [
        m.objects.count()
        for m in (
            Module,
            ModuleCompetency,
            PracticeTask,
            RetrievalItem,
            RetrievalOption,
            Scenario,
            ScenarioNode,
            ChoiceScore,
        )
    ]


def test_it_seeds_twenty_rich_modules_and_two_sound_scenarios_idempotently(org_a, org_b):
    with tenant_context(org_a):
        seed_framework(org_a)
        seed_library(org_a)
        first = _counts()
        seed_library(org_a)
        assert _counts() == first
        modules = list(Module.objects.all())
        assert len(modules) >= 20
        for module in modules:
            words = len(module.body.split())
            assert 150 <= words <= 320, (module.title, words)
            assert module.minutes <= 15
            assert module.practice_tasks.count() == 1
            assert 2 <= module.retrieval_items.count() <= 3
        assert {title for _s, steps in STAGES for title, _sum, _m in steps} <= {
            m.title for m in modules
        }
        linked = set(ModuleCompetency.objects.values_list("competency__name", flat=True))
        assert linked == set(DEMO_COMPETENCIES)
        scenarios = list(Scenario.objects.all())
        assert {s.title for s in scenarios} == {
            "The missed deadline",
            "A resistant senior team member",
        }
        for scenario in scenarios:
            assert scenario.status == "published"
            assert 5 <= scenario.nodes.count() <= 8
            assert check_scenario_tree(scenario) == []
    with tenant_context(org_b):
        assert Module.objects.count() == 0


def test_it_fills_a_thin_pathway_module_but_keeps_an_admins_edit(org_a, org_b):
    with tenant_context(org_a):
        Module.objects.create(title="Feedback that lands", summary="SBI.", body="SBI.")
        Module.objects.create(title="Ask before you tell", summary="Q.", body="Our own text.")
        seed_library(org_a)
        assert (
            "Situation, behaviour, impact" in Module.objects.get(title="Feedback that lands").body
        )
        assert Module.objects.get(title="Ask before you tell").body == "Our own text."


def test_it_seeds_without_a_competency_framework(org_a, org_b):
    with tenant_context(org_a):
        seed_library(org_a)
        assert Module.objects.count() >= 20
        assert ModuleCompetency.objects.count() == 0
        assert Scenario.objects.filter(status="published").count() == 2
