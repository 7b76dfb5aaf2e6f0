"""Every write to the competency model: ``check_*`` validates, ``do_*`` changes state.

Each ``do_*`` runs inside ``transaction.atomic()`` and the caller's tenant context, and writes an
audit entry (before/after snapshots) in the same transaction, so an audit row exists exactly when
the change does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from competencies.models import (
    MAX_LEVELS,
    MIN_LEVELS,
    BehaviouralIndicator,
    Competency,
    Framework,
    PriorityAlignment,
    ProficiencyLevel,
    StrategicPriority,
)
from competencies.queries import LevelUsage, LevelView, PlaceCount, level_usage
from organizations.audit import record_change, snapshot
from organizations.integrity import refuse_duplicate
from organizations.models import User

# The default proficiency scale every new framework starts with: (value, label, descriptor).
DEFAULT_SCALE: list[tuple[int, str, str]] = [
    (
        1,
        "Foundation",
        "Knows what the competency means and recognises it in others; applies it with guidance "
        "in familiar, low-stakes situations.",
    ),
    (
        2,
        "Developing",
        "Applies it in routine situations without prompting; still inconsistent under pressure "
        "or when the situation is new.",
    ),
    (
        3,
        "Proficient",
        "Applies it reliably across most situations in their own role, including difficult "
        "ones, and adapts the approach to the people involved.",
    ),
    (
        4,
        "Advanced",
        "Applies it in complex, ambiguous or high-stakes situations and helps others in the team "
        "build the same skill.",
    ),
    (
        5,
        "Expert",
        "Sets the standard across the organisation: shapes practice beyond their own area and is "
        "sought out by other leaders for it.",
    ),
]

MIN_WEIGHT = 1
MAX_WEIGHT = 5


def _clean(text: str | None) -> str:
    return (text or "").strip()


# --------------------------------------------------------------------------------------------
# Usage: where a framework's competencies are used elsewhere in Pathwise
# --------------------------------------------------------------------------------------------


@dataclass
class Usage:
    """Where competencies are used; ``items`` maps a kind of use to the names of the users."""

    items: dict[str, list[str]] = field(default_factory=dict)

    @property
    def is_used(self) -> bool:
        return any(self.items.values())

    def describe(self, limit: int = 3) -> str:
        """One sentence per kind, e.g. ``modules (2): Feedback that lands, Ask before you tell``."""
        parts = []
        for kind, names in self.items.items():
            if not names:
                continue
            shown = ", ".join(names[:limit])
            more = len(names) - limit
            if more > 0:
                shown += " " + _("and %(count)d more") % {"count": more}
            parts.append(f"{kind} ({len(names)}): {shown}")
        return "; ".join(parts)


def competency_usage(competency_ids: list[int]) -> Usage:
    """Which modules, scenarios, pathways, templates and diagnostics use these competencies.

    One query per kind of use (eight), whatever the number of competencies.
    """
    from coaching.models import ConversationFocus
    from pathways.models import (
        ChoiceScore,
        ModuleCompetency,
        PersonalisationRule,
        RetrievalItem,
        SelfAssessment,
        VersionCompetency,
    )
    from projects.models import ProjectTemplateCompetency

    ids = list(competency_ids)
    if not ids:
        return Usage()

    def names(qs: Any, *fields: str) -> list[str]:
        rows = qs.filter(competency_id__in=ids).values_list(*fields).distinct()
        return sorted({" v".join(str(part) for part in row) for row in rows})

    usage = Usage()
    usage.items[_("modules")] = sorted(
        set(names(ModuleCompetency.objects, "module__title"))
        | set(names(RetrievalItem.objects, "module__title"))
    )
    usage.items[_("scenarios")] = names(ChoiceScore.objects, "choice__node__scenario__title")
    usage.items[_("pathway versions")] = names(
        VersionCompetency.objects, "version__pathway__name", "version__number"
    )
    usage.items[_("personalisation rules in pathway versions")] = names(
        PersonalisationRule.objects, "step__version__pathway__name", "step__version__number"
    )
    usage.items[_("project templates")] = names(
        ProjectTemplateCompetency.objects, "template__title"
    )
    usage.items[_("coaching conversation templates")] = names(
        ConversationFocus.objects, "template__title"
    )
    usage.items[_("learner self-assessments in cohorts")] = names(
        SelfAssessment.objects, "enrollment__cohort__name"
    )
    return usage


def check_competencies_unused(competency_ids: list[int], what: str) -> None:
    """Raise ``ValidationError`` naming every use when any of the competencies is in use."""
    usage = competency_usage(competency_ids)
    if usage.is_used:
        raise ValidationError(
            _(
                "%(what)s cannot be deleted because it is in use by %(uses)s. Remove it from "
                "those first; deleting it would silently change them and lose learners' data."
            )
            % {"what": what, "uses": usage.describe()}
        )


# --------------------------------------------------------------------------------------------
# Frameworks and their proficiency scale
# --------------------------------------------------------------------------------------------


def check_framework_name(name: str, *, exclude_id: int | None = None) -> str:
    name = _clean(name)
    if not name:
        raise ValidationError(_("Give the framework a name."), code="required")
    if len(name) > 200:
        raise ValidationError(_("A framework name has at most 200 characters."))
    clash = Framework.objects.filter(name__iexact=name)
    if exclude_id is not None:
        clash = clash.exclude(pk=exclude_id)
    if clash.exists():
        raise _framework_name_taken(name)
    return name


def _framework_name_taken(name: str) -> ValidationError:
    return ValidationError(
        _("A framework called “%(name)s” already exists in this organisation.") % {"name": name},
        code="duplicate",
    )


def framework_snapshot(framework: Framework) -> dict[str, Any]:
    """The framework's own fields plus its scale (for audit entries)."""
    data = snapshot(framework)
    data["levels"] = [
        {"value": lv.value, "label": lv.label, "descriptor": lv.descriptor}
        for lv in ProficiencyLevel.objects.filter(framework=framework).order_by("value")
    ]
    return data


