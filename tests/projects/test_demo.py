"""Demo projects: every state in each demo organisation, written once."""

from __future__ import annotations

from django.core.management import call_command

from coaching.models import CoachingSession
from organizations.models import Organization
from organizations.tenancy import tenant_context
from projects import queries
from projects.models import BenefitClaim, Project


def test_the_demo_has_projects_in_every_state_and_a_second_run_adds_nothing(client, db):
    call_command("seed_demo", "--learners", "8")
    org = Organization.objects.get(slug="acme")
    with tenant_context(org):
        statuses = sorted(Project.objects.values_list("status", flat=True))
        assert statuses == sorted(
            ["draft", "submitted", "sent_back", "running", "closing", "signed_off", "signed_off"]
        )
        assert set(BenefitClaim.objects.values_list("status", flat=True)) == {
            "pending",
            "confirmed",
            "rejected",
            "excluded",
        }
        running = Project.objects.get(status="running")
        page = queries.project_page(running.owner, running.pk)
        assert {m.state for m in page.milestones} >= {"done_on_time", "late"}
        signed = Project.objects.filter(status="signed_off").order_by("id").first()
        assert queries.project_page(signed.sponsor, signed.pk).satisfaction.shown
        counts = (Project.objects.count(), BenefitClaim.objects.count())
    call_command("seed_demo", "--learners", "8")
    with tenant_context(org):
        assert (Project.objects.count(), BenefitClaim.objects.count()) == counts
    client.login(email="learner@acme.test", password="pathwise-demo")
    assert "Milestone: Agree a one-page handover sheet" in client.get("/o/acme/").content.decode()
    # The learner's last 1:1 and the next one worked on the running project: its page says when.
    with tenant_context(org):
        linked = CoachingSession.objects.filter(project=running).count()
    assert linked == 2
    page = client.get(f"/o/acme/projects/{running.pk}/").content.decode()
    assert "2 sessions worked on this project." in page
