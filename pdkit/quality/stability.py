"""Shelf life from multi-batch stability data (ICH Q1E).

The analysis follows ICH Q1E *Evaluation of Stability Data* (2003), section 2.3
and Appendix B:

1. Fit a straight line of the response against time for every batch and test,
   by analysis of covariance, whether the batches share a slope (batch x time
   interaction) and then whether they share an intercept (batch).  Both F tests
   use the mean square error of the full model (separate intercepts and slopes)
   and are judged at ``pool_alpha`` (0.25 in Q1E, so that batches are pooled only
   when there is little evidence against it).
2. Select the model: common intercept and common slope (``"cics"``), different
   intercepts and a common slope (``"dics"``) or different intercepts and
   different slopes (``"dids"``).
3. The shelf life is the earliest time at which the one-sided ``100(1-alpha)%``
   confidence bound on the mean response crosses the acceptance criterion (a
   two-sided bound with ``alpha/2`` per side when both a lower and an upper limit
   apply).  With separate lines the worst batch decides.

For ``"dids"`` two conventions exist: JMP's *Stability* platform fits each batch
on its own (own residual variance and degrees of freedom) and takes the
earliest crossing (``dids_method="individual"``, the default); LeBlond, Griffith
& Aubuchon (2011) keep the full model and its pooled mean square error
(``dids_method="pooled_mse"``).

A study with a single batch has nothing to pool: its own regression line and the
same confidence bound give the shelf life (ICH Q1E single-batch / FDA single-lot
convention; ``single_batch=True`` on the result, ``model="cics"``, no ANCOVA rows).

The crossing is found by root finding on the continuous bound (Brent's method),
not on a grid.  The lower bound ``a + b t - q se(t)`` is concave in ``t`` (and
the upper bound convex), so the crossing, when it exists, is unique.

Extrapolation: ICH Q1E (section 2.4 and Appendix A) allows a shelf life of up
to twice, and not more than 12 months beyond, the period covered by long-term
data (1.5 times and 6 months for refrigerated products); ICH Q5C requires
real-time data for biotechnological/biological products, so for AAV and
lentiviral vectors the shelf life should not exceed the longest time tested.
The result reports the longest time observed and warns when the shelf life
lies beyond it.

Examples
--------
>>> import pandas as pd
>>> from pdkit.stability import shelf_life
>>> df = pd.DataFrame({
...     "batch": ["A"] * 5 + ["B"] * 5 + ["C"] * 5,
...     "month": [0, 6, 12, 18, 24] * 3,
...     "potency": [100.4, 98.1, 96.9, 94.6, 93.2, 100.9, 98.7, 96.8, 95.1, 93.5,
...                 99.8, 98.3, 96.2, 94.4, 92.9],
... })
>>> res = shelf_life(df, "month", "potency", "batch", lower=93)
>>> res.model, round(res.shelf_life, 2), res.limit_crossed, res.worst_batch
('dics', 22.33, 'lower', 'C')
"""
from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import optimize, stats

from pdkit.io.tables import describe_rows, numeric_column, require_columns, source_name
from pdkit._checks import number
from pdkit.errors import InputError
from pdkit.results import ResultMixin, fmt

__all__ = [
    "shelf_life",
    "ShelfLife",
    "Extrapolation",
    "ExtrapolationWarning",
    "MODELS",
    "DIDS_METHODS",
]

MODELS = ("cics", "dics", "dids")
DIDS_METHODS = ("individual", "pooled_mse")
_MODEL_NAMES = {
    "cics": ("common", "common"),
    "dics": ("different", "common"),
    "dids": ("different", "different"),
}
# Twelve months expressed in common time units (1 year = 365.25 days).
_TWELVE_MONTHS = {
    "month": 12.0, "months": 12.0, "mo": 12.0, "mon": 12.0,
    "week": 365.25 / 7, "weeks": 365.25 / 7, "wk": 365.25 / 7,
    "day": 365.25, "days": 365.25, "d": 365.25,
    "year": 1.0, "years": 1.0, "yr": 1.0, "y": 1.0,
    "hour": 365.25 * 24, "hours": 365.25 * 24, "h": 365.25 * 24,
}
_DEFAULT_HORIZON_FACTOR = 10.0


class ExtrapolationWarning(UserWarning):
    """The estimated shelf life lies beyond the longest time observed."""


