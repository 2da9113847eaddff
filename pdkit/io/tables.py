"""Reading and checking user tables with errors that name the place at fault.

These helpers are shared by every domain module so that a user mistake always
produces the same kind of message: ``<source>, column '<col>', row <n>: expected
<what>, got <value>``.  Row numbers are the 1-based data rows as a user sees them
in a spreadsheet below the header (row 1 is the first data row), which for a CSV
file is line ``row + 1``.

Nothing here modifies the input: every function works on copies.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pdkit.errors import InputError

__all__ = [
    "read_table",
    "require_columns",
    "numeric_column",
    "check_unique",
    "describe_rows",
    "source_name",
    "plain_column_name",
    "clean_id",
]

TABLE_SUFFIXES = {".csv", ".tsv", ".txt", ".xlsx", ".xlsm", ".xls"}


#: bookkeeping headers of a DoE worksheet (pdkit.doe.Design.to_worksheet) and their plain names
WORKSHEET_HEADERS = {"Run": "run", "Std order": "std_order", "Block": "block", "Point type": "point_type"}
_UNITS_HEADER = re.compile(r"^(?P<name>\S.*?) \((?P<units>[^()]*)\)$")


def plain_column_name(header: Any) -> tuple[Any, str | None]:
    """A worksheet header's plain column name and units: ``"harvest_h (h)"`` -> ``("harvest_h", "h")``.

    ``Run``, ``Std order``, ``Block`` and ``Point type`` become ``run``, ``std_order``,
    ``block`` and ``point_type``; any other header is returned unchanged with no units.

    Examples
    --------
    >>> plain_column_name("temp (degC)"), plain_column_name("Block"), plain_column_name("titer")
    (('temp', 'degC'), ('block', None), ('titer', None))
    """
    text = str(header)
    if text in WORKSHEET_HEADERS:
        return WORKSHEET_HEADERS[text], None
    m = _UNITS_HEADER.match(text)
    if m:
        return m.group("name"), m.group("units")
    return header, None


def source_name(df: pd.DataFrame, source: str | None = None) -> str:
    """The name used for ``df`` in messages: ``source``, ``df.attrs['source']`` or 'table'."""
    if source:
        return str(source)
    return str(df.attrs.get("source", "table"))


def describe_rows(index: Iterable, limit: int = 5) -> str:
    """Format row labels for a message: 'row 3' or 'rows 3, 5, 9 (and 4 more)'."""
    rows = [str(r) for r in index]
    if len(rows) == 1:
        return f"row {rows[0]}"
    shown = ", ".join(rows[:limit])
    more = f" (and {len(rows) - limit} more)" if len(rows) > limit else ""
    return f"rows {shown}{more}"


def _user_rows(df: pd.DataFrame, mask: np.ndarray) -> list[int]:
    """1-based data-row numbers of the rows selected by ``mask``."""
    return [int(i) + 1 for i in np.flatnonzero(np.asarray(mask))]


def _clean_header(text: Any) -> str:
    """A header as a user means it: BOM, non-breaking spaces and outer spaces removed."""
    if text is None or (isinstance(text, float) and np.isnan(text)):
        return ""
    return str(text).replace("\ufeff", "").replace("\xa0", " ").strip()


def clean_id(value: Any) -> Any:
    """An identifier cell as text: outer spaces and non-breaking spaces removed; empty -> NA.

    Whole numbers read as floats (``2401.0``) become ``"2401"``.

    Examples
    --------
    >>> clean_id(" L-01\\xa0"), clean_id(2401.0), clean_id("  ")
    ('L-01', '2401', <NA>)
    """
    if value is None or value is pd.NA:
        return pd.NA
    if isinstance(value, float):
        if np.isnan(value):
            return pd.NA
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
    text = str(value).replace("\ufeff", "").replace("\xa0", " ").strip()
    return text if text else pd.NA


def read_table(
    path: str | Path,
    *,
    sheet: str | int | None = 0,
    what: str = "data",
    id_columns: Sequence[str] = (),
) -> pd.DataFrame:
    """Read a CSV/TSV or Excel table into a DataFrame, or raise a clear :class:`InputError`.

    The returned frame carries ``attrs['source']`` (the file name) so later
    checks can name the file.  Normalised on read (the file itself is never modified):
    a UTF-8 byte-order mark (Excel's "CSV UTF-8") and CRLF line ends are accepted;
    column names lose outer spaces and non-breaking spaces (``"STATUS "`` ->
    ``"STATUS"``); columns without a header and without any value (trailing commas of
    an export) are dropped, a headerless column holding values is an error; cells of
    ``id_columns`` become stripped text (:func:`clean_id`).  Numbers are not coerced
    here: text in a numeric column is reported by the caller's checks.

    Parameters
    ----------
    path : str or Path
        The file to read (``.csv``, ``.tsv``, ``.txt``, ``.xlsx``, ``.xlsm``, ``.xls``).
    sheet : str or int, optional
        Excel sheet name or index (default the first sheet).
    what : str
        What the file is, for messages (e.g. ``"results table"``).
    id_columns : sequence of str
        Identifier columns (lot, batch, run...) to read as stripped text when present.

    Examples
    --------
    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "t.csv")
    >>> _ = open(p, "w", encoding="utf-8-sig", newline="").write("lot ,value\\r\\n A ,1.5\\r\\n")
    >>> df = read_table(p, id_columns=["lot"])
    >>> df.shape, list(df.columns), df.loc[0, "lot"]
    ((1, 2), ['lot', 'value'], 'A')
    """
    p = Path(path)
    if not p.exists():
        raise InputError(f"{what} file '{p}' does not exist")
    if p.is_dir():
        raise InputError(f"{what} file '{p}' is a directory, expected a CSV or Excel file")
    suffix = p.suffix.lower()
    if suffix not in TABLE_SUFFIXES:
        raise InputError(
            f"{what} file '{p.name}': unsupported file type '{suffix}', expected one of "
            f"{', '.join(sorted(TABLE_SUFFIXES))}"
        )
    excel = suffix in {".xlsx", ".xlsm", ".xls"}
    sep = "\t" if suffix == ".tsv" else None
    try:
        if excel:
            df = pd.read_excel(p, sheet_name=sheet)
            header_row = pd.read_excel(p, sheet_name=sheet, header=None, nrows=1)
        else:
            df = pd.read_csv(p, sep=sep, engine="python", skipinitialspace=True, encoding="utf-8-sig")
            header_row = pd.read_csv(p, sep=sep, engine="python", header=None, nrows=1, encoding="utf-8-sig")
    except InputError:
        raise
    except UnicodeDecodeError:
        raise InputError(f"{what} file '{p.name}' is not UTF-8 text; save it as 'CSV UTF-8'") from None
    except ValueError as exc:
        if excel and "not found" in str(exc):
            with pd.ExcelFile(p) as book:
                names = ", ".join(repr(n) for n in book.sheet_names)
            raise InputError(f"{what} file '{p.name}': no sheet {sheet!r} (sheets: {names})") from None
        raise InputError(f"{what} file '{p.name}' could not be read as a table: {exc}") from None
    except Exception as exc:  # pandas raises many types; all mean "cannot parse"
        raise InputError(f"{what} file '{p.name}' could not be read as a table: {exc}") from None
    if df.shape[1] == 0 or df.shape[0] == 0:
        raise InputError(f"{what} file '{p.name}' has no data rows")
    if not excel and not isinstance(df.index, pd.RangeIndex):
        # pandas silently turns the first column into the index when rows have more cells than the header
        raise InputError(f"{what} file '{p.name}', {describe_rows(_long_rows(p, sep))}: more cells than the "
                         f"header has columns (an unquoted ',' inside a value such as 12,5 or 1,234?)")
    # pandas renames repeated headers ('a', 'a.1') and blank ones ('Unnamed: 3'): use the header as written
    header = [_clean_header(c) for c in header_row.iloc[0].tolist()] if header_row.shape[0] else []
    if len(header) != df.shape[1]:
        header = [_clean_header(c) for c in df.columns]
    keep = []
    for i, h in enumerate(header):
        if not h:
            col = df.iloc[:, i]
            if (col.isna() | col.astype(str).str.strip().eq("")).all():
                continue
            raise InputError(f"{what} file '{p.name}', column {i + 1}: has values but no header, "
                             "expected a column name")
        keep.append(i)
    df = df.iloc[:, keep].copy()
    header = [header[i] for i in keep]
    dupes = [c for c in header if header.count(c) > 1]
    if dupes:
        raise InputError(f"{what} file '{p.name}': duplicated column name(s) {sorted(set(dupes))}")
    df.columns = header
    if df.shape[1] == 0:
        raise InputError(f"{what} file '{p.name}' has no data rows")
    for col in id_columns:
        if col in df.columns:
            df[col] = df[col].map(clean_id).astype(object)
    df.attrs["source"] = p.name
    return df


def _long_rows(p: Path, sep: str | None) -> list[int]:
    """1-based data rows of a CSV file with more fields than its header (blank lines skipped, as pandas does)."""
    import csv

    text = p.read_text(encoding="utf-8-sig")
    if sep is None:
        try:
            sep = csv.Sniffer().sniff(text[:4096], delimiters=",;\t|").delimiter
        except csv.Error:
            sep = ","
    rows = [r for r in csv.reader(text.splitlines(), delimiter=sep) if any(c.strip() for c in r) or len(r) > 1]
    if not rows:
        return []
    width = len(rows[0])
    return [i for i, r in enumerate(rows[1:], start=1) if len(r) > width] or [1]


def require_columns(df: pd.DataFrame, columns: Sequence[str], source: str | None = None) -> None:
    """Raise :class:`InputError` naming every column of ``columns`` missing from ``df``.

    Examples
    --------
    >>> require_columns(pd.DataFrame({"a": [1]}), ["a"])
    >>> try:
    ...     require_columns(pd.DataFrame({"a": [1]}), ["a", "b"], source="x.csv")
    ... except InputError as e:
    ...     print(e)
    x.csv: missing column 'b' (columns present: 'a')
    """
    if not isinstance(df, pd.DataFrame):
        raise InputError(f"expected a pandas DataFrame, got {type(df).__name__}")
    missing = [c for c in columns if c not in df.columns]
    if missing:
        names = ", ".join(f"'{c}'" for c in missing)
        present = ", ".join(f"'{c}'" for c in df.columns)
        plural = "s" if len(missing) > 1 else ""
        raise InputError(f"{source_name(df, source)}: missing column{plural} {names} (columns present: {present})")


def numeric_column(
    df: pd.DataFrame,
    column: str,
    source: str | None = None,
    *,
    allow_missing: bool = False,
    positive: bool = False,
    nonnegative: bool = False,
    finite: bool = True,
) -> pd.Series:
    """Return ``df[column]`` as float, or raise naming the rows that are not valid numbers.

    Parameters
    ----------
    allow_missing : bool
        Empty cells become NaN instead of an error.
    positive, nonnegative : bool
        Require values > 0 (e.g. before a log) or >= 0.
    finite : bool
        Reject ``inf``.

    Examples
    --------
    >>> numeric_column(pd.DataFrame({"v": ["1", "2.5"]}), "v").tolist()
    [1.0, 2.5]
    >>> try:
    ...     numeric_column(pd.DataFrame({"v": ["1", "<LOQ"]}), "v", source="r.csv")
    ... except InputError as e:
    ...     print(e)
    r.csv, column 'v', row 2: expected a number, got '<LOQ'
    """
    require_columns(df, [column], source)
    name = source_name(df, source)
    raw = df[column]
    values = pd.to_numeric(raw, errors="coerce").astype(float)
    blank = raw.isna() | raw.astype(str).str.strip().eq("")
    bad_text = values.isna() & ~blank
    if bad_text.any():
        rows = _user_rows(df, bad_text.to_numpy())
        examples = ", ".join(repr(str(v)) for v in raw[bad_text].head(3))
        raise InputError(f"{name}, column '{column}', {describe_rows(rows)}: expected a number, got {examples}")
    if blank.any() and not allow_missing:
        rows = _user_rows(df, blank.to_numpy())
        raise InputError(f"{name}, column '{column}', {describe_rows(rows)}: value is missing, expected a number")
    if finite and np.isinf(values).any():
        rows = _user_rows(df, np.isinf(values).to_numpy())
        raise InputError(f"{name}, column '{column}', {describe_rows(rows)}: expected a finite number, got inf")
    if positive and (values <= 0).any():
        bad = (values <= 0).to_numpy()
        rows = _user_rows(df, bad)
        raise InputError(
            f"{name}, column '{column}', {describe_rows(rows)}: expected a value > 0, got "
            + ", ".join(f"{v:g}" for v in values[bad][:3])
        )
    if nonnegative and (values < 0).any():
        bad = (values < 0).to_numpy()
        rows = _user_rows(df, bad)
        raise InputError(
            f"{name}, column '{column}', {describe_rows(rows)}: expected a value >= 0, got "
            + ", ".join(f"{v:g}" for v in values[bad][:3])
        )
    return values


def check_unique(df: pd.DataFrame, columns: Sequence[str], source: str | None = None) -> None:
    """Raise :class:`InputError` if the combination of ``columns`` repeats, naming the rows.

    Examples
    --------
    >>> try:
    ...     check_unique(pd.DataFrame({"lot": ["A", "A"], "test": ["pH", "pH"]}), ["lot", "test"], "r.csv")
    ... except InputError as e:
    ...     print(e)
    r.csv: duplicated lot/test 'A'/'pH' at rows 1, 2
    """
    require_columns(df, columns, source)
    dup = df.duplicated(list(columns), keep=False).to_numpy()
    if dup.any():
        first = df.loc[dup, list(columns)].iloc[0]
        key = "/".join(f"'{v}'" for v in first)
        same = (df[list(columns)] == first.values).all(axis=1).to_numpy()
        rows = _user_rows(df, same)
        raise InputError(f"{source_name(df, source)}: duplicated {'/'.join(columns)} {key} at {describe_rows(rows)}")