def do_create_framework(
    actor: User | None,
    name: str,
    description: str = "",
    *,
    scale: list[tuple[int, str, str]] | None = None,
) -> Framework:
    """Create a framework with the default 1–5 scale (or ``scale``); returns it."""
    name = check_framework_name(name)
    # The check above cannot see a framework another request is creating at the same moment.
    with refuse_duplicate(Framework, "framework_unique_name_ci", _framework_name_taken(name)):
        framework = Framework.objects.create(name=name, description=_clean(description))
        ProficiencyLevel.objects.bulk_create(
            ProficiencyLevel(
                framework=framework,
                organization_id=framework.organization_id,
                value=value,
                label=label,
                descriptor=descriptor,
            )
            for value, label, descriptor in (scale or DEFAULT_SCALE)
        )
        record_change(actor, "created", framework, after=framework_snapshot(framework))
    return framework


def do_update_framework(
    actor: User | None, framework: Framework, name: str, description: str
) -> Framework:
    name = check_framework_name(name, exclude_id=framework.pk)
    with refuse_duplicate(Framework, "framework_unique_name_ci", _framework_name_taken(name)):
        before = snapshot(framework)
        framework.name = name
        framework.description = _clean(description)
        framework.save(update_fields=["name", "description"])
        record_change(actor, "updated", framework, before=before, after=snapshot(framework))
    return framework


def check_framework_deletable(framework: Framework) -> None:
    ids = list(Competency.objects.filter(framework=framework).values_list("pk", flat=True))
    usage = competency_usage(ids)
    if usage.is_used:
        raise ValidationError(
            _(
                "“%(name)s” cannot be deleted: its competencies are in use by %(uses)s. "
                "Remove the competencies from those first."
            )
            % {"name": framework.name, "uses": usage.describe()}
        )


