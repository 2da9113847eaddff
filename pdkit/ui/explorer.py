"""Interactive DoE explorer for JupyterLab: a prediction profiler, contour plot and design space.

:class:`Explorer` shows fitted response-surface models (:func:`pdkit.doe.fit`) the way
JMP's prediction profiler does:

* one slider per continuous factor (a dropdown of level names per categorical factor),
  each with a *lock* box;
* one profiler row per response: for each factor a small panel with the predicted
  response across that factor (the other factors at the slider settings), its
  confidence band and, on request, its prediction band and the design points; the
  current setting with its prediction and confidence interval in the row header;
* a desirability row when goals are given (individual ``d`` and overall ``D`` traces,
  Derringer & Suich 1980 via :func:`pdkit.doe.optimize.desirability`);
* a contour plot of a chosen response over any two continuous factors (others at the
  slider settings), with an optional design-space overlay (probability that every
  response meets its specification, :func:`pdkit.doe.optimize.design_space`, Monte Carlo,
  seeded, recomputed on demand);
* a "Maximize desirability" button (:func:`pdkit.doe.optimize.maximize_desirability`,
  locked factors held) that moves the sliders to the optimum, with a progress line;
* "Export settings", which writes the settings and predictions as CSV (also
  :meth:`Explorer.export_settings`).

The profiler panels are computed **in the browser** (:class:`pdkit.ui.profiler.Profiler`):
a slider step runs one JavaScript pass over every panel, with no kernel round trip, so
all panels move together.  Python keeps its own copy of every source up to date
(computed by :func:`pdkit.ui.profiler.evaluate_spec`, the reference of the JavaScript,
without sending it to the page), and computes the contour plot, the design space and
the optimum.  Predictions and bands equal :meth:`pdkit.doe.analysis.DoEFit.predict` with
``interval="confidence"`` / ``"prediction"``.

This is the UI module: it imports bokeh, ipywidgets and jupyter_bokeh (computational
modules never import it).  In a notebook, load BokehJS with its widgets first
(:func:`notebook_setup`).

Bokeh sources (``Explorer.sources``; each ``ColumnDataSource`` carries the same ``name``
so browser tests can find it):

``profile:<factor>``
    ``x`` (grid of that factor; level index 0..k-1 for a categorical factor) and per
    response ``pred:<r>``, ``lower:<r>``, ``upper:<r>`` (confidence), ``pi_lower:<r>``,
    ``pi_upper:<r>`` (prediction interval); with goals ``d:<r>`` and ``D``.
``current``
    one row at the current settings: ``x:<factor>`` (the setting; level index for a
    categorical factor), the same response columns as the profiles, and text labels
    ``label:<r>`` (prediction and confidence interval, shown in the row header on the left)
    and ``label:D``.
``points:<r>``
    the design runs of response ``r``: ``x:<factor>`` and ``y``.
``contour``
    ``image`` (list with one 2-D array, rows = y grid, columns = x grid), ``x``, ``y``,
    ``dw``, ``dh`` (pixel edges) of the predicted response.
``contour_point``
    ``x``, ``y``: the current setting of the two contour factors.
``design_space``
    as ``contour`` for the probability map (empty until computed).

Examples
--------
>>> import pandas as pd
>>> from pdkit.doe import fit
>>> d = pd.DataFrame({"a": [-1, 1, -1, 1, 0, 0, 0], "b": [-1, -1, 1, 1, 0, 0, 0],
...                   "y": [1.0, 3.0, 1.4, 3.4, 2.2, 2.2, 2.2]})
>>> ex = Explorer(fit(d, "y", "linear"), n_points=5)   # y = 2.2 + 1.0 a + 0.2 b
>>> ex.set(a=0.5)
>>> ex.state
{'a': 0.5, 'b': 0.0}
>>> [round(float(v), 3) for v in ex.sources["profile:b"].data["pred:y"]]
[2.5, 2.6, 2.7, 2.8, 2.9]
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numpy as np
from scipy import stats

from pdkit.doe.analysis import DoEFit
from pdkit.doe.factors import Factor
from pdkit.doe.optimize import Desirability, Optimum, design_space, desirability, maximize_desirability
from pdkit.errors import InputError
from pdkit.escape import html_text
from pdkit.ui.profiler import Profiler, as_fits, resolve_factors, shared_factors

__all__ = ["Explorer", "ProfileEngine", "notebook_setup"]


def notebook_setup() -> None:
    """Load BokehJS with its widgets inline into the notebook (no CDN) and set pandas' display
    options (:func:`pdkit.plots.table_display`): use it *instead of* :func:`pdkit.plots.setup`
    in a notebook with an explorer.

    The explorer's sliders, dropdowns and buttons are Bokeh widgets, whose JavaScript bundle
    :func:`pdkit.plots.setup` does not load; loading BokehJS a second time would leave the
    page with two copies of it, so call only one of the two.
    """
    from bokeh.io import output_notebook
    from bokeh.resources import Resources

    from pdkit.plots import table_display

    table_display()
    output_notebook(resources=Resources(mode="inline", components=["bokeh", "bokeh-widgets"]),
                    hide_banner=True)


# --------------------------------------------------------------------------- validation helpers
_shared_factors = shared_factors


# --------------------------------------------------------------------------- engine (numpy only)
@dataclass(frozen=True)
class _FitLayout:
    response: str
    beta: np.ndarray  # (p,)
    cov: np.ndarray | None  # (p, p) coefficient covariance, None without residual df
    t_quantile: float | None


class ProfileEngine:
    """Vectorised predictions and confidence limits for fits that share their factors.

    Each fit's model rows come from its compiled model-matrix builder
    (:attr:`pdkit.doe.DoEFit.model_rows`, the one implementation in :mod:`pdkit.doe.model`);
    coefficients, covariance and t quantile are taken once per fit.

    Parameters
    ----------
    fits : dict response -> DoEFit
        Fits on identical factors (checked by :class:`Explorer`).
    alpha : float
        ``1 - confidence`` of the confidence limits.

    Examples
    --------
    >>> import pandas as pd
    >>> from pdkit.doe import fit
    >>> d = pd.DataFrame({"a": [0.0, 0.0, 10.0, 10.0], "y": [1.0, 1.2, 3.0, 3.2]})
    >>> eng = ProfileEngine({"y": fit(d, "y")})
    >>> out = eng.evaluate({"a": np.array([5.0])})
    >>> round(float(out["y"][0][0]), 3)
    2.1
    """

    def __init__(self, fits: Mapping[str, DoEFit], alpha: float = 0.05) -> None:
        self.fits = dict(fits)
        first = next(iter(self.fits.values()))
        self.factors: list[Factor] = list(first.factors)
        self.layouts: dict[str, _FitLayout] = {}
        for r, fit in self.fits.items():
            beta = fit.params.to_numpy(dtype=float).copy()
            if fit.df_resid >= 1:
                cov = fit.cov_params  # model terms only (block effects excluded)
                tq = float(stats.t.ppf(1 - alpha / 2, fit.df_resid))
            else:
                cov, tq = None, None
            self.layouts[r] = _FitLayout(r, beta, cov, tq)

    def evaluate(self, settings: Mapping[str, Any], n: int | None = None, responses: Sequence[str] | None = None,
                 interval: bool = True) -> dict[str, tuple[np.ndarray, np.ndarray | None, np.ndarray | None]]:
        """Predictions (and confidence limits) at ``n`` settings given in actual units.

        Returns a dict response -> ``(prediction, lower, upper)``; the limits are None
        without ``interval`` or when the fit has no residual degrees of freedom.
        """
        if n is None:
            n = max(np.size(v) if not isinstance(v, str) else 1 for v in settings.values())
        out = {}
        for r in responses or self.layouts:
            lay = self.layouts[r]
            X = self.fits[r].model_rows(settings, n)  # the one model-matrix builder (pdkit.doe.model)
            pred = X @ lay.beta
            if interval and lay.cov is not None:
                half = lay.t_quantile * np.sqrt(np.maximum(np.einsum("ij,jk,ik->i", X, lay.cov, X), 0.0))
                out[r] = (pred, pred - half, pred + half)
            else:
                out[r] = (pred, None, None)
        return out


# --------------------------------------------------------------------------- explorer
def _fmt(v: float) -> str:
    if v is None or not np.isfinite(v):
        return "n/a"
    return f"{v:.4g}"


class Explorer:
    """Interactive prediction profiler, contour plot and design space for fitted DoE models.

    Parameters
    ----------
    fits : DoEFit or dict response -> DoEFit
        Fits (from :func:`pdkit.doe.fit`) on the same factors, coded identically.
    goals : dict response -> Goal | dict | tuple, optional
        Desirability goals (as for :func:`pdkit.doe.optimize.desirability`); adds the
        desirability row and enables :meth:`maximize`.
    specs : dict response -> (lower, upper), optional
        Specifications for the design-space overlay (``None`` for an open side).
    factors : list of str or Factor, optional
        Factors that get a slider and a profiler column, in this order (default all
        factors).  A ``Factor`` with the name of a fitted factor sets that slider's range.
        Factors left out are held at their centre (first level).
    n_points : int
        Points per profiler trace and per contour axis (2..500).
    seed : int
        Seed of the desirability search and of the design-space Monte Carlo.
    alpha : float
        ``1 - confidence`` of the bands (confidence and prediction intervals).
    n_draws : int
        Monte Carlo draws of the design space.
    probability : float
        Probability drawn as the design-space boundary.
    units : dict response -> str, optional
        Units of the responses, shown in the row labels and the export.
    show : sequence of str
        Profiler toggles on at the start (:data:`pdkit.ui.profiler.BAND_OPTIONS`).

    Attributes
    ----------
    widget : ipywidgets.VBox
        The top-level widget to display.
    profiler : pdkit.ui.profiler.Profiler
        The browser-side profiler (its ``layout`` is :attr:`profiler_layout`).
    sources : dict name -> ColumnDataSource
        See the module docstring for the names and columns.
    sliders : dict factor -> bokeh Slider or Select
    locks : dict factor -> bokeh Checkbox
        Locked factors keep their setting in :meth:`maximize`.

    Examples
    --------
    >>> import pandas as pd
    >>> from pdkit.doe import fit
    >>> d = pd.DataFrame({"a": [-1, 1, -1, 1, 0, 0], "b": [-1, -1, 1, 1, 0, 0],
    ...                   "y": [1.0, 3.1, 1.2, 2.9, 2.2, 2.0]})
    >>> ex = Explorer({"y": fit(d, "y")}, goals={"y": ("maximize", 1.0, 3.0)}, n_points=11)
    >>> opt = ex.maximize()
    >>> ex.state["a"] == opt.settings["a"]
    True
    >>> ex.set(a=0.5)
    >>> ex.lock(a=True)                      # Maximize keeps a = 0.5 now
    >>> print(ex.export_settings().splitlines()[1])
    setting,a,0.5,,,,,,yes
    """

    def __init__(self, fits: DoEFit | Mapping[str, DoEFit], goals: Mapping[str, Any] | Sequence | None = None,
                 specs: Mapping[str, tuple] | None = None, factors: Sequence[str | Factor] | None = None,
                 n_points: int = 50, seed: int = 0, *, alpha: float = 0.05, n_draws: int = 1000,
                 probability: float = 0.9, units: Mapping[str, str] | None = None,
                 show: Sequence[str] = ("confidence band",)) -> None:
        self.fits = as_fits(fits)
        self.responses = list(self.fits)
        all_factors = _shared_factors(self.fits)
        self._fmap = {f.name: f for f in all_factors}
        if not (isinstance(n_points, (int, np.integer)) and not isinstance(n_points, bool) and 2 <= n_points <= 500):
            raise InputError(f"n_points: expected an integer from 2 to 500, got {n_points!r}")
        if not (isinstance(seed, (int, np.integer)) and not isinstance(seed, bool)):
            raise InputError(f"seed: expected an integer, got {seed!r}")
        if not (isinstance(alpha, (int, float)) and 0 < alpha < 1):
            raise InputError(f"alpha: expected a number in (0, 1), got {alpha!r}")
        if not (isinstance(n_draws, (int, np.integer)) and n_draws >= 10):
            raise InputError(f"n_draws: expected an integer >= 10, got {n_draws!r}")
        if not (isinstance(probability, (int, float)) and 0 < probability < 1):
            raise InputError(f"probability: expected a number in (0, 1), got {probability!r}")
        self.n_points = int(n_points)
        self.seed = int(seed)
        self.alpha = float(alpha)
        self.n_draws = int(n_draws)
        self.probability = float(probability)
        # ---- goals and specs
        self.goals = None
        self._desirability: Desirability | None = None
        if goals is not None:
            self._desirability = desirability(self.fits, goals)
            self.goals = self._desirability.goals
        self.specs = None
        if specs is not None:
            self.specs = self._check_specs(specs)
        # ---- explored factors and their ranges
        self.explored, self.ranges = resolve_factors(self.fits, factors)
        self._state: dict[str, Any] = {}
        for f in all_factors:
            if f.is_continuous:
                lo, hi = self.ranges.get(f.name, (f.low, f.high))
                centre = f.center if lo <= f.center <= hi else (lo + hi) / 2
                self._state[f.name] = float(centre)
            else:
                self._state[f.name] = f.levels[0]
        self.engine = ProfileEngine(self.fits, alpha=self.alpha)
        self._grids = {}
        for name in self.explored:
            f = self._fmap[name]
            if f.is_continuous:
                lo, hi = self.ranges[name]
                self._grids[name] = np.linspace(lo, hi, self.n_points)
            else:
                self._grids[name] = np.array(f.levels, dtype=object)
        self.continuous = [n for n in self.explored if self._fmap[n].is_continuous]
        self.contour_response = self.responses[0]
        self.contour_x = self.continuous[0] if len(self.continuous) >= 2 else None
        self.contour_y = self.continuous[1] if len(self.continuous) >= 2 else None
        self.last_optimum: Optimum | None = None
        self.last_design_space = None
        self._suspend = False
        self.profiler = Profiler(self.fits, goals=self.goals, factors=[self._range_factor(n) for n in self.explored],
                                 units=units, n_points=self.n_points, alpha=self.alpha, state=self._state,
                                 js_maximize=False, show=show)
        self.profiler_layout = self.profiler.layout
        self.sources: dict[str, Any] = dict(self.profiler.sources)
        self.sliders: dict[str, Any] = self.profiler.sliders
        self.locks: dict[str, Any] = self.profiler.locks
        for n, w in self.sliders.items():
            w.on_change("value", self._on_widget(n))
        self._build_contour()
        self._build_widgets()

    def _range_factor(self, name: str) -> str | Factor:
        f = self._fmap[name]
        if not f.is_continuous:
            return name
        lo, hi = self.ranges[name]
        return Factor(name, lo, hi, units=f.units)

    # ------------------------------------------------------------------ validation
    def _check_specs(self, specs: Any) -> dict[str, tuple]:
        if not isinstance(specs, Mapping) or not specs:
            raise InputError("specs: expected a dict response -> (lower, upper)")
        out = {}
        for r, s in specs.items():
            if r not in self.fits:
                raise InputError(f"specs: no fitted model for response '{r}' (fitted: {', '.join(self.fits)})")
            if not isinstance(s, (tuple, list)) or len(s) != 2:
                raise InputError(f"specs['{r}']: expected (lower, upper) with None for an open side, got {s!r}")
            lo = -np.inf if s[0] is None else float(s[0])
            hi = np.inf if s[1] is None else float(s[1])
            if np.isnan(lo) or np.isnan(hi) or not lo < hi or (np.isinf(lo) and np.isinf(hi)):
                raise InputError(f"specs['{r}']: expected lower < upper (at least one finite), got {s!r}")
            if self.fits[r].df_resid < 1:
                raise InputError(f"specs['{r}']: the fit has no residual degrees of freedom, so no design space "
                                 "can be computed; reduce the model first")
            out[r] = (s[0], s[1])
        return out

    def _check_value(self, name: str, value: Any) -> Any:
        if name not in self._fmap:
            raise InputError(f"set: '{name}' is not a factor (factors: {', '.join(self._fmap)})")
        if name not in self.explored:
            raise InputError(f"set: '{name}' is held (not in the explorer's factors: {', '.join(self.explored)})")
        f = self._fmap[name]
        if f.is_continuous:
            try:
                v = float(value)
            except (TypeError, ValueError):
                raise InputError(f"set: '{name}' must be a number, got {value!r}") from None
            lo, hi = self.ranges[name]
            if not np.isfinite(v) or v < lo - 1e-9 * (hi - lo) or v > hi + 1e-9 * (hi - lo):
                raise InputError(f"set: '{name}' = {value!r} is outside the explorer's range [{lo:g}, {hi:g}]")
            return float(min(max(v, lo), hi))
        if value not in f.levels:
            if str(value) in [str(x) for x in f.levels]:
                return f.levels[[str(x) for x in f.levels].index(str(value))]
            raise InputError(f"set: '{name}' = {value!r} is not a level (levels: {list(f.levels)})")
        return value

    # ------------------------------------------------------------------ public API
    @property
    def state(self) -> dict[str, Any]:
        """Current settings of every factor (actual units; levels for categorical factors)."""
        return dict(self._state)

    @property
    def locked(self) -> list[str]:
        """Factors whose *lock* box is ticked (held by :meth:`maximize`)."""
        return [n for n, lk in self.locks.items() if lk.active]

    def lock(self, **factors: bool) -> None:
        """Tick or clear *lock* boxes, e.g. ``explorer.lock(temp=True)``."""
        for k, v in factors.items():
            if k not in self.locks:
                raise InputError(f"lock: '{k}' is not one of the explorer's factors ({', '.join(self.explored)})")
            self.locks[k].active = bool(v)

    def set(self, **settings: Any) -> None:
        """Move one or more sliders/dropdowns, e.g. ``explorer.set(time=87.0, temp=176.5)``,
        and update the traces (the page recomputes its panels from the new slider values)."""
        self._set(settings, defer=False)

    def _set(self, settings: Mapping[str, Any], defer: bool) -> None:
        if not settings:
            return
        new = {k: self._check_value(k, v) for k, v in settings.items()}
        changed = {k for k, v in new.items() if v != self._state[k]}
        if not changed:
            return
        self._state.update(new)
        self._suspend = True
        try:
            for k in changed:
                w = self.sliders[k]
                w.value = self._state[k] if self._fmap[k].is_continuous else str(self._state[k])
        finally:
            self._suspend = False
        self._refresh(changed, defer=defer)

    def predict_current(self) -> dict[str, dict[str, float]]:
        """Prediction, confidence limits (``lower``, ``upper``) and prediction limits
        (``pi_lower``, ``pi_upper``) of each response at the current settings."""
        cur = self.profiler.compute_current(self._state)
        res = {}
        for r in self.responses:
            has = self.engine.layouts[r].cov is not None
            res[r] = {"prediction": float(cur[f"pred:{r}"][0])}
            for k in ("lower", "upper", "pi_lower", "pi_upper"):
                res[r][k] = float(cur[f"{k}:{r}"][0]) if has else None
        return res

    def export_settings(self) -> str:
        """The current settings and predictions as CSV: what the *Export settings* button writes."""
        from pdkit.ui.profiler import export_csv

        return export_csv(self.profiler.spec, self._state, self.profiler.compute_current(self._state),
                          {n: bool(lk.active) for n, lk in self.locks.items()})

    def maximize(self, n_starts: int = 20, n_random: int = 2000) -> Optimum:
        """Maximise the overall desirability (:func:`pdkit.doe.optimize.maximize_desirability`,
        seeded with the explorer's ``seed``) over the explored continuous factors that are not
        locked (every level of explored, unlocked categorical factors is tried; held and locked
        factors stay put) and move the sliders there."""
        if self.goals is None:
            raise InputError("maximize: the explorer has no desirability goals; pass goals=... to Explorer")
        locked = set(self.locked)
        opt_f = [n for n in self.explored if self._fmap[n].is_continuous and n not in locked]
        if not opt_f:
            raise InputError("maximize: no continuous factor to optimise (every continuous factor is locked)"
                             if locked else "maximize: no continuous factor to optimise")
        hold = {k: v for k, v in self._state.items() if k not in self.explored or k in locked}
        t0 = time.perf_counter()
        self._status("<b>Maximizing desirability&hellip;</b> (" + html_text(", ".join(opt_f)) + ")")
        button = getattr(self, "maximize_button", None)
        if button is not None:
            button.disabled = True
        try:
            opt = maximize_desirability(self.fits, self.goals, factors=opt_f, seed=self.seed, hold=hold or None,
                                        n_starts=n_starts, n_random=n_random)
        finally:
            if button is not None:
                button.disabled = False
        self.last_optimum = opt
        moves = {}
        for k in self.explored:
            if k in locked:
                continue
            v = opt.settings[k]
            if self._fmap[k].is_continuous:
                lo, hi = self.ranges[k]
                v = float(min(max(float(v), lo), hi))
            moves[k] = v
        self.set(**moves)
        took = time.perf_counter() - t0
        text = ", ".join(f"{k} = {_fmt(v) if isinstance(v, float) else v}" for k, v in moves.items())
        self._status(f"<b>Maximum desirability</b> D = {opt.overall:.4g} at {html_text(text)}"
                     + (f" (locked: {html_text(', '.join(sorted(locked)))})" if locked else "")
                     + f" &middot; {took:.2f} s")
        return opt

    def compute_design_space(self) -> Any:
        """Monte Carlo design space (:func:`pdkit.doe.optimize.design_space`) on the contour grid,
        the other factors at the current settings; draws it over the contour plot."""
        if self.specs is None:
            raise InputError("compute_design_space: the explorer has no specifications; pass specs=... to Explorer")
        if self.contour_x is None:
            raise InputError("compute_design_space: needs two continuous factors")
        self._flush_contour()  # a pending redraw of the plane would clear the new overlay
        x, y = self.contour_x, self.contour_y
        gx, gy = self._axis(x), self._axis(y)
        hold = {k: v for k, v in self._state.items() if k not in (x, y)}
        space = design_space({r: self.fits[r] for r in self.specs}, self.specs, n_draws=self.n_draws,
                             seed=self.seed, grid={x: gx, y: gy}, x=x, y=y, hold=hold)
        self.last_design_space = space
        P = space.to_numpy()
        self.sources["design_space"].data = self._image_data(P, gx, gy)
        self._ds_lines.set_data(self._contour_lines(gx, gy, P, [self.probability]))
        i, j = np.unravel_index(int(np.argmax(P)), P.shape)
        self._status(f"<b>Design space</b> ({self.n_draws} draws, seed {self.seed}): max P(all specs met) = "
                     f"{P.max():.3f} at {html_text(x)} = {gx[j]:.4g}, {html_text(y)} = {gy[i]:.4g}; "
                     f"{100 * float((P >= self.probability).mean()):.0f}% of the plot has P &ge; {self.probability:g}")
        return space

    def set_contour(self, response: str | None = None, x: str | None = None, y: str | None = None) -> None:
        """Choose the contour plot's response and factors (the dropdowns do the same)."""
        if response is not None and response not in self.fits:
            raise InputError(f"set_contour: no fitted response '{response}' (responses: {', '.join(self.fits)})")
        for nm, v in (("x", x), ("y", y)):
            if v is not None and v not in self.continuous:
                raise InputError(f"set_contour: {nm} must be one of the continuous factors "
                                 f"({', '.join(self.continuous)}), got {v!r}")
        nx = x if x is not None else self.contour_x
        ny = y if y is not None else self.contour_y
        if nx == ny:
            raise InputError(f"set_contour: x and y must differ, both are '{nx}'")
        self.contour_response = response or self.contour_response
        self.contour_x, self.contour_y = nx, ny
        self._suspend = True
        try:
            self._dd_response.value, self._dd_x.value, self._dd_y.value = self.contour_response, nx, ny
        finally:
            self._suspend = False
        self._update_contour(axes=True)

    # ------------------------------------------------------------------ computation
    def _axis(self, name: str) -> np.ndarray:
        return self._grids[name]

    def compute_profiles(self, names: Sequence[str] | None = None) -> dict[str, dict[str, np.ndarray]]:
        """Trace data (the ``profile:<factor>`` columns) for the given factors at the current state."""
        names = list(self.explored if names is None else names)
        if not names:
            return {}
        prof = self.profiler.compute_profiles(self._state)
        return {n: prof[n] for n in names}

    def compute_current(self) -> dict[str, Any]:
        """Data of the ``current`` source (one row: settings, predictions, labels)."""
        return self.profiler.compute_current(self._state)

    def compute_contour(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Predicted contour response on the ``n_points x n_points`` grid: ``(gx, gy, Z)`` with
        ``Z[i, j]`` at ``(gx[j], gy[i])``."""
        x, y = self.contour_x, self.contour_y
        gx, gy = self._axis(x), self._axis(y)
        XX, YY = np.meshgrid(gx, gy)
        n = XX.size
        settings = {k: (float(v) if self._fmap[k].is_continuous else v) for k, v in self._state.items()}
        settings[x], settings[y] = XX.ravel(), YY.ravel()
        pred = self.engine.evaluate(settings, n, responses=[self.contour_response], interval=False)
        return gx, gy, pred[self.contour_response][0].reshape(XX.shape)

    @staticmethod
    def _image_data(Z: np.ndarray, gx: np.ndarray, gy: np.ndarray) -> dict[str, list]:
        dx = (gx[-1] - gx[0]) / (len(gx) - 1)
        dy = (gy[-1] - gy[0]) / (len(gy) - 1)
        return {"image": [Z], "x": [gx[0] - dx / 2], "y": [gy[0] - dy / 2],
                "dw": [dx * len(gx)], "dh": [dy * len(gy)]}

    @staticmethod
    def _contour_lines(gx, gy, Z, levels):
        from bokeh.plotting.contour import contour_data

        return contour_data(gx, gy, Z, levels, want_fill=False, want_line=True)

    # ------------------------------------------------------------------ bokeh
    def _build_contour(self) -> None:
        from bokeh.models import ColorBar, ColumnDataSource, LinearColorMapper, PlainText, Range1d
        from bokeh.palettes import Greys256, Viridis256
        from bokeh.plotting import figure

        from pdkit.plots import PALETTE

        def cds(name: str, data: dict) -> ColumnDataSource:
            s = ColumnDataSource(data, name=name)
            self.sources[name] = s
            return s

        self.contour_layout = None
        if self.contour_x is None:
            return
        gx, gy, Z = self.compute_contour()
        self._mapper = LinearColorMapper(palette=Viridis256, low=float(Z.min()), high=float(Z.max()))
        fx, fy = self._fmap[self.contour_x], self._fmap[self.contour_y]
        p = figure(width=600, height=480, x_range=Range1d(*self.ranges[self.contour_x]),
                   y_range=Range1d(*self.ranges[self.contour_y]), tools="pan,wheel_zoom,box_zoom,reset,save",
                   min_border_left=70, min_border_bottom=60)
        p.xaxis.axis_label, p.yaxis.axis_label = PlainText(fx.label()), PlainText(fy.label())
        p.title.text = f"{self.contour_response} (other factors at the slider settings)"
        p.image(image="image", x="x", y="y", dw="dw", dh="dh", source=cds("contour", self._image_data(Z, gx, gy)),
                color_mapper=self._mapper)
        self._contour = p.contour(gx, gy, Z, levels=self._levels(Z), line_color="white", line_alpha=0.7)
        self._contour.line_renderer.data_source.name = "contour_lines"
        ds_mapper = LinearColorMapper(palette=list(Greys256), low=0.0, high=1.0)
        p.image(image="image", x="x", y="y", dw="dw", dh="dh", color_mapper=ds_mapper, global_alpha=0.45,
                source=cds("design_space", {"image": [], "x": [], "y": [], "dw": [], "dh": []}))
        self._ds_lines = p.contour(gx, gy, np.zeros_like(Z), levels=[self.probability], line_color=PALETTE[1],
                                   line_width=3)
        self._ds_lines.set_data(self._contour_lines(gx, gy, np.zeros_like(Z), [self.probability]))
        self._ds_lines.line_renderer.data_source.name = "design_space_lines"
        cds("contour_runs", self._runs_data())
        p.scatter("x", "y", source=self.sources["contour_runs"], color="white", line_color="black", size=6)
        cds("contour_point", {"x": [float(self._state[self.contour_x])], "y": [float(self._state[self.contour_y])]})
        p.scatter("x", "y", source=self.sources["contour_point"], marker="cross", size=18, line_width=3,
                  color=PALETTE[3])
        p.add_layout(ColorBar(color_mapper=self._mapper, width=10), "right")
        self._contour_fig = p
        self.contour_layout = p

    @staticmethod
    def _levels(Z: np.ndarray) -> list[float]:
        lo, hi = float(Z.min()), float(Z.max())
        if not hi > lo:
            return [lo]
        return list(np.linspace(lo, hi, 12)[1:-1])

    def _runs_data(self) -> dict[str, list]:
        fit = next(iter(self.fits.values()))
        return {"x": np.asarray(fit.data[self.contour_x], dtype=float),
                "y": np.asarray(fit.data[self.contour_y], dtype=float)}

    # ------------------------------------------------------------------ updates
    #: Seconds the kernel waits after a slider move in the page before redrawing the contour plot,
    #: so a burst of key presses costs one contour update (the profiler is updated by the page).
    CONTOUR_DELAY = 0.15

    def _refresh(self, changed: set[str] | None, defer: bool = False) -> None:
        """Bring Python's copy of the profiler sources to the current state (in place, without
        sending them: the page computes its own) and recompute the contour plot (sent; with
        ``defer`` and a running event loop - a slider moved in the page - after
        :attr:`CONTOUR_DELAY` seconds without another move)."""
        prof = self.profiler.compute_profiles(self._state)
        for n, data in prof.items():
            _assign_in_place(self.sources[f"profile:{n}"], data)
        cur = self.profiler.compute_current(self._state)
        _assign_in_place(self.sources["current"], cur)
        for name, data in self.profiler.drawn_data(prof, cur).items():
            _assign_in_place(self.sources[name], data)
        self.profiler.state = dict(self._state)
        if self.contour_x is None:
            return
        pending = getattr(self, "_pending_contour", None)
        if changed is None or pending == "all":
            self._pending_contour = "all"
        else:
            self._pending_contour = set(changed) | (pending or set())
        loop = _running_loop() if defer else None
        timer = getattr(self, "_contour_timer", None)
        if timer is not None:
            timer.cancel()
            self._contour_timer = None
        if loop is not None:
            self._contour_timer = loop.call_later(self.CONTOUR_DELAY, self._flush_contour)
        else:
            self._flush_contour()

    def _flush_contour(self) -> None:
        """Run a pending contour update now."""
        timer = getattr(self, "_contour_timer", None)
        if timer is not None:
            timer.cancel()
            self._contour_timer = None
        pending = getattr(self, "_pending_contour", None)
        self._pending_contour = None
        if pending is None or self.contour_x is None:
            return
        changed = None if pending == "all" else pending
        xy = {self.contour_x, self.contour_y}
        if changed is None or not changed <= xy:
            self._update_contour(axes=changed is None)
        else:
            self.sources["contour_point"].data = {"x": [float(self._state[self.contour_x])],
                                                  "y": [float(self._state[self.contour_y])]}

    def _update_contour(self, axes: bool = False) -> None:
        from bokeh.models import PlainText

        gx, gy, Z = self.compute_contour()
        self.sources["contour"].data = self._image_data(Z, gx, gy)
        self._contour.set_data(self._contour_lines(gx, gy, Z, self._levels(Z)))
        lo, hi = float(Z.min()), float(Z.max())
        hi = hi if hi > lo else lo + 1e-9
        # the colour scale is reset for a new plot and only widened on slider moves (fewer messages)
        if axes or lo < self._mapper.low or hi > self._mapper.high:
            self._mapper.update(low=lo if axes else min(lo, self._mapper.low),
                                high=hi if axes else max(hi, self._mapper.high))
        self.sources["contour_point"].data = {"x": [float(self._state[self.contour_x])],
                                              "y": [float(self._state[self.contour_y])]}
        p = self._contour_fig
        if axes:
            fx, fy = self._fmap[self.contour_x], self._fmap[self.contour_y]
            p.x_range.update(start=self.ranges[fx.name][0], end=self.ranges[fx.name][1])
            p.y_range.update(start=self.ranges[fy.name][0], end=self.ranges[fy.name][1])
            p.xaxis.axis_label, p.yaxis.axis_label = PlainText(fx.label()), PlainText(fy.label())
            p.title.text = f"{self.contour_response} (other factors at the slider settings)"
            self.sources["contour_runs"].data = self._runs_data()
        # the Monte Carlo overlay belongs to the settings it was computed at
        if self.sources["design_space"].data.get("image"):
            self.sources["design_space"].data = {"image": [], "x": [], "y": [], "dw": [], "dh": []}
            self._ds_lines.set_data(self._contour_lines(gx, gy, np.zeros_like(Z), [self.probability]))
            self.last_design_space = None
            self._status("Design space cleared (settings changed): press <i>Compute design space</i> again.")

    # ------------------------------------------------------------------ widgets
    def _build_widgets(self) -> None:
        import ipywidgets as w
        from jupyter_bokeh import BokehModel

        self._status_html = w.HTML(value="")
        self.maximize_button = w.Button(description="Maximize desirability", button_style="primary",
                                        disabled=self.goals is None, layout=w.Layout(width="200px"),
                                        tooltip="locked factors keep their setting")
        self.maximize_button.on_click(lambda _b: self._guard(self.maximize))
        self.design_space_button = w.Button(description="Compute design space",
                                            disabled=self.specs is None or self.contour_x is None,
                                            layout=w.Layout(width="200px"))
        self.design_space_button.on_click(lambda _b: self._guard(self.compute_design_space))
        self.profiler_widget = BokehModel(self.profiler_layout)
        parts = [w.HBox([self.maximize_button, self.design_space_button]), self._status_html, self.profiler_widget]
        self._dd_response = w.Dropdown(options=self.responses, value=self.contour_response, description="response")
        self._dd_x = w.Dropdown(options=self.continuous, value=self.contour_x, description="x")
        self._dd_y = w.Dropdown(options=self.continuous, value=self.contour_y, description="y")
        if self.contour_layout is not None:
            for dd in (self._dd_response, self._dd_x, self._dd_y):
                dd.layout = w.Layout(width="260px")
                dd.observe(self._on_contour_choice, names="value")
            self.contour_widget = BokehModel(self.contour_layout)
            parts += [w.HBox([self._dd_response, self._dd_x, self._dd_y]), self.contour_widget]
        else:
            self.contour_widget = None
            parts.append(w.HTML("<i>Contour plot: needs two continuous factors.</i>"))
        self.widget = w.VBox(parts)

    def _guard(self, func) -> None:
        try:
            func()
        except InputError as exc:  # shown to the user instead of a silent failure in the widget callback
            self._status(f"<span style='color:#D55E00'>{html_text(exc)}</span>")

    def _status(self, html: str) -> None:
        if hasattr(self, "_status_html"):
            self._status_html.value = html

    def _on_widget(self, name: str):
        def handler(attr: str, old: Any, new: Any) -> None:
            if self._suspend:
                return
            # every value from the page is applied (a Bokeh slider does not send back a value set
            # from Python, so there is no echo to filter; the page computed its panels for it)
            self._guard(lambda: self._set({name: new}, defer=True))
        return handler

    def _on_contour_choice(self, change: dict) -> None:
        if self._suspend:
            return
        x, y = self._dd_x.value, self._dd_y.value
        if x == y:  # swap instead of refusing: the other dropdown takes the old value
            other = self.contour_y if change["owner"] is self._dd_x else self.contour_x
            if change["owner"] is self._dd_x:
                y = self.contour_x if other == x else other
            else:
                x = self.contour_y if other == y else other
        self._guard(lambda: self.set_contour(self._dd_response.value, x, y))

    def _ipython_display_(self) -> None:  # pragma: no cover - notebook display
        from IPython.display import display

        display(self.widget)

    def __repr__(self) -> str:
        return (f"Explorer(responses={self.responses}, factors={self.explored}, "
                f"state={self.state})")


def _running_loop() -> Any:
    """The running asyncio event loop (the kernel's, while it handles a widget message), or None."""
    import asyncio

    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def _assign_in_place(source: Any, data: Mapping[str, Any]) -> None:
    """Overwrite a ColumnDataSource's columns element by element: Python's copy changes, and
    no change event is sent to the page (which computes its own copy in JavaScript)."""
    cols = source.data
    for k, v in data.items():
        arr = cols[k]
        if isinstance(arr, np.ndarray) and len(arr) == len(v):
            arr[...] = v
        elif isinstance(arr, list) and len(arr) == len(v):  # text columns (the row headers)
            arr[:] = list(v)
        else:  # pragma: no cover - shapes never change for a given explorer
            source.data[k] = v
