"""GDPR: a person's export holds their data and nobody else's; erasure from an organisation
leaves every figure unchanged and no trace of the person's text in any table; retention."""

from __future__ import annotations

import dataclasses
import datetime as dt
import importlib
import io
import json
import zipfile
from types import SimpleNamespace

import pytest
from django.db import OperationalError, connection, transaction
from django.db.migrations.loader import MigrationLoader
from django.test import Client
from django.utils import timezone
from freezegun import freeze_time

from competencies.models import Competency, Framework
from measurement.models import LearnerProgressRollup, TeamProgressRollup
from measurement.queries import programme_health, team_completion
from measurement.services import do_rollup_progress
from organizations.audit import record_change
from organizations.gdpr import privacy_modules
from organizations.gdpr.services import (
    EXPORT_PART_HANDLER,
    deliver_export_part,
    do_request_export,
    purge_expired,
)
from organizations.models import (
    DataExport,
    ErasureReceipt,
    ImportJob,
    Membership,
    Organization,
    SecurityEvent,
    Team,
    User,
)
from organizations.outbox import delivery
from organizations.outbox.models import OutboxEntry
from organizations.outbox.tasks import requeue_overdue_followups
from organizations.tenancy import tenant_context
from pathways.models import Comment, MentoringRequest, PracticeAnswer, PracticeTask, Recommendation
from pathways.services import do_complete_step
from tests.conftest import enroll, make_member, make_pathway

PLANTED = {
    "name": "Plantagenet Quixby",
    "email": "quixby.planted@acme.example",
    "title": "Chief Zebra Wrangler",
    "answer": "my-secret-reflection-7731",
    "comment": "comment-planted-5521",
    "note": "note-planted-9902",
    "mentoring": "mentoring-planted-4410",
}


def _person_with_everything(
    org: Organization, email: str, team: Team | None = None, tag: str = "p1", mates: int = 0
):
    """A learner with progress, a practice answer, a comment, a recommendation and a mentoring
    request, each holding planted text."""
    fixture = make_pathway(org, n_steps=3, name=f"Path {tag}")
    person = make_member(org, email, team=team, is_learner=True)
    other = make_member(org, f"peer-of-{tag}@acme.example", team=team, is_learner=True)
    for i in range(mates):
        enroll(org, fixture, make_member(org, f"mate{i}@acme.example", team=team, is_learner=True))
    with tenant_context(org):
        User.objects.filter(pk=person.user_id).update(full_name=PLANTED["name"])
        Membership.objects.filter(pk=person.pk).update(job_title=PLANTED["title"])
    for member in (person, other):
        enrollment = enroll(org, fixture, member)
        with tenant_context(org):
            do_complete_step(member, enrollment.pk, fixture.steps[0].pk)
    with tenant_context(org):
        module = fixture.steps[0].module
        task = PracticeTask.objects.create(module=module, prompt="Reflect on a change you led.")
        PracticeAnswer.objects.create(learner=person, task=task, text=PLANTED["answer"])
        Comment.objects.create(module=module, author=person, body=PLANTED["comment"])
        Recommendation.objects.create(
            sender=person, recipient=other, module=module, note=PLANTED["note"]
        )
        framework = Framework.objects.create(name=f"F {tag}")
        competency = Competency.objects.create(framework=framework, name=f"Listening {tag}")
        MentoringRequest.objects.create(
            mentee=person, competency=competency, note=PLANTED["mentoring"]
        )
        record_change(
            None,
            "updated",
            person,
            object_type="Person",
            object_repr=f"{PLANTED['name']} <{person.user.email}>",
            after={"job_title": PLANTED["title"]},
        )
        ImportJob.objects.create(
            filename="people.csv",
            content=f"email,name\n{person.user.email},{PLANTED['name']}\nx@y.example,Other\n",
            content_sha256="0",
        )
    return person


def _tables_containing(text: str) -> list[str]:
    """Every table and column whose value contains ``text`` (cast to text), across the whole
    database as this connection sees it."""
    found = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            for column in connection.introspection.get_table_description(cursor, table):
                qt, qc = connection.ops.quote_name(table), connection.ops.quote_name(column.name)
                cursor.execute(
                    f"SELECT COUNT(*) FROM {qt} WHERE CAST({qc} AS TEXT) LIKE %s",  # noqa: S608
                    [f"%{text}%"],
                )
                if cursor.fetchone()[0]:
                    found.append(f"{table}.{column.name}")
    return found


