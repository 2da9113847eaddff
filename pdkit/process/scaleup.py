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
* Multi-impeller shafts (liquid height above ``T``): pdkit ships **no** absolute
  correlation.  A dependence of roughly ``(H/T)^2.43`` for multiple Rushton turbines
  (Cooke, Middleton and Bush 1988, as summarised by Grenville and Nienow in the
  *Handbook of Industrial Mixing*, Wiley 2004, ch. 6) is quoted in the literature, but
  its exact published form (constant, exponents, range of H/T and impeller spacing)
  could not be checked against the primary text, so it is not encoded.
  :func:`mixing_time_multi_impeller` instead scales a **measured** mixing time of a
  geometrically similar vessel (same number of impellers, D/T, H/T and spacing) with
  ``N theta_95 = constant`` (turbulent flow; Nienow 1997), and
  :func:`scaleup_table` does the same when given ``n_impellers``, ``liquid_height1``
  and ``mixing_time1_s``; without a measurement it reports Nienow's single-impeller
  value flagged as a lower bound.
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
    "CELL_LINE_WINDOW_LABELS",
    "TransitionalFlowWarning",
    "MixingTimeWarning",
    "reynolds",
    "is_turbulent",
    "impeller_power",
    "power_per_volume",
    "tip_speed",
    "mixing_time",
    "mixing_time_multi_impeller",
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

#: **Planning** P/V windows (W/m3) carried over from the course primer: HEK293
#: suspension culture 60-450 W/m3, E. coli high-density fermentation 2-5 kW/m3.
#: They are not published tolerance limits: no primary source giving these bounds for
#: HEK293 (or these E. coli bounds) has been located, so treat them as starting values
#: to replace with a window justified from your own clone's growth and quality data.
#: Tip-speed windows are not preset: declare one with ``tip_speed_window``.
CELL_LINE_WINDOWS: dict[str, dict[str, tuple[float, float]]] = {
    "HEK293": {"power_per_volume": (60.0, 450.0)},
    "E. coli": {"power_per_volume": (2000.0, 5000.0)},
}

#: How each window of :data:`CELL_LINE_WINDOWS` is labelled in tables and plots.
CELL_LINE_WINDOW_LABELS: dict[str, str] = {
    "HEK293": "HEK293 planning window (not a published limit)",
    "E. coli": "E. coli planning window (not a published limit)",
}

#: van 't Riet (1979) coefficients (C, exponent of P/V, exponent of u_s), SI units.
VAN_T_RIET: dict[str, tuple[float, float, float]] = {
    "coalescing": (0.026, 0.4, 0.5),
    "non_coalescing": (0.002, 0.7, 0.2),
}


class TransitionalFlowWarning(UserWarning):
    """Re is below :data:`TURBULENT_RE`: the constant-power-number relations are approximate."""


class MixingTimeWarning(UserWarning):
    """A mixing-time correlation is used outside the geometry it was derived for (an estimate only)."""

