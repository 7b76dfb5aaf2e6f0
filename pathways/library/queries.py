"""Reads for the library pages: plain dataclasses, a fixed number of queries."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.core.paginator import Page, Paginator
from django.db.models import Count, Q, QuerySet
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from competencies.models import Competency
from pathways.library.scenario_checks import TreeProblem, find_tree_problems
from pathways.library.search import search_modules
from pathways.library.services import difficulty_level
from pathways.markdown import render_markdown
from pathways.models import (
    ChoiceScore,
    Module,
    ModuleCompetency,
    ModuleReach,
    ModuleTag,
    PracticeTask,
    RetrievalItem,
    Scenario,
    ScenarioChoice,
    ScenarioNode,
)

PAGE_SIZE = 25


@dataclass
class ModuleRow:
    id: int
    title: str
    summary: str
    format: str
    format_label: str
    minutes: int
    difficulty: int
    status: str
    status_label: str
    is_core: bool
    competencies: list[str] = field(default_factory=list)
    tags: dict[str, list[str]] = field(default_factory=dict)
    questions: int = 0
    has_practice: bool = False
    opened: int = 0  # learners who opened the module
    completed: int = 0  # learners who completed it
    ratings: int = 0  # learners who rated it
    useful: float | None = None  # mean 1-5, only with at least MIN_RATINGS ratings
    relevant: float | None = None

    @property
    def ratings_hidden(self) -> bool:
        """Fewer ratings than the anonymity threshold: no mean is shown."""
        return 0 < self.ratings < MIN_RATINGS

    @property
    def weak(self) -> bool:
        """Learners found it of little use: a candidate to refresh or retire."""
        return self.useful is not None and self.useful < WEAK_RATING


@dataclass
class LibraryFilters:
    text: str = ""
    competency_id: int | None = None
    role: str = ""
    function: str = ""
    impact: str = ""
    format: str = ""
    status: str = ""

    @property
    def active(self) -> bool:
        return any(
            [self.text, self.competency_id, self.role, self.function, self.impact, self.format]
        ) or bool(self.status)


@dataclass
class LibraryPage:
    rows: list[ModuleRow]
    page: Page
    total: int
    competencies: list[tuple[int, str]]
    roles: list[str]
    functions: list[str]
    impacts: list[str]
    library_size: int


def _competency_names(module_ids: list[int]) -> dict[int, list[str]]:
    names: dict[int, list[str]] = defaultdict(list)
    for module_id, name in (
        ModuleCompetency.objects.filter(module_id__in=module_ids)
        .order_by("competency__position", "competency__name")
        .values_list("module_id", "competency__name")
    ):
        names[module_id].append(name)
    return names


def _tags(module_ids: list[int]) -> dict[int, dict[str, list[str]]]:
    tags: dict[int, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for module_id, kind, value in (
        ModuleTag.objects.filter(module_id__in=module_ids)
        .order_by("kind", "value")
        .values_list("module_id", "kind", "value")
    ):
        tags[module_id][kind].append(value)
    return {k: dict(v) for k, v in tags.items()}


def _row(module: Module, names: dict[int, list[str]], tags: dict) -> ModuleRow:
    return ModuleRow(
        id=module.pk,
        title=module.title,
        summary=module.summary,
        format=module.format,
        format_label=module.get_format_display(),
        minutes=module.minutes,
        difficulty=module.difficulty,
        status=module.status,
        status_label=module.get_status_display(),
        is_core=module.is_core,
        competencies=names.get(module.pk, []),
        tags=tags.get(module.pk, {}),
    )


# Aggregates across learners need at least this many people (ARCHITECTURE: >= 5 a cell).
MIN_RATINGS = 5
# A mean usefulness below this (on 1-5) marks the module as one to refresh or retire.
WEAK_RATING = 3.0

Reach = tuple[int, int, int, float | None, float | None]


def _learner_reach(module_ids: list[int]) -> dict[int, Reach]:
    """Per module: learners who opened it, who completed it, how many rated it and the mean
    ratings (hidden below ``MIN_RATINGS``), from the ``ModuleReach`` roll-up: a row per
    module, whatever the number of learners. 1 query."""
    reach: dict[int, Reach] = dict.fromkeys(module_ids, (0, 0, 0, None, None))
    for row in ModuleReach.objects.filter(module_id__in=module_ids).only(
        "module_id", "opened", "completed", "ratings", "useful_sum", "relevant_sum"
    ):
        shown = row.ratings >= MIN_RATINGS
        reach[row.module_id] = (
            row.opened,
            row.completed,
            row.ratings,
            row.useful if shown else None,
            row.relevant if shown else None,
        )
    return reach


def _module_rows(modules: list[Module]) -> list[ModuleRow]:
    """``modules`` as rows with competencies, tags, questions, practice task and learners'
    reach and ratings (5 queries whatever their number)."""
    ids = [m.pk for m in modules]
    names = _competency_names(ids)
    tags = _tags(ids)
    questions = dict(
        RetrievalItem.objects.filter(module_id__in=ids)
        .values("module_id")
        .annotate(n=Count("id"))
        .values_list("module_id", "n")
    )
    practised = set(
        PracticeTask.objects.filter(module_id__in=ids).values_list("module_id", flat=True)
    )
    rows = [_row(m, names, tags) for m in modules]
    reach = _learner_reach(ids)
    for row in rows:
        row.questions = questions.get(row.id, 0)
        row.has_practice = row.id in practised
        row.opened, row.completed, row.ratings, row.useful, row.relevant = reach.get(
            row.id, (0, 0, 0, None, None)
        )
    return rows


def _matching(filters: LibraryFilters) -> QuerySet[Module]:
    return search_modules(
        text=filters.text,
        competency_id=filters.competency_id,
        role=filters.role,
        function=filters.function,
        impact=filters.impact,
        format=filters.format,
        status=filters.status or None,
    )


LIBRARY_EXPORT_HEADERS = (
    "Module",
    "Summary",
    "Format",
    "Minutes",
    "Core or elective",
    "Competencies",
    "Roles",
    "Functions",
    "Impact",
    "Practice task",
    "Retrieval questions",
    "Learners who opened it",
    "Learners who completed it",
    "Ratings",
    "Useful (of 5)",
    "Relevant (of 5)",
    "Status",
)
# Modules read per batch of the download: each batch costs the 5 look-ups of ``_module_rows``.
LIBRARY_EXPORT_BATCH = 1000


def library_export_rows(filters: LibraryFilters) -> Iterator[tuple[object, ...]]:
    """Every module matching the filters, in the page's order, as export rows
    (``LIBRARY_EXPORT_HEADERS``). Mean ratings only from ``MIN_RATINGS`` learners, as on the
    page. One query streamed in batches, plus the look-ups of each batch."""
    batch: list[Module] = []
    for module in _matching(filters).iterator(chunk_size=LIBRARY_EXPORT_BATCH):
        batch.append(module)
        if len(batch) == LIBRARY_EXPORT_BATCH:
            yield from _library_export(batch)
            batch = []
    if batch:
        yield from _library_export(batch)


def _library_export(modules: list[Module]) -> Iterator[tuple[object, ...]]:
    hidden = _("hidden: fewer than %(n)s learners rated it") % {"n": MIN_RATINGS}
    for r in _module_rows(modules):
        yield (
            r.title,
            r.summary,
            r.format_label,
            r.minutes,
            _("Core") if r.is_core else _("Elective"),
            ", ".join(r.competencies),
            ", ".join(r.tags.get(ModuleTag.Kind.ROLE, [])),
            ", ".join(r.tags.get(ModuleTag.Kind.FUNCTION, [])),
            ", ".join(r.tags.get(ModuleTag.Kind.IMPACT, [])),
            _("yes") if r.has_practice else _("no"),
            r.questions,
            r.opened,
            r.completed,
            None if r.ratings_hidden else r.ratings,
            hidden if r.ratings_hidden else r.useful,
            None if r.ratings_hidden else r.relevant,
            r.status_label,
        )


def library_page(filters: LibraryFilters, page_number: int | str | None = 1) -> LibraryPage:
    """One page of matching modules with their competencies, tags, question counts, practice
    tasks and learners' reach and ratings, and the filter options (10 queries whatever the
    library's size, 9 unfiltered)."""
    page = Paginator(_matching(filters), PAGE_SIZE).get_page(page_number)
    rows = _module_rows(list(page.object_list))
    options: dict[str, list[str]] = defaultdict(list)
    for kind, value in (
        ModuleTag.objects.order_by("kind", "value").values_list("kind", "value").distinct()
    ):
        if value not in options[kind]:
            options[kind].append(value)
    total = page.paginator.count
    return LibraryPage(
        rows=rows,
        page=page,
        total=total,
        competencies=list(Competency.objects.order_by("name").values_list("id", "name")),
        roles=options[ModuleTag.Kind.ROLE],
        functions=options[ModuleTag.Kind.FUNCTION],
        impacts=options[ModuleTag.Kind.IMPACT],
        # Unfiltered, the matches are the library: not counted twice.
        library_size=Module.objects.count() if filters.active else total,
    )


