"""Reads for learner and admin pages: plain dataclasses, a fixed number of queries."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypedDict

from django.db import connection
from django.db.models import (
    Exists,
    OuterRef,
    QuerySet,
)
from django.utils import timezone
from django.utils.translation import gettext as _

from organizations.models import Membership
from organizations.raw_queries import date_of, fetch_rows, moment_of, moment_param, tenant_id
from organizations.relative_dates import org_today, relative_day_with_date
from pathways.models import (
    Cohort,
    ElectiveChoice,
    ElectiveGroup,
    Enrollment,
    PersonalisationRule,
    SelfAssessment,
    Step,
    StepCompletion,
    VersionCompetency,
)
from pathways.rules import (
    INCLUDE_IF_AT_LEAST,
    INCLUDE_IF_BELOW,
    SOURCE_360,
    Rule,
    rule_rating,
    step_applies,
)

# How long a learner may take back a completion they made by mistake. Long enough to notice
# the slip, short enough that coaches and sponsors can trust what they read afterwards.
UNDO_WINDOW = dt.timedelta(minutes=15)
# A stage or pathway finished this recently is celebrated on the learner's home.
CELEBRATION_DAYS = 7

# Step states, in the words the learner sees beside each step.
DONE, AVAILABLE, LOCKED, SKIPPED, CHOOSE, NOT_CHOSEN = (
    "done",
    "available",
    "locked",
    "skipped",
    "choose",
    "not_chosen",
)

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

    class _VersionFacts(TypedDict):
        has_competencies: bool

    # An enrolment as ``enrollments_in_progress`` loads it.
    type LoadedEnrollment = WithAnnotations[Enrollment, _VersionFacts]


@dataclass
class StepView:
    id: int
    key: str
    title: str
    kind: str
    kind_label: str
    minutes: int | None
    state: str  # done | available | locked | skipped | choose | not_chosen
    reason: str
    stage: str
    opens_on: dt.date | None
    module_id: int | None = None
    stage_id: int | None = None
    due_on: dt.date | None = None
    overdue: bool = False
    elective_group_id: int | None = None
    completed_at: dt.datetime | None = None
    # What the pathway card shows, filled by ``pathways.learning.queries.with_card_text``.
    url: str = ""
    project_url: str = ""
    due_note: str = ""
    open_label: str = ""
    row_html: str = ""  # the step's row on the home's pathway card (``with_card_text``)

    @property
    def required(self) -> bool:
        return self.state not in (SKIPPED, NOT_CHOSEN)


@dataclass
class StageView:
    title: str
    steps: list[StepView] = field(default_factory=list)
    id: int | None = None
    progress_label: str = ""  # filled by ``pathways.learning.queries.with_card_text``

    @property
    def done(self) -> int:
        return sum(1 for s in self.steps if s.state == DONE)

    # Steps this learner must take here: k (not n) for an elective group still to choose.
    required: int = 0

    @property
    def finished(self) -> bool:
        return self.done > 0 and all(s.state in (DONE, SKIPPED, NOT_CHOSEN) for s in self.steps)

    @property
    def finished_at(self) -> dt.datetime | None:
        times = [s.completed_at for s in self.steps if s.completed_at is not None]
        return max(times) if self.finished and times else None


@dataclass
class ElectiveOption:
    key: str
    step_id: int
    title: str
    chosen: bool
    done: bool
    skipped: bool


@dataclass
class ElectiveGroupView:
    id: int
    title: str
    choose: int
    options: list[ElectiveOption]

    @property
    def picked(self) -> int:
        return sum(1 for o in self.options if o.chosen or o.done)

    @property
    def needed(self) -> int:
        """How many steps the learner must take from this group (fewer when rules skip some)."""
        return min(self.choose, sum(1 for o in self.options if not o.skipped or o.done))

    @property
    def pending(self) -> bool:
        return self.picked < self.needed

    @property
    def locked(self) -> bool:
        """Choices are fixed once a chosen step is done."""
        return any(o.done for o in self.options)


@dataclass
class Celebration:
    kind: str  # stage | pathway
    title: str
    pathway: str
    finished_at: dt.datetime


@dataclass
class EnrollmentView:
    id: int
    pathway: str
    cohort: str
    stages: list[StageView]
    steps_total: int
    steps_done: int
    next_step: StepView | None
    completed: bool
    version_id: int = 0
    elective_groups: list[ElectiveGroupView] = field(default_factory=list)
    needs_diagnostic: bool = False
    finished_at: dt.datetime | None = None
    # Filled by ``pathways.learning.queries.with_card_text``.
    diagnostic_url: str = ""
    electives_url: str = ""
    card_html: str = ""  # the home's pathway card below its news (``with_card_text``)

    @property
    def percent(self) -> int:
        return round(100 * self.steps_done / self.steps_total) if self.steps_total else 0

    @property
    def steps(self) -> list[StepView]:
        return [s for stage in self.stages for s in stage.steps]

    @property
    def pending_electives(self) -> list[ElectiveGroupView]:
        return [g for g in self.elective_groups if g.pending]

    @property
    def overdue(self) -> list[StepView]:
        return [s for s in self.steps if s.overdue]


@dataclass(frozen=True)
class RuleView:
    rule: Rule
    competency: str


def _skip_reason(
    rules: Iterable[RuleView],
    baseline: Mapping[int, int],
    others: Mapping[int, float] | None = None,
) -> str | None:
    """The learner-facing reason the first excluding rule gives, or None when the step applies."""
    for view in rules:
        if step_applies([view.rule], baseline, others):
            continue
        rating = rule_rating(view.rule, baseline, others)
        values = {
            "competency": view.competency,
            "rating": f"{rating:.1f}" if view.rule.source == SOURCE_360 else rating,
            "threshold": view.rule.threshold,
        }
        if view.rule.action == INCLUDE_IF_AT_LEAST:
            return (
                _(
                    "Skipped for now: this stretch step is for a baseline of %(threshold)s or "
                    "more on %(competency)s; yours is %(rating)s"
                )
                % values
            )
        return _("Skipped: your baseline on %(competency)s is already %(rating)s") % values
    return None


@dataclass(slots=True)
class StepRow:
    """A step of a version as the learner's pages read it (``_STEPS_SQL``): its own columns
    and what they show of its stage, module, template and elective group."""

    pk: int
    version_id: int
    key: str
    kind: str
    kind_label: str
    display_title: str
    stage_id: int | None
    stage_title: str
    module_id: int | None
    minutes: int | None
    elective_group_id: int | None
    group_title: str
    group_choose: int
    available_offset_days: int
    due_offset_days: int | None


def step_states(
    steps: list[StepRow],
    done_keys: Iterable[str] | Mapping[str, dt.datetime | None],
    start: dt.date,
    today: dt.date,
    *,
    prerequisites: Mapping[int, list[int]] | None = None,
    rules: Mapping[int, list[RuleView]] | None = None,
    baseline: Mapping[int, int] | None = None,
    chosen: Iterable[str] = (),
    others: Mapping[int, float] | None = None,
) -> list[StepView]:
    """Each step's state for one learner. ``steps`` come in pathway order (stage, position).

    - A step a personalisation rule excludes (given ``baseline``) is skipped.
    - In an elective group (choose k of n) the learner's chosen steps are required; once k are
      chosen (or done) the others are not chosen; before that they wait for a choice.
    - A step waits for its explicit prerequisites, or by default for the previous step that is
      still in play (skipped and unchosen steps count as satisfied).
    - A step opens ``available_offset_days`` after ``start``; it is overdue once
      ``due_offset_days`` have passed and it is not done.
    """
    done = dict(done_keys) if isinstance(done_keys, Mapping) else dict.fromkeys(done_keys)
    prerequisites = prerequisites or {}
    rules = rules or {}
    baseline = baseline or {}
    chosen_keys = set(chosen)

    skip_reasons: dict[int, str] = {}
    for step in steps:
        reason = _skip_reason(rules.get(step.pk, ()), baseline, others)
        if reason is not None and step.key not in done:
            skip_reasons[step.pk] = reason

    # Elective groups: picks are chosen-and-applicable or done steps.
    group_steps: dict[int, list[StepRow]] = defaultdict(list)
    for step in steps:
        if step.elective_group_id is not None:
            group_steps[step.elective_group_id].append(step)
    group_open: dict[int, bool] = {}
    picked: set[int] = set()
    for group_id, members in group_steps.items():
        picks = [
            s
            for s in members
            if s.key in done or (s.key in chosen_keys and s.pk not in skip_reasons)
        ]
        picked.update(s.pk for s in picks)
        needed = min(members[0].group_choose, sum(1 for s in members if s.pk not in skip_reasons))
        group_open[group_id] = len(picks) < needed

    status: dict[int, str] = {}
    for step in steps:
        if step.key in done or step.pk in picked:
            status[step.pk] = "required"
        elif step.pk in skip_reasons:
            status[step.pk] = SKIPPED
        elif step.elective_group_id is not None:
            status[step.pk] = CHOOSE if group_open[step.elective_group_id] else NOT_CHOSEN
        else:
            status[step.pk] = "required"

    by_id = {s.pk: s for s in steps}

    def satisfied(step_id: int) -> bool:
        step_status = status.get(step_id)
        if step_status is None:  # a prerequisite outside this version cannot block
            return True
        return step_status in (SKIPPED, NOT_CHOSEN) or keys[step_id] in done

    translated: dict[str, str] = {}  # each message translated once for the steps

    def blocker_text(step_id: int) -> str:
        if status[step_id] == CHOOSE:
            message = translated.get("group") or translated.setdefault(
                "group", _("After you choose in “%(group)s”")
            )
            return message % {"group": by_id[step_id].group_title}
        message = translated.get("step") or translated.setdefault("step", _("After “%(step)s”"))
        return message % {"step": by_id[step_id].display_title}

    keys = {s.pk: s.key for s in steps}
    views: list[StepView] = []
    previous_in_play: int | None = None
    for step in steps:
        key = keys[step.pk]
        opens_on = start + dt.timedelta(days=step.available_offset_days)
        due_on = (
            start + dt.timedelta(days=step.due_offset_days)
            if step.due_offset_days is not None
            else None
        )
        step_status = status[step.pk]
        if key in done:
            state, reason = DONE, ""
        elif step_status == SKIPPED:
            state, reason = SKIPPED, skip_reasons[step.pk]
        elif step_status == NOT_CHOSEN:
            state = NOT_CHOSEN
            reason = _("Not chosen in “%(group)s”") % {"group": step.group_title}
        else:
            explicit = prerequisites.get(step.pk)
            if explicit:
                blockers = [r for r in explicit if not satisfied(r)]
            elif previous_in_play is not None and not satisfied(previous_in_play):
                blockers = [previous_in_play]
            else:
                blockers = []
            if step_status == CHOOSE:
                state = CHOOSE
                reason = _("Choose %(k)s of %(n)s in “%(group)s”") % {
                    "k": step.group_choose,
                    "n": sum(1 for s in steps if s.elective_group_id == step.elective_group_id),
                    "group": step.group_title,
                }
            elif opens_on > today:
                state = LOCKED
                # Translators: "when" is relative with the exact date: "in 3 days (6 Dec)".
                reason = _("Opens %(when)s") % {"when": relative_day_with_date(opens_on, today)}
            elif blockers:
                state, reason = LOCKED, blocker_text(blockers[0])
            else:
                state, reason = AVAILABLE, ""
        if step_status != SKIPPED and step_status != NOT_CHOSEN:
            previous_in_play = step.pk
        overdue = state in (AVAILABLE, LOCKED, CHOOSE) and due_on is not None and due_on < today
        views.append(
            StepView(
                id=step.pk,
                key=key,
                title=step.display_title,
                kind=step.kind,
                kind_label=step.kind_label,
                minutes=step.minutes,
                state=state,
                reason=reason,
                stage=step.stage_title,
                stage_id=step.stage_id,
                opens_on=opens_on,
                module_id=step.module_id,
                due_on=due_on,
                overdue=overdue,
                elective_group_id=step.elective_group_id,
                completed_at=done.get(key),
            )
        )
    return views


def _elective_groups(
    steps: list[StepRow], views: list[StepView], chosen: set[str]
) -> list[ElectiveGroupView]:
    by_group: dict[int, ElectiveGroupView] = {}
    for step, view in zip(steps, views, strict=True):
        group_id = step.elective_group_id
        if group_id is None:
            continue
        if group_id not in by_group:
            by_group[group_id] = ElectiveGroupView(
                id=group_id, title=step.group_title, choose=step.group_choose, options=[]
            )
        by_group[group_id].options.append(
            ElectiveOption(
                key=view.key,
                step_id=view.id,
                title=view.title,
                chosen=view.key in chosen and view.state != SKIPPED,
                done=view.state == DONE,
                skipped=view.state == SKIPPED,
            )
        )
    return list(by_group.values())


def _enrollment_view(
    enrollment: EnrollmentRow,
    steps: list[StepRow],
    done: dict[str, dt.datetime],
    chosen: set[str],
    prerequisites: Mapping[int, list[int]],
    rules: Mapping[int, list[RuleView]],
    baseline: dict[int, int],
    today: dt.date,
    others: Mapping[int, float] | None = None,
) -> EnrollmentView:
    step_views = step_states(
        steps,
        done,
        enrollment.start_date,
        today,
        prerequisites=prerequisites,
        rules=rules,
        baseline=baseline,
        chosen=chosen,
        others=others,
    )
    stages: list[StageView] = []
    for sv in step_views:
        if not stages or stages[-1].id != sv.stage_id:
            stages.append(StageView(title=sv.stage, id=sv.stage_id))
        stages[-1].steps.append(sv)
    groups = _elective_groups(steps, step_views, chosen)
    open_picks = {g.id: max(0, g.needed - g.picked) for g in groups}
    for stage in stages:
        stage.required = sum(1 for s in stage.steps if s.state not in (SKIPPED, NOT_CHOSEN, CHOOSE))
        for s in stage.steps:
            if s.state == CHOOSE and s.elective_group_id is not None:
                stage.required += open_picks.pop(s.elective_group_id, 0)
    steps_done = sum(1 for s in step_views if s.state == DONE)
    # Required: every step still in play, with k (not n) per elective group.
    steps_total = sum(1 for s in step_views if s.state not in (SKIPPED, NOT_CHOSEN, CHOOSE))
    steps_total += sum(max(0, g.needed - g.picked) for g in groups)
    available = [s for s in step_views if s.state == AVAILABLE]
    overdue = sorted((s for s in available if s.overdue), key=lambda s: s.due_on or today)
    next_step = overdue[0] if overdue else (available[0] if available else None)
    completed = bool(step_views) and steps_done >= steps_total
    has_rules = any(rules.get(s.pk) for s in steps)
    return EnrollmentView(
        id=enrollment.pk,
        pathway=enrollment.pathway,
        cohort=enrollment.cohort,
        stages=stages,
        steps_total=steps_total,
        steps_done=steps_done,
        next_step=next_step,
        completed=completed,
        version_id=enrollment.version_id,
        elective_groups=groups,
        needs_diagnostic=(
            enrollment.status == Enrollment.Status.ACTIVE
            and not baseline
            and (enrollment.has_competencies or has_rules)
        ),
        finished_at=(
            max((t for t in done.values() if t is not None), default=None) if completed else None
        ),
    )


@dataclass(slots=True)
class EnrollmentRow:
    """An enrolment as ``enrollment_views`` reads it, with its cohort and pathway's names;
    ``reviews_due`` is filled by ``learner_enrollment_rows`` only."""

    pk: int
    learner_id: int
    version_id: int
    status: str
    start_date: dt.date
    cohort: str
    pathway: str
    has_competencies: bool
    reviews_due: int = 0


def _enrollment_row(enrollment: LoadedEnrollment | EnrollmentRow) -> EnrollmentRow:
    if isinstance(enrollment, EnrollmentRow):
        return enrollment
    return EnrollmentRow(
        pk=enrollment.pk,
        learner_id=enrollment.learner_id,
        version_id=enrollment.version_id,
        status=enrollment.status,
        start_date=enrollment.cohort.start_date,
        cohort=enrollment.cohort.name,
        pathway=enrollment.version.pathway.name,
        has_competencies=enrollment.has_competencies,
    )


# The learner's own enrolments in progress, what ``enrollments_in_progress`` loads, with the
# number of their review cards due riding on each row (the learner's home); the pathway's name
# a subquery, which plans faster than two more joins.
_LEARNER_ENROLLMENTS_SQL = """
SELECT e.id, e.learner_id, e.version_id, e.status, c.start_date, c.name,
    (SELECT p.name FROM pathways_pathwayversion v JOIN pathways_pathway p ON p.id = v.pathway_id
     WHERE v.id = e.version_id),
    EXISTS (SELECT 1 FROM pathways_versioncompetency vc
            WHERE vc.organization_id = %s AND vc.version_id = e.version_id),
    (SELECT COUNT(*) FROM pathways_reviewcard rc
     WHERE rc.organization_id = %s AND rc.learner_id = e.learner_id AND rc.due <= %s)
