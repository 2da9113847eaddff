"""Tests for pdkit.downstream (step yields, mass balance, LRV, residuals) and its plots."""
from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pdkit.downstream import (
    LRV_CAVEAT,
    estimated_particles_per_dose,
    full_capsid_enrichment,
    full_fraction_by_step,
    log_reduction,
    mass_balance,
    purification_table,
    residual_impurity,
    step_amounts,
    step_yields,
)
from pdkit.errors import InputError

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "data_samples" / "downstream"


def row(step, attribute, load_volume, load_conc, pool_volume, pool_conc, conc_unit="vg/mL", volume_unit="mL", **kw):
    d = dict(
        step=step,
        attribute=attribute,
        volume_unit=volume_unit,
        conc_unit=conc_unit,
        load_volume=load_volume,
        load_conc=load_conc,
        pool_volume=pool_volume,
        pool_conc=pool_conc,
    )
    d.update(kw)
    return d


@pytest.fixture
def small_train() -> pd.DataFrame:
    """A three-step AAV train whose numbers are easy to check by hand."""
    return pd.DataFrame(
        [
            row("clarification", "vg", 10, 1e10, 9.5, 1e10, volume_unit="L",
                flowthrough_volume=None, flowthrough_conc=None),
            row("clarification", "HCP", 10, 2e5, 9.5, 1.6e5, conc_unit="ng/mL", volume_unit="L"),
            row("affinity", "vg", 9500, 1e10, 500, 1.33e11, flowthrough_volume=9500, flowthrough_conc=1e9,
                wash_volume=500, wash_conc=1e9, strip_volume=100, strip_conc=5e10),
            row("affinity", "HCP", 9500, 1.6e5, 500, 152, conc_unit="ng/mL"),
            row("AEX", "vg", 0.5, 1.33e11, 0.4, 1.163750e11, volume_unit="L"),
            row("AEX", "HCP", 0.5, 152, 0.4, 2, conc_unit="ng/mL", volume_unit="L", pool_qualifier="<"),
        ]
    )


# --------------------------------------------------------------------------- published examples
def test_step_yields_berg_purification_table():
    """Berg, Tymoczko & Stryer, *Biochemistry* (5th ed., 2002), Table 4.1 "Quantitation of a
    purification protocol for a fictitious protein" (Table 3.1 in later editions).

    Published total activities (units): homogenization 150,000; salt fractionation 138,000;
    ion-exchange chromatography 115,500; molecular exclusion chromatography 75,000; affinity
    chromatography 52,500.  Published yields (% of the homogenate): 100, 92, 77, 50, 35.
    A purification table's yield column is our cumulative yield.
    """
    activity = [150_000, 138_000, 115_500, 75_000, 52_500]
    steps = ["salt fractionation", "ion exchange", "molecular exclusion", "affinity"]
    t = pd.DataFrame(
        [row(s, "activity", 1.0, activity[i], 1.0, activity[i + 1], conc_unit="IU/mL") for i, s in enumerate(steps)]
    )
    y = step_yields(t, product="activity")
    assert y["cumulative_yield_pct"].round(0).tolist() == [92, 77, 50, 35]
    assert y["yield"].iloc[0] == pytest.approx(138_000 / 150_000)
    assert y.attrs["overall_yield"] == pytest.approx(0.35)
    assert y["amount_unit"].iloc[0] == "IU"
    assert (y["flag"] == "").all()


def test_particles_per_dose_ich_q5a_appendix5():
    """ICH Q5A(R1) (1999), Appendix 5 "Calculation of estimated particles per dose":
    10^6 virus units/mL in the harvest, 10^3 mL of harvest per dose, clearance factor
    > 10^15 -> < 10^-6 particles per dose ("less than one particle per million doses").
    """
    assert estimated_particles_per_dose(1e6, 1e3, 15.0) == pytest.approx(1e-6)

    # The same example through the table functions: one 'overall process' step that clears
    # 15 log of a retrovirus-like particle; the pool holds exactly one dose of product.
    t = pd.DataFrame(
        [
            row("process", "virus", 1000, 1e6, 1.0, 1e-6, conc_unit="copies/mL", pool_qualifier="<"),
            row("process", "vg", 1000, 1e11, 1.0, 2e13, conc_unit="vg/mL"),
        ]
    )
    lrv = log_reduction(t, impurities=["virus"])
    assert lrv["lrv"].iloc[0] == pytest.approx(15.0)
    assert lrv["lrv_text"].iloc[0] == ">= 15.00"
    res = residual_impurity(t, per="dose", dose=2e13, impurities=["virus"])
    assert res["residual"].iloc[0] == pytest.approx(1e-6)
    assert res["qualifier"].iloc[0] == "<"


