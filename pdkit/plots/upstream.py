"""Bokeh figures for upstream run data (growth, titer, ln VCD fit, product vs IVCD).

Figures are built from a run Dataset (:func:`pdkit.upstream.load_runs`) and
the results of :mod:`pdkit.upstream`; nothing is computed here except drawing
the fitted lines from their reported slopes.  Runs are coloured by scale.

Examples
--------
>>> from pdkit.upstream import load_runs, growth_rate
>>> from pdkit.plots.upstream import growth_plot
>>> ds = load_runs("data_samples/upstream/aav_runs_synthetic.csv")  # doctest: +SKIP
>>> fig = growth_plot(ds)  # doctest: +SKIP
"""
from __future__ import annotations

from typing import Any

import numpy as np
import xarray as xr
from bokeh.layouts import column
from bokeh.models import ColumnDataSource, HoverTool, LinearAxis, Range1d
from bokeh.plotting import figure

from pdkit.plots import PALETTE

__all__ = ["scale_colors", "growth_plot", "titer_plot", "ln_vcd_plot", "productivity_plot"]

_DASHES = ["solid", "dashed", "dotted", "dotdash", "dashdot"]


def scale_colors(ds: xr.Dataset, color_by: str = "scale") -> dict[str, str]:
    """Colour per value of the run coordinate ``color_by`` (default scale), Okabe-Ito palette."""
    if color_by in ds.coords:
        keys = list(dict.fromkeys(str(v) for v in ds[color_by].values))
    else:
        keys = [str(r) for r in ds["run"].values]
    return {k: PALETTE[i % len(PALETTE)] for i, k in enumerate(keys)}


def _group(ds: xr.Dataset, run: Any, color_by: str) -> str:
    return str(ds[color_by].sel(run=run).values) if color_by in ds.coords else str(run)


def _time_label(ds: xr.Dataset) -> str:
    return f"time ({ds['time'].attrs.get('units', ds.attrs.get('time_unit', ''))})"


def _lines(fig, ds: xr.Dataset, var: str, color_by: str, *, y_range_name: str | None = None,
           dash_by_run: bool = True, alpha: float = 0.9, legend: bool = True) -> None:
    colors = scale_colors(ds, color_by)
    seen: dict[str, int] = {}
    for run in ds["run"].values:
        da = ds[var].sel(run=run).dropna("time")
        if da.size == 0:
            continue
        g = _group(ds, run, color_by)
        k = seen.get(g, 0)
        seen[g] = k + 1
        src = ColumnDataSource({"time": da["time"].values, "value": da.values, "run": [str(run)] * da.size,
                                "group": [g] * da.size, "variable": [var] * da.size})
        kw: dict[str, Any] = {"color": colors[g], "alpha": alpha}
        if y_range_name:
            kw["y_range_name"] = y_range_name
        if legend:
            kw["legend_label"] = g
        fig.line("time", "value", source=src, line_width=2,
                 line_dash=_DASHES[k % len(_DASHES)] if dash_by_run else "solid", **kw)
        fig.scatter("time", "value", source=src, size=6, **kw)


def growth_plot(ds: xr.Dataset, vcd: str = "vcd", viability: str | None = "viability", *,
                color_by: str = "scale", log_y: bool = False):
    """VCD per run (left axis) and viability (right axis, open markers), coloured by scale.

    Runs of the same scale share a colour and differ in line dash.
    """
    unit = ds[vcd].attrs.get("units", "")
    show_viability = bool(viability) and viability in ds.data_vars
    title = f"Growth: {vcd} and {viability} by run" if show_viability else f"Growth: {vcd} by run"
    fig = figure(width=760, height=380, title=title,
                 x_axis_label=_time_label(ds), y_axis_label=f"{vcd} ({unit})",
                 y_axis_type="log" if log_y else "linear", tools="pan,box_zoom,wheel_zoom,reset,save")
    _lines(fig, ds, vcd, color_by)
    if show_viability:
        fig.extra_y_ranges = {"via": Range1d(0, 105)}
        fig.add_layout(LinearAxis(y_range_name="via", axis_label=f"{viability} (%)"), "right")
        colors = scale_colors(ds, color_by)
        for run in ds["run"].values:
            da = ds[viability].sel(run=run).dropna("time")
            g = _group(ds, run, color_by)
            src = ColumnDataSource({"time": da["time"].values, "value": da.values, "run": [str(run)] * da.size,
                                    "group": [g] * da.size, "variable": [viability] * da.size})
            fig.line("time", "value", source=src, color=colors[g], alpha=0.4, line_dash="dotted", y_range_name="via")
            fig.scatter("time", "value", source=src, color=colors[g], fill_color="white", size=5, y_range_name="via")
    fig.add_tools(HoverTool(tooltips=[("run", "@run"), ("scale", "@group"), ("variable", "@variable"),
                                      ("time", "@time"), ("value", "@value{0.000e}")]))
    fig.legend.location = "top_left"
    fig.legend.click_policy = "hide"
    return fig


