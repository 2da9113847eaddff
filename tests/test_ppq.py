"""Tests for pdkit.ppq: PPQ acceptance-interval multipliers, limits and pass probabilities."""
from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from pdkit.errors import InputError
from pdkit.ppq import ppq_grid, ppq_limits, ppq_multiplier, ppq_pass_probability, spec_pass_probability
from pdkit.stats import tolerance_factor


def test_multiplier_ppqplan_vignette():
    """PPQplan vignette (Zhu et al., CRAN PPQplan 1.1.0, "Introduction to PPQplan"): 10 results per batch,
    95 % two-sided prediction interval for one future result: k = 2.373.  Hand calculation:
    t_{0.975, 9} = 2.2622, sqrt(1 + 1/10) = 1.0488, product 2.3726."""
    assert ppq_multiplier(10) == pytest.approx(2.373, abs=5e-4)
    assert ppq_multiplier(10) == pytest.approx(stats.t.ppf(0.975, 9) * math.sqrt(1.1))
    assert ppq_multiplier(10, "confidence") == pytest.approx(stats.t.ppf(0.975, 9) / math.sqrt(10))
    assert ppq_multiplier(10, sided="lower") == pytest.approx(stats.t.ppf(0.95, 9) * math.sqrt(1.1))
    assert ppq_multiplier(10, "tolerance", coverage=0.99) == pytest.approx(tolerance_factor(10, 0.99, 0.95))


def test_spec_probability_ppqplan_vignette():
    """PPQplan vignette, rl_pp(Llim=95, Ulim=105, mu=98, sigma=1) = 0.9986501."""
    assert spec_pass_probability(98, 1, 95, 105) == pytest.approx(0.9986501, abs=5e-8)


def test_pass_probability_ppqplan_vignette():
    """PPQplan vignette, PPQ_pp(Llim=95, Ulim=105, mu=98, sigma=1, n=10, n.batch=1, k=2.373) = 0.8604419."""
    assert ppq_pass_probability(98, 1, 10, 95, 105, k=2.373) == pytest.approx(0.8604419, abs=5e-7)
    # n batches must all pass
    p1 = ppq_pass_probability(98, 1, 10, 95, 105, k=2.373)
    assert ppq_pass_probability(98, 1, 10, 95, 105, k=2.373, n_batches=3) == pytest.approx(p1 ** 3)


def test_pass_probability_hand_and_simulation():
    """Hand calculation: k = 0 reduces to P(L <= xbar <= U) with xbar ~ N(mu, sigma^2/n); one-sided equals the
    noncentral t; two-sided agrees with a seeded simulation of 200,000 batches to 0.005."""
    assert ppq_pass_probability(100, 2, 4, 98, 103, k=0) == pytest.approx(
        stats.norm.cdf(3 / 1) - stats.norm.cdf(-2 / 1))
    p_low = ppq_pass_probability(100, 2, 8, lower=96)
    k = stats.t.ppf(0.95, 7) * math.sqrt(1 + 1 / 8)
    rng = np.random.default_rng(11)
    x = rng.normal(100, 2, (200_000, 8))
    m, s = x.mean(axis=1), x.std(axis=1, ddof=1)
    assert p_low == pytest.approx((m - k * s >= 96).mean(), abs=0.005)
    k2 = ppq_multiplier(8)
    p_two = ppq_pass_probability(100.5, 2, 8, 94, 106)
    assert p_two == pytest.approx(((m + 0.5 - k2 * s >= 94) & (m + 0.5 + k2 * s <= 106)).mean(), abs=0.005)


def test_limits_and_grid():
    """Hand calculation of mean +- k s for one batch; grid is tidy and monotone in sigma at the centre."""
    x = [99.1, 100.4, 98.7, 100.9, 99.5, 100.2, 99.8, 100.6, 99.0, 100.1]
    r = ppq_limits(x, 95, 105)
    k = stats.t.ppf(0.975, 9) * math.sqrt(1.1)
    assert r.lower == pytest.approx(np.mean(x) - k * np.std(x, ddof=1))
    assert r.passes and r.sided == "two"
    assert not ppq_limits(x, 99.5, None).passes and ppq_limits(x, 99.5, None).upper is None
    g = ppq_grid([100], [0.5, 1, 2, 3], [5, 10], 95, 105)
    assert list(g.columns) == ["mu", "sigma", "n", "k", "probability"]
    for _, sub in g.groupby("n"):
        assert sub["probability"].is_monotonic_decreasing


def test_errors_name_parameter():
    with pytest.raises(InputError, match="'n'"):
        ppq_multiplier(1)
    with pytest.raises(InputError, match="'sigma'"):
        ppq_pass_probability(100, 0, 10, 95, 105)
    with pytest.raises(InputError, match="lower < upper"):
        ppq_pass_probability(100, 1, 10, 105, 95)
    with pytest.raises(InputError, match="item 2"):
        ppq_limits([1.0, float("nan"), 2.0], 0, 3)
    with pytest.raises(InputError, match="interval"):
        ppq_multiplier(10, "bayesian")


def test_plots_from_grid():
    """The bokeh figures draw the grid they are given (one line per mean / per n)."""
    from pdkit.plots.ppq import oc_curves, pass_probability_map

    g = ppq_grid([98, 100], [0.5, 1.0, 1.5], [5, 10], 95, 105)
    fig = oc_curves(g)  # several n -> one line per n
    assert len([r for r in fig.renderers if type(r.glyph).__name__ == "Line"]) == 2
    assert "LSL 95" in fig.title.text
    m = pass_probability_map(g, n=10)
    assert m.title.text.endswith("n = 10")
    with pytest.raises(InputError, match="n: 7"):
        pass_probability_map(g, n=7)
    with pytest.raises(InputError, match="ppq_grid"):
        oc_curves(g.drop(columns="probability"))


def test_template_parameters_validate():
    """templates/ppq_plan.py (the text source) validates with its defaults right after the parameters."""
    import ast
    from pathlib import Path

    from pdkit.nbio import read_notebook
    from pdkit.params import check_parameters

    root = Path(__file__).resolve().parents[1]
    committed = read_notebook(root / "templates" / "ppq_plan.py")
    params = next(c for c in committed.cells if "parameters" in c.metadata.get("tags", []))
    ns: dict = {}
    exec(compile(ast.parse(params.source), "params", "exec"), ns)
    P = check_parameters("ppq_plan", ns)
    assert P.n == 10 and P.interval == "prediction" and P.data.is_absolute()
    setup = committed.cells[committed.cells.index(params) + 1].source
    assert 'check_parameters("ppq_plan", globals())' in setup
