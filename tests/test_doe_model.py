"""The one model-matrix implementation of pdkit.doe (pdkit.doe.model.ModelMatrix) and the one effect coding.

Hand calculation: effect (sum-to-zero) coding of a k-level factor as in Montgomery, Design and
Analysis of Experiments, 8th ed., section 10.3 (indicator columns for all levels but the last,
the last level -1 in every column); the model columns are products of the coded factor columns.
"""
from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import pdkit.doe
from pdkit.doe.factors import Factor
from pdkit.doe.model import ModelMatrix, effect_coding, model_matrix, model_terms, numeric_settings, term_columns

DOE = Path(pdkit.doe.__file__).parent

FACTORS = [Factor("A", 0, 10), Factor("C", levels=["x", "y", "z"]), Factor("D", levels=["lo", "hi"])]
TERMS = ["Intercept", "A", "C", "D", "A:C", "A:D", "C:D", "A^2"]
RUNS = pd.DataFrame({"A": [0.0, 5.0, 10.0, 7.5], "C": ["x", "y", "z", "z"], "D": ["lo", "hi", "hi", "lo"]})


def _hand_rows(runs: pd.DataFrame) -> tuple[list[str], np.ndarray]:
    """The model matrix written out term by term, without pdkit, patsy or statsmodels."""
    code_c = {"x": (1.0, 0.0), "y": (0.0, 1.0), "z": (-1.0, -1.0)}  # effect coding, last level -1
    code_d = {"lo": -1.0, "hi": 1.0}  # two levels: one -1/+1 column, the second level +1
    rows = []
    for a_actual, c, d in runs.itertuples(index=False):
        a = (a_actual - 5.0) / 5.0
        cx, cy = code_c[c]
        dd = code_d[d]
        rows.append([1.0, a, cx, cy, dd, a * cx, a * cy, a * dd, cx * dd, cy * dd, a * a])
    columns = ["Intercept", "A", "C[x]", "C[y]", "D", "A:C[x]", "A:C[y]", "A:D", "C[x]:D", "C[y]:D", "A^2"]
    return columns, np.array(rows)


def test_model_matrix_matches_hand_expansion_with_a_categorical_factor():
    columns, expected = _hand_rows(RUNS)
    assert model_terms(TERMS, FACTORS) == TERMS
    mm = ModelMatrix(TERMS, FACTORS)
    assert mm.columns == columns
    assert [c for t in TERMS for c in term_columns(TERMS, FACTORS)[t]] == columns
    coded = RUNS.assign(A=(RUNS["A"] - 5.0) / 5.0)
    # every entry point gives the same matrix: coded frame (fits), numeric settings (design search,
    # evaluation), actual settings (prediction, optimiser) and the model_matrix shortcut
    np.testing.assert_array_equal(mm.frame(coded).to_numpy(), expected)
    np.testing.assert_array_equal(model_matrix(coded, TERMS, FACTORS).to_numpy(), expected)
    np.testing.assert_array_equal(mm(numeric_settings(coded, FACTORS)), expected)
    np.testing.assert_array_equal(mm.actual({c: RUNS[c].to_numpy() for c in RUNS}, len(RUNS)), expected)
    # a two-level factor given as -1/+1 codes as given by its labels
    pm = coded.assign(D=coded["D"].map({"lo": -1.0, "hi": 1.0}))
    np.testing.assert_array_equal(mm.frame(pm).to_numpy(), expected)


def test_effect_coding_is_sum_to_zero_and_takes_labels_or_level_indices():
    E = effect_coding(["x", "y", "z"], ["x", "y", "z"])
    assert E.tolist() == [[1.0, 0.0], [0.0, 1.0], [-1.0, -1.0]]
    assert E.sum(axis=0).tolist() == [0.0, 0.0]
    np.testing.assert_array_equal(effect_coding([0, 1, 2], range(3)), E)
    mm = ModelMatrix(["Intercept", "C"], FACTORS)
    np.testing.assert_array_equal(mm.factor_values(1, np.array([0.0, 1.0, 2.0])), E)


