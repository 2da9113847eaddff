"""Design-aware model selection (pdkit.doe.selection, fit(model="auto")): issue 17 item 1.

Sources
-------
* Jones, B. and Nachtsheim, C. J. (2017), "Effective design-based model selection for
  definitive screening designs", J. Quality Technology 49(1):1-15: the two-stage method
  (main effects from the odd part of the response, second-order terms among the active
  factors from the even part, tested against the stage-1 error).
* Jones, B. and Nachtsheim, C. J. (2011), JQT 43:1-15: DSD structure (fold-over pairs of a
  conference matrix plus a centre run; extra runs by fake factors).
* Hurvich, C. M. and Tsai, C.-L. (1989), Biometrika 76:297-307: AICc.
* Montgomery, D. C. (2013), Design and Analysis of Experiments, 8th ed., Example 11.2 (CCD for yield):
  AB not significant (p = 0.1022), maximum 80.21 at 87 min, 176.5 degF - reproduced through model="auto".
* Montgomery (2013), Example 8.4 (2^(6-2) with E = ABC, F = BCD): alias chains AB = CE etc.

Simulation requirements (stated here, measured by the tests)
------------------------------------------------------------
Truth in coded units: ``y = 50 + 4 A - 3 B + 2.5 A:B - 3 A^2 + e`` (two main effects, one
interaction, one pure quadratic), other factors inert.

* 6-factor DSD, 13 runs, e ~ N(0, 0.5): the exact true model in at least 9 of 10 seeds and
  the true terms contained in at least 9 of 10.
* 6-factor DSD with 4 extra runs (two fake factors) and 3 centre runs (19 runs), e ~ N(0, 0.5):
  true terms contained in every one of 10 seeds.
* 3-factor rotatable CCD (18 runs), e ~ N(0, 1): the exact true model in all of 10 seeds.
* The reported optimum (maximise y, pdkit.doe.maximize_desirability): true optimum A = 0.25,
  B = -1 (coded), y* = 53.1875; reported within 0.15 coded units in A, 0.02 in B and the
  predicted optimum within 1.5 noise SDs of y* for every seed where the true model was selected.
"""
from __future__ import annotations

import itertools
import math
import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from pdkit.doe import Factor, central_composite, definitive_screening, fit, maximize_desirability
from pdkit.doe.designs import box_behnken, fractional_factorial, full_factorial
from pdkit.doe.selection import aicc, definitive_screening_structure, select_definitive_screening, term_key
from pdkit.errors import InputError

NAMES = list("ABCDEF")
TRUE_TERMS = {"A", "B", "A:B", "A^2"}
TRUE_OPT = {"A": 0.25, "B": -1.0}
TRUE_Y = 53.1875


def truth(c: pd.DataFrame) -> pd.Series:
    return 50 + 4 * c["A"] - 3 * c["B"] + 2.5 * c["A"] * c["B"] - 3 * c["A"] ** 2


def canon(terms) -> set:
    return {term_key(t) for t in terms}


def dsd(extra: int = 0, center: int = 1):
    """A 6-factor DSD in actual units 10..20; ``extra`` fake factors give 2*extra more runs (JMP's extra runs)."""
    fs = [Factor(n, 10, 20) for n in "ABCDEFGH"[:6 + extra]]
    d = definitive_screening(fs, center=center)
    return d.actual[NAMES].copy(), d.coded[NAMES].copy(), fs[:6]


def optimum_distance(f, sd):
    opt = maximize_desirability(f, {"y": ("maximize", 40.0, 60.0)}, seed=1)
    a = (opt.settings["A"] - 15) / 5
    b = (opt.settings["B"] - 15) / 5
    return abs(a - TRUE_OPT["A"]), abs(b - TRUE_OPT["B"]), abs(opt.predicted["y"] - TRUE_Y) / sd


