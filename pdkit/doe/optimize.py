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
from scipy import ndimage, optimize, special

from pdkit.errors import InputError
from pdkit.doe.analysis import DoEFit
from pdkit.results import ResultMixin

__all__ = [
    "as_fits",
    "Goal",
    "Desirability",
    "desirability",
    "maximize_desirability",
    "Optimum",
    "design_space",
    "robust_set_point",
    "SetPoint",
    "maximize_probability",
    "RobustOptimum",
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


def as_fits(fits: Any) -> dict[str, DoEFit]:
    """``fits`` (one DoEFit, a list of them or a dict response -> DoEFit) as a dict, checked.

    Examples
    --------
    >>> as_fits([])
    Traceback (most recent call last):
    ...
    pdkit.errors.InputError: fits: at least one fitted response is needed
    """
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
        pred = {r: self.fits[r].model_rows(settings, n) @ self.fits[r].params.to_numpy() for r in self.goals}
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
    f = as_fits(fits)
    g = _as_goals(goals, f)
    return Desirability(fits={r: f[r] for r in g}, goals=g)


@dataclass(frozen=True)
class Optimum(ResultMixin):
    """Result of :func:`maximize_desirability`.

    ``settings`` (actual units), ``predicted`` (responses), ``desirabilities``
    (individual), ``overall`` (D) and ``candidates``: the distinct local optima found,
    best first.  ``converged``: the polished optimum passed the convergence check (no
    coordinate step of 1e-3 or 1e-5 coded units improves D by more than 1e-10, and at
    least two independent starts reached it within 1e-6 in D); ``convergence`` gives the
    numbers (``starts``, ``starts_at_optimum``, ``polish_iterations``, ``plateau`` - True
    when D is flat near the optimum and the point of the flat region nearest the centre
    of the box was reported - and ``message``).
    """

    settings: dict
    predicted: dict
    desirabilities: dict
    overall: float
    candidates: pd.DataFrame = field(repr=False)
    converged: bool = True
    convergence: dict = field(default_factory=dict, repr=False)


class _Compiled:
    """Predictions of several fits as a fast function of unit-cube settings ``U`` (n x k).

    The optimised continuous factors are ``lo + (hi - lo) u``; every coded base column is
    affine in one ``u`` (or constant), and every model column is a product of base columns,
    evaluated by the fit's compiled :class:`pdkit.doe.model.ModelMatrix` (``from_base``).
    """

    def __init__(self, fits: Mapping[str, DoEFit], opt_f: Sequence[str], lo: np.ndarray, hi: np.ndarray,
                 extra: Mapping[str, Any]) -> None:
        k = len(opt_f)
        self.k = k
        self.parts = []
        s0 = {**extra, **{n: lo[i] for i, n in enumerate(opt_f)}}
        s1 = {**extra, **{n: hi[i] for i, n in enumerate(opt_f)}}
        for r, f in fits.items():
            try:
                mm, order = f.model_matrix_builder
            except ValueError:  # a fitted column the model terms do not give: the caller's general path
                raise KeyError(r) from None
            B0 = mm.actual_base(s0, 1)[:, :-1]
            B1 = mm.actual_base(s1, 1)[:, :-1]
            colmap = np.array([opt_f.index(nm) if nm in opt_f else k for nm in mm.base_names], dtype=int)
            self.parts.append((r, B0[0], (B1 - B0)[0], colmap, (mm, order), f.params.to_numpy(dtype=float)))

    def matrices(self, U: np.ndarray) -> dict[str, np.ndarray]:
        U = np.atleast_2d(U)
        Ue = np.column_stack([U, np.zeros(len(U))])
        out = {}
        for r, b0, db, colmap, (mm, order), _ in self.parts:
            B = b0 + db * Ue[:, colmap]
            X = mm.from_base(np.column_stack([B, np.ones(len(U))]))
            out[r] = X if order is None else X[:, order]
        return out

    def predict(self, U: np.ndarray) -> dict[str, np.ndarray]:
        mats = self.matrices(U)
        return {r: mats[r] @ p for r, _, _, _, _, p in self.parts}


def _local_max(fun, u0: np.ndarray, xtol: float, ftol: float, maxfev: int):
    k = len(u0)
    return optimize.minimize(lambda u: -fun(np.clip(u, 0, 1)), u0, method="Powell", bounds=[(0, 1)] * k,
                             options={"xtol": xtol, "ftol": ftol, "maxfev": maxfev})


def _local_max_smooth(fun, u0: np.ndarray, ftol: float):
    """SLSQP on a smooth objective with a batched central-difference gradient (one call of ``fun``)."""
    k = len(u0)
    h = 1e-6

    def f_and_g(u: np.ndarray):
        u = np.clip(u, 0, 1)
        lo_ = np.maximum(u - h, 0.0)
        hi_ = np.minimum(u + h, 1.0)
        pts = np.vstack([u[None, :], np.repeat(u[None, :], 2 * k, axis=0)])
        for i in range(k):
            pts[1 + i, i] = hi_[i]
            pts[1 + k + i, i] = lo_[i]
        v = fun(pts)
        g = (v[1:k + 1] - v[k + 1:]) / (hi_ - lo_)
        return -float(v[0]), -g

    res = optimize.minimize(f_and_g, u0, jac=True, method="SLSQP", bounds=[(0, 1)] * k,
                            options={"ftol": ftol, "maxiter": 500})
    return res


def _coordinate_check(fun, u: np.ndarray, best: float) -> bool:
    """No axis step of 1e-3 or 1e-5 (unit cube, i.e. 2e-3 / 2e-5 coded) improves the value by > 1e-10."""
    trial = []
    for h in (5e-4, 5e-6):
        for i in range(len(u)):
            for sgn in (-1.0, 1.0):
                v = u.copy()
                v[i] = min(1.0, max(0.0, v[i] + sgn * h))
                trial.append(v)
    return bool(np.max(fun(np.array(trial))) <= best + 1e-10)


def _centre_tie_break(evaluate, u_best: np.ndarray, v_best: float) -> tuple[np.ndarray, float] | None:
    """Among unit-box points whose value is within 1e-12 of the best ``v_best``, the one nearest
    the box centre (SLSQP); None when it is no nearer than ``u_best`` or loses value."""
    cons = [{"type": "ineq", "fun": lambda u: float(evaluate(np.clip(u, 0, 1))[0]) - (v_best - 1e-12)}]
    res = optimize.minimize(lambda u: float(np.sum((2 * u - 1) ** 2)), u_best, method="SLSQP",
                            bounds=[(0, 1)] * len(u_best), constraints=cons,
                            options={"ftol": 1e-14, "maxiter": 500})
    u = np.clip(res.x, 0, 1)
    val = float(evaluate(u)[0])
    if val >= v_best - 1e-11 and np.sum((2 * u - 1) ** 2) <= np.sum((2 * u_best - 1) ** 2) + 1e-12:
        return u, val
    return None


def _multistart(fun, k: int, rng: np.random.Generator, n_starts: int, n_random: int,
                centre_tie_break: Any = None, smooth_polish: Any = None, n_polish: int = 5,
                smooth: bool = False):
    """Seeded screening, local Powell searches from the best distinct points, polish and checks.

    ``fun(U) -> values`` (vectorised, maximised).  The local optima are grouped (1e-2 apart in
    the unit cube); the best ``n_polish`` groups are polished (tight Powell, then
    ``smooth_polish(u) -> (u, value) | None``, e.g. SQP on a smooth reformulation) and a start
    counts as reaching the optimum when its group's polished value is within 1e-6 of the best.
    Returns the best point, its value, the local optima, a convergence summary and the
    convergence flag.  ``smooth=True`` (a differentiable objective) uses L-BFGS-B with a batched
    finite-difference gradient (SLSQP) instead of Powell.
    """
    grid_pts = np.array(list(itertools.product((0.1, 0.5, 0.9), repeat=k))) if k <= 6 else np.empty((0, k))
    U = np.vstack([np.full(k, 0.5), grid_pts, rng.random((n_random, k))])
    vals = fun(U)
    order = np.argsort(-vals, kind="mergesort")
    starts: list[np.ndarray] = []
    for i in order:  # distinct starts: at least 0.1 apart (unit cube)
        if all(np.max(np.abs(U[i] - s)) > 0.1 for s in starts):
            starts.append(U[i])
        if len(starts) >= n_starts:
            break
    locals_: list[tuple[np.ndarray, float]] = []
    for u0 in starts:
        if smooth:
            res = _local_max_smooth(fun, u0, ftol=1e-12)
        else:
            res = _local_max(lambda u: float(fun(u)[0]), u0, xtol=1e-4, ftol=1e-9, maxfev=300 * k)
        locals_.append((np.clip(res.x, 0, 1), -float(res.fun)))
    # group the local optima; a group is represented by its best member
    groups: list[list[int]] = []
    for i in np.argsort([-v for _, v in locals_], kind="mergesort"):
        for g in groups:
            if np.max(np.abs(locals_[i][0] - locals_[g[0]][0])) < 1e-2:
                g.append(int(i))
                break
        else:
            groups.append([int(i)])
    polished: list[tuple[np.ndarray, float, int]] = []  # (point, value, group)
    iters = 0
    for gi, g in enumerate(groups[:max(1, n_polish)]):
        u = locals_[g[0]][0]
        if smooth:
            res = _local_max_smooth(fun, u, ftol=1e-15)
        elif smooth_polish is None:
            res = _local_max(lambda v: float(fun(v)[0]), u, xtol=1e-10, ftol=1e-15, maxfev=1000 * k)
        else:  # the SQP step below does the fine work
            res = _local_max(lambda v: float(fun(v)[0]), u, xtol=1e-6, ftol=1e-13, maxfev=300 * k)
        iters += int(res.nit)
        u, v = np.clip(res.x, 0, 1), float(fun(np.clip(res.x, 0, 1))[0])
        if smooth_polish is not None:
            sp = smooth_polish(u)
            if sp is not None and sp[1] > v:
                u, v = sp
        polished.append((u, v, gi))
    polished.sort(key=lambda t: -t[1])
    best_u, best_v, _ = polished[0]
    good_groups = {gi for u, v, gi in polished if v >= best_v - 1e-6}
    at_best = sum(len(groups[gi]) for gi in good_groups)
    spread = max(float(np.max(np.abs(u - best_u))) for u, v, gi in polished if gi in good_groups)
    plateau = False
    message = "polished optimum"
    # a flat optimum: optima far apart with the same value, every goal met, or a step towards the centre
    # along an axis that costs nothing
    probes = []
    for i in range(k):
        if abs(best_u[i] - 0.5) > 1e-3:
            v = best_u.copy()
            v[i] -= np.sign(best_u[i] - 0.5) * 1e-3
            probes.append(v)
    flat = spread > 1e-3 or best_v >= 1 - 1e-12 or (bool(probes) and np.max(fun(np.array(probes))) >= best_v - 1e-12)
    if centre_tie_break is not None and flat:
        # a flat optimum (the same value over a region) is made unique: the point of the region
        # {value >= best - 1e-12} nearest the centre of the box
        tb = centre_tie_break(best_u, best_v)
        if tb is not None and float(np.max(np.abs(tb[0] - best_u))) > 1e-4:
            best_u, best_v = tb
            plateau = True
            message = "flat optimum: the point of the optimal region nearest the centre of the box is reported"
        elif tb is None and spread > 1e-3:
            message = "flat optimum; the tie-break toward the centre did not converge"
    check = _coordinate_check(fun, best_u, best_v)
    converged = bool(check and (at_best >= 2 or len(starts) == 1))
    if not check:
        message += "; a coordinate step still improves the value"
    elif not converged:
        message += "; only one start reached the optimum (increase n_starts to confirm)"
    info = {"starts": len(starts), "starts_at_optimum": int(at_best), "polish_iterations": iters,
            "plateau": plateau, "message": message}
    return best_u, best_v, locals_ + [(u, v) for u, v, _ in polished], info, converged


def _smooth_desirability_polish(comp: "_Compiled", goals: Mapping[str, Goal], evaluate, k: int):
    """SQP polish of D on a smooth reformulation (variables u and one t_r per response).

    Maximise ``sum_r imp_r log t_r`` subject to ``t_r ** (1/e) <= ramp_r(y_r(u))`` for each ramp
    of goal r (two for a target), ``t_r <= 1``: the kinks of D (a target met exactly, a ramp
    saturating at 1, the minimum over ramps) become smooth constraints, which Powell's
    coordinate line searches cannot follow along a ridge.
    """
    names = list(goals)
    imp = np.array([goals[r].importance for r in names], dtype=float)
    ramps = []  # (response index, exponent, sign, anchor, span)
    for j, r in enumerate(names):
        g = goals[r]
        lo, hi = float(g.low), float(g.high)
        if g.goal == "maximize":
            ramps.append((j, g.weight, 1.0, lo, hi - lo))
        elif g.goal == "minimize":
            ramps.append((j, g.weight, -1.0, hi, hi - lo))
        else:
            tg = float(g.target)
            ramps.append((j, g.s, 1.0, lo, tg - lo))
            ramps.append((j, g.t, -1.0, hi, hi - tg))

    def cons(z: np.ndarray) -> np.ndarray:
        u, t = np.clip(z[:k], 0, 1), z[k:]
        y = comp.predict(u[None, :])
        return np.array([sgn * (y[names[j]][0] - anchor) / span - max(t[j], 1e-300) ** (1.0 / e)
                         for j, e, sgn, anchor, span in ramps])

    def polish(u0: np.ndarray):
        d0 = np.array([goals[r].d(comp.predict(u0[None, :])[r])[0] for r in names], dtype=float)
        if np.any(d0 <= 0):
            return None
        z0 = np.concatenate([u0, np.clip(d0, 1e-9, 1.0)])
        res = optimize.minimize(lambda z: -float(imp @ np.log(np.maximum(z[k:], 1e-300))) / imp.sum(), z0,
                                method="SLSQP", bounds=[(0, 1)] * k + [(1e-9, 1.0)] * len(names),
                                constraints=[{"type": "ineq", "fun": cons}],
                                options={"ftol": 1e-14, "maxiter": 300})
        u = np.clip(res.x[:k], 0, 1)
        return u, float(evaluate(u[None, :])[0])

    return polish


def _search_space(fits: Mapping[str, DoEFit], factors: Sequence[str] | None, hold: Mapping[str, Any] | None,
                  n_starts: Any, n_random: Any) -> tuple[list[str], dict[str, Any], dict[str, list], np.ndarray,
                                                         np.ndarray]:
    """What an optimiser searches: the continuous factors it moves (default: all), the settings held
    (``hold``, else the centre of the range), the categorical levels to try, and the box ``lo``, ``hi``.
    Validates ``factors``, ``hold``, ``n_starts`` and ``n_random`` with one message each."""
    table = _factor_table(fits)
    cont_all = [n for n, f in table.items() if f.is_continuous]
    opt_f = list(factors) if factors is not None else cont_all
    for n in opt_f:
        if n not in table:
            raise InputError(f"factors: '{n}' is not a factor of the fits (factors: {', '.join(table)})")
        if not table[n].is_continuous:
            raise InputError(f"factors: '{n}' is categorical; give it in hold= or leave it out to try every level")
    if not opt_f:
        raise InputError("factors: no continuous factor to optimise")
    for name, v in (("n_starts", n_starts), ("n_random", n_random)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
            raise InputError(f"parameter '{name}': expected an integer >= 1, got {v!r}")
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
            a, b = _box(fits, n)
            fixed[n] = (a + b) / 2
        else:
            cat_choices[n] = list(f.levels)
    bounds = np.array([_box(fits, n) for n in opt_f])
    return opt_f, fixed, cat_choices, bounds[:, 0], bounds[:, 1]


def maximize_desirability(fits: DoEFit | Sequence[DoEFit] | Mapping[str, DoEFit],
                          goals: Mapping[str, Any] | Sequence[Goal],
                          factors: Sequence[str] | None = None,
                          seed: int = 0,
                          hold: Mapping[str, Any] | None = None,
                          n_starts: int = 20,
                          n_random: int = 2000) -> Optimum:
    """Maximise the overall desirability inside the factor box (multi-start, polished, seeded).

    The search is (1) a screening of the box centre, a 3-level grid (up to 6 factors) and
    ``n_random`` seeded random points, (2) bounded Powell searches from the best
    ``n_starts`` distinct points, (3) a polish of the best five distinct local optima: Powell,
    then SQP (SLSQP) on a smooth reformulation of D (one variable per desirability and one
    constraint per ramp), which converges on the ridges where a target is met exactly or a
    ramp saturates, and (4) a coordinate check.  When D is flat at the optimum (optima far apart
    with the same D, every goal fully met, or an axis step towards the centre that costs
    nothing), the point of the optimal region nearest the centre of the box is reported
    (SLSQP), so the result does not depend on ``seed``.  Categorical factors not held are
    tried at every level.

    Parameters
    ----------
    fits, goals
        As for :func:`desirability`.
    factors : list of str, optional
        Continuous factors to optimise (default all continuous factors).  They are
        searched within their declared [low, high] (intersection across fits).
    seed : int
        Seed of the random screening points.
    hold : dict, optional
        Values for the other factors (default: centre of continuous factors; every level
        of categorical factors is tried).
    n_starts, n_random : int
        Local searches and random screening points.

    Returns
    -------
    Optimum
        With ``converged`` and ``convergence`` (see :class:`Optimum`).

    Examples
    --------
    >>> import pandas as pd
    >>> from pdkit.doe.analysis import fit
    >>> d = pd.DataFrame({"x": [-1, -1, 0, 0, 1, 1], "y": [1.0, 1.1, 2.0, 2.1, 1.0, 1.1]})
    >>> opt = maximize_desirability(fit(d, "y", "quadratic"), {"y": ("maximize", 1.0, 2.05)}, seed=1)
    >>> round(abs(opt.settings["x"]), 2), round(opt.overall, 2), opt.converged
    (0.0, 1.0, True)
    """
    D = desirability(fits, goals)
    opt_f, fixed, cat_choices, lo, hi = _search_space(D.fits, factors, hold, n_starts, n_random)
    table = _factor_table(D.fits)
    combos = list(itertools.product(*cat_choices.values())) if cat_choices else [()]
    rows = []
    results = []
    for ci, combo in enumerate(combos):
        extra = dict(fixed)
        extra.update(dict(zip(cat_choices, combo)))
        rng = np.random.default_rng([int(seed), ci])
        try:
            comp = _Compiled(D.fits, opt_f, lo, hi, extra)

            def evaluate(U: np.ndarray, comp=comp) -> np.ndarray:
                return D._overall_from(comp.predict(np.atleast_2d(U)))
        except KeyError:  # a model column the compiled path does not know: the general path
            comp = None

            def evaluate(U: np.ndarray, extra=extra) -> np.ndarray:
                U = np.atleast_2d(U)
                vals = lo + (hi - lo) * U
                settings = {name: vals[:, i] for i, name in enumerate(opt_f)}
                settings.update(extra)
                return D._overall_from({r: D.fits[r].model_rows(settings, len(U)) @ D.fits[r].params.to_numpy()
                                        for r in D.goals})

        def tie_break(u_best: np.ndarray, v_best: float, evaluate=evaluate) -> tuple[np.ndarray, float] | None:
            return _centre_tie_break(evaluate, u_best, v_best)

        smooth = _smooth_desirability_polish(comp, D.goals, evaluate, len(opt_f)) if comp is not None else None
        best_u, best_v, locs, info, conv = _multistart(evaluate, len(opt_f), rng, int(n_starts), int(n_random),
                                                       centre_tie_break=tie_break, smooth_polish=smooth)
        results.append((best_v, best_u, extra, info, conv))
        for u, v in locs:
            rows.append({**dict(zip(opt_f, lo + (hi - lo) * u)), **extra, "D": v})
    results.sort(key=lambda t: -t[0])
    best_v, best_u, extra, info, conv = results[0]
    cand = pd.DataFrame(rows).sort_values("D", ascending=False, kind="mergesort")
    cand = cand.round({n: 6 for n in opt_f}).drop_duplicates().reset_index(drop=True)
    best = pd.DataFrame([{**dict(zip(opt_f, lo + (hi - lo) * best_u)), **extra}])
    full = D(best)
    settings = {k: (float(v) + 0.0 if k in opt_f or table[k].is_continuous else v) for k, v in best.iloc[0].items()}
    return Optimum(
        settings=settings,
        predicted={r: float(full[r].iloc[0]) for r in D.goals},
        desirabilities={r: float(full[f"d_{r}"].iloc[0]) for r in D.goals},
        overall=float(full["D"].iloc[0]),
        candidates=cand,
        converged=conv,
        convergence=info,
    )


# --------------------------------------------------------------------------- design space
def _spec_limits(fits: Mapping[str, DoEFit], specs: Any) -> dict[str, tuple[float, float]]:
    """Checked ``specs`` (response -> (lower, upper), None for an open side) of fitted responses."""
    if not isinstance(specs, Mapping) or not specs:
        raise InputError("specs: expected a dict response -> (lower, upper)")
    lims = {}
    for r, s in specs.items():
        if r not in fits:
            raise InputError(f"specs: no fitted model for response '{r}' (fitted: {', '.join(fits)})")
        lims[r] = _spec_pair(r, s)
    return lims


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
    F = as_fits(fits)
    lims = _spec_limits(F, specs)
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
class SetPoint(ResultMixin):
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


# --------------------------------------------------------------------------- exact robust optimum
@dataclass(frozen=True)
class RobustOptimum(ResultMixin):
    """Result of :func:`maximize_probability`: ``settings`` (actual units, held factors
    included), ``probability`` (every specification met by a new run), ``per_response``
    (probability of each response within its limits), ``predicted`` (point predictions),
    ``converged``/``convergence`` (as in :class:`Optimum`) and ``candidates``."""

    settings: dict
    probability: float
    per_response: dict
    predicted: dict
    converged: bool
    convergence: dict = field(repr=False)
    candidates: pd.DataFrame = field(repr=False)


def maximize_probability(fits: DoEFit | Sequence[DoEFit] | Mapping[str, DoEFit],
                         specs: Mapping[str, tuple],
                         factors: Sequence[str] | None = None,
                         hold: Mapping[str, Any] | None = None,
                         seed: int = 0,
                         n_starts: int = 20,
                         n_random: int = 2000) -> RobustOptimum:
    """Robust set point: maximise the probability that a new run meets every specification.

    The probability is the one :func:`design_space` estimates by Monte Carlo, computed
    exactly: under the flat prior each response's posterior predictive distribution at
    ``x`` is Student t with the residual df, location ``x'b`` and scale
    ``s sqrt(1 + x'(X'X)^-1 x)``, and responses are independent, so
    ``P(x) = prod_r [T((U_r - m)/q) - T((L_r - m)/q)]``.  With no Monte Carlo noise the
    optimum is a smooth maximisation: the same multi-start search, polish and convergence
    check as :func:`maximize_desirability` (SLSQP local searches with finite-difference
    gradients, the objective being smooth), run on ``log(1 - P)`` (accurate when P is near 1),
    so the settings do not depend on ``seed`` (which only seeds the screening points).
    :func:`robust_set_point` remains the grid answer on a :func:`design_space` map.

    Parameters
    ----------
    fits : DoEFit, list or dict
    specs : dict response -> (lower, upper)
        ``None`` for an open side.
    factors : list of str, optional
        Continuous factors to optimise (default all); the others are held.
    hold : dict, optional
        Values for the other factors (default: centre; categorical factors: every level tried).
    seed, n_starts, n_random
        As for :func:`maximize_desirability`.

    Returns
    -------
    RobustOptimum

    Examples
    --------
    >>> import pandas as pd
    >>> from pdkit.doe.analysis import fit
    >>> d = pd.DataFrame({"a": [-1, 1, -1, 1, 0, 0], "b": [-1, -1, 1, 1, 0, 0],
    ...                   "y": [1.0, 3.1, 1.1, 2.9, 2.0, 2.1]})
    >>> r = maximize_probability(fit(d, "y"), {"y": (1.5, 2.5)})
    >>> r.converged, round(r.probability, 3)
    (True, 0.982)
    """
    F = as_fits(fits)
    lims = _spec_limits(F, specs)
    used = {r: F[r] for r in lims}
    for r, f in used.items():
        if f.df_resid < 1:
            raise InputError(f"maximize_probability: the fit of '{r}' has no residual degrees of freedom "
                             "(saturated); reduce the model first")
    opt_f, fixed, cat_choices, lo, hi = _search_space(used, factors, hold, n_starts, n_random)
    stats_r = {r: (f.params.to_numpy(dtype=float), f.xtx_inv, float(f.rmse), float(f.df_resid))
               for r, f in used.items()}

    def tails(comp: _Compiled, U: np.ndarray) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        mats = comp.matrices(np.atleast_2d(U))
        out = {}
        for r, X in mats.items():
            b, V, s, nu = stats_r[r]
            m = X @ b
            q = s * np.sqrt(1.0 + np.einsum("ij,jk,ik->i", X, V, X))
            L, Uu = lims[r]
            with np.errstate(divide="ignore"):  # a tail of exactly 0 is log 0 = -inf, handled by logaddexp
                log_lo = np.log(special.stdtr(nu, (L - m) / q)) if np.isfinite(L) else np.full(len(m), -np.inf)
                log_hi = np.log(special.stdtr(nu, (m - Uu) / q)) if np.isfinite(Uu) else np.full(len(m), -np.inf)
            out[r] = (np.logaddexp(log_lo, log_hi), m)
        return out

    def log_fail(comp: _Compiled, U: np.ndarray) -> np.ndarray:
        le = np.column_stack([t[0] for t in tails(comp, U).values()])  # log tail probability per response
        total = np.sum(np.log1p(-np.minimum(np.exp(le), 1.0)), axis=1)  # log P(pass)
        small = -total < 1e-10
        with np.errstate(divide="ignore"):
            top = np.max(le, axis=1)
            safe = np.where(np.isfinite(top), top, 0.0)
            lse = safe + np.log(np.sum(np.exp(le - safe[:, None]), axis=1))  # log sum of the tails
            lf = np.where(small, np.where(np.isfinite(top), lse, -np.inf),
                          np.log(-np.expm1(np.minimum(total, -1e-300))))
        return lf

    combos = list(itertools.product(*cat_choices.values())) if cat_choices else [()]
    results, rows = [], []
    for ci, combo in enumerate(combos):
        extra = {**fixed, **dict(zip(cat_choices, combo))}
        comp = _Compiled(used, opt_f, lo, hi, extra)
        rng = np.random.default_rng([int(seed), ci])

        def fun(U: np.ndarray, comp=comp) -> np.ndarray:
            return -log_fail(comp, U)

        def tie_break(u_best: np.ndarray, v_best: float, fun=fun) -> tuple[np.ndarray, float] | None:
            return _centre_tie_break(fun, u_best, v_best) if np.isfinite(v_best) else None

        best_u, best_v, locs, info, conv = _multistart(fun, len(opt_f), rng, int(n_starts), int(n_random),
                                                       centre_tie_break=tie_break, smooth=True)
        results.append((best_v, best_u, extra, info, conv, comp))
        for u, v in locs:
            rows.append({**dict(zip(opt_f, lo + (hi - lo) * u)), **extra, "probability": 1.0 - float(np.exp(-v))})
    results.sort(key=lambda t: -t[0])
    best_v, best_u, extra, info, conv, comp = results[0]
    tl = tails(comp, best_u)
    per = {r: float(1.0 - np.exp(t[0][0])) for r, t in tl.items()}
    settings = {**{n: float(v) + 0.0 for n, v in zip(opt_f, lo + (hi - lo) * best_u)}, **extra}
    cand = pd.DataFrame(rows).sort_values("probability", ascending=False, kind="mergesort")
    cand = cand.round({n: 6 for n in opt_f}).drop_duplicates().reset_index(drop=True)
    return RobustOptimum(settings=settings, probability=float(np.prod(list(per.values()))), per_response=per,
                         predicted={r: float(t[1][0]) for r, t in tl.items()}, converged=conv, convergence=info,
                         candidates=cand)
