"""Tests for pdkit.trending: I-MR limits and the Nelson / Western Electric run rules."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pdkit.errors import InputError
from pdkit.trending import imr_chart

# Baseline block (points 1-8): mean 0, average moving range 10.4/7, no rule fires within it.
# In sigma units (sigma = MRbar/1.128 = 1.3171) it is
# 0.38, -0.38, 1.14, -0.38, 0.38, -1.14, 0.23, -0.23 (alternating up/down for 8 points).
BASE = [0.5, -0.5, 1.5, -0.5, 0.5, -1.5, 0.3, -0.3]
SIGMA = (10.4 / 7) / 1.128


def series(pattern_in_sigma):
    """The baseline followed by a pattern given in sigma units from the baseline centre (0)."""
    return BASE + [SIGMA * z for z in pattern_in_sigma]


def fired(result):
    s = result.signals
    s = s[s["chart"] == "I"]
    return sorted(zip(s["point"].tolist(), s["rule"].tolist()))


def test_nist_individuals_chart_example():
    """NIST/SEMATECH e-Handbook 6.3.2.2 (individuals control chart example, 10 batches):
    mean 50.81, MRbar = 1.8778, UCL = 50.81 + 3(1.8778/1.128) = 55.8041, LCL = 45.8159,
    moving-range UCL = 3.267 x 1.8778 = 6.1347; the process is in control."""
    x = [49.6, 47.6, 49.9, 51.3, 47.8, 51.2, 52.6, 52.4, 53.6, 52.1]
    r = imr_chart(x)
    assert r.center == pytest.approx(50.81)
    assert r.mr_center == pytest.approx(1.8778, abs=5e-5)
    assert r.ucl == pytest.approx(55.8041, abs=2e-4)
    assert r.lcl == pytest.approx(45.8159, abs=2e-4)
    assert r.mr_ucl == pytest.approx(6.1347, abs=2e-4)
    assert r.in_control
    pts = r.points
    assert np.isnan(pts.loc[0, "moving_range"]) and pts.loc[1, "moving_range"] == pytest.approx(2.0)
    assert list(pts.columns[:9]) == ["point", "label", "value", "moving_range", "center", "lcl", "ucl",
                                     "mr_center", "mr_ucl"]


def test_baseline_alone_is_quiet_and_limits_hand_calculated():
    r = imr_chart(BASE, rules="nelson")
    assert r.center == pytest.approx(0.0) and r.sigma == pytest.approx(SIGMA)
    assert r.signals.empty
    assert r.ucl == pytest.approx(2.66 * 10.4 / 7, rel=1e-3)  # E2 = 2.66 (Montgomery Table)


NELSON_CASES = {
    1: ([0.2, 3.5, 0.8], [(10, 1)]),
    2: ([0.5, 0.6, 0.3, 0.4, 0.2, 0.7, 0.8, 0.4, 0.5, -0.5], [(17, 2)]),
    3: ([-0.8, -0.5, -0.2, 0.1, 0.4, 0.7, 0.2], [(14, 3)]),
    # continues the baseline's alternation: points 1-15 alternate (14 differences)
    4: ([0.5, -0.4, 0.6, -0.5, 0.4, -0.6, 0.5, 0.5], [(14, 4), (15, 4)]),
    5: ([2.5, 0.5, 2.4, 0.3, -0.2], [(11, 5)]),
    6: ([1.5, 1.2, 0.5, 1.8, 1.3, 0.2], [(13, 6)]),
    # points 7-22 are within 1 sigma (16 points): rule 7 at 21 and 22
    7: ([0.4, 0.6, -0.2, 0.5, 0.1, -0.3, 0.2, -0.4, -0.5, 0.3, 0.6, -0.1, 0.2, 0.4, 1.5], [(21, 7), (22, 7)]),
    8: ([1.5, 1.3, -1.4, -1.2, 1.6, 1.2, -1.5, -1.3, 0.2], [(16, 8)]),
}


@pytest.mark.parametrize("rule", sorted(NELSON_CASES))
def test_each_nelson_rule_fires_exactly_where_expected(rule):
    pattern, expected = NELSON_CASES[rule]
    r = imr_chart(series(pattern), rules="nelson", baseline=8)
    assert r.sigma == pytest.approx(SIGMA)
    assert fired(r) == expected
    # the per-point table agrees with the signals table
    flagged = r.points.loc[r.points["signal"], "point"].tolist()
    assert flagged == sorted({p for p, _ in expected})
    assert r.points.loc[expected[0][0] - 1, "rules"] == str(rule)


WE_CASES = {
    1: (NELSON_CASES[1][0], [(10, 1)]),
    2: (NELSON_CASES[5][0], [(11, 2)]),
    3: (NELSON_CASES[6][0], [(13, 3)]),
    4: (NELSON_CASES[2][0], [(16, 4), (17, 4)]),
}


@pytest.mark.parametrize("rule", sorted(WE_CASES))
def test_each_western_electric_rule_fires_exactly_where_expected(rule):
    pattern, expected = WE_CASES[rule]
    r = imr_chart(series(pattern), rules="western_electric", baseline=8)
    assert fired(r) == expected
    assert set(r.signals["description"]) <= {
        "1 point beyond 3 sigma",
        "2 of 3 points in a row beyond 2 sigma, same side",
        "4 of 5 points in a row beyond 1 sigma, same side",
        "8 points in a row on the same side of the center line",
    }


def test_moving_range_signal_and_labels():
    x = series([0.2, 3.5, -0.2])  # jump 3.7 sigma > D4*d2 = 3.685 sigma at point 11
    labels = [f"L{i:02d}" for i in range(1, len(x) + 1)]
    r = imr_chart(x, labels=labels, baseline=8)
    mr = r.signals[r.signals["chart"] == "MR"]
    assert mr["point"].tolist() == [11] and mr["label"].tolist() == ["L11"]
    assert r.points["mr_signal"].sum() == 1
    assert r.points["baseline"].sum() == 8
    assert not r.in_control


def test_series_index_used_as_labels_and_input_not_modified():
    s = pd.Series([10.0, 10.4, 9.8, 10.1, 10.3], index=["A", "B", "C", "D", "E"])
    before = s.copy()
    r = imr_chart(s)
    assert r.points["label"].tolist() == ["A", "B", "C", "D", "E"]
    pd.testing.assert_series_equal(s, before)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"values": [1.0, 2.0]}, "need at least 3 values"),
        ({"values": [1.0, "x", 2.0, 3.0]}, "values, position 2: expected a number, got 'x'"),
        ({"values": [1.0, 2.0, 3.0], "rules": "westgard"}, "parameter 'rules'"),
        ({"values": [1.0, 2.0, 3.0], "labels": ["a"]}, "parameter 'labels': expected 3 labels"),
        ({"values": [1.0, 2.0, 3.0], "baseline": 2}, "parameter 'baseline'"),
        ({"values": [1.0, 2.0, 3.0], "baseline": 4}, "parameter 'baseline'"),
        ({"values": [2.0, 2.0, 2.0]}, "identical"),
    ],
)
def test_imr_bad_input(kwargs, match):
    with pytest.raises(InputError, match=match):
        imr_chart(**kwargs)


def test_figures_build_and_serialise():
    from bokeh.embed import json_item

    from pdkit.plots.trending import capability_figure, imr_figure
    from pdkit.stats import capability

    x = series(NELSON_CASES[1][0])
    layout = imr_figure(imr_chart(x, baseline=8), value_label="supercoiled (%)")
    top, bottom = layout.children
    assert top.yaxis.axis_label == "supercoiled (%)" and "1 signalled" in top.title.text
    assert bottom.x_range is top.x_range
    json_item(layout)
    fig = capability_figure(x, capability(x, lsl=-5, usl=6), value_label="A260/280")
    assert fig.xaxis.axis_label == "A260/280" and fig.title.text.startswith("Capability: Cpk")
    json_item(fig)
    one_sided = capability_figure(x, capability(x, lsl=-5))
    assert "n/a" not in one_sided.title.text


# ----------------------------------------------------------------------------- ordering by date
from pdkit.trending import parse_dates  # noqa: E402

# NIST e-Handbook 6.3.2.2 values with weekly dates, given to imr_chart shuffled
NIST_X = [49.6, 47.6, 49.9, 51.3, 47.8, 51.2, 52.6, 52.4, 53.6, 52.1]
NIST_DATES = pd.date_range("2024-01-01", periods=10, freq="7D")


def test_date_order_reproduces_the_nist_chart_from_shuffled_input():
    """Shuffled input + its dates gives exactly the NIST 6.3.2.2 chart (MRbar 1.8778 depends on
    the order; in file order it would differ)."""
    perm = [3, 9, 0, 5, 1, 8, 2, 7, 4, 6]
    x = [NIST_X[i] for i in perm]
    d = [NIST_DATES[i].strftime("%d.%m.%Y") for i in perm]
    labels = [f"B{i + 1}" for i in perm]
    r = imr_chart(x, labels=labels, date=d, date_format="%d.%m.%Y")
    assert r.points["value"].tolist() == NIST_X
    assert r.points["label"].tolist() == [f"B{i}" for i in range(1, 11)]
    assert r.mr_center == pytest.approx(1.8778, abs=5e-5) and r.ucl == pytest.approx(55.8041, abs=2e-4)
    assert r.points["input_row"].tolist() == [perm.index(i) + 1 for i in range(10)]
    assert r.points["date"].tolist() == list(NIST_DATES)
    assert r.dated and r.ties.empty
    unordered = imr_chart(x)
    assert unordered.mr_center != pytest.approx(r.mr_center)


def test_datetime64_dates_accepted_without_format():
    s = pd.Series(NIST_X[::-1], index=[f"B{i}" for i in range(10, 0, -1)])
    r = imr_chart(s, date=pd.Series(NIST_DATES[::-1]))
    assert r.points["label"].tolist() == [f"B{i}" for i in range(1, 11)]
    assert r.center == pytest.approx(50.81)


def test_ties_are_reported_and_ordered_by_lot_label_naturally():
    """Hand case: L10 and L9 share 2024-03-11 -> L9 before L10 (natural order, not text order),
    whatever their input order; the tie is listed in ``ties`` and in the notes."""
    x = [5.0, 1.0, 3.0, 2.0]
    labels = ["L11", "L10", "L9", "L8"]
    dates = ["2024-03-18", "2024-03-11", "2024-03-11", "2024-03-04"]
    r = imr_chart(x, labels=labels, date=dates, date_format="%Y-%m-%d")
    assert r.points["label"].tolist() == ["L8", "L9", "L10", "L11"]
    assert r.points["value"].tolist() == [2.0, 3.0, 1.0, 5.0]
    assert r.ties.to_dict("records") == [{"date": pd.Timestamp("2024-03-11"), "n": 2, "labels": "L9, L10"}]
    assert any("ordered by lot label" in n for n in r.notes)
    # moving ranges follow the date order: |3-2|, |1-3|, |5-1|
    assert r.points["moving_range"].tolist()[1:] == [1.0, 2.0, 4.0]


def test_unparseable_date_names_row_and_column():
    with pytest.raises(InputError, match=r"column 'made_on', row 2 \(lot 'B'\): '10/6' does not match date format "
                                         r"'%m/%d/%Y'"):
        imr_chart([1.0, 2.0, 3.5], labels=["A", "B", "C"], date=["10/05/2024", "10/6", "10/07/2024"],
                  date_format="%m/%d/%Y", date_column="made_on")
    with pytest.raises(InputError, match=r"row 1: '10/6/24' does not match"):  # %Y needs four digits
        parse_dates(["10/6/24"], "%m/%d/%Y")


def test_text_dates_need_an_explicit_format_and_other_bad_dates():
    with pytest.raises(InputError, match=r"column 'date', row 1: dates are text .* give date_format"):
        imr_chart([1.0, 2.0, 3.5], date=["2024-01-01", "2024-01-02", "2024-01-03"])
    with pytest.raises(InputError, match=r"row 3: date is missing"):
        parse_dates(["2024-01-01", "2024-01-02", None], "%Y-%m-%d")
    with pytest.raises(InputError, match=r"row 2: expected a date, got the number 45000"):
        parse_dates([pd.Timestamp("2024-01-01"), 45000], "%Y-%m-%d")
    with pytest.raises(InputError, match=r"parameter 'date': expected 3 dates"):
        imr_chart([1.0, 2.0, 3.5], date=["2024-01-01"], date_format="%Y-%m-%d")
    with pytest.raises(InputError, match=r"parameter 'date': expected one date per value"):
        imr_chart([1.0, 2.0, 3.5], date="date")
    with pytest.raises(InputError, match=r"parameter 'date_format'"):
        parse_dates(["2024-01-01"], "YYYY-MM-DD")


def test_baseline_counts_the_earliest_dates():
    x = series(NELSON_CASES[1][0])  # 11 values: baseline 8 then a 3.5-sigma point at 10
    n = len(x)
    dates = pd.date_range("2024-01-01", periods=n, freq="D")
    rev = list(range(n))[::-1]
    r = imr_chart([x[i] for i in rev], date=[dates[i] for i in rev], baseline=8)
    assert r.sigma == pytest.approx(SIGMA)
    assert fired(r) == [(10, 1)]


def test_date_axis_in_figure():
    from bokeh.embed import json_item
    from bokeh.models import DatetimeAxis

    from pdkit.plots.trending import imr_figure

    r = imr_chart(NIST_X, date=list(NIST_DATES), baseline=6)
    layout = imr_figure(r, value_label="yield (%)")
    top, bottom = layout.children
    assert isinstance(top.xaxis[0], DatetimeAxis) and isinstance(bottom.xaxis[0], DatetimeAxis)
    assert top.xaxis[0].axis_label == "date"
    json_item(layout)
    plain = imr_figure(imr_chart(NIST_X)).children[0]
    assert not isinstance(plain.xaxis[0], DatetimeAxis) and plain.xaxis[0].axis_label == "lot (order)"
