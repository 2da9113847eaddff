"""The course's exercise registry: exercises, per-trainee variants, expected values, leak scan.

The registry is ``pdkit/course/exercises.yaml`` merged with every
``pdkit/course/exercises/*.yaml`` (one file per lesson).  The format is described
in ``docs/course-authoring.md``; in short each entry has an ``id``, a ``kind``
(``value`` by default, ``choice``, ``interpret`` or ``free_text``), a
``question``, the answer (``expected`` or ``compute`` + ``kwargs``), tolerances,
``hint_close``/``hint_wrong`` and graded ``hints``.  A ``value`` exercise may
declare ``variants``: parameters whose values differ per trainee, chosen by a
hash of (trainee, exercise id, course version) -- never by a random state.

This module never prints an expected value; the grading functions in
:mod:`pdkit.tutorial` use it, the trainer material in
:mod:`pdkit.course.trainer` shows it.

Examples
--------
>>> import tempfile
>>> from pathlib import Path
>>> p = Path(tempfile.mkdtemp()) / "ex.yaml"
>>> _ = p.write_text('''
... exercises:
...   - id: demo.tip
...     question: An impeller of {d} m turns at {rpm} rpm. Tip speed in m/s?
...     variants: {rpm: {range: [100, 150], step: 10}, d: {range: [0.15, 0.25], round: 2}}
...     derived: {n: "rpm / 60"}
...     compute: "pdkit.scaleup:tip_speed"
...     kwargs: {n_rps: "{n}", diameter: "{d}"}
...     unit: m/s
...     hint_close: check your rounding
...     hint_wrong: circumference times revolutions per second
... ''')
>>> ex = load_registry(p)["demo.tip"]
>>> v = variant_for(ex, "alice", "1.0")
>>> v == variant_for(ex, "alice", "1.0"), sorted(v)
(True, ['d', 'rpm'])
>>> 100 <= v.rpm <= 150 and v.rpm % 10 == 0
True
"""
from __future__ import annotations

import ast
import difflib
import hashlib
import importlib
import itertools
import math
import numbers
import operator
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from pdkit.errors import InputError

__all__ = [
    "REGISTRY_PATH",
    "REGISTRY_DIR",
    "EXAMPLE_REGISTRY",
    "KINDS",
    "Exercise",
    "Variant",
    "load_registry",
    "exercise_ids",
    "get_exercise",
    "lesson_of",
    "variant_for",
    "all_variants",
    "expected_value",
    "format_question",
    "cell_source",
    "leak_forms",
    "validate_registry",
]

#: The packaged registry (shared entries) and the folder of per-lesson registries.
REGISTRY_PATH = Path(__file__).resolve().parent / "exercises.yaml"
REGISTRY_DIR = Path(__file__).resolve().parent / "exercises"
#: An example registry with one exercise of each kind (docs, docstrings, tests; not part of the course).
EXAMPLE_REGISTRY = Path(__file__).resolve().parent / "example_exercises.yaml"

#: Exercise kinds and the function a lesson cell calls for each.
KINDS = {"value": "check", "choice": "choose", "interpret": "interpret", "free_text": "explain"}

_KEYS = {
    "id", "kind", "expected", "compute", "kwargs", "attribute", "rel_tol", "close_tol", "abs_tol",
    "hint_close", "hint_wrong", "hints", "unit", "accept", "ordered", "question", "lesson",
    "variants", "derived", "options", "min_why", "min_words", "accept_fields",
}
_PARAM = re.compile(r"\{(\w+)\}")
_MAX_GRID = 2000
_SAMPLE = 400


