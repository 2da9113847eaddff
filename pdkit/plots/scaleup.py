"""Bokeh figures for a stirred-tank scale-up table (:func:`pdkit.scaleup.scaleup_table`).

Every figure draws one line per scale-up criterion against the working volume
(log axis); the numbers come from the table and nothing is recomputed.  Declared
operating windows are read from the table's ``attrs`` (``pv_window_w_m3``,
``tip_speed_window_m_s``) and shaded, with a legend entry that names them; a cell
line's preset P/V window is named as what it is, a planning window
(``attrs["pv_window_label"]``, e.g. "HEK293 planning window (not a published limit)").  Points outside a declared window are drawn
hollow; hovering shows the row's flags.

Examples
--------
>>> from pdkit.scaleup import scaleup_table
>>> from pdkit.plots.scaleup import pv_figure, tip_speed_figure
>>> t = scaleup_table([2, 200, 2000], n1_rps=5.0, d1=0.06, tank_diameter1=0.13,
...                   power_number=3.0, cell_line="HEK293")
>>> fig = pv_figure(t, window_label="HEK293")
>>> fig.yaxis.axis_label
'P/V (W/m3)'
>>> "HEK293 planning window" in fig.title.text
True
>>> tip_speed_figure(t).xaxis.axis_label
'working volume (L)'
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from bokeh.models import BoxAnnotation, ColumnDataSource, HoverTool, Range1d
from bokeh.plotting import figure

from pdkit.errors import InputError
from pdkit.plots import PALETTE

__all__ = ["CRITERION_LABELS", "QUANTITY_LABELS", "scaleup_figure", "pv_figure", "tip_speed_figure"]

#: Legend labels for the criteria of :data:`pdkit.scaleup.CRITERIA`.
CRITERION_LABELS = {
    "power_per_volume": "constant P/V",
    "tip_speed": "constant tip speed",
    "reynolds": "constant Re",
    "mixing_time": "constant mixing time",
}

#: Axis labels for the numeric columns of a scale-up table.
QUANTITY_LABELS = {
    "p_per_v_w_m3": "P/V (W/m3)",
    "tip_speed_m_s": "tip speed (m/s)",
    "n_rpm": "impeller speed (rpm)",
    "n_rps": "impeller speed (1/s)",
    "power_w": "power (W)",
    "reynolds": "Reynolds number",
    "mixing_time_s": "95 % mixing time (s)",
    "kla_per_h": "kLa (1/h)",
    "u_s_m_s": "superficial gas velocity (m/s)",
    "impeller_diameter_m": "impeller diameter (m)",
    "tank_diameter_m": "tank diameter (m)",
}

# column -> (attrs key of the declared window, name of the ok column)
_WINDOWS = {
    "p_per_v_w_m3": ("pv_window_w_m3", "pv_ok"),
    "tip_speed_m_s": ("tip_speed_window_m_s", "tip_speed_ok"),
}


def _check_table(table: Any, column: str) -> pd.DataFrame:
    if not isinstance(table, pd.DataFrame):
        raise InputError(f"parameter 'table': expected the DataFrame of pdkit.scaleup.scaleup_table, "
                         f"got {type(table).__name__}")
    missing = [c for c in ("criterion", "volume_l", column) if c not in table.columns]
    if missing:
        raise InputError(f"parameter 'table': missing column(s) {', '.join(repr(c) for c in missing)} "
                         f"(expected the output of pdkit.scaleup.scaleup_table)")
    if len(table) == 0:
        raise InputError("parameter 'table': the scale-up table has no rows")
    for col in ("volume_l", column):
        vals = pd.to_numeric(table[col], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        bad = ~np.isfinite(vals) | (vals <= 0)
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            got = table[col].iloc[row]
            got = repr(got) if isinstance(got, str) else str(got)
            raise InputError(f"parameter 'table': column {col!r}, row {row}: expected a positive number "
                             f"for a log axis, got {got}")
    return table


def _source(part: pd.DataFrame, ok_col: str | None) -> ColumnDataSource:
    """All the table's columns for one criterion (nullable booleans as True/False/None).

    ``fill`` is the marker fill alpha: 0 (hollow) where ``ok_col`` is False.
    """
    data: dict[str, Any] = {}
    for col in part.columns:
        s = part[col]
        if isinstance(s.dtype, pd.BooleanDtype):
            data[col] = [None if pd.isna(v) else bool(v) for v in s]
        elif pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype):
            data[col] = s.to_numpy(dtype=float)
        else:
            data[col] = [None if pd.isna(v) else (bool(v) if isinstance(v, (bool, np.bool_)) else str(v)) for v in s]
    oks = data.get(ok_col, [None] * len(part)) if ok_col else [None] * len(part)
    data["fill"] = [0.0 if ok is False else 1.0 for ok in oks]
    return ColumnDataSource(data=data)


def _log_range(values: np.ndarray, extra: list[float]) -> Range1d:
    pts = np.concatenate([values, np.asarray([e for e in extra if e is not None and e > 0], dtype=float)])
    lo, hi = float(pts.min()), float(pts.max())
    if lo == hi:
        lo, hi = lo / 2.0, hi * 2.0
    pad = (hi / lo) ** 0.06
    return Range1d(lo / pad, hi * pad)


def scaleup_figure(
    table: pd.DataFrame,
    column: str,
    *,
    y_log: bool = True,
    window: tuple[float | None, float | None] | None = None,
    window_label: str | None = None,
    y_label: str | None = None,
    title: str | None = None,
    width: int = 680,
    height: int = 400,
):
    """Plot one column of a scale-up table against working volume, one line per criterion.

    Parameters
    ----------
    table : DataFrame
        Output of :func:`pdkit.scaleup.scaleup_table` (columns ``criterion``,
        ``volume_l`` and ``column``).
    column : str
        Numeric column to draw, e.g. ``"mixing_time_s"`` or ``"kla_per_h"``.
    y_log : bool
        Logarithmic y axis (default True; the x axis is always logarithmic).
    window : (low, high), optional
        Band to shade (either end may be None).  Default: the declared window stored
        in ``table.attrs`` for ``p_per_v_w_m3`` and ``tip_speed_m_s``, none otherwise.
    window_label : str, optional
        Name of the window in the title and legend, e.g. ``"HEK293"``.  Default (and
        when it names the same cell line): the table's ``attrs["pv_window_label"]``
        for the P/V column, which says that a preset window is a planning window.
    y_label, title : str, optional
        Axis label and title (defaults describe the column).
    width, height : int
        Figure size in pixels.

    Returns
    -------
    bokeh.plotting.figure
        One ``ColumnDataSource`` per criterion holding that criterion's rows of the table.

    Examples
    --------
    >>> from pdkit.scaleup import scaleup_table
    >>> t = scaleup_table([2, 200], 5.0, 0.06, 0.13, 3.0)
    >>> scaleup_figure(t, "mixing_time_s").yaxis.axis_label
    '95 % mixing time (s)'
    """
    if not isinstance(column, str):
        raise InputError(f"parameter 'column': expected a column name, got {column!r}")
    _check_table(table, column)
    win_key, ok_col = _WINDOWS.get(column, (None, None))
    if window is None and win_key is not None:
        window = table.attrs.get(win_key)
    if window is not None:
        if isinstance(window, (str, bytes)) or not isinstance(window, (tuple, list)) or len(window) != 2:
            raise InputError(f"parameter 'window': expected (low, high), got {window!r}")
        try:
            lo, hi = (None if w is None else float(w) for w in window)
        except (TypeError, ValueError):
            raise InputError(f"parameter 'window': expected numbers or None, got {window!r}") from None
        if lo is not None and hi is not None and lo >= hi:
            raise InputError(f"parameter 'window': low ({lo:g}) must be below high ({hi:g})")
        window = (lo, hi)

    label = y_label or QUANTITY_LABELS.get(column, column)
    preset = table.attrs.get("pv_window_label") if column == "p_per_v_w_m3" else None
    if window_label is None:
        band_name = preset or "window"
    elif preset and str(preset).startswith(str(window_label)):
        band_name = str(preset)
    else:
        band_name = f"{window_label} window"
    span = ""
    if window is not None:
        lo, hi = window
        span = f"{lo:g}-{hi:g}" if lo is not None and hi is not None else (
            f">= {lo:g}" if lo is not None else f"<= {hi:g}")
    if title is None:
        title = f"{label.split(' (')[0]} after scale-up by each criterion"
        if window is not None:
            title += f" (band: {band_name} {span})"

    y_vals = pd.to_numeric(table[column]).to_numpy(dtype=float)
    x_vals = pd.to_numeric(table["volume_l"]).to_numpy(dtype=float)
    kw: dict[str, Any] = {}
    if y_log:
        kw["y_range"] = _log_range(y_vals, list(window) if window is not None else [])
    fig = figure(x_axis_type="log", y_axis_type="log" if y_log else "linear", width=width, height=height,
                 title=title, x_axis_label="working volume (L)", y_axis_label=label,
                 x_range=_log_range(x_vals, []), **kw)
    if window is not None:
        lo, hi = window
        box: dict[str, Any] = {}
        if lo is not None and (lo > 0 or not y_log):
            box["bottom"] = lo
        if hi is not None:
            box["top"] = hi
        fig.add_layout(BoxAnnotation(fill_color=PALETTE[2], fill_alpha=0.15, line_alpha=0, **box))
        # a legend entry for the band (an annotation has none): an empty square in its colour
        fig.scatter(x=[], y=[], marker="square", size=12, fill_color=PALETTE[2], fill_alpha=0.3, line_alpha=0,
                    legend_label=f"band: {band_name} {span}")

    point_renderers = []
    for i, (crit, part) in enumerate(table.groupby("criterion", sort=False)):
        colour = PALETTE[i % len(PALETTE)]
        src = _source(part, ok_col)
        name = CRITERION_LABELS.get(str(crit), str(crit))
        fig.line("volume_l", column, source=src, color=colour, line_width=2, legend_label=name)
        point_renderers.append(fig.scatter("volume_l", column, source=src, color=colour, size=8,
                                           fill_alpha="fill", legend_label=name))
    tips = [("criterion", "@criterion"), ("volume (L)", "@volume_l{0,0.[0]}"), (label, f"@{{{column}}}{{0.[000]}}")]
    if "n_rpm" in table.columns and column != "n_rpm":
        tips.append(("speed (rpm)", "@n_rpm{0.[0]}"))
    if "flags" in table.columns:
        tips.append(("flags", "@flags"))
    fig.add_tools(HoverTool(tooltips=tips, renderers=point_renderers))
    fig.legend.location = "top_left"
    fig.legend.click_policy = "hide"
    fig.legend.label_text_font_size = "9pt"
    return fig


def pv_figure(table: pd.DataFrame, *, window_label: str | None = None, **kwargs: Any):
    """P/V against working volume per criterion, log axes, declared P/V window shaded.

    The window is ``table.attrs["pv_window_w_m3"]`` (set by ``cell_line`` or
    ``pv_window`` in :func:`pdkit.scaleup.scaleup_table`) unless ``window`` is
    passed.  Other keyword arguments go to :func:`scaleup_figure`.

    Examples
    --------
    >>> from pdkit.scaleup import scaleup_table
    >>> t = scaleup_table([2, 200, 2000], 5.0, 0.06, 0.13, 3.0, cell_line="HEK293")
    >>> pv_figure(t, window_label="HEK293").title.text
    'P/V after scale-up by each criterion (band: HEK293 planning window (not a published limit) 60-450)'
    """
    return scaleup_figure(table, "p_per_v_w_m3", window_label=window_label, **kwargs)


def tip_speed_figure(table: pd.DataFrame, *, window_label: str | None = None, **kwargs: Any):
    """Impeller tip speed against working volume per criterion, log axes.

    The declared tip-speed window (``tip_speed_window`` of
    :func:`pdkit.scaleup.scaleup_table`, stored in ``table.attrs``) is shaded when
    there is one.  Other keyword arguments go to :func:`scaleup_figure`.

    Examples
    --------
    >>> from pdkit.scaleup import scaleup_table
    >>> t = scaleup_table([2, 2000], 5.0, 0.06, 0.13, 3.0, tip_speed_window=(None, 1.5))
    >>> tip_speed_figure(t).title.text
    'tip speed after scale-up by each criterion (band: window <= 1.5)'
    """
    return scaleup_figure(table, "tip_speed_m_s", window_label=window_label, **kwargs)