@dataclass(frozen=True)
class Extrapolation(ResultMixin):
    """How far a shelf life reaches beyond the data (ICH Q1E 2.4, Appendix A; ICH Q5C).

    Attributes
    ----------
    max_time : float
        Longest time observed in the data.
    shelf_life : float
        The estimated shelf life (``inf`` when the bound never crosses).
    beyond_data : bool
        ``shelf_life > max_time``: the estimate is an extrapolation.
    q1e_limit : float or None
        ``min(2 * max_time, max_time + 12 months)``, the most ICH Q1E allows for a
        product stored at room temperature when the data support statistical
        analysis (None if the time unit is not known, then only ``2 * max_time``
        is applied in ``exceeds_q1e_limit``).
    exceeds_q1e_limit : bool
        The estimate is longer than ``q1e_limit``.
    message : str
        A sentence for reports ("" when there is no extrapolation).
    """

    max_time: float
    shelf_life: float
    beyond_data: bool
    q1e_limit: float | None
    exceeds_q1e_limit: bool
    message: str

    def summary(self) -> str:
        """The report sentence, or that the shelf life lies within the data."""
        return self.message or f"shelf life {fmt(self.shelf_life)} within the data (longest time {fmt(self.max_time)})"


@dataclass(frozen=True)
class _Line:
    """A fitted straight line with the covariance of (intercept, slope)."""

    label: str
    intercept: float
    slope: float
    var_intercept: float
    cov: float
    var_slope: float
    df: float
    n: int

    def fitted(self, t: Any) -> Any:
        return self.intercept + self.slope * np.asarray(t, dtype=float)

    def se(self, t: Any) -> Any:
        t = np.asarray(t, dtype=float)
        v = self.var_intercept + 2.0 * self.cov * t + self.var_slope * t * t
        return np.sqrt(np.maximum(v, 0.0))


@dataclass(frozen=True)
class ShelfLife(ResultMixin):
    """Result of :func:`shelf_life`.

    Attributes
    ----------
    model : str
        Selected model: ``"cics"``, ``"dics"`` or ``"dids"``.
    shelf_life : float
        Earliest time (units of the time column) at which the confidence bound
        crosses a limit; ``inf`` when it does not cross within ``horizon``
        (then ``crosses`` is False and ``notes`` says so).
    crosses : bool
        Whether the bound crosses a limit within the horizon.
    limit_crossed : str or None
        ``"lower"`` or ``"upper"`` (None when nothing is crossed).
    worst_batch : str or None
        Batch whose bound crosses first (None for the pooled ``"cics"`` model).
    ancova : DataFrame
        Poolability tests, one row each for ``equal slopes`` (batch x time) and
        ``equal intercepts`` (batch): ``test, source, ss, df, ms, F, df_resid,
        mse_full, p_value, pool_alpha, poolable, used``.
    per_batch : DataFrame
        ``batch, n, intercept, slope, df, shelf_life, limit_crossed`` under the
        selected model (for ``"cics"`` every batch shows the common line).
    model_comparison : DataFrame
        Shelf life under each of the three models (like JMP's *Stability Models*
        table): ``model, intercepts, slopes, shelf_life, limit_crossed,
        worst_batch, selected`` (``worst_batch`` is ``"all batches"`` for ``"cics"``).
    fit : statsmodels RegressionResults
        The selected model fitted to all batches (for ``"dids"`` the full model).
    models : dict
        ``{"cics", "dics", "dids"} -> RegressionResults`` (cell-means coding:
        parameters ``intercept[<batch>]``, ``slope[<batch>]``).
    batch_fits : dict
        ``batch -> RegressionResults`` of the separate fits used when the model
        is ``"dids"`` and ``dids_method="individual"`` (empty otherwise).
    sided : str
        ``"two"`` (both limits), ``"lower"`` or ``"upper"``.
    t_quantile : float or None
        The t quantile of the bound for the pooled fit (per-batch degrees of
        freedom for individual fits are in ``per_batch.df``).
    extrapolation : Extrapolation
        Longest time observed and the extrapolation check.
    notes : tuple of str
        Sentences about choices and warnings for reports.
    single_batch : bool
        True when the study has one batch: no poolability test applies, ``model`` is
        ``"cics"`` (the batch's own regression line), ``ancova`` has no rows and
        ``model_comparison`` one row.
    """

    model: str
    shelf_life: float
    crosses: bool
    limit_crossed: str | None
    worst_batch: str | None
    ancova: pd.DataFrame
    per_batch: pd.DataFrame
    model_comparison: pd.DataFrame
    fit: Any
    models: dict
    batch_fits: dict
    lower: float | None
    upper: float | None
    alpha: float
    pool_alpha: float
    dids_method: str
    sided: str
    t_quantile: float | None
    time: str
    response: str
    batch: str
    horizon: float
    extrapolation: Extrapolation
    notes: tuple[str, ...]
    single_batch: bool = False
    _lines: tuple = field(default=(), repr=False, compare=False)

    def __repr__(self) -> str:  # DataFrames make the default repr unreadable
        return (
            f"ShelfLife(model={self.model!r}, shelf_life={self.shelf_life:.6g}, "
            f"limit_crossed={self.limit_crossed!r}, worst_batch={self.worst_batch!r}, "
            f"sided={self.sided!r}, dids_method={self.dids_method!r})"
        )

    def curves(self, times: Any = None, n: int = 201) -> pd.DataFrame:
        """Fitted line(s) and confidence bound(s) of the selected model on a time grid.

        Parameters
        ----------
        times : array-like, optional
            Times to evaluate; default ``n`` points from 0 to the larger of the
            longest time observed and the (finite) shelf life, plus 10 %.
        n : int
            Number of grid points when ``times`` is not given.

        Returns
        -------
        DataFrame
            ``line`` (batch, or ``"all batches"`` for ``"cics"``), ``time``,
            ``fitted`` and ``lower_bound`` and/or ``upper_bound`` (the bounds that
            apply to the given limits).
        """
        if times is None:
            end = self.extrapolation.max_time
            if math.isfinite(self.shelf_life):
                end = max(end, self.shelf_life)
            times = np.linspace(0.0, 1.1 * end, int(n))
        times = np.asarray(times, dtype=float)
        frames = []
        for line in self._lines:
            q = _quantile(self.alpha, self.sided, line.df)
            part = {"line": line.label, "time": times, "fitted": line.fitted(times)}
            if self.lower is not None:
                part["lower_bound"] = line.fitted(times) - q * line.se(times)
            if self.upper is not None:
                part["upper_bound"] = line.fitted(times) + q * line.se(times)
            frames.append(pd.DataFrame(part))
        return pd.concat(frames, ignore_index=True)

    _frame_from = 'per_batch'  # to_frame() is this table

    def summary(self) -> str:
        """One line: the shelf life, the model and what limits it."""
        if not self.crosses:
            return f"shelf life not reached within {fmt(self.horizon)} ({self.time}) under model {self.model}"
        worst = f", batch {self.worst_batch}" if self.worst_batch is not None else ""
        return f"shelf life {fmt(self.shelf_life)} ({self.time}) under model {self.model}: " \
               f"{self.limit_crossed} limit of {self.response}{worst}"


