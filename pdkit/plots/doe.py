"""Bokeh figures for DoE analysis results (:mod:`pdkit.doe.analysis`, :mod:`pdkit.doe.optimize`).

Every function takes a result object and returns a bokeh figure or layout; nothing here
computes statistics beyond evaluating the fitted model on a grid.

Examples
--------
>>> import pandas as pd
>>> from pdkit.doe.analysis import fit
>>> d = pd.DataFrame({"A": [-1, 1, -1, 1] * 2, "B": [-1, -1, 1, 1] * 2,
...                   "y": [10, 20, 11, 19, 10.4, 20.2, 10.6, 19.5]})
>>> fig = half_normal_plot(fit(d, "y", "interactions"))
>>> type(fig).__name__
'figure'
"""
from __future__ import annotations

from typing import Any, Mapping

import numpy as np
import pandas as pd
from bokeh.layouts import gridplot
from bokeh.models import ColumnDataSource, HoverTool, LinearColorMapper, Span, ColorBar
from bokeh.plotting import figure
from scipy import stats

from pdkit.plots import PALETTE
from pdkit.errors import InputError

__all__ = [
    "half_normal_plot",
    "pareto_plot",
    "residual_plots",
    "profiler",
    "contour_plot",
    "design_space_plot",
]


def _src(df: pd.DataFrame) -> ColumnDataSource:
    """ColumnDataSource from plain columns (avoids bokeh's DataFrame index handling)."""
    return ColumnDataSource({str(c): df[c].to_numpy() for c in df.columns})


def half_normal_plot(fit, width: int = 520, height: int = 420):
    """Half-normal plot of |effects| with Lenth's margin of error (ME) and SME lines."""
    hn = fit.half_normal
    src = _src(hn.assign(colour=[PALETTE[3] if a else PALETTE[0] for a in
                                             hn.get("active", pd.Series(False, index=hn.index))]))
    p = figure(width=width, height=height, title=f"Half-normal plot of effects: {fit.response}",
               x_axis_label="|effect|", y_axis_label="half-normal quantile")
    p.scatter("abs_effect", "quantile", source=src, size=8, color="colour")
    p.text("abs_effect", "quantile", text="term", source=src, x_offset=6, y_offset=6, text_font_size="9pt")
    if fit.lenth is not None:
        p.add_layout(Span(location=fit.lenth.me, dimension="height", line_dash="dashed", line_color=PALETTE[1]))
        p.add_layout(Span(location=fit.lenth.sme, dimension="height", line_dash="dotted", line_color=PALETTE[3]))
    p.add_tools(HoverTool(tooltips=[("term", "@term"), ("effect", "@effect{0.000}")]))
    return p


def pareto_plot(fit, by: str = "t", width: int = 520, height: int = 420):
    """Pareto chart of ``|t|`` (``by="t"``, with the two-sided t critical value) or ``|effect|``."""
    if by not in ("t", "effect"):
        raise InputError(f"pareto_plot: by must be 't' or 'effect', got {by!r}")
    par = fit.pareto.copy()
    par["value"] = par["abs_t"] if by == "t" else par["effect"].abs()
    par = par.sort_values("value", ascending=True)
    src = _src(par)
    p = figure(width=width, height=height, y_range=list(par["term"]), title=f"Pareto chart: {fit.response}",
               x_axis_label="|t|" if by == "t" else "|effect|")
    p.hbar(y="term", right="value", height=0.7, source=src, color=PALETTE[0])
    if by == "t":
        df = fit.lenth.df if fit.error_basis == "lenth" else fit.df_resid
        p.add_layout(Span(location=float(stats.t.ppf(1 - fit.alpha / 2, df)), dimension="height",
                          line_dash="dashed", line_color=PALETTE[3]))
    elif fit.lenth is not None:
        p.add_layout(Span(location=fit.lenth.me, dimension="height", line_dash="dashed", line_color=PALETTE[3]))
    return p


