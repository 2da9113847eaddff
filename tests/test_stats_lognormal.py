"""Tests for the pdkit.stats additions of issue 13: log-normal (log10) tolerance intervals,
nonparametric (order-statistic) tolerance limits, reporting steps in significant figures,
physical bounds and the stability warning on capability indices.

References named per test: NIST/SEMATECH e-Handbook of Statistical Methods 7.2.6.4
(tolerance intervals from the smallest/largest observations); Hahn G.J. & Meeker W.Q. (1991)
*Statistical Intervals*, Wiley, Tables A.17/A.18 (sample sizes for distribution-free tolerance
intervals, = Wilks 1941); Krishnamoorthy K. & Mathew T. (2009) *Statistical Tolerance Regions*,
Wiley (log-normal tolerance intervals = exponentiated normal intervals of the logs); US EPA
QA/G-9 (2000) *Guidance for Data Quality Assessment*, Box 3-12 (log-transformed worked example);
Natrella (1963) *Experimental Statistics*, NBS Handbook 91, Table A-7 (one-sided k);
Nelson (1984) run rules; NIST e-Handbook 6.3.2.2 (individuals chart example).
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from pdkit.errors import InputError
from pdkit.stats import (
    capability,
    format_limit,
    nonparametric_min_n,
    nonparametric_tolerance_interval,
    reporting_step,
    round_limit,
    spec_proposal,
    tolerance_factor,
    tolerance_interval,
)

# ----------------------------------------------------------------------------- log-normal
# EPA QA/G-9 (2000) Box 3-12: 15 concentrations; the box prints the natural logs to 2 decimals
# and their mean 2.0767 and SD 0.4272.  exp() of the printed logs reproduces those statistics.
EPA_LOGS = [2.09, 1.99, 1.57, 1.87, 2.05, 2.48, 2.56, 2.02, 2.90, 1.41, 1.74, 2.75, 1.90, 2.10, 1.72]


def test_log10_tolerance_interval_epa_box_3_12_and_natrella_k():
    """Log-normal upper 95 %/95 % tolerance limit on the EPA QA/G-9 Box 3-12 data: the log-scale
    mean and SD printed in the box (2.0767, 0.4272; natural logs) and the one-sided k for n = 15
    (2.566, Natrella Table A-7) give exp(2.0767 + 2.566 x 0.4272) = 23.88 (Krishnamoorthy &
    Mathew 2009: exponentiate the normal limit of the logs; the log base cancels)."""
    x = np.exp(EPA_LOGS)
    ti = tolerance_interval(x, coverage=0.95, confidence=0.95, sided="upper", transform="log10")
    assert ti.mean * math.log(10) == pytest.approx(2.0767, abs=5e-5)
    assert ti.sd * math.log(10) == pytest.approx(0.4272, abs=5e-5)
    assert ti.k == pytest.approx(2.566, abs=5e-4)
    assert ti.upper == pytest.approx(math.exp(2.0767 + 2.566 * 0.4272), rel=2e-4)
    assert ti.lower is None and ti.transform == "log10"


def test_log10_tolerance_interval_hand_calculation():
    """Titers 1e12, 1e13 (log10 12, 13): mean 12.5, SD sqrt(0.5); two-sided 90 %/95 % k for n = 2
    from tolerance_factor; limits 10**(12.5 ± k sqrt(0.5)); their geometric mean is 10**12.5."""
    ti = tolerance_interval([1e12, 1e13], coverage=0.90, confidence=0.95, transform="log10")
    k = tolerance_factor(2, 0.90, 0.95)
    assert ti.mean == pytest.approx(12.5) and ti.sd == pytest.approx(math.sqrt(0.5))
    assert ti.lower == pytest.approx(10 ** (12.5 - k * math.sqrt(0.5)), rel=1e-12)
    assert ti.upper == pytest.approx(10 ** (12.5 + k * math.sqrt(0.5)), rel=1e-12)
    assert math.sqrt(ti.lower * ti.upper) == pytest.approx(10**12.5, rel=1e-12)
    # the normal interval of the same data reaches below zero; the log-normal one cannot
    assert tolerance_interval([1e12, 1e13], 0.90, 0.95).lower < 0 < ti.lower


@pytest.mark.parametrize("bad, pos", [([1e12, 0.0, 2e12], 2), ([5.0, 3.0, -1.0, 4.0], 3)])
def test_log10_refuses_zero_and_negative_values(bad, pos):
    with pytest.raises(InputError, match=rf"values, position {pos}: .* cannot be log-transformed"):
        tolerance_interval(bad, transform="log10")
    with pytest.raises(InputError, match=rf"values, position {pos}: .* cannot be log-transformed"):
        spec_proposal(bad, transform="log10")


def test_log10_refusal_names_the_lot():
    s = pd.Series([2e12, 3e12, 0.0, 1e12], index=["L1", "L2", "L3", "L4"])
    with pytest.raises(InputError, match=r"values, position 3 \(lot 'L3'\): 0 cannot be log-transformed"):
        spec_proposal(s, transform="log10")


def test_transform_choice_is_checked():
    with pytest.raises(InputError, match="parameter 'transform'"):
        tolerance_interval([1.0, 2.0, 3.0], transform="ln")


def test_contract_signature_unchanged():
    """api-contract.md: positional (values, coverage, confidence, sided, method) still works."""
    a = tolerance_interval([1.0, 2.0, 3.0, 2.5], 0.9, 0.95, "two", "howe")
    assert a.method == "howe" and a.transform == "none" and a.notes == ()


# ----------------------------------------------------------------------------- nonparametric
# Hahn & Meeker (1991) Tables A.17 (one-sided) and A.18 (two-sided, min and max), = Wilks (1941):
# minimum n for a distribution-free tolerance interval with the extreme value(s).
HAHN_MEEKER_MIN_N = {
    # (coverage, confidence): (one-sided, two-sided)
    (0.90, 0.90): (22, 38),
    (0.90, 0.95): (29, 46),
    (0.95, 0.90): (45, 77),
    (0.95, 0.95): (59, 93),
    (0.95, 0.99): (90, 130),
    (0.99, 0.95): (299, 473),
    (0.99, 0.99): (459, 662),
}


@pytest.mark.parametrize("pg", sorted(HAHN_MEEKER_MIN_N))
def test_nonparametric_min_n_matches_hahn_meeker_tables(pg):
    p, g = pg
    one, two = HAHN_MEEKER_MIN_N[pg]
    assert nonparametric_min_n(p, g, "upper") == one
    assert nonparametric_min_n(p, g, "lower") == one
    assert nonparametric_min_n(p, g, "two") == two


def test_nonparametric_min_n_nist_7_2_6_4_formulas():
    """NIST e-Handbook 7.2.6.4: one-sided N = ln(1 - gamma)/ln(p) (58.4 -> 59 for 95/95); two-sided
    N ~ chi2_{gamma,4} (1 + p)/(4 (1 - p)) + 1/2 (= 93.01 -> 93 for 95/95; an approximation, the
    exact binomial search agrees here)."""
    assert math.log(0.05) / math.log(0.95) == pytest.approx(58.40, abs=0.01)
    approx = sps.chi2.ppf(0.95, 4) * 1.95 / (4 * 0.05) + 0.5
    assert approx == pytest.approx(93.01, abs=0.01)
    assert nonparametric_min_n(0.95, 0.95, "upper") == math.ceil(math.log(0.05) / math.log(0.95)) == 59
    assert nonparametric_min_n(0.95, 0.95, "two") == round(approx) == 93


def test_nonparametric_extremes_at_the_minimum_n():
    x = np.random.default_rng(5).lognormal(0, 1, 93)
    ti = nonparametric_tolerance_interval(x, 0.95, 0.95, "two")
    assert (ti.lower, ti.upper) == (x.min(), x.max())
    assert (ti.lower_rank, ti.upper_rank) == (1, 93)
    # exact confidence 1 - n p^(n-1) + (n-1) p^n
    assert ti.achieved_confidence == pytest.approx(1 - 93 * 0.95**92 + 92 * 0.95**93, rel=1e-12)
    assert ti.achieved_confidence >= 0.95
    up = nonparametric_tolerance_interval(x[:59], 0.95, 0.95, "upper")
    assert up.upper == x[:59].max() and up.lower is None
    assert up.achieved_confidence == pytest.approx(1 - 0.95**59, rel=1e-12)  # 0.9515


def test_nonparametric_hand_calculation_small_case():
    """n = 10, coverage 0.5, confidence 0.9.  One-sided lower with X_(r): confidence
    P(Bin(10, 0.5) >= r): r = 3 gives 1 - 56/1024 = 0.9453, r = 4 gives 1 - 176/1024 = 0.828,
    so the limit is the 3rd smallest value.  Two-sided X_(r)..X_(11-r): P(Bin(10, 0.5) <= 10 - 2r):
    r = 1 gives 1 - 11/1024 = 0.9893, r = 2 gives 0.828, so min and max."""
    x = [7.0, 3.0, 9.0, 1.0, 5.0, 10.0, 2.0, 8.0, 4.0, 6.0]
    lo = nonparametric_tolerance_interval(x, coverage=0.5, confidence=0.9, sided="lower")
    assert lo.lower == 3.0 and lo.lower_rank == 3
    assert lo.achieved_confidence == pytest.approx(1 - 56 / 1024)
    two = nonparametric_tolerance_interval(x, coverage=0.5, confidence=0.9, sided="two")
    assert (two.lower, two.upper) == (1.0, 10.0)
    assert two.achieved_confidence == pytest.approx(1 - 11 / 1024)


def test_nonparametric_too_few_values_states_minimum_n():
    with pytest.raises(InputError, match=r"n = 30 is too few .* at least 59 values are needed"):
        nonparametric_tolerance_interval(np.arange(1.0, 31.0), 0.95, 0.95, sided="lower")
    with pytest.raises(InputError, match=r"at least 93 values"):
        spec_proposal(np.arange(1.0, 61.0), coverage=0.95, confidence=0.95, method="nonparametric")


def test_spec_proposal_nonparametric():
    x = np.random.default_rng(11).gamma(2.0, 1.0, 60)
    df = spec_proposal(x, coverage=0.95, confidence=0.95, sided="upper", method="nonparametric", precision=0.01)
    row = df.set_index("basis")
    assert row.loc["tolerance interval", "upper"] == pytest.approx(x.max())
    assert pd.isna(row.loc["tolerance interval", "k"])
    assert row.loc["proposed", "upper"] == math.ceil(x.max() * 100) / 100
    assert df.attrs["method"] == "nonparametric"


# ----------------------------------------------------------------------------- reporting
def test_reporting_step_and_rounding_hand_calculation():
    # 2 significant figures of 2.08e12: last figure is 1e11
    assert reporting_step([2.08e12, 1.5e12], sig_figs=2) == 1e11
    assert round_limit(2081883753714.0, sig_figs=2, direction="down") == 2.0e12
    assert round_limit(2181883753714.0, sig_figs=2, direction="down") == 2.1e12
    assert round_limit(2181883753714.0, sig_figs=2, direction="up") == 2.2e12
    assert round_limit(0.01234, sig_figs=2, direction="nearest") == 0.012
    assert round_limit(89.85, step=0.1, direction="nearest") == 89.9
    assert format_limit(2.1e12, 1e11) == "2.1E+12"
    assert format_limit(0.012, 0.001) == "0.012"
    assert format_limit(3.2e-5, 1e-6) == "3.2E-05"
    # data with more figures than any assay resolves: 3 significant figures by default
    assert reporting_step([2081883753714.0, 1.9e12]) == 1e10
    assert reporting_step([93.4, 92.1]) == 0.1


def test_titer_limit_is_reported_in_significant_figures():
    """The tester's case: titers in GC/mL gave a lower limit of 2081883753714.0 (step 1)."""
    titers = [3.05e12, 2.71e12, 3.38e12, 2.93e12, 3.12e12, 2.84e12, 3.21e12, 2.99e12, 3.31e12, 2.77e12]
    titers = [t + 123456.0 for t in titers]  # stored with meaningless digits
    df = spec_proposal(titers, sided="lower", coverage=0.95, transform="log10")
    row = df.set_index("basis").loc["proposed"]
    assert df.attrs["rounding"] == "2 significant figures"
    assert row["lower"] == float(f"{row['lower']:.1e}")  # two figures
    assert row["lower_text"] == f"{row['lower']:.1E}" and "E+12" in row["lower_text"]
    ti_lo = df.set_index("basis").loc["tolerance interval", "lower"]
    assert row["lower"] <= ti_lo < row["lower"] + 1e11  # rounded outward (down), one step at most
    with pytest.raises(InputError, match="parameter 'sig_figs'"):
        spec_proposal(titers, sig_figs=0)


