"""Release specifications as data, and evaluation of lot results against them.

A specification is a YAML file validated with pydantic (:func:`load_spec`)::

    product: pDNA-001 plasmid DNA drug substance
    version: "2.0"
    effective_date: 2025-01-15
    attributes:
      - name: supercoiled
        method: AEX-HPLC
        unit: "%"
        criterion: ">="        # >=, <=, range, conforms, report
        limit: 90.0            # reported to 1 decimal place, as the limit is written
      - name: a260_a280
        method: UV absorbance
        criterion: range
        lower: 1.75
        upper: 1.85
      - name: endotoxin
        method: LAL kinetic chromogenic (USP <85>)
        unit: EU/mg
        criterion: "<="
        limit: 10
        loq: 0.5               # numeric results below 0.5 are reported as "< 0.5"
      - name: appearance
        method: Visual
        criterion: conforms
        expected: Clear, colourless solution
      - name: concentration
        method: UV A260
        unit: mg/mL
        criterion: report
        decimals: 2

Per attribute: ``name``, ``method``, ``unit`` (empty for dimensionless results
such as pH), ``criterion`` and, by criterion, ``limit`` (``>=``, ``<=``),
``lower`` and ``upper`` (``range``) or ``expected`` (``conforms``: one text or a
list of accepted texts).  Optional: ``decimals``, ``significant_figures``,
``loq``, ``note`` and ``bounds``.

``bounds: [lo, hi]`` (either end may be ``null``) are the *physically possible* values
of a result in the attribute's unit, e.g. ``[0, 100]`` for a percentage of a whole
(supercoiled, full capsids) or ``[0, null]`` for a potency or a titer.  A result
outside them is not a failing lot but a data error (a typo, a wrong unit), so
:func:`evaluate_lots` and ``pdkit run`` reject it as invalid input instead of printing
"Pass" or "Fail".  Limits must lie within the bounds.

Reporting precision (decided here, after USP General Notices 7.20)
-------------------------------------------------------------------
USP General Notices 7.10/7.20: acceptance criteria "are considered significant to
the last digit shown" and results are "rounded off to the number of decimal
places that is in agreement with the limit expression", considering one digit
beyond the last place: below 5 it is dropped, 5 or more increases the preceding
digit by one (round half up; :mod:`decimal`, never Python's round-half-even).
pdkit therefore works in **decimal places** and, unless told otherwise, takes
them from the limit *as written in the YAML file* (``98.0`` -> 1 place,
``1.75`` -> 2, ``10`` -> 0, ``1.0e13`` -> a rounding step of 1e12, i.e.
``decimals = -12``); for a range the finer of the two limits wins.  ``decimals``
overrides this (it may be negative); ``significant_figures`` instead rounds each
result to that many significant figures (Ph. Eur. 1.2 wording), useful for
``report`` attributes that span orders of magnitude.  A limit with more digits
than the declared precision is an error.  Limits themselves are never rounded
and are compared exactly (as decimals, not binary floats).  Negative numbers
round half away from zero.

Censored results (decided here)
-------------------------------
``<x`` means the true value is below ``x``; ``>x`` above it.  After rounding
``x`` as above:

* ``<x`` against an upper limit passes when ``x <= limit``; otherwise it is
  *indeterminate* and counted as **fail** (conformance must be demonstrated).
* ``<x`` against a lower limit (``>=`` or ``range``) is **fail**: below the
  limit if ``x <= limit`` (strictly, it cannot be shown to meet it), else
  indeterminate.
* ``>x`` is the mirror image: passes a lower limit when ``x >= limit``, fails
  any upper limit.
* ``<LOQ`` / ``<LOD`` without a number take the attribute's ``loq``; with
  neither, the input is rejected.  When ``loq`` is set, a numeric result below
  it is reported as ``< loq`` and evaluated as censored.
* A censoring bound with more digits than the reporting precision is shown as
  given (``< 0.5`` against a limit of 10, not ``< 0``) but compared rounded.

The note column says which of these applied.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation, localcontext
from pathlib import Path
from typing import Any

import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator

from pdkit.io.tables import check_unique, read_table, require_columns, source_name
from pdkit.errors import InputError
from pdkit.results import ResultMixin
from pdkit.units import convert, normalize_unit

__all__ = [
    "CRITERIA",
    "Attribute",
    "Specification",
    "LotEvaluation",
    "load_spec",
    "evaluate_lots",
    "round_half_up",
    "format_reported",
]

CRITERIA = (">=", "<=", "range", "conforms", "report")
NUMERIC_CRITERIA = (">=", "<=", "range")
RESULTS = ("pass", "fail", "missing", "report")
DISPOSITIONS = ("meets specification", "does not meet", "incomplete")

_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
_CENSOR = re.compile(r"^(<=|>=|<|>|≤|≥)\s*(.*)$")
_LOQ_WORDS = {"loq", "lod"}


# --------------------------------------------------------------------------- numbers
def _decimal(value: Any) -> Decimal | None:
    """Exact decimal for a number or numeric text (floats through their shortest repr)."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, Decimal):
        return value if value.is_finite() else None
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value)) if math.isfinite(value) else None
    try:
        import numpy as np

        if isinstance(value, np.integer):
            return Decimal(int(value))
        if isinstance(value, np.floating):
            v = float(value)
            return Decimal(repr(v)) if math.isfinite(v) else None
    except ImportError:  # pragma: no cover
        pass
    text = str(value).strip()
    if not _NUMBER.match(text):
        return None
    return Decimal(text)


