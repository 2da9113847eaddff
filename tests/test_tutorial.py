"""Tests for the course assessment API (pdkit.tutorial), the exercise registry and the trainer material.

The expected values are computed by pdkit itself (``compute:`` entries) and are checked against hand
calculations here (pi N D for tip speed; floor(days / (cycle + changeover)) for batches; van 't Riet
1979 for kLa), so a change in the package that changes an answer shows up.  Grading is tested on a
registry written by the tests (the former generic ``scaleup.*``/``facility.*`` exercises, which no
lesson used and which were removed from the course registry) and on the packaged example registry.
"""
from __future__ import annotations

import math
import os
import re
from pathlib import Path

import numpy as np
import pytest

from pdkit import escape, tutorial
from pdkit.course import registry as reg
from pdkit.course import trainer
from pdkit.course.meta import course_info, lesson_header, lesson_info
from pdkit.errors import InputError
from pdkit.units import registry as ureg

ROOT = Path(__file__).resolve().parents[1]
COURSE = ROOT / "notebooks" / "course"
EXAMPLE = reg.EXAMPLE_REGISTRY

GRADING = """
exercises:
  - id: scaleup.tip_speed_200L
    question: A 200 L bioreactor has a 0.20 m impeller turning at 120 rpm. What is the tip speed in m/s?
    compute: "pdkit.scaleup:tip_speed"
    kwargs: {n_rps: 2.0, diameter: 0.20}
    unit: m/s
    hint_close: Nearly there - check your rounding and that you used the diameter, not the radius.
    hint_wrong: Tip speed is pi x N x D with N in revolutions per second (divide rpm by 60) and D in m.
  - id: scaleup.speed_constant_pv_2000L
    compute: "pdkit.scaleup:impeller_speed"
    kwargs: {n1: 120.0, d1: 0.20, d2: 0.4308869380063768, criterion: power_per_volume}
    unit: rpm
    hint_close: Close - keep more digits in the diameter ratio.
    hint_wrong: Diameters scale with the cube root of the volume ratio.
  - id: scaleup.kla_coalescing
    compute: "pdkit.scaleup:kla_van_t_riet"
    kwargs: {p_per_v: 100.0, u_s: 0.002, medium: coalescing}
    unit: 1/s
    rel_tol: 0.02
    close_tol: 0.15
    hint_close: Close - check the exponents.
    hint_wrong: Use van 't Riet's correlation for coalescing media.
  - id: scaleup.criterion_same_speed
    expected: mixing_time
    accept: [mixing time, constant mixing time]
    hint_close: Check the spelling of the criterion name.
    hint_wrong: Write each rule as N2 = N1 (D1/D2)^a. Which criterion has a = 0?
  - id: scaleup.impeller_diameters_50_200L
    expected: [0.14620, 0.23208]
    unit: m
    hint_close: Close - keep more digits in the cube roots.
    hint_wrong: Lengths scale with the cube root of the volume ratio.
  - id: facility.batches_per_year
    compute: "pdkit.facility:batches_per_year"
    kwargs: {cycle_time_days: 14, changeover_days: 3, available_days: 330}
    rel_tol: 0.0
    hint_close: Close - round down; a partial batch cannot be released.
    hint_wrong: Divide the available days by (cycle time + changeover) and round down.
  - id: facility.utilisation
    compute: "pdkit.facility:suite_utilisation"
    kwargs: {batches: 19, cycle_time_days: 14, changeover_days: 3, available_days: 330}
    rel_tol: 0.005
    close_tol: 0.05
    hint_close: Close - keep three significant digits.
    hint_wrong: Utilisation = batches x (cycle time + changeover) / available days, as a fraction.
  - id: facility.cogs_per_dose
    compute: "pdkit.facility:cost_model"
    kwargs:
      inputs: {titer_per_ml: 1.0e+10, working_volume_l: 2000.0, dsp_yield: 0.3, dose: 1.0e+15,
               cycle_time_days: 14, changeover_days: 3, available_days: 330, facility_per_year: 5.0e+6,
               labour_per_year: 3.0e+6, qc_qa_per_year: 2.0e+6, materials_per_batch: 4.0e+5}
    attribute: total_per_dose
    hint_close: Close - check your rounding.
    hint_wrong: Divide the yearly costs (materials for every batch) by the doses per year.
"""


