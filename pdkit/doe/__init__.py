"""Design of experiments: factors, designs, evaluation, analysis, optimisation.

Public names are re-exported lazily from the submodules (``factors``, ``model``,
``designs``, ``evaluation``, ``analysis``, ``selection``, ``optimize``, ``display``) so ``import pdkit.doe``
stays cheap; the interactive explorer lives in ``pdkit.explorer``.

Examples
--------
>>> from pdkit.doe import Factor
>>> Factor("temperature", 30, 42, units="degC").center
36.0
"""
from __future__ import annotations

import importlib

_EXPORTS = {
    "Factor": "factors",
    "as_factors": "factors",
    "model_terms": "model",
    "model_matrix": "model",
    "ModelMatrix": "model",
    "effect_coding": "model",
    "Design": "designs",
    "full_factorial": "designs",
    "fractional_factorial": "designs",
    "plackett_burman": "designs",
    "central_composite": "designs",
    "box_behnken": "designs",
    "definitive_screening": "designs",
    "optimal_design": "designs",
    "latin_hypercube": "designs",
    "from_worksheet": "designs",
    "augment": "designs",
    "design_from_table": "designs",
    "design_from_parameters": "designs",
    "feasible_mask": "designs",
    "evaluate": "evaluation",
    "i_criterion": "evaluation",
    "prediction_variance": "evaluation",
    "fit": "analysis",
    "DoEFit": "analysis",
    "is_bookkeeping": "analysis",
    "Selection": "selection",
    "select_definitive_screening": "selection",
    "select_stepwise": "selection",
    "definitive_screening_structure": "selection",
    "rounded": "display",
    "desirability": "optimize",
    "maximize_desirability": "optimize",
    "design_space": "optimize",
    "robust_set_point": "optimize",
    "maximize_probability": "optimize",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'pdkit.doe' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))
