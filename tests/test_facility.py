"""Tests for pdkit.facility (capacity and cost of goods) and its tornado plot.

No published AAV COGS analysis with a complete, internally consistent set of inputs and
outputs could be verified, so the arithmetic is checked by hand calculations, and the
published qualitative finding of Farid and co-workers (UCL; summarised in "COG and
Economies of Scale for Advanced Therapies", Genetic Engineering & Biotechnology News) that
labour and indirect costs dominate at about 100 doses/year while raw materials dominate from
about 1000 doses/year is reproduced with realistic inputs.
"""
from __future__ import annotations

import pandas as pd
import pytest

from pdkit import facility
from pdkit.errors import InputError

BASE = dict(
    titer_per_ml=1e10, working_volume_l=2000, dsp_yield=0.3, dose=1e15,
    cycle_time_days=14, changeover_days=3, available_days=330,
    facility_per_year=5e6, labour_per_year=3e6, qc_qa_per_year=2e6, materials_per_batch=4e5,
)


# ----------------------------------------------------------------------------- capacity
def test_batches_per_year_hand():
    # 330 / (14 + 3) = 19.41 -> 19 whole batches
    assert facility.batches_per_year(14, 3, 330) == 19
    assert facility.batches_per_year(14, 3, 330, whole_batches=False) == pytest.approx(330 / 17)
    # exact division is not lost to floating point: 300 / (10 + 2) = 25; 0.3/0.1 style cases
    assert facility.batches_per_year(10, 2, 300) == 25
    assert facility.batches_per_year(0.1, 0.0, 0.3) == 3
    assert facility.batches_per_year(14, 3, 330, suites=3) == 57
    assert facility.batches_per_year(400, 0, 330) == 0


def test_doses_per_year_hand():
    # 1e10 vg/mL x 1000 mL/L x 2000 L x 0.3 x 19 / 1e15 vg/dose = 114 doses
    assert facility.doses_per_year(1e10, 2000, 0.3, 19, 1e15) == pytest.approx(114.0)
    # primer magnitude: 3e14 vg/L = 3e11 vg/mL
    assert facility.doses_per_year(3e11, 200, 0.3, 20, 1e15) == pytest.approx(360.0)


def test_suite_utilisation_hand():
    assert facility.suite_utilisation(19, 14, 3, 330) == pytest.approx(19 * 17 / 330)
    assert facility.suite_utilisation(38, 14, 3, 330, suites=2) == pytest.approx(19 * 17 / 330)
    with pytest.raises(InputError, match="'batches': 20 batches of 17 days need 340 suite-days"):
        facility.suite_utilisation(20, 14, 3, 330)


def test_cost_of_goods_hand_split():
    # (2e6 + 1e6 + 5e5 + 1.5e5 x 10) / 100 = 5e4 per dose
    c = facility.cost_of_goods(100, 10, 2e6, 1e6, 5e5, 1.5e5)
    assert c.total_per_dose == pytest.approx(50_000.0)
    assert (c.facility_per_dose, c.labour_per_dose, c.qc_qa_per_dose, c.materials_per_dose) == pytest.approx(
        (20_000.0, 10_000.0, 5_000.0, 15_000.0)
    )
    t = c.table
    assert list(t["category"]) == ["facility", "labour", "qc_qa", "materials"]
    assert t["share"].sum() == pytest.approx(1.0)
    assert t["annual_cost"].sum() == pytest.approx(c.annual_cost) == pytest.approx(5e6)
    # per-batch release testing adds to QC/QA: 5e5 + 2e4 x 10 = 7e5 -> 7000 per dose
    c2 = facility.cost_of_goods(100, 10, 2e6, 1e6, 5e5, 1.5e5, qc_qa_per_batch=2e4)
    assert c2.qc_qa_per_dose == pytest.approx(7_000.0)
    with pytest.raises(Exception):
        c.total_per_dose = 1.0  # frozen


def test_cost_model_chain_hand():
    c = facility.cost_model(BASE)
    assert c.batches == 19
    assert c.doses == pytest.approx(114.0)
    # (5e6 + 3e6 + 2e6 + 4e5 x 19) / 114 = 17.6e6 / 114
    assert c.total_per_dose == pytest.approx(17.6e6 / 114)


def test_low_demand_fixed_costs_high_demand_materials_farid():
    """Farid et al. (UCL) lentiviral-vector COGS: labour and indirect costs dominate near 100
    doses/year; raw materials dominate from about 1000 doses/year (GEN summary)."""
    low = facility.cost_model({**BASE, "working_volume_l": 200, "dose": 3e14, "materials_per_batch": 1e5})  # 38 doses/y
    high = facility.cost_model({**BASE, "suites": 4, "dose": 2e14, "facility_per_year": 1.5e7,
                                "materials_per_batch": 6e5})  # 2280 doses/y
    assert low.doses < 100 < 1000 < high.doses
    lt, ht = low.table.set_index("category"), high.table.set_index("category")
    assert lt["share"].idxmax() in {"facility", "labour"}
    assert ht["share"].idxmax() == "materials"


