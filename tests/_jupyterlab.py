"""Drive JupyterLab 4 in Debian's headless Chromium (Playwright sync API) for browser tests.

Two context managers and a page wrapper:

* :func:`jupyter_lab` starts ``python -m jupyterlab`` on 127.0.0.1 (free port, random
  token, ``--no-browser``) serving a folder you pass in, with isolated config, data,
  runtime, settings and workspaces directories.  The notebook tracker's
  ``windowingMode`` is ``"none"`` so cells outside the viewport are rendered, and news
  and update checks are off.  It waits (bounded) for ``/api/status``, and always shuts
  the server (and its kernels) down.
* :func:`lab_browser` launches Chromium with a fresh profile; every request that does
  not go to 127.0.0.1 is aborted and listed in ``LabBrowser.blocked_requests``.
* :class:`LabPage` opens a notebook, waits for the kernel, runs all cells, waits until
  they are all executed, collects error outputs, moves an ipywidgets slider and reads the
  data of a named bokeh ``ColumnDataSource`` rendered through ``jupyter_bokeh``.

Every wait is bounded and raises :class:`LabError` with what was expected.  The server
is started with ``LabApp.expose_app_in_browser`` so the page has ``window.jupyterapp``;
"Run All Cells" is still triggered from the Run menu, as a person would.
"""
from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator
from urllib.parse import quote

from _browser import CHROMIUM_ARGS

__all__ = [
    "LabError", "LabServer", "LabBrowser", "LabPage", "jupyter_lab", "lab_browser", "stage_notebooks",
    "CellError", "OUTPUT_SELECTOR", "RUNNING_PROMPT_SELECTOR", "BOKEH_CANVAS_SELECTOR", "SLIDER_HANDLE_SELECTOR",
]

#: Every rendered output.  NB: JupyterLab 4.6 renders a traceback (``error`` output) with
#: ``data-mime-type="application/vnd.jupyter.stderr"``, exactly like a stderr stream (a
#: warning), so the DOM cannot tell them apart: :meth:`LabPage.error_outputs` reads the
#: output type from the notebook model and the shown text from the matching output node.
OUTPUT_SELECTOR = ".jp-OutputArea-output"
#: An input prompt of a queued or running cell.
RUNNING_PROMPT_SELECTOR = '.jp-InputPrompt:text-is("[*]:")'
#: Bokeh 3 draws into <canvas> elements inside open shadow roots; Playwright CSS pierces them.
BOKEH_CANVAS_SELECTOR = ".jp-OutputArea-output canvas"
#: ipywidgets 8 sliders are noUiSlider widgets; the handle is focusable and takes arrow keys.
SLIDER_HANDLE_SELECTOR = ".widget-slider .noUi-handle"

# Settings written into the isolated JUPYTERLAB_SETTINGS_DIR.
LAB_SETTINGS = {
    # render every cell, also those off screen (the default windowing skips them)
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    # no "Would you like to receive news?" toast, no update check
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false", "checkForUpdates": False},
}


# Server configuration written into the isolated JUPYTER_CONFIG_DIR.
SERVER_CONFIG = {
    "ServerApp": {"terminals_enabled": False, "allow_root": os.geteuid() == 0},  # CI runs as root
    "LabApp": {
        "expose_app_in_browser": True,  # window.jupyterapp, to read kernel status and cell counts
        "news_url": None,  # no announcements feed
        "check_for_updates_class": "jupyterlab.NeverCheckForUpdate",
        "extension_manager": "readonly",  # no PyPI queries
    },
}


class LabError(RuntimeError):
    """The JupyterLab server or page did not reach the expected state in time."""


# --------------------------------------------------------------------------- server
@dataclass
class LabServer:
    """A running ``jupyter lab`` (see :func:`jupyter_lab`)."""

    url: str  # http://127.0.0.1:PORT/
    token: str
    root_dir: Path
    process: subprocess.Popen
    log_path: Path

    def notebook_url(self, notebook: str | Path, workspace: str | None = None) -> str:
        """URL that opens ``notebook`` (a path inside ``root_dir``) in JupyterLab, in a new
        empty workspace (a fresh random name unless given) so tabs opened by earlier pages
        are not restored."""
        path = Path(notebook)
        rel = path.resolve().relative_to(self.root_dir.resolve()) if path.is_absolute() else path
        workspace = workspace or f"pdkit-{secrets.token_hex(6)}"
        return f"{self.url}lab/workspaces/{workspace}/tree/{quote(rel.as_posix())}?reset&token={self.token}"

    def api(self, path: str, method: str = "GET", timeout: float = 5.0) -> object:
        """Call the REST API with the token; returns the decoded JSON (or None)."""
        req = urllib.request.Request(f"{self.url}{path.lstrip('/')}", method=method,
                                     headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310 (127.0.0.1 only)
            body = resp.read()
        return json.loads(body) if body else None

    def log(self) -> str:
        """The server's combined stdout/stderr so far (for failure messages)."""
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _write_settings(folder: Path) -> None:
    for rel, value in LAB_SETTINGS.items():
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(value, indent=2))


