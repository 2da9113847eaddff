"""Tests for pdkit.doe.designs: defining properties and published designs."""
from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest

from pdkit.doe.designs import (
    Design,
    _MA_TABLE,
    _letters,
    _search_generators,
    box_behnken,
    central_composite,
    conference_matrix,
    defining_relation,
    definitive_screening,
    fractional_factorial,
    full_factorial,
    hadamard_matrix,
    latin_hypercube,
    optimal_design,
    plackett_burman,
)
from pdkit.doe.evaluation import evaluate, prediction_variance
from pdkit.doe.factors import Factor
from pdkit.doe.model import model_matrix, model_terms
from pdkit.errors import InputError


def cont(names="ABC", low=0.0, high=1.0):
    return [Factor(n, low, high) for n in names]


def audit_words(coded: np.ndarray) -> list[int]:
    """Defining words read off a two-level matrix: subsets whose column product is constant."""
    n, k = coded.shape
    words = []
    for mask in range(1, 2**k):
        cols = [j for j in range(k) if mask >> j & 1]
        prod = np.prod(coded[:, cols], axis=1)
        if np.all(prod == prod[0]):
            words.append(len(cols))
    return words


# ----------------------------------------------------------------------------- full factorial
def test_full_factorial_two_level_standard_order_and_orthogonality():
    d = full_factorial(cont("ABC"))
    assert d.name == "2^3 full factorial"
    # Yates standard order (Montgomery DAE 8th ed., Table 6.x sign tables): A changes fastest
    assert d.coded["A"].tolist() == [-1, 1, -1, 1, -1, 1, -1, 1]
    assert d.coded["C"].tolist() == [-1, -1, -1, -1, 1, 1, 1, 1]
    X = model_matrix(d.coded, model_terms("y ~ A*B*C", d.factors), d.factors).to_numpy()
    assert np.allclose(X.T @ X, 8 * np.eye(8))  # all effects orthogonal
    assert d.run_order.tolist() == list(range(1, 9)) and d.std_order.tolist() == list(range(1, 9))


def test_full_factorial_actual_units_multilevel_and_categorical():
    fs = [Factor("temp", 30, 37, units="degC"), Factor("resin", levels=["AAVX", "AAV9", "POROS"])]
    d = full_factorial(fs, levels={"temp": 3})
    assert d.n_runs == 9
    assert sorted(set(d.actual["temp"])) == [30.0, 33.5, 37.0]
    assert set(d.actual["resin"]) == {"AAVX", "AAV9", "POROS"}
    assert set(d.coded["resin"]) == {"AAVX", "AAV9", "POROS"}  # >2 levels stay labels
    counts = d.actual.value_counts()
    assert (counts == 1).all()


def test_full_factorial_center_replicates_and_blocks():
    d = full_factorial(cont("ABCD"), blocks=4, center=4, replicates=1)
    assert d.n_runs == 20
    assert sorted(np.bincount(d.blocks)[1:].tolist()) == [5, 5, 5, 5]
    fact = d.point_type == "factorial"
    X = d.coded.to_numpy()[fact]
    B = pd.get_dummies(d.blocks[fact]).to_numpy(float)
    # main effects and all two-factor interactions... main effects are orthogonal to blocks
    assert np.allclose(B.T @ X, 0)
    # Montgomery DAE 8th ed. Sec. 7.4: blocking 2^4 in 4 blocks necessarily confounds a 2FI;
    # the chosen scheme confounds exactly one 2FI and two 3FIs (generalised interaction).
    confounded = []
    for r in (2, 3, 4):
        for combo in itertools.combinations(range(4), r):
            col = np.prod(X[:, combo], axis=1)
            if np.allclose(B.T @ col, 0):
                continue
            confounded.append(r)
    assert sorted(confounded) == [2, 3, 3]
    rep = full_factorial(cont("AB"), replicates=3)
    assert rep.n_runs == 12 and rep.coded.value_counts().eq(3).all()


def test_randomisation_is_seeded_and_within_blocks():
    d0 = full_factorial(cont("ABCD"), blocks=2)
    d1 = full_factorial(cont("ABCD"), blocks=2, seed=11)
    d2 = d0.randomized(11)
    assert np.all(np.diff(d0.blocks) >= 0) and d0.seed is None
    assert np.array_equal(d1.std_order, d2.std_order) and d1.seed == 11
    assert not np.array_equal(d1.std_order, d0.std_order)
    assert np.all(np.diff(d1.blocks) >= 0)  # blocks stay in order
    # same runs, different order; the caller's design is untouched
    key = lambda d: sorted(map(tuple, d.coded.to_numpy().tolist()))  # noqa: E731
    assert key(d0) == key(d1)
    assert d1.standard().std_order.tolist() == d0.std_order.tolist()


# ----------------------------------------------------------------------------- fractional factorial
def test_half_fraction_montgomery_example_8_2():
    """Montgomery, Design and Analysis of Experiments, 8th ed., Sec. 8.2 / Example 8.2:
    the 2^(5-1) design with generator E = ABCD, defining relation I = ABCDE, resolution V;
    every main effect is aliased with a four-factor interaction (A = BCDE) and every
    two-factor interaction with a three-factor interaction (AB = CDE)."""
    d = fractional_factorial(cont("ABCDE"), generators=["E=ABCD"])
    assert d.n_runs == 16 and d.resolution == 5
    assert d.defining_relation == ("I = ABCDE",)
    chains = dict(zip(d.aliases["effect"], d.aliases["aliases"]))
    assert chains["A"] == "B:C:D:E"
    assert chains["A:B"] == "C:D:E"
    assert np.allclose(d.coded["E"], d.coded[["A", "B", "C", "D"]].prod(axis=1))
    # choosing by resolution gives the same design (Montgomery Table 8.14)
    r = fractional_factorial(cont("ABCDE"), resolution=5)
    assert r.generators == ("E=ABCD",) and r.n_runs == 16


def test_quarter_fraction_montgomery_example_8_4():
    """Montgomery DAE 8th ed., Example 8.4 (injection moulding 2^(6-2)_IV): E = ABC, F = BCD,
    complete defining relation I = ABCE = BCDF = ADEF; alias chains A = BCE = DEF = ABCDF
    and AB = CE = ACDF = BDEF."""
    d = fractional_factorial(cont("ABCDEF"), resolution="IV")
    assert d.generators == ("E=ABC", "F=BCD")
    assert d.defining_relation == ("I = ABCE = BCDF = ADEF",)
    assert d.resolution == 4 and d.n_runs == 16
    chains = dict(zip(d.aliases["effect"], d.aliases["aliases"]))
    assert chains["A"] == "B:C:E = D:E:F = A:B:C:D:F"
    assert chains["A:B"] == "C:E = A:C:D:F = B:D:E:F"


def test_resolution_iii_saturated_and_negative_generator():
    """2^(7-4)_III with D=AB, E=AC, F=BC, G=ABC (Montgomery DAE 8th ed., Table 8.19)."""
    d = fractional_factorial(cont("ABCDEFG"), resolution=3)
    assert d.n_runs == 8 and d.resolution == 3
    assert d.word_length_pattern[:2] == (7, 7)
    n = fractional_factorial(cont("ABCD"), generators=["D=-ABC"])
    assert n.defining_relation == ("I = -ABCD",)
    assert np.allclose(n.coded["D"], -n.coded[["A", "B", "C"]].prod(axis=1))


