"""Reads for the competency pages: plain dataclasses built with a fixed number of queries."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count
from django.utils.translation import gettext

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


@dataclass
class FrameworkSummary:
    id: int
    name: str
    description: str
    created_at: dt.datetime
    levels: int = 0
    competencies: int = 0
    indicators: int = 0
    aligned: int = 0  # competencies that serve at least one priority


@dataclass
class FrameworkList:
    frameworks: list[FrameworkSummary]
    priorities: int
    unserved_priorities: int


def framework_list() -> FrameworkList:
    """Every framework with its counts, and the organisation's priority coverage (5 queries)."""
    frameworks = {
        f.pk: FrameworkSummary(f.pk, f.name, f.description, f.created_at)
        for f in Framework.objects.order_by("name")
    }
    for row in ProficiencyLevel.objects.values("framework_id").annotate(n=Count("pk")):
        if row["framework_id"] in frameworks:
            frameworks[row["framework_id"]].levels = row["n"]
    for row in Competency.objects.values("framework_id").annotate(
        n=Count("pk", distinct=True), aligned=Count("links__competency_id", distinct=True)
    ):
        if row["framework_id"] in frameworks:
            frameworks[row["framework_id"]].competencies = row["n"]
            frameworks[row["framework_id"]].aligned = row["aligned"]
    for indicators in BehaviouralIndicator.objects.values("competency__framework_id").annotate(
        n=Count("pk")
    ):
        if indicators["competency__framework_id"] in frameworks:
            frameworks[indicators["competency__framework_id"]].indicators = indicators["n"]
    priorities = StrategicPriority.objects.aggregate(
        total=Count("pk", distinct=True), served=Count("links__priority_id", distinct=True)
    )
    return FrameworkList(
        frameworks=list(frameworks.values()),
        priorities=priorities["total"],
        unserved_priorities=priorities["total"] - priorities["served"],
    )


@dataclass
class LevelView:
    id: int
    value: int
    label: str
    descriptor: str


@dataclass
class IndicatorView:
    id: int
    text: str
    is_first: bool = False
    is_last: bool = False


@dataclass
class ServedPriority:
    link_id: int
    priority_id: int
    title: str
    weight: int


@dataclass
class CompetencyView:
    id: int
    framework_id: int
    name: str
    description: str
    category: str
    indicators: list[IndicatorView] = field(default_factory=list)
    priorities: list[ServedPriority] = field(default_factory=list)
    is_first: bool = False
    is_last: bool = False


@dataclass
class FrameworkDetail:
    id: int
    name: str
    description: str
    levels: list[LevelView]
    competencies: list[CompetencyView]

    @property
    def indicator_count(self) -> int:
        return sum(len(c.indicators) for c in self.competencies)

    @property
    def categories(self) -> list[str]:
        return sorted({c.category for c in self.competencies if c.category})


def _mark_ends(rows: list) -> None:
    for i, row in enumerate(rows):
        row.is_first = i == 0
        row.is_last = i == len(rows) - 1


def _fill_competencies(views: list[CompetencyView]) -> None:
    """Indicators and served priorities for ``views`` (2 queries)."""
    by_id = {c.id: c for c in views}
    for indicator in BehaviouralIndicator.objects.filter(competency_id__in=by_id).order_by(
        "position", "pk"
    ):
        by_id[indicator.competency_id].indicators.append(
            IndicatorView(indicator.pk, indicator.text)
        )
    for link in (
        PriorityAlignment.objects.filter(competency_id__in=by_id)
        .select_related("priority")
        .order_by("-weight", "priority__title")
    ):
        by_id[link.competency_id].priorities.append(
            ServedPriority(link.pk, link.priority_id, link.priority.title, link.weight)
        )
    for view in views:
        _mark_ends(view.indicators)


def _scale_levels(framework: Framework) -> list[LevelView]:
    """The framework's proficiency levels, lowest first (1 query)."""
    return [
        LevelView(lv.pk, lv.value, lv.label, lv.descriptor)
        for lv in ProficiencyLevel.objects.filter(framework=framework).order_by("value")
    ]


