"""Every write for coaching: ``check_*`` validates and authorises, ``do_*`` writes in a
transaction and records follow-up work (e-mails, calendar updates) in the outbox.

Private text (session notes, summaries, journal, peer feedback) is never copied into the audit
log: its before/after snapshots are readable by admins.
"""

from __future__ import annotations

import datetime as dt
import enum
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from coaching.models import (
    CalendarFeed,
    CoachingEngagement,
    CoachingSession,
    ConversationTemplate,
    EngagementFocus,
    Experiment,
    Goal,
    JournalEntry,
    Observation,
    ObservationInvite,
    PeerFeedback,
    Rehearsal,
    SessionCompetency,
    SessionParticipant,
    ThreeWayNote,
)
from competencies.models import BehaviouralIndicator, Competency, ProficiencyLevel
from organizations.models import Membership
from organizations.outbox.delivery import record_followup
from pathways.models import Cohort, Enrollment, Scenario, Step
from projects.queries import learner_works_on

NOTIFY = "coaching.notifications"
# Reminders go out this long before a session.
REMINDER_BEFORE = dt.timedelta(hours=24)
# The longest session (models cap ``minutes`` at 480): how far back a clash can start.
LONGEST_SESSION = dt.timedelta(minutes=480)


def _fail(field_name: str | None, message: str) -> ValidationError:
    return ValidationError({field_name: [message]} if field_name else message)


# --- Engagements ------------------------------------------------------------------------------


def check_engagement(
    *,
    coach: Membership,
    coachee: Membership,
    cohort: Cohort | None,
    starts_on: dt.date,
    ends_on: dt.date,
    sponsor: Membership | None = None,
) -> None:
    problems: dict[str, list[str]] = {}
    if not coach.is_coach or not coach.is_active:
        problems["coach"] = [_("%(name)s is not a coach here.") % {"name": coach.user}]
    if not coachee.is_learner or not coachee.is_active:
        problems["coachee"] = [_("%(name)s is not a learner here.") % {"name": coachee.user}]
    elif coach.pk == coachee.pk:
        problems["coachee"] = [_("A coach cannot coach themself.")]
    if sponsor is not None and not sponsor.is_sponsor:
        problems["sponsor"] = [_("%(name)s is not a sponsor here.") % {"name": sponsor.user}]
    if ends_on < starts_on:
        problems["ends_on"] = [_("The end date is before the start date.")]
    if (
        cohort is not None
        and "coachee" not in problems
        and not Enrollment.objects.filter(cohort=cohort, learner=coachee).exists()
    ):
        problems["coachee"] = [
            _("%(name)s is not enrolled in %(cohort)s.")
            % {"name": coachee.user, "cohort": cohort.name}
        ]
    if not problems and (
        CoachingEngagement.objects.filter(coach=coach, coachee=coachee, cohort=cohort).exists()
    ):
        problems["coachee"] = [
            _("%(coach)s already coaches %(name)s in this cohort.")
            % {"coach": coach.user, "name": coachee.user}
        ]
    if problems:
        raise ValidationError(problems)


def do_create_engagement(
    *,
    coach: Membership,
    coachee: Membership,
    cohort: Cohort | None,
    starts_on: dt.date,
    ends_on: dt.date,
    sessions_contracted: int = 6,
    focus_competencies: Iterable[Competency] = (),
    sponsor: Membership | None = None,
) -> CoachingEngagement:
    """Pair a coach with a coachee; with no focus given, the suggested focus is used; the
    cohort's coach list gains the coach if missing."""
    from pathways.models import CohortCoach

    with transaction.atomic():
        check_engagement(
            coach=coach,
            coachee=coachee,
            cohort=cohort,
            starts_on=starts_on,
            ends_on=ends_on,
            sponsor=sponsor,
        )
        focus = list(focus_competencies)
        if not focus:
            from coaching.queries import suggested_focus

            focus = list(Competency.objects.filter(pk__in=suggested_focus(coachee)))
        engagement = CoachingEngagement.objects.create(
            coach=coach,
            coachee=coachee,
            cohort=cohort,
            sponsor=sponsor,
            starts_on=starts_on,
            ends_on=ends_on,
            sessions_contracted=sessions_contracted,
        )
        EngagementFocus.objects.bulk_create(
            [
                EngagementFocus(
                    organization_id=engagement.organization_id,
                    engagement=engagement,
                    competency=c,
                )
                for c in {c.pk: c for c in focus}.values()
            ]
        )
        if (
            cohort is not None
            and not CohortCoach.objects.filter(cohort=cohort, membership=coach).exists()
        ):
            CohortCoach.objects.create(cohort=cohort, membership=coach)
    return engagement


