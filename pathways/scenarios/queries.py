"""Reads for scenarios, adaptive practice and the learner's growth page.

Every function returns plain dataclasses built with a fixed number of queries, whatever the
number of scenarios, plays, items or answers.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db.models import (
    BigIntegerField,
    Case,
    Count,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    When,
    Window,
)
from django.db.models.functions import Cast, Coalesce, RowNumber
from django.utils import timezone
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from competencies.models import Competency
from organizations.models import Membership
from pathways import adaptive
from pathways.markdown import render_markdown
from pathways.models import (
    Ability,
    ActivityEvent,
    ChoiceScore,
    Enrollment,
    MasteryEvidence,
    Module,
    ModuleCompetency,
    PracticeAnswer,
    RetrievalItem,
    ReviewLog,
    Scenario,
    ScenarioChoice,
    ScenarioDecision,
    ScenarioNode,
    ScenarioPlay,
    VersionCompetency,
)
from pathways.templatetags.quotes import quoted

# Adaptive practice leaves alone an item answered (here or in a review) this recently, so a
# learner practises recall rather than repeating what is still in working memory.
RECENT_MINUTES = 10
# Evidence rows listed per competency and kind on the growth page.
LATEST_EVIDENCE = 3
# Quiz answers only support a strong claim once there are enough of them: with fewer, a run of
# lucky right answers already lifts the BKT estimate above 95 %.
STRONG_EVIDENCE_MIN_ANSWERS = 8
PRACTICE_VERB = "answered"
PRACTICE_OBJECT = "retrieval_item"


def signed(score: int) -> str:
    """+3, 0, −2 (a true minus sign reads better than a hyphen)."""
    if score > 0:
        return f"+{score}"
    if score < 0:
        return f"\u2212{-score}"
    return "0"


# --------------------------------------------------------------------------------------------
# Scenarios
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EndingView:
    play_id: int
    text: str
    total: int
    finished_at: dt.datetime

    @property
    def total_label(self) -> str:
        return signed(self.total)


class ExpectedSuccessText:
    """Percentages for a page that shows an Elo expected chance of success (``expected``, 0–1
    or None) beside the ~85% practice target."""

    if TYPE_CHECKING:  # a field or a property of the class that mixes this in

        @property
        def expected(self) -> float | None: ...

    @property
    def expected_percent(self) -> int | None:
        return None if self.expected is None else round(self.expected * 100)

    @property
    def target_percent(self) -> int:
        return round(adaptive.TARGET_SUCCESS * 100)


@dataclass
class ScenarioSummary(ExpectedSuccessText):
    id: int
    title: str
    summary: str
    module_title: str
    competencies: list[str] = field(default_factory=list)
    plays: int = 0
    finished: int = 0
    best: EndingView | None = None
    open_play_id: int | None = None
    # The learner's ability averaged over the competencies the scenario scores, minus the
    # scenario's Elo difficulty, in logits (None: the scenario scores no competency).
    margin: float | None = None
    suggested: bool = False

    @property
    def played(self) -> bool:
        return self.plays > 0

    @property
    def expected(self) -> float | None:
        """The learner's Elo chance of choosing the most effective option at a decision."""
        return None if self.margin is None else adaptive.expected_success(self.margin, 0.0)

    @property
    def suitability(self) -> float:
        """Distance in logits from the ~85% target (smaller suits better; no estimate: last)."""
        return math.inf if self.margin is None else abs(self.margin - adaptive.TARGET_OFFSET)


def playable_scenarios() -> QuerySet[Scenario]:
    return Scenario.objects.filter(status=Scenario.Status.PUBLISHED, start_node__isnull=False)


