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
# # Worked example: release, specification setting and shelf life
#
# This notebook walks through pdkit's quality tools end to end on the bundled sample data:
#
# 1. **Release against a specification**: a plasmid DNA specification kept as YAML, four lots
#    evaluated against it (a failing lot, a `<LOQ` result, a missing test, a unit conversion),
#    USP General Notices 7.20 rounding, and a certificate of analysis.
# 2. **Setting specifications from development lots**: normality, normal tolerance intervals
#    (exact vs Howe), capability with confidence intervals, a limit proposal, and an I-MR chart
#    with Nelson run rules that finds a drift.
# 3. **Shelf life (ICH Q1E)**: poolability by ANCOVA, model selection, shelf life, the two
#    conventions for separate slopes, and the extrapolation check.
#
# A published worked example (NIST/SEMATECH e-Handbook 7.2.6.3) is reproduced along the way.
#
# **All sample data are SYNTHETIC** (see the README in each `data_samples/` folder for the ground
# truth and the generator). The same analyses run as reports with the templates
# `release_evaluation`, `spec_setting` and `stability_shelf_life` (`pdkit run <template>`).

# %%
import warnings

import numpy as np
import pandas as pd
from IPython.display import HTML, display

import pdkit.plots
from pdkit import stats, trending
from pdkit.io.tables import read_table
from pdkit.certificate import certificate_filename, certificate_html
from pdkit.plots.stability import stability_figure
from pdkit.plots.trending import capability_figure, imr_figure
from pdkit.record import record
from pdkit.specs import Specification, evaluate_lots, load_spec, round_half_up
from pdkit.stability import ExtrapolationWarning, shelf_life

pdkit.plots.setup()

# %% [markdown]
# ## 1. Release against a specification
#
# ### The specification
#
# A specification is data: a YAML file with product, version, effective date and, per attribute,
# the method, unit, criterion (`>=`, `<=`, `range`, `conforms`, `report`) and limits.
# `load_spec` validates it (pydantic) and reports mistakes with the file and line. The
# `decimals` column is the reporting precision pdkit derives from each limit *as written*
# (`90.0` -> 1 decimal place, `10` -> 0).

# %% tags=["nbval-check-output"]
spec = load_spec("../data_samples/specs/plasmid_gmp_spec.yaml")
print(f"{spec.product}, version {spec.version}, effective {spec.effective_date:%Y-%m-%d}")
spec_table = pd.DataFrame([
    {"attribute": a.name, "criterion": a.criterion_text, "unit": a.unit,
     "decimals": "" if a.rounding_decimals is None else a.rounding_decimals,
     "loq": "" if a.loq is None else str(a.loq)}
    for a in spec.attributes
])
print(spec_table.to_string(index=False))

# %% [markdown]
# ### USP General Notices 7.20: round first, then compare
#
# USP General Notices 7.20 rounds a result to the places of the limit, **half up** (a final 5
# always rounds up), and only then compares it with the limit. Python's `round()` rounds half to
# even on binary floats, which is not the USP rule. The three rows for the limit `≥ 98.0 %` of
# the table of examples in USP 7.20 (unrounded 97.96 / 97.92 / 97.95 %, rounded 98.0 / 97.9 / 98.0 %,
# conforms yes / no / yes) reproduced with a one-attribute specification:

# %% tags=["nbval-check-output"]
assay_spec = Specification.from_dict({
    "product": "USP 7.20 example", "version": "1", "effective_date": "2025-01-15",
    "attributes": [{"name": "assay", "method": "HPLC", "unit": "%", "criterion": ">=", "limit": "98.0"}],
})
published = pd.DataFrame({"lot": ["a", "b", "c"], "attribute": "assay", "unit": "%",
                          "value": ["97.96", "97.92", "97.95"],
                          "usp_rounded": ["98.0", "97.9", "98.0"], "usp_conforms": ["yes", "no", "yes"]})
usp = evaluate_lots(published, assay_spec).results
print(published.assign(pdkit_reported=usp["reported"], pdkit_result=usp["result"])
      .drop(columns=["attribute", "unit"]).to_string(index=False))