def do_delete_framework(actor: User | None, framework: Framework) -> None:
    """Delete the framework with its scale, competencies, indicators and alignments.

    Refused (``ValidationError``) while any of its competencies is in use.
    """
    check_framework_deletable(framework)
    with transaction.atomic():
        before = framework_snapshot(framework)
        before["competencies"] = list(
            Competency.objects.filter(framework=framework).values_list("name", flat=True)
        )
        pk, name = framework.pk, framework.name
        framework.delete()
        record_change(
            actor,
            "deleted",
            before=before,
            object_type="Framework",
            object_id=pk,
            object_repr=name,
        )


def check_scale(levels: list[tuple[int, str, str]]) -> None:
    """Labels are required, at most 80 characters, and distinct within the scale."""
    seen: set[str] = set()
    for value, label, _descriptor in levels:
        label = _clean(label)
        if not label:
            raise ValidationError(_("Level %(value)d needs a label.") % {"value": value})
        if len(label) > 80:
            raise ValidationError(
                _("The label of level %(value)d has more than 80 characters.") % {"value": value}
            )
        if label.lower() in seen:
            raise ValidationError(
                _("Two levels are called “%(label)s”; each level needs its own label.")
                % {"label": label}
            )
        seen.add(label.lower())


def _lock_scale(framework: Framework) -> list[ProficiencyLevel]:
    """Lock the framework row, then read its levels in order.

    Every scale change takes this lock first, so two admins (or a double-submit) changing the
    same scale run one after the other, and the levels read after the lock are the current ones.
    Must run inside ``transaction.atomic()``.
    """
    Framework.objects.select_for_update().filter(pk=framework.pk).first()
    return list(ProficiencyLevel.objects.filter(framework=framework).order_by("value"))


def do_update_scale(
    actor: User | None, framework: Framework, changes: dict[int, tuple[str, str]]
) -> int:
    """Set label and descriptor per level value; returns how many levels changed."""
    changed: list[ProficiencyLevel] = []
    with transaction.atomic():
        levels = _lock_scale(framework)
        merged = [
            (lv.value, *changes.get(lv.value, (lv.label, lv.descriptor)))  # type: ignore[misc]
            for lv in levels
        ]
        check_scale(merged)
        before = framework_snapshot(framework)
        for level, (_value, label, descriptor) in zip(levels, merged, strict=True):
            label, descriptor = _clean(label), _clean(descriptor)
            if (level.label, level.descriptor) != (label, descriptor):
                level.label, level.descriptor = label, descriptor
                changed.append(level)
        if changed:
            ProficiencyLevel.objects.bulk_update(changed, ["label", "descriptor"])
            record_change(
                actor,
                "updated",
                framework,
                before=before,
                after=framework_snapshot(framework),
                object_repr=f"{framework.name}: proficiency scale",
            )
    return len(changed)


def _scale_changed(value: int) -> ValidationError:
    return ValidationError(
        _(
            "The scale changed since this page was opened: its top level is no longer "
            "level %(value)d. Nothing was changed; look at the scale again and retry."
        )
        % {"value": value},
        code="stale",
    )


def check_level_addable(levels: list[ProficiencyLevel], value: int, label: str) -> None:
    """A new top level ``value`` fits: the scale has room and ``value`` comes next.

    ``value`` is the level number the admin saw as next; a mismatch means the scale changed
    underneath them (or the form was sent twice), so nothing is added.
    """
    if len(levels) >= MAX_LEVELS:
        raise ValidationError(
            _("A scale has at most %(max)d levels; this one has %(n)d already.")
            % {"max": MAX_LEVELS, "n": len(levels)},
            code="full",
        )
    if value != len(levels) + 1:
        raise _scale_changed(value - 1)
    check_scale([(lv.value, lv.label, lv.descriptor) for lv in levels] + [(value, label, "")])


