"""Model selection that respects the design: definitive screening and heredity-preserving stepwise.

Two methods, chosen by :func:`pdkit.doe.fit` with ``model="auto"`` from the structure of
the design (never from a file or column name):

* **Definitive screening designs** (fold-over pairs ``x, -x`` plus centre runs, every
  continuous factor at three levels; Jones & Nachtsheim 2011): the two-stage "Fit
  Definitive Screening" method of Jones, B. and Nachtsheim, C. J. (2017), "Effective
  design-based model selection for definitive screening designs", *Technometrics* /
  *J. Quality Technology* 49(1):1-15 (:func:`select_definitive_screening`).

  The response is split into its odd part (half the difference within each fold-over
  pair, zero at the centre) and its even part (the pair means, and the centre runs).
  Main effects are odd functions of the settings; the intercept, two-factor interactions
  and pure quadratics are even, so the two parts are fitted separately without bias from
  each other.

  *Stage 1* regresses the odd part on the main effects.  When the design has fake-factor
  dimensions (extra runs: more fold-over pairs than factors) or replicated centre runs,
  they give an error estimate independent of every model term; each main effect is
  t-tested against it at ``alpha``, then the inactive main effects are pooled into the
  error and the tests repeated until the active set is stable.  Without such degrees of
  freedom (e.g. 2m + 1 runs for an even m) the main effects, orthogonal with equal
  variance in a DSD, are screened against each other by Lenth's (1989) pseudo standard
  error, i.e. against an error built from the inactive main effects (at least one must be
  inactive).  Either way the stage-1 error sigma^2 pools the inactive main effects, the
  fake factors and the centre replicates.

  *Stage 2* fits the even part with the intercept and second-order terms among the
  active main effects (effect heredity: strong = interactions of two active factors and
  squares of active continuous factors; weak = interactions with at least one active
  factor).  For k = 0, 1, ... the best subset of k terms (smallest residual sum of squares,
  all subsets) is found; its residual mean square in the even space is compared with the
  stage-1 sigma^2 by an F test, and the first k whose residual is not significantly larger
  than sigma^2 is chosen.

* **Other designs** (factorial, fractional, central composite, Box-Behnken, optimal):
  hierarchy-preserving stepwise selection (:func:`select_stepwise`) from the intercept,
  by AICc (default) or by p-values, over the candidate terms (full quadratic when the
  design estimates it, else main effects and two-factor interactions).  A move adds a
  term together with any parents its heredity needs, or removes a term that no other
  term needs; the move with the best criterion is taken, until none improves it.

Order invariance
----------------
Nothing depends on the order of the factor columns: terms are compared by a canonical key
(the sorted factor names, squares after interactions), ties are broken by that key, and
terms the design cannot separate are grouped first.  Of an alias group (identical model
columns up to sign, e.g. ``A:B = C:E`` in a 2^(6-2) fraction), the member that needs no
new parent under the heredity rule is used, then the canonical first name; the group is
reported in :attr:`Selection.not_separable`.  A group made only of pure quadratics (all
squares of a two-level design with centre runs) is left out and reported: the curvature
cannot be attributed to a factor.

Examples
--------
>>> import numpy as np, pandas as pd
>>> from pdkit.doe.designs import definitive_screening
>>> from pdkit.doe.factors import Factor
>>> d = definitive_screening([Factor(n, -1, 1) for n in "ABCDEF"])
>>> X = d.coded
>>> y = 10 + 3 * X["A"] - 2 * X["B"] + 2 * X["A"] * X["B"] - 2.5 * X["A"] ** 2
>>> y = y + np.random.default_rng(1).normal(0, 0.3, len(X))
>>> s = select_definitive_screening(X.assign(y=y), "y", list(d.factors))
>>> sorted(s.selected)
['A', 'A:B', 'A^2', 'B']
"""
from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from typing import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from pdkit.doe.factors import Factor
from pdkit.doe.model import ModelMatrix, model_matrix, term_columns, term_factors
from pdkit.errors import InputError
from pdkit.results import ResultMixin

__all__ = [
    "Selection",
    "DSDStructure",
    "definitive_screening_structure",
    "select_definitive_screening",
    "select_stepwise",
    "term_key",
    "aicc",
]

_TOL = 1e-9


# --------------------------------------------------------------------------- helpers
def term_key(term: str) -> tuple:
    """Canonical, column-order-free key of a term: order, square flag, sorted factor names.

    Examples
    --------
    >>> term_key("B:A") == term_key("A:B"), term_key("A") < term_key("A:B") < term_key("A^2")
    (True, True)
    """
    fs = term_factors(term)
    return (len(fs), term.endswith("^2"), tuple(sorted(fs)))


def _canon(term: str) -> str:
    """The term's name with its factors in sorted order (``'B:A'`` -> ``'A:B'``)."""
    if term.endswith("^2") or ":" not in term:
        return term
    return ":".join(sorted(term.split(":")))


