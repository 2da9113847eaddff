"""Experimental factors and the coding between actual and coded units."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np
import pandas as pd

from pdkit.errors import InputError

__all__ = ["Factor", "as_factors", "code_factor_columns"]


@dataclass(frozen=True)
class Factor:
    """A DoE factor: continuous (``low``/``high`` in ``units``) or categorical (``levels``).

    Continuous factors are coded linearly so that ``low`` -> -1 and ``high`` -> +1;
    axial points of a central composite design therefore fall outside +/-1.
    Categorical factors have two or more ``levels``; two-level categorical factors
    are coded -1/+1 in level order, and a categorical factor with more than two levels
    keeps its level labels as its coded representation (the effect coding into k - 1
    model columns is done by :func:`pdkit.doe.model.model_matrix`).

    Parameters
    ----------
    name : str
        Column name (a valid Python identifier is recommended for formulas).
    low, high : float
        Range of a continuous factor in actual units, ``low < high``.
    units : str
        Units shown on worksheets and plots (e.g. ``"ug/1e6 cells"``).
    kind : {"continuous", "categorical"}
    levels : sequence, optional
        Levels of a categorical factor (``kind`` is then inferred as categorical).

    Examples
    --------
    >>> f = Factor("pei_ratio", 2.0, 5.0, units="w/w")
    >>> float(f.to_coded(3.5)), float(f.to_actual(1.0))
    (0.0, 5.0)
    >>> Factor("resin", levels=["AAVX", "AAV9"]).kind
    'categorical'
    """

    name: str
    low: float | None = None
    high: float | None = None
    units: str = ""
    kind: str = "continuous"
    levels: tuple = field(default=())

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise InputError(f"factor name must be a non-empty string, got {self.name!r}")
        levels = tuple(self.levels) if self.levels is not None else ()
        kind = self.kind
        if levels and kind == "continuous":
            kind = "categorical"
        object.__setattr__(self, "levels", levels)
        object.__setattr__(self, "kind", kind)
        if kind not in ("continuous", "categorical"):
            raise InputError(f"factor '{self.name}': kind must be 'continuous' or 'categorical', got {kind!r}")
        if kind == "categorical":
            if len(levels) < 2:
                raise InputError(f"factor '{self.name}': a categorical factor needs at least 2 levels, got {list(levels)}")
            if len(set(levels)) != len(levels):
                raise InputError(f"factor '{self.name}': categorical levels repeat: {list(levels)}")
            return
        try:
            low, high = float(self.low), float(self.high)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise InputError(
                f"factor '{self.name}': a continuous factor needs numeric low and high, got low={self.low!r}, high={self.high!r}"
            ) from None
        if not (np.isfinite(low) and np.isfinite(high)) or not low < high:
            raise InputError(f"factor '{self.name}': expected low < high, got low={self.low!r}, high={self.high!r}")
        object.__setattr__(self, "low", low)
        object.__setattr__(self, "high", high)

    @property
    def is_continuous(self) -> bool:
        return self.kind == "continuous"

    @property
    def center(self) -> float:
        """Midpoint of a continuous factor's range."""
        self._need_continuous()
        return (self.low + self.high) / 2.0  # type: ignore[operator]

    @property
    def half_range(self) -> float:
        """Half the range of a continuous factor (one coded unit in actual units)."""
        self._need_continuous()
        return (self.high - self.low) / 2.0  # type: ignore[operator]

    def _need_continuous(self) -> None:
        if not self.is_continuous:
            raise InputError(f"factor '{self.name}' is categorical; it has no numeric range")

    def _check_levels(self, values: Any) -> np.ndarray:
        vals = np.atleast_1d(np.asarray(values, dtype=object))
        bad = [v for v in vals if v not in self.levels]
        if bad:
            raise InputError(f"factor '{self.name}': level(s) {bad} not among declared levels {list(self.levels)}")
        return vals

    def to_coded(self, actual: Any) -> Any:
        """Actual units -> coded units.

        * continuous: ``(actual - center) / half_range`` (floats; ``low`` -> -1, ``high`` -> +1);
        * two-level categorical: -1 for the first level, +1 for the second (floats);
        * categorical with more than two levels: the level label itself (object array,
          validated against ``levels``).  The effect (sum-to-zero) coding into k - 1
          model columns happens in :func:`pdkit.doe.model.model_matrix`, which takes
          these labels.

        Examples
        --------
        >>> Factor("resin", levels=["AAVX", "AAV9"]).to_coded(["AAV9", "AAVX"]).tolist()
        [1.0, -1.0]
        >>> Factor("serotype", levels=["AAV2", "AAV8", "AAV9"]).to_coded(["AAV8"]).tolist()
        ['AAV8']
        """
        if self.is_continuous:
            return (np.asarray(actual, dtype=float) - self.center) / self.half_range
        vals = self._check_levels(actual)
        if len(self.levels) == 2:
            return np.array([-1.0 if v == self.levels[0] else 1.0 for v in vals])
        return vals

    def to_actual(self, coded: Any) -> Any:
        """Coded units -> actual units: the inverse of :meth:`to_coded`.

        Continuous: ``center + coded * half_range``; two-level categorical: -1/+1 -> level;
        categorical with more than two levels: the coded value is already the label
        (validated against ``levels`` and returned as an object array).
        """
        if self.is_continuous:
            return self.center + np.asarray(coded, dtype=float) * self.half_range
        if len(self.levels) == 2:
            c = np.atleast_1d(np.asarray(coded, dtype=float))
            if not np.all(np.isin(c, (-1.0, 1.0))):
                raise InputError(f"factor '{self.name}': coded values of a two-level categorical factor must be "
                                 f"-1 or +1, got {sorted(set(c.tolist()) - {-1.0, 1.0})}")
            return np.array([self.levels[int(i)] for i in np.rint((c + 1) / 2)], dtype=object)
        return self._check_levels(coded)

    def label(self) -> str:
        """Name with units for axis titles, e.g. ``'pei_ratio (w/w)'``."""
        return f"{self.name} ({self.units})" if self.units else self.name


