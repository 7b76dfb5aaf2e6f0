"""The files the people importer is given: rows cut short or too long, standard and Excel
quoting, encodings (UTF-8, UTF-16 "Unicode Text", Windows-1252), files that are not text, the
size limits, and the ``import_people`` command's one-line failures (the database down included).
"""

from __future__ import annotations

import codecs
import io
import os
import socket
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command, execute_from_command_line

from organizations.management.commands import import_people
from organizations.models import ImportJob, Membership, Team
from organizations.people import importer, services
from organizations.people.forms import MAX_UPLOAD_BYTES
from organizations.tenancy import tenant_context
from tests.conftest import make_member

HEADER = "email,name,title,function,team,manager_email,roles"


@pytest.fixture
def ana(org_a):
    """An existing person with a title, function, team and manager: what a cut-short row
    would erase."""
    boss = make_member(org_a, "boss@acme.example", is_admin=True)
    with tenant_context(org_a):
        sales = Team.objects.create(name="Sales")
    ana = make_member(org_a, "ana@acme.example", team=sales, is_learner=True)
    with tenant_context(org_a):
        Membership.objects.filter(pk=ana.pk).update(
            job_title="Head of Sales", function="Commercial", manager=boss
        )
    return ana


def _ana_now(org):
    with tenant_context(org):
        m = Membership.objects.select_related("team", "manager__user", "user").get(
            user__email="ana@acme.example"
        )
        return (m.user.full_name, m.job_title, m.function, m.team.name, m.manager.user.email)


ANA_BEFORE = ("Ana", "Head of Sales", "Commercial", "Sales", "boss@acme.example")


def _plan(org, content):
    with tenant_context(org):
        return importer.build_plan(content)


@pytest.fixture
def run_command(monkeypatch):
    """``manage.py import_people`` as cron runs it: exit status and stderr lines. The command
    line closes every database connection when it ends; here that would close the test's own."""
    from django.core.management import base

    monkeypatch.setattr(base.connections, "close_all", lambda: None)
    return _run_command


def _run_command(path, org, *extra):
    err = io.StringIO()
    out = io.StringIO()
    old_err, old_out = sys.stderr, sys.stdout
    sys.stderr, sys.stdout = err, out
    try:
        with pytest.raises(SystemExit) as exited:
            execute_from_command_line(
                ["manage.py", "import_people", str(path), "--org", org.slug, *extra]
            )
    finally:
        sys.stderr, sys.stdout = old_err, old_out
    return exited.value.code, err.getvalue().splitlines()


# --- 1. Rows with fewer or more cells than the header -----------------------------------------


def test_a_row_cut_short_is_refused_by_row_and_erases_nothing(org_a, org_b, ana):
    content = (
        f"{HEADER}\n"
        "ben@acme.example,Ben,Engineer,Technology,Sales,boss@acme.example,learner\n"
        "ana@acme.example,Ana\n"  # row 3: cut short after the name
    )
    plan = _plan(org_a, content)
    assert [(p.row, p.column, p.message) for p in plan.problems] == [
        (
            3,
            None,
            "The row has 2 cells but the header has 7 columns: a cell is missing (the row may "
            "be cut short), so its values cannot be matched to the columns.",
        )
    ]
    with tenant_context(org_a):
        job, _plan2 = services.do_preview_import(ana.user, "people.csv", content)
        assert job.status == ImportJob.Status.REFUSED
        assert [p["row"] for p in job.problems] == [3]
    assert _ana_now(org_a) == ANA_BEFORE


def test_a_row_with_more_cells_than_the_header_is_refused_even_if_they_are_empty(org_a, org_b):
    content = (
        "email,name,title\n"
        "ana@acme.example,Ana,Head of Sales,\n"  # row 2: a trailing separator
        "ben@acme.example,Ben,Sales, North,\n"  # row 3: an unquoted comma
    )
    problems = [(p.row, p.message) for p in _plan(org_a, content).problems]
    assert [row for row, _message in problems] == [2, 3]
    assert problems[0][1].startswith("The row has 4 cells but the header has 3 columns")
    assert "must be quoted" in problems[0][1]
    assert problems[1][1].startswith("The row has 5 cells but the header has 3 columns")


def test_the_command_refuses_a_cut_short_row_and_keeps_the_person(
    org_a, org_b, ana, tmp_path, run_command
):
    path = tmp_path / "hris.csv"
    path.write_text(f"{HEADER}\nana@acme.example,Ana,Head of Sales\n")
    code, lines = run_command(path, org_a)
    assert code == 1
    assert lines == [
        "Row 2: The row has 3 cells but the header has 7 columns: a cell is missing (the row may "
        "be cut short), so its values cannot be matched to the columns.",
        "CommandError: Refused hris.csv: 1 problem(s); nothing was imported.",
    ]
    assert _ana_now(org_a) == ANA_BEFORE