#: |H/T - 1| above which :func:`mixing_time` warns that H is not about equal to T
#: (pdkit's tolerance for "H = T", not a value from the source).
_H_EQUALS_T_TOL = 0.1


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
    *,
    liquid_height: float | None = None,
    n_impellers: int = 1,
    viscosity: float | None = None,
) -> float:
    """Turbulent 95 % mixing time in s by Nienow's single-impeller correlation.

    ``theta_95 = 5.9 T^(2/3) eps^(-1/3) (D/T)^(-1/3)`` with ``eps = P / (rho V)``
    (W/kg) and ``P = Np rho N^3 D^5`` (Nienow, Chem. Eng. Sci. 52 (1997) 2557).
    Valid in turbulent flow (Re > 1e4) for a **single** impeller with liquid height
    about equal to the tank diameter.  A shaft with several impellers is refused
    (``n_impellers > 1``): use :func:`mixing_time_multi_impeller`, which scales a
    measured mixing time.  With ``liquid_height`` more than 10 % away from ``T`` a
    :class:`MixingTimeWarning` is issued (an estimate outside the correlation's
    geometry); with ``viscosity`` a Reynolds number below 1e4 is refused.

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
    liquid_height : float, optional
        Liquid height H, m; checked against ``T`` when given.
    n_impellers : int
        Impellers on the shaft (default 1); more than one raises :class:`~pdkit.errors.InputError`.
    viscosity : float, optional
        Pa s; when given, ``Re < 1e4`` raises :class:`~pdkit.errors.InputError`.

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
    if _whole(n_impellers, "n_impellers") > 1:
        raise InputError(
            f"parameter 'n_impellers': Nienow's correlation is for a single impeller, got {n_impellers}; "
            "for a multi-impeller shaft use mixing_time_multi_impeller with a measured mixing time"
        )
    if liquid_height is not None:
        h_t = np.asarray(_check("liquid_height", liquid_height)) / np.asarray(t)
        if np.any(np.abs(h_t - 1.0) > _H_EQUALS_T_TOL):
            warnings.warn(
                f"mixing_time: H/T = {float(np.max(h_t)):.2f}; Nienow's correlation was derived for H = T, so this "
                "is an estimate outside its geometry",
                MixingTimeWarning,
                stacklevel=2,
            )
    if viscosity is not None:
        re = np.asarray(reynolds(n, d, density, viscosity))
        if np.any(re < TURBULENT_RE):
            raise InputError(
                f"parameter 'viscosity': Reynolds number {float(np.min(re)):.3g} is below {TURBULENT_RE:.0e}; "
                "the turbulent mixing-time correlation does not apply"
            )
    p = np.asarray(impeller_power(n, d, power_number, density))
    eps = p / (np.asarray(density, dtype=float) * v)
    return _out(5.9 * np.asarray(t) ** (2.0 / 3.0) * eps ** (-1.0 / 3.0) * (np.asarray(d) / np.asarray(t)) ** (-1.0 / 3.0))


def _whole(value: Any, name: str) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or int(value) < 1:
        raise InputError(f"parameter '{name}': expected a whole number >= 1, got {value!r}")
    return int(value)


def mixing_time_multi_impeller(
    n_rps: float,
    diameter: float,
    tank_diameter: float,
    liquid_height: float,
    n_impellers: int,
    *,
    reference_mixing_time_s: float,
    reference_n_rps: float,
    reference_diameter: float,
    reference_tank_diameter: float,
    reference_liquid_height: float,
    density: float = 1000.0,
    viscosity: float = 1.0e-3,
    rtol: float = 0.05,
) -> float:
    """95 % mixing time of a multi-impeller vessel, scaled from a measured one: ``theta_ref N_ref / N``.

    In fully turbulent flow the dimensionless mixing time ``N theta_95`` depends
    only on the geometry, whatever the number of impellers, so for two
    geometrically similar vessels (same impeller type and number, same D/T, H/T
    and impeller spacing relative to T) ``theta_95 = theta_ref N_ref / N``
    (Nienow, Chem. Eng. Sci. 52 (1997) 2557-2565; the same constancy underlies his
    single-impeller correlation).  The reference time must be **measured** (e.g. a
    conductivity or pH tracer at the bench, ungassed and at the same H/T): pdkit has
    no absolute multi-impeller correlation, because the exact published form of the
    ``(H/T)^2.43`` dependence reported for multiple Rushton turbines (Cooke,
    Middleton and Bush 1988) could not be verified (see the module notes).

    Validity (checked): Re >= 1e4 at both scales, else :class:`~pdkit.errors.InputError`;
    D/T and H/T of the two vessels equal within ``rtol`` (default 5 %), else
    :class:`~pdkit.errors.InputError`.  Not checked, and the caller's responsibility:
    the same number, type and spacing of impellers at both scales, and that gassing
    (which changes mixing times) is the same.

    Parameters
    ----------
    n_rps, diameter, tank_diameter, liquid_height : float
        Impeller speed (1/s), impeller diameter, tank diameter and liquid height (m)
        of the vessel to predict.
    n_impellers : int
        Impellers on the shaft (the same at both scales).
    reference_mixing_time_s : float
        Measured 95 % mixing time of the reference vessel, s.
    reference_n_rps, reference_diameter, reference_tank_diameter, reference_liquid_height : float
        Speed and geometry of the reference vessel at which it was measured.
    density, viscosity : float
        kg/m3 and Pa s (for the Reynolds-number check).
    rtol : float
        Relative tolerance on D/T and H/T for "geometrically similar".

    Examples
    --------
    Two-impeller vessel measured at 10 s at 5 1/s; the 1000x larger vessel at 2 1/s:

    >>> mixing_time_multi_impeller(2.0, 0.6, 1.3, 2.6, 2, reference_mixing_time_s=10.0,
    ...                            reference_n_rps=5.0, reference_diameter=0.06,
    ...                            reference_tank_diameter=0.13, reference_liquid_height=0.26)
    25.0
    """
    n = float(_check("n_rps", n_rps))
    d = float(_check("diameter", diameter))
    t = float(_check("tank_diameter", tank_diameter))
    h = float(_check("liquid_height", liquid_height))
    _whole(n_impellers, "n_impellers")
    theta_ref = float(_check("reference_mixing_time_s", reference_mixing_time_s))
    n_ref = float(_check("reference_n_rps", reference_n_rps))
    d_ref = float(_check("reference_diameter", reference_diameter))
    t_ref = float(_check("reference_tank_diameter", reference_tank_diameter))
    h_ref = float(_check("reference_liquid_height", reference_liquid_height))
    tol = float(_check("rtol", rtol))
    if d >= t:
        raise InputError(f"parameter 'diameter': impeller diameter {d:g} m must be smaller than tank_diameter {t:g} m")
    if d_ref >= t_ref:
        raise InputError(f"parameter 'reference_diameter': impeller diameter {d_ref:g} m must be smaller than "
                         f"reference_tank_diameter {t_ref:g} m")
    for what, new, ref in (("D/T", d / t, d_ref / t_ref), ("H/T", h / t, h_ref / t_ref)):
        if abs(new / ref - 1.0) > tol:
            raise InputError(
                f"mixing_time_multi_impeller: {what} is {new:.3g} here but {ref:.3g} in the reference vessel; "
                f"the scaling needs geometrically similar vessels (within rtol = {tol:g})"
            )
    for label, speed, dia in (("n_rps", n, d), ("reference_n_rps", n_ref, d_ref)):
        re = float(reynolds(speed, dia, density, viscosity))
        if re < TURBULENT_RE:
            raise InputError(
                f"parameter '{label}': Reynolds number {re:.3g} is below {TURBULENT_RE:.0e}; N theta_95 is constant "
                "only in turbulent flow"
            )
    return theta_ref * n_ref / n


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
    liquid_height1: float | None = None,
    n_impellers: int = 1,
    mixing_time1_s: float | None = None,
) -> pd.DataFrame:
    """Scale a stirred tank through several volumes by each criterion and tabulate the outcome.

    The first volume is the reference scale, run at ``n1_rps`` with impeller
    ``d1`` in a tank of diameter ``tank_diameter1``; larger vessels are
    geometrically similar (lengths scale with ``(V/V1)^(1/3)``).  For each
    criterion and volume the table gives the impeller speed and the resulting
    P/V, tip speed, Re, 95 % mixing time and, when ``vvm`` is given, the
    superficial gas velocity at constant vvm and van 't Riet's kLa.  Rows whose
    P/V or tip speed fall outside the declared window, or whose Re is below 1e4,
    are flagged.

    The mixing time (column ``mixing_time_basis`` says which) is

    * a measured reference time scaled with ``N theta_95 = constant`` (see
      :func:`mixing_time_multi_impeller`) when ``mixing_time1_s`` is given - the
      form to use for a multi-impeller shaft (rows with Re < 1e4 are flagged, the
      scaling needs turbulent flow);
    * otherwise Nienow's single-impeller correlation (:func:`mixing_time`), which is
      the vessel's estimate for one impeller at H = T, and only a **lower bound**
      when ``n_impellers > 1`` or H/T differs from 1 (pdkit has no verified absolute
      multi-impeller correlation; ratios between scales are still right under
      geometric similarity, because both forms scale as 1/N).

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
        overrides the cell line's (planning) window.
    liquid_height1 : float, optional
        Liquid height at the reference scale, m (required when ``n_impellers > 1``);
        it scales with the other lengths.
    n_impellers : int
        Impellers on the shaft, the same at every scale (default 1).
    mixing_time1_s : float, optional
        **Measured** 95 % mixing time at the reference scale and speed, s.

    Returns
    -------
    pandas.DataFrame
        One row per criterion and volume with columns ``criterion, volume_l,
        scale_factor, tank_diameter_m, impeller_diameter_m, n_rps, n_rpm,
        power_w, p_per_v_w_m3, tip_speed_m_s, reynolds, turbulent,
        mixing_time_s, mixing_time_basis, u_s_m_s, kla_per_h, pv_ok, tip_speed_ok,
        flags`` (and ``liquid_height_m`` after ``tank_diameter_m`` when
        ``liquid_height1`` is given).  ``u_s_m_s`` and ``kla_per_h`` are present only
        when ``vvm`` is given.  ``attrs`` hold the declared windows
        (``pv_window_w_m3``, ``pv_window_label``, ``tip_speed_window_m_s``),
        ``n_impellers``, ``h_over_t`` and ``mixing_time_correlation``.

    Examples
    --------
    >>> t = scaleup_table([2, 2000], n1_rps=2.0, d1=0.05, tank_diameter1=0.13,
    ...                   power_number=1.5, criteria=["tip_speed"], cell_line="HEK293")
    >>> [round(x, 3) for x in t["n_rps"]]
    [2.0, 0.2]
    >>> t.attrs["pv_window_label"]
    'HEK293 planning window (not a published limit)'

    A two-impeller shaft with a measured 8 s mixing time at the 2 L reference:

    >>> t2 = scaleup_table([2, 2000], 5.0, 0.06, 0.13, 3.0, criteria=["power_per_volume"],
    ...                    liquid_height1=0.15, n_impellers=2, mixing_time1_s=8.0)
    >>> [round(x, 1) for x in t2["mixing_time_s"]]
    [8.0, 37.1]
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
    pv_label = None
    if pvw is None and cell_line is not None:
        pvw = CELL_LINE_WINDOWS[cell_line]["power_per_volume"]
        pv_label = CELL_LINE_WINDOW_LABELS[cell_line]
    tsw = _window("tip_speed_window", tip_speed_window)
    n_imp = _whole(n_impellers, "n_impellers")
    h1 = None if liquid_height1 is None else float(_check("liquid_height1", liquid_height1))
    if n_imp > 1 and h1 is None:
        raise InputError("parameter 'liquid_height1': required when n_impellers > 1 (the shaft's H/T must be stated)")
    h_t = None if h1 is None else h1 / t1
    theta1 = None if mixing_time1_s is None else float(_check("mixing_time1_s", mixing_time1_s))
    single_geometry = n_imp == 1 and (h_t is None or abs(h_t - 1.0) <= _H_EQUALS_T_TOL)
    geometry = f"{n_imp} impeller{'s' if n_imp > 1 else ''}" + ("" if h_t is None else f", H/T {h_t:.2f}")
    if theta1 is not None:
        basis = f"measured {theta1:g} s at {float(vols[0]):g} L, scaled N theta95 = const ({geometry})"
        correlation = ("measured reference mixing time scaled with N theta95 = constant (turbulent, geometric "
                       "similarity; Nienow 1997)")
    elif single_geometry:
        basis = "Nienow 1997 single impeller, H = T"
        correlation = "Nienow 1997: theta95 = 5.9 T^(2/3) eps^(-1/3) (D/T)^(-1/3)"
    else:
        basis = f"lower bound: Nienow 1997 single-impeller correlation ({geometry})"
        correlation = ("Nienow 1997 single-impeller correlation as a lower bound for this geometry; no verified "
                       "multi-impeller correlation - pass a measured mixing_time1_s")

    re1 = rho * n1 * d1f**2 / mu
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
            if theta1 is not None:
                theta = theta1 * n1 / n
            else:
                theta = float(mixing_time(n, d, t, v_m3, np_, rho))
            row = {
                "criterion": crit,
                "volume_l": float(v_l),
                "scale_factor": float(s),
                "tank_diameter_m": t,
            }
            if h1 is not None:
                row["liquid_height_m"] = h1 * s
            row.update({
                "impeller_diameter_m": d,
                "n_rps": n,
                "n_rpm": n * 60.0,
                "power_w": p,
                "p_per_v_w_m3": pv,
                "tip_speed_m_s": ts,
                "reynolds": re,
                "turbulent": bool(re >= TURBULENT_RE),
                "mixing_time_s": theta,
                "mixing_time_basis": basis,
            })
            if vvm is not None:
                us = float(superficial_gas_velocity(vvm, v_m3, t))
                row["u_s_m_s"] = us
                row["kla_per_h"] = float(kla_van_t_riet(pv, us, medium)) * 3600.0
            flags = [
                _outside(pv, pvw, "P/V", "W/m3"),
                _outside(ts, tsw, "tip speed", "m/s"),
                "" if re >= TURBULENT_RE else f"Re {re:.3g} < 1e4 (Np not constant)",
                "" if theta1 is None or (re >= TURBULENT_RE and re1 >= TURBULENT_RE)
                else "mixing-time scaling needs Re >= 1e4 at both scales",
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
    out.attrs["pv_window_label"] = pv_label
    out.attrs["tip_speed_window_m_s"] = tsw
    out.attrs["n_impellers"] = n_imp
    out.attrs["h_over_t"] = h_t
    out.attrs["mixing_time_correlation"] = correlation
    return out
