"""Unit parsing and conversion for bioprocess quantities (built on pint).

pint knows SI and common lab units (mL, ug, g/L, W/m**3).  pdkit adds the count
units of the field as dimensionless-but-distinct base units so that a titer in
``vg/mL`` can be converted to ``vg/L`` but never silently to ``cells/mL``.

Count units and their declared equivalences
-------------------------------------------
Two count spellings convert into each other **only** when they are listed in the same
row of :data:`COUNT_UNITS` (one row = one pint base dimension); every other pair raises
"different dimensions".  Ratios between rows (vg per IU, % full = vg/cp) are results of
assays, never unit conversions.

=====================  ==============================  ======================================
dimension              spellings (exact case)          meaning
=====================  ==============================  ======================================
genome copies          ``vg``, ``GC``                  vector genomes = genome copies (qPCR,
                                                       ddPCR): ``GC/mL`` is ``vg/mL``
capsid particles       ``cp``, ``capsid(s)``, ``VP``,  physical particles (capsid ELISA, OD,
                       ``particles``                   p24): full + empty, not genomes
copies                 ``copies``, ``copy``            copies of one target sequence
                                                       (residual plasmid, host-cell DNA), not
                                                       vector genomes
transducing units      ``TU``                          functional titer by transduction
infectious units       ``IU``                          infectious titer (TCID50, ...)
focus-forming units    ``IFU``                         infectious titer by focus/IF staining
cells                  ``cells``, ``cell``             cell counts
endotoxin units        ``EU``                          USP <85>
optical density        ``OD``, ``OD600``               absorbance units
osmoles                ``osmol``, ``Osm``, ``Osmol``   osmotically active amount
=====================  ==============================  ======================================

TU, IU and IFU are infectious-unit counts from different assays: they do not convert into
each other nor into genome copies.  ``cp`` means capsid particles, as in the sample data
(``capsid_titer`` in ``cp/mL``); write ``copies`` for qPCR copies of a target.

Spelling rules (each violation is one line naming the place and the right spelling):

* SI prefixes apply to physical units only.  A prefix on a count unit (``kvg``, ``Mcp``) is
  an error: write the power of ten, ``1e6 vg``.  ``MC`` is not "million copies": pint would
  read mega-coulomb, and any unit of electric charge (``C``, ``GC`` before pdkit defined it)
  is refused, because a lab table never means coulomb (``C`` is usually Celsius: ``degC``).
* Scientific notation is accepted: ``1E+13 vg/mL``, ``ng/1e13 vg`` (ng per 1e13 vg).
* Case matters.  A token that differs only by case from a known spelling is an error when
  it means something else to pint (``ML`` = megalitre, ``Mg`` = megagram, ``Vg``, ``gc``),
  and accepted with a :class:`UnitSpellingWarning` when pint reads it the same (``ml``).
  :func:`unit_spelling` returns the correct spelling without parsing.

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
>>> float(convert(3.0e12, "GC/mL", "vg/mL"))
3000000000000.0
"""
from __future__ import annotations

import math
import re
import warnings
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from pdkit.errors import InputError

__all__ = [
    "registry",
    "parse_unit",
    "convert",
    "same_dimension",
    "normalize_unit",
    "unit_spelling",
    "count_units",
    "CountUnit",
    "COUNT_UNITS",
    "UnitSpellingWarning",
]


class UnitSpellingWarning(UserWarning):
    """A unit accepted with the same meaning but spelled unconventionally (``ml`` for ``mL``)."""


@dataclass(frozen=True)
class CountUnit:
    """One count dimension: its pint name, the spellings that are one and the same unit."""

    dimension: str
    unit: str
    symbols: tuple[str, ...]
    meaning: str


#: The declared equivalence table: spellings in one row convert 1:1, rows never convert.
COUNT_UNITS: tuple[CountUnit, ...] = (
    CountUnit("genome copies", "vector_genome", ("vg", "GC", "genome_copy", "genome_copies"),
              "vector genomes = genome copies (qPCR/ddPCR titer)"),
    CountUnit("capsid particles", "capsid_particle", ("cp", "capsids", "capsid", "VP"),
              "physical (viral) particles, full + empty (ELISA, OD260/280, p24)"),
    CountUnit("copies", "copy", ("copies",),
              "copies of one target sequence (residual plasmid, host-cell DNA); not vector genomes"),
    CountUnit("transducing units", "transducing_unit", ("TU",), "functional titer by transduction"),
    CountUnit("infectious units", "infectious_unit", ("IU",), "infectious titer (e.g. TCID50)"),
    CountUnit("focus-forming units", "infectious_focus_unit", ("IFU",),
              "infectious titer by focus / immunofluorescence staining"),
    CountUnit("cells", "cell", ("cells",), "cell counts"),
    CountUnit("endotoxin units", "endotoxin_unit", ("EU",), "USP <85> endotoxin units"),
    CountUnit("optical density", "optical_density_unit", ("OD", "OD600"), "absorbance units"),
)

