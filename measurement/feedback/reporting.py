"""Compute one learner's 360 report from answers: pure functions over plain values.

Called by ``services.do_close_cycle`` (which freezes the result) and by the tests that check the
figures against scipy. Every aggregate goes through ``measurement.anonymity``.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import stats

from measurement import anonymity

GROUP_ORDER = ("self", "manager", "peer", "direct_report", "other")
OTHER_GROUPS = GROUP_ORDER[1:]
GROUP_LABELS = {
    "self": "Self",
    "manager": "Manager",
    "peer": "Peers",
    "direct_report": "Direct reports",
    "other": "Others",
}
# Reliability of one rater's rating (Conway & Huffcutt 1997); "other" stakeholders are taken as
# the least reliable group, like direct reports.
SINGLE_RATER_RELIABILITY = {"manager": 0.50, "peer": 0.37, "direct_report": 0.30, "other": 0.30}
GAP_THRESHOLD = 0.5
# When the organisation's own data are too few, the RCI uses these (MEASUREMENT.md).
DEFAULT_BASELINE_SD = 0.5
DEFAULT_RELIABILITY = 0.85
MIN_LEARNERS_FOR_SD = 10
MIN_RATERS_FOR_ALPHA = 30
RCI_CONFIDENCE = 0.95


@dataclass(frozen=True)
class ItemDef:
    id: int
    competency_id: int
    competency_name: str
    text: str


@dataclass(frozen=True)
class Response:
    """One submitted rater request: its group and its answers in force (None = not observed)."""

    group: str
    scores: Mapping[int, int | None]
    comments: Mapping[int, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ReliabilityParams:
    """Per competency: baseline sd and reliability for the RCI, and whether they are defaults."""

    sd: float
    r_xx: float
    sd_is_default: bool
    r_is_default: bool


def spearman_brown(r: float, k: int) -> float:
    """Reliability of the mean of ``k`` raters whose single ratings have reliability ``r``."""
    return k * r / (1 + (k - 1) * r)


def rci(pre: float, post: float, sd: float, r_xx: float) -> float:
    """Jacobson–Truax Reliable Change Index."""
    s_diff = math.sqrt(2) * sd * math.sqrt(1 - r_xx)
    return (post - pre) / s_diff


def rci_critical() -> float:
    return float(stats.norm.ppf(1 - (1 - RCI_CONFIDENCE) / 2))


def rci_reading(value: float) -> str:
    z = rci_critical()
    if value > z:
        return "reliable improvement"
    if value < -z:
        return "reliable decline"
    return "within measurement error"


def gap_label(gap: float) -> str:
    if gap >= GAP_THRESHOLD:
        return "blind spot"
    if gap <= -GAP_THRESHOLD:
        return "hidden strength"
    return "aligned"


def cronbach_alpha(matrix: Sequence[Sequence[float]]) -> float:
    """Cronbach's alpha of a raters × items matrix (complete rows only)."""
    data = np.asarray(matrix, dtype=float)
    k = data.shape[1]
    item_var = data.var(axis=0, ddof=1).sum()
    total_var = data.sum(axis=1).var(ddof=1)
    return float(k / (k - 1) * (1 - item_var / total_var))


def _mean(values: Sequence[float]) -> float | None:
    return float(np.mean(values)) if values else None


def competency_rater_score(
    scores: Mapping[int, int | None], item_ids: Sequence[int]
) -> float | None:
    """A rater's score on a competency: the mean of the items they rated, or None when they
    rated fewer than half of its items ("not observed" does not count)."""
    rated = [float(v) for i in item_ids if (v := scores.get(i)) is not None]
    if not rated or len(rated) * 2 < len(item_ids):
        return None
    return float(np.mean(rated))