# ----------------------------------------------------------------------------- data
class Variant(Mapping):
    """One trainee's parameter values of an exercise: a read-only mapping with attribute access.

    Examples
    --------
    >>> v = Variant({"rpm": 120, "diameter_m": 0.2})
    >>> v.rpm, v["diameter_m"], dict(v)
    (120, 0.2, {'rpm': 120, 'diameter_m': 0.2})
    >>> v.rpm = 3
    Traceback (most recent call last):
    ...
    AttributeError: a Variant is read-only
    """

    __slots__ = ("_values",)

    def __init__(self, values: Mapping[str, Any] | None = None) -> None:
        object.__setattr__(self, "_values", dict(values or {}))

    def __getitem__(self, key: str) -> Any:
        return self._values[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __getattr__(self, name: str) -> Any:
        try:
            return self._values[name]
        except KeyError:
            raise AttributeError(f"this exercise has no parameter {name!r}; it has {', '.join(self._values) or 'none'}") from None

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("a Variant is read-only")

    def __reduce__(self) -> tuple:
        return (Variant, (dict(self._values),))

    def __hash__(self) -> int:
        return hash(tuple(sorted(self._values.items(), key=lambda kv: kv[0])))

    def __repr__(self) -> str:
        return "Variant(" + ", ".join(f"{k}={v!r}" for k, v in self._values.items()) + ")"


@dataclass(frozen=True, eq=False)
class Exercise:
    """One registered exercise (fields as in ``docs/course-authoring.md``)."""

    id: str
    kind: str = "value"
    hint_close: str = ""
    hint_wrong: str = ""
    hints: tuple = ()
    expected: Any = None
    compute: str | None = None
    kwargs: dict = field(default_factory=dict)
    attribute: str | None = None
    rel_tol: float = 0.01
    close_tol: float = 0.1
    abs_tol: float = 0.0
    unit: str | None = None
    accept: tuple = ()
    ordered: bool = True
    question: str = ""
    lesson: str = ""
    variants: tuple = ()  # ((name, spec), ...) with spec {"choices": [...]} | {"range": (lo, hi), "step"|"round": x}
    derived: tuple = ()  # ((name, expression), ...)
    options: tuple = ()  # ((key, text), ...)
    min_why: int = 40
    min_words: int = 20
    accept_fields: dict = field(default_factory=dict)
    source: str = ""

    @property
    def graded(self) -> bool:
        """False for free-text questions (recorded, marked by the trainer)."""
        return self.kind != "free_text"


# ----------------------------------------------------------------------------- parsing
def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        raise InputError(f"{where}: expected a finite number, got {value!r}")
    return value


def _decimals(x: float) -> int:
    text = repr(float(x))
    if "e" in text:
        return max(0, -int(text.split("e")[1]))
    return len(text.split(".")[1].rstrip("0")) if "." in text else 0


def _variant_spec(name: str, spec: Any, where: str) -> dict:
    where = f"{where}, variants.{name}"
    if not re.fullmatch(r"[A-Za-z_]\w*", name):
        raise InputError(f"{where}: a parameter name must be a Python identifier")
    if isinstance(spec, list):
        if len(spec) != 2:
            raise InputError(f"{where}: the short form is [low, high]")
        lo, hi = (_number(x, where) for x in spec)
        if all(isinstance(x, int) for x in spec):
            spec = {"range": [lo, hi], "step": 1}
        else:
            spec = {"range": [lo, hi], "round": max(_decimals(lo), _decimals(hi)) + 1}
    if not isinstance(spec, dict):
        raise InputError(f"{where}: expected {{range: [low, high], step|round: ...}}, {{choices: [...]}} or [low, high]")
    if "choices" in spec:
        if set(spec) != {"choices"} or not isinstance(spec["choices"], list) or len(spec["choices"]) < 2:
            raise InputError(f"{where}: 'choices' must be the only key, with a list of at least 2 values")
        return {"choices": list(spec["choices"])}
    if "range" not in spec or not set(spec) <= {"range", "step", "round"} or ("step" in spec) == ("round" in spec):
        raise InputError(f"{where}: expected range: [low, high] with exactly one of 'step' or 'round'")
    rng = spec["range"]
    if not isinstance(rng, list) or len(rng) != 2:
        raise InputError(f"{where}: range must be [low, high]")
    lo, hi = (_number(x, where + ".range") for x in rng)
    if not lo < hi:
        raise InputError(f"{where}: range low ({lo}) must be below high ({hi})")
    if "step" in spec:
        step = _number(spec["step"], where + ".step")
        if step <= 0 or step > hi - lo:
            raise InputError(f"{where}: step must be > 0 and at most high - low")
        return {"range": (lo, hi), "step": step}
    rnd = spec["round"]
    if isinstance(rnd, bool) or not isinstance(rnd, int) or not 0 <= rnd <= 12:
        raise InputError(f"{where}: round must be a whole number of decimals 0-12")
    return {"range": (lo, hi), "round": rnd}


_BINOPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
           ast.Pow: operator.pow}


