"""Invitations: a signed link e-mailed on commit, expiring after 7 days, single use; accepting
sets a password and signs the person in. Deactivation keeps history and blocks access."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from freezegun import freeze_time

from organizations.models import AuditEntry, Invitation, Membership, User
from organizations.people import services
from organizations.people.invitations import InvitationInvalid, make_token, read_token
from organizations.tenancy import tenant_context
from tests.conftest import PASSWORD, enroll, make_member, make_pathway

NEW_PASSWORD = "a-long-and-unusual-passphrase-42"


def _invite(org, admin, email="newbie@acme.example", **roles):
    data = services.PersonData(
        email=email,
        name="New Bie",
        job_title="Team Lead",
        function="Operations",
        team=None,
        manager=None,
        roles=set(roles) or {"learner"},
    )
    with tenant_context(org):
        return services.do_invite_person(admin.user, data, "https://pathwise.example")


def _link(mail) -> str:
    return re.search(r"https://pathwise\.example(/invitations/[^/\s]+/)", mail.body).group(1)


def test_it_emails_a_signed_link_only_after_commit(
    org_a, org_b, mailoutbox, django_capture_on_commit_callbacks
):
    admin = make_member(org_a, "boss@acme.example", is_admin=True)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        invitation = _invite(org_a, admin)
    assert mailoutbox == []
    for callback in callbacks:
        callback()
    [mail] = mailoutbox
    assert mail.to == ["newbie@acme.example"]
    assert "Acme" in mail.subject
    assert _link(mail).startswith("/invitations/")
    assert "7 days" in mail.body
    with tenant_context(org_a):
        membership = Membership.objects.get(pk=invitation.membership_id)
        assert membership.is_learner and not membership.user.has_usable_password()
        assert AuditEntry.objects.filter(action="invited", object_type="Person").count() == 1


def test_it_refuses_to_invite_an_existing_member(org_a, org_b):
    admin = make_member(org_a, "boss@acme.example", is_admin=True)
    make_member(org_a, "leo@acme.example", is_learner=True)
    with pytest.raises(ValidationError, match="already a member"):
        _invite(org_a, admin, email="leo@acme.example")


def test_it_accepts_the_link_sets_the_password_and_signs_in(
    client, org_a, org_b, mailoutbox, django_capture_on_commit_callbacks
):
    admin = make_member(org_a, "boss@acme.example", is_admin=True)
    with django_capture_on_commit_callbacks(execute=True):
        _invite(org_a, admin)
    link = _link(mailoutbox[0])
    page = client.get(link)
    assert page.status_code == 200 and "Welcome to Acme" in page.content.decode()
    weak = client.post(link, {"new_password1": "123", "new_password2": "123"})
    assert "too short" in weak.content.decode()
    assert not User.objects.get(email="newbie@acme.example").has_usable_password()
    response = client.post(link, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response.status_code == 302 and response["Location"] == f"/o/{org_a.slug}/"
    user = User.objects.get(email="newbie@acme.example")
    assert user.check_password(NEW_PASSWORD)
    assert client.get(f"/o/{org_a.slug}/").status_code == 200  # signed in
    with tenant_context(org_a):
        assert Invitation.objects.get().accepted_at is not None


def test_it_refuses_a_used_link(client, org_a, org_b):
    admin = make_member(org_a, "boss@acme.example", is_admin=True)
    invitation = _invite(org_a, admin)
    link = f"/invitations/{make_token(invitation)}/"
    client.post(link, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    client.logout()
    again = client.get(link)
    assert again.status_code == 410
    assert "already been used" in again.content.decode()
    reuse = client.post(link, {"new_password1": "another-long-pass-99", "new_password2": "x"})
    assert reuse.status_code == 410
    assert User.objects.get(email="newbie@acme.example").check_password(NEW_PASSWORD)


def test_it_refuses_an_expired_link(client, org_a, org_b):
    admin = make_member(org_a, "boss@acme.example", is_admin=True)
    with freeze_time(timezone.now() - dt.timedelta(days=8)):
        invitation = _invite(org_a, admin)
        token = make_token(invitation)
    with freeze_time(timezone.now() - dt.timedelta(days=1, hours=23)):
        read_token(token)  # six days on: still valid
    page = client.get(f"/invitations/{token}/")
    assert page.status_code == 410
    assert "expired" in page.content.decode()


def test_it_refuses_a_forged_link(client, org_a, org_b):
    admin = make_member(org_a, "boss@acme.example", is_admin=True)
    invitation = _invite(org_a, admin)
    token = make_token(invitation)
    org_id, rest = token.split(":", 1)
    forged = f"{org_b.pk}:{rest}"  # point a real signature at another organisation
    for bad in (forged, token[:-2] + "xx", "nonsense"):
        page = client.get(f"/invitations/{bad}/")
        assert page.status_code == 404
        assert "not valid" in page.content.decode()


def test_it_retires_older_links_when_resending(
    client, org_a, org_b, mailoutbox, django_capture_on_commit_callbacks
):
    admin = make_member(org_a, "boss@acme.example", is_admin=True)
    first = _invite(org_a, admin)
    with tenant_context(org_a), django_capture_on_commit_callbacks(execute=True):
        membership = Membership.objects.select_related("user").get(pk=first.membership_id)
        second = services.do_resend_invitation(admin.user, membership, "https://pathwise.example")
    assert len(mailoutbox) == 1
    with pytest.raises(InvitationInvalid) as old:
        read_token(make_token(first))
    assert old.value.reason == "replaced"
    assert read_token(make_token(second)).invitation.pk == second.pk


def test_an_existing_account_is_asked_to_sign_in_not_to_reset_its_password(client, org_a, org_b):
    make_member(org_b, "shared@example.com", is_learner=True)  # has a password from org B
    admin = make_member(org_a, "boss@acme.example", is_admin=True)
    invitation = _invite(org_a, admin, email="shared@example.com")
    page = client.get(f"/invitations/{make_token(invitation)}/")
    assert "already have a Pathwise account" in page.content.decode()
    client.post(
        f"/invitations/{make_token(invitation)}/",
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert User.objects.get(email="shared@example.com").check_password(PASSWORD)


def test_deactivating_keeps_history_and_blocks_access(client, org_a, org_b):
    admin = make_member(org_a, "boss@acme.example", is_admin=True)
    leo = make_member(org_a, "leo@acme.example", is_learner=True)
    fixture = make_pathway(org_a)
    enrollment = enroll(org_a, fixture, leo)
    client.force_login(leo.user)
    assert client.get(f"/o/{org_a.slug}/").status_code == 200
    with tenant_context(org_a):
        services.do_deactivate_person(admin.user, leo)
    assert client.get(f"/o/{org_a.slug}/").status_code == 404
    with tenant_context(org_a):
        leo.refresh_from_db()
        assert not leo.is_active and leo.deactivated_at is not None
        enrollment.refresh_from_db()
        assert enrollment.status == "active"  # history kept
        entry = AuditEntry.objects.get(action="deactivated")
        assert entry.before["is_active"] is True and entry.after["is_active"] is False
        services.do_reactivate_person(admin.user, leo)
    assert client.get(f"/o/{org_a.slug}/").status_code == 200


def test_a_deactivated_person_cannot_accept_an_invitation(client, org_a, org_b):
    admin = make_member(org_a, "boss@acme.example", is_admin=True)
    invitation = _invite(org_a, admin)
    with tenant_context(org_a):
        services.do_deactivate_person(
            admin.user, Membership.objects.get(pk=invitation.membership_id)
        )
    page = client.get(f"/invitations/{make_token(invitation)}/")
    assert "switched off" in page.content.decode()


def test_it_refuses_to_deactivate_oneself_or_the_last_admin(org_a, org_b):
    admin = make_member(org_a, "boss@acme.example", is_admin=True)
    other = make_member(org_a, "other@acme.example", is_admin=True)
    with tenant_context(org_a):
        with pytest.raises(ValidationError, match="cannot deactivate yourself"):
            services.do_deactivate_person(admin.user, admin)
        services.do_deactivate_person(admin.user, other)
        with pytest.raises(ValidationError, match="last HR admin"):
            services.do_deactivate_person(None, Membership.objects.get(pk=admin.pk))


def test_it_invites_everyone_an_import_added_in_batches(
    client, org_a, org_b, mailoutbox, django_capture_on_commit_callbacks
):
    admin = make_member(org_a, "boss@acme.example", is_admin=True)
    content = "email,name\n" + "".join(f"p{i}@acme.example,Person {i}\n" for i in range(120))
    with tenant_context(org_a):
        job, _ = services.do_preview_import(admin.user, "p.csv", content)
        services.do_confirm_import(admin.user, job)
    _invite(org_a, admin)  # already invited: not invited twice
    client.force_login(admin.user)
    page = client.get(f"/o/{org_a.slug}/people/").content.decode()
    assert "120 people have not been invited yet" in page
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        client.post(f"/o/{org_a.slug}/people/invite-all/")
    assert len(callbacks) == 2  # two batches of at most 100 e-mails
    assert len(mailoutbox) == 120
    assert {m.to[0] for m in mailoutbox} == {f"p{i}@acme.example" for i in range(120)}
    with tenant_context(org_a):
        assert Invitation.objects.count() == 121
        assert AuditEntry.objects.filter(object_type="People", action="invited").count() == 1
    assert (
        "have not been invited yet" not in client.get(f"/o/{org_a.slug}/people/").content.decode()
    )