def aicc(rss: float, n: int, p: int) -> float:
    """Corrected Akaike information criterion of a least-squares fit with ``p`` coefficients.

    ``-2 log L + 2k + 2k(k+1)/(n-k-1)`` with the normal log-likelihood at the maximum,
    ``-2 log L = n log(2 pi RSS/n) + n``, and ``k = p + 1`` (the coefficients and the error
    variance; Hurvich & Tsai 1989, Biometrika 76:297-307, the form JMP's stepwise reports);
    ``inf`` when ``n - k - 1 <= 0``.

    Examples
    --------
    Hand calculation, n = 12, RSS = 10, p = 3 (k = 4):
    12 log(2 pi 10/12) + 12 + 8 + 40/7 = 45.581...

    >>> round(aicc(10.0, 12, 3), 3)
    45.581
    """
    k = p + 1
    if n - k - 1 <= 0:
        return math.inf
    rss = max(float(rss), 1e-300)
    return n * math.log(2 * math.pi * rss / n) + n + 2 * k + 2 * k * (k + 1) / (n - k - 1)


def _rss(X: np.ndarray, y: np.ndarray) -> tuple[float, int]:
    """(residual sum of squares, rank) of a least-squares fit."""
    if X.shape[1] == 0:
        return float(y @ y), 0
    beta, _, rank, _ = np.linalg.lstsq(X, y, rcond=None)
    r = y - X @ beta
    return float(r @ r), int(rank)


def _parents(term: str) -> list[str]:
    return sorted(set(term_factors(term)))


# --------------------------------------------------------------------------- result
@dataclass(frozen=True)
class Selection(ResultMixin):
    """How a model was chosen (``DoEFit.selection``): candidates, steps, result, what could not be separated.

    Attributes
    ----------
    method : str
        ``"definitive screening"`` (Jones & Nachtsheim 2017) or ``"stepwise"``.
    criterion : str
        ``"p"`` (the definitive-screening tests, or stepwise by p-values) or ``"AICc"``.
    heredity : str
        ``"strong"`` or ``"weak"``.
    design : str
        What the design was recognised as, e.g. ``"definitive screening (6 fold-over pairs,
        1 centre run)"``.
    candidates : tuple of str
        Every term considered (canonical names: factors sorted within a term).
    selected : tuple of str
        The terms chosen (canonical names, intercept excluded).
    steps : DataFrame
        One row per decision: ``step``, ``stage``, ``action`` (``"enter"``, ``"remove"``,
        ``"stop"``, ``"test"``), ``terms``, ``criterion``, ``value`` (AICc, t or F),
        ``df``, ``p`` and ``decision`` (why).
    not_separable : tuple of str
        Alias groups the design cannot separate, and which member (if any) represents them.
    notes : tuple of str
    sigma : float or None
        Definitive screening: the stage-1 error standard deviation; ``sigma_df`` its df.
    """

    _frame_from = "table"

    method: str
    criterion: str
    heredity: str
    design: str
    candidates: tuple
    selected: tuple
    steps: pd.DataFrame = field(repr=False)
    not_separable: tuple = ()
    notes: tuple = ()
    sigma: float | None = None
    sigma_df: int | None = None
    alpha: float = 0.05

    @property
    def table(self) -> pd.DataFrame:
        """One row per candidate term: ``term``, ``selected`` (bool) and ``reason``."""
        chosen = set(self.selected)
        alias_of = {}
        for text in self.not_separable:
            for name in _quoted(text):
                alias_of.setdefault(name, text)
        rows = []
        for t in sorted(self.candidates, key=term_key):
            if t in chosen:
                reason = "selected"
            elif t in alias_of:
                reason = f"not separable: {alias_of[t]}"
            else:
                reason = "not selected"
            rows.append({"term": t, "selected": t in chosen, "reason": reason})
        return pd.DataFrame(rows, columns=["term", "selected", "reason"])

    def summary(self) -> str:
        """A few lines: method, design, selected terms and the alias groups."""
        lines = [f"model selection: {self.method} ({self.criterion}, {self.heredity} heredity) on a {self.design}",
                 f"candidates: {', '.join(self.candidates) or 'none'}",
                 f"selected: {', '.join(self.selected) or 'intercept only'}"]
        lines += [f"not separable: {t}" for t in self.not_separable]
        lines += [f"note: {t}" for t in self.notes]
        return "\n".join(lines)


def _quoted(text: str) -> list[str]:
    out, parts = [], text.split("'")
    for i in range(1, len(parts), 2):
        out.append(parts[i])
    return out


def _steps_frame(rows: list[dict]) -> pd.DataFrame:
    cols = ["step", "stage", "action", "terms", "criterion", "value", "df", "p", "decision"]
    df = pd.DataFrame(rows, columns=cols)
    if len(df):
        df["step"] = np.arange(1, len(df) + 1)
    return df


