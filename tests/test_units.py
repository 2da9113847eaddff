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
    with pytest.warns(UnitSpellingWarning, match="'ml' is read as 'mL'"):  # lower-case ml: read, and flagged
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


# ----------------------------------------------------------------------------- count units (issue 13)
import warnings  # noqa: E402

from pdkit.units import COUNT_UNITS, UnitSpellingWarning, count_units, unit_spelling  # noqa: E402


def test_gc_is_a_genome_copy_not_a_gigacoulomb():
    """GC (genome copies) and vg (vector genomes) are one unit by the module's declared
    equivalence table; before, pint read GC as gigacoulomb."""
    assert float(convert(3.2e12, "GC/mL", "vg/mL")) == pytest.approx(3.2e12, rel=1e-15)
    assert float(convert(3.2e12, "vg/mL", "GC/L")) == pytest.approx(3.2e15, rel=1e-12)
    assert dict(parse_unit("GC/mL").dimensionality) == {"[vector_genome]": 1, "[length]": -3}
    assert same_dimension("GC/mL", "vg/mL")


@pytest.mark.parametrize(
    "a, b",
    [
        ("vg/mL", "IU/mL"),  # genome copies vs infectious units
        ("GC/mL", "TU/mL"),
        ("vg/mL", "IFU/mL"),
        ("TU/mL", "IU/mL"),  # different infectivity assays
        ("IU/mL", "IFU/mL"),
        ("cp/mL", "vg/mL"),  # capsid particles (full + empty) vs genomes
        ("VP/mL", "GC/mL"),
        ("copies/mL", "vg/mL"),  # qPCR copies of a target (residual plasmid) vs vector genomes
        ("cells/mL", "vg/mL"),
    ],
)
def test_count_units_of_different_rows_never_convert(a, b):
    assert not same_dimension(a, b)
    with pytest.raises(InputError, match="different dimensions"):
        convert(1.0, a, b)


def test_particles_are_counts_not_moles():
    """pint's own 'particle' is 1/N_A mol; pdkit reads 'particles' as viral particles (VP)."""
    assert float(convert(2.0, "particles/mL", "VP/mL")) == 2.0
    assert float(convert(2.0, "VP/mL", "cp/mL")) == 2.0
    assert not same_dimension("particles/mL", "mol/mL")


def test_residual_plasmid_per_1e13_vg_stays_a_ratio_of_two_count_units():
    # 1e8 copies/(1e13 vg) = 1e-5 copies/vg: copies and vg do not cancel
    assert float(convert(1.0e8, "copies/(1e13 vg)", "copies/vg")) == pytest.approx(1e-5, rel=1e-12)
    assert not same_dimension("copies/(1e13 vg)", "dimensionless")


def test_scientific_notation_in_units():
    assert float(convert(2.0, "1E+13 vg/mL", "GC/mL")) == pytest.approx(2.0e13, rel=1e-12)
    assert float(convert(2.0, "1e13 GC/mL", "vg/L")) == pytest.approx(2.0e16, rel=1e-12)


@pytest.mark.parametrize(
    "unit, expected",
    [
        ("MC/mL", r"'MC' would be read as megacoulomb \(electric charge\).*'1e6 GC'"),
        ("C", r"'C' would be read as coulomb .* write 'degC'"),
        ("kvg/mL", r"'kvg' puts the SI prefix 'kilo' on the count unit 'vg'; .* '1e3 vg'"),
        ("Mcp/mL", r"'Mcp' puts the SI prefix 'mega' on the count unit 'cp'; .* '1e6 cp'"),
        ("GGC/mL", r"'GGC' puts the SI prefix 'giga' on the count unit 'GC'; .* '1e9 GC'"),
    ],
)
def test_prefixes_on_counts_and_electric_charge_are_refused(unit, expected):
    """SI prefixes (BIPM SI Brochure 2019, Table 7: k = 1e3, M = 1e6, G = 1e9) apply to physical
    units; on a count they are refused with the power of ten to write instead."""
    with pytest.raises(InputError, match=rf"titers.csv, row 4: unit '{unit}': {expected}"):
        parse_unit(unit, where="titers.csv, row 4")


@pytest.mark.parametrize(
    "unit, fix",
    [
        ("vg/ML", r"'ML' is not 'mL' \(pint reads 'ML' as megaliter\); write 'mL'"),
        ("Vg/mL", r"'Vg' is not 'vg' \('Vg' is not a unit\); write 'vg'"),
        ("gc/mL", r"'gc' is not 'GC'"),
        ("ng/Mg", r"'Mg' is not 'mg' \(pint reads 'Mg' as megagram\)"),
        ("Cells/mL", r"'Cells' is not 'cells'"),
        ("iu/mL", r"'iu' is not 'IU'"),
    ],
)
def test_case_errors_are_refused_with_the_right_spelling(unit, fix):
    with pytest.raises(InputError, match=rf"^lots.csv, column 'unit', row 2: unit '{unit}': {fix}"):
        parse_unit(unit, where="lots.csv, column 'unit', row 2")


def test_harmless_case_variant_is_accepted_with_a_warning_once():
    import pdkit.units

    pdkit.units._WARNED.clear()
    with pytest.warns(UnitSpellingWarning, match=r"row 1: unit 'TU/ml': 'ml' is read as 'mL'; write 'mL'"):
        assert float(convert(1.0, "TU/ml", "TU/L", where="row 1")) == pytest.approx(1000.0)
    with warnings.catch_warnings():  # the same spelling again (next row): no second warning
        warnings.simplefilter("error")
        assert float(convert(1.0, "TU/ml", "TU/L", where="row 2")) == pytest.approx(1000.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        parse_unit("vg/mL")  # canonical spellings: no warning
        parse_unit("l")  # the SI-approved lower-case litre: no warning


def test_unit_spelling_suggestions():
    assert unit_spelling("Vg/ML") == "vg/mL"
    assert unit_spelling("gc/ml") == "GC/mL"
    assert unit_spelling("GC/mL") is None
    assert unit_spelling("1E+13 vg/mL") is None


def test_equivalence_table_is_declared_and_complete():
    t = count_units()
    assert list(t.columns) == ["dimension", "symbols", "pint_unit", "meaning"]
    rows = {c.dimension: c.symbols for c in COUNT_UNITS}
    assert {"vg", "GC"} <= set(rows["genome copies"])
    for infectious in ("TU", "IU", "IFU"):
        assert not any(infectious in syms for dim, syms in rows.items() if dim == "genome copies")
    # every declared spelling parses to its row's dimension, and rows are distinct dimensions
    dims = set()
    for c in COUNT_UNITS:
        d = {str(parse_unit(sym).dimensionality) for sym in c.symbols}
        assert len(d) == 1
        dims |= d
    assert len(dims) == len(COUNT_UNITS)
