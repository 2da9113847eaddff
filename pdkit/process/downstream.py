"""Downstream step yields, mass balance and impurity clearance.

One table describes a purification train, one row per (step, attribute).  It
works for the AAV train (lysis/nuclease -> clarification -> TFF -> affinity ->
AEX -> UF/DF -> sterile filtration) and the plasmid train (alkaline lysis ->
clarification -> TFF -> AEX -> HIC -> UF/DF -> 0.2 um filtration) alike.

Step table (long format)
------------------------
===================== ========== ==========================================================
column                required   meaning
===================== ========== ==========================================================
``step``              yes        unit operation name; rows are in train order (see below)
``attribute``         yes        what was measured: product (``vg``, ``capsid``, ``pDNA``)
                                 or impurity (``HCP``, ``hcDNA``, ``endotoxin``,
                                 ``plasmid_residual``, ``gDNA``, ``RNA``, ...)
``volume_unit``       yes        unit of every volume on the row (``mL``, ``L``)
``conc_unit``         yes        unit of every concentration on the row, an amount per
                                 volume (``vg/mL``, ``ng/mL``, ``EU/mL``, ``mg/mL``)
``load_volume``       yes        volume loaded onto the step (> 0)
``load_conc``         yes        concentration in the load (>= 0)
``pool_volume``       yes        volume of the product pool (eluate, filtrate, retentate)
``pool_conc``         yes        concentration in the pool (>= 0)
``pool_qualifier``    no         ``<`` when the pool result is below the LOQ; ``pool_conc``
                                 then holds the LOQ (blank or ``=`` otherwise)
``load_qualifier``    no         the same for the load (an LRV is then not determinable)
``flowthrough_volume`` no        flow-through fraction (both volume and conc, or neither)
``flowthrough_conc``  no
``wash_volume``       no         wash fraction
``wash_conc``         no
``strip_volume``      no         strip / regeneration / CIP fraction
``strip_conc``        no
``step_order``        no         integer train position; without it the order of first
                                 appearance is the train order and each step's rows
                                 must be contiguous
===================== ========== ==========================================================

Amounts are ``conc x volume`` in the attribute's amount unit (``vg``, ``ng``,
``EU``, ``mg``); an attribute may mix concentration units between rows (they are
converted to the unit of its first row with :func:`pdkit.units.convert`).

Formulas (``/work/shared/domain-primer.md``; ICH Q5A(R1) Appendix 4):

* step yield = (C_out V_out) / (C_in V_in); cumulative yield = product of step yields;
* mass-balance closure = (pool + flow-through + wash + strip) / load x 100;
* LRV = log10[(C_in V_in) / (C_out V_out)]; a censored (``<``) pool gives ``>=`` LRV;
  cumulative LRV = sum of step LRVs, valid only for orthogonal mechanisms;
* residual impurity per dose = impurity / product x dose, or per mg of product (ng/mg = ppm);
* full-capsid enrichment = %full_out / %full_in.

Examples
--------
>>> import pandas as pd
>>> from pdkit.downstream import step_yields, log_reduction
>>> t = pd.DataFrame({
...     "step": ["affinity", "affinity", "AEX", "AEX"],
...     "attribute": ["vg", "HCP", "vg", "HCP"],
...     "volume_unit": "mL", "conc_unit": ["vg/mL", "ng/mL", "vg/mL", "ng/mL"],
...     "load_volume": [1000, 1000, 50, 50], "load_conc": [1e11, 5e4, 1.5e12, 80],
...     "pool_volume": [50, 50, 40, 40], "pool_conc": [1.5e12, 80, 1.2e12, 1]})
>>> step_yields(t)[["step", "yield_pct", "cumulative_yield_pct"]]
       step  yield_pct  cumulative_yield_pct
0  affinity       75.0                  75.0
1       AEX       64.0                  48.0
>>> log_reduction(t)[["step", "lrv", "cumulative_lrv"]].round(3)
       step    lrv  cumulative_lrv
0  affinity  4.097           4.097
1       AEX  2.000           6.097
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from pdkit.io.tables import (
    check_unique,
    describe_rows,
    numeric_column,
    read_table,
    require_columns,
    source_name,
)
from pdkit.errors import InputError
from pdkit.units import convert, parse_unit, registry

__all__ = [
    "REQUIRED_COLUMNS",
    "FRACTIONS",
    "PRODUCT_ATTRIBUTES",
    "LRV_CAVEAT",
    "step_amounts",
    "step_yields",
    "mass_balance",
    "log_reduction",
    "residual_impurity",
    "full_capsid_enrichment",
    "full_fraction_by_step",
    "estimated_particles_per_dose",
    "purification_table",
]

REQUIRED_COLUMNS = (
    "step",
    "attribute",
    "volume_unit",
    "conc_unit",
    "load_volume",
    "load_conc",
    "pool_volume",
    "pool_conc",
)
#: Fractions of a step in the order they are reported; ``load`` is the input.
FRACTIONS = ("load", "pool", "flowthrough", "wash", "strip")
_SIDE_FRACTIONS = ("flowthrough", "wash", "strip")

#: Attribute names treated as product (not impurity) when ``log_reduction`` picks impurities itself.
PRODUCT_ATTRIBUTES = frozenset(
    {"vg", "capsid", "capsids", "cp", "pdna", "plasmid", "supercoiled", "tu", "iu", "p24", "product"}
)

LRV_CAVEAT = (
    "Cumulative LRV is the sum of step LRVs; summing is valid only when the steps clear the "
    "impurity by independent (orthogonal) mechanisms (ICH Q5A). Report per-step values with it."
)

_MASS_UNITS = ("kg", "g", "mg", "ug", "ng", "pg")


# --------------------------------------------------------------------------- helpers
def _as_frame(table: pd.DataFrame | str | Path, what: str = "step table") -> pd.DataFrame:
    if isinstance(table, (str, Path)):
        return read_table(table, what=what)
    if not isinstance(table, pd.DataFrame):
        raise InputError(f"{what}: expected a pandas DataFrame or a path to a CSV/Excel file, got {type(table).__name__}")
    if table.shape[0] == 0:
        raise InputError(f"{source_name(table)}: the {what} has no rows")
    return table


def _amount_unit(conc_unit: str, where: str) -> tuple[str, float]:
    """The amount unit of ``conc_unit x mL`` and the factor from ``conc_unit x mL`` to it."""
    ureg = registry()
    q = (parse_unit(conc_unit, where) * ureg.Quantity(1, "mL")).to_reduced_units()
    if "[length]" in q.dimensionality:
        raise InputError(
            f"{where}: conc_unit {conc_unit!r} is not an amount per volume (expected e.g. 'vg/mL', 'ng/mL', "
            "'EU/mL', 'mg/mL')"
        )
    if q.dimensionality == ureg.Quantity(1, "g").dimensionality:
        for unit in _MASS_UNITS:
            factor = float(q.to(unit).magnitude)
            if factor >= 1 - 1e-9:
                return unit, float(f"{factor:.12g}")
    label = f"{q.units:~}".replace("µ", "u") or "count"
    return label, float(f"{float(q.magnitude):.12g}")


def _text_column(df: pd.DataFrame, column: str, name: str) -> pd.Series:
    raw = df[column]
    blank = raw.isna() | raw.astype(str).str.strip().eq("")
    if blank.any():
        rows = [int(i) + 1 for i in np.flatnonzero(blank.to_numpy())]
        raise InputError(f"{name}, column '{column}', {describe_rows(rows)}: value is missing, expected a name")
    return raw.astype(str).str.strip()


def _fmt(value: float, qualifier: str) -> str:
    if not math.isfinite(value):
        return ""
    return f"{qualifier} {value:.2f}" if qualifier else f"{value:.2f}"


# --------------------------------------------------------------------------- validation
def step_amounts(table: pd.DataFrame | str | Path, source: str | None = None) -> pd.DataFrame:
    """Validate a step table and return amounts per fraction in train order.

    Parameters
    ----------
    table : DataFrame or path
        The step table described in the module docstring (a CSV/Excel path is read with
        :func:`pdkit._tables.read_table`).  It is never modified.
    source : str, optional
        Name of the table in error messages (default ``table.attrs['source']`` or ``'table'``).

    Returns
    -------
    DataFrame
        One row per (step, attribute) in train order with ``step_number`` (1-based),
        ``step``, ``attribute``, ``row`` (the input's 1-based data row),
        ``<fraction>_amount`` for load, pool, flowthrough, wash, strip (NaN where the
        fraction was not collected or not measured), ``amount_unit``, ``load_censored``,
        ``pool_censored`` and ``pool_volume_mL``.

    Raises
    ------
    InputError
        Missing columns, non-numeric values, volumes <= 0, concentrations < 0, a fraction
        with volume but no concentration (or the reverse), unknown or mismatched units,
        an unknown ``pool_qualifier``, a ``<`` qualifier with a zero LOQ, duplicated
        step/attribute, or steps not in train order.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"step": ["TFF"], "attribute": ["vg"], "volume_unit": ["L"],
    ...                   "conc_unit": ["vg/mL"], "load_volume": [10], "load_conc": [1e10],
    ...                   "pool_volume": [1], "pool_conc": [9e10]})
    >>> a = step_amounts(t)
    >>> float(a.loc[0, "load_amount"]), float(a.loc[0, "pool_amount"]), a.loc[0, "amount_unit"]
    (100000000000000.0, 90000000000000.0, 'vg')
    """
    df = _as_frame(table)
    name = source_name(df, source)
    require_columns(df, list(REQUIRED_COLUMNS), name)
    df = df.reset_index(drop=True)
    n = len(df)

    steps = _text_column(df, "step", name)
    attributes = _text_column(df, "attribute", name)
    keyed = pd.DataFrame({"step": steps, "attribute": attributes})
    keyed.attrs["source"] = name
    check_unique(keyed, ["step", "attribute"], name)

    # ---- train order
    if "step_order" in df.columns:
        order = numeric_column(df, "step_order", name)
        if not np.allclose(order, np.round(order)):
            bad = [i + 1 for i in np.flatnonzero(~np.isclose(order, np.round(order)))]
            raise InputError(f"{name}, column 'step_order', {describe_rows(bad)}: expected a whole number")
        per_step = pd.DataFrame({"step": steps, "order": order}).groupby("step", sort=False)["order"].nunique()
        if (per_step > 1).any():
            s = per_step[per_step > 1].index[0]
            rows = [i + 1 for i in np.flatnonzero((steps == s).to_numpy())]
            raise InputError(
                f"{name}, column 'step_order', {describe_rows(rows)}: step '{s}' has different step_order values, "
                "expected one value per step"
            )
        first = pd.DataFrame({"step": steps, "order": order}).drop_duplicates("step")
        dup_order = first["order"].duplicated(keep=False)
        if dup_order.any():
            clash = first[dup_order]
            raise InputError(
                f"{name}, column 'step_order': steps "
                + ", ".join(f"'{s}'" for s in clash["step"])
                + f" share step_order {clash['order'].iloc[0]:g}, expected one position per step"
            )
        ranks = first.sort_values("order", kind="stable")["step"].tolist()
    else:
        ranks = list(dict.fromkeys(steps))
        # each step's rows must be contiguous: otherwise the train order is ambiguous
        change = steps.ne(steps.shift()).to_numpy()
        runs = steps[change].tolist()
        if len(runs) != len(ranks):
            seen: set[str] = set()
            for s in runs:
                if s in seen:
                    rows = [i + 1 for i in np.flatnonzero((steps == s).to_numpy())]
                    raise InputError(
                        f"{name}, column 'step', {describe_rows(rows)}: rows of step '{s}' are separated by other "
                        "steps; list the steps in train order (all rows of a step together) or add a 'step_order' "
                        "column"
                    )
                seen.add(s)
    step_number = steps.map({s: i + 1 for i, s in enumerate(ranks)}).astype(int)

    # ---- qualifiers ('<' = below LOQ, the conc column then holds the LOQ)
    cens: dict[str, np.ndarray] = {}
    for frac in ("load", "pool"):
        col = f"{frac}_qualifier"
        cens[frac] = np.zeros(n, dtype=bool)
        if col in df.columns:
            q = df[col].astype(object).where(df[col].notna(), "").astype(str).str.strip()
            bad = ~q.isin(["", "=", "<"])
            if bad.any():
                rows = [i + 1 for i in np.flatnonzero(bad.to_numpy())]
                raise InputError(
                    f"{name}, column '{col}', {describe_rows(rows)}: expected '<' (below LOQ), '=' or blank, "
                    f"got {q[bad].iloc[0]!r}"
                )
            cens[frac] = (q == "<").to_numpy()
    censored = cens["pool"]

    # ---- numbers
    volumes: dict[str, pd.Series] = {}
    concs: dict[str, pd.Series] = {}
    for frac in ("load", "pool"):
        volumes[frac] = numeric_column(df, f"{frac}_volume", name, positive=True)
        concs[frac] = numeric_column(df, f"{frac}_conc", name, nonnegative=True)
    for frac in ("load", "pool"):
        zero_loq = cens[frac] & (concs[frac].to_numpy() == 0)
        if zero_loq.any():
            rows = [i + 1 for i in np.flatnonzero(zero_loq)]
            raise InputError(
                f"{name}, column '{frac}_conc', {describe_rows(rows)}: {frac}_qualifier is '<' but {frac}_conc is 0; "
                f"give the LOQ (> 0) as {frac}_conc"
            )
    for frac in _SIDE_FRACTIONS:
        vcol, ccol = f"{frac}_volume", f"{frac}_conc"
        has_v, has_c = vcol in df.columns, ccol in df.columns
        if has_v != has_c:
            present, absent = (vcol, ccol) if has_v else (ccol, vcol)
            raise InputError(f"{name}: column '{present}' is given without '{absent}'; give both or neither")
        if not has_v:
            continue
        v = numeric_column(df, vcol, name, allow_missing=True)
        c = numeric_column(df, ccol, name, allow_missing=True, nonnegative=True)
        half = v.isna() != c.isna()
        if half.any():
            rows = [i + 1 for i in np.flatnonzero(half.to_numpy())]
            raise InputError(
                f"{name}, columns '{vcol}'/'{ccol}', {describe_rows(rows)}: give both the volume and the "
                "concentration of the fraction, or leave both blank"
            )
        nonpos = (v <= 0).to_numpy()
        if nonpos.any():
            rows = [i + 1 for i in np.flatnonzero(nonpos)]
            raise InputError(
                f"{name}, column '{vcol}', {describe_rows(rows)}: expected a value > 0, got "
                + ", ".join(f"{x:g}" for x in v[nonpos][:3])
            )
        volumes[frac], concs[frac] = v, c

    # ---- units: volumes to mL, concentrations to the attribute's first unit
    vol_factor = np.empty(n)
    conc_factor = np.empty(n)
    amount_unit = np.empty(n, dtype=object)
    ref_unit: dict[str, tuple[str, str, float]] = {}
    for i in range(n):
        vu, cu = df.at[i, "volume_unit"], df.at[i, "conc_unit"]
        vu = "" if pd.isna(vu) else str(vu).strip()
        cu = "" if pd.isna(cu) else str(cu).strip()
        if not vu:
            raise InputError(f"{name}, column 'volume_unit', row {i + 1}: value is missing, expected a unit such as 'mL'")
        if not cu:
            raise InputError(f"{name}, column 'conc_unit', row {i + 1}: value is missing, expected a unit such as 'vg/mL'")
        vol_factor[i] = float(convert(1.0, vu, "mL", f"{name}, column 'volume_unit', row {i + 1}"))
        attr = attributes.iat[i]
        parse_unit(cu, f"{name}, column 'conc_unit', row {i + 1}")
        if attr not in ref_unit:
            unit, factor = _amount_unit(cu, f"{name}, column 'conc_unit', row {i + 1}")
            ref_unit[attr] = (cu, unit, factor)
        ref, unit, factor = ref_unit[attr]
        where = f"{name}, column 'conc_unit', row {i + 1} (attribute '{attr}' was first given in {ref!r})"
        conc_factor[i] = float(convert(1.0, cu, ref, where)) * factor
        amount_unit[i] = unit

    out = pd.DataFrame(
        {
            "step_number": step_number.to_numpy(),
            "step": steps.to_numpy(),
            "attribute": attributes.to_numpy(),
            "row": np.arange(1, n + 1),
        }
    )
    for frac in FRACTIONS:
        if frac in volumes:
            out[f"{frac}_amount"] = (volumes[frac] * vol_factor * concs[frac] * conc_factor).to_numpy()
        else:
            out[f"{frac}_amount"] = np.nan
    out["amount_unit"] = pd.Series(amount_unit, dtype=object).astype(str).to_numpy()
    out["load_censored"] = cens["load"]
    out["pool_censored"] = censored
    out["pool_volume_mL"] = (volumes["pool"] * vol_factor).to_numpy()
    out = out.sort_values(["step_number", "row"], kind="stable").reset_index(drop=True)
    out.attrs["source"] = name
    return out


def _select(amounts: pd.DataFrame, attribute: str, parameter: str) -> pd.DataFrame:
    sel = amounts[amounts["attribute"] == attribute]
    if sel.empty:
        present = ", ".join(f"'{a}'" for a in dict.fromkeys(amounts["attribute"]))
        raise InputError(
            f"{amounts.attrs.get('source', 'table')}: {parameter} '{attribute}' is not an attribute of the table "
            f"(attributes present: {present})"
        )
    return sel


# --------------------------------------------------------------------------- yields
def step_yields(
    table: pd.DataFrame | str | Path,
    product: str = "vg",
    *,
    max_yield: float = 1.0,
    transfer_tolerance: float = 0.10,
    source: str | None = None,
) -> pd.DataFrame:
    """Step and cumulative yields of the product along the train.

    Parameters
    ----------
    table : DataFrame or path
        Step table (see the module docstring).
    product : str
        The product attribute (``"vg"`` for AAV, ``"pDNA"`` for plasmid); it must be
        measured at every step.
    max_yield : float
        Step yields above this fraction are flagged (assay or volume error suspected).
    transfer_tolerance : float
        Flag a step whose load differs from the previous step's pool by more than this
        fraction (hold-step losses, sampling or dilution not accounted for).
    source : str, optional
        Table name for messages.

    Returns
    -------
    DataFrame
        ``step_number, step, attribute, load_amount, pool_amount, amount_unit, yield``
        (fraction), ``yield_pct, cumulative_yield`` (product of step yields),
        ``cumulative_yield_pct, load_vs_previous_pool`` (NaN for the first step),
        ``censored`` and ``flag`` (empty string when nothing to report).  ``attrs`` hold
        ``product``, ``amount_unit``, ``overall_yield`` (the last cumulative yield) and
        ``direct_overall_yield`` (final pool / first load, which includes transfer losses).

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"step": ["clarification", "affinity"], "attribute": "vg",
    ...     "volume_unit": "L", "conc_unit": "vg/mL", "load_volume": [10, 9.5],
    ...     "load_conc": [1e10, 1e10], "pool_volume": [9.5, 0.5], "pool_conc": [1e10, 1.4e11]})
    >>> step_yields(t)["cumulative_yield"].round(3).tolist()
    [0.95, 0.7]
    """
    amounts = step_amounts(table, source)
    name = amounts.attrs["source"]
    for pname, val in (("max_yield", max_yield), ("transfer_tolerance", transfer_tolerance)):
        if not isinstance(val, (int, float)) or not math.isfinite(val) or val <= 0:
            raise InputError(f"parameter '{pname}': expected a number > 0, got {val!r}")
    sel = _select(amounts, product, "product").reset_index(drop=True)
    missing = [s for s in dict.fromkeys(amounts["step"]) if s not in set(sel["step"])]
    if missing:
        raise InputError(
            f"{name}: product '{product}' has no row for step(s) "
            + ", ".join(f"'{s}'" for s in missing)
            + "; step yields need the product measured at every step"
        )
    cl = sel["load_censored"]
    if cl.any():
        raise InputError(
            f"{name}, column 'load_qualifier', {describe_rows(sel.loc[cl, 'row'])}: product '{product}' load is below "
            "the LOQ, the step yield is undefined"
        )
    zero = sel["load_amount"] <= 0
    if zero.any():
        raise InputError(
            f"{name}, column 'load_conc', {describe_rows(sel.loc[zero, 'row'])}: product '{product}' load is 0, "
            "the step yield is undefined; expected a load concentration > 0"
        )
    y = (sel["pool_amount"] / sel["load_amount"]).to_numpy()
    cum = np.cumprod(y)
    prev_pool = sel["pool_amount"].shift(1).to_numpy()
    transfer = sel["load_amount"].to_numpy() / prev_pool
    flags = []
    for i in range(len(sel)):
        f = []
        if y[i] > max_yield:
            f.append(f"yield {100 * y[i]:.1f} % above {100 * max_yield:g} %: check assay and volumes")
        if sel["pool_censored"].iat[i]:
            f.append("pool below LOQ: yield is an upper bound")
        if i > 0 and abs(transfer[i] - 1) > transfer_tolerance:
            f.append(f"load is {100 * transfer[i]:.1f} % of the previous pool (losses between steps)")
        flags.append("; ".join(f))
    out = pd.DataFrame(
        {
            "step_number": sel["step_number"].to_numpy(),
            "step": sel["step"].to_numpy(),
            "attribute": sel["attribute"].to_numpy(),
            "load_amount": sel["load_amount"].to_numpy(),
            "pool_amount": sel["pool_amount"].to_numpy(),
            "amount_unit": sel["amount_unit"].to_numpy(),
            "yield": y,
            "yield_pct": 100 * y,
            "cumulative_yield": cum,
            "cumulative_yield_pct": 100 * cum,
            "load_vs_previous_pool": transfer,
            "censored": sel["pool_censored"].to_numpy(),
            "flag": flags,
        }
    )
    out.attrs.update(
        product=product,
        amount_unit=str(sel["amount_unit"].iat[0]),
        overall_yield=float(cum[-1]),
        direct_overall_yield=float(sel["pool_amount"].iat[-1] / sel["load_amount"].iat[0]),
        source=name,
    )
    return out


# --------------------------------------------------------------------------- mass balance
def _check_band(band: Sequence[float]) -> tuple[float, float]:
    try:
        low, high = (float(b) for b in band)
    except Exception:
        raise InputError(f"parameter 'band': expected (low, high) in percent, got {band!r}") from None
    if not (math.isfinite(low) and math.isfinite(high)) or low < 0 or low >= high:
        raise InputError(f"parameter 'band': expected 0 <= low < high (percent), got ({low:g}, {high:g})")
    return low, high


def mass_balance(
    table: pd.DataFrame | str | Path,
    band: Sequence[float] = (80.0, 120.0),
    attributes: Iterable[str] | None = None,
    *,
    source: str | None = None,
) -> pd.DataFrame:
    """Mass-balance closure per step and attribute, flagged outside ``band``.

    closure % = (pool + flow-through + wash + strip) / load x 100, summing the fractions
    that were measured (``fractions_measured`` lists them).

    Parameters
    ----------
    table : DataFrame or path
        Step table (see the module docstring).
    band : (low, high)
        Acceptable closure in percent (default 80-120 %).
    attributes : list of str, optional
        Attributes to report (default all).
    source : str, optional
        Table name for messages.

    Returns
    -------
    DataFrame
        ``step_number, step, attribute, load_amount, pool_amount, flowthrough_amount,
        wash_amount, strip_amount, amount_unit, pool_pct, flowthrough_pct, wash_pct,
        strip_pct`` (percent of load; NaN where a fraction was not measured),
        ``closure_pct, fractions_measured, in_band`` and ``flag``.  A row whose load is 0
        has NaN closure, ``in_band`` False and a flag saying so.  A pool alone above
        ``band`` high is flagged separately; a censored pool makes the closure an upper bound.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"step": ["AEX"], "attribute": ["vg"], "volume_unit": "mL",
    ...     "conc_unit": "vg/mL", "load_volume": [100], "load_conc": [1e12], "pool_volume": [20],
    ...     "pool_conc": [3.5e12], "flowthrough_volume": [100], "flowthrough_conc": [1e11],
    ...     "strip_volume": [10], "strip_conc": [1e12]})
    >>> mass_balance(t)[["pool_pct", "flowthrough_pct", "strip_pct", "closure_pct", "in_band"]]
       pool_pct  flowthrough_pct  strip_pct  closure_pct  in_band
    0      70.0             10.0       10.0         90.0     True
    """
    low, high = _check_band(band)
    amounts = step_amounts(table, source)
    if attributes is not None:
        attributes = [attributes] if isinstance(attributes, str) else list(attributes)
        frames = [_select(amounts, a, "attribute") for a in attributes]
        amounts = pd.concat(frames).sort_values(["step_number", "row"], kind="stable")
    amounts = amounts.reset_index(drop=True)
    load = amounts["load_amount"].to_numpy()
    safe = np.where((load > 0) & ~amounts["load_censored"].to_numpy(), load, np.nan)
    out = amounts[["step_number", "step", "attribute"]].copy()
    for frac in ("load", "pool", *_SIDE_FRACTIONS):
        out[f"{frac}_amount"] = amounts[f"{frac}_amount"].to_numpy()
    out["amount_unit"] = amounts["amount_unit"].to_numpy()
    for frac in ("pool", *_SIDE_FRACTIONS):
        out[f"{frac}_pct"] = 100 * amounts[f"{frac}_amount"].to_numpy() / safe
    recovered = amounts[[f"{f}_amount" for f in ("pool", *_SIDE_FRACTIONS)]].sum(axis=1, min_count=1).to_numpy()
    closure = 100 * recovered / safe
    out["closure_pct"] = closure
    out["fractions_measured"] = [
        "+".join(f for f in ("pool", *_SIDE_FRACTIONS) if not np.isnan(amounts.at[i, f"{f}_amount"]))
        for i in range(len(amounts))
    ]
    out["in_band"] = np.isfinite(closure) & (closure >= low) & (closure <= high)
    flags = []
    for i in range(len(out)):
        f = []
        if amounts.at[i, "load_censored"]:
            f.append("load below LOQ: closure not determinable")
        elif not load[i] > 0:
            f.append("load is 0: closure undefined")
        else:
            c = closure[i]
            if c < low:
                f.append(f"closure {c:.1f} % below {low:g} %")
            elif c > high:
                f.append(f"closure {c:.1f} % above {high:g} %")
            p = out.at[i, "pool_pct"]
            if p > high:
                f.append(f"pool alone is {p:.1f} % of load, above {high:g} %")
        if amounts.at[i, "pool_censored"]:
            f.append("pool below LOQ: closure is an upper bound")
        if out.at[i, "fractions_measured"] == "pool":
            f.append("only the pool measured")
        flags.append("; ".join(f))
    out["flag"] = flags
    out.attrs.update(band=(low, high), source=amounts.attrs.get("source", "table"))
    return out


# --------------------------------------------------------------------------- clearance
def log_reduction(
    table: pd.DataFrame | str | Path,
    impurities: Iterable[str] | None = None,
    *,
    source: str | None = None,
) -> pd.DataFrame:
    """Log reduction value (LRV) per impurity per step and cumulative LRV.

    LRV = log10[(C_in V_in) / (C_out V_out)] (ICH Q5A(R1) Appendix 4).  A pool reported
    below the LOQ (``pool_qualifier`` ``<``, ``pool_conc`` = LOQ) gives ``LRV >= value``,
    and every cumulative LRV that includes it is ``>=`` as well.

    .. warning:: The cumulative LRV is a plain sum of step LRVs and is meaningful only
       for orthogonal clearance mechanisms (``LRV_CAVEAT``, also in ``attrs['caveat']``).

    Parameters
    ----------
    table : DataFrame or path
        Step table (see the module docstring).
    impurities : list of str, optional
        Impurity attributes.  Default: every attribute not in ``PRODUCT_ATTRIBUTES``
        (``vg``, ``capsid``, ``pDNA``, ... compared case-insensitively).
    source : str, optional
        Table name for messages.

    Returns
    -------
    DataFrame
        ``step_number, step, attribute, load_amount, pool_amount, amount_unit, lrv,
        lrv_qualifier`` (``""`` or ``">="``), ``lrv_text, cumulative_lrv,
        cumulative_qualifier, cumulative_text, flag`` and ``note`` (the orthogonality
        caveat on every cumulative value built from more than one step), ordered by
        impurity then step.  A step whose load is below the LOQ (``load_qualifier``
        ``<``) has ``lrv`` NaN, ``lrv_text`` ``"n.d."``, a flag, and adds nothing to the
        cumulative LRV.  ``attrs``: ``caveat`` and ``direct_overall_lrv``
        (``{impurity: log10(first load / last pool)}``).

    Raises
    ------
    InputError
        Unknown impurity, load of 0 (LRV undefined) or pool of 0 without ``<`` qualifier.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"step": ["AEX"], "attribute": ["endotoxin"], "volume_unit": "mL",
    ...     "conc_unit": "EU/mL", "load_volume": [100], "load_conc": [500], "pool_volume": [20],
    ...     "pool_conc": [0.5], "pool_qualifier": ["<"]})
    >>> log_reduction(t)[["lrv", "lrv_text"]].round(3)
         lrv lrv_text
    0  3.699  >= 3.70
    """
    amounts = step_amounts(table, source)
    name = amounts.attrs["source"]
    present = list(dict.fromkeys(amounts["attribute"]))
    if impurities is None:
        chosen = [a for a in present if a.lower() not in PRODUCT_ATTRIBUTES]
        if not chosen:
            raise InputError(
                f"{name}: no impurity attributes found (attributes present: "
                + ", ".join(f"'{a}'" for a in present)
                + "); name them with the 'impurities' parameter"
            )
    else:
        chosen = [impurities] if isinstance(impurities, str) else list(impurities)
        if not chosen:
            raise InputError("parameter 'impurities': expected at least one attribute name")
        for a in chosen:
            _select(amounts, a, "impurity")
    frames = []
    direct: dict[str, float] = {}
    for imp in chosen:
        sel = amounts[amounts["attribute"] == imp].reset_index(drop=True)
        load_cens = sel["load_censored"].to_numpy()
        zero_load = (sel["load_amount"] <= 0) & ~load_cens
        if zero_load.any():
            raise InputError(
                f"{name}, column 'load_conc', {describe_rows(sel.loc[zero_load, 'row'])}: impurity '{imp}' load is 0, "
                "the LRV is undefined; expected a load concentration > 0"
            )
        zero_pool = (sel["pool_amount"] <= 0) & ~sel["pool_censored"]
        if zero_pool.any():
            raise InputError(
                f"{name}, column 'pool_conc', {describe_rows(sel.loc[zero_pool, 'row'])}: impurity '{imp}' pool is 0; "
                "for a result below the LOQ give the LOQ as pool_conc and '<' in pool_qualifier"
            )
        with np.errstate(divide="ignore", invalid="ignore"):
            lrv = np.log10(sel["load_amount"].to_numpy() / sel["pool_amount"].to_numpy())
        lrv[load_cens] = np.nan  # load below LOQ: not determinable (flagged below)
        cens = sel["pool_censored"].to_numpy() & ~load_cens
        cum = np.cumsum(np.where(load_cens, 0.0, lrv))
        cum_cens = np.logical_or.accumulate(cens)
        q = np.where(cens, ">=", "")
        cq = np.where(cum_cens, ">=", "")
        flags = [
            "load below LOQ: LRV not determinable (not counted in the cumulative LRV)"
            if lc
            else ("negative LRV: impurity increased across the step" if v < 0 else "")
            for v, lc in zip(lrv, load_cens)
        ]
        notes = ["" if i == 0 else "sum of step LRVs: valid only for orthogonal mechanisms" for i in range(len(sel))]
        frames.append(
            pd.DataFrame(
                {
                    "step_number": sel["step_number"].to_numpy(),
                    "step": sel["step"].to_numpy(),
                    "attribute": sel["attribute"].to_numpy(),
                    "load_amount": sel["load_amount"].to_numpy(),
                    "pool_amount": sel["pool_amount"].to_numpy(),
                    "amount_unit": sel["amount_unit"].to_numpy(),
                    "lrv": lrv,
                    "lrv_qualifier": q,
                    "lrv_text": ["n.d." if lc else _fmt(v, s) for v, s, lc in zip(lrv, q, load_cens)],
                    "cumulative_lrv": cum,
                    "cumulative_qualifier": cq,
                    "cumulative_text": [_fmt(v, s) for v, s in zip(cum, cq)],
                    "flag": flags,
                    "note": notes,
                }
            )
        )
        if not load_cens[0]:
            direct[imp] = float(np.log10(sel["load_amount"].iat[0] / sel["pool_amount"].iat[-1]))
    out = pd.concat(frames, ignore_index=True)
    for col in ("lrv_qualifier", "cumulative_qualifier"):
        out[col] = out[col].astype(object).astype(str)
    out.attrs.update(caveat=LRV_CAVEAT, direct_overall_lrv=direct, source=name)
    return out


def residual_impurity(
    table: pd.DataFrame | str | Path,
    per: str = "dose",
    dose: float | None = None,
    product: str = "vg",
    impurities: Iterable[str] | None = None,
    step: str | None = None,
    *,
    dose_unit: str | None = None,
    source: str | None = None,
) -> pd.DataFrame:
    """Residual impurity in a step's pool per dose or per mg of product.

    Parameters
    ----------
    table : DataFrame or path
        Step table (see the module docstring).
    per : {"dose", "mg"}
        ``"dose"``: impurity amount / product amount x ``dose`` (AAV: per dose, or per
        1e13 vg with ``dose=1e13``).  ``"mg"``: impurity per mg of product (the product
        must be a mass, e.g. pDNA in mg/mL); mass impurities are given in ng/mg (= ppm).
    dose : float
        Product amount per dose (required for ``per="dose"``), in ``dose_unit``.
    product : str
        Product attribute.
    impurities : list of str, optional
        Default: every attribute not in ``PRODUCT_ATTRIBUTES`` measured at ``step``.
    step : str, optional
        The step whose pool is evaluated (default the last step of the train).
    dose_unit : str, optional
        Unit of ``dose`` (default the product's amount unit, e.g. ``vg``).
    source : str, optional
        Table name for messages.

    Returns
    -------
    DataFrame
        ``step, attribute, residual, qualifier`` (``"<"`` when the impurity pool was
        below the LOQ), ``unit`` and ``residual_text``.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"step": ["UF/DF", "UF/DF"], "attribute": ["vg", "hcDNA"],
    ...     "volume_unit": "mL", "conc_unit": ["vg/mL", "ng/mL"], "load_volume": [100, 100],
    ...     "load_conc": [1e12, 50], "pool_volume": [10, 10], "pool_conc": [1e13, 400]})
    >>> residual_impurity(t, per="dose", dose=1e13)[["attribute", "residual", "unit"]]
      attribute  residual                    unit
    0     hcDNA     400.0  ng per dose (1e+13 vg)
    """
    if per not in ("dose", "mg"):
        raise InputError(f"parameter 'per': expected 'dose' or 'mg', got {per!r}")
    amounts = step_amounts(table, source)
    name = amounts.attrs["source"]
    steps = list(dict.fromkeys(amounts["step"]))
    if step is None:
        step = steps[-1]
    elif step not in steps:
        raise InputError(f"parameter 'step': '{step}' is not a step of {name} (steps: {', '.join(steps)})")
    at = amounts[amounts["step"] == step]
    prod = at[at["attribute"] == product]
    if prod.empty:
        _select(amounts, product, "product")
        raise InputError(f"{name}: product '{product}' is not measured at step '{step}'")
    prow = prod.iloc[0]
    if prow["pool_censored"] or not prow["pool_amount"] > 0:
        raise InputError(
            f"{name}, column 'pool_conc', row {prow['row']}: product '{product}' pool must be a measured value > 0 "
            "to express residuals relative to it"
        )
    prod_amount, prod_unit = float(prow["pool_amount"]), str(prow["amount_unit"])
    if per == "dose":
        if dose is None or isinstance(dose, bool) or not isinstance(dose, (int, float)) or not math.isfinite(dose) or dose <= 0:
            raise InputError(f"parameter 'dose': expected the product amount per dose (> 0) for per='dose', got {dose!r}")
        du = dose_unit or prod_unit
        if du == prod_unit:
            dose_in_prod = float(dose)
        else:
            target = "" if prod_unit == "count" else prod_unit
            dose_in_prod = float(convert(dose, du, target, "parameter 'dose_unit'"))
        scale = dose_in_prod / prod_amount
        label = f"per dose ({dose:g} {du})"
    else:
        try:
            prod_mg = float(convert(prod_amount, prod_unit, "mg", f"product '{product}'"))
        except InputError:
            raise InputError(
                f"parameter 'per': 'mg' needs a product measured as a mass (e.g. pDNA in mg/mL); product "
                f"'{product}' is in {prod_unit}"
            ) from None
        scale = 1.0 / prod_mg
        label = "/mg"
    if impurities is None:
        chosen = [a for a in at["attribute"] if a.lower() not in PRODUCT_ATTRIBUTES and a != product]
    else:
        chosen = [impurities] if isinstance(impurities, str) else list(impurities)
        for a in chosen:
            _select(amounts, a, "impurity")
            if a not in set(at["attribute"]):
                raise InputError(f"{name}: impurity '{a}' is not measured at step '{step}'")
    rows = []
    for imp in chosen:
        r = at[at["attribute"] == imp].iloc[0]
        amount, unit = float(r["pool_amount"]), str(r["amount_unit"])
        if per == "mg":
            try:
                amount, unit = float(convert(amount, unit, "ng")), "ng"
            except InputError:
                pass
            unit_text = f"{unit}/mg" + (" (ppm)" if unit == "ng" else "")
        else:
            unit_text = f"{unit} {label}"
        value = amount * scale
        q = "<" if r["pool_censored"] else ""
        rows.append(
            {
                "step": step,
                "attribute": imp,
                "residual": value,
                "qualifier": q,
                "unit": unit_text,
                "residual_text": f"{q} {value:.4g}".strip(),
            }
        )
    out = pd.DataFrame(rows, columns=["step", "attribute", "residual", "qualifier", "unit", "residual_text"])
    out.attrs.update(per=per, dose=dose, product=product, source=name)
    return out


# --------------------------------------------------------------------------- capsids and safety margin
def _percent_array(values, parameter: str) -> np.ndarray:
    try:
        arr = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise InputError(f"parameter '{parameter}': expected percent full (0-100], got {values!r}") from None
    bad = ~np.isfinite(arr) | (arr <= 0) | (arr > 100)
    if bad.any():
        pos = np.flatnonzero(np.atleast_1d(bad))
        where = f" (position {', '.join(str(p + 1) for p in pos[:5])})" if arr.ndim else ""
        raise InputError(f"parameter '{parameter}'{where}: expected percent full in (0, 100], got {np.atleast_1d(arr)[pos[0]]:g}")
    return arr


def full_capsid_enrichment(full_in, full_out):
    """Full-capsid enrichment of a step: %full_out / %full_in.

    Parameters
    ----------
    full_in, full_out : float or array-like
        Percent full capsids (0-100] in the load and the pool.

    Returns
    -------
    float or ndarray
        The enrichment factor (> 1 when the step enriches full capsids).

    Examples
    --------
    >>> full_capsid_enrichment(20.0, 80.0)
    4.0
    >>> full_capsid_enrichment([20, 40], [40, 90]).tolist()
    [2.0, 2.25]
    """
    a = _percent_array(full_in, "full_in")
    b = _percent_array(full_out, "full_out")
    if a.shape != b.shape and a.ndim and b.ndim:
        raise InputError(f"parameters 'full_in'/'full_out': expected the same length, got {a.size} and {b.size}")
    ratio = b / a
    return float(ratio) if np.ndim(ratio) == 0 else ratio


def full_fraction_by_step(
    table: pd.DataFrame | str | Path,
    genome: str = "vg",
    capsid: str = "capsid",
    *,
    source: str | None = None,
) -> pd.DataFrame:
    """Percent full capsids (vg / capsid x 100) in load and pool of each step, and the enrichment.

    Only steps where both attributes are measured are reported.

    Returns
    -------
    DataFrame
        ``step_number, step, pct_full_load, pct_full_pool, enrichment`` and ``flag``
        (a percent full above 100 points to an assay or unit problem).

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"step": ["AEX", "AEX"], "attribute": ["vg", "capsid"], "volume_unit": "mL",
    ...     "conc_unit": ["vg/mL", "cp/mL"], "load_volume": 100, "load_conc": [1e12, 5e12],
    ...     "pool_volume": 20, "pool_conc": [3.5e12, 5e12]})
    >>> full_fraction_by_step(t)[["pct_full_load", "pct_full_pool", "enrichment"]]
       pct_full_load  pct_full_pool  enrichment
    0           20.0           70.0         3.5
    """
    amounts = step_amounts(table, source)
    name = amounts.attrs["source"]
    g = _select(amounts, genome, "genome").set_index("step")
    c = _select(amounts, capsid, "capsid").set_index("step")
    common = [s for s in g.index if s in c.index]
    if not common:
        raise InputError(f"{name}: no step has both '{genome}' and '{capsid}' measured")
    rows = []
    for s in common:
        gr, cr = g.loc[s], c.loc[s]
        if not (cr["load_amount"] > 0 and cr["pool_amount"] > 0) or cr["pool_censored"] or gr["pool_censored"]:
            raise InputError(
                f"{name}, step '{s}': percent full needs measured {capsid} and {genome} amounts > 0 in load and pool"
            )
        fl = 100 * gr["load_amount"] / cr["load_amount"]
        fp = 100 * gr["pool_amount"] / cr["pool_amount"]
        flag = "percent full above 100: check assays/units" if max(fl, fp) > 100 else ""
        rows.append(
            {
                "step_number": int(gr["step_number"]),
                "step": s,
                "pct_full_load": fl,
                "pct_full_pool": fp,
                "enrichment": fp / fl if fl > 0 else np.nan,
                "flag": flag if fl > 0 else "no full capsids in load: enrichment undefined",
            }
        )
    return pd.DataFrame(rows)


def estimated_particles_per_dose(harvest_titer: float, harvest_volume_per_dose: float, lrv: float) -> float:
    """Expected virus particles per dose after clearance (ICH Q5A(R1) Appendix 5).

    particles/dose = titer in harvest x harvest volume needed per dose / 10**LRV.

    Parameters
    ----------
    harvest_titer : float
        Measured or estimated virus concentration in the unprocessed harvest (per mL).
    harvest_volume_per_dose : float
        Harvest volume (mL) needed to make one dose.
    lrv : float
        Cumulative log10 clearance of the process.

    Examples
    --------
    >>> estimated_particles_per_dose(1e6, 1e3, 15)
    1e-06
    """
    for pname, val, lo in (("harvest_titer", harvest_titer, 0.0), ("harvest_volume_per_dose", harvest_volume_per_dose, 0.0)):
        if isinstance(val, bool) or not isinstance(val, (int, float)) or not math.isfinite(val) or val <= lo:
            raise InputError(f"parameter '{pname}': expected a number > 0, got {val!r}")
    if isinstance(lrv, bool) or not isinstance(lrv, (int, float)) or not math.isfinite(lrv):
        raise InputError(f"parameter 'lrv': expected a finite number, got {lrv!r}")
    return float(harvest_titer * harvest_volume_per_dose / 10.0**lrv)


# --------------------------------------------------------------------------- purification table
def purification_table(
    table: pd.DataFrame | str | Path,
    activity: str = "activity",
    protein: str = "protein",
    *,
    start_label: str = "starting material",
    source: str | None = None,
) -> pd.DataFrame:
    """Classic enzyme/protein purification table: total protein and activity, specific activity,
    yield and fold purification per step.

    The step table carries two attributes per step: the biological ``activity`` (e.g.
    ``conc_unit`` ``U/mL`` or ``IU/mL``) and total ``protein`` (a mass per volume, e.g.
    ``mg/mL``).  The first row is the first step's load (the starting material); then one row
    per step's pool.  Specific activity = total activity / total protein; yield = activity /
    starting activity x 100 (cumulative, as printed in purification tables); purification
    (fold) = specific activity / starting specific activity.  Berg, Tymoczko & Stryer,
    *Biochemistry* 5th ed. (2002), Table 4.1.

    Parameters
    ----------
    table : DataFrame or path
        Step table (see the module docstring) with rows for both attributes at every step.
    activity, protein : str
        Attribute names of the activity and the total protein.
    start_label : str
        Label of the first row.
    source : str, optional
        Table name for messages.

    Returns
    -------
    DataFrame
        ``step, total_protein, protein_unit, total_activity, activity_unit, specific_activity,
        specific_activity_unit, yield_pct, purification_fold, step_yield_pct, step_purification_fold``.

    Raises
    ------
    InputError
        An attribute missing at a step, protein not given as a mass per volume, activity given
        as a mass, or a zero protein amount (the row is named).

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"step": ["IEX", "IEX"], "attribute": ["activity", "protein"],
    ...     "volume_unit": "mL", "conc_unit": ["U/mL", "mg/mL"], "load_volume": 100,
    ...     "load_conc": [50, 10], "pool_volume": 20, "pool_conc": [200, 2]})
    >>> purification_table(t)[["step", "specific_activity", "yield_pct", "purification_fold"]]
                    step  specific_activity  yield_pct  purification_fold
    0  starting material                5.0      100.0                1.0
    1                IEX              100.0       80.0               20.0
    """
    amounts = step_amounts(table, source)
    name = amounts.attrs["source"]
    act = _select(amounts, activity, "activity").set_index("step")
    prot = _select(amounts, protein, "protein").set_index("step")
    steps = list(dict.fromkeys(amounts["step"]))
    for label, sel in ((activity, act), (protein, prot)):
        missing = [s for s in steps if s not in sel.index]
        if missing:
            raise InputError(
                f"{name}: attribute '{label}' has no row for step(s) " + ", ".join(f"'{s}'" for s in missing)
                + "; a purification table needs activity and protein at every step"
            )
        if not sel.index.is_unique:
            dup = sel.index[sel.index.duplicated()][0]
            raise InputError(f"{name}: attribute '{label}' has more than one row for step '{dup}'")
    p_unit, a_unit = str(prot["amount_unit"].iat[0]), str(act["amount_unit"].iat[0])
    ureg = registry()
    mass = ureg.Quantity(1, "g").dimensionality
    if parse_unit(p_unit).dimensionality != mass:
        raise InputError(
            f"{name}, column 'conc_unit', {describe_rows(prot['row'].iloc[:1])}: protein '{protein}' is in "
            f"{p_unit!r} amounts, expected a mass per volume such as 'mg/mL'"
        )
    if parse_unit(a_unit).dimensionality == mass:
        raise InputError(
            f"{name}, column 'conc_unit', {describe_rows(act['row'].iloc[:1])}: activity '{activity}' is a mass "
            f"({a_unit!r}); expected activity units per volume such as 'U/mL' or 'IU/mL'"
        )
    for label, sel in ((activity, act), (protein, prot)):
        cens = sel["pool_censored"] | sel["load_censored"]
        if cens.any():
            raise InputError(
                f"{name}, column 'pool_qualifier', {describe_rows(sel.loc[cens, 'row'])}: {label} below the LOQ; "
                "specific activity and purification are undefined"
            )
    zero = prot["pool_amount"] <= 0
    if zero.any() or prot["load_amount"].iat[0] <= 0:
        rows = prot.loc[zero, "row"] if zero.any() else prot["row"].iloc[:1]
        raise InputError(
            f"{name}, column 'pool_conc', {describe_rows(rows)}: protein '{protein}' amount is 0; "
            "specific activity is undefined"
        )
    if act["load_amount"].iat[0] <= 0:
        raise InputError(
            f"{name}, column 'load_conc', {describe_rows(act['row'].iloc[:1])}: starting activity is 0; "
            "yield and purification are undefined"
        )
    first = steps[0]
    total_a = np.array([act.at[first, "load_amount"]] + [act.at[s, "pool_amount"] for s in steps], dtype=float)
    total_p = np.array([prot.at[first, "load_amount"]] + [prot.at[s, "pool_amount"] for s in steps], dtype=float)
    sa = total_a / total_p
    a_in = np.array([np.nan] + [act.at[s, "load_amount"] for s in steps], dtype=float)
    p_in = np.array([np.nan] + [prot.at[s, "load_amount"] for s in steps], dtype=float)
    out = pd.DataFrame({
        "step": [str(start_label)] + steps,
        "total_protein": total_p,
        "protein_unit": p_unit,
        "total_activity": total_a,
        "activity_unit": a_unit,
        "specific_activity": sa,
        "specific_activity_unit": f"{a_unit}/{p_unit}",
        "yield_pct": 100 * total_a / total_a[0],
        "purification_fold": sa / sa[0],
        "step_yield_pct": 100 * total_a / a_in,
        "step_purification_fold": sa / (a_in / p_in),
    })
    out.attrs.update(source=name, activity=activity, protein=protein)
    return out
