"""Tests for pdkit.specs: specification YAML, USP rounding, censored results, lot disposition."""
from __future__ import annotations

import textwrap
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

from pdkit.errors import InputError
from pdkit.specs import (
    Attribute,
    LotEvaluation,
    Specification,
    evaluate_lots,
    format_reported,
    load_spec,
    round_half_up,
)

ROOT = Path(__file__).resolve().parents[1]
SPECS = ROOT / "data_samples" / "specs"


def make_spec(*attributes: dict) -> Specification:
    return Specification.from_dict(
        {"product": "Test product", "version": "1", "effective_date": "2025-01-15", "attributes": list(attributes)}
    )


def one(spec: Specification, value, unit="", qualifier=None, attribute=None, lot="L1") -> pd.Series:
    """Evaluate one result and return its row of the per-attribute table."""
    attribute = attribute or spec.attributes[0].name
    data = {"lot": [lot], "attribute": [attribute], "value": [value], "unit": [unit]}
    if qualifier is not None:
        data["qualifier"] = [qualifier]
    ev = evaluate_lots(pd.DataFrame(data), spec)
    return ev.results.set_index("attribute").loc[attribute]


def write(tmp_path: Path, text: str, name: str = "spec.yaml") -> Path:
    p = tmp_path / name
    p.write_text(textwrap.dedent(text), encoding="utf-8")
    return p


# --------------------------------------------------------------------------- USP rounding
# USP-NF General Notices and Requirements, 7.20 "Rounding Rules" (official text since USP 32-NF 27),
# table of rounding examples: compendial requirement, unrounded value, rounded result, conforms.
USP_720_TABLE = [
    # (criterion, limit, spec unit, unrounded value, result unit, rounded result in result unit, conforms)
    (">=", "98.0", "%", "97.96", "%", "98.0", True),
    (">=", "98.0", "%", "97.92", "%", "97.9", False),
    (">=", "98.0", "%", "97.95", "%", "98.0", True),
    ("<=", "101.5", "%", "101.55", "%", "101.6", False),
    ("<=", "101.5", "%", "101.46", "%", "101.5", True),
    ("<=", "101.5", "%", "101.45", "%", "101.5", True),
    ("<=", "0.02", "%", "0.025", "%", "0.03", False),
    ("<=", "0.02", "%", "0.015", "%", "0.02", True),
    ("<=", "0.02", "%", "0.027", "%", "0.03", False),
    # "Limit test <= 3 ppm": results in percent, rounded to 0.0004 % = 4 ppm etc.
    ("<=", "3", "ppm", "0.00035", "%", "0.0004", False),
    ("<=", "3", "ppm", "0.00025", "%", "0.0003", True),
    ("<=", "3", "ppm", "0.00028", "%", "0.0003", True),
]


@pytest.mark.parametrize("criterion, limit, spec_unit, raw, unit, rounded, conforms", USP_720_TABLE)
def test_usp_general_notices_720_rounding_table(criterion, limit, spec_unit, raw, unit, rounded, conforms):
    """USP-NF General Notices 7.20 Rounding Rules, table of examples (all 12 published rows).

    The result is converted to the specification unit (% -> ppm for the last block), rounded half
    up to the decimal places of the limit as written and then compared with the fixed limit.
    """
    spec = make_spec({"name": "assay", "method": "HPLC", "unit": spec_unit, "criterion": criterion, "limit": limit})
    for value in (raw, float(raw)):  # text as typed, and the float pandas would parse
        row = one(spec, value, unit=unit)
        assert row["result"] == ("pass" if conforms else "fail")
        if spec_unit == unit:
            assert row["reported"] == rounded
        else:  # published rounded % value expressed in ppm (1 % = 10 000 ppm)
            assert Decimal(row["reported"]) == Decimal(rounded) * 10000


def test_round_half_up_is_not_bankers_rounding():
    """Hand cases: a trailing 5 always rounds up (USP 7.20), unlike Python's round()."""
    assert round(0.125, 2) == 0.12 and round(2.5) == 2  # what we must not do
    assert str(round_half_up(0.125, 2)) == "0.13"
    assert str(round_half_up(2.5, 0)) == "3"
    assert str(round_half_up(0.015, 2)) == "0.02"  # binary 0.01499999... taken at its decimal value
    assert str(round_half_up("1.2345E13", -11)) == "1.23E+13"
    assert str(round_half_up(-0.25, 1)) == "-0.3"  # half away from zero
    with pytest.raises(InputError, match="finite number"):
        round_half_up("abc", 1)


