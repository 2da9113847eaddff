"""doe_design through the CLI: every design family from its defaults, models that fit, constraints,
categorical factors on the worksheet, augmentation of a worksheet, the alias matrix in the HTML."""
from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from conftest import ROOT, run_cli
from pdkit.record import read_records

pytestmark = pytest.mark.slow  # every case executes the template

FAMILIES = ["full_factorial", "fractional_factorial", "plackett_burman", "central_composite", "box_behnken",
            "definitive_screening", "optimal_design", "latin_hypercube"]


def _run(out, *args):
    return run_cli("run", "doe_design", *args, "-o", str(out), cwd=ROOT)


@pytest.mark.parametrize("family", FAMILIES)
def test_every_family_runs_from_its_defaults(family, tmp_path):
    """With nothing but the design type, each family builds, picks a model that fits and exits 0."""
    out = tmp_path / family
    proc = _run(out, "-p", "design", family)
    assert proc.returncode == 0, proc.stderr
    rec = read_records(out / "doe_design.ipynb")
    assert rec["model"] in ("linear", "interactions", "quadratic")
    assert rec["aliased_terms"] == [] and rec["error_df"] >= 0
    assert (out / "doe_worksheet.csv").exists() and (out / "doe_worksheet.xlsx").exists()
    expected = {"plackett_burman": "linear", "definitive_screening": "linear", "central_composite": "quadratic",
                "box_behnken": "quadratic", "optimal_design": "quadratic", "full_factorial": "interactions"}
    if family in expected:
        assert rec["model"] == expected[family]


def test_model_that_does_not_fit_exits_2_before_the_kernel(tmp_path):
    out = tmp_path / "dsd"
    proc = _run(out, "-p", "design", "definitive_screening", "-p", "model", "quadratic")
    assert proc.returncode == 2
    assert ("parameter 'model': the quadratic model has 21 coefficients but the definitive screening design has "
            "only 16 runs; use model linear") in proc.stderr
    assert not out.exists()


@pytest.mark.parametrize("args, message", [
    (["-p", "constraints", "[pei_dna_ratio + 2*feed <= 5]"],
     "parameter 'constraints' 'pei_dna_ratio + 2*feed <= 5': unknown factor 'feed'"),
    (["-p", "disallowed", "[harvest_h > 66 and __import__('os')]"], "parameter 'disallowed'"),
    (["-p", "disallowed", "[harvest_h >]"], "cannot read it"),
])
def test_malformed_constraints_exit_2(args, message, tmp_path):
    out = tmp_path / "opt"
    proc = _run(out, "-p", "design", "optimal_design", *args)
    assert proc.returncode == 2 and message in proc.stderr, proc.stderr
    assert not out.exists()


def test_constraints_shape_an_optimal_design(tmp_path):
    out = tmp_path / "opt"
    proc = _run(out, "-p", "design", "optimal_design", "-p", "model", "linear", "-p", "runs", "10",
                "-p", "constraints", "[pei_dna_ratio + 2*dna_ug_per_1e6_cells <= 5]",
                "-p", "disallowed", "[harvest_h > 66 and vcd_1e6_per_ml < 1.5]")
    assert proc.returncode == 0, proc.stderr
    ws = pd.read_csv(out / "doe_worksheet.csv")
    assert (ws["pei_dna_ratio (w/w)"] + 2 * ws["dna_ug_per_1e6_cells (ug/1e6 cells)"] <= 5 + 1e-6).all()
    assert not ((ws["harvest_h (h)"] > 66) & (ws["vcd_1e6_per_ml (1e6 cells/mL)"] < 1.5)).any()


