"""Outlier tests and an out-of-trend (OOT) check for QC results.

* :func:`grubbs` - Grubbs' test for one outlier in a normal sample (NIST/SEMATECH
  e-Handbook 1.3.5.17.1); not for n <= 6.
* :func:`generalized_esd` - Rosner's (1983) generalized extreme studentized deviate
  test for up to ``max_outliers`` outliers (e-Handbook 1.3.5.17.3); its critical
  values are accurate for n >= 15 (Rosner 1983), so smaller samples are refused.
* :func:`dixon` - Dixon's Q test (the r10 ratio, gap over range) for 3 to 10 results,
  with the critical values of Rorabacher (1991), Anal Chem 63:139-146, Table II.
* :func:`oot_check` - a new lot (or new stability results) against the prediction
  interval from historical lots: by time (regression-control-chart method of the
  PhRMA CMC Statistics and Stability Expert Teams 2003, Pharm Technol 27(4):38-52)
  or, without time, against mean +- t s sqrt(1 + 1/n).

All tests assume the results are otherwise a sample from one normal distribution.

.. warning:: :data:`OUTLIER_CAVEAT` - an outlier test never justifies discarding a GMP
   result on its own.  FDA, *Investigating Out-of-Specification (OOS) Test Results
   for Pharmaceutical Production* (2006), section IV.E, and USP <1010>: a result may be
   invalidated only for a documented, assignable laboratory cause; an outlier test is
   informative (it may prompt an investigation, and for variable biological assays may
   support one), never a reason by itself.

Examples
--------
>>> from pdkit.outliers import grubbs
>>> r = grubbs([199.31, 199.53, 200.19, 200.82, 201.92, 201.95, 202.18, 245.57], alternative="max")
>>> round(r.statistic, 4), round(r.critical_value, 3), r.outlier
(2.4688, 2.032, True)
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats

from pdkit._checks import number
from pdkit.io.tables import numeric_column, require_columns, source_name
from pdkit.errors import InputError
from pdkit.results import ResultMixin, fmt

__all__ = [
    "OUTLIER_CAVEAT",
    "DIXON_R10_CRITICAL",
    "grubbs",
    "GrubbsResult",
    "generalized_esd",
    "ESDResult",
    "dixon",
    "DixonResult",
    "oot_check",
]

OUTLIER_CAVEAT = (
    "An outlier test never justifies discarding a GMP result: a result is invalidated only for a "
    "documented, assignable laboratory cause (FDA OOS guidance 2006, section IV.E; USP <1010>). "
    "Report every result; the test only flags what to investigate."
)

#: Rorabacher (1991) Table II, r10 = gap / range for n = 3..10, two-sided confidence
#: 90 %, 95 % and 99 % (keys: two-sided alpha).
DIXON_R10_CRITICAL: dict[float, tuple[float, ...]] = {
    0.10: (0.941, 0.765, 0.642, 0.560, 0.507, 0.468, 0.437, 0.412),
    0.05: (0.970, 0.829, 0.710, 0.625, 0.568, 0.526, 0.493, 0.466),
    0.01: (0.994, 0.926, 0.821, 0.740, 0.680, 0.634, 0.598, 0.568),
}

_ALTERNATIVES = ("two-sided", "max", "min")


def _values(values: Any, name: str = "values") -> pd.Series:
    """Finite numbers as a float Series keeping the caller's index (error names the position)."""
    if isinstance(values, pd.DataFrame):
        raise InputError(f"parameter '{name}': expected one column of results (a Series or list), got a DataFrame")
    s = values.copy() if isinstance(values, pd.Series) else pd.Series(list(np.atleast_1d(values)) if not
                                                                        isinstance(values, (list, tuple)) else values)
    num = pd.to_numeric(s, errors="coerce").astype(float)
    bad = ~np.isfinite(num.to_numpy())
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError(f"parameter '{name}', item {i + 1} (index {s.index[i]!r}): expected a finite number, "
                         f"got {s.iloc[i]!r}")
    return num


def _alternative(alternative: str) -> str:
    if alternative not in _ALTERNATIVES:
        raise InputError(f"parameter 'alternative': expected one of {', '.join(_ALTERNATIVES)}, got {alternative!r}")
    return alternative