def test_untransformed_titer_limit_no_longer_printed_to_the_unit():
    """Without transform the same data give 3 significant figures, not a step of 1."""
    titers = [2.9e12 + d for d in (1234567.0, -7654321.0, 3.1e11, -2.2e11, 1.7e11, -0.9e11, 2.6e11, -3.3e11)]
    df = spec_proposal(titers, sided="lower", coverage=0.95)
    row = df.set_index("basis").loc["proposed"]
    assert df.attrs["rounding"] == "3 significant figures"
    assert row["lower_text"] == f"{row['lower']:.2E}"
    assert row["lower"] == float(f"{row['lower']:.2e}")


def test_precision_argument_still_wins():
    df = spec_proposal([1.81, 1.80, 1.82, 1.79, 1.81, 1.83], coverage=0.95, sig_figs=1, precision=0.01)
    assert df.attrs["precision"] == 0.01 and df.attrs["rounding"] == "step 0.01"


# ----------------------------------------------------------------------------- bounds
def test_bounds_clip_a_negative_yield_limit_with_a_note():
    """Step yields near 0 %: the normal lower limit mean - k s is negative (hand check below);
    with bounds (0, 100) it is set to 0 and a note says so."""
    y = [0.0, 4.0, 1.0, 0.0, 6.0, 2.0, 3.0, 0.0]
    plain = tolerance_interval(y, coverage=0.95, confidence=0.95)
    m, s = np.mean(y), np.std(y, ddof=1)
    assert plain.lower == pytest.approx(m - plain.k * s) and plain.lower < 0
    ti = tolerance_interval(y, coverage=0.95, confidence=0.95, bounds=(0, 100))
    assert ti.lower == 0.0 and ti.upper == pytest.approx(plain.upper)
    assert "below the physical bound 0" in ti.notes[0]
    df = spec_proposal(y, coverage=0.95, bounds=(0, 100))
    assert (df["lower"].dropna() >= 0).all()
    assert any("physical bound" in n for n in df.attrs["notes"])


