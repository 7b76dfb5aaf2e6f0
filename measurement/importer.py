"""Import of metric values from CSV or XLSX: every row checked first, then all written in one
transaction, or nothing with a message per row.

Columns (header row, any order, case-insensitive): ``metric``, ``team``, ``period``
(``YYYY-MM`` or a date in the month), ``value``. Re-importing a file is idempotent: a value is
keyed by metric, team and month and replaced, never duplicated.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from measurement.impact import (
    ImpactError,
    ValueRow,
    check_metric_value,
    queue_rollups_for_team,
    upsert_metric_values,
)
from measurement.models import Metric, MetricImport
from organizations import tabular
from organizations.models import Membership, Team
from organizations.tenancy import current_org

logger = logging.getLogger(__name__)

COLUMNS = ("metric", "team", "period", "value")
# Files with more rows than this are checked in background batches with a progress bar.
INLINE_ROWS = 500
# Rows checked per background task: two queries (metrics, teams) and ~5 ms of Python per 500.
ROWS_PER_BATCH = 500
MAX_ROWS = 100_000


# Bytes read from one upload. 100,000 rows of a metric, team, month and value are about 5 MB of
# CSV and less as XLSX.
MAX_FILE_BYTES = 10 * 1024 * 1024


class ImportRefused(ValueError):
    """The file is refused before any row is checked: ``problems`` names the rows, when the
    reason is a row (cells that do not match the header), else it is the message alone."""

    def __init__(self, message: str, problems: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or [{"row": None, "column": "", "message": message}]


def read_rows(filename: str, data: bytes) -> list[list[str]]:
    """The file's data rows as ``[metric, team, period, value]`` strings (header mapped).

    Decoding, CSV quoting and the row width rules are ``organizations.tabular``'s: a row with
    fewer or more cells than the header is refused with its row number, never padded."""
    too_big = tabular.size_problem(len(data), MAX_FILE_BYTES)
    if too_big:
        raise ImportRefused(too_big)
    try:
        if filename.lower().endswith(".xlsx"):
            table = tabular.read_xlsx(data)
        elif filename.lower().endswith(".csv"):
            table = tabular.read_csv(tabular.decode_text(data))
        else:
            raise ImportRefused("Upload a .csv or .xlsx file.")
    except tabular.FileRefused as refused:
        raise ImportRefused(refused.message) from None
    header = [cell.strip().lower() for cell in table.header]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise ImportRefused(
            "The header row needs the columns metric, team, period and value; missing: "
            + ", ".join(missing)
            + "."
        )
    index = [header.index(c) for c in COLUMNS]
    rows: list[list[str]] = []
    problems: list[dict[str, Any]] = []
    for row in table.rows:
        if row.problem:
            problems.append({"row": row.number, "column": "", "message": row.problem})
            continue
        rows.append([row.cells[i].strip() for i in index])
        if len(rows) > MAX_ROWS:
            raise ImportRefused(f"At most {MAX_ROWS:,} rows per file.")
    if problems:
        raise ImportRefused(
            f"{len(problems)} row(s) cannot be matched to the header.", problems=problems
        )
    return rows


def parse_period(text: str) -> dt.date:
    for fmt in ("%Y-%m", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(text.strip(), fmt).date().replace(day=1)
        except ValueError:
            continue
    raise ImpactError("period", f"“{text}” is not a month: write YYYY-MM, e.g. 2026-03.")


@dataclass(frozen=True)
class Checked:
    rows: list[ValueRow]
    problems: list[dict[str, Any]]


def check_rows(rows: list[list[str]], first_number: int = 2) -> Checked:
    """Check rows (2 queries): metric and team known, a month, a value in the metric's unit and
    range. Row numbers are the spreadsheet's (the header is row 1)."""
    metrics = {m.name.lower(): m for m in Metric.objects.all()}
    teams = {name.lower(): pk for pk, name in Team.objects.values_list("pk", "name")}
    checked: list[ValueRow] = []
    problems: list[dict[str, Any]] = []
    for offset, (metric_name, team_name, period_text, value_text) in enumerate(rows):
        number = first_number + offset
        metric = metrics.get(metric_name.lower())
        team_id = teams.get(team_name.lower())
        if metric is None:
            problems.append(
                {"row": number, "column": "metric", "message": f"No metric named “{metric_name}”."}
            )
        if team_id is None:
            problems.append(
                {"row": number, "column": "team", "message": f"No team named “{team_name}”."}
            )
        try:
            period = parse_period(period_text)
        except ImpactError as error:
            problems.append({"row": number, "column": "period", "message": error.message})
            continue
        if metric is None or team_id is None:
            continue
        try:
            value = check_metric_value(metric, value_text)
        except ImpactError as error:
            problems.append({"row": number, "column": "value", "message": error.message})
            continue
        checked.append(ValueRow(metric.pk, team_id, period, value))
    return Checked(checked, problems)