def _figures(org: Organization):
    with tenant_context(org):
        do_rollup_progress(org)
        return (
            dataclasses.replace(programme_health(), computed_at=None),
            dataclasses.replace(team_completion(), computed_at=None),
            sorted(
                LearnerProgressRollup.objects.values_list(
                    "learner_id", "steps_done", "steps_total", "completion"
                )
            ),
            sorted(
                TeamProgressRollup.objects.values_list(
                    "team_id", "learners", "learners_finished", "mean_completion"
                )
            ),
        )


def test_every_app_on_this_branch_provides_privacy_hooks():
    labels = {label for label, _module in privacy_modules()}
    assert {"organizations", "pathways"} <= labels


def test_the_export_holds_the_persons_data_and_nobody_elses(
    client, org_a, org_b, django_capture_on_commit_callbacks
):
    leo = _person_with_everything(org_a, "leo@acme.example")
    make_member(org_b, "leo@acme.example", is_coach=True)
    eve = make_member(org_a, "eve@acme.example", is_learner=True)
    with tenant_context(org_a):
        task = PracticeTask.objects.first()
        PracticeAnswer.objects.create(learner=eve, task=task, text="eve-private-answer-1234")
    client.force_login(leo.user)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post("/accounts/privacy/export/").status_code == 302
    export = DataExport.objects.get(user=leo.user)
    assert export.status == "done" and export.parts_done == export.parts_total > 1
    page = client.get("/accounts/privacy/").content.decode()
    assert "Download the zip" in page
    response = client.get(f"/accounts/privacy/exports/{export.pk}/download/")
    assert response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    names = set(archive.namelist())
    assert {"account/account.json", "account/account.csv", "account/security_events.json"} <= names
    assert f"{org_a.slug}/pathways/practice_answers.csv" in names
    assert f"{org_b.slug}/organizations/membership.json" in names  # both organisations
    everything = "\n".join(archive.read(n).decode() for n in names)
    assert PLANTED["answer"] in everything and PLANTED["comment"] in everything
    assert json.loads(archive.read("account/account.json"))[0]["email"] == "leo@acme.example"
    assert "eve-private-answer-1234" not in everything and "eve@acme.example" not in everything
    assert "password" not in archive.read("account/account.json").decode()
    # Another person cannot see or download it.
    client.force_login(eve.user)
    assert client.get(f"/accounts/privacy/exports/{export.pk}/").status_code == 404
    assert client.get(f"/accounts/privacy/exports/{export.pk}/download/").status_code == 404


def test_erasure_leaves_every_figure_unchanged_and_no_trace_of_the_person(
    client, org_a, org_b, admin_a
):
    team = None
    with tenant_context(org_a):
        team = Team.objects.create(name="Operations")
    person = _person_with_everything(org_a, PLANTED["email"], team=team, mates=4)
    client.force_login(person.user)  # a session and a sign-in event to remove
    before = _figures(org_a)
    assert before[1].teams and not before[1].hidden_teams  # the team's figure is shown
    admin = Client()
    admin.force_login(admin_a.user)
    url = f"/o/{org_a.slug}/people/{person.pk}/erase/"
    refused = admin.post(url, {"confirmation": "someone@else.example"})
    assert "Type the person" in refused.content.decode()
    response = admin.post(url, {"confirmation": PLANTED["email"]})
    assert response.status_code == 200 and "Erasure receipt" in response.content.decode()
    assert _figures(org_a) == before
    with tenant_context(org_a):
        receipt = ErasureReceipt.objects.get()
        assert receipt.account_deleted and receipt.items["practice answers (text deleted)"] == 1
        assert Membership.objects.get(pk=person.pk).user.display_name
        for text in PLANTED.values():
            assert _tables_containing(text) == [], text
    assert not SecurityEvent.objects.filter(email=PLANTED["email"]).exists()
    assert client.get(f"/o/{org_a.slug}/").status_code == 302  # signed out for good
    receipts = admin.get(f"/o/{org_a.slug}/security/erasures/").content.decode()
    assert "practice answers (text deleted)" in receipts