@dataclass
class OptionView:
    id: int
    text: str
    is_correct: bool
    feedback: str


@dataclass
class ItemView:
    id: int
    kind: str
    kind_label: str
    prompt: str
    model_answer: str
    competency_id: int | None
    competency: str
    difficulty: float
    level: str
    options: list[OptionView]

    @property
    def difficulty_words(self) -> str:
        """The item's current difficulty as an admin says it (the Elo value learns from
        answers: 0 is a typical question, ±1 clearly easier or harder)."""
        if self.difficulty <= -0.5:
            return _("easier than most questions")
        if self.difficulty >= 0.5:
            return _("harder than most questions")
        return _("about as hard as most questions")


@dataclass
class ModuleDetail:
    module: Module
    row: ModuleRow
    body_html: SafeString
    practice: PracticeTask | None
    items: list[ItemView]
    scenarios: list[tuple[int, str, str, str]]

    @property
    def missing_for_learners(self) -> list[str]:
        """What the library promises learners that this module lacks (no query)."""
        missing = []
        if self.practice is None:
            missing.append(_("a practice task"))
        if not self.items:
            missing.append(_("retrieval questions"))
        return missing

    @property
    def missing_label(self) -> str:
        return _(" and ").join(self.missing_for_learners)


def retrieval_items(module: Module) -> list[ItemView]:
    """The module's items with their options (2 queries)."""
    return [
        ItemView(
            id=item.pk,
            kind=item.kind,
            kind_label=item.get_kind_display(),
            prompt=item.prompt,
            model_answer=item.model_answer,
            competency_id=item.competency_id,
            competency=item.competency.name if item.competency else "",
            difficulty=item.difficulty,
            level=difficulty_level(item.difficulty),
            options=[
                OptionView(o.pk, o.text, o.is_correct, o.feedback) for o in item.options.all()
            ],
        )
        for item in RetrievalItem.objects.filter(module=module)
        .select_related("competency")
        .prefetch_related("options")
        .order_by("position", "id")
    ]


