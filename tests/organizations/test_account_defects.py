"""The four account defects of issue 12, each with a test that failed before the fix:
another organisation's admin editing a shared account, no login throttling, NUL in parameters,
and production HTTPS settings."""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
from pathlib import Path

from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from freezegun import freeze_time

from organizations.accounts import tasks as account_tasks
from organizations.models import AuditEntry, Invitation, Membership, SecurityEvent
from organizations.people.invitations import make_token
from organizations.tenancy import tenant_context
from tests.conftest import PASSWORD, make_member, requires_postgres

BASE_DIR = Path(__file__).resolve().parents[2]


def _person_form(**overrides):
    return {"name": "Sam Sponsor", "email": "sponsor@globex.test", "roles": ["sponsor"]} | overrides


# --- 1. One account across organisations that no tenant can alter ---------------------------


def test_an_admin_cannot_rename_an_account_that_also_belongs_elsewhere(
    client, org_a, org_b, admin_a
):
    shared = make_member(org_a, "sponsor@globex.test", is_sponsor=True)
    make_member(org_b, "sponsor@globex.test", is_admin=True)
    client.force_login(admin_a.user)
    page = client.post(
        f"/o/{org_a.slug}/people/{shared.pk}/", _person_form(name="Renamed By Acme")
    ).content.decode()
    assert "only they can change its name and e-mail address" in page
    shared.user.refresh_from_db()
    assert shared.user.full_name == "Sponsor"
    # Acme's own details of the person (roles, title) can still change.
    response = client.post(
        f"/o/{org_a.slug}/people/{shared.pk}/",
        _person_form(name="Sponsor", job_title="Board sponsor", roles=["sponsor", "learner"]),
    )
    assert response.status_code == 302
    with tenant_context(org_a):
        shared.refresh_from_db()
        assert shared.job_title == "Board sponsor" and shared.is_learner


def test_a_person_renames_their_own_shared_account(client, org_a, org_b):
    shared = make_member(org_a, "sponsor@globex.test", is_sponsor=True)
    make_member(org_b, "sponsor@globex.test", is_admin=True)
    client.force_login(shared.user)
    assert client.post("/accounts/security/name/", {"full_name": "Sam Sponsor"}).status_code == 302
    shared.user.refresh_from_db()
    assert shared.user.full_name == "Sam Sponsor"


def test_an_admin_still_renames_someone_who_belongs_only_here(client, org_a, org_b, admin_a):
    leo = make_member(org_a, "leo@acme.example", is_learner=True)
    client.force_login(admin_a.user)
    form = {"name": "Leo Lerner", "email": "leo@acme.example", "roles": ["learner"]}
    assert client.post(f"/o/{org_a.slug}/people/{leo.pk}/", form).status_code == 302
    leo.user.refresh_from_db()
    assert leo.user.full_name == "Leo Lerner"


def test_inviting_an_existing_account_asks_them_before_any_membership_exists(
    client, org_a, org_b, admin_a, django_capture_on_commit_callbacks
):
    sponsor = make_member(org_b, "sponsor@globex.test", is_admin=True)
    client.force_login(admin_a.user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/o/{org_a.slug}/people/invite/",
            _person_form(job_title="Executive sponsor", roles=["sponsor", "coach"]),
        )
    assert response.status_code == 302
    with tenant_context(org_a):
        assert not Membership.objects.filter(user=sponsor.user).exists()
        invitation = Invitation.objects.get(user=sponsor.user)
    # Acme cannot edit the account meanwhile: it has no person page for it, only a line
    # among the people asked to join.
    people = client.get(f"/o/{org_a.slug}/people/").content.decode()
    assert "Asked to join" in people and "sponsor@globex.test" in people
    [message] = mail.outbox
    assert "already have a Pathwise account" in message.body
    link = f"/invitations/{make_token(invitation)}/"

    # Someone else signed in cannot accept it.
    intruder = make_member(org_a, "intruder@acme.example", is_learner=True)
    client.force_login(intruder.user)
    assert "sent to sponsor@globex.test" in client.get(link).content.decode()
    client.post(link)
    with tenant_context(org_a):
        assert not Membership.objects.filter(user=sponsor.user).exists()

    # The person sees which organisation and which roles, then accepts.
    client.force_login(sponsor.user)
    page = client.get(link).content.decode()
    assert "Join Acme" in page and "Sponsor" in page and "Coach" in page
    assert "Executive sponsor" in page
    response = client.post(link)
    assert response.status_code == 302 and response.url == f"/o/{org_a.slug}/"
    with tenant_context(org_a):
        joined = Membership.objects.get(user=sponsor.user)
        assert (joined.is_sponsor, joined.is_coach, joined.is_admin) == (True, True, False)
        assert joined.job_title == "Executive sponsor"
        assert AuditEntry.objects.filter(action="accepted invitation").count() == 1
    assert SecurityEvent.objects.filter(
        kind="invitation_accepted", user=sponsor.user, organization=org_a
    ).exists()
    assert client.post(link).status_code == 410  # single use