def _eval_expr(expr: str, names: Mapping[str, Any], where: str) -> Any:
    """Arithmetic (+ - * / ** and parentheses) on numbers and ``names``; nothing else."""
    try:
        tree = ast.parse(expr, mode="eval")
    except SyntaxError:
        raise InputError(f"{where}: {expr!r} is not an arithmetic expression") from None

    def ev(node: ast.AST) -> Any:
        if isinstance(node, ast.Expression):
            return ev(node.body)
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
            return node.value
        if isinstance(node, ast.Name):
            if node.id not in names:
                raise InputError(f"{where}: {expr!r} uses {node.id!r}, which is not a parameter")
            return names[node.id]
        if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
            return _BINOPS[type(node.op)](ev(node.left), ev(node.right))
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            value = ev(node.operand)
            return -value if isinstance(node.op, ast.USub) else value
        raise InputError(f"{where}: {expr!r} may only use numbers, parameters, + - * / ** and parentheses")

    return ev(tree)


def _texts(raw: dict, key: str, where: str) -> tuple:
    value = raw.get(key, [])
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(a, str) and a.strip() for a in value):
        raise InputError(f"{where}: '{key}' must be a list of non-empty texts")
    return tuple(a.strip() for a in value)


def _entry(raw: Any, where: str, seen: set[str], source: str) -> Exercise:
    if not isinstance(raw, dict):
        raise InputError(f"{where}: expected a mapping with 'id', 'expected' or 'compute', and hints")
    ex_id = raw.get("id")
    if not isinstance(ex_id, str) or not ex_id.strip():
        raise InputError(f"{where}: missing 'id' (a non-empty text)")
    where = f"{where} ('{ex_id}')"
    if ex_id in seen:
        raise InputError(f"{where}: duplicated id")
    seen.add(ex_id)
    unknown = sorted(set(raw) - _KEYS)
    if unknown:
        raise InputError(f"{where}: unknown key(s) {unknown}; allowed: {', '.join(sorted(_KEYS))}")
    kind = raw.get("kind", "value")
    if kind not in KINDS:
        raise InputError(f"{where}: 'kind' must be one of {', '.join(KINDS)}, got {kind!r}")
    if kind == "free_text":
        for key in ("expected", "compute", "variants", "options"):
            if key in raw:
                raise InputError(f"{where}: a free_text question has no '{key}' (put the model answer in "
                                 "pdkit/course/trainer/model_answers/)")
        if not str(raw.get("question", "")).strip():
            raise InputError(f"{where}: missing 'question'")
    elif ("expected" in raw) == ("compute" in raw):
        raise InputError(f"{where}: give exactly one of 'expected' or 'compute'")
    required_hints = {"value": ("hint_close", "hint_wrong"), "choice": ("hint_wrong",),
                      "interpret": ("hint_wrong",), "free_text": ()}[kind]
    for hint in required_hints:
        if not isinstance(raw.get(hint), str) or not raw[hint].strip():
            raise InputError(f"{where}: missing '{hint}' (a non-empty text)")
    for hint in ("hint_close", "hint_wrong"):
        if hint in raw and not isinstance(raw[hint], str):
            raise InputError(f"{where}: '{hint}' must be a text")
    if "compute" in raw:
        comp = raw["compute"]
        if not isinstance(comp, str) or not re.fullmatch(r"pdkit(\.\w+)*:\w+", comp):
            raise InputError(f"{where}: 'compute' must look like 'pdkit.module:function', got {comp!r}")
        if not isinstance(raw.get("kwargs", {}), dict):
            raise InputError(f"{where}: 'kwargs' must be a mapping")
    tols = {}
    for key, default in (("rel_tol", 0.01), ("close_tol", 0.1), ("abs_tol", 0.0)):
        value = raw.get(key, default)
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 <= value < math.inf:
            raise InputError(f"{where}: '{key}' must be a number >= 0, got {value!r}")
        tols[key] = float(value)
    if tols["close_tol"] < tols["rel_tol"]:
        raise InputError(f"{where}: 'close_tol' ({tols['close_tol']:g}) must be >= 'rel_tol' ({tols['rel_tol']:g})")
    unit = raw.get("unit")
    if unit is not None:
        from pdkit.units import parse_unit

        parse_unit(str(unit), f"{where}, 'unit'")
    variants: list[tuple[str, dict]] = []
    if "variants" in raw:
        if kind != "value":
            raise InputError(f"{where}: 'variants' are for value exercises only")
        if not isinstance(raw["variants"], dict) or not raw["variants"]:
            raise InputError(f"{where}: 'variants' must be a mapping parameter -> range or choices")
        if "compute" not in raw:
            raise InputError(f"{where}: an exercise with 'variants' needs 'compute' (the answer depends on them)")
        variants = [(str(k), _variant_spec(str(k), v, where)) for k, v in raw["variants"].items()]
    derived: list[tuple[str, str]] = []
    if "derived" in raw:
        if not variants or not isinstance(raw["derived"], dict):
            raise InputError(f"{where}: 'derived' is a mapping name -> expression, and needs 'variants'")
        names = {n for n, _ in variants}
        for k, expr in raw["derived"].items():
            if not isinstance(expr, str):
                raise InputError(f"{where}, derived.{k}: expected an expression text such as 'rpm / 60'")
            _eval_expr(expr, {n: 1.0 for n in names}, f"{where}, derived.{k}")
            names.add(str(k))
            derived.append((str(k), expr))
    options: list[tuple[str, str]] = []
    if kind == "choice":
        opts = raw.get("options")
        if not isinstance(opts, dict) or not 2 <= len(opts) <= 6:
            raise InputError(f"{where}: a choice exercise needs 'options' (2-6 entries letter -> text)")
        for k, text in opts.items():
            if not re.fullmatch(r"[a-z]", str(k)) or not isinstance(text, str) or not text.strip():
                raise InputError(f"{where}, options: keys are single lower-case letters, values non-empty texts")
            options.append((str(k), text.strip()))
        if "expected" in raw and str(raw["expected"]) not in dict(options):
            raise InputError(f"{where}: 'expected' ({raw['expected']!r}) is not one of the options {', '.join(dict(options))}")
    elif "options" in raw:
        raise InputError(f"{where}: 'options' are for choice exercises only")
    if kind == "interpret" and "expected" in raw and (not isinstance(raw["expected"], dict) or not raw["expected"]):
        raise InputError(f"{where}: an interpret exercise's 'expected' is a mapping field -> value")
    accept_fields = raw.get("accept_fields", {})
    if not isinstance(accept_fields, dict) or not all(isinstance(v, list) for v in accept_fields.values()):
        raise InputError(f"{where}: 'accept_fields' must map a field to a list of other accepted texts")
    ints = {}
    for key, default in (("min_why", 40), ("min_words", 20)):
        value = raw.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise InputError(f"{where}: '{key}' must be a whole number >= 0, got {value!r}")
        ints[key] = value
    return Exercise(
        id=ex_id,
        kind=kind,
        hint_close=str(raw.get("hint_close", "") or "").strip(),
        hint_wrong=str(raw.get("hint_wrong", "") or "").strip(),
        hints=_texts(raw, "hints", where),
        expected=raw.get("expected"),
        compute=raw.get("compute"),
        kwargs=dict(raw.get("kwargs") or {}),
        attribute=raw.get("attribute"),
        unit=None if unit is None else str(unit),
        accept=_texts(raw, "accept", where),
        ordered=bool(raw.get("ordered", True)),
        question=" ".join(str(raw.get("question", "") or "").split()),
        lesson=str(raw.get("lesson", "") or ""),
        variants=tuple(variants),
        derived=tuple(derived),
        options=tuple(options),
        accept_fields={str(k): [str(x) for x in v] for k, v in accept_fields.items()},
        source=source,
        **ints,
        **tols,
    )