def module_detail(module: Module) -> ModuleDetail:
    """Everything the edit and preview pages show about a module (6 queries)."""
    ids = [module.pk]
    return ModuleDetail(
        module=module,
        row=_row(module, _competency_names(ids), _tags(ids)),
        body_html=render_markdown(module.body),
        practice=PracticeTask.objects.filter(module=module).first(),
        items=retrieval_items(module),
        scenarios=[
            (s.pk, s.title, s.status, s.get_status_display())
            for s in Scenario.objects.filter(module=module).order_by("title")
        ],
    )


# ---------------------------------------------------------------------------------------------
# Scenarios
# ---------------------------------------------------------------------------------------------


@dataclass
class ScenarioRow:
    id: int
    title: str
    summary: str
    module: str
    status: str
    status_label: str
    situations: int
    endings: int
    problems: int


def scenario_rows() -> list[ScenarioRow]:
    """Every scenario with its size and how many problems block publishing (3 queries)."""
    scenarios = list(
        Scenario.objects.select_related("module")
        .annotate(
            n_situations=Count("nodes", filter=Q(nodes__is_ending=False)),
            n_endings=Count("nodes", filter=Q(nodes__is_ending=True)),
        )
        .order_by("title", "id")
    )
    nodes: dict[int, list[ScenarioNode]] = defaultdict(list)
    for node in ScenarioNode.objects.order_by("position", "id"):
        nodes[node.scenario_id].append(node)
    choices: dict[int, list[ScenarioChoice]] = defaultdict(list)
    for choice in ScenarioChoice.objects.only("id", "node_id", "next_node_id", "text").order_by(
        "position", "id"
    ):
        choices[choice.node_id].append(choice)
    rows = []
    for s in scenarios:
        own_nodes = nodes[s.pk]
        own_choices = [c for n in own_nodes for c in choices[n.pk]]
        rows.append(
            ScenarioRow(
                id=s.pk,
                title=s.title,
                summary=s.summary,
                module=s.module.title if s.module else "",
                status=s.status,
                status_label=s.get_status_display(),
                situations=s.n_situations,
                endings=s.n_endings,
                problems=len(find_tree_problems(own_nodes, own_choices, s.start_node_id)),
            )
        )
    return rows


