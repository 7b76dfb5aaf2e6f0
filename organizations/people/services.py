"""Every write for people, teams, invitations and imports.

``check_*`` validates and raises ``ValidationError`` with a message an HR admin can act on;
``do_*`` changes state inside a transaction and writes the audit log. All functions run inside
the tenant context (a request under ``/o/``, a task or a command).
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from organizations.audit import record_change, snapshot
from organizations.integrity import refuse_duplicate, violates
from organizations.models import ImportJob, Invitation, Membership, Role, Team, User
from organizations.people import importer
from organizations.people.invitations import read_token
from organizations.tenancy import user_context

logger = logging.getLogger(__name__)

ROLE_FIELDS = importer.ROLE_FIELDS
PERSON_FIELDS = ["job_title", "function", "team", "manager", *ROLE_FIELDS.values(), "is_active"]
# User's unique constraints on the e-mail address: as typed, and regardless of case.
EMAIL_UNIQUE = ("email", "user_unique_email_ci")


# --- Teams -----------------------------------------------------------------------------------


def check_team_parent(team: Team | None, parent: Team | None) -> None:
    """A team cannot sit under itself or under one of its own sub-teams."""
    if parent is None or team is None or team.pk is None:
        return
    parents = dict(Team.objects.values_list("pk", "parent_id"))
    current: int | None = parent.pk
    seen: set[int] = set()
    while current is not None and current not in seen:
        if current == team.pk:
            raise ValidationError(
                _("“%(parent)s” is inside “%(team)s”; a team cannot sit under its own sub-team.")
                % {"parent": parent.name, "team": team.name}
            )
        seen.add(current)
        current = parents.get(current)


def check_team_name(name: str, team: Team | None = None) -> None:
    clash = Team.objects.filter(name__iexact=name.strip())
    if team is not None and team.pk:
        clash = clash.exclude(pk=team.pk)
    if clash.exists():
        raise _team_name_taken(name)


def _team_name_taken(name: str) -> ValidationError:
    return ValidationError(_("There is already a team called “%s”.") % name.strip())


def do_save_team(
    actor: User | None,
    team: Team | None,
    *,
    name: str,
    parent: Team | None,
    manager: Membership | None,
) -> Team:
    """Create (``team`` None) or update a team."""
    # The name check cannot see a team another request is saving at the same moment.
    with refuse_duplicate(Team, "team_unique_name_ci", _team_name_taken(name)):
        creating = team is None
        team = team or Team()
        before = None if creating else _team_snapshot(team)
        check_team_name(name, team)
        check_team_parent(team, parent)
        team.name, team.parent, team.manager = name.strip(), parent, manager
        team.save()
        after = _team_snapshot(team)
        if creating or after != before:
            record_change(
                actor,
                "created" if creating else "updated",
                team,
                before=before,
                after=after,
                object_type="Team",
            )
    return team


def check_can_delete_team(team: Team) -> None:
    members = Membership.objects.filter(team=team).count()
    if members:
        raise ValidationError(
            _(
                "“%(team)s” still has %(n)s member(s). Move them to another team first, then "
                "delete it."
            )
            % {"team": team.name, "n": members}
        )


def do_delete_team(actor: User | None, team: Team) -> None:
    """Delete an empty team; its sub-teams move up to its parent."""
    with transaction.atomic():
        check_can_delete_team(team)
        before = _team_snapshot(team)
        Team.objects.filter(parent=team).update(parent=team.parent)
        record_change(actor, "deleted", team, before=before, object_type="Team")
        team.delete()


# --- People ----------------------------------------------------------------------------------


def _person_repr(membership: Membership) -> str:
    return f"{membership.user.full_name or membership.user.email} <{membership.user.email}>"


def _person_snapshot(membership: Membership) -> dict[str, Any]:
    """The person's fields for the audit log, with team and manager by name, not id."""
    data = snapshot(membership, PERSON_FIELDS)
    data["name"] = membership.user.full_name
    data["email"] = membership.user.email
    data["team"] = membership.team.name if membership.team else None
    data["manager"] = membership.manager.user.email if membership.manager else None
    return data


