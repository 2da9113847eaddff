"""The :class:`Design` container, the lab worksheet and helpers shared by the design builders."""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from pdkit.io.files import atomic_path
from pdkit.io.tables import plain_column_name, source_name
from pdkit.errors import InputError
from pdkit.escape import FORMULA_PREFIXES, spreadsheet_frame
from pdkit.doe.factors import Factor
from pdkit.results import ResultMixin

__all__ = ['Design', 'from_worksheet', 'FACTOR_LETTERS',
           # helpers shared by the design builders of pdkit.doe.designs
           'assemble', 'check_seed', 'check_int', 'renumber_runs', 'actual_from_coded', 'two_level_only',
           'continuous_only', 'two_level_full', 'with_center', 'replicate_runs', 'rows_to_frame', 'index_to_coded']


#: Letters used for factors in generators and defining relations (I is skipped).
FACTOR_LETTERS = "ABCDEFGHJKLMNOPQRSTUVWXYZ"


def from_worksheet(table: pd.DataFrame, source: str | None = None) -> pd.DataFrame:
    """Results entered on a :meth:`Design.to_worksheet` sheet, with analysis-ready column names.

    The worksheet's headers are for people: ``Run``, ``Std order``, ``Block``,
    ``Point type`` and factor columns headed ``name (units)``.  This returns a copy
    with ``run``, ``std_order``, ``block``, ``point_type`` and the factors' own
    names (the units go to ``result.attrs["units"]``), so that
    :func:`pdkit.doe.fit` and the ``doe_analysis`` template find the factors.
    Other columns (responses, plain tables) are kept as they are.

    Raises
    ------
    InputError
        Two headers would get the same name (e.g. ``temp (degC)`` and ``temp``).

    Examples
    --------
    >>> import pandas as pd
    >>> sheet = pd.DataFrame({"Run": [1, 2], "Block": [1, 1], "temp (degC)": [30, 37], "titer": [1.0, 2.0]})
    >>> t = from_worksheet(sheet)
    >>> list(t.columns), t.attrs["units"]
    (['run', 'block', 'temp', 'titer'], {'temp': 'degC'})
    """
    src = source or source_name(table)
    names, units = {}, {}
    for col in table.columns:
        names[col], unit = plain_column_name(col)
        if unit is not None:
            units[names[col]] = unit
    seen: dict[Any, Any] = {}
    for col, new in names.items():
        if new in seen:
            raise InputError(f"{src}: columns '{seen[new]}' and '{col}' would both be read as '{new}'; "
                             "rename one of them")
        seen[new] = col
    out = table.rename(columns=names)
    out.attrs = dict(table.attrs)
    out.attrs["units"] = units
    return out