def test_cost_sensitivity_tornado_hand():
    t = facility.cost_sensitivity(BASE, {"dsp_yield": (0.2, 0.4), "labour_per_year": (2e6, 4e6)})
    assert list(t.columns) == ["input", "base_value", "low", "high", "cogs_low", "cogs_high", "base_cogs", "swing",
                               "currency", "price_year"]
    assert list(t["input"]) == ["dsp_yield", "labour_per_year"]
    base = 17.6e6 / 114
    assert t["base_cogs"].tolist() == pytest.approx([base, base])
    dy = t.iloc[0]
    # dsp_yield 0.2 -> 76 doses; 0.4 -> 152 doses (same annual cost 17.6e6)
    assert dy["cogs_low"] == pytest.approx(17.6e6 / 76)
    assert dy["cogs_high"] == pytest.approx(17.6e6 / 152)
    lab = t.iloc[1]
    assert lab["cogs_low"] == pytest.approx(16.6e6 / 114)
    assert lab["swing"] == pytest.approx(2e6 / 114)
    assert lab["base_value"] == 3e6


def test_cost_sensitivity_does_not_modify_inputs():
    base = dict(BASE)
    ranges = {"cycle_time_days": (10, 20)}
    facility.cost_sensitivity(base, ranges)
    assert base == BASE and ranges == {"cycle_time_days": (10, 20)}


# ----------------------------------------------------------------------------- currency and price year
def test_currency_and_price_year_in_summary_table_and_frame():
    c = facility.cost_model(BASE, currency="EUR", price_year=2024)
    assert (c.currency, c.price_year, c.basis) == ("EUR", 2024, "EUR, 2024 prices")
    s = c.summary()
    assert "EUR per dose" in s and "EUR, 2024 prices" in s and s.endswith("EUR)")
    for frame in (c.table, c.to_frame()):
        assert (frame["currency"] == "EUR").all() and (frame["price_year"] == 2024).all()
    assert "EUR, 2024 prices" in c._repr_html_()
    # the numbers do not depend on the label (no conversion)
    assert c.total_per_dose == pytest.approx(facility.cost_model(BASE).total_per_dose)


def test_default_currency_usd_and_undated_prices_are_stated():
    c = facility.cost_of_goods(100, 10, 2e6, 1e6, 5e5, 1.5e5)
    assert c.currency == "USD" and c.price_year is None
    assert "USD, price year not stated" in c.summary()
    assert c.table["price_year"].isna().all() and (c.table["currency"] == "USD").all()


def test_sensitivity_carries_currency():
    t = facility.cost_sensitivity(BASE, {"dsp_yield": (0.2, 0.4)}, currency="GBP", price_year=2023)
    assert (t["currency"] == "GBP").all() and (t["price_year"] == 2023).all()
    assert t.attrs["price_basis"] == "GBP, 2023 prices"


@pytest.mark.parametrize("code", ["usd", "US", "USDD", "US$", "", None, 840])
def test_bad_currency_code_names_parameter(code):
    for call in (lambda: facility.cost_of_goods(100, 10, 1, 1, 1, 1, currency=code),
                 lambda: facility.cost_model(BASE, currency=code),
                 lambda: facility.cost_sensitivity(BASE, {"dsp_yield": (0.2, 0.4)}, currency=code)):
        with pytest.raises(InputError, match="parameter 'currency': expected an ISO 4217 currency code"):
            call()


@pytest.mark.parametrize("year", [25, "2025", 2025.0, True])
def test_bad_price_year_names_parameter(year):
    with pytest.raises(InputError, match="parameter 'price_year': expected a four-digit year"):
        facility.cost_model(BASE, price_year=year)


def test_figures_label_currency_and_price_year():
    from pdkit.plots.facility import cogs_split_figure, tornado_figure

    a = facility.cost_model(BASE, currency="EUR", price_year=2024)
    b = facility.cost_model({**BASE, "suites": 2}, currency="EUR", price_year=2024)
    fig = cogs_split_figure([a, b], ["one suite", "two suites"])
    assert fig.yaxis.axis_label == "COGS per dose (EUR, 2024 prices)"
    assert "EUR, 2024 prices" in fig.title.text
    t = facility.cost_sensitivity(BASE, {"dsp_yield": (0.2, 0.4)}, currency="EUR", price_year=2024)
    tf = tornado_figure(t)
    assert tf.xaxis.axis_label == "COGS per dose (EUR, 2024 prices)" and "EUR, 2024 prices" in tf.title.text
    undated = tornado_figure(facility.cost_sensitivity(BASE, {"dsp_yield": (0.2, 0.4)}))
    assert undated.xaxis.axis_label == "COGS per dose (USD, price year not stated)"
    # results on different bases are not drawn on one axis
    with pytest.raises(InputError, match="different currencies or price years"):
        cogs_split_figure([a, facility.cost_model(BASE, currency="USD", price_year=2024)], ["eur", "usd"])
    # a hand-made table without a currency needs one, and a bad one is refused
    bare = t.drop(columns=["currency", "price_year"])
    bare.attrs = {}
    with pytest.raises(InputError, match="no currency"):
        tornado_figure(bare)
    assert tornado_figure(bare, currency="CHF", price_year=2022).xaxis.axis_label == "COGS per dose (CHF, 2022 prices)"
    with pytest.raises(InputError, match="parameter 'currency'"):
        tornado_figure(bare, currency="chf")


