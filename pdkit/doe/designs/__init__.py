"""Design builders: factorial, fractional factorial, screening, response-surface, optimal, space-filling.

The builders live in one module per family - :mod:`~pdkit.doe.designs.base` (the
:class:`Design` container and the lab worksheet), :mod:`~pdkit.doe.designs.factorial`,
:mod:`~pdkit.doe.designs.screening` (Plackett-Burman, definitive screening),
:mod:`~pdkit.doe.designs.response_surface` (central composite, Box-Behnken),
:mod:`~pdkit.doe.designs.optimal`, :mod:`~pdkit.doe.designs.space_filling`,
:mod:`~pdkit.doe.designs.constraints` and :mod:`~pdkit.doe.designs.augment` - and
every public name is importable from here (and from :mod:`pdkit.doe`).

Every builder returns a :class:`Design` whose ``coded`` table holds one row per
run in run order (continuous factors in coded units, -1 = ``low``, +1 =
``high``; a two-level categorical factor as -1/+1 in level order; a categorical
factor with more than two levels as its level labels) and whose ``actual`` table
holds the same settings in the factors' declared units (categorical factors as
level labels).

Run order
    ``seed=None`` keeps the standard (Yates / construction) order, grouped by
    block; an integer ``seed`` randomises the run order within each block with
    :func:`numpy.random.default_rng`.  :meth:`Design.randomized` re-randomises an
    existing design.

Conventions and sources
    * Fractional factorials: generators are written with factor letters A, B, C,
      ... (I is skipped, as in Montgomery and the NIST/SEMATECH e-Handbook) or
      with factor names joined by ``*``/``:``, e.g. ``"E=ABCD"``.  The defining
      relation, word-length pattern and resolution are always recomputed from
      the generators (an *audit*), never taken from a table.
    * Generators chosen by resolution come from the minimum-aberration table of
      Montgomery, *Design and Analysis of Experiments* (8th ed., Table 8.14;
      the same designs as Box, Hunter & Hunter 2005, Table 6.22); cases not in
      the table are found by searching generator sets for maximum resolution and
      minimum aberration.
    * Plackett & Burman (1946) generating rows for 12, 20 and 24 runs; Sylvester
      doubling and Paley constructions for other multiples of four.
    * Central composite designs: Box & Wilson (1951); rotatable alpha F**(1/4)
      (Box & Hunter 1957); orthogonal alpha and orthogonal blocking as in Myers,
      Montgomery & Anderson-Cook, *Response Surface Methodology* (3rd ed., 7.4).
    * Box-Behnken designs: Box & Behnken (1960), Technometrics 2:455-475.
    * Definitive screening designs: Jones & Nachtsheim (2011), JQT 43:1-15, from
      Paley conference matrices; two-level categorical factors after Jones &
      Nachtsheim (2013), JQT 45:121-129.
    * Optimal designs: coordinate exchange, Meyer & Nachtsheim (1995),
      Technometrics 37:60-69.

Examples
--------
>>> from pdkit.doe.factors import Factor
>>> fs = [Factor("A", 0, 1), Factor("B", 0, 1), Factor("C", 0, 1), Factor("D", 0, 1), Factor("E", 0, 1)]
>>> d = fractional_factorial(fs, generators=["E=ABCD"])
>>> d.resolution, d.defining_relation
(5, ('I = ABCDE',))
>>> len(d.coded)
16
"""
from __future__ import annotations

from pdkit.doe.designs.base import FACTOR_LETTERS, Design, from_worksheet
from pdkit.doe.designs.base import index_to_coded
from pdkit.doe.designs.factorial import MA_TABLE, defining_relation, factor_letters, fractional_factorial, full_factorial
from pdkit.doe.designs.factorial import search_generators
from pdkit.doe.designs.screening import conference_matrix, definitive_screening, hadamard_matrix, plackett_burman
from pdkit.doe.designs.response_surface import box_behnken, central_composite
from pdkit.doe.designs.optimal import moment_matrix, optimal_design
from pdkit.doe.designs.optimal import coordinate_exchange, criterion_and_gradient, exchange_gains, region_points
from pdkit.doe.model import ModelMatrix, numeric_settings
from pdkit.doe.designs.space_filling import latin_hypercube
from pdkit.doe.designs.constraints import feasible_mask
from pdkit.doe.designs.augment import AUGMENT_METHODS, audit_resolution, augment, design_from_table
from pdkit.doe.designs.plan import (DESIGN_FAMILIES, DesignPlan, design_from_parameters, factors_from_records,
                                    read_factor_definitions)

__all__ = [
    "Design",
    "full_factorial",
    "fractional_factorial",
    "plackett_burman",
    "central_composite",
    "box_behnken",
    "definitive_screening",
    "optimal_design",
    "latin_hypercube",
    "conference_matrix",
    "hadamard_matrix",
    "from_worksheet",
    "defining_relation",
    "moment_matrix",
    "FACTOR_LETTERS",
    "augment",
    "design_from_table",
    "feasible_mask",
    "AUGMENT_METHODS",
    "audit_resolution",
    "DESIGN_FAMILIES",
    "DesignPlan",
    "design_from_parameters",
    "factors_from_records",
    "read_factor_definitions",
]

# The names these helpers had before they became public (kept for existing callers and tests).
_RowBuilder = ModelMatrix
_settings_to_numeric = numeric_settings
_index_to_coded = index_to_coded
_MA_TABLE = MA_TABLE
_letters = factor_letters
_search_generators = search_generators
_coordinate_exchange = coordinate_exchange
_criterion_and_gradient = criterion_and_gradient
_exchange_gains = exchange_gains
_region_points = region_points

