"""Tests for pdkit.doe.evaluation: efficiencies, VIFs, power, alias matrix, correlations."""
from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from pdkit.doe.designs import (
    box_behnken,
    central_composite,
    definitive_screening,
    fractional_factorial,
    full_factorial,
    plackett_burman,
)
from pdkit.doe.evaluation import AliasingWarning, DesignEvaluation, DesignWarning, evaluate, prediction_variance
from pdkit.doe.factors import Factor
from pdkit.doe.model import model_matrix, model_terms
from pdkit.errors import InputError


def cont(names):
    return [Factor(n, 0, 1) for n in names]


@pytest.mark.filterwarnings("ignore::pdkit.doe.evaluation.DesignWarning")
def test_orthogonal_two_level_designs_are_100_percent_efficient():
    """Orthogonal +/-1 designs have D = A = G = 100 % for the model they support
    (JMP Design Diagnostics definition; Montgomery DAE 8th ed., Sec. 11.4)."""
    for d, model in [
        (full_factorial(cont("ABC")), "interactions"),
        (fractional_factorial(cont("ABCDE"), generators=["E=ABCD"]), "interactions"),
        (plackett_burman(cont("ABCDEFGHJKL")), "linear"),
    ]:
        ev = evaluate(d, model)
        assert isinstance(ev, DesignEvaluation)
        assert ev.d_efficiency == pytest.approx(100.0)
        assert ev.a_efficiency == pytest.approx(100.0)
        assert ev.g_efficiency == pytest.approx(100.0)
        assert ev.g_efficiency_jmp == pytest.approx(100.0)
        assert np.allclose(ev.coefficients["vif"], 1.0)


def test_three_level_factorial_quadratic_hand_calculation():
    """3^2 factorial (= face-centred CCD with one centre run), full quadratic model.
    Hand calculation: X'X is block diagonal; the [1, A^2, B^2] block [[9,6,6],[6,6,4],[6,4,6]]
    has determinant 36, the A, B, AB entries are 6, 6, 4, so |X'X| = 36*6*6*4 = 5184 and
    D = 100 * 5184^(1/6) / 9 = 46.224 %.  trace((X'X)^-1) = 5/9 + 1/6 + 1/6 + 1/4 + 1/2 + 1/2
    = 2.1389, A = 100 * 6 / (9 * 2.1389) = 31.169 %."""
    d = central_composite(cont("AB"), alpha="face", center=1)
    ev = evaluate(d, "quadratic")
    assert ev.d_efficiency == pytest.approx(100 * 5184 ** (1 / 6) / 9, rel=1e-12)
    assert ev.d_efficiency == pytest.approx(46.224, abs=1e-3)
    tr = 5 / 9 + 1 / 6 + 1 / 6 + 1 / 4 + 1 / 2 + 1 / 2
    assert ev.a_efficiency == pytest.approx(100 * 6 / (9 * tr), rel=1e-12)
    # max prediction variance over the square occurs at the corners: 29/36 (hand: f' M^-1 f at (1,1))
    assert ev.max_variance == pytest.approx(29 / 36, rel=1e-9)
    assert ev.g_efficiency == pytest.approx(100 * 6 / (9 * 29 / 36), rel=1e-9)
    assert (ev.n_runs, ev.n_coefficients, ev.df_error) == (9, 6, 3)


def test_average_variance_exact_moments_hand_calculation():
    """2^2 factorial, linear model: (X'X)^-1 = I/4 and the uniform moments on the square are
    W = diag(1, 1/3, 1/3), so the average prediction variance is (1 + 2/3)/4 = 5/12.
    For the quadratic model on the 3^2 design it is checked against Monte Carlo (seeded)."""
    ev = evaluate(full_factorial(cont("AB")), "linear")
    assert ev.average_variance == pytest.approx(5 / 12, rel=1e-12)
    d = central_composite(cont("AB"), alpha="face", center=1)
    ev = evaluate(d, "quadratic")
    rng = np.random.default_rng(1)
    pts = pd.DataFrame(rng.uniform(-1, 1, size=(200_000, 2)), columns=["A", "B"])
    mc = prediction_variance(d, "quadratic", pts).mean()
    assert ev.average_variance == pytest.approx(mc, rel=5e-3)


