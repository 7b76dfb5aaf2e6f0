"""Reads of the growth roll-up for pages: plain dataclasses, a fixed number of queries each.

Who sees what (ARCHITECTURE.md): the learner sees their own picture; the coach of an
engagement sees their coachee's, with 360 figures only of reports the learner shared with them
(``feedback.queries.readable_report_ids``, the rule of the 360 report page) and never the
pulses (the report page shows those to the learner only); admins and sponsors see no one's.
Across coachees a coach sees aggregates of at least ``MIN_PEOPLE_PER_CELL`` learners a cell
(``measurement.anonymity``). Pages read ``LearnerCompetencyRollup`` only, never the facts.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from django.db import connection
from django.utils.formats import date_format
from django.utils.translation import gettext, gettext_noop, ngettext

from coaching.queries import CoachedLearner, coached_learners
from competencies.models import Competency
from measurement import anonymity
from measurement.feedback.models import SCALE_MAX, SCALE_MIN
from measurement.feedback.queries import readable_report_ids
from measurement.feedback.reporting import GAP_THRESHOLD
from measurement.models import LearnerCompetencyRollup
from organizations.models import Membership
from organizations.raw_queries import fetch_rows, tenant_id
from organizations.request_reads import model_columns, model_fields, model_instance
from organizations.words import words as kept_words

IMPROVEMENT = "reliable improvement"
DECLINE = "reliable decline"
WITHIN = "within measurement error"
# The knowledge estimate is only called strong from this many graded answers (as on the
# knowledge page: a few lucky answers lift BKT above 95 % quickly).
STRONG_EVIDENCE_MIN_ANSWERS = 8
# Each 360 status in words (``CompetencyGrowth.status_label``), translated on use.
_STATUS_LABELS = {
    "improved": gettext_noop("Reliable improvement"),
    "declined": gettext_noop("Reliable decline"),
    "steady": gettext_noop("Within rater noise"),
    "baseline": gettext_noop("Baseline only"),
    "hidden": gettext_noop("360 not shared"),
    "none": gettext_noop("No 360 yet"),
}
SCALE = f"{SCALE_MIN}–{SCALE_MAX}"


class PageWords:
    """``gettext`` and ``ngettext`` from the active catalogue's kept words
    (``organizations.words``: a picture's sentences and cards repeat the same few messages for
    every competency, and a catalogue look-up is some forty calls, ``ngettext`` a hundred and
    more), and ``|date:"j M Y"`` once per date on the page. In the language active when the
    page is built."""

    __slots__ = ("_days", "_words", "n")

    def __init__(self) -> None:
        self._words = kept_words()
        # ``ngettext(singular, plural, count)``.
        self.n: Callable[[str, str, int], str] = self._words.count
        self._days: dict[dt.date, str] = {}

    def __call__(self, message: str) -> str:
        return self._words[message]

    def day(self, value: dt.date | None) -> str:
        """``value|date:"j M Y"`` ("" for none)."""
        if value is None:
            return ""
        text = self._days.get(value)
        if text is None:
            text = self._days[value] = date_format(value, "j M Y")
        return text


def _signed(value: float, places: int = 1) -> str:
    text = f"{value:+.{places}f}"
    return text.replace("-", "\u2212")


@dataclass(frozen=True)
class PulsePoint:
    number: int
    closes_on: dt.date
    items: int
    others_mean: float | None
    others_n: int
    baseline_items_mean: float | None


@dataclass
class CompetencyGrowth:
    competency_id: int
    name: str
    baseline_on: dt.date | None = None
    baseline_others: float | None = None
    baseline_others_n: int = 0
    baseline_self: float | None = None
    baseline_report_id: int | None = None
    follow_up_on: dt.date | None = None
    follow_up_others: float | None = None
    follow_up_others_n: int = 0
    follow_up_self: float | None = None
    follow_up_report_id: int | None = None
    new_baseline_on: dt.date | None = None
    new_baseline_others: float | None = None
    new_baseline_others_n: int = 0
    new_baseline_self: float | None = None
    new_baseline_report_id: int | None = None
    pulses: list[PulsePoint] = field(default_factory=list)
    change: float | None = None
    rci: float | None = None
    reading: str = ""
    reliable_points: float | None = None
    observations: int = 0
    observation_mean: float | None = None
    observation_scale_max: int | None = None
    last_observed_on: dt.date | None = None
    p_known: float | None = None
    mastery_answers: int = 0
    mastered: bool = False
    goals: int = 0
    goals_achieved: int = 0
    # The reader may not see this 360 report (a coach it was not shared with).
    baseline_hidden: bool = False
    follow_up_hidden: bool = False
    new_baseline_hidden: bool = False
    # Set by ``_with_words`` for the reader.
    sentence: str = ""
    since_sentence: str = ""
    pulse_sentence: str = ""

    @property
    def has_baseline(self) -> bool:
        return self.baseline_on is not None and not self.baseline_hidden

    @property
    def has_follow_up(self) -> bool:
        return self.follow_up_on is not None and not self.follow_up_hidden

    @property
    def has_new_baseline(self) -> bool:
        return self.new_baseline_on is not None and not self.new_baseline_hidden

    @property
    def has_360(self) -> bool:
        return self.has_baseline or self.has_follow_up or self.has_new_baseline

    @functools.cached_property
    def status(self) -> str:
        """improved, declined, steady (within error), baseline (no follow-up yet), hidden (not
        shared with this reader), none (no 360)."""
        if self.has_follow_up and self.has_baseline and self.rci is not None:
            return {IMPROVEMENT: "improved", DECLINE: "declined"}.get(self.reading, "steady")
        if self.has_360:
            return "baseline"
        if self.baseline_hidden or self.follow_up_hidden or self.new_baseline_hidden:
            return "hidden"
        return "none"

    @property
    def status_label(self) -> str:
        return gettext(_STATUS_LABELS[self.status])  # the one label, translated on use

    def status_words(self, words: PageWords) -> str:
        """``status_label`` through the page's ``words``."""
        return words(_STATUS_LABELS[self.status])

    @property
    def badge(self) -> str:
        return {
            "improved": "badge--done",
            "declined": "badge--overdue",
            "steady": "badge--info",
            "baseline": "badge--available",
        }.get(self.status, "badge--locked")

    @property
    def latest_others(self) -> float | None:
        if self.has_new_baseline:
            return self.new_baseline_others
        if self.has_follow_up and self.follow_up_others is not None:
            return self.follow_up_others
        return self.baseline_others if self.has_baseline else None

    @property
    def latest_self(self) -> float | None:
        if self.has_new_baseline:
            return self.new_baseline_self
        if self.has_follow_up and self.follow_up_self is not None:
            return self.follow_up_self
        return self.baseline_self if self.has_baseline else None

    @property
    def gap(self) -> float | None:
        """Self − others on the latest 360 (a blind spot from +0.5)."""
        s, o = self.latest_self, self.latest_others
        return None if s is None or o is None else s - o

    @property
    def change_text(self) -> str:
        return "" if self.change is None else _signed(self.change, 2)

    @property
    def gap_text(self) -> str:
        return "" if self.gap is None else _signed(self.gap, 1)

    @property
    def gap_label(self) -> str:
        return self.gap_words(gettext)

    def gap_words(self, _: Callable[[str], str]) -> str:
        """``gap_label`` translated by ``_`` (the page's words)."""
        gap = self.gap
        if gap is None:
            return ""
        if gap >= GAP_THRESHOLD:
            return _("blind spot: you rate yourself higher than colleagues do")
        if gap <= -GAP_THRESHOLD:
            return _("hidden strength: colleagues rate you higher than you do")
        return _("aligned with colleagues")

    @property
    def latest_pulse(self) -> PulsePoint | None:
        return self.pulses[-1] if self.pulses else None

    @property
    def knowledge_percent(self) -> int | None:
        return None if self.p_known is None else min(99, int(self.p_known * 100 + 0.5))

    @property
    def strong_evidence(self) -> bool:
        return self.mastered and self.mastery_answers >= STRONG_EVIDENCE_MIN_ANSWERS

    @property
    def observation_label(self) -> str:
        return self.observation_words(gettext)

    def observation_words(self, _: Callable[[str], str]) -> str:
        """``observation_label`` translated by ``_`` (the page's words)."""
        if not self.observations or self.observation_mean is None:
            return ""
        return _("%(n)s observed, mean level %(mean)s of %(max)s") % {
            "n": self.observations,
            "mean": f"{self.observation_mean:.1f}",
            "max": self.observation_scale_max or "",
        }


