"""pdkit.publish: cached execution of text notebooks and the comparison with expected values."""
from __future__ import annotations

import nbformat
import pytest

from pdkit.publish.execute import NotebookExecutionError, coalesce_streams, execute_notebook, notebook_sources
from pdkit.publish.expected import CHECK_TAG, checked_outputs, compare, extract, sanitize

NB_TEXT = '''# %% [markdown]
# # Tiny

# %% tags=["nbval-check-output"]
x = 6 * 7
print(f"x = {x}")

# %%
from pdkit.record import record
record("x", x / 7)
'''


@pytest.mark.slow
def test_execute_then_cache_hit_then_miss_when_inputs_change(tmp_path):
    nb_path = tmp_path / "tiny.py"
    nb_path.write_text(NB_TEXT)
    cache = tmp_path / "cache"
    first = execute_notebook(nb_path, cache=cache, digest="a")
    assert not first.from_cache
    assert extract(first.notebook) == {"checked": [{"cell": 0, "source": "x = 6 * 7", "text": "x = 42\n"}],
                                       "records": {"x": 6.0}}
    again = execute_notebook(nb_path, cache=cache, digest="a")
    assert again.from_cache and extract(again.notebook) == extract(first.notebook)
    assert not execute_notebook(nb_path, cache=cache, digest="b").from_cache  # pdkit or data changed
    nb_path.write_text(NB_TEXT.replace("6 * 7", "6 * 8"))
    changed = execute_notebook(nb_path, cache=cache, digest="b")
    assert not changed.from_cache and extract(changed.notebook)["records"] == {"x": 48 / 7}
    assert "pdkit_inputs" not in changed.notebook.metadata["kernelspec"]


@pytest.mark.slow
def test_a_failing_cell_names_notebook_and_cell_and_is_not_cached(tmp_path):
    nb_path = tmp_path / "bad.py"
    nb_path.write_text("# %%\nx = 1\n\n# %%\n1 / 0\n")
    with pytest.raises(NotebookExecutionError, match=r"bad\.py: cell 1 \('1 / 0'\): ZeroDivisionError"):
        execute_notebook(nb_path, cache=tmp_path / "cache", digest="a")
    with pytest.raises(NotebookExecutionError):  # still executed, not taken from the cache
        execute_notebook(nb_path, cache=tmp_path / "cache", digest="a")


def _nb(*cells):
    nb = nbformat.v4.new_notebook()
    for source, outputs, tags in cells:
        c = nbformat.v4.new_code_cell(source)
        c.outputs = outputs
        if tags:
            c.metadata["tags"] = tags
        nb.cells.append(c)
    return nb


def test_checked_outputs_take_text_not_bokeh_and_sanitize():
    bokeh = nbformat.v4.new_output("display_data", data={"application/vnd.bokehjs_exec.v0+json": {},
                                                         "text/html": "<div id='abc'></div>"})
    nb = _nb(("print(1)", [nbformat.v4.new_output("stream", text="at 2026-01-02T03:04:05Z\n"), bokeh], [CHECK_TAG]),
             ("print(2)", [nbformat.v4.new_output("stream", text="2\n")], []),
             ("\n1 + 1", [nbformat.v4.new_output("execute_result", data={"text/plain": "2"})], [CHECK_TAG]))
    assert checked_outputs(nb) == [{"cell": 0, "source": "print(1)", "text": "at TIMESTAMP\n"},
                                   {"cell": 2, "source": "1 + 1", "text": "2"}]


def test_compare_names_each_difference():
    expected = {"checked": [{"cell": 0, "source": "print(y)", "text": "y = 1.00\n"}],
                "records": {"a": 1.0, "b": [1, 2], "c": {"k": "v"}, "gone": 1}}
    actual = {"checked": [{"cell": 0, "source": "print(y)", "text": "y = 1.01\n"},
                          {"cell": 3, "source": "print(z)", "text": "z\n"}],
              "records": {"a": 1.0 + 1e-7, "b": [1, 2], "c": {"k": "w"}, "new": 2}}
    problems = compare(expected, actual)
    text = "\n".join(problems)
    assert "code cell 0 ('print(y)') printed something else" in text and "-y = 1.00" in text and "+y = 1.01" in text
    assert "code cell 3 ('print(z)') is checked but has no expected output" in text
    assert "record 'a': expected 1.0, got 1.0000001" in text
    assert "record 'c'['k']: expected 'v', got 'w'" in text
    assert "record 'gone' missing" in text and "record 'new' is new" in text
    assert len(problems) == 6
    assert compare(expected, expected) == []
    assert compare({"checked": [], "records": {"a": 1.0}}, {"checked": [], "records": {"a": 1.0 + 1e-7}},
                   rel=1e-6) == []


def test_sanitizers_and_stream_merge():
    assert sanitize("<pdkit.Foo object at 0x7f3a2b>") == "<pdkit.Foo object at 0xID>"
    assert sanitize("wrote /tmp/tmpab12/report/manifest.json") == "wrote TMPPATH"
    assert sanitize("read /home/u/kit/data_samples/doe/x.csv") == "read PATH/data_samples/doe/x.csv"
    assert sanitize("3.2 s elapsed") == "DURATION elapsed"
    nb = _nb(("print('a')", [nbformat.v4.new_output("stream", text="a"), nbformat.v4.new_output("stream", text="\n"),
                             nbformat.v4.new_output("stream", name="stderr", text="w\n")], []))
    assert coalesce_streams(nb) == 1 and [o["text"] for o in nb.cells[0].outputs] == ["a\n", "w\n"]


def test_notebook_sources_skip_helpers_and_hidden_folders(tmp_path):
    (tmp_path / "course").mkdir()
    (tmp_path / "course" / "01_a.py").write_text("# %%\nx = 1\n")
    (tmp_path / "helper.py").write_text("x = 1\n")  # a plain module, not a notebook
    (tmp_path / ".ipynb_checkpoints").mkdir()
    (tmp_path / ".ipynb_checkpoints" / "01_a.py").write_text("# %%\nx = 1\n")
    (tmp_path / "conftest.py").write_text("# %%\n")
    assert [p.relative_to(tmp_path).as_posix() for p in notebook_sources(tmp_path)] == ["course/01_a.py"]