@pytest.mark.parametrize("key", sorted(_MA_TABLE))
def test_resolution_audited_from_generated_matrix(key):
    """Every generator-table entry: the resolution stated in Montgomery's Table 8.14 equals the
    shortest defining word read directly from the generated design matrix, and the design's
    main effects are orthogonal."""
    k, p = key
    gens, stated = _MA_TABLE[key]
    fs = [Factor(c, 0, 1) for c in _letters(k)]
    d = fractional_factorial(fs, generators=list(gens))
    X = d.coded.to_numpy()
    words = audit_words(X)
    assert len(words) == 2**p - 1
    assert min(words) == stated == d.resolution
    assert np.allclose(X.T @ X, len(X) * np.eye(k))


@pytest.mark.parametrize("key", [(5, 2), (6, 2), (6, 3), (7, 2), (7, 3), (7, 4), (8, 2), (8, 3), (8, 4), (9, 2), (9, 4), (9, 5), (10, 6), (11, 7)])
def test_table_generators_have_minimum_aberration(key):
    """The table's word-length pattern equals the best found by exhaustive search over all
    generator sets (minimum aberration, Fries & Hunter 1980)."""
    k, p = key
    letters = _letters(k)
    table = defining_relation(_MA_TABLE[key][0], letters)["word_length_pattern"]
    search = defining_relation(_search_generators(k, p), letters)["word_length_pattern"]
    assert table == search


def test_fraction_by_runs_and_search_beyond_table():
    d = fractional_factorial(cont("ABCDEFGHJKL"[:8]), runs=16)
    assert d.generators == ("E=BCD", "F=ACD", "G=ABC", "H=ABD") and d.resolution == 4
    big = fractional_factorial([Factor(f"x{i}", 0, 1) for i in range(12)], runs=512)
    X = big.coded.to_numpy()
    assert big.resolution == min(audit_words(X)) if X.shape[1] <= 12 else True
    assert big.resolution >= 6


def test_fraction_with_names_and_blocks_and_center():
    fs = [Factor("temp", 30, 37, units="degC"), Factor("ph", 6.8, 7.4), Factor("feed", 1, 3), Factor("dose", 0, 1)]
    d = fractional_factorial(fs, generators=["dose=temp*ph*feed"], center=3)
    assert d.generators == ("D=ABC",) and d.details["letters"]["D"] == "dose"
    assert d.n_runs == 11 and (d.point_type == "center").sum() == 3
    b = fractional_factorial(cont("ABCDE"), generators=["E=ABCD"], blocks=2)
    fact = b.coded.to_numpy()
    B = np.where(b.blocks == 1, 1.0, -1.0)
    assert np.allclose(B @ fact, 0)  # no main effect confounded with blocks
    # 2^(5-1)_V in two blocks of 8: every block word is a 3FI aliased with a 2FI, so exactly one
    # 2FI (= its 3FI alias) is confounded with blocks (Montgomery DAE 8th ed., Sec. 8.2, blocking)
    hits = [abs(B @ (fact[:, i] * fact[:, j])) > 1e-9 for i, j in itertools.combinations(range(5), 2)]
    assert sum(hits) == 1


def test_fraction_bad_input():
    fs = cont("ABCDE")
    with pytest.raises(InputError, match="unknown factor 'Z'"):
        fractional_factorial(fs, generators=["E=ABZ"])
    with pytest.raises(InputError, match="at least two base factors"):
        fractional_factorial(fs, generators=["E=A"])
    with pytest.raises(InputError, match="generated factor"):
        fractional_factorial(fs, generators=["D=AB", "E=AD"])
    with pytest.raises(InputError, match="resolution 2"):
        fractional_factorial(fs, generators=["D=AB", "E=AB"])
    with pytest.raises(InputError, match="resolution"):
        fractional_factorial(fs, resolution=9)
    with pytest.raises(InputError, match="give resolution"):
        fractional_factorial(fs)
    with pytest.raises(InputError, match="power-of-2"):
        fractional_factorial(fs, runs=12)
    with pytest.raises(InputError, match="more than two levels"):
        fractional_factorial([Factor("r", levels=["a", "b", "c"]), *cont("AB")], resolution=3)
    with pytest.raises(InputError, match="blocks must be a power of 2"):
        full_factorial(cont("ABC"), blocks=3)


# ----------------------------------------------------------------------------- Plackett-Burman
@pytest.mark.parametrize("n", [8, 12, 16, 20, 24, 28, 36, 44])
def test_plackett_burman_orthogonal_and_balanced(n):
    d = plackett_burman([Factor(f"x{i}", 0, 1) for i in range(n - 1)])
    X = d.coded.to_numpy()
    assert d.n_runs == n
    assert np.allclose(X.T @ X, n * np.eye(n - 1))
    assert np.allclose(X.sum(axis=0), 0)


def test_plackett_burman_published_12_run_design():
    """Plackett & Burman (1946), Biometrika 33:305-325, N = 12: first row
    + + - + + + - - - + -, the following rows cyclic shifts, the last row all minus."""
    d = plackett_burman([Factor(f"x{i}", 0, 1) for i in range(11)], runs=12).standard()
    X = d.coded.to_numpy()
    assert "".join("+" if v > 0 else "-" for v in X[0]) == "++-+++---+-"
    assert np.array_equal(X[1], np.roll(X[0], 1))
    assert np.all(X[-1] == -1)
    d5 = plackett_burman(cont("ABCDE"))
    assert d5.n_runs == 8
    with pytest.raises(InputError, match="multiple of 4"):
        plackett_burman(cont("ABCDE"), runs=10)


def test_hadamard_and_conference_matrices():
    for n in (4, 8, 12, 20, 24, 28, 36, 40, 44, 52):
        H = hadamard_matrix(n)
        assert np.allclose(H.T @ H, n * np.eye(n))
    for n in (2, 4, 6, 8, 10, 12, 14, 18, 20, 26, 28, 30):
        C = conference_matrix(n)
        assert np.allclose(C.T @ C, (n - 1) * np.eye(n)) and np.allclose(np.diag(C), 0)
        q = n - 1
        if n > 2:  # Paley: symmetric for q = 1 (mod 4), antisymmetric for q = 3 (mod 4)
            assert np.allclose(C, C.T) if q % 4 == 1 else np.allclose(C, -C.T)
    assert conference_matrix(16) is None and conference_matrix(22) is None


# ----------------------------------------------------------------------------- central composite
def _sphere_variance_range(d, k, radius, seed=0):
    rng = np.random.default_rng(seed)
    Z = rng.normal(size=(60, k))
    Z = Z / np.linalg.norm(Z, axis=1)[:, None] * radius
    pv = prediction_variance(d, "quadratic", pd.DataFrame(Z, columns=d.factor_names))
    return float(np.ptp(pv))


@pytest.mark.parametrize("k,alpha", [(2, 1.414), (3, 1.682), (4, 2.000), (5, 2.378)])
def test_ccd_rotatable(k, alpha):
    """Rotatable alpha = F^(1/4): 1.414, 1.682, 2.000, 2.378 for k = 2-5 full-factorial cores
    (Montgomery DAE 8th ed., Sec. 11.4.1; Box & Hunter 1957).  Rotatability checked directly:
    the prediction variance is the same at every point on a sphere."""
    d = central_composite(cont("ABCDE"[:k]), center=5)
    assert d.details["alpha"] == pytest.approx(alpha, abs=5e-4)
    assert d.n_runs == 2**k + 2 * k + 5
    for r in (0.5, 1.0, alpha):
        assert _sphere_variance_range(d, k, r) < 1e-10
    face = central_composite(cont("ABCDE"[:k]), alpha="face", center=5)
    assert _sphere_variance_range(face, k, 1.0) > 1e-3  # face-centred is not rotatable


