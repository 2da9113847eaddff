"""Tests for pdkit.doe.augment: fold-over, axial and centre runs, D-optimal augmentation."""
from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from pdkit.doe import Factor, augment, design_from_table, evaluate
from pdkit.doe.designs import (audit_resolution, central_composite, fractional_factorial, from_worksheet, full_factorial,
                               plackett_burman)
from pdkit.doe.model import model_matrix
from pdkit.errors import InputError

pytestmark = pytest.mark.filterwarnings("ignore::pdkit.doe.evaluation.DesignWarning")


def cont(names):
    return [Factor(n, 0.0, 1.0) for n in names]


def defining_words(coded: np.ndarray) -> list[int]:
    """Lengths of the defining words read off a +/-1 matrix: factor subsets with a constant product."""
    k = coded.shape[1]
    out = []
    for r in range(1, k + 1):
        for combo in itertools.combinations(range(k), r):
            prod = np.prod(coded[:, combo], axis=1)
            if np.all(prod == prod[0]):
                out.append(r)
    return out


def test_full_foldover_of_resolution_iii_gives_resolution_iv():
    """Montgomery, Design and Analysis of Experiments (8th ed.), Sec. 8.6.2, Example 8.7: the 2^(7-4)_III
    design (D = AB, E = AC, F = BC, G = ABC) folded over (all signs reversed) gives a 16-run resolution IV
    design: every main effect is clear of every two-factor interaction (alias matrix entries 0), whereas in
    the original each main effect is fully aliased with three 2FIs (entries 1)."""
    d = fractional_factorial(cont("ABCDEFG"), generators=["D=AB", "E=AC", "F=BC", "G=ABC"])
    before = evaluate(d, "linear", alias_terms="interactions").alias_matrix.drop(index="Intercept")
    assert before.loc["A", "B:D"] == pytest.approx(1.0) and before.loc["A", "C:E"] == pytest.approx(1.0)
    assert (np.abs(before.to_numpy()) == 1).sum(axis=1).tolist() == [3] * 7
    f = augment(d, "foldover", seed=4)
    assert f.n_runs == 16
    after = evaluate(f, "linear", alias_terms="interactions").alias_matrix.drop(index="Intercept")
    assert np.allclose(after.to_numpy(), 0.0)
    words = defining_words(f.coded.to_numpy(dtype=float))
    assert min(words) == 4 and all(w % 2 == 0 for w in words)  # resolution IV: only even words remain
    assert (f.details["resolution_before"], f.details["resolution_after"], f.resolution) == (3, 4, 4)
    assert audit_resolution(full_factorial(cont("ABC"))) is None and audit_resolution(plackett_burman(cont("ABCDE"), runs=12)) is None
    # the new runs are the mirror image, in their own block; the fold-over is orthogonal to the main effects
    assert f.blocks[:8].tolist() == [1] * 8 and f.blocks[8:].tolist() == [2] * 8
    assert sorted(map(tuple, -d.coded.to_numpy())) == sorted(map(tuple, f.coded.iloc[8:].to_numpy()))
    assert evaluate(f, "linear").blocks_orthogonal


def test_kept_runs_unchanged():
    d = fractional_factorial(cont("ABCDE"), resolution=3, seed=11)
    for method, kw in (("foldover", {}), ("axial", {}), ("center", {"runs": 3}),
                       ("d_optimal", {"runs": 10, "model": "interactions"})):
        a = augment(d, method, seed=2, **kw)
        n = d.n_runs
        pd.testing.assert_frame_equal(a.coded.iloc[:n], d.coded)
        pd.testing.assert_frame_equal(a.actual.iloc[:n], d.actual)
        assert a.run_order[:n].tolist() == d.run_order.tolist()
        assert a.std_order[:n].tolist() == d.std_order.tolist()
        assert a.blocks[:n].tolist() == d.blocks.tolist()
        assert a.run_order[n:].tolist() == list(range(n + 1, a.n_runs + 1))
        assert a.details["kept_runs"] == n and a.details["new_runs"] == a.n_runs - n


def test_single_factor_foldover_frees_that_factor():
    """Montgomery 8th ed. Sec. 8.6.2: folding over on one factor (reversing only its signs) makes that main
    effect and all its two-factor interactions clear of the other main effects and 2FIs."""
    d = fractional_factorial(cont("ABCDEFG"), generators=["D=AB", "E=AC", "F=BC", "G=ABC"])
    f = augment(d, "foldover", factor="D")
    assert f.n_runs == 16 and f.details["folded"] == ["D"]
    model = ["A", "B", "C", "D", "E", "F", "G", "A:D", "B:D", "C:D", "D:E", "D:F", "D:G"]
    ev = evaluate(f, ["Intercept", *model], alias_terms="interactions")
    assert ev.aliased_terms == ()
    assert np.allclose(ev.alias_matrix.loc[["D", "A:D", "B:D", "C:D", "D:E", "D:F", "D:G"]].to_numpy(), 0.0)
    # words without D stay: A = CE = FG as in the fraction (A = BD = CE = FG there)
    assert ev.alias_matrix.loc["A", "C:E"] == pytest.approx(1.0) and ev.alias_matrix.loc["A", "F:G"] == pytest.approx(1.0)