# --------------------------------------------------------------------------- hand calculations
def test_step_amounts_units_and_order(small_train):
    a = step_amounts(small_train)
    assert a["step"].tolist() == ["clarification"] * 2 + ["affinity"] * 2 + ["AEX"] * 2
    assert a["step_number"].tolist() == [1, 1, 2, 2, 3, 3]
    # 10 L x 1e10 vg/mL = 1e14 vg
    assert a.loc[0, "load_amount"] == pytest.approx(1e14)
    assert a.loc[0, "amount_unit"] == "vg"
    # HCP 10 L x 2e5 ng/mL = 2e9 ng
    assert a.loc[1, "load_amount"] == pytest.approx(2e9)
    assert a.loc[1, "amount_unit"] == "ng"
    assert math.isnan(a.loc[0, "flowthrough_amount"])
    assert a.loc[2, "flowthrough_amount"] == pytest.approx(9.5e12)


def test_step_yields_hand(small_train):
    y = step_yields(small_train)
    # clarification 9.5/10 = 0.95; affinity 500*1.33e11 / (9500*1e10) = 0.7; AEX 400*1.16375e11/(500*1.33e11) = 0.7
    assert y["yield"].tolist() == pytest.approx([0.95, 0.70, 0.70])
    assert y["cumulative_yield"].tolist() == pytest.approx([0.95, 0.665, 0.4655])
    assert y["cumulative_yield_pct"].iloc[-1] == pytest.approx(46.55)
    assert y.attrs["direct_overall_yield"] == pytest.approx(0.4655)
    assert math.isnan(y["load_vs_previous_pool"].iloc[0])
    assert y["load_vs_previous_pool"].iloc[1:].tolist() == pytest.approx([1.0, 1.0])
    assert (y["flag"] == "").all()


def test_mixed_concentration_units_within_attribute():
    """pDNA given in mg/mL at one step and g/L (same value) and ug/mL at others."""
    t = pd.DataFrame(
        [
            row("AEX", "pDNA", 1000, 0.5, 100, 3.5, conc_unit="mg/mL"),
            row("HIC", "pDNA", 100, 3.5, 200, 1.4, conc_unit="g/L"),
            row("UF/DF", "pDNA", 200, 1400, 50, 5000, conc_unit="ug/mL"),
        ]
    )
    y = step_yields(t, product="pDNA")
    assert y["amount_unit"].iloc[0] == "mg"
    assert y["load_amount"].tolist() == pytest.approx([500, 350, 280])
    assert y["yield"].tolist() == pytest.approx([0.7, 0.8, 250 / 280])


def test_mass_balance_hand(small_train):
    mb = mass_balance(small_train)
    aff = mb[(mb["step"] == "affinity") & (mb["attribute"] == "vg")].iloc[0]
    # load 9.5e13; pool 6.65e13 (70 %), FT 9.5e12 (10 %), wash 5e11, strip 5e12
    assert aff["pool_pct"] == pytest.approx(70.0)
    assert aff["flowthrough_pct"] == pytest.approx(10.0)
    assert aff["wash_pct"] == pytest.approx(5e11 / 9.5e13 * 100)
    assert aff["strip_pct"] == pytest.approx(5e12 / 9.5e13 * 100)
    assert aff["closure_pct"] == pytest.approx((6.65e13 + 9.5e12 + 5e11 + 5e12) / 9.5e13 * 100)
    assert aff["fractions_measured"] == "pool+flowthrough+wash+strip"
    assert aff["in_band"]
    clar = mb[(mb["step"] == "clarification") & (mb["attribute"] == "vg")].iloc[0]
    assert clar["closure_pct"] == pytest.approx(95.0)
    assert "only the pool measured" in clar["flag"]
    aex_hcp = mb[(mb["step"] == "AEX") & (mb["attribute"] == "HCP")].iloc[0]
    assert "upper bound" in aex_hcp["flag"]
    assert not aex_hcp["in_band"]