def _sentence(
    c: CompetencyGrowth,
    learner_view: bool,
    _: Callable[[str], str] = gettext,
    ngettext: Callable[[str, str, int], str] = ngettext,
) -> str:
    """Reliable change in plain words, honest when there is too little to tell."""
    who = _("Your colleagues") if learner_view else _("Colleagues")
    status = c.status
    if status in ("improved", "declined", "steady"):
        values = {
            "who": who,
            "name": c.name,
            "change": _signed(c.change or 0.0),
            "scale": SCALE,
        }
        if status == "improved":
            return (
                _(
                    "%(who)s see a reliable improvement in %(name)s: %(change)s on a %(scale)s "
                    "scale, beyond what rater noise explains."
                )
                % values
            )
        if status == "declined":
            return (
                _(
                    "%(who)s rate %(name)s lower than at the baseline: %(change)s on a %(scale)s "
                    "scale, more than rater noise explains. Worth talking over with a coach."
                )
                % values
            )
        text = (
            _(
                "%(name)s moved %(change)s on a %(scale)s scale since the baseline: within what "
                "rater noise explains, so it cannot be told apart from no change yet."
            )
            % values
        )
        if c.reliable_points is not None:
            text += " " + _("A change of about %(points)s points would count as reliable.") % {
                "points": f"{c.reliable_points:.1f}"
            }
        return text
    if status == "baseline":
        if c.has_baseline and c.has_follow_up:
            return _(
                "Too few colleagues answered on %(name)s at the baseline or the follow-up to "
                "compare the two (a group below the anonymity threshold is left out)."
            ) % {"name": c.name}
        if c.has_follow_up:
            return _("Follow-up only: there is no baseline on %(name)s to compare it with.") % {
                "name": c.name
            }
        if not c.has_baseline:
            return ""  # only a later round's baseline is shown: the next sentence says it
        if c.baseline_others is not None:
            text = ngettext(
                "Baseline: %(who)s rate %(name)s %(mean)s of %(max)s (%(n)s rater).",
                "Baseline: %(who)s rate %(name)s %(mean)s of %(max)s (%(n)s raters).",
                c.baseline_others_n,
            ) % {
                "who": who.lower() if learner_view else who,
                "name": c.name,
                "mean": f"{c.baseline_others:.1f}",
                "max": SCALE_MAX,
                "n": c.baseline_others_n,
            }
        else:
            text = _(
                "Baseline: too few colleagues answered on %(name)s to show a score (a group "
                "below the anonymity threshold is left out)."
            ) % {"name": c.name}
        return text + " " + _("A follow-up 360 shows whether it moves beyond rater noise.")
    if status == "hidden":
        return _("The 360 report on %(name)s has not been shared with you.") % {"name": c.name}
    return _("No 360 feedback on %(name)s yet.") % {"name": c.name}


