"""Growth statistics from MEASUREMENT.md, computed by scipy and statsmodels (no hand-written
tests or intervals).

Every result names what it is (which effect size, how many pairs), and a statistic that rests on
too few pairs is returned as ``TooFew`` with the number needed instead of a number.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats as sps
from statsmodels.stats.power import TTestPower

# A paired mean change needs at least this many pairs before we show an interval at all.
MIN_PAIRS = 3
# Jacobson & Truax: |RCI| above this is reliable change at the 5 % level.
RCI_THRESHOLD = 1.96
# The default internal consistency of a 360 competency scale when the cycle gives none.
DEFAULT_RELIABILITY = 0.85
POWER = 0.80
ALPHA = 0.05


@dataclass(frozen=True)
class TooFew:
    """Not enough data for the statistic: the page says how many are needed."""

    n: int
    needed: int
    what: str = "pairs"

    @property
    def message(self) -> str:
        return f"{self.n} {self.what}; at least {self.needed} are needed for this figure."


@dataclass(frozen=True)
class PairedChange:
    """Mean paired change ``post − pre`` with its 95 % CI and effect sizes, named."""

    n: int
    mean_pre: float
    mean_post: float
    mean_change: float
    sd_change: float
    ci_low: float
    ci_high: float
    p_value: float
    d_z: float  # mean change / sd of changes (paired; what power analysis uses)
    d_av: float  # mean change / mean of the pre and post sds (comparable with between-group d)
    hedges_j: float  # small-sample correction J = 1 − 3/(4·df − 1), df = n − 1
    g_z: float  # d_z × J
    g_av: float  # d_av × J
    mde_d_z: float  # smallest d_z this n detects with 80 % power at α .05 (two-sided)


def hedges_j(df: int) -> float:
    """Hedges' small-sample correction ``J = 1 − 3/(4·df − 1)``."""
    return 1.0 - 3.0 / (4.0 * df - 1.0)


def paired_change(pre: Sequence[float], post: Sequence[float]) -> PairedChange | TooFew:
    """Paired change for the same people measured twice (``pre[i]`` and ``post[i]`` belong to
    one person). Needs ``MIN_PAIRS`` pairs and some spread in the changes."""
    if len(pre) != len(post):
        raise ValueError("pre and post must pair up: same length, same people in the same order")
    n = len(pre)
    if n < MIN_PAIRS:
        return TooFew(n=n, needed=MIN_PAIRS)
    a = np.asarray(pre, dtype=float)
    b = np.asarray(post, dtype=float)
    diff = b - a
    sd_change = float(np.std(diff, ddof=1))
    if sd_change == 0.0:
        return TooFew(n=n, needed=n + 1, what="pairs with different changes")
    test = sps.ttest_rel(b, a)
    ci = test.confidence_interval(confidence_level=0.95)
    mean_change = float(np.mean(diff))
    sd_av = (float(np.std(a, ddof=1)) + float(np.std(b, ddof=1))) / 2.0
    d_z = mean_change / sd_change
    d_av = mean_change / sd_av if sd_av > 0 else math.nan
    j = hedges_j(n - 1)
    return PairedChange(
        n=n,
        mean_pre=float(np.mean(a)),
        mean_post=float(np.mean(b)),
        mean_change=mean_change,
        sd_change=sd_change,
        ci_low=float(ci.low),
        ci_high=float(ci.high),
        p_value=float(test.pvalue),
        d_z=d_z,
        d_av=d_av,
        hedges_j=j,
        g_z=d_z * j,
        g_av=d_av * j,
        mde_d_z=minimum_detectable_d_z(n),
    )


def pairs_needed(d_z: float, power: float = POWER, alpha: float = ALPHA) -> int:
    """Pairs needed to detect a paired effect ``d_z`` (two-sided): .5 → 34, .3 → 90."""
    n = TTestPower().solve_power(
        effect_size=abs(d_z), power=power, alpha=alpha, alternative="two-sided"
    )
    return int(math.ceil(float(n)))


@functools.lru_cache(maxsize=4096)
def minimum_detectable_d_z(n: int, power: float = POWER, alpha: float = ALPHA) -> float:
    """The smallest paired effect ``d_z`` that ``n`` pairs detect with ``power``. A function of
    its arguments alone, found by root-finding (most of a roll-up's statistics time): computed
    once per ``n`` in a process, the same figure every time."""
    if n < 2:
        return math.inf
    return float(
        TTestPower().solve_power(nobs=n, power=power, alpha=alpha, alternative="two-sided")
    )


@dataclass(frozen=True)
class ReliableChange:
    change: float
    s_diff: float
    rci: float
    reading: str  # "reliable improvement" | "reliable decline" | "within measurement error"


def reliable_change(
    pre: float,
    post: float,
    sd_baseline: float,
    reliability: float = DEFAULT_RELIABILITY,
    higher_is_better: bool = True,
) -> ReliableChange:
    """Jacobson & Truax (1991): ``SE = sd·√(1 − r_xx)``, ``S_diff = √2·SE``, RCI = change/S_diff."""
    if sd_baseline <= 0 or not 0 <= reliability < 1:
        raise ValueError("needs a positive baseline sd and a reliability in [0, 1)")
    s_diff = math.sqrt(2.0) * sd_baseline * math.sqrt(1.0 - reliability)
    change = post - pre
    rci = change / s_diff
    good = rci if higher_is_better else -rci
    if good > RCI_THRESHOLD:
        reading = "reliable improvement"
    elif good < -RCI_THRESHOLD:
        reading = "reliable decline"
    else:
        reading = "within measurement error"
    return ReliableChange(change=change, s_diff=s_diff, rci=rci, reading=reading)


