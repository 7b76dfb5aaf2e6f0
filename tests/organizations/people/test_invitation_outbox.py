"""A single invitation, an existing account asked to join and a re-send record their e-mail in
the outbox, in the invitation's own transaction: with the e-mail server failing or Redis down
the invitation is saved and the admin sees success, and the e-mail goes out later, once."""

from __future__ import annotations

import datetime as dt
import re
import smtplib

import pytest
from django.core.mail.backends.base import BaseEmailBackend
from django.test import override_settings
from django.utils import timezone
from freezegun import freeze_time

from organizations.models import Invitation, Membership
from organizations.outbox.models import OutboxEntry
from organizations.outbox.tasks import requeue_overdue_followups
from organizations.people.invitations import read_token
from organizations.people.tasks import INVITATIONS_HANDLER
from organizations.tenancy import tenant_context
from tests.conftest import make_member
from tests.organizations.outbox.brokers import redis_unreachable

pytestmark = pytest.mark.django_db(transaction=True)

SENT = []


class FailingBackend(BaseEmailBackend):
    """An SMTP server that hangs up on every message."""

    def send_messages(self, email_messages):  # type: ignore[no-untyped-def]
        SENT.append(len(email_messages))
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")


FAILING = "tests.organizations.people.test_invitation_outbox.FailingBackend"


def _entries(org):
    with tenant_context(org):
        return list(OutboxEntry.objects.filter(handler=INVITATIONS_HANDLER).order_by("pk"))


def _sweep(org, after: dt.timedelta = dt.timedelta(hours=1)):
    """The beat sweep, once a failed row's back-off (or a lost delivery's wait) is over."""
    with freeze_time(timezone.now() + after):
        requeue_overdue_followups.delay(org.pk)


def _token(mail) -> str:
    return re.search(r"/invitations/([^/\s]+)/", mail.body).group(1)


@pytest.mark.parametrize("existing_account", [False, True], ids=["new address", "asked to join"])
def test_an_invitation_is_saved_when_the_mail_server_fails_and_sent_later_once(
    client, org_a, org_b, mailoutbox, existing_account
):
    admin = make_member(org_a, "boss@acme.example", is_admin=True)
    if existing_account:
        make_member(org_b, "newbie@acme.example")  # has a password, from another organisation
    client.force_login(admin.user)
    SENT.clear()
    with override_settings(MAILERS={"default": {"BACKEND": FAILING}}):
        response = client.post(
            f"/o/{org_a.slug}/people/invite/",
            {"name": "New Bie", "email": "newbie@acme.example", "roles": ["learner"]},
        )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert SENT == [1]  # it was tried once, after commit, and failed
    assert mailoutbox == []
    with tenant_context(org_a):
        invitation = Invitation.objects.get()
        assert invitation.email == "newbie@acme.example" and invitation.accepted_at is None
        assert Membership.objects.filter(user__email="newbie@acme.example").exists() is (
            not existing_account
        )
    [entry] = _entries(org_a)
    assert entry.args[0] == [invitation.pk] and entry.done_at is None
    assert entry.attempts == 1 and "SMTPServerDisconnected" in entry.last_error

    _sweep(org_a)  # the mail server is back
    [mail] = mailoutbox
    assert mail.to == ["newbie@acme.example"]
    assert read_token(_token(mail)).invitation.pk == invitation.pk
    _sweep(org_a, dt.timedelta(days=1))  # delivered once, never again
    assert len(mailoutbox) == 1
    with tenant_context(org_b):
        assert not OutboxEntry.objects.exists()


def test_a_resend_during_a_redis_outage_is_saved_and_sent_by_the_sweep_once(
    client, org_a, org_b, mailoutbox
):
    admin = make_member(org_a, "boss@acme.example", is_admin=True)
    client.force_login(admin.user)
    response = client.post(
        f"/o/{org_a.slug}/people/invite/",
        {"name": "New Bie", "email": "newbie@acme.example", "roles": ["learner"]},
    )
    assert response.status_code == 302
    [first_mail] = mailoutbox
    with tenant_context(org_a):
        membership = Membership.objects.get(user__email="newbie@acme.example")

    with redis_unreachable():
        response = client.post(f"/o/{org_a.slug}/people/{membership.pk}/invite/", follow=True)
    assert response.status_code == 200
    assert "A new invitation was sent" in response.content.decode()
    assert len(mailoutbox) == 1  # not yet
    with tenant_context(org_a):
        second = Invitation.objects.order_by("-pk").first()
        assert Invitation.objects.count() == 2
    assert [e.done_at is None for e in _entries(org_a)] == [False, True]

    _sweep(org_a)
    assert len(mailoutbox) == 2
    assert read_token(_token(mailoutbox[1])).invitation.pk == second.pk
    assert _token(first_mail) != _token(mailoutbox[1])
    _sweep(org_a, dt.timedelta(days=1))
    assert len(mailoutbox) == 2
