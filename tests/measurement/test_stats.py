"""Growth statistics equal scipy/statsmodels on the same data (to 1e-9); DiD recovers a known
effect within its CI on synthetic data."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from scipy import stats as sps

from measurement import stats

PRE = [3.1, 2.8, 3.5, 3.0, 2.6, 3.9, 3.3, 2.9, 3.4, 3.2, 2.7, 3.6]
POST = [3.4, 3.2, 3.6, 3.5, 2.7, 4.1, 3.9, 3.0, 3.8, 3.3, 3.1, 3.7]


def test_it_gives_the_paired_ci_of_scipy_and_the_t_formula():
    result = stats.paired_change(PRE, POST)
    assert isinstance(result, stats.PairedChange)
    diff = np.array(POST) - np.array(PRE)
    n = len(diff)
    half = sps.t.ppf(0.975, n - 1) * diff.std(ddof=1) / math.sqrt(n)
    assert result.mean_change == pytest.approx(diff.mean(), abs=1e-9)
    assert result.ci_low == pytest.approx(diff.mean() - half, abs=1e-9)
    assert result.ci_high == pytest.approx(diff.mean() + half, abs=1e-9)
    assert result.p_value == pytest.approx(sps.ttest_rel(POST, PRE).pvalue, abs=1e-9)
    assert result.n == 12


def test_it_names_d_z_and_d_av_and_they_differ_when_pre_and_post_correlate():
    result = stats.paired_change(PRE, POST)
    assert isinstance(result, stats.PairedChange)
    diff = np.array(POST) - np.array(PRE)
    d_z = diff.mean() / diff.std(ddof=1)
    d_av = diff.mean() / ((np.std(PRE, ddof=1) + np.std(POST, ddof=1)) / 2)
    j = 1 - 3 / (4 * 11 - 1)
    assert result.d_z == pytest.approx(d_z, abs=1e-9)
    assert result.d_av == pytest.approx(d_av, abs=1e-9)
    assert result.hedges_j == pytest.approx(j, abs=1e-12)
    assert result.g_z == pytest.approx(d_z * j, abs=1e-9)
    assert result.g_av == pytest.approx(d_av * j, abs=1e-9)
    assert result.d_z > 2 * result.d_av  # strongly correlated pre and post


def test_it_says_how_many_pairs_are_needed_instead_of_a_number():
    result = stats.paired_change([3.0, 3.2], [3.5, 3.1])
    assert isinstance(result, stats.TooFew)
    assert result.needed == stats.MIN_PAIRS and result.n == 2
    assert "at least 3" in result.message
    with pytest.raises(ValueError):
        stats.paired_change([1.0, 2.0, 3.0], [1.0, 2.0])


def test_it_gives_the_sample_sizes_of_the_specification():
    assert stats.pairs_needed(0.5) == 34
    assert stats.pairs_needed(0.3) == 90
    # 34 pairs detect about d_z .5 with 80 % power
    assert stats.minimum_detectable_d_z(34) == pytest.approx(0.5, abs=0.01)


def test_it_reads_reliable_change_as_jacobson_and_truax():
    # sd .5 and alpha .85: reliable change needs about 0.54 points
    threshold = 1.96 * math.sqrt(2) * 0.5 * math.sqrt(1 - 0.85)
    assert threshold == pytest.approx(0.537, abs=0.001)
    small = stats.reliable_change(3.0, 3.5, sd_baseline=0.5, reliability=0.85)
    big = stats.reliable_change(3.0, 3.6, sd_baseline=0.5, reliability=0.85)
    down = stats.reliable_change(3.6, 3.0, sd_baseline=0.5, reliability=0.85)
    assert small.reading == "within measurement error"
    assert big.reading == "reliable improvement"
    assert down.reading == "reliable decline"
    assert big.rci == pytest.approx(0.6 / (math.sqrt(2) * 0.5 * math.sqrt(0.15)), abs=1e-9)
    # for a metric where lower is better, a fall is the improvement
    assert (
        stats.reliable_change(3.6, 3.0, 0.5, 0.85, higher_is_better=False).reading
        == "reliable improvement"
    )


def _synthetic(effect: float, seed: int = 7) -> list[stats.DidObservation]:
    rng = np.random.default_rng(seed)
    rows = []
    for unit in range(60):
        treated = unit < 30
        level = rng.normal(50, 5)
        for month in range(12):
            post = month >= 6
            value = level + 0.3 * month + (effect if treated and post else 0) + rng.normal(0, 2)
            rows.append(stats.DidObservation(f"team-{unit}", treated, post, value))
    return rows


def test_it_recovers_a_known_effect_within_its_ci():
    result = stats.difference_in_differences(_synthetic(effect=4.0))
    assert isinstance(result, stats.DidEstimate)
    assert result.ci_low < 4.0 < result.ci_high
    assert result.ci_low > 0  # a real effect of this size is detected
    assert result.n_clusters == 60 and result.n_obs == 720
    null = stats.difference_in_differences(_synthetic(effect=0.0, seed=11))
    assert isinstance(null, stats.DidEstimate)
    assert null.ci_low < 0 < null.ci_high


def test_it_equals_statsmodels_with_clustered_errors():
    rows = _synthetic(effect=2.5, seed=3)
    result = stats.difference_in_differences(rows)
    assert isinstance(result, stats.DidEstimate)
    frame = pd.DataFrame(
        {
            "y": [r.value for r in rows],
            "treated": [int(r.treated) for r in rows],
            "post": [int(r.post) for r in rows],
            "team": [int(r.unit.split("-")[1]) for r in rows],
        }
    )
    fit = smf.ols("y ~ treated * post", data=frame).fit(
        cov_type="cluster", cov_kwds={"groups": frame["team"]}, use_t=True
    )
    assert result.estimate == pytest.approx(fit.params["treated:post"], abs=1e-9)
    assert result.se == pytest.approx(fit.bse["treated:post"], abs=1e-9)
    assert result.ci_low == pytest.approx(fit.conf_int().loc["treated:post", 0], abs=1e-9)
    assert result.p_value == pytest.approx(fit.pvalues["treated:post"], abs=1e-9)
    # the naive before/after of participants also includes the common trend
    assert result.naive_change > result.estimate


def test_it_asks_for_a_comparison_group_before_estimating():
    rows = [o for o in _synthetic(effect=1.0) if o.treated]
    result = stats.difference_in_differences(rows)
    assert isinstance(result, stats.TooFew)
    assert result.what == "units in an arm"


def test_it_checks_parallel_pre_trends():
    rng = np.random.default_rng(0)
    parallel = [
        (f"t{u}", u < 10, float(m), 10 + 0.5 * m + rng.normal(0, 0.3))
        for u in range(20)
        for m in range(6)
    ]
    diverging = [
        (f"t{u}", u < 10, float(m), 10 + (1.5 if u < 10 else 0.2) * m + rng.normal(0, 0.3))
        for u in range(20)
        for m in range(6)
    ]
    ok = stats.pre_trend(parallel)
    bad = stats.pre_trend(diverging)
    assert isinstance(ok, stats.PreTrend) and isinstance(bad, stats.PreTrend)
    assert ok.parallel and not bad.parallel
    assert bad.difference == pytest.approx(1.3, abs=0.1)


def test_collapsing_to_unit_means_keeps_the_estimate_on_a_balanced_panel():
    rows = _synthetic(effect=3.0, seed=9)
    full = stats.difference_in_differences(rows)
    frame = pd.DataFrame([r.__dict__ for r in rows])
    collapsed = [
        stats.DidObservation(unit, bool(treated), bool(post), value)
        for (unit, treated, post), value in frame.groupby(["unit", "treated", "post"])["value"]
        .mean()
        .items()
    ]
    short = stats.difference_in_differences(collapsed)
    assert isinstance(full, stats.DidEstimate) and isinstance(short, stats.DidEstimate)
    assert short.estimate == pytest.approx(full.estimate, abs=1e-9)
    assert short.ci_low < 3.0 < short.ci_high
    assert short.n_obs == 120


def test_pre_trends_of_group_means_equal_statsmodels_wls():
    rows = [
        (g == 1, float(t), 10 + (0.8 if g else 0.5) * t + 0.1 * ((t * 7 + g) % 3), 4 + g)
        for g in (0, 1)
        for t in range(6)
    ]
    result = stats.pre_trend_of_means(rows)
    assert isinstance(result, stats.PreTrend)
    frame = pd.DataFrame(rows, columns=["treated", "t", "y", "w"]).astype(float)
    fit = smf.wls("y ~ treated * t", data=frame, weights=frame["w"]).fit(cov_type="HC1")
    assert result.difference == pytest.approx(fit.params["treated:t"], abs=1e-9)
    assert result.p_value == pytest.approx(fit.pvalues["treated:t"], abs=1e-9)
    assert isinstance(stats.pre_trend_of_means(rows[:2] + rows[6:8]), stats.TooFew)