def _team_snapshot(team: Team) -> dict[str, Any]:
    return {
        "name": team.name,
        "parent": team.parent.name if team.parent else None,
        "manager": team.manager.user.email if team.manager else None,
    }


def check_manager(membership: Membership | None, manager: Membership | None) -> None:
    """The manager must be another active member and must not report to this person."""
    if manager is None:
        return
    if membership is not None and manager.pk == membership.pk:
        raise ValidationError(_("A person cannot be their own manager."))
    if not manager.is_active:
        raise ValidationError(_("%s is deactivated and cannot manage anyone.") % manager.user.email)
    if membership is None or membership.pk is None:
        return
    managers = dict(Membership.objects.values_list("pk", "manager_id"))
    current: int | None = manager.pk
    seen: set[int] = set()
    while current is not None and current not in seen:
        if current == membership.pk:
            raise ValidationError(
                _("%(manager)s reports to %(person)s, directly or through others.")
                % {"manager": manager.user.email, "person": membership.user.email}
            )
        seen.add(current)
        current = managers.get(current)


def check_roles(membership: Membership | None, roles: set[str]) -> None:
    if not roles:
        raise ValidationError(_("Choose at least one role."))
    unknown = roles - set(Role.values)
    if unknown:
        raise ValidationError(_("Unknown role: %s.") % ", ".join(sorted(unknown)))
    if membership is not None and membership.is_admin and Role.ADMIN not in roles:
        check_not_last_admin(membership)


def check_not_last_admin(membership: Membership) -> None:
    others = Membership.objects.filter(is_admin=True, is_active=True).exclude(pk=membership.pk)
    if not others.exists():
        raise ValidationError(
            _(
                "%s is the organisation's last HR admin. Make someone else an admin first, so "
                "that someone can still run Pathwise."
            )
            % membership.user.email
        )


def check_email_free(email: str, user: User | None) -> None:
    """The address must not be another account's. The message does not say whose: a member
    of this organisation is named as such, anyone else's account is not revealed."""
    clash = User.objects.filter(email__iexact=email)
    if user is not None:
        clash = clash.exclude(pk=user.pk)
    other = clash.first()
    if other is None:
        return
    if Membership.objects.filter(user=other).exists():
        raise ValidationError(_("%s is already a member here.") % email)
    raise _email_taken(email)


def _email_taken(email: str) -> ValidationError:
    return ValidationError(
        _(
            "%s cannot be given to this person. To add whoever uses that address, invite it "
            "as a new person."
        )
        % email
    )


def account_is_shared(membership: Membership) -> bool:
    """Whether the person's account belongs to another organisation too (then only they may
    change its name and address)."""
    # The tenant policy hides other organisations' memberships; the second policy shows a
    # user's own, so look through the person's eyes, for this yes/no question only.
    with user_context(membership.user_id):
        return (
            Membership.objects.unscoped()
            .filter(user_id=membership.user_id)
            .exclude(organization_id=membership.organization_id)
            .exists()
        )


def check_account_change(membership: Membership, email: str, name: str) -> None:
    """Accounts are global: an organisation's admin may change a person's name and address only
    while the account is this organisation's alone. Signing in (and the password-reset link)
    follows the address, and the name shows everywhere the person works."""
    user = membership.user
    if email.lower() == user.email.lower() and name.strip() == user.full_name:
        return
    if account_is_shared(membership):
        raise ValidationError(
            _(
                "%s uses their Pathwise account in another organisation too, so only they can "
                "change its name and e-mail address. Invite the new address as a new person "
                "if needed."
            )
            % user.email
        )


# More people than this moved at once (an import, a sync): one roll-up of the whole
# organisation instead of one per person.
MOVES_PER_PERSON_LIMIT = 200