# ----------------------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: facility.batches_per_year(0, 3), "'cycle_time_days': expected a value > 0, got 0"),
        (lambda: facility.batches_per_year(14, -1), "'changeover_days': expected a value >= 0"),
        (lambda: facility.batches_per_year(14, 3, 400), "'available_days': expected a value <= 366"),
        (lambda: facility.batches_per_year(14, 3, 330, suites=1.5), "'suites': expected a whole number"),
        (lambda: facility.batches_per_year("14", 3), "'cycle_time_days': expected a number, got '14'"),
        (lambda: facility.doses_per_year(1e10, 200, 30, 19, 1e15), "'dsp_yield': expected a value <= 1, got 30"),
        (lambda: facility.doses_per_year(1e10, 200, 0.3, 19, 0), "'dose': expected a value > 0"),
        (lambda: facility.doses_per_year(float("inf"), 200, 0.3, 19, 1e15), "'titer_per_ml': expected a finite"),
        (lambda: facility.cost_of_goods(0, 10, 1, 1, 1, 1), "'doses': expected a value > 0"),
        (lambda: facility.cost_of_goods(10, 10, -1, 1, 1, 1), "'facility_per_year'"),
        (lambda: facility.cost_of_goods(10, 10, 0, 0, 0, 0), "all costs are zero"),
        (lambda: facility.cost_model({**BASE, "colour": 1}), r"unknown input\(s\) \['colour'\]"),
        (lambda: facility.cost_model({k: v for k, v in BASE.items() if k != "dose"}), r"missing input\(s\) dose"),
        (lambda: facility.cost_model({**BASE, "cycle_time_days": 400}), "no batch fits"),
        (lambda: facility.cost_sensitivity(BASE, {}), "'ranges': expected a mapping"),
        (lambda: facility.cost_sensitivity(BASE, {"yield": (0.2, 0.4)}), "unknown input 'yield'"),
        (lambda: facility.cost_sensitivity(BASE, {"dsp_yield": (0.4, 0.2)}), "low \\(0.4\\) is above high"),
        (lambda: facility.cost_sensitivity(BASE, {"dsp_yield": 0.2}), "expected \\(low, high\\)"),
        (lambda: facility.cost_sensitivity(BASE, {"dsp_yield": (0.2, 1.5)}), "'dsp_yield' = 1.5.*<= 1"),
    ],
)
def test_bad_input_messages(call, match):
    with pytest.raises(InputError, match=match):
        call()


# ----------------------------------------------------------------------------- plot
def test_tornado_figure_builds():
    bokeh = pytest.importorskip("bokeh")
    from pdkit.plots.facility import tornado_figure

    t = facility.cost_sensitivity(BASE, {"dsp_yield": (0.2, 0.4), "labour_per_year": (2e6, 4e6),
                                         "materials_per_batch": (3e5, 5e5)})
    fig = tornado_figure(t)
    assert isinstance(fig, bokeh.models.Model)
    # largest swing at the top: bokeh lists categorical y factors bottom-up
    assert list(fig.y_range.factors)[-1] == "dsp_yield"


def test_tornado_figure_bad_table():
    from pdkit.plots.facility import tornado_figure

    with pytest.raises(InputError, match="tornado table: missing columns 'low', 'high', 'cogs_high'"):
        tornado_figure(pd.DataFrame({"input": ["a"], "cogs_low": [1.0], "base_cogs": [1.0]}))


def test_cogs_split_figure_builds_and_checks_labels():
    bokeh = pytest.importorskip("bokeh")
    from pdkit.plots.facility import cogs_split_figure

    a = facility.cost_model(BASE)
    b = facility.cost_model({**BASE, "suites": 2})
    fig = cogs_split_figure([a, b], ["one suite", "two suites"])
    assert isinstance(fig, bokeh.models.Model)
    assert list(fig.x_range.factors) == ["one suite", "two suites"]
    with pytest.raises(InputError, match="'labels': expected 2 distinct labels"):
        cogs_split_figure([a, b], ["x", "x"])
    with pytest.raises(InputError, match="'results': expected one or more CostOfGoods"):
        cogs_split_figure([1.0])
