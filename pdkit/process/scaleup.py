"""Stirred-tank scale-up: power, tip speed, Reynolds number, mixing time, kLa.

Units are SI throughout and spelled out in the parameter names where they are
easy to confuse: impeller speeds are **revolutions per second** (``n_rps``;
divide rpm by 60), diameters in **m**, volumes in **m3** (``volume_m3``) except
:func:`scaleup_table`, which takes the working volumes in **L** (``volumes_l``)
because that is how vessels are named.  Density is kg/m3, dynamic viscosity Pa s,
power W, power per volume W/m3, superficial gas velocity m/s, kLa 1/s.

Relations (domain primer, "Scale-up and facility"):

* Reynolds number ``Re = rho N D^2 / mu``; the flow is taken as turbulent for
  ``Re >= 1e4`` (:data:`TURBULENT_RE`), where the power number ``Np`` of a baffled
  tank is constant (about 5 Rushton, 1.3-1.7 pitched blade, 0.3 hydrofoil).
  Below that ``Np`` depends on ``Re`` and the functions warn with
  :class:`TransitionalFlowWarning` (or flag it, in :func:`scaleup_table`).
* Ungassed power ``P = Np rho N^3 D^5``; power per volume ``P/V``.
* Tip speed ``pi N D``.
* Mixing time (95 % homogeneity) by Nienow's turbulent correlation,
  ``theta_95 = 5.9 T^(2/3) eps^(-1/3) (D/T)^(-1/3)`` with ``eps = P/(rho V)`` in W/kg
  and ``T`` the tank diameter (A. W. Nienow, "On impeller circulation and mixing
  effectiveness in the turbulent flow regime", Chem. Eng. Sci. 52 (1997)
  2557-2565; derived for a single impeller with liquid height equal to ``T``; it
  underestimates mixing times in taller multi-impeller vessels).  For
  geometrically similar vessels in turbulent flow ``N theta_95`` is constant, so
  equal mixing time needs equal impeller speed.
* kLa by van 't Riet (Ind. Eng. Chem. Process Des. Dev. 18 (1979) 357-364):
  ``kLa = 0.026 (P/V)^0.4 u_s^0.5`` (coalescing, water-like) and
  ``kLa = 0.002 (P/V)^0.7 u_s^0.2`` (non-coalescing, ionic solutions); SI units.
* Geometric similarity: ``D2/D1 = (V2/V1)^(1/3)``; constant P/V gives
  ``N2 = N1 (D1/D2)^(2/3)``, constant tip speed ``N2 = N1 D1/D2``, constant Re
  ``N2 = N1 (D1/D2)^2``, constant mixing time ``N2 = N1``.

Examples
--------
>>> from pdkit import scaleup
>>> round(scaleup.tip_speed(n_rps=2.0, diameter=0.2), 4)
1.2566
>>> round(scaleup.impeller_speed(120.0, 0.1, 0.2, criterion="tip_speed"), 6)
60.0
"""
from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from pdkit.errors import InputError

__all__ = [
    "TURBULENT_RE",
    "CRITERIA",
    "CELL_LINE_WINDOWS",
    "VAN_T_RIET",
    "TransitionalFlowWarning",
    "reynolds",
    "is_turbulent",
    "impeller_power",
    "power_per_volume",
    "tip_speed",
    "mixing_time",
    "kla_van_t_riet",
    "superficial_gas_velocity",
    "geometric_scale",
    "impeller_speed",
    "scaleup_table",
]

#: Reynolds number above which the power number of a baffled tank is taken as constant.
TURBULENT_RE = 1.0e4

#: Scale-up criteria understood by :func:`impeller_speed` and :func:`scaleup_table`.
CRITERIA = ("power_per_volume", "tip_speed", "reynolds", "mixing_time")

# Exponent a in N2 = N1 (D1/D2)^a for geometrically similar vessels.
_SPEED_EXPONENT = {"power_per_volume": 2.0 / 3.0, "tip_speed": 1.0, "reynolds": 2.0, "mixing_time": 0.0}

#: Declared P/V operating windows (W/m3) from the domain primer: HEK293 suspension
#: culture tolerates about 60-450 W/m3; E. coli high-density fermentation runs at
#: 2-5 kW/m3.  Tip-speed windows are not preset: declare one with ``tip_speed_window``.
CELL_LINE_WINDOWS: dict[str, dict[str, tuple[float, float]]] = {
    "HEK293": {"power_per_volume": (60.0, 450.0)},
    "E. coli": {"power_per_volume": (2000.0, 5000.0)},
}