print()
print(f"round(0.125, 2) = {round(0.125, 2)}   round_half_up(0.125, 2) = {round_half_up(0.125, 2)}")

# %% [markdown]
# ### Four lots
#
# `data_samples/release/plasmid_release_synthetic.csv` holds one row per lot and test (the README
# lists the deliberate scenarios). A lot is releasable only when every test is reported and none
# failed; a test without a result is *missing*, never a pass.

# %% tags=["nbval-check-output"]
evaluation = evaluate_lots("../data_samples/release/plasmid_release_synthetic.csv", spec)
print(evaluation.dispositions.to_string(index=False))

# %% [markdown]
# The results that needed a decision, with the note pdkit writes next to each:
#
# * **PD-24-002**: supercoiled 86.42 % is reported as 86.4 % and fails `≥ 90.0`;
# * **PD-24-003**: host protein `<LOQ` takes the LOQ from the specification (0.5 µg/mg) and is
#   *censored*: `< 0.5` passes `≤ 10` because every value below 0.5 does (against a lower limit
#   a censored result could not pass). Its host gDNA was reported as 2710 ng/mg; it is converted to
#   2.71 µg/mg and rounded to the limit's precision (`10` -> whole numbers), giving 3;
# * **PD-24-004**: no sterility result, so the lot is *incomplete*, not releasable.

# %% tags=["nbval-check-output"]
res = evaluation.results
special = res[(res["result"] != "pass") | (res["note"] != "")]
print(special[["lot", "attribute", "reported", "unit", "criterion", "result", "note"]].to_string(index=False))

# %% [markdown]
# ### Certificate of analysis
#
# `certificate_html` renders one lot as a self-contained, print-ready HTML page (A4, inline CSS,
# signature lines for QC and QA); `write_certificates` writes one file per lot (the
# `release_evaluation` report does this). Here the certificate of lot PD-24-003 is shown in a
# frame. It reads no clock, so re-running gives the same file.

# %%
coa = certificate_html(evaluation, "PD-24-003", spec, organisation="Example Biologics (synthetic)",
                       issue_date="2025-03-20")
display(HTML('<div><iframe style="width:100%;height:640px;border:1px solid #ccc" srcdoc="'
             + coa.replace("&", "&amp;").replace('"', "&quot;") + '"></iframe></div>'))

# %% tags=["nbval-check-output"]
print(certificate_filename("PD-24-003"))
for text in ("Lot PD-24-003 meets specification", "Date of issue</td><td>2025-03-20", "Quality Assurance", "Signature"):
    print(f"{text!r} in certificate: {text in coa}")

# %% [markdown]
# ## 2. Setting specifications from development lots
#
# `data_samples/spec_setting/plasmid_dev_lots_synthetic.csv`: 30 development lots (manufacturing
# order) x 4 attributes. Ground truth (README): concentration normal 2.00 ± 0.05 mg/mL (stable);
# A260/280 normal 1.81 ± 0.012 reported to 2 decimals; endotoxin lognormal; supercoiled 94.0 ±
# 0.8 % for lots 1-18, then the mean falls 0.35 % per lot.

# %% tags=["nbval-check-output"]
lots = read_table("../data_samples/spec_setting/plasmid_dev_lots_synthetic.csv", what="development lots")
series = {a: g.set_index("lot")["value"] for a, g in lots.groupby("attribute", sort=False)}
overview = pd.DataFrame({"n": [len(x) for x in series.values()], "mean": [x.mean() for x in series.values()],
                         "sd": [x.std() for x in series.values()]}, index=list(series))
print(overview.round(4).to_string())

# %% [markdown]
# ### Normality
#
# Normal-theory tolerance intervals and capability indices need approximately normal data.
# Shapiro-Wilk and Anderson-Darling both accept only the concentration. The reasons differ, and
# the notes say what to do: supercoiled drifts (see the I-MR chart below), endotoxin is
# right-skewed (analyse log10), and A260/280 has so many ties that the tests reject on rounding
# alone.

