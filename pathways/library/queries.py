"""Reads for the library pages: plain dataclasses, a fixed number of queries."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q
from django.template.defaultfilters import floatformat
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from competencies.models import Competency
from organizations.html_parts import interpolate, url_with_id
from organizations.paging import requested_page
from organizations.raw_queries import fetch_rows, tenant_id
from organizations.words import words
from pathways.library.scenario_checks import TreeProblem, find_tree_problems
from pathways.library.search import MatchingSql, matching_sql
from pathways.library.services import difficulty_level
from pathways.markdown import render_markdown
from pathways.models import (
    ChoiceScore,
    Module,
    ModuleCompetency,
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


@dataclass(frozen=True)
class PageNumbers:
    """Where a page of the library sits, as ``Paginator.get_page`` would place it."""

    number: int
    num_pages: int

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.num_pages

    @property
    def has_other_pages(self) -> bool:
        return self.num_pages > 1

    @property
    def previous_page_number(self) -> int:
        return self.number - 1

    @property
    def next_page_number(self) -> int:
        return self.number + 1


@dataclass
class LibraryPage:
    rows: list[ModuleRow]
    page: PageNumbers
    total: int
    competencies: list[tuple[int, str]]
    roles: list[str]
    functions: list[str]
    impacts: list[str]
    library_size: int
    rows_html: SafeString = field(default_factory=SafeString)  # the table's rows, when asked


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

# The library page reads as SQL text (no queryset to compile on every request): one page of
# the matching modules with the number of matches, each row's question count, practice task
# and learners' reach and ratings (the ``ModuleReach`` roll-up: a row per module, whatever the
# number of learners), and with filters on, the library's size. The base table is filtered on
# the organisation; {conditions} and {rank} come from ``matching_sql``.
_LIBRARY_SQL = """
WITH shown AS (
    SELECT m.id, m.title, m.summary, m.format, m.minutes, m.difficulty, m.status, m.is_core,
        {rank} AS rank, COUNT(*) OVER () AS total
    FROM pathways_module m
    WHERE m.organization_id = %s{conditions}
    ORDER BY 9 DESC, m.title, m.id LIMIT %s OFFSET %s
)
SELECT shown.id, shown.title, shown.summary, shown.format, shown.minutes, shown.difficulty,
    shown.status, shown.is_core, shown.total, {library_size},
    (SELECT COUNT(*) FROM pathways_retrievalitem ri WHERE ri.module_id = shown.id),
    EXISTS (SELECT 1 FROM pathways_practicetask pt WHERE pt.module_id = shown.id),
    r.opened, r.completed, r.ratings, r.useful_sum, r.relevant_sum