def test_log_reduction_hand_and_censoring(small_train):
    lrv = log_reduction(small_train)
    assert lrv["attribute"].unique().tolist() == ["HCP"]
    # clarification: 10 L*2e5 / 9.5 L*1.6e5 ; affinity 9500*1.6e5/(500*152) ; AEX 500*152/(400*2)
    expected = [
        math.log10(10 * 2e5 / (9.5 * 1.6e5)),
        math.log10(9500 * 1.6e5 / (500 * 152)),
        math.log10(500 * 152 / (400 * 2)),
    ]
    assert lrv["lrv"].tolist() == pytest.approx(expected)
    assert lrv["cumulative_lrv"].tolist() == pytest.approx(np.cumsum(expected))
    assert lrv["lrv_qualifier"].tolist() == ["", "", ">="]
    assert lrv["cumulative_qualifier"].tolist() == ["", "", ">="]
    assert lrv["cumulative_text"].iloc[-1] == f">= {sum(expected):.2f}"
    assert lrv.attrs["caveat"] == LRV_CAVEAT
    assert "orthogonal" in LRV_CAVEAT
    assert lrv["note"].iloc[0] == "" and "orthogonal" in lrv["note"].iloc[1]
    # direct overall = log10(first load / last pool) = sum when loads equal previous pools
    assert lrv.attrs["direct_overall_lrv"]["HCP"] == pytest.approx(sum(expected))


def test_log_reduction_censoring_propagates_but_step_after_is_exact():
    t = pd.DataFrame(
        [
            row("AEX", "endotoxin", 100, 1000, 20, 1, conc_unit="EU/mL", pool_qualifier="<"),
            row("HIC", "endotoxin", 20, 1, 40, 0.1, conc_unit="EU/mL"),
        ]
    )
    lrv = log_reduction(t)
    assert lrv["lrv"].tolist() == pytest.approx([math.log10(1e5 / 20), math.log10(20 / 4)])
    assert lrv["lrv_qualifier"].tolist() == [">=", ""]
    assert lrv["cumulative_qualifier"].tolist() == [">=", ">="]


def test_residual_impurity_per_mg_ppm():
    """Plasmid: 5 mg/mL pDNA and 0.02 ug/mL gDNA in 50 mL -> 20 ng / 5 mg... = 4 ng/mg (ppm);
    endotoxin 0.5 EU/mL -> 0.1 EU/mg."""
    t = pd.DataFrame(
        [
            row("UF/DF", "pDNA", 200, 1.2, 50, 5.0, conc_unit="mg/mL"),
            row("UF/DF", "gDNA", 200, 0.1, 50, 0.02, conc_unit="ug/mL"),
            row("UF/DF", "endotoxin", 200, 2.0, 50, 0.5, conc_unit="EU/mL"),
        ]
    )
    r = residual_impurity(t, per="mg", product="pDNA").set_index("attribute")
    assert r.loc["gDNA", "residual"] == pytest.approx(4.0)
    assert r.loc["gDNA", "unit"] == "ng/mg (ppm)"
    assert r.loc["endotoxin", "residual"] == pytest.approx(0.1)
    assert r.loc["endotoxin", "unit"] == "EU/mg"


