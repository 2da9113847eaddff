"""End-to-end tests of `pdkit run` and `pdkit verify` on a small template (issue 2)."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from conftest import make_smoke_template, require_chromium, run_cli
from pdkit.record import read_records
from pdkit.report import external_references

pytestmark = pytest.mark.slow

CONTRACT_KEYS = {"template", "parameters", "inputs", "outputs", "environment", "pdkit_version", "git_commit",
                 "started_utc", "finished_utc", "status", "error"}


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    return make_smoke_template(tmp_path_factory.mktemp("tpl"))


@pytest.fixture(scope="module")
def good_run(template, tmp_path_factory):
    out = tmp_path_factory.mktemp("run") / "report"
    proc = run_cli("run", str(template), "-p", "alpha", "0.1", "-p", "lsl", "1.5", "-o", str(out))
    return out, proc


def test_successful_run_writes_notebook_html_manifest(good_run, template):
    out, proc = good_run
    assert proc.returncode == 0, proc.stderr
    assert "report:" in proc.stdout
    assert sorted(p.name for p in out.iterdir()) == ["manifest.json", "side_output.txt", "signatures.json", "smoke.html",
                                                    "smoke.ipynb"]
    manifest = json.loads((out / "manifest.json").read_text())
    assert CONTRACT_KEYS <= set(manifest)
    assert manifest["status"] == "succeeded" and manifest["error"] is None
    assert manifest["parameters"]["alpha"] == 0.1 and manifest["parameters"]["lsl"] == 1.5
    assert manifest["parameters"]["n_boot"] == 3  # defaults are recorded too
    data = template.parent / "data.csv"
    rec = {r["path"]: r for r in manifest["inputs"]}
    assert rec[str(data)]["bytes"] == data.stat().st_size and len(rec[str(data)]["sha256"]) == 64
    assert rec[str(template)]["parameter"] == "(template)"
    assert {r["path"] for r in manifest["outputs"]} == {"smoke.ipynb", "smoke.html", "side_output.txt"}
    assert manifest["environment"]["packages"]["statsmodels"]
    assert manifest["started_utc"] <= manifest["finished_utc"]
    nb = nbformat.read(str(out / "smoke.ipynb"), as_version=4)
    assert nb.metadata["pdkit"]["status"] == "succeeded"
    assert nb.metadata["pdkit"]["inputs"] == manifest["inputs"]
    assert read_records(nb) == {"mean_x": pytest.approx(8 / 3)}


def test_html_hides_code_has_header_and_no_external_references(good_run):
    out, _ = good_run
    page = (out / "smoke.html").read_text()
    assert 'id="pdkit-header"' in page and "succeeded" in page
    assert "check_parameters" not in page  # code hidden by default
    assert "mean x = 2.667" in page
    assert external_references(page) == []
    assert "cdn.bokeh.org" not in page and "Bokeh" in page


def test_show_code_keeps_code(template, tmp_path):
    proc = run_cli("run", str(template), "--show-code", "-o", str(tmp_path / "r"))
    assert proc.returncode == 0, proc.stderr
    assert "check_parameters" in (tmp_path / "r" / "smoke.html").read_text()


@pytest.mark.browser
def test_html_renders_bokeh_canvas_with_network_off(good_run, tmp_path):
    from _browser import load_offline

    chromium = require_chromium()
    check = load_offline(good_run[0] / "smoke.html", chromium, screenshot=tmp_path / "report.png")
    assert check.canvases >= 1
    assert check.network_requests == []
    assert check.page_errors == []


def test_verify_passes_then_names_changed_and_vanished_files(good_run, tmp_path):
    src, _ = good_run
    shutil.copytree(src.parent, tmp_path / "copy")  # the run folder and the signed log beside it
    out = tmp_path / "copy" / src.name
    ok = run_cli("verify", str(out))
    assert ok.returncode == 0 and "OK" in ok.stdout
    # one byte of an output changed
    html = out / "smoke.html"
    content = bytearray(html.read_bytes())
    content[100] = (content[100] + 1) % 256
    html.write_bytes(bytes(content))
    bad = run_cli("verify", str(out))
    assert bad.returncode == 1 and f"output changed: {html}" in bad.stderr
    # an output vanished
    (out / "side_output.txt").unlink()
    bad = run_cli("verify", str(out))
    assert f"output vanished: {out / 'side_output.txt'}" in bad.stderr


def test_verify_detects_changed_input(template, tmp_path):
    folder = tmp_path / "tpl"
    tpl = make_smoke_template(folder)
    out = tmp_path / "r"
    assert run_cli("run", str(tpl), "-o", str(out)).returncode == 0
    data = folder / "data.csv"
    data.write_text(data.read_text().replace("4,4", "4,5"))  # same size, one byte differs
    bad = run_cli("verify", str(out))
    assert bad.returncode == 1 and f"input changed: {data}" in bad.stderr


@pytest.mark.parametrize("args, message", [
    (["-p", "alpha", "high"], "parameter 'alpha': got 'high', expected a float in (0, 0.5]"),
    (["-p", "alpha", "0.9"], "parameter 'alpha': got 0.9, expected a float in (0, 0.5]"),
    (["-p", "n_boot", "2.5"], "parameter 'n_boot': got 2.5, expected an integer in [1, 10]"),
    (["-p", "sided", "both"], "parameter 'sided': got 'both', expected one of 'two', 'lower', 'upper'"),
    (["-p", "colour", "red"], "parameter 'colour': unknown for this template"),
    (["-p", "data", "no_such_file.csv"], "parameter 'data': got 'no_such_file.csv', expected an existing csv/xlsx file (file not found"),
    (["-p", "data", "BROKEN"], "parameter 'data': got"),
])
def test_invalid_parameters_exit_2_one_line_nothing_written(template, tmp_path, args, message):
    broken = tmp_path / "broken.csv"
    broken.write_text('x,y\n1,"2\n')
    args = [str(broken) if a == "BROKEN" else a for a in args]
    out = tmp_path / "out"
    proc = run_cli("run", str(template), *args, "-o", str(out), cwd=tmp_path)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], proc.stderr
    assert "Traceback" not in proc.stderr
    assert not out.exists()


def test_parameter_file_values_and_override(template, tmp_path):
    pf = tmp_path / "params.yaml"
    pf.write_text("alpha: 0.2\nsided: lower\n")
    out = tmp_path / "out"
    proc = run_cli("run", str(template), "-f", str(pf), "-p", "alpha", "0.3", "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["parameters"]["alpha"] == 0.3 and manifest["parameters"]["sided"] == "lower"
    assert any(r.get("parameter") == "(parameter file)" for r in manifest["inputs"])
    bad = tmp_path / "bad.yaml"
    bad.write_text("alpha: [0.1\n")
    proc = run_cli("run", str(template), "-f", str(bad), "-o", str(tmp_path / "o2"))
    assert proc.returncode == 2 and "is not valid YAML" in proc.stderr and not (tmp_path / "o2").exists()


@pytest.mark.parametrize("mode, error", [("raise", "ValueError: simulated failure"),
                                         ("exit", "DeadKernelError")])
def test_failed_execution_exit_1_manifest_failed_no_html(template, tmp_path, mode, error):
    out = tmp_path / "out"
    # a previous successful run's HTML must not survive a failed rerun in the folder: --force moves it aside
    assert run_cli("run", str(template), "-o", str(out)).returncode == 0
    assert (out / "smoke.html").exists()
    proc = run_cli("run", str(template), "-p", "fail_mode", mode, "-o", str(out), "--force")
    assert proc.returncode == 1
    assert error in proc.stderr
    (moved,) = [p for p in tmp_path.iterdir() if p.name.startswith("out.superseded-")]
    assert (moved / "smoke.html").exists() and run_cli("verify", str(moved)).returncode == 0, "superseded run intact"
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "failed" and error in manifest["error"]
    assert not (out / "smoke.html").exists()
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no temporary leftovers
    nb = nbformat.read(str(out / "smoke.ipynb"), as_version=4)
    assert nb.metadata["pdkit"]["status"] == "failed"
    text = json.dumps(nb.cells)
    assert (error.split(":")[0] in text)  # the error is visible in the executed notebook
    # the failed run's manifest still verifies what it did write (verify also reports the failure itself)
    from pdkit.provenance import verify

    assert [p for p in verify(out) if not p.startswith("run failed")] == []


def test_manifest_and_notebook_record_user_host_and_reason(good_run, template, tmp_path):
    import getpass
    import socket

    out, _ = good_run
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["user"] == getpass.getuser() and manifest["host"] == socket.gethostname()
    assert manifest["reason"] is None  # not given
    proc = run_cli("run", str(template), "-o", str(tmp_path / "r"), "--reason", "deviation DEV-042 <b>re-test</b>")
    assert proc.returncode == 0, proc.stderr
    manifest = json.loads((tmp_path / "r" / "manifest.json").read_text())
    assert manifest["reason"] == "deviation DEV-042 <b>re-test</b>"
    nb = nbformat.read(str(tmp_path / "r" / "smoke.ipynb"), as_version=4)
    assert {k: nb.metadata["pdkit"][k] for k in ("user", "host", "reason")} == \
        {k: manifest[k] for k in ("user", "host", "reason")}
    empty = run_cli("run", str(template), "-o", str(tmp_path / "r2"), "--reason", "  ")
    assert empty.returncode == 2 and "--reason" in empty.stderr and not (tmp_path / "r2").exists()


def test_failure_banner_escapes_the_error_text(tmp_path):
    """A kernel death shows a banner; the error text in it is Markdown-escaped (pdkit.escape.md)."""
    tpl = make_smoke_template(tmp_path / "tpl")
    out = tmp_path / "out"
    proc = run_cli("run", str(tpl), "-p", "fail_mode", "exit", "-o", str(out))
    assert proc.returncode == 1
    executed = nbformat.read(str(out / "smoke.ipynb"), as_version=4)
    banner = executed.cells[0]
    assert banner.metadata["tags"] == ["pdkit-error"]
    assert "DeadKernelError\\: the kernel died during execution \\(killed or crashed\\)" in banner.source


def test_unknown_template_exit_2(tmp_path):
    proc = run_cli("run", "no_such_template", "-o", str(tmp_path / "x"))
    assert proc.returncode == 2 and "unknown template 'no_such_template'" in proc.stderr


def test_help_on_every_command():
    for cmd in ([], ["templates"], ["run"], ["batch"], ["verify"], ["demo"], ["lab"]):
        proc = run_cli(*cmd, "--help")
        assert proc.returncode == 0 and "Usage:" in proc.stdout


# ---------------------------------------------------------------- PDF output (issue 12)


def test_pdf_converts_every_html_output_and_hashes_the_pdfs(tmp_path, monkeypatch):
    """``pdkit.pdf`` is replaced by a stand-in (no browser): the runner's part is which files and when."""
    import sys
    import types

    from test_attack_folders import make_lots_template
    from pdkit.runner import run_report

    calls = []

    def html_to_pdf(html_path, pdf_path, *, paper="A4"):
        calls.append((Path(html_path).name, Path(pdf_path).name, paper))
        Path(pdf_path).write_bytes(b"%PDF-1.4 stand-in for " + Path(html_path).name.encode())
        return Path(pdf_path)

    fake = types.ModuleType("pdkit.pdf")
    fake.check_available = lambda: None
    fake.html_to_pdf = html_to_pdf
    for _name in ("pdkit.pdf", "pdkit.reports.pdf"):  # both names of the module
        monkeypatch.setitem(sys.modules, _name, fake)
    tpl = make_lots_template(tmp_path / "tpl")
    out = tmp_path / "out"
    result = run_report(str(tpl), {"lots": "2"}, out, pdf=True, paper="letter")
    assert result.status == "succeeded", result.error
    # the runner's conversions (pdkit.signing may regenerate a signed page's PDF afterwards)
    assert sorted(calls[:3]) == [("coa_lot1.html", "coa_lot1.pdf", "Letter"),
                                 ("coa_lot2.html", "coa_lot2.pdf", "Letter"), ("lots.html", "lots.pdf", "Letter")]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["pdf_paper"] == "Letter"
    recorded = {o["path"]: o for o in manifest["outputs"]}
    assert {"lots.pdf", "coa_lot1.pdf", "coa_lot2.pdf"} <= set(recorded)
    assert recorded["lots.pdf"]["bytes"] == (out / "lots.pdf").stat().st_size

    # a conversion that fails fails the run and leaves no report HTML and no PDF
    def broken(html_path, pdf_path, *, paper="A4"):
        raise RuntimeError("chromium crashed")

    fake.html_to_pdf = broken
    failed = run_report(str(tpl), {"lots": "1"}, out, pdf=True, force=True)
    assert failed.status == "failed" and failed.error == "PDF export failed: RuntimeError: chromium crashed"
    assert not list(out.glob("*.pdf")) and not (out / "lots.html").exists()

    # chromium missing: refused before anything is written or any kernel starts
    fake.check_available = lambda: "PDF output needs Chromium: apt-get install chromium"
    with pytest.raises(ValueError, match="^PDF output needs Chromium: apt-get install chromium$"):
        run_report(str(tpl), {}, tmp_path / "never", pdf=True)
    assert not (tmp_path / "never").exists()


