"""Design evaluation for a chosen model: efficiencies, VIFs, power, aliasing, correlations.

Definitions (X = N x p model matrix in coded units, M = X'X, d(x) = f(x)' M^-1 f(x)):

* D-efficiency = 100 |M|^(1/p) / N (JMP, Montgomery DAE 8th ed. 11.4): 100 for
  an orthogonal +/-1 design.
* A-efficiency = 100 p / trace(N M^-1) (JMP).
* G-efficiency = 100 p / (N max_x d(x)) (Myers, Montgomery & Anderson-Cook,
  *Response Surface Methodology* 3rd ed., 8.2), the maximum taken over a grid of
  the cube [-1, 1]^k (5 levels per continuous factor up to 6 factors, 3 up to
  10, random points plus vertices beyond) and the design points inside it.
  JMP's G-efficiency is the square root form 100 sqrt(p / (N max d)) over the
  design points; ``g_efficiency_jmp`` gives it.
* I-criterion = average prediction variance trace(M^-1 W) with W the moment
  matrix of the uniform distribution on the cube (exact 3-point Gauss-Legendre
  tensor quadrature; categorical levels equally weighted); reported as
  ``average_variance`` (JMP "Average Variance of Prediction", in units of
  sigma^2).  There is no absolute I-efficiency (the I-optimal design is not
  known in closed form); ``i_efficiency_vs(other)`` compares two designs.
  Over a user-given candidate set C (``evaluate(..., candidates=C)`` or
  :func:`i_criterion`) the average is the mean of d(x) over the candidate points
  (optionally weighted), i.e. trace(M^-1 W_C) with W_C = F_C' diag(w) F_C
  (Goos & Jones 2011, *Optimal Design of Experiments*, ch. 4: the I-criterion over
  a discrete candidate set); reported as ``candidate_average_variance``.
* VIF of a model column = [M^-1]_jj * sum_i (x_ij - mean_j)^2.
* Power per term: the anticipated coefficient is ``effect_size / 2`` for every
  model column of the term (an effect of ``effect_size`` from -1 to +1), so the
  noncentrality is lambda = b' C^-1 b / sigma^2 with C the term's block of M^-1;
  power = P(F'(df_term, N - p, lambda) > F_{1-alpha}(df_term, N - p))
  (scipy.stats.ncf); for one-column terms this equals the two-sided noncentral-t power.
* Alias matrix A = (X1'X1)^-1 X1'X2 for omitted terms X2 (Montgomery DAE 8th ed.,
  Sec. 10.3 / 8.7: E(b1) = beta1 + A beta2); default X2: every second-order term not in
  the model - all two-factor interactions and the pure quadratics of continuous
  factors - so a definitive screening design shows its main effects clear of both, and a
  two-level design shows the quadratics aliased with the intercept.
* Blocked designs (``design.blocks`` with more than one block): the blocks are
  fixed effects of the analysis (:func:`pdkit.doe.fit` with ``block=``), so
  M^-1 above is the model terms' part of the inverse information of [X, B] (B the
  sum-to-zero block columns), the error df are N - p - (blocks - 1), and a term
  confounded with blocks is reported as not estimable.  With orthogonal blocks
  (pdkit's blocked Box-Behnken and central composite designs) only the error df
  change.

Examples
--------
>>> from pdkit.doe.factors import Factor
>>> from pdkit.doe.designs import full_factorial
>>> d = full_factorial([Factor("A", 0, 1), Factor("B", 0, 1), Factor("C", 0, 1)])
>>> ev = evaluate(d, "interactions")
>>> round(ev.d_efficiency, 6), round(ev.a_efficiency, 6)
(100.0, 100.0)
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from pdkit.errors import InputError
from pdkit.doe.factors import code_factor_columns
from pdkit.doe.designs import Design, moment_matrix
from pdkit.doe.designs.optimal import region_points
from pdkit.doe.model import ModelMatrix, effect_coding, model_terms, numeric_settings, term_columns, term_order

__all__ = ["evaluate", "DesignEvaluation", "AliasingWarning", "DesignWarning", "prediction_variance", "i_criterion"]


class DesignWarning(UserWarning):
    """A design property the user should know about (pdkit warning class)."""


class AliasingWarning(DesignWarning):
    """Model terms cannot all be estimated from the design (they are aliased)."""


@dataclass(frozen=True, eq=False)
class DesignEvaluation:
    """Result of :func:`evaluate`.

    Attributes
    ----------
    n_runs, n_coefficients, df_error : int
    terms : list of str
        Model terms.
    d_efficiency, a_efficiency, g_efficiency, g_efficiency_jmp : float
        In percent (0 when the design cannot estimate the model).
    average_variance, max_variance : float
        Average (I-criterion) and maximum of d(x) over the region, in sigma^2 units
        (``inf`` when the model is not estimable).
    coefficients : DataFrame
        Per model column: ``term``, ``std_error`` (in units of sigma), ``vif``.
    power : DataFrame
        Per term: ``df``, ``coefficient``, ``noncentrality``, ``power``.
    alias_matrix : DataFrame
        Rows model columns, columns omitted terms: entry (i, j) is how much of omitted
        term j's coefficient the estimate of model column i carries.
    correlation : DataFrame
        Absolute correlations between the (non-intercept) model and omitted columns.
    aliased_terms : tuple of str
        Model terms that cannot be estimated.
    n_blocks : int
        Blocks of the design accounted for (1: unblocked).
    candidate_average_variance, candidate_max_variance : float or None
        Average (I-criterion) and maximum of d(x) over the ``candidates`` given to
        :func:`evaluate` (None when none were given).
    blocks_orthogonal : bool or None
        Whether the blocks are orthogonal to every model term (then block shifts bias no
        coefficient and cost only error df); None for an unblocked design.
    """

    n_runs: int
    n_coefficients: int
    df_error: int
    terms: list
    d_efficiency: float
    a_efficiency: float
    g_efficiency: float
    g_efficiency_jmp: float
    average_variance: float
    max_variance: float
    coefficients: pd.DataFrame
    power: pd.DataFrame
    alias_matrix: pd.DataFrame
    correlation: pd.DataFrame
    aliased_terms: tuple
    effect_size: float
    sigma: float
    alpha: float
    n_blocks: int = 1
    blocks_orthogonal: bool | None = None
    candidate_average_variance: float | None = None
    candidate_max_variance: float | None = None

    def i_efficiency_vs(self, other: "DesignEvaluation") -> float:
        """Relative I-efficiency in percent: 100 * other.average_variance / self.average_variance."""
        if not np.isfinite(self.average_variance):
            return 0.0
        return float(100.0 * other.average_variance / self.average_variance)

    def summary(self) -> str:
        """One line: runs, coefficients, error df and the efficiencies (the result protocol)."""
        h = self.headline()
        return ("DesignEvaluation: " + ", ".join(
            f"{k} {v:.4g}" if isinstance(v, float) else f"{k} {v}" for k, v in h.items()))

    def to_frame(self) -> pd.DataFrame:
        """The headline numbers as a one-column table (``value``) indexed by quantity."""
        return self.headline().to_frame("value")

    def _repr_html_(self) -> str:
        from pdkit.results import result_html

        return result_html(self.summary(), self.to_frame().reset_index(names="quantity"))

    def headline(self) -> pd.Series:
        """The headline numbers as a Series (with ``blocks`` for a blocked design)."""
        blocks = {"blocks": self.n_blocks} if self.n_blocks > 1 else {}
        return pd.Series(
            {
                "runs": self.n_runs,
                **blocks,
                "coefficients": self.n_coefficients,
                "error df": self.df_error,
                "D-efficiency (%)": self.d_efficiency,
                "A-efficiency (%)": self.a_efficiency,
                "G-efficiency (%)": self.g_efficiency,
                "average prediction variance": self.average_variance,
                "max prediction variance": self.max_variance,
            }
        )


def _design_matrix(design: Design, terms: Sequence[str]) -> tuple[np.ndarray, list[str], ModelMatrix]:
    rb = ModelMatrix(terms, list(design.factors))
    S = numeric_settings(design.coded, design.factors)
    return rb(S), rb.columns, rb


def _dependent_columns(X: np.ndarray, tol: float = 1e-9) -> list[int]:
    """Columns lying in the span of the others (each part of a linear dependency)."""
    n, p = X.shape
    scale = np.linalg.norm(X, axis=0)
    scale[scale == 0] = 1.0
    Xs = X / scale
    if np.linalg.matrix_rank(Xs, tol=tol * max(n, p)) == p:
        return []
    _, s, vt = np.linalg.svd(Xs, full_matrices=True)
    rank = int((s > tol * max(n, p) * s[0]).sum()) if s.size else 0
    null = vt[rank:]
    involved = np.abs(null).max(axis=0) > 1e-7
    return [j for j in range(p) if involved[j]]


def prediction_variance(design: Design, model: str | Sequence[str], points: pd.DataFrame) -> np.ndarray:
    """Unscaled prediction variance d(x) = f(x)'(X'X)^-1 f(x) at coded ``points``.

    Examples
    --------
    >>> from pdkit.doe.factors import Factor
    >>> from pdkit.doe.designs import full_factorial
    >>> d = full_factorial([Factor("A", 0, 1), Factor("B", 0, 1)])
    >>> prediction_variance(d, "linear", pd.DataFrame({"A": [0.0], "B": [0.0]})).tolist()
    [0.25]
    """
    factors = list(design.factors)
    terms = model_terms(model, factors)
    X, _, rb = _design_matrix(design, terms)
    M = X.T @ X
    F = rb(numeric_settings(points, factors))
    Minv = np.linalg.inv(M)
    return np.einsum("ij,jk,ik->i", F, Minv, F)


def evaluate(
    design: Design,
    model: str | Sequence[str] = "linear",
    effect_size: float = 2.0,
    sigma: float = 1.0,
    alpha: float = 0.05,
    *,
    alias_terms: Sequence[str] | str | None = None,
    seed: int = 0,
    candidates: pd.DataFrame | None = None,
    candidate_units: str = "coded",
    weights: Sequence[float] | None = None,
) -> DesignEvaluation:
    """Evaluate a design for a model (see the module docstring for definitions).

    Parameters
    ----------
    design : Design
    model : str or list
        ``"linear"``, ``"interactions"``, ``"quadratic"``, a formula or a list of terms.
    effect_size : float
        Change in the response, in response units, between the -1 and +1
        settings of a term (coefficient = effect_size / 2).  Default 2 with
        ``sigma=1`` (a "2-sigma effect", coefficient 1 as in JMP).
    sigma : float
        Residual standard deviation.
    alpha : float
        Significance level of the tests.
    alias_terms : list of str or "interactions" or "quadratic", optional
        Terms omitted from the model for the alias matrix; default every
        two-factor interaction and pure quadratic not in the model (the same as
        ``"quadratic"``); ``"interactions"`` gives main effects and two-factor
        interactions only.
    seed : int
        Seed of the Monte Carlo points used only when the region is too large
        for quadrature/grid evaluation (more than 10 continuous factors).
    candidates : DataFrame, optional
        A candidate set (one column per factor, one row per point) over which the
        I-criterion (``candidate_average_variance``) and the maximum prediction
        variance are also computed.
    candidate_units : {"coded", "actual"}
        Units of ``candidates`` (categorical factors as level labels either way).
    weights : list of float, optional
        Non-negative weights of the candidate points (default equal); normalised to sum 1.

    Warns
    -----
    AliasingWarning
        When model terms are aliased (the design cannot estimate the model);
        the efficiencies are then 0 and the aliased terms have infinite
        standard errors and VIFs and zero power.

    Examples
    --------
    >>> from pdkit.doe.factors import Factor
    >>> from pdkit.doe.designs import central_composite
    >>> d = central_composite([Factor("A", 0, 1), Factor("B", 0, 1)], alpha="face", center=1)
    >>> ev = evaluate(d, "quadratic")
    >>> ev.n_runs, ev.n_coefficients, ev.df_error
    (9, 6, 3)
    """
    if not isinstance(design, Design):
        raise InputError(f"design: expected a pdkit Design, got {type(design).__name__}")
    for name, v, lo in (("effect_size", effect_size, None), ("sigma", sigma, 0.0)):
        try:
            fv = float(v)
        except (TypeError, ValueError):
            raise InputError(f"{name}: expected a number, got {v!r}") from None
        if not np.isfinite(fv) or (lo is not None and fv <= lo):
            raise InputError(f"{name}: expected a finite number{' > 0' if lo is not None else ''}, got {v!r}")
    try:
        alpha = float(alpha)
    except (TypeError, ValueError):
        raise InputError(f"alpha: expected a number in (0, 1), got {alpha!r}") from None
    if not 0 < alpha < 1:
        raise InputError(f"alpha: expected a number in (0, 1), got {alpha!r}")
    effect_size, sigma = float(effect_size), float(sigma)
    factors = list(design.factors)
    terms = model_terms(model, factors)
    X, cols, rb = _design_matrix(design, terms)
    N, p = X.shape
    if p > N:
        raise InputError(f"model has {p} coefficients ({len(terms)} terms) but the design has only {N} runs; "
                         f"need at least {p} runs or a smaller model")
    col_term = {c: t for t, cs in term_columns(terms, factors).items() for c in cs}
    # blocks: fixed effects of the analysis, sum-to-zero coded (as pdkit.doe.fit codes them)
    block_labels = np.asarray(design.blocks)
    levels = sorted(set(block_labels.tolist()))
    if len(levels) > 1:
        XB = effect_coding(block_labels, levels)
    else:
        XB = np.zeros((N, 0))
    nbc = XB.shape[1]
    if p + nbc > N:
        raise InputError(f"model has {p} coefficients and the design {nbc + 1} blocks, but only {N} runs")
    dep = [j for j in _dependent_columns(np.hstack([X, XB])) if j < p]
    aliased_terms = tuple(dict.fromkeys(col_term[cols[j]] for j in dep))
    Xfull = np.hstack([X, XB])
    M = X.T @ X
    estimable = not dep
    if not estimable:
        warnings.warn(
            f"the design cannot estimate model term(s) {', '.join(aliased_terms)}: they are aliased with each "
            "other, with the intercept" + (" or with the blocks" if nbc else "") + "; efficiencies are reported as 0",
            AliasingWarning,
            stacklevel=2,
        )
    elif nbc:
        # information on the model terms once the block effects are estimated too
        Minv_b = np.linalg.inv(Xfull.T @ Xfull)[:p, :p]
        M = np.linalg.inv((Minv_b + Minv_b.T) / 2)
    df_error = N - p - nbc
    blocks_orthogonal = None
    if nbc:
        Zm, Zb = X[:, 1:] - X[:, 1:].mean(axis=0), XB - XB.mean(axis=0)
        blocks_orthogonal = bool(np.allclose(Zm.T @ Zb, 0.0, atol=1e-9))

    # region for G and I
    P_grid, _ = region_points(factors, "grid", seed=seed)
    S_design = numeric_settings(design.coded, factors)
    cont = [j for j, f in enumerate(factors) if f.is_continuous]
    inside = np.all(np.abs(S_design[:, cont]) <= 1 + 1e-9, axis=1) if cont else np.ones(N, dtype=bool)
    F_region = rb(np.vstack([P_grid, S_design[inside]]))
    if estimable:
        Minv = np.linalg.inv(M)
        Minv = (Minv + Minv.T) / 2
        d_eff = 100.0 * np.exp(np.linalg.slogdet(M)[1] / p) / N
        a_eff = 100.0 * p / np.trace(N * Minv)
        dvar = np.einsum("ij,jk,ik->i", F_region, Minv, F_region)
        max_var = float(dvar.max())
        g_eff = 100.0 * p / (N * max_var)
        d_pts = np.einsum("ij,jk,ik->i", X, Minv, X)
        g_jmp = 100.0 * np.sqrt(p / N) / np.sqrt(d_pts.max())
        W = moment_matrix(factors, terms, seed=seed)
        avg_var = float(np.trace(Minv @ W))
        se = np.sqrt(np.clip(np.diag(Minv), 0, None))
    else:
        d_eff = a_eff = g_eff = g_jmp = 0.0
        max_var = avg_var = float("inf")
        Mp = np.linalg.pinv(M)
        se = np.sqrt(np.clip(np.diag(Mp), 0, None))
        se[dep] = np.inf
        Minv = Mp

    cand_avg = cand_max = None
    if candidates is not None:
        Fc, w = _candidate_rows(candidates, factors, rb, candidate_units, weights)
        if estimable:
            dc = np.einsum("ij,jk,ik->i", Fc, Minv, Fc)
            cand_avg, cand_max = float(w @ dc), float(dc.max())
        else:
            cand_avg = cand_max = float("inf")

    # VIFs
    centred = X - X.mean(axis=0)
    ss = (centred**2).sum(axis=0)
    vif = np.ones(p)
    for j, c in enumerate(cols):
        if c == "Intercept":
            vif[j] = np.nan  # removed below
        elif j in dep or ss[j] <= 1e-12:
            vif[j] = np.inf
        else:
            vif[j] = Minv[j, j] * ss[j]
    coef = pd.DataFrame({"term": [col_term[c] for c in cols], "std_error": se, "vif": vif}, index=pd.Index(cols, name="column"))
    coef = coef.drop(index="Intercept")
    coef = pd.concat([pd.DataFrame({"term": ["Intercept"], "std_error": [se[0]], "vif": [1.0]},
                                   index=pd.Index(["Intercept"], name="column")), coef])

    # power per term
    beta = effect_size / 2.0
    rows = []
    mapping = term_columns(terms, factors)
    for t in terms[1:]:
        idx = [cols.index(c) for c in mapping[t]]
        df1 = len(idx)
        if not estimable and t in aliased_terms:
            rows.append({"term": t, "df": df1, "coefficient": beta, "noncentrality": 0.0, "power": 0.0})
            continue
        b = np.full(df1, beta)
        C = Minv[np.ix_(idx, idx)]
        lam = float(b @ np.linalg.solve(C, b)) / sigma**2
        if df_error > 0:
            fcrit = stats.f.ppf(1 - alpha, df1, df_error)
            pw = float(stats.ncf.sf(fcrit, df1, df_error, lam))
        else:
            pw = float("nan")
        rows.append({"term": t, "df": df1, "coefficient": beta, "noncentrality": lam, "power": pw})
    power = pd.DataFrame(rows, columns=["term", "df", "coefficient", "noncentrality", "power"]).set_index("term")
    if df_error == 0:
        warnings.warn(
            f"the design has {N} runs for {p} coefficients: no error degrees of freedom, so power cannot be "
            "computed (the power column is empty)",
            DesignWarning,
            stacklevel=2,
        )

    # alias matrix
    if alias_terms is None:  # every second-order term left out: two-factor interactions and pure quadratics
        cand = model_terms("quadratic", factors)
        omitted = [t for t in cand if term_order(t) == 2 and t not in terms]
    elif isinstance(alias_terms, str) and alias_terms in ("interactions", "quadratic"):
        omitted = [t for t in model_terms(alias_terms, factors) if t not in terms]
    else:
        omitted = [t for t in model_terms(list(alias_terms), factors)[1:] if t not in terms]
    if omitted:
        rb2 = ModelMatrix(["Intercept"] + omitted, factors)
        X2 = rb2(S_design)[:, 1:]
        cols2 = rb2.columns[1:]
        Amat = (np.linalg.pinv(M) if not estimable else Minv) @ X.T @ X2
        Amat[np.abs(Amat) < 1e-12] = 0.0
        alias = pd.DataFrame(Amat, index=pd.Index(cols, name="column"), columns=cols2)
    else:
        X2 = np.zeros((N, 0))
        cols2 = []
        alias = pd.DataFrame(index=pd.Index(cols, name="column"))
    # correlation map (absolute), constant columns -> 0 off the diagonal
    allX = np.hstack([X[:, 1:], X2])
    names_all = cols[1:] + list(cols2)
    Z = allX - allX.mean(axis=0)
    norm = np.sqrt((Z**2).sum(axis=0))
    with np.errstate(invalid="ignore", divide="ignore"):
        R = np.abs(Z.T @ Z) / np.outer(norm, norm)
    R[~np.isfinite(R)] = 0.0
    np.fill_diagonal(R, 1.0)
    corr = pd.DataFrame(np.clip(R, 0, 1), index=names_all, columns=names_all)

    return DesignEvaluation(
        n_runs=N,
        n_coefficients=p,
        df_error=df_error,
        terms=terms,
        d_efficiency=float(d_eff),
        a_efficiency=float(a_eff),
        g_efficiency=float(g_eff),
        g_efficiency_jmp=float(g_jmp),
        average_variance=float(avg_var),
        max_variance=float(max_var),
        coefficients=coef,
        power=power,
        alias_matrix=alias,
        correlation=corr,
        aliased_terms=aliased_terms,
        effect_size=effect_size,
        sigma=sigma,
        alpha=alpha,
        n_blocks=nbc + 1,
        blocks_orthogonal=blocks_orthogonal,
        candidate_average_variance=cand_avg,
        candidate_max_variance=cand_max,
    )


def _candidate_rows(candidates: pd.DataFrame, factors: Sequence, rb: ModelMatrix, units: str,
                    weights: Sequence[float] | None) -> tuple[np.ndarray, np.ndarray]:
    """Model rows of a candidate set (validated) and normalised weights."""
    if not isinstance(candidates, pd.DataFrame) or len(candidates) == 0:
        raise InputError("candidates: expected a DataFrame with one column per factor and at least one row")
    if units not in ("coded", "actual"):
        raise InputError(f"candidate_units: expected 'coded' or 'actual', got {units!r}")
    frame = code_factor_columns(candidates, factors, "candidates", units=units)
    F = rb(numeric_settings(frame, factors))
    if weights is None:
        w = np.full(len(frame), 1.0 / len(frame))
    else:
        w = np.asarray(weights, dtype=float)
        if w.shape != (len(frame),) or not np.all(np.isfinite(w)) or (w < 0).any() or w.sum() <= 0:
            raise InputError(f"weights: expected {len(frame)} non-negative numbers (one per candidate), not all 0")
        w = w / w.sum()
    return F, w


def i_criterion(design: Design, model: str | Sequence[str] = "linear", candidates: pd.DataFrame | None = None,
                candidate_units: str = "coded", weights: Sequence[float] | None = None, seed: int = 0) -> float:
    """I-criterion: the average prediction variance d(x) (sigma^2 units) of ``design`` for ``model``.

    Over the cube [-1, 1]^k (uniform; the ``average_variance`` of :func:`evaluate`) when
    ``candidates`` is None, otherwise the (weighted) mean over the candidate points.
    Lower is better; ``100 * I(other) / I(design)`` is the relative I-efficiency.

    Examples
    --------
    >>> from pdkit.doe.factors import Factor
    >>> from pdkit.doe.designs import full_factorial
    >>> d = full_factorial([Factor("A", 0, 1), Factor("B", 0, 1)])
    >>> grid = pd.DataFrame({"A": [-1, 0, 1] * 3, "B": [-1] * 3 + [0] * 3 + [1] * 3})
    >>> round(i_criterion(d, "linear"), 5), round(i_criterion(d, "linear", grid), 5)
    (0.41667, 0.58333)
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DesignWarning)  # no error df: irrelevant to the I-criterion
        warnings.simplefilter("always", AliasingWarning)  # ... but aliasing is reported
        ev = evaluate(design, model, seed=seed, candidates=candidates, candidate_units=candidate_units,
                      weights=weights)
    return float(ev.average_variance if candidates is None else ev.candidate_average_variance)
