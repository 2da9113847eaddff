"""Upstream run data (xarray) and cell-culture / fermentation calculations.

Run data are held in an :class:`xarray.Dataset` with dims ``(run, time)``: one
data variable per measured quantity (``vcd``, ``viability``, ``vg_titer`` ...),
each with ``attrs["units"]``; the time coordinate carries ``attrs["units"]``
(``"day"`` or ``"hour"``) and run metadata (``scale``, ``working_volume``,
``cell_line``, ``process`` ...) are coordinates on ``run``.  Missing samples
are NaN and stay aligned on the shared time axis.

Calculations accept an :class:`xarray.DataArray` with dims ``(run, time)`` (one
result per run, computed through dask when the data are chunked) or one run as a
:class:`pandas.Series` indexed by time or a numpy array with ``time=``.

Formulas (see the domain primer):

* viability = viable / (viable + dead) x 100 %;
* IVCD by the cumulative trapezoid rule, sum 0.5 (X_i + X_i+1)(t_i+1 - t_i), in
  cells·day/mL (time converted to days);
* growth rate mu = slope of ln VCD against time over the exponential phase;
  doubling time t_d = ln 2 / mu;
* specific productivity qP = OLS slope of product against IVCD (statsmodels);
* AAV: % full = vg / capsid x 100; vg/cell with a declared denominator;
  lentivirus: TU per pg p24; plasmid: DCW = OD600 x factor, specific yield
  = pDNA (mg/L) / DCW (g/L) in mg/g.

Examples
--------
>>> import numpy as np
>>> from pdkit.upstream import ivcd, growth_rate, doubling_time
>>> t = np.array([0.0, 1.0, 2.0])
>>> x = np.array([1e6, 2e6, 4e6])
>>> ivcd(x, time=t).tolist()
[0.0, 1500000.0, 4500000.0]
>>> g = growth_rate(x, time=t)
>>> round(g.rate, 4), round(doubling_time(g), 4)
(0.6931, 1.0)
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from pdkit.io.tables import check_unique, describe_rows, numeric_column, read_table, require_columns
from pdkit.errors import InputError
from pdkit.results import ResultMixin, fmt
from pdkit.units import convert, parse_unit

__all__ = [
    "RUN_COLUMNS",
    "METADATA_COLUMNS",
    "load_runs",
    "save_runs",
    "viability",
    "ivcd",
    "GrowthRate",
    "growth_rate",
    "doubling_time",
    "PeakVCD",
    "peak_vcd",
    "SpecificProductivity",
    "qp_unit",
    "specific_productivity",
    "percent_full",
    "vg_per_cell",
    "tu_per_p24",
    "dcw_from_od",
    "specific_yield",
    "supercoiled_percent",
    "run_summary",
    "compare_scales",
]

RUN_COLUMNS = ("run", "time", "variable", "value", "unit")
METADATA_COLUMNS = (
    "scale",
    "working_volume",
    "cell_line",
    "strain",
    "process",
    "date",
    "transfection_time",
)
_TIME_UNITS = {"day": "day", "days": "day", "d": "day", "hour": "hour", "hours": "hour", "h": "hour", "hr": "hour"}
_DENOMINATORS = ("cells_at_transfection", "cells_at_harvest")
_MAX_AUTO_POINTS = 500


# ---------------------------------------------------------------------------
# Loading and saving
# ---------------------------------------------------------------------------
def _time_unit_name(unit: Any, where: str) -> str:
    text = "" if unit is None else str(unit).strip().lower()
    if text not in _TIME_UNITS:
        raise InputError(f"{where}: time unit must be 'day' or 'hour', got {unit!r}")
    return _TIME_UNITS[text]


def _read_metadata(metadata: str | Path | pd.DataFrame) -> pd.DataFrame:
    if isinstance(metadata, pd.DataFrame):
        meta = metadata.copy()
        meta.attrs.setdefault("source", "metadata")
    else:
        meta = read_table(metadata, what="run metadata")
    require_columns(meta, ["run"])
    meta["run"] = meta["run"].astype(str).str.strip()
    check_unique(meta, ["run"])
    return meta


def _coord_values(values: pd.Series) -> np.ndarray:
    """Metadata column -> numpy array netCDF can store (float or fixed-width str)."""
    num = pd.to_numeric(values, errors="coerce")
    if num.notna().sum() == values.notna().sum() and values.notna().any():
        return num.to_numpy(dtype=float)
    return np.array(["" if pd.isna(v) else str(v) for v in values], dtype=str)


def load_runs(
    path: str | Path,
    chunks: dict | str | None = None,
    *,
    time_unit: str | None = None,
    metadata: str | Path | pd.DataFrame | None = None,
) -> xr.Dataset:
    """Load bioreactor/fermenter run data into a Dataset with dims ``(run, time)``.

    Parameters
    ----------
    path : str or Path
        A long-format table (``.csv``, ``.xlsx``) with columns ``run``, ``time``,
        ``variable``, ``value``, ``unit`` (one row per measurement) and optional
        run-metadata columns (``scale``, ``working_volume``, ``cell_line``,
        ``strain``, ``process``, ``date``, ``transfection_time``, constant within a
        run) and an optional ``time_unit`` column; or a netCDF file written by
        :func:`save_runs`.  An Excel workbook may hold the metadata in a sheet
        named ``metadata``.
    chunks : dict or str, optional
        Open lazily with dask using these chunks (e.g. ``{"run": 100}``).
    time_unit : {"day", "hour"}, optional
        The unit of ``time``.  Required unless the table has a ``time_unit``
        column (mixed time units in that column are converted to the first).
    metadata : path or DataFrame, optional
        A separate run-metadata table with a ``run`` column.

    Returns
    -------
    xarray.Dataset
        One variable per ``variable`` (units in ``attrs["units"]``; mixed units
        converted to the variable's most frequent unit, ties to the first row's),
        missing samples NaN on the union of sample times, time coordinate
        with ``attrs["units"]``, metadata as coordinates on ``run``.

    Raises
    ------
    InputError
        Missing columns, non-numeric time or value, unknown or unconvertible
        units (naming the rows), duplicated ``(run, time, variable)`` rows,
        metadata that changes within a run, no declared time unit.

    Examples
    --------
    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "runs.csv")
    >>> _ = open(p, "w").write("run,time,variable,value,unit,scale\\n"
    ...     "R1,0,vcd,0.5,1e6 cells/mL,2 L\\nR1,1,vcd,900000,cells/mL,2 L\\n"
    ...     "R1,2,vcd,1800000,cells/mL,2 L\\n")
    >>> ds = load_runs(p, time_unit="day")
    >>> ds["vcd"].values.tolist(), ds["vcd"].attrs["units"], ds.time.attrs["units"]
    ([[500000.0, 900000.0, 1800000.0]], 'cells/mL', 'day')
    """
    p = Path(path)
    if p.suffix.lower() in {".nc", ".nc4", ".netcdf", ".h5"}:
        return _open_netcdf(p, chunks)
    df = read_table(p, what="run data")
    src = df.attrs["source"]
    require_columns(df, list(RUN_COLUMNS))
    df = df.copy()
    df.attrs["source"] = src
    for col in ("run", "variable"):
        blank = df[col].isna() | df[col].astype(str).str.strip().eq("")
        if blank.any():
            rows = [int(i) + 1 for i in np.flatnonzero(blank.to_numpy())]
            raise InputError(f"{src}, column '{col}', {describe_rows(rows)}: value is missing")
        df[col] = df[col].astype(str).str.strip()
    df["time"] = numeric_column(df, "time")
    df["value"] = numeric_column(df, "value", allow_missing=True)
    check_unique(df, ["run", "time", "variable"])

    # time unit
    if time_unit is not None:
        unit_t = _time_unit_name(time_unit, "parameter 'time_unit'")
        if "time_unit" in df.columns:
            per_row = [_time_unit_name(u, f"{src}, column 'time_unit', row {i + 1}") for i, u in enumerate(df["time_unit"])]
            if any(u != unit_t for u in per_row):
                raise InputError(f"{src}: column 'time_unit' disagrees with parameter time_unit={time_unit!r}")
    elif "time_unit" in df.columns:
        per_row = [_time_unit_name(u, f"{src}, column 'time_unit', row {i + 1}") for i, u in enumerate(df["time_unit"])]
        unit_t = per_row[0]
        factors = np.array([1.0 if u == unit_t else (24.0 if unit_t == "hour" else 1 / 24.0) for u in per_row])
        df["time"] = df["time"] * factors
        check_unique(df, ["run", "time", "variable"])
    else:
        raise InputError(
            f"{src}: the time unit is not declared; add a 'time_unit' column or pass time_unit='day' or 'hour'"
        )
    if (df["time"] < 0).any():
        rows = [int(i) + 1 for i in np.flatnonzero((df["time"] < 0).to_numpy())]
        raise InputError(f"{src}, column 'time', {describe_rows(rows)}: expected a time >= 0")

    # units per variable: convert to the unit of the variable's first row
    units: dict[str, str] = {}
    values = df["value"].to_numpy(dtype=float).copy()
    for var, idx in df.groupby("variable", sort=False).indices.items():
        unit_col = df["unit"].iloc[idx]
        text = ["" if pd.isna(u) else str(u).strip() for u in unit_col]
        counts = pd.Series(text).value_counts(sort=False)
        canonical = str(counts.index[int(np.argmax(counts.to_numpy()))])
        units[var] = canonical
        for u in dict.fromkeys(text):
            rows = [int(idx[k]) + 1 for k, t in enumerate(text) if t == u]
            where = f"{src}, column 'unit', {describe_rows(rows)} (variable '{var}')"
            parse_unit(u, where)
            if u != canonical:
                sel = np.asarray(rows) - 1
                values[sel] = convert(values[sel], u, canonical, where)
    df["value"] = values

    # metadata
    meta_cols = [c for c in METADATA_COLUMNS if c in df.columns]
    meta = None
    if meta_cols:
        meta = df[["run", *meta_cols]]
        n_per_run = meta.groupby("run", sort=False)[meta_cols].nunique(dropna=False)
        bad = n_per_run[(n_per_run > 1).any(axis=1)]
        if len(bad):
            run = bad.index[0]
            col = [c for c in meta_cols if bad.loc[run, c] > 1][0]
            rows = [int(i) + 1 for i in np.flatnonzero((df["run"] == run).to_numpy())]
            raise InputError(f"{src}, column '{col}': run '{run}' has more than one value ({describe_rows(rows)})")
        meta = meta.drop_duplicates("run").set_index("run")
    if metadata is None and p.suffix.lower() in {".xlsx", ".xlsm", ".xls"}:
        with pd.ExcelFile(p) as book:
            if "metadata" in book.sheet_names:
                metadata = read_table(p, sheet="metadata", what="run metadata")
    if metadata is not None:
        extra = _read_metadata(metadata).set_index("run")
        unknown = sorted(set(extra.index) - set(df["run"]))
        if unknown:
            raise InputError(f"{extra.attrs.get('source', 'metadata')}: runs {unknown} have no data in {src}")
        meta = extra if meta is None else meta.join(extra.drop(columns=[c for c in extra if c in meta]), how="left")

    wide = df.set_index(["run", "time", "variable"])["value"].unstack("variable")
    runs = list(dict.fromkeys(df["run"]))
    times = np.sort(df["time"].unique())
    ds = xr.Dataset(coords={"run": np.array(runs, dtype=str), "time": times.astype(float)})
    full = pd.MultiIndex.from_product([runs, times], names=["run", "time"])
    wide = wide.reindex(full)
    for var in units:
        ds[var] = (("run", "time"), wide[var].to_numpy(dtype=float).reshape(len(runs), len(times)))
        ds[var].attrs["units"] = units[var]
    if meta is not None:
        meta = meta.reindex(runs)
        for col in meta.columns:
            ds = ds.assign_coords({str(col): ("run", _coord_values(meta[col]))})
    ds.time.attrs["units"] = unit_t
    ds.attrs["time_unit"] = unit_t
    ds.attrs["source"] = src
    if chunks is not None:
        ds = ds.chunk(chunks)
    return ds


def _open_netcdf(p: Path, chunks) -> xr.Dataset:
    if not p.exists():
        raise InputError(f"run data file '{p}' does not exist")
    try:
        ds = xr.open_dataset(p, chunks=chunks)
    except Exception as exc:
        raise InputError(f"run data file '{p.name}' could not be read as netCDF: {exc}") from None
    for dim in ("run", "time"):
        if dim not in ds.dims:
            raise InputError(f"run data file '{p.name}': expected dims ('run', 'time'), got {tuple(ds.dims)}")
    if "units" not in ds.time.attrs:
        raise InputError(f"run data file '{p.name}': the time coordinate has no 'units' attribute (day or hour)")
    ds.time.attrs["units"] = _time_unit_name(ds.time.attrs["units"], f"{p.name}, time units")
    ds.attrs.setdefault("time_unit", ds.time.attrs["units"])
    ds.attrs["source"] = p.name
    return ds


def save_runs(ds: xr.Dataset, path: str | Path) -> Path:
    """Write a run Dataset to netCDF so that :func:`load_runs` reads it back unchanged.

    Examples
    --------
    >>> import tempfile, os, numpy as np, xarray as xr
    >>> ds = xr.Dataset({"vcd": (("run", "time"), [[1e6, 2e6]])},
    ...                 coords={"run": ["R1"], "time": [0.0, 1.0]})
    >>> ds.time.attrs["units"] = "day"
    >>> p = save_runs(ds, os.path.join(tempfile.mkdtemp(), "runs.nc"))
    >>> load_runs(p)["vcd"].values.tolist()
    [[1000000.0, 2000000.0]]
    """
    if not isinstance(ds, xr.Dataset):
        raise InputError(f"save_runs: expected an xarray.Dataset, got {type(ds).__name__}")
    for dim in ("run", "time"):
        if dim not in ds.dims:
            raise InputError(f"save_runs: expected dims ('run', 'time'), got {tuple(ds.dims)}")
    p = Path(path)
    out = ds.copy()
    out.attrs = {k: v for k, v in ds.attrs.items() if k != "source"}
    for name in list(out.coords):
        if out[name].dtype == object or str(out[name].dtype).startswith(("string", "str")):
            out = out.assign_coords({name: (out[name].dims, np.asarray(out[name].values, dtype=str))})
            out[name].attrs.update(ds[name].attrs)
    from pdkit.io.files import atomic_path

    with atomic_path(p) as tmp:  # a reader never sees a half-written file
        out.to_netcdf(tmp)
    return p


# ---------------------------------------------------------------------------
# Input normalisation
# ---------------------------------------------------------------------------
def _check_time(t: np.ndarray, what: str) -> np.ndarray:
    t = np.asarray(t, dtype=float)
    if t.ndim != 1:
        raise InputError(f"{what}: time must be one-dimensional")
    if not np.isfinite(t).all():
        k = int(np.flatnonzero(~np.isfinite(t))[0])
        raise InputError(f"{what}: time at position {k + 1} is not a finite number")
    d = np.diff(t)
    if (d == 0).any():
        k = int(np.flatnonzero(d == 0)[0])
        raise InputError(f"{what}: time {t[k]:g} is duplicated (positions {k + 1} and {k + 2})")
    if (d < 0).any():
        k = int(np.flatnonzero(d < 0)[0])
        raise InputError(f"{what}: times out of order, {t[k + 1]:g} at position {k + 2} follows {t[k]:g}")
    return t


def _as_runs(x: Any, time: Any, what: str) -> tuple[xr.DataArray, bool]:
    """Return ``(DataArray with dims (run, time), single_run)``; validates time."""
    if isinstance(x, xr.Dataset):
        raise InputError(f"{what}: expected one variable (a DataArray), got a Dataset; select it, e.g. ds['vcd']")
    if isinstance(x, xr.DataArray):
        if time is not None:
            raise InputError(f"{what}: 'time' is taken from the DataArray's time coordinate; do not pass time=")
        if x.dims == ("time",):
            da, single = x.expand_dims(run=["run"]), True
        elif set(x.dims) == {"run", "time"}:
            da, single = x.transpose("run", "time"), False
        else:
            raise InputError(f"{what}: expected dims ('run', 'time') or ('time',), got {x.dims}")
        if "time" not in da.coords:
            raise InputError(f"{what}: the DataArray has no time coordinate")
        _check_time(da["time"].values, what)
        return da, single
    if isinstance(x, pd.DataFrame):
        raise InputError(f"{what}: expected a Series (one run) or a DataArray (runs x time), got a DataFrame")
    if isinstance(x, pd.Series):
        values = pd.to_numeric(x, errors="coerce").to_numpy(dtype=float)
        bad = np.isnan(values) & x.notna().to_numpy()
        if bad.any():
            raise InputError(f"{what}: value at time {x.index[np.flatnonzero(bad)[0]]} is not a number")
        t = x.index.to_numpy() if time is None else np.asarray(time)
        name = str(x.name) if x.name is not None else "run"
    else:
        try:
            values = np.asarray(x, dtype=float)
        except (TypeError, ValueError):
            raise InputError(f"{what}: expected numbers") from None
        if values.ndim != 1:
            raise InputError(f"{what}: a numpy array must be one run (1-D); use a DataArray for several runs")
        if time is None:
            raise InputError(f"{what}: pass time= with a numpy array or list")
        t = np.asarray(time)
        name = "run"
    try:
        t = np.asarray(t, dtype=float)
    except (TypeError, ValueError):
        raise InputError(f"{what}: time must be numeric (hours or days)") from None
    if t.shape != values.shape:
        raise InputError(f"{what}: {values.size} values but {t.size} times")
    t = _check_time(t, what)
    da = xr.DataArray(values[None, :], dims=("run", "time"), coords={"run": [name], "time": t})
    return da, True


def _time_unit_of(da: xr.DataArray, time_unit: str | None, what: str) -> str:
    if time_unit is not None:
        return _time_unit_name(time_unit, f"{what}: parameter 'time_unit'")
    for attrs in (da["time"].attrs, da.attrs):
        for key in ("units", "time_unit"):
            if key in attrs:
                return _time_unit_name(attrs[key], f"{what}: time units")
    return "day"


def _check_values(da: xr.DataArray, what: str, *, positive: bool = False, purpose: str = "") -> None:
    """Raise naming run and time for negative (or, with positive, zero) values; NaN is allowed."""
    bad = ((da <= 0) if positive else (da < 0)) | np.isinf(da)
    if not bool(bad.any()):
        return
    mask = np.asarray(bad.values)
    r, k = (int(v[0]) for v in np.nonzero(mask))
    value = float(da.values[r, k])
    run = da["run"].values[r]
    time = da["time"].values[k]
    need = "a finite value > 0" if positive else "a finite value >= 0"
    why = f" ({purpose})" if purpose else ""
    raise InputError(f"{what}: run '{run}', time {time:g}: expected {need}{why}, got {value:g}")


def _units(da: xr.DataArray) -> str | None:
    u = da.attrs.get("units")
    return None if u is None else str(u)


def _to_cells_per_ml(da: xr.DataArray, what: str) -> tuple[xr.DataArray, str]:
    u = _units(da)
    if u is None:
        return da, "cells/mL"
    q = parse_unit(u, f"{what} units")
    if q.dimensionality == parse_unit("cells/mL").dimensionality:
        factor = float(convert(1.0, u, "cells/mL", f"{what} units"))
        out = da * factor if factor != 1.0 else da
        return out, "cells/mL"
    return da, u


def _out(da: xr.DataArray, single: bool, like: Any):
    """Return a result in the caller's kind: DataArray, Series or numpy array."""
    if not single:
        return da
    one = da.isel(run=0, drop=True)
    if isinstance(like, xr.DataArray):
        return one
    if isinstance(like, pd.Series):
        return pd.Series(one.values, index=like.index, name=like.name)
    return np.asarray(one.values)


