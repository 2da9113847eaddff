"""`pdkit batch --scheduler` on a real local Dask cluster (issue 7, part 2).

A `dask scheduler` and two single-process, single-thread `dask worker`s are started as
subprocesses on 127.0.0.1 only (the scheduler picks a free port and publishes it in a
scheduler file, so there is no port race); they are always terminated afterwards.
No published numbers apply; the recorded mean (8/3, the mean of x = 1, 3, 4) is a hand
calculation.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from conftest import make_smoke_template
from pdkit.batch import batch_command

pytestmark = pytest.mark.slow

DASK = str(Path(sys.executable).with_name("dask"))
MEAN_X = 8 / 3


def _stop(proc: subprocess.Popen) -> None:
    """Terminate a process we started (and its own process group, e.g. a nanny's worker)."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait(timeout=10)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """Address of a scheduler with two registered workers on 127.0.0.1."""
    from distributed import Client

    if not Path(DASK).exists():
        pytest.skip("the dask command is not installed next to this Python")
    folder = tmp_path_factory.mktemp("dask")
    sched_file = folder / "scheduler.json"
    procs: list[subprocess.Popen] = []
    logs = []

    def start(args: list[str], name: str) -> None:
        log = open(folder / f"{name}.log", "w")
        logs.append(log)
        procs.append(subprocess.Popen([DASK, *args], stdout=log, stderr=subprocess.STDOUT, cwd=folder,
                                      stdin=subprocess.DEVNULL, start_new_session=True))

    try:
        start(["scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
               "--scheduler-file", str(sched_file)], "scheduler")
        deadline = time.monotonic() + 60
        while not sched_file.is_file() or not sched_file.read_text().strip():
            if procs[0].poll() is not None or time.monotonic() > deadline:
                pytest.fail("dask scheduler did not start: " + (folder / "scheduler.log").read_text()[-2000:])
            time.sleep(0.2)
        time.sleep(0.2)  # the file is written in one go, but be safe against a partial read
        address = json.loads(sched_file.read_text())["address"]
        assert address.startswith("tcp://127.0.0.1:")
        for i in range(2):
            start(["worker", address, "--nworkers", "1", "--nthreads", "1", "--host", "127.0.0.1",
                   "--no-dashboard", "--death-timeout", "60", "--local-directory", str(folder / f"w{i}"),
                   "--name", f"w{i}"], f"worker{i}")
        with Client(address, timeout=30) as client:
            client.wait_for_workers(2, timeout=90)
        yield address
    finally:
        for proc in reversed(procs):
            _stop(proc)
        for log in logs:
            log.close()


def test_batch_on_dask_cluster_spreads_over_both_workers(cluster, tmp_path):
    template = make_smoke_template(tmp_path / "tpl")
    grid = tmp_path / "grid.csv"
    grid.write_text("alpha\n" + "".join(f"{a}\n" for a in (0.01, 0.02, 0.05, 0.1, 0.2, 0.3)))
    out = tmp_path / "out"
    result = CliRunner().invoke(batch_command, [str(template), "--grid", str(grid), "-o", str(out),
                                                "--scheduler", cluster, "--no-progress"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out / "summary.csv")
    assert len(table) == 6 and (table["status"] == "succeeded").all()
    assert table["mean_x"].tolist() == pytest.approx([MEAN_X] * 6)
    workers = set(table["worker"])
    assert len(workers) == 2, workers  # both workers ran reports
    assert all(w.startswith("tcp://127.0.0.1:") for w in workers)
    params = [json.loads((out / rid / "manifest.json").read_text())["parameters"]["alpha"]
              for rid in table["report_id"]]
    assert params == [0.01, 0.02, 0.05, 0.1, 0.2, 0.3]

    # a re-run through the cluster skips every report
    again = CliRunner().invoke(batch_command, [str(template), "--grid", str(grid), "-o", str(out),
                                               "--scheduler", cluster, "--no-progress"], catch_exceptions=False)
    assert again.exit_code == 0
    assert (pd.read_csv(out / "summary.csv")["status"] == "skipped").all()


def test_environment_variable_names_the_scheduler(cluster, tmp_path):
    template = make_smoke_template(tmp_path / "tpl")
    grid = tmp_path / "grid.yaml"
    grid.write_text("- {report_id: only, fail_mode: raise}\n")
    result = CliRunner(env={"PDKIT_DASK_SCHEDULER": cluster}).invoke(
        batch_command, [str(template), "--grid", str(grid), "-o", str(tmp_path / "out"), "--no-progress"],
        catch_exceptions=False)
    assert result.exit_code == 1
    table = pd.read_csv(tmp_path / "out" / "summary.csv")
    assert table.loc[0, "status"] == "failed" and "simulated failure" in table.loc[0, "error"]
    assert table.loc[0, "worker"].startswith("tcp://127.0.0.1:")  # it ran on the cluster


def test_unreachable_scheduler_is_an_input_error_and_nothing_is_written(tmp_path):
    from pdkit.batch import run_batch
    from pdkit.errors import InputError

    template = make_smoke_template(tmp_path / "tpl")
    grid = tmp_path / "grid.csv"
    grid.write_text("alpha\n0.1\n")
    with pytest.raises(InputError, match="--scheduler 'tcp://127.0.0.1:9': cannot connect to the Dask scheduler"):
        run_batch(str(template), grid, tmp_path / "out", scheduler="tcp://127.0.0.1:9", connect_timeout=2,
                  progress=False)
    assert not (tmp_path / "out").exists()


_CALLS: dict[str, int] = {}


def _flaky_task(job):
    """Stand-in for the Dask task (module level, so the in-process worker shares ``_CALLS``)."""
    from types import SimpleNamespace

    from distributed.scheduler import KilledWorker

    rid = job["report_id"]
    _CALLS[rid] = _CALLS.get(rid, 0) + 1
    if rid == "always" or (rid == "once" and _CALLS[rid] == 1):
        raise KilledWorker(f"task-{rid}", SimpleNamespace(address="tcp://127.0.0.1:1"), 3)
    return {"status": "succeeded", "error": None, "duration_s": 0.01, "worker": "fake-worker"}


def test_tasks_whose_worker_died_are_resubmitted_up_to_retries(tmp_path, monkeypatch):
    """An in-process cluster; the task function is replaced so that it raises KilledWorker
    (what the client sees when a report's worker died): once for one report (-> retried,
    succeeds) and every time for another (-> failed after 1 + retries attempts)."""
    from distributed import LocalCluster

    from pdkit import batch as batch_mod
    from pdkit.batch import run_batch

    _CALLS.clear()
    monkeypatch.setattr(batch_mod, "_execute_on_dask_worker", _flaky_task)
    template = make_smoke_template(tmp_path / "tpl")
    grid = tmp_path / "grid.csv"
    grid.write_text("report_id,alpha\nonce,0.1\nalways,0.2\nfine,0.3\n")
    with LocalCluster(n_workers=1, threads_per_worker=2, processes=False,  # in-process, no network
                      dashboard_address=":0") as local:  # a free port, never a fixed one
        result = run_batch(str(template), grid, tmp_path / "out", scheduler=local.scheduler_address, retries=2,
                           progress=False)
    assert _CALLS == {"once": 2, "always": 3, "fine": 1}
    status = {r.report_id: (r.status, r.error) for r in result.reports}
    assert status["once"] == ("succeeded", None) and status["fine"] == ("succeeded", None)
    assert status["always"][0] == "failed"
    assert status["always"][1].startswith("the Dask task failed 3 time(s): KilledWorker")
    assert result.exit_code == 1
