"""pdkit's kernel client, kernel manager and papermill engine (the per-report overhead work of issue 7).

The speed itself is measured in ``benchmarks/bench_reports.py``; these tests pin the behaviour
the shortcuts must keep: a kernel is only declared ready once IOPub is connected, outputs are
matched to their cells, a killed kernel still leaves the outputs of the cells that ran, and the
notebook is written when the run ends rather than around every cell.
"""
from __future__ import annotations

import asyncio
from queue import Empty

import nbformat
import papermill
import pytest

import pdkit._engine as engine
from pdkit._kernel import PdkitKernelClient, kernel_manager_class
from pdkit.report import export_html, html_exporter


class _FakeChannel:
    def __init__(self, messages):
        self.messages = list(messages)

    async def get_msg(self, timeout=None):
        if not self.messages:
            await asyncio.sleep(min(timeout or 0, 0.01))
            raise Empty
        return self.messages.pop(0)


def _status(msg_id, state):
    return {"msg_type": "status", "parent_header": {"msg_id": msg_id}, "content": {"execution_state": state}}


@pytest.mark.parametrize("messages, expected", [
    ([_status("other", "busy"), _status("other", "idle"), _status("req", "busy"), _status("req", "idle")], True),
    ([{"msg_type": "iopub_welcome", "parent_header": {}, "content": {"subscription": ""}}], True),
    ([_status("req", "busy")], False),  # idle never came: IOPub may have dropped it, ask again
    ([_status("other", "idle")], False),  # the idle of another request proves nothing about this one
    ([], False),
])
def test_iopub_connected_needs_welcome_or_own_idle(messages, expected):
    client = PdkitKernelClient.__new__(PdkitKernelClient)
    fake = _FakeChannel(messages)
    type(client).iopub_channel = property(lambda self: fake)
    try:
        assert asyncio.run(client._iopub_connected("req", timeout=0.05)) is expected
    finally:
        del type(client).iopub_channel


def test_real_kernel_ready_then_outputs_belong_to_their_request():
    async def scenario():
        with kernel_manager_class() as km_class:
            km = km_class(kernel_name="python3")
            await km.start_kernel(extra_arguments=["--HistoryManager.hist_file=:memory:"])
            kc = km.client()
            assert isinstance(kc, PdkitKernelClient)
            kc.start_channels()
            try:
                await kc.wait_for_ready(timeout=60)
                msg_id = kc.execute("print(6 * 7)")
                texts = []
                while True:
                    msg = await kc.get_iopub_msg(timeout=30)
                    if msg["parent_header"].get("msg_id") != msg_id:
                        continue
                    if msg["msg_type"] == "stream":
                        texts.append(msg["content"]["text"])
                    if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                        break
                return "".join(texts)
            finally:
                kc.stop_channels()
                await km.shutdown_kernel(now=True)
                assert not await km.is_alive()

    assert asyncio.run(scenario()) == "42\n"


def _notebook(*sources):
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell(s) for s in sources]
    return nb


def _execute(nb, tmp_path, monkeypatch):
    src, out = tmp_path / "in.ipynb", tmp_path / "out.ipynb"
    nbformat.write(nb, str(src))
    writes = []
    real_write = engine.NotebookExecutionManager.save

    def counting_save(self, **kwargs):
        writes.append(self.nb.cells[0].get("outputs", []) and True)
        return real_write(self, **kwargs)

    monkeypatch.setattr(engine.NotebookExecutionManager, "save", counting_save)
    error = None
    with kernel_manager_class() as km_class:
        try:
            papermill.execute_notebook(str(src), str(out), kernel_name="python3", progress_bar=False,
                                       request_save_on_cell_execute=True, kernel_manager_class=km_class,
                                       engine_name=engine.register(), shutdown_kernel="immediate")
        except Exception as exc:  # noqa: BLE001 - the test inspects it
            error = exc
    return out, writes, error


def test_engine_writes_at_the_end_not_around_every_cell(tmp_path, monkeypatch):
    nb = _notebook(*[f"print({i})" for i in range(8)])
    out, writes, error = _execute(nb, tmp_path, monkeypatch)
    assert error is None
    # papermill's own engine would write 1 + 2 per cell = 17 times; pdkit's writes once, at the end
    assert len(writes) == 1
    done = nbformat.read(str(out), as_version=4)
    assert [c.outputs[0]["text"] for c in done.cells] == [f"{i}\n" for i in range(8)]
    assert all(c.metadata.papermill["status"] == "completed" for c in done.cells)


def test_engine_keeps_outputs_of_cells_before_a_dead_kernel(tmp_path, monkeypatch):
    nb = _notebook("print('before the crash')", "import os\nos._exit(1)", "print('never')")
    out, _writes, error = _execute(nb, tmp_path, monkeypatch)
    assert type(error).__name__ == "DeadKernelError", error
    done = nbformat.read(str(out), as_version=4)
    assert done.cells[0].outputs[0]["text"] == "before the crash\n"
    assert done.cells[2].outputs == []


def test_engine_saves_during_a_long_run(tmp_path, monkeypatch):
    monkeypatch.setattr(engine, "SAVE_EVERY_S", 0.0)  # every save is due: papermill's behaviour
    nb = _notebook("print(1)", "print(2)")
    _out, writes, error = _execute(nb, tmp_path, monkeypatch)
    assert error is None and len(writes) == 1 + 2 * 2 + 1


def test_warmed_exporter_renders_the_same_page(tmp_path):
    nb = _notebook("print(1)")
    nb.cells.insert(0, nbformat.v4.new_markdown_cell("# Title\nSome *text*."))
    nb.cells[1].outputs = [nbformat.v4.new_output("stream", name="stdout", text="1\n")]
    provenance = {"template": "t", "status": "succeeded", "parameters": {"a": 1}}
    for show_code in (False, True):
        cold = export_html(nb, provenance, show_code=show_code)
        warm = export_html(nb, provenance, show_code=show_code,
                           exporter=html_exporter(show_code=show_code, warm=True))
        assert warm == cold
        assert (">print</span>" in warm) is show_code  # highlighted code only with show_code