def test_axial_runs_make_a_ccd_in_orthogonal_blocks():
    """A 2^2 factorial with 3 centre runs plus an axial block with 3 centre runs is the central composite
    design in two orthogonal blocks of Montgomery 8th ed. Sec. 11.4.3 (Table 11.8): alpha = sqrt(F (2k + c_a)
    / (2 (F + c_f))); by hand sqrt(4 (4 + 3) / (2 (4 + 3))) = sqrt(2)."""
    fs = cont("AB")
    d = full_factorial(fs, center=3)
    a = augment(d, "axial", runs=3, alpha="orthogonal")
    assert a.details["alpha"] == pytest.approx(np.sqrt(2.0))
    assert a.n_runs == 7 + 4 + 3 and set(a.blocks[7:].tolist()) == {2}
    ref = central_composite(fs, alpha="orthogonal", center=(3, 3))
    assert ref.details["alpha"] == pytest.approx(a.details["alpha"])
    assert sorted(map(tuple, np.round(ref.coded.to_numpy(), 12))) == sorted(map(tuple, np.round(a.coded.to_numpy(), 12)))
    ev = evaluate(a, "quadratic")
    assert ev.blocks_orthogonal and ev.aliased_terms == ()
    face = augment(d, "axial", alpha="face")
    assert face.details["alpha"] == 1.0 and face.details["n_center_axial"] == 3  # default: as many as c_f


def test_center_runs_join_existing_blocks():
    d = full_factorial(cont("ABC"))
    a = augment(d, "center", runs=4)
    assert a.point_type[8:].tolist() == ["center"] * 4 and a.blocks.tolist() == [1] * 12
    assert np.allclose(a.coded.iloc[8:].to_numpy(), 0.0)
    assert augment(d, "center", runs=2, new_block=True).blocks[8:].tolist() == [2, 2]


def test_d_optimal_augmentation_hand_case():
    """Hand calculation: three runs of a 2^2 factorial, (-,-), (+,-), (-,+), cannot estimate A:B; among
    the 3 x 3 grid the one run that maximises det(X'X) of the interaction model is (+,+), which gives the
    full 2^2 with X'X = 4 I and det = 4^4 = 256."""
    fs = cont("AB")
    kept = pd.DataFrame({"A": [0.0, 1.0, 0.0], "B": [0.0, 0.0, 1.0]})
    a = augment(kept, "d_optimal", runs=1, factors=fs, model="interactions", new_block=False)
    assert a.coded.iloc[3].tolist() == [1.0, 1.0]
    assert a.details["log_det_after"] == pytest.approx(np.log(256.0))
    assert a.details["log_det_before"] == -np.inf
    X = model_matrix(a.coded, ["Intercept", "A", "B", "A:B"], fs).to_numpy()
    assert np.allclose(X.T @ X, 4 * np.eye(4))


def test_d_optimal_augmentation_increases_det_and_is_deterministic():
    """Augmenting a 12-run Plackett-Burman for 5 factors with 8 runs for the two-factor-interaction model:
    det(X'X) (blocks included) goes from 0 (16 coefficients, 12 runs) to positive, each added run raises it
    (checked against the same runs one fewer), and the same seed gives the same runs."""
    fs = cont("ABCDE")
    d = plackett_burman(fs, runs=12)
    a1 = augment(d, "d_optimal", runs=8, model="interactions", seed=5)
    a2 = augment(d, "d_optimal", runs=8, model="interactions", seed=5)
    pd.testing.assert_frame_equal(a1.coded, a2.coded)
    assert np.isfinite(a1.details["log_det_after"]) and a1.details["log_det_before"] == -np.inf
    ev = evaluate(a1, "interactions")
    assert ev.aliased_terms == () and ev.n_blocks == 2
    # more runs -> larger determinant
    a3 = augment(d, "d_optimal", runs=10, model="interactions", seed=5)
    assert a3.details["log_det_after"] > a1.details["log_det_after"]
    # against a random choice of 8 candidate runs (never better than the exchange)
    rng = np.random.default_rng(0)
    grid = np.array(list(itertools.product([-1.0, 0.0, 1.0], repeat=5)))
    from pdkit.doe.model import effect_coding
    X0 = model_matrix(d.coded, ev.terms, fs).to_numpy()
    for _ in range(20):
        pick = grid[rng.choice(len(grid), 8, replace=False)]
        X1 = model_matrix(pd.DataFrame(pick, columns=list("ABCDE")), ev.terms, fs).to_numpy()
        X = np.hstack([np.vstack([X0, X1]), effect_coding(np.r_[[1] * 12, [2] * 8], [1, 2])])
        sign, val = np.linalg.slogdet(X.T @ X)
        assert sign <= 0 or val <= a1.details["log_det_after"] + 1e-9


