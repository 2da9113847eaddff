"""Multi-response optimisation (desirability) and a probabilistic design space.

* :func:`desirability` builds Derringer & Suich (1980) desirability functions for
  several fitted responses; :func:`maximize_desirability` finds the settings that
  maximise the overall desirability by a seeded multi-start search inside the factor box.
* :func:`design_space` estimates, on a grid of two factors (others held fixed), the
  probability that a new run meets every specification, by Monte Carlo over parameter
  uncertainty and residual error (Peterson 2004, J Qual Technol 36:139, in its simplest
  non-informative-prior form); :func:`robust_set_point` picks the grid point with the
  highest probability.

Derringer & Suich (1980), J Qual Technol 12:214-219, individual desirabilities:

* maximise: ``d = 0`` below ``low``, ``((y - low)/(high - low))**weight`` between, ``1`` above ``high``;
* minimise: ``d = 1`` below ``low``, ``((high - y)/(high - low))**weight`` between, ``0`` above;
* target: ``((y - low)/(target - low))**s`` from ``low`` to ``target``,
  ``((high - y)/(high - target))**t`` from ``target`` to ``high``, ``0`` outside;

overall ``D = (prod d_i**r_i)**(1/sum r_i)`` with importances ``r_i`` (all 1: the geometric mean).
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd
import xarray as xr
from scipy import ndimage, optimize

from ..errors import InputError
from .analysis import DoEFit

__all__ = [
    "Goal",
    "Desirability",
    "desirability",
    "maximize_desirability",
    "Optimum",
    "design_space",
    "robust_set_point",
    "SetPoint",
]

_KINDS = ("maximize", "minimize", "target")


@dataclass(frozen=True)
class Goal:
    """Goal for one response (Derringer & Suich 1980).

    Parameters
    ----------
    response : str
    goal : {"maximize", "minimize", "target"}
    low, high : float
        Limits of the desirability ramp (``d`` is 0 or 1 beyond them).
    target : float, optional
        Required for ``"target"``; ``low < target < high``.
    weight : float
        Exponent ``r`` of a maximise/minimise ramp (1 linear, > 1 stricter).
    s, t : float
        Exponents of the lower and upper ramps of a target goal.
    importance : float
        Exponent of ``d`` in the overall desirability (relative importance).
    """

    response: str
    goal: str
    low: float
    high: float
    target: float | None = None
    weight: float = 1.0
    s: float = 1.0
    t: float = 1.0
    importance: float = 1.0

    def __post_init__(self) -> None:
        where = f"goal for '{self.response}'"
        if self.goal not in _KINDS:
            raise InputError(f"{where}: goal must be one of {', '.join(_KINDS)}, got {self.goal!r}")
        try:
            low, high = float(self.low), float(self.high)
        except (TypeError, ValueError):
            raise InputError(f"{where}: low and high must be numbers, got {self.low!r}, {self.high!r}") from None
        if not (np.isfinite(low) and np.isfinite(high) and low < high):
            raise InputError(f"{where}: expected low < high, got low={self.low!r}, high={self.high!r}")
        if self.goal == "target":
            if self.target is None or not low < float(self.target) < high:
                raise InputError(f"{where}: a target goal needs low < target < high, got target={self.target!r}")
        for name in ("weight", "s", "t", "importance"):
            v = getattr(self, name)
            if not (isinstance(v, (int, float)) and np.isfinite(v) and v > 0):
                raise InputError(f"{where}: {name} must be a positive number, got {v!r}")

    def d(self, y: Any) -> np.ndarray:
        """Individual desirability of predicted values ``y`` (array)."""
        y = np.asarray(y, dtype=float)
        lo, hi = float(self.low), float(self.high)
        if self.goal == "maximize":
            return np.clip((y - lo) / (hi - lo), 0.0, 1.0) ** self.weight
        if self.goal == "minimize":
            return np.clip((hi - y) / (hi - lo), 0.0, 1.0) ** self.weight
        tg = float(self.target)
        lower = np.clip((y - lo) / (tg - lo), 0.0, 1.0) ** self.s
        upper = np.clip((hi - y) / (hi - tg), 0.0, 1.0) ** self.t
        return np.where(y <= tg, lower, upper)


def _as_fits(fits: Any) -> dict[str, DoEFit]:
    """``fits`` (one DoEFit, a list of them or a dict response -> DoEFit) as a dict, checked."""
    if isinstance(fits, DoEFit):
        return {fits.response: fits}
    if isinstance(fits, Mapping):
        out = dict(fits)
    elif isinstance(fits, (list, tuple)):
        out = {}
        for f in fits:
            if not isinstance(f, DoEFit):
                raise InputError(f"fits: expected DoEFit objects (from pdkit.doe.fit), got {type(f).__name__}")
            if f.response in out:
                raise InputError(f"fits: response '{f.response}' appears twice")
            out[f.response] = f
    else:
        raise InputError(f"fits: expected a DoEFit or a dict response -> DoEFit, got {type(fits).__name__}")
    if not out:
        raise InputError("fits: at least one fitted response is needed")
    for k, f in out.items():
        if not isinstance(k, str):
            raise InputError(f"fits: response names must be strings, got {k!r}")
        if not isinstance(f, DoEFit):
            raise InputError(f"fits['{k}']: expected a DoEFit (from pdkit.doe.fit), got {type(f).__name__}")
    return out

def _as_goals(goals: Mapping[str, Any] | Sequence[Goal], fits: Mapping[str, DoEFit]) -> dict[str, Goal]:
    out: dict[str, Goal] = {}
    items = goals.items() if isinstance(goals, Mapping) else [(g.response, g) for g in goals]
    for name, g in items:
        if isinstance(g, Goal):
            out[name] = g
        elif isinstance(g, Mapping):
            spec = dict(g)
            kind = spec.pop("goal", spec.pop("kind", None))
            try:
                out[name] = Goal(response=name, goal=kind, **spec)
            except TypeError as exc:
                raise InputError(f"goal for '{name}': {exc}") from None
        elif isinstance(g, (tuple, list)) and len(g) >= 3:
            out[name] = Goal(name, g[0], *g[1:])
        else:
            raise InputError(f"goal for '{name}': expected a Goal, a dict or a tuple (goal, low, high, ...), got {g!r}")
    missing = [r for r in out if r not in fits]
    if missing:
        raise InputError(f"goals: no fitted model for response(s) {missing} (fitted: {', '.join(fits)})")
    if not out:
        raise InputError("goals: at least one goal is needed")
    return out


def _factor_table(fits: Mapping[str, DoEFit]):
    """Union of factors across fits; ranges intersected for continuous factors."""
    facs: dict[str, Any] = {}
    for f in fits.values():
        for fac in f.factors:
            if fac.name not in facs:
                facs[fac.name] = fac
            else:
                prev = facs[fac.name]
                if prev.is_continuous != fac.is_continuous:
                    raise InputError(f"factor '{fac.name}' is continuous in one fit and categorical in another")
    return facs


def _box(fits: Mapping[str, DoEFit], name: str) -> tuple[float, float]:
    lo, hi = -np.inf, np.inf
    for f in fits.values():
        if name in f.factor_names:
            fac = f.factor(name)
            lo, hi = max(lo, fac.low), min(hi, fac.high)
    if not lo < hi:
        raise InputError(f"factor '{name}': the fits' ranges do not overlap")
    return float(lo), float(hi)


@dataclass(frozen=True)
class Desirability:
    """Individual and overall desirability of several fitted responses.

    Call it with settings (DataFrame or dict, actual units) to get a DataFrame with the
    predicted responses, ``d_<response>`` and the overall ``D``.
    """

    fits: dict
    goals: dict

    @property
    def factors(self) -> list[str]:
        return list(_factor_table(self.fits))

    def predictions(self, settings: pd.DataFrame | Mapping[str, Any]) -> pd.DataFrame:
        """Predicted responses (point predictions) at ``settings``."""
        if isinstance(settings, Mapping):
            settings = pd.DataFrame({k: np.atleast_1d(v) for k, v in settings.items()})
        return pd.DataFrame({r: self.fits[r].predict_mean(settings) for r in self.goals}, index=settings.index)

    def individual(self, settings: pd.DataFrame | Mapping[str, Any]) -> pd.DataFrame:
        """Individual desirabilities ``d_<response>``."""
        pred = self.predictions(settings)
        return pd.DataFrame({f"d_{r}": g.d(pred[r].to_numpy()) for r, g in self.goals.items()}, index=pred.index)

    def overall(self, settings: pd.DataFrame | Mapping[str, Any]) -> np.ndarray:
        """Overall desirability ``D`` (importance-weighted geometric mean)."""
        return self._overall_from(self.predictions(settings))

    def _fast_overall(self, settings: Mapping[str, Any], n: int) -> np.ndarray:
        pred = {r: self.fits[r]._fast_matrix(settings, n) @ self.fits[r].params.to_numpy() for r in self.goals}
        return self._overall_from(pred)

    def _overall_from(self, pred: Mapping[str, Any]) -> np.ndarray:
        w = np.array([g.importance for g in self.goals.values()], dtype=float)
        d = np.column_stack([g.d(np.asarray(pred[r], dtype=float)) for r, g in self.goals.items()])
        with np.errstate(divide="ignore"):
            logd = np.where(d > 0, np.log(np.where(d > 0, d, 1.0)), -np.inf)
        return np.exp((logd * w).sum(axis=1) / w.sum())

    def __call__(self, settings: pd.DataFrame | Mapping[str, Any]) -> pd.DataFrame:
        pred = self.predictions(settings)
        out = pred.copy()
        for r, g in self.goals.items():
            out[f"d_{r}"] = g.d(pred[r].to_numpy())
        out["D"] = self._overall_from(pred)
        return out


def desirability(fits: DoEFit | Sequence[DoEFit] | Mapping[str, DoEFit],
                 goals: Mapping[str, Any] | Sequence[Goal]) -> Desirability:
    """Derringer-Suich desirability for fitted responses.

    Parameters
    ----------
    fits : DoEFit, list of DoEFit or dict response -> DoEFit
    goals : dict response -> Goal | dict | tuple, or list of Goal
        e.g. ``{"titer": {"goal": "maximize", "low": 1e13, "high": 5e13},
        "full": ("target", 40, 60, 50)}`` (tuple: goal, low, high[, target, weight, s, t, importance]).

    Returns
    -------
    Desirability

    Examples
    --------
    >>> import pandas as pd
    >>> from pdkit.doe.analysis import fit
    >>> d = pd.DataFrame({"x": [0.0, 10.0, 0.0, 10.0], "y": [1.0, 3.0, 1.2, 3.2]})
    >>> D = desirability(fit(d, "y"), {"y": {"goal": "maximize", "low": 1.0, "high": 3.0}})
    >>> round(float(D.overall({"x": [5.0]})[0]), 3)
    0.55
    """
    f = _as_fits(fits)
    g = _as_goals(goals, f)
    return Desirability(fits={r: f[r] for r in g}, goals=g)


@dataclass(frozen=True)
class Optimum:
    """Result of :func:`maximize_desirability`.

    ``settings`` (actual units), ``predicted`` (responses), ``desirabilities``
    (individual), ``overall`` (D) and ``candidates``: the distinct local optima found,
    best first.
    """

    settings: dict
    predicted: dict
    desirabilities: dict
    overall: float
    candidates: pd.DataFrame = field(repr=False)


def maximize_desirability(fits: DoEFit | Sequence[DoEFit] | Mapping[str, DoEFit],
                          goals: Mapping[str, Any] | Sequence[Goal],
                          factors: Sequence[str] | None = None,
                          seed: int = 0,
                          hold: Mapping[str, Any] | None = None,
                          n_starts: int = 20,
                          n_random: int = 2000) -> Optimum:
    """Maximise the overall desirability inside the factor box (multi-start, seeded).

    Parameters
    ----------
    fits, goals
        As for :func:`desirability`.
    factors : list of str, optional
        Continuous factors to optimise (default all continuous factors).  They are
        searched within their declared [low, high] (intersection across fits).
    seed : int
        Seed of the random starting points.
    hold : dict, optional
        Values for the other factors (default: centre of continuous factors; every level
        of categorical factors is tried).
    n_starts, n_random : int
        Local searches (bounded Powell) started from the best ``n_starts`` of ``n_random``
        random points plus the box centre.

    Returns
    -------
    Optimum

    Examples
    --------
    >>> import pandas as pd
    >>> from pdkit.doe.analysis import fit
    >>> d = pd.DataFrame({"x": [-1, -1, 0, 0, 1, 1], "y": [1.0, 1.1, 2.0, 2.1, 1.0, 1.1]})
    >>> opt = maximize_desirability(fit(d, "y", "quadratic"), {"y": ("maximize", 1.0, 2.05)}, seed=1)
    >>> round(abs(opt.settings["x"]), 2), round(opt.overall, 2)
    (0.0, 1.0)
    """
    D = desirability(fits, goals)
    table = _factor_table(D.fits)
    cont_all = [n for n, f in table.items() if f.is_continuous]
    opt_f = list(factors) if factors is not None else cont_all
    for n in opt_f:
        if n not in table:
            raise InputError(f"factors: '{n}' is not a factor of the fits (factors: {', '.join(table)})")
        if not table[n].is_continuous:
            raise InputError(f"factors: '{n}' is categorical; give it in hold= or leave it out to try every level")
    if not opt_f:
        raise InputError("factors: no continuous factor to optimise")
    hold = dict(hold or {})
    for k in hold:
        if k not in table:
            raise InputError(f"hold: '{k}' is not a factor of the fits (factors: {', '.join(table)})")
    fixed: dict[str, Any] = {}
    cat_choices: dict[str, list] = {}
    for n, f in table.items():
        if n in opt_f:
            continue
        if n in hold:
            fixed[n] = hold[n]
        elif f.is_continuous:
            lo, hi = _box(D.fits, n)
            fixed[n] = (lo + hi) / 2
        else:
            cat_choices[n] = list(f.levels)
    bounds = np.array([_box(D.fits, n) for n in opt_f])
    lo, hi = bounds[:, 0], bounds[:, 1]
    rng = np.random.default_rng(seed)
    combos = list(itertools.product(*cat_choices.values())) if cat_choices else [()]
    rows = []
    for combo in combos:
        extra = dict(fixed)
        extra.update(dict(zip(cat_choices, combo)))

        def evaluate(u: np.ndarray) -> np.ndarray:
            u = np.atleast_2d(u)
            vals = lo + (hi - lo) * u
            settings = {name: vals[:, i] for i, name in enumerate(opt_f)}
            settings.update(extra)
            return D._fast_overall(settings, len(u))

        U = rng.random((n_random, len(opt_f)))
        U = np.vstack([np.full(len(opt_f), 0.5), U])
        Dv = evaluate(U)
        starts = U[np.argsort(-Dv, kind="mergesort")[:n_starts]]

        def neg(u: np.ndarray) -> float:
            return -float(evaluate(np.clip(u, 0, 1))[0])

        for u0 in starts:
            res = optimize.minimize(neg, u0, method="Powell", bounds=[(0, 1)] * len(opt_f),
                                    options={"xtol": 1e-6, "ftol": 1e-10})
            u = np.clip(res.x, 0, 1)
            rows.append({**dict(zip(opt_f, lo + (hi - lo) * u)), **extra, "D": -float(res.fun)})
    cand = pd.DataFrame(rows).sort_values("D", ascending=False, kind="mergesort")
    cand = cand.round({n: 6 for n in opt_f}).drop_duplicates().reset_index(drop=True)
    best = cand.iloc[[0]].drop(columns="D").reset_index(drop=True)
    full = D(best)
    settings = {k: (float(v) if k in opt_f or table[k].is_continuous else v) for k, v in best.iloc[0].items()}
    return Optimum(
        settings=settings,
        predicted={r: float(full[r].iloc[0]) for r in D.goals},
        desirabilities={r: float(full[f"d_{r}"].iloc[0]) for r in D.goals},
        overall=float(full["D"].iloc[0]),
        candidates=cand,
    )


# --------------------------------------------------------------------------- design space
def _spec_pair(name: str, spec: Any) -> tuple[float, float]:
    if not isinstance(spec, (tuple, list)) or len(spec) != 2:
        raise InputError(f"specs['{name}']: expected (lower, upper) with None for an open side, got {spec!r}")
    lo = -np.inf if spec[0] is None else float(spec[0])
    hi = np.inf if spec[1] is None else float(spec[1])
    if np.isnan(lo) or np.isnan(hi) or not lo < hi or (np.isinf(lo) and np.isinf(hi)):
        raise InputError(f"specs['{name}']: expected lower < upper (at least one finite), got {spec!r}")
    return lo, hi


def design_space(fits: DoEFit | Sequence[DoEFit] | Mapping[str, DoEFit],
                 specs: Mapping[str, tuple],
                 n_draws: int = 2000,
                 seed: int = 0,
                 grid: int | Mapping[str, Sequence[float]] = 40,
                 x: str | None = None,
                 y: str | None = None,
                 hold: Mapping[str, Any] | None = None,
                 parameter_uncertainty: bool = True) -> xr.DataArray:
    """Probability that a new run meets every specification, on a grid of two factors.

    For each response with fit ``y = X b + e`` (residual df ``nu``, residual variance
    ``s^2``) and each draw: ``sigma^2 = nu s^2 / chi2(nu)``,
    ``b ~ N(b_hat, sigma^2 (X'X)^-1)`` (jointly a multivariate t: the posterior under a flat
    prior) and a new observation ``y_new = x b + sigma z``.  The probability at a grid
    point is the fraction of draws in which every response lies within its
    ``(lower, upper)``.  Responses are drawn independently.  With
    ``parameter_uncertainty=False`` only the residual error is drawn (``b = b_hat``,
    ``sigma = s``).

    Parameters
    ----------
    fits : DoEFit, list or dict
    specs : dict response -> (lower, upper)
        ``None`` for an open side.
    n_draws : int
    seed : int
    grid : int or dict
        Points per axis over each factor's declared range, or explicit values per factor.
    x, y : str, optional
        The two continuous factors spanning the grid (default the first two).
    hold : dict, optional
        Values of the other factors (default: centre / first level).
    parameter_uncertainty : bool

    Returns
    -------
    xarray.DataArray
        ``probability`` with dims ``(y, x)`` (named after the factors) and coordinates in
        actual units; ``attrs`` hold ``specs``, ``hold``, ``n_draws``, ``seed``.

    Examples
    --------
    >>> import pandas as pd
    >>> from pdkit.doe.analysis import fit
    >>> d = pd.DataFrame({"a": [-1, 1, -1, 1, 0, 0], "b": [-1, -1, 1, 1, 0, 0],
    ...                   "y": [1.0, 3.1, 1.1, 2.9, 2.0, 2.1]})
    >>> p = design_space(fit(d, "y"), {"y": (1.5, None)}, n_draws=500, grid=5, seed=1)
    >>> p.dims, p.shape
    (('b', 'a'), (5, 5))
    """
    F = _as_fits(fits)
    if not isinstance(specs, Mapping) or not specs:
        raise InputError("specs: expected a dict response -> (lower, upper)")
    lims = {}
    for r, s in specs.items():
        if r not in F:
            raise InputError(f"specs: no fitted model for response '{r}' (fitted: {', '.join(F)})")
        lims[r] = _spec_pair(r, s)
    if not (isinstance(n_draws, (int, np.integer)) and n_draws >= 10):
        raise InputError(f"n_draws must be an integer >= 10, got {n_draws!r}")
    used = {r: F[r] for r in lims}
    table = _factor_table(used)
    cont = [n for n, f in table.items() if f.is_continuous]
    if x is None or y is None:
        free = [n for n in cont if n not in (x, y)]
        if x is None:
            x = free.pop(0) if free else None
        if y is None:
            y = free.pop(0) if free else None
    for nm, v in (("x", x), ("y", y)):
        if v is None or v not in table or not table[v].is_continuous:
            raise InputError(f"design_space: {nm} must name a continuous factor (continuous factors: "
                             f"{', '.join(cont) or 'none'}), got {v!r}")
    if x == y:
        raise InputError(f"design_space: x and y must differ, both are '{x}'")
    hold = dict(hold or {})
    for k in hold:
        if k not in table:
            raise InputError(f"hold: '{k}' is not a factor of the fits (factors: {', '.join(table)})")
        if k in (x, y):
            raise InputError(f"hold: '{k}' spans the grid; it cannot also be held")
    fixed = {}
    for n, f in table.items():
        if n in (x, y):
            continue
        if n in hold:
            fixed[n] = hold[n]
        elif f.is_continuous:
            lo_, hi_ = _box(used, n)
            fixed[n] = (lo_ + hi_) / 2
        else:
            fixed[n] = f.levels[0]

    def axis(name: str) -> np.ndarray:
        if isinstance(grid, Mapping) and name in grid:
            v = np.asarray(grid[name], dtype=float)
            if v.ndim != 1 or v.size < 1 or not np.isfinite(v).all():
                raise InputError(f"grid['{name}']: expected a list of finite values")
            return v
        k = grid if isinstance(grid, (int, np.integer)) else 40
        if k < 2:
            raise InputError(f"grid: expected at least 2 points per axis, got {k}")
        lo_, hi_ = _box(used, name)
        return np.linspace(lo_, hi_, int(k))

    gx, gy = axis(x), axis(y)
    XX, YY = np.meshgrid(gx, gy)
    pts = pd.DataFrame({x: XX.ravel(), y: YY.ravel()})
    for k, v in fixed.items():
        pts[k] = v
    rng = np.random.default_rng(seed)
    ok = np.ones((n_draws, len(pts)), dtype=bool)
    for r, (lo, hi) in lims.items():
        f = used[r]
        if f.df_resid < 1:
            raise InputError(f"design_space: the fit of '{r}' has no residual degrees of freedom (saturated); "
                             "reduce the model first")
        Xg = f._design_rows(pts, what="design-space grid").to_numpy()
        b = f.params.to_numpy()
        nu = f.df_resid
        s2 = f.rmse**2
        if parameter_uncertainty:
            sig2 = nu * s2 / rng.chisquare(nu, size=n_draws)
            L = np.linalg.cholesky(f.xtx_inv)  # (X'X)^-1 of the model terms, blocks accounted for
            z = rng.standard_normal((n_draws, len(b)))
            B = b + (z @ L.T) * np.sqrt(sig2)[:, None]
            mean = B @ Xg.T
        else:
            sig2 = np.full(n_draws, s2)
            mean = np.broadcast_to(Xg @ b, (n_draws, len(pts)))
        ynew = mean + rng.standard_normal((n_draws, len(pts))) * np.sqrt(sig2)[:, None]
        ok &= (ynew >= lo) & (ynew <= hi)
    prob = ok.mean(axis=0).reshape(len(gy), len(gx))
    return xr.DataArray(
        prob, dims=(y, x), coords={y: gy, x: gx}, name="probability",
        attrs={"specs": {r: (None if np.isinf(a) else a, None if np.isinf(b) else b) for r, (a, b) in lims.items()},
               "hold": fixed, "n_draws": int(n_draws), "seed": int(seed),
               "parameter_uncertainty": bool(parameter_uncertainty)},
    )


@dataclass(frozen=True)
class SetPoint:
    """Result of :func:`robust_set_point`: ``settings`` (actual units, held factors
    included), ``probability`` and ``edge_distance`` (coded units, i.e. fractions of the
    half-range, to the nearest grid point outside the best plateau)."""

    settings: dict
    probability: float
    edge_distance: float


def robust_set_point(space: xr.DataArray, tolerance: float = 0.0) -> SetPoint:
    """The grid point of :func:`design_space` with the highest probability.

    Ties (probabilities within ``tolerance`` of the maximum; with Monte Carlo noise a
    tolerance of about ``2 * sqrt(p (1 - p) / n_draws)`` is sensible) are broken by the
    largest distance to the edge of the tied region, measured in coded units (each axis
    scaled by half its range), so the set point sits in the middle of a plateau.

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> p = xr.DataArray(np.array([[0.5, 0.9, 0.9, 0.9, 0.5]] * 3), dims=("b", "a"),
    ...                  coords={"b": [0, 1, 2], "a": [0, 1, 2, 3, 4]})
    >>> robust_set_point(p).settings
    {'a': 2.0, 'b': 1.0}
    """
    if not isinstance(space, xr.DataArray) or space.ndim != 2:
        raise InputError("robust_set_point: expected the 2-D DataArray returned by design_space")
    if not 0 <= tolerance < 1:
        raise InputError(f"robust_set_point: tolerance must be in [0, 1), got {tolerance}")
    P = space.to_numpy()
    if not np.isfinite(P).all():
        raise InputError("robust_set_point: the probability grid contains missing values")
    ydim, xdim = space.dims
    gy, gx = space[ydim].to_numpy().astype(float), space[xdim].to_numpy().astype(float)
    pmax = float(P.max())
    tied = P >= pmax - tolerance - 1e-12
    # distance to the nearest non-tied point, in coded units (half-range = 1)
    sy = 2 * (np.diff(gy).mean() / np.ptp(gy)) if len(gy) > 1 else 1.0
    sx = 2 * (np.diff(gx).mean() / np.ptp(gx)) if len(gx) > 1 else 1.0
    padded = np.pad(tied, 1, constant_values=False)
    dist = ndimage.distance_transform_edt(padded, sampling=(abs(sy), abs(sx)))[1:-1, 1:-1]
    # secondary tie-break: closest to the centroid of the tied region
    ii, jj = np.nonzero(tied)
    cy, cx = ii.mean(), jj.mean()
    yy, xx = np.indices(P.shape)
    to_centre = np.hypot((yy - cy) * sy, (xx - cx) * sx)
    score = np.where(tied, np.round(dist, 9) - 1e-6 * to_centre, -np.inf)
    i, j = np.unravel_index(int(np.argmax(score)), P.shape)
    settings = {xdim: float(gx[j]), ydim: float(gy[i])}
    settings.update(space.attrs.get("hold", {}))
    return SetPoint(settings=settings, probability=float(P[i, j]), edge_distance=float(dist[i, j]))