def test_ccd_orthogonal_face_custom_and_fractional_core():
    d = central_composite(cont("ABC"), alpha="orthogonal", center=4)
    Q = d.coded.to_numpy() ** 2
    Qc = Q - Q.mean(axis=0)
    G = Qc.T @ Qc
    assert np.allclose(G - np.diag(np.diag(G)), 0)  # quadratic columns orthogonal
    # hand value: N = 8 + 6 + 4 = 18, alpha^2 = (sqrt(N F) - F) / 2 = (12 - 8) / 2 = 2
    assert d.details["alpha"] == pytest.approx(math.sqrt(2))
    f = central_composite(cont("AB"), alpha="face", center=1)
    assert set(np.abs(f.coded.to_numpy()).ravel()) <= {0.0, 1.0} and f.n_runs == 9
    c = central_composite(cont("AB"), alpha=1.2, center=2)
    assert np.isclose(np.abs(c.coded.to_numpy()).max(), 1.2)
    assert c.actual["A"].max() == pytest.approx(0.5 + 1.2 * 0.5)  # axial runs outside the range
    fr = central_composite(cont("ABCDE"), core_resolution=5, center=6)
    assert fr.details["n_factorial"] == 16 and fr.details["alpha"] == pytest.approx(2.0)
    assert fr.details["core_resolution"] == 5
    assert set(fr.point_type) == {"factorial", "axial", "center"}


def test_ccd_orthogonal_blocking():
    """Montgomery DAE 8th ed., Sec. 11.4.3: a k = 2 CCD in two blocks (factorial + 3 centre runs,
    axial + 3 centre runs) blocks orthogonally with alpha = 1.414 (which is also rotatable)."""
    d = central_composite(cont("AB"), alpha="orthogonal", center=(3, 3))
    assert d.details["alpha"] == pytest.approx(1.4142, abs=1e-4)
    assert sorted(np.bincount(d.blocks)[1:].tolist()) == [7, 7]
    # orthogonal blocking: each block's share of sum x_i^2 equals its share of runs
    X = d.coded.to_numpy()
    for b in (1, 2):
        share = (X[d.blocks == b] ** 2).sum(axis=0) / (X**2).sum(axis=0)
        assert np.allclose(share, (d.blocks == b).mean())
        assert np.allclose(X[d.blocks == b].sum(axis=0), 0)
    d3 = central_composite(cont("ABC"), alpha="orthogonal", center=(4, 2))
    X = d3.coded.to_numpy()
    share = (X[d3.blocks == 1] ** 2).sum(axis=0) / (X**2).sum(axis=0)
    assert np.allclose(share, (d3.blocks == 1).mean())


def test_ccd_bad_input():
    with pytest.raises(InputError, match="categorical"):
        central_composite([Factor("A", 0, 1), Factor("r", levels=["a", "b"])])
    with pytest.raises(InputError, match="alpha"):
        central_composite(cont("AB"), alpha="round")
    with pytest.raises(InputError, match="alpha: expected a positive number"):
        central_composite(cont("AB"), alpha=-1.0)
    with pytest.raises(InputError, match="center"):
        central_composite(cont("AB"), center=-1)


# ----------------------------------------------------------------------------- Box-Behnken
@pytest.mark.parametrize("k,runs", [(3, 15), (4, 27), (5, 46), (6, 54), (7, 62)])
def test_box_behnken_structure(k, runs):
    """Box & Behnken (1960), Technometrics 2:455-475, Tables 2-3: 15, 27, 46, 54, 62 runs
    (with 3, 3, 6, 6, 6 centre runs) for 3-7 factors; three levels per factor, no corner runs;
    the 4- and 7-factor designs are rotatable."""
    d = box_behnken([Factor(f"x{i}", 0, 1) for i in range(k)])
    X = d.coded.to_numpy()
    assert d.n_runs == runs
    assert set(X.ravel()) == {-1.0, 0.0, 1.0}
    edge = X[d.point_type == "edge"]
    nonzero = (edge != 0).sum(axis=1)
    assert set(nonzero) == ({2} if k <= 5 else {3})
    assert np.allclose(X.T @ X, np.diag(np.diag(X.T @ X)))  # main effects orthogonal
    assert len(set(np.diag(X.T @ X))) == 1  # each factor equally often at +/-1
    rotatable = _sphere_variance_range(d, k, 1.0) < 1e-10
    assert rotatable == (k in (4, 7))


@pytest.mark.parametrize("k, blocks, runs_per_block", [(4, 3, 9), (5, 2, 23), (6, 2, 27), (7, 2, 31)])
def test_box_behnken_orthogonal_blocks(k, blocks, runs_per_block):
    """Box & Behnken (1960), Technometrics 2:455-475: 4 factors in 3 blocks of 9, 5 factors in
    2 blocks of 23, 6 in 2 of 27, 7 in 2 of 31 (the default 3/6/6/6 centre runs shared equally).
    Orthogonal blocking (Box & Hunter 1957; Montgomery, DAE 8th ed., Sec. 11.4.3): each block is
    a first-order orthogonal design and holds the same share of every factor's sum of squares as
    of the runs - so block effects are orthogonal to every term of the quadratic model."""
    fs = [Factor(f"x{i}", 0, 1) for i in range(k)]
    d = box_behnken(fs, blocks=blocks, seed=3)
    unblocked = box_behnken(fs)
    assert d.n_runs == unblocked.n_runs == blocks * runs_per_block
    # the same runs as the unblocked design, only arranged in blocks
    key = lambda X: sorted(map(tuple, X))  # noqa: E731
    assert key(d.coded.to_numpy()) == key(unblocked.coded.to_numpy())
    assert np.bincount(d.blocks)[1:].tolist() == [runs_per_block] * blocks
    X = d.coded.to_numpy()
    total_ss = (X ** 2).sum(axis=0)
    for b in range(1, blocks + 1):
        Xb = X[d.blocks == b]
        assert np.allclose(Xb.sum(axis=0), 0)
        G = Xb.T @ Xb
        assert np.allclose(G, np.diag(np.diag(G)))  # first-order orthogonal within the block
        assert np.allclose(np.diag(G) / total_ss, runs_per_block / d.n_runs)
        assert ((Xb == 0).all(axis=1)).sum() == d.details["n_center"] // blocks
    terms = [t for t in model_terms("quadratic", d.factors) if t != "Intercept"]
    M = model_matrix(d.coded, terms, d.factors)[terms].to_numpy()
    B = np.column_stack([(d.blocks == b).astype(float) for b in range(1, blocks + 1)])
    assert np.allclose((M - M.mean(axis=0)).T @ (B - B.mean(axis=0)), 0)
    # runs are randomised within blocks: block numbers never decrease along the run order
    assert (np.diff(d.blocks) >= 0).all()


def test_box_behnken_blocks_bad_input():
    with pytest.raises(InputError, match="3 factors can be run in 1 orthogonal block"):
        box_behnken(cont("ABC"), blocks=2)
    with pytest.raises(InputError, match="center=4 cannot be shared equally between 3 blocks"):
        box_behnken(cont("ABCD"), center=4, blocks=3)
    d = box_behnken(cont("ABCD"), center=6, blocks=3, replicates=2)
    assert d.n_runs == 2 * 24 + 6 and np.bincount(d.blocks)[1:].tolist() == [18, 18, 18]


