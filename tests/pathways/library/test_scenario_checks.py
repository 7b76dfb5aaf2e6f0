"""check_scenario_tree: every structural problem, named by node key; publishing refuses them."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from organizations.models import AuditEntry
from organizations.tenancy import tenant_context
from pathways.library import services
from pathways.models import (
    Scenario,
    ScenarioChoice,
    ScenarioDecision,
    ScenarioNode,
    ScenarioPlay,
)
from tests.conftest import make_member
from tests.pathways.library.conftest import make_competencies, make_tree


def _problems(org, scenario):
    with tenant_context(org):
        return [(p.code, p.node_key) for p in services.check_scenario_tree(scenario)]


def test_it_accepts_a_sound_branching_tree_whose_paths_meet_again(org_a, org_b):
    scenario = make_tree(
        org_a,
        {"a": ["b", "c"], "b": ["c", "good"], "c": ["bad", "good"], "good": None, "bad": None},
    )
    assert _problems(org_a, scenario) == []


def test_it_accepts_a_sound_branching_tree_with_a_loop_that_has_an_exit(org_a, org_b):
    """A "try again" loop: a play numbers its decisions, so a learner sent back decides again."""
    scenario = make_tree(
        org_a, {"a": ["b", "c"], "b": ["a", "good"], "c": ["bad"], "good": None, "bad": None}
    )
    assert _problems(org_a, scenario) == []
    with tenant_context(org_a):
        services.do_set_scenario_status(None, scenario, Scenario.Status.PUBLISHED)
        assert Scenario.objects.get(pk=scenario.pk).status == Scenario.Status.PUBLISHED


def test_it_accepts_a_choice_that_brings_the_learner_back_to_the_same_situation(org_a, org_b):
    scenario = make_tree(org_a, {"a": ["b"], "b": ["b", "end"], "end": None})
    assert _problems(org_a, scenario) == []


def test_it_names_a_loop_whose_only_way_on_leads_nowhere(org_a, org_b):
    """The loop's exit is a choice that leads nowhere: both are named, the loop as stuck."""
    scenario = make_tree(org_a, {"a": ["b", "end"], "b": ["c"], "c": ["b", ""], "end": None})
    assert _problems(org_a, scenario) == [("leads_nowhere", "c"), ("dead_loop", "b")]


def test_it_names_a_missing_start_node(org_a, org_b):
    scenario = make_tree(org_a, {"a": ["end"], "end": None}, start=None)
    assert _problems(org_a, scenario) == [("no_start", "")]


def test_it_refuses_an_empty_scenario(org_a, org_b):
    with tenant_context(org_a):
        scenario = Scenario.objects.create(title="Empty")
    assert [code for code, _ in _problems(org_a, scenario)] == ["no_start"]


def test_it_names_unreachable_nodes(org_a, org_b):
    scenario = make_tree(org_a, {"a": ["end"], "orphan": ["end"], "end": None})
    assert _problems(org_a, scenario) == [("unreachable", "orphan")]


def test_it_names_a_choice_that_leads_nowhere(org_a, org_b):
    scenario = make_tree(org_a, {"a": ["end", ""], "end": None})
    assert _problems(org_a, scenario) == [("leads_nowhere", "a")]


def test_it_names_a_situation_without_choices(org_a, org_b):
    scenario = make_tree(org_a, {"a": ["b", "end"], "b": [], "end": None})
    assert ("no_choices", "b") in _problems(org_a, scenario)


def test_it_names_an_ending_with_choices(org_a, org_b):
    scenario = make_tree(org_a, {"a": ["end"], "end": None})
    with tenant_context(org_a):
        end = ScenarioNode.objects.get(key="end")
        ScenarioChoice.objects.create(node=end, text="Carry on", next_node=end.scenario.start_node)
    assert _problems(org_a, scenario) == [("ending_with_choices", "end")]


def test_it_names_a_loop_with_no_way_out_to_an_ending(org_a, org_b):
    scenario = make_tree(org_a, {"a": ["b", "end"], "b": ["c"], "c": ["b"], "end": None})
    problems = _problems(org_a, scenario)
    assert problems == [("dead_loop", "b")]
    with tenant_context(org_a):
        [problem] = services.check_scenario_tree(scenario)
    assert "“b”, “c”" in problem.message


