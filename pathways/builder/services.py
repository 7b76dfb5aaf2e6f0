"""Every write of the pathway builder: check_* validates, do_* changes state and audits.

A published (or retired) version is immutable: every service that edits a version's content
calls ``check_version_editable`` first. Changing a published pathway means starting a new draft
version (``do_start_new_draft``), which copies the content and keeps each step's ``key`` so that
learners' progress (``StepCompletion.step_key``) follows the step across versions.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from coaching.models import ConversationTemplate
from competencies.models import Competency
from organizations.audit import record_change, snapshot
from organizations.integrity import refuse_duplicate
from organizations.models import User
from pathways.models import (
    Cohort,
    ElectiveGroup,
    Enrollment,
    Module,
    Pathway,
    PathwayVersion,
    PersonalisationRule,
    Stage,
    Step,
    StepPrerequisite,
    VersionCompetency,
)
from projects.models import ProjectTemplate

MAX_OFFSET_DAYS = 730  # two years: longer than any programme we have seen


# ---------------------------------------------------------------------------------------------
# Guards
# ---------------------------------------------------------------------------------------------


def check_version_editable(version: PathwayVersion) -> None:
    """Raise ValidationError unless ``version`` is a draft (published versions are immutable).

    Inside a transaction (every ``do_*``) this locks the pathway row, as ``do_publish`` does,
    and reads the status again: an instance loaded before another admin published must not
    write into the published version."""
    if transaction.get_connection().in_atomic_block:
        list(Pathway.objects.select_for_update().filter(pk=version.pathway_id).values_list("pk"))
        status = (
            PathwayVersion.objects.filter(pk=version.pk).values_list("status", flat=True).first()
        )
        if status is None:
            raise ValidationError(
                _("This version was discarded a moment ago; open the pathway list again.")
            )
        version.status = status
    if version.status != PathwayVersion.Status.DRAFT:
        raise ValidationError(
            _(
                "Version %(number)s of “%(pathway)s” is %(status)s and cannot be changed. "
                "Choose “Edit as new version” to start a draft."
            )
            % {
                "number": version.number,
                "pathway": version.pathway.name,
                "status": version.get_status_display().lower(),
            }
        )


def _ordered_steps(version: PathwayVersion) -> list[Step]:
    """The version's steps in learner order (stage position, then step position)."""
    return list(
        Step.objects.filter(version=version)
        .select_related("stage")
        .order_by("stage__position", "stage_id", "position", "id")
    )


def _renumber_steps(version: PathwayVersion, steps: list[Step] | None = None) -> None:
    """Give steps consecutive positions in learner order, so every order read agrees."""
    steps = _ordered_steps(version) if steps is None else steps
    changed = []
    for index, step in enumerate(steps):
        if step.position != index:
            step.position = index
            changed.append(step)
    if changed:
        Step.objects.bulk_update(changed, ["position"])


def _renumber_stages(version: PathwayVersion) -> list[Stage]:
    stages = list(Stage.objects.filter(version=version).order_by("position", "id"))
    changed = []
    for index, stage in enumerate(stages):
        if stage.position != index:
            stage.position = index
            changed.append(stage)
    if changed:
        Stage.objects.bulk_update(changed, ["position"])
    return stages


def _set_competencies(version: PathwayVersion, competencies: Iterable[Competency]) -> None:
    wanted = {c.pk for c in competencies}
    VersionCompetency.objects.filter(version=version).exclude(competency_id__in=wanted).delete()
    existing = set(
        VersionCompetency.objects.filter(version=version).values_list("competency_id", flat=True)
    )
    VersionCompetency.objects.bulk_create(
        [
            VersionCompetency(
                organization_id=version.organization_id, version=version, competency_id=pk
            )
            for pk in sorted(wanted - existing)
        ]
    )


# ---------------------------------------------------------------------------------------------
# Pathways and versions
# ---------------------------------------------------------------------------------------------


def check_pathway_name(name: str, exclude: Pathway | None = None) -> str:
    name = name.strip()
    if not name:
        raise ValidationError(_("Give the pathway a name."))
    clash = Pathway.objects.filter(name__iexact=name)
    if exclude is not None:
        clash = clash.exclude(pk=exclude.pk)
    if clash.exists():
        raise _pathway_name_taken(name)
    return name


def _pathway_name_taken(name: str) -> ValidationError:
    return ValidationError(
        _("A pathway called “%(name)s” already exists. Choose another name.")
        % {"name": name.strip()}
    )


