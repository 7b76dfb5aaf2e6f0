"""A delivery of a handler marked ``derived_rows_only`` commits without waiting for its WAL
flush, and only when its transaction held nothing else; every other delivery, and whatever the
connection does next, commits as the server is set to."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection

from organizations.models import Organization, Team
from organizations.outbox import delivery
from organizations.outbox.models import OutboxEntry
from organizations.tenancy import tenant_context

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="synchronous_commit is PostgreSQL's"
)

SEEN: list[str] = []


def _setting() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        return str(cursor.fetchone()[0])


@delivery.derived_rows_only
def derived_probe(org: Organization, *args: Any) -> None:
    SEEN.append(_setting())


def plain_probe(org: Organization, *args: Any) -> None:
    SEEN.append(_setting())


@delivery.derived_rows_only
def derived_failing(org: Organization, *args: Any) -> None:
    SEEN.append(_setting())
    raise RuntimeError("the roll-up's statement failed")


DERIVED = f"{__name__}.derived_probe"
PLAIN = f"{__name__}.plain_probe"
FAILING = f"{__name__}.derived_failing"


@pytest.fixture(autouse=True)
def _clear() -> None:
    SEEN.clear()


def _recorded(org: Organization, handler: str) -> int:
    with tenant_context(org):
        return OutboxEntry.objects.create(handler=handler, args=[]).pk


def _deliver(org: Organization, entry_id: int) -> str:
    """As the worker's task does: the tenant's transaction, the delivery, its commit."""
    with tenant_context(org):
        outcome = delivery.do_deliver_followup(org, entry_id).outcome
    return outcome


@pytest.mark.django_db(transaction=True)
def test_a_derived_handlers_delivery_commits_without_waiting_and_nothing_else_does(org_a):
    server = _setting()
    assert server == "on"
    derived, plain = _recorded(org_a, DERIVED), _recorded(org_a, PLAIN)
    assert _deliver(org_a, derived) == "done"
    assert _deliver(org_a, plain) == "done"
    assert ["off", server] == SEEN
    assert _setting() == server  # the setting went with the delivery's transaction
    with tenant_context(org_a):
        assert OutboxEntry.objects.filter(done_at__isnull=False).count() == 2


@pytest.mark.django_db(transaction=True)
def test_a_transaction_that_wrote_before_the_delivery_keeps_the_servers_setting(org_a):
    """A fact written in the same transaction (a test delivering inside it, a caller that
    delivers inline) must commit as facts do: the delivery leaves the setting alone."""
    entry = _recorded(org_a, DERIVED)
    with tenant_context(org_a):
        Team.objects.create(name="Written first")
        assert delivery.do_deliver_followup(org_a, entry).outcome == "done"
        assert _setting() == "on"
    assert SEEN == ["on"]


@pytest.mark.django_db(transaction=True)
def test_a_failed_derived_delivery_keeps_its_error_and_its_setting_ends_with_it(org_a):
    entry = _recorded(org_a, FAILING)
    assert _deliver(org_a, entry) == "failed"
    assert SEEN == ["off"]
    assert _setting() == "on"
    with tenant_context(org_a):
        row = OutboxEntry.objects.get(pk=entry)
        assert row.done_at is None and row.attempts == 1
        assert "the roll-up's statement failed" in row.last_error


@pytest.mark.django_db(transaction=True)
def test_defer_commit_flush_only_in_a_transaction_that_wrote_nothing(org_a):
    with tenant_context(org_a):
        assert delivery.defer_commit_flush() is True
        assert _setting() == "off"
    with tenant_context(org_a):
        Team.objects.create(name="A fact")
        assert delivery.defer_commit_flush() is False
        assert _setting() == "on"
    assert _setting() == "on"


def test_the_roll_up_handlers_are_marked_and_the_others_are_not():
    from django.utils.module_loading import import_string

    from measurement import services, tasks
    from measurement.growth import services as growth
    from pathways import services as pathway_services
    from pathways.cohorts import services as cohort_services

    derived = [
        services.ROLLUP_HANDLER,
        services.COHORT_ROLLUP_HANDLER,
        tasks.TEAM_METRICS_HANDLER,
        growth.ROLLUP_HANDLER,
        pathway_services.REACH_HANDLER,
        "measurement.impact.run_impact_rollup",
        "measurement.impact.run_team_rollup",
    ]
    sends_or_writes_facts = [
        cohort_services.OVERDUE_REMINDER_HANDLER,
        tasks.IMPORT_BATCH_HANDLER,
        "organizations.people.tasks.deliver_import_batch",
        "organizations.people.tasks.deliver_invitations",
        "organizations.gdpr.services.deliver_export_part",
    ]
    assert all(getattr(import_string(h), "derived_rows_only", False) for h in derived)
    assert not any(
        getattr(import_string(h), "derived_rows_only", False) for h in sends_or_writes_facts
    )