def test_it_names_a_node_that_loops_onto_itself(org_a, org_b):
    scenario = make_tree(org_a, {"a": ["a"], "end": None})
    assert ("dead_loop", "a") in _problems(org_a, scenario)
    assert ("unreachable", "end") in _problems(org_a, scenario)


def test_it_refuses_to_publish_a_broken_tree_and_changes_nothing(org_a, org_b):
    scenario = make_tree(org_a, {"a": ["end"], "orphan": ["end"], "end": None})
    with tenant_context(org_a):
        with pytest.raises(ValidationError) as exc:
            services.do_set_scenario_status(None, scenario, Scenario.Status.PUBLISHED)
        assert any("“orphan”" in m for m in exc.value.messages)
        scenario.refresh_from_db()
        assert scenario.status == Scenario.Status.DRAFT
        assert not AuditEntry.objects.filter(action="published").exists()


def test_it_publishes_a_sound_tree_and_audits_it(org_a, org_b):
    scenario = make_tree(org_a, {"a": ["end"], "end": None})
    with tenant_context(org_a):
        services.do_set_scenario_status(None, scenario, Scenario.Status.PUBLISHED)
        assert Scenario.objects.get(pk=scenario.pk).status == "published"
        assert AuditEntry.objects.filter(action="published", object_id=str(scenario.pk)).exists()


def test_it_refuses_an_edit_that_would_break_a_published_tree(org_a, org_b):
    scenario = make_tree(org_a, {"a": ["end"], "end": None})
    with tenant_context(org_a):
        services.do_set_scenario_status(None, scenario, Scenario.Status.PUBLISHED)
        with pytest.raises(ValidationError):
            services.do_save_node(None, scenario, None, key="stray", text="Nobody gets here")
        assert not ScenarioNode.objects.filter(key="stray").exists()
        end = ScenarioNode.objects.get(key="end")
        with pytest.raises(ValidationError):
            services.do_delete_node(None, end)
        assert ScenarioNode.objects.filter(key="end").exists()


def test_it_validates_nodes_and_choices_with_clear_messages(org_a, org_b):
    scenario = make_tree(org_a, {"a": ["end"], "end": None})
    [skill] = make_competencies(org_a, "Giving feedback")
    with tenant_context(org_a):
        with pytest.raises(ValidationError) as exc:
            services.do_save_node(None, scenario, None, key="a", text="Again")
        assert "already has a node “a”" in str(exc.value)
        with pytest.raises(ValidationError) as exc:
            services.do_save_node(None, scenario, None, key="x", text="An end", is_ending=True)
        assert "debrief" in exc.value.message_dict
        a = ScenarioNode.objects.get(key="a")
        end = ScenarioNode.objects.get(key="end")
        with pytest.raises(ValidationError) as exc:
            services.do_save_choice(
                None,
                a,
                None,
                services.ChoiceData(
                    text="Shout", next_node_id=end.pk, feedback="No.", scores={skill.pk: 3}
                ),
            )
        assert "scores" in exc.value.message_dict
        with pytest.raises(ValidationError) as exc:
            services.do_save_choice(
                None, end, None, services.ChoiceData(text="More", next_node_id=a.pk, feedback="x")
            )
        assert "ending" in str(exc.value)
        choice = services.do_save_choice(
            None,
            a,
            None,
            services.ChoiceData(
                text="Ask",
                next_node_id=end.pk,
                feedback="Good.",
                is_effective=True,
                scores={skill.pk: 2},
            ),
        )
        assert [(s.competency_id, s.score) for s in choice.scores.all()] == [(skill.pk, 2)]


