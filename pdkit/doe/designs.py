"""Design builders: factorial, fractional factorial, screening, response-surface, optimal, space-filling.

Every builder returns a :class:`Design` whose ``coded`` table holds one row per
run in run order (continuous factors in coded units, -1 = ``low``, +1 =
``high``; a two-level categorical factor as -1/+1 in level order; a categorical
factor with more than two levels as its level labels) and whose ``actual`` table
holds the same settings in the factors' declared units (categorical factors as
level labels).

Run order
    ``seed=None`` keeps the standard (Yates / construction) order, grouped by
    block; an integer ``seed`` randomises the run order within each block with
    :func:`numpy.random.default_rng`.  :meth:`Design.randomized` re-randomises an
    existing design.

Conventions and sources
    * Fractional factorials: generators are written with factor letters A, B, C,
      ... (I is skipped, as in Montgomery and the NIST/SEMATECH e-Handbook) or
      with factor names joined by ``*``/``:``, e.g. ``"E=ABCD"``.  The defining
      relation, word-length pattern and resolution are always recomputed from
      the generators (an *audit*), never taken from a table.
    * Generators chosen by resolution come from the minimum-aberration table of
      Montgomery, *Design and Analysis of Experiments* (8th ed., Table 8.14;
      the same designs as Box, Hunter & Hunter 2005, Table 6.22); cases not in
      the table are found by searching generator sets for maximum resolution and
      minimum aberration.
    * Plackett & Burman (1946) generating rows for 12, 20 and 24 runs; Sylvester
      doubling and Paley constructions for other multiples of four.
    * Central composite designs: Box & Wilson (1951); rotatable alpha F**(1/4)
      (Box & Hunter 1957); orthogonal alpha and orthogonal blocking as in Myers,
      Montgomery & Anderson-Cook, *Response Surface Methodology* (3rd ed., 7.4).
    * Box-Behnken designs: Box & Behnken (1960), Technometrics 2:455-475.
    * Definitive screening designs: Jones & Nachtsheim (2011), JQT 43:1-15, from
      Paley conference matrices; two-level categorical factors after Jones &
      Nachtsheim (2013), JQT 45:121-129.
    * Optimal designs: coordinate exchange, Meyer & Nachtsheim (1995),
      Technometrics 37:60-69.

Examples
--------
>>> from pdkit.doe.factors import Factor
>>> fs = [Factor("A", 0, 1), Factor("B", 0, 1), Factor("C", 0, 1), Factor("D", 0, 1), Factor("E", 0, 1)]
>>> d = fractional_factorial(fs, generators=["E=ABCD"])
>>> d.resolution, d.defining_relation
(5, ('I = ABCDE',))
>>> len(d.coded)
16
"""
from __future__ import annotations

import itertools
import math
import os
import re
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any, Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from pdkit.io.tables import plain_column_name, source_name
from pdkit.errors import InputError
from pdkit.escape import FORMULA_PREFIXES, spreadsheet_frame
from pdkit.doe.factors import Factor, as_factors
from pdkit.doe.model import model_terms, term_columns

__all__ = [
    "Design",
    "full_factorial",
    "fractional_factorial",
    "plackett_burman",
    "central_composite",
    "box_behnken",
    "definitive_screening",
    "optimal_design",
    "latin_hypercube",
    "conference_matrix",
    "hadamard_matrix",
    "from_worksheet",
    "defining_relation",
    "FACTOR_LETTERS",
]

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
class Design:
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
        >>> d = full_factorial([Factor("A", 0, 1), Factor("B", 0, 1)])
        >>> r = d.randomized(1)
        >>> sorted(r.std_order.tolist()), r.seed
        ([1, 2, 3, 4], 1)
        """
        return self._reorder(_check_seed(seed))

    def _reorder(self, seed: int | None) -> "Design":
        back = np.argsort(self.std_order, kind="stable")
        order = _run_permutation(self.blocks[back], seed)
        rows = back[order]
        return replace(
            self,
            coded=_renumber(self.coded.iloc[rows]),
            actual=_renumber(self.actual.iloc[rows]),
            std_order=self.std_order[rows],
            blocks=self.blocks[rows],
            point_type=self.point_type[rows],
            seed=seed,
        )

    def to_worksheet(self, path: str | Path, responses: Sequence[str] = ()) -> Path:
        """Write a lab worksheet (CSV or Excel by suffix), atomically.

        Columns: ``Run``, ``Std order``, ``Block``, ``Point type``, one column per
        factor with its actual settings (header ``name (units)``), then one empty
        column per response.  The file is written to a temporary file in the
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
        fd, tmp = tempfile.mkstemp(dir=p.parent, prefix=f".{p.stem}.", suffix=suffix)
        os.close(fd)
        try:
            if suffix == ".csv":
                spreadsheet_frame(ws).to_csv(tmp, index=False)
            else:
                with pd.ExcelWriter(tmp, engine="openpyxl") as writer:
                    ws.to_excel(writer, index=False, sheet_name="Design")
                    _text_cells_only(writer.sheets["Design"])
            os.replace(tmp, p)
        finally:
            if os.path.exists(tmp):
                os.remove(tmp)
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


def _check_seed(seed: Any, where: str = "seed") -> int | None:
    if seed is None:
        return None
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise InputError(f"{where}: expected None or a non-negative integer, got {seed!r}")
    return int(seed)


def _check_int(value: Any, name: str, minimum: int = 0) -> int:
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


def _renumber(df: pd.DataFrame) -> pd.DataFrame:
    df = df.copy()
    df.index = pd.RangeIndex(1, len(df) + 1, name="run")
    return df


def _actual_from_coded(coded: pd.DataFrame, factors: Sequence[Factor]) -> pd.DataFrame:
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