FROM pathways_enrollment e
JOIN pathways_cohort c ON c.id = e.cohort_id
WHERE e.organization_id = %s AND e.learner_id = %s AND e.status <> %s
ORDER BY e.enrolled_at, e.id
"""


def _learner_enrollments_statement(membership_id: int, now: dt.datetime) -> tuple[str, list[Any]]:
    org_id = tenant_id()
    return (
        _LEARNER_ENROLLMENTS_SQL,
        [org_id, org_id, moment_param(now), org_id, membership_id, Enrollment.Status.WITHDRAWN],
    )


def _enrollment_rows_of(rows: Iterable[Sequence[Any]]) -> list[EnrollmentRow]:
    """``EnrollmentRow`` of the rows of ``_LEARNER_ENROLLMENTS_SQL`` (no query)."""
    return [
        EnrollmentRow(
            pk=pk,
            learner_id=learner_id,
            version_id=version_id,
            status=status,
            start_date=date_of(start_date),  # type: ignore[arg-type]
            cohort=cohort,
            pathway=pathway,
            has_competencies=bool(has_competencies),
            reviews_due=int(reviews_due),
        )
        for (
            pk,
            learner_id,
            version_id,
            status,
            start_date,
            cohort,
            pathway,
            has_competencies,
            reviews_due,
        ) in rows
    ]


def learner_enrollment_rows(membership_id: int, now: dt.datetime) -> list[EnrollmentRow]:
    """The learner's enrolments that are not withdrawn, in enrolment order, each with the
    number of the learner's review cards due at ``now`` (1 query)."""
    return _enrollment_rows_of(fetch_rows(*_learner_enrollments_statement(membership_id, now)))


