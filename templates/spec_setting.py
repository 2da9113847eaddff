# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.7
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Specification setting from development lots
#
# Proposes acceptance limits for one or all quality attributes from development/GMP lot results:
# checks normality, computes a normal tolerance interval (exact Odeh/Owen factor by default, ISO
# 16269-6), rounds it outward to a reporting precision, shows the capability (Cpk/Ppk) the proposed
# and current limits imply, lists lots that would fail, and trends the lots on an I-MR chart with
# run rules so that drifts are seen before limits are set on them. Statistical limits are a
# starting point: clinical relevance, regulatory minima and assay capability decide the final
# specification.

# %% tags=["parameters"]
data: str = "data_samples/spec_setting/plasmid_dev_lots_synthetic.csv"  # Development lots table with columns lot, attribute, value, unit {file: csv, xlsx}
attribute: str = "all"  # Attribute to analyse (a name in the attribute column), or all {value: data.attribute, all}
coverage: float = 0.99  # Proportion of the population the tolerance interval covers {range: (0, 1)}
confidence: float = 0.95  # Confidence level of the tolerance interval {range: (0, 1)}
sided: str = "spec"  # Tolerance interval sides; spec: from each attribute's current criterion (>= lower, <= upper, else two) {choices: spec, two, lower, upper}
method: str = "exact"  # Tolerance limits: normal k-factor method (two-sided), or nonparametric order statistics (needs >= 59 lots one-sided, 93 two-sided at 95 %/95 %) {choices: exact, howe, guenther, nonparametric}
transform: str = "none"  # log10: tolerance interval on log10 values, back-transformed (titers, impurities); applies to every selected attribute, so with attribute=all each needs values > 0: run a log-normal attribute on its own (attribute=NAME) {choices: none, log10}
sig_figs: int | None = None  # Significant figures of the proposed limits (None: the data's reporting step; 2-3 figures for titer-like data); precision wins {range: [1, 6]}
lower_bound: float | None = 0.0  # Physical lower bound (spec 'bounds' win); a limit below it is clipped with a note (None: none)
upper_bound: float | None = None  # Physical upper bound, e.g. 100 for a percentage (spec 'bounds' win) {above: lower_bound}
date: str | None = None  # Date column ordering the I-MR chart and the capability run rules (None: file order; with a mapping its date column is called date and written %Y-%m-%d) {column: data} {needs: date_format}
date_format: str | None = None  # strptime format of the date column, e.g. %Y-%m-%d or %d.%m.%Y (required with date; never guessed)
mapping: str | None = None  # Column mapping YAML for a lab export (pdkit.mapping; None: the file is in the long layout) {file: yaml}
spec: str | None = "data_samples/specs/plasmid_gmp_spec.yaml"  # Current specification to compare with (None if none) {file: yaml}
lsl: float | None = None  # Current lower limit; overrides spec (single attribute only)
usl: float | None = None  # Current upper limit; overrides spec (single attribute only) {above: lsl}
precision: float | None = None  # Reporting step of the proposed limits, e.g. 0.1 (None: from the data) {range: (0, ]}
baseline: int | None = 15  # Number of first lots that set the I-MR limits (None: all lots) {range: [3, ]}
rules: str = "nelson"  # Run rules for the I-MR chart {choices: nelson, western_electric}
alpha: float = 0.05  # Significance level of the normality tests {range: (0, 0.5]}

# %%
from pdkit.params import check_parameters
P = check_parameters("spec_setting", globals())

# %% [markdown]
# ## Data
#
# One result per lot and attribute; current limits come from `spec` (or `lsl`/`usl`).

# %%
import pandas as pd
import pdkit.plots
from IPython.display import Markdown, display
from pdkit.contracts import load_table
from pdkit.errors import InputError
from pdkit.escape import md
from pdkit.record import record
from pdkit import stats, trending
from pdkit.plots.trending import imr_figure, capability_figure

pdkit.plots.setup()
loaded = load_table("spec_setting", P.data, P, mapping=P.mapping)  # the template's input contract, through the mapping if given
table = loaded.table.copy()
if P.date is not None:
    if P.date not in table.columns:
        raise InputError(f"parameter 'date': no column {P.date!r} in the table read from {P.data.name} "
                         f"(columns: {', '.join(map(str, table.columns))})")
    if not pd.api.types.is_datetime64_any_dtype(table[P.date]):
        table[P.date] = trending.parse_dates(table[P.date], P.date_format, column=P.date).to_numpy()
available = list(dict.fromkeys(table["attribute"]))
if P.attribute == "all":
    attributes = available
