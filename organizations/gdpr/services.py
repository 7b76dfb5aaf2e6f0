"""Export everything about a person (a zip of JSON and CSV) and erase a person from an
organisation, through every app's ``privacy`` hooks (see ``organizations.gdpr``)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import json
import logging
import uuid
import zipfile
from typing import Any

from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.db import InterfaceError, OperationalError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from organizations.gdpr import hooks, json_safe, rows
from organizations.models import (
    DataExport,
    ErasureReceipt,
    Membership,
    Organization,
    SecurityEvent,
    User,
    UserSession,
)
from organizations.outbox.delivery import ABANDONED_AFTER, record_followup
from organizations.tenancy import tenant_context, user_context

logger = logging.getLogger(__name__)

ERASED_LABEL = "(erased)"
# An export's parts after the account: [membership id, app label] each, fixed by part 0.
ExportPlan = list[list[Any]]
PENDING = {DataExport.Status.QUEUED, DataExport.Status.RUNNING}
# A request still pending ``ABANDONED_AFTER`` (the outbox's) after it was made is abandoned, so
# a new request replaces it instead of pointing the person at an export that will never finish.


# --- Export ------------------------------------------------------------------------------------


# The outbox handler that writes one part of an export (see ``deliver_export_part``).
EXPORT_PART_HANDLER = "organizations.gdpr.services.deliver_export_part"


def do_request_export(user: User) -> DataExport:
    """Record the request and, in the same transaction, the outbox follow-up that builds it.

    A request while one is still being built returns that one, unless that one was abandoned
    (pending for ``ABANDONED_AFTER``): it is marked failed and a new one starts. The follow-up sits in the outbox
    of the person's first active organisation (by slug): a broker outage or a killed worker
    delays the export and loses nothing. A person in no active organisation has no outbox to
    wait for and little to gather, so theirs is built at once, in this transaction.
    """
    with transaction.atomic():
        running = DataExport.objects.filter(
            user=user, status__in=[DataExport.Status.QUEUED, DataExport.Status.RUNNING]
        ).first()
        if running is not None:
            if running.created_at > timezone.now() - ABANDONED_AFTER:
                return running
            DataExport.objects.filter(pk=running.pk).update(
                status=DataExport.Status.FAILED, finished_at=timezone.now()
            )
        export = DataExport.objects.create(user=user)
        home = next(
            (m.organization for m in _memberships(user.pk) if m.organization.is_active), None
        )
        if home is None:
            _build_export_at_once(export.pk)
        else:
            with tenant_context(home):
                _record_export_part(export.pk, 0, None)
    return export


def _record_export_part(export_id: int, part: int, plan: ExportPlan | None) -> None:
    record_followup(
        EXPORT_PART_HANDLER, export_id, part, plan, dedupe_key=f"data-export:{export_id}:{part}"
    )


def _memberships(user_id: int) -> list[Membership]:
    with user_context(user_id):
        return list(
            Membership.objects.unscoped()
            .filter(user_id=user_id)
            .select_related("organization")
            .order_by("organization__slug")
        )


def _account_tables(user: User) -> dict[str, list[dict[str, Any]]]:
    from allauth.mfa.models import Authenticator
    from allauth.socialaccount.models import SocialAccount

    return {
        "account": [
            {
                "email": user.email,
                "full_name": user.full_name,
                "time_zone": user.time_zone,
                "email_reminders": user.email_reminders,
                "date_joined": json_safe(user.date_joined),
                "last_login": json_safe(user.last_login),
            }
        ],
        "security_events": rows(
            SecurityEvent.objects.filter(user=user),
            ["created_at", "kind", "ip_address", "user_agent", "organization_id"],
        ),
        "sessions": rows(
            UserSession.objects.filter(user=user),
            ["created_at", "last_seen_at", "ip_address", "user_agent"],
        ),
        # Which second factors exist, never their secrets.
        "two_step_sign_in": rows(
            Authenticator.objects.filter(user=user), ["type", "created_at", "last_used_at"]
        ),
        "single_sign_on_links": rows(
            SocialAccount.objects.filter(user=user), ["provider", "uid", "date_joined"]
        ),
    }


def _write_table(archive: zipfile.ZipFile, path: str, table: list[dict[str, Any]]) -> None:
    archive.writestr(f"{path}.json", json.dumps(table, indent=2, default=str))
    out = io.StringIO()
    columns = sorted({key for row in table for key in row})
    writer = csv.DictWriter(out, fieldnames=columns)
    writer.writeheader()
    for row in table:
        writer.writerow(
            {k: json.dumps(v) if isinstance(v, dict | list) else v for k, v in row.items()}
        )
    archive.writestr(f"{path}.csv", out.getvalue())


def deliver_export_part(
    org: Organization, export_id: int, part: int, plan: ExportPlan | None = None
) -> None:
    """The outbox handler: write part ``part`` of the export and record the next part.

    Part 0 writes the account and fixes the plan, one part per (membership, app) as they are
    now; each later part adds one app's tables in one organisation. A part commits its tables,
    the progress the page shows and the follow-up of the next part together; the last part
    marks the export ready. Safe to run twice: a part already written, or an export gone,
    finished or failed, is skipped. A part that raises fails the export (the person asks
    again), except a database hiccup, which is raised for the outbox to retry.
    """
    with transaction.atomic():
        export = (
            DataExport.objects.select_for_update()
            .select_related("user")
            .filter(pk=export_id)
            .first()
        )
        if export is None or export.status not in PENDING or export.parts_done != part:
            return
        try:
            with transaction.atomic():
                plan, finished = _write_export_part(export, part, plan)
        except (OperationalError, InterfaceError):
            raise
        except Exception:
            logger.exception("data export %s failed in part %s", export_id, part)
            DataExport.objects.filter(pk=export_id).update(status=DataExport.Status.FAILED)
            return
        if not finished:
            _record_export_part(export_id, part + 1, plan)


def _build_export_at_once(export_id: int) -> None:
    """Write every part of the export now, in the caller's transaction."""
    plan: ExportPlan | None = None
    for part in itertools.count():
        export = DataExport.objects.select_related("user").get(pk=export_id)
        plan, finished = _write_export_part(export, part, plan)
        if finished:
            return