def learner_enrollments(
    membership: Membership, today: dt.date | None = None, enrollment_id: int | None = None
) -> list[EnrollmentView]:
    """The learner's active and completed enrolments with per-step state (3 queries: enrolments,
    steps, completions + elective choices + self-assessments + prerequisites + rules).
    ``enrollment_id`` narrows the read to one enrolment."""
    today = today or org_today()
    queryset = Enrollment.objects.filter(learner=membership)
    if enrollment_id is not None:
        queryset = queryset.filter(pk=enrollment_id)
    return enrollment_views(enrollments_in_progress(queryset), today)


def enrollments_in_progress(queryset: QuerySet[Enrollment]) -> list[LoadedEnrollment]:
    """The enrolments of ``queryset`` that are not withdrawn, loaded the way
    ``enrollment_views`` needs them (1 query)."""
    return list(
        queryset.exclude(status=Enrollment.Status.WITHDRAWN)
        .select_related("cohort", "version__pathway")
        .annotate(
            has_competencies=Exists(
                VersionCompetency.objects.filter(version_id=OuterRef("version_id"))
            )
        )
        .order_by("enrolled_at", "id")
    )


# ``enrollment_views`` reads its facts and the versions' structure on every learner page: as
# SQL text, no queryset to compile, in one round trip; the base tables filtered on the
# organisation. The learner's facts: completions and elective choices (keyed by step identity)
# and self-assessment ratings (keyed by competency), by enrolment. The versions' structure:
# explicit prerequisites and personalisation rules, by step. Typed NULLs: PostgreSQL types a
# UNION's columns pair by pair.
_FACTS_AND_STRUCTURE_SQL = """
SELECT 'done', enrollment_id, CAST(NULL AS bigint), step_key, completed_at,
    CAST(NULL AS integer), CAST(NULL AS text), CAST(NULL AS text), CAST(NULL AS text)
FROM pathways_stepcompletion WHERE organization_id = %s AND enrollment_id IN ({enrollments})
UNION ALL
SELECT 'chosen', enrollment_id, NULL, step_key, chosen_at, NULL, NULL, NULL, NULL
FROM pathways_electivechoice WHERE organization_id = %s AND enrollment_id IN ({enrollments})
UNION ALL
SELECT 'rated', enrollment_id, competency_id, NULL, NULL, rating, NULL, NULL, NULL
FROM pathways_selfassessment WHERE organization_id = %s AND enrollment_id IN ({enrollments})
UNION ALL
SELECT 'requires', p.step_id, p.requires_id, NULL, NULL, NULL, NULL, NULL, NULL
FROM pathways_stepprerequisite p JOIN pathways_step s ON s.id = p.step_id
WHERE p.organization_id = %s AND s.version_id IN ({versions})
UNION ALL
SELECT 'rule', r.step_id, r.competency_id, NULL, NULL, r.threshold, r.action, c.name, r.source
FROM pathways_personalisationrule r
JOIN pathways_step s ON s.id = r.step_id
JOIN competencies_competency c ON c.id = r.competency_id
WHERE r.organization_id = %s AND s.version_id IN ({versions})
"""
# The versions' steps in pathway order (stage, position), with what the pages show of their
# stage, module, template and elective group. The templates' titles are subqueries, not joins:
# fewer joins to order, half the planning time of the statement.
_STEPS_SQL = """
SELECT s.id, s.version_id, s.key, s.kind, s.title, s.stage_id, st.title, s.module_id, m.title,
    m.minutes, s.project_template_id,
    (SELECT pt.title FROM projects_projecttemplate pt WHERE pt.id = s.project_template_id),
    s.conversation_template_id,
    (SELECT ct.title FROM coaching_conversationtemplate ct
     WHERE ct.id = s.conversation_template_id),
    s.elective_group_id, g.title, g.choose, s.available_offset_days, s.due_offset_days
FROM pathways_step s
LEFT JOIN pathways_stage st ON st.id = s.stage_id
LEFT JOIN pathways_module m ON m.id = s.module_id
LEFT JOIN pathways_electivegroup g ON g.id = s.elective_group_id
WHERE s.organization_id = %s AND s.version_id IN ({versions})
ORDER BY st.position, s.stage_id, s.position, s.id
"""