def test_the_email_taken_message_does_not_reveal_other_organisations_accounts(
    client, org_a, org_b, admin_a
):
    leo = make_member(org_a, "leo@acme.example", is_learner=True)
    make_member(org_a, "ann@acme.example", is_learner=True)
    make_member(org_b, "secret@globex.test", is_learner=True)
    client.force_login(admin_a.user)
    url = f"/o/{org_a.slug}/people/{leo.pk}/"
    elsewhere = client.post(url, _person_form(name="Leo", email="secret@globex.test"))
    page = elsewhere.content.decode()
    assert "Another account" not in page and "another organisation" not in page
    assert "cannot be given to this person" in page
    # A member of this organisation may be named as such: the admin sees them anyway.
    here = client.post(url, _person_form(name="Leo", email="ann@acme.example")).content.decode()
    assert "ann@acme.example is already a member here" in here


# --- 2. Login throttling and lockout -----------------------------------------------------------


def _sign_in(client, email, password, ip="10.0.0.1"):
    return client.post(reverse("login"), {"username": email, "password": password}, REMOTE_ADDR=ip)


def test_it_locks_an_account_after_repeated_failures_even_for_the_right_password(
    client, org_a, org_b
):
    make_member(org_a, "leo@acme.example", is_learner=True)
    start = timezone.now()
    with freeze_time(start) as clock:
        for i in range(25):
            response = _sign_in(client, "leo@acme.example", f"wrong-{i}", ip=f"10.0.1.{i}")
            assert response.status_code == 200
            clock.tick(dt.timedelta(seconds=5))
        response = _sign_in(client, "leo@acme.example", PASSWORD, ip="10.0.2.1")
        page = response.content.decode()
        assert response.status_code == 200 and "_auth_user_id" not in client.session
        assert re.search(r"please wait \d+ minutes? and try again", page)
        assert SecurityEvent.objects.filter(kind="sign_in_failed").count() == 10
        assert SecurityEvent.objects.filter(kind="locked_out", email="leo@acme.example").exists()
        # Once the failures leave the 15-minute window the right password works again.
        clock.tick(dt.timedelta(minutes=16))
        response = _sign_in(client, "leo@acme.example", PASSWORD, ip="10.0.2.1")
        assert response.status_code == 302
    assert SecurityEvent.objects.filter(kind="signed_in").exists()


def test_it_throttles_one_address_spraying_many_accounts(client, org_a, org_b):
    make_member(org_a, "victim@acme.example", is_learner=True)
    for i in range(50):
        _sign_in(client, f"guess{i}@acme.example", "123456", ip="203.0.113.9")
    page = _sign_in(client, "victim@acme.example", PASSWORD, ip="203.0.113.9").content.decode()
    assert "Too many attempts" in page and "_auth_user_id" not in client.session
    # Another address is not affected.
    assert _sign_in(client, "victim@acme.example", PASSWORD, ip="198.51.100.7").status_code == 302


def test_it_reads_the_client_address_from_the_trusted_proxy_only(client, org_a, org_b, settings):
    settings.PATHWISE_PROXY_COUNT = 1
    client.post(
        reverse("login"),
        {"username": "x@acme.example", "password": "nope"},
        REMOTE_ADDR="172.17.0.2",
        HTTP_X_FORWARDED_FOR="6.6.6.6, 192.0.2.44",  # the first entry is the client's to forge
    )
    assert SecurityEvent.objects.get(kind="sign_in_failed").ip_address == "192.0.2.44"


def test_it_sends_the_reset_mail_from_a_task_without_looking_up_the_account(
    client, org_a, org_b, monkeypatch
):
    make_member(org_a, "leo@acme.example", is_learner=True)
    queued = []
    monkeypatch.setattr(
        account_tasks.send_password_reset, "delay", lambda *args: queued.append(args)
    )
    with CaptureQueriesContext(connection) as ctx:
        response = client.post(reverse("password_reset"), {"email": "Leo@Acme.example"})
    assert response.status_code == 302
    assert not [q for q in ctx.captured_queries if '"organizations_user"' in q["sql"]]
    assert queued == [("leo@acme.example", "testserver", False)]
    assert mail.outbox == []
    account_tasks.send_password_reset(*queued[0])
    [message] = mail.outbox
    assert "http://testserver/accounts/reset/" in message.body
    # An unknown address: the same page, no e-mail.
    client.post(reverse("password_reset"), {"email": "nobody@acme.example"})
    account_tasks.send_password_reset(*queued[1])
    assert len(mail.outbox) == 1


def test_it_throttles_password_reset_requests(client, org_a, org_b):
    make_member(org_a, "leo@acme.example", is_learner=True)
    for _ in range(3):
        assert (
            client.post(reverse("password_reset"), {"email": "leo@acme.example"}).status_code == 302
        )
    page = client.post(reverse("password_reset"), {"email": "leo@acme.example"})
    assert page.status_code == 200 and "Too many attempts" in page.content.decode()
    assert len(mail.outbox) == 3