# --------------------------------------------------------------------------- design structure
@dataclass(frozen=True)
class DSDStructure:
    """Fold-over structure of a definitive screening design (:func:`definitive_screening_structure`).

    ``pairs``: row positions ``(i, j)`` with settings ``x_j = -x_i``; ``centre``: rows with
    every factor at 0 (a categorical factor's centre runs come as a fold-over pair);
    ``Z``: the numeric main-effect matrix (two-level categorical factors as -1/+1).
    """

    pairs: tuple
    centre: tuple
    Z: np.ndarray = field(repr=False)
    names: tuple = ()

    @property
    def description(self) -> str:
        c = len(self.centre)
        return (f"definitive screening design ({len(self.pairs)} fold-over pairs, {c} centre run"
                f"{'' if c == 1 else 's'})")


def _numeric_settings(coded: pd.DataFrame, factors: Sequence[Factor]) -> np.ndarray | None:
    """Main-effect columns (continuous coded, two-level -1/+1); None with a many-level factor or no factors."""
    if not factors or any(not f.is_continuous and len(f.levels) != 2 for f in factors):
        return None
    return ModelMatrix([f.name for f in factors], factors).frame(coded).to_numpy()


def definitive_screening_structure(coded: pd.DataFrame, factors: Sequence[Factor]) -> DSDStructure | None:
    """The fold-over structure when the coded settings form a definitive screening design, else None.

    Recognised from the settings alone: every continuous factor takes exactly the coded
    levels -1, 0 and +1, also outside the centre runs (at least two continuous factors),
    every run other than the centre runs has its mirror image ``-x`` among the runs (the pairs are matched one to
    one), at least one run has every continuous factor at 0, and the main-effect columns
    are linearly independent; as in a design built from a conference matrix, a fold-over
    run has at most one continuous factor at 0 and the runs with a given factor at 0 are
    one fold-over pair or its replicates (which tells a Box-Behnken design, also fold-over
    with three levels, apart).  Categorical factors must have two levels.  Extra runs from
    fake factors (a larger DSD with columns dropped) and extra centre runs are allowed.

    Examples
    --------
    >>> from pdkit.doe.designs import definitive_screening, full_factorial
    >>> from pdkit.doe.factors import Factor
    >>> fs = [Factor(n, -1, 1) for n in "ABCD"]
    >>> s = definitive_screening_structure(definitive_screening(fs).coded, fs)
    >>> len(s.pairs), len(s.centre)
    (4, 1)
    >>> definitive_screening_structure(full_factorial(fs[:2]).coded, fs[:2]) is None
    True
    >>> from pdkit.doe.designs import box_behnken
    >>> definitive_screening_structure(box_behnken(fs[:3]).coded, fs[:3]) is None
    True
    """
    Z = _numeric_settings(coded, factors)
    if Z is None:
        return None
    cont = [j for j, f in enumerate(factors) if f.is_continuous]
    if len(cont) < 2:
        return None
    Zr = np.round(Z, 6)
    for j in cont:
        if set(np.unique(Zr[:, j]).tolist()) != {-1.0, 0.0, 1.0}:
            return None
    zero = np.all(Zr == 0, axis=1)
    if not np.any(np.all(Zr[:, cont] == 0, axis=1)):
        return None
    pool: dict[tuple, list[int]] = {}
    for i in np.flatnonzero(~zero):
        pool.setdefault(tuple(Zr[i]), []).append(int(i))
    pairs = []
    used = set()
    for i in np.flatnonzero(~zero):
        i = int(i)
        if i in used:
            continue
        mirror = pool.get(tuple(-Zr[i]) + (), [])
        partner = next((j for j in mirror if j not in used and j != i), None)
        if partner is None:
            return None
        used.update((i, partner))
        pairs.append((i, partner))
    if len(pairs) < Z.shape[1] or np.linalg.matrix_rank(Z) < Z.shape[1]:
        return None
    paired = [i for i, _ in pairs]
    if any(not np.any(Zr[paired, j] == 0) for j in cont):  # e.g. a two-level design with centre runs
        return None
    # conference-matrix structure: a fold-over run has at most one continuous factor at 0, and the
    # runs with a factor at 0 are (replicates of) one fold-over pair; a Box-Behnken design, also
    # fold-over with three levels, has several distinct pairs with a factor at 0
    zero_of: dict[int, set] = {}
    for i, _ in pairs:
        zs = [j for j in cont if Zr[i, j] == 0]
        if len(zs) > 1:
            return None
        if zs:
            row = Zr[i]
            sign = np.sign(row[np.flatnonzero(row)[0]])
            zero_of.setdefault(zs[0], set()).add(tuple(row * sign))
    if any(len(v) > 1 for v in zero_of.values()):
        return None
    return DSDStructure(pairs=tuple(pairs), centre=tuple(int(i) for i in np.flatnonzero(zero)), Z=Z,
                        names=tuple(f.name for f in factors))


# --------------------------------------------------------------------------- DSD two-stage
def _t(t_unit: float, s2: float) -> float:
    return float(t_unit) / math.sqrt(s2) if s2 > 0 else (math.inf if t_unit != 0 else 0.0)


