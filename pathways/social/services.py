"""Writes for the personal library and social learning.

``check_*`` validate and authorise (raising ``ValidationError`` with a message for the person, or
``PermissionDenied``); ``do_*`` change state in a transaction. Objects are fetched through the
scoped managers, so an id from another organisation raises ``DoesNotExist`` (a 404 in views).
State changes that can race (mentoring answers, comment removal, dismissal) are compare-and-set.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from competencies.models import Competency
from organizations.audit import record_change
from organizations.integrity import refuse_duplicate
from organizations.models import Membership
from pathways.models import (
    Comment,
    MentoringOffer,
    MentoringRequest,
    Module,
    Recommendation,
    SavedModule,
)
from pathways.social.matching import can_mentor

logger = logging.getLogger(__name__)

COMMENT_MAX_LENGTH = 2000
NOTE_MAX_LENGTH = 500
Status = MentoringRequest.Status
ACTIVE_REQUEST_STATUSES = (Status.OPEN, Status.PROPOSED, Status.ACCEPTED)


def _published_module(module_id: int) -> Module:
    return Module.objects.get(pk=module_id, status=Module.Status.PUBLISHED)


def _require_learner(member: Membership) -> None:
    if not member.is_learner or not member.is_active:
        raise PermissionDenied(_("Only learners can do this."))


# Personal library -------------------------------------------------------------------------------


def do_save_module(learner: Membership, module_id: int) -> SavedModule:
    """Save a published module to the learner's library; saving twice keeps one row."""
    _require_learner(learner)
    module = _published_module(module_id)
    with transaction.atomic():
        try:
            with transaction.atomic():
                saved, _created = SavedModule.objects.get_or_create(learner=learner, module=module)
        except IntegrityError:  # a concurrent save won the race: the row exists
            saved = SavedModule.objects.get(learner=learner, module=module)
    return saved


def do_unsave_module(learner: Membership, module_id: int) -> bool:
    """Remove a module from the learner's library; True if it was there."""
    deleted, _rows = SavedModule.objects.filter(learner=learner, module_id=module_id).delete()
    return deleted > 0


# Comments ---------------------------------------------------------------------------------------


def check_comment_body(body: str) -> str:
    """The cleaned comment text, or ValidationError."""
    body = (body or "").strip()
    if not body:
        raise ValidationError(_("Write something before posting."), code="empty")
    if len(body) > COMMENT_MAX_LENGTH:
        raise ValidationError(
            _("Keep comments to %(max)d characters (this one has %(n)d).")
            % {"max": COMMENT_MAX_LENGTH, "n": len(body)},
            code="too_long",
        )
    return body


def do_post_comment(author: Membership, module_id: int, body: str) -> Comment:
    _require_learner(author)
    module = _published_module(module_id)
    body = check_comment_body(body)
    with transaction.atomic():
        return Comment.objects.create(module=module, author=author, body=body)


def check_can_change_comment(member: Membership, comment: Comment) -> None:
    """Only the author changes their own comment, and not once an admin removed it."""
    if comment.author_id != member.pk:
        raise PermissionDenied(_("Only the author can change this comment."))
    if comment.removed_at is not None:
        raise ValidationError(_("An admin removed this comment; it can no longer be changed."))


def do_edit_comment(member: Membership, comment_id: int, body: str) -> Comment:
    comment = Comment.objects.get(pk=comment_id)
    check_can_change_comment(member, comment)
    body = check_comment_body(body)
    with transaction.atomic():
        updated = Comment.objects.filter(pk=comment.pk, removed_at__isnull=True).update(
            body=body, edited_at=timezone.now()
        )
        if updated != 1:
            raise ValidationError(_("An admin removed this comment; it can no longer be changed."))
    comment.refresh_from_db()
    return comment


