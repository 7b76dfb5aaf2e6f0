"""Retrieval items: multiple choice with per-option feedback, free recall with a model answer."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from organizations.tenancy import tenant_context
from pathways.library import services
from pathways.library.services import OptionData, RetrievalItemData
from pathways.models import RetrievalItem, RetrievalOption
from tests.pathways.library.conftest import make_competencies, make_module


def _mc(*options, **kw):
    return RetrievalItemData(kind="mc", prompt="Which is SBI?", options=list(options), **kw)


def _save(org, module, data, item=None):
    with tenant_context(org):
        return services.do_save_retrieval_item(None, module, item, data)


def _errors(org, module, data):
    with tenant_context(org), pytest.raises(ValidationError) as exc:
        services.do_save_retrieval_item(None, module, None, data)
    with tenant_context(org):
        assert RetrievalItem.objects.count() == 0
    return exc.value.message_dict


def test_it_needs_two_options_one_correct_and_feedback_on_each(org_a, org_b):
    module = make_module(org_a, "Feedback")
    only_one = _errors(org_a, module, _mc(OptionData("A", True, "Yes")))
    assert "at least two options" in " ".join(only_one["options"])
    none_correct = _errors(
        org_a, module, _mc(OptionData("A", False, "No"), OptionData("B", False, "No"))
    )
    assert "at least one option as correct" in " ".join(none_correct["options"])
    no_feedback = _errors(
        org_a, module, _mc(OptionData("A", True, "Yes"), OptionData("B", False, ""))
    )
    assert "Option 2" in " ".join(no_feedback["options"])
    seven = _errors(org_a, module, _mc(*[OptionData(str(i), i == 0, "f") for i in range(7)]))
    assert "at most six" in " ".join(seven["options"])


def test_it_stores_options_in_order_and_allows_several_correct(org_a, org_b):
    module = make_module(org_a, "Feedback")
    [skill] = make_competencies(org_a, "Giving feedback")
    item = _save(
        org_a,
        module,
        _mc(
            OptionData("Situation", True, "Yes: where and when."),
            OptionData("", False, ""),  # a blank row is ignored
            OptionData("Blame", False, "No: blame invites defence."),
            OptionData("Impact", True, "Yes: the effect."),
            competency_id=skill.pk,
            level="hard",
        ),
    )
    with tenant_context(org_a):
        assert list(
            RetrievalOption.objects.filter(item=item).values_list("text", "is_correct")
        ) == [
            ("Situation", True),
            ("Blame", False),
            ("Impact", True),
        ]
        item.refresh_from_db()
        assert (item.difficulty, item.competency_id) == (1.0, skill.pk)


def test_it_needs_a_model_answer_for_free_recall(org_a, org_b):
    module = make_module(org_a, "Feedback")
    errors = _errors(org_a, module, RetrievalItemData(kind="free", prompt="Name the three parts."))
    assert "model_answer" in errors
    item = _save(
        org_a,
        module,
        RetrievalItemData(
            kind="free",
            prompt="Name the three parts.",
            model_answer="Situation, behaviour, impact.",
            level="easy",
            options=[OptionData("ignored", True, "x")],
        ),
    )
    with tenant_context(org_a):
        assert item.options.count() == 0
        assert item.difficulty == -1.0


def test_it_maps_levels_to_elo_difficulty_and_keeps_learned_difficulty_unless_changed(org_a, org_b):
    module = make_module(org_a, "Feedback")
    data = _mc(OptionData("A", True, "Yes"), OptionData("B", False, "No"), level="medium")
    item = _save(org_a, module, data)
    assert item.difficulty == 0.0
    with tenant_context(org_a):
        RetrievalItem.objects.filter(pk=item.pk).update(difficulty=0.3, difficulty_updates=12)
        item.refresh_from_db()
    item = _save(org_a, module, data, item)  # still "medium": the learned value stays
    assert (item.difficulty, item.difficulty_updates) == (0.3, 12)
    data.level = "hard"
    item = _save(org_a, module, data, item)
    assert (item.difficulty, item.difficulty_updates) == (1.0, 0)


def test_it_refuses_another_organisations_competency(org_a, org_b):
    module = make_module(org_a, "Feedback")
    [foreign] = make_competencies(org_b, "Globex only")
    errors = _errors(
        org_a,
        module,
        _mc(OptionData("A", True, "Y"), OptionData("B", False, "N"), competency_id=foreign.pk),
    )
    assert "competency" in errors