def queue_rollups_for_moves(moves: dict[int, int | None]) -> None:
    """People changed team (``{membership id: team id before}``, read before the change): in
    the caller's transaction, record each person's progress roll-up (it rewrites their rows and
    both teams' rows, then queues both teams' metric roll-ups) and, now, the metric roll-ups of
    the teams they left and joined. All through the outbox, debounced; nothing waits for the
    nightly run. Must run inside ``tenant_context``."""
    from measurement.impact import queue_team_rollup
    from measurement.services import queue_progress_rollup
    from organizations.tenancy import current_org_id

    if not moves:
        return
    org_id = current_org_id()
    assert org_id is not None
    now_in = dict(Membership.objects.filter(pk__in=list(moves)).values_list("pk", "team_id"))
    moved = {pk: old for pk, old in moves.items() if now_in.get(pk, old) != old}
    if not moved:
        return
    if len(moved) > MOVES_PER_PERSON_LIMIT:
        queue_progress_rollup(org_id)
    else:
        for membership_id in sorted(moved):
            queue_progress_rollup(org_id, membership_id)
    teams = {t for t in moved.values() if t} | {now_in[pk] for pk in moved if now_in.get(pk)}
    for team_id in sorted(teams):
        queue_team_rollup(team_id)


def _apply_person_fields(
    membership: Membership,
    *,
    job_title: str,
    function: str,
    team: Team | None,
    manager: Membership | None,
    roles: set[str],
) -> None:
    membership.job_title = job_title.strip()
    membership.function = function.strip()
    membership.team = team
    membership.manager = manager
    for role, attr in ROLE_FIELDS.items():
        setattr(membership, attr, role in roles)


@dataclass
class PersonData:
    email: str
    name: str
    job_title: str
    function: str
    team: Team | None
    manager: Membership | None
    roles: set[str]


def do_update_person(actor: User | None, membership: Membership, data: PersonData) -> Membership:
    """Update a person's details and roles (refuses to remove the last admin)."""
    # The address check cannot see an account another request is saving at the same moment.
    with refuse_duplicate(User, EMAIL_UNIQUE, _email_taken(data.email.strip().lower())):
        membership = (
            Membership.objects.select_for_update().select_related("user").get(pk=membership.pk)
        )
        before = _person_snapshot(membership)
        team_before = membership.team_id
        email = data.email.strip().lower()
        check_email_free(email, membership.user)
        check_account_change(membership, email, data.name)
        check_manager(membership, data.manager)
        check_roles(membership, data.roles)
        user = membership.user
        user.email, user.full_name = email, data.name.strip()
        user.save(update_fields=["email", "full_name"])
        _apply_person_fields(
            membership,
            job_title=data.job_title,
            function=data.function,
            team=data.team,
            manager=data.manager,
            roles=data.roles,
        )
        membership.save()
        queue_rollups_for_moves({membership.pk: team_before})
        after = _person_snapshot(membership)
        if after != before:
            record_change(
                actor,
                "updated",
                membership,
                before=before,
                after=after,
                object_type="Person",
                object_repr=_person_repr(membership),
            )
    return membership


def do_invite_person(actor: User | None, data: PersonData, base_url: str = "") -> Invitation:
    """Invite a person by e-mail. Refuses someone who is already a member here.

    A new address gets an account without a password and a membership at once (the admin
    manages them while invited), and the link lets them choose a password. An existing Pathwise
    account (from another organisation) is only asked to join: no membership exists until the
    person signs in and accepts, seeing this organisation's name and the roles offered.
    """
    email = data.email.strip().lower()
    already_member = ValidationError(
        _("%s is already a member here. Open their page to re-send the invitation.") % email
    )
    # Two invitations of one address at once: the second finds the first's account (as from
    # another organisation) and, in this organisation, the membership the first just added.
    with refuse_duplicate(Membership, "membership_unique_user", already_member):
        user = User.objects.filter(email__iexact=email).first()
        if user is not None and Membership.objects.filter(user=user).exists():
            raise already_member
        check_roles(None, data.roles)
        check_manager(None, data.manager)
        if user is not None and user.has_usable_password():
            return _ask_to_join(actor, user, data, base_url)
        if user is None:
            user = _create_account(email, data.name.strip())
        membership = Membership(user=user)
        _apply_person_fields(
            membership,
            job_title=data.job_title,
            function=data.function,
            team=data.team,
            manager=data.manager,
            roles=data.roles,
        )
        membership.save()
        record_change(
            actor,
            "invited",
            membership,
            after=_person_snapshot(membership),
            object_type="Person",
            object_repr=_person_repr(membership),
        )
        return _send_invitation(actor, membership, base_url)


