"""Input contracts: the table each report template reads, declared in one place.

Each template (``release_evaluation``, ``spec_setting``, ``stability_shelf_life``,
``upstream_yield``, ``downstream_yield``, ``doe_design``, ``doe_analysis``) has a
:class:`Contract`: its columns (name, kind, unit, whether required, whether empty cells
are allowed, physical bounds), the keys that must be unique, and the row rules that
need more than one cell.  Column names that come from a parameter are written
``{param}`` and resolved with the run's parameter values.

``pdkit run`` checks the whole data file against the contract before any kernel
starts (through :func:`pdkit.params.validate_parameters`) and lists **every** problem
(file, row, column, value, expected) at once; the templates read the file with
:func:`load_table`, which applies the same checks and normalisation, so a notebook
run by hand and ``pdkit run`` accept exactly the same files.

Normalisation (never silent coercion): a UTF-8 byte-order mark, CRLF line ends,
outer and non-breaking spaces in headers and in identifier columns are accepted
(:func:`pdkit._tables.read_table`); rows with every cell blank are excluded and
listed in :attr:`LoadedTable.excluded`.  Thousands separators (``1,234``), text in a
numeric cell, ``NaN``/``inf``, empty required cells, repeated keys, unknown units and
physically impossible values are errors.

Physical bounds (decided here)
------------------------------
A value outside its physical bounds is a data error (a typo, a unit mix-up), never a
"pass" or "fail":

* a percentage of a whole (supercoiled, full/empty capsids, aggregates, purity,
  viability, monomer) lies in [0, 100] % by definition;
* a relative potency is a ratio of two positive responses (USP <1032>/<1034>
  parallel-line/curve assays), so it is >= 0 and may exceed 100 %;
* an amount, titer or concentration (vg, cells, mg, EU, ng...) is >= 0;
* pH lies in [0, 14] (aqueous solutions, IUPAC scale);
* a purification step yield of the product above :data:`MAX_STEP_YIELD_PCT` (200 %) is
  impossible: a step does not create product (mass conservation; yield =
  C_out V_out / C_in V_in, domain primer), and a lossless step measured with titer
  assays of 10-20 % intermediate-precision CV reads above 200 % with negligible
  probability; typical step yields are 60-95 % (domain primer: clarification > 90 %,
  affinity 65-80 %, AEX 60-80 %).

A release specification may declare ``bounds: [lo, hi]`` per attribute
(:class:`pdkit.specs.Attribute`); they take precedence over the rules above.

Examples
--------
>>> print(describe_contract("stability_shelf_life").splitlines()[0])
stability_shelf_life: multi-batch stability study, one row per result
>>> import tempfile, os
>>> p = os.path.join(tempfile.mkdtemp(), "stab.csv")
>>> _ = open(p, "w").write("batch,month,potency_pct\\nB1,0,101\\nB1,3,-45\\nB1,x,97\\n")
>>> try:
...     load_table("stability_shelf_life", p, {"time": "month", "response": "potency_pct", "batch": "batch"})
... except InputError as e:
...     print(e)
stab.csv: 2 problems with the stability_shelf_life input (see 'pdkit templates stability_shelf_life')
  stab.csv, row 2, column 'potency_pct': got -45, expected a value >= 0 (relative potency cannot be negative)
  stab.csv, row 3, column 'month': got 'x', expected a number
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import pandas as pd

from pdkit.io.tables import clean_id, plain_column_name, read_table
from pdkit.errors import InputError

__all__ = [
    "Bound",
    "Column",
    "Contract",
    "Problem",
    "NO_VALUE",
    "ContractError",
    "LoadedTable",
    "CONTRACTS",
    "MAX_STEP_YIELD_PCT",
    "MAX_PROBLEMS_SHOWN",
    "physical_bounds",
    "parse_number",
    "check_table",
    "load_table",
    "describe_contract",
    "example_table",
    "format_problems",
]

#: Largest plausible purification step yield of the product, % (see the module docstring).
MAX_STEP_YIELD_PCT = 200.0
#: Problems listed in one message; the rest are counted.
MAX_PROBLEMS_SHOWN = 50

KINDS = ("id", "text", "number", "reading", "unit", "date")
_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
_THOUSANDS = re.compile(r"^[+-]?\d{1,3}([,'\u202f ]\d{3})+(\.\d+)?$")
_CENSORED = re.compile(r"^(<=|>=|<|>|≤|≥)\s*(.*)$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2})?)?$")


# --------------------------------------------------------------------------- bounds
@dataclass(frozen=True)
class Bound:
    """Physically possible values: ``lo <= x <= hi`` (an open end is None), with the reason.

    Examples
    --------
    >>> b = Bound(0.0, 100.0, "a percentage of a whole")
    >>> b.contains(99.0), b.contains(130.0), b.text("%")
    (True, False, 'a value in [0, 100] % (a percentage of a whole)')
    """

    lo: float | None
    hi: float | None
    reason: str = ""

    def contains(self, x: float) -> bool:
        """True when ``x`` lies within the bounds."""
        return (self.lo is None or x >= self.lo) and (self.hi is None or x <= self.hi)

    def text(self, unit: str | None = None) -> str:
        """What a valid value is, for messages."""
        u = f" {unit}" if unit else ""
        if self.lo is not None and self.hi is not None:
            s = f"a value in [{_num(self.lo)}, {_num(self.hi)}]{u}"
        elif self.lo is not None:
            s = f"a value >= {_num(self.lo)}{u}"
        else:
            s = f"a value <= {_num(self.hi)}{u}"
        return s + (f" ({self.reason})" if self.reason else "")


_PERCENT_WORDS = re.compile(r"supercoil|full|empty|aggregat|purity|viab|monomer|hmw|lmw|open_circ|"
                            r"linear_pct|capsid_pct|percent_|_pct_full")
_NONNEG_WORDS = re.compile(r"titer|titre|conc|vcd|tcd|cells|endotoxin|hcp|host|dna|rna|protein|yield|pdna|"
                           r"dcw|od600|osmol|glucose|lactate|glutamine|ammoni|volume|capsid|copies|plasmid|"
                           r"impurit|residual|amount|mass|weight|genome|vg|particle")
_PH = re.compile(r"(^|_)ph($|_)")
POTENCY = Bound(0.0, None, "relative potency cannot be negative")
PERCENT = Bound(0.0, 100.0, "a percentage of a whole")
NONNEGATIVE = Bound(0.0, None, "an amount or concentration cannot be negative")
PH = Bound(0.0, 14.0, "the pH scale of aqueous solutions")


def _is_percent_unit(unit: str | None) -> bool:
    return unit is None or str(unit).strip().lower() in ("%", "percent", "pct", "% (w/w)", "area %", "area%")


def physical_bounds(name: str, unit: str | None = None) -> Bound | None:
    """The physical bounds of an attribute or column called ``name`` measured in ``unit``.

    ``unit`` None means unknown (a wide table without units): then a name that says
    percent (``viability_pct``) takes the percentage rule.  Rules and sources are in the
    module docstring; None when no rule applies.

    Examples
    --------
    >>> physical_bounds("supercoiled", "%").hi, physical_bounds("potency", "%").hi
    (100.0, None)
    >>> physical_bounds("viability", "%").text("%")
    'a value in [0, 100] % (a percentage of a whole)'
    >>> physical_bounds("temperature_c") is None
    True
    """
    n = str(name).strip().casefold().replace(" ", "_").replace("-", "_")
    if "potency" in n:
        return POTENCY
    if _PH.search(n) and (unit is None or str(unit).strip() in ("", "-", "1", "dimensionless", "pH")):
        return PH
    if _PERCENT_WORDS.search(n) or n.endswith(("_pct", "_percent", "%")):
        if _is_percent_unit(unit) and (unit is not None or _PERCENT_WORDS.search(n)
                                       or n.endswith(("_pct", "_percent", "%"))):
            if n.startswith(("do_", "do%")) or n == "do_pct":
                return None
            return PERCENT
    if _NONNEG_WORDS.search(n):
        return NONNEGATIVE
    return None


# --------------------------------------------------------------------------- declarations
@dataclass(frozen=True)
class Column:
    """One column of a contract.

    ``name`` is literal or ``{param}`` (the value of parameter ``param``; a comma list or a
    literal in ``skip`` such as ``all`` selects several or none).  ``kind``: ``id``
    (identifier, trimmed text), ``text``, ``number``, ``reading`` (a number, a censored
    value ``<0.5``/``<LOQ`` or a text such as ``Conforms``), ``unit`` (parsed by
    :func:`pdkit.units.parse_unit`) or ``date`` (ISO ``YYYY-MM-DD``).
    """

    name: str
    kind: str = "number"
    required: bool = True
    nullable: bool = False
    unit: str = ""
    bounds: Bound | None = None
    description: str = ""
    skip: tuple[str, ...] = ()
    choices: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"column {self.name!r}: unknown kind {self.kind!r}")

    @property
    def param(self) -> str | None:
        """The parameter naming this column, if it is written ``{param}``."""
        m = re.fullmatch(r"\{(\w+)\}", self.name)
        return m.group(1) if m else None


@dataclass(frozen=True)
class Contract:
    """The table a template reads: columns, unique keys and row rules (see the module docstring)."""

    template: str
    summary: str
    columns: tuple[Column, ...]
    keys: tuple[str, ...] = ()
    rules: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    example: str = ""
    plain_names: bool = False
    table_suffixes: tuple[str, ...] = ("csv", "tsv", "txt", "xlsx", "xlsm", "xls")


def _c(name: str, kind: str = "number", **kw: Any) -> Column:
    return Column(name, kind, **kw)


_WORKSHEET_BOOKKEEPING = ("run", "std_order", "block", "point_type")

CONTRACTS: dict[str, Contract] = {c.template: c for c in (
    Contract(
        "release_evaluation", "lot release results, one row per lot and attribute (long layout)",
        (
            _c("lot", "id", description="lot number"),
            _c("attribute", "id", description="an attribute name of the specification `spec`"),
            _c("value", "reading", nullable=True, description="number, censored value (<0.5, <LOQ) or text "
               "(Conforms); empty = test not reported"),
            _c("unit", "unit", required=False, nullable=True, description="unit of value, converted to the "
               "specification's"),
            _c("qualifier", "text", required=False, nullable=True, description="'<' or '>' for censored values"),
        ),
        keys=("lot", "attribute"),
        rules=("spec_attributes",),
        notes=("numeric values must lie within the attribute's physical bounds: the specification's "
               "'bounds: [lo, hi]' or the rules of pdkit.contracts (0-100 % for percentages of a whole, "
               ">= 0 for potency and amounts)",),
        example="lot,attribute,value,unit,qualifier\nPD-0001,supercoiled,95.2,%,\n"
                "PD-0001,appearance,\"Clear, colourless solution\",,\n",
    ),
    Contract(
        "spec_setting", "development lots, one row per lot and attribute (long layout)",
        (
            _c("lot", "id", description="lot number, in manufacturing order"),
            _c("attribute", "id", description="attribute name"),
            _c("value", "number", description="the result (censored values cannot enter a tolerance interval)"),
            _c("unit", "unit", nullable=True, description="unit of value"),
            _c("qualifier", "text", required=False, nullable=True, description="must be empty (no censored values)"),
        ),
        keys=("lot", "attribute"),
        rules=("attribute_bounds", "select_attribute", "no_censored"),
        notes=("with parameter attribute set to one name, rows of other attributes are excluded "
               "(listed with their reason)",),
        example="lot,attribute,value,unit\nL01,supercoiled,93.8,%\nL02,supercoiled,94.1,%\nL03,supercoiled,92.9,%\n",
    ),
    Contract(
        "stability_shelf_life", "multi-batch stability study, one row per result",
        (
            _c("{batch}", "id", description="batch (lot) identifier"),
            _c("{time}", "number", bounds=Bound(0.0, None, "storage time cannot be negative"),
               description="storage time"),
            _c("{response}", "number", description="the attribute; physical bounds from its name "
               "(e.g. potency >= 0, *_pct of a whole 0-100)"),
        ),
        keys=(),
        rules=("name_bounds",),
        example="batch,month,potency_pct\nB1,0,101.2\nB1,3,99.0\nB1,6,97.4\nB2,0,100.4\nB2,3,98.6\nB2,6,96.0\n",
    ),
    Contract(
        "upstream_yield", "bioreactor runs, one row per run, time and variable (long layout; netCDF is "
        "not checked here)",
        (
            _c("run", "id", description="run identifier"),
            _c("time", "number", bounds=Bound(0.0, None, "time since inoculation cannot be negative")),
            _c("variable", "id", description="measured variable (vcd, viability, vg_titer, ...)"),
            _c("value", "number", nullable=True, description="the measurement (empty = not sampled)"),
            _c("unit", "unit", description="unit of value"),
            _c("time_unit", "text", choices=("day", "days", "d", "hour", "hours", "h", "hr"),
               description="day or hour (pdkit.upstream.load_runs needs it)"),
            _c("scale", "id", required=False, description="scale label such as '2 L'"),
            _c("date", "date", required=False, nullable=True, description="ISO date YYYY-MM-DD"),
        ),
        keys=("run", "time", "variable"),
        rules=("variable_bounds",),
        example="run,time,time_unit,variable,value,unit,scale\nR1,0,day,vcd,0.5,1e6 cells/mL,2 L\n"
                "R1,0,day,viability,97.1,%,2 L\nR1,3,day,vcd,3.1,1e6 cells/mL,2 L\nR1,3,day,viability,95.0,%,2 L\n",
    ),
    Contract(
        "downstream_yield", "purification step table, one row per step and attribute",
        (
            _c("step", "id", description="step name, in train order"),
            _c("attribute", "id", description="product (e.g. vg) or impurity"),
            _c("volume_unit", "unit"),
            _c("conc_unit", "unit"),
            _c("load_volume", bounds=Bound(0.0, None, "a volume is positive"), description="load volume"),
            _c("load_conc", bounds=NONNEGATIVE),
            _c("pool_volume", bounds=Bound(0.0, None, "a volume is positive")),
            _c("pool_conc", bounds=NONNEGATIVE),
            _c("load_qualifier", "text", required=False, nullable=True),
            _c("pool_qualifier", "text", required=False, nullable=True),
            _c("flowthrough_volume", required=False, nullable=True, bounds=NONNEGATIVE),
            _c("flowthrough_conc", required=False, nullable=True, bounds=NONNEGATIVE),
            _c("wash_volume", required=False, nullable=True, bounds=NONNEGATIVE),
            _c("wash_conc", required=False, nullable=True, bounds=NONNEGATIVE),
            _c("strip_volume", required=False, nullable=True, bounds=NONNEGATIVE),
            _c("strip_conc", required=False, nullable=True, bounds=NONNEGATIVE),
            _c("step_order", required=False),
        ),
        keys=("step", "attribute"),
        rules=("step_yield",),
        notes=(f"the product's step yield (pool / load amount, parameter product) must not exceed "
               f"{MAX_STEP_YIELD_PCT:g} % (mass conservation, see pdkit.contracts)",),
        example="step,attribute,volume_unit,conc_unit,load_volume,load_conc,pool_volume,pool_conc\n"
                "affinity,vg,L,vg/mL,10,1e11,1,7e11\n",
    ),
    Contract(
        "doe_design", "factor definitions, one row per factor (a YAML file is not checked here)",
        (
            _c("name", "id", description="factor name"),
            _c("low", nullable=True, description="low setting (continuous factors)"),
            _c("high", nullable=True, description="high setting, above low"),
            _c("units", "text", required=False, nullable=True),
            _c("levels", "text", required=False, nullable=True, description="';'-separated levels of a "
               "categorical factor"),
        ),
        keys=("name",),
        rules=("low_high",),
        example="name,low,high,units\ntemperature_c,30,42,degC\nfeed_rate_g_l_h,2,6,g/(L h)\n",
    ),
    Contract(
        "doe_analysis", "DoE results, one row per run (the doe_design worksheet as filled in)",
        (
            _c("run", "id", required=False, description="run number"),
            _c("{factors}", "text", skip=("auto",), description="factor settings: numbers (continuous) or "
               "text levels (categorical, at least 2)"),
            _c("{response}", "number", skip=("all",), description="responses; physical bounds from the name"),
        ),
        keys=("run",),
        rules=("name_bounds", "numeric_columns", "factor_columns"),
        notes=("a factor column (parameter factors) is continuous when its cells are numbers (every cell then "
               "must be one) and categorical when they are text; either way it must take at least two "
               "different settings",),
        plain_names=True,
        example="run,temp,ph,titer\n1,30,6.8,1.2\n2,37,6.8,2.3\n3,30,7.2,1.5\n4,37,7.2,2.9\n5,33.5,7.0,2.0\n",
    ),
)}


# --------------------------------------------------------------------------- problems
#: ``Problem.value`` of a problem without an offending value (its message then has no "got ...").
NO_VALUE: Any = object()


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input table.

    Examples
    --------
    >>> str(Problem("r.csv", 3, "value", "1,234", "a number"))
    "r.csv, row 3, column 'value': got '1,234', expected a number"
    """

    file: str
    row: int | str | None
    column: str | None
    value: Any
    expected: str
    text: str = ""  # a complete message from a domain validator (replaces the generic form)

    def __str__(self) -> str:
        if self.text:
            return self.text
        where = [self.file]
        if self.row is not None:
            where.append(f"row {self.row}" if isinstance(self.row, int) else str(self.row))
        if self.column is not None:
            where.append(f"column '{self.column}'")
        got = "" if self.value is NO_VALUE else f"got {_shown(self.value)}, "
        return f"{', '.join(where)}: {got}expected {self.expected}"



