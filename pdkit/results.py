"""One protocol for every result object of the computational modules.

A result (a frozen dataclass from :mod:`pdkit.quality` or :mod:`pdkit.process`) has

``summary() -> str``
    one short sentence for people (printed in notebooks and reports);
``to_frame() -> pandas.DataFrame``
    a tidy table: the result's own table where it has one (a capability index per
    row, a batch per row, a chart point per row, ...), otherwise one row per
    quantity with columns ``quantity`` and ``value``;
``_repr_html_() -> str``
    how Jupyter shows it: the summary and the table, every text HTML-escaped (lot,
    batch or attribute names come from users' files).

:class:`ResultMixin` gives the three from two class attributes, so a result class
only writes what is particular to it.  :class:`Result` is the protocol to check
against (``isinstance(obj, Result)``).

Examples
--------
>>> from dataclasses import dataclass
>>> @dataclass(frozen=True)
... class Mean(ResultMixin):
...     name: str
...     mean: float
...     n: int
...     def summary(self) -> str:
...         return f"{self.name}: mean {self.mean:.3g} (n = {self.n})"
>>> m = Mean("<b>titer</b>", 1.234567, 3)
>>> isinstance(m, Result)
True
>>> m.to_frame()
  quantity         value
0     name  <b>titer</b>
1     mean      1.234567
2        n             3
>>> "<b>" in m._repr_html_(), "&lt;b&gt;titer" in m._repr_html_()
(False, True)
"""
from __future__ import annotations

import dataclasses
import html
import math
import numbers
from typing import Any, ClassVar, Protocol, runtime_checkable

import pandas as pd

__all__ = ["Result", "ResultMixin", "quantity_frame", "result_html", "fmt"]


@runtime_checkable
class Result(Protocol):
    """What every public result object offers (see the module notes)."""

    def summary(self) -> str:
        """One short human-readable sentence."""
        ...

    def to_frame(self) -> pd.DataFrame:
        """A tidy table of the result."""
        ...

    def _repr_html_(self) -> str:
        """Escaped HTML for Jupyter."""
        ...


def fmt(value: Any, digits: int = 4) -> str:
    """A number for a sentence: ``digits`` significant figures, ``n/a`` for None/NaN, ``inf`` kept.

    Examples
    --------
    >>> fmt(1.23456), fmt(None), fmt(float("inf")), fmt(12), fmt(True)
    ('1.235', 'n/a', 'inf', '12', 'True')
    """
    if value is None:
        return "n/a"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        v = float(value)
        if math.isnan(v):
            return "n/a"
        return f"{v:.{digits}g}"
    return str(value)


def _scalar(value: Any) -> bool:
    return value is None or isinstance(value, (str, bool, numbers.Number))


def quantity_frame(obj: Any, exclude: tuple[str, ...] = ()) -> pd.DataFrame:
    """One row per scalar attribute of dataclass ``obj``: columns ``quantity`` and ``value``.

    A pair of numbers (a confidence interval, ``bounds``) becomes two rows,
    ``<name>_low`` and ``<name>_high``; a tuple of texts (``notes``) one row
    with the texts joined by ``"; "``; a nested result is flattened with its
    name as prefix (``extrapolation.max_time``), and so is a mapping of scalars
    (``settings.temp``).  Tables, models and private attributes are left out.

    Examples
    --------
    >>> from dataclasses import dataclass
    >>> @dataclass
    ... class R:
    ...     k: float
    ...     ci: tuple
    ...     notes: tuple = ()
    >>> quantity_frame(R(2.5, (1.0, 4.0), ("a", "b")))
      quantity value
    0        k   2.5
    1   ci_low   1.0
    2  ci_high   4.0
    3    notes  a; b
    """
    rows: list[tuple[str, Any]] = []

    def add(prefix: str, value: Any) -> None:
        if _scalar(value):
            rows.append((prefix, value))
        elif isinstance(value, tuple) and len(value) == 2 and all(
                v is None or (isinstance(v, numbers.Real) and not isinstance(v, bool)) for v in value):
            rows.extend([(f"{prefix}_low", value[0]), (f"{prefix}_high", value[1])])
        elif isinstance(value, tuple) and all(_scalar(v) for v in value):
            rows.append((prefix, "; ".join(str(v) for v in value)))
        elif isinstance(value, dict) and value and all(_scalar(v) for v in value.values()):
            rows.extend((f"{prefix}.{k}", v) for k, v in value.items())  # settings, predictions by name
        elif dataclasses.is_dataclass(value) and not isinstance(value, type):
            for f in dataclasses.fields(value):
                if not f.name.startswith("_"):
                    add(f"{prefix}.{f.name}", getattr(value, f.name))

    for f in dataclasses.fields(obj):
        if f.name.startswith("_") or f.name in exclude:
            continue
        add(f.name, getattr(obj, f.name))
    return pd.DataFrame({"quantity": [r[0] for r in rows],
                         "value": pd.Series([r[1] for r in rows], dtype=object)})


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return fmt(value, 6)
    return "" if value is None else str(value)


def result_html(summary: str, frame: pd.DataFrame, *, max_rows: int = 60) -> str:
    """The HTML Jupyter shows for a result: the summary, then the table; all text escaped.

    Column names and every cell are escaped by pandas (``escape=True``); the
    summary with :func:`html.escape`.  Long tables show their first and last rows.

    Examples
    --------
    >>> import pandas as pd
    >>> page = result_html("lot <script>", pd.DataFrame({"lot": ["<script>alert(1)</script>"]}))
    >>> "<script>" in page
    False
    """
    table = frame.to_html(escape=True, index=False, na_rep="", border=0, max_rows=max_rows,
                          classes="pdkit-result", formatters={c: _cell for c in frame.columns
                                                              if frame[c].dtype == object})
    return f'<div class="pdkit-result"><p>{html.escape(summary)}</p>{table}</div>'


class ResultMixin:
    """``summary``, ``to_frame`` and ``_repr_html_`` for a frozen-dataclass result.

    A class sets ``_frame_from`` to the name of an attribute or method that gives
    its tidy table (e.g. ``"per_batch"`` or ``"table"``); without it
    :meth:`to_frame` is :func:`quantity_frame`.  Override :meth:`summary` for a
    sentence; the default names the class and its first few numbers.
    """

    #: attribute or method (no arguments) giving the result's tidy table; None: one row per quantity
    _frame_from: ClassVar[str | None] = None
    #: attributes named by the default :meth:`summary`
    _summary_fields: ClassVar[tuple[str, ...]] = ()

    def as_dict(self) -> dict[str, Any]:
        """The result's fields as a plain dict (for tables and :func:`pdkit.record.record`)."""
        return dict(self.__dict__)

    def summary(self) -> str:
        """One short sentence: the class and its main numbers."""
        names = self._summary_fields or tuple(
            f.name for f in dataclasses.fields(self)  # type: ignore[arg-type]
            if not f.name.startswith("_") and _scalar(getattr(self, f.name)))[:4]
        return f"{type(self).__name__}: " + ", ".join(f"{n} {fmt(getattr(self, n))}" for n in names)

    def to_frame(self) -> pd.DataFrame:
        """A tidy table of the result (a copy: changing it does not change the result)."""
        if self._frame_from is None:
            return quantity_frame(self)
        table = getattr(self, self._frame_from)
        if callable(table):
            table = table()
        return pd.DataFrame(table).copy()

    def _repr_html_(self) -> str:
        return result_html(self.summary(), self.to_frame())
