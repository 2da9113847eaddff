"""Tests for pdkit.tutorial.check, the course answer checker, and the exercise registry.

The expected values are computed by pdkit itself (``compute:`` entries) and are checked
against hand calculations here, so a change in the package that changes an answer shows up.
"""
from __future__ import annotations

import math
import re

import numpy as np
import pytest

from pdkit import tutorial
from pdkit.errors import InputError
from pdkit.units import registry as ureg


def _digits(value: float) -> list[str]:
    """Forms of the expected value that must not appear in the printed output."""
    forms = {f"{value:.3g}", f"{value:.4g}", f"{value:.5g}", repr(float(value))}
    return [f for f in forms if sum(c.isdigit() for c in f) >= 2]


def _run(capsys, exercise_id, answer, **kw):
    result = tutorial.check(exercise_id, answer, **kw)
    out = capsys.readouterr().out
    assert out.count("\n") == 1, f"expected exactly one printed line, got {out!r}"
    return result, out.strip()


# ----------------------------------------------------------------------------- registry
def test_registry_is_valid_and_hints_do_not_leak():
    assert tutorial.validate_registry() == []
    ids = tutorial.exercise_ids()
    assert {"scaleup.tip_speed_200L", "facility.batches_per_year"} <= set(ids)


def test_solutions_match_hand_calculations():
    s = tutorial.solution
    assert s("scaleup.tip_speed_200L") == pytest.approx(math.pi * 2.0 * 0.2)  # pi N D
    assert s("scaleup.speed_constant_pv_2000L") == pytest.approx(120 * 10 ** (-2 / 9))
    assert s("scaleup.pv_bench_2L") == pytest.approx(1.5 * 1000 * (200 / 60) ** 3 * 0.05**5 / 0.002)
    assert s("scaleup.kla_coalescing") == pytest.approx(0.026 * 100**0.4 * 0.002**0.5)
    assert s("scaleup.impeller_diameters_50_200L") == pytest.approx([0.05 * 25 ** (1 / 3), 0.05 * 100 ** (1 / 3)], rel=1e-4)
    assert s("facility.batches_per_year") == 19  # floor(330 / 17)
    assert s("facility.doses_per_year") == pytest.approx(1e10 * 1000 * 2000 * 0.3 * 19 / 1e15)
    assert s("facility.utilisation") == pytest.approx(19 * 17 / 330)
    assert s("facility.cogs_per_dose") == pytest.approx((5e6 + 3e6 + 2e6 + 4e5 * 19) / 114)


# ----------------------------------------------------------------------------- numeric answers
def test_right_answer(capsys):
    ok, out = _run(capsys, "scaleup.tip_speed_200L", 1.2566)
    assert ok is True and out == "Right!"
    ok, _ = _run(capsys, "scaleup.tip_speed_200L", np.float64(1.26))  # within 1 %
    assert ok


def test_close_answer_gives_hint_not_value(capsys):
    expected = tutorial.solution("scaleup.tip_speed_200L")
    ok, out = _run(capsys, "scaleup.tip_speed_200L", 1.2)  # 4.5 % off
    assert ok is False
    assert out.startswith("Close") and "Hint:" in out
    for form in _digits(expected):
        assert form not in out


def test_wrong_answer_gives_hint_not_value(capsys):
    expected = tutorial.solution("facility.cogs_per_dose")
    ok, out = _run(capsys, "facility.cogs_per_dose", 1.0e6)
    assert ok is False
    assert out.startswith("Not right yet") and "Hint:" in out
    for form in _digits(expected) + [str(round(expected)), f"{expected:,.0f}"]:
        assert form not in out


def test_integer_exercise_exact(capsys):
    assert _run(capsys, "facility.batches_per_year", 19)[0]
    ok, out = _run(capsys, "facility.batches_per_year", 19.4)  # not rounded down
    assert not ok and out.startswith("Close")
    ok, out = _run(capsys, "facility.batches_per_year", 365 / 17)
    assert not ok and out.startswith("Not right yet")
    assert "19" not in out


def test_non_numeric_answer_is_wrong_not_traceback(capsys):
    for bad in ("fast", None, True, [1.2], {"v": 1}):
        ok, out = _run(capsys, "scaleup.tip_speed_200L", bad)
        assert ok is False
        assert out.startswith("Not right yet: expected a number in m/s. Hint:")
    ok, out = _run(capsys, "scaleup.tip_speed_200L", float("nan"))
    assert not ok and out.startswith("Not right yet")


def test_answers_with_units(capsys):
    assert _run(capsys, "scaleup.tip_speed_200L", "1.2566 m/s")[0]
    assert _run(capsys, "scaleup.tip_speed_200L", "125.7 cm/s")[0]
    assert _run(capsys, "scaleup.tip_speed_200L", ureg().Quantity(4.5239, "km/hour"))[0]
    assert _run(capsys, "scaleup.tip_speed_200L", "1.2566")[0]  # number as text
    ok, out = _run(capsys, "scaleup.tip_speed_200L", "1.2566 kg")
    assert not ok and "expected a value in m/s" in out
    # kLa in 1/h: 0.0073365 1/s x 3600 = 26.41 1/h
    assert _run(capsys, "scaleup.kla_coalescing", "26.41 1/h")[0]
    # a percentage for a fraction
    assert _run(capsys, "facility.utilisation", "97.88 %")[0]