def _alpha(alpha: Any) -> float:
    a = number(alpha, "alpha")
    if not 0 < a < 0.5:
        raise InputError(f"parameter 'alpha': expected a value in (0, 0.5), got {alpha!r}")
    return a


# --------------------------------------------------------------------------- Grubbs
def _single_outlier_summary(test: str, symbol: str, r: Any) -> str:
    verdict = (f"{fmt(r.value)} (at {r.suspect}) is an outlier" if r.outlier
               else f"no outlier (most extreme {fmt(r.value)} at {r.suspect})")
    p = f", p = {fmt(r.p_value, 3)}" if getattr(r, "p_value", None) is not None else ""
    return f"{test} ({r.alternative}, alpha {fmt(r.alpha)}): {symbol} = {fmt(r.statistic)}, critical " \
           f"{fmt(r.critical_value)}{p}, n = {r.n}: {verdict}"


@dataclass(frozen=True)
class GrubbsResult(ResultMixin):
    """Result of :func:`grubbs`.

    ``statistic`` G, ``critical_value``, ``p_value`` (Bonferroni upper bound from the t
    distribution, as in NIST's Dataplot and R's ``outliers::grubbs.test``), ``outlier``
    (G > critical), the ``suspect`` index label and ``value``, ``n``, ``mean``, ``sd``,
    ``alpha``, ``alternative`` and the ``caveat``.
    """

    statistic: float
    critical_value: float
    p_value: float
    outlier: bool
    suspect: Any
    value: float
    n: int
    mean: float
    sd: float
    alpha: float
    alternative: str
    caveat: str = OUTLIER_CAVEAT

    def summary(self) -> str:
        """One line: the statistic against its critical value and the verdict."""
        return _single_outlier_summary("Grubbs", "G", self)


def _grubbs_critical(n: int, alpha: float, two_sided: bool) -> float:
    a = alpha / (2 * n) if two_sided else alpha / n
    t = stats.t.isf(a, n - 2)
    return (n - 1) / math.sqrt(n) * math.sqrt(t * t / (n - 2 + t * t))


def grubbs(values: Any, alpha: float = 0.05, alternative: str = "two-sided") -> GrubbsResult:
    """Grubbs' test for a single outlier (NIST/SEMATECH e-Handbook 1.3.5.17.1).

    ``G = max |x_i - mean| / s`` (two-sided), ``(max - mean)/s`` (``"max"``) or
    ``(mean - min)/s`` (``"min"``); H0 (no outlier) is rejected when
    ``G > (n-1)/sqrt(n) sqrt(t^2 / (n - 2 + t^2))`` with ``t`` the upper
    ``alpha/(2n)`` (two-sided) or ``alpha/n`` (one-sided) quantile of t with n - 2 df.

    Parameters
    ----------
    values : array-like or Series
        At least 7 results (NIST: the test should not be used for n <= 6).
    alpha : float
        Significance level, in (0, 0.5).
    alternative : {"two-sided", "max", "min"}

    Returns
    -------
    GrubbsResult

    Examples
    --------
    >>> r = grubbs([9.8, 10.1, 10.0, 9.9, 10.2, 10.0, 12.5])
    >>> round(r.statistic, 3), r.outlier, r.suspect
    (2.247, True, 6)
    """
    x = _values(values)
    a = _alpha(alpha)
    alt = _alternative(alternative)
    n = len(x)
    if n < 7:
        raise InputError(f"parameter 'values': Grubbs' test needs at least 7 results (NIST e-Handbook 1.3.5.17.1: "
                         f"not for n <= 6), got {n}; use dixon() for 3 to 10 results")
    m, s = float(x.mean()), float(x.std(ddof=1))
    if not s > 0:
        raise InputError("parameter 'values': all results are equal (standard deviation 0); no outlier test applies")
    dev = {"two-sided": (x - m).abs(), "max": x - m, "min": m - x}[alt]
    pos = int(np.argmax(dev.to_numpy()))
    g = float(dev.iloc[pos]) / s
    crit = _grubbs_critical(n, a, alt == "two-sided")
    # p value: invert G to t and apply the Bonferroni factor (n, or 2n two-sided)
    denom = (n - 1) ** 2 - n * g * g
    if denom <= 0:
        p = 0.0
    else:
        t = math.sqrt(n * (n - 2) * g * g / denom) if g > 0 else 0.0
        p = min(1.0, (2 * n if alt == "two-sided" else n) * float(stats.t.sf(t, n - 2)))
    return GrubbsResult(statistic=g, critical_value=crit, p_value=p, outlier=bool(g > crit), suspect=x.index[pos],
                        value=float(x.iloc[pos]), n=n, mean=m, sd=s, alpha=a, alternative=alt)


