"""Every write to the module library: check_* validates, do_* changes state and audits it.

All functions run inside the tenant context (a request under ``/o/<slug>/`` or
``tenant_context(org)``); objects passed in must belong to that organisation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_slug
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from competencies.models import Competency
from organizations.audit import record_change, snapshot
from organizations.integrity import refuse_duplicate
from organizations.models import User
from pathways.library.scenario_checks import TreeProblem, find_tree_problems
from pathways.models import (
    ChoiceScore,
    Module,
    ModuleCompetency,
    ModuleTag,
    PracticeAnswer,
    PracticeTask,
    RetrievalItem,
    RetrievalOption,
    Scenario,
    ScenarioChoice,
    ScenarioDecision,
    ScenarioNode,
)

MAX_MINUTES = 15
MIN_OPTIONS = 2
MAX_OPTIONS = 6
SCORE_RANGE = range(-2, 3)
TAG_MAX_LENGTH = 100

# Starting Elo difficulty (logit scale) for the author's estimate; the practice engine learns
# the real value from answers.
DIFFICULTY_LEVELS: dict[str, float] = {"easy": -1.0, "medium": 0.0, "hard": 1.0}


def difficulty_level(value: float) -> str:
    """The author's level nearest to an Elo difficulty."""
    return min(DIFFICULTY_LEVELS, key=lambda level: abs(DIFFICULTY_LEVELS[level] - value))


# ---------------------------------------------------------------------------------------------
# Modules
# ---------------------------------------------------------------------------------------------


def parse_tags(text: str) -> list[str]:
    """Comma-separated tags, trimmed, without blanks or case-insensitive repeats, in order."""
    seen: set[str] = set()
    tags: list[str] = []
    for raw in (text or "").split(","):
        tag = " ".join(raw.split())
        if tag and tag.casefold() not in seen:
            seen.add(tag.casefold())
            tags.append(tag)
    return tags


def check_minutes(minutes: int | None) -> None:
    if minutes is None or minutes < 1:
        raise ValidationError(_("A module takes at least 1 minute."), code="minutes")
    if minutes > MAX_MINUTES:
        raise ValidationError(
            _("Micro-modules take at most 15 minutes; split longer material into two modules."),
            code="minutes",
        )


@dataclass
class ModuleData:
    title: str
    summary: str = ""
    body: str = ""
    format: str = Module.Format.READ
    minutes: int = 10
    difficulty: int = 2
    is_core: bool = True
    competency_ids: Sequence[int] = ()
    roles: Sequence[str] = ()
    functions: Sequence[str] = ()
    impacts: Sequence[str] = ()


def _module_title_taken(title: str) -> str:
    return _("Another module is called “%(title)s”.") % {"title": title}


def check_module_title(title: str, module: Module | None) -> list[str]:
    """What is wrong with ``title`` (stripped) for ``module`` (None: a new one), if anything:
    titles are unique in the library whatever their case, so a second submit of the create
    form is refused instead of making a second module."""
    if not title:
        return [_("Give the module a title.")]
    same_title = Module.objects.filter(title__iexact=title)
    if module is not None and module.pk is not None:
        same_title = same_title.exclude(pk=module.pk)
    return [_module_title_taken(title)] if same_title.exists() else []


def check_module(data: ModuleData, module: Module | None = None) -> list[Competency]:
    """Validate a module's fields (``module``: the one being edited, None when creating);
    return its competencies. Raises ValidationError by field."""
    errors: dict[str, list[str]] = {}
    if title_problems := check_module_title(data.title.strip(), module):
        errors["title"] = title_problems
    try:
        check_minutes(data.minutes)
    except ValidationError as exc:
        errors.setdefault("minutes", []).extend(exc.messages)
    if not 1 <= (data.difficulty or 0) <= 5:
        errors.setdefault("difficulty", []).append(_("Difficulty runs from 1 (easy) to 5."))
    if data.format not in Module.Format.values:
        errors.setdefault("format", []).append(_("Choose read, watch, listen or exercise."))
    for field, tags in (
        ("roles", data.roles),
        ("functions", data.functions),
        ("impacts", data.impacts),
    ):
        too_long = [t for t in tags if len(t) > TAG_MAX_LENGTH]
        if too_long:
            errors.setdefault(field, []).append(
                _("Tags are at most %(n)d characters: “%(tag)s…” is longer.")
                % {"n": TAG_MAX_LENGTH, "tag": too_long[0][:30]}
            )
    competencies = list(Competency.objects.filter(pk__in=set(data.competency_ids)))
    if len(competencies) != len(set(data.competency_ids)):
        errors.setdefault("competencies", []).append(_("Choose competencies of this organisation."))
    if errors:
        raise ValidationError(errors)
    return competencies