#: van 't Riet (1979) coefficients (C, exponent of P/V, exponent of u_s), SI units.
VAN_T_RIET: dict[str, tuple[float, float, float]] = {
    "coalescing": (0.026, 0.4, 0.5),
    "non_coalescing": (0.002, 0.7, 0.2),
}


class TransitionalFlowWarning(UserWarning):
    """Re is below :data:`TURBULENT_RE`: the constant-power-number relations are approximate."""


# ----------------------------------------------------------------------------- validation
def _check(name: str, value: Any, *, positive: bool = True, allow_zero: bool = False) -> np.ndarray | float:
    """Return ``value`` as float (scalar) or float array, or raise naming ``name``."""
    if isinstance(value, (bool, np.bool_)) or value is None or isinstance(value, str):
        raise InputError(f"parameter '{name}': expected a number, got {value!r}")
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise InputError(f"parameter '{name}': expected a number, got {value!r}") from None
    if arr.size == 0:
        raise InputError(f"parameter '{name}': expected a number, got an empty sequence")
    if not np.all(np.isfinite(arr)):
        raise InputError(f"parameter '{name}': expected a finite number, got {value!r}")
    if positive:
        bad = arr < 0 if allow_zero else arr <= 0
        if np.any(bad):
            first = float(arr[bad].flat[0]) if arr.ndim else float(arr)
            what = ">= 0" if allow_zero else "> 0"
            raise InputError(f"parameter '{name}': expected a value {what}, got {first:g}")
    return float(arr) if arr.ndim == 0 else arr


def _out(x: np.ndarray | float) -> np.ndarray | float:
    return float(x) if np.ndim(x) == 0 else np.asarray(x, dtype=float)


def _warn_if_transitional(re: np.ndarray | float, where: str) -> None:
    re_min = float(np.min(re))
    if re_min < TURBULENT_RE:
        warnings.warn(
            f"{where}: Reynolds number {re_min:.3g} is below {TURBULENT_RE:.0e}; the power number is not "
            "constant outside the turbulent regime, so P = Np rho N^3 D^5 with a constant Np is approximate",
            TransitionalFlowWarning,
            stacklevel=3,
        )


# ----------------------------------------------------------------------------- basic groups
def reynolds(n_rps: float, diameter: float, density: float = 1000.0, viscosity: float = 1.0e-3) -> float:
    """Impeller Reynolds number ``rho N D^2 / mu`` (dimensionless).

    Parameters
    ----------
    n_rps : float or array_like
        Impeller speed in revolutions per second (rpm / 60).
    diameter : float or array_like
        Impeller diameter, m.
    density : float
        Liquid density, kg/m3 (default 1000).
    viscosity : float
        Dynamic viscosity, Pa s (default 1e-3, water at about 20 C).

    Examples
    --------
    >>> round(reynolds(n_rps=10.0, diameter=0.1, density=1000.0, viscosity=0.02), 6)
    5000.0
    """
    n = _check("n_rps", n_rps)
    d = _check("diameter", diameter)
    rho = _check("density", density)
    mu = _check("viscosity", viscosity)
    return _out(rho * n * d**2 / mu)


def is_turbulent(n_rps: float, diameter: float, density: float = 1000.0, viscosity: float = 1.0e-3) -> bool:
    """True if the impeller Reynolds number is at least :data:`TURBULENT_RE` (1e4).

    Examples
    --------
    >>> is_turbulent(10.0, 0.1, viscosity=0.02)
    False
    """
    return bool(np.all(np.asarray(reynolds(n_rps, diameter, density, viscosity)) >= TURBULENT_RE))