def do_add_level(
    actor: User | None, framework: Framework, value: int, label: str, descriptor: str = ""
) -> ProficiencyLevel:
    """Add level ``value`` (which must be the next number) at the top of the scale; audited.

    Existing ratings and thresholds keep their numbers: a 4 stays a 4, now of one more level.
    """
    label, descriptor = _clean(label), _clean(descriptor)
    with transaction.atomic():
        levels = _lock_scale(framework)
        check_level_addable(levels, value, label)
        before = framework_snapshot(framework)
        level = ProficiencyLevel.objects.create(
            framework=framework, value=value, label=label, descriptor=descriptor
        )
        record_change(
            actor,
            "level added",
            framework,
            before=before,
            after=framework_snapshot(framework),
            object_repr=f"{framework.name}: proficiency scale, level {value} “{label}”",
        )
    return level


def describe_level_usage(usage: LevelUsage, limit: int = 3) -> str:
    """E.g. ``12 learner self-assessments rate someone at it (by cohort: “Spring”: 8, …); …``."""

    def places(rows: list[PlaceCount]) -> str:
        shown = ", ".join(f"“{row.place}”: {row.count}" for row in rows[:limit])
        if len(rows) > limit:
            shown += " " + _("and %(count)d more") % {"count": len(rows) - limit}
        return shown

    parts = []
    if usage.self_assessments:
        parts.append(
            ngettext(
                "%(n)d learner self-assessment rates someone at it (by cohort: %(where)s)",
                "%(n)d learner self-assessments rate someone at it (by cohort: %(where)s)",
                usage.self_assessment_count,
            )
            % {"n": usage.self_assessment_count, "where": places(usage.self_assessments)}
        )
    if usage.rules:
        parts.append(
            ngettext(
                "%(n)d personalisation rule uses it as its threshold "
                "(by pathway version: %(where)s)",
                "%(n)d personalisation rules use it as their threshold "
                "(by pathway version: %(where)s)",
                usage.rule_count,
            )
            % {"n": usage.rule_count, "where": places(usage.rules)}
        )
    return "; ".join(parts)


def check_top_level_removable(
    levels: Sequence[ProficiencyLevel | LevelView], value: int, usage: LevelUsage
) -> None:
    """The top of ``levels`` (in order) is ``value``, the scale keeps its minimum, and no
    stored value in ``usage`` sits on it; else ``ValidationError`` says how many and where."""
    if not levels or levels[-1].value != value:
        raise _scale_changed(value)
    top = levels[-1]
    if len(levels) <= MIN_LEVELS:
        raise ValidationError(
            _(
                "A scale needs at least %(min)d levels, so level %(value)d “%(label)s” stays. "
                "To start again with a different scale, import a framework file."
            )
            % {"min": MIN_LEVELS, "value": top.value, "label": top.label},
            code="minimum",
        )
    if usage.is_used:
        raise ValidationError(
            _(
                "Level %(value)d “%(label)s” cannot be removed: %(uses)s. "
                "Removing it would leave those pointing at a level the scale no longer has. "
                "Keep the level; you can still rename it and reword its descriptor."
            )
            % {"value": top.value, "label": top.label, "uses": describe_level_usage(usage)},
            code="in_use",
        )


def do_remove_top_level(actor: User | None, framework: Framework, value: int) -> ProficiencyLevel:
    """Remove level ``value``, which must still be the top level; audited.

    Refused (``ValidationError``) below the minimum number of levels, when the top level is no
    longer ``value``, or while any self-assessment or personalisation rule stores it. Returns
    the removed level (no longer in the database).
    """
    with transaction.atomic():
        levels = _lock_scale(framework)
        # Counted after the lock, so the refusal reflects the scale being changed right now.
        usage = level_usage(framework.pk, levels[-1].value if levels else value)
        check_top_level_removable(levels, value, usage)
        top = levels[-1]
        before = framework_snapshot(framework)
        ProficiencyLevel.objects.filter(pk=top.pk).delete()
        record_change(
            actor,
            "level removed",
            framework,
            before=before,
            after=framework_snapshot(framework),
            object_repr=f"{framework.name}: proficiency scale, level {top.value} “{top.label}”",
        )
    return top