def _placeholders(values: Iterable[Any]) -> str:
    return ", ".join("%s" for _ in values)


def _step_key(value: Any) -> str:
    """A step key as ``str(step.key)`` spells it (SQLite gives the UUID as 32 hex digits)."""
    return str(value if isinstance(value, uuid.UUID) else uuid.UUID(str(value)))


def _kind_labels() -> dict[str, str]:
    """Each step kind's label in the active language."""
    return {value: str(label) for value, label in Step.Kind.choices}


def version_steps(version_ids: Iterable[int]) -> dict[int, list[StepRow]]:
    """The versions' steps in pathway order, by version (1 query)."""
    versions = sorted(set(version_ids))
    return _steps_of(
        fetch_rows(_STEPS_SQL.format(versions=_placeholders(versions)), [tenant_id(), *versions])
    )


def _steps_of(rows: Iterable[Sequence[Any]]) -> dict[int, list[StepRow]]:
    """The steps of the rows of ``_STEPS_SQL``, by version, in their order (no query)."""
    labels = _kind_labels()
    steps_by_version: dict[int, list[StepRow]] = defaultdict(list)
    for (
        pk,
        version_id,
        key,
        kind,
        title,
        stage_id,
        stage_title,
        module_id,
        module_title,
        minutes,
        project_id,
        project_title,
        conversation_id,
        conversation_title,
        group_id,
        group_title,
        group_choose,
        available_offset_days,
        due_offset_days,
    ) in rows:
        kind_label = labels.get(kind, kind)
        # ``Step.display_title``: its own title, else its module's or template's, else its kind.
        if title:
            display_title = title
        elif module_id is not None:
            display_title = module_title
        elif project_id is not None:
            display_title = project_title
        elif conversation_id is not None:
            display_title = conversation_title
        else:
            display_title = kind_label
        steps_by_version[version_id].append(
            StepRow(
                pk=pk,
                version_id=version_id,
                key=_step_key(key),
                kind=kind,
                kind_label=kind_label,
                display_title=display_title,
                stage_id=stage_id,
                stage_title=stage_title if stage_title is not None else "",
                module_id=module_id,
                minutes=minutes,
                elective_group_id=group_id,
                group_title=group_title if group_title is not None else "",
                group_choose=group_choose if group_choose is not None else 0,
                available_offset_days=available_offset_days,
                due_offset_days=due_offset_days,
            )
        )
    return steps_by_version