def _ask_to_join(actor: User | None, user: User, data: PersonData, base_url: str) -> Invitation:
    """An invitation that holds the offered roles and details until ``user`` accepts."""
    terms = {
        "roles": sorted(data.roles),
        "job_title": data.job_title.strip(),
        "function": data.function.strip(),
        "team_id": data.team.pk if data.team else None,
        "manager_id": data.manager.pk if data.manager else None,
    }
    invitation = Invitation.objects.create(
        user=user, terms=terms, email=user.email, invited_by=actor
    )
    record_change(
        actor,
        "invited",
        invitation,
        after={"email": user.email, **terms},
        object_type="Person",
        object_repr=user.email,
    )
    record_invitation_email(invitation, base_url)
    return invitation


def do_accept_join(token: str, user: User) -> Membership:
    """``user`` (signed in) accepts an invitation to join an organisation with their existing
    account: the membership is created now, with the roles and details offered. Raises
    ``InvitationInvalid`` for a link that is not theirs, used, expired or forged."""
    from organizations.accounts.services import record_event
    from organizations.models import SecurityEvent
    from organizations.people.invitations import InvitationInvalid
    from organizations.tenancy import tenant_context

    valid = read_token(token)
    invitation = valid.invitation
    if invitation.user_id != user.pk:
        raise InvitationInvalid(
            "other_account",
            _("This invitation was sent to another e-mail address. Sign out and sign in as %s.")
            % invitation.email,
        )
    with tenant_context(valid.org):
        claimed = Invitation.objects.filter(pk=invitation.pk, accepted_at__isnull=True).update(
            accepted_at=timezone.now()
        )
        if not claimed:
            raise InvitationInvalid("used", _("This invitation has already been used."))
        membership = Membership.objects.filter(user=user).first()
        if membership is None:
            terms = invitation.terms
            manager = Membership.objects.filter(pk=terms.get("manager_id"), is_active=True).first()
            membership = Membership(user=user)
            _apply_person_fields(
                membership,
                job_title=terms.get("job_title", ""),
                function=terms.get("function", ""),
                team=Team.objects.filter(pk=terms.get("team_id")).first(),
                manager=manager,
                roles=set(terms.get("roles") or [Role.LEARNER]),
            )
            membership.save()
        Invitation.objects.filter(pk=invitation.pk).update(membership=membership)
        record_change(
            user,
            "accepted invitation",
            membership,
            after=_person_snapshot(membership),
            object_type="Person",
            object_repr=_person_repr(membership),
        )
        record_event(SecurityEvent.Kind.INVITATION_ACCEPTED, user=user, organization=valid.org)
    return membership


def _create_account(email: str, full_name: str) -> User:
    """A new account without a password, or the one created for ``email`` meanwhile by another
    request (whose check could not see ours, nor ours its)."""
    try:
        with transaction.atomic():
            return User.objects.create(
                email=email, full_name=full_name, password=make_password(None)
            )
    except IntegrityError as exc:
        if not violates(exc, User, EMAIL_UNIQUE):
            raise
    return User.objects.get(email__iexact=email)


def _send_invitation(actor: User | None, membership: Membership, base_url: str) -> Invitation:
    invitation = Invitation.objects.create(
        membership=membership, email=membership.user.email, invited_by=actor
    )
    record_invitation_email(invitation, base_url)
    return invitation


