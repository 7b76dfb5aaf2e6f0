"""The people importer: checks by row and column, preview, all-or-nothing, idempotence, the
background job for large files and the ``import_people`` command."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from organizations.models import AuditEntry, ImportJob, Membership, Team, User
from organizations.people import importer, services
from organizations.people.tasks import ROWS_PER_BATCH
from organizations.tenancy import tenant_context
from tests.conftest import make_member

HEADER = "email,name,title,function,team,manager_email,roles\n"
GOOD = (
    HEADER
    + "ana@acme.example,Ana Silva,Head of Sales,Commercial,Sales,,learner;sponsor\n"
    + "ben@acme.example,Ben Okafor,Account Manager,Commercial,Sales,ana@acme.example,learner\n"
    + "cy@acme.example,Cy Tanaka,Engineer,Technology,Engineering,ben@acme.example,learner|coach\n"
)


def _plan(org, content):
    with tenant_context(org):
        return importer.build_plan(content)


def _problems(org, content):
    return [(p.row, p.column, p.message) for p in _plan(org, content).problems]


def _counts(org):
    with tenant_context(org):
        return (
            User.objects.count(),
            Membership.objects.count(),
            Team.objects.count(),
        )


def test_it_refuses_an_empty_file(org_a, org_b):
    [(row, column, message)] = _problems(org_a, "")
    assert row is None and "empty" in message


def test_it_refuses_a_header_without_people(org_a, org_b):
    [(row, column, message)] = _problems(org_a, HEADER)
    assert "nobody" in message


def test_it_names_a_missing_required_column(org_a, org_b):
    problems = _problems(org_a, "email,title\nana@acme.example,Lead\n")
    assert problems == [
        (
            1,
            "name",
            "The required column “name” is missing. The header must name: email, name, title, "
            "function, team, manager_email, roles.",
        )
    ]


def test_it_warns_about_unknown_columns_but_goes_ahead(org_a, org_b):
    plan = _plan(org_a, "email,name,shoe_size\nana@acme.example,Ana,42\n")
    assert not plan.refused
    [warning] = plan.warnings
    assert (warning.row, warning.column) == (1, "shoe_size")
    assert "Unknown column" in warning.message


def test_it_reports_each_bad_cell_by_row_and_column(org_a, org_b):
    make_member(org_a, "boss@acme.example", is_admin=True)
    content = (
        HEADER
        + "not-an-email,Ana,,,,,learner\n"  # row 2
        + "ben@acme.example,Ben,,,,,learner;wizard\n"  # row 3
        + "ben@acme.example,Ben again,,,,,\n"  # row 4
        + "cy@acme.example,Cy,,,,nobody@acme.example,\n"  # row 5
        + "dee@acme.example,,,,,dee@acme.example,\n"  # row 6
        + "eve@acme.example,Eve,,,,fay@acme.example,\n"  # row 7
        + "fay@acme.example,Fay,,,,eve@acme.example,\n"  # row 8
        + "gus@acme.example,Gus,"
        + "x" * 201
        + ",,,,\n"  # row 9
    )
    problems = _problems(org_a, content)
    assert (2, "email", "“not-an-email” is not a valid e-mail address.") in problems
    assert (
        3,
        "roles",
        "Unknown role “wizard”. Use admin, learner, coach, sponsor, separated by ; or |.",
    ) in problems
    assert (4, "email", "ben@acme.example appears twice: already on row 3.") in problems
    assert (
        5,
        "manager_email",
        "The manager nobody@acme.example is neither in this file nor a member of the organisation.",
    ) in problems
    assert (6, "name", "The name is empty.") in problems
    assert (6, "manager_email", "A person cannot manage themselves.") in problems
    assert (
        7,
        "manager_email",
        "The manager chain loops back to this person: "
        "eve@acme.example → fay@acme.example → eve@acme.example.",
    ) in problems
    assert (
        8,
        "manager_email",
        "The manager chain loops back to this person: "
        "fay@acme.example → eve@acme.example → fay@acme.example.",
    ) in problems
    assert (9, "title", "Too long: 201 characters, at most 200.") in problems


def test_it_finds_a_loop_through_people_already_in_the_organisation(org_a, org_b):
    boss = make_member(org_a, "boss@acme.example", is_admin=True)
    report = make_member(org_a, "report@acme.example", is_learner=True)
    with tenant_context(org_a):
        Membership.objects.filter(pk=report.pk).update(manager=boss)
    content = "email,name,manager_email\nboss@acme.example,Boss,report@acme.example\n"
    [(row, column, message)] = _problems(org_a, content)
    assert (row, column) == (2, "manager_email") and "loops" in message


def test_it_refuses_to_remove_the_last_admin(org_a, org_b):
    make_member(org_a, "boss@acme.example", is_admin=True)
    [(row, column, message)] = _problems(
        org_a, "email,name,roles\nboss@acme.example,Boss,learner\n"
    )
    assert (row, column) == (2, "roles") and "last HR admin" in message


def test_it_previews_without_writing_anything(org_a, org_b):
    admin = make_member(org_a, "boss@acme.example", is_admin=True)
    before = _counts(org_a)
    with tenant_context(org_a):
        job, plan = services.do_preview_import(admin.user, "people.csv", GOOD)
    assert _counts(org_a) == before
    assert job.status == ImportJob.Status.PREVIEW
    assert (job.summary["new"], job.summary["updated"]) == (3, 0)
    assert job.summary["teams_to_create"] == ["Sales", "Engineering"]


def test_it_stores_a_refused_preview_with_its_problems(org_a, org_b):
    admin = make_member(org_a, "boss@acme.example", is_admin=True)
    with tenant_context(org_a):
        job, _plan = services.do_preview_import(admin.user, "bad.csv", HEADER + "x,Y,,,,,\n")
        assert job.status == ImportJob.Status.REFUSED
        assert job.problems[0]["row"] == 2 and job.problems[0]["column"] == "email"
        with pytest.raises(Exception, match="refused"):
            services.do_confirm_import(admin.user, job)


def test_it_applies_everything_and_then_changes_nothing_on_reimport(org_a, org_b):
    admin = make_member(org_a, "boss@acme.example", is_admin=True)
    with tenant_context(org_a):
        job, _plan = services.do_preview_import(admin.user, "people.csv", GOOD)
        job = services.do_confirm_import(admin.user, job)
        assert job.status == ImportJob.Status.DONE
        cy = Membership.objects.select_related("user", "team", "manager__user").get(
            user__email="cy@acme.example"
        )
        assert cy.user.full_name == "Cy Tanaka"
        assert cy.team.name == "Engineering"
        assert cy.manager.user.email == "ben@acme.example"
        assert (cy.is_learner, cy.is_coach, cy.is_admin) == (True, True, False)
        assert not cy.user.has_usable_password()
        audit_rows = AuditEntry.objects.count()

        again, plan = services.do_preview_import(admin.user, "people.csv", GOOD)
        assert plan.change_count == 0 and again.summary["unchanged"] == 3
        assert Membership.objects.count() == 4
        assert AuditEntry.objects.count() == audit_rows


def test_it_updates_only_what_changed(org_a, org_b):
    admin = make_member(org_a, "boss@acme.example", is_admin=True)
    with tenant_context(org_a):
        job, _ = services.do_preview_import(admin.user, "people.csv", GOOD)
        services.do_confirm_import(admin.user, job)
        changed = GOOD.replace("Engineer,Technology", "Senior Engineer,Technology")
        plan = importer.build_plan(changed)
        [person] = plan.updated_people
        assert person.email == "cy@acme.example"
        assert person.changes == {"title": ("Engineer", "Senior Engineer")}


def test_it_writes_nothing_when_the_apply_fails_half_way(org_a, org_b, monkeypatch):
    admin = make_member(org_a, "boss@acme.example", is_admin=True)
    before = _counts(org_a)
    real = importer.record_change

    def fail_on_import(actor, action, *args, **kwargs):
        if action == "imported":  # after every person and team has been written
            raise RuntimeError("disk full")
        return real(actor, action, *args, **kwargs)

    monkeypatch.setattr(importer, "record_change", fail_on_import)
    with tenant_context(org_a):
        job, _ = services.do_preview_import(admin.user, "people.csv", GOOD)
        job = services.do_confirm_import(admin.user, job)
        assert job.status == ImportJob.Status.FAILED
        assert "disk full" in job.problems[0]["message"]
    assert _counts(org_a) == before
    assert User.objects.filter(email="ana@acme.example").count() == 0


@pytest.mark.parametrize("clash", ["team", "account"])
def test_a_team_or_account_created_while_the_file_is_applied_fails_it_cleanly(org_a, org_b, clash):
    """The plan saw no "Sales" team and no account for ana@; someone creates one before the
    apply (the race a check cannot see): the job fails with a message, and writes nothing."""
    admin = make_member(org_a, "boss@acme.example", is_admin=True)
    with tenant_context(org_a):
        plan = importer.build_plan(GOOD)
        assert "Sales" in plan.teams_to_create
        if clash == "team":
            Team.objects.create(name="SALES")
        else:
            User.objects.create(email="ANA@acme.example", full_name="Ana elsewhere")
    before = _counts(org_a)
    with tenant_context(org_a):
        job, _ = services.do_preview_import(admin.user, "people.csv", GOOD)
        job = services.apply_import_job(job, admin.user, plan=plan)
        assert job.status == ImportJob.Status.FAILED
        message = job.problems[0]["message"]
        assert message.startswith("The import failed and nothing was changed:")
        assert ("created by someone else" if clash == "team" else "created elsewhere") in message
        assert "IntegrityError" not in message and "UNIQUE" not in message.upper()
        assert not AuditEntry.objects.filter(action="imported").exists()
    assert _counts(org_a) == before


def _large_file(n: int) -> str:
    lines = [HEADER.strip()]
    lines.append("lead@big.example,Lead Person,Director,Operations,Ops,,learner;coach")
    for i in range(1, n):
        lines.append(
            f"p{i:05d}@big.example,Person {i},Team Lead,Operations,Ops {i % 7},"
            f"lead@big.example,learner"
        )
    return "\n".join(lines) + "\n"


def test_it_runs_a_5000_row_file_as_a_job_with_progress(
    org_a, org_b, django_capture_on_commit_callbacks
):
    admin = make_member(org_a, "boss@acme.example", is_admin=True)
    content = _large_file(5000)
    with tenant_context(org_a):
        job, plan = services.do_preview_import(admin.user, "hris.csv", content)
        assert job.total_rows == 5000 and not plan.refused
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            queued = services.do_confirm_import(admin.user, job)
            assert queued.status == ImportJob.Status.QUEUED
        assert len(callbacks) == 5000 // ROWS_PER_BATCH + 1
        job.refresh_from_db()
        assert job.status == ImportJob.Status.DONE
        assert job.processed_rows == job.total_rows == 5000
        assert Membership.objects.count() == 5001
        assert Team.objects.count() == 8
        assert Membership.objects.filter(manager__user__email="lead@big.example").count() == 4999
        assert importer.build_plan(content).change_count == 0


def test_it_refuses_a_large_file_that_went_bad_after_the_preview(
    org_a, org_b, django_capture_on_commit_callbacks
):
    admin = make_member(org_a, "boss@acme.example", is_admin=True)
    content = _large_file(600)
    with tenant_context(org_a):
        job, _ = services.do_preview_import(admin.user, "hris.csv", content)
        # The file on the job changes under us (e.g. a corrupted row in storage).
        ImportJob.objects.filter(pk=job.pk).update(
            content=content.replace("p00599@big.example", "p00599-at-big.example")
        )
        job.refresh_from_db()
        with django_capture_on_commit_callbacks(execute=True):
            services.do_confirm_import(admin.user, job)
        job.refresh_from_db()
        assert job.status == ImportJob.Status.REFUSED
        assert job.problems[0]["row"] == 601
        assert Membership.objects.count() == 1


def test_the_command_prints_the_summary_and_is_idempotent(org_a, org_b, tmp_path):
    make_member(org_a, "boss@acme.example", is_admin=True)
    path = tmp_path / "people.csv"
    path.write_text(GOOD)
    out = io.StringIO()
    call_command("import_people", str(path), "--org", org_a.slug, "--dry-run", stdout=out)
    assert "3 rows: 5 would change (3 new, 0 updated, 2 teams created" in out.getvalue()
    assert _counts(org_a)[1] == 1
    out = io.StringIO()
    call_command("import_people", str(path), "--org", org_a.slug, stdout=out)
    assert "5 changed (3 new" in out.getvalue()
    assert _counts(org_a)[1] == 4
    out = io.StringIO()
    call_command("import_people", str(path), "--org", org_a.slug, stdout=out)
    assert "0 changes" in out.getvalue()
    with tenant_context(org_a):
        assert list(ImportJob.objects.values_list("status", flat=True)) == ["done", "done"]
    assert _counts(org_b)[1] == 0


def test_the_command_exits_non_zero_and_prints_problems(org_a, org_b, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(HEADER + "ana@acme.example,Ana,,,,,wizard\n")
    err = io.StringIO()
    with pytest.raises(CommandError) as refused:
        call_command("import_people", str(path), "--org", org_a.slug, stderr=err)
    assert refused.value.returncode == 1
    assert "Row 2, column roles: Unknown role “wizard”" in err.getvalue()
    assert _counts(org_a)[1] == 0
    with tenant_context(org_a):
        assert ImportJob.objects.get().status == ImportJob.Status.REFUSED


def test_the_command_marks_the_job_failed_when_a_team_appears_before_the_write(
    org_a, org_b, tmp_path, monkeypatch
):
    """Someone creates "Sales" between the command's check and its write: the job ends failed
    with the reason, nothing from the file is written, and the command exits 1."""
    make_member(org_a, "boss@acme.example", is_admin=True)
    path = tmp_path / "people.csv"
    path.write_text(GOOD)
    real_build_plan = importer.build_plan

    def plan_then_race(content):
        plan = real_build_plan(content)
        Team.objects.create(name="SALES")  # the concurrent admin, in the same organisation
        return plan

    monkeypatch.setattr(importer, "build_plan", plan_then_race)
    err = io.StringIO()
    with pytest.raises(CommandError) as failed:
        call_command("import_people", str(path), "--org", org_a.slug, stderr=err)
    assert failed.value.returncode == 1
    assert "failed" in str(failed.value) and "nothing was imported" in str(failed.value)
    assert "created by someone else" in err.getvalue()
    with tenant_context(org_a):
        job = ImportJob.objects.get()
        assert job.status == ImportJob.Status.FAILED and job.finished_at is not None
        assert job.problems[0]["message"].startswith("The import failed and nothing was changed:")
        assert "created by someone else" in job.problems[0]["message"]
        assert list(Team.objects.values_list("name", flat=True)) == ["SALES"]
        assert not AuditEntry.objects.filter(action="imported").exists()
    assert _counts(org_a)[1] == 1  # only the admin
    assert User.objects.filter(email="ana@acme.example").count() == 0
    with tenant_context(org_b):
        assert not ImportJob.objects.exists()


def test_the_command_never_leaves_a_job_running_when_the_write_breaks(
    org_a, org_b, tmp_path, monkeypatch
):
    make_member(org_a, "boss@acme.example", is_admin=True)
    path = tmp_path / "people.csv"
    path.write_text(GOOD)
    before = _counts(org_a)
    real = importer.record_change

    def fail_on_import(actor, action, *args, **kwargs):
        if action == "imported":  # after every person and team has been written
            raise RuntimeError("disk full")
        return real(actor, action, *args, **kwargs)

    monkeypatch.setattr(importer, "record_change", fail_on_import)
    err = io.StringIO()
    with pytest.raises(CommandError) as failed:
        call_command("import_people", str(path), "--org", org_a.slug, stderr=err)
    assert failed.value.returncode == 1
    assert "disk full" in err.getvalue()
    with tenant_context(org_a):
        assert list(ImportJob.objects.values_list("status", flat=True)) == ["failed"]
        assert "disk full" in ImportJob.objects.get().problems[0]["message"]
    assert _counts(org_a) == before


def test_the_command_exits_with_status_1_from_the_command_line(org_a, org_b, tmp_path, capsys):
    from django.core.management import execute_from_command_line

    path = tmp_path / "bad.csv"
    path.write_text("")
    with pytest.raises(SystemExit) as exited:
        execute_from_command_line(["manage.py", "import_people", str(path), "--org", org_a.slug])
    assert exited.value.code == 1
    assert "The file is empty" in capsys.readouterr().err


def test_the_command_refuses_an_unknown_organisation(org_a, org_b, tmp_path):
    path = tmp_path / "people.csv"
    path.write_text(GOOD)
    with pytest.raises(CommandError, match="No active organisation"):
        call_command("import_people", str(path), "--org", "nope")


def test_it_reads_spreadsheet_style_headers_and_semicolon_files(org_a, org_b):
    content = (
        "\ufeffE-mail;Name;Team;Manager email;Roles\n"
        "ana@acme.example;Ana Silva;Sales;;learner|sponsor\n"
        "ben@acme.example;Ben Okafor;Sales;ana@acme.example;learner\n"
    )
    plan = _plan(org_a, content)
    assert plan.problems == [] and plan.warnings == []
    ben = plan.parsed.rows[1]
    assert (ben.number, ben.email, ben.manager_email, ben.roles) == (
        3,
        "ben@acme.example",
        "ana@acme.example",
        ["learner"],
    )
    assert plan.parsed.rows[0].roles == ["learner", "sponsor"]