@lru_cache(maxsize=32)
def _load(path: str) -> dict[str, Exercise]:
    import yaml

    p = Path(path)
    if not p.is_file():
        raise InputError(f"exercise registry '{p}' does not exist")
    try:
        doc = yaml.safe_load(p.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise InputError(f"exercise registry '{p.name}' is not valid YAML: {exc}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("exercises"), list):
        raise InputError(f"exercise registry '{p.name}': expected a top-level 'exercises:' list")
    seen: set[str] = set()
    out = {}
    for i, raw in enumerate(doc["exercises"], start=1):
        ex = _entry(raw, f"exercise registry '{p.name}', entry {i}", seen, p.name)
        out[ex.id] = ex
    return out


def load_registry(path: str | Path | None = None) -> dict[str, Exercise]:
    """Read and validate an exercise registry.

    The default is the packaged ``exercises.yaml`` merged with every
    ``exercises/*.yaml`` beside it (one per lesson); an id defined twice is an
    error naming both files.

    Examples
    --------
    >>> sorted(ex.kind for ex in load_registry(EXAMPLE_REGISTRY).values())
    ['choice', 'free_text', 'interpret', 'value', 'value']
    """
    if path is not None:
        return _load(str(Path(path).resolve()))
    merged: dict[str, Exercise] = dict(_load(str(REGISTRY_PATH))) if REGISTRY_PATH.is_file() else {}
    origin = {k: REGISTRY_PATH.name for k in merged}
    for extra in sorted(REGISTRY_DIR.glob("*.yaml")) if REGISTRY_DIR.is_dir() else []:
        for key, ex in _load(str(extra)).items():
            if key in merged:
                raise InputError(f"exercise id '{key}' is defined in both {origin[key]} and exercises/{extra.name}")
            merged[key] = ex
            origin[key] = f"exercises/{extra.name}"
    return merged


def exercise_ids(registry: str | Path | None = None) -> list[str]:
    """All registered exercise ids, sorted.

    Examples
    --------
    >>> exercise_ids(EXAMPLE_REGISTRY)[:2]
    ['example.batches_per_year', 'example.criterion_same_speed']
    """
    return sorted(load_registry(registry))


def get_exercise(exercise_id: Any, registry: str | Path | None = None) -> Exercise:
    """The registered exercise ``exercise_id``; an unknown id raises InputError listing similar ids.

    Examples
    --------
    >>> get_exercise("example.tip_speed", EXAMPLE_REGISTRY).unit
    'm/s'
    >>> get_exercise("example.tip_sped", EXAMPLE_REGISTRY)
    Traceback (most recent call last):
    ...
    pdkit.errors.InputError: unknown exercise id 'example.tip_sped'; did you mean 'example.tip_speed'...
    """
    reg = load_registry(registry)
    if not isinstance(exercise_id, str):
        raise InputError(f"exercise id: expected a text such as '05_scaleup.speed_pv_50L', got {exercise_id!r}")
    if exercise_id in reg:
        return reg[exercise_id]
    ids = sorted(reg)
    similar = difflib.get_close_matches(exercise_id, ids, n=5, cutoff=0.5)
    if not similar:
        prefix = exercise_id.split(".")[0]
        similar = [i for i in ids if i.startswith(prefix + ".")][:5]
    hint = f"; did you mean {', '.join(repr(s) for s in similar)}?" if similar else f"; known ids: {', '.join(ids[:8])}"
    raise InputError(f"unknown exercise id {exercise_id!r}{hint}")


def lesson_of(ex: Exercise) -> str:
    """The lesson stem of an exercise: its ``lesson`` field, else the id's prefix before the first dot.

    Examples
    --------
    >>> lesson_of(Exercise("05_scaleup.speed_pv_50L"))
    '05_scaleup'
    """
    return ex.lesson or ex.id.split(".")[0]


# ----------------------------------------------------------------------------- variants
def _unit_interval(*parts: str) -> float:
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") / 2.0**64


def _clean(x: float, decimals: int) -> float | int:
    value = round(float(x), decimals)
    return int(value) if decimals == 0 else value


def _grid(spec: dict) -> list[Any] | None:
    """Every value a parameter can take, or None if there are more than ``_MAX_GRID``."""
    if "choices" in spec:
        return list(spec["choices"])
    lo, hi = spec["range"]
    if "step" in spec:
        step = spec["step"]
        n = int(math.floor((hi - lo) / step + 1e-9)) + 1
        dec = max(_decimals(step), _decimals(lo))
        if n > _MAX_GRID:
            return None
        return [_step_value(lo, step, k, dec) for k in range(n)]
    dec = spec["round"]
    first, last = math.ceil(lo * 10**dec - 1e-9), math.floor(hi * 10**dec + 1e-9)
    if last - first + 1 > _MAX_GRID:
        return None
    return [_clean(k / 10**dec, dec) for k in range(first, last + 1)]


def _step_value(lo: float, step: float, k: int, dec: int) -> float | int:
    value = lo + k * step
    if isinstance(lo, int) and isinstance(step, int):
        return int(value)
    return _clean(value, dec)


def _draw(spec: dict, u: float) -> Any:
    if "choices" in spec:
        return spec["choices"][min(int(u * len(spec["choices"])), len(spec["choices"]) - 1)]
    lo, hi = spec["range"]
    if "step" in spec:
        step = spec["step"]
        n = int(math.floor((hi - lo) / step + 1e-9)) + 1
        return _step_value(lo, step, min(int(u * n), n - 1), max(_decimals(step), _decimals(lo)))
    dec = spec["round"]
    value = _clean(lo + u * (hi - lo), dec)
    return min(max(value, _clean(math.ceil(lo * 10**dec - 1e-9) / 10**dec, dec)),
               _clean(math.floor(hi * 10**dec + 1e-9) / 10**dec, dec))


def variant_for(ex: Exercise, trainee: str, course_version: str) -> Variant:
    """This trainee's parameter values of ``ex`` (empty for an exercise without variants).

    Deterministic: a SHA-256 of (course version, trainee, exercise id, parameter
    name) picks each value, so one trainee always gets the same values in one
    course version and different trainees (almost always) get different ones.

    Examples
    --------
    >>> ex = get_exercise("example.tip_speed", EXAMPLE_REGISTRY)
    >>> variant_for(ex, "alice", "1.0") == variant_for(ex, "alice", "1.0") != variant_for(ex, "bob", "1.0")
    True
    >>> variant_for(get_exercise("example.criterion_same_speed", EXAMPLE_REGISTRY), "alice", "1.0")
    Variant()
    """
    values = {name: _draw(spec, _unit_interval(str(course_version), str(trainee), ex.id, name))
              for name, spec in ex.variants}
    return Variant(values)


def all_variants(ex: Exercise) -> list[Variant]:
    """Every variant of ``ex`` (the whole grid), or a deterministic sample of 400 when the grid is large.

    Examples
    --------
    >>> len(all_variants(get_exercise("example.tip_speed", EXAMPLE_REGISTRY)))  # 11 speeds x 11 diameters
    121
    """
    if not ex.variants:
        return [Variant()]
    grids = [_grid(spec) for _, spec in ex.variants]
    names = [name for name, _ in ex.variants]
    if all(g is not None for g in grids) and math.prod(len(g) for g in grids) <= _MAX_GRID:  # type: ignore[arg-type]
        return [Variant(dict(zip(names, combo))) for combo in itertools.product(*grids)]  # type: ignore[arg-type]
    seen: dict[int, Variant] = {}
    for i in range(_SAMPLE):
        v = variant_for(ex, f"leak-scan-{i:04d}", "scan")
        seen.setdefault(hash(v), v)
    return list(seen.values())


def _names(ex: Exercise, variant: Mapping[str, Any]) -> dict[str, Any]:
    names = dict(variant)
    for name, expr in ex.derived:
        names[name] = _eval_expr(expr, names, f"exercise '{ex.id}', derived.{name}")
    return names


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}" if abs(value) >= 1e-4 or value == 0 else f"{value:.3g}"
    return str(value)


def format_question(ex: Exercise, variant: Mapping[str, Any] | None = None) -> str:
    """The question text with ``{name}`` replaced by the variant's values (and the options of a choice).

    Examples
    --------
    >>> format_question(get_exercise("example.tip_speed", EXAMPLE_REGISTRY), {"rpm": 120, "diameter_m": 0.2})
    'A bioreactor impeller of 0.2 m diameter turns at 120 rpm. What is its tip speed in m/s?'
    """
    names = _names(ex, variant) if ex.variants and variant and all(n in variant for n, _ in ex.variants) else {}
    text = _PARAM.sub(lambda m: _fmt(names[m.group(1)]) if m.group(1) in names else m.group(0), ex.question)
    if ex.options:
        text += "".join(f"\n  ({k}) {t}" for k, t in ex.options)
    return text


# ----------------------------------------------------------------------------- expected values
def _resolve_kwarg(value: Any, names: Mapping[str, Any], where: str) -> Any:
    if isinstance(value, dict):
        return {k: _resolve_kwarg(v, names, where) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve_kwarg(v, names, where) for v in value]
    if isinstance(value, str):
        m = re.fullmatch(r"\{(\w+)\}", value)
        if m:
            if m.group(1) not in names:
                raise InputError(f"{where}: kwarg {value!r} names no parameter of the exercise")
            return names[m.group(1)]
        if value.startswith("sample:"):
            from pdkit._paths import samples_dir

            path = samples_dir() / value[len("sample:"):]
            if not path.exists():
                raise InputError(f"{where}: sample file '{value[len('sample:'):]}' not found in {samples_dir()}")
            return str(path)
    return value


def _normalise(value: Any, ex: Exercise) -> Any:
    if hasattr(value, "tolist") and not isinstance(value, (str, bytes)):
        value = value.tolist()
    elif isinstance(value, (tuple, set, frozenset)):
        value = list(value)
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, Mapping):
        return {str(k): _normalise(v, ex) for k, v in value.items()}
    if isinstance(value, list):
        return [_normalise(v, ex) for v in value]
    if isinstance(value, bool) or value is None:
        raise InputError(f"exercise '{ex.id}': expected value must be a number, text or list, got {value!r}")
    return value


