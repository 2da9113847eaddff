"""Design of experiments: factors, designs, evaluation, analysis, optimisation.

Public names are re-exported lazily from the submodules (``factors``, ``model``,
``designs``, ``evaluation``, ``analysis``, ``optimize``) so ``import pdkit.doe``
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
    "evaluate": "evaluation",
    "i_criterion": "evaluation",
    "prediction_variance": "evaluation",
    "fit": "analysis",
    "DoEFit": "analysis",
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
