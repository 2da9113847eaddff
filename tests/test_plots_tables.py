"""Report tables (pdkit.plots.setup): no negative zeros, and otherwise exactly pandas' own formatting."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pdkit.plots import display_without_negative_zero, without_negative_zero

IPython = pytest.importorskip("IPython")


class _Shell:
    """The part of an IPython shell that display() uses."""

    def __init__(self):
        from IPython.core.formatters import DisplayFormatter

        self.display_formatter = DisplayFormatter()


def _shown(shell, obj):
    data, _ = shell.display_formatter.format(obj)
    return data


def test_rounded_negative_zero_is_shown_as_zero():
    shell = _Shell()
    assert display_without_negative_zero(shell)
    df = pd.DataFrame({"term": ["A", "B"], "effect": [-0.00001, 2.5]}).round(4)
    assert str(df.loc[0, "effect"]) == "-0.0"  # what pandas would print
    data = _shown(shell, df)
    assert "-0.0" not in data["text/html"] and "-0.0" not in data["text/plain"]
    assert ">0.0<" in data["text/html"]
    assert "-0.0" not in _shown(shell, df["effect"])["text/plain"]
    assert df.loc[0, "effect"] == 0.0 and np.signbit(df.loc[0, "effect"])  # the caller's frame is untouched


@pytest.mark.parametrize("frame", [
    pd.DataFrame({"x": [1.5, 0.25, np.nan], "n": [1, 2, 3], "s": ["a", "b", "c"]}),
    pd.DataFrame({"tiny": [1e-9, -2e-8, 3.0], "big": [1e7, 2.5, -3.25]}),
    pd.DataFrame({"f32": np.array([0.1, -0.5, 2.0], dtype="float32"), "i": [0, -1, 2]}).set_index("i"),
    pd.DataFrame({"v": pd.array([1.25, None, -2.0], dtype="Float64")}),
])
def test_tables_without_negative_zeros_are_formatted_exactly_as_pandas_does(frame):
    shell = _Shell()
    display_without_negative_zero(shell)
    data = _shown(shell, frame)
    assert data["text/html"] == frame._repr_html_()
    assert data["text/plain"] == repr(frame)
    pd.testing.assert_frame_equal(without_negative_zero(frame), frame)


def test_outside_ipython_nothing_is_registered():
    assert display_without_negative_zero() is False