def test_format_reported():
    assert format_reported(Decimal("98.0"), -1) == "98.0"
    assert format_reported(Decimal("5"), -2) == "5.00"
    assert format_reported(Decimal("1.2E+13"), 12) == "1.2E+13"
    assert format_reported(Decimal("1.0E+13"), 12) == "1.0E+13"
    assert format_reported(Decimal("3.50000"), None) == "3.5"


# --------------------------------------------------------------------------- each criterion
def test_lower_limit_hand_cases():
    spec = make_spec({"name": "supercoiled", "method": "HPLC", "unit": "%", "criterion": ">=", "limit": "90.0"})
    assert one(spec, 90.0, "%")["result"] == "pass"  # the limit itself is permitted (USP 7.10)
    assert one(spec, 89.95, "%")["result"] == "pass"  # rounds to 90.0
    assert one(spec, 89.94, "%")["result"] == "fail"
    row = one(spec, "95.26", "%")
    assert (row["reported"], row["criterion"], row["unit"]) == ("95.3", "≥ 90.0", "%")


def test_upper_limit_hand_cases():
    spec = make_spec({"name": "endotoxin", "method": "LAL", "unit": "EU/mg", "criterion": "<=", "limit": 10})
    assert one(spec, 10.49, "EU/mg")["result"] == "pass"  # 10
    assert one(spec, 10.5, "EU/mg")["result"] == "fail"  # 11
    assert one(spec, 0, "EU/mg")["reported"] == "0"


def test_range_hand_cases():
    spec = make_spec({"name": "a260_a280", "method": "UV", "criterion": "range", "lower": 1.75, "upper": 1.85})
    assert one(spec, 1.745, "")["result"] == "pass"  # 1.75
    assert one(spec, 1.7449, "")["result"] == "fail"  # 1.74
    assert one(spec, 1.855, "")["result"] == "fail"  # 1.86
    assert one(spec, 1.8549, "")["reported"] == "1.85"
    assert spec.attributes[0].criterion_text == "1.75 – 1.85"


def test_conforms_compares_text_ignoring_case_and_spacing():
    spec = make_spec({"name": "appearance", "method": "Visual", "criterion": "conforms",
                      "expected": ["Clear, colourless", "Clear, colorless"]})
    assert one(spec, "clear,  Colourless ")["result"] == "pass"
    assert one(spec, "Clear, colorless")["result"] == "pass"
    row = one(spec, "Slightly opalescent")
    assert row["result"] == "fail" and "expected text" in row["note"]
    assert row["reported"] == "Slightly opalescent"


def test_report_criterion_text_and_numbers():
    spec = make_spec(
        {"name": "conc", "method": "UV", "unit": "mg/mL", "criterion": "report", "decimals": 2},
        {"name": "comment", "method": "-", "criterion": "report"},
        {"name": "plasmid", "method": "qPCR", "unit": "copies/(1e13 vg)", "criterion": "report", "significant_figures": 2},
    )
    res = pd.DataFrame({
        "lot": ["A", "A", "A"], "attribute": ["conc", "comment", "plasmid"],
        "value": ["2.005", "see deviation DV-12", "123456789"], "unit": ["mg/mL", "", "copies/(1e13 vg)"],
    })
    r = evaluate_lots(res, spec).results.set_index("attribute")
    assert r.loc["conc", "reported"] == "2.01" and r.loc["conc", "result"] == "report"
    assert r.loc["comment", "reported"] == "see deviation DV-12"
    assert r.loc["plasmid", "reported"] == "1.2E+8"
    assert evaluate_lots(res, spec).dispositions.loc[0, "disposition"] == "meets specification"


def test_significant_figures_rounding():
    """Hand cases: 2 significant figures, including the carry 9.96 -> 10."""
    spec = make_spec({"name": "x", "method": "m", "unit": "", "criterion": "report", "significant_figures": 2})
    assert one(spec, 0.012345, "")["reported"] == "0.012"
    assert one(spec, 0.0125, "")["reported"] == "0.013"
    assert one(spec, 9.96, "")["reported"] == "10"
    assert one(spec, 12345, "")["reported"] == "1.2E+4"