def record_invitation_email(invitation: Invitation, base_url: str) -> None:
    """Record the invitation's e-mail in the outbox, in the invitation's own transaction: an
    e-mail server or broker that is down delays the e-mail and loses nothing, and the invitation
    is saved whatever they do. Delivered once (the outbox row is marked done with the send; an
    invitation accepted meanwhile is skipped), as the bulk invitations are."""
    from organizations.outbox.delivery import record_followup
    from organizations.people.tasks import INVITATIONS_HANDLER

    record_followup(
        INVITATIONS_HANDLER, [invitation.pk], base_url, dedupe_key=f"invitation:{invitation.pk}"
    )


def check_can_invite(membership: Membership) -> None:
    if not membership.is_active:
        raise ValidationError(
            _("%s is deactivated. Reactivate them before sending an invitation.")
            % membership.user.email
        )
    if (
        membership.user.has_usable_password()
        and membership.invitations.filter(accepted_at__isnull=False).exists()
    ):
        raise ValidationError(
            _("%s has already accepted an invitation and can sign in.") % membership.user.email
        )


def do_resend_invitation(
    actor: User | None, membership: Membership, base_url: str = ""
) -> Invitation:
    """Send a fresh link; older links for this person stop working."""
    with transaction.atomic():
        check_can_invite(membership)
        invitation = _send_invitation(actor, membership, base_url)
        record_change(
            actor,
            "invitation sent",
            membership,
            object_type="Person",
            object_repr=_person_repr(membership),
            after={"email": membership.user.email},
        )
    return invitation


def do_accept_invitation(token: str, password: str | None) -> tuple[User, str]:
    """Mark the invitation used and, for a new account, set its password. Returns the user and
    the organisation's slug. Raises ``InvitationInvalid`` for expired, used or forged links.

    The password must already have passed Django's validators (``SetPasswordForm``).
    """
    from organizations.tenancy import tenant_context

    valid = read_token(token)
    if valid.invitation.membership is None:
        from organizations.people.invitations import InvitationInvalid

        raise InvitationInvalid("join", _("Sign in to accept this invitation."))
    with tenant_context(valid.org):
        # Compare-and-set: two clicks on the same link accept it once.
        claimed = Invitation.objects.filter(
            pk=valid.invitation.pk, accepted_at__isnull=True
        ).update(accepted_at=timezone.now())
        if not claimed:
            from organizations.people.invitations import InvitationInvalid

            raise InvitationInvalid("used", _("This invitation has already been used."))
        user = valid.invitation.membership.user
        if password is not None and not user.has_usable_password():
            user.set_password(password)
            user.save(update_fields=["password"])
        record_change(
            user,
            "accepted invitation",
            valid.invitation.membership,
            object_type="Person",
            object_repr=_person_repr(valid.invitation.membership),
        )
        from organizations.accounts.services import record_event
        from organizations.models import SecurityEvent

        record_event(SecurityEvent.Kind.INVITATION_ACCEPTED, user=user, organization=valid.org)
    return user, valid.org.slug


# Invitation e-mails sent per task: one SMTP round trip each, about 100 ms, so a batch of 100
# finishes well inside a worker's time limits and a redelivered batch re-sends at most 100.
INVITATIONS_PER_TASK = 100


def do_invite_everyone_not_invited(actor: User | None, base_url: str = "") -> int:
    """Send an invitation to every active person who has no password and no pending invitation
    (typically people added by a CSV import). Returns how many were invited; the e-mails go out
    in background batches after commit."""
    from organizations.outbox.delivery import record_followup
    from organizations.people.queries import not_invited_people
    from organizations.people.tasks import INVITATIONS_HANDLER

    with transaction.atomic():
        people = not_invited_people()
        invitations = Invitation.objects.bulk_create(
            [
                Invitation(
                    organization_id=m.organization_id,
                    membership=m,
                    email=m.user.email,
                    invited_by=actor,
                )
                for m in people
            ]
        )
        if not invitations:
            return 0
        ids = [i.pk for i in invitations]
        # The e-mails are recorded in the outbox with the invitations: a broker outage delays
        # them and loses none. One row per batch, keyed by its first invitation.
        for start in range(0, len(ids), INVITATIONS_PER_TASK):
            batch = ids[start : start + INVITATIONS_PER_TASK]
            record_followup(
                INVITATIONS_HANDLER, batch, base_url, dedupe_key=f"invitations:{batch[0]}"
            )
        record_change(
            actor,
            "invited",
            object_type="People",
            object_repr=_("%(n)s people not invited yet") % {"n": len(ids)},
            after={"invited": len(ids), "emails": [m.user.email for m in people[:50]]},
        )
    return len(ids)