# --------------------------------------------------------------------------------------------
# Competencies and behavioural indicators
# --------------------------------------------------------------------------------------------


def check_competency(
    framework: Framework, name: str, category: str, *, exclude_id: int | None = None
) -> tuple[str, str]:
    name, category = _clean(name), _clean(category)
    if not name:
        raise ValidationError({"name": _("Give the competency a name.")})
    if len(name) > 200:
        raise ValidationError({"name": _("A competency name has at most 200 characters.")})
    if len(category) > 100:
        raise ValidationError({"category": _("A category has at most 100 characters.")})
    clash = Competency.objects.filter(framework=framework, name__iexact=name)
    if exclude_id is not None:
        clash = clash.exclude(pk=exclude_id)
    if clash.exists():
        raise _competency_name_taken(framework, name)
    return name, category


def _competency_name_taken(framework: Framework, name: str) -> ValidationError:
    return ValidationError(
        {
            "name": _("“%(framework)s” already has a competency called “%(name)s”.")
            % {"framework": framework.name, "name": name}
        }
    )


def do_create_competency(
    actor: User | None, framework: Framework, name: str, description: str = "", category: str = ""
) -> Competency:
    """Append a competency at the end of the framework's order."""
    name, category = check_competency(framework, name, category)
    taken = _competency_name_taken(framework, name)
    with refuse_duplicate(Competency, "competency_unique_name_ci", taken):
        last = Competency.objects.filter(framework=framework).aggregate(m=Max("position"))["m"]
        competency = Competency.objects.create(
            framework=framework,
            name=name,
            description=_clean(description),
            category=category,
            position=0 if last is None else last + 1,
        )
        record_change(actor, "created", competency, after=snapshot(competency))
    return competency


def do_update_competency(
    actor: User | None, competency: Competency, name: str, description: str, category: str
) -> Competency:
    name, category = check_competency(
        competency.framework, name, category, exclude_id=competency.pk
    )
    taken = _competency_name_taken(competency.framework, name)
    with refuse_duplicate(Competency, "competency_unique_name_ci", taken):
        before = snapshot(competency)
        competency.name = name
        competency.description = _clean(description)
        competency.category = category
        competency.save(update_fields=["name", "description", "category"])
        record_change(actor, "updated", competency, before=before, after=snapshot(competency))
    return competency


def competency_snapshot(competency: Competency) -> dict[str, Any]:
    data = snapshot(competency)
    data["indicators"] = list(
        BehaviouralIndicator.objects.filter(competency=competency)
        .order_by("position", "id")
        .values_list("text", flat=True)
    )
    data["priorities"] = [
        {"priority": title, "weight": weight}
        for title, weight in PriorityAlignment.objects.filter(competency=competency).values_list(
            "priority__title", "weight"
        )
    ]
    return data


def do_delete_competency(actor: User | None, competency: Competency) -> None:
    """Delete a competency with its indicators and alignments; refused while it is in use."""
    check_competencies_unused([competency.pk], f"“{competency.name}”")
    with transaction.atomic():
        before = competency_snapshot(competency)
        pk, name = competency.pk, competency.name
        competency.delete()
        record_change(
            actor,
            "deleted",
            before=before,
            object_type="Competency",
            object_id=pk,
            object_repr=name,
        )


def _move(rows: list[Any], target: Any, direction: str) -> list[Any]:
    """Renumber ``rows`` 0..n-1 with ``target`` moved one place; returns the rows that changed."""
    if direction not in {"up", "down"}:
        raise ValidationError(_("Move a row “up” or “down”."))
    index = next(i for i, row in enumerate(rows) if row.pk == target.pk)
    other = index - 1 if direction == "up" else index + 1
    if 0 <= other < len(rows):
        rows[index], rows[other] = rows[other], rows[index]
    changed = []
    for position, row in enumerate(rows):
        if row.position != position:
            row.position = position
            changed.append(row)
    return changed


