"""Background people import for large files.

The job runs as a chain of short tasks. Each checks one batch of rows and commits its progress
(``processed_rows``) and the problems it found, so the page's progress bar moves; the last one
runs the whole-file checks (duplicates, managers, loops) and writes every change in a single
transaction. Each link is idempotent: a killed worker's task is redelivered (``acks_late``) and
simply redoes its batch, and the final write re-plans against the organisation, so running it
twice changes nothing the second time.
"""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from organizations.models import ImportJob, Invitation
from organizations.people import importer
from organizations.people.invitations import send_invitation_email
from organizations.people.services import apply_import_job
from organizations.tasking import TenantTask, enqueue_on_commit

# Rows checked per task. Checking is pure Python (no queries), about 10 ms per 500 rows; the
# batch is small enough that the progress bar moves every second on a 5,000-row file.
ROWS_PER_BATCH = 500


@shared_task(base=TenantTask, name="organizations.people.run_people_import")
def run_people_import(org_id: int, job_id: int, offset: int) -> str:
    job = ImportJob.objects.filter(pk=job_id).first()
    if job is None or job.status not in {ImportJob.Status.QUEUED, ImportJob.Status.RUNNING}:
        return "nothing to do"
    parsed = importer.parse_people_csv(job.content)
    rows = parsed.rows
    if offset < len(rows):
        batch = rows[offset : offset + ROWS_PER_BATCH]
        numbers = {row.number for row in batch}
        # Upsert this batch's problems: a redelivered task replaces, never duplicates, them.
        kept = [p for p in job.problems if p.get("row") not in numbers]
        found = importer.problems_as_json([p for row in batch for p in importer.check_row(row)])
        ImportJob.objects.filter(pk=job.pk).update(
            status=ImportJob.Status.RUNNING,
            total_rows=len(rows),
            processed_rows=min(offset + len(batch), len(rows)),
            problems=kept + found,
        )
        enqueue_on_commit(run_people_import, org_id, job_id, offset + ROWS_PER_BATCH)
        return "checked"
    row_problems = [
        importer.Problem(p["row"], p["column"], p["message"])
        for p in job.problems
        if p.get("row") is not None and p.get("row", 0) > 1
    ]
    plan = importer.plan_import(parsed, row_problems=row_problems)
    job.total_rows = len(rows)
    if plan.refused:
        job.status = ImportJob.Status.REFUSED
        job.problems = importer.problems_as_json(plan.problems)
        job.summary = plan.summary()
        job.processed_rows = len(rows)
        job.finished_at = timezone.now()
        job.save()
        return "refused"
    apply_import_job(job, job.created_by, plan=plan)
    return job.status


@shared_task(base=TenantTask, name="organizations.people.send_invitations")
def send_invitations(org_id: int, invitation_ids: list[int], base_url: str) -> int:
    """E-mail a batch of invitations; ones accepted or replaced meanwhile are skipped."""
    pending = set(
        Invitation.objects.filter(pk__in=invitation_ids, accepted_at__isnull=True).values_list(
            "pk", flat=True
        )
    )
    for invitation_id in invitation_ids:
        if invitation_id in pending:
            send_invitation_email(org_id, invitation_id, base_url)
    return len(pending)