def do_delete_comment(member: Membership, comment_id: int) -> int:
    """Delete the member's own comment; returns the module id it belonged to."""
    comment = Comment.objects.get(pk=comment_id)
    check_can_change_comment(member, comment)
    with transaction.atomic():
        # Lock and re-check: an admin removal committed meanwhile keeps the comment (and its
        # placeholder) instead of letting the author erase it.
        current = (
            Comment.objects.select_for_update()
            .filter(pk=comment.pk, removed_at__isnull=True)
            .first()
        )
        if current is None:
            raise ValidationError(_("An admin removed this comment; it can no longer be changed."))
        current.delete()
    return comment.module_id


def do_remove_comment(admin: Membership, comment_id: int) -> Comment:
    """An admin hides a comment; a placeholder stays so the thread still reads in order.
    Removing twice changes nothing (compare-and-set on ``removed_at``)."""
    if not admin.is_admin:
        raise PermissionDenied(_("Only HR admins can remove comments."))
    comment = Comment.objects.get(pk=comment_id)
    now = timezone.now()
    with transaction.atomic():
        updated = Comment.objects.filter(pk=comment.pk, removed_at__isnull=True).update(
            removed_at=now, removed_by=admin
        )
        if updated == 1:
            record_change(
                admin.user,
                "removed",
                comment,
                object_type="Comment",
                object_repr=_("Comment on “%(module)s”") % {"module": comment.module.title},
                before={"body": comment.body, "author_id": comment.author_id},
                after={"removed_at": now.isoformat(), "removed_by_id": admin.pk},
            )
    comment.refresh_from_db()
    return comment


# Recommendations --------------------------------------------------------------------------------


def check_recommendation(
    sender: Membership, recipient_id: int | None, module_id: int, note: str
) -> tuple[Membership, Module, str]:
    """Validated (recipient, module, note) for a recommendation, or ValidationError."""
    _require_learner(sender)
    module = _published_module(module_id)
    note = (note or "").strip()
    errors: dict[str, str] = {}
    recipient = None
    if recipient_id is None:
        errors["recipient"] = _("Choose the colleague to recommend this module to.")
    elif recipient_id == sender.pk:
        errors["recipient"] = _("You cannot recommend a module to yourself.")
    else:
        recipient = (
            Membership.objects.filter(pk=recipient_id, is_active=True, is_learner=True)
            .select_related("user")
            .first()
        )
        if recipient is None:
            errors["recipient"] = _("Choose a colleague who is a learner in this organisation.")
    if len(note) > NOTE_MAX_LENGTH:
        errors["note"] = _("Keep the note to %(max)d characters (this one has %(n)d).") % {
            "max": NOTE_MAX_LENGTH,
            "n": len(note),
        }
    if recipient is not None and "recipient" not in errors:
        earlier = Recommendation.objects.filter(
            sender=sender, recipient=recipient, module=module
        ).first()
        if earlier is not None:
            errors["recipient"] = _(
                "You already recommended “%(module)s” to %(name)s on %(date)s."
            ) % {
                "module": module.title,
                "name": recipient.user.display_name,
                "date": date_format(timezone.localtime(earlier.created_at), "j F Y"),
            }
    if errors:
        raise ValidationError(errors)
    assert recipient is not None
    return recipient, module, note


def do_recommend(
    sender: Membership, recipient_id: int | None, module_id: int, note: str
) -> Recommendation:
    recipient, module, note = check_recommendation(sender, recipient_id, module_id, note)
    try:
        with transaction.atomic():
            return Recommendation.objects.create(
                sender=sender, recipient=recipient, module=module, note=note
            )
    except IntegrityError as exc:  # the same recommendation arrived twice at once
        raise ValidationError(
            {"recipient": _("You already recommended this module to this colleague.")}
        ) from exc