def do_pair_cohort(
    *,
    coach: Membership,
    cohort: Cohort,
    starts_on: dt.date,
    ends_on: dt.date,
    sessions_contracted: int = 6,
    sponsor: Membership | None = None,
) -> list[CoachingEngagement]:
    """The cohort set-up: every active learner of ``cohort`` without an engagement in it gets
    one with ``coach`` (focus suggested per learner). All or nothing; returns the new ones."""
    with transaction.atomic():
        if ends_on < starts_on:
            raise _fail("ends_on", _("The end date is before the start date."))
        paired = set(
            CoachingEngagement.objects.filter(cohort=cohort).values_list("coachee_id", flat=True)
        )
        learners = [
            e.learner
            for e in Enrollment.objects.filter(cohort=cohort, status=Enrollment.Status.ACTIVE)
            .exclude(learner_id__in=paired)
            .select_related("learner__user")
            .order_by("learner__user__full_name", "id")
        ]
        if not learners:
            raise _fail(
                "cohort",
                _("Every active learner of %(cohort)s already has a coach.")
                % {"cohort": cohort.name},
            )
        return [
            do_create_engagement(
                coach=coach,
                coachee=learner,
                cohort=cohort,
                starts_on=starts_on,
                ends_on=ends_on,
                sessions_contracted=sessions_contracted,
                sponsor=sponsor,
            )
            for learner in learners
        ]


# --- Sessions ---------------------------------------------------------------------------------


def _clash(
    coach: Membership, starts_at: dt.datetime, minutes: int, exclude_id: int | None
) -> CoachingSession | None:
    ends_at = starts_at + dt.timedelta(minutes=minutes)
    nearby = CoachingSession.objects.filter(
        coach=coach,
        starts_at__lt=ends_at,
        starts_at__gt=starts_at - LONGEST_SESSION,
    ).exclude(status=CoachingSession.Status.CANCELLED)
    if exclude_id is not None:
        nearby = nearby.exclude(pk=exclude_id)
    for other in nearby.order_by("starts_at"):
        if other.ends_at > starts_at:
            return other
    return None


def _clash_message(other: CoachingSession) -> str:
    zone = timezone.get_current_timezone()
    start = other.starts_at.astimezone(zone)
    return _(
        "You already have “%(title)s” from %(start)s to %(end)s; choose a time that does not "
        "overlap."
    ) % {
        "title": other.title,
        "start": start.strftime("%-d %b %Y %H:%M"),
        "end": other.ends_at.astimezone(zone).strftime("%H:%M"),
    }


def check_session_time(
    coach: Membership,
    starts_at: dt.datetime,
    minutes: int,
    *,
    exclude_id: int | None = None,
    now: dt.datetime | None = None,
) -> None:
    if starts_at <= (now or timezone.now()):
        raise _fail("starts_at", _("Choose a time in the future."))
    if not 10 <= minutes <= 480:
        raise _fail("minutes", _("A session lasts between 10 and 480 minutes."))
    other = _clash(coach, starts_at, minutes, exclude_id)
    if other is not None:
        raise _fail("starts_at", _clash_message(other))


def check_group_participants(
    coach: Membership, cohort: Cohort | None, learners: Sequence[Membership], capacity: int
) -> None:
    if cohort is None:
        raise _fail("cohort", _("Choose the cohort the group comes from."))
    if not cohort.coaches.filter(pk=coach.pk).exists():
        raise _fail("cohort", _("You do not coach %(cohort)s.") % {"cohort": cohort.name})
    if not learners:
        raise _fail("participants", _("Choose at least one participant."))
    if len(learners) > capacity:
        raise _fail(
            "participants",
            _("%(n)s participants chosen, but the group holds %(capacity)s.")
            % {"n": len(learners), "capacity": capacity},
        )
    enrolled = set(
        Enrollment.objects.filter(cohort=cohort, learner__in=learners)
        .exclude(status=Enrollment.Status.WITHDRAWN)
        .values_list("learner_id", flat=True)
    )
    outside = [str(m.user) for m in learners if m.pk not in enrolled]
    if outside:
        raise _fail(
            "participants",
            _("Not in %(cohort)s: %(names)s.")
            % {"cohort": cohort.name, "names": ", ".join(outside)},
        )