def round_half_up(value: Any, decimals: int) -> Decimal:
    """Round ``value`` to ``decimals`` places, a 5 rounding up (USP General Notices 7.20).

    ``decimals`` may be negative (``-12`` rounds to a multiple of 1e12).  Floats
    are taken at their shortest decimal representation, so ``0.015`` rounds to
    ``0.02`` (Python's ``round(0.015, 2)`` gives 0.01 and ``round(0.025, 2)`` 0.03).

    Examples
    --------
    >>> str(round_half_up(97.95, 1)), str(round_half_up(0.025, 2)), str(round_half_up("101.45", 1))
    ('98.0', '0.03', '101.5')
    """
    d = _decimal(value)
    if d is None:
        raise InputError(f"round_half_up: expected a finite number, got {value!r}")
    with localcontext() as ctx:
        ctx.prec = 60
        try:
            return d.quantize(Decimal(1).scaleb(-int(decimals)), rounding=ROUND_HALF_UP)
        except InvalidOperation:
            raise InputError(f"value {value!r} is too large to round to {decimals} decimal places") from None


def _round_sig(d: Decimal, sig: int) -> tuple[Decimal, int]:
    """Round half up to ``sig`` significant figures; returns (value, exponent of the last digit)."""
    if d == 0:
        exp = -(sig - 1)
        return round_half_up(d, -exp), exp
    exp = d.adjusted() - sig + 1
    r = round_half_up(d, -exp)
    if r != 0 and r.adjusted() > d.adjusted():  # 9.96 -> 10.0 at 2 s.f. is 10
        exp = r.adjusted() - sig + 1
        r = round_half_up(r, -exp)
    return r, exp


def format_reported(value: Decimal, exponent: int | None) -> str:
    """Text of a rounded value whose last reported digit has place ``10**exponent``.

    Fixed notation down to units (``98.0``, ``3``); scientific when the rounding
    step is above 1 (``1.2E+13``).  ``exponent=None`` prints the value as it is.

    Examples
    --------
    >>> format_reported(Decimal("98.0"), -1), format_reported(Decimal("1.2E+13"), 12)
    ('98.0', '1.2E+13')
    """
    if exponent is None:
        d = value.normalize() if value != 0 else Decimal(0)
        text = format(d, "f") if -6 <= d.adjusted() < 9 else format(d, "E")
        return text
    if exponent <= 0:
        return format(value, f".{-exponent}f")
    if value == 0:
        return "0"
    digits = max(value.adjusted() - exponent + 1, 1)
    return format(value, f".{digits - 1}E")


def _places(d: Decimal) -> int:
    """Decimal places shown by a decimal as written (negative for e.g. 1.0e13 -> -12)."""
    return -int(d.as_tuple().exponent)


def _sig_digits(d: Decimal) -> int:
    return len(d.as_tuple().digits) if d != 0 else 1