def test_derivatives_of_the_model_rows():
    """d/dA of [1, A, A:D, A^2] is [0, 1, D, 2A] (continuous factors only)."""
    mm = ModelMatrix(["Intercept", "A", "D", "A:D", "A^2"], FACTORS)
    S = np.array([[0.5, 0.0, 1.0]])  # A = 0.5, C = x, D = hi (+1)
    assert mm.derivatives(S, [0])[0].tolist() == [[0.0, 1.0, 0.0, 1.0, 1.0]]


def test_unknown_level_is_an_input_error_naming_the_factor():
    with pytest.raises(pdkit.errors.InputError, match=r"factor 'C': level\(s\) \['w'\] not among"):
        ModelMatrix(["Intercept", "C"], FACTORS).frame(RUNS.assign(C=["x", "w", "y", "z"]))


# ------------------------------------------------------------------- one implementation
def _splits_terms(node: ast.AST) -> bool:
    """Does ``node`` take a term apart into its factors (``c.split(":")``, ``term_factors(c)``)?"""
    for n in ast.walk(node):
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == "split" \
                and n.args and isinstance(n.args[0], ast.Constant) and n.args[0].value == ":":
            return True
        if isinstance(n, ast.Call) and getattr(n.func, "id", "") == "term_factors":
            return True
    return False


def term_expansions(source: str) -> list[str]:
    """Places in ``source`` that evaluate model terms or code categorical factors themselves."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ClassDef) and {"from_base", "base_matrix"} & {
                f.name for f in node.body if isinstance(f, ast.FunctionDef)}:
            found.append(f"line {node.lineno}: class {node.name} builds model rows")
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and _splits_terms(node) and any(
                isinstance(n, ast.Call) and getattr(n.func, "attr", getattr(n.func, "id", "")) in ("prod", "multiply")
                for n in ast.walk(node)):
            found.append(f"line {node.lineno}: {node.name} multiplies the factors of terms")
        if isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) in (
                "prod", "multiply") and any(_splits_terms(a) for a in node.args):
            found.append(f"line {node.lineno}: product over the factors of a term")
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Pow, ast.Mult)) \
                and any(isinstance(s, ast.Subscript) and isinstance(s.slice, ast.Subscript)
                        and isinstance(s.slice.slice, ast.Slice) and isinstance(s.slice.slice.upper, ast.UnaryOp)
                        for s in (node.left, node.right)):
            found.append(f"line {node.lineno}: square of a column named 'X^2'")
        if isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) == "where":
            consts = {n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, float)}
            consts |= {-n.operand.value for n in ast.walk(node) if isinstance(n, ast.UnaryOp)
                       and isinstance(n.op, ast.USub) and isinstance(n.operand, ast.Constant)
                       and isinstance(n.operand.value, (int, float))}
            if {1.0, -1.0, 0.0} <= consts:
                found.append(f"line {node.lineno}: effect coding (np.where with 1, -1, 0)")
    return sorted(set(found), key=lambda f: int(f.split(":")[0][5:]))


def test_the_scanner_finds_hand_built_model_columns():
    src = ("X = np.prod([base[q] for q in c.split(':')], axis=0)\n"
           "Y = base[c[:-2]] ** 2\n"
           "Z = np.where(lab == lev, 1.0, np.where(last, -1.0, 0.0))\n"
           "class Rows:\n    def base_matrix(self, S): ...\n    def from_base(self, B): ...\n"
           "ok = np.prod(rows[:, cols], axis=1)\n"
           "class Compiled:\n    def __init__(self, cols):\n        self.J = [[pos[q] for q in c.split(':')] for c in cols]\n"
           "    def rows(self, B):\n        return B[:, self.J].prod(axis=2)\n")
    assert [f.split(":")[0] for f in term_expansions(src)] == ["line 1", "line 2", "line 3", "line 4", "line 8"]


@pytest.mark.parametrize("path", sorted(p for p in DOE.rglob("*.py") if p.name != "model.py"),
                         ids=lambda p: str(p.relative_to(DOE)))
def test_no_other_doe_module_builds_model_columns(path):
    """Model rows and effect coding come from pdkit.doe.model only (ModelMatrix, effect_coding)."""
    assert term_expansions(path.read_text(encoding="utf-8")) == []