def _shown(v: Any) -> str:
    if isinstance(v, str):
        text = repr(v)
    elif isinstance(v, float):
        text = _num(v)
    else:
        text = str(v)
    return text if len(text) <= 60 else text[:57] + "..."


def _num(x: float) -> str:
    if isinstance(x, float) and x.is_integer() and abs(x) < 1e15:
        return str(int(x))
    return f"{x:g}"


def format_problems(problems: list[Problem], source: str, template: str | None = None,
                    limit: int = MAX_PROBLEMS_SHOWN) -> str:
    """One summary line, then one indented line per problem (at most ``limit``, then a count).

    Examples
    --------
    >>> print(format_problems([Problem("a.csv", 1, "x", "y", "a number")], "a.csv"))
    a.csv: 1 problem with the input
      a.csv, row 1, column 'x': got 'y', expected a number
    """
    n = len(problems)
    what = f"the {template} input (see 'pdkit templates {template}')" if template else "the input"
    lines = [f"{source}: {n} problem{'s' if n != 1 else ''} with {what}"]
    lines += [f"  {p}" for p in problems[:limit]]
    if n > limit:
        lines.append(f"  ... and {n - limit} more problem{'s' if n - limit != 1 else ''}")
    return "\n".join(lines)


class ContractError(InputError):
    """An input table breaks its template's contract; ``problems`` lists every problem."""

    def __init__(self, problems: list[Problem], source: str, template: str | None = None):
        self.problems = list(problems)
        self.source = source
        self.template = template
        super().__init__(format_problems(self.problems, source, template))