def test_vif_matches_statsmodels():
    """VIFs agree with statsmodels' variance_inflation_factor (an independent computation)."""
    from statsmodels.stats.outliers_influence import variance_inflation_factor

    d = box_behnken(cont("ABC"))
    ev = evaluate(d, "quadratic")
    X = model_matrix(d.coded, model_terms("quadratic", d.factors), d.factors)
    for j, col in enumerate(X.columns):
        if col == "Intercept":
            continue
        assert ev.coefficients.loc[col, "vif"] == pytest.approx(variance_inflation_factor(X.to_numpy(), j), rel=1e-9)
    assert (ev.coefficients.loc[["A^2", "B^2", "C^2"], "vif"] > 1).all()


def test_power_noncentral_t_and_simulation():
    """Power of a 1-df term equals the two-sided noncentral-t power with
    lambda = b / (sigma sqrt(c_jj)); checked against scipy.stats.nct and against a seeded
    simulation of the t-test with statsmodels OLS."""
    import statsmodels.api as sm

    d = full_factorial(cont("ABC"), center=2)
    ev = evaluate(d, "linear", effect_size=1.5, sigma=1.2, alpha=0.05)
    df = 10 - 4
    ncp = (1.5 / 2) / (1.2 * math.sqrt(1 / 8))
    tcrit = stats.t.ppf(0.975, df)
    expected = stats.nct.sf(tcrit, df, ncp) + stats.nct.cdf(-tcrit, df, ncp)
    assert ev.power.loc["A", "power"] == pytest.approx(expected, rel=1e-7)
    assert ev.power.loc["A", "noncentrality"] == pytest.approx(ncp**2)

    X = model_matrix(d.coded, ev.terms, d.factors).to_numpy()
    rng = np.random.default_rng(7)
    beta = np.array([0.0, 0.75, 0.75, 0.75])
    reps = 3000
    hits = 0
    for _ in range(reps):
        y = X @ beta + rng.normal(0, 1.2, len(X))
        hits += sm.OLS(y, X).fit().pvalues[1] < 0.05
    assert hits / reps == pytest.approx(expected, abs=0.03)


def test_power_multi_df_categorical_term():
    fs = [Factor("A", 0, 1), Factor("resin", levels=["X", "Y", "Z"])]
    d = full_factorial(fs, replicates=2)
    ev = evaluate(d, "linear")
    assert ev.power.loc["resin", "df"] == 2
    # lambda = b' C^-1 b with b = (1, 1): effect coding, 4 runs per level
    X = model_matrix(d.coded, ev.terms, d.factors).to_numpy()
    C = np.linalg.inv(X.T @ X)[2:, 2:]
    lam = np.ones(2) @ np.linalg.solve(C, np.ones(2))
    assert ev.power.loc["resin", "noncentrality"] == pytest.approx(lam)
    fcrit = stats.f.ppf(0.95, 2, 12 - 4)
    assert ev.power.loc["resin", "power"] == pytest.approx(stats.ncf.sf(fcrit, 2, 8, lam))


@pytest.mark.filterwarnings("ignore::pdkit.doe.evaluation.DesignWarning")
def test_alias_matrix_resolution_iii():
    """2^(3-1)_III with C = AB: A is aliased with BC, B with AC, C with AB (Montgomery DAE
    8th ed., Sec. 8.2, I = ABC), so the alias matrix for the linear model has ones there."""
    d = fractional_factorial(cont("ABC"), generators=["C=AB"])
    ev = evaluate(d, "linear")
    A = ev.alias_matrix
    # default omitted terms: every second-order term not in the model (2FIs and pure quadratics)
    assert list(A.columns) == ["A:B", "A:C", "B:C", "A^2", "B^2", "C^2"]
    # without centre runs x^2 = 1 in every run: the intercept carries every pure quadratic
    # (Montgomery DAE 8th ed., Sec. 6.8: E(b0) = beta0 + beta11 + beta22 + beta33), the main effects none
    assert A.loc["Intercept", ["A^2", "B^2", "C^2"]].tolist() == [1.0, 1.0, 1.0]
    assert (A.loc[["A", "B", "C"], ["A^2", "B^2", "C^2"]] == 0).all().all()
    assert list(evaluate(d, "linear", alias_terms="interactions").alias_matrix.columns) == ["A:B", "A:C", "B:C"]
    assert A.loc["A", "B:C"] == pytest.approx(1.0) and A.loc["B", "A:C"] == pytest.approx(1.0)
    assert A.loc["C", "A:B"] == pytest.approx(1.0)
    assert A.loc["A", "A:B"] == 0.0
    assert ev.correlation.loc["A", "B:C"] == pytest.approx(1.0)


