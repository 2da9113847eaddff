"""Continued process verification (CPV): trend every attribute of every lot over the years.

For each attribute, lots are put in manufacturing-date order (``imr_chart(..., date=...)``; lots
of the same date in natural lot-number order) and charted on an individuals and
moving-range chart with run rules (:func:`pdkit.trending.imr_chart`; limits from the first
``baseline`` lots, e.g. the PPQ and first commercial lots).  Capability against the
specification (Ppk with its Bissell confidence interval, :func:`pdkit.stats.capability`) is
computed per period (year, half or quarter) and its change from period to period is shown.
Signals on results entered after the previous report (``since_row_id``: the ``max_row_id`` that
report recorded) are flagged as new, and lots within ``near_sigma`` process sigmas of a limit
are listed.  Text results are ignored and censored results (``<LOQ``, ``<0.5``) are left out of
the statistics and counted.

Stage 3 of the FDA Process Validation guidance (2011) and ICH Q10 ask for this ongoing
assurance; the statistics follow Montgomery's I-MR chart and Nelson's (1984) run rules.

Examples
--------
>>> import pandas as pd
>>> r = pd.DataFrame({"lot": [f"L{i}" for i in range(8)],
...                   "date": pd.date_range("2023-01-01", periods=8, freq="90D").date,
...                   "attribute": "purity", "value": [95.0, 95.4, 94.8, 95.1, 95.3, 94.9, 95.2, 91.0],
...                   "row_id": range(1, 9)})
>>> a = cpv_analysis(r, {"purity": (90.0, None)}, baseline=6, since_row_id=7)
>>> a.signals[["lot", "rule", "new"]].values.tolist()
[['L7', 1, True], ['L7', 1, True]]
>>> a.capability[["period", "n"]].values.tolist()
[['2023', 5], ['2024', 3]]
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Mapping

import numpy as np
import pandas as pd

from pdkit.quality import stats, trending
from pdkit.errors import InputError

__all__ = ["cpv_analysis", "CpvAnalysis", "period_label", "PERIODS"]

PERIODS = ("year", "half", "quarter")


def period_label(d: Any, period: str = "year") -> str:
    """The period a date falls in: ``2024``, ``2024-H2`` or ``2024-Q3``.

    Examples
    --------
    >>> import datetime
    >>> [period_label(datetime.date(2024, 8, 1), p) for p in PERIODS]
    ['2024', '2024-H2', '2024-Q3']
    """
    ts = pd.Timestamp(d)
    if period == "year":
        return f"{ts.year}"
    if period == "half":
        return f"{ts.year}-H{1 if ts.month <= 6 else 2}"
    if period == "quarter":
        return f"{ts.year}-Q{(ts.month - 1) // 3 + 1}"
    raise InputError(f"parameter 'period': expected one of {', '.join(PERIODS)}, got {period!r}")


@dataclass(frozen=True)
class CpvAnalysis:
    """Result of :func:`cpv_analysis`.

    Attributes
    ----------
    summary : DataFrame
        One row per attribute: ``attribute, unit, n, n_censored, first_date, last_date, mean, sd,
        center, lcl, ucl, lower, upper, ppk, ppk_ci_low, ppk_ci_high, n_signals, n_new_signals,
        n_near_limits, note``.
    points : DataFrame
        Every charted result in date order: ``attribute, lot, date, period, row_id, value, zone,
        rules, signal, mr_signal, baseline``.
    signals : DataFrame
        ``attribute, lot, date, row_id, chart, rule, description, new``.
    capability : DataFrame
        Per attribute and period: ``attribute, period, n, mean, sd, ppk, ppk_ci_low, ppk_ci_high, note``.
    ppk_trend : DataFrame
        Per attribute with limits: ``attribute, periods, first_period, first_ppk, last_period,
        last_ppk, change_per_period`` (least-squares slope of Ppk over the periods), ``declining``
        (the last period's Ppk interval lies wholly below the first period's).
    near_limits : DataFrame
        ``attribute, lot, date, value, lower, upper, margin_sigma, side`` for lots within
        ``near_sigma`` sigmas of a limit (negative margin: outside the limit).
    charts : dict
        :class:`pdkit.trending.ImrChart` per attribute.
    """

    summary: pd.DataFrame
    points: pd.DataFrame
    signals: pd.DataFrame
    capability: pd.DataFrame
    ppk_trend: pd.DataFrame
    near_limits: pd.DataFrame
    charts: dict = field(default_factory=dict)
    period: str = "year"
    rules: str = "nelson"


def _limits_map(limits: Any) -> dict[str, tuple[float | None, float | None, str | None]]:
    out: dict[str, tuple[float | None, float | None, str | None]] = {}
    if limits is None:
        return out
    if isinstance(limits, pd.DataFrame):
        for r in limits.itertuples(index=False):
            lo = getattr(r, "lower", None)
            hi = getattr(r, "upper", None)
            unit = getattr(r, "unit", None)
            out[str(r.attribute)] = (None if lo is None or pd.isna(lo) else float(lo),
                                     None if hi is None or pd.isna(hi) else float(hi),
                                     None if unit is None or (isinstance(unit, float) and math.isnan(unit)) else unit)
        return out
    if isinstance(limits, Mapping):
        for k, v in limits.items():
            lo, hi = v[0], v[1]
            out[str(k)] = (None if lo is None else float(lo), None if hi is None else float(hi),
                           v[2] if len(v) > 2 else None)
        return out
    raise InputError(f"limits: expected a DataFrame (attribute, lower, upper) or a dict, got {type(limits).__name__}")


def _slope(y: list[float]) -> float | None:
    if len(y) < 2:
        return None
    x = np.arange(len(y), dtype=float)
    return float(np.polyfit(x, np.asarray(y, dtype=float), 1)[0])


def cpv_analysis(
    results: pd.DataFrame,
    limits: Any = None,
    *,
    period: str = "year",
    rules: str = "nelson",
    baseline: int | None = None,
    confidence: float = 0.95,
    since_row_id: int | None = None,
    near_sigma: float = 1.0,
    min_period_n: int = 5,
) -> CpvAnalysis:
    """Trend every attribute by manufacturing date: I-MR with run rules, Ppk per period, signals, near-limit lots.

    Parameters
    ----------
    results : DataFrame
        Long table with ``lot``, ``date`` (manufacturing date), ``attribute``, ``value`` and
        optionally ``row_id``, ``unit``, ``qualifier`` (as returned by
        :meth:`pdkit.lots.LotStore.results`).  Not modified.
    limits : DataFrame or dict, optional
        Specification limits: a table with ``attribute, lower, upper`` (and ``unit``) such as
        :meth:`pdkit.lots.LotStore.limits`, or ``{attribute: (lower, upper)}``.  Capability and
        near-limit lots need them.
    period : {"year", "half", "quarter"}
        Period of the capability table.
    rules : {"nelson", "western_electric"}
        Run rules of the individuals chart.
    baseline : int, optional
        Number of first lots that set the control limits (all lots when None or when an
        attribute has fewer).
    confidence : float
        Level of the Ppk confidence intervals.
    since_row_id : int, optional
        Signals on results with a larger row id are ``new`` (all are new when None).
    near_sigma : float
        A lot is near a limit when it is within this many (within-lot-to-lot) sigmas of it.
    min_period_n : int
        Fewest results in a period for its Ppk (at least 3).

    Returns
    -------
    CpvAnalysis
    """
    if not isinstance(results, pd.DataFrame):
        raise InputError(f"results: expected a DataFrame, got {type(results).__name__}")
    missing = [c for c in ("lot", "date", "attribute", "value") if c not in results.columns]
    if missing:
        raise InputError(f"results: missing column(s) {', '.join(missing)}")
    if period not in PERIODS:
        raise InputError(f"parameter 'period': expected one of {', '.join(PERIODS)}, got {period!r}")
    if not (isinstance(min_period_n, (int, np.integer)) and min_period_n >= 3):
        raise InputError(f"parameter 'min_period_n': expected a whole number >= 3, got {min_period_n!r}")
    if not (isinstance(near_sigma, (int, float)) and near_sigma >= 0):
        raise InputError(f"parameter 'near_sigma': expected a number >= 0, got {near_sigma!r}")
    lim = _limits_map(limits)
    df = results.copy()
    if "row_id" not in df.columns:
        df["row_id"] = np.arange(1, len(df) + 1)
    for c in ("unit", "qualifier"):
        if c not in df.columns:
            df[c] = None
    df["value"] = pd.to_numeric(df["value"], errors="coerce")
    undated = df.loc[df["date"].isna(), "lot"].astype(str).unique().tolist()
    if undated:
        raise InputError(f"results, column 'date': lot(s) {', '.join(undated[:5])} have no manufacturing date; "
                         "CPV trends lots by date")
    df["date"] = pd.to_datetime(df["date"]).dt.date
    df = df[df["value"].notna()]
    censored = df["qualifier"].fillna("").astype(str).str.strip() != ""
    n_censored = df[censored].groupby("attribute").size().to_dict()
    df = df[~censored]
    df = df.sort_values(["date", "lot"], kind="stable")

    summary, point_frames, sig_rows, cap_rows, trend_rows, near_rows = [], [], [], [], [], []
    charts: dict[str, trending.ImrChart] = {}
    for attribute in sorted(set(df["attribute"]) | set(n_censored)):
        g = df[df["attribute"] == attribute]
        lo, hi, lim_unit = lim.get(attribute, (None, None, None))
        unit_col = g["unit"].fillna("").astype(str).str.strip().tolist()
        present = [u for u in dict.fromkeys(unit_col) if u]
        unit = lim_unit if lim_unit else (present[-1] if present else "")
        values = g["value"].to_numpy(dtype=float)
        if any(u != unit for u in present):
            from pdkit.units import convert

            values = np.array([float(convert(v, u, unit, f"results, attribute {attribute!r}, lot {lot!r}"))
                               if u and u != unit else v for v, u, lot in zip(values, unit_col, g["lot"])])
        row = {"attribute": attribute, "unit": unit, "n": len(values), "n_censored": int(n_censored.get(attribute, 0)),
               "first_date": g["date"].min() if len(g) else None, "last_date": g["date"].max() if len(g) else None,
               "mean": float(values.mean()) if len(values) else None,
               "sd": float(values.std(ddof=1)) if len(values) > 1 else None,
               "center": None, "lcl": None, "ucl": None, "lower": lo, "upper": hi, "ppk": None,
               "ppk_ci_low": None, "ppk_ci_high": None, "n_signals": 0, "n_new_signals": 0, "n_near_limits": 0,
               "note": ""}
        if len(values) < 3 or np.ptp(values) == 0:
            row["note"] = "fewer than 3 results" if len(values) < 3 else "all results identical"
            summary.append(row)
            continue
        b = baseline if baseline is not None and 3 <= baseline <= len(values) else None
        try:
            # date order is applied by imr_chart itself (ties: lot number in natural order)
            chart = trending.imr_chart(values, labels=g["lot"].astype(str).tolist(), rules=rules, baseline=b,
                                       date=pd.Series(pd.to_datetime(g["date"].to_numpy())))
        except InputError as exc:
            row["note"] = str(exc)
            summary.append(row)
            continue
        charts[attribute] = chart
        order = chart.points["input_row"].to_numpy() - 1
        g = g.iloc[order]
        values = values[order]
        periods = [period_label(d, period) for d in g["date"]]
        pts = chart.points[["value", "zone", "rules", "signal", "mr_signal", "baseline"]].copy()
        pts.insert(0, "row_id", g["row_id"].to_numpy())
        pts.insert(0, "period", periods)
        pts.insert(0, "date", g["date"].to_numpy())
        pts.insert(0, "lot", g["lot"].astype(str).to_numpy())
        pts.insert(0, "attribute", attribute)
        point_frames.append(pts)
        row.update(center=chart.center, lcl=chart.lcl, ucl=chart.ucl)
        for s in chart.signals.itertuples(index=False):
            i = int(s.point) - 1
            rid = int(pts["row_id"].iloc[i])
            new = since_row_id is None or rid > int(since_row_id)
            sig_rows.append({"attribute": attribute, "lot": s.label, "date": pts["date"].iloc[i], "row_id": rid,
                             "chart": s.chart, "rule": int(s.rule), "description": s.description, "new": bool(new)})
            row["n_signals"] += 1
            row["n_new_signals"] += int(new)
        if lo is not None or hi is not None:
            cap = stats.capability(values, lsl=lo, usl=hi, confidence=confidence)
            row.update(ppk=cap.ppk, ppk_ci_low=cap.ppk_ci[0], ppk_ci_high=cap.ppk_ci[1])
            by_period: list[tuple[str, float, tuple[float, float]]] = []
            for p in dict.fromkeys(periods):
                v = values[np.array(periods) == p]
                rec = {"attribute": attribute, "period": p, "n": int(v.size), "mean": float(v.mean()),
                       "sd": float(v.std(ddof=1)) if v.size > 1 else None, "ppk": None, "ppk_ci_low": None,
                       "ppk_ci_high": None, "note": ""}
                if v.size < min_period_n:
                    rec["note"] = f"fewer than {min_period_n} results"
                else:
                    try:
                        c = stats.capability(v, lsl=lo, usl=hi, confidence=confidence)
                        rec.update(ppk=c.ppk, ppk_ci_low=c.ppk_ci[0], ppk_ci_high=c.ppk_ci[1])
                        by_period.append((p, c.ppk, c.ppk_ci))
                    except InputError as exc:
                        rec["note"] = str(exc)
                cap_rows.append(rec)
            if by_period:
                first, last = by_period[0], by_period[-1]
                trend_rows.append({"attribute": attribute, "periods": len(by_period), "first_period": first[0],
                                   "first_ppk": first[1], "last_period": last[0], "last_ppk": last[1],
                                   "change_per_period": _slope([x[1] for x in by_period]),
                                   "declining": bool(len(by_period) > 1 and last[2][1] < first[2][0])})
            for i, v in enumerate(values):
                margins = []
                if lo is not None:
                    margins.append(((v - lo) / chart.sigma, "lower"))
                if hi is not None:
                    margins.append(((hi - v) / chart.sigma, "upper"))
                m, side = min(margins)
                if m < near_sigma:
                    near_rows.append({"attribute": attribute, "lot": pts["lot"].iloc[i], "date": pts["date"].iloc[i],
                                      "value": float(v), "lower": lo, "upper": hi, "margin_sigma": float(m),
                                      "side": side})
                    row["n_near_limits"] += 1
        summary.append(row)

    def frame(rows: list[dict], cols: list[str]) -> pd.DataFrame:
        return pd.DataFrame(rows, columns=cols)

    points = (pd.concat(point_frames, ignore_index=True) if point_frames else
              frame([], ["attribute", "lot", "date", "period", "row_id", "value", "zone", "rules", "signal",
                         "mr_signal", "baseline"]))
    return CpvAnalysis(
        summary=frame(summary, ["attribute", "unit", "n", "n_censored", "first_date", "last_date", "mean", "sd",
                                "center", "lcl", "ucl", "lower", "upper", "ppk", "ppk_ci_low", "ppk_ci_high",
                                "n_signals", "n_new_signals", "n_near_limits", "note"]),
        points=points,
        signals=frame(sig_rows, ["attribute", "lot", "date", "row_id", "chart", "rule", "description", "new"]),
        capability=frame(cap_rows, ["attribute", "period", "n", "mean", "sd", "ppk", "ppk_ci_low", "ppk_ci_high",
                                    "note"]),
        ppk_trend=frame(trend_rows, ["attribute", "periods", "first_period", "first_ppk", "last_period", "last_ppk",
                                     "change_per_period", "declining"]),
        near_limits=frame(near_rows, ["attribute", "lot", "date", "value", "lower", "upper", "margin_sigma", "side"]),
        charts=charts, period=period, rules=rules,
    )