@contextlib.contextmanager
def jupyter_lab(root_dir: Path, *, startup_timeout: float = 120.0) -> Iterator[LabServer]:
    """Start JupyterLab on 127.0.0.1 serving ``root_dir``; shut it down on exit.

    The environment is isolated: ``JUPYTER_CONFIG_DIR``, ``JUPYTER_DATA_DIR``,
    ``JUPYTER_RUNTIME_DIR``, ``IPYTHONDIR``, ``JUPYTERLAB_SETTINGS_DIR`` and
    ``JUPYTERLAB_WORKSPACES_DIR`` point into a temporary folder (extensions and the
    ``python3`` kernel still come from ``sys.prefix``).  Raises :class:`LabError` with
    the server log when ``/api/status`` does not answer within ``startup_timeout`` s.
    """
    root_dir = Path(root_dir).resolve()
    with tempfile.TemporaryDirectory(prefix="pdkit-lab-") as tmp:
        home = Path(tmp)
        dirs = {name: home / name for name in ("config", "data", "runtime", "ipython", "settings", "workspaces")}
        for d in dirs.values():
            d.mkdir()
        _write_settings(dirs["settings"])
        (dirs["config"] / "jupyter_server_config.json").write_text(json.dumps(SERVER_CONFIG, indent=2))
        env = dict(os.environ)
        env.update({
            "JUPYTER_CONFIG_DIR": str(dirs["config"]), "JUPYTER_DATA_DIR": str(dirs["data"]),
            "JUPYTER_RUNTIME_DIR": str(dirs["runtime"]), "IPYTHONDIR": str(dirs["ipython"]),
            "JUPYTERLAB_SETTINGS_DIR": str(dirs["settings"]),
            "JUPYTERLAB_WORKSPACES_DIR": str(dirs["workspaces"]),
            "JUPYTER_PLATFORM_DIRS": "1", "PYTHONUNBUFFERED": "1",
        })
        env.pop("JUPYTER_TOKEN", None)
        port, token = free_port(), secrets.token_hex(24)
        argv = [
            sys.executable, "-m", "jupyterlab", "--no-browser",
            "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root_dir}",
        ]
        log_path = home / "server.log"
        with open(log_path, "wb") as log:
            proc = subprocess.Popen(argv, cwd=root_dir, env=env, stdout=log, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, start_new_session=True)
        server = LabServer(f"http://127.0.0.1:{port}/", token, root_dir, proc, log_path)
        try:
            _wait_for_status(server, startup_timeout)
            yield server
        finally:
            _stop(server)


def _wait_for_status(server: LabServer, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if server.process.poll() is not None:
            raise LabError(f"jupyter lab exited with code {server.process.returncode} before answering "
                           f"/api/status; log:\n{server.log()[-4000:]}")
        try:
            status = server.api("api/status", timeout=2.0)
            if isinstance(status, dict) and "started" in status:
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError, json.JSONDecodeError):
            pass
        if time.monotonic() > deadline:
            raise LabError(f"jupyter lab did not answer {server.url}api/status within {timeout:.0f} s; "
                           f"log:\n{server.log()[-4000:]}")
        time.sleep(0.25)


def _stop(server: LabServer, grace: float = 10.0) -> None:
    """Shut the server and its kernels down: /api/shutdown, then SIGTERM, then SIGKILL (own group only)."""
    proc = server.process
    if proc.poll() is None:
        with contextlib.suppress(Exception):
            server.api("api/shutdown", method="POST", timeout=3.0)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=grace)
    for sig in (signal.SIGTERM, signal.SIGKILL):
        # the server was started in its own session: its process group id is its pid;
        # this also reaches kernels that outlived it
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, sig)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=grace if sig == signal.SIGTERM else 5.0)
        if proc.poll() is not None and not _group_alive(proc.pid):
            break


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    return True