# --------------------------------------------------------------------------- generalized ESD
@dataclass(frozen=True)
class ESDResult(ResultMixin):
    """Result of :func:`generalized_esd`.

    ``table``: one row per step ``i`` with ``mean``, ``sd``, ``index`` (label of the
    most extreme value removed at this step), ``value``, ``R`` and ``critical``
    (lambda_i); ``n_outliers`` is the largest ``i`` with ``R > critical``;
    ``outliers``: the index labels of those ``n_outliers`` values.
    """

    n_outliers: int
    outliers: tuple
    table: pd.DataFrame = field(repr=False)
    n: int = 0
    alpha: float = 0.05
    caveat: str = OUTLIER_CAVEAT

    _frame_from = 'table'  # to_frame() is this table

    def summary(self) -> str:
        """One line: how many outliers (and which) among n."""
        which = f": {', '.join(str(o) for o in self.outliers)}" if self.outliers else ""
        return f"generalized ESD (alpha {fmt(self.alpha)}): {self.n_outliers} outlier(s) among {self.n}{which}"


def generalized_esd(values: Any, max_outliers: int, alpha: float = 0.05) -> ESDResult:
    """Rosner's generalized ESD test for up to ``max_outliers`` outliers.

    At step ``i = 1..r`` the value farthest from the mean of the remaining results gives
    ``R_i = max |x - mean| / s``; ``lambda_i = (n-i) t / sqrt((n-i-1+t^2)(n-i+1))`` with
    ``t`` the ``1 - alpha/(2(n-i+1))`` quantile of t with ``n-i-1`` df.  The number of
    outliers is the largest ``i`` with ``R_i > lambda_i`` (NIST/SEMATECH e-Handbook
    1.3.5.17.3; Rosner 1983, Technometrics 25:165-172).

    Parameters
    ----------
    values : array-like or Series
        At least 15 results (the critical values are reasonably accurate from n = 15,
        very accurate from n = 25; Rosner 1983).
    max_outliers : int
        Upper bound ``r`` on the number of outliers, 1 <= r <= (n - 1) // 2.
    alpha : float

    Returns
    -------
    ESDResult

    Examples
    --------
    >>> import numpy as np
    >>> x = list(np.linspace(-1.5, 1.5, 18)) + [6.0, -5.5]
    >>> generalized_esd(x, 3).n_outliers
    2
    """
    x = _values(values)
    a = _alpha(alpha)
    n = len(x)
    if n < 15:
        raise InputError(f"parameter 'values': the generalized ESD test needs at least 15 results (Rosner 1983), "
                         f"got {n}; use grubbs() for one outlier or dixon() for 3 to 10 results")
    if isinstance(max_outliers, bool) or not isinstance(max_outliers, (int, np.integer)) \
            or not 1 <= max_outliers <= (n - 1) // 2:
        raise InputError(f"parameter 'max_outliers': expected an integer from 1 to {(n - 1) // 2}, "
                         f"got {max_outliers!r}")
    rest = x.copy()
    rows = []
    for i in range(1, int(max_outliers) + 1):
        m, s = float(rest.mean()), float(rest.std(ddof=1))
        if not s > 0:
            raise InputError(f"parameter 'values': after removing {i - 1} value(s) the rest are all equal; "
                             f"lower max_outliers")
        dev = (rest - m).abs().to_numpy()
        pos = int(np.argmax(dev))
        p = 1 - a / (2 * (n - i + 1))
        t = float(stats.t.ppf(p, n - i - 1))
        lam = (n - i) * t / math.sqrt((n - i - 1 + t * t) * (n - i + 1))
        rows.append({"i": i, "mean": m, "sd": s, "index": rest.index[pos], "value": float(rest.iloc[pos]),
                     "R": dev[pos] / s, "critical": lam})
        rest = rest.drop(index=rest.index[pos]) if rest.index.is_unique else rest.iloc[np.arange(len(rest)) != pos]
    table = pd.DataFrame(rows)
    exceed = np.flatnonzero((table["R"] > table["critical"]).to_numpy())
    k = int(exceed[-1]) + 1 if exceed.size else 0
    return ESDResult(n_outliers=k, outliers=tuple(table["index"].iloc[:k]), table=table, n=n, alpha=a)