elif P.attribute in available:
    attributes = [P.attribute]
else:
    raise InputError(f"parameter 'attribute': got {P.attribute!r}, expected 'all' or one of {available}")
if len(attributes) > 1 and (P.lsl is not None or P.usl is not None):
    raise InputError("parameters 'lsl'/'usl' apply to a single attribute; set 'attribute' or use 'spec'")

current = {a: (None, None) for a in attributes}
bounds = {a: (P.lower_bound, P.upper_bound) for a in attributes}
spec_units: dict[str, str] = {}
if P.spec is not None:
    from pdkit.specs import load_spec
    specification = load_spec(P.spec)
    for item in specification.attributes:
        if item.name in current:
            lo = item.lower if item.criterion == "range" else item.limit if item.criterion == ">=" else None
            hi = item.upper if item.criterion == "range" else item.limit if item.criterion == "<=" else None
            current[item.name] = (None if lo is None else float(lo), None if hi is None else float(hi))
            spec_units[item.name] = item.unit
            if item.bounds is not None:
                bounds[item.name] = tuple(None if v is None else float(v) for v in item.bounds)
if P.lsl is not None or P.usl is not None:
    current[attributes[0]] = (P.lsl, P.usl)

from pdkit.units import convert  # one unit per attribute: the spec's, else its first row's (GC/mL = vg/mL)
for a in attributes:
    rows = table.index[table["attribute"] == a]
    target = spec_units.get(a) or str(table.at[rows[0], "unit"] if pd.notna(table.at[rows[0], "unit"]) else "")
    for i in rows:
        u = "" if pd.isna(table.at[i, "unit"]) else str(table.at[i, "unit"])
        if u != target:
            where = f"{P.data.name}, column 'unit', row {i + 1}"
            table.at[i, "value"] = float(convert(table.at[i, "value"], u or "dimensionless", target or "dimensionless", where))
            table.at[i, "unit"] = target
series = {a: table.loc[table["attribute"] == a].set_index("lot")["value"] for a in attributes}
dates = {a: (table.loc[table["attribute"] == a, P.date] if P.date else None) for a in attributes}
units = {a: str(table.loc[table["attribute"] == a, "unit"].fillna("").iloc[0]) for a in attributes}
overview = pd.DataFrame({
    "attribute": attributes,
    "unit": [units[a] for a in attributes],
    "n": [len(series[a]) for a in attributes],
    "mean": [series[a].mean() for a in attributes],
    "sd": [series[a].std() for a in attributes],
    "current_lower": [current[a][0] for a in attributes],
    "current_upper": [current[a][1] for a in attributes],
})
record("n_lots", int(table["lot"].nunique()))
display(overview.round(4))

# %% [markdown]
# ## Excluded rows
#
# Rows or cells of the input that are not analysed, each with its reason (a status column, a qualifier
# rule of the mapping, an attribute not selected): nothing is dropped silently.

# %%
if len(loaded.excluded):
    display(loaded.excluded.groupby("reason").size().rename("rows or cells").reset_index())
    display(loaded.excluded)
else:
    display(Markdown(f"No row of {md(P.data.name)} was excluded."))
record("n_excluded", int(len(loaded.excluded)))

# %% [markdown]
# ## Normality
#
# Shapiro-Wilk and Anderson-Darling tests. Normal-theory tolerance intervals and capability
# indices assume normal data; the note says what to do when normality is rejected.

# %%
norm = {a: stats.normality(series[a], alpha=P.alpha) for a in attributes}
display(pd.DataFrame([{"attribute": a, **{k: v for k, v in norm[a].as_dict().items() if k != "note"}}
                      for a in attributes]).round(4))
for a in attributes:
    print(f"{a}: {norm[a].note}")
    record(f"{a}.normal", norm[a].normal)
    record(f"{a}.shapiro_p", norm[a].shapiro_p)

# %% [markdown]
# ## Lot trending (I-MR chart)
#
# Individuals and moving-range chart with limits from the first `baseline` lots and the chosen
# run rules. Signals mean the process changed; limits set on data that include a drift describe
# the drift, not the process.

