"""Optimal designs: model rows, region moments, the coordinate exchange (Meyer & Nachtsheim 1995)."""
from __future__ import annotations

import itertools
from dataclasses import replace
from typing import Any, Callable, Sequence

import numpy as np

from pdkit.errors import InputError
from pdkit.doe.factors import Factor, as_factors
from pdkit.doe.model import ModelMatrix, model_terms
from pdkit.doe.designs.base import Design, assemble, check_int, check_seed, index_to_coded, rows_to_frame
from pdkit.doe.designs.constraints import disallowed_check, parse_constraints

__all__ = ['optimal_design', 'moment_matrix',
           # the exchange algorithm, shared with evaluation and augmentation
           'region_points', 'exchange_gains', 'coordinate_exchange', 'criterion_and_gradient']


# ----------------------------------------------------------------------------
# Model rows, moments and the coordinate exchange
# ----------------------------------------------------------------------------
def region_points(factors: Sequence[Factor], kind: str = "quadrature", seed: int = 0, n: int = 20000,
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
    P, w = region_points(factors, "quadrature", seed=seed, feasible=feasible)
    F = ModelMatrix(terms, factors)(P)
    return (F * w[:, None]).T @ F


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


def exchange_gains(Xc: np.ndarray, xi: np.ndarray, V: np.ndarray, crit: str, W: np.ndarray | None) -> np.ndarray:
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


def coordinate_exchange(rows_fn: ModelMatrix, factors, n_runs, crit, W, cons, bad, rng, grid, max_iter,
                         start=None, on_accept=None):
    """One coordinate-exchange run (grid search per coordinate) from a random feasible start.

    For every run ``i`` and factor ``j`` the candidate values (grid levels
    clipped to the coordinate's feasible interval plus its ends, or every
    level of a categorical factor) are turned into candidate model rows in one
    call, scored at once with :func:`exchange_gains` (no determinant or
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
                g = exchange_gains(Xc, X[i], V, crit, W)
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


def criterion_and_gradient(rows_fn: ModelMatrix, S: np.ndarray, cj: Sequence[int], crit: str,
                            W: np.ndarray | None) -> tuple[float, np.ndarray]:
    """Criterion of settings ``S`` and its gradient with respect to the continuous coordinates ``cj``.

    With ``M = X'X`` and ``V = M^-1``: d(-log|M|)/dX = -2 X V and
    d trace(W V)/dX = -2 X V W V; the chain rule through the model rows
    (:meth:`ModelMatrix.derivatives`) gives the gradient per coordinate
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

    The exact gradient (:func:`criterion_and_gradient`) replaces finite
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
        return criterion_and_gradient(rows_fn, unpack(z), cj, crit, W)

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
    rows_fn = ModelMatrix(terms, factors)
    p = len(rows_fn.columns)
    if runs is None:
        runs = p + 4
    runs = check_int(runs, "runs", 1)
    if runs < p:
        raise InputError(f"runs: the model has {p} coefficients but only {runs} runs were requested; need runs >= {p}")
    crit = str(criterion).upper()
    if crit not in ("D", "I"):
        raise InputError(f"criterion: expected 'D' or 'I', got {criterion!r}")
    n_starts = check_int(n_starts, "n_starts", 1)
    grid = check_int(grid, "grid", 2)
    max_iter = check_int(max_iter, "max_iter", 1)
    seed = check_seed(seed)
    if seed is None:
        seed = int(np.random.SeedSequence().generate_state(1)[0])
    cons = parse_constraints(constraints, factors)
    bad = disallowed_check(disallowed, factors)
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
        S, val = coordinate_exchange(rows_fn, factors, runs, crit, W, cons, bad, rng, levels, max_iter)
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
    d = assemble(f"{crit}-optimal {runs} runs", factors, rows_to_frame(index_to_coded(S, factors), factors), None,
                  ["optimal"] * runs, None, details=info)
    return replace(d, seed=seed)
