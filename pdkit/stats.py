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
  overall sample standard deviation for Pp/Ppk.

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

from ._checks import number
from .errors import InputError

__all__ = [
    "tolerance_factor",
    "tolerance_interval",
    "ToleranceInterval",
    "capability",
    "Capability",
    "normality",
    "Normality",
    "spec_proposal",
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
@dataclass(frozen=True)
class ToleranceInterval:
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

    def as_dict(self) -> dict[str, Any]:
        """The result as a plain dict (for tables and :func:`pdkit.record.record`)."""
        return dict(self.__dict__)


def tolerance_interval(
    values: Any,
    coverage: float = 0.99,
    confidence: float = 0.95,
    sided: str = "two",
    method: str = "exact",
) -> ToleranceInterval:
    """Normal tolerance interval for ``values``.

    Parameters
    ----------
    values : sequence of numbers or pandas Series
        At least 2 results; text, missing or infinite values raise :class:`InputError`.
    coverage, confidence, sided, method
        As in :func:`tolerance_factor`.

    Returns
    -------
    ToleranceInterval
        ``lower``, ``upper`` (``None`` on the open side), ``k``, ``n``, ``mean``, ``sd``.

    Examples
    --------
    >>> ti = tolerance_interval([1.80, 1.82, 1.81, 1.83, 1.79, 1.82], coverage=0.95, sided="lower")
    >>> ti.upper is None, round(ti.lower, 3)
    (True, 1.757)
    """
    x = as_values(values, "values", min_n=2)
    k = tolerance_factor(x.size, coverage, confidence, sided, method)
    mean = float(np.mean(x))
    sd = float(np.std(x, ddof=1))
    lower = mean - k * sd if sided in ("two", "lower") else None
    upper = mean + k * sd if sided in ("two", "upper") else None
    return ToleranceInterval(lower, upper, k, int(x.size), mean, sd, float(coverage), float(confidence), sided, method)


# ----------------------------------------------------------------------------- capability
@dataclass(frozen=True)
class Capability:
    """Process capability indices; ``None`` where a limit needed for an index is missing.

    ``cp, cpk, cpl, cpu`` use ``sigma_within``; ``pp, ppk, ppl, ppu`` use ``sigma_overall``.
    Confidence intervals are ``(low, high)`` tuples at ``confidence``.
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

    def as_dict(self) -> dict[str, Any]:
        """The result as a plain dict (for tables and :func:`pdkit.record.record`)."""
        return dict(self.__dict__)

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
        return df


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
    return Capability(
        cp=cp, cpk=cpk, cpl=cpl, cpu=cpu, pp=pp, ppk=ppk, ppl=ppl, ppu=ppu, cpm=cpm,
        cp_ci=_chi2_ci(cp, n, conf), pp_ci=_chi2_ci(pp, n, conf),
        cpk_ci=_bissell(cpk, n, z), ppk_ci=_bissell(ppk, n, z),
        sigma_within=sigma_w, sigma_overall=sigma_o, sigma_within_method=how,
        n=n, mean=mean, lsl=lo, usl=hi, target=tgt, subgroup_size=m, confidence=conf,
        ppm_expected_overall=float((below + above) * 1e6), ppm_observed=float(out.mean() * 1e6),
    )


# ----------------------------------------------------------------------------- normality
@dataclass(frozen=True)
class Normality:
    """Normality tests: Shapiro-Wilk and Anderson-Darling (mean and variance estimated)."""

    shapiro_w: float
    shapiro_p: float
    anderson_a2: float
    anderson_p: float
    n: int
    alpha: float
    normal: bool
    note: str

    def as_dict(self) -> dict[str, Any]:
        """The result as a plain dict."""
        return dict(self.__dict__)


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
) -> pd.DataFrame:
    """Propose specification limits from development data with a normal tolerance interval.

    Parameters
    ----------
    values : sequence of numbers or pandas Series
        One attribute, one result per lot.
    lsl, usl : float, optional
        Current (or regulatory) limits to compare with; omit if there are none.
    coverage, confidence, sided, method
        Tolerance interval settings, see :func:`tolerance_interval`.
    lots : sequence, optional
        Lot identifiers, same length as ``values`` (default: the Series index, else 1..n).
    precision : float, optional
        Reporting step of the limits (e.g. 0.1, 1, 0.01).  The proposed limits are the tolerance
        limits rounded *outward* (lower limit down, upper limit up) to a multiple of it.
        Default: the reporting precision of the data themselves (the finest decimal place
        used by any value, e.g. 0.1 for results like 93.4).

    Returns
    -------
    pandas.DataFrame
        One row per limit set (``basis`` = ``"tolerance interval"``, ``"proposed"`` and, if given,
        ``"current"``) with columns ``basis, lower, upper, k, coverage, confidence, cpk, ppk,
        n_outside, lots_outside``.  ``lower``/``upper`` are ``<NA>`` where a set has no limit on
        that side.  ``cpk``/``ppk`` are the indices the limits imply for ``values`` (within sigma
        by moving range; overall SD); ``lots_outside`` lists the lots outside the limits.

    Examples
    --------
    >>> df = spec_proposal([92.1, 93.4, 91.8, 92.7, 93.0, 92.2, 91.5, 92.9, 93.3, 92.4],
    ...                    lsl=90, coverage=0.99, sided="lower", precision=0.5)
    >>> df["basis"].tolist()
    ['tolerance interval', 'proposed', 'current']
    """
    x = as_values(values, "values", min_n=3)
    lo_cur = number(lsl, "lsl", allow_none=True)
    hi_cur = number(usl, "usl", allow_none=True)
    if lo_cur is not None and hi_cur is not None and not lo_cur < hi_cur:
        raise InputError(f"parameters 'lsl' and 'usl': expected lsl < usl, got lsl={lo_cur:g}, usl={hi_cur:g}")
    if lots is None:
        lot_ids = list(values.index) if isinstance(values, pd.Series) else list(range(1, x.size + 1))
    else:
        if isinstance(lots, (str, bytes)):
            raise InputError("parameter 'lots': expected a sequence of lot identifiers, got a string")
        lot_ids = list(lots)
        if len(lot_ids) != x.size:
            raise InputError(f"parameter 'lots': expected {x.size} lot identifiers (one per value), got {len(lot_ids)}")
    ti = tolerance_interval(x, coverage, confidence, sided, method)
    if precision is None:
        step = _data_step(x)
    else:
        step = number(precision, "precision", allow_none=True)
        if step is None or step <= 0:
            raise InputError(f"parameter 'precision': expected a number > 0, got {precision!r}")
    prop_lo = _round_outward(ti.lower, step, "down") if ti.lower is not None else None
    prop_hi = _round_outward(ti.upper, step, "up") if ti.upper is not None else None

    sets = [("tolerance interval", ti.lower, ti.upper), ("proposed", prop_lo, prop_hi)]
    if lo_cur is not None or hi_cur is not None:
        sets.append(("current", lo_cur, hi_cur))
    rows = []
    for basis, lo, hi in sets:
        if lo is not None or hi is not None:
            cap = capability(x, lsl=lo, usl=hi)
            cpk, ppk = cap.cpk, cap.ppk
        else:  # pragma: no cover - a set always has one limit
            cpk = ppk = None
        outside = np.zeros(x.size, dtype=bool)
        if lo is not None:
            outside |= x < lo
        if hi is not None:
            outside |= x > hi
        rows.append(
            {
                "basis": basis,
                "lower": lo,
                "upper": hi,
                "k": ti.k if basis != "current" else None,
                "coverage": ti.coverage if basis != "current" else None,
                "confidence": ti.confidence if basis != "current" else None,
                "cpk": cpk,
                "ppk": ppk,
                "n_outside": int(outside.sum()),
                "lots_outside": ", ".join(str(lot_ids[i]) for i in np.flatnonzero(outside)),
            }
        )
    df = pd.DataFrame(rows)
    for c in ("lower", "upper", "k", "coverage", "confidence", "cpk", "ppk"):
        df[c] = pd.array(df[c].tolist(), dtype="Float64")
    df.attrs["precision"] = step
    df.attrs["sided"] = sided
    df.attrs["method"] = method
    return df