def test_titer_limit_in_scientific_notation_rounds_to_its_last_digit(tmp_path):
    """A limit written 1.0e13 is significant to 1e12 (USP 7.10): 9.5e12 -> 1.0E+13 passes."""
    p = write(tmp_path, """\
        product: AAV
        version: "1"
        effective_date: 2025-01-01
        attributes:
          - {name: vg_titer, method: ddPCR, unit: vg/mL, criterion: range, lower: 1.0e13, upper: 3.0e13}
        """)
    spec = load_spec(p)
    assert spec.attributes[0].rounding_decimals == -12
    assert one(spec, 9.5e12, "vg/mL")["reported"] == "1.0E+13"
    assert one(spec, 9.5e12, "vg/mL")["result"] == "pass"
    row = one(spec, 9.49e12, "vg/mL")
    assert (row["reported"], row["result"]) == ("9E+12", "fail")
    row = one(spec, 2.04e16, "vg/L")  # unit conversion before rounding
    assert (row["reported"], row["result"]) == ("2.0E+13", "pass")


# --------------------------------------------------------------------------- censored results
UPPER = {"name": "hcp", "method": "ELISA", "unit": "ng/mL", "criterion": "<=", "limit": "0.5"}
LOWER = {"name": "sc", "method": "HPLC", "unit": "%", "criterion": ">=", "limit": "90.0"}


def test_censored_below_against_upper_limit():
    spec = make_spec(UPPER)
    row = one(spec, "<0.5", "ng/mL")
    assert (row["reported"], row["result"]) == ("< 0.5", "pass")
    assert one(spec, "< 0.54", "ng/mL")["result"] == "pass"  # bound rounds to 0.5
    assert one(spec, "< 0.54", "ng/mL")["reported"] == "< 0.54"  # shown as given
    row = one(spec, "<0.6", "ng/mL")
    assert row["result"] == "fail" and "indeterminate" in row["note"]
    # qualifier column instead of text in the value column
    assert one(spec, 0.4, "ng/mL", qualifier="<")["reported"] == "< 0.4"
    assert one(spec, None, "ng/mL", qualifier="<0.4")["result"] == "pass"


def test_censored_against_lower_limit_and_range_fails():
    spec = make_spec(LOWER)
    row = one(spec, "<85.0", "%")
    assert row["result"] == "fail" and "below the lower limit" in row["note"]
    row = one(spec, "<95.0", "%")
    assert row["result"] == "fail" and "indeterminate" in row["note"]
    assert one(spec, ">95.0", "%")["result"] == "pass"
    assert one(spec, ">89.0", "%")["result"] == "fail"
    assert one(make_spec(UPPER), ">0.1", "ng/mL")["result"] == "fail"
    rng = make_spec({"name": "ph", "method": "pH", "criterion": "range", "lower": "6.8", "upper": "7.8"})
    assert one(rng, "<7.0", "")["result"] == "fail"


def test_loq_from_specification():
    spec = make_spec({**UPPER, "limit": "10", "loq": "0.5"})
    row = one(spec, "<LOQ", "")  # no number, no unit needed: the bound is the spec's LOQ
    assert (row["reported"], row["result"]) == ("< 0.5", "pass")
    assert "below LOQ" in row["note"]
    row = one(spec, None, "", qualifier="<LOQ")
    assert row["reported"] == "< 0.5"
    row = one(spec, 0.3, "ng/mL")  # measured below the LOQ: reported censored
    assert row["reported"] == "< 0.5" and "below LOQ" in row["note"]
    assert one(spec, 0.7, "ng/mL")["reported"] == "1"


def test_loq_text_without_a_number_is_rejected():
    spec = make_spec(UPPER)
    with pytest.raises(InputError, match=r"results, row 1 .*'<LOQ' has no number.*set 'loq' for attribute 'hcp'"):
        one(spec, "<LOQ", "")


