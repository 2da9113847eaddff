"""Tables for people: rounding without negative zeros.

Rounding a small negative number (``-0.00004``) to 4 decimals gives ``-0.0``, which pandas
prints as ``-0.0000``: a reader takes it for a real negative value.  :func:`rounded` rounds
and then adds ``0.0`` (IEEE 754: ``-0.0 + 0.0 == +0.0``), in numeric columns and in numbers
held in object columns (a settings table mixing levels and numbers).  The ``doe_analysis``
report shows every table through it.

Examples
--------
>>> import pandas as pd
>>> t = pd.DataFrame({"estimate": [-0.00004, 1.23456], "term": ["A", "B"]})
>>> print(rounded(t).to_string(index=False))
 estimate term
   0.0000    A
   1.2346    B
"""
from __future__ import annotations

import numbers

import numpy as np
import pandas as pd

__all__ = ["rounded", "no_negative_zero"]


def no_negative_zero(value):
    """``value + 0.0`` for a real number (so ``-0.0`` becomes ``0.0``); anything else unchanged.

    Examples
    --------
    >>> no_negative_zero(-0.0), no_negative_zero("HEK293"), no_negative_zero(None)
    (0.0, 'HEK293', None)
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        return value
    return value + 0.0


def rounded(table: pd.DataFrame | pd.Series, decimals: int = 4) -> pd.DataFrame | pd.Series:
    """A copy of ``table`` rounded to ``decimals`` with negative zeros replaced by ``0.0``.

    Numeric columns are rounded with :meth:`pandas.DataFrame.round`; real numbers inside
    object columns are rounded one by one; text, booleans and missing values are kept.
    The caller's table is not modified.

    Parameters
    ----------
    table : DataFrame or Series
    decimals : int

    Returns
    -------
    DataFrame or Series

    Examples
    --------
    >>> import pandas as pd
    >>> s = pd.Series({"temp": -1e-9, "cell_line": "HEK293T"})
    >>> rounded(s, 3).tolist()
    [0.0, 'HEK293T']
    """
    if isinstance(table, pd.Series):
        return rounded(table.to_frame(), decimals).iloc[:, 0].rename(table.name)
    out = table.copy()
    for col in out.columns:
        s = out[col]
        if pd.api.types.is_bool_dtype(s):
            continue
        if pd.api.types.is_float_dtype(s):
            out[col] = s.round(decimals) + 0.0
        elif pd.api.types.is_object_dtype(s):
            out[col] = s.map(lambda v: no_negative_zero(round(float(v), decimals))
                             if isinstance(v, numbers.Real) and not isinstance(v, (bool, np.bool_))
                             and np.isfinite(float(v)) else v)
    return out