def test_residual_impurity_per_dose_units(small_train):
    r = residual_impurity(small_train, per="dose", dose=1e13, impurities=["HCP"])
    # AEX pool: HCP 400 mL * 2 ng/mL = 800 ng (< LOQ); vg 400 mL * 1.16375e11 = 4.655e13
    assert r["residual"].iloc[0] == pytest.approx(800 / 4.655e13 * 1e13)
    assert r["qualifier"].iloc[0] == "<"
    assert r["residual_text"].iloc[0].startswith("<")
    # dose in another unit of the same dimension: 1e13 vg given as 1e10 kilo-vg? use 'dose_unit' = vg
    r2 = residual_impurity(small_train, per="dose", dose=1e13, impurities=["HCP"], dose_unit="vg", step="affinity")
    assert r2["residual"].iloc[0] == pytest.approx(500 * 152 / (500 * 1.33e11) * 1e13)


def test_full_capsid_enrichment_and_by_step():
    assert full_capsid_enrichment(20.0, 80.0) == pytest.approx(4.0)
    assert full_capsid_enrichment([25, 50], [50, 75]).tolist() == pytest.approx([2.0, 1.5])
    t = pd.DataFrame(
        [
            row("affinity", "vg", 1000, 1e10, 50, 1.4e11),
            row("affinity", "capsid", 1000, 5e10, 50, 7e11, conc_unit="cp/mL"),
            row("AEX", "vg", 50, 1.4e11, 40, 1.225e11),
            row("AEX", "capsid", 50, 7e11, 40, 1.75e11, conc_unit="cp/mL"),
        ]
    )
    f = full_fraction_by_step(t)
    assert f["pct_full_load"].tolist() == pytest.approx([20.0, 20.0])
    assert f["pct_full_pool"].tolist() == pytest.approx([20.0, 70.0])
    assert f["enrichment"].tolist() == pytest.approx([1.0, 3.5])


def test_step_order_column_reorders():
    t = pd.DataFrame(
        [
            row("AEX", "vg", 50, 1.4e11, 40, 1.225e11, step_order=2),
            row("affinity", "vg", 1000, 1e10, 50, 1.4e11, step_order=1),
        ]
    )
    y = step_yields(t)
    assert y["step"].tolist() == ["affinity", "AEX"]
    assert y["cumulative_yield"].tolist() == pytest.approx([0.7, 0.7 * 0.7])


def test_reads_csv_path(tmp_path, small_train):
    p = tmp_path / "train.csv"
    small_train.to_csv(p, index=False)
    y = step_yields(p)
    assert y["cumulative_yield"].iloc[-1] == pytest.approx(0.4655)


def test_input_not_modified(small_train):
    before = small_train.copy(deep=True)
    step_yields(small_train)
    mass_balance(small_train)
    log_reduction(small_train)
    residual_impurity(small_train, dose=1e13)
    pd.testing.assert_frame_equal(small_train, before)


# --------------------------------------------------------------------------- flags
def test_flags_yield_above_100_and_transfer_loss():
    t = pd.DataFrame(
        [
            row("TFF", "vg", 1000, 1e10, 100, 1.2e11),
            row("affinity", "vg", 80, 1.2e11, 10, 6e11),
        ]
    )
    y = step_yields(t)
    assert "above 100 %" in y["flag"].iloc[0]
    assert "80.0 % of the previous pool" in y["flag"].iloc[1]
    assert y.attrs["direct_overall_yield"] == pytest.approx(6e12 / 1e13)


def test_flags_closure_band_and_pool_exceeding_load():
    t = pd.DataFrame(
        [
            row("affinity", "vg", 100, 1e11, 10, 1.3e12),  # pool alone 130 %
            row("AEX", "vg", 100, 1e11, 10, 5e11, flowthrough_volume=100, flowthrough_conc=1e10),  # 60 %
        ]
    )
    mb = mass_balance(t)
    assert "pool alone is 130.0 % of load" in mb["flag"].iloc[0]
    assert "closure 130.0 % above 120 %" in mb["flag"].iloc[0]
    assert "closure 60.0 % below 80 %" in mb["flag"].iloc[1]
    assert mb["in_band"].tolist() == [False, False]
    wide = mass_balance(t, band=(50, 140))
    assert wide["in_band"].tolist() == [True, True]


def test_mass_balance_zero_load_flagged_not_silent():
    t = pd.DataFrame([row("HIC", "RNA", 100, 0.0, 20, 0.0, conc_unit="ug/mL")])
    mb = mass_balance(t)
    assert math.isnan(mb["closure_pct"].iloc[0])
    assert not mb["in_band"].iloc[0]
    assert "load is 0" in mb["flag"].iloc[0]