def do_move_competency(actor: User | None, competency: Competency, direction: str) -> bool:
    """Move one place up or down; returns False when it is already first/last."""
    with transaction.atomic():
        rows = list(
            Competency.objects.select_for_update()
            .filter(framework_id=competency.framework_id)
            .order_by("position", "name", "pk")
        )
        before = [row.name for row in rows]
        changed = _move(rows, competency, direction)
        after = [row.name for row in rows]
        if changed:
            Competency.objects.bulk_update(changed, ["position"])
        if after == before:
            return False
        record_change(
            actor,
            "reordered",
            competency,
            before={"order": before},
            after={"order": after},
        )
    return True


def check_indicator_text(text: str) -> str:
    text = _clean(text)
    if not text:
        raise ValidationError(
            {"text": _("Describe a behaviour someone could observe, e.g. “Asks before telling”.")}
        )
    if len(text) > 300:
        raise ValidationError({"text": _("An indicator has at most 300 characters.")})
    return text


def do_add_indicator(actor: User | None, competency: Competency, text: str) -> BehaviouralIndicator:
    text = check_indicator_text(text)
    with transaction.atomic():
        # A double submit of the add form: the competency row serialises the two, and the
        # second finds the first's indicator instead of adding it again.
        Competency.objects.select_for_update().filter(pk=competency.pk).first()
        if BehaviouralIndicator.objects.filter(competency=competency, text__iexact=text).exists():
            raise ValidationError({"text": _("This competency already has this indicator.")})
        last = BehaviouralIndicator.objects.filter(competency=competency).aggregate(
            m=Max("position")
        )["m"]
        indicator = BehaviouralIndicator.objects.create(
            competency=competency, text=text, position=0 if last is None else last + 1
        )
        record_change(
            actor,
            "created",
            indicator,
            after=snapshot(indicator),
            object_repr=f"{competency.name}: {text}",
        )
    return indicator


def do_update_indicator(
    actor: User | None, indicator: BehaviouralIndicator, text: str
) -> BehaviouralIndicator:
    text = check_indicator_text(text)
    with transaction.atomic():
        before = snapshot(indicator)
        indicator.text = text
        indicator.save(update_fields=["text"])
        record_change(actor, "updated", indicator, before=before, after=snapshot(indicator))
    return indicator


def do_delete_indicator(actor: User | None, indicator: BehaviouralIndicator) -> None:
    with transaction.atomic():
        before = snapshot(indicator)
        pk, text = indicator.pk, indicator.text
        indicator.delete()
        record_change(
            actor,
            "deleted",
            before=before,
            object_type="Behavioural Indicator",
            object_id=pk,
            object_repr=text,
        )


def do_move_indicator(actor: User | None, indicator: BehaviouralIndicator, direction: str) -> bool:
    with transaction.atomic():
        rows = list(
            BehaviouralIndicator.objects.select_for_update()
            .filter(competency_id=indicator.competency_id)
            .order_by("position", "pk")
        )
        before = [row.text for row in rows]
        changed = _move(rows, indicator, direction)
        after = [row.text for row in rows]
        if changed:
            BehaviouralIndicator.objects.bulk_update(changed, ["position"])
        if after == before:
            return False
        record_change(
            actor, "reordered", indicator, before={"order": before}, after={"order": after}
        )
    return True


# --------------------------------------------------------------------------------------------
# Strategic priorities and their alignment with competencies
# --------------------------------------------------------------------------------------------


def check_priority_title(title: str, *, exclude_id: int | None = None) -> str:
    title = _clean(title)
    if not title:
        raise ValidationError({"title": _("Give the priority a title.")})
    if len(title) > 200:
        raise ValidationError({"title": _("A priority title has at most 200 characters.")})
    clash = StrategicPriority.objects.filter(title__iexact=title)
    if exclude_id is not None:
        clash = clash.exclude(pk=exclude_id)
    if clash.exists():
        raise _priority_title_taken()
    return title


