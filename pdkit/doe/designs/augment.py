"""Augmenting a design whose runs are done: fold-over, axial and centre runs, D-optimal runs.

Every method keeps the runs already done exactly as they were (settings, run
numbers, standard order, blocks) and appends new runs, numbered after them and
randomised among themselves with ``seed``.  The new runs go into a new block
(except added centre runs, see :func:`augment`), so a shift between the two
stages (days, cell banks, media lots) is estimated by the analysis instead of
biasing the effects; ``Design.point_type`` says what each new run is.

Sources
    * Fold-over: Montgomery, *Design and Analysis of Experiments* (8th ed.),
      Sec. 8.6: the full fold-over of a resolution III fraction (all signs
      reversed) gives a resolution IV design - main effects clear of two-factor
      interactions; reversing one factor's signs frees that factor's main effect
      and its two-factor interactions (Example 8.7 folds a 2^(7-4)_III over);
      Box, Hunter & Hunter, *Statistics for Experimenters* (2nd ed., 2005), 6.8.
    * Axial runs: a factorial (with centre runs) augmented by a block of 2k axial
      runs and centre runs is a central composite design in two blocks; the
      alpha for orthogonal blocking is sqrt(F (2k + c_a) / (2 (F + c_f)))
      (Montgomery Sec. 11.4.3; Myers, Montgomery & Anderson-Cook, *Response
      Surface Methodology* 3rd ed., 7.4).
    * D-optimal augmentation: the kept runs are fixed rows of X and n rows are
      chosen from a candidate set to maximise det(X'X) by Fedorov's point
      exchange (Fedorov 1972; Atkinson, Donev & Tobias, *Optimum Experimental
      Designs, with SAS*, 2007, ch. 12 - "augmentation"), block effects included.

Examples
--------
>>> from pdkit.doe.factors import Factor
>>> from pdkit.doe.designs import fractional_factorial
>>> d = fractional_factorial([Factor(n, 0, 1) for n in "ABC"], generators=["C=AB"])
>>> a = augment(d, "foldover")
>>> a.n_runs, sorted(set(a.blocks.tolist())), a.coded.iloc[:4].equals(d.coded)
(8, [1, 2], True)
"""
from __future__ import annotations

import itertools
import math
from types import MappingProxyType
from typing import Any, Sequence

import numpy as np
import pandas as pd

from pdkit.errors import InputError
from pdkit.io.tables import plain_column_name, source_name
from pdkit.doe.factors import Factor, as_factors, code_factor_columns
from pdkit.doe.model import ModelMatrix, effect_coding, model_terms, numeric_settings
from pdkit.doe.designs.base import Design, actual_from_coded, check_int, check_seed, renumber_runs
from pdkit.doe.designs.constraints import disallowed_check, parse_constraints

__all__ = ["augment", "audit_resolution", "design_from_table", "AUGMENT_METHODS"]

#: Augmentation methods of :func:`augment`.
AUGMENT_METHODS = ("foldover", "axial", "center", "d_optimal")

_BOOKKEEPING = ("run", "std_order", "block", "point_type")
#: Candidate grids larger than this are sampled (seeded) for D-optimal augmentation.
_MAX_CANDIDATES = 20000