@dataclass(frozen=True)
class DidObservation:
    """One measurement for difference-in-differences: a unit (team or learner) in a period."""

    unit: str
    treated: bool
    post: bool
    value: float


@dataclass(frozen=True)
class DidEstimate:
    """``treated:post`` of ``y ~ treated * post`` with SEs clustered by unit."""

    estimate: float
    se: float
    ci_low: float
    ci_high: float
    p_value: float
    n_obs: int
    n_clusters: int
    treated_pre: float
    treated_post: float
    comparison_pre: float
    comparison_post: float

    @property
    def naive_change(self) -> float:
        """What a before/after of participants alone would claim."""
        return self.treated_post - self.treated_pre


# Clustered SEs need some clusters in each arm; below this the page asks for more teams.
MIN_CLUSTERS_PER_ARM = 2


def _interaction_fit(y: np.ndarray, treated: np.ndarray, x: np.ndarray, groups: np.ndarray) -> Any:
    """OLS ``y ~ treated * x`` (intercept, treated, x, treated:x) with SEs clustered by
    ``groups`` and t-based intervals: the same fit as the formula API, without its parsing."""
    design = np.column_stack([np.ones_like(y), treated, x, treated * x])
    return sm.OLS(y, design).fit(cov_type="cluster", cov_kwds={"groups": groups}, use_t=True)


def difference_in_differences(rows: Sequence[DidObservation]) -> DidEstimate | TooFew:
    """OLS ``y ~ treated * post`` with standard errors clustered by unit (statsmodels).

    Rows may be every unit-month, or collapsed to one mean per unit before and one after (the
    remedy for serially correlated months of Bertrand, Duflo & Mullainathan 2004, and what the
    roll-up feeds it); on a balanced panel both give the same estimate."""
    units = pd.factorize(pd.Series([r.unit for r in rows], dtype=object))[0]
    treated = np.array([float(r.treated) for r in rows])
    post = np.array([float(r.post) for r in rows])
    y = np.array([r.value for r in rows])
    for arm in (0.0, 1.0):
        in_arm = treated == arm
        n_units = len(set(units[in_arm].tolist()))
        if n_units < MIN_CLUSTERS_PER_ARM or len(set(post[in_arm].tolist())) < 2:
            return TooFew(n=n_units, needed=MIN_CLUSTERS_PER_ARM, what="units in an arm")
    fit = _interaction_fit(y, treated, post, units)
    ci = fit.conf_int(alpha=ALPHA)

    def mean(arm: float, after: float) -> float:
        return float(y[(treated == arm) & (post == after)].mean())

    return DidEstimate(
        estimate=float(fit.params[3]),
        se=float(fit.bse[3]),
        ci_low=float(ci[3, 0]),
        ci_high=float(ci[3, 1]),
        p_value=float(fit.pvalues[3]),
        n_obs=len(rows),
        n_clusters=len(set(units.tolist())),
        treated_pre=mean(1.0, 0.0),
        treated_post=mean(1.0, 1.0),
        comparison_pre=mean(0.0, 0.0),
        comparison_post=mean(0.0, 1.0),
    )


@dataclass(frozen=True)
class PreTrend:
    """Slopes per period before the programme: participants vs comparison (parallel or not)."""

    treated_slope: float
    comparison_slope: float
    difference: float
    p_value: float
    parallel: bool


def pre_trend(rows: Sequence[tuple[str, bool, float, float]]) -> PreTrend | TooFew:
    """Test parallel pre-trends on ``(unit, treated, t, value)`` rows from before the start:
    ``y ~ treated * t`` clustered by unit; ``treated:t`` is the slope difference."""
    frame = pd.DataFrame(rows, columns=["unit", "treated", "t", "y"])
    frame["treated"] = frame["treated"].astype(int)
    if frame.t.nunique() < 3 or frame.groupby("treated").unit.nunique().min() < 2:
        return TooFew(n=int(frame.t.nunique()), needed=3, what="periods before the start")
    if frame.treated.nunique() < 2:
        return TooFew(n=0, needed=MIN_CLUSTERS_PER_ARM, what="units in an arm")
    fit = _interaction_fit(
        frame.y.to_numpy(float),
        frame.treated.to_numpy(float),
        frame.t.to_numpy(float),
        pd.factorize(frame["unit"])[0],
    )
    return _pre_trend_reading(fit)


def pre_trend_of_means(rows: Sequence[tuple[bool, float, float, float]]) -> PreTrend | TooFew:
    """Parallel pre-trends from the two groups' monthly means, ``(treated, t, mean, teams)``:
    WLS ``mean ~ treated * t`` weighted by teams, heteroskedasticity-robust (HC1) SEs. What the
    roll-up uses, reading its own monthly group means instead of every team-month again."""
    treated = np.array([float(r[0]) for r in rows])
    if len(set(treated.tolist())) < 2:
        return TooFew(n=0, needed=MIN_CLUSTERS_PER_ARM, what="groups with values before the start")
    months = min(int((treated == arm).sum()) for arm in (0.0, 1.0))
    if months < 3:
        return TooFew(n=months, needed=3, what="months before the start")
    t = np.array([r[1] for r in rows])
    y = np.array([r[2] for r in rows])
    w = np.array([r[3] for r in rows])
    design = np.column_stack([np.ones_like(y), treated, t, treated * t])
    fit = sm.WLS(y, design, weights=w).fit(cov_type="HC1")
    return _pre_trend_reading(fit)


def _pre_trend_reading(fit: Any) -> PreTrend:
    p = float(fit.pvalues[3])
    return PreTrend(
        treated_slope=float(fit.params[2] + fit.params[3]),
        comparison_slope=float(fit.params[2]),
        difference=float(fit.params[3]),
        p_value=p,
        parallel=not (p < ALPHA),
    )
