"""Column mappings: read a real lab export (CSV or Excel) into the layout a template reads.

A lab's production log rarely has pdkit's column names: one row per prep, a header such
as ``Final Titer GC/mL``, dates like ``1/19/2017``, a ``STATUS`` column with failed preps,
cells reading ``<LOQ``, ``(pooled titer)`` or ``see above``.  A mapping file (YAML,
validated with pydantic; an unknown key is an error naming it) says what each of those
means, explicitly, so nothing is guessed and nothing is dropped silently::

    layout: wide                 # one column per attribute -> long (lot, attribute, value, unit, qualifier, date)
    sheet: Production log        # Excel sheet (ignored for CSV); default the first sheet
    lot: "Viral Lot #"           # source column with the lot
    split_lots: null             # "/" to read "L1/L2" as two lots with the same results; else such a cell is an error
    date: {column: Transfection date, format: "%m/%d/%Y"}   # strptime format, never guessed
    thousands: ","               # numbers may be written 1,234 (otherwise that is an error)
    units: {GC/mL: vg/mL}        # unit spellings of the export -> pdkit units
    exclude:                     # whole rows left out, each listed with its reason
      - {column: STATUS, values: [Failed, Aborted], reason: prep failed or aborted}
    qualifiers:                  # cell texts and what they mean (matched ignoring case; a number may go with them)
      "<LOQ": {action: censored_below}
      "ND": {action: not_detected}
      "(pooled titer)": {action: exclude, reason: titer of pooled preps, not a lot result}
      "see above": {action: error, reason: give the value itself}
    attributes:
      - {column: Final Titer GC/mL, attribute: vg_titer, unit_from_header: true}
      - {column: "% Full (AUC)", attribute: full_capsids, unit: "%"}
      - {column: Appearance, attribute: appearance, text: true}

``layout: table`` instead renames columns (``columns: {target: source}``) and applies the
same row exclusions, date and number rules, for templates whose table is not a long
results table (stability, upstream, downstream...).

Qualifier actions: ``censored_below`` (``<LOQ`` -> qualifier ``<LOQ``, or ``<`` with the
number in the cell), ``censored_above`` (needs a number in the cell or ``bound``),
``not_detected`` (qualifier ``<LOD``), ``exclude`` (the cell is left out and listed with
``reason``), ``replace`` (the cell reads ``text``, e.g. ``Pass`` -> ``Conforms``) and
``error``.  ``<0.5`` and ``>1e14`` are read as censored values without a rule.

Examples
--------
>>> import tempfile, os
>>> d = tempfile.mkdtemp()
>>> _ = open(os.path.join(d, "log.csv"), "w").write(
...     "Lot,STATUS ,Titer (vg/mL)\\nA1,Released,\\"2,000,000\\"\\nA2,Failed,5\\nA3,Released,<LOQ\\n")
>>> m = ColumnMapping.model_validate({"lot": "Lot", "thousands": ",",
...     "exclude": [{"column": "STATUS", "values": ["Failed"], "reason": "prep failed"}],
...     "qualifiers": {"<LOQ": {"action": "censored_below"}},
...     "attributes": [{"column": "Titer (vg/mL)", "attribute": "vg_titer", "unit_from_header": True}]})
>>> out = apply_mapping(os.path.join(d, "log.csv"), m)
>>> out.table[["lot", "attribute", "value", "unit", "qualifier"]].values.tolist()
[['A1', 'vg_titer', 2000000.0, 'vg/mL', ''], ['A3', 'vg_titer', '', 'vg/mL', '<LOQ']]
>>> out.excluded[["row", "reason"]].values.tolist()
[[2, "prep failed (STATUS = 'Failed')"]]
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator

from pdkit.io.tables import clean_id, read_table
from pdkit.io.contracts import Problem, format_problems, parse_number
from pdkit.errors import InputError

__all__ = [
    "AttributeColumn",
    "DateRule",
    "ExcludeRule",
    "QualifierRule",
    "ColumnMapping",
    "MappedTable",
    "load_mapping",
    "apply_mapping",
    "header_unit",
    "LONG_COLUMNS",
]

#: Columns of the long layout a wide export is read into (plus ``row``, the source data row).
LONG_COLUMNS = ("lot", "attribute", "value", "unit", "qualifier", "date")
_TWO_LOTS = re.compile(r"\S\s*(/|;|,|&|\+|\band\b)\s*\S")
_CENSORED = re.compile(r"^(<=|>=|<|>|≤|≥)\s*(.+)$")


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class AttributeColumn(_Strict):
    """One attribute column of a wide export: source ``column`` -> ``attribute``, with its unit."""

    column: str
    attribute: str
    unit: str | None = None
    unit_from_header: bool = False
    text: bool = False

    @model_validator(mode="after")
    def _one_unit(self) -> "AttributeColumn":
        if self.unit is not None and self.unit_from_header:
            raise ValueError("give either 'unit' or 'unit_from_header: true', not both")
        return self


class DateRule(_Strict):
    """The date column and its explicit strptime ``format`` (e.g. ``%m/%d/%Y``)."""

    column: str
    format: str
    required: bool = True

    @field_validator("format")
    @classmethod
    def _has_year(cls, v: str) -> str:
        if "%Y" not in v and "%y" not in v:
            raise ValueError(f"date format {v!r} has no year (%Y); dates without a year are ambiguous")
        return v


class ExcludeRule(_Strict):
    """Rows whose ``column`` holds one of ``values`` (ignoring case and outer spaces) are excluded."""

    column: str
    values: tuple[str, ...]
    reason: str

    @field_validator("reason")
    @classmethod
    def _reason(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("an exclusion needs a reason")
        return v.strip()


class QualifierRule(_Strict):
    """What a cell text means (see the module docstring for the actions)."""

    action: Literal["censored_below", "censored_above", "not_detected", "exclude", "replace", "error"]
    reason: str = ""
    text: str | None = None
    bound: float | None = None

    @model_validator(mode="after")
    def _needs(self) -> "QualifierRule":
        if self.action in ("exclude", "error") and not self.reason.strip():
            raise ValueError(f"action {self.action!r} needs a 'reason'")
        if self.action == "replace" and not (self.text or "").strip():
            raise ValueError("action 'replace' needs 'text'")
        return self


class ColumnMapping(_Strict):
    """A column mapping for a lab export (see the module docstring)."""

    layout: Literal["wide", "table"] = "wide"
    description: str = ""
    sheet: str | int | None = None
    lot: str | None = None
    split_lots: str | None = None
    date: DateRule | None = None
    thousands: str | None = None
    units: dict[str, str] = {}
    exclude: tuple[ExcludeRule, ...] = ()
    qualifiers: dict[str, QualifierRule] = {}
    attributes: tuple[AttributeColumn, ...] = ()
    columns: dict[str, str] = {}
    keep: tuple[str, ...] = ()

    @field_validator("thousands")
    @classmethod
    def _sep(cls, v: str | None) -> str | None:
        if v is not None and v not in (",", ".", "'", " ", "\u202f"):
            raise ValueError(f"expected one of ',', '.', \"'\", ' ' as thousands separator, got {v!r}")
        if v == ".":
            raise ValueError("'.' is the decimal mark; a '.' thousands separator is not supported")
        return v

    @model_validator(mode="after")
    def _layout(self) -> "ColumnMapping":
        if self.layout == "wide":
            if not self.lot:
                raise ValueError("layout 'wide' needs 'lot' (the source column with the lot)")
            if not self.attributes:
                raise ValueError("layout 'wide' needs 'attributes' (source column -> attribute)")
            if self.columns:
                raise ValueError("'columns' is for layout 'table'; use 'attributes' for layout 'wide'")
            names = [a.attribute for a in self.attributes]
            dup = sorted({n for n in names if names.count(n) > 1})
            if dup:
                raise ValueError(f"attribute(s) {dup} mapped from more than one column")
        else:
            if not self.columns:
                raise ValueError("layout 'table' needs 'columns' (target name: source column)")
            if self.attributes:
                raise ValueError("'attributes' is for layout 'wide'")
        return self


@dataclass(frozen=True, eq=False)
class MappedTable:
    """Result of :func:`apply_mapping`.

    ``table``: the mapped rows (long layout for ``wide``: ``lot``, ``attribute``, ``value``,
    ``unit``, ``qualifier``, ``date`` if mapped, and ``row``, the 1-based source data row);
    ``excluded``: ``row``, ``column`` (None for a whole row), ``reason``, ``source``;
    ``problems``: every cell that could not be read (empty when all is well).
    """

    table: pd.DataFrame
    excluded: pd.DataFrame
    problems: tuple[Problem, ...] = ()
    source: str = ""

    def raise_problems(self) -> "MappedTable":
        """Raise :class:`~pdkit.errors.InputError` listing every problem, else return self."""
        if self.problems:
            raise InputError(format_problems(list(self.problems), self.source))
        return self


# --------------------------------------------------------------------------- loading
def load_mapping(path: str | Path | dict) -> ColumnMapping:
    """Read and validate a mapping YAML file (or a dict); errors name the file and the key.

    Examples
    --------
    >>> try:
    ...     load_mapping({"lot": "Lot", "attributes": [{"colum": "Titer", "attribute": "vg_titer"}]})
    ... except InputError as e:
    ...     print(e)
    column mapping, key 'attributes.1.colum': unknown key (allowed: column, attribute, unit, unit_from_header, text)
    """
    import yaml

    if isinstance(path, ColumnMapping):
        return path
    where = "column mapping"
    if isinstance(path, dict):
        data = path
    else:
        p = Path(path)
        where = f"column mapping file '{p.name}'"
        if not p.is_file():
            raise InputError(f"column mapping file '{p}' does not exist")
        try:
            data = yaml.safe_load(p.read_text(encoding="utf-8-sig"))
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line = f", line {mark.line + 1}" if mark is not None else ""
            raise InputError(f"{where}{line}: not valid YAML ({getattr(exc, 'problem', None) or exc})") from None
        except UnicodeDecodeError:
            raise InputError(f"{where} is not UTF-8 text") from None
    if not isinstance(data, dict):
        raise InputError(f"{where}: expected a mapping of keys (layout, lot, attributes, ...)")
    try:
        return ColumnMapping.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors()
        err = next((e for e in errors if e.get("type") == "extra_forbidden"), errors[0])
        loc = [str(x + 1) if isinstance(x, int) else str(x) for x in err.get("loc", ())]
        key = ".".join(loc)
        if err.get("type") == "extra_forbidden":
            model = _model_at(err.get("loc", ()))
            allowed = ", ".join(model.model_fields) if model else ""
            msg = "unknown key" + (f" (allowed: {allowed})" if allowed else "")
        elif err.get("type") == "missing":
            msg = "key is required"
        else:
            msg = str(err.get("msg", "invalid")).removeprefix("Value error, ")
        return_key = f", key '{key}'" if key else ""
        raise InputError(f"{where}{return_key}: {msg}") from None


def _model_at(loc: tuple) -> type[BaseModel] | None:
    model: type[BaseModel] | None = ColumnMapping
    sub = {"attributes": AttributeColumn, "exclude": ExcludeRule, "qualifiers": QualifierRule, "date": DateRule}
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        if part in sub:
            model = sub[part]
        elif model is QualifierRule:
            continue
    return model


def header_unit(header: str) -> str | None:
    """The unit written in a header: the text in final parentheses, else the last word.

    Examples
    --------
    >>> header_unit("Final Titer GC/mL"), header_unit("Titer (vg/mL)"), header_unit("Status")
    ('GC/mL', 'vg/mL', 'Status')
    """
    text = str(header).strip()
    m = re.search(r"\(([^()]+)\)\s*$", text)
    if m:
        return m.group(1).strip()
    parts = text.split()
    return parts[-1] if parts else None


# --------------------------------------------------------------------------- applying
def _text(v: Any) -> str:
    try:
        if v is None or pd.isna(v):
            return ""
    except (TypeError, ValueError):
        pass
    return str(v).replace("\xa0", " ").strip()


def _match_rule(text: str, rules: dict[str, QualifierRule]) -> tuple[str, QualifierRule, str] | None:
    """The rule whose key is the cell text (ignoring case and outer spaces), or starts or ends it with
    only a number besides (``2.1E13 (pooled titer)``): (key, rule, the rest of the text)."""
    low = text.casefold().strip()
    for key in sorted(rules, key=len, reverse=True):
        k = key.strip().casefold()
        if not k:
            continue
        if low == k:
            return key, rules[key], ""
        for rest in ((text[len(k):] if low.startswith(k) else None), (text[:-len(k)] if low.endswith(k) else None)):
            if rest is not None and parse_number(rest.strip(), None)[0] is not None:
                return key, rules[key], rest.strip()
    return None


def _parse_date(v: Any, rule: DateRule) -> tuple[str | None, str | None]:
    if isinstance(v, (pd.Timestamp, datetime, date)):
        return pd.Timestamp(v).strftime("%Y-%m-%d"), None
    text = _text(v)
    if not text:
        return None, None if not rule.required else f"a date written {rule.format!r} (the cell is empty)"
    try:
        return datetime.strptime(text, rule.format).strftime("%Y-%m-%d"), None
    except ValueError:
        return None, f"a date written {rule.format!r} (format of the mapping; dates are never guessed)"


def apply_mapping(path: str | Path, mapping: ColumnMapping | str | Path | dict) -> MappedTable:
    """Read ``path`` (CSV or Excel) through ``mapping``; collect every problem, never raise for cells.

    Parameters
    ----------
    path : str or Path
        The lab export.  Never modified.
    mapping : ColumnMapping, path or dict
        The mapping (a path or dict is read with :func:`load_mapping`).

    Returns
    -------
    MappedTable
        See :class:`MappedTable`; call ``.raise_problems()`` to turn problems into an error.

    Raises
    ------
    InputError
        The file or the mapping cannot be read.
    """
    m = load_mapping(mapping)
    p = Path(path)
    sheet = m.sheet if (m.sheet is not None and p.suffix.lower() in {".xlsx", ".xlsm", ".xls"}) else 0
    ids = [m.lot] if m.lot else []
    if m.layout == "table":
        ids = []
    df = read_table(p, sheet=sheet, what="lab export", id_columns=ids)
    src = p.name
    problems: list[Problem] = []
    excluded: list[tuple[int, str | None, str]] = []
    cols = [str(c) for c in df.columns]

    needed = [r.column for r in m.exclude] + ([m.date.column] if m.date else [])
    if m.layout == "wide":
        needed += [m.lot] + [a.column for a in m.attributes]
    else:
        needed += list(m.columns.values()) + list(m.keep)
    for c in dict.fromkeys(needed):
        if c not in cols:
            problems.append(Problem(src, None, c, _nothing(), f"a column '{c}' named in the mapping "
                                    f"(columns present: {', '.join(cols)})"))
    if problems:
        return _result([], problems, excluded, src, m)

    # whole-row exclusions
    n = len(df)
    keep_row = [True] * n
    for i in range(n):
        if all(_text(v) == "" for v in df.iloc[i].tolist()):
            keep_row[i] = False
            excluded.append((i + 1, None, "blank row"))
            continue
        for rule in m.exclude:
            if _text(df[rule.column].iloc[i]).casefold() in {v.strip().casefold() for v in rule.values}:
                keep_row[i] = False
                excluded.append((i + 1, None, f"{rule.reason} ({rule.column} = {_text(df[rule.column].iloc[i])!r})"))
                break

    dates: list[str | None] = [None] * n
    if m.date is not None:
        for i in range(n):
            if keep_row[i]:
                dates[i], err = _parse_date(df[m.date.column].iloc[i], m.date)
                if err:
                    problems.append(Problem(src, i + 1, m.date.column, df[m.date.column].iloc[i], err))

    if m.layout == "table":
        return _table_layout(df, m, src, keep_row, dates, problems, excluded)

    units: dict[str, str | None] = {}
    for a in m.attributes:
        u = a.unit if a.unit is not None else (header_unit(a.column) if a.unit_from_header else None)
        u = m.units.get(u, u) if u is not None else None
        if u is not None and u != "":
            from pdkit.units import parse_unit

            try:
                parse_unit(u, "unit")
            except InputError:
                problems.append(Problem(src, None, a.column, u, "a unit pdkit knows (map the export's spelling "
                                        "under 'units', e.g. GC/mL: vg/mL)"))
        units[a.column] = u

    out: list[dict[str, Any]] = []
    for i in range(n):
        if not keep_row[i]:
            continue
        lot_text = _text(df[m.lot].iloc[i])
        if not lot_text:
            problems.append(Problem(src, i + 1, m.lot, "", "a lot (the cell is empty)"))
            continue
        if m.split_lots:
            lots = [clean_id(x) for x in lot_text.split(m.split_lots)]
            lots = [x for x in lots if x is not pd.NA]
        elif _TWO_LOTS.search(lot_text):
            problems.append(Problem(src, i + 1, m.lot, lot_text, "one lot per cell (this cell seems to hold "
                                    "several; set 'split_lots' in the mapping to read them as separate lots)"))
            continue
        else:
            lots = [lot_text]
        for a in m.attributes:
            raw = df[a.column].iloc[i]
            value, qual, err, why = _cell(raw, a, m)
            if err:
                problems.append(Problem(src, i + 1, a.column, raw, err))
                continue
            if why is not None:
                excluded.append((i + 1, a.column, why))
                continue
            if value == "" and qual == "":
                continue  # nothing reported for this attribute
            for lot in lots:
                out.append({"lot": lot, "attribute": a.attribute, "value": value, "unit": units[a.column] or "",
                            "qualifier": qual, "date": dates[i], "row": i + 1})
    return _result(out, problems, excluded, src, m)


def _nothing() -> Any:
    from pdkit.io.contracts import NO_VALUE

    return NO_VALUE


def _cell(raw: Any, a: AttributeColumn, m: ColumnMapping) -> tuple[Any, str, str | None, str | None]:
    """(value, qualifier, error, exclusion reason) of one attribute cell."""
    text = _text(raw)
    if text == "":
        return "", "", None, None
    hit = _match_rule(text, m.qualifiers)
    if hit is not None:
        key, rule, rest = hit
        number = None
        if rest:
            number, err = parse_number(rest, m.thousands)
            if err is not None and rule.action not in ("exclude", "error", "replace"):
                return None, "", f"a number with {key!r}, got the text {rest!r} besides it", None
        if rule.action == "exclude":
            return None, "", None, f"{rule.reason} ({a.column} = {text!r})"
        if rule.action == "error":
            return None, "", f"not {key!r}: {rule.reason}", None
        if rule.action == "replace":
            return rule.text, "", None, None
        if rule.action == "not_detected":
            return "", "<LOD", None, None
        if rule.action == "censored_below":
            return (number, "<", None, None) if number is not None else ("", "<LOQ", None, None)
        # censored_above
        bound = number if number is not None else rule.bound
        if bound is None:
            return None, "", f"a number with {key!r} (or 'bound' in the qualifier rule)", None
        return bound, ">", None, None
    number, err = parse_number(raw, m.thousands)
    if err is None and number is not None:
        return number, "", None, None
    c = _CENSORED.match(text)
    if c:
        num, err2 = parse_number(c.group(2), m.thousands)
        if err2 is None and num is not None:
            return num, ("<" if c.group(1) in ("<", "<=", "≤") else ">"), None, None
    if a.text:
        return text, "", None, None
    if err and err.startswith("a number without thousands"):
        return None, "", err, None
    return None, "", ("a number, a censored value such as '<0.5', or a text listed under 'qualifiers' in "
                      "the mapping"), None


def _table_layout(df: pd.DataFrame, m: ColumnMapping, src: str, keep_row: list[bool], dates: list,
                  problems: list[Problem], excluded: list) -> MappedTable:
    sources = list(m.columns.values()) + [k for k in m.keep if k not in m.columns.values()]
    targets = list(m.columns.keys()) + [k for k in m.keep if k not in m.columns.values()]
    out = []
    for i in range(len(df)):
        if not keep_row[i]:
            continue
        rec: dict[str, Any] = {}
        for s, t in zip(sources, targets):
            v = df[s].iloc[i]
            if m.date is not None and s == m.date.column:
                v = dates[i]
            elif isinstance(v, str) and m.thousands:
                num, err = parse_number(v, m.thousands)
                if err is None and num is not None:
                    v = num
            elif isinstance(v, str):
                v = v.replace("\xa0", " ").strip()
            rec[t] = v
        rec["row"] = i + 1
        out.append(rec)
    return _result(out, problems, excluded, src, m, columns=targets)


def _result(rows: list[dict], problems: list[Problem], excluded: list, src: str, m: ColumnMapping,
            columns: list[str] | None = None) -> MappedTable:
    if columns is None:
        columns = [c for c in LONG_COLUMNS if c != "date" or m.date is not None]
    table = pd.DataFrame(rows, columns=columns + ["row"])
    for c in table.columns:
        if c not in ("row",) and table[c].dtype != float:
            table[c] = table[c].astype(object)
    table.attrs["source"] = src
    excluded = sorted(excluded, key=lambda e: (e[0], str(e[1] or "")))
    ex = pd.DataFrame({"row": pd.Series([e[0] for e in excluded], dtype=int),
                       "column": pd.Series([e[1] for e in excluded], dtype=object),
                       "reason": pd.Series([e[2] for e in excluded], dtype=object)})
    ex["source"] = src
    return MappedTable(table=table, excluded=ex, problems=tuple(problems), source=src)
