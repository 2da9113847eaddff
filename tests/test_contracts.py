"""Input contracts (pdkit.contracts): every template's table is checked before any kernel starts,
all problems are listed at once, impossible values are input errors (exit 2, nothing written)."""
from __future__ import annotations

from pathlib import Path

import pytest

from pdkit.contracts import (CONTRACTS, MAX_STEP_YIELD_PCT, ContractError, check_table, describe_contract,
                             example_table, load_table, parse_number, physical_bounds)
from pdkit.errors import InputError, ParameterError
from pdkit.params import find_template, parse_parameters, validate_parameters

from conftest import run_cli

TEMPLATES = ["release_evaluation", "spec_setting", "stability_shelf_life", "upstream_yield", "downstream_yield",
             "doe_design", "doe_analysis"]


def write(tmp_path: Path, text: str, name: str = "data.csv", *, bom: bool = False, crlf: bool = False) -> Path:
    p = tmp_path / name
    if crlf:
        text = text.replace("\n", "\r\n")
    p.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
    return p


def validate(template: str, **values) -> dict:
    """Validate like `pdkit run` (prepare_run) in-process: raises ParameterError for exit 2."""
    tpl = find_template(template)
    return validate_parameters(parse_parameters(tpl), {k: str(v) for k, v in values.items()}, from_strings=True,
                               fill_defaults=True, template_dir=tpl.parent)


def test_every_template_has_a_contract():
    assert sorted(CONTRACTS) == sorted(TEMPLATES)


# ------------------------------------------------------------------ CLI: exit 2, nothing written
MISSING = {
    "release_evaluation": ("lot,attribute,result\nPD-1,supercoiled,95\n", []),
    "spec_setting": ("lot,attribute,unit\nL1,supercoiled,%\n", []),
    "stability_shelf_life": ("batch,month,potency\nB1,0,100\n", []),
    "upstream_yield": ("run,time,variable,value,scale\nR1,0,vcd,1,2 L\n", []),
    "downstream_yield": ("step,attribute,volume_unit,conc_unit,load_volume,load_conc,pool_volume\n"
                         "capture,vg,L,vg/mL,10,1e11,1\n", []),
    "doe_design": ("factor,low,high\ntemp,30,37\n", []),
    "doe_analysis": ("run,temp,yield\n1,30,1\n2,37,2\n", ["-p", "response", "yield", "-p", "factors", "temp,ph"]),
}


@pytest.mark.parametrize("template", TEMPLATES)
def test_cli_refuses_a_file_missing_required_columns(tmp_path, template):
    text, extra = MISSING[template]
    data = write(tmp_path, text, "bad.csv")
    out = tmp_path / "out"
    r = run_cli("run", template, "-p", "data", str(data), *extra, "-o", str(out), timeout=300)
    assert r.returncode == 2, r.stderr + r.stdout
    assert r.stderr.startswith("pdkit: error: parameter "), r.stderr
    assert "bad.csv" in r.stderr
    assert "Traceback" not in r.stderr
    assert not out.exists() or not any(out.iterdir())


IMPOSSIBLE = {
    "release_evaluation": ("lot,attribute,value,unit,qualifier\nPD-1,supercoiled,130,%,\n", [],
                           "row 1, column 'value': got 130, expected a value in [0, 100] %"),
    "stability_shelf_life": ("batch,month,potency_pct\nB1,0,101\nB1,3,-45\nB1,6,97\n", [],
                             "row 2, column 'potency_pct': got -45, expected a value >= 0"),
    "upstream_yield": ("run,time,time_unit,variable,value,unit,scale\nR1,0,day,viability,130,%,2 L\n"
                       "R1,0,day,vcd,0.5,1e6 cells/mL,2 L\n", [],
                       "row 1, column 'value': got 130, expected a value in [0, 100] % (a percentage of a whole) "
                       "for variable 'viability'"),
    "downstream_yield": ("step,attribute,volume_unit,conc_unit,load_volume,load_conc,pool_volume,pool_conc\n"
                         "affinity,vg,L,vg/mL,10,1e11,1,1.04e13\n", [],
                         "row 1, column 'pool_conc': got 10400000000000, expected a step yield of 'vg' <= 200 % "
                         "(pool amount / load amount is 1,040 %"),
}


@pytest.mark.parametrize("template", sorted(IMPOSSIBLE))
def test_cli_impossible_values_exit_2(tmp_path, template):
    text, extra, message = IMPOSSIBLE[template]
    data = write(tmp_path, text, "bad.csv")
    out = tmp_path / "out"
    r = run_cli("run", template, "-p", "data", str(data), *extra, "-o", str(out), timeout=300)
    assert r.returncode == 2, r.stderr + r.stdout
    assert message in r.stderr, r.stderr
    assert not out.exists() or not any(out.iterdir())