def test_box_behnken_bad_input():
    with pytest.raises(InputError, match="3 to 7 factors"):
        box_behnken(cont("AB"))


# ----------------------------------------------------------------------------- definitive screening
def _dsd_checks(d, m):
    X = d.coded.to_numpy()
    S = d.standard().coded.to_numpy()
    n = d.details["conference_order"]
    assert np.allclose(S[:n], -S[n:2 * n])  # fold-over pairs
    cont_idx = [j for j, f in enumerate(d.factors) if f.is_continuous]
    # main effects orthogonal to all 2FIs and all quadratic effects
    terms = model_terms("quadratic", d.factors)
    M = model_matrix(d.coded, terms, d.factors)
    me = M[[f.name for f in d.factors]].to_numpy()
    second = M[[t for t in terms if ":" in t or "^2" in t]].to_numpy()
    assert np.allclose(me.T @ second, 0)
    assert np.allclose(me.T @ np.ones(len(X)), 0)
    Xc = X[:, cont_idx]
    G = Xc.T @ Xc
    assert np.allclose(G, np.diag(np.diag(G)))  # continuous main effects mutually orthogonal
    return X


@pytest.mark.parametrize("m", [4, 5, 6, 7, 8, 10, 12, 14])
def test_definitive_screening_continuous(m):
    """Jones & Nachtsheim (2011), JQT 43:1-15: 2m + 1 runs for even m, 2m + 3 for odd m;
    three levels; each run has exactly one factor at its centre except the centre run."""
    d = definitive_screening([Factor(f"x{i}", 0, 1) for i in range(m)])
    X = _dsd_checks(d, m)
    assert d.n_runs == (2 * m + 1 if m % 2 == 0 else 2 * m + 3)
    assert set(X.ravel()) == {-1.0, 0.0, 1.0}
    fold = X[d.point_type == "fold"]
    assert ((fold == 0).sum(axis=1) <= 1).all()


def test_definitive_screening_fake_factors_where_no_conference_matrix():
    """No Paley conference matrix of order 16: 15 or 16 factors use order 18 with fake
    columns dropped (the JMP approach), 37 runs."""
    d = definitive_screening([Factor(f"x{i}", 0, 1) for i in range(16)])
    assert d.details["conference_order"] == 18 and d.details["fake_factors"] == 2
    assert d.n_runs == 37
    _dsd_checks(d, 16)


def test_definitive_screening_categorical():
    """Jones & Nachtsheim (2013), JQT 45:121-129: two-level categorical factors take +/-1 in
    place of the zero of the conference column; two centre runs with the categorical factor
    at each level; 2m + 2 runs for m even."""
    fs = [Factor(f"x{i}", 0, 1) for i in range(5)] + [Factor("resin", levels=["A", "B"])]
    d = definitive_screening(fs)
    assert d.n_runs == 14
    X = _dsd_checks(d, 6)
    assert set(X[:, 5]) == {-1.0, 1.0}
    assert set(d.actual["resin"]) == {"A", "B"}
    centre = X[d.point_type == "center"]
    assert np.allclose(centre[:, :5], 0) and sorted(centre[:, 5]) == [-1.0, 1.0]


# Jones & Nachtsheim (2013), JQT 45:121-129, DSDs with m three-level and c two-level categorical
# factors, as tabulated in the R package daewr (Lawson, *Design and Analysis of Experiments with R*,
# 2015), function DefScreen: the first half f1 (last row: the centre run), the design is
# rbind(f1, -f1).
_JN2013 = {
    (4, 1): [0, 1, 1, 1, 1, 1, 0, -1, 1, 1, 1, -1, 0, -1, 1, 1, 1, -1, 0, -1, 1, 1, 1, -1, 1, 1, -1, 1, 1, -1,
             0, 0, 0, 0, -1],
    (5, 1): [0, 1, 1, 1, 1, 1, 1, 0, -1, 1, 1, -1, 1, -1, 0, -1, 1, 1, 1, 1, -1, 0, -1, 1, 1, 1, 1, -1, 0, -1,
             1, -1, 1, 1, -1, 1, 0, 0, 0, 0, 0, -1],
    (6, 1): [0, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, -1, 1, -1, 1, -1, 0, 1, 1, -1, 1, 1, -1, -1, 0, 1, 1, -1,
             1, 1, -1, -1, 0, 1, 1, 1, -1, 1, -1, -1, 0, 1, 1, 1, -1, 1, -1, -1, 1, 1, 1, 1, -1, 1, -1, -1,
             0, 0, 0, 0, 0, 0, -1],
    (8, 1): [0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, -1, -1, -1, -1, 1, 1, 1, 1, -1, 0, -1, 1, 1, -1, -1, 1,
             1, -1, -1, 0, 1, 1, 1, 1, -1, 1, -1, 1, 1, 0, -1, -1, 1, -1, 1, -1, 1, 1, -1, 0, 1, -1, 1,
             1, 1, -1, 1, -1, 1, 0, -1, -1, 1, 1, -1, 1, 1, -1, -1, 0, 1, 1, 1, 1, -1, -1, 1, -1, 1, 1,
             1, 1, 1, -1, 1, -1, 1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0, -1],
    (10, 1): [0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, -1, 1, 1, 1, -1, -1, -1, 1, 1, -1, 0, 1, -1, 1, 1, 1,
              -1, -1, -1, 1, 1, -1, 0, 1, -1, 1, 1, 1, -1, -1, 1, -1, 1, -1, 0, 1, -1, 1, 1, 1, -1,
              1, -1, -1, 1, -1, 0, 1, -1, 1, 1, 1, 1, -1, -1, -1, 1, -1, 0, 1, -1, 1, 1,
              1, 1, -1, -1, -1, 1, -1, 0, 1, -1, 1, 1, 1, 1, -1, -1, -1, 1, -1, 0, 1, -1,
              1, 1, 1, 1, -1, -1, -1, 1, -1, 0, 1, 1, -1, 1, 1, 1, -1, -1, -1, 1, -1, 1,
              1, 1, -1, 1, 1, 1, -1, -1, -1, 1, -1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, -1],
    (4, 2): [0, 1, 1, 1, 1, 1, 1, 0, -1, 1, 1, -1, 1, -1, 0, -1, 1, 1, 1, 1, -1, 0, -1, 1, 1, 1, 1, -1, 1, -1,
             1, -1, 1, 1, -1, 1, 0, 0, 0, 0, -1, -1],
    (6, 2): [0, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, -1, 1, -1, -1, 1, -1, 0, 1, 1, -1, 1, -1, 1, -1, -1, 0, 1, 1,
             -1, 1, 1, 1, -1, -1, 0, 1, 1, -1, 1, -1, 1, -1, -1, 0, 1, 1, 1, 1, -1, 1, -1, -1, 1, 1,
             1, 1, 1, -1, 1, -1, -1, 1, 0, 0, 0, 0, 0, 0, -1, -1],
    (7, 2): [0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, -1, -1, -1, -1, 1, 1, 1, 1, -1, 0, -1, 1, 1, -1, -1, 1,
             1, -1, -1, 0, 1, 1, 1, 1, -1, 1, -1, 1, 1, 0, -1, -1, 1, -1, 1, -1, 1, 1, -1, 0, 1, -1, 1,
             1, 1, -1, 1, -1, 1, 0, -1, -1, 1, 1, -1, 1, 1, -1, -1, 1, 1, 1, 1, 1, -1, -1, 1, -1, 1, 1,
             1, 1, 1, -1, 1, -1, 1, -1, -1, 0, 0, 0, 0, 0, 0, 0, -1, -1],
}