def _priority_title_taken() -> ValidationError:
    return ValidationError({"title": _("A priority with this title already exists.")})


def do_create_priority(actor: User | None, title: str, description: str = "") -> StrategicPriority:
    title = check_priority_title(title)
    with refuse_duplicate(StrategicPriority, "priority_unique_title_ci", _priority_title_taken()):
        priority = StrategicPriority.objects.create(title=title, description=_clean(description))
        record_change(actor, "created", priority, after=snapshot(priority))
    return priority


def do_update_priority(
    actor: User | None, priority: StrategicPriority, title: str, description: str
) -> StrategicPriority:
    title = check_priority_title(title, exclude_id=priority.pk)
    with refuse_duplicate(StrategicPriority, "priority_unique_title_ci", _priority_title_taken()):
        before = snapshot(priority)
        priority.title = title
        priority.description = _clean(description)
        priority.save(update_fields=["title", "description"])
        record_change(actor, "updated", priority, before=before, after=snapshot(priority))
    return priority


def do_delete_priority(actor: User | None, priority: StrategicPriority) -> None:
    """Delete a priority and its links to competencies (the competencies stay)."""
    with transaction.atomic():
        before = snapshot(priority)
        before["competencies"] = [
            {"competency": name, "weight": weight}
            for name, weight in PriorityAlignment.objects.filter(priority=priority).values_list(
                "competency__name", "weight"
            )
        ]
        pk, title = priority.pk, priority.title
        priority.delete()
        record_change(
            actor,
            "deleted",
            before=before,
            object_type="Strategic Priority",
            object_id=pk,
            object_repr=title,
        )


def check_weight(weight: Any) -> int:
    try:
        value = int(weight)
    except (TypeError, ValueError):
        raise ValidationError({"weight": _("The weight is a whole number from 1 to 5.")}) from None
    if isinstance(weight, bool) or not MIN_WEIGHT <= value <= MAX_WEIGHT:
        raise ValidationError({"weight": _("The weight is a whole number from 1 to 5.")})
    return value


def _alignment_snapshot(link: PriorityAlignment) -> dict[str, Any]:
    return {
        "priority": link.priority.title,
        "competency": link.competency.name,
        "weight": link.weight,
    }


def do_set_alignment(
    actor: User | None, priority: StrategicPriority, competency: Competency, weight: Any
) -> PriorityAlignment:
    """Link ``competency`` to ``priority`` with ``weight`` (1–5), or change the weight."""
    weight = check_weight(weight)
    with transaction.atomic():
        link = (
            PriorityAlignment.objects.select_for_update()
            .filter(priority=priority, competency=competency)
            .first()
        )
        if link is None:
            link = PriorityAlignment.objects.create(
                priority=priority, competency=competency, weight=weight
            )
            record_change(
                actor,
                "linked",
                link,
                after=_alignment_snapshot(link),
                object_type="Priority Alignment",
                object_repr=f"{priority.title} ← {competency.name}",
            )
        elif link.weight != weight:
            before = _alignment_snapshot(link)
            link.weight = weight
            link.save(update_fields=["weight"])
            record_change(
                actor,
                "updated",
                link,
                before=before,
                after=_alignment_snapshot(link),
                object_type="Priority Alignment",
                object_repr=f"{priority.title} ← {competency.name}",
            )
    return link


def do_remove_alignment(actor: User | None, link: PriorityAlignment) -> None:
    with transaction.atomic():
        before = _alignment_snapshot(link)
        pk = link.pk
        repr_ = f"{link.priority.title} ← {link.competency.name}"
        link.delete()
        record_change(
            actor,
            "unlinked",
            before=before,
            object_type="Priority Alignment",
            object_id=pk,
            object_repr=repr_,
        )
