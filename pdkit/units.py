"""Unit parsing and conversion for bioprocess quantities (built on pint).

pint knows SI and common lab units (mL, ug, g/L, W/m**3).  pdkit adds the count
units of the field as dimensionless-but-distinct base units so that a titer in
``vg/mL`` can be converted to ``vg/L`` but never silently to ``cells/mL``:

``vg`` (vector genomes), ``cp`` (capsid particles), ``cells``, ``TU``
(transducing units), ``IU``, ``copies``, ``EU`` (endotoxin units), ``OD``.

pint has no osmole, so pdkit defines ``osmol`` (aliases ``osmole``, ``Osm``,
``Osmol``) as a base dimension of its own: it counts osmotically active
particles in moles, so an osmolality in ``mOsm/kg`` converts to ``Osm/kg`` or
``osmol/kg`` but never to ``mol/kg`` (1 mol of NaCl gives about 2 osmol).

Examples
--------
>>> from pdkit.units import convert
>>> float(convert(2.0e10, "vg/mL", "vg/L"))
20000000000000.0
>>> float(convert(1.2, "mg/mL", "g/L"))
1.2
>>> float(convert(290.0, "mOsm/kg", "Osm/kg"))
0.29
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

import numpy as np

from .errors import InputError

__all__ = ["registry", "parse_unit", "convert", "same_dimension", "normalize_unit"]

_EXTRA = [
    "vector_genome = [vector_genome] = vg",
    "capsid_particle = [capsid_particle] = cp = capsids = capsid",
    "cell = [cell] = cells",
    "transducing_unit = [transducing_unit] = TU",
    "infectious_unit = [infectious_unit] = IU",
    "copy = [copy] = copies",
    "endotoxin_unit = [endotoxin_unit] = EU",
    "optical_density_unit = [optical_density] = OD = OD600",
    "osmole = [osmotic_amount] = osmol = Osm = Osmol",
    "percent_ = 0.01 = pct",
]

# Spellings seen in lab exports, mapped to pint syntax.
_ALIASES = {
    "%": "percent",
    "µg": "ug",
    "μg": "ug",
    "µL": "uL",
    "μL": "uL",
    "µm": "um",
    "cells/ml": "cells/mL",
    "vg/ml": "vg/mL",
    "h": "hour",
    "d": "day",
    "days": "day",
    "hours": "hour",
    "months": "month",
    "x10^6 cells/mL": "1e6 cells/mL",
    "1e6 cells/mL": "1e6 cells/mL",
    "-": "dimensionless",
    "": "dimensionless",
}


_PER_SCALED = re.compile(r"/\s*(\d[\d.]*(?:[eE][+-]?\d+)?)\s+([A-Za-z_][A-Za-z_0-9]*)")


@lru_cache(maxsize=1)
def registry():
    """The shared pint ``UnitRegistry`` with pdkit's count units defined."""
    import pint

    ureg = pint.UnitRegistry(autoconvert_offset_to_baseunit=True)
    for line in _EXTRA:
        try:
            ureg.define(line)
        except Exception:  # already defined by pint (e.g. 'percent' variants)
            pass
    return ureg


def normalize_unit(unit: str | None) -> str:
    """Map common lab spellings (``%``, ``µg``, ``h``) to pint syntax."""
    u = "" if unit is None or (isinstance(unit, float) and np.isnan(unit)) else str(unit).strip()
    if u in _ALIASES:
        return _ALIASES[u]
    for a, b in (("µ", "u"), ("μ", "u"), ("%", "percent")):
        u = u.replace(a, b)
    # "ng/1e13 vg" means ng per (1e13 vg); pint would read (ng/1e13)*vg
    u = _PER_SCALED.sub(lambda m: f"/({m.group(1)} {m.group(2)})", u)
    return u


@lru_cache(maxsize=512)
def parse_unit(unit: str | None, where: str = "unit"):
    """Parse a unit string into a pint quantity of magnitude 1 (or raise :class:`InputError`).

    ``where`` names the place for the message, e.g. ``"runs.csv, column 'unit', row 4"``.
    """
    text = normalize_unit(unit)
    try:
        return registry().Quantity(1, text) if text != "dimensionless" else registry().Quantity(1)
    except Exception:
        try:
            return registry().parse_expression(text)
        except Exception:
            raise InputError(f"{where}: unknown unit {unit!r}") from None


def same_dimension(a: str, b: str) -> bool:
    """True if units ``a`` and ``b`` can be converted into each other."""
    return parse_unit(a).dimensionality == parse_unit(b).dimensionality


def convert(values: Any, from_unit: str, to_unit: str, where: str = "value") -> Any:
    """Convert ``values`` from ``from_unit`` to ``to_unit``; raise :class:`InputError` if impossible.

    Works on scalars and numpy arrays (returns the same shape as float).
    """
    a, b = parse_unit(from_unit, where), parse_unit(to_unit, where)
    if a.dimensionality != b.dimensionality:
        raise InputError(f"{where}: cannot convert {from_unit!r} to {to_unit!r} (different dimensions)")
    factor = float(a.to(b.units).magnitude / b.magnitude)
    return np.asarray(values, dtype=float) * factor
