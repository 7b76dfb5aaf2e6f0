"""The report's figures and anonymity: each rule has a test that fails when the rule is removed,
re-identification by subtraction (across groups, filters and time) is tried, and every figure is
checked against scipy/numpy on the same data to 1e-9."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest
from scipy import stats

from measurement import anonymity
from measurement.feedback import reporting
from measurement.feedback.reporting import ItemDef, Response, compute_report

ORG = SimpleNamespace(anonymity_threshold=3, comment_threshold=5)
ITEMS = [
    ItemDef(1, 10, "Listening", "Listens"),
    ItemDef(2, 10, "Listening", "Paraphrases"),
    ItemDef(3, 20, "Clarity", "Explains why"),
    ItemDef(4, 20, "Clarity", "Sets goals"),
]
QUESTIONS = {1: "Keep doing?"}


def resp(group: str, scores: list[int | None], comment: str = "") -> Response:
    return Response(
        group, {i + 1: s for i, s in enumerate(scores)}, {1: comment} if comment else {}
    )


def base_responses(peer_scores: int = 4, peers: int = 3) -> list[Response]:
    return [
        resp("self", [5, 5, 4, 4]),
        resp("manager", [3, 4, 3, 2], "manager says"),
        *[resp("peer", [peer_scores] * 4, f"peer {i}") for i in range(peers)],
        *[resp("direct_report", [2, 3, 4, 5], f"report {i}") for i in range(3)],
    ]


def competency(report: dict, cid: int) -> dict:
    return next(c for c in report["competencies"] if c["competency_id"] == cid)


# --- the anonymity rules ---------------------------------------------------------------------


def test_a_group_below_threshold_is_dropped_scores_and_comments():
    responses = [r for r in base_responses() if r.group != "peer"] + [
        resp("peer", [1, 1, 1, 1], "secret peer"),
        resp("peer", [1, 1, 1, 1], "secret peer 2"),
    ]
    report = compute_report(ORG, ITEMS, responses, QUESTIONS, salt="s")
    peer = next(g for g in report["groups"] if g["group"] == "peer")
    assert not peer["shown"] and peer["responded"] == 2
    assert peer["hidden_reason"] == "hidden: fewer than 3 responded"
    for c in report["competencies"]:
        assert "peer" not in c["groups"]
    for row in report["items"]:
        assert "peer" not in row["groups"]
    assert all("secret" not in t for block in report["comments"] for t in block["texts"])


def test_a_hidden_group_is_never_folded_into_others_so_subtraction_recovers_nothing():
    """Across groups: the report is identical whatever the hidden peers answered."""
    low = [r for r in base_responses() if r.group != "peer"] + [resp("peer", [1, 1, 1, 1])] * 2
    high = [r for r in base_responses() if r.group != "peer"] + [resp("peer", [5, 5, 5, 5])] * 2
    report_low = compute_report(ORG, ITEMS, low, QUESTIONS, salt="s")
    report_high = compute_report(ORG, ITEMS, high, QUESTIONS, salt="s")
    assert report_low == report_high
    c = competency(report_low, 10)
    # others = mean of manager (3.5) and direct reports (2.5): peers are not in it
    assert c["others_mean"] == pytest.approx(3.0, abs=1e-12)
    assert c["others_n"] == 4
    assert c["all_others"] == {"mean": pytest.approx(2.75, abs=1e-12), "n": 4}


def test_all_others_needs_four_shown_raters():
    three = [resp("self", [4, 4, 4, 4])] + [resp("peer", [3, 3, 3, 3])] * 3
    report = compute_report(ORG, ITEMS, three, QUESTIONS, salt="s")
    assert report["shown_raters"] == 3 and not report["all_others_shown"]
    assert competency(report, 10)["all_others"] is None
    four = [*three, resp("manager", [5, 5, 5, 5])]
    report = compute_report(ORG, ITEMS, four, QUESTIONS, salt="s")
    assert report["all_others_shown"]
    assert competency(report, 10)["all_others"]["n"] == 4


def test_comments_need_the_higher_threshold_are_shuffled_and_carry_no_rater_data():
    four_peers = [resp("peer", [4] * 4, f"peer comment {i}") for i in range(4)]
    report = compute_report(ORG, ITEMS, four_peers, QUESTIONS, salt="s")
    assert report["comments"][0]["texts"] == []  # 4 < 5: scores shown, comments not
    assert competency(report, 10)["groups"]["peer"]["n"] == 4
    five_peers = [resp("peer", [4] * 4, f"peer comment {i}") for i in range(5)]
    report = compute_report(ORG, ITEMS, five_peers, QUESTIONS, salt="salt-1")
    texts = report["comments"][0]["texts"]
    assert sorted(texts) == [f"peer comment {i}" for i in range(5)]
    assert texts == sorted(texts, key=lambda t: anonymity.comment_order_key("salt-1", t))
    assert all(isinstance(t, str) for t in texts)  # text only: no group, no alias, no order


def test_a_rater_counts_for_a_competency_only_with_half_its_items():
    responses = [resp("manager", [4, None, None, None]), resp("manager", [None, 3, 2, 5])]
    report = compute_report(ORG, ITEMS, responses, QUESTIONS, salt="s")
    # Both answered one of two Listening items (half): both count; Clarity only the second.
    assert competency(report, 10)["groups"]["manager"]["n"] == 2
    assert competency(report, 20)["groups"]["manager"]["n"] == 1
    three_items = [*ITEMS, ItemDef(5, 10, "Listening", "Asks")]
    report = compute_report(ORG, three_items, responses, QUESTIONS, salt="s")
    assert competency(report, 10)["groups"]["manager"]["n"] == 0  # 1 of 3 is under half


def test_gap_labels_and_the_leniency_note():
    report = compute_report(ORG, ITEMS, base_responses(), QUESTIONS, salt="s")
    listening = competency(report, 10)
    # self 5.0; others = mean(3.5 manager, 4 peers, 2.5 reports) = 3.333…
    assert listening["gap"] == pytest.approx(5 - (3.5 + 4 + 2.5) / 3, abs=1e-12)
    assert listening["gap_label"] == "blind spot"
    assert reporting.gap_label(-0.5) == "hidden strength"
    assert reporting.gap_label(0.49) == "aligned"


# --- 5 people per cell across learners, on the combination of filters -----------------------


def test_cells_below_five_people_are_hidden_with_a_complement_against_subtraction():
    """Across filters: one hidden team plus a shown total would give it away by subtraction."""
    teams = {"Sales": 7, "Ops": 4, "Finance": 6}
    hidden = anonymity.suppressed_cells(teams)
    assert "Ops" in hidden and "Finance" in hidden and "Sales" not in hidden
    assert anonymity.suppressed_cells(teams, total_is_shown=False) == {"Ops"}
    assert anonymity.suppressed_cells({"A": 5, "B": 9}) == set()
    assert anonymity.suppressed_cells({"A": 2, "B": 3, "C": 8}) == {"A", "B"}


# --- figures against scipy -------------------------------------------------------------------


def test_every_figure_matches_scipy_to_1e9():
    rng = np.random.default_rng(7)
    responses = [resp("self", [4, 5, 3, 4])]
    raw: dict[str, list[list[int]]] = {}
    for group, n in (("manager", 1), ("peer", 5), ("direct_report", 4)):
        rows = rng.integers(1, 6, size=(n, 4)).tolist()
        raw[group] = rows
        responses += [resp(group, row) for row in rows]
    baseline = {10: 3.1, 20: 2.2}
    params = {
        10: reporting.ReliabilityParams(0.61, 0.83, False, False),
        20: reporting.ReliabilityParams(0.5, 0.85, True, True),
    }
    report = compute_report(ORG, ITEMS, responses, QUESTIONS, "s", baseline, params)
    for cid, cols in ((10, [0, 1]), (20, [2, 3])):
        c = competency(report, cid)
        group_means = {
            g: float(stats.tmean(np.asarray(rows)[:, cols].mean(axis=1))) for g, rows in raw.items()
        }
        for g, mean in group_means.items():
            assert abs(c["groups"][g]["mean"] - mean) < 1e-9
        others = float(stats.tmean(list(group_means.values())))
        assert abs(c["others_mean"] - others) < 1e-9
        pooled = np.concatenate([np.asarray(rows)[:, cols].mean(axis=1) for rows in raw.values()])
        assert abs(c["all_others"]["mean"] - float(stats.tmean(pooled))) < 1e-9
        p = params[cid]
        se = p.sd * math.sqrt(1 - p.r_xx)
        expected_rci = (others - baseline[cid]) / (math.sqrt(2) * se)
        assert abs(c["rci"] - expected_rci) < 1e-9
        z = stats.norm.ppf(0.975)
        assert abs(c["reliable_change_points"] - z * math.sqrt(2) * se) < 1e-9
        expected = (
            "reliable improvement"
            if expected_rci > z
            else "reliable decline"
            if expected_rci < -z
            else "within measurement error"
        )
        assert c["reading"] == expected
    peer = next(g for g in report["groups"] if g["group"] == "peer")
    assert peer["reliability"] == round(5 * 0.37 / (1 + 4 * 0.37), 2)


def test_cronbach_alpha_matches_the_anova_form():
    rng = np.random.default_rng(3)
    true = rng.normal(3, 0.7, size=40)
    data = np.clip(np.rint(true[:, None] + rng.normal(0, 0.5, size=(40, 3))), 1, 5)
    # alpha = 1 - MS_error / MS_subjects from a two-way ANOVA without replication
    n, k = data.shape
    grand = data.mean()
    ss_subjects = k * ((data.mean(axis=1) - grand) ** 2).sum()
    ss_items = n * ((data.mean(axis=0) - grand) ** 2).sum()
    ss_error = ((data - grand) ** 2).sum() - ss_subjects - ss_items
    ms_subjects = ss_subjects / (n - 1)
    ms_error = ss_error / ((n - 1) * (k - 1))
    assert abs(reporting.cronbach_alpha(data.tolist()) - (1 - ms_error / ms_subjects)) < 1e-9


def test_reliability_uses_the_organisations_data_only_when_there_is_enough():
    few = reporting.reliability_from_baseline({10: [3.0, 3.5]}, {10: [[3.0, 4.0]] * 5})
    assert few[10] == reporting.ReliabilityParams(0.5, 0.85, True, True)
    rng = np.random.default_rng(5)
    means = rng.normal(3.2, 0.4, size=12).tolist()
    true = rng.normal(3, 0.7, size=40)
    rows = np.clip(np.rint(true[:, None] + rng.normal(0, 0.4, size=(40, 2))), 1, 5).tolist()
    params = reporting.reliability_from_baseline({10: means}, {10: rows})[10]
    assert abs(params.sd - float(np.std(means, ddof=1))) < 1e-9 and not params.sd_is_default
    assert abs(params.r_xx - reporting.cronbach_alpha(rows)) < 1e-9 and not params.r_is_default


def test_the_same_inputs_give_the_same_report():
    first = compute_report(ORG, ITEMS, base_responses(), QUESTIONS, salt="p1")
    again = compute_report(ORG, ITEMS, list(reversed(base_responses())), QUESTIONS, salt="p1")
    assert first == again
