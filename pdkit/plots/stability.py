"""Bokeh figure for an ICH Q1E shelf-life result (:func:`pdkit.stability.shelf_life`).

Examples
--------
>>> import pandas as pd
>>> from pdkit.stability import shelf_life
>>> from pdkit.plots.stability import stability_figure
>>> df = pd.DataFrame({"lot": list("AAAABBBB"), "month": [0, 6, 12, 24] * 2,
...                    "purity": [99.1, 98.2, 97.6, 95.9, 99.3, 98.4, 97.5, 96.1]})
>>> res = shelf_life(df, "month", "purity", "lot", lower=96.0)
>>> fig = stability_figure(res, df, time_unit="months")
>>> fig.xaxis.axis_label
'month (months)'
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from bokeh.models import ColumnDataSource, HoverTool, Label, Span
from bokeh.plotting import figure

from pdkit.plots import PALETTE

__all__ = ["stability_figure"]


def stability_figure(
    result: Any,
    data: pd.DataFrame,
    *,
    time_unit: str | None = None,
    response_label: str | None = None,
    title: str | None = None,
    width: int = 760,
    height: int = 440,
    extend_to: float | None = None,
):
    """Plot stability data, fitted lines, confidence bound(s), limits and the shelf life.

    Parameters
    ----------
    result : pdkit.stability.ShelfLife
        The analysis to draw (all numbers come from it; nothing is recomputed).
    data : DataFrame
        The table that was analysed (points are drawn by batch).
    time_unit : str, optional
        Appended to the time axis label, e.g. ``"months"``.
    response_label : str, optional
        y-axis label (default the response column name).
    title : str, optional
        Figure title (default states model and shelf life).
    width, height : int
        Figure size in pixels.
    extend_to : float, optional
        Draw the lines up to this time (default: 10 % past the larger of the
        longest time tested and the shelf life).

    Returns
    -------
    bokeh.plotting.figure
    """
    t_col, y_col, b_col = result.time, result.response, result.batch
    pts = pd.DataFrame({
        "time": pd.to_numeric(data[t_col], errors="coerce").astype(float).to_numpy(),
        "response": pd.to_numeric(data[y_col], errors="coerce").astype(float).to_numpy(),
        "batch": data[b_col].astype(str).str.strip().to_numpy(dtype=object),
    })
    batches = sorted(pd.unique(pts["batch"]))
    colour = {b: PALETTE[i % len(PALETTE)] for i, b in enumerate(batches)}

    max_time = result.extrapolation.max_time
    end = extend_to
    if end is None:
        end = max_time
        if math.isfinite(result.shelf_life):
            end = max(end, result.shelf_life)
        end *= 1.1
    curves = result.curves(times=np.linspace(0.0, float(end), 201))

    unit = f" ({time_unit})" if time_unit else ""
    if title is None:
        sl = f"{result.shelf_life:.3g}{(' ' + time_unit) if time_unit else ''}" if result.crosses else "not limited"
        title = f"{y_col}: model {result.model}, shelf life {sl}"
    p = figure(width=width, height=height, title=title, x_axis_label=f"{t_col}{unit}",
               y_axis_label=response_label or y_col, toolbar_location="right")

    bound_label = f"{100 * (1 - result.alpha):g}% {'two-sided' if result.sided == 'two' else 'one-sided'} bound"
    for line, grp in curves.groupby("line", sort=False):
        c = colour.get(line, "#000000")
        src = ColumnDataSource(data={k: grp[k].to_numpy() for k in grp.columns})
        p.line("time", "fitted", source=src, color=c, line_width=2,
               legend_label="fit (all batches)" if line == "all batches" else f"fit {line}")
        for col in ("lower_bound", "upper_bound"):
            if col in grp:
                p.line("time", col, source=src, color=c, line_dash="dashed", line_width=1.5,
                       legend_label=bound_label)

    point_renderers = []
    for b in batches:
        sub = pts[pts["batch"] == b]
        src = ColumnDataSource(data={k: sub[k].to_numpy() for k in sub.columns})
        point_renderers.append(
            p.scatter("time", "response", source=src, size=8, color=colour[b], legend_label=str(b))
        )
    p.add_tools(HoverTool(tooltips=[("batch", "@batch"), (t_col, "@time"), (y_col, "@response")],
                          renderers=point_renderers))

    for name, lim in (("lower", result.lower), ("upper", result.upper)):
        if lim is not None:
            p.add_layout(Span(location=lim, dimension="width", line_color="#D55E00", line_width=2))
            p.add_layout(Label(x=0, y=lim, text=f"{name} limit {lim:g}", text_color="#D55E00",
                               text_font_size="9pt", y_offset=3 if name == "upper" else -15))
    p.add_layout(Span(location=max_time, dimension="height", line_color="#999999", line_dash="dotted"))
    if result.crosses:
        p.add_layout(Span(location=result.shelf_life, dimension="height", line_color="#000000", line_width=2))
        p.add_layout(Label(x=result.shelf_life, y=0, y_units="screen", y_offset=8, x_offset=4,
                           text=f"shelf life {result.shelf_life:.3g}", text_font_size="9pt"))
    p.legend.location = "bottom_left" if result.limit_crossed != "upper" else "top_left"
    p.legend.click_policy = "hide"
    p.legend.label_text_font_size = "8pt"
    return p