def impeller_power(
    n_rps: float,
    diameter: float,
    power_number: float,
    density: float = 1000.0,
    viscosity: float | None = None,
) -> float:
    """Ungassed impeller power ``P = Np rho N^3 D^5`` in W.

    Parameters
    ----------
    n_rps : float or array_like
        Impeller speed, revolutions per second.
    diameter : float or array_like
        Impeller diameter, m.
    power_number : float
        Turbulent power number ``Np`` (about 5 Rushton, 1.3-1.7 pitched blade, 0.3 hydrofoil).
    density : float
        kg/m3.
    viscosity : float, optional
        Pa s.  When given, a :class:`TransitionalFlowWarning` is issued if
        ``Re < 1e4`` (the constant power number does not hold there).

    Examples
    --------
    >>> impeller_power(n_rps=5.0, diameter=1.0, power_number=5.0)  # GATE 2016 BT Q20: 625 kW
    625000.0
    """
    n = _check("n_rps", n_rps)
    d = _check("diameter", diameter)
    np_ = _check("power_number", power_number)
    rho = _check("density", density)
    if viscosity is not None:
        _warn_if_transitional(reynolds(n, d, rho, viscosity), "impeller_power")
    return _out(np_ * rho * n**3 * d**5)


def power_per_volume(
    n_rps: float,
    diameter: float,
    volume_m3: float,
    power_number: float,
    density: float = 1000.0,
    viscosity: float | None = None,
) -> float:
    """Ungassed power per liquid volume ``Np rho N^3 D^5 / V`` in W/m3.

    Parameters
    ----------
    n_rps : float or array_like
        Impeller speed, revolutions per second.
    diameter : float or array_like
        Impeller diameter, m.
    volume_m3 : float or array_like
        Liquid (working) volume, m3 (1 L = 0.001 m3).
    power_number : float
        Turbulent power number of the impeller (sum over impellers for multi-impeller shafts).
    density : float
        kg/m3.
    viscosity : float, optional
        Pa s; warns with :class:`TransitionalFlowWarning` if ``Re < 1e4``.

    Examples
    --------
    >>> round(power_per_volume(10.0, 0.1, 0.021, 5.0), 1)  # Berk (2009) Example 7.1: 2381 W/m3
    2381.0
    """
    v = _check("volume_m3", volume_m3)
    p = impeller_power(n_rps, diameter, power_number, density, viscosity)
    return _out(np.asarray(p) / v)


def tip_speed(n_rps: float, diameter: float) -> float:
    """Impeller tip speed ``pi N D`` in m/s.

    Examples
    --------
    >>> round(tip_speed(n_rps=120 / 60, diameter=0.2), 4)
    1.2566
    """
    n = _check("n_rps", n_rps)
    d = _check("diameter", diameter)
    return _out(math.pi * n * d)


def mixing_time(
    n_rps: float,
    diameter: float,
    tank_diameter: float,
    volume_m3: float,
    power_number: float,
    density: float = 1000.0,
) -> float:
    """Turbulent 95 % mixing time in s by Nienow's correlation.

    ``theta_95 = 5.9 T^(2/3) eps^(-1/3) (D/T)^(-1/3)`` with ``eps = P / (rho V)``
    (W/kg) and ``P = Np rho N^3 D^5`` (Nienow, Chem. Eng. Sci. 52 (1997) 2557).
    Valid in turbulent flow (Re > 1e4) for a single impeller with liquid height
    about equal to the tank diameter; it is a planning estimate for taller vessels.

    Parameters
    ----------
    n_rps : float or array_like
        Impeller speed, revolutions per second.
    diameter : float or array_like
        Impeller diameter D, m.
    tank_diameter : float or array_like
        Tank diameter T, m.
    volume_m3 : float or array_like
        Liquid volume, m3.
    power_number : float
        Turbulent power number.
    density : float
        kg/m3.

    Examples
    --------
    >>> import math
    >>> t = 1.0
    >>> round(mixing_time(2.0, 0.4, t, math.pi / 4 * t**3, 5.0), 2)
    9.95
    """
    n = _check("n_rps", n_rps)
    d = _check("diameter", diameter)
    t = _check("tank_diameter", tank_diameter)
    v = _check("volume_m3", volume_m3)
    if np.any(np.asarray(d) >= np.asarray(t)):
        raise InputError("parameter 'diameter': the impeller diameter must be smaller than 'tank_diameter'")
    p = np.asarray(impeller_power(n, d, power_number, density))
    eps = p / (np.asarray(density, dtype=float) * v)
    return _out(5.9 * np.asarray(t) ** (2.0 / 3.0) * eps ** (-1.0 / 3.0) * (np.asarray(d) / np.asarray(t)) ** (-1.0 / 3.0))


