"""Column mappings (pdkit.mapping): a messy lab export read into the long results layout,
every exclusion listed with its reason, nothing guessed."""
from __future__ import annotations

import hashlib
import importlib.util
from pathlib import Path

import pandas as pd
import pytest

from pdkit.contracts import ContractError, load_table
from pdkit.errors import InputError, ParameterError
from pdkit.mapping import ColumnMapping, apply_mapping, header_unit, load_mapping
from pdkit.params import parse_parameters, validate_parameters
from pdkit.specs import evaluate_lots

from conftest import ROOT

EXPORT = ROOT / "data_samples" / "lab_export"
CSV = EXPORT / "aav_production_log_synthetic.csv"
XLSX = EXPORT / "aav_production_log_synthetic.xlsx"
MAPPING = EXPORT / "aav_production_log_mapping.yaml"
SPEC = ROOT / "data_samples" / "specs" / "aav_production_log_spec.yaml"


def write(tmp_path: Path, text: str, name: str = "log.csv") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def wide(**extra) -> dict:
    base = {"lot": "Lot", "attributes": [{"column": "Titer (vg/mL)", "attribute": "vg_titer",
                                          "unit_from_header": True}]}
    base.update(extra)
    return base


# ------------------------------------------------------------------ the sample export
def test_sample_export_to_long_table_with_excluded_rows_and_reasons():
    out = apply_mapping(CSV, MAPPING)
    assert out.problems == ()
    t = out.table
    assert list(t.columns) == ["lot", "attribute", "value", "unit", "qualifier", "date", "row"]
    assert len(t) == 98 and t["lot"].nunique() == 20
    assert sorted(t["attribute"].unique()) == ["endotoxin", "full_capsids", "harvest_volume", "potency", "vg_titer"]
    first = t[t["lot"] == "AAV9-17-001"].drop(columns="row").values.tolist()
    assert first == [
        ["AAV9-17-001", "vg_titer", 1.58e13, "vg/mL", "", "2017-01-05"],
        ["AAV9-17-001", "full_capsids", 79.9, "%", "", "2017-01-05"],
        ["AAV9-17-001", "potency", 108.0, "%", "", "2017-01-05"],
        ["AAV9-17-001", "endotoxin", 0.044, "EU/mL", "", "2017-01-05"],
        ["AAV9-17-001", "harvest_volume", 1173.0, "mL", "", "2017-01-05"],  # "1,173" with thousands: ","
    ]
    endo = t[t["attribute"] == "endotoxin"].set_index("lot")
    assert (endo.loc["AAV9-17-006", "value"], endo.loc["AAV9-17-006", "qualifier"]) == ("", "<LOQ")
    assert (endo.loc["AAV9-17-011", "value"], endo.loc["AAV9-17-011", "qualifier"]) == (0.05, "<")
    assert "AAV9-17-021" in set(t["lot"])  # trailing non-breaking space trimmed
    assert {"AAV9-17-004", "AAV9-17-009", "AAV9-17-016", "AAV9-17-017"}.isdisjoint(t["lot"])
    titers = t[t["attribute"] == "vg_titer"]["lot"].tolist()
    assert "AAV9-17-013" not in titers and "AAV9-17-014" not in titers
    assert out.excluded[["row", "column", "reason"]].values.tolist() == [
        [4, None, "prep failed or aborted, no release testing (STATUS = 'Failed')"],
        [9, None, "prep failed or aborted, no release testing (STATUS = 'Aborted')"],
        [11, None, "blank row"],
        [14, "Final Titer GC/mL", "titer measured on pooled preps, not a lot result "
                                  "(Final Titer GC/mL = '(pooled titer)')"],
        [15, "Final Titer GC/mL", "refers to another row; enter the lot's own result (Final Titer GC/mL = 'see above')"],
        [17, None, "co-processed pair with one set of results; no per-lot result "
                   "(Viral Lot # = 'AAV9-17-016/AAV9-17-017')"],
    ]
    assert set(out.excluded["source"]) == {CSV.name}


