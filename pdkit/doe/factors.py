"""Experimental factors and the coding between actual and coded units."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from ..errors import InputError

__all__ = ["Factor", "as_factors"]


@dataclass(frozen=True)
class Factor:
    """A DoE factor: continuous (``low``/``high`` in ``units``) or categorical (``levels``).

    Continuous factors are coded linearly so that ``low`` -> -1 and ``high`` -> +1;
    axial points of a central composite design therefore fall outside +/-1.
    Categorical factors have two or more ``levels``; two-level categorical factors
    are coded -1/+1 in level order.

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

    def to_coded(self, actual: Any) -> Any:
        """Actual units -> coded units (continuous), or level -> -1/+1 index coding (2 levels)."""
        if self.is_continuous:
            return (np.asarray(actual, dtype=float) - self.center) / self.half_range
        idx = np.array([self.levels.index(v) if v in self.levels else -1 for v in np.atleast_1d(actual)])
        if (idx < 0).any():
            bad = [v for v, i in zip(np.atleast_1d(actual), idx) if i < 0]
            raise InputError(f"factor '{self.name}': level(s) {bad} not among declared levels {list(self.levels)}")
        if len(self.levels) == 2:
            return 2.0 * idx - 1.0
        return idx

    def to_actual(self, coded: Any) -> Any:
        """Coded units -> actual units (continuous) or -1/+1 (or level index) -> level."""
        if self.is_continuous:
            return self.center + np.asarray(coded, dtype=float) * self.half_range
        c = np.atleast_1d(np.asarray(coded, dtype=float))
        idx = np.rint((c + 1) / 2).astype(int) if len(self.levels) == 2 else np.rint(c).astype(int)
        return np.array([self.levels[i] for i in idx], dtype=object)

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