def enrollment_views(
    loaded: Sequence[LoadedEnrollment | EnrollmentRow], today: dt.date
) -> list[EnrollmentView]:
    """Per-step state of each enrolment (2 queries whatever their number): the one definition
    of done, required and skipped steps, shared by the learner's pages and the roll-ups.
    ``loaded`` come from ``enrollments_in_progress`` or ``learner_enrollment_rows``."""
    if not loaded:
        return []
    enrollments = [_enrollment_row(e) for e in loaded]
    enrollment_ids = [e.pk for e in enrollments]
    version_ids = {e.version_id for e in enrollments}

    steps_by_version = version_steps(version_ids)

    # The learner's facts and the versions' structure in one round trip.
    org_id = tenant_id()
    versions = sorted(version_ids)
    sql = _FACTS_AND_STRUCTURE_SQL.format(
        enrollments=_placeholders(enrollment_ids), versions=_placeholders(versions)
    )
    facts = fetch_rows(sql, [org_id, *enrollment_ids] * 3 + [org_id, *versions] * 2)
    return _views_of(enrollments, steps_by_version, facts, today)


# The learner's own enrolments in progress (``_LEARNER_ENROLLMENTS_SQL``'s), as a subquery of
# their ids or versions: the learner's home reads their steps and facts in the statement that
# reads the enrolments (``learner_home_statements``), not with their ids once those are read.
# Parameters: the organisation, the learner, the withdrawn status.
_LEARNERS_ENROLMENTS = """SELECT le.{column} FROM pathways_enrollment le
    WHERE le.organization_id = %s AND le.learner_id = %s AND le.status <> %s"""