# %%
charts = {}
for a in attributes:
    b = P.baseline if P.baseline is not None and P.baseline <= len(series[a]) else None
    charts[a] = trending.imr_chart(series[a], rules=P.rules, baseline=b, date=dates[a], date_column=P.date or "date")
    if charts[a].dated:  # date order from here on (tolerance interval, capability run rules)
        series[a] = series[a].iloc[charts[a].points["input_row"].to_numpy() - 1]
        for note in charts[a].notes:
            print(f"{a}: {note}")
        if len(charts[a].ties):
            display(charts[a].ties)
    label = f"{a} ({units[a]})" if units[a] else a
    pdkit.plots.show(imr_figure(charts[a], value_label=label, title=f"{a}: individuals chart"))
    signals = charts[a].signals
    if signals.empty:
        print(f"{a}: no signals")
    else:
        display(signals)
    record(f"{a}.imr_center", charts[a].center)
    record(f"{a}.imr_lcl", charts[a].lcl)
    record(f"{a}.imr_ucl", charts[a].ucl)
    record(f"{a}.n_signals", int(len(signals)))
    record(f"{a}.signal_lots", sorted(set(map(str, signals["label"]))))

# %% [markdown]
# ## Tolerance interval and proposed limits
#
# The tolerance interval covers `coverage` of the population with `confidence`; the proposed limits
# are its ends rounded outward to the reporting precision. The table also shows the Cpk/Ppk the
# limits imply for these lots and which lots fall outside (current limits included if given).

# %%
if P.transform == "log10":  # one transform for every selected attribute: name all that cannot take it at once
    not_positive = [a for a in attributes if (series[a] <= 0).any()]
    if not_positive:
        raise InputError(f"parameter 'transform': log10 needs values > 0, but {', '.join(map(repr, not_positive))} "
                         f"in {P.data.name} {'has' if len(not_positive) == 1 else 'have'} zeros or negatives; analyse the log-normal attribute(s) on their own "
                         f"(attribute=NAME) or use transform=none")
proposals = {}
for a in attributes:
    lo, hi = current[a]
    side = P.sided
    if side == "spec":
        side = "lower" if hi is None and lo is not None else "upper" if lo is None and hi is not None else "two"
    proposals[a] = stats.spec_proposal(series[a], lsl=lo, usl=hi, coverage=P.coverage,
                                       confidence=P.confidence, sided=side, method=P.method,
                                       precision=P.precision, transform=P.transform, sig_figs=P.sig_figs,
                                       bounds=bounds[a], rules=P.rules)
    print(f"{a} ({units[a]}): {side}-sided, {P.method}, scale {P.transform}, "
          f"limits rounded outward to {proposals[a].attrs['rounding']}")
    display(proposals[a].round(4))
    for note in proposals[a].attrs["notes"]:
        print(f"{a}: {note}")
    rows = proposals[a].set_index("basis")
    ti, prop = rows.loc["tolerance interval"], rows.loc["proposed"]
    record(f"{a}.k", float(ti["k"]))
    record(f"{a}.ti_lower", None if pd.isna(ti["lower"]) else float(ti["lower"]))
    record(f"{a}.ti_upper", None if pd.isna(ti["upper"]) else float(ti["upper"]))
    record(f"{a}.proposed_lower", None if pd.isna(prop["lower"]) else float(prop["lower"]))
    record(f"{a}.proposed_upper", None if pd.isna(prop["upper"]) else float(prop["upper"]))
    record(f"{a}.proposed_lots_outside", int(prop["n_outside"]))
    record(f"{a}.proposed_lower_text", prop["lower_text"])
    record(f"{a}.proposed_upper_text", prop["upper_text"])
    record(f"{a}.stable", proposals[a].attrs["stable"])

# %% [markdown]
# ## Capability against the current limits
#
# Cp/Cpk use the within-lot-to-lot sigma (average moving range / 1.128), Pp/Ppk the overall
# standard deviation; confidence intervals are chi-square (Cp, Pp) and Bissell (Cpk, Ppk).
# Common minimum guidance is 1.33 (1.50-1.67 for critical attributes).

# %%
for a in attributes:
    lo, hi = current[a]
    if lo is None and hi is None:
        print(f"{a}: no current limits; capability not computed")
        continue
    cap = stats.capability(series[a], lsl=lo, usl=hi, confidence=P.confidence, rules=P.rules)
    print(f"{a}: {cap.summary()}")  # Cpk/Ppk never bare: the line carries the stability warning
    print(f"{a}: sigma within {cap.sigma_within:.4g}, overall {cap.sigma_overall:.4g}, "
          f"expected out of spec {cap.ppm_expected_overall:.3g} ppm")
    display(cap.table().round(3))
    pdkit.plots.show(capability_figure(series[a], cap, value_label=f"{a} ({units[a]})" if units[a] else a))
    record(f"{a}.cpk", cap.cpk)
    record(f"{a}.ppk", cap.ppk)
    record(f"{a}.ppk_ci", list(cap.ppk_ci))
    record(f"{a}.capability_warning", cap.warning)