def test_the_background_job_refuses_a_row_cut_short_after_the_preview(
    org_a, org_b, ana, django_capture_on_commit_callbacks
):
    """Large files are re-read by the background job: the same rule holds there."""
    lines = [HEADER] + [
        f"p{i:04d}@acme.example,Person {i},,,Sales,boss@acme.example,learner" for i in range(600)
    ]
    content = "\n".join(lines) + "\n"
    with tenant_context(org_a):
        job, plan = services.do_preview_import(ana.user, "hris.csv", content)
        assert not plan.refused and job.total_rows == 600
        ImportJob.objects.filter(pk=job.pk).update(
            content=content + "ana@acme.example,Ana,Head of Sales\n"
        )
        job.refresh_from_db()
        with django_capture_on_commit_callbacks(execute=True):
            services.do_confirm_import(ana.user, job)
        job.refresh_from_db()
        assert job.status == ImportJob.Status.REFUSED
        assert [p["row"] for p in job.problems] == [602]
        assert "has 3 cells but the header has 7 columns" in job.problems[0]["message"]
        assert Membership.objects.count() == 2
    assert _ana_now(org_a) == ANA_BEFORE


# --- 2. Standard (RFC 4180) and Excel quoting ---------------------------------------------------


def test_quoted_cells_may_hold_separators_doubled_quotes_and_line_breaks(org_a, org_b):
    content = (
        f"{HEADER}\r\n"
        'zed@acme.example,"Zed, Jr.","=HYPERLINK(""http://x"",""y"")",Ops,,,learner\r\n'
        'amy@acme.example,Amy,"Lead,\r\nPlatform",Ops,"Ops, North",,"learner,coach"\r\n'
        "bob@acme.example,Bob,5'10\" tall,Ops,,,learner\r\n"
    )
    plan = _plan(org_a, content)
    assert plan.problems == [] and plan.warnings == []
    zed, amy, bob = plan.parsed.rows
    assert (zed.number, zed.name, zed.title) == (2, "Zed, Jr.", '=HYPERLINK("http://x","y")')
    assert (amy.number, amy.title, amy.team, amy.roles) == (
        3,
        "Lead,\r\nPlatform",
        "Ops, North",
        ["learner", "coach"],
    )
    assert (bob.number, bob.title) == (4, "5'10\" tall")  # the next spreadsheet row


def test_a_semicolon_file_from_a_european_excel_keeps_quoted_commas_and_semicolons(org_a, org_b):
    content = (
        "E-mail;Name;Title;Team\n"
        'ana@acme.example;"Silva; Ana";"Head of Sales, EMEA";Sales\n'
        'ben@acme.example;Ben;"Say ""hi""";Sales\n'
    )
    plan = _plan(org_a, content)
    assert plan.problems == []
    ana, ben = plan.parsed.rows
    assert (ana.name, ana.title) == ("Silva; Ana", "Head of Sales, EMEA")
    assert ben.title == 'Say "hi"'


def test_excels_sep_line_names_the_separator_and_is_not_a_row(org_a, org_b):
    plan = _plan(org_a, "sep=;\r\nemail;name\r\nana@acme.example;Ana, Silva\r\n")
    assert plan.parsed.columns == ["email", "name"] and plan.problems == []
    [ana] = plan.parsed.rows
    assert (ana.number, ana.name) == (2, "Ana, Silva")


def test_a_quoted_header_cell_does_not_fool_the_separator(org_a, org_b):
    content = '"email","name","title; role"\nana@acme.example,Ana,"Lead; Sales"\n'
    plan = _plan(org_a, content)
    assert [(p.row, p.column) for p in plan.warnings] == [(1, "title; role")]
    assert plan.problems == [] and plan.parsed.rows[0].name == "Ana"


def test_broken_quoting_is_reported_on_its_row_with_the_other_problems(org_a, org_b):
    content = (
        "email,name,title\n"
        'ana@acme.example,"Ana" Silva,Lead\n'  # row 2: text after a closing quote
        "not-an-email,Ben,Lead\n"  # row 3: an ordinary per-row problem
        'cy@acme.example,Cy,"Lead\n'  # row 4: a quote never closed swallows the rest
        "dee@acme.example,Dee,Lead\n"
    )
    problems = [(p.row, p.column, p.message) for p in _plan(org_a, content).problems]
    assert [(row, column) for row, column, _m in problems] == [(2, None), (3, "email"), (4, None)]
    assert "must end with a quote followed by the separator (,)" in problems[0][2]
    assert "never closed" in problems[2][2]


