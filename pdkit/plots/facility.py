"""Bokeh figures for facility capacity and cost of goods.

Built from :func:`pdkit.facility.cost_sensitivity` tables and
:class:`pdkit.facility.CostOfGoods` results; nothing is computed here beyond layout.
Every cost axis and title names the currency and the price year the results carry
(e.g. "COGS per dose (USD, 2025 prices)", or "price year not stated").
"""
from __future__ import annotations

import pandas as pd
from bokeh.models import ColumnDataSource, HoverTool, Span
from bokeh.plotting import figure

from pdkit.errors import InputError
from pdkit.io.tables import require_columns
from pdkit.plots import PALETTE
from pdkit.process.facility import check_currency, check_price_year, price_basis

__all__ = ["tornado_figure", "cogs_split_figure"]


def _table_basis(table: pd.DataFrame, currency: str | None, price_year: int | None) -> str:
    """Currency and price year of a tornado table: the arguments, else the table's own."""
    cur = currency
    year = price_year
    if cur is None:
        cur = table.attrs.get("currency")
        if cur is None and "currency" in table.columns:
            values = table["currency"].dropna().unique()
            if len(values) > 1:
                raise InputError(f"tornado table: column 'currency' mixes {sorted(map(str, values))}; "
                                 "expected one currency")
            cur = str(values[0]) if len(values) else None
        if cur is None:
            raise InputError("tornado table: no currency (no 'currency' column or attrs); pass currency='USD' "
                             "or the table's ISO 4217 code")
    if year is None:
        year = table.attrs.get("price_year")
        if year is None and "price_year" in table.columns:
            values = pd.Series(table["price_year"]).dropna().unique()
            if len(values) > 1:
                raise InputError(f"tornado table: column 'price_year' mixes {sorted(int(v) for v in values)}; "
                                 "expected one price year")
            year = int(values[0]) if len(values) else None
    return price_basis(check_currency(cur), check_price_year(year))


def tornado_figure(table: pd.DataFrame, *, title: str | None = None, currency: str | None = None,
                   price_year: int | None = None) -> figure:
    """Tornado chart of COGS per dose with each input at its low and high value.

    Bars start at the base-case COGS; the input with the largest swing is at the
    top.  Blue bars show the input at its ``low`` value, orange at its ``high`` value.

    Parameters
    ----------
    table : pandas.DataFrame
        The result of :func:`pdkit.facility.cost_sensitivity` (columns ``input``,
        ``low``, ``high``, ``cogs_low``, ``cogs_high``, ``base_cogs``, ``swing``).
    title : str, optional
        Figure title (default names the currency and price year).
    currency, price_year : optional
        ISO 4217 code and price year for the axis; default: those the table carries
        (``attrs`` or its ``currency`` / ``price_year`` columns).  A table without a
        currency needs ``currency``.

    Examples
    --------
    >>> from pdkit import facility
    >>> base = dict(titer_per_ml=1e10, working_volume_l=2000, dsp_yield=0.3, dose=1e15,
    ...             cycle_time_days=14, facility_per_year=5e6, labour_per_year=3e6,
    ...             qc_qa_per_year=2e6, materials_per_batch=4e5)
    >>> t = facility.cost_sensitivity(base, {"dsp_yield": (0.2, 0.4)}, price_year=2025)
    >>> fig = tornado_figure(t)
    >>> fig.xaxis.axis_label
    'COGS per dose (USD, 2025 prices)'
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
    basis = _table_basis(table, currency, price_year)
    label = f"COGS per dose ({basis})"
    if title is None:
        title = f"COGS per dose ({basis}): one-at-a-time sensitivity"

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
                                      (f"COGS/dose ({basis})", "@cogs{0,0}")]))
    fig.legend.location = "bottom_right"
    fig.xaxis.formatter.use_scientific = False
    return fig


def cogs_split_figure(results, labels=None, *, title: str | None = None) -> figure:
    """Stacked bars of COGS per dose split into facility, labour, QC/QA and materials.

    Parameters
    ----------
    results : CostOfGoods or sequence of CostOfGoods
        Results of :func:`pdkit.facility.cost_of_goods` / :func:`pdkit.facility.cost_model`,
        e.g. one per demand scenario.
        They must share one currency and price year (pdkit does not convert).
    labels : sequence of str, optional
        One label per result (default: the doses per year).
    title : str, optional
        Figure title (default names the currency and price year).

    Examples
    --------
    >>> from pdkit import facility
    >>> c = facility.cost_of_goods(100, 10, 2e6, 1e6, 5e5, 1.5e5, currency="EUR", price_year=2024)
    >>> fig = cogs_split_figure([c], ["base"])
    >>> fig.yaxis.axis_label
    'COGS per dose (EUR, 2024 prices)'
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
    bases = {r.basis for r in items}
    if len(bases) != 1:
        raise InputError(f"parameter 'results': the results are in different currencies or price years "
                         f"({', '.join(sorted(bases))}); convert them to one basis first")
    basis = price_basis(check_currency(items[0].currency), check_price_year(items[0].price_year))
    cats = ["facility", "labour", "qc_qa", "materials"]
    data = {"scenario": labels}
    for c in cats:
        data[c] = [getattr(r, f"{c}_per_dose") for r in items]
    label = f"COGS per dose ({basis})"
    if title is None:
        title = f"COGS per dose by category ({basis})"
    fig = figure(x_range=labels, title=title, height=360, width=max(320, 120 * len(labels) + 200),
                 y_axis_label=label, toolbar_location="right", tools="save,reset")
    fig.vbar_stack(cats, x="scenario", width=0.6, source=ColumnDataSource(data), color=PALETTE[: len(cats)],
                   legend_label=["facility", "labour", "QC/QA", "materials"])
    fig.add_tools(HoverTool(tooltips=[("scenario", "@scenario"), ("category", "$name"), (f"per dose ({basis})", "@$name{0,0}")]))
    fig.legend.location = "top_right"
    fig.yaxis.formatter.use_scientific = False
    return fig
