"""Tests of `pdkit batch` (issue 7, part 1): grid validation, parallel runs, failures, re-runs, summary.

The batch machinery computes no statistics, so there is no published worked example
to check against; the one number in the summaries (the smoke template's recorded
``mean_x``) is checked against a hand calculation: the mean of x = 1, 3, 4 is 8/3.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from conftest import make_smoke_template
from pdkit import batch as batch_mod
from pdkit.batch import BatchGridError, ReportOutcome, batch_command, read_grid, run_batch, validate_grid
from pdkit.provenance import verify

MEAN_X = 8 / 3  # hand calculation: (1 + 3 + 4) / 3 from the smoke template's data.csv


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    return make_smoke_template(tmp_path_factory.mktemp("batch_tpl"))


def invoke(*args: str):
    """Run the batch command in-process (the lead registers it as `pdkit batch`)."""
    return CliRunner().invoke(batch_command, list(args), catch_exceptions=False)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def summary(out: Path) -> pd.DataFrame:
    return pd.read_csv(out / "summary.csv", dtype={"report_id": str}).set_index("report_id")


def mtimes(out: Path, ids) -> dict[str, int]:
    return {i: (out / i / "manifest.json").stat().st_mtime_ns for i in ids}


# ---------------------------------------------------------------- grid validation (no kernels)


def test_bad_value_in_row_3_exits_2_naming_row_3_and_writes_nothing(template, tmp_path):
    grid = write(tmp_path / "grid.csv", "alpha,sided\n0.1,two\n0.2,lower\n0.9,upper\n0.05,two\n")
    out = tmp_path / "out"
    result = invoke(str(template), "--grid", str(grid), "-o", str(out), "--no-progress")
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert lines == [f"pdkit: error: {grid}, row 3: parameter 'alpha': got 0.9, expected a float in (0, 0.5]"]
    assert not out.exists()


def test_every_bad_row_gets_one_line(template, tmp_path):
    grid = write(tmp_path / "grid.csv", "alpha,n_boot,sided\n0.1,3,two\nabc,3,two\n0.1,99,two\n0.1,3,middle\n")
    out = tmp_path / "out"
    result = invoke(str(template), "--grid", str(grid), "-o", str(out), "--no-progress")
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 3
    assert lines[0].startswith(f"pdkit: error: {grid}, row 2: parameter 'alpha': got 'abc'")
    assert lines[1].startswith(f"pdkit: error: {grid}, row 3: parameter 'n_boot': got 99")
    assert lines[2].startswith(f"pdkit: error: {grid}, row 4: parameter 'sided': got 'middle'")
    assert not out.exists()


def test_duplicate_report_ids_are_an_error(template, tmp_path):
    grid = write(tmp_path / "grid.csv", "report_id,alpha\nlow,0.01\nhigh,0.1\nlow,0.2\n")
    result = invoke(str(template), "--grid", str(grid), "-o", str(tmp_path / "out"), "--no-progress")
    assert result.exit_code == 2
    assert f"{grid}, row 3: column 'report_id': duplicate report id 'low' (also row 1)" in result.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("text, message", [
    ("report_id,alpha\n../x,0.1\n", "row 1: column 'report_id': got '../x', expected a folder name"),
    ("report_id,alpha\nlogs,0.1\n", "row 1: column 'report_id': got 'logs'"),
    ("report_id,alpha\nq.superseded-1,0.1\n", "row 1: column 'report_id': got 'q.superseded-1'"),
    ("report_id,alpha\n,0.1\n", "row 1: column 'report_id': value is missing"),
    ("alpha,beta\n0.1,2\n", "column 'beta': not a parameter of template 'smoke'"),
    ("alpha,alpha\n0.1,0.2\n", "column(s) 'alpha' appear more than once"),
    ("alpha\n", "no data rows"),
    ("", "empty grid"),
    ("alpha\n0.1,0.2\n", "row 1: 2 cells but the header has 1 columns"),
    ("alpha,sided\n0.1,two\n,\n0.2,two\n", "row 2: blank row"),
])
def test_csv_grid_problems_name_file_and_row(template, tmp_path, text, message):
    grid = write(tmp_path / "grid.csv", text)
    with pytest.raises(BatchGridError) as err:
        validate_grid(str(template), grid)
    assert str(err.value).startswith(str(grid))
    assert message in str(err.value)


@pytest.mark.parametrize("text, message", [
    ("alpha: 0.1\n", "expected a non-empty list of mappings (one per report), got dict"),
    ("- {alpha: 0.1}\n- 0.2\n", "row 2: expected a mapping of parameter: value, got float"),
    ("- {alpha: 0.1}\n- {alpha: true}\n", "row 2: parameter 'alpha': got True, expected a float in (0, 0.5]"),
    ("- [unclosed\n", "not valid YAML"),
])
def test_yaml_grid_problems_name_file_and_row(template, tmp_path, text, message):
    grid = write(tmp_path / "grid.yaml", text)
    with pytest.raises(BatchGridError) as err:
        validate_grid(str(template), grid)
    assert message in str(err.value)


def test_missing_grid_and_wrong_suffix(template, tmp_path):
    with pytest.raises(BatchGridError, match="grid file '.*nope.csv' does not exist"):
        read_grid(tmp_path / "nope.csv")
    bad = write(tmp_path / "grid.xlsx", "x")
    with pytest.raises(BatchGridError, match=r"expected a \.csv or \.yaml/\.yml file, got '\.xlsx'"):
        read_grid(bad)


def test_csv_cells_are_text_parsed_by_annotation_and_blank_means_default(template, tmp_path):
    grid = write(tmp_path / "grid.csv", "alpha,n_boot,lsl,sided\n0.1,5,None,\n,2,1.5,lower\n")
    prepared = validate_grid(str(template), grid)
    assert [p.report_id for p in prepared] == ["row-001", "row-002"]
    first, second = (p.values for p in prepared)
    assert first["alpha"] == 0.1 and first["n_boot"] == 5 and first["lsl"] is None and first["sided"] == "two"
    assert second["alpha"] == 0.05 and second["n_boot"] == 2 and second["lsl"] == 1.5 and second["sided"] == "lower"
    assert isinstance(first["n_boot"], int) and isinstance(second["lsl"], float)


def test_yaml_values_are_typed_and_report_ids_kept(template, tmp_path):
    grid = write(tmp_path / "grid.yaml", "- {report_id: a, alpha: 0.2, n_boot: 4, lsl: null}\n- {report_id: b}\n")
    rows = read_grid(grid)
    assert rows[0].parameters == {"alpha": 0.2, "n_boot": 4, "lsl": None} and not rows[0].strings
    prepared = validate_grid(str(template), grid)
    assert [(p.report_id, p.values["alpha"], p.values["n_boot"]) for p in prepared] == [("a", 0.2, 4), ("b", 0.05, 3)]


def test_relative_paths_resolve_against_the_grid_folder(template, tmp_path, monkeypatch):
    folder = tmp_path / "study"
    write(folder / "inputs" / "run7.csv", "x,y\n2,1\n4,3\n")
    grid = write(folder / "grid.csv", "report_id,data\nr7,inputs/run7.csv\nmissing,inputs/none.csv\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    with pytest.raises(BatchGridError) as err:
        validate_grid(str(template), grid)
    lines = str(err.value).splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"{grid}, row 2: parameter 'data'")
    assert str(folder / "inputs" / "none.csv") in lines[0]
    write(grid, "report_id,data\nr7,inputs/run7.csv\n")
    (prepared,) = validate_grid(str(template), grid)
    assert prepared.values["data"] == str((folder / "inputs" / "run7.csv").resolve())


def test_bad_options_raise_input_error(template, tmp_path):
    grid = write(tmp_path / "grid.csv", "alpha\n0.1\n")
    with pytest.raises(ValueError, match="parameter 'workers': got 0, expected an integer >= 1"):
        run_batch(str(template), grid, tmp_path / "out", workers=0)
    result = invoke(str(template), "--grid", str(grid), "-o", str(tmp_path / "out"), "--workers", "0")
    assert result.exit_code == 2 and "--workers" in result.output
    assert not (tmp_path / "out").exists()


# ---------------------------------------------------------------- process failures (no kernels)


def test_killed_or_crashed_report_process_is_failed_and_others_complete(template, tmp_path, monkeypatch):
    """The report processes are replaced by tiny scripts: one is SIGKILLed, one exits 3, one succeeds."""
    fake = {
        "killed": "import os, signal; os.kill(os.getpid(), signal.SIGKILL)",
        "crash": "import sys; print('boom: disk full'); sys.exit(3)",
        "ok": "import json, sys, pathlib; job = json.loads(sys.argv[1]); d = pathlib.Path(job['outdir']); "
              "d.mkdir(); (d / 'manifest.json').write_text(json.dumps({'status': 'succeeded'}))",
    }

    def command(job):
        return [sys.executable, "-c", fake[job["report_id"]], json.dumps(job)]

    monkeypatch.setattr(batch_mod, "_report_command", command)
    grid = write(tmp_path / "grid.csv", "report_id,alpha\nkilled,0.1\ncrash,0.2\nok,0.3\n")
    result = run_batch(str(template), grid, tmp_path / "out", workers=3, progress=False)
    assert result.exit_code == 1
    status = {r.report_id: (r.status, r.error) for r in result.reports}
    assert status["killed"] == ("failed", "the report process was killed (SIGKILL)")
    assert status["crash"] == ("failed", "exit code 3: boom: disk full")
    assert status["ok"] == ("succeeded", None)
    table = summary(tmp_path / "out")
    assert list(table.columns[:6]) == ["row", "status", "duration_s", "output", "error", "worker"]
    assert table.loc["killed", "status"] == "failed" and table.loc["ok", "status"] == "succeeded"
    assert "boom: disk full" in (tmp_path / "out" / "logs" / "crash.log").read_text()


def test_summary_frame_records_columns():
    reports = [
        ReportOutcome(1, "a", "succeeded", 1.23456, "a/t.html", None, "local:1", {"k": 2.5, "status": "x"}),
        ReportOutcome(2, "b", "failed", 2.0, None, "boom", "local:2", {"limits": [1, 2]}),
    ]
    frame = batch_mod._summary_frame(reports)
    assert list(frame.columns) == ["row", "report_id", "status", "duration_s", "output", "error", "worker",
                                   "k", "record_status", "limits"]
    assert frame.loc[0, "k"] == 2.5 and frame.loc[0, "record_status"] == "x" and frame.loc[0, "duration_s"] == 1.235
    assert frame.loc[1, "limits"] == "[1, 2]" and pd.isna(frame.loc[1, "k"])
    page = batch_mod._summary_html(frame, "t", "2024-01-01T00:00:00Z")
    assert "<a href='a/t.html'>a/t.html</a>" in page and "class='failed'" in page and "http" not in page


# ---------------------------------------------------------------- real runs


@pytest.mark.slow
def test_batch_of_six_with_failures_then_rerun_redoes_only_failed(template, tmp_path):
    grid = write(tmp_path / "grid.csv",
                 "report_id,alpha,fail_mode\n"
                 "a1,0.01,none\na2,0.05,none\nkilled,0.05,exit\na3,0.1,none\nraised,0.1,raise\na4,0.2,none\n")
    out = tmp_path / "out"
    good = ["a1", "a2", "a3", "a4"]
    result = invoke(str(template), "--grid", str(grid), "-o", str(out), "--workers", "2")
    assert result.exit_code == 1, result.output
    assert "pdkit: report failed: killed (row 3): DeadKernelError" in result.stderr
    assert "pdkit: report failed: raised (row 5): ValueError: simulated failure" in result.stderr
    table = summary(out)
    assert list(table.index) == ["a1", "a2", "killed", "a3", "raised", "a4"]
    assert list(table["row"]) == [1, 2, 3, 4, 5, 6]
    assert (table.loc[good, "status"] == "succeeded").all()
    assert table.loc["killed", "status"] == "failed" and "kernel died" in table.loc["killed", "error"]
    assert table.loc["raised", "status"] == "failed" and "ValueError: simulated failure" in table.loc["raised", "error"]
    assert table.loc[good, "mean_x"].tolist() == pytest.approx([MEAN_X] * 4)
    assert table.loc[good, "output"].tolist() == [f"{i}/smoke.html" for i in good]
    assert table.loc[["killed", "raised"], "output"].isna().all()
    assert (table.loc[good, "duration_s"] > 0).all()
    assert (out / "summary.html").is_file() and "raised" in (out / "summary.html").read_text()
    for rid in table.index:
        assert (out / "logs" / f"{rid}.log").is_file()
        assert sorted(p.name for p in (out / rid).iterdir() if p.suffix == ".log") == []
    for rid in good:
        assert verify(out / rid) == []
        manifest = json.loads((out / rid / "manifest.json").read_text())
        assert manifest["status"] == "succeeded"
        assert {o["path"] for o in manifest["outputs"]} == {"smoke.ipynb", "smoke.html", "side_output.txt"}
    assert json.loads((out / "a3" / "manifest.json").read_text())["parameters"]["alpha"] == 0.1

    before = mtimes(out, table.index)
    again = invoke(str(template), "--grid", str(grid), "-o", str(out), "--workers", "2", "--no-progress")
    assert again.exit_code == 1
    table2 = summary(out)
    assert (table2.loc[good, "status"] == "skipped").all()
    assert (table2.loc[["killed", "raised"], "status"] == "failed").all()
    assert table2.loc[good, "mean_x"].tolist() == pytest.approx([MEAN_X] * 4)  # read back for skipped reports
    after = mtimes(out, table.index)
    assert all(after[i] == before[i] for i in good)
    assert all(after[i] > before[i] for i in ("killed", "raised"))
    assert "1 succeeded" not in again.stdout and "4 skipped, 2 failed" in again.stdout
    # each redone report's earlier folder was moved aside whole; the skipped ones were not touched
    moved = sorted(p.name.split(".superseded-")[0] for p in out.iterdir() if ".superseded-" in p.name)
    assert moved == ["killed", "raised"]
    for rid in ("killed", "raised"):
        (old,) = out.glob(f"{rid}.superseded-*")
        assert json.loads((old / "manifest.json").read_text())["status"] == "failed"
        assert sorted(p.name for p in (out / rid).iterdir() if p.suffix == ".ipynb") == ["smoke.ipynb"]


@pytest.mark.slow
def test_rerun_redoes_changed_rows_and_tampered_reports_and_force_redoes_all(template, tmp_path):
    out = tmp_path / "out"
    grid = write(tmp_path / "grid.yaml", "- {report_id: p, alpha: 0.1}\n- {report_id: q, alpha: 0.2}\n")
    first = invoke(str(template), "--grid", str(grid), "-o", str(out), "--workers", "2", "--no-progress")
    assert first.exit_code == 0, first.output
    assert summary(out)["status"].tolist() == ["succeeded", "succeeded"]
    t0 = mtimes(out, ["p", "q"])

    write(grid, "- {report_id: p, alpha: 0.1}\n- {report_id: q, alpha: 0.3}\n")  # q's parameters change
    second = invoke(str(template), "--grid", str(grid), "-o", str(out), "--no-progress")
    assert second.exit_code == 0
    assert summary(out)["status"].tolist() == ["skipped", "succeeded"]
    t1 = mtimes(out, ["p", "q"])
    assert t1["p"] == t0["p"] and t1["q"] > t0["q"]
    assert json.loads((out / "q" / "manifest.json").read_text())["parameters"]["alpha"] == 0.3

    (out / "p" / "side_output.txt").write_text("edited")  # p no longer verifies
    third = invoke(str(template), "--grid", str(grid), "-o", str(out), "--no-progress")
    assert third.exit_code == 0
    assert summary(out)["status"].tolist() == ["succeeded", "skipped"]
    t2 = mtimes(out, ["p", "q"])
    assert t2["p"] > t1["p"] and t2["q"] == t1["q"]

    forced = invoke(str(template), "--grid", str(grid), "-o", str(out), "--force", "--workers", "2", "--no-progress")
    assert forced.exit_code == 0
    assert summary(out)["status"].tolist() == ["succeeded", "succeeded"]
    t3 = mtimes(out, ["p", "q"])
    assert t3["p"] > t2["p"] and t3["q"] > t2["q"]
    for rid in ("p", "q"):  # every report and its recorded parameter file still verify
        assert verify(out / rid) == []
    # q was redone three times, p twice (once because it was tampered with): each earlier run was moved aside
    assert sorted(p.name.split(".superseded-")[0] for p in out.iterdir() if ".superseded-" in p.name) == \
        ["p", "p", "q", "q"]
    tampered = [p for p in out.glob("p.superseded-*") if (p / "side_output.txt").read_text() == "edited"]
    assert len(tampered) == 1 and any("output changed" in line for line in verify(tampered[0]))
    params = json.loads((out / "q" / "manifest.json").read_text())["inputs"]
    assert [Path(i["path"]).parent.name for i in params if i.get("parameter") == "(parameter file)"] == ["params"]


@pytest.mark.slow
def test_fifty_reports_on_two_workers_all_succeed_without_port_races(template, tmp_path):
    rows = "".join(f"{0.01 + 0.005 * (i % 50):.3f}\n" for i in range(50))
    grid = write(tmp_path / "grid.csv", "alpha\n" + rows)
    out = tmp_path / "out"
    result = invoke(str(template), "--grid", str(grid), "-o", str(out), "--workers", "2", "--no-progress")
    assert result.exit_code == 0, result.output
    table = summary(out)
    assert len(table) == 50 and (table["status"] == "succeeded").all()
    assert list(table.index[:2]) == ["row-001", "row-002"] and table.index[-1] == "row-050"
    assert table["mean_x"].tolist() == pytest.approx([MEAN_X] * 50)
    logs = sorted((out / "logs").glob("*.log"))
    assert len(logs) == 50
    for log in logs:
        assert "Address already in use" not in log.read_text()


@pytest.mark.slow
def test_sigterm_to_the_batch_ends_running_reports_as_failed_and_writes_the_summary(tmp_path):
    import os
    import signal
    import subprocess
    import time

    import psutil

    from conftest import PDKIT
    from test_attack_folders import make_lots_template

    tpl = make_lots_template(tmp_path / "tpl")
    grid = write(tmp_path / "grid.csv", f"report_id,wait_for\nr1,{tmp_path / 'never'}\nr2,{tmp_path / 'never'}\n")
    out = tmp_path / "out"
    proc = subprocess.Popen(PDKIT + ["batch", str(tpl), "--grid", str(grid), "-o", str(out), "--workers", "2",
                                     "--no-progress"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 300
        while not all((out / r / "started.txt").exists() for r in ("r1", "r2")):
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the reports did not start"
            time.sleep(0.2)
        children = psutil.Process(proc.pid).children(recursive=True)
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode != 0
    for rid in ("r1", "r2"):
        manifest = json.loads((out / rid / "manifest.json").read_text())
        assert manifest["status"] == "failed" and manifest["error"] == "terminated by signal SIGTERM"
    table = summary(out)
    assert (table["status"] == "failed").all()
    assert not [c for c in children if c.is_running() and c.status() != psutil.STATUS_ZOMBIE]
    assert os.listdir(out / "r1")  # the folders hold the failed runs' records


def test_reason_pdf_and_paper_reach_every_report_and_missing_chromium_writes_nothing(template, tmp_path, monkeypatch):
    import types

    jobs = []

    def command(job):
        jobs.append(job)
        return [sys.executable, "-c", "import sys; sys.exit(0)"]

    fake = types.ModuleType("pdkit.pdf")
    fake.check_available = lambda: "PDF output needs Chromium: apt-get install chromium"
    for _name in ("pdkit.pdf", "pdkit.reports.pdf"):  # both names of the module
        monkeypatch.setitem(sys.modules, _name, fake)
    monkeypatch.setattr(batch_mod, "_report_command", command)
    grid = write(tmp_path / "grid.csv", "report_id,alpha\na,0.1\nb,0.2\n")
    out = tmp_path / "out"
    result = invoke(str(template), "--grid", str(grid), "-o", str(out), "--pdf", "--no-progress")
    assert result.exit_code == 2
    assert result.stderr.strip() == "pdkit: error: PDF output needs Chromium: apt-get install chromium"
    assert not out.exists() and jobs == []

    fake.check_available = lambda: None
    run_batch(str(template), grid, out, workers=1, progress=False, reason="PPQ lot 3", pdf=True, paper="Letter")
    assert sorted(j["report_id"] for j in jobs) == ["a", "b"]
    assert all((j["reason"], j["pdf"], j["paper"]) == ("PPQ lot 3", True, "Letter") for j in jobs)
    assert not any((out / rid).exists() for rid in ("a", "b"))  # the report's runner claims its own folder
    with pytest.raises(ValueError, match="--reason"):
        run_batch(str(template), grid, tmp_path / "o2", reason=" ", progress=False)
    assert not (tmp_path / "o2").exists()
