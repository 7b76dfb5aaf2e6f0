"""The outbox: follow-ups recorded with their fact, delivered once, re-delivered when lost."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone
from freezegun import freeze_time

from organizations.models import Organization
from organizations.outbox import delivery
from organizations.outbox.models import OutboxEntry
from organizations.outbox.tasks import requeue_overdue_followups
from organizations.tenancy import tenant_context

CALLS: list[tuple[int, tuple[Any, ...]]] = []


def record_call(org: Organization, *args: Any) -> None:
    CALLS.append((org.pk, args))
    mail.send_mail("Follow-up", f"args {args}", None, ["someone@example.test"])


def always_fails(org: Organization, *args: Any) -> None:
    raise RuntimeError("mail server down")


HANDLER = f"{__name__}.record_call"
FAILING = f"{__name__}.always_fails"


@pytest.fixture(autouse=True)
def _clear_calls() -> None:
    CALLS.clear()


def test_it_delivers_after_commit_once(org_a, org_b, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        with tenant_context(org_a):
            entry = delivery.record_followup(HANDLER, 7, "x")
            assert CALLS == []  # nothing before commit
    assert [(org_a.pk, (7, "x"))] == CALLS
    with tenant_context(org_a):
        entry.refresh_from_db()
        assert entry.done_at is not None and entry.attempts == 1
        # Delivered twice (a redelivered message): the second is a no-op.
        assert delivery.do_deliver_followup(org_a, entry.pk).outcome == "already done"
    assert len(CALLS) == 1 and len(mail.outbox) == 1
    with tenant_context(org_b):
        assert not OutboxEntry.objects.exists()


def test_it_records_a_dedupe_key_once(org_a, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        with tenant_context(org_a):
            first = delivery.record_followup(HANDLER, 1, dedupe_key="reminder:1")
            second = delivery.record_followup(HANDLER, 1, dedupe_key="reminder:1")
    assert first is not None and second is None
    assert len(CALLS) == 1


def test_it_loses_nothing_when_the_fact_rolls_back(org_a, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(ZeroDivisionError):
            with tenant_context(org_a):
                delivery.record_followup(HANDLER, 1)
                1 / 0  # noqa: B018
    assert CALLS == []
    with tenant_context(org_a):
        assert not OutboxEntry.objects.exists()


def test_it_refuses_an_unknown_handler(org_a):
    with tenant_context(org_a), pytest.raises(ImportError):
        delivery.record_followup("organizations.outbox.nothing_here", 1)


def test_a_lost_delivery_is_swept_up_later(org_a):
    # No on-commit execution: the broker "lost" the message.
    with tenant_context(org_a):
        entry = delivery.record_followup(HANDLER, 3)
        assert delivery.overdue_followups() == []  # not overdue yet
    later = timezone.now() + delivery.REDELIVER_AFTER + dt.timedelta(seconds=5)
    with freeze_time(later):
        requeue_overdue_followups.delay(org_a.pk)  # eager: delivers at once
    assert [(org_a.pk, (3,))] == CALLS
    with tenant_context(org_a):
        entry.refresh_from_db()
        assert entry.done_at is not None


def test_a_failure_is_kept_with_its_error_and_retried_with_backoff(org_a):
    with tenant_context(org_a):
        entry = delivery.record_followup(FAILING, 5)
        outcome = delivery.do_deliver_followup(org_a, entry.pk)
        entry.refresh_from_db()
    assert outcome.outcome == "failed"
    assert entry.done_at is None and entry.attempts == 1
    assert "mail server down" in entry.last_error
    with tenant_context(org_a):
        assert delivery.overdue_followups() == []  # waiting for its retry
        with freeze_time(timezone.now() + dt.timedelta(minutes=2)):
            assert delivery.overdue_followups() == [entry.pk]


def test_a_scheduled_followup_waits_until_it_is_due(org_a, django_capture_on_commit_callbacks):
    due = timezone.now() + dt.timedelta(hours=24)
    with django_capture_on_commit_callbacks(execute=True):
        with tenant_context(org_a):
            entry = delivery.record_followup(HANDLER, 9, run_after=due)
    assert CALLS == []
    with tenant_context(org_a):
        assert delivery.do_deliver_followup(org_a, entry.pk).outcome == "not due"
        assert delivery.overdue_followups() == []
    with freeze_time(due + dt.timedelta(seconds=1)):
        requeue_overdue_followups.delay(org_a.pk)
    assert [(org_a.pk, (9,))] == CALLS


@pytest.mark.django_db(transaction=True)
def test_an_unreachable_broker_neither_fails_the_fact_nor_loses_the_followup(org_a, caplog):
    """Redis down: the publish after commit fails fast, is logged and not raised (the fact's
    request succeeds); the next follow-ups within the back-off do not even try; once the broker
    is back the sweep delivers every row."""
    from tests.organizations.outbox.brokers import redis_unreachable

    caplog.set_level(logging.INFO, logger="organizations.outbox.delivery")
    with redis_unreachable():
        with tenant_context(org_a):  # commits at the end of the block: on_commit publishes
            first = delivery.record_followup(HANDLER, 1)
        with tenant_context(org_a):
            second = delivery.record_followup(HANDLER, 2)
    assert "delivery not queued" in caplog.text and "left to the sweep" in caplog.text
    assert CALLS == []
    with tenant_context(org_a):
        assert OutboxEntry.objects.filter(done_at__isnull=True).count() == 2
    later = timezone.now() + delivery.REDELIVER_AFTER + dt.timedelta(seconds=5)
    with freeze_time(later):
        requeue_overdue_followups.delay(org_a.pk)  # the broker is back (eager here)
    assert sorted(CALLS) == [(org_a.pk, (1,)), (org_a.pk, (2,))]
    with tenant_context(org_a):
        assert {e.pk for e in OutboxEntry.objects.filter(done_at__isnull=False)} == {
            first.pk,
            second.pk,
        }


@pytest.fixture(autouse=True)
def _broker_presumed_up(monkeypatch):
    monkeypatch.setattr(delivery, "_broker_down_until", 0.0)
