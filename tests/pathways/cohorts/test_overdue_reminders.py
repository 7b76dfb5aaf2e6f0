"""An admin reminds a cohort's overdue learners: one e-mail each, listing their overdue steps,
at most once a day per cohort, audited, with the reminder row as the outbox."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from freezegun import freeze_time

from organizations.models import AuditEntry
from organizations.tenancy import tenant_context
from pathways.cohorts.tasks import requeue_unsent_overdue_reminders
from pathways.models import OverdueReminder, Step, StepCompletion
from tests.conftest import enroll, make_member, make_pathway


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


def test_it_requeues_a_reminder_whose_task_was_lost_and_sends_it_once(
    org_a, org_b, mailoutbox, django_capture_on_commit_callbacks
):
    from pathways.cohorts import services

    fixture = _cohort_with_overdue(org_a)
    admin = make_member(org_a, "ada@a.example", is_admin=True)
    with tenant_context(org_a):
        services.do_remind_overdue(admin.user, fixture.cohort, org_a)  # its task never runs
    assert mailoutbox == []
    with freeze_time(timezone.now() + dt.timedelta(minutes=11)):
        assert requeue_unsent_overdue_reminders() == 1
        assert len(mailoutbox) == 2
        assert requeue_unsent_overdue_reminders() == 0  # sent: nothing left to queue


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