def module_snapshot(module: Module) -> dict[str, Any]:
    data = snapshot(module, ["title", "summary", "body", "format", "minutes", "difficulty"])
    data.update(snapshot(module, ["is_core", "status"]))
    data["competencies"] = sorted(
        Competency.objects.filter(
            pk__in=ModuleCompetency.objects.filter(module=module).values("competency_id")
        ).values_list("name", flat=True)
    )
    data["tags"] = [
        f"{kind}:{value}"
        for kind, value in module.tags.order_by("kind", "value").values_list("kind", "value")
    ]
    return data


def do_save_module(actor: User | None, module: Module | None, data: ModuleData) -> Module:
    """Create (``module=None``) or update a module with its competencies and tags. A title
    another module has (in any case) is refused, also when two saves race past the check."""
    taken = ValidationError({"title": [_module_title_taken(data.title.strip())]})
    with refuse_duplicate(Module, "module_unique_title_ci", taken):
        competencies = check_module(data, module)
        before = module_snapshot(module) if module is not None else None
        if module is None:
            module = Module(status=Module.Status.DRAFT)
        module.title = data.title.strip()
        module.summary = data.summary.strip()
        module.body = data.body
        module.format = data.format
        module.minutes = data.minutes
        module.difficulty = data.difficulty
        module.is_core = data.is_core
        module.updated_at = timezone.now()
        module.save()
        wanted = {c.pk for c in competencies}
        ModuleCompetency.objects.filter(module=module).exclude(competency_id__in=wanted).delete()
        have = set(
            ModuleCompetency.objects.filter(module=module).values_list("competency_id", flat=True)
        )
        ModuleCompetency.objects.bulk_create(
            [
                ModuleCompetency(
                    organization_id=module.organization_id, module=module, competency_id=pk
                )
                for pk in sorted(wanted - have)
            ]
        )
        wanted_tags = {
            (kind, tag)
            for kind, tags in (
                (ModuleTag.Kind.ROLE, data.roles),
                (ModuleTag.Kind.FUNCTION, data.functions),
                (ModuleTag.Kind.IMPACT, data.impacts),
            )
            for tag in tags
        }
        existing = {(t.kind, t.value): t.pk for t in module.tags.all()}
        stale = [pk for key, pk in existing.items() if key not in wanted_tags]
        if stale:
            ModuleTag.objects.filter(pk__in=stale).delete()
        ModuleTag.objects.bulk_create(
            [
                ModuleTag(organization_id=module.organization_id, module=module, kind=k, value=v)
                for k, v in sorted(wanted_tags - set(existing))
            ]
        )
        after = module_snapshot(module)
        if before is None:
            record_change(actor, "created", module, after=after)
        elif before != after:
            record_change(actor, "updated", module, before=before, after=after)
    return module


PUBLISH_REASON_MIN_LENGTH = 10


def missing_for_learners(module: Module) -> list[str]:
    """What the library promises learners that the module lacks: its practice task and its
    retrieval questions (the spaced reviews), as phrases for "Add … before publishing"."""
    missing = []
    if not PracticeTask.objects.filter(module=module).exists():
        missing.append(_("a practice task"))
    if not RetrievalItem.objects.filter(module=module).exists():
        missing.append(_("retrieval questions"))
    return missing