def kla_van_t_riet(
    p_per_v: float,
    u_s: float,
    medium: str = "coalescing",
    coefficients: Sequence[float] | None = None,
) -> float:
    """Volumetric oxygen transfer coefficient kLa in 1/s (van 't Riet 1979).

    ``kLa = C (P/V)^a u_s^b`` with (C, a, b) = (0.026, 0.4, 0.5) for coalescing
    (water-like) media and (0.002, 0.7, 0.2) for non-coalescing (ionic) media.
    Multiply by 3600 for 1/h.

    Parameters
    ----------
    p_per_v : float or array_like
        Gassed power per volume, W/m3.
    u_s : float or array_like
        Superficial gas velocity, m/s (gas flow / tank cross-section).
    medium : {"coalescing", "non_coalescing"}
        Which published coefficient set to use (ignored when ``coefficients`` is given).
    coefficients : (C, a, b), optional
        Your own fitted coefficients for the same SI form.

    Examples
    --------
    >>> round(kla_van_t_riet(1000.0, 0.01) * 3600, 1)
    148.3
    """
    pv = _check("p_per_v", p_per_v)
    us = _check("u_s", u_s)
    if coefficients is not None:
        if isinstance(coefficients, (str, bytes)) or not isinstance(coefficients, Sequence) or len(coefficients) != 3:
            raise InputError(f"parameter 'coefficients': expected (C, a, b), got {coefficients!r}")
        c = _check("coefficients[0] (C)", coefficients[0])
        a = _check("coefficients[1] (exponent of P/V)", coefficients[1], positive=False)
        b = _check("coefficients[2] (exponent of u_s)", coefficients[2], positive=False)
    else:
        if medium not in VAN_T_RIET:
            raise InputError(f"parameter 'medium': expected one of {', '.join(VAN_T_RIET)}, got {medium!r}")
        c, a, b = VAN_T_RIET[medium]
    return _out(c * np.asarray(pv) ** a * np.asarray(us) ** b)


def superficial_gas_velocity(vvm: float, volume_m3: float, tank_diameter: float) -> float:
    """Superficial gas velocity ``u_s = (vvm V / 60) / (pi T^2 / 4)`` in m/s.

    Parameters
    ----------
    vvm : float
        Gas volume per liquid volume per minute, 1/min.
    volume_m3 : float
        Liquid volume, m3.
    tank_diameter : float
        Tank diameter, m.

    Examples
    --------
    >>> import math
    >>> round(superficial_gas_velocity(0.06, math.pi / 4, 1.0), 6)  # 1 m3/min over 0.785 m2
    0.001
    """
    q = _check("vvm", vvm) * _check("volume_m3", volume_m3) / 60.0
    t = _check("tank_diameter", tank_diameter)
    return _out(q / (math.pi * np.asarray(t) ** 2 / 4.0))


# ----------------------------------------------------------------------------- scale-up
def geometric_scale(v1: float, v2: float, d1: float) -> float:
    """Length at the new scale under geometric similarity: ``d1 (v2/v1)^(1/3)``.

    Works for any length (impeller or tank diameter); ``v1`` and ``v2`` in the same unit.

    Examples
    --------
    >>> round(geometric_scale(2.0, 2000.0, 0.05), 6)
    0.5
    """
    a = _check("v1", v1)
    b = _check("v2", v2)
    d = _check("d1", d1)
    return _out(np.asarray(d) * (np.asarray(b) / np.asarray(a)) ** (1.0 / 3.0))


def impeller_speed(n1: float, d1: float, d2: float, criterion: str = "power_per_volume") -> float:
    """Impeller speed at the new scale for geometrically similar vessels.

    ``N2 = N1 (D1/D2)^a`` with ``a`` = 2/3 (constant power per volume), 1 (constant
    tip speed), 2 (constant Reynolds number) or 0 (constant mixing time: in
    turbulent flow ``N theta`` is constant for a given geometry, Nienow 1997).
    Constant P/V assumes turbulent flow at both scales (constant power number).

    Parameters
    ----------
    n1 : float
        Speed at the current scale, in any unit (rps or rpm): the result is in the same unit.
    d1, d2 : float
        Impeller diameters at the current and new scale, same unit.
    criterion : {"power_per_volume", "tip_speed", "reynolds", "mixing_time"}
        Quantity kept constant.

    Examples
    --------
    >>> round(impeller_speed(450.0, 0.1, 1.0, criterion="tip_speed"), 6)
    45.0
    >>> round(impeller_speed(10.0, 1.0, 8.0, criterion="power_per_volume"), 6)
    2.5
    """
    if criterion not in _SPEED_EXPONENT:
        raise InputError(f"parameter 'criterion': expected one of {', '.join(CRITERIA)}, got {criterion!r}")
    n = _check("n1", n1)
    a = _check("d1", d1)
    b = _check("d2", d2)
    return _out(np.asarray(n) * (np.asarray(a) / np.asarray(b)) ** _SPEED_EXPONENT[criterion])