# ---------------------------------------------------------------------------
# Basic culture metrics
# ---------------------------------------------------------------------------
def viability(viable: Any, dead: Any, *, time: Any = None):
    """Viability in percent, viable / (viable + dead) x 100.

    Parameters
    ----------
    viable, dead : DataArray (run, time), Series or array
        Viable and dead cell densities in the same units.

    Examples
    --------
    >>> viability([9e5, 8e5], [1e5, 2e5], time=[0, 1]).tolist()
    [90.0, 80.0]
    """
    v, single = _as_runs(viable, time, "viable cells")
    d, _ = _as_runs(dead, time, "dead cells")
    try:
        v, d = xr.align(v, d, join="exact")
    except ValueError:
        raise InputError("viability: viable and dead cells have different runs or times") from None
    if _units(viable if isinstance(viable, xr.DataArray) else v) and _units(dead if isinstance(dead, xr.DataArray) else d):
        d = d * float(convert(1.0, _units(d) or "", _units(v) or "", "dead cells units"))
    _check_values(v, "viable cells")
    _check_values(d, "dead cells")
    total = v + d
    if bool((total == 0).any()):
        _check_values(total, "viable + dead cells", positive=True, purpose="viability needs cells")
    out = 100.0 * v / total
    out.attrs = {"units": "percent", "long_name": "viability"}
    return _out(out, single, viable)