def scenario_summaries(
    learner: Membership, scenario_id: int | None = None
) -> list[ScenarioSummary]:
    """Published scenarios with the learner's plays, the play to continue (the latest, if
    unfinished), the best ending and the learner's expected success (4 queries), best suited
    first.

    The best ending is the finished play with the highest behaviour score (sum of the chosen
    choices' scores over all competencies); ties go to the earlier play.

    Suitability follows adaptive practice (MEASUREMENT.md): a scenario suits the learner best
    when its Elo difficulty is nearest their ability minus 1.7 logits, about 85% expected
    success. Scenarios the learner has not yet played to an ending come first, best suited
    first (ties by title); the first of them is the suggested one. When every scenario has been
    played to an ending, the best suited is suggested to play again. Nothing is suggested when
    one scenario is asked for (``scenario_id``).
    """
    scenarios = playable_scenarios().select_related("module").order_by("title")
    if scenario_id is not None:
        scenarios = scenarios.filter(pk=scenario_id)
    difficulty: dict[int, float] = {}
    summaries: dict[int, ScenarioSummary] = {}
    for s in scenarios:
        difficulty[s.pk] = s.difficulty
        summaries[s.pk] = ScenarioSummary(
            id=s.pk,
            title=s.title,
            summary=s.summary,
            module_title=s.module.title if s.module_id and s.module else "",
        )
    if not summaries:
        return []
    names: dict[int, set[str]] = defaultdict(set)
    scored: dict[int, set[int]] = defaultdict(set)
    for sid, cid, name in (
        ChoiceScore.objects.filter(choice__node__scenario_id__in=summaries)
        .values_list("choice__node__scenario_id", "competency_id", "competency__name")
        .distinct()
    ):
        names[sid].add(name)
        scored[sid].add(cid)
    theta = dict(
        Ability.objects.filter(
            learner=learner, competency_id__in={c for ids in scored.values() for c in ids}
        ).values_list("competency_id", "theta")
    )
    plays = (
        ScenarioPlay.objects.filter(learner=learner, scenario_id__in=summaries)
        .annotate(total=Sum("decisions__choice__scores__score"))
        .select_related("current_node")
        .order_by("started_at", "id")
    )
    for play in plays:
        summary = summaries[play.scenario_id]
        summary.plays += 1
        # Only the latest play can be continued; an older one left unfinished was abandoned.
        summary.open_play_id = play.pk if play.finished_at is None else None
        if play.finished_at is None:
            continue
        summary.finished += 1
        total = play.total or 0
        if summary.best is None or total > summary.best.total:
            ending = play.current_node.text if play.current_node is not None else ""
            summary.best = EndingView(
                play_id=play.pk,
                text=first_line(ending),
                total=total,
                finished_at=play.finished_at,
            )
    for sid, summary in summaries.items():
        summary.competencies = sorted(names[sid])
        if scored[sid]:
            # No estimate on a competency yet: the Elo starting ability, 0.
            ability = sum(theta.get(cid, 0.0) for cid in scored[sid]) / len(scored[sid])
            summary.margin = ability - difficulty[sid]
    ordered = sorted(
        summaries.values(), key=lambda s: (s.finished > 0, s.suitability, s.title.lower(), s.id)
    )
    if scenario_id is None and ordered[0].margin is not None:
        ordered[0].suggested = True
    return ordered


def first_line(text: str, limit: int = 120) -> str:
    """The first non-empty line of Markdown ``text`` without its heading or list marker,
    shortened to ``limit`` characters."""
    line = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
    line = line.lstrip("#>*- ").strip()
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


@dataclass(frozen=True)
class NodeView:
    id: int
    key: str
    text_html: SafeString
    is_ending: bool
    debrief_html: SafeString


@dataclass(frozen=True)
class ChoiceView:
    id: int
    text: str


@dataclass(frozen=True)
class ScoreView:
    competency_id: int
    competency: str
    score: int

    @property
    def label(self) -> str:
        return signed(self.score)


@dataclass(frozen=True)
class DecisionView:
    id: int
    sequence: int  # 1 for the play's first decision
    # The decision made the last time the play was in this situation (a loop back), if any.
    earlier_sequence: int | None
    node_id: int
    situation_html: SafeString
    choice_text: str
    feedback_html: SafeString
    is_effective: bool
    leads_to_ending: bool
    scores: list[ScoreView]
    decided_at: dt.datetime


@dataclass(frozen=True)
class CompetencyTotal:
    competency_id: int
    name: str
    total: int
    choices: int

    @property
    def label(self) -> str:
        return signed(self.total)

    @property
    def tone(self) -> str:
        if self.total >= 3:
            return "strong"
        if self.total > 0:
            return "some"
        if self.total == 0:
            return "even"
        return "against"

    @property
    def sentence(self) -> str:
        values = {"name": self.name, "score": self.label}
        if self.tone == "strong":
            return _("You showed strong %(name)s (%(score)s)") % values
        if self.tone == "some":
            return _("You showed some %(name)s (%(score)s)") % values
        if self.tone == "even":
            return _("Your choices balanced out on %(name)s (%(score)s)") % values
        return _("Your choices worked against %(name)s (%(score)s)") % values