def compute_report(
    org: anonymity.HasThresholds,
    items: Sequence[ItemDef],
    responses: Sequence[Response],
    questions: Mapping[int, str],
    salt: str,
    baseline: Mapping[int, float] | None = None,
    reliability: Mapping[int, ReliabilityParams] | None = None,
) -> dict[str, Any]:
    """The report as JSON-ready data. Deterministic: the same inputs give the same report.

    ``baseline`` maps competency id to the baseline others' mean (follow-ups only);
    ``reliability`` gives the RCI parameters per competency.
    """
    by_group: dict[str, list[Response]] = defaultdict(list)
    for response in responses:
        by_group[response.group].append(response)
    responded = {g: len(by_group.get(g, [])) for g in GROUP_ORDER}
    shown = anonymity.shown_groups(org, responded)
    groups = [
        {
            "group": g,
            "label": GROUP_LABELS[g],
            "responded": responded[g],
            "shown": g in shown,
            "anonymous": g in anonymity.ANONYMOUS_GROUPS,
            "hidden_reason": anonymity.hidden_reason(org, g, responded[g]),
            "reliability": (
                round(spearman_brown(SINGLE_RATER_RELIABILITY[g], responded[g]), 2)
                if g in shown and g != "self"
                else None
            ),
        }
        for g in GROUP_ORDER
        if g == "self" or responded[g] or g in anonymity.ANONYMOUS_GROUPS or g == "manager"
    ]
    shown_others = [g for g in OTHER_GROUPS if g in shown]
    shown_raters = sum(responded[g] for g in shown_others)
    all_others_shown = anonymity.all_others_is_shown(shown_raters)

    competency_items: dict[int, list[ItemDef]] = defaultdict(list)
    names: dict[int, str] = {}
    for item in items:
        competency_items[item.competency_id].append(item)
        names[item.competency_id] = item.competency_name

    competencies = []
    item_rows: list[dict[str, Any]] = []
    for cid, c_items in competency_items.items():
        ids = [i.id for i in c_items]
        group_scores: dict[str, dict[str, Any]] = {}
        for g in GROUP_ORDER:
            if g not in shown:
                continue  # dropped entirely: never computed, never folded into others
            values = [
                s for r in by_group[g] if (s := competency_rater_score(r.scores, ids)) is not None
            ]
            group_scores[g] = {"mean": _mean(values), "n": len(values), "label": GROUP_LABELS[g]}
        other_means = [
            group_scores[g]["mean"] for g in shown_others if group_scores[g]["mean"] is not None
        ]
        others_mean = _mean(other_means)
        others_n = sum(group_scores[g]["n"] for g in shown_others)
        all_others_values = [
            s
            for g in shown_others
            for r in by_group[g]
            if (s := competency_rater_score(r.scores, ids)) is not None
        ]
        self_score = group_scores.get("self", {}).get("mean")
        gap = (
            self_score - others_mean if self_score is not None and others_mean is not None else None
        )
        row: dict[str, Any] = {
            "competency_id": cid,
            "name": names[cid],
            "groups": group_scores,
            "self": self_score,
            "others_mean": others_mean,
            "others_n": others_n,
            "all_others": (
                {"mean": _mean(all_others_values), "n": len(all_others_values)}
                if all_others_shown and all_others_values
                else None
            ),
            "gap": gap,
            "gap_label": gap_label(gap) if gap is not None else "",
            "change": None,
            "rci": None,
            "reading": "",
            "reliable_change_points": None,
            "rci_basis": "",
        }
        if baseline is not None and others_mean is not None and cid in baseline:
            params = (reliability or {}).get(cid) or ReliabilityParams(
                DEFAULT_BASELINE_SD, DEFAULT_RELIABILITY, True, True
            )
            value = rci(baseline[cid], others_mean, params.sd, params.r_xx)
            s_diff = math.sqrt(2) * params.sd * math.sqrt(1 - params.r_xx)
            row.update(
                change=others_mean - baseline[cid],
                baseline_others_mean=baseline[cid],
                rci=value,
                reading=rci_reading(value),
                reliable_change_points=rci_critical() * s_diff,
                rci_basis=(
                    f"baseline sd {params.sd:.2f}"
                    f"{' (default)' if params.sd_is_default else ''}, reliability "
                    f"{params.r_xx:.2f}{' (default)' if params.r_is_default else ''}"
                ),
            )
        competencies.append(row)
        for item in c_items:
            per_group: dict[str, dict[str, Any]] = {}
            for g in GROUP_ORDER:
                if g not in shown:
                    continue
                values = [float(v) for r in by_group[g] if (v := r.scores.get(item.id)) is not None]
                per_group[g] = {"mean": _mean(values), "n": len(values)}
            other_item_means = [
                per_group[g]["mean"] for g in shown_others if per_group[g]["mean"] is not None
            ]
            item_rows.append(
                {
                    "item_id": item.id,
                    "competency_id": cid,
                    "text": item.text,
                    "groups": per_group,
                    "others_mean": _mean(other_item_means),
                }
            )

    rated_items = [r for r in item_rows if r["others_mean"] is not None]
    ranked = sorted(rated_items, key=lambda r: (-float(r["others_mean"]), int(r["item_id"])))
    top_n = min(3, len(ranked) // 2)
    comments = []
    for number, question in questions.items():
        texts = [
            text.strip()
            for g in shown_others
            if anonymity.comments_are_shown(org, g, responded[g])
            for r in by_group[g]
            if (text := r.comments.get(number, "")).strip()
        ]
        texts.sort(key=lambda t: anonymity.comment_order_key(salt, t))
        hidden = any(
            g in shown and not anonymity.comments_are_shown(org, g, responded[g])
            for g in shown_others
        )
        comments.append(
            {"question": question, "texts": texts, "some_hidden": hidden or len(shown_others) == 0}
        )
    return {
        "groups": groups,
        "shown_raters": shown_raters,
        "all_others_shown": all_others_shown,
        "competencies": competencies,
        "items": item_rows,
        "highest": [r["item_id"] for r in ranked[:top_n]],
        "lowest": [r["item_id"] for r in ranked[::-1][:top_n]],
        "comments": comments,
        "is_follow_up": baseline is not None,
        "rci_critical": rci_critical(),
    }


def reliability_from_baseline(
    baseline_scores: Mapping[int, Sequence[float]],
    rater_matrices: Mapping[int, Sequence[Sequence[float]]],
) -> dict[int, ReliabilityParams]:
    """RCI parameters per competency from the baseline: the sd of learners' others' means
    (enough learners) and Cronbach's alpha of complete rater rows (enough raters), else the
    defaults of MEASUREMENT.md."""
    params = {}
    for cid in set(baseline_scores) | set(rater_matrices):
        values = list(baseline_scores.get(cid, ()))
        sd_default = len(values) < MIN_LEARNERS_FOR_SD
        sd = DEFAULT_BASELINE_SD if sd_default else float(np.std(values, ddof=1))
        if sd <= 0:
            sd, sd_default = DEFAULT_BASELINE_SD, True
        rows = rater_matrices.get(cid, ())
        r_default = len(rows) < MIN_RATERS_FOR_ALPHA or (rows and len(rows[0]) < 2)
        r = DEFAULT_RELIABILITY
        if not r_default:
            alpha = cronbach_alpha(rows)
            if 0 < alpha < 1:
                r = alpha
            else:
                r_default = True
        params[cid] = ReliabilityParams(sd, r, sd_default, bool(r_default))
    return params
