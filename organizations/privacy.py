"""GDPR hooks for organisations and people (see ``organizations.gdpr``)."""

from __future__ import annotations

import json
from typing import Any

from django.db.models import Q

from organizations.gdpr import rows
from organizations.models import AuditEntry, ImportJob, Invitation, Membership


def export_person(membership: Membership) -> dict[str, list[dict[str, Any]]]:
    return {
        "membership": rows(Membership.objects.filter(pk=membership.pk)),
        "invitations": rows(
            Invitation.objects.filter(Q(membership=membership) | Q(user_id=membership.user_id)),
            ["sent_at", "accepted_at", "email", "terms"],
        ),
        "changes_to_you": rows(
            AuditEntry.objects.filter(object_type="Person", object_id=str(membership.pk)),
            ["created_at", "action", "before", "after"],
        ),
        "changes_you_made": rows(
            AuditEntry.objects.filter(actor_id=membership.user_id),
            ["created_at", "action", "object_type", "object_repr"],
        ),
    }


def _scrub(value: Any, secrets: list[str], replacement: str) -> Any:
    text = json.dumps(value)
    for secret in secrets:
        text = text.replace(json.dumps(secret)[1:-1], replacement)
    return json.loads(text)


def erase_person(membership: Membership, placeholder: dict[str, Any]) -> dict[str, int]:
    """Personal details leave the membership (which stays, anonymous, for the figures), and the
    person's name and address leave the audit log, invitations and import files."""
    secrets = [s for s in placeholder["secrets"] if s]
    replacement = placeholder["label"]
    Membership.objects.filter(pk=membership.pk).update(job_title="", function="", manager=None)
    Membership.objects.filter(manager=membership).update(manager=None)
    invitations = Invitation.objects.filter(membership=membership).update(
        email=placeholder["email"], terms={}
    )
    audit = 0
    for entry in AuditEntry.objects.filter(
        Q(object_type="Person", object_id=str(membership.pk))
        | Q(actor_id=placeholder["user_id"])
        | Q(object_repr__icontains=placeholder["email_before"])
    ):
        entry.object_repr = _scrub(entry.object_repr, secrets, replacement)[:300]
        entry.before = _scrub(entry.before, secrets, replacement)
        entry.after = _scrub(entry.after, secrets, replacement)
        entry.save(update_fields=["object_repr", "before", "after"])
        audit += 1
    # An import file names many people; only this person's strings are replaced.
    imports = 0
    for job in ImportJob.objects.filter(content__icontains=placeholder["email_before"]):
        job.content = _scrub(job.content, secrets, replacement)
        job.problems = _scrub(job.problems, secrets, replacement)
        job.summary = _scrub(job.summary, secrets, replacement)
        job.save(update_fields=["content", "problems", "summary"])
        imports += 1
    return {
        "personal details of the membership": 1,
        "invitations made anonymous": invitations,
        "audit entries made anonymous": audit,
        "import files made anonymous": imports,
    }


def purge_expired(org: Any, before: Any) -> dict[str, int]:
    """Import files hold whole staff lists: their contents go after the retention period."""
    cleared = (
        ImportJob.objects.filter(created_at__lt=before)
        .exclude(content="")
        .update(content="", problems=[], summary={})
    )
    return {"import files emptied": cleared}