def _since_sentence(
    c: CompetencyGrowth,
    learner_view: bool,
    _: Callable[[str], str] = gettext,
    ngettext: Callable[[str, str, int], str] = ngettext,
) -> str:
    """A new round's baseline after the follow-up: where the learner stands now."""
    if not c.has_new_baseline:
        return ""
    if c.new_baseline_others is None:
        return _(
            "Since then, a new baseline (%(date)s): too few colleagues answered on %(name)s to "
            "show a score."
        ) % {
            "date": c.new_baseline_on.strftime("%d %b %Y") if c.new_baseline_on else "",
            "name": c.name,
        }
    return ngettext(
        "Since then, a new baseline (%(date)s): colleagues rate %(name)s %(mean)s of %(max)s "
        "(%(n)s rater).",
        "Since then, a new baseline (%(date)s): colleagues rate %(name)s %(mean)s of %(max)s "
        "(%(n)s raters).",
        c.new_baseline_others_n,
    ) % {
        "date": c.new_baseline_on.strftime("%d %b %Y") if c.new_baseline_on else "",
        "name": c.name,
        "mean": f"{c.new_baseline_others:.1f}",
        "max": SCALE_MAX,
        "n": c.new_baseline_others_n,
    }


def _pulse_sentence(
    c: CompetencyGrowth,
    _: Callable[[str], str] = gettext,
    ngettext: Callable[[str, str, int], str] = ngettext,
) -> str:
    p = c.latest_pulse
    if p is None:
        return ""
    if p.others_mean is None:
        return _(
            "Pulse %(number)s: too few colleagues answered to show a score (closed %(date)s)."
        ) % {"number": p.number, "date": p.closes_on.strftime("%d %b %Y")}
    values = {
        "number": p.number,
        "mean": f"{p.others_mean:.1f}",
        "n": p.others_n,
        "items": p.items,
    }
    if p.baseline_items_mean is not None:
        values["before"] = f"{p.baseline_items_mean:.1f}"
        return (
            ngettext(
                "Pulse %(number)s, on the %(items)s behaviour pulsed: %(before)s at the "
                "baseline, %(mean)s now (%(n)s raters). A pulse is too short to call a change "
                "reliable; the follow-up 360 does that.",
                "Pulse %(number)s, on the %(items)s behaviours pulsed: %(before)s at the "
                "baseline, %(mean)s now (%(n)s raters). A pulse is too short to call a change "
                "reliable; the follow-up 360 does that.",
                p.items,
            )
            % values
        )
    return _("Pulse %(number)s: %(mean)s on the behaviours pulsed (%(n)s raters).") % values