def _p_t(t_unit: float, s2: float, df: int) -> float:
    t = _t(t_unit, s2)
    return float(2 * stats.t.sf(abs(t), df)) if np.isfinite(t) else 0.0


def _split_odd_even(y: np.ndarray, s: DSDStructure) -> tuple[np.ndarray, np.ndarray]:
    odd = np.zeros_like(y)
    even = y.astype(float).copy()
    for i, j in s.pairs:
        d, m = (y[i] - y[j]) / 2, (y[i] + y[j]) / 2
        odd[i], odd[j] = d, -d
        even[i] = even[j] = m
    return odd, even


def _even_rows(s: DSDStructure) -> np.ndarray:
    """One row per even dimension: the first run of each pair (weight 2) and each centre run."""
    return np.array([i for i, _ in s.pairs] + list(s.centre), dtype=int)


def select_definitive_screening(data: pd.DataFrame, response: str, factors: Sequence[Factor], *,
                                alpha: float = 0.05, heredity: str = "strong",
                                coded: pd.DataFrame | None = None,
                                structure: DSDStructure | None = None) -> Selection:
    """Two-stage model selection for a definitive screening design (Jones & Nachtsheim 2017).

    Jones, B. and Nachtsheim, C. J. (2017), "Effective design-based model selection for
    definitive screening designs", J. Quality Technology 49(1):1-15.  See the module
    docstring for the two stages.  The final least-squares fit of the selected terms to
    the whole response is done by :func:`pdkit.doe.fit` (``model="auto"``).

    Parameters
    ----------
    data : DataFrame
        One row per run, the factor columns (coded -1/0/+1 or in actual units) and ``response``.
    response : str
    factors : list of Factor
        Continuous factors (coded from their low/high) and two-level categorical factors.
    alpha : float
        Significance level of the stage-1 t tests and the stage-2 F tests.
    heredity : {"strong", "weak"}
    coded, structure
        Coded settings and the fold-over structure when already known.

    Returns
    -------
    Selection

    Raises
    ------
    InputError
        The settings are not a definitive screening design; a bad ``alpha``/``heredity``.

    Examples
    --------
    Hand check on a 4-factor DSD with an exact response ``y = 5 + 2 A``: stage 1 finds A,
    stage 2 needs no second-order term.

    >>> from pdkit.doe.designs import definitive_screening
    >>> fs = [Factor(n, -1, 1) for n in "ABCD"]
    >>> X = definitive_screening(fs).coded
    >>> y = 5 + 2 * X["A"] + np.array([0.1, -0.1, 0.05, 0.0, -0.05, 0.1, -0.1, 0.05, 0.0])
    >>> select_definitive_screening(X.assign(y=y), "y", fs).selected
    ('A',)
    """
    _check_args(alpha, heredity)
    factors = list(factors)
    if coded is None:
        coded = pd.DataFrame({f.name: (f.to_coded(data[f.name].to_numpy()) if f.is_continuous
                                       else data[f.name].to_numpy()) for f in factors}, index=data.index)
    s = structure or definitive_screening_structure(coded, factors)
    if s is None:
        raise InputError("select_definitive_screening: the settings are not a definitive screening design "
                         "(fold-over pairs plus centre runs, three levels per continuous factor)")
    y = np.asarray(pd.to_numeric(data[response]), dtype=float)
    names = [f.name for f in factors]
    m = len(names)
    odd, even = _split_odd_even(y, s)
    Z = s.Z
    n_pairs = len(s.pairs)
    centre_y = y[list(s.centre)]
    ss_c = float(((centre_y - centre_y.mean()) ** 2).sum()) if len(centre_y) > 1 else 0.0
    df_c = max(len(centre_y) - 1, 0)
    steps: list[dict] = []
    notes: list[str] = []
    # ---- stage 1: main effects from the odd part
    beta, *_ = np.linalg.lstsq(Z, odd, rcond=None)
    unit_se = np.sqrt(np.diag(np.linalg.inv(Z.T @ Z)))
    score = np.abs(beta) / unit_se
    order = sorted(range(m), key=lambda j: (-round(float(score[j]), 10), names[j]))
    df_fake = n_pairs - m
    rss_full, _ = _rss(Z, odd)
    df_ind = df_fake + df_c
    tvals = beta / unit_se  # t without sigma
    if df_ind >= 1:
        # an error estimate independent of every model term: fake-factor dimensions of the odd part
        # and replicated centre runs
        s2 = (rss_full + ss_c) / df_ind
        basis = (f"independent error: {df_fake} fake-factor and {df_c} centre-replicate df, "
                 f"RMSE {math.sqrt(s2):.4g}")
        active = [j for j in order if _p_t(tvals[j], s2, df_ind) < alpha]
        for j in order:
            steps.append({"stage": "1 main effects", "action": "test", "terms": names[j], "criterion": "t",
                          "value": _t(tvals[j], s2), "df": df_ind, "p": _p_t(tvals[j], s2, df_ind),
                          "decision": ("active" if j in active else "inactive") + f" ({basis})"})
        for _ in range(m + 1):  # pool the inactive main effects into the error, re-test until stable
            rssA, _ = _rss(Z[:, active], odd)
            df = n_pairs - len(active) + df_c
            s2p = (rssA + ss_c) / df
            again = [j for j in order if _p_t(tvals[j], s2p, df) < alpha]
            if again == active:
                break
            active = again
    else:
        # no fake factors and at most one centre run: the (orthogonal, equal-variance) main-effect
        # estimates are screened against each other with Lenth's (1989) pseudo standard error,
        # i.e. against an error constructed from the inactive main effects
        from pdkit.doe.analysis import lenth

        L = lenth(beta / unit_se * unit_se.mean(), alpha=alpha)
        basis = f"Lenth PSE {L.pse:.4g} of the main-effect estimates ({L.df:.3g} df), ME {L.me:.4g}"
        if L.note:
            notes.append(L.note)
        scaled = np.abs(beta / unit_se * unit_se.mean())
        active = [j for j in order if L.usable and scaled[j] > L.me]
        for j in order:
            steps.append({"stage": "1 main effects", "action": "test", "terms": names[j], "criterion": "t",
                          "value": scaled[j] / L.pse if L.pse > 0 else np.nan, "df": L.df,
                          "p": float(2 * stats.t.sf(scaled[j] / L.pse, L.df)) if L.pse > 0 else np.nan,
                          "decision": ("active" if j in active else "inactive") + f" ({basis})"})
    rssA, _ = _rss(Z[:, active], odd) if active else (float(odd @ odd), 0)
    sigma_df = n_pairs - len(active) + df_c
    sigma2 = (rssA + ss_c) / sigma_df if sigma_df > 0 else None
    steps.append({"stage": "1 main effects", "action": "stop",
                  "terms": ", ".join(sorted(names[j] for j in active)) or "none", "criterion": "t", "value": np.nan,
                  "df": sigma_df, "p": np.nan,
                  "decision": "active main effects; the inactive ones are pooled into the stage-1 error"
                              + ("" if sigma2 is None else f" (RMSE {math.sqrt(sigma2):.4g})")})
    if sigma2 is not None:
        notes.append(f"stage 1: {len(active)} active main effect(s); error pooled from the inactive main effects, "
                     f"fake factors and centre replicates: RMSE {math.sqrt(sigma2):.4g} on {sigma_df} df")
    act_names = sorted((names[j] for j in active), key=lambda n: n)
    # ---- stage 2: second-order terms among the active factors, from the even part
    fmap = {f.name: f for f in factors}
    cand: list[str] = []
    pool = act_names if heredity == "strong" else names
    for a, b in itertools.combinations(sorted(pool), 2):
        if heredity == "strong" or a in act_names or b in act_names:
            cand.append(f"{a}:{b}")
    cand += [f"{a}^2" for a in act_names if fmap[a].is_continuous]
    cand = sorted(set(cand), key=term_key)
    rows = _even_rows(s)
    w = np.sqrt(np.array([2.0] * n_pairs + [1.0] * len(s.centre)))  # pair means stand for two runs
    ye = even[rows] * w
    selected2: tuple[str, ...] = ()
    not_sep: list[str] = []
    if cand and act_names:
        Xc = model_matrix(coded.iloc[rows], ["Intercept"] + cand, factors)
        Xw = Xc.to_numpy() * w[:, None]
        n_even = len(rows)
        kmax = min(len(cand), n_even - 2)
        if sigma2 is None or sigma2 <= 0 or sigma_df < 1:
            notes.append("stage 2 skipped: stage 1 left no error estimate (no degrees of freedom or zero error)")
            kmax = -1
        chosen = None
        for k in range(0, kmax + 1):
            best = _best_subsets(Xw, ye, cand, k, list(Xc.columns))
            if best is None:
                break
            rss_k, subset, ties = best
            df_k = n_even - 1 - k
            F = (rss_k / df_k) / sigma2
            p = float(stats.f.sf(F, df_k, sigma_df))
            label = ", ".join(subset) or "intercept only"
            if ties:
                not_sep.append("stage 2 subsets with equal fit: " + " = ".join(
                    "{" + ", ".join(f"'{t}'" for t in tie) + "}" for tie in [subset] + ties)
                               + f" (kept the first by canonical name)")
            if p >= alpha:
                steps.append({"stage": "2 second order", "action": "stop", "terms": label, "criterion": "F",
                              "value": F, "df": df_k, "p": p,
                              "decision": f"best {k}-term subset; its residual is not larger than the stage-1 error "
                                          f"(p >= {alpha:g})"})
                chosen = subset
                break
            steps.append({"stage": "2 second order", "action": "test", "terms": label, "criterion": "F",
                          "value": F, "df": df_k, "p": p,
                          "decision": f"best {k}-term subset; residual larger than the stage-1 error (p < {alpha:g}): "
                                      "add a term"})
            chosen = subset
        else:
            if kmax >= 0 and chosen is not None:
                notes.append("stage 2 used every even degree of freedom it could; the second-order model may be "
                             "incomplete (add runs, e.g. augment the design)")
        selected2 = tuple(chosen or ())
    elif not act_names:
        notes.append("no active main effect: under effect heredity no second-order term is considered")
    selected = tuple(sorted(act_names, key=term_key)) + tuple(sorted(selected2, key=term_key))
    all_cands = tuple(sorted(names, key=term_key)) + tuple(cand)
    return Selection(
        method="definitive screening", criterion="p", heredity=heredity, design=s.description,
        candidates=all_cands, selected=selected, steps=_steps_frame(steps), not_separable=tuple(not_sep),
        notes=tuple(notes), sigma=None if sigma2 is None else math.sqrt(sigma2), sigma_df=int(sigma_df),
        alpha=alpha)