def do_dismiss_recommendation(learner: Membership, recommendation_id: int) -> Recommendation:
    """The recipient hides a recommendation from their home; dismissing twice is harmless."""
    recommendation = Recommendation.objects.get(pk=recommendation_id, recipient=learner)
    Recommendation.objects.filter(pk=recommendation.pk, dismissed_at__isnull=True).update(
        dismissed_at=timezone.now()
    )
    recommendation.refresh_from_db()
    return recommendation


# Micro-mentoring --------------------------------------------------------------------------------


def do_offer_mentoring(
    mentor: Membership, competency_ids: Iterable[int], share_estimate: bool = False
) -> list[MentoringOffer]:
    """Offer to mentor on each competency (already offered ones are kept, with the new
    ``share_estimate`` choice: whether colleagues looking for a mentor see the mentor's
    knowledge estimate on it)."""
    _require_learner(mentor)
    ids = sorted(set(competency_ids))
    competencies = list(Competency.objects.filter(pk__in=ids))
    if not ids:
        raise ValidationError({"competencies": _("Choose at least one competency.")})
    if len(competencies) != len(ids):
        raise ValidationError({"competencies": _("Choose competencies from the list.")})
    with transaction.atomic():
        offers = [
            MentoringOffer.objects.get_or_create(
                mentor=mentor, competency=competency, defaults={"share_estimate": share_estimate}
            )[0]
            for competency in competencies
        ]
        MentoringOffer.objects.filter(pk__in=[o.pk for o in offers]).update(
            share_estimate=share_estimate
        )
        return offers


def do_withdraw_offer(mentor: Membership, offer_id: int) -> None:
    """Stop offering; mentoring already agreed carries on."""
    offer = MentoringOffer.objects.get(pk=offer_id, mentor=mentor)
    offer.delete()


def do_request_mentor(mentee: Membership, competency_id: int | None, note: str) -> MentoringRequest:
    """Ask for a mentor on one competency; one live request per competency."""
    _require_learner(mentee)
    note = (note or "").strip()
    errors: dict[str, str] = {}
    competency = Competency.objects.filter(pk=competency_id).first() if competency_id else None
    if competency is None:
        errors["competency"] = _("Choose the competency you would like help with.")
    elif MentoringRequest.objects.filter(
        mentee=mentee, competency=competency, status__in=ACTIVE_REQUEST_STATUSES
    ).exists():
        errors["competency"] = _request_exists(competency)
    if len(note) > NOTE_MAX_LENGTH:
        errors["note"] = _("Keep the note to %(max)d characters (this one has %(n)d).") % {
            "max": NOTE_MAX_LENGTH,
            "n": len(note),
        }
    if errors or competency is None:  # no competency always comes with an error above
        raise ValidationError(errors)
    # A second submit at the same moment passes the check above too; the database refuses it.
    taken = ValidationError({"competency": _request_exists(competency)})
    with refuse_duplicate(MentoringRequest, "mentoring_one_active_request", taken):
        return MentoringRequest.objects.create(mentee=mentee, competency=competency, note=note)


def _request_exists(competency: Competency) -> str:
    return _("You already have a mentoring request for %(competency)s; see it below.") % {
        "competency": competency.name
    }


def _notify_on_commit(request: MentoringRequest, to: Membership, subject: str) -> None:
    """E-mail ``to`` about ``request`` once the change has committed (never for a rollback).
    A mail server that is down must not undo or fail the change: the page shows it too."""
    org = to.organization
    context = {
        "org": org,
        "request": request,
        "name": to.user.display_name,
        "mentee": request.mentee.user.display_name,
        "mentor": request.mentor.user.display_name if request.mentor is not None else "",
        "competency": request.competency.name,
        "url": settings.PATHWISE_BASE_URL + reverse("my_mentoring", args=[org.slug]),
    }
    body = render_to_string("pathways/social/mentoring_email.txt", context)
    address = to.user.email

    def deliver() -> None:
        try:
            send_mail(subject=subject, message=body, from_email=None, recipient_list=[address])
        except Exception:
            logger.exception("mentoring e-mail for request %s failed", request.pk)

    transaction.on_commit(deliver)