def residual_plots(fit, width: int = 380, height: int = 320):
    """2 x 2 grid: normal plot of residuals, residual vs fitted, residual vs run order, Cook's distance."""
    dg = fit.diagnostics.copy()
    ycol = "studentized" if "studentized" in dg else "residual"
    dg["r"] = dg[ycol]
    dg = dg.reset_index(drop=True)
    order = np.argsort(dg["r"].to_numpy(), kind="mergesort")
    n = len(dg)
    q = stats.norm.ppf((np.arange(1, n + 1) - 0.375) / (n + 0.25))  # Blom positions
    dg.loc[order, "normal_quantile"] = q
    src = _src(dg)
    label = ycol.replace("_", " ")
    p1 = figure(width=width, height=height, title="Normal plot of residuals", x_axis_label=label,
                y_axis_label="normal quantile")
    p1.scatter("r", "normal_quantile", source=src, size=7, color=PALETTE[0])
    p2 = figure(width=width, height=height, title="Residual vs fitted", x_axis_label="fitted", y_axis_label=label)
    p2.scatter("fitted", "r", source=src, size=7, color=PALETTE[0])
    p2.add_layout(Span(location=0, dimension="width", line_color="grey"))
    p3 = figure(width=width, height=height, title="Residual vs run order", x_axis_label="run order",
                y_axis_label=label)
    srt = _src(dg.sort_values("run_order"))
    p3.line("run_order", "r", source=srt, color=PALETTE[5])
    p3.scatter("run_order", "r", source=srt, size=7, color=PALETTE[0])
    p3.add_layout(Span(location=0, dimension="width", line_color="grey"))
    p4 = figure(width=width, height=height, title="Cook's distance", x_axis_label="run order",
                y_axis_label="Cook's D")
    if "cooks_distance" in dg:
        p4.vbar(x="run_order", top="cooks_distance", width=0.6, source=src, color=PALETTE[1])
        p4.add_layout(Span(location=1.0, dimension="width", line_dash="dashed", line_color=PALETTE[3]))
    else:
        p4.text([0.5], [0.5], text=["not available: no residual df"], text_align="center")
    return gridplot([[p1, p2], [p3, p4]])


def _settings(fit, settings: Mapping[str, Any] | None) -> dict[str, Any]:
    out = {}
    for f in fit.factors:
        if settings and f.name in settings:
            out[f.name] = settings[f.name]
        else:
            out[f.name] = f.center if f.is_continuous else f.levels[0]
    return out


def profiler(fit, settings: Mapping[str, Any] | None = None, interval: str | None = "confidence",
             n: int = 41, width: int = 260, height: int = 260, units: str | None = None, points: bool = False):
    """Prediction profiler (static): one panel per factor, the others held at ``settings``
    (default the centre, the first level), with the prediction and its confidence (or
    prediction) band.

    The panels share one y-range that contains every band (and the design points when
    ``points``); the x-axes are labelled with the factors' units, the y-axis with the
    response and ``units``.  Categorical factors get a panel with one point per level.
    For the interactive profiler see :class:`pdkit.ui.profiler.Profiler`.

    Examples
    --------
    >>> import pandas as pd
    >>> from pdkit.doe.analysis import fit
    >>> d = pd.DataFrame({"A": [-1, 1, -1, 1, 0, 0], "y": [1.0, 3.0, 1.2, 3.1, 2.0, 2.2]})
    >>> grid = profiler(fit(d, "y"), units="g/L")
    >>> p = grid.children[0][0]
    >>> bool(p.y_range.start < 0.9 and p.y_range.end > 3.2), p.yaxis.axis_label
    (True, 'y (g/L)')
    """
    from bokeh.models import FixedTicker, Range1d

    if interval not in (None, "confidence", "prediction"):
        raise InputError(f"profiler: interval must be None, 'confidence' or 'prediction', got {interval!r}")
    base = _settings(fit, settings)
    use_int = interval if fit.df_resid >= 1 else None
    panels = []
    for f in fit.factors:
        if f.is_continuous:
            lo = min(f.low, float(fit.data[f.name].min()))
            hi = max(f.high, float(fit.data[f.name].max()))
            grid = np.linspace(lo, hi, n)
            xs = grid
        else:
            grid = np.array(f.levels, dtype=object)
            xs = np.arange(len(grid), dtype=float)
        new = pd.DataFrame({k: [v] * len(grid) for k, v in base.items()})
        new[f.name] = grid
        pr = fit.predict(new, interval=use_int)
        panels.append((f, xs, pr))
    if not panels:
        raise InputError("profiler: the fit has no factor")
    vals = [pr[c].to_numpy(dtype=float) for _, _, pr in panels for c in pr.columns]
    if points:
        vals.append(np.asarray(fit.y, dtype=float))
    v = np.concatenate(vals)
    ylo, yhi = float(np.min(v)), float(np.max(v))
    span = yhi - ylo if yhi > ylo else max(abs(yhi), 1.0) * 0.1
    yr = Range1d(ylo - 0.08 * span, yhi + 0.08 * span)
    ylabel = f"{fit.response} ({units})" if units else fit.response
    figs = []
    for i, (f, xs, pr) in enumerate(panels):
        p = figure(width=width + (30 if i == 0 else 0), height=height, y_range=yr, x_axis_label=f.label(),
                   y_axis_label=ylabel if i == 0 else None, min_border_left=70 if i == 0 else 40,
                   min_border_bottom=50)
        src = _src(pr.assign(x=xs))
        if f.is_continuous:
            p.x_range = Range1d(float(xs[0]), float(xs[-1]))
            if use_int:
                p.varea("x", "lower", "upper", source=src, fill_alpha=0.25, fill_color=PALETTE[5])
            p.line("x", "prediction", source=src, color=PALETTE[0], line_width=2)
            at = float(base[f.name])
        else:
            k = len(xs)
            p.x_range = Range1d(-0.5, k - 0.5)
            p.xaxis.ticker = FixedTicker(ticks=list(range(k)))
            p.xaxis.major_label_overrides = {j: str(lev) for j, lev in enumerate(f.levels)}
            if use_int:
                p.segment("x", "lower", "x", "upper", source=src, color=PALETTE[5], line_width=6, alpha=0.5)
            p.scatter("x", "prediction", source=src, color=PALETTE[0], size=8)
            at = float(list(f.levels).index(base[f.name]))
        if points:
            col = fit.data.loc[fit.y.index, f.name]
            px = (np.asarray(col, dtype=float) if f.is_continuous
                  else np.array([float(list(f.levels).index(x)) for x in col]))
            p.scatter(px, np.asarray(fit.y, dtype=float), size=4, color="black", alpha=0.5)
        p.add_layout(Span(location=at, dimension="height", line_dash="dashed", line_color=PALETTE[3]))
        figs.append(p)
    return gridplot([figs])


