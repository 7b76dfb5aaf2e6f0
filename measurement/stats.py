"""Growth statistics from MEASUREMENT.md, computed by scipy and statsmodels (no hand-written
tests or intervals).

Every result names what it is (which effect size, how many pairs), and a statistic that rests on
too few pairs is returned as ``TooFew`` with the number needed instead of a number.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import statsmodels.formula.api as smf
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


def minimum_detectable_d_z(n: int, power: float = POWER, alpha: float = ALPHA) -> float:
    """The smallest paired effect ``d_z`` that ``n`` pairs detect with ``power``."""
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


def difference_in_differences(rows: Sequence[DidObservation]) -> DidEstimate | TooFew:
    """OLS ``y ~ treated * post`` with standard errors clustered by unit (statsmodels)."""
    frame = pd.DataFrame(
        {
            "y": [r.value for r in rows],
            "treated": [int(r.treated) for r in rows],
            "post": [int(r.post) for r in rows],
            "unit": [r.unit for r in rows],
        }
    )
    for treated in (0, 1):
        arm = frame[frame.treated == treated]
        units = arm.unit.nunique()
        if units < MIN_CLUSTERS_PER_ARM or arm.post.nunique() < 2:
            return TooFew(n=int(units), needed=MIN_CLUSTERS_PER_ARM, what="units in an arm")
    groups = pd.factorize(frame["unit"])[0]
    fit = smf.ols("y ~ treated * post", data=frame).fit(
        cov_type="cluster", cov_kwds={"groups": groups}, use_t=True
    )
    ci = fit.conf_int(alpha=ALPHA)
    means = frame.groupby(["treated", "post"])["y"].mean()
    return DidEstimate(
        estimate=float(fit.params["treated:post"]),
        se=float(fit.bse["treated:post"]),
        ci_low=float(ci.loc["treated:post", 0]),
        ci_high=float(ci.loc["treated:post", 1]),
        p_value=float(fit.pvalues["treated:post"]),
        n_obs=len(frame),
        n_clusters=int(frame.unit.nunique()),
        treated_pre=float(means.loc[(1, 0)]),
        treated_post=float(means.loc[(1, 1)]),
        comparison_pre=float(means.loc[(0, 0)]),
        comparison_post=float(means.loc[(0, 1)]),
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
    groups = pd.factorize(frame["unit"])[0]
    fit = smf.ols("y ~ treated * t", data=frame).fit(
        cov_type="cluster", cov_kwds={"groups": groups}, use_t=True
    )
    p = float(fit.pvalues["treated:t"])
    return PreTrend(
        treated_slope=float(fit.params["t"] + fit.params["treated:t"]),
        comparison_slope=float(fit.params["t"]),
        difference=float(fit.params["treated:t"]),
        p_value=p,
        parallel=not (p < ALPHA),
    )