def _with_words(
    c: CompetencyGrowth, learner_view: bool, words: PageWords | None = None
) -> CompetencyGrowth:
    """``c`` with its sentences for the reader, translated by the page's ``words``."""
    words = words or PageWords()
    c.sentence = _sentence(c, learner_view, words, words.n)
    c.since_sentence = _since_sentence(c, learner_view, words, words.n)
    c.pulse_sentence = _pulse_sentence(c, words, words.n) if learner_view else ""
    return c


@dataclass(frozen=True)
class GrowthPicture:
    """One learner's growth per competency, as the reader may see it."""

    person: str
    learner_view: bool  # False: a coach's view of a coachee
    competencies: list[CompetencyGrowth]
    computed_at: dt.datetime | None
    engagement_id: int | None = None
    not_shared: int = 0  # 360 reports with figures that the coach may not read
    # The page's translations (``PageWords``): the catalogue's kept words, its dates once a page.
    words: PageWords = field(default_factory=PageWords, compare=False, repr=False)

    def _with(self, status: str) -> list[CompetencyGrowth]:
        return [c for c in self.competencies if c.status == status]

    @property
    def improved(self) -> list[CompetencyGrowth]:
        return self._with("improved")

    @property
    def declined(self) -> list[CompetencyGrowth]:
        return self._with("declined")

    @property
    def steady(self) -> list[CompetencyGrowth]:
        return self._with("steady")

    @property
    def has_360(self) -> bool:
        return any(c.has_360 for c in self.competencies)

    @property
    def has_new_baseline(self) -> bool:
        return any(c.has_new_baseline for c in self.competencies)

    @property
    def charted(self) -> list[CompetencyGrowth]:
        """Competencies with an others' mean to draw."""
        return [
            c
            for c in self.competencies
            if (c.has_baseline and c.baseline_others is not None)
            or (c.has_follow_up and c.follow_up_others is not None)
            or (c.has_new_baseline and c.new_baseline_others is not None)
        ]

    @property
    def headline(self) -> str:
        """Am I growing, and where: one or two sentences for the first screenful."""
        _, ngettext = self.words, self.words.n
        names = ", ".join
        who = _("Your colleagues") if self.learner_view else _("Colleagues")
        parts = []
        if self.improved:
            parts.append(
                _("%(who)s see a reliable improvement in %(names)s.")
                % {"who": who, "names": names(c.name for c in self.improved)}
            )
        if self.declined:
            parts.append(
                _("A reliable decline in %(names)s.")
                % {"names": names(c.name for c in self.declined)}
            )
        if self.steady:
            parts.append(
                ngettext(
                    "%(n)s competency moved within what rater noise explains.",
                    "%(n)s competencies moved within what rater noise explains.",
                    len(self.steady),
                )
                % {"n": len(self.steady)}
            )
        if not parts and self.has_360:
            baseline = [c for c in self._with("baseline") if c.baseline_others is not None]
            best = max(baseline, key=lambda c: c.baseline_others or 0, default=None)
            parts.append(_("No follow-up 360 yet, so no change to judge."))
            if best is not None:
                parts.append(
                    _("At the baseline colleagues rated %(name)s highest (%(mean)s of %(max)s).")
                    % {"name": best.name, "mean": f"{best.baseline_others:.1f}", "max": SCALE_MAX}
                )
            pulsed = [
                p
                for c in self.competencies
                if (p := c.latest_pulse) is not None
                and p.others_mean is not None
                and p.baseline_items_mean is not None
            ]
            if pulsed:
                up = sum(1 for p in pulsed if (p.others_mean or 0) > (p.baseline_items_mean or 0))
                parts.append(
                    ngettext(
                        "The latest pulse is up on %(up)s of %(n)s competency pulsed: a "
                        "direction, not yet a reliable change.",
                        "The latest pulse is up on %(up)s of %(n)s competencies pulsed: a "
                        "direction, not yet a reliable change.",
                        len(pulsed),
                    )
                    % {"up": up, "n": len(pulsed)}
                )
        if not parts:
            parts.append(
                _("No 360 feedback to show yet.")
                if self.learner_view
                else _("No 360 feedback to show: none yet, or none shared with you.")
            )
        return " ".join(parts)

    @property
    def evidence_line(self) -> str:
        """The other evidence in one line: observations, knowledge, goals."""
        ngettext = self.words.n
        observed = sum(c.observations for c in self.competencies)
        strong = sum(1 for c in self.competencies if c.strong_evidence)
        estimated = sum(1 for c in self.competencies if c.p_known is not None)
        goals = sum(c.goals for c in self.competencies)
        achieved = sum(c.goals_achieved for c in self.competencies)
        bits = []
        if observed:
            bits.append(
                ngettext("%(n)s observation", "%(n)s observations", observed) % {"n": observed}
            )
        if estimated:
            bits.append(
                ngettext(
                    "strong quiz evidence on %(strong)s of %(n)s competency practised",
                    "strong quiz evidence on %(strong)s of %(n)s competencies practised",
                    estimated,
                )
                % {"strong": strong, "n": estimated}
            )
        if goals:
            bits.append(
                ngettext(
                    "%(achieved)s of %(n)s goal achieved",
                    "%(achieved)s of %(n)s goals achieved",
                    goals,
                )
                % {"achieved": achieved, "n": goals}
            )
        return ", ".join(bits)