@dataclass(frozen=True)
class SessionPlan:
    title: str
    starts_at: dt.datetime
    minutes: int
    mode: str
    location: str = ""
    conversation_template: ConversationTemplate | None = None


def do_schedule_session(
    coach: Membership,
    plan: SessionPlan,
    *,
    engagement: CoachingEngagement | None = None,
    cohort: Cohort | None = None,
    participants: Sequence[Membership] = (),
    capacity: int = 1,
    project: int | None = None,
) -> CoachingSession:
    """Schedule a 1:1 (``engagement``) or a group session (``cohort`` + ``participants``); a
    1:1 may link one of the coachee's projects (``project``, an id). Locks the coach's row so
    two bookings at once cannot both pass the clash check; records an invitation and a 24-hour
    reminder per participant in the outbox."""
    with transaction.atomic():
        Membership.objects.select_for_update().filter(pk=coach.pk).first()
        if not plan.title.strip():
            raise _fail("title", _("Give the session a title."))
        if engagement is not None:
            if engagement.coach_id != coach.pk:
                raise _fail(None, _("This is not one of your coaching engagements."))
            if engagement.status != CoachingEngagement.Status.ACTIVE:
                raise _fail(None, _("This engagement has ended."))
            learners = [engagement.coachee]
            kind, capacity, cohort = CoachingSession.Kind.ONE_TO_ONE, 1, engagement.cohort
            project = check_coachee_project(engagement.coachee_id, project)
        else:
            check_group_participants(coach, cohort, participants, capacity)
            learners = list(participants)
            kind = CoachingSession.Kind.GROUP
            if project is not None:
                raise _one_to_one_only()
        check_session_time(coach, plan.starts_at, plan.minutes)
        session = CoachingSession.objects.create(
            coach=coach,
            kind=kind,
            engagement=engagement,
            cohort=cohort,
            title=plan.title.strip(),
            starts_at=plan.starts_at,
            minutes=plan.minutes,
            mode=plan.mode,
            location=plan.location.strip(),
            conversation_template=plan.conversation_template,
            capacity=capacity,
            project_id=project,
        )
        SessionParticipant.objects.bulk_create(
            [
                SessionParticipant(
                    organization_id=session.organization_id, session=session, learner=m
                )
                for m in learners
            ]
        )
        _notify_participants(session, "send_session_invitation")
    return session


def _notify_participants(session: CoachingSession, handler: str) -> None:
    """Invitation/update or cancellation now, and (for a scheduled session) a reminder a day
    before; each keyed by the session's UID and SEQUENCE so a retry sends nothing twice."""
    learner_ids = list(
        SessionParticipant.objects.filter(session=session).values_list("learner_id", flat=True)
    )
    for learner_id in learner_ids:
        record_followup(
            f"{NOTIFY}.{handler}",
            session.pk,
            learner_id,
            session.sequence,
            dedupe_key=f"coaching:{handler}:{session.uid}:{session.sequence}:{learner_id}",
        )
        if handler == "send_session_invitation":
            record_followup(
                f"{NOTIFY}.send_session_reminder",
                session.pk,
                learner_id,
                session.sequence,
                dedupe_key=f"coaching:reminder:{session.uid}:{session.sequence}:{learner_id}",
                run_after=max(session.starts_at - REMINDER_BEFORE, timezone.now()),
            )


def _own_scheduled(coach: Membership, session_id: int) -> CoachingSession:
    session = CoachingSession.objects.select_for_update().filter(pk=session_id, coach=coach).first()
    if session is None:
        raise CoachingSession.DoesNotExist
    if session.status != CoachingSession.Status.SCHEDULED:
        raise _fail(
            None,
            _("Only a scheduled session can be changed; this one is %(s)s.")
            % {"s": session.get_status_display().lower()},
        )
    return session