def do_create_pathway(
    actor: User | None,
    *,
    name: str,
    purpose: str = "",
    target_roles: str = "",
    competencies: Iterable[Competency] = (),
    first_stage_title: str | None = None,
) -> PathwayVersion:
    """Create a pathway with draft version 1 and one empty stage; returns the draft."""
    # The name check cannot see a pathway another request is creating at the same moment.
    with refuse_duplicate(Pathway, "pathway_unique_name_ci", _pathway_name_taken(name)):
        name = check_pathway_name(name)
        pathway = Pathway.objects.create(name=name, purpose=purpose.strip())
        version = PathwayVersion.objects.create(
            pathway=pathway, number=1, target_roles=target_roles.strip()
        )
        _set_competencies(version, competencies)
        Stage.objects.create(version=version, title=first_stage_title or _("Stage 1"), position=0)
        record_change(actor, "created", pathway, after=snapshot(pathway))
        record_change(actor, "created", version, after=snapshot(version))
    return version


def do_update_details(
    actor: User | None,
    version: PathwayVersion,
    *,
    name: str,
    purpose: str,
    target_roles: str,
    competencies: Iterable[Competency],
) -> PathwayVersion:
    """Rename the pathway and change the draft's target roles and competencies."""
    with refuse_duplicate(Pathway, "pathway_unique_name_ci", _pathway_name_taken(name)):
        check_version_editable(version)
        pathway = version.pathway
        name = check_pathway_name(name, exclude=pathway)
        before = {
            **snapshot(pathway, ["name", "purpose"]),
            "target_roles": version.target_roles,
            "competencies": sorted(
                VersionCompetency.objects.filter(version=version).values_list(
                    "competency_id", flat=True
                )
            ),
        }
        pathway.name, pathway.purpose = name, purpose.strip()
        pathway.save(update_fields=["name", "purpose"])
        version.target_roles = target_roles.strip()
        version.save(update_fields=["target_roles"])
        competencies = list(competencies)
        _set_competencies(version, competencies)
        after = {
            "name": pathway.name,
            "purpose": pathway.purpose,
            "target_roles": version.target_roles,
            "competencies": sorted(c.pk for c in competencies),
        }
        record_change(actor, "updated", version, before=before, after=after)
    return version


def _copy_content(source: PathwayVersion, target: PathwayVersion, *, keep_keys: bool) -> None:
    """Copy stages, steps, elective groups, prerequisites and rules from source to target.

    With ``keep_keys`` each copied step keeps its ``key`` (a new version of the same pathway:
    progress follows); otherwise every step gets a fresh key (a new pathway)."""
    org_id = target.organization_id
    VersionCompetency.objects.bulk_create(
        [
            VersionCompetency(organization_id=org_id, version=target, competency_id=cid)
            for cid in VersionCompetency.objects.filter(version=source).values_list(
                "competency_id", flat=True
            )
        ]
    )
    stage_map: dict[int, Stage] = {}
    for stage in Stage.objects.filter(version=source).order_by("position", "id"):
        stage_map[stage.pk] = Stage.objects.create(
            version=target, title=stage.title, position=stage.position
        )
    group_map: dict[int, ElectiveGroup] = {}
    for group in ElectiveGroup.objects.filter(version=source).order_by("id"):
        group_map[group.pk] = ElectiveGroup.objects.create(
            version=target, title=group.title, choose=group.choose
        )
    step_map: dict[int, Step] = {}
    for step in Step.objects.filter(version=source).order_by("position", "id"):
        step_map[step.pk] = Step.objects.create(
            version=target,
            stage=stage_map.get(step.stage_id) if step.stage_id else None,
            key=step.key if keep_keys else uuid.uuid4(),
            position=step.position,
            kind=step.kind,
            module_id=step.module_id,
            project_template_id=step.project_template_id,
            conversation_template_id=step.conversation_template_id,
            title=step.title,
            elective_group=group_map.get(step.elective_group_id)
            if step.elective_group_id
            else None,
            available_offset_days=step.available_offset_days,
            due_offset_days=step.due_offset_days,
        )
    StepPrerequisite.objects.bulk_create(
        [
            StepPrerequisite(
                organization_id=org_id,
                step=step_map[link.step_id],
                requires=step_map[link.requires_id],
            )
            for link in StepPrerequisite.objects.filter(step__version=source)
            if link.step_id in step_map and link.requires_id in step_map
        ]
    )
    PersonalisationRule.objects.bulk_create(
        [
            PersonalisationRule(
                organization_id=org_id,
                step=step_map[rule.step_id],
                competency_id=rule.competency_id,
                action=rule.action,
                threshold=rule.threshold,
                source=rule.source,
            )
            for rule in PersonalisationRule.objects.filter(step__version=source)
        ]
    )


