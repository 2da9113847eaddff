"""Quality statistics for setting specifications: tolerance intervals, capability, normality.

The functions here take a one-dimensional set of results (a list, NumPy array or
pandas Series of numbers, e.g. one attribute over development lots) and return
frozen result objects or tidy DataFrames.  Every input is validated once; a text
value, an empty cell or an infinity raises :class:`pdkit.errors.InputError` naming
its position.

Conventions (each is documented on the function that uses it):

* Normal tolerance intervals are ``mean ± k·s`` with ``s`` the sample standard
  deviation (``ddof=1``).  The two-sided exact ``k`` solves the Odeh/Owen integral
  tabulated in ISO 16269-6; one-sided ``k`` is the exact noncentral-t quantile.
* Capability uses the within-subgroup sigma for Cp/Cpk (average moving range /
  d2(2) for individual values, average subgroup range / d2(m) for subgroups of
  size m, as in Montgomery's *Introduction to Statistical Quality Control*) and the
  overall sample standard deviation for Pp/Ppk.  Run rules (:mod:`pdkit.trending`) are checked
  on the values in the given order; signals put a warning in the result next to the indices.
* Log-normal attributes (titers, impurities): ``transform="log10"`` computes the interval on
  log10 values and back-transforms it; zeros and negatives are refused.
* Nonparametric tolerance limits are order statistics chosen with the exact binomial
  confidence (Wilks 1941; Hahn & Meeker 1991); too small an n raises with the minimum n.
* Proposed limits are rounded outward to a reporting step or to significant figures, and
  clipped to physical ``bounds`` (with a note) so that no limit is physically impossible.

Examples
--------
>>> from pdkit.stats import tolerance_factor, tolerance_interval, capability
>>> round(tolerance_factor(10, coverage=0.95, confidence=0.95), 2)
3.39
>>> ti = tolerance_interval([98.1, 97.6, 98.4, 97.9, 98.8, 98.0, 97.7, 98.3], coverage=0.95)
>>> ti.lower < 98.1 < ti.upper
True
>>> round(capability([9.8, 10.1, 10.0, 9.9, 10.2, 10.0], lsl=9, usl=11).pp, 2)
2.36
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd
from scipy import integrate, optimize
from scipy import stats as sps

from pdkit._checks import number
from pdkit.errors import InputError
from pdkit.results import ResultMixin, fmt

__all__ = [
    "tolerance_factor",
    "tolerance_interval",
    "ToleranceInterval",
    "capability",
    "Capability",
    "normality",
    "Normality",
    "spec_proposal",
    "nonparametric_tolerance_interval",
    "NonparametricToleranceInterval",
    "nonparametric_min_n",
    "reporting_step",
    "round_limit",
    "format_limit",
    "D2",
    "as_values",
]

#: d2(m): expected range of m standard normal values (ASTM E2587 / Montgomery, Appendix VI).
D2: dict[int, float] = {
    2: 1.128, 3: 1.693, 4: 2.059, 5: 2.326, 6: 2.534, 7: 2.704, 8: 2.847, 9: 2.970, 10: 3.078,
    11: 3.173, 12: 3.258, 13: 3.336, 14: 3.407, 15: 3.472, 16: 3.532, 17: 3.588, 18: 3.640,
    19: 3.689, 20: 3.735, 21: 3.778, 22: 3.819, 23: 3.858, 24: 3.895, 25: 3.931,
}

_SIDES = ("two", "lower", "upper")
_METHODS = ("exact", "howe", "guenther")
_TRANSFORMS = ("none", "log10")


# ----------------------------------------------------------------------------- validation
def as_values(values: Any, name: str = "values", min_n: int = 2) -> np.ndarray:
    """Return ``values`` as a 1-D float array or raise :class:`InputError` naming the position.

    Accepts a list/tuple, NumPy array or pandas Series (a one-column DataFrame too).
    Positions in messages are 1-based; for a Series the index label is named as well.

    Examples
    --------
    >>> as_values([1, "2.5", 3]).tolist()
    [1.0, 2.5, 3.0]
    >>> try:
    ...     as_values([1.0, "abc", 3.0])
    ... except InputError as e:
    ...     print(e)
    values, position 2: expected a number, got 'abc'
    """
    labels: list[Any] | None = None
    if isinstance(values, pd.DataFrame):
        if values.shape[1] != 1:
            raise InputError(f"{name}: expected one column of numbers, got a table with {values.shape[1]} columns")
        values = values.iloc[:, 0]
    if isinstance(values, pd.Series):
        labels = list(values.index)
        raw = list(values.to_numpy(dtype=object))
    elif isinstance(values, (str, bytes)) or np.isscalar(values):
        raise InputError(f"{name}: expected a sequence of numbers, got a single value {values!r}")
    else:
        try:
            raw = list(np.asarray(values, dtype=object).ravel()) if not isinstance(values, (list, tuple)) else list(values)
        except Exception:  # pragma: no cover - exotic iterables
            raise InputError(f"{name}: expected a sequence of numbers, got {type(values).__name__}") from None
    out = np.empty(len(raw), dtype=float)
    for i, v in enumerate(raw):
        where = f"{name}, position {i + 1}"
        if labels is not None and labels[i] != i:
            where += f" (index {labels[i]!r})"
        if isinstance(v, (bool, np.bool_)):
            raise InputError(f"{where}: expected a number, got {v!r}")
        try:
            x = float(v) if not isinstance(v, str) else float(v.strip())
        except (TypeError, ValueError):
            if v is None or v is pd.NA or (isinstance(v, str) and not v.strip()):
                raise InputError(f"{where}: value is missing, expected a number") from None
            raise InputError(f"{where}: expected a number, got {str(v)!r}") from None
        if math.isnan(x):
            raise InputError(f"{where}: value is missing (NaN), expected a number")
        if math.isinf(x):
            raise InputError(f"{where}: expected a finite number, got {x}")
        out[i] = x
    if out.size < min_n:
        raise InputError(f"{name}: need at least {min_n} values, got {out.size}")
    return out


def _check_fraction(value: Any, name: str) -> float:
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise InputError(f"parameter '{name}': expected a number strictly between 0 and 1, got {value!r}") from None
    if not (0.0 < x < 1.0):
        raise InputError(f"parameter '{name}': expected a number strictly between 0 and 1, got {value!r}")
    return x


def _check_choice(value: Any, name: str, choices: Sequence[str]) -> str:
    if value not in choices:
        raise InputError(f"parameter '{name}': expected one of {', '.join(repr(c) for c in choices)}, got {value!r}")
    return str(value)


def _log10(x: np.ndarray, name: str = "values", labels: Sequence[Any] | None = None) -> np.ndarray:
    """log10 of ``x`` or :class:`InputError` naming the first value that is zero or negative."""
    bad = np.flatnonzero(x <= 0)
    if bad.size:
        i = int(bad[0])
        lot = f" (lot {labels[i]!r})" if labels is not None else ""
        raise InputError(
            f"{name}, position {i + 1}{lot}: {x[i]:g} cannot be log-transformed (transform='log10' needs every value "
            f"> 0; {bad.size} value(s) <= 0); use transform='none' or method='nonparametric'"
        )
    return np.log10(x)


def _check_bounds(bounds: Any) -> tuple[float | None, float | None] | None:
    if bounds is None:
        return None
    if isinstance(bounds, (str, bytes)) or not isinstance(bounds, (tuple, list)) or len(bounds) != 2:
        raise InputError(f"parameter 'bounds': expected (lower, upper) with None for an open end, e.g. (0, None) "
                         f"or (0, 100), got {bounds!r}")
    lo = number(bounds[0], "bounds", allow_none=True)
    hi = number(bounds[1], "bounds", allow_none=True)
    if lo is not None and hi is not None and not lo < hi:
        raise InputError(f"parameter 'bounds': expected lower < upper, got {bounds!r}")
    return (lo, hi)


def _values_within(x: np.ndarray, bounds: tuple[float | None, float | None] | None, name: str = "values") -> None:
    if bounds is None:
        return
    lo, hi = bounds
    for i, v in enumerate(x):
        if (lo is not None and v < lo) or (hi is not None and v > hi):
            raise InputError(f"{name}, position {i + 1}: {v:g} lies outside the physical bounds "
                             f"[{'-inf' if lo is None else f'{lo:g}'}, {'inf' if hi is None else f'{hi:g}'}]; "
                             "a data error (typo, wrong unit)?")


def _clip(lower: float | None, upper: float | None, bounds: tuple[float | None, float | None] | None,
          what: str) -> tuple[float | None, float | None, list[str]]:
    """Clip limits to physical bounds, with one note per clipped limit."""
    notes: list[str] = []
    if bounds is None:
        return lower, upper, notes
    blo, bhi = bounds
    if lower is not None and blo is not None and lower < blo:
        notes.append(f"{what} lower limit {lower:.4g} is below the physical bound {blo:g} and was set to {blo:g}; "
                     "a one-sided upper limit may describe this attribute better")
        lower = blo
    if upper is not None and bhi is not None and upper > bhi:
        notes.append(f"{what} upper limit {upper:.4g} is above the physical bound {bhi:g} and was set to {bhi:g}; "
                     "a one-sided lower limit may describe this attribute better")
        upper = bhi
    return lower, upper, notes


def _exact_two_sided(n: int, p: float, g: float) -> float:
    """Solve the Odeh/Owen equation for the two-sided factor k (ISO 16269-6, Annex F).

    With nu = n - 1 and Z ~ N(0, 1) (the standardised sample mean is Z/sqrt(n)),
    the confidence that xbar ± k s covers at least p of N(mu, sigma^2) is

        2 ∫_0^∞ phi(u) · P(chi2_nu > nu r(u/sqrt n)^2 / k^2) du,

    where r(z) solves Phi(z + r) - Phi(z - r) = p (so r(z)^2 is the p-quantile of
    a noncentral chi-square with 1 df and noncentrality z^2).  k is found by root
    finding on that confidence (it increases with k).
    """
    nu = n - 1

    @lru_cache(maxsize=4096)
    def radius(u: float) -> float:
        z = u / math.sqrt(n)
        return math.sqrt(sps.ncx2.ppf(p, 1, z * z)) if z > 0 else float(sps.chi2.ppf(p, 1)) ** 0.5

    def confidence(k: float) -> float:
        def integrand(u: float) -> float:
            r = radius(u)
            return 2.0 * sps.norm.pdf(u) * sps.chi2.sf(nu * r * r / (k * k), nu)

        val, _ = integrate.quad(integrand, 0.0, 12.0, epsabs=1e-12, epsrel=1e-10, limit=200)
        return val

    lo = float(sps.norm.ppf((1 + p) / 2))  # k for known parameters: lower bound of the answer
    hi = max(2.0 * lo, 1.0)
    while confidence(hi) < g:
        hi *= 2.0
        if hi > 1e6:  # pragma: no cover - unreachable for valid inputs
            raise InputError(f"tolerance factor did not converge for n={n}, coverage={p}, confidence={g}")
    return float(optimize.brentq(lambda k: confidence(k) - g, lo, hi, xtol=1e-10, rtol=1e-12))


def _howe(n: int, p: float, g: float) -> float:
    nu = n - 1
    z = sps.norm.ppf((1 + p) / 2)
    chi = sps.chi2.ppf(1 - g, nu)
    return float(z * math.sqrt(nu * (1 + 1 / n) / chi))


def _guenther(n: int, p: float, g: float) -> float:
    chi = sps.chi2.ppf(1 - g, n - 1)
    w = 1 + (n - 3 - chi) / (2 * (n + 1) ** 2)
    return float(_howe(n, p, g) * math.sqrt(w))


def _one_sided(n: int, p: float, g: float) -> float:
    return float(sps.nct.ppf(g, n - 1, sps.norm.ppf(p) * math.sqrt(n)) / math.sqrt(n))


@lru_cache(maxsize=512)
def _factor(n: int, p: float, g: float, sided: str, method: str) -> float:
    if sided != "two":
        return _one_sided(n, p, g)
    if method == "howe":
        return _howe(n, p, g)
    if method == "guenther":
        return _guenther(n, p, g)
    return _exact_two_sided(n, p, g)


def tolerance_factor(
    n: int,
    coverage: float = 0.99,
    confidence: float = 0.95,
    sided: str = "two",
    method: str = "exact",
) -> float:
    """Normal tolerance factor k so that ``mean ± k·s`` covers ``coverage`` with ``confidence``.

    Parameters
    ----------
    n : int
        Sample size (>= 2); the standard deviation has ``n - 1`` degrees of freedom.
    coverage : float
        Proportion P of the population to be covered, 0 < P < 1.
    confidence : float
        Confidence level gamma, 0 < gamma < 1.
    sided : {"two", "lower", "upper"}
        Two-sided interval, or a one-sided lower (``mean - k s``) / upper (``mean + k s``) limit.
        Both one-sided cases use the same k.
    method : {"exact", "howe", "guenther"}
        Two-sided only.  ``"exact"``: the Odeh/Owen integral (as tabulated in ISO 16269-6),
        solved numerically.  ``"howe"``: Howe (1969) approximation
        ``z_{(1+P)/2} sqrt(nu (1 + 1/n) / chi2_{1-gamma, nu})``.  ``"guenther"``: Howe's value
        times Guenther's (1977) correction ``sqrt(1 + (n - 3 - chi2_{1-gamma, nu}) / (2 (n+1)^2))``
        (the form in the NIST/SEMATECH e-Handbook 7.2.6.3).  One-sided factors are always
        exact, ``k1 = t'_gamma(n - 1, z_P sqrt n) / sqrt n`` (noncentral t), whatever ``method``.

    Returns
    -------
    float

    Examples
    --------
    >>> round(tolerance_factor(10, 0.90, 0.95), 2)   # Berthouex & Brown (2002) Table 21.1
    2.86
    >>> round(tolerance_factor(10, 0.95, 0.95, sided="upper"), 3)
    2.911
    >>> round(tolerance_factor(43, 0.90, 0.99, method="howe"), 4)   # NIST e-Handbook 7.2.6.3
    2.2173
    """
    if isinstance(n, (bool, np.bool_)) or not isinstance(n, (int, np.integer)) and not (
        isinstance(n, (float, np.floating)) and float(n).is_integer()
    ):
        raise InputError(f"parameter 'n': expected a whole number >= 2, got {n!r}")
    n_int = int(n)
    if n_int < 2:
        raise InputError(f"parameter 'n': expected a whole number >= 2, got {n!r}")
    p = _check_fraction(coverage, "coverage")
    g = _check_fraction(confidence, "confidence")
    sided = _check_choice(sided, "sided", _SIDES)
    method = _check_choice(method, "method", _METHODS)
    return _factor(n_int, p, g, sided, method)


# ----------------------------------------------------------------------------- tolerance interval
def _interval_words(sided: str, coverage: float, confidence: float) -> str:
    what = "tolerance interval" if sided == "two" else "tolerance limit"
    side = "" if sided == "two" else f"{sided} "
    return f"{side}{fmt(100 * coverage)} % / {fmt(100 * confidence)} % {what}"


def _interval_limits(lower: float | None, upper: float | None) -> str:
    if lower is not None and upper is not None:
        return f"{fmt(lower)} to {fmt(upper)}"
    return fmt(lower if lower is not None else upper)


@dataclass(frozen=True)
class ToleranceInterval(ResultMixin):
    """A normal tolerance interval ``mean ± k·sd`` (``None`` for the open side of a one-sided one)."""

    lower: float | None
    upper: float | None
    k: float
    n: int
    mean: float
    sd: float
    coverage: float
    confidence: float
    sided: str
    method: str
    transform: str = "none"
    bounds: tuple[float | None, float | None] | None = None
    notes: tuple[str, ...] = ()

    def summary(self) -> str:
        """One line: the interval, its coverage and confidence, n and k.

        Examples
        --------
        >>> tolerance_interval([1.80, 1.82, 1.81, 1.83, 1.79, 1.82], coverage=0.95, sided="lower").summary()
        'lower 95 % / 95 % tolerance limit 1.757 (n = 6, k = 3.708)'
        """
        return f"{_interval_words(self.sided, self.coverage, self.confidence)} {_interval_limits(self.lower, self.upper)} " \
               f"(n = {self.n}, k = {fmt(self.k)})"


def tolerance_interval(
    values: Any,
    coverage: float = 0.99,
    confidence: float = 0.95,
    sided: str = "two",
    method: str = "exact",
    transform: str = "none",
    bounds: tuple[float | None, float | None] | None = None,
) -> ToleranceInterval:
    """Normal (or log-normal) tolerance interval for ``values``.

    Parameters
    ----------
    values : sequence of numbers or pandas Series
        At least 2 results; text, missing or infinite values raise :class:`InputError`.
    coverage, confidence, sided, method
        As in :func:`tolerance_factor`.
    transform : {"none", "log10"}
        ``"log10"`` for log-normal attributes (titers, impurities, endotoxin): the normal interval
        ``m ± k s`` is computed on the log10 values and back-transformed, ``10**(m ± k s)``
        (Krishnamoorthy & Mathew 2009, *Statistical Tolerance Regions*, the log-normal case).
        A zero or negative value raises :class:`InputError` naming its position.  ``mean`` and
        ``sd`` are then those of the log10 values (``10**mean`` is the geometric mean).
    bounds : (lower, upper), optional
        Physical bounds of the attribute, ``None`` for an open end, e.g. ``(0, None)`` for a
        yield or ``(0, 100)`` for a percentage.  A value outside raises; a limit beyond a bound is
        clipped to it and the result's ``notes`` say so.

    Returns
    -------
    ToleranceInterval
        ``lower``, ``upper`` (``None`` on the open side), ``k``, ``n``, ``mean``, ``sd``,
        ``transform``, ``bounds``, ``notes``.

    Examples
    --------
    >>> ti = tolerance_interval([1.80, 1.82, 1.81, 1.83, 1.79, 1.82], coverage=0.95, sided="lower")
    >>> ti.upper is None, round(ti.lower, 3)
    (True, 1.757)
    >>> lg = tolerance_interval([1e12, 2e12, 4e12, 2e12], coverage=0.9, transform="log10")
    >>> f"{lg.lower:.2e}", round(10 ** lg.mean / 1e12, 3)
    ('9.59e+10', 2.0)
    """
    x = as_values(values, "values", min_n=2)
    transform = _check_choice(transform, "transform", _TRANSFORMS)
    bnd = _check_bounds(bounds)
    _values_within(x, bnd)
    k = tolerance_factor(x.size, coverage, confidence, sided, method)
    y = _log10(x) if transform == "log10" else x
    mean = float(np.mean(y))
    sd = float(np.std(y, ddof=1))
    lower = mean - k * sd if sided in ("two", "lower") else None
    upper = mean + k * sd if sided in ("two", "upper") else None
    if transform == "log10":
        lower = None if lower is None else float(10.0**lower)
        upper = None if upper is None else float(10.0**upper)
    lower, upper, notes = _clip(lower, upper, bnd, "tolerance interval")
    return ToleranceInterval(lower, upper, k, int(x.size), mean, sd, float(coverage), float(confidence), sided, method,
                             transform, bnd, tuple(notes))


# ----------------------------------------------------------------------------- nonparametric
@dataclass(frozen=True)
class NonparametricToleranceInterval(ResultMixin):
    """Distribution-free tolerance interval from order statistics (``None`` on an open side).

    ``lower_rank``/``upper_rank`` are the 1-based ranks of the order statistics used (1 = the
    smallest value, n = the largest); ``achieved_confidence`` is the exact confidence they give
    (>= the requested one); ``min_n`` is the smallest sample for which the extreme values give it.
    """

    lower: float | None
    upper: float | None
    n: int
    coverage: float
    confidence: float
    sided: str
    lower_rank: int | None
    upper_rank: int | None
    achieved_confidence: float
    min_n: int
    bounds: tuple[float | None, float | None] | None = None
    notes: tuple[str, ...] = ()

    def summary(self) -> str:
        """One line: the distribution-free interval, its coverage and achieved confidence, n."""
        return f"distribution-free {_interval_words(self.sided, self.coverage, self.confidence)} " \
               f"{_interval_limits(self.lower, self.upper)} (n = {self.n}, achieved confidence " \
               f"{fmt(100 * self.achieved_confidence)} %)"


def _np_confidence(n: int, r: int, p: float, sided: str) -> float:
    """Confidence that order statistics with ``r`` values cut from each open end cover p.

    One-sided, X_(r) as lower limit: P(1 - U_(r) >= p) = P(Binomial(n, 1 - p) >= r).
    Two-sided symmetric, X_(r) .. X_(n+1-r): coverage ~ Beta(n + 1 - 2r, 2r), so
    P(coverage >= p) = P(Binomial(n, p) <= n - 2r)  (Hahn & Meeker 1991, section 5.3).
    """
    if sided == "two":
        return float(sps.binom.cdf(n - 2 * r, n, p)) if n - 2 * r >= 0 else 0.0
    return float(sps.binom.sf(r - 1, n, 1 - p))


def nonparametric_min_n(coverage: float = 0.99, confidence: float = 0.95, sided: str = "two") -> int:
    """Smallest n whose extreme order statistics (min and/or max) give a distribution-free tolerance
    interval covering ``coverage`` with ``confidence``.

    One-sided: the smallest n with ``1 - coverage**n >= confidence``; two-sided (min and max): the
    smallest n with ``1 - n coverage**(n-1) + (n-1) coverage**n >= confidence`` (Wilks 1941;
    NIST/SEMATECH e-Handbook 7.2.6.4; Hahn & Meeker 1991, Tables A.17/A.18).

    Examples
    --------
    >>> nonparametric_min_n(0.95, 0.95, "upper"), nonparametric_min_n(0.95, 0.95, "two")
    (59, 93)
    """
    p = _check_fraction(coverage, "coverage")
    g = _check_fraction(confidence, "confidence")
    sided = _check_choice(sided, "sided", _SIDES)
    if sided != "two":
        n = max(1, math.ceil(math.log(1 - g) / math.log(p)))
        while _np_confidence(n, 1, p, sided) < g:  # guard against rounding in the logarithms
            n += 1
        while n > 1 and _np_confidence(n - 1, 1, p, sided) >= g:
            n -= 1
        return n
    # NIST 7.2.6.4 approximation N ~ chi2_{g,4} (1 + p) / (4 (1 - p)) + 1/2, then the exact search
    n = max(2, int(sps.chi2.ppf(g, 4) * (1 + p) / (4 * (1 - p)) + 0.5) - 5)
    while _np_confidence(n, 1, p, "two") < g:
        n += 1
    while n > 2 and _np_confidence(n - 1, 1, p, "two") >= g:
        n -= 1
    return n


def nonparametric_tolerance_interval(
    values: Any,
    coverage: float = 0.99,
    confidence: float = 0.95,
    sided: str = "two",
    bounds: tuple[float | None, float | None] | None = None,
) -> NonparametricToleranceInterval:
    """Distribution-free tolerance interval from order statistics (no normality assumed).

    The limits are the order statistics X_(r) (lower) and X_(n+1-r) (upper) with the largest
    ``r`` whose exact binomial confidence (:func:`scipy.stats.binom`) is at least ``confidence``;
    two-sided intervals cut ``r`` values from each end (symmetric, Wilks 1941).  With ``r = 1``
    the limits are the sample minimum and/or maximum.

    Parameters
    ----------
    values : sequence of numbers or pandas Series
    coverage, confidence : float
        As in :func:`tolerance_interval`.
    sided : {"two", "lower", "upper"}
    bounds : (lower, upper), optional
        Physical bounds; a value outside raises :class:`InputError`.

    Returns
    -------
    NonparametricToleranceInterval

    Raises
    ------
    InputError
        When ``n`` is below :func:`nonparametric_min_n`; the message states the minimum n.

    Examples
    --------
    >>> ti = nonparametric_tolerance_interval(list(range(1, 60)), 0.95, 0.95, sided="upper")
    >>> ti.upper, ti.upper_rank, round(ti.achieved_confidence, 4)
    (59.0, 59, 0.9515)
    """
    p = _check_fraction(coverage, "coverage")
    g = _check_fraction(confidence, "confidence")
    sided = _check_choice(sided, "sided", _SIDES)
    bnd = _check_bounds(bounds)
    x = as_values(values, "values", min_n=2)
    _values_within(x, bnd)
    n = int(x.size)
    need = nonparametric_min_n(p, g, sided)
    if n < need:
        ends = "the smallest and largest values" if sided == "two" else (
            "the smallest value" if sided == "lower" else "the largest value")
        raise InputError(
            f"values: n = {n} is too few for a nonparametric {sided}-sided tolerance interval covering {p:g} with "
            f"confidence {g:g}; at least {need} values are needed (limit = {ends}); use a normal or log10 "
            "tolerance interval, or lower coverage/confidence"
        )
    r = 1
    while _np_confidence(n, r + 1, p, sided) >= g:
        r += 1
    xs = np.sort(x)
    lower = float(xs[r - 1]) if sided in ("two", "lower") else None
    upper = float(xs[n - r]) if sided in ("two", "upper") else None
    return NonparametricToleranceInterval(
        lower, upper, n, p, g, sided,
        r if lower is not None else None, n + 1 - r if upper is not None else None,
        _np_confidence(n, r, p, sided), need, bnd, (),
    )


# ----------------------------------------------------------------------------- capability
@dataclass(frozen=True)
class Capability(ResultMixin):
    """Process capability indices; ``None`` where a limit needed for an index is missing.

    ``cp, cpk, cpl, cpu`` use ``sigma_within``; ``pp, ppk, ppl, ppu`` use ``sigma_overall``.
    Confidence intervals are ``(low, high)`` tuples at ``confidence``.  ``stable`` (True, False,
    or None when not checked), ``n_signals`` and ``warning`` come from the run rules;
    :meth:`summary` never states Cpk/Ppk without the warning.
    """

    cp: float | None
    cpk: float | None
    cpl: float | None
    cpu: float | None
    pp: float | None
    ppk: float | None
    ppl: float | None
    ppu: float | None
    cpm: float | None
    cp_ci: tuple[float, float] | None
    pp_ci: tuple[float, float] | None
    cpk_ci: tuple[float, float] | None
    ppk_ci: tuple[float, float] | None
    sigma_within: float
    sigma_overall: float
    sigma_within_method: str
    n: int
    mean: float
    lsl: float | None
    usl: float | None
    target: float | None
    subgroup_size: int
    confidence: float
    ppm_expected_overall: float
    ppm_observed: float
    stable: bool | None = None
    n_signals: int | None = None
    warning: str = ""
    notes: tuple[str, ...] = ()

    def summary(self) -> str:
        """One line: Cpk and Ppk, followed by the stability warning when run rules fired.

        Examples
        --------
        >>> c = capability([10.0, 10.2, 9.9, 10.1, 10.0, 10.3, 9.8, 10.1], lsl=9, usl=11)
        >>> c.summary()
        'Cpk 1.32, Ppk 1.97 (n = 8); no run-rule signals (nelson)'
        """
        def f(v: float | None) -> str:
            return "n/a" if v is None else f"{v:.2f}"

        text = f"Cpk {f(self.cpk)}, Ppk {f(self.ppk)} (n = {self.n})"
        if self.warning:
            return f"{text}; WARNING: {self.warning}"
        return text + (f"; {self.notes[0]}" if self.notes else "")

    def table(self) -> pd.DataFrame:
        """Tidy table: one row per index with its estimate and confidence limits."""
        rows = []
        cis = {"cp": self.cp_ci, "pp": self.pp_ci, "cpk": self.cpk_ci, "ppk": self.ppk_ci}
        for name in ("cp", "cpk", "cpl", "cpu", "pp", "ppk", "ppl", "ppu", "cpm"):
            est = getattr(self, name)
            ci = cis.get(name)
            rows.append(
                {
                    "index": name.capitalize() if name not in ("cpm",) else "Cpm",
                    "estimate": est,
                    "ci_low": ci[0] if ci else None,
                    "ci_high": ci[1] if ci else None,
                    "sigma": "within" if name.startswith("c") and name != "cpm" else "overall",
                }
            )
        df = pd.DataFrame(rows)
        for c in ("estimate", "ci_low", "ci_high"):
            df[c] = pd.array(df[c].tolist(), dtype="Float64")
        df.attrs["warning"] = self.warning
        return df

    _frame_from = 'table'  # to_frame() is this table


def _bissell(index: float | None, n: int, z: float) -> tuple[float, float] | None:
    if index is None:
        return None
    half = z * math.sqrt(1.0 / (9.0 * n) + index**2 / (2.0 * (n - 1)))
    return (index - half, index + half)


def _chi2_ci(index: float | None, n: int, conf: float) -> tuple[float, float] | None:
    if index is None:
        return None
    nu = n - 1
    a = (1 - conf) / 2
    return (
        index * math.sqrt(sps.chi2.ppf(a, nu) / nu),
        index * math.sqrt(sps.chi2.ppf(1 - a, nu) / nu),
    )


def capability(
    values: Any,
    lsl: float | None = None,
    usl: float | None = None,
    target: float | None = None,
    subgroup_size: int = 1,
    confidence: float = 0.95,
    rules: str | None = "nelson",
) -> Capability:
    """Process capability (Cp, Cpk, Pp, Ppk, Cpm) with confidence intervals.

    Parameters
    ----------
    values : sequence of numbers or pandas Series
        Results in production (time) order; with ``subgroup_size`` m > 1, consecutive
        groups of m values are the rational subgroups.
    lsl, usl : float, optional
        Specification limits; at least one is required.
    target : float, optional
        Target for Cpm; defaults to the mid-point of the limits when both are given.
    subgroup_size : int
        1 (individual values): ``sigma_within = mean moving range / d2(2)`` with d2(2) = 1.128.
        m in 2..25: ``sigma_within = mean subgroup range / d2(m)`` (Montgomery, *Introduction to
        Statistical Quality Control*, the R-bar/d2 estimate used in the capability chapter).
    confidence : float
        Level of the confidence intervals: chi-square interval for Cp and Pp (with n - 1 df),
        Bissell's (1990) normal approximation ``C ± z sqrt(1/(9n) + C^2/(2(n-1)))`` for Cpk and Ppk.
    rules : {"nelson", "western_electric"} or None
        Run rules applied to the values in the given (time) order with
        :func:`pdkit.trending.imr_chart` (individual values only).  Capability indices predict
        nothing for a process that is not stable, so when any rule fires the result has
        ``stable=False``, ``n_signals`` and a ``warning`` (also in :meth:`Capability.summary`
        and ``table().attrs["warning"]``).  ``None`` skips the check (``stable=None``).

    Returns
    -------
    Capability
        ``Cp = (USL - LSL)/(6 sigma_within)``, ``Cpu = (USL - mean)/(3 sigma_within)``,
        ``Cpl = (mean - LSL)/(3 sigma_within)``, ``Cpk = min(Cpl, Cpu)`` (the one available with a
        single limit); the P indices likewise with ``sigma_overall`` (sample SD, ddof=1);
        ``Cpm = (USL - LSL) / (6 sqrt(sigma_overall^2 + (mean - target)^2))`` (both limits needed).
        ``ppm_expected_overall`` is the normal-model fraction outside the limits (x 1e6, overall
        sigma) and ``ppm_observed`` the observed fraction.

    Examples
    --------
    >>> c = capability([49.2, 50.6, 50.1, 49.5, 50.9, 50.3, 49.8, 50.0], lsl=45, usl=55)
    >>> round(c.pp, 2), c.cpk is not None
    (2.99, True)
    """
    x = as_values(values, "values", min_n=2)
    lo = number(lsl, "lsl", allow_none=True)
    hi = number(usl, "usl", allow_none=True)
    tgt = number(target, "target", allow_none=True)
    conf = _check_fraction(confidence, "confidence")
    if lo is None and hi is None:
        raise InputError("capability: give at least one specification limit ('lsl' and/or 'usl')")
    if lo is not None and hi is not None and not lo < hi:
        raise InputError(f"parameters 'lsl' and 'usl': expected lsl < usl, got lsl={lo:g}, usl={hi:g}")
    if isinstance(subgroup_size, (bool, np.bool_)) or not isinstance(subgroup_size, (int, np.integer)):
        raise InputError(f"parameter 'subgroup_size': expected a whole number 1..25, got {subgroup_size!r}")
    m = int(subgroup_size)
    if m < 1 or m > 25:
        raise InputError(f"parameter 'subgroup_size': expected a whole number 1..25, got {subgroup_size!r}")
    n = int(x.size)
    if m == 1:
        mr = np.abs(np.diff(x))
        sigma_w = float(mr.mean() / D2[2])
        how = "average moving range / d2(2) = MRbar / 1.128"
    else:
        if n % m != 0:
            raise InputError(
                f"values: {n} values cannot be split into subgroups of {m} (expected a multiple of {m})"
            )
        if n // m < 2:
            raise InputError(f"values: need at least 2 subgroups of {m}, got {n // m}")
        groups = x.reshape(-1, m)
        sigma_w = float((groups.max(axis=1) - groups.min(axis=1)).mean() / D2[m])
        how = f"average subgroup range / d2({m}) = Rbar / {D2[m]}"
    sigma_o = float(np.std(x, ddof=1))
    if sigma_o == 0 or sigma_w == 0:
        raise InputError("values: all values are identical (or the within-subgroup variation is zero); "
                         "capability indices are undefined")
    mean = float(np.mean(x))
    if tgt is None and lo is not None and hi is not None:
        tgt = (lo + hi) / 2

    def indices(s: float) -> tuple[float | None, float | None, float | None, float | None]:
        cp = (hi - lo) / (6 * s) if lo is not None and hi is not None else None
        cl = (mean - lo) / (3 * s) if lo is not None else None
        cu = (hi - mean) / (3 * s) if hi is not None else None
        ck = min(v for v in (cl, cu) if v is not None)
        return cp, ck, cl, cu

    cp, cpk, cpl, cpu = indices(sigma_w)
    pp, ppk, ppl, ppu = indices(sigma_o)
    cpm = None
    if lo is not None and hi is not None:
        cpm = (hi - lo) / (6 * math.sqrt(sigma_o**2 + (mean - tgt) ** 2))
    z = float(sps.norm.ppf(1 - (1 - conf) / 2))
    below = sps.norm.cdf((lo - mean) / sigma_o) if lo is not None else 0.0
    above = sps.norm.sf((hi - mean) / sigma_o) if hi is not None else 0.0
    out = np.zeros(n, dtype=bool)
    if lo is not None:
        out |= x < lo
    if hi is not None:
        out |= x > hi
    stable, n_sig, warning, notes = _stability(x, rules, m)
    return Capability(
        cp=cp, cpk=cpk, cpl=cpl, cpu=cpu, pp=pp, ppk=ppk, ppl=ppl, ppu=ppu, cpm=cpm,
        cp_ci=_chi2_ci(cp, n, conf), pp_ci=_chi2_ci(pp, n, conf),
        cpk_ci=_bissell(cpk, n, z), ppk_ci=_bissell(ppk, n, z),
        sigma_within=sigma_w, sigma_overall=sigma_o, sigma_within_method=how,
        n=n, mean=mean, lsl=lo, usl=hi, target=tgt, subgroup_size=m, confidence=conf,
        ppm_expected_overall=float((below + above) * 1e6), ppm_observed=float(out.mean() * 1e6),
        stable=stable, n_signals=n_sig, warning=warning, notes=notes,
    )


def _stability(x: np.ndarray, rules: str | None, subgroup_size: int = 1,
               labels: Sequence[Any] | None = None) -> tuple[bool | None, int | None, str, tuple[str, ...]]:
    """Run rules on ordered values: (stable, number of signals, warning, notes)."""
    if rules is None:
        return None, None, "", ("run rules not checked (rules=None): stability unknown",)
    if rules not in ("nelson", "western_electric"):
        raise InputError(f"parameter 'rules': expected 'nelson', 'western_electric' or None, got {rules!r}")
    if subgroup_size != 1:
        return None, None, "", ("run rules not checked for subgroups (individual values only): stability unknown",)
    if x.size < 3:
        return None, None, "", ("too few values (< 3) for run rules: stability unknown",)
    from pdkit.quality.trending import imr_chart  # trending imports this module: import here

    try:
        chart = imr_chart(x, labels=labels, rules=rules)
    except InputError:
        return None, None, "", ("run rules could not be evaluated (no moving range): stability unknown",)
    n_sig = int(len(chart.signals))
    if n_sig == 0:
        return True, 0, "", (f"no run-rule signals ({rules})",)
    where = sorted({str(v) for v in chart.signals["label"]}, key=lambda t: (len(t), t))
    shown = ", ".join(where[:8]) + (f" and {len(where) - 8} more" if len(where) > 8 else "")
    warning = (f"process not stable: {n_sig} run-rule signal(s) ({rules} rules) at point(s) {shown}; "
               "Cpk/Ppk assume a stable process and do not predict future lots")
    return False, n_sig, warning, (warning,)


# ----------------------------------------------------------------------------- normality
@dataclass(frozen=True)
class Normality(ResultMixin):
    """Normality tests: Shapiro-Wilk and Anderson-Darling (mean and variance estimated)."""

    shapiro_w: float
    shapiro_p: float
    anderson_a2: float
    anderson_p: float
    n: int
    alpha: float
    normal: bool
    note: str

    def summary(self) -> str:
        """One line: consistent with normality or not, and both p-values."""
        verdict = "consistent with a normal distribution" if self.normal else "not consistent with a normal distribution"
        return f"{verdict} at alpha {fmt(self.alpha)} (Shapiro-Wilk p = {fmt(self.shapiro_p, 3)}, " \
               f"Anderson-Darling p = {fmt(self.anderson_p, 3)}; n = {self.n})"


def normality(values: Any, alpha: float = 0.05) -> Normality:
    """Test whether ``values`` are consistent with a normal distribution.

    Shapiro-Wilk uses :func:`scipy.stats.shapiro` (Royston's algorithm, n >= 3).  Anderson-Darling
    uses :func:`statsmodels.stats.diagnostic.normal_ad`: ``anderson_a2`` is the A^2 statistic with
    the mean and SD estimated from the data, and ``anderson_p`` the p-value from the
    D'Agostino & Stephens (1986) formulas for the modified statistic A^2 (1 + 0.75/n + 2.25/n^2).
    ``normal`` is True when both p-values are >= ``alpha``.

    Examples
    --------
    >>> r = normality([148, 154, 158, 160, 161, 162, 166, 170, 182, 195, 236])  # Shapiro & Wilk 1965
    >>> round(r.shapiro_w, 2), r.normal
    (0.79, False)
    """
    from statsmodels.stats.diagnostic import normal_ad

    x = as_values(values, "values", min_n=3)
    a = _check_fraction(alpha, "alpha")
    if np.ptp(x) == 0:
        raise InputError("values: all values are identical; normality cannot be tested")
    sw = sps.shapiro(x)
    a2, ap = normal_ad(x)
    normal = bool(sw.pvalue >= a and ap >= a)
    if normal:
        note = (
            f"No evidence against normality at alpha = {a:g} (Shapiro-Wilk p = {sw.pvalue:.3g}, "
            f"Anderson-Darling p = {ap:.3g}); normal-theory tolerance intervals and capability apply."
        )
        if x.size < 15:
            note += " With fewer than 15 values the tests have little power: judge the plot as well."
    else:
        note = (
            f"Normality is rejected at alpha = {a:g} (Shapiro-Wilk p = {sw.pvalue:.3g}, "
            f"Anderson-Darling p = {ap:.3g}). Look for outliers or a trend first (I-MR chart); for "
            "right-skewed positive data (titers, endotoxin, impurities) analyse log10 values and "
            "back-transform the limits; otherwise use nonparametric (order-statistic) tolerance "
            "limits, which need larger n (59 values for a one-sided 95 %/95 % limit)."
        )
        distinct = np.unique(x).size
        if distinct <= max(3, x.size // 3):
            note += (
                f" Only {distinct} distinct values among {x.size}: heavy rounding (ties) alone can make "
                "these tests reject; if the histogram looks symmetric the normal model may still serve."
            )
    return Normality(float(sw.statistic), float(sw.pvalue), float(a2), float(ap), int(x.size), a, normal, note)


# ----------------------------------------------------------------------------- spec proposal
def _round_outward(value: float, precision: float, direction: str) -> float:
    d = Decimal(str(value)) / Decimal(str(precision))
    q = d.to_integral_value(rounding=ROUND_FLOOR if direction == "down" else ROUND_CEILING)
    return float(q * Decimal(str(precision)))


def _data_step(x: np.ndarray) -> float:
    """Finest decimal step used by the values (0.1 for 93.4, 0.01 for 1.81), at most 1e-6."""
    places = 0
    for v in x:
        for d in range(0, 7):
            if abs(round(float(v), d) - float(v)) <= 1e-9 * max(1.0, abs(float(v))):
                places = max(places, d)
                break
        else:
            places = 6
    return float(Decimal(1).scaleb(-places))


def _sig_step(value: float, sig_figs: int) -> float:
    """Step of the last of ``sig_figs`` significant figures of ``value`` (a power of ten)."""
    if value == 0:
        return float(Decimal(1).scaleb(-(sig_figs - 1)))
    e = math.floor(math.log10(abs(value)))
    return float(Decimal(1).scaleb(e - sig_figs + 1))


def _check_sig_figs(sig_figs: Any) -> int:
    if isinstance(sig_figs, (bool, np.bool_)) or not isinstance(sig_figs, (int, np.integer)) or not 1 <= sig_figs <= 15:
        raise InputError(f"parameter 'sig_figs': expected a whole number 1..15, got {sig_figs!r}")
    return int(sig_figs)


def reporting_step(values: Any, sig_figs: int | None = None) -> float:
    """Reporting step (precision) for limits on ``values``.

    With ``sig_figs``: the step of the last of ``sig_figs`` significant figures at the magnitude of
    the largest |value| (``2.08e12`` with 2 figures -> ``1e11``).  Without: the finest decimal step
    the values use (0.1 for 93.4, 0.01 for 1.81) -- unless the values carry more than 4
    significant figures at their magnitude (titers stored as 2081883753714, computed results), in
    which case 3 significant figures are used, because no assay resolves more.

    Examples
    --------
    >>> reporting_step([93.4, 92.1]), reporting_step([1.81, 1.8])
    (0.1, 0.01)
    >>> reporting_step([2.35e12, 1.9e12], sig_figs=2), reporting_step([2081883753714.0, 1.9e12])
    (100000000000.0, 10000000000.0)
    """
    x = as_values(values, "values", min_n=1)
    top = float(np.max(np.abs(x)))
    if sig_figs is not None:
        return _sig_step(top, _check_sig_figs(sig_figs))
    step = _data_step(x)
    if top > 0 and step < _sig_step(top, 4):
        return _sig_step(top, 3)
    return step


def round_limit(value: float, step: float | None = None, sig_figs: int | None = None,
                direction: str = "nearest") -> float:
    """Round a limit to a multiple of ``step`` or to ``sig_figs`` significant figures of itself.

    ``direction`` ``"down"`` (a lower limit, rounded outward), ``"up"`` (an upper limit) or
    ``"nearest"`` (half away from zero).  Decimal arithmetic: no binary artefacts.

    Examples
    --------
    >>> round_limit(2081883753714.0, sig_figs=2, direction="down")
    2000000000000.0
    >>> round_limit(2181883753714.0, sig_figs=2, direction="down"), round_limit(89.87, step=0.1, direction="up")
    (2100000000000.0, 89.9)
    """
    v = number(value, "value")
    if (step is None) == (sig_figs is None):
        raise InputError("round_limit: give exactly one of 'step' and 'sig_figs'")
    if step is not None:
        st = number(step, "step", positive=True)
    else:
        st = _sig_step(v, _check_sig_figs(sig_figs))
    direction = _check_choice(direction, "direction", ("nearest", "down", "up"))
    if direction == "nearest":
        from decimal import ROUND_HALF_UP

        d = (Decimal(str(v)) / Decimal(str(st))).to_integral_value(rounding=ROUND_HALF_UP)
        return float(d * Decimal(str(st)))
    return _round_outward(v, st, direction)


def format_limit(value: float | None, step: float) -> str:
    """Text of a limit at its reporting step: fixed notation for ordinary numbers
    (``89.9``), scientific for large or tiny ones (``2.1E+12``); ``""`` for None.

    Examples
    --------
    >>> format_limit(2.1e12, 1e11), format_limit(89.9, 0.1), format_limit(3.0, 1.0), format_limit(None, 1)
    ('2.1E+12', '89.9', '3', '')
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    v = float(value)
    st = float(step)
    e_step = math.floor(math.log10(st) + 1e-12)
    if v != 0 and (abs(v) >= 1e5 or abs(v) < 1e-3):
        e_val = math.floor(math.log10(abs(v)))
        digits = max(0, e_val - e_step)
        return f"{v:.{digits}E}"
    return f"{v:.{max(0, -e_step)}f}"


_PROPOSAL_METHODS = (*_METHODS, "nonparametric")


def spec_proposal(
    values: Any,
    lsl: float | None = None,
    usl: float | None = None,
    coverage: float = 0.99,
    confidence: float = 0.95,
    sided: str = "two",
    lots: Sequence[Any] | None = None,
    method: str = "exact",
    precision: float | None = None,
    *,
    transform: str = "none",
    sig_figs: int | None = None,
    bounds: tuple[float | None, float | None] | None = None,
    rules: str | None = "nelson",
) -> pd.DataFrame:
    """Propose specification limits from development data with a tolerance interval.

    Parameters
    ----------
    values : sequence of numbers or pandas Series
        One attribute, one result per lot, in production (time) order.
    lsl, usl : float, optional
        Current (or regulatory) limits to compare with; omit if there are none.
    coverage, confidence, sided
        Tolerance interval settings, see :func:`tolerance_interval`.
    lots : sequence, optional
        Lot identifiers, same length as ``values`` (default: the Series index, else 1..n).
    method : {"exact", "howe", "guenther", "nonparametric"}
        Tolerance factor method (see :func:`tolerance_factor`), or ``"nonparametric"`` for
        order-statistic limits (:func:`nonparametric_tolerance_interval`; needs e.g. 59 lots for a
        one-sided 95 %/95 % limit and raises, stating the minimum n, below it).
    precision : float, optional
        Reporting step of the limits (e.g. 0.1, 1, 0.01).  The proposed limits are the tolerance
        limits rounded *outward* (lower limit down, upper limit up) to a multiple of it.
    transform : {"none", "log10"}
        ``"log10"`` for log-normal attributes (titers, impurities): the interval is computed on
        log10 values and back-transformed (zeros/negatives raise); Cpk/Ppk are then computed on
        the log10 scale too (a limit <= 0 is no limit there).
    sig_figs : int, optional
        Round each proposed limit outward to this many significant figures of itself
        (``2.08e12`` -> ``2.0E+12`` with 2).  Default when neither ``precision`` nor
        ``sig_figs`` is given: the data's own decimal step (:func:`reporting_step`) -- unless the
        data carry more than 4 significant figures, then 2 figures with ``transform="log10"`` and
        3 without.
    bounds : (lower, upper), optional
        Physical bounds (``(0, None)`` for a yield or titer, ``(0, 100)`` for a percentage).
        Limits beyond a bound are clipped to it with a note (``attrs["notes"]``).
    rules : {"nelson", "western_electric"} or None
        Run rules checked on ``values`` in the given order; signals put a warning in
        ``attrs["capability_warning"]`` and ``attrs["notes"]``: the cpk/ppk columns describe no
        stable process then.

    Returns
    -------
    pandas.DataFrame
        One row per limit set (``basis`` = ``"tolerance interval"``, ``"proposed"`` and, if given,
        ``"current"``) with columns ``basis, lower, upper, k, coverage, confidence, cpk, ppk,
        n_outside, lots_outside, lower_text, upper_text``.  ``lower``/``upper`` are ``<NA>`` where a
        set has no limit on that side; ``lower_text``/``upper_text`` are the limits as reported
        (``2.1E+12``).  ``cpk``/``ppk`` are the indices the limits imply for ``values`` (within sigma
        by moving range; overall SD); ``lots_outside`` lists the lots outside the limits.
        ``attrs``: ``precision`` (step of the proposed limits; the lower one's when they differ),
        ``rounding`` (text), ``sided``, ``method``, ``transform``, ``notes`` (tuple of strings),
        ``capability_warning`` ("" when stable), ``stable`` (bool or None).

    Examples
    --------
    >>> df = spec_proposal([92.1, 93.4, 91.8, 92.7, 93.0, 92.2, 91.5, 92.9, 93.3, 92.4],
    ...                    lsl=90, coverage=0.99, sided="lower", precision=0.5)
    >>> df["basis"].tolist()
    ['tolerance interval', 'proposed', 'current']
    >>> titers = [2.4e12, 3.1e12, 2.9e12, 3.6e12, 2.7e12, 3.3e12, 2.6e12, 3.0e12]
    >>> df = spec_proposal(titers, sided="lower", coverage=0.95, transform="log10", sig_figs=2)
    >>> df.set_index("basis").loc["proposed", "lower_text"]
    '1.9E+12'
    """
    x = as_values(values, "values", min_n=3)
    lo_cur = number(lsl, "lsl", allow_none=True)
    hi_cur = number(usl, "usl", allow_none=True)
    if lo_cur is not None and hi_cur is not None and not lo_cur < hi_cur:
        raise InputError(f"parameters 'lsl' and 'usl': expected lsl < usl, got lsl={lo_cur:g}, usl={hi_cur:g}")
    method = _check_choice(method, "method", _PROPOSAL_METHODS)
    transform = _check_choice(transform, "transform", _TRANSFORMS)
    sided = _check_choice(sided, "sided", _SIDES)
    bnd = _check_bounds(bounds)
    if lots is None:
        lot_ids = list(values.index) if isinstance(values, pd.Series) else list(range(1, x.size + 1))
    else:
        if isinstance(lots, (str, bytes)):
            raise InputError("parameter 'lots': expected a sequence of lot identifiers, got a string")
        lot_ids = list(lots)
        if len(lot_ids) != x.size:
            raise InputError(f"parameter 'lots': expected {x.size} lot identifiers (one per value), got {len(lot_ids)}")
    if precision is not None:
        step = number(precision, "precision", allow_none=True)
        if step is None or step <= 0:
            raise InputError(f"parameter 'precision': expected a number > 0, got {precision!r}")
    if sig_figs is not None:
        _check_sig_figs(sig_figs)
    if transform == "log10":
        _log10(x, "values", lot_ids if lots is not None or isinstance(values, pd.Series) else None)
    notes: list[str] = []
    if method == "nonparametric":
        npti = nonparametric_tolerance_interval(x, coverage, confidence, sided, bnd)
        ti_lo, ti_hi, k = npti.lower, npti.upper, None
        notes.append(f"nonparametric limits: order statistics of rank {npti.lower_rank or '-'} / "
                     f"{npti.upper_rank or '-'} of n = {npti.n} (achieved confidence "
                     f"{npti.achieved_confidence:.4f}); transform does not change them")
    else:
        ti = tolerance_interval(x, coverage, confidence, sided, method, transform, bnd)
        ti_lo, ti_hi, k = ti.lower, ti.upper, ti.k
        notes.extend(ti.notes)
        if transform == "log10":
            notes.append(f"log-normal model: limits are 10**(mean ± k·sd) of log10 values (geometric mean "
                         f"{10 ** ti.mean:.3g}, sd {ti.sd:.3g} log10)")

    # reporting precision of the proposed limits
    if precision is not None:
        steps = {"down": step, "up": step}
        rounding = f"step {step:g}"
    else:
        auto = sig_figs
        if auto is None:
            data_step = _data_step(x)
            top = float(np.max(np.abs(x)))
            if top > 0 and data_step < _sig_step(top, 4):
                auto = 2 if transform == "log10" else 3
            else:
                steps = {"down": data_step, "up": data_step}
                rounding = f"step {data_step:g} (the data's reporting step)"
        if auto is not None:
            steps = {"down": _sig_step(ti_lo, auto) if ti_lo else _sig_step(float(np.max(np.abs(x))), auto),
                     "up": _sig_step(ti_hi, auto) if ti_hi else _sig_step(float(np.max(np.abs(x))), auto)}
            rounding = f"{auto} significant figures"
    prop_lo = _round_outward(ti_lo, steps["down"], "down") if ti_lo is not None else None
    prop_hi = _round_outward(ti_hi, steps["up"], "up") if ti_hi is not None else None
    prop_lo, prop_hi, clip_notes = _clip(prop_lo, prop_hi, bnd, "proposed")
    notes.extend(clip_notes)

    stable, _, cap_warning, stab_notes = _stability(x, rules, 1, lot_ids)
    if cap_warning:
        notes.append(cap_warning)
    elif stab_notes and stable is None:
        notes.extend(stab_notes)
    sets = [("tolerance interval", ti_lo, ti_hi), ("proposed", prop_lo, prop_hi)]
    if lo_cur is not None or hi_cur is not None:
        sets.append(("current", lo_cur, hi_cur))
    rows = []
    y = np.log10(x) if transform == "log10" else x
    for basis, lo, hi in sets:
        cpk = ppk = None
        if transform == "log10":
            clo = math.log10(lo) if lo is not None and lo > 0 else None
            chi = math.log10(hi) if hi is not None and hi > 0 else None
        else:
            clo, chi = lo, hi
        if (clo is not None or chi is not None) and (clo is None or chi is None or clo < chi):
            try:
                cap = capability(y, lsl=clo, usl=chi, rules=None)
                cpk, ppk = cap.cpk, cap.ppk
            except InputError:
                cpk = ppk = None
        outside = np.zeros(x.size, dtype=bool)
        if lo is not None:
            outside |= x < lo
        if hi is not None:
            outside |= x > hi
        st_lo = steps["down"] if basis == "proposed" else _display_step(lo)
        st_hi = steps["up"] if basis == "proposed" else _display_step(hi)
        rows.append(
            {
                "basis": basis,
                "lower": lo,
                "upper": hi,
                "k": k if basis != "current" else None,
                "coverage": float(coverage) if basis != "current" else None,
                "confidence": float(confidence) if basis != "current" else None,
                "cpk": cpk,
                "ppk": ppk,
                "n_outside": int(outside.sum()),
                "lots_outside": ", ".join(str(lot_ids[i]) for i in np.flatnonzero(outside)),
                "lower_text": format_limit(lo, st_lo),
                "upper_text": format_limit(hi, st_hi),
            }
        )
    df = pd.DataFrame(rows)
    for c in ("lower", "upper", "k", "coverage", "confidence", "cpk", "ppk"):
        df[c] = pd.array(df[c].tolist(), dtype="Float64")
    df.attrs["precision"] = steps["down"] if prop_lo is not None else steps["up"]
    df.attrs["rounding"] = rounding
    df.attrs["sided"] = sided
    df.attrs["method"] = method
    df.attrs["transform"] = transform
    df.attrs["notes"] = tuple(notes)
    df.attrs["capability_warning"] = cap_warning
    df.attrs["stable"] = stable
    return df


def _display_step(value: float | None) -> float:
    """A step showing ``value`` to 4 significant figures (for unrounded limits)."""
    if value is None or value == 0:
        return 1.0
    return _sig_step(value, 4)