def do_propose_mentor(mentee: Membership, request_id: int, mentor_id: int) -> MentoringRequest:
    """Ask one suggested mentor: open -> proposed (compare-and-set)."""
    request = MentoringRequest.objects.get(pk=request_id, mentee=mentee)
    if request.status != Status.OPEN:
        raise ValidationError(_("This request is no longer open."))
    if not can_mentor(mentee, mentor_id, request.competency_id):
        raise ValidationError(
            _("Choose one of the suggested mentors: they offer this competency and are further on.")
        )
    with transaction.atomic():
        updated = MentoringRequest.objects.filter(pk=request.pk, status=Status.OPEN).update(
            status=Status.PROPOSED, mentor_id=mentor_id
        )
        if updated != 1:
            raise ValidationError(_("This request is no longer open."))
        request = MentoringRequest.objects.select_related(
            "competency", "mentee__user", "mentor__user", "mentor__organization"
        ).get(pk=request.pk)
        mentor = request.mentor
        assert mentor is not None, "the update above set the mentor"
        _notify_on_commit(
            request,
            mentor,
            _("%(name)s asks you to mentor them on %(competency)s")
            % {"name": mentee.user.display_name, "competency": request.competency.name},
        )
    return request


def do_answer_request(
    mentor: Membership, request_id: int, *, accept: bool, note: str = ""
) -> MentoringRequest:
    """The proposed mentor accepts or declines: proposed -> accepted | declined
    (compare-and-set; a second answer, or one after the mentee withdrew, is refused)."""
    request = MentoringRequest.objects.get(pk=request_id, mentor=mentor)
    note = (note or "").strip()
    if len(note) > NOTE_MAX_LENGTH:
        raise ValidationError(
            {
                "note": _("Keep the note to %(max)d characters (this one has %(n)d).")
                % {"max": NOTE_MAX_LENGTH, "n": len(note)}
            }
        )
    new_status = Status.ACCEPTED if accept else Status.DECLINED
    with transaction.atomic():
        updated = MentoringRequest.objects.filter(
            pk=request.pk, mentor=mentor, status=Status.PROPOSED
        ).update(status=new_status, response_note=note, responded_at=timezone.now())
        if updated != 1:
            raise ValidationError(_("This request was already answered or withdrawn."))
        request = MentoringRequest.objects.select_related(
            "competency", "mentee__user", "mentee__organization", "mentor__user"
        ).get(pk=request.pk)
        subject = (
            _("%(name)s will mentor you on %(competency)s")
            if accept
            else _("%(name)s cannot mentor you on %(competency)s this time")
        )
        _notify_on_commit(
            request,
            request.mentee,
            subject % {"name": mentor.user.display_name, "competency": request.competency.name},
        )
    return request


def do_withdraw_request(mentee: Membership, request_id: int) -> MentoringRequest:
    """The mentee withdraws an open or proposed request (compare-and-set)."""
    request = MentoringRequest.objects.get(pk=request_id, mentee=mentee)
    with transaction.atomic():
        updated = MentoringRequest.objects.filter(
            pk=request.pk, status__in=(Status.OPEN, Status.PROPOSED)
        ).update(status=Status.WITHDRAWN)
        if updated != 1:
            raise ValidationError(_("Only a request still waiting for a mentor can be withdrawn."))
    request.refresh_from_db()
    return request


def do_ask_again(mentee: Membership, request_id: int) -> MentoringRequest:
    """After a decline: a fresh open request on the same competency with the same note
    (the declined one stays as history and its mentor is no longer suggested)."""
    request = MentoringRequest.objects.get(pk=request_id, mentee=mentee)
    if request.status != Status.DECLINED:
        raise ValidationError(_("Only a declined request can be asked again."))
    return do_request_mentor(mentee, request.competency_id, request.note)
