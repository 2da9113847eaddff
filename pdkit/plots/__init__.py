"""Bokeh plotting for pdkit (imported only by reports, notebooks and the explorer).

Domain plots live in ``pdkit.plots.<domain>`` and return bokeh figures built from
pdkit result objects; they never compute statistics themselves.  In notebooks
call :func:`setup` once and :func:`show` for each figure: resources are inline,
so exported HTML reports render with the network off.  :func:`setup` also sets
pandas' display options (:func:`table_display`) so that a report table shows every
row, every column and the whole text of every cell.
"""
from __future__ import annotations

__all__ = ["setup", "show", "inline_resources", "table_display", "TABLE_DISPLAY_OPTIONS", "PALETTE"]

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


def setup() -> None:
    """Load BokehJS inline into the notebook (no CDN), once per kernel, and set
    pandas' display options so report tables are shown whole (:func:`table_display`)."""
    global _ready
    from bokeh.io import output_notebook

    table_display()

    output_notebook(resources=inline_resources(), hide_banner=True)
    _ready = True


def show(fig) -> None:
    """Show a bokeh figure or layout inline in the notebook (calls :func:`setup` if needed)."""
    from bokeh.io import show as bokeh_show

    if not _ready:
        setup()
    bokeh_show(fig)
