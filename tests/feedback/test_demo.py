"""Demo 360 data: a closed baseline and a running follow-up in each organisation, idempotent."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from measurement.feedback.models import Answer, Cycle, Pulse, RaterRequest, Report
from organizations.models import AuditEntry, Organization
from organizations.outbox.models import OutboxEntry
from organizations.tenancy import tenant_context


def _state(org):
    with tenant_context(org):
        return (
            Cycle.objects.count(),
            Report.objects.count(),
            RaterRequest.objects.count(),
            Answer.objects.count(),
            Pulse.objects.count(),
        )


@pytest.mark.django_db(transaction=False)
def test_seed_demo_shows_a_closed_baseline_a_running_follow_up_and_a_hidden_group():
    call_command("seed_demo", "--learners", "12")
    for slug in ("acme", "globex"):
        org = Organization.objects.get(slug=slug)
        with tenant_context(org):
            # The running cohort's (the finished pilot has its own pair, from the growth demo).
            running = Cycle.objects.exclude(cohort__status="finished")
            baseline = running.get(kind="baseline")
            follow_up = running.get(kind="follow_up")
            assert baseline.status == "closed" and follow_up.status != "closed"
            assert follow_up.baseline_id == baseline.pk
            reports = list(Report.objects.filter(cycle=baseline))
            assert reports
            groups = [g for r in reports for g in r.data["groups"] if g["responded"]]
            shown = [g for g in groups if g["shown"]]
            assert len(shown) > len(groups) / 2  # most groups show
            demo = Report.objects.get(cycle=baseline, learner__user__email=f"learner@{slug}.test")
            hidden = {g["group"] for g in demo.data["groups"] if g["responded"] and not g["shown"]}
            assert hidden == {"direct_report"}
            assert Pulse.objects.exists()
            assert RaterRequest.objects.filter(
                participant__cycle=follow_up, status="submitted"
            ).exists()
            assert not OutboxEntry.objects.filter(handler__startswith="measurement.feedback.")
            # After approval the admin added a missed direct report, invited and audited.
            added = RaterRequest.objects.get(email__startswith="new-report.")
            assert (added.relationship, added.status) in {
                ("direct_report", "invited"),
                ("direct_report", "submitted"),
            }
            assert AuditEntry.objects.filter(action="added rater").count() == 1
    before = [_state(o) for o in Organization.objects.order_by("slug")]
    call_command("seed_demo", "--learners", "12")
    assert [_state(o) for o in Organization.objects.order_by("slug")] == before
