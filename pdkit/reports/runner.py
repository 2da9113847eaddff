"""Run a report template reproducibly with papermill and record its provenance.

:func:`run_report` is what ``pdkit run`` calls:

1. parse the template's parameter declarations and validate every value
   (``-f`` YAML file, then ``-p`` overrides) - a bad value raises
   :class:`~pdkit.errors.ParameterError` before anything is written or any
   kernel starts.  Output-path parameters resolve against the output folder and
   must stay inside it; no parameter may name an input file as an output, and
   no input may live inside the output folder;
2. claim the output folder (:func:`claim_output_folder`): pdkit owns it.  An
   existing non-empty folder is refused (:class:`OutputFolderError`, exit 2)
   unless ``force``, which moves the old content aside to a sibling
   ``<name>.superseded-<UTC time>`` folder; a lock file beside the folder
   (``.<name>.pdkit.lock`` in its parent, removed afterwards) stops a second run
   into the same folder while one is running;
3. hash every input file (SHA-256, size), record parameters, versions, git
   commit, who ran it where and why (``user``, ``host``, ``reason``) and the UTC start;
4. execute with papermill in the output folder (the working directory of the
   kernel), writing the notebook under a temporary name.  SIGTERM and SIGINT
   end the run as failed (the kernel is killed, its temporary folder removed);
5. store the provenance in the notebook's ``metadata.pdkit``, rename it to
   ``<template>.ipynb``; on success export ``<template>.html`` and, with ``pdf``,
   every HTML in the folder to PDF; on failure no report HTML is left;
6. hash every file in the folder as an output and write ``manifest.json`` atomically.

A full disk (ENOSPC) at any write raises :class:`DiskFullError` after removing
the run's partial outputs and recording the failure in the manifest when there
is room for it.

Examples
--------
>>> sorted(run_identity())
['host', 'user']
"""
from __future__ import annotations

import errno
import fcntl
import getpass
import importlib
import logging
import os
import re
import shutil
import signal
import socket
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Iterable, Iterator, Mapping

from pdkit.errors import ParameterError
from pdkit.reports.nbio import read_notebook
from pdkit.reports.params import find_template, parse_parameters, template_title, validate_parameters
from pdkit.io.files import atomic_write_json, atomic_write_text
from pdkit.reports.provenance import (
    environment,
    file_record,
    git_state,
    utc_now,
)

__all__ = [
    "MANIFEST",
    "PAPER_SIZES",
    "RunResult",
    "FolderClaim",
    "OutputFolderError",
    "DiskFullError",
    "run_report",
    "load_parameter_file",
    "prepare_run",
    "check_output_paths",
    "claim_output_folder",
    "run_identity",
    "disk_full_guard",
    "require_pdf",
]

MANIFEST = "manifest.json"
#: a URL with credentials, e.g. postgresql://user:secret@host/db (never stored in a record)
_URL_PASSWORD = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://[^/@\s]*:[^/@\s]*@")
#: paper sizes of ``--pdf``
PAPER_SIZES = ("A4", "Letter")
#: how long a stopped run waits for its execution thread to end after killing the kernel
_STOP_WAIT_S = 60.0


class OutputFolderError(ParameterError):
    """The output folder cannot be used: not empty, in use by another run, or outputs would leave it.

    Examples
    --------
    >>> isinstance(OutputFolderError("x"), ValueError)
    True
    """


class DiskFullError(OSError):
    """The disk filled up (ENOSPC) while a run wrote ``path``; exit code 1.

    Examples
    --------
    >>> str(DiskFullError("/out/r.html"))
    'disk full writing /out/r.html'
    """

    def __init__(self, path: str | Path, detail: str = ""):
        self.path = str(path)
        self.detail = detail
        super().__init__(errno.ENOSPC, f"disk full writing {self.path}" + (f" ({detail})" if detail else ""))

    def __str__(self) -> str:
        return self.strerror


@dataclass(frozen=True)
class RunResult:
    """Outcome of one report run."""

    template: str
    status: str  # "succeeded" | "failed"
    outdir: Path
    notebook: Path
    html: Path | None
    manifest: Path
    error: str | None
    duration_s: float
    superseded: Path | None = None  # where --force moved the folder's earlier content

    @property
    def exit_code(self) -> int:
        return 0 if self.status == "succeeded" else 1


