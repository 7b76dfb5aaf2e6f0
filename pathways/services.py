"""Every write for pathways: check_* validates and authorises, do_* changes state."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from organizations.models import Membership, Organization
from organizations.outbox.delivery import derived_rows_only
from organizations.tenancy import current_org_id
from pathways import queries
from pathways.models import (
    ActivityEvent,
    Enrollment,
    ModuleReach,
    ModuleReaction,
    PracticeAnswer,
    PracticeTask,
    RetrievalItem,
    ReviewCard,
    Step,
    StepCompletion,
)
from pathways.queries import UNDO_WINDOW


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
            queue_module_reach(step.module_id)
            ensure_review_cards(membership, step.module_id)
        [view] = queries.learner_enrollments(membership, enrollment_id=enrollment.pk)
        if view.completed:
            finished = Enrollment.objects.filter(
                pk=enrollment.pk, status=Enrollment.Status.ACTIVE
            ).update(status=Enrollment.Status.COMPLETED, completed_at=timezone.now())
            if finished:  # the pathway's Open Badge, in the same transaction as the fact
                from pathways.badges.services import do_issue_badge

                enrollment.refresh_from_db()
                do_issue_badge(enrollment)
        queue_progress_rollup(membership.organization_id, membership.pk)
    return completion


# The module events the library's reach counts, and the ``ModuleReach`` column of each.
REACH_VERBS = {"experienced": "opened", "completed": "completed"}


# Facts about one module within this window share one refresh of its reach (like roll-ups).
REACH_DEBOUNCE_SECONDS = 30
REACH_GRACE_SECONDS = 5
REACH_HANDLER = "pathways.services.deliver_module_reach"


def queue_module_reach(module_id: int) -> None:
    """Record, in the transaction of a fact that changes it (a module opened, completed, a
    completion undone, a rating saved or changed), that the module's ``ModuleReach`` row is due: the outbox refreshes it
    after commit, once per module and window, so the learner's request neither counts the
    module's events nor waits on its row."""
    from organizations.outbox.delivery import record_debounced

    record_debounced(
        REACH_HANDLER,
        module_id,
        key=f"module-reach:{module_id}",
        seconds=REACH_DEBOUNCE_SECONDS,
        grace=REACH_GRACE_SECONDS,
    )


@derived_rows_only
def deliver_module_reach(org: Organization, module_id: int) -> None:
    """The outbox handler of ``queue_module_reach`` (runs in the organisation's context)."""
    refresh_module_reach([module_id])


def refresh_module_reach(module_ids: Iterable[int]) -> None:
    """Recompute the ``ModuleReach`` rows of these modules from their ``experienced`` and
    ``completed`` events (distinct learners) and their learners' ratings (``ModuleReaction``,
    one per learner: the raters and the sums, from the covering index
    ``modulereaction_module``): 5 statements whatever the number of modules. Run
    by the outbox after the facts commit (``queue_module_reach``), and by the demo's bulk path.

    The rows are locked in module order before counting, so two refreshes of one module at
    once both count what the facts say: the second waits for the first and counts in a
    statement that starts after its commit. Idempotent: any run leaves the counts the facts
    give."""
    ids = sorted(set(module_ids))
    if not ids:
        return
    with transaction.atomic():
        org_id = current_org_id()
        if org_id is None:  # bulk_create does not pass through the scoped manager's check
            raise RuntimeError("refresh_module_reach() runs inside a tenant context.")
        ModuleReach.objects.bulk_create(
            [ModuleReach(organization_id=org_id, module_id=m) for m in ids],
            ignore_conflicts=True,
        )
        rows = list(
            ModuleReach.objects.select_for_update().filter(module_id__in=ids).order_by("module_id")
        )
        counts: dict[tuple[str, str], int] = {
            (object_id, verb): n
            for object_id, verb, n in ActivityEvent.objects.filter(
                verb__in=list(REACH_VERBS),
                object_type="module",
                object_id__in=[str(m) for m in ids],
            )
            .values("object_id", "verb")
            .annotate(n=Count("actor_id", distinct=True))
            .values_list("object_id", "verb", "n")
        }
        ratings = {
            module_id: (n, useful or 0, relevant or 0)
            for module_id, n, useful, relevant in ModuleReaction.objects.filter(module_id__in=ids)
            .values("module_id")
            # Columns of the index (never null), so that the scan is index-only.
            .annotate(n=Count("useful"), useful=Sum("useful"), relevant=Sum("relevant"))
            .values_list("module_id", "n", "useful", "relevant")
        }
        for row in rows:
            for verb, column in REACH_VERBS.items():
                setattr(row, column, counts.get((str(row.module_id), verb), 0))
            row.ratings, row.useful_sum, row.relevant_sum = ratings.get(row.module_id, (0, 0, 0))
        ModuleReach.objects.bulk_update(
            rows, [*REACH_VERBS.values(), "ratings", "useful_sum", "relevant_sum"]
        )