def test_same_mapping_on_the_xlsx_gives_the_same_table():
    a, b = apply_mapping(CSV, MAPPING), apply_mapping(XLSX, MAPPING)
    assert b.problems == ()
    pd.testing.assert_frame_equal(a.table, b.table)
    pd.testing.assert_frame_equal(a.excluded.drop(columns="source"), b.excluded.drop(columns="source"))


def test_sample_export_through_release_evaluation_matches_the_ground_truth():
    loaded = load_table("release_evaluation", CSV, {"spec": SPEC, "lots": "all"}, mapping=MAPPING)
    assert len(loaded.excluded) == 6
    ev = evaluate_lots(loaded.table, SPEC)
    disp = ev.dispositions.set_index("lot")["disposition"]
    assert sorted(disp[disp == "does not meet"].index) == ["AAV9-17-019", "AAV9-17-022"]
    assert sorted(disp[disp == "incomplete"].index) == ["AAV9-17-013", "AAV9-17-014"]
    assert (disp == "meets specification").sum() == 16
    r = ev.results.set_index(["lot", "attribute"])
    assert r.loc[("AAV9-17-006", "endotoxin"), "reported"] == "< 0.05"
    assert r.loc[("AAV9-17-001", "vg_titer"), "reported"] == "1.6E+13"


def test_sample_export_through_spec_setting():
    loaded = load_table("spec_setting", CSV, {"attribute": "vg_titer", "spec": SPEC}, mapping=MAPPING)
    assert len(loaded.table) == 18 and set(loaded.table["attribute"]) == {"vg_titer"}
    assert loaded.table["value"].between(1e13, 4e13).all()
    with pytest.raises(ContractError) as e:
        load_table("spec_setting", CSV, {"attribute": "all", "spec": SPEC}, mapping=MAPPING)
    lines = str(e.value).splitlines()
    assert lines[0] == ("aav_production_log_synthetic.csv: 3 problems with the spec_setting input "
                        "(see 'pdkit templates spec_setting')")
    assert lines[1] == ("  aav_production_log_synthetic.csv, row 6, column 'value': got '', expected a number "
                        "(the cell is empty)")
    assert lines[2] == ("  aav_production_log_synthetic.csv, row 6, column 'qualifier': got '<LOQ', expected no "
                        "qualifier: a censored result cannot enter a tolerance interval (exclude it in the mapping "
                        "or choose another attribute)")