def load_parameter_file(path: str | Path) -> dict[str, Any]:
    """Read a ``-f`` YAML parameter file (a mapping of name -> value).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "p.yaml"
    >>> _ = p.write_text("alpha: 0.1\\n")
    >>> load_parameter_file(p)
    {'alpha': 0.1}
    """
    import yaml

    p = Path(path)
    if not p.is_file():
        raise ParameterError(f"parameter file '{p}' does not exist")
    try:
        content = yaml.safe_load(p.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ParameterError(f"parameter file '{p}' is not valid YAML: {str(exc).splitlines()[0]}") from None
    if content is None:
        return {}
    if not isinstance(content, dict):
        raise ParameterError(f"parameter file '{p}': expected a mapping of name: value, got {type(content).__name__}")
    return {str(k): v for k, v in content.items()}


# ---------------------------------------------------------------- output paths


def _suffixes(marker: Any) -> tuple[str, ...]:
    """Suffixes of an ``{output: ...}`` marker (a tuple, a comma list, or True for none)."""
    if isinstance(marker, str):
        marker = marker.split(",")
    if isinstance(marker, (tuple, list)):
        return tuple(str(s).strip().lstrip(".") for s in marker if str(s).strip())
    return ()


def _within(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def check_output_paths(specs: Iterable, values: Mapping[str, Any], outdir: str | Path,
                       inputs: Iterable[str | Path]) -> None:
    """Refuse parameters that would write outside ``outdir`` or over an input, and inputs inside ``outdir``.

    A parameter marked ``{output: ...}`` (``ParamSpec.output``) names a file the
    report writes: relative values resolve against ``outdir`` (the kernel's
    working directory) and must stay inside it.  No text parameter may resolve,
    with or without the marker's suffixes, to one of ``inputs``; and no input may
    lie inside ``outdir`` (pdkit owns that folder and may move it aside).

    Raises
    ------
    OutputFolderError
        One line naming the parameter or input.

    Examples
    --------
    >>> from types import SimpleNamespace as Spec
    >>> spec = Spec(name="worksheet", file=None, output=("csv",))
    >>> check_output_paths([spec], {"worksheet": "sheet"}, "/tmp/out", ["/data/in.csv"])
    >>> try:
    ...     check_output_paths([spec], {"worksheet": "../in"}, "/data/out", ["/data/in.csv"])
    ... except ValueError as exc:
    ...     print(exc)
    parameter 'worksheet': got '../in', which would overwrite the input file '/data/in.csv'
    """
    out = Path(outdir).resolve()
    input_paths = [Path(p).resolve() for p in inputs]
    for spec in specs:
        value = values.get(spec.name)
        if getattr(spec, "file", None) is not None or not isinstance(value, str) or not value.strip():
            continue
        marker = getattr(spec, "output", None)
        raw = Path(value.strip()).expanduser()
        target = (raw if raw.is_absolute() else out / raw).resolve()
        candidates = [target] + [target.with_name(f"{target.name}.{s}") for s in _suffixes(marker)]
        hit = next((c for c in candidates if c in input_paths), None)
        if hit is not None:
            raise OutputFolderError(f"parameter '{spec.name}': got {value!r}, which would overwrite the input "
                                    f"file '{hit}'")
        if marker and not _within(target, out):
            raise OutputFolderError(f"parameter '{spec.name}': got {value!r}, expected a file name inside the "
                                    f"output folder '{out}' (every output of a run stays in its folder)")
    for p in input_paths:
        if _within(p, out):
            raise OutputFolderError(f"input file '{p}' is inside the output folder '{out}', which holds only the "
                                    f"run's outputs: move the input elsewhere or choose another output folder")


def prepare_run(
    template: str,
    parameters: Mapping[str, Any] | None = None,
    *,
    param_file: str | Path | None = None,
    strings: bool = True,
    output_dir: str | Path | None = None,
) -> tuple[Path, list, dict[str, Any], dict[str, Any]]:
    """Validate a run without executing: returns (template path, specs, values, given).

    ``parameters`` are ``-p`` values (text when ``strings``); ``param_file`` values
    are typed YAML and are overridden by ``parameters``.  With ``output_dir``,
    output-path parameters are resolved against it and checked with
    :func:`check_output_paths`.

    Examples
    --------
    >>> tpl, specs, values, given = prepare_run("stability_shelf_life", {"alpha": "0.1"})
    >>> values["alpha"], given
    (0.1, {'alpha': '0.1'})
    """
    tpl = find_template(template)
    specs = parse_parameters(tpl)
    given: dict[str, Any] = {}
    if param_file is not None:
        given.update(load_parameter_file(param_file))
    from_strings: set[str] = set()
    for k, v in (parameters or {}).items():
        given[k] = v
        if strings:
            from_strings.add(k)
    values = validate_parameters(specs, given, from_strings=from_strings, fill_defaults=True, template_dir=tpl.parent)
    for spec in specs:
        value = values.get(spec.name)
        if isinstance(value, str) and _URL_PASSWORD.match(value):
            raise ParameterError(
                f"parameter '{spec.name}': the URL carries a password, which would be stored in the notebook and "
                "the manifest; give the URL without it and keep the password in ~/.pgpass (or set PDKIT_DB)")
    if output_dir is not None:
        inputs = [tpl] + ([Path(param_file)] if param_file is not None else [])
        inputs += [values[s.name] for s in specs if s.file is not None and values.get(s.name)]
        check_output_paths(specs, values, output_dir, inputs)
    return tpl, specs, values, given


# ---------------------------------------------------------------- the output folder


@dataclass(frozen=True)
class FolderClaim:
    """An output folder held by this process: empty at the start, ``superseded`` = where old content went."""

    path: Path
    superseded: Path | None
    lock: Path


def _cell_disk_full(error: Any) -> bool:
    """True when a report cell's error (``ename``/``evalue``) is a full disk."""
    return getattr(error, "ename", None) in ("OSError", "IOError") and \
        re.search(r"\[Errno (28|122)\]", str(getattr(error, "evalue", ""))) is not None


def _disk_full_cause(exc: BaseException | None) -> Any:
    """The earliest ENOSPC/EDQUOT error in ``exc``'s chain, or None.

    A report cell's error counts (papermill's execution error, or the first cell
    error that ``pdkit._engine`` attaches as ``cell_error`` when the final save failed).
    """
    found = None
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        cell = SimpleNamespace(**exc.cell_error) if isinstance(getattr(exc, "cell_error", None), dict) else None
        if cell is not None and _cell_disk_full(cell):
            found = cell  # a report cell filled the disk: name it rather than the notebook save
        elif isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
            found = exc
        elif _cell_disk_full(exc):
            found = exc
        exc = exc.__cause__ or exc.__context__
    return found


def _is_disk_full(exc: BaseException | None) -> bool:
    return _disk_full_cause(exc) is not None


@contextmanager
def disk_full_guard(path: str | Path) -> Iterator[None]:
    """Turn a full disk (ENOSPC, EDQUOT) while writing ``path`` into :class:`DiskFullError`.

    Wrap every write of a run's output folder in it, so the command line can
    report one line naming the file; any other ``OSError`` passes unchanged.

    Parameters
    ----------
    path : str or Path
        The file or folder being written (named in the error).

    Examples
    --------
    >>> import errno
    >>> with disk_full_guard("/out/r.html"):
    ...     raise OSError(errno.ENOSPC, "No space left on device")
    Traceback (most recent call last):
    ...
    pdkit.reports.runner.DiskFullError: ...r.html...
    """
    try:
        yield
    except DiskFullError:
        raise
    except OSError as exc:
        if _is_disk_full(exc):
            raise DiskFullError(path) from None
        raise


def _entries(folder: Path) -> list[str]:
    try:
        return sorted(os.listdir(folder))
    except FileNotFoundError:
        return []


def _lock_path(outdir: Path) -> Path:
    return outdir.parent / f".{outdir.name}.pdkit.lock"


def _holder(lock_path: Path) -> str | None:
    """The pid text of the process holding ``lock_path`` ('' if unknown), None if nobody holds it.

    Only opens an existing lock file, so checking writes nothing.
    """
    try:
        fd = os.open(lock_path, os.O_RDONLY)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    finally:
        os.close(fd)  # also releases a shared lock we got
    return None


def _in_use(outdir: Path, pid: str) -> OutputFolderError:
    return OutputFolderError(f"output folder '{outdir}' is in use by another pdkit run (pid {pid or 'unknown'})")


def _check_free(outdir: Path, force: bool, *, peek: bool = True) -> None:
    """Refuse a non-folder, a folder another run holds (``peek``), or a non-empty folder without ``force``."""
    if outdir.exists() and not outdir.is_dir():
        raise OutputFolderError(f"output folder '{outdir}' exists and is not a folder")
    pid = _holder(_lock_path(outdir)) if peek else None
    if pid is not None:
        raise _in_use(outdir, pid)
    names = _entries(outdir)
    if names and not force:
        what = ("an earlier pdkit run" if MANIFEST in names
                else f"{len(names)} entr{'y' if len(names) == 1 else 'ies'}, e.g. '{names[0]}'")
        raise OutputFolderError(f"output folder '{outdir}' is not empty (it holds {what}): choose a new folder, "
                                f"or pass --force to move its content aside to '{outdir.name}.superseded-<UTC time>'")


def _lock(lock_path: Path, outdir: Path) -> int:
    """Open and flock ``lock_path`` (non-blocking); the file's inode must still be the one at the path."""
    while True:
        try:
            with disk_full_guard(lock_path):
                fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            if isinstance(exc, DiskFullError):
                raise
            raise OutputFolderError(f"output folder '{outdir}': cannot create the lock file '{lock_path}' "
                                    f"({exc.strerror})") from None
        try:
            for attempt in range(3):  # a peek by _holder holds a shared lock for an instant
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if attempt == 2:
                        raise
                    time.sleep(0.05)
        except BlockingIOError:
            pid = ""
            for _ in range(20):  # the holder writes its pid just after locking
                pid = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
                if pid:
                    break
                time.sleep(0.05)
            os.close(fd)
            raise _in_use(outdir, pid) from None
        try:
            same = os.stat(lock_path).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)  # the previous holder removed the file after we opened it: lock the new one
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
    except OSError:
        pass  # the pid is only for the message of a second run
    return fd


def _move_aside(outdir: Path) -> Path:
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    target = outdir.with_name(f"{outdir.name}.superseded-{stamp}")
    n = 2
    while target.exists():
        target = outdir.with_name(f"{outdir.name}.superseded-{stamp}-{n}")
        n += 1
    try:
        os.rename(outdir, target)
    except OSError as exc:
        raise OutputFolderError(f"output folder '{outdir}': cannot move its content aside to '{target.name}' "
                                f"({exc.strerror}); move it yourself or choose a new folder") from None
    return target


def _log_superseded(outdir: Path, moved_to: Path) -> None:
    try:
        from pdkit.reports.signing import log_event  # the signing work of issue 12
    except ImportError:
        return
    with disk_full_guard(outdir.parent / "pdkit-log.jsonl"):
        log_event(outdir, "superseded", moved_to=moved_to.name)


def _finalize(outdir: Path, manifest_path: Path) -> None:
    """Sign the finished run (``pdkit.signing.finalize_run``) when signing is installed."""
    try:
        from pdkit.reports.signing import finalize_run  # the signing work of issue 12
    except ImportError:
        return
    with disk_full_guard(outdir / "signatures.json"):
        finalize_run(outdir, manifest_path)


@contextmanager
def claim_output_folder(outdir: str | Path, *, force: bool = False) -> Iterator[FolderClaim]:
    """Hold ``outdir`` for one run: locked, and empty when the block starts.

    An existing non-empty folder raises :class:`OutputFolderError` unless
    ``force``, which renames it to a sibling ``<name>.superseded-<UTC time>``
    and creates a fresh empty folder.  The lock is an ``flock`` on
    ``.<name>.pdkit.lock`` in the parent folder, removed when the block ends; a
    second claim meanwhile raises :class:`OutputFolderError` naming the holder's pid.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> base = pathlib.Path(tempfile.mkdtemp())
    >>> with claim_output_folder(base / "out") as claim:
    ...     _ = (claim.path / "a.txt").write_text("1")
    >>> with claim_output_folder(base / "out", force=True) as claim:
    ...     sorted(p.name for p in claim.path.iterdir()), claim.superseded.name.startswith("out.superseded-")
    ([], True)
    >>> sorted(p.name for p in base.iterdir() if p.name.startswith("."))
    []
    """
    outdir = Path(outdir).resolve()
    _check_free(outdir, force)  # before anything is written
    with disk_full_guard(outdir.parent):
        outdir.parent.mkdir(parents=True, exist_ok=True)
    lock_path = _lock_path(outdir)
    fd = _lock(lock_path, outdir)
    try:
        _check_free(outdir, force, peek=False)  # another run may have finished in between
        moved = _move_aside(outdir) if _entries(outdir) else None
        with disk_full_guard(outdir):
            outdir.mkdir(exist_ok=True)
        if moved is not None:
            _log_superseded(outdir, moved)
        yield FolderClaim(outdir, moved, lock_path)
    finally:
        try:
            os.unlink(lock_path)
        except FileNotFoundError:
            pass
        os.close(fd)


def run_identity() -> dict[str, str]:
    """``{"user": ..., "host": ...}`` of this process for the manifest.

    Examples
    --------
    >>> run_identity()["host"] == socket.gethostname()
    True
    """
    try:
        user = getpass.getuser()
    except Exception:  # no login name and no passwd entry (some containers)
        user = f"uid {os.getuid()}" if hasattr(os, "getuid") else "unknown"
    return {"user": user, "host": socket.gethostname()}


def _outputs(outdir: Path) -> list[str]:
    """Every regular file inside ``outdir`` (not hidden, not a symlink, not the manifest), relative."""
    found = []
    for root, dirs, files in os.walk(outdir, followlinks=False):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for f in files:
            p = Path(root) / f
            if f.startswith(".") or p.is_symlink() or not p.is_file():
                continue
            rel = str(p.relative_to(outdir))
            if rel != MANIFEST:
                found.append(rel)
    return sorted(found)


def _clear(outdir: Path, keep: set[str]) -> None:
    """Remove everything in ``outdir`` except the top-level names in ``keep``."""
    for name in _entries(outdir):
        if name in keep:
            continue
        p = outdir / name
        if p.is_dir() and not p.is_symlink():
            shutil.rmtree(p, ignore_errors=True)
        else:
            try:
                p.unlink()
            except OSError:
                pass


# ---------------------------------------------------------------- signals


class _Stop(BaseException):
    """Raised in the main thread by a SIGTERM/SIGINT while the run can be stopped."""


class _Signals:
    """SIGTERM and SIGINT end a run as failed: recorded always, raised as :class:`_Stop` while armed."""

    def __init__(self) -> None:
        self.error: str | None = None
        self._armed = False
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> "_Signals":
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGTERM, signal.SIGINT):
                self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, *exc: Any) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, signal.SIG_DFL if handler is None else handler)

    def _handle(self, signum: int, frame: Any) -> None:
        if self.error is None:
            self.error = ("KeyboardInterrupt: the run was interrupted" if signum == signal.SIGINT
                          else f"terminated by signal {signal.Signals(signum).name}")
        if self._armed:
            self._armed = False
            raise _Stop(self.error)

    @contextmanager
    def armed(self) -> Iterator[None]:
        """Inside the block a signal raises :class:`_Stop` (at once if one already came)."""
        if self.error is not None:
            raise _Stop(self.error)
        self._armed = True
        try:
            yield
        finally:
            self._armed = False


