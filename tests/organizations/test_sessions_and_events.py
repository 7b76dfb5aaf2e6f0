"""Security events (recorded, visible only to the right people) and sessions (list, sign out
everywhere, the organisation's idle timeout)."""

from __future__ import annotations

import datetime as dt

from django.test import Client
from django.urls import reverse
from django.utils import timezone
from freezegun import freeze_time

from organizations.models import Organization, SecurityEvent, UserSession
from organizations.tenancy import tenant_context
from tests.conftest import PASSWORD, count_queries, make_member


def _browser(email: str, ip: str) -> Client:
    browser = Client(HTTP_USER_AGENT=f"Browser at {ip}", REMOTE_ADDR=ip)
    response = browser.post(reverse("login"), {"username": email, "password": PASSWORD})
    assert response.status_code == 302
    return browser


def test_it_lists_a_persons_sessions_and_signs_out_everywhere_else(org_a, org_b):
    make_member(org_a, "leo@acme.example", is_learner=True)
    laptop = _browser("leo@acme.example", "192.0.2.1")
    phone = _browser("leo@acme.example", "192.0.2.2")
    tablet = _browser("leo@acme.example", "192.0.2.3")
    page = laptop.get("/accounts/security/").content.decode()
    assert "Signed in on 3 browsers" in page
    assert "Browser at 192.0.2.2" in page and "this browser" in page
    assert laptop.post("/accounts/security/sign-out-everywhere/").status_code == 302
    assert phone.get(f"/o/{org_a.slug}/").status_code == 302  # sent to sign in
    assert tablet.get(f"/o/{org_a.slug}/").status_code == 302
    assert laptop.get(f"/o/{org_a.slug}/").status_code == 200
    assert UserSession.objects.count() == 1
    assert SecurityEvent.objects.get(kind="signed_out_everywhere").detail == {"sessions": 2}


def test_it_ends_one_session_but_never_anothers(org_a, org_b):
    leo = make_member(org_a, "leo@acme.example", is_learner=True)
    make_member(org_b, "eve@globex.example", is_learner=True)
    laptop = _browser("leo@acme.example", "192.0.2.1")
    _browser("leo@acme.example", "192.0.2.2")
    eve = _browser("eve@globex.example", "192.0.2.9")
    eves_session = UserSession.objects.get(user__email="eve@globex.example")
    assert laptop.post(f"/accounts/security/sessions/{eves_session.pk}/end/").status_code == 404
    assert eve.get(f"/o/{org_b.slug}/").status_code == 200
    phone = UserSession.objects.get(user=leo.user, ip_address="192.0.2.2")
    laptop.post(f"/accounts/security/sessions/{phone.pk}/end/")
    assert not UserSession.objects.filter(pk=phone.pk).exists()


def test_changing_the_password_signs_out_the_other_browsers(org_a, org_b):
    make_member(org_a, "leo@acme.example", is_learner=True)
    laptop = _browser("leo@acme.example", "192.0.2.1")
    phone = _browser("leo@acme.example", "192.0.2.2")
    new = "Another-Secret-42"
    laptop.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": new, "new_password2": new},
    )
    assert phone.get(f"/o/{org_a.slug}/").status_code == 302
    assert laptop.get(f"/o/{org_a.slug}/").status_code == 200
    assert UserSession.objects.count() == 1
    assert SecurityEvent.objects.filter(kind="password_changed").count() == 1


def test_an_organisation_signs_out_idle_members(client, org_a, org_b, admin_a):
    leo = make_member(org_a, "leo@acme.example", is_learner=True)
    client.force_login(admin_a.user)
    response = client.post(
        f"/o/{org_a.slug}/security/", {"session_idle_minutes": "30", "mfa_required": "nobody"}
    )
    assert response.status_code == 302
    org_a.refresh_from_db()
    assert org_a.session_idle_minutes == 30
    start = timezone.now()
    with freeze_time(start) as clock:
        client.force_login(leo.user)
        assert client.get(f"/o/{org_a.slug}/").status_code == 200
        clock.tick(dt.timedelta(minutes=29))
        assert client.get(f"/o/{org_a.slug}/").status_code == 200  # activity restarts the clock
        clock.tick(dt.timedelta(minutes=29))
        assert client.get(f"/o/{org_a.slug}/").status_code == 200
        clock.tick(dt.timedelta(minutes=31))
        response = client.get(f"/o/{org_a.slug}/")
        assert response.status_code == 302 and response.url.startswith("/accounts/login/")
        assert "_auth_user_id" not in client.session
    assert SecurityEvent.objects.filter(kind="session_idle", organization=org_a).exists()


def test_it_refuses_an_idle_timeout_out_of_range(client, org_a, org_b, admin_a):
    client.force_login(admin_a.user)
    page = client.post(
        f"/o/{org_a.slug}/security/", {"session_idle_minutes": "1", "mfa_required": "nobody"}
    )
    assert page.status_code == 200 and "greater than or equal to 5" in page.content.decode()
    org_a.refresh_from_db()
    assert org_a.session_idle_minutes is None