def design_from_table(table: pd.DataFrame, factors: Sequence[Factor | dict], source: str | None = None,
                      name: str = "existing design") -> Design:
    """A :class:`Design` from a table of runs already planned or done (e.g. a doe_design worksheet).

    Worksheet headers (``Run``, ``Std order``, ``Block``, ``Point type``,
    ``name (units)``) are mapped back to plain names as :func:`from_worksheet`
    does.  Factor settings are in actual units (categorical factors as level
    names); ``run``, ``std_order``, ``block`` and ``point_type`` are used when
    present.  Every other column (responses, notes) is kept in
    ``details["kept_values"]`` and written back by :meth:`Design.to_worksheet`.

    Raises
    ------
    InputError
        A factor column is missing, a setting is not a number or not one of the
        factor's levels (naming the row and column), or a block is not an integer.

    Examples
    --------
    >>> import pandas as pd
    >>> from pdkit.doe.factors import Factor
    >>> sheet = pd.DataFrame({"Run": [1, 2], "temp (degC)": [30, 40], "titer": [1.5, 2.5]})
    >>> d = design_from_table(sheet, [Factor("temp", 30, 40, units="degC")])
    >>> d.coded["temp"].tolist(), d.details["kept_values"]["titer"].tolist()
    ([-1.0, 1.0], [1.5, 2.5])
    """
    factors = as_factors(factors)
    if not isinstance(table, pd.DataFrame):
        raise InputError(f"design: expected a Design or a table of runs, got {type(table).__name__}")
    src = source or source_name(table)
    if len(table) == 0:
        raise InputError(f"{src}: the table of runs is empty")
    renamed = {c: plain_column_name(c)[0] for c in table.columns}
    t = table.rename(columns=renamed).reset_index(drop=True)
    dupes = sorted({str(n) for n in t.columns if list(t.columns).count(n) > 1})
    if dupes:
        raise InputError(f"{src}: columns would be read twice as {dupes}; rename one of them")
    coded_df = renumber_runs(code_factor_columns(t, factors, src))
    n = len(t)

    def integers(col: str, default: np.ndarray) -> np.ndarray:
        if col not in t.columns:
            return default
        v = pd.to_numeric(t[col], errors="coerce").to_numpy(dtype=float)
        bad = np.flatnonzero(~np.isfinite(v) | (v != np.round(v)))
        if len(bad):
            raise InputError(f"{src}, row {bad[0] + 1}, column '{col}': got {t[col].iloc[bad[0]]!r}, "
                             "expected a whole number")
        return v.astype(int)

    run = integers("run", np.arange(1, n + 1))
    std = integers("std_order", np.arange(1, n + 1))
    blocks = integers("block", np.ones(n, dtype=int))
    cont = [f.name for f in factors if f.is_continuous]
    centre = np.all(coded_df[cont].to_numpy(dtype=float) == 0, axis=1) if cont else np.zeros(n, dtype=bool)
    if "point_type" in t.columns:
        ptype = np.array([str(x) for x in t["point_type"]], dtype=object)
    else:
        ptype = np.where(centre, "center", "factorial").astype(object)
    keep_cols = [c for c in t.columns if c not in _BOOKKEEPING and c not in [f.name for f in factors]]
    kept = t[keep_cols].copy()
    kept.index = coded_df.index
    return Design(name=name, factors=tuple(factors), coded=coded_df, actual=actual_from_coded(coded_df, factors),
                  run_order=run, std_order=std, blocks=blocks, point_type=ptype, seed=None,
                  details=MappingProxyType({"kept_values": kept, "source": src}))


def _as_design(design: Any, factors: Sequence[Factor | dict] | None) -> Design:
    if isinstance(design, Design):
        if factors is not None:
            names = [f.name if isinstance(f, Factor) else f.get("name") for f in factors]
            if names != design.factor_names:
                raise InputError(f"factors: {names} differ from the design's factors {design.factor_names}")
        return design
    if isinstance(design, pd.DataFrame):
        if factors is None:
            raise InputError("factors: a table of runs needs the factor definitions (low, high, levels)")
        return design_from_table(design, factors)
    raise InputError(f"design: expected a Design or a DataFrame of runs, got {type(design).__name__}")


def _numeric(design: Design) -> np.ndarray:
    return numeric_settings(design.coded, design.factors)