class _WarmExporter(threading.Thread):
    """Builds the HTML exporter, templates compiled, while the kernel works (see :func:`html_exporter`)."""

    def __init__(self, show_code: bool):
        super().__init__(daemon=True)
        self.show_code = show_code
        self.exporter = None

    def run(self) -> None:
        try:
            from pdkit.reports.html import html_exporter

            self.exporter = html_exporter(show_code=self.show_code, warm=True)
        except Exception:  # the export itself will report any real problem
            self.exporter = None

    def get(self):
        """The warmed exporter, or None (never started, or failed: export makes its own)."""
        if self.ident is None:
            return None
        self.join()
        return self.exporter


def _has_error_output(nb) -> bool:
    return any(o.get("output_type") == "error" for c in nb.cells for o in c.get("outputs", []))


def _error_text(exc: BaseException) -> str:
    ename = getattr(exc, "ename", None)
    if ename:
        cell = getattr(exc, "exec_count", None)
        where = f" (cell {cell})" if cell is not None else ""
        return f"{ename}: {getattr(exc, 'evalue', '')}{where}".strip()
    text = str(exc).strip().splitlines()
    first = text[0] if text else ""
    name = type(exc).__name__
    if name == "DeadKernelError" or "Kernel died" in first:
        return "DeadKernelError: the kernel died during execution (killed or crashed)"
    return f"{name}: {first}" if first else name