@pytest.mark.filterwarnings("ignore::pdkit.doe.evaluation.DesignWarning")
def test_alias_matrix_plackett_burman_partial_aliasing():
    """12-run Plackett-Burman: each main effect is partially aliased with 2FIs of other factors
    with coefficients +/-1/3 (Montgomery DAE 8th ed., Sec. 8.6.2, complex aliasing)."""
    d = plackett_burman(cont("ABCDEFGHJKL"), runs=12)
    ev = evaluate(d, "linear")
    vals = np.unique(np.round(np.abs(ev.alias_matrix.drop(index="Intercept").to_numpy()), 9))
    assert set(vals) <= {0.0, round(1 / 3, 9)}
    assert ev.alias_matrix.loc["A", "A:B"] == pytest.approx(0.0)  # A with 2FIs containing A: 0
    others = ev.alias_matrix.loc["A", [c for c in ev.alias_matrix.columns if ":" in c and "A" not in c.split(":")]]
    assert len(others) == 45 and np.allclose(np.abs(others), 1 / 3)  # with every 2FI not containing A: +/-1/3
    squares = [c for c in ev.alias_matrix.columns if c.endswith("^2")]
    assert np.allclose(ev.alias_matrix.loc["Intercept", squares], 1.0)  # no centre runs: x^2 = 1


def test_dsd_main_effects_clear_of_second_order_terms():
    """Jones & Nachtsheim (2011), JQT 43:1-15, property 2-3: in a definitive screening design the main
    effects are orthogonal to every two-factor interaction and every pure quadratic, so their rows of the
    alias matrix are 0 (the default alias terms include both)."""
    d = definitive_screening(cont("ABCDEF"))
    ev = evaluate(d, "linear", alias_terms="quadratic")
    assert np.allclose(ev.alias_matrix.drop(index="Intercept").to_numpy(), 0.0)
    default = evaluate(d, "linear").alias_matrix
    assert default.shape == (7, 15 + 6) and np.allclose(default.drop(index="Intercept").to_numpy(), 0.0)
    # hand: each x_i^2 column has 10 ones in the 13 runs (zeros in its conference row, its fold and the
    # centre run), the main-effect columns are orthogonal to it, so the intercept carries 10/13 of it
    assert np.allclose(default.loc["Intercept", [f"{n}^2" for n in "ABCDEF"]], 10 / 13)
    # extra runs (fake factors) keep the main effects clear of second-order terms
    d2 = definitive_screening(cont("ABCDEF"), fake_factors=2)
    assert d2.n_runs == 17 and d2.details["conference_order"] == 8
    assert np.allclose(evaluate(d2, "linear").alias_matrix.drop(index="Intercept").to_numpy(), 0.0)
    # hand: X'X = diag(13, 10, ..., 10) -> D = 100 (13 * 10^6)^(1/7) / 13
    assert ev.d_efficiency == pytest.approx(100 * (13 * 10**6) ** (1 / 7) / 13, rel=1e-12)


