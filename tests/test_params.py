"""Template parameter parsing and validation (pdkit.params)."""
from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from pdkit.errors import ParameterError
from pdkit.params import (
    TemplateError,
    check_parameters,
    list_templates,
    parse_parameters,
    validate_parameters,
)


def nb_with(source: str):
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell(source)
    cell.metadata["tags"] = ["parameters"]
    nb.cells.append(cell)
    return nb


SPECS = parse_parameters(nb_with(
    'alpha: float = 0.05  # Level {range: (0, 0.5]}\n'
    'n: int = 3  # Count {range: [1, ]}\n'
    'sided: str = "two"  # Sides {choices: two, lower, upper}\n'
    'lsl: float | None = None  # Lower limit\n'
    'flag: bool = False  # A switch\n'
    'lots: list = []  # Lots to include\n'
    'label: str = "x"  # Free text\n'
))


def test_parse_annotated_form():
    by = {s.name: s for s in SPECS}
    assert [s.name for s in SPECS] == ["alpha", "n", "sided", "lsl", "flag", "lots", "label"]
    assert by["alpha"].type == "float" and by["alpha"].default == 0.05 and by["alpha"].help == "Level"
    assert by["alpha"].range == (0.0, 0.5, False, True)
    assert by["n"].range[:3] == (1.0, None, True)
    assert by["sided"].choices == ("two", "lower", "upper")
    assert by["lsl"].optional and by["lsl"].type == "float"


@pytest.mark.parametrize("given, expected", [
    ({"alpha": "0.1"}, {"alpha": 0.1}),
    ({"alpha": "1e-3"}, {"alpha": 0.001}),
    ({"n": "7"}, {"n": 7}),
    ({"lsl": "None"}, {"lsl": None}),
    ({"lsl": "92.5"}, {"lsl": 92.5}),
    ({"flag": "true"}, {"flag": True}),
    ({"lots": "[A, B]"}, {"lots": ["A", "B"]}),
    ({"label": "123"}, {"label": "123"}),
])
def test_strings_are_coerced_by_annotation(given, expected):
    assert validate_parameters(SPECS, given, from_strings=True) == expected


def test_typed_values_from_yaml_file():
    assert validate_parameters(SPECS, {"alpha": 0.2, "n": 2, "label": 5}) == {"alpha": 0.2, "n": 2, "label": "5"}


@pytest.mark.parametrize("given, message", [
    ({"alpha": "abc"}, "parameter 'alpha': got 'abc', expected a float in (0, 0.5]"),
    ({"alpha": "0"}, "parameter 'alpha': got 0, expected a float in (0, 0.5]"),
    ({"alpha": "0.51"}, "parameter 'alpha': got 0.51, expected a float in (0, 0.5]"),
    ({"alpha": "nan"}, "parameter 'alpha'"),
    ({"n": "2.5"}, "parameter 'n': got 2.5, expected an integer >= 1"),
    ({"n": "0"}, "parameter 'n': got 0, expected an integer >= 1"),
    ({"sided": "both"}, "parameter 'sided': got 'both', expected one of 'two', 'lower', 'upper'"),
    ({"flag": "maybe"}, "parameter 'flag': got 'maybe', expected true or false"),
    ({"nonsense": "1"}, "parameter 'nonsense': unknown for this template"),
])
def test_bad_values_name_parameter_given_and_expected(given, message):
    with pytest.raises(ParameterError) as err:
        validate_parameters(SPECS, given, from_strings=True)
    assert message in str(err.value)
    assert "\n" not in str(err.value)


