"""Attacks on the output folder and on the run's record (issue 12, part 3).

pdkit owns a run's output folder: a stale or foreign folder is refused, ``--force``
moves it aside whole, two runs cannot share a folder, outputs stay inside it and no
input is overwritten; a run ended by SIGTERM or a full disk leaves a clean record;
the batch summary cannot carry spreadsheet formulas.

These are behaviours, not calculations: there is no published worked example; each
test states the attack and checks the record by hand-countable facts (file names,
exit codes, manifest fields).
"""
from __future__ import annotations

import csv
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import psutil
import pytest

from conftest import PDKIT, make_smoke_template, run_cli
from pdkit import batch as batch_mod
from pdkit.batch import run_batch

pytestmark = pytest.mark.slow

PARAMETERS = '''data: str = "data.csv"  # Lot results {file: csv}
lots: int = 3  # Lots to certify {range: [0, 9]}
fail: bool = False  # Fail after writing the certificates
wait_for: str = ""  # Wait in the last cell until this file exists (empty: do not wait)
extra: str = "extra"  # Name of an extra output file {output: txt}
label: str = "x"  # Free text
pad_mb: int = 0  # Megabytes of padding written by a cell {range: [0, 64]}
'''


def make_lots_template(folder: Path) -> Path:
    """A template that writes one certificate per lot, an extra file, then may wait or fail."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "lots.ipynb"
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    params = nbformat.v4.new_code_cell(PARAMETERS)
    params.metadata["tags"] = ["parameters"]
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Lots report\nOne certificate per lot."),
        params,
        nbformat.v4.new_code_cell(f"from pdkit.params import check_parameters\nP = check_parameters({str(path)!r}, globals())"),
        nbformat.v4.new_code_cell('for i in range(1, P.lots + 1):\n'
                                  '    open(f"coa_lot{i}.html", "w").write(f"<p>lot {i} meets specification</p>")\n'
                                  'name = P.extra if P.extra.endswith(".txt") else P.extra + ".txt"\n'
                                  'open(name, "w").write("extra")\n'
                                  'if P.pad_mb:\n    with open("pad.bin", "wb") as fh:\n'
                                  '        for _ in range(P.pad_mb):\n            fh.write(b"0" * 2**20)'),
        nbformat.v4.new_code_cell('import os, time\nopen("started.txt", "w").write("started")\n'
                                  'while P.wait_for and not os.path.exists(P.wait_for):\n    time.sleep(0.1)'),
        nbformat.v4.new_code_cell('if P.fail:\n    raise RuntimeError("simulated failure after the certificates")'),
    ]
    nbformat.write(nb, str(path))
    (folder / "data.csv").write_text("lot,x\nA,1\nB,2\nC,3\n")
    return path


@pytest.fixture(scope="module")
def lots(tmp_path_factory) -> Path:
    return make_lots_template(tmp_path_factory.mktemp("lots_tpl"))


def files(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()}


def state(folder: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(folder)): (p.stat().st_mtime_ns, p.stat().st_size) for p in folder.rglob("*")}


def manifest(folder: Path) -> dict:
    return json.loads((folder / "manifest.json").read_text())


def outputs(folder: Path) -> set[str]:
    return {o["path"] for o in manifest(folder)["outputs"]}


def assert_one_error_line(proc, text: str) -> None:
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("pdkit: error: ") and text in lines[0], proc.stderr
    assert "Traceback" not in proc.stderr


def superseded(parent: Path, name: str) -> list[Path]:
    return sorted(p for p in parent.iterdir() if p.name.startswith(f"{name}.superseded-"))


def wait_until(predicate, proc: subprocess.Popen, what: str, limit: float = 300) -> None:
    deadline = time.monotonic() + limit
    while not predicate():
        if proc.poll() is not None:
            pytest.fail(f"pdkit run ended before {what}: {proc.communicate()}")
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"gave up waiting for {what}")
        time.sleep(0.1)


def kernels_of(pid: int) -> list[psutil.Process]:
    try:
        children = psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []
    out = []
    for child in children:
        try:
            if any("ipykernel" in part for part in child.cmdline()):
                out.append(child)
        except psutil.Error:
            pass
    return out


def gone(proc: psutil.Process) -> bool:
    try:
        return proc.status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


# ---------------------------------------------------------------- folder ownership


def test_stale_or_foreign_folder_is_refused_and_left_untouched(lots, tmp_path):
    out = tmp_path / "out"
    first = run_cli("run", str(lots), "-o", str(out))
    assert first.returncode == 0, first.stderr
    before = state(out)
    again = run_cli("run", str(lots), "-p", "fail", "true", "-o", str(out))
    assert again.returncode == 2
    assert_one_error_line(again, f"output folder '{out}' is not empty (it holds an earlier pdkit run)")
    assert "--force" in again.stderr
    assert state(out) == before  # the earlier record stands as it was
    assert superseded(tmp_path, "out") == []
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".pdkit.lock")]

    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / ".hidden").write_text("mine")
    proc = run_cli("run", str(lots), "-o", str(foreign))
    assert proc.returncode == 2
    assert_one_error_line(proc, "is not empty (it holds 1 entry, e.g. '.hidden')")
    assert files(foreign) == {".hidden"}
    empty = tmp_path / "empty"
    empty.mkdir()
    assert run_cli("run", str(lots), "-o", str(empty)).returncode == 0  # an empty folder is fine


def test_force_moves_the_earlier_run_aside_and_fewer_lots_leave_no_stale_certificate(lots, tmp_path):
    out = tmp_path / "out"
    assert run_cli("run", str(lots), "-p", "lots", "3", "-o", str(out)).returncode == 0
    first = manifest(out)
    # a failed re-run with fewer lots: none of the earlier certificates may remain beside it
    proc = run_cli("run", str(lots), "-p", "lots", "1", "-p", "fail", "true", "-o", str(out), "--force")
    assert proc.returncode == 1, proc.stderr
    (moved,) = superseded(tmp_path, "out")
    assert f"earlier content moved to: {moved}" in proc.stdout
    assert {p for p in files(out) if p.startswith("coa_")} == {"coa_lot1.html"}
    assert manifest(out)["status"] == "failed"
    assert files(out) - {"manifest.json", "signatures.json"} == outputs(out)
    # the earlier run moved aside whole and unchanged
    assert {p for p in files(moved) if p.startswith("coa_")} == {"coa_lot1.html", "coa_lot2.html", "coa_lot3.html"}
    assert manifest(moved) == first
    assert run_cli("verify", str(moved)).returncode == 0

    # a successful re-run with fewer lots
    proc = run_cli("run", str(lots), "-p", "lots", "2", "-o", str(out), "--force", "--reason", "CAPA-7 re-test")
    assert proc.returncode == 0, proc.stderr
    assert len(superseded(tmp_path, "out")) == 2
    assert {p for p in files(out) if p.startswith("coa_")} == {"coa_lot1.html", "coa_lot2.html"}
    assert files(out) - {"manifest.json", "signatures.json"} == outputs(out)
    assert manifest(out)["reason"] == "CAPA-7 re-test"
    assert run_cli("verify", str(out)).returncode == 0
    log = tmp_path / "pdkit-log.jsonl"
    if log.exists():  # pdkit.signing logs the move so verification knows where the run went
        events = [json.loads(line) for line in log.read_text().splitlines()]
        assert [e.get("moved_to") for e in events if e["event"] == "superseded"] == \
            [p.name for p in superseded(tmp_path, "out")]


def test_two_runs_into_one_folder_one_waits_refused_one_succeeds(lots, tmp_path):
    out = tmp_path / "out"
    release = tmp_path / "release"
    first = subprocess.Popen(PDKIT + ["run", str(lots), "-p", "wait_for", str(release), "-o", str(out)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_until(lambda: (out / "started.txt").exists(), first, "the first run's kernel started")
        for extra in (["--force"], []):  # --force must not move a running run's folder either
            second = run_cli("run", str(lots), "-p", "lots", "1", "-o", str(out), *extra)
            assert second.returncode == 2
            assert_one_error_line(second, f"output folder '{out}' is in use by another pdkit run (pid {first.pid})")
        release.write_text("go")
        stdout, stderr = first.communicate(timeout=300)
    finally:
        if first.poll() is None:
            first.kill()
    assert first.returncode == 0, stderr
    assert superseded(tmp_path, "out") == []
    assert {p for p in files(out) if p.startswith("coa_")} == {"coa_lot1.html", "coa_lot2.html", "coa_lot3.html"}
    assert manifest(out)["parameters"]["lots"] == 3
    assert run_cli("verify", str(out)).returncode == 0
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".pdkit.lock")]


@pytest.mark.parametrize("args, message", [
    (["-p", "extra", "/tmp/pdkit-attack-extra"], "parameter 'extra': got '/tmp/pdkit-attack-extra'"),
    (["-p", "extra", "../escaped"], "parameter 'extra': got '../escaped'"),
    (["-p", "label", "../lots_in/data.csv"], "which would overwrite the input file"),
    (["-p", "data", "OUT/data.csv", "--force"], "is inside the output folder"),
])
def test_output_outside_the_folder_or_onto_an_input_is_refused(lots, tmp_path, args, message):
    tpl_dir = tmp_path / "lots_in"
    shutil.copytree(lots.parent, tpl_dir)
    tpl = tpl_dir / "lots.ipynb"
    out = tmp_path / "out"
    if "OUT/data.csv" in args:
        out.mkdir()
        shutil.copy(tpl_dir / "data.csv", out / "data.csv")
    before = state(tmp_path)
    proc = run_cli("run", str(tpl), *[a.replace("OUT", str(out)) for a in args], "-o", str(out))
    assert proc.returncode == 2
    assert_one_error_line(proc, message)
    assert state(tmp_path) == before  # nothing written, nothing moved
    assert not Path("/tmp/pdkit-attack-extra.txt").exists()


# ---------------------------------------------------------------- faults


def test_sigterm_ends_the_run_as_failed_and_leaves_no_kernel_or_temp_folder(lots, tmp_path):
    out = tmp_path / "out"
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    env = dict(os.environ, TMPDIR=str(tmp))
    env.pop("PDKIT_TEMPLATES", None)
    proc = subprocess.Popen(PDKIT + ["run", str(lots), "-p", "wait_for", str(tmp_path / "never"), "-o", str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        wait_until(lambda: (out / "started.txt").exists() and kernels_of(proc.pid), proc, "the kernel is busy")
        kernels = kernels_of(proc.pid)
        assert [p for p in tmp.iterdir() if p.name.startswith("pdkit-kernel-")]  # the folder the test watches
        proc.send_signal(signal.SIGTERM)
        stdout, stderr = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 1
    assert "pdkit: report failed: terminated by signal SIGTERM" in stderr
    record = manifest(out)
    assert record["status"] == "failed" and record["error"] == "terminated by signal SIGTERM"
    assert {p for p in files(out) if p.startswith("coa_")} == {"coa_lot1.html", "coa_lot2.html", "coa_lot3.html"}
    assert files(out) - {"manifest.json", "signatures.json"} == outputs(out)
    nb = nbformat.read(str(out / "lots.ipynb"), as_version=4)
    assert nb.metadata["pdkit"]["error"] == "terminated by signal SIGTERM"
    assert kernels and all(gone(k) for k in kernels)
    assert list(tmp.iterdir()) == []  # no kernel temp folder, no connection file
    assert not [p for p in out.iterdir() if p.name.startswith(".")]
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".pdkit.lock")]


@pytest.fixture
def small_disk(tmp_path):
    """A 'disk' of a few MB: a tmpfs mounted for the test (needs root, as in CI)."""
    mounted: list[Path] = []

    def mount(size: str) -> Path:
        point = tmp_path / f"disk-{size}"
        point.mkdir()
        if os.geteuid() != 0 or not shutil.which("mount"):
            pytest.skip("mounting a small tmpfs needs root (tests run as root in CI)")
        proc = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(point)],
                              capture_output=True, text=True)
        if proc.returncode != 0:
            pytest.skip(f"mount -t tmpfs is not permitted here: {proc.stderr.strip()}")
        mounted.append(point)
        return point

    yield mount
    for point in mounted:
        subprocess.run(["umount", str(point)], capture_output=True)


@pytest.mark.parametrize("size, where", [
    ("2m", "notebook"),  # the partial notebook (the smoke report's notebook carries BokehJS: megabytes)
    ("5m", "notebook"),  # the final notebook, written beside the partial one
    ("2m", "cell"),  # a report cell writing a side output
])
def test_disk_full_gives_one_line_exit_1_and_no_partial_file(small_disk, lots, tmp_path, size, where):
    disk = small_disk(size)
    out = disk / "out"
    if where == "cell":
        proc = run_cli("run", str(lots), "-p", "pad_mb", "8", "-o", str(out))
        assert "a report cell failed: OSError: [Errno 28]" in proc.stderr
    else:
        proc = run_cli("run", str(make_smoke_template(tmp_path / "tpl")), "-o", str(out))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert_one_error_line(proc, "pdkit: error: disk full writing ")
    hidden = [p for p in disk.rglob("*") if p.name.startswith(".")]
    assert hidden == []  # no temporary file, partial notebook or lock left
    left = files(out)
    assert left <= {"manifest.json"}  # the partial outputs are gone
    if left:
        record = manifest(out)
        assert record["status"] == "failed" and record["error"].startswith("disk full writing ")
        assert record["outputs"] == []


# ---------------------------------------------------------------- batch summary


def test_formula_cells_in_the_batch_summary_are_neutralised(lots, tmp_path, monkeypatch):
    """Report processes are replaced by a script that records a formula as the error; no kernels."""
    formula = '=HYPERLINK("http://evil.example","<b>click</b>")'
    script = ("import json, sys, pathlib; job = json.loads(sys.argv[1]); "
              "d = pathlib.Path(job['outdir']); d.mkdir(parents=True, exist_ok=True); "
              f"(d / 'manifest.json').write_text(json.dumps({{'status': 'failed', 'error': {formula!r}}})); "
              "sys.exit(1)")
    monkeypatch.setattr(batch_mod, "_report_command", lambda job: [sys.executable, "-c", script, json.dumps(job)])
    grid = tmp_path / "grid.csv"
    grid.write_text("report_id,label\nr1,@SUM(A1)\n")
    out = tmp_path / "out"
    result = run_batch(str(lots), grid, out, workers=1, progress=False)
    assert result.exit_code == 1
    rows = list(csv.DictReader(io.StringIO((out / "summary.csv").read_text())))
    assert rows[0]["error"] == "'" + formula
    assert not any(v.startswith(("=", "+", "-", "@")) for row in rows for v in row.values() if v)
    page = (out / "summary.html").read_text()
    assert "<b>click</b>" not in page and "&lt;b&gt;click&lt;/b&gt;" in page
    frame = batch_mod._summary_frame(result.reports)
    assert frame.loc[0, "error"] == formula  # the table in memory keeps the text as recorded


# ---------------------------------------------------------------- demo


def test_demo_reruns_into_the_same_folder_by_moving_the_earlier_demo_aside(lots, tmp_path):
    env = dict(os.environ, PDKIT_TEMPLATES=str(lots.parent))  # the demo runs the 'lots' template only

    def demo(out: Path) -> subprocess.CompletedProcess:
        return subprocess.run(PDKIT + ["demo", "-o", str(out)], capture_output=True, text=True, env=env, timeout=600)

    out = tmp_path / "demo"
    assert demo(out).returncode == 0
    first = manifest(out / "lots")
    again = demo(out)
    assert again.returncode == 0, again.stderr
    (moved,) = superseded(tmp_path, "demo")
    assert manifest(moved / "lots") == first and (moved / "index.html").is_file()
    assert manifest(out / "lots")["started_utc"] > first["started_utc"]
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep")
    refused = demo(foreign)
    assert refused.returncode == 2
    assert_one_error_line(refused, "does not hold an earlier pdkit demo")
    assert files(foreign) == {"notes.txt"}


@pytest.mark.parametrize("value", ["../doe_worksheet", "/tmp/pdkit-attack-worksheet", "sub/../../x"])
def test_doe_design_worksheet_cannot_leave_the_output_folder(tmp_path, value):
    """The tester's case: ``-p worksheet`` of doe_design wrote outside -o; refused before any kernel starts."""
    out = tmp_path / "out"
    proc = run_cli("run", "doe_design", "-p", "worksheet", value, "-o", str(out))
    assert proc.returncode == 2
    assert_one_error_line(proc, f"parameter 'worksheet': got {value!r}")
    assert list(tmp_path.iterdir()) == []
    assert not Path("/tmp/pdkit-attack-worksheet.csv").exists()
