"""Analysis of designed experiments: least-squares fit in coded units on statsmodels.

:func:`fit` codes the factors, builds the model matrix with
:func:`pdkit.doe.model.model_matrix`, fits ordinary least squares with
statsmodels and returns a :class:`DoEFit` holding

* ``coefficients`` (coded units) with standard errors, t, p and confidence intervals;
* ``effects`` (two-level effects = 2 x coefficient) and ``half_normal`` / ``pareto`` tables;
* ``anova``: per-term partial (Type III) sums of squares, as JMP's "Effect Tests" and
  Design-Expert's "[Partial sum of squares]", plus the summary rows Model, Residual,
  Curvature, Lack of fit, Pure error and Total;
* ``r2``, ``r2_adj``, ``r2_pred`` (PRESS from the hat matrix), ``rmse``;
* ``lack_of_fit`` (from replicated settings), ``curvature`` (centre points against the
  factorial runs of a two-level design), ``lenth`` (Lenth 1989, from the effect estimates
  of the factorial runs of a two-level design, with or without centre points; used for
  the error estimate of a saturated fit);
* ``diagnostics`` (fitted, residual, studentized residuals, leverage, Cook's distance,
  run order), :meth:`DoEFit.box_cox`, :meth:`DoEFit.reduce` and :meth:`DoEFit.predict`.

Coding and range rules
----------------------
A :class:`~pdkit.doe.factors.Factor` is coded from its declared ``low``/``high``
(-1/+1), so axial runs fall outside +/-1.  Settings more than 2 coded units from the
centre (beyond the axial distance of any common central composite design; a rotatable
CCD in 4 factors has alpha = 2) are rejected as probable unit or typing errors.  A factor
given as a column name is coded from that column's minimum and maximum; numeric columns
are continuous and text columns categorical (levels in sorted order).

Aliased terms
-------------
Exact aliasing (a linear dependence among the model columns) is resolved *before* the
number of coefficients is compared with the number of runs, as JMP does: terms are
taken lower orders first (intercept, main effects, interactions, squares) and, within an
order, by effect heredity (the term whose main effects, estimated with the intercept
alone, are all large comes first: ``temperature:shift_time`` before ``feed_rate:ph`` when
temperature and shift time are active), then by canonical name (the factor names sorted
within the term), never by the order of the factor columns; a term whose columns depend
on the terms already kept is dropped.  So the first term of each alias chain is kept and estimates the
sum of the chain (e.g. a 2^(6-2) fraction with E = ABC, F = BCD keeps ``A:B`` and drops
``C:E``).  ``model="auto"`` goes further: the member whose main effects are in the model
represents a chain (:mod:`pdkit.doe.selection`).  The dropped
terms are named in an :class:`AliasWarning` (``'A:B' = 'C:E'; 'A:E' = 'B:C' = 'D:F'``),
listed in ``dropped_terms`` and grouped by the kept term in ``aliases``.  Coefficient
tables never contain NaN-filled rows for aliased terms.

Choosing factors and a model
----------------------------
:func:`infer_factors` and :func:`infer_responses` guess the roles of the columns of a
results table (used by the ``doe_analysis`` report); :func:`supported_model` picks the
largest standard model ("quadratic" or "interactions") whose terms the design can
estimate.
"""
from __future__ import annotations

import functools
import warnings
from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import optimize, stats

from pdkit.errors import InputError
from pdkit.io.tables import describe_rows, numeric_column, require_columns, source_name
from pdkit.doe.factors import Factor
from pdkit.doe.selection import (Selection, definitive_screening_structure, select_definitive_screening,
                                 select_stepwise, term_key)
from pdkit.doe.model import (ModelMatrix, effect_coding, formula_response, model_matrix, model_terms, term_columns,
                             term_factors)
from pdkit.results import ResultMixin

__all__ = [
    "fit",
    "DoEFit",
    "infer_factors",
    "infer_responses",
    "supported_model",
    "BOOKKEEPING_COLUMNS",
    "is_bookkeeping",
    "lenth",
    "Lenth",
    "LackOfFit",
    "Curvature",
    "BoxCox",
    "AliasWarning",
    "MAX_CODED_DISTANCE",
]

#: Largest distance (coded units) a setting may lie from the centre of a declared Factor.
MAX_CODED_DISTANCE = 2.0
#: Column names that :func:`infer_factors` and :func:`infer_responses` treat as bookkeeping,
#: never as factors or responses.  Compared after lower-casing and dropping every character
#: that is not a letter or digit, so ``Run order``, ``run_order``, ``RunOrder`` and
#: ``Std. order`` all match (:func:`is_bookkeeping`).
BOOKKEEPING_COLUMNS = ("run", "run_order", "std_order", "order", "block", "blocks", "point_type", "batch", "id",
                       "runs", "run_no", "run_number", "run_id", "standard_order", "std", "pattern",
                       "replicate", "replicates", "rep", "reps", "replication", "run_type",
                       "notes", "note", "comment", "comments", "remark", "remarks", "sample_id")
_TOL = 1e-9


class AliasWarning(UserWarning):
    """A model term cannot be estimated separately from other terms and was dropped."""


# --------------------------------------------------------------------------- results
@dataclass(frozen=True)
class Lenth(ResultMixin):
    """Lenth's (1989) pseudo standard error for the effects of an unreplicated two-level design.

    In a :class:`DoEFit` it is computed from the effect estimates of the factorial runs
    (every model column +/-1 and mutually orthogonal there); centre runs, if any, are left
    out.  Because centre runs only inform the intercept (and the curvature test), these
    effects equal the fitted ``effects`` of a two-level design with centre points.

    Attributes
    ----------
    pse : float
        Pseudo standard error: ``1.5 * median(|c_j| : |c_j| < 2.5 s0)`` with ``s0 = 1.5 median|c_j|``.
    me, sme : float
        Margin of error ``t(1-alpha/2; d) * pse`` and simultaneous margin of error
        ``t(gamma; d) * pse`` with ``gamma = (1 + (1-alpha)**(1/m)) / 2``.
    df : float
        ``d = m / 3`` pseudo degrees of freedom (m effects).
    s0 : float
        Initial robust scale ``1.5 * median|c_j|``.
    alpha : float
    m : int
    usable : bool
        False when the PSE is 0 (e.g. all effects but a few exactly zero, a noise-free
        response): there is then no scale to judge the effects by, no effect is declared
        active, ``me`` and ``sme`` are NaN and ``note`` says why.
    note : str or None
    """

    pse: float
    me: float
    sme: float
    df: float
    s0: float
    alpha: float
    m: int
    usable: bool = True
    note: str | None = None

    def active(self, effects: Sequence[float] | pd.Series) -> np.ndarray:
        """``|effect| > ME`` for each effect; all False when the PSE is 0 (see ``usable``).

        Examples
        --------
        >>> lenth([8.0, 0.0, 0.0, 0.0, 0.0, 0.0]).active([8.0, 0.0, 0.0, 0.0, 0.0, 0.0]).tolist()
        [False, False, False, False, False, False]
        """
        e = np.abs(np.asarray(effects, dtype=float))
        if not self.usable:
            return np.zeros(e.shape, dtype=bool)
        return e > self.me


@dataclass(frozen=True)
class LackOfFit(ResultMixin):
    """Lack-of-fit F test: residual minus pure error against pure error from replicated settings."""

    sum_sq: float
    df: int
    mean_sq: float
    F: float
    p: float
    pure_error_sum_sq: float
    pure_error_df: int
    pure_error_mean_sq: float


@dataclass(frozen=True)
class Curvature(ResultMixin):
    """Curvature test of a two-level design with centre points (Montgomery, DAE, section 6.8).

    ``sum_sq = nF nC (ybar_F - ybar_C)^2 / (nF + nC)`` tested as the partial F of a
    centre-point indicator added to the model (as Design-Expert's "Curvature" row).
    """

    sum_sq: float
    df: int
    F: float
    p: float
    mean_factorial: float
    mean_center: float
    n_factorial: int
    n_center: int


@dataclass(frozen=True)
class BoxCox(ResultMixin):
    """Box-Cox (1964) transformation suggestion from the model's residual sum of squares.

    Attributes
    ----------
    lam : float
        Maximum-likelihood lambda.
    ci_low, ci_high : float
        Likelihood-ratio confidence interval (``L(lam) >= L(max) - chi2(1-alpha, 1)/2``);
        clipped to the search range if the profile does not fall far enough.
    includes_one : bool
        The interval contains 1 (no transformation needed).
    suggestion : str
        ``"none"``, ``"sqrt"``, ``"log"``, ``"inverse sqrt"``, ``"reciprocal"``, ``"square"``
        or ``"power <lam>"``.
    message : str
    profile : DataFrame
        ``lambda``, ``log_likelihood``, ``sse`` (residual SS of the scaled transform).
    at_bound : bool
        The likelihood is largest at an end of the search range, so ``lam`` is that bound,
        not an optimum (the maximum lies beyond it); ``note`` then says so.
    note : str or None
    """

    lam: float
    ci_low: float
    ci_high: float
    includes_one: bool
    suggestion: str
    message: str
    profile: pd.DataFrame = field(repr=False)
    at_bound: bool = False
    note: str | None = None


# --------------------------------------------------------------------------- Lenth
def lenth(effects: Sequence[float] | pd.Series, alpha: float = 0.05) -> Lenth:
    """Lenth's pseudo standard error, margin of error and simultaneous margin of error.

    Parameters
    ----------
    effects : sequence of float
        The m contrasts / effects of an unreplicated two-level design (not the intercept).
    alpha : float
        Significance level for the margins.

    Returns
    -------
    Lenth

    Examples
    --------
    >>> r = lenth([-12, -1, 4, -1, 6, -1, -5])
    >>> round(r.pse, 3), round(r.me, 2)
    (6.0, 22.58)
    """
    c = np.abs(np.asarray(effects, dtype=float))
    if c.ndim != 1 or c.size < 2 or not np.isfinite(c).all():
        raise InputError(f"lenth: expected at least 2 finite effects, got {list(np.atleast_1d(effects))}")
    if not 0 < alpha < 1:
        raise InputError(f"lenth: alpha must be in (0, 1), got {alpha}")
    m = c.size
    # effects that are zero up to rounding (1e-10 of the largest) count as exactly zero
    c = np.where(c <= 1e-10 * float(c.max()), 0.0, c) if c.max() > 0 else c
    s0 = 1.5 * float(np.median(c))
    small = c[c < 2.5 * s0]
    pse = 1.5 * float(np.median(small)) if small.size else s0
    d = m / 3.0
    if not pse > 0:
        n_zero = int((c == 0).sum())
        note = (f"Lenth's pseudo standard error is 0 ({n_zero} of the {m} effects are exactly zero, e.g. a "
                "noise-free or constructed response): there is no scale to judge the effects by, so no effect is "
                "declared active; look at the effect sizes themselves, or replicate runs to estimate the error")
        return Lenth(pse=0.0, me=float("nan"), sme=float("nan"), df=d, s0=s0, alpha=alpha, m=m, usable=False,
                     note=note)
    me = float(stats.t.ppf(1 - alpha / 2, d)) * pse
    gamma = (1 + (1 - alpha) ** (1.0 / m)) / 2
    sme = float(stats.t.ppf(gamma, d)) * pse
    return Lenth(pse=pse, me=me, sme=sme, df=d, s0=s0, alpha=alpha, m=m)