# --------------------------------------------------------------------------- hand calculations
def test_aicc_matches_the_statsmodels_log_likelihood():
    """AICc = -2 log L + 2k + 2k(k+1)/(n-k-1), k = coefficients + 1 (Hurvich & Tsai 1989), against statsmodels' llf."""
    rng = np.random.default_rng(3)
    X = sm.add_constant(rng.normal(size=(12, 2)))
    y = X @ [1.0, 2.0, -1.0] + rng.normal(size=12)
    res = sm.OLS(y, X).fit()
    k = 4
    expected = -2 * res.llf + 2 * k + 2 * k * (k + 1) / (12 - k - 1)
    assert aicc(float(res.ssr), 12, 3) == pytest.approx(expected, rel=1e-12)
    assert aicc(1.0, 5, 3) == math.inf


def test_odd_even_split_and_stage_one_estimates_by_hand():
    """Jones & Nachtsheim (2017) section 3: y = y_odd + y_even; the main effects fitted to the odd part equal the
    least-squares main effects of the whole response (main effects are orthogonal to every even term)."""
    act, coded, fs = dsd()
    y = truth(coded) + np.random.default_rng(0).normal(0, 0.5, len(coded))
    s = definitive_screening_structure(coded, fs)
    assert len(s.pairs) == 6 and len(s.centre) == 1
    odd, even = np.zeros(len(y)), y.to_numpy().copy()
    for i, j in s.pairs:  # by hand: half the difference and the mean of each pair
        odd[i], odd[j] = (y.iloc[i] - y.iloc[j]) / 2, (y.iloc[j] - y.iloc[i]) / 2
        even[i] = even[j] = (y.iloc[i] + y.iloc[j]) / 2
    assert np.allclose(odd + even, y.to_numpy())
    me_odd = np.linalg.lstsq(coded.to_numpy(), odd, rcond=None)[0]
    me_ols = sm.OLS(y.to_numpy(), sm.add_constant(coded.to_numpy())).fit().params[1:]
    assert np.allclose(me_odd, me_ols)


def test_stage_one_uses_the_independent_error_of_fake_factors_and_centre_runs():
    """With fake factors (extra runs) and replicated centre runs the stage-1 error is independent of every model
    term: here sigma is the pooled RMSE of the inactive main effects, fake-factor dimensions and centre replicates,
    checked by hand from the odd part and the centre runs."""
    act, coded, fs = dsd(extra=2, center=3)
    y = truth(coded) + np.random.default_rng(5).normal(0, 0.5, len(coded))
    sel = select_definitive_screening(act.assign(y=y.to_numpy()), "y", fs)
    s = definitive_screening_structure(coded, fs)
    odd = np.zeros(len(y))
    for i, j in s.pairs:
        odd[i], odd[j] = (y.iloc[i] - y.iloc[j]) / 2, (y.iloc[j] - y.iloc[i]) / 2
    active = [t for t in sel.selected if ":" not in t and "^" not in t]
    Z = coded[active].to_numpy()
    r = odd - Z @ np.linalg.lstsq(Z, odd, rcond=None)[0]
    yc = y.iloc[list(s.centre)].to_numpy()
    df = len(s.pairs) - len(active) + len(yc) - 1
    assert set(active) >= {"A", "B"}
    assert sel.sigma_df == df == 8 - len(active) + 2
    assert sel.sigma == pytest.approx(math.sqrt((r @ r + ((yc - yc.mean()) ** 2).sum()) / df))


def test_design_structure_is_recognised_from_the_settings_not_the_names():
    act, coded, fs = dsd()
    assert definitive_screening_structure(coded.sample(frac=1, random_state=2), fs) is not None  # run order free
    assert definitive_screening_structure(dsd(extra=2, center=3)[1], fs) is not None
    f3 = [Factor(n, -1, 1) for n in "ABC"]
    assert definitive_screening_structure(box_behnken(f3).coded, f3) is None
    assert definitive_screening_structure(central_composite(f3).coded, f3) is None
    assert definitive_screening_structure(full_factorial(f3, center=2).coded, f3) is None
    with pytest.raises(InputError, match="not a definitive screening design"):
        select_definitive_screening(central_composite(f3).coded.assign(y=1.0), "y", f3)