def do_start_new_draft(actor: User | None, version: PathwayVersion) -> tuple[PathwayVersion, bool]:
    """ "Edit" on a published or retired version: a new draft copying its content with the same
    step keys. If the pathway already has a draft, that draft is returned instead (one draft per
    pathway keeps the history linear). Returns ``(draft, created)``."""
    with transaction.atomic():
        pathway = Pathway.objects.select_for_update().get(pk=version.pathway_id)
        existing = PathwayVersion.objects.filter(
            pathway=pathway, status=PathwayVersion.Status.DRAFT
        ).first()
        if existing is not None:
            return existing, False
        number = (
            PathwayVersion.objects.filter(pathway=pathway).aggregate(n=Max("number"))["n"] or 0
        ) + 1
        draft = PathwayVersion.objects.create(
            pathway=pathway, number=number, target_roles=version.target_roles
        )
        _copy_content(version, draft, keep_keys=True)
        record_change(
            actor,
            "created",
            draft,
            after={**snapshot(draft), "copied_from_version": version.number},
        )
    return draft, True


def do_copy_pathway(actor: User | None, version: PathwayVersion, *, name: str) -> PathwayVersion:
    """Start a new pathway from ``version``'s content: draft v1 with new step keys (a new
    programme, so no progress carries over)."""
    with refuse_duplicate(Pathway, "pathway_unique_name_ci", _pathway_name_taken(name)):
        name = check_pathway_name(name)
        source_pathway = version.pathway
        pathway = Pathway.objects.create(name=name, purpose=source_pathway.purpose)
        draft = PathwayVersion.objects.create(
            pathway=pathway, number=1, target_roles=version.target_roles
        )
        _copy_content(version, draft, keep_keys=False)
        record_change(
            actor,
            "copied",
            pathway,
            after={**snapshot(pathway), "copied_from": f"{source_pathway.name} v{version.number}"},
        )
    return draft


def do_discard_draft(actor: User | None, version: PathwayVersion) -> Pathway | None:
    """Delete a draft version; the whole pathway goes too when the draft was its only version.
    Returns the surviving pathway or None."""
    with transaction.atomic():
        check_version_editable(version)
        if Cohort.objects.filter(version=version).exists():
            raise ValidationError(_("A cohort already uses this version; it cannot be discarded."))
        pathway = version.pathway
        before = snapshot(version)
        record_change(actor, "deleted", version, before=before)
        StepPrerequisite.objects.filter(step__version=version).delete()
        version.delete()
        if not PathwayVersion.objects.filter(pathway=pathway).exists():
            record_change(actor, "deleted", pathway, before=snapshot(pathway))
            pathway.delete()
            return None
    return pathway


# ---------------------------------------------------------------------------------------------
# Stages
# ---------------------------------------------------------------------------------------------


def _check_title(title: str, what: str) -> str:
    title = title.strip()
    if not title:
        raise ValidationError(_("Give the %(what)s a title.") % {"what": what})
    if len(title) > 200:
        raise ValidationError(_("Keep the title to 200 characters or fewer."))
    return title


def _stage_title_taken(title: str) -> ValidationError:
    return ValidationError(
        _("This pathway already has a stage called “%(title)s”.") % {"title": title}
    )


def do_add_stage(actor: User | None, version: PathwayVersion, *, title: str) -> Stage:
    with transaction.atomic():
        check_version_editable(version)
        title = _check_title(title, _("stage"))
        # A double submit of the add form: ``check_version_editable`` locked the pathway row,
        # so the second finds the first's stage instead of adding it again.
        taken = _stage_title_taken(title)
        if Stage.objects.filter(version=version, title__iexact=title).exists():
            raise taken
        position = Stage.objects.filter(version=version).count()
        with refuse_duplicate(Stage, "stage_unique_title_ci", taken):
            stage = Stage.objects.create(version=version, title=title, position=position)
        record_change(actor, "created", stage, after=snapshot(stage))
    return stage


def do_rename_stage(actor: User | None, stage: Stage, *, title: str) -> Stage:
    with transaction.atomic():
        check_version_editable(stage.version)
        title = _check_title(title, _("stage"))
        taken = _stage_title_taken(title)
        others = Stage.objects.filter(version=stage.version_id).exclude(pk=stage.pk)
        if others.filter(title__iexact=title).exists():
            raise taken
        before = snapshot(stage, ["title"])
        stage.title = title
        with refuse_duplicate(Stage, "stage_unique_title_ci", taken):
            stage.save(update_fields=["title"])
        record_change(actor, "updated", stage, before=before, after=snapshot(stage, ["title"]))
    return stage