def as_factors(factors: Sequence[Factor | dict]) -> list[Factor]:
    """Validate a sequence of :class:`Factor` (or dicts of its fields); names must be unique."""
    out: list[Factor] = []
    for f in factors:
        if isinstance(f, Factor):
            out.append(f)
        elif isinstance(f, dict):
            try:
                out.append(Factor(**f))
            except TypeError as exc:
                raise InputError(f"factor {f!r}: {exc}") from None
        else:
            raise InputError(f"expected Factor objects or dicts, got {type(f).__name__}")
    names = [f.name for f in out]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise InputError(f"factor names must be unique; repeated: {dupes}")
    if not out:
        raise InputError("at least one factor is needed")
    return out


def code_factor_columns(table: pd.DataFrame, factors: Sequence[Factor], source: str, *,
                        units: str = "actual") -> pd.DataFrame:
    """The factor columns of a table of runs, checked cell by cell and coded (:meth:`Factor.to_coded`).

    Parameters
    ----------
    table : DataFrame
        One row per run; a column per factor (other columns are ignored).
    factors : sequence of Factor
    source : str
        Named in errors (a file name, ``"candidates"``).
    units : {"actual", "coded"}
        Units of the continuous columns; with ``"coded"`` a two-level categorical factor may
        also be given as -1/+1.

    Returns
    -------
    DataFrame
        Same index as ``table``: coded continuous factors, -1/+1 for two-level categorical
        factors, level labels for categorical factors with more levels.

    Raises
    ------
    InputError
        A missing factor column, or the first cell that is not a number / not a level,
        named by row (1-based) and column.

    Examples
    --------
    >>> fs = [Factor("temp", 30, 40), Factor("resin", levels=["A", "B"])]
    >>> t = pd.DataFrame({"temp": [30, 35], "resin": ["B", " A"]})
    >>> code_factor_columns(t, fs, "runs.csv").to_dict("list")
    {'temp': [-1.0, 0.0], 'resin': [1.0, -1.0]}
    """
    missing = [f.name for f in factors if f.name not in table.columns]
    if missing:
        raise InputError(f"{source}: missing factor column(s) {missing} (columns present: "
                         f"{', '.join(map(str, table.columns))})")
    coded = {}
    for f in factors:
        col = table[f.name]
        if f.is_continuous:
            v = pd.to_numeric(col, errors="coerce").to_numpy(dtype=float)
            bad = np.flatnonzero(~np.isfinite(v))
            if len(bad):
                raise InputError(f"{source}, row {bad[0] + 1}, column '{f.name}': got {col.iloc[bad[0]]!r}, "
                                 "expected a number")
            coded[f.name] = f.to_coded(v) if units == "actual" else v
            continue
        signs = units == "coded" and len(f.levels) == 2
        labels = []
        for i, x in enumerate(col):
            x = x.strip() if isinstance(x, str) else x
            if signs and isinstance(x, (int, float, np.integer, np.floating)) and not isinstance(x, bool) \
                    and x in (-1, 1):
                x = f.levels[0 if x == -1 else 1]
            if x not in f.levels:
                raise InputError(f"{source}, row {i + 1}, column '{f.name}': got {x!r}, expected one of the "
                                 f"levels {list(f.levels)}")
            labels.append(x)
        coded[f.name] = f.to_coded(labels) if len(f.levels) == 2 else np.array(labels, dtype=object)
    return pd.DataFrame(coded, index=table.index)