def titer_plot(ds: xr.Dataset, variables: str | list[str] = "vg_titer", *, color_by: str = "scale",
               log_y: bool = True):
    """Titer (or any product variable) against time per run, one panel per variable."""
    names = [variables] if isinstance(variables, str) else list(variables)
    figs = []
    for var in names:
        unit = ds[var].attrs.get("units", "")
        fig = figure(width=760, height=320, title=f"{var} by run", x_axis_label=_time_label(ds),
                     y_axis_label=f"{var} ({unit})", y_axis_type="log" if log_y else "linear",
                     tools="pan,box_zoom,wheel_zoom,reset,save")
        _lines(fig, ds, var, color_by)
        fig.add_tools(HoverTool(tooltips=[("run", "@run"), ("time", "@time"), (var, "@value{0.000e}")]))
        fig.legend.location = "top_left"
        fig.legend.click_policy = "hide"
        figs.append(fig)
    return figs[0] if len(figs) == 1 else column(*figs)


def ln_vcd_plot(ds: xr.Dataset, growth: xr.Dataset, vcd: str = "vcd", *, color_by: str = "scale"):
    """ln VCD against time per run with the fitted exponential window (bold line) from
    :func:`pdkit.upstream.growth_rate` (its Dataset over runs)."""
    colors = scale_colors(ds, color_by)
    unit_t = growth.attrs.get("time_unit", "")
    fig = figure(width=760, height=380, title=f"ln {vcd} with the fitted exponential window",
                 x_axis_label=_time_label(ds), y_axis_label=f"ln {vcd}", tools="pan,box_zoom,wheel_zoom,reset,save")
    for run in ds["run"].values:
        da = ds[vcd].sel(run=run).dropna("time")
        da = da.where(da > 0, drop=True)
        g = _group(ds, run, color_by)
        src = ColumnDataSource({"time": da["time"].values, "value": np.log(da.values), "run": [str(run)] * da.size})
        fig.scatter("time", "value", source=src, color=colors[g], size=6, legend_label=g)
        fig.line("time", "value", source=src, color=colors[g], alpha=0.3)
        r = growth.sel(run=run)
        rate, start, end = float(r["rate"]), float(r["start"]), float(r["end"])
        if np.isfinite(rate):
            inw = da.sel(time=slice(start, end))
            t, y = inw["time"].values, np.log(inw.values)
            intercept = float(np.mean(y) - rate * np.mean(t))
            fit = ColumnDataSource({"time": [start, end], "value": [intercept + rate * start, intercept + rate * end],
                                    "run": [str(run)] * 2, "rate": [rate] * 2, "r2": [float(r["r2"])] * 2})
            fig.line("time", "value", source=fit, color=colors[g], line_width=4, alpha=0.8)
    fig.add_tools(HoverTool(tooltips=[("run", "@run"), ("time", "@time"), ("ln value", "@value{0.000}"),
                                      (f"mu (1/{unit_t})", "@rate{0.000}"), ("R²", "@r2{0.0000}")]))
    fig.legend.location = "top_left"
    fig.legend.click_policy = "hide"
    return fig


def productivity_plot(product: xr.DataArray, ivcd: xr.DataArray, qp: xr.Dataset, *,
                      window: tuple[float, float] | None = None, ds: xr.Dataset | None = None,
                      color_by: str = "scale"):
    """Product against IVCD per run with the fitted qP line from
    :func:`pdkit.upstream.specific_productivity` (its Dataset over runs)."""
    ref = ds if ds is not None else xr.Dataset(coords=product.coords)
    colors = scale_colors(ref, color_by)
    unit = qp.attrs.get("unit", "")
    fig = figure(width=760, height=380, title=f"{product.name or 'product'} vs IVCD (slope = qP, {unit})",
                 x_axis_label=f"IVCD ({ivcd.attrs.get('units', '')})",
                 y_axis_label=f"{product.name or 'product'} ({product.attrs.get('units', '')})",
                 tools="pan,box_zoom,wheel_zoom,reset,save")
    for run in product["run"].values:
        p, x = product.sel(run=run), ivcd.sel(run=run)
        ok = p.notnull() & x.notnull()
        if window is not None:
            ok = ok & (p["time"] >= window[0]) & (p["time"] <= window[1])
        p, x = p.where(ok, drop=True), x.where(ok, drop=True)
        g = _group(ref, run, color_by)
        src = ColumnDataSource({"ivcd": x.values, "value": p.values, "time": p["time"].values, "run": [str(run)] * p.size})
        fig.scatter("ivcd", "value", source=src, color=colors[g], size=7, legend_label=g)
        r = qp.sel(run=run)
        slope_native = float(r["qp"])
        if x.size >= 2 and np.isfinite(float(r["intercept"])):
            # the line is drawn in the data's own units: slope = qP / unit factor
            factor = _qp_factor(product, ivcd)
            xs = np.array([float(x.min()), float(x.max())])
            ys = float(r["intercept"]) + slope_native / factor * xs
            fig.line(xs, ys, color=colors[g], line_width=2, alpha=0.8)
    fig.add_tools(HoverTool(tooltips=[("run", "@run"), ("time", "@time"), ("IVCD", "@ivcd{0.000e}"),
                                      ("product", "@value{0.000e}")]))
    fig.legend.location = "top_left"
    fig.legend.click_policy = "hide"
    return fig


def _qp_factor(product: xr.DataArray, ivcd: xr.DataArray) -> float:
    from pdkit.process.upstream import qp_unit as _qp_unit

    return _qp_unit(product.attrs.get("units"), ivcd.attrs.get("units"))[0]
