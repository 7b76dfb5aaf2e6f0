"""The daily reminder e-mail: preference, local 08:00, once per day, only with reviews due."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from freezegun import freeze_time

from organizations.models import User
from organizations.tenancy import tenant_context
from pathways.models.practice import PracticeReminder
from pathways.practice import services, tasks
from pathways.practice.services import reminder_local_date
from tests.conftest import make_member
from tests.pathways.practice.factories import make_cards

# 08:05 in London in winter (UTC+0), 09:05 in Paris, 03:05 in New York.
EIGHT_UTC = dt.datetime(2026, 1, 14, 8, 5, tzinfo=dt.UTC)


@pytest.fixture
def send(django_capture_on_commit_callbacks):
    def _send(org, now=EIGHT_UTC):
        with django_capture_on_commit_callbacks(execute=True):
            with tenant_context(org):
                return services.do_send_practice_reminders(org, now)

    return _send


def _learner(org, email, time_zone="", reminders=True, cards=2, due=None):
    member = make_member(org, email, is_learner=True)
    User.objects.filter(pk=member.user_id).update(time_zone=time_zone, email_reminders=reminders)
    if cards:
        make_cards(org, member, n=cards, due=due or EIGHT_UTC - dt.timedelta(hours=3),
                   module_title=email)  # fmt: skip
    return member


def test_it_emails_learners_with_due_reviews_a_link_to_them(org_a, org_b, send, settings):
    settings.PATHWISE_BASE_URL = "https://pathwise.example"
    _learner(org_a, "leo@a.example", "Europe/London", cards=3)
    assert send(org_a) == 1
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["leo@a.example"]
    assert message.subject == "3 reviews due on Pathwise (Acme)"
    assert "You have 3 reviews due in Acme today." in message.body
    assert f"https://pathwise.example/o/{org_a.slug}/practice/" in message.body
    assert f"https://pathwise.example/o/{org_a.slug}/practice/settings/" in message.body


def test_it_respects_the_learners_preference(org_a, org_b, send):
    _learner(org_a, "off@a.example", "Europe/London", reminders=False)
    assert send(org_a) == 0
    assert mail.outbox == []


def test_it_sends_only_to_learners_with_reviews_due(org_a, org_b, send):
    _learner(org_a, "none@a.example", "Europe/London", cards=0)
    _learner(org_a, "later@a.example", "Europe/London", due=EIGHT_UTC + dt.timedelta(hours=2))
    _learner(org_a, "due@a.example", "Europe/London")
    send(org_a)
    assert [m.to for m in mail.outbox] == [["due@a.example"]]


def test_it_waits_for_about_eight_in_the_learners_time_zone(org_a, org_b, send):
    _learner(org_a, "london@a.example", "Europe/London")
    _learner(org_a, "paris@a.example", "Europe/Paris")
    _learner(org_a, "newyork@a.example", "America/New_York")
    _learner(org_a, "tokyo@a.example", "Asia/Tokyo")
    send(org_a)
    assert sorted(m.to[0] for m in mail.outbox) == ["london@a.example", "paris@a.example"]
    send(org_a, EIGHT_UTC + dt.timedelta(hours=5))  # 08:05 in New York
    assert len(mail.outbox) == 3 and mail.outbox[2].to == ["newyork@a.example"]


def test_it_falls_back_to_the_organisations_time_zone(org_a, org_b, send):
    org_a.time_zone = "Asia/Kolkata"  # UTC+5:30: 08:05 UTC is 13:35 there
    org_a.save()
    _learner(org_a, "leo@a.example", due=dt.datetime(2026, 1, 13, 20, 0, tzinfo=dt.UTC))
    send(org_a)
    assert mail.outbox == []
    send(org_a, dt.datetime(2026, 1, 14, 3, 5, tzinfo=dt.UTC))  # 08:35 in Kolkata
    assert len(mail.outbox) == 1


def test_it_sends_once_per_local_day_however_often_it_runs(org_a, org_b, send):
    leo = _learner(org_a, "leo@a.example", "Europe/London")
    assert send(org_a) == 1
    assert send(org_a) == 0  # a retry
    assert send(org_a, EIGHT_UTC + dt.timedelta(minutes=55)) == 0  # the next hourly run
    assert len(mail.outbox) == 1
    with tenant_context(org_a):
        marker = PracticeReminder.objects.get(learner=leo)
    assert (marker.local_date, marker.due_count) == (dt.date(2026, 1, 14), 2)
    assert send(org_a, EIGHT_UTC + dt.timedelta(days=1)) == 1  # the next morning
    assert len(mail.outbox) == 2


def test_it_keeps_organisations_apart(org_a, org_b, send):
    _learner(org_a, "leo@a.example", "Europe/London")
    _learner(org_b, "bea@b.example", "Europe/London")
    send(org_a)
    assert [m.to for m in mail.outbox] == [["leo@a.example"]]
    assert "Acme" in mail.outbox[0].subject


def test_it_skips_deactivated_members_and_non_learners(org_a, org_b, send):
    gone = _learner(org_a, "gone@a.example", "Europe/London")
    with tenant_context(org_a):
        gone.is_active = False
        gone.save()
    send(org_a)
    assert mail.outbox == []


def test_it_gives_the_claim_back_when_sending_fails(org_a, org_b, send, settings):
    settings.MAILERS = {"default": {"BACKEND": "tests.pathways.practice.failing_mail.Backend"}}
    leo = _learner(org_a, "leo@a.example", "Europe/London")
    assert send(org_a) == 1
    with tenant_context(org_a):
        assert not PracticeReminder.objects.filter(learner=leo).exists()


def test_it_runs_as_an_hourly_fan_out(org_a, org_b, django_capture_on_commit_callbacks):
    _learner(org_a, "leo@a.example", "Europe/London")
    _learner(org_b, "bea@b.example", "Europe/London")
    # The fan-out runs each organisation's task at the real time: fixed at 03:00 in London, so
    # that it reminds nobody whatever hour the suite runs at (it sent two more e-mails when the
    # suite ran in London's morning).
    with django_capture_on_commit_callbacks(execute=True), freeze_time(EIGHT_UTC.replace(hour=3)):
        assert tasks.fan_out_practice_reminders() == 2
    with django_capture_on_commit_callbacks(execute=True):
        claimed = tasks.send_practice_reminders.delay(org_a.pk, EIGHT_UTC.isoformat()).get()
    assert claimed == 1 and len(mail.outbox) == 1


@pytest.mark.parametrize(
    ("utc_hour", "zone", "expected"),
    [
        (7, "UTC", None),
        (8, "UTC", dt.date(2026, 1, 14)),
        (9, "UTC", dt.date(2026, 1, 14)),
        (10, "UTC", None),
        (23, "Pacific/Auckland", None),  # 12:05 on the 15th there
        (19, "Pacific/Auckland", dt.date(2026, 1, 15)),  # 08:05 on the 15th there
        (8, "Not/AZone", dt.date(2026, 1, 14)),
    ],
)
def test_it_finds_the_local_reminder_date(utc_hour, zone, expected):
    now = dt.datetime(2026, 1, 14, utc_hour, 5, tzinfo=dt.UTC)
    assert reminder_local_date(now, zone) == expected