def test_dsd_extra_runs_and_full_alias_table_in_html(tmp_path):
    out = tmp_path / "dsd"
    proc = _run(out, "-p", "design", "definitive_screening", "-p", "dsd_fake_factors", "2",
                "-p", "center_points", "1")
    assert proc.returncode == 0, proc.stderr
    rec = read_records(out / "doe_design.ipynb")
    assert rec["n_runs"] == 17  # 5 factors: conference order 6 + 2 fake -> 8; 2 x 8 + 1
    assert len(rec["alias_clear_terms"]) == 5  # every main effect clear of every 2FI and quadratic
    html = (out / "doe_design.html").read_text()
    part = html[html.index("Alias matrix"):]
    table = part[part.index("<table"):part.index("</table>")]
    assert "harvest_h^2" in table and "pei_dna_ratio:harvest_h" in table
    assert len(re.findall(r"<tr", table)) >= 7  # header + intercept + 5 main effects


def test_categorical_factor_levels_on_the_worksheet(tmp_path):
    data = tmp_path / "factors.csv"
    data.write_text("name,low,high,units,levels\ntemp,30,37,degC,\nph,6.8,7.4,,\nresin,,,,AAVX;POROS\n")
    out = tmp_path / "ff"
    proc = _run(out, "-p", "data", str(data), "-p", "design", "full_factorial", "-p", "center_points", "0")
    assert proc.returncode == 0, proc.stderr
    ws = pd.read_csv(out / "doe_worksheet.csv")
    assert list(ws.columns[:7]) == ["Run", "Std order", "Block", "Point type", "temp (degC)", "ph", "resin"]
    assert sorted(ws["resin"].unique()) == ["AAVX", "POROS"] and len(ws) == 8
    assert ws[["vg_titer", "full_pct", "viability_pct"]].isna().all().all()
    bad = _run(tmp_path / "bbd", "-p", "data", str(data), "-p", "design", "box_behnken")
    assert bad.returncode == 2 and "categorical" in bad.stderr


def test_augment_a_worksheet_by_foldover_and_d_optimal(tmp_path):
    """A 2^(7-4)_III worksheet with results, folded over (Montgomery DAE 8th ed., Example 8.7): the kept runs
    and their results are written back, the 8 mirror runs follow in block 2, and every main effect is clear
    of the two-factor interactions; D-optimal augmentation adds the asked runs."""
    data = tmp_path / "f7.csv"
    data.write_text("name,low,high\n" + "".join(f"{n},0,10\n" for n in "ABCDEFG"))
    first = tmp_path / "first"
    proc = _run(first, "-p", "data", str(data), "-p", "design", "fractional_factorial", "-p", "resolution", "3",
                "-p", "center_points", "0", "-p", "responses", "[y]")
    assert proc.returncode == 0, proc.stderr
    sheet = pd.read_csv(first / "doe_worksheet.csv")
    sheet["y"] = np.arange(1.0, 9.0)
    done = tmp_path / "done.csv"
    sheet.to_csv(done, index=False)
    out = tmp_path / "fold"
    proc = _run(out, "-p", "data", str(data), "-p", "augment", str(done), "-p", "responses", "[y]")
    assert proc.returncode == 0, proc.stderr
    rec = read_records(out / "doe_design.ipynb")
    assert (rec["kept_runs"], rec["new_runs"], rec["augment_method"]) == (8, 8, "foldover")
    assert rec["alias_clear_terms"] == list("ABCDEFG")
    ws = pd.read_csv(out / "doe_worksheet.csv")
    pd.testing.assert_frame_equal(ws.iloc[:8][sheet.columns], sheet)
    assert ws["y"].iloc[8:].isna().all() and ws["Block"].tolist() == [1] * 8 + [2] * 8
    out2 = tmp_path / "dopt"
    proc = _run(out2, "-p", "data", str(data), "-p", "augment", str(done), "-p", "augment_method", "d_optimal",
                "-p", "augment_runs", "8", "-p", "model", "linear")
    assert proc.returncode == 0, proc.stderr
    assert read_records(out2 / "doe_design.ipynb")["n_runs"] == 16
    bad = _run(tmp_path / "bad", "-p", "data", str(data), "-p", "augment", str(done), "-p", "augment_method",
               "d_optimal", "-p", "augment_runs", "2", "-p", "model", "interactions")
    assert bad.returncode == 2 and "parameter 'augment_runs'" in bad.stderr