@dataclass
class PlayView:
    id: int
    scenario_id: int
    scenario_title: str
    scenario_summary: str
    started_at: dt.datetime
    finished_at: dt.datetime | None
    current: NodeView | None
    choices: list[ChoiceView]
    decisions: list[DecisionView]
    totals: list[CompetencyTotal]

    @property
    def finished(self) -> bool:
        return self.finished_at is not None

    @property
    def effective_choices(self) -> int:
        return sum(1 for d in self.decisions if d.is_effective)

    @property
    def step_number(self) -> int:
        """The number of the next decision (what the choice form sends back)."""
        return len(self.decisions) + 1

    @property
    def last_time_here(self) -> DecisionView | None:
        """The latest decision made in the current situation, when the play has come back to
        it (a "try again" loop)."""
        if self.current is None:
            return None
        current_id = self.current.id
        return next((d for d in reversed(self.decisions) if d.node_id == current_id), None)

    def decision(self, decision_id: int) -> DecisionView | None:
        return next((d for d in self.decisions if d.id == decision_id), None)


def _node_view(node: ScenarioNode | None) -> NodeView | None:
    if node is None:
        return None
    return NodeView(
        id=node.pk,
        key=node.key,
        text_html=render_markdown(node.text),
        is_ending=node.is_ending,
        debrief_html=render_markdown(node.debrief),
    )


def play_view(learner: Membership, play_id: int) -> PlayView:
    """The learner's play: where it stands, the choices there, the path taken (every decision
    in order, a situation passed twice listed twice) and the behaviour totals per competency,
    summed over the decisions (4 queries). Raises ScenarioPlay.DoesNotExist when the play is
    not the learner's."""
    play = ScenarioPlay.objects.select_related("scenario", "current_node").get(
        pk=play_id, learner=learner
    )
    choices: list[ChoiceView] = []
    if play.finished_at is None and play.current_node_id is not None:
        choices = [
            ChoiceView(id=c.pk, text=c.text)
            for c in ScenarioChoice.objects.filter(node_id=play.current_node_id).order_by(
                "position", "id"
            )
        ]
    decisions = list(
        ScenarioDecision.objects.filter(play=play)
        .select_related("node", "choice__next_node")
        .order_by("sequence")
    )
    scores: dict[int, list[ScoreView]] = defaultdict(list)
    for row in (
        ChoiceScore.objects.filter(choice_id__in=[d.choice_id for d in decisions])
        .select_related("competency")
        .order_by("competency__position", "competency__name", "competency_id")
    ):
        scores[row.choice_id].append(
            ScoreView(
                competency_id=row.competency_id, competency=row.competency.name, score=row.score
            )
        )
    # Behaviour shown per competency: the sum of the chosen choices' scores on it.
    totals: dict[int, CompetencyTotal] = {}
    for d in decisions:
        for s in scores[d.choice_id]:
            before = totals.get(s.competency_id)
            totals[s.competency_id] = CompetencyTotal(
                competency_id=s.competency_id,
                name=s.competency,
                total=(before.total if before else 0) + s.score,
                choices=(before.choices if before else 0) + 1,
            )
    # A play may pass a situation more than once: each decision knows the previous visit.
    earlier: dict[int, int | None] = {}
    last_at: dict[int, int] = {}
    for d in decisions:
        earlier[d.pk] = last_at.get(d.node_id)
        last_at[d.node_id] = d.sequence
    return PlayView(
        id=play.pk,
        scenario_id=play.scenario_id,
        scenario_title=play.scenario.title,
        scenario_summary=play.scenario.summary,
        started_at=play.started_at,
        finished_at=play.finished_at,
        current=_node_view(play.current_node),
        choices=choices,
        decisions=[
            DecisionView(
                id=d.pk,
                sequence=d.sequence,
                earlier_sequence=earlier[d.pk],
                node_id=d.node_id,
                situation_html=render_markdown(d.node.text),
                choice_text=d.choice.text,
                feedback_html=render_markdown(d.choice.feedback),
                is_effective=d.choice.is_effective,
                leads_to_ending=d.choice.next_node is None or d.choice.next_node.is_ending,
                scores=scores[d.choice_id],
                decided_at=d.decided_at,
            )
            for d in decisions
        ],
        totals=sorted(totals.values(), key=lambda t: (-t.total, t.name)),
    )


# --------------------------------------------------------------------------------------------
# Adaptive practice by competency
# --------------------------------------------------------------------------------------------


def items_for_competency(competency_id: int) -> QuerySet[RetrievalItem]:
    """Retrieval items that practise a competency: those of published modules tagged with it,
    unless the item names a competency of its own (then that one counts)."""
    tagged_modules = ModuleCompetency.objects.filter(competency_id=competency_id).values(
        "module_id"
    )
    return RetrievalItem.objects.filter(module__status=Module.Status.PUBLISHED).filter(
        Q(competency_id=competency_id) | Q(competency__isnull=True, module_id__in=tagged_modules)
    )


