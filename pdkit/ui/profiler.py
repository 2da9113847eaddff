"""A prediction profiler computed in the browser (BokehJS), JMP style, also offline.

The fitted models (:func:`pdkit.doe.fit`: polynomials in coded factors, effect-coded
categorical factors) are shipped to the page as a *model spec* (:func:`model_spec`):
per response the coefficient vector, the model columns as products of coded base
columns, the coefficient covariance ``C`` (block effects excluded), the residual mean
square ``s^2`` and ``t(1 - alpha/2; df)``.  A ``CustomJS`` callback (``profiler.js``)
then recomputes, on every slider step, every panel in one pass:

* prediction ``x'b``;
* confidence limits ``x'b -/+ t sqrt(x' C x)``;
* prediction limits ``x'b -/+ t sqrt(x' C x + s^2)``;
* the Derringer-Suich desirabilities (:class:`pdkit.doe.optimize.Goal`),

which are exactly what :meth:`pdkit.doe.analysis.DoEFit.predict` returns with
``interval="confidence"`` / ``"prediction"`` (statsmodels' ``get_prediction``).  No kernel
round trip is involved, so a slider step redraws every panel at once, and a profiler
saved with :meth:`Profiler.save` works in a static HTML page with the network off.
:func:`evaluate_spec` is the Python reference implementation of the same arithmetic;
the tests compare it with ``DoEFit.predict`` and with the JavaScript run in Chromium.

The page has one slider per continuous factor and one dropdown per categorical factor
(level names), a *lock* box per factor (kept when maximising), toggles for the
confidence band, the prediction band and the design points, a *Maximize desirability*
button (a seeded compass search in the browser; the explorer uses
:func:`pdkit.doe.optimize.maximize_desirability` instead) and *Export settings*, which
writes the settings and predictions as CSV into a text area and downloads them.

As in JMP, each response is one row of panels, and the panels of a row share one Bokeh
figure. The row is drawn from a few sources (:meth:`Profiler.drawn_data`): the traces of its
continuous panels as one NaN-separated line in pixel coordinates, the bands as NaN-separated
polygons, and the current settings as one marks source. The y-axes, the x-axis strip and the
row headers are separate figures. A slider step therefore repaints one canvas per row plus the
headers, not one per panel: 20-45 ms per step for 20 panels in Chromium
(``benchmarks/bench_profiler_browser.py``, BENCHMARKS.md).

Examples
--------
>>> import pandas as pd
>>> from pdkit.doe import fit
>>> d = pd.DataFrame({"a": [-1, 1, -1, 1, 0, 0], "b": [-1, -1, 1, 1, 0, 0],
...                   "y": [1.0, 3.1, 1.2, 2.9, 2.2, 2.0]})
>>> prof = Profiler({"y": fit(d, "y")}, n_points=5, units={"y": "g/L"})
>>> [round(float(v), 3) for v in prof.sources["profile:a"].data["pred:y"]]
[1.117, 1.592, 2.067, 2.542, 3.017]
>>> html = prof.to_html()          # standalone page, BokehJS inline (offline)
>>> "PDKIT.schedule" in html
True
"""
from __future__ import annotations

import json
import math
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np
from scipy import stats

from pdkit.doe.analysis import DoEFit
from pdkit.doe.factors import Factor
from pdkit.doe.model import term_columns
from pdkit.doe.optimize import as_fits, desirability  # as_fits re-exported: the one check of a set of fits
from pdkit.errors import InputError

__all__ = ["Profiler", "model_spec", "evaluate_spec", "profiler_js", "resolve_factors", "as_fits",
           "shared_factors", "export_csv", "BAND_OPTIONS"]

#: Labels of the display toggles, in order (CheckboxGroup indices 0, 1, 2).
BAND_OPTIONS = ("confidence band", "prediction band", "design points")


@lru_cache(maxsize=1)
def profiler_js() -> str:
    """The JavaScript library run by every profiler callback (defines ``PDKIT``)."""
    return resources.files("pdkit.ui").joinpath("profiler.js").read_text(encoding="utf-8")


# --------------------------------------------------------------------------- checks
def _factor_key(f: Factor) -> tuple:
    return (f.kind, f.low, f.high, tuple(f.levels))


def _describe_factor(f: Factor) -> str:
    return f"{f.low:g}..{f.high:g}" if f.is_continuous else f"levels {list(f.levels)}"


def shared_factors(fits: Mapping[str, DoEFit]) -> list[Factor]:
    """The factors of fits that must share them, coded identically (else InputError)."""
    names = list(fits)
    first = fits[names[0]]
    ref = {f.name: f for f in first.factors}
    for r in names[1:]:
        other = fits[r]
        if set(other.factor_names) != set(ref):
            raise InputError(
                f"fits: every response must be fitted on the same factors; '{names[0]}' has "
                f"[{', '.join(first.factor_names)}] but '{r}' has [{', '.join(other.factor_names)}]")
        for f in other.factors:
            if _factor_key(f) != _factor_key(ref[f.name]):
                raise InputError(
                    f"fits: factor '{f.name}' is coded differently in the fits of '{names[0]}' "
                    f"({_describe_factor(ref[f.name])}) and '{r}' ({_describe_factor(f)}); "
                    "fit every response with the same Factor objects")
    return list(first.factors)


def resolve_factors(fits: Mapping[str, DoEFit], factors: Any) -> tuple[list[str], dict[str, tuple[float, float]]]:
    """Explored factor names (in order) and the slider range of each continuous one.

    ``factors`` lists names or :class:`Factor` objects (a Factor sets that slider's range);
    None means every factor.  The default range of a continuous factor covers its declared
    low..high and every run of the data (axial runs included).
    """
    fmap = {f.name: f for f in shared_factors(fits)}
    if factors is None:
        factors = list(fmap)
    elif isinstance(factors, (str, Factor)):
        factors = [factors]
    names: list[str] = []
    ranges: dict[str, tuple[float, float]] = {}
    for f in factors:
        name = f.name if isinstance(f, Factor) else f
        if not isinstance(name, str) or name not in fmap:
            raise InputError(f"factors: {name!r} is not a factor of the fits (factors: {', '.join(fmap)})")
        if name in names:
            raise InputError(f"factors: '{name}' is listed twice")
        fitted = fmap[name]
        if isinstance(f, Factor):
            if f.kind != fitted.kind:
                raise InputError(f"factors: '{name}' is {f.kind} here but {fitted.kind} in the fits")
            if f.is_continuous:
                ranges[name] = (float(f.low), float(f.high))
            elif set(f.levels) - set(fitted.levels):
                raise InputError(f"factors: '{name}' levels {sorted(set(f.levels) - set(fitted.levels))} are "
                                 f"not among the fitted levels {list(fitted.levels)}")
        names.append(name)
    if not names:
        raise InputError("factors: at least one factor is needed")
    for name in names:
        f = fmap[name]
        if f.is_continuous and name not in ranges:
            lo, hi = f.low, f.high
            for fit in fits.values():
                col = np.asarray(fit.data[name], dtype=float)
                lo, hi = min(lo, float(col.min())), max(hi, float(col.max()))
            ranges[name] = (float(lo), float(hi))
    return names, ranges