def do_move_stage(actor: User | None, stage: Stage, *, direction: str) -> Stage:
    """Swap the stage with its neighbour (``up`` or ``down``); steps follow their stage."""
    with transaction.atomic():
        version = stage.version
        check_version_editable(version)
        stages = _renumber_stages(version)
        index = next(i for i, s in enumerate(stages) if s.pk == stage.pk)
        other = index - 1 if direction == "up" else index + 1
        if direction not in {"up", "down"} or not 0 <= other < len(stages):
            raise ValidationError(
                _("“%(stage)s” is already the %(end)s stage.")
                % {"stage": stage.title, "end": _("first") if direction == "up" else _("last")}
            )
        stages[index], stages[other] = stages[other], stages[index]
        for position, s in enumerate(stages):
            s.position = position
        Stage.objects.bulk_update(stages, ["position"])
        _renumber_steps(version)
        record_change(
            actor,
            "moved",
            stage,
            before={"position": index},
            after={"position": other},
        )
        stage.position = other
    return stage


def do_delete_stage(actor: User | None, stage: Stage) -> int:
    """Delete a stage and the steps in it; returns how many steps went with it."""
    with transaction.atomic():
        version = stage.version
        check_version_editable(version)
        steps = Step.objects.filter(stage=stage)
        n_steps = steps.count()
        record_change(actor, "deleted", stage, before={**snapshot(stage), "steps_deleted": n_steps})
        StepPrerequisite.objects.filter(requires__in=steps).delete()
        steps.delete()
        stage.delete()
        _renumber_stages(version)
        _renumber_steps(version)
    return n_steps


# ---------------------------------------------------------------------------------------------
# Steps
# ---------------------------------------------------------------------------------------------


@dataclass
class StepTarget:
    kind: str
    module: Module | None = None
    project_template: ProjectTemplate | None = None
    conversation_template: ConversationTemplate | None = None


def check_step_target(target: StepTarget) -> None:
    """The step points at exactly the library item its kind names."""
    kinds = Step.Kind
    if target.kind == kinds.MODULE:
        if target.module is None:
            raise ValidationError(_("Choose the module this step opens."))
        if target.module.status == Module.Status.RETIRED:
            raise ValidationError(
                _("“%(title)s” is retired; choose a published module.")
                % {"title": target.module.title}
            )
    elif target.kind == kinds.PROJECT:
        if target.project_template is None:
            raise ValidationError(_("Choose the project template for this step."))
    elif target.kind == kinds.COACHING:
        if target.conversation_template is None:
            raise ValidationError(_("Choose the coaching conversation template for this step."))
    else:
        raise ValidationError(_("Choose what kind of step this is."))


def check_offsets(available_offset_days: int, due_offset_days: int | None) -> None:
    if available_offset_days < 0 or available_offset_days > MAX_OFFSET_DAYS:
        raise ValidationError(
            _("The step must open between 0 and %(max)s days after the cohort start.")
            % {"max": MAX_OFFSET_DAYS}
        )
    if due_offset_days is not None:
        if due_offset_days > MAX_OFFSET_DAYS:
            raise ValidationError(
                _("The due date must be at most %(max)s days after the cohort start.")
                % {"max": MAX_OFFSET_DAYS}
            )
        if due_offset_days < available_offset_days:
            raise ValidationError(
                _(
                    "The step cannot be due (day %(due)s) before it opens (day %(open)s). "
                    "Make the due day the same as or later than the opening day."
                )
                % {"due": due_offset_days, "open": available_offset_days}
            )


def _check_stage_of(version: PathwayVersion, stage: Stage | None) -> Stage:
    if stage is None or stage.version_id != version.pk:
        raise ValidationError(_("Choose a stage of this version for the step."))
    return stage


def do_add_step(
    actor: User | None,
    version: PathwayVersion,
    *,
    stage: Stage | None,
    target: StepTarget,
    title: str = "",
    available_offset_days: int = 0,
    due_offset_days: int | None = None,
) -> Step:
    """Append a step at the end of ``stage``."""
    with transaction.atomic():
        check_version_editable(version)
        stage = _check_stage_of(version, stage)
        check_step_target(target)
        check_offsets(available_offset_days, due_offset_days)
        last = (
            Step.objects.filter(stage=stage).aggregate(p=Max("position"))["p"]
            if Step.objects.filter(stage=stage).exists()
            else None
        )
        step = Step.objects.create(
            version=version,
            stage=stage,
            kind=target.kind,
            module=target.module if target.kind == Step.Kind.MODULE else None,
            project_template=target.project_template if target.kind == Step.Kind.PROJECT else None,
            conversation_template=target.conversation_template
            if target.kind == Step.Kind.COACHING
            else None,
            title=title.strip(),
            position=(last + 1) if last is not None else 10_000,
            available_offset_days=available_offset_days,
            due_offset_days=due_offset_days,
        )
        _renumber_steps(version)
        step.refresh_from_db()
        record_change(actor, "created", step, after=snapshot(step))
    return step


