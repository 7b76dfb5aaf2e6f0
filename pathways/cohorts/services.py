"""Every write for cohorts: runs of a published pathway version with learners, coaches and
sponsors. ``check_*`` validates, ``do_*`` changes state in a transaction and audits it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage, mailers
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from organizations.audit import record_change, snapshot
from organizations.integrity import refuse_duplicate
from organizations.models import Membership, Organization, User
from organizations.outbox.delivery import record_followup
from organizations.relative_dates import zone_named
from pathways.cohorts.queries import LearnerFilter, cohort_detail, matching_learners
from pathways.models import (
    Cohort,
    CohortCoach,
    CohortSponsor,
    Enrollment,
    OverdueReminder,
    PathwayVersion,
)

COHORT_FIELDS = ["name", "version", "start_date", "end_date", "status"]
# Enrolments inserted per statement when adding a whole team or function at once.
ENROL_BATCH = 1000
# Learners named in the audit entry of a bulk enrolment; beyond this the entry gives the count
# only, so one entry stays a readable size (200 e-mails are about 6 kB of JSON).
AUDIT_LEARNERS_LISTED = 200


def _cohort_snapshot(cohort: Cohort) -> dict[str, Any]:
    """The cohort's fields for the audit log, with the version by name."""
    data = snapshot(cohort, COHORT_FIELDS)
    data["version"] = str(cohort.version)
    return data


def check_published(version: PathwayVersion) -> None:
    if version.status != PathwayVersion.Status.PUBLISHED:
        raise ValidationError(
            _("“%(version)s” is %(status)s. A cohort runs a published version only.")
            % {"version": version, "status": version.get_status_display().lower()}
        )


def _cohort_name_taken(name: str) -> ValidationError:
    return ValidationError(_("There is already a cohort called “%s”.") % name.strip())


def check_cohort(
    cohort: Cohort | None, name: str, start_date: dt.date, end_date: dt.date | None
) -> None:
    clash = Cohort.objects.filter(name__iexact=name.strip())
    if cohort is not None and cohort.pk:
        clash = clash.exclude(pk=cohort.pk)
    if clash.exists():
        raise _cohort_name_taken(name)
    if end_date is not None and end_date < start_date:
        raise ValidationError(_("The end date is before the start date."))


def do_create_cohort(
    actor: User | None,
    *,
    name: str,
    version: PathwayVersion,
    start_date: dt.date,
    end_date: dt.date | None = None,
) -> Cohort:
    # The name check cannot see a cohort another request is creating at the same moment.
    with refuse_duplicate(Cohort, "cohort_unique_name_ci", _cohort_name_taken(name)):
        check_published(version)
        check_cohort(None, name, start_date, end_date)
        status = (
            Cohort.Status.PLANNED if start_date > timezone.localdate() else Cohort.Status.RUNNING
        )
        cohort = Cohort.objects.create(
            name=name.strip(),
            version=version,
            start_date=start_date,
            end_date=end_date,
            status=status,
        )
        record_change(
            actor, "created", cohort, after=_cohort_snapshot(cohort), object_type="Cohort"
        )
    return cohort


def do_update_cohort(
    actor: User | None,
    cohort: Cohort,
    *,
    name: str,
    start_date: dt.date,
    end_date: dt.date | None,
    status: str,
) -> Cohort:
    """Rename, re-date or change the status of a cohort (its version stays: moving learners to
    a new version happens when that version is published)."""
    with refuse_duplicate(Cohort, "cohort_unique_name_ci", _cohort_name_taken(name)):
        check_cohort(cohort, name, start_date, end_date)
        if status not in Cohort.Status.values:
            raise ValidationError(_("Unknown status."))
        before = _cohort_snapshot(cohort)
        cohort.name, cohort.start_date, cohort.end_date, cohort.status = (
            name.strip(),
            start_date,
            end_date,
            status,
        )
        cohort.save()
        after = _cohort_snapshot(cohort)
        if after != before:
            record_change(
                actor, "updated", cohort, before=before, after=after, object_type="Cohort"
            )
            _queue_rollup(cohort)  # a new start date moves due dates
    return cohort


