"""Outbox handlers: session invitations (with ICS), updates, cancellations and reminders.

Each runs once per outbox row, inside the tenant, after the fact committed. A handler whose
session moved on since the row was recorded (a later SEQUENCE) sends nothing: the newer row
carries the current event.
"""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMessage
from django.urls import reverse
from django.utils.translation import gettext as _

from coaching.ics import SessionEvent, calendar
from coaching.models import CoachingSession, SessionParticipant
from organizations.models import Organization
from organizations.relative_dates import zone_named


def session_event(session: CoachingSession, cancelled: bool = False) -> SessionEvent:
    """The calendar event of a session, attendees included (2 queries)."""
    participants = SessionParticipant.objects.filter(session=session).select_related(
        "learner__user"
    )
    coach = session.coach.user
    where = session.location or session.get_mode_display()
    return SessionEvent(
        uid=str(session.uid),
        sequence=session.sequence,
        title=session.title,
        starts_at=session.starts_at,
        minutes=session.minutes,
        location=where,
        description=_("Coaching session with %(coach)s (%(mode)s).")
        % {"coach": coach.display_name, "mode": session.get_mode_display()},
        organizer_name=coach.display_name,
        organizer_email=coach.email,
        attendees=tuple((p.learner.user.display_name, p.learner.user.email) for p in participants),
        cancelled=cancelled,
    )


def _participant(session_id: int, learner_id: int, sequence: int) -> SessionParticipant | None:
    participant = (
        SessionParticipant.objects.select_related("session__coach__user", "learner__user")
        .filter(session_id=session_id, learner_id=learner_id)
        .first()
    )
    if participant is None or participant.session.sequence != sequence:
        return None  # vanished, or superseded by a later update
    return participant


def _send(org: Organization, participant: SessionParticipant, subject: str, method: str) -> None:
    session = participant.session
    cancelled = method == "CANCEL"
    ics = calendar([session_event(session, cancelled)], org.time_zone, method)
    zone = zone_named(participant.learner.user.time_zone, org.time_zone)
    when = session.starts_at.astimezone(zone)
    url = settings.PATHWISE_BASE_URL + reverse("my_coaching", args=[org.slug])
    body = _(
        "%(subject)s\n\n%(title)s with %(coach)s\n%(when)s (%(zone)s), %(minutes)s minutes\n"
        "%(where)s\n\nYour coaching page: %(url)s\n"
    ) % {
        "subject": subject,
        "title": session.title,
        "coach": session.coach.user.display_name,
        "when": when.strftime("%A %-d %B %Y, %H:%M"),
        "zone": zone.key,
        "minutes": session.minutes,
        "where": session.location or session.get_mode_display(),
        "url": url,
    }
    message = EmailMessage(subject=subject, body=body, to=[participant.learner.user.email])
    message.attach("invite.ics", ics, f"text/calendar; method={method}; charset=UTF-8")
    message.send()


def send_session_invitation(
    org: Organization, session_id: int, learner_id: int, sequence: int
) -> None:
    participant = _participant(session_id, learner_id, sequence)
    if participant is None or participant.session.status != CoachingSession.Status.SCHEDULED:
        return
    subject = (
        _("Coaching session: %(title)s")
        if sequence == 0
        else _("Coaching session moved: %(title)s")
    ) % {"title": participant.session.title}
    _send(org, participant, subject, "REQUEST")


def send_session_cancellation(
    org: Organization, session_id: int, learner_id: int, sequence: int
) -> None:
    participant = _participant(session_id, learner_id, sequence)
    if participant is None:
        return
    subject = _("Coaching session cancelled: %(title)s") % {"title": participant.session.title}
    _send(org, participant, subject, "CANCEL")


def send_session_reminder(
    org: Organization, session_id: int, learner_id: int, sequence: int
) -> None:
    """A day before; only for a session still scheduled at that time and a learner who wants
    reminders."""
    participant = _participant(session_id, learner_id, sequence)
    if participant is None or participant.session.status != CoachingSession.Status.SCHEDULED:
        return
    if not participant.learner.user.email_reminders:
        return
    subject = _("Tomorrow: %(title)s") % {"title": participant.session.title}
    _send(org, participant, subject, "REQUEST")
