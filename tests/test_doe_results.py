"""The DoE result objects follow the result protocol of pdkit.results (summary, to_frame, _repr_html_)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pdkit.results import Result

PAYLOAD = "<script>window.__pwned=1</script>"


def _fit_and_design():
    from pdkit.doe import Factor, central_composite, fit

    design = central_composite([Factor("A", 0, 10), Factor("B", 1, 3)], center=3)
    data = design.actual.copy()
    rng = np.random.default_rng(1)
    data[PAYLOAD] = 5 + 0.3 * data.A - 0.02 * data.A ** 2 + data.B + rng.normal(0, 0.1, len(data))
    return fit(data, PAYLOAD, "quadratic", factors=list(design.factors)), design


def _make(name):
    from pdkit.doe import evaluate
    from pdkit.doe.optimize import maximize_desirability

    f, design = _fit_and_design()
    if name == "DoEFit":
        return f
    if name == "Design":
        return design
    if name == "DesignEvaluation":
        return evaluate(design, "quadratic")
    if name == "LackOfFit":
        return f.lack_of_fit
    if name == "Optimum":
        return maximize_desirability({PAYLOAD: f}, {PAYLOAD: {"goal": "maximize", "low": 4, "high": 12}}, seed=1)
    raise KeyError(name)


@pytest.mark.parametrize("name", ["DoEFit", "Design", "DesignEvaluation", "LackOfFit", "Optimum"])
def test_doe_results_follow_the_protocol_and_escape(name):
    obj = _make(name)
    assert obj is not None and isinstance(obj, Result)
    assert isinstance(obj.summary(), str) and obj.summary().strip()
    frame = obj.to_frame()
    assert isinstance(frame, pd.DataFrame) and len(frame) > 0
    page = obj._repr_html_()
    assert "<script" not in page
    if name in ("DoEFit", "Optimum"):
        assert "&lt;script&gt;" in page  # the response name is user text


def test_design_evaluation_keeps_its_headline_numbers():
    ev = _make("DesignEvaluation")
    assert ev.headline()["runs"] == 11
    assert ev.to_frame().loc["runs", "value"] == 11
    assert ev.summary().startswith("DesignEvaluation: runs 11, coefficients 6")