def test_mapping_parameter_in_validate_parameters(tmp_path):
    """A template with a `mapping` parameter: {value: data.lot} sees the mapped lots, the contract runs."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell(
        f'data: str = "{CSV}"  # Results {{file: csv, xlsx}}\n'
        f'spec: str = "{SPEC}"  # Spec {{file: yaml}}\n'
        'lots: str = "all"  # Lots {value: data.lot, all}\n'
        'mapping: str | None = None  # Column mapping YAML for a lab export {file: yaml}\n')
    cell.metadata["tags"] = ["parameters"]
    nb.cells.append(cell)
    path = tmp_path / "release_evaluation.ipynb"
    nbformat.write(nb, str(path))
    specs = parse_parameters(path)
    ok = validate_parameters(specs, {"mapping": str(MAPPING), "lots": "AAV9-17-021"}, from_strings=True,
                             fill_defaults=True)
    assert ok["mapping"] == str(MAPPING)
    with pytest.raises(ParameterError) as e:  # without the mapping the export breaks the contract
        validate_parameters(specs, {}, fill_defaults=True)
    assert "missing columns 'lot', 'attribute', 'value' (columns present: Viral Lot #," in str(e.value)
    bad = write(tmp_path, "lot: Lot\nattributes:\n  - {colum: x, attribute: y}\n", "bad.yaml")
    with pytest.raises(ParameterError, match=r"parameter 'mapping': .*key 'attributes.1.colum': unknown key"):
        validate_parameters(specs, {"mapping": str(bad)}, from_strings=True, fill_defaults=True)


# ------------------------------------------------------------------ rules
def test_unknown_keys_are_errors_naming_the_key(tmp_path):
    with pytest.raises(InputError) as e:
        load_mapping(write(tmp_path, "lot: Lot\nlayuot: wide\nattributes: []\n", "m.yaml"))
    assert str(e.value).startswith("column mapping file 'm.yaml', key 'layuot': unknown key (allowed: layout,")
    with pytest.raises(InputError, match=r"key 'qualifiers.ND.actoin': unknown key"):
        load_mapping(wide(qualifiers={"ND": {"actoin": "exclude"}}))
    with pytest.raises(InputError, match=r"key 'date.format': Value error|has no year"):
        load_mapping(wide(date={"column": "d", "format": "%m/%d"}))
    with pytest.raises(InputError, match=r"action 'exclude' needs a 'reason'"):
        load_mapping(wide(qualifiers={"ND": {"action": "exclude"}}))


def test_dates_are_never_guessed(tmp_path):
    log = write(tmp_path, "Lot,Date,Titer (vg/mL)\nA1,1/19/2017,1e13\nA2,10/6,1e13\nA3,2017-01-20,1e13\nA4,,1e13\n")
    out = apply_mapping(log, wide(date={"column": "Date", "format": "%m/%d/%Y"}))
    assert [str(p) for p in out.problems] == [
        "log.csv, row 2, column 'Date': got '10/6', expected a date written '%m/%d/%Y' (format of the mapping; "
        "dates are never guessed)",
        "log.csv, row 3, column 'Date': got '2017-01-20', expected a date written '%m/%d/%Y' (format of the "
        "mapping; dates are never guessed)",
        "log.csv, row 4, column 'Date': got nan, expected a date written '%m/%d/%Y' (the cell is empty)",
    ]
    assert out.table.loc[0, "date"] == "2017-01-19"


def test_two_lots_in_a_cell_are_an_error_unless_split(tmp_path):
    log = write(tmp_path, "Lot,Titer (vg/mL)\nL1/L2,2e13\nL3,1e13\n")
    out = apply_mapping(log, wide())
    assert [str(p) for p in out.problems] == [
        "log.csv, row 1, column 'Lot': got 'L1/L2', expected one lot per cell (this cell seems to hold several; "
        "set 'split_lots' in the mapping to read them as separate lots)"]
    with pytest.raises(InputError, match="1 problem"):
        out.raise_problems()
    split = apply_mapping(log, wide(split_lots="/")).raise_problems()
    assert split.table[["lot", "value", "row"]].values.tolist() == [["L1", 2e13, 1], ["L2", 2e13, 1], ["L3", 1e13, 2]]


def test_thousands_separators_need_the_mapping_to_say_so(tmp_path):
    log = write(tmp_path, 'Lot,Titer (vg/mL)\nA1,"1,250"\n')
    assert [str(p) for p in apply_mapping(log, wide()).problems] == [
        "log.csv, row 1, column 'Titer (vg/mL)': got '1,250', expected a number without thousands separators "
        "(write 1250, or declare thousands: ',' in a column mapping)"]
    assert apply_mapping(log, wide(thousands=",")).table["value"].tolist() == [1250.0]


def test_qualifier_keys_match_whole_cells_not_parts_of_words(tmp_path):
    log = write(tmp_path, "Lot,Titer (vg/mL),Status\nA1,2.1E13 (pooled),Pending\nA2,ND,ok\n")
    m = wide(qualifiers={"ND": {"action": "not_detected"},
                         "(pooled)": {"action": "exclude", "reason": "pooled result"}},
             attributes=[{"column": "Titer (vg/mL)", "attribute": "vg_titer", "unit_from_header": True},
                         {"column": "Status", "attribute": "status", "text": True}])
    out = apply_mapping(log, m)
    assert out.problems == ()
    assert out.table[["lot", "attribute", "value", "qualifier"]].values.tolist() == [
        ["A1", "status", "Pending", ""], ["A2", "vg_titer", "", "<LOD"], ["A2", "status", "ok", ""]]
    assert out.excluded["reason"].tolist() == ["pooled result (Titer (vg/mL) = '2.1E13 (pooled)')"]


def test_qualifier_rules(tmp_path):
    log = write(tmp_path, "Lot,Titer (vg/mL)\nA1,ND\nA2,>1e14\nA3,>ULOQ\nA4,see above\nA5,Pass\nA6,high\n")
    m = wide(qualifiers={"ND": {"action": "not_detected"}, ">ULOQ": {"action": "censored_above", "bound": 5e13},
                         "see above": {"action": "error", "reason": "give the value itself"},
                         "pass": {"action": "replace", "text": "Conforms"}})
    out = apply_mapping(log, m)
    assert [str(p) for p in out.problems] == [
        "log.csv, row 4, column 'Titer (vg/mL)': got 'see above', expected not 'see above': give the value itself",
        "log.csv, row 6, column 'Titer (vg/mL)': got 'high', expected a number, a censored value such as '<0.5', "
        "or a text listed under 'qualifiers' in the mapping",
    ]
    assert out.table[["lot", "value", "qualifier"]].values.tolist() == [
        ["A1", "", "<LOD"], ["A2", 1e14, ">"], ["A3", 5e13, ">"], ["A5", "Conforms", ""]]


def test_missing_source_columns_and_unknown_units(tmp_path):
    log = write(tmp_path, "Lot,Titer (bananas)\nA1,1\n")
    out = apply_mapping(log, wide())
    assert [str(p) for p in out.problems] == [
        "log.csv, column 'Titer (vg/mL)': expected a column 'Titer (vg/mL)' named in the mapping (columns present: "
        "Lot, Titer (bananas))"]
    m = wide(attributes=[{"column": "Titer (bananas)", "attribute": "vg_titer", "unit_from_header": True}])
    assert [str(p) for p in apply_mapping(log, m).problems] == [
        "log.csv, column 'Titer (bananas)': got 'bananas', expected a unit pdkit knows (map the export's spelling "
        "under 'units', e.g. GC/mL: vg/mL)"]


def test_table_layout_renames_and_excludes(tmp_path):
    log = write(tmp_path, "Batch ID,Month,Potency %,Status\nB1 ,0,101,ok\nB1,3,99,invalid\nB1,6,97,ok\n"
                          "B2,0,100,ok\nB2,3,98.5,ok\nB2,6,96.2,ok\n")
    m = {"layout": "table", "columns": {"batch": "Batch ID", "month": "Month", "potency_pct": "Potency %"},
         "exclude": [{"column": "Status", "values": ["invalid"], "reason": "invalid assay run"}]}
    t = load_table("stability_shelf_life", log, {"time": "month", "response": "potency_pct", "batch": "batch",
                                                 "lower": 70.0}, mapping=m)
    assert list(t.table.columns) == ["batch", "month", "potency_pct"]
    assert t.table["batch"].tolist() == ["B1", "B1", "B2", "B2", "B2"]
    assert t.excluded[["row", "reason"]].values.tolist() == [[2, "invalid assay run (Status = 'invalid')"]]
    assert t.rows == (1, 3, 4, 5, 6)


def test_header_unit():
    assert header_unit("Final Titer GC/mL") == "GC/mL"
    assert header_unit("% Full (AUC)") == "AUC"  # hence unit: "%" in the sample mapping


def test_mapping_model_rejects_inconsistent_layouts():
    with pytest.raises(InputError, match="layout 'wide' needs 'lot'"):
        load_mapping({"attributes": [{"column": "a", "attribute": "b"}]})
    with pytest.raises(InputError, match="give either 'unit' or 'unit_from_header: true'"):
        load_mapping(wide(attributes=[{"column": "a", "attribute": "b", "unit": "%", "unit_from_header": True}]))
    assert isinstance(load_mapping(MAPPING), ColumnMapping)


# ------------------------------------------------------------------ generator
def test_sample_generator_is_reproducible(tmp_path, monkeypatch):
    spec = importlib.util.spec_from_file_location("make_lab_export", ROOT / "scripts" / "samples" / "make_lab_export.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    monkeypatch.setattr(mod, "OUT", tmp_path)
    for f in mod.main():
        assert hashlib.sha256(f.read_bytes()).hexdigest() == hashlib.sha256((EXPORT / f.name).read_bytes()).hexdigest()
    raw = CSV.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfViral Lot #,") and b"\r\n" in raw and b"STATUS ," in raw
