"""The admin's API keys page: create (shown once), list, revoke; admins only, own org only."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from organizations.api_keys.services import do_create_key
from organizations.models import ApiKey
from organizations.tenancy import tenant_context
from tests.conftest import count_queries, make_member


def test_it_creates_a_key_and_shows_it_once(client, org_a, org_b):
    admin = make_member(org_a, "admin@a.example", is_admin=True)
    client.force_login(admin.user)
    url = f"/o/{org_a.slug}/api-keys/"
    response = client.post(url, {"name": "BI dashboard", "scope": "read"})
    html = response.content.decode()
    assert response.status_code == 200
    with tenant_context(org_a):
        key = ApiKey.objects.get()
    assert f'value="pw_{key.prefix}_' in html
    again = client.get(url).content.decode()
    assert f"pw_{key.prefix}_…" in again and f'value="pw_{key.prefix}_' not in again
    # The key works on the API at once.
    plaintext = html.split('value="')[1].split('"')[0]
    api = client.get(
        f"/api/v1/orgs/{org_a.slug}/competencies/", HTTP_AUTHORIZATION=f"Bearer {plaintext}"
    )
    assert api.status_code == 200


def test_it_puts_errors_next_to_the_fields(client, org_a, org_b):
    admin = make_member(org_a, "admin@a.example", is_admin=True)
    client.force_login(admin.user)
    url = f"/o/{org_a.slug}/api-keys/"
    client.post(url, {"name": "Sync", "scope": "read"})
    yesterday = (timezone.localdate() - dt.timedelta(days=1)).isoformat()
    html = client.post(url, {"name": "sync", "scope": "read", "expires_on": yesterday}).content
    text = html.decode()
    assert "A key with this name already exists." in text
    bad_scope = client.post(url, {"name": "Other", "scope": "admin"}).content.decode()
    assert "Select a valid choice" in bad_scope
    with tenant_context(org_a):
        assert ApiKey.objects.count() == 1


def test_it_revokes_a_key(client, org_a, org_b):
    admin = make_member(org_a, "admin@a.example", is_admin=True)
    with tenant_context(org_a):
        new = do_create_key(admin, "HRIS", "read_write")
    client.force_login(admin.user)
    response = client.post(f"/o/{org_a.slug}/api-keys/{new.key.pk}/revoke/")
    assert response.status_code == 302
    with tenant_context(org_a):
        assert ApiKey.objects.get().state() == "revoked"
    assert "Revoked" in client.get(f"/o/{org_a.slug}/api-keys/").content.decode()


def test_it_is_for_admins_of_this_organisation_only(client, org_a, org_b):
    admin_a = make_member(org_a, "admin@a.example", is_admin=True)
    with tenant_context(org_a):
        new = do_create_key(admin_a, "HRIS", "read")
    learner = make_member(org_a, "l@a.example", is_learner=True)
    client.force_login(learner.user)
    assert client.get(f"/o/{org_a.slug}/api-keys/").status_code == 404
    outsider = make_member(org_b, "admin@b.example", is_admin=True)
    client.force_login(outsider.user)
    assert client.get(f"/o/{org_a.slug}/api-keys/").status_code == 404
    assert client.post(f"/o/{org_b.slug}/api-keys/{new.key.pk}/revoke/").status_code == 404
    with tenant_context(org_a):
        assert ApiKey.objects.get().state() == "active"


def test_it_lists_keys_in_constant_queries(client, org_a, org_b):
    admin = make_member(org_a, "admin@a.example", is_admin=True)
    client.force_login(admin.user)

    def measure(n: int) -> int:
        with tenant_context(org_a):
            for i in range(n):
                do_create_key(admin, f"key {ApiKey.objects.count()} {i}", "read")
        with count_queries() as ctx:
            assert client.get(f"/o/{org_a.slug}/api-keys/").status_code == 200
        return len(ctx.app_queries)

    assert measure(1) == measure(5)
