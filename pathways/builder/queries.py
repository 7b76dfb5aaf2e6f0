"""Reads for the pathway builder: plain dataclasses built with a fixed number of queries."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from coaching.models import ConversationTemplate
from competencies.models import Competency
from measurement.feedback.queries import baseline_others_means_for
from organizations.raw_queries import fetch_rows, moment_of, tenant_id
from pathways.builder import counts
from pathways.models import (
    Cohort,
    ElectiveGroup,
    Enrollment,
    Module,
    PathwayVersion,
    PersonalisationRule,
    SelfAssessment,
    Stage,
    Step,
    StepCompletion,
    StepPrerequisite,
    VersionCompetency,
)
from pathways.rules import SOURCE_360, SOURCE_SELF_ASSESSMENT, Rule, rule_rating, step_applies
from projects.models import ProjectTemplate

# ---------------------------------------------------------------------------------------------
# Pathway list
# ---------------------------------------------------------------------------------------------


@dataclass
class VersionRow:
    id: int
    number: int
    status: str
    status_label: str
    steps: int
    cohorts: int
    active_learners: int
    published_at: dt.datetime | None
    created_at: dt.datetime


@dataclass
class PathwayRow:
    id: int
    name: str
    purpose: str
    versions: list[VersionRow] = field(default_factory=list)

    @property
    def current(self) -> VersionRow | None:
        """The newest published version, else the newest version of any status."""
        published = [v for v in self.versions if v.status == PathwayVersion.Status.PUBLISHED]
        return published[0] if published else (self.versions[0] if self.versions else None)

    @property
    def draft(self) -> VersionRow | None:
        return next((v for v in self.versions if v.status == PathwayVersion.Status.DRAFT), None)


# Every pathway (by name) with its versions (newest first) and each version's step, cohort and
# active-learner counts: one statement, each table filtered on the organisation as the scoped
# manager filters it (a pathway without versions comes as one row of NULLs). The active
# learners are the version's kept row (``counts``), not its enrolments counted, on PostgreSQL.
_PATHWAY_LIST_SQL = """
SELECT p.id, p.name, p.purpose, v.id, v.number, v.status, v.published_at, v.created_at,
  (SELECT COUNT(*) FROM pathways_step s WHERE s.version_id = v.id),
  (SELECT COUNT(*) FROM pathways_cohort c WHERE c.organization_id = %s AND c.version_id = v.id),
  {active_learners}