def _write_export_part(
    export: DataExport, part: int, plan: ExportPlan | None
) -> tuple[ExportPlan, bool]:
    """Add part ``part`` to the export's zip and count it; returns the plan and whether the
    export is now complete."""
    buffer = io.BytesIO()
    if part == 0:
        plan = [
            [membership.pk, app_label]
            for membership in _memberships(export.user_id)
            for app_label, _export_person in hooks("export_person")
        ]
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(
                "README.txt",
                "Everything Pathwise holds about you, made on "
                f"{timezone.now():%Y-%m-%d %H:%M} UTC. Each table is in JSON and in CSV.\n",
            )
            for name, table in _account_tables(export.user).items():
                _write_table(archive, f"account/{name}", table)
    else:
        assert plan is not None
        membership_id, app_label = plan[part - 1]
        with user_context(export.user_id):
            membership = (
                Membership.objects.unscoped()
                .filter(pk=membership_id, user_id=export.user_id)
                .select_related("organization")
                .first()
            )
        export_person = dict(hooks("export_person")).get(app_label)
        buffer.write(bytes(export.content or b""))
        with zipfile.ZipFile(buffer, "a", zipfile.ZIP_DEFLATED) as archive:
            # A membership erased or an app removed since the plan was made has nothing left.
            if membership is not None and export_person is not None:
                org = membership.organization
                with tenant_context(org):
                    tables = export_person(membership)
                for name, table in tables.items():
                    _write_table(archive, f"{org.slug}/{app_label}/{name}", table)
    done, total = part + 1, 1 + len(plan)
    finished = done == total
    DataExport.objects.filter(pk=export.pk).update(
        content=buffer.getvalue(),
        parts_done=done,
        parts_total=total,
        status=DataExport.Status.DONE if finished else DataExport.Status.RUNNING,
        finished_at=timezone.now() if finished else None,
    )
    return plan, finished


# --- Erasure ----------------------------------------------------------------------------------