def test_aliased_terms_warn_and_give_no_nan():
    d = fractional_factorial(cont("ABCD"), generators=["D=ABC"])
    with pytest.warns(AliasingWarning, match=r"A:B.*C:D|C:D.*A:B"):
        ev = evaluate(d, "y ~ A + B + C + D + A:B + C:D")
    assert set(ev.aliased_terms) == {"A:B", "C:D"}
    assert ev.d_efficiency == 0.0 and ev.a_efficiency == 0.0
    assert not ev.coefficients.isna().any().any()
    assert not ev.power.isna().any().any()
    assert np.isinf(ev.coefficients.loc["A:B", "vif"]) and ev.power.loc["A:B", "power"] == 0.0
    assert ev.coefficients.loc["A", "vif"] == pytest.approx(1.0)
    assert not ev.alias_matrix.isna().any().any() and not ev.correlation.isna().any().any()
    # a quadratic term in a two-level design is aliased with the intercept
    with pytest.warns(AliasingWarning, match="A\\^2"):
        evaluate(full_factorial(cont("AB"), replicates=2), "y ~ A + B + A^2")


def test_saturated_design_warns_about_power():
    d = plackett_burman(cont("ABCDEFG"))
    with pytest.warns(DesignWarning, match="no error degrees of freedom"):
        ev = evaluate(d, "linear")
    assert ev.df_error == 0 and ev.d_efficiency == pytest.approx(100.0)


def test_rotatable_ccd_prediction_variance_depends_on_radius_only():
    d = central_composite(cont("ABC"), alpha="rotatable", center=6)
    rng = np.random.default_rng(0)
    Z = rng.normal(size=(40, 3))
    Z /= np.linalg.norm(Z, axis=1)[:, None]
    v = prediction_variance(d, "quadratic", pd.DataFrame(Z * 1.3, columns=list("ABC")))
    assert np.ptp(v) < 1e-12


def test_relative_i_efficiency_and_summary():
    a = evaluate(central_composite(cont("AB"), alpha="face", center=1), "quadratic")
    b = evaluate(central_composite(cont("AB"), alpha="face", center=3), "quadratic")
    assert a.i_efficiency_vs(a) == pytest.approx(100.0)
    assert b.average_variance < a.average_variance
    s = a.headline()
    assert s["runs"] == 9 and s["D-efficiency (%)"] == pytest.approx(a.d_efficiency)


def test_evaluate_bad_input():
    d = fractional_factorial(cont("ABCD"), generators=["D=ABC"])
    with pytest.raises(InputError, match="11 coefficients.*only 8 runs"):
        evaluate(d, "interactions")
    with pytest.raises(InputError, match="sigma"):
        evaluate(d, "linear", sigma=0)
    with pytest.raises(InputError, match="alpha"):
        evaluate(d, "linear", alpha=1.5)
    with pytest.raises(InputError, match="effect_size"):
        evaluate(d, "linear", effect_size="big")
    with pytest.raises(InputError, match="design"):
        evaluate(pd.DataFrame({"A": [1]}), "linear")
    with pytest.raises(InputError, match="unknown factor 'Z'"):
        evaluate(d, "y ~ A + Z")


# ----------------------------------------------------------------------------- blocked designs
def test_orthogonal_blocks_cost_only_error_df():
    """Box-Behnken, 4 factors in 3 orthogonal blocks (Box & Behnken 1960): block effects are
    orthogonal to every quadratic term, so standard errors, VIFs and efficiencies are those of
    the unblocked design; the blocks take 2 error df (27 - 15 - 2 = 10), so power drops."""
    from pdkit.doe.designs import box_behnken

    fs = [Factor(n, 0, 1) for n in "ABCD"]
    blocked, plain = evaluate(box_behnken(fs, blocks=3), "quadratic"), evaluate(box_behnken(fs), "quadratic")
    assert blocked.n_blocks == 3 and plain.n_blocks == 1
    assert blocked.df_error == 10 and plain.df_error == 12
    assert np.allclose(blocked.coefficients["std_error"], plain.coefficients["std_error"])
    assert np.allclose(blocked.coefficients["vif"], plain.coefficients["vif"])
    assert blocked.d_efficiency == pytest.approx(plain.d_efficiency)
    assert (blocked.power["power"] < plain.power["power"]).all()
    assert blocked.headline()["blocks"] == 3 and "blocks 3" in blocked.summary()
    assert blocked.blocks_orthogonal is True and plain.blocks_orthogonal is None


