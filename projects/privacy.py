"""GDPR hooks for projects (see ``organizations.gdpr``).

Export: the projects the person leads, works on or sponsors (charter, milestones and their moves,
updates, decisions, outcomes, benefit claims, the charter's stakeholders by name), and, where
they are a stakeholder (as a member or by their e-mail address), the rating requests sent to them
and the ratings they gave. Other stakeholders' individual ratings of the person's projects are
not exported: the owner sees them only as an aggregate.

Erasure keeps every fact the project figures count (projects and their statuses and dates,
milestone due, approved and done dates, stakeholder ratings' scores, claims' values, percentages
and decisions) and deletes the text:

- of projects the person owns: problem, scope reason, expected outcomes, the sponsor's
  assessment, milestone evidence, outcome results, decision comments and stakeholders' rating
  comments (all about the person's work; the title becomes the placeholder);
- that the person wrote anywhere: status updates, milestone move reasons, decision comments,
  benefit claims' basis and the sponsor's decision comment on them;
- where the person is a stakeholder: their name and address are replaced and their rating
  comments deleted.

Retention (``purge_expired``): stakeholders' rating comments older than the period are deleted;
the scores stay.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.db import models
from django.db.models import Q

from organizations.gdpr import rows
from organizations.models import AuditEntry, Membership
from projects.models import (
    BenefitClaim,
    Milestone,
    MilestoneDateChange,
    OutcomeResult,
    Project,
    ProjectDecision,
    ProjectLearner,
    RatingRequest,
    Stakeholder,
    StakeholderRating,
    StatusUpdate,
)


def _their_projects(m: Membership) -> Any:
    return Project.objects.filter(
        Q(owner=m)
        | Q(sponsor=m)
        | Q(pk__in=ProjectLearner.objects.filter(learner=m).values("project_id"))
    )


def _as_stakeholder(m: Membership) -> Any:
    return Stakeholder.objects.filter(Q(membership=m) | Q(email__iexact=m.user.email))


def export_person(membership: Membership) -> dict[str, list[dict[str, Any]]]:
    m = membership
    projects = _their_projects(m)
    stakeholder = _as_stakeholder(m)
    return {
        "projects": rows(projects),
        "project_places": rows(ProjectLearner.objects.filter(learner=m)),
        "stakeholders_on_your_projects": rows(
            Stakeholder.objects.filter(project__in=projects), ["project_id", "name"]
        ),
        "milestones": rows(Milestone.objects.filter(project__in=projects)),
        "milestone_moves": rows(
            MilestoneDateChange.objects.filter(milestone__project__in=projects)
        ),
        "status_updates": rows(StatusUpdate.objects.filter(project__in=projects)),
        "decisions": rows(ProjectDecision.objects.filter(project__in=projects)),
        "outcomes": rows(OutcomeResult.objects.filter(project__in=projects)),
        "benefit_claims": rows(BenefitClaim.objects.filter(project__in=projects)),
        "you_as_stakeholder": rows(stakeholder, ["project_id", "name", "email"]),
        "rating_requests_to_you": rows(
            RatingRequest.objects.filter(stakeholder__in=stakeholder),
            ["project_id", "milestone_id", "sent_at", "answered_at"],
        ),
        "ratings_you_gave": rows(
            StakeholderRating.objects.filter(request__stakeholder__in=stakeholder),
            [
                "project_id",
                "outcome_quality",
                "collaboration",
                "communication",
                "comment",
                "created_at",
            ],
        ),
    }


def _texts(queryset: models.QuerySet[Any], *fields: str) -> set[str]:
    return {v for row in queryset.values_list(*fields) for v in row if v and v.strip()}


def _scrub(value: Any, texts: list[str], replacement: str) -> Any:
    encoded = json.dumps(value)
    for text in texts:
        encoded = encoded.replace(json.dumps(text)[1:-1], replacement)
    return json.loads(encoded)


def _scrub_audit(projects: list[int], claims: list[int], texts: set[str], label: str) -> int:
    """The audit log keeps snapshots of charters, milestones, updates and claims: the erased
    texts leave the entries about these projects (and their milestones and claims)."""
    ordered = sorted(texts, key=len, reverse=True)
    label_of = {m: str(m._meta.verbose_name).title() for m in (Project, Milestone, BenefitClaim)}
    milestones = Milestone.objects.filter(project_id__in=projects).values_list("pk", flat=True)
    entries = AuditEntry.objects.filter(
        Q(object_type=label_of[Project], object_id__in=[str(pk) for pk in projects])
        | Q(object_type=label_of[Milestone], object_id__in=[str(pk) for pk in milestones])
        | Q(object_type=label_of[BenefitClaim], object_id__in=[str(pk) for pk in claims])
    )
    changed = 0
    for entry in entries:
        scrubbed = (
            _scrub(entry.object_repr, ordered, label)[:300],
            _scrub(entry.before, ordered, label),
            _scrub(entry.after, ordered, label),
        )
        if scrubbed != (entry.object_repr, entry.before, entry.after):
            entry.object_repr, entry.before, entry.after = scrubbed
            entry.save(update_fields=["object_repr", "before", "after"])
            changed += 1
    return changed


def erase_person(membership: Membership, placeholder: dict[str, Any]) -> dict[str, int]:
    m = membership
    label = placeholder["label"]
    owned = Project.objects.filter(owner=m)
    stakeholder_ids = list(_as_stakeholder(m).values_list("pk", flat=True))
    owned_ids = list(owned.values_list("pk", flat=True))
    claims = BenefitClaim.objects.filter(Q(claimant=m) | Q(project_id__in=owned_ids))
    updates = StatusUpdate.objects.filter(Q(author=m) | Q(project_id__in=owned_ids))
    moves = MilestoneDateChange.objects.filter(Q(actor=m) | Q(milestone__project_id__in=owned_ids))
    decisions = ProjectDecision.objects.filter(Q(actor=m) | Q(project_id__in=owned_ids))
    texts = (
        _texts(owned, "title", "problem", "scope_reason", "expected_outcomes", "sponsor_assessment")
        | _texts(Milestone.objects.filter(project_id__in=owned_ids), "evidence", "evidence_links")
        | _texts(OutcomeResult.objects.filter(project_id__in=owned_ids), "expected", "achieved")
        | _texts(updates, "progress", "tried", "blockers", "next_steps")
        | _texts(moves, "reason")
        | _texts(decisions, "comment")
        | _texts(claims, "basis", "decision_comment")
        | _texts(Stakeholder.objects.filter(pk__in=stakeholder_ids), "name", "email")
        | {s for s in placeholder["secrets"] if s}
    )
    touched = set(owned_ids) | set(
        Stakeholder.objects.filter(pk__in=stakeholder_ids).values_list("project_id", flat=True)
    )
    audit = _scrub_audit(sorted(touched), list(claims.values_list("pk", flat=True)), texts, label)
    return {
        "project audit entries made anonymous": audit,
        "projects (charter text deleted)": owned.update(
            title=label,
            problem=label,
            scope_reason="",
            expected_outcomes=label,
            sponsor_assessment="",
        ),
        "milestone evidence deleted": Milestone.objects.filter(project__in=owned)
        .exclude(evidence="", evidence_links="")
        .update(evidence="", evidence_links=""),
        "outcome results (text deleted)": OutcomeResult.objects.filter(project__in=owned).update(
            expected=label, achieved=label
        ),
        "status updates (text deleted)": updates.update(
            progress=label, tried="", blockers="", next_steps=""
        ),
        "milestone move reasons deleted": moves.update(reason=label),
        "decision comments deleted": decisions.exclude(comment="").update(comment=""),
        "benefit claims (text deleted)": claims.update(basis=label, decision_comment=""),
        "stakeholder rating comments deleted": StakeholderRating.objects.filter(
            Q(project__in=owned) | Q(request__stakeholder_id__in=stakeholder_ids)
        )
        .exclude(comment="")
        .update(comment=""),
        "stakeholder entries made anonymous": Stakeholder.objects.filter(
            pk__in=stakeholder_ids
        ).update(name=label, email=placeholder["email"]),
    }


def purge_expired(org: Any, before: dt.datetime) -> dict[str, int]:
    """Only what was done is reported (nothing when nothing was old enough)."""
    cleared = (
        StakeholderRating.objects.filter(created_at__lt=before)
        .exclude(comment="")
        .update(comment="")
    )
    return {"stakeholder rating comments deleted": cleared} if cleared else {}