def do_reschedule_session(
    coach: Membership,
    session_id: int,
    *,
    starts_at: dt.datetime,
    minutes: int,
    mode: str,
    location: str,
) -> CoachingSession:
    """Move a scheduled session: same UID, SEQUENCE + 1, an update to every participant."""
    with transaction.atomic():
        Membership.objects.select_for_update().filter(pk=coach.pk).first()
        session = _own_scheduled(coach, session_id)
        check_session_time(coach, starts_at, minutes, exclude_id=session.pk)
        session.starts_at, session.minutes = starts_at, minutes
        session.mode, session.location = mode, location.strip()
        session.sequence += 1
        session.save(update_fields=["starts_at", "minutes", "mode", "location", "sequence"])
        _notify_participants(session, "send_session_invitation")
    return session


def do_cancel_session(coach: Membership, session_id: int) -> CoachingSession:
    """Cancel: SEQUENCE + 1 and METHOD:CANCEL to every participant."""
    with transaction.atomic():
        session = _own_scheduled(coach, session_id)
        session.status = CoachingSession.Status.CANCELLED
        session.cancelled_at = timezone.now()
        session.sequence += 1
        session.save(update_fields=["status", "cancelled_at", "sequence"])
        _notify_participants(session, "send_session_cancellation")
    return session


@dataclass(frozen=True)
class AgreedItem:
    """An experiment or action item agreed in a session, for one participant."""

    learner_id: int
    action: str
    due_on: dt.date
    kind: str = Experiment.Kind.EXPERIMENT
    hypothesis: str = ""
    where: str = ""


class Keep(enum.Enum):
    """A value left as it is (a log that does not mention the session's project)."""

    KEEP = "keep"


def _one_to_one_only() -> ValidationError:
    return _fail(
        "project", _("Only a 1:1 session can work on a project: a project is one coachee's work.")
    )


@dataclass(frozen=True)
class SessionLog:
    attendance: Mapping[int, str]  # learner (Membership) id -> SessionParticipant.Attendance
    actual_minutes: int
    competencies: Sequence[Competency] = ()
    private_notes: str = ""
    shared_summary: str = ""
    agreed: Sequence[AgreedItem] = field(default_factory=tuple)
    # The coachee's project a 1:1 worked on (an id, or None for none); KEEP leaves it as it is.
    project: int | None | Keep = Keep.KEEP


@dataclass(frozen=True)
class LogOutcome:
    session: CoachingSession
    steps_completed: int
    steps_not_open: list[str]


def check_session_log(
    session: CoachingSession, log: SessionLog, now: dt.datetime | None = None
) -> None:
    if session.status == CoachingSession.Status.CANCELLED:
        raise _fail(None, _("This session was cancelled; there is nothing to log."))
    if session.starts_at > (now or timezone.now()):
        raise _fail(None, _("This session has not happened yet; log it after it has taken place."))
    if not 1 <= log.actual_minutes <= 480:
        raise _fail("actual_minutes", _("Give the actual length, between 1 and 480 minutes."))
    participants = set(
        SessionParticipant.objects.filter(session=session).values_list("learner_id", flat=True)
    )
    valid = set(SessionParticipant.Attendance.values)
    if set(log.attendance) != participants or not set(log.attendance.values()) <= valid:
        raise _fail(None, _("Record attendance for every participant."))
    for item in log.agreed:
        if item.learner_id not in participants:
            raise _fail("agreed", _("An experiment can only be agreed with a participant."))
        if not item.action.strip():
            raise _fail("agreed", _("Say what the experiment is: the action to try."))
    if isinstance(log.project, int):
        if session.kind != CoachingSession.Kind.ONE_TO_ONE:
            raise _one_to_one_only()
        [coachee] = participants
        check_coachee_project(coachee, log.project)


