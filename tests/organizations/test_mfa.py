"""Two-step sign-in (allauth's TOTP and recovery codes behind our e-mail sign-in): enrolment,
sign-in with a code and with a recovery code, and organisations that require it."""

from __future__ import annotations

import time

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from freezegun import freeze_time

from organizations.accounts import mfa
from organizations.models import Organization, SecurityEvent
from tests.conftest import PASSWORD, make_member


@pytest.fixture(autouse=True)
def _fresh_replay_markers():
    cache.clear()  # allauth remembers used codes in the cache
    # One fixed 30-second window, so a code computed here is the one the server expects.
    with freeze_time("2026-12-05 12:00:05"):
        yield
    cache.clear()


def _code(secret: str, step: int = 0) -> str:
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30 + step))


def _enrol(client: Client) -> tuple[str, list[str]]:
    page = client.get(reverse("mfa_settings"))
    assert page.status_code == 200 and "<svg" in page.content.decode()
    secret = client.session[mfa.SETUP_KEY]
    response = client.post(reverse("mfa_settings"), {"code": _code(secret)})
    assert "Keep these recovery codes" in response.content.decode()
    return secret, list(response.context["codes"])


def _password_step(client: Client, email: str, next_url: str = ""):
    data = {"username": email, "password": PASSWORD}
    if next_url:
        data["next"] = next_url
    return client.post(reverse("login"), data)


def test_a_person_turns_on_totp_and_signs_in_with_a_code(client, org_a, org_b):
    leo = make_member(org_a, "leo@acme.example", is_learner=True)
    client.force_login(leo.user)
    secret, codes = _enrol(client)
    assert len(codes) == 10
    stored = Authenticator.objects.get(user=leo.user, type="totp")
    assert secret not in str(stored.data)  # encrypted at rest
    assert SecurityEvent.objects.filter(kind="mfa_enabled", user=leo.user).exists()
    client.logout()

    cache.clear()  # the enrolment code was used; the sign-in below uses the same window
    response = _password_step(client, "leo@acme.example", f"/o/{org_a.slug}/")
    assert response.status_code == 302 and response.url.startswith("/accounts/login/code/")
    assert "_auth_user_id" not in client.session  # not signed in after the password alone
    wrong = client.post(response.url, {"code": "000000"})
    assert "That code is not right" in wrong.content.decode()
    assert SecurityEvent.objects.filter(kind="mfa_failed", user=leo.user).count() == 1
    done = client.post(response.url, {"code": _code(secret)})
    assert done.status_code == 302 and done.url == f"/o/{org_a.slug}/"
    assert client.get(f"/o/{org_a.slug}/").status_code == 200


def test_a_totp_code_works_only_once(client, org_a, org_b):
    leo = make_member(org_a, "leo@acme.example", is_learner=True)
    client.force_login(leo.user)
    secret, _codes = _enrol(client)
    client.logout()
    code = _code(secret, step=0)
    first = Client()
    assert _password_step(first, "leo@acme.example").status_code == 302
    assert first.post(reverse("mfa_sign_in"), {"code": code}).status_code == 302
    second = Client()
    _password_step(second, "leo@acme.example")
    page = second.post(reverse("mfa_sign_in"), {"code": code})
    assert page.status_code == 200 and "_auth_user_id" not in second.session


def test_a_recovery_code_signs_in_once(client, org_a, org_b):
    leo = make_member(org_a, "leo@acme.example", is_learner=True)
    client.force_login(leo.user)
    _secret, codes = _enrol(client)
    client.logout()
    _password_step(client, "leo@acme.example")
    assert client.post(reverse("mfa_sign_in"), {"code": codes[3]}).status_code == 302
    assert SecurityEvent.objects.filter(kind="recovery_code_used", user=leo.user).exists()
    again = Client()
    _password_step(again, "leo@acme.example")
    assert again.post(reverse("mfa_sign_in"), {"code": codes[3]}).status_code == 200
    assert again.post(reverse("mfa_sign_in"), {"code": codes[4]}).status_code == 302