_DIM = {"vector_genome": "vector_genome", "capsid_particle": "capsid_particle", "copy": "copy",
        "transducing_unit": "transducing_unit", "infectious_unit": "infectious_unit",
        "infectious_focus_unit": "infectious_focus_unit", "cell": "cell",
        "endotoxin_unit": "endotoxin_unit", "optical_density_unit": "optical_density"}

_EXTRA = [
    f"{c.unit} = [{_DIM[c.unit]}] = " + " = ".join(c.symbols) for c in COUNT_UNITS
] + [
    "osmole = [osmotic_amount] = osmol = Osm = Osmol",
    "percent_ = 0.01 = pct",
]

#: pint names of the count units (a prefix on any of them is refused).
_COUNT_NAMES = frozenset(c.unit for c in COUNT_UNITS)

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

# Whole-word spellings replaced before pint sees them (pint's own 'particle' is 1/N_A mol).
_TOKEN_ALIASES = {"particles": "VP", "particle": "VP"}

#: Canonical spellings checked for case errors (a token equal to one of these up to case).
_CANONICAL = (
    "mL", "uL", "nL", "dL", "L", "ug", "mg", "ng", "pg", "g", "kg", "vg", "GC", "cp", "VP", "TU", "IU",
    "IFU", "EU", "OD", "OD600", "copies", "cells", "capsids", "mOsm", "Osm", "osmol", "hour", "day",
    "min", "h", "s", "percent", "kDa", "mM", "mol", "mmol", "umol",
)
_CANON_BY_FOLD: dict[str, str] = {c.casefold(): c for c in _CANONICAL}
_QUIET_VARIANTS = frozenset({"l"})  # the SI-approved lower-case litre

_PER_SCALED = re.compile(r"/\s*(\d[\d.]*(?:[eE][+-]?\d+)?)\s+([A-Za-z_][A-Za-z_0-9]*)")
_NUMBER = re.compile(r"(?<![A-Za-z_])\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|(?<![A-Za-z_0-9])\.\d+(?:[eE][+-]?\d+)?")
_TOKEN = re.compile(r"[A-Za-z_][A-Za-z_0-9]*")
_WORD = re.compile(r"(?<![A-Za-z_0-9.])([A-Za-z_][A-Za-z_0-9]*)")


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


def count_units():
    """The declared count-unit equivalence table as a DataFrame (one row per dimension).

    Examples
    --------
    >>> t = count_units()
    >>> t.loc[t["dimension"] == "genome copies", "symbols"].item()
    'vg, GC, genome_copy, genome_copies'
    """
    import pandas as pd

    return pd.DataFrame([{"dimension": c.dimension, "symbols": ", ".join(c.symbols), "pint_unit": c.unit,
                          "meaning": c.meaning} for c in COUNT_UNITS])


def normalize_unit(unit: str | None) -> str:
    """Map common lab spellings (``%``, ``µg``, ``h``) to pint syntax."""
    u = "" if unit is None or (isinstance(unit, float) and np.isnan(unit)) else str(unit).strip()
    if u in _ALIASES:
        return _ALIASES[u]
    for a, b in (("µ", "u"), ("μ", "u"), ("%", "percent")):
        u = u.replace(a, b)
    u = _WORD.sub(lambda m: _TOKEN_ALIASES.get(m.group(1), m.group(1)), u)
    # "ng/1e13 vg" means ng per (1e13 vg); pint would read (ng/1e13)*vg
    u = _PER_SCALED.sub(lambda m: f"/({m.group(1)} {m.group(2)})", u)
    return u


def _tokens(text: str) -> list[str]:
    return _TOKEN.findall(_NUMBER.sub(" ", text))


@lru_cache(maxsize=1024)
def _token_problem(token: str) -> tuple[str, str] | None:
    """("error"|"warn", message) for one unit token, or None if it is fine."""
    ureg = registry()
    if token in ("e", "E"):  # stray exponent of a number such as '1E+13'
        return None
    try:
        candidates = ureg.parse_unit_name(token)
    except Exception:
        candidates = ()
    if candidates:
        prefix, name, _ = candidates[0]
        if name in _COUNT_NAMES and prefix:
            power = round(math.log10(float(ureg.Quantity(1, prefix + name).to(name).magnitude)))
            symbol = next((s for c in COUNT_UNITS if c.unit == name for s in c.symbols if token.endswith(s)), name)
            return ("error", f"{token!r} puts the SI prefix {prefix!r} on the count unit {symbol!r}; write the "
                             f"power of ten as a number, e.g. '1e{power} {symbol}'")
        try:
            dim = ureg.Quantity(1, name).dimensionality
        except Exception:  # pragma: no cover - pint names always parse
            dim = {}
        if dict(dim) == {"[current]": 1, "[time]": 1}:
            hint = "for temperature write 'degC'" if token == "C" else (
                "for genome copies write 'GC' or 'vg' with the power of ten as a number, e.g. '1e6 GC'")
            return ("error", f"{token!r} would be read as {prefix}{name} (electric charge), which no lab table "
                             f"means; {hint}")
    canon = _CANON_BY_FOLD.get(token.casefold())
    if canon is None or canon == token or token in _QUIET_VARIANTS:
        return None
    same = False
    if candidates:
        try:
            same = ureg.Quantity(1, token) == ureg.Quantity(1, canon)
        except Exception:
            same = False
    if same:
        return ("warn", f"{token!r} is read as {canon!r}; write {canon!r}")
    meaning = f"pint reads {token!r} as {candidates[0][0]}{candidates[0][1]}" if candidates else f"{token!r} is not a unit"
    return ("error", f"{token!r} is not {canon!r} ({meaning}); write {canon!r}")


