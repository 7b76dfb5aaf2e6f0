"""Retrieval practice through the API: the due card, answering it, and who may."""

from __future__ import annotations

from organizations.tenancy import tenant_context
from pathways import services
from pathways.models import RetrievalItem, RetrievalOption, ReviewLog
from tests.conftest import enroll, make_member, make_pathway


def _due_card(org):
    fixture = make_pathway(org, n_steps=1)
    learner = make_member(org, f"lea@{org.slug}.example", is_learner=True)
    enrollment = enroll(org, fixture, learner)
    with tenant_context(org):
        item = RetrievalItem.objects.create(module=fixture.steps[0].module, prompt="First move?")
        right = RetrievalOption.objects.create(item=item, text="Ask", is_correct=True)
        RetrievalOption.objects.create(item=item, text="Tell", position=1)
        services.do_complete_step(learner, enrollment.pk, fixture.steps[0].pk)
    return learner, right


def test_a_learner_answers_the_due_card_once(client, org_a, org_b):
    learner, right = _due_card(org_a)
    client.force_login(learner.user)
    url = f"/api/v1/orgs/{org_a.slug}/me/reviews/"
    body = client.get(url).json()
    assert body["due"] == 1 and body["card"]["kind"] == "mc"
    assert {o["text"] for o in body["card"]["options"]} == {"Ask", "Tell"}
    assert "is_correct" not in str(body)  # the answer is not given away
    card = body["card"]
    answer = {"ticket": card["ticket"], "option_id": right.pk}
    result = client.post(f"{url}{card['id']}/answer/", answer, "application/json").json()
    assert result["correct"] is True and result["replayed"] is False
    again = client.post(f"{url}{card['id']}/answer/", answer, "application/json").json()
    assert again["replayed"] is True
    with tenant_context(org_a):
        assert ReviewLog.objects.count() == 1
    assert client.get(url).json()["due"] == 0


def test_bad_answers_and_other_organisations_are_refused(client, org_a, org_b):
    learner, right = _due_card(org_a)
    intruder, _ = _due_card(org_b)
    client.force_login(learner.user)
    url = f"/api/v1/orgs/{org_a.slug}/me/reviews/"
    card = client.get(url).json()["card"]
    forged = client.post(
        f"{url}{card['id']}/answer/", {"ticket": "x", "option_id": right.pk}, "application/json"
    )
    assert forged.status_code == 400 and forged.json()["detail"]
    client.force_login(intruder.user)
    stolen = client.post(
        f"/api/v1/orgs/{org_b.slug}/me/reviews/{card['id']}/answer/",
        {"ticket": card["ticket"], "option_id": right.pk},
        "application/json",
    )
    assert stolen.status_code == 404
    assert client.get(url).status_code == 404  # not a member of A
    with tenant_context(org_a):
        assert not ReviewLog.objects.exists()