# --- 3. Control characters in every parameter --------------------------------------------------


def test_it_removes_nul_from_query_parameters_once_for_every_page(client, org_a, org_b, admin_a):
    make_member(org_a, "leo@acme.example", is_learner=True)
    client.force_login(admin_a.user)
    page = client.get(f"/o/{org_a.slug}/people/", {"q": "\x00leo\x07"})
    assert page.status_code == 200
    assert "leo@acme.example" in page.content.decode()
    assert client.get(f"/o/{org_a.slug}/library/?q=%00").status_code == 200


def test_it_removes_control_characters_from_form_fields(client, org_a, org_b, admin_a):
    leo = make_member(org_a, "leo@acme.example", is_learner=True)
    client.force_login(admin_a.user)
    form = {
        "name": "Leo\x00 Lerner\x1b",
        "email": "leo@acme.example",
        "roles": ["learner"],
        "job_title": "Lead\r\nTeam",
    }
    assert client.post(f"/o/{org_a.slug}/people/{leo.pk}/", form).status_code == 302
    leo.user.refresh_from_db()
    assert leo.user.full_name == "Leo Lerner"


def test_it_refuses_control_characters_in_json_bodies_and_paths(client, org_a, org_b):
    leo = make_member(org_a, "leo@acme.example", is_learner=True)
    client.force_login(leo.user)
    api = f"/api/v1/orgs/{org_a.slug}/me/enrollments/1/complete-step/"
    response = client.post(api, '{"step_id": "\\u0000"}', content_type="application/json")
    assert response.status_code == 400
    body = response.json()  # the API's one error shape, naming the field
    assert (body["status"], body["code"], body["errors"][0]["field"]) == (400, "invalid", "step_id")
    nested = client.post(api, '{"a": [{"\\u0007b": 1}]}', content_type="application/json")
    assert nested.json()["errors"][0]["field"] == "a[0].b"
    assert client.get("/invitations/%00abc/").status_code == 400
    in_api_path = client.get(f"/api/v1/orgs/{org_a.slug}/projects/%00/")
    assert in_api_path.status_code == 400 and in_api_path.json()["code"] == "invalid"


@requires_postgres
def test_nul_in_a_search_is_not_a_server_error_on_postgresql(client, org_a, org_b, admin_a):
    client.force_login(admin_a.user)
    for url in (f"/o/{org_a.slug}/library/?q=%00", f"/o/{org_a.slug}/people/?q=%00"):
        assert client.get(url).status_code == 200, url


# --- 4. Production HTTPS settings and caching -------------------------------------------------


def test_the_production_settings_pass_djangos_deployment_checks():
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PATHWISE_", "DJANGO_"))}
    env.update(
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY="x7-Qp2!vLr9#Tz4@Wm8$Kc1%Hn6^Bs3&Fd5*Gj0(Yu)Ea-Ri+Oo=Pl~Mk",
        DJANGO_ALLOWED_HOSTS="pathwise.example",
        DATABASE_URL="sqlite:////tmp/pathwise-deploy-check.sqlite3",
        EMAIL_HOST="smtp.pathwise.example",
    )
    env.pop("REDIS_URL", None)
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    found = set(re.findall(r"\((\w+\.[EW]\d+)\)", result.stdout + result.stderr))
    # HSTS preloading is a commitment an operator opts into (DJANGO_HSTS_PRELOAD=1).
    assert found <= {"security.W021"}, result.stdout + result.stderr


def test_it_trusts_the_proxys_https_header_and_redirects_plain_http(client, db, settings):
    settings.SECURE_SSL_REDIRECT = True
    plain = client.get("/accounts/login/")
    assert plain.status_code == 301 and plain.url.startswith("https://")
    behind_nginx = client.get("/accounts/login/", HTTP_X_FORWARDED_PROTO="https")
    assert behind_nginx.status_code == 200
    assert client.get("/healthz").status_code == 200  # probes talk plain HTTP


def test_signed_in_pages_are_never_stored(client, org_a, org_b, admin_a):
    client.force_login(admin_a.user)
    for url in (f"/o/{org_a.slug}/", f"/o/{org_a.slug}/people/", "/accounts/security/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "no-store" in response["Cache-Control"], url


def test_an_uploaded_file_with_nul_bytes_is_refused_not_a_server_error(
    client, org_a, org_b, admin_a
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(admin_a.user)
    # UTF-16 with a byte-order mark is read (Excel's "Unicode Text"); without one, it is not.
    utf16 = "email,name\nleo@acme.example,Leo\n".encode("utf-16-le")
    response = client.post(
        f"/o/{org_a.slug}/people/import/",
        {"file": SimpleUploadedFile("people.csv", utf16, content_type="text/csv")},
    )
    assert response.status_code == 200
    assert "The file is not text" in response.content.decode()