def do_log_session(coach: Membership, session_id: int, log: SessionLog) -> LogOutcome:
    """Record what happened (a second log corrects the first). Completes, for each participant
    who attended, the coaching-conversation steps of their pathways that follow this session's
    conversation template."""
    with transaction.atomic():
        session = (
            CoachingSession.objects.select_for_update().filter(pk=session_id, coach=coach).first()
        )
        if session is None:
            raise CoachingSession.DoesNotExist
        check_session_log(session, log)
        for learner_id, attendance in log.attendance.items():
            SessionParticipant.objects.filter(session=session, learner_id=learner_id).update(
                attendance=attendance
            )
        session.status = CoachingSession.Status.HELD
        session.actual_minutes = log.actual_minutes
        session.private_notes = log.private_notes.strip()
        session.shared_summary = log.shared_summary.strip()
        session.logged_at = session.logged_at or timezone.now()
        linked = [] if log.project is Keep.KEEP else ["project"]
        if not isinstance(log.project, Keep):
            session.project_id = log.project
        session.save(
            update_fields=[
                "status",
                "actual_minutes",
                "private_notes",
                "shared_summary",
                "logged_at",
                *linked,
            ]
        )
        SessionCompetency.objects.filter(session=session).delete()
        SessionCompetency.objects.bulk_create(
            [
                SessionCompetency(
                    organization_id=session.organization_id, session=session, competency=c
                )
                for c in {c.pk: c for c in log.competencies}.values()
            ]
        )
        engagements = dict(
            CoachingEngagement.objects.filter(
                coach=coach, coachee_id__in=[i.learner_id for i in log.agreed]
            ).values_list("coachee_id", "pk")
        )
        Experiment.objects.bulk_create(
            [
                Experiment(
                    organization_id=session.organization_id,
                    learner_id=item.learner_id,
                    engagement_id=session.engagement_id or engagements.get(item.learner_id),
                    session=session,
                    kind=item.kind,
                    hypothesis=item.hypothesis.strip(),
                    action=item.action.strip(),
                    where=item.where.strip(),
                    due_on=item.due_on,
                )
                for item in log.agreed
            ]
        )
        attended = [
            learner_id
            for learner_id, a in log.attendance.items()
            if a == SessionParticipant.Attendance.ATTENDED
        ]
        done, not_open = _complete_conversation_steps(session, attended)
        from measurement.impact import queue_team_rollups_for_learners

        queue_team_rollups_for_learners(list(log.attendance))  # their teams' coaching attendance
    return LogOutcome(session=session, steps_completed=done, steps_not_open=not_open)


def _complete_conversation_steps(
    session: CoachingSession, learner_ids: Sequence[int]
) -> tuple[int, list[str]]:
    """The learners' open coaching steps that follow the session's template, completed as the
    pathway records any step (``pathways.services.do_complete_step``)."""
    from pathways.services import do_complete_step

    if session.conversation_template_id is None or not learner_ids:
        return 0, []
    enrollments = list(
        Enrollment.objects.filter(
            learner_id__in=learner_ids, status=Enrollment.Status.ACTIVE
        ).select_related("learner__user")
    )
    steps = Step.objects.filter(
        kind=Step.Kind.COACHING,
        conversation_template_id=session.conversation_template_id,
        version_id__in={e.version_id for e in enrollments},
    )
    by_version: dict[int, list[Step]] = {}
    for step in steps:
        by_version.setdefault(step.version_id, []).append(step)
    done, not_open = 0, []
    for enrollment in enrollments:
        for step in by_version.get(enrollment.version_id, []):
            try:
                do_complete_step(enrollment.learner, enrollment.pk, step.pk)
            except ValidationError:
                # Not open yet for this learner (e.g. an earlier step is still to do).
                not_open.append(f"{enrollment.learner.user}: {step.display_title}")
            else:
                done += 1
    return done, not_open


def do_rate_session(learner: Membership, session_id: int, rating: int) -> SessionParticipant:
    if not isinstance(rating, int) or not 1 <= rating <= 5:
        raise _fail("rating", _("Rate the session from 1 (not useful) to 5 (very useful)."))
    with transaction.atomic():
        participant = (
            SessionParticipant.objects.select_for_update(of=("self",))
            .select_related("session")
            .filter(session_id=session_id, learner=learner)
            .first()
        )
        if participant is None:
            raise SessionParticipant.DoesNotExist
        if participant.session.status != CoachingSession.Status.HELD:
            raise _fail("rating", _("You can rate a session once your coach has logged it."))
        if participant.attendance != SessionParticipant.Attendance.ATTENDED:
            raise _fail("rating", _("Only participants who attended rate the session."))
        participant.rating = rating
        participant.rated_at = timezone.now()
        participant.save(update_fields=["rating", "rated_at"])
    return participant