def do_update_step(
    actor: User | None,
    step: Step,
    *,
    title: str,
    available_offset_days: int,
    due_offset_days: int | None,
) -> Step:
    fields = ["title", "available_offset_days", "due_offset_days"]
    with transaction.atomic():
        check_version_editable(step.version)
        check_offsets(available_offset_days, due_offset_days)
        before = snapshot(step, fields)
        step.title = title.strip()
        step.available_offset_days = available_offset_days
        step.due_offset_days = due_offset_days
        step.save(update_fields=fields)
        record_change(actor, "updated", step, before=before, after=snapshot(step, fields))
    return step


def do_move_step(actor: User | None, step: Step, *, direction: str) -> Step:
    """Move a step one place ``up`` or ``down`` in learner order. At the edge of its stage it
    crosses into the neighbouring stage (end of the previous one, start of the next one)."""
    if direction not in {"up", "down"}:
        raise ValidationError(_("Move a step up or down."))
    with transaction.atomic():
        version = step.version
        check_version_editable(version)
        stages = _renumber_stages(version)
        steps = _ordered_steps(version)
        index = next(i for i, s in enumerate(steps) if s.pk == step.pk)
        current = steps[index]
        stage_index = next((i for i, s in enumerate(stages) if s.pk == current.stage_id), None)
        before = {"position": index, "stage": current.stage_id}
        neighbour_index = index - 1 if direction == "up" else index + 1
        neighbour = steps[neighbour_index] if 0 <= neighbour_index < len(steps) else None
        if neighbour is not None and neighbour.stage_id == current.stage_id:
            steps[index], steps[neighbour_index] = neighbour, current
        else:
            # Cross into the adjacent stage, which may be empty.
            target_index = (
                None
                if stage_index is None
                else stage_index - 1
                if direction == "up"
                else stage_index + 1
            )
            if target_index is None or not 0 <= target_index < len(stages):
                raise ValidationError(
                    _("“%(step)s” is already the %(end)s step.")
                    % {
                        "step": current.display_title,
                        "end": _("first") if direction == "up" else _("last"),
                    }
                )
            current.stage = stages[target_index]
            current.save(update_fields=["stage"])
            steps = _ordered_steps(version)
            others = [s for s in steps if s.pk != current.pk]
            in_target = [i for i, s in enumerate(others) if s.stage_id == current.stage_id]
            if direction == "up":
                insert_at = (
                    (in_target[-1] + 1) if in_target else _stage_start(others, stages, target_index)
                )
            else:
                insert_at = (
                    in_target[0] if in_target else _stage_start(others, stages, target_index)
                )
            others.insert(insert_at, current)
            steps = others
        _renumber_steps(version, steps)
        after_index = next(i for i, s in enumerate(steps) if s.pk == step.pk)
        record_change(
            actor,
            "moved",
            current,
            before=before,
            after={"position": after_index, "stage": current.stage_id},
        )
    return current


def _stage_start(steps: list[Step], stages: list[Stage], stage_index: int) -> int:
    """Where steps of ``stages[stage_index]`` would begin in ``steps`` (learner order)."""
    earlier = {s.pk for s in stages[:stage_index]}
    return sum(1 for s in steps if s.stage_id in earlier)


def do_move_step_to_stage(actor: User | None, step: Step, *, stage: Stage | None) -> Step:
    """Move a step to the end of another stage of the same version."""
    with transaction.atomic():
        version = step.version
        check_version_editable(version)
        stage = _check_stage_of(version, stage)
        if stage.pk == step.stage_id:
            raise ValidationError(
                _("“%(step)s” is already in “%(stage)s”.")
                % {"step": step.display_title, "stage": stage.title}
            )
        before = {"stage": step.stage_id}
        last = Step.objects.filter(stage=stage).aggregate(p=Max("position"))["p"]
        step.stage = stage
        step.position = (last + 1) if last is not None else 10_000
        step.save(update_fields=["stage", "position"])
        _renumber_steps(version)
        record_change(actor, "moved", step, before=before, after={"stage": stage.pk})
    return step


def do_delete_step(actor: User | None, step: Step) -> None:
    with transaction.atomic():
        version = step.version
        check_version_editable(version)
        record_change(actor, "deleted", step, before=snapshot(step))
        StepPrerequisite.objects.filter(requires=step).delete()
        step.delete()
        _renumber_steps(version)