# --------------------------------------------------------------------------- helpers


def _quantile(alpha: float, sided: str, df: float) -> float:
    side_alpha = alpha / 2.0 if sided == "two" else alpha
    return float(stats.t.ppf(1.0 - side_alpha, df))


def _prepare(data: Any, time: str, response: str, batch: str) -> tuple[pd.DataFrame, str]:
    """Validate the table and return a clean frame with columns t, y, batch."""
    if not isinstance(data, pd.DataFrame):
        raise InputError(f"parameter 'data': expected a pandas DataFrame, got {type(data).__name__}")
    for pname, col in (("time", time), ("response", response), ("batch", batch)):
        if not isinstance(col, str) or not col:
            raise InputError(f"parameter '{pname}': expected a column name, got {col!r}")
    if len({time, response, batch}) < 3:
        raise InputError(
            f"parameters 'time', 'response' and 'batch' must name three different columns, "
            f"got {time!r}, {response!r}, {batch!r}"
        )
    src = source_name(data)
    require_columns(data, [time, response, batch])
    if len(data) == 0:
        raise InputError(f"{src}: the table has no rows")
    t = numeric_column(data, time, nonnegative=True)
    y = numeric_column(data, response)
    raw_b = data[batch]
    missing_b = (raw_b.isna() | raw_b.astype(str).str.strip().eq("")).to_numpy()
    if missing_b.any():
        rows = [int(i) + 1 for i in np.flatnonzero(missing_b)]
        raise InputError(f"{src}, column '{batch}', {describe_rows(rows)}: batch is missing")
    b = raw_b.astype(str).str.strip().to_numpy(dtype=object)
    clean = pd.DataFrame({"t": t.to_numpy(), "y": y.to_numpy(), "batch": b})

    levels = sorted(pd.unique(clean["batch"]))
    if clean["t"].nunique() < 2:
        raise InputError(
            f"{src}, column '{time}': only one time point ({clean['t'].iloc[0]:g}); "
            f"a shelf life needs results at two or more times"
        )
    for lev in levels:
        tb = clean.loc[clean["batch"] == lev, "t"]
        if tb.nunique() < 2:
            raise InputError(
                f"{src}, column '{time}': batch {lev!r} has results at only one time "
                f"({tb.iloc[0]:g}); every batch needs two or more time points"
            )
    n, k = len(clean), len(levels)
    if k == 1 and n < 3:
        raise InputError(
            f"{src}: {n} results for the single batch {levels[0]!r} leave no degrees of freedom for the "
            f"residual error of its regression line (need 3 or more results)"
        )
    if n - 2 * k < 1:
        raise InputError(
            f"{src}: {n} results for {k} batches leave no degrees of freedom for the residual "
            f"error of the full model (need more than {2 * k} results)"
        )
    return clean, src