def _correlation_fingerprint(X: np.ndarray, m: int) -> np.ndarray:
    """Sorted |correlations| between all columns of the second-order model (main effects, all
    two-factor interactions, quadratics of the m continuous factors).  Unchanged by permuting
    runs, permuting factors of one kind and flipping signs (level swaps), so two designs that
    differ only by the choice among equivalent conference matrices have the same fingerprint."""
    cols = [X[:, j] for j in range(X.shape[1])]
    cols += [X[:, i] * X[:, j] for i, j in itertools.combinations(range(X.shape[1]), 2)]
    cols += [X[:, j] ** 2 for j in range(m)]
    M = np.column_stack(cols)
    R = np.corrcoef((M - M.mean(axis=0)).T)
    return np.sort(np.round(np.abs(R[np.triu_indices_from(R, 1)]), 9))


@pytest.mark.parametrize("m, c", sorted(_JN2013))
def test_definitive_screening_categorical_matches_jones_nachtsheim_2013(m, c):
    f1 = np.array(_JN2013[(m, c)], dtype=float).reshape(-1, m + c)
    published = np.vstack([f1, -f1])
    fs = [Factor(f"x{i}", 0, 1) for i in range(m)] + [Factor(f"c{i}", levels=["a", "b"]) for i in range(c)]
    d = definitive_screening(fs)
    ours = d.coded.to_numpy(dtype=float)
    assert ours.shape == published.shape
    _dsd_checks(d, m + c)

    def me_det(X):
        F = np.column_stack([np.ones(len(X)), X])
        return np.linalg.det(F.T @ F)

    if (m, c) == (7, 2):
        # order-10 conference matrices: the published design (JMP's hard-coded order-10 matrix) has
        # |X'X| = 5.108e12 for the main effects; the better core sign here gives 5.587e12
        assert me_det(published) == pytest.approx(5108182548480, rel=1e-9)
        assert me_det(ours) == pytest.approx(5587074662400, rel=1e-9)
    else:
        assert np.array_equal(_correlation_fingerprint(ours, m), _correlation_fingerprint(published, m))
        assert me_det(ours) == pytest.approx(me_det(published), rel=1e-9)


def test_definitive_screening_two_categorical_core_sign_hand_check():
    """4 continuous + 2 categorical factors, order-6 conference matrix.  With Paley's core Q the
    two categorical columns' replaced zeros sit at C[4, 5] = C[5, 4] = +1, so rows 5 and 6 and the
    centre pair all give c0*c1 = +1: sum over 14 runs = 2*(1 + 1) + 2 = 6 (r = 0.43).  With -Q
    those rows give -1: 2*(-1 - 1) + 2 = -2 (r = -0.14), the published design's value."""
    fs = [Factor(f"x{i}", 0, 1) for i in range(4)] + [Factor(f"c{i}", levels=["a", "b"]) for i in range(2)]
    d = definitive_screening(fs)
    X = d.coded.to_numpy(dtype=float)
    assert d.details["core_sign"] == -1
    assert X[:, 4] @ X[:, 5] == -2.0


# ----------------------------------------------------------------------------- optimal designs
def test_optimal_design_meyer_nachtsheim_two_factor_six_run_quadratic():
    """Meyer & Nachtsheim (1995), Technometrics 37:60-69, use the two-factor, six-run
    full-quadratic D-optimal design on the square as a test case.  Its known optimum (Box &
    Draper 1971 structure: three corners, (1, -3a)-type edge points and an interior point
    near (a, -a), a = 0.1315) has |X'X| = 267.737.  The optimum value is verified here
    independently of the coordinate exchange, by a multi-start continuous optimisation of
    all 12 coordinates with scipy L-BFGS-B (seeded)."""
    from scipy.optimize import minimize

    def neg_logdet(z):
        a, b = z[0::2], z[1::2]
        X = np.column_stack([np.ones(6), a, b, a * b, a * a, b * b])
        s, ld = np.linalg.slogdet(X.T @ X)
        return -ld if s > 0 else 1e9

    rng = np.random.default_rng(0)
    ref = min(
        minimize(neg_logdet, rng.uniform(-1, 1, 12), method="L-BFGS-B", bounds=[(-1, 1)] * 12).fun
        for _ in range(20)
    )
    ref_det = math.exp(-ref)
    assert ref_det == pytest.approx(267.737, abs=1e-3)

    d = optimal_design([Factor("A", 0, 1), Factor("B", 0, 1)], "quadratic", runs=6, seed=1)
    X = model_matrix(d.coded, model_terms("quadratic", d.factors), d.factors).to_numpy()
    assert np.linalg.det(X.T @ X) == pytest.approx(ref_det, rel=1e-5)
    pts = d.coded.to_numpy()
    interior = pts[(np.abs(pts) < 0.5).all(axis=1)]
    assert len(interior) == 1 and np.allclose(np.abs(interior), 0.1315, atol=2e-3)
    assert d.seed == 1 and d.details["criterion"] == "D"


@pytest.mark.parametrize("k", [2, 3])
def test_optimal_design_never_worse_than_face_centred_ccd(k):
    fs = cont("ABC"[:k])
    ccd = central_composite(fs, alpha="face", center=1)
    opt = optimal_design(fs, "quadratic", runs=ccd.n_runs, seed=3)
    assert evaluate(opt, "quadratic").d_efficiency >= evaluate(ccd, "quadratic").d_efficiency - 1e-9
    # the 3^2 factorial (= face-centred CCD with one centre run) is D-optimal for 9 runs:
    if k == 2:
        assert evaluate(opt, "quadratic").d_efficiency == pytest.approx(46.2241, abs=1e-3)


def test_optimal_design_places_centre_and_mid_levels():
    d = optimal_design([Factor("A", 10, 20)], "quadratic", runs=3, seed=0, n_starts=3)
    assert sorted(d.actual["A"].round(9).tolist()) == [10.0, 15.0, 20.0]


def test_optimal_design_i_criterion_constraints_disallowed_categorical():
    fs = [Factor("A", 0, 2), Factor("B", 0, 2), Factor("resin", levels=["X", "Y", "Z"])]
    d = optimal_design(fs, "y ~ A + B + resin + A:B", runs=12, criterion="I",
                       constraints=["A + B <= 3"], disallowed=[{"resin": "Z", "A": (1.5, 2.0)}], seed=5, n_starts=4)
    a = d.actual
    assert (a["A"] + a["B"] <= 3 + 1e-9).all()
    assert not ((a["resin"] == "Z") & (a["A"] >= 1.5)).any()
    assert set(a["resin"]) == {"X", "Y", "Z"}
    assert np.isfinite(d.details["average_variance"])
    # a vertex of the constrained region (A + B = 3) is used
    assert np.isclose(a["A"] + a["B"], 3.0).any()
    again = optimal_design(fs, "y ~ A + B + resin + A:B", runs=12, criterion="I",
                           constraints=["A + B <= 3"], disallowed=[{"resin": "Z", "A": (1.5, 2.0)}], seed=5, n_starts=4)
    assert np.array_equal(d.actual.to_numpy(), again.actual.to_numpy())
    tup = optimal_design(cont("AB"), "linear", runs=4, constraints=[([1, 1], 1.5)], seed=2, n_starts=2)
    assert (tup.actual.sum(axis=1) <= 1.5 + 1e-9).all()
    call = optimal_design(cont("AB"), "linear", runs=4, disallowed=lambda r: r["A"] > 0.9 and r["B"] > 0.9,
                          seed=2, n_starts=2)
    assert not ((call.actual["A"] > 0.9) & (call.actual["B"] > 0.9)).any()