# ----------------------------------------------------------------------------
# Design container
# ----------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class Design(ResultMixin):
    """An experimental design: settings per run plus how it was built.

    Attributes
    ----------
    name : str
        Design name, e.g. ``"2^(5-1) fractional factorial"``.
    factors : tuple of Factor
    coded : DataFrame
        Coded settings, one row per run in run order (index 1..N named ``run``).
    actual : DataFrame
        The same settings in declared units (categorical as level labels).
    run_order : ndarray of int
        1..N.
    std_order : ndarray of int
        Position of each run in the standard (construction) order, 1-based.
    blocks : ndarray of int
        Block number of each run (all 1 when the design is not blocked).
    point_type : ndarray of str
        ``"factorial"``, ``"axial"``, ``"center"``, ``"edge"`` (Box-Behnken),
        ``"fold"`` (definitive screening), ``"optimal"``, ``"lhs"``.
    seed : int or None
        Seed of the randomisation (``None`` = standard order).  For
        :func:`optimal_design` and :func:`latin_hypercube` the seed of the search.
    generators, defining_relation : tuple of str
        Fractional factorials only.
    resolution : int or None
        Audited resolution of a regular fraction (``None`` for full factorials
        and non-regular designs).
    word_length_pattern : tuple of int
        (A3, A4, ...) counts of defining words by length.
    aliases : DataFrame or None
        Alias chains of the main effects and two-factor interactions.
    details : mapping
        Builder-specific facts (e.g. ``alpha`` of a CCD, criterion value).
    """

    _frame_from = "table"

    name: str
    factors: tuple
    coded: pd.DataFrame
    actual: pd.DataFrame
    run_order: np.ndarray
    std_order: np.ndarray
    blocks: np.ndarray
    point_type: np.ndarray
    seed: int | None = None
    generators: tuple = ()
    defining_relation: tuple = ()
    resolution: int | None = None
    word_length_pattern: tuple = ()
    aliases: pd.DataFrame | None = None
    details: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def n_runs(self) -> int:
        """Number of runs."""
        return len(self.coded)

    @property
    def factor_names(self) -> list[str]:
        return [f.name for f in self.factors]

    @property
    def table(self) -> pd.DataFrame:
        """Run order, standard order, block, point type and actual settings in one table."""
        t = pd.DataFrame(
            {
                "run_order": self.run_order,
                "std_order": self.std_order,
                "block": self.blocks,
                "point_type": self.point_type,
            },
            index=self.coded.index,
        )
        return pd.concat([t, self.actual], axis=1)

    def standard(self) -> "Design":
        """The same design in standard order (``seed=None``)."""
        return self._reorder(None)

    def randomized(self, seed: int | None) -> "Design":
        """A copy with the run order randomised within blocks by ``seed``.

        ``seed=None`` returns the standard order.

        Examples
        --------
        >>> from pdkit.doe.factors import Factor
        >>> from pdkit.doe.designs import full_factorial
        >>> d = full_factorial([Factor("A", 0, 1), Factor("B", 0, 1)])
        >>> r = d.randomized(1)
        >>> sorted(r.std_order.tolist()), r.seed
        ([1, 2, 3, 4], 1)
        """
        return self._reorder(check_seed(seed))

    def _reorder(self, seed: int | None) -> "Design":
        back = np.argsort(self.std_order, kind="stable")
        order = _run_permutation(self.blocks[back], seed)
        rows = back[order]
        return replace(
            self,
            coded=renumber_runs(self.coded.iloc[rows]),
            actual=renumber_runs(self.actual.iloc[rows]),
            std_order=self.std_order[rows],
            blocks=self.blocks[rows],
            point_type=self.point_type[rows],
            seed=seed,
        )

    def to_worksheet(self, path: str | Path, responses: Sequence[str] = ()) -> Path:
        """Write a lab worksheet (CSV or Excel by suffix), atomically.

        Columns: ``Run``, ``Std order``, ``Block``, ``Point type`` (bookkeeping,
        read back as ``run``, ``std_order``, ``block``, ``point_type`` by
        :func:`from_worksheet`), one column per factor with its actual settings
        (header ``name (units)``; categorical factors as their level names), then
        one empty column per response.  For a design augmented from a worksheet
        (:func:`pdkit.doe.augment`), the kept runs' response values (and any other
        columns of the old sheet) are written back beside them; the new runs' cells
        are empty.  The file is written to a temporary file in the
        same folder and renamed, so a crash never leaves half a worksheet.

        No cell can become a live formula (OWASP "CSV injection"): in a CSV, text
        cells and headers that start with ``=``, ``+``, ``-``, ``@``, tab or carriage
        return get a leading apostrophe (:func:`pdkit.escape.spreadsheet_cell`); in
        an xlsx every text cell is stored as a string (never as a formula) and
        those starting with such a character are marked "quote prefix", as Excel
        does for text typed after an apostrophe.  Numbers are written as they are.

        Parameters
        ----------
        path : str or Path
            ``.csv`` or ``.xlsx``.
        responses : sequence of str
            Names of the (empty) response columns to add.

        Returns
        -------
        Path
            The path written.

        Examples
        --------
        >>> import tempfile, os
        >>> from pdkit.doe.factors import Factor
        >>> from pdkit.doe.designs import full_factorial
        >>> d = full_factorial([Factor("temp", 30, 37, units="degC"), Factor("ph", 6.8, 7.4)])
        >>> p = d.to_worksheet(os.path.join(tempfile.mkdtemp(), "ws.csv"), responses=["titer"])
        >>> open(p).readline().strip()
        'Run,Std order,Block,Point type,temp (degC),ph,titer'
        >>> p = d.to_worksheet(os.path.join(tempfile.mkdtemp(), "ws.csv"), responses=["=1+1"])
        >>> open(p).readline().strip()
        "Run,Std order,Block,Point type,temp (degC),ph,'=1+1"
        """
        p = Path(path)
        suffix = p.suffix.lower()
        if suffix not in (".csv", ".xlsx"):
            raise InputError(f"worksheet path '{p}': expected a .csv or .xlsx file name, got suffix '{p.suffix}'")
        if not p.parent.exists():
            raise InputError(f"worksheet path '{p}': folder '{p.parent}' does not exist")
        if isinstance(responses, str):
            responses = [responses]
        ws = pd.DataFrame(
            {
                "Run": self.run_order,
                "Std order": self.std_order,
                "Block": self.blocks,
                "Point type": self.point_type,
            }
        )
        for f in self.factors:
            col = self.actual[f.name].to_numpy()
            if f.is_continuous:
                col = np.round(col.astype(float), 10)
            ws[f.label()] = col
        for r in responses:
            r = str(r)
            if not r.strip():
                raise InputError("worksheet responses: response names must be non-empty")
            if r in ws.columns:
                raise InputError(f"worksheet responses: response column '{r}' clashes with an existing column")
            ws[r] = pd.Series([None] * len(ws), dtype=object)
        kept = self.details.get("kept_values")
        if isinstance(kept, pd.DataFrame) and len(kept.columns):
            # an augmented design: the results of the runs already done are written back beside them
            for c in kept.columns:
                if c not in ws.columns:
                    ws[c] = pd.Series([None] * len(ws), dtype=object)
                vals = kept[c].astype(object).where(kept[c].notna(), None).to_list()
                ws[c] = pd.Series(vals + ws[c].iloc[len(vals):].to_list(), dtype=object)
        with atomic_path(p) as tmp:
            if suffix == ".csv":
                spreadsheet_frame(ws).to_csv(tmp, index=False)
            else:
                with pd.ExcelWriter(tmp, engine="openpyxl") as writer:
                    ws.to_excel(writer, index=False, sheet_name="Design")
                    _text_cells_only(writer.sheets["Design"])
        return p


