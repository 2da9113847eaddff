"""From a report's parameters to a design and the model it is evaluated for (the doe_design template).

:func:`design_from_parameters` is what the ``doe_design`` template runs and what
``pdkit run`` checks before any kernel starts (through the template's input
contract, :mod:`pdkit.io.contracts`), so a design that cannot be built, a model
that does not fit the design, a malformed constraint or an augmentation worksheet
that does not match the factors exits with code 2 and one message naming the
parameter and what to use instead.

Model ``"auto"`` (the default) takes each family's natural model:

=====================  =======================================================
family                 model
=====================  =======================================================
full_factorial         interactions
fractional_factorial   interactions at resolution V or more, else linear
plackett_burman        linear (main effects)
definitive_screening   linear; the alias matrix shows that the main effects are
                       clear of every two-factor interaction and quadratic
central_composite,     quadratic
box_behnken
optimal_*              quadratic (the model the design is built for)
latin_hypercube        quadratic
augmentation           foldover: linear; axial: quadratic; center: the largest
                       that fits; d_optimal: interactions
=====================  =======================================================

and steps down (quadratic -> interactions -> linear) while that model has more
coefficients than the design has runs or cannot be estimated, saying so.  A
model named explicitly that has more coefficients than runs is an error that
names the largest standard model which fits.

Examples
--------
>>> from pdkit.doe.factors import Factor
>>> fs = [Factor(f"x{i}", 0, 1) for i in range(5)]
>>> plan = design_from_parameters(fs, {"design": "definitive_screening", "model": "auto", "center_points": 1})
>>> plan.design.n_runs, plan.model
(13, 'linear')
>>> try:
...     design_from_parameters(fs, {"design": "definitive_screening", "model": "quadratic", "center_points": 1})
... except InputError as exc:
...     print(exc)
parameter 'model': the quadratic model has 21 coefficients but the definitive screening design has only 13 runs; use model linear (or auto)
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from pdkit.errors import InputError
from pdkit.doe.factors import Factor, as_factors
from pdkit.doe.model import ModelMatrix, model_terms, numeric_settings
from pdkit.doe.designs.base import Design
from pdkit.doe.designs.factorial import fractional_factorial, full_factorial
from pdkit.doe.designs.screening import definitive_screening, plackett_burman
from pdkit.doe.designs.response_surface import box_behnken, central_composite
from pdkit.doe.designs.optimal import optimal_design
from pdkit.doe.designs.space_filling import latin_hypercube
from pdkit.doe.designs.constraints import disallowed_check, parse_constraints
from pdkit.doe.designs.augment import augment, design_from_table

__all__ = ["DESIGN_FAMILIES", "STANDARD_MODELS", "DesignPlan", "design_from_parameters", "factors_from_records",
           "read_factor_definitions"]

#: Design families of the doe_design template (``optimal_design`` is D-optimal, as ``optimal_d``).
DESIGN_FAMILIES = ("full_factorial", "fractional_factorial", "plackett_burman", "central_composite", "box_behnken",
                   "definitive_screening", "optimal_design", "optimal_d", "optimal_i", "latin_hypercube")
#: Standard models from the largest to the smallest.
STANDARD_MODELS = ("quadratic", "interactions", "linear")

_NATURAL = {"full_factorial": "interactions", "plackett_burman": "linear", "definitive_screening": "linear",
            "central_composite": "quadratic", "box_behnken": "quadratic", "optimal_design": "quadratic",
            "optimal_d": "quadratic", "optimal_i": "quadratic", "latin_hypercube": "quadratic"}
_LABELS = {"plackett_burman": "Plackett-Burman", "box_behnken": "Box-Behnken", "latin_hypercube": "Latin hypercube",
           "optimal_design": "D-optimal", "optimal_d": "D-optimal", "optimal_i": "I-optimal"}
_AUGMENT_NATURAL = {"foldover": "linear", "axial": "quadratic", "center": "quadratic", "d_optimal": "interactions"}


@dataclass(frozen=True, eq=False)
class DesignPlan:
    """A design with the model it is evaluated for.

    Attributes
    ----------
    design : Design
    model : str
        ``"linear"``, ``"interactions"`` or ``"quadratic"``.
    model_note : str
        Why this model (empty when it was given and fits).
    constraints, disallowed : list of str
        The region's constraints as given (optimal designs and D-optimal augmentation).
    """

    design: Design
    model: str
    model_note: str = ""
    constraints: tuple = ()
    disallowed: tuple = ()


def factors_from_records(rows: Sequence[Mapping[str, Any]], source: str = "factor definitions") -> list[Factor]:
    """Factors from records with ``name``, ``low``, ``high``, ``units`` and ``levels`` (``;``-separated or a list).

    Examples
    --------
    >>> fs = factors_from_records([{"name": "temp", "low": 30, "high": 37, "units": "degC"},
    ...                            {"name": "resin", "levels": "AAVX; POROS"}])
    >>> [f.kind for f in fs], fs[1].levels
    (['continuous', 'categorical'], ('AAVX', 'POROS'))
    """
    if not isinstance(rows, (list, tuple)):
        raise InputError(f"{source}: expected a list of factors (name, low, high, units, levels)")
    defs = []
    for i, r in enumerate(rows, start=1):
        if not isinstance(r, Mapping):
            raise InputError(f"{source}, factor {i}: expected name, low, high, units or levels, got {r!r}")
        r = {k: v for k, v in dict(r).items() if not (isinstance(v, float) and np.isnan(v)) and v is not None}
        if isinstance(r.get("levels"), str):
            r["levels"] = [s.strip() for s in r["levels"].split(";") if s.strip()]
        if "name" not in r:
            raise InputError(f"{source}, row {i}: factor has no 'name'")
        unknown = sorted(set(r) - {"name", "low", "high", "units", "levels", "kind"})
        if unknown:
            raise InputError(f"{source}, row {i}: unknown field(s) {unknown} (fields: name, low, high, units, levels)")
        r["name"] = str(r["name"]).strip()
        r["units"] = str(r.get("units", "")).strip()
        if r.get("levels"):
            r.pop("low", None)
            r.pop("high", None)
        try:
            defs.append(Factor(**r))
        except InputError as exc:
            raise InputError(f"{source}, row {i}: {exc}") from None
    return as_factors(defs)


def read_factor_definitions(path: str | Path) -> list[Factor]:
    """Factors from a YAML file (a list, or a mapping with ``factors``) or a CSV/xlsx table.

    A table is read through the doe_design input contract (:func:`pdkit.io.contracts.load_table`).
    """
    import yaml

    p = Path(path)
    if p.suffix.lower() in (".yaml", ".yml"):
        try:
            spec = yaml.safe_load(p.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            raise InputError(f"{p.name}: not valid YAML ({str(exc).splitlines()[0]})") from None
        rows = spec.get("factors", spec) if isinstance(spec, dict) else spec
        return factors_from_records(rows, p.name)
    from pdkit.io.contracts import load_table

    return factors_from_records(load_table("doe_design", p, {}).table.to_dict("records"), p.name)


def _get(params: Any, name: str, default: Any = None) -> Any:
    if isinstance(params, Mapping):
        return params.get(name, default)
    return getattr(params, name, default)


def _items(value: Any, name: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, (list, tuple)):
        raise InputError(f"parameter '{name}': expected a list of strings, got {value!r}")
    out = []
    for v in value:
        if not isinstance(v, str) or not v.strip():
            raise InputError(f"parameter '{name}': expected a list of non-empty strings, got {v!r}")
        out.append(v.strip())
    return out


def _n_coefficients(model: str, factors: Sequence[Factor]) -> int:
    return len(ModelMatrix(model_terms(model, factors), factors).columns)


def _estimable(design: Design, model: str) -> bool:
    """Full column rank of [model matrix, block columns]."""
    from pdkit.doe.model import effect_coding

    factors = list(design.factors)
    X = ModelMatrix(model_terms(model, factors), factors)(numeric_settings(design.coded, factors))
    levels = sorted(set(np.asarray(design.blocks).tolist()))
    if len(levels) > 1:
        X = np.hstack([X, effect_coding(np.asarray(design.blocks), levels)])
    if X.shape[1] > X.shape[0]:
        return False
    return int(np.linalg.matrix_rank(X / np.maximum(np.linalg.norm(X, axis=0), 1e-300))) == X.shape[1]


def _family_model(family: str, design: Design | None) -> str:
    if family == "fractional_factorial":
        res = design.resolution if design is not None else None
        return "interactions" if res is None or res >= 5 else "linear"
    return _NATURAL[family]


def _choose_model(design: Design, requested: str, natural: str, family_label: str) -> tuple[str, str]:
    """The model to evaluate: ``requested`` if it fits, else an error; ``auto``: ``natural``, stepping down."""
    factors = list(design.factors)
    n = design.n_runs
    if requested != "auto":
        p = _n_coefficients(requested, factors)
        if p > n:
            fits = [m for m in STANDARD_MODELS if _n_coefficients(m, factors) <= n and _estimable(design, m)]
            hint = (f"use model {fits[0]}" + (" (or auto)" if fits else "")) if fits else "add runs"
            raise InputError(f"parameter 'model': the {requested} model has {p} coefficients but the {family_label} "
                             f"design has only {n} runs; {hint}")
        return requested, ""
    order = list(STANDARD_MODELS[STANDARD_MODELS.index(natural):])
    for m in order:
        if _n_coefficients(m, factors) <= n and _estimable(design, m):
            if m == natural:
                return m, f"model auto: {m}, the natural model of a {family_label} design"
            return m, (f"model auto: {m}; the {natural} model ({_n_coefficients(natural, factors)} coefficients) "
                       f"cannot be estimated from the {n} runs of this {family_label} design")
    return "linear", f"model auto: linear; even the linear model cannot be fully estimated from these {n} runs"


def _build(family: str, factors: list[Factor], params: Any, quick: bool) -> Design:
    runs = _get(params, "runs")
    resolution = _get(params, "resolution")
    model = _get(params, "model", "auto")
    center = int(_get(params, "center_points", 0) or 0)
    replicates = int(_get(params, "replicates", 1) or 1)
    blocks = int(_get(params, "blocks", 1) or 1)
    seed = _get(params, "seed", 1)
    k = len(factors)
    if blocks > 1 and family not in ("box_behnken", "central_composite"):
        raise InputError(f"parameter 'blocks': got {blocks}; orthogonal blocks are built for box_behnken and "
                         f"central_composite designs, not {family}")
    if family == "central_composite" and blocks > 2:
        raise InputError(f"parameter 'blocks': got {blocks}; a central composite design has 1 block or 2 "
                         "(factorial and axial)")
    constraints = _items(_get(params, "constraints"), "constraints")
    disallowed = _items(_get(params, "disallowed"), "disallowed")
    if (constraints or disallowed) and not family.startswith("optimal"):
        which = "constraints" if constraints else "disallowed"
        raise InputError(f"parameter '{which}': a constrained region is built by an optimal design; use design "
                         f"optimal_design (or optimal_i), not {family}")
    categorical = [f.name for f in factors if not f.is_continuous]
    if categorical and center and family in ("full_factorial", "fractional_factorial", "plackett_burman"):
        raise InputError(f"parameter 'center_points': got {center}; centre runs need every factor continuous and "
                         f"{', '.join(categorical)} {'is' if len(categorical) == 1 else 'are'} categorical; "
                         "set center_points 0")
    if family == "full_factorial":
        return full_factorial(factors, replicates=replicates, center=center, seed=seed)
    if family == "fractional_factorial":
        res = resolution if resolution is not None else (None if runs else (4 if model == "linear" else 5))
        return fractional_factorial(factors, resolution=res, runs=runs if res is None else None, center=center,
                                    replicates=replicates, seed=seed)
    if family == "plackett_burman":
        return plackett_burman(factors, runs=runs, center=center, replicates=replicates, seed=seed)
    if family == "central_composite":
        ccd_center = center if blocks == 1 else (center - center // 2, center // 2)
        return central_composite(factors, alpha=_get(params, "ccd_alpha", "face"), center=ccd_center,
                                 core_resolution=resolution, replicates=replicates, seed=seed)
    if family == "box_behnken":
        return box_behnken(factors, center=center, blocks=blocks, replicates=replicates, seed=seed)
    if family == "definitive_screening":
        return definitive_screening(factors, center=max(1, center), fake_factors=int(_get(params, "dsd_fake_factors", 0)
                                                                                        or 0), seed=seed)
    if family.startswith("optimal"):
        opt_model = "quadratic" if model == "auto" else model
        crit = "I" if family == "optimal_i" else "D"
        where = "parameter 'constraints'"
        cons = parse_constraints(constraints, factors, where) if constraints else None
        disallowed_check(disallowed, factors, "parameter 'disallowed'") if disallowed else None
        p = _n_coefficients(opt_model, factors)
        if runs is not None and runs < p:
            raise InputError(f"parameter 'runs': the {opt_model} model has {p} coefficients; an optimal design "
                             f"needs runs >= {p} (got {runs})")
        if quick:  # the pre-kernel check: the region and the model, not the search
            _region_has_points(factors, cons, disallowed)
            return None  # type: ignore[return-value]
        try:
            return optimal_design(factors, opt_model, runs=runs, criterion=crit, constraints=constraints or None,
                                  disallowed=disallowed or None, seed=seed)
        except InputError as exc:
            raise InputError(f"parameter 'constraints'/'disallowed': {exc}") if (constraints or disallowed) else exc
    if family == "latin_hypercube":
        return latin_hypercube(factors, runs=runs or 10 * k, seed=seed)
    raise InputError(f"parameter 'design': expected one of {', '.join(DESIGN_FAMILIES)}, got {family!r}")


def _region_has_points(factors: list[Factor], cons: Any, disallowed: list[str]) -> None:
    if not cons and not disallowed:
        return
    rng = np.random.default_rng(0)
    S = np.column_stack([rng.uniform(-1, 1, 20000) if f.is_continuous else rng.integers(0, len(f.levels), 20000)
                         for f in factors])
    ok = np.ones(len(S), dtype=bool)
    for a, b in cons or []:
        ok &= S @ a <= b + 1e-9
    bad = disallowed_check(disallowed or None, factors)
    if bad is not None:
        ok &= ~bad(S)
    if not ok.any():
        raise InputError("parameter 'constraints'/'disallowed': no point of the factor ranges satisfies every "
                         "constraint and avoids every disallowed combination")


def design_from_parameters(factors: Sequence[Factor | dict], params: Any, *, quick: bool = False) -> DesignPlan:
    """Build the doe_design template's design from its parameters (a mapping or a namespace).

    Parameters used: ``design``, ``model``, ``runs``, ``resolution``, ``ccd_alpha``,
    ``center_points``, ``replicates``, ``blocks``, ``seed``, ``dsd_fake_factors``,
    ``constraints``, ``disallowed``, ``augment`` (a path or a DataFrame of runs
    done), ``augment_method``, ``augment_runs``, ``augment_factor``; missing ones
    take the template's defaults.

    Parameters
    ----------
    factors : list of Factor
    params : mapping or namespace
    quick : bool
        Validate only (``pdkit run`` before the kernel starts): optimal designs are
        not searched (their model, runs and constraints are checked) and the plan's
        ``design`` is None for them.

    Raises
    ------
    InputError
        Naming the parameter at fault and what to use instead.
    """
    factors = as_factors(factors)
    family = str(_get(params, "design", "central_composite"))
    model = str(_get(params, "model", "auto") or "auto")
    if model not in ("auto",) + STANDARD_MODELS:
        raise InputError(f"parameter 'model': expected auto, linear, interactions or quadratic, got {model!r}")
    if family not in DESIGN_FAMILIES:
        raise InputError(f"parameter 'design': expected one of {', '.join(DESIGN_FAMILIES)}, got {family!r}")
    source = _get(params, "augment")
    constraints = tuple(_items(_get(params, "constraints"), "constraints"))
    disallowed = tuple(_items(_get(params, "disallowed"), "disallowed"))
    if source is not None:
        return _augment_plan(factors, params, source, model, constraints, disallowed)
    try:
        design = _build(family, list(factors), params, quick)
    except InputError as exc:
        text = str(exc)
        raise InputError(text if text.startswith("parameter ") else f"parameter 'design' ({family}): {text}") from None
    label = _LABELS.get(family, family.replace("_", " "))
    if design is None:  # quick check of an optimal design
        return DesignPlan(None, "quadratic" if model == "auto" else model, "", constraints, disallowed)  # type: ignore[arg-type]
    natural = _family_model(family, design)
    chosen, note = _choose_model(design, model, natural, label)
    return DesignPlan(design, chosen, note, constraints, disallowed)


def _augment_plan(factors: list[Factor], params: Any, source: Any, model: str, constraints: tuple,
                  disallowed: tuple) -> DesignPlan:
    from pdkit.io.tables import read_table

    method = str(_get(params, "augment_method", "foldover"))
    if isinstance(source, pd.DataFrame):
        table, src = source, "augment"
    else:
        p = Path(source)
        try:
            table = read_table(p, what="augment")
        except InputError as exc:
            raise InputError(f"parameter 'augment': {exc}") from None
        src = p.name
    try:
        base = design_from_table(table, factors, source=src, name=f"runs of {src}")
    except InputError as exc:
        raise InputError(f"parameter 'augment': {exc}") from None
    if (constraints or disallowed) and method != "d_optimal":
        raise InputError(f"parameter '{'constraints' if constraints else 'disallowed'}': constraints apply to "
                         f"augment_method d_optimal, not {method}")
    runs = _get(params, "augment_runs")
    factor = _get(params, "augment_factor")
    aug_model = _AUGMENT_NATURAL.get(method, "interactions") if model == "auto" else model
    if method == "d_optimal":
        p = _n_coefficients(aug_model, factors)
        if p > base.n_runs + (runs or 10**6):
            raise InputError(f"parameter 'augment_runs': the {aug_model} model has {p} coefficients; "
                             f"{base.n_runs} kept runs + {runs} new runs cannot estimate it")
    try:
        design = augment(base, method, runs, model=aug_model, seed=_get(params, "seed", 1), factor=factor,
                         alpha=_get(params, "ccd_alpha", "orthogonal") if method == "axial" else "orthogonal",
                         constraints=list(constraints) or None, disallowed=list(disallowed) or None)
    except InputError as exc:
        text = str(exc)
        name = {"runs": "augment_runs", "factor": "augment_factor", "method": "augment_method"}.get(
            text.split(":")[0].split(" ")[0], "augment_method")
        raise InputError(text if text.startswith("parameter ") else f"parameter '{name}': {text}") from None
    label = f"augmented ({method})"
    chosen, note = _choose_model(design, model, aug_model, label)
    return DesignPlan(design, chosen, note, constraints, disallowed)