# %% tags=["nbval-check-output"]
norm = {a: stats.normality(x, alpha=0.05) for a, x in series.items()}
print(pd.DataFrame({a: {"shapiro_w": r.shapiro_w, "shapiro_p": r.shapiro_p, "anderson_a2": r.anderson_a2,
                        "anderson_p": r.anderson_p, "normal": r.normal} for a, r in norm.items()}).T
      .astype({"shapiro_w": float, "shapiro_p": float, "anderson_a2": float, "anderson_p": float})
      .round(4).to_string())
print()
print("endotoxin:", norm["endotoxin"].note)

# %% [markdown]
# ### Tolerance interval: exact vs Howe
#
# A two-sided normal tolerance interval `mean ± k·s` covering 99 % of lots with 95 % confidence.
# The exact `k` solves the Odeh/Owen integral (the values tabulated in ISO 16269-6); Howe's (1969)
# approximation, and Guenther's correction of it, are close for n = 30:

# %% tags=["nbval-check-output"]
conc = series["concentration"]
tis = {m: stats.tolerance_interval(conc, coverage=0.99, confidence=0.95, method=m)
       for m in ("exact", "howe", "guenther")}
print(pd.DataFrame({m: {"k": t.k, "lower": t.lower, "upper": t.upper} for m, t in tis.items()}).T
      .round(4).to_string())

# %% [markdown]
# ### Published example: NIST/SEMATECH e-Handbook 7.2.6.3
#
# To build trust in the tolerance factors, pdkit's values are printed next to published ones. The
# e-Handbook's worked example (section 7.2.6.3, *Tolerance intervals for a normal distribution*)
# uses N = 43, coverage p = 0.90 and confidence γ = 0.99 and prints k2 = 2.2173 (two-sided, Howe's
# approximation) and k1 = 1.8752 (one-sided, from the approximation given there; pdkit computes
# the exact noncentral-t value, which differs in the third decimal). The exact two-sided factors are checked against Berthouex &
# Brown, *Statistics for Environmental Engineers*, 2nd ed. (2002), Table 21.1 (n = 10, confidence
# 0.95: 2.86, 3.39, 4.44 for coverage 0.90, 0.95, 0.99). The test suite checks these and more
# (`tests/test_stats.py`).

# %% tags=["nbval-check-output"]
trust = pd.DataFrame([
    ("NIST 7.2.6.3, k2 (Howe), N=43, p=0.90, g=0.99", "2.2173", stats.tolerance_factor(43, 0.90, 0.99, method="howe")),
    ("Berthouex & Brown T21.1, n=10, p=0.90, g=0.95", "2.86", stats.tolerance_factor(10, 0.90, 0.95)),
    ("Berthouex & Brown T21.1, n=10, p=0.95, g=0.95", "3.39", stats.tolerance_factor(10, 0.95, 0.95)),
    ("Berthouex & Brown T21.1, n=10, p=0.99, g=0.95", "4.44", stats.tolerance_factor(10, 0.99, 0.95)),
], columns=["case", "published", "k"])
decimals = trust["published"].str.split(".").str[1].str.len()
trust["pdkit, as printed"] = [f"{k:.{d}f}" for k, d in zip(trust["k"], decimals)]
trust["agrees"] = trust["pdkit, as printed"] == trust["published"]
trust["pdkit, 6 decimals"] = trust.pop("k").map("{:.6f}".format)
print(trust.to_string(index=False))
k1 = stats.tolerance_factor(43, 0.90, 0.99, sided="upper")
print(f"one-sided: NIST prints k1 = 1.8752 (an approximation); the exact noncentral-t value is {k1:.4f}")

# %% [markdown]
# ### Capability with confidence intervals
#
# Against the current concentration specification 1.80-2.20 mg/mL. Cp/Cpk use the within
# (lot-to-lot moving range) sigma, Pp/Ppk the overall SD; the intervals are chi-square (Cp, Pp)
# and Bissell (Cpk, Ppk). With 30 lots the lower confidence limit of Cpk is about 0.9 although the
# estimate is above 1.2: 30 lots do not demonstrate Cpk ≥ 1.33.

