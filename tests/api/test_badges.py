"""Open Badges 2.0: issued on finishing a pathway, verified through its public URLs, revoked
by an admin."""

from __future__ import annotations

import hashlib

import pytest

from organizations.tenancy import tenant_context
from pathways import services
from pathways.models import BadgeAssertion
from tests.conftest import count_queries, enroll, make_member, make_pathway


def _finish(org, fixture, learner, enrollment) -> BadgeAssertion:
    with tenant_context(org):
        for step in fixture.steps:
            services.do_complete_step(learner, enrollment.pk, step.pk)
        return BadgeAssertion.objects.get(enrollment=enrollment)


@pytest.fixture
def earned(org_a, org_b):
    fixture = make_pathway(org_a, n_steps=2)
    learner = make_member(org_a, "Lea@A.example", is_learner=True)
    enrollment = enroll(org_a, fixture, learner)
    return fixture, learner, enrollment, _finish(org_a, fixture, learner, enrollment)


def test_it_issues_one_badge_when_the_pathway_is_finished(org_a, org_b):
    fixture = make_pathway(org_a, n_steps=2)
    learner = make_member(org_a, "lea@a.example", is_learner=True)
    enrollment = enroll(org_a, fixture, learner)
    with tenant_context(org_a):
        services.do_complete_step(learner, enrollment.pk, fixture.steps[0].pk)
        assert not BadgeAssertion.objects.exists()
        services.do_complete_step(learner, enrollment.pk, fixture.steps[1].pk)
        services.do_complete_step(learner, enrollment.pk, fixture.steps[1].pk)
        assert BadgeAssertion.objects.count() == 1


def test_a_badge_verifies_by_fetching_its_urls(client, org_a, earned):
    _fixture, learner, _enrollment, badge = earned
    url = f"/badges/{org_a.slug}/assertions/{badge.uid}"
    doc = client.get(url).json()  # public: nobody is signed in
    assert doc["@context"] == "https://w3id.org/openbadges/v2" and doc["type"] == "Assertion"
    assert doc["id"] == f"http://testserver{url}"
    assert doc["verification"] == {"type": "hosted"}
    recipient = doc["recipient"]
    assert recipient["type"] == "email" and recipient["hashed"] is True
    expected = hashlib.sha256(("lea@a.example" + recipient["salt"]).encode()).hexdigest()
    assert recipient["identity"] == f"sha256${expected}"
    assert "lea@a.example" not in str(doc)
    badge_class = client.get(doc["badge"].removeprefix("http://testserver")).json()
    assert badge_class["type"] == "BadgeClass" and badge_class["id"] == doc["badge"]
    assert badge_class["name"] == "Leading Through Change" and badge_class["criteria"]["narrative"]
    image = client.get(badge_class["image"].removeprefix("http://testserver"))
    assert image["Content-Type"] == "image/svg+xml" and b"<svg" in image.content
    issuer = client.get(badge_class["issuer"].removeprefix("http://testserver")).json()
    assert issuer["type"] == "Issuer" and issuer["name"] == org_a.name
    assert issuer["id"] == badge_class["issuer"] and issuer["url"] and issuer["email"]


def test_an_admin_revokes_a_badge_and_the_assertion_says_so(client, org_a, org_b, earned):
    _fixture, _learner, _enrollment, badge = earned
    admin = make_member(org_a, "admin@a.example", is_admin=True)
    client.force_login(admin.user)
    url = f"/o/{org_a.slug}/badges/issued/{badge.pk}/revoke/"
    assert client.post(url, {"reason": ""}).status_code == 400
    assert client.post(url, {"reason": "Issued in error"}).status_code == 302
    client.logout()
    response = client.get(f"/badges/{org_a.slug}/assertions/{badge.uid}")
    assert response.status_code == 410
    assert response.json()["revoked"] is True
    assert response.json()["revocationReason"] == "Issued in error"


def test_the_learner_sees_and_downloads_their_badges(client, org_a, org_b, earned):
    fixture, learner, _enrollment, badge = earned
    client.force_login(learner.user)
    page = client.get(f"/o/{org_a.slug}/badges/").content.decode()
    assert fixture.version.pathway.name in page
    assert f"/badges/{org_a.slug}/assertions/{badge.uid}" in page
    download = client.get(f"/badges/{org_a.slug}/assertions/{badge.uid}?download=1")
    assert download["Content-Disposition"].startswith("attachment")
    body = client.get(f"/api/v1/orgs/{org_a.slug}/me/badges/").json()
    assert body[0]["assertion_url"].endswith(str(badge.uid)) and body[0]["revoked"] is False


def test_badges_stay_within_their_organisation(client, org_a, org_b, earned):
    _fixture, learner, _enrollment, badge = earned
    assert client.get(f"/badges/{org_b.slug}/assertions/{badge.uid}").status_code == 404
    assert client.get(f"/badges/{org_b.slug}/pathways/{badge.pathway_id}").status_code == 404
    assert client.get("/badges/no-such-org/issuer").status_code == 404
    outsider = make_member(org_b, "admin@b.example", is_admin=True)
    client.force_login(outsider.user)
    revoke = f"/o/{org_b.slug}/badges/issued/{badge.pk}/revoke/"
    assert client.post(revoke, {"reason": "x"}).status_code == 404
    with tenant_context(org_a):
        assert BadgeAssertion.objects.get().revoked_at is None


def test_the_issued_list_reads_in_constant_queries(client, org_a, org_b, earned):
    admin = make_member(org_a, "admin@a.example", is_admin=True)
    client.force_login(admin.user)

    def measure() -> int:
        with count_queries() as ctx:
            assert client.get(f"/o/{org_a.slug}/badges/issued/").status_code == 200
        return len(ctx.app_queries)

    one = measure()
    for i in range(3):
        fixture = make_pathway(org_a, n_steps=1, name=f"Pathway {i}")
        learner = make_member(org_a, f"l{i}@a.example", is_learner=True)
        _finish(org_a, fixture, learner, enroll(org_a, fixture, learner))
    assert measure() == one