def test_the_upload_page_previews_an_excel_csv_with_quotes(client, org_a, org_b, admin_a):
    client.force_login(admin_a.user)
    content = (
        f"\ufeff{HEADER}\r\n"
        'zed@acme.example,"Zed, Jr.","=HYPERLINK(""http://x"",""y"")",Ops,,,learner\r\n'
    ).encode()
    upload = SimpleUploadedFile("people.csv", content, content_type="text/csv")
    response = client.post(f"/o/{org_a.slug}/people/import/", {"file": upload}, follow=True)
    assert "Apply 1 change" in response.content.decode()
    with tenant_context(org_a):
        job = ImportJob.objects.get()
        assert job.status == ImportJob.Status.PREVIEW
        assert job.summary["new_people"] == [{"email": "zed@acme.example", "name": "Zed, Jr."}]


# --- 3. Encodings, files that are not text, sizes ---------------------------------------------


def _unicode_text(rows: list[list[str]], codec: str) -> bytes:
    """Excel's "Unicode Text": tab-separated UTF-16 with a byte-order mark."""
    bom = codecs.BOM_UTF16_LE if codec == "utf-16-le" else codecs.BOM_UTF16_BE
    return bom + "\r\n".join("\t".join(row) for row in rows).encode(codec) + "\r\n".encode(codec)


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("people.csv", f"{HEADER}\n")
    return buffer.getvalue()


UNICODE_ROWS = [
    ["email", "name", "title", "team"],
    ["zoe@acme.example", "Zoë Ørsted", '"Lead	Ops, ""EMEA"""', "Søndergård"],
]


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_the_upload_page_reads_excels_unicode_text(client, org_a, org_b, admin_a, codec):
    client.force_login(admin_a.user)
    upload = SimpleUploadedFile("people.txt", _unicode_text(UNICODE_ROWS, codec))
    response = client.post(f"/o/{org_a.slug}/people/import/", {"file": upload}, follow=True)
    assert response.status_code == 200
    assert "Apply 2 changes" in response.content.decode()  # Zoë and her team
    with tenant_context(org_a):
        job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.PREVIEW and "\x00" not in job.content
    [zoe] = importer.parse_people_csv(job.content).rows
    assert (zoe.email, zoe.name, zoe.title, zoe.team) == (
        "zoe@acme.example",
        "Zoë Ørsted",
        'Lead\tOps, "EMEA"',
        "Søndergård",
    )


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (_zip(), "This is a zip file or an Excel workbook (.xlsx), not a CSV file."),
        (
            "email,name\nana@acme.example,Ana\n".encode("utf-16-le"),  # no byte-order mark
            "The file is not text: line 1 holds a control character (U+0000)",
        ),
        (b"email,name\nana@acme.example,Ana\x00\x00\n", "line 2 holds a control character"),
        (codecs.BOM_UTF16_LE + b"e\x00m\x00\x00\xd8", "not valid UTF-16"),
    ],
    ids=["zip", "utf16-without-bom", "nul-in-utf8", "broken-utf16"],
)
def test_the_upload_page_refuses_what_is_not_text_with_a_message(
    client, org_a, org_b, admin_a, raw, message
):
    client.force_login(admin_a.user)
    upload = SimpleUploadedFile("people.csv", raw, content_type="text/csv")
    response = client.post(f"/o/{org_a.slug}/people/import/", {"file": upload})
    assert response.status_code == 200
    html = response.content.decode()
    assert message in html and "CSV UTF-8" in html
    with tenant_context(org_a):
        assert not ImportJob.objects.exists()


def test_the_upload_page_reads_windows_1252_as_excel_on_windows_writes_it(
    client, org_a, org_b, admin_a
):
    client.force_login(admin_a.user)
    content = "email,name,title\nana@acme.example,Ana Müller,Café lead – EMEA\n".encode("cp1252")
    upload = SimpleUploadedFile("people.csv", content, content_type="text/csv")
    client.post(f"/o/{org_a.slug}/people/import/", {"file": upload})
    with tenant_context(org_a):
        [row] = importer.parse_people_csv(ImportJob.objects.get().content).rows
    assert (row.name, row.title) == ("Ana Müller", "Café lead – EMEA")


def test_the_upload_page_refuses_a_file_over_5_mb_with_the_limit(client, org_a, org_b, admin_a):
    client.force_login(admin_a.user)
    content = f"{HEADER}\n".encode() + b"x" * MAX_UPLOAD_BYTES
    upload = SimpleUploadedFile("people.csv", content, content_type="text/csv")
    response = client.post(f"/o/{org_a.slug}/people/import/", {"file": upload})
    assert response.status_code == 200
    assert (
        "The file is 5.1 MB; at most 5 MB is accepted. Split it into smaller files."
        in response.content.decode()
    )
    with tenant_context(org_a):
        assert not ImportJob.objects.exists()


