"""``pdkit course``: completion records, their verification, and the trainer guide.

:func:`register` adds the ``course`` group to the ``pdkit`` click group::

    pdkit course report --records PATH [--trainee ID] [--lesson NN] -o OUTDIR [--force]
    pdkit course verify OUTDIR [--records PATH]
    pdkit course trainer-guide -o DIR [--trainee ID] [--lesson NN]...

User mistakes end with one line ``pdkit: error: ...`` and exit 2; records or
completion records that do not verify print ``FAILED  <problem>`` per problem
and exit 1.

Examples
--------
>>> import click
>>> group = click.Group("pdkit")
>>> register(group)
>>> sorted(group.commands["course"].commands)
['report', 'trainer-guide', 'verify']
"""
from __future__ import annotations

import sys

import click

from pdkit.clikit import CONTEXT, fail, fail_verification
from pdkit.errors import InputError

__all__ = ["register", "course_group"]


@click.group("course", context_settings=CONTEXT)
def course_group() -> None:
    """Training records of the course: completion records, verification, trainer guide."""


@course_group.command("report", context_settings=CONTEXT)
@click.option("--records", "records", required=True, type=click.Path(dir_okay=False),
              help="A trainee's records file (WORKSPACE/.pdkit-course/records.jsonl).")
@click.option("--trainee", default=None, help="Only this trainee (default: every trainee in the file).")
@click.option("--lesson", default=None, help="Only this lesson, e.g. 05 (default: every lesson with attempts).")
@click.option("-o", "--output", "outdir", required=True, type=click.Path(file_okay=False),
              help="Folder for the completion records (JSON + HTML per trainee and lesson).")
@click.option("--force", is_flag=True, help="Replace existing completion records of the same trainee and lesson.")
def report_cmd(records: str, trainee: str | None, lesson: str | None, outdir: str, force: bool) -> None:
    """Write a completion record per trainee and lesson, signed by you (the trainer)."""
    from pdkit.course.completion import write_completion_records
    from pdkit.reports.signing import VerificationFailed

    try:
        written = write_completion_records(records, outdir, trainee=trainee, lesson=lesson, force=force)
    except VerificationFailed as exc:
        fail_verification(exc)
    except InputError as exc:
        fail(str(exc))
    import json

    for path in written:
        doc = json.loads(path.read_text(encoding="utf-8"))
        click.echo(f"{doc['trainee']}  lesson {doc['lesson']}  {doc['status']:<10}  {path} (+ .html)")
    click.echo(f"signed by {doc['user']} ({doc['fingerprint']}); check with: pdkit course verify {outdir}")


@course_group.command("verify", context_settings=CONTEXT)
@click.argument("outdir", type=click.Path(file_okay=False))
@click.option("--records", default=None, type=click.Path(dir_okay=False),
              help="The records file, if it moved since the report.")
def verify_cmd(outdir: str, records: str | None) -> None:
    """Check completion records: signatures, pages, the records' hash chain, record vs records."""
    from pdkit.course.completion import verify_completion

    problems = verify_completion(outdir, records)
    if problems:
        for line in problems:
            click.echo(f"FAILED  {line}", err=True)
        sys.exit(1)
    from pathlib import Path

    n = len([p for p in Path(outdir).glob("*.json")])
    click.echo(f"verified {n} completion record{'s' if n != 1 else ''} in {outdir}")


@course_group.command("trainer-guide", context_settings=CONTEXT)
@click.option("-o", "--output", "outdir", required=True, type=click.Path(file_okay=False),
              help="Folder for the guide (outside any trainee workspace).")
@click.option("--trainee", default=None, help="Show this trainee's values and expected answers.")
@click.option("--lesson", "lessons", multiple=True, help="Only these lessons (repeatable), e.g. --lesson 05.")
def trainer_guide_cmd(outdir: str, trainee: str | None, lessons: tuple[str, ...]) -> None:
    """Write solutions, expected answers and model answers (Markdown + HTML) for trainers."""
    from pdkit.course.records import find_workspace
    from pdkit.course.trainer import write_trainer_guide

    if find_workspace(outdir) is not None:
        fail(f"{outdir} is inside a trainee workspace (a pdkit-course.json above it); choose a trainer folder")
    try:
        files = write_trainer_guide(outdir, trainee=trainee, lessons=list(lessons) or None)
    except InputError as exc:
        fail(str(exc))
    click.echo(f"trainer guide: {len(files)} files in {outdir} (open {outdir}/index.html)")


def register(group: click.Group) -> None:
    """Add ``pdkit course`` to the ``pdkit`` click group.

    Examples
    --------
    >>> g = click.Group("pdkit")
    >>> register(g)
    >>> "course" in g.commands
    True
    """
    group.add_command(course_group)


if __name__ == "__main__":  # pragma: no cover  (python -m pdkit.course.cli: the group on its own)
    course_group(prog_name="pdkit course")
