"""Linear constraints and disallowed combinations of a design region, in actual units."""
from __future__ import annotations

import ast
import re
from typing import Any, Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from pdkit.errors import InputError
from pdkit.doe.factors import Factor

__all__ = ["feasible_mask", "parse_constraints", "disallowed_check"]


_TOKEN = re.compile(r"\s*(?:(\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)|([A-Za-z_]\w*)|(<=|>=|[+\-*]))")


def _parse_linear(expr: str, names: Sequence[str], where: str) -> tuple[dict[str, float], float]:
    pos, coefs, const = 0, {n: 0.0 for n in names}, 0.0
    toks = []
    expr = expr.strip()
    while pos < len(expr):
        m = _TOKEN.match(expr, pos)
        if not m or m.end() == pos:
            raise InputError(f"{where}: cannot read '{expr[pos:]}'")
        toks.append(m.groups())
        pos = m.end()
    i, sign = 0, 1.0
    while i < len(toks):
        num, name, op = toks[i]
        if op in ("+", "-"):
            sign *= -1.0 if op == "-" else 1.0
            i += 1
            continue
        coef = 1.0
        if num is not None:
            coef = float(num)
            if i + 1 < len(toks) and toks[i + 1][2] == "*":
                i += 1
            if i + 1 < len(toks) and toks[i + 1][1] is not None:
                i += 1
                name = toks[i][1]
            else:
                const += sign * coef
                sign, i = 1.0, i + 1
                continue
        if name is None:
            raise InputError(f"{where}: unexpected '{op}'")
        if i + 2 < len(toks) and toks[i + 1][2] == "*" and toks[i + 2][0] is not None:
            coef *= float(toks[i + 2][0])
            i += 2
        if name not in coefs:
            raise InputError(f"{where}: unknown factor '{name}' (factors: {', '.join(names)})")
        coefs[name] += sign * coef
        sign, i = 1.0, i + 1
    return coefs, const


def parse_constraints(constraints: Any, factors: Sequence[Factor], where: str = "constraint"
                       ) -> list[tuple[np.ndarray, float]]:
    """Linear constraints in actual units -> coded form a'x <= b (a over all factors).

    A string is read by a small tokenizer (numbers, factor names, ``+ - *``, one
    ``<=``/``>=``; ``<``/``>`` read as ``<=``/``>=`` since the region is closed):
    nothing is evaluated.  ``where`` starts every error message (e.g. "parameter
    'constraints'").
    """
    if constraints is None:
        return []
    if isinstance(constraints, (str, tuple)):
        constraints = [constraints]
    names = [f.name for f in factors]
    out = []
    label = where
    for c in constraints:
        where = f"{label} {c!r}"
        if isinstance(c, str):
            ops = re.findall(r"<=|>=|<|>", c)
            if len(ops) != 1:
                raise InputError(f"{where}: expected one '<=' or '>=', e.g. 'A + B <= 1.5'")
            lhs, rhs = c.split(ops[0])
            ops = [ops[0] if len(ops[0]) == 2 else ops[0] + "="]  # the region is closed: '<' reads as '<='
            if not lhs.strip() or not rhs.strip():
                raise InputError(f"{where}: expected an expression on both sides of '{ops[0]}', e.g. 'A + B <= 1.5'")
            a1, k1 = _parse_linear(lhs, names, where)
            a2, k2 = _parse_linear(rhs, names, where)
            coefs = {n: a1[n] - a2[n] for n in names}
            bound = k2 - k1
            if ops[0] == ">=":
                coefs = {n: -v for n, v in coefs.items()}
                bound = -bound
        elif isinstance(c, (tuple, list)) and len(c) == 2:
            raw, bound = c
            if isinstance(raw, Mapping):
                unknown = [n for n in raw if n not in names]
                if unknown:
                    raise InputError(f"{where}: unknown factor(s) {unknown}")
                coefs = {n: float(raw.get(n, 0.0)) for n in names}
            else:
                raw = list(raw)
                if len(raw) != len(names):
                    raise InputError(f"{where}: expected {len(names)} coefficients (one per factor), got {len(raw)}")
                coefs = dict(zip(names, map(float, raw)))
            bound = float(bound)
        else:
            raise InputError(f"{where}: expected a string like 'A + B <= 1.5' or a (coefficients, bound) pair")
        a = np.zeros(len(factors))
        b = bound
        for j, f in enumerate(factors):
            if coefs[f.name] != 0 and not f.is_continuous:
                raise InputError(f"{where}: factor '{f.name}' is categorical; constraints take continuous factors")
            if f.is_continuous:
                a[j] = coefs[f.name] * f.half_range
                b -= coefs[f.name] * f.center
        if not a.any():
            raise InputError(f"{where}: involves no factor")
        out.append((a, b))
    return out


_CMP = {ast.Lt: np.less, ast.LtE: np.less_equal, ast.Gt: np.greater, ast.GtE: np.greater_equal,
        ast.Eq: np.equal, ast.NotEq: np.not_equal}
