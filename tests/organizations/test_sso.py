"""Single sign-on per organisation (OpenID Connect through allauth) against a provider stub
this test serves itself on 127.0.0.1: just-in-time accounts, domain rules, password sign-in
switched off, and accounts no provider may take over."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

import jwt
import pytest
from allauth.socialaccount.models import SocialAccount, SocialApp
from django.test import Client
from django.urls import reverse

from organizations.accounts.mfa import VERIFIED_KEY
from organizations.models import Membership, OrganizationSSO, SecurityEvent, User
from organizations.tenancy import tenant_context
from tests.conftest import PASSWORD, make_member

CLIENT_ID = "pathwise-client"
CLIENT_SECRET = "s3cret-from-the-idp"


class ProviderStub:
    """A minimal OpenID Connect provider: discovery, token and userinfo endpoints."""

    def __init__(self) -> None:
        self.claims: dict[str, Any] = {}
        self.token_requests: list[dict[str, list[str]]] = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _json(self, data: dict[str, Any]) -> None:
                body = json.dumps(data).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                if self.path.startswith("/.well-known/openid-configuration"):
                    self._json(
                        {
                            "issuer": stub.issuer,
                            "authorization_endpoint": f"{stub.issuer}/authorize",
                            "token_endpoint": f"{stub.issuer}/token",
                            "userinfo_endpoint": f"{stub.issuer}/userinfo",
                            "jwks_uri": f"{stub.issuer}/jwks",
                            "token_endpoint_auth_methods_supported": ["client_secret_post"],
                        }
                    )
                elif self.path.startswith("/userinfo"):
                    self._json(stub.claims)
                else:
                    self.send_response(404)
                    self.end_headers()

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                form = parse_qs(self.rfile.read(length).decode())
                stub.token_requests.append(form)
                if form.get("client_secret") != [CLIENT_SECRET]:
                    self.send_response(401)
                    self.end_headers()
                    return
                now = int(time.time())
                id_token = jwt.encode(
                    {"iss": stub.issuer, "aud": CLIENT_ID, "iat": now, "exp": now + 300}
                    | stub.claims,
                    "stub-signing-key-not-checked-over-direct-tls",
                    algorithm="HS256",
                )
                self._json(
                    {
                        "access_token": "at-" + form["code"][0],
                        "token_type": "Bearer",
                        "expires_in": 300,
                        "id_token": id_token,
                    }
                )

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.issuer = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def provider() -> Iterator[ProviderStub]:
    stub = ProviderStub()
    yield stub
    stub.close()


def _configure(client: Client, org, admin, provider: ProviderStub, **overrides: Any):
    client.force_login(admin.user)
    data = {
        "issuer": provider.issuer,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "domains": "acme-corp.test, acme.example",
        "default_role": "learner",
        "is_active": "on",
    } | overrides
    response = client.post(f"/o/{org.slug}/security/sso/", data)
    client.logout()
    return response


def _sign_in_with_provider(client: Client, provider: ProviderStub, email: str, **claims: Any):
    provider.claims = {"sub": f"sub-{email}", "email": email, "email_verified": True} | claims
    start = client.post(reverse("sso_start"), {"email": email})
    assert start.status_code == 302, start.content.decode()[:500]
    authorize = urlparse(start.url)
    assert f"{authorize.scheme}://{authorize.netloc}" == provider.issuer
    query = parse_qs(authorize.query)
    callback = urlparse(query["redirect_uri"][0]).path
    return client.get(callback, {"code": "code-1", "state": query["state"][0]})


def test_an_admin_configures_single_sign_on_for_their_organisation(
    client, org_a, org_b, admin_a, provider
):
    assert _configure(client, org_a, admin_a, provider).status_code == 302
    sso = OrganizationSSO.objects.get(organization=org_a)
    assert sso.social_app.provider == "openid_connect"
    assert sso.social_app.settings == {"server_url": provider.issuer}
    assert sorted(sso.domains.values_list("domain", flat=True)) == [
        "acme-corp.test",
        "acme.example",
    ]
    # The page never shows the secret back.
    client.force_login(admin_a.user)
    page = client.get(f"/o/{org_a.slug}/security/sso/").content.decode()
    assert CLIENT_SECRET not in page and CLIENT_ID in page
    # Another organisation cannot claim the same domain, nor open this page.
    admin_b = make_member(org_b, "boss@globex.example", is_admin=True)
    clash = _configure(client, org_b, admin_b, provider, domains="acme-corp.test")
    assert "already served by another single sign-on" in clash.content.decode()
    client.force_login(admin_b.user)
    assert client.get(f"/o/{org_a.slug}/security/sso/").status_code == 404


def test_a_new_person_joins_just_in_time(client, org_a, org_b, admin_a, provider):
    _configure(client, org_a, admin_a, provider, default_role="coach")
    response = _sign_in_with_provider(client, provider, "nina@acme-corp.test", name="Nina Novak")
    assert response.status_code == 302, response.content.decode()[:800]
    user = User.objects.get(email="nina@acme-corp.test")
    assert user.full_name == "Nina Novak" and not user.has_usable_password()
    with tenant_context(org_a):
        membership = Membership.objects.get(user=user)
        assert membership.roles == ["coach"]
    assert provider.token_requests[0]["client_id"] == [CLIENT_ID]
    assert client.session.get(VERIFIED_KEY) is True
    assert client.get(f"/o/{org_a.slug}/").status_code == 200
    kinds = set(SecurityEvent.objects.filter(user=user).values_list("kind", flat=True))
    assert {"sso_account_created", "sso_signed_in", "signed_in"} <= kinds
    # The second time the same account signs in; nothing new is created.
    client.logout()
    _sign_in_with_provider(Client(), provider, "nina@acme-corp.test")
    assert User.objects.filter(email="nina@acme-corp.test").count() == 1
    assert SocialAccount.objects.filter(user=user).count() == 1


def test_an_existing_member_signs_in_through_it(client, org_a, org_b, admin_a, provider):
    leo = make_member(org_a, "leo@acme.example", is_learner=True)
    _configure(client, org_a, admin_a, provider)
    response = _sign_in_with_provider(client, provider, "leo@acme.example")
    assert response.status_code == 302
    assert client.get(f"/o/{org_a.slug}/").status_code == 200
    assert SocialAccount.objects.get(user=leo.user).provider == "pathwise-acme-t"


def test_no_provider_takes_over_an_account_another_organisation_holds(
    client, org_a, org_b, admin_a, provider
):
    make_member(org_b, "sam@acme.example", is_admin=True)  # Globex's, not Acme's
    _configure(client, org_a, admin_a, provider)
    response = _sign_in_with_provider(client, provider, "sam@acme.example")
    assert response.status_code == 403
    assert "already have a Pathwise account" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert not SocialAccount.objects.exists()
    assert SecurityEvent.objects.filter(kind="sso_refused").exists()


def test_it_refuses_an_address_outside_the_organisations_domains(
    client, org_a, org_b, admin_a, provider
):
    _configure(client, org_a, admin_a, provider)
    provider.claims = {"sub": "x", "email": "mallory@elsewhere.test", "email_verified": True}
    start = client.post(reverse("sso_start"), {"email": "eve@acme-corp.test"})
    query = parse_qs(urlparse(start.url).query)
    callback = urlparse(query["redirect_uri"][0]).path
    response = client.get(callback, {"code": "c", "state": query["state"][0]})
    assert response.status_code == 403
    assert not User.objects.filter(email="mallory@elsewhere.test").exists()
    page = client.post(reverse("sso_start"), {"email": "someone@nowhere.test"})
    assert "No organisation signs in this address" in page.content.decode()


def test_password_sign_in_can_be_switched_off_for_the_domains(
    client, org_a, org_b, admin_a, provider
):
    make_member(org_a, "leo@acme.example", is_learner=True)
    make_member(org_a, "ann@partner.example", is_learner=True)
    _configure(client, org_a, admin_a, provider, password_sign_in_disabled="on")
    page = client.post(reverse("login"), {"username": "leo@acme.example", "password": PASSWORD})
    assert (
        page.status_code == 200
        and "signs you in with its own single sign-on" in page.content.decode()
    )
    assert "_auth_user_id" not in client.session
    other = client.post(reverse("login"), {"username": "ann@partner.example", "password": PASSWORD})
    assert other.status_code == 302
    assert SocialApp.objects.count() == 1


def test_a_cancelled_or_failed_sign_in_lands_on_our_page(client, org_a, org_b, admin_a, provider):
    _configure(client, org_a, admin_a, provider)
    start = client.post(reverse("sso_start"), {"email": "nina@acme-corp.test"})
    query = parse_qs(urlparse(start.url).query)
    callback = urlparse(query["redirect_uri"][0]).path
    response = client.get(
        callback, {"error": "access_denied", "state": query["state"][0]}, follow=True
    )
    assert response.status_code == 400
    assert "cancelled signing in with your organisation" in response.content.decode()
    assert "_auth_user_id" not in client.session