def _competency_view(c: Competency) -> CompetencyView:
    return CompetencyView(c.pk, c.framework_id, c.name, c.description, c.category)


def framework_detail(framework_id: int) -> FrameworkDetail:
    """The framework with scale, competencies, indicators and served priorities (5 queries).

    Raises ``Framework.DoesNotExist`` when the id is not one of this organisation's frameworks.
    """
    framework = Framework.objects.get(pk=framework_id)
    levels = _scale_levels(framework)
    competencies = [
        _competency_view(c)
        for c in Competency.objects.filter(framework=framework).order_by("position", "name", "pk")
    ]
    _mark_ends(competencies)
    _fill_competencies(competencies)
    return FrameworkDetail(
        framework.pk, framework.name, framework.description, levels, competencies
    )


def competency_views(competencies: list[Competency]) -> list[CompetencyView]:
    """``competencies`` (one page of them, for the API) with indicators and served priorities
    (2 queries, whatever the page size)."""
    views = [_competency_view(c) for c in competencies]
    _fill_competencies(views)
    return views


def competency_card(competency_id: int) -> CompetencyView:
    """One competency as the framework page shows it (4 queries); raises DoesNotExist."""
    competency = Competency.objects.get(pk=competency_id)
    view = _competency_view(competency)
    order = list(
        Competency.objects.filter(framework_id=competency.framework_id)
        .order_by("position", "name", "pk")
        .values_list("pk", flat=True)
    )
    view.is_first = order[0] == competency.pk
    view.is_last = order[-1] == competency.pk
    _fill_competencies([view])
    return view


# --------------------------------------------------------------------------------------------
# The proficiency scale and what is stored on it
# --------------------------------------------------------------------------------------------


@dataclass
class PlaceCount:
    """How many stored values sit in one place (a cohort, a pathway version)."""

    place: str
    count: int


@dataclass
class LevelUsage:
    """Ratings and thresholds stored at ``value`` or above on one framework's scale.

    These are the values a scale without that level could no longer describe: learners'
    self-assessments (by cohort) and personalisation-rule thresholds (by pathway version).
    """

    value: int
    self_assessments: list[PlaceCount] = field(default_factory=list)
    rules: list[PlaceCount] = field(default_factory=list)

    @property
    def self_assessment_count(self) -> int:
        return sum(p.count for p in self.self_assessments)

    @property
    def rule_count(self) -> int:
        return sum(p.count for p in self.rules)

    @property
    def is_used(self) -> bool:
        return bool(self.self_assessments or self.rules)


def level_usage(framework_id: int, value: int) -> LevelUsage:
    """Stored values at ``value`` or above on the framework's scale (2 queries).

    "Or above" because removing the top level must also catch a value a scale edit left behind.
    Activity events and audit entries keep a copy of ratings too, but as history of what
    happened; they are not read against the scale, so they do not count here.
    """
    from pathways.models import PersonalisationRule, SelfAssessment

    usage = LevelUsage(value)
    for cohort, n in (
        SelfAssessment.objects.filter(competency__framework_id=framework_id, rating__gte=value)
        .values_list("enrollment__cohort__name")
        .annotate(n=Count("pk"))
        .order_by("enrollment__cohort__name")
    ):
        usage.self_assessments.append(PlaceCount(cohort, n))
    for pathway, number, n in (
        PersonalisationRule.objects.filter(
            competency__framework_id=framework_id, threshold__gte=value
        )
        .values_list("step__version__pathway__name", "step__version__number")
        .annotate(n=Count("pk"))
        .order_by("step__version__pathway__name", "step__version__number")
    ):
        usage.rules.append(PlaceCount(f"{pathway} v{number}", n))
    return usage