def test_erasing_a_shared_account_keeps_it_for_the_other_organisation(
    client, org_a, org_b, admin_a
):
    person = make_member(org_a, "sam@both.example", is_learner=True)
    elsewhere = make_member(org_b, "sam@both.example", is_coach=True)
    client.force_login(admin_a.user)
    client.post(f"/o/{org_a.slug}/people/{person.pk}/erase/", {"confirmation": "sam@both.example"})
    with tenant_context(org_a):
        assert not ErasureReceipt.objects.get().account_deleted
        assert Membership.objects.get(pk=person.pk).user.email.endswith("@erased.invalid")
    sam = Client()
    sam.force_login(User.objects.get(email="sam@both.example"))
    assert sam.get(f"/o/{org_b.slug}/").status_code == 200
    assert sam.get(f"/o/{org_a.slug}/").status_code == 404
    with tenant_context(org_b):
        assert Membership.objects.get(pk=elsewhere.pk).user.email == "sam@both.example"


def test_erasure_refuses_the_last_admin_and_another_organisations_admin(
    client, org_a, org_b, admin_a
):
    person = make_member(org_a, "leo@acme.example", is_learner=True)
    client.force_login(admin_a.user)
    page = client.post(
        f"/o/{org_a.slug}/people/{admin_a.pk}/erase/", {"confirmation": "admin@a.example"}
    )
    assert "cannot erase yourself" in page.content.decode()
    outsider = make_member(org_b, "boss@globex.example", is_admin=True)
    client.force_login(outsider.user)
    url = f"/o/{org_a.slug}/people/{person.pk}/erase/"
    assert client.post(url, {"confirmation": "leo@acme.example"}).status_code == 404
    assert client.get(f"/o/{org_a.slug}/security/erasures/").status_code == 404
    with tenant_context(org_a):
        assert not ErasureReceipt.objects.exists()


def test_the_retention_job_empties_old_import_files_only_where_set(
    org_a, org_b, django_capture_on_commit_callbacks
):
    long_ago = timezone.now() - dt.timedelta(days=400)
    for org in (org_a, org_b):
        with tenant_context(org):
            ImportJob.objects.create(
                filename="old.csv", content="email\nold@x.example\n", content_sha256="0",
                created_at=long_ago,
            )  # fmt: skip
            ImportJob.objects.create(
                filename="new.csv", content="email\nnew@x.example\n", content_sha256="0"
            )
    Organization.objects.filter(pk=org_a.pk).update(retention_days=365)
    org_a.refresh_from_db()
    from organizations.gdpr.tasks import fan_out_retention

    with django_capture_on_commit_callbacks(execute=True):
        assert fan_out_retention() == 1
    with tenant_context(org_a):
        assert purge_expired(org_a) == {"import files emptied": 0}  # the task did it already
        assert sorted(ImportJob.objects.values_list("filename", "content")) == [
            ("new.csv", "email\nnew@x.example\n"),
            ("old.csv", ""),
        ]
    with tenant_context(org_b):
        assert ImportJob.objects.filter(content="").count() == 0


def _swept_later(org: Organization, django_capture_on_commit_callbacks, minutes: int = 6):
    """Run the outbox sweep of ``org`` as the beat would, ``minutes`` from now (eager), with each
    part's follow-up delivered after its commit."""
    with freeze_time(timezone.now() + dt.timedelta(minutes=minutes)):
        with django_capture_on_commit_callbacks(execute=True):
            requeue_overdue_followups.delay(org.pk)


def _zip_names(export: DataExport) -> list[str]:
    export.refresh_from_db()
    return zipfile.ZipFile(io.BytesIO(bytes(export.content))).namelist()