def unit_spelling(unit: str | None) -> str | None:
    """The correctly spelled unit when ``unit`` has case or prefix errors that can be fixed, else None.

    Only case errors are fixed; ``None`` means the spelling is fine (or cannot be fixed by case).

    Examples
    --------
    >>> unit_spelling("Vg/ML"), unit_spelling("vg/mL")
    ('vg/mL', None)
    """
    text = "" if unit is None else str(unit)
    fixed = text
    for tok in set(_tokens(text)):
        canon = _CANON_BY_FOLD.get(tok.casefold())
        if canon is not None and canon != tok and tok not in _QUIET_VARIANTS:
            fixed = re.sub(rf"(?<![A-Za-z_0-9]){re.escape(tok)}(?![A-Za-z_0-9])", canon, fixed)
    return fixed if fixed != text else None


_WARNED: set[tuple[Any, str]] = set()


@lru_cache(maxsize=512)
def _parse(text: str):
    ureg = registry()
    if text == "dimensionless":
        return ureg.Quantity(1)
    try:
        return ureg.Quantity(1, text)
    except Exception:
        return ureg.parse_expression(text)


def parse_unit(unit: str | None, where: str = "unit"):
    """Parse a unit string into a pint quantity of magnitude 1 (or raise :class:`InputError`).

    ``where`` names the place for the message, e.g. ``"runs.csv, column 'unit', row 4"``.
    A scaled unit such as ``"1E+13 vg/mL"`` gives a quantity of that magnitude.  Case errors,
    prefixed count units and units of electric charge raise (see the module docstring);
    a harmless variant such as ``ml`` is accepted with a :class:`UnitSpellingWarning` (issued
    once per spelling and process, naming the first place it was seen).

    Examples
    --------
    >>> str(parse_unit("GC/mL").units)
    'vector_genome / milliliter'
    >>> try:
    ...     parse_unit("vg/ML", where="titers.csv, column 'unit', row 2")
    ... except InputError as e:
    ...     print(e)
    titers.csv, column 'unit', row 2: unit 'vg/ML': 'ML' is not 'mL' (pint reads 'ML' as megaliter); write 'mL'
    """
    text = normalize_unit(unit)
    raw_tokens = _tokens("" if unit is None or isinstance(unit, float) else str(unit))
    for tok in dict.fromkeys(raw_tokens + _tokens(text)):
        problem = _token_problem(tok)
        if problem is None:
            continue
        kind, msg = problem
        if kind == "error":
            raise InputError(f"{where}: unit {unit!r}: {msg}")
        if (unit, tok) not in _WARNED:  # once per spelling and process, not once per row
            _WARNED.add((unit, tok))
            warnings.warn(f"{where}: unit {unit!r}: {msg}", UnitSpellingWarning, stacklevel=2)
    try:
        return _parse(text)
    except Exception:
        raise InputError(f"{where}: unknown unit {unit!r}") from None


def same_dimension(a: str, b: str) -> bool:
    """True if units ``a`` and ``b`` can be converted into each other.

    Examples
    --------
    >>> same_dimension("GC/mL", "vg/L"), same_dimension("vg/mL", "IU/mL"), same_dimension("cp/mL", "vg/mL")
    (True, False, False)
    """
    return parse_unit(a).dimensionality == parse_unit(b).dimensionality


def convert(values: Any, from_unit: str, to_unit: str, where: str = "value") -> Any:
    """Convert ``values`` from ``from_unit`` to ``to_unit``; raise :class:`InputError` if impossible.

    Works on scalars and numpy arrays (returns the same shape as float).  Count units convert
    only within one row of :data:`COUNT_UNITS` (``GC`` and ``vg`` are the same unit).

    Examples
    --------
    >>> float(convert(2.0, "1E+13 vg/mL", "GC/mL"))
    20000000000000.0
    """
    a, b = parse_unit(from_unit, where), parse_unit(to_unit, where)
    if a.dimensionality != b.dimensionality:
        raise InputError(f"{where}: cannot convert {from_unit!r} to {to_unit!r} (different dimensions)")
    factor = float(a.to(b.units).magnitude / b.magnitude)
    return np.asarray(values, dtype=float) * factor
