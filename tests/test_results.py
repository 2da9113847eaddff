"""Every public result object of pdkit.quality and pdkit.process follows one protocol (pdkit.results):
``summary() -> str``, ``to_frame() -> DataFrame`` and ``_repr_html_()`` with every text escaped."""
from __future__ import annotations

import dataclasses
import importlib
import inspect

import numpy as np
import pandas as pd
import pytest

from pdkit.results import Result, ResultMixin, quantity_frame, result_html

PAYLOAD = "<script>alert(1)</script>"
MODULES = ["pdkit.quality.stats", "pdkit.quality.stability", "pdkit.quality.trending", "pdkit.quality.specs",
           "pdkit.quality.outliers", "pdkit.quality.ppq", "pdkit.process.upstream", "pdkit.process.downstream",
           "pdkit.process.scaleup", "pdkit.process.facility"]


def _stability():
    from pdkit.quality.stability import shelf_life

    rows = []
    for b, (a, s) in {PAYLOAD: (101.0, -0.50), "B2": (100.0, -0.55), "B3": (100.5, -0.45)}.items():
        for i, t in enumerate([0, 3, 6, 9, 12, 18]):
            rows.append({"batch": b, "month": t, "potency": a + s * t + 0.3 * np.sin(3 * i + len(b))})
    return shelf_life(pd.DataFrame(rows), "month", "potency", "batch", lower=90)


def _lots():
    from pdkit.quality.specs import Specification, evaluate_lots

    spec = Specification(product="pDNA", version="1", effective_date="2025-01-15", attributes=[
        {"name": "supercoiled", "method": "HPLC", "unit": "%", "criterion": ">=", "limit": "98.0"}])
    res = pd.DataFrame({"lot": [PAYLOAD, "B"], "attribute": ["supercoiled"] * 2,
                        "value": [97.95, 97.92], "unit": ["%", "%"]})
    return evaluate_lots(res, spec)


def _make(name):
    """One instance of each result class, with a user-given name carrying PAYLOAD where the class has one."""
    from pdkit.process import facility, upstream
    from pdkit.quality import outliers, ppq, stability, stats, trending

    values = [10.0, 10.2, 9.9, 10.1, 10.0, 10.3, 9.8, 10.1]
    x = pd.Series(list(np.linspace(-1.5, 1.5, 18)) + [6.0, -5.5],
                  index=[f"{PAYLOAD}{i}" for i in range(20)])
    return {
        "ToleranceInterval": lambda: stats.tolerance_interval(values),
        "NonparametricToleranceInterval": lambda: stats.nonparametric_tolerance_interval(
            list(range(100)), coverage=0.9, confidence=0.9),
        "Capability": lambda: stats.capability(values, lsl=9, usl=11),
        "Normality": lambda: stats.normality(values),
        "GrubbsResult": lambda: outliers.grubbs(pd.Series([9.8, 10.1, 10.0, 9.9, 10.2, 10.0, 12.5],
                                                          index=list("abcdef") + [PAYLOAD])),
        "ESDResult": lambda: outliers.generalized_esd(x, 3),
        "DixonResult": lambda: outliers.dixon(pd.Series([1.0, 2.0, 3.0, 4.0, 10.0], index=list("abcd") + [PAYLOAD])),
        "PPQLimits": lambda: ppq.ppq_limits([99.1, 100.4, 98.7, 100.9, 99.5, 100.2, 99.8, 100.6, 99.0, 100.1], 95, 105),
        "LotEvaluation": _lots,
        "ShelfLife": _stability,
        "Extrapolation": lambda: _stability().extrapolation,
        "ImrChart": lambda: trending.imr_chart([49.6, 47.6, 49.9, 51.3, 47.8, 51.2, 52.6, 52.4, 53.6, 52.1],
                                               labels=[f"{PAYLOAD}{i}" for i in range(10)]),
        "CostOfGoods": lambda: facility.cost_of_goods(100, 10, 2e6, 1e6, 5e5, 1.5e5),
        "GrowthRate": lambda: upstream.growth_rate([1e6, 2e6, 4e6, 6e6, 7e6], time=[0, 1, 2, 3, 4]),
        "PeakVCD": lambda: upstream.peak_vcd([1e6, 5e6, 4e6], time=[0, 1, 2]),
        "SpecificProductivity": lambda: upstream.specific_productivity([0.0, 1e9, 2.1e9, 2.9e9],
                                                                       [0.0, 1e6, 2e6, 3e6]),
    }[name]()