# ----------------------------------------------------------------------------
# helpers shared by the builders
# ----------------------------------------------------------------------------
def _text_cells_only(sheet: Any) -> None:
    """Store every text cell of an openpyxl worksheet as a string, never as a formula."""
    for row in sheet.iter_rows():
        for cell in row:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # openpyxl takes a string starting with '=' for a formula
                if cell.value.startswith(FORMULA_PREFIXES):
                    cell.quotePrefix = True


def check_seed(seed: Any, where: str = "seed") -> int | None:
    """A validated random seed (None or a non-negative int); InputError naming ``where`` otherwise.

    Examples
    --------
    >>> check_seed(3), check_seed(None)
    (3, None)
    """
    if seed is None:
        return None
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise InputError(f"{where}: expected None or a non-negative integer, got {seed!r}")
    return int(seed)


def check_int(value: Any, name: str, minimum: int = 0) -> int:
    """A validated integer ``>= minimum``; InputError naming parameter ``name`` otherwise.

    Examples
    --------
    >>> check_int(4, "center")
    4
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise InputError(f"{name}: expected an integer >= {minimum}, got {value!r}")
    return int(value)


def _run_permutation(blocks: np.ndarray, seed: int | None) -> np.ndarray:
    """Indices putting runs in block order; randomised within blocks when seed is given."""
    order = np.argsort(blocks, kind="stable")
    if seed is None:
        return order
    rng = np.random.default_rng(seed)
    out = []
    for b in np.unique(blocks):
        idx = order[blocks[order] == b]
        out.append(rng.permutation(idx))
    return np.concatenate(out)


def renumber_runs(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` indexed by run number 1..n (index name ``run``)."""
    df = df.copy()
    df.index = pd.RangeIndex(1, len(df) + 1, name="run")
    return df


def actual_from_coded(coded: pd.DataFrame, factors: Sequence[Factor]) -> pd.DataFrame:
    """Coded settings -> actual units (categorical factors as level labels)."""
    out = {}
    for f in factors:
        col = coded[f.name].to_numpy()
        if f.is_continuous:
            out[f.name] = f.to_actual(col.astype(float))
        elif len(f.levels) == 2:
            out[f.name] = f.to_actual(col.astype(float))
        else:
            out[f.name] = col.astype(object)
    return pd.DataFrame(out, index=coded.index)