def _window(name: str, value: Any) -> tuple[float | None, float | None] | None:
    if value is None:
        return None
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence) or len(value) != 2:
        raise InputError(f"parameter '{name}': expected (low, high), got {value!r}")
    lo, hi = value
    lo = None if lo is None else float(_check(f"{name}[0]", lo, allow_zero=True))
    hi = None if hi is None else float(_check(f"{name}[1]", hi))
    if lo is not None and hi is not None and lo >= hi:
        raise InputError(f"parameter '{name}': low ({lo:g}) must be below high ({hi:g})")
    return lo, hi


def _outside(value: float, window: tuple[float | None, float | None] | None, label: str, unit: str) -> str:
    if window is None:
        return ""
    lo, hi = window
    if lo is not None and value < lo:
        return f"{label} {value:.3g} {unit} below {lo:g}"
    if hi is not None and value > hi:
        return f"{label} {value:.3g} {unit} above {hi:g}"
    return ""


def scaleup_table(
    volumes_l: Sequence[float],
    n1_rps: float,
    d1: float,
    tank_diameter1: float,
    power_number: float,
    *,
    criteria: Sequence[str] = CRITERIA,
    density: float = 1000.0,
    viscosity: float = 1.0e-3,
    vvm: float | None = None,
    medium: str = "coalescing",
    cell_line: str | None = None,
    pv_window: tuple[float | None, float | None] | None = None,
    tip_speed_window: tuple[float | None, float | None] | None = None,
) -> pd.DataFrame:
    """Scale a stirred tank through several volumes by each criterion and tabulate the outcome.

    The first volume is the reference scale, run at ``n1_rps`` with impeller
    ``d1`` in a tank of diameter ``tank_diameter1``; larger vessels are
    geometrically similar (lengths scale with ``(V/V1)^(1/3)``).  For each
    criterion and volume the table gives the impeller speed and the resulting
    P/V, tip speed, Re, mixing time (Nienow 1997) and, when ``vvm`` is given,
    the superficial gas velocity at constant vvm and van 't Riet's kLa.  Rows whose
    P/V or tip speed fall outside the declared window, or whose Re is below 1e4,
    are flagged.

    Parameters
    ----------
    volumes_l : sequence of float
        Working volumes in L, reference first (e.g. ``[2, 50, 200, 2000]``).
    n1_rps : float
        Impeller speed at the reference scale, revolutions per second (rpm / 60).
    d1, tank_diameter1 : float
        Impeller and tank diameters at the reference scale, m.
    power_number : float
        Turbulent power number (same impeller type at every scale).
    criteria : sequence of str
        Any of ``"power_per_volume", "tip_speed", "reynolds", "mixing_time"``.
    density, viscosity : float
        kg/m3 and Pa s.
    vvm : float, optional
        Gassing rate in vessel volumes per minute, kept constant across scales.
    medium : {"coalescing", "non_coalescing"}
        van 't Riet coefficient set for kLa.
    cell_line : {"HEK293", "E. coli"}, optional
        Use the P/V window of :data:`CELL_LINE_WINDOWS`.
    pv_window, tip_speed_window : (low, high), optional
        Declared windows in W/m3 and m/s (either end may be None); ``pv_window``
        overrides the cell line's.

    Returns
    -------
    pandas.DataFrame
        One row per criterion and volume with columns ``criterion, volume_l,
        scale_factor, tank_diameter_m, impeller_diameter_m, n_rps, n_rpm,
        power_w, p_per_v_w_m3, tip_speed_m_s, reynolds, turbulent,
        mixing_time_s, u_s_m_s, kla_per_h, pv_ok, tip_speed_ok, flags``.
        ``u_s_m_s`` and ``kla_per_h`` are present only when ``vvm`` is given.

    Examples
    --------
    >>> t = scaleup_table([2, 2000], n1_rps=2.0, d1=0.05, tank_diameter1=0.13,
    ...                   power_number=1.5, criteria=["tip_speed"], cell_line="HEK293")
    >>> [round(x, 3) for x in t["n_rps"]]
    [2.0, 0.2]
    """
    if isinstance(volumes_l, (str, bytes)) or not isinstance(volumes_l, (Sequence, np.ndarray, pd.Series)):
        raise InputError(f"parameter 'volumes_l': expected a list of volumes in L, got {volumes_l!r}")
    vols = np.atleast_1d(_check("volumes_l", list(volumes_l)))
    if vols.ndim != 1:
        raise InputError("parameter 'volumes_l': expected a flat list of volumes in L")
    n1 = float(_check("n1_rps", n1_rps))
    d1f = float(_check("d1", d1))
    t1 = float(_check("tank_diameter1", tank_diameter1))
    if d1f >= t1:
        raise InputError(f"parameter 'd1': impeller diameter {d1f:g} m must be smaller than tank_diameter1 {t1:g} m")
    np_ = float(_check("power_number", power_number))
    rho = float(_check("density", density))
    mu = float(_check("viscosity", viscosity))
    if isinstance(criteria, str):
        criteria = [criteria]
    criteria = list(criteria)
    if not criteria:
        raise InputError("parameter 'criteria': expected at least one criterion")
    for c in criteria:
        if c not in _SPEED_EXPONENT:
            raise InputError(f"parameter 'criteria': unknown criterion {c!r}, expected one of {', '.join(CRITERIA)}")
    if vvm is not None:
        vvm = float(_check("vvm", vvm))
        if medium not in VAN_T_RIET:
            raise InputError(f"parameter 'medium': expected one of {', '.join(VAN_T_RIET)}, got {medium!r}")
    if cell_line is not None and cell_line not in CELL_LINE_WINDOWS:
        raise InputError(f"parameter 'cell_line': expected one of {', '.join(CELL_LINE_WINDOWS)}, got {cell_line!r}")
    pvw = _window("pv_window", pv_window)
    if pvw is None and cell_line is not None:
        pvw = CELL_LINE_WINDOWS[cell_line]["power_per_volume"]
    tsw = _window("tip_speed_window", tip_speed_window)

    rows = []
    for crit in criteria:
        for v_l in vols:
            s = (v_l / vols[0]) ** (1.0 / 3.0)
            d, t = d1f * s, t1 * s
            v_m3 = v_l / 1000.0
            n = float(impeller_speed(n1, d1f, d, crit))
            p = np_ * rho * n**3 * d**5
            pv = p / v_m3
            ts = math.pi * n * d
            re = rho * n * d**2 / mu
            theta = float(mixing_time(n, d, t, v_m3, np_, rho))
            row = {
                "criterion": crit,
                "volume_l": float(v_l),
                "scale_factor": float(s),
                "tank_diameter_m": t,
                "impeller_diameter_m": d,
                "n_rps": n,
                "n_rpm": n * 60.0,
                "power_w": p,
                "p_per_v_w_m3": pv,
                "tip_speed_m_s": ts,
                "reynolds": re,
                "turbulent": bool(re >= TURBULENT_RE),
                "mixing_time_s": theta,
            }
            if vvm is not None:
                us = float(superficial_gas_velocity(vvm, v_m3, t))
                row["u_s_m_s"] = us
                row["kla_per_h"] = float(kla_van_t_riet(pv, us, medium)) * 3600.0
            flags = [
                _outside(pv, pvw, "P/V", "W/m3"),
                _outside(ts, tsw, "tip speed", "m/s"),
                "" if re >= TURBULENT_RE else f"Re {re:.3g} < 1e4 (Np not constant)",
            ]
            row["pv_ok"] = None if pvw is None else not flags[0]
            row["tip_speed_ok"] = None if tsw is None else not flags[1]
            row["flags"] = "; ".join(f for f in flags if f)
            rows.append(row)
    out = pd.DataFrame(rows)
    for col in ("pv_ok", "tip_speed_ok"):
        if out[col].isna().all():
            out[col] = pd.array([pd.NA] * len(out), dtype="boolean")
        else:
            out[col] = out[col].astype("boolean")
    out.attrs["power_number"] = np_
    out.attrs["pv_window_w_m3"] = pvw
    out.attrs["tip_speed_window_m_s"] = tsw
    out.attrs["mixing_time_correlation"] = "Nienow 1997: theta95 = 5.9 T^(2/3) eps^(-1/3) (D/T)^(-1/3)"
    return out