def test_it_lets_a_choice_lead_back_to_its_own_situation(org_a, org_b):
    """ "Try again": the learner sees the feedback, then decides in the same situation again."""
    scenario = make_tree(org_a, {"a": ["end"], "end": None})
    with tenant_context(org_a):
        a = ScenarioNode.objects.get(scenario=scenario, key="a")
        services.do_save_choice(
            None,
            a,
            None,
            services.ChoiceData(text="Wait and see", next_node_id=a.pk, feedback="Nothing moves."),
        )
        assert sorted(a.choices.values_list("next_node__key", flat=True)) == ["a", "end"]
    assert _problems(org_a, scenario) == []


def test_it_refuses_a_next_node_from_another_scenario(org_a, org_b):
    first = make_tree(org_a, {"a": ["end"], "end": None}, title="First")
    make_tree(org_a, {"a": ["end"], "end": None}, title="Second")
    with tenant_context(org_a):
        a = ScenarioNode.objects.get(scenario=first, key="a")
        foreign = ScenarioNode.objects.exclude(scenario=first).get(key="end")
        with pytest.raises(ValidationError) as exc:
            services.do_save_choice(
                None, a, None, services.ChoiceData(text="Go", next_node_id=foreign.pk, feedback="x")
            )
        assert "next_node" in exc.value.message_dict


def test_it_audits_every_scenario_edit_with_before_and_after(org_a, org_b):
    with tenant_context(org_a):
        scenario = services.do_save_scenario(None, None, title="Audit me")
        start = services.do_save_node(None, scenario, None, key="start", text="Begin")
        end = services.do_save_node(
            None, scenario, None, key="end", text="Done", is_ending=True, debrief="Well done."
        )
        choice = services.do_save_choice(
            None, start, None, services.ChoiceData(text="Go", next_node_id=end.pk, feedback="Ok")
        )
        services.do_save_choice(
            None,
            start,
            choice,
            services.ChoiceData(text="Go now", next_node_id=end.pk, feedback="Ok"),
        )
        services.do_delete_choice(None, choice)
        entries = list(AuditEntry.objects.order_by("id").values_list("action", "object_type"))
        assert entries == [
            ("created", "Scenario"),
            ("created", "Scenario Node"),
            ("created", "Scenario Node"),
            ("created", "Scenario Choice"),
            ("updated", "Scenario Choice"),
            ("deleted", "Scenario Choice"),
        ]
        updated = AuditEntry.objects.get(action="updated")
        assert (updated.before["text"], updated.after["text"]) == ("Go", "Go now")
        scenario.refresh_from_db()
        assert scenario.start_node_id == start.pk  # the first node became the start


def test_it_keeps_choices_and_nodes_that_learners_have_chosen(org_a, org_b):
    """Decisions are learners' evidence: deleting what they chose would delete it."""
    scenario = make_tree(org_a, {"a": ["b", "b"], "b": ["end", "end"], "end": None})
    learner = make_member(org_a, "leo@a.example", is_learner=True)
    with tenant_context(org_a):
        services.do_set_scenario_status(None, scenario, Scenario.Status.PUBLISHED)
        a, b = ScenarioNode.objects.get(key="a"), ScenarioNode.objects.get(key="b")
        chosen, other = ScenarioChoice.objects.filter(node=a).order_by("position")
        play = ScenarioPlay.objects.create(learner=learner, scenario=scenario, current_node=b)
        ScenarioDecision.objects.create(play=play, sequence=1, node=a, choice=chosen)
        with pytest.raises(ValidationError, match="1 learner decision"):
            services.do_delete_choice(None, ScenarioChoice.objects.get(pk=chosen.pk))
        # Back in draft (as the refusal of a breaking edit suggests), the node is kept too.
        services.do_set_scenario_status(None, scenario, Scenario.Status.DRAFT)
        with pytest.raises(ValidationError, match="1 learner decision"):
            services.do_delete_node(None, ScenarioNode.objects.get(pk=a.pk))
        assert ScenarioDecision.objects.filter(play=play).count() == 1
        assert ScenarioChoice.objects.filter(pk=chosen.pk).exists()
        assert not AuditEntry.objects.filter(action="deleted").exists()
        # A choice nobody chose can still go.
        services.do_delete_choice(None, ScenarioChoice.objects.get(pk=other.pk))
        assert ScenarioDecision.objects.count() == 1