def test_wrong_codes_count_towards_the_lockout(client, org_a, org_b):
    leo = make_member(org_a, "leo@acme.example", is_learner=True)
    client.force_login(leo.user)
    secret, _codes = _enrol(client)
    client.logout()
    _password_step(client, "leo@acme.example")
    for _ in range(10):
        client.post(reverse("mfa_sign_in"), {"code": "123456"})
    page = client.post(reverse("mfa_sign_in"), {"code": _code(secret)}).content.decode()
    assert "Too many attempts" in page and "_auth_user_id" not in client.session


def test_the_second_step_expires(client, org_a, org_b):
    make_member(org_a, "leo@acme.example", is_learner=True)
    assert client.get(reverse("mfa_sign_in")).status_code == 302  # nobody half signed in


def test_an_organisation_requires_it_of_its_admins(client, org_a, org_b, admin_a):
    Organization.objects.filter(pk=org_a.pk).update(mfa_required="admins")
    leo = make_member(org_a, "leo@acme.example", is_learner=True)
    # A learner is not asked.
    learner = Client()
    learner.force_login(leo.user)
    assert learner.get(f"/o/{org_a.slug}/").status_code == 200
    # The admin is led to set it up at sign-in, and every page of the organisation waits.
    response = _password_step(client, "admin@a.example")
    assert response.status_code == 302 and response.url.startswith("/accounts/security/two-step/")
    page = client.get(f"/o/{org_a.slug}/people/")
    assert page.status_code == 302 and page.url.startswith("/accounts/security/two-step/")
    api = client.get(f"/api/v1/orgs/{org_a.slug}/me/enrollments/")
    assert api.status_code == 403 and api.json()["code"] == "mfa_required"  # the API's error shape
    secret, _codes = _enrol(client)
    assert client.get(f"/o/{org_a.slug}/people/").status_code == 200
    # While required it cannot be turned off.
    client.post(reverse("mfa_disable"), {"code": _code(secret, step=0)})
    assert Authenticator.objects.filter(user=admin_a.user, type="totp").exists()


def test_a_session_from_before_the_requirement_confirms_a_code(client, org_a, org_b, admin_a):
    client.force_login(admin_a.user)
    secret, _codes = _enrol(client)
    other = Client()
    other.force_login(admin_a.user)  # signed in without the second step
    Organization.objects.filter(pk=org_a.pk).update(mfa_required="everyone")
    assert other.get(f"/o/{org_a.slug}/").status_code == 302
    page = other.get(reverse("mfa_settings")).content.decode()
    assert "Confirm it is you" in page
    other.post(reverse("mfa_settings"), {"code": _code(secret, step=0)})
    assert other.get(f"/o/{org_a.slug}/").status_code == 200


def test_an_admin_sets_the_requirement_for_their_organisation_only(client, org_a, org_b, admin_a):
    client.force_login(admin_a.user)
    response = client.post(
        f"/o/{org_a.slug}/security/", {"mfa_required": "everyone", "session_idle_minutes": ""}
    )
    assert response.status_code == 302
    org_a.refresh_from_db()
    org_b.refresh_from_db()
    assert (org_a.mfa_required, org_b.mfa_required) == ("everyone", "nobody")


def test_a_person_turns_it_off_with_a_code(client, org_a, org_b):
    leo = make_member(org_a, "leo@acme.example", is_learner=True)
    client.force_login(leo.user)
    secret, _codes = _enrol(client)
    client.post(reverse("mfa_disable"), {"code": "999999"})
    assert Authenticator.objects.filter(user=leo.user).exists()
    client.post(reverse("mfa_disable"), {"code": _code(secret, step=0)})
    assert not Authenticator.objects.filter(user=leo.user).exists()
    assert SecurityEvent.objects.filter(kind="mfa_disabled", user=leo.user).exists()