def test_an_export_whose_delivery_was_lost_is_built_by_the_sweep(
    org_a, org_b, django_capture_on_commit_callbacks
):
    leo = make_member(org_b, "leo@acme.example", is_learner=True)
    make_member(org_a, "leo@acme.example", is_coach=True)
    # No on-commit callbacks run: the broker lost the delivery.
    export = do_request_export(leo.user)
    assert do_request_export(leo.user) == export  # still being built: the same one
    with tenant_context(org_a):  # the first active organisation by slug carries it
        entry = OutboxEntry.objects.get()
        assert (entry.handler, entry.args) == (EXPORT_PART_HANDLER, [export.pk, 0, None])
    with tenant_context(org_b):
        assert not OutboxEntry.objects.exists()
    export.refresh_from_db()
    assert export.status == "queued" and export.content is None
    _swept_later(org_a, django_capture_on_commit_callbacks)
    export.refresh_from_db()
    assert export.status == "done" and export.parts_done == export.parts_total > 2
    names = _zip_names(export)
    assert len(names) == len(set(names))  # every part written once
    assert "account/account.json" in names
    assert {
        f"{org_a.slug}/organizations/membership.json",
        f"{org_b.slug}/organizations/membership.json",
    } <= set(names)
    with tenant_context(org_a):
        assert not OutboxEntry.objects.filter(done_at__isnull=True).exists()
        assert OutboxEntry.objects.count() == export.parts_total


def test_each_part_commits_its_progress_and_runs_once(
    client, org_a, org_b, django_capture_on_commit_callbacks
):
    leo = make_member(org_a, "leo@acme.example", is_learner=True)
    export = do_request_export(leo.user)
    with tenant_context(org_a):
        first = OutboxEntry.objects.get()
        assert delivery.do_deliver_followup(org_a, first.pk).outcome == "done"
    export.refresh_from_db()
    assert export.status == "running" and export.parts_done == 1 and export.parts_total > 2
    client.force_login(leo.user)
    page = client.get(f"/accounts/privacy/exports/{export.pk}/").content.decode()
    assert f"1 of {export.parts_total} parts gathered" in page
    before = _zip_names(export)
    # The same part again (a redelivered message, or the handler run twice): nothing changes.
    with tenant_context(org_a):
        assert delivery.do_deliver_followup(org_a, first.pk).outcome == "already done"
        deliver_export_part(org_a, export.pk, 0)
        second = OutboxEntry.objects.get(done_at__isnull=True)
        assert second.args[:2] == [export.pk, 1]
    assert _zip_names(export) == before and export.parts_done == 1
    _swept_later(org_a, django_capture_on_commit_callbacks)
    export.refresh_from_db()
    assert export.status == "done"
    names = _zip_names(export)
    assert len(names) == len(set(names))


def test_a_rolled_back_request_leaves_nothing_half_written(
    org_a, django_capture_on_commit_callbacks
):
    leo = make_member(org_a, "leo@acme.example", is_learner=True)
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError), transaction.atomic():
            do_request_export(leo.user)
            raise RuntimeError("the request failed after the export was recorded")
    assert not DataExport.objects.exists()
    with tenant_context(org_a):
        assert not OutboxEntry.objects.exists()


def test_a_failing_part_keeps_the_parts_before_it_and_is_retried_or_fails_the_export(
    org_a, org_b, monkeypatch, django_capture_on_commit_callbacks
):
    import pathways.privacy

    leo = make_member(org_a, "leo@acme.example", is_learner=True)
    real = pathways.privacy.export_person

    def database_hiccup(membership):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(pathways.privacy, "export_person", database_hiccup)
    with django_capture_on_commit_callbacks(execute=True):
        export = do_request_export(leo.user)
    export.refresh_from_db()
    assert export.status == "running" and 0 < export.parts_done < export.parts_total
    assert not any("/pathways/" in name for name in _zip_names(export))  # none of the failed part
    with tenant_context(org_a):
        pending = OutboxEntry.objects.get(done_at__isnull=True)
        assert pending.attempts == 1 and "server closed" in pending.last_error
    monkeypatch.setattr(pathways.privacy, "export_person", real)
    _swept_later(org_a, django_capture_on_commit_callbacks)
    export.refresh_from_db()
    assert export.status == "done" and any("/pathways/" in n for n in _zip_names(export))

    def broken(membership):
        raise ValueError("a bug")

    monkeypatch.setattr(pathways.privacy, "export_person", broken)
    with django_capture_on_commit_callbacks(execute=True):
        failed = do_request_export(leo.user)
    failed.refresh_from_db()
    assert failed.status == "failed"
    with tenant_context(org_a):  # nothing left for the sweep: the person asks again
        assert not OutboxEntry.objects.filter(done_at__isnull=True).exists()
    monkeypatch.setattr(pathways.privacy, "export_person", real)
    with django_capture_on_commit_callbacks(execute=True):
        again = do_request_export(leo.user)
    again.refresh_from_db()
    assert again.pk != failed.pk and again.status == "done"


