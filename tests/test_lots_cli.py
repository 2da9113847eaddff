"""``pdkit lots`` on the command line (import, list, show, history, correct) on SQLite and PostgreSQL."""
from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from pdkit.lots.cli import register
from test_lots import HISTORY, PRODUCT, SPEC, _history, _write, db_url  # noqa: F401  (fixture)


@pytest.fixture
def cli():
    group = click.Group("pdkit")
    register(group)
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(group, ["lots", *args], catch_exceptions=False)

    return invoke


def test_import_list_show_history_correct(cli, db_url, tmp_path):
    r = cli("import", str(SPEC), str(HISTORY), "--db", db_url, "--user", "qc1")
    assert r.exit_code == 0, r.output
    assert "specification of 'PDX-101 (synthetic)' stored" in r.output
    assert "imported 960 result(s), 120 new lot(s)" in r.output
    assert ":pdkit@" not in r.output  # the test server's password is never shown
    r = cli("import", str(HISTORY), "--db", db_url)
    assert r.exit_code == 0 and "already imported" in r.output and "nothing changed" in r.output

    r = cli("list", "--db", db_url)
    assert r.exit_code == 0 and PRODUCT in r.output and "960" in r.output
    r = cli("list", "--product", PRODUCT, "--db", db_url, "--format", "csv")
    lines = r.output.splitlines()
    assert lines[0] == "lot,date,scale,site,results,corrections,disposition" and len(lines) == 121
    assert lines[1].startswith("PDX-21-01,2021-01-05,200 L,Site A,8,0,")

    r = cli("correct", PRODUCT, "PDX-23-05", "supercoiled", "95.0", "--reason", "DEV-2023-17 re-integration",
            "--user", "qa.lead", "--db", db_url)
    assert r.exit_code == 0, r.output
    r = cli("show", PRODUCT, "PDX-23-05", "--db", db_url)
    assert r.exit_code == 0 and "lot PDX-23-05 of PDX-101 (synthetic), date 2023-03-06" in r.output
    sc = next(line for line in r.output.splitlines() if line.strip().startswith("supercoiled"))
    assert "95" in sc and "True" in sc
    r = cli("history", PRODUCT, "PDX-23-05", "supercoiled", "--db", db_url, "--format", "csv")
    rows = r.output.splitlines()
    assert len(rows) == 3 and rows[2].split(",")[1] == "95.0"
    assert "qa.lead" in rows[2] and "DEV-2023-17 re-integration" in rows[2] and rows[2].endswith("True")
    assert rows[1].endswith("False")


def test_errors_are_one_line_with_exit_2(cli, db_url, tmp_path):
    r = cli("list", "--product", "nope", "--db", db_url)
    assert r.exit_code == 2 and r.output.count("\n") == 1 and "product 'nope' is not in" in r.output
    bad = _write(tmp_path / "bad.csv", _history().iloc[:9].assign(date=["2021-01-05"] * 8 + ["2021-13-01"]))
    r = cli("import", str(bad), "--db", db_url)
    assert r.exit_code == 2 and "bad.csv, row 9, column 'date'" in r.output and "Traceback" not in r.output
    r = cli("correct", PRODUCT, "L1", "x", "1", "--db", db_url)
    assert r.exit_code == 2 and "--reason" in r.output
    r = cli("list", "--db", "postgresql://someone:hunter2@127.0.0.1:1/none")
    assert r.exit_code == 2 and "hunter2" not in r.output and "cannot open" in r.output


def test_register_on_the_pdkit_command_line():
    import pdkit.cli

    group = click.Group("copy", commands=dict(pdkit.cli.main.commands))
    register(group)
    r = CliRunner().invoke(group, ["lots", "--help"])
    assert r.exit_code == 0 and "import" in r.output and "history" in r.output
