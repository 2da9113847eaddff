"""The ``pdkit`` command line: templates, run, batch, verify, demo, lab.

Exit codes: 0 success; 1 a report's execution failed (or verification found a
change); 2 invalid parameters or input, reported in one line before any kernel
starts and before anything is written.
"""
from __future__ import annotations

import sys
from pathlib import Path

from ._startup import fast_imports

fast_imports()  # before anything imports nbformat (see pdkit._startup)

import click  # noqa: E402

from .errors import InputError
from .params import TemplateError

__all__ = ["main"]

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


def _fail(message: str, code: int = 2) -> None:
    click.echo(f"pdkit: error: {message}", err=True)
    sys.exit(code)


@click.group(context_settings=CONTEXT)
@click.version_option(package_name="pdkit", prog_name="pdkit")
def main() -> None:
    """pdkit: reproducible process-development reports for plasmid DNA and viral vectors.

    Run `pdkit COMMAND --help` for each command's options.
    """


@main.command("templates", context_settings=CONTEXT)
@click.option("--name", "only", default=None, help="Show one template only.")
def templates_cmd(only: str | None) -> None:
    """List the report templates and each parameter's name, type, default and help."""
    from .params import find_template, list_templates, parse_parameters, template_title

    names = [only] if only else list_templates()
    if not names:
        _fail("no templates found")
    for name in names:
        try:
            path = find_template(name)
            specs = parse_parameters(path)
        except (InputError, TemplateError) as exc:
            _fail(str(exc))
        click.secho(f"{name}", bold=True, nl=False)
        click.echo(f"  - {template_title(path)}")
        width = max((len(s.name) for s in specs), default=4)
        for s in specs:
            extra = []
            if any(x is not None for x in (s.choices, s.file, s.range, s.column_of, s.value_of, s.above)):
                extra.append(f"[{s.describe_expected()}]")
            click.echo(f"    {s.name:<{width}}  {s.type_label:<12} = {s.default!r:<28} {s.help} {' '.join(extra)}".rstrip())
        click.echo("")


@main.command("run", context_settings=CONTEXT)
@click.argument("template")
@click.option("-p", "--parameter", "params", multiple=True, nargs=2, metavar="NAME VALUE",
              help="Set a parameter (repeatable); the value is parsed by the parameter's declared type.")
@click.option("-f", "--parameters-file", "param_file", type=click.Path(dir_okay=False), default=None,
              help="YAML file of name: value parameters (-p overrides it).")
@click.option("-o", "--output", "outdir", type=click.Path(file_okay=False), default=None,
              help="Output folder (default ./reports/TEMPLATE).")
@click.option("--show-code", is_flag=True, help="Keep code cells in the HTML (hidden by default).")
@click.option("--timeout", type=int, default=None, help="Per-cell timeout in seconds.")
def run_cmd(template, params, param_file, outdir, show_code, timeout) -> None:
    """Validate parameters, execute TEMPLATE with papermill, and write the notebook, HTML and manifest.

    Exit 0 on success, 2 on invalid parameters or input (nothing written), 1 when execution fails.
    """
    from .runner import run_report

    values: dict[str, str] = {}
    for name, value in params:
        if name in values:
            _fail(f"parameter '{name}' given twice")
        values[name] = value
    try:
        result = run_report(template, values, outdir, param_file=param_file, show_code=show_code, timeout=timeout)
    except (InputError, TemplateError) as exc:
        _fail(str(exc))
    if result.status == "succeeded":
        click.echo(f"report:   {result.html}")
        click.echo(f"notebook: {result.notebook}")
        click.echo(f"manifest: {result.manifest}")
        return
    click.echo(f"pdkit: report failed: {result.error}", err=True)
    click.echo(f"executed notebook (with the error): {result.notebook}", err=True)
    click.echo(f"manifest: {result.manifest}", err=True)
    sys.exit(1)


@main.command("verify", context_settings=CONTEXT)
@click.argument("outdir", type=click.Path())
def verify_cmd(outdir: str) -> None:
    """Recompute every hash in OUTDIR's manifest(s); exit 0 only if nothing changed or vanished."""
    from .provenance import find_manifests, verify

    problems = verify(outdir)
    if problems:
        for line in problems:
            click.echo(f"FAILED  {line}", err=True)
        sys.exit(1)
    n = len(find_manifests(outdir))
    click.echo(f"OK  {n} manifest{'s' if n != 1 else ''} verified: every input and output unchanged")


@main.command("demo", context_settings=CONTEXT)
@click.option("-o", "--output", "outdir", type=click.Path(file_okay=False), default="pdkit-demo",
              show_default=True, help="Output folder for the reports and index.html.")
@click.option("--template", "only", multiple=True, help="Run only these templates (repeatable).")
def demo_cmd(outdir: str, only: tuple[str, ...]) -> None:
    """Run every standard report on the bundled sample data and write an index page."""
    from .demo import run_demo

    try:
        index, results = run_demo(outdir, templates=list(only) or None, echo=click.echo)
    except (InputError, TemplateError) as exc:
        _fail(str(exc))
    failed = [r for r in results if r.status != "succeeded"]
    click.echo(f"index: {index}")
    if failed:
        click.echo(f"pdkit: {len(failed)} report(s) failed: {', '.join(r.template for r in failed)}", err=True)
        sys.exit(1)


@main.command("lab", context_settings=CONTEXT)
@click.option("--port", type=int, default=8888, show_default=True)
@click.option("--no-browser", is_flag=True, help="Do not open a browser.")
@click.option("--dir", "root", type=click.Path(file_okay=False, exists=True), default=None,
              help="Folder to serve (default: the kit's root with notebooks/ and templates/).")
def lab_cmd(port: int, no_browser: bool, root: str | None) -> None:
    """Start JupyterLab on 127.0.0.1 with a random token, on the kit's notebooks."""
    import os
    import secrets

    from ._paths import kit_root

    token = secrets.token_hex(24)
    folder = Path(root).resolve() if root else kit_root()
    argv = [sys.executable, "-m", "jupyterlab", "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
            f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={folder}"]
    if no_browser:
        argv.append("--no-browser")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        argv.append("--ServerApp.allow_root=True")  # containers and CI run as root
    click.echo(f"JupyterLab on http://127.0.0.1:{port}/lab?token={token}")
    sys.stdout.flush()  # execv replaces the process without flushing Python's buffers
    os.execv(sys.executable, argv)


from .batch import batch_command  # noqa: E402  (only click at import time)

main.add_command(batch_command, "batch")


if __name__ == "__main__":  # pragma: no cover
    main()