# --- 3. The command: one line for every expected failure, never a traceback -------------------


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_the_command_imports_excels_unicode_text(org_a, org_b, admin_a, tmp_path, codec):
    path = tmp_path / "people.txt"
    path.write_bytes(_unicode_text(UNICODE_ROWS, codec))
    out = io.StringIO()
    call_command("import_people", str(path), "--org", org_a.slug, stdout=out)
    assert "1 rows: 2 changed (1 new, 0 updated, 1 teams created" in out.getvalue()
    with tenant_context(org_a):
        zoe = Membership.objects.select_related("user", "team").get(user__email="zoe@acme.example")
        assert (zoe.user.full_name, zoe.job_title, zoe.team.name) == (
            "Zoë Ørsted",
            'Lead\tOps, "EMEA"',
            "Søndergård",
        )


def _sparse(path: Path, size: int) -> Path:
    with path.open("wb") as file:
        file.truncate(size)
    return path


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda tmp: tmp / "missing.csv", "Cannot read {path}: No such file or directory."),
        (lambda tmp: tmp, "Cannot read {path}: Is a directory."),
        (
            lambda tmp: _write(tmp / "people.zip", _zip()),
            "Refused people.zip: This is a zip file or an Excel workbook (.xlsx), not a CSV "
            "file. Save it from the spreadsheet as “CSV UTF-8” and try again. Nothing was "
            "imported.",
        ),
        (
            lambda tmp: _write(tmp / "people.csv", b"email,name\n\x00\x01\x02"),
            "Refused people.csv: The file is not text: line 2 holds a control character "
            "(U+0000), as binary files and UTF-16 text without a byte-order mark do. Save it "
            "from the spreadsheet as “CSV UTF-8” and try again. Nothing was imported.",
        ),
        (
            lambda tmp: _sparse(tmp / "huge.csv", import_people.MAX_FILE_BYTES + 1),
            "Refused huge.csv: The file is 10.1 MB; at most 10 MB is accepted. Split it into "
            "smaller files. Nothing was imported.",
        ),
        (
            lambda tmp: _write(tmp / "bad.csv", b"email,name\nana@acme.example\n"),
            "Refused bad.csv: 1 problem(s); nothing was imported.",
        ),
    ],
    ids=["missing", "directory", "zip", "binary", "too-large", "invalid-rows"],
)
def test_the_command_ends_every_expected_failure_with_one_line_and_status_1(
    org_a, org_b, tmp_path, make, expected, run_command
):
    path = make(tmp_path)
    code, lines = run_command(path, org_a)
    assert code == 1
    assert lines[-1] == f"CommandError: {expected.format(path=path)}"
    assert not any("Traceback" in line for line in lines)
    if "problem(s)" in expected:
        assert lines[:-1] == [
            "Row 2: The row has 1 cells but the header has 2 columns: a cell "
            "is missing (the row may be cut short), so its values cannot be "
            "matched to the columns."
        ]
    else:
        assert len(lines) == 1
    with tenant_context(org_a):
        assert ImportJob.objects.count() == (1 if "problem(s)" in expected else 0)


def _write(path: Path, raw: bytes) -> Path:
    path.write_bytes(raw)
    return path


def test_the_command_states_its_size_limit_in_its_help(capsys):
    with pytest.raises(SystemExit):
        execute_from_command_line(["manage.py", "import_people", "--help"])
    assert "files up to 10 MB" in " ".join(capsys.readouterr().out.split())


def test_the_command_prints_at_most_a_hundred_problems_and_points_at_the_job(
    org_a, org_b, tmp_path, run_command
):
    path = tmp_path / "bad.csv"
    path.write_text("email,name\n" + "".join(f"nope{i},N\n" for i in range(150)))
    code, lines = run_command(path, org_a)
    assert code == 1 and len(lines) == 102
    with tenant_context(org_a):
        job = ImportJob.objects.get()
        assert len(job.problems) == 150
    assert lines[-2] == f"… and 50 more problem(s) (all are on import job {job.pk})."


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # nothing listens once the socket is closed


def test_the_command_says_in_one_line_when_the_database_is_down(tmp_path):
    path = tmp_path / "people.csv"
    path.write_text(f"{HEADER}\nana@acme.example,Ana,,,,,learner\n")
    env = {**os.environ, "DJANGO_DEBUG": "1"}
    env["DATABASE_URL"] = f"postgres://pathwise@127.0.0.1:{_closed_port()}/pathwise"
    result = subprocess.run(
        [sys.executable, "manage.py", "import_people", str(path), "--org", "acme"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1, result.stderr
    [line] = result.stderr.splitlines()
    assert line.startswith("CommandError: The database cannot be reached (connection failed:")
    assert line.endswith("Connection refused); nothing was imported.")
    assert result.stdout == ""