# --------------------------------------------------------------------------- recovery
def _dsd_fits(extra, center, seeds, sd):
    act, coded, fs = dsd(extra, center)
    out = []
    for seed in seeds:
        y = truth(coded) + np.random.default_rng(seed).normal(0, sd, len(coded))
        out.append(fit(act.assign(y=y.to_numpy()), "y", "auto", factors=fs))
    return out


def test_dsd_two_stage_recovers_the_true_model_13_runs():
    fits = _dsd_fits(0, 1, range(10), 0.5)
    assert all(f.selection.method == "definitive screening" for f in fits)
    exact = sum(canon(f.selection.selected) == canon(TRUE_TERMS) for f in fits)
    contains = sum(canon(f.selection.selected) >= canon(TRUE_TERMS) for f in fits)
    assert exact >= 9 and contains >= 9, [f.selection.selected for f in fits]
    for f in fits:
        if canon(f.selection.selected) == canon(TRUE_TERMS):
            da, db, dy = optimum_distance(f, 0.5)
            assert da < 0.15 and db < 0.02 and dy < 1.5, (da, db, dy)


def test_dsd_with_extra_runs_recovers_the_true_terms_every_seed():
    fits = _dsd_fits(2, 3, range(10), 0.5)
    assert all(canon(f.selection.selected) >= canon(TRUE_TERMS) for f in fits), [f.selection.selected for f in fits]
    steps = fits[0].selection.steps
    assert set(steps["stage"]) == {"1 main effects", "2 second order"}
    assert {"criterion", "value", "p", "decision"} <= set(steps.columns)


def test_ccd_stepwise_aicc_recovers_the_true_model_and_optimum():
    fs = [Factor(n, 10, 20) for n in "ABC"]
    d = central_composite(fs)
    for seed in range(10):
        y = truth(d.coded.assign(D=0.0)) + np.random.default_rng(seed).normal(0, 1, d.n_runs)
        f = fit(d.actual.assign(y=y.to_numpy()), "y", "auto", factors=fs)
        assert f.selection.method == "stepwise" and f.selection.criterion == "AICc"
        assert canon(f.selection.selected) == canon(TRUE_TERMS), (seed, f.selection.selected)
        da, db, dy = optimum_distance(f, 1.0)
        assert da < 0.15 and db < 0.02 and dy < 1.5, (seed, da, db, dy)
    # every step states its criterion value, and AICc falls at every accepted step
    st = f.selection.steps
    entered = st[st["action"] == "enter"]["value"].to_numpy()
    assert np.all(np.diff(np.concatenate([[st["value"].iloc[0]], entered])) < 0)
    assert "A^2" in f.selection.candidates and "C^2" in f.selection.candidates


def test_stepwise_by_p_values():
    fs = [Factor(n, 10, 20) for n in "ABC"]
    d = central_composite(fs)
    y = truth(d.coded.assign(D=0.0)) + np.random.default_rng(0).normal(0, 1, d.n_runs)
    f = fit(d.actual.assign(y=y.to_numpy()), "y", "auto", factors=fs, criterion="p")
    assert f.selection.criterion == "p"
    assert canon(f.selection.selected) == canon(TRUE_TERMS)
    with pytest.raises(InputError, match="criterion"):
        fit(d.actual.assign(y=y.to_numpy()), "y", "auto", factors=fs, criterion="bic")