def do_set_prerequisites(actor: User | None, step: Step, *, requires: Iterable[Step]) -> Step:
    """Replace the step's explicit prerequisites. Only earlier steps of the same version may be
    required (so no cycle can form); an empty set means the default: the previous step."""
    with transaction.atomic():
        version = step.version
        check_version_editable(version)
        requires = list(requires)
        order = {s.pk: i for i, s in enumerate(_ordered_steps(version))}
        for other in requires:
            if other.version_id != version.pk or other.pk not in order:
                raise ValidationError(_("A prerequisite must be a step of the same version."))
            if other.pk == step.pk:
                raise ValidationError(_("A step cannot be its own prerequisite."))
            if order[other.pk] > order[step.pk]:
                raise ValidationError(
                    _(
                        "“%(other)s” comes after “%(step)s”; a prerequisite must come earlier "
                        "in the pathway."
                    )
                    % {"other": other.display_title, "step": step.display_title}
                )
        before = sorted(
            StepPrerequisite.objects.filter(step=step).values_list("requires_id", flat=True)
        )
        StepPrerequisite.objects.filter(step=step).delete()
        StepPrerequisite.objects.bulk_create(
            [
                StepPrerequisite(organization_id=step.organization_id, step=step, requires=other)
                for other in {r.pk: r for r in requires}.values()
            ]
        )
        record_change(
            actor,
            "updated",
            step,
            before={"prerequisites": before},
            after={"prerequisites": sorted({r.pk for r in requires})},
        )
    return step


# ---------------------------------------------------------------------------------------------
# Elective groups
# ---------------------------------------------------------------------------------------------


def check_elective_group(version: PathwayVersion, choose: int, steps: list[Step]) -> None:
    if any(s.version_id != version.pk for s in steps):
        raise ValidationError(_("An elective group can only hold steps of the same version."))
    if choose < 1:
        raise ValidationError(_("Learners must choose at least 1 step of the group."))
    if len(steps) < 2:
        raise ValidationError(
            _("An elective group needs at least 2 steps to choose from; tick 2 or more.")
        )
    if choose > len(steps):
        raise ValidationError(
            _(
                "Learners cannot choose %(k)s of %(n)s steps. Lower “choose” to %(n)s or fewer, "
                "or add steps to the group."
            )
            % {"k": choose, "n": len(steps)}
        )


def _elective_group_title_taken(title: str) -> ValidationError:
    return ValidationError(
        _("This pathway already has an elective group called “%(title)s”.") % {"title": title}
    )


def do_save_elective_group(
    actor: User | None,
    version: PathwayVersion,
    *,
    group: ElectiveGroup | None,
    title: str,
    choose: int,
    steps: Iterable[Step],
) -> ElectiveGroup:
    """Create or update a "choose k of n" group and assign exactly ``steps`` to it (a step
    belongs to at most one group: assigning moves it out of any other group)."""
    with transaction.atomic():
        check_version_editable(version)
        title = _check_title(title, _("elective group"))
        steps = list({s.pk: s for s in steps}.values())
        check_elective_group(version, choose, steps)
        if group is not None and group.version_id != version.pk:
            raise ValidationError(_("This elective group belongs to another version."))
        before = None
        # A double submit of the add form: ``check_version_editable`` locked the pathway row,
        # so the second finds the first's group instead of adding it (and taking its steps).
        # A rename may not take another group's title either.
        taken = _elective_group_title_taken(title)
        others = ElectiveGroup.objects.filter(version=version)
        if group is not None:
            others = others.exclude(pk=group.pk)
        if others.filter(title__iexact=title).exists():
            raise taken
        if group is None:
            with refuse_duplicate(ElectiveGroup, "electivegroup_unique_title_ci", taken):
                group = ElectiveGroup.objects.create(version=version, title=title, choose=choose)
            action = "created"
        else:
            before = {
                **snapshot(group, ["title", "choose"]),
                "steps": sorted(
                    Step.objects.filter(elective_group=group).values_list("pk", flat=True)
                ),
            }
            group.title, group.choose = title, choose
            with refuse_duplicate(ElectiveGroup, "electivegroup_unique_title_ci", taken):
                group.save(update_fields=["title", "choose"])
            action = "updated"
        ids = [s.pk for s in steps]
        Step.objects.filter(elective_group=group).exclude(pk__in=ids).update(elective_group=None)
        Step.objects.filter(pk__in=ids, version=version).update(elective_group=group)
        record_change(
            actor,
            action,
            group,
            before=before,
            after={"title": title, "choose": choose, "steps": sorted(ids)},
        )
    return group