def test_optimal_design_bad_input():
    fs = cont("AB")
    with pytest.raises(InputError, match="6 coefficients but only 5 runs"):
        optimal_design(fs, "quadratic", runs=5, seed=0)
    with pytest.raises(InputError, match="criterion"):
        optimal_design(fs, "linear", runs=4, criterion="E")
    with pytest.raises(InputError, match="unknown factor 'C'"):
        optimal_design(fs, "linear", runs=4, constraints=["A + C <= 1"])
    with pytest.raises(InputError, match="one '<=' or '>='"):
        optimal_design(fs, "linear", runs=4, constraints=["A + B <= 1 <= 2"])
    with pytest.raises(InputError, match="unexpected '\\*'"):
        optimal_design(fs, "linear", runs=4, constraints=["A*B <= 1"])
    with pytest.raises(InputError, match="no feasible"):
        optimal_design(fs, "linear", runs=4, constraints=["A + B <= -1"], seed=0)
    with pytest.raises(InputError, match="seed"):
        optimal_design(fs, "linear", runs=4, seed=-3)


# ----------------------------------------------------------------------------- coordinate-exchange internals
def test_fedorov_delta_hand_calculation():
    """Fedorov's delta and the I-change on a hand-checkable case (model 1 + x, three runs).

    Design x = (-1, 0, 0): X'X = [[3, -1], [-1, 1]], |X'X| = 2, (X'X)^-1 = [[1, 1], [1, 3]] / 2.
    Replacing the second run (x = 0) by x = 1 gives x = (-1, 0, 1): X'X = diag(3, 2), |X'X| = 6.
    With d(a, b) = a'(X'X)^-1 b: d(x, x) = 1/2, d(y, y) = 3, d(x, y) = 1, so
    (1 + 3)(1 - 1/2) + 1^2 = 3 = 6 / 2 and the D-change is -log 3.
    I with W = E[f f'] over the uniform [-1, 1] = diag(1, 1/3): trace(W V) goes from
    1/2 + (1/3)(3/2) = 1 to 1/3 + (1/3)(1/2) = 1/2, a change of -1/2.
    Replacing it by x = -1 gives x = (-1, -1, 0): |X'X| = 3 * 2 - 4 = 2, ratio 1, change 0."""
    from pdkit.doe.designs import _exchange_gains

    X = np.array([[1.0, -1.0], [1.0, 0.0], [1.0, 0.0]])
    V = np.linalg.inv(X.T @ X)
    Xc = np.array([[1.0, 1.0], [1.0, -1.0]])
    W = np.diag([1.0, 1.0 / 3.0])
    assert _exchange_gains(Xc, X[1], V, "D", None) == pytest.approx([-math.log(3.0), 0.0], abs=1e-12)
    gi = _exchange_gains(Xc, X[1], V, "I", W)
    assert gi[0] == pytest.approx(-0.5, abs=1e-12)
    # x = (-1, -1, 0): X'X = [[3, -2], [-2, 2]], V = [[1, 1], [1, 1.5]], trace(WV) = 1 + 0.5 = 1.5
    assert gi[1] == pytest.approx(0.5, abs=1e-12)


def test_row_builder_matches_model_matrix_and_its_derivatives_match_finite_differences():
    """The fast row builder equals model_matrix (independent construction from the coded
    frame), and its analytic derivatives (used by the continuous refinement) equal central
    finite differences."""
    from pdkit.doe.designs import _RowBuilder, _criterion_and_gradient, _index_to_coded, moment_matrix
    from scipy.optimize import approx_fprime

    fs = [Factor("A", 0, 1), Factor("B", 0, 1), Factor("C", 0, 1),
          Factor("resin", levels=["X", "Y", "Z"]), Factor("mode", levels=["fed", "batch"])]
    terms = model_terms("y ~ A + B + C + resin + mode + A:B + A:resin + B:mode + A:B:C + A^2 + C^2", fs)
    rb = _RowBuilder(terms, fs)
    rng = np.random.default_rng(11)
    S = np.column_stack([rng.uniform(-1, 1, (25, 3)), rng.integers(0, 3, 25), rng.integers(0, 2, 25)]).astype(float)
    coded = pd.DataFrame(_index_to_coded(S, fs), columns=[f.name for f in fs])
    coded["resin"] = np.array(["X", "Y", "Z"], dtype=object)[S[:, 3].astype(int)]
    ref = model_matrix(coded, terms, fs)
    assert list(ref.columns) == rb.columns
    assert np.allclose(rb(S), ref.to_numpy(), atol=1e-14)
    W = moment_matrix(fs, terms)
    for crit, w in (("D", None), ("I", W)):
        def f(z):
            T = S.copy()
            T[:, :3] = z.reshape(25, 3)
            return _criterion_and_gradient(rb, T, [0, 1, 2], crit, w)[0]

        val, grad = _criterion_and_gradient(rb, S, [0, 1, 2], crit, w)
        num = approx_fprime(S[:, :3].ravel(), f, 1e-7)
        assert val == pytest.approx(f(S[:, :3].ravel()))
        assert np.allclose(grad, num, rtol=1e-4, atol=1e-5 * max(1.0, np.abs(num).max()))


@pytest.mark.parametrize("crit", ["D", "I"])
def test_rank_one_updates_match_direct_recomputation_after_every_exchange(crit):
    """Two factors, full quadratic, six runs: after every accepted exchange the tracked
    criterion and (X'X)^-1 (Fedorov delta + two Sherman-Morrison updates) equal a direct
    recomputation from the settings with np.linalg.slogdet / inv / trace, the model matrix
    being rebuilt independently with model_matrix."""
    from pdkit.doe.designs import _coordinate_exchange, _RowBuilder, moment_matrix

    fs = cont("AB")
    terms = model_terms("quadratic", fs)
    rb = _RowBuilder(terms, fs)
    W = moment_matrix(fs, terms) if crit == "I" else None
    ridge = 1e-8 * np.eye(len(terms))
    seen = []

    def on_accept(S, X, V, cur, how):
        Xd = model_matrix(pd.DataFrame(S, columns=["A", "B"]), terms, fs).to_numpy()
        assert np.allclose(X, Xd, atol=1e-14)
        M = Xd.T @ Xd + ridge
        Vd = np.linalg.inv(M)
        direct = -np.linalg.slogdet(M)[1] if crit == "D" else float(np.trace(W @ Vd))
        assert cur == pytest.approx(direct, rel=1e-9, abs=1e-9)
        assert np.allclose(V, Vd, rtol=1e-7, atol=1e-9 * np.abs(Vd).max())
        seen.append(how)

    grid = np.linspace(-1, 1, 9)
    S, val = _coordinate_exchange(rb, fs, 6, crit, W, [], None, np.random.default_rng(4), grid, 100,
                                  on_accept=on_accept)
    assert seen.count("rank-one") >= 5
    X = rb(S)
    direct = -np.linalg.slogdet(X.T @ X)[1] if crit == "D" else float(np.trace(W @ np.linalg.inv(X.T @ X)))
    assert val == pytest.approx(direct, rel=1e-12)
    # a singular start (all runs at the centre) is regularised and still reaches a good design
    seen.clear()
    S, val = _coordinate_exchange(rb, fs, 6, crit, W, [], None, np.random.default_rng(4), grid, 100,
                                  start=np.zeros((6, 2)), on_accept=on_accept)
    assert "refresh" in seen and np.isfinite(val)
    assert np.linalg.matrix_rank(rb(S)) == 6