def test_negative_lrv_flagged():
    t = pd.DataFrame([row("UF/DF", "HCP", 100, 10, 10, 200, conc_unit="ng/mL")])
    lrv = log_reduction(t)
    assert lrv["lrv"].iloc[0] == pytest.approx(math.log10(1000 / 2000))
    assert "negative LRV" in lrv["flag"].iloc[0]


# --------------------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    "column, index, value, message",
    [
        ("load_volume", 2, 0, "column 'load_volume', row 3: expected a value > 0"),
        ("pool_volume", 0, -1, "column 'pool_volume', row 1: expected a value > 0"),
        ("pool_conc", 4, -5, "column 'pool_conc', row 5: expected a value >= 0"),
        ("load_conc", 1, "abc", "column 'load_conc', row 2: expected a number, got 'abc'"),
        ("volume_unit", 3, "mg", "column 'volume_unit', row 4: cannot convert 'mg' to 'mL'"),
        ("conc_unit", 3, "xyzzy/mL", "column 'conc_unit', row 4: unknown unit"),
        ("conc_unit", 5, "EU/mL", "column 'conc_unit', row 6 (attribute 'HCP' was first given in 'ng/mL')"),
        ("pool_qualifier", 1, ">", "column 'pool_qualifier', row 2: expected '<'"),
        ("step", 2, "", "column 'step', row 3: value is missing"),
    ],
)
def test_bad_cells_name_column_and_row(small_train, column, index, value, message):
    t = small_train.copy()
    if column not in t.columns:
        t[column] = ""
    t[column] = t[column].astype(object)
    t.loc[index, column] = value
    t.attrs["source"] = "train.csv"
    with pytest.raises(InputError) as exc:
        step_yields(t)
    assert "train.csv" in str(exc.value)
    assert message in str(exc.value)


def test_missing_column(small_train):
    with pytest.raises(InputError, match="missing column 'pool_conc'"):
        step_yields(small_train.drop(columns="pool_conc"))


def test_conc_unit_must_be_per_volume(small_train):
    t = small_train.copy()
    t.loc[0, "conc_unit"] = "vg"
    with pytest.raises(InputError, match=r"row 1: conc_unit 'vg' is not an amount per volume"):
        step_amounts(t)


def test_duplicated_step_attribute(small_train):
    t = pd.concat([small_train, small_train.iloc[[2]]], ignore_index=True)
    with pytest.raises(InputError, match=r"duplicated step/attribute 'affinity'/'vg' at rows 3, 7"):
        step_yields(t)


def test_steps_out_of_order(small_train):
    t = pd.concat([small_train.iloc[[0, 2, 1]], small_train.iloc[3:]], ignore_index=True)
    with pytest.raises(InputError, match=r"rows 1, 3: rows of step 'clarification' are separated"):
        step_yields(t)


def test_step_order_conflicts():
    t = pd.DataFrame(
        [
            row("A", "vg", 1, 1, 1, 1, step_order=1),
            row("A", "HCP", 1, 1, 1, 1, step_order=2, conc_unit="ng/mL"),
        ]
    )
    with pytest.raises(InputError, match=r"rows 1, 2: step 'A' has different step_order"):
        step_amounts(t)
    t2 = pd.DataFrame([row("A", "vg", 1, 1, 1, 1, step_order=1), row("B", "vg", 1, 1, 1, 1, step_order=1)])
    with pytest.raises(InputError, match=r"steps 'A', 'B' share step_order 1"):
        step_amounts(t2)


def test_half_given_fraction(small_train):
    t = small_train.copy()
    t.loc[3, "flowthrough_volume"] = 9500.0
    with pytest.raises(InputError, match=r"columns 'flowthrough_volume'/'flowthrough_conc', row 4"):
        mass_balance(t)
    with pytest.raises(InputError, match=r"column 'strip_volume' is given without 'strip_conc'"):
        mass_balance(small_train.drop(columns="strip_conc"))