def learner_home_statements(membership_id: int, now: dt.datetime) -> list[tuple[str, list[Any]]]:
    """The learner's enrolments in progress (``learner_enrollment_rows``), their versions'
    steps and their facts and structure (``enrollment_views``) as three reads that
    ``fetch_row_sets`` sends as one statement with others; ``learner_home_views`` reads their
    rows."""
    org_id = tenant_id()
    learner = [org_id, membership_id, Enrollment.Status.WITHDRAWN]
    ids = _LEARNERS_ENROLMENTS.format(column="id")
    versions = _LEARNERS_ENROLMENTS.format(column="version_id")
    return [
        _learner_enrollments_statement(membership_id, now),
        (_STEPS_SQL.format(versions=versions), [org_id, *learner]),
        (
            _FACTS_AND_STRUCTURE_SQL.format(enrollments=ids, versions=versions),
            [org_id, *learner] * 5,
        ),
    ]


def learner_home_views(
    rows: Sequence[Sequence[Sequence[Any]]], today: dt.date
) -> tuple[list[EnrollmentRow], list[EnrollmentView]]:
    """The enrolments (``EnrollmentRow``) and their ``EnrollmentView`` from the rows of
    ``learner_home_statements``' three reads, in their order (no query; one more only when a
    rule reads the 360 baseline)."""
    enrollment_rows, step_rows, fact_rows = rows
    enrollments = _enrollment_rows_of(enrollment_rows)
    if not enrollments:
        return [], []
    return enrollments, _views_of(enrollments, _steps_of(step_rows), fact_rows, today)


def _views_of(
    enrollments: list[EnrollmentRow],
    steps_by_version: dict[int, list[StepRow]],
    facts: Iterable[Sequence[Any]],
    today: dt.date,
) -> list[EnrollmentView]:
    """``enrollment_views`` of the enrolments, their versions' steps and the rows of
    ``_FACTS_AND_STRUCTURE_SQL`` (no query; one more only when a rule reads the 360
    baseline)."""
    done: dict[int, dict[str, dt.datetime]] = defaultdict(dict)
    chosen: dict[int, set[str]] = defaultdict(set)
    baselines: dict[int, dict[int, int]] = defaultdict(dict)
    structure: list[tuple[int, int, int, str, str, str]] = []
    for part, owner_id, other_id, key, when, number, action, name, source in facts:
        if part == "done":
            done[owner_id][_step_key(key)] = moment_of(when)
        elif part == "chosen":
            chosen[owner_id].add(_step_key(key))
        elif part == "rated":
            baselines[owner_id][other_id] = number
        else:  # a step's prerequisite or rule
            structure.append((owner_id, other_id, number, action, name, source))

    prerequisites: dict[int, list[int]] = defaultdict(list)
    rules: dict[int, list[RuleView]] = defaultdict(list)
    for step_id, other_id, threshold, action, name, source in sorted(
        structure, key=lambda row: (row[0], row[1])
    ):
        if action:
            rules[step_id].append(RuleView(Rule(other_id, action, threshold, source), name))
        else:
            prerequisites[step_id].append(other_id)

    # Rules that read the 360 baseline need others' means (one more query, only then).
    from measurement.feedback.queries import baseline_others_means_for  # noqa: PLC0415

    others_by_learner = (
        baseline_others_means_for([e.learner_id for e in enrollments])
        if any(v.rule.source == SOURCE_360 for views in rules.values() for v in views)
        else {}
    )

    return [
        _enrollment_view(
            enrollment,
            steps_by_version[enrollment.version_id],
            done[enrollment.pk],
            chosen[enrollment.pk],
            prerequisites,
            rules,
            baselines[enrollment.pk],
            today,
            others=others_by_learner.get(enrollment.learner_id),
        )
        for enrollment in enrollments
    ]


def celebrations_for(
    enrollments: list[EnrollmentView], now: dt.datetime | None = None
) -> list[Celebration]:
    """Stages and pathways the learner finished in the last ``CELEBRATION_DAYS`` days, newest
    first (no query). A finished pathway is celebrated instead of its last stage."""
    since = (now or timezone.now()) - dt.timedelta(days=CELEBRATION_DAYS)
    found: list[Celebration] = []
    for enrollment in enrollments:
        if enrollment.completed and enrollment.finished_at and enrollment.finished_at >= since:
            found.append(
                Celebration(
                    "pathway", enrollment.pathway, enrollment.pathway, enrollment.finished_at
                )
            )
            continue
        for stage in enrollment.stages:
            finished_at = stage.finished_at
            if stage.title and finished_at is not None and finished_at >= since:
                found.append(Celebration("stage", stage.title, enrollment.pathway, finished_at))
    return sorted(found, key=lambda c: c.finished_at, reverse=True)


