"""The profile page: name, time zone and reminder e-mails, reached from the name in the header."""

from __future__ import annotations

import pytest

from organizations.models import User
from tests.conftest import make_member

pytestmark = pytest.mark.django_db


def test_it_opens_the_profile_from_the_name_in_the_header(client, org_a, org_b):
    leo = make_member(org_a, "leo@a.example", is_learner=True)
    client.force_login(leo.user)
    home = client.get(f"/o/{org_a.slug}/").content.decode()
    assert f'href="/o/{org_a.slug}/profile/"' in home
    page = client.get(f"/o/{org_a.slug}/profile/").content.decode()
    assert "Your profile" in page and "Change your password" in page
    assert "Same as the organisation (UTC)" in page


def test_it_saves_name_time_zone_and_reminders(client, org_a, org_b):
    leo = make_member(org_a, "leo@a.example", is_learner=True)
    client.force_login(leo.user)
    url = f"/o/{org_a.slug}/profile/"
    data = {"full_name": "  Leo   Martin ", "time_zone": "Europe/Paris"}
    response = client.post(url, data, follow=True)
    assert "Your profile is saved." in response.content.decode()
    user = User.objects.get(pk=leo.user_id)
    assert (user.full_name, user.time_zone, user.email_reminders) == (
        "Leo Martin",
        "Europe/Paris",
        False,
    )


def test_it_refuses_a_blank_name_or_unknown_zone_and_changes_nothing(client, org_a, org_b):
    leo = make_member(org_a, "leo@a.example", is_learner=True)
    client.force_login(leo.user)
    before = User.objects.get(pk=leo.user_id)
    url = f"/o/{org_a.slug}/profile/"
    response = client.post(url, {"full_name": "   ", "time_zone": "Mars/Olympus"})
    page = response.content.decode()
    assert response.status_code == 400
    assert "Write the name colleagues know you by." in page
    assert "Select a valid choice" in page
    after = User.objects.get(pk=leo.user_id)
    assert (after.full_name, after.time_zone) == (before.full_name, before.time_zone)


def test_it_gives_another_organisations_member_404(client, org_a, org_b):
    outsider = make_member(org_b, "olga@b.example", is_learner=True)
    client.force_login(outsider.user)
    assert client.get(f"/o/{org_a.slug}/profile/").status_code == 404
    assert client.post(f"/o/{org_a.slug}/profile/", {"full_name": "X"}).status_code == 404


def test_it_says_so_after_signing_out(client, org_a, org_b):
    leo = make_member(org_a, "leo@a.example", is_learner=True)
    client.force_login(leo.user)
    response = client.post("/accounts/logout/", follow=True)
    assert "You are signed out. See you soon." in response.content.decode()
    assert client.get(f"/o/{org_a.slug}/").status_code == 302  # really signed out