# --- Goals and experiments ---------------------------------------------------------------------


def _queue_growth(learner_id: int) -> None:
    """A goal or an observation changed the learner's growth picture: their roll-up, recorded
    with the fact (measurement.growth)."""
    from measurement.growth.services import queue_growth_rollup

    queue_growth_rollup([learner_id])


def _engagement_of(actor: Membership, engagement_id: int) -> CoachingEngagement:
    """The engagement when ``actor`` is its coach or coachee."""
    engagement = (
        CoachingEngagement.objects.filter(pk=engagement_id)
        .filter(Q(coach=actor) | Q(coachee=actor))
        .first()
    )
    if engagement is None:
        raise CoachingEngagement.DoesNotExist
    return engagement


def do_set_goal(
    actor: Membership,
    engagement_id: int,
    *,
    title: str,
    success_measure: str,
    target_date: dt.date,
    competency: Competency | None = None,
    today: dt.date | None = None,
) -> Goal:
    engagement = _engagement_of(actor, engagement_id)
    problems: dict[str, list[str]] = {}
    if not title.strip():
        problems["title"] = [_("Say what the goal is.")]
    if not success_measure.strip():
        problems["success_measure"] = [_("Say how you will know it is achieved.")]
    if target_date < (today or timezone.localdate()):
        problems["target_date"] = [_("The target date is in the past.")]
    if problems:
        raise ValidationError(problems)
    with transaction.atomic():
        goal = Goal.objects.create(
            engagement=engagement,
            learner_id=engagement.coachee_id,
            competency=competency,
            title=title.strip(),
            success_measure=success_measure.strip(),
            target_date=target_date,
        )
        if competency is not None:
            _queue_growth(goal.learner_id)
    return goal


def do_update_goal(
    actor: Membership, goal_id: int, *, progress: int, status: str, reflection: str = ""
) -> Goal:
    """Progress 0-100; achieved or dropped needs a reflection."""
    with transaction.atomic():
        goal = (
            Goal.objects.select_for_update(of=("self",))
            .filter(pk=goal_id)
            .filter(Q(engagement__coach=actor) | Q(learner=actor))
            .first()
        )
        if goal is None:
            raise Goal.DoesNotExist
        if not 0 <= progress <= 100:
            raise _fail("progress", _("Progress is a percentage between 0 and 100."))
        if status not in Goal.Status.values:
            raise _fail("status", _("Choose in progress, achieved or dropped."))
        if status != Goal.Status.OPEN and not reflection.strip():
            raise _fail("reflection", _("Write a line on what you learned before closing it."))
        goal.progress = 100 if status == Goal.Status.ACHIEVED else progress
        goal.status = status
        goal.reflection = reflection.strip()
        goal.closed_at = None if status == Goal.Status.OPEN else (goal.closed_at or timezone.now())
        goal.save(update_fields=["progress", "status", "reflection", "closed_at"])
        if goal.competency_id is not None:
            _queue_growth(goal.learner_id)
    return goal


def check_coachee_project(learner_id: int, project_id: int | None) -> int | None:
    """The project an experiment or a session links to must be one the coachee works on, in
    this organisation (another organisation's project is not even found: the tenant filter
    hides it). Returns the project's id, or ``None`` for no link."""
    if project_id is None:
        return None
    if not learner_works_on(learner_id, project_id):
        raise _fail("project", _("Choose one of the coachee's own projects."))
    return project_id


def do_add_experiment(
    actor: Membership,
    engagement_id: int,
    *,
    action: str,
    due_on: dt.date,
    hypothesis: str = "",
    where: str = "",
    kind: str = Experiment.Kind.EXPERIMENT,
    project: int | None = None,
) -> Experiment:
    engagement = _engagement_of(actor, engagement_id)
    if not action.strip():
        raise _fail("action", _("Say what you will try."))
    if due_on < engagement.starts_on:
        raise _fail("due_on", _("The date is before the engagement started."))
    project_id = check_coachee_project(engagement.coachee_id, project)
    return Experiment.objects.create(
        learner_id=engagement.coachee_id,
        engagement=engagement,
        kind=kind,
        hypothesis=hypothesis.strip(),
        action=action.strip(),
        where=where.strip(),
        project_id=project_id,
        due_on=due_on,
    )