@lru_cache(maxsize=1024)
def _computed(ex: Exercise, variant: Variant) -> Any:
    where = f"exercise '{ex.id}'"
    module_name, func_name = str(ex.compute).split(":")
    try:
        func = getattr(importlib.import_module(module_name), func_name)
    except (ImportError, AttributeError):
        raise InputError(f"{where}: cannot find {ex.compute!r}") from None
    names = _names(ex, variant)
    result = func(**{k: _resolve_kwarg(v, names, where) for k, v in ex.kwargs.items()})
    if ex.attribute:
        for part in ex.attribute.split("."):
            result = result[part] if isinstance(result, Mapping) else getattr(result, part)
    return result


def expected_value(ex: Exercise, variant: Mapping[str, Any] | None = None) -> Any:
    """The expected answer of ``ex`` for ``variant`` (a number, text, list, or a mapping for interpret).

    Trainer and test use only: lessons never call it (and :mod:`pdkit.tutorial`
    does not export it).  A choice exercise's expected value is its option letter.

    Examples
    --------
    >>> round(expected_value(get_exercise("example.tip_speed", EXAMPLE_REGISTRY), {"rpm": 120, "diameter_m": 0.2}), 4)
    1.2566
    """
    if ex.kind == "free_text":
        raise InputError(f"exercise '{ex.id}' is a free-text question: it has a model answer, not an expected value")
    if ex.compute:
        value = _computed(ex, Variant(variant or {}))
    else:
        value = ex.expected
    value = _normalise(value, ex)
    if ex.kind == "interpret" and not isinstance(value, dict):
        raise InputError(f"exercise '{ex.id}': an interpret exercise's answer must be a mapping field -> value")
    return value


