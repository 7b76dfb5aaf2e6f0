"""The files the metric values importer is given: rows cut short or too long (CSV and XLSX),
separators and quoting, encodings, files that are not text and the size limit. Each is refused
whole with a message naming the row, and nothing is written."""

from __future__ import annotations

import codecs
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import Workbook

from measurement import impact, importer
from measurement.models import MetricImport, MetricValue
from organizations.models import Team
from organizations.tenancy import tenant_context


@pytest.fixture
def teams_a(org_a):
    with tenant_context(org_a):
        teams = [Team.objects.create(name=name) for name in ("Team 0", "Sales, North")]
        impact.do_define_metric(
            name="Engagement",
            unit="points",
            direction="up",
            level="team",
            min_value=Decimal(0),
            max_value=Decimal(10_000),
        )
    return teams


def _start(org, admin, filename, data):
    with tenant_context(org):
        job = importer.do_start_import(filename, data, admin)
        job.refresh_from_db()
        return job


def _values(org):
    with tenant_context(org):
        return sorted(
            (v.team.name, v.period.isoformat(), str(v.value.normalize()))
            for v in MetricValue.objects.select_related("team")
        )


def test_a_csv_row_cut_short_is_refused_by_row(org_a, org_b, admin_a, teams_a):
    data = (
        b"metric,team,period,value\n"
        b"Engagement,Team 0,2026-01,61\n"
        b"Engagement,Team 0,2026-02\n"  # row 3: the value cell is missing
    )
    job = _start(org_a, admin_a, "values.csv", data)
    assert job.status == MetricImport.Status.REFUSED
    assert job.problems == [
        {
            "row": 3,
            "column": "",
            "message": "The row has 3 cells but the header has 4 columns: a cell is missing "
            "(the row may be cut short), so its values cannot be matched to the columns.",
        }
    ]
    assert _values(org_a) == []


def test_a_csv_row_with_an_unquoted_thousands_separator_is_refused_not_cut(
    org_a, org_b, admin_a, teams_a
):
    """``1,234`` unquoted is two cells: the value would otherwise be read as 1."""
    data = b"metric,team,period,value\nEngagement,Team 0,2026-01,1,234\n"
    job = _start(org_a, admin_a, "values.csv", data)
    assert job.status == MetricImport.Status.REFUSED
    [problem] = job.problems
    assert problem["row"] == 2
    assert problem["message"].startswith("The row has 5 cells but the header has 4 columns")
    assert _values(org_a) == []


def _xlsx(rows: list[list[object]]) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_an_xlsx_value_in_a_column_without_a_header_is_refused_by_row(
    org_a, org_b, admin_a, teams_a
):
    data = _xlsx(
        [
            ["metric", "team", "period", "value"],
            ["Engagement", "Team 0", dt.date(2026, 1, 1), 61],
            [],
            ["Engagement", "Team 0", "2026-02", 1, 234],  # row 4: five values
        ]
    )
    job = _start(org_a, admin_a, "values.xlsx", data)
    assert job.status == MetricImport.Status.REFUSED
    assert job.problems == [
        {"row": 4, "column": "", "message": "The row has a value in column E, which has no header."}
    ]
    assert _values(org_a) == []


def test_an_xlsx_with_empty_trailing_cells_and_blank_rows_still_imports(
    org_a, org_b, admin_a, teams_a
):
    data = _xlsx(
        [
            ["metric", "team", "period", "value", None],
            ["Engagement", "Team 0", dt.date(2026, 1, 1), 61, None],
            [None, None, None, None],
            ["Engagement", "Sales, North", "2026-02", 7.5],
        ]
    )
    job = _start(org_a, admin_a, "values.xlsx", data)
    assert job.status == MetricImport.Status.DONE, job.problems
    assert _values(org_a) == [("Sales, North", "2026-02-01", "7.5"), ("Team 0", "2026-01-01", "61")]


@pytest.mark.parametrize(
    "data",
    [
        b'metric;team;period;value\nEngagement;"Sales, North";2026-01;"5"\n',
        b'metric,team,period,value\r\n"Engagement","Sales, North",2026-01,5\r\n',
        codecs.BOM_UTF16_LE
        + 'metric\tteam\tperiod\tvalue\r\nEngagement\t"Sales, North"\t2026-01\t5\r\n'.encode(
            "utf-16-le"
        ),
    ],
    ids=["semicolons", "rfc4180", "unicode-text"],
)
def test_it_reads_the_separators_quoting_and_encodings_excel_writes(
    org_a, org_b, admin_a, teams_a, data
):
    job = _start(org_a, admin_a, "values.csv", data)
    assert job.status == MetricImport.Status.DONE, job.problems
    assert _values(org_a) == [("Sales, North", "2026-01-01", "5")]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"metric,team,period,value\nEngagement,Team 0\x00,2026-01,5\n", "The file is not text"),
        (
            b"PK\x03\x04" + b"\x00" * 40,
            "This is a zip file or an Excel workbook (.xlsx), not a CSV file.",
        ),
        (
            b"metric,team,period,value\n" + b"x" * importer.MAX_FILE_BYTES,
            "The file is 10.1 MB; at most 10 MB is accepted. Split it into smaller files.",
        ),
    ],
    ids=["nul-bytes", "zip", "too-large"],
)
def test_it_refuses_what_it_cannot_read_with_a_message(
    org_a, org_b, admin_a, teams_a, data, message
):
    job = _start(org_a, admin_a, "values.csv", data)
    assert job.status == MetricImport.Status.REFUSED
    [problem] = job.problems
    assert problem["row"] is None and problem["message"].startswith(message)
    assert job.rows in ([], None) and _values(org_a) == []


def test_the_upload_page_shows_the_row_of_a_cut_short_row(org_a, org_b, admin_a, teams_a, login):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = login(admin_a)
    upload = SimpleUploadedFile(
        "values.csv", b"metric,team,period,value\nEngagement,Team 0,2026-01\n", "text/csv"
    )
    response = client.post(
        reverse("metric_import", args=[org_a.slug]), {"file": upload}, follow=True
    )
    html = response.content.decode()
    assert response.status_code == 200 and "nothing was imported" in html
    assert "The row has 3 cells but the header has 4 columns" in html