def test_cli_spec_with_lower_above_upper_exits_2(tmp_path):
    spec = tmp_path / "spec.yaml"
    spec.write_text('product: p\nversion: "1"\neffective_date: 2025-01-01\nattributes:\n'
                    '  - {name: ph, method: USP <791>, criterion: range, lower: 8.0, upper: 7.0}\n')
    data = write(tmp_path, "lot,attribute,value,unit,qualifier\nL1,ph,7.5,,\n")
    out = tmp_path / "out"
    r = run_cli("run", "release_evaluation", "-p", "data", str(data), "-p", "spec", str(spec), "-o", str(out))
    assert r.returncode == 2
    assert "parameter 'spec'" in r.stderr and "range needs lower < upper, got lower 8.0 and upper 7.0" in r.stderr
    assert not out.exists() or not any(out.iterdir())


def test_missing_columns_are_one_line_with_a_hint(tmp_path):
    data = write(tmp_path, "Lot #,Titer\nL1,1e13\n")
    _, problems = check_table("release_evaluation", data, {"spec": None})
    assert [str(p) for p in problems] == [
        "data.csv: missing columns 'lot', 'attribute', 'value' (columns present: Lot #, Titer); a lab export is "
        "read through a column mapping (pdkit.mapping)"]


# ------------------------------------------------------------------ all problems at once
def test_three_different_problems_are_listed_at_once(tmp_path):
    data = write(tmp_path, "lot,attribute,value,unit\nL1,supercoiled,\"1,234\",%\nL2,supercoiled,130,%\n"
                           "L2,supercoiled,95,%\nL3,supercoiled,,%\n")
    with pytest.raises(ParameterError) as e:
        validate("spec_setting", data=data, spec="None")
    lines = str(e.value).splitlines()
    assert lines[0] == ("parameter 'data': data.csv: 4 problems with the spec_setting input "
                        "(see 'pdkit templates spec_setting')")
    assert lines[1:] == [
        "  data.csv, row 1, column 'value': got '1,234', expected a number without thousands separators "
        "(write 1234, or declare thousands: ',' in a column mapping)",
        "  data.csv, row 2, column 'value': got 130, expected a value in [0, 100] % (a percentage of a whole)",
        "  data.csv, rows 2, 3, column 'lot/attribute': got 'L2/supercoiled', expected each lot/attribute once",
        "  data.csv, row 4, column 'value': got '', expected a number (the cell is empty)",
    ]


def test_problem_listing_is_capped_with_a_count(tmp_path):
    rows = "".join(f"B1,{m},x\n" for m in range(60))
    data = write(tmp_path, "batch,month,potency_pct\n" + rows)
    with pytest.raises(ContractError) as e:
        load_table("stability_shelf_life", data, {"time": "month", "response": "potency_pct", "batch": "batch"})
    lines = str(e.value).splitlines()
    assert lines[0].startswith("data.csv: 60 problems")
    assert len(lines) == 1 + 50 + 1
    assert lines[-1] == "  ... and 10 more problems"
    assert len(e.value.problems) == 60


@pytest.mark.parametrize("cell, got, expected", [
    ("nan", "''", "a number (the cell is empty)"), ("inf", "inf", "a finite number"),
    ("-inf", "-inf", "a finite number"), ("1.5 mg", "'1.5 mg'", "a number"),
    ('"12,5"', "'12,5'", "a number with '.' as the decimal mark"),
    ("12 345", "'12 345'", "a number without thousands separators (write 12345, or declare thousands: ' ' in a "
                           "column mapping)"),
])
def test_text_nan_inf_in_numeric_cells(tmp_path, cell, got, expected):
    data = write(tmp_path, f"batch,month,potency_pct\nB1,0,{cell}\nB1,3,98\n")
    loaded, problems = check_table("stability_shelf_life", data, {"time": "month", "response": "potency_pct",
                                                                  "batch": "batch"})
    assert [str(p) for p in problems] == [f"data.csv, row 1, column 'potency_pct': got {got}, expected {expected}"]


def test_unquoted_comma_shifting_cells_is_an_error(tmp_path):
    data = write(tmp_path, "batch,month,potency_pct\nB1,0,98,1\nB1,3,97,5\n")
    with pytest.raises(ParameterError, match=r"data.csv', rows 1, 2: more cells than the header has columns"):
        validate("stability_shelf_life", data=data)


