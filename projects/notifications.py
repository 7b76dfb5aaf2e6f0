"""E-mails about projects. Each is a handler ``handler(org, *ids)`` recorded in the outbox
with the fact that causes it (``projects.services``), delivered once after commit, re-delivered
by the sweep when lost. Handlers re-read the rows, skip what no longer applies (a milestone
already done or moved, a rating already given) and respect the member's e-mail preference."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _

from organizations.models import Membership, Organization
from projects.models import Milestone, Project, ProjectDecision, ProjectLearner, RatingRequest
from projects.rating_links import rating_url
from projects.services import REMINDER_DAYS


def _project_url(org: Organization, project_id: int) -> str:
    return settings.PATHWISE_BASE_URL + reverse("project_detail", args=[org.slug, project_id])


def _send(members: list[Membership], subject: str, body: str) -> int:
    """Send to the members who accept e-mail; returns how many were sent."""
    addresses = [m.user.email for m in members if m.user.email_reminders and m.is_active]
    for address in addresses:
        send_mail(subject=subject, message=body, from_email=None, recipient_list=[address])
    return len(addresses)


def _body(org: Organization, project: Project, lead: str, **extra: object) -> str:
    return render_to_string(
        "projects/email.txt",
        {
            "org": org,
            "project": project,
            "lead": lead,
            "url": _project_url(org, project.pk),
            **extra,
        },
    )


def _project(project_id: int) -> Project | None:
    return (
        Project.objects.select_related("owner__user", "sponsor__user").filter(pk=project_id).first()
    )


def _learners(project: Project) -> list[Membership]:
    return [
        p.learner
        for p in ProjectLearner.objects.select_related("learner__user").filter(project=project)
    ]


def _latest_comment(project: Project, kind: str) -> str:
    decision = (
        ProjectDecision.objects.filter(project=project, kind=kind)
        .order_by("-created_at", "-id")
        .first()
    )
    return decision.comment if decision is not None else ""


def charter_waiting(org: Organization, project_id: int) -> int:
    project = _project(project_id)
    if project is None or project.sponsor is None or project.status != Project.Status.SUBMITTED:
        return 0
    lead = _("%(learner)s asks you to approve the charter of “%(title)s”.") % {
        "learner": project.owner.user.display_name,
        "title": project.title,
    }
    return _send(
        [project.sponsor], _("A project charter is waiting for you"), _body(org, project, lead)
    )


def charter_sent_back(org: Organization, project_id: int) -> int:
    project = _project(project_id)
    if project is None:
        return 0
    lead = _("Your sponsor sent the charter of “%(title)s” back.") % {"title": project.title}
    comment = _latest_comment(project, ProjectDecision.Kind.SENT_BACK)
    return _send(
        [project.owner],
        _("Your project charter was sent back"),
        _body(org, project, lead, comment=comment),
    )


def charter_approved(org: Organization, project_id: int) -> int:
    project = _project(project_id)
    if project is None:
        return 0
    lead = _("Your sponsor approved the charter of “%(title)s”. The project is running.") % {
        "title": project.title
    }
    return _send(
        _learners(project), _("Your project charter is approved"), _body(org, project, lead)
    )


def closing_report(org: Organization, project_id: int) -> int:
    project = _project(project_id)
    if project is None or project.sponsor is None or project.status != Project.Status.CLOSING:
        return 0
    lead = _("“%(title)s” is closed by its learners and waits for your sign-off.") % {
        "title": project.title
    }
    return _send(
        [project.sponsor], _("A project waits for your sign-off"), _body(org, project, lead)
    )


def more_asked(org: Organization, project_id: int) -> int:
    project = _project(project_id)
    if project is None:
        return 0
    lead = _("Your sponsor asked for more before signing off “%(title)s”.") % {
        "title": project.title
    }
    comment = _latest_comment(project, ProjectDecision.Kind.MORE_ASKED)
    return _send(
        _learners(project),
        _("Your sponsor asked for more"),
        _body(org, project, lead, comment=comment),
    )


def signed_off(org: Organization, project_id: int) -> int:
    project = _project(project_id)
    if project is None or project.status != Project.Status.SIGNED_OFF:
        return 0
    lead = _("Your sponsor signed off “%(title)s”. Well done.") % {"title": project.title}
    return _send(
        _learners(project),
        _("Your project is signed off"),
        _body(org, project, lead, comment=project.sponsor_assessment),
    )


def milestone_due(org: Organization, milestone_id: int, due_on: str) -> int:
    """The day before a milestone's date: skipped when it is done, moved or the project stopped."""
    milestone = Milestone.objects.select_related("project").filter(pk=milestone_id).first()
    if (
        milestone is None
        or milestone.done_on is not None
        or milestone.due_on != dt.date.fromisoformat(due_on)
        or milestone.project.status != Project.Status.RUNNING
    ):
        return 0
    project = milestone.project
    lead = _("Milestone “%(milestone)s” of “%(title)s” is due tomorrow (%(date)s).") % {
        "milestone": milestone.title,
        "title": project.title,
        "date": milestone.due_on.isoformat(),
    }
    return _send(
        _learners(project), _("A project milestone is due tomorrow"), _body(org, project, lead)
    )


def _rating_mail(request_id: int, reminder: int = 0) -> int:
    request = (
        RatingRequest.objects.select_related("project__owner__user", "stakeholder", "milestone")
        .filter(pk=request_id)
        .first()
    )
    if request is None or request.answered_at is not None:
        return 0
    if reminder and request.reminders_sent >= reminder:
        return 0  # this reminder already went out
    project = request.project
    body = render_to_string(
        "projects/rating_email.txt",
        {
            "request": request,
            "project": project,
            "learner": project.owner.user.display_name,
            "url": rating_url(request),
            "reminder": reminder,
        },
    )
    subject = (
        _("Reminder: how did “%(title)s” go for you?")
        if reminder
        else _("How did “%(title)s” go for you?")
    ) % {"title": project.title}
    send_mail(
        subject=subject, message=body, from_email=None, recipient_list=[request.stakeholder.email]
    )
    if reminder:
        RatingRequest.objects.filter(pk=request.pk, reminders_sent__lt=reminder).update(
            reminders_sent=reminder
        )
    return 1


def rating_request(org: Organization, request_id: int) -> int:
    return _rating_mail(request_id)


def rating_reminder(org: Organization, request_id: int, number: int) -> int:
    """Reminder ``number`` (1 or 2, ``REMINDER_DAYS`` apart) to a stakeholder who has not answered."""
    if not 1 <= number <= len(REMINDER_DAYS):
        return 0
    return _rating_mail(request_id, reminder=number)
