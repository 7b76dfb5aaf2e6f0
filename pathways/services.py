"""Every write for pathways: check_* validates and authorises, do_* changes state."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from organizations.models import Membership
from pathways import queries
from pathways.models import ActivityEvent, Enrollment, Step, StepCompletion


def check_can_complete_step(
    membership: Membership, enrollment_id: int, step_id: int, today: dt.date | None = None
) -> tuple[Enrollment, Step]:
    """Return the learner's enrolment and step, or raise ValidationError saying why not.

    Raises ``Enrollment.DoesNotExist``/``Step.DoesNotExist`` when either is not the learner's.
    The step's state comes from the same read as the learner's home (order, prerequisites,
    availability, electives and personalisation), so both always agree.
    """
    enrollment = Enrollment.objects.get(pk=enrollment_id, learner=membership)
    step = Step.objects.get(pk=step_id, version_id=enrollment.version_id)
    if enrollment.status == Enrollment.Status.WITHDRAWN:
        raise ValidationError(_("This enrolment was withdrawn."))
    [view] = queries.learner_enrollments(membership, today, enrollment_id=enrollment.pk)
    state = next(s for s in view.steps if s.id == step.pk)
    if state.state == queries.LOCKED:
        raise ValidationError(
            _("“%(step)s” is not open yet: %(reason)s.")
            % {"step": state.title, "reason": state.reason}
        )
    if state.state == queries.SKIPPED:
        raise ValidationError(
            _("“%(step)s” is not part of your pathway. %(reason)s.")
            % {"step": state.title, "reason": state.reason}
        )
    if state.state == queries.CHOOSE:
        raise ValidationError(
            _("“%(step)s” is an elective: choose it first (%(reason)s).")
            % {"step": state.title, "reason": state.reason}
        )
    if state.state == queries.NOT_CHOSEN:
        raise ValidationError(
            _("You chose other electives than “%(step)s”. Change your choice to take it.")
            % {"step": state.title}
        )
    return enrollment, step


def do_complete_step(
    membership: Membership, enrollment_id: int, step_id: int, *, by_project: bool = False
) -> StepCompletion:
    """Record that the learner completed a step (idempotent: a second call returns the first
    fact), log it as an activity, turn a module step's retrieval items into review cards,
    complete the enrolment with its last required step, and queue the learner's progress
    roll-up after commit. Locks the enrolment row for the transaction."""
    from measurement.services import queue_progress_rollup
    from pathways.learning.services import ensure_review_cards

    with transaction.atomic():
        # Lock the enrolment: two steps completed at once are serialised, so the second sees
        # the first and the one that finishes the pathway completes the enrolment.
        Enrollment.objects.select_for_update().filter(pk=enrollment_id, learner=membership).first()
        enrollment, step = check_can_complete_step(membership, enrollment_id, step_id)
        if step.kind == Step.Kind.PROJECT and not by_project:
            # A project step is done when its sponsor signs the project off (projects.services).
            raise ValidationError(
                _("A project step is done when your sponsor signs the project off: open it.")
            )
        existing = StepCompletion.objects.filter(enrollment=enrollment, step_key=step.key).first()
        if existing is not None:
            return existing
        try:
            with transaction.atomic():
                completion = StepCompletion.objects.create(
                    enrollment=enrollment, learner=membership, step_key=step.key
                )
        except IntegrityError:
            # A concurrent request recorded the same fact first.
            return StepCompletion.objects.get(enrollment=enrollment, step_key=step.key)
        ActivityEvent.objects.create(
            actor=membership,
            verb="completed",
            object_type="module" if step.module_id else step.kind,
            object_id=str(step.module_id or step.key),
            result={"completion": True, "step_key": str(step.key)},
            registration=enrollment,
            timestamp=completion.completed_at,
        )
        if step.module_id is not None:
            ensure_review_cards(membership, step.module_id)
        [view] = queries.learner_enrollments(membership, enrollment_id=enrollment.pk)
        if view.completed:
            Enrollment.objects.filter(pk=enrollment.pk, status=Enrollment.Status.ACTIVE).update(
                status=Enrollment.Status.COMPLETED, completed_at=timezone.now()
            )
        queue_progress_rollup(membership.organization_id, membership.pk)
    return completion


def check_template_not_in_steps(title: str, **step_filter: object) -> None:
    """Refuse to delete a project or conversation template that pathway steps use, naming
    where (e.g. ``check_template_not_in_steps(t.title, project_template=t)``)."""
    uses = Step.objects.filter(**step_filter).select_related("version__pathway")
    count = uses.count()
    if count:
        names = sorted({f"{s.version.pathway.name} v{s.version.number}" for s in uses[:5]})
        raise ValidationError(
            _(
                "“%(title)s” is used by %(n)s pathway step(s) (%(where)s) and cannot be deleted. "
                "Remove those steps in a draft version first."
            )
            % {"title": title, "n": count, "where": ", ".join(names)}
        )