def _queue_rollup(cohort: Cohort) -> None:
    """Enrolments changed: the programme-health figures are recomputed after commit."""
    from measurement.services import queue_progress_rollup

    queue_progress_rollup(cohort.organization_id)


def _queue_learner_rollup(enrollment: Enrollment) -> None:
    """One learner was withdrawn, restored or enrolled: their progress rows (and their team's)
    are recomputed through the outbox, recorded in this transaction, so a coach's home, the
    cohort page and programme health stop (or start) counting them within the roll-up's
    debounce window, in a time that does not grow with the organisation."""
    from measurement.services import queue_progress_rollup

    queue_progress_rollup(enrollment.organization_id, enrollment.learner_id)


def _enrollment_repr(cohort: Cohort, membership: Membership) -> str:
    return f"{membership.user.full_name or membership.user.email} in {cohort.name}"


def check_can_enrol(cohort: Cohort, membership: Membership) -> Enrollment | None:
    """Return a withdrawn enrolment to restore, None for a new one, or raise why not."""
    if not membership.is_active:
        raise ValidationError(_("%s is deactivated.") % membership.user.email)
    if not membership.is_learner:
        raise ValidationError(
            _("%s does not hold the learner role. Give them the role on their page first.")
            % membership.user.email
        )
    existing = Enrollment.objects.filter(cohort=cohort, learner=membership).first()
    if existing is not None and existing.status != Enrollment.Status.WITHDRAWN:
        raise ValidationError(_("%s is already in this cohort.") % membership.user.email)
    return existing


def do_enrol_learner(actor: User | None, cohort: Cohort, membership: Membership) -> Enrollment:
    """Add one learner; a learner who was withdrawn is restored with their progress."""
    with transaction.atomic():
        existing = check_can_enrol(cohort, membership)
        if existing is not None:
            Enrollment.objects.filter(pk=existing.pk, status=Enrollment.Status.WITHDRAWN).update(
                status=Enrollment.Status.ACTIVE
            )
            existing.status = Enrollment.Status.ACTIVE
            record_change(
                actor,
                "restored",
                existing,
                before={"status": Enrollment.Status.WITHDRAWN},
                after={"status": Enrollment.Status.ACTIVE},
                object_type="Enrolment",
                object_repr=_enrollment_repr(cohort, membership),
            )
            _queue_learner_rollup(existing)
            return existing
        try:
            with transaction.atomic():
                enrollment = Enrollment.objects.create(
                    cohort=cohort, learner=membership, version_id=cohort.version_id
                )
        except IntegrityError as exc:  # a concurrent request enrolled them first
            raise ValidationError(
                _("%s is already in this cohort.") % membership.user.email
            ) from exc
        record_change(
            actor,
            "enrolled",
            enrollment,
            after={"cohort": cohort.name, "learner": membership.user.email},
            object_type="Enrolment",
            object_repr=_enrollment_repr(cohort, membership),
        )
        _queue_learner_rollup(enrollment)
    return enrollment


