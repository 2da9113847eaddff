"""Bokeh figures for PPQ sampling plans (:func:`pdkit.ppq.ppq_grid`).

* :func:`oc_curves` - operating-characteristic curves: probability of passing against the
  process standard deviation (or mean), one line per value of the other (or per sample size);
* :func:`pass_probability_map` - the probability of passing over a grid of means and
  standard deviations for one sample size (a heat map with the 0.8/0.9/0.95 levels marked).

Examples
--------
>>> from pdkit.ppq import ppq_grid
>>> from pdkit.plots.ppq import oc_curves, pass_probability_map
>>> g = ppq_grid([98, 100], [0.5, 1.0, 1.5], 10, lower=95, upper=105)
>>> oc_curves(g).yaxis.axis_label
'probability of passing'
>>> pass_probability_map(g).xaxis.axis_label
'process mean'
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from bokeh.models import ColorBar, ColumnDataSource, HoverTool, LinearColorMapper, Span
from bokeh.plotting import figure

from pdkit.errors import InputError
from pdkit.plots import PALETTE

__all__ = ["oc_curves", "pass_probability_map"]

_COLUMNS = ("mu", "sigma", "n", "probability")


def _check(grid: pd.DataFrame) -> None:
    if not isinstance(grid, pd.DataFrame) or any(c not in grid.columns for c in _COLUMNS):
        raise InputError("grid: expected the DataFrame returned by pdkit.ppq.ppq_grid "
                         f"(columns {', '.join(_COLUMNS)})")


def _title(grid: pd.DataFrame) -> str:
    a = grid.attrs
    lims = []
    if a.get("lower") is not None:
        lims.append(f"LSL {a['lower']:g}")
    if a.get("upper") is not None:
        lims.append(f"USL {a['upper']:g}")
    nb = a.get("n_batches", 1)
    return f"PPQ pass probability ({', '.join(lims)}; {nb} batch{'es' if nb != 1 else ''})"


def oc_curves(grid: pd.DataFrame, x: str = "sigma", by: str | None = None, *, title: str | None = None,
              width: int = 720, height: int = 420):
    """Probability of passing against ``x`` (``"sigma"`` or ``"mu"``), one line per value of ``by``.

    ``by`` defaults to ``"n"`` when the grid has several sample sizes, otherwise to the other
    of ``mu``/``sigma``.
    """
    _check(grid)
    if x not in ("sigma", "mu"):
        raise InputError(f"x: expected 'sigma' or 'mu', got {x!r}")
    if by is None:
        by = "n" if grid["n"].nunique() > 1 else ("mu" if x == "sigma" else "sigma")
    if by not in ("mu", "sigma", "n") or by == x:
        raise InputError(f"by: expected one of mu, sigma, n other than x, got {by!r}")
    fig = figure(width=width, height=height, title=title or _title(grid), y_range=(-0.02, 1.02),
                 toolbar_location="above")
    for i, (val, sub) in enumerate(grid.groupby(by, sort=True)):
        sub = sub.sort_values(x)
        src = ColumnDataSource({"x": sub[x].to_numpy(float), "p": sub["probability"].to_numpy(float),
                                "k": sub["k"].to_numpy(float) if "k" in sub else np.full(len(sub), np.nan)})
        colour = PALETTE[i % len(PALETTE)]
        label = f"{by} = {val:g}"
        fig.line("x", "p", source=src, color=colour, line_width=2, legend_label=label)
        fig.scatter("x", "p", source=src, color=colour, size=5, legend_label=label)
    fig.add_tools(HoverTool(tooltips=[(x, "@x{0.000}"), ("P(pass)", "@p{0.0000}"), ("k", "@k{0.000}")]))
    fig.xaxis.axis_label = "process standard deviation" if x == "sigma" else "process mean"
    fig.yaxis.axis_label = "probability of passing"
    fig.legend.location = "bottom_left" if x == "sigma" else "bottom_center"
    fig.legend.click_policy = "hide"
    return fig


def pass_probability_map(grid: pd.DataFrame, n: int | None = None, *, title: str | None = None,
                         width: int = 720, height: int = 460):
    """Heat map of the probability of passing over means (x) and standard deviations (y) for one ``n``.

    Dashed vertical lines mark the specification limits; hover shows the values.  ``n`` defaults to the smallest
    sample size in the grid.
    """
    _check(grid)
    nn = int(grid["n"].min()) if n is None else int(n)
    sub = grid[grid["n"] == nn]
    if sub.empty:
        raise InputError(f"n: {n!r} is not a sample size of the grid (sizes: {sorted(grid['n'].unique())})")
    mus = np.sort(sub["mu"].unique())
    sigmas = np.sort(sub["sigma"].unique())
    P = sub.pivot_table(index="sigma", columns="mu", values="probability").reindex(index=sigmas, columns=mus)
    dx = float(np.diff(mus).min()) if len(mus) > 1 else 1.0
    dy = float(np.diff(sigmas).min()) if len(sigmas) > 1 else 1.0
    mapper = LinearColorMapper(palette="Viridis256", low=0.0, high=1.0)
    XX, YY = np.meshgrid(mus, sigmas)
    src = ColumnDataSource({"mu": XX.ravel(), "sigma": YY.ravel(), "p": P.to_numpy().ravel()})
    fig = figure(width=width, height=height, title=title or f"{_title(grid)}, n = {nn}", toolbar_location="above",
                 x_range=(mus[0] - dx / 2, mus[-1] + dx / 2), y_range=(sigmas[0] - dy / 2, sigmas[-1] + dy / 2))
    fig.rect("mu", "sigma", width=dx, height=dy, source=src, fill_color={"field": "p", "transform": mapper},
             line_color=None)
    fig.add_layout(ColorBar(color_mapper=mapper, title="P(pass)"), "right")
    fig.add_tools(HoverTool(tooltips=[("mean", "@mu{0.000}"), ("sd", "@sigma{0.000}"), ("P(pass)", "@p{0.0000}")]))
    for key in ("lower", "upper"):
        v = grid.attrs.get(key)
        if v is not None and mus[0] - dx <= v <= mus[-1] + dx:
            fig.add_layout(Span(location=v, dimension="height", line_dash="dashed", line_color="#D55E00"))
    fig.xaxis.axis_label = "process mean"
    fig.yaxis.axis_label = "process standard deviation"
    return fig