@dataclass(frozen=True, eq=False)
class LoadedTable:
    """The result of :func:`load_table`.

    Attributes
    ----------
    table : DataFrame
        The normalised table in the template's layout (identifiers trimmed, numeric columns
        as float), without the excluded rows.
    excluded : DataFrame
        Excluded rows and cells: ``row`` (1-based data row of the source), ``column`` (the
        source column of an excluded cell, None for a whole row), ``reason`` and ``source``.
    source : str
        The file name.
    rows : tuple of int
        The source row of each row of ``table``.
    """

    table: pd.DataFrame
    excluded: pd.DataFrame
    source: str
    rows: tuple[int, ...] = ()


# --------------------------------------------------------------------------- values
def parse_number(value: Any, thousands: str | None = None) -> tuple[float | None, str | None]:
    """``(number, None)`` for a valid cell, ``(None, None)`` for an empty one, or ``(None, expected)``.

    Numbers are never guessed: ``1,234`` is an error unless ``thousands=","`` is declared.

    Examples
    --------
    >>> parse_number(" 1.5e3 "), parse_number("")
    ((1500.0, None), (None, None))
    >>> print(parse_number("1,234")[1])
    a number without thousands separators (write 1234, or declare thousands: ',' in a column mapping)
    >>> parse_number("1,234", thousands=","), parse_number("inf")[1]
    ((1234.0, None), 'a finite number')
    """
    if value is None or value is pd.NA:
        return None, None
    if isinstance(value, bool):
        return None, "a number"
    if isinstance(value, (int, float, np.integer, np.floating)):
        f = float(value)
        if math.isnan(f):
            return None, None
        if not math.isfinite(f):
            return None, "a finite number"
        return f, None
    text = str(value).replace("\xa0", " ").replace("\u202f", " ").strip()
    if not text:
        return None, None
    if thousands:
        if re.fullmatch(r"[+-]?\d{1,3}(" + re.escape(thousands) + r"\d{3})+(\.\d+)?([eE][+-]?\d+)?", text):
            text = text.replace(thousands, "")
    if _NUMBER.match(text):
        f = float(text)
        return (f, None) if math.isfinite(f) else (None, "a finite number")
    low = text.lower()
    if low in ("nan", "inf", "+inf", "-inf", "infinity", "-infinity", "#num!", "#div/0!", "#value!"):
        return None, "a finite number"
    if _THOUSANDS.match(text):
        plain = re.sub(r"[,'\u202f ]", "", text)
        return None, (f"a number without thousands separators (write {plain}, or declare thousands: "
                      f"'{re.search(r'[^0-9+-]', text).group(0)}' in a column mapping)")
    if re.fullmatch(r"[+-]?\d+,\d+", text):
        return None, "a number with '.' as the decimal mark"
    return None, "a number"