def test_optimal_design_five_factor_quadratic_thirty_runs_not_worse_than_before():
    """5 continuous factors, full quadratic (21 terms), 30 runs, D-optimal, seed 0, default
    n_starts=10.  Reference: the previous implementation (pdkit commit 7096011: same grid
    coordinate exchange with a fresh inverse after every exchange and a finite-difference
    L-BFGS-B refinement) gave D-efficiency 48.6137 % (log|X'X| = 56.278597) in about 2-3 s;
    the design must be at least as good.  It must also beat the 30-run face-centred CCD
    (2^(5-1) resolution V core + 10 axial + 4 centre runs) on the same model, and be
    reproducible from its seed."""
    fs = cont("ABCDE")
    d = optimal_design(fs, "quadratic", runs=30, seed=0)
    ev = evaluate(d, "quadratic")
    assert ev.d_efficiency >= 48.6137 - 1e-4
    assert d.details["log_det"] >= 56.278597 - 1e-6
    assert ev.d_efficiency == pytest.approx(d.details["d_efficiency"], rel=1e-10)
    ccd = central_composite(fs, alpha="face", center=4, core_resolution=5)
    assert ccd.n_runs == 30
    assert ev.d_efficiency > evaluate(ccd, "quadratic").d_efficiency
    again = optimal_design(fs, "quadratic", runs=30, seed=0)
    assert np.array_equal(d.coded.to_numpy(), again.coded.to_numpy())


# ----------------------------------------------------------------------------- Latin hypercube
def test_latin_hypercube_stratified_seeded_maximin():
    fs = [Factor("A", 0, 10), Factor("B", 5, 7), Factor("C", 0, 1)]
    d = latin_hypercube(fs, runs=10, seed=4)
    for f in fs:
        strata = np.floor((d.coded[f.name].to_numpy() + 1) / 2 * 10).astype(int)
        assert sorted(strata.tolist()) == list(range(10))
    assert d.actual["B"].between(5, 7).all()
    again = latin_hypercube(fs, runs=10, seed=4)
    assert np.array_equal(d.coded.to_numpy(), again.coded.to_numpy())
    plain = latin_hypercube(fs, runs=10, seed=4, maximin=False)
    from scipy.spatial.distance import pdist

    assert pdist(d.coded.to_numpy()).min() >= pdist(plain.coded.to_numpy()).min()
    with pytest.raises(InputError, match="runs"):
        latin_hypercube(fs, runs=1)


# ----------------------------------------------------------------------------- worksheet
@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_worksheet_round_trip(tmp_path, suffix):
    fs = [Factor("temp", 30, 37, units="degC"), Factor("ph", 6.8, 7.4), Factor("resin", levels=["AAVX", "AAV9"])]
    d = full_factorial(fs, seed=2)
    p = d.to_worksheet(tmp_path / f"plan{suffix}", responses=["titer", "purity"])
    back = pd.read_csv(p) if suffix == ".csv" else pd.read_excel(p)
    assert list(back.columns) == ["Run", "Std order", "Block", "Point type", "temp (degC)", "ph", "resin", "titer", "purity"]
    assert back["Run"].tolist() == list(range(1, 9))
    assert back["Std order"].tolist() == d.std_order.tolist()
    assert np.allclose(back["temp (degC)"], d.actual["temp"])
    assert back["titer"].isna().all()
    assert [x.name for x in tmp_path.iterdir()] == [f"plan{suffix}"]  # no temp file left


def test_worksheet_bad_input(tmp_path):
    d = full_factorial(cont("AB"))
    with pytest.raises(InputError, match="expected a .csv or .xlsx"):
        d.to_worksheet(tmp_path / "plan.txt")
    with pytest.raises(InputError, match="does not exist"):
        d.to_worksheet(tmp_path / "nope" / "plan.csv")
    with pytest.raises(InputError, match="clashes"):
        d.to_worksheet(tmp_path / "plan.csv", responses=["Run"])


def test_design_is_frozen_and_inputs_untouched():
    fs = cont("AB")
    d = full_factorial(fs)
    assert isinstance(d, Design)
    with pytest.raises(Exception):
        d.name = "x"  # type: ignore[misc]
    before = d.coded.copy()
    d.randomized(3)
    pd.testing.assert_frame_equal(d.coded, before)
    with pytest.raises(InputError, match="replicates"):
        full_factorial(fs, replicates=0)
    with pytest.raises(InputError, match="levels for factor 'A'"):
        full_factorial(fs, levels=[1, 2])


def test_nine_run_two_factor_quadratic_d_optimal_is_the_three_level_factorial():
    """Published worked example: MathWorks Statistics Toolbox documentation, ``cordexch(2, 9, 'q')``
    (coordinate exchange for the full quadratic model in two factors, nine runs) prints the 3^2 factorial
    {-1, 0, 1}^2, the known exact D-optimal design (Atkinson & Donev, Optimum Experimental Designs, 1992)."""
    import itertools

    import numpy as np

    from pdkit.doe.designs import optimal_design
    from pdkit.doe.factors import Factor

    factors = [Factor("A", -1, 1), Factor("B", -1, 1)]
    design = optimal_design(factors, "quadratic", runs=9, criterion="D", seed=0)  # seeds 0-7 all give it
    points = sorted(tuple(round(float(v), 6) + 0.0 for v in row) for row in design.coded[["A", "B"]].to_numpy())
    assert points == sorted(itertools.product([-1.0, 0.0, 1.0], repeat=2))
    x = design.coded["A"].to_numpy(float)
    y = design.coded["B"].to_numpy(float)
    X = np.column_stack([np.ones(9), x, y, x * y, x ** 2, y ** 2])
    # |X'X| of the 3^2 factorial by hand: the x, y and xy columns give 6 x 6 x 4, and the block of
    # 1, x^2, y^2 is det([[9,6,6],[6,6,4],[6,4,6]]) = 9*20 - 6*12 + 6*(-12) = 36: 144 x 36 = 5184
    assert np.linalg.det(X.T @ X) == pytest.approx(144 * 36, rel=1e-9)


