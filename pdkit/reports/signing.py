"""Electronic signatures and the hash-chained run log for report folders.

A run folder (``manifest.json``, the executed notebook, HTML, side outputs) is
made tamper-evident and attributable by two records:

* ``signatures.json`` in the run folder: a list of signature records, the
  first by the ``author`` (the user who executed the report, written by
  :func:`finalize_run`), then any ``reviewer``/``approver`` signatures added by
  :func:`sign_run` (``pdkit sign``).  Each record holds role, meaning, user,
  host, UTC time, the signer's Ed25519 public key and its fingerprint, the
  SHA-256 of ``manifest.json``, the SHA-256 of the previous record (``prev``)
  and the signature over the canonical JSON of all these fields.
* ``pdkit-log.jsonl`` in the run folder's parent ("beside the reports"): one
  signed JSON line per event (``run_finalised``, ``signed``, ``superseded``),
  each carrying ``prev``, the SHA-256 of the line before it, so that deleting
  or editing a line breaks the chain (see :func:`log_event`, :func:`verify_log`).

Keys live in the configuration home (:func:`config_home`): ``keys/<user>.key``
(PEM, mode 0600, folder 0700) and ``keys/<user>.pub``; the public keys a
verifier accepts are in ``trusted_keys.json`` (or the file named by
``PDKIT_TRUSTED_KEYS``).  HTML outputs carry a marker pair
``<!--pdkit-signatures--><!--/pdkit-signatures-->`` that is filled with the
rendered signature table (:func:`render_signatures`); the manifest keeps the
hash of the page with the blocks empty (:func:`strip_signature_blocks`).

See ``docs/records.md`` for what this does and does not cover.

Examples
--------
>>> from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
>>> key = Ed25519PrivateKey.generate()
>>> rec = sign_fields({"role": "reviewer", "meaning": "reviewed"}, key)
>>> check_signature(rec)
[]
>>> rec["meaning"] = "approved"
>>> check_signature(rec)
['bad signature']
"""
from __future__ import annotations

import base64
import errno
import getpass
import hashlib
import json
import os
import re
import socket
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from pdkit.errors import InputError
from pdkit.escape import html_text
from pdkit.io.files import atomic_write_bytes, atomic_write_json, atomic_write_text
from pdkit.reports.provenance import sha256_file, utc_now

__all__ = [
    "append_chained",
    "SIGNATURES",
    "LOG_NAME",
    "MARKER_START",
    "MARKER_END",
    "ROLES",
    "VerificationFailed",
    "config_home",
    "keys_dir",
    "current_user",
    "current_host",
    "canonical_json",
    "fingerprint",
    "init_keys",
    "load_private_key",
    "export_public_key",
    "trust_store_path",
    "trusted_keys",
    "trust_key",
    "sign_fields",
    "check_signature",
    "record_sha256",
    "render_signatures",
    "strip_signature_blocks",
    "signature_blocks",
    "fill_signature_blocks",
    "read_signatures",
    "finalize_run",
    "sign_run",
    "log_event",
    "log_path_for",
    "read_log",
    "verify_signatures",
    "verify_log",
]

SIGNATURES = "signatures.json"
LOG_NAME = "pdkit-log.jsonl"
MARKER_START = "<!--pdkit-signatures-->"
MARKER_END = "<!--/pdkit-signatures-->"
ROLES = ("author", "reviewer", "approver")
AUTHOR_MEANING = "executed the report"
_BLOCK = re.compile(re.escape(MARKER_START) + r"(.*?)" + re.escape(MARKER_END), re.S)
_UNSAFE = re.compile(r"[^A-Za-z0-9._@-]")
_SIGNED_FIELDS_EXCLUDED = ("signature",)


class VerificationFailed(InputError):
    """A folder that must verify before an action (``pdkit sign``) does not; ``problems`` lists why.

    Examples
    --------
    >>> VerificationFailed("refusing to sign", ["run failed: x"]).problems
    ['run failed: x']
    """

    def __init__(self, message: str, problems: list[str]):
        super().__init__(message)
        self.problems = problems


# ---------------------------------------------------------------- identity and configuration


def config_home() -> Path:
    """pdkit's configuration folder: ``$PDKIT_HOME``, else ``$XDG_CONFIG_HOME/pdkit`` or ``~/.config/pdkit``.

    Examples
    --------
    >>> config_home().name in {"pdkit"} or "PDKIT_HOME" in os.environ
    True
    """
    env = os.environ.get("PDKIT_HOME")
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_CONFIG_HOME")
    return (Path(xdg).expanduser() if xdg else Path.home() / ".config") / "pdkit"


def current_user() -> str:
    """The login name of the user running pdkit (``getpass.getuser()``).

    Examples
    --------
    >>> isinstance(current_user(), str)
    True
    """
    try:
        name = getpass.getuser()
    except (OSError, KeyError):
        name = f"uid {os.getuid()}" if hasattr(os, "getuid") else "unknown"  # as the runner records it
    return name


def current_host() -> str:
    """The host name (``socket.gethostname()``).

    Examples
    --------
    >>> len(current_host()) > 0
    True
    """
    return socket.gethostname() or "unknown"


def _key_name(user: str) -> str:
    """The file name stem of ``user``'s key files (characters other than letters, digits, ``._@-`` -> ``_``)."""
    name = _UNSAFE.sub("_", user)
    if not name.strip("._") or len(name) > 64:
        raise InputError(f"user name {user!r} cannot name a key file")
    return name