def test_blocked_evaluation_matches_the_blocked_fit():
    """Non-orthogonal blocks: the standard errors (in sigma) are the model part of the inverse
    information of [X, blocks], i.e. sqrt(diag(fit.xtx_inv)) of a blocked pdkit.doe.fit."""
    import pandas as pd

    from pdkit.doe.analysis import fit
    from pdkit.doe.designs import full_factorial

    d = full_factorial([Factor("A", 0, 1), Factor("B", 0, 1)], replicates=3, seed=None)
    blocks = np.array([1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 3, 3])
    d = replace(d, blocks=blocks)
    ev = evaluate(d, "interactions")
    data = d.actual.assign(block=blocks, y=np.random.default_rng(1).normal(size=12))
    f = fit(data, "y", "interactions", factors=list(d.factors), block="block")
    assert np.allclose(ev.coefficients["std_error"].to_numpy(), np.sqrt(np.diag(f.xtx_inv)))
    assert ev.df_error == f.df_resid == 12 - 4 - 2
    assert ev.blocks_orthogonal is False  # block 1 holds only B = -1 runs, block 2 only B = +1
    assert isinstance(ev.power, pd.DataFrame)


def test_term_confounded_with_blocks_is_not_estimable():
    """2^3 in two blocks by the sign of ABC (Montgomery, DAE 8th ed., section 7.4): ABC cannot
    be estimated apart from the blocks; the other terms can."""
    from pdkit.doe.designs import full_factorial

    d = full_factorial([Factor(n, 0, 1) for n in "ABC"], seed=None)
    abc = d.coded.prod(axis=1).to_numpy()
    d = replace(d, blocks=np.where(abc > 0, 2, 1))
    with pytest.warns(AliasingWarning, match="or with the blocks"):
        ev = evaluate(d, "A + B + C + A:B:C")
    assert ev.aliased_terms == ("A:B:C",)
    ok = evaluate(d, "A + B + C + A:B")
    assert ok.aliased_terms == () and ok.df_error == 8 - 5 - 1


def test_blocked_central_composite_orthogonal_only_with_orthogonal_alpha():
    """Montgomery, DAE 8th ed., section 11.4.3 (and Box & Hunter 1957): a CCD in a factorial and an
    axial block is orthogonally blocked with alpha = sqrt(F (2k + c_a) / (2 (F + c_f))); with
    face-centred axial runs it is not."""
    from pdkit.doe.designs import central_composite

    fs = [Factor(n, 0, 1) for n in "AB"]
    good = evaluate(central_composite(fs, alpha="orthogonal", center=(3, 3)), "quadratic")
    face = evaluate(central_composite(fs, alpha="face", center=(3, 3)), "quadratic")
    assert good.n_blocks == face.n_blocks == 2
    assert good.blocks_orthogonal is True and face.blocks_orthogonal is False


# --------------------------------------------------------------------------- I-criterion over a candidate set
def test_i_criterion_candidate_set_hand_calculation_2x2():
    """Hand calculation: 2^2 factorial, first-order model: X'X = 4 I, d(x) = (1 + x1^2 + x2^2)/4.
    Over the 3 x 3 grid {-1, 0, 1}^2 the mean of x^2 is 2/3: I = (1 + 4/3)/4 = 7/12; over the cube
    (uniform, E x^2 = 1/3): I = (1 + 2/3)/4 = 5/12; the maximum over the grid is 3/4 at the corners."""
    from pdkit.doe.evaluation import i_criterion
    from pdkit.doe import i_criterion as exported

    d = full_factorial([Factor("A", 10, 20), Factor("B", 0, 1)])
    grid = pd.DataFrame({"A": [-1, 0, 1] * 3, "B": [-1] * 3 + [0] * 3 + [1] * 3})
    assert i_criterion(d, "linear", grid) == pytest.approx(7 / 12)
    assert exported(d, "linear") == pytest.approx(5 / 12)
    ev = evaluate(d, "linear", candidates=grid)
    assert ev.candidate_average_variance == pytest.approx(7 / 12)
    assert ev.candidate_max_variance == pytest.approx(3 / 4)
    assert ev.average_variance == pytest.approx(5 / 12)
    # the same grid in actual units, and weights (all weight on the centre: d = 1/4)
    actual = pd.DataFrame({"A": grid["A"] * 5 + 15, "B": (grid["B"] + 1) / 2})
    assert i_criterion(d, "linear", actual, candidate_units="actual") == pytest.approx(7 / 12)
    w = [0, 0, 0, 0, 1, 0, 0, 0, 0]
    assert i_criterion(d, "linear", grid, weights=w) == pytest.approx(0.25)