def _blank(v: Any) -> bool:
    try:
        if v is None or pd.isna(v):
            return True
    except (TypeError, ValueError):
        pass
    return isinstance(v, str) and not v.replace("\xa0", " ").strip()


def _reading_number(v: Any) -> float | None:
    """Number in a release reading (plain or censored), else None."""
    if isinstance(v, str):
        m = _CENSORED.match(v.strip())
        if m:
            v = m.group(2)
    f, _ = parse_number(v)
    return f


# --------------------------------------------------------------------------- resolution
def _items(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return [str(v).strip() for v in value if str(v).strip()]
    return [v.strip() for v in str(value).split(",") if v.strip()]


def _param_values(parameters: Any) -> dict[str, Any]:
    if parameters is None:
        return {}
    if hasattr(parameters, "values") and isinstance(getattr(parameters, "values"), Mapping):
        return dict(parameters.values)  # pdkit.params.Parameters
    return dict(parameters)


def _resolve_columns(contract: Contract, params: Mapping[str, Any]) -> list[Column]:
    out: list[Column] = []
    for col in contract.columns:
        p = col.param
        if p is None:
            out.append(col)
            continue
        value = params.get(p)
        if value is None:
            continue
        names = _items(value)
        if len(names) == 1 and names[0].lower() in col.skip:
            continue
        for n in names:
            name = plain_column_name(n)[0] if contract.plain_names else n
            out.append(Column(str(name), col.kind, col.required, col.nullable, col.unit, col.bounds,
                              col.description or f"parameter {p}", col.skip, col.choices))
    return out


def _contract(template: str) -> Contract:
    name = Path(str(template)).stem if str(template).endswith((".ipynb", ".py", ".md")) else str(template)
    if name not in CONTRACTS:
        raise InputError(f"no input contract for template {template!r} (templates: {', '.join(CONTRACTS)})")
    return CONTRACTS[name]


# --------------------------------------------------------------------------- checking
def _check(contract: Contract, df: pd.DataFrame, src: str, params: Mapping[str, Any],
           rows: list[int]) -> tuple[pd.DataFrame, list[Problem], list[tuple]]:
    """Check ``df`` (already read) against ``contract``; returns (normalised, problems, excluded)."""
    problems: list[Problem] = []
    excluded: list[tuple[int, str | None, str]] = []
    df = df.copy()
    if contract.plain_names:
        df.columns = [plain_column_name(c)[0] for c in df.columns]
    columns = _resolve_columns(contract, params)
    present = [str(c) for c in df.columns]
    missing = [c.name for c in columns if c.required and c.name not in present]
    if missing:
        names = ", ".join(f"'{m}'" for m in missing)
        hint = "" if params.get("__mapped__") else "; a lab export is read through a column mapping (pdkit.mapping)"
        problems.append(Problem(src, None, None, NO_VALUE, "", text=(
            f"{src}: missing column{'s' if len(missing) > 1 else ''} {names} (columns present: "
            f"{', '.join(present)}){hint}")))
    # fully blank rows are excluded, not dropped silently
    blank_rows = df.apply(lambda r: all(_blank(v) for v in r), axis=1).to_numpy() if len(df) else np.array([], bool)
    for i in np.flatnonzero(blank_rows):
        excluded.append((rows[i], None, "blank row"))
    keep = ~blank_rows
    df = df.loc[keep].reset_index(drop=True)
    rows = [r for r, k in zip(rows, keep) if k]

    # select one attribute (spec_setting)
    if "select_attribute" in contract.rules and "attribute" in df.columns:
        wanted = params.get("attribute")
        if wanted is not None and str(wanted).strip().lower() != "all":
            att = df["attribute"].map(clean_id)
            sel = (att == str(wanted).strip()).fillna(False).to_numpy(dtype=bool)
            for i in np.flatnonzero(~sel):
                excluded.append((rows[i], None, f"attribute {att.iloc[i]!r} not selected (parameter attribute = "
                                          f"{str(wanted).strip()!r})"))
            df = df.loc[sel].reset_index(drop=True)
            rows = [r for r, k in zip(rows, sel) if k]

    thousands = params.get("__thousands__")
    for col in columns:
        if col.name not in df.columns:
            continue
        series = df[col.name]
        if col.kind == "id":
            cleaned = series.map(clean_id).astype(object)
            df[col.name] = cleaned
            if not col.nullable:
                for i in np.flatnonzero(cleaned.isna().to_numpy()):
                    problems.append(Problem(src, rows[i], col.name, "", f"a {col.description or 'name'} (the "
                                            "cell is empty)"))
        elif col.kind in ("text", "unit", "reading", "date"):
            vals = series.tolist()
            if not col.nullable:
                for i, v in enumerate(vals):
                    if _blank(v):
                        problems.append(Problem(src, rows[i], col.name, "", f"a value (the cell is empty)"))
            if col.kind == "unit":
                problems += _check_units(vals, col.name, src, rows)
            elif col.kind == "reading":
                for i, v in enumerate(vals):
                    if isinstance(v, str):
                        m = _CENSORED.match(v.strip())
                        _, err = parse_number(m.group(2) if m else v, thousands)
                        if err is not None and err.startswith(("a number without", "a finite")):
                            problems.append(Problem(src, rows[i], col.name, v, err))
                    elif isinstance(v, float) and math.isinf(v):
                        problems.append(Problem(src, rows[i], col.name, v, "a finite number"))
            elif col.kind == "date":
                for i, v in enumerate(vals):
                    if not _blank(v) and not isinstance(v, (pd.Timestamp,)) and not _ISO_DATE.match(str(v).strip()):
                        problems.append(Problem(src, rows[i], col.name, v, "a date written YYYY-MM-DD (or give "
                                                "the format in a column mapping)"))
            elif col.kind == "text":
                df[col.name] = series.map(lambda v: v.replace("\xa0", " ").strip() if isinstance(v, str) else v)
                if col.choices:
                    allowed = {c.casefold() for c in col.choices}
                    for i, v in enumerate(df[col.name].tolist()):
                        if not _blank(v) and str(v).casefold() not in allowed:
                            problems.append(Problem(src, rows[i], col.name, v, "one of " + ", ".join(col.choices)))
        else:  # number
            numbers = np.full(len(series), np.nan)
            for i, v in enumerate(series.tolist()):
                f, err = parse_number(v, thousands)
                if err is not None:
                    problems.append(Problem(src, rows[i], col.name, v, err))
                elif f is None:
                    if not col.nullable:
                        problems.append(Problem(src, rows[i], col.name, "", "a number (the cell is empty)"))
                else:
                    numbers[i] = f
                    bound = col.bounds
                    if bound is None and "name_bounds" in contract.rules:
                        bound = physical_bounds(col.name, None)
                    if bound is not None and not bound.contains(f):
                        problems.append(Problem(src, rows[i], col.name, f, bound.text()))
            df[col.name] = numbers  # cells in error become NaN; the table is only used when there are none
    if "numeric_columns" in contract.rules:
        problems += _check_numeric_columns(df, src, rows, {c.name for c in columns}, contract.rules)
    if "factor_columns" in contract.rules:
        problems += _check_factor_columns(df, src, rows, [c.name for c in columns if c.param == "factors"
                                                          or c.description.startswith("factor settings")])
    if contract.keys:
        keys = [k for k in contract.keys if k in df.columns]
        if len(keys) == len(contract.keys):
            problems += _check_keys(df, keys, src, rows)
    problems += _row_rules(contract, df, src, params, rows)
    df.attrs["source"] = src
    return df, problems, excluded


def _check_units(vals: list, column: str, src: str, rows: list[int]) -> list[Problem]:
    from pdkit.units import parse_unit

    out = []
    seen: dict[str, str | None] = {}
    for i, v in enumerate(vals):
        if _blank(v):
            continue
        u = str(v).replace("\xa0", " ").strip()
        if u not in seen:
            try:
                parse_unit(u, "unit")
                seen[u] = None
            except InputError:
                seen[u] = "a unit pdkit knows (e.g. vg/mL, mg/mL, %, EU/mL, cells/mL, L)"
        if seen[u] is not None:
            out.append(Problem(src, rows[i], column, v, seen[u]))
    return out


def _check_keys(df: pd.DataFrame, keys: list[str], src: str, rows: list[int]) -> list[Problem]:
    sub = df[keys].astype(object).where(df[keys].notna(), None)
    usable = sub.notna().all(axis=1).to_numpy()
    dup = sub.duplicated(keep=False).to_numpy() & usable
    out = []
    if not dup.any():
        return out
    groups: dict[tuple, list[int]] = {}
    for i in np.flatnonzero(dup):
        groups.setdefault(tuple(sub.iloc[i]), []).append(rows[i])
    for key, rs in groups.items():
        out.append(Problem(src, "rows " + ", ".join(str(r) for r in rs), "/".join(keys),
                           "/".join(str(k) for k in key), "each " + "/".join(keys) + " once"))
    return out


def _check_numeric_columns(df: pd.DataFrame, src: str, rows: list[int], declared: set[str],
                           rules: tuple[str, ...]) -> list[Problem]:
    """Columns that are mostly numbers (responses, factors) must be numbers throughout (doe_analysis)."""
    out = []
    for col in df.columns:
        if col in declared or col in _WORKSHEET_BOOKKEEPING:
            continue
        vals = df[col].tolist()
        parsed = [parse_number(v) for v in vals]
        n_num = sum(1 for f, e in parsed if f is not None)
        n_filled = sum(1 for v in vals if not _blank(v))
        if n_filled == 0 or n_num * 2 < n_filled:
            continue
        numbers = np.full(len(vals), np.nan)
        bound = physical_bounds(str(col), None) if "name_bounds" in rules else None
        for i, (f, err) in enumerate(parsed):
            if err is not None:
                out.append(Problem(src, rows[i], str(col), vals[i], err))
            elif f is None:
                out.append(Problem(src, rows[i], str(col), "", "a number (the cell is empty)"))
            else:
                numbers[i] = f
                if bound is not None and not bound.contains(f):
                    out.append(Problem(src, rows[i], str(col), f, bound.text()))
        df[col] = numbers
    return out


def _check_factor_columns(df: pd.DataFrame, src: str, rows: list[int], names: list[str]) -> list[Problem]:
    """Named DoE factor columns (doe_analysis): numbers throughout (continuous) or text levels
    (categorical), never empty, and at least two different settings."""
    out = []
    for col in names:
        if col not in df.columns:
            continue
        vals = df[col].tolist()
        parsed = [parse_number(v) for v in vals]
        n_num = sum(1 for f, e in parsed if f is not None)
        n_filled = sum(1 for v in vals if not _blank(v))
        if n_filled and n_num * 2 >= n_filled:  # continuous: every cell a number
            numbers = np.full(len(vals), np.nan)
            for i, (f, err) in enumerate(parsed):
                if err is not None:
                    out.append(Problem(src, rows[i], col, vals[i], err + " (a continuous factor; write a "
                                       "categorical factor's levels as text in every row)"))
                elif f is not None:
                    numbers[i] = f
            df[col] = numbers
            distinct = {float(x) for x in numbers if np.isfinite(x)}
        else:
            distinct = {str(v).strip() for v in vals if not _blank(v)}
        if len(distinct) == 1:
            out.append(Problem(src, None, col, NO_VALUE, "", text=(
                f"{src}, column '{col}': the factor is held at {next(iter(distinct))!r} in every run; a factor needs "
                "at least two different settings (remove it from the parameter factors)")))
    return out


def _attr_bound(spec_attr: Any, name: str, unit: str | None) -> tuple[Bound | None, str | None]:
    """(bound, unit it applies in) for a long-table row: the specification's bounds, else the rules."""
    if spec_attr is not None and getattr(spec_attr, "bounds", None) is not None:
        lo, hi = spec_attr.bounds
        b = Bound(None if lo is None else float(lo), None if hi is None else float(hi),
                  "bounds in the specification")
        return b, spec_attr.unit
    return physical_bounds(name, unit if unit is not None else ""), unit


def _to_unit(x: float, unit: str | None, target: str | None) -> float | None:
    from pdkit.units import convert, normalize_unit

    if target is None or unit is None or normalize_unit(unit) == normalize_unit(target):
        return x
    try:
        return float(convert(x, unit, target or "dimensionless", "value"))
    except (InputError, Exception):
        return None


def _row_rules(contract: Contract, df: pd.DataFrame, src: str, params: Mapping[str, Any],
               rows: list[int]) -> list[Problem]:
    out: list[Problem] = []
    rules = contract.rules
    n = len(df)
    cells = {c: df[c].tolist() for c in df.columns}  # plain lists: per-cell .iloc is slow on 40,000 rows
    unit_of = (lambda i: None if _blank(cells["unit"][i]) else str(cells["unit"][i]).strip()) \
        if "unit" in df.columns else (lambda i: None)
    if "spec_attributes" in rules and {"attribute", "value"} <= set(df.columns):
        spec = params.get("__spec__")
        by_name = {a.name.casefold(): a for a in spec.attributes} if spec is not None else {}
        unit_problem: dict[tuple[str, str], str | None] = {}
        for i in range(n):
            att, v = cells["attribute"][i], cells["value"][i]
            if _blank(att):
                continue
            a = by_name.get(str(att).casefold()) if spec is not None else None
            if spec is not None and a is None:
                out.append(Problem(src, rows[i], "attribute", att, f"an attribute of specification "
                                   f"{spec.source or spec.product!r} ({', '.join(spec.names)})"))
                continue
            f = _reading_number(v)
            if f is None:
                continue
            u = unit_of(i)
            if a is not None and a.is_numeric or a is not None and a.criterion == "report" and a.unit:
                if u is not None and (str(att).casefold(), u) not in unit_problem:
                    from pdkit.units import convert, normalize_unit
                    msg = None
                    if normalize_unit(u) != normalize_unit(a.unit):
                        try:
                            convert(1.0, u, a.unit or "dimensionless", "unit")
                        except InputError:
                            target = a.unit or "a dimensionless number"
                            msg = f"a unit convertible to {target!r} for attribute {a.name!r}"
                    unit_problem[(str(att).casefold(), u)] = msg
                if u is not None and unit_problem.get((str(att).casefold(), u)):
                    out.append(Problem(src, rows[i], "unit", u, unit_problem[(str(att).casefold(), u)]))
                    continue
            bound, bunit = _attr_bound(a, str(att), u if a is None or not getattr(a, "bounds", None) else None)
            if bound is None:
                continue
            x = f if not (a is not None and getattr(a, "bounds", None)) else _to_unit(f, u, a.unit)
            if x is not None and not bound.contains(x):
                out.append(Problem(src, rows[i], "value", v, bound.text(bunit if bunit else None)))
    if "attribute_bounds" in rules and {"attribute", "value"} <= set(df.columns):
        spec = params.get("__spec__")
        by_name = {a.name.casefold(): a for a in spec.attributes} if spec is not None else {}
        for i in range(n):
            att, v = cells["attribute"][i], cells["value"][i]
            f = v if isinstance(v, float) and math.isfinite(v) else None
            if _blank(att) or f is None:
                continue
            a = by_name.get(str(att).casefold())
            u = unit_of(i)
            bound, bunit = _attr_bound(a, str(att), u)
            x = f if not (a is not None and getattr(a, "bounds", None)) else _to_unit(f, u, a.unit)
            if bound is not None and x is not None and not bound.contains(x):
                out.append(Problem(src, rows[i], "value", v, bound.text(bunit)))
    if "no_censored" in rules and "qualifier" in df.columns:
        for i in range(n):
            q = cells["qualifier"][i]
            if not _blank(q):
                out.append(Problem(src, rows[i], "qualifier", q, "no qualifier: a censored result cannot enter "
                                   "a tolerance interval (exclude it in the mapping or choose another attribute)"))
    if "variable_bounds" in rules and {"variable", "value"} <= set(df.columns):
        for i in range(n):
            var, v = cells["variable"][i], cells["value"][i]
            if _blank(var) or not isinstance(v, float) or not math.isfinite(v):
                continue
            u = unit_of(i)
            bound = physical_bounds(str(var), u if u is not None else "")
            if bound is not None and not bound.contains(v):
                out.append(Problem(src, rows[i], "value", v, bound.text(u) + f" for variable {var!r}"))
    step_cols = {"attribute", "load_volume", "load_conc", "pool_volume", "pool_conc"}
    if "step_yield" in rules and step_cols <= set(df.columns):
        product = params.get("product")
        for i in range(n):
            if product is None or str(cells["attribute"][i]) != str(product):
                continue
            vals = [cells[c][i] for c in ("load_volume", "load_conc", "pool_volume", "pool_conc")]
            if not all(isinstance(x, float) and math.isfinite(x) for x in vals):
                continue
            lv, lc, pv, pc = vals
            cens = any(str(cells[c][i]).strip() == "<" for c in ("load_qualifier", "pool_qualifier")
                       if c in df.columns)
            if lv * lc <= 0 or cens:
                continue
            y = 100.0 * pv * pc / (lv * lc)
            if y > MAX_STEP_YIELD_PCT:
                out.append(Problem(src, rows[i], "pool_conc", pc,
                                   f"a step yield of {product!r} <= {MAX_STEP_YIELD_PCT:g} % (pool amount / "
                                   f"load amount is {y:,.0f} %; a step cannot create product: check the "
                                   "volumes, concentrations and units)"))
    if "low_high" in rules and {"low", "high"} <= set(df.columns):
        has_levels = "levels" in df.columns
        for i in range(n):
            lo, hi = cells["low"][i], cells["high"][i]
            categorical = has_levels and not _blank(cells["levels"][i])
            if categorical:
                continue
            for col, x in (("low", lo), ("high", hi)):
                if _blank(x):
                    out.append(Problem(src, rows[i], col, "", "a number for a continuous factor (or levels "
                                       "for a categorical one)"))
            if isinstance(lo, float) and isinstance(hi, float) and math.isfinite(lo) and math.isfinite(hi) \
                    and not lo < hi:
                out.append(Problem(src, rows[i], "high", hi, f"a value above low ({_num(lo)})"))
    return out


def _domain_check(contract: Contract, df: pd.DataFrame, src: str, params: Mapping[str, Any]) -> list[Problem]:
    """After the contract passes, the domain validator's first complaint (catches what no column rule covers).

    Warnings (e.g. shelf-life extrapolation) belong to the report, not to input validation: silenced here.
    """
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return _domain_check_quiet(contract, df, src, params)


def _domain_check_quiet(contract: Contract, df: pd.DataFrame, src: str, params: Mapping[str, Any]) -> list[Problem]:
    try:
        if contract.template == "release_evaluation" and params.get("__spec__") is not None:
            from pdkit.quality.specs import evaluate_lots

            lots = params.get("lots")
            wanted = None if lots is None or str(lots).strip().lower() == "all" else _items(lots)
            evaluate_lots(df, params["__spec__"], lots=wanted)
        elif contract.template == "stability_shelf_life" and all(params.get(k) for k in ("time", "response", "batch")):
            from pdkit.quality.stability import shelf_life

            shelf_life(df, params["time"], params["response"], params["batch"], lower=params.get("lower"),
                       upper=params.get("upper"), alpha=params.get("alpha", 0.05),
                       pool_alpha=params.get("pool_alpha", 0.25),
                       dids_method=params.get("dids_method", "individual"))
        elif contract.template == "downstream_yield":
            from pdkit.process.downstream import step_amounts

            step_amounts(df, src)
        # doe_design: the design built from the factors and the other parameters is checked by
        # pdkit.reports.params (its messages name those parameters, not the data file)
    except InputError as exc:
        text = str(exc)
        return [Problem(src, None, None, NO_VALUE, "valid input", text=text if src in text else f"{src}: {text}")]
    return []


# --------------------------------------------------------------------------- entry points
def _prepare_params(template: str, parameters: Any) -> dict[str, Any]:
    params = _param_values(parameters)
    if "__spec__" not in params and params.get("spec") is not None and \
            _contract(template).template in ("release_evaluation", "spec_setting"):
        from pdkit.quality.specs import Specification, load_spec

        spec = params["spec"]
        params["__spec__"] = spec if isinstance(spec, Specification) else load_spec(spec)
    return params


def _read(contract: Contract, path: str | Path, params: Mapping[str, Any], mapping: Any
          ) -> tuple[pd.DataFrame, list[int], list[tuple], list[Problem], str]:
    """Read the file (through a column mapping when given): (table, source rows, excluded, problems, source)."""
    p = Path(path)
    ids = [c.name for c in _resolve_columns(contract, params) if c.kind == "id"]
    if mapping is not None:
        from pdkit.io.mapping import apply_mapping

        mapped = apply_mapping(p, mapping)
        df = mapped.table.copy()
        rows = [int(r) for r in df.pop("row")] if "row" in df.columns else list(range(1, len(df) + 1))
        excluded = [(int(r), c, str(s)) for r, c, s in
                    zip(mapped.excluded["row"], mapped.excluded["column"], mapped.excluded["reason"])]
        return df, rows, excluded, list(mapped.problems), p.name
    df = read_table(p, what="data", id_columns=ids)
    return df, list(range(1, len(df) + 1)), [], [], p.name


def _problem_order(p: Problem) -> tuple[int, int, int]:
    """File-level problems first, then by row; a problem spanning rows after the single-row ones."""
    if p.row is None:
        return (0, 0, 0)
    if isinstance(p.row, int):
        return (1, p.row, 0)
    m = re.search(r"\d+", str(p.row))
    return (1, int(m.group(0)) if m else 0, 1)


def check_table(template: str, path: str | Path, parameters: Mapping[str, Any] | None = None,
                mapping: Any = None) -> tuple[LoadedTable, list[Problem]]:
    """Read ``path`` and check it against ``template``'s contract, collecting every problem.

    Returns the loaded table (normalised as far as possible) and the list of problems
    (empty when the file is valid).  File-level failures (not found, not a table) raise
    :class:`~pdkit.errors.InputError`.  See :func:`load_table` for the parameters.

    Examples
    --------
    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "f.csv")
    >>> _ = open(p, "w").write("name,low,high\\ntemp,42,30\\n")
    >>> print(check_table("doe_design", p)[1][0])
    f.csv, row 1, column 'high': got 30, expected a value above low (42)
    """
    contract = _contract(template)
    params = _prepare_params(contract.template, parameters)
    if mapping is None and params.get("mapping") is not None:
        mapping = params["mapping"]
    df, rows, excluded, problems, src = _read(contract, path, params, mapping)
    if mapping is not None:
        params = dict(params)
        params["__thousands__"] = None  # the mapping already applied its own separator rule
        params["__mapped__"] = True
    table, more, excl = _check(contract, df, src, params, rows)
    problems = problems + more
    excluded = excluded + excl
    problems.sort(key=_problem_order)
    if not problems:
        problems += _domain_check(contract, table, src, params)
    dropped = {e[0] for e in excl}
    kept_rows = tuple(r for r in rows if r not in dropped)
    excluded = sorted(excluded, key=lambda e: (e[0], str(e[1] or "")))
    ex = pd.DataFrame({"row": pd.Series([e[0] for e in excluded], dtype=int),
                       "column": pd.Series([None if _blank(e[1]) else e[1] for e in excluded], dtype=object),
                       "reason": pd.Series([e[2] for e in excluded], dtype=object)})
    ex["source"] = src
    return LoadedTable(table=table, excluded=ex, source=src, rows=kept_rows), problems


def load_table(template: str, path: str | Path, parameters: Mapping[str, Any] | None = None,
               mapping: Any = None) -> LoadedTable:
    """Read a template's data file the way ``pdkit run`` checks it.

    Parameters
    ----------
    template : str
        Template name (``release_evaluation``, ...).
    path : str or Path
        The CSV/Excel file.  Never modified.
    parameters : mapping or pdkit.params.Parameters
        The run's parameter values (column names such as ``response``, ``product``, ``spec``).
    mapping : path, pdkit.mapping.ColumnMapping or None
        A column mapping for a lab export (default: parameter ``mapping`` when set).

    Returns
    -------
    LoadedTable
        ``table`` (normalised), ``excluded`` (``row``, ``reason``, ``source``) and ``source``.

    Raises
    ------
    ContractError
        (an :class:`~pdkit.errors.InputError`) listing every problem, one per line.

    Examples
    --------
    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "lots.csv")
    >>> _ = open(p, "w", encoding="utf-8-sig").write("lot ,attribute,value,unit\\n L1 ,supercoiled,93.5,%\\n,,,\\n"
    ...                                              "L2,supercoiled,94.0,%\\nL3,supercoiled,92.8,%\\n")
    >>> t = load_table("spec_setting", p, {"attribute": "all", "spec": None})
    >>> t.table["lot"].tolist(), t.excluded[["row", "reason"]].values.tolist()
    (['L1', 'L2', 'L3'], [[2, 'blank row']])
    """
    contract = _contract(template)
    loaded, problems = check_table(template, path, parameters, mapping)
    if problems:
        raise ContractError(problems, loaded.source, contract.template)
    return loaded


def describe_contract(template: str) -> str:
    """A human description of ``template``'s input table, for ``pdkit templates NAME``.

    Examples
    --------
    >>> text = describe_contract("downstream_yield")
    >>> "load_volume" in text and "200 %" in text
    True
    """
    c = _contract(template)
    lines = [f"{c.template}: {c.summary}", "columns:"]
    width = max(len(col.name) for col in c.columns)
    for col in c.columns:
        flags = ["required" if col.required else "optional"]
        if col.nullable:
            flags.append("empty allowed")
        kind = {"id": "identifier (trimmed text)", "text": "text", "number": "number", "unit": "unit",
                "reading": "number, censored value or text", "date": "date YYYY-MM-DD"}[col.kind]
        extra = f"; {col.bounds.text()}" if col.bounds is not None else ""
        extra += f"; one of {', '.join(col.choices)}" if col.choices else ""
        param = f" (the column named by parameter '{col.param}')" if col.param else ""
        desc = f" - {col.description}" if col.description else ""
        lines.append(f"  {col.name:<{width}}  {kind}, {', '.join(flags)}{extra}{param}{desc}")
    if c.keys:
        lines.append(f"unique: each {'/'.join(c.keys)} once")
    for note in c.notes:
        lines.append(f"note: {note}")
    lines.append("normalised on read: UTF-8 BOM, CRLF, spaces around headers and identifiers; blank rows "
                 "are excluded and listed; thousands separators, text in numbers, NaN/inf and empty required "
                 "cells are errors; a lab export is read through a column mapping (pdkit.mapping)")
    return "\n".join(lines)


def example_table(template: str) -> str:
    """A minimal valid CSV text for ``template`` (with its default parameters).

    Examples
    --------
    >>> print(example_table("doe_design"), end="")
    name,low,high,units
    temperature_c,30,42,degC
    feed_rate_g_l_h,2,6,g/(L h)
    """
    return _contract(template).example