# ----------------------------------------------------------------------------- lesson cells
_CELLS = {
    "value": 'answer = None  # replace None with your answer (a number, or text where asked)\ncheck("{id}", answer);',
    "variant": 'v = exercise("{id}")\n'
               'answer = None  # replace None with your answer, computed with v.<name> (e.g. v.rpm)\n'
               'check("{id}", answer);',
    "choice": 'choice = None  # replace None with the letter of your choice, e.g. "b"\n'
              'why = ""  # explain your choice in one or two sentences\n'
              'choose("{id}", choice, why=why);',
    "interpret": 'answer = {fields}  # fill in every field\ninterpret("{id}", answer);',
    "free_text": 'text = ""  # your answer in a few sentences\nexplain("{id}", text);',
}


def cell_source(exercise_id: str, registry: str | Path | None = None) -> str:
    """The canonical source of the lesson's exercise cell for ``exercise_id`` (see the authoring guide).

    Examples
    --------
    >>> print(cell_source("example.failing_lots", EXAMPLE_REGISTRY))
    answer = {"failing_lots": None, "attributes": None}  # fill in every field
    interpret("example.failing_lots", answer);
    """
    ex = get_exercise(exercise_id, registry)
    key = "variant" if ex.variants else ex.kind
    template = _CELLS[key]
    fields = ""
    if ex.kind == "interpret":
        keys = list(ex.expected) if isinstance(ex.expected, dict) else list(expected_value(ex))
        fields = "{" + ", ".join(f'"{k}": None' for k in keys) + "}"
    return template.replace("{id}", ex.id).replace("{fields}", fields)