def _best_subsets(X: np.ndarray, y: np.ndarray, cand: Sequence[str], k: int, cols: Sequence[str],
                  max_subsets: int = 40000):
    """Best k-subset of the candidate columns (after the intercept in column 0) by RSS.

    All subsets when there are at most ``max_subsets`` of them, else a forward extension of
    the best (k-1)-subset.  Ties (equal RSS within 1e-9 relative) are broken by the
    canonical key and returned.  None when no full-rank subset exists.
    """
    pos = {c: i for i, c in enumerate(cols)}
    idx = {t: pos[t] for t in cand}
    combos = math.comb(len(cand), k)
    if combos <= max_subsets:
        subsets = itertools.combinations(sorted(cand, key=term_key), k)
    else:  # greedy fallback (ordered canonically, so still order-free)
        prev = _best_subsets(X, y, cand, k - 1, cols, max_subsets)
        if prev is None:
            return None
        base = prev[1]
        subsets = (tuple(sorted(base + (t,), key=term_key)) for t in cand if t not in base)
    results = []
    for sub in subsets:
        A = X[:, [0] + [idx[t] for t in sub]]
        rss, rank = _rss(A, y)
        if rank < A.shape[1]:
            continue
        results.append((rss, tuple(term_key(t) for t in sub), sub))
    if not results:
        return None
    results.sort(key=lambda r: (r[0], r[1]))
    best = results[0]
    tol = 1e-9 * max(best[0], float(y @ y) * 1e-12, 1e-300)
    ties = [r[2] for r in results[1:] if r[0] - best[0] <= tol]
    return best[0], best[2], ties


