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

__all__ = ["model_terms", "model_matrix", "ModelMatrix", "term_columns", "term_order", "term_factors",
           "effect_coding", "numeric_settings", "base_matrix", "formula_response"]

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

    This is the one effect coding of pdkit: categorical factors in fits, designs, design
    evaluation and the optimiser, and block columns, are all coded here.  ``labels`` may be
    level labels or level indices (then ``levels`` is ``range(k)``).

    Examples
    --------
    >>> effect_coding(["a", "b", "c"], ["a", "b", "c"]).tolist()
    [[1.0, 0.0], [0.0, 1.0], [-1.0, -1.0]]
    >>> effect_coding([2, 0], range(3)).tolist()
    [[-1.0, -1.0], [1.0, 0.0]]
    """
    levels = list(levels)
    lab = np.atleast_1d(np.asarray(labels))
    if not (lab.dtype.kind in "iu" and all(isinstance(v, (int, np.integer)) for v in levels)):
        lab = lab.astype(object)
    last = lab == levels[-1]
    out = np.zeros((len(lab), max(len(levels) - 1, 0)))
    for i, lev in enumerate(levels[:-1]):
        out[:, i] = np.where(lab == lev, 1.0, np.where(last, -1.0, 0.0))
    return out


def numeric_settings(coded: pd.DataFrame, factors: Sequence[Factor]) -> np.ndarray:
    """Coded settings frame -> numeric settings array (continuous value, categorical level index).

    The numeric form is what :class:`ModelMatrix` evaluates fast (``ModelMatrix(...)(S)``); a
    two-level categorical factor may be given as -1/+1 or as level labels.

    Examples
    --------
    >>> fs = [Factor("t", 30, 40), Factor("c", levels=["x", "y", "z"])]
    >>> numeric_settings(pd.DataFrame({"t": [-1.0, 0.5], "c": ["z", "x"]}), fs).tolist()
    [[-1.0, 2.0], [0.5, 0.0]]
    """
    cols = []
    for f in factors:
        v = coded[f.name].to_numpy()
        if f.is_continuous:
            cols.append(v.astype(float))
        elif len(f.levels) == 2:
            if np.issubdtype(np.asarray(v).dtype, np.number):
                cols.append((v.astype(float) + 1.0) / 2.0)
            else:
                cols.append(np.array([f.levels.index(x) for x in v], dtype=float))
        else:
            cols.append(np.array([f.levels.index(x) for x in v], dtype=float))
    return np.column_stack(cols)


class ModelMatrix:
    """The model matrix of ``terms`` over ``factors``, compiled once: the one term expansion of pdkit.doe.

    The matrix is built in two steps.  The *base* matrix ``B`` holds one column per coded
    factor column (a continuous factor in coded units, a -1/+1 two-level categorical factor,
    or one effect-coded column ``name[level]`` per non-last level of a categorical factor,
    :func:`effect_coding`) plus a trailing column of ones.  Every model column is the product
    of at most ``m`` base columns, ``X[:, c] = prod_t B[:, index[c, t]]`` (unused positions
    point at the ones column).  Both steps are single numpy calls, so a stack of candidate
    rows costs about as much as one row - the optimisers' inner loops call it directly.

    Entry points, all giving the same columns (:attr:`columns`):

    * ``mm(S)`` - numeric settings (continuous coded value, categorical level index;
      :func:`numeric_settings`), for design search and evaluation;
    * :meth:`frame` - a coded DataFrame (categorical as labels or -1/+1), for fits;
    * :meth:`actual` - settings in actual units (a mapping of arrays or scalars), for
      prediction inside the factor box;
    * :meth:`from_base` - any base matrix, e.g. one affine in the optimiser's variables.

    Parameters
    ----------
    terms : list of str
        Model terms (:func:`model_terms`).
    factors : list of Factor

    Examples
    --------
    >>> fs = [Factor("A", 0, 1), Factor("C", levels=["x", "y", "z"])]
    >>> mm = ModelMatrix(["Intercept", "A", "C", "A:C"], fs)
    >>> mm.columns
    ['Intercept', 'A', 'C[x]', 'C[y]', 'A:C[x]', 'A:C[y]']
    >>> mm(np.array([[0.5, 2.0]])).tolist()
    [[1.0, 0.5, -1.0, -1.0, -0.5, -0.5]]
    >>> mm.frame(pd.DataFrame({"A": [0.5], "C": ["z"]})).to_numpy().tolist()
    [[1.0, 0.5, -1.0, -1.0, -0.5, -0.5]]
    >>> mm.actual({"A": 0.75, "C": "z"}, 1).tolist()
    [[1.0, 0.5, -1.0, -1.0, -0.5, -0.5]]
    """

    def __init__(self, terms: Sequence[str], factors: Sequence[Factor]) -> None:
        self.terms = list(terms)
        self.factors = list(factors)
        #: the model-matrix columns of each term
        self.mapping = term_columns(self.terms, self.factors)
        #: model-matrix column names in order
        self.columns = [c for t in self.terms for c in self.mapping[t]]
        base_names: list[str] = []
        by_factor: dict[str, list[int]] = {}
        for f in self.factors:
            if f.is_continuous or len(f.levels) == 2:
                by_factor[f.name] = [len(base_names)]
                base_names.append(f.name)
            else:
                by_factor[f.name] = []
                for lev in f.levels[:-1]:
                    by_factor[f.name].append(len(base_names))
                    base_names.append(f"{f.name}[{lev}]")
        #: base column names (without the trailing column of ones)
        self.base_names = base_names
        ones = len(base_names)
        parts: list[list[int]] = []
        for t in self.terms:
            if t == "Intercept":
                parts.append([])
            elif t.endswith("^2"):
                b = by_factor[t[:-2]][0]
                parts.append([b, b])
            else:
                parts.extend(list(combo) for combo in itertools.product(*(by_factor[n] for n in term_factors(t))))
        m = max([1] + [len(q) for q in parts])
        #: base-column positions of each model column (padded with the ones column)
        self.index = np.full((len(parts), m), ones, dtype=np.intp)
        for c, q in enumerate(parts):
            self.index[c, : len(q)] = q
        #: base-column positions of each factor (by factor index)
        self.factor_base = [np.array(by_factor[f.name], dtype=np.intp) for f in self.factors]

    # ------------------------------------------------------------ base matrices
    def factor_values(self, j: int, values: np.ndarray) -> np.ndarray:
        """Base columns of factor ``j`` (shape (len(values), n_cols_j)) for numeric settings ``values``."""
        f = self.factors[j]
        v = np.asarray(values, dtype=float)
        if f.is_continuous:
            return v[:, None]
        if len(f.levels) == 2:
            return (2.0 * v - 1.0)[:, None]
        return effect_coding(np.rint(v).astype(int), range(len(f.levels)))

    def base_matrix(self, S: np.ndarray) -> np.ndarray:
        """Base matrix (n, n_base + 1) of numeric settings ``S``; the last column is ones."""
        S = np.atleast_2d(np.asarray(S, dtype=float))
        B = np.ones((len(S), len(self.base_names) + 1))
        for j in range(len(self.factors)):
            B[:, self.factor_base[j]] = self.factor_values(j, S[:, j])
        return B

    def coded_base(self, coded: pd.DataFrame) -> np.ndarray:
        """Base matrix (n, n_base + 1) of a coded DataFrame (categorical as labels, or -1/+1 for two levels)."""
        missing = [f.name for f in self.factors if f.name not in coded.columns]
        if missing:
            raise InputError(f"coded settings: missing factor column(s) {missing}")
        B = np.ones((len(coded), len(self.base_names) + 1))
        for j, f in enumerate(self.factors):
            values = coded[f.name]
            if f.is_continuous:
                B[:, self.factor_base[j][0]] = pd.to_numeric(values, errors="raise").astype(float).to_numpy()
            elif len(f.levels) == 2:
                v = values if pd.api.types.is_numeric_dtype(values) else f.to_coded(values.to_numpy())
                B[:, self.factor_base[j][0]] = np.asarray(v, dtype=float)
            else:
                labels = values.to_numpy()
                unknown = sorted({str(x) for x in labels if x not in f.levels})
                if unknown:
                    raise InputError(f"factor '{f.name}': level(s) {unknown} not among declared levels "
                                     f"{list(f.levels)}")
                B[:, self.factor_base[j]] = effect_coding(labels, f.levels)
        return B

    def actual_base(self, settings: Mapping[str, Any], n: int) -> np.ndarray:
        """Base matrix (n, n_base + 1) of ``n`` settings in actual units, without validation."""
        B = np.ones((n, len(self.base_names) + 1))
        for j, f in enumerate(self.factors):
            v = settings[f.name]
            if f.is_continuous:
                B[:, self.factor_base[j][0]] = np.broadcast_to(
                    (np.asarray(v, dtype=float) - f.center) / f.half_range, (n,))
                continue
            lab = np.broadcast_to(np.asarray(v, dtype=object), (n,))
            if len(f.levels) == 2:
                B[:, self.factor_base[j][0]] = np.where(lab == f.levels[1], 1.0, -1.0)
            else:
                B[:, self.factor_base[j]] = effect_coding(lab, f.levels)
        return B

    def base(self, S: np.ndarray) -> dict[str, np.ndarray]:
        """Base columns by name (continuous, -1/+1 two-level, effect-coded level columns)."""
        B = self.base_matrix(S)
        return {n: B[:, c] for c, n in enumerate(self.base_names)}

    # ------------------------------------------------------------ model rows
    def from_base(self, B: np.ndarray) -> np.ndarray:
        """Model rows from a base matrix (any leading shape; the last base column is ones)."""
        X = B[..., self.index[:, 0]]
        for t in range(1, self.index.shape[1]):
            X = X * B[..., self.index[:, t]]
        return X

    def __call__(self, S: np.ndarray) -> np.ndarray:
        """Model rows (n, p) of numeric settings ``S`` (n, k)."""
        return self.from_base(self.base_matrix(S))

    def frame(self, coded: pd.DataFrame) -> pd.DataFrame:
        """Model matrix of a coded DataFrame, as a DataFrame with the same index."""
        return pd.DataFrame(self.from_base(self.coded_base(coded)), columns=self.columns, index=coded.index)

    def actual(self, settings: Mapping[str, Any], n: int) -> np.ndarray:
        """Model rows of ``n`` settings in actual units (arrays or scalars), without validation."""
        return self.from_base(self.actual_base(settings, n))

    def derivatives(self, S: np.ndarray, js: Sequence[int]) -> np.ndarray:
        """d X / d S[:, j] for continuous factors ``js``: array (len(js), n, p).

        Each model column is a product of base columns, and a continuous
        factor's base column is the setting itself, so the derivative of a
        product is the sum over the positions holding that factor of the
        product of the other positions (``A^2`` -> ``2 A``).
        """
        B = self.base_matrix(S)
        m = self.index.shape[1]
        out = np.zeros((len(js), len(B), len(self.index)))
        for pos, j in enumerate(js):
            b = self.factor_base[j][0]
            for t in range(m):
                hit = self.index[:, t] == b
                if not hit.any():
                    continue
                prod = np.ones((len(B), int(hit.sum())))
                for r in range(m):
                    if r != t:
                        prod = prod * B[:, self.index[hit, r]]
                out[pos][:, hit] += prod
        return out


def base_matrix(factors: Sequence[Factor], settings: Mapping[str, Any], n: int) -> tuple[list[str], np.ndarray]:
    """Coded base columns for ``n`` settings in actual units, without validation.

    One column per continuous or two-level factor (coded -1..+1) and one effect-coded
    column ``name[level]`` per non-last level of a categorical factor; every model
    column is a product of these (:class:`ModelMatrix`).

    Examples
    --------
    >>> names, B = base_matrix([Factor("t", 30, 40), Factor("c", levels=["x", "y"])], {"t": [35, 40], "c": "y"}, 2)
    >>> names, B.tolist()
    (['t', 'c'], [[0.0, 1.0], [1.0, 1.0]])
    """
    mm = ModelMatrix(["Intercept"], factors)
    return list(mm.base_names), mm.actual_base(settings, n)[:, :-1]


def term_columns(terms: Sequence[str], factors: Sequence[Factor]) -> dict[str, list[str]]:
    """Map each term to the model-matrix column names it expands to.

    Examples
    --------
    >>> term_columns(["A", "A:C"], [Factor("A", 0, 1), Factor("C", levels=["x", "y", "z"])])
    {'A': ['A'], 'A:C': ['A:C[x]', 'A:C[y]']}
    """
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
            out[t] = [":".join(c) for c in itertools.product(*(cols_of(p) for p in term_factors(t)))]
    return out


def model_matrix(coded: pd.DataFrame, terms: Sequence[str], factors: Sequence[Factor]) -> pd.DataFrame:
    """Build the model matrix X (one row per run, one column per model column) from coded settings.

    A shortcut for ``ModelMatrix(terms, factors).frame(coded)`` (:class:`ModelMatrix`).

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
    return ModelMatrix(terms, factors).frame(coded)
