"""The API's shared base: API keys, error bodies, ETags, the schema and its offline docs."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.utils import timezone

from measurement.models import CostLine
from organizations.api_keys.services import do_create_key, do_revoke_key
from organizations.models import ApiKey, AuditEntry, Membership
from organizations.tenancy import tenant_context
from tests.conftest import enroll, make_member, make_pathway


def _key(org, admin, scope="read", **kwargs):
    with tenant_context(org):
        return do_create_key(admin, kwargs.pop("name", "HRIS sync"), scope, **kwargs)


def _auth(plaintext: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {plaintext}"}


@pytest.fixture
def admins(org_a, org_b):
    return (
        make_member(org_a, "admin@a.example", is_admin=True),
        make_member(org_b, "admin@b.example", is_admin=True),
    )


def test_it_stores_only_a_hash_of_the_key(org_a, admins):
    new = _key(org_a, admins[0])
    with tenant_context(org_a):
        stored = ApiKey.objects.get()
    assert new.plaintext.startswith(f"pw_{stored.prefix}_")
    secret = new.plaintext.split("_", 2)[2]
    assert secret not in stored.secret_sha256 and len(stored.secret_sha256) == 64


def test_it_answers_404_to_a_key_of_another_organisation(client, org_a, org_b, admins):
    other = _key(org_b, admins[1])
    response = client.get(f"/api/v1/orgs/{org_a.slug}/me/enrollments/", **_auth(other.plaintext))
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_it_answers_404_to_an_unknown_or_forged_key(client, org_a, admins):
    new = _key(org_a, admins[0])
    forged = new.plaintext[:-4] + "abcd"
    for value in (forged, "pw_nothing_here", "pw_"):
        response = client.get(f"/api/v1/orgs/{org_a.slug}/me/enrollments/", **_auth(value))
        assert response.status_code == 404, value


def test_it_refuses_a_revoked_key_saying_so(client, org_a, admins):
    new = _key(org_a, admins[0])
    with tenant_context(org_a):
        do_revoke_key(admins[0], new.key.pk)
    response = client.get(f"/api/v1/orgs/{org_a.slug}/me/enrollments/", **_auth(new.plaintext))
    assert response.status_code == 401
    assert response.json() == {
        "status": 401,
        "code": "key_revoked",
        "detail": "This API key has been revoked.",
    }


def test_it_refuses_an_expired_key_saying_so(client, org_a, admins):
    new = _key(org_a, admins[0], expires_at=timezone.now() + dt.timedelta(days=1))
    with tenant_context(org_a):
        ApiKey.objects.filter(pk=new.key.pk).update(expires_at=timezone.now())
    response = client.get(f"/api/v1/orgs/{org_a.slug}/me/enrollments/", **_auth(new.plaintext))
    assert response.status_code == 401
    assert response.json()["code"] == "key_expired"


def test_it_stops_a_key_whose_creator_is_no_longer_admin(client, org_a, admins):
    new = _key(org_a, admins[0])
    with tenant_context(org_a):
        type(admins[0]).objects.filter(pk=admins[0].pk).update(is_admin=False)
    response = client.get(f"/api/v1/orgs/{org_a.slug}/me/enrollments/", **_auth(new.plaintext))
    assert response.status_code == 401
    assert response.json()["code"] == "key_owner_inactive"


def test_it_refuses_any_write_with_a_read_only_key(client, org_a, admins):
    new = _key(org_a, admins[0], scope="read")
    url = f"/api/v1/orgs/{org_a.slug}/me/enrollments/1/complete-step/"
    response = client.post(url, {"step_id": 1}, "application/json", **_auth(new.plaintext))
    assert response.status_code == 403
    assert response.json()["code"] == "key_read_only"


def test_a_key_acts_only_as_an_admin(client, org_a, admins):
    # The creator is also a learner, but a key never reaches learner endpoints.
    with tenant_context(org_a):
        type(admins[0]).objects.filter(pk=admins[0].pk).update(is_learner=True)
    new = _key(org_a, admins[0], scope="read_write")
    response = client.get(f"/api/v1/orgs/{org_a.slug}/me/enrollments/", **_auth(new.plaintext))
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def test_it_records_when_a_key_was_last_used(client, org_a, admins):
    new = _key(org_a, admins[0])
    client.get(f"/api/v1/orgs/{org_a.slug}/me/enrollments/", **_auth(new.plaintext))
    with tenant_context(org_a):
        assert ApiKey.objects.get().last_used_at is not None


def test_it_audits_every_write_made_with_a_key(client, org_a, admins):
    new = _key(org_a, admins[0], scope="read_write")
    url = f"/api/v1/orgs/{org_a.slug}/me/enrollments/1/complete-step/"
    client.post(url, {"step_id": 1}, "application/json", **_auth(new.plaintext))
    with tenant_context(org_a):
        entry = AuditEntry.objects.filter(action="api_write").get()
    assert entry.object_repr == "HRIS sync"
    assert entry.after == {"method": "POST", "path": url, "status": 403}


def test_it_names_the_field_in_error_bodies(client, org_a, org_b):
    fixture = make_pathway(org_a)
    learner = make_member(org_a, "l@a.example", is_learner=True)
    enrollment = enroll(org_a, fixture, learner)
    client.force_login(learner.user)
    url = f"/api/v1/orgs/{org_a.slug}/me/enrollments/{enrollment.pk}/complete-step/"
    body = client.post(url, {"step_id": "many"}, "application/json").json()
    assert body["status"] == 400 and body["code"] == "invalid"
    assert body["errors"] == [
        {"field": "step_id", "code": "invalid", "message": "A valid integer is required."}
    ]
    malformed = client.post(url, "{not json", "application/json")
    assert malformed.status_code == 400 and malformed.json()["code"] == "parse_error"
    huge = client.post(url, {"step_id": 10**30}, "application/json").json()
    assert huge["errors"][0]["field"] == "step_id"


def test_it_answers_304_when_the_etag_matches(client, org_a, org_b):
    fixture = make_pathway(org_a)
    learner = make_member(org_a, "l@a.example", is_learner=True)
    enroll(org_a, fixture, learner)
    client.force_login(learner.user)
    url = f"/api/v1/orgs/{org_a.slug}/me/enrollments/"
    first = client.get(url)
    etag = first["ETag"]
    assert etag.startswith('W/"')
    again = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again.content == b""
    assert client.get(url, HTTP_IF_NONE_MATCH='W/"other"').status_code == 200


def test_it_answers_json_for_an_unknown_api_path(client, org_a, org_b):
    member = make_member(org_a, "l@a.example", is_learner=True)
    client.force_login(member.user)
    response = client.get(f"/api/v1/orgs/{org_a.slug}/no-such-thing/")
    assert response.status_code == 404 and response.json()["code"] == "not_found"


def test_the_schema_validates_without_warnings(tmp_path):
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    text = out.read_text()
    assert "/api/v1/orgs/{org_slug}/me/enrollments/" in text
    assert "bearer" in text


def test_the_docs_are_served_without_a_cdn(client, db):
    schema = client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200 and schema.json()["openapi"].startswith("3.")
    for url, asset in (
        ("/api/v1/docs/", "drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js"),
        ("/api/v1/redoc/", "drf_spectacular_sidecar/redoc/bundles/redoc.standalone.js"),
    ):
        html = client.get(url).content.decode()
        assert asset in html, url
        assert "https://" not in html.replace("https://json-schema", ""), url
        assert "nonce=" in html


def test_keys_can_be_created_only_by_admins(org_a, org_b):
    learner = make_member(org_a, "l@a.example", is_learner=True)
    with tenant_context(org_a), pytest.raises(Exception, match="Only an HR admin"):
        do_create_key(learner, "x", "read")


def test_it_throttles_each_key_on_its_own(client, org_a, admins, monkeypatch):
    from django.core.cache import cache

    from organizations.api_plumbing import ApiKeyRateThrottle

    cache.clear()
    monkeypatch.setattr(ApiKeyRateThrottle, "THROTTLE_RATES", {"api_key": "2/min"})
    busy = _key(org_a, admins[0], name="Busy")
    calm = _key(org_a, admins[0], name="Calm")
    url = f"/api/v1/orgs/{org_a.slug}/frameworks/"
    assert [client.get(url, **_auth(busy.plaintext)).status_code for _ in range(3)] == [
        200,
        200,
        429,
    ]
    refused = client.get(url, **_auth(busy.plaintext))
    assert refused.json()["code"] == "throttled" and int(refused["Retry-After"]) > 0
    assert client.get(url, **_auth(calm.plaintext)).status_code == 200
    cache.clear()


def test_nul_characters_in_parameters_never_reach_the_database(client, org_a, admins):
    # One middleware (organizations.middleware.InputHygieneMiddleware) removes control
    # characters from every query and form parameter: the search runs on what remains.
    client.force_login(admins[0].user)
    response = client.get(f"/api/v1/orgs/{org_a.slug}/people/", {"q": "a\x00b"})
    assert response.status_code == 200
    assert response.json()["results"] == []
    assert client.get(f"/o/{org_a.slug}/people/", {"q": "\x00"}).status_code == 200


def test_it_refuses_unknown_fields_by_name_and_writes_nothing(client, org_a, admins):
    client.force_login(admins[0].user)
    fixture = make_pathway(org_a)
    base = f"/api/v1/orgs/{org_a.slug}/costs/"
    typo = client.post(
        base,
        {"cohort": fixture.cohort.pk, "category": "travel", "ammount": "5"},
        "application/json",
    )
    assert typo.status_code == 400
    assert typo.json()["errors"] == [
        {
            "field": "ammount",
            "code": "unknown_field",
            "message": "Unknown field: this endpoint does not take it.",
        }
    ]
    nested = client.post(
        f"/api/v1/orgs/{org_a.slug}/people/sync/",
        {"people": [{"email": "a@example.org", "name": "A", "employee_id": "7"}]},
        "application/json",
    )
    assert nested.status_code == 400
    assert [e["field"] for e in nested.json()["errors"]] == ["people[0].employee_id"]
    with tenant_context(org_a):
        assert not CostLine.objects.exists()
        assert not Membership.objects.filter(user__email="a@example.org").exists()