def _combine(design: Design, new_coded: pd.DataFrame, new_blocks: np.ndarray, new_ptype: Sequence[str],
             seed: int | None, name: str, details: dict) -> Design:
    """Kept runs unchanged, then the new runs (randomised among themselves by ``seed``)."""
    factors = list(design.factors)
    n0, n1 = design.n_runs, len(new_coded)
    order = np.arange(n1) if seed is None else np.random.default_rng(seed).permutation(n1)
    new_coded = new_coded.reset_index(drop=True).iloc[order]
    new_blocks = np.asarray(new_blocks, dtype=int)[order]
    new_ptype = np.asarray(list(new_ptype), dtype=object)[order]
    coded = renumber_runs(pd.concat([design.coded.reset_index(drop=True), new_coded.reset_index(drop=True)],
                                ignore_index=True))
    for f in factors:  # keep float columns float (concat of object and float labels stays object)
        if f.is_continuous or len(f.levels) == 2:
            coded[f.name] = coded[f.name].astype(float)
    std_new = int(np.max(design.std_order)) + 1 + order  # construction position of each new run
    run_new = int(np.max(design.run_order)) + 1 + np.arange(n1)
    info = {k: v for k, v in dict(design.details).items() if k == "kept_values"}
    info.update({"augmented_from": design.name, "kept_runs": n0, "new_runs": n1, **details})
    return Design(
        name=name,
        factors=tuple(factors),
        coded=coded,
        actual=actual_from_coded(coded, factors),
        run_order=np.concatenate([np.asarray(design.run_order, dtype=int), run_new]),
        std_order=np.concatenate([np.asarray(design.std_order, dtype=int), std_new.astype(int)]),
        blocks=np.concatenate([np.asarray(design.blocks, dtype=int), new_blocks]),
        point_type=np.concatenate([np.asarray(design.point_type, dtype=object), new_ptype]),
        seed=seed,
        details=MappingProxyType(info),
    )


def _foldover(design: Design, factor: str | Sequence[str] | None) -> tuple[pd.DataFrame, list[str], dict]:
    factors = list(design.factors)
    multi = [f.name for f in factors if not f.is_continuous and len(f.levels) > 2]
    if multi:
        raise InputError(f"augment foldover: factor(s) {multi} have more than two levels; a fold-over needs "
                         "two-level factors")
    S = design.coded[[f.name for f in factors]].to_numpy(dtype=float)
    cont = [j for j, f in enumerate(factors) if f.is_continuous]
    off = ~np.isclose(np.abs(S[:, cont]), 1.0) & ~np.isclose(S[:, cont], 0.0)
    if off.any():
        i, j = np.argwhere(off)[0]
        raise InputError(f"augment foldover: run {i + 1}, factor '{factors[cont[j]].name}' is at coded "
                         f"{S[i, cont[j]]:g}; a fold-over is for two-level designs (coded -1/+1, centre 0)")
    if factor is None:
        flip = list(range(len(factors)))
        what = "full fold-over (all signs reversed)"
    else:
        names = [factor] if isinstance(factor, str) else list(factor)
        unknown = [n for n in names if n not in design.factor_names]
        if unknown or not names:
            raise InputError(f"augment factor: unknown factor(s) {unknown or names} (factors: "
                             f"{', '.join(design.factor_names)})")
        flip = [design.factor_names.index(n) for n in names]
        what = f"fold-over on {', '.join(names)} (signs of {'that factor' if len(names) == 1 else 'those factors'} reversed)"
    centre = np.all(S[:, cont] == 0, axis=1) if cont and len(cont) == len(factors) else np.zeros(len(S), bool)
    rows = S[~centre].copy()
    rows[:, flip] *= -1.0
    new = pd.DataFrame({f.name: rows[:, j] for j, f in enumerate(factors)})
    return new, ["foldover"] * len(new), {"method": "foldover", "folded": [factors[j].name for j in flip],
                                          "description": what}


def _alpha_value(alpha: Any, k: int, F: int, cf: int, ca: int) -> tuple[float, str]:
    if isinstance(alpha, str):
        a = alpha.lower()
        if a == "orthogonal":
            return math.sqrt(F * (2 * k + ca) / (2 * (F + cf))), "orthogonal blocking"
        if a == "rotatable":
            return F ** 0.25, "rotatable"
        if a in ("face", "face-centered", "face-centred"):
            return 1.0, "face-centred"
        if a == "spherical":
            return math.sqrt(k), "spherical"
        raise InputError(f"alpha: expected 'orthogonal', 'rotatable', 'face', 'spherical' or a number, got {alpha!r}")
    try:
        value = float(alpha)
    except (TypeError, ValueError):
        raise InputError(f"alpha: expected 'orthogonal', 'rotatable', 'face', 'spherical' or a number, "
                         f"got {alpha!r}") from None
    if not np.isfinite(value) or value <= 0:
        raise InputError(f"alpha: expected a positive number, got {alpha!r}")
    return value, "custom"


