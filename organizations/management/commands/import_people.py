"""Import people from a CSV file (nightly HRIS feeds): the same checks and all-or-nothing apply
as the upload page. Exits 1 and prints every problem when the file is refused.

Every expected failure (no such file, unreadable, not text, too large, rows refused, the
database unreachable) ends with one line on stderr and exit status 1, never a traceback."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import InterfaceError, OperationalError

from organizations import tabular
from organizations.models import ImportJob, Organization
from organizations.people import importer
from organizations.people.services import apply_import_job
from organizations.tenancy import tenant_context

# The largest file the command reads. The whole file is checked and planned in memory before
# anything is written (all or nothing), and the memory grows with it: applying a file of new
# people peaked at 650 MB for 5 MB (62,700 rows), 1.1 GB for 10 MB (123,800 rows) and 1.9 GB for
# 20 MB. 10 MB is about 120,000 people; split larger feeds.
MAX_FILE_BYTES = 10 * 1024 * 1024
# Problems printed when a file is refused; every one of them is kept on the refused import job.
MAX_PRINTED_PROBLEMS = 100


class Command(BaseCommand):
    help = (
        "Import people from a CSV file into an organisation (all or nothing; idempotent). "
        "Reads CSV separated by commas, semicolons or tabs with standard quoting, in UTF-8 "
        "(with or without BOM), UTF-16 with BOM (Excel's Unicode Text) or Windows-1252; "
        f"files up to {MAX_FILE_BYTES // (1024 * 1024)} MB."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "file",
            help=(
                "CSV file with a header row (email, name, …), at most "
                f"{MAX_FILE_BYTES // (1024 * 1024)} MB"
            ),
        )
        parser.add_argument("--org", required=True, help="the organisation's slug")
        parser.add_argument(
            "--dry-run", action="store_true", help="check and show the changes; write nothing"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        content = self._read(path)
        try:
            self._import(path, content, options)
        except (OperationalError, InterfaceError) as exc:
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise CommandError(
                f"The database cannot be reached ({reason}); nothing was imported."
            ) from exc

    @staticmethod
    def _read(path: Path) -> str:
        """The file's text, or ``CommandError`` with one line saying why not. Reads at most the
        limit (and one byte more), so a pipe or a device cannot exhaust the memory."""
        try:
            with path.open("rb") as file:
                problem = tabular.size_problem(os.fstat(file.fileno()).st_size, MAX_FILE_BYTES)
                raw = b"" if problem else file.read(MAX_FILE_BYTES + 1)
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror or exc}.") from exc
        problem = problem or tabular.size_problem(len(raw), MAX_FILE_BYTES)
        if problem:
            raise CommandError(f"Refused {path.name}: {problem} Nothing was imported.")
        try:
            return tabular.decode_text(raw)
        except tabular.FileRefused as refused:
            raise CommandError(
                f"Refused {path.name}: {refused.message} Nothing was imported."
            ) from None

    def _import(self, path: Path, content: str, options: dict[str, Any]) -> None:
        org = Organization.objects.filter(slug=options["org"], is_active=True).first()
        if org is None:
            raise CommandError(f"No active organisation with the slug “{options['org']}”.")
        job: ImportJob | None = None
        with tenant_context(org):
            plan = importer.build_plan(content)
            if plan.refused and not options["dry_run"]:
                job = self._record(org, path, content, plan, ImportJob.Status.REFUSED)
            elif not options["dry_run"]:
                job = self._record(org, path, content, plan, ImportJob.Status.RUNNING)
                # Applies in a savepoint: a failure rolls the people back but keeps the job,
                # marked failed with the reason, instead of leaving it "running".
                job = apply_import_job(job, None, plan=plan)
        for warning in plan.warnings:
            self.stderr.write(f"warning: {warning.as_text()}")
        if plan.refused:
            for problem in plan.problems[:MAX_PRINTED_PROBLEMS]:
                self.stderr.write(problem.as_text())
            hidden = len(plan.problems) - MAX_PRINTED_PROBLEMS
            if hidden > 0:
                where = f" (all are on import job {job.pk})" if job is not None else ""
                self.stderr.write(f"… and {hidden} more problem(s){where}.")
            raise CommandError(
                f"Refused {path.name}: {len(plan.problems)} problem(s); nothing was imported.",
                returncode=1,
            )
        if job is not None and job.status != ImportJob.Status.DONE:
            for problem in job.problems:
                self.stderr.write(str(problem["message"]))
            raise CommandError(
                f"Import of {path.name} failed (job {job.pk}); nothing was imported.",
                returncode=1,
            )
        self.stdout.write(self._summary(plan, dry_run=options["dry_run"]))

    def _record(
        self, org: Organization, path: Path, content: str, plan: importer.ImportPlan, status: str
    ) -> ImportJob:
        return ImportJob.objects.create(
            filename=path.name[:255],
            content=content,
            content_sha256=hashlib.sha256(content.encode()).hexdigest(),
            status=status,
            total_rows=len(plan.parsed.rows),
            processed_rows=len(plan.parsed.rows),
            problems=importer.problems_as_json(plan.problems),
            summary=plan.summary(),
        )

    @staticmethod
    def _summary(plan: importer.ImportPlan, *, dry_run: bool) -> str:
        verb = "would change" if dry_run else "changed"
        lines = [
            f"{len(plan.parsed.rows)} rows: {plan.change_count} {verb} "
            f"({len(plan.new_people)} new, {len(plan.updated_people)} updated, "
            f"{len(plan.teams_to_create)} teams created, {plan.unchanged} unchanged)."
        ]
        if plan.change_count == 0:
            lines.append("0 changes: the organisation already matches this file.")
        for person in plan.updated_people:
            changed = ", ".join(
                f"{k}: {b or '—'} → {a or '—'}" for k, (b, a) in person.changes.items()
            )
            lines.append(f"  updated {person.email}: {changed}")
        return "\n".join(lines)
