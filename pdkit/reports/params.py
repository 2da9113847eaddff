"""Typed report parameters: parse a template's ``parameters`` cell and validate values.

A template declares its parameters in one code cell tagged ``parameters`` using
papermill's annotated form, one per line::

    data: str = "data_samples/stability/aav_stability_synthetic.csv"  # Results table {file: csv, xlsx}
    alpha: float = 0.05  # Significance level {range: (0, 0.5]}
    sided: str = "two"  # Interval sides {choices: two, lower, upper}
    lower: float | None = None  # Lower limit (None for none)

Supported types are ``str``, ``int``, ``float``, ``bool``, ``list`` and ``dict``,
optionally ``| None``.  Constraints sit in braces at the end of the help text:
``{range: ...}`` (brackets inclusive, parentheses exclusive, an empty end is
unbounded), ``{choices: ...}``, ``{file: suffixes}`` (the value is a path that
must exist and parse), ``{column: FILEPARAM[, literals]}`` (names a column of that
file), ``{value: FILEPARAM.COLUMN[, literals]}`` (occurs in that column) and
``{above: NAME}`` (a number that must exceed parameter ``NAME`` when both are
set, such as an upper limit over a lower one) and ``{output: csv, xlsx}`` (a file
the template writes: a relative name with no ``..`` component, ending in one of
the suffixes or in none, the template then adding each).  A ``{file: yaml}``
parameter called ``spec`` must be a valid specification (:func:`pdkit.specs.load_spec`)
and one called ``mapping`` a valid column mapping (:func:`pdkit.mapping.load_mapping`).

When the template has an input contract (:mod:`pdkit.contracts`), the ``data``
file is checked against it (seen through the ``mapping`` when one is given) and
every problem is listed in one :class:`~pdkit.errors.ParameterError`: a summary
line, then one line per problem.  Relative paths given by a user resolve against the
current directory; a template's default ``data_samples/...`` path resolves
against the kit's sample folder.

Validation happens twice: by the runner before any kernel starts (values from
``-p``/``-f``), and by :func:`check_parameters` in the template's first code cell
(so a notebook run by hand is validated too).  Any problem raises
:class:`~pdkit.errors.ParameterError` whose one-line message names the parameter,
what was given and what was expected.

Examples
--------
>>> import nbformat
>>> nb = nbformat.v4.new_notebook()
>>> cell = nbformat.v4.new_code_cell('alpha: float = 0.05  # Level {range: (0, 0.5]}')
>>> cell.metadata["tags"] = ["parameters"]
>>> nb.cells.append(cell)
>>> specs = parse_parameters(nb)
>>> validate_parameters(specs, {"alpha": "0.1"}, from_strings=True)
{'alpha': 0.1}
>>> try:
...     validate_parameters(specs, {"alpha": "0.7"}, from_strings=True)
... except ValueError as e:
...     print(e)
parameter 'alpha': got 0.7, expected a float in (0, 0.5]
"""
from __future__ import annotations

import ast
import io
import math
import re
import tokenize
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any, Iterable, Mapping

from pdkit.errors import InputError, ParameterError

__all__ = [
    "ParamSpec",
    "Parameters",
    "TemplateError",
    "parse_parameters",
    "validate_parameters",
    "check_parameters",
    "find_template",
    "list_templates",
    "template_title",
]

_TYPES = {"str": str, "int": int, "float": float, "bool": bool, "list": list, "dict": dict}
_MARKER = re.compile(r"\{\s*(range|choices|file|column|value|above|output|needs)\s*:\s*([^}]*)\}")
_TABLE_SUFFIXES = {"csv", "tsv", "txt", "xlsx", "xlsm", "xls"}


class TemplateError(Exception):
    """A template itself is malformed (a bug for the template author, not a user error)."""


