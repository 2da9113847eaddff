"""Tests for pdkit.stats: tolerance factors and intervals, capability, normality, spec proposals."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from pdkit.errors import InputError
from pdkit.stats import (
    capability,
    normality,
    spec_proposal,
    tolerance_factor,
    tolerance_interval,
)


def _exact_sample(n: int, mean: float, sd: float, seed: int) -> np.ndarray:
    """n values with exactly the given sample mean and sample SD (ddof=1)."""
    z = np.random.default_rng(seed).standard_normal(n)
    z = (z - z.mean()) / z.std(ddof=1)
    return mean + sd * z


# ----------------------------------------------------------------------------- tolerance factors
# Berthouex P.M. & Brown L.C., *Statistics for Environmental Engineers*, 2nd ed. (Lewis/CRC, 2002),
# Chapter 21, Table 21.1 "Factors for two-sided 95% confidence intervals and tolerance intervals
# for the mean of a normal distribution": K for confidence 0.95 and coverage p = 0.90, 0.95, 0.99.
BERTHOUEX_TABLE_21_1 = {
    4: (5.37, 6.34, 8.22),
    5: (4.29, 5.08, 6.60),
    6: (3.73, 4.42, 5.76),
    7: (3.39, 4.02, 5.24),
    8: (3.16, 3.75, 4.89),
    9: (2.99, 3.55, 4.63),
    10: (2.86, 3.39, 4.44),
    12: (2.67, 3.17, 4.16),
    15: (2.49, 2.96, 3.89),
    20: (2.32, 2.76, 3.62),
    25: (2.22, 2.64, 3.46),
    30: (2.15, 2.55, 3.35),
    40: (2.06, 2.45, 3.22),
    60: (1.96, 2.34, 3.07),
}


@pytest.mark.parametrize("n", sorted(BERTHOUEX_TABLE_21_1))
def test_two_sided_exact_matches_berthouex_brown_table_21_1(n):
    """Exact two-sided k vs Berthouex & Brown (2002) Table 21.1, printed to 2 decimals (42 entries)."""
    for p, published in zip((0.90, 0.95, 0.99), BERTHOUEX_TABLE_21_1[n]):
        assert round(tolerance_factor(n, coverage=p, confidence=0.95), 2) == pytest.approx(published, abs=1e-9)


def test_two_sided_exact_by_simulation():
    """Independent check of the exact two-sided factor by simulation (fixed seed).

    For n = 10, P = 0.90, confidence 0.95: the fraction of simulated samples whose interval
    xbar ± k s covers at least 90 % of N(0, 1) must be 0.95 (binomial SE 0.0015 with 20 000 runs).
    """
    n, p, g = 10, 0.90, 0.95
    k = tolerance_factor(n, p, g)
    x = np.random.default_rng(20240607).standard_normal((20000, n))
    m, s = x.mean(axis=1), x.std(axis=1, ddof=1)
    content = sps.norm.cdf(m + k * s) - sps.norm.cdf(m - k * s)
    assert np.mean(content >= p) == pytest.approx(g, abs=0.006)


def test_howe_matches_nist_7_2_6_3_example():
    """NIST/SEMATECH e-Handbook 7.2.6.3 worked example: N = 43, p = 0.90, gamma = 0.99 -> k2 = 2.2173
    (Howe's approximation; the page also prints chi2_{0.01,42} = 23.650)."""
    assert tolerance_factor(43, coverage=0.90, confidence=0.99, method="howe") == pytest.approx(2.2173, abs=5e-5)
    assert sps.chi2.ppf(0.01, 42) == pytest.approx(23.650, abs=5e-4)


def test_guenther_hand_calculation_and_closer_to_exact():
    """Guenther (1977) correction applied by hand to the NIST 7.2.6.3 numbers:
    w = 1 + (N - 3 - chi2)/(2 (N+1)^2) = 1 + (40 - 23.650095)/3872, k = 2.2173159 sqrt(w) = 2.22199."""
    w = 1 + (43 - 3 - 23.650095) / (2 * 44**2)
    assert tolerance_factor(43, 0.90, 0.99, method="guenther") == pytest.approx(2.2173159 * math.sqrt(w), abs=2e-6)
    # For moderate n Guenther's correction moves Howe's value towards the exact one
    # (not for very small n: at n = 5 it overshoots).
    for n in (10, 20, 30):
        exact = tolerance_factor(n, 0.90, 0.95)
        assert abs(tolerance_factor(n, 0.90, 0.95, method="guenther") - exact) < abs(
            tolerance_factor(n, 0.90, 0.95, method="howe") - exact
        )


@pytest.mark.parametrize(
    "n, published",
    [(10, 2.911), (20, 2.396), (30, 2.220), (50, 2.065)],
)
def test_one_sided_matches_owen_table(n, published):
    """One-sided 95 %/95 % factors vs Owen D.B. (1963) *Factors for one-sided tolerance limits and
    for variables sampling plans*, Sandia SCR-607 (NRC ADAMS ML14031A495), 3 decimals
    (n = 50 -> 2.065 on p. 47 of the report)."""
    assert round(tolerance_factor(n, 0.95, 0.95, sided="upper"), 3) == pytest.approx(published, abs=1e-9)
    assert tolerance_factor(n, 0.95, 0.95, sided="lower") == tolerance_factor(n, 0.95, 0.95, sided="upper")


def test_one_sided_close_to_nist_7_2_6_3_approximation():
    """NIST e-Handbook 7.2.6.3 prints k1 = 1.8752 for N = 43, p = 0.90, gamma = 0.99 from the
    (Natrella) approximation; the exact noncentral-t value is within 0.002 of it."""
    k = tolerance_factor(43, 0.90, 0.99, sided="upper")
    assert abs(k - 1.8752) < 0.002
    # Natrella approximation with the intermediate values printed on the page (a, b)
    zp, a, b = 1.2815516, 0.9355727, 1.5165164
    assert (zp + math.sqrt(zp**2 - a * b)) / a == pytest.approx(1.8752, abs=5e-5)


def test_one_sided_methods_fall_back_to_exact_and_large_n_limit():
    assert tolerance_factor(15, 0.99, 0.95, "upper", "howe") == tolerance_factor(15, 0.99, 0.95, "upper", "exact")
    # n -> infinity: k -> z_P (one-sided) and z_{(1+P)/2} (two-sided)
    assert tolerance_factor(100000, 0.95, 0.95, "upper") == pytest.approx(1.6449, abs=0.02)
    assert tolerance_factor(100000, 0.95, 0.95) == pytest.approx(1.9600, abs=0.02)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"n": 1}, "parameter 'n'"),
        ({"n": 2.5}, "parameter 'n'"),
        ({"n": 10, "coverage": 1.0}, "parameter 'coverage'"),
        ({"n": 10, "confidence": 0}, "parameter 'confidence'"),
        ({"n": 10, "confidence": "high"}, "parameter 'confidence'"),
        ({"n": 10, "sided": "both"}, "parameter 'sided'.*'two', 'lower', 'upper'"),
        ({"n": 10, "method": "wald"}, "parameter 'method'"),
    ],
)
def test_tolerance_factor_bad_input(kwargs, match):
    with pytest.raises(InputError, match=match):
        tolerance_factor(**kwargs)