def test_from_worksheet_round_trip(tmp_path):
    """A worksheet written by Design.to_worksheet, filled in and read back, has the factors'
    own names again (units kept aside) and fits."""
    from pdkit._tables import read_table
    from pdkit.doe import fit, from_worksheet

    fs = [Factor("temp", 30, 37, units="degC"), Factor("ph", 6.8, 7.4), Factor("dna", 0.5, 1.5, units="ug/1e6 cells")]
    d = box_behnken(fs, seed=2)
    path = d.to_worksheet(tmp_path / "ws.csv", responses=["titer"])
    sheet = read_table(path)
    assert "temp (degC)" in sheet.columns and "Block" in sheet.columns
    coded = (sheet["temp (degC)"] - 33.5) / 3.5
    sheet["titer"] = 10 + 2 * coded - coded ** 2
    t = from_worksheet(sheet)
    assert list(t.columns) == ["run", "std_order", "block", "point_type", "temp", "ph", "dna", "titer"]
    assert t.attrs["units"] == {"temp": "degC", "dna": "ug/1e6 cells"}
    assert "temp (degC)" in sheet.columns  # the input is not modified
    f = fit(t, "titer", "quadratic", factors=["temp", "ph", "dna"])
    assert f.coefficients.loc["temp", "estimate"] == pytest.approx(2.0)
    assert f.coefficients.loc["temp^2", "estimate"] == pytest.approx(-1.0)
    clash = pd.DataFrame({"temp (degC)": [1], "temp": [2]})
    with pytest.raises(InputError, match="columns 'temp \\(degC\\)' and 'temp' would both be read as 'temp'"):
        from_worksheet(clash, source="sheet.csv")


# ----------------------------------------------------------------------------- constraints as text
def test_disallowed_conditions_are_parsed_never_evaluated():
    """Disallowed combinations are read with an ast whitelist (and/or/not, comparisons, + - * /, numbers,
    factor names, quoted levels): a hand-checked grid, and code that is refused, not run."""
    from pdkit.doe.designs import feasible_mask

    fs = [Factor("temp", 30, 42), Factor("ph", 6.5, 7.5), Factor("resin", levels=["AAVX", "POROS"])]
    grid = pd.DataFrame({"temp": [30, 41, 41, 36, 41], "ph": [7.0, 6.6, 7.4, 6.6, 6.6],
                         "resin": ["AAVX", "AAVX", "AAVX", "POROS", "POROS"]})
    ok = feasible_mask(grid, fs, disallowed=["temp > 40 and ph < 7", "resin == 'POROS' and not temp < 35"])
    assert ok.tolist() == [True, False, True, False, False]
    ok = feasible_mask(grid, fs, constraints="temp + 10*ph <= 110", disallowed="30 < temp - 5 < 37 or ph >= 7.4")
    # by hand: temp + 10 ph = 100, 107, 115, 102, 107; 30 < temp - 5 < 37: 41 and 36 -> rows 2-5 disallowed
    assert ok.tolist() == [True, False, False, False, False]
    for text, msg in [("__import__('os').system('true')", "not allowed"), ("temp.real > 1", "not allowed"),
                      ("temp > 40 and", "cannot read"), ("resin > 1", "categorical factor compares"),
                      ("resin == 'Z'", "level 'Z' of factor 'resin' is not among"), ("feed > 1", "unknown factor 'feed'"),
                      ("temp + 1", "not a condition"), ("(lambda: 1)() > 0", "not allowed")]:
        with pytest.raises(InputError, match=msg) as exc:
            feasible_mask(grid, fs, disallowed=text)
        assert repr(text) in str(exc.value)


def test_optimal_design_with_text_disallowed_and_strict_constraint():
    fs = [Factor("A", 0, 60), Factor("B", 0, 10)]
    d = optimal_design(fs, "linear", runs=6, seed=2, n_starts=2, constraints="A + 3*B < 80",
                       disallowed="A > 40 and B < 2")
    a = d.actual
    assert (a["A"] + 3 * a["B"] <= 80 + 1e-6).all() and not ((a["A"] > 40) & (a["B"] < 2)).any()


# ----------------------------------------------------------------------------- the doe_design plan
@pytest.mark.filterwarnings("ignore::pdkit.doe.evaluation.DesignWarning")
@pytest.mark.parametrize("family, model, runs", [
    ("full_factorial", "interactions", 36), ("fractional_factorial", "interactions", 20),
    ("plackett_burman", "linear", 12), ("central_composite", "quadratic", 30), ("box_behnken", "quadratic", 44),
    ("definitive_screening", "linear", 16), ("latin_hypercube", "quadratic", 50)])
def test_every_family_has_a_default_model_that_fits(family, model, runs):
    """The doe_design defaults (5 continuous factors, 4 centre runs, resolution 5): each family's model
    fits its design (coefficients <= runs, full rank), so the evaluation never fails after the kernel starts."""
    from pdkit.doe.designs import design_from_parameters

    fs = [Factor(f"x{i}", 0, 1) for i in range(5)]
    plan = design_from_parameters(fs, {"design": family, "model": "auto", "center_points": 4, "resolution": 5,
                                       "ccd_alpha": "face", "seed": 1})
    assert (plan.model, plan.design.n_runs) == (model, runs)
    ev = evaluate(plan.design, plan.model)
    assert ev.aliased_terms == ()


def test_plan_errors_name_the_parameter():
    from pdkit.doe.designs import design_from_parameters

    fs = [Factor(f"x{i}", 0, 1) for i in range(5)]
    with pytest.raises(InputError, match=r"parameter 'model': the quadratic model has 21 coefficients but the "
                                         r"definitive screening design has only 16 runs; use model linear"):
        design_from_parameters(fs, {"design": "definitive_screening", "model": "quadratic", "center_points": 4})
    with pytest.raises(InputError, match=r"parameter 'constraints' 'x1 \+ x9 <= 1': unknown factor 'x9'"):
        design_from_parameters(fs, {"design": "optimal_design", "constraints": ["x1 + x9 <= 1"]}, quick=True)
    with pytest.raises(InputError, match=r"parameter 'disallowed'.*use design optimal_design"):
        design_from_parameters(fs, {"design": "central_composite", "disallowed": ["x1 > 0.5"]})
    with pytest.raises(InputError, match=r"parameter 'runs': the quadratic model has 21 coefficients"):
        design_from_parameters(fs, {"design": "optimal_i", "runs": 10}, quick=True)
    with pytest.raises(InputError, match=r"parameter 'design' \(box_behnken\): .*categorical"):
        design_from_parameters([*fs, Factor("r", levels=["a", "b"])], {"design": "box_behnken"})
    with pytest.raises(InputError, match=r"parameter 'center_points': got 4; .*r is categorical; set center_points 0"):
        design_from_parameters([*fs, Factor("r", levels=["a", "b"])], {"design": "full_factorial", "center_points": 4})
    # the optimal-design quick check validates the region without searching
    assert design_from_parameters(fs, {"design": "optimal_design", "constraints": ["x1 + x2 <= 1.5"]},
                                  quick=True).design is None


def test_categorical_factors_on_the_worksheet(tmp_path):
    """Categorical factors (full factorial, optimal designs) are written as their level names; bookkeeping
    columns are headed for people and read back as run, std_order, block, point_type."""
    from pdkit.doe.designs import factors_from_records, from_worksheet

    fs = factors_from_records([{"name": "temp", "low": 30, "high": 37, "units": "degC"},
                               {"name": "resin", "levels": "AAVX; POROS; Capto"}])
    for d in (full_factorial(fs, seed=1), optimal_design(fs, "linear", runs=6, seed=1, n_starts=2)):
        p = d.to_worksheet(tmp_path / "ws.csv", responses=["titer"])
        back = from_worksheet(pd.read_csv(p))
        assert list(back.columns) == ["run", "std_order", "block", "point_type", "temp", "resin", "titer"]
        assert set(back["resin"]) <= {"AAVX", "POROS", "Capto"} and back["titer"].isna().all()
        assert back.attrs["units"] == {"temp": "degC"}
