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

from .errors import InputError

__all__ = [
    "read_table",
    "require_columns",
    "numeric_column",
    "check_unique",
    "describe_rows",
    "source_name",
    "plain_column_name",
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


def read_table(path: str | Path, *, sheet: str | int | None = 0, what: str = "data") -> pd.DataFrame:
    """Read a CSV/TSV or Excel table into a DataFrame, or raise a clear :class:`InputError`.

    The returned frame carries ``attrs['source']`` (the file name) so later
    checks can name the file.  Leading/trailing spaces in column names are
    removed; the file itself is never modified.

    Parameters
    ----------
    path : str or Path
        The file to read (``.csv``, ``.tsv``, ``.txt``, ``.xlsx``, ``.xlsm``, ``.xls``).
    sheet : str or int, optional
        Excel sheet name or index (default the first sheet).
    what : str
        What the file is, for messages (e.g. ``"results table"``).

    Examples
    --------
    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "t.csv")
    >>> _ = open(p, "w").write("lot,value\\nA,1.5\\n")
    >>> read_table(p).shape
    (1, 2)
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
    try:
        if suffix in {".xlsx", ".xlsm", ".xls"}:
            df = pd.read_excel(p, sheet_name=sheet)
        else:
            sep = "\t" if suffix == ".tsv" else None
            df = pd.read_csv(p, sep=sep, engine="python", skipinitialspace=True)
    except InputError:
        raise
    except Exception as exc:  # pandas raises many types; all mean "cannot parse"
        raise InputError(f"{what} file '{p.name}' could not be read as a table: {exc}") from None
    if df.shape[1] == 0 or df.shape[0] == 0:
        raise InputError(f"{what} file '{p.name}' has no data rows")
    # pandas renames repeated headers ('a', 'a.1'): check the header row as written
    try:
        if suffix in {".xlsx", ".xlsm", ".xls"}:
            header = pd.read_excel(p, sheet_name=sheet, header=None, nrows=1).iloc[0].tolist()
        else:
            header = pd.read_csv(p, sep=sep, engine="python", header=None, nrows=1).iloc[0].tolist()
    except Exception:
        header = list(df.columns)
    header = [str(c).strip() for c in header]
    df.columns = [str(c).strip() for c in df.columns]
    dupes = [c for c in header if header.count(c) > 1]
    if dupes:
        raise InputError(f"{what} file '{p.name}': duplicated column name(s) {sorted(set(dupes))}")
    df.attrs["source"] = p.name
    return df


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
