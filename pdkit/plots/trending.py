"""Bokeh figures for lot trending (:func:`pdkit.trending.imr_chart`) and capability
(:func:`pdkit.stats.capability`).

Both functions only draw what the result objects contain; nothing is recomputed except the
fitted normal density curve (from the result's mean and sigmas) and the histogram bins.

Examples
--------
>>> from pdkit.trending import imr_chart
>>> from pdkit.stats import capability
>>> from pdkit.plots.trending import imr_figure, capability_figure
>>> x = [49.6, 47.6, 49.9, 51.3, 47.8, 51.2, 52.6, 52.4, 53.6, 52.1]
>>> layout = imr_figure(imr_chart(x), value_label="yield (%)")
>>> len(layout.children)
2
>>> fig = capability_figure(x, capability(x, lsl=44, usl=58))
>>> fig.xaxis.axis_label
'value'
"""
from __future__ import annotations

from typing import Any

import numpy as np
from bokeh.layouts import column
from bokeh.models import ColumnDataSource, HoverTool, Label, Span
from bokeh.plotting import figure
from scipy import stats as sps

from pdkit.plots import PALETTE

__all__ = ["imr_figure", "capability_figure"]


def _columns(df, names: list[str]) -> dict[str, list]:
    """Plain column lists for a ColumnDataSource (avoids bokeh's DataFrame index handling)."""
    return {c: df[c].tolist() for c in names}


def _hline(fig, y: float, color: str, dash: str = "dashed", width: float = 1.5) -> None:
    fig.add_layout(Span(location=y, dimension="width", line_color=color, line_dash=dash, line_width=width))


def _tag(fig, x: Any, y: float, text: str, color: str) -> None:
    fig.add_layout(Label(x=x, y=y, text=text, text_color=color, text_font_size="9pt",
                         x_offset=4, y_offset=2))


def imr_figure(
    result: Any,
    *,
    value_label: str = "value",
    title: str | None = None,
    width: int = 760,
    height: int = 300,
):
    """Individuals and moving-range panels with centre lines, control limits and signals.

    Parameters
    ----------
    result : pdkit.trending.ImrChart
        The chart to draw.
    value_label : str
        y-axis label of the individuals panel (e.g. ``"supercoiled (%)"``).
    title : str, optional
        Title of the individuals panel (default names the rule set and the signal count).
    width, height : int
        Size of each panel in pixels.

    Returns
    -------
    bokeh.layouts.Column
        Individuals panel on top, moving-range panel below, sharing the x axis.
        Points where an individuals rule fired are drawn in vermillion with the rule numbers
        in the hover; moving ranges above their limit likewise.  When the chart was ordered by
        date (``imr_chart(..., date=...)``) the x axis is a date axis and the hover shows the date.
    """
    pts = result.points.copy()
    dated = "date" in pts.columns
    xcol = "date" if dated else "point"
    x_kw = {"x_axis_type": "datetime", "x_axis_label": "date"} if dated else {"x_axis_label": "lot (order)"}
    pts["label_text"] = pts["label"].astype(str)
    pts["date_text"] = pts["date"].dt.strftime("%Y-%m-%d") if dated else ""
    pts["color"] = np.where(pts["signal"], PALETTE[3], PALETTE[0])
    pts["mr_color"] = np.where(pts["mr_signal"], PALETTE[3], PALETTE[0])
    pts["rules_text"] = pts["rules"].where(pts["rules"] != "", "none")
    cols = ["point", "label_text", "date_text", "value", "moving_range", "color", "mr_color", "rules_text", "zone"]
    src = ColumnDataSource(_columns(pts, cols + (["date"] if dated else [])))
    x0 = pts[xcol].iloc[0]
    n_sig = int(pts["signal"].sum()) + int(pts["mr_signal"].sum())
    rules_name = "Nelson" if result.rules == "nelson" else "Western Electric"
    title = title or f"Individuals chart ({rules_name} rules): {n_sig} signalled point(s)"

    top = figure(width=width, height=height, title=title, y_axis_label=value_label,
                 tools="pan,box_zoom,reset,save", **x_kw)
    top.line(xcol, "value", source=src, color=PALETTE[0], line_alpha=0.6)
    r1 = top.scatter(xcol, "value", source=src, size=8, color="color")
    _hline(top, result.center, PALETTE[7], dash="solid", width=1)
    _hline(top, result.ucl, PALETTE[3])
    _hline(top, result.lcl, PALETTE[3])
    _tag(top, x0, result.ucl, f"UCL {result.ucl:.4g}", PALETTE[3])
    _tag(top, x0, result.lcl, f"LCL {result.lcl:.4g}", PALETTE[3])
    _tag(top, x0, result.center, f"mean {result.center:.4g}", PALETTE[7])
    if result.baseline < len(pts):
        if dated:  # half-way between the last baseline date and the next one
            a, b = pts["date"].iloc[result.baseline - 1], pts["date"].iloc[result.baseline]
            where = a + (b - a) / 2
        else:
            where = result.baseline + 0.5
        top.add_layout(Span(location=where, dimension="height", line_color=PALETTE[7], line_dash="dotted"))
    tips = [("lot", "@label_text")] + ([("date", "@date_text")] if dated else [])
    top.add_tools(HoverTool(renderers=[r1], tooltips=tips + [("value", "@value{0.[000]}"),
                                                             ("sigma from centre", "@zone{0.00}"),
                                                             ("rules", "@rules_text")]))
    if not dated:
        top.xaxis.ticker.desired_num_ticks = min(len(pts), 20)

    bottom = figure(width=width, height=int(height * 0.7), title="Moving range (span 2)",
                    y_axis_label="moving range", x_range=top.x_range, tools="pan,box_zoom,reset,save", **x_kw)
    mr_src = ColumnDataSource(_columns(pts.iloc[1:], ["point", "label_text", "date_text", "moving_range", "mr_color"]
                                       + (["date"] if dated else [])))
    bottom.line(xcol, "moving_range", source=mr_src, color=PALETTE[0], line_alpha=0.6)
    r2 = bottom.scatter(xcol, "moving_range", source=mr_src, size=7, color="mr_color")
    _hline(bottom, result.mr_center, PALETTE[7], dash="solid", width=1)
    _hline(bottom, result.mr_ucl, PALETTE[3])
    _tag(bottom, x0, result.mr_ucl, f"UCL {result.mr_ucl:.4g}", PALETTE[3])
    bottom.add_tools(HoverTool(renderers=[r2], tooltips=tips + [("moving range", "@moving_range{0.[000]}")]))
    return column(top, bottom)


