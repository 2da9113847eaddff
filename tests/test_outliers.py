"""Tests for pdkit.outliers: Grubbs, generalized ESD, Dixon and the OOT check."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from pdkit.errors import InputError
from pdkit.outliers import (
    DIXON_R10_CRITICAL,
    OUTLIER_CAVEAT,
    dixon,
    generalized_esd,
    grubbs,
    oot_check,
)

# NIST/SEMATECH e-Handbook 1.3.5.17.1: Tietjen & Moore (1972) uranium isotope mass spectrometer data, 8 values
TIETJEN_MOORE = [199.31, 199.53, 200.19, 200.82, 201.92, 201.95, 202.18, 245.57]

# NIST/SEMATECH e-Handbook 1.3.5.17.3: Rosner (1983) 54 observations
ROSNER = [float(v) for v in (
    "-0.25 0.68 0.94 1.15 1.20 1.26 1.26 1.34 1.38 1.43 1.49 1.49 1.55 1.56 1.58 1.65 1.69 1.70 1.76 1.77 "
    "1.81 1.91 1.94 1.96 1.99 2.06 2.09 2.10 2.14 2.15 2.23 2.24 2.26 2.35 2.37 2.40 2.47 2.54 2.62 2.64 "
    "2.90 2.92 2.92 2.93 3.21 3.26 3.30 3.59 3.68 4.30 4.64 5.34 5.42 6.01").split()]


def test_grubbs_nist_tietjen_moore():
    """NIST/SEMATECH e-Handbook 1.3.5.17.1 (Grubbs' test example): G = 2.4687, upper one-tailed
    critical value 2.032 at alpha = 0.05 (n = 8), H0 rejected: 245.57 is an outlier."""
    r = grubbs(TIETJEN_MOORE, alpha=0.05, alternative="max")
    assert len(TIETJEN_MOORE) == 8
    assert r.statistic == pytest.approx(2.4687, abs=2e-4)
    assert r.critical_value == pytest.approx(2.032, abs=5e-4)
    assert r.outlier and r.value == 245.57 and r.suspect == 7
    assert r.caveat == OUTLIER_CAVEAT and "never justifies discarding" in r.caveat


def test_grubbs_hand_calculation():
    """Hand calculation (n = 7): G = (max - mean)/s; critical value from t_{alpha/(2n), n-2}."""
    x = np.array([10.0, 10.2, 9.9, 10.1, 9.8, 10.0, 11.0])
    r = grubbs(x)
    m, s = x.mean(), x.std(ddof=1)
    assert r.statistic == pytest.approx((11.0 - m) / s)
    t = stats.t.ppf(1 - 0.05 / 14, 5)
    assert r.critical_value == pytest.approx(6 / math.sqrt(7) * math.sqrt(t * t / (5 + t * t)))
    # the p value is the Bonferroni bound: at G = critical it equals alpha
    r_min = grubbs(-x, alternative="min")
    assert r_min.statistic == pytest.approx(r.statistic)


def test_grubbs_conditions():
    with pytest.raises(InputError, match="at least 7"):
        grubbs([1.0, 2.0, 3.0, 10.0])
    with pytest.raises(InputError, match=r"item 3"):
        grubbs([1.0, 2.0, "x", 3.0, 4.0, 5.0, 6.0])
    with pytest.raises(InputError, match="alternative"):
        grubbs(TIETJEN_MOORE, alternative="up")


def test_generalized_esd_nist_rosner():
    """NIST/SEMATECH e-Handbook 1.3.5.17.3 (Rosner 1983, 54 observations, r = 10, alpha = 0.05):
    printed R_i 3.118, 2.942, 3.179, 2.810, 2.815, 2.848, 2.279, 2.310, 2.101, 2.067 and lambda_i
    3.158, 3.151, 3.143, 3.136, 3.128, 3.120, 3.111, 3.103, 3.094, 3.085 (printed truncated to
    3 decimals); three outliers (6.01, 5.42, 5.34)."""
    r = generalized_esd(ROSNER, max_outliers=10, alpha=0.05)
    printed_r = [3.118, 2.942, 3.179, 2.810, 2.815, 2.848, 2.279, 2.310, 2.101, 2.067]
    printed_l = [3.158, 3.151, 3.143, 3.136, 3.128, 3.120, 3.111, 3.103, 3.094, 3.085]
    assert np.allclose(r.table["R"], printed_r, atol=1.5e-3)
    assert np.allclose(r.table["critical"], printed_l, atol=1.5e-3)
    assert r.n_outliers == 3
    assert sorted(ROSNER[i] for i in r.outliers) == [5.34, 5.42, 6.01]


def test_generalized_esd_one_step_is_grubbs():
    """Hand check: with r = 1 the generalized ESD statistic and critical value are Grubbs' two-sided ones."""
    rng = np.random.default_rng(3)
    x = list(rng.normal(size=19)) + [4.5]
    e = generalized_esd(x, 1)
    g = grubbs(x)
    assert e.table["R"].iloc[0] == pytest.approx(g.statistic)
    assert e.table["critical"].iloc[0] == pytest.approx(g.critical_value)
    assert (e.n_outliers == 1) == g.outlier


def test_generalized_esd_conditions():
    with pytest.raises(InputError, match="at least 15"):
        generalized_esd(list(range(10)), 2)
    with pytest.raises(InputError, match="max_outliers"):
        generalized_esd(ROSNER, 30)


def test_dixon_rorabacher_table():
    """Rorabacher (1991) Anal Chem 63:139, Table II, r10 two-sided 95 %: n = 3..10 ->
    0.970 0.829 0.710 0.625 0.568 0.526 0.493 0.466.  Checked by a seeded simulation of normal samples
    (quantile of max(gap)/range) to 0.01."""
    assert DIXON_R10_CRITICAL[0.05] == (0.970, 0.829, 0.710, 0.625, 0.568, 0.526, 0.493, 0.466)
    rng = np.random.default_rng(2024)
    for n in (4, 7, 10):
        x = np.sort(rng.standard_normal((200_000, n)), axis=1)
        q = np.maximum(x[:, -1] - x[:, -2], x[:, 1] - x[:, 0]) / (x[:, -1] - x[:, 0])
        for a in (0.10, 0.05, 0.01):
            assert np.quantile(q, 1 - a) == pytest.approx(DIXON_R10_CRITICAL[a][n - 3], abs=0.01)


def test_dixon_hand_calculation():
    """Hand calculation: 12.53, 12.56, 12.47, 12.67, 12.48 -> Q = (12.67 - 12.56)/(12.67 - 12.47) = 0.55
    < 0.710 (n = 5, 95 %): retained."""
    r = dixon([12.53, 12.56, 12.47, 12.67, 12.48])
    assert r.statistic == pytest.approx(0.55)
    assert r.critical_value == 0.710 and not r.outlier and r.value == 12.67
    r2 = dixon([12.53, 12.56, 12.47, 12.97, 12.48])  # Q = 0.41/0.50 = 0.82 > 0.710
    assert r2.statistic == pytest.approx(0.82) and r2.outlier
    low = dixon([1.0, 5.0, 5.1, 5.2], alternative="min", alpha=0.05)  # one-sided 0.05 uses the 90 % column
    assert low.critical_value == 0.765 and low.outlier and low.value == 1.0
    with pytest.raises(InputError, match="3 to 10"):
        dixon(list(range(12)))
    with pytest.raises(InputError, match="tabulated"):
        dixon([1.0, 2.0, 3.0], alpha=0.2)


def test_oot_regression_hand_calculation():
    """Hand calculation of the prediction interval yhat +- t_{0.975, n-2} s sqrt(1 + 1/n + (x0 - xbar)^2/Sxx)
    (PhRMA CMC Statistics and Stability Expert Teams 2003, regression control chart)."""
    t = np.array([0, 3, 6, 9, 12] * 2, dtype=float)
    y = np.array([100, 99, 98.1, 97, 96.2, 100.3, 99.1, 98, 97.2, 96])
    h = pd.DataFrame({"month": t, "potency": y})
    b1, b0 = np.polyfit(t, y, 1)
    res = y - (b0 + b1 * t)
    s = math.sqrt((res ** 2).sum() / 8)
    x0 = 18.0
    half = stats.t.ppf(0.975, 8) * s * math.sqrt(1 + 1 / 10 + (x0 - t.mean()) ** 2 / ((t - t.mean()) ** 2).sum())
    new = pd.DataFrame({"month": [x0, x0], "potency": [b0 + b1 * x0 - 0.9 * half, b0 + b1 * x0 - 1.1 * half]},
                       index=["lot7", "lot8"])
    out = oot_check(h, new, "potency", "month")
    assert out["predicted"].iloc[0] == pytest.approx(b0 + b1 * x0)
    assert out["lower"].iloc[0] == pytest.approx(b0 + b1 * x0 - half)
    assert out["oot"].tolist() == [False, True]
    assert list(out.index) == ["lot7", "lot8"]
    assert "not an OOS" in out.attrs["caveat"]
    assert h.shape == (10, 2)  # caller's table untouched


def test_oot_without_time_and_errors():
    """Hand calculation: mean +- t_{0.975, n-1} s sqrt(1 + 1/n)."""
    h = pd.DataFrame({"titer": [10.0, 11.0, 12.0, 11.0, 10.5, 11.5]})
    m, s = h["titer"].mean(), h["titer"].std()
    half = stats.t.ppf(0.95, 5) * s * math.sqrt(1 + 1 / 6)
    out = oot_check(h, pd.DataFrame({"titer": [m + half * 0.99, m + half * 1.01]}), "titer", sided="upper")
    assert out["upper"].iloc[0] == pytest.approx(m + half)
    assert out["oot"].tolist() == [False, True] and out["lower"].isna().all()
    with pytest.raises(InputError, match="titre"):
        oot_check(h, h, "titre")
    with pytest.raises(InputError, match="sided"):
        oot_check(h, h, "titer", sided="both")
