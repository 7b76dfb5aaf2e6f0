"""Moving people between teams refreshes the roll-ups at once (through the outbox), not at the
nightly run: the edit form, the people import and the HRIS sync API."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from measurement import impact, services
from measurement.models import LearnerProgressRollup, TeamProgressRollup
from organizations.api_keys.services import do_create_key
from organizations.models import ImportJob, Membership, Team
from organizations.outbox.models import OutboxEntry
from organizations.tenancy import tenant_context
from pathways.models import StepCompletion
from tests.conftest import enroll, make_member, make_pathway


@pytest.fixture
def scene(org_a, org_b, admin_a):
    """Ana and Ben in Alpha, Cy in Beta, all enrolled, Ana with one step done; rolled up."""
    fixture = make_pathway(org_a)
    with tenant_context(org_a):
        alpha, beta = Team.objects.create(name="Alpha"), Team.objects.create(name="Beta")
    people = {}
    for name, team in (("ana", alpha), ("ben", alpha), ("cy", beta)):
        people[name] = make_member(org_a, f"{name}@acme.example", team=team, is_learner=True)
        enroll(org_a, fixture, people[name])
    with tenant_context(org_a):
        StepCompletion.objects.create(
            enrollment=people["ana"].enrollments.get(),
            learner=people["ana"],
            step_key=fixture.steps[0].key,
        )
        services.do_rollup_progress(org_a)
        OutboxEntry.objects.all().delete()
    return org_a, alpha, beta, people


def _teams(org):
    with tenant_context(org):
        return dict(TeamProgressRollup.objects.values_list("team__name", "learners"))


def _queued(org, handler):
    with tenant_context(org):
        return sorted(
            tuple(e.args) for e in OutboxEntry.objects.filter(handler=handler).order_by("pk")
        )


def test_the_edit_form_moves_a_learner_and_both_teams_roll_up(
    client, scene, admin_a, django_capture_on_commit_callbacks
):
    org, alpha, beta, people = scene
    assert _teams(org) == {"Alpha": 2, "Beta": 1}
    ana = people["ana"]
    client.force_login(admin_a.user)
    form = {"name": "Ana", "email": "ana@acme.example", "team": beta.pk, "roles": ["learner"]}
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(f"/o/{org.slug}/people/{ana.pk}/", form).status_code == 302
    # Eager (no broker): delivered after commit, before the response.
    assert _teams(org) == {"Alpha": 1, "Beta": 2}
    with tenant_context(org):
        assert LearnerProgressRollup.objects.get(learner=ana).team_id == beta.pk
    assert _queued(org, services.ROLLUP_HANDLER) == [(ana.pk,)]
    assert set(_queued(org, impact.TEAM_ROLLUP_HANDLER)) == {(alpha.pk,), (beta.pk,)}
    with tenant_context(org):
        assert not OutboxEntry.objects.filter(done_at__isnull=True).exists()


def test_an_edit_that_keeps_the_team_queues_nothing(client, scene, admin_a):
    org, alpha, _beta, people = scene
    client.force_login(admin_a.user)
    form = {"name": "Ana", "email": "ana@acme.example", "team": alpha.pk, "roles": ["learner"]}
    assert client.post(f"/o/{org.slug}/people/{people['ana'].pk}/", form).status_code == 302
    with tenant_context(org):
        assert not OutboxEntry.objects.exists()


def test_the_import_records_the_rollups_with_the_moves(client, scene, admin_a, settings):
    """With a broker, the roll-ups are outbox rows written in the import's transaction:
    each mover's progress roll-up and both teams' roll-ups, one each however many moved."""
    org, alpha, beta, people = scene
    settings.CELERY_TASK_ALWAYS_EAGER = False
    client.force_login(admin_a.user)
    content = (
        b"email,name,team,roles\n"
        b"ana@acme.example,Ana,Beta,learner\n"
        b"ben@acme.example,Ben,Beta,learner\n"
        b"cy@acme.example,Cy,Beta,learner\n"
    )
    upload = SimpleUploadedFile("people.csv", content, content_type="text/csv")
    client.post(f"/o/{org.slug}/people/import/", {"file": upload})
    with tenant_context(org):
        job = ImportJob.objects.get()
    client.post(f"/o/{org.slug}/people/import/{job.pk}/confirm/")
    with tenant_context(org):
        job.refresh_from_db()
        assert job.status == ImportJob.Status.DONE
    movers = sorted([(people["ana"].pk,), (people["ben"].pk,)])
    assert _queued(org, services.ROLLUP_HANDLER) == movers
    assert _queued(org, impact.TEAM_ROLLUP_HANDLER) == sorted([(alpha.pk,), (beta.pk,)])


def test_the_sync_api_refreshes_the_rollups_of_the_people_it_moves(
    client, scene, admin_a, django_capture_on_commit_callbacks
):
    org, alpha, beta, people = scene
    with tenant_context(org):
        key = do_create_key(admin_a, "HRIS", "read_write").plaintext
    auth = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    rows = [{"email": "cy@acme.example", "name": "Cy", "team": "Alpha"}]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/api/v1/orgs/{org.slug}/people/sync/", {"people": rows}, "application/json", **auth
        )
    assert response.status_code == 200, response.json()
    assert _teams(org) == {"Alpha": 3}  # Beta emptied: its row is gone
    assert _queued(org, services.ROLLUP_HANDLER) == [(people["cy"].pk,)]
    assert set(_queued(org, impact.TEAM_ROLLUP_HANDLER)) == {(alpha.pk,), (beta.pk,)}


def test_a_large_move_rolls_up_the_organisation_once(scene, settings, monkeypatch):
    from organizations.people import services as people_services

    org, alpha, beta, people = scene
    settings.CELERY_TASK_ALWAYS_EAGER = False
    monkeypatch.setattr(people_services, "MOVES_PER_PERSON_LIMIT", 1)
    with tenant_context(org):
        before = {m.pk: m.team_id for m in (people["ana"], people["ben"])}
        Membership.objects.filter(pk__in=list(before)).update(team=beta)
        people_services.queue_rollups_for_moves(before)
    assert _queued(org, services.ROLLUP_HANDLER) == [()]
    assert _queued(org, impact.TEAM_ROLLUP_HANDLER) == sorted([(alpha.pk,), (beta.pk,)])
