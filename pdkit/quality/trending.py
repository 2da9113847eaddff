"""Lot trending: individuals and moving-range (I-MR) control charts with run rules.

Limits use the average moving range of span 2: ``sigma = MRbar / d2`` with d2 = 1.128,
individuals limits ``center ± 3 sigma`` (= ``center ± 2.66 MRbar``), moving-range centre
``MRbar`` and upper limit ``D4 · MRbar`` with D4 = 3.267 (lower limit 0).  Limits can be
fixed from a baseline (the first ``baseline`` points) and applied to later lots.

Run rules are evaluated on the individuals chart.  Each signal is reported at the point
that *completes* the pattern (the last point of the window), as most SPC software does;
a pattern that keeps going signals again at every further point.  Zones are measured
from the centre line in units of sigma: a point exactly on a boundary is not beyond it,
and a point exactly on the centre line is on neither side.

Nelson (1984, J. Quality Technology 16:237) rules (``rules="nelson"``):

1. one point beyond 3 sigma;
2. nine points in a row on the same side of the centre line;
3. six points in a row steadily increasing or decreasing;
4. fourteen points in a row alternating up and down;
5. two out of three points in a row beyond 2 sigma on the same side (the signalled point
   is one of them);
6. four out of five points in a row beyond 1 sigma on the same side (the signalled point
   is one of them);
7. fifteen points in a row within 1 sigma of the centre line (either side);
8. eight points in a row beyond 1 sigma, on either side (none within 1 sigma).

Western Electric (Statistical Quality Control Handbook, 1956) rules
(``rules="western_electric"``): 1. one point beyond 3 sigma; 2. two of three beyond 2 sigma
on the same side; 3. four of five beyond 1 sigma on the same side; 4. eight in a row on the
same side.

The moving-range chart contributes one test: a moving range above its upper limit
(reported with ``chart="MR"``, rule 1).

Ordering by date: with ``date=`` the points are put in date order before anything is
computed (moving ranges, baseline, rules).  Text dates are parsed with the explicit
``date_format`` (``strptime`` codes such as ``"%Y-%m-%d"``); formats are never guessed, and a
date that does not match (``"10/6"`` under ``"%m/%d/%Y"``) is an error naming its row and
column.  Lots sharing a date (ties) are ordered by their label (lot id) in natural order
(``L9`` before ``L10``), then by input position; ``ImrChart.ties`` lists them.

Examples
--------
>>> from pdkit.trending import imr_chart
>>> r = imr_chart([49.6, 47.6, 49.9, 51.3, 47.8, 51.2, 52.6, 52.4, 53.6, 52.1])
>>> round(r.center, 2), round(r.mr_center, 4)
(50.81, 1.8778)
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import re
from dataclasses import field

import numpy as np
import pandas as pd

from pdkit.errors import InputError
from pdkit.results import ResultMixin, fmt
from pdkit.quality.stats import as_values

__all__ = ["imr_chart", "ImrChart", "parse_dates", "D2_2", "D4_2", "RULES"]

D2_2 = 1.128  #: d2 for a moving range of span 2
D4_2 = 3.267  #: D4 for a moving range of span 2

RULES: dict[str, dict[int, str]] = {
    "nelson": {
        1: "1 point beyond 3 sigma",
        2: "9 points in a row on the same side of the center line",
        3: "6 points in a row steadily increasing or decreasing",
        4: "14 points in a row alternating up and down",
        5: "2 of 3 points in a row beyond 2 sigma, same side",
        6: "4 of 5 points in a row beyond 1 sigma, same side",
        7: "15 points in a row within 1 sigma of the center line",
        8: "8 points in a row beyond 1 sigma, either side",
    },
    "western_electric": {
        1: "1 point beyond 3 sigma",
        2: "2 of 3 points in a row beyond 2 sigma, same side",
        3: "4 of 5 points in a row beyond 1 sigma, same side",
        4: "8 points in a row on the same side of the center line",
    },
}
MR_RULE = "moving range above its upper control limit"


@dataclass(frozen=True)
class ImrChart(ResultMixin):
    """Result of :func:`imr_chart`.

    Attributes
    ----------
    points : DataFrame
        One row per value: ``point`` (1-based), ``label``, ``value``, ``moving_range`` (NaN for
        the first point, which has none), ``center``, ``lcl``, ``ucl``, ``mr_center``, ``mr_ucl``,
        ``zone`` (signed distance from the centre in sigma), ``rules`` (comma-separated rule
        numbers that fire at the point, "" if none), ``signal`` (bool), ``mr_signal`` (bool),
        ``baseline`` (bool: used to compute the limits).
    signals : DataFrame
        One row per (point, rule): ``point``, ``label``, ``chart`` ("I" or "MR"), ``rule``,
        ``description``.
    ties : DataFrame or None
        With ``date=``: one row per date shared by several points: ``date``, ``n``, ``labels``
        (in the order used); empty when no date repeats; None without dates.
    notes : tuple of str
        What was done with dates (ordering, ties).

    With ``date=`` the ``points`` table also has ``date`` (datetime64) and ``input_row``
    (1-based position of the value in the input), and ``point`` is the position in date order.
    """

    points: pd.DataFrame
    signals: pd.DataFrame
    center: float
    sigma: float
    lcl: float
    ucl: float
    mr_center: float
    mr_ucl: float
    rules: str
    baseline: int
    ties: pd.DataFrame | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def dated(self) -> bool:
        """True when the points were ordered by date."""
        return "date" in self.points.columns

    @property
    def in_control(self) -> bool:
        """True when no rule fired on either chart."""
        return self.signals.empty

    _frame_from = 'points'  # to_frame() is this table

    def summary(self) -> str:
        """One line: points, centre and limits, and whether any rule fired."""
        state = "in control" if self.in_control else f"{len(self.signals)} signal(s) ({self.rules} rules)"
        return f"I-MR chart of {len(self.points)} points: centre {fmt(self.center)}, limits " \
               f"{fmt(self.lcl)} to {fmt(self.ucl)}; {state}"


def _runs_same_sign(s: np.ndarray, length: int) -> np.ndarray:
    """True at i when s[i-length+1..i] are all equal and non-zero."""
    n = s.size
    out = np.zeros(n, dtype=bool)
    for i in range(length - 1, n):
        w = s[i - length + 1 : i + 1]
        if w[0] != 0 and np.all(w == w[0]):
            out[i] = True
    return out


def _k_of_m(z: np.ndarray, k: int, m: int, beyond: float) -> np.ndarray:
    """True at i when >= k of the last m points are beyond ``beyond`` sigma on one side,
    and point i is one of them."""
    n = z.size
    up = z > beyond
    dn = z < -beyond
    out = np.zeros(n, dtype=bool)
    for i in range(m - 1, n):
        sl = slice(i - m + 1, i + 1)
        if (up[i] and up[sl].sum() >= k) or (dn[i] and dn[sl].sum() >= k):
            out[i] = True
    return out


def _evaluate(z: np.ndarray, x: np.ndarray, rules: str) -> dict[int, np.ndarray]:
    n = z.size
    side = np.sign(z)
    d = np.sign(np.diff(x))  # d[j] = sign(x[j+1] - x[j])

    def trend(length: int) -> np.ndarray:  # `length` points -> length-1 differences of one sign
        out = np.zeros(n, dtype=bool)
        for i in range(length - 1, n):
            w = d[i - length + 1 : i]
            if w[0] != 0 and np.all(w == w[0]):
                out[i] = True
        return out

    def alternating(length: int) -> np.ndarray:
        out = np.zeros(n, dtype=bool)
        for i in range(length - 1, n):
            w = d[i - length + 1 : i]
            if np.all(w != 0) and np.all(w[1:] == -w[:-1]):
                out[i] = True
        return out

    def all_in_window(mask: np.ndarray, length: int) -> np.ndarray:
        out = np.zeros(n, dtype=bool)
        for i in range(length - 1, n):
            out[i] = bool(mask[i - length + 1 : i + 1].all())
        return out

    beyond3 = np.abs(z) > 3
    if rules == "nelson":
        return {
            1: beyond3,
            2: _runs_same_sign(side, 9),
            3: trend(6),
            4: alternating(14),
            5: _k_of_m(z, 2, 3, 2.0),
            6: _k_of_m(z, 4, 5, 1.0),
            7: all_in_window(np.abs(z) < 1, 15),
            8: all_in_window(np.abs(z) > 1, 8),
        }
    return {
        1: beyond3,
        2: _k_of_m(z, 2, 3, 2.0),
        3: _k_of_m(z, 4, 5, 1.0),
        4: _runs_same_sign(side, 8),
    }


def _natural_key(label: Any) -> tuple:
    """Sort key: text with its digit runs compared as numbers ('L9' < 'L10')."""
    parts = re.split(r"(\d+)", str(label))
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in parts if p != "")


def parse_dates(
    dates: Any,
    date_format: str | None = None,
    column: str = "date",
    labels: Sequence[Any] | None = None,
) -> pd.Series:
    """Parse ``dates`` into a datetime64 Series (positional index), one value per row.

    Parameters
    ----------
    dates : sequence or pandas Series
        datetime64 values, ``datetime``/``date``/``Timestamp`` objects, or text.  Text needs
        ``date_format``.
    date_format : str, optional
        ``strptime`` format of text dates, e.g. ``"%Y-%m-%d"`` or ``"%d.%m.%Y"``; required for
        text, never guessed.  The whole text must match (``"10/6"`` does not match ``"%m/%d/%Y"``).
    column : str
        Column name used in messages.
    labels : sequence, optional
        Row labels (lot ids) named in messages next to the row number.

    Returns
    -------
    pandas.Series of datetime64[ns]

    Raises
    ------
    InputError
        ``column 'date', row 4 (lot 'L04'): '10/6' does not match date format '%m/%d/%Y'``; also for
        missing dates and for text without ``date_format``.

    Examples
    --------
    >>> parse_dates(["2024-03-04", "2024-03-11"], "%Y-%m-%d").dt.day.tolist()
    [4, 11]
    >>> try:
    ...     parse_dates(["10/06/2024", "10/6"], "%m/%d/%Y")
    ... except InputError as e:
    ...     print(e)
    column 'date', row 2: '10/6' does not match date format '%m/%d/%Y'
    """
    if isinstance(dates, (str, bytes)) or np.isscalar(dates):
        raise InputError(f"column '{column}': expected one date per value, got a single value {dates!r}")
    raw = list(dates.to_numpy(dtype=object)) if isinstance(dates, pd.Series) else list(dates)
    if labels is not None and len(labels) != len(raw):
        labels = None
    if date_format is not None and (not isinstance(date_format, str) or "%" not in date_format):
        raise InputError(f"parameter 'date_format': expected a strptime format such as '%Y-%m-%d', got {date_format!r}")
    out = []
    for i, v in enumerate(raw):
        where = f"column '{column}', row {i + 1}" + (f" (lot {labels[i]!r})" if labels is not None else "")
        if v is None or v is pd.NaT or (isinstance(v, float) and np.isnan(v)) or (isinstance(v, str) and not v.strip()):
            raise InputError(f"{where}: date is missing")
        if isinstance(v, str):
            if date_format is None:
                raise InputError(f"{where}: dates are text ({v!r}); give date_format, e.g. '%Y-%m-%d' "
                                 "(date formats are never guessed)")
            ts = pd.to_datetime(v.strip(), format=date_format, exact=True, errors="coerce")
            if ts is pd.NaT or pd.isna(ts):
                raise InputError(f"{where}: {v!r} does not match date format {date_format!r}")
            out.append(ts)
            continue
        if isinstance(v, (bool, np.bool_, int, float, np.integer, np.floating)):
            raise InputError(f"{where}: expected a date, got the number {v!r} (a spreadsheet serial date? "
                             "export dates as text and give date_format)")
        try:
            ts = pd.Timestamp(v)
        except (TypeError, ValueError):
            raise InputError(f"{where}: expected a date, got {v!r}") from None
        if pd.isna(ts):
            raise InputError(f"{where}: date is missing")
        if ts.tzinfo is not None:  # compare instants: convert to UTC, then drop the zone
            ts = ts.tz_convert("UTC").tz_localize(None)
        out.append(ts)
    result = pd.Series(out, dtype="datetime64[ns]") if out else pd.Series([], dtype="datetime64[ns]")
    return result


def imr_chart(
    values: Any,
    labels: Sequence[Any] | None = None,
    rules: str = "nelson",
    baseline: int | None = None,
    *,
    date: Any = None,
    date_format: str | None = None,
    date_column: str = "date",
) -> ImrChart:
    """Individuals and moving-range chart with Nelson or Western Electric run rules.

    Parameters
    ----------
    values : sequence of numbers or pandas Series
        Results in time (lot) order, at least 3.
    labels : sequence, optional
        Point labels such as lot numbers (default: the Series index, else 1..n).
    rules : {"nelson", "western_electric"}
        Which rule set to apply (see the module docstring for the definitions).
    baseline : int, optional
        Compute the limits from the first ``baseline`` points only (>= 3) and apply them to
        all points; default all points.  With ``date=`` "first" means earliest.
    date : sequence or pandas Series, optional
        One date per value (same length and position; datetime64 or text).  The points are
        ordered by date, ties by label (natural order) then input position; see
        :func:`parse_dates`.  Without it the input order is the time order.
    date_format : str, optional
        ``strptime`` format of text dates (required for text; never guessed).
    date_column : str
        Name of the date column in messages (default ``"date"``).

    Returns
    -------
    ImrChart

    Examples
    --------
    >>> r = imr_chart([10.0, 10.2, 9.9, 10.1, 10.0, 13.5], rules="western_electric", baseline=5)
    >>> r.signals[["point", "rule"]].values.tolist()
    [[6, 1], [6, 1]]
    >>> r.signals["chart"].tolist()
    ['I', 'MR']
    >>> d = imr_chart([3.0, 1.0, 2.0, 2.5], labels=["L3", "L1", "L2", "L4"],
    ...               date=["2024-03-18", "2024-03-04", "2024-03-11", "2024-03-11"], date_format="%Y-%m-%d")
    >>> d.points["label"].tolist(), d.ties["labels"].tolist()
    (['L1', 'L2', 'L4', 'L3'], ['L2, L4'])
    """
    x = as_values(values, "values", min_n=3)
    n = x.size
    if rules not in RULES:
        raise InputError(f"parameter 'rules': expected 'nelson' or 'western_electric', got {rules!r}")
    if labels is None:
        labs = list(values.index) if isinstance(values, pd.Series) else list(range(1, n + 1))
    else:
        if isinstance(labels, (str, bytes)):
            raise InputError("parameter 'labels': expected a sequence of labels, got a string")
        labs = list(labels)
        if len(labs) != n:
            raise InputError(f"parameter 'labels': expected {n} labels (one per value), got {len(labs)}")
    dates = None
    ties = None
    notes: list[str] = []
    order = np.arange(n)
    if date is not None:
        if isinstance(date, (str, bytes)):
            raise InputError(f"parameter 'date': expected one date per value (a sequence or Series), got the text "
                             f"{date!r}; pass the column's values, e.g. table[{date!r}]")
        if len(date) != n:
            raise InputError(f"parameter 'date': expected {n} dates (one per value), got {len(date)}")
        named = labels is not None or isinstance(values, pd.Series)
        parsed = parse_dates(date, date_format, date_column, labs if named else None)
        keys = sorted(range(n), key=lambda i: (parsed.iloc[i].value, _natural_key(labs[i]), i))
        order = np.array(keys, dtype=int)
        x = x[order]
        labs = [labs[i] for i in order]
        dates = parsed.iloc[order].reset_index(drop=True)
        counts = dates.value_counts(sort=False)
        tied = counts[counts > 1]
        rows = [{"date": d, "n": int(c), "labels": ", ".join(str(labs[i]) for i in np.flatnonzero(dates == d))}
                for d, c in tied.sort_index().items()]
        ties = pd.DataFrame(rows, columns=["date", "n", "labels"])
        moved = int(np.sum(order != np.arange(n)))
        notes.append(f"points ordered by {date_column!r}" + (f" ({moved} moved from input order)" if moved else
                                                           " (input was already in date order)"))
        if len(ties):
            shown = "; ".join(f"{r['date']:%Y-%m-%d}: {r['labels']}" for r in rows[:5])
            notes.append(f"{len(ties)} date(s) shared by several lots ({shown}{' ...' if len(rows) > 5 else ''}); "
                         "tied lots are ordered by lot label (natural order), then input position")
    if baseline is None:
        b = n
    else:
        if isinstance(baseline, (bool, np.bool_)) or not isinstance(baseline, (int, np.integer)):
            raise InputError(f"parameter 'baseline': expected a whole number of points 3..{n}, got {baseline!r}")
        b = int(baseline)
        if b < 3 or b > n:
            raise InputError(f"parameter 'baseline': expected a whole number of points 3..{n}, got {baseline!r}")
    mr = np.concatenate([[np.nan], np.abs(np.diff(x))])
    center = float(x[:b].mean())
    mr_center = float(np.nanmean(mr[1:b]))
    if mr_center == 0:
        raise InputError("values: all baseline values are identical (average moving range 0); limits are undefined")
    sigma = mr_center / D2_2
    lcl, ucl = center - 3 * sigma, center + 3 * sigma
    mr_ucl = D4_2 * mr_center
    z = (x - center) / sigma
    fired = _evaluate(z, x, rules)
    mr_sig = np.zeros(n, dtype=bool)
    mr_sig[1:] = mr[1:] > mr_ucl

    rule_lists: list[list[int]] = [[] for _ in range(n)]
    sig_rows = []
    for i in range(n):
        for r, mask in fired.items():
            if mask[i]:
                rule_lists[i].append(r)
                sig_rows.append({"point": i + 1, "label": labs[i], "chart": "I", "rule": r,
                                 "description": RULES[rules][r]})
        if mr_sig[i]:
            sig_rows.append({"point": i + 1, "label": labs[i], "chart": "MR", "rule": 1, "description": MR_RULE})
    points = pd.DataFrame(
        {
            "point": np.arange(1, n + 1),
            "label": labs,
            "value": x,
            "moving_range": mr,
            "center": center,
            "lcl": lcl,
            "ucl": ucl,
            "mr_center": mr_center,
            "mr_ucl": mr_ucl,
            "zone": z,
            "rules": [",".join(str(r) for r in rl) for rl in rule_lists],
            "signal": [bool(rl) for rl in rule_lists],
            "mr_signal": mr_sig,
            "baseline": np.arange(n) < b,
        }
    )
    if dates is not None:
        points["date"] = dates.to_numpy()
        points["input_row"] = order + 1
    signals = pd.DataFrame(sig_rows, columns=["point", "label", "chart", "rule", "description"])
    signals = signals.astype({"point": int, "rule": int})
    return ImrChart(points, signals, center, sigma, lcl, ucl, mr_center, mr_ucl, rules, b, ties, tuple(notes))