def _design(clean: pd.DataFrame, levels: list[str], kind: str) -> pd.DataFrame:
    t = clean["t"].to_numpy()
    cols: dict[str, np.ndarray] = {}
    if kind == "cics":
        cols["intercept"] = np.ones(len(clean))
        cols["slope"] = t
    else:
        for lev in levels:
            cols[f"intercept[{lev}]"] = (clean["batch"].to_numpy() == lev).astype(float)
        if kind == "dics":
            cols["slope"] = t
        else:
            for lev in levels:
                cols[f"slope[{lev}]"] = t * (clean["batch"].to_numpy() == lev)
    return pd.DataFrame(cols, index=clean.index)


def _line_from_fit(res: Any, icpt: str, slope: str, label: str, n: int) -> _Line:
    cov = res.cov_params()
    return _Line(
        label=label,
        intercept=float(res.params[icpt]),
        slope=float(res.params[slope]),
        var_intercept=float(cov.loc[icpt, icpt]),
        cov=float(cov.loc[icpt, slope]),
        var_slope=float(cov.loc[slope, slope]),
        df=float(res.df_resid),
        n=n,
    )


def _lines_for(kind: str, fit: Any, levels: list[str], counts: dict[str, int]) -> list[_Line]:
    if kind == "cics":
        return [_line_from_fit(fit, "intercept", "slope", "all batches", sum(counts.values()))]
    slope_name = (lambda lev: "slope") if kind == "dics" else (lambda lev: f"slope[{lev}]")
    return [_line_from_fit(fit, f"intercept[{lev}]", slope_name(lev), lev, counts[lev]) for lev in levels]


def _crossing(line: _Line, limit: float, side: str, q: float, start: float) -> float:
    """Earliest t >= 0 where the bound crosses ``limit`` (inf if never).

    The margin g(t) (bound minus limit for a lower limit, limit minus bound for
    an upper one) is concave, so {t >= 0: g(t) >= 0} is an interval starting at 0.
    """
    sign = 1.0 if side == "lower" else -1.0

    def g(t: float) -> float:
        return float(sign * (line.fitted(t) - limit) - q * line.se(t))

    if g(0.0) <= 0.0:
        return 0.0
    # Asymptotic slope of g: sign*b - q*sd(b). If >= 0, g never decreases below g(0).
    if sign * line.slope - q * math.sqrt(max(line.var_slope, 0.0)) >= 0.0:
        return math.inf
    hi = max(start, 1.0)
    for _ in range(200):
        if g(hi) <= 0.0:
            break
        hi *= 2.0
    else:  # pragma: no cover - the asymptotic slope is negative, so this cannot happen
        return math.inf
    return float(optimize.brentq(g, 0.0, hi, xtol=1e-12, rtol=4 * np.finfo(float).eps, maxiter=500))


def _evaluate(lines: list[_Line], lower: float | None, upper: float | None, alpha: float,
              sided: str, start: float) -> list[tuple[float, str | None]]:
    """Per line: (crossing time, limit crossed)."""
    out = []
    for line in lines:
        q = _quantile(alpha, sided, line.df)
        best, which = math.inf, None
        for side, limit in (("lower", lower), ("upper", upper)):
            if limit is None:
                continue
            tc = _crossing(line, limit, side, q, start)
            if tc < best:
                best, which = tc, side
        out.append((best, which))
    return out


def _check_intercepts(lines: list[_Line], lower: float | None, upper: float | None, src: str,
                      batch: str) -> None:
    for line in lines:
        where = "all batches pooled" if line.label == "all batches" else f"batch {line.label!r}"
        if lower is not None and line.intercept < lower:
            raise InputError(
                f"{src}, column '{batch}', {where}: the fitted value at time 0 ({line.intercept:.6g}) is "
                f"already below the lower limit {lower:g}; no shelf life can be supported"
            )
        if upper is not None and line.intercept > upper:
            raise InputError(
                f"{src}, column '{batch}', {where}: the fitted value at time 0 ({line.intercept:.6g}) is "
                f"already above the upper limit {upper:g}; no shelf life can be supported"
            )