def test_bounds_clip_upper_percentage_and_refuse_values_outside():
    x = [99.1, 99.8, 99.5, 99.9, 99.2, 99.7]
    ti = tolerance_interval(x, coverage=0.99, bounds=(0, 100))
    assert ti.upper == 100.0 and "above the physical bound 100" in ti.notes[0]
    with pytest.raises(InputError, match=r"values, position 2: 101 lies outside the physical bounds \[0, 100\]"):
        tolerance_interval([99.0, 101.0, 98.0], bounds=(0, 100))
    with pytest.raises(InputError, match="parameter 'bounds'"):
        tolerance_interval(x, bounds=(100, 0))
    with pytest.raises(InputError, match="parameter 'bounds'"):
        spec_proposal(x, bounds=5)


# ----------------------------------------------------------------------------- capability stability
NIST_6_3_2_2 = [49.6, 47.6, 49.9, 51.3, 47.8, 51.2, 52.6, 52.4, 53.6, 52.1]


def test_capability_in_control_nist_example_has_no_warning():
    """NIST e-Handbook 6.3.2.2 individuals example is in control: stable, no warning."""
    c = capability(NIST_6_3_2_2, lsl=40, usl=60)
    assert c.stable is True and c.n_signals == 0 and c.warning == ""
    assert "WARNING" not in c.summary()