def _axial(design: Design, alpha: Any, center: int | None) -> tuple[pd.DataFrame, list[str], dict]:
    factors = list(design.factors)
    cat = [f.name for f in factors if not f.is_continuous]
    if cat:
        raise InputError(f"augment axial: factor(s) {cat} are categorical; axial runs need continuous factors")
    S = design.coded[[f.name for f in factors]].to_numpy(dtype=float)
    centre = np.all(S == 0, axis=1)
    cube = S[~centre]
    if not np.allclose(np.abs(cube), 1.0):
        i = int(np.flatnonzero(~np.all(np.isclose(np.abs(cube), 1.0), axis=1))[0])
        raise InputError(f"augment axial: run {int(np.flatnonzero(~centre)[i]) + 1} is neither a factorial (+/-1) "
                         "nor a centre run; axial runs complete a two-level factorial into a central composite design")
    k, F, cf = len(factors), len(cube), int(centre.sum())
    ca = max(1, cf) if center is None else check_int(center, "runs (centre runs of the axial block)", 0)
    value, kind = _alpha_value(alpha, k, F, cf, ca)
    axial = np.zeros((2 * k, k))
    for j in range(k):
        axial[2 * j, j], axial[2 * j + 1, j] = -value, value
    rows = np.vstack([axial, np.zeros((ca, k))])
    new = pd.DataFrame({f.name: rows[:, j] for j, f in enumerate(factors)})
    return new, ["axial"] * (2 * k) + ["center"] * ca, {
        "method": "axial", "alpha": value, "alpha_kind": kind, "n_factorial": F, "n_center_factorial": cf,
        "n_center_axial": ca, "description": f"{2 * k} axial runs at alpha = {value:.4g} ({kind}) and {ca} centre runs"}


def _candidate_grid(factors: Sequence[Factor], rng: np.random.Generator, levels: int = 3) -> np.ndarray:
    """Numeric settings of a candidate grid (continuous at ``levels`` levels, every categorical level)."""
    axes = [np.linspace(-1.0, 1.0, levels) if f.is_continuous else np.arange(len(f.levels), dtype=float)
            for f in factors]
    size = int(np.prod([len(a) for a in axes]))
    if size <= _MAX_CANDIDATES:
        return np.array(list(itertools.product(*axes)), dtype=float)
    # too many: a seeded sample of grid points plus the centre
    idx = np.column_stack([rng.integers(0, len(a), _MAX_CANDIDATES) for a in axes])
    pts = np.column_stack([a[idx[:, j]] for j, a in enumerate(axes)])
    return np.unique(pts, axis=0)