def test_i_criterion_compares_designs_like_the_cube_value():
    """Definition (Goos & Jones 2011, ch. 4; Montgomery DAE 8th ed. 11.4, average prediction variance): the
    candidate-set I-criterion is the mean of d(x) = f(x)'(X'X)^-1 f(x) over the candidate points, here
    50 seeded random points for a face-centred CCD and the full quadratic model."""
    from pdkit.doe.evaluation import i_criterion, prediction_variance

    d = central_composite([Factor("A", 0, 1), Factor("B", 0, 1)], alpha="face", center=2)
    rng = np.random.default_rng(5)
    cand = pd.DataFrame({"A": rng.uniform(-1, 1, 50), "B": rng.uniform(-1, 1, 50)})
    assert i_criterion(d, "quadratic", cand) == pytest.approx(prediction_variance(d, "quadratic", cand).mean())


def test_i_criterion_candidate_errors():
    from pdkit.doe.evaluation import i_criterion

    d = full_factorial([Factor("A", 0, 1), Factor("B", 0, 1)])
    with pytest.raises(InputError, match=r"missing factor column\(s\) \['B'\]"):
        i_criterion(d, "linear", pd.DataFrame({"A": [0.0]}))
    with pytest.raises(InputError, match=r"^candidates, row 2, column 'A': got 'x', expected a number$"):
        i_criterion(d, "linear", pd.DataFrame({"A": [0.0, "x"], "B": [0.0, 0.0]}))
    with pytest.raises(InputError, match="weights"):
        i_criterion(d, "linear", pd.DataFrame({"A": [0.0], "B": [0.0]}), weights=[-1])


def test_candidate_columns_read_like_a_table_of_runs():
    """Candidates go through the same column reader as a worksheet (pdkit.doe.factors.code_factor_columns):
    a two-level categorical factor as its level names or, in coded units, as -1/+1; a level that
    is not declared is named by row and column."""
    from pdkit.doe.factors import code_factor_columns

    fs = [Factor("A", 0, 10), Factor("resin", levels=["X", "Y"]), Factor("ser", levels=["a", "b", "c"])]
    cand = pd.DataFrame({"A": [0.5, -1.0], "resin": [1, "X"], "ser": ["c", "a"]})
    got = code_factor_columns(cand, fs, "candidates", units="coded")
    assert got["A"].tolist() == [0.5, -1.0] and got["resin"].tolist() == [1.0, -1.0]
    assert got["ser"].tolist() == ["c", "a"]
    actual = code_factor_columns(pd.DataFrame({"A": [0, 10], "resin": ["Y", "X"], "ser": ["b", "b"]}), fs, "runs.csv")
    assert actual["A"].tolist() == [-1.0, 1.0] and actual["resin"].tolist() == [1.0, -1.0]
    with pytest.raises(InputError, match=r"^runs.csv, row 1, column 'resin': got 1, expected one of the levels "
                                         r"\['X', 'Y'\]$"):
        code_factor_columns(pd.DataFrame({"A": [0], "resin": [1], "ser": ["a"]}), fs, "runs.csv")  # actual units
    with pytest.raises(InputError, match=r"^candidates, row 2, column 'ser': got 'd', expected one of the levels"):
        code_factor_columns(pd.DataFrame({"A": [0, 0], "resin": ["X", "Y"], "ser": ["a", "d"]}), fs, "candidates",
                            units="coded")