SCENARIO_EXPORT_HEADERS = (
    "Scenario",
    "Summary",
    "Module",
    "Situations",
    "Endings",
    "Problems blocking publishing",
    "Status",
)


def scenario_export_rows(rows: list[ScenarioRow]) -> list[tuple[object, ...]]:
    """The scenario list (``scenario_rows``) as export rows (no queries)."""
    return [
        (s.title, s.summary, s.module, s.situations, s.endings, s.problems, s.status_label)
        for s in rows
    ]


@dataclass
class ChoiceView:
    id: int
    text: str
    next_node_id: int | None
    next_key: str
    feedback: str
    is_effective: bool
    scores: list[tuple[int, str, int]]  # competency id, name, score


@dataclass
class NodeView:
    id: int
    key: str
    text: str
    is_ending: bool
    debrief: str
    is_start: bool
    choices: list[ChoiceView] = field(default_factory=list)


@dataclass
class ScenarioDetail:
    scenario: Scenario
    nodes: list[NodeView]
    problems: list[TreeProblem]
    competencies: list[tuple[int, str]]

    def node(self, node_id: int | None) -> NodeView | None:
        return next((n for n in self.nodes if n.id == node_id), None)

    def choice(self, choice_id: int) -> tuple[NodeView, ChoiceView] | None:
        for node in self.nodes:
            for choice in node.choices:
                if choice.id == choice_id:
                    return node, choice
        return None


def scenario_detail(scenario: Scenario) -> ScenarioDetail:
    """The scenario's nodes, choices, scores and problems (4 queries)."""
    nodes = list(ScenarioNode.objects.filter(scenario=scenario).order_by("position", "id"))
    choices = list(
        ScenarioChoice.objects.filter(node__scenario=scenario).order_by("position", "id")
    )
    scores: dict[int, list[tuple[int, str, int]]] = defaultdict(list)
    for choice_id, cid, name, score in (
        ChoiceScore.objects.filter(choice__node__scenario=scenario)
        .order_by("competency__position", "competency__name")
        .values_list("choice_id", "competency_id", "competency__name", "score")
    ):
        scores[choice_id].append((cid, name, score))
    keys = {n.pk: n.key for n in nodes}
    views = {
        n.pk: NodeView(
            id=n.pk,
            key=n.key,
            text=n.text,
            is_ending=n.is_ending,
            debrief=n.debrief,
            is_start=n.pk == scenario.start_node_id,
        )
        for n in nodes
    }
    for c in choices:
        views[c.node_id].choices.append(
            ChoiceView(
                id=c.pk,
                text=c.text,
                next_node_id=c.next_node_id,
                next_key=keys.get(c.next_node_id, "") if c.next_node_id is not None else "",
                feedback=c.feedback,
                is_effective=c.is_effective,
                scores=scores[c.pk],
            )
        )
    return ScenarioDetail(
        scenario=scenario,
        nodes=list(views.values()),
        problems=find_tree_problems(nodes, choices, scenario.start_node_id),
        competencies=list(Competency.objects.order_by("name").values_list("id", "name")),
    )


@dataclass
class PlayStep:
    node: NodeView
    choice: ChoiceView


@dataclass
class PlayState:
    """Where a preview play stands after following ``path`` (choice ids) from the start."""

    history: list[PlayStep]
    current: NodeView | None
    totals: list[tuple[str, int]]
    effective: int
    broken: bool

    @property
    def last(self) -> PlayStep | None:
        return self.history[-1] if self.history else None


def play(detail: ScenarioDetail, path: list[int]) -> PlayState:
    """Replay the chosen choice ids from the start node; stops at the first choice that does
    not belong to the current node (a stale or edited link)."""
    current = detail.node(detail.scenario.start_node_id)
    history: list[PlayStep] = []
    totals: dict[str, int] = defaultdict(int)
    broken = False
    for choice_id in path:
        if current is None or current.is_ending:
            broken = True
            break
        choice = next((c for c in current.choices if c.id == choice_id), None)
        if choice is None:
            broken = True
            break
        history.append(PlayStep(current, choice))
        for _cid, name, score in choice.scores:
            totals[name] += score
        current = detail.node(choice.next_node_id)
    return PlayState(
        history=history,
        current=current,
        totals=sorted(totals.items()),
        effective=sum(1 for step in history if step.choice.is_effective),
        broken=broken,
    )
