"""E-mails of 360 feedback: outbox handlers ``handler(org, *ids)``, run after the fact commits.

Each re-reads its rows and does nothing when the situation has moved on (answered, declined,
closed), so a late or repeated delivery is harmless.
"""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse
from django.utils import timezone

from measurement.feedback import services
from measurement.feedback.models import Cycle, Participant, RaterRequest, Relationship, Report
from organizations.models import Organization

ATTRIBUTION = (
    "Who sees what: the learner reads a report. Their manager's answers and their own are shown "
    "as such; peers, direct reports and others are combined and shown only when at least "
    "{threshold} of a group answered, and comments only when at least {comments} did. "
    "Their sponsor and HR never see an individual report."
)


def _tenant_url(name: str, org: Organization, *args: object) -> str:
    return settings.PATHWISE_BASE_URL + reverse(name, args=[org.slug, *args])


def rater_link(request: RaterRequest) -> str:
    return settings.PATHWISE_BASE_URL + reverse(
        "feedback_rate", args=[services.make_token(request)]
    )


def send_nomination_request(org: Organization, participant_id: int) -> None:
    participant = (
        Participant.objects.select_related("cycle", "learner__user")
        .filter(pk=participant_id)
        .first()
    )
    if participant is None or participant.nominations != Participant.Nominations.DRAFT:
        return
    user = participant.learner.user
    url = _tenant_url("feedback_participant", org, participant.pk)
    send_mail(
        subject=f"{participant.cycle.title}: choose who gives you feedback",
        message=(
            f"Hello {user.display_name},\n\nNominate your raters for {participant.cycle.title} by "
            f"{participant.cycle.nominations_close_on:%d %b %Y}, and rate yourself on the same "
            f"statements:\n{url}\n"
        ),
        from_email=None,
        recipient_list=[user.email],
    )


def send_approval_request(org: Organization, participant_id: int) -> None:
    participant = (
        Participant.objects.select_related("cycle", "learner__user", "learner__manager__user")
        .filter(pk=participant_id)
        .first()
    )
    if participant is None or participant.nominations != Participant.Nominations.SUBMITTED:
        return
    manager = participant.learner.manager
    if manager is None:
        return  # an HR admin approves it from the cycle's page
    send_mail(
        subject=f"Approve {participant.learner.user.display_name}'s 360 raters",
        message=(
            f"{participant.learner.user.display_name} has chosen raters for "
            f"{participant.cycle.title}. Check and approve the list:\n"
            f"{_tenant_url('feedback_participant', org, participant.pk)}\n"
        ),
        from_email=None,
        recipient_list=[manager.user.email],
    )


def _rater_mail(org: Organization, request: RaterRequest, reminder: bool) -> None:
    learner = request.participant.learner.user.display_name
    closes = services.window_closes_on(request)
    what = "a short behaviour pulse" if request.pulse_id else "360 feedback"
    attributed = request.relationship in (Relationship.MANAGER, Relationship.SELF)
    note = (
        "Your answers are shown to them as your manager's."
        if attributed
        else ATTRIBUTION.format(threshold=org.anonymity_threshold, comments=org.comment_threshold)
    )
    send_mail(
        subject=("Reminder: " if reminder else "") + f"{learner} asks for your {what}",
        message=(
            f"Hello {request.name or ''},\n\n{learner} asks for your {what} about how they work "
            f"({org.name}). It takes about 10 minutes and works on a phone; you can save and "
            f"come back. Answers close on {closes:%d %b %Y}.\n\n{rater_link(request)}\n\n{note}\n"
        ),
        from_email=None,
        recipient_list=[request.email],
    )


def send_rater_invitation(org: Organization, request_id: int) -> None:
    request = (
        RaterRequest.objects.select_related(
            "participant__learner__user", "participant__cycle", "pulse"
        )
        .filter(pk=request_id, status=RaterRequest.Status.INVITED)
        .first()
    )
    if request is None:
        return
    _rater_mail(org, request, reminder=False)


def send_rater_reminder(org: Organization, request_id: int, number: int) -> None:
    """Remind a non-responder; at most ``MAX_REMINDERS`` in all, never after the window, and a
    member who turned reminders off gets none."""
    request = (
        RaterRequest.objects.select_related(
            "participant__learner__user", "participant__cycle", "pulse", "rater__user"
        )
        .filter(pk=request_id, status=RaterRequest.Status.INVITED)
        .first()
    )
    if request is None or request.reminders_sent >= services.MAX_REMINDERS:
        return
    if request.participant.cycle.status == Cycle.Status.CLOSED and request.pulse_id is None:
        return
    if timezone.localdate() > services.window_closes_on(request):
        return
    if request.rater is not None and not request.rater.user.email_reminders:
        return
    updated = RaterRequest.objects.filter(
        pk=request.pk, reminders_sent=request.reminders_sent
    ).update(reminders_sent=request.reminders_sent + 1, last_reminded_at=timezone.now())
    if updated:
        _rater_mail(org, request, reminder=True)


def send_report_ready(org: Organization, report_id: int) -> None:
    report = Report.objects.select_related("learner__user", "cycle").filter(pk=report_id).first()
    if report is None:
        return
    user = report.learner.user
    send_mail(
        subject=f"Your 360 report is ready: {report.cycle.title}",
        message=(
            f"Hello {user.display_name},\n\nYour report for {report.cycle.title} is ready. Only "
            f"you can see it unless you share it with your coach:\n"
            f"{_tenant_url('feedback_report', org, report.pk)}\n"
        ),
        from_email=None,
        recipient_list=[user.email],
    )