def _kernel_disk_full_path(exc: BaseException, outdir: Path) -> Path:
    """The file a report cell could not write (from the kernel's error text), else the folder."""
    m = re.search(r"\[Errno (?:28|122)\][^:]*:\s*'([^']+)'", str(getattr(exc, "evalue", "")))
    return (outdir / m.group(1)) if m else outdir


def _execute(tpl: Path, tmp_nb: Path, values: Mapping[str, Any], outdir: Path, signals: _Signals, *,
             kernel_name: str, timeout: int | None, blas_threads: int | None) -> str | None:
    """Execute the notebook in a worker thread; None on success, else the error text.

    The main thread waits and keeps receiving signals (papermill's own SIGTERM
    handling is only installed in the main thread); on SIGTERM/SIGINT it kills
    the kernel, which makes the execution end, and waits for the thread.
    """
    import papermill

    from pdkit.reports.engine import register as register_engine
    from pdkit.reports.kernels import kernel_manager_class, stop_kernels

    box: dict[str, Any] = {}

    def target() -> None:
        try:
            with kernel_manager_class(blas_threads=blas_threads) as km_class:
                box["km"] = km_class
                if box.get("stop"):
                    stop_kernels(km_class)
                papermill.execute_notebook(
                    read_notebook(tpl), str(tmp_nb), parameters=dict(values), kernel_name=kernel_name, cwd=str(outdir),
                    progress_bar=False, log_output=False, report_mode=False, request_save_on_cell_execute=True,
                    execution_timeout=timeout, kernel_manager_class=km_class, engine_name=register_engine(),
                    # the kernel's work is done when the last cell returns: no graceful wait
                    shutdown_kernel="immediate",
                    # IPython's history database is shared by every kernel of a user: with parallel
                    # reports it is a point of contention and it records nothing a report needs
                    extra_arguments=["--HistoryManager.hist_file=:memory:"],
                )
        except BaseException as exc:  # handed to the main thread
            box["exc"] = exc

    # papermill's own parameter inspection does not understand 'float | None' or
    # braces in help texts and warns; pdkit has already validated every value.
    logging.getLogger("papermill").setLevel(logging.ERROR)
    worker = threading.Thread(target=target, name="pdkit-execute", daemon=True)
    try:
        with signals.armed():
            worker.start()
            while worker.is_alive():
                worker.join(0.5)
    except _Stop:
        box["stop"] = True
        deadline = time.monotonic() + _STOP_WAIT_S
        while worker.is_alive() and time.monotonic() < deadline:
            if "km" in box:
                stop_kernels(box["km"])
            worker.join(0.2)
        if "km" in box:  # the thread normally removed it; not if it is stuck
            stop_kernels(box["km"])
            shutil.rmtree(box["km"].ipc_dir, ignore_errors=True)
        return signals.error
    exc = box.get("exc")
    if exc is None:
        return None
    cause = _disk_full_cause(exc)
    if cause is not None:
        if getattr(cause, "ename", None):
            raise DiskFullError(_kernel_disk_full_path(cause, outdir), f"a report cell failed: {cause.ename}: "
                                f"{str(getattr(cause, 'evalue', '')).strip()}")
        raise DiskFullError(getattr(cause, "filename", None) or tmp_nb)
    if isinstance(exc, KeyboardInterrupt):
        return "KeyboardInterrupt: the run was interrupted"
    return _error_text(exc)