# --------------------------------------------------------------------------- aliasing and order
def test_squares_of_a_two_level_design_with_centre_runs_are_reported_not_chosen():
    fs = [Factor(n, -1, 1) for n in "ABC"]
    d = full_factorial(fs, center=3)
    c = d.coded
    y = 10 + 2 * c["A"] - 1.5 * c["B"] - 2 * (c["A"] ** 2) + np.random.default_rng(1).normal(0, 0.2, len(c))
    f = fit(c.assign(y=y.to_numpy()), "y", "auto", factors=fs)
    assert not any(t.endswith("^2") for t in f.selection.selected)
    assert any("pure quadratics" in t and "'A^2'" in t for t in f.selection.not_separable)
    table = f.selection.table
    assert table.loc[table["term"] == "B^2", "reason"].iloc[0].startswith("not separable")


def test_alias_chain_member_follows_heredity_not_column_order():
    """2^(6-2) with E = ABC, F = BCD (resolution IV): A:B = C:E. With A and B active, the chain is reported as
    A:B, whatever the column order."""
    fs = [Factor(n, -1, 1) for n in NAMES]
    d = fractional_factorial(fs, generators=["E=ABC", "F=BCD"])
    c = d.coded
    y = 20 + 3 * c["A"] + 2 * c["B"] + 2 * c["A"] * c["B"] + np.random.default_rng(2).normal(0, 0.3, len(c))
    data = c.assign(y=y.to_numpy())
    for perm in (NAMES, NAMES[::-1], ["E", "C", "A", "F", "B", "D"]):
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # no AliasWarning: the selection resolves the aliases itself
            f = fit(data[perm + ["y"]], "y", "auto", factors=[next(x for x in fs if x.name == n) for n in perm])
        assert canon(f.selection.selected) == canon({"A", "B", "A:B"}), f.selection.selected
        assert any("'A:B' = 'C:E'" in t for t in f.selection.not_separable), f.selection.not_separable


@pytest.mark.parametrize("kind", ["dsd", "ccd"])
def test_selection_and_optimum_do_not_depend_on_column_order(kind):
    """Permute the factor columns (and the factor list) with several seeds: identical selected terms (as sets of
    factor names), identical alias reports and the same optimum to 1e-3 coded units."""
    if kind == "dsd":
        act, coded, fs = dsd()
        y = truth(coded) + np.random.default_rng(4).normal(0, 0.5, len(coded))
    else:
        fs = [Factor(n, 10, 20) for n in "ABC"]
        d = central_composite(fs)
        act, coded = d.actual, d.coded
        y = truth(coded.assign(D=0.0)) + np.random.default_rng(4).normal(0, 1, len(coded))
    data = act.assign(y=y.to_numpy())
    names = [f.name for f in fs]
    ref = None
    for seed in range(4):
        perm = list(np.random.default_rng(seed).permutation(names)) if seed else names
        f = fit(data[perm + ["y"]], "y", "auto", factors=[next(x for x in fs if x.name == n) for n in perm])
        opt = maximize_desirability(f, {"y": ("maximize", 40.0, 60.0)}, seed=1)
        got = (canon(f.selection.selected), sorted(canon(f.selection.candidates)),
               {k: round((v - 15) / 5, 3) for k, v in opt.settings.items()})
        if ref is None:
            ref = got
        assert got[0] == ref[0] and got[1] == ref[1], perm
        for k, v in got[2].items():
            assert v == pytest.approx(ref[2][k], abs=1e-3), (perm, k)


def test_selection_is_shown_on_the_fit_and_in_its_summary():
    act, coded, fs = dsd()
    y = truth(coded) + np.random.default_rng(0).normal(0, 0.5, len(coded))
    f = fit(act.assign(y=y.to_numpy()), "y", "auto", factors=fs)
    assert f.selection is not None and "definitive screening" in f.selection.summary()
    assert set(f.selection.table.columns) == {"term", "selected", "reason"}
    assert canon(t for t in f.terms if t != "Intercept") == canon(f.selection.selected)
    assert fit(act.assign(y=y.to_numpy()), "y", "linear", factors=fs).selection is None