def test_censored_with_zero_loq(small_train):
    t = small_train.copy()
    t.loc[5, "pool_conc"] = 0.0
    with pytest.raises(InputError, match=r"column 'pool_conc', row 6: pool_qualifier is '<' but pool_conc is 0"):
        log_reduction(t)


def test_lrv_needs_positive_values(small_train):
    t = small_train.copy()
    t.loc[3, "pool_conc"] = 0.0
    with pytest.raises(InputError, match=r"column 'pool_conc', row 4: impurity 'HCP' pool is 0"):
        log_reduction(t)
    t = small_train.copy()
    t.loc[1, "load_conc"] = 0.0
    with pytest.raises(InputError, match=r"column 'load_conc', row 2: impurity 'HCP' load is 0"):
        log_reduction(t)


def test_yield_needs_positive_load(small_train):
    t = small_train.copy()
    t.loc[2, "load_conc"] = 0.0
    with pytest.raises(InputError, match=r"column 'load_conc', row 3: product 'vg' load is 0"):
        step_yields(t)


def test_unknown_product_and_impurity(small_train):
    with pytest.raises(InputError, match=r"product 'pDNA' is not an attribute .*'vg', 'HCP'"):
        step_yields(small_train, product="pDNA")
    with pytest.raises(InputError, match=r"impurity 'endotoxin' is not an attribute"):
        log_reduction(small_train, impurities=["endotoxin"])


def test_product_missing_at_a_step(small_train):
    t = small_train.drop(index=2).reset_index(drop=True)
    with pytest.raises(InputError, match=r"product 'vg' has no row for step\(s\) 'affinity'"):
        step_yields(t)


@pytest.mark.parametrize("band", [(120, 80), (-1, 100), ("a", 1), (80,)])
def test_bad_band(small_train, band):
    with pytest.raises(InputError, match="parameter 'band'"):
        mass_balance(small_train, band=band)


def test_bad_residual_parameters(small_train):
    with pytest.raises(InputError, match="parameter 'per'"):
        residual_impurity(small_train, per="kg", dose=1e13)
    with pytest.raises(InputError, match="parameter 'dose'"):
        residual_impurity(small_train, per="dose")
    with pytest.raises(InputError, match="parameter 'dose'"):
        residual_impurity(small_train, per="dose", dose=-1)
    with pytest.raises(InputError, match="'mg' needs a product measured as a mass"):
        residual_impurity(small_train, per="mg")
    with pytest.raises(InputError, match="parameter 'step': 'polish'"):
        residual_impurity(small_train, dose=1e13, step="polish")
    with pytest.raises(InputError, match="parameter 'dose_unit'"):
        residual_impurity(small_train, dose=1e13, dose_unit="mg")


def test_bad_percent_full():
    with pytest.raises(InputError, match="parameter 'full_in'"):
        full_capsid_enrichment(0, 50)
    with pytest.raises(InputError, match=r"parameter 'full_out' \(position 2\)"):
        full_capsid_enrichment([10, 20], [30, 130])
    with pytest.raises(InputError, match="parameter 'lrv'"):
        estimated_particles_per_dose(1e6, 1e3, float("nan"))


def test_not_a_table():
    with pytest.raises(InputError, match="expected a pandas DataFrame"):
        step_yields([1, 2, 3])
    with pytest.raises(InputError, match="does not exist"):
        step_yields("/nonexistent/steps.csv")


def test_no_plotting_imports():
    code = "import sys, pdkit.downstream; print(any(m.split('.')[0] in {'bokeh','ipywidgets','papermill'} for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "False"


# --------------------------------------------------------------------------- plots
def test_plots_build(small_train):
    from bokeh.embed import json_item

    from pdkit.plots.downstream import clearance_plot, closure_plot, yield_waterfall

    figs = [
        yield_waterfall(step_yields(small_train)),
        clearance_plot(log_reduction(small_train)),
        closure_plot(mass_balance(small_train)),
    ]
    for fig in figs:
        json_item(fig)  # serialises: every glyph and source is valid
    assert "46.5 %" in str(figs[0].renderers[0].data_source.data["label"])
    box = [m for m in figs[2].center if type(m).__name__ == "BoxAnnotation"][0]
    assert (box.bottom, box.top) == (80.0, 120.0)