# --- Progress figures, set-based: the rule above, computed in the database -------------------


@dataclass(frozen=True)
class EnrollmentProgress:
    """One enrolment's figures as ``enrollment_views`` defines them (``steps_total``,
    ``steps_done``, ``len(overdue)``), with the enrolment's learner, cohort and the learner's
    current team."""

    enrollment_id: int
    learner_id: int
    cohort_id: int
    team_id: int | None
    steps_total: int
    steps_done: int
    steps_overdue: int
    completion: float


# The same rule as ``step_states`` and ``_enrollment_view``, one statement for any number of
# enrolments. Per enrolment and step of the enrolment's own version: done (a completion of the
# step's key), chosen (an elective choice of it), excluded (a personalisation rule leaves it out
# for this learner's rating: their self-assessment, or the others' mean of their latest closed
# 360 baseline) and due (its due date has passed). A step is skipped when excluded and not
# done. Outside elective groups a step is owed unless skipped; a group of "choose k" owes
# max(min(k, steps in play), picks), picks being done or chosen-and-in-play steps, which is
# what the learner's page adds up (k while choices are open, the picks once made). Overdue:
# not done, in play and due; in a group whose choice is made, only the picked steps.
# Steps in play per enrolment are few (a version's steps), so the work grows with
# enrolments × steps of a version, read through the unique keys of completions and choices.
_PROGRESS_CTES = """
WITH enr AS NOT MATERIALIZED (
    SELECT e.id AS enrollment_id, e.learner_id AS learner_id, e.cohort_id AS cohort_id,
           e.version_id AS version_id, m.team_id AS team_id, {days_in} AS days_in
    FROM {enrollment} e
    JOIN {membership} m ON m.id = e.learner_id
    JOIN {cohort} c ON c.id = e.cohort_id
    WHERE e.organization_id = %s AND m.is_active = %s AND e.status <> %s {scope}
),
rated AS (
    SELECT n.enrollment_id AS enrollment_id, r.step_id AS step_id, r.action AS action,
           r.threshold AS threshold,
           CASE WHEN r.source = %s THEN (
               SELECT cs.others_mean FROM {score} cs
               WHERE cs.learner_id = n.learner_id AND cs.competency_id = r.competency_id
                 AND cs.others_mean IS NOT NULL
                 AND cs.cycle_id = (
                     SELECT cs2.cycle_id FROM {score} cs2 JOIN {cycle} cy ON cy.id = cs2.cycle_id
                     WHERE cs2.learner_id = n.learner_id AND cs2.others_mean IS NOT NULL
                       AND cy.kind = %s AND cy.status = %s
                     ORDER BY cy.closed_at DESC, cy.id DESC LIMIT 1)
               ORDER BY cs.id DESC LIMIT 1)
           ELSE (SELECT sa.rating FROM {selfassessment} sa
                 WHERE sa.enrollment_id = n.enrollment_id AND sa.competency_id = r.competency_id)
           END AS rating
    FROM enr n
    JOIN {step} s ON s.version_id = n.version_id
    JOIN {rule} r ON r.step_id = s.id
),
excluded AS (
    SELECT DISTINCT enrollment_id, step_id FROM rated
    WHERE (action = %s AND rating >= threshold) OR (action = %s AND rating < threshold)
),
facts AS (
    SELECT n.enrollment_id AS enrollment_id, s.elective_group_id AS group_id,
           CASE WHEN sc.id IS NULL THEN 0 ELSE 1 END AS done,
           CASE WHEN ch.id IS NULL THEN 0 ELSE 1 END AS chosen,
           CASE WHEN x.step_id IS NULL THEN 0 ELSE 1 END AS excluded,
           CASE WHEN s.due_offset_days < n.days_in THEN 1 ELSE 0 END AS due
    FROM enr n
    JOIN {step} s ON s.version_id = n.version_id
    LEFT JOIN {completion} sc ON sc.enrollment_id = n.enrollment_id AND sc.step_key = s.key
    LEFT JOIN {choice} ch ON ch.enrollment_id = n.enrollment_id AND ch.step_key = s.key
    LEFT JOIN excluded x ON x.enrollment_id = n.enrollment_id AND x.step_id = s.id
),
grouped AS (
    SELECT f.enrollment_id AS enrollment_id, f.group_id AS group_id,
           SUM(f.done) AS n_done,
           SUM(CASE WHEN f.done = 1 OR f.excluded = 0 THEN 1 ELSE 0 END) AS n_live,
           SUM(CASE WHEN f.done = 1 OR (f.chosen = 1 AND f.excluded = 0) THEN 1 ELSE 0 END)
               AS n_picks,
           SUM(CASE WHEN f.done = 0 AND f.excluded = 0 THEN f.due ELSE 0 END) AS due_live,
           SUM(CASE WHEN f.done = 0 AND f.excluded = 0 AND f.chosen = 1 THEN f.due ELSE 0 END)
               AS due_picked
    FROM facts f
    GROUP BY f.enrollment_id, f.group_id
),
counted AS (
    SELECT n.enrollment_id AS enrollment_id, n.learner_id AS learner_id,
           n.cohort_id AS cohort_id, n.team_id AS team_id,
           COALESCE(SUM(CASE WHEN g.group_id IS NULL THEN g.n_live
                             ELSE GREATEST(LEAST(eg.choose, g.n_live), g.n_picks) END), 0)
               AS steps_total,
           COALESCE(SUM(g.n_done), 0) AS steps_done,
           COALESCE(SUM(CASE WHEN g.group_id IS NULL OR g.n_picks < LEAST(eg.choose, g.n_live)
                             THEN g.due_live ELSE g.due_picked END), 0) AS steps_overdue
    FROM enr n
    LEFT JOIN grouped g ON g.enrollment_id = n.enrollment_id
    LEFT JOIN {group} eg ON eg.id = g.group_id
    GROUP BY n.enrollment_id, n.learner_id, n.cohort_id, n.team_id
),
progress AS (
    SELECT enrollment_id, learner_id, cohort_id, team_id, steps_total, steps_done,
           steps_overdue,
           CASE WHEN steps_total > 0
                THEN LEAST(CAST(1.0 AS DOUBLE PRECISION),
                           CAST(steps_done AS DOUBLE PRECISION) / steps_total)
                ELSE CAST(0.0 AS DOUBLE PRECISION) END AS completion
    FROM counted
)
"""