def do_enrol_matching(actor: User | None, cohort: Cohort, learner_filter: LearnerFilter) -> int:
    """Enrol every active learner matching the filter who is not in the cohort yet; returns how
    many were added (already-enrolled and withdrawn learners are skipped). The audit entry
    names the learners added (by e-mail, the first ``AUDIT_LEARNERS_LISTED``)."""
    with transaction.atomic():
        to_add, already = matching_learners(cohort, learner_filter)
        Enrollment.objects.bulk_create(
            [
                Enrollment(
                    organization_id=cohort.organization_id,
                    cohort=cohort,
                    learner_id=learner.membership_id,
                    version_id=cohort.version_id,
                )
                for learner in to_add
            ],
            batch_size=ENROL_BATCH,
            ignore_conflicts=True,  # a learner enrolled concurrently is skipped, not an error
        )
        if to_add:
            after: dict[str, Any] = {
                "added": len(to_add),
                "learners": [learner.email for learner in to_add[:AUDIT_LEARNERS_LISTED]],
                "skipped (already in the cohort)": already,
                "filter": {
                    "team": learner_filter.team,
                    "role": learner_filter.role,
                    "function": learner_filter.function,
                    "job_title": learner_filter.job_title,
                },
            }
            if len(to_add) > AUDIT_LEARNERS_LISTED:
                after["learners not listed"] = len(to_add) - AUDIT_LEARNERS_LISTED
            record_change(actor, "enrolled", cohort, after=after, object_type="Cohort")
            _queue_rollup(cohort)
    return len(to_add)


def do_withdraw(actor: User | None, enrollment: Enrollment) -> Enrollment:
    """Withdraw a learner; their enrolment and progress are kept for the record."""
    with transaction.atomic():
        changed = (
            Enrollment.objects.filter(pk=enrollment.pk)
            .exclude(status=Enrollment.Status.WITHDRAWN)
            .update(status=Enrollment.Status.WITHDRAWN)
        )
        if not changed:
            raise ValidationError(_("This learner is already withdrawn."))
        before = {"status": enrollment.status}
        enrollment.status = Enrollment.Status.WITHDRAWN
        record_change(
            actor,
            "withdrew",
            enrollment,
            before=before,
            after={"status": enrollment.status},
            object_type="Enrolment",
            object_repr=_enrollment_repr(enrollment.cohort, enrollment.learner),
        )
        _queue_learner_rollup(enrollment)
    return enrollment


STAFF: dict[str, tuple[type[CohortCoach] | type[CohortSponsor], str, str]] = {
    "coach": (CohortCoach, "is_coach", "Cohort coach"),
    "sponsor": (CohortSponsor, "is_sponsor", "Cohort sponsor"),
}


def do_assign_staff(actor: User | None, cohort: Cohort, kind: str, membership: Membership) -> None:
    """Assign a coach or sponsor (``kind``) to the cohort; they must hold that role."""
    model, role_field, label = STAFF[kind]
    with transaction.atomic():
        if not membership.is_active or not getattr(membership, role_field):
            raise ValidationError(
                _("%(email)s does not hold the %(role)s role.")
                % {"email": membership.user.email, "role": kind}
            )
        _link, created = model.objects.get_or_create(cohort=cohort, membership=membership)
        if not created:
            raise ValidationError(
                _("%(email)s is already a %(role)s of this cohort.")
                % {"email": membership.user.email, "role": kind}
            )
        record_change(
            actor,
            "assigned",
            cohort,
            after={kind: membership.user.email},
            object_type=label,
            object_repr=f"{membership.user.email} → {cohort.name}",
        )


def do_remove_staff(actor: User | None, cohort: Cohort, kind: str, membership: Membership) -> None:
    model, _role_field, label = STAFF[kind]
    with transaction.atomic():
        deleted, _detail = model.objects.filter(cohort=cohort, membership=membership).delete()
        if not deleted:
            raise ValidationError(_("%s was not assigned to this cohort.") % membership.user.email)
        record_change(
            actor,
            "removed",
            cohort,
            before={kind: membership.user.email},
            object_type=label,
            object_repr=f"{membership.user.email} → {cohort.name}",
        )


# --- Reminding overdue learners ---------------------------------------------------------

OVERDUE_REMINDER_HANDLER = "pathways.cohorts.services.deliver_overdue_reminder"


def org_today(org: Organization, now: dt.datetime | None = None) -> dt.date:
    """The organisation's calendar date at ``now`` (what "once a day" counts in)."""
    return (now or timezone.now()).astimezone(zone_named(org.time_zone)).date()