def _growth(r: Mapping[str, Any], name: str) -> CompetencyGrowth:
    """A competency's growth from a roll-up row's values by attribute name."""
    return CompetencyGrowth(
        competency_id=r["competency_id"],
        name=name,
        baseline_on=r["baseline_on"],
        baseline_others=r["baseline_others"],
        baseline_others_n=r["baseline_others_n"],
        baseline_self=r["baseline_self"],
        baseline_report_id=r["baseline_report_id"],
        follow_up_on=r["follow_up_on"],
        follow_up_others=r["follow_up_others"],
        follow_up_others_n=r["follow_up_others_n"],
        follow_up_self=r["follow_up_self"],
        follow_up_report_id=r["follow_up_report_id"],
        new_baseline_on=r["new_baseline_on"],
        new_baseline_others=r["new_baseline_others"],
        new_baseline_others_n=r["new_baseline_others_n"],
        new_baseline_self=r["new_baseline_self"],
        new_baseline_report_id=r["new_baseline_report_id"],
        pulses=[
            PulsePoint(
                number=int(p["number"]),
                closes_on=dt.date.fromisoformat(p["closes_on"]),
                items=int(p.get("items") or 0),
                others_mean=p.get("others_mean"),
                others_n=int(p.get("others_n") or 0),
                baseline_items_mean=p.get("baseline_items_mean"),
            )
            for p in r["pulses"]
        ],
        change=r["change"],
        rci=r["rci"],
        reading=r["reading"],
        reliable_points=r["reliable_points"],
        observations=r["observations"],
        observation_mean=r["observation_mean"],
        observation_scale_max=r["observation_scale_max"],
        last_observed_on=r["last_observed_on"],
        p_known=r["p_known"],
        mastery_answers=r["mastery_answers"],
        mastered=r["mastered"],
        goals=r["goals"],
        goals_achieved=r["goals_achieved"],
    )


# ``_latest_rows``' read, as SQL text (no queryset to compile: most of the growth page's
# Python): the rows and their competency with every column the models hold, as the queryset
# with ``select_related`` read them; both base tables filtered on the organisation.
@functools.lru_cache(maxsize=64)  # by the number of learners
def _latest_rows_sql(learners: int) -> str:
    rollup, competency = LearnerCompetencyRollup._meta.db_table, Competency._meta.db_table
    return (
        f"SELECT {model_columns(LearnerCompetencyRollup, 'r')}, "  # noqa: S608 - from metadata
        f"{model_columns(Competency, 'c')} "
        f"FROM {rollup} r JOIN {competency} c ON c.id = r.competency_id "
        f"WHERE r.organization_id = %s AND r.learner_id IN ({', '.join(['%s'] * learners)}) "
        f"AND r.period = (SELECT u.period FROM {rollup} u "
        "WHERE u.organization_id = %s AND u.learner_id = r.learner_id "
        "ORDER BY u.period DESC LIMIT 1) "
        "ORDER BY r.learner_id, c.position, c.name, r.competency_id"
    )


def _latest_rows(learner_ids: Sequence[int]) -> list[LearnerCompetencyRollup]:
    """Each learner's rows of their latest period (one query), their competency loaded: the
    current month once the roll-up ran in it, else the month before (the nightly run fills the
    new one)."""
    learners = list(learner_ids)
    if not learners:
        return []
    org_id = tenant_id()
    width = len(model_fields(LearnerCompetencyRollup))
    found = []
    for values in fetch_rows(_latest_rows_sql(len(learners)), [org_id, *learners, org_id]):
        row: LearnerCompetencyRollup = model_instance(LearnerCompetencyRollup, values[:width])
        LearnerCompetencyRollup.competency.field.set_cached_value(  # type: ignore[attr-defined]
            row, model_instance(Competency, values[width:])
        )
        found.append(row)
    return found