def test_a_person_in_no_active_organisation_gets_the_export_at_once(org_a, org_b):
    leo = make_member(org_b, "leo@acme.example", is_learner=True)
    Organization.objects.filter(pk=org_b.pk).update(is_active=False)
    export = do_request_export(leo.user)  # no on-commit callbacks needed
    export.refresh_from_db()
    assert export.status == "done"
    assert f"{org_b.slug}/organizations/membership.json" in _zip_names(export)
    for org in (org_a, org_b):
        with tenant_context(org):
            assert not OutboxEntry.objects.exists()


def test_an_export_pending_for_a_day_is_failed_and_a_new_request_starts_afresh(
    org_a, org_b, django_capture_on_commit_callbacks
):
    leo = make_member(org_a, "leo@acme.example", is_learner=True)
    with freeze_time(timezone.now() - dt.timedelta(hours=25)):
        stuck = do_request_export(leo.user)  # its delivery never runs (no callbacks executed)
    with django_capture_on_commit_callbacks(execute=True):
        fresh = do_request_export(leo.user)
    stuck.refresh_from_db()
    assert stuck.status == "failed" and stuck.finished_at is not None
    fresh.refresh_from_db()
    assert fresh.pk != stuck.pk and fresh.status == "done"


def test_the_migration_restarts_exports_left_waiting_through_the_outbox(
    org_a, org_b, django_capture_on_commit_callbacks
):
    migration = importlib.import_module("organizations.migrations.0011_data_exports_in_outbox")
    apps = (
        MigrationLoader(connection)
        .project_state(
            [
                ("organizations", "0010_merge_0007_row_level_security_0009_privacy"),
                ("outbox", "0002_row_level_security"),
            ]
        )
        .apps
    )
    leo = make_member(org_b, "leo@acme.example", is_learner=True)
    ann = make_member(org_a, "ann@acme.example", is_learner=True)
    lone = User.objects.create_user(email="lone@x.example", password="x")
    long_ago = timezone.now() - dt.timedelta(minutes=30)
    # Left by the code before the outbox: one half-built, one queued, one with no organisation.
    half = DataExport.objects.create(
        user=leo.user, status="running", parts_done=2, parts_total=9, created_at=long_ago
    )
    queued = DataExport.objects.create(user=ann.user, created_at=long_ago)
    orphan = DataExport.objects.create(user=lone, created_at=long_ago)
    done = DataExport.objects.create(user=ann.user, status="done", content=b"zip")
    for _ in range(2):  # safe to run again
        migration.record_pending_exports(apps, SimpleNamespace(connection=connection))
    half.refresh_from_db()
    orphan.refresh_from_db()
    assert (half.status, half.parts_done) == ("queued", 0) and orphan.status == "failed"
    with tenant_context(org_a):
        assert list(OutboxEntry.objects.values_list("args", flat=True)) == [[queued.pk, 0, None]]
    with tenant_context(org_b):
        assert list(OutboxEntry.objects.values_list("args", flat=True)) == [[half.pk, 0, None]]
    for org in (org_a, org_b):
        _swept_later(org, django_capture_on_commit_callbacks, minutes=1)
    for export in (half, queued, done):
        export.refresh_from_db()
        assert export.status == "done"
    assert bytes(done.content) == b"zip"


@pytest.mark.django_db(transaction=True)
def test_the_retention_fan_out_logs_an_unreachable_broker_instead_of_raising(org_a, caplog):
    from organizations.gdpr.tasks import fan_out_retention
    from tests.organizations.outbox.brokers import redis_unreachable

    Organization.objects.filter(pk=org_a.pk).update(retention_days=365)
    with redis_unreachable():
        assert fan_out_retention() == 0  # nothing queued, nothing raised: the next night retries
    assert "not queued" in caplog.text