def test_capability_warns_when_run_rules_fire():
    """A steady rise of 8 lots (Nelson 1984 rule 3: six points steadily increasing) plus a level
    shift: Cpk/Ppk come with a warning in the result, the summary and the table attrs."""
    x = [50.1, 49.8, 50.3, 49.9, 50.2, 50.0, 50.4, 50.6, 50.9, 51.3, 51.6, 52.0, 52.4, 52.9]
    c = capability(x, lsl=45, usl=58)
    assert c.stable is False and c.n_signals >= 1
    assert "process not stable" in c.warning and "Cpk/Ppk" in c.warning
    assert c.summary().startswith("Cpk ") and "WARNING: process not stable" in c.summary()
    assert c.table().attrs["warning"] == c.warning
    skipped = capability(x, lsl=45, usl=58, rules=None)
    assert skipped.stable is None and skipped.warning == "" and skipped.cpk == pytest.approx(c.cpk)
    df = spec_proposal(x, lsl=45, usl=58, coverage=0.95)
    assert df.attrs["stable"] is False and "process not stable" in df.attrs["capability_warning"]


def test_capability_rules_argument_checked_and_subgroups_unknown():
    with pytest.raises(InputError, match="parameter 'rules'"):
        capability(NIST_6_3_2_2, lsl=40, rules="westgard")
    c = capability(NIST_6_3_2_2, lsl=40, usl=60, subgroup_size=2)
    assert c.stable is None and "subgroups" in c.notes[0]


def test_capability_figure_title_carries_the_warning():
    from pdkit.plots.trending import capability_figure

    x = [50.1, 49.8, 50.3, 49.9, 50.2, 50.0, 50.4, 50.6, 50.9, 51.3, 51.6, 52.0, 52.4, 52.9]
    fig = capability_figure(x, capability(x, lsl=45, usl=58))
    assert "NOT STABLE" in fig.title.text
    assert "NOT STABLE" not in capability_figure(NIST_6_3_2_2, capability(NIST_6_3_2_2, lsl=40)).title.text