def _check_args(alpha: float, heredity: str) -> None:
    if not isinstance(alpha, (int, float)) or not 0 < alpha < 1:
        raise InputError(f"alpha must be in (0, 1), got {alpha!r}")
    if heredity not in ("strong", "weak"):
        raise InputError(f"heredity must be 'strong' or 'weak', got {heredity!r}")


# --------------------------------------------------------------------------- stepwise
def _alias_groups(X: pd.DataFrame, mapping: Mapping[str, list[str]], terms: Sequence[str],
                  base: np.ndarray) -> tuple[list[list[str]], list[str]]:
    """Group terms whose model columns span the same space (given the forced ``base`` columns).

    Returns the groups (each sorted by canonical key, groups ordered by their first key) and
    the terms that are not estimable at all (inside the span of the forced columns).
    """
    def resid(t: str) -> np.ndarray:
        M = X[mapping[t]].to_numpy()
        if base.shape[1]:
            beta, *_ = np.linalg.lstsq(base, M, rcond=None)
            M = M - base @ beta
        return M

    R = {t: resid(t) for t in terms}
    dead = [t for t in terms if np.linalg.matrix_rank(R[t], tol=1e-8 * max(1.0, np.abs(R[t]).max())) == 0]
    live = sorted((t for t in terms if t not in dead), key=term_key)
    groups: list[list[str]] = []
    for t in live:
        rt = np.linalg.matrix_rank(R[t], tol=1e-8)
        for g in groups:
            u = g[0]
            ru = np.linalg.matrix_rank(R[u], tol=1e-8)
            if rt == ru and np.linalg.matrix_rank(np.column_stack([R[t], R[u]]), tol=1e-8) == rt:
                g.append(t)
                break
        else:
            groups.append([t])
    return groups, dead