def test_empty_required_column_lists_every_row(tmp_path):
    data = write(tmp_path, "batch,month,potency_pct\nB1,0,\nB1,3,\n")
    _, problems = check_table("stability_shelf_life", data, {"time": "month", "response": "potency_pct",
                                                             "batch": "batch"})
    assert [p.row for p in problems] == [1, 2]
    assert all(p.expected == "a number (the cell is empty)" for p in problems)


def test_mixed_dates_and_unknown_units_are_errors(tmp_path):
    data = write(tmp_path, "run,time,time_unit,variable,value,unit,scale,date\n"
                           "R1,0,day,vcd,1,1e6 cells/mL,2 L,2024-03-04\nR1,1,day,vcd,2,1e6 cells/mL,2 L,3/5/2024\n"
                           "R1,2,day,vcd,3,bananas/mL,2 L,2024-03-06\n")
    _, problems = check_table("upstream_yield", data, {})
    assert [str(p) for p in problems] == [
        "data.csv, row 2, column 'date': got '3/5/2024', expected a date written YYYY-MM-DD (or give the format in "
        "a column mapping)",
        "data.csv, row 3, column 'unit': got 'bananas/mL', expected a unit pdkit knows (e.g. vg/mL, mg/mL, %, EU/mL, "
        "cells/mL, L)",
    ]


def test_stability_domain_problems_are_caught_before_the_kernel(tmp_path):
    data = write(tmp_path, "batch,month,potency_pct\nB1,0,100\nB2,0,99\n")
    with pytest.raises(ParameterError) as e:
        validate("stability_shelf_life", data=data)
    assert str(e.value).splitlines()[1] == (
        "  data.csv, column 'month': only one time point (0); a shelf life needs results at two or more times")


def test_upstream_time_unit_is_required_and_checked(tmp_path):
    data = write(tmp_path, "run,time,time_unit,variable,value,unit\nR1,0,day,vcd,1,1e6 cells/mL\n"
                           "R1,1,weeks,vcd,2,1e6 cells/mL\n")
    _, problems = check_table("upstream_yield", data, {})
    assert [str(p) for p in problems] == [
        "data.csv, row 2, column 'time_unit': got 'weeks', expected one of day, days, d, hour, hours, h, hr"]
    no_unit = write(tmp_path, "run,time,variable,value,unit\nR1,0,vcd,1,1e6 cells/mL\n", "b.csv")
    assert str(check_table("upstream_yield", no_unit, {})[1][0]).startswith("b.csv: missing column 'time_unit'")


def test_doe_design_low_above_high(tmp_path):
    data = write(tmp_path, "name,low,high,units\ntemp,42,30,degC\ntemp,30,37,degC\n")
    _, problems = check_table("doe_design", data, {})
    assert [str(p) for p in problems] == [
        "data.csv, row 1, column 'high': got 30, expected a value above low (42)",
        "data.csv, rows 1, 2, column 'name': got 'temp', expected each name once",
    ]


def test_doe_analysis_worksheet_headers_and_empty_responses(tmp_path):
    data = write(tmp_path, "Run,Block,temp (degC),viability_pct\n1,1,30,95\n2,1,37,\n3,1,33,130\n")
    _, problems = check_table("doe_analysis", data, {"response": "viability_pct", "factors": "temp"})
    assert [str(p) for p in problems] == [
        "data.csv, row 2, column 'viability_pct': got '', expected a number (the cell is empty)",
        "data.csv, row 3, column 'viability_pct': got 130, expected a value in [0, 100] (a percentage of a whole)",
    ]


def test_release_unit_and_attribute_errors_before_the_kernel(tmp_path):
    data = write(tmp_path, "lot,attribute,value,unit,qualifier\nPD-1,supercoiled,95,mg/mL,\nPD-1,colour,red,,\n")
    with pytest.raises(ParameterError) as e:
        validate("release_evaluation", data=data)
    text = str(e.value)
    assert "row 1, column 'unit': got 'mg/mL', expected a unit convertible to '%' for attribute 'supercoiled'" in text
    assert "row 2, column 'attribute': got 'colour', expected an attribute of specification 'plasmid_gmp_spec.yaml'" \
        in text


def test_release_bounds_from_the_specification(tmp_path):
    spec = tmp_path / "spec.yaml"
    spec.write_text('product: p\nversion: "1"\neffective_date: 2025-01-01\nattributes:\n'
                    '  - {name: potency, method: cell assay, unit: "%", criterion: range, lower: 50, upper: 150,'
                    ' bounds: [0, 200]}\n')
    data = write(tmp_path, "lot,attribute,value,unit,qualifier\nL1,potency,250,%,\nL2,potency,190,%,\n")
    _, problems = check_table("release_evaluation", data, {"spec": spec, "lots": "all"})
    assert [str(p) for p in problems] == ["data.csv, row 1, column 'value': got 250, expected a value in "
                                          "[0, 200] % (bounds in the specification)"]