@functools.cache
def _rollup_reading(vendor: str) -> tuple[list[str], list[tuple[int, list[Any], Any]], int]:
    """For ``_latest_growth`` on a backend: the roll-up's attribute names in the order
    ``_latest_rows_sql`` selects its columns, each column's converters that are not empty (by
    position; those the ORM applies: SQLite's booleans and moments, the JSON of the pulses),
    and where the competency's name is in a row."""
    fields = model_fields(LearnerCompetencyRollup)
    converters = []
    for index, f in enumerate(fields):
        column = f.get_col(LearnerCompetencyRollup._meta.db_table)
        found = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
        if found:
            converters.append((index, found, column))
    names = [f.attname for f in model_fields(Competency)]
    return [f.attname for f in fields], converters, len(fields) + names.index("name")


def _latest_growth(learner_id: int) -> tuple[list[CompetencyGrowth], dt.datetime | None]:
    """``_latest_rows`` of one learner as growth per competency, and when the roll-up computed
    the earliest of them (one query): the values converted as the ORM converts them, without
    building the models."""
    attnames, converters, name_at = _rollup_reading(connection.vendor)
    width = len(attnames)
    org_id = tenant_id()
    growth, computed = [], []
    for values in fetch_rows(_latest_rows_sql(1), [org_id, learner_id, org_id]):
        row = list(values[:width])
        for index, found, column in converters:
            value = row[index]
            for converter in found:
                value = converter(value, column, connection)
            row[index] = value
        fields = dict(zip(attnames, row, strict=True))
        growth.append(_growth(fields, values[name_at]))
        computed.append(fields["computed_at"])
    return growth, min(computed, default=None)


def learner_growth(learner: Membership, person: str | None = None) -> GrowthPicture:
    """The learner's own picture, every figure theirs to see (one query; one more for their
    name unless ``person`` gives it, as the page does from the signed-in user)."""
    rows, computed_at = _latest_growth(learner.pk)
    words = PageWords()
    return GrowthPicture(
        person=learner.user.display_name if person is None else person,
        learner_view=True,
        competencies=[_with_words(c, True, words) for c in rows],
        computed_at=computed_at,
        words=words,
    )


def _masked(c: CompetencyGrowth, readable: set[int]) -> CompetencyGrowth:
    """The coach's copy: a report not shared with them leaves no figure behind (its scores,
    and the change that would reveal one from the other); pulses never reach a coach."""
    hide_base = c.baseline_report_id is not None and c.baseline_report_id not in readable
    hide_follow = c.follow_up_report_id is not None and c.follow_up_report_id not in readable
    hide_new = c.new_baseline_report_id is not None and c.new_baseline_report_id not in readable
    values: dict[str, Any] = {"pulses": [], "baseline_hidden": hide_base}
    values.update(follow_up_hidden=hide_follow, new_baseline_hidden=hide_new)
    if hide_new:
        values.update(
            new_baseline_on=None,
            new_baseline_others=None,
            new_baseline_others_n=0,
            new_baseline_self=None,
            new_baseline_report_id=None,
        )
    if hide_base:
        values.update(
            baseline_on=None,
            baseline_others=None,
            baseline_others_n=0,
            baseline_self=None,
            baseline_report_id=None,
        )
    if hide_follow:
        values.update(
            follow_up_on=None,
            follow_up_others=None,
            follow_up_others_n=0,
            follow_up_self=None,
            follow_up_report_id=None,
        )
    if hide_base or hide_follow:
        values.update(change=None, rci=None, reading="", reliable_points=None)
    return replace(c, **values)


def coachee_growth(coach: Membership, engagement_id: int) -> GrowthPicture | None:
    """A coachee's picture for the coach of ``engagement_id`` (None when it is not theirs):
    observations, knowledge and goals as the coach sees them on the engagement, and 360
    figures only from reports the learner shared with them. Three queries."""
    engagements = coached_learners(coach, engagement_id)
    if not engagements:
        return None
    coachee = engagements[0]
    rows, _computed_at = _latest_growth(coachee.learner_id)
    report_ids = {
        i
        for c in rows
        for i in (c.baseline_report_id, c.follow_up_report_id, c.new_baseline_report_id)
        if i is not None
    }
    readable = readable_report_ids(coach, sorted(report_ids))
    words = PageWords()
    masked = [_with_words(_masked(c, readable), False, words) for c in rows]
    not_shared = report_ids - readable
    return GrowthPicture(
        person=coachee.name,
        learner_view=False,
        competencies=masked,
        computed_at=None,
        engagement_id=coachee.engagement_id,
        not_shared=len(not_shared),
        words=words,
    )


# --- downloads ------------------------------------------------------------------------------


