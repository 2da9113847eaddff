"""Tests for pdkit.units: the osmole and the count units of the field.

Unit conversions are definitions rather than calculations, so the reference is the SI
prefix table (BIPM, The International System of Units, 9th edition 2019, Table 7:
milli = 1e-3, micro = 1e-6) and hand arithmetic on small cases.
"""
from __future__ import annotations

import numpy as np
import pytest

from pdkit.errors import InputError
from pdkit.units import convert, parse_unit, same_dimension


# ----------------------------------------------------------------------------- osmole
@pytest.mark.parametrize(
    "value, from_unit, to_unit, expected",
    [
        (290.0, "mOsm/kg", "Osm/kg", 0.290),  # milli = 1e-3
        (0.290, "Osm/kg", "mOsm/kg", 290.0),
        (290.0, "mOsmol/kg", "osmol/kg", 0.290),
        (290.0, "mosmol/kg", "mOsm/kg", 290.0),
        (1.0, "osmole", "mOsm", 1000.0),
        (300.0, "mOsm/L", "Osm/m**3", 300.0),  # 1 L = 1e-3 m3: mOsm/L = Osm/m3
        (300.0, "mOsm/kg", "uOsm/g", 300.0),  # 1e-3 / 1e3 = 1e-6 / 1
    ],
)
def test_osmol_conversions(value, from_unit, to_unit, expected):
    assert float(convert(value, from_unit, to_unit)) == pytest.approx(expected, rel=1e-12)


def test_osmol_arrays_keep_shape():
    out = convert(np.array([[280.0, 300.0], [320.0, 340.0]]), "mOsm/kg", "Osm/kg")
    assert out.shape == (2, 2)
    np.testing.assert_allclose(out, [[0.28, 0.30], [0.32, 0.34]], rtol=1e-12)


@pytest.mark.parametrize(
    "osm, other",
    [("mOsm/kg", "mol/kg"), ("mOsm/kg", "mmol/kg"), ("Osm", "mol"), ("mOsm", "dimensionless"), ("Osm", "cells")],
)
def test_osmol_is_its_own_dimension(osm, other):
    """An osmole counts osmotically active particles (1 mol NaCl gives about 2 osmol), so it never
    converts silently to moles or to another count unit."""
    assert not same_dimension(osm, other)
    with pytest.raises(InputError, match=rf"osmolality: cannot convert '{osm}' to '{other}' \(different dimensions\)"):
        convert(290.0, osm, other, where="osmolality")


def test_osmol_dimension_is_named():
    assert dict(parse_unit("mOsm/kg").dimensionality) == {"[osmotic_amount]": 1, "[mass]": -1}


def test_unknown_osmol_spelling_names_where():
    with pytest.raises(InputError, match=r"media.csv, column 'unit', row 3: unknown unit 'mOsmX/kg'"):
        parse_unit("mOsmX/kg", where="media.csv, column 'unit', row 3")


# ----------------------------------------------------------------------------- existing units still hold
def test_titer_vg_per_ml_to_vg_per_l():
    # 1 L = 1000 mL: 2e10 vg/mL = 2e13 vg/L
    assert float(convert(2.0e10, "vg/mL", "vg/L")) == pytest.approx(2.0e13, rel=1e-12)
    assert float(convert(2.0e10, "vg/ml", "vg/L")) == pytest.approx(2.0e13, rel=1e-12)


def test_per_scaled_count_ng_per_1e13_vg():
    # "ng/1e13 vg" is ng per (1e13 vg): 5 ng/1e13 vg = 5e-13 ng/vg
    assert float(convert(5.0, "ng/1e13 vg", "ng/vg")) == pytest.approx(5.0e-13, rel=1e-12)
    assert float(convert(5.0e-13, "ng/vg", "pg/1e10 vg")) == pytest.approx(5.0, rel=1e-12)


def test_other_existing_conversions():
    assert float(convert(1.2, "mg/mL", "g/L")) == pytest.approx(1.2)
    assert float(convert(2.5, "x10^6 cells/mL", "cells/mL")) == pytest.approx(2.5e6)
    assert float(convert(50.0, "%", "dimensionless")) == pytest.approx(0.5)
    assert float(convert(400.0, "W/m**3", "mW/L")) == pytest.approx(400.0)
    with pytest.raises(InputError, match="different dimensions"):
        convert(1.0, "vg/mL", "cells/mL")