def _assemble(
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
    coded = _renumber(coded.iloc[order])
    actual = _actual_from_coded(coded, factors)
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


def _two_level_only(factors: Sequence[Factor], builder: str) -> None:
    bad = [f.name for f in factors if not f.is_continuous and len(f.levels) != 2]
    if bad:
        raise InputError(f"{builder}: factor(s) {bad} have more than two levels; this design needs two-level factors")


def _continuous_only(factors: Sequence[Factor], builder: str) -> None:
    bad = [f.name for f in factors if not f.is_continuous]
    if bad:
        raise InputError(f"{builder}: factor(s) {bad} are categorical; this design needs continuous factors")


def _two_level_full(k: int) -> np.ndarray:
    """2^k full factorial in standard (Yates) order: the first factor changes fastest."""
    runs = np.arange(2**k)
    return np.column_stack([np.where((runs >> j) & 1, 1.0, -1.0) for j in range(k)]) if k else np.zeros((1, 0))


def _with_center(rows: np.ndarray, factors: Sequence[Factor], center: int, blocks: np.ndarray):
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


def _popcount(x: int) -> int:
    return bin(x).count("1")


def _word(mask: int, names: Sequence[str]) -> str:
    letters = [names[j] for j in range(len(names)) if (mask >> j) & 1]
    if all(len(n) == 1 for n in names):
        return "".join(letters)
    return ":".join(letters)


def _letters(k: int) -> list[str]:
    if k > len(FACTOR_LETTERS):
        return [f"X{j + 1}" for j in range(k)]
    return list(FACTOR_LETTERS[:k])


def _group(words: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """All products of signed words (mask, sign), including the identity (0, 1)."""
    out = {0: 1}
    for w, s in words:
        new = {}
        for m, t in out.items():
            new[m ^ w] = t * s
        out.update(new)
    return sorted(out.items(), key=lambda kv: (_popcount(kv[0]), kv[0]))


def _wlp(group_masks: Sequence[int], k: int) -> tuple[int, ...]:
    lengths = [_popcount(m) for m in group_masks if m]
    return tuple(lengths.count(L) for L in range(3, k + 1))


def _resolution(group_masks: Sequence[int]) -> int | None:
    lengths = [_popcount(m) for m in group_masks if m]
    return min(lengths) if lengths else None


def defining_relation(generators: Sequence[str], factor_names: Sequence[str]) -> dict[str, Any]:
    """Defining relation, word-length pattern and resolution computed from generators.

    Parameters
    ----------
    generators : list of str
        E.g. ``["E=ABCD"]`` (letters by factor position, I skipped) or
        ``["E = A*B*C*D"]`` with factor names.
    factor_names : list of str
        All factor names, in order.

    Returns
    -------
    dict with ``words`` (list of (mask, sign)), ``relation`` (e.g. ``['I = ABCDE']``),
    ``word_length_pattern`` (A3, A4, ...), ``resolution``, ``generated`` (dict
    factor index -> (mask over base factors, sign)).

    Examples
    --------
    >>> r = defining_relation(["E=ABC", "F=BCD"], list("ABCDEF"))
    >>> r["relation"], r["resolution"]
    (['I = ABCE = BCDF = ADEF'], 4)
    """
    k = len(factor_names)
    gen = _parse_generators(generators, factor_names)
    words = [(mask | (1 << g), sign) for g, (mask, sign) in gen.items()]
    grp = _group(words)
    rel = "I = " + " = ".join(("-" if s < 0 else "") + _word(m, factor_names) for m, s in grp if m)
    masks = [m for m, _ in grp]
    return {
        "words": grp,
        "relation": [rel],
        "word_length_pattern": _wlp(masks, k),
        "resolution": _resolution(masks),
        "generated": gen,
    }


def _parse_generators(generators: Sequence[str], names: Sequence[str]) -> dict[int, tuple[int, int]]:
    if isinstance(generators, str):
        generators = [generators]
    k = len(names)
    letters = _letters(k)
    index = {n: i for i, n in enumerate(names)}

    def lookup(tok: str, g: str) -> int:
        if tok in index:
            return index[tok]
        if tok in letters:
            return letters.index(tok)
        raise InputError(f"generator '{g}': unknown factor '{tok}' (factors: {', '.join(names)}; letters {''.join(letters)})")

    out: dict[int, tuple[int, int]] = {}
    for g in generators:
        if not isinstance(g, str) or g.count("=") != 1:
            raise InputError(f"generator {g!r}: expected the form 'E=ABCD' (one '=')")
        lhs, rhs = (s.strip() for s in g.split("="))
        target = lookup(lhs, g)
        sign = 1
        rhs = rhs.replace(" ", "")
        while rhs[:1] in "+-" and rhs:
            sign *= -1 if rhs[0] == "-" else 1
            rhs = rhs[1:]
        if not rhs:
            raise InputError(f"generator '{g}': empty right-hand side")
        if re.search(r"[*:]", rhs):
            toks = [t for t in re.split(r"[*:]", rhs) if t]
        elif rhs in index:
            toks = [rhs]
        else:
            toks = list(rhs)
        mask = 0
        for t in toks:
            j = lookup(t, g)
            if mask >> j & 1:
                raise InputError(f"generator '{g}': factor '{t}' repeats")
            mask |= 1 << j
        if target in out:
            raise InputError(f"generator '{g}': factor '{names[target]}' is generated twice")
        out[target] = (mask, sign)
    for t, (mask, _) in out.items():
        used = [names[j] for j in range(k) if mask >> j & 1 and j in out]
        if used:
            raise InputError(
                f"generator for '{names[t]}': uses generated factor(s) {used}; write generators in terms of base factors only"
            )
        if _popcount(mask) < 2:
            raise InputError(
                f"generator for '{names[t]}': needs an interaction of at least two base factors, "
                "otherwise two main effects are aliased"
            )
    return out


# Minimum-aberration generators, Montgomery DAE 8th ed. Table 8.14 (letters of the
# base factors); keyed by (k, p) -> (generators, resolution stated in the table).
# The resolution stated here is checked against the audit in _fraction_generators.
_MA_TABLE: dict[tuple[int, int], tuple[tuple[str, ...], int]] = {
    (3, 1): (("C=AB",), 3),
    (4, 1): (("D=ABC",), 4),
    (5, 1): (("E=ABCD",), 5),
    (5, 2): (("D=AB", "E=AC"), 3),
    (6, 1): (("F=ABCDE",), 6),
    (6, 2): (("E=ABC", "F=BCD"), 4),
    (6, 3): (("D=AB", "E=AC", "F=BC"), 3),
    (7, 1): (("G=ABCDEF",), 7),
    (7, 2): (("F=ABCD", "G=ABDE"), 4),
    (7, 3): (("E=ABC", "F=BCD", "G=ACD"), 4),
    (7, 4): (("D=AB", "E=AC", "F=BC", "G=ABC"), 3),
    (8, 2): (("G=ABCD", "H=ABEF"), 5),
    (8, 3): (("F=ABC", "G=ABD", "H=BCDE"), 4),
    (8, 4): (("E=BCD", "F=ACD", "G=ABC", "H=ABD"), 4),
    (9, 2): (("H=ACDFG", "J=BCEFG"), 6),
    (9, 3): (("G=ABCD", "H=ACEF", "J=CDEF"), 4),
    (9, 4): (("F=BCDE", "G=ACDE", "H=ABDE", "J=ABCE"), 4),
    (9, 5): (("E=ABC", "F=BCD", "G=ACD", "H=ABD", "J=ABCD"), 3),
    (10, 3): (("H=ABCG", "J=BCDE", "K=ACDF"), 5),
    (10, 4): (("G=BCDF", "H=ACDF", "J=ABDE", "K=ABCE"), 4),
    (10, 5): (("F=ABCD", "G=ABCE", "H=ABDE", "J=ACDE", "K=BCDE"), 4),
    (10, 6): (("E=ABC", "F=BCD", "G=ACD", "H=ABD", "J=ABCD", "K=AB"), 3),
    (11, 5): (("G=CDE", "H=ABCD", "J=ABF", "K=BDEF", "L=ADEF"), 4),
    (11, 6): (("F=ABC", "G=BCD", "H=CDE", "J=ACD", "K=ADE", "L=BDE"), 4),
    (11, 7): (("E=ABC", "F=BCD", "G=ACD", "H=ABD", "J=ABCD", "K=AB", "L=AC"), 3),
}

_SEARCH_LIMIT = 20000


def _search_generators(k: int, p: int) -> tuple[str, ...] | None:
    """Minimum-aberration generators by search (exhaustive when small, else greedy)."""
    n = k - p
    letters = _letters(k)
    cands = [m for m in range(1, 2**n) if _popcount(m) >= 2]
    cands.sort(key=lambda m: (-_popcount(m), m))
    if len(cands) < p:
        return None

    def score(masks: Sequence[int]) -> tuple:
        words = [(m | (1 << (n + i)), 1) for i, m in enumerate(masks)]
        grp = [w for w, _ in _group(words)]
        return _wlp(grp, k)

    best = None
    if math.comb(len(cands), p) <= _SEARCH_LIMIT:
        for combo in itertools.combinations(cands, p):
            s = score(combo)
            if best is None or s < best[0]:
                best = (s, combo)
    else:
        # greedy build-up (balanced word lengths first), then single-generator swaps while the WLP improves
        chosen: list[int] = []
        mid = n / 2 + 1
        order = sorted(cands, key=lambda m: (abs(_popcount(m) - mid), m))
        for _ in range(p):
            opts = [(score(chosen + [m]), abs(_popcount(m) - mid), m) for m in order if m not in chosen]
            chosen.append(min(opts)[2])
        cur = score(chosen)
        improved = True
        while improved:
            improved = False
            for i in range(p):
                for m in cands:
                    if m in chosen:
                        continue
                    trial = chosen[:i] + [m] + chosen[i + 1:]
                    s = score(trial)
                    if s < cur:
                        chosen, cur, improved = trial, s, True
        best = (cur, tuple(chosen))
    combo = best[1]
    return tuple(
        f"{letters[n + i]}=" + "".join(letters[j] for j in range(n) if m >> j & 1) for i, m in enumerate(combo)
    )


def _fraction_generators(k: int, p: int) -> tuple[tuple[str, ...], str]:
    if (k, p) in _MA_TABLE:
        gens, stated = _MA_TABLE[(k, p)]
        audit = defining_relation(gens, _letters(k))["resolution"]
        if audit != stated:
            raise RuntimeError(
                f"internal generator table entry 2^({k}-{p}) {gens} states resolution {stated} "
                f"but its defining relation gives resolution {audit}"
            )
        return gens, "Montgomery (2013) Table 8.14"
    gens = _search_generators(k, p)
    if gens is None:
        raise InputError(f"no 2^({k}-{p}) fraction exists: {2 ** (k - p)} runs cannot hold {k} factors")
    return gens, "minimum-aberration search"


_ROMAN = {"III": 3, "IV": 4, "V": 5, "VI": 6, "VII": 7, "VIII": 8}


def _alias_table(grp: Sequence[tuple[int, int]], names: Sequence[str], max_order: int) -> pd.DataFrame:
    k = len(names)
    rows = []
    for order in range(1, max_order + 1):
        for combo in itertools.combinations(range(k), order):
            e = sum(1 << j for j in combo)
            chain = sorted(((e ^ m, s) for m, s in grp if m), key=lambda t: (_popcount(t[0]), t[0]))
            term = ":".join(names[j] for j in combo)
            als = [("-" if s < 0 else "") + ":".join(names[j] for j in range(k) if w >> j & 1) for w, s in chain]
            rows.append({"effect": term, "order": order, "aliases": " = ".join(als) if als else "",
                         "lowest_alias_order": min((_popcount(w) for w, _ in chain), default=None)})
    return pd.DataFrame(rows)


def _block_words(k: int, grp_masks: Sequence[int], n_blocks: int, builder: str) -> list[int]:
    q = int(round(math.log2(n_blocks)))
    if 2**q != n_blocks:
        raise InputError(f"{builder}: blocks must be a power of 2 for a two-level design, got {n_blocks}")
    if q == 0:
        return []

    def eff(w: int) -> int:
        return min(_popcount(w ^ g) for g in grp_masks)

    classes = {}
    for w in range(1, 2**k):
        key = min(w ^ g for g in grp_masks)
        if key not in classes:
            classes[key] = eff(w)
    cands = sorted((c for c, e in classes.items() if e >= 2), key=lambda c: (-classes[c], c))[:24]
    best = None
    for combo in itertools.combinations(cands, q):
        grp = [m for m, _ in _group([(c, 1) for c in combo]) if m]
        effs = [eff(m) for m in grp]
        if min(effs) < 2:
            continue
        s = (min(effs), -effs.count(min(effs)))
        if best is None or s > best[0]:
            best = (s, combo)
    if best is None:
        raise InputError(f"{builder}: cannot split this design into {n_blocks} blocks without confounding main effects")
    return list(best[1])


def _assign_blocks(rows: np.ndarray, words: Sequence[int]) -> np.ndarray:
    b = np.zeros(len(rows), dtype=int)
    for i, w in enumerate(words):
        cols = [j for j in range(rows.shape[1]) if w >> j & 1]
        sign = np.prod(rows[:, cols], axis=1)
        b += (sign > 0).astype(int) << i
    # renumber so that the block containing the first run is block 1, in order of appearance
    _, first = np.unique(b, return_index=True)
    rank = {v: i + 1 for i, v in enumerate(b[np.sort(first)])}
    return np.array([rank[v] for v in b], dtype=int)


def _replicate(rows: np.ndarray, blocks: np.ndarray, ptype: list[str], replicates: int):
    if replicates == 1:
        return rows, blocks, ptype
    return np.vstack([rows] * replicates), np.concatenate([blocks] * replicates), ptype * replicates


def _to_frame(rows: np.ndarray, factors: Sequence[Factor]) -> pd.DataFrame:
    """Numeric settings (categorical as -1/+1 or level index) -> coded frame with labels for >2 levels."""
    cols = {}
    for j, f in enumerate(factors):
        v = rows[:, j]
        if not f.is_continuous and len(f.levels) > 2:
            cols[f.name] = np.array([f.levels[int(round(x))] for x in v], dtype=object)
        else:
            cols[f.name] = v.astype(float)
    return pd.DataFrame(cols)


# ----------------------------------------------------------------------------
# Factorials
# ----------------------------------------------------------------------------
def full_factorial(
    factors: Sequence[Factor],
    levels: int | Sequence[int] | Mapping[str, int] | None = None,
    *,
    replicates: int = 1,
    center: int = 0,
    blocks: int = 1,
    seed: int | None = None,
) -> Design:
    """Full factorial design, two-level or multi-level, with categorical factors.

    Parameters
    ----------
    factors : list of Factor
    levels : int, list or dict, optional
        Number of levels per continuous factor (equally spaced from ``low`` to
        ``high``); default 2.  Categorical factors always use all their levels.
    replicates : int
        Number of complete replicates.
    center : int
        Centre runs (all factors continuous), spread evenly over the blocks.
    blocks : int
        Number of blocks (a power of 2; two-level designs only), confounding the
        highest-order interactions possible (search for the block generators
        whose lowest confounded interaction is of the highest order).
    seed : int, optional
        Randomise the run order within blocks; ``None`` = standard order.

    Examples
    --------
    >>> from pdkit.doe.factors import Factor
    >>> d = full_factorial([Factor("A", 0, 1), Factor("B", 0, 1)], center=2)
    >>> d.coded.to_numpy().tolist()
    [[-1.0, -1.0], [1.0, -1.0], [-1.0, 1.0], [1.0, 1.0], [0.0, 0.0], [0.0, 0.0]]
    """
    factors = as_factors(factors)
    replicates = _check_int(replicates, "replicates", 1)
    center = _check_int(center, "center", 0)
    blocks = _check_int(blocks, "blocks", 1)
    seed = _check_seed(seed)
    k = len(factors)
    if levels is None:
        nlev = [2] * k
    elif isinstance(levels, (int, np.integer)) and not isinstance(levels, bool):
        nlev = [int(levels)] * k
    elif isinstance(levels, Mapping):
        unknown = [n for n in levels if n not in [f.name for f in factors]]
        if unknown:
            raise InputError(f"levels: unknown factor(s) {unknown}")
        nlev = [int(levels.get(f.name, 2)) for f in factors]
    else:
        nlev = list(levels)
        if len(nlev) != k:
            raise InputError(f"levels: expected {k} numbers (one per factor), got {len(nlev)}")
    values = []
    for f, n in zip(factors, nlev):
        if f.is_continuous:
            n = _check_int(n, f"levels for factor '{f.name}'", 2)
            values.append(np.linspace(-1.0, 1.0, n))
        elif len(f.levels) == 2:
            values.append(np.array([-1.0, 1.0]))
        else:
            values.append(np.arange(len(f.levels), dtype=float))
    grid = np.array(list(itertools.product(*reversed(values))), dtype=float)[:, ::-1] if k else np.zeros((1, 0))
    blk = np.ones(len(grid), dtype=int)
    if blocks > 1:
        if any(len(v) != 2 for v in values):
            raise InputError("blocks: blocking is available for two-level full factorials only")
        words = _block_words(k, [0], blocks, "full_factorial")
        blk = _assign_blocks(grid, words)
    rows, blk, ptype = _replicate(grid, blk, ["factorial"] * len(grid), replicates)
    rows, blk, ptype = _with_center(rows, factors, center, blk)
    two = all(len(v) == 2 for v in values)
    name = f"2^{k} full factorial" if two else "x".join(str(len(v)) for v in values) + " full factorial"
    return _assemble(name, factors, _to_frame(rows, factors), blk, ptype, seed,
                     details={"levels": [len(v) for v in values], "replicates": replicates, "center": center})


def fractional_factorial(
    factors: Sequence[Factor],
    resolution: int | str | None = None,
    generators: Sequence[str] | None = None,
    *,
    runs: int | None = None,
    center: int = 0,
    replicates: int = 1,
    blocks: int = 1,
    alias_order: int = 2,
    seed: int | None = None,
) -> Design:
    """Regular two-level fractional factorial 2^(k-p) by resolution, run count or generators.

    The defining relation, word-length pattern, resolution and alias chains
    are computed from the generators actually used (audited), whichever way
    they were chosen.

    Parameters
    ----------
    factors : list of Factor
        Continuous or two-level categorical factors.
    resolution : int or {"III", "IV", "V", ...}, optional
        Smallest design whose audited resolution is at least this.  Generators
        are the minimum-aberration ones (Montgomery Table 8.14, else a search).
    generators : list of str, optional
        Explicit generators, e.g. ``["D=AB", "E=AC"]`` (factor letters by
        position, I skipped) or ``["pH=temp*feed*dose"]`` with names.
    runs : int, optional
        Number of runs (a power of 2) when neither resolution nor generators is given.
    center, replicates, blocks, seed
        As in :func:`full_factorial`; blocks confound interactions chosen so
        that no main effect is confounded with blocks.
    alias_order : int
        Alias chains are listed for effects up to this order (2 = main effects
        and two-factor interactions).

    Examples
    --------
    >>> from pdkit.doe.factors import Factor
    >>> fs = [Factor(n, 0, 1) for n in "ABCDEF"]
    >>> d = fractional_factorial(fs, resolution=4)
    >>> d.name, d.generators, d.defining_relation
    ('2^(6-2) fractional factorial', ('E=ABC', 'F=BCD'), ('I = ABCE = BCDF = ADEF',))
    """
    factors = as_factors(factors)
    _two_level_only(factors, "fractional_factorial")
    k = len(factors)
    names = [f.name for f in factors]
    letters = _letters(k)
    alias_order = _check_int(alias_order, "alias_order", 1)
    source = "user generators"
    if generators is not None:
        if resolution is not None or runs is not None:
            raise InputError("fractional_factorial: give either generators or resolution/runs, not both")
        gens = tuple([generators] if isinstance(generators, str) else generators)
        if not gens:
            raise InputError("generators: expected at least one generator such as 'E=ABCD'")
    else:
        if resolution is None and runs is None:
            raise InputError("fractional_factorial: give resolution (e.g. 4 or 'IV'), runs or generators")
        if resolution is not None:
            res = _ROMAN.get(str(resolution).upper()) if isinstance(resolution, str) else resolution
            if res is None or isinstance(res, bool) or not isinstance(res, (int, np.integer)) or not 3 <= res <= 8:
                raise InputError(f"resolution: expected 3-8 or 'III'-'VIII', got {resolution!r}")
        if runs is not None:
            runs = _check_int(runs, "runs", 2)
            n = int(round(math.log2(runs)))
            if 2**n != runs:
                raise InputError(f"runs: a regular fraction has a power-of-2 number of runs, got {runs}")
            if n > k:
                raise InputError(f"runs: {runs} runs exceed the 2^{k} = {2 ** k} runs of the full factorial")
            if 2**n - 1 < k:
                raise InputError(f"runs: {runs} runs cannot hold {k} two-level factors (at most {2 ** n - 1})")
            ps = [k - n]
        else:
            ps = list(range(k - max(1, math.ceil(math.log2(k + 1))), -1, -1))
        gens = None
        for p in ps:
            if p == 0:
                gens = ()
                break
            g, source = _fraction_generators(k, p)
            audit = defining_relation(g, letters)["resolution"]
            if resolution is None or audit >= res:
                gens = g
                break
        if gens is None:
            raise InputError(f"resolution: no regular fraction of resolution {resolution} found for {k} factors")
        if resolution is not None and runs is not None and gens and defining_relation(gens, letters)["resolution"] < res:
            raise InputError(f"no {runs}-run fraction for {k} factors reaches resolution {resolution}")
    if not gens:
        d = full_factorial(factors, replicates=replicates, center=center, blocks=blocks, seed=seed)
        return d
    rel = defining_relation(gens, names)
    if rel["resolution"] is not None and rel["resolution"] < 3:
        raise InputError(f"generators {list(gens)}: resolution {rel['resolution']} aliases main effects with each other")
    gen = rel["generated"]
    base = [j for j in range(k) if j not in gen]
    full = _two_level_full(len(base))
    rows = np.zeros((len(full), k))
    rows[:, base] = full
    for t, (mask, sign) in gen.items():
        cols = [j for j in range(k) if mask >> j & 1]
        rows[:, t] = sign * np.prod(rows[:, cols], axis=1)
    grp = rel["words"]
    masks = [m for m, _ in grp]
    blk = np.ones(len(rows), dtype=int)
    if blocks > 1:
        blk = _assign_blocks(rows, _block_words(k, masks, _check_int(blocks, "blocks", 1), "fractional_factorial"))
    rows, blk, ptype = _replicate(rows, blk, ["factorial"] * len(rows), _check_int(replicates, "replicates", 1))
    rows, blk, ptype = _with_center(rows, factors, _check_int(center, "center", 0), blk)
    p = len(gen)
    use_letters = letters if any(len(n) > 1 for n in names) else names
    gen_txt = tuple(
        f"{use_letters[t]}=" + ("-" if s < 0 else "") + "".join(use_letters[j] for j in range(k) if m >> j & 1)
        for t, (m, s) in gen.items()
    )
    rel_l = defining_relation(gen_txt, use_letters)["relation"] if use_letters is not names else rel["relation"]
    return _assemble(
        f"2^({k}-{p}) fractional factorial",
        factors,
        _to_frame(rows, factors),
        blk,
        ptype,
        _check_seed(seed),
        generators=gen_txt,
        defining_relation=tuple(rel_l),
        resolution=rel["resolution"],
        word_length_pattern=rel["word_length_pattern"],
        aliases=_alias_table(grp, names, alias_order),
        details={"generator_source": source, "letters": dict(zip(use_letters, names))},
    )


# ----------------------------------------------------------------------------
# Finite fields, Hadamard and conference matrices
# ----------------------------------------------------------------------------
def _prime_power(q: int) -> tuple[int, int] | None:
    if q < 2:
        return None
    for p in range(2, q + 1):
        if q % p == 0:
            e, r = 0, q
            while r % p == 0:
                r //= p
                e += 1
            return (p, e) if r == 1 else None
    return None


def _gf(q: int) -> tuple[np.ndarray, np.ndarray]:
    """Addition and multiplication tables of GF(q), q a prime power (elements 0..q-1)."""
    p, e = _prime_power(q)  # type: ignore[misc]
    digits = np.array([[(x // p**i) % p for i in range(e)] for x in range(q)])
    weights = p ** np.arange(e)
    add = ((digits[:, None, :] + digits[None, :, :]) % p) @ weights
    if e == 1:
        return add, np.outer(np.arange(q), np.arange(q)) % p
    for tail in itertools.product(range(p), repeat=e):  # monic polynomial x^e + tail
        poly = np.array(tail)

        def mul(a, b):
            prod = np.zeros(2 * e - 1, dtype=int)
            for i in range(e):
                prod[i:i + e] += a[i] * b
            prod %= p
            for d in range(2 * e - 2, e - 1, -1):
                c = prod[d]
                if c:
                    prod[d - e:d] = (prod[d - e:d] - c * poly) % p
                    prod[d] = 0
            return prod[:e]

        table = np.array([[mul(digits[a], digits[b]) @ weights for b in range(q)] for a in range(q)])
        if np.all(table[1:, 1:] != 0):
            return add, table
    raise RuntimeError(f"no irreducible polynomial found for GF({q})")  # pragma: no cover


def _paley_core(q: int) -> np.ndarray:
    """Q[i, j] = chi(a_i - a_j), chi the quadratic character of GF(q)."""
    add, mul = _gf(q)
    neg = np.array([int(np.flatnonzero(add[x] == 0)[0]) for x in range(q)])
    squares = {int(mul[x, x]) for x in range(1, q)}
    chi = np.array([0] + [1 if x in squares else -1 for x in range(1, q)])
    diff = add[:, neg]  # diff[i, j] = a_i + (-a_j)
    return chi[diff].astype(float)


def conference_matrix(n: int) -> np.ndarray | None:
    """A conference matrix C of order n (C'C = (n-1) I, zero diagonal), or None if not constructed.

    Paley constructions from GF(q), q = n - 1 a prime power: symmetric for
    q = 1 (mod 4), antisymmetric for q = 3 (mod 4).  Order 2 is [[0, 1], [1, 0]].

    Examples
    --------
    >>> C = conference_matrix(6)
    >>> (C.T @ C).tolist() == (5 * np.eye(6)).tolist()
    True
    """
    if n == 2:
        return np.array([[0.0, 1.0], [1.0, 0.0]])
    q = n - 1
    if q > 400 or _prime_power(q) is None or q % 2 == 0:
        return None
    Q = _paley_core(q)
    eps = 1.0 if q % 4 == 1 else -1.0
    C = np.zeros((n, n))
    C[0, 1:] = 1.0
    C[1:, 0] = eps
    C[1:, 1:] = Q
    return C


def hadamard_matrix(n: int) -> np.ndarray | None:
    """A Hadamard matrix of order n (H'H = n I) by Sylvester doubling or Paley I/II, or None.

    Examples
    --------
    >>> H = hadamard_matrix(12)
    >>> bool(np.allclose(H.T @ H, 12 * np.eye(12)))
    True
    """
    if n == 1:
        return np.ones((1, 1))
    if n == 2:
        return np.array([[1.0, 1.0], [1.0, -1.0]])
    if n % 4:
        return None
    q = n - 1
    pp = _prime_power(q)
    if pp is not None and q % 4 == 3:
        return conference_matrix(n) + np.eye(n)
    q2 = n // 2 - 1
    pp2 = _prime_power(q2)
    if pp2 is not None and q2 % 4 == 1:
        C = conference_matrix(q2 + 1)
        return np.kron(C, np.array([[1.0, 1.0], [1.0, -1.0]])) + np.kron(np.eye(q2 + 1), np.array([[1.0, -1.0], [-1.0, -1.0]]))
    half = hadamard_matrix(n // 2)
    if half is not None:
        return np.block([[half, half], [half, -half]])
    return None


# Plackett & Burman (1946), Biometrika 33:305-325: first rows of the cyclic designs.
_PB_ROWS = {
    12: "++-+++---+-",
    20: "++--++++-+-+----++-",
    24: "+++++-+-++--++--+-+----",
}


def _pb_matrix(n: int) -> np.ndarray | None:
    """n x (n-1) two-level orthogonal array (Plackett-Burman)."""
    if n in _PB_ROWS:
        g = np.array([1.0 if c == "+" else -1.0 for c in _PB_ROWS[n]])
        rows = [np.roll(g, i) for i in range(n - 1)]
        rows.append(-np.ones(n - 1))
        return np.array(rows)
    H = hadamard_matrix(n)
    if H is None:
        return None
    H = H * H[:, [0]]  # first column all +1
    H = H[:, 1:]
    return H * np.where(H[-1] > 0, -1.0, 1.0)  # last run all low, as in the cyclic designs


def plackett_burman(
    factors: Sequence[Factor],
    runs: int | None = None,
    *,
    center: int = 0,
    replicates: int = 1,
    seed: int | None = None,
) -> Design:
    """Plackett-Burman screening design (N a multiple of 4, N > number of factors).

    N = 12, 20, 24 use the cyclic generating rows of Plackett & Burman (1946);
    other N use a normalised Hadamard matrix (Sylvester doubling or Paley).
    The first k columns are used.

    Examples
    --------
    >>> from pdkit.doe.factors import Factor
    >>> d = plackett_burman([Factor(f"x{i}", 0, 1) for i in range(7)])
    >>> d.n_runs, d.name
    (8, 'Plackett-Burman 8 runs')
    """
    factors = as_factors(factors)
    _two_level_only(factors, "plackett_burman")
    k = len(factors)
    if runs is None:
        runs = 4 * (k // 4 + 1)
        while _pb_matrix(runs) is None:
            runs += 4
    runs = _check_int(runs, "runs", 4)
    if runs % 4 or runs <= k:
        raise InputError(f"runs: a Plackett-Burman design needs a multiple of 4 greater than the {k} factors, got {runs}")
    M = _pb_matrix(runs)
    if M is None:
        raise InputError(f"runs: no Plackett-Burman/Hadamard construction available for {runs} runs")
    rows = M[:, :k]
    rows, blk, ptype = _replicate(rows, np.ones(len(rows), dtype=int), ["factorial"] * len(rows),
                                  _check_int(replicates, "replicates", 1))
    rows, blk, ptype = _with_center(rows, factors, _check_int(center, "center", 0), blk)
    return _assemble(f"Plackett-Burman {runs} runs", factors, _to_frame(rows, factors), blk, ptype,
                     _check_seed(seed), details={"source": "Plackett & Burman (1946)" if runs in _PB_ROWS else "Hadamard"})


# ----------------------------------------------------------------------------
# Response-surface designs
# ----------------------------------------------------------------------------
def central_composite(
    factors: Sequence[Factor],
    alpha: str | float = "rotatable",
    center: int | tuple[int, int] | None = None,
    *,
    core_resolution: int | None = None,
    core_generators: Sequence[str] | None = None,
    replicates: int = 1,
    seed: int | None = None,
) -> Design:
    """Central composite design: 2^k (or 2^(k-p)) core, 2k axial runs at +/-alpha, centre runs.

    Parameters
    ----------
    factors : list of Factor (continuous)
    alpha : {"rotatable", "orthogonal", "face", "spherical"} or float
        * ``"rotatable"``: alpha = F**(1/4), F = number of factorial runs;
        * ``"orthogonal"``: unblocked, the alpha making the quadratic columns
          orthogonal, alpha = (F (sqrt(N) - sqrt(F))**2 / 4)**(1/4) with N the
          total runs; blocked (``center`` a tuple), the alpha for orthogonal
          blocking, alpha = sqrt(F (2k + c_a) / (2 (F + c_f)));
        * ``"face"``: alpha = 1 (face-centred);
        * ``"spherical"``: alpha = sqrt(k);
        * a positive number.
    center : int or (int, int), optional
        Number of centre runs; a tuple (c_f, c_a) makes two blocks, the
        factorial block with c_f and the axial block with c_a centre runs.
        Default 4 (unblocked).
    core_resolution, core_generators : optional
        Use a fractional factorial core (resolution V or higher recommended).
    replicates : int
        Replicates of the factorial and axial portions (centre runs are not replicated).
    seed : int, optional
        Randomise run order within blocks.

    Examples
    --------
    >>> from pdkit.doe.factors import Factor
    >>> d = central_composite([Factor("A", 0, 1), Factor("B", 0, 1)], center=5)
    >>> round(d.details["alpha"], 4), d.n_runs
    (1.4142, 13)
    """
    factors = as_factors(factors)
    _continuous_only(factors, "central_composite")
    k = len(factors)
    if k < 2:
        raise InputError(f"central_composite: needs at least 2 factors, got {k}")
    replicates = _check_int(replicates, "replicates", 1)
    if center is None:
        center = 4
    blocked = isinstance(center, tuple)
    if blocked:
        if len(center) != 2:
            raise InputError(f"center: expected an int or a (factorial, axial) tuple, got {center!r}")
        cf = _check_int(center[0], "center (factorial block)", 0)
        ca = _check_int(center[1], "center (axial block)", 0)
    else:
        cf = _check_int(center, "center", 0)
        ca = 0
    if core_resolution is not None or core_generators is not None:
        core = fractional_factorial(factors, resolution=core_resolution, generators=core_generators).standard()
        cube = core.coded.to_numpy(dtype=float)
        core_info = {"core_generators": core.generators, "core_resolution": core.resolution}
    else:
        cube = _two_level_full(k)
        core_info = {}
    cube = np.vstack([cube] * replicates)
    F = len(cube)
    n_axial = 2 * k * replicates
    N = F + n_axial + cf + ca
    if isinstance(alpha, str):
        a = alpha.lower()
        if a == "rotatable":
            value = (F / replicates) ** 0.25  # factorial and axial portions replicated alike
        elif a == "orthogonal":
            if blocked:
                value = math.sqrt(F * (n_axial + ca) / (2 * replicates * (F + cf)))
            else:
                # cov(x_i^2, x_j^2) = 0  <=>  N F = (F + 2 r alpha^2)^2
                value = math.sqrt((math.sqrt(N * F) - F) / (2 * replicates))
        elif a in ("face", "face-centered", "face-centred"):
            value = 1.0
        elif a == "spherical":
            value = math.sqrt(k)
        else:
            raise InputError(f"alpha: expected 'rotatable', 'orthogonal', 'face', 'spherical' or a number, got {alpha!r}")
    else:
        try:
            value = float(alpha)
        except (TypeError, ValueError):
            raise InputError(f"alpha: expected 'rotatable', 'orthogonal', 'face', 'spherical' or a number, got {alpha!r}") from None
        if not np.isfinite(value) or value <= 0:
            raise InputError(f"alpha: expected a positive number, got {alpha!r}")
    axial = np.zeros((2 * k, k))
    for j in range(k):
        axial[2 * j, j] = -value
        axial[2 * j + 1, j] = value
    axial = np.vstack([axial] * replicates)
    rows = np.vstack([cube, np.zeros((cf, k)), axial, np.zeros((ca, k))])
    ptype = ["factorial"] * F + ["center"] * cf + ["axial"] * len(axial) + ["center"] * ca
    if blocked:
        blk = np.array([1] * (F + cf) + [2] * (len(axial) + ca))
    else:
        blk = np.ones(len(rows), dtype=int)
        # centre runs at the end of the standard order
        rows = np.vstack([cube, axial, np.zeros((cf, k))])
        ptype = ["factorial"] * F + ["axial"] * len(axial) + ["center"] * cf
    kind = alpha if isinstance(alpha, str) else "custom"
    return _assemble(
        f"central composite ({kind}, alpha={value:.4g})",
        factors,
        _to_frame(rows, factors),
        blk,
        ptype,
        _check_seed(seed),
        details={"alpha": value, "alpha_kind": kind, "n_factorial": F, "n_axial": len(axial),
                 "n_center": cf + ca, **core_info},
    )


# Box & Behnken (1960) Table 2 / Table 3: factor groups varied together (1-based),
# and the numbers of centre runs they list.
_BBD_GROUPS = {
    3: [(1, 2), (1, 3), (2, 3)],
    4: [(1, 2), (3, 4), (1, 4), (2, 3), (1, 3), (2, 4)],
    5: [(1, 2), (3, 4), (2, 5), (1, 3), (4, 5), (2, 3), (1, 4), (3, 5), (1, 5), (2, 4)],
    6: [(1, 2, 4), (2, 3, 5), (3, 4, 6), (1, 4, 5), (2, 5, 6), (1, 3, 6)],
    7: [(4, 5, 6), (1, 6, 7), (2, 5, 7), (1, 2, 4), (3, 4, 7), (1, 3, 5), (2, 3, 6)],
}
_BBD_CENTER = {3: 3, 4: 3, 5: 6, 6: 6, 7: 6}
#: numbers of orthogonal blocks Box & Behnken (1960) give for each number of factors
_BBD_BLOCKS = {3: (1,), 4: (1, 3), 5: (1, 2), 6: (1, 2), 7: (1, 2)}


def _bbd_block_of(k: int, group_index: int, sub: np.ndarray, blocks: int) -> np.ndarray:
    """Block number of each run of one factor group's 2^2 / 2^3 factorial.

    Pairs (3-5 factors): ``_BBD_GROUPS`` lists the pairs block by block - for 4
    factors three perfect matchings of {1..4}, for 5 factors a 5-cycle and its
    complementary pentagram - so every factor appears equally often in every
    block.  Triples (6, 7 factors): each 2^3 is split into its two half
    fractions by the sign of the three-factor product, as Box & Behnken do.
    """
    if blocks == 1:
        return np.ones(len(sub), dtype=int)
    if k in (6, 7):
        return np.where(sub.prod(axis=1) > 0, 1, 2)
    per_block = len(_BBD_GROUPS[k]) // blocks
    return np.full(len(sub), group_index // per_block + 1, dtype=int)


def box_behnken(
    factors: Sequence[Factor],
    center: int | None = None,
    *,
    blocks: int = 1,
    replicates: int = 1,
    seed: int | None = None,
) -> Design:
    """Box-Behnken design for 3-7 continuous factors (Box & Behnken 1960).

    Each group of factors (pairs for 3-5 factors; the partially balanced
    triples of Box & Behnken for 6 and 7) runs a 2^2 or 2^3 factorial with the
    other factors at their centre.  Default centre runs 3, 3, 6, 6, 6 for 3-7
    factors (Box & Behnken 1960), giving 15, 27, 46, 54, 62 runs.

    ``blocks`` arranges the runs in orthogonal blocks where Box & Behnken give
    them: 3 blocks for 4 factors, 2 blocks for 5, 6 and 7 factors.  Block
    effects are then orthogonal to every term of the full quadratic model, so
    a day-to-day or batch-to-batch shift does not bias any coefficient.  The
    ``center`` runs are shared equally between blocks (so ``center`` must be a
    multiple of ``blocks``); runs are randomised within blocks.

    Examples
    --------
    >>> from pdkit.doe.factors import Factor
    >>> box_behnken([Factor(n, 0, 1) for n in "ABC"]).n_runs
    15
    >>> d = box_behnken([Factor(n, 0, 1) for n in "ABCD"], blocks=3)
    >>> d.n_runs, sorted(set(d.blocks.tolist()))
    (27, [1, 2, 3])
    """
    factors = as_factors(factors)
    _continuous_only(factors, "box_behnken")
    k = len(factors)
    if k not in _BBD_GROUPS:
        raise InputError(f"box_behnken: available for 3 to 7 factors, got {k}")
    center = _BBD_CENTER[k] if center is None else _check_int(center, "center", 0)
    blocks = _check_int(blocks, "blocks", 1)
    if blocks not in _BBD_BLOCKS[k]:
        raise InputError(f"box_behnken: {k} factors can be run in "
                         f"{' or '.join(str(b) for b in _BBD_BLOCKS[k])} orthogonal block(s), got blocks={blocks}")
    if center % blocks:
        raise InputError(f"box_behnken: center={center} cannot be shared equally between {blocks} blocks; "
                         f"give a multiple of {blocks}")
    rows, blk = [], []
    for gi, g in enumerate(_BBD_GROUPS[k]):
        sub = _two_level_full(len(g))
        part = np.zeros((len(sub), k))
        part[:, [j - 1 for j in g]] = sub
        rows.append(part)
        blk.append(_bbd_block_of(k, gi, sub, blocks))
    rows, blk = np.vstack(rows), np.concatenate(blk)
    rows, blk, ptype = _replicate(rows, blk, ["edge"] * len(rows), _check_int(replicates, "replicates", 1))
    per_block = center // blocks
    rows = np.vstack([rows, np.zeros((center, k))])
    blk = np.concatenate([blk, np.repeat(np.arange(1, blocks + 1), per_block)])
    ptype = ptype + ["center"] * center
    order = np.argsort(blk, kind="stable")  # standard order: block by block, centre runs last in each
    rows, blk, ptype = rows[order], blk[order], [ptype[i] for i in order]
    return _assemble(f"Box-Behnken {k} factors" + (f" in {blocks} blocks" if blocks > 1 else ""), factors,
                     _to_frame(rows, factors), blk, ptype, _check_seed(seed),
                     details={"groups": _BBD_GROUPS[k], "n_center": center, "n_blocks": blocks})


# ----------------------------------------------------------------------------
# Definitive screening
# ----------------------------------------------------------------------------
def definitive_screening(
    factors: Sequence[Factor],
    *,
    center: int = 1,
    seed: int | None = None,
) -> Design:
    """Definitive screening design (Jones & Nachtsheim 2011) for continuous and two-level categorical factors.

    The design is a conference matrix C of order n (n = m for an even number
    m of factors, m + 1 for odd m), its fold-over -C and centre run(s):
    2n + ``center`` runs.  When no conference matrix of order n is available
    here (Paley constructions need n - 1 to be an odd prime power; e.g. n = 16,
    22, 34 are not covered), the next available even order is used and the
    extra ("fake") factor columns are dropped, as JMP does.

    Two-level categorical factors (Jones & Nachtsheim 2013): the zero of
    each categorical column in C is set to +1 (and so to -1 in -C), and the
    centre runs come in pairs with every categorical factor at +1 in one and
    -1 in the other (so ``center`` counts pairs).  Main effects then remain
    orthogonal to all two-factor interactions and quadratic effects; main
    effects of categorical and continuous factors are nearly, not exactly,
    orthogonal.  With two or more categorical factors the result depends on
    the sign of the conference matrix's core (Paley's Q or -Q, both valid
    conference matrices): setting the zeros to +1 makes the categorical columns
    correlated through the core's entries.  Both are built and the one with
    the larger main-effects determinant |X'X| is kept (``details
    ["core_sign"]``).  Against the designs Jones & Nachtsheim tabulate (as in
    ``daewr::DefScreen``) this reproduces the published design's correlation
    structure, or improves on it (7 continuous + 2 categorical factors:
    |X'X| 5.59e12 against 5.11e12).

    Examples
    --------
    >>> from pdkit.doe.factors import Factor
    >>> d = definitive_screening([Factor(f"x{i}", 0, 1) for i in range(6)])
    >>> d.n_runs, d.details["conference_order"]
    (13, 6)
    """
    factors = as_factors(factors)
    _two_level_only(factors, "definitive_screening")
    center = _check_int(center, "center", 1)
    m = len(factors)
    if m < 2:
        raise InputError(f"definitive_screening: needs at least 2 factors, got {m}")
    # continuous factors first in the conference columns, then categorical
    cont = [j for j, f in enumerate(factors) if f.is_continuous]
    cat = [j for j, f in enumerate(factors) if not f.is_continuous]
    order = m if m % 2 == 0 else m + 1
    C = conference_matrix(order)
    while C is None:
        order += 2
        C = conference_matrix(order)
    fake = order - m

    def fold_half(core_sign: float) -> np.ndarray:
        Cs = C.copy()
        if core_sign < 0:  # [[0, 1'], [1, -Q]]: also a conference matrix
            Cs[1:, 0] = 1.0
            Cs[1:, 1:] *= -1.0
        half = np.zeros((order, m))
        for pos, j in enumerate(cont + cat):
            half[:, j] = Cs[:, pos]
            if j in cat:
                half[pos, j] = 1.0
        return half

    if cat:  # centre runs in pairs, every categorical factor at +1 in one and -1 in the other
        pair = np.zeros((2, m))
        pair[0, cat], pair[1, cat] = 1.0, -1.0
        centre = np.vstack([pair] * center)
    else:
        centre = np.zeros((center, m))

    def main_effects_det(half: np.ndarray) -> float:
        X = np.column_stack([np.ones(2 * order + len(centre)), np.vstack([half, -half, centre])])
        return float(np.linalg.det(X.T @ X))

    core_sign = 1.0
    cols = fold_half(core_sign)
    if len(cat) >= 2:
        other = fold_half(-1.0)
        if main_effects_det(other) > main_effects_det(cols) * (1 + 1e-9):
            core_sign, cols = -1.0, other
    rows = [cols, -cols, centre]
    ptype = ["fold"] * (2 * order) + ["center"] * len(centre)
    rows = np.vstack(rows)
    return _assemble(
        f"definitive screening {m} factors",
        factors,
        _to_frame(rows, factors),
        np.ones(len(rows), dtype=int),
        ptype,
        _check_seed(seed),
        details={"conference_order": order, "fake_factors": fake, "categorical": [factors[j].name for j in cat],
                 "core_sign": int(core_sign)},
    )


# ----------------------------------------------------------------------------
# Model rows, moments and the coordinate exchange
# ----------------------------------------------------------------------------
class _RowBuilder:
    """Fast model-matrix rows from numeric settings (categorical as level index).

    The model matrix is built in two steps: the *base* matrix ``B`` holds one
    column per coded factor column (a continuous factor, a -1/+1 two-level
    factor, or one effect-coded column per non-last level of a categorical
    factor) plus a trailing column of ones; every model column is then the
    product of at most ``m`` base columns, ``X[:, c] = prod_t B[:, index[c, t]]``
    (missing factors point at the ones column).  Both steps are single numpy
    calls, so a stack of candidate rows costs about as much as one row.
    """

    def __init__(self, terms: Sequence[str], factors: Sequence[Factor]):
        self.terms = list(terms)
        self.factors = list(factors)
        self.mapping = term_columns(self.terms, self.factors)
        self.columns = [c for t in self.terms for c in self.mapping[t]]
        base_names: list[str] = []
        spec: list[tuple[int, int]] = []  # (factor index, -1 continuous / -2 two-level / level index)
        by_factor: dict[str, list[int]] = {}
        for j, f in enumerate(self.factors):
            if f.is_continuous or len(f.levels) == 2:
                by_factor[f.name] = [len(base_names)]
                base_names.append(f.name)
                spec.append((j, -1 if f.is_continuous else -2))
            else:
                by_factor[f.name] = []
                for li, lev in enumerate(f.levels[:-1]):
                    by_factor[f.name].append(len(base_names))
                    base_names.append(f"{f.name}[{lev}]")
                    spec.append((j, li))
        self.base_names = base_names
        self._spec = spec
        ones = len(base_names)
        parts: list[list[int]] = []
        for t in self.terms:
            if t == "Intercept":
                parts.append([])
            elif t.endswith("^2"):
                b = by_factor[t[:-2]][0]
                parts.append([b, b])
            else:
                parts.extend(list(combo) for combo in itertools.product(*(by_factor[n] for n in t.split(":"))))
        m = max([1] + [len(q) for q in parts])
        self.index = np.full((len(parts), m), ones, dtype=np.intp)
        for c, q in enumerate(parts):
            self.index[c, : len(q)] = q
        #: base-column positions of each factor (by factor index)
        self.factor_base = [np.array(by_factor[f.name], dtype=np.intp) for f in self.factors]

    def factor_values(self, j: int, values: np.ndarray) -> np.ndarray:
        """Base columns of factor ``j`` (shape (len(values), n_cols_j)) for numeric settings ``values``."""
        f = self.factors[j]
        v = np.asarray(values, dtype=float)
        if f.is_continuous:
            return v[:, None]
        if len(f.levels) == 2:
            return (2.0 * v - 1.0)[:, None]
        idx = np.rint(v).astype(int)
        last = len(f.levels) - 1
        lev = np.arange(last)
        return np.where(idx[:, None] == lev[None, :], 1.0, np.where(idx[:, None] == last, -1.0, 0.0))

    def base_matrix(self, S: np.ndarray) -> np.ndarray:
        """Base matrix (n, n_base + 1) of numeric settings ``S``; the last column is ones."""
        S = np.atleast_2d(np.asarray(S, dtype=float))
        B = np.ones((len(S), len(self.base_names) + 1))
        for j in range(len(self.factors)):
            B[:, self.factor_base[j]] = self.factor_values(j, S[:, j])
        return B

    def from_base(self, B: np.ndarray) -> np.ndarray:
        """Model rows from a base matrix (any leading shape)."""
        X = B[..., self.index[:, 0]]
        for t in range(1, self.index.shape[1]):
            X = X * B[..., self.index[:, t]]
        return X

    def base(self, S: np.ndarray) -> dict[str, np.ndarray]:
        """Base columns by name (continuous, -1/+1 two-level, effect-coded level columns)."""
        B = self.base_matrix(S)
        return {n: B[:, c] for c, n in enumerate(self.base_names)}

    def __call__(self, S: np.ndarray) -> np.ndarray:
        return self.from_base(self.base_matrix(S))

    def derivatives(self, S: np.ndarray, js: Sequence[int]) -> np.ndarray:
        """d X / d S[:, j] for continuous factors ``js``: array (len(js), n, p).

        Each model column is a product of base columns, and a continuous
        factor's base column is the setting itself, so the derivative of a
        product is the sum over the positions holding that factor of the
        product of the other positions (``A^2`` -> ``2 A``).
        """
        B = self.base_matrix(S)
        m = self.index.shape[1]
        out = np.zeros((len(js), len(B), len(self.index)))
        for pos, j in enumerate(js):
            b = self.factor_base[j][0]
            for t in range(m):
                hit = self.index[:, t] == b
                if not hit.any():
                    continue
                prod = np.ones((len(B), int(hit.sum())))
                for r in range(m):
                    if r != t:
                        prod = prod * B[:, self.index[hit, r]]
                out[pos][:, hit] += prod
        return out


def _settings_to_numeric(coded: pd.DataFrame, factors: Sequence[Factor]) -> np.ndarray:
    """Coded frame -> numeric settings (continuous value, categorical level index)."""
    cols = []
    for f in factors:
        v = coded[f.name].to_numpy()
        if f.is_continuous:
            cols.append(v.astype(float))
        elif len(f.levels) == 2:
            if np.issubdtype(np.asarray(v).dtype, np.number):
                cols.append((v.astype(float) + 1.0) / 2.0)
            else:
                cols.append(np.array([f.levels.index(x) for x in v], dtype=float))
        else:
            cols.append(np.array([f.levels.index(x) for x in v], dtype=float))
    return np.column_stack(cols)


def _region_points(factors: Sequence[Factor], kind: str = "quadrature", seed: int = 0, n: int = 20000,
                   feasible: Callable[[np.ndarray], np.ndarray] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Points (numeric settings) and weights representing the design region.

    ``kind="quadrature"``: tensor Gauss-Legendre (3 nodes, exact for the
    moments of any model up to second order in each factor) over the cube,
    uniform over categorical levels; falls back to Monte Carlo for many
    factors or when ``feasible`` (a constraint) is given.
    ``kind="grid"``: 5-level grid (3-level beyond 6 factors; random points
    plus vertices beyond 10) for maxima of the prediction variance.
    """
    cont = [f.is_continuous for f in factors]
    kc = sum(cont)
    cat_levels = [np.arange(len(f.levels), dtype=float) for f in factors if not f.is_continuous]
    n_cat = int(np.prod([len(l) for l in cat_levels])) if cat_levels else 1
    rng = np.random.default_rng(seed)

    def combine(cont_pts: np.ndarray, w: np.ndarray):
        cats = np.array(list(itertools.product(*cat_levels))) if cat_levels else np.zeros((1, 0))
        P = np.zeros((len(cont_pts) * len(cats), len(factors)))
        ci = [j for j, c in enumerate(cont) if c]
        ki = [j for j, c in enumerate(cont) if not c]
        P[:, ci] = np.repeat(cont_pts, len(cats), axis=0)
        if ki:
            P[:, ki] = np.tile(cats, (len(cont_pts), 1))
        return P, np.repeat(w, len(cats)) / len(cats)

    if kind == "quadrature" and feasible is None and 3**kc * n_cat <= 200000:
        x, w = np.polynomial.legendre.leggauss(3)
        pts = np.array(list(itertools.product(x, repeat=kc))) if kc else np.zeros((1, 0))
        wts = np.prod(np.array(list(itertools.product(w / 2, repeat=kc))), axis=1) if kc else np.ones(1)
        return combine(pts, wts)
    if kind == "grid" and feasible is None:
        lv = 5 if kc <= 6 else 3
        if lv**kc * n_cat <= 100000:
            pts = np.array(list(itertools.product(np.linspace(-1, 1, lv), repeat=kc))) if kc else np.zeros((1, 0))
            return combine(pts, np.full(len(pts), 1.0 / len(pts)))
    # Monte Carlo over the (constrained) region
    P = np.zeros((0, len(factors)))
    tries = 0
    while len(P) < n and tries < 50:
        tries += 1
        cand = np.zeros((n, len(factors)))
        for j, f in enumerate(factors):
            cand[:, j] = rng.uniform(-1, 1, n) if f.is_continuous else rng.integers(0, len(f.levels), n)
        if feasible is not None:
            cand = cand[feasible(cand)]
        P = np.vstack([P, cand])
    if len(P) == 0:
        raise InputError("constraints: no feasible point found in the design region")
    P = P[:n]
    if kind == "grid":
        verts = np.array(list(itertools.product([-1.0, 1.0], repeat=kc)))[:4096] if kc else np.zeros((1, 0))
        V, _ = combine(verts, np.ones(len(verts)))
        if feasible is not None:
            V = V[feasible(V)]
        P = np.vstack([P, V])
    return P, np.full(len(P), 1.0 / len(P))


def moment_matrix(factors: Sequence[Factor], terms: Sequence[str], seed: int = 0,
                  feasible: Callable[[np.ndarray], np.ndarray] | None = None) -> np.ndarray:
    """Region moment matrix W = E[f(x) f(x)'] for the I-criterion (uniform over the region)."""
    P, w = _region_points(factors, "quadrature", seed=seed, feasible=feasible)
    F = _RowBuilder(terms, factors)(P)
    return (F * w[:, None]).T @ F


_TOKEN = re.compile(r"\s*(?:(\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)|([A-Za-z_]\w*)|(<=|>=|[+\-*]))")


def _parse_linear(expr: str, names: Sequence[str], where: str) -> tuple[dict[str, float], float]:
    pos, coefs, const = 0, {n: 0.0 for n in names}, 0.0
    toks = []
    expr = expr.strip()
    while pos < len(expr):
        m = _TOKEN.match(expr, pos)
        if not m or m.end() == pos:
            raise InputError(f"{where}: cannot read '{expr[pos:]}'")
        toks.append(m.groups())
        pos = m.end()
    i, sign = 0, 1.0
    while i < len(toks):
        num, name, op = toks[i]
        if op in ("+", "-"):
            sign *= -1.0 if op == "-" else 1.0
            i += 1
            continue
        coef = 1.0
        if num is not None:
            coef = float(num)
            if i + 1 < len(toks) and toks[i + 1][2] == "*":
                i += 1
            if i + 1 < len(toks) and toks[i + 1][1] is not None:
                i += 1
                name = toks[i][1]
            else:
                const += sign * coef
                sign, i = 1.0, i + 1
                continue
        if name is None:
            raise InputError(f"{where}: unexpected '{op}'")
        if i + 2 < len(toks) and toks[i + 1][2] == "*" and toks[i + 2][0] is not None:
            coef *= float(toks[i + 2][0])
            i += 2
        if name not in coefs:
            raise InputError(f"{where}: unknown factor '{name}' (factors: {', '.join(names)})")
        coefs[name] += sign * coef
        sign, i = 1.0, i + 1
    return coefs, const


def _parse_constraints(constraints: Any, factors: Sequence[Factor]) -> list[tuple[np.ndarray, float]]:
    """Linear constraints in actual units -> coded form a'x <= b (a over all factors)."""
    if constraints is None:
        return []
    if isinstance(constraints, (str, tuple)):
        constraints = [constraints]
    names = [f.name for f in factors]
    out = []
    for c in constraints:
        where = f"constraint {c!r}"
        if isinstance(c, str):
            ops = re.findall(r"<=|>=", c)
            if len(ops) != 1:
                raise InputError(f"{where}: expected one '<=' or '>=', e.g. 'A + B <= 1.5'")
            lhs, rhs = c.split(ops[0])
            a1, k1 = _parse_linear(lhs, names, where)
            a2, k2 = _parse_linear(rhs, names, where)
            coefs = {n: a1[n] - a2[n] for n in names}
            bound = k2 - k1
            if ops[0] == ">=":
                coefs = {n: -v for n, v in coefs.items()}
                bound = -bound
        elif isinstance(c, (tuple, list)) and len(c) == 2:
            raw, bound = c
            if isinstance(raw, Mapping):
                unknown = [n for n in raw if n not in names]
                if unknown:
                    raise InputError(f"{where}: unknown factor(s) {unknown}")
                coefs = {n: float(raw.get(n, 0.0)) for n in names}
            else:
                raw = list(raw)
                if len(raw) != len(names):
                    raise InputError(f"{where}: expected {len(names)} coefficients (one per factor), got {len(raw)}")
                coefs = dict(zip(names, map(float, raw)))
            bound = float(bound)
        else:
            raise InputError(f"{where}: expected a string like 'A + B <= 1.5' or a (coefficients, bound) pair")
        a = np.zeros(len(factors))
        b = bound
        for j, f in enumerate(factors):
            if coefs[f.name] != 0 and not f.is_continuous:
                raise InputError(f"{where}: factor '{f.name}' is categorical; constraints take continuous factors")
            if f.is_continuous:
                a[j] = coefs[f.name] * f.half_range
                b -= coefs[f.name] * f.center
        if not a.any():
            raise InputError(f"{where}: involves no factor")
        out.append((a, b))
    return out


def _disallowed_check(disallowed: Any, factors: Sequence[Factor]) -> Callable[[np.ndarray], np.ndarray] | None:
    """Return f(S) -> bool array, True where a run is disallowed."""
    if disallowed is None:
        return None
    names = [f.name for f in factors]

    def to_actual(S: np.ndarray) -> list[dict]:
        rows = []
        for s in S:
            r = {}
            for j, f in enumerate(factors):
                r[f.name] = float(f.to_actual(s[j])) if f.is_continuous else f.levels[int(round(s[j]))]
            rows.append(r)
        return rows

    if callable(disallowed):
        return lambda S: np.array([bool(disallowed(r)) for r in to_actual(S)], dtype=bool)
    if isinstance(disallowed, Mapping):
        disallowed = [disallowed]
    rules = list(disallowed)
    for rule in rules:
        if not isinstance(rule, Mapping):
            raise InputError(f"disallowed: expected a callable or dicts like {{'resin': 'AAVX', 'ph': (7.5, 9)}}, got {rule!r}")
        unknown = [n for n in rule if n not in names]
        if unknown:
            raise InputError(f"disallowed: unknown factor(s) {unknown}")

    def check(S: np.ndarray) -> np.ndarray:
        cols = {}
        for j, f in enumerate(factors):
            if f.is_continuous:
                cols[f.name] = f.center + S[:, j] * f.half_range
            else:
                cols[f.name] = np.array(f.levels, dtype=object)[np.rint(S[:, j]).astype(int)]
        out = np.zeros(len(S), dtype=bool)
        for rule in rules:
            hit = np.ones(len(S), dtype=bool)
            for n, v in rule.items():
                x = cols[n]
                if isinstance(v, (tuple, list)) and len(v) == 2 and all(isinstance(t, (int, float)) for t in v):
                    hit &= (x >= v[0]) & (x <= v[1])
                else:
                    hit &= x == v
            out |= hit
        return out

    return check


def _criterion(M: np.ndarray, crit: str, W: np.ndarray | None) -> np.ndarray:
    """Criterion to minimise for a stack of information matrices (..., p, p)."""
    if crit == "D":
        sign, logdet = np.linalg.slogdet(M)
        return np.where(sign > 0, -logdet, np.inf)
    try:
        inv = np.linalg.inv(M)
    except np.linalg.LinAlgError:
        return np.full(M.shape[:-2], np.inf)
    val = np.einsum("...ij,ji->...", inv, W)
    return np.where(np.isfinite(val) & (val > 0), val, np.inf)


#: An accepted exchange is followed by a fresh inverse instead of the two rank-one updates when it changes
#: the criterion by more than this (D: log |X'X|; I: relative change of the average variance) or when
#: trace(X'X) trace((X'X)^-1) (an upper bound of the condition number) exceeds _REFRESH_CONDITION: such
#: steps happen in the first passes from a poor, possibly near-singular, random start, where rank-one
#: updates of an ill-conditioned inverse lose digits (relative error about condition x 1e-16).  Every pass
#: also starts from a fresh inverse, so rounding cannot accumulate.
_REFRESH_D_LOG_RATIO = 2.0
_REFRESH_I_RELATIVE = 0.5
_REFRESH_CONDITION = 1e6


def _exchange_gains(Xc: np.ndarray, xi: np.ndarray, V: np.ndarray, crit: str, W: np.ndarray | None) -> np.ndarray:
    """Criterion change (negative = better) for replacing design row ``xi`` by each row of ``Xc``.

    With ``M = X'X``, ``V = M^-1`` and Fedorov's ``d(a, b) = a' V b``, replacing
    ``x`` by ``y`` gives ``M' = M - x x' + y y'``.  Adding ``y y'`` first
    (matrix determinant lemma, Sherman-Morrison) gives ``det(M + y y') =
    det(M) (1 + d(y, y))`` and ``V1 = V - V y y' V / (1 + d(y, y))``; removing
    ``x x'`` then multiplies the determinant by ``1 - x' V1 x = 1 - d(x, x) +
    d(x, y)^2 / (1 + d(y, y))``.  Hence Fedorov's delta

        det(M') / det(M) = (1 + d(y, y)) (1 - d(x, x)) + d(x, y)^2,

    and the D-change is ``-log`` of it.  For I (average variance trace(W V)),
    ``V2 = V1 + V1 x x' V1 / (1 - x' V1 x)``, so with ``u = V y``, ``a = 1 +
    d(y, y)``, ``w = V1 x = V x - u d(x, y) / a``:

        trace(W V2) - trace(W V) = -u' W u / a + w' W w / (1 - d(x, x) + d(x, y)^2 / a).

    All candidate rows are handled at once (one matrix product each).
    """
    v = V @ xi
    U = Xc @ V
    a = 1.0 + np.einsum("ij,ij->i", U, Xc)
    c = U @ xi
    di = xi @ v
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if crit == "D":
            ratio = a * (1.0 - di) + c * c
            out = np.where(ratio > 0, -np.log(np.maximum(ratio, 1e-300)), np.inf)
        else:
            w1 = v[None, :] - U * (c / a)[:, None]
            den = 1.0 - (di - c * c / a)
            tr1 = -np.einsum("ij,ij->i", U @ W, U) / a
            tr2 = np.einsum("ij,ij->i", w1 @ W, w1) / np.where(den > 1e-12, den, np.nan)
            out = tr1 + tr2
            out = np.where(np.isfinite(out) & (a > 0), out, np.inf)
    return out


def _coordinate_exchange(rows_fn: _RowBuilder, factors, n_runs, crit, W, cons, bad, rng, grid, max_iter,
                         start=None, on_accept=None):
    """One coordinate-exchange run (grid search per coordinate) from a random feasible start.

    For every run ``i`` and factor ``j`` the candidate values (grid levels
    clipped to the coordinate's feasible interval plus its ends, or every
    level of a categorical factor) are turned into candidate model rows in one
    call, scored at once with :func:`_exchange_gains` (no determinant or
    inverse is recomputed), and the best improving value replaces ``S[i, j]``.
    After an accepted exchange ``(X'X)^-1`` is updated by Sherman-Morrison
    twice (add the new row, remove the old one) and the criterion by the
    accepted change; each pass starts from a freshly inverted ``X'X`` so
    rounding cannot accumulate.  ``on_accept(S, X, V, value, how)`` (tests)
    is called after every accepted exchange with ``how`` = ``"rank-one"`` or
    ``"refresh"``.  Returns the settings and the criterion of ``X'X`` without
    the small ridge that keeps a singular random start invertible.
    """
    k = len(factors)
    p = len(rows_fn.columns)
    ridge = 1e-8 * np.eye(p)  # keeps a singular random start invertible; removed for the final value
    cont = [f.is_continuous for f in factors]
    A = np.array([a for a, _ in cons]) if cons else np.zeros((0, k))
    bvec = np.array([b for _, b in cons]) if cons else np.zeros(0)
    check = bool(cons) or bad is not None

    def feasible(S):
        ok = np.ones(len(S), dtype=bool)
        if cons:
            ok &= np.all(S @ A.T <= bvec + 1e-12, axis=1)
        if bad is not None:
            ok &= ~bad(S)
        return ok

    S = np.zeros((n_runs, k)) if start is None else start.copy()
    for i in range(n_runs if start is None else 0):
        for _ in range(2000):
            s = np.array([rng.uniform(-1, 1) if c else rng.integers(0, len(f.levels)) for c, f in zip(cont, factors)])
            if feasible(s[None])[0]:
                S[i] = s
                break
        else:
            raise InputError("constraints/disallowed: no feasible run found in the design region")
    B = rows_fn.base_matrix(S)
    X = rows_fn.from_base(B)

    # candidate values (and their base columns) that do not depend on the other coordinates
    fixed: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    for j, f in enumerate(factors):
        if not cont[j]:
            vals = np.arange(len(f.levels), dtype=float)
        elif not (cons and A[:, j].any()):
            vals = np.unique(np.clip(np.concatenate([grid, [-1.0, 1.0]]), -1.0, 1.0))
        else:
            continue
        fixed[j] = (vals, rows_fn.factor_values(j, vals))

    def interval(i, j):
        lo, hi = -1.0, 1.0
        rest = S[i] @ A.T - A[:, j] * S[i, j]
        for a, r, b in zip(A[:, j], rest, bvec):
            if a > 0:
                hi = min(hi, (b - r) / a)
            elif a < 0:
                lo = max(lo, (b - r) / a)
        return lo, hi

    def refresh():
        M = X.T @ X + ridge
        V = np.linalg.inv(M)
        return (V + V.T) / 2, float(_criterion(M, crit, W))

    for _ in range(max_iter):
        V, cur = refresh()
        improved = False
        for i in range(n_runs):
            for j in range(k):
                if j in fixed:
                    vals, bj = fixed[j]
                else:
                    lo, hi = interval(i, j)
                    if lo > hi:
                        continue
                    vals = np.unique(np.clip(np.concatenate([grid, [lo, hi]]), lo, hi))
                    bj = rows_fn.factor_values(j, vals)
                Bc = np.repeat(B[i][None], len(vals), axis=0)
                Bc[:, rows_fn.factor_base[j]] = bj
                Xc = rows_fn.from_base(Bc)
                g = _exchange_gains(Xc, X[i], V, crit, W)
                if check:
                    Sc = np.repeat(S[i][None], len(vals), axis=0)
                    Sc[:, j] = vals
                    g = np.where(feasible(Sc), g, np.inf)
                best = int(np.argmin(g))
                if not g[best] < -1e-10 * max(1.0, abs(cur)):
                    continue
                x, y = X[i].copy(), Xc[best]
                S[i, j] = vals[best]
                B[i] = Bc[best]
                X[i] = y
                improved = True
                # Sherman-Morrison twice: add y y', then remove x x'
                u = V @ y
                a = 1.0 + y @ u
                V1 = V - np.outer(u, u) / a
                w = V1 @ x
                den = 1.0 - x @ w
                big = -g[best] > (_REFRESH_D_LOG_RATIO if crit == "D" else _REFRESH_I_RELATIVE * abs(cur))
                V2 = V1 + np.outer(w, w) / den if den > 0 else V1
                cond = np.trace(V2) * np.einsum("ij,ij->", X, X)
                if a > 1e-8 and den > 1e-8 and not big and 0 < cond < _REFRESH_CONDITION:
                    V = (V2 + V2.T) / 2
                    cur = cur + float(g[best])
                    how = "rank-one"
                else:
                    V, cur = refresh()
                    how = "refresh"
                if on_accept is not None:
                    on_accept(S.copy(), X.copy(), V.copy(), cur, how)
        if not improved:
            break
    return S, float(_criterion(X.T @ X, crit, W))


def _criterion_and_gradient(rows_fn: _RowBuilder, S: np.ndarray, cj: Sequence[int], crit: str,
                            W: np.ndarray | None) -> tuple[float, np.ndarray]:
    """Criterion of settings ``S`` and its gradient with respect to the continuous coordinates ``cj``.

    With ``M = X'X`` and ``V = M^-1``: d(-log|M|)/dX = -2 X V and
    d trace(W V)/dX = -2 X V W V; the chain rule through the model rows
    (:meth:`_RowBuilder.derivatives`) gives the gradient per coordinate
    (shape (n, len(cj)), returned flattened row by row).
    """
    X = rows_fn(S)
    M = X.T @ X
    val = float(_criterion(M, crit, W))
    if not np.isfinite(val):
        return 1e10, np.zeros(len(S) * len(cj))
    V = np.linalg.inv(M)
    G = -2.0 * X @ V if crit == "D" else -2.0 * X @ (V @ W @ V)
    D = rows_fn.derivatives(S, cj)
    return val, np.einsum("np,jnp->nj", G, D).ravel()


def _polish(rows_fn, factors, S0, val0, crit, W, cons, feas):
    """Refine all continuous coordinates jointly (L-BFGS-B, or SLSQP with linear constraints).

    The exact gradient (:func:`_criterion_and_gradient`) replaces finite
    differences, so each iteration costs one criterion evaluation instead of
    one per coordinate.
    """
    from scipy.optimize import minimize

    cj = [j for j, f in enumerate(factors) if f.is_continuous]
    if not cj or not np.isfinite(val0):
        return S0, val0
    n = len(S0)

    def unpack(z):
        S = S0.copy()
        S[:, cj] = z.reshape(n, len(cj))
        return S

    def fun(z):
        return _criterion_and_gradient(rows_fn, unpack(z), cj, crit, W)

    z0 = S0[:, cj].ravel()
    bounds = [(-1.0, 1.0)] * len(z0)
    if cons:
        m = len(cj)
        Ac = np.array([a[cj] for a, _ in cons])  # constraints act on continuous factors only
        bc = np.array([b for _, b in cons])
        jac = np.zeros((len(cons) * n, n * m))
        for c in range(len(cons)):
            for i in range(n):
                jac[c * n + i, i * m:(i + 1) * m] = -Ac[c]
        lin = {"type": "ineq", "fun": lambda z: (bc[:, None] - Ac @ z.reshape(n, m).T).ravel(), "jac": lambda z: jac}
        res = minimize(fun, z0, jac=True, method="SLSQP", bounds=bounds, constraints=[lin],
                       options={"maxiter": 100, "ftol": 1e-12})
    else:
        res = minimize(fun, z0, jac=True, method="L-BFGS-B", bounds=bounds, options={"ftol": 1e-15, "gtol": 1e-10})
    S = unpack(np.clip(res.x, -1.0, 1.0))
    val = fun(np.clip(res.x, -1.0, 1.0))[0]
    if val < val0 and (feas is None or feas(S).all()):
        return S, val
    return S0, val0


def optimal_design(
    factors: Sequence[Factor],
    model: str | Sequence[str] = "quadratic",
    runs: int | None = None,
    criterion: str = "D",
    constraints: Any = None,
    seed: int | None = None,
    *,
    disallowed: Any = None,
    n_starts: int = 10,
    grid: int = 9,
    max_iter: int = 100,
) -> Design:
    """D- or I-optimal design by coordinate exchange (Meyer & Nachtsheim 1995).

    Each start draws a random feasible design; the algorithm then visits
    every coordinate of every run and replaces it by the best value among a
    grid of ``grid`` equally spaced levels in [-1, 1] (always including -1, 0
    and +1 when ``grid`` is odd) plus the ends of the coordinate's feasible
    interval under the linear constraints (so vertices of a constrained
    region are reachable); categorical coordinates try every level.  Passes
    repeat until no coordinate improves the criterion.  All candidate values of
    a coordinate are scored at once with Fedorov's delta (D) or the matching
    rank-two change of trace(W (X'X)^-1) (I), and an accepted exchange updates
    (X'X)^-1 by Sherman-Morrison twice, so no determinant or inverse is
    recomputed inside a pass (each pass, and any step from an ill-conditioned
    design, starts from a fresh inverse; a singular random start is
    regularised by a 1e-8 ridge).  The best of ``n_starts`` starts is kept;
    the three best are then refined jointly in all continuous coordinates
    (L-BFGS-B, or SLSQP under linear constraints, with the exact gradient; a
    refinement is kept only if it improves the criterion and respects every
    constraint and disallowed combination), so off-grid optima are reached
    exactly.  A 5-factor, 30-run full-quadratic design takes well under a
    second (``benchmarks/bench_doe.py``).

    Parameters
    ----------
    factors : list of Factor
    model : str or list
        Anything :func:`pdkit.doe.model.model_terms` accepts.
    runs : int
        Number of runs (at least the number of model columns).  Default: the
        number of model columns + 4.
    criterion : {"D", "I"}
        D: maximise |X'X|; I: minimise the average prediction variance
        trace((X'X)^-1 W) over the (constrained) region.
    constraints : list, optional
        Linear constraints in actual units: strings such as ``"A + B <= 1.5"``
        or ``"2*temp - ph >= 50"``, or ``(coefficients, bound)`` pairs meaning
        sum(coef * actual) <= bound (coefficients a list in factor order or a dict).
    seed : int, optional
        Seed of the random starts; ``None`` draws a fresh seed, which is stored
        in ``Design.seed`` so the design can be reproduced.
    disallowed : callable or list of dict, optional
        Disallowed combinations: ``f(run) -> True`` for a dict of actual
        settings, or dicts such as ``{"resin": "AAVX", "ph": (7.8, 9.0)}``
        (categorical level equality, continuous (low, high) range in actual units).
    n_starts : int
        Random starts.
    grid : int
        Grid levels per continuous coordinate.
    max_iter : int
        Maximum number of passes over all coordinates per start.

    Examples
    --------
    >>> from pdkit.doe.factors import Factor
    >>> d = optimal_design([Factor("A", 0, 1), Factor("B", 0, 1)], "linear", runs=4, seed=1, n_starts=2)
    >>> sorted(map(tuple, d.coded.abs().round(6).to_numpy().tolist()))
    [(1.0, 1.0), (1.0, 1.0), (1.0, 1.0), (1.0, 1.0)]
    """
    factors = as_factors(factors)
    terms = model_terms(model, factors)
    rows_fn = _RowBuilder(terms, factors)
    p = len(rows_fn.columns)
    if runs is None:
        runs = p + 4
    runs = _check_int(runs, "runs", 1)
    if runs < p:
        raise InputError(f"runs: the model has {p} coefficients but only {runs} runs were requested; need runs >= {p}")
    crit = str(criterion).upper()
    if crit not in ("D", "I"):
        raise InputError(f"criterion: expected 'D' or 'I', got {criterion!r}")
    n_starts = _check_int(n_starts, "n_starts", 1)
    grid = _check_int(grid, "grid", 2)
    max_iter = _check_int(max_iter, "max_iter", 1)
    seed = _check_seed(seed)
    if seed is None:
        seed = int(np.random.SeedSequence().generate_state(1)[0])
    cons = _parse_constraints(constraints, factors)
    bad = _disallowed_check(disallowed, factors)
    feas = None
    if cons or bad is not None:
        A = np.array([a for a, _ in cons]) if cons else np.zeros((0, len(factors)))
        bv = np.array([b for _, b in cons]) if cons else np.zeros(0)

        def feas(S):
            ok = np.all(S @ A.T <= bv + 1e-12, axis=1) if cons else np.ones(len(S), dtype=bool)
            return ok & (~bad(S) if bad is not None else True)
    W = None
    if crit == "I":
        W = moment_matrix(factors, terms, seed=seed, feasible=feas)
    rng = np.random.default_rng(seed)
    levels = np.linspace(-1.0, 1.0, grid)
    found = []
    for _ in range(n_starts):
        S, val = _coordinate_exchange(rows_fn, factors, runs, crit, W, cons, bad, rng, levels, max_iter)
        found.append((val, S.copy()))
    found.sort(key=lambda t: t[0])
    best = None
    for val0, S0 in found[:3]:  # joint continuous refinement of the three best grid solutions
        S, val = _polish(rows_fn, factors, S0, val0, crit, W, cons, feas)
        if best is None or val < best[1]:
            best = (S, val)
    S, val = best
    if not np.isfinite(val):
        raise InputError("optimal_design: no non-singular design found; the model may not be estimable under the constraints")
    # tidy: snap values within 1e-9 of grid levels, sort rows for a readable standard order
    snapped = np.where(np.abs(S - np.round(S * 2) / 2) < 1e-9, np.round(S * 2) / 2, S)
    if feas is not None:
        keep = feas(snapped)
        snapped[~keep] = S[~keep]
    S = snapped[np.lexsort(snapped.T[::-1])]
    X = rows_fn(S)
    M = X.T @ X
    info = {"criterion": crit, "model_terms": terms, "n_starts": n_starts,
            "log_det": float(np.linalg.slogdet(M)[1]),
            "d_efficiency": float(100 * np.exp(np.linalg.slogdet(M)[1] / p) / runs)}
    if crit == "I":
        info["average_variance"] = float(val)
    d = _assemble(f"{crit}-optimal {runs} runs", factors, _to_frame(_index_to_coded(S, factors), factors), None,
                  ["optimal"] * runs, None, details=info)
    return replace(d, seed=seed)


def _index_to_coded(S: np.ndarray, factors: Sequence[Factor]) -> np.ndarray:
    """Numeric settings with level indices -> -1/+1 for two-level categorical factors."""
    S = S.copy()
    for j, f in enumerate(factors):
        if not f.is_continuous and len(f.levels) == 2:
            S[:, j] = 2 * S[:, j] - 1
    return S


# ----------------------------------------------------------------------------
# Latin hypercube
# ----------------------------------------------------------------------------
def latin_hypercube(
    factors: Sequence[Factor],
    runs: int,
    seed: int | None = None,
    *,
    maximin: bool = True,
    n_candidates: int = 50,
) -> Design:
    """Latin hypercube sample in coded units (space-filling design).

    Each continuous factor's range is cut into ``runs`` equal strata with one
    run in each (:class:`scipy.stats.qmc.LatinHypercube`).  With
    ``maximin=True`` the best of ``n_candidates`` hypercubes by the smallest
    inter-point distance is kept, then pairs of values within a column are
    swapped while that distance increases.  Categorical factors get balanced
    levels in random order.

    Examples
    --------
    >>> from pdkit.doe.factors import Factor
    >>> d = latin_hypercube([Factor("A", 0, 10), Factor("B", 0, 1)], runs=5, seed=3)
    >>> sorted(np.floor((d.coded["A"] + 1) / 2 * 5).astype(int).tolist())
    [0, 1, 2, 3, 4]
    """
    from scipy.spatial.distance import pdist
    from scipy.stats import qmc

    factors = as_factors(factors)
    runs = _check_int(runs, "runs", 2)
    n_candidates = _check_int(n_candidates, "n_candidates", 1)
    seed = _check_seed(seed)
    if seed is None:
        seed = int(np.random.SeedSequence().generate_state(1)[0])
    rng = np.random.default_rng(seed)
    cont = [j for j, f in enumerate(factors) if f.is_continuous]
    U = None
    if cont:
        best = None
        for _ in range(n_candidates if maximin else 1):
            u = qmc.LatinHypercube(d=len(cont), seed=rng).random(runs)
            score = pdist(u).min() if runs > 1 else 0.0
            if best is None or score > best[0]:
                best = (score, u)
        U = best[1]
        if maximin and len(cont) > 1:
            score = pdist(U).min()
            for _ in range(20 * runs):
                j = rng.integers(len(cont))
                a, b = rng.choice(runs, 2, replace=False)
                V = U.copy()
                V[[a, b], j] = V[[b, a], j]
                s = pdist(V).min()
                if s > score:
                    U, score = V, s
    S = np.zeros((runs, len(factors)))
    for pos, j in enumerate(cont):
        S[:, j] = 2 * U[:, pos] - 1
    for j, f in enumerate(factors):
        if not f.is_continuous:
            lev = np.resize(np.arange(len(f.levels)), runs)
            S[:, j] = rng.permutation(lev)
            if len(f.levels) == 2:
                S[:, j] = 2 * S[:, j] - 1
    d = _assemble(f"Latin hypercube {runs} runs", factors, _to_frame(S, factors), None, ["lhs"] * runs, None,
                  details={"maximin": maximin, "min_distance_coded": float(pdist(S[:, cont]).min()) * 1.0 if cont and runs > 1 else None})
    return replace(d, seed=seed)