def _d_optimal(design: Design, runs: int | None, model: Any, seed: int | None, candidates: pd.DataFrame | None,
               constraints: Any, disallowed: Any, new_block: bool, n_starts: int
               ) -> tuple[pd.DataFrame, list[str], dict, int]:
    factors = list(design.factors)
    terms = model_terms(model, factors)
    rb = ModelMatrix(terms, factors)
    p = len(rb.columns)
    S0 = _numeric(design)
    F0 = rb(S0)
    blocks0 = np.asarray(design.blocks, dtype=int)
    new_label = int(blocks0.max()) + 1 if new_block else int(blocks0.max())
    levels = sorted(set(blocks0.tolist()) | {new_label})
    nbc = len(levels) - 1
    if runs is None:
        runs = max(4, p + nbc + 4 - len(S0))
    runs = check_int(runs, "runs", 1)
    if len(S0) + runs < p + nbc:
        raise InputError(f"runs: the model has {p} coefficients" + (f" and the design {nbc + 1} blocks" if nbc else "")
                         + f"; {len(S0)} kept runs + {runs} new runs cannot estimate them: need runs >= "
                         f"{p + nbc - len(S0)}")
    rng = np.random.default_rng(0 if seed is None else seed)
    if candidates is None:
        C = _candidate_grid(factors, rng)
    else:
        C = _candidate_settings(candidates, factors)
    cons = parse_constraints(constraints, factors)
    bad = disallowed_check(disallowed, factors)
    ok = np.ones(len(C), dtype=bool)
    for a, b in cons:
        ok &= C @ a <= b + 1e-9
    if bad is not None:
        ok &= ~bad(C)
    C = C[ok]
    if len(C) == 0:
        raise InputError("constraints/disallowed: no candidate run is left inside the constrained region")

    def with_blocks(F: np.ndarray, labels: np.ndarray) -> np.ndarray:
        return np.hstack([F, effect_coding(labels, levels)]) if nbc else F

    X0 = with_blocks(F0, blocks0)
    XC = with_blocks(rb(C), np.full(len(C), new_label))
    q = X0.shape[1]
    ridge = 1e-8 * np.eye(q)

    def logdet(M: np.ndarray) -> float:
        ev = np.linalg.eigvalsh((M + M.T) / 2)
        if ev[0] <= 1e-9 * max(ev[-1], 1.0):  # singular: the runs cannot estimate the model
            return -np.inf
        return float(np.sum(np.log(ev)))

    def exchange(idx: np.ndarray) -> tuple[np.ndarray, float]:
        idx = idx.copy()
        for _ in range(100):
            improved = False
            for i in range(runs):
                M = X0.T @ X0 + XC[idx].T @ XC[idx] + ridge
                V = np.linalg.inv(M)
                x = XC[idx[i]]
                U = XC @ V
                dy = np.einsum("ij,ij->i", U, XC)
                dxy = U @ x
                dx = x @ V @ x
                ratio = (1.0 + dy) * (1.0 - dx) + dxy**2
                best = int(np.argmax(ratio))
                if ratio[best] > 1.0 + 1e-9:
                    idx[i] = best
                    improved = True
            if not improved:
                break
        M = X0.T @ X0 + XC[idx].T @ XC[idx]
        return idx, logdet(M)

    # start 1: greedy (each new run where the prediction variance is largest); then seeded random starts
    starts = []
    M = X0.T @ X0 + ridge
    greedy = []
    for _ in range(runs):
        V = np.linalg.inv(M)
        d = np.einsum("ij,jk,ik->i", XC, V, XC)
        j = int(np.argmax(d))
        greedy.append(j)
        M = M + np.outer(XC[j], XC[j])
    starts.append(np.array(greedy))
    for _ in range(check_int(n_starts, "n_starts", 0)):
        starts.append(rng.integers(0, len(C), runs))
    best = None
    for st in starts:
        idx, val = exchange(st)
        if best is None or val > best[1] + 1e-10:
            best = (idx, val)
    idx, val = best
    if not np.isfinite(val):
        raise InputError(f"runs: {runs} new runs from {len(C)} candidates cannot make the model estimable; "
                         "add runs or use a smaller model")
    rows = C[np.sort(idx)]
    new = pd.DataFrame(_coded_from_numeric(rows, factors))
    old_levels = sorted(set(blocks0.tolist()))
    X_before = np.hstack([F0, effect_coding(blocks0, old_levels)]) if len(old_levels) > 1 else F0
    before = logdet(X_before.T @ X_before)  # -inf when the kept runs alone cannot estimate the model
    return new, ["augment"] * runs, {
        "method": "d_optimal", "model_terms": terms, "log_det_before": before, "log_det_after": val,
        "n_candidates": int(len(C)), "description": f"{runs} D-optimal runs for the model {' + '.join(terms[1:])}"
    }, new_label


def _coded_from_numeric(S: np.ndarray, factors: Sequence[Factor]) -> dict:
    out = {}
    for j, f in enumerate(factors):
        if f.is_continuous:
            out[f.name] = S[:, j].astype(float)
        elif len(f.levels) == 2:
            out[f.name] = 2.0 * S[:, j] - 1.0
        else:
            out[f.name] = np.array([f.levels[int(round(x))] for x in S[:, j]], dtype=object)
    return out