# --------------------------------------------------------------------------- Dixon
@dataclass(frozen=True)
class DixonResult(ResultMixin):
    """Result of :func:`dixon`: ``statistic`` (r10 = gap / range), ``critical_value``,
    ``outlier``, the ``suspect`` index label and ``value``, ``n``, ``alpha`` (two-sided
    level of the table column used), ``alternative`` and the ``caveat``."""

    statistic: float
    critical_value: float
    outlier: bool
    suspect: Any
    value: float
    n: int
    alpha: float
    alternative: str
    caveat: str = OUTLIER_CAVEAT

    def summary(self) -> str:
        """One line: the statistic against its critical value and the verdict."""
        return _single_outlier_summary("Dixon", "r10", self)


def dixon(values: Any, alpha: float = 0.05, alternative: str = "two-sided") -> DixonResult:
    """Dixon's Q test (r10) for one outlier among 3 to 10 results.

    ``r10 = gap / range`` for the smallest or largest result; compared with
    Rorabacher (1991) Table II.  Two-sided ``alpha`` in {0.10, 0.05, 0.01}; a one-sided
    test (``"max"`` or ``"min"``, the side chosen before seeing the data) at ``alpha`` uses
    the two-sided column ``2 alpha`` (so alpha in {0.05, 0.025, 0.005}).  For more
    than 10 results use :func:`grubbs` or :func:`generalized_esd` (Rorabacher recommends
    r11, r21, r22 beyond 10, not tabulated here).

    Examples
    --------
    >>> r = dixon([12.53, 12.56, 12.47, 12.67, 12.48])
    >>> round(r.statistic, 2), r.critical_value, r.outlier
    (0.55, 0.71, False)
    """
    x = _values(values)
    a = _alpha(alpha)
    alt = _alternative(alternative)
    n = len(x)
    if not 3 <= n <= 10:
        raise InputError(f"parameter 'values': Dixon's r10 test applies to 3 to 10 results (Rorabacher 1991), got {n}; "
                         f"use grubbs() or generalized_esd() for more")
    column = a if alt == "two-sided" else 2 * a
    key = next((k for k in DIXON_R10_CRITICAL if math.isclose(k, column)), None)
    if key is None:
        allowed = "0.10, 0.05, 0.01" if alt == "two-sided" else "0.05, 0.025, 0.005"
        raise InputError(f"parameter 'alpha': Dixon critical values are tabulated for alpha in {allowed} "
                         f"({alt}), got {alpha!r}")
    order = np.argsort(x.to_numpy(), kind="mergesort")
    srt = x.to_numpy()[order]
    rng_ = srt[-1] - srt[0]
    if not rng_ > 0:
        raise InputError("parameter 'values': all results are equal (range 0); no outlier test applies")
    hi, lo = (srt[-1] - srt[-2]) / rng_, (srt[1] - srt[0]) / rng_
    if alt == "max" or (alt == "two-sided" and hi >= lo):
        q, pos = hi, order[-1]
    else:
        q, pos = lo, order[0]
    crit = DIXON_R10_CRITICAL[key][n - 3]
    return DixonResult(statistic=float(q), critical_value=crit, outlier=bool(q > crit), suspect=x.index[pos],
                       value=float(x.iloc[pos]), n=n, alpha=a, alternative=alt)


