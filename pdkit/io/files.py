"""Atomic file writing: a reader sees the old file or the new one, never a part.

Every file pdkit writes for people or for the record (reports, manifests,
signatures, certificates, PDFs, keys, summaries, index pages) goes through this
module.  The recipe is the same everywhere:

1. a temporary file ``.<name>.<random>.tmp`` is created **in the target's folder**
   (so the final rename never crosses a file system);
2. the content is written and the file is flushed and ``fsync``-ed;
3. its permissions are set: an explicit ``mode``, else those of the file being
   replaced, else ``0o666`` less the process umask (what ``open()`` would give);
4. it is renamed over the target with :func:`os.replace` and the folder is
   ``fsync``-ed so the rename itself survives a crash;
5. on any error (a full disk, an exception in the caller's writer, Ctrl-C) the
   temporary file is removed and the old target is left untouched.

Examples
--------
>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> atomic_write_text(folder / "a.txt", "hello\\n")
>>> (folder / "a.txt").read_text()
'hello\\n'
>>> with atomic_path(folder / "b.csv") as tmp:
...     _ = tmp.write_text("x\\n1\\n")
>>> sorted(p.name for p in folder.iterdir())
['a.txt', 'b.csv']
"""
from __future__ import annotations

import json
import os
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

__all__ = [
    "atomic_path",
    "atomic_write_bytes",
    "atomic_write_text",
    "atomic_write_json",
    "current_umask",
    "fsync_folder",
]


def current_umask() -> int:
    """The process umask, read without changing it where the system allows.

    Linux reports it in ``/proc/self/status``; elsewhere it is read by setting
    and restoring it.

    Examples
    --------
    >>> 0 <= current_umask() <= 0o777
    True
    """
    try:
        with open("/proc/self/status", encoding="ascii", errors="replace") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0)
    os.umask(mask)
    return mask


def fsync_folder(folder: str | Path) -> None:
    """``fsync`` a folder so a rename or a new entry in it is on disk.

    File systems that cannot sync a folder (some network and FUSE mounts) are
    skipped silently: the rename has still happened.

    Examples
    --------
    >>> import tempfile
    >>> fsync_folder(tempfile.mkdtemp())
    """
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _final_mode(target: Path, mode: int | None) -> int:
    if mode is not None:
        return mode
    try:
        return stat.S_IMODE(os.stat(target).st_mode)
    except OSError:
        return 0o666 & ~current_umask()


@contextmanager
def atomic_path(path: str | Path, *, mode: int | None = None) -> Iterator[Path]:
    """Give a writer a temporary path beside ``path``; on success it replaces ``path``.

    For writers that want a file name rather than bytes (``DataFrame.to_csv``,
    ``openpyxl``, Chromium's ``--print-to-pdf``).  The temporary file exists
    (empty, mode ``0o600``) when the block starts, in the same folder as
    ``path``.  When the block ends normally it is ``fsync``-ed, given its final
    permissions and renamed over ``path``, and the folder is ``fsync``-ed; when the
    block raises, it is removed and ``path`` is untouched.

    Parameters
    ----------
    path : str or Path
        The file to create or replace.  Its folder must exist.
    mode : int, optional
        Permission bits of the result.  Default: those of the file being
        replaced, or ``0o666`` less the umask for a new file.

    Yields
    ------
    Path
        The temporary file to write.

    Examples
    --------
    >>> import tempfile, pathlib, pandas as pd
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "t.csv"
    >>> with atomic_path(target, mode=0o640) as tmp:
    ...     pd.DataFrame({"a": [1]}).to_csv(tmp, index=False)
    >>> target.read_text(), oct(target.stat().st_mode & 0o777)
    ('a\\n1\\n', '0o640')
    """
    target = Path(path)
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        fd = os.open(tmp, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        os.chmod(tmp, _final_mode(target, mode))
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    fsync_folder(target.parent)


def atomic_write_bytes(path: str | Path, data: bytes, *, mode: int | None = None) -> None:
    """Replace ``path`` with ``data`` atomically (see the module notes).

    Parameters
    ----------
    path : str or Path
        The file to create or replace.  Its folder must exist.
    data : bytes
        The whole new content.
    mode : int, optional
        Permission bits of the result (e.g. ``0o600`` for a private key).
        Default: kept from the file being replaced, else ``0o666`` less the umask.

    Raises
    ------
    OSError
        Writing failed (e.g. ``ENOSPC``); ``path`` is unchanged and no
        temporary file is left.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> key = pathlib.Path(tempfile.mkdtemp()) / "k.key"
    >>> atomic_write_bytes(key, b"secret", mode=0o600)
    >>> key.read_bytes(), oct(key.stat().st_mode & 0o777)
    (b'secret', '0o600')
    """
    target = Path(path)
    with atomic_path(target, mode=mode) as tmp:
        fd = os.open(tmp, os.O_WRONLY | os.O_TRUNC)
        try:
            view = memoryview(data)
            while view:
                written = os.write(fd, view)
                view = view[written:]
        finally:
            os.close(fd)


def atomic_write_text(path: str | Path, text: str, encoding: str = "utf-8", *,
                      mode: int | None = None) -> None:
    """Replace ``path`` with ``text`` atomically; newlines are written as given (no translation).

    Parameters
    ----------
    path : str or Path
        The file to create or replace.  Its folder must exist.
    text : str
        The whole new content.
    encoding : str
        Text encoding, UTF-8 by default.
    mode : int, optional
        Permission bits of the result (see :func:`atomic_write_bytes`).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "r.html"
    >>> atomic_write_text(p, "<p>1</p>\\n")
    >>> atomic_write_text(p, "<p>2</p>\\n")
    >>> p.read_text()
    '<p>2</p>\\n'
    """
    atomic_write_bytes(path, text.encode(encoding), mode=mode)


def atomic_write_json(path: str | Path, obj: Any, *, mode: int | None = None) -> None:
    """Write ``obj`` as indented JSON (two spaces, final newline) atomically.

    Values JSON does not know are written as ``str(value)``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "m.json"
    >>> atomic_write_json(p, {"a": 1})
    >>> p.read_text()
    '{\\n  "a": 1\\n}\\n'
    """
    atomic_write_text(path, json.dumps(obj, indent=2, sort_keys=False, default=str) + "\n", mode=mode)
