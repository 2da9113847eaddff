"""The ``pdkit`` command line: templates, run, batch, verify, demo, lab.

Exit codes: 0 success; 1 a report's execution failed (or verification found a
change); 2 invalid parameters or input, reported in one line before any kernel
starts and before anything is written.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

from pdkit.reports.startup import fast_imports

fast_imports()  # before anything imports nbformat (see pdkit.reports.startup)

import click  # noqa: E402

from pdkit.clikit import CONTEXT, fail
from pdkit.errors import InputError
from pdkit.reports.params import TemplateError

__all__ = ["main", "lab_environment", "reason_option", "pdf_options"]


@click.group(context_settings=CONTEXT)
@click.version_option(package_name="pdkit", prog_name="pdkit")
def main() -> None:
    """pdkit: reproducible process-development reports for plasmid DNA and viral vectors.

    Run `pdkit COMMAND --help` for each command's options.
    """


@main.command("templates", context_settings=CONTEXT)
@click.argument("name", required=False)
@click.option("--name", "only", default=None, help="Show one template only (same as NAME).")
def templates_cmd(name: str | None, only: str | None) -> None:
    """List the report templates and each parameter's name, type, default and help.

    With NAME, also print the input contract of the table the template reads (columns, types,
    units, allowed ranges, unique keys) and a minimal example file.
    """
    from pdkit.reports.params import find_template, list_templates, parse_parameters, template_title

    only = name or only
    names = [only] if only else list_templates()
    if not names:
        fail("no templates found")
    for name in names:
        try:
            path = find_template(name)
            specs = parse_parameters(path)
        except (InputError, TemplateError) as exc:
            fail(str(exc))
        click.secho(f"{name}", bold=True, nl=False)
        click.echo(f"  - {template_title(path)}")
        width = max((len(s.name) for s in specs), default=4)
        for s in specs:
            extra = []
            if any(x is not None for x in (s.choices, s.file, s.range, s.column_of, s.value_of, s.above, s.output)):
                extra.append(f"[{s.describe_expected()}]")
            click.echo(f"    {s.name:<{width}}  {s.type_label:<12} = {s.default!r:<28} {s.help} {' '.join(extra)}".rstrip())
        click.echo("")
    if only:
        from pdkit.io.contracts import CONTRACTS, describe_contract, example_table

        if only in CONTRACTS:
            click.echo(describe_contract(only).rstrip())
            click.echo("")
            click.secho("Minimal example file:", bold=True)
            click.echo(example_table(only).rstrip())


def reason_option(f):
    """``--reason TEXT``: why the report is run, recorded in the manifest (shared by run and batch)."""
    return click.option("--reason", default=None, metavar="TEXT",
                        help="Why this report is run (recorded in the manifest with user and host).")(f)


def pdf_options(f):
    """``--pdf`` and ``--paper A4|Letter`` (shared by run and batch)."""
    f = click.option("--paper", type=click.Choice(["A4", "Letter"], case_sensitive=False), default="A4",
                     show_default=True, help="Paper size of the PDFs.")(f)
    return click.option("--pdf", "pdf", is_flag=True,
                        help="Also convert every HTML output (report, certificates) to PDF (needs chromium).")(f)


@main.command("run", context_settings=CONTEXT)
@click.argument("template")
@click.option("-p", "--parameter", "params", multiple=True, nargs=2, metavar="NAME VALUE",
              help="Set a parameter (repeatable); the value is parsed by the parameter's declared type.")
@click.option("-f", "--parameters-file", "param_file", type=click.Path(dir_okay=False), default=None,
              help="YAML file of name: value parameters (-p overrides it).")
@click.option("-o", "--output", "outdir", type=click.Path(file_okay=False), default=None,
              help="Output folder (default ./reports/TEMPLATE); must be new or empty unless --force.")
@click.option("--force", is_flag=True,
              help="Move an existing non-empty output folder aside to OUTDIR.superseded-<UTC time> first.")
@reason_option
@pdf_options
@click.option("--show-code", is_flag=True, help="Keep code cells in the HTML (hidden by default).")
@click.option("--timeout", type=int, default=None, help="Per-cell timeout in seconds.")
def run_cmd(template, params, param_file, outdir, force, reason, pdf, paper, show_code, timeout) -> None:
    """Validate parameters, execute TEMPLATE with papermill, and write the notebook, HTML and manifest.

    The output folder belongs to the run: an existing non-empty one is refused unless --force,
    and a second run into it while one is running is refused. SIGTERM or Ctrl-C end the run as
    failed, with its manifest.

    Exit 0 on success, 2 on invalid parameters, input or output folder (nothing written),
    1 when execution fails or the disk is full.
    """
    from pdkit.reports.runner import DiskFullError, run_report

    values: dict[str, str] = {}
    for name, value in params:
        if name in values:
            fail(f"parameter '{name}' given twice")
        values[name] = value
    try:
        result = run_report(template, values, outdir, param_file=param_file, show_code=show_code, timeout=timeout,
                            force=force, reason=reason, pdf=pdf, paper=paper)
    except (InputError, TemplateError) as exc:
        fail(str(exc))
    except DiskFullError as exc:
        fail(str(exc), 1)
    if result.superseded is not None:
        click.echo(f"earlier content moved to: {result.superseded}")
    if result.status == "succeeded":
        click.echo(f"report:   {result.html}")
        click.echo(f"notebook: {result.notebook}")
        click.echo(f"manifest: {result.manifest}")
        return
    click.echo(f"pdkit: report failed: {result.error}", err=True)
    click.echo(f"executed notebook (with the error): {result.notebook}", err=True)
    click.echo(f"manifest: {result.manifest}", err=True)
    sys.exit(1)


@main.command("demo", context_settings=CONTEXT)
@click.option("-o", "--output", "outdir", type=click.Path(file_okay=False), default="pdkit-demo",
              show_default=True, help="Output folder for the reports and index.html.")
@click.option("--template", "only", multiple=True, help="Run only these templates (repeatable).")
def demo_cmd(outdir: str, only: tuple[str, ...]) -> None:
    """Run every standard report on the bundled sample data and write an index page.

    Re-running into the same folder moves the earlier demo aside to OUTDIR.superseded-<UTC time>.
    """
    from pdkit.reports.demo import run_demo
    from pdkit.reports.runner import DiskFullError

    try:
        index, results = run_demo(outdir, templates=list(only) or None, echo=click.echo)
    except (InputError, TemplateError) as exc:
        fail(str(exc))
    except DiskFullError as exc:
        fail(str(exc), 1)
    failed = [r for r in results if r.status != "succeeded"]
    click.echo(f"index: {index}")
    if failed:
        click.echo(f"pdkit: {len(failed)} report(s) failed: {', '.join(r.template for r in failed)}", err=True)
        sys.exit(1)


def lab_environment(token: str, base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment for JupyterLab: the token travels in ``JUPYTER_TOKEN``, never on a command line.

    jupyter_server's ``IdentityProvider.token`` default reads ``JUPYTER_TOKEN``
    (jupyter_server/auth/identity.py, ``_token_default``); a process's environment
    is readable only by its user, its command line (``/proc/PID/cmdline``) by everyone.

    Examples
    --------
    >>> lab_environment("abc", {"PATH": "/bin", "JUPYTER_TOKEN_FILE": "/x"})
    {'PATH': '/bin', 'JUPYTER_TOKEN': 'abc'}
    """
    env = dict(os.environ if base is None else base)
    env.pop("JUPYTER_TOKEN_FILE", None)  # would be read only if JUPYTER_TOKEN were empty; keep one source
    env["JUPYTER_TOKEN"] = token
    return env