def test_file_parameters_must_exist_and_parse(tmp_path):
    specs = parse_parameters(nb_with('data: str = "x.csv"  # Table {file: csv, xlsx}\n'
                                     'spec: str = "s.yaml"  # Spec {file: yaml}\n'))
    good = tmp_path / "good.csv"
    good.write_text("a,b\n1,2\n")
    out = validate_parameters(specs, {"data": str(good)})
    assert out["data"] == str(good.resolve())
    # relative paths resolve against base_dir
    assert validate_parameters(specs, {"data": "good.csv"}, base_dir=tmp_path)["data"] == str(good.resolve())
    with pytest.raises(ParameterError, match=r"parameter 'data': got '.*missing.csv', expected an existing csv/xlsx file \(file not found"):
        validate_parameters(specs, {"data": str(tmp_path / "missing.csv")})
    wrong = tmp_path / "table.txt"
    wrong.write_text("a\n1\n")
    with pytest.raises(ParameterError, match="wrong file type '.txt'"):
        validate_parameters(specs, {"data": str(wrong)})
    empty = tmp_path / "empty.csv"
    empty.write_text("a,b\n")
    with pytest.raises(ParameterError, match="that parses .*no data rows"):
        validate_parameters(specs, {"data": str(empty)})
    bad_yaml = tmp_path / "bad.yaml"
    bad_yaml.write_text("a: [1\n")
    with pytest.raises(ParameterError, match="parameter 'spec': .* that parses"):
        validate_parameters(specs, {"spec": str(bad_yaml)})
    scalar_yaml = tmp_path / "scalar.yaml"
    scalar_yaml.write_text("just text\n")
    with pytest.raises(ParameterError, match="does not contain a mapping"):
        validate_parameters(specs, {"spec": str(scalar_yaml)})


@pytest.mark.parametrize("source, message", [
    ("x = 1", "add a type annotation"),
    ("x: complex = 1j", "unsupported annotation"),
    ("x: float = 1.0  # bad {range: 0, 1}", "bad range marker"),
    ("x: float = abs(1)", "must be a literal"),
])
def test_malformed_templates_are_template_errors(source, message):
    with pytest.raises(TemplateError, match=message):
        parse_parameters(nb_with(source))


def test_exactly_one_parameters_cell():
    nb = nbformat.v4.new_notebook()
    with pytest.raises(TemplateError, match="exactly one cell tagged 'parameters', found 0"):
        parse_parameters(nb)


def test_check_parameters_in_notebook_namespace(smoke_template: Path):
    ns = {"data": str(smoke_template.parent / "data.csv"), "alpha": 0.05, "n_boot": 3, "sided": "two",
          "lsl": None, "fail_mode": "none"}
    P = check_parameters(str(smoke_template), ns)
    assert isinstance(P.data, Path) and P.data.is_absolute() and P["alpha"] == 0.05
    with pytest.raises(AttributeError):
        P.nonexistent
    ns["alpha"] = 2.0
    with pytest.raises(ParameterError, match=r"parameter .alpha.: got 2, expected a float in \(0, 0.5\]"):
        check_parameters(str(smoke_template), ns)


def test_every_shipped_template_declares_valid_parameters():
    from pdkit.params import find_template

    for name in list_templates():
        specs = parse_parameters(find_template(name))
        # defaults must themselves validate (sample data present and parseable)
        validate_parameters(specs, {}, fill_defaults=True, template_dir=find_template(name).parent)
        # templates that read a lot-history store (parameter db) have no data file
        assert any(s.name in ("data", "db") for s in specs), f"template {name} has no 'data' parameter"
        assert all(s.template == name for s in specs)


def test_column_and_value_markers(tmp_path):
    """Column names and column values are checked against the data file before any kernel starts."""
    data = tmp_path / "stab.csv"
    data.write_text("batch,month,potency_pct,scale\nA,0,100,2 L\nB,3,98,50 L\n")
    specs = parse_parameters(nb_with(
        f'data: str = {str(data)!r}  # Table {{file: csv}}\n'
        'response: str = "potency_pct"  # Response column {column: data}\n'
        'responses: str = "all"  # Columns, comma list, or all {column: data, all}\n'
        'reference: str = "2 L"  # Reference scale {value: data.scale}\n'
        'lots: list = []  # Lots {value: data.batch}\n'))
    assert validate_parameters(specs, {"response": "month", "responses": "month, potency_pct",
                                       "reference": "50 L", "lots": ["A", "B"]})
    assert validate_parameters(specs, {"responses": "all"})
    with pytest.raises(ParameterError) as err:
        validate_parameters(specs, {"response": "potency"})
    assert str(err.value) == ("parameter 'response': got 'potency', expected a column of data file 'stab.csv' "
                              "(columns: batch, month, potency_pct, scale)")
    with pytest.raises(ParameterError, match="got 'bad', expected a column of data file 'stab.csv' or all"):
        validate_parameters(specs, {"responses": "month,bad"})
    with pytest.raises(ParameterError, match=r"got '200 L', expected a value of column 'scale' in data file "
                                             r"'stab.csv' \(values: 2 L, 50 L\)"):
        validate_parameters(specs, {"reference": "200 L"})
    with pytest.raises(ParameterError, match="got 'C', expected a value of column 'batch'"):
        validate_parameters(specs, {"lots": ["A", "C"]})
    other = tmp_path / "other.csv"
    other.write_text("lot,value\nX,1\n")
    with pytest.raises(ParameterError, match="expected a column of data file 'other.csv'"):
        validate_parameters(specs, {"data": str(other)}, fill_defaults=True)  # as the runner does
    with pytest.raises(TemplateError, match="not a file parameter"):
        parse_parameters(nb_with('x: str = "a"  # X {column: nothing}\n'))