def check_can_set_module_status(module: Module, status: str, reason: str = "") -> None:
    """Publishing needs a body and a summary; a module without its practice task or retrieval
    questions publishes only with a stated reason (kept in the audit log)."""
    if status not in Module.Status.values:
        raise ValidationError(_("Unknown status."))
    if status == module.status:
        raise ValidationError(
            _("“%(title)s” is already %(status)s.")
            % {"title": module.title, "status": module.get_status_display().lower()}
        )
    if status == Module.Status.PUBLISHED:
        missing = []
        if not module.body.strip():
            missing.append(_("a body"))
        if not module.summary.strip():
            missing.append(_("a summary"))
        if missing:
            raise ValidationError(
                _("Add %(missing)s before publishing: learners see both.")
                % {"missing": _(" and ").join(missing)}
            )
        lacking = missing_for_learners(module)
        if lacking and len(reason.strip()) < PUBLISH_REASON_MIN_LENGTH:
            raise ValidationError(
                {
                    "reason": [
                        _(
                            "It lacks %(missing)s, which the library promises learners. Add "
                            "them, or say why it should be published without them (at least "
                            "%(n)s characters)."
                        )
                        % {"missing": _(" and ").join(lacking), "n": PUBLISH_REASON_MIN_LENGTH}
                    ]
                }
            )


STATUS_ACTIONS: dict[str, str] = {
    Module.Status.PUBLISHED: "published",
    Module.Status.RETIRED: "retired",
    Module.Status.DRAFT: "moved to draft",
}


def do_set_module_status(
    actor: User | None, module: Module, status: str, reason: str = ""
) -> Module:
    """Publish, retire or move a module back to draft (compare-and-set on the old status).
    ``reason`` explains publishing a module that lacks its practice task or retrieval
    questions; it is recorded with the change."""
    with transaction.atomic():
        check_can_set_module_status(module, status, reason)
        old = module.status
        changed = Module.objects.filter(pk=module.pk, status=old).update(
            status=status, updated_at=timezone.now()
        )
        if not changed:
            raise ValidationError(_("Someone else changed this module; reload and try again."))
        module.status = status
        after: dict[str, str] = {"status": status}
        if status == Module.Status.PUBLISHED and reason.strip():
            after["reason"] = reason.strip()
        record_change(actor, STATUS_ACTIONS[status], module, before={"status": old}, after=after)
    return module


# ---------------------------------------------------------------------------------------------
# Practice task
# ---------------------------------------------------------------------------------------------


def do_save_practice_task(
    actor: User | None, module: Module, kind: str, prompt: str
) -> PracticeTask:
    """Set the module's one practice task (created on first save)."""
    prompt = prompt.strip()
    if kind not in PracticeTask.Kind.values:
        raise ValidationError({"kind": [_("Choose a written answer or an action plan.")]})
    if not prompt:
        raise ValidationError({"prompt": [_("Write the prompt the learner answers.")]})
    with transaction.atomic():
        task = PracticeTask.objects.filter(module=module).first()
        before = snapshot(task, ["kind", "prompt"]) if task else None
        if task is None:
            task = PracticeTask(module=module)
        task.kind, task.prompt = kind, prompt
        task.save()
        after = snapshot(task, ["kind", "prompt"])
        if before != after:
            record_change(
                actor,
                "created" if before is None else "updated",
                task,
                before=before,
                after=after,
                object_repr=_("Practice task of “%(title)s”") % {"title": module.title},
            )
    return task


def check_can_delete_practice_task(task: PracticeTask) -> None:
    """Learners' answers are their evidence: a task they have answered is kept."""
    answered = PracticeAnswer.objects.filter(task=task).count()
    if answered:
        raise ValidationError(
            ngettext(
                "%(n)s learner has answered this practice task, and removing it would delete "
                "their answer. Edit the prompt instead, or retire the module.",
                "%(n)s learners have answered this practice task, and removing it would delete "
                "their answers. Edit the prompt instead, or retire the module.",
                answered,
            )
            % {"n": answered}
        )


def do_delete_practice_task(actor: User | None, module: Module) -> None:
    with transaction.atomic():
        task = PracticeTask.objects.select_for_update().filter(module=module).first()
        if task is None:
            return
        check_can_delete_practice_task(task)
        before = snapshot(task, ["kind", "prompt"])
        record_change(
            actor,
            "deleted",
            task,
            before=before,
            object_repr=_("Practice task of “%(title)s”") % {"title": module.title},
        )
        task.delete()