FROM pathways_pathway p
LEFT JOIN pathways_pathwayversion v ON v.pathway_id = p.id AND v.organization_id = %s
WHERE p.organization_id = %s
ORDER BY p.name, p.id, v.number DESC
"""


def pathway_list() -> list[PathwayRow]:
    """Every pathway with its versions (newest first), step, cohort and learner counts
    (1 query)."""
    org_id = tenant_id()
    labels = dict(PathwayVersion.Status.choices)
    rows: dict[int, PathwayRow] = {}
    sql = _PATHWAY_LIST_SQL.format(active_learners=counts.active_learners_sql())
    for (
        pathway_id,
        name,
        purpose,
        version_id,
        number,
        status,
        published_at,
        created_at,
        steps,
        cohorts,
        learners,
    ) in fetch_rows(sql, [org_id] * 4):
        row = rows.get(pathway_id)
        if row is None:
            row = rows[pathway_id] = PathwayRow(id=pathway_id, name=name, purpose=purpose)
        if version_id is None:
            continue
        row.versions.append(
            VersionRow(
                id=version_id,
                number=number,
                status=status,
                status_label=str(labels.get(status, status)),
                steps=steps,
                cohorts=cohorts,
                active_learners=learners,
                published_at=moment_of(published_at) if published_at is not None else None,
                created_at=moment_of(created_at),
            )
        )
    return list(rows.values())


PATHWAY_EXPORT_HEADERS = (
    "Pathway",
    "Version",
    "Status",
    "Steps",
    "Cohorts",
    "Active learners",
    "Published",
)


def pathway_export_rows(rows: list[PathwayRow]) -> list[tuple[object, ...]]:
    """Every version of every pathway (``pathway_list``) as export rows, one per version
    (no queries; publication time in the organisation's time zone)."""
    return [
        (
            p.name,
            v.number,
            v.status_label,
            v.steps,
            v.cohorts,
            v.active_learners,
            timezone.localtime(v.published_at) if v.published_at else None,
        )
        for p in rows
        for v in p.versions
    ]


# ---------------------------------------------------------------------------------------------
# Version editor
# ---------------------------------------------------------------------------------------------


@dataclass
class RuleView:
    id: int
    competency_id: int
    competency: str
    action: str
    action_label: str
    threshold: int
    source: str = SOURCE_SELF_ASSESSMENT

    @property
    def as_rule(self) -> Rule:
        return Rule(self.competency_id, self.action, self.threshold, self.source)


@dataclass
class StepRow:
    id: int
    key: str
    number: int  # 1-based place in learner order
    title: str
    kind: str
    kind_label: str
    target: str
    target_status: str  # module status, or "" for templates
    minutes: int | None
    stage_id: int | None
    available_offset_days: int
    due_offset_days: int | None
    group_id: int | None
    group_title: str
    prerequisites: list[str]
    default_prerequisite: str  # the previous step's title when no explicit prerequisite
    rules: list[RuleView]
    is_first: bool = False
    is_last: bool = False


@dataclass
class StageRow:
    id: int
    title: str
    position: int
    steps: list[StepRow] = field(default_factory=list)
    is_first: bool = False
    is_last: bool = False

    @property
    def minutes(self) -> int:
        return sum(s.minutes or 0 for s in self.steps)


@dataclass
class GroupRow:
    id: int
    title: str
    choose: int
    steps: list[str]

    @property
    def valid(self) -> bool:
        return len(self.steps) >= 2 and 1 <= self.choose <= len(self.steps)


@dataclass
class VersionEditor:
    id: int
    pathway_id: int
    pathway: str
    purpose: str
    number: int
    status: str
    status_label: str
    target_roles: str
    published_at: dt.datetime | None
    competencies: list[str]
    stages: list[StageRow]
    groups: list[GroupRow]
    other_versions: list[VersionRow]

    @property
    def editable(self) -> bool:
        return self.status == PathwayVersion.Status.DRAFT

    @property
    def steps(self) -> list[StepRow]:
        return [s for stage in self.stages for s in stage.steps]

    @property
    def step_count(self) -> int:
        return len(self.steps)

    @property
    def rule_count(self) -> int:
        return sum(len(s.rules) for s in self.steps)


def _target(step: Step) -> tuple[str, str, int | None]:
    if step.kind == Step.Kind.MODULE and step.module is not None:
        return step.module.title, step.module.status, step.module.minutes
    if step.kind == Step.Kind.PROJECT and step.project_template is not None:
        return step.project_template.title, "", None
    if step.kind == Step.Kind.COACHING and step.conversation_template is not None:
        return step.conversation_template.title, "", None
    return "", "", None


def version_editor(version_id: int) -> VersionEditor:
    """The whole version for the editor (8 queries). Raises PathwayVersion.DoesNotExist."""
    version = PathwayVersion.objects.select_related("pathway").get(pk=version_id)
    competencies = list(
        VersionCompetency.objects.filter(version=version)
        .select_related("competency")
        .order_by("competency__position", "competency__name")
        .values_list("competency__name", flat=True)
    )
    stages = [
        StageRow(id=s.pk, title=s.title, position=s.position)
        for s in Stage.objects.filter(version=version).order_by("position", "id")
    ]
    steps = list(
        Step.objects.filter(version=version)
        .select_related("module", "project_template", "conversation_template", "elective_group")
        .order_by("stage__position", "stage_id", "position", "id")
    )
    prerequisites: dict[int, list[int]] = defaultdict(list)
    for step_id, requires_id in StepPrerequisite.objects.filter(step__version=version).values_list(
        "step_id", "requires_id"
    ):
        prerequisites[step_id].append(requires_id)
    rules: dict[int, list[RuleView]] = defaultdict(list)
    for rule in (
        PersonalisationRule.objects.filter(step__version=version)
        .select_related("competency")
        .order_by("id")
    ):
        rules[rule.step_id].append(
            RuleView(
                id=rule.pk,
                competency_id=rule.competency_id,
                competency=rule.competency.name,
                action=rule.action,
                action_label=rule.get_action_display(),
                threshold=rule.threshold,
                source=rule.source,
            )
        )
    groups = list(ElectiveGroup.objects.filter(version=version).order_by("id"))
    siblings = list(
        PathwayVersion.objects.filter(pathway_id=version.pathway_id)
        .exclude(pk=version.pk)
        .order_by("-number")
    )
    titles = {s.pk: s.display_title for s in steps}
    by_stage = {s.id: s for s in stages}
    previous: Step | None = None
    for number, step in enumerate(steps, start=1):
        target, target_status, minutes = _target(step)
        row = StepRow(
            id=step.pk,
            key=str(step.key),
            number=number,
            title=step.display_title,
            kind=step.kind,
            kind_label=step.get_kind_display(),
            target=target,
            target_status=target_status,
            minutes=minutes,
            stage_id=step.stage_id,
            available_offset_days=step.available_offset_days,
            due_offset_days=step.due_offset_days,
            group_id=step.elective_group_id,
            group_title=step.elective_group.title if step.elective_group else "",
            prerequisites=[titles[r] for r in prerequisites[step.pk] if r in titles],
            default_prerequisite=previous.display_title if previous is not None else "",
            rules=rules[step.pk],
        )
        stage = by_stage.get(step.stage_id) if step.stage_id else None
        if stage is not None:
            stage.steps.append(row)
        previous = step
    all_rows = [r for s in stages for r in s.steps]
    if all_rows:
        all_rows[0].is_first = True
        all_rows[-1].is_last = True
    if stages:
        stages[0].is_first = True
        stages[-1].is_last = True
    group_rows = [
        GroupRow(
            id=g.pk,
            title=g.title,
            choose=g.choose,
            steps=[s.display_title for s in steps if s.elective_group_id == g.pk],
        )
        for g in groups
    ]
    return VersionEditor(
        id=version.pk,
        pathway_id=version.pathway_id,
        pathway=version.pathway.name,
        purpose=version.pathway.purpose,
        number=version.number,
        status=version.status,
        status_label=version.get_status_display(),
        target_roles=version.target_roles,
        published_at=version.published_at,
        competencies=competencies,
        stages=stages,
        groups=group_rows,
        other_versions=[
            VersionRow(
                id=v.pk,
                number=v.number,
                status=v.status,
                status_label=v.get_status_display(),
                steps=0,
                cohorts=0,
                active_learners=0,
                published_at=v.published_at,
                created_at=v.created_at,
            )
            for v in siblings
        ],
    )


# ---------------------------------------------------------------------------------------------
# Library choices for new steps
# ---------------------------------------------------------------------------------------------


def library_modules() -> QuerySet[Module]:
    """Published modules a step may open (a queryset for form choices)."""
    return Module.objects.filter(status=Module.Status.PUBLISHED).order_by("title")


def library_project_templates() -> QuerySet[ProjectTemplate]:
    return ProjectTemplate.objects.order_by("title")


def library_conversation_templates() -> QuerySet[ConversationTemplate]:
    return ConversationTemplate.objects.order_by("title")


def competency_choices() -> QuerySet[Competency]:
    return Competency.objects.select_related("framework").order_by(
        "framework__name", "position", "name"
    )


# ---------------------------------------------------------------------------------------------
# Personalisation preview
# ---------------------------------------------------------------------------------------------


@dataclass
class RulePreview:
    rule: RuleView
    included: int  # learners this rule alone keeps the step for
    skipped: int
    no_baseline: int  # learners with no rating on the rule's competency (counted as included)


@dataclass
class StepPreview:
    step_id: int
    number: int
    title: str
    rules: list[RulePreview]
    included: int  # learners all the step's rules together keep it for
    learners: int

    @property
    def skipped(self) -> int:
        return self.learners - self.included


@dataclass
class CohortPreview:
    cohort_id: int
    cohort: str
    learners: int  # active enrolments: the base of every count
    with_baseline: int  # learners who completed at least one self-assessment rating
    steps: list[StepPreview]


RULE_PREVIEW_EXPORT_HEADERS = (
    "Step",
    "Rule",
    "Included",
    "Skipped",
    "No baseline yet (included)",
    "Active learners",
)


def rule_preview_export_rows(preview: CohortPreview) -> list[tuple[object, ...]]:
    """The preview's table as export rows: each rule, then all the step's rules together
    (no queries)."""
    rows: list[tuple[object, ...]] = []
    for step in preview.steps:
        title = f"{step.number}. {step.title}"
        for r in step.rules:
            rule = f"{r.rule.action_label} {r.rule.threshold} — {r.rule.competency}"
            rows.append((title, rule, r.included, r.skipped, r.no_baseline, preview.learners))
        rows.append(
            (title, _("All rules together"), step.included, step.skipped, None, preview.learners)
        )
    return rows


def rule_preview(version_id: int, cohort_id: int) -> CohortPreview:
    """How many of the cohort's active learners each rule, and each step's rules together,
    would include (6 queries whatever the cohort size). Baseline: the learner's self-assessment
    ratings on their enrolment. Raises Cohort.DoesNotExist / PathwayVersion.DoesNotExist."""
    version = PathwayVersion.objects.get(pk=version_id)
    cohort = Cohort.objects.get(pk=cohort_id, version__pathway_id=version.pathway_id)
    learner_of = dict(
        Enrollment.objects.filter(cohort=cohort, status=Enrollment.Status.ACTIVE).values_list(
            "pk", "learner_id"
        )
    )
    enrollment_ids = list(learner_of)
    baselines: dict[int, dict[int, int]] = {pk: {} for pk in enrollment_ids}
    for enrollment_id, competency_id, rating in SelfAssessment.objects.filter(
        enrollment__cohort=cohort, enrollment__status=Enrollment.Status.ACTIVE
    ).values_list("enrollment_id", "competency_id", "rating"):
        baselines[enrollment_id][competency_id] = rating
    rules: dict[int, list[RuleView]] = defaultdict(list)
    for rule in (
        PersonalisationRule.objects.filter(step__version=version)
        .select_related("competency")
        .order_by("id")
    ):
        rules[rule.step_id].append(
            RuleView(
                id=rule.pk,
                competency_id=rule.competency_id,
                competency=rule.competency.name,
                action=rule.action,
                action_label=rule.get_action_display(),
                threshold=rule.threshold,
                source=rule.source,
            )
        )
    steps = list(
        Step.objects.filter(version=version)
        .select_related("module", "project_template", "conversation_template")
        .order_by("stage__position", "stage_id", "position", "id")
    )
    numbers = {step.pk: i for i, step in enumerate(steps, start=1)}
    steps = [s for s in steps if s.pk in rules]
    # Rules that read the 360 baseline need others' means (one more query, only then).
    by_learner = (
        baseline_others_means_for(list(learner_of.values()))
        if any(v.source == SOURCE_360 for views in rules.values() for v in views)
        else {}
    )
    others = {pk: by_learner.get(learner_of[pk], {}) for pk in enrollment_ids}
    previews = []
    for step in steps:
        step_rules = rules[step.pk]
        rule_rows = []
        for view in step_rules:
            included = sum(
                1 for pk, b in baselines.items() if step_applies([view.as_rule], b, others[pk])
            )
            no_baseline = sum(
                1 for pk, b in baselines.items() if rule_rating(view.as_rule, b, others[pk]) is None
            )
            rule_rows.append(
                RulePreview(
                    rule=view,
                    included=included,
                    skipped=len(baselines) - included,
                    no_baseline=no_baseline,
                )
            )
        together = [r.as_rule for r in step_rules]
        previews.append(
            StepPreview(
                step_id=step.pk,
                number=numbers.get(step.pk, 0),
                title=step.display_title,
                rules=rule_rows,
                included=sum(
                    1 for pk, b in baselines.items() if step_applies(together, b, others[pk])
                ),
                learners=len(baselines),
            )
        )
    return CohortPreview(
        cohort_id=cohort.pk,
        cohort=cohort.name,
        learners=len(baselines),
        with_baseline=sum(1 for b in baselines.values() if b),
        steps=previews,
    )


def preview_cohorts(version_id: int) -> list[tuple[int, str, int]]:
    """Cohorts of the version's pathway with their active learner counts (2 queries)."""
    version = PathwayVersion.objects.get(pk=version_id)
    return [
        (c.pk, c.name, c.n)
        for c in Cohort.objects.filter(version__pathway_id=version.pathway_id)
        .annotate(n=Count("enrollments", filter=Q(enrollments__status="active")))
        .order_by("-start_date", "name")
    ]


# --- What publishing a version changes --------------------------------------------------


@dataclass
class StepChange:
    title: str
    detail: str = ""


@dataclass
class VersionDiff:
    """How a draft differs from the version its learners are on, and who it would reach."""

    base_number: int | None  # the published version compared with (None: first version)
    added: list[StepChange] = field(default_factory=list)
    removed: list[StepChange] = field(default_factory=list)
    moved: list[StepChange] = field(default_factory=list)
    changed: list[StepChange] = field(default_factory=list)  # timing, prerequisites, rules
    learners: int = 0  # active learners on earlier versions, who would move
    cohorts: int = 0  # planned or running cohorts on earlier versions
    learners_losing_done: int = 0  # moving learners who completed a step this draft removes

    @property
    def has_changes(self) -> bool:
        return bool(self.added or self.removed or self.moved or self.changed)


@dataclass(frozen=True)
class _StepFacts:
    title: str
    stage: str
    order: int
    opens: int
    due: int | None
    after: tuple[str, ...]
    group: str
    rules: tuple[str, ...]


def _step_facts(version_id: int) -> dict[str, _StepFacts]:
    """Per step key: title, stage, order, timing, prerequisites (by title), elective group and
    personalisation rules in words (4 queries)."""
    steps = list(
        Step.objects.filter(version_id=version_id)
        .select_related(
            "stage", "module", "project_template", "conversation_template", "elective_group"
        )
        .prefetch_related("rules__competency")
        .order_by("stage__position", "position", "id")
    )
    titles = {s.pk: s.display_title for s in steps}
    prerequisites: dict[int, list[str]] = defaultdict(list)
    for step_id, requires_id in StepPrerequisite.objects.filter(
        step__version_id=version_id
    ).values_list("step_id", "requires_id"):
        prerequisites[step_id].append(titles.get(requires_id, "?"))
    facts: dict[str, _StepFacts] = {}
    for order, s in enumerate(steps):
        group = s.elective_group
        facts[str(s.key)] = _StepFacts(
            title=s.display_title,
            stage=s.stage.title if s.stage else "",
            order=order,
            opens=s.available_offset_days,
            due=s.due_offset_days,
            after=tuple(sorted(prerequisites.get(s.pk, []))),
            group=(
                _("%(group)s (choose %(k)s)") % {"group": group.title, "k": group.choose}
                if group
                else ""
            ),
            rules=tuple(
                sorted(
                    _("%(action)s %(threshold)s on %(competency)s")
                    % {
                        "action": r.get_action_display().lower(),
                        "threshold": r.threshold,
                        "competency": r.competency.name,
                    }
                    for r in s.rules.all()
                )
            ),
        )
    return facts


def _day(n: int | None) -> str:
    return _("day %(n)s") % {"n": n} if n is not None else _("no due date")


def _describe_change(old: _StepFacts, new: _StepFacts) -> str:
    parts = []
    if old.opens != new.opens:
        parts.append(
            _("opens on %(new)s instead of %(old)s")
            % {"new": _day(new.opens), "old": _day(old.opens)}
        )
    if old.due != new.due:
        parts.append(
            _("due on %(new)s instead of %(old)s") % {"new": _day(new.due), "old": _day(old.due)}
        )
    if old.after != new.after:
        parts.append(
            _("now comes after %(steps)s") % {"steps": ", ".join(new.after)}
            if new.after
            else _("now simply follows the step before it")
        )
    if old.group != new.group:
        parts.append(
            _("now an elective in %(group)s") % {"group": new.group}
            if new.group
            else _("now a core step (was an elective)")
        )
    if old.rules != new.rules:
        parts.append(
            _("personalisation: %(rules)s") % {"rules": "; ".join(new.rules)}
            if new.rules
            else _("no longer personalised")
        )
    return "; ".join(parts)


def version_diff(version: PathwayVersion) -> VersionDiff:
    """What publishing ``version`` changes compared with the pathway's newest published
    version, and the learners and cohorts that would move to it (at most 10 queries)."""
    base = (
        PathwayVersion.objects.filter(
            pathway_id=version.pathway_id, status=PathwayVersion.Status.PUBLISHED
        )
        .exclude(pk=version.pk)
        .order_by("-number")
        .first()
    )
    others = PathwayVersion.objects.filter(pathway_id=version.pathway_id).exclude(pk=version.pk)
    active = Enrollment.objects.filter(version__in=others, status=Enrollment.Status.ACTIVE)
    diff = VersionDiff(
        base_number=base.number if base else None,
        learners=active.count(),
        cohorts=Cohort.objects.filter(
            version__in=others, status__in=[Cohort.Status.PLANNED, Cohort.Status.RUNNING]
        ).count(),
    )
    if base is None:
        return diff
    old, new = _step_facts(base.pk), _step_facts(version.pk)
    for key, facts in new.items():
        if key not in old:
            diff.added.append(StepChange(facts.title, facts.stage))
    removed_keys = [key for key in old if key not in new]
    for key in removed_keys:
        diff.removed.append(StepChange(old[key].title, old[key].stage))
    kept = [key for key in new if key in old]
    old_order = sorted(kept, key=lambda k: old[k].order)
    for index, key in enumerate(kept):
        before, after = old[key], new[key]
        if before.stage != after.stage:
            diff.moved.append(
                StepChange(
                    after.title,
                    _("from %(old)s to %(new)s") % {"old": before.stage, "new": after.stage},
                )
            )
        elif old_order.index(key) != index:
            diff.moved.append(
                StepChange(
                    after.title,
                    _("now step %(new)s of the pathway (was step %(old)s)")
                    % {"new": after.order + 1, "old": before.order + 1},
                )
            )
        if detail := _describe_change(before, after):
            diff.changed.append(StepChange(after.title, detail))
    if removed_keys:
        diff.learners_losing_done = (
            StepCompletion.objects.filter(enrollment__in=active, step_key__in=removed_keys)
            .values("enrollment_id")
            .distinct()
            .count()
        )
    return diff