_PROGRESS_ROWS = """
SELECT enrollment_id, learner_id, cohort_id, team_id, steps_total, steps_done, steps_overdue,
       completion
FROM progress ORDER BY enrollment_id
"""


def progress_sql_for_vendor(sql: str) -> str:
    """``sql`` written for PostgreSQL, in the current database's dialect (SQLite spells
    GREATEST/LEAST as the scalar MAX/MIN, null-safe inequality as IS NOT, and has REAL)."""
    if connection.vendor != "sqlite":
        return sql
    return (
        sql.replace("GREATEST(", "MAX(")
        .replace("LEAST(", "MIN(")
        .replace("IS DISTINCT FROM", "IS NOT")
        .replace("DOUBLE PRECISION", "REAL")
    )


def enrollment_progress_ctes(scope: str = "") -> str:
    """The ``WITH`` clause whose last table, ``progress``, holds one row per enrolment in
    progress (not withdrawn, active learner) of the organisation: ``enrollment_id, learner_id,
    cohort_id, team_id, steps_total, steps_done, steps_overdue, completion``, the figures
    ``enrollment_views`` gives. ``scope`` is an extra ``AND …`` condition on the enrolment
    (alias ``e``) and its learner's membership (alias ``m``), its parameters passed to
    ``enrollment_progress_params``. In PostgreSQL's dialect: pass the statement built on it
    through ``progress_sql_for_vendor``."""
    from measurement.feedback.models import CompetencyScore, Cycle  # noqa: PLC0415

    days_in = (
        "CAST(julianday(%s) - julianday(c.start_date) AS INTEGER)"
        if connection.vendor == "sqlite"
        else "(CAST(%s AS DATE) - c.start_date)"
    )
    return _PROGRESS_CTES.format(
        days_in=days_in,
        scope=scope,
        enrollment=Enrollment._meta.db_table,
        membership=Membership._meta.db_table,
        cohort=Cohort._meta.db_table,
        score=CompetencyScore._meta.db_table,
        cycle=Cycle._meta.db_table,
        selfassessment=SelfAssessment._meta.db_table,
        step=Step._meta.db_table,
        rule=PersonalisationRule._meta.db_table,
        completion=StepCompletion._meta.db_table,
        choice=ElectiveChoice._meta.db_table,
        group=ElectiveGroup._meta.db_table,
    )


def enrollment_progress_params(
    org_id: int, today: dt.date, scope_params: Iterable[Any] = ()
) -> list[Any]:
    """The parameters of ``enrollment_progress_ctes``, ``scope_params`` those of its
    ``scope``."""
    from measurement.feedback.models import Cycle  # noqa: PLC0415

    return [
        today.isoformat(),
        org_id,
        True,
        Enrollment.Status.WITHDRAWN,
        *scope_params,
        SOURCE_360,
        Cycle.Kind.BASELINE,
        Cycle.Status.CLOSED,
        INCLUDE_IF_BELOW,
        INCLUDE_IF_AT_LEAST,
    ]


def enrollment_progress(
    org_id: int, today: dt.date, learner_ids: Iterable[int] | None = None
) -> list[EnrollmentProgress]:
    """Each enrolment in progress of the organisation (or of ``learner_ids``), with the figures
    its learner's page shows, computed in the database (1 query, rows ordered by enrolment).
    Runs inside the organisation's tenant context."""
    ids = None if learner_ids is None else sorted(set(learner_ids))
    if ids == []:
        return []
    scope = "" if ids is None else f"AND e.learner_id IN ({', '.join(['%s'] * len(ids))})"
    sql = progress_sql_for_vendor(enrollment_progress_ctes(scope) + _PROGRESS_ROWS)
    with connection.cursor() as cursor:
        cursor.execute(sql, enrollment_progress_params(org_id, today, ids or []))
        return [
            EnrollmentProgress(
                enrollment_id=row[0],
                learner_id=row[1],
                cohort_id=row[2],
                team_id=row[3],
                steps_total=int(row[4]),
                steps_done=int(row[5]),
                steps_overdue=int(row[6]),
                completion=float(row[7]),
            )
            for row in cursor.fetchall()
        ]
