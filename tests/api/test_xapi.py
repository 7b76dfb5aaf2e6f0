"""xAPI: learners' and cohorts' statements, and the statement receiver."""

from __future__ import annotations

import re
import uuid

import pytest

from organizations.api_keys.services import do_create_key
from organizations.tenancy import tenant_context
from pathways import services
from pathways.learning.services import do_save_practice_answer
from pathways.models import ActivityEvent, PracticeTask, StepCompletion
from tests.conftest import count_queries, enroll, make_member, make_pathway

IRI = re.compile(r"^https?://[^\s/]+/\S*$")
VERSION = {"HTTP_X_EXPERIENCE_API_VERSION": "1.0.3"}


def assert_valid_statement(s: dict) -> None:
    """The xAPI 1.0.3 requirements a statement must meet (section 2.2 and 2.4)."""
    uuid.UUID(s["id"])
    actor = s["actor"]
    ifis = [k for k in ("mbox", "mbox_sha1sum", "openid", "account") if k in actor]
    assert ifis == ["account"], actor
    assert set(actor["account"]) == {"homePage", "name"} and IRI.match(actor["account"]["homePage"])
    assert IRI.match(s["verb"]["id"]) and s["verb"]["display"]
    assert s["object"]["objectType"] == "Activity" and IRI.match(s["object"]["id"])
    assert s["timestamp"].endswith("Z") and s["version"] == "1.0.3"
    if "result" in s and "score" in s["result"] and "scaled" in s["result"]["score"]:
        assert -1 <= s["result"]["score"]["scaled"] <= 1
    if "registration" in s.get("context", {}):
        uuid.UUID(s["context"]["registration"])


@pytest.fixture
def setup(org_a, org_b):
    fixture = make_pathway(org_a)
    learner = make_member(org_a, "lea@a.example", is_learner=True)
    admin = make_member(org_a, "admin@a.example", is_admin=True)
    enrollment = enroll(org_a, fixture, learner)
    with tenant_context(org_a):
        PracticeTask.objects.create(module=fixture.steps[0].module, prompt="What will you try?")
        services.do_complete_step(learner, enrollment.pk, fixture.steps[0].pk)
        do_save_practice_answer(learner, fixture.steps[0].module_id, "Ask before telling")
    return fixture, learner, admin, enrollment


def test_a_learner_downloads_their_record_as_valid_statements(client, org_a, setup):
    fixture, learner, _admin, enrollment = setup
    client.force_login(learner.user)
    with count_queries() as ctx:
        body = client.get(f"/api/v1/orgs/{org_a.slug}/me/xapi/statements/").json()
    verbs = [s["verb"]["id"].rsplit("/", 1)[1] for s in body["statements"]]
    assert verbs == ["completed", "answered"]
    for s in body["statements"]:
        assert_valid_statement(s)
    completed, answered = body["statements"]
    assert completed["object"]["id"].endswith(
        f"/o/{org_a.slug}/xapi/activities/module/{fixture.steps[0].module_id}"
    )
    assert completed["object"]["definition"]["name"]["en"] == fixture.steps[0].module.title
    assert completed["actor"]["account"]["name"] == str(learner.pk)
    assert "registration" in completed["context"]
    assert answered["result"]["response"] == "Ask before telling"
    with tenant_context(org_a):
        services.do_complete_step(learner, enrollment.pk, fixture.steps[1].pk)
    with count_queries() as more:
        client.get(f"/api/v1/orgs/{org_a.slug}/me/xapi/statements/")
    assert len(more.app_queries) == len(ctx.app_queries)
    download = client.get(f"/o/{org_a.slug}/learn/record.xapi.json")
    assert download["Content-Disposition"].startswith("attachment")
    assert len(download.json()["statements"]) == 3