def test_d_optimal_respects_constraints_and_candidates():
    fs = [Factor("temp", 30, 40), Factor("ph", 6.5, 7.5)]
    d = full_factorial(fs)
    a = augment(d, "d_optimal", runs=5, model="quadratic", constraints="temp + 10*ph <= 112",
                disallowed="temp < 32 and ph < 6.8", seed=1)
    new = a.actual.iloc[4:]
    assert (new["temp"] + 10 * new["ph"] <= 112 + 1e-9).all()
    assert not ((new["temp"] < 32) & (new["ph"] < 6.8)).any()
    cand = pd.DataFrame({"temp": [30, 35, 40, 35], "ph": [7.0, 7.0, 7.0, 6.5]})
    b = augment(d, "d_optimal", runs=2, model="quadratic", candidates=cand, new_block=False)
    assert set(map(tuple, b.actual.iloc[4:].to_numpy().tolist())) <= set(map(tuple, cand.to_numpy(dtype=float).tolist()))


def test_augment_from_worksheet_keeps_results(tmp_path):
    fs = [Factor("temp", 30, 37, units="degC"), Factor("resin", levels=["AAVX", "POROS"])]
    d = full_factorial(fs, seed=3)
    p = d.to_worksheet(tmp_path / "ws.csv", responses=["titer"])
    sheet = pd.read_csv(p)
    sheet["titer"] = [1.0, 2.0, 3.0, 4.0]
    a = augment(sheet, "foldover", factors=fs, seed=1)
    assert a.actual["resin"].iloc[4:].isin(["AAVX", "POROS"]).all()
    out = a.to_worksheet(tmp_path / "aug.csv", responses=["titer"])
    back = from_worksheet(pd.read_csv(out))
    assert back["titer"].iloc[:4].tolist() == [1.0, 2.0, 3.0, 4.0] and back["titer"].iloc[4:].isna().all()
    assert back["block"].tolist() == [1] * 4 + [2] * 4
    assert back["run"].tolist() == list(range(1, 9))
    assert list(back.columns[:4]) == ["run", "std_order", "block", "point_type"]


def test_design_from_table_errors_name_row_and_column():
    fs = [Factor("temp", 30, 37), Factor("resin", levels=["AAVX", "POROS"])]
    with pytest.raises(InputError, match=r"row 2, column 'temp': got 'x'"):
        design_from_table(pd.DataFrame({"temp": [30, "x"], "resin": ["AAVX", "AAVX"]}), fs, source="ws.csv")
    with pytest.raises(InputError, match=r"row 1, column 'resin': got 'Q'"):
        design_from_table(pd.DataFrame({"temp": [30, 37], "resin": ["Q", "AAVX"]}), fs, source="ws.csv")
    with pytest.raises(InputError, match=r"missing factor column\(s\) \['resin'\]"):
        design_from_table(pd.DataFrame({"temp": [30, 37]}), fs, source="ws.csv")


def test_augment_errors():
    d = full_factorial(cont("AB"))
    with pytest.raises(InputError, match="method: expected one of"):
        augment(d, "mirror")
    with pytest.raises(InputError, match="runs: a fold-over"):
        augment(d, "foldover", runs=4)
    with pytest.raises(InputError, match="unknown factor"):
        augment(d, "foldover", factor="Z")
    with pytest.raises(InputError, match="more than two levels"):
        augment(full_factorial([Factor("A", 0, 1), Factor("S", levels=["x", "y", "z"])]), "foldover")
    with pytest.raises(InputError, match="categorical; axial"):
        augment(full_factorial([Factor("A", 0, 1), Factor("S", levels=["x", "y"])]), "axial")
    with pytest.raises(InputError, match="need runs >= "):
        augment(d, "d_optimal", runs=1, model="quadratic")
    with pytest.raises(InputError, match="factors: a table of runs needs"):
        augment(pd.DataFrame({"A": [0, 1]}), "foldover")
    with pytest.raises(InputError, match="neither a factorial"):
        augment(augment(d, "axial"), "axial")