# --------------------------------------------------------------------------- helpers
def _rss(X: np.ndarray, y: np.ndarray) -> float:
    beta, *_ = np.linalg.lstsq(X, y, rcond=None)
    r = y - X @ beta
    return float(r @ r)


def _fdist_p(F: float, df1: float, df2: float) -> float:
    return float(stats.f.sf(F, df1, df2))


def _is_numeric_like(s: pd.Series) -> bool:
    if pd.api.types.is_bool_dtype(s):
        return False
    if pd.api.types.is_numeric_dtype(s):
        return True
    conv = pd.to_numeric(s, errors="coerce")
    return bool(conv.notna().any())


def _rows(mask: np.ndarray) -> str:
    return describe_rows([int(i) + 1 for i in np.flatnonzero(mask)])


def _resolve_factors(
    data: pd.DataFrame, response: str, factors: Sequence[Factor | str] | None, exclude: Sequence[str], src: str
) -> list[Factor]:
    if factors is None:
        factors = [c for c in data.columns if c != response and c not in exclude]
        if not factors:
            raise InputError(f"{src}: no factor columns besides the response '{response}'")
    elif isinstance(factors, (str, Factor)):
        factors = [factors]
    out: list[Factor] = []
    for f in factors:
        if isinstance(f, Factor):
            out.append(f)
            continue
        if not isinstance(f, str):
            raise InputError(f"factors: expected Factor objects or column names, got {f!r}")
        require_columns(data, [f], src)
        if f == response:
            raise InputError(f"factors: '{f}' is the response column; it cannot also be a factor")
        col = data[f]
        if _is_numeric_like(col):
            v = numeric_column(data, f, src)
            lo, hi = float(v.min()), float(v.max())
            if not lo < hi:
                raise InputError(f"{src}, column '{f}': the factor is held constant at {lo:g} in every run; "
                                 "it has no effect to estimate (remove it from the factors)")
            out.append(Factor(f, lo, hi))
        else:
            if col.isna().any():
                raise InputError(f"{src}, column '{f}', {_rows(col.isna().to_numpy())}: level is missing")
            levels = sorted({str(x) for x in col})
            if len(levels) < 2:
                raise InputError(f"{src}, column '{f}': the factor is held constant at '{levels[0]}' in every run; "
                                 "it has no effect to estimate (remove it from the factors)")
            out.append(Factor(f, levels=levels))
    names = [f.name for f in out]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise InputError(f"factors: repeated factor name(s) {dupes}")
    if response in names:
        raise InputError(f"factors: '{response}' is the response column; it cannot also be a factor")
    return out


def _code_settings(
    table: pd.DataFrame, factors: Sequence[Factor], src: str, *, check_range: bool, check_constant: bool
) -> pd.DataFrame:
    """Coded settings (continuous -> coded numbers, categorical -> level labels)."""
    require_columns(table, [f.name for f in factors], src)
    coded = {}
    for f in factors:
        if f.is_continuous:
            v = numeric_column(table, f.name, src)
            c = np.asarray(f.to_coded(v.to_numpy()), dtype=float)
            if check_constant and len(v) > 1 and np.ptp(v.to_numpy()) == 0:
                raise InputError(f"{src}, column '{f.name}': the factor is held constant at {v.iloc[0]:g} in every "
                                 "run; it has no effect to estimate (remove it from the factors)")
            if check_range:
                bad = np.abs(c) > MAX_CODED_DISTANCE + _TOL
                if bad.any():
                    vals = ", ".join(f"{x:g}" for x in v.to_numpy()[bad][:3])
                    raise InputError(
                        f"{src}, column '{f.name}', {_rows(bad)}: value(s) {vals} lie more than "
                        f"{MAX_CODED_DISTANCE:g} coded units outside the declared range "
                        f"[{f.low:g}, {f.high:g}] {f.units}".rstrip()
                        + " (axial points up to 2 coded units are allowed); check the units or the Factor range"
                    )
            coded[f.name] = c
        else:
            raw = table[f.name]
            lab = raw.to_numpy(dtype=object)
            levels = list(f.levels)
            ok = np.array([x in levels for x in lab])
            if not ok.all() and all(isinstance(x, str) for x in levels):
                lab = np.array([str(x) for x in lab], dtype=object)
                ok = np.array([x in levels for x in lab])
            if not ok.all():
                bad = sorted({str(x) for x in lab[~ok]})
                raise InputError(f"{src}, column '{f.name}', {_rows(~ok)}: level(s) {bad} not among the declared "
                                 f"levels {levels}")
            if check_constant and len(set(lab)) < 2:
                raise InputError(f"{src}, column '{f.name}': the factor is held constant at '{lab[0]}' in every run; "
                                 "it has no effect to estimate (remove it from the factors)")
            coded[f.name] = lab
    return pd.DataFrame(coded, index=table.index)


def _heredity_scores(X: pd.DataFrame, y: np.ndarray, terms: Sequence[str],
                     mapping: Mapping[str, list[str]]) -> dict[str, float]:
    """Effect-heredity priority of each higher-order term: the smallest size of its main effects.

    The main effects are estimated by least squares with the intercept alone (minimum norm
    when they are aliased); a multi-column (categorical) main effect counts by the norm of its
    coefficients.  Of an alias chain, the member whose main effects are all large is kept
    (``temperature:shift_time`` rather than ``feed_rate:ph`` when temperature and shift time
    are active), whatever the order of the columns.
    """
    mains = [t for t in terms if t != "Intercept" and t != "Block" and len(term_factors(t)) == 1]
    cols = [c for t in mains for c in mapping[t]]
    if not cols or "Intercept" not in X.columns:
        return {}
    A = np.column_stack([X["Intercept"].to_numpy(), X[cols].to_numpy()])
    beta, *_ = np.linalg.lstsq(A, np.asarray(y, dtype=float), rcond=None)
    b = dict(zip(cols, beta[1:]))
    size = {t: float(np.sqrt(sum(b[c] ** 2 for c in mapping[t]))) for t in mains}
    top = max(size.values()) if size and max(size.values()) > 0 else 1.0
    out = {}
    for t in terms:
        fs = set(term_factors(t))
        if t in ("Intercept", "Block") or len(term_factors(t)) < 2 or not fs <= set(size):
            continue
        out[t] = round(min(size[f] for f in fs) / top, 8)
    return out


def _resolve_aliasing(X: pd.DataFrame, terms: Sequence[str], mapping: Mapping[str, list[str]],
                      scores: Mapping[str, float] | None = None
                      ) -> tuple[list[str], list[str], dict[str, tuple[str, ...]]]:
    """Keep terms, lower orders first, while their columns are linearly independent of those kept.

    Within an order the terms are taken by heredity score (``scores``: larger first, see
    :func:`_heredity_scores`), then by canonical name, never by the order of the columns.

    Returns the kept terms, the dropped terms and the alias chains: kept term (or, for a
    dependence on several kept columns, the linear combination as text) -> dropped terms
    equal to it (prefixed ``-`` when equal to its negative).
    """
    Xv = X.to_numpy()
    pos = {c: i for i, c in enumerate(X.columns)}
    kept: list[str] = []
    kept_cols: list[int] = []
    dropped: list[str] = []
    # lower orders first, then the canonical name (factors sorted within the term): which member of
    # an alias chain is kept never depends on the order of the factor columns
    fixed = [t for t in terms if t in ("Intercept", "Block")]
    sc = scores or {}
    order = fixed + sorted((t for t in terms if t not in fixed),
                           key=lambda t: (term_key(t)[0], -sc.get(t, 0.0), term_key(t)))
    for t in order:
        cand = kept_cols + [pos[c] for c in mapping[t]]
        if np.linalg.matrix_rank(Xv[:, cand]) == len(cand):
            kept.append(t)
            kept_cols = cand
        else:
            dropped.append(t)
    # model order for the kept terms; columns in the same order
    kept = [t for t in terms if t in kept]
    kept_cols = [pos[c] for t in kept for c in mapping[t]]
    owner = {c: t for t in kept for c in mapping[t]}
    kept_names = [X.columns[i] for i in kept_cols]
    chains: dict[str, list[str]] = {}
    for t in dropped:
        key, member = None, None
        for col in mapping[t]:
            y = Xv[:, pos[col]]
            beta, *_ = np.linalg.lstsq(Xv[:, kept_cols], y, rcond=None)
            if not np.allclose(Xv[:, kept_cols] @ beta, y, atol=1e-8):
                continue  # this column is not itself in the span; another column of the term is
            nz = [(b, name) for b, name in zip(beta, kept_names) if abs(b) > 1e-8]
            if len(nz) == 1 and abs(abs(nz[0][0]) - 1) < 1e-8 and mapping[owner[nz[0][1]]] == [nz[0][1]]:
                key, member = owner[nz[0][1]], ("-" if nz[0][0] < 0 else "") + t
            else:
                key = " ".join(f"{'+' if b > 0 else '-'} {'' if abs(abs(b) - 1) < 1e-8 else f'{abs(b):.3g} '}"
                               f"'{name}'" for b, name in nz).lstrip("+ ") if nz else "0"
                member = t if len(mapping[t]) == 1 else f"{t} (column {col})"
            break
        if key is None:  # jointly, not column by column, dependent (multi-column terms)
            key, member = "earlier terms (partially)", t
        chains.setdefault(key, []).append(member)
    rank = {t: i for i, t in enumerate(kept)}
    ordered = sorted(chains, key=lambda k: (k not in rank, rank.get(k, 0)))
    return kept, dropped, {k: tuple(chains[k]) for k in ordered}


def _chain_text(key: str, members: Sequence[str], key_is_term: bool) -> str:
    def q(m: str) -> str:
        return f"-'{m[1:]}'" if m.startswith("-") else f"'{m}'"

    return " = ".join([f"'{key}'" if key_is_term else key] + [q(m) for m in members])