def assemble(
    name: str,
    factors: Sequence[Factor],
    coded_std: np.ndarray | pd.DataFrame,
    blocks: np.ndarray | None = None,
    point_type: Sequence[str] | None = None,
    seed: int | None = None,
    **meta: Any,
) -> Design:
    """Build a Design from settings in standard order."""
    if isinstance(coded_std, pd.DataFrame):
        coded = coded_std.reset_index(drop=True)
    else:
        arr = np.asarray(coded_std, dtype=float)
        coded = pd.DataFrame({f.name: arr[:, j] for j, f in enumerate(factors)})
    n = len(coded)
    blocks = np.ones(n, dtype=int) if blocks is None else np.asarray(blocks, dtype=int)
    ptype = np.array(["factorial"] * n if point_type is None else list(point_type), dtype=object)
    order = _run_permutation(blocks, seed)
    coded = renumber_runs(coded.iloc[order])
    actual = actual_from_coded(coded, factors)
    details = MappingProxyType(dict(meta.pop("details", {}) or {}))
    return Design(
        name=name,
        factors=tuple(factors),
        coded=coded,
        actual=actual,
        run_order=np.arange(1, n + 1),
        std_order=order + 1,
        blocks=blocks[order],
        point_type=ptype[order],
        seed=seed,
        details=details,
        **meta,
    )


def two_level_only(factors: Sequence[Factor], builder: str) -> None:
    """Raise InputError when a categorical factor has more than two levels (two-level designs)."""
    bad = [f.name for f in factors if not f.is_continuous and len(f.levels) != 2]
    if bad:
        raise InputError(f"{builder}: factor(s) {bad} have more than two levels; this design needs two-level factors")


def continuous_only(factors: Sequence[Factor], builder: str) -> None:
    """Raise InputError when a factor is categorical (response-surface designs)."""
    bad = [f.name for f in factors if not f.is_continuous]
    if bad:
        raise InputError(f"{builder}: factor(s) {bad} are categorical; this design needs continuous factors")


def two_level_full(k: int) -> np.ndarray:
    """2^k full factorial in standard (Yates) order: the first factor changes fastest."""
    runs = np.arange(2**k)
    return np.column_stack([np.where((runs >> j) & 1, 1.0, -1.0) for j in range(k)]) if k else np.zeros((1, 0))


def with_center(rows: np.ndarray, factors: Sequence[Factor], center: int, blocks: np.ndarray):
    """Append centre runs (spread evenly over blocks). Returns rows, blocks, point types."""
    ptype = ["factorial"] * len(rows)
    if center == 0:
        return rows, blocks, ptype
    if any(not f.is_continuous for f in factors):
        raise InputError("center: centre points need all factors continuous; set center=0 with categorical factors")
    ub = np.unique(blocks)
    extra_rows, extra_blocks = [], []
    for i in range(center):
        extra_rows.append(np.zeros(rows.shape[1]))
        extra_blocks.append(ub[i % len(ub)])
    rows = np.vstack([rows, np.array(extra_rows)])
    blocks = np.concatenate([blocks, np.array(extra_blocks, dtype=int)])
    return rows, blocks, ptype + ["center"] * center


def replicate_runs(rows: np.ndarray, blocks: np.ndarray, ptype: list[str], replicates: int):
    """Rows, blocks and point types repeated ``replicates`` times."""
    if replicates == 1:
        return rows, blocks, ptype
    return np.vstack([rows] * replicates), np.concatenate([blocks] * replicates), ptype * replicates


def rows_to_frame(rows: np.ndarray, factors: Sequence[Factor]) -> pd.DataFrame:
    """Numeric settings (categorical as -1/+1 or level index) -> coded frame with labels for >2 levels."""
    cols = {}
    for j, f in enumerate(factors):
        v = rows[:, j]
        if not f.is_continuous and len(f.levels) > 2:
            cols[f.name] = np.array([f.levels[int(round(x))] for x in v], dtype=object)
        else:
            cols[f.name] = v.astype(float)
    return pd.DataFrame(cols)


def index_to_coded(S: np.ndarray, factors: Sequence[Factor]) -> np.ndarray:
    """Numeric settings with level indices -> -1/+1 for two-level categorical factors."""
    S = S.copy()
    for j, f in enumerate(factors):
        if not f.is_continuous and len(f.levels) == 2:
            S[:, j] = 2 * S[:, j] - 1
    return S
