"""Scheduling, rescheduling, cancelling, logging and rating sessions; invitations with ICS."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone
from icalendar import Calendar

from coaching import services
from coaching.models import CoachingSession, Experiment, SessionParticipant
from organizations.outbox.models import OutboxEntry
from organizations.tenancy import tenant_context
from pathways.models import StepCompletion
from pathways.services import do_complete_step
from tests.coaching.helpers import build_world, held_session, plan
from tests.conftest import count_queries


@pytest.fixture
def w(org_a, org_b):
    build_world(org_b, "b", n_learners=1)  # a second tenant in every test
    org_a.time_zone = "Europe/Berlin"
    org_a.save()
    return build_world(org_a, "a")


def _ics(message) -> Calendar:
    [(name, content, mimetype)] = message.attachments
    assert name == "invite.ics" and mimetype.startswith("text/calendar")
    return Calendar.from_ical(content)


def test_it_schedules_a_one_to_one_and_invites_with_ics(w, django_capture_on_commit_callbacks):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True), tenant_context(w.org):
        session = services.do_schedule_session(
            w.coach, plan(dt.timedelta(days=2)), engagement=w.engagements[0]
        )
    [message] = mail.outbox
    assert message.to == [w.learners[0].user.email]
    cal = _ics(message)
    assert cal["method"] == "REQUEST"
    [event] = cal.walk("VEVENT")
    assert str(event["uid"]) == f"{session.uid}@pathwise"
    assert int(event["sequence"]) == 0
    assert event["dtstart"].params["TZID"] == "Europe/Berlin"
    assert event["dtstart"].dt == session.starts_at
    assert [str(tz["tzid"]) for tz in cal.walk("VTIMEZONE")] == ["Europe/Berlin"]
    # The reminder waits for the sweep until a day before.
    with tenant_context(w.org):
        reminder = OutboxEntry.objects.get(handler="coaching.notifications.send_session_reminder")
    assert reminder.run_after == session.starts_at - dt.timedelta(hours=24)
    assert reminder.done_at is None


def test_it_sends_the_reminder_once_and_not_for_a_moved_session(w):
    from coaching.notifications import send_session_reminder

    with tenant_context(w.org):
        session = services.do_schedule_session(
            w.coach, plan(dt.timedelta(days=2)), engagement=w.engagements[0]
        )
        mail.outbox.clear()
        send_session_reminder(w.org, session.pk, w.learners[0].pk, 0)
        assert [m.subject for m in mail.outbox] == ["Tomorrow: Check-in"]
        services.do_reschedule_session(
            w.coach,
            session.pk,
            starts_at=session.starts_at + dt.timedelta(hours=3),
            minutes=45,
            mode="phone",
            location="",
        )
        mail.outbox.clear()
        send_session_reminder(w.org, session.pk, w.learners[0].pk, 0)  # superseded
        assert mail.outbox == []


def test_it_reschedules_with_the_same_uid_and_a_higher_sequence(
    w, django_capture_on_commit_callbacks
):
    with tenant_context(w.org):
        session = services.do_schedule_session(
            w.coach, plan(dt.timedelta(days=2)), engagement=w.engagements[0]
        )
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            services.do_reschedule_session(
                w.coach,
                session.pk,
                starts_at=session.starts_at + dt.timedelta(days=1),
                minutes=30,
                mode="phone",
                location="",
            )
    [message] = mail.outbox
    [event] = _ics(message).walk("VEVENT")
    assert str(event["uid"]) == f"{session.uid}@pathwise"
    assert int(event["sequence"]) == 1
    assert "moved" in message.subject


def test_it_cancels_with_method_cancel(w, django_capture_on_commit_callbacks):
    with tenant_context(w.org):
        session = services.do_schedule_session(
            w.coach, plan(dt.timedelta(days=2)), engagement=w.engagements[0]
        )
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            services.do_cancel_session(w.coach, session.pk)
        session.refresh_from_db()
    assert session.status == CoachingSession.Status.CANCELLED
    [message] = mail.outbox
    cal = _ics(message)
    assert cal["method"] == "CANCEL"
    [event] = cal.walk("VEVENT")
    assert int(event["sequence"]) == 1 and event["status"] == "CANCELLED"


def test_it_invites_every_group_participant(w, django_capture_on_commit_callbacks):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True), tenant_context(w.org):
        services.do_schedule_session(
            w.coach,
            plan(dt.timedelta(days=3), title="Group clinic"),
            cohort=w.engagements[0].cohort,
            participants=w.learners[:2],
            capacity=4,
        )
    assert sorted(m.to[0] for m in mail.outbox) == sorted(u.user.email for u in w.learners[:2])


def test_it_refuses_an_overlapping_session_and_names_the_clash(w):
    with tenant_context(w.org):
        first = services.do_schedule_session(
            w.coach, plan(dt.timedelta(days=2), title="Strategy talk"), engagement=w.engagements[0]
        )
        with pytest.raises(ValidationError) as exc:
            services.do_schedule_session(
                w.coach,
                services.SessionPlan(
                    "Other", first.starts_at + dt.timedelta(minutes=30), 60, "video"
                ),
                engagement=w.engagements[1],
            )
        assert "Strategy talk" in exc.value.message_dict["starts_at"][0]
        # Back to back is fine.
        services.do_schedule_session(
            w.coach,
            services.SessionPlan("Next", first.ends_at, 30, "video"),
            engagement=w.engagements[1],
        )
        assert CoachingSession.objects.count() == 2


@pytest.mark.parametrize(
    "problem, field",
    [("outsider", "participants"), ("over capacity", "participants"), ("past", "starts_at")],
)
def test_it_refuses_bad_group_sessions_and_writes_nothing(w, problem, field):
    participants = list(w.learners)
    capacity = 5
    when = dt.timedelta(days=2)
    if problem == "outsider":
        participants.append(w.outsider)
    elif problem == "over capacity":
        capacity = 2
    else:
        when = -dt.timedelta(hours=1)
    mail.outbox.clear()
    with tenant_context(w.org):
        with pytest.raises(ValidationError) as exc:
            services.do_schedule_session(
                w.coach,
                plan(when),
                cohort=w.engagements[0].cohort,
                participants=participants,
                capacity=capacity,
            )
        assert field in exc.value.message_dict
        assert CoachingSession.objects.count() == 0
        assert SessionParticipant.objects.count() == 0
        assert OutboxEntry.objects.count() == 0
    assert mail.outbox == []
    if problem == "outsider":
        assert "Outsider" in exc.value.message_dict[field][0]


def test_it_refuses_an_engagement_that_ends_before_it_starts(w):
    today = timezone.localdate()
    with tenant_context(w.org), pytest.raises(ValidationError) as exc:
        services.do_create_engagement(
            coach=w.coach,
            coachee=w.outsider,
            cohort=None,
            starts_on=today,
            ends_on=today - dt.timedelta(days=1),
        )
    assert "ends_on" in exc.value.message_dict


def test_it_refuses_to_log_a_session_that_has_not_happened(w):
    with tenant_context(w.org):
        session = services.do_schedule_session(
            w.coach, plan(dt.timedelta(days=2)), engagement=w.engagements[0]
        )
        log = services.SessionLog(
            attendance={w.learners[0].pk: "attended"}, actual_minutes=60, private_notes="x"
        )
        with pytest.raises(ValidationError, match="has not happened yet"):
            services.do_log_session(w.coach, session.pk, log)
        session.refresh_from_db()
        assert session.status == "scheduled" and session.private_notes == ""


def test_it_logs_attendance_summary_and_experiments(w):
    session = held_session(w, group=True, notes="n", summary="s", experiment="Ask first")
    with tenant_context(w.org):
        assert session.status == "held" and session.actual_minutes == 55
        assert set(
            SessionParticipant.objects.filter(session=session).values_list("attendance", flat=True)
        ) == {"attended"}
        [x] = Experiment.objects.filter(session=session)
        assert x.learner_id == w.learners[0].pk and x.action == "Ask first"


def test_a_logged_session_completes_the_coaching_step_of_the_learners_pathway(w):
    learner, enrollment = w.learners[0], w.enrollments[0]
    with tenant_context(w.org):
        module_step = enrollment.version.steps.get(position=0)
        do_complete_step(learner, enrollment.pk, module_step.pk)
    held_session(w)  # 1:1 following the step's conversation template, learner 0 attended
    with tenant_context(w.org):
        assert StepCompletion.objects.filter(
            enrollment=enrollment, step_key=w.coaching_step.key
        ).exists()
        # The other learners had no session: their step stays open.
        assert not StepCompletion.objects.filter(
            enrollment=w.enrollments[1], step_key=w.coaching_step.key
        ).exists()


def test_the_learner_cannot_mark_a_coaching_step_done_themself(w, client):
    learner, enrollment = w.learners[0], w.enrollments[0]
    with tenant_context(w.org):
        module_step = enrollment.version.steps.get(position=0)
        do_complete_step(learner, enrollment.pk, module_step.pk)
    client.force_login(learner.user)
    url = f"/o/{w.org.slug}/learn/enrollments/{enrollment.pk}/steps/{w.coaching_step.pk}/done/"
    response = client.post(url, follow=True)
    assert "Your coach confirms this step" in response.content.decode()
    with tenant_context(w.org):
        assert not StepCompletion.objects.filter(step_key=w.coaching_step.key).exists()


@pytest.mark.parametrize("rating", [0, 6])
def test_it_refuses_a_rating_outside_one_to_five(w, rating):
    session = held_session(w)
    with tenant_context(w.org):
        with pytest.raises(ValidationError):
            services.do_rate_session(w.learners[0], session.pk, rating)
        services.do_rate_session(w.learners[0], session.pk, 4)
        assert SessionParticipant.objects.get(session=session, learner=w.learners[0]).rating == 4


def test_only_a_logged_session_can_be_rated(w):
    with tenant_context(w.org):
        session = services.do_schedule_session(
            w.coach, plan(dt.timedelta(days=2)), engagement=w.engagements[0]
        )
        with pytest.raises(ValidationError, match="once your coach has logged it"):
            services.do_rate_session(w.learners[0], session.pk, 5)


def test_the_coach_sessions_page_reads_one_query_whatever_the_number_of_sessions(client, w):
    """Besides the 3 every signed-in page pays: the page's sessions with their participants and
    how many there are, in one statement (was 2: the count, then the page); a page number past
    the end is read again as the last page (one more). Newest first, 25 a page."""
    with tenant_context(w.org):
        for i in range(30):
            services.do_schedule_session(
                w.coach,
                plan(dt.timedelta(days=2 + i), title=f"Talk {i:02d}"),
                engagement=w.engagements[i % len(w.engagements)],
            )
    client.force_login(w.coach.user)
    url = f"/o/{w.org.slug}/coaching/sessions/"
    client.get(url)
    pages = {}
    for number, queries in (("1", 4), ("2", 4), ("9", 5)):
        with count_queries() as ctx:
            pages[number] = client.get(url, {"page": number}).content.decode()
        assert len(ctx.app_queries) == queries, [q["sql"][:80] for q in ctx.app_queries]
    assert "30 sessions, newest first" in pages["1"]
    assert "Talk 29" in pages["1"] and "Talk 05" in pages["1"] and "Talk 04" not in pages["1"]
    assert "Talk 04" in pages["2"] and "Talk 00" in pages["2"] and "Talk 05" not in pages["2"]
    rows = [page[page.index("<tbody>") : page.index("</tbody>")] for page in pages.values()]
    assert rows[2] == rows[1] and "Page 2 of 2" in pages["9"]