def _orthogonal_two_level(X: np.ndarray) -> bool:
    n = X.shape[0]
    if X.shape[1] < 2:
        return False
    if not np.all(np.isclose(np.abs(X), 1.0)):
        return False
    return bool(np.allclose(X.T @ X, n * np.eye(X.shape[1])))


def _factorial_lenth(X: pd.DataFrame, y: np.ndarray, coded: pd.DataFrame, facs: Sequence[Factor],
                     alpha: float) -> tuple[Lenth | None, int]:
    """Lenth's method on the effects estimated from the factorial runs of a two-level design.

    Applies when every run is either a factorial run (all effect columns, i.e. the
    non-intercept, non-square model columns, are +/-1) or a centre run (every continuous
    factor at 0), and the intercept and effect columns are orthogonal over the factorial
    runs.  Returns ``(Lenth or None, number of centre runs)``.
    """
    cols = list(X.columns)
    eff = [c for c in cols if c != "Intercept" and not c.endswith("^2")]
    if "Intercept" not in cols or len(eff) < 2:
        return None, 0
    E = X[eff].to_numpy()
    fact = np.all(np.isclose(np.abs(E), 1.0), axis=1)
    cont = [f.name for f in facs if f.is_continuous]
    if cont:
        centre = np.all(np.abs(coded[cont].to_numpy(dtype=float)) < 1e-9, axis=1) & ~fact
    else:
        centre = np.zeros(len(y), dtype=bool)
    if not fact.any() or not np.all(fact | centre):
        return None, 0
    Xf = X.loc[fact, ["Intercept"] + eff].to_numpy()
    nf = Xf.shape[0]
    if not np.allclose(Xf.T @ Xf, nf * np.eye(Xf.shape[1])):
        return None, 0
    effects = 2.0 * (Xf[:, 1:].T @ y[fact]) / nf
    return lenth(effects, alpha=alpha), int(centre.sum())


