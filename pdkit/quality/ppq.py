"""Process performance qualification (PPQ) sampling plans.

A PPQ acceptance criterion of the common form "the ``100(1-alpha)%`` prediction (or
tolerance, or confidence) interval ``mean +- k s`` of the ``n`` results of a batch lies
within the specification" passes with a probability that depends on the true process
mean ``mu`` and standard deviation ``sigma``.  With ``xbar ~ N(mu, sigma^2/n)`` and
``(n-1) s^2 / sigma^2 ~ chi2(n-1)`` independent,

* two-sided: ``P = E_s[ Phi((U - k s - mu) sqrt(n)/sigma) - Phi((L + k s - mu) sqrt(n)/sigma) ]^+``,
  integrated numerically over the chi-square distribution of ``s^2`` (scipy ``quad``);
* one-sided lower limit only: ``P(xbar - k s >= L)`` = noncentral t survival function
  ``P(T'(n-1, (mu - L) sqrt(n)/sigma) >= k sqrt(n))`` (and symmetrically for an upper limit);
* ``n_batches`` batches that must all pass: ``P ** n_batches``.

This is the approach of Burdick et al. (2017) *Statistical Applications for Chemistry,
Manufacturing and Controls (CMC) in the Pharmaceutical Industry*, Springer, ch. 6, and of
the R package PPQplan (Zhu, Yu et al., CRAN 1.1.0); the prediction-interval multiplier for
one future result is ``k = t_{1-alpha/2, n-1} sqrt(1 + 1/n)`` (Hahn & Meeker 1991,
*Statistical Intervals*, section 4.7; Meeker, Hahn & Escobar 2017, section 4.6).

Examples
--------
>>> from pdkit.ppq import ppq_multiplier, ppq_pass_probability
>>> round(ppq_multiplier(10), 3)
2.373
>>> round(ppq_pass_probability(mu=98, sigma=1, n=10, lower=95, upper=105, k=2.373), 4)
0.8604
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
import pandas as pd
from scipy import integrate, stats

from pdkit._checks import number
from pdkit.errors import InputError
from pdkit.results import ResultMixin, fmt

__all__ = [
    "INTERVALS",
    "ppq_multiplier",
    "PPQLimits",
    "ppq_limits",
    "spec_pass_probability",
    "ppq_pass_probability",
    "ppq_grid",
]

INTERVALS = ("prediction", "tolerance", "confidence")
_SIDED = ("two", "lower", "upper")


def _n(n: Any, name: str = "n") -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 2:
        raise InputError(f"parameter '{name}': expected an integer >= 2, got {n!r}")
    return int(n)


def _limits(lower: Any, upper: Any) -> tuple[float | None, float | None]:
    lo = number(lower, "lower", allow_none=True)
    hi = number(upper, "upper", allow_none=True)
    if lo is None and hi is None:
        raise InputError("parameters 'lower' and 'upper': no specification limit given; set lower, upper or both")
    if lo is not None and hi is not None and not lo < hi:
        raise InputError(f"parameters 'lower' and 'upper': expected lower < upper, got {lo:g} and {hi:g}")
    return lo, hi


def ppq_multiplier(n: int, interval: str = "prediction", alpha: float = 0.05, sided: str = "two",
                   coverage: float = 0.99) -> float:
    """Multiplier ``k`` of the acceptance interval ``mean +- k s`` for ``n`` results.

    Parameters
    ----------
    n : int
        Results per batch (>= 2).
    interval : {"prediction", "tolerance", "confidence"}
        ``"prediction"``: one future result, ``t_{1-a, n-1} sqrt(1 + 1/n)``;
        ``"confidence"``: the mean, ``t_{1-a, n-1} / sqrt(n)``;
        ``"tolerance"``: :func:`pdkit.stats.tolerance_factor` with ``coverage`` and confidence
        ``1 - alpha`` (exact).  ``a = alpha/2`` two-sided, ``alpha`` one-sided.
    alpha : float
        1 - confidence, in (0, 0.5).
    sided : {"two", "lower", "upper"}
    coverage : float
        Tolerance intervals only: proportion covered.

    Returns
    -------
    float

    Examples
    --------
    >>> round(ppq_multiplier(10, "confidence"), 4)
    0.7154
    """
    n = _n(n)
    if interval not in INTERVALS:
        raise InputError(f"parameter 'interval': expected one of {', '.join(INTERVALS)}, got {interval!r}")
    if sided not in _SIDED:
        raise InputError(f"parameter 'sided': expected one of {', '.join(_SIDED)}, got {sided!r}")
    a = number(alpha, "alpha")
    if not 0 < a < 0.5:
        raise InputError(f"parameter 'alpha': expected a value in (0, 0.5), got {alpha!r}")
    if interval == "tolerance":
        from pdkit.quality.stats import tolerance_factor
        return float(tolerance_factor(n, coverage=coverage, confidence=1 - a, sided=sided))
    t = float(stats.t.isf(a / 2 if sided == "two" else a, n - 1))
    return t * math.sqrt(1 + 1 / n) if interval == "prediction" else t / math.sqrt(n)


@dataclass(frozen=True)
class PPQLimits(ResultMixin):
    """Result of :func:`ppq_limits`: ``n``, ``mean``, ``sd``, ``k``, the interval
    ``lower``/``upper`` (None for the open side), the specification ``spec_lower``/``spec_upper``
    and ``passes`` (the interval lies within the specification), ``interval``, ``sided``, ``alpha``."""

    n: int
    mean: float
    sd: float
    k: float
    lower: float | None
    upper: float | None
    spec_lower: float | None
    spec_upper: float | None
    passes: bool
    interval: str
    sided: str
    alpha: float

    def summary(self) -> str:
        """One line: the interval, the specification and whether it passes."""
        lo = "" if self.lower is None else fmt(self.lower)
        hi = "" if self.upper is None else fmt(self.upper)
        slo = "" if self.spec_lower is None else fmt(self.spec_lower)
        shi = "" if self.spec_upper is None else fmt(self.spec_upper)
        verdict = "within" if self.passes else "not within"
        return f"{self.interval} interval [{lo}, {hi}] (n = {self.n}, k = {fmt(self.k)}) {verdict} " \
               f"the specification [{slo}, {shi}]"


def ppq_limits(values: Any, lower: float | None = None, upper: float | None = None,
               interval: str = "prediction", alpha: float = 0.05, coverage: float = 0.99,
               k: float | None = None) -> PPQLimits:
    """The acceptance interval ``mean +- k s`` of one batch's PPQ results against the specification.

    The interval is two-sided when both limits are given, one-sided otherwise.

    Parameters
    ----------
    values : array-like
        The batch's results (>= 2, finite).
    lower, upper : float, optional
        Specification limits (at least one).
    interval, alpha, coverage
        As for :func:`ppq_multiplier`.
    k : float, optional
        A multiplier to use instead (e.g. from a protocol).

    Examples
    --------
    >>> r = ppq_limits([99.1, 100.4, 98.7, 100.9, 99.5, 100.2, 99.8, 100.6, 99.0, 100.1], 95, 105)
    >>> round(r.lower, 2), round(r.upper, 2), r.passes
    (98.08, 101.58, True)
    """
    lo, hi = _limits(lower, upper)
    x = np.asarray(pd.to_numeric(pd.Series(list(np.atleast_1d(values))), errors="coerce"), dtype=float)
    bad = ~np.isfinite(x)
    if bad.any():
        raise InputError(f"parameter 'values', item {int(np.flatnonzero(bad)[0]) + 1}: expected a finite number")
    n = _n(len(x), "values (number of results)")
    sided = "two" if lo is not None and hi is not None else ("lower" if lo is not None else "upper")
    if k is None:
        kk = ppq_multiplier(n, interval, alpha, sided, coverage)
    else:
        kk = number(k, "k", nonnegative=True)
    m, s = float(x.mean()), float(x.std(ddof=1))
    il = m - kk * s if lo is not None else None
    iu = m + kk * s if hi is not None else None
    ok = (il is None or il >= lo) and (iu is None or iu <= hi)
    return PPQLimits(n=n, mean=m, sd=s, k=kk, lower=il, upper=iu, spec_lower=lo, spec_upper=hi, passes=bool(ok),
                     interval=interval if k is None else "given k", sided=sided, alpha=float(alpha))


def spec_pass_probability(mu: float, sigma: float, lower: float | None = None, upper: float | None = None) -> float:
    """Probability that one result from ``N(mu, sigma^2)`` lies within the specification.

    PPQplan's ``rl_pp``: ``Phi((U - mu)/sigma) - Phi((L - mu)/sigma)``.

    Examples
    --------
    >>> round(spec_pass_probability(98, 1, 95, 105), 7)
    0.9986501
    """
    lo, hi = _limits(lower, upper)
    m = number(mu, "mu")
    s = number(sigma, "sigma", positive=True)
    p_hi = 1.0 if hi is None else float(stats.norm.cdf((hi - m) / s))
    p_lo = 0.0 if lo is None else float(stats.norm.cdf((lo - m) / s))
    return max(0.0, p_hi - p_lo)


def _pass_one(m: float, s: float, n: int, lo: float | None, hi: float | None, k: float) -> float:
    se = s / math.sqrt(n)
    df = n - 1
    if lo is None or hi is None:
        # one-sided: noncentral t
        if lo is not None:
            nc = (m - lo) / se
        else:
            nc = (hi - m) / se
        if k == 0:
            return float(stats.norm.cdf(nc))
        return float(stats.nct.sf(k * math.sqrt(n), df, nc))
    if k == 0:
        return float(stats.norm.cdf((hi - m) / se) - stats.norm.cdf((lo - m) / se))
    # two-sided: integrate over V = (n-1) s^2 / sigma^2 ~ chi2(n-1) up to where the interval is wider than the spec
    v_max = df * ((hi - lo) / (2 * k * s)) ** 2

    def f(v: float) -> float:
        sd = s * math.sqrt(v / df)
        p = stats.norm.cdf((hi - k * sd - m) / se) - stats.norm.cdf((lo + k * sd - m) / se)
        return max(p, 0.0) * stats.chi2.pdf(v, df)

    mode = max(df - 2.0, 0.0)
    pts = [p for p in (mode, df) if 0 < p < v_max]
    val, _ = integrate.quad(f, 0.0, v_max, points=pts or None, limit=200, epsabs=1e-12, epsrel=1e-10)
    return float(min(1.0, max(0.0, val)))


def ppq_pass_probability(mu: float, sigma: float, n: int, lower: float | None = None, upper: float | None = None,
                         k: float | None = None, n_batches: int = 1, interval: str = "prediction",
                         alpha: float = 0.05, coverage: float = 0.99) -> float:
    """Probability that ``n_batches`` batches of ``n`` results all pass the PPQ criterion.

    A batch passes when ``mean - k s >= lower`` and ``mean + k s <= upper`` (only the
    given sides).  Exact under normality (see the module docstring); PPQplan's
    ``PPQ_pp``/``pi_pp``.

    Parameters
    ----------
    mu, sigma : float
        Assumed true process mean and standard deviation (> 0).
    n : int
        Results per batch (>= 2).
    lower, upper : float, optional
        Specification limits (at least one).
    k : float, optional
        Multiplier; default from :func:`ppq_multiplier` with ``interval``, ``alpha``,
        ``coverage`` and the sides of the specification.
    n_batches : int
        Batches that must all pass (independent).

    Returns
    -------
    float

    Examples
    --------
    >>> round(ppq_pass_probability(100, 1, 10, 95, 105, n_batches=3), 4)
    0.9997
    """
    lo, hi = _limits(lower, upper)
    m = number(mu, "mu")
    s = number(sigma, "sigma", positive=True)
    n = _n(n)
    if isinstance(n_batches, bool) or not isinstance(n_batches, (int, np.integer)) or n_batches < 1:
        raise InputError(f"parameter 'n_batches': expected an integer >= 1, got {n_batches!r}")
    sided = "two" if lo is not None and hi is not None else ("lower" if lo is not None else "upper")
    kk = ppq_multiplier(n, interval, alpha, sided, coverage) if k is None else number(k, "k", nonnegative=True)
    return _pass_one(m, s, n, lo, hi, kk) ** int(n_batches)


def ppq_grid(mu: Sequence[float], sigma: Sequence[float], n: int | Sequence[int], lower: float | None = None,
             upper: float | None = None, k: float | None = None, n_batches: int = 1, interval: str = "prediction",
             alpha: float = 0.05, coverage: float = 0.99) -> pd.DataFrame:
    """Pass probability over a grid of means, standard deviations and sample sizes (OC curves, heat maps).

    Returns
    -------
    DataFrame
        Tidy: ``mu, sigma, n, k, probability`` (one row per combination, ``mu`` slowest).
        ``attrs`` hold ``lower``, ``upper``, ``n_batches``, ``interval``, ``alpha``.

    Examples
    --------
    >>> g = ppq_grid([97, 100], [0.5, 1.0], 10, 95, 105)
    >>> g.shape, g.columns.tolist()
    ((4, 5), ['mu', 'sigma', 'n', 'k', 'probability'])
    """
    lo, hi = _limits(lower, upper)
    mus = [number(v, "mu") for v in np.atleast_1d(mu)]
    sigmas = [number(v, "sigma", positive=True) for v in np.atleast_1d(sigma)]
    ns = [_n(int(v) if isinstance(v, (np.integer,)) else v) for v in np.atleast_1d(n).tolist()]
    if not mus or not sigmas:
        raise InputError("parameters 'mu' and 'sigma': expected at least one value each")
    sided = "two" if lo is not None and hi is not None else ("lower" if lo is not None else "upper")
    rows = []
    for nn in ns:
        kk = ppq_multiplier(nn, interval, alpha, sided, coverage) if k is None else number(k, "k", nonnegative=True)
        for m in mus:
            for s in sigmas:
                rows.append({"mu": m, "sigma": s, "n": nn, "k": kk,
                             "probability": _pass_one(m, s, nn, lo, hi, kk) ** int(n_batches)})
    out = pd.DataFrame(rows).sort_values(["n", "mu", "sigma"], kind="stable").reset_index(drop=True)
    out.attrs.update(lower=lo, upper=hi, n_batches=int(n_batches), interval=interval if k is None else "given k",
                     alpha=float(alpha))
    return out
