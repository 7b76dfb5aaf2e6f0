"""Issue and revoke Open Badges 2.0 assertions."""

from __future__ import annotations

import hashlib
import secrets

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from organizations.audit import record_change
from organizations.models import Membership, User
from pathways.models import BadgeAssertion, Enrollment


def identity_hash(email: str, salt: str) -> str:
    """Open Badges' hashed recipient: ``sha256$`` + hex of the address followed by the salt."""
    return "sha256$" + hashlib.sha256((email.strip().lower() + salt).encode()).hexdigest()


def do_issue_badge(enrollment: Enrollment) -> BadgeAssertion:
    """The badge for a completed enrolment, issued once (a second call returns the first).
    Must run inside the tenant context; callers hold the enrolment's lock."""
    existing = BadgeAssertion.objects.filter(enrollment=enrollment).first()
    if existing is not None:
        return existing
    learner = Membership.objects.select_related("user").get(pk=enrollment.learner_id)
    pathway_id = enrollment.version.pathway_id
    salt = secrets.token_hex(8)
    try:
        with transaction.atomic():
            return BadgeAssertion.objects.create(
                enrollment=enrollment,
                learner=learner,
                pathway_id=pathway_id,
                salt=salt,
                identity_hash=identity_hash(learner.user.email, salt),
                issued_on=enrollment.completed_at or timezone.now(),
            )
    except IntegrityError:  # issued by a concurrent request
        return BadgeAssertion.objects.get(enrollment=enrollment)


def check_revocation_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the badge is revoked; the badge shows it.")})
    if len(reason) > 300:
        raise ValidationError({"reason": _("Keep the reason under 300 characters.")})
    return reason


def do_revoke_badge(actor: User, badge_id: int, reason: str) -> BadgeAssertion:
    """Revoke a badge (compare-and-set: revoking twice keeps the first reason and time)."""
    reason = check_revocation_reason(reason)
    with transaction.atomic():
        badge = BadgeAssertion.objects.select_related("learner__user").get(pk=badge_id)
        now = timezone.now()
        changed = BadgeAssertion.objects.filter(pk=badge.pk, revoked_at__isnull=True).update(
            revoked_at=now, revocation_reason=reason, revoked_by=actor
        )
        if changed:
            record_change(
                actor,
                "revoked",
                badge,
                object_type="Badge",
                object_repr=f"{badge.learner.user}: pathway {badge.pathway_id}",
                after={"reason": reason},
            )
        badge.refresh_from_db()
    return badge