GROWTH_HEADERS = [
    "Competency",
    "Status",
    "Baseline date",
    "Baseline others' mean (1-5)",
    "Baseline raters (n)",
    "Baseline self (1-5)",
    "Follow-up date",
    "Follow-up others' mean (1-5)",
    "Follow-up raters (n)",
    "Follow-up self (1-5)",
    "Change (points)",
    "RCI",
    "Reading",
    "Smallest reliable change (points)",
    "New baseline date",
    "New baseline others' mean (1-5)",
    "New baseline raters (n)",
    "New baseline self (1-5)",
    "Latest pulse",
    "Pulse others' mean, pulsed behaviours (1-5)",
    "Pulse raters (n)",
    "Baseline others' mean, same behaviours (1-5)",
    "Observations (n)",
    "Observation mean level",
    "Observation scale maximum",
    "Knowledge estimate (BKT p(known))",
    "Graded answers (n)",
    "Mastered (p(known) >= 0.95)",
    "Goals (n)",
    "Goals achieved (n)",
]


def _round(value: float | None, places: int = 2) -> float | None:
    return None if value is None else round(value, places)


def growth_table(picture: GrowthPicture) -> tuple[list[str], list[list[Any]]]:
    """The page's figures per competency, for CSV/XLSX (what the reader may see, no more)."""
    rows = []
    for c in picture.competencies:
        pulse = c.latest_pulse
        rows.append(
            [
                c.name,
                c.status_label,
                c.baseline_on,
                _round(c.baseline_others),
                c.baseline_others_n if c.has_baseline else None,
                _round(c.baseline_self),
                c.follow_up_on,
                _round(c.follow_up_others),
                c.follow_up_others_n if c.has_follow_up else None,
                _round(c.follow_up_self),
                _round(c.change),
                _round(c.rci),
                c.reading,
                _round(c.reliable_points),
                c.new_baseline_on,
                _round(c.new_baseline_others),
                c.new_baseline_others_n if c.has_new_baseline else None,
                _round(c.new_baseline_self),
                pulse.number if pulse else None,
                _round(pulse.others_mean) if pulse else None,
                pulse.others_n if pulse else None,
                _round(pulse.baseline_items_mean) if pulse else None,
                c.observations,
                _round(c.observation_mean),
                c.observation_scale_max,
                _round(c.p_known, 3),
                c.mastery_answers,
                c.mastered,
                c.goals,
                c.goals_achieved,
            ]
        )
    return GROWTH_HEADERS, rows


# --- a coach's patterns across coachees -------------------------------------------------------


@dataclass(frozen=True)
class PatternRow:
    competency_id: int
    name: str
    people: int  # coachees with any evidence on it
    # 360: pairs (baseline and follow-up), shown only when the anonymity rule allows.
    pairs: int
    change_shown: bool
    mean_change: float | None = None
    improved: int | None = None
    declined: int | None = None
    observed_people: int = 0
    observations: int | None = None
    observation_share: float | None = None  # mean level as a share of its scale
    estimated_people: int = 0
    mastered: int | None = None
    goal_people: int = 0
    goals: int | None = None
    goals_achieved: int | None = None

    @property
    def mean_change_text(self) -> str:
        return "" if self.mean_change is None else _signed(self.mean_change, 2)

    @property
    def improved_share(self) -> float | None:
        if not self.change_shown or not self.pairs or self.improved is None:
            return None
        return self.improved / self.pairs


@dataclass(frozen=True)
class CohortChoice:
    id: int
    name: str


@dataclass(frozen=True)
class Patterns:
    cohorts: list[CohortChoice]
    selected: CohortChoice | None
    coachees: int
    rows: list[PatternRow]
    min_cell: int = anonymity.MIN_PEOPLE_PER_CELL

    @property
    def moving(self) -> list[PatternRow]:
        """Competencies with a shown change, most reliable improvement first."""
        shown = [r for r in self.rows if r.improved_share is not None]
        return sorted(shown, key=lambda r: (-(r.improved_share or 0), -(r.mean_change or 0)))


