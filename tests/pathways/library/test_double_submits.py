"""The library's other add forms: a second submit of the same question or choice adds nothing
(the parent row serialises two saves at once; the second finds the first)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from organizations.tenancy import tenant_context
from pathways.library import services
from pathways.models import RetrievalItem, ScenarioChoice, ScenarioNode
from tests.conftest import make_member, requires_postgres
from tests.pathways.library.conftest import make_module, make_tree
from tests.races import race

QUESTION = services.RetrievalItemData(
    kind="mc",
    prompt="What do you ask first?",
    options=[
        services.OptionData("What is blocking you?", True, "Opens the conversation."),
        services.OptionData("Why?", False, "Sounds like blame."),
    ],
)


def test_a_second_submit_of_a_question_adds_nothing(org_a, org_b):
    module = make_module(org_a, "Ask first")
    other = make_module(org_a, "Listen well")
    with tenant_context(org_a):
        services.do_save_retrieval_item(None, module, None, QUESTION)
        with pytest.raises(ValidationError) as refused:
            services.do_save_retrieval_item(None, module, None, QUESTION)
        services.do_save_retrieval_item(None, other, None, QUESTION)  # another module: fine
        assert RetrievalItem.objects.filter(module=module).count() == 1
    assert refused.value.message_dict == {"prompt": ["This module already asks this question."]}


def test_a_double_submit_of_the_choice_form_adds_one_choice(client, org_a, org_b):
    admin = make_member(org_a, "ada@a.example", is_admin=True)
    scenario = make_tree(org_a, {"a": [], "b": None})
    with tenant_context(org_a):
        start, end = ScenarioNode.objects.order_by("position")
    client.force_login(admin.user)
    url = f"/o/{org_a.slug}/library/scenarios/{scenario.pk}/nodes/{start.pk}/choices/new/"
    data = {
        "choice-text": "Ask what is blocking",
        "choice-next_node": str(end.pk),
        "choice-feedback": "Curiosity first.",
    }
    assert client.post(url, data).status_code == 302
    again = client.post(url, data)
    assert "This situation already offers this choice." in again.content.decode()
    with tenant_context(org_a):
        assert list(ScenarioChoice.objects.values_list("text", flat=True)) == [
            "Ask what is blocking"
        ]


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_two_submits_of_a_question_at_once_add_one(org_a, org_b):
    module = make_module(org_a, "Ask first")

    def save():
        return services.do_save_retrieval_item(None, module, None, QUESTION)

    outcome = race(org_a, save, save)
    assert isinstance(outcome, ValidationError), outcome
    with tenant_context(org_a):
        assert RetrievalItem.objects.count() == 1