def require_pdf() -> Any:
    """The module :mod:`pdkit.pdf`, checked ready to convert (Chromium found and working).

    Call it before any kernel starts when ``--pdf`` was asked for.

    Returns
    -------
    module
        :mod:`pdkit.reports.pdf`.

    Raises
    ------
    ParameterError
        PDF export is not installed or Chromium is missing or broken (one line saying why).

    Examples
    --------
    >>> from unittest import mock
    >>> with mock.patch("pdkit.reports.pdf.check_available", return_value="no chromium\\nmore"):
    ...     require_pdf()
    Traceback (most recent call last):
    ...
    pdkit.errors.ParameterError: no chromium
    """
    try:
        module = importlib.import_module("pdkit.pdf")
    except ImportError:
        raise ParameterError("--pdf: PDF export is not available in this installation (no pdkit.pdf)") from None
    problem = module.check_available()
    if problem:
        raise ParameterError(str(problem).strip().splitlines()[0])
    return module


def _html_outputs(outdir: Path) -> list[Path]:
    return [outdir / rel for rel in _outputs(outdir) if rel.lower().endswith((".html", ".htm"))]


def run_report(
    template: str,
    parameters: Mapping[str, Any] | None = None,
    outdir: str | Path | None = None,
    *,
    param_file: str | Path | None = None,
    strings: bool = True,
    show_code: bool = False,
    kernel_name: str = "python3",
    timeout: int | None = None,
    blas_threads: int | None = None,
    force: bool = False,
    reason: str | None = None,
    pdf: bool = False,
    paper: str = "A4",
    log=None,
) -> RunResult:
    """Validate, execute and export one report; see the module docstring.

    Parameters
    ----------
    template : str
        Template name or path to a template ``.ipynb``.
    parameters : mapping, optional
        ``-p`` values (text when ``strings``).
    outdir : str or Path, optional
        Output folder (default ``./reports/<template>``); must be missing or empty unless ``force``.
    force : bool
        Move an existing non-empty ``outdir`` aside to ``<name>.superseded-<UTC time>`` first.
    reason : str, optional
        Why the run is made, recorded in the manifest (``null`` when not given).
    pdf, paper : bool, str
        Also convert every HTML output to PDF (``paper`` ``"A4"`` or ``"Letter"``) with :mod:`pdkit.pdf`.

    Raises
    ------
    ParameterError
        Invalid parameters or input files, PDF export unavailable
        (:class:`OutputFolderError`: folder not empty, in use, or an output path
        outside it) - nothing is written and no kernel starts.
    DiskFullError
        The disk filled up; the run's partial outputs are removed.

    Returns
    -------
    RunResult
        ``status`` is ``"failed"`` when execution raised, the kernel died or the
        run was terminated; the executed notebook is then kept with the error
        visible and the manifest says ``status: failed``.

    Examples
    --------
    >>> result = run_report("stability_shelf_life", {}, "out/stab", reason="annual review")  # doctest: +SKIP
    >>> result.status  # doctest: +SKIP
    'succeeded'
    """
    t0 = time.perf_counter()
    outdir = Path(outdir) if outdir is not None else Path.cwd() / "reports" / Path(template).stem
    outdir = outdir.resolve()
    tpl, specs, values, given = prepare_run(template, parameters, param_file=param_file, strings=strings,
                                            output_dir=outdir)
    name = tpl.stem
    if reason is not None:
        if not isinstance(reason, str) or not reason.strip():
            raise ParameterError(f"--reason: got {reason!r}, expected a text saying why the report is run")
        reason = reason.strip()
    paper_name = {p.lower(): p for p in PAPER_SIZES}.get(str(paper).lower())
    if paper_name is None:
        raise ParameterError(f"--paper: got {paper!r}, expected one of {', '.join(PAPER_SIZES)}")
    pdf_module = require_pdf() if pdf else None
    _check_free(outdir, force)

    # provenance before execution
    from pdkit import __version__
    from pdkit._paths import kit_root

    inputs = [file_record(tpl, parameter="(template)")]
    for spec in specs:
        if spec.file is not None and values.get(spec.name):
            inputs.append(file_record(values[spec.name], parameter=spec.name))
    if param_file is not None:
        inputs.append(file_record(param_file, parameter="(parameter file)"))
    commit, dirty = git_state(kit_root())
    provenance: dict[str, Any] = {
        "template": name,
        "title": template_title(tpl),
        "parameters": values,
        "parameters_given": {k: (v if isinstance(v, (int, float, bool, list, dict)) or v is None else str(v))
                             for k, v in given.items()},
        "inputs": inputs,
        "environment": environment(),
        "pdkit_version": __version__,
        "git_commit": commit,
        "git_dirty": dirty,
        **run_identity(),
        "reason": reason,
        "pdf_paper": paper_name if pdf else None,  # PDFs made, on this paper (null: no PDF)
    }

    with _Signals() as signals, claim_output_folder(outdir, force=force) as claim:
        provenance["started_utc"] = utc_now()
        kept = set(_entries(outdir))  # e.g. a 'superseded' event record: never this run's output to remove
        tmp_nb = outdir / f".{name}.partial.ipynb"
        manifest_path = outdir / MANIFEST
        try:
            status, error, html_out = _run_in_folder(tpl, values, outdir, provenance, signals, tmp_nb,
                                                     show_code=show_code, kernel_name=kernel_name, timeout=timeout,
                                                     blas_threads=blas_threads, pdf_module=pdf_module,
                                                     paper=paper_name)
            # --- signing (issue 12): sign the run as its author and log it, after manifest.json is
            # written and while the folder is still locked
            _finalize(outdir, manifest_path)
        except DiskFullError as exc:
            _after_disk_full(outdir, kept, provenance, exc)
            raise
    if log is not None:
        log(f"{name}: {status}" + (f" ({error})" if error else ""))
    return RunResult(name, status, outdir, outdir / f"{name}.ipynb", html_out, manifest_path, error,
                     time.perf_counter() - t0, claim.superseded)


