from __future__ import annotations

import os
import re

import pytest
from django.core import mail
from django.urls import reverse

from organizations.models import Membership
from organizations.tenancy import tenant_context
from tests.conftest import PASSWORD, make_member


def test_it_signs_in_with_email_and_password_and_lands_on_the_org_home(client, org_a, org_b):
    make_member(org_a, "leo@example.com", is_learner=True)
    response = client.post(
        reverse("login"), {"username": "Leo@Example.com", "password": PASSWORD}, follow=True
    )
    assert response.redirect_chain[-1][0] == f"/o/{org_a.slug}/"
    assert response.status_code == 200


def test_it_rejects_a_wrong_password_with_a_message(client, org_a, org_b):
    make_member(org_a, "leo@example.com", is_learner=True)
    response = client.post(reverse("login"), {"username": "leo@example.com", "password": "nope"})
    assert response.status_code == 200
    assert "Please enter a correct" in response.content.decode()


def test_it_signs_out(client, org_a, org_b):
    member = make_member(org_a, "leo@example.com", is_learner=True)
    client.force_login(member.user)
    client.post(reverse("logout"))
    assert client.get(f"/o/{org_a.slug}/").status_code == 302


def test_it_lets_a_member_of_two_organisations_pick_one(client, org_a, org_b):
    member = make_member(org_a, "cora@example.com", is_coach=True)
    make_member(org_b, "cora@example.com", is_coach=True)
    client.force_login(member.user)
    page = client.get(reverse("org_picker")).content.decode()
    assert org_a.name in page and org_b.name in page


def test_it_resets_a_forgotten_password_by_email(client, org_a, org_b):
    make_member(org_a, "leo@example.com", is_learner=True)
    client.post(reverse("password_reset"), {"email": "leo@example.com"})
    assert len(mail.outbox) == 1
    link = re.search(r"http://testserver(/accounts/reset/\S+)", mail.outbox[0].body).group(1)
    form_url = client.get(link).url
    response = client.post(
        form_url, {"new_password1": "a-new-Secret-91", "new_password2": "a-new-Secret-91"}
    )
    assert response.status_code == 302
    assert client.login(username="leo@example.com", password="a-new-Secret-91")


def test_it_changes_a_password(client, org_a, org_b):
    member = make_member(org_a, "leo@example.com", is_learner=True)
    client.force_login(member.user)
    response = client.post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "Another-Secret-42",
            "new_password2": "Another-Secret-42",
        },
    )
    assert response.status_code == 302
    member.user.refresh_from_db()
    assert member.user.check_password("Another-Secret-42")


def test_it_switches_between_the_roles_a_member_holds(client, org_a, org_b):
    member = make_member(org_a, "hannah@example.com", is_admin=True, is_sponsor=True)
    client.force_login(member.user)
    assert "Programme health" in client.get(f"/o/{org_a.slug}/").content.decode()
    client.post(f"/o/{org_a.slug}/role/", {"role": "sponsor"})
    assert "Programme progress" in client.get(f"/o/{org_a.slug}/").content.decode()
    # A role the member does not hold is refused and changes nothing.
    client.post(f"/o/{org_a.slug}/role/", {"role": "coach"})
    assert "Programme progress" in client.get(f"/o/{org_a.slug}/").content.decode()


def test_it_gives_404_for_an_unknown_organisation(client, org_a, org_b):
    member = make_member(org_a, "leo@example.com", is_learner=True)
    client.force_login(member.user)
    assert client.get("/o/no-such-org/").status_code == 404


def test_it_gives_404_to_a_deactivated_member(client, org_a, org_b):
    member = make_member(org_a, "leo@example.com", is_learner=True)
    with tenant_context(org_a):
        Membership.objects.filter(pk=member.pk).update(is_active=False)
    client.force_login(member.user)
    assert client.get(f"/o/{org_a.slug}/").status_code == 404


def test_it_sends_anonymous_visitors_to_sign_in(client, org_a, org_b):
    response = client.get(f"/o/{org_a.slug}/")
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")


def test_it_reports_health(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["database"] == "ok"
    assert "broker" in response.json()


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL for a real broker")
def test_it_reports_a_reachable_broker_and_a_broken_one(client, db, settings):
    from config.celery import app

    settings.CELERY_TASK_ALWAYS_EAGER = False
    response = client.get("/healthz")
    assert (response.status_code, response.json()["broker"]) == (200, "ok")
    good = app.conf.broker_url
    app.conf.broker_url = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    try:
        response = client.get("/healthz")
    finally:
        app.conf.broker_url = good
    assert response.status_code == 503
    assert response.json()["status"] == "error"
    assert response.json()["broker"].startswith("error: ")


def test_it_shows_times_in_the_organisations_time_zone(client, org_a, org_b, monkeypatch):
    from django.http import HttpResponse
    from django.utils import timezone

    from organizations import views

    seen = {}

    def probe(request, org_slug):
        seen["zone"] = str(timezone.get_current_timezone())
        return HttpResponse("ok")

    monkeypatch.setattr(views, "import_string", lambda path: probe)
    org_a.time_zone = "Australia/Sydney"
    org_a.save()
    member = make_member(org_a, "leo@example.com", is_learner=True)
    client.force_login(member.user)
    assert client.get(f"/o/{org_a.slug}/").status_code == 200
    assert seen["zone"] == "Australia/Sydney"
    assert str(timezone.get_current_timezone()) == "UTC"  # deactivated after the request