FROM shown
LEFT JOIN pathways_modulereach r ON r.module_id = shown.id
ORDER BY shown.rank DESC, shown.title, shown.id
"""
_LIBRARY_SIZE = "(SELECT COUNT(*) FROM pathways_module WHERE organization_id = %s)"
_LIBRARY_SIZE_ALONE = "SELECT COUNT(*) FROM pathways_module WHERE organization_id = %s"

# The shown modules' competencies (by position and name) and tags (by kind and value), and
# with ``options``, the filter's choices: the tags in use and the competencies (by name). One
# statement: (part, module, kind, position, text, id) ordered within each part.
_LOOKUPS_SQL = """
SELECT 'competency', mc.module_id, '', c.position, c.name, c.id
FROM pathways_modulecompetency mc
JOIN competencies_competency c ON c.id = mc.competency_id
WHERE mc.organization_id = %s AND mc.module_id IN ({ids})
UNION ALL
SELECT 'tag', module_id, kind, 0, value, id
FROM pathways_moduletag WHERE organization_id = %s AND module_id IN ({ids})
"""
_OPTIONS_SQL = """
UNION ALL
SELECT DISTINCT 'option', CAST(NULL AS bigint), kind, 0, value, CAST(NULL AS bigint)
FROM pathways_moduletag WHERE organization_id = %s
UNION ALL
SELECT 'choice', CAST(NULL AS bigint), '', 0, name, id
FROM competencies_competency WHERE organization_id = %s
"""
_LOOKUPS_ORDER = "ORDER BY 1, 2, 3, 4, 5"


@dataclass
class _Lookups:
    competencies: dict[int, list[str]] = field(default_factory=lambda: defaultdict(list))
    tags: dict[int, dict[str, list[str]]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(list))
    )
    options: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    choices: list[tuple[int, str]] = field(default_factory=list)


def _lookups(org_id: int, module_ids: list[int], options: bool) -> _Lookups:
    """The competencies and tags of ``module_ids`` and, with ``options``, the filter's
    choices (1 query; none without modules or options)."""
    found = _Lookups()
    if not module_ids and not options:
        return found
    ids = ", ".join(["%s"] * len(module_ids)) or "NULL"
    sql = _LOOKUPS_SQL.format(ids=ids) + (_OPTIONS_SQL if options else "") + _LOOKUPS_ORDER
    params = [org_id, *module_ids, org_id, *module_ids] + ([org_id, org_id] if options else [])
    for part, module_id, kind, _position, text, pk in fetch_rows(sql, params):
        if part == "competency":
            found.competencies[module_id].append(text)
        elif part == "tag":
            found.tags[module_id][kind].append(text)
        elif part == "option":
            found.options[kind].append(text)
        else:
            found.choices.append((pk, text))
    return found


# The modules' formats' and statuses' lazy labels (translated when shown).
_FORMATS = dict(Module.Format.choices)
_STATUSES = dict(Module.Status.choices)


def _library_rows(
    filters: LibraryFilters, limit: int, offset: int
) -> tuple[list[ModuleRow], int, int | None]:
    """``limit`` matching modules from ``offset`` in the page's order (no competencies or tags
    yet), the number of matches and, with filters on, the library's size (``None`` off). 1
    query; no rows past the end."""
    org_id = tenant_id()
    matching = _matching_sql(filters)
    sql = _LIBRARY_SQL.format(
        rank=matching.rank,
        conditions=matching.conditions,
        library_size=_LIBRARY_SIZE if filters.active else "NULL",
    )
    params = [
        *matching.rank_params,
        org_id,
        *matching.params,
        limit,
        offset,
        *([org_id] if filters.active else []),
    ]
    # Each format's and status's (lazy) label translated once per catalogue, not once a row.
    label = words().label

    found = fetch_rows(sql, params)
    rows = []
    for (
        pk,
        title,
        summary,
        fmt,
        minutes,
        difficulty,
        status,
        is_core,
        _total,
        _size,
        questions,
        has_practice,
        opened,
        completed,
        ratings,
        useful_sum,
        relevant_sum,
    ) in found:
        shown = (ratings or 0) >= MIN_RATINGS
        rows.append(
            ModuleRow(
                id=pk,
                title=title,
                summary=summary,
                format=fmt,
                format_label=label(_FORMATS, fmt),
                minutes=minutes,
                difficulty=difficulty,
                status=status,
                status_label=label(_STATUSES, status),
                is_core=bool(is_core),
                questions=int(questions),
                has_practice=bool(has_practice),
                opened=opened or 0,
                completed=completed or 0,
                ratings=ratings or 0,
                useful=useful_sum / ratings if shown else None,
                relevant=relevant_sum / ratings if shown else None,
            )
        )
    if not found:
        return [], 0, None
    total, size = found[0][8], found[0][9]
    return rows, int(total), None if size is None else int(size)


def _with_lookups(rows: list[ModuleRow], lookups: _Lookups) -> list[ModuleRow]:
    for row in rows:
        row.competencies = lookups.competencies.get(row.id, [])
        tags = lookups.tags.get(row.id)
        row.tags = dict(tags) if tags else {}
    return rows


def _matching_sql(filters: LibraryFilters) -> MatchingSql:
    return matching_sql(
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
# Modules read per batch of the download: each batch costs 2 queries (the modules, then their
# competencies and tags).
LIBRARY_EXPORT_BATCH = 1000


def library_export_rows(filters: LibraryFilters) -> Iterator[tuple[object, ...]]:
    """Every module matching the filters, in the page's order, as export rows
    (``LIBRARY_EXPORT_HEADERS``). Mean ratings only from ``MIN_RATINGS`` learners, as on the
    page. Two queries per ``LIBRARY_EXPORT_BATCH`` modules."""
    org_id = tenant_id()
    offset = 0
    while True:
        rows, _total, _size = _library_rows(filters, LIBRARY_EXPORT_BATCH, offset)
        lookups = _lookups(org_id, [r.id for r in rows], options=False)
        yield from _library_export(_with_lookups(rows, lookups))
        if len(rows) < LIBRARY_EXPORT_BATCH:
            return
        offset += LIBRARY_EXPORT_BATCH


def _library_export(rows: list[ModuleRow]) -> Iterator[tuple[object, ...]]:
    hidden = _("hidden: fewer than %(n)s learners rated it") % {"n": MIN_RATINGS}
    for r in rows:
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


def _rows_html(org_slug: str, rows: list[ModuleRow]) -> SafeString:
    """The library table's rows, as its template wrote them, built once per page: the edit
    links formed from one reversed URL, fixed words translated once (no query)."""
    edit_url = url_with_id("library_module_edit", org_slug)
    w = words()  # the fixed words, each looked up once per catalogue
    _ = w.__getitem__

    def minutes_of(n: int, /, **values: Any) -> str:
        return interpolate(w.count("%(minutes)s min", "%(minutes)s min", n), values)

    def questions_of(n: int, /, **values: Any) -> str:
        return interpolate(w.count("%(n)s question", "%(n)s questions", n), values)

    def reach_of(n: int, /, **values: Any) -> str:
        return interpolate(
            w.count(
                "completed by %(done)s of %(n)s learner who opened it",
                "completed by %(done)s of %(n)s learners who opened it",
                n,
            ),
            values,
        )

    rated = _("useful %(useful)s/5, relevant %(relevant)s/5 (n = %(n)s ratings)")
    elective = f'<br><span class="badge badge--info">{escape(_("Elective"))}</span>'
    task = escape(_("Task"))
    no_task = f'<span class="badge badge--overdue">{escape(_("No task"))}</span>'
    none = escape(_("—"))
    not_opened = f'<span class="muted">{escape(_("not opened yet"))}</span>'
    weak = (
        ' <span class="badge badge--overdue">'
        f"{escape(_('rated of little use: refresh or retire'))}</span>"
    )
    hidden = (
        '<span class="muted">'
        + interpolate(
            _("ratings hidden: fewer than %(min)s learners rated it"), {"min": MIN_RATINGS}
        )
        + "</span>"
    )
    no_ratings = f'<span class="muted">{escape(_("no ratings yet"))}</span>'
    html = []
    for m in rows:
        summary = f'<br><span class="muted">{escape(m.summary)}</span>' if m.summary else ""
        minutes = minutes_of(m.minutes, minutes=m.minutes)
        questions = questions_of(m.questions, n=m.questions)
        reach = reach_of(m.opened, done=m.completed, n=m.opened) if m.opened else not_opened
        if m.useful is not None:
            ratings = interpolate(
                rated,
                {
                    "useful": floatformat(m.useful, 1),
                    "relevant": floatformat(m.relevant, 1),
                    "n": m.ratings,
                },
            ) + (weak if m.weak else "")
        elif m.ratings_hidden:
            ratings = hidden
        else:
            ratings = no_ratings
        html.append(
            "\n      <tr>\n"
            f'        <th scope="row"><a href="{edit_url(m.id)}">{escape(m.title)}</a>\n'
            f"          {summary}\n"
            f"          {'' if m.is_core else elective}</th>\n"
            f"        <td>{escape(m.format_label)}</td>\n"
            f'        <td class="num">{minutes}</td>\n'
            f"        <td>{', '.join(escape(c) for c in m.competencies) or none}</td>\n"
            f"        <td>{task if m.has_practice else no_task} · {questions}</td>\n"
            f"        <td>{reach}<br>\n"
            f"          {ratings}</td>\n"
            f'        <td><span class="badge badge--{escape(m.status)}">{escape(m.status_label)}'
            "</span></td>\n"
            "      </tr>\n    "
        )
    return mark_safe("".join(html))  # noqa: S308 - every value is escaped above


def library_page(
    filters: LibraryFilters, page_number: int | str | None = 1, org_slug: str | None = None
) -> LibraryPage:
    """One page of matching modules with their competencies, tags, question counts, practice
    tasks and learners' reach and ratings, and the filter options: 2 queries whatever the
    library's size (3 for an empty page with filters on, up to 4 past the last page, which
    shows the last page as ``Paginator.get_page`` does). With ``org_slug``, the table's rows as
    HTML (``rows_html``)."""
    org_id = tenant_id()
    asked = requested_page(page_number)
    rows: list[ModuleRow] = []
    total, size = 0, None
    if asked is not None:
        rows, total, size = _library_rows(filters, PAGE_SIZE, (asked - 1) * PAGE_SIZE)
    number = asked or 1
    if not rows and asked != 1:  # past the end or below 1: the last page
        rows, total, size = _library_rows(filters, PAGE_SIZE, 0)
        number = max(1, -(-total // PAGE_SIZE))
        if number > 1:
            rows, total, size = _library_rows(filters, PAGE_SIZE, (number - 1) * PAGE_SIZE)
    if size is None:  # unfiltered, the matches are the library; else no match at all
        size = fetch_rows(_LIBRARY_SIZE_ALONE, [org_id])[0][0] if filters.active else total
    lookups = _lookups(org_id, [r.id for r in rows], options=True)
    _with_lookups(rows, lookups)
    return LibraryPage(
        rows=rows,
        page=PageNumbers(number, max(1, -(-total // PAGE_SIZE))),
        total=total,
        competencies=lookups.choices,
        roles=lookups.options[ModuleTag.Kind.ROLE],
        functions=lookups.options[ModuleTag.Kind.FUNCTION],
        impacts=lookups.options[ModuleTag.Kind.IMPACT],
        library_size=int(size),
        rows_html=_rows_html(org_slug, rows) if org_slug else SafeString(),
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
