"""Signed, expiring, single-use invitation links.

A token names the organisation and the invitation (``"<org_id>:<invitation_id>"``) and is
signed with ``TimestampSigner``; it expires after ``INVITATION_MAX_AGE``. The organisation id in
a valid token is what lets the public accept page enter the right tenant (both walls) to read the
invitation. A token is single use (``accepted_at``) and only the newest invitation for a person
is valid, so re-sending an invitation retires the older links.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core import signing
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _

from organizations.models import Invitation, Organization
from organizations.tenancy import tenant_context

INVITATION_MAX_AGE = dt.timedelta(days=7)
_SALT = "pathwise.invitation"


class InvitationInvalid(Exception):
    """The link cannot be used; ``reason`` is one of expired, forged, used, replaced, inactive."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


def make_token(invitation: Invitation) -> str:
    return signing.TimestampSigner(salt=_SALT).sign(f"{invitation.organization_id}:{invitation.pk}")


def invitation_url(invitation: Invitation, base_url: str = "") -> str:
    """The accept link; ``base_url`` (scheme and host of the inviting request) makes it absolute."""
    return base_url.rstrip("/") + reverse("accept_invitation", args=[make_token(invitation)])


@dataclass
class ValidInvitation:
    org: Organization
    invitation: Invitation


def read_token(token: str) -> ValidInvitation:
    """Return the organisation and invitation a token names, or raise ``InvitationInvalid``.

    Opens the tenant context itself (the caller is outside ``/o/``); the returned objects are
    plain model instances, safe to read after it closes.
    """
    signer = signing.TimestampSigner(salt=_SALT)
    try:
        value = signer.unsign(token, max_age=INVITATION_MAX_AGE)
    except signing.SignatureExpired as exc:
        raise InvitationInvalid(
            "expired",
            _(
                "This invitation has expired: links work for 7 days. Ask your HR team to send "
                "a new one."
            ),
        ) from exc
    except signing.BadSignature as exc:
        raise InvitationInvalid(
            "forged",
            _("This invitation link is not valid. Check that you copied the whole link."),
        ) from exc
    org_id, _sep, invitation_id = value.partition(":")
    org = Organization.objects.filter(pk=int(org_id), is_active=True).first()
    if org is None:
        raise InvitationInvalid("inactive", _("This organisation no longer uses Pathwise."))
    with tenant_context(org):
        invitation = (
            Invitation.objects.select_related("membership__user", "user")
            .filter(pk=int(invitation_id))
            .first()
        )
        # Only the newest link for a person works: by membership for a new account, by
        # account for an existing one asked to join.
        same_person = (
            {"membership_id": invitation.membership_id}
            if invitation is not None and invitation.user_id is None
            else {"user_id": invitation.user_id if invitation is not None else None}
        )
        newest_id = (
            Invitation.objects.filter(**same_person)
            .order_by("-sent_at", "-id")
            .values_list("pk", flat=True)
            .first()
            if invitation is not None
            else None
        )
    if invitation is None:
        raise InvitationInvalid(
            "forged", _("This invitation no longer exists. Ask your HR team for a new one.")
        )
    if invitation.accepted_at is not None:
        raise InvitationInvalid(
            "used",
            _("This invitation has already been used. Sign in with your e-mail and password."),
        )
    if newest_id != invitation.pk:
        raise InvitationInvalid(
            "replaced",
            _("A newer invitation was sent to you. Use the link in the most recent e-mail."),
        )
    if invitation.membership is not None and not invitation.membership.is_active:
        raise InvitationInvalid(
            "inactive",
            _("Your access to this organisation has been switched off. Contact your HR team."),
        )
    return ValidInvitation(org, invitation)


def send_invitation_email(org_id: int, invitation_id: int, base_url: str = "") -> None:
    """Send the e-mail for an invitation (called on commit)."""
    org = Organization.objects.get(pk=org_id)
    with tenant_context(org):
        invitation = Invitation.objects.select_related(
            "membership__user", "user", "invited_by"
        ).get(pk=invitation_id)
        person = invitation.membership.user if invitation.membership else invitation.user
        context = {
            "org": org,
            "invitation": invitation,
            "url": invitation_url(invitation, base_url),
            "days": INVITATION_MAX_AGE.days,
            "name": person.display_name if person else invitation.email,
            "inviter": invitation.invited_by.display_name if invitation.invited_by else org.name,
            # An existing account is asked to join, not to choose a password.
            "join": invitation.membership_id is None,
        }
    send_mail(
        subject=_("You are invited to %(org)s on Pathwise") % {"org": org.name},
        message=render_to_string("organizations/people/invitation_email.txt", context),
        from_email=None,
        recipient_list=[invitation.email],
    )
