"""Recommending a module to a colleague, and dismissing it from one's home."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from organizations.tenancy import tenant_context
from pathways.models import Module, Recommendation
from pathways.social import queries, services
from tests.conftest import make_member
from tests.pathways.social.helpers import make_module

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(org_a, org_b):
    return {
        "module": make_module(org_a, "Feedback that lands", minutes=12),
        "sender": make_member(org_a, "ada@a.example", is_learner=True),
        "recipient": make_member(org_a, "ben@a.example", is_learner=True),
        "coach": make_member(org_a, "cora@a.example", is_coach=True),
        "outsider": make_member(org_b, "olga@b.example", is_learner=True),
    }


def _errors(exc: pytest.ExceptionInfo) -> dict:
    return exc.value.message_dict


def test_it_recommends_a_module_that_appears_on_the_recipients_home(org_a, people):
    with tenant_context(org_a):
        services.do_recommend(
            people["sender"], people["recipient"].pk, people["module"].pk, " Worth it. "
        )
        [shown] = queries.recommendations_for(people["recipient"])
        assert (shown.module_title, shown.sender, shown.note, shown.module_minutes) == (
            "Feedback that lands",
            "Ada",
            "Worth it.",
            12,
        )
        assert queries.recommendations_for(people["sender"]) == []


@pytest.mark.parametrize(
    ("who", "field"),
    [
        ("sender", "recipient"),
        ("coach", "recipient"),
        ("outsider", "recipient"),
        (None, "recipient"),
    ],
)
def test_it_refuses_a_recipient_who_is_not_a_colleague_learner(org_a, people, who, field):
    recipient_id = people[who].pk if who else None
    with tenant_context(org_a):
        with pytest.raises(ValidationError) as exc:
            services.do_recommend(people["sender"], recipient_id, people["module"].pk, "")
        assert field in _errors(exc)
        assert not Recommendation.objects.exists()


def test_it_refuses_a_note_that_is_too_long(org_a, people):
    with tenant_context(org_a):
        with pytest.raises(ValidationError) as exc:
            services.do_recommend(
                people["sender"], people["recipient"].pk, people["module"].pk, "x" * 501
            )
        assert "500 characters" in _errors(exc)["note"][0]
        assert not Recommendation.objects.exists()


def test_it_refuses_a_duplicate_recommendation_with_a_clear_message(org_a, people):
    with tenant_context(org_a):
        services.do_recommend(people["sender"], people["recipient"].pk, people["module"].pk, "")
        with pytest.raises(ValidationError) as exc:
            services.do_recommend(
                people["sender"], people["recipient"].pk, people["module"].pk, "Again"
            )
        assert "already recommended “Feedback that lands” to Ben" in _errors(exc)["recipient"][0]
        assert Recommendation.objects.count() == 1


def test_it_refuses_to_recommend_a_draft_module(org_a, people):
    draft = make_module(org_a, "Draft", status=Module.Status.DRAFT)
    with tenant_context(org_a), pytest.raises(Module.DoesNotExist):
        services.do_recommend(people["sender"], people["recipient"].pk, draft.pk, "")


def test_it_dismisses_a_recommendation_only_for_its_recipient(client, org_a, people):
    with tenant_context(org_a):
        rec = services.do_recommend(
            people["sender"], people["recipient"].pk, people["module"].pk, ""
        )
    url = f"/o/{org_a.slug}/recommendations/{rec.pk}/dismiss/"
    client.force_login(people["sender"].user)
    assert client.post(url).status_code == 404
    client.force_login(people["recipient"].user)
    assert client.post(url, HTTP_HX_REQUEST="true").status_code == 200
    assert client.post(url).status_code == 302  # twice is harmless
    with tenant_context(org_a):
        assert queries.recommendations_for(people["recipient"]) == []
        assert Recommendation.objects.get().dismissed_at is not None


def test_it_recommends_through_the_form_and_shows_errors_beside_the_field(client, org_a, people):
    client.force_login(people["sender"].user)
    url = f"/o/{org_a.slug}/catalogue/modules/{people['module'].pk}/recommend/"
    page = client.get(url).content.decode()
    assert "Ben" in page and f'value="{people["sender"].pk}"' not in page
    response = client.post(url, {"recipient": people["recipient"].pk, "note": "Try it"})
    assert response.status_code == 302
    response = client.post(url, {"recipient": people["recipient"].pk, "note": "Again"})
    assert response.status_code == 200 and "already recommended" in response.content.decode()
    with tenant_context(org_a):
        assert Recommendation.objects.count() == 1


def test_it_gives_404_for_another_organisations_recommendation(client, org_a, org_b, people):
    with tenant_context(org_a):
        rec = services.do_recommend(
            people["sender"], people["recipient"].pk, people["module"].pk, ""
        )
    client.force_login(people["outsider"].user)
    url = f"/o/{org_b.slug}/recommendations/{rec.pk}/dismiss/"
    assert client.post(url).status_code == 404
    with tenant_context(org_b):
        assert queries.recommendations_for(people["outsider"]) == []
    with tenant_context(org_a):
        assert Recommendation.objects.get().dismissed_at is None