def contour_plot(fit, x: str, y: str, hold: Mapping[str, Any] | None = None, n: int = 50, levels: int = 10,
                 width: int = 520, height: int = 440):
    """Filled contour plot of the predicted response over factors ``x`` and ``y`` (others held)."""
    fx, fy = fit.factor(x), fit.factor(y)
    if not (fx.is_continuous and fy.is_continuous):
        raise InputError(f"contour_plot: '{x}' and '{y}' must be continuous factors")
    base = _settings(fit, hold)
    gx, gy = np.linspace(fx.low, fx.high, n), np.linspace(fy.low, fy.high, n)
    XX, YY = np.meshgrid(gx, gy)
    new = pd.DataFrame({k: [v] * XX.size for k, v in base.items()})
    new[x], new[y] = XX.ravel(), YY.ravel()
    Z = fit.predict_mean(new).reshape(XX.shape)
    lv = np.linspace(Z.min(), Z.max(), levels + 1)
    p = figure(width=width, height=height, title=f"{fit.response} (other factors held)",
               x_axis_label=fx.label(), y_axis_label=fy.label(), x_range=(fx.low, fx.high),
               y_range=(fy.low, fy.high))
    from bokeh.palettes import Viridis256

    p.contour(XX, YY, Z, levels=lv, fill_color=Viridis256, line_color="black", line_alpha=0.3)
    pts = _src(fit.data[[x, y]])
    p.scatter(x, y, source=pts, color="white", line_color="black", size=7)
    return p


def design_space_plot(space, probability: float = 0.9, width: int = 520, height: int = 440, set_point=None):
    """Design-space probability map (from :func:`pdkit.doe.optimize.design_space`) with a
    contour at ``probability`` and, optionally, the robust set point."""
    if not 0 < probability < 1:
        raise InputError(f"design_space_plot: probability must be in (0, 1), got {probability}")
    ydim, xdim = space.dims
    gx, gy = space[xdim].to_numpy().astype(float), space[ydim].to_numpy().astype(float)
    P = space.to_numpy()
    p = figure(width=width, height=height, title="P(all specifications met)", x_axis_label=xdim,
               y_axis_label=ydim, x_range=(gx.min(), gx.max()), y_range=(gy.min(), gy.max()))
    from bokeh.palettes import Blues256

    mapper = LinearColorMapper(palette=list(reversed(Blues256)), low=0.0, high=1.0)
    p.image(image=[P], x=gx.min(), y=gy.min(), dw=np.ptp(gx) or 1.0, dh=np.ptp(gy) or 1.0, color_mapper=mapper)
    p.add_layout(ColorBar(color_mapper=mapper, title="probability"), "right")
    if P.min() < probability < P.max() and len(gx) > 1 and len(gy) > 1:
        XX, YY = np.meshgrid(gx, gy)
        p.contour(XX, YY, P, levels=[probability], line_color=PALETTE[3], line_width=2)
    if set_point is not None:
        p.scatter([set_point.settings[xdim]], [set_point.settings[ydim]], marker="star", size=16,
                  color=PALETTE[1], line_color="black")
    return p
