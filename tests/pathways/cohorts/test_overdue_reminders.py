"""An admin reminds a cohort's overdue learners: one e-mail each, listing their overdue steps,
at most once a day per cohort, audited; the reminder row is the fact and the e-mails its outbox
follow-up, recorded in the same transaction."""

from __future__ import annotations

import datetime as dt
import importlib
from types import SimpleNamespace

import pytest
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.utils import timezone
from freezegun import freeze_time

from measurement.services import do_rollup_progress
from organizations.models import AuditEntry
from organizations.outbox import delivery
from organizations.outbox.models import OutboxEntry
from organizations.outbox.tasks import requeue_overdue_followups
from organizations.tenancy import tenant_context
from pathways.cohorts import services
from pathways.models import OverdueReminder, Step, StepCompletion
from tests.conftest import enroll, make_member, make_pathway


def _swept_later(org, minutes: int = 6) -> None:
    """Run the outbox sweep of ``org`` as the beat would, ``minutes`` from now (eager)."""
    with freeze_time(timezone.now() + dt.timedelta(minutes=minutes)):
        requeue_overdue_followups.delay(org.pk)


def _cohort_with_overdue(org):
    fixture = make_pathway(org, n_steps=2, start=timezone.localdate() - dt.timedelta(days=5))
    with tenant_context(org):
        Step.objects.filter(pk=fixture.steps[0].pk).update(due_offset_days=1)
    behind = [make_member(org, f"late{i}@a.example", is_learner=True) for i in range(2)]
    on_time = make_member(org, "done@a.example", is_learner=True)
    for member in [*behind, on_time]:
        enrollment = enroll(org, fixture, member)
        if member is on_time:
            with tenant_context(org):
                StepCompletion.objects.create(
                    enrollment=enrollment, learner=member, step_key=fixture.steps[0].key
                )
    with tenant_context(org):  # the page reads progress from the roll-up
        do_rollup_progress(org)
    return fixture


def test_it_emails_each_overdue_learner_once_a_day_and_audits_it(
    client, org_a, org_b, mailoutbox, django_capture_on_commit_callbacks
):
    fixture = _cohort_with_overdue(org_a)
    admin = make_member(org_a, "ada@a.example", is_admin=True)
    client.force_login(admin.user)
    url = f"/o/{org_a.slug}/cohorts/{fixture.cohort.pk}/remind-overdue/"
    page = client.get(f"/o/{org_a.slug}/cohorts/{fixture.cohort.pk}/").content.decode()
    assert f'action="{url}"' in page and "E-mail a reminder to 2 overdue learners" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, follow=True)
    assert "Reminder e-mailed to 2 overdue learners" in response.content.decode()
    assert sorted(m.to[0] for m in mailoutbox) == ["late0@a.example", "late1@a.example"]
    assert "Leading Through Change module 1" in mailoutbox[0].body
    assert f"/o/{org_a.slug}/" in mailoutbox[0].body
    with django_capture_on_commit_callbacks(execute=True):
        again = client.post(url, follow=True).content.decode()
    assert "already reminded today" in again and len(mailoutbox) == 2
    with tenant_context(org_a):
        reminder = OverdueReminder.objects.get()
        assert reminder.sent_at is not None and reminder.sent_by == admin.user
        entry = AuditEntry.objects.get(action="reminded")
        assert entry.after == {"learners reminded": 2} and entry.actor == admin.user


