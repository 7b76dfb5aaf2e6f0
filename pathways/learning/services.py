"""Learner writes: diagnostic, practice evidence, reactions, electives, marking modules done.

``check_*`` validate and authorise (raise ``ValidationError`` with a message for the learner);
``do_*`` change state inside a transaction. A module or enrolment that is not the learner's
raises ``DoesNotExist`` (views turn it into 404).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from competencies.models import Competency, Framework
from organizations.models import Membership
from pathways import queries
from pathways.learning import queries as learning_queries
from pathways.models import (
    ActivityEvent,
    ElectiveChoice,
    ElectiveGroup,
    Enrollment,
    Module,
    ModuleReaction,
    PracticeAnswer,
    PracticeTask,
    RetrievalItem,
    ReviewCard,
    SelfAssessment,
    Step,
)
from pathways.services import (
    check_can_undo,
    check_module_taken,
    do_learner_complete_step,
    queue_module_reach,
    withdraw_review_cards,
)

ANSWER_MAX_LENGTH = 5000
REACTION_SCALE = range(1, 6)


def ensure_review_cards(learner: Membership, module_id: int) -> int:
    """Give ``learner`` one review card per retrieval item of the module, due now (FSRS
    learning state, first step). Existing cards keep their schedule. Returns how many cards were
    created; safe to call twice or concurrently."""
    items = list(RetrievalItem.objects.filter(module_id=module_id).values_list("pk", flat=True))
    if not items:
        return 0
    existing = set(
        ReviewCard.objects.filter(learner=learner, item_id__in=items).values_list(
            "item_id", flat=True
        )
    )
    now = timezone.now()
    new = [
        ReviewCard(
            organization_id=learner.organization_id,
            learner=learner,
            item_id=item_id,
            state=1,
            step=0,
            due=now,
            created_at=now,
        )
        for item_id in items
        if item_id not in existing
    ]
    ReviewCard.objects.bulk_create(new, ignore_conflicts=True)
    return len(new)


# --- Diagnostic -------------------------------------------------------------------------


def check_self_assessment(
    membership: Membership, enrollment_id: int, ratings: Mapping[int, int]
) -> tuple[Enrollment, learning_queries.DiagnosticView]:
    """Every competency of the pathway rated once, on its framework's scale; only once per
    enrolment (the baseline then personalises the pathway and stays fixed)."""
    enrollment = Enrollment.objects.get(pk=enrollment_id, learner=membership)
    if enrollment.status == Enrollment.Status.WITHDRAWN:
        raise ValidationError(_("This enrolment was withdrawn."))
    diagnostic = learning_queries.diagnostic_for(membership, enrollment.pk)
    if diagnostic.taken_at is not None:
        raise ValidationError(
            _("You already rated yourself for this pathway; your baseline stays as it is.")
        )
    if not diagnostic.competencies:
        raise ValidationError(_("This pathway has no competencies to rate."))
    errors: dict[str, list[str]] = {}
    expected = {c.id: c for c in diagnostic.competencies}
    for competency_id in ratings:
        if competency_id not in expected:
            errors.setdefault("__all__", []).append(
                _("One of the ratings is for a competency outside this pathway.")
            )
    for competency in diagnostic.competencies:
        rating = ratings.get(competency.id)
        if rating is None:
            errors[f"competency_{competency.id}"] = [
                _("Rate yourself on %(name)s.") % {"name": competency.name}
            ]
        elif rating not in competency.scale_values:
            errors[f"competency_{competency.id}"] = [
                _("Pick a level from %(low)s to %(high)s.")
                % {"low": min(competency.scale_values), "high": max(competency.scale_values)}
            ]
    if errors:
        raise ValidationError(errors)
    return enrollment, diagnostic


def _queue_rollup(membership: Membership) -> None:
    from measurement.services import queue_progress_rollup

    queue_progress_rollup(membership.organization_id, membership.pk)


def do_save_self_assessment(
    membership: Membership, enrollment_id: int, ratings: Mapping[int, int]
) -> list[SelfAssessment]:
    """Store the enrolment diagnostic, all ratings or none. Locks the rated competencies'
    frameworks first (primary-key order, as scale changes do), so a scale level removed at the
    same moment cannot leave a rating on a level that no longer exists."""
    with transaction.atomic():
        frameworks = Competency.objects.filter(pk__in=list(ratings)).values("framework_id")
        list(Framework.objects.select_for_update().filter(pk__in=frameworks).order_by("pk"))
        enrollment, _diagnostic = check_self_assessment(membership, enrollment_id, ratings)
        # Lock the enrolment so two submits cannot both pass the "only once" check.
        Enrollment.objects.select_for_update().filter(pk=enrollment.pk).first()
        if SelfAssessment.objects.filter(enrollment=enrollment).exists():
            raise ValidationError(
                _("You already rated yourself for this pathway; your baseline stays as it is.")
            )
        now = timezone.now()
        rows = SelfAssessment.objects.bulk_create(
            [
                SelfAssessment(
                    organization_id=membership.organization_id,
                    enrollment=enrollment,
                    competency_id=competency_id,
                    rating=rating,
                    created_at=now,
                )
                for competency_id, rating in sorted(ratings.items())
            ]
        )
        ActivityEvent.objects.create(
            actor=membership,
            verb="answered",
            object_type="self_assessment",
            object_id=str(enrollment.pk),
            result={"ratings": {str(k): v for k, v in sorted(ratings.items())}},
            registration=enrollment,
            timestamp=now,
        )
        # The baseline decides which steps personalisation rules include.
        _queue_rollup(membership)
    return rows


# --- Module page: practice evidence, reaction, done -------------------------------------


def check_module_for_learner(membership: Membership, module_id: int) -> Module:
    """The module, if the learner may take it: published, or part of one of their pathways.
    Raises ``Module.DoesNotExist`` otherwise."""
    return learning_queries.visible_modules(membership).get(pk=module_id)


def check_practice_answer(membership: Membership, module_id: int, text: str) -> PracticeTask:
    check_module_for_learner(membership, module_id)
    task = PracticeTask.objects.filter(module_id=module_id).first()
    if task is None:
        raise ValidationError(_("This module has no practice task."))
    cleaned = (text or "").strip()
    if not cleaned:
        raise ValidationError({"text": [_("Write your answer before saving.")]})
    if len(cleaned) > ANSWER_MAX_LENGTH:
        raise ValidationError(
            {
                "text": [
                    _("Keep your answer under %(n)s characters (it has %(m)s).")
                    % {"n": ANSWER_MAX_LENGTH, "m": len(cleaned)}
                ]
            }
        )
    return task


def do_save_practice_answer(
    membership: Membership, module_id: int, text: str
) -> tuple[PracticeAnswer, bool]:
    """Save or update the learner's answer to the module's practice task (evidence).
    Returns the answer and whether it was new."""
    with transaction.atomic():
        task = check_practice_answer(membership, module_id, text)
        now = timezone.now()
        answer, created = PracticeAnswer.objects.select_for_update().get_or_create(
            learner=membership,
            task=task,
            defaults={"text": text.strip(), "created_at": now, "updated_at": now},
        )
        if not created:
            answer.text = text.strip()
            answer.updated_at = now
            answer.save(update_fields=["text", "updated_at"])
        ActivityEvent.objects.create(
            actor=membership,
            verb="answered",
            object_type="practice_task",
            object_id=str(task.pk),
            result={"response": answer.text[:500], "edited": not created},
            timestamp=now,
        )
    return answer, created


def check_reaction(
    membership: Membership, module_id: int, useful: object, relevant: object
) -> Module:
    module = check_module_for_learner(membership, module_id)
    errors: dict[str, list[str]] = {}
    for name, value, label in (
        ("useful", useful, _("How useful was it?")),
        ("relevant", relevant, _("How relevant is it to your work?")),
    ):
        try:
            number = int(str(value))
        except (TypeError, ValueError):
            number = 0
        if number not in REACTION_SCALE:
            errors[name] = [_("%(label)s Pick 1 to 5.") % {"label": label}]
    if errors:
        raise ValidationError(errors)
    return module


def do_save_reaction(
    membership: Membership, module_id: int, useful: object, relevant: object
) -> ModuleReaction:
    """One reaction per learner and module; a second save updates it."""
    with transaction.atomic():
        module = check_reaction(membership, module_id, useful, relevant)
        reaction, _created = ModuleReaction.objects.update_or_create(
            learner=membership,
            module=module,
            defaults={"useful": int(str(useful)), "relevant": int(str(relevant))},
        )
        queue_module_reach(module.pk)  # the module's ratings in its roll-up row
    return reaction


@dataclass(frozen=True)
class DoneOutcome:
    cards_created: int
    finished_stage: str | None = None  # the stage this completion finished, if any
    finished_pathway: str | None = None  # the pathway this completion finished, if any
    pathway: str = ""
    finished_at: dt.datetime | None = None

    @property
    def celebration(self) -> queries.Celebration | None:
        """What to celebrate: a finished pathway rather than its last stage; None when this
        completion finished neither."""
        if self.finished_at is None:
            return None
        if self.finished_pathway:
            return queries.Celebration(
                "pathway", self.finished_pathway, self.finished_pathway, self.finished_at
            )
        if self.finished_stage:
            return queries.Celebration("stage", self.finished_stage, self.pathway, self.finished_at)
        return None


def do_mark_module_done(membership: Membership, module_id: int) -> DoneOutcome:
    """A module taken outside a pathway: log ``completed`` once (after ``check_module_taken``)
    and create its review cards. Raises ``ValidationError`` when the module was not taken."""
    with transaction.atomic():
        # Lock the learner: a double submit is serialised and logs ``completed`` once.
        Membership.objects.select_for_update().filter(pk=membership.pk).first()
        module = check_module_for_learner(membership, module_id)
        already = ActivityEvent.objects.filter(
            actor=membership, verb="completed", object_type="module", object_id=str(module.pk)
        ).exists()
        if not already:
            check_module_taken(membership, module.pk)
            ActivityEvent.objects.create(
                actor=membership,
                verb="completed",
                object_type="module",
                object_id=str(module.pk),
                result={"completion": True},
            )
        cards = ensure_review_cards(membership, module.pk)
    return DoneOutcome(cards_created=cards)


def do_undo_module_done(membership: Membership, module_id: int) -> Module:
    """Take back a module (outside a pathway) marked done within the undo window: its
    ``completed`` event and the unreviewed review cards it created go; a ``voided`` event
    records the undo. Raises ``ValidationError`` when there is nothing recent to undo."""
    with transaction.atomic():
        Membership.objects.select_for_update().filter(pk=membership.pk).first()
        module = check_module_for_learner(membership, module_id)
        event = ActivityEvent.objects.filter(
            actor=membership,
            verb="completed",
            object_type="module",
            object_id=str(module.pk),
            registration__isnull=True,
        ).first()
        if event is None:
            raise ValidationError(_("This module is not marked done."))
        check_can_undo(event.timestamp)
        event.delete()
        withdraw_review_cards(membership, module.pk, event.timestamp)
        ActivityEvent.objects.create(
            actor=membership, verb="voided", object_type="module", object_id=str(module.pk)
        )
    return module


def do_mark_step_done(membership: Membership, enrollment_id: int, step_id: int) -> DoneOutcome:
    """Complete a pathway step (see ``do_learner_complete_step``) and say what it finished: the stage
    or the pathway whose last step this completion was (a step done earlier, or a second
    submit after another step finished the stage, finishes nothing new)."""
    with transaction.atomic():
        before = ReviewCard.objects.filter(learner=membership).count()
        completion = do_learner_complete_step(membership, enrollment_id, step_id)
        cards = ReviewCard.objects.filter(learner=membership).count() - before
        [view] = queries.learner_enrollments(membership, enrollment_id=enrollment_id)
    stage = next((st for st in view.stages if any(s.id == step_id for s in st.steps)), None)
    done_at = completion.completed_at
    finished_stage = stage is not None and stage.finished and stage.finished_at == done_at
    return DoneOutcome(
        cards_created=cards,
        finished_stage=stage.title if stage is not None and finished_stage else None,
        finished_pathway=view.pathway if view.completed and view.finished_at == done_at else None,
        pathway=view.pathway,
        finished_at=done_at,
    )


# --- Electives --------------------------------------------------------------------------


def check_elective_choice(
    membership: Membership, enrollment_id: int, group_id: int, step_keys: Sequence[str]
) -> tuple[Enrollment, ElectiveGroup, set[str]]:
    """The learner picks exactly the number the group asks for, among its steps that apply to
    them; choices are fixed once a chosen step was started (practice saved) or done."""
    enrollment = Enrollment.objects.get(pk=enrollment_id, learner=membership)
    group = ElectiveGroup.objects.get(pk=group_id, version_id=enrollment.version_id)
    if enrollment.status != Enrollment.Status.ACTIVE:
        raise ValidationError(_("Electives can only be chosen in an active enrolment."))
    page = learning_queries.electives_for(membership, enrollment.pk)
    view = next(g for g in page.groups if g.id == group.pk)
    picked = {str(k) for k in step_keys}
    if view.locked_by:
        current = {o.key for o in view.options if o.chosen or o.done}
        if picked != current:
            raise ValidationError(
                _("You already started “%(step)s”, so your choice in “%(group)s” is fixed.")
                % {"step": view.locked_by, "group": group.title}
            )
    options = {o.key: o for o in view.options}
    if any(k not in options for k in picked):
        raise ValidationError(_("Pick steps from this group only."))
    skipped = [options[k].title for k in picked if options[k].skipped]
    if skipped:
        raise ValidationError(
            _("“%(step)s” is skipped for you by your baseline; pick another.")
            % {"step": skipped[0]}
        )
    if len(picked) != view.needed:
        raise ValidationError(
            _("Choose exactly %(k)s of the %(n)s steps in “%(group)s” (you picked %(m)s).")
            % {"k": view.needed, "n": len(options), "group": group.title, "m": len(picked)}
        )
    return enrollment, group, picked


def do_choose_electives(
    membership: Membership, enrollment_id: int, group_id: int, step_keys: Sequence[str]
) -> set[str]:
    """Replace the learner's choices in one elective group. Returns the chosen step keys."""
    with transaction.atomic():
        Enrollment.objects.select_for_update().filter(pk=enrollment_id, learner=membership).first()
        enrollment, group, picked = check_elective_choice(
            membership, enrollment_id, group_id, step_keys
        )
        group_keys = [
            str(k) for k in Step.objects.filter(elective_group=group).values_list("key", flat=True)
        ]
        ElectiveChoice.objects.filter(enrollment=enrollment, step_key__in=group_keys).exclude(
            step_key__in=picked
        ).delete()
        existing = {
            str(k)
            for k in ElectiveChoice.objects.filter(
                enrollment=enrollment, step_key__in=group_keys
            ).values_list("step_key", flat=True)
        }
        ElectiveChoice.objects.bulk_create(
            [
                ElectiveChoice(
                    organization_id=membership.organization_id,
                    enrollment=enrollment,
                    step_key=key,
                )
                for key in sorted(picked - existing)
            ],
            ignore_conflicts=True,
        )
        _queue_rollup(membership)  # the choices decide which steps are required
    return picked
