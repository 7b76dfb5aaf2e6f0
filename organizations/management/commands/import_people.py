"""Import people from a CSV file (nightly HRIS feeds): the same checks and all-or-nothing apply
as the upload page. Exits 1 and prints every problem when the file is refused."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from organizations.models import ImportJob, Organization
from organizations.people import importer
from organizations.people.services import apply_import_job
from organizations.tenancy import tenant_context


class Command(BaseCommand):
    help = "Import people from a CSV file into an organisation (all or nothing; idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="CSV file with a header row (email, name, …)")
        parser.add_argument("--org", required=True, help="the organisation's slug")
        parser.add_argument(
            "--dry-run", action="store_true", help="check and show the changes; write nothing"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        org = Organization.objects.filter(slug=options["org"], is_active=True).first()
        if org is None:
            raise CommandError(f"No active organisation with the slug “{options['org']}”.")
        path = Path(options["file"])
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror}.") from exc
        try:
            content = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            content = raw.decode("cp1252", errors="replace")

        job: ImportJob | None = None
        with tenant_context(org):
            plan = importer.build_plan(content)
            if plan.refused and not options["dry_run"]:
                self._record(org, path, content, plan, ImportJob.Status.REFUSED)
            elif not options["dry_run"]:
                job = self._record(org, path, content, plan, ImportJob.Status.RUNNING)
                # Applies in a savepoint: a failure rolls the people back but keeps the job,
                # marked failed with the reason, instead of leaving it "running".
                job = apply_import_job(job, None, plan=plan)
        for warning in plan.warnings:
            self.stderr.write(f"warning: {warning.as_text()}")
        if plan.refused:
            for problem in plan.problems:
                self.stderr.write(problem.as_text())
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