def check_can_deactivate(actor: User | None, membership: Membership) -> None:
    if not membership.is_active:
        raise ValidationError(_("%s is already deactivated.") % membership.user.email)
    if actor is not None and membership.user_id == actor.pk:
        raise ValidationError(_("You cannot deactivate yourself. Ask another HR admin."))
    if membership.is_admin:
        check_not_last_admin(membership)


def _queue_rollups_for_status(membership: Membership) -> None:
    """A person switched off or on changes whom their team counts: their progress roll-up
    (which drops or restores their rows and rewrites their team's) and their team's metric
    roll-up, recorded in the outbox in the same transaction as the change, as a move's are
    (one learner's roll-up relies on it to know which teammates to look at)."""
    from measurement.impact import queue_team_rollup
    from measurement.services import queue_progress_rollup

    queue_progress_rollup(membership.organization_id, membership.pk)
    if membership.team_id:
        queue_team_rollup(membership.team_id)


def do_deactivate_person(actor: User | None, membership: Membership) -> Membership:
    """Switch off a person's access here; their enrolments, progress and history stay."""
    with transaction.atomic():
        check_can_deactivate(actor, membership)
        before = _person_snapshot(membership)
        now = timezone.now()
        Membership.objects.filter(pk=membership.pk, is_active=True).update(
            is_active=False, deactivated_at=now
        )
        membership.is_active, membership.deactivated_at = False, now
        _queue_rollups_for_status(membership)
        record_change(
            actor,
            "deactivated",
            membership,
            before=before,
            after=_person_snapshot(membership),
            object_type="Person",
            object_repr=_person_repr(membership),
        )
    return membership


def do_reactivate_person(actor: User | None, membership: Membership) -> Membership:
    with transaction.atomic():
        if membership.is_active:
            raise ValidationError(_("%s is already active.") % membership.user.email)
        before = _person_snapshot(membership)
        Membership.objects.filter(pk=membership.pk, is_active=False).update(
            is_active=True, deactivated_at=None
        )
        membership.is_active, membership.deactivated_at = True, None
        _queue_rollups_for_status(membership)
        record_change(
            actor,
            "reactivated",
            membership,
            before=before,
            after=_person_snapshot(membership),
            object_type="Person",
            object_repr=_person_repr(membership),
        )
    return membership


# --- Imports ---------------------------------------------------------------------------------


def do_preview_import(
    actor: User | None, filename: str, content: str
) -> tuple[ImportJob, importer.ImportPlan]:
    """Check the whole file and store the verdict; writes no person, team or account."""
    plan = importer.build_plan(content)
    with transaction.atomic():
        job = ImportJob.objects.create(
            created_by=actor,
            filename=filename[:255],
            content=content,
            content_sha256=hashlib.sha256(content.encode()).hexdigest(),
            status=ImportJob.Status.REFUSED if plan.refused else ImportJob.Status.PREVIEW,
            total_rows=len(plan.parsed.rows),
            problems=importer.problems_as_json(plan.problems),
            summary=plan.summary(),
        )
    return job, plan


def check_can_apply(job: ImportJob) -> None:
    if job.status == ImportJob.Status.REFUSED:
        raise ValidationError(_("This file was refused. Fix the problems and upload it again."))
    if job.status in {ImportJob.Status.QUEUED, ImportJob.Status.RUNNING}:
        raise ValidationError(_("This import is already running."))
    if job.status == ImportJob.Status.DONE:
        raise ValidationError(_("This import has already been applied."))