def _column_parts(col: str) -> list[str]:
    """Base columns of a model-matrix column: 'A:B' -> [A, B], 'A^2' -> [A, A], 'Intercept' -> []."""
    if col == "Intercept":
        return []
    if col.endswith("^2"):
        return [col[:-2]] * 2
    return col.split(":")


def _plain(v: Any) -> Any:
    """JSON-safe scalar (numpy scalars to Python)."""
    if isinstance(v, np.generic):
        return v.item()
    return v


# --------------------------------------------------------------------------- model spec
def model_spec(fits: DoEFit | Mapping[str, DoEFit], *, alpha: float = 0.05, explored: Sequence[str] | None = None,
               ranges: Mapping[str, tuple[float, float]] | None = None, state: Mapping[str, Any] | None = None,
               units: Mapping[str, str] | None = None, goals: Mapping[str, Any] | None = None) -> dict:
    """JSON-ready description of fitted models for the browser (and :func:`evaluate_spec`).

    Parameters
    ----------
    fits : DoEFit or dict response -> DoEFit
        Fits on the same factors, coded identically.
    alpha : float
        ``1 - confidence`` of both bands.
    explored : list of str, optional
        Factors with a slider/dropdown (default all); the others stay at ``state``.
    ranges : dict factor -> (low, high), optional
        Slider range of continuous factors (default: :func:`resolve_factors`).
    state : dict factor -> value, optional
        Initial settings (default the centre of the range, the first level).
    units : dict response -> str, optional
        Units of the responses (shown in labels and the export).
    goals : dict response -> goal, optional
        Desirability goals as for :func:`pdkit.doe.optimize.desirability`.

    Returns
    -------
    dict
        ``factors`` (name, label, units, kind, levels as text, coding ``center``/``half``,
        slider ``lo``/``hi``, optimisation ``box``, initial ``value`` - a level index for a
        categorical factor), ``explored`` (factor indices), ``responses`` (``beta``,
        ``index`` - per model column the base-column indices, 0 being the constant -, ``cov``,
        ``scale``, ``df``, ``t``), ``goals`` and ``alpha``.

    Examples
    --------
    >>> import pandas as pd
    >>> from pdkit.doe import fit
    >>> d = pd.DataFrame({"x": [0.0, 0.0, 10.0, 10.0], "y": [1.0, 1.2, 3.0, 3.2]})
    >>> spec = model_spec(fit(d, "y"))
    >>> spec["responses"][0]["index"], spec["responses"][0]["df"]
    ([[], [1]], 2)
    """
    fits = as_fits(fits)
    if not (isinstance(alpha, (int, float)) and 0 < alpha < 1):
        raise InputError(f"alpha: expected a number in (0, 1), got {alpha!r}")
    factors = shared_factors(fits)
    if explored is None or ranges is None:
        e2, r2 = resolve_factors(fits, explored)
        explored = list(explored) if explored is not None else e2
        ranges = {**r2, **(ranges or {})}
    units = dict(units or {})
    state = dict(state or {})
    names = [f.name for f in factors]
    base_names = [c for cols in term_columns(names, factors).values() for c in cols]
    pos = {n: i + 1 for i, n in enumerate(base_names)}
    fspec = []
    for f in factors:
        if f.is_continuous:
            lo, hi = ranges.get(f.name, (f.low, f.high))
            v = state.get(f.name, f.center if lo <= f.center <= hi else (lo + hi) / 2)
            fspec.append({"name": f.name, "label": f.label(), "units": f.units, "kind": "continuous", "levels": [],
                          "center": float(f.center), "half": float(f.half_range), "lo": float(lo), "hi": float(hi),
                          "box": [float(max(lo, f.low)), float(min(hi, f.high))], "value": float(v)})
        else:
            levels = [str(x) for x in f.levels]
            v = state.get(f.name, f.levels[0])
            k = [str(x) for x in f.levels].index(str(v))
            fspec.append({"name": f.name, "label": f.label(), "units": f.units, "kind": "categorical",
                          "levels": levels, "center": 0.0, "half": 1.0, "lo": 0.0, "hi": float(len(levels) - 1),
                          "box": [0.0, float(len(levels) - 1)], "value": k})
    rspec = []
    for r, fit in fits.items():
        cols = list(fit.X.columns)
        index = [[pos[p] for p in _column_parts(c)] for c in cols]
        df = int(fit.df_resid)
        entry = {"name": r, "label": f"{r} ({units[r]})" if units.get(r) else r, "units": units.get(r, ""),
                 "beta": [float(b) for b in fit.params.to_numpy(dtype=float)], "index": index, "df": df,
                 "cov": None, "scale": None, "t": None}
        if df >= 1:
            entry["cov"] = np.asarray(fit.cov_params, dtype=float).tolist()
            entry["scale"] = float(fit.results.scale)
            entry["t"] = float(stats.t.ppf(1 - alpha / 2, df))
        rspec.append(entry)
    gspec = []
    if goals:
        for r, g in desirability(fits, goals).goals.items():
            gspec.append({"response": r, "goal": g.goal, "low": float(g.low), "high": float(g.high),
                          "target": None if g.target is None else float(g.target), "weight": float(g.weight),
                          "s": float(g.s), "t": float(g.t), "importance": float(g.importance)})
    return {"version": 1, "alpha": float(alpha), "factors": fspec,
            "explored": [names.index(n) for n in explored], "responses": rspec, "goals": gspec}