def _trapz_cumulative(x: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Cumulative trapezoid along the last axis over the non-NaN samples of each row.

    The first valid sample is 0; missing samples stay NaN; a gap is bridged by a
    trapezoid between the neighbouring valid samples.
    """
    x = np.asarray(x, dtype=float)
    valid = ~np.isnan(x)
    pos = np.broadcast_to(np.arange(x.shape[-1]), x.shape)
    last = np.maximum.accumulate(np.where(valid, pos, -1), axis=-1)
    prev = np.concatenate([np.full(x.shape[:-1] + (1,), -1), last[..., :-1]], axis=-1)
    has_prev = valid & (prev >= 0)
    p = np.where(prev >= 0, prev, 0)
    xp = np.take_along_axis(x, p, axis=-1)
    tp = t[p]
    area = np.where(has_prev, 0.5 * (xp + x) * (t - tp), 0.0)
    cum = np.cumsum(area, axis=-1)
    return np.where(valid, cum, np.nan)


def ivcd(vcd: Any, *, time: Any = None, time_unit: str | None = None):
    """Integral of viable cell density, cumulative trapezoid rule, in cells·day/mL.

    ``IVCD(t_k) = sum_{i<k} 0.5 (X_i + X_{i+1}) (t_{i+1} - t_i)``; the first
    sample is 0.  Missing samples stay NaN and the integral bridges them with one
    trapezoid between the neighbouring measured samples.

    Parameters
    ----------
    vcd : DataArray (run, time), Series (indexed by time) or array
        Viable cell density; a DataArray's ``attrs["units"]`` (e.g. ``1e6
        cells/mL``) is converted to cells/mL.
    time : array, optional
        Sample times for an array input.
    time_unit : {"day", "hour"}, optional
        Unit of the times; default the time coordinate's ``units`` attribute,
        otherwise days.  Hours are converted to days.

    Returns
    -------
    Same kind as ``vcd``; a DataArray has ``attrs["units"] = "cells*day/mL"``.
    Computed lazily through dask when ``vcd`` is chunked.

    Examples
    --------
    >>> ivcd([1e6, 2e6, 4e6], time=[0, 24, 48], time_unit="hour").tolist()
    [0.0, 1500000.0, 4500000.0]
    """
    da, single = _as_runs(vcd, time, "vcd")
    unit_t = _time_unit_of(da, time_unit, "vcd")
    da, vunit = _to_cells_per_ml(da, "vcd")
    _check_values(da, "vcd")
    t_days = da["time"].values.astype(float) / (24.0 if unit_t == "hour" else 1.0)
    if da.chunks is not None:
        da = da.chunk({"time": -1})
    out = xr.apply_ufunc(
        _trapz_cumulative,
        da,
        kwargs={"t": t_days},
        input_core_dims=[["time"]],
        output_core_dims=[["time"]],
        dask="parallelized",
        output_dtypes=[float],
    )
    out = out.transpose("run", "time")
    out.attrs = {"units": f"{vunit}*day" if vunit != "cells/mL" else "cells*day/mL", "long_name": "IVCD"}
    out["time"].attrs.update(da["time"].attrs)
    return _out(out, single, vcd)


# ---------------------------------------------------------------------------
# Growth rate
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class GrowthRate(ResultMixin):
    """Specific growth rate of one run.

    Attributes
    ----------
    rate : float
        mu, slope of ln X against time (per ``time_unit``).
    start, end : float
        First and last sample time of the fitted window.
    r2 : float
        R² of the straight line ln X = a + mu t over the window.
    se : float
        Standard error of mu (NaN for a two-point window, which has no residual).
    n_points : int
        Samples in the window.
    time_unit : str
        ``"day"`` or ``"hour"``; ``rate`` is per this unit.
    automatic : bool
        True if the window was chosen by the documented rule.
    """

    rate: float
    start: float
    end: float
    r2: float
    se: float
    n_points: int
    time_unit: str
    automatic: bool

    @property
    def doubling_time(self) -> float:
        """ln 2 / rate, in ``time_unit``."""
        return float(doubling_time(self.rate))

    def summary(self) -> str:
        """One line: mu, doubling time and the window fitted."""
        return f"growth rate {fmt(self.rate)} per {self.time_unit} (doubling time {fmt(self.doubling_time)} " \
               f"{self.time_unit}; R2 {fmt(self.r2, 3)}, {self.n_points} points from {fmt(self.start)} to {fmt(self.end)})"


def _ols_line(t: np.ndarray, y: np.ndarray) -> tuple[float, float, float]:
    """Slope, R² and slope SE of y on t (scipy.stats.linregress); SE NaN for 2 points."""
    from scipy import stats

    if len(t) == 2:
        return float((y[1] - y[0]) / (t[1] - t[0])), 1.0, float("nan")
    res = stats.linregress(t, y)
    r2 = float(res.rvalue**2) if np.isfinite(res.rvalue) else 1.0
    return float(res.slope), r2, float(res.stderr)


def _growth_1d(
    x: np.ndarray,
    *,
    t: np.ndarray,
    window: tuple[float, float] | None,
    min_points: int,
    min_r2: float,
    slope_tolerance: float = 0.05,
) -> tuple[float, float, float, float, float, float]:
    """(rate, start, end, r2, se, n) for one run; NaNs and n=0 when no window qualifies."""
    fail = (np.nan, np.nan, np.nan, np.nan, np.nan, 0.0)
    valid = ~np.isnan(x)
    if window is not None:
        valid &= (t >= window[0]) & (t <= window[1])
    tt, xx = t[valid], x[valid]
    if window is not None:
        if len(tt) < 2:
            return fail
        y = np.log(xx)
        slope, r2, se = _ols_line(tt, y)
        return slope, float(tt[0]), float(tt[-1]), r2, se, float(len(tt))
    n = len(tt)
    if n < min_points:
        return fail
    y = np.log(xx)
    tc, yc = tt - tt.mean(), y - y.mean()
    c = [np.concatenate([[0.0], np.cumsum(v)]) for v in (tc, yc, tc * tc, yc * yc, tc * yc)]
    i, j = np.triu_indices(n, k=min_points - 1)
    m = (j - i + 1).astype(float)
    st, sy, stt, syy, sty = (cv[j + 1] - cv[i] for cv in c)
    sxx = stt - st * st / m
    sxy = sty - st * sy / m
    syy_ = syy - sy * sy / m
    with np.errstate(divide="ignore", invalid="ignore"):
        slope = sxy / sxx
        r2 = np.where(syy_ > 0, sxy * sxy / (sxx * syy_), 1.0)
    ok = (r2 >= min_r2 - 1e-12) & (slope > 0) & np.isfinite(slope)
    if not ok.any():
        return fail
    # windows within slope_tolerance of the maximal slope -> most points -> larger slope -> earlier
    cand = np.flatnonzero(ok)
    best_slope = slope[cand].max()
    near = cand[slope[cand] >= (1.0 - slope_tolerance) * best_slope - 1e-12 * abs(best_slope)]
    order = np.lexsort((i[near], -slope[near], -m[near]))
    b = near[order[0]]
    sel = slice(int(i[b]), int(j[b]) + 1)
    s, r2b, se = _ols_line(tt[sel], y[sel])
    return s, float(tt[sel][0]), float(tt[sel][-1]), r2b, se, float(j[b] - i[b] + 1)


def growth_rate(
    vcd: Any,
    *,
    time: Any = None,
    window: tuple[float, float] | None = None,
    min_points: int = 3,
    min_r2: float = 0.98,
    slope_tolerance: float = 0.05,
    time_unit: str | None = None,
    on_fail: str = "raise",
):
    """Specific growth rate mu, the slope of ln VCD (or ln OD600) against time.

    Window rule (automatic, ``window=None``): among all runs of consecutive
    measured samples with at least ``min_points`` points, keep those whose
    straight-line fit of ln X on t has R² >= ``min_r2`` and a positive slope;
    find the largest slope among them, and take the **longest** window whose
    slope is at least ``(1 - slope_tolerance)`` times that maximum (ties: the
    larger slope, then the earlier start).  With ``slope_tolerance=0`` this is
    the plain maximal-slope window; the default 0.05 prefers the whole
    exponential phase over a short noisy window, which with 3 points is
    biased upwards by the selection.  The search is O(n²) in the number of
    samples, so for dense on-line series (more than 500 samples) give
    ``window=`` explicitly.  With ``window=(start, end)``
    every measured sample with start <= t <= end is fitted (two points give
    mu = ln(X2/X1)/(t2 - t1)).

    Parameters
    ----------
    vcd : DataArray (run, time), Series or array
        Cell density (> 0 wherever the log is taken).
    time : array, optional
        Times for an array input.
    window : (float, float), optional
        Fit window in time units (inclusive).
    min_points : int
        Minimum samples for the automatic window (>= 3).
    min_r2 : float
        Minimum R² for the automatic window, in (0, 1].
    slope_tolerance : float
        Relative tolerance below the maximal slope for the automatic window, in [0, 1).
    time_unit : {"day", "hour"}, optional
        Unit of time (default from the data, else day); mu is per this unit.
    on_fail : {"raise", "nan"}
        If no window qualifies: raise :class:`InputError` naming the runs, or
        return NaN for those runs (``n_points`` 0).

    Returns
    -------
    GrowthRate
        For one run (Series, array, 1-D DataArray).
    xarray.Dataset
        For a (run, time) DataArray: ``rate``, ``start``, ``end``, ``r2``,
        ``se``, ``n_points`` on dim ``run`` (lazy if the input is chunked);
        ``attrs["time_unit"]``.

    Examples
    --------
    >>> g = growth_rate([1e6, 2e6, 4e6, 6e6, 7e6], time=[0, 1, 2, 3, 4])
    >>> round(g.rate, 4), g.start, g.end, g.n_points
    (0.6931, 0.0, 2.0, 3)
    >>> round(growth_rate([1e6, 2e6, 4e6, 7.9e6], time=[0, 1, 2, 3]).rate, 3)
    0.689
    """
    da, single = _as_runs(vcd, time, "vcd")
    unit_t = _time_unit_of(da, time_unit, "vcd")
    if on_fail not in ("raise", "nan"):
        raise InputError(f"growth_rate: parameter 'on_fail' must be 'raise' or 'nan', got {on_fail!r}")
    if window is not None:
        try:
            lo, hi = (float(v) for v in window)
        except (TypeError, ValueError):
            raise InputError(f"growth_rate: parameter 'window' must be (start, end), got {window!r}") from None
        if not hi > lo:
            raise InputError(f"growth_rate: parameter 'window' must have end > start, got {window!r}")
        window = (lo, hi)
        in_win = (da["time"] >= lo) & (da["time"] <= hi)
        _check_values(da.where(in_win), "vcd", positive=True, purpose="ln VCD is taken")
    else:
        if int(min_points) != min_points or min_points < 3:
            raise InputError(f"growth_rate: parameter 'min_points' must be an integer >= 3, got {min_points!r}")
        if not 0 < min_r2 <= 1:
            raise InputError(f"growth_rate: parameter 'min_r2' must be in (0, 1], got {min_r2!r}")
        if not 0 <= slope_tolerance < 1:
            raise InputError(f"growth_rate: parameter 'slope_tolerance' must be in [0, 1), got {slope_tolerance!r}")
        if da.sizes["time"] > _MAX_AUTO_POINTS:
            raise InputError(
                f"growth_rate: {da.sizes['time']} time points; the automatic window is for off-line samples "
                f"(<= {_MAX_AUTO_POINTS}); give window=(start, end)"
            )
        _check_values(da, "vcd", positive=True, purpose="ln VCD is taken")
    t = da["time"].values.astype(float)
    if da.chunks is not None:
        da = da.chunk({"time": -1})
    outs = xr.apply_ufunc(
        _growth_1d,
        da,
        kwargs={
            "t": t,
            "window": window,
            "min_points": int(min_points),
            "min_r2": float(min_r2),
            "slope_tolerance": float(slope_tolerance),
        },
        input_core_dims=[["time"]],
        output_core_dims=[[]] * 6,
        vectorize=True,
        dask="parallelized",
        output_dtypes=[float] * 6,
    )
    names = ("rate", "start", "end", "r2", "se", "n_points")
    res = xr.Dataset(dict(zip(names, outs)))
    res["rate"].attrs["units"] = f"1/{unit_t}"
    res.attrs.update({"time_unit": unit_t, "automatic": window is None, "min_r2": float(min_r2)})
    if single or on_fail == "raise":
        n = np.asarray(res["n_points"].values)
        if (n == 0).any():
            bad = [str(r) for r in res["run"].values[n == 0]]
            how = (
                f"no {min_points}+ consecutive samples with R² >= {min_r2} and a rising ln VCD"
                if window is None
                else f"fewer than 2 measured samples in window {window}"
            )
            runs = "" if single and bad == ["run"] else f"run(s) {', '.join(repr(b) for b in bad)}: "
            raise InputError(f"growth_rate: {runs}{how}; give window= or lower min_r2")
    if not single:
        return res
    r = res.isel(run=0)
    return GrowthRate(
        rate=float(r["rate"]),
        start=float(r["start"]),
        end=float(r["end"]),
        r2=float(r["r2"]),
        se=float(r["se"]),
        n_points=int(r["n_points"]),
        time_unit=unit_t,
        automatic=window is None,
    )


def doubling_time(mu: Any):
    """Doubling time t_d = ln 2 / mu (in the time unit of mu).

    Parameters
    ----------
    mu : float, array, DataArray, GrowthRate or the Dataset from :func:`growth_rate`
        Specific growth rate(s), > 0.  NaN (a run without a fitted rate) stays NaN.

    Examples
    --------
    >>> round(doubling_time(0.6931471805599453), 6)
    1.0
    """
    if isinstance(mu, GrowthRate):
        mu = mu.rate
    if isinstance(mu, xr.Dataset):
        if "rate" not in mu:
            raise InputError("doubling_time: the Dataset has no 'rate' variable (pass growth_rate(...) output)")
        mu = mu["rate"]
    if isinstance(mu, xr.DataArray):
        if bool((mu <= 0).any()):
            raise InputError("doubling_time: growth rate must be > 0 (a non-growing culture has no doubling time)")
        out = math.log(2) / mu
        unit = str(mu.attrs.get("units", ""))
        out.attrs = {"units": unit[2:] if unit.startswith("1/") else "", "long_name": "doubling time"}
        return out
    arr = np.asarray(mu, dtype=float)
    if (arr <= 0).any():
        raise InputError(f"doubling_time: growth rate must be > 0, got {arr[arr <= 0].ravel()[0]:g}")
    out = math.log(2) / arr
    return float(out) if out.ndim == 0 else out


@dataclass(frozen=True)
class PeakVCD(ResultMixin):
    """Peak viable cell density of one run and the time it was reached."""

    value: float
    time: float

    def summary(self) -> str:
        """One line: the peak and when."""
        return f"peak VCD {fmt(self.value)} at time {fmt(self.time)}"


def peak_vcd(vcd: Any, *, time: Any = None):
    """Maximum VCD and its time (the first if tied); missing samples ignored.

    Returns a :class:`PeakVCD` for one run, a Dataset (``peak_vcd``,
    ``peak_time`` on ``run``) for a (run, time) DataArray.

    Examples
    --------
    >>> peak_vcd([1e6, 5e6, 4e6], time=[0, 1, 2])
    PeakVCD(value=5000000.0, time=1.0)
    """
    da, single = _as_runs(vcd, time, "vcd")
    _check_values(da, "vcd")
    allnan = da.isnull().all("time")
    if bool(allnan.any()):
        runs = [str(r) for r in da["run"].values[np.asarray(allnan.values)]]
        raise InputError(f"peak_vcd: run(s) {runs} have no vcd samples")
    res = xr.Dataset({"peak_vcd": da.max("time"), "peak_time": da.idxmax("time")})
    res["peak_vcd"].attrs["units"] = _units(da) or ""
    if not single:
        return res
    return PeakVCD(float(res["peak_vcd"].values[0]), float(res["peak_time"].values[0]))


# ---------------------------------------------------------------------------
# Specific productivity
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class SpecificProductivity(ResultMixin):
    """Specific productivity qP: OLS slope of product against IVCD.

    Attributes
    ----------
    qp, se, ci_low, ci_high : float
        Slope, its standard error and the (1 - alpha) confidence interval,
        in ``unit``.
    intercept : float
        Product at IVCD 0, in product units.
    r2 : float
    n_points : int
    unit : str
        e.g. ``"vg/cell/day"`` or ``"pg/cell/day"``.
    alpha : float
    """

    qp: float
    se: float
    ci_low: float
    ci_high: float
    intercept: float
    r2: float
    n_points: int
    unit: str
    alpha: float

    def summary(self) -> str:
        """One line: qP with its confidence interval."""
        return f"qP {fmt(self.qp)} {self.unit} ({fmt(100 * (1 - self.alpha))} % CI {fmt(self.ci_low)} to " \
               f"{fmt(self.ci_high)}; R2 {fmt(self.r2, 3)}, n = {self.n_points})"


_QP_UNITS = (
    "vg/cell/day",
    "cp/cell/day",
    "TU/cell/day",
    "IU/cell/day",
    "copies/cell/day",
    "pg/cell/day",
    "mg/g/hour",
    "1/hour",
)


def qp_unit(product_unit: str | None, ivcd_unit: str | None) -> tuple[float, str]:
    """The unit qP is reported in, and the factor from product units per IVCD unit to it.

    The first of the readable qP units (``vg/cell/day``, ``pg/cell/day``, ...) with
    the dimension of product over IVCD is chosen; without units, or with none
    matching, the factor is 1 and the unit is described in words.

    Parameters
    ----------
    product_unit, ivcd_unit : str or None
        The units of the product (titer) and of the IVCD (``attrs["units"]``).

    Returns
    -------
    (float, str)
        Multiply a slope in product units per IVCD unit by the factor to get the unit.

    Examples
    --------
    >>> factor, unit = qp_unit("vg/mL", "1e6 cells/mL*day")
    >>> unit, round(factor, 12)
    ('vg/cell/day', 1e-06)
    >>> qp_unit(None, "cells/mL*day")
    (1.0, 'product units per IVCD unit')
    """
    if not product_unit or not ivcd_unit:
        return 1.0, "product units per IVCD unit"
    ratio = parse_unit(product_unit, "product units") / parse_unit(ivcd_unit, "ivcd units")
    for cand in _QP_UNITS:
        target = parse_unit(cand)
        if ratio.dimensionality == target.dimensionality:
            return float(ratio.to(target.units).magnitude / target.magnitude), cand
    return 1.0, f"({product_unit})/({ivcd_unit})"


def _qp_1d(p: np.ndarray, x: np.ndarray, *, t: np.ndarray, window, alpha: float):
    import statsmodels.api as sm

    ok = ~np.isnan(p) & ~np.isnan(x)
    if window is not None:
        ok &= (t >= window[0]) & (t <= window[1])
    n = int(ok.sum())
    if n < 3 or np.ptp(x[ok]) == 0:
        return (np.nan,) * 6 + (float(n),)
    fit = sm.OLS(p[ok], sm.add_constant(x[ok], has_constant="add")).fit()
    lo, hi = fit.conf_int(alpha)[1]
    return float(fit.params[1]), float(fit.bse[1]), float(lo), float(hi), float(fit.params[0]), float(fit.rsquared), float(n)


def specific_productivity(
    product: Any,
    ivcd: Any,
    *,
    time: Any = None,
    window: tuple[float, float] | None = None,
    alpha: float = 0.05,
    on_fail: str = "raise",
):
    """Specific productivity qP, the OLS slope of product concentration against IVCD.

    Fits ``product = a + qP x IVCD`` by ordinary least squares (statsmodels)
    over the samples where both are measured (and ``window[0] <= t <=
    window[1]`` if given, e.g. from transfection to harvest), with the
    (1 - alpha) confidence interval of the slope on n - 2 degrees of freedom.
    Units follow from the inputs: vg/mL over cells·day/mL gives vg/cell/day,
    mg/L gives pg/cell/day.

    Parameters
    ----------
    product : DataArray (run, time), Series or array
        Product concentration (titer).
    ivcd : same kind as ``product``
        Cumulative IVCD at the same times (from :func:`ivcd`).
    time : array, optional
        Times for array inputs (needed only with ``window``).
    window : (float, float), optional
        Inclusive time window of the fit.
    alpha : float
        1 - confidence level of the interval.
    on_fail : {"raise", "nan"}
        Runs with fewer than 3 usable pairs: raise or give NaN.

    Returns
    -------
    SpecificProductivity
        For one run.
    xarray.Dataset
        For (run, time) DataArrays: ``qp``, ``se``, ``ci_low``, ``ci_high``,
        ``intercept``, ``r2``, ``n_points`` on ``run``; ``attrs["unit"]``.

    Examples
    --------
    >>> q = specific_productivity([0.0, 1e9, 2.1e9, 2.9e9], [0.0, 1e6, 2e6, 3e6])
    >>> round(q.qp), q.unit
    (980, 'product units per IVCD unit')
    """
    if not 0 < alpha < 1:
        raise InputError(f"specific_productivity: parameter 'alpha' must be in (0, 1), got {alpha!r}")
    if on_fail not in ("raise", "nan"):
        raise InputError(f"specific_productivity: parameter 'on_fail' must be 'raise' or 'nan', got {on_fail!r}")
    if time is None and not isinstance(product, (xr.DataArray, pd.Series)):
        n = np.asarray(product).shape[-1] if np.ndim(product) else 0
        time = np.arange(n, dtype=float)
        if window is not None:
            raise InputError("specific_productivity: pass time= with arrays when window= is given")
    p, single = _as_runs(product, time, "product")
    x, _ = _as_runs(ivcd, time, "ivcd")
    try:
        p, x = xr.align(p, x, join="exact")
    except ValueError:
        raise InputError("specific_productivity: product and ivcd have different runs or times") from None
    _check_values(x, "ivcd")
    if window is not None:
        try:
            window = tuple(float(v) for v in window)
            assert len(window) == 2 and window[1] > window[0]
        except (TypeError, ValueError, AssertionError):
            raise InputError(f"specific_productivity: parameter 'window' must be (start, end) with end > start, got {window!r}") from None
    factor, unit = qp_unit(_units(p), _units(x))
    t = p["time"].values.astype(float)
    if p.chunks is not None or x.chunks is not None:
        p, x = p.chunk({"time": -1}), x.chunk({"time": -1})
    outs = xr.apply_ufunc(
        _qp_1d,
        p,
        x,
        kwargs={"t": t, "window": window, "alpha": float(alpha)},
        input_core_dims=[["time"], ["time"]],
        output_core_dims=[[]] * 7,
        vectorize=True,
        dask="parallelized",
        output_dtypes=[float] * 7,
    )
    names = ("qp", "se", "ci_low", "ci_high", "intercept", "r2", "n_points")
    res = xr.Dataset(dict(zip(names, outs)))
    for v in ("qp", "se", "ci_low", "ci_high"):
        res[v] = res[v] * factor
        res[v].attrs["units"] = unit
    res.attrs.update({"unit": unit, "alpha": float(alpha)})
    if single or on_fail == "raise":
        q = np.asarray(res["qp"].values)
        if np.isnan(q).any():
            bad = [str(r) for r in res["run"].values[np.isnan(q)]]
            runs = "" if single else f"run(s) {', '.join(repr(b) for b in bad)}: "
            raise InputError(
                f"specific_productivity: {runs}need at least 3 samples with both product and ivcd measured "
                "(and IVCD not constant)"
            )
    if not single:
        return res
    r = res.isel(run=0)
    return SpecificProductivity(
        qp=float(r["qp"]),
        se=float(r["se"]),
        ci_low=float(r["ci_low"]),
        ci_high=float(r["ci_high"]),
        intercept=float(r["intercept"]),
        r2=float(r["r2"]),
        n_points=int(r["n_points"]),
        unit=unit,
        alpha=float(alpha),
    )


# ---------------------------------------------------------------------------
# Product metrics: AAV, lentivirus, plasmid
# ---------------------------------------------------------------------------
def _arr(x: Any, what: str, *, positive: bool = False) -> Any:
    """Numbers or a DataArray, checked finite and >= 0 (or > 0); keeps DataArrays."""
    if isinstance(x, xr.DataArray):
        a = x
        bad = ~np.isfinite(a) | ((a <= 0) if positive else (a < 0))
        bad = bad & a.notnull()
        if bool(bad.any()):
            idx = [int(v[0]) for v in np.nonzero(np.asarray(bad.values))]
            loc = ", ".join(f"{d} {a[d].values[i]!s}" for d, i in zip(a.dims, idx) if d in a.coords)
            need = "> 0" if positive else ">= 0"
            raise InputError(f"{what}: {loc}: expected a finite value {need}, got {float(a.values[tuple(idx)]):g}")
        return a
    try:
        a = np.asarray(x, dtype=float)
    except (TypeError, ValueError):
        raise InputError(f"{what}: expected numbers, got {x!r}") from None
    bad = ~np.isfinite(a) | ((a <= 0) if positive else (a < 0))
    if bad.any():
        need = "> 0" if positive else ">= 0"
        raise InputError(f"{what}: expected finite values {need}, got {a[bad].ravel()[0]:g}")
    return a


def _scalar(a: Any):
    if not isinstance(a, xr.DataArray) and np.ndim(a) == 0:
        return float(a)
    return a


def percent_full(vg_titer: Any, capsid_titer: Any):
    """Percent full capsids = vg titer / capsid titer x 100 (same volume basis).

    Both titers per mL (vg/mL from qPCR/ddPCR, capsids/mL from ELISA).  Values
    above 100 % are returned as computed (assay variability), not clipped.

    Examples
    --------
    >>> percent_full(2.5e10, 1e11)
    25.0
    """
    vg = _arr(vg_titer, "vg titer")
    cp = _arr(capsid_titer, "capsid titer", positive=True)
    return _scalar(vg / cp * 100.0)


def _at_time(da: xr.DataArray, time: Any, what: str) -> xr.DataArray:
    """Value at ``time`` (exact sample) per run."""
    t = da["time"].values
    if isinstance(time, xr.DataArray):
        out = []
        for r in da["run"].values:
            tr = float(time.sel(run=r))
            if tr not in t:
                raise InputError(f"{what}: run '{r}' has no sample at time {tr:g}")
            out.append(float(da.sel(run=r, time=tr)))
        return xr.DataArray(out, dims="run", coords={"run": da["run"].values})
    tr = float(time)
    if tr not in t:
        raise InputError(f"{what}: no sample at time {tr:g} (sample times: {', '.join(f'{v:g}' for v in t)})")
    return da.sel(time=tr, drop=True)


def _last_value(da: xr.DataArray) -> tuple[xr.DataArray, xr.DataArray]:
    """Last measured value of each run and its time."""
    valid = da.notnull()
    tt = xr.where(valid, da["time"], np.nan)
    last_t = tt.max("time")
    val = da.where(da["time"] == last_t).max("time")
    return val, last_t


def vg_per_cell(
    vg_titer: Any,
    vcd: Any,
    *,
    denominator: str,
    transfection_time: Any = None,
    time: Any = None,
):
    """Cell-specific AAV yield, vg per cell = vg/mL at harvest / cells/mL.

    Papers differ in the denominator, so it must be declared:
    ``"cells_at_transfection"`` (VCD at ``transfection_time``) or
    ``"cells_at_harvest"`` (VCD at the last vg sample).  Harvest is the last
    time with a vg titer; a VCD sample is required at that exact time.

    Parameters
    ----------
    vg_titer : DataArray (run, time), Series or array
        Genome titer, vg/mL.
    vcd : same kind
        Viable cell density, cells/mL (DataArray units converted).
    denominator : {"cells_at_transfection", "cells_at_harvest"}
        Required; no default.
    transfection_time : float or DataArray on run
        Required for ``"cells_at_transfection"``.

    Examples
    --------
    >>> vg_per_cell([float("nan"), 1.5e10], [3e6, 4e6], time=[3, 6],
    ...             denominator="cells_at_transfection", transfection_time=3)
    5000.0
    """
    if denominator not in _DENOMINATORS:
        raise InputError(f"vg_per_cell: parameter 'denominator' must be one of {_DENOMINATORS}, got {denominator!r}")
    vg, single = _as_runs(vg_titer, time, "vg titer")
    x, _ = _as_runs(vcd, time, "vcd")
    x, _u = _to_cells_per_ml(x, "vcd")
    vg = _arr(vg, "vg titer")
    x = _arr(x, "vcd")
    if bool(vg.isnull().all("time").any()):
        runs = [str(r) for r in vg["run"].values[np.asarray(vg.isnull().all("time").values)]]
        raise InputError(f"vg_per_cell: run(s) {runs} have no vg titer")
    harvest_vg, harvest_t = _last_value(vg)
    if denominator == "cells_at_transfection":
        if transfection_time is None:
            raise InputError("vg_per_cell: denominator 'cells_at_transfection' needs parameter 'transfection_time'")
        cells = _at_time(x, transfection_time, "vcd at transfection")
    else:
        cells = xr.DataArray(
            [float(x.sel(run=r, time=float(harvest_t.sel(run=r)))) for r in x["run"].values],
            dims="run",
            coords={"run": x["run"].values},
        )
    if bool((cells.isnull() | (cells <= 0)).any()):
        r = str(x["run"].values[np.asarray((cells.isnull() | (cells <= 0)).values)][0])
        raise InputError(f"vg_per_cell: run '{r}': vcd for the denominator ({denominator}) is missing or 0")
    out = harvest_vg / cells
    out.attrs = {"units": "vg/cell", "denominator": denominator}
    return float(out.values[0]) if single else out


def tu_per_p24(tu_titer: Any, p24: Any):
    """Lentivirus infectivity ratio, transducing units per pg p24 (TU/mL / pg/mL).

    Typical crude 293T harvests give about 100 TU per pg p24 (domain primer).

    Examples
    --------
    >>> tu_per_p24(5e6, 5e4)
    100.0
    """
    tu = _arr(tu_titer, "TU titer")
    p = _arr(p24, "p24", positive=True)
    return _scalar(tu / p)


def dcw_from_od(od600: Any, factor: float):
    """Dry cell weight (g/L) = OD600 x ``factor`` (g/L per OD unit).

    There is no default factor: it depends on strain, medium and photometer.
    E. coli values of about 0.3-0.45 g/L per OD are reported (domain primer);
    calibrate against measured DCW.

    Examples
    --------
    >>> dcw_from_od(100.0, 0.4)
    40.0
    """
    try:
        f = float(factor)
    except (TypeError, ValueError):
        raise InputError(f"dcw_from_od: parameter 'factor' must be a number (g/L per OD), got {factor!r}") from None
    if not (math.isfinite(f) and f > 0):
        raise InputError(f"dcw_from_od: parameter 'factor' must be > 0 (g/L per OD), got {factor!r}")
    od = _arr(od600, "OD600")
    out = od * f
    if isinstance(out, xr.DataArray):
        out.attrs = {"units": "g/L", "long_name": "DCW from OD600"}
    return _scalar(out)


def specific_yield(pdna: Any, dcw: Any):
    """Plasmid specific yield, mg pDNA per g DCW = pDNA (mg/L) / DCW (g/L).

    Reported E. coli fed-batch values are about 4-18 mg/g (domain primer).

    Examples
    --------
    >>> specific_yield(900.0, 50.0)
    18.0
    """
    p = _arr(pdna, "pDNA")
    d = _arr(dcw, "DCW", positive=True)
    return _scalar(p / d)


def supercoiled_percent(supercoiled: Any, open_circular: Any, linear: Any = 0.0):
    """Supercoiled isoform in percent of total plasmid: SC / (SC + OC + linear) x 100.

    Examples
    --------
    >>> supercoiled_percent(90.0, 8.0, 2.0)
    90.0
    """
    sc = _arr(supercoiled, "supercoiled")
    oc = _arr(open_circular, "open circular")
    li = _arr(linear, "linear")
    total = sc + oc + li
    if np.any(np.asarray(total) == 0):
        raise InputError("supercoiled_percent: supercoiled + open circular + linear is 0")
    return _scalar(sc / total * 100.0)


# ---------------------------------------------------------------------------
# Run summary and scale comparison
# ---------------------------------------------------------------------------
_PROCESS_VARS = {
    "aav": ("vcd", "vg_titer"),
    "lentivirus": ("vcd", "tu_titer"),
    "plasmid": ("od600", "pdna"),
}


def _need(ds: xr.Dataset, name: str, what: str) -> xr.DataArray:
    if name not in ds.data_vars:
        raise InputError(
            f"run_summary: the data have no variable '{name}' ({what}); variables present: {', '.join(map(str, ds.data_vars))}"
        )
    return ds[name]


def run_summary(
    ds: xr.Dataset,
    process: str = "aav",
    *,
    vg_per_cell_denominator: str | None = None,
    od_to_dcw: float | None = None,
    transfection_time: float | None = None,
    growth_window: tuple[float, float] | None = None,
    min_r2: float = 0.98,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """One row per run: scale and metadata, growth, IVCD, harvest titers and qP.

    Variable names expected in ``ds``: ``vcd`` (and ``viability``) for AAV
    and lentivirus; ``vg_titer`` (and ``capsid_titer``) for AAV; ``tu_titer``
    (and ``p24``) for lentivirus; ``od600``, ``pdna`` (and ``dcw``,
    ``supercoiled``) for plasmid.  Harvest is the last measured sample of each
    variable.  qP is fitted from the transfection time onwards for AAV and
    lentivirus (from the start for plasmid, on OD-derived DCW-time).  A run
    whose growth rate cannot be fitted gets NaN with the reason in ``notes``.

    Parameters
    ----------
    ds : xarray.Dataset
        From :func:`load_runs`.
    process : {"aav", "lentivirus", "plasmid"}
    vg_per_cell_denominator : {"cells_at_transfection", "cells_at_harvest"}
        Required for AAV.
    od_to_dcw : float, optional
        g/L per OD600 unit; required for plasmid runs without a ``dcw`` variable.
        When given, ``dcw_from_od_harvest`` is also reported.
    transfection_time : float, optional
        Default: the ``transfection_time`` run coordinate.
    growth_window : (float, float), optional
        Fixed window for mu (default: the automatic rule of :func:`growth_rate`).
    min_r2, alpha : float
        Passed to :func:`growth_rate` and :func:`specific_productivity`.

    Examples
    --------
    >>> import xarray as xr
    >>> ds = xr.Dataset({"vcd": (("run", "time"), [[1e6, 2e6, 4e6, 4.2e6]]),
    ...                  "vg_titer": (("run", "time"), [[0, 0, 1e10, 2e10]])},
    ...                 coords={"run": ["R1"], "time": [0.0, 1, 2, 3], "scale": ("run", ["2 L"])})
    >>> s = run_summary(ds, "aav", vg_per_cell_denominator="cells_at_harvest", transfection_time=1)
    >>> round(float(s.loc[0, "mu"]), 3), round(float(s.loc[0, "vg_per_cell"]))
    (0.693, 4762)
    """
    if not isinstance(ds, xr.Dataset):
        raise InputError(f"run_summary: expected an xarray.Dataset from load_runs, got {type(ds).__name__}")
    if process not in _PROCESS_VARS:
        raise InputError(f"run_summary: parameter 'process' must be one of {tuple(_PROCESS_VARS)}, got {process!r}")
    biomass_name, product_name = _PROCESS_VARS[process]
    biomass = _need(ds, biomass_name, "biomass")
    product = _need(ds, product_name, "product titer")
    if process == "aav" and vg_per_cell_denominator is None:
        raise InputError(
            "run_summary: parameter 'vg_per_cell_denominator' is required for AAV "
            f"(one of {_DENOMINATORS}; papers differ, so it must be declared)"
        )
    if process == "plasmid" and od_to_dcw is None and "dcw" not in ds.data_vars:
        raise InputError("run_summary: plasmid data have no 'dcw' variable; give parameter 'od_to_dcw' (g/L per OD600)")
    unit_t = _time_unit_of(biomass, None, biomass_name)

    tx = None
    if process in ("aav", "lentivirus"):
        if transfection_time is not None:
            tx = xr.DataArray(np.full(ds.sizes["run"], float(transfection_time)), dims="run", coords={"run": ds["run"].values})
        elif "transfection_time" in ds.coords:
            tx = ds["transfection_time"].astype(float)
        elif process == "aav" and vg_per_cell_denominator == "cells_at_transfection":
            raise InputError(
                "run_summary: no transfection time; add a 'transfection_time' run column or pass transfection_time="
            )

    gr = growth_rate(biomass, window=growth_window, min_r2=min_r2, on_fail="nan")
    rows = []
    biomass_c = biomass if process == "plasmid" else _to_cells_per_ml(biomass, biomass_name)[0]
    for k, run in enumerate(ds["run"].values):
        row: dict[str, Any] = {"run": str(run)}
        for c in ds.coords:
            if c not in ("run", "time") and ds[c].dims == ("run",):
                v = ds[c].values[k]
                row[str(c)] = v.item() if hasattr(v, "item") else v
        notes: list[str] = []
        b = biomass_c.isel(run=k)
        g = gr.isel(run=k)
        if process == "plasmid":
            pk = peak_vcd(b.dropna("time"))
            row.update({"peak_od600": pk.value, "peak_od600_time": pk.time})
        else:
            pk = peak_vcd(b.dropna("time"))
            row.update({"peak_vcd": pk.value, "peak_vcd_time": pk.time})
            if "viability" in ds.data_vars:
                via, _ = _last_value(ds["viability"].isel(run=[k]))
                row["viability_harvest"] = float(via.values[0])
        row.update(
            {
                "mu": float(g["rate"]),
                "mu_se": float(g["se"]),
                "doubling_time": float(math.log(2) / g["rate"]) if float(g["rate"]) > 0 else float("nan"),
                "growth_window_start": float(g["start"]),
                "growth_window_end": float(g["end"]),
                "growth_r2": float(g["r2"]),
            }
        )
        if int(g["n_points"]) == 0:
            notes.append(f"no exponential window (>= 3 points, R² >= {min_r2})")
        prod = product.isel(run=[k])
        pv, pt = _last_value(prod)
        row[f"{product_name}_harvest"] = float(pv.values[0])
        row["harvest_time"] = float(pt.values[0])
        tx_k = None if tx is None else float(tx.values[k])
        if process != "plasmid":
            iv = ivcd(biomass.isel(run=[k]))
            row["ivcd_end"] = float(iv.isel(run=0).dropna("time").values[-1])
            window = None if tx_k is None else (tx_k, float(ds["time"].values[-1]))
            q = specific_productivity(prod, iv, window=window, alpha=alpha, on_fail="nan")
            row.update(
                {
                    "qp": float(q["qp"].values[0]),
                    "qp_ci_low": float(q["ci_low"].values[0]),
                    "qp_ci_high": float(q["ci_high"].values[0]),
                    "qp_unit": q.attrs["unit"],
                }
            )
            if int(q["n_points"].values[0]) < 3:
                notes.append("fewer than 3 product samples for qP")
        if process == "aav":
            if "capsid_titer" in ds.data_vars:
                cv, _ = _last_value(ds["capsid_titer"].isel(run=[k]))
                row["capsid_titer_harvest"] = float(cv.values[0])
                row["percent_full"] = float(percent_full(row["vg_titer_harvest"], row["capsid_titer_harvest"]))
            row["vg_per_cell"] = float(
                vg_per_cell(
                    prod.isel(run=0),
                    biomass.isel(run=0),
                    denominator=vg_per_cell_denominator,
                    transfection_time=tx_k,
                )
            )
            row["vg_per_cell_denominator"] = vg_per_cell_denominator
        elif process == "lentivirus" and "p24" in ds.data_vars:
            p24v, _ = _last_value(ds["p24"].isel(run=[k]))
            row["p24_harvest"] = float(p24v.values[0])
            row["tu_per_pg_p24"] = float(tu_per_p24(row["tu_titer_harvest"], row["p24_harvest"]))
        elif process == "plasmid":
            if "dcw" in ds.data_vars:
                dv, _ = _last_value(ds["dcw"].isel(run=[k]))
                row["dcw_harvest"] = float(dv.values[0])
            if od_to_dcw is not None:
                ov, _ = _last_value(biomass.isel(run=[k]))
                row["dcw_from_od_harvest"] = float(dcw_from_od(float(ov.values[0]), od_to_dcw))
                row.setdefault("dcw_harvest", row["dcw_from_od_harvest"])
            row["specific_yield"] = float(specific_yield(row["pdna_harvest"], row["dcw_harvest"]))
            if "supercoiled" in ds.data_vars:
                sv, _ = _last_value(ds["supercoiled"].isel(run=[k]))
                row["supercoiled_harvest"] = float(sv.values[0])
        row["time_unit"] = unit_t
        row["notes"] = "; ".join(notes)
        rows.append(row)
    return pd.DataFrame(rows)


def compare_scales(
    summary: pd.DataFrame,
    metric: str,
    reference_scale: Any,
    margin: float | tuple[float, float],
    *,
    alpha: float = 0.05,
    scale: str = "scale",
    equal_var: bool = True,
    log10: bool = False,
) -> pd.DataFrame:
    """Compare a run metric between each scale and a reference scale, with a TOST verdict.

    For each scale other than the reference: difference of means (scale -
    reference), its (1 - 2 alpha) two-sided confidence interval (the interval
    matching a TOST at level alpha), and the two one-sided t tests (Schuirmann)
    of H0: difference <= low or >= high (statsmodels ``ttost_ind``).  The
    scales are declared equivalent when the TOST p-value < alpha, i.e. when the
    confidence interval lies inside (low, high).

    Parameters
    ----------
    summary : DataFrame
        One row per run, e.g. from :func:`run_summary`.
    metric : str
        Column to compare (e.g. ``"mu"``, ``"vg_titer_harvest"``).
    reference_scale : value of the ``scale`` column
    margin : float or (low, high)
        Equivalence margin in metric units (log10 units with ``log10=True``);
        a single number m means (-m, m).
    alpha : float
    scale : str
        Column holding the scale.
    equal_var : bool
        Pooled variance (True) or Welch-Satterthwaite (False).
    log10 : bool
        Compare log10 of the metric (titers); differences are then log10 ratios.

    Returns
    -------
    DataFrame with columns ``scale``, ``n``, ``mean``, ``reference_n``,
    ``reference_mean``, ``difference``, ``ci_low``, ``ci_high``,
    ``confidence``, ``margin_low``, ``margin_high``, ``p_tost``,
    ``equivalent``, ``verdict``.

    Examples
    --------
    >>> import pandas as pd
    >>> s = pd.DataFrame({"scale": ["2 L"] * 3 + ["50 L"] * 3, "mu": [0.60, 0.62, 0.61, 0.61, 0.60, 0.62]})
    >>> r = compare_scales(s, "mu", "2 L", 0.05)
    >>> bool(r.loc[0, "equivalent"]), round(float(r.loc[0, "difference"]), 3)
    (True, 0.0)
    """
    from scipy import stats
    from statsmodels.stats.weightstats import ttost_ind

    if not isinstance(summary, pd.DataFrame):
        raise InputError(f"compare_scales: expected a DataFrame, got {type(summary).__name__}")
    require_columns(summary, [scale, metric], "run summary")
    if not 0 < alpha < 0.5:
        raise InputError(f"compare_scales: parameter 'alpha' must be in (0, 0.5), got {alpha!r}")
    if np.ndim(margin) == 0:
        try:
            m = float(margin)
        except (TypeError, ValueError):
            raise InputError(f"compare_scales: parameter 'margin' must be a number, got {margin!r}") from None
        low, high = -abs(m), abs(m)
    else:
        try:
            low, high = (float(v) for v in margin)
        except (TypeError, ValueError):
            raise InputError(f"compare_scales: parameter 'margin' must be a number or (low, high), got {margin!r}") from None
    if not (math.isfinite(low) and math.isfinite(high) and low < 0 < high):
        raise InputError(f"compare_scales: parameter 'margin' must give low < 0 < high, got ({low:g}, {high:g})")
    values = numeric_column(summary, metric, "run summary", allow_missing=True, positive=log10)
    if values.isna().any():
        rows = [int(i) + 1 for i in np.flatnonzero(values.isna().to_numpy())]
        raise InputError(f"run summary, column '{metric}', {describe_rows(rows)}: value is missing (NaN); see 'notes'")
    if log10:
        values = np.log10(values)
    scales = summary[scale].astype(str).to_numpy()
    ref = str(reference_scale)
    if ref not in set(scales):
        raise InputError(
            f"compare_scales: reference_scale {reference_scale!r} not found in column '{scale}' "
            f"(scales: {', '.join(dict.fromkeys(scales))})"
        )
    x_ref = values.to_numpy()[scales == ref]
    out = []
    for s in dict.fromkeys(scales):
        if s == ref:
            continue
        x = values.to_numpy()[scales == s]
        for name, arr in ((s, x), (ref, x_ref)):
            if len(arr) < 2:
                raise InputError(f"compare_scales: scale {name!r} has {len(arr)} run(s); at least 2 per scale are needed")
        n1, n2 = len(x), len(x_ref)
        diff = float(x.mean() - x_ref.mean())
        v1, v2 = x.var(ddof=1), x_ref.var(ddof=1)
        if equal_var:
            df = n1 + n2 - 2
            sp2 = ((n1 - 1) * v1 + (n2 - 1) * v2) / df
            se = math.sqrt(sp2 * (1 / n1 + 1 / n2))
        else:
            se = math.sqrt(v1 / n1 + v2 / n2)
            df = (v1 / n1 + v2 / n2) ** 2 / ((v1 / n1) ** 2 / (n1 - 1) + (v2 / n2) ** 2 / (n2 - 1))
        if se == 0:
            raise InputError(f"compare_scales: metric '{metric}' has no variation within scales {s!r} and {ref!r}")
        tq = stats.t.ppf(1 - alpha, df)
        p, _, _ = ttost_ind(x, x_ref, low, high, usevar="pooled" if equal_var else "unequal")
        eq = bool(p < alpha)
        out.append(
            {
                "scale": s,
                "n": n1,
                "mean": float(x.mean()),
                "reference_n": n2,
                "reference_mean": float(x_ref.mean()),
                "difference": diff,
                "ci_low": diff - tq * se,
                "ci_high": diff + tq * se,
                "confidence": 1 - 2 * alpha,
                "margin_low": low,
                "margin_high": high,
                "p_tost": float(p),
                "equivalent": eq,
                "verdict": (
                    f"equivalent to {ref} within ({low:g}, {high:g})"
                    if eq
                    else f"equivalence to {ref} not shown within ({low:g}, {high:g})"
                ),
            }
        )
    return pd.DataFrame(out)
