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


def test_lab_binds_loopback_with_token(tmp_path):
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "pdkit.cli", "lab", "--no-browser", "--port", str(port),
                             "--dir", str(tmp_path)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            text=True, start_new_session=True)
    try:
        line = proc.stdout.readline()
        match = re.search(r"http://127\.0\.0\.1:(\d+)/lab\?token=([0-9a-f]{48})", line)
        assert match, line
        token = match.group(2)
        status_url = f"http://127.0.0.1:{port}/api/status"
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if _get(f"{status_url}?token={token}") == 200:
                    break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            assert proc.poll() is None, "jupyter lab exited early"
            time.sleep(0.5)
        else:
            pytest.fail("JupyterLab did not answer within 120 s")
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
        try:
            import os
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