# ----------------------------------------------------------------------------- tolerance interval
def test_tolerance_interval_hand_calculation():
    x = [1.0, 2.0, 3.0, 4.0, 5.0]  # mean 3, s = sqrt(2.5)
    k = tolerance_factor(5, 0.95, 0.95)
    ti = tolerance_interval(x, coverage=0.95, confidence=0.95)
    assert (ti.n, ti.mean) == (5, 3.0)
    assert ti.sd == pytest.approx(math.sqrt(2.5))
    assert ti.lower == pytest.approx(3 - k * math.sqrt(2.5))
    assert ti.upper == pytest.approx(3 + k * math.sqrt(2.5))
    lo = tolerance_interval(x, 0.95, 0.95, sided="lower")
    up = tolerance_interval(pd.Series(x), 0.95, 0.95, sided="upper")
    assert lo.upper is None and up.lower is None
    assert lo.lower == pytest.approx(3 - tolerance_factor(5, 0.95, 0.95, "lower") * math.sqrt(2.5))
    assert up.upper == pytest.approx(3 + lo.k * math.sqrt(2.5))


def test_tolerance_interval_does_not_modify_input():
    s = pd.Series([1.0, 2.0, 4.0])
    before = s.copy()
    tolerance_interval(s)
    pd.testing.assert_series_equal(s, before)


