"""Model terms and model matrices in coded units, shared by design and analysis.

Term names follow JMP/Design-Expert style and the pdkit contract:
``Intercept``, main effects ``A``, interactions ``A:B`` (``A:B:C``), pure
quadratics ``A^2``.  A model is given as

* ``"linear"`` - intercept and main effects;
* ``"interactions"`` - plus all two-factor interactions;
* ``"quadratic"`` - plus squares of the continuous factors (full second order);
* a formula string in Wilkinson-Rogers syntax, parsed by formulaic: ``"y ~ A + B + A:B + A^2"``,
  ``"A*B + C"`` (``*`` expands to main effects and their interaction), ``"(A+B+C)**2"`` (all
  terms up to two-factor interactions), ``"A*B - A:B"`` (``-`` removes a term), squares as
  ``A^2``, ``I(A**2)`` or ``{A**2}``.  The left-hand side, when given, names the response
  (:func:`formula_response`).  ``- 1`` or ``+ 0`` removes the intercept (regression through
  the origin): only :func:`pdkit.doe.analysis.fit` accepts such a model
  (``model_terms(..., allow_no_intercept=True)``); designs and design evaluation refuse it;
* a list of term names.

Continuous factors enter in coded units (-1..+1).  A two-level categorical
factor enters as one -1/+1 column; a categorical factor with k > 2 levels enters
as k - 1 effect-coded (sum-to-zero) columns named ``C[level]``.

Examples
--------
>>> from pdkit.doe.factors import Factor
>>> fs = [Factor("A", 0, 1), Factor("B", 0, 1)]
>>> model_terms("quadratic", fs)
['Intercept', 'A', 'B', 'A:B', 'A^2', 'B^2']
>>> model_terms("y ~ A*B", fs)
['Intercept', 'A', 'B', 'A:B']
>>> model_terms("(A + B)**2 - A:B + I(A**2)", fs)
['Intercept', 'A', 'B', 'A^2']
>>> model_terms("y ~ A + B - 1", fs, allow_no_intercept=True)
['A', 'B']
"""
from __future__ import annotations

import itertools
import re
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from pdkit.errors import InputError
from pdkit.doe.factors import Factor

__all__ = ["model_terms", "model_matrix", "term_columns", "term_order", "term_factors", "effect_coding",
           "base_matrix", "formula_response"]

_SQUARE = re.compile(r"^I\(\s*([A-Za-z_][\w]*)\s*\*\*\s*2\s*\)$|^([A-Za-z_][\w]*)\s*\^\s*2$")


def term_factors(term: str) -> list[str]:
    """Factor names in a term: ``'A:B'`` -> ``['A', 'B']``, ``'A^2'`` -> ``['A', 'A']``."""
    if term == "Intercept":
        return []
    if term.endswith("^2"):
        base = term[:-2]
        return [base, base]
    return term.split(":")


def term_order(term: str) -> int:
    """Polynomial order of a term (0 for the intercept)."""
    return len(term_factors(term))


def _canonical(term: str, names: Sequence[str]) -> str:
    term = term.strip()
    m = _SQUARE.match(term)
    if m:
        return f"{m.group(1) or m.group(2)}^2"
    parts = [p.strip() for p in term.split(":")]
    order = {n: i for i, n in enumerate(names)}
    for p in parts:
        if p not in order:
            raise InputError(f"model term '{term}': unknown factor '{p}' (factors: {', '.join(names)})")
    if len(set(parts)) != len(parts):
        raise InputError(f"model term '{term}': a factor repeats; write squares as '{parts[0]}^2'")
    return ":".join(sorted(parts, key=order.__getitem__))


_CARET_SQUARE = re.compile(r"\b([A-Za-z_]\w*)\s*\^\s*2\b")
_PY_SQUARE = re.compile(r"^(?:I\(\s*(?:`([^`]+)`|([A-Za-z_]\w*))\s*\*\*\s*2\s*\)"
                        r"|(?:`([^`]+)`|([A-Za-z_]\w*))\s*\*\*\s*2)$")