def test_plots_reject_wrong_input():
    from pdkit.plots.downstream import closure_plot

    with pytest.raises(InputError, match="closure_plot: missing column"):
        closure_plot(pd.DataFrame({"step": ["a"]}))


def test_load_below_loq_not_determinable():
    """Endotoxin below LOQ after AEX: the next step's LRV is not determinable and is not summed."""
    t = pd.DataFrame(
        [
            row("AEX", "endotoxin", 100, 50, 20, 0.05, conc_unit="EU/mL", pool_qualifier="<"),
            row("AEX", "vg", 100, 1e11, 20, 3.5e11),
            row("UF/DF", "endotoxin", 20, 0.05, 5, 0.05, conc_unit="EU/mL", load_qualifier="<", pool_qualifier="<"),
            row("UF/DF", "vg", 20, 3.5e11, 5, 1.33e12),
        ]
    )
    lrv = log_reduction(t)
    assert lrv["lrv"].iloc[0] == pytest.approx(math.log10(5000 / 1))
    assert math.isnan(lrv["lrv"].iloc[1]) and lrv["lrv_text"].iloc[1] == "n.d."
    assert "not determinable" in lrv["flag"].iloc[1]
    assert lrv["cumulative_lrv"].iloc[1] == pytest.approx(lrv["lrv"].iloc[0])
    assert lrv["cumulative_text"].iloc[1].startswith(">=")
    mb = mass_balance(t, attributes=["endotoxin"])
    assert "load below LOQ" in mb["flag"].iloc[1] and not mb["in_band"].iloc[1]
    bad = t.copy()
    bad.loc[3, "load_qualifier"] = "<"
    with pytest.raises(InputError, match=r"column 'load_qualifier', row 4: product 'vg' load is below the LOQ"):
        step_yields(bad)


# --------------------------------------------------------------------------- sample data and template
def test_sample_data_matches_ground_truth():
    """The synthetic trains recover their documented ground truth within assay noise
    (data_samples/downstream/README.md: AAV overall 31.6 %, plasmid 43.8 %, AEX 20 -> 70 % full)."""
    aav = SAMPLES / "aav_downstream_synthetic.csv"
    plasmid = SAMPLES / "plasmid_downstream_synthetic.csv"
    y = step_yields(aav)
    assert 0.2 < y.attrs["overall_yield"] < 0.45
    assert step_yields(plasmid, product="pDNA").attrs["overall_yield"] == pytest.approx(0.438, abs=0.05)
    full = full_fraction_by_step(aav).set_index("step")
    assert 2.5 < full.loc["AEX", "enrichment"] < 5.0
    lrv = log_reduction(aav).set_index(["attribute", "step"])
    assert lrv.loc[("endotoxin", "UF_DF"), "lrv_text"] == "n.d."
    assert lrv.loc[("HCP", "affinity"), "lrv"] == pytest.approx(3.5, abs=0.3)
    res = residual_impurity(plasmid, per="mg", product="pDNA").set_index("attribute")
    assert res.loc["endotoxin", "residual"] < 10  # EU/mg, within the EMA/NMPA criterion of the primer


def test_sample_generator_is_deterministic():
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_downstream", ROOT / "scripts" / "samples" / "make_downstream.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    runs = [mod.simulate(mod.AAV_STEPS, mod.AAV_ATTRS, np.random.default_rng(mod.SEED)) for _ in range(2)]
    assert runs[0] == runs[1]
    lines = [",".join(mod.COLUMNS)] + [",".join(r) for r in runs[0]]
    assert (SAMPLES / "aav_downstream_synthetic.csv").read_text().splitlines() == lines