def test_a_reminder_whose_delivery_was_lost_is_swept_and_sent_once(
    org_a, org_b, mailoutbox, django_capture_on_commit_callbacks
):
    fixture = _cohort_with_overdue(org_a)
    admin = make_member(org_a, "ada@a.example", is_admin=True)
    with tenant_context(org_a):
        # No on-commit callbacks run: the broker lost the delivery.
        reminder = services.do_remind_overdue(admin.user, fixture.cohort, org_a)
        entry = OutboxEntry.objects.get()
        assert (entry.handler, entry.args) == (services.OVERDUE_REMINDER_HANDLER, [reminder.pk])
    assert mailoutbox == []
    _swept_later(org_a)
    assert sorted(m.to[0] for m in mailoutbox) == ["late0@a.example", "late1@a.example"]
    with tenant_context(org_a):
        entry.refresh_from_db()
        reminder.refresh_from_db()
        assert entry.done_at is not None and reminder.sent_at is not None
        # Redelivered (a late duplicate message), or its handler called again: nothing more.
        assert delivery.do_deliver_followup(org_a, entry.pk).outcome == "already done"
        assert services.deliver_overdue_reminder(org_a, reminder.pk) == 0
    _swept_later(org_a, minutes=30)
    assert len(mailoutbox) == 2
    with tenant_context(org_b):
        assert not OutboxEntry.objects.exists()


def test_a_rolled_back_reminder_leaves_nothing_half_written(org_a, mailoutbox):
    fixture = _cohort_with_overdue(org_a)
    admin = make_member(org_a, "ada@a.example", is_admin=True)
    with pytest.raises(RuntimeError), tenant_context(org_a):
        services.do_remind_overdue(admin.user, fixture.cohort, org_a)
        raise RuntimeError("the admin's request failed after the reminder was recorded")
    with tenant_context(org_a):
        assert not OverdueReminder.objects.exists()
        assert not OutboxEntry.objects.exists()
        assert not AuditEntry.objects.filter(action="reminded").exists()
    _swept_later(org_a)
    assert mailoutbox == []


def test_a_delivery_that_fails_keeps_the_reminder_unsent_and_the_retry_sends_it_once(
    org_a, mailoutbox, settings, django_capture_on_commit_callbacks
):
    fixture = _cohort_with_overdue(org_a)
    admin = make_member(org_a, "ada@a.example", is_admin=True)
    working = settings.MAILERS
    settings.MAILERS = {"default": {"BACKEND": "tests.pathways.practice.failing_mail.Backend"}}
    with django_capture_on_commit_callbacks(execute=True), tenant_context(org_a):
        reminder = services.do_remind_overdue(admin.user, fixture.cohort, org_a)
    with tenant_context(org_a):
        reminder.refresh_from_db()
        entry = OutboxEntry.objects.get()
        assert reminder.sent_at is None and entry.done_at is None
        assert entry.attempts == 1 and "mail server down" in entry.last_error
    settings.MAILERS = working
    _swept_later(org_a)
    _swept_later(org_a, minutes=30)
    assert sorted(m.to[0] for m in mailoutbox) == ["late0@a.example", "late1@a.example"]
    with tenant_context(org_a):
        reminder.refresh_from_db()
        assert reminder.sent_at is not None


def test_the_migration_gives_each_unsent_reminder_an_outbox_row_once(org_a, org_b, mailoutbox):
    migration = importlib.import_module("pathways.migrations.0019_overdue_reminders_in_outbox")
    apps = (
        MigrationLoader(connection)
        .project_state(
            [
                ("pathways", "0018_personalisation_rule_source"),
                ("outbox", "0002_row_level_security"),
            ]
        )
        .apps
    )
    rows = {}
    for org in (org_a, org_b):
        fixture = _cohort_with_overdue(org)
        with tenant_context(org):
            # Recorded by the code before the outbox, whose task was lost: no outbox row.
            unsent = OverdueReminder.objects.create(
                cohort=fixture.cohort,
                local_date=timezone.localdate() - dt.timedelta(days=1),
                recipients=[{"membership": 0, "steps": ["gone"]}],
                created_at=timezone.now() - dt.timedelta(minutes=20),
            )
            sent = OverdueReminder.objects.create(
                cohort=fixture.cohort,
                local_date=timezone.localdate() - dt.timedelta(days=2),
                sent_at=timezone.now(),
            )
        rows[org.pk] = (unsent, sent)
    for _ in range(2):  # safe to run again
        migration.record_unsent_reminders(apps, SimpleNamespace(connection=connection))
    for org in (org_a, org_b):
        unsent, _sent = rows[org.pk]
        with tenant_context(org):
            assert list(OutboxEntry.objects.values_list("handler", "args")) == [
                (services.OVERDUE_REMINDER_HANDLER, [unsent.pk])
            ]
            assert delivery.overdue_followups() != []  # the next sweep sends it
        _swept_later(org, minutes=1)
        with tenant_context(org):
            unsent.refresh_from_db()
            assert unsent.sent_at is not None