# ----------------------------------------------------------------------------- leak scan
def _norm_text(s: Any) -> str:
    return re.sub(r"[\s_\-]+", " ", str(s)).strip().casefold()


def _sig_digits(text: str) -> int:
    """Significant digits of a printed number; trailing zeros of a whole number do not count (100 -> 1)."""
    mant = re.split(r"[eE]", text.lstrip("+-").replace(",", ""))[0]
    digits = mant.replace(".", "").lstrip("0")
    return len(digits if "." in mant else digits.rstrip("0"))


def leak_forms(value: Any) -> set[str]:
    """Printed forms of a solution value that a hint or question must not contain.

    Numbers: 2-5 significant figures, rounded to 0-3 decimals, with and without
    thousands separators, a fraction also as a percentage; only forms with at
    least 3 significant digits (2 for an exact integer; trailing zeros of a whole
    number are not significant) count.  Texts: the
    normalised text (at least 3 characters).  Lists and mappings: each item.

    Examples
    --------
    >>> sorted(leak_forms(1234.5678))
    ['1,230', '1,234.568', '1,234.57', '1,234.6', '1,235', '1230', '1234.568', '1234.57', '1234.6', '1235']
    >>> "12,346" in leak_forms(12345.9) and "12346" in leak_forms(12345.9)
    True
    >>> sorted(leak_forms(19))
    ['19', '19.0', '19.00', '19.000']
    """
    forms: set[str] = set()
    if isinstance(value, Mapping):
        for v in value.values():
            forms |= leak_forms(v)
        return forms
    if isinstance(value, (list, tuple, set)):
        for v in value:
            forms |= leak_forms(v)
        return forms
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        f = float(value)
        if not math.isfinite(f):
            return forms
        exact_int = float(f).is_integer()
        candidates = []
        for v in (f, 100 * f) if 0 < abs(f) < 1 else (f,):
            if v == 0:
                continue
            for p in (2, 3, 4, 5):
                d = p - 1 - math.floor(math.log10(abs(v)))
                r = round(v, d)
                if d > 0:
                    candidates += [f"{r:.{d}f}", f"{r:,.{d}f}"]
                else:
                    candidates += [str(int(r)), f"{int(r):,}"]
            for d in (0, 1, 2, 3):
                candidates.append(f"{v:.{d}f}")
                candidates.append(f"{v:,.{d}f}")
        for s in candidates:
            need = 2 if exact_int else 3
            if _sig_digits(s) >= need and s.strip("-0.,"):
                forms.add(s)
        return forms
    if isinstance(value, str) and len(value.strip()) >= 3:
        forms.add(_norm_text(value))
    return forms