# --------------------------------------------------------------------------- units, missing, disposition
def test_unit_conversion_to_spec_unit():
    spec = make_spec({"name": "gdna", "method": "qPCR", "unit": "ug/mg", "criterion": "<=", "limit": "10"})
    row = one(spec, 9400, "ng/mg")
    assert (row["reported"], row["result"]) == ("9", "pass") and "converted from ng/mg" in row["note"]
    assert one(spec, 1.05, "%")["reported"] == "11"  # 1.05 % = 10.5 ug/mg -> 11


def test_missing_tests_and_dispositions():
    spec = make_spec(
        {"name": "a", "method": "m", "unit": "%", "criterion": ">=", "limit": "90"},
        {"name": "b", "method": "m", "criterion": "conforms", "expected": "Conforms"},
    )
    res = pd.DataFrame({
        "lot": ["L1", "L1", "L2", "L3", "L3", "L4", "L4"],
        "attribute": ["a", "b", "a", "a", "b", "a", "b"],
        "value": ["95", "Conforms", "95", "80", "Conforms", "95", None],
        "unit": ["%", None, "%", "%", None, "%", None],
    })
    before = res.copy()
    ev = evaluate_lots(res, spec)
    pd.testing.assert_frame_equal(res, before)  # input untouched
    assert isinstance(ev, LotEvaluation)
    d = ev.dispositions.set_index("lot")
    assert d["disposition"].to_dict() == {
        "L1": "meets specification", "L2": "incomplete", "L3": "does not meet", "L4": "incomplete",
    }
    assert d.loc["L2", ["n_pass", "n_fail", "n_missing"]].tolist() == [1, 0, 1]
    r = ev.for_lot("L2").set_index("attribute")
    assert r.loc["b", "result"] == "missing" and r.loc["b", "reported"] == ""
    assert ev.for_lot("L4").set_index("attribute").loc["b", "result"] == "missing"  # blank value
    assert ev.releasable("L1") and not ev.releasable("L2")
    assert list(ev.results.columns) == ["lot", "attribute", "method", "reported", "unit", "criterion", "result", "note"]
    assert ev.lots == ["L1", "L2", "L3", "L4"]
    sub = evaluate_lots(res, spec, lots=["L3"])
    assert sub.lots == ["L3"] and len(sub.results) == 2
    with pytest.raises(InputError, match="lot 'L9' is not in the evaluation"):
        ev.for_lot("L9")
    with pytest.raises(InputError, match=r"lots: 'L9' not in results"):
        evaluate_lots(res, spec, lots=["L9"])


def test_lot_with_a_failure_and_a_missing_test_does_not_meet():
    spec = make_spec(LOWER, UPPER)
    res = pd.DataFrame({"lot": ["X"], "attribute": ["sc"], "value": [80.0], "unit": ["%"]})
    d = evaluate_lots(res, spec).dispositions.iloc[0]
    assert (d["n_fail"], d["n_missing"], d["disposition"]) == (1, 1, "does not meet")


# --------------------------------------------------------------------------- bad results tables
def test_text_for_numeric_criterion_names_file_and_row(tmp_path):
    p = tmp_path / "lots.csv"
    p.write_text("lot,attribute,value,unit\nA,sc,95.0,%\nB,sc,high,%\n")
    with pytest.raises(InputError, match=r"lots\.csv, row 2 \(lot 'B', attribute 'sc'\), column 'value': expected a number.*got 'high'"):
        evaluate_lots(p, make_spec(LOWER))


def test_duplicate_rows_are_rejected():
    res = pd.DataFrame({"lot": ["A", "A"], "attribute": ["sc", "sc"], "value": [95, 96], "unit": ["%", "%"]})
    with pytest.raises(InputError, match=r"results: duplicated lot/attribute 'A'/'sc' at rows 1, 2"):
        evaluate_lots(res, make_spec(LOWER))


def test_unconvertible_unit_names_row():
    res = pd.DataFrame({"lot": ["A", "B"], "attribute": ["sc", "sc"], "value": [95, 96], "unit": ["%", "EU/mg"]})
    with pytest.raises(InputError, match=r"results, row 2 \(lot 'B', attribute 'sc'\), column 'unit': cannot convert 'EU/mg' to '%'"):
        evaluate_lots(res, make_spec(LOWER))