def test_explicit_quadratic_model_keeps_the_same_aliased_terms_whatever_the_column_order():
    """Issue 17: with model 'quadratic' on a 13-run DSD (28 terms), which aliased terms survive depended on the
    column order. Now lower orders first, then the canonical name: reversing the factors keeps the same terms."""
    act, coded, fs = dsd()
    y = truth(coded) + np.random.default_rng(0).normal(0, 0.5, len(coded))
    data = act.assign(y=y.to_numpy())
    kept = []
    for perm in (NAMES, NAMES[::-1], ["D", "F", "A", "C", "E", "B"]):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                f = fit(data[perm + ["y"]], "y", "quadratic", factors=[next(x for x in fs if x.name == n) for n in perm])
                kept.append((canon(f.terms), canon(f.dropped_terms)))
            except InputError as exc:  # saturated and not two-level: the message is the same either way
                kept.append(str(exc).split("(")[0])
    assert kept[0] == kept[1] == kept[2]


def test_published_ccd_montgomery_example_11_2_through_model_auto():
    """Montgomery, DAE 8th ed., Example 11.2 (CCD for yield, 5 centre runs): the published ANOVA of the full
    quadratic finds A, B, A^2, B^2 significant and AB not (F = 3.53, p = 0.1022), with the maximum yield 80.21
    at time 87 min, temperature 176.5 degF. Stepwise selection (AICc, and p with alpha 0.05) keeps exactly A, B,
    A^2, B^2; the optimum of that model lies within 0.5 min / 0.5 degF / 0.05 yield of the published one.
    Hand check of the first step: AICc of the intercept-only model from the corrected total SS (28.74 published)."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parent))
    from test_doe_analysis import ccd_yield

    data = ccd_yield(coded=False)
    fs = [Factor("time", 80, 90, "min"), Factor("temp", 170, 180, "degF")]
    for crit in ("aicc", "p"):
        f = fit(data, "yield", "auto", fs, criterion=crit)
        assert canon(f.selection.selected) == canon({"time", "temp", "time^2", "temp^2"})
        opt = maximize_desirability(f, {"yield": ("maximize", 75.0, 81.0)}, seed=1)
        assert opt.settings["time"] == pytest.approx(87.0, abs=0.5)
        assert opt.settings["temp"] == pytest.approx(176.5, abs=0.5)
        assert opt.predicted["yield"] == pytest.approx(80.21, abs=0.05)
    y = data["yield"].to_numpy()
    sst = float(((y - y.mean()) ** 2).sum())
    assert sst == pytest.approx(28.74, abs=0.01)
    start = fit(data, "yield", "auto", fs).selection.steps.iloc[0]
    assert start["action"] == "start" and start["value"] == pytest.approx(aicc(sst, 13, 1))


def test_heredity_strong_adds_the_missing_parent_weak_does_not():
    """Truth y = 20 + 3 A + 2.5 A:B (B itself inert) on a 3-factor CCD: under strong heredity A:B can only enter
    together with B (B is in the same move as A:B); under weak heredity A:B needs A only."""
    fs = [Factor(n, -1, 1) for n in "ABC"]
    d = central_composite(fs)
    c = d.coded
    y = 20 + 3 * c["A"] + 2.5 * c["A"] * c["B"] + np.random.default_rng(8).normal(0, 0.3, len(c))
    data = c.assign(y=y.to_numpy())
    strong = fit(data, "y", "auto", factors=fs)
    weak = fit(data, "y", "auto", factors=fs, heredity="weak")
    assert canon(strong.selection.selected) == canon({"A", "B", "A:B"})
    assert canon(weak.selection.selected) == canon({"A", "A:B"})
    entered = [set(t.split(", ")) for t in strong.selection.steps.query("action == 'enter'")["terms"]]
    assert any({"B", "A:B"} <= e for e in entered)  # B came in with A:B, as its package
    with pytest.raises(InputError, match="heredity"):
        fit(data, "y", "auto", factors=fs, heredity="none")
    with pytest.raises(InputError, match="alpha"):
        select_definitive_screening(dsd()[0].assign(y=1.0), "y", dsd()[2], alpha=2)