_ARITH = {ast.Add: np.add, ast.Sub: np.subtract, ast.Mult: np.multiply, ast.Div: np.divide}


def _compile_condition(text: str, factors: Sequence[Factor], where: str) -> Callable[[dict], np.ndarray]:
    """A disallowed-combination condition such as ``"temp > 40 and ph < 7"`` as a vectorised function.

    The text is parsed with :mod:`ast` and only a whitelist is accepted - ``and``,
    ``or``, ``not``, comparisons (``< <= > >= == !=``, chained), ``+ - * /``, unary
    minus, numbers, quoted level names and factor names - so nothing is ever
    executed.  Categorical factors compare with ``==``/``!=`` against one of their
    levels.  The function takes a dict factor name -> array of actual settings and
    returns a boolean array.
    """
    by_name = {f.name: f for f in factors}
    if not isinstance(text, str) or not text.strip():
        raise InputError(f"{where}: expected a condition such as 'temp > 40 and ph < 7', got {text!r}")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError:
        raise InputError(f"{where}: cannot read it; write a condition such as 'temp > 40 and ph < 7' "
                         "(and, or, not, < <= > >= == !=, + - * /, numbers, factor names, quoted levels)") from None

    def bad(node: ast.AST, why: str = "") -> InputError:
        piece = ast.get_source_segment(text.strip(), node) or type(node).__name__
        return InputError(f"{where}: {why or 'not allowed'}: '{piece}' (allowed: and, or, not, "
                          "< <= > >= == !=, + - * /, numbers, factor names, quoted levels)")

    def kind(node: ast.AST) -> str:
        """'num', 'level' (a string), 'cat' (a categorical factor) or 'bool'."""
        if isinstance(node, ast.Constant):
            if isinstance(node.value, bool) or not isinstance(node.value, (int, float, str)):
                raise bad(node)
            return "level" if isinstance(node.value, str) else "num"
        if isinstance(node, ast.Name):
            if node.id not in by_name:
                raise InputError(f"{where}: unknown factor '{node.id}' (factors: "
                                 f"{', '.join(by_name)})")
            return "num" if by_name[node.id].is_continuous else "cat"
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            if kind(node.operand) != "num":
                raise bad(node, "a sign applies to numbers only")
            return "num"
        if isinstance(node, ast.BinOp) and type(node.op) in _ARITH:
            if kind(node.left) != "num" or kind(node.right) != "num":
                raise bad(node, "arithmetic applies to continuous factors and numbers only")
            return "num"
        if isinstance(node, ast.BoolOp) and isinstance(node.op, (ast.And, ast.Or)):
            for v in node.values:
                if kind(v) != "bool":
                    raise bad(v, "expected a comparison")
            return "bool"
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            if kind(node.operand) != "bool":
                raise bad(node.operand, "expected a comparison")
            return "bool"
        if isinstance(node, ast.Compare):
            items = [node.left, *node.comparators]
            kinds = [kind(n) for n in items]
            for op, (a, b), (ka, kb) in zip(node.ops, zip(items, items[1:]), zip(kinds, kinds[1:])):
                if type(op) not in _CMP:
                    raise bad(node)
                if "cat" in (ka, kb) or "level" in (ka, kb):
                    if not isinstance(op, (ast.Eq, ast.NotEq)) or {ka, kb} != {"cat", "level"}:
                        raise bad(node, "a categorical factor compares with == or != against one of its levels")
                    fac = a if ka == "cat" else b
                    lev = b if ka == "cat" else a
                    if lev.value not in by_name[fac.id].levels:
                        raise InputError(f"{where}: level {lev.value!r} of factor '{fac.id}' is not "
                                         f"among its levels {list(by_name[fac.id].levels)}")
                elif ka != "num" or kb != "num":
                    raise bad(node, "comparisons take numbers and factors")
            return "bool"
        raise bad(node)

    if kind(tree.body) != "bool":
        raise InputError(f"{where}: not a condition; write e.g. 'temp > 40 and ph < 7'")

    def ev(node: ast.AST, cols: dict) -> Any:
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.Name):
            return cols[node.id]
        if isinstance(node, ast.UnaryOp):
            v = ev(node.operand, cols)
            return np.logical_not(v) if isinstance(node.op, ast.Not) else (-v if isinstance(node.op, ast.USub) else v)
        if isinstance(node, ast.BinOp):
            return _ARITH[type(node.op)](ev(node.left, cols), ev(node.right, cols))
        if isinstance(node, ast.BoolOp):
            vals = [np.asarray(ev(v, cols), dtype=bool) for v in node.values]
            out = vals[0]
            for v in vals[1:]:
                out = np.logical_and(out, v) if isinstance(node.op, ast.And) else np.logical_or(out, v)
            return out
        items = [ev(n, cols) for n in [node.left, *node.comparators]]
        out = True
        for op, a, b in zip(node.ops, items, items[1:]):
            out = np.logical_and(out, _CMP[type(op)](a, b))
        return out

    return lambda cols: np.asarray(ev(tree.body, cols), dtype=bool)