def _extrapolation(max_time: float, value: float, time_unit: str | None) -> Extrapolation:
    twelve = _TWELVE_MONTHS.get(str(time_unit).strip().lower()) if time_unit else None
    limit = min(2.0 * max_time, max_time + twelve) if twelve is not None else None
    cap = limit if limit is not None else 2.0 * max_time
    beyond = value > max_time
    exceeds = value > cap
    unit = f" {time_unit}" if time_unit else ""
    msg = ""
    if beyond:
        what = (
            "the confidence bound does not cross a limit"
            if math.isinf(value)
            else f"the estimated shelf life ({value:.4g}{unit}) extrapolates beyond"
        )
        if math.isinf(value):
            msg = f"{what}; the data cover {max_time:g}{unit} only"
        else:
            msg = f"{what} the longest time tested ({max_time:g}{unit})"
        if limit is not None:
            msg += (
                f". ICH Q1E allows at most {limit:.4g}{unit} (2x, and no more than 12 months beyond, "
                f"the long-term data; 1.5x and 6 months for refrigerated products)"
            )
        else:
            msg += f". ICH Q1E allows at most 2x the long-term data ({cap:.4g}{unit}), and no more than 12 months beyond it"
        msg += (
            ". For biotechnological/biological products (e.g. AAV or lentiviral vectors) ICH Q5C requires "
            "real-time data: do not claim beyond the longest time tested."
        )
    return Extrapolation(
        max_time=float(max_time),
        shelf_life=float(value),
        beyond_data=bool(beyond),
        q1e_limit=None if limit is None else float(limit),
        exceeds_q1e_limit=bool(exceeds),
        message=msg,
    )


def _single_batch(clean: pd.DataFrame, src: str, level: str, lower_v: float | None, upper_v: float | None,
                  alpha_v: float, pool_v: float, dids_method: str, sided: str, horizon_v: float, max_time: float,
                  time: str, response: str, batch: str, time_unit: str | None) -> ShelfLife:
    """Shelf life of a one-batch study: the batch's own regression line and its confidence bound.

    ICH Q1E section 2.3 / Appendix B.1 and the FDA single-lot convention: the earliest time at
    which the one-sided 95 % confidence bound on the mean (two-sided with both limits) crosses
    the acceptance criterion.  No poolability test applies.
    """
    y = clean["y"]
    X = _design(clean, [level], "cics")
    res = sm.OLS(y, X).fit()
    scale = float(np.sum((y - y.mean()) ** 2))
    if not float(res.ssr) > 1e-24 * max(scale, 1e-300):
        raise InputError(
            f"{src}, column '{response}': batch {level!r} lies exactly on a line (residual variance 0); "
            f"its confidence bound is undefined"
        )
    n = len(clean)
    line = _line_from_fit(res, "intercept", "slope", level, n)
    _check_intercepts([line], lower_v, upper_v, src, batch)
    raw_value, limit_crossed = _evaluate([line], lower_v, upper_v, alpha_v, sided, max_time)[0]
    crosses = math.isfinite(raw_value) and raw_value <= horizon_v
    value = raw_value if crosses else math.inf
    notes = [
        f"One batch ({level!r}): no poolability test applies; the shelf life comes from this batch's own "
        f"regression line and its {'two-sided' if sided == 'two' else 'one-sided'} "
        f"{100 * (1 - alpha_v):g} % confidence bound (ICH Q1E, single-batch convention). ICH Q1E expects data "
        f"from at least 3 batches for a shelf-life proposal."
    ]
    if not crosses:
        limit_crossed = None
        notes.append("The confidence bound does not reach a limit within the search horizon "
                     f"{horizon_v:.4g}: the shelf life is not limited by this attribute (reported as inf).")
    if crosses and raw_value == 0.0:
        notes.append("The confidence bound is already outside a limit at time 0: shelf life 0.")
    per_batch = pd.DataFrame([{"batch": level, "n": n, "intercept": line.intercept, "slope": line.slope,
                               "df": line.df, "shelf_life": value, "limit_crossed": limit_crossed}])
    comparison = pd.DataFrame([{"model": "cics", "intercepts": "common", "slopes": "common", "shelf_life": value,
                                "limit_crossed": limit_crossed, "worst_batch": level, "selected": True}])
    ancova = pd.DataFrame(columns=["test", "source", "ss", "df", "ms", "F", "df_resid", "mse_full", "p_value",
                                   "pool_alpha", "poolable", "used"])
    extra = _extrapolation(max_time, value, time_unit)
    if extra.beyond_data:
        notes.append(extra.message)
        warnings.warn(extra.message, ExtrapolationWarning, stacklevel=3)
    return ShelfLife(
        model="cics", shelf_life=float(value), crosses=bool(crosses), limit_crossed=limit_crossed,
        worst_batch=level if crosses else None, ancova=ancova, per_batch=per_batch, model_comparison=comparison,
        fit=res, models={"cics": res}, batch_fits={level: res}, lower=lower_v, upper=upper_v, alpha=alpha_v,
        pool_alpha=pool_v, dids_method=dids_method, sided=sided, t_quantile=_quantile(alpha_v, sided, line.df),
        time=time, response=response, batch=batch, horizon=float(horizon_v), extrapolation=extra,
        notes=tuple(notes), single_batch=True, _lines=(line,),
    )