def competencies_of_item(item: RetrievalItem) -> list[int]:
    """The competencies an answer to ``item`` is evidence of: the item's own, or, when it names
    none, each competency its module is tagged with (the rule ``items_for_competency`` selects
    by, read the other way). The review service updates these estimates when the answer is
    given and records them in the ``MasteryEvidence`` ledger, which the growth page counts, so a
    later retag changes what future answers count for, not past ones (0 or 1 query)."""
    if item.competency_id is not None:
        return [item.competency_id]
    return sorted(
        ModuleCompetency.objects.filter(module_id=item.module_id).values_list(
            "competency_id", flat=True
        )
    )


@dataclass(frozen=True)
class OptionView:
    id: int
    text: str
    is_correct: bool
    feedback: str


@dataclass(frozen=True)
class PracticeItemView:
    id: int
    kind: str
    prompt_html: SafeString
    model_answer_html: SafeString
    module_title: str
    difficulty: float
    options: list[OptionView]

    @property
    def is_multiple_choice(self) -> bool:
        return self.kind == RetrievalItem.Kind.MULTIPLE_CHOICE

    def option(self, option_id: int) -> OptionView | None:
        return next((o for o in self.options if o.id == option_id), None)

    @property
    def correct_options(self) -> list[OptionView]:
        return [o for o in self.options if o.is_correct]


@dataclass(frozen=True)
class AbilityView:
    theta: float
    p_known: float
    answers: int

    @property
    def percent(self) -> int:
        return round(self.p_known * 100)

    @property
    def mastered(self) -> bool:
        return self.p_known >= adaptive.MASTERED_AT


@dataclass(frozen=True)
class PracticePick(ExpectedSuccessText):
    competency_id: int
    competency: str
    ability: AbilityView
    item: PracticeItemView | None
    expected: float | None  # the learner's chance of answering ``item`` right
    pool: int  # items that practise this competency
    resting: int  # of which answered in the last RECENT_MINUTES
    free_again_at: dt.datetime | None  # when the first resting item may come back

    @property
    def on_target(self) -> bool:
        """Whether the item is within 10 points of the target success rate."""
        return self.expected is not None and abs(self.expected - adaptive.TARGET_SUCCESS) <= 0.1


def ability_for(learner: Membership, competency_id: int) -> AbilityView:
    """The learner's Elo ability and BKT p(known) on a competency, or the prior (1 query)."""
    row = Ability.objects.filter(learner=learner, competency_id=competency_id).first()
    if row is None:
        return AbilityView(theta=0.0, p_known=adaptive.BKT_PRIOR, answers=0)
    return AbilityView(theta=row.theta, p_known=row.p_known, answers=row.updates)


def recently_answered(learner: Membership, since: dt.datetime) -> dict[int, dt.datetime]:
    """Item id -> latest answer time since ``since``, from practice and reviews (2 queries)."""
    latest: dict[int, dt.datetime] = {}
    for object_id, when in ActivityEvent.objects.filter(
        actor=learner, verb=PRACTICE_VERB, object_type=PRACTICE_OBJECT, timestamp__gte=since
    ).values_list("object_id", "timestamp"):
        if object_id.isdigit():
            latest[int(object_id)] = max(when, latest.get(int(object_id), when))
    for item_id, when in ReviewLog.objects.filter(
        learner=learner, reviewed_at__gte=since
    ).values_list("card__item_id", "reviewed_at"):
        latest[item_id] = max(when, latest.get(item_id, when))
    return latest


def choose_item(candidates: list[tuple[int, float]], theta: float, resting: set[int]) -> int | None:
    """The candidate (id, difficulty) nearest the target difficulty for ``theta``, leaving out
    resting items; ties go to the lower id so the choice is reproducible."""
    target = adaptive.target_difficulty(theta)
    free = [(abs(b - target), pk) for pk, b in candidates if pk not in resting]
    return min(free)[1] if free else None


def practice_item(item_id: int) -> PracticeItemView:
    """One item with its options (2 queries). Raises RetrievalItem.DoesNotExist."""
    item = (
        RetrievalItem.objects.select_related("module").prefetch_related("options").get(pk=item_id)
    )
    return PracticeItemView(
        id=item.pk,
        kind=item.kind,
        prompt_html=render_markdown(item.prompt),
        model_answer_html=render_markdown(item.model_answer),
        module_title=item.module.title,
        difficulty=item.difficulty,
        options=[
            OptionView(id=o.pk, text=o.text, is_correct=o.is_correct, feedback=o.feedback)
            for o in item.options.all()
        ],
    )