@pytest.fixture(autouse=True)
def _isolated(tmp_path, monkeypatch):
    """No records and no keys outside the test's folder; no trainee workspace above the cwd."""
    monkeypatch.setenv("PDKIT_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("PDKIT_COURSE_RECORDS", "off")
    monkeypatch.delenv("PDKIT_TRAINEE", raising=False)
    monkeypatch.chdir(tmp_path)


@pytest.fixture()
def grading(tmp_path) -> Path:
    p = tmp_path / "grading.yaml"
    p.write_text(GRADING, encoding="utf-8")
    return p


def _expected(ex_id, registry, variant=None):
    return reg.expected_value(reg.get_exercise(ex_id, registry), variant)


def _run(capsys, func, *args, **kw):
    result = func(*args, **kw)
    out = capsys.readouterr().out
    assert out.count("\n") == 1, f"expected exactly one printed line, got {out!r}"
    return result, out.strip()


# ----------------------------------------------------------------------------- the public surface
def test_public_api_has_no_solution_access():
    for hidden in ("solution", "expected_value", "expected", "solutions", "model_answers"):
        assert not hasattr(tutorial, hidden), hidden
    assert "solution" not in tutorial.__all__ and "expected_value" not in tutorial.__all__
    for name in ("check", "exercise", "choose", "interpret", "explain", "answer", "hint", "lesson_header"):
        assert callable(getattr(tutorial, name)) and name in tutorial.__all__
    assert tutorial.answer is tutorial.explain
    import pdkit.course.tutorial as home

    assert tutorial is home  # pdkit.tutorial is an alias of pdkit.course.tutorial


# ----------------------------------------------------------------------------- registry and leaks
def test_course_registry_is_valid_and_no_hint_or_question_leaks():
    """Every hint and question of every exercise, for every variant, against every solution form."""
    assert tutorial.validate_registry() == []
    assert reg.validate_registry(EXAMPLE) == []


def test_solutions_match_hand_calculations(grading):
    s = lambda i: _expected(i, grading)  # noqa: E731
    assert s("scaleup.tip_speed_200L") == pytest.approx(math.pi * 2.0 * 0.2)  # pi N D
    assert s("scaleup.speed_constant_pv_2000L") == pytest.approx(120 * 10 ** (-2 / 9))
    assert s("scaleup.kla_coalescing") == pytest.approx(0.026 * 100**0.4 * 0.002**0.5)  # van 't Riet 1979
    assert s("facility.batches_per_year") == 19  # floor(330 / 17)
    assert s("facility.utilisation") == pytest.approx(19 * 17 / 330)
    assert s("facility.cogs_per_dose") == pytest.approx((5e6 + 3e6 + 2e6 + 4e5 * 19) / 114)
    ex = reg.get_exercise("example.tip_speed", EXAMPLE)
    assert reg.expected_value(ex, {"rpm": 150, "diameter_m": 0.25}) == pytest.approx(math.pi * 2.5 * 0.25)
    ex = reg.get_exercise("example.batches_per_year", EXAMPLE)
    assert reg.expected_value(ex, {"available_days": 300, "cycle_days": 13, "changeover_days": 4}) == 17


def test_leak_forms_cover_common_formats():
    forms = reg.leak_forms(12345.678)
    assert {"12,300", "12300", "12,346", "12346", "12,345.7", "12345.68"} <= forms
    assert "0.316" in reg.leak_forms(0.31612) and "31.6" in reg.leak_forms(0.31612)  # fraction as percent
    assert "1.26" in reg.leak_forms(1.2566) and "1.257" in reg.leak_forms(1.2566)
    assert "19" in reg.leak_forms(19) and "100" not in reg.leak_forms(99.7)  # 100: one significant digit
    assert reg.leak_forms("mixing_time") == {"mixing time"}


@pytest.mark.parametrize("hint, caught", [
    ("the speed is about 1.26 m/s", True),                # 3 significant figures
    ("the speed is about 1.257 m/s", True),               # 4
    ("pi x 0.2 x 2 gives it", False),                     # the inputs are not the answer
    ("use scaleup.tip_speed(2.0, 0.2)", True),            # solution code
    ("answer = pi * d * n", True),                        # solution code
    ("use scaleup.tip_speed", False),                     # naming the function is fine
])
def test_validate_registry_catches_leaks_in_hints(tmp_path, hint, caught):
    p = tmp_path / "leak.yaml"
    p.write_text(f"""
exercises:
  - id: a.tip
    compute: "pdkit.scaleup:tip_speed"
    kwargs: {{n_rps: 2.0, diameter: 0.20}}
    hint_close: "near"
    hint_wrong: "{hint}"
""")
    problems = reg.validate_registry(p)
    assert bool(problems) is caught, problems
    if caught:
        assert problems[0].startswith("a.tip: hint_wrong contains")


def test_validate_registry_scans_every_variant(tmp_path):
    """A hint may be harmless for one trainee and give the answer to another: every variant is checked."""
    p = tmp_path / "v.yaml"
    # answer = 2 x f with f in 10.1 ... 10.9: the hint's 21.4 is the answer of the f = 10.7 variant only
    p.write_text("""
exercises:
  - id: a.double
    question: Double {f}.
    variants: {f: {range: [10.1, 10.9], round: 1}}
    compute: "pdkit.units:convert"
    kwargs: {values: "{twice}", from_unit: m, to_unit: m}
    derived: {twice: "2 * f"}
    hint_close: "near"
    hint_wrong: "for example 21.4 is what you get for one case"
  - id: a.echo
    question: What is {f} in m?
    variants: {f: {range: [10.1, 10.9], round: 1}}
    compute: "pdkit.units:convert"
    kwargs: {values: "{f}", from_unit: m, to_unit: m}
    hint_close: "near"
    hint_wrong: "no"
""")
    problems = reg.validate_registry(p)
    assert any(x.startswith("a.double: hint_wrong contains the answer ('21.4')") for x in problems), problems
    assert any(x.startswith("a.echo: question contains the answer") for x in problems), problems


def test_choice_hint_must_not_name_the_right_option(tmp_path):
    p = tmp_path / "c.yaml"
    p.write_text("""
exercises:
  - id: a.pick
    kind: choice
    question: Which one?
    options: {a: constant tip speed, b: constant mixing time}
    expected: b
    hint_wrong: think of constant mixing time
""")
    assert reg.validate_registry(p) == ["a.pick: hint_wrong contains the answer ('constant mixing time')"]


# ----------------------------------------------------------------------------- value exercises
def test_right_answer(capsys, grading):
    ok, out = _run(capsys, tutorial.check, "scaleup.tip_speed_200L", 1.2566, registry=grading)
    assert ok is True and out == "Right!"
    assert _run(capsys, tutorial.check, "scaleup.tip_speed_200L", np.float64(1.26), registry=grading)[0]


def test_close_and_wrong_answers_give_hints_not_values(capsys, grading):
    expected = _expected("scaleup.tip_speed_200L", grading)
    ok, out = _run(capsys, tutorial.check, "scaleup.tip_speed_200L", 1.2, registry=grading)  # 4.5 % off
    assert ok is False and out.startswith("Close") and "Hint:" in out
    assert not [f for f in reg.leak_forms(expected) if f in out]
    cogs = _expected("facility.cogs_per_dose", grading)
    ok, out = _run(capsys, tutorial.check, "facility.cogs_per_dose", 1.0e6, registry=grading)
    assert ok is False and out.startswith("Not right yet") and "Hint:" in out
    assert not [f for f in reg.leak_forms(cogs) if f in out]


def test_integer_exercise_exact(capsys, grading):
    assert _run(capsys, tutorial.check, "facility.batches_per_year", 19, registry=grading)[0]
    ok, out = _run(capsys, tutorial.check, "facility.batches_per_year", 19.4, registry=grading)
    assert not ok and out.startswith("Close")
    ok, out = _run(capsys, tutorial.check, "facility.batches_per_year", 365 / 17, registry=grading)
    assert not ok and out.startswith("Not right yet") and "19" not in out


def test_non_numeric_answer_is_wrong_not_traceback(capsys, grading):
    for bad in ("fast", None, True, [1.2], {"v": 1}):
        ok, out = _run(capsys, tutorial.check, "scaleup.tip_speed_200L", bad, registry=grading)
        assert ok is False and out.startswith("Not right yet: expected a number in m/s. Hint:")
    ok, out = _run(capsys, tutorial.check, "scaleup.tip_speed_200L", float("nan"), registry=grading)
    assert not ok and out.startswith("Not right yet")


def test_answers_with_units(capsys, grading):
    c = lambda a, i="scaleup.tip_speed_200L": _run(capsys, tutorial.check, i, a, registry=grading)  # noqa: E731
    assert c("1.2566 m/s")[0] and c("125.7 cm/s")[0] and c(ureg().Quantity(4.5239, "km/hour"))[0] and c("1.2566")[0]
    ok, out = c("1.2566 kg")
    assert not ok and "expected a value in m/s" in out
    assert c("26.41 1/h", "scaleup.kla_coalescing")[0]  # 0.0073365 1/s x 3600
    assert c("97.88 %", "facility.utilisation")[0]


def test_text_and_list_answers(capsys, grading):
    c = lambda a, i="scaleup.criterion_same_speed": _run(capsys, tutorial.check, i, a, registry=grading)  # noqa: E731
    assert c("mixing_time")[0] and c("  Mixing Time ")[0] and c("constant mixing time")[0]
    ok, out = c("mixing tme")
    assert not ok and out.startswith("Close")
    ok, out = c("tip_speed")
    assert not ok and "mixing" not in out.casefold()
    ok, out = c(3)
    assert not ok and "expected a text answer" in out
    d = "scaleup.impeller_diameters_50_200L"
    assert c([0.1462, 0.2321], d)[0] and c(np.array([0.1462, 0.2321]), d)[0]
    assert not c([0.2321, 0.1462], d)[0]  # order matters
    ok, out = c([0.1462], d)
    assert not ok and "expected a list of 2 values, got 1" in out and "0.146" not in out


def test_check_none_is_friendly_and_not_recorded(capsys, grading, monkeypatch, tmp_path):
    monkeypatch.setenv("PDKIT_COURSE_RECORDS", "on")
    monkeypatch.setattr(reg, "REGISTRY_PATH", grading)
    monkeypatch.setattr(reg, "REGISTRY_DIR", tmp_path / "none")
    ok, out = _run(capsys, tutorial.check, "facility.batches_per_year", None)
    assert ok is False and "not answered yet" in out and "19" not in out
    assert not (tmp_path / "home" / "training").exists()  # nothing recorded, no key made


# ----------------------------------------------------------------------------- variants
def test_variants_stable_for_a_trainee_and_differ_between_trainees():
    ex = reg.get_exercise("example.tip_speed", EXAMPLE)
    first = reg.variant_for(ex, "alice", "1.0")
    assert all(reg.variant_for(ex, "alice", "1.0") == first for _ in range(3))
    others = {tuple(reg.variant_for(ex, f"trainee-{i}", "1.0").items()) for i in range(30)}
    assert len(others) >= 20  # 121 possible variants
    assert any(reg.variant_for(ex, "alice", v) != first for v in ("1.1", "2.0", "3.0"))
    for v in (reg.variant_for(ex, f"t{i}", "1.0") for i in range(50)):
        assert 100 <= v.rpm <= 150 and v.rpm % 5 == 0 and isinstance(v.rpm, int)
        assert 0.15 <= v.diameter_m <= 0.25 and round(v.diameter_m, 2) == v.diameter_m


def test_variant_independent_of_global_random_state():
    import random

    ex = reg.get_exercise("example.tip_speed", EXAMPLE)
    random.seed(1)
    np.random.seed(1)
    a = reg.variant_for(ex, "alice", "1.0")
    random.seed(2)
    np.random.seed(2)
    assert reg.variant_for(ex, "alice", "1.0") == a


def test_exercise_shows_the_trainees_values_and_check_uses_them(capsys, monkeypatch):
    monkeypatch.setenv("PDKIT_TRAINEE", "alice")
    v = tutorial.exercise("example.tip_speed", registry=EXAMPLE)
    out = capsys.readouterr().out
    assert f"{v.diameter_m:g} m diameter turns at {v.rpm} rpm" in out and "Your values:" in out
    mine = math.pi * v.diameter_m * v.rpm / 60
    assert not [f for f in reg.leak_forms(mine) if f in out]  # the question shows inputs, not the answer
    assert tutorial.check("example.tip_speed", mine, registry=EXAMPLE)
    # somebody else's numbers are not right for alice
    ex = reg.get_exercise("example.tip_speed", EXAMPLE)
    other = next(w for w in (reg.variant_for(ex, f"x{i}", "1.0") for i in range(50))
                 if abs(w.rpm * w.diameter_m - v.rpm * v.diameter_m) > 0.05 * v.rpm * v.diameter_m)
    capsys.readouterr()
    assert not tutorial.check("example.tip_speed", math.pi * other.diameter_m * other.rpm / 60, registry=EXAMPLE)
    with pytest.raises(AttributeError, match="read-only"):
        v.rpm = 1
    import copy
    import pickle

    assert copy.deepcopy(v) == v and pickle.loads(pickle.dumps(v)) == v


# ----------------------------------------------------------------------------- reasoning exercises
def test_choose_needs_a_justification(capsys):
    c = lambda *a, **k: _run(capsys, tutorial.choose, "example.criterion_same_speed", *a, registry=EXAMPLE, **k)  # noqa: E731
    why = "The mixing-time rule has a zero exponent on the diameter ratio, so N stays."
    ok, out = c(None)
    assert not ok and "not answered yet" in out
    ok, out = c("c", why="because")
    assert not ok and out.startswith("Not graded yet: add a justification of at least 40 characters")
    ok, out = c("c", why=why)
    assert ok and out == "Right!"
    ok, out = c("constant mixing time", why=why)  # the option's text works too
    assert ok
    ok, out = c("a", why=why)
    assert not ok and out.startswith("Not right yet. Hint:") and "mixing time" not in out.casefold()
    ok, out = c("z", why=why)
    assert not ok and "expected one of a, b, c, d" in out
    with pytest.raises(InputError, match="is a choice exercise: answer it with choose"):
        tutorial.check("example.criterion_same_speed", "c", registry=EXAMPLE)


def test_interpret_compares_sets_and_counts_fields(capsys):
    c = lambda a: _run(capsys, tutorial.interpret, "example.failing_lots", a, registry=EXAMPLE)  # noqa: E731
    ok, out = c({"failing_lots": None, "attributes": None})
    assert not ok and "not answered yet" in out
    assert c({"failing_lots": ["L4", "L3"], "attributes": {"Purity", "potency"}})[0]
    ok, out = c({"failing_lots": ["L3"], "attributes": ["potency", "purity"]})
    assert not ok and out.startswith("Not right yet: 1 of 2 fields right. Hint: Some fields")
    ok, out = c({"failing_lots": ["L1"], "attributes": ["ph"]})
    assert not ok and "0 of 2 fields right" in out and "L3" not in out and "L4" not in out
    ok, out = c({"failing_lots": ["L3", "L4"]})
    assert not ok and "fill in attributes" in out
    ok, out = c(["L3", "L4"])
    assert not ok and "expected a dict" in out


def test_explain_records_text_and_needs_enough_words(capsys):
    ok, out = _run(capsys, tutorial.explain, "example.plasmid_starting_material", "", registry=EXAMPLE)
    assert not ok and "Not answered yet" in out
    ok, out = _run(capsys, tutorial.explain, "example.plasmid_starting_material", "It is not.", registry=EXAMPLE)
    assert not ok and "at least 20 words" in out
    text = " ".join(["word"] * 25)
    ok, out = _run(capsys, tutorial.answer, "example.plasmid_starting_material", text, registry=EXAMPLE)
    assert ok and out.startswith("Recorded for your trainer (25 words)")


def test_hints_are_graded(capsys):
    assert tutorial.hint("example.tip_speed", 1, registry=EXAMPLE).startswith("Which distance")
    assert tutorial.hint("example.tip_speed", 2, registry=EXAMPLE).startswith("Multiply pi")
    assert tutorial.hint("example.batches_per_year", 1, registry=EXAMPLE).startswith("Divide")  # hint_wrong
    assert "No further hint" in tutorial.hint("example.plasmid_starting_material", 2, registry=EXAMPLE)
    with pytest.raises(InputError, match="hint level"):
        tutorial.hint("example.tip_speed", 0, registry=EXAMPLE)


# ----------------------------------------------------------------------------- bad input
def test_unknown_id_lists_similar():
    with pytest.raises(InputError, match=r"unknown exercise id 'example.tip_sped'; did you mean 'example.tip_speed'"):
        tutorial.check("example.tip_sped", 1.0, registry=EXAMPLE)
    with pytest.raises(InputError, match="exercise id: expected a text"):
        tutorial.check(42, 1.0, registry=EXAMPLE)


@pytest.mark.parametrize("body, match", [
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
    ("exercises:\n  - {id: a.b, kind: essay, expected: 1}\n", "'kind' must be one of value, choice, interpret, free_text"),
    ("exercises:\n  - {id: a.b, compute: 'pdkit.scaleup:tip_speed', variants: {rpm: {range: [5, 1], step: 1}}, hint_close: x, hint_wrong: y}\n",
     "variants.rpm: range low \\(5\\) must be below high \\(1\\)"),
    ("exercises:\n  - {id: a.b, expected: 1, variants: {rpm: [1, 5]}, hint_close: x, hint_wrong: y}\n",
     "an exercise with 'variants' needs 'compute'"),
    ("exercises:\n  - {id: a.b, compute: 'pdkit.scaleup:tip_speed', variants: {rpm: [1, 5]}, derived: {n: 'os.system(1)'}, hint_close: x, hint_wrong: y}\n",
     "derived.n: 'os.system\\(1\\)' may only use numbers, parameters"),
    ("exercises:\n  - {id: a.b, kind: choice, options: {a: x, b: y}, expected: c, hint_wrong: y}\n",
     "'expected' \\('c'\\) is not one of the options a, b"),
    ("exercises:\n  - {id: a.b, kind: free_text, question: q, expected: x}\n", "a free_text question has no 'expected'"),
])
def test_bad_registry_messages(tmp_path, body, match):
    p = tmp_path / "ex.yaml"
    p.write_text(body, encoding="utf-8")
    with pytest.raises(InputError, match=match):
        tutorial.load_registry(p)


# ----------------------------------------------------------------------------- lessons, registry, trainer material
def _lessons() -> list[Path]:
    return [p for p in sorted(COURSE.glob("[0-9][0-9]_*.py")) if int(p.name[:2]) >= 1]


def _lesson_exercise_ids(path: Path) -> list[str]:
    from pdkit.nbio import read_notebook

    nb = read_notebook(path)
    return [c.metadata.get("pdkit", {}).get("exercise") for c in nb.cells
            if c.cell_type == "code" and "exercise" in c.metadata.get("tags", [])]


def test_every_registered_exercise_is_used_by_exactly_one_lesson():
    used: dict[str, list[str]] = {}
    for lesson in _lessons():
        for ex_id in _lesson_exercise_ids(lesson):
            used.setdefault(ex_id, []).append(lesson.stem)
    registered = set(tutorial.exercise_ids())
    unregistered = sorted(i for i in used if i not in registered)
    unused = sorted(i for i in registered if i not in used)
    twice = {i: s for i, s in used.items() if len(s) > 1}
    assert not unregistered, f"exercise cells with ids that are not registered: {unregistered}"
    assert not unused, f"registered exercises no lesson uses (use or delete them): {unused}"
    assert not twice, f"exercises used more than once: {twice}"


@pytest.mark.parametrize("lesson", _lessons(), ids=lambda p: p.stem)
def test_lesson_calls_lesson_header_first(lesson):
    from pdkit.nbio import read_notebook

    nb = read_notebook(lesson)
    first = next(c for c in nb.cells if c.cell_type == "code")
    number = lesson.name[:2]
    assert re.search(rf"""\blesson_header\(\s*["']{number}["']\s*\)""", first.source), (
        f"{lesson.name}: the first code cell must call lesson_header(\"{number}\") (docs/course-authoring.md)")
    assert lesson_info(number).stem == lesson.stem, f"course.yaml lesson {number} names another notebook"


def test_course_metadata_and_header(capsys):
    info = course_info()
    assert info.version and re.fullmatch(r"\d{4}-\d\d-\d\d", info.effective_date) and info.owner
    assert info.change_history and info.change_history[-1]["version"] == info.version
    h = lesson_header("05")
    out = capsys.readouterr().out
    assert out.count("\n") == 1
    for part in (info.title, f"version {info.version}", f"effective {info.effective_date}", "Lesson 05",
                 f"revision {h['revision']}"):
        assert part in out
    with pytest.raises(InputError, match="lesson '99' is not in course.yaml"):
        lesson_header("99")


def test_no_solutions_in_the_trainee_workspace():
    """notebooks/course/*.py is copied to trainees: no solutions folder, no answer files beside it."""
    assert not (COURSE / "solutions").exists()
    assert not [p for p in COURSE.rglob("*") if p.suffix in (".yaml", ".yml", ".json")]
    for lesson in _lessons():
        text = lesson.read_text(encoding="utf-8")
        assert "course.trainer" not in text and "expected_value" not in text and "solution(" not in text, lesson.name


def test_trainer_material_covers_every_exercise():
    registry = tutorial.load_registry()
    for ex in registry.values():
        stem = reg.lesson_of(ex)
        assert ex.id in trainer.solutions(stem), f"{ex.id}: no worked solution in trainer/solutions/{stem}.yaml"
        if ex.kind in ("choice", "interpret", "free_text"):
            assert ex.id in trainer.model_answers(stem), f"{ex.id}: no model answer in trainer/model_answers/{stem}.yaml"
    for path in list(trainer.SOLUTIONS_DIR.glob("*.yaml")) + list(trainer.MODEL_ANSWERS_DIR.glob("*.yaml")):
        for key in (trainer.solutions(path.stem) if path.parent == trainer.SOLUTIONS_DIR else trainer.model_answers(path.stem)):
            assert key in registry, f"{path.name}: {key} is not a registered exercise"


def test_trainer_guide(tmp_path):
    files = trainer.write_trainer_guide(tmp_path / "guide", lessons=["05"])
    names = sorted(p.name for p in files)
    assert names == ["05_scaleup.html", "05_scaleup.md", "index.html", "index.md"]
    md = (tmp_path / "guide" / "05_scaleup.md").read_text()
    html = (tmp_path / "guide" / "05_scaleup.html").read_text()
    for ex_id, code in trainer.solutions("05_scaleup").items():
        assert f"<code>{ex_id}</code>" in md
        assert escape.html_text(code.splitlines()[0]) in html
    assert "Content-Security-Policy" in html and "TRAINER MATERIAL" in html
    value = reg.expected_value(reg.get_exercise("05_scaleup.impeller_diameter_50L"))
    assert f"{value:.6g}" in html


def test_trainer_guide_escapes_and_shows_a_trainees_values(tmp_path, monkeypatch):
    monkeypatch.setattr(reg, "REGISTRY_PATH", EXAMPLE)
    monkeypatch.setattr(reg, "REGISTRY_DIR", tmp_path / "none")
    from pdkit.course import trainer as t

    entries = t._lesson_entries("example", "<b>alice</b>", "1.0")
    tip = next(e for e in entries if e["id"] == "example.tip_speed")
    v = reg.variant_for(reg.get_exercise("example.tip_speed"), "<b>alice</b>", "1.0")
    assert tip["trainee_values"] == f"rpm = {v.rpm}, diameter_m = {v.diameter_m}"
    assert float(tip["expected"]) == pytest.approx(math.pi * v.diameter_m * v.rpm / 60, rel=1e-5)
    page = t._html("<script>x</script>", "m", entries)
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "(c) constant mixing time" in page  # the right option of the choice exercise


def test_cell_sources_follow_the_kind():
    for ex_id, line in [("example.tip_speed", 'v = exercise("example.tip_speed")'),
                        ("example.criterion_same_speed", 'choose("example.criterion_same_speed", choice, why=why);'),
                        ("example.plasmid_starting_material", 'explain("example.plasmid_starting_material", text);')]:
        assert line in reg.cell_source(ex_id, EXAMPLE)
    for ex_id in tutorial.exercise_ids():
        compile(reg.cell_source(ex_id), ex_id, "exec")


def test_records_are_off_in_this_module():
    assert os.environ["PDKIT_COURSE_RECORDS"] == "off"


def test_authoring_guide_example_registry_is_valid(tmp_path, monkeypatch):
    """The registry example in docs/course-authoring.md loads, computes for every variant and leaks nothing."""
    monkeypatch.setenv("PDKIT_TRAINEE", "alice")
    guide = (ROOT / "docs" / "course-authoring.md").read_text(encoding="utf-8")
    block = re.search(r"```yaml\n(exercises:\n.*?)```", guide, re.S).group(1)
    p = tmp_path / "guide.yaml"
    p.write_text(block, encoding="utf-8")
    (ex,) = tutorial.load_registry(p).values()
    assert ex.variants and ex.derived and len(ex.hints) == 2
    assert reg.validate_registry(p) == []
    v = tutorial.exercise(ex.id, registry=p)
    assert tutorial.check(ex.id, math.pi * v.diameter_m * v.rpm / 60, registry=p)
