"""Command-line commands for signed records: ``pdkit keys``, ``pdkit sign``, ``pdkit verify``.

:func:`register` adds them to the ``pdkit`` click group (replacing any earlier
``verify``).  User mistakes end with one line ``pdkit: error: ...`` and exit 2;
a folder that does not verify prints ``FAILED  <problem>`` per problem and
exits 1.

Examples
--------
>>> import click
>>> group = click.Group("pdkit")
>>> register(group)
>>> sorted(group.commands)
['keys', 'sign', 'verify']
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from pdkit.clikit import CONTEXT, fail, fail_verification
from pdkit.errors import InputError

__all__ = ["register", "keys_group", "sign_cmd", "verify_cmd", "verified_summary"]


@click.group("keys", context_settings=CONTEXT)
def keys_group() -> None:
    """Manage Ed25519 signing keys and the keys you trust (config: $PDKIT_HOME or ~/.config/pdkit)."""


@keys_group.command("init", context_settings=CONTEXT)
@click.option("--force", is_flag=True, help="Replace an existing key pair (signatures made with it stop verifying "
                                            "unless its public key stays trusted).")
def keys_init(force: bool) -> None:
    """Create your key pair (private key mode 0600) and trust your own public key."""
    from pdkit.reports.signing import init_keys, trust_store_path

    try:
        info = init_keys(force=force)
    except InputError as exc:
        fail(str(exc))
    click.echo(f"user:        {info['user']}")
    click.echo(f"fingerprint: {info['fingerprint']}")
    click.echo(f"private key: {info['private_key']}  (keep it private; mode 0600)")
    click.echo(f"public key:  {info['public_key']}")
    if "trust_problem" in info:
        click.echo(f"not trusted: {info['trust_problem']}; ask whoever manages {trust_store_path()} to run "
                   f"'pdkit keys trust' on your 'pdkit keys export'", err=True)
    else:
        click.echo(f"trusted in:  {trust_store_path()}")


@keys_group.command("list", context_settings=CONTEXT)
def keys_list() -> None:
    """List your key pairs and the trusted public keys."""
    from pdkit.reports.signing import fingerprint, keys_dir, trust_store_path, trusted_keys

    folder = keys_dir()
    own = sorted(folder.glob("*.pub")) if folder.is_dir() else []
    click.echo(f"keys in {folder}:" if own else f"no key pairs in {folder} ('pdkit keys init' creates one)")
    for pub in own:
        try:
            from cryptography.hazmat.primitives import serialization

            key = serialization.load_pem_public_key(pub.read_bytes())
            raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
            click.echo(f"  {pub.stem:<16} {fingerprint(raw)}")
        except (OSError, ValueError) as exc:
            click.echo(f"  {pub.stem:<16} unreadable ({exc})")
    try:
        store = trusted_keys()
    except InputError as exc:
        fail(str(exc))
    click.echo(f"trusted keys ({trust_store_path()}):" if store else f"no trusted keys ({trust_store_path()})")
    for fp, entry in sorted(store.items(), key=lambda kv: (str(kv[1].get("user")), kv[0])):
        click.echo(f"  {str(entry.get('user')):<16} {fp}  added {entry.get('added_utc')}")


@keys_group.command("trust", context_settings=CONTEXT)
@click.argument("pubfile", type=click.Path(dir_okay=False))
@click.option("--user", default=None, help="User the key belongs to (default: the file name, e.g. alice.pub).")
def keys_trust(pubfile: str, user: str | None) -> None:
    """Trust the public key in PUBFILE (from 'pdkit keys export') for signatures by its user."""
    from pdkit.reports.signing import trust_key, trust_store_path

    try:
        fp = trust_key(pubfile, user=user)
    except InputError as exc:
        fail(str(exc))
    click.echo(f"trusted {user or Path(pubfile).stem}: {fp} in {trust_store_path()}")


@keys_group.command("export", context_settings=CONTEXT)
@click.option("--user", default=None, help="Whose public key (default: you).")
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None,
              help="Write to this file (name it <user>.pub) instead of standard output.")
def keys_export(user: str | None, output: str | None) -> None:
    """Print your public key (PEM) to hand to the people who verify your signatures."""
    from pdkit.io.files import atomic_write_text
    from pdkit.reports.signing import export_public_key

    try:
        pem = export_public_key(user)
    except InputError as exc:
        fail(str(exc))
    if output:
        atomic_write_text(output, pem)
        click.echo(f"public key written to {output}")
    else:
        click.echo(pem, nl=False)


@click.command("sign", context_settings=CONTEXT)
@click.argument("outdir", type=click.Path(file_okay=False))
@click.option("--role", type=click.Choice(["reviewer", "approver"]), required=True, help="Your role.")
@click.option("--meaning", required=True, help='What your signature means, e.g. "reviewed the results".')
def sign_cmd(outdir: str, role: str, meaning: str) -> None:
    """Sign the verified run in OUTDIR as reviewer or approver; shown in the report header and on each CoA."""
    from pdkit.reports.signing import VerificationFailed, sign_run

    try:
        record, notes = sign_run(outdir, role, meaning)
    except VerificationFailed as exc:
        fail_verification(exc)
    except InputError as exc:
        fail(str(exc))
    for note in notes:
        click.echo(f"pdkit: note: {note}", err=True)
    click.echo(f"signed {outdir} as {record['role']} ({record['meaning']}) by {record['user']}, "
               f"key {record['fingerprint']}, {record['time_utc']}")


def verified_summary(outdir: str | Path) -> list[str]:
    """What a successful :func:`pdkit.provenance.verify` of ``outdir`` covered, one line per run and log.

    Examples
    --------
    >>> import tempfile
    >>> verified_summary(tempfile.mkdtemp())
    []
    """
    import hashlib

    from pdkit.reports.provenance import find_manifests
    from pdkit.reports.signing import LOG_NAME, read_signatures

    outdir = Path(outdir)
    lines = []
    for manifest in find_manifests(outdir):
        try:
            data = json.loads(manifest.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        records, _ = read_signatures(manifest.parent)
        signers = ", ".join(f"{r.get('user')} ({r.get('role')}, {r.get('time_utc')})" for r in records or [])
        lines.append(f"OK  {manifest.parent}: {data.get('template')} {data.get('status')}, "
                     f"{len(data.get('inputs', []))} inputs and {len(data.get('outputs', []))} outputs unchanged, "
                     f"no unlisted files; signed by {signers or 'nobody'}")
    logs = sorted(set(outdir.rglob(LOG_NAME)) | {m.parent.parent / LOG_NAME for m in find_manifests(outdir)})
    for log in logs:
        if log.is_file():
            raw = [x for x in log.read_bytes().split(b"\n") if x]
            head = hashlib.sha256(raw[-1]).hexdigest() if raw else "-"
            lines.append(f"OK  log {log}: {len(raw)} entries, chain and signatures intact; head {head}")
    return lines


@click.command("verify", context_settings=CONTEXT)
@click.argument("outdir", type=click.Path())
def verify_cmd(outdir: str) -> None:
    """Verify the run(s) in OUTDIR: hashes, unlisted files, signatures, notebook metadata, the log.

    Exit 0 only if every run succeeded and nothing changed; otherwise one FAILED line per problem and exit 1.
    """
    from pdkit.reports.provenance import verify

    try:
        problems = verify(outdir)
    except InputError as exc:
        fail(str(exc))
    if problems:
        for line in problems:
            click.echo(f"FAILED  {line}", err=True)
        sys.exit(1)
    for line in verified_summary(outdir):
        click.echo(line)


def register(main: click.Group) -> None:
    """Add ``keys``, ``sign`` and ``verify`` to the ``pdkit`` command group (replacing an earlier ``verify``)."""
    main.commands.pop("verify", None)
    main.add_command(keys_group, "keys")
    main.add_command(sign_cmd, "sign")
    main.add_command(verify_cmd, "verify")
