"""Bokeh plotting for pdkit (imported only by reports, notebooks and the explorer).

Domain plots live in ``pdkit.plots.<domain>`` and return bokeh figures built from
pdkit result objects; they never compute statistics themselves.  In notebooks
call :func:`setup` once and :func:`show` for each figure: resources are inline,
so exported HTML reports render with the network off.  :func:`setup` also sets
pandas' display options (:func:`table_display`) so that a report table shows every
row, every column and the whole text of every cell, and never a negative zero
(:func:`without_negative_zero`).
"""
from __future__ import annotations

from typing import Any

__all__ = ["setup", "show", "inline_resources", "table_display", "TABLE_DISPLAY_OPTIONS", "PALETTE",
           "without_negative_zero", "display_without_negative_zero"]

# Okabe-Ito colour-blind-safe palette.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]

_ready = False

# BokehJS bundles embedded in notebooks and reports.  pdkit's figures use core
# bokeh only (no bokeh widgets, DataTable, WebGL or LaTeX labels), so the other
# bundles (MathJax alone is 1.8 MB) are left out; a plot module that needs one
# must add it here.
INLINE_COMPONENTS = ("bokeh",)


def inline_resources():
    """Bokeh ``Resources`` with the JavaScript inline (no CDN) and without MathJax."""
    from bokeh.resources import Resources

    return Resources(mode="inline", components=list(INLINE_COMPONENTS))


#: pandas display options for reports: a report (and its PDF) never hides rows or
#: columns behind "..." nor cuts cell text; the plain-text form of a wide table wraps
#: its columns into blocks of at most ``display.width`` characters (80 fits a page).
TABLE_DISPLAY_OPTIONS = {
    "display.max_rows": None,
    "display.max_columns": None,
    "display.max_colwidth": None,
    "display.width": 80,
}


def table_display() -> None:
    """Make pandas show whole tables in this process: every row and column, full cell text.

    Pandas' defaults shorten a table of more than 60 rows to its first and last
    5 (with "255 rows x 6 columns" under it), drop middle columns of wide tables
    and cut cell text after 50 characters; none of that is acceptable in a
    report that is archived or printed.  Called by :func:`setup`.

    Examples
    --------
    >>> import pandas as pd
    >>> saved = {name: pd.get_option(name) for name in TABLE_DISPLAY_OPTIONS}
    >>> table_display()
    >>> "..." in pd.DataFrame({"x": range(255)})._repr_html_()
    False
    >>> for name, value in saved.items():
    ...     pd.set_option(name, value)
    """
    import pandas as pd

    for name, value in TABLE_DISPLAY_OPTIONS.items():
        pd.set_option(name, value)


def without_negative_zero(obj: Any) -> Any:
    """``obj`` (DataFrame or Series) with every ``-0.0`` in its float columns made ``0.0``; nothing else changes.

    ``df.round(4)`` turns -0.00001 into -0.0, which pandas prints as "-0.0"; adding 0.0 turns
    -0.0 into +0.0 (IEEE 754) and leaves every other value, NaN and the dtype as they are, so
    the table is formatted exactly as before.  Other objects are returned unchanged.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"effect": [-0.00001, 1.25], "term": ["A", "B"]}).round(4)
    >>> df["effect"].tolist(), without_negative_zero(df)["effect"].tolist()
    ([-0.0, 1.25], [0.0, 1.25])
    >>> without_negative_zero(df).to_string() == df.to_string().replace("-0.00", " 0.00")
    True
    """
    import pandas as pd

    if isinstance(obj, pd.Series):
        return obj + 0.0 if pd.api.types.is_float_dtype(obj.dtype) else obj
    if not isinstance(obj, pd.DataFrame):
        return obj
    floats = [i for i, dtype in enumerate(obj.dtypes) if pd.api.types.is_float_dtype(dtype)]
    if not floats:
        return obj
    out = obj.copy()
    for i in floats:
        out.isetitem(i, out.iloc[:, i] + 0.0)
    return out


def display_without_negative_zero(shell: Any = None) -> bool:
    """Make IPython show DataFrames and Series without negative zeros (HTML and plain text).

    Registers display formatters for pandas objects in the running IPython kernel
    (``shell``, default the current one) that format :func:`without_negative_zero` of the
    object with pandas' own ``_repr_html_``/``repr``: the same tables, a zero never shown
    as "-0.0".  Unlike ``display.float_format``, this keeps pandas' column-wise number
    formatting.  Returns False (and does nothing) outside IPython.  Called by :func:`setup`.

    Examples
    --------
    >>> display_without_negative_zero(shell=None)  # a plain Python process: nothing to do
    False
    """
    if shell is None:
        try:
            from IPython import get_ipython
        except ImportError:  # pragma: no cover - IPython comes with every notebook install
            return False
        shell = get_ipython()
    if shell is None or not hasattr(shell, "display_formatter"):
        return False
    import pandas as pd

    formatters = shell.display_formatter.formatters

    def html(obj):
        return without_negative_zero(obj)._repr_html_()

    def plain(obj, p, cycle):
        p.text(repr(without_negative_zero(obj)))

    formatters["text/html"].for_type(pd.DataFrame, html)
    for kind in (pd.DataFrame, pd.Series):
        formatters["text/plain"].for_type(kind, plain)
    return True


def setup() -> None:
    """Load BokehJS inline into the notebook (no CDN), once per kernel, set pandas'
    display options so report tables are shown whole (:func:`table_display`), and
    show tables without negative zeros (:func:`display_without_negative_zero`)."""
    global _ready
    from bokeh.io import output_notebook

    table_display()
    display_without_negative_zero()

    output_notebook(resources=inline_resources(), hide_banner=True)
    _ready = True


def show(fig) -> None:
    """Show a bokeh figure or layout inline in the notebook (calls :func:`setup` if needed)."""
    from bokeh.io import show as bokeh_show

    if not _ready:
        setup()
    bokeh_show(fig)