# %% tags=["nbval-check-output"]
cap = stats.capability(conc, lsl=1.80, usl=2.20, confidence=0.95)
print(f"sigma within {cap.sigma_within:.4f}, overall {cap.sigma_overall:.4f} mg/mL; "
      f"expected out of spec {cap.ppm_expected_overall:.3g} ppm")
print(cap.table().round(3).to_string(index=False))

# %%
pdkit.plots.show(capability_figure(conc, cap, value_label="concentration (mg/mL)"))

# %% [markdown]
# ### Proposed limits
#
# `spec_proposal` rounds the tolerance limits *outward* to the reporting precision (here that of
# the data, 0.01 mg/mL) and shows the capability each set of limits implies and the lots outside
# them. For right-skewed endotoxin the analysis is done on log10 values and the upper limit is
# back-transformed.

# %% tags=["nbval-check-output"]
proposal = stats.spec_proposal(conc, lsl=1.80, usl=2.20, coverage=0.99, confidence=0.95)
log_endo = np.log10(series["endotoxin"])
endo = stats.tolerance_interval(log_endo, coverage=0.99, confidence=0.95, sided="upper")
endo_normal = stats.normality(log_endo).normal
print(proposal.drop(columns=["coverage", "confidence"]).round(4).to_string(index=False))
print()
print(f"endotoxin: log10 normal? {endo_normal}; 99 %/95 % upper tolerance limit "
      f"{10 ** endo.upper:.2f} EU/mg (current limit 10 EU/mg)")

# %% [markdown]
# ### Trend before you set limits: I-MR chart with Nelson rules
#
# Limits computed on drifting data describe the drift. The individuals chart of supercoiled with
# control limits from the first 15 lots shows the drift the ground truth put in from lot 19: the
# Nelson rules fire from PD-2424 on (rule 1: beyond 3 sigma; 2: nine on one side; 5: two of three
# beyond 2 sigma; 6: four of five beyond 1 sigma; 8: eight beyond 1 sigma).

# %% tags=["nbval-check-output"]
sc = series["supercoiled"]
chart = trending.imr_chart(sc, rules="nelson", baseline=15)
print(f"centre {chart.center:.3f} %, LCL {chart.lcl:.3f} %, UCL {chart.ucl:.3f} %, "
      f"MR-bar {chart.mr_center:.4f}, MR UCL {chart.mr_ucl:.4f}")
by_lot = chart.signals.groupby("label", sort=False)["rule"].apply(lambda r: ", ".join(map(str, sorted(set(r)))))
print(by_lot.rename("Nelson rules").to_string())
print(f"first signal: {by_lot.index[0]}; lots below 90.0 %: {', '.join(sc[sc < 90.0].index) or 'none'}")

# %%
pdkit.plots.show(imr_figure(chart, value_label="supercoiled (%)", title="Supercoiled: individuals chart (limits from lots 1-15)"))

# %% [markdown]
# ## 3. Shelf life from stability data (ICH Q1E)
#
# `data_samples/stability/aav_stability_synthetic.csv`: an AAV drug product at 5 °C, four batches
# pulled at 0-24 months (AAV-DP-004 to 18 months). Ground truth (README): potency intercepts 101,
# 98, 103, 100 % with a common slope of -1 %/month; aggregates with *different* slopes.
#
# ### Potency (70-130 %): poolability and model selection
#
# The ANCOVA first tests equal slopes, then equal intercepts, each at 0.25 (ICH Q1E) against the
# full model's mean square error. Slopes pool, intercepts do not: model `dics`, and the batch
# whose two-sided 95 % bound (2.5 % per side, since there are two limits) reaches 70 % first
# decides.

# %% tags=["nbval-check-output"]
stab = read_table("../data_samples/stability/aav_stability_synthetic.csv", what="stability data")
potency = shelf_life(stab, "month", "potency_pct", "batch", lower=70, upper=130)
print(potency.ancova[["test", "source", "df", "F", "df_resid", "p_value", "poolable", "used"]].round(4).to_string(index=False))
print()
print(potency.notes[0])
print(potency.model_comparison.round(2).to_string(index=False))
print(f"shelf life {potency.shelf_life:.2f} months (model {potency.model}, {potency.limit_crossed} limit, "
      f"worst batch {potency.worst_batch})")