def duplicate_problems(rows: list[list[str]]) -> list[dict[str, Any]]:
    """A metric, team and month twice in one file: which value is meant is unclear."""
    seen: dict[tuple[str, str, str], int] = {}
    problems = []
    for offset, (metric, team, period, _value) in enumerate(rows):
        try:
            month = parse_period(period).isoformat()
        except ImpactError:
            continue
        key = (metric.lower(), team.lower(), month)
        if key in seen:
            problems.append(
                {
                    "row": offset + 2,
                    "column": "period",
                    "message": f"{metric}, {team}, {month[:7]} is already on row {seen[key]}.",
                }
            )
        else:
            seen[key] = offset + 2
    return problems


def do_start_import(filename: str, data: bytes, by: Membership | None) -> MetricImport:
    """Read the file and either finish it now (small files) or queue the checking batches.
    A file that cannot be read is refused at once with the reason."""
    from measurement.tasks import record_import_batch

    org = current_org()
    assert org is not None
    org_id = org.pk
    try:
        rows = read_rows(filename, data)
    except ImportRefused as error:
        return MetricImport.objects.create(
            organization_id=org_id,
            created_by=by,
            filename=filename[:255],
            status=MetricImport.Status.REFUSED,
            problems=error.problems,
            finished_at=timezone.now(),
        )
    with transaction.atomic():
        job = MetricImport.objects.create(
            organization_id=org_id,
            created_by=by,
            filename=filename[:255],
            rows=rows,
            total_rows=len(rows),
        )
        if len(rows) > INLINE_ROWS:
            # The first batch's outbox row commits with the job: a broker outage delays the
            # import, and the job never waits for a task that was not queued.
            record_import_batch(job.pk, 0)
            return job
    run_import_batch(job, 0, len(rows))
    finish_import(job)
    return job


def run_import_batch(job: MetricImport, offset: int, size: int = ROWS_PER_BATCH) -> None:
    """Check one batch and record its problems and the progress (idempotent: a repeated batch
    replaces its own problems)."""
    batch = job.rows[offset : offset + size]
    numbers = set(range(offset + 2, offset + 2 + len(batch)))
    found = check_rows(batch, first_number=offset + 2).problems
    kept = [p for p in job.problems if p.get("row") not in numbers]
    job.problems = kept + found
    job.processed_rows = min(offset + len(batch), job.total_rows)
    job.status = MetricImport.Status.RUNNING
    job.progress_at = timezone.now()
    MetricImport.objects.filter(pk=job.pk).update(
        problems=job.problems,
        processed_rows=job.processed_rows,
        status=job.status,
        progress_at=job.progress_at,
    )


def finish_import(job: MetricImport) -> MetricImport:
    """After every batch: refuse with all problems, or write every value in one transaction."""
    problems = job.problems + duplicate_problems(job.rows)
    with transaction.atomic():
        if problems:
            job.status = MetricImport.Status.REFUSED
            job.problems = sorted(problems, key=lambda p: (p.get("row") or 0, p["column"]))
        else:
            checked = check_rows(job.rows)
            created, updated = upsert_metric_values(checked.rows, "import", job.created_by)
            job.created_values, job.updated_values = created, updated
            job.status = MetricImport.Status.DONE
            for team_id in sorted({r.team_id for r in checked.rows}):
                queue_rollups_for_team(team_id)
        job.processed_rows = job.total_rows
        job.finished_at = timezone.now()
        job.save()
    return job


PENDING = (MetricImport.Status.QUEUED, MetricImport.Status.RUNNING)


def fail_stalled_imports() -> int:
    """Mark the organisation's metric imports that made no progress for
    ``organizations.outbox.delivery.ABANDONED_AFTER`` failed and abandon their pending batches
    (one statement when none is); returns how many. Run by the outbox sweep. Nothing was
    written (values are written only by the last batch, all at once), so the admin uploads the
    file again."""
    from organizations.outbox.delivery import fail_stalled

    message = (
        "The import stopped: it made no progress for a day and nothing was imported. "
        "Upload the file again to start afresh."
    )
    failed = fail_stalled(
        MetricImport.objects.filter(status__in=PENDING),
        "metric-import",
        {"row": None, "column": "", "message": message},
        failed_status=MetricImport.Status.FAILED,
    )
    return len(failed)