def _run_in_folder(tpl: Path, values: Mapping[str, Any], outdir: Path, provenance: dict[str, Any],
                   signals: _Signals, tmp_nb: Path, *, show_code: bool, kernel_name: str, timeout: int | None,
                   blas_threads: int | None, pdf_module: Any, paper: str) -> tuple[str, str | None, Path | None]:
    """Steps 4-6 of the module docstring in the claimed folder; returns (status, error, html path or None)."""
    import nbformat

    from pdkit.escape import md

    name = tpl.stem
    nb_path = outdir / f"{name}.ipynb"
    html_path = outdir / f"{name}.html"
    manifest_path = outdir / MANIFEST

    # nbconvert is needed only afterwards, for the HTML: prepare it while the kernel works
    warm_exporter = _WarmExporter(show_code)
    warm_exporter.start()
    error = _execute(tpl, tmp_nb, values, outdir, signals, kernel_name=kernel_name, timeout=timeout,
                     blas_threads=blas_threads)
    status = "failed" if error else "succeeded"
    provenance.update(finished_utc=utc_now(), status=status, error=error)

    nb = None
    if tmp_nb.exists():
        try:
            nb = nbformat.read(str(tmp_nb), as_version=4)
        except Exception:  # cut short mid-write: keep the template so the failure is inspectable
            nb = None
    if nb is None:  # the kernel never started
        nb = read_notebook(tpl)
    if error and not _has_error_output(nb):
        # e.g. the kernel died: make the failure visible at the top of the notebook
        banner = nbformat.v4.new_markdown_cell(
            f'<span style="color:red; font-size:1.3em">**pdkit: execution failed.** {md(error)}</span>'
        )
        banner.metadata["tags"] = ["pdkit-error"]
        nb.cells.insert(0, banner)
    database = _database_state(nb)
    if database:  # what a report read from or wrote to the lot-history store (pdkit.lots)
        provenance["database"] = database
    nb.metadata["pdkit"] = provenance
    with disk_full_guard(nb_path):
        atomic_write_text(nb_path, nbformat.writes(nb))
    tmp_nb.unlink(missing_ok=True)

    html_out: Path | None = None
    pdfs: list[Path] = []
    if status == "succeeded":
        stage = "HTML export"
        try:
            with signals.armed():
                from pdkit.reports.html import export_html

                page = export_html(nb, provenance, show_code=show_code, exporter=warm_exporter.get())
                with disk_full_guard(html_path):
                    atomic_write_text(html_path, page)
                html_out = html_path
                if pdf_module is not None:
                    stage = "PDF export"
                    for source in _html_outputs(outdir):
                        target = source.with_suffix(".pdf")
                        pdfs.append(target)
                        with disk_full_guard(target):
                            pdf_module.html_to_pdf(source, target, paper=paper)
        except DiskFullError:
            raise
        except _Stop as stop:
            status, error = "failed", str(stop)
        except Exception as exc:  # an export failure fails the run, with no report HTML or PDF left
            status, error = "failed", f"{stage} failed: {_error_text(exc)}"
        if status != "succeeded":
            provenance.update(status=status, error=error)
            nb.metadata["pdkit"] = provenance
            with disk_full_guard(nb_path):
                atomic_write_text(nb_path, nbformat.writes(nb))
    if status != "succeeded":
        html_out = None
        html_path.unlink(missing_ok=True)
        for p in pdfs:
            p.unlink(missing_ok=True)

    manifest = dict(provenance)
    manifest["outputs"] = [file_record(outdir / rel, relative_to=outdir) for rel in _outputs(outdir)]
    with disk_full_guard(manifest_path):
        atomic_write_json(manifest_path, manifest)
    return status, error, html_out