def test_missing_unit_is_rejected():
    res = pd.DataFrame({"lot": ["A"], "attribute": ["sc"], "value": [95]})
    with pytest.raises(InputError, match=r"row 1 .*unit is missing \(the table has no 'unit' column\); expected a unit convertible to '%'"):
        evaluate_lots(res, make_spec(LOWER))
    res["unit"] = [None]
    with pytest.raises(InputError, match=r"row 1 .*unit is missing; expected"):
        evaluate_lots(res, make_spec(LOWER))


def test_unknown_attribute_and_missing_columns():
    res = pd.DataFrame({"lot": ["A"], "attribute": ["supercoild"], "value": [95], "unit": ["%"]})
    with pytest.raises(InputError, match=r"results, column 'attribute', row 1: 'supercoild' is not an attribute of specification 'Test product'"):
        evaluate_lots(res, make_spec(LOWER))
    with pytest.raises(InputError, match=r"missing column 'value'"):
        evaluate_lots(pd.DataFrame({"lot": ["A"], "attribute": ["sc"]}), make_spec(LOWER))
    with pytest.raises(InputError, match=r"column 'lot', row 2: lot is missing"):
        evaluate_lots(pd.DataFrame({"lot": ["A", None], "attribute": ["sc", "sc"], "value": [1, 2], "unit": "%"}),
                      make_spec(LOWER))


def test_bad_qualifier():
    with pytest.raises(InputError, match=r"row 1 .*column 'qualifier': expected '<', '>'.*got 'approx'"):
        one(make_spec(UPPER), 0.4, "ng/mL", qualifier="approx")
    with pytest.raises(InputError, match=r"qualifier '<0.3' and value '0.4' disagree"):
        one(make_spec(UPPER), 0.4, "ng/mL", qualifier="<0.3")


# --------------------------------------------------------------------------- specification files
GOOD = """\
    product: pDNA
    version: "1.10"
    effective_date: 2025-01-15
    attributes:
      - name: supercoiled
        method: AEX-HPLC
        unit: "%"
        criterion: ">="
        limit: 90.0
      - name: appearance
        method: Visual
        criterion: conforms
        expected: Clear
    """


def test_load_good_spec(tmp_path):
    spec = load_spec(write(tmp_path, GOOD))
    assert spec.version == "1.10"  # kept as written, not the float 1.1
    assert str(spec.effective_date) == "2025-01-15"
    assert spec.names == ["supercoiled", "appearance"]
    assert spec.source == "spec.yaml"
    with pytest.raises(Exception):
        spec.product = "other"  # frozen
    assert evaluate_lots(pd.DataFrame({"lot": ["A"], "attribute": ["supercoiled"], "value": [91], "unit": ["%"]}),
                         tmp_path / "spec.yaml").results.loc[0, "reported"] == "91.0"


def test_unknown_criterion_names_file_attribute_and_line(tmp_path):
    p = write(tmp_path, GOOD.replace('criterion: ">="', 'criterion: "=>"'))
    with pytest.raises(InputError, match=r"specification file 'spec.yaml', attribute 'supercoiled' \(line 8\), field 'criterion': unknown criterion '=>'"):
        load_spec(p)


def test_missing_limit_names_attribute(tmp_path):
    p = write(tmp_path, GOOD.replace("limit: 90.0", "upper: 90.0"))
    with pytest.raises(InputError, match=r"'spec.yaml', attribute 'supercoiled' \(line 5\): missing limit: criterion '>=' needs 'limit'"):
        load_spec(p)
    p = write(tmp_path, GOOD.replace("        expected: Clear\n", ""))
    with pytest.raises(InputError, match=r"attribute 'appearance' \(line 10\): missing 'expected'"):
        load_spec(p)


def test_bad_yaml_names_line(tmp_path):
    p = write(tmp_path, GOOD.replace("limit: 90.0", "limit: [90.0"))
    with pytest.raises(InputError, match=r"specification file 'spec.yaml', line \d+: not valid YAML"):
        load_spec(p)