# ---------------------------------------------------------------------------------------------
# Retrieval items
# ---------------------------------------------------------------------------------------------


@dataclass
class OptionData:
    text: str
    is_correct: bool = False
    feedback: str = ""


@dataclass
class RetrievalItemData:
    kind: str
    prompt: str
    level: str = "medium"
    competency_id: int | None = None
    model_answer: str = ""
    options: Sequence[OptionData] = ()


def check_retrieval_item(data: RetrievalItemData) -> list[OptionData]:
    """Validate an item; return the options to store (blank rows dropped)."""
    errors: dict[str, list[str]] = {}
    if not data.prompt.strip():
        errors.setdefault("prompt", []).append(_("Write the question."))
    if data.level not in DIFFICULTY_LEVELS:
        errors.setdefault("level", []).append(_("Choose easy, medium or hard."))
    if (
        data.competency_id is not None
        and not Competency.objects.filter(pk=data.competency_id).exists()
    ):
        errors.setdefault("competency", []).append(_("Choose a competency of this organisation."))
    options = [o for o in data.options if o.text.strip() or o.feedback.strip() or o.is_correct]
    if data.kind == RetrievalItem.Kind.MULTIPLE_CHOICE:
        problems: list[str] = []
        if len(options) < MIN_OPTIONS:
            problems.append(_("A multiple-choice question needs at least two options."))
        if len(options) > MAX_OPTIONS:
            problems.append(_("A multiple-choice question has at most six options."))
        for number, option in enumerate(options, start=1):
            if not option.text.strip():
                problems.append(
                    _("Option %(n)d has feedback or a tick but no text.") % {"n": number}
                )
            elif not option.feedback.strip():
                problems.append(
                    _("Option %(n)d (“%(text)s”) needs feedback: say why it is right or wrong.")
                    % {"n": number, "text": option.text.strip()[:40]}
                )
        if options and not any(o.is_correct for o in options):
            problems.append(_("Mark at least one option as correct."))
        if problems:
            errors.setdefault("options", []).extend(problems)
    elif data.kind == RetrievalItem.Kind.FREE_RECALL:
        if not data.model_answer.strip():
            errors.setdefault("model_answer", []).append(
                _("Free recall needs a model answer: learners compare theirs with it.")
            )
        options = []
    else:
        errors.setdefault("kind", []).append(_("Choose multiple choice or free recall."))
    if errors:
        raise ValidationError(errors)
    return options


def _item_snapshot(item: RetrievalItem) -> dict[str, Any]:
    data = snapshot(item, ["kind", "prompt", "model_answer", "difficulty", "competency"])
    data["options"] = [
        {"text": o.text, "is_correct": o.is_correct, "feedback": o.feedback}
        for o in item.options.order_by("position", "id")
    ]
    return data


def do_save_retrieval_item(
    actor: User | None, module: Module, item: RetrievalItem | None, data: RetrievalItemData
) -> RetrievalItem:
    """Create or update a retrieval item and replace its options. Changing the level resets
    the learned difficulty to the author's new estimate."""
    with transaction.atomic():
        options = check_retrieval_item(data)
        before = _item_snapshot(item) if item is not None else None
        if item is None:
            # A double submit of the add form: the module row serialises the two, and the
            # second finds the first's question instead of adding it again.
            Module.objects.select_for_update().filter(pk=module.pk).first()
            if RetrievalItem.objects.filter(
                module=module, prompt__iexact=data.prompt.strip()
            ).exists():
                raise ValidationError({"prompt": [_("This module already asks this question.")]})
            last = RetrievalItem.objects.filter(module=module).order_by("-position").first()
            item = RetrievalItem(module=module, position=(last.position + 1) if last else 0)
        if item.pk is None or difficulty_level(item.difficulty) != data.level:
            item.difficulty = DIFFICULTY_LEVELS[data.level]
            item.difficulty_updates = 0
        item.kind = data.kind
        item.prompt = data.prompt.strip()
        item.model_answer = data.model_answer.strip()
        item.competency_id = data.competency_id
        item.save()
        item.options.all().delete()
        RetrievalOption.objects.bulk_create(
            [
                RetrievalOption(
                    organization_id=item.organization_id,
                    item=item,
                    text=o.text.strip(),
                    is_correct=o.is_correct,
                    feedback=o.feedback.strip(),
                    position=position,
                )
                for position, o in enumerate(options)
            ]
        )
        after = _item_snapshot(item)
        if before != after:
            record_change(
                actor, "created" if before is None else "updated", item, before=before, after=after
            )
    return item


