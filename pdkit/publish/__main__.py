"""``python -m pdkit.publish``: execute the notebooks (cached), refresh expected files, build the site.

Usage::

    python -m pdkit.publish execute [--update-expected] [--no-cache] [NOTEBOOK ...]
    python -m pdkit.publish site [-o build/site] [--no-cache]

``execute`` runs every text notebook under ``notebooks/`` (or the ones named),
through the jupyter-cache database in ``build/jupyter_cache``, writes the executed
copies to ``build/notebooks/`` and, with ``--update-expected``, rewrites
``tests/expected/notebooks/*.json``.  ``site`` does the same execution and renders
the offline static site.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from pdkit.publish.execute import NotebookExecutionError, execute_notebook, inputs_digest, notebook_sources
from pdkit.publish.expected import expected_path, extract, write_expected

__all__ = ["main"]


def _root() -> Path:
    from pdkit._paths import kit_root

    return kit_root()


def _execute_all(paths: list[Path], cache: bool, out_root: Path | None, nb_root: Path) -> dict[Path, object]:
    import nbformat

    digest = inputs_digest()
    executed = {}
    failures = []
    for p in paths:
        t0 = time.monotonic()
        try:
            result = execute_notebook(p, cache=cache, digest=digest)
        except NotebookExecutionError as exc:
            print(f"FAILED   {p.relative_to(nb_root)}: {exc}", flush=True)
            failures.append(p)
            continue
        how = "cached  " if result.from_cache else "executed"
        print(f"{how} {p.relative_to(nb_root)} ({time.monotonic() - t0:.1f} s)", flush=True)
        executed[p] = result.notebook
        if out_root is not None:
            target = out_root / p.relative_to(nb_root).with_suffix(".ipynb")
            target.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(result.notebook, str(target))
    if failures:
        raise SystemExit(f"{len(failures)} notebook(s) failed: {', '.join(str(f) for f in failures)}")
    return executed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pdkit.publish", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    ex = sub.add_parser("execute", help="execute the notebooks (cached) into build/notebooks")
    ex.add_argument("notebooks", nargs="*", type=Path)
    ex.add_argument("--update-expected", action="store_true", help="rewrite tests/expected/notebooks/*.json")
    ex.add_argument("--no-cache", action="store_true", help="execute even when the cache has the notebook")
    site = sub.add_parser("site", help="build the offline static site of examples and course")
    site.add_argument("-o", "--out", type=Path, default=None, help="output folder (default build/site)")
    site.add_argument("--no-cache", action="store_true")
    args = parser.parse_args(argv)

    root = _root()
    nb_root = root / "notebooks"
    paths = [p.resolve() for p in getattr(args, "notebooks", [])] or notebook_sources(nb_root)
    executed = _execute_all(paths, not args.no_cache, root / "build" / "notebooks", nb_root)
    if args.command == "execute":
        if args.update_expected:
            changed = 0
            for p, nb in executed.items():
                changed += write_expected(expected_path(p, nb_root, root / "tests" / "expected" / "notebooks"),
                                          extract(nb))
            print(f"expected files: {changed} changed")
        return 0
    from pdkit.publish.site import build_site

    index = build_site(executed, nb_root, args.out or root / "build" / "site")
    print(f"site: {index}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