# --------------------------------------------------------------------------- OOT
def oot_check(history: pd.DataFrame, new: pd.DataFrame, response: str, time: str | None = None,
              alpha: float = 0.05, sided: str = "two") -> pd.DataFrame:
    """Out-of-trend check of new results against a prediction interval from history.

    With ``time``: ordinary least squares of ``response`` on ``time`` over the historical
    results (all lots pooled, as in the regression-control-chart method of PhRMA CMC
    Statistics and Stability Expert Teams 2003), and each new result compared with the
    ``100(1 - alpha)%`` prediction interval for one new observation at its time
    (``yhat +- t s sqrt(1 + x0'(X'X)^-1 x0)``, statsmodels ``get_prediction``).  Without
    ``time``: each new result against ``mean +- t_{n-1} s sqrt(1 + 1/n)`` of the history.

    Parameters
    ----------
    history, new : DataFrame
        Historical results and the results to check (neither is modified).
    response : str
        Column with the results (in both tables).
    time : str, optional
        Column with the time point (stability) in both tables.
    alpha : float
        1 - coverage of the prediction interval (0.05: 95 %).
    sided : {"two", "lower", "upper"}
        Which departures count as out of trend (a one-sided interval uses ``alpha`` on that side).

    Returns
    -------
    DataFrame
        ``new``'s rows (same index) with ``time`` (when given), ``value``,
        ``predicted``, ``lower``, ``upper`` (None side as NaN) and ``oot`` (bool).
        ``attrs["method"]`` names the method, ``attrs["caveat"]`` the GMP caveat:
        an OOT result starts an investigation; it is not itself an OOS.

    Examples
    --------
    >>> import pandas as pd
    >>> h = pd.DataFrame({"month": [0, 3, 6, 9, 12] * 2,
    ...                   "potency": [100, 99, 98.1, 97, 96.2, 100.3, 99.1, 98, 97.2, 96]})
    >>> oot_check(h, pd.DataFrame({"month": [6, 6], "potency": [98.0, 95.0]}), "potency", "month")["oot"].tolist()
    [False, True]
    """
    for nm, df in (("history", history), ("new", new)):
        if not isinstance(df, pd.DataFrame):
            raise InputError(f"parameter '{nm}': expected a pandas DataFrame, got {type(df).__name__}")
        if len(df) == 0:
            raise InputError(f"parameter '{nm}': the table has no rows")
    if sided not in ("two", "lower", "upper"):
        raise InputError(f"parameter 'sided': expected one of two, lower, upper, got {sided!r}")
    a = _alpha(alpha)
    cols = [response] + ([time] if time is not None else [])
    require_columns(history, cols, source_name(history, "history"))
    require_columns(new, cols, source_name(new, "new"))
    y = numeric_column(history, response, source=source_name(history, "history")).to_numpy(float)
    y_new = numeric_column(new, response, source=source_name(new, "new")).to_numpy(float)
    q_alpha = a / 2 if sided == "two" else a
    out = pd.DataFrame(index=new.index)
    if time is None:
        n = len(y)
        if n < 3:
            raise InputError(f"parameter 'history': a prediction interval needs at least 3 results, got {n}")
        m, s = float(np.mean(y)), float(np.std(y, ddof=1))
        half = float(stats.t.isf(q_alpha, n - 1)) * s * math.sqrt(1 + 1 / n)
        pred = np.full(len(y_new), m)
        half_arr = np.full(len(y_new), half)
        method = f"mean +- t s sqrt(1 + 1/n) of {n} historical results"
    else:
        t_h = numeric_column(history, time, source=source_name(history, "history")).to_numpy(float)
        t_n = numeric_column(new, time, source=source_name(new, "new")).to_numpy(float)
        if len(np.unique(t_h)) < 2 or len(y) < 3:
            raise InputError(f"parameter 'history', column '{time}': a regression needs at least 3 results at "
                             f"2 or more times")
        res = sm.OLS(y, sm.add_constant(t_h, has_constant="add")).fit()
        pr = res.get_prediction(sm.add_constant(t_n, has_constant="add"))
        pred = np.asarray(pr.predicted_mean, dtype=float)
        se_obs = np.sqrt(np.asarray(pr.var_pred_mean, dtype=float) + res.scale)
        half_arr = float(stats.t.isf(q_alpha, res.df_resid)) * se_obs
        out[time] = t_n
        method = (f"regression prediction interval over {len(y)} historical results "
                  "(PhRMA 2003 regression control chart)")
    out["value"] = y_new
    out["predicted"] = pred
    out["lower"] = pred - half_arr if sided in ("two", "lower") else np.nan
    out["upper"] = pred + half_arr if sided in ("two", "upper") else np.nan
    below = (y_new < out["lower"].to_numpy()) if sided in ("two", "lower") else np.zeros(len(y_new), bool)
    above = (y_new > out["upper"].to_numpy()) if sided in ("two", "upper") else np.zeros(len(y_new), bool)
    out["oot"] = below | above
    out.attrs.update(method=method, alpha=a, sided=sided,
                     caveat="An OOT result starts an investigation; it is not an OOS result and does not by itself "
                            "invalidate or reject a lot.")
    return out