_QUOTED_CARET = re.compile(r"`([^`]+)`\s*\^\s*2\b")
_BARE_POWER = re.compile(r"(`[^`]+`|\b[A-Za-z_]\w*)\s*(\*\*|\^)")
_PROTECTED = re.compile(r"I\([^()]*\)|\{[^{}]*\}")
_NAME = re.compile(r"^[A-Za-z_]\w*$")


def _formula(formula: str, shown: str | None = None):
    """Parse with formulaic (``A^2`` first rewritten as ``I(A**2)``); one-line InputError on bad syntax."""
    from formulaic import Formula
    from formulaic.errors import FormulaicError

    text = _CARET_SQUARE.sub(lambda m: f"I({m.group(1)}**2)", formula)
    text = _QUOTED_CARET.sub(lambda m: f"I(`{m.group(1)}`**2)", text)
    bare = _BARE_POWER.search(_PROTECTED.sub("", text))
    if bare:
        what = bare.group(0).replace("`", "")
        raise InputError(f"model formula {shown or formula!r}: '{what}...' raises one term to a power, which in "
                         f"formula syntax leaves it unchanged; write a square as 'A^2' or 'I(A**2)' (powers of "
                         f"sums such as '(A + B)**2' expand interactions)")
    try:
        return Formula(text)
    except (FormulaicError, SyntaxError, ValueError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(f"model formula {shown or formula!r}: cannot parse it ({first})") from None


def formula_response(model: Any) -> str | None:
    """The left-hand side of a formula string (the response column), or None.

    Examples
    --------
    >>> formula_response("titer ~ (A + B)**2"), formula_response("A*B"), formula_response("quadratic")
    ('titer', None, None)
    """
    if not isinstance(model, str) or "~" not in model:
        return None
    f = _formula(model)
    lhs = getattr(f, "lhs", None)
    terms = [str(t) for t in lhs] if lhs is not None else []
    if len(terms) != 1 or not _NAME.match(terms[0]):
        raise InputError(f"model formula {model!r}: the left-hand side must be one response column name, got "
                         f"{' + '.join(terms) or 'nothing'} (transform the column in the data instead)")
    return terms[0]


def _parse_formula(formula: str, names: Sequence[str]) -> tuple[list[str], bool]:
    """Model terms of a formula via formulaic (Wilkinson-Rogers syntax: ``+``, ``-``, ``*``, ``:``,
    ``(...)**2``, ``I(A**2)``/``{A**2}``/``A^2``, ``- 1``/``+ 0``)."""
    text = formula
    for n in sorted((n for n in names if not _NAME.match(n)), key=len, reverse=True):
        text = re.sub(r"(?<!`)" + re.escape(n) + r"(?!`)", f"`{n}`", text)  # formulaic quotes odd names in backticks
    f = _formula(text, shown=formula)
    rhs = f.rhs if hasattr(f, "rhs") else f
    terms: list[str] = []
    has_intercept = False
    for term in rhs:
        text = str(term)
        if text == "1":
            has_intercept = True
            continue
        parts = []
        for fac in term.factors:
            expr = str(fac.expr).strip().strip("`")
            m = _PY_SQUARE.match(expr)
            if m:
                parts.append(("sq", next(x for x in m.groups() if x)))
            elif expr in names or _NAME.match(expr):
                parts.append(("name", expr))
            else:
                raise InputError(f"model term '{text}': only factor names, interactions 'A:B' and squares "
                                 f"('A^2', 'I(A**2)') are supported in coded DoE models")
        if len(parts) == 1 and parts[0][0] == "sq":
            if parts[0][1] not in names:
                raise InputError(f"model term '{text}': unknown factor '{parts[0][1]}' (factors: {', '.join(names)})")
            terms.append(f"{parts[0][1]}^2")
        elif any(k == "sq" for k, _ in parts):
            raise InputError(f"model term '{text}': terms above second order are not supported")
        else:
            terms.append(_canonical(":".join(n for _, n in parts), names))
    if not has_intercept and not terms:
        raise InputError(f"model formula {formula!r}: no model terms (without an intercept a model needs at least "
                         "one term)")
    return terms, has_intercept


def model_terms(model: str | Sequence[str], factors: Sequence[Factor], *,
                allow_no_intercept: bool = False) -> list[str]:
    """Expand a model specification into an ordered list of term names.

    Terms are ordered intercept, main effects, interactions, squares (each in
    factor order), without repeats.  Squares of categorical factors are rejected.
    A list of terms always includes the intercept; a formula with ``- 1`` or ``+ 0``
    has none, which is accepted only with ``allow_no_intercept=True`` (model fitting;
    designs and design evaluation are built around the intercept).
    """
    names = [f.name for f in factors]
    kinds = {f.name: f for f in factors}
    intercept = True
    if isinstance(model, str) and model in ("linear", "interactions", "quadratic"):
        terms = list(names)
        if model in ("interactions", "quadratic"):
            terms += [f"{a}:{b}" for a, b in itertools.combinations(names, 2)]
        if model == "quadratic":
            terms += [f"{n}^2" for n in names if kinds[n].is_continuous]
    elif isinstance(model, str):
        terms, intercept = _parse_formula(model, names)
        if not intercept and not allow_no_intercept:
            raise InputError(f"model formula {model!r}: models without an intercept ('- 1', '+ 0') can only be fitted "
                             "(pdkit.doe.fit), not used to build or evaluate a design")
    elif isinstance(model, (list, tuple)):
        terms = [_canonical(str(t), names) for t in model if str(t) != "Intercept"]
    else:
        raise InputError(
            f"model must be 'linear', 'interactions', 'quadratic', a formula string or a list of terms, got {model!r}"
        )
    for t in terms:
        if t.endswith("^2") and not kinds[t[:-2]].is_continuous:
            raise InputError(f"model term '{t}': a categorical factor has no quadratic term")
    seen: list[str] = []
    for t in terms:
        if t not in seen:
            seen.append(t)
    index = {n: i for i, n in enumerate(names)}

    def key(t: str):
        fs = term_factors(t)
        return (len(fs), t.endswith("^2"), [index[f] for f in fs])

    return (["Intercept"] if intercept else []) + sorted(seen, key=key)


def effect_coding(labels: Any, levels: Sequence[Any]) -> np.ndarray:
    """Effect (sum-to-zero) coding: one column per level but the last, which is -1 in every column.

    Examples
    --------
    >>> effect_coding(["a", "b", "c"], ["a", "b", "c"]).tolist()
    [[1.0, 0.0], [0.0, 1.0], [-1.0, -1.0]]
    """
    lab = np.asarray(labels, dtype=object)
    last = lab == levels[-1]
    return np.column_stack([np.where(lab == lev, 1.0, np.where(last, -1.0, 0.0)) for lev in levels[:-1]])


def base_matrix(factors: Sequence[Factor], settings: Mapping[str, Any], n: int) -> tuple[list[str], np.ndarray]:
    """Coded base columns for ``n`` settings in actual units, without validation.

    One column per continuous or two-level factor (coded -1..+1) and one effect-coded
    column ``name[level]`` per non-last level of a categorical factor; every model
    column is a product of these.  Used by the fast prediction paths (optimiser, design
    space, explorer) that generate valid settings themselves.

    Examples
    --------
    >>> names, B = base_matrix([Factor("t", 30, 40), Factor("c", levels=["x", "y"])], {"t": [35, 40], "c": "y"}, 2)
    >>> names, B.tolist()
    (['t', 'c'], [[0.0, 1.0], [1.0, 1.0]])
    """
    names: list[str] = []
    cols: list[np.ndarray] = []
    for f in factors:
        v = settings[f.name]
        if f.is_continuous:
            names.append(f.name)
            cols.append(np.broadcast_to((np.asarray(v, dtype=float) - f.center) / f.half_range, (n,)))
            continue
        lab = np.broadcast_to(np.asarray(v, dtype=object), (n,))
        if len(f.levels) == 2:
            names.append(f.name)
            cols.append(np.where(lab == f.levels[1], 1.0, -1.0))
        else:
            names += [f"{f.name}[{lev}]" for lev in f.levels[:-1]]
            cols += list(effect_coding(lab, f.levels).T)
    return names, (np.column_stack(cols) if cols else np.zeros((n, 0)))


def _factor_columns(factor: Factor, values: pd.Series) -> pd.DataFrame:
    """Coded columns for one factor (one column unless categorical with > 2 levels)."""
    if factor.is_continuous:
        return pd.DataFrame({factor.name: pd.to_numeric(values, errors="raise").astype(float)}, index=values.index)
    levels = list(factor.levels)
    if len(levels) == 2:
        v = values
        if not pd.api.types.is_numeric_dtype(v):
            v = pd.Series(factor.to_coded(v.to_numpy()), index=values.index)
        return pd.DataFrame({factor.name: v.astype(float)}, index=values.index)
    # effect (sum-to-zero) coding: the last level is -1 in every column
    labels = values.to_numpy()
    unknown = sorted({str(x) for x in labels if x not in levels})
    if unknown:
        raise InputError(f"factor '{factor.name}': level(s) {unknown} not among declared levels {levels}")
    names = [f"{factor.name}[{lev}]" for lev in levels[:-1]]
    return pd.DataFrame(effect_coding(labels, levels), columns=names, index=values.index)


def term_columns(terms: Sequence[str], factors: Sequence[Factor]) -> dict[str, list[str]]:
    """Map each term to the model-matrix column names it expands to."""
    fmap = {f.name: f for f in factors}

    def cols_of(name: str) -> list[str]:
        f = fmap[name]
        if f.is_continuous or len(f.levels) == 2:
            return [name]
        return [f"{name}[{lev}]" for lev in f.levels[:-1]]

    out: dict[str, list[str]] = {}
    for t in terms:
        if t == "Intercept":
            out[t] = ["Intercept"]
        elif t.endswith("^2"):
            out[t] = [t]
        else:
            parts = [cols_of(p) for p in t.split(":")]
            out[t] = [":".join(c) for c in itertools.product(*parts)]
    return out


def model_matrix(coded: pd.DataFrame, terms: Sequence[str], factors: Sequence[Factor]) -> pd.DataFrame:
    """Build the model matrix X (one row per run, one column per model column) from coded settings.

    Parameters
    ----------
    coded : DataFrame
        Coded factor settings (continuous in -1..+1 units, categorical as level labels or -1/+1).
    terms : list of str
        Output of :func:`model_terms`.
    factors : list of Factor

    Examples
    --------
    >>> from pdkit.doe.factors import Factor
    >>> fs = [Factor("A", 0, 1), Factor("B", 0, 1)]
    >>> X = model_matrix(pd.DataFrame({"A": [-1, 1], "B": [1, 1]}), ["Intercept", "A", "A:B", "A^2"], fs)
    >>> X.to_numpy().tolist()
    [[1.0, -1.0, -1.0, 1.0], [1.0, 1.0, 1.0, 1.0]]
    """
    missing = [f.name for f in factors if f.name not in coded.columns]
    if missing:
        raise InputError(f"coded settings: missing factor column(s) {missing}")
    base = pd.concat([_factor_columns(f, coded[f.name]) for f in factors], axis=1)
    mapping = term_columns(terms, factors)
    out = {}
    for t in terms:
        for col in mapping[t]:
            if col == "Intercept":
                out[col] = np.ones(len(coded))
            elif col.endswith("^2"):
                out[col] = base[col[:-2]].to_numpy() ** 2
            else:
                out[col] = np.prod([base[p].to_numpy() for p in col.split(":")], axis=0)
    return pd.DataFrame(out, index=coded.index)
