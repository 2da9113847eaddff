"""Package layout rules, checked on the source with ``ast`` (nothing is imported).

* A module uses only the **public names** of another module: no ``from X import _name``.
  A private *module* (``pdkit._paths``, ``pdkit.reports._kernel``) may be imported only
  from inside the package that holds it (``pdkit._paths`` from anywhere in ``pdkit``,
  ``pdkit.reports._kernel`` from ``pdkit.reports``).
* Every module declares ``__all__``.

Files and folders being edited by other engineers are listed in ``KNOWN`` and
``KNOWN_FOLDERS`` with the reason; the lead removes an entry when it is fixed (a
``KNOWN`` file that no longer fails is reported, so that list cannot go stale).
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

import pdkit

ROOT = Path(pdkit.__file__).parent
#: not importable modules (alembic scripts run by alembic itself)
NOT_MODULES = ("lots/migrations/",)

#: (rule, file) -> why it is allowed for now.  Remove entries as the files are fixed.
KNOWN: dict[tuple[str, str], str] = {
}
#: folders other engineers are editing while the layout settles: violations there xfail with the reason
KNOWN_FOLDERS: dict[str, str] = {
}


def _modules() -> list[Path]:
    return sorted(p for p in ROOT.rglob("*.py")
                  if not any(str(p.relative_to(ROOT)).startswith(x) for x in NOT_MODULES))


def _dotted(path: Path) -> str:
    parts = ["pdkit", *path.relative_to(ROOT).with_suffix("").parts]
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _package(path: Path) -> str:
    name = _dotted(path)
    return name if path.name == "__init__.py" else name.rpartition(".")[0]


def _private(part: str) -> bool:
    return part.startswith("_") and not part.startswith("__")


def _absolute(node: ast.ImportFrom, path: Path) -> str:
    if not node.level:
        return node.module or ""
    base = _package(path).split(".")
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def private_imports(path: Path) -> list[str]:
    """Every import in ``path`` of another module's private name, or of a private module from outside its package."""
    here = _dotted(path)
    package = _package(path)
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        targets: list[tuple[str, str | None]] = []  # (module, imported name or None)
        if isinstance(node, ast.ImportFrom):
            module = _absolute(node, path)
            if not module.startswith("pdkit"):
                continue
            targets = [(module, alias.name) for alias in node.names]
        elif isinstance(node, ast.Import):
            targets = [(alias.name, None) for alias in node.names if alias.name.startswith("pdkit")]
        for module, name in targets:
            if module == here:
                continue
            if name is not None and _private(name):
                # ``from pdkit.reports import _kernel`` imports a module: judge it as one
                if (ROOT / Path(*module.split(".")[1:], name)).with_suffix(".py").exists():
                    module, name = f"{module}.{name}", None
                else:
                    found.append(f"line {node.lineno}: from {module} import {name}")
                    continue
            parts = module.split(".")
            for i, part in enumerate(parts):
                if _private(part):
                    owner = ".".join(parts[:i])  # the package that holds the private module
                    if not (package == owner or package.startswith(owner + ".")):
                        found.append(f"line {node.lineno}: private module {'.'.join(parts[: i + 1])} "
                                     f"imported from {package}")
                    break
    return found


def has_all(path: Path) -> bool:
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets):
            return True
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.target.id == "__all__":
            return True
    return False


def _rel(path: Path) -> str:
    return str(path.relative_to(ROOT))


def _check(rule: str, path: Path, problems: list[str]) -> None:
    folder = next((why for prefix, why in KNOWN_FOLDERS.items() if _rel(path).startswith(prefix)), None)
    if folder is not None and problems:
        pytest.xfail(f"{_rel(path)}: {folder}: {'; '.join(problems)}")
    why = KNOWN.get((rule, _rel(path)))
    if why is not None:
        if problems:
            pytest.xfail(f"{_rel(path)}: {why}: {'; '.join(problems)}")
        pytest.fail(f"{_rel(path)} is clean now: remove its KNOWN entry ({rule})")
    assert problems == [], f"{_rel(path)}: " + "; ".join(problems)


@pytest.mark.parametrize("path", _modules(), ids=_rel)
def test_public_names_only_across_modules(path):
    _check("private-import", path, private_imports(path))


@pytest.mark.parametrize("path", _modules(), ids=_rel)
def test_every_module_declares_all(path):
    _check("all", path, [] if has_all(path) else ["no __all__"])


def test_the_scanner_finds_what_it_should(tmp_path, monkeypatch):
    fake = tmp_path / "pdkit"
    (fake / "reports").mkdir(parents=True)
    (fake / "reports" / "_kernel.py").write_text("")
    sample = fake / "reports" / "batch.py"
    sample.write_text("from pdkit.reports.runner import _writing, run_report\n"
                      "from .runner import _pdf_module\n"
                      "from pdkit.reports._kernel import stop_kernels\n"
                      "from pdkit.reports import _kernel\n"
                      "from pdkit.escape import html_text\n")
    outside = fake / "cli.py"
    outside.write_text("from pdkit.reports._kernel import stop_kernels\nimport pdkit.reports._kernel\n")
    monkeypatch.setitem(globals(), "ROOT", fake)
    assert private_imports(sample) == ["line 1: from pdkit.reports.runner import _writing",
                                       "line 2: from pdkit.reports.runner import _pdf_module"]
    assert private_imports(outside) == [
        "line 1: private module pdkit.reports._kernel imported from pdkit",
        "line 2: private module pdkit.reports._kernel imported from pdkit",
    ]
    assert not has_all(sample)


def test_package_files_are_not_git_ignored():
    """Hatch leaves git-ignored files out of the wheel: every file of the package must be visible to git."""
    import shutil
    import subprocess

    repo = ROOT.parent
    if shutil.which("git") is None or not (repo / ".git").exists():
        pytest.skip("not a git checkout")
    files = [str(p.relative_to(repo)) for p in ROOT.rglob("*")
             if p.is_file() and "__pycache__" not in p.parts and p.suffix not in (".pyc", ".pyo")]
    out = subprocess.run(["git", "check-ignore", "--no-index", "--stdin"], cwd=repo, input="\n".join(files),
                         capture_output=True, text=True).stdout.split()
    assert out == [], f"git-ignored, so missing from the wheel: {out[:10]}"