def select_stepwise(X: pd.DataFrame, y: np.ndarray, candidates: Sequence[str], factors: Sequence[Factor], *,
                    criterion: str = "aicc", alpha: float = 0.05, heredity: str = "strong",
                    forced: np.ndarray | None = None, design: str = "design",
                    max_steps: int = 200) -> Selection:
    """Hierarchy-preserving stepwise selection by AICc or p-values, independent of column order.

    Parameters
    ----------
    X : DataFrame
        Model matrix with (at least) every column of every candidate term
        (:func:`pdkit.doe.model.model_matrix`), one row per run.
    y : array
        Response.
    candidates : list of str
        Candidate terms (not the intercept); main effects are candidates too.
    factors : list of Factor
    criterion : {"aicc", "p"}
        AICc: take the move (add a term with the parents its heredity needs, or remove a term
        no other term needs) with the smallest AICc while it decreases.  p: remove the
        removable term with the largest partial-F p-value above ``alpha``, else add the
        package with the smallest p-value below ``alpha``.
    alpha : float
    heredity : {"strong", "weak"}
        Strong: an interaction needs both main effects, a square its main effect.  Weak: an
        interaction needs one of them.
    forced : array, optional
        Columns always in the model (the intercept and block columns); default the intercept.
    design : str
        Description of the design for the report.

    Returns
    -------
    Selection

    Examples
    --------
    >>> from pdkit.doe.model import model_matrix, model_terms
    >>> fs = [Factor("A", -1, 1), Factor("B", -1, 1)]
    >>> g = np.array([-1.0, 1.0])
    >>> d = pd.DataFrame([(a, b) for a in g for b in g] * 3, columns=["A", "B"])
    >>> y = 10 + 3 * d["A"] + 0.1 * np.array([1, 1, -1, -1, -1, -1, 1, 1, 0, 0, 0, 0])
    >>> terms = model_terms("interactions", fs)
    >>> select_stepwise(model_matrix(d, terms, fs), y.to_numpy(), terms[1:], fs).selected
    ('A',)
    """
    _check_args(alpha, heredity)
    crit = str(criterion).lower()
    if crit not in ("aicc", "p"):
        raise InputError(f"selection criterion must be 'aicc' or 'p', got {criterion!r}")
    y = np.asarray(y, dtype=float)
    n = len(y)
    base = np.ones((n, 1)) if forced is None else np.asarray(forced, dtype=float)
    mapping = term_columns(list(candidates), factors)
    groups, dead = _alias_groups(X, mapping, list(candidates), base)
    notes: list[str] = []
    not_sep: list[str] = []
    if dead:
        not_sep.append("not estimable (constant over the runs, or confounded with the blocks): "
                       + ", ".join(f"'{_canon(t)}'" for t in sorted(dead, key=term_key)))
    usable: list[list[str]] = []
    for g in groups:
        if len(g) > 1 and all(t.endswith("^2") for t in g):
            not_sep.append(" = ".join(f"'{t}'" for t in g) + " (pure quadratics the design cannot tell apart; left "
                           "out: the curvature cannot be attributed to one factor)")
            continue
        usable.append(g)
        if len(g) > 1:
            not_sep.append(" = ".join(f"'{_canon(t)}'" for t in g) + " (one model column; the member whose "
                           "parents are in the model represents the group, else the first by name)")
    gid = {t: i for i, g in enumerate(usable) for t in g}
    mains = {f.name for f in factors}

    def cols_of(model: Sequence[str]) -> np.ndarray:
        parts = [base] + [X[mapping[t]].to_numpy() for t in model]
        return np.column_stack(parts)

    cache: dict[frozenset, tuple[float, int]] = {}

    def rss_of(model: Sequence[str]) -> tuple[float, int]:
        key = frozenset(model)
        if key not in cache:
            A = cols_of(sorted(model, key=term_key))
            rss, rank = _rss(A, y)
            cache[key] = (rss, rank if rank == A.shape[1] else -1)
        return cache[key]

    def p_count(model: Sequence[str]) -> int:
        return base.shape[1] + sum(len(mapping[t]) for t in model)

    def needed_parents(t: str, model: set[str]) -> list[str] | None:
        ps = [p for p in _parents(t) if p in mains] if (":" in t or t.endswith("^2")) else []
        missing = [p for p in ps if p not in model]
        if not ps or not missing:
            return []
        if t.endswith("^2"):
            return missing
        if heredity == "weak" and len(missing) < len(ps):
            return []
        if heredity == "weak":
            # weak heredity: one parent suffices; add the canonical first of the missing ones
            return [sorted(missing)[0]]
        return missing

    def removable(t: str, model: set[str]) -> bool:
        for u in model:
            if u == t or not (":" in u or u.endswith("^2")):
                continue
            if t in _parents(u):
                if u.endswith("^2") or heredity == "strong":
                    return False
                others = [p for p in _parents(u) if p != t and p in model]
                if not others:
                    return False
        return True

    def add_moves(model: set[str]) -> list[tuple[list[str], str]]:
        moves = []
        used_groups = {gid[t] for t in model if t in gid}
        for i, g in enumerate(usable):
            if i in used_groups:
                continue
            options = []
            for t in g:
                need = needed_parents(t, model)
                if need is None:
                    continue
                if any(p in gid and gid[p] in used_groups and p not in model for p in need):
                    continue  # a needed parent is aliased with a term already in the model
                options.append((len(need), term_key(t), t, need))
            if not options:
                continue
            _, _, t, need = min(options)
            package = sorted(set(need) | {t}, key=term_key)
            if len({gid.get(q, -1) for q in package}) < len(package):
                continue
            moves.append((package, t))
        return moves

    model: set[str] = set()
    steps: list[dict] = []
    rss0, _ = rss_of([])
    cur_val = aicc(rss0, n, p_count([]))
    steps.append({"stage": "stepwise", "action": "start", "terms": "intercept" + (" and blocks" if base.shape[1] > 1
                                                                                    else ""),
                  "criterion": "AICc" if crit == "aicc" else "p", "value": cur_val if crit == "aicc" else np.nan,
                  "df": n - p_count([]), "p": np.nan, "decision": "start"})
    seen = {frozenset()}
    for _ in range(max_steps):
        cur_rss, _ = rss_of(sorted(model))
        cur_p = p_count(model)
        best = None  # (sort key, action, terms, value, df, p)
        removals = [t for t in sorted(model, key=term_key) if removable(t, model)]
        additions = add_moves(model)
        if crit == "aicc":
            cur_val = aicc(cur_rss, n, cur_p)
            for t in removals:
                new = model - {t}
                rss, ok = rss_of(sorted(new))
                v = aicc(rss, n, p_count(new))
                cand = (v, 0, term_key(t), "remove", [t], v, n - p_count(new), np.nan)
                best = cand if best is None or cand[:3] < best[:3] else best
            for package, t in additions:
                new = model | set(package)
                rss, ok = rss_of(sorted(new))
                if ok < 0:
                    continue
                v = aicc(rss, n, p_count(new))
                cand = (v, 1, tuple(term_key(q) for q in package), "enter", package, v, n - p_count(new), np.nan)
                best = cand if best is None or cand[:3] < best[:3] else best
            if best is None or not best[0] < cur_val - 1e-9 or frozenset(
                    (model - set(best[4])) if best[3] == "remove" else (model | set(best[4]))) in seen:
                steps.append({"stage": "stepwise", "action": "stop", "terms": "", "criterion": "AICc",
                              "value": cur_val, "df": n - cur_p, "p": np.nan,
                              "decision": "no move lowers AICc"})
                break
            _, _, _, action, terms, v, df, p = best
            decision = f"AICc {cur_val:.3f} -> {v:.3f}"
        else:
            df_cur = n - cur_p
            worst = None
            for t in removals:
                new = model - {t}
                rss, _ = rss_of(sorted(new))
                dfn = len(mapping[t])
                if df_cur < 1 or cur_rss <= 0:
                    pv = 0.0 if rss > cur_rss else 1.0
                    F = np.inf
                else:
                    F = ((rss - cur_rss) / dfn) / (cur_rss / df_cur)
                    pv = float(stats.f.sf(F, dfn, df_cur))
                cand = (-pv, term_key(t), "remove", [t], F, df_cur, pv)
                worst = cand if worst is None or cand[:2] < worst[:2] else worst
            if worst is not None and worst[6] > alpha:
                _, _, action, terms, v, df, p = worst
                decision = f"largest p = {p:.4g} > {alpha:g}, removable under heredity"
            else:
                entry = None
                for package, t in additions:
                    new = model | set(package)
                    rss, ok = rss_of(sorted(new))
                    dfn = p_count(new) - cur_p
                    df_new = n - p_count(new)
                    if ok < 0 or df_new < 1:
                        continue
                    F = ((cur_rss - rss) / dfn) / (rss / df_new) if rss > 0 else np.inf
                    pv = float(stats.f.sf(F, dfn, df_new)) if np.isfinite(F) else 0.0
                    cand = (pv, tuple(term_key(q) for q in package), "enter", package, F, df_new, pv)
                    entry = cand if entry is None or cand[:2] < entry[:2] else entry
                if entry is None or entry[6] >= alpha:
                    steps.append({"stage": "stepwise", "action": "stop", "terms": "", "criterion": "p",
                                  "value": np.nan, "df": df_cur, "p": np.nan if entry is None else entry[6],
                                  "decision": f"no removable term with p > {alpha:g} and no entry with p < {alpha:g}"})
                    break
                _, _, action, terms, v, df, p = entry
                decision = f"smallest p = {p:.4g} < {alpha:g}"
            nxt = (model - set(terms)) if action == "remove" else (model | set(terms))
            if frozenset(nxt) in seen:
                steps.append({"stage": "stepwise", "action": "stop", "terms": "", "criterion": "p", "value": np.nan,
                              "df": df_cur, "p": np.nan, "decision": "the next move returns to an earlier model"})
                break
        model = (model - set(terms)) if action == "remove" else (model | set(terms))
        seen.add(frozenset(model))
        steps.append({"stage": "stepwise", "action": action, "terms": ", ".join(_canon(t) for t in terms),
                      "criterion": "AICc" if crit == "aicc" else "F", "value": v, "df": df, "p": p,
                      "decision": decision})
    else:
        notes.append(f"stepwise stopped after {max_steps} steps")
    selected = tuple(_canon(t) for t in sorted(model, key=term_key))
    return Selection(method="stepwise", criterion="AICc" if crit == "aicc" else "p", heredity=heredity,
                     design=design, candidates=tuple(_canon(t) for t in sorted(candidates, key=term_key)),
                     selected=selected, steps=_steps_frame(steps), not_separable=tuple(not_sep),
                     notes=tuple(notes), alpha=alpha)