# --------------------------------------------------------------------------- DoEFit
@dataclass(frozen=True, repr=False)
class DoEFit(ResultMixin):
    """Result of :func:`fit`: a least-squares model in coded units with its diagnostics.

    Attributes
    ----------
    response : str
    factors : list of Factor
        The factors with their coding (declared or from the data's min/max).
    terms : list of str
        Model terms kept (``Intercept``, ``A``, ``A:B``, ``A^2``), after dropping aliased terms.
    dropped_terms : tuple of str
        Terms dropped because they are aliased with earlier terms.
    aliases : dict
        The alias chains: each kept term that has aliases -> tuple of the dropped terms
        equal to it (a leading ``-`` when equal to its negative), e.g.
        ``{"A:B": ("C:E",), "A:E": ("B:C", "D:F")}``; the kept term's coefficient estimates
        the sum of its chain.  A term that depends on several kept columns (non-regular
        designs, multi-level categorical factors) is listed under the linear combination
        as text, e.g. ``"0.5 'A' + 0.5 'B'"``.  ``alias_chains`` gives them as text.
    coefficients : DataFrame
        Index: model-matrix column (= term for continuous and two-level factors);
        columns ``estimate``, ``std_error``, ``t``, ``p``, ``ci_low``, ``ci_high`` (coded units).
    effects : DataFrame
        ``effect`` (= 2 x coefficient), ``std_error``, ``sum_sq`` for every non-intercept,
        non-square column.
    anova : DataFrame
        Index ``source``: ``Model``, each term (partial SS), ``Residual``, optionally
        ``Curvature``, ``Lack of fit``, ``Pure error``, and ``Total`` (corrected; uncorrected,
        the sum of squares about zero on n df, for a model without an intercept); columns
        ``sum_sq``, ``df``, ``mean_sq``, ``F``, ``p``.
    r2 : float
        ``1 - SS_residual/SS_total``; uncentred (about zero, as statsmodels' ``rsquared`` with
        ``hasconst=False``) for a model without an intercept, and ``notes`` say so.
    r2_adj : float or None
        None for a saturated model.
    r2_pred : float or None
        ``1 - PRESS/SS_total``; None when a run has leverage 1 (PRESS undefined).
    rmse : float or None
        Root mean square error; None for a saturated fit.
    lack_of_fit : LackOfFit or None
        None when there are no replicated settings or no lack-of-fit degrees of
        freedom; ``lack_of_fit_reason`` then says why.
    curvature : Curvature or None
    lenth : Lenth or None
        For two-level designs, with or without centre points: computed from the effects
        estimated on the factorial runs (every effect column +/-1 and mutually orthogonal
        there; see :class:`Lenth`).  None for other designs (e.g. with axial runs) and for
        models without an intercept.
    error_basis : str
        ``"residual"`` or ``"lenth"`` (saturated two-level fit: standard errors from
        Lenth's PSE with m/3 degrees of freedom).
    results : statsmodels RegressionResults
        The underlying statsmodels fit (exog = coded model matrix, then the block columns).
    X : DataFrame
        Coded model matrix (model terms only; see ``X_blocks``).
    block_column : str or None
        Column of the data holding the block of each run, when the fit has a block effect.
    X_blocks : DataFrame or None
        Sum-to-zero coded block columns ``Block[<level>]`` (one per block but the last).
        Predictions are for the average block (block columns 0), as in Design-Expert.
    block_effects : DataFrame or None
        Each block's effect (deviation from the average block): ``estimate``, ``std_error``.
    notes : tuple of str
    selection : Selection or None
        With ``model="auto"``: how the terms were chosen (:class:`pdkit.doe.selection.Selection`:
        method, candidates, steps with their criterion values, selected terms and the alias
        groups the design cannot separate); None for a model given explicitly.
    """

    _frame_from = "coefficients"

    response: str
    factors: list
    terms: list
    dropped_terms: tuple
    aliases: dict
    coefficients: pd.DataFrame
    effects: pd.DataFrame
    anova: pd.DataFrame
    r2: float
    r2_adj: float | None
    r2_pred: float | None
    rmse: float | None
    lack_of_fit: LackOfFit | None
    lack_of_fit_reason: str | None
    curvature: Curvature | None
    lenth: Lenth | None
    error_basis: str
    results: Any = field(repr=False)
    X: pd.DataFrame = field(repr=False)
    y: pd.Series = field(repr=False)
    data: pd.DataFrame = field(repr=False)
    coded: pd.DataFrame = field(repr=False)
    run_order: np.ndarray = field(repr=False)
    run_order_column: str | None = None
    alpha: float = 0.05
    notes: tuple = ()
    block_column: str | None = None
    X_blocks: pd.DataFrame | None = field(default=None, repr=False)
    block_effects: pd.DataFrame | None = None
    selection: Selection | None = None

    # ---------------------------------------------------------------- basic
    @property
    def n(self) -> int:
        """Number of runs."""
        return int(len(self.y))

    @property
    def df_resid(self) -> int:
        return int(self.n - self.X.shape[1] - self._n_block_columns)

    @property
    def _n_block_columns(self) -> int:
        return 0 if self.X_blocks is None else int(self.X_blocks.shape[1])

    def _with_blocks(self, X: np.ndarray, rows: str = "fit") -> np.ndarray:
        """Model rows extended with the block columns: the data's own blocks (``rows="fit"``)
        or the average block (zeros, for predictions at new settings)."""
        if self.X_blocks is None:
            return X
        B = self.X_blocks.to_numpy() if rows == "fit" else np.zeros((X.shape[0], self._n_block_columns))
        return np.column_stack([X, B])

    @property
    def cov_params(self) -> np.ndarray:
        """Covariance matrix of the model coefficients (``params`` order; block effects left out)."""
        p = self.X.shape[1]
        return np.asarray(self.results.cov_params(), dtype=float)[:p, :p]

    @property
    def xtx_inv(self) -> np.ndarray:
        """Unscaled covariance of the model coefficients, ``(X'X)^-1`` restricted to the model
        terms when block columns are in the fit (``cov_params = rmse**2 * xtx_inv``)."""
        Xf = self._with_blocks(self.X.to_numpy())
        p = self.X.shape[1]
        return np.linalg.pinv(Xf.T @ Xf)[:p, :p]

    @property
    def params(self) -> pd.Series:
        """Coefficient estimates (coded units) indexed by model-matrix column."""
        return self.coefficients["estimate"]

    @property
    def has_intercept(self) -> bool:
        """The model has an intercept (False for a formula with ``- 1`` or ``+ 0``).

        Examples
        --------
        >>> import pandas as pd
        >>> d = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0], "y": [2.1, 3.9, 6.2, 7.8]})
        >>> fit(d, "y", "y ~ x").has_intercept, fit(d, "y", "y ~ x - 1").has_intercept
        (True, False)
        """
        return "Intercept" in self.terms

    @property
    def factor_names(self) -> list[str]:
        return [f.name for f in self.factors]

    @property
    def alias_chains(self) -> list[str]:
        """The alias chains as text, e.g. ``["'A:B' = 'C:E'", "'A:E' = 'B:C' = 'D:F'"]``."""
        return [_chain_text(k, v, k in self.terms or k in self.dropped_terms) for k, v in self.aliases.items()]

    def factor(self, name: str) -> Factor:
        for f in self.factors:
            if f.name == name:
                return f
        raise InputError(f"'{name}' is not a factor of this fit (factors: {', '.join(self.factor_names)})")

    @property
    def labelled_coefficients(self) -> pd.DataFrame:
        """``coefficients`` with categorical factors named by their levels, plus every level's effect.

        Categorical factors are effect coded (sum to zero): a two-level factor's column is -1
        at its first level and +1 at its second, so its coefficient is the second level's
        deviation from the average of the two and is shown as ``name[second]``; a factor with
        k levels has k - 1 columns ``name[level]``.  For each categorical main effect the
        level left out (the first of two, the last of k) gets a row too, estimated as minus
        the sum of the others (JMP's "expanded estimates"), with its standard error, t, p and
        confidence interval from the coefficients' covariance.  Continuous terms are unchanged.

        Examples
        --------
        >>> import pandas as pd
        >>> d = pd.DataFrame({"line": ["HEK293", "HEK293T"] * 3, "y": [10.0, 14.0, 10.5, 13.5, 9.5, 14.5]})
        >>> fit(d, "y", factors=["line"]).labelled_coefficients["estimate"].round(3).to_dict()
        {'Intercept': 12.0, 'line[HEK293T]': 2.0, 'line[HEK293]': -2.0}
        """
        fmap = {f.name: f for f in self.factors}

        def part(name: str) -> str:
            f = fmap.get(name)
            if f is not None and not f.is_continuous and len(f.levels) == 2:
                return f"{name}[{f.levels[1]}]"
            return name

        co = self.coefficients.copy()
        co.index = pd.Index([c if c == "Intercept" or c.endswith("^2") else ":".join(part(q) for q in c.split(":"))
                             for c in co.index], name=co.index.name)
        cols = list(self.coefficients.index)
        if self.error_basis == "residual":
            cov = self.cov_params
            df = self.df_resid
        else:
            se = self.coefficients["std_error"].to_numpy(dtype=float)
            cov = np.diag(se**2)
            df = self.lenth.df if self.lenth is not None else np.nan
        q = stats.t.ppf(1 - self.alpha / 2, df) if np.isfinite(df) and df > 0 else np.nan
        extra = []
        for f in self.factors:
            if f.is_continuous:
                continue
            mcols = term_columns([f.name], self.factors)[f.name]
            if not all(c in cols for c in mcols):
                continue
            left_out = f.levels[0] if len(f.levels) == 2 else f.levels[-1]
            L = np.zeros(len(cols))
            for c in mcols:
                L[cols.index(c)] = -1.0
            est = float(L @ self.params.to_numpy())
            se_l = float(np.sqrt(max(L @ cov @ L, 0.0)))
            t = est / se_l if se_l > 0 else np.nan
            p = float(2 * stats.t.sf(abs(t), df)) if np.isfinite(t) and np.isfinite(df) else np.nan
            extra.append((f"{f.name}[{left_out}]", [est, se_l, t, p, est - q * se_l, est + q * se_l],
                          co.index.get_loc(part(mcols[-1])) if len(f.levels) == 2 else
                          co.index.get_loc(mcols[-1])))
        if not extra:
            return co
        rows = list(co.itertuples(index=True, name=None))
        out_rows, names = [], []
        for i, r in enumerate(rows):
            out_rows.append(list(r[1:]))
            names.append(r[0])
            for name, vals, at in extra:
                if at == i:
                    out_rows.append(vals)
                    names.append(name)
        return pd.DataFrame(out_rows, columns=co.columns, index=pd.Index(names, name=co.index.name))

    # ---------------------------------------------------------------- diagnostics
    @property
    def diagnostics(self) -> pd.DataFrame:
        """Residual diagnostics, one row per run, in the data's row order.

        Columns ``run_order``, ``actual``, ``fitted``, ``residual``, ``leverage`` and, when
        residual degrees of freedom exist, ``studentized`` (internally studentized),
        ``studentized_external`` (needs 2+ residual df) and ``cooks_distance``.  Runs with
        leverage 1 are fitted exactly and have no studentized residual (NaN there).
        """
        X = self._with_blocks(self.X.to_numpy())
        y = self.y.to_numpy()
        fitted = X @ np.asarray(self.results.params, dtype=float)
        resid = y - fitted
        XtX_inv = np.linalg.pinv(X.T @ X)
        h = np.einsum("ij,jk,ik->i", X, XtX_inv, X)
        out = pd.DataFrame(
            {"run_order": self.run_order, "actual": y, "fitted": fitted, "residual": resid, "leverage": h},
            index=self.y.index,
        )
        dfr = self.df_resid
        if dfr >= 1:
            s2 = float(resid @ resid) / dfr
            p = X.shape[1]
            with np.errstate(divide="ignore", invalid="ignore"):
                one_minus_h = np.where(h < 1 - 1e-10, 1 - h, np.nan)
                r = resid / np.sqrt(s2 * one_minus_h)
                out["studentized"] = r
                if dfr >= 2:
                    out["studentized_external"] = r * np.sqrt((dfr - 1) / np.maximum(dfr - r**2, 1e-300))
                out["cooks_distance"] = r**2 * h / (p * one_minus_h)
        return out

    @property
    def half_normal(self) -> pd.DataFrame:
        """Effects sorted by absolute size with half-normal plotting positions.

        Columns ``term``, ``effect``, ``abs_effect``, ``rank``, ``quantile``
        (``Phi^-1(0.5 + 0.5 (i - 0.5)/m)``) and, when Lenth's method applies,
        ``active`` (``|effect| > ME``).
        """
        eff = self.effects["effect"]
        df = pd.DataFrame({"term": eff.index, "effect": eff.to_numpy(), "abs_effect": np.abs(eff.to_numpy())})
        df = df.sort_values("abs_effect", kind="mergesort").reset_index(drop=True)
        m = len(df)
        df["rank"] = np.arange(1, m + 1)
        df["quantile"] = stats.norm.ppf(0.5 + 0.5 * (df["rank"] - 0.5) / m)
        if self.lenth is not None:
            df["active"] = self.lenth.active(df["abs_effect"].to_numpy())
        return df

    @property
    def pareto(self) -> pd.DataFrame:
        """Terms sorted by ``|t|`` (largest first): ``term``, ``effect``, ``t``, ``abs_t``, ``p``."""
        co = self.coefficients.drop(index="Intercept", errors="ignore")
        df = pd.DataFrame({
            "term": co.index,
            "effect": 2 * co["estimate"].to_numpy(),
            "t": co["t"].to_numpy(),
            "abs_t": np.abs(co["t"].to_numpy()),
            "p": co["p"].to_numpy(),
        })
        return df.sort_values("abs_t", ascending=False, kind="mergesort").reset_index(drop=True)

    # ---------------------------------------------------------------- Box-Cox
    def box_cox(self, alpha: float = 0.05, bounds: tuple[float, float] = (-3.0, 3.0)) -> BoxCox:
        """Box-Cox transformation suggestion (Box & Cox 1964; Montgomery, DAE, section 15.1.1).

        For each lambda the response is transformed with the geometric-mean scaled
        power ``y(lam) = (y**lam - 1) / (lam * gm**(lam - 1))`` (``gm * log y`` at 0), the
        same model is refitted and ``L(lam) = -n/2 log(SSE(lam)/n)``.  The confidence
        interval is ``{lam : L(lam) >= L(lam_hat) - chi2(1 - alpha; 1)/2}``.  Lambda is
        searched within ``bounds``; when the likelihood is largest at a bound, ``at_bound``
        is True and ``note`` (also appended to ``message``) says that the bound is not an
        optimum.

        Examples
        --------
        >>> import numpy as np, pandas as pd
        >>> x = np.repeat([-1.0, 0.0, 1.0], 4)
        >>> y = np.exp(2 + x + 0.05 * np.tile([-1, 1, -0.5, 0.5], 3))
        >>> bc = fit(pd.DataFrame({"x": x, "y": y}), "y").box_cox()
        >>> bc.suggestion, bc.includes_one
        ('log', False)
        """
        y = self.y.to_numpy()
        if (y <= 0).any():
            bad = y <= 0
            raise InputError(f"{source_name(self.data)}, column '{self.response}', {_rows(bad)}: Box-Cox needs "
                             f"positive responses, got {', '.join(f'{v:g}' for v in y[bad][:3])}")
        if self.df_resid < 1:
            raise InputError("box_cox: the model leaves no residual degrees of freedom; reduce the model first")
        if not 0 < alpha < 1:
            raise InputError(f"box_cox: alpha must be in (0, 1), got {alpha}")
        X = self._with_blocks(self.X.to_numpy())
        n = len(y)
        ly = np.log(y)
        gm = float(np.exp(ly.mean()))

        def sse(lam: float) -> float:
            if abs(lam) < 1e-10:
                z = gm * ly
            else:
                z = (y**lam - 1) / (lam * gm ** (lam - 1))
            return _rss(X, z)

        def loglik(lam: float) -> float:
            return -0.5 * n * np.log(sse(lam) / n)

        try:
            lo_b, hi_b = (float(b) for b in bounds)
        except (TypeError, ValueError):
            raise InputError(f"box_cox: bounds must be two numbers (low, high), got {bounds!r}") from None
        if not (np.isfinite(lo_b) and np.isfinite(hi_b) and lo_b < 1 < hi_b):
            raise InputError(f"box_cox: bounds must satisfy low < 1 < high, got {bounds!r}")
        grid = np.linspace(lo_b, hi_b, 121)
        ll = np.array([loglik(g) for g in grid])
        i = int(np.argmax(ll))
        a, b = grid[max(i - 1, 0)], grid[min(i + 1, len(grid) - 1)]
        res = optimize.minimize_scalar(lambda t: -loglik(t), bounds=(a, b), method="bounded",
                                       options={"xatol": 1e-8})
        lam = float(res.x)
        lmax = loglik(lam)
        cut = lmax - 0.5 * float(stats.chi2.ppf(1 - alpha, 1))
        g = lambda t: loglik(t) - cut  # noqa: E731
        ci_low = float(optimize.brentq(g, lo_b, lam)) if g(lo_b) < 0 else lo_b
        ci_high = float(optimize.brentq(g, lam, hi_b)) if g(hi_b) < 0 else hi_b
        includes_one = ci_low <= 1 <= ci_high
        span = hi_b - lo_b
        edge = None
        if lam - lo_b < 1e-6 * span and loglik(lo_b) >= loglik(lo_b + 1e-3 * span):
            edge, lam = "lower", lo_b
        elif hi_b - lam < 1e-6 * span and loglik(hi_b) >= loglik(hi_b - 1e-3 * span):
            edge, lam = "upper", hi_b
        named = [(0.5, "sqrt"), (0.0, "log"), (-0.5, "inverse sqrt"), (-1.0, "reciprocal"), (2.0, "square")]
        if includes_one:
            suggestion = "none"
            msg = (f"lambda = {lam:.3g}, {100 * (1 - alpha):g}% CI [{ci_low:.3g}, {ci_high:.3g}] includes 1: "
                   "no transformation needed")
        else:
            inside = [(abs(v - lam), name, v) for v, name in named if ci_low <= v <= ci_high]
            if inside:
                _, suggestion, v = min(inside)
                msg = (f"lambda = {lam:.3g}, {100 * (1 - alpha):g}% CI [{ci_low:.3g}, {ci_high:.3g}] excludes 1; "
                       f"suggest the {suggestion} transformation (lambda = {v:g})")
            elif edge is not None:
                suggestion = f"power {'<=' if edge == 'lower' else '>='} {lam:g}"
                msg = (f"lambda reached the search bound {lam:g}, {100 * (1 - alpha):g}% CI "
                       f"[{ci_low:.3g}, {ci_high:.3g}] excludes 1 and every simple power")
            else:
                suggestion = f"power {lam:.2f}"
                msg = (f"lambda = {lam:.3g}, {100 * (1 - alpha):g}% CI [{ci_low:.3g}, {ci_high:.3g}] excludes 1 "
                       "and every simple power; suggest y**lambda")
        note = None
        if edge is not None:
            note = (f"the likelihood is largest at the {edge} search bound lambda = {lam:g}: the maximum lies "
                    f"beyond [{lo_b:g}, {hi_b:g}], so {lam:g} is a bound, not an optimum (widen `bounds`, or look "
                    "for outliers or a missing model term)")
            msg = f"{msg}; note: {note}"
        profile = pd.DataFrame({"lambda": grid, "log_likelihood": ll,
                                "sse": [sse(t) for t in grid]})
        return BoxCox(lam=lam, ci_low=ci_low, ci_high=ci_high, includes_one=bool(includes_one),
                      suggestion=suggestion, message=msg, profile=profile, at_bound=edge is not None, note=note)

    # ---------------------------------------------------------------- predict
    def _design_rows(self, new: pd.DataFrame | Mapping[str, Any], what: str = "new settings") -> pd.DataFrame:
        if isinstance(new, Mapping):
            try:
                new = pd.DataFrame({k: np.atleast_1d(v) for k, v in new.items()})
            except ValueError as exc:
                raise InputError(f"{what}: settings of unequal length: {exc}") from None
        if not isinstance(new, pd.DataFrame):
            raise InputError(f"{what}: expected a DataFrame or a dict of factor settings, got {type(new).__name__}")
        coded = _code_settings(new, self.factors, what, check_range=False, check_constant=False)
        all_terms = list(self.terms)
        X = model_matrix(coded, all_terms, self.factors)
        return X[list(self.X.columns)]

    def predict_mean(self, new: pd.DataFrame | Mapping[str, Any]) -> np.ndarray:
        """Point predictions (no intervals) for settings in actual units, as a numpy array."""
        X = self._design_rows(new)
        return X.to_numpy() @ self.params.to_numpy()

    def model_rows(self, settings: Mapping[str, Any], n: int) -> np.ndarray:
        """Model-matrix rows (columns of ``X``) of ``n`` actual settings (arrays or scalars), no validation.

        Used by the optimiser and the design-space grid, which generate the settings
        themselves inside the factor box; evaluated by :attr:`model_matrix_builder`.
        """
        mm, order = self.model_matrix_builder
        X = mm.actual(settings, n)
        return X if order is None else X[:, order]

    @functools.cached_property
    def model_matrix_builder(self) -> tuple[ModelMatrix, np.ndarray | None]:
        """The compiled :class:`pdkit.doe.model.ModelMatrix` of the fitted terms, and the positions of
        the fit's columns (``X.columns``) among its columns (None when they agree)."""
        mm = ModelMatrix(self.terms, self.factors)
        cols = list(self.X.columns)
        if cols == mm.columns:
            return mm, None
        return mm, np.array([mm.columns.index(c) for c in cols], dtype=np.intp)

    def predict(self, new: pd.DataFrame | Mapping[str, Any], interval: str | None = None,
                alpha: float = 0.05) -> pd.DataFrame:
        """Predict the response at settings given in the data's own (actual) units.

        Parameters
        ----------
        new : DataFrame or dict
            One column per factor (actual units; categorical factors as levels).
        interval : {None, "confidence", "prediction"}
            Add ``lower``/``upper`` for the mean (confidence) or a new observation (prediction).
        alpha : float
            1 - confidence level of the interval.

        Returns
        -------
        DataFrame
            ``prediction`` (then ``lower``, ``upper``), index of ``new``.

        Examples
        --------
        >>> import pandas as pd
        >>> d = pd.DataFrame({"x": [0, 0, 10, 10], "y": [1.0, 1.2, 3.0, 3.2]})
        >>> f = fit(d, "y")
        >>> round(float(f.predict({"x": [5]})["prediction"].iloc[0]), 3)
        2.1
        """
        if interval not in (None, "confidence", "prediction"):
            raise InputError(f"predict: interval must be None, 'confidence' or 'prediction', got {interval!r}")
        if not 0 < alpha < 1:
            raise InputError(f"predict: alpha must be in (0, 1), got {alpha}")
        X = self._design_rows(new)
        if interval is None:
            return pd.DataFrame({"prediction": X.to_numpy() @ self.params.to_numpy()}, index=X.index)
        if self.df_resid < 1:
            raise InputError("predict: the model leaves no residual degrees of freedom, so no interval can be "
                             "computed; reduce the model (fit.reduce()) first")
        sf = self.results.get_prediction(self._with_blocks(X.to_numpy(), rows="new")).summary_frame(alpha=alpha)
        if interval == "confidence":
            lo, hi = sf["mean_ci_lower"], sf["mean_ci_upper"]
        else:
            lo, hi = sf["obs_ci_lower"], sf["obs_ci_upper"]
        return pd.DataFrame({"prediction": sf["mean"].to_numpy(), "lower": lo.to_numpy(), "upper": hi.to_numpy()},
                            index=X.index)

    # ---------------------------------------------------------------- reduce
    def reduce(self, alpha: float = 0.05, hierarchy: bool = True) -> "DoEFit":
        """Backward elimination of terms with p > ``alpha``.

        Each step removes the removable term with the largest p-value (partial F test) and
        refits.  With ``hierarchy=True`` a term stays while any higher-order term containing
        it stays (``A`` stays with ``A:B`` or ``A^2``).  For a saturated two-level fit the
        p-values come from Lenth's PSE and every removable inactive term is dropped in one
        step (then the refit has residual degrees of freedom and elimination continues).

        Examples
        --------
        >>> import pandas as pd
        >>> d = pd.DataFrame({"A": [-1, 1, -1, 1] * 2, "B": [-1, -1, 1, 1] * 2,
        ...                   "y": [10, 20, 10.1, 19.8, 9.9, 20.2, 10.0, 20.1]})
        >>> fit(d, "y", "interactions").reduce().terms
        ['Intercept', 'A']
        """
        if not 0 < alpha < 1:
            raise InputError(f"reduce: alpha must be in (0, 1), got {alpha}")
        current = self
        intercept = self.has_intercept
        while True:
            terms = [t for t in current.terms if t != "Intercept"]
            if not terms or (not intercept and len(terms) == 1):  # no-intercept: the last term stays
                return current
            pvals = current._term_pvalues()

            def removable(t: str) -> bool:
                if not hierarchy:
                    return True
                ct = Counter(term_factors(t))
                return not any(u != t and not (ct - Counter(term_factors(u))) for u in terms)

            cands = [(pvals[t], t) for t in terms if removable(t) and pvals[t] > alpha]
            if not cands:
                return current
            if current.error_basis == "lenth":
                drop = {t for _, t in cands}
                # hierarchy may now free more terms; iterate until stable
                while True:
                    left = [t for t in terms if t not in drop]
                    more = {t for t in left if pvals[t] > alpha and (not hierarchy or not any(
                        u != t and not (Counter(term_factors(t)) - Counter(term_factors(u))) for u in left))}
                    if not more:
                        break
                    drop |= more
            else:
                drop = {max(cands)[1]}
            keep = [t for t in terms if t not in drop]
            refit = _fit_core(current.data, current.response, keep, current.factors,
                              current.run_order_column, current.alpha, block=current.block_column,
                              intercept=intercept)
            # the alias structure of the design still explains the terms that stay
            current = replace(refit, dropped_terms=self.dropped_terms,
                              aliases={k: v for k, v in self.aliases.items()
                                       if k in refit.terms or k not in self.terms})

    def _term_pvalues(self) -> dict[str, float]:
        out = {}
        for t in self.terms:
            if t == "Intercept":
                continue
            if self.error_basis == "lenth":
                cols = term_columns([t], self.factors)[t]
                out[t] = float(self.coefficients.loc[cols, "p"].min())
            else:
                out[t] = float(self.anova.loc[t, "p"])
        return out

    # ---------------------------------------------------------------- text
    def summary(self) -> str:
        """A readable multi-line summary (also the ``repr``)."""
        lines = [f"DoE fit of '{self.response}' on {', '.join(self.factor_names)} ({self.n} runs)",
                 f"model: {' + '.join(self.terms)}" + ("" if self.has_intercept else " (no intercept)")]
        if self.dropped_terms:
            lines.append(f"dropped (aliased): {', '.join(self.dropped_terms)}")
            lines.append(f"alias chains: {'; '.join(self.alias_chains)}")
        if self.selection is not None:
            lines.append(self.selection.summary())
        r2p = "n/a" if self.r2_pred is None else f"{self.r2_pred:.4f}"
        r2a = "n/a" if self.r2_adj is None else f"{self.r2_adj:.4f}"
        rmse = "n/a" if self.rmse is None else f"{self.rmse:.4g}"
        lines.append(f"R2 = {self.r2:.4f}   R2 adj = {r2a}   R2 pred = {r2p}   RMSE = {rmse}   "
                     f"residual df = {self.df_resid}")
        if self.block_column is not None:
            lines.append(f"blocks: '{self.block_column}', {self._n_block_columns + 1} blocks (fixed effect, sum-to-zero "
                         "coded); R2 statistics exclude the block sum of squares; predictions are for the average "
                         "block")
        if self.error_basis == "lenth":
            L = self.lenth
            lines.append(f"saturated two-level fit: errors from Lenth's PSE = {L.pse:.4g} (df = {L.df:.3g}), "
                         f"ME = {L.me:.4g}, SME = {L.sme:.4g}")
        with pd.option_context("display.width", 120, "display.max_columns", 20):
            lines += ["", "Coefficients (coded units):", self.coefficients.round(4).to_string(), "",
                      "ANOVA (partial sums of squares):", self.anova.round(4).to_string()]
        if self.lack_of_fit is not None:
            lf = self.lack_of_fit
            lines.append(f"\nlack of fit: F({lf.df}, {lf.pure_error_df}) = {lf.F:.3f}, p = {lf.p:.4f}")
        elif self.lack_of_fit_reason:
            lines.append(f"\nlack of fit: not tested ({self.lack_of_fit_reason})")
        if self.curvature is not None:
            c = self.curvature
            lines.append(f"curvature: centre mean {c.mean_center:.4g} vs factorial mean {c.mean_factorial:.4g}, "
                         f"F = {c.F:.3f}, p = {c.p:.4f}")
        for note in self.notes:
            lines.append(f"note: {note}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self.summary()


# --------------------------------------------------------------------------- roles of columns
def _names(value: str | Sequence[str] | None, what: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    try:
        out = list(value)
    except TypeError:
        raise InputError(f"{what}: expected a column name or a list of column names, got {value!r}") from None
    bad = [v for v in out if not isinstance(v, str)]
    if bad:
        raise InputError(f"{what}: expected column names, got {bad}")
    return out


def _squash(name: Any) -> str:
    return "".join(ch for ch in str(name).lower() if ch.isalnum())


def is_bookkeeping(column: Any, exclude: Sequence[str] = BOOKKEEPING_COLUMNS) -> bool:
    """True for a bookkeeping column name (run, std order, replicate, block, notes...), in any spelling.

    Names are compared after lower-casing and dropping spaces, underscores, dots and other
    non-alphanumeric characters.

    Examples
    --------
    >>> [is_bookkeeping(c) for c in ("Run order", "StdOrder", "Replicate", "NOTES", "temp", "Std. order")]
    [True, True, True, True, False, True]
    """
    return _squash(column) in {_squash(e) for e in exclude}


def _is_bookkeeping(column: Any, exclude: Sequence[str]) -> bool:
    return is_bookkeeping(column, exclude)


def infer_factors(
    data: pd.DataFrame,
    responses: str | Sequence[str] | None = None,
    *,
    max_levels: int = 5,
    exclude: Sequence[str] = BOOKKEEPING_COLUMNS,
) -> list[str]:
    """Guess the factor columns of a table of DoE results.

    A column is taken as a factor when

    * it is not a response (``responses``) nor a bookkeeping column (:func:`is_bookkeeping`:
      run, run order, std order, order, block, point type, batch, id, replicate, notes,
      comments... in any spelling); and either
    * every value is a number and it takes between 2 and ``max_levels`` distinct values (a
      two-level design with centre points has 3, a face-centred CCD 3, a rotatable CCD 5),
      while a measured response almost always takes more; or
    * it is a **categorical factor**: every cell holds text (no blanks), with between 2 and
      ``max_levels`` distinct levels, each used in at least two runs (a designed factor is
      balanced; a free-text column is not).

    The order of the columns is kept.

    Parameters
    ----------
    data : DataFrame
        One row per run.  Never modified.
    responses : str or list of str, optional
        Columns that are responses and so cannot be factors.
    max_levels : int
        Largest number of distinct settings of a factor.
    exclude : sequence of str
        Bookkeeping column names.

    Returns
    -------
    list of str

    Raises
    ------
    InputError
        A column looks like a factor (at most ``max_levels`` distinct numbers) but has
        text or missing entries (the message names the column and rows); a response is
        not a column; or no factor column is found.

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"run": [1, 2, 3, 4, 5], "temp": [30, 42, 30, 42, 36],
    ...                   "ph": [6.8, 6.8, 7.2, 7.2, 7.0], "titer": [410, 520, 395, 610, 480]})
    >>> infer_factors(d, responses="titer")
    ['temp', 'ph']
    >>> d["cell_line"] = ["HEK293", "HEK293T", "HEK293", "HEK293T", "HEK293"]
    >>> d["replicate"] = [1, 1, 2, 2, 1]
    >>> infer_factors(d, responses="titer")
    ['temp', 'ph', 'cell_line']
    """
    if not isinstance(data, pd.DataFrame):
        raise InputError(f"data: expected a pandas DataFrame, got {type(data).__name__}")
    if isinstance(max_levels, bool) or not isinstance(max_levels, (int, np.integer)) or max_levels < 2:
        raise InputError(f"max_levels: expected an integer of at least 2, got {max_levels!r}")
    src = source_name(data)
    resp = _names(responses, "responses")
    require_columns(data, resp, src)
    out: list[str] = []
    for col in data.columns:
        if col in resp or _is_bookkeeping(col, exclude):
            continue
        raw = data[col]
        if pd.api.types.is_bool_dtype(raw):
            continue
        num = pd.to_numeric(raw, errors="coerce")
        present = raw.notna().to_numpy()
        parsed = num.notna().to_numpy()
        distinct = int(num[parsed].nunique())
        if not parsed.any():
            # text: a categorical factor when filled in, with 2..max_levels levels used twice or more
            if present.all() and all(isinstance(v, str) for v in raw):
                counts = pd.Series([v.strip() for v in raw]).value_counts()
                if 2 <= len(counts) <= max_levels and int(counts.min()) >= 2:
                    out.append(str(col) if not isinstance(col, str) else col)
            continue
        if distinct > max_levels:
            continue  # a measured quantity
        if not present.all() or not (parsed == present).all():
            # a few numeric settings with some text or blanks: a factor with a typo or a gap
            if parsed.sum() >= 0.5 * len(raw) and distinct >= 2:
                numeric_column(data, col, src)  # raises, naming the rows
            continue
        if distinct >= 2:
            out.append(str(col) if not isinstance(col, str) else col)
    if not out:
        raise InputError(f"{src}: no factor columns found (numeric columns with 2 to {max_levels} distinct values, "
                         f"other than {', '.join(exclude)} and the responses); name the factors explicitly")
    return out


def infer_responses(
    data: pd.DataFrame,
    factors: str | Sequence[str | Factor],
    *,
    exclude: Sequence[str] = BOOKKEEPING_COLUMNS,
) -> list[str]:
    """The response columns of a DoE results table: every column that is not a factor nor bookkeeping
    and holds mostly numbers.

    A column with a few text entries (``'<LOQ'``, ``'n/a'``) is still returned, so that
    :func:`fit` reports the offending rows instead of the column silently vanishing;
    text columns (notes, operator) are skipped.

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"run": [1, 2, 3], "temp": [30, 42, 36], "titer": [410, "<LOQ", 480],
    ...                   "note": ["ok", "foam", "ok"]})
    >>> infer_responses(d, ["temp"])
    ['titer']
    """
    if not isinstance(data, pd.DataFrame):
        raise InputError(f"data: expected a pandas DataFrame, got {type(data).__name__}")
    names = [f.name if isinstance(f, Factor) else f for f in
             ([factors] if isinstance(factors, (str, Factor)) else list(factors))]
    require_columns(data, names, source_name(data))
    out = []
    for col in data.columns:
        if col in names or _is_bookkeeping(col, exclude) or pd.api.types.is_bool_dtype(data[col]):
            continue
        parsed = pd.to_numeric(data[col], errors="coerce").notna()
        if parsed.sum() > 0 and parsed.sum() >= 0.5 * data[col].notna().sum():
            out.append(col)
    if not out:
        raise InputError(f"{source_name(data)}: no numeric response column besides the factors {names}")
    return out


def supported_model(data: pd.DataFrame, factors: Sequence[Factor | str]) -> str:
    """``"quadratic"`` when the design estimates every term of the full second-order model
    with at least one residual degree of freedom left, else ``"interactions"``.

    A two-level design (even with centre points) cannot separate the squares, so it gets
    ``"interactions"`` (whose aliased terms :func:`fit` then drops); a central composite
    or Box-Behnken design gets ``"quadratic"``.

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"A": [-1, 1, -1, 1, 0, 0], "B": [-1, -1, 1, 1, 0, 0]})
    >>> supported_model(d, ["A", "B"])
    'interactions'
    """
    if not isinstance(data, pd.DataFrame):
        raise InputError(f"data: expected a pandas DataFrame, got {type(data).__name__}")
    src = source_name(data)
    facs = _resolve_factors(data.assign(__response__=0.0), "__response__", list(factors), [], src)
    coded = _code_settings(data, facs, src, check_range=False, check_constant=True)
    terms = model_terms("quadratic", facs)
    X = model_matrix(coded, terms, facs).to_numpy()
    if X.shape[1] < len(data) and np.linalg.matrix_rank(X) == X.shape[1]:
        return "quadratic"
    return "interactions"


# --------------------------------------------------------------------------- fit
def fit(
    data: pd.DataFrame,
    response: str | None,
    model: str | Sequence[str] = "linear",
    factors: Sequence[Factor | str] | None = None,
    *,
    run_order: str | None = None,
    block: str | None = None,
    alpha: float = 0.05,
    criterion: str = "aicc",
    heredity: str = "strong",
) -> DoEFit:
    """Fit a DoE model by least squares in coded units (statsmodels OLS).

    Parameters
    ----------
    data : DataFrame
        One row per run: factor columns in actual units and the response column.
        Never modified.
    response : str
        Response column (numbers; text such as ``'<LOQ'`` is an error).  May be None when
        ``model`` is a formula with a left-hand side; a left-hand side that differs from
        ``response`` is an error.
    model : {"auto", "linear", "interactions", "quadratic"}, formula or list of terms
        ``"auto"`` chooses the terms with a method that respects the design
        (:mod:`pdkit.doe.selection`; the result's ``selection`` says how): the two-stage
        method of Jones & Nachtsheim (2017, J. Quality Technology 49:1-15) for a definitive
        screening design (recognised from its fold-over pairs, centre runs and three
        levels), else hierarchy-preserving stepwise selection over the full quadratic
        candidates (squares the design cannot estimate or separate are reported and left
        out) by ``criterion``.  Otherwise see :func:`pdkit.doe.model.model_terms` (e.g. ``"y ~ A + B + A:B + A^2"``,
        ``"y ~ (A + B + C)**2"``, ``"y ~ A*B - A:B"``; parsed by formulaic).  Terms the
        design cannot separate from earlier terms are dropped first, keeping one term per
        alias chain (:class:`AliasWarning`; ``aliases`` on the result), so e.g.
        ``"interactions"`` can be fitted to a resolution IV fraction.  ``- 1`` or ``+ 0``
        fits without an intercept (``"y ~ A + B - 1"``): the response is then zero where
        every coded factor is 0, i.e. at the centre of each factor's range (at zero actual
        settings only for a range symmetric about 0, e.g. ``Factor("x", -30, 30)``); R2,
        adjusted and predicted R2 are uncentred and the ANOVA total is uncorrected (as
        statsmodels OLS without a constant and JMP's "No Intercept"); no block effect,
        curvature test or Lenth's method.
    factors : list of Factor or column names, optional
        ``Factor`` objects are coded from their declared low/high (axial runs up to 2
        coded units out are allowed); column names are coded from the column's min and
        max.  Default: every column except the response (and ``run_order``).
    run_order : str, optional
        Column holding the run order (used by the residual diagnostics); default the
        row order.
    block : str, optional
        Column holding each run's block (day, batch of cells or media...).  The blocks
        enter as a fixed effect, coded sum-to-zero, ahead of the model terms; a term that
        the blocking confounds with blocks is dropped (:class:`AliasWarning`).  The ANOVA
        gets a ``Block`` row; ``Model``, R2, adjusted and predicted R2 are computed on the
        sums of squares left after the blocks (Design-Expert's convention); predictions are
        for the average block.  A column with a single block is ignored, with a note.
    alpha : float
        Level for the coefficient confidence intervals (``1 - alpha``), and of the tests of
        the model selection (``model="auto"``).
    criterion : {"aicc", "p"}
        Stepwise criterion of ``model="auto"`` for designs other than definitive screening.
    heredity : {"strong", "weak"}
        Effect heredity of ``model="auto"``: an interaction needs both (strong) or one (weak)
        of its main effects in the model, a square always its own.

    Returns
    -------
    DoEFit

    Examples
    --------
    Montgomery (2013, DAE 8th ed., section 6.2), 2^2 chemical process, 3 replicates:

    >>> import pandas as pd
    >>> d = pd.DataFrame({"A": [-1, 1, -1, 1] * 3, "B": [-1, -1, 1, 1] * 3,
    ...                   "y": [28, 36, 18, 31, 25, 32, 19, 30, 27, 32, 23, 29]})
    >>> f = fit(d, "y", "interactions")
    >>> f.effects["effect"].round(2).to_dict()
    {'A': 8.33, 'B': -5.0, 'A:B': 1.67}
    >>> round(float(f.anova.loc["Residual", "sum_sq"]), 2)
    31.33

    Regression through the origin (hand calculation: slope = sum(xy) / sum(x^2) = 32 / 10):

    >>> d0 = pd.DataFrame({"x": [-2.0, -1.0, 1.0, 2.0], "y": [-6.0, -3.0, 3.0, 7.0]})
    >>> f0 = fit(d0, "y", "y ~ x - 1", factors=[Factor("x", -2, 2)])
    >>> f0.terms, round(float(f0.params["x"]) / 2, 3)
    (['x'], 3.2)
    """
    if not isinstance(data, pd.DataFrame):
        raise InputError(f"data: expected a pandas DataFrame, got {type(data).__name__}")
    lhs = formula_response(model)
    if response is None and lhs is not None:
        response = lhs
    if not isinstance(response, str):
        raise InputError(f"response: expected a column name, got {response!r}")
    if lhs is not None and lhs != response:
        raise InputError(f"model: the formula's left-hand side '{lhs}' is not the response '{response}'; "
                         f"write '{response} ~ ...' or leave the left-hand side out")
    if not 0 < alpha < 1:
        raise InputError(f"alpha must be in (0, 1), got {alpha}")
    src = source_name(data)
    require_columns(data, [response], src)
    if run_order is not None:
        require_columns(data, [run_order], src)
    if block is not None:
        require_columns(data, [block], src)
        if block == response:
            raise InputError(f"block: '{block}' is the response column; it cannot also be the block column")
    exclude = [c for c in (run_order, block) if c]
    facs = _resolve_factors(data, response, factors, exclude, src)
    if block is not None and block in [f.name for f in facs]:
        raise InputError(f"block: '{block}' is also given as a factor; a column is either a factor or the blocks")
    if isinstance(model, str) and model.strip().lower() == "auto":
        return _fit_auto(data, response, facs, run_order, alpha, block, criterion, heredity)
    terms = model_terms(model, facs, allow_no_intercept=True)
    return _fit_core(data, response, terms, facs, run_order, alpha, block=block, intercept="Intercept" in terms)


def _fit_auto(data: pd.DataFrame, response: str, facs: list[Factor], run_order: str | None, alpha: float,
              block: str | None, criterion: str, heredity: str) -> DoEFit:
    """``fit(model="auto")``: choose the terms by a design-aware selection, then fit them."""
    src = source_name(data)
    y = numeric_column(data, response, src)
    coded = _code_settings(data, facs, src, check_range=True, check_constant=True)
    structure = definitive_screening_structure(coded, facs) if block is None else None
    if structure is not None:
        sel = select_definitive_screening(data, response, facs, alpha=alpha, heredity=heredity, coded=coded,
                                          structure=structure)
    else:
        cand = model_terms("quadratic", facs)
        X = model_matrix(coded, cand, facs)
        forced = np.ones((len(data), 1))
        if block is not None:
            XB, _ = _block_columns(data, block, src)
            if XB is not None:
                forced = np.column_stack([forced, XB.to_numpy()])
        sel = select_stepwise(X, y.to_numpy(), cand[1:], facs, criterion=criterion, alpha=alpha, heredity=heredity,
                              forced=forced, design=_describe_design(coded, facs))
    terms = ["Intercept"] + list(sel.selected)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AliasWarning)
        out = _fit_core(data, response, terms, facs, run_order, alpha, block=block)
    return replace(out, selection=sel)


def _describe_design(coded: pd.DataFrame, facs: Sequence[Factor]) -> str:
    """A short, order-free description of the design for the selection report."""
    cont = [f.name for f in facs if f.is_continuous]
    if not cont:
        return "categorical design"
    levels = sorted({len(np.unique(np.round(coded[c].to_numpy(dtype=float), 6))) for c in cont})
    cc = coded[cont].to_numpy(dtype=float)
    centre = int(np.all(np.abs(cc) < 1e-9, axis=1).sum())
    beyond = bool(np.any(np.abs(cc) > 1 + 1e-9))
    if levels == [2]:
        kind = "two-level design"
    elif beyond:
        kind = "response-surface design with axial runs"
    elif levels == [3] and centre and np.all(np.isin(np.round(cc, 6), (-1.0, 0.0, 1.0))):
        kind = "three-level design"
    else:
        kind = f"design with {'-'.join(str(v) for v in levels)} levels per factor"
    return f"{kind} ({len(coded)} runs, {centre} centre run{'' if centre == 1 else 's'})"


def _block_columns(data: pd.DataFrame, block: str, src: str) -> tuple[pd.DataFrame | None, list[str]]:
    """Sum-to-zero coded block columns (None for a single block) and the block levels."""
    col = data[block]
    if col.isna().any():
        raise InputError(f"{src}, column '{block}', {_rows(col.isna().to_numpy())}: block is missing")
    labels = np.array([str(x) for x in col], dtype=object)
    try:
        levels = sorted(set(labels), key=float)
    except ValueError:
        levels = sorted(set(labels))
    if len(levels) < 2:
        return None, levels
    names = [f"Block[{lev}]" for lev in levels[:-1]]
    return pd.DataFrame(effect_coding(labels, levels), columns=names, index=data.index), levels


def _fit_core(data: pd.DataFrame, response: str, terms: Sequence[str], facs: list[Factor],
              run_order: str | None, alpha: float, block: str | None = None, intercept: bool = True) -> DoEFit:
    src = source_name(data)
    data = data.copy()
    y = numeric_column(data, response, src)
    coded = _code_settings(data, facs, src, check_range=True, check_constant=True)
    terms = model_terms(list(terms), facs)
    if not intercept:
        terms = [t for t in terms if t != "Intercept"]
        if not terms:
            raise InputError("model: a model without an intercept needs at least one term")
    X = model_matrix(coded, terms, facs)
    n, p_requested = X.shape
    notes: list[str] = []
    XB, block_levels = (None, [])
    if block is not None:
        XB, block_levels = _block_columns(data, block, src)
        if XB is None:
            notes.append(f"column '{block}' holds a single block ('{block_levels[0]}'): no block effect fitted")
            block = None
    if XB is not None and not intercept:
        raise InputError(f"block: a model without an intercept cannot have a block effect (the blocks are coded as "
                         f"deviations from the intercept); keep the intercept or leave out block='{block}'")
    # ---- aliasing first (JMP-style: one term per alias chain; blocks come right after the
    # intercept, so a term confounded with blocks is the one dropped), then the run count
    mapping = term_columns(terms, facs)
    if XB is not None:
        order = ["Intercept", "Block"] + [t for t in terms if t != "Intercept"]
        Xa = pd.concat([X[["Intercept"]], XB, X.drop(columns="Intercept")], axis=1)
        kept, dropped, aliases = _resolve_aliasing(Xa, order, {**mapping, "Block": list(XB.columns)},
                                                   _heredity_scores(X, y.to_numpy(), terms, mapping))
        if "Block" in dropped:
            raise InputError(f"{src}, column '{block}': the blocks cannot be estimated from these data")
        kept = [t for t in kept if t != "Block"]
        kept = [t for t in terms if t in kept]
    else:
        kept, dropped, aliases = _resolve_aliasing(X, terms, mapping, _heredity_scores(X, y.to_numpy(), terms, mapping))
    if "Intercept" in dropped:
        raise InputError("the intercept cannot be estimated from these data")
    if dropped:
        warnings.warn(
            "aliased model term(s) dropped (the design cannot separate them from earlier terms; the first term of "
            "each alias chain is kept and estimates the sum of the chain): "
            + "; ".join(_chain_text(k, v, k in kept or k == "Block") for k, v in aliases.items()),
            AliasWarning, stacklevel=3)
        terms = kept
        X = model_matrix(coded, terms, facs)
    Xv = X.to_numpy()
    p = X.shape[1]
    nb = 0 if XB is None else XB.shape[1]
    Xfull = Xv if XB is None else np.column_stack([Xv, XB.to_numpy()])
    if p + nb > n:  # pragma: no cover - independent columns never outnumber the runs; kept as a guard
        raise InputError(f"model has {p} coefficients after dropping aliased terms ({p_requested} requested) but the "
                         f"data have only {n} runs; use a smaller model (e.g. 'linear') or add runs")
    dfr = n - p - nb
    yv = y.to_numpy()
    with warnings.catch_warnings(), np.errstate(divide="ignore", invalid="ignore"):
        warnings.simplefilter("ignore")
        res = (sm.OLS(yv, Xfull) if intercept else sm.OLS(yv, Xfull, hasconst=False)).fit()
    beta_all = np.asarray(res.params, dtype=float)
    beta = beta_all[:p]
    resid = yv - Xfull @ beta_all
    rss = float(resid @ resid)
    # without an intercept the total is uncorrected (sum of squares about zero, statsmodels' hasconst=False)
    sst = float(((yv - yv.mean()) ** 2).sum()) if intercept else float(yv @ yv)
    df_total = n - 1 if intercept else n
    # sums of squares left after the blocks (Design-Expert): the blocks' sequential SS come off the total
    ss_blocks_seq = 0.0 if XB is None else sst - _rss(np.column_stack([np.ones(n), XB.to_numpy()]), yv)
    sst_adj = sst - ss_blocks_seq
    cols = list(X.columns)
    two_level = _orthogonal_two_level(Xv)
    if XB is None:
        lenth_res, n_centre = _factorial_lenth(X, yv, coded, facs, alpha)
    else:  # effects on the factorial runs would mix in the block differences
        lenth_res, n_centre = None, 0
    if dfr == 0 and not intercept:
        raise InputError(f"the model without an intercept uses all {n} runs (no residual degrees of freedom) and "
                         "Lenth's method needs effects about an intercept, so there is no error estimate; remove "
                         "terms or add runs")
    if dfr == 0:
        if lenth_res is None or n_centre:
            asked = (f"{p_requested} coefficients requested, {p_requested - p} of them aliased, so {p} remain"
                     if p_requested > p else f"{p} coefficients")
            raise InputError(
                f"the model ({asked}) uses all {n} runs (no residual degrees of freedom) and the design is not an "
                "orthogonal two-level design, so there is no error estimate (Lenth's method needs one); remove terms "
                "or add runs")
        error_basis = "lenth"
        q = stats.t.ppf(1 - alpha / 2, lenth_res.df)
        mse = None
        if lenth_res.usable:
            se = np.full(p, lenth_res.pse / 2)
            tval = beta / se
            pval = 2 * stats.t.sf(np.abs(tval), lenth_res.df)
            notes.append("saturated model: standard errors, t and p use Lenth's pseudo standard error "
                         f"(PSE = {lenth_res.pse:.4g}, {lenth_res.df:.3g} df)")
        else:  # PSE = 0: no scale, so no test (never an infinite t that declares every effect active)
            se = np.full(p, np.nan)
            tval = np.full(p, np.nan)
            pval = np.full(p, np.nan)
            notes.append("saturated model: " + lenth_res.note)
    else:
        error_basis = "residual"
        mse = rss / dfr
        se = np.asarray(res.bse, dtype=float)[:p]
        with np.errstate(divide="ignore", invalid="ignore"):  # exact fit: se = 0 -> |t| = inf, p = 0
            tval = np.where(se > 0, beta / np.where(se > 0, se, 1.0), np.inf * np.sign(beta))
        pval = 2 * stats.t.sf(np.abs(tval), dfr)
        q = stats.t.ppf(1 - alpha / 2, dfr)
    coefs = pd.DataFrame({"estimate": beta, "std_error": se, "t": tval, "p": pval,
                          "ci_low": beta - q * se, "ci_high": beta + q * se}, index=pd.Index(cols, name="term"))
    # ---- effects
    eff_cols = [c for c in cols if c != "Intercept" and not c.endswith("^2")]
    effects = pd.DataFrame({
        "effect": 2 * coefs.loc[eff_cols, "estimate"],
        "std_error": 2 * coefs.loc[eff_cols, "std_error"],
        "sum_sq": [n * coefs.loc[c, "estimate"] ** 2 if two_level else np.nan for c in eff_cols],
    }, index=pd.Index(eff_cols, name="term"))
    if not two_level:
        effects = effects.drop(columns="sum_sq")
    # ---- ANOVA (partial SS)
    rows = []
    mse_for_f = mse
    block_idx = list(range(p, p + nb))
    if XB is not None:
        ss_b = _rss(Xfull[:, list(range(p))], yv) - rss
        if mse:
            F_b = (ss_b / nb) / mse
            rows.append(("Block", ss_b, nb, ss_b / nb, F_b, _fdist_p(F_b, nb, dfr)))
        else:
            rows.append(("Block", ss_b, nb, ss_b / nb, np.nan, np.nan))
    for t in terms:
        if t == "Intercept":
            continue
        tcols = [c for c in term_columns([t], facs)[t] if c in cols]
        others = [i for i, c in enumerate(cols) if c not in tcols] + block_idx
        ss = _rss(Xfull[:, others], yv) - rss
        df_t = len(tcols)
        ms = ss / df_t
        if mse_for_f:
            F = ms / mse_for_f
            rows.append((t, ss, df_t, ms, F, _fdist_p(F, df_t, dfr)))
        elif df_t == 1:  # saturated two-level fit: Lenth t-test, F = t^2
            rows.append((t, ss, df_t, ms, float(coefs.loc[tcols[0], "t"] ** 2), float(coefs.loc[tcols[0], "p"])))
        else:  # pragma: no cover - Lenth applies only to one-column terms
            rows.append((t, ss, df_t, ms, np.nan, np.nan))
    ss_model = sst_adj - rss
    df_model = p - 1 if intercept else p
    ms_model = ss_model / df_model if df_model else np.nan
    F_model = ms_model / mse if (mse and df_model) else np.nan
    table = [("Model", ss_model, df_model, ms_model, F_model,
              _fdist_p(F_model, df_model, dfr) if np.isfinite(F_model) else np.nan)]
    table = [r for r in rows if r[0] == "Block"] + table + [r for r in rows if r[0] != "Block"]
    table.append(("Residual", rss, dfr, mse if mse is not None else np.nan, np.nan, np.nan))
    # ---- pure error, curvature, lack of fit
    key = coded.copy()
    if XB is not None:  # replicates are compared within a block
        key["__block__"] = [str(x) for x in data[block]]
    for f in facs:
        if f.is_continuous:
            key[f.name] = np.round(key[f.name].astype(float), 6)
        else:
            key[f.name] = key[f.name].astype(str)
    groups = key.groupby(list(key.columns), sort=False, dropna=False).ngroup().to_numpy()
    n_groups = int(groups.max()) + 1
    gmeans = pd.Series(yv).groupby(groups).transform("mean").to_numpy()
    ss_pe = float(((yv - gmeans) ** 2).sum())
    df_pe = n - n_groups
    curv = None
    rss_after = rss
    dfr_after = dfr
    cont = [f.name for f in facs if f.is_continuous]
    if cont and dfr >= 2 and intercept:
        cc = coded[cont].to_numpy(dtype=float)
        is_center = np.all(np.abs(cc) < 1e-9, axis=1)
        is_fact = np.all(np.abs(np.abs(cc) - 1) < 1e-9, axis=1)
        if is_center.any() and is_fact.any() and np.all(is_center | is_fact):
            Xa = np.column_stack([Xfull, is_center.astype(float)])
            if np.linalg.matrix_rank(Xa) == p + nb + 1:
                rss_a = _rss(Xa, yv)
                ss_c = rss - rss_a
                dfa = dfr - 1
                Fc = ss_c / (rss_a / dfa) if rss_a > 0 else np.inf
                curv = Curvature(sum_sq=ss_c, df=1, F=float(Fc), p=_fdist_p(Fc, 1, dfa),
                                 mean_factorial=float(yv[is_fact].mean()), mean_center=float(yv[is_center].mean()),
                                 n_factorial=int(is_fact.sum()), n_center=int(is_center.sum()))
                table.append(("Curvature", ss_c, 1, ss_c, float(Fc), curv.p))
                rss_after, dfr_after = rss_a, dfa
    lof = None
    lof_reason = None
    if dfr == 0:
        lof_reason = "saturated model: no residual degrees of freedom"
    elif df_pe == 0:
        lof_reason = "no replicated settings (no pure error)"
    else:
        ss_lof = max(rss_after - ss_pe, 0.0)
        df_lof = dfr_after - df_pe
        if df_lof <= 0:
            lof_reason = ("the model" + (" plus the curvature term" if curv else "")
                          + " fits every distinct setting: no lack-of-fit degrees of freedom")
        else:
            ms_pe = ss_pe / df_pe
            ms_lof = ss_lof / df_lof
            F_lof = ms_lof / ms_pe if ms_pe > 0 else np.inf
            lof = LackOfFit(sum_sq=ss_lof, df=int(df_lof), mean_sq=ms_lof, F=float(F_lof),
                            p=_fdist_p(F_lof, df_lof, df_pe), pure_error_sum_sq=ss_pe, pure_error_df=int(df_pe),
                            pure_error_mean_sq=ms_pe)
            table.append(("Lack of fit", ss_lof, df_lof, ms_lof, float(F_lof), lof.p))
    if df_pe > 0 and dfr > 0:
        table.append(("Pure error", ss_pe, df_pe, ss_pe / df_pe, np.nan, np.nan))
    table.append(("Total", sst, df_total, np.nan, np.nan, np.nan))
    anova = pd.DataFrame(table, columns=["source", "sum_sq", "df", "mean_sq", "F", "p"]).set_index("source")
    anova["df"] = anova["df"].astype(int)
    if dfr == 0:
        anova = anova.drop(index="Residual")
    # ---- fit statistics
    r2 = 1 - rss / sst_adj if sst_adj > 0 else 1.0
    r2_adj = (1 - (rss / dfr) / (sst_adj / (df_total - nb)) if dfr > 0 and sst_adj > 0
              else (np.nan if dfr == 0 else 1.0))
    XtX_inv = np.linalg.pinv(Xfull.T @ Xfull)
    h = np.einsum("ij,jk,ik->i", Xfull, XtX_inv, Xfull)
    if np.any(h > 1 - 1e-10):
        r2_pred = None
        notes.append("predicted R2 not available: some runs have leverage 1 (PRESS undefined)")
    else:
        press = float(((resid / (1 - h)) ** 2).sum())
        r2_pred = 1 - press / sst_adj if sst_adj > 0 else None
    if dfr == 0:
        r2_adj_val = None
        notes.append("adjusted R2 undefined for a saturated model")
    else:
        r2_adj_val = float(r2_adj)
    if not intercept:
        notes.insert(0, "no intercept (regression through the origin): R2, adjusted R2 and predicted R2 are uncentred "
                        "(sums of squares about zero, as statsmodels without a constant), the ANOVA Total is the "
                        f"uncorrected sum of squares on {n} df, and they are not comparable with R2 of a model with "
                        "an intercept; the fit passes through zero at the coded centre (all coded factors 0); no "
                        "curvature test or Lenth's method")
        if np.linalg.matrix_rank(np.column_stack([Xv, np.ones(n)])) == p:
            notes.append("the model columns span a constant (e.g. a square on a two-level design), which acts as "
                         "an intercept (R2 stays uncentred)")
    if run_order is not None:
        ro = numeric_column(data, run_order, src).to_numpy()
    else:
        ro = np.arange(1, n + 1)
    return DoEFit(
        response=response, factors=list(facs), terms=list(terms), dropped_terms=tuple(dropped), aliases=aliases,
        coefficients=coefs, effects=effects, anova=anova, r2=float(r2), r2_adj=r2_adj_val,
        r2_pred=None if r2_pred is None else float(r2_pred), rmse=None if mse is None else float(np.sqrt(mse)),
        lack_of_fit=lof, lack_of_fit_reason=lof_reason, curvature=curv, lenth=lenth_res, error_basis=error_basis,
        results=res, X=X, y=pd.Series(yv, index=data.index, name=response), data=data, coded=coded,
        run_order=ro, run_order_column=run_order, alpha=alpha, notes=tuple(notes),
        block_column=block if XB is not None else None, X_blocks=XB,
        block_effects=_block_effects(block_levels, beta_all[p:], res, p) if XB is not None else None,
    )


def _block_effects(levels: list[str], b: np.ndarray, res: Any, p: int) -> pd.DataFrame:
    """Each block's deviation from the average block; the last one is minus the sum of the others."""
    cov = np.asarray(res.cov_params(), dtype=float)[p:, p:]
    k = len(levels) - 1
    L = np.vstack([np.eye(k), -np.ones((1, k))])
    est = L @ b
    se = np.sqrt(np.maximum(np.einsum("ij,jk,ik->i", L, cov, L), 0.0))
    return pd.DataFrame({"estimate": est, "std_error": se}, index=pd.Index(levels, name="block"))