@pytest.mark.parametrize(
    "values, match",
    [
        ([1.0, "abc", 3.0], r"values, position 2: expected a number, got 'abc'"),
        ([1.0, 2.0, float("nan")], r"values, position 3: value is missing"),
        ([1.0, None, 2.0], r"values, position 2: value is missing"),
        ([1.0, float("inf"), 2.0], r"values, position 2: expected a finite number"),
        ([1.0], r"need at least 2 values"),
        (5.0, r"expected a sequence of numbers"),
    ],
)
def test_tolerance_interval_bad_values(values, match):
    with pytest.raises(InputError, match=match):
        tolerance_interval(values)


def test_bad_value_in_series_names_index_label():
    s = pd.Series([98.0, "<LOQ", 97.5], index=["L01", "L02", "L03"])
    with pytest.raises(InputError, match=r"position 2 \(index 'L02'\): expected a number, got '<LOQ'"):
        tolerance_interval(s)


# ----------------------------------------------------------------------------- capability
def test_capability_nist_6_1_6_example():
    """NIST/SEMATECH e-Handbook 6.1.6: USL = 20, LSL = 8, mean 16, sigma 2 -> Cp = 1.0,
    Cpk = min(4/6, 8/6) = 0.6667; Cpm with target 14 = 12 / (6 sqrt(4 + 4)) = 0.7071.
    Data built to have exactly mean 16 and SD 2, so the overall (P) indices reproduce it."""
    x = _exact_sample(30, 16.0, 2.0, seed=1)
    c = capability(x, lsl=8, usl=20)
    assert c.pp == pytest.approx(1.0)
    assert c.ppk == pytest.approx(0.6667, abs=5e-5)
    assert c.ppu == pytest.approx(0.6667, abs=5e-5) and c.ppl == pytest.approx(1.3333, abs=5e-5)
    assert c.target == 14.0
    assert c.cpm == pytest.approx(0.7071, abs=5e-5)


def test_capability_montgomery_cp_confidence_interval():
    """Montgomery, *Introduction to Statistical Quality Control* (chapter on process capability,
    confidence interval on Cp example): USL = 62, LSL = 38, n = 20, s = 1.75 -> Cp = 2.29 and the
    95 % interval 1.57 <= Cp <= 3.01 (chi-square with 19 df; printed to 2 decimals, computed there
    from the rounded Cp and 3-figure chi-square table values, hence abs=0.01)."""
    x = _exact_sample(20, 50.0, 1.75, seed=2)
    c = capability(x, lsl=38, usl=62)
    assert round(c.pp, 2) == 2.29
    assert c.pp_ci[0] == pytest.approx(1.57, abs=0.01)
    assert c.pp_ci[1] == pytest.approx(3.01, abs=0.01)


def test_capability_montgomery_flow_width_rbar_d2():
    """Montgomery ISQC, hard-bake flow-width example (25 subgroups of 5, LSL = 1.00, USL = 2.00
    microns): Rbar = 0.32521, sigma = Rbar/d2 = 0.32521/2.326 = 0.1398, Cp = 1.192.
    Subgroups are constructed to reproduce the published Rbar (the raw data are not retyped)."""
    ranges = 0.32521 + np.linspace(-0.12, 0.12, 25)
    assert ranges.mean() == pytest.approx(0.32521)
    groups = [1.5056 + r * np.array([-0.5, 0.5, 0.0, 0.25, -0.25]) for r in ranges]
    c = capability(np.concatenate(groups), lsl=1.00, usl=2.00, subgroup_size=5)
    assert c.sigma_within == pytest.approx(0.1398, abs=5e-5)
    assert round(c.cp, 3) == 1.192
    assert "Rbar / 2.326" in c.sigma_within_method