def do_close_experiment(
    actor: Membership, experiment_id: int, *, status: str, what_happened: str, learned: str
) -> Experiment:
    with transaction.atomic():
        experiment = (
            Experiment.objects.select_for_update(of=("self",))
            .filter(pk=experiment_id)
            .filter(Q(learner=actor) | Q(engagement__coach=actor))
            .first()
        )
        if experiment is None:
            raise Experiment.DoesNotExist
        if status not in (Experiment.Status.DONE, Experiment.Status.DROPPED):
            raise _fail("status", _("Choose done or dropped."))
        if not what_happened.strip():
            raise _fail("what_happened", _("Say what happened when you tried it (or why not)."))
        experiment.status = status
        experiment.what_happened = what_happened.strip()
        experiment.learned = learned.strip()
        experiment.closed_at = timezone.now()
        experiment.save(update_fields=["status", "what_happened", "learned", "closed_at"])
    return experiment


# --- Journal --------------------------------------------------------------------------------


def do_write_journal(
    learner: Membership, *, text: str, prompt: str = "", competency: Competency | None = None
) -> JournalEntry:
    if not text.strip():
        raise _fail("text", _("Write something first; the entry is private to you."))
    return JournalEntry.objects.create(
        learner=learner, text=text.strip(), prompt=prompt.strip()[:300], competency=competency
    )


def do_share_journal_entry(learner: Membership, entry_id: int, share: bool) -> JournalEntry:
    """Share one entry with the learner's coach, or withdraw it (the coach no longer sees it)."""
    entry = JournalEntry.objects.filter(pk=entry_id, learner=learner).first()
    if entry is None:
        raise JournalEntry.DoesNotExist
    entry.shared_at = timezone.now() if share else None
    entry.save(update_fields=["shared_at"])
    return entry


# --- Observations -----------------------------------------------------------------------------


def do_invite_observer(
    learner: Membership, peer: Membership, competency: Competency | None = None
) -> ObservationInvite:
    if peer.pk == learner.pk or not peer.is_active:
        raise _fail("peer", _("Invite a colleague other than yourself."))
    invite, _created = ObservationInvite.objects.get_or_create(
        learner=learner, peer=peer, defaults={"competency": competency}
    )
    return invite


def observer_kind_for(observer: Membership, learner: Membership) -> str | None:
    """ "coach" when ``observer`` coaches the learner, "peer" when invited by them, else None."""
    if CoachingEngagement.objects.filter(
        coach=observer, coachee=learner, status=CoachingEngagement.Status.ACTIVE
    ).exists():
        return Observation.ObserverKind.COACH
    if ObservationInvite.objects.filter(learner=learner, peer=observer).exists():
        return Observation.ObserverKind.PEER
    return None


def do_record_observation(
    observer: Membership,
    learner: Membership,
    *,
    competency: Competency,
    level: ProficiencyLevel,
    situation: str,
    behaviour: str,
    observed_on: dt.date,
    indicator: BehaviouralIndicator | None = None,
    today: dt.date | None = None,
) -> Observation:
    kind = observer_kind_for(observer, learner)
    if kind is None:
        raise _fail(None, _("Only the learner's coach or a colleague they invited may observe."))
    problems: dict[str, list[str]] = {}
    if level.framework_id != competency.framework_id:
        problems["level"] = [_("Choose a level of this competency's proficiency scale.")]
    if indicator is not None and indicator.competency_id != competency.pk:
        problems["indicator"] = [_("This indicator belongs to another competency.")]
    if observed_on > (today or timezone.localdate()):
        problems["observed_on"] = [_("An observation is of something already seen.")]
    if not situation.strip():
        problems["situation"] = [_("Describe the situation: where, when, with whom.")]
    if not behaviour.strip():
        problems["behaviour"] = [_("Describe what you saw them do or say.")]
    if problems:
        raise ValidationError(problems)
    with transaction.atomic():
        observation = Observation.objects.create(
            learner=learner,
            observer=observer,
            observer_kind=kind,
            competency=competency,
            indicator=indicator,
            level=level,
            situation=situation.strip(),
            behaviour=behaviour.strip(),
            observed_on=observed_on,
        )
        _queue_growth(learner.pk)
    return observation