def test_it_refuses_a_cohort_with_nobody_overdue(client, org_a, org_b):
    fixture = make_pathway(org_a, n_steps=1)
    enroll(org_a, fixture, make_member(org_a, "leo@a.example", is_learner=True))
    admin = make_member(org_a, "ada@a.example", is_admin=True)
    client.force_login(admin.user)
    url = f"/o/{org_a.slug}/cohorts/{fixture.cohort.pk}/remind-overdue/"
    assert "Nobody in this cohort is overdue" in client.post(url, follow=True).content.decode()
    with tenant_context(org_a):
        assert not OverdueReminder.objects.exists()


def test_it_gives_another_organisations_admin_and_learners_404(client, org_a, org_b):
    fixture = _cohort_with_overdue(org_a)
    url = f"/o/{org_b.slug}/cohorts/{fixture.cohort.pk}/remind-overdue/"
    client.force_login(make_member(org_b, "bob@b.example", is_admin=True).user)
    assert client.post(url).status_code == 404
    client.force_login(make_member(org_a, "leo@a.example", is_learner=True).user)
    own = f"/o/{org_a.slug}/cohorts/{fixture.cohort.pk}/remind-overdue/"
    assert client.post(own).status_code in (403, 404)
    with tenant_context(org_a):
        assert not OverdueReminder.objects.exists()


def test_the_cohort_page_says_when_overdue_learners_were_last_reminded(
    client, org_a, org_b, django_capture_on_commit_callbacks
):
    fixture = _cohort_with_overdue(org_a)
    admin = make_member(org_a, "ada@a.example", is_admin=True)
    client.force_login(admin.user)
    page_url = f"/o/{org_a.slug}/cohorts/{fixture.cohort.pk}/"
    assert "Last reminder" not in client.get(page_url).content.decode()
    # Recorded, its e-mails not delivered yet (no on-commit callbacks run).
    client.post(f"/o/{org_a.slug}/cohorts/{fixture.cohort.pk}/remind-overdue/")
    assert "A reminder to 2 learners is on its way." in client.get(page_url).content.decode()
    _swept_later(org_a)
    page = client.get(page_url).content.decode()
    assert "Last reminder e-mailed" in page and "to 2 learners" in page


def test_the_demo_cohort_shows_a_reminder_already_sent_once(client, org_a, org_b):
    import random

    from competencies.demo import seed_framework
    from organizations.demo import seed_people
    from pathways.demo import seed_pathways

    with tenant_context(org_a):
        seed_framework(org_a)
        people = seed_people(org_a, 8, random.Random(1))
        cohort = seed_pathways(people, random.Random(1))
        seed_pathways(people, random.Random(1))  # a second run adds nothing
        reminder = OverdueReminder.objects.get()
        assert reminder.sent_at is not None and reminder.sent_by == people.admin.user
        assert reminder.local_date < services.org_today(org_a)  # today's is still possible
        entry = OutboxEntry.objects.get()
        assert entry.args == [reminder.pk] and entry.done_at is not None
        assert delivery.overdue_followups() == []  # nothing for the sweep to send again
        assert AuditEntry.objects.filter(action="reminded").count() == 1
        do_rollup_progress(org_a)  # as seed_demo does once the demo is in place
    client.force_login(people.admin.user)
    page = client.get(f"/o/{org_a.slug}/cohorts/{cohort.pk}/").content.decode()
    assert "Last reminder e-mailed" in page and "Remind overdue learners" in page
    with tenant_context(org_b):
        assert not OverdueReminder.objects.exists()