def test_capability_hand_calculation_individuals_and_bissell():
    x = [1.0, 2.0, 3.0, 4.0, 5.0]
    c = capability(x, lsl=0, usl=6, confidence=0.95)
    sw = 1.0 / 1.128  # MRbar = 1
    assert c.sigma_within == pytest.approx(sw)
    assert c.sigma_overall == pytest.approx(math.sqrt(2.5))
    assert c.cp == pytest.approx(6 / (6 * sw)) and c.cpk == pytest.approx(3 / (3 * sw))
    assert c.pp == pytest.approx(6 / (6 * math.sqrt(2.5)))
    half = 1.959964 * math.sqrt(1 / 45 + c.cpk**2 / 8)  # Bissell: z sqrt(1/(9n) + C^2/(2(n-1)))
    assert c.cpk_ci == pytest.approx((c.cpk - half, c.cpk + half), abs=1e-5)
    assert c.ppm_observed == 0.0
    assert c.n == 5 and c.mean == 3.0


def test_capability_one_sided_limits():
    x = [92.0, 93.0, 94.0, 93.5, 92.5]
    c = capability(x, lsl=80)
    assert c.cp is None and c.cpu is None and c.cpm is None and c.cp_ci is None
    assert c.cpk == c.cpl
    assert c.cpk_ci is not None
    t = c.table()
    assert list(t.columns) == ["index", "estimate", "ci_low", "ci_high", "sigma"]
    assert t.loc[t["index"] == "Cp", "estimate"].isna().all()


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({}, "at least one specification limit"),
        ({"lsl": 5, "usl": 2}, "expected lsl < usl"),
        ({"lsl": "low"}, "parameter 'lsl'"),
        ({"lsl": 0, "subgroup_size": 0}, "parameter 'subgroup_size'"),
        ({"lsl": 0, "subgroup_size": 4}, "cannot be split into subgroups of 4"),
        ({"lsl": 0, "confidence": 95}, "parameter 'confidence'"),
    ],
)
def test_capability_bad_input(kwargs, match):
    with pytest.raises(InputError, match=match):
        capability([1.0, 2.0, 3.0, 2.5, 1.5, 2.2], **kwargs)


def test_capability_constant_values():
    with pytest.raises(InputError, match="identical"):
        capability([2.0, 2.0, 2.0], lsl=1)


# ----------------------------------------------------------------------------- normality
def test_normality_shapiro_wilk_1965_example():
    """Shapiro & Wilk (1965), Biometrika 52:591, worked example (weights of 11 men, lb):
    W = 0.79, below the 1 % point (0.792) -> not normal."""
    x = [148, 154, 158, 160, 161, 162, 166, 170, 182, 195, 236]
    r = normality(x)
    assert round(r.shapiro_w, 2) == 0.79
    assert r.shapiro_p < 0.01
    assert r.normal is False
    assert "log10" in r.note and "nonparametric" in r.note


def test_anderson_darling_hand_calculation():
    """A^2 = -n - (1/n) sum (2i - 1)[ln F(x_(i)) + ln(1 - F(x_(n+1-i)))] with mean and SD (ddof=1)
    estimated; p-value from D'Agostino & Stephens (1986) for A*^2 = A^2 (1 + 0.75/n + 2.25/n^2)."""
    x = np.array([2.1, 2.5, 2.6, 2.9, 3.0, 3.2, 3.3, 3.9, 4.4, 5.0])
    n = x.size
    f = sps.norm.cdf(np.sort((x - x.mean()) / x.std(ddof=1)))
    i = np.arange(1, n + 1)
    a2 = -n - np.sum((2 * i - 1) * (np.log(f) + np.log(1 - f[::-1]))) / n
    a = a2 * (1 + 0.75 / n + 2.25 / n**2)
    if a >= 0.6:
        p = math.exp(1.2937 - 5.709 * a + 0.0186 * a**2)
    elif a >= 0.34:
        p = math.exp(0.9177 - 4.279 * a - 1.38 * a**2)
    elif a >= 0.2:
        p = 1 - math.exp(-8.318 + 42.796 * a - 59.938 * a**2)
    else:
        p = 1 - math.exp(-13.436 + 101.14 * a - 223.73 * a**2)
    r = normality(x)
    assert r.anderson_a2 == pytest.approx(a2, rel=1e-9)
    assert r.anderson_p == pytest.approx(p, rel=1e-6)


