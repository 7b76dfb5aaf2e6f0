"""In a real browser, a coaching journey: a coach schedules a group session, two learners get
invitations, the coach logs it with private notes, a shared summary and an experiment; a learner
sees the summary (not the notes), writes a journal entry, shares it, and rates the session."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone
from icalendar import Calendar
from playwright.sync_api import expect

from coaching.models import CoachingSession, Experiment, Goal, JournalEntry, SessionParticipant
from organizations.tenancy import tenant_context
from tests.coaching.helpers import build_world
from tests.conftest import PASSWORD
from tests.e2e.conftest import htmx_ready, sign_in

pytestmark = pytest.mark.django_db(transaction=True)

NOTES = "Ana-hesitates-private-note"
SUMMARY = "We named one change each and one thing to stop doing."


def test_a_group_session_from_scheduling_to_rating(page, org_a, org_b):
    build_world(org_b, "b", n_learners=1)
    w = build_world(org_a, "a", n_learners=3)
    ana, ben = w.learners[0], w.learners[1]
    mail.outbox.clear()

    # The coach schedules a group session for two learners of the cohort.
    sign_in(page, w.coach.user.email, PASSWORD)
    page.goto(f"/o/{w.org.slug}/coaching/")
    page.get_by_role("link", name="Schedule a session").first.click()
    page.get_by_role("radio", name="Group").check()
    page.get_by_label("Cohort (group)").select_option(label="Pathway a cohort")
    page.get_by_label(ana.user.display_name).check()
    page.get_by_label(ben.user.display_name).check()
    page.get_by_label("Capacity (group)").fill("6")
    page.get_by_label("Title").fill("Group clinic")
    starts = timezone.localtime(timezone.now() + dt.timedelta(days=2)).replace(hour=10, minute=0)
    page.get_by_label("Starts at").fill(starts.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("Length (minutes)").fill("90")
    page.get_by_role("button", name="Schedule and invite").click()
    page.get_by_text("Session scheduled").wait_for()

    invited = sorted(m.to[0] for m in mail.outbox)
    assert invited == sorted([ana.user.email, ben.user.email])
    for message in mail.outbox:
        [(_name, content, _type)] = message.attachments
        assert Calendar.from_ical(content)["method"] == "REQUEST"

    # Time passes: the session has taken place.
    with tenant_context(w.org):
        session = CoachingSession.objects.get(title="Group clinic")
        CoachingSession.objects.filter(pk=session.pk).update(
            starts_at=timezone.now() - dt.timedelta(hours=3)
        )

    # The coach logs it from the home's "to log" list.
    page.goto(f"/o/{w.org.slug}/coaching/")
    page.get_by_role("link", name="Log it").click()
    page.get_by_label("Private notes (only you)").fill(NOTES)
    page.get_by_label("Shared summary (you and the participants)").fill(SUMMARY)
    page.get_by_label("Experiment or action agreed").fill("Say 'not now' to one new request")
    page.get_by_label("By when").fill((timezone.localdate() + dt.timedelta(days=7)).isoformat())
    page.get_by_role("button", name="Save the log").click()
    page.get_by_text("Session logged.").wait_for()
    assert NOTES in page.content()
    with tenant_context(w.org):
        assert Experiment.objects.filter(session=session).count() == 2  # both attended

    # The learner sees the summary, not the notes.
    page.context.clear_cookies()
    sign_in(page, ana.user.email, PASSWORD)
    page.goto(f"/o/{w.org.slug}/my-coaching/")
    assert SUMMARY in page.content() and NOTES not in page.content()
    page.get_by_role("link", name="Group clinic").first.click()
    assert SUMMARY in page.content() and NOTES not in page.content()

    # ... rates it ...
    page.get_by_label("4", exact=True).check()
    page.get_by_role("button", name="Send rating").click()
    page.get_by_text("You rated it 4 of 5.").wait_for()

    # ... and writes a journal entry, then shares it with the coach.
    page.get_by_role("link", name="Coaching", exact=True).click()
    page.get_by_role("link", name="Write in your journal").click()
    page.get_by_label("Your reflection").fill("Saying no felt rude, and nobody minded.")
    page.get_by_role("button", name="Save entry").click()
    page.get_by_text("Saved to your private journal.").wait_for()
    page.get_by_role("button", name="Share with your coach").click()
    page.get_by_text("Shared with your coach.").first.wait_for()

    with tenant_context(w.org):
        assert SessionParticipant.objects.get(session=session, learner=ana).rating == 4
        assert JournalEntry.objects.get(learner=ana).shared_at is not None


def test_an_engagement_form_shows_its_error_beside_the_field(page, org_a, org_b):
    build_world(org_b, "b", n_learners=1)
    w = build_world(org_a, "a", n_learners=1)
    sign_in(page, w.coach.user.email, PASSWORD)
    page.goto(f"/o/{w.org.slug}/coaching/engagements/{w.engagements[0].pk}/")
    htmx_ready(page)
    goals = page.locator("#goals")
    goals.get_by_text("Set a goal").click()
    page.locator("#goal_title").fill("Speak up in reviews")
    page.locator("#goal_target_date").fill(
        (timezone.localdate() + dt.timedelta(days=30)).isoformat()
    )
    goals.get_by_role("button", name="Set goal").click()  # "How you will know" left empty

    measure = page.locator("#goal_success_measure")
    expect(measure).to_have_attribute("aria-invalid", "true")
    expect(measure).to_be_focused()  # the keyboard is at the field to fix
    assert page.locator("#goal_success_measure_error").inner_text() == "This field is required."
    assert "How you will know" in goals.locator(".form-errors").inner_text()  # and the summary
    assert page.locator("#goal_title").input_value() == "Speak up in reviews"  # nothing lost
    assert page.get_by_role("heading", level=1).count() == 1  # swapped in place, not a page
    with tenant_context(w.org):
        assert not Goal.objects.exists()

    measure.fill("Twice a month, unprompted")
    goals.get_by_role("button", name="Set goal").click()
    saved = goals.get_by_role("status")
    expect(saved).to_contain_text("Goal set.")
    expect(saved).to_be_focused()
    assert "Speak up in reviews" in goals.inner_text()
    with tenant_context(w.org):
        assert Goal.objects.get().success_measure == "Twice a month, unprompted"
