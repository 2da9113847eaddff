"""Bokeh figures for facility capacity and cost of goods.

Built from :func:`pdkit.facility.cost_sensitivity` tables; nothing is computed here
beyond layout.
"""
from __future__ import annotations

import pandas as pd
from bokeh.models import ColumnDataSource, HoverTool, Span
from bokeh.plotting import figure

from pdkit.io.tables import require_columns
from pdkit.errors import InputError
from pdkit.plots import PALETTE

__all__ = ["tornado_figure", "cogs_split_figure"]


def tornado_figure(table: pd.DataFrame, *, title: str = "COGS per dose: one-at-a-time sensitivity",
                   currency: str = "") -> figure:
    """Tornado chart of COGS per dose with each input at its low and high value.

    Bars start at the base-case COGS; the input with the largest swing is at the
    top.  Blue bars show the input at its ``low`` value, orange at its ``high`` value.

    Parameters
    ----------
    table : pandas.DataFrame
        The result of :func:`pdkit.facility.cost_sensitivity` (columns ``input``,
        ``low``, ``high``, ``cogs_low``, ``cogs_high``, ``base_cogs``, ``swing``).
    title : str
        Figure title.
    currency : str
        Label for the axis, e.g. ``"USD"``.

    Examples
    --------
    >>> from pdkit import facility
    >>> base = dict(titer_per_ml=1e10, working_volume_l=2000, dsp_yield=0.3, dose=1e15,
    ...             cycle_time_days=14, facility_per_year=5e6, labour_per_year=3e6,
    ...             qc_qa_per_year=2e6, materials_per_batch=4e5)
    >>> t = facility.cost_sensitivity(base, {"dsp_yield": (0.2, 0.4)})
    >>> fig = tornado_figure(t)
    """
    require_columns(table, ["input", "low", "high", "cogs_low", "cogs_high", "base_cogs"], "tornado table")
    if len(table) == 0:
        raise InputError("tornado table: no rows to plot")
    t = table.copy()
    if "swing" not in t.columns:
        t["swing"] = (t["cogs_high"] - t["cogs_low"]).abs()
    t = t.sort_values("swing", ascending=True, kind="stable")  # bokeh draws factors bottom-up
    t["input"] = t["input"].astype(str)
    base = float(t["base_cogs"].iloc[0])
    factors = t["input"].tolist()
    label = f"COGS per dose ({currency})" if currency else "COGS per dose"

    fig = figure(y_range=factors, title=title, height=max(180, 45 * len(factors) + 90), width=640,
                 x_axis_label=label, toolbar_location="right", tools="save,reset")
    for side, colour, name in (("low", PALETTE[0], "input at low value"), ("high", PALETTE[1], "input at high value")):
        src = ColumnDataSource(
            {
                "input": factors,
                "left": [min(base, v) for v in t[f"cogs_{side}"]],
                "right": [max(base, v) for v in t[f"cogs_{side}"]],
                "value": t[side].tolist(),
                "cogs": t[f"cogs_{side}"].tolist(),
            }
        )
        fig.hbar(y="input", left="left", right="right", height=0.6, source=src, color=colour, alpha=0.8,
                 legend_label=name)
    fig.add_layout(Span(location=base, dimension="height", line_color="black", line_width=1))
    fig.add_tools(HoverTool(tooltips=[("input", "@input"), ("value", "@value{0.[000]a}"),
                                      ("COGS/dose", "@cogs{0,0}")]))
    fig.legend.location = "bottom_right"
    fig.xaxis.formatter.use_scientific = False
    return fig


def cogs_split_figure(results, labels=None, *, title: str = "COGS per dose by category",
                      currency: str = "") -> figure:
    """Stacked bars of COGS per dose split into facility, labour, QC/QA and materials.

    Parameters
    ----------
    results : CostOfGoods or sequence of CostOfGoods
        Results of :func:`pdkit.facility.cost_of_goods` / :func:`pdkit.facility.cost_model`,
        e.g. one per demand scenario.
    labels : sequence of str, optional
        One label per result (default: the doses per year).
    title, currency : str
        Figure title and axis currency label.

    Examples
    --------
    >>> from pdkit import facility
    >>> fig = cogs_split_figure([facility.cost_of_goods(100, 10, 2e6, 1e6, 5e5, 1.5e5)], ["base"])
    """
    from pdkit.process.facility import CostOfGoods

    items = [results] if isinstance(results, CostOfGoods) else list(results)
    if not items or not all(isinstance(r, CostOfGoods) for r in items):
        raise InputError("parameter 'results': expected one or more CostOfGoods results")
    if labels is None:
        labels = [f"{r.doses:,.0f} doses/y" for r in items]
    labels = [str(x) for x in labels]
    if len(labels) != len(items) or len(set(labels)) != len(labels):
        raise InputError(f"parameter 'labels': expected {len(items)} distinct labels, got {labels!r}")
    cats = ["facility", "labour", "qc_qa", "materials"]
    data = {"scenario": labels}
    for c in cats:
        data[c] = [getattr(r, f"{c}_per_dose") for r in items]
    label = f"COGS per dose ({currency})" if currency else "COGS per dose"
    fig = figure(x_range=labels, title=title, height=360, width=max(320, 120 * len(labels) + 200),
                 y_axis_label=label, toolbar_location="right", tools="save,reset")
    fig.vbar_stack(cats, x="scenario", width=0.6, source=ColumnDataSource(data), color=PALETTE[: len(cats)],
                   legend_label=["facility", "labour", "QC/QA", "materials"])
    fig.add_tools(HoverTool(tooltips=[("scenario", "@scenario"), ("category", "$name"), ("per dose", "@$name{0,0}")]))
    fig.legend.location = "top_right"
    fig.yaxis.formatter.use_scientific = False
    return fig
