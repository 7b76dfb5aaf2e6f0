"""Background people import for large files, and invitation e-mails in batches.

A large import runs as a chain of outbox follow-ups (``organizations.outbox``), one per batch
of rows. Each batch commits its problems, its progress (``processed_rows``, so the page's
progress bar moves), the next batch's outbox row and its own row's "done" mark in one
transaction: a broker outage or a killed worker delays the import and loses nothing, and the
outbox sweep carries it on. The last link runs the whole-file checks (duplicates, managers,
loops) and writes every change in a single transaction.

Each link is idempotent: the next batch's row has a dedupe key per job, run and offset, and a
batch that finds the job gone, finished or already past its offset does nothing, so a
redelivered batch imports nothing twice. The final write re-plans against the organisation.
"""

from __future__ import annotations

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from organizations.models import ImportJob, Invitation, Organization
from organizations.outbox.delivery import record_followup
from organizations.people import importer
from organizations.people.invitations import send_invitation_email
from organizations.people.services import apply_import_job
from organizations.tasking import TenantTask
from organizations.tenancy import current_org

# Rows checked per link. Checking is pure Python (no queries), about 10 ms per 500 rows; the
# batch is small enough that the progress bar moves every second on a 5,000-row file.
ROWS_PER_BATCH = 500

IMPORT_BATCH_HANDLER = "organizations.people.tasks.deliver_import_batch"
INVITATIONS_HANDLER = "organizations.people.tasks.deliver_invitations"
RUNNING = {ImportJob.Status.QUEUED, ImportJob.Status.RUNNING}


def import_batch_key(job_id: int, run: int, offset: int) -> str:
    """The dedupe key of one link. ``run`` counts the job's starts (a failed job can be
    confirmed again, which starts over from row 0 under a new run)."""
    return f"people-import:{job_id}:{run}:{offset}"


def record_import_batch(job_id: int, offset: int, run: int) -> None:
    """Record the link that checks rows from ``offset`` (or, past the last row, writes the
    import), in the caller's transaction. Must run inside the job's ``tenant_context``."""
    record_followup(
        IMPORT_BATCH_HANDLER, job_id, offset, run, dedupe_key=import_batch_key(job_id, run, offset)
    )


def deliver_import_batch(org: Organization, job_id: int, offset: int, run: int = 0) -> str:
    """The outbox handler: one link of the chain. Runs in the delivery's transaction, so the
    batch, its progress, the next link's row and this row's "done" mark commit together."""
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.status not in RUNNING:
            return "nothing to do"
        parsed = importer.parse_people_csv(job.content)
        rows = parsed.rows
        if offset < len(rows):
            if job.processed_rows > offset:  # this batch was checked already (redelivered)
                return "already checked"
            batch = rows[offset : offset + ROWS_PER_BATCH]
            numbers = {row.number for row in batch}
            # Upsert this batch's problems: a batch checked again replaces, never duplicates,
            # them.
            kept = [p for p in job.problems if p.get("row") not in numbers]
            found = importer.problems_as_json([p for row in batch for p in importer.check_row(row)])
            ImportJob.objects.filter(pk=job.pk).update(
                status=ImportJob.Status.RUNNING,
                total_rows=len(rows),
                processed_rows=min(offset + len(batch), len(rows)),
                problems=kept + found,
                progress_at=timezone.now(),
            )
            record_import_batch(job_id, offset + ROWS_PER_BATCH, run)
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
        return str(job.status)


@shared_task(base=TenantTask, name="organizations.people.run_people_import")
def run_people_import(org_id: int, job_id: int, offset: int) -> str:
    """A link queued before imports moved to the outbox, still in a broker: run it as the
    outbox would (its next link goes to the outbox)."""
    org = current_org()
    assert org is not None and org.pk == org_id
    return deliver_import_batch(org, job_id, offset)


def deliver_invitations(org: Organization, invitation_ids: list[int], base_url: str) -> int:
    """The outbox handler: e-mail a batch of invitations; ones accepted meanwhile are
    skipped. A batch that fails part-way is delivered again and re-sends at most its own."""
    pending = set(
        Invitation.objects.filter(pk__in=invitation_ids, accepted_at__isnull=True).values_list(
            "pk", flat=True
        )
    )
    for invitation_id in invitation_ids:
        if invitation_id in pending:
            send_invitation_email(org.pk, invitation_id, base_url)
    return len(pending)


@shared_task(base=TenantTask, name="organizations.people.send_invitations")
def send_invitations(org_id: int, invitation_ids: list[int], base_url: str) -> int:
    """A batch queued before invitations moved to the outbox, still in a broker."""
    org = current_org()
    assert org is not None and org.pk == org_id
    return deliver_invitations(org, invitation_ids, base_url)