def test_an_admin_exports_a_cohorts_completions_without_answers(client, org_a, org_b, setup):
    fixture, _learner, admin, _enrollment = setup
    client.force_login(admin.user)
    url = f"/api/v1/orgs/{org_a.slug}/cohorts/{fixture.cohort.pk}/xapi/statements/"
    body = client.get(url).json()
    assert [s["verb"]["display"]["en-US"] for s in body["statements"]] == ["completed"]
    assert "Ask before telling" not in str(body)
    for s in body["statements"]:
        assert_valid_statement(s)
    assert (
        client.get(f"/o/{org_a.slug}/cohorts/{fixture.cohort.pk}/statements.xapi.json").status_code
        == 200
    )
    other = make_pathway(org_b)
    assert (
        client.get(
            f"/api/v1/orgs/{org_a.slug}/cohorts/{other.cohort.pk}/xapi/statements/"
        ).status_code
        == 404
    )


def _statement(org, learner_pk, module_id, verb="completed", **extra):
    return {
        "actor": {
            "account": {"homePage": f"http://testserver/o/{org.slug}/", "name": str(learner_pk)}
        },
        "verb": {"id": f"http://adlnet.gov/expapi/verbs/{verb}"},
        "object": {"id": f"http://testserver/o/{org.slug}/xapi/activities/module/{module_id}"},
        **extra,
    }


def test_the_receiver_records_a_completion_as_the_browser_does(client, org_a, org_b, setup):
    fixture, learner, admin, enrollment = setup
    with tenant_context(org_a):
        key = do_create_key(admin, "Content", "read_write").plaintext
    auth = {"HTTP_AUTHORIZATION": f"Bearer {key}", **VERSION}
    url = f"/api/v1/orgs/{org_a.slug}/xapi/statements"
    sid = str(uuid.uuid4())
    statement = _statement(org_a, learner.pk, fixture.steps[1].module_id, id=sid)
    response = client.post(url, statement, "application/json", **auth)
    assert response.status_code == 200, response.json()
    assert response.json() == [sid]
    with tenant_context(org_a):
        assert StepCompletion.objects.filter(step_key=fixture.steps[1].key).exists()
    # The same statement again changes nothing (the fact is recorded once).
    client.post(url, statement, "application/json", **auth)
    with tenant_context(org_a):
        assert StepCompletion.objects.count() == 2
    answered = _statement(
        org_a, learner.pk, fixture.steps[0].module_id, "answered", result={"response": "Listen"}
    )
    assert client.post(url, [answered], "application/json", **auth).status_code == 200


def test_the_receiver_refuses_bad_statements_and_writes_nothing(client, org_a, org_b, setup):
    fixture, learner, admin, _enrollment = setup
    with tenant_context(org_a):
        key = do_create_key(admin, "Content", "read_write").plaintext
        read_only = do_create_key(admin, "BI", "read").plaintext
        before = ActivityEvent.objects.count()
    url = f"/api/v1/orgs/{org_a.slug}/xapi/statements"
    auth = {"HTTP_AUTHORIZATION": f"Bearer {key}", **VERSION}
    good = _statement(org_a, learner.pk, fixture.steps[1].module_id)
    unknown_verb = _statement(org_a, learner.pk, fixture.steps[1].module_id, "launched")
    unknown_activity = _statement(org_a, learner.pk, 999999)
    body = client.post(
        url, [good, unknown_verb, unknown_activity], "application/json", **auth
    ).json()
    assert body["status"] == 400
    assert {e["field"] for e in body["errors"]} == {"[1].verb.id", "[2].object.id"}
    other_org = make_pathway(org_b)
    foreign = _statement(org_a, learner.pk, other_org.steps[0].module_id)
    assert client.post(url, foreign, "application/json", **auth).status_code == 400
    no_version = client.post(url, good, "application/json", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert no_version.json()["errors"][0]["field"] == "X-Experience-API-Version"
    assert client.post(url, "[1,", "application/json", **auth).status_code == 400
    nul = _statement(
        org_a, learner.pk, fixture.steps[0].module_id, "answered", result={"response": "a\x00"}
    )
    assert client.post(url, nul, "application/json", **auth).status_code == 400
    assert (
        client.post(
            url, good, "application/json", HTTP_AUTHORIZATION=f"Bearer {read_only}", **VERSION
        ).status_code
        == 403
    )
    client.force_login(admin.user)
    assert client.post(url, good, "application/json", **VERSION).status_code == 403
    with tenant_context(org_a):
        assert ActivityEvent.objects.count() == before