def _contains(text: str, form: str) -> bool:
    if re.fullmatch(r"-?[\d.,]+", form):
        return re.search(rf"(?<![\w.,]){re.escape(form)}(?![\w]|[.,]\d)", text) is not None
    return re.search(rf"(?<![\w]){re.escape(form)}(?![\w])", _norm_text(text)) is not None


_CODE = re.compile(r"\b[A-Za-z_][\w.]*\([^()]*,[^()]*\)|\banswer\s*=")


def validate_registry(registry: str | Path | None = None) -> list[str]:
    """Problems in a registry: answers that cannot be computed, hints or questions that reveal them.

    For every exercise and every variant (:func:`all_variants`) the expected
    value is computed; then ``hint_close``, ``hint_wrong`` and ``hints`` must not
    contain any form (:func:`leak_forms`) of any variant's answer, nor solution
    code (a call with arguments, ``answer =``); the question, formatted with a
    variant, must not contain that variant's numeric answer (nor the text answer
    of a value exercise).  Returns an empty list when every exercise is usable.

    Examples
    --------
    >>> import tempfile
    >>> p = Path(tempfile.mkdtemp()) / "ex.yaml"
    >>> _ = p.write_text('''
    ... exercises:
    ...   - {id: a.leak, expected: 12.5, hint_close: "the answer is 12.5", hint_wrong: "no"}
    ...   - {id: a.code, expected: 3, hint_close: "near", hint_wrong: "use f(x, y)"}
    ... ''')
    >>> for problem in validate_registry(p):
    ...     print(problem)
    a.leak: hint_close contains the answer ('12.5')
    a.code: hint_wrong contains solution code ('f(x, y)')
    """
    problems: list[str] = []
    for ex in load_registry(registry).values():
        if ex.kind == "free_text":
            texts = [("hint_close", ex.hint_close), ("hint_wrong", ex.hint_wrong)] + [
                (f"hints[{i}]", h) for i, h in enumerate(ex.hints, 1)]
            problems += [f"{ex.id}: {name} contains solution code" for name, t in texts if t and _CODE.search(t)]
            continue
        hint_forms: set[str] = set()
        try:
            for variant in all_variants(ex):
                expected = expected_value(ex, variant)
                if ex.kind == "choice":
                    hint_forms |= leak_forms(dict(ex.options).get(str(expected), ""))
                    continue
                forms = leak_forms(expected)
                hint_forms |= forms
                question = format_question(ex, variant)
                q_forms = forms if ex.kind == "value" else {f for f in forms if re.fullmatch(r"-?[\d.,]+", f)}
                for form in sorted(q_forms):
                    if _contains(question, form):
                        problems.append(f"{ex.id}: question contains the answer ({form!r}) for variant {dict(variant)}")
                        break
        except Exception as exc:  # report every broken entry, not just the first
            problems.append(f"{ex.id}: expected value cannot be computed: {exc}")
            continue
        texts = [("hint_close", ex.hint_close), ("hint_wrong", ex.hint_wrong)] + [
            (f"hints[{i}]", h) for i, h in enumerate(ex.hints, 1)]
        for name, text in texts:
            if not text:
                continue
            if _CODE.search(text):
                problems.append(f"{ex.id}: {name} contains solution code ({_CODE.search(text).group(0)!r})")  # type: ignore[union-attr]
            for form in sorted(hint_forms):
                if _contains(text, form):
                    problems.append(f"{ex.id}: {name} contains the answer ({form!r})")
                    break
    return problems