def pick_practice(
    learner: Membership, competency_id: int, now: dt.datetime | None = None
) -> PracticePick:
    """The next item to practise a competency: the one whose Elo difficulty is nearest the
    difficulty at which the learner has about an 85% chance, among items not answered in the
    last RECENT_MINUTES (7 queries). Raises Competency.DoesNotExist for another organisation's
    or an unknown competency."""
    now = now or timezone.now()
    competency = Competency.objects.get(pk=competency_id)
    ability = ability_for(learner, competency_id)
    candidates = list(items_for_competency(competency_id).values_list("id", "difficulty"))
    recent = recently_answered(learner, now - dt.timedelta(minutes=RECENT_MINUTES))
    pool_ids = {pk for pk, _b in candidates}
    resting = {pk for pk in recent if pk in pool_ids}
    chosen = choose_item(candidates, ability.theta, resting)
    item = practice_item(chosen) if chosen is not None else None
    free_again_at = (
        min(recent[pk] for pk in resting) + dt.timedelta(minutes=RECENT_MINUTES)
        if resting and item is None
        else None
    )
    return PracticePick(
        competency_id=competency.pk,
        competency=competency.name,
        ability=ability,
        item=item,
        expected=(
            adaptive.expected_success(ability.theta, item.difficulty) if item is not None else None
        ),
        pool=len(candidates),
        resting=len(resting),
        free_again_at=free_again_at,
    )


# --------------------------------------------------------------------------------------------
# My growth: BKT mastery per competency with the evidence behind it
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EvidenceRow:
    title: str
    detail: str
    when: dt.datetime
    # How this answer moved p(known) (graded answers only; practice tasks move nothing).
    p_known_before: float | None = None
    p_known_after: float | None = None

    @property
    def move_label(self) -> str:
        """ "p(known) 20% → 58%", or "" for an answer that moved no estimate."""
        if self.p_known_before is None or self.p_known_after is None:
            return ""
        return _("p(known) %(before)s%% → %(after)s%%") % {
            "before": whole_percent(self.p_known_before),
            "after": whole_percent(self.p_known_after),
        }


def whole_percent(p_known: float) -> int:
    """p(known) in whole percent, halves rounded up (as people round); never 100 short of
    certainty (BKT allows for guesses, so it never is certain)."""
    whole = math.floor(p_known * 100 + 0.5)
    return min(whole, 99) if p_known < 1 else whole


@dataclass
class Evidence:
    count: int = 0
    latest: list[EvidenceRow] = field(default_factory=list)
    score_total: int = 0  # scenario decisions: sum of the behaviour scores
    right: int = 0  # practice questions answered right

    @property
    def score_label(self) -> str:
        return signed(self.score_total)


@dataclass
class CompetencyGrowth:
    id: int
    name: str
    framework: str
    p_known: float = adaptive.BKT_PRIOR
    answers: int = 0
    in_pathway: bool = False
    practice_items: int = 0
    reviews: Evidence = field(default_factory=Evidence)
    decisions: Evidence = field(default_factory=Evidence)
    practice_answers: Evidence = field(default_factory=Evidence)
    questions: Evidence = field(default_factory=Evidence)
    # Level-3 evidence: behavioural observations by a coach or an invited peer
    # (``coaching.queries.ObservationRow``); shown beside the estimate, never moving it.
    observations: list[Any] = field(default_factory=list)

    @property
    def percent(self) -> float:
        return round(self.p_known * 100, 1)

    @property
    def whole_percent(self) -> int:
        return whole_percent(self.p_known)

    @property
    def strong_evidence(self) -> bool:
        """The knowledge estimate is high *and* rests on enough answers to mean something.
        Evidence of learning the module content, never mastery of the competency itself."""
        return self.answers >= STRONG_EVIDENCE_MIN_ANSWERS and self.p_known >= adaptive.MASTERED_AT

    @property
    def right(self) -> int:
        """Graded answers that were right (reviews, practice questions, most effective choices)."""
        return self.reviews.right + self.questions.right + self.decisions.right

    @property
    def interval(self) -> tuple[int, int] | None:
        """95 % Wilson interval of the share of right answers, in whole percent: how uncertain
        the evidence still is (wide with few answers). None without graded answers."""
        n = self.graded
        if n == 0:
            return None
        from statsmodels.stats.proportion import proportion_confint

        low, high = proportion_confint(min(self.right, n), n, alpha=0.05, method="wilson")
        return math.floor(low * 100), math.ceil(high * 100)

    @property
    def interval_label(self) -> str:
        interval = self.interval
        if interval is None:
            return ""
        return _("%(right)s of %(n)s right; 95%% interval %(low)s–%(high)s%%") % {
            "right": min(self.right, self.graded),
            "n": self.graded,
            "low": interval[0],
            "high": interval[1],
        }

    @property
    def few_answers(self) -> bool:
        return 0 < self.answers < STRONG_EVIDENCE_MIN_ANSWERS

    @property
    def graded(self) -> int:
        """The listed answers that updated the estimate: reviews, practice questions and
        scenario choices from the ledger (practice-task answers are not graded). Equals
        ``answers``, the number of updates behind p(known): the ledger is written with each
        update (answers from before it were filled in under the tags of that day)."""
        return self.reviews.count + self.questions.count + self.decisions.count

    @property
    def graded_breakdown(self) -> str:
        """ "2 reviews, 3 practice questions, 1 scenario choice": the answers behind p(known)."""
        parts = [
            ngettext("%(n)s review", "%(n)s reviews", self.reviews.count),
            ngettext("%(n)s practice question", "%(n)s practice questions", self.questions.count),
            ngettext("%(n)s scenario choice", "%(n)s scenario choices", self.decisions.count),
        ]
        counts = (self.reviews.count, self.questions.count, self.decisions.count)
        return ", ".join(part % {"n": n} for part, n in zip(parts, counts, strict=True))

    @property
    def has_evidence(self) -> bool:
        return bool(
            self.answers
            or self.reviews.count
            or self.decisions.count
            or self.practice_answers.count
            or self.questions.count
            or self.observations
        )

    @property
    def status(self) -> str:
        if self.answers == 0:
            return _("No answers yet")
        if self.few_answers:
            return _("Too few answers to tell")
        if self.strong_evidence:
            return _("Strong quiz evidence")
        if self.p_known >= 0.6:
            return _("Some evidence")
        return _("Still learning")