# --- Peer feedback, three-way notes, rehearsals -----------------------------------------------


def do_give_peer_feedback(
    giver: Membership,
    session_id: int,
    recipient_id: int,
    *,
    what_worked: str,
    what_to_try: str = "",
) -> PeerFeedback:
    session = CoachingSession.objects.filter(
        pk=session_id, kind=CoachingSession.Kind.GROUP, status=CoachingSession.Status.HELD
    ).first()
    attended = set(
        SessionParticipant.objects.filter(
            session=session, attendance=SessionParticipant.Attendance.ATTENDED
        ).values_list("learner_id", flat=True)
    )
    if session is None or giver.pk not in attended:
        raise CoachingSession.DoesNotExist
    if recipient_id == giver.pk or recipient_id not in attended:
        raise _fail("recipient", _("Choose another participant who attended."))
    if not what_worked.strip():
        raise _fail("what_worked", _("Say one thing that worked."))
    if PeerFeedback.objects.filter(
        session=session, giver=giver, recipient_id=recipient_id
    ).exists():
        raise _fail("recipient", _("You already gave this participant feedback on this session."))
    return PeerFeedback.objects.create(
        session=session,
        giver=giver,
        recipient_id=recipient_id,
        what_worked=what_worked.strip(),
        what_to_try=what_to_try.strip(),
    )


def do_add_three_way_note(author: Membership, engagement_id: int, text: str) -> ThreeWayNote:
    engagement = (
        CoachingEngagement.objects.filter(pk=engagement_id)
        .filter(Q(coach=author) | Q(coachee=author) | Q(sponsor=author))
        .first()
    )
    if engagement is None:
        raise CoachingEngagement.DoesNotExist
    if engagement.sponsor_id is None:
        raise _fail(None, _("Name a sponsor for this engagement before writing three-way notes."))
    if not text.strip():
        raise _fail("text", _("Write the note first."))
    with transaction.atomic():
        # A double submit: the engagement row serialises the two, and the second finds the
        # first's note (the author's latest, with the same text) and returns it.
        CoachingEngagement.objects.select_for_update().filter(pk=engagement.pk).first()
        latest = (
            ThreeWayNote.objects.filter(engagement=engagement, author=author)
            .order_by("-created_at", "-id")
            .first()
        )
        if latest is not None and latest.text == text.strip():
            return latest
        return ThreeWayNote.objects.create(engagement=engagement, author=author, text=text.strip())


def do_assign_rehearsal(
    coach: Membership, engagement_id: int, scenario: Scenario, note: str = ""
) -> Rehearsal:
    engagement = CoachingEngagement.objects.filter(pk=engagement_id, coach=coach).first()
    if engagement is None:
        raise CoachingEngagement.DoesNotExist
    if scenario.status != Scenario.Status.PUBLISHED:
        raise _fail("scenario", _("Choose a published scenario."))
    return Rehearsal.objects.create(engagement=engagement, scenario=scenario, note=note.strip())


def do_consent_rehearsal(learner: Membership, rehearsal_id: int, consent: bool) -> Rehearsal:
    """The learner lets their coach see the rehearsal's debrief, or withdraws that."""
    rehearsal = Rehearsal.objects.filter(pk=rehearsal_id, engagement__coachee=learner).first()
    if rehearsal is None:
        raise Rehearsal.DoesNotExist
    rehearsal.consented_at = timezone.now() if consent else None
    rehearsal.save(update_fields=["consented_at"])
    return rehearsal


# --- Calendar feed ---------------------------------------------------------------------------


def do_reset_calendar_feed(membership: Membership) -> str:
    """Revoke the member's feed URL(s) and make a new one; returns the token for the URL
    (``<organisation id>-<secret>``: the organisation is needed to look the secret up)."""
    with transaction.atomic():
        CalendarFeed.objects.filter(membership=membership, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        secret = secrets.token_urlsafe(24)
        CalendarFeed.objects.create(membership=membership, secret=secret)
    return f"{membership.organization_id}-{secret}"