def do_delete_elective_group(actor: User | None, group: ElectiveGroup) -> None:
    """Remove the group; its steps stay, as core steps."""
    with transaction.atomic():
        check_version_editable(group.version)
        record_change(actor, "deleted", group, before=snapshot(group))
        Step.objects.filter(elective_group=group).update(elective_group=None)
        group.delete()


# ---------------------------------------------------------------------------------------------
# Personalisation rules
# ---------------------------------------------------------------------------------------------


def check_rule(competency: Competency | None, action: str, threshold: int) -> None:
    if competency is None:
        raise ValidationError(_("Choose the competency the rule looks at."))
    if action not in PersonalisationRule.Action.values:
        raise ValidationError(
            _("Choose who the rule includes: learners below the level, or at or above it.")
        )
    top = max(competency.framework.levels.values_list("value", flat=True), default=5)
    if not 1 <= threshold <= top:
        raise ValidationError(
            _("The threshold must be a level of the scale, from 1 to %(top)s.") % {"top": top}
        )
    if action == PersonalisationRule.Action.INCLUDE_IF_BELOW and threshold == 1:
        raise ValidationError(
            _("“Include only if below 1” would skip the step for everyone; choose 2 or more.")
        )
    if action == PersonalisationRule.Action.INCLUDE_IF_AT_LEAST and threshold == 1:
        raise ValidationError(
            _("“Include only if at least 1” would keep the step for everyone; choose 2 or more.")
        )


def do_add_rule(
    actor: User | None,
    step: Step,
    *,
    competency: Competency | None,
    action: str,
    threshold: int,
    source: str = PersonalisationRule.Source.SELF_ASSESSMENT,
) -> PersonalisationRule:
    with transaction.atomic():
        check_version_editable(step.version)
        check_rule(competency, action, threshold)
        if source not in PersonalisationRule.Source.values:
            raise ValidationError(_("Choose which baseline the rule reads."))
        assert competency is not None  # check_rule refuses a missing competency
        # A double submit of the add form: ``check_version_editable`` locked the pathway row,
        # so the second finds the first's rule instead of adding it again.
        fields = {"competency": competency, "action": action, "threshold": threshold}
        taken = ValidationError(_("This step already has this rule."))
        if PersonalisationRule.objects.filter(step=step, source=source, **fields).exists():
            raise taken
        with refuse_duplicate(PersonalisationRule, "personalisationrule_unique", taken):
            rule = PersonalisationRule.objects.create(step=step, source=source, **fields)
        record_change(
            actor,
            "created",
            rule,
            after={**snapshot(rule), "step": step.display_title},
            object_repr=f"{step.display_title}: {rule.get_action_display()} {threshold}",
        )
    return rule


def do_delete_rule(actor: User | None, rule: PersonalisationRule) -> None:
    with transaction.atomic():
        check_version_editable(rule.step.version)
        record_change(
            actor,
            "deleted",
            rule,
            before=snapshot(rule),
            object_repr=f"{rule.step.display_title}: {rule.get_action_display()} {rule.threshold}",
        )
        rule.delete()


# ---------------------------------------------------------------------------------------------
# Publishing
# ---------------------------------------------------------------------------------------------


def publish_problems(version: PathwayVersion) -> list[str]:
    """Everything that stops ``version`` being published, in plain words (empty when ready)."""
    problems: list[str] = []
    steps = list(
        Step.objects.filter(version=version)
        .select_related("stage", "module", "project_template", "conversation_template")
        .order_by("stage__position", "stage_id", "position", "id")
    )
    if not steps:
        return [_("Add at least one step.")]
    order = {s.pk: i for i, s in enumerate(steps)}
    for step in steps:
        name = step.display_title
        if step.stage_id is None:
            problems.append(_("“%(step)s” is not in a stage.") % {"step": name})
        if step.kind == Step.Kind.MODULE:
            if step.module is None:
                problems.append(_("“%(step)s” has no module.") % {"step": name})
            elif step.module.status != Module.Status.PUBLISHED:
                problems.append(
                    _("Module “%(module)s” is %(status)s; publish it in the library first.")
                    % {"module": step.module.title, "status": step.module.get_status_display()}
                )
        elif step.kind == Step.Kind.PROJECT and step.project_template is None:
            problems.append(_("“%(step)s” has no project template.") % {"step": name})
        elif step.kind == Step.Kind.COACHING and step.conversation_template is None:
            problems.append(_("“%(step)s” has no conversation template.") % {"step": name})
    counts: dict[int, int] = {}
    for step in steps:
        if step.elective_group_id:
            counts[step.elective_group_id] = counts.get(step.elective_group_id, 0) + 1
    for group in ElectiveGroup.objects.filter(version=version):
        n = counts.get(group.pk, 0)
        if n < 2 or group.choose > n or group.choose < 1:
            problems.append(
                _("Elective group “%(group)s” asks learners to choose %(k)s of %(n)s steps.")
                % {"group": group.title, "k": group.choose, "n": n}
            )
    by_id = {s.pk: s for s in steps}
    for link in StepPrerequisite.objects.filter(step__version=version):
        dependent, required = by_id.get(link.step_id), by_id.get(link.requires_id)
        if dependent is None or required is None:
            problems.append(_("A prerequisite points outside this version."))
        elif order[required.pk] >= order[dependent.pk]:
            problems.append(
                _("“%(step)s” requires “%(other)s”, which comes later; move one of them.")
                % {"step": dependent.display_title, "other": required.display_title}
            )
    return problems