def test_column_marker_accepts_plain_names_of_headers_with_units(tmp_path):
    """A DoE worksheet headed ``temp (degC)`` is read with the column ``temp`` (pdkit.io.tables.plain_column_name),
    so ``-p factors temp`` names a column of it; the full header is accepted too, a wrong name still is not."""
    data = tmp_path / "ws.csv"
    data.write_text("Run,Std order,temp (degC),ph,titer\n1,1,30,7.0,5\n2,2,40,7.2,6\n")
    specs = parse_parameters(nb_with(
        f'data: str = {str(data)!r}  # Worksheet {{file: csv}}\n'
        'factors: str = "auto"  # Factor columns {column: data, auto}\n'))
    assert validate_parameters(specs, {"factors": "temp"})
    assert validate_parameters(specs, {"factors": "temp, ph"})
    assert validate_parameters(specs, {"factors": "temp (degC)"})
    with pytest.raises(ParameterError, match=r"got 'tmp', expected a column of data file 'ws.csv' or auto "
                                             r"\(columns: Run, Std order, temp \(degC\), ph, titer\)"):
        validate_parameters(specs, {"factors": "tmp"})
    with pytest.raises(ParameterError, match="got 'degC'"):
        validate_parameters(specs, {"factors": "degC"})


ORDERED = nb_with(
    'lower: float | None = 70.0  # Lower limit\n'
    'upper: float | None = 130.0  # Upper limit {above: lower}\n'
    'n_low: int = 1  # Fewest {range: [0, ]}\n'
    'n_high: int = 5  # Most {above: n_low}\n'
)


def test_above_marker_orders_two_parameters():
    specs = parse_parameters(ORDERED)
    upper = next(s for s in specs if s.name == "upper")
    assert upper.above == "lower" and upper.help == "Upper limit"
    assert upper.describe_expected() == "a float, above parameter 'lower' or None"
    ok = validate_parameters(specs, {"lower": "80", "upper": "120"}, from_strings=True, fill_defaults=True)
    assert (ok["lower"], ok["upper"], ok["n_low"], ok["n_high"]) == (80.0, 120.0, 1, 5)
    # either side may be None: nothing to compare
    assert validate_parameters(specs, {"lower": None, "upper": 1.0})["upper"] == 1.0
    assert validate_parameters(specs, {"upper": None, "lower": 500.0})["lower"] == 500.0
    cases = [
        ({"upper": 60.0}, "parameter 'upper': got 60, expected a value above parameter 'lower' (70)"),  # vs default
        ({"lower": 130.0}, "parameter 'upper': got 130, expected a value above parameter 'lower' (130)"),  # equal
        ({"n_low": 7}, "parameter 'n_high': got 5, expected a value above parameter 'n_low' (7)"),
    ]
    for given, message in cases:
        with pytest.raises(ParameterError) as err:
            validate_parameters(specs, given, fill_defaults=True)
        assert str(err.value) == message
        with pytest.raises(ParameterError):  # also when only the given values are validated
            validate_parameters(specs, given)


@pytest.mark.parametrize("source", [
    'lower: float = 1.0  # Low\nupper: float = 2.0  # High {above: lowest}\n',  # unknown name
    'lower: str = "a"  # Low\nupper: float = 2.0  # High {above: lower}\n',  # not numeric
    'lower: float = 1.0  # Low\nupper: str = "b"  # High {above: lower}\n',
])
def test_above_marker_must_name_a_numeric_parameter(source):
    with pytest.raises(TemplateError, match="needs both to be numeric parameters"):
        parse_parameters(nb_with(source))


# ------------------------------------------------------------------ {output: ...} marker (issue 12)
OUTPUT_SPECS = parse_parameters(nb_with(
    'worksheet: str = "doe_worksheet"  # Base name of the worksheet files {output: csv, xlsx}\n'))