def test_normality_normal_sample_and_bad_input():
    x = np.random.default_rng(7).normal(95, 1.5, 40)
    r = normality(x)
    assert r.normal is True and "No evidence against normality" in r.note
    with pytest.raises(InputError, match="need at least 3 values"):
        normality([1.0, 2.0])
    with pytest.raises(InputError, match="parameter 'alpha'"):
        normality(x, alpha=5)
    with pytest.raises(InputError, match="identical"):
        normality([3.0, 3.0, 3.0])


# ----------------------------------------------------------------------------- spec proposal
def test_spec_proposal_two_sided_hand_calculation():
    x = [1.0, 2.0, 3.0, 4.0, 5.0, 3.0]
    lots = ["A", "B", "C", "D", "E", "F"]
    df = spec_proposal(x, lsl=1.5, usl=6.0, coverage=0.90, confidence=0.95, lots=lots, precision=0.5)
    assert df["basis"].tolist() == ["tolerance interval", "proposed", "current"]
    ti = tolerance_interval(x, 0.90, 0.95)
    row = df.set_index("basis")
    assert row.loc["tolerance interval", "lower"] == pytest.approx(ti.lower)
    assert row.loc["tolerance interval", "upper"] == pytest.approx(ti.upper)
    # rounded outward to a multiple of 0.5
    assert row.loc["proposed", "lower"] == math.floor(ti.lower / 0.5) * 0.5
    assert row.loc["proposed", "upper"] == math.ceil(ti.upper / 0.5) * 0.5
    # current limits: lot A (1.0) is below 1.5
    assert row.loc["current", "n_outside"] == 1 and row.loc["current", "lots_outside"] == "A"
    assert row.loc["proposed", "n_outside"] == 0
    cap = capability(x, lsl=1.5, usl=6.0)
    assert row.loc["current", "cpk"] == pytest.approx(cap.cpk)
    assert row.loc["current", "ppk"] == pytest.approx(cap.ppk)
    assert pd.isna(row.loc["current", "k"])


def test_spec_proposal_one_sided_and_lots_from_index():
    s = pd.Series([92.1, 93.4, 91.8, 92.7, 93.0, 92.2, 91.5, 92.9, 93.3, 92.4],
                  index=[f"P{i:02d}" for i in range(1, 11)])
    df = spec_proposal(s, lsl=92.0, coverage=0.99, sided="lower", precision=0.1)
    row = df.set_index("basis")
    assert pd.isna(row.loc["proposed", "upper"])
    assert row.loc["proposed", "lower"] <= row.loc["tolerance interval", "lower"]
    assert row.loc["current", "lots_outside"] == "P03, P07"
    assert df.attrs["precision"] == 0.1


def test_spec_proposal_rounding_is_exact_decimal():
    df = spec_proposal([0.3, 0.31, 0.29, 0.305, 0.295], coverage=0.9, precision=0.01)
    lo, hi = df.set_index("basis").loc["proposed", ["lower", "upper"]]
    assert lo == round(lo, 2) and hi == round(hi, 2)


def test_spec_proposal_bad_input():
    with pytest.raises(InputError, match="parameter 'lots': expected 3 lot identifiers"):
        spec_proposal([1.0, 2.0, 3.0], lots=["a", "b"])
    with pytest.raises(InputError, match="parameter 'precision'"):
        spec_proposal([1.0, 2.0, 3.0], precision=0)
    with pytest.raises(InputError, match="expected lsl < usl"):
        spec_proposal([1.0, 2.0, 3.0], lsl=3, usl=1)


def test_normality_note_mentions_ties_for_heavily_rounded_data():
    x = [1.80, 1.81, 1.81, 1.82, 1.80, 1.81, 1.81, 1.81, 1.82, 1.81, 1.80, 1.81, 1.81, 1.83, 1.81]
    r = normality(x)
    assert r.normal is False and "distinct values" in r.note


def test_spec_proposal_default_precision_is_the_data_reporting_step():
    df = spec_proposal([1.81, 1.80, 1.82, 1.79, 1.81, 1.83], coverage=0.95)
    assert df.attrs["precision"] == 0.01
    lo, hi = df.set_index("basis").loc["proposed", ["lower", "upper"]]
    assert lo == round(lo, 2) and hi == round(hi, 2)
    assert spec_proposal([93.4, 92.1, 94.0, 93.3], coverage=0.9).attrs["precision"] == 0.1