def check_can_erase(actor: User | None, membership: Membership, confirmation: str) -> None:
    from organizations.people.services import check_not_last_admin

    if confirmation.strip().lower() != membership.user.email.lower():
        raise ValidationError(_("Type the person's e-mail address exactly to confirm."))
    if actor is not None and actor.pk == membership.user_id:
        raise ValidationError(_("You cannot erase yourself. Ask another HR admin."))
    if membership.is_admin:
        check_not_last_admin(membership)


def do_erase_person(
    actor: User | None, membership: Membership, confirmation: str
) -> ErasureReceipt:
    """Erase the person from the organisation in context, in one transaction.

    Their private text and personal details go; the facts others' figures count (enrolments,
    completions, reviews, roll-ups) stay with the same membership, now tied to an anonymous
    placeholder account, so no dashboard changes. An account that belongs to no other
    organisation is emptied too (address, name, password, sessions, events, second factors).
    """
    from organizations.audit import record_change

    with transaction.atomic():
        membership = (
            Membership.objects.select_for_update().select_related("user").get(pk=membership.pk)
        )
        check_can_erase(actor, membership, confirmation)
        person = membership.user
        org = Organization.objects.get(pk=membership.organization_id)
        token = uuid.uuid4().hex[:12]
        anonymous = User.objects.create(
            email=f"erased-{token}@erased.invalid",
            full_name=_("Erased person"),
            password=make_password(None),
            is_active=False,
            email_reminders=False,
        )
        placeholder = {
            "label": ERASED_LABEL,
            "email": anonymous.email,
            "email_before": person.email,
            "user_id": person.pk,
            "secrets": [person.email, person.full_name, membership.job_title, membership.function],
        }
        items: dict[str, int] = {}
        for _label, erase_person in hooks("erase_person"):
            items.update(erase_person(membership, placeholder))
        Membership.objects.filter(pk=membership.pk).update(user=anonymous)
        items["security events in this organisation"] = SecurityEvent.objects.filter(
            user=person, organization=org
        ).delete()[0]
        elsewhere = [m for m in _memberships(person.pk) if m.organization_id != org.pk]
        account_emptied = not elsewhere
        if account_emptied:
            items.update(_empty_account(person, token))
        receipt = ErasureReceipt.objects.create(
            membership=membership,
            erased_by=actor if actor is not None and actor.is_authenticated else None,
            account_deleted=account_emptied,
            items=items,
        )
        record_change(
            actor,
            "erased",
            object_type="Person",
            object_id=membership.pk,
            object_repr=_("Erased person #%(id)s") % {"id": membership.pk},
            after={"receipt": receipt.pk, **items},
        )
    return receipt


def _empty_account(person: User, token: str) -> dict[str, int]:
    """The account belongs nowhere else: nothing about the person may stay in it."""
    from allauth.mfa.models import Authenticator
    from allauth.socialaccount.models import SocialAccount

    from organizations.accounts.services import _session_store

    store = _session_store()
    for key in UserSession.objects.filter(user=person).values_list("session_key", flat=True):
        store(session_key=key).delete()
    items = {
        "sessions ended": UserSession.objects.filter(user=person).delete()[0],
        "account security events": SecurityEvent.objects.filter(user=person).delete()[0],
        "two-step sign-in removed": Authenticator.objects.filter(user=person).delete()[0],
        "single sign-on links removed": SocialAccount.objects.filter(user=person).delete()[0],
        "data exports deleted": DataExport.objects.filter(user=person).delete()[0],
    }
    SecurityEvent.objects.filter(email__iexact=person.email).delete()
    User.objects.filter(pk=person.pk).update(
        email=f"erased-account-{token}@erased.invalid",
        full_name="",
        password=make_password(None),
        is_active=False,
        email_reminders=False,
        time_zone="",
    )
    items["account emptied"] = 1
    return items


# --- Retention --------------------------------------------------------------------------------


def purge_expired(org: Organization, now: dt.datetime | None = None) -> dict[str, int]:
    """Apply the organisation's retention period through every app's ``purge_expired`` hook.
    Runs in ``org``'s tenant context. Does nothing when the organisation keeps data."""
    if not org.retention_days:
        return {}
    before = (now or timezone.now()) - dt.timedelta(days=org.retention_days)
    done: dict[str, int] = {}
    for _label, purge in hooks("purge_expired"):
        done.update(purge(org, before))
    return done