def do_delete_retrieval_item(actor: User | None, item: RetrievalItem) -> None:
    with transaction.atomic():
        record_change(actor, "deleted", item, before=_item_snapshot(item))
        item.delete()


# ---------------------------------------------------------------------------------------------
# Scenarios
# ---------------------------------------------------------------------------------------------


def check_scenario_tree(scenario: Scenario) -> list[TreeProblem]:
    """Every structural problem of the scenario's tree, each naming its node (3 queries)."""
    nodes = list(ScenarioNode.objects.filter(scenario=scenario).order_by("position", "id"))
    choices = list(
        ScenarioChoice.objects.filter(node__scenario=scenario).order_by("position", "id")
    )
    return find_tree_problems(nodes, choices, scenario.start_node_id)


def _scenario_snapshot(scenario: Scenario) -> dict[str, Any]:
    return snapshot(scenario, ["title", "summary", "module", "start_node", "status"])


def _guard_published(scenario: Scenario) -> None:
    """A published scenario must stay playable: refuse an edit that breaks its tree."""
    if scenario.status != Scenario.Status.PUBLISHED:
        return
    problems = check_scenario_tree(scenario)
    if problems:
        raise ValidationError(
            [_("This scenario is published and the change would break it:")]
            + [p.message for p in problems]
            + [_("Move it back to draft to rework the tree.")]
        )


def check_scenario_title(title: str, scenario: Scenario | None) -> list[str]:
    """What is wrong with ``title`` (stripped) for ``scenario`` (None: a new one), if anything."""
    if not title:
        return [_("Give the scenario a title.")]
    same_title = Scenario.objects.filter(title__iexact=title)
    if scenario is not None:
        same_title = same_title.exclude(pk=scenario.pk)
    return [_scenario_title_taken(title)] if same_title.exists() else []


def _scenario_title_taken(title: str) -> str:
    return _("Another scenario is called “%(title)s”.") % {"title": title}


def do_save_scenario(
    actor: User | None,
    scenario: Scenario | None,
    *,
    title: str,
    summary: str = "",
    module_id: int | None = None,
    start_node_id: int | None = None,
) -> Scenario:
    title = title.strip()
    errors: dict[str, list[str]] = {}
    if title_problems := check_scenario_title(title, scenario):
        errors["title"] = title_problems
    if module_id is not None and not Module.objects.filter(pk=module_id).exists():
        errors["module"] = [_("Choose a module of this library.")]
    if start_node_id is not None and (
        scenario is None
        or not ScenarioNode.objects.filter(pk=start_node_id, scenario=scenario).exists()
    ):
        errors["start_node"] = [_("The start must be one of this scenario's situations.")]
    if errors:
        raise ValidationError(errors)
    # The check above cannot see a scenario another request is saving at the same moment.
    taken = ValidationError({"title": [_scenario_title_taken(title)]})
    with refuse_duplicate(Scenario, "scenario_unique_title_ci", taken):
        before = _scenario_snapshot(scenario) if scenario is not None else None
        if scenario is None:
            scenario = Scenario(status=Scenario.Status.DRAFT)
        scenario.title, scenario.summary = title, summary.strip()
        scenario.module_id, scenario.start_node_id = module_id, start_node_id
        scenario.save()
        _guard_published(scenario)
        after = _scenario_snapshot(scenario)
        if before != after:
            record_change(
                actor,
                "created" if before is None else "updated",
                scenario,
                before=before,
                after=after,
            )
    return scenario