def _base(spec: dict, settings: Mapping[str, Any], n: int) -> np.ndarray:
    cols = [np.ones(n)]
    for f in spec["factors"]:
        v = settings.get(f["name"], None)
        if f["kind"] == "continuous":
            x = np.broadcast_to(np.asarray(f["value"] if v is None else v, dtype=float), (n,))
            cols.append((x - f["center"]) / f["half"])
            continue
        if v is None:
            k = np.full(n, f["value"])
        else:
            lev = {s: i for i, s in enumerate(f["levels"])}
            vals = np.broadcast_to(np.asarray(v, dtype=object), (n,))
            try:
                k = np.array([lev[str(x)] for x in vals])
            except KeyError as exc:
                raise InputError(f"settings: {exc.args[0]!r} is not a level of '{f['name']}' "
                                 f"(levels: {f['levels']})") from None
        L = len(f["levels"])
        if L == 2:
            cols.append(np.where(k == 1, 1.0, -1.0))
        else:
            for j in range(L - 1):
                cols.append(np.where(k == j, 1.0, np.where(k == L - 1, -1.0, 0.0)))
    return np.column_stack(cols)


def evaluate_spec(spec: dict, settings: Mapping[str, Any], n: int | None = None) -> dict[str, dict[str, np.ndarray]]:
    """Python reference of the browser's arithmetic: predictions and both bands.

    Parameters
    ----------
    spec : dict
        From :func:`model_spec`.
    settings : dict factor -> value(s)
        Actual units (level names for categorical factors); factors left out take the
        spec's ``value``.
    n : int, optional
        Number of settings (default the longest array given).

    Returns
    -------
    dict response -> dict
        ``prediction``, ``lower``, ``upper`` (confidence), ``pi_lower``, ``pi_upper``
        (prediction interval); the limits equal the prediction when the fit has no
        residual degrees of freedom.

    Examples
    --------
    >>> import pandas as pd
    >>> from pdkit.doe import fit
    >>> d = pd.DataFrame({"x": [0.0, 0.0, 10.0, 10.0], "y": [1.0, 1.2, 3.0, 3.2]})
    >>> f = fit(d, "y")
    >>> out = evaluate_spec(model_spec(f), {"x": [5.0]})["y"]
    >>> ref = f.predict({"x": [5.0]}, interval="prediction")
    >>> bool(abs(out["pi_upper"][0] - ref["upper"].iloc[0]) < 1e-12)
    True
    """
    if n is None:
        n = max([np.size(v) if not isinstance(v, str) else 1 for v in settings.values()] or [1])
    B = _base(spec, settings, int(n))
    out = {}
    for r in spec["responses"]:
        X = np.column_stack([np.prod(B[:, idx], axis=1) if idx else np.ones(n) for idx in r["index"]])
        pred = X @ np.asarray(r["beta"])
        if r["cov"] is None:
            out[r["name"]] = {"prediction": pred, "lower": pred, "upper": pred, "pi_lower": pred, "pi_upper": pred}
            continue
        q = np.maximum(np.einsum("ij,jk,ik->i", X, np.asarray(r["cov"]), X), 0.0)
        hc, hp = r["t"] * np.sqrt(q), r["t"] * np.sqrt(q + r["scale"])
        out[r["name"]] = {"prediction": pred, "lower": pred - hc, "upper": pred + hc,
                          "pi_lower": pred - hp, "pi_upper": pred + hp}
    return out