# ------------------------------------------------------------------ normalisation
def test_bom_crlf_and_spaces_are_accepted(tmp_path):
    data = write(tmp_path, " lot ,attribute\u00a0,value,unit\n L1 ,supercoiled,93.5,%\nL2\u00a0,supercoiled,94.0,%\n"
                           ",,,\nL3,supercoiled,92.8,%\n", bom=True, crlf=True)
    values = validate("spec_setting", data=data, spec="None")
    assert values["data"] == str(data)
    t = load_table("spec_setting", data, {"attribute": "all", "spec": None})
    assert t.table["lot"].tolist() == ["L1", "L2", "L3"]
    assert list(t.table.columns) == ["lot", "attribute", "value", "unit"]
    assert t.table["value"].tolist() == [93.5, 94.0, 92.8]
    assert t.excluded[["row", "column", "reason", "source"]].values.tolist() == [[3, None, "blank row", "data.csv"]]
    assert t.rows == (1, 2, 4)
    assert data.read_bytes().startswith(b"\xef\xbb\xbf lot ,")  # raw input never modified


def test_spec_setting_single_attribute_excludes_the_others_with_a_reason(tmp_path):
    data = write(tmp_path, "lot,attribute,value,unit\nL1,supercoiled,93.5,%\nL1,appearance,clear,\n")
    t = load_table("spec_setting", data, {"attribute": "supercoiled", "spec": None})
    assert t.table["attribute"].tolist() == ["supercoiled"]
    assert t.excluded["reason"].tolist() == ["attribute 'appearance' not selected (parameter attribute = 'supercoiled')"]


def test_every_sample_passes_its_contract_through_the_default_parameters():
    for template in TEMPLATES:
        validate(template)


@pytest.mark.parametrize("template", TEMPLATES)
def test_example_table_is_valid_and_contract_is_described(tmp_path, template):
    data = write(tmp_path, example_table(template))
    validate(template, data=data, **({"reference_scale": "2 L"} if template == "upstream_yield" else {}))
    text = describe_contract(template)
    assert text.startswith(f"{template}: ")
    for col in CONTRACTS[template].columns:
        assert col.name in text


def test_describe_contract_names_bounds_and_keys():
    text = describe_contract("release_evaluation")
    assert "unique: each lot/attribute once" in text
    assert "0-100 %" in text
    with pytest.raises(InputError, match="no input contract for template 'nope'"):
        describe_contract("nope")


# ------------------------------------------------------------------ rules
@pytest.mark.parametrize("name, unit, lo, hi", [
    ("supercoiled", "%", 0, 100), ("full_capsids", "%", 0, 100), ("viability", "%", 0, 100),
    ("viability_pct", None, 0, 100), ("aggregates_pct", None, 0, 100), ("potency", "%", 0, None),
    ("potency_pct", None, 0, None), ("vg_titer", "vg/mL", 0, None), ("endotoxin", "EU/mL", 0, None),
    ("ph", "", 0, 14),
])
def test_physical_bounds(name, unit, lo, hi):
    b = physical_bounds(name, unit)
    assert (b.lo, b.hi) == (lo, hi)


@pytest.mark.parametrize("name, unit", [("temperature_c", None), ("do_pct", None), ("a260_a280", "")])
def test_no_bounds_where_no_rule_applies(name, unit):
    assert physical_bounds(name, unit) is None


def test_step_yield_bound_is_documented_and_censored_steps_are_skipped(tmp_path):
    assert MAX_STEP_YIELD_PCT == 200.0
    ok = write(tmp_path, "step,attribute,volume_unit,conc_unit,load_volume,load_conc,pool_volume,pool_conc,"
                         "pool_qualifier\naffinity,vg,L,vg/mL,10,1e11,1,1.9e12,\npolish,HCP,L,ng/mL,1,10,1,500,\n")
    assert check_table("downstream_yield", ok, {"product": "vg"})[1] == []


def test_parse_number_never_guesses():
    assert parse_number("1,234") == (None, "a number without thousands separators (write 1234, or declare "
                                           "thousands: ',' in a column mapping)")
    assert parse_number("1,234", thousands=",") == (1234.0, None)
    assert parse_number("1_000") == (None, "a number")
    assert parse_number(float("nan")) == (None, None)