# %%
pdkit.plots.show(stability_figure(potency, stab, time_unit="months", response_label="potency (% of reference)"))

# %% [markdown]
# ### Aggregates (≤ 3.0 %): separate slopes, two conventions, extrapolation
#
# The slopes differ, so each batch has its own line (`dids`). Two conventions exist for the
# confidence bound: JMP fits each batch on its own (own residual SD, n - 2 degrees of freedom;
# `dids_method="individual"`, the default), while LeBlond, Griffith & Aubuchon (2011) keep the
# full model's pooled mean square error (`"pooled_mse"`, 19 degrees of freedom here). They give
# slightly different shelf lives. The individual fit reaches just past the 24 months tested, so
# pdkit warns: ICH Q1E limits extrapolation, and ICH Q5C expects real-time data for biological
# products such as AAV, so a claim should not exceed 24 months.

# %% tags=["nbval-check-output"]
aggregates, n_warnings = {}, {}
for method in ("individual", "pooled_mse"):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ExtrapolationWarning)
        aggregates[method] = shelf_life(stab, "month", "aggregates_pct", "batch", upper=3.0, dids_method=method)
    n_warnings[method] = len(caught)
for method, r in aggregates.items():
    print(f"{method:>10}: model {r.model}, shelf life {r.shelf_life:.2f} months, worst batch {r.worst_batch}, "
          f"bound df {r.per_batch.set_index('batch').loc[r.worst_batch, 'df']:g}, "
          f"beyond data: {r.extrapolation.beyond_data}, warnings: {n_warnings[method]}")
print()
print(aggregates["individual"].per_batch.round(4).to_string(index=False))
print()
print(aggregates["individual"].extrapolation.message)

# %%
pdkit.plots.show(stability_figure(aggregates["individual"], stab, time_unit="months", response_label="aggregates (%)"))

# %% [markdown]
# ### Does the analysis recover the ground truth?
#
# The true mean of each batch crosses its limit at `(limit - intercept) / slope`. The estimated
# shelf lives are earlier, as they should be: the shelf life uses a 95 % confidence bound on the
# mean, not the mean itself.

# %% tags=["nbval-check-output"]
truth = read_table("../data_samples/stability/stability_truth_synthetic.csv", what="stability truth")
truth = truth[truth["dataset"] == "aav"].set_index(["attribute", "batch"])
for attr, limit, result in (("potency_pct", 70.0, potency), ("aggregates_pct", 3.0, aggregates["individual"])):
    t = truth.loc[attr]
    true_cross = (limit - t["intercept"]) / t["slope_per_month"]
    print(f"{attr}: true slope(s) {', '.join(f'{s:g}' for s in t['slope_per_month'])}; estimated "
          f"{', '.join(f'{s:.3f}' for s in result.per_batch['slope'])} per month")
    print(f"  true mean reaches {limit:g} first in {true_cross.idxmin()} at {true_cross.min():.1f} months; "
          f"estimated shelf life {result.shelf_life:.1f} months ({result.worst_batch})")

# %% [markdown]
# ## Recorded results
#
# Key numbers are recorded with `pdkit.record.record` so that tests and batch summaries can read
# them from the executed notebook (`pdkit.record.read_records`).

# %%
record("dispositions", dict(zip(evaluation.dispositions["lot"], evaluation.dispositions["disposition"])))
record("concentration_k_exact", tis["exact"].k)
record("concentration_k_howe", tis["howe"].k)
record("nist_7_2_6_3_k2_howe", stats.tolerance_factor(43, 0.90, 0.99, method="howe"))
record("concentration_cpk", cap.cpk)
record("concentration_cpk_ci", list(cap.cpk_ci))
record("concentration_proposed", proposal.set_index("basis").loc["proposed", ["lower", "upper"]].tolist())
record("supercoiled_first_signal", str(by_lot.index[0]))
record("potency_model", potency.model)
record("potency_shelf_life_months", potency.shelf_life)
record("aggregates_shelf_life_months", {m: r.shelf_life for m, r in aggregates.items()})
