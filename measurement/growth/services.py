"""The individual growth roll-up: learner × competency × period, recomputed from facts.

It reads the other areas only through their contracts (``measurement.sources``): frozen 360
scores and closed pulses (feedback), observations and goal counts (coaching), and the mastery
estimates of pathways (``Ability``, as the impact roll-up does). Per learner it takes the
latest closed 360 follow-up and its baseline (else the latest baseline), and the latest
baseline when a later round started; it assembles one row per competency with any evidence and
upserts the current period's rows in one ``INSERT … ON CONFLICT DO UPDATE`` per batch; rows in
scope that no longer rest on a fact are deleted. It never writes a fact, and running it twice
leaves the same rows.

A fact about a learner (a frozen report, an observation, a goal, a practice answer) records the
learner's roll-up in the outbox in its own transaction (``queue_growth_rollup``), debounced to
one run per learner and two-minute window; the nightly job recomputes everyone.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

from measurement import sources, stats
from measurement.feedback.queries import CompetencyScoreFact
from measurement.impact import MASTERED_AT
from measurement.models import LearnerCompetencyRollup
from measurement.services import period_for
from organizations.models import Membership, Organization
from organizations.outbox.delivery import derived_rows_only, record_followup
from organizations.relative_dates import org_today
from organizations.tenancy import current_org
from pathways.models import Ability

# Facts about one learner arriving within this window share one roll-up (one outbox row per
# learner and window, run at the window's end).
ROLLUP_WINDOW = dt.timedelta(minutes=2)
ROLLUP_HANDLER = "measurement.growth.services.run_growth_rollup"
# Learners per batch of the full roll-up. A batch costs seven queries (five reads of facts,
# the upsert, the clean-up) and holds its learners' facts in memory: at about a hundred facts
# per learner, 500 learners are a few MB.
LEARNER_BATCH = 500
# Rows per INSERT … ON CONFLICT statement (about 400 bytes of SQL parameters each).
UPSERT_BATCH = 1000

UPDATE_FIELDS = [
    "baseline_report_id",
    "baseline_on",
    "baseline_others",
    "baseline_others_n",
    "baseline_self",
    "follow_up_report_id",
    "follow_up_on",
    "follow_up_others",
    "follow_up_others_n",
    "follow_up_self",
    "new_baseline_report_id",
    "new_baseline_on",
    "new_baseline_others",
    "new_baseline_others_n",
    "new_baseline_self",
    "pulses",
    "change",
    "rci",
    "reading",
    "reliable_points",
    "observations",
    "observation_mean",
    "observation_scale_max",
    "last_observed_on",
    "p_known",
    "mastery_answers",
    "mastered",
    "goals",
    "goals_achieved",
    "computed_at",
]
# The figures of a row, compared with the stored ones to skip unchanged rows.
FIGURES = UPDATE_FIELDS[:-1]


def _default(name: str) -> Any:
    field = LearnerCompetencyRollup._meta.get_field(name)
    assert isinstance(field, models.Field)
    return field.get_default()


_DEFAULTS = {f: _default(f) for f in FIGURES}


def queue_growth_rollup(learner_ids: Iterable[int], now: dt.datetime | None = None) -> None:
    """Record the learners' growth roll-up in the outbox, in the caller's transaction (which
    must be the fact's): one row per set of learners and ``ROLLUP_WINDOW`` (its dedupe key),
    run at the window's end, so a burst of facts shares one roll-up and a broker outage loses
    nothing. Must run inside ``tenant_context``."""
    ids = sorted({int(i) for i in learner_ids})
    if not ids:
        return
    if settings.CELERY_TASK_ALWAYS_EAGER:
        # No broker and no beat sweep (the embedded default): roll up once, after commit.
        record_followup(ROLLUP_HANDLER, ids)
        return
    now = now or timezone.now()
    window = int(now.timestamp() // ROLLUP_WINDOW.total_seconds())
    run_after = dt.datetime.fromtimestamp((window + 1) * ROLLUP_WINDOW.total_seconds(), tz=dt.UTC)
    who = str(ids[0]) if len(ids) == 1 else hashlib.sha256(repr(ids).encode()).hexdigest()[:24]
    record_followup(
        ROLLUP_HANDLER, ids, dedupe_key=f"growth-rollup:{who}:{window}", run_after=run_after
    )


@derived_rows_only
def run_growth_rollup(org: Organization, learner_ids: list[int]) -> None:
    """Outbox handler: these learners' rows (a learner who vanished loses theirs)."""
    do_rollup_growth(learner_ids)


@dataclass(frozen=True)
class GrowthRollupResult:
    period: dt.date
    learners: int
    rows: int


def do_rollup_growth(
    learner_ids: Iterable[int] | None = None, now: dt.datetime | None = None
) -> GrowthRollupResult:
    """Recompute the current period's rows of ``learner_ids`` (None: every active learner) from
    facts; write the rows that are new or whose figures changed and delete the period's rows in
    scope that no facts support any more (and, for the full run, those of members who are no
    longer active learners). A row whose figures did not change is left as it is: re-running
    over unchanged facts writes nothing, and ``computed_at`` is when a row's figures last
    changed. ``rows`` of the result counts the rows inserted or changed.

    Must run inside ``tenant_context``. Idempotent; reads facts only and never edits one. A
    targeted run locks its learners' membership rows for its transaction.
    """
    org = current_org()
    assert org is not None
    now = now or timezone.now()
    period = period_for(org, now)
    today = org_today(now)
    active = Membership.objects.filter(is_active=True, is_learner=True)
    if learner_ids is not None:
        wanted = sorted({int(i) for i in learner_ids})
        active = active.filter(pk__in=wanted)
    written = 0
    with transaction.atomic():
        if learner_ids is not None:
            # Two roll-ups of one learner (a fact's and another's) serialise: the later one
            # reads the earlier one's facts. Locked in primary-key order.
            active = active.select_for_update(of=("self",))
        scope = list(active.order_by("pk").values_list("pk", flat=True))
        for start in range(0, len(scope), LEARNER_BATCH):
            batch = scope[start : start + LEARNER_BATCH]
            cells = learner_cells(org, batch, today)
            held = {
                (learner_id, competency_id): (pk, tuple(figures))
                for pk, learner_id, competency_id, *figures in LearnerCompetencyRollup.objects.filter(
                    period=period, learner_id__in=batch
                ).values_list("pk", "learner_id", "competency_id", *FIGURES)
            }
            changed = [
                LearnerCompetencyRollup(
                    organization_id=org.pk,
                    learner_id=learner_id,
                    competency_id=competency_id,
                    period=period,
                    computed_at=now,
                    **dict(zip(FIGURES, figures, strict=True)),
                )
                for (learner_id, competency_id), figures in cells.items()
                if (old := held.get((learner_id, competency_id))) is None or old[1] != figures
            ]
            LearnerCompetencyRollup.objects.bulk_create(
                changed,
                batch_size=UPSERT_BATCH,
                update_conflicts=True,
                unique_fields=["organization", "learner", "competency", "period"],
                update_fields=UPDATE_FIELDS,
            )
            written += len(changed)
            gone = [pk for key, (pk, _figures) in held.items() if key not in cells]
            if gone:
                LearnerCompetencyRollup.objects.filter(pk__in=gone).delete()
        if learner_ids is None:
            LearnerCompetencyRollup.objects.filter(period=period).exclude(
                learner_id__in=active.values("pk")
            ).delete()
        else:
            LearnerCompetencyRollup.objects.filter(
                period=period, learner_id__in=sorted(set(wanted) - set(scope))
            ).delete()
    return GrowthRollupResult(period=period, learners=len(scope), rows=written)


def _latest(facts: Sequence[CompetencyScoreFact]) -> int | None:
    """The cycle closed last (ties: the later cycle)."""
    return max(((f.closed_on, f.cycle_id) for f in facts), default=(None, None))[1]


def _reliable_points(change: float | None, rci: float | None) -> float | None:
    """The smallest change the report would have called reliable: ``1.96 · S_diff``, with
    ``S_diff = change / RCI`` recovered from the frozen figures (unknown for no change)."""
    if change is None or rci is None or rci == 0 or change == 0:
        return None
    return abs(stats.RCI_THRESHOLD * change / rci)


def learner_rows(
    org: Organization,
    learner_ids: Sequence[int],
    period: dt.date,
    today: dt.date,
    now: dt.datetime,
) -> list[LearnerCompetencyRollup]:
    """One unsaved row per learner and competency with any evidence (five queries)."""
    return [
        LearnerCompetencyRollup(
            organization_id=org.pk,
            learner_id=learner_id,
            competency_id=competency_id,
            period=period,
            computed_at=now,
            **dict(zip(FIGURES, figures, strict=True)),
        )
        for (learner_id, competency_id), figures in learner_cells(org, learner_ids, today).items()
    ]


def learner_cells(
    org: Organization, learner_ids: Sequence[int], today: dt.date
) -> dict[tuple[int, int], tuple[Any, ...]]:
    """Per learner and competency with any evidence, sorted: the row's figures in ``FIGURES``
    order, absent ones at the field's default (five queries)."""
    cells: dict[tuple[int, int], dict[str, Any]] = defaultdict(dict)

    # 360: the latest closed follow-up and its baseline, else the latest closed baseline; and the
    # latest baseline when a later round started (even one that closed before that follow-up).
    by_learner: dict[int, list[CompetencyScoreFact]] = defaultdict(list)
    for fact in sources.learner_competency_scores(learner_ids):
        by_learner[fact.learner_id].append(fact)
    pulses_of: dict[int, int] = {}  # learner -> the baseline whose pulses count
    for learner_id, facts in by_learner.items():
        latest = _latest([f for f in facts if f.kind == "baseline"])
        baselines = {f.cycle_id for f in facts if f.kind == "baseline"}
        follow_ups = [
            f for f in facts if f.kind == "follow_up" and f.baseline_cycle_id in baselines
        ]
        follow_up = _latest(follow_ups)
        base, newer = latest, None
        if follow_up is not None:
            base = next(f.baseline_cycle_id for f in follow_ups if f.cycle_id == follow_up)
            if latest is not None and latest != base:
                newer = latest  # a round that started after the paired one
        if newer or base:
            pulses_of[learner_id] = int(newer or base)  # type: ignore[arg-type]
        for f in facts:
            cell = cells[(learner_id, f.competency_id)]
            if f.cycle_id == base:
                cell.update(
                    baseline_report_id=f.report_id,
                    baseline_on=f.closed_on,
                    baseline_others=f.others_mean,
                    baseline_others_n=f.others_n,
                    baseline_self=f.self_score,
                )
            elif f.cycle_id == follow_up:
                cell.update(
                    follow_up_report_id=f.report_id,
                    follow_up_on=f.closed_on,
                    follow_up_others=f.others_mean,
                    follow_up_others_n=f.others_n,
                    follow_up_self=f.self_score,
                    change=f.change,
                    rci=f.rci,
                    reading=f.reading,
                    reliable_points=_reliable_points(f.change, f.rci),
                )
            elif f.cycle_id == newer:
                cell.update(
                    new_baseline_report_id=f.report_id,
                    new_baseline_on=f.closed_on,
                    new_baseline_others=f.others_mean,
                    new_baseline_others_n=f.others_n,
                    new_baseline_self=f.self_score,
                )
    # Drop cells made only for scores of cycles that were not chosen.
    for key in [k for k, v in cells.items() if not v]:
        del cells[key]

    for p in sources.pulse_scores(learner_ids, today, org):
        if pulses_of.get(p.learner_id) != p.baseline_cycle_id:
            continue  # a pulse of an earlier round
        cells[(p.learner_id, p.competency_id)].setdefault("pulses", []).append(
            {
                "number": p.number,
                "sent_on": p.sent_on.isoformat(),
                "closes_on": p.closes_on.isoformat(),
                "items": p.items,
                "others_mean": p.others_mean,
                "others_n": p.others_n,
                "baseline_items_mean": p.baseline_items_mean,
            }
        )

    observed: dict[tuple[int, int], list[tuple[int, int, dt.date]]] = defaultdict(list)
    for o in sources.observations(learner_ids):
        observed[(o.learner_id, o.competency_id)].append((o.rating, o.scale_max, o.observed_on))
    for key, found in observed.items():
        cells[key].update(
            observations=len(found),
            observation_mean=sum(r for r, _m, _d in found) / len(found),
            observation_scale_max=max(m for _r, m, _d in found),
            last_observed_on=max(d for _r, _m, d in found),
        )

    for g in sources.goals(learner_ids):
        cells[(g.learner_id, g.competency_id)].update(goals=g.goals, goals_achieved=g.achieved)

    for learner_id, competency_id, p_known, answers in Ability.objects.filter(
        learner_id__in=list(learner_ids), updates__gt=0
    ).values_list("learner_id", "competency_id", "p_known", "updates"):
        cells[(learner_id, competency_id)].update(
            p_known=p_known, mastery_answers=answers, mastered=p_known >= MASTERED_AT
        )

    out = {}
    for key, values in sorted(cells.items()):
        values["pulses"] = sorted(values.get("pulses", []), key=lambda p: p["number"])
        out[key] = tuple(values[f] if f in values else _DEFAULTS[f] for f in FIGURES)
    return out