@dataclass
class ScalePage:
    """A framework's scale with what adding or removing a level at the top would meet."""

    id: int
    name: str
    levels: list[LevelView]
    top_usage: LevelUsage

    @property
    def top(self) -> LevelView | None:
        return self.levels[-1] if self.levels else None

    @property
    def next_value(self) -> int:
        return len(self.levels) + 1

    @property
    def can_add(self) -> bool:
        return len(self.levels) < MAX_LEVELS

    @property
    def min_levels(self) -> int:
        return MIN_LEVELS

    @property
    def max_levels(self) -> int:
        return MAX_LEVELS


def scale_page(framework_id: int) -> ScalePage:
    """The framework's levels and the usage of its top level (4 queries).

    Raises ``Framework.DoesNotExist`` when the id is not one of this organisation's frameworks.
    """
    framework = Framework.objects.get(pk=framework_id)
    levels = _scale_levels(framework)
    top = levels[-1].value if levels else 1
    return ScalePage(framework.pk, framework.name, levels, level_usage(framework.pk, top))


@dataclass
class FrameworkImpact:
    """What deleting a framework removes."""

    competencies: int
    indicators: int
    levels: int
    links: int


def framework_impact(framework: Framework) -> FrameworkImpact:
    """Counts of what a delete would remove (4 queries)."""
    return FrameworkImpact(
        competencies=Competency.objects.filter(framework=framework).count(),
        indicators=BehaviouralIndicator.objects.filter(competency__framework=framework).count(),
        levels=ProficiencyLevel.objects.filter(framework=framework).count(),
        links=PriorityAlignment.objects.filter(competency__framework=framework).count(),
    )


# --------------------------------------------------------------------------------------------
# Strategic priorities and the alignment map
# --------------------------------------------------------------------------------------------


@dataclass
class ServingCompetency:
    link_id: int
    competency_id: int
    name: str
    framework: str
    weight: int


@dataclass
class PriorityView:
    id: int
    title: str
    description: str
    competencies: list[ServingCompetency] = field(default_factory=list)

    @property
    def total_weight(self) -> int:
        return sum(c.weight for c in self.competencies)

    @property
    def is_unserved(self) -> bool:
        return not self.competencies


def priority_list() -> list[PriorityView]:
    """Every priority with the competencies that serve it, heaviest first (2 queries)."""
    priorities = {
        p.pk: PriorityView(p.pk, p.title, p.description)
        for p in StrategicPriority.objects.order_by("title")
    }
    for link in (
        PriorityAlignment.objects.select_related("competency__framework")
        .filter(priority_id__in=priorities)
        .order_by("-weight", "competency__framework__name", "competency__name")
    ):
        priorities[link.priority_id].competencies.append(
            ServingCompetency(
                link.pk,
                link.competency_id,
                link.competency.name,
                link.competency.framework.name,
                link.weight,
            )
        )
    return list(priorities.values())


def priority_detail(priority_id: int) -> PriorityView:
    """One priority with its serving competencies (2 queries); raises DoesNotExist."""
    priority = StrategicPriority.objects.get(pk=priority_id)
    view = PriorityView(priority.pk, priority.title, priority.description)
    for link in (
        PriorityAlignment.objects.filter(priority=priority)
        .select_related("competency__framework")
        .order_by("-weight", "competency__framework__name", "competency__name")
    ):
        view.competencies.append(
            ServingCompetency(
                link.pk,
                link.competency_id,
                link.competency.name,
                link.competency.framework.name,
                link.weight,
            )
        )
    return view


def competency_choices() -> list[tuple[str, list[tuple[int, str]]]]:
    """Competencies grouped by framework, for a select with optgroups (1 query)."""
    groups: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for pk, name, framework in Competency.objects.order_by(
        "framework__name", "position", "name"
    ).values_list("pk", "name", "framework__name"):
        groups[framework].append((pk, name))
    return list(groups.items())


@dataclass
class MapRow:
    """One competency of the alignment map: a weight (or None) per priority column."""

    id: int
    name: str
    framework_id: int
    framework: str
    category: str
    cells: list[int | None]
    served: list[tuple[str, int]]

    @property
    def serves_nothing(self) -> bool:
        return not self.served