def _database_state(nb: Any) -> dict[str, Any]:
    """The lot-history state a report recorded (``db_state``, ``db_dispositions``), for the manifest."""
    from pdkit.reports.record import read_records

    try:
        records = read_records(nb)
    except Exception:  # a damaged output of a failed run: nothing to add
        return {}
    return {k: records[k] for k in ("db_state", "db_dispositions") if k in records}


def _after_disk_full(outdir: Path, kept: set[str], provenance: dict[str, Any], exc: DiskFullError) -> None:
    """Remove the run's partial outputs and record the failure; the message says what is left."""
    _clear(outdir, kept)
    manifest = dict(provenance, finished_utc=utc_now(), status="failed", error=str(exc), outputs=[])
    manifest.setdefault("started_utc", manifest["finished_utc"])
    try:
        atomic_write_json(outdir / MANIFEST, manifest)  # space was just freed; atomic: no partial file either way
        tail = f"the run is recorded as failed in {outdir / MANIFEST} and its partial outputs were removed"
    except OSError:
        (outdir / MANIFEST).unlink(missing_ok=True)
        tail = "the run's partial outputs were removed and no manifest could be written"
    exc.detail = "; ".join(x for x in (exc.detail, tail) if x)
    exc.strerror = f"disk full writing {exc.path} ({exc.detail}); free some space and run again"