def check_can_remind_overdue(
    cohort: Cohort, org: Organization, now: dt.datetime | None = None
) -> list[dict[str, Any]]:
    """The overdue learners to remind, as ``{"membership", "steps"}``; refuses a second
    reminder the same day and a cohort with nobody overdue."""
    if OverdueReminder.objects.filter(cohort=cohort, local_date=org_today(org, now)).exists():
        raise ValidationError(
            _("Overdue learners of this cohort were already reminded today; try again tomorrow.")
        )
    detail = cohort_detail(cohort.pk)
    recipients = [
        {"membership": lp.membership_id, "steps": lp.overdue}
        for lp in detail.learners
        if lp.overdue and lp.status != Enrollment.Status.WITHDRAWN
    ]
    if not recipients:
        raise ValidationError(_("Nobody in this cohort is overdue: there is no one to remind."))
    return recipients


def do_remind_overdue(
    actor: User | None, cohort: Cohort, org: Organization, now: dt.datetime | None = None
) -> OverdueReminder:
    """Record a reminder to the cohort's overdue learners (at most one a day per cohort) with
    its audit entry and, in the same transaction, the outbox follow-up that e-mails them
    (``deliver_overdue_reminder``). Must run inside ``tenant_context(org)``."""
    with transaction.atomic():
        Cohort.objects.select_for_update().filter(pk=cohort.pk).first()
        recipients = check_can_remind_overdue(cohort, org, now)
        try:
            with transaction.atomic():
                reminder = OverdueReminder.objects.create(
                    cohort=cohort,
                    sent_by=actor if actor is not None and actor.is_authenticated else None,
                    local_date=org_today(org, now),
                    recipients=recipients,
                )
        except IntegrityError as exc:  # a concurrent click won the day's reminder
            raise ValidationError(
                _("Overdue learners of this cohort were already reminded today.")
            ) from exc
        record_change(
            actor,
            "reminded",
            cohort,
            after={"learners reminded": len(recipients)},
            object_repr=_("Overdue learners of %(cohort)s") % {"cohort": cohort.name},
        )
        record_followup(
            OVERDUE_REMINDER_HANDLER, reminder.pk, dedupe_key=f"overdue-reminder:{reminder.pk}"
        )
    return reminder


def deliver_overdue_reminder(org: Organization, reminder_id: int) -> int:
    """The outbox handler: e-mail each recipient of an unsent reminder their overdue steps and
    mark it sent. Safe to run twice: a sent (or vanished) reminder sends nothing. Returns the
    e-mails sent; raising leaves the reminder unsent for the outbox to retry."""
    with transaction.atomic():
        reminder = (
            OverdueReminder.objects.select_for_update()
            .select_related("cohort")
            .filter(pk=reminder_id, sent_at__isnull=True)
            .first()
        )
        if reminder is None:
            return 0
        ids = [r["membership"] for r in reminder.recipients]
        members = {
            m.pk: m
            for m in Membership.objects.filter(pk__in=ids, is_active=True).select_related("user")
        }
        url = settings.PATHWISE_BASE_URL + reverse("org_home", args=[org.slug])
        messages = []
        for recipient in reminder.recipients:
            member = members.get(recipient["membership"])
            if member is None:
                continue
            body = render_to_string(
                "pathways/cohorts/overdue_email.txt",
                {
                    "name": member.user.display_name,
                    "cohort": reminder.cohort.name,
                    "steps": recipient["steps"],
                    "url": url,
                    "org": org,
                },
            )
            subject = _("%(cohort)s: steps waiting for you") % {"cohort": reminder.cohort.name}
            messages.append(EmailMessage(subject=subject, body=body, to=[member.user.email]))
        OverdueReminder.objects.filter(pk=reminder.pk).update(sent_at=timezone.now())
        # Sent inside the lock: a second run waits, then finds the reminder sent.
        sent = mailers.default.send_messages(messages) if messages else 0
    return sent or 0