# --------------------------------------------------------------------------- public API


def shelf_life(
    data: pd.DataFrame,
    time: str,
    response: str,
    batch: str,
    lower: float | None = None,
    upper: float | None = None,
    alpha: float = 0.05,
    pool_alpha: float = 0.25,
    dids_method: str = "individual",
    *,
    time_unit: str | None = "months",
    horizon: float | None = None,
) -> ShelfLife:
    """Estimate a shelf life from multi-batch stability data following ICH Q1E.

    Parameters
    ----------
    data : DataFrame
        One row per result (replicates at the same time are separate rows).
        It is not modified.
    time : str
        Column with the storage time (>= 0), e.g. months.
    response : str
        Column with the measured attribute (potency, titer, % aggregates, ...).
    batch : str
        Column identifying the batch (lot).  With one batch there is no poolability
        test: the batch's own line and confidence bound give the shelf life
        (``single_batch=True``; ICH Q1E expects at least 3 batches for a proposal).
    lower, upper : float, optional
        Acceptance criteria.  At least one is required; with both the bounds
        are two-sided (``alpha/2`` per side), with one the bound is one-sided.
    alpha : float
        1 - confidence level of the bound (0.05 gives 95 %), in (0, 0.5).
    pool_alpha : float
        Significance level of the poolability tests (ICH Q1E: 0.25), in (0, 1).
    dids_method : {"individual", "pooled_mse"}
        For separate slopes: fit each batch on its own (JMP convention, default)
        or use the full model's pooled mean square error (LeBlond et al. 2011).
    time_unit : str, optional
        Unit of the time column (months, weeks, days, years, hours); used only
        to express the 12-month extrapolation limit of ICH Q1E.
    horizon : float, optional
        Longest shelf life searched for; a crossing beyond it is reported as
        ``inf`` with ``crosses=False``.  Default 10 times the longest time tested.

    Returns
    -------
    ShelfLife

    Raises
    ------
    InputError
        Missing columns, non-numeric or negative times, non-numeric responses,
        a single time point, fewer than 3 results for one batch, no limit, or a fitted value at time 0 that
        is already outside a limit.

    References
    ----------
    ICH Q1E, Evaluation of Stability Data (2003), section 2.3 and Appendix B.
    LeBlond, D., Griffith, D., Aubuchon, K. (2011) Linear Regression 102:
    Stability Shelf Life Estimation Using Analysis of Covariance.
    J Valid Technol 17(3):47-68.
    SAS Institute (2015) JMP 12 Reliability and Survival Methods, Degradation,
    Stability Analysis.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"lot": list("AAAABBBB"), "month": [0, 6, 12, 24] * 2,
    ...                    "purity": [99.1, 98.2, 97.6, 95.9, 99.3, 98.4, 97.5, 96.1]})
    >>> r = shelf_life(df, "month", "purity", "lot", lower=96.0)
    >>> r.model, r.limit_crossed, round(r.shelf_life, 1)
    ('dics', 'lower', 22.4)
    """
    lower_v = number(lower, "lower", allow_none=True)
    upper_v = number(upper, "upper", allow_none=True)
    if lower_v is None and upper_v is None:
        raise InputError("parameters 'lower' and 'upper': no acceptance limit given; set lower, upper or both")
    if lower_v is not None and upper_v is not None and not lower_v < upper_v:
        raise InputError(f"parameters 'lower' and 'upper': expected lower < upper, got {lower_v:g} and {upper_v:g}")
    alpha_v = number(alpha, "alpha")
    if not 0.0 < alpha_v < 0.5:
        raise InputError(f"parameter 'alpha': expected a value in (0, 0.5), got {alpha!r}")
    pool_v = number(pool_alpha, "pool_alpha")
    if not 0.0 < pool_v < 1.0:
        raise InputError(f"parameter 'pool_alpha': expected a value in (0, 1), got {pool_alpha!r}")
    if dids_method not in DIDS_METHODS:
        raise InputError(f"parameter 'dids_method': expected one of {', '.join(DIDS_METHODS)}, got {dids_method!r}")

    clean, src = _prepare(data, time, response, batch)
    levels = sorted(pd.unique(clean["batch"]))
    counts = {lev: int((clean["batch"] == lev).sum()) for lev in levels}
    max_time = float(clean["t"].max())
    if horizon is None:
        horizon_v = _DEFAULT_HORIZON_FACTOR * max_time
    else:
        horizon_v = number(horizon, "horizon")
        if horizon_v <= 0:
            raise InputError(f"parameter 'horizon': expected a value > 0, got {horizon!r}")
    sided = "two" if (lower_v is not None and upper_v is not None) else ("lower" if lower_v is not None else "upper")

    if len(levels) == 1:
        return _single_batch(clean, src, levels[0], lower_v, upper_v, alpha_v, pool_v, dids_method, sided,
                             horizon_v, max_time, time, response, batch, time_unit)

    # --- fit the three nested models (cell-means coding) --------------------------------------
    y = clean["y"]
    fits = {kind: sm.OLS(y, _design(clean, levels, kind)).fit() for kind in MODELS}
    full = fits["dids"]
    n, k = len(clean), len(levels)
    df_full = float(full.df_resid)
    mse_full = float(full.ssr) / df_full
    scale = float(np.sum((y - y.mean()) ** 2))
    if not mse_full > 1e-24 * max(scale, 1e-300):
        raise InputError(
            f"{src}, column '{response}': the lines fit the data exactly (residual variance 0); "
            f"the poolability tests and confidence bounds are undefined"
        )

    # --- ANCOVA poolability tests, each against the full model's MSE -----------------------------
    # F = (SSR_smaller - SSR_bigger)/(k-1) / MSE_full with (k-1, df_full) degrees of freedom, as R's
    # anova(full, dics, cics) and JMP. (statsmodels' anova_lm gives the same F for several models but
    # takes the p value of the intercept row with the dics model's df, so it is not used here.)
    rows = []
    for test, source, bigger, smaller in (
        ("equal slopes", f"{batch} x {time}", "dids", "dics"),
        ("equal intercepts", batch, "dics", "cics"),
    ):
        ss = max(float(fits[smaller].ssr - fits[bigger].ssr), 0.0)
        dfn = float(k - 1)
        ms = ss / dfn
        f_val = ms / mse_full
        p_val = float(stats.f.sf(f_val, dfn, df_full))
        rows.append({
            "test": test, "source": source, "ss": ss, "df": dfn, "ms": ms, "F": f_val,
            "df_resid": df_full, "mse_full": mse_full, "p_value": p_val,
            "pool_alpha": pool_v, "poolable": p_val >= pool_v,
        })
    ancova = pd.DataFrame(rows)
    slopes_poolable = bool(ancova.loc[0, "poolable"])
    intercepts_poolable = bool(ancova.loc[1, "poolable"])
    model = "dids" if not slopes_poolable else ("dics" if not intercepts_poolable else "cics")
    ancova["used"] = [True, slopes_poolable]

    notes: list[str] = []
    p_s, p_i = ancova["p_value"]
    if model == "dids":
        notes.append(
            f"Slopes differ between batches (p = {p_s:.4g} < {pool_v:g}): separate lines, "
            f"the earliest batch decides ({'each batch fitted on its own' if dids_method == 'individual' else 'pooled MSE of the full model'})."
        )
    elif model == "dics":
        notes.append(
            f"Slopes poolable (p = {p_s:.4g} >= {pool_v:g}) but intercepts differ (p = {p_i:.4g} < {pool_v:g}): "
            f"common slope, separate intercepts; the earliest batch decides."
        )
    else:
        notes.append(
            f"Slopes (p = {p_s:.4g}) and intercepts (p = {p_i:.4g}) poolable at {pool_v:g}: one common line."
        )

    # --- lines and crossings under every model --------------------------------------------------
    batch_fits: dict[str, Any] = {}

    def individual_lines() -> list[_Line]:
        lines = []
        for lev in levels:
            sub = clean[clean["batch"] == lev]
            if len(sub) < 3:
                raise InputError(
                    f"{src}, column '{batch}': batch {lev!r} has {len(sub)} results; fitting it on its own "
                    f"(dids_method='individual') needs at least 3. Use dids_method='pooled_mse'"
                )
            X = pd.DataFrame({"intercept": np.ones(len(sub)), "slope": sub["t"].to_numpy()}, index=sub.index)
            res = sm.OLS(sub["y"], X).fit()
            if not float(res.ssr) > 1e-24 * max(float(np.sum((sub["y"] - sub["y"].mean()) ** 2)), 1e-300):
                raise InputError(
                    f"{src}, column '{response}': batch {lev!r} lies exactly on a line (residual variance 0); "
                    f"its confidence bound is undefined. Use dids_method='pooled_mse'"
                )
            batch_fits[lev] = res
            lines.append(_line_from_fit(res, "intercept", "slope", lev, len(sub)))
        return lines

    comparison = []
    selected_lines: list[_Line] = []
    selected_cross: list[tuple[float, str | None]] = []
    for kind in MODELS:
        try:
            if kind == "dids" and dids_method == "individual":
                lines = individual_lines()
            else:
                lines = _lines_for(kind, fits[kind], levels, counts)
        except InputError:
            if kind == model:
                raise
            notes.append(f"Model {kind} could not be evaluated with dids_method='{dids_method}'.")
            continue
        if kind == model:
            _check_intercepts(lines, lower_v, upper_v, src, batch)
        cross = _evaluate(lines, lower_v, upper_v, alpha_v, sided, max_time)
        i_min = int(np.argmin([c[0] for c in cross]))
        t_min, which = cross[i_min]
        comparison.append({
            "model": kind,
            "intercepts": _MODEL_NAMES[kind][0],
            "slopes": _MODEL_NAMES[kind][1],
            "shelf_life": t_min,
            "limit_crossed": which,
            "worst_batch": lines[i_min].label,
            "selected": kind == model,
        })
        if kind == model:
            selected_lines, selected_cross = lines, cross
    model_comparison = pd.DataFrame(comparison)

    # --- the selected model ----------------------------------------------------------------------
    times = [c[0] for c in selected_cross]
    i_min = int(np.argmin(times))
    raw_value, limit_crossed = selected_cross[i_min]
    worst = None if model == "cics" else selected_lines[i_min].label
    crosses = math.isfinite(raw_value) and raw_value <= horizon_v
    value = raw_value if crosses else math.inf
    if not crosses:
        limit_crossed = None
        worst = None
        if math.isfinite(raw_value):
            notes.append(
                f"The confidence bound reaches a limit only at {raw_value:.4g}, beyond the search horizon "
                f"{horizon_v:.4g}: the shelf life is not limited by this attribute within the horizon (reported as inf)."
            )
        else:
            notes.append(
                "The confidence bound never reaches a limit: the shelf life is not limited by this attribute "
                "(reported as inf)."
            )
    if crosses and raw_value == 0.0:
        notes.append("The confidence bound is already outside a limit at time 0: shelf life 0.")

    if model == "cics":
        line = selected_lines[0]
        pb_rows = [
            {"batch": lev, "n": counts[lev], "intercept": line.intercept, "slope": line.slope, "df": line.df,
             "shelf_life": value, "limit_crossed": limit_crossed}
            for lev in levels
        ]
    else:
        pb_rows = []
        for line, (tc, which) in zip(selected_lines, selected_cross):
            ok = math.isfinite(tc) and tc <= horizon_v
            pb_rows.append({
                "batch": line.label, "n": line.n, "intercept": line.intercept, "slope": line.slope,
                "df": line.df, "shelf_life": tc if ok else math.inf, "limit_crossed": which if ok else None,
            })
    per_batch = pd.DataFrame(pb_rows)

    extra = _extrapolation(max_time, value, time_unit)
    if extra.beyond_data:
        notes.append(extra.message)
        warnings.warn(extra.message, ExtrapolationWarning, stacklevel=2)

    q_pooled = None
    if not (model == "dids" and dids_method == "individual"):
        q_pooled = _quantile(alpha_v, sided, selected_lines[0].df)

    return ShelfLife(
        model=model,
        shelf_life=float(value),
        crosses=bool(crosses),
        limit_crossed=limit_crossed,
        worst_batch=worst,
        ancova=ancova,
        per_batch=per_batch,
        model_comparison=model_comparison,
        fit=fits[model],
        models=fits,
        batch_fits=batch_fits if (model == "dids" and dids_method == "individual") else {},
        lower=lower_v,
        upper=upper_v,
        alpha=alpha_v,
        pool_alpha=pool_v,
        dids_method=dids_method,
        sided=sided,
        t_quantile=q_pooled,
        time=time,
        response=response,
        batch=batch,
        horizon=float(horizon_v),
        extrapolation=extra,
        notes=tuple(notes),
        _lines=tuple(selected_lines),
    )