def _candidate_settings(candidates: pd.DataFrame, factors: Sequence[Factor]) -> np.ndarray:
    """Candidate runs in actual units -> numeric settings (validated, naming row and column)."""
    if not isinstance(candidates, pd.DataFrame) or len(candidates) == 0:
        raise InputError("candidates: expected a DataFrame with one column per factor and at least one row")
    return _numeric(design_from_table(candidates, factors, source="candidates"))


def audit_resolution(design: Design) -> int | None:
    """Resolution of a regular two-level fraction read off its runs (None when not a regular fraction).

    The defining words are the factor subsets whose product is constant over the
    distinct non-centre runs; the runs form a regular fraction when their number
    times the number of words (identity included) is 2^k, and the resolution is
    then the length of the shortest word (None for a full factorial).

    Examples
    --------
    >>> from pdkit.doe.factors import Factor
    >>> from pdkit.doe.designs import fractional_factorial
    >>> d = fractional_factorial([Factor(n, 0, 1) for n in "ABCDEFG"], resolution=3)
    >>> audit_resolution(d), audit_resolution(augment(d, "foldover"))
    (3, 4)
    """
    factors = list(design.factors)
    k = len(factors)
    if k > 16 or any(not f.is_continuous and len(f.levels) != 2 for f in factors):
        return None
    S = design.coded[[f.name for f in factors]].to_numpy(dtype=float)
    S = S[~np.all(S == 0, axis=1)]
    if not len(S) or not np.allclose(np.abs(S), 1.0):
        return None
    S = np.unique(S, axis=0)
    masks = np.arange(1, 2**k)
    bits = ((masks[:, None] >> np.arange(k)[None, :]) & 1).astype(bool)
    neg = (S < 0).astype(int) @ bits.T % 2  # parity of -1s in each subset, per run
    constant = np.all(neg == neg[:1], axis=0)
    words = bits[constant].sum(axis=1)
    if len(S) * (len(words) + 1) != 2**k:
        return None
    return int(words.min()) if len(words) else None