def _node_snapshot(node: ScenarioNode) -> dict[str, Any]:
    return snapshot(node, ["scenario", "key", "text", "is_ending", "debrief"])


def do_save_node(
    actor: User | None,
    scenario: Scenario,
    node: ScenarioNode | None,
    *,
    key: str,
    text: str,
    is_ending: bool = False,
    debrief: str = "",
) -> ScenarioNode:
    """Create or update a situation or ending. The first node becomes the start node."""
    key = key.strip().lower()
    errors: dict[str, list[str]] = {}
    try:
        validate_slug(key)
    except ValidationError:
        errors["key"] = [_("Use letters, numbers, hyphens or underscores, e.g. “first-reply”.")]
    else:
        clash = ScenarioNode.objects.filter(scenario=scenario, key=key)
        if node is not None:
            clash = clash.exclude(pk=node.pk)
        if clash.exists():
            errors["key"] = [_("This scenario already has a node “%(key)s”.") % {"key": key}]
    if not text.strip():
        errors["text"] = [_("Describe the situation the learner faces.")]
    if is_ending and not debrief.strip():
        errors["debrief"] = [_("An ending needs a debrief: what happened and what to take away.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        before = _node_snapshot(node) if node is not None else None
        if node is None:
            last = ScenarioNode.objects.filter(scenario=scenario).order_by("-position").first()
            node = ScenarioNode(scenario=scenario, position=(last.position + 1) if last else 0)
        node.key, node.text, node.is_ending, node.debrief = (
            key,
            text.strip(),
            is_ending,
            debrief.strip(),
        )
        node.save()
        if scenario.start_node_id is None:
            Scenario.objects.filter(pk=scenario.pk).update(start_node=node)
            scenario.start_node_id = node.pk
        _guard_published(scenario)
        after = _node_snapshot(node)
        if before != after:
            record_change(
                actor,
                "created" if before is None else "updated",
                node,
                before=before,
                after=after,
                object_repr=f"{scenario.title} · {node.key}",
            )
    return node


def check_no_decisions(decisions: QuerySet[ScenarioDecision], what: str) -> None:
    """Learners' decisions are their evidence; what they were made at or on is kept."""
    n = decisions.count()
    if n:
        raise ValidationError(
            ngettext(
                "%(n)s learner decision depends on this %(what)s; deleting it would delete "
                "that evidence. Edit its text instead, or retire the scenario.",
                "%(n)s learner decisions depend on this %(what)s; deleting it would delete "
                "that evidence. Edit its text instead, or retire the scenario.",
                n,
            )
            % {"n": n, "what": what}
        )


def do_delete_node(actor: User | None, node: ScenarioNode) -> None:
    """Delete a node; choices that led to it now lead nowhere (the checks will say so)."""
    scenario = node.scenario
    with transaction.atomic():
        check_no_decisions(
            ScenarioDecision.objects.filter(Q(node=node) | Q(choice__node=node)), _("situation")
        )
        record_change(
            actor,
            "deleted",
            node,
            before=_node_snapshot(node),
            object_repr=f"{scenario.title} · {node.key}",
        )
        node.delete()
        scenario.refresh_from_db(fields=["start_node"])
        _guard_published(scenario)


@dataclass
class ChoiceData:
    text: str
    next_node_id: int | None = None
    feedback: str = ""
    is_effective: bool = False
    scores: dict[int, int] | None = None  # competency id -> -2..+2


def _choice_snapshot(choice: ScenarioChoice) -> dict[str, Any]:
    data = snapshot(choice, ["node", "text", "next_node", "feedback", "is_effective"])
    data["scores"] = {
        str(cid): score
        for cid, score in ChoiceScore.objects.filter(choice=choice)
        .order_by("competency_id")
        .values_list("competency_id", "score")
    }
    return data


def check_choice(node: ScenarioNode, data: ChoiceData) -> dict[int, int]:
    errors: dict[str, list[str]] = {}
    if node.is_ending:
        errors["text"] = [
            _("“%(key)s” is an ending: an ending offers no choices.") % {"key": node.key}
        ]
    if not data.text.strip():
        errors.setdefault("text", []).append(_("Write what the learner could do."))
    if not data.feedback.strip():
        errors["feedback"] = [_("Say what this choice leads to and why: learners learn from it.")]
    if data.next_node_id is None:
        errors["next_node"] = [_("Choose where this choice leads.")]
    elif not ScenarioNode.objects.filter(
        pk=data.next_node_id, scenario_id=node.scenario_id
    ).exists():
        errors["next_node"] = [_("The next node must belong to this scenario.")]
    scores = {cid: s for cid, s in (data.scores or {}).items() if s is not None}
    if any(s not in SCORE_RANGE for s in scores.values()):
        errors["scores"] = [_("Scores run from −2 to +2.")]
    if scores and Competency.objects.filter(pk__in=scores).count() != len(scores):
        errors["scores"] = [_("Score only competencies of this organisation.")]
    if errors:
        raise ValidationError(errors)
    return {cid: s for cid, s in scores.items() if s != 0}


def do_save_choice(
    actor: User | None, node: ScenarioNode, choice: ScenarioChoice | None, data: ChoiceData
) -> ScenarioChoice:
    with transaction.atomic():
        scores = check_choice(node, data)
        before = _choice_snapshot(choice) if choice is not None else None
        if choice is None:
            # A double submit of the add form: the situation's row serialises the two, and the
            # second finds the first's choice instead of adding it again.
            ScenarioNode.objects.select_for_update().filter(pk=node.pk).first()
            if ScenarioChoice.objects.filter(node=node, text__iexact=data.text.strip()).exists():
                raise ValidationError({"text": [_("This situation already offers this choice.")]})
            last = ScenarioChoice.objects.filter(node=node).order_by("-position").first()
            choice = ScenarioChoice(node=node, position=(last.position + 1) if last else 0)
        choice.text = data.text.strip()
        choice.next_node_id = data.next_node_id
        choice.feedback = data.feedback.strip()
        choice.is_effective = data.is_effective
        choice.save()
        ChoiceScore.objects.filter(choice=choice).delete()
        ChoiceScore.objects.bulk_create(
            [
                ChoiceScore(
                    organization_id=choice.organization_id,
                    choice=choice,
                    competency_id=cid,
                    score=s,
                )
                for cid, s in sorted(scores.items())
            ]
        )
        _guard_published(node.scenario)
        after = _choice_snapshot(choice)
        if before != after:
            record_change(
                actor,
                "created" if before is None else "updated",
                choice,
                before=before,
                after=after,
                object_repr=f"{node.scenario.title} · {node.key} · {choice.text}",
            )
    return choice


def do_delete_choice(actor: User | None, choice: ScenarioChoice) -> None:
    node = choice.node
    with transaction.atomic():
        check_no_decisions(ScenarioDecision.objects.filter(choice=choice), _("choice"))
        record_change(
            actor,
            "deleted",
            choice,
            before=_choice_snapshot(choice),
            object_repr=f"{node.scenario.title} · {node.key} · {choice.text}",
        )
        choice.delete()
        _guard_published(node.scenario)


def do_set_scenario_status(actor: User | None, scenario: Scenario, status: str) -> Scenario:
    """Publish (only a sound tree), retire or move back to draft."""
    if status not in Scenario.Status.values:
        raise ValidationError(_("Unknown status."))
    with transaction.atomic():
        if status == Scenario.Status.PUBLISHED:
            problems = check_scenario_tree(scenario)
            if problems:
                raise ValidationError(
                    [_("The scenario cannot be published yet:")] + [p.message for p in problems]
                )
        old = scenario.status
        if old == status:
            raise ValidationError(
                _("The scenario is already %(s)s.") % {"s": scenario.get_status_display().lower()}
            )
        if not Scenario.objects.filter(pk=scenario.pk, status=old).update(status=status):
            raise ValidationError(_("Someone else changed this scenario; reload and try again."))
        scenario.status = status
        record_change(
            actor,
            STATUS_ACTIONS[status],
            scenario,
            before={"status": old},
            after={"status": status},
        )
    return scenario