@dataclass
class PublishResult:
    version: PathwayVersion
    moved_enrollments: int
    moved_cohorts: int
    retired_versions: list[int]
    kept_versions: list[int]


def do_publish(
    actor: User | None, version: PathwayVersion, *, move_enrollments: bool = False
) -> PublishResult:
    """Publish a draft. With ``move_enrollments`` every active enrolment (and running or planned
    cohort) on an earlier version of the pathway moves to this one; progress follows by step key.
    Earlier published versions that nothing uses any more become retired."""
    with transaction.atomic():
        pathway = Pathway.objects.select_for_update().get(pk=version.pathway_id)
        version = PathwayVersion.objects.select_related("pathway").get(pk=version.pk)
        check_version_editable(version)
        problems = publish_problems(version)
        if problems:
            raise ValidationError(problems)
        now = timezone.now()
        updated = PathwayVersion.objects.filter(
            pk=version.pk, status=PathwayVersion.Status.DRAFT
        ).update(status=PathwayVersion.Status.PUBLISHED, published_at=now)
        if updated != 1:
            raise ValidationError(_("This version was published a moment ago by someone else."))
        version.status, version.published_at = PathwayVersion.Status.PUBLISHED, now
        older = PathwayVersion.objects.filter(
            pathway=pathway, status=PathwayVersion.Status.PUBLISHED
        ).exclude(pk=version.pk)
        moved = moved_cohorts = 0
        if move_enrollments:
            moved = Enrollment.objects.filter(
                version__in=older, status=Enrollment.Status.ACTIVE
            ).update(version=version)
            moved_cohorts = Cohort.objects.filter(
                version__in=older,
                status__in=[Cohort.Status.PLANNED, Cohort.Status.RUNNING],
            ).update(version=version)
            if moved:
                from measurement.services import queue_progress_rollup

                queue_progress_rollup(version.organization_id)  # their steps are the new ones
        retired, kept = [], []
        for old in older.order_by("number"):
            in_use = (
                Enrollment.objects.filter(version=old, status=Enrollment.Status.ACTIVE).exists()
                or Cohort.objects.filter(
                    version=old, status__in=[Cohort.Status.PLANNED, Cohort.Status.RUNNING]
                ).exists()
            )
            if in_use:
                kept.append(old.number)
            else:
                PathwayVersion.objects.filter(pk=old.pk).update(
                    status=PathwayVersion.Status.RETIRED
                )
                retired.append(old.number)
                record_change(
                    actor,
                    "retired",
                    old,
                    before={"status": PathwayVersion.Status.PUBLISHED},
                    after={"status": PathwayVersion.Status.RETIRED},
                )
        record_change(
            actor,
            "published",
            version,
            before={"status": PathwayVersion.Status.DRAFT},
            after={
                "status": PathwayVersion.Status.PUBLISHED,
                "moved_enrollments": moved,
                "moved_cohorts": moved_cohorts,
                "retired_versions": retired,
            },
        )
    return PublishResult(version, moved, moved_cohorts, retired, kept)


def pathway_has_learners(version: PathwayVersion) -> bool:
    """True when another version of the pathway has active learners or a planned or running
    cohort (publishing then asks whether to move them to ``version``)."""
    others = PathwayVersion.objects.filter(pathway_id=version.pathway_id).exclude(pk=version.pk)
    return (
        Enrollment.objects.filter(version__in=others, status=Enrollment.Status.ACTIVE).exists()
        or Cohort.objects.filter(
            version__in=others, status__in=[Cohort.Status.PLANNED, Cohort.Status.RUNNING]
        ).exists()
    )