def coach_patterns(coach: Membership, cohort_id: int | None) -> Patterns:
    """Per competency, across the coach's coachees of one cohort: how many moved reliably and
    the mean change, observations, knowledge and goals, each cell from ``MIN_PEOPLE_PER_CELL``
    coachees. Only one cohort at a time (an "all cohorts" total beside each cohort would let a
    small cohort be recovered by subtraction). 360 cells also need the coachees whose reports
    the coach cannot read to be none or at least as many. Three queries."""
    engagements = [e for e in coached_learners(coach) if e.cohort_id is not None]
    by_cohort: dict[int, list[CoachedLearner]] = defaultdict(list)
    for e in engagements:
        by_cohort[int(e.cohort_id)].append(e)  # type: ignore[arg-type]
    ordered = sorted(
        by_cohort.values(), key=lambda es: (es[0].cohort_start or dt.date.min, es[0].cohort)
    )
    cohorts = [CohortChoice(int(es[0].cohort_id), es[0].cohort) for es in reversed(ordered)]  # type: ignore[arg-type]
    # Unless asked for one, the latest cohort with enough coachees to show anything.
    enough = [c for c in cohorts if anonymity.cell_is_shown(len(by_cohort[c.id]))]
    fallback = enough[0] if enough else (cohorts[0] if cohorts else None)
    selected = next((c for c in cohorts if c.id == cohort_id), fallback)
    if selected is None:
        return Patterns(cohorts, None, 0, [])
    learners = sorted({e.learner_id for e in by_cohort[selected.id]})
    if not anonymity.cell_is_shown(len(learners)):
        return Patterns(cohorts, selected, len(learners), [])  # too few to show any cell
    rows = _latest_rows(learners)
    readable = readable_report_ids(
        coach,
        [i for r in rows for i in (r.baseline_report_id, r.follow_up_report_id) if i is not None],
    )
    per: dict[int, list[LearnerCompetencyRollup]] = defaultdict(list)
    names: dict[int, str] = {}
    order: dict[int, tuple[int, str]] = {}
    for r in rows:
        per[r.competency_id].append(r)
        names[r.competency_id] = r.competency.name
        order[r.competency_id] = (r.competency.position, r.competency.name)
    out = []
    for cid in sorted(per, key=lambda c: order[c]):
        cell = per[cid]
        pairs = [
            r
            for r in cell
            if r.baseline_others is not None
            and r.follow_up_others is not None
            and r.rci is not None
        ]
        unknown = sum(
            1
            for r in pairs
            if r.baseline_report_id not in readable or r.follow_up_report_id not in readable
        )
        change_shown = anonymity.cell_with_known_members_is_shown(len(pairs), unknown)
        observed = [r for r in cell if r.observations and r.observation_mean is not None]
        estimated = [r for r in cell if r.p_known is not None]
        with_goals = [r for r in cell if r.goals]
        obs_shown = anonymity.cell_is_shown(len(observed))
        est_shown = anonymity.cell_is_shown(len(estimated))
        goals_shown = anonymity.cell_is_shown(len(with_goals))
        out.append(
            PatternRow(
                competency_id=cid,
                name=names[cid],
                people=len({r.learner_id for r in cell}),
                pairs=len(pairs),
                change_shown=change_shown,
                mean_change=sum(r.change or 0.0 for r in pairs) / len(pairs)
                if change_shown
                else None,
                improved=sum(1 for r in pairs if r.reading == IMPROVEMENT)
                if change_shown
                else None,
                declined=sum(1 for r in pairs if r.reading == DECLINE) if change_shown else None,
                observed_people=len(observed),
                observations=sum(r.observations for r in observed) if obs_shown else None,
                observation_share=sum(
                    (r.observation_mean or 0) / (r.observation_scale_max or 1) for r in observed
                )
                / len(observed)
                if obs_shown
                else None,
                estimated_people=len(estimated),
                mastered=sum(1 for r in estimated if r.mastered) if est_shown else None,
                goal_people=len(with_goals),
                goals=sum(r.goals for r in with_goals) if goals_shown else None,
                goals_achieved=sum(r.goals_achieved for r in with_goals) if goals_shown else None,
            )
        )
    return Patterns(cohorts, selected, len(learners), out)


PATTERN_HEADERS = [
    "Competency",
    "Coachees with evidence (n)",
    "Coachees with baseline and follow-up (n)",
    "Mean change, others' 360 (points, 1-5)",
    "Reliable improvement (n)",
    "Reliable decline (n)",
    "Coachees observed (n)",
    "Observations (n)",
    "Mean observed level (share of scale)",
    "Coachees with a knowledge estimate (n)",
    "Mastered (n)",
    "Coachees with goals (n)",
    "Goals (n)",
    "Goals achieved (n)",
]


def patterns_table(patterns: Patterns) -> tuple[list[str], list[list[Any]]]:
    """The patterns table for CSV/XLSX: hidden cells stay empty, counts below the cell size
    are not given either."""

    def count(n: int) -> int | None:
        return n if anonymity.cell_is_shown(n) else None

    return PATTERN_HEADERS, [
        [
            r.name,
            count(r.people),
            count(r.pairs),
            _round(r.mean_change),
            r.improved,
            r.declined,
            count(r.observed_people),
            r.observations,
            _round(r.observation_share, 3),
            count(r.estimated_people),
            r.mastered,
            count(r.goal_people),
            r.goals,
            r.goals_achieved,
        ]
        for r in patterns.rows
    ]
