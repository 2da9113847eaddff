"""`pdkit lab` serves JupyterLab on 127.0.0.1 only, behind a random token."""
from __future__ import annotations

import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import psutil
import pytest

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


def test_lab_environment_carries_the_token():
    from pdkit.cli import lab_environment

    env = lab_environment("f" * 48, {"HOME": "/root", "JUPYTER_TOKEN_FILE": "/tmp/t"})
    assert env == {"HOME": "/root", "JUPYTER_TOKEN": "f" * 48}


def _start_lab(argv: list[str], port: int, env: dict | None = None) -> tuple[subprocess.Popen, str, list[str]]:
    """Start ``pdkit lab`` and wait until JupyterLab answers; (process, token, lines printed before the URL)."""
    proc = subprocess.Popen(argv + ["--no-browser", "--port", str(port)], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True, start_new_session=True, env=env)
    printed = []
    token = None
    for _ in range(20):
        line = proc.stdout.readline()
        if not line:
            break
        printed.append(line.rstrip("\n"))
        match = re.search(r"http://127\.0\.0\.1:\d+/lab\S*\?token=([0-9a-f]{48})", line)
        if match:
            token = match.group(1)
            break
    assert token, printed
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            if _get(f"http://127.0.0.1:{port}/api/status?token={token}") == 200:
                return proc, token, printed
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        assert proc.poll() is None, "jupyter lab exited early"
        time.sleep(0.5)
    pytest.fail("JupyterLab did not answer within 180 s")


def _stop(proc: subprocess.Popen) -> None:
    import os

    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()


def test_lab_binds_loopback_with_token(tmp_path):
    port = _free_port()
    proc, token, _ = _start_lab([sys.executable, "-m", "pdkit.cli", "lab", "--dir", str(tmp_path)], port)
    try:
        status_url = f"http://127.0.0.1:{port}/api/status"
        assert _get(status_url) in (401, 403)  # no token, no access
        assert _get(f"{status_url}?token={'0' * 48}") in (401, 403)
        listening = [c.laddr for c in psutil.Process(proc.pid).net_connections(kind="inet")
                     if c.status == psutil.CONN_LISTEN]
        assert listening and all(addr.ip == "127.0.0.1" for addr in listening), listening
        # the token is not on any command line: /proc/PID/cmdline is readable by every local user
        server = psutil.Process(proc.pid)
        for p in [server] + server.children(recursive=True):
            cmdline = Path(f"/proc/{p.pid}/cmdline").read_bytes()
            assert token.encode() not in cmdline, p.cmdline()
        assert b"jupyterlab" in Path(f"/proc/{proc.pid}/cmdline").read_bytes()  # the process we looked at
        # it travels in the environment, readable only by the user who started it
        assert server.environ().get("JUPYTER_TOKEN") == token
        assert oct(Path(f"/proc/{proc.pid}/environ").stat().st_mode & 0o777) == "0o400"
    finally:
        _stop(proc)


def _contents(port: int, token: str, path: str) -> list[str]:
    import json

    with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/contents/{path}?token={token}", timeout=10) as r:
        return sorted(item["name"] for item in json.load(r)["content"])


def test_lab_serves_a_copied_course_never_the_sources(tmp_path):
    """``pdkit lab`` copies the course into a workspace and serves that folder, not the kit's notebooks."""
    import json

    root = Path(__file__).resolve().parents[1]
    before = {p: p.read_bytes() for p in (root / "notebooks").rglob("*") if p.is_file()}
    ws = tmp_path / "my course"
    port = _free_port()
    proc, token, printed = _start_lab([sys.executable, "-m", "pdkit.cli", "lab", "--workspace", str(ws),
                                       "--trainee", "ana.silva"], port)
    try:
        assert any("course workspace created" in line and "ana.silva" in line for line in printed), printed
        lessons = _contents(port, token, "notebooks/course")
        assert "01_plasmid_fermentation.ipynb" in lessons and "00_index.ipynb" in lessons
        assert not any(n.endswith(".py") for n in lessons)
        assert "data_samples" in _contents(port, token, "")
        info = json.loads((ws / "pdkit-course.json").read_text())
        assert info["trainee"] == "ana.silva" and info["course_version"]
        # the served root is the workspace: nothing of the repository is reachable
        assert "pyproject.toml" not in _contents(port, token, "")
    finally:
        _stop(proc)
    assert {p: p.read_bytes() for p in (root / "notebooks").rglob("*") if p.is_file()} == before


def test_workspace_keeps_the_trainees_files_and_adds_only_what_is_new(tmp_path):
    from pdkit.course.workspace import create_workspace

    ws = create_workspace(tmp_path / "ws", trainee="t.one")
    assert ws.created and "notebooks/course/01_plasmid_fermentation.ipynb" in ws.added
    lesson = ws.root / "notebooks/course/01_plasmid_fermentation.ipynb"
    lesson.write_text(lesson.read_text() + " ")  # the trainee's own work
    (ws.root / "notebooks/course/02_aav_transfection.ipynb").unlink()  # as if lesson 02 were new
    again = create_workspace(tmp_path / "ws")
    assert not again.created and again.trainee == "t.one"
    assert again.added == ("notebooks/course/02_aav_transfection.ipynb",)
    assert "notebooks/course/01_plasmid_fermentation.ipynb" in again.kept
    assert lesson.read_text().endswith(" ")


@pytest.mark.parametrize("case", ["other trainee", "bad id", "not empty", "inside the package"])
def test_workspace_refusals_are_one_line_errors(tmp_path, case):
    from pdkit._paths import package_dir
    from pdkit.course.workspace import create_workspace
    from pdkit.errors import InputError

    if case == "other trainee":
        create_workspace(tmp_path / "ws", trainee="t.one")
        args, match = (tmp_path / "ws", "t.two"), "belongs to trainee 't.one'"
    elif case == "bad id":
        args, match = (tmp_path / "ws", "<script>"), "trainee id"
    elif case == "not empty":
        (tmp_path / "ws").mkdir()
        (tmp_path / "ws" / "thesis.docx").write_text("x")
        args, match = (tmp_path / "ws", "t.one"), "not empty"
    else:
        args, match = (package_dir() / "ws", "t.one"), "inside"
    with pytest.raises(InputError, match=match):
        create_workspace(args[0], trainee=args[1])
    if case == "bad id":
        assert not (tmp_path / "ws").exists()


def test_lab_cli_rejects_dir_with_workspace(tmp_path):
    out = subprocess.run([sys.executable, "-m", "pdkit.cli", "lab", "--dir", str(tmp_path), "--workspace",
                          str(tmp_path / "w")], capture_output=True, text=True)
    assert out.returncode == 2 and "cannot be combined" in out.stderr and "Traceback" not in out.stderr