@main.command("lab", context_settings=CONTEXT)
@click.option("--port", type=int, default=8888, show_default=True)
@click.option("--no-browser", is_flag=True, help="Do not open a browser.")
@click.option("--workspace", type=click.Path(file_okay=False), default=None,
              help="Your course workspace (default $PDKIT_WORKSPACE or ~/pdkit-workspace); made on first use.")
@click.option("--trainee", default=None, help="Your trainee id for the training records (a new workspace only).")
@click.option("--dir", "root", type=click.Path(file_okay=False, exists=True), default=None,
              help="Serve this folder as it is instead of a workspace (course authors: --dir . in the repository).")
def lab_cmd(port: int, no_browser: bool, workspace: str | None, trainee: str | None, root: str | None) -> None:
    """Start JupyterLab on 127.0.0.1 with a random token, on your copy of the course.

    The course, the worked examples, the sample data and the primer are copied into
    your workspace (never edited where pdkit is installed); an existing workspace only
    gets what is new.  The token is passed to JupyterLab in its environment, never on
    its command line.
    """
    import secrets

    if root and (workspace or trainee):
        fail("--dir serves a folder as it is: it cannot be combined with --workspace or --trainee")
    if root:
        folder = Path(root).resolve()
        start = ""
    else:
        from pdkit.course.workspace import create_workspace

        try:
            ws = create_workspace(workspace, trainee=trainee)
        except InputError as exc:
            fail(str(exc))
        except OSError as exc:
            fail(f"cannot write the workspace: {exc}")
        click.echo(ws.summary())
        folder = ws.root
        start = "/tree/notebooks/course/00_index.ipynb" if (folder / "notebooks/course/00_index.ipynb").is_file() else ""
    token = secrets.token_hex(24)
    argv = [sys.executable, "-m", "jupyterlab", "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
            f"--ServerApp.root_dir={folder}"]
    if no_browser:
        argv.append("--no-browser")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        argv.append("--ServerApp.allow_root=True")  # containers and CI run as root
    click.echo(f"JupyterLab on http://127.0.0.1:{port}/lab{start}?token={token}")
    sys.stdout.flush()  # execve replaces the process without flushing Python's buffers
    os.execve(sys.executable, argv, lab_environment(token))


from pdkit.reports.batch import batch_command  # noqa: E402  (only click at import time)

main.add_command(batch_command, "batch")

from pdkit.reports.cli_records import register as _register_records  # noqa: E402  (keys, sign, verify)
from pdkit.lots.cli import register as _register_lots  # noqa: E402  (lots import/list/show/history/correct)

from pdkit.course.cli import register as _register_course  # noqa: E402  (course report/verify/trainer-guide)

_register_records(main)
_register_lots(main)
_register_course(main)


if __name__ == "__main__":  # pragma: no cover
    main()