def canonical_json(obj: Any) -> bytes:
    """The canonical UTF-8 JSON of ``obj`` that signatures and hashes are computed over.

    Keys sorted, no insignificant white space, no NaN/inf.

    Examples
    --------
    >>> canonical_json({"b": 1, "a": "é"})
    b'{"a":"\\xc3\\xa9","b":1}'
    """
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode("utf-8")


def fingerprint(public_key: bytes) -> str:
    """Fingerprint of a raw 32-byte Ed25519 public key: ``SHA256:`` and 64 hex digits.

    Examples
    --------
    >>> fingerprint(bytes(32))[:20]
    'SHA256:66687aadf862b'
    """
    return "SHA256:" + hashlib.sha256(public_key).hexdigest()


def _raw_public(key: Any) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


# ---------------------------------------------------------------- keys


def keys_dir(home: Path | None = None) -> Path:
    """The folder of the key pairs: ``keys`` in ``home`` or :func:`config_home`.

    Examples
    --------
    >>> keys_dir(Path("/x")).as_posix()
    '/x/keys'
    """
    return (home if home is not None else config_home()) / "keys"


_keys_dir = keys_dir


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Exclusive advisory lock (fcntl.flock) on ``path`` (a file or folder) for the block."""
    import fcntl

    fd = os.open(path, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def _private_dir(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    os.chmod(folder, 0o700)


def init_keys(user: str | None = None, *, force: bool = False, home: Path | None = None,
              trust: bool = True) -> dict[str, str]:
    """Create the Ed25519 key pair of ``user`` (default: the current user) and trust its public key.

    Writes ``keys/<user>.key`` (PKCS#8 PEM, mode 0600, in a 0700 folder) and
    ``keys/<user>.pub`` under the configuration home (``home`` or
    :func:`config_home`).  Refuses to replace an existing key unless ``force``.

    Returns
    -------
    dict
        ``user``, ``fingerprint``, ``private_key`` and ``public_key`` (paths), and
        ``trust_problem`` when the key could not be added to the trust store
        (e.g. a read-only site store named by ``PDKIT_TRUSTED_KEYS``).

    Examples
    --------
    >>> import tempfile, stat
    >>> home = Path(tempfile.mkdtemp())
    >>> info = init_keys("alice", home=home, trust=False)
    >>> oct(stat.S_IMODE(os.stat(info["private_key"]).st_mode))
    '0o600'
    >>> init_keys("alice", home=home)
    Traceback (most recent call last):
    ...
    pdkit.errors.InputError: a key pair for 'alice' exists already ...; use --force to replace it
    """
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    user = user or current_user()
    folder = _keys_dir(home)
    _private_dir(folder)
    key_path, pub_path = folder / f"{_key_name(user)}.key", folder / f"{_key_name(user)}.pub"
    with _locked(folder):
        if key_path.exists() and not force:
            raise InputError(f"a key pair for '{user}' exists already ({key_path}); use --force to replace it")
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
        (folder / f".{_key_name(user)}.key.tmp").unlink(missing_ok=True)  # the fixed-name temporary file of earlier versions
        atomic_write_bytes(key_path, pem, mode=0o600)  # the temporary file is 0600 from its creation
        pub_pem = key.public_key().public_bytes(serialization.Encoding.PEM,
                                                serialization.PublicFormat.SubjectPublicKeyInfo)
        atomic_write_text(pub_path, pub_pem.decode("ascii"))
    fp = fingerprint(_raw_public(key.public_key()))
    info = {"user": user, "fingerprint": fp, "private_key": str(key_path), "public_key": str(pub_path)}
    if trust:
        try:
            trust_key(pub_path, user=user, home=home)
        except InputError as exc:  # e.g. a read-only site trust store: its administrator adds the key
            info["trust_problem"] = str(exc)
    return info


def load_private_key(user: str | None = None, *, create: bool = False, home: Path | None = None) -> Any:
    """The Ed25519 private key of ``user`` (default: the current user).

    With ``create=True`` a missing key pair is made (see :func:`init_keys`) and a
    one-line notice goes to stderr.  A key file readable by group or others is
    refused, as ssh does.

    Examples
    --------
    >>> import tempfile
    >>> home = Path(tempfile.mkdtemp())
    >>> load_private_key("bob", home=home)
    Traceback (most recent call last):
    ...
    pdkit.errors.InputError: no signing key for 'bob' (...bob.key); create one with 'pdkit keys init'
    """
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    user = user or current_user()
    path = _keys_dir(home) / f"{_key_name(user)}.key"
    if not path.exists():
        if not create:
            raise InputError(f"no signing key for '{user}' ({path}); create one with 'pdkit keys init'")
        try:
            info = init_keys(user, home=home)
            note = f" (not trusted: {info['trust_problem']})" if "trust_problem" in info else ""
            print(f"pdkit: created a signing key for '{user}' ({info['fingerprint']}) in {path.parent}; "
                  f"share it with 'pdkit keys export'{note}", file=sys.stderr)
        except InputError:  # another process created it meanwhile
            if not path.exists():
                raise
        except OSError as exc:
            raise InputError(f"cannot create a signing key in {path.parent}: {exc.strerror}") from None
    mode = os.stat(path).st_mode & 0o777
    if mode & 0o077:
        raise InputError(f"private key {path} is accessible by others (mode {mode:o}); run: chmod 600 {path}")
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (ValueError, TypeError) as exc:
        raise InputError(f"private key {path} cannot be read: {exc}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise InputError(f"private key {path} is not an Ed25519 key")
    return key


def export_public_key(user: str | None = None, *, home: Path | None = None) -> str:
    """The PEM text of ``user``'s public key (to hand to whoever verifies: ``pdkit keys trust``).

    Examples
    --------
    >>> import tempfile
    >>> home = Path(tempfile.mkdtemp())
    >>> _ = init_keys("carol", home=home, trust=False)
    >>> export_public_key("carol", home=home).splitlines()[0]
    '-----BEGIN PUBLIC KEY-----'
    """
    user = user or current_user()
    path = _keys_dir(home) / f"{_key_name(user)}.pub"
    if not path.is_file():
        raise InputError(f"no public key for '{user}' ({path}); create one with 'pdkit keys init'")
    return path.read_text(encoding="ascii")


# ---------------------------------------------------------------- trust store


def trust_store_path(home: Path | None = None) -> Path:
    """``$PDKIT_TRUSTED_KEYS`` if set (a site's shared, read-only file), else ``trusted_keys.json`` in the home.

    Examples
    --------
    >>> trust_store_path(Path("/x")).name
    'trusted_keys.json'
    """
    env = os.environ.get("PDKIT_TRUSTED_KEYS")
    if env and home is None:
        return Path(env).expanduser()
    return (home if home is not None else config_home()) / "trusted_keys.json"


def trusted_keys(home: Path | None = None) -> dict[str, dict[str, str]]:
    """The trust store: fingerprint -> ``{user, public_key, added_utc}`` (empty if there is none).

    Examples
    --------
    >>> import tempfile
    >>> trusted_keys(Path(tempfile.mkdtemp()))
    {}
    """
    path = trust_store_path(home)
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"trust store {path} cannot be read: {exc}") from None
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        raise InputError(f"trust store {path}: expected a mapping of fingerprint -> {{user, public_key, added_utc}}")
    return data


def trust_key(public_key_file: str | Path, user: str | None = None, *, home: Path | None = None) -> str:
    """Add a PEM public key file to the trust store for ``user`` (default: the file name's stem).

    Returns the key's fingerprint.  A key already trusted for another user is refused.

    Examples
    --------
    >>> import tempfile
    >>> home = Path(tempfile.mkdtemp())
    >>> info = init_keys("dave", home=home, trust=False)
    >>> trust_key(info["public_key"], home=home) == info["fingerprint"]
    True
    >>> [v["user"] for v in trusted_keys(home).values()]
    ['dave']
    """
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    path = Path(public_key_file)
    try:
        key = serialization.load_pem_public_key(path.read_bytes())
    except OSError as exc:
        raise InputError(f"public key file {path} cannot be read: {exc.strerror}") from None
    except ValueError:
        raise InputError(f"{path} is not a PEM public key (expected the output of 'pdkit keys export')") from None
    if not isinstance(key, Ed25519PublicKey):
        raise InputError(f"{path} is not an Ed25519 public key")
    user = user or path.stem
    if not user.strip() or "\n" in user:
        raise InputError(f"--user: got {user!r}, expected the key owner's login name")
    raw = _raw_public(key)
    fp = fingerprint(raw)
    store_path = trust_store_path(home)
    try:
        store_path.parent.mkdir(parents=True, exist_ok=True)
        with _locked(store_path.parent):  # concurrent first runs of several users
            store = trusted_keys(home)
            if fp in store and store[fp].get("user") != user:
                raise InputError(f"key {fp} is already trusted for user '{store[fp].get('user')}'")
            if fp not in store:
                store[fp] = {"user": user, "public_key": _b64(raw), "added_utc": utc_now()}
                atomic_write_json(store_path, store)
    except OSError as exc:
        raise InputError(f"cannot write trust store {store_path}: {exc.strerror}") from None
    return fp


# ---------------------------------------------------------------- signed records


def sign_fields(fields: dict[str, Any], private_key: Any) -> dict[str, Any]:
    """``fields`` plus the signer's ``public_key``, ``fingerprint`` and the Ed25519 ``signature``.

    The signature covers the canonical JSON (:func:`canonical_json`) of every
    field except ``signature`` itself.

    Examples
    --------
    >>> from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    >>> rec = sign_fields({"role": "author"}, Ed25519PrivateKey.generate())
    >>> sorted(rec)
    ['fingerprint', 'public_key', 'role', 'signature']
    """
    raw = _raw_public(private_key.public_key())
    rec = {k: v for k, v in fields.items() if k not in _SIGNED_FIELDS_EXCLUDED}
    rec["public_key"] = _b64(raw)
    rec["fingerprint"] = fingerprint(raw)
    rec["signature"] = _b64(private_key.sign(canonical_json(rec)))
    return rec


def check_signature(record: Any, trusted: dict[str, dict[str, str]] | None = None) -> list[str]:
    """Problems with a signed record (empty list: valid).

    Checks the record's shape, that ``fingerprint`` is that of ``public_key``
    and that ``signature`` verifies.  With ``trusted`` (a trust store) the key
    must be in it, with the same public key, for the user the record names.

    Examples
    --------
    >>> check_signature({"role": "author"})
    ['not a signed record (public_key, fingerprint, signature missing)']
    """
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    if not isinstance(record, dict) or not all(isinstance(record.get(k), str)
                                               for k in ("public_key", "fingerprint", "signature")):
        return ["not a signed record (public_key, fingerprint, signature missing)"]
    try:
        raw = base64.b64decode(record["public_key"], validate=True)
        sig = base64.b64decode(record["signature"], validate=True)
        key = Ed25519PublicKey.from_public_bytes(raw)
    except ValueError:
        return ["malformed public key or signature"]
    if fingerprint(raw) != record["fingerprint"]:
        return ["fingerprint does not match the public key"]
    body = {k: v for k, v in record.items() if k not in _SIGNED_FIELDS_EXCLUDED}
    try:
        key.verify(sig, canonical_json(body))
    except (InvalidSignature, ValueError, TypeError):
        return ["bad signature"]
    if trusted is not None:
        entry = trusted.get(record["fingerprint"])
        if entry is None or entry.get("public_key") != record["public_key"]:
            return ["untrusted key"]
        if "user" in record and entry.get("user") != record["user"]:
            return [f"key is trusted for '{entry.get('user')}', not '{record['user']}'"]
    return []


def record_sha256(record: dict[str, Any]) -> str:
    """SHA-256 (hex) of a record's canonical JSON: what the next record's ``prev`` holds.

    Examples
    --------
    >>> record_sha256({})[:12]
    '44136fa355b3'
    """
    return hashlib.sha256(canonical_json(record)).hexdigest()


# ---------------------------------------------------------------- HTML signature blocks


def render_signatures(records: list[dict[str, Any]]) -> str:
    """The HTML signature table for ``records`` (escaped; empty string for no records).

    Examples
    --------
    >>> page = render_signatures([{"role": "reviewer", "user": "<b>eve</b>", "host": "h",
    ...                            "meaning": "reviewed", "time_utc": "2026-01-01T00:00:00.000Z",
    ...                            "fingerprint": "SHA256:ab"}])
    >>> "&lt;b&gt;eve&lt;/b&gt;" in page and "break-inside:avoid" in page
    True
    """
    if not records:
        return ""
    from pdkit.reports.pages import render

    fields = ("role", "user", "host", "meaning", "time_utc", "fingerprint")
    return render("signatures.html.j2", records=[{k: r.get(k) for k in fields} for r in records])


def signature_blocks(text: str) -> list[str]:
    """The contents of every signature marker block in an HTML page.

    Examples
    --------
    >>> signature_blocks("a" + MARKER_START + "x" + MARKER_END + "b")
    ['x']
    """
    return _BLOCK.findall(text)


def strip_signature_blocks(text: str) -> str:
    """``text`` with every signature marker block emptied (what the manifest's hash covers).

    Examples
    --------
    >>> strip_signature_blocks("a" + MARKER_START + "x" + MARKER_END + "b") == "a" + MARKER_START + MARKER_END + "b"
    True
    """
    return _BLOCK.sub(MARKER_START + MARKER_END, text)


def fill_signature_blocks(text: str, block: str) -> str:
    """``text`` with every signature marker block holding ``block``.

    Examples
    --------
    >>> fill_signature_blocks(MARKER_START + MARKER_END, "S") == MARKER_START + "S" + MARKER_END
    True
    """
    return _BLOCK.sub(lambda _: MARKER_START + block + MARKER_END, text)


# ---------------------------------------------------------------- signatures.json


def read_signatures(outdir: str | Path) -> tuple[list[dict[str, Any]] | None, str | None]:
    """``(records, problem)`` of a run folder's ``signatures.json``; records is None when unusable.

    Examples
    --------
    >>> import tempfile
    >>> read_signatures(tempfile.mkdtemp())[1].startswith("signature missing")
    True
    """
    path = Path(outdir) / SIGNATURES
    if not path.is_file():
        return None, f"signature missing: {path}"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return None, f"signature file unreadable: {path} ({exc})"
    if not isinstance(data, list) or not data or not all(isinstance(r, dict) for r in data):
        return None, f"signature file unreadable: {path} (expected a non-empty list of records)"
    return data, None


def _manifest_outputs(outdir: Path) -> list[dict[str, Any]]:
    try:
        data = json.loads((outdir / "manifest.json").read_text(encoding="utf-8"))
        return [o for o in data.get("outputs", []) if isinstance(o, dict) and isinstance(o.get("path"), str)]
    except (OSError, ValueError, AttributeError):
        return []


def _html_outputs(outdir: Path, outputs: list[dict[str, Any]]) -> list[Path]:
    root = outdir.resolve()
    found = []
    for o in outputs:
        p = (outdir / o["path"]).resolve()
        if p.suffix.lower() in (".html", ".htm") and p.is_file() and root in p.parents:
            found.append(p)
    return found


def _render_outputs(outdir: Path, records: list[dict[str, Any]],
                    originals: dict[Path, bytes]) -> tuple[dict[str, str], list[str]]:
    """Fill every HTML output's blocks and regenerate PDFs beside them.

    Returns (pdf sha256 by relative path, notes); ``originals`` receives the
    bytes of every file before it is changed, for a rollback.
    """
    outputs = _manifest_outputs(outdir)
    listed = {o["path"] for o in outputs}
    block = render_signatures(records)
    pdfs: list[tuple[Path, Path]] = []
    for html_path in _html_outputs(outdir, outputs):
        try:
            text = html_path.read_bytes().decode("utf-8")  # bytes as they are: no newline translation
        except UnicodeDecodeError:
            continue
        if not signature_blocks(text):
            continue
        originals[html_path] = text.encode("utf-8")
        atomic_write_bytes(html_path, fill_signature_blocks(text, block).encode("utf-8"))
        pdf = html_path.with_suffix(".pdf")
        if str(pdf.relative_to(outdir.resolve())) in listed and pdf.is_file():
            pdfs.append((html_path, pdf))
    hashes: dict[str, str] = {}
    notes: list[str] = []
    if pdfs:
        try:
            from pdkit.reports.pdf import html_to_pdf  # type: ignore[import-not-found]
        except ImportError:
            notes.append("pdkit.pdf is not available: PDF copies were not regenerated and do not show "
                         "the signatures: " + ", ".join(p.name for _, p in pdfs))
            return hashes, notes
        for html_path, pdf in pdfs:
            before = pdf.read_bytes()
            originals[pdf] = before
            try:
                html_to_pdf(html_path, pdf, paper=_pdf_paper(outdir, pdf))
            except Exception as exc:  # chromium missing or failing: keep the PDF the run produced
                atomic_write_bytes(pdf, before)
                notes.append(f"{pdf.name} was not regenerated and does not show the signatures "
                             f"({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''})")
                continue
            hashes[str(pdf.relative_to(outdir.resolve()))] = sha256_file(pdf)
    return hashes, notes


_MEDIABOX = re.compile(rb"/MediaBox\s*\[\s*[-\d.]+\s+[-\d.]+\s+([\d.]+)\s+([\d.]+)\s*\]")


def _pdf_paper(outdir: Path, pdf: Path) -> str:
    """The paper size to regenerate ``pdf`` with: the manifest's ``pdf_paper``, else the PDF's own page size."""
    try:
        paper = json.loads((outdir / "manifest.json").read_text(encoding="utf-8")).get("pdf_paper")
    except (OSError, ValueError, AttributeError):
        paper = None
    if paper in ("A4", "Letter"):
        return paper
    try:
        match = _MEDIABOX.search(pdf.read_bytes())
    except OSError:
        match = None
    if match and abs(float(match.group(1)) - 612) < 3 and abs(float(match.group(2)) - 792) < 3:
        return "Letter"  # 8.5 x 11 in; A4 is 595 x 842 pt
    return "A4"


def _new_record(outdir: Path, role: str, meaning: str, records: list[dict[str, Any]], user: str) -> dict[str, Any]:
    return {
        "role": role,
        "meaning": meaning,
        "user": user,
        "host": current_host(),
        "time_utc": utc_now(),
        "manifest_sha256": sha256_file(outdir / "manifest.json"),
        "prev": record_sha256(records[-1]) if records else None,
    }


def _add_signature(outdir: Path, role: str, meaning: str, records: list[dict[str, Any]], key: Any,
                   user: str) -> tuple[dict[str, Any], list[str]]:
    fields = _new_record(outdir, role, meaning, records, user)
    preview = records + [dict(fields, fingerprint=fingerprint(_raw_public(key.public_key())))]
    originals: dict[Path, bytes] = {}
    try:
        pdf_hashes, notes = _render_outputs(outdir, preview, originals)
        if pdf_hashes:
            fields["pdf_sha256"] = pdf_hashes
        record = sign_fields(fields, key)
        atomic_write_json(outdir / SIGNATURES, records + [record])
    except BaseException:
        for path, data in originals.items():  # no half-signed folder: put the pages and PDFs back
            atomic_write_bytes(path, data)
        raise
    return record, notes


def finalize_run(outdir: Path, manifest_path: Path) -> dict[str, Any]:
    """Sign a finished run as its ``author`` and log it; called right after ``manifest.json`` is written.

    Uses the current user's key, creating the key pair on first use (with a
    one-line notice on stderr) so that every run is signed.  Writes a new
    ``signatures.json`` (any earlier one belonged to an earlier manifest), fills
    the HTML signature blocks and appends a ``run_finalised`` line to the log in
    ``outdir``'s parent.

    Returns
    -------
    dict
        The author's signature record.

    Examples
    --------
    A minimal run folder (one input, one output), signed and verified, with the
    keys in a temporary configuration home:

    >>> import tempfile
    >>> from unittest import mock
    >>> from pdkit.provenance import file_record, verify
    >>> base = Path(tempfile.mkdtemp())
    >>> run = base / "run1"
    >>> run.mkdir()
    >>> _ = (base / "data.csv").write_text("x\\n1\\n")
    >>> _ = (run / "result.txt").write_text("42")
    >>> manifest = {"template": "demo", "parameters": {}, "inputs": [file_record(base / "data.csv")],
    ...             "outputs": [file_record(run / "result.txt", relative_to=run)], "environment": {},
    ...             "pdkit_version": "0", "git_commit": None, "started_utc": utc_now(),
    ...             "finished_utc": utc_now(), "status": "succeeded", "error": None}
    >>> atomic_write_json(run / "manifest.json", manifest)
    >>> env = {"PDKIT_HOME": tempfile.mkdtemp(), "USER": "alice", "LOGNAME": "alice"}
    >>> with mock.patch.dict(os.environ, env):
    ...     init_keys()["user"]
    ...     finalize_run(run, run / "manifest.json")["role"]
    ...     verify(run)
    'alice'
    'author'
    []
    """
    outdir = Path(outdir).resolve()
    manifest_path = Path(manifest_path)
    if manifest_path.resolve() != outdir / "manifest.json":
        raise InputError(f"manifest {manifest_path} is not {outdir / 'manifest.json'}")
    user = current_user()
    key = load_private_key(user, create=True)
    with _locked(outdir):
        record, notes = _add_signature(outdir, "author", AUTHOR_MEANING, [], key, user)
    for note in notes:
        print(f"pdkit: note: {note}", file=sys.stderr)
    status = None
    try:
        status = json.loads(manifest_path.read_text(encoding="utf-8")).get("status")
    except (OSError, ValueError, AttributeError):
        pass
    _append_log(outdir, "run_finalised", key, user,
                {"status": status, "role": "author", "record_sha256": record_sha256(record)})
    return record


def sign_run(outdir: str | Path, role: str, meaning: str) -> tuple[dict[str, Any], list[str]]:
    """Add a ``reviewer`` or ``approver`` signature to a verified, succeeded run.

    The folder is verified first (:func:`pdkit.provenance.verify`); a folder with
    any problem, or a failed run, is refused (:class:`VerificationFailed`).  The
    author cannot review or approve their own run, and nobody signs the same
    role twice.  Every HTML output's signature block is re-rendered, PDF copies
    beside signed pages are regenerated (when :mod:`pdkit.pdf` is available) and
    a ``signed`` line is appended to the log.

    Returns
    -------
    tuple
        The new record and notes for the user (e.g. PDFs not regenerated).

    Examples
    --------
    >>> import tempfile
    >>> from unittest import mock
    >>> from pdkit.provenance import file_record
    >>> run = Path(tempfile.mkdtemp()) / "run1"
    >>> run.mkdir()
    >>> _ = (run / "result.txt").write_text("42")
    >>> record = file_record(run / "result.txt", relative_to=run)
    >>> atomic_write_json(run / "manifest.json", {
    ...     "template": "demo", "parameters": {}, "inputs": [file_record(run / "result.txt")],
    ...     "outputs": [record], "environment": {}, "pdkit_version": "0", "git_commit": None,
    ...     "started_utc": utc_now(), "finished_utc": utc_now(), "status": "succeeded", "error": None})
    >>> home = tempfile.mkdtemp()
    >>> with mock.patch.dict(os.environ, {"PDKIT_HOME": home, "USER": "alice", "LOGNAME": "alice"}):
    ...     _ = init_keys(), finalize_run(run, run / "manifest.json")
    >>> with mock.patch.dict(os.environ, {"PDKIT_HOME": home, "USER": "bob", "LOGNAME": "bob"}):
    ...     _ = init_keys()
    ...     sign_run(run, "reviewer", "reviewed the results")[0]["role"]
    ...     sign_run(run, "reviewer", "again")
    Traceback (most recent call last):
    ...
    pdkit.errors.InputError: 'bob' has already signed this run as reviewer
    """
    from pdkit.reports.provenance import verify

    outdir = Path(outdir).resolve()
    if role not in ("reviewer", "approver"):
        raise InputError(f"role must be reviewer or approver, got {role!r}")
    meaning = (meaning or "").strip()
    if not meaning or "\n" in meaning or len(meaning) > 300:
        raise InputError("--meaning must be one line of 1 to 300 characters, e.g. 'reviewed the results'")
    if not (outdir / "manifest.json").is_file():
        raise InputError(f"{outdir} is not a run folder (no manifest.json)")
    user = current_user()
    key = load_private_key(user)
    with _locked(outdir):
        problems = verify(outdir)
        if problems:
            raise VerificationFailed(f"refusing to sign {outdir}: it does not verify "
                                     f"({len(problems)} problem{'s' if len(problems) != 1 else ''})", problems)
        records, _ = read_signatures(outdir)
        assert records is not None  # verify checked it
        if records[0].get("user") == user:
            raise InputError(f"'{user}' executed this run (author) and cannot sign it as {role}")
        if any(r.get("user") == user and r.get("role") == role for r in records):
            raise InputError(f"'{user}' has already signed this run as {role}")
        record, notes = _add_signature(outdir, role, meaning, records, key, user)
    _append_log(outdir, "signed", key, user, {"role": role, "record_sha256": record_sha256(record)})
    return record, notes


# ---------------------------------------------------------------- log


def log_path_for(outdir: str | Path) -> Path:
    """The log a run folder's events go to: ``pdkit-log.jsonl`` in its parent.

    Examples
    --------
    >>> log_path_for("/reports/stab").as_posix()
    '/reports/pdkit-log.jsonl'
    """
    return Path(outdir).absolute().parent / LOG_NAME


def _append_log(outdir: Path, event: str, key: Any, user: str, fields: dict[str, Any]) -> dict[str, Any]:
    outdir = Path(outdir).absolute()
    log = log_path_for(outdir)
    manifest = outdir / "manifest.json"
    line = {k: v for k, v in fields.items() if v is not None or k == "status"}
    line.update(event=event, run=outdir.name, user=user, host=current_host(), time_utc=utc_now(),
                manifest_sha256=sha256_file(manifest) if manifest.is_file() else fields.get("manifest_sha256"))
    return append_chained(log, line, key, mode=0o666, what="the run log")


def append_chained(path: str | Path, line: dict[str, Any], key: Any, *, mode: int = 0o644,
                   what: str = "the log") -> dict[str, Any]:
    """Append ``line`` to the JSON-lines file ``path``, chained to the last line and signed with ``key``.

    Under an exclusive ``flock`` the file's last line is read; ``line`` gets ``prev`` (the
    SHA-256 of that line, None for the first) and ``seq``, is signed (:func:`sign_fields`)
    and written as one canonical JSON line, then fsynced.  The run log and the course's
    training records both use it.  Returns the signed line.

    Raises
    ------
    InputError
        The file cannot be written (permissions, read-only or full file system); the
        message names ``what`` and the path.
    """
    import fcntl

    path = Path(path)
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND, mode)
    except OSError as exc:
        if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOSPC):
            raise InputError(f"cannot append to {what} {path}: {exc.strerror}") from None
        raise
    with os.fdopen(fd, "r+b") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            fh.seek(0)
            lines = fh.read().split(b"\n")
            while lines and not lines[-1]:
                lines.pop()
            line = dict(line)
            line["prev"] = hashlib.sha256(lines[-1]).hexdigest() if lines else None
            line["seq"] = len(lines) + 1
            signed = sign_fields(line, key)
            fh.write(canonical_json(signed) + b"\n")
            fh.flush()
            os.fsync(fh.fileno())
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
    return signed


def log_event(outdir: Path, event: str, **fields: Any) -> None:
    """Append a signed, hash-chained line for ``outdir`` to the log beside it.

    For the runner's ``--force``: call ``log_event(outdir, "superseded",
    moved_to=NEW_NAME)`` before (or after) moving the old run folder aside to
    ``outdir.parent / NEW_NAME``, so that verification knows the folder did not
    vanish.  ``fields`` must be JSON values; the standard fields (event, run,
    user, host, time_utc, manifest_sha256, prev, seq) cannot be overridden.

    Examples
    --------
    >>> import tempfile
    >>> from unittest import mock
    >>> base = Path(tempfile.mkdtemp())
    >>> with mock.patch.dict(os.environ, {"PDKIT_HOME": tempfile.mkdtemp(), "USER": "alice", "LOGNAME": "alice"}):
    ...     _ = init_keys()
    ...     log_event(base / "run1", "superseded", moved_to="run1.superseded-x")
    ...     log_event(base / "run1", "note", text="second line")
    ...     entries, problems = read_log(base / LOG_NAME)
    >>> [(e["seq"], e["event"], e["prev"] is None) for e in entries], problems
    ([(1, 'superseded', True), (2, 'note', False)], [])
    """
    reserved = {"event", "run", "user", "host", "time_utc", "prev", "seq", "public_key", "fingerprint", "signature"}
    clash = reserved & set(fields)
    if clash:
        raise InputError(f"log_event: reserved field(s) {', '.join(sorted(clash))}")
    outdir = Path(outdir).absolute()
    if event == "superseded" and "moved_to" in fields and not (outdir / "manifest.json").is_file():
        moved = outdir.parent / str(fields["moved_to"]) / "manifest.json"
        if moved.is_file():
            fields["manifest_sha256"] = sha256_file(moved)
    try:
        canonical_json(fields)
    except (TypeError, ValueError) as exc:
        raise InputError(f"log_event: fields must be JSON values ({exc})") from None
    user = current_user()
    _append_log(outdir, event, load_private_key(user, create=True), user, fields)


#: read_log results by (log path, log content hash, trust store identity)
_LOG_CACHE: dict[tuple[Any, ...], tuple[list[dict[str, Any] | None], list[str]]] = {}


def read_log(log: str | Path) -> tuple[list[dict[str, Any] | None], list[str]]:
    """Parse and check a log: ``(entries, problems)``; an unparseable line's entry is None.

    Checks each line's ``prev`` (the SHA-256 of the line before; null on the
    first line), its ``seq`` and its signature against the trust store.

    Examples
    --------
    >>> import tempfile
    >>> log = Path(tempfile.mkdtemp()) / LOG_NAME
    >>> _ = log.write_text('{"seq": 1, "prev": "abc"}\\n')
    >>> for line in read_log(log)[1]:
    ...     print(line.split(LOG_NAME)[1])
     line 1 the first line has a predecessor (lines removed before it)
     line 1: not a signed record (public_key, fingerprint, signature missing) (signer None, key None)
    """
    log = Path(log)
    problems: list[str] = []
    try:
        raw = log.read_bytes()
    except OSError as exc:
        return [], [f"log unreadable: {log} ({exc.strerror})"]
    store = trust_store_path()
    try:
        store_id: tuple[Any, ...] = (str(store), store.stat().st_mtime_ns, store.stat().st_size)
    except OSError:
        store_id = (str(store),)
    cache_key = (str(log.absolute()), hashlib.sha256(raw).hexdigest(), store_id)
    if cache_key in _LOG_CACHE:  # e.g. `pdkit batch` checking each report folder beside one log
        entries, cached = _LOG_CACHE[cache_key]
        return list(entries), list(cached)
    lines = raw.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    elif lines:
        problems.append(f"log {log}: the last line is incomplete")
    try:
        trusted = trusted_keys()
    except InputError as exc:
        return [], [str(exc)]
    entries: list[dict[str, Any] | None] = []
    prev_hash: str | None = None
    for i, line in enumerate(lines, 1):
        try:
            entry = json.loads(line)
            if not isinstance(entry, dict):
                raise ValueError("not an object")
        except ValueError:
            problems.append(f"log chain broken: {log} line {i} is not a JSON record")
            entries.append(None)
            prev_hash = hashlib.sha256(line).hexdigest()
            continue
        if entry.get("prev") != prev_hash:
            what = "the first line has a predecessor (lines removed before it)" if i == 1 and prev_hash is None \
                else "does not follow the line before it (a line was removed, inserted or edited)"
            problems.append(f"log chain broken: {log} line {i} {what}")
        if entry.get("seq") != i:
            problems.append(f"log chain broken: {log} line {i} has sequence number {entry.get('seq')}")
        for p in check_signature(entry, trusted):
            problems.append(f"log {log} line {i}: {p} (signer {entry.get('user')}, key {entry.get('fingerprint')})")
        entries.append(entry)
        prev_hash = hashlib.sha256(line).hexdigest()
    if len(_LOG_CACHE) > 16:
        _LOG_CACHE.clear()
    _LOG_CACHE[cache_key] = (list(entries), list(problems))
    return entries, problems


def verify_log(log: str | Path, runs: list[str] | None = None) -> list[str]:
    """Problems with a log and the run folders beside it (empty list: consistent).

    The chain and signatures (see :func:`read_log`); then for each run named in
    the log (only those in ``runs`` if given): a folder that vanished without a
    ``superseded`` event, a ``manifest.json`` whose SHA-256 differs from the
    last logged one, a signature record not in the log, a logged signature no
    longer in ``signatures.json``; and (when ``runs`` is None) each run folder
    beside the log that the log does not know.

    Examples
    --------
    >>> import tempfile
    >>> verify_log(Path(tempfile.mkdtemp()) / LOG_NAME)[0].startswith("log unreadable")
    True
    """
    log = Path(log)
    entries, problems = read_log(log)
    folder = log.parent
    history: dict[str, list[tuple[int, dict[str, Any]]]] = {}
    for i, e in enumerate(entries, 1):
        if e is None or not isinstance(e.get("run"), str):
            continue
        history.setdefault(e["run"], []).append((i, e))
        if e.get("event") == "superseded" and isinstance(e.get("moved_to"), str):
            history[e["moved_to"]] = [(j, dict(x, event="moved_here") if x is e else x)
                                      for j, x in history[e["run"]]]
    names = set(history) if runs is None else set(runs)
    for name in sorted(names):
        run = folder / name
        events = history.get(name)
        manifest = run / "manifest.json"
        if not events:
            if manifest.is_file():
                problems.append(f"run not in log: {run} (no entry in {log})")
            continue
        if not any(e.get("manifest_sha256") or e.get("record_sha256") for _, e in events):
            continue  # a folder that never held a run (e.g. a whole demo folder moved aside)
        last_i, last = events[-1]
        if last.get("event") == "superseded":
            if manifest.is_file():
                problems.append(f"manifest differs from log: {manifest} (logged as superseded at line {last_i} "
                                "and not finalised since)")
            continue
        if not manifest.is_file():
            what = "run folder vanished" if not run.exists() else "manifest vanished"
            problems.append(f"{what}: {run} (logged in {log} line {last_i}, not as superseded)")
            continue
        logged = [(i, e["manifest_sha256"]) for i, e in events if e.get("manifest_sha256")]
        if logged and sha256_file(manifest) != logged[-1][1]:
            problems.append(f"manifest differs from log: {manifest} (its SHA-256 is not the one logged "
                            f"at line {logged[-1][0]})")
        records, _ = read_signatures(run)
        logged_records = {e.get("record_sha256") for _, e in events}
        for k, rec in enumerate(records or [], 1):
            if record_sha256(rec) not in logged_records:
                problems.append(f"signature not in log: {run / SIGNATURES} record {k} "
                                f"({rec.get('role')} by {rec.get('user')}) has no entry in {log}")
        # every signature logged since the run was last finalised must still be in signatures.json
        starts = [n for n, (_, e) in enumerate(events) if e.get("event") in ("run_finalised", "moved_here")]
        current = {record_sha256(r) for r in records or []}
        for i, e in events[starts[-1] if starts else 0:]:
            if e.get("event") in ("run_finalised", "signed") and e.get("record_sha256") not in current:
                problems.append(f"signature removed: {run / SIGNATURES} lacks the {e.get('role')} signature "
                                f"by {e.get('user')} logged in {log} line {i}")
    if runs is None:
        for sub in sorted(p for p in folder.iterdir() if p.is_dir() and (p / "manifest.json").is_file()):
            if sub.name not in history:
                problems.append(f"run not in log: {sub} (no entry in {log})")
    return problems


# ---------------------------------------------------------------- verification of a run's signatures


def verify_signatures(outdir: str | Path) -> list[str]:
    """Problems with a run folder's ``signatures.json`` and HTML signature blocks.

    Every record must verify with a trusted key for the user it names, chain to
    the one before (``prev``), carry the SHA-256 of the current
    ``manifest.json``; the first is the ``author``'s, matching the manifest's
    ``user``/``host`` where the manifest has them; every HTML output's marker
    blocks must hold exactly :func:`render_signatures` of the records.

    Examples
    --------
    >>> import tempfile
    >>> verify_signatures(tempfile.mkdtemp())[0].startswith("signature missing")
    True
    """
    outdir = Path(outdir)
    records, problem = read_signatures(outdir)
    if records is None:
        return [problem or f"signature missing: {outdir / SIGNATURES}"]
    path = outdir / SIGNATURES
    problems: list[str] = []
    try:
        trusted = trusted_keys()
    except InputError as exc:
        return [str(exc)]
    manifest = outdir / "manifest.json"
    manifest_sha = sha256_file(manifest) if manifest.is_file() else None
    try:
        mdata = json.loads(manifest.read_text(encoding="utf-8"))
        mdata = mdata if isinstance(mdata, dict) else {}
    except (OSError, ValueError):
        mdata = {}
    prev: str | None = None
    for k, rec in enumerate(records, 1):
        who = f"{path} record {k} ({rec.get('role')} by {rec.get('user')}, key {rec.get('fingerprint')})"
        for p in check_signature(rec, trusted):
            problems.append(f"{p}: {who}")
        if rec.get("prev") != prev:
            problems.append(f"signature chain broken: {who} does not follow record {k - 1}")
        if rec.get("role") not in ROLES or (rec.get("role") == "author") != (k == 1):
            problems.append(f"signature role out of place: {who} (the first record is the author's, then "
                            "reviewer/approver)")
        if rec.get("manifest_sha256") != manifest_sha:
            problems.append(f"signature does not match manifest: {who} signed a different manifest.json")
        prev = record_sha256(rec)
    author = records[0]
    for field in ("user", "host"):
        if field in mdata and mdata[field] != author.get(field):
            problems.append(f"author differs from manifest: {path} record 1 {field} {author.get(field)!r}, "
                            f"manifest {mdata[field]!r}")
    block = render_signatures(records)
    for html_path in _html_outputs(outdir, _manifest_outputs(outdir)):
        try:
            blocks = signature_blocks(html_path.read_bytes().decode("utf-8"))
        except (OSError, UnicodeDecodeError):
            continue  # the hash check names the file
        if any(b != block for b in blocks):
            problems.append(f"signature block differs from {SIGNATURES}: {html_path}")
    return problems