def test_output_marker_is_parsed_and_described():
    (spec,) = OUTPUT_SPECS
    assert spec.output == ("csv", "xlsx")
    assert spec.file is None and spec.template is None
    assert spec.describe_expected() == ("a relative file name (no absolute path, no '..') ending in .csv or .xlsx "
                                        "or without a suffix")


@pytest.mark.parametrize("value", ["doe_worksheet", "sheets/run1.xlsx", "plan.CSV"])
def test_output_marker_accepts_relative_names(value):
    assert validate_parameters(OUTPUT_SPECS, {"worksheet": value}) == {"worksheet": value}


@pytest.mark.parametrize("value, why", [
    ("/tmp/x.csv", "absolute path"), ("../x.csv", "'..' leaves the output folder"),
    ("a/../../x", "'..' leaves the output folder"), ("C:\\data\\x.csv", "absolute path"),
    ("~/x.csv", "absolute path"), ("x.json", "wrong suffix '.json'"), ("  ", "empty name"),
])
def test_output_marker_rejects_paths_outside_the_output_folder(value, why):
    with pytest.raises(ParameterError) as e:
        validate_parameters(OUTPUT_SPECS, {"worksheet": value})
    assert str(e.value).startswith(f"parameter 'worksheet': got {value!r}, expected a relative file name")
    assert str(e.value).endswith(f"({why})")


@pytest.mark.parametrize("source", [
    'x: int = 1  # n {output: csv}', 'x: str = "a"  # n {output: }',
])
def test_output_marker_needs_a_str_parameter_and_suffixes(source):
    with pytest.raises(TemplateError, match="needs a str parameter and at least one suffix"):
        parse_parameters(nb_with(source))


# ------------------------------------------------------------------ spec and mapping files, input contracts
def test_spec_and_mapping_files_are_validated_in_full(tmp_path):
    specs = parse_parameters(nb_with('spec: str = "s.yaml"  # Spec {file: yaml}\n'
                                     'mapping: str | None = None  # Mapping {file: yaml}\n'))
    spec = tmp_path / "s.yaml"
    spec.write_text('product: p\nversion: "1"\neffective_date: 2025-01-01\nattributes:\n'
                    '  - {name: ph, method: m, criterion: range, lower: 8.0, upper: 7.0}\n')
    with pytest.raises(ParameterError) as e:
        validate_parameters(specs, {"spec": str(spec)})
    assert str(e.value) == (f"parameter 'spec': got {str(spec)!r}, expected an existing yaml file that parses "
                            "(specification file 's.yaml', attribute 'ph' (line 5): range needs lower < upper, "
                            "got lower 8.0 and upper 7.0)")
    mapping = tmp_path / "m.yaml"
    mapping.write_text("lot: Lot\nattributes:\n  - {column: T, attribute: t, untis: '%'}\n")
    with pytest.raises(ParameterError, match=r"parameter 'mapping': .*column mapping file 'm.yaml', key "
                                              r"'attributes.1.untis': unknown key"):
        validate_parameters(specs, {"mapping": str(mapping)})


def test_input_contract_runs_in_validation_with_every_problem(tmp_path):
    from pdkit.params import find_template

    tpl = find_template("stability_shelf_life")
    specs = parse_parameters(tpl)
    data = tmp_path / "stab.csv"
    data.write_text("batch,month,potency_pct\nB1,0,101\nB1,-3,-99\nB1,6,x\n")
    with pytest.raises(ParameterError) as e:
        validate_parameters(specs, {"data": str(data)}, fill_defaults=True, template_dir=tpl.parent)
    assert str(e.value).splitlines() == [
        "parameter 'data': stab.csv: 3 problems with the stability_shelf_life input "
        "(see 'pdkit templates stability_shelf_life')",
        "  stab.csv, row 2, column 'month': got -3, expected a value >= 0 (storage time cannot be negative)",
        "  stab.csv, row 2, column 'potency_pct': got -99, expected a value >= 0 (relative potency cannot be negative)",
        "  stab.csv, row 3, column 'potency_pct': got 'x', expected a number",
    ]


def test_no_contract_for_notebooks_without_a_template_name(tmp_path):
    specs = parse_parameters(nb_with('data: str = "x.csv"  # Table {file: csv}\n'))
    data = tmp_path / "d.csv"
    data.write_text("anything\n1\n")
    assert validate_parameters(specs, {"data": str(data)})["data"] == str(data.resolve())