def augment(
    design: Design | pd.DataFrame,
    method: str = "foldover",
    runs: int | None = None,
    *,
    factors: Sequence[Factor | dict] | None = None,
    model: Any = "interactions",
    seed: int | None = None,
    factor: str | Sequence[str] | None = None,
    alpha: str | float = "orthogonal",
    candidates: pd.DataFrame | None = None,
    constraints: Any = None,
    disallowed: Any = None,
    new_block: bool | None = None,
    n_starts: int = 5,
) -> Design:
    """Augment a design whose runs are done: the kept runs unchanged, the new runs appended.

    Parameters
    ----------
    design : Design or DataFrame
        The design, or its table of runs (a doe_design worksheet, filled in or
        not; then ``factors`` is needed).  Response columns are kept and written
        back by :meth:`Design.to_worksheet`.
    method : {"foldover", "axial", "center", "d_optimal"}
        * ``"foldover"``: every non-centre run again with all signs reversed
          (full fold-over), or only the signs of ``factor`` (single-factor
          fold-over); two-level factors only.
        * ``"axial"``: 2k axial runs at +/-``alpha`` plus ``runs`` centre runs
          (default: as many as the factorial part had, at least 1) - a two-level
          factorial becomes a central composite design in two blocks.
        * ``"center"``: ``runs`` centre runs (default 4), spread over the existing
          blocks (a block of centre runs alone would confound the curvature test
          with the block shift).
        * ``"d_optimal"``: ``runs`` runs chosen from ``candidates`` (default: every
          factor at -1, 0, +1 and every categorical level, filtered by
          ``constraints`` and ``disallowed``) to maximise det(X'X) of ``model``
          with the kept runs fixed and the blocks as fixed effects; Fedorov point
          exchange from a greedy start and ``n_starts`` seeded random starts.
    runs : int, optional
        See ``method``; not used by ``"foldover"``.
    factors : list of Factor, optional
        Needed when ``design`` is a table.
    model : str or list
        Model of the D-optimal augmentation (:func:`pdkit.doe.model.model_terms`).
    seed : int, optional
        Randomises the order of the new runs (and seeds the D-optimal random
        starts); ``None`` keeps their construction order and uses seed 0 for
        the starts, so the result is deterministic either way.
    factor : str or list of str, optional
        Fold over only these factors.
    alpha : {"orthogonal", "rotatable", "face", "spherical"} or float
        Axial distance (coded); ``"orthogonal"`` makes the new block orthogonal
        to the quadratic model.
    candidates : DataFrame, optional
        Candidate runs in actual units for ``"d_optimal"``.
    constraints, disallowed : optional
        Linear constraints and disallowed combinations in actual units, as for
        :func:`pdkit.doe.optimal_design` (``"A + B <= 1.5"``, ``"A > 40 and B < 2"``).
    new_block : bool, optional
        Put the new runs in a new block (default True; False for ``"center"``).
    n_starts : int
        Random starts of the D-optimal exchange.

    Returns
    -------
    Design
        Kept runs first (as they were), then the new runs; ``details`` has
        ``method``, ``kept_runs``, ``new_runs`` and method facts (``alpha``,
        ``log_det_before``/``log_det_after``...).

    Examples
    --------
    >>> from pdkit.doe.factors import Factor
    >>> from pdkit.doe.designs import full_factorial
    >>> d = full_factorial([Factor("A", 0, 1), Factor("B", 0, 1)], center=2)
    >>> ccd = augment(d, "axial", runs=2, alpha="face")
    >>> ccd.n_runs, ccd.point_type[6:].tolist()
    (12, ['axial', 'axial', 'axial', 'axial', 'center', 'center'])
    """
    base = _as_design(design, factors)
    m = str(method).lower().replace("-", "_")
    if m not in AUGMENT_METHODS:
        raise InputError(f"method: expected one of {', '.join(AUGMENT_METHODS)}, got {method!r}")
    seed = check_seed(seed)
    blocks0 = np.asarray(base.blocks, dtype=int)
    nb = (m != "center") if new_block is None else bool(new_block)
    new_label = int(blocks0.max()) + 1 if nb else int(blocks0.max())
    if m == "foldover":
        if runs is not None:
            raise InputError("runs: a fold-over adds one run per non-centre run; leave runs unset")
        new, ptype, info = _foldover(base, factor)
        info["resolution_before"] = audit_resolution(base)
        label = "fold-over" if factor is None else f"fold-over on {', '.join([factor] if isinstance(factor, str) else factor)}"
    elif factor is not None:
        raise InputError(f"factor: only a fold-over takes a factor, not method {method!r}")
    if m == "axial":
        new, ptype, info = _axial(base, alpha, runs)
        label = "axial runs"
    elif m == "center":
        cat = [f.name for f in base.factors if not f.is_continuous]
        if cat:
            raise InputError(f"augment center: factor(s) {cat} are categorical; centre runs need continuous factors")
        n = 4 if runs is None else check_int(runs, "runs", 1)
        new = pd.DataFrame({f.name: np.zeros(n) for f in base.factors})
        ptype, info, label = ["center"] * n, {"method": "center", "description": f"{n} centre runs"}, "centre runs"
    elif m == "d_optimal":
        new, ptype, info, new_label = _d_optimal(base, runs, model, seed, candidates, constraints, disallowed, nb,
                                                 n_starts)
        label = "D-optimal runs"
    if m == "center" and not nb:
        ub = np.unique(blocks0)
        new_blocks = np.array([ub[i % len(ub)] for i in range(len(new))], dtype=int)
    else:
        new_blocks = np.full(len(new), new_label, dtype=int)
    info["new_block"] = nb
    out = _combine(base, new, new_blocks, ptype, seed, f"{base.name} + {label}", info)
    if m == "foldover":
        info["resolution_after"] = audit_resolution(out)
        out = Design(**{**{f: getattr(out, f) for f in out.__dataclass_fields__},
                        "resolution": info["resolution_after"], "details": MappingProxyType({**out.details, **info})})
    return out
