"""GDPR: a person's export holds their data and nobody else's; erasure from an organisation
leaves every figure unchanged and no trace of the person's text in any table; retention."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import json
import zipfile

from django.db import connection
from django.test import Client
from django.utils import timezone

from competencies.models import Competency, Framework
from measurement.models import LearnerProgressRollup, TeamProgressRollup
from measurement.queries import programme_health, team_completion
from measurement.services import do_rollup_progress
from organizations.audit import record_change
from organizations.gdpr import privacy_modules
from organizations.gdpr.services import purge_expired
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


def test_an_export_whose_task_was_lost_is_built_by_the_sweep(org_a, org_b):
    from organizations.gdpr.tasks import requeue_stale_exports

    leo = make_member(org_a, "leo@acme.example", is_learner=True)
    # Recorded, but its task never reached a worker (no on-commit callbacks run here).
    export = DataExport.objects.create(
        user=leo.user, created_at=timezone.now() - dt.timedelta(minutes=30)
    )
    fresh = DataExport.objects.create(user=leo.user)
    assert requeue_stale_exports() == 1
    export.refresh_from_db()
    fresh.refresh_from_db()
    assert export.status == "done" and fresh.status == "queued"