def _result_classes():
    """Every public class of the computational modules that is a result (a dataclass)."""
    found = {}
    for mod_name in MODULES:
        module = importlib.import_module(mod_name)
        for name in module.__all__:
            obj = getattr(module, name)
            if inspect.isclass(obj) and dataclasses.is_dataclass(obj) and obj.__module__ == mod_name:
                found[name] = obj
    return found


RESULT_CLASSES = _result_classes()


def test_every_result_class_is_covered_here():
    covered = {"ToleranceInterval", "NonparametricToleranceInterval", "Capability", "Normality", "GrubbsResult",
               "ESDResult", "DixonResult", "PPQLimits", "LotEvaluation", "ShelfLife", "Extrapolation", "ImrChart",
               "CostOfGoods", "GrowthRate", "PeakVCD", "SpecificProductivity"}
    assert set(RESULT_CLASSES) == covered  # a new result class: add it to _make


@pytest.mark.parametrize("name", sorted(RESULT_CLASSES))
def test_result_protocol(name):
    cls = RESULT_CLASSES[name]
    assert issubclass(cls, ResultMixin)
    obj = _make(name)
    assert type(obj) is cls
    assert isinstance(obj, Result)
    text = obj.summary()
    assert isinstance(text, str) and text.strip() and "\n" not in text and len(text) < 400
    frame = obj.to_frame()
    assert isinstance(frame, pd.DataFrame) and len(frame) > 0
    n_rows = len(frame)
    frame[frame.columns[0]] = "changed"  # a copy: the result is unchanged
    assert len(obj.to_frame()) == n_rows and not (obj.to_frame().iloc[:, 0] == "changed").all()
    page = obj._repr_html_()
    assert page.startswith('<div class="pdkit-result">') and "<table" in page


@pytest.mark.parametrize("name", sorted(RESULT_CLASSES))
def test_repr_html_escapes_user_text(name):
    obj = _make(name)
    texts = [f.name for f in dataclasses.fields(obj)
             if not f.name.startswith("_") and isinstance(getattr(obj, f.name), str)]
    if PAYLOAD not in obj._repr_html_().replace("&lt;", "<").replace("&gt;", ">"):
        if not texts:  # numbers and fixed words only (PeakVCD, CostOfGoods): no user text reaches the page
            assert "<script" not in obj._repr_html_()
            return
        obj = dataclasses.replace(obj, **{texts[-1]: PAYLOAD})
    page = obj._repr_html_()
    assert "<script" not in page
    assert "&lt;script&gt;" in page


def test_existing_summaries_are_unchanged():
    from pdkit.quality.stats import capability

    c = capability([10.0, 10.2, 9.9, 10.1, 10.0, 10.3, 9.8, 10.1], lsl=9, usl=11)
    assert c.summary() == "Cpk 1.32, Ppk 1.97 (n = 8); no run-rule signals (nelson)"
    pd.testing.assert_frame_equal(c.to_frame(), c.table())


def test_tables_are_the_results_own():
    ev = _lots()
    pd.testing.assert_frame_equal(ev.to_frame(), ev.results)
    sl = _stability()
    pd.testing.assert_frame_equal(sl.to_frame(), sl.per_batch)
    assert "shelf life" in sl.summary() and "month" in sl.summary()


def test_quantity_frame_rows():
    from pdkit.quality.stats import tolerance_interval

    ti = tolerance_interval([1.80, 1.82, 1.81, 1.83, 1.79, 1.82], coverage=0.95, sided="lower")
    q = quantity_frame(ti).set_index("quantity")["value"]
    assert q["lower"] == ti.lower and q["upper"] is None and q["n"] == 6


def test_protocol_needs_all_three():
    class Partial:
        def summary(self):
            return ""

        def to_frame(self):
            return pd.DataFrame()

    assert not isinstance(Partial(), Result)


def test_result_html_escapes_headers_and_summary():
    page = result_html(PAYLOAD, pd.DataFrame({PAYLOAD: [PAYLOAD], "x": [1.0]}))
    assert "<script" not in page and page.count("&lt;script&gt;") == 3