@dataclass
class GrowthReport:
    competencies: list[CompetencyGrowth]
    mastered_at: float = adaptive.MASTERED_AT
    prior: float = adaptive.BKT_PRIOR
    framework_competencies: int = 0  # all competencies of the frameworks shown
    frameworks: list[str] = field(default_factory=list)
    min_answers: int = STRONG_EVIDENCE_MIN_ANSWERS

    @property
    def prior_percent(self) -> int:
        return round(self.prior * 100)

    @property
    def mastered_percent(self) -> int:
        return round(self.mastered_at * 100)

    @property
    def estimated(self) -> list[CompetencyGrowth]:
        """Competencies with at least one answer behind their estimate (the charted ones)."""
        return [c for c in self.competencies if c.answers > 0]

    @property
    def strong(self) -> int:
        """Competencies whose estimate is high and rests on enough answers."""
        return sum(1 for c in self.competencies if c.strong_evidence)

    @property
    def answers(self) -> int:
        return sum(c.answers for c in self.competencies)

    @property
    def has_anything(self) -> bool:
        return any(c.has_evidence for c in self.competencies)


def _ranked(qs: QuerySet, partition: str, order: list) -> QuerySet:
    """Annotate each row with its competency's row count and rank (newest first)."""
    return qs.annotate(
        n=Window(Count("id"), partition_by=[F(partition)]),
        rank=Window(RowNumber(), partition_by=[F(partition)], order_by=order),
    ).filter(rank__lte=LATEST_EVIDENCE)