@dataclass(frozen=True)
class ParamSpec:
    """One declared template parameter."""

    name: str
    type: str
    default: Any
    help: str = ""
    optional: bool = False
    range: tuple | None = None  # (low, high, low_inclusive, high_inclusive)
    choices: tuple | None = None
    file: tuple | None = None  # allowed suffixes, lower case without dot
    column_of: tuple | None = None  # (file parameter, allowed literals...): value names a column of it
    value_of: tuple | None = None  # (file parameter, column, allowed literals...): value occurs in that column
    above: str | None = None  # name of a numeric parameter this one must exceed when both are set
    output: tuple[str, ...] | None = None  # {output: csv, xlsx}: a relative file name the template writes
    template: str | None = None  # the template declaring it (its input contract, pdkit.contracts)
    needs: str | None = None  # {needs: NAME}: when this one is set, parameter NAME must be set too

    @property
    def type_label(self) -> str:
        return self.type + (" | None" if self.optional else "")

    def describe_expected(self) -> str:
        """Human description of what a valid value is, for error messages."""
        if self.choices is not None:
            text = "one of " + ", ".join(repr(c) if isinstance(c, str) else str(c) for c in self.choices)
        elif self.file is not None:
            text = "an existing " + "/".join(self.file) + " file"
        elif self.output is not None:
            text = ("a relative file name (no absolute path, no '..') ending in "
                    + " or ".join("." + x for x in self.output) + " or without a suffix")
        else:
            text = {"str": "a text", "int": "an integer", "float": "a float", "bool": "true or false",
                    "list": "a list", "dict": "a mapping"}[self.type]
            if self.range is not None:
                lo, hi, lo_inc, hi_inc = self.range
                if lo is not None and hi is not None:
                    text += f" in {'[' if lo_inc else '('}{_fmt(lo)}, {_fmt(hi)}{']' if hi_inc else ')'}"
                elif lo is not None:
                    text += f" {'>=' if lo_inc else '>'} {_fmt(lo)}"
                elif hi is not None:
                    text += f" {'<=' if hi_inc else '<'} {_fmt(hi)}"
        if self.column_of is not None:
            text += f", a column of {self.column_of[0]}" + "".join(f" or {x!r}" for x in self.column_of[1:])
        if self.value_of is not None:
            text += f", a value of column '{self.value_of[1]}' of {self.value_of[0]}" + \
                "".join(f" or {x!r}" for x in self.value_of[2:])
        if self.above is not None:
            text += f", above parameter '{self.above}'"
        if self.needs is not None:
            text += f", with parameter '{self.needs}' set"
        if self.optional:
            text += " or None"
        return text


def _fmt(x: Any) -> str:
    if isinstance(x, float) and x.is_integer() and abs(x) < 1e15:
        return str(int(x))
    return str(x)


@dataclass(frozen=True)
class Parameters:
    """Validated parameter values, read-only; attribute and mapping access.

    ``P.alpha`` and ``P["alpha"]`` both work; file parameters are absolute ``Path``s.
    """

    values: Mapping[str, Any] = field(default_factory=dict)

    def __getattr__(self, name: str) -> Any:
        try:
            return self.values[name]
        except KeyError:
            raise AttributeError(name) from None

    def __getitem__(self, name: str) -> Any:
        return self.values[name]

    def as_dict(self) -> dict[str, Any]:
        return {k: (str(v) if isinstance(v, Path) else v) for k, v in self.values.items()}

    def __repr__(self) -> str:
        inner = ", ".join(f"{k}={v!r}" for k, v in self.as_dict().items())
        return f"Parameters({inner})"


# ---------------------------------------------------------------- parsing


def _parse_annotation(node: ast.expr, name: str) -> tuple[str, bool]:
    text = ast.unparse(node).replace(" ", "")
    optional = False
    for pat in (r"^(\w+)\|None$", r"^None\|(\w+)$", r"^Optional\[(\w+)\]$"):
        m = re.match(pat, text)
        if m:
            text, optional = m.group(1), True
            break
    base = re.sub(r"\[.*\]$", "", text)  # list[str] -> list
    if base not in _TYPES:
        raise TemplateError(f"parameter '{name}': unsupported annotation '{ast.unparse(node)}' "
                            f"(use {', '.join(_TYPES)}, optionally '| None')")
    return base, optional