# --------------------------------------------------------------------------- schema
class Attribute(BaseModel):
    """One tested attribute of a specification (see the module docstring for the fields).

    Examples
    --------
    >>> a = Attribute(name="supercoiled", method="AEX-HPLC", unit="%", criterion=">=", limit="90.0")
    >>> a.criterion_text, a.rounding_decimals
    ('≥ 90.0', 1)
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    method: str
    unit: str = ""
    criterion: str
    limit: Decimal | None = None
    lower: Decimal | None = None
    upper: Decimal | None = None
    expected: tuple[str, ...] = ()
    decimals: int | None = None
    significant_figures: int | None = None
    loq: Decimal | None = None
    note: str = ""
    bounds: tuple[Decimal | None, Decimal | None] | None = None

    @field_validator("bounds", mode="before")
    @classmethod
    def _bounds(cls, v: Any) -> Any:
        if v is None:
            return None
        if isinstance(v, (str, bytes)) or not hasattr(v, "__len__") or len(v) != 2:
            raise ValueError(f"expected [lower, upper] (either may be null), got {v!r}")
        out = []
        for x in v:
            if x is None or (isinstance(x, str) and x.strip().lower() in ("", "null", "none", "~")):
                out.append(None)
                continue
            d = _decimal(x)
            if d is None:
                raise ValueError(f"expected numbers or null in [lower, upper], got {x!r}")
            out.append(d)
        if out[0] is None and out[1] is None:
            raise ValueError("give at least one of the two bounds, or leave 'bounds' out")
        if out[0] is not None and out[1] is not None and not out[0] < out[1]:
            raise ValueError(f"bounds need lower < upper, got [{out[0]}, {out[1]}]")
        return tuple(out)

    @field_validator("name", "method", mode="before")
    @classmethod
    def _nonblank(cls, v: Any) -> Any:
        if v is None or not str(v).strip():
            raise ValueError("must not be empty")
        return str(v).strip()

    @field_validator("unit", "note", mode="before")
    @classmethod
    def _text(cls, v: Any) -> Any:
        return "" if v is None else str(v).strip()

    @field_validator("criterion", mode="before")
    @classmethod
    def _criterion(cls, v: Any) -> Any:
        text = "" if v is None else str(v).strip()
        if text not in CRITERIA:
            raise ValueError(f"unknown criterion {text!r}, expected one of " + ", ".join(repr(c) for c in CRITERIA))
        return text

    @field_validator("limit", "lower", "upper", "loq", mode="before")
    @classmethod
    def _number(cls, v: Any) -> Any:
        if v is None or (isinstance(v, str) and not v.strip()):
            return None
        d = _decimal(v)
        if d is None:
            raise ValueError(f"expected a finite number, got {v!r}")
        return d

    @field_validator("expected", mode="before")
    @classmethod
    def _expected(cls, v: Any) -> Any:
        if v is None:
            return ()
        items = [v] if isinstance(v, str) else list(v)
        out = tuple(str(x).strip() for x in items if x is not None and str(x).strip())
        if len(out) != len(items):
            raise ValueError("expected texts must not be empty")
        return out

    @model_validator(mode="after")
    def _consistent(self) -> "Attribute":
        c = self.criterion
        given = {k for k in ("limit", "lower", "upper", "loq") if getattr(self, k) is not None}
        if self.expected:
            given.add("expected")
        needs = {">=": {"limit"}, "<=": {"limit"}, "range": {"lower", "upper"}, "conforms": {"expected"}, "report": set()}[c]
        allowed = needs | ({"loq"} if c != "conforms" else set())
        missing = sorted(needs - given)
        if missing:
            names = " and ".join(f"'{m}'" for m in missing)
            raise ValueError(f"missing limit: criterion {c!r} needs {names}" if c != "conforms"
                             else "missing 'expected': criterion 'conforms' needs the text a result must equal")
        extra = sorted(given - allowed)
        if extra:
            raise ValueError(f"field(s) {', '.join(repr(e) for e in extra)} do not apply to criterion {c!r}")
        if self.decimals is not None and self.significant_figures is not None:
            raise ValueError("give either 'decimals' or 'significant_figures', not both")
        if c == "conforms" and (self.decimals is not None or self.significant_figures is not None):
            raise ValueError("'decimals'/'significant_figures' do not apply to criterion 'conforms'")
        if self.significant_figures is not None and self.significant_figures < 1:
            raise ValueError(f"'significant_figures' must be >= 1, got {self.significant_figures}")
        if c == "range" and not self.lower < self.upper:
            raise ValueError(f"range needs lower < upper, got lower {self.lower} and upper {self.upper}")
        if self.loq is not None and self.loq < 0:
            raise ValueError(f"'loq' must be >= 0, got {self.loq}")
        if self.bounds is not None:
            if c == "conforms":
                raise ValueError("'bounds' do not apply to criterion 'conforms'")
            for lim in self.limits + ((self.loq,) if self.loq is not None else ()):
                if not self.within_bounds(lim):
                    raise ValueError(f"limit {lim} lies outside the physical bounds {self.bounds_text}")
        for lim in self.limits:
            if self.decimals is not None and _places(lim) > self.decimals:
                raise ValueError(
                    f"limit {lim} has more decimal places than 'decimals: {self.decimals}'; "
                    "results could not be compared at the limit's precision"
                )
            if self.significant_figures is not None and _sig_digits(lim.normalize()) > self.significant_figures:
                raise ValueError(f"limit {lim} has more significant figures than 'significant_figures: "
                                 f"{self.significant_figures}'")
        return self

    # -- derived -----------------------------------------------------------------
    @property
    def limits(self) -> tuple[Decimal, ...]:
        """The numeric limits (one for >=/<=, two for range, none otherwise)."""
        return tuple(x for x in (self.limit, self.lower, self.upper) if x is not None)

    def within_bounds(self, value: Decimal | float) -> bool:
        """True when ``value`` (in the attribute's unit) lies within ``bounds`` (or none are set).

        Examples
        --------
        >>> a = Attribute(name="supercoiled", method="HPLC", unit="%", criterion=">=", limit="90.0",
        ...               bounds=[0, 100])
        >>> a.within_bounds(Decimal("99.5")), a.within_bounds(130), a.bounds_text
        (True, False, '[0, 100] %')
        """
        if self.bounds is None:
            return True
        d = value if isinstance(value, Decimal) else _decimal(value)
        if d is None:
            return False
        lo, hi = self.bounds
        return (lo is None or d >= lo) and (hi is None or d <= hi)

    @property
    def bounds_text(self) -> str:
        """``[0, 100] %`` style text of the bounds (empty when none)."""
        if self.bounds is None:
            return ""
        lo, hi = ("-inf" if self.bounds[0] is None else str(self.bounds[0]),
                  "inf" if self.bounds[1] is None else str(self.bounds[1]))
        return f"[{lo}, {hi}]" + (f" {self.unit}" if self.unit else "")

    @property
    def is_numeric(self) -> bool:
        """True for ``>=``, ``<=`` and ``range`` (results must be numbers or censored numbers)."""
        return self.criterion in NUMERIC_CRITERIA

    @property
    def rounding_decimals(self) -> int | None:
        """Decimal places results are rounded to (None: significant figures or no rounding)."""
        if self.decimals is not None:
            return self.decimals
        if self.significant_figures is not None:
            return None
        if self.limits:
            return max(_places(x) for x in self.limits)
        return None

    @property
    def criterion_text(self) -> str:
        """Human-readable criterion without the unit, e.g. ``≥ 90.0`` or ``1.75 – 1.85``."""
        c = self.criterion
        if c == ">=":
            return f"≥ {self.limit}"
        if c == "<=":
            return f"≤ {self.limit}"
        if c == "range":
            return f"{self.lower} – {self.upper}"
        if c == "conforms":
            return " or ".join(self.expected)
        return "Report result"

    def round(self, value: Decimal) -> tuple[Decimal, int | None]:
        """Round a value in the spec unit to the reporting precision: (rounded, last-digit exponent)."""
        if self.significant_figures is not None:
            return _round_sig(value, self.significant_figures)
        places = self.rounding_decimals
        if places is None:
            return value, None
        return round_half_up(value, places), -places


class Specification(BaseModel):
    """A release specification: product, version, effective date and attributes.

    Build it with :func:`load_spec` from YAML, or directly in Python.

    Examples
    --------
    >>> s = Specification(product="pDNA", version="1", effective_date="2025-01-15",
    ...     attributes=[{"name": "pH", "method": "USP <791>", "criterion": "range", "lower": "7.0", "upper": "8.0"}])
    >>> s.attribute("pH").criterion_text
    '7.0 – 8.0'
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    @classmethod
    def from_dict(cls, data: dict, source: str = "specification") -> "Specification":
        """Validate a plain dict (as from YAML or JSON), raising :class:`InputError` naming the field.

        Calling ``Specification(...)`` directly raises pydantic's ``ValidationError``
        (also a ``ValueError``); this is the friendly route for code building specs.

        Examples
        --------
        >>> try:
        ...     Specification.from_dict({"product": "p", "version": "1", "effective_date": "2025-01-01",
        ...         "attributes": [{"name": "pH", "method": "m", "criterion": "between"}]})
        ... except InputError as e:
        ...     print(str(e)[:67])
        specification, attribute 'pH', field 'criterion': unknown criterion
        """
        if not isinstance(data, dict):
            raise InputError(f"{source}: expected a mapping of fields, got {type(data).__name__}")
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            field, msg = _pydantic_message(exc, data)
            raise InputError(f"{source}{f', {field}' if field else ''}: {msg}") from None

    product: str
    version: str
    effective_date: date
    attributes: tuple[Attribute, ...]
    title: str = ""
    notes: str = ""
    source: str = ""

    @field_validator("product", "version", mode="before")
    @classmethod
    def _nonblank(cls, v: Any) -> Any:
        if v is None or not str(v).strip():
            raise ValueError("must not be empty")
        return str(v).strip()

    @model_validator(mode="after")
    def _unique(self) -> "Specification":
        if not self.attributes:
            raise ValueError("a specification needs at least one attribute")
        seen: set[str] = set()
        for a in self.attributes:
            key = a.name.casefold()
            if key in seen:
                raise ValueError(f"attribute {a.name!r} is listed more than once")
            seen.add(key)
        return self

    @property
    def names(self) -> list[str]:
        """Attribute names in specification order."""
        return [a.name for a in self.attributes]

    def attribute(self, name: str) -> Attribute:
        """The attribute called ``name`` (case-insensitive), or :class:`InputError`."""
        for a in self.attributes:
            if a.name.casefold() == str(name).strip().casefold():
                return a
        raise InputError(f"specification {self.product!r}: no attribute {name!r} (attributes: {', '.join(self.names)})")


# --------------------------------------------------------------------------- YAML loading
def _node_to_py(node: yaml.Node, where: str) -> Any:
    """Convert a composed YAML node to Python, keeping scalars as their literal text."""
    if isinstance(node, yaml.ScalarNode):
        if node.tag == "tag:yaml.org,2002:null":
            return None
        return node.value
    if isinstance(node, yaml.SequenceNode):
        return [_node_to_py(n, where) for n in node.value]
    if isinstance(node, yaml.MappingNode):
        out: dict[str, Any] = {}
        for k, v in node.value:
            key = str(k.value)
            if key in out:
                raise InputError(f"{where}, line {k.start_mark.line + 1}: key {key!r} is given twice")
            out[key] = _node_to_py(v, where)
        return out
    raise InputError(f"{where}, line {node.start_mark.line + 1}: unsupported YAML content")  # pragma: no cover


def _key_lines(node: yaml.Node) -> dict[str, int]:
    if not isinstance(node, yaml.MappingNode):
        return {}
    return {str(k.value): k.start_mark.line + 1 for k, _ in node.value}


def _pydantic_message(exc: ValidationError, data: dict | None = None) -> tuple[str, str]:
    """(field, message) of the first pydantic error, without pydantic's prefixes.

    With ``data`` (the input of a Specification), errors inside ``attributes`` are
    described as ``attribute 'name', field 'limit'``.
    """
    err = exc.errors()[0]
    loc = tuple(err.get("loc", ()))
    field = ".".join(str(x) for x in loc if not isinstance(x, int))
    if data is not None and len(loc) >= 2 and loc[0] == "attributes" and isinstance(loc[1], int):
        try:
            item = list(data.get("attributes") or [])[loc[1]]
            name = item.get("name") if isinstance(item, dict) else getattr(item, "name", None)
        except (IndexError, TypeError):
            name = None
        label = f"attribute {str(name).strip()!r}" if name and str(name).strip() else f"attribute #{loc[1] + 1}"
        rest = ".".join(str(x) for x in loc[2:] if not isinstance(x, int))
        field = f"{label}{f', field {rest!r}' if rest else ''}"
    elif field:
        field = f"field {field!r}"
    msg = str(err.get("msg", "invalid"))
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, "):]
    if err.get("type") == "extra_forbidden":
        msg = "unknown field"
    elif err.get("type") == "missing":
        msg = "field is required"
    return field, msg


def load_spec(path: str | Path) -> Specification:
    """Read and validate a YAML specification file.

    Parameters
    ----------
    path : str or Path
        The ``.yaml``/``.yml`` file.

    Returns
    -------
    Specification
        Frozen; ``source`` holds the file name.

    Raises
    ------
    InputError
        Missing file, bad YAML, unknown criterion, missing limit, unknown field...:
        the message names the file, the attribute and the YAML line.

    Examples
    --------
    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "s.yaml")
    >>> _ = open(p, "w").write('''product: pDNA
    ... version: "1.0"
    ... effective_date: 2025-01-15
    ... attributes:
    ...   - {name: supercoiled, method: AEX-HPLC, unit: "%", criterion: ">=", limit: 90.0}
    ... ''')
    >>> load_spec(p).attribute("supercoiled").criterion_text
    '≥ 90.0'
    """
    p = Path(path)
    where = f"specification file '{p.name}'"
    if not p.exists():
        raise InputError(f"specification file '{p}' does not exist")
    if p.is_dir():
        raise InputError(f"specification file '{p}' is a directory, expected a YAML file")
    try:
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InputError(f"{where} is not UTF-8 text") from None
    try:
        root = yaml.compose(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = f", line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise InputError(f"{where}{line}: not valid YAML ({problem})") from None
    if not isinstance(root, yaml.MappingNode):
        raise InputError(f"{where}: expected a mapping with product, version, effective_date and attributes")
    top = _node_to_py(root, where)
    top_lines = _key_lines(root)
    attr_node = next((v for k, v in root.value if k.value == "attributes"), None)
    if attr_node is None:
        raise InputError(f"{where}: missing 'attributes' (a list of tested attributes)")
    if not isinstance(attr_node, yaml.SequenceNode):
        raise InputError(f"{where}, line {attr_node.start_mark.line + 1}: 'attributes' must be a list")
    attributes = []
    first_line: dict[str, int] = {}
    for i, node in enumerate(attr_node.value):
        line = node.start_mark.line + 1
        raw = _node_to_py(node, where)
        if not isinstance(raw, dict):
            raise InputError(f"{where}, attribute #{i + 1} (line {line}): expected a mapping of fields")
        label = f"attribute {str(raw.get('name')).strip()!r}" if str(raw.get("name") or "").strip() else f"attribute #{i + 1}"
        try:
            attr = Attribute.model_validate(raw)
        except ValidationError as exc:
            err = exc.errors()[0]
            field = ".".join(str(x) for x in err.get("loc", ()) if not isinstance(x, int))
            _, msg = _pydantic_message(exc)
            lines = _key_lines(node)
            fline = lines.get(field.split(".")[0], line)
            fname = f", field '{field}'" if field else ""
            raise InputError(f"{where}, {label} (line {fline}){fname}: {msg}") from None
        key = attr.name.casefold()
        if key in first_line:
            raise InputError(
                f"{where}, {label} (line {line}): attribute name already used at line {first_line[key]}"
            )
        first_line[key] = line
        attributes.append(attr)
    top["attributes"] = attributes
    top["source"] = p.name
    try:
        return Specification.model_validate(top)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(x) for x in err.get("loc", ()) if not isinstance(x, int))
        _, msg = _pydantic_message(exc)
        name = field.split(".")[0]
        line = f", line {top_lines[name]}" if name in top_lines else ""
        fname = f" '{field}'" if field else ""
        raise InputError(f"{where}{line}, field{fname}: {msg}" if field else f"{where}: {msg}") from None


# --------------------------------------------------------------------------- evaluation
@dataclass(frozen=True, eq=False)
class LotEvaluation(ResultMixin):
    """Result of :func:`evaluate_lots`.

    Attributes
    ----------
    results : DataFrame
        One row per lot and specification attribute: ``lot``, ``attribute``, ``method``,
        ``reported`` (text at the specification's precision, ``< 0.5`` when censored),
        ``unit`` (the specification's), ``criterion`` (text), ``result``
        (``pass``/``fail``/``missing``/``report``) and ``note``.
    dispositions : DataFrame
        One row per lot: ``lot``, ``n_pass``, ``n_fail``, ``n_missing``, ``n_report`` and
        ``disposition`` (``meets specification``/``does not meet``/``incomplete``).
    spec : Specification
    source : str
        Name of the results table, for messages.
    """

    results: pd.DataFrame
    dispositions: pd.DataFrame
    spec: Specification
    source: str = "results"

    @property
    def lots(self) -> list[str]:
        """Lots in the order they first appear in the results table."""
        return [str(x) for x in self.dispositions["lot"]]

    def lot_key(self, lot: Any) -> str:
        """``lot`` as the evaluation names it (stripped text); :class:`InputError` if it is not evaluated."""
        key = str(lot).strip()
        if key not in self.lots:
            raise InputError(f"lot {key!r} is not in the evaluation (lots: {', '.join(self.lots)})")
        return key

    def for_lot(self, lot: Any) -> pd.DataFrame:
        """The per-attribute rows of one lot (a copy)."""
        key = self.lot_key(lot)
        return self.results[self.results["lot"] == key].reset_index(drop=True)

    def disposition(self, lot: Any) -> str:
        """``meets specification``, ``does not meet`` or ``incomplete`` for one lot."""
        key = self.lot_key(lot)
        return str(self.dispositions.loc[self.dispositions["lot"] == key, "disposition"].iloc[0])

    def releasable(self, lot: Any) -> bool:
        """True only when every test is reported and none failed."""
        return self.disposition(lot) == "meets specification"

    _frame_from = 'results'  # to_frame() is this table

    def summary(self) -> str:
        """One line: how many lots were evaluated against which specification, and their dispositions."""
        counts = self.dispositions["disposition"].value_counts()
        parts = ", ".join(f"{int(counts[d])} {d}" for d in ("meets specification", "does not meet", "incomplete")
                          if d in counts)
        return f"{len(self.dispositions)} lot(s) against {self.spec.product} version {self.spec.version}: {parts}"


def _cell_text(v: Any) -> str | None:
    """Cell content as stripped text; None for empty/NA."""
    if v is None:
        return None
    try:
        if pd.isna(v):
            return None
    except (TypeError, ValueError):
        pass
    if isinstance(v, bool):
        return str(v)
    if isinstance(v, float) or type(v).__name__.startswith("float"):
        f = float(v)
        return str(int(f)) if f.is_integer() and abs(f) < 1e15 and "e" not in repr(f) else repr(f)
    if isinstance(v, int) or type(v).__name__.startswith("int"):
        return str(int(v))
    text = str(v).strip()
    return text or None


def _norm_text(t: str) -> str:
    return " ".join(t.split()).casefold()


@dataclass(frozen=True)
class _Reading:
    """One parsed result: a number (maybe censored), a text, or nothing."""

    number: Decimal | None = None
    censor: str | None = None  # "<" or ">"
    text: str | None = None
    from_loq: bool = False


def _parse_reading(value: str | None, qualifier: str | None, attr: Attribute, where: str) -> _Reading:
    """Interpret the value and qualifier cells of one row."""
    if qualifier is not None:
        q = qualifier.replace("≤", "<=").replace("≥", ">=")
        m = _CENSOR.match(q)
        if not m:
            raise InputError(
                f"{where}, column 'qualifier': expected '<', '>', '<LOQ', '<LOD' or a censored value "
                f"such as '<0.5', got {qualifier!r}"
            )
        sign = m.group(1)[0]
        rest = m.group(2).strip()
        if rest and rest.casefold() not in _LOQ_WORDS:
            num = _decimal(rest)
            if num is None:
                raise InputError(f"{where}, column 'qualifier': expected a number after {sign!r}, got {qualifier!r}")
            vnum = _decimal(value) if value is not None else None
            if value is not None and vnum != num:
                raise InputError(
                    f"{where}: qualifier {qualifier!r} and value {value!r} disagree; give the number once"
                )
            return _Reading(number=num, censor=sign)
        # bare '<' / '>' or '<LOQ'
        if value is None:
            if rest.casefold() in _LOQ_WORDS and sign == "<":
                return _loq_reading(attr, where, qualifier)
            raise InputError(f"{where}, column 'value': qualifier {qualifier!r} needs a number in 'value'")
        num = _decimal(value)
        if num is None:
            raise InputError(f"{where}, column 'value': expected a number with qualifier {qualifier!r}, got {value!r}")
        return _Reading(number=num, censor=sign)
    if value is None:
        return _Reading()
    m = _CENSOR.match(value.replace("≤", "<=").replace("≥", ">="))
    if m:
        sign = m.group(1)[0]
        rest = m.group(2).strip()
        if rest.casefold() in _LOQ_WORDS and sign == "<":
            return _loq_reading(attr, where, value)
        num = _decimal(rest)
        if num is not None:
            return _Reading(number=num, censor=sign)
        if attr.is_numeric:
            raise InputError(f"{where}, column 'value': expected a number or a censored value such as '<0.5', got {value!r}")
        return _Reading(text=value)
    num = _decimal(value)
    if num is not None:
        return _Reading(number=num, text=value)
    return _Reading(text=value)


def _loq_reading(attr: Attribute, where: str, shown: str) -> _Reading:
    if attr.loq is None:
        raise InputError(
            f"{where}: {shown!r} has no number; give it in the value (e.g. '<0.5') or set 'loq' for "
            f"attribute {attr.name!r} in the specification"
        )
    return _Reading(number=attr.loq, censor="<", from_loq=True)


class _Converter:
    """Unit conversion factors as exact decimals, cached per unit pair."""

    def __init__(self) -> None:
        self._cache: dict[tuple[str, str], Decimal] = {}

    def factor(self, from_unit: str, to_unit: str, where: str) -> Decimal:
        key = (normalize_unit(from_unit), normalize_unit(to_unit))
        if key[0] == key[1]:
            return Decimal(1)
        if key not in self._cache:
            f = float(convert(1.0, from_unit, to_unit, where=where))
            # 12 significant digits strip binary noise such as 1000.0000000000001
            self._cache[key] = Decimal(f"{f:.12g}")
        return self._cache[key]


def _judge(attr: Attribute, r: Decimal, censor: str | None, shown: str) -> tuple[str, str]:
    """(result, note) for a rounded numeric value against the attribute's limits."""
    lo = attr.limit if attr.criterion == ">=" else attr.lower if attr.criterion == "range" else None
    hi = attr.limit if attr.criterion == "<=" else attr.upper if attr.criterion == "range" else None
    if censor is None:
        if lo is not None and r < lo:
            return "fail", f"below the lower limit {lo}"
        if hi is not None and r > hi:
            return "fail", f"above the upper limit {hi}"
        return "pass", ""
    if censor == "<":
        if lo is not None:
            if r <= lo:
                return "fail", f"censored {shown}: below the lower limit {lo}"
            return "fail", f"indeterminate: {shown} cannot show conformance to the lower limit {lo}"
        if r <= hi:
            return "pass", f"censored {shown} is within the upper limit {hi}"
        return "fail", f"indeterminate: {shown} cannot show conformance to the upper limit {hi}"
    # censor == ">"
    if hi is not None:
        if r >= hi:
            return "fail", f"censored {shown}: above the upper limit {hi}"
        return "fail", f"indeterminate: {shown} cannot show conformance to the upper limit {hi}"
    if r >= lo:
        return "pass", f"censored {shown} is within the lower limit {lo}"
    return "fail", f"indeterminate: {shown} cannot show conformance to the lower limit {lo}"


def _evaluate_row(
    attr: Attribute, value: str | None, qualifier: str | None, unit: str | None, has_unit_col: bool,
    where: str, conv: _Converter,
) -> tuple[str, str, str]:
    """(reported, result, note) for one results row."""
    if attr.criterion == "conforms":
        if value is None:
            return "", "missing", "no result reported"
        ok = _norm_text(value) in {_norm_text(e) for e in attr.expected}
        return value, ("pass" if ok else "fail"), ("" if ok else "result does not match the expected text")
    reading = _parse_reading(value, qualifier, attr, where)
    if reading.number is None and reading.text is None:
        return "", "missing", "no result reported"
    if reading.number is None:
        if attr.criterion == "report" and not attr.unit:
            return reading.text or "", "report", ""
        raise InputError(
            f"{where}, column 'value': expected a number"
            + (f" in {attr.unit!r}" if attr.unit else "")
            + f" or a censored value such as '<0.5' for attribute {attr.name!r}, got {value!r}"
        )
    number = reading.number
    notes: list[str] = []
    if not reading.from_loq:
        spec_dimensionless = normalize_unit(attr.unit) in ("dimensionless",)
        if unit is None and not spec_dimensionless:
            col = "" if has_unit_col else " (the table has no 'unit' column)"
            raise InputError(
                f"{where}, column 'unit': unit is missing{col}; expected a unit convertible to {attr.unit!r} "
                f"for attribute {attr.name!r}"
            )
        if unit is not None and normalize_unit(unit) != normalize_unit(attr.unit):
            factor = conv.factor(unit, attr.unit or "dimensionless", f"{where}, column 'unit'")
            number = number * factor
            notes.append(f"converted from {unit}")
    censor = reading.censor
    if attr.bounds is not None and not attr.within_bounds(number):
        raise InputError(
            f"{where}, column 'value': got {format_reported(number, None)}"
            + (f" {attr.unit}" if attr.unit else "")
            + f", expected a physically possible value within {attr.bounds_text} (bounds in the specification)"
        )
    if censor is None and attr.loq is not None and number < attr.loq:
        notes.append(f"below LOQ ({format_reported(number, None)} measured)")
        number, censor = attr.loq, "<"
    if reading.from_loq:
        notes.append("below LOQ")
    rounded, exp = attr.round(number)
    shown = format_reported(rounded, exp)
    if censor is not None and rounded != number:
        # a censoring bound finer than the reporting precision (e.g. '< 0.5' against a limit
        # of 10) is shown as given so the report does not read '< 0'; it is compared rounded
        shown = format_reported(number, None)
    reported = f"{'< ' if censor == '<' else '> ' if censor == '>' else ''}{shown}"
    if attr.criterion == "report":
        return reported, "report", "; ".join(notes)
    result, note = _judge(attr, rounded, censor, reported)
    if note:
        notes.append(note)
    return reported, result, "; ".join(notes)


def evaluate_lots(
    results: pd.DataFrame | str | Path,
    spec: Specification | str | Path,
    *,
    lots: list | tuple | None = None,
) -> LotEvaluation:
    """Evaluate lot results against a specification.

    Parameters
    ----------
    results : DataFrame or path
        Long table with columns ``lot``, ``attribute``, ``value`` (a number, a text such as
        ``Conforms``, or a censored value ``<0.5``/``<LOQ``), optionally ``unit`` (converted
        to the specification's unit) and ``qualifier`` (``<``, ``>``, ``<LOQ``, ``<0.5``).
        A path is read with :func:`pdkit._tables.read_table`.  Not modified.
    spec : Specification or path
        A specification or a YAML file for :func:`load_spec`.
    lots : list, optional
        Evaluate only these lots (default every lot in ``results``).

    Returns
    -------
    LotEvaluation
        Per-attribute ``results`` and per-lot ``dispositions``.  Values are converted to the
        specification unit, rounded half up to its precision and then compared (USP
        General Notices 7.20); tests without a result are ``missing``; a lot with any
        failed test ``does not meet`` specification, otherwise with any missing test it
        is ``incomplete``.

    Raises
    ------
    InputError
        Missing columns, unknown attributes, duplicated lot/attribute rows, text where a
        number is needed, units that cannot be converted (each naming the file and row).

    Examples
    --------
    >>> import pandas as pd
    >>> spec = Specification(product="pDNA", version="1", effective_date="2025-01-15", attributes=[
    ...     {"name": "supercoiled", "method": "HPLC", "unit": "%", "criterion": ">=", "limit": "98.0"}])
    >>> res = pd.DataFrame({"lot": ["A", "B"], "attribute": ["supercoiled"] * 2,
    ...                     "value": [97.95, 97.92], "unit": ["%", "%"]})
    >>> ev = evaluate_lots(res, spec)
    >>> ev.results[["lot", "reported", "result"]].values.tolist()
    [['A', '98.0', 'pass'], ['B', '97.9', 'fail']]
    >>> ev.dispositions["disposition"].tolist()
    ['meets specification', 'does not meet']
    """
    if not isinstance(spec, Specification):
        if isinstance(spec, (str, Path)):
            spec = load_spec(spec)
        else:
            raise InputError(f"spec: expected a Specification or a YAML path, got {type(spec).__name__}")
    if isinstance(results, (str, Path)):
        results = read_table(results, what="results table")
    if not isinstance(results, pd.DataFrame):
        raise InputError(f"results: expected a DataFrame or a CSV/Excel path, got {type(results).__name__}")
    src = source_name(results, None if "source" in results.attrs else "results")
    require_columns(results, ["lot", "attribute", "value"], src)
    has_unit = "unit" in results.columns
    has_qual = "qualifier" in results.columns
    if len(results) == 0:
        raise InputError(f"{src}: no result rows")

    by_name = {a.name.casefold(): a for a in spec.attributes}
    lot_col, attr_col = [], []
    for i, (lot, att) in enumerate(zip(results["lot"].tolist(), results["attribute"].tolist()), start=1):
        lt, at = _cell_text(lot), _cell_text(att)
        if lt is None:
            raise InputError(f"{src}, column 'lot', row {i}: lot is missing")
        if at is None:
            raise InputError(f"{src}, column 'attribute', row {i}: attribute is missing")
        if at.casefold() not in by_name:
            raise InputError(
                f"{src}, column 'attribute', row {i}: {at!r} is not an attribute of specification "
                f"{spec.product!r} version {spec.version} (attributes: {', '.join(spec.names)})"
            )
        lot_col.append(lt)
        attr_col.append(by_name[at.casefold()].name)
    keys = pd.DataFrame({"lot": lot_col, "attribute": attr_col})
    check_unique(keys, ["lot", "attribute"], src)

    all_lots = list(dict.fromkeys(lot_col))
    if lots is not None:
        if isinstance(lots, str):
            lots = [lots]
        wanted = [str(x).strip() for x in lots]
        unknown = [x for x in wanted if x not in all_lots]
        if unknown:
            raise InputError(f"lots: {', '.join(repr(u) for u in unknown)} not in {src} (lots: {', '.join(all_lots)})")
        if not wanted:
            raise InputError("lots: the list of lots to evaluate is empty")
        all_lots = list(dict.fromkeys(wanted))

    values = results["value"].tolist()
    units = results["unit"].tolist() if has_unit else [None] * len(results)
    quals = results["qualifier"].tolist() if has_qual else [None] * len(results)
    conv = _Converter()
    found: dict[tuple[str, str], tuple[str, str, str]] = {}
    selected = set(all_lots)
    for i in range(len(results)):
        if lot_col[i] not in selected:
            continue
        attr = by_name[attr_col[i].casefold()]
        where = f"{src}, row {i + 1} (lot {lot_col[i]!r}, attribute {attr.name!r})"
        found[(lot_col[i], attr.name)] = _evaluate_row(
            attr, _cell_text(values[i]), _cell_text(quals[i]), _cell_text(units[i]), has_unit, where, conv
        )

    rows = []
    for lot in all_lots:
        for a in spec.attributes:
            reported, result, note = found.get((lot, a.name), ("", "missing", "no result reported"))
            rows.append({
                "lot": lot, "attribute": a.name, "method": a.method, "reported": reported, "unit": a.unit,
                "criterion": a.criterion_text, "result": result, "note": note,
            })
    table = pd.DataFrame(rows, columns=["lot", "attribute", "method", "reported", "unit", "criterion", "result", "note"])
    disp = []
    for lot in all_lots:
        r = table.loc[table["lot"] == lot, "result"]
        n_pass, n_fail = int((r == "pass").sum()), int((r == "fail").sum())
        n_missing, n_report = int((r == "missing").sum()), int((r == "report").sum())
        disposition = "does not meet" if n_fail else "incomplete" if n_missing else "meets specification"
        disp.append({"lot": lot, "n_pass": n_pass, "n_fail": n_fail, "n_missing": n_missing,
                     "n_report": n_report, "disposition": disposition})
    dispositions = pd.DataFrame(disp, columns=["lot", "n_pass", "n_fail", "n_missing", "n_report", "disposition"])
    return LotEvaluation(results=table, dispositions=dispositions, spec=spec, source=src)