def graded_evidence(learner: Membership) -> dict[str, dict[int, Evidence]]:
    """The learner's graded answers from the ``MasteryEvidence`` ledger, by source kind and
    competency: how many, how many right, the behaviour points of scenario choices and the
    LATEST_EVIDENCE newest, each with how it moved p(known) (at most 5 queries).

    Titles come from the answers themselves; an answer whose item or scenario has since been
    deleted still counts (its update stands) and is listed without its title.
    """
    ledger = MasteryEvidence.objects.filter(learner=learner)
    # A scenario choice's points on the competency: the chosen option's current score there.
    chosen = ScenarioDecision.objects.filter(pk=OuterRef(OuterRef("source_id"))).values(
        "choice_id"
    )[:1]
    score = ChoiceScore.objects.filter(
        choice_id=Subquery(chosen), competency_id=OuterRef("competency_id")
    ).values("score")[:1]
    points = Case(
        When(source_kind=MasteryEvidence.Source.SCENARIO_CHOICE, then=Coalesce(Subquery(score), 0)),
        default=0,
        output_field=IntegerField(),
    )
    evidence: dict[str, dict[int, Evidence]] = {
        kind: defaultdict(Evidence) for kind in MasteryEvidence.Source.values
    }
    for counted in (
        ledger.values("source_kind", "competency_id")
        .annotate(n=Count("id"), right=Count("id", filter=Q(correct=True)), total=Sum(points))
        .order_by()
    ):
        ev = evidence[counted["source_kind"]][counted["competency_id"]]
        ev.count, ev.right, ev.score_total = counted["n"], counted["right"], counted["total"] or 0
    latest = list(
        ledger.annotate(
            points=points,
            rank=Window(
                RowNumber(),
                partition_by=[F("source_kind"), F("competency_id")],
                order_by=[F("answered_at").desc(), F("id").desc()],
            ),
        )
        .filter(rank__lte=LATEST_EVIDENCE)
        .values(
            "source_kind",
            "source_id",
            "competency_id",
            "correct",
            "points",
            "p_known_before",
            "p_known_after",
            "answered_at",
        )
    )
    ids: dict[str, set[int]] = defaultdict(set)
    for row in latest:
        ids[row["source_kind"]].add(row["source_id"])
    # ``pk__in`` an empty set runs no query.
    logs = {
        log["pk"]: log
        for log in ReviewLog.objects.filter(
            learner=learner, pk__in=ids[MasteryEvidence.Source.REVIEW]
        ).values("pk", "rating", "card__item__prompt")
    }
    prompts = dict(
        ActivityEvent.objects.filter(
            actor=learner, pk__in=ids[MasteryEvidence.Source.PRACTICE_QUESTION]
        )
        .annotate(
            prompt=Subquery(
                RetrievalItem.objects.filter(
                    pk=Cast(OuterRef("object_id"), BigIntegerField())
                ).values("prompt")[:1]
            )
        )
        .values_list("pk", "prompt")
    )
    choices = {
        d["pk"]: d
        for d in ScenarioDecision.objects.filter(
            play__learner=learner, pk__in=ids[MasteryEvidence.Source.SCENARIO_CHOICE]
        ).values("pk", "choice__text", "play__scenario__title")
    }
    for row in sorted(latest, key=lambda r: (r["answered_at"], r["source_id"]), reverse=True):
        kind, source_id = row["source_kind"], row["source_id"]
        if kind == MasteryEvidence.Source.REVIEW:
            log = logs.get(source_id)
            title = first_line(log["card__item__prompt"], 90) if log else _("A removed question")
            detail = _review_detail(log["rating"] if log else None, row["correct"])
        elif kind == MasteryEvidence.Source.PRACTICE_QUESTION:
            prompt = prompts.get(source_id)
            title = first_line(prompt, 90) if prompt else _("A removed question")
            detail = _("right") if row["correct"] else _("missed")
        else:
            decision = choices.get(source_id)
            title = decision["play__scenario__title"] if decision else _("A removed scenario")
            detail = _("%(choice)s (%(score)s)") % {
                "choice": quoted(decision["choice__text"] if decision else _("a removed option")),
                "score": signed(row["points"]),
            }
        evidence[kind][row["competency_id"]].latest.append(
            EvidenceRow(
                title=title,
                detail=detail,
                when=row["answered_at"],
                p_known_before=row["p_known_before"],
                p_known_after=row["p_known_after"],
            )
        )
    return evidence


GROWTH_EXPORT_HEADERS = (
    "Competency",
    "Framework",
    "Knowledge estimate %",
    "Status",
    "Answers",
    "Right answers",
    "95% interval low %",
    "95% interval high %",
)


def growth_export_rows(report: GrowthReport) -> list[tuple[object, ...]]:
    """The learner's knowledge-estimate table (the charted competencies) as export rows
    (no queries)."""
    rows: list[tuple[object, ...]] = []
    for c in report.estimated:
        interval = c.interval
        rows.append(
            (
                c.name,
                c.framework,
                c.percent,
                c.status,
                c.answers,
                min(c.right, c.graded) if c.graded else None,
                interval[0] if interval else None,
                interval[1] if interval else None,
            )
        )
    return rows