def capability_figure(
    values: Any,
    result: Any,
    *,
    value_label: str = "value",
    bins: int | None = None,
    title: str | None = None,
    width: int = 760,
    height: int = 380,
):
    """Histogram of ``values`` with the specification limits and fitted normal curves.

    Parameters
    ----------
    values : sequence of numbers
        The data given to :func:`pdkit.stats.capability`.
    result : pdkit.stats.Capability
        Supplies the limits, target, mean, ``sigma_overall`` (solid curve) and
        ``sigma_within`` (dashed curve).
    value_label : str
        x-axis label.
    bins : int, optional
        Number of histogram bins (default: Sturges' rule).
    title : str, optional
        Default states Cpk and Ppk.

    Returns
    -------
    bokeh.plotting.figure
        The histogram is drawn as a density so it shares the axis with the normal curves.
        When the result says the process is not stable (run-rule signals), the default title
        says so next to Cpk/Ppk.
    """
    from pdkit.quality.stats import as_values

    x = as_values(values, "values")
    nb = bins or int(np.ceil(np.log2(x.size) + 1))
    lims = [v for v in (result.lsl, result.usl) if v is not None]
    lo = min([x.min(), result.mean - 4 * result.sigma_overall, *lims])
    hi = max([x.max(), result.mean + 4 * result.sigma_overall, *lims])
    pad = 0.03 * (hi - lo)
    dens, edges = np.histogram(x, bins=nb, density=True)

    def fmt(v):
        return "n/a" if v is None else f"{v:.2f}"

    title = title or f"Capability: Cpk {fmt(result.cpk)}, Ppk {fmt(result.ppk)} (n = {result.n})"
    n_sig = getattr(result, "n_signals", None)
    if getattr(result, "stable", None) is False:  # never show Cpk/Ppk bare beside run-rule signals
        title += f" - NOT STABLE: {n_sig} run-rule signal(s), indices not predictive"
    fig = figure(width=width, height=height, title=title, x_axis_label=value_label, y_axis_label="density",
                 x_range=(lo - pad, hi + pad), tools="pan,box_zoom,reset,save")
    fig.quad(top=dens, bottom=0, left=edges[:-1], right=edges[1:], fill_color=PALETTE[5], fill_alpha=0.5,
             line_color="white", legend_label="data")
    grid = np.linspace(lo - pad, hi + pad, 400)
    fig.line(grid, sps.norm.pdf(grid, result.mean, result.sigma_overall), color=PALETTE[0], line_width=2,
             legend_label="normal, overall sigma")
    fig.line(grid, sps.norm.pdf(grid, result.mean, result.sigma_within), color=PALETTE[2], line_width=2,
             line_dash="dashed", legend_label="normal, within sigma")
    ymax = float(max(dens.max(), sps.norm.pdf(0, 0, min(result.sigma_overall, result.sigma_within))))
    for name, v in (("LSL", result.lsl), ("USL", result.usl)):
        if v is not None:
            fig.add_layout(Span(location=v, dimension="height", line_color=PALETTE[3], line_width=2))
            fig.add_layout(Label(x=v, y=ymax * 0.95, text=f"{name} {v:g}", text_color=PALETTE[3],
                                 text_font_size="9pt", x_offset=4))
    if result.target is not None:
        fig.add_layout(Span(location=result.target, dimension="height", line_color=PALETTE[7],
                            line_dash="dotted"))
    fig.legend.location = "top_left"
    fig.legend.click_policy = "hide"
    return fig