def do_record_module_opened(membership: Membership, module_id: int) -> bool:
    """Log once that the learner opened a module's page (xAPI ``experienced``): the evidence
    that its content was reached. Returns whether this call logged it."""
    opened = ActivityEvent.objects.filter(
        actor=membership, verb="experienced", object_type="module", object_id=str(module_id)
    )
    if opened.exists():
        return False
    with transaction.atomic():
        ActivityEvent.objects.create(
            actor=membership, verb="experienced", object_type="module", object_id=str(module_id)
        )
        queue_module_reach(module_id)
    return True


def check_module_taken(membership: Membership, module_id: int) -> None:
    """Completing a module means having taken it: its page opened and, where it has a
    practice task, the task answered. Raises ``ValidationError`` saying what is missing."""
    opened = ActivityEvent.objects.filter(
        actor=membership, verb="experienced", object_type="module", object_id=str(module_id)
    ).exists()
    if not opened:
        raise ValidationError(_("Open the module and work through it before marking it done."))
    task = PracticeTask.objects.filter(module_id=module_id).first()
    if (
        task is not None
        and not PracticeAnswer.objects.filter(learner=membership, task=task).exists()
    ):
        raise ValidationError(
            _("Answer the module's practice task first: your answer is what marks it done.")
        )


def do_learner_complete_step(
    membership: Membership, enrollment_id: int, step_id: int
) -> StepCompletion:
    """The learner's own door to ``do_complete_step``: only a module step, and only once the
    module was taken (``check_module_taken``). Project and coaching-conversation steps are
    confirmed by the sponsor or coach, never self-certified. Raises ``ValidationError``."""
    enrollment, step = check_can_complete_step(membership, enrollment_id, step_id)
    if step.module_id is None:
        who = _("your sponsor") if step.kind == Step.Kind.PROJECT else _("your coach")
        raise ValidationError(
            _("%(who)s confirms this step once it has taken place; it cannot be self-certified.")
            % {"who": who.capitalize()}
        )
    if not StepCompletion.objects.filter(enrollment=enrollment, step_key=step.key).exists():
        check_module_taken(membership, step.module_id)
    return do_complete_step(membership, enrollment_id, step_id)


def withdraw_review_cards(membership: Membership, module_id: int, since: dt.datetime) -> int:
    """Delete the module's review cards the learner got at or after ``since`` and never
    reviewed: what a completion queued. Returns how many went."""
    items = RetrievalItem.objects.filter(module_id=module_id).values("pk")
    deleted, _detail = ReviewCard.objects.filter(
        learner=membership, item_id__in=items, created_at__gte=since, last_review__isnull=True
    ).delete()
    return deleted


def check_can_undo(completed_at: dt.datetime, now: dt.datetime | None = None) -> None:
    if (now or timezone.now()) - completed_at > UNDO_WINDOW:
        raise ValidationError(
            _(
                "A completion can be undone for %(minutes)s minutes only; ask your programme "
                "team if this one is wrong."
            )
            % {"minutes": int(UNDO_WINDOW.total_seconds() // 60)}
        )


def do_undo_step_completion(membership: Membership, enrollment_id: int, step_id: int) -> Step:
    """Take back a step the learner marked done within ``UNDO_WINDOW``: the completion and
    its ``completed`` event go, the review cards it created (still unreviewed) go, a finished
    enrolment reopens, a ``voided`` event records the undo and the roll-up is queued again.
    Raises ``ValidationError`` when there is nothing (or nothing recent) to undo."""
    from measurement.services import queue_progress_rollup

    with transaction.atomic():
        Enrollment.objects.select_for_update().filter(pk=enrollment_id, learner=membership).first()
        enrollment = Enrollment.objects.get(pk=enrollment_id, learner=membership)
        step = Step.objects.get(pk=step_id, version_id=enrollment.version_id)
        completion = StepCompletion.objects.filter(enrollment=enrollment, step_key=step.key).first()
        if completion is None:
            raise ValidationError(_("This step is not marked done."))
        check_can_undo(completion.completed_at)
        if step.module_id is None:
            raise ValidationError(_("Only the person who confirmed this step can change it."))
        completion.delete()
        ActivityEvent.objects.filter(
            actor=membership,
            verb="completed",
            registration=enrollment,
            result__step_key=str(step.key),
        ).delete()
        withdraw_review_cards(membership, step.module_id, completion.completed_at)
        ActivityEvent.objects.create(
            actor=membership,
            verb="voided",
            object_type="module",
            object_id=str(step.module_id),
            result={"step_key": str(step.key)},
            registration=enrollment,
        )
        queue_module_reach(step.module_id)
        Enrollment.objects.filter(pk=enrollment.pk, status=Enrollment.Status.COMPLETED).update(
            status=Enrollment.Status.ACTIVE, completed_at=None
        )
        queue_progress_rollup(membership.organization_id, membership.pk)
    return step


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