def stage_notebooks(dest: Path, repo_root: Path, notebooks: list[str | Path],
                    folders: tuple[str, ...] = ("data_samples", "templates")) -> list[Path]:
    """Copy ``notebooks`` (paths relative to ``repo_root``) into ``dest`` with the same layout,
    together with every file of their folders and the repo's ``folders``, so relative paths
    such as ``../data_samples/...`` keep working and the repository is never modified.
    Returns the copied notebooks' paths relative to ``dest``."""
    dest, repo_root = Path(dest), Path(repo_root)
    for name in folders:
        if (repo_root / name).is_dir():
            shutil.copytree(repo_root / name, dest / name, dirs_exist_ok=True)
    staged = []
    for nb in notebooks:
        rel = Path(nb)
        src = repo_root / rel
        if not src.is_file():
            raise FileNotFoundError(f"notebook {src} does not exist")
        shutil.copytree(src.parent, dest / rel.parent, dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
        staged.append(rel)
    return staged


# --------------------------------------------------------------------------- browser
@dataclass
class LabBrowser:
    """A Chromium context (fresh profile) restricted to 127.0.0.1."""

    context: object  # playwright BrowserContext
    blocked_requests: list[str] = field(default_factory=list)

    def new_page(self, server: LabServer) -> "LabPage":
        page = self.context.new_page()
        return LabPage(page, server)


def _is_local(url: str) -> bool:
    return url.startswith(("http://127.0.0.1:", "ws://127.0.0.1:", "data:", "blob:", "about:"))


@contextlib.contextmanager
def lab_browser(chromium: str, *, viewport: tuple[int, int] = (1280, 900)) -> Iterator[LabBrowser]:
    """Launch headless ``chromium`` (Playwright, fresh user-data-dir); close it on exit."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p, tempfile.TemporaryDirectory(prefix="pdkit-chromium-") as profile:
        ctx = p.chromium.launch_persistent_context(
            profile, executable_path=chromium, args=CHROMIUM_ARGS, headless=True,
            viewport={"width": viewport[0], "height": viewport[1]})
        browser = LabBrowser(ctx)

        def route(r):
            url = r.request.url
            if _is_local(url):
                r.continue_()
            else:
                browser.blocked_requests.append(url)
                r.abort()

        try:
            ctx.route("**/*", route)
            yield browser
        finally:
            ctx.close()


# --------------------------------------------------------------------------- page
_KERNEL_STATUS_JS = """() => {
  const app = window.jupyterapp;
  const w = app && app.shell.currentWidget;
  const ctx = w && w.sessionContext;
  if (!ctx || !ctx.session || !ctx.session.kernel) return null;
  return ctx.session.kernel.status;
}"""

# Error outputs: type from the model (cell.model.outputs), text from the output node that
# shows it (cell.outputArea.widgets[j], a .jp-OutputArea-child); plus ipywidgets'
# "Error displaying widget" placeholders.
_ERRORS_JS = """() => {
  const w = window.jupyterapp.shell.currentWidget;
  const found = [];
  if (!w || !w.content) return found;
  w.content.widgets.forEach((cell, i) => {
    if (cell.model.type !== 'code') return;
    const outputs = cell.model.outputs;
    for (let j = 0; j < outputs.length; j++) {
      const out = outputs.get(j);
      if (out.type !== 'error') continue;
      const json = out.toJSON();
      const child = cell.outputArea.widgets[j];
      found.push({cell: i, ename: json.ename, evalue: json.evalue, text: child ? child.node.innerText : ''});
    }
    for (const node of cell.node.querySelectorAll('.jp-OutputArea-output')) {
      const text = node.innerText || '';
      if (text.includes('Error displaying widget')) {
        found.push({cell: i, ename: 'WidgetError', evalue: text.trim(), text});
      }
    }
  });
  return found;
}"""

_CELLS_JS = """() => {
  const w = window.jupyterapp.shell.currentWidget;
  if (!w || !w.content || !w.content.model) return null;
  const cells = [];
  for (const cell of w.content.model.cells) {
    cells.push({type: cell.type, count: cell.type === 'code' ? cell.executionCount : null});
  }
  return cells;
}"""

# Bokeh 3: every rendered root view is in Bokeh.index (a ViewManager); its model's
# document holds all models, found by name.  jupyter_bokeh's BokehView renders its
# document with embed.add_document_standalone, which registers the views there.
_SOURCE_DATA_JS = """(name) => {
  if (typeof Bokeh === 'undefined') return {error: 'BokehJS is not loaded (window.Bokeh undefined)'};
  const docs = new Set();
  for (const view of Bokeh.index) docs.add(view.model.document);
  for (const doc of Bokeh.documents || []) docs.add(doc);
  const found = [];
  for (const doc of docs) {
    if (doc == null) continue;
    const model = doc.get_model_by_name(name);
    if (model == null) continue;
    const data = {};
    const entries = model.data instanceof Map ? model.data.entries() : Object.entries(model.data);
    for (const [key, values] of entries) data[key] = Array.from(values);
    found.push(data);
  }
  return {documents: docs.size, found};
}"""


@dataclass(frozen=True)
class CellError:
    """An error shown in a cell's output (``cell`` counts all cells from 0)."""

    cell: int
    ename: str
    evalue: str
    text: str

    def __str__(self) -> str:
        return f"cell {self.cell}: {self.ename}: {self.evalue}\n{self.text.strip()[-1500:]}"


@dataclass
class LabPage:
    """A Playwright page showing JupyterLab (see :meth:`LabBrowser.new_page`)."""

    page: object  # playwright Page
    server: LabServer
    page_errors: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.page.on("pageerror", lambda e: self.page_errors.append(str(e)))
        self.page.on("console", lambda m: self.console_errors.append(m.text) if m.type == "error" else None)

    # ---- waiting helpers
    def _poll(self, what: str, check, timeout: float, interval: float = 0.25):
        deadline = time.monotonic() + timeout
        last = None
        while True:
            last = check()
            if last:
                return last
            if time.monotonic() > deadline:
                dialogs = self.dialogs()
                shown = f"; open dialog(s): {dialogs}" if dialogs else ""
                raise LabError(f"timed out after {timeout:.0f} s waiting for {what} (last state: {last!r}){shown}")
            self.page.wait_for_timeout(interval * 1000)

    def dialogs(self) -> list[str]:
        """Text of open JupyterLab dialogs (e.g. a kernel chooser that blocks the run)."""
        with contextlib.suppress(Exception):
            return [t.strip() for t in self.page.locator(".jp-Dialog-content").all_inner_texts()]
        return []

    def kernel_status(self) -> str | None:
        return self.page.evaluate(_KERNEL_STATUS_JS)

    def wait_kernel_idle(self, timeout: float = 60.0) -> None:
        """Wait until the notebook's kernel reports ``idle``."""
        self._poll("the kernel to be idle", lambda: self.kernel_status() == "idle", timeout)

    def cells(self) -> list[dict]:
        """Type and execution count of every cell, from the notebook model."""
        return self.page.evaluate(_CELLS_JS) or []

    # ---- actions
    def open_notebook(self, notebook: str | Path, timeout: float = 90.0) -> None:
        """Open ``notebook`` (inside the server's root) and wait for its kernel to be idle."""
        self.page.goto(self.server.notebook_url(notebook), timeout=timeout * 1000)
        try:
            self.page.wait_for_function("() => window.jupyterapp !== undefined", timeout=timeout * 1000)
        except Exception as exc:
            raise LabError(f"JupyterLab did not start in the page within {timeout:.0f} s (window.jupyterapp "
                           f"is missing; is LabApp.expose_app_in_browser set?): {exc}") from None
        name = Path(notebook).name
        self.page.locator(f'.lm-DockPanel-tabBar .lm-TabBar-tab[data-type="document-title"]:has-text("{name}")'
                          ).first.wait_for(timeout=timeout * 1000)
        self.page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-Cell").first.wait_for(
            timeout=timeout * 1000)
        self.wait_kernel_idle(timeout)

    def _menu(self, menu: str, item: str) -> None:
        """Click ``menu`` in the menu bar, then ``item`` in the menu that opens."""
        self.page.locator(f'.lm-MenuBar-itemLabel:text-is("{menu}")').click()
        self.page.locator(f'.lm-Menu-itemLabel:text-is("{item}")').click()

    def running_prompts(self) -> int:
        """Cells whose input prompt shows ``[*]:`` (queued or running)."""
        return self.page.locator(RUNNING_PROMPT_SELECTOR).count()

    def run_all_cells(self, timeout: float = 120.0) -> None:
        """Edit > Clear Outputs of All Cells, then Run > Run All Cells, as a person would; wait
        until no prompt shows ``[*]``, the kernel is idle, and every code cell has an execution
        count (or an error output stopped the run).

        Clearing first removes stored execution counts, so a notebook saved with outputs
        cannot look finished before it has run.
        """
        self._menu("Edit", "Clear Outputs of All Cells")
        self._poll("execution counts to be cleared",
                   lambda: all(c["count"] is None for c in self.cells()), 10.0)
        self._menu("Run", "Run All Cells")
        n_code = sum(1 for c in self.cells() if c["type"] == "code")

        state: dict = {}

        def done():
            state.update(counts=[c["count"] for c in self.cells() if c["type"] == "code"],
                         errors=len(self.error_outputs()),
                         running=self.running_prompts(), kernel=self.kernel_status())
            finished = all(state["counts"]) or state["errors"] > 0
            return finished and state["running"] == 0 and state["kernel"] == "idle"

        try:
            self._poll(f"all {n_code} code cells to be executed and the kernel idle", done, timeout)
        except LabError as exc:
            raise LabError(f"{exc}; execution counts {state['counts']}, {state['errors']} error output(s), "
                           f"{state['running']} prompt(s) [*], kernel {state['kernel']}") from None

    def error_outputs(self) -> list[CellError]:
        """Every error output (traceback) and failed widget in the open notebook, with the
        text the page shows; stderr streams (warnings, logs) are not errors."""
        return [CellError(**e) for e in self.page.evaluate(_ERRORS_JS)]

    def screenshot(self, path: str | Path, show: str | None = None) -> Path:
        """Save what the window shows to ``path`` (PNG), after scrolling the first element
        matching the selector ``show`` (if given) into view."""
        if show is not None:
            self.page.locator(show).first.scroll_into_view_if_needed(timeout=10000)
            self.page.wait_for_timeout(200)
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(path))
        return path

    def close(self) -> None:
        """Shut down the notebook's kernel and close the page (unsaved changes are dropped)."""
        with contextlib.suppress(Exception):
            self.page.evaluate("""async () => {
              const w = window.jupyterapp.shell.currentWidget;
              if (w && w.sessionContext) await w.sessionContext.shutdown();
            }""")
        with contextlib.suppress(Exception):
            self.page.close()

    # ---- widgets and bokeh
    def slider_value(self, index: int = 0) -> str:
        """The readout of the ``index``-th ipywidgets slider, as shown."""
        return self.page.locator(".widget-slider .widget-readout").nth(index).inner_text().strip()

    def move_slider(self, steps: int, index: int = 0, timeout: float = 30.0) -> str:
        """Focus the ``index``-th slider handle and press ArrowRight (``steps`` > 0) or
        ArrowLeft; wait until the kernel is idle again; return the new readout."""
        handle = self.page.locator(SLIDER_HANDLE_SELECTOR).nth(index)
        handle.scroll_into_view_if_needed(timeout=timeout * 1000)
        handle.focus()
        key = "ArrowRight" if steps > 0 else "ArrowLeft"
        for _ in range(abs(steps)):
            handle.press(key)
        # the widget sends the new value over its comm; give it time to reach the kernel before
        # waiting for idle (callers then wait for the effect, e.g. wait_bokeh_source_change)
        self.page.wait_for_timeout(300)
        self.wait_kernel_idle(timeout)
        return self.slider_value(index)

    def bokeh_source_data(self, name: str) -> dict[str, list]:
        """Data of the bokeh ``ColumnDataSource`` named ``name`` (``ColumnDataSource(name=...)``)
        as BokehJS holds it in the page: column name -> list of values.  Raises
        :class:`LabError` unless exactly one rendered document has a model of that name."""
        result = self.page.evaluate(_SOURCE_DATA_JS, name)
        if "error" in result:
            raise LabError(result["error"])
        if len(result["found"]) != 1:
            raise LabError(f"expected one bokeh model named {name!r} in {result['documents']} "
                           f"document(s), found {len(result['found'])}")
        return result["found"][0]

    def wait_bokeh_source_change(self, name: str, before: dict, timeout: float = 30.0) -> dict:
        """Wait until the data of source ``name`` differs from ``before``; return it."""
        return self._poll(f"bokeh source {name!r} to change",
                          lambda: (d := self.bokeh_source_data(name)) != before and d, timeout)