@pytest.mark.slow
def test_template_runs(tmp_path):
    papermill = pytest.importorskip("papermill")
    from pdkit.nbio import read_notebook
    from pdkit.record import read_records

    out = tmp_path / "out.ipynb"
    papermill.execute_notebook(
        read_notebook(ROOT / "templates" / "downstream_yield.py"), str(out), kernel_name="python3", cwd=str(tmp_path),
        progress_bar=False,
    )
    rec = read_records(out)
    expected = step_yields(SAMPLES / "aav_downstream_synthetic.csv").attrs["overall_yield"]
    assert rec["overall_yield_pct"] == pytest.approx(100 * expected)
    assert set(rec["cumulative_lrv"]) == {"HCP", "hcDNA", "plasmid_residual", "endotoxin"}
    assert "orthogonal" in rec["lrv_caveat"]


# --------------------------------------------------------------------------- purification table
def _berg_table() -> pd.DataFrame:
    activity = [150_000, 138_000, 115_500, 75_000, 52_500]
    protein = [15_000, 4_600, 1_278, 68.8, 1.75]
    steps = ["salt fractionation", "ion exchange", "molecular exclusion", "affinity"]
    rows = []
    for i, s in enumerate(steps):
        rows.append(row(s, "activity", 1.0, activity[i], 1.0, activity[i + 1], conc_unit="U/mL"))
        rows.append(row(s, "protein", 1.0, protein[i], 1.0, protein[i + 1], conc_unit="mg/mL"))
    return pd.DataFrame(rows)


def test_purification_table_berg_table_4_1():
    """Berg, Tymoczko & Stryer, *Biochemistry* 5th ed. (2002), Table 4.1: total protein (mg) 15,000, 4,600,
    1,278, 68.8, 1.75; total activity 150,000 ... 52,500; printed specific activity (units/mg) 10, 30, 90,
    1,100, 30,000; yield (%) 100, 92, 77, 50, 35; purification level 1, 3, 9, 110, 3,000 (printed to
    two significant figures)."""
    t = _berg_table()
    p = purification_table(t)
    assert p["step"].tolist() == ["starting material", "salt fractionation", "ion exchange", "molecular exclusion",
                                  "affinity"]
    sig2 = lambda v: float(f"{v:.2g}")  # noqa: E731 - the table's printed precision
    assert [sig2(v) for v in p["specific_activity"]] == [10, 30, 90, 1100, 30000]
    assert p["yield_pct"].round(0).tolist() == [100, 92, 77, 50, 35]
    assert [sig2(v) for v in p["purification_fold"]] == [1, 3, 9, 110, 3000]
    assert p["specific_activity_unit"].iat[0] == "U/mg" and p["protein_unit"].iat[0] == "mg"
    # the yield column agrees with step_yields' cumulative yield
    y = step_yields(t, product="activity")
    assert np.allclose(p["yield_pct"].iloc[1:], y["cumulative_yield_pct"])


def test_purification_table_hand_and_units():
    """Hand calculation: load 100 mL x 50 U/mL and 10 mg/mL -> 5 U/mg; pool 20 mL x 200 U/mL and 2000 ug/mL
    (converted to mg) -> 4000 U / 40 mg = 100 U/mg: yield 80 %, 20-fold."""
    t = pd.DataFrame([
        row("IEX", "activity", 100, 50, 20, 200, conc_unit="U/mL"),
        row("IEX", "protein", 100, 10, 20, 2, conc_unit="mg/mL"),
    ])
    p = purification_table(t)
    assert p["specific_activity"].tolist() == pytest.approx([5.0, 100.0])
    assert p["yield_pct"].iat[1] == pytest.approx(80.0) and p["purification_fold"].iat[1] == pytest.approx(20.0)
    t2 = t.copy()
    t2.loc[1, "conc_unit"] = "U/mL"
    with pytest.raises(InputError, match=r"conc_unit.*row 2.*mass per volume"):
        purification_table(t2)
    t3 = t.copy()
    t3.loc[0, "conc_unit"] = "mg/mL"
    with pytest.raises(InputError, match=r"row 1.*is a mass"):
        purification_table(t3)
    with pytest.raises(InputError, match="'protein' has no row for step"):
        purification_table(pd.concat([t, pd.DataFrame([row("AEX", "activity", 20, 200, 10, 300,
                                                             conc_unit="U/mL")])], ignore_index=True))
