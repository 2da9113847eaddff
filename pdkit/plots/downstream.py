"""Bokeh figures for downstream results (:mod:`pdkit.downstream`).

Each function takes the DataFrame returned by the matching computation and only draws it:

* :func:`yield_waterfall` - cumulative yield along the train from :func:`pdkit.downstream.step_yields`;
* :func:`clearance_plot` - fraction of each impurity remaining (log axis) from
  :func:`pdkit.downstream.log_reduction`;
* :func:`closure_plot` - mass-balance closure bars with the acceptance band from
  :func:`pdkit.downstream.mass_balance`.

Examples
--------
>>> import pandas as pd
>>> from pdkit.downstream import step_yields
>>> from pdkit.plots.downstream import yield_waterfall
>>> t = pd.DataFrame({"step": ["clarification", "affinity"], "attribute": "vg",
...     "volume_unit": "L", "conc_unit": "vg/mL", "load_volume": [10, 9.5],
...     "load_conc": [1e10, 1e10], "pool_volume": [9.5, 0.5], "pool_conc": [1e10, 1.4e11]})
>>> fig = yield_waterfall(step_yields(t))
>>> type(fig).__name__
'figure'
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from bokeh.models import BoxAnnotation, ColumnDataSource, FactorRange, HoverTool, LabelSet, Span
from bokeh.plotting import figure
from bokeh.transform import factor_cmap

from pdkit.errors import InputError
from pdkit.plots import PALETTE

__all__ = ["yield_waterfall", "clearance_plot", "closure_plot"]


def _need(df: pd.DataFrame, columns: list[str], what: str) -> None:
    if not isinstance(df, pd.DataFrame):
        raise InputError(f"{what}: expected the DataFrame returned by pdkit.downstream, got {type(df).__name__}")
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise InputError(f"{what}: missing column(s) {', '.join(missing)}; pass the result of pdkit.downstream")


def yield_waterfall(yields: pd.DataFrame, *, title: str | None = None, width: int = 760, height: int = 380):
    """Waterfall of the product's cumulative yield: 100 % load, one drop per step, overall bar.

    Parameters
    ----------
    yields : DataFrame
        Output of :func:`pdkit.downstream.step_yields`.
    title : str, optional
        Figure title (default names the product).
    """
    _need(yields, ["step", "yield_pct", "cumulative_yield_pct"], "yield_waterfall")
    steps = [str(s) for s in yields["step"]]
    cum = yields["cumulative_yield_pct"].to_numpy(dtype=float)
    prev = np.concatenate([[100.0], cum[:-1]])
    factors = ["load", *steps, "overall"]
    product = yields.attrs.get("product", str(yields["attribute"].iloc[0]) if "attribute" in yields else "product")
    fig = figure(
        x_range=FactorRange(*factors),
        width=width,
        height=height,
        title=title or f"Cumulative {product} yield along the train",
        y_axis_label="% of load",
        toolbar_location="right",
    )
    ends = ColumnDataSource(
        {"x": ["load", "overall"], "top": [100.0, float(cum[-1])], "label": ["100 %", f"{cum[-1]:.1f} %"]}
    )
    fig.vbar(x="x", top="top", bottom=0, width=0.7, source=ends, color=PALETTE[0], legend_label="remaining")
    # remaining part under each step and the lost part on top of it
    kept = ColumnDataSource({"x": steps, "top": cum, "bottom": np.zeros_like(cum)})
    fig.vbar(x="x", top="top", bottom="bottom", width=0.7, source=kept, color=PALETTE[0], alpha=0.35)
    above = np.maximum(prev, cum)
    lost = ColumnDataSource(
        {
            "x": steps,
            "top": above,
            "bottom": np.minimum(prev, cum),
            "step_yield": [f"{v:.1f} %" for v in yields["yield_pct"]],
            "cumulative": [f"{v:.1f} %" for v in cum],
            "label_y": above + 2.0,
        }
    )
    r = fig.vbar(
        x="x", top="top", bottom="bottom", width=0.7, source=lost, color=PALETTE[3], legend_label="lost in step"
    )
    fig.add_layout(LabelSet(x="x", y="label_y", text="step_yield", source=lost, text_align="center", text_font_size="9pt"))
    fig.add_layout(LabelSet(x="x", y="top", text="label", source=ends, text_align="center", y_offset=3, text_font_size="9pt"))
    fig.add_tools(HoverTool(renderers=[r], tooltips=[("step", "@x"), ("step yield", "@step_yield"), ("cumulative", "@cumulative")]))
    fig.y_range.start = 0
    fig.y_range.end = max(110.0, float(above.max()) + 12)
    fig.xaxis.major_label_orientation = 0.6
    fig.legend.location = "top_right"
    return fig


def clearance_plot(lrv: pd.DataFrame, *, title: str | None = None, width: int = 760, height: int = 400):
    """Fraction of each impurity remaining after each step (10^-cumulative LRV), log axis.

    Censored (``>=``) values are drawn as open markers: the true remaining fraction is
    at most the plotted value.

    Parameters
    ----------
    lrv : DataFrame
        Output of :func:`pdkit.downstream.log_reduction`.
    """
    _need(lrv, ["step_number", "step", "attribute", "cumulative_lrv", "cumulative_qualifier"], "clearance_plot")
    order = lrv.drop_duplicates("step").sort_values("step_number")["step"].astype(str).tolist()
    factors = ["load", *order]
    fig = figure(
        x_range=FactorRange(*factors),
        y_axis_type="log",
        width=width,
        height=height,
        title=title or "Impurity clearance (fraction of load remaining; cumulative LRV)",
        y_axis_label="fraction remaining (log scale)",
        toolbar_location="right",
    )
    for k, (imp, sub) in enumerate(lrv.groupby("attribute", sort=False)):
        color = PALETTE[k % len(PALETTE)]
        xs = ["load", *sub["step"].astype(str).tolist()]
        ys = [1.0, *(10.0 ** (-sub["cumulative_lrv"].to_numpy(dtype=float))).tolist()]
        fig.line(xs, ys, color=color, line_width=2, legend_label=str(imp))
        src = ColumnDataSource(
            {
                "x": sub["step"].astype(str).tolist(),
                "y": ys[1:],
                "lrv": sub["lrv_text"].tolist() if "lrv_text" in sub else sub["lrv"].round(2).tolist(),
                "cum": sub["cumulative_text"].tolist() if "cumulative_text" in sub else sub["cumulative_lrv"].round(2).tolist(),
                "fill": [0.0 if q else 1.0 for q in sub["cumulative_qualifier"]],
                "imp": [str(imp)] * len(sub),
            }
        )
        r = fig.scatter("x", "y", source=src, size=9, color=color, fill_alpha="fill", line_width=2, legend_label=str(imp))
        fig.add_tools(HoverTool(renderers=[r], tooltips=[("impurity", "@imp"), ("step", "@x"), ("step LRV", "@lrv"), ("cumulative LRV", "@cum")]))
    fig.xaxis.major_label_orientation = 0.6
    fig.legend.location = "bottom_left"
    fig.legend.click_policy = "hide"
    return fig


def closure_plot(balance: pd.DataFrame, *, band: tuple[float, float] | None = None, title: str | None = None,
                 width: int = 760, height: int = 400):
    """Mass-balance closure per step and attribute with the acceptance band shaded.

    Bars inside the band are blue, outside orange-red.

    Parameters
    ----------
    balance : DataFrame
        Output of :func:`pdkit.downstream.mass_balance`.
    band : (low, high), optional
        Band in percent (default ``balance.attrs['band']`` or 80-120 %).
    """
    _need(balance, ["step_number", "step", "attribute", "closure_pct", "in_band"], "closure_plot")
    low, high = band or balance.attrs.get("band", (80.0, 120.0))
    data = balance[np.isfinite(balance["closure_pct"].to_numpy(dtype=float))]
    order = balance.drop_duplicates("step").sort_values("step_number")["step"].astype(str).tolist()
    keys = [(str(s), str(a)) for s, a in zip(data["step"], data["attribute"])]
    factors = [k for s in order for k in keys if k[0] == s]
    src = ColumnDataSource(
        {
            "x": keys,
            "closure": data["closure_pct"].to_numpy(dtype=float),
            "status": ["in band" if b else "outside band" for b in data["in_band"]],
            "measured": data["fractions_measured"].tolist() if "fractions_measured" in data else [""] * len(data),
            "flag": data["flag"].tolist() if "flag" in data else [""] * len(data),
        }
    )
    top = float(max(high + 20.0, *(data["closure_pct"].to_numpy(dtype=float) + 10.0))) if len(data) else high + 20
    fig = figure(
        x_range=FactorRange(*factors),
        width=width,
        height=height,
        title=title or f"Mass-balance closure (band {low:g}-{high:g} %)",
        y_axis_label="closure, % of load",
        toolbar_location="right",
    )
    fig.add_layout(BoxAnnotation(bottom=low, top=high, fill_color=PALETTE[2], fill_alpha=0.12))
    fig.add_layout(Span(location=100, dimension="width", line_color="#444444", line_dash="dashed"))
    r = fig.vbar(
        x="x",
        top="closure",
        width=0.8,
        source=src,
        fill_color=factor_cmap("status", palette=[PALETTE[0], PALETTE[3]], factors=["in band", "outside band"]),
        line_color=None,
        legend_field="status",
    )
    fig.add_tools(HoverTool(renderers=[r], tooltips=[("step, attribute", "@x"), ("closure", "@closure{0.0} %"),
                                                     ("fractions", "@measured"), ("flag", "@flag")]))
    fig.y_range.start = 0
    fig.y_range.end = top
    fig.xaxis.major_label_orientation = 0.9
    fig.legend.location = "top_right"
    return fig