def test_pdf_without_chromium_exits_2_one_line(template, tmp_path):
    import os
    import subprocess
    import sys

    env = dict(os.environ, PDKIT_CHROMIUM=str(tmp_path / "no-chromium"))
    proc = subprocess.run([sys.executable, "-m", "pdkit.cli", "run", str(template), "--pdf", "-o", str(tmp_path / "o")],
                          capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("pdkit: error: PDF output needs Chromium"), proc.stderr
    assert not (tmp_path / "o").exists()
    bad = run_cli("run", str(template), "--pdf", "--paper", "A3", "-o", str(tmp_path / "o"))
    assert bad.returncode == 2 and "A3" in bad.stderr and not (tmp_path / "o").exists()


@pytest.mark.browser
def test_pdf_with_chromium_is_an_output_that_verifies(template, tmp_path):
    require_chromium()
    out = tmp_path / "out"
    proc = run_cli("run", str(template), "--pdf", "--paper", "Letter", "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    assert (out / "smoke.pdf").read_bytes()[:5] == b"%PDF-"
    manifest = json.loads((out / "manifest.json").read_text())
    assert "smoke.pdf" in {o["path"] for o in manifest["outputs"]}
    assert run_cli("verify", str(out)).returncode == 0


def test_html_warm_up_does_not_import_ipython():
    """The runner builds the HTML exporter in a thread while the kernel thread runs. With
    --show-code the warm-up once highlighted a code cell, whose ipython3 lexer imports IPython
    in that thread; the import raced jupyter_client's check of sys.modules["IPython"] in the
    kernel thread and failed a run (KeyError: 'IPython', seen once in CI). The warm-up must not
    import IPython at all."""
    code = ("import sys\nfrom pdkit.reports.html import html_exporter\n"
            "html_exporter(show_code=True, warm=True)\nhtml_exporter(show_code=False, warm=True)\n"
            "print(sorted(m for m in sys.modules if m == 'IPython' or m.startswith('IPython.')))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]", proc.stdout
