"""The coaching demo: both organisations get engagements, sessions in every state, goals,
experiments in every state, journal entries and observations; a second run adds nothing."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from coaching.models import (
    CoachingEngagement,
    CoachingSession,
    Experiment,
    Goal,
    JournalEntry,
    Observation,
)
from organizations.models import Organization
from organizations.tenancy import tenant_context

pytestmark = pytest.mark.django_db


def _counts() -> tuple[int, ...]:
    return tuple(
        m.objects.count()
        for m in (CoachingEngagement, CoachingSession, Goal, Experiment, JournalEntry, Observation)
    )


def test_it_seeds_coaching_in_both_demo_organisations_once(client):
    call_command("seed_demo", "--learners", "6")
    before = {}
    for org in Organization.objects.filter(slug__in=["acme", "globex"]):
        with tenant_context(org):
            assert CoachingEngagement.objects.exists(), org
            statuses = set(CoachingSession.objects.values_list("status", flat=True))
            assert {"held", "scheduled"} <= statuses
            assert CoachingSession.objects.filter(kind="group").exists()
            assert set(Experiment.objects.values_list("status", flat=True)) == {
                "open",
                "done",
                "dropped",
            }
            assert JournalEntry.objects.filter(shared_at__isnull=False).exists()
            assert Observation.objects.filter(observer_kind="peer").exists()
            before[org.slug] = _counts()
    call_command("seed_demo", "--learners", "6")
    for org in Organization.objects.filter(slug__in=["acme", "globex"]):
        with tenant_context(org):
            assert _counts() == before[org.slug]
    # The demo coach's home and the learner's coaching page render.
    acme = Organization.objects.get(slug="acme")
    from organizations.models import User

    client.force_login(User.objects.get(email="coach@acme.test"))
    assert client.get("/o/acme/coaching/").status_code == 200
    client.force_login(User.objects.get(email="learner@acme.test"))
    page = client.get(f"/o/{acme.slug}/my-coaching/").content.decode()
    assert "Your coach: Cora Whitfield" in page