def test_admins_see_their_members_events_and_nothing_from_other_organisations(
    org_a, org_b, admin_a
):
    make_member(org_a, "leo@acme.example", is_learner=True)
    cora = make_member(org_a, "cora@both.example", is_coach=True, is_learner=True)
    make_member(org_b, "cora@both.example", is_coach=True, is_learner=True)
    make_member(org_b, "eve@globex.example", is_learner=True)
    _browser("leo@acme.example", "192.0.2.1")
    _browser("eve@globex.example", "192.0.2.66")
    cora_browser = _browser("cora@both.example", "192.0.2.7")
    cora_browser.post(f"/o/{org_b.slug}/role/", {"role": "learner"})  # inside Globex
    Client(REMOTE_ADDR="192.0.2.1").post(
        reverse("login"), {"username": "leo@acme.example", "password": "wrong"}
    )
    admin = Client()
    admin.force_login(admin_a.user)
    page = admin.get(f"/o/{org_a.slug}/security/events/").content.decode()
    assert "Leo" in page and "Sign-in failed" in page and "Cora" in page
    assert "192.0.2.66" not in page and "Eve" not in page
    assert "Switched role" not in page  # Cora's switch happened in Globex
    with tenant_context(org_a):
        assert SecurityEvent.objects.filter(kind="role_switched", user=cora.user).count() == 1
    # A learner cannot see the organisation's events; another organisation's admin gets 404.
    leo = Client()
    leo.force_login(cora.user)
    assert leo.get(f"/o/{org_a.slug}/security/events/").status_code == 404
    outsider = make_member(org_b, "boss@globex.example", is_admin=True)
    other = Client()
    other.force_login(outsider.user)
    assert other.get(f"/o/{org_a.slug}/security/events/").status_code == 404
    assert other.get(f"/o/{org_a.slug}/security/").status_code == 404


def test_a_person_sees_only_their_own_events(org_a, org_b):
    make_member(org_a, "leo@acme.example", is_learner=True)
    make_member(org_b, "eve@globex.example", is_learner=True)
    Client(REMOTE_ADDR="192.0.2.66").post(
        reverse("login"), {"username": "eve@globex.example", "password": "wrong"}
    )
    leo = _browser("leo@acme.example", "192.0.2.1")
    page = leo.get("/accounts/security/").content.decode()
    assert "Signed in" in page and "192.0.2.1" in page
    assert "192.0.2.66" not in page and "Sign-in failed" not in page


def test_the_event_pages_take_a_fixed_number_of_queries(client, org_a, org_b, admin_a):
    make_member(org_a, "leo@acme.example", is_learner=True)

    def measure() -> tuple[int, int]:
        client.force_login(admin_a.user)
        with count_queries() as org_page:
            assert client.get(f"/o/{org_a.slug}/security/events/").status_code == 200
        with count_queries() as own_page:
            assert client.get("/accounts/security/").status_code == 200
        return len(org_page.app_queries), len(own_page.app_queries)

    small = measure()
    for i in range(12):
        Client(REMOTE_ADDR=f"192.0.2.{i}").post(
            reverse("login"), {"username": "leo@acme.example", "password": f"wrong{i}"}
        )
        _browser("admin@a.example", f"198.51.100.{i}")
    assert measure() == small


def test_the_demo_security_data_is_idempotent(org_a, org_b):
    from django.core.management import call_command

    for _ in range(2):
        call_command("seed_demo", learners=0, stdout=open("/dev/null", "w"))  # noqa: SIM115
        assert SecurityEvent.objects.filter(detail={"demo": True}).count() == 8
    acme = Organization.objects.get(slug="acme")
    assert (acme.session_idle_minutes, acme.retention_days) == (240, 730)


def test_the_organisations_events_page_newest_first_without_counting_them(
    client, org_a, org_b, admin_a
):
    """50 a page through the time index: a next page exists when a 51st row does; no total."""
    leo = make_member(org_a, "leo@acme.example", is_learner=True)
    eve = make_member(org_b, "eve@globex.example", is_learner=True)
    start = timezone.now() - dt.timedelta(days=1)
    SecurityEvent.objects.bulk_create(
        [
            SecurityEvent(
                kind="signed_in",
                user=leo.user,
                ip_address=f"192.0.2.{i}",
                created_at=start + dt.timedelta(minutes=i),
            )
            for i in range(55)
        ]
        + [SecurityEvent(kind="signed_in", user=eve.user, ip_address="198.51.100.9")]
    )
    client.force_login(admin_a.user)
    url = f"/o/{org_a.slug}/security/events/"
    with count_queries() as first_queries:
        first = client.get(url).content.decode()
    assert "192.0.2.54<" in first and "192.0.2.0<" not in first  # newest first
    assert "198.51.100.9" not in first
    assert 'rel="next"' in first and "page=2" in first and "1–50 · page 1" in first
    second = client.get(url, {"page": 2}).content.decode()
    assert "192.0.2.0<" in second and "192.0.2.54<" not in second
    assert 'rel="prev"' in second and 'rel="next"' not in second and "51–" in second
    # A stale link past the end shows the first page; nonsense is page 1.
    assert "192.0.2.54" in client.get(url, {"page": 9}).content.decode()
    assert "192.0.2.54" in client.get(url, {"page": "x"}).content.decode()
    with count_queries() as second_queries:
        client.get(url, {"page": 2})
    assert len(second_queries.app_queries) == len(first_queries.app_queries)