def do_confirm_import(actor: User | None, job: ImportJob) -> ImportJob:
    """Apply a previewed import: at once for small files, as a background job for large ones.

    The file is planned again against the organisation as it is now, so changes made since the
    preview are respected; a file that has become invalid is refused and nothing is written.
    """
    from organizations.outbox.models import OutboxEntry
    from organizations.people.tasks import IMPORT_BATCH_HANDLER, record_import_batch

    with transaction.atomic():
        # Compare-and-set on the status: a double click starts one import.
        claimed = ImportJob.objects.filter(
            pk=job.pk, status__in=[ImportJob.Status.PREVIEW, ImportJob.Status.FAILED]
        ).update(status=ImportJob.Status.QUEUED, processed_rows=0, progress_at=timezone.now())
        if not claimed:
            job.refresh_from_db()
            check_can_apply(job)
        job.refresh_from_db()
        if job.total_rows > importer.SYNC_ROW_LIMIT:
            # The first batch's outbox row commits with the claim: the job never waits for a
            # task that was not queued. A job confirmed again (it failed) starts a new run.
            run = (
                1
                + OutboxEntry.objects.filter(
                    handler=IMPORT_BATCH_HANDLER,
                    dedupe_key__startswith=f"people-import:{job.pk}:",
                    dedupe_key__endswith=":0",
                ).count()
            )
            record_import_batch(job.pk, 0, run)
            return job
        apply_import_job(job, actor)
    return job


PENDING_IMPORT = (ImportJob.Status.QUEUED, ImportJob.Status.RUNNING)


def _stalled_message() -> dict[str, Any]:
    return {
        "row": None,
        "column": None,
        "message": _(
            "The import stopped: it made no progress for a day and nothing was changed. "
            "Apply it again to start it afresh, or upload the file again."
        ),
    }


def fail_stalled_imports() -> int:
    """Mark the organisation's background imports that made no progress for
    ``organizations.outbox.delivery.ABANDONED_AFTER`` failed and abandon their pending batches
    (one statement when none is); returns how many. Run by the outbox sweep, so none shows
    "running" forever and the admin can apply it again."""
    from organizations.outbox.delivery import fail_stalled

    pending = ImportJob.objects.filter(status__in=PENDING_IMPORT)
    failed = fail_stalled(
        pending, "people-import", _stalled_message(), failed_status=ImportJob.Status.FAILED
    )
    return len(failed)


def apply_import_job(
    job: ImportJob, actor: User | None, plan: importer.ImportPlan | None = None
) -> ImportJob:
    """Plan (unless given a fresh plan) and apply ``job``'s file in one transaction; record the
    outcome on the job."""
    plan = plan or importer.build_plan(job.content)
    job.total_rows = len(plan.parsed.rows)
    if plan.refused:
        job.status = ImportJob.Status.REFUSED
        job.problems = importer.problems_as_json(plan.problems)
        job.summary = plan.summary()
    else:
        try:
            with transaction.atomic():
                job.summary = importer.apply_plan(plan, actor, job_id=job.pk)
        except Exception as exc:  # noqa: BLE001 - recorded on the job for the admin to see
            # The savepoint rolled every write back; keep the reason for the admin.
            if isinstance(exc, ValidationError):  # the organisation changed under the file
                reason = " ".join(exc.messages)
            else:
                logger.exception("People import %s failed", job.pk)
                reason = str(exc)
            job.status = ImportJob.Status.FAILED
            job.problems = [
                {
                    "row": None,
                    "column": None,
                    "message": _("The import failed and nothing was changed: %s") % reason,
                }
            ]
            job.finished_at = timezone.now()
            job.save()
            return job
        job.status = ImportJob.Status.DONE
        job.problems = []
        job.processed_rows = job.total_rows
    job.finished_at = timezone.now()
    job.save()
    return job