@dataclass
class AlignmentMap:
    priorities: list[PriorityView]
    rows: list[MapRow]
    frameworks: list[tuple[int, str]]
    framework_id: int | None

    @property
    def unserved_priorities(self) -> list[PriorityView]:
        return [p for p in self.priorities if p.is_unserved]

    @property
    def unaligned_competencies(self) -> list[MapRow]:
        return [r for r in self.rows if r.serves_nothing]

    @property
    def link_count(self) -> int:
        return sum(len(r.served) for r in self.rows)


def alignment_map(framework_id: int | None = None) -> AlignmentMap:
    """Competencies (optionally of one framework) against every priority (4 queries).

    Priorities count as served only by competencies of the frameworks shown, so filtering on
    one framework shows the gaps that framework leaves.
    """
    frameworks = list(Framework.objects.order_by("name").values_list("pk", "name"))
    if framework_id is not None and framework_id not in {pk for pk, _ in frameworks}:
        framework_id = None
    priorities = [
        PriorityView(p.pk, p.title, p.description)
        for p in StrategicPriority.objects.order_by("title")
    ]
    competencies = Competency.objects.select_related("framework").order_by(
        "framework__name", "position", "name"
    )
    links = PriorityAlignment.objects.select_related("competency__framework").order_by(
        "-weight", "competency__name"
    )
    if framework_id is not None:
        competencies = competencies.filter(framework_id=framework_id)
        links = links.filter(competency__framework_id=framework_id)
    column = {p.id: i for i, p in enumerate(priorities)}
    rows = {
        c.pk: MapRow(
            c.pk, c.name, c.framework_id, c.framework.name, c.category, [None] * len(priorities), []
        )
        for c in competencies
    }
    for link in links:
        row = rows.get(link.competency_id)
        if row is None or link.priority_id not in column:
            continue
        priority = priorities[column[link.priority_id]]
        row.cells[column[link.priority_id]] = link.weight
        row.served.append((priority.title, link.weight))
        priority.competencies.append(
            ServingCompetency(link.pk, row.id, row.name, row.framework, link.weight)
        )
    return AlignmentMap(priorities, list(rows.values()), frameworks, framework_id)


FRAMEWORK_EXPORT_HEADERS = (
    "Framework",
    "Description",
    "Competencies",
    "Behavioural indicators",
    "Scale levels",
    "Competencies serving a priority",
)


def framework_export_rows(overview: FrameworkList) -> list[tuple[object, ...]]:
    """The framework list as export rows (no queries)."""
    return [
        (f.name, f.description, f.competencies, f.indicators, f.levels, f.aligned)
        for f in overview.frameworks
    ]


def alignment_export(amap: AlignmentMap) -> tuple[list[str], list[list[object]]]:
    """The alignment map as a table: a competency a row, a priority a column, each cell the
    weight (1-5) or empty, then how many priorities the competency serves (no queries)."""
    headers = [
        gettext("Framework"),
        gettext("Competency"),
        gettext("Category"),
        *[p.title for p in amap.priorities],
        gettext("Priorities served"),
    ]
    rows: list[list[object]] = [
        [r.framework, r.name, r.category, *r.cells, len(r.served)] for r in amap.rows
    ]
    return headers, rows


def scale_export(detail: FrameworkDetail) -> tuple[list[str], list[list[object]]]:
    """A framework's proficiency scale (no queries)."""
    headers = [gettext("Level"), gettext("Label"), gettext("What it looks like")]
    return headers, [[lv.value, lv.label, lv.descriptor] for lv in detail.levels]


def priority_export(priority: PriorityView) -> tuple[list[str], list[list[object]]]:
    """The competencies serving one priority, with their weight (no queries)."""
    headers = [gettext("Competency"), gettext("Framework"), gettext("Weight (1-5)")]
    return headers, [[c.name, c.framework, c.weight] for c in priority.competencies]