def _desirability_columns(spec: dict, preds: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """``d:<r>`` and ``D`` as the browser computes them (Goal.d, importance-weighted geometric mean)."""
    if not spec["goals"]:
        return {}
    out = {}
    logs, w = [], []
    for g in spec["goals"]:
        y = np.asarray(preds[g["response"]], dtype=float)
        if g["goal"] == "maximize":
            d = np.clip((y - g["low"]) / (g["high"] - g["low"]), 0, 1) ** g["weight"]
        elif g["goal"] == "minimize":
            d = np.clip((g["high"] - y) / (g["high"] - g["low"]), 0, 1) ** g["weight"]
        else:
            lower = np.clip((y - g["low"]) / (g["target"] - g["low"]), 0, 1) ** g["s"]
            upper = np.clip((g["high"] - y) / (g["high"] - g["target"]), 0, 1) ** g["t"]
            d = np.where(y <= g["target"], lower, upper)
        out[f"d:{g['response']}"] = d
        with np.errstate(divide="ignore"):
            logs.append(np.where(d > 0, np.log(np.where(d > 0, d, 1.0)), -np.inf) * g["importance"])
        w.append(g["importance"])
    out["D"] = np.exp(np.sum(logs, axis=0) / sum(w))
    return out


def _two_lines(name: str, units: str) -> str:
    """Name, then the units on a line of their own, so neither is cut."""
    return f"{name}\n({units})" if units else name


def _text_width(text: str, px: float = 7.0) -> int:
    return int(max(len(line) for line in text.split("\n")) * px) + 16


def _tick_label_chars(lo: float, hi: float) -> int:
    """Characters of the longest y tick label BokehJS will likely print for the range ``lo..hi``
    (its BasicTickFormatter: scientific from 1e5 and below 1e-3, else as many decimals as the
    tick step needs; about five ticks)."""
    big = max(abs(lo), abs(hi))
    if big >= 1e5 or 0 < big < 1e-3:
        return 10  # e.g. -1.250e+10
    span = hi - lo if hi > lo else max(big, 1.0)
    decimals = max(0, -math.floor(math.log10(span / 5)) + 1)
    return len(f"{-big:.{decimals}f}")


def _inner_ticks(lo: float, hi: float, n: int = 6) -> list[float]:
    """About ``n`` round tick values inside ``[lo, hi]``, none at the very ends (side-by-side
    panels share a strip: a label at a panel's edge would run into its neighbour's)."""
    span = hi - lo
    if not span > 0:
        return [float(lo)]
    raw = span / n
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    margin = 0.06 * span
    first = math.ceil((lo + margin) / step)
    ticks = [round(k * step, 12) for k in range(first, int(math.floor((hi - margin) / step)) + 1)]
    return [0.0 if t == 0 else t for t in ticks] or [float(round((lo + hi) / 2, 12))]


def _fmt(v: float | None) -> str:
    """Four significant digits, as the page shows them (``profiler.js`` fmt)."""
    if v is None or not np.isfinite(v):
        return "n/a"
    return f"{v:.4g}"


def export_csv(spec: dict, state: Mapping[str, Any], current: Mapping[str, Any],
               locked: Mapping[str, bool] | None = None) -> str:
    """Settings and predictions as CSV, the text the page's *Export settings* button writes.

    Columns ``item`` (``setting``, ``response``, ``desirability``), ``name``, ``value``,
    ``ci_lower``, ``ci_upper``, ``pi_lower``, ``pi_upper``, ``units``, ``locked``; text
    cells are spreadsheet-safe (:func:`pdkit.escape.spreadsheet_cell`).
    """
    from pdkit.escape import spreadsheet_cell

    def cell(v: Any) -> str:
        s = str(spreadsheet_cell(str(v)))
        return '"' + s.replace('"', '""') + '"' if any(c in s for c in '",\n\r') else s

    def num(v: Any) -> str:
        return "" if v is None or not np.isfinite(v) else repr(float(v))

    locked = locked or {}
    lines = ["item,name,value,ci_lower,ci_upper,pi_lower,pi_upper,units,locked"]
    for f in spec["factors"]:
        v = state[f["name"]]
        val = num(v) if f["kind"] == "continuous" else cell(v)
        lines.append(",".join(["setting", cell(f["name"]), val, "", "", "", "", cell(f["units"]),
                               "yes" if locked.get(f["name"]) else "no"]))
    for r in spec["responses"]:
        n = r["name"]
        c = [float(current[f"{k}:{n}"][0]) for k in ("pred", "lower", "upper", "pi_lower", "pi_upper")]
        band = r["cov"] is not None
        lines.append(",".join(["response", cell(n), num(c[0])] + [num(x) if band else "" for x in c[1:]]
                              + [cell(r["units"]), ""]))
    if spec["goals"]:
        lines.append(",".join(["desirability", "D", num(float(current["D"][0])), "", "", "", "", "", ""]))
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- the Bokeh page
class Profiler:
    """Prediction profiler as one Bokeh layout whose panels are recomputed in the browser.

    Parameters
    ----------
    fits : DoEFit or dict response -> DoEFit
        Fits on the same factors, coded identically.
    goals : dict response -> goal, optional
        Desirability goals (:func:`pdkit.doe.optimize.desirability`): adds the desirability
        row and the *Maximize desirability* button.
    factors : list of str or Factor, optional
        Factors with a slider/dropdown, in this order (default all); a ``Factor`` sets the
        slider range.  The others are held at ``state`` (centre, first level).
    units : dict response -> str, optional
        Units of each response for the labels and the export.
    n_points : int
        Points per trace (2..500).
    alpha : float
        ``1 - confidence`` of the confidence and prediction bands.
    state : dict factor -> value, optional
        Initial settings.
    js_maximize : bool
        Add the in-browser *Maximize desirability* button (when goals are given).
    show : sequence of str
        Toggles on at the start, from :data:`BAND_OPTIONS` (default the confidence band).

    Attributes
    ----------
    spec : dict
        :func:`model_spec` of the fits.
    sources : dict name -> ColumnDataSource
        ``profile:<factor>`` (``x`` - level index for a categorical factor -, ``pred:<r>``,
        ``lower:<r>``, ``upper:<r>``, ``pi_lower:<r>``, ``pi_upper:<r>``, ``d:<r>``, ``D``),
        ``current`` (one row: ``x:<factor>``, the same response columns, ``label:<r>``,
        ``label:D``) and ``points:<r>`` (the design runs: ``x:<factor>``, ``y``).
    sliders : dict factor -> Slider or Select
    locks : dict factor -> Checkbox
    options : CheckboxGroup
        The band/points toggles.
    y_ranges : dict response -> Range1d
    layout : bokeh layout
        Controls on top, the panel grid below.
    """

    def __init__(self, fits: DoEFit | Mapping[str, DoEFit], goals: Mapping[str, Any] | None = None, *,
                 factors: Sequence[str | Factor] | None = None, units: Mapping[str, str] | None = None,
                 n_points: int = 50, alpha: float = 0.05, state: Mapping[str, Any] | None = None,
                 js_maximize: bool = True, show: Sequence[str] = ("confidence band",)) -> None:
        self.fits = as_fits(fits)
        if not (isinstance(n_points, (int, np.integer)) and not isinstance(n_points, bool) and 2 <= n_points <= 500):
            raise InputError(f"n_points: expected an integer from 2 to 500, got {n_points!r}")
        if units is not None:
            if not isinstance(units, Mapping):
                raise InputError(f"units: expected a dict response -> units, got {units!r}")
            for r in units:
                if r not in self.fits:
                    raise InputError(f"units: no fitted model for response '{r}' (fitted: {', '.join(self.fits)})")
        for s in show:
            if s not in BAND_OPTIONS:
                raise InputError(f"show: {s!r} is not one of {', '.join(BAND_OPTIONS)}")
        self.responses = list(self.fits)
        self.explored, self.ranges = resolve_factors(self.fits, factors)
        self.spec = model_spec(self.fits, alpha=alpha, explored=self.explored, ranges=self.ranges, state=state,
                               units=units, goals=goals)
        self.spec_json = json.dumps(self.spec, separators=(",", ":"), allow_nan=False)
        self.n_points = int(n_points)
        self._fspec = {f["name"]: f for f in self.spec["factors"]}
        self._factors = {f.name: f for f in shared_factors(self.fits)}
        self.grids: dict[str, np.ndarray] = {}
        for n in self.explored:
            f = self._fspec[n]
            if f["kind"] == "continuous":
                self.grids[n] = np.linspace(f["lo"], f["hi"], self.n_points)
            else:
                self.grids[n] = np.arange(len(f["levels"]), dtype=float)
        self.state: dict[str, Any] = {}
        for f in self.spec["factors"]:
            fac = self._factors[f["name"]]
            self.state[f["name"]] = f["value"] if f["kind"] == "continuous" else fac.levels[f["value"]]
        self.sources: dict[str, Any] = {}
        self.sliders: dict[str, Any] = {}
        self.locks: dict[str, Any] = {}
        self.y_ranges: dict[str, Any] = {}
        self._js_maximize = bool(js_maximize) and bool(self.spec["goals"])
        self._show = tuple(show)
        self._panel_geometry()
        self._build()

    # ------------------------------------------------------------------ Python twin of the page
    def _settings(self, state: Mapping[str, Any], n: int) -> dict[str, np.ndarray]:
        out = {}
        for k, v in state.items():
            if self._fspec[k]["kind"] == "continuous":
                out[k] = np.full(n, float(v))
            else:
                out[k] = np.full(n, str(v), dtype=object)
        return out

    def _columns(self, res: Mapping[str, Mapping[str, np.ndarray]]) -> dict[str, np.ndarray]:
        data: dict[str, np.ndarray] = {}
        for r, o in res.items():
            data[f"pred:{r}"] = o["prediction"]
            data[f"lower:{r}"] = o["lower"]
            data[f"upper:{r}"] = o["upper"]
            data[f"pi_lower:{r}"] = o["pi_lower"]
            data[f"pi_upper:{r}"] = o["pi_upper"]
        data.update(_desirability_columns(self.spec, {r: o["prediction"] for r, o in res.items()}))
        return data

    def compute_profiles(self, state: Mapping[str, Any] | None = None) -> dict[str, dict[str, np.ndarray]]:
        """Data of every ``profile:<factor>`` source at ``state`` (default the current state)."""
        state = dict(self.state if state is None else state)
        out = {}
        for n in self.explored:
            grid = self.grids[n]
            settings = self._settings(state, len(grid))
            f = self._fspec[n]
            settings[n] = grid if f["kind"] == "continuous" else np.array(f["levels"], dtype=object)
            data = {"x": np.array(grid, dtype=float)}
            data.update(self._columns(evaluate_spec(self.spec, settings, len(grid))))
            out[n] = data
        return out

    def compute_current(self, state: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Data of the ``current`` source (one row: settings, predictions, labels)."""
        state = dict(self.state if state is None else state)
        out: dict[str, Any] = {}
        for n in self.explored:
            f = self._fspec[n]
            x = float(state[n]) if f["kind"] == "continuous" else float(f["levels"].index(str(state[n])))
            out[f"x:{n}"] = np.array([x])
        out.update(self._columns(evaluate_spec(self.spec, self._settings(state, 1), 1)))
        for r in self.spec["responses"]:
            name = r["name"]
            p = out[f"pred:{name}"][0]
            if r["cov"] is None:
                text = f"{_fmt(p)}\n(no CI: no residual df)"
            else:
                text = f"{_fmt(p)}\n[{_fmt(out[f'lower:{name}'][0])}, {_fmt(out[f'upper:{name}'][0])}]"
            out[f"label:{name}"] = np.array([text], dtype=object)
        if self.spec["goals"]:
            out["label:D"] = np.array([f"D = {out['D'][0]:.3f}"], dtype=object)
        return out

    def _points(self) -> dict[str, dict[str, np.ndarray]]:
        out = {}
        for r, fit in self.fits.items():
            data = {"y": np.asarray(fit.y, dtype=float)}
            for n in self.explored:
                f = self._fspec[n]
                col = fit.data.loc[fit.y.index, n] if n in fit.data else fit.data[n]
                if f["kind"] == "continuous":
                    data[f"x:{n}"] = np.asarray(col, dtype=float)
                else:
                    data[f"x:{n}"] = np.array([float(f["levels"].index(str(v))) for v in col])
            out[r] = data
        return out

    def _y_limits(self, prof, cur, points) -> dict[str, tuple[float, float]]:
        """Initial y-range of each row: the traces, the bands shown and the points shown, padded 8%."""
        out = {}
        for r in self.responses:
            cols = [f"pred:{r}"]
            if "confidence band" in self._show:
                cols += [f"lower:{r}", f"upper:{r}"]
            if "prediction band" in self._show:
                cols += [f"pi_lower:{r}", f"pi_upper:{r}"]
            vals = [np.asarray(d[c], dtype=float) for d in list(prof.values()) + [cur] for c in cols]
            if "design points" in self._show:
                vals.append(points[r]["y"])
            v = np.concatenate(vals)
            lo, hi = float(np.min(v)), float(np.max(v))
            span = hi - lo if hi > lo else max(abs(hi), 1.0) * 0.1
            out[r] = (lo - 0.08 * span, hi + 0.08 * span)
        return out

    # ------------------------------------------------------------------ what the page draws
    #: Pixels between a panel's border and its trace, height of a row's plot area, border above and
    #: below it.
    PAD, FRAME_HEIGHT, BORDER = 6, 156, 6

    def _panel_geometry(self) -> None:
        """Pixel layout of the panels in a row: panel j covers ``[start_j, start_j + width_j)`` of the
        row's plot area, and a setting ``v`` of its factor (a level index if categorical) is drawn at
        pixel ``a + b v`` (``self.pixel_map[factor] = (a, b)``), ``v`` in the slider range being
        ``PAD`` pixels inside the panel."""
        nfac = len(self.explored)
        width = int(min(230, max(150, 900 // max(nfac, 1))))
        self.panel_widths = [max(width, _text_width(_two_lines(self._factors[n].name, self._factors[n].units)))
                             + 2 * self.PAD for n in self.explored]
        self.panel_starts = [int(sum(self.panel_widths[:j])) for j in range(nfac)]
        self.frame_width = int(sum(self.panel_widths))
        self.pixel_map: dict[str, tuple[float, float]] = {}
        self.panel_limits: dict[str, tuple[float, float]] = {}
        for j, n in enumerate(self.explored):
            f = self._fspec[n]
            lo, hi = (f["lo"], f["hi"]) if f["kind"] == "continuous" else (-0.5, len(f["levels"]) - 0.5)
            if not hi > lo:
                hi = lo + 1.0
            b = (self.panel_widths[j] - 2 * self.PAD) / (hi - lo)
            self.pixel_map[n] = (self.panel_starts[j] + self.PAD - lo * b, b)
            self.panel_limits[n] = (float(lo), float(hi))

    @property
    def _continuous(self) -> list[str]:
        return [n for n in self.explored if self._fspec[n]["kind"] == "continuous"]

    def drawn_data(self, profiles: Mapping[str, Mapping[str, np.ndarray]],
                   current: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
        """The data of the sources the rows are drawn from, given the ``profile:<factor>`` and
        ``current`` data (:meth:`compute_profiles`, :meth:`compute_current`); the page's
        JavaScript (``profiler.js`` ``drawRows``) writes the same numbers after every step.

        One figure per row draws every panel: ``trace:<row>`` holds the traces of the continuous
        factors side by side in pixel ``x`` (NaN between panels) with ``y`` (or ``d:<r>`` and
        ``D`` for the desirability row), ``band:<response>`` the confidence (``ci``) and
        prediction (``pi``) bands as NaN-separated polygons, ``marks:<row>`` the current setting
        of every factor (``x`` in pixels; ``pred``, ``lower``, ``upper`` or ``D``), and
        ``headers`` the row headers (``text``).
        """
        cont = self._continuous
        xs, bxs = [], []
        for n in cont:
            a, b = self.pixel_map[n]
            px = a + b * np.asarray(profiles[n]["x"], dtype=float)
            xs += [px, [np.nan]]
            bxs += [px, px[::-1], [np.nan]]
        x = np.concatenate(xs) if xs else np.zeros(0)
        bx = np.concatenate(bxs) if bxs else np.zeros(0)

        def trace(col: str) -> np.ndarray:
            parts = [p for n in cont for p in (np.asarray(profiles[n][col], dtype=float), [np.nan])]
            return np.concatenate(parts) if parts else np.zeros(0)

        def band(lo: str, hi: str) -> np.ndarray:
            parts = [p for n in cont for p in (np.asarray(profiles[n][lo], dtype=float),
                                               np.asarray(profiles[n][hi], dtype=float)[::-1], [np.nan])]
            return np.concatenate(parts) if parts else np.zeros(0)

        mx = np.array([self.pixel_map[n][0] + self.pixel_map[n][1] * float(current[f"x:{n}"][0])
                       for n in self.explored])
        k = len(self.explored)
        out: dict[str, dict[str, Any]] = {}
        texts = []
        for r in self.responses:
            out[f"trace:{r}"] = {"x": x, "y": trace(f"pred:{r}")}
            out[f"band:{r}"] = {"x": bx, "ci": band(f"lower:{r}", f"upper:{r}"),
                                "pi": band(f"pi_lower:{r}", f"pi_upper:{r}")}
            out[f"marks:{r}"] = {"x": mx.copy(), **{c: np.full(k, float(current[f"{c}:{r}"][0]))
                                                    for c in ("pred", "lower", "upper")}}
            texts.append(str(current[f"label:{r}"][0]))
        if self.spec["goals"]:
            out["trace:desirability"] = {"x": x, **{f"d:{g['response']}": trace(f"d:{g['response']}")
                                                    for g in self.spec["goals"]}, "D": trace("D")}
            out["marks:desirability"] = {"x": mx.copy(), "D": np.full(k, float(current["D"][0]))}
            texts.append(str(current["label:D"][0]))
        row_h = self.FRAME_HEIGHT + 2 * self.BORDER
        n_rows = len(texts)
        out["headers"] = {"y": np.array([(n_rows - i - 0.4) * row_h for i in range(n_rows)]), "text": texts}
        return out

    # ------------------------------------------------------------------ bokeh
    def _build(self) -> None:
        from bokeh.layouts import column, row
        from bokeh.models import (Button, Checkbox, CheckboxGroup, ColumnDataSource, CustomJS, Div,
                                  FixedTicker, LinearAxis, PlainText, Range1d, Select, Slider, Spacer,
                                  TextAreaInput)
        from bokeh.plotting import figure

        from pdkit.plots import PALETTE

        def cds(name: str, data: dict) -> ColumnDataSource:
            s = ColumnDataSource(data, name=name)
            self.sources[name] = s
            return s

        prof = self.compute_profiles()
        cur = self.compute_current()
        points = self._points()
        for n in self.explored:
            cds(f"profile:{n}", prof[n])
        csrc = cds("current", cur)
        for r in self.responses:
            cds(f"points:{r}", points[r])
        limits = self._y_limits(prof, cur, points)
        self.ci_renderers: list = []
        self.pi_renderers: list = []
        self.point_renderers: list = []
        show_ci, show_pi, show_pts = (o in self._show for o in BAND_OPTIONS)

        goals = [g["response"] for g in self.spec["goals"]]
        n_rows = len(self.responses) + (1 if goals else 0)
        drawn = self.drawn_data(prof, cur)
        for name, data in drawn.items():
            cds(name, data)
        # One figure (one canvas) per row with every panel of the row side by side, as in JMP, and
        # one glyph per kind of mark for all continuous panels of a row (NaN-separated traces and
        # band polygons in pixel x, :meth:`drawn_data`): a slider step updates ~4 renderers per row
        # and repaints one canvas per row plus the row headers.  The y-axes and x-axes are separate
        # figures that repaint only when a range changes.  Categorical panels keep a glyph each,
        # on the extra x-range "x:<factor>" that maps level indices onto the panel's pixels.
        PAD, FRAME_H, BORDER = self.PAD, self.FRAME_HEIGHT, self.BORDER
        # room for a y-axis (tick labels and a two-line title): the same in every row, wide enough
        # for the longest tick label expected in any row (under 7 px a character at 8 pt)
        AXIS_BORDER = max([92] + [7 * _tick_label_chars(*limits[r]) + 50 for r in self.responses])
        frame_w, starts = self.frame_width, self.panel_starts

        def extra_ranges() -> dict[str, Any]:
            out = {}
            for n in self.explored:
                a, b = self.pixel_map[n]
                out[f"x:{n}"] = Range1d(-a / b, (frame_w - a) / b, name=f"x_range:{n}")
            return out

        def y_axis(y_range, ylabel: str) -> Any:
            """The row's y-axis alone (repainted only when the y-range changes)."""
            p = figure(frame_width=1, frame_height=FRAME_H, x_range=Range1d(0, 1), y_range=y_range,
                       toolbar_location=None, tools="", min_border_left=AXIS_BORDER, min_border_right=0,
                       min_border_bottom=BORDER, min_border_top=BORDER, title_location=None,
                       outline_line_color=None, name=f"y_axis:{ylabel}")
            p.grid.visible = False
            p.xaxis.visible = False
            p.yaxis.axis_label = PlainText(ylabel)
            p.yaxis.axis_label_text_font_size = "9pt"
            p.yaxis.major_label_text_font_size = "8pt"
            p.scatter(x=[], y=[])  # an axis alone: nothing to draw
            return p

        def row_figure(y_range, name: str) -> Any:
            p = figure(frame_width=frame_w, frame_height=FRAME_H, x_range=Range1d(0, frame_w), y_range=y_range,
                       toolbar_location=None, tools="", min_border_left=0, min_border_right=8,
                       min_border_bottom=BORDER, min_border_top=BORDER, title_location=None, name=name)
            p.extra_x_ranges = extra_ranges()
            p.grid.visible = False  # grid lines are the costliest part of a repaint (measured in Chromium)
            p.axis.visible = False
            if len(starts) > 1:  # panel borders
                p.vspan(x=starts[1:], line_color="#b0b0b0", line_width=1)
            return p

        rlabels = {r["name"]: _two_lines(r["name"], r["units"]) for r in self.spec["responses"]}
        cats = [n for n in self.explored if self._fspec[n]["kind"] != "continuous"]
        rows = []
        for i, r in enumerate(self.responses):
            yr = Range1d(*limits[r], name=f"y_range:{r}")
            self.y_ranges[r] = yr
            p = row_figure(yr, f"row:{r}")
            colour = PALETTE[i % 5]
            band, marks = self.sources[f"band:{r}"], self.sources[f"marks:{r}"]
            # patch glyphs (NaN-separated polygons), not Band annotations: cheaper to repaint
            self.pi_renderers.append(p.patch("x", "pi", source=band, fill_alpha=0.12, fill_color=colour,
                                             line_color=None, visible=show_pi, name=f"pi:{r}"))
            self.ci_renderers.append(p.patch("x", "ci", source=band, fill_alpha=0.28, fill_color=colour,
                                             line_color=None, visible=show_ci, name=f"ci:{r}"))
            p.line("x", "y", source=self.sources[f"trace:{r}"], color=colour, line_width=2, name=f"line:{r}")
            for n in cats:
                src, xr = self.sources[f"profile:{n}"], f"x:{n}"
                self.pi_renderers.append(p.segment("x", f"pi_lower:{r}", "x", f"pi_upper:{r}", source=src,
                                                   color=colour, line_width=2, alpha=0.4, visible=show_pi,
                                                   name=f"pi:{r}:{n}", x_range_name=xr))
                self.ci_renderers.append(p.segment("x", f"lower:{r}", "x", f"upper:{r}", source=src,
                                                   color=colour, line_width=7, alpha=0.3, visible=show_ci,
                                                   name=f"ci:{r}:{n}", x_range_name=xr))
                p.line("x", f"pred:{r}", source=src, color=colour, line_dash="dotted", x_range_name=xr)
                p.scatter("x", f"pred:{r}", source=src, color=colour, size=7, x_range_name=xr)
            for n in self.explored:  # design points: static, redrawn only when toggled
                self.point_renderers.append(p.scatter(f"x:{n}", "y", source=self.sources[f"points:{r}"], size=4,
                                                      color="black", alpha=0.45, visible=show_pts,
                                                      x_range_name=f"x:{n}", name=f"points:{r}:{n}"))
            p.vspan(x="x", source=marks, line_color=PALETTE[3], line_dash="dashed")
            p.segment("x", "lower", "x", "upper", source=marks, color=PALETTE[3], line_width=2)
            p.scatter("x", "pred", source=marks, color=PALETTE[3], size=8)
            rows.append((y_axis(yr, rlabels[r]), p))
        header_extra: list[tuple[str, str]] = []
        if goals:
            colours = {r: PALETTE[self.responses.index(r) % 5] for r in goals}
            header_extra = [(f"d {r}", colours[r]) for r in goals] + [("D overall", "black")]
            yr = Range1d(-0.03, 1.05, name="y_range:desirability")
            p = row_figure(yr, "row:desirability")
            trace, marks = self.sources["trace:desirability"], self.sources["marks:desirability"]
            for r in goals:
                p.line("x", f"d:{r}", source=trace, color=colours[r], line_width=1, alpha=0.8)
            p.line("x", "D", source=trace, color="black", line_width=2.5)
            for n in cats:
                src, xr = self.sources[f"profile:{n}"], f"x:{n}"
                for r in goals:
                    p.line("x", f"d:{r}", source=src, color=colours[r], line_width=1, alpha=0.8, line_dash="dotted",
                           x_range_name=xr)
                p.line("x", "D", source=src, color="black", line_width=1.5, line_dash="dotted", x_range_name=xr)
                p.scatter("x", "D", source=src, color="black", size=6, x_range_name=xr)
            p.vspan(x="x", source=marks, line_color=PALETTE[3], line_dash="dashed")
            p.scatter("x", "D", source=marks, color=PALETTE[3], size=8)
            rows.append((y_axis(yr, "desirability"), p))

        # the row headers (current value and limits): one canvas for all rows, aligned with them;
        # as in JMP the response name (with units) is the y-axis label of the row
        row_h = FRAME_H + 2 * BORDER
        # wide enough for the longest header line now, with room for a sign and more digits later
        longest = max([len(line) for text in self.sources["headers"].data["text"] for line in str(text).split("\n")]
                      + [math.ceil(0.8 * len(txt)) for txt, _ in header_extra])  # legend lines are 7 pt
        head = figure(frame_width=max(110, 7 * (longest + 3) + 6), frame_height=n_rows * row_h - 2 * BORDER,
                      x_range=Range1d(0, 1),
                      y_range=Range1d(BORDER, n_rows * row_h - BORDER), toolbar_location=None, tools="",
                      outline_line_color=None, min_border_left=4, min_border_right=0, min_border_bottom=BORDER,
                      min_border_top=BORDER, title_location=None, name="row_headers")
        head.axis.visible = False
        head.grid.visible = False
        head.text(x=0.02, y="y", text="text", source=self.sources["headers"], text_font_size="9pt",
                  text_color=PALETTE[3], text_font_style="bold", text_baseline="middle", name="header_text")
        for k, (txt, colour) in enumerate(header_extra):
            head.text(x=[0.02], y=[row_h * (0.36 - 0.09 * k)], text=[txt], text_font_size="7pt", text_color=colour,
                      text_baseline="middle")

        # the x-axes, drawn once under the rows (never repainted on a step)
        strip = figure(frame_width=frame_w, frame_height=66, x_range=Range1d(0, frame_w), y_range=Range1d(0, 1),
                       toolbar_location=None, tools="", min_border_left=0, min_border_right=8, min_border_top=0,
                       min_border_bottom=4, title_location=None, outline_line_color=None, name="x_axes")
        strip.extra_x_ranges = extra_ranges()
        strip.grid.visible = False
        strip.axis.visible = False
        for j, n in enumerate(self.explored):
            f, fac = self._fspec[n], self._factors[n]
            ax = LinearAxis(x_range_name=f"x:{n}", fixed_location=1.0, major_label_text_font_size="8pt",
                            name=f"x_axis:{n}")
            if f["kind"] == "continuous":
                ax.bounds = (f["lo"], f["hi"])
                ax.ticker = FixedTicker(ticks=_inner_ticks(f["lo"], f["hi"]))
            else:
                k = len(f["levels"])
                ax.bounds = (0, k - 1) if k > 1 else (-0.5, 0.5)
                ax.ticker = FixedTicker(ticks=list(range(k)))
                ax.major_label_overrides = {i: lev for i, lev in enumerate(f["levels"])}
            strip.add_layout(ax, "below")
            strip.text(x=[starts[j] + self.panel_widths[j] / 2], y=[0.5], text=[_two_lines(fac.name, fac.units)],
                       text_font_size="9pt", text_align="center", text_baseline="top", text_color="#444444",
                       name=f"x_label:{n}")
        self.row_figures = [p for _, p in rows]
        self.header_figure = head
        self.axis_strip = strip
        # every y-axis figure is AXIS_BORDER + 1 pixels wide, so the rows and the x-axis strip start at
        # the same pixel (fixed sizes: a CSS grid would squeeze columns in a narrow notebook output)
        self.grid = row(column(head, Spacer(height=1)),
                        column(*[row(ax, p, spacing=0) for ax, p in rows],
                               row(Spacer(width=AXIS_BORDER + 1), strip, spacing=0), spacing=0),
                        spacing=0)

        # ---- controls
        controls = []
        for n in self.explored:
            f, fac = self._fspec[n], self._factors[n]
            if f["kind"] == "continuous":
                lo, hi = f["lo"], f["hi"]
                step = 10 ** math.floor(math.log10((hi - lo) / 200))
                digits = max(0, -int(math.floor(math.log10(step))))
                w = Slider(start=lo, end=hi, value=float(self.state[n]), step=step, title=fac.label(),
                           format="0[.]" + "0" * max(digits, 1), width=330, name=f"slider:{n}")
            else:
                w = Select(title=fac.label(), value=str(self.state[n]), options=list(f["levels"]), width=330,
                           name=f"select:{n}")
            lock = Checkbox(label="lock", active=False, name=f"lock:{n}", width=70, margin=(24, 5, 5, 5))
            self.sliders[n] = w
            self.locks[n] = lock
            controls.append(row(w, lock))
        self.options = CheckboxGroup(labels=list(BAND_OPTIONS), active=[i for i, o in enumerate(BAND_OPTIONS)
                                                                        if o in self._show],
                                     inline=True, name="options")
        self.status = Div(text="", render_as_text=True, width=600, name="status")
        self.export_button = Button(label="Export settings (CSV)", width=190, name="export")
        self.export_text = TextAreaInput(value="", rows=6, width=640, name="export_text",
                                         title="settings and predictions (CSV)")
        names = [f["name"] for f in self.spec["factors"]]
        widgets = [self.sliders.get(n) for n in names]
        locks = [self.locks.get(n) for n in names]
        profiles = [self.sources[f"profile:{n}"] for n in self.explored]
        ranges = [self.y_ranges[r] for r in self.responses]
        pts = [self.sources[f"points:{r}"] for r in self.responses]
        lib = profiler_js()
        row_names = self.responses + (["desirability"] if goals else [])
        geometry = json.dumps({"px": [list(self.pixel_map[n]) for n in self.explored],
                               "continuous": [self._fspec[n]["kind"] == "continuous" for n in self.explored]})
        common = dict(spec=self.spec_json, widgets=widgets, profiles=profiles, current=csrc, ranges=ranges,
                      points=pts, options=self.options)
        self.update_callback = CustomJS(
            args=dict(common, geometry=geometry, traces=[self.sources[f"trace:{r}"] for r in row_names],
                      bands=[self.sources[f"band:{r}"] for r in self.responses],
                      marks=[self.sources[f"marks:{r}"] for r in row_names], headers=self.sources["headers"]),
            code=lib + "\nreturn PDKIT.schedule({spec, widgets, profiles, current, ranges, points, options, "
                       "geometry, traces, bands, marks, headers});")
        for w in self.sliders.values():
            w.js_on_change("value", self.update_callback)
        self.options.js_on_change("active", CustomJS(
            args=dict(common, ci_renderers=self.ci_renderers, pi_renderers=self.pi_renderers,
                      point_renderers=self.point_renderers),
            code=lib + "\nPDKIT.toggle({spec, widgets, profiles, current, ranges, points, options, ci_renderers, "
                       "pi_renderers, point_renderers});"))
        self.export_button.js_on_click(CustomJS(
            args=dict(spec=self.spec_json, widgets=widgets, locks=locks, current=csrc, text=self.export_text,
                      download=True),
            code=lib + "\nPDKIT.exportText({spec, widgets, locks, current, text, download});"))
        buttons = [self.export_button]
        self.maximize_button = None
        if self._js_maximize:
            self.maximize_button = Button(label="Maximize desirability", button_type="primary", width=190,
                                          name="maximize")
            self.maximize_button.js_on_click(CustomJS(
                args=dict(spec=self.spec_json, widgets=widgets, locks=locks, status=self.status),
                code=lib + "\nPDKIT.maximize({spec, widgets, locks, status});"))
            buttons.insert(0, self.maximize_button)
        self.controls = column(*controls, self.options, row(*buttons), self.status)
        self.layout = column(self.controls, self.grid, self.export_text)

    # ------------------------------------------------------------------ output
    def export_settings(self) -> str:
        """The CSV the *Export settings* button writes, computed in Python at :attr:`state`."""
        return export_csv(self.spec, self.state, self.compute_current(),
                          {n: bool(lk.active) for n, lk in self.locks.items()})

    def to_html(self, title: str = "pdkit prediction profiler") -> str:
        """A standalone HTML page with BokehJS (core and widgets) inline: works offline."""
        from bokeh.embed import file_html
        from bokeh.resources import Resources

        return file_html(self.layout, Resources(mode="inline"), title)  # unused bundles are left out

    def save(self, path: str | Path, title: str = "pdkit prediction profiler") -> Path:
        """Write :meth:`to_html` to ``path`` and return it."""
        path = Path(path)
        path.write_text(self.to_html(title), encoding="utf-8")
        return path