def growth_report(learner: Membership) -> GrowthReport:
    """Knowledge estimate (BKT p(known)) per competency the learner works on, with counts and the latest
    reviews, practice questions, scenario decisions and practice-task answers behind it
    (11 queries whatever the amount of evidence), and the coach's and peers' observations.

    Competencies shown: those of the learner's pathways, plus any with an estimate or evidence.
    Reviews, practice questions and scenario choices come from the ``MasteryEvidence`` ledger,
    written with each BKT update, so they count under the competencies whose estimate the
    answer moved, even after an item, module or scenario is retagged. Practice-task answers
    are not graded; they count under their module's competencies.
    """
    graded = graded_evidence(learner)
    reviews = graded[MasteryEvidence.Source.REVIEW]
    questions = graded[MasteryEvidence.Source.PRACTICE_QUESTION]
    decisions = graded[MasteryEvidence.Source.SCENARIO_CHOICE]

    answers: dict[int, Evidence] = defaultdict(Evidence)
    tagged = (
        PracticeAnswer.objects.filter(learner=learner)
        .annotate(cid=F("task__module__competencies__id"))
        .filter(cid__isnull=False)
    )
    for row in _ranked(tagged, "cid", [F("updated_at").desc(), F("id").desc()]).values(
        "cid", "n", "text", "updated_at", "task__module__title"
    ):
        ev = answers[row["cid"]]
        ev.count = row["n"]
        ev.latest.append(
            EvidenceRow(
                title=row["task__module__title"],
                detail=first_line(row["text"], 90),
                when=row["updated_at"],
            )
        )

    items: dict[int, int] = defaultdict(int)
    published = RetrievalItem.objects.filter(module__status=Module.Status.PUBLISHED)
    for cid, n in (
        published.filter(competency__isnull=False)
        .values("competency_id")
        .annotate(n=Count("id"))
        .values_list("competency_id", "n")
    ):
        items[cid] += n
    for cid, n in (
        published.filter(competency__isnull=True)
        .annotate(cid=F("module__competencies__id"))
        .filter(cid__isnull=False)
        .values("cid")
        .annotate(n=Count("id"))
        .values_list("cid", "n")
    ):
        items[cid] += n

    abilities = {
        a["competency_id"]: a
        for a in Ability.objects.filter(learner=learner).values(
            "competency_id", "p_known", "updates"
        )
    }
    pathway_competencies = VersionCompetency.objects.filter(
        version_id__in=Enrollment.objects.filter(learner=learner)
        .exclude(status=Enrollment.Status.WITHDRAWN)
        .values("version_id")
    ).values("competency_id")
    from coaching.queries import observations_by_competency

    observed = observations_by_competency(learner)
    evidence_ids = set(abilities) | set(reviews) | set(decisions) | set(answers) | set(questions)
    evidence_ids |= set(observed)
    competencies = (
        Competency.objects.filter(Q(pk__in=evidence_ids) | Q(pk__in=pathway_competencies))
        .annotate(in_pathway=Q(pk__in=pathway_competencies))
        .select_related("framework")
        .order_by("framework__name", "position", "name")
    )
    result = []
    for c in competencies:
        ability = abilities.get(c.pk)
        result.append(
            CompetencyGrowth(
                id=c.pk,
                name=c.name,
                framework=c.framework.name,
                p_known=ability["p_known"] if ability else adaptive.BKT_PRIOR,
                answers=ability["updates"] if ability else 0,
                in_pathway=bool(c.in_pathway),
                practice_items=items.get(c.pk, 0),
                reviews=reviews.get(c.pk, Evidence()),
                decisions=decisions.get(c.pk, Evidence()),
                practice_answers=answers.get(c.pk, Evidence()),
                questions=questions.get(c.pk, Evidence()),
                observations=observed.get(c.pk, []),
            )
        )
    # Estimated competencies first, strongest first; then the ones still without answers.
    result.sort(key=lambda g: (g.answers == 0, -g.p_known, g.name))
    framework_ids = {c.framework_id for c in competencies}
    return GrowthReport(
        competencies=result,
        framework_competencies=Competency.objects.filter(framework_id__in=framework_ids).count(),
        frameworks=sorted({c.framework.name for c in competencies}),
    )


def _review_detail(rating: int | None, correct: bool | None) -> str:
    if rating is None:  # the review log went with its item; the ledger still knows the grade
        return _("right") if correct else _("missed")
    label = {1: _("Again"), 2: _("Hard"), 3: _("Good"), 4: _("Easy")}.get(rating, str(rating))
    if correct is True:
        return _("right, rated %(rating)s") % {"rating": label}
    if correct is False:
        return _("missed, rated %(rating)s") % {"rating": label}
    return _("rated %(rating)s") % {"rating": label}


def practice_of_item(learner: Membership, competency_id: int, item_id: int) -> PracticePick:
    """A given item in the practice of a competency, with the learner's current estimate
    (5 queries). Raises Competency.DoesNotExist or RetrievalItem.DoesNotExist when the item
    does not practise that competency."""
    competency = Competency.objects.get(pk=competency_id)
    ability = ability_for(learner, competency_id)
    if not items_for_competency(competency_id).filter(pk=item_id).exists():
        raise RetrievalItem.DoesNotExist
    item = practice_item(item_id)
    return PracticePick(
        competency_id=competency.pk,
        competency=competency.name,
        ability=ability,
        item=item,
        expected=adaptive.expected_success(ability.theta, item.difficulty),
        pool=0,
        resting=0,
        free_again_at=None,
    )