def disallowed_check(disallowed: Any, factors: Sequence[Factor], where: str = "disallowed"
                      ) -> Callable[[np.ndarray], np.ndarray] | None:
    """Return f(S) -> bool array, True where a run is disallowed.

    ``disallowed`` is a callable taking a dict of one run's actual settings, or a
    condition string (``"temp > 40 and ph < 7"``, see :func:`_compile_condition`), a
    dict (``{"resin": "AAVX", "ph": (7.5, 9)}``: level equality, continuous closed
    range) or a list of strings and dicts (a run is disallowed when any matches).
    """
    if disallowed is None:
        return None
    names = [f.name for f in factors]

    def to_actual(S: np.ndarray) -> list[dict]:
        rows = []
        for s in S:
            r = {}
            for j, f in enumerate(factors):
                r[f.name] = float(f.to_actual(s[j])) if f.is_continuous else f.levels[int(round(s[j]))]
            rows.append(r)
        return rows

    if callable(disallowed):
        return lambda S: np.array([bool(disallowed(r)) for r in to_actual(S)], dtype=bool)
    if isinstance(disallowed, (Mapping, str)):
        disallowed = [disallowed]
    rules: list[Any] = []
    for rule in list(disallowed):
        if isinstance(rule, str):
            rules.append(_compile_condition(rule, factors, f"{where} {rule!r}" if where else repr(rule)))
            continue
        if not isinstance(rule, Mapping):
            raise InputError(f"{where}: expected conditions such as 'temp > 40 and ph < 7', dicts like "
                             f"{{'resin': 'AAVX', 'ph': (7.5, 9)}} or a callable, got {rule!r}")
        unknown = [n for n in rule if n not in names]
        if unknown:
            raise InputError(f"{where}: unknown factor(s) {unknown}")
        rules.append(rule)
    if not rules:
        return None

    def check(S: np.ndarray) -> np.ndarray:
        cols = {}
        for j, f in enumerate(factors):
            if f.is_continuous:
                cols[f.name] = f.center + S[:, j] * f.half_range
            else:
                cols[f.name] = np.array(f.levels, dtype=object)[np.rint(S[:, j]).astype(int)]
        out = np.zeros(len(S), dtype=bool)
        for rule in rules:
            if callable(rule):
                out |= np.broadcast_to(rule(cols), (len(S),))
                continue
            hit = np.ones(len(S), dtype=bool)
            for n, v in rule.items():
                x = cols[n]
                if isinstance(v, (tuple, list)) and len(v) == 2 and all(isinstance(t, (int, float)) for t in v):
                    hit &= (x >= v[0]) & (x <= v[1])
                else:
                    hit &= x == v
            out |= hit
        return out

    return check


def feasible_mask(settings: pd.DataFrame, factors: Sequence[Factor], constraints: Any = None,
                  disallowed: Any = None, units: str = "actual") -> np.ndarray:
    """True for each row of ``settings`` inside the constrained region.

    Parameters
    ----------
    settings : DataFrame
        One column per factor (categorical factors as level names).
    factors : list of Factor
    constraints : str or list, optional
        Linear constraints in actual units, e.g. ``"A + B <= 1.5"`` (see
        :func:`pdkit.doe.optimal_design`).
    disallowed : str, dict, callable or list, optional
        Disallowed combinations, e.g. ``"A > 40 and B < 2"``.
    units : {"actual", "coded"}
        Units of the continuous columns of ``settings``.

    Examples
    --------
    >>> import pandas as pd
    >>> from pdkit.doe.factors import Factor
    >>> fs = [Factor("A", 0, 60), Factor("B", 0, 10)]
    >>> grid = pd.DataFrame({"A": [10, 50, 50], "B": [5, 1, 5]})
    >>> feasible_mask(grid, fs, constraints="A + 2*B <= 55", disallowed="A > 40 and B < 2").tolist()
    [True, False, False]
    """
    from pdkit.doe.model import numeric_settings

    if units not in ("actual", "coded"):
        raise InputError(f"units: expected 'actual' or 'coded', got {units!r}")
    missing = [f.name for f in factors if f.name not in settings.columns]
    if missing:
        raise InputError(f"settings: missing factor column(s) {missing}")
    coded = pd.DataFrame({f.name: (f.to_coded(settings[f.name].to_numpy(dtype=float))
                                   if f.is_continuous and units == "actual" else settings[f.name].to_numpy())
                          for f in factors})
    S = numeric_settings(coded, factors)
    ok = np.ones(len(S), dtype=bool)
    for a, b in parse_constraints(constraints, factors):
        ok &= S @ a <= b + 1e-9
    bad = disallowed_check(disallowed, factors)
    if bad is not None:
        ok &= ~bad(S)
    return ok