# ----------------------------------------------------------------------------- text and list answers
def test_text_answer(capsys):
    assert _run(capsys, "scaleup.criterion_same_speed", "mixing_time")[0]
    assert _run(capsys, "scaleup.criterion_same_speed", "  Mixing Time ")[0]
    assert _run(capsys, "scaleup.criterion_same_speed", "constant mixing time")[0]
    ok, out = _run(capsys, "scaleup.criterion_same_speed", "mixing tme")
    assert not ok and out.startswith("Close")
    ok, out = _run(capsys, "scaleup.criterion_same_speed", "tip_speed")
    assert not ok and out.startswith("Not right yet") and "mixing" not in out.casefold()
    ok, out = _run(capsys, "scaleup.criterion_same_speed", 3)
    assert not ok and "expected a text answer" in out


def test_list_answer(capsys):
    assert _run(capsys, "scaleup.impeller_diameters_50_200L", [0.1462, 0.2321])[0]
    assert _run(capsys, "scaleup.impeller_diameters_50_200L", np.array([0.1462, 0.2321]))[0]
    ok, out = _run(capsys, "scaleup.impeller_diameters_50_200L", [0.2321, 0.1462])  # order matters
    assert not ok and out.startswith("Not right yet")
    ok, out = _run(capsys, "scaleup.impeller_diameters_50_200L", [0.14, 0.24])
    assert not ok and out.startswith("Close")
    ok, out = _run(capsys, "scaleup.impeller_diameters_50_200L", [0.1462])
    assert not ok and "expected a list of 2 values, got 1" in out
    ok, out = _run(capsys, "scaleup.impeller_diameters_50_200L", 0.1462)
    assert not ok and "expected a list of 2 values" in out
    assert "0.146" not in out and "0.232" not in out


# ----------------------------------------------------------------------------- unknown ids and bad registries
def test_unknown_id_lists_similar():
    with pytest.raises(InputError, match=r"unknown exercise id 'scaleup.tip_speed_200l'; did you mean 'scaleup.tip_speed_200L'"):
        tutorial.check("scaleup.tip_speed_200l", 1.0)
    with pytest.raises(InputError, match=r"did you mean .*'facility\."):
        tutorial.check("facility.zzz", 1.0)
    with pytest.raises(InputError, match="exercise id: expected a text"):
        tutorial.check(42, 1.0)
    with pytest.raises(InputError, match="unknown exercise id"):
        tutorial.solution("nope")


def _write(tmp_path, body: str):
    p = tmp_path / "ex.yaml"
    p.write_text(body, encoding="utf-8")
    return p


def test_custom_registry(tmp_path, capsys):
    p = _write(tmp_path, """
exercises:
  - id: demo.zero
    expected: 0.0
    abs_tol: 0.01
    hint_close: near
    hint_wrong: think about it
  - id: demo.sets
    expected: [apple, pear]
    ordered: false
    hint_close: spelling
    hint_wrong: fruit
""")
    assert tutorial.check("demo.zero", 0.005, registry=p)
    assert not tutorial.check("demo.zero", 0.5, registry=p)
    assert tutorial.check("demo.sets", ["Pear", "apple"], registry=p)
    capsys.readouterr()
    assert tutorial.validate_registry(p) == []


@pytest.mark.parametrize(
    "body, match",
    [
        ("exercises: 3", "expected a top-level 'exercises:' list"),
        ("exercises:\n  - id: a.b\n    hint_close: x\n    hint_wrong: y\n", "give exactly one of 'expected' or 'compute'"),
        ("exercises:\n  - id: a.b\n    expected: 1\n    hint_wrong: y\n", "entry 1 \\('a.b'\\): missing 'hint_close'"),
        ("exercises:\n  - {id: a.b, expected: 1, hint_close: x, hint_wrong: y}\n  - {id: a.b, expected: 2, hint_close: x, hint_wrong: y}\n",
         "entry 2 \\('a.b'\\): duplicated id"),
        ("exercises:\n  - {id: a.b, expected: 1, hint_close: x, hint_wrong: y, rel_tol: 0.2}\n", "'close_tol' \\(0.1\\) must be >= 'rel_tol'"),
        ("exercises:\n  - {id: a.b, compute: 'os:system', hint_close: x, hint_wrong: y}\n", "'compute' must look like 'pdkit.module:function'"),
        ("exercises:\n  - {id: a.b, expected: 1, hint_close: x, hint_wrong: y, tolerance: 1}\n", "unknown key\\(s\\) \\['tolerance'\\]"),
        ("exercises:\n  - {id: a.b, expected: 1, unit: furlongs_per_blob, hint_close: x, hint_wrong: y}\n", "unknown unit"),
        ("exercises: [\n", "not valid YAML"),
    ],
)
def test_bad_registry_messages(tmp_path, body, match):
    p = _write(tmp_path, body)
    with pytest.raises(InputError, match=match):
        tutorial.load_registry(p)


def test_validate_registry_finds_leaks_and_broken_compute(tmp_path):
    p = _write(tmp_path, """
exercises:
  - {id: a.leak, expected: 12.5, hint_close: "the answer is 12.5", hint_wrong: "no"}
  - {id: a.broken, compute: "pdkit.scaleup:no_such_function", hint_close: x, hint_wrong: y}
""")
    problems = tutorial.validate_registry(p)
    assert any(re.search(r"a.leak: hint_close contains the answer", x) for x in problems)
    assert any("a.broken: expected value cannot be computed" in x for x in problems)