def test_other_spec_errors(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        load_spec(tmp_path / "nope.yaml")
    with pytest.raises(InputError, match=r"attribute 'supercoiled' \(line 9\), field 'limit': expected a finite number, got 'ninety'"):
        load_spec(write(tmp_path, GOOD.replace("limit: 90.0", "limit: ninety")))
    with pytest.raises(InputError, match=r"attribute 'supercoiled' \(line 9\), field 'limt': unknown field"):
        load_spec(write(tmp_path, GOOD.replace("limit: 90.0", "limt: 90.0")))
    with pytest.raises(InputError, match=r"attribute 'supercoiled' \(line 10\): attribute name already used at line 5"):
        load_spec(write(tmp_path, GOOD.replace("name: appearance", "name: supercoiled")))
    with pytest.raises(InputError, match=r"line 3, field 'effective_date'"):
        load_spec(write(tmp_path, GOOD.replace("2025-01-15", "soon")))
    with pytest.raises(InputError, match=r"missing 'attributes'"):
        load_spec(write(tmp_path, "product: x\nversion: 1\neffective_date: 2025-01-01\n"))
    with pytest.raises(InputError, match=r"limit 90.05 has more decimal places than 'decimals: 1'"):
        load_spec(write(tmp_path, GOOD.replace("limit: 90.0", "limit: 90.05\n        decimals: 1")))
    with pytest.raises(InputError, match=r"range needs lower < upper"):
        make_spec({"name": "ph", "method": "m", "criterion": "range", "lower": 8, "upper": 7})
    with pytest.raises(InputError, match=r"'upper' do not apply to criterion '>='"):
        load_spec(write(tmp_path, GOOD.replace("limit: 90.0", "limit: 90.0\n        upper: 99.0")))


def test_python_construction_errors_are_input_errors():
    """Specification.from_dict raises InputError naming the attribute; direct construction a ValueError."""
    with pytest.raises(InputError, match=r"specification, attribute 'x', field 'criterion': unknown criterion 'between'"):
        make_spec({"name": "x", "method": "m", "criterion": "between"})
    with pytest.raises(InputError, match=r"specification, attribute #2, field 'name': must not be empty"):
        make_spec(LOWER, {"name": " ", "method": "m", "criterion": "report"})
    with pytest.raises(ValueError, match="unknown criterion"):
        Attribute(name="x", method="m", criterion="between")


@pytest.mark.parametrize("name", ["plasmid_gmp_spec.yaml", "aav_ds_spec.yaml"])
def test_sample_specifications_load(name):
    spec = load_spec(SPECS / name)
    assert len(spec.attributes) >= 10
    assert all(a.method for a in spec.attributes)


# --------------------------------------------------------------------------- sample data
def _load_generator():
    import importlib.util

    path = ROOT / "scripts" / "samples" / "make_release.py"
    spec = importlib.util.spec_from_file_location("make_release", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_sample_release_data_is_reproducible(tmp_path, monkeypatch):
    gen = _load_generator()
    monkeypatch.setattr(gen, "OUT", tmp_path)
    for f in gen.main():
        assert f.read_bytes() == (ROOT / "data_samples" / "release" / f.name).read_bytes(), f.name


@pytest.mark.parametrize("data, spec, expected", [
    ("plasmid_release_synthetic.csv", "plasmid_gmp_spec.yaml", {
        "PD-24-001": "meets specification", "PD-24-002": "does not meet",
        "PD-24-003": "meets specification", "PD-24-004": "incomplete"}),
    ("aav_release_synthetic.csv", "aav_ds_spec.yaml", {
        "AV-25-01": "meets specification", "AV-25-02": "does not meet", "AV-25-03": "incomplete"}),
])
def test_sample_release_data_matches_documented_ground_truth(data, spec, expected):
    """The scenarios documented in data_samples/release/README.md."""
    ev = evaluate_lots(ROOT / "data_samples" / "release" / data, SPECS / spec)
    assert dict(zip(ev.dispositions["lot"], ev.dispositions["disposition"])) == expected
    r = ev.results.set_index(["lot", "attribute"])
    if data.startswith("plasmid"):
        assert r.loc[("PD-24-002", "supercoiled"), "reported"] == "86.4"
        assert r.loc[("PD-24-003", "host_protein"), ["reported", "result"]].tolist() == ["< 0.5", "pass"]
        assert r.loc[("PD-24-003", "host_gdna"), "reported"] == "3"
        assert r.loc[("PD-24-004", "sterility"), "result"] == "missing"
    else:
        assert r.loc[("AV-25-02", "endotoxin"), ["reported", "result"]].tolist() == ["0.50", "pass"]
        assert r.loc[("AV-25-02", "full_capsids"), "result"] == "fail"
        assert r.loc[("AV-25-03", "vg_titer"), "reported"] == "2.3E+13"
        assert r.loc[("AV-25-01", "host_cell_protein"), "reported"] == "< 5"


# --------------------------------------------------------------------------- physical bounds
def test_bounds_are_parsed_and_limits_must_lie_within():
    a = Attribute(name="supercoiled", method="HPLC", unit="%", criterion=">=", limit="90.0", bounds=[0, 100])
    assert a.bounds == (Decimal(0), Decimal(100)) and a.bounds_text == "[0, 100] %"
    b = Attribute(name="potency", method="cell assay", unit="%", criterion="range", lower=50, upper=150,
                  bounds=[0, None])
    assert b.bounds == (Decimal(0), None) and b.bounds_text == "[0, inf] %"
    assert b.within_bounds(Decimal("400")) and not b.within_bounds(-45)
    with pytest.raises(InputError, match=r"attribute 'x', field 'bounds': bounds need lower < upper, got \[100, 0\]"):
        make_spec({"name": "x", "method": "m", "unit": "%", "criterion": "report", "bounds": [100, 0]})
    with pytest.raises(InputError, match=r"limit 120 lies outside the physical bounds \[0, 100\] %"):
        make_spec({"name": "x", "method": "m", "unit": "%", "criterion": "<=", "limit": 120, "bounds": [0, 100]})
    with pytest.raises(InputError, match=r"expected \[lower, upper\] \(either may be null\), got 5"):
        make_spec({"name": "x", "method": "m", "criterion": "report", "bounds": 5})
    with pytest.raises(InputError, match=r"'bounds' do not apply to criterion 'conforms'"):
        make_spec({"name": "x", "method": "m", "criterion": "conforms", "expected": "ok", "bounds": [0, 1]})
    with pytest.raises(InputError, match=r"give at least one of the two bounds"):
        make_spec({"name": "x", "method": "m", "criterion": "report", "bounds": [None, None]})


def test_bounds_from_yaml_name_the_line(tmp_path):
    p = write(tmp_path, GOOD.replace("limit: 90.0", "limit: 90.0\n        bounds: [0, 100]"))
    assert load_spec(p).attribute("supercoiled").bounds == (Decimal(0), Decimal(100))
    bad = write(tmp_path, GOOD.replace("limit: 90.0", "limit: 90.0\n        bounds: [0, ten]"), "bad.yaml")
    with pytest.raises(InputError, match=r"attribute 'supercoiled' \(line 10\), field 'bounds': expected numbers "
                                         r"or null in \[lower, upper\], got 'ten'"):
        load_spec(bad)


@pytest.mark.parametrize("value, unit, message", [
    ("130", "%", "got 130 %, expected a physically possible value within [0, 100] % (bounds in the specification)"),
    ("-0.5", "%", "got -0.5 %, expected a physically possible value within [0, 100] %"),
    ("1.3", "dimensionless", None),  # a fraction of 1.3 converts to 130 %
])
def test_results_outside_bounds_are_input_errors_not_passes(value, unit, message):
    """Issue 13: supercoiled 130 % printed "Pass" on a CoA."""
    spec = make_spec({"name": "supercoiled", "method": "HPLC", "unit": "%", "criterion": ">=", "limit": "90.0",
                      "bounds": [0, 100]})
    with pytest.raises(InputError) as e:
        one(spec, value, unit=unit)
    assert "row 1 (lot 'L1', attribute 'supercoiled'), column 'value'" in str(e.value)
    if message:
        assert message in str(e.value)
    assert one(spec, "99.96", unit="%")["reported"] == "100.0"  # within bounds after rounding


def test_sample_production_log_spec_declares_bounds():
    spec = load_spec(SPECS / "aav_production_log_spec.yaml")
    assert spec.attribute("full_capsids").bounds == (Decimal(0), Decimal(100))
    assert spec.attribute("potency").bounds == (Decimal(0), None)