def _parse_range(text: str, name: str) -> tuple:
    text = text.strip()
    if len(text) < 3 or text[0] not in "[(" or text[-1] not in "])" or "," not in text:
        raise TemplateError(f"parameter '{name}': bad range marker '{{range: {text}}}'")
    lo_s, hi_s = (s.strip() for s in text[1:-1].split(",", 1))
    lo = float(lo_s) if lo_s else None
    hi = float(hi_s) if hi_s else None
    return (lo, hi, text[0] == "[", text[-1] == "]")


def _comments_by_line(source: str) -> dict[int, str]:
    comments: dict[int, str] = {}
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type == tokenize.COMMENT:
                comments[tok.start[0]] = tok.string.lstrip("#").strip()
    except (tokenize.TokenError, IndentationError):
        pass
    return comments


def _notebook(nb_or_path: Any):
    import nbformat

    if isinstance(nb_or_path, (str, Path)):
        from pdkit.reports.nbio import read_notebook

        return read_notebook(nb_or_path)
    return nb_or_path


def parse_parameters(notebook: Any) -> list[ParamSpec]:
    """Parse the ``parameters`` cell of a template (path or nbformat node) into specs."""
    nb = _notebook(notebook)
    template_name = Path(notebook).stem if isinstance(notebook, (str, Path)) else None
    cells = [c for c in nb.cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    if len(cells) != 1:
        raise TemplateError(f"a template needs exactly one cell tagged 'parameters', found {len(cells)}")
    source = cells[0].source
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        raise TemplateError(f"parameters cell does not parse: {exc}") from None
    comments = _comments_by_line(source)
    specs: list[ParamSpec] = []
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            continue
        if isinstance(node, ast.Assign):
            raise TemplateError(f"parameters cell line {node.lineno}: add a type annotation (name: type = default)")
        if not isinstance(node, ast.AnnAssign) or not isinstance(node.target, ast.Name) or node.value is None:
            raise TemplateError(f"parameters cell line {node.lineno}: expected 'name: type = default  # help'")
        name = node.target.id
        typ, optional = _parse_annotation(node.annotation, name)
        try:
            default = ast.literal_eval(node.value)
        except ValueError:
            raise TemplateError(f"parameter '{name}': the default must be a literal") from None
        help_text = comments.get(node.end_lineno or node.lineno, comments.get(node.lineno, ""))
        rng = choices = files = column_of = value_of = above = output = needs = None
        for kind, body in _MARKER.findall(help_text):
            items = tuple(x.strip() for x in body.split(",") if x.strip())
            if kind in ("column", "value") and not items:
                raise TemplateError(f"parameter '{name}': empty {{{kind}: ...}} marker")
            if kind == "column":
                column_of = items
            elif kind == "value":
                if "." not in items[0]:
                    raise TemplateError(f"parameter '{name}': write {{value: FILEPARAM.COLUMN}}, got '{items[0]}'")
                column_of_file, column = items[0].split(".", 1)
                value_of = (column_of_file, column) + items[1:]
            elif kind == "above":
                above = body.strip()
            elif kind == "needs":
                needs = body.strip()
            elif kind == "range":
                rng = _parse_range(body, name)
            elif kind == "output":
                output = tuple(s.strip().lower().lstrip(".") for s in body.split(",") if s.strip())
                if typ != "str" or not output:
                    raise TemplateError(f"parameter '{name}': {{output: suffixes}} needs a str parameter and at "
                                        "least one suffix")
            elif kind == "choices":
                choices = tuple(_coerce_choice(c.strip(), typ) for c in body.split(",") if c.strip())
            else:
                files = tuple(s.strip().lower().lstrip(".") for s in body.split(",") if s.strip())
        help_clean = _MARKER.sub("", help_text).strip()
        if default is None:
            optional = True
        specs.append(ParamSpec(name, typ, default, help_clean, optional, rng, choices, files, column_of, value_of,
                               above, output, template_name, needs))
    names = [s.name for s in specs]
    by_name = {s.name: s for s in specs}
    for sp in specs:
        ref = (sp.column_of or sp.value_of or (None,))[0]
        if ref is not None and (ref not in by_name or by_name[ref].file is None):
            raise TemplateError(f"parameter '{sp.name}': its column/value marker refers to '{ref}', "
                                f"which is not a file parameter of this template")
        if sp.above is not None and (sp.type not in ("int", "float") or sp.above not in by_name
                                     or by_name[sp.above].type not in ("int", "float")):
            raise TemplateError(f"parameter '{sp.name}': {{above: {sp.above}}} needs both to be numeric "
                                f"parameters of this template")
        if sp.needs is not None and sp.needs not in by_name:
            raise TemplateError(f"parameter '{sp.name}': {{needs: {sp.needs}}} names no parameter of this template")
    if len(set(names)) != len(names):
        raise TemplateError(f"parameters declared twice: {sorted({n for n in names if names.count(n) > 1})}")
    return specs


def _coerce_choice(text: str, typ: str) -> Any:
    if typ == "int":
        return int(text)
    if typ == "float":
        return float(text)
    return text


# ---------------------------------------------------------------- templates


def find_template(name: str) -> Path:
    """Path of template ``name``: a name from :func:`list_templates`, or a path to a notebook
    (a jupytext ``.py``/``.md`` text notebook or an ``.ipynb``)."""
    from pdkit._paths import templates_dir
    from pdkit.reports.nbio import NOTEBOOK_SUFFIXES, is_notebook_source

    p = Path(name)
    if p.suffix in NOTEBOOK_SUFFIXES and is_notebook_source(p):
        return p.resolve()
    for suffix in NOTEBOOK_SUFFIXES:
        candidate = templates_dir() / f"{name}{suffix}"
        if is_notebook_source(candidate):
            return candidate
    known = ", ".join(list_templates()) or "none"
    raise ParameterError(f"unknown template '{name}' (available: {known})")


def list_templates() -> list[str]:
    """Names of the templates shipped with the kit, sorted."""
    from pdkit._paths import templates_dir

    from pdkit.reports.nbio import is_notebook_source

    d = templates_dir()
    if not d.is_dir():
        return []
    return sorted({p.stem for p in d.iterdir() if not p.name.startswith((".", "_")) and is_notebook_source(p)})


def template_title(notebook: Any) -> str:
    """The first markdown heading of a template, used as the report title."""
    nb = _notebook(notebook)
    for c in nb.cells:
        if c.cell_type == "markdown":
            for line in c.source.splitlines():
                if line.startswith("#"):
                    return line.lstrip("#").strip()
    return "pdkit report"


# ---------------------------------------------------------------- validation


def _given(value: Any) -> str:
    text = repr(value) if isinstance(value, str) else _fmt(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _resolve_path(value: str, bases: list[Path]) -> Path:
    """Absolute path for ``value``: as is if absolute, else the first existing of ``base/value``
    for each base, then ``data_samples/...`` against the kit's sample folder; if none exists,
    the path under the first base (for the error message)."""
    from pdkit._paths import samples_dir

    p = Path(value).expanduser()
    if p.is_absolute():
        return p
    for base in bases:
        candidate = (base / p).resolve()
        if candidate.exists():
            return candidate
    parts = p.parts
    if parts and parts[0] == "data_samples":
        sample = samples_dir().joinpath(*parts[1:])
        if sample.exists():
            return sample.resolve()
    return (bases[0] / p).resolve()


def _check_file(path: Path, spec: ParamSpec, given: Any) -> None:
    allowed = spec.file or ()
    suffix = path.suffix.lower().lstrip(".")
    expected = spec.describe_expected()
    if not path.exists():
        raise ParameterError(f"parameter '{spec.name}': got {_given(given)}, expected {expected} (file not found: {path})")
    if not path.is_file():
        raise ParameterError(f"parameter '{spec.name}': got {_given(given)}, expected {expected} (not a file)")
    if allowed and suffix not in allowed:
        raise ParameterError(f"parameter '{spec.name}': got {_given(given)}, expected {expected} (wrong file type '.{suffix}')")
    try:
        if suffix in _TABLE_SUFFIXES:
            _read_table_once(str(path), f"parameter '{spec.name}'")
        elif suffix in {"yaml", "yml"}:
            import yaml

            with open(path, encoding="utf-8") as fh:
                content = yaml.safe_load(fh)
            if not isinstance(content, (dict, list)):
                raise InputError("the YAML file does not contain a mapping or list")
            if spec.name == "spec":
                from pdkit.quality.specs import load_spec

                load_spec(path)  # a specification is validated in full (lower > upper, unknown fields...)
            elif spec.name == "mapping":
                from pdkit.io.mapping import load_mapping

                load_mapping(path)  # pydantic: unknown keys are errors naming the key
        elif suffix in {"nc", "nc4", "netcdf"}:
            import xarray as xr

            with xr.open_dataset(path) as _ds:
                pass
        elif suffix == "json":
            import json

            with open(path, encoding="utf-8") as fh:
                json.load(fh)
    except InputError as exc:
        msg = str(exc)
        prefix = f"parameter '{spec.name}' file "
        msg = msg[len(prefix):] if msg.startswith(prefix) else msg
        raise ParameterError(f"parameter '{spec.name}': got {_given(given)}, expected {expected} that parses ({msg})") from None
    except Exception as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ParameterError(f"parameter '{spec.name}': got {_given(given)}, expected {expected} that parses ({first})") from None


def _read_table_once(path: str, what: str):
    """Read a table file once per validation: the parse check and the column checks share it.

    Keyed on the file's path, size and modification time, so an edited file is read again.
    A file that does not parse is read again uncached so the error names ``what``.
    """
    from pdkit.io.tables import read_table

    st = Path(path).stat()
    try:
        return _read_table_cached(str(Path(path).resolve()), st.st_size, st.st_mtime_ns)
    except InputError:
        return read_table(path, what=what)


@lru_cache(maxsize=8)
def _read_table_cached(path: str, size: int, mtime_ns: int):
    from pdkit.io.tables import read_table

    return read_table(path)


def _table_columns(path: str, mapping: str | None = None) -> tuple[list[str], Any]:
    """Column names of a table file (read through a column mapping when given) and a function
    giving a column's distinct values as text."""
    suffix = Path(path).suffix.lower().lstrip(".")
    if mapping is not None and suffix in _TABLE_SUFFIXES:
        from pdkit.io.mapping import apply_mapping

        df = apply_mapping(path, mapping).table.drop(columns=["row"])
        return [str(c) for c in df.columns], lambda col: sorted({str(v).strip() for v in df[col].dropna()}) \
            if col in df.columns else None
    if suffix in {"nc", "nc4", "netcdf"}:
        import xarray as xr

        with xr.open_dataset(path) as ds:
            names = [str(n) for n in list(ds.data_vars) + list(ds.coords)]
            values = {n: sorted({str(v) for v in ds[n].values.ravel()}) for n in ds.coords}
        return names, lambda col: values.get(col)
    df = _read_table_once(path, "data")
    return [str(c) for c in df.columns], lambda col: sorted({str(v).strip() for v in df[col].dropna()}) \
        if col in df.columns else None


def _items(value: Any) -> list[str]:
    if isinstance(value, (list, tuple)):
        return [str(v).strip() for v in value]
    return [v.strip() for v in str(value).split(",") if v.strip()]


def _check_columns(specs: list[ParamSpec], out: dict[str, Any]) -> None:
    """Check {column: ...} and {value: ...} markers against the (already validated) data files.

    With a ``mapping`` parameter set, the ``data`` file is seen through the column mapping.
    A worksheet header with units is also known by its plain name (``temp (degC)`` as ``temp``,
    :func:`pdkit.io.tables.plain_column_name`), as the DoE templates read it.
    """
    from pdkit.io.tables import plain_column_name

    cache: dict[str, tuple] = {}
    mapping = out.get("mapping") if any(s.name == "mapping" and s.file for s in specs) else None
    for spec in specs:
        marker = spec.column_of or spec.value_of
        if marker is None or out.get(spec.name) is None:
            continue
        file_param = marker[0]
        path = out.get(file_param)
        if path is None:
            continue
        if path not in cache:
            cache[path] = _table_columns(path, mapping if file_param == "data" else None)
        columns, values_of = cache[path]
        literals = set(marker[1:]) if spec.column_of else set(marker[2:])
        fname = Path(path).name
        for item in _items(out[spec.name]):
            if item in literals:
                continue
            if spec.column_of:
                if item not in columns and item not in {str(plain_column_name(c)[0]) for c in columns}:
                    extra = f" or {', '.join(sorted(literals))}" if literals else ""
                    raise ParameterError(
                        f"parameter '{spec.name}': got {_given(item)}, expected a column of {file_param} file "
                        f"'{fname}'{extra} (columns: {', '.join(columns)})")
            else:
                column = marker[1]
                allowed = values_of(column)
                if allowed is None:
                    raise ParameterError(f"parameter '{spec.name}': {file_param} file '{fname}' has no column "
                                         f"'{column}' to take the value from")
                if item not in allowed:
                    shown = ", ".join(allowed[:12]) + (" ..." if len(allowed) > 12 else "")
                    extra = f" or {', '.join(sorted(literals))}" if literals else ""
                    raise ParameterError(
                        f"parameter '{spec.name}': got {_given(item)}, expected a value of column '{column}' in "
                        f"{file_param} file '{fname}'{extra} (values: {shown})")


def _coerce(spec: ParamSpec, value: Any, from_string: bool) -> Any:
    import yaml
    from pydantic import TypeAdapter, ValidationError

    if from_string and isinstance(value, str):
        text = value.strip()
        if spec.optional and text.lower() in {"none", "null", "~", ""}:
            return None
        if spec.type != "str":
            try:
                value = yaml.safe_load(text) if text else text
            except yaml.YAMLError:
                value = text
    if value is None:
        if spec.optional:
            return None
        raise ParameterError(f"parameter '{spec.name}': got None, expected {spec.describe_expected()}")
    if spec.type == "str" and isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    if spec.type in ("int", "float") and isinstance(value, bool):
        raise ParameterError(f"parameter '{spec.name}': got {_given(value)}, expected {spec.describe_expected()}")
    if spec.type == "float" and isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            pass
    try:
        out = TypeAdapter(_TYPES[spec.type]).validate_python(value)
    except ValidationError:
        raise ParameterError(f"parameter '{spec.name}': got {_given(value)}, expected {spec.describe_expected()}") from None
    if spec.type == "float" and not math.isfinite(out):
        raise ParameterError(f"parameter '{spec.name}': got {_given(value)}, expected a finite {spec.describe_expected()[2:]}")
    return out


def _check_output(spec: ParamSpec, value: Any, given: Any) -> None:
    """{output: ...}: a relative file name inside the output folder with an allowed suffix (or none)."""
    from pathlib import PurePosixPath, PureWindowsPath

    text = str(value).strip()
    expected = spec.describe_expected()
    why = None
    if not text:
        why = "empty name"
    elif PurePosixPath(text).is_absolute() or PureWindowsPath(text).is_absolute() or PureWindowsPath(text).drive \
            or text.startswith("~"):
        why = "absolute path"
    elif ".." in PurePosixPath(text.replace("\\", "/")).parts:
        why = "'..' leaves the output folder"
    else:
        suffix = PurePosixPath(text.replace("\\", "/")).suffix.lower().lstrip(".")
        if suffix and suffix not in (spec.output or ()):
            why = f"wrong suffix '.{suffix}'"
    if why:
        raise ParameterError(f"parameter '{spec.name}': got {_given(given)}, expected {expected} ({why})")


def _check_constraints(spec: ParamSpec, value: Any, given: Any) -> None:
    if value is None:
        return
    if spec.output is not None:
        _check_output(spec, value, given)
    if spec.choices is not None and value not in spec.choices:
        raise ParameterError(f"parameter '{spec.name}': got {_given(given)}, expected {spec.describe_expected()}")
    if spec.range is not None and spec.type in ("int", "float"):
        lo, hi, lo_inc, hi_inc = spec.range
        bad = (lo is not None and (value < lo or (value == lo and not lo_inc))) or \
              (hi is not None and (value > hi or (value == hi and not hi_inc)))
        if bad:
            raise ParameterError(f"parameter '{spec.name}': got {_given(value)}, expected {spec.describe_expected()}")


def validate_parameters(
    specs: Iterable[ParamSpec],
    values: Mapping[str, Any],
    *,
    from_strings: bool | Iterable[str] = False,
    base_dir: str | Path | None = None,
    template_dir: str | Path | None = None,
    fill_defaults: bool = False,
) -> dict[str, Any]:
    """Validate and coerce ``values`` against ``specs``.

    Parameters
    ----------
    specs : iterable of ParamSpec
    values : mapping
        Parameter values by name; unknown names are rejected.
    from_strings : bool or set of names
        Values (or the named ones) came from the command line as text and are
        parsed according to the annotation.
    base_dir : path, optional
        Directory that relative file paths given by the user resolve against (default: current).
    template_dir : path, optional
        The template's folder: relative default paths resolve against it (then against
        the kit's sample folder for ``data_samples/...``).
    fill_defaults : bool
        Also validate the defaults of parameters not given, and return them.

    Returns
    -------
    dict
        Coerced values; file parameters become absolute path strings.
    """
    specs = list(specs)
    by_name = {s.name: s for s in specs}
    unknown = [k for k in values if k not in by_name]
    if unknown:
        raise ParameterError(
            f"parameter '{unknown[0]}': unknown for this template (known: {', '.join(by_name) or 'none'})"
        )
    string_names = set(by_name) if from_strings is True else set(from_strings or ())
    base = Path(base_dir) if base_dir is not None else Path.cwd()
    out: dict[str, Any] = {}
    for spec in specs:
        if spec.name in values:
            given = values[spec.name]
            value = _coerce(spec, given, spec.name in string_names)
            defaulted = False
        elif fill_defaults:
            given = value = spec.default
            defaulted = True
        else:
            continue
        _check_constraints(spec, value, given)
        if spec.file is not None and value is not None:
            tdir = [Path(template_dir)] if template_dir is not None else []
            bases = (tdir + [base]) if defaulted else ([base] + tdir)
            path = _resolve_path(str(value), bases)
            _check_file(path, spec, given)
            value = str(path)
        out[spec.name] = value
    referenced = {(sp.column_of or sp.value_of)[0] for sp in specs if sp.column_of or sp.value_of}
    if referenced:
        # a referenced file parameter that was not given this time is checked at its default
        resolved = dict(out)
        for spec in specs:
            if spec.name in referenced and spec.name not in resolved and spec.default is not None:
                resolved.update(validate_parameters([spec], {}, fill_defaults=True, template_dir=template_dir))
        _check_columns(specs, resolved)
    _check_order(specs, out)
    _check_needs(specs, out)
    _check_contract(specs, out, template_dir)
    return out


def _check_contract(specs: list[ParamSpec], out: dict[str, Any], template_dir: str | Path | None) -> None:
    """Check the ``data`` file against the template's input contract (pdkit.contracts), listing
    every problem in one :class:`ParameterError` (first line a summary, then one line each)."""
    from pdkit.io.contracts import CONTRACTS, check_table

    template = next((s.template for s in specs if s.template), None)
    if template not in CONTRACTS or out.get("data") is None:
        return
    values = _with_defaults(specs, out, template_dir)
    if Path(str(out["data"])).suffix.lower().lstrip(".") not in _TABLE_SUFFIXES:
        # netCDF, YAML factor definitions: read by their own loaders
        if template == "doe_design":
            _check_design_plan(values, None)
        return
    try:
        _, problems = check_table(template, values["data"], values)
    except InputError as exc:
        raise ParameterError(f"parameter 'data': {exc}") from None
    if problems:
        from pdkit.io.contracts import format_problems

        raise ParameterError("parameter 'data': " + format_problems(problems, Path(str(out["data"])).name, template))
    if template == "doe_design":
        _check_design_plan(values, values["data"])


def _check_design_plan(values: dict[str, Any], table: Any = None) -> None:
    """doe_design: build the design from the factor definitions and the parameters (model, constraints,
    augmentation) before any kernel starts; the message names the parameter at fault."""
    if "design" not in values:
        return
    from pdkit.doe.designs.plan import design_from_parameters, read_factor_definitions

    try:
        design_from_parameters(read_factor_definitions(values["data"]), values, quick=True)
    except InputError as exc:
        raise ParameterError(str(exc)) from None


def _with_defaults(specs: list[ParamSpec], out: dict[str, Any], template_dir: str | Path | None) -> dict[str, Any]:
    """``out`` plus every parameter not validated this time, at its default."""
    values = dict(out)
    for spec in specs:  # parameters not validated this time are taken at their defaults
        if spec.name not in values:
            if spec.file is not None and spec.default is not None:
                try:
                    values.update(validate_parameters([spec], {}, fill_defaults=True, template_dir=template_dir))
                except InputError:
                    values[spec.name] = None
            else:
                values[spec.name] = spec.default
    return values


def _check_needs(specs: list[ParamSpec], out: dict[str, Any]) -> None:
    """Check {needs: other} markers: a parameter that is set requires the other to be set too.

    A parameter not validated this time (``fill_defaults=False``) is taken at its default.
    """
    by_name = {s.name: s for s in specs}
    for spec in specs:
        if spec.needs is None or out.get(spec.name, spec.default) is None:
            continue
        if out.get(spec.needs, by_name[spec.needs].default) is None:
            raise ParameterError(f"parameter '{spec.name}': got {_given(out.get(spec.name, spec.default))}, "
                                 f"which needs parameter '{spec.needs}' set too ({by_name[spec.needs].help})")


def _check_order(specs: list[ParamSpec], out: dict[str, Any]) -> None:
    """Check {above: other} markers: when both values are set, this one must exceed the other.

    A parameter not validated this time (``fill_defaults=False``) is compared at its default.
    """
    by_name = {s.name: s for s in specs}
    for spec in specs:
        if spec.above is None or spec.name not in out and spec.above not in out:
            continue
        value = out.get(spec.name, spec.default)
        other = out.get(spec.above, by_name[spec.above].default)
        if value is not None and other is not None and not value > other:
            raise ParameterError(f"parameter '{spec.name}': got {_given(value)}, expected a value above parameter "
                                 f"'{spec.above}' ({_given(other)})")


def check_parameters(template: str, namespace: Mapping[str, Any]) -> Parameters:
    """Validate the parameters of ``template`` as they stand in a notebook's namespace.

    Call it in a template's first code cell: ``P = check_parameters("name", globals())``.
    Returns a read-only :class:`Parameters`; file parameters become absolute paths.
    """
    path = find_template(template)
    specs = parse_parameters(path)
    missing = [s.name for s in specs if s.name not in namespace]
    if missing:
        raise TemplateError(f"template '{template}': parameters not defined in the notebook: {missing}")
    values = validate_parameters(specs, {s.name: namespace[s.name] for s in specs}, template_dir=path.parent)
    typed = {k: (Path(v) if by and v is not None else v)
             for (k, v), by in zip(values.items(), (s.file is not None for s in specs))}
    return Parameters(MappingProxyType(typed))
