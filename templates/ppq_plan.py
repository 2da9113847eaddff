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
# # PPQ sampling plan
#
# Plans the process performance qualification (PPQ) acceptance criterion for one critical quality
# attribute: each PPQ batch gives `n` results and passes when the interval mean +- k s (a prediction,
# tolerance or confidence interval) lies within the specification. From development results (or an
# assumed mean and standard deviation) the report gives the multiplier k, the probability that one
# batch and that all PPQ batches pass, and operating-characteristic curves and a pass-probability map
# over plausible means and standard deviations (Burdick et al. 2017, ch. 6; the R package PPQplan).
# A low probability of passing with a capable process means the plan is too strict, not the process
# too poor: choose n, the interval or the number of batches with these curves before the protocol is
# approved.

# %% tags=["parameters"]
data: str = "data_samples/spec_setting/plasmid_dev_lots_synthetic.csv"  # Development results with columns lot, attribute, value (estimate the process mean and SD) {file: csv, xlsx}
attribute: str = "supercoiled"  # Attribute to plan for (a name in the attribute column) {value: data.attribute}
lower: float | None = 90.0  # Lower specification limit (None if none)
upper: float | None = None  # Upper specification limit (None if none) {above: lower}
n: int = 10  # Results per PPQ batch (e.g. sampling locations or time points) {range: [2, 1000]}
n_batches: int = 3  # PPQ batches that must all pass {range: [1, 20]}
interval: str = "prediction"  # Acceptance interval mean +- k s {choices: prediction, tolerance, confidence}
alpha: float = 0.05  # 1 - confidence level of the interval {range: (0, 0.5)}
coverage: float = 0.99  # Proportion of results covered (tolerance interval only) {range: (0, 1)}
mu: float | None = None  # Assumed process mean (None: the mean of the development results)
sigma: float | None = None  # Assumed process SD (None: the SD of the development results) {range: (0, ]}

# %%
from pdkit.params import check_parameters
P = check_parameters("ppq_plan", globals())

# %% [markdown]
# ## Development results
#
# The results of the attribute that estimate the process mean and standard deviation (unless both
# are given as parameters).

# %%
import numpy as np
import pandas as pd
from IPython.display import Markdown, display

import pdkit.plots
from pdkit import ppq
from pdkit.io.tables import numeric_column, read_table, require_columns
from pdkit.errors import InputError
from pdkit.escape import md
from pdkit.plots.ppq import oc_curves, pass_probability_map
from pdkit.record import record
pdkit.plots.setup()  # bokeh inline, and tables that never hide rows or cut text

if P.lower is None and P.upper is None:
    raise InputError("parameters 'lower' and 'upper': no specification limit given; set lower, upper or both")
table = read_table(P.data, what="development results")
require_columns(table, ["attribute", "value"])
rows = table[table["attribute"].astype(str).str.strip() == P.attribute]
values = numeric_column(rows, "value")
mean_dev, sd_dev = float(values.mean()), float(values.std(ddof=1)) if len(values) > 1 else float("nan")
mu = P.mu if P.mu is not None else mean_dev
sigma = P.sigma if P.sigma is not None else sd_dev
if not np.isfinite(sigma) or sigma <= 0:
    raise InputError(f"parameter 'sigma': the development results of {P.attribute!r} give no positive SD; set sigma")
display(pd.DataFrame({"results": [len(values)], "mean": [mean_dev], "sd": [sd_dev],
                      "assumed mean": [mu], "assumed sd": [sigma]}).round(4))
display(Markdown(f"Attribute **{md(P.attribute)}**; specification "
                 f"{'>= ' + format(P.lower, 'g') if P.lower is not None else ''}"
                 f"{' and ' if P.lower is not None and P.upper is not None else ''}"
                 f"{'<= ' + format(P.upper, 'g') if P.upper is not None else ''}."))
record("n_development_results", int(len(values)))
record("assumed_mean", mu)
record("assumed_sd", sigma)

# %% [markdown]
# ## Acceptance criterion
#
# The multiplier k of mean +- k s for the chosen interval (prediction interval for one future result:
# k = t(1 - a, n - 1) sqrt(1 + 1/n), a = alpha/2 two-sided), for the planned n and for other sample
# sizes; and the probability that a single result meets the specification.

# %%
sided = "two" if P.lower is not None and P.upper is not None else ("lower" if P.lower is not None else "upper")
k = ppq.ppq_multiplier(P.n, P.interval, P.alpha, sided, P.coverage)
sizes = sorted({5, 10, 15, 20, 30, P.n})
display(pd.DataFrame({"n": sizes, "k": [ppq.ppq_multiplier(m, P.interval, P.alpha, sided, P.coverage)
                                        for m in sizes]}).round(4))
p_result = ppq.spec_pass_probability(mu, sigma, P.lower, P.upper)
display(Markdown(f"k = **{k:.4f}** for n = {P.n} ({P.interval} interval, {sided}-sided, alpha = {P.alpha:g}); "
                 f"probability that one result meets the specification: {p_result:.5f}."))
record("k", k)
record("p_single_result", p_result)

# %% [markdown]
# ## Probability of passing
#
# At the assumed mean and standard deviation: one batch, and all PPQ batches (independent batches).

# %%
p1 = ppq.ppq_pass_probability(mu, sigma, P.n, P.lower, P.upper, k=k)
pall = ppq.ppq_pass_probability(mu, sigma, P.n, P.lower, P.upper, k=k, n_batches=P.n_batches)
display(pd.DataFrame({"batches": [1, P.n_batches], "probability of passing": [p1, pall]}).round(4))
display(Markdown(f"**Probability that all {P.n_batches} PPQ batches pass: {pall:.3f}.**"))
record("p_pass_one_batch", p1)
record("p_pass_all_batches", pall)

# %% [markdown]
# ## Operating characteristic curves
#
# Probability that all PPQ batches pass against the process standard deviation, for several process
# means (left) and sample sizes at the assumed mean (right).

# %%
sig = np.round(np.linspace(0.25, 2.5, 19) * sigma, 10)
lo_ref = P.lower if P.lower is not None else mu - 4 * sigma
hi_ref = P.upper if P.upper is not None else mu + 4 * sigma
means = sorted({round(mu, 10)} | {round(v, 10) for v in np.linspace(lo_ref, hi_ref, 7)[1:-1]})
grid_mu = ppq.ppq_grid(means, sig, P.n, P.lower, P.upper, n_batches=P.n_batches, interval=P.interval,
                       alpha=P.alpha, coverage=P.coverage)
grid_n = ppq.ppq_grid([mu], sig, sorted({5, 10, 20, P.n}), P.lower, P.upper, n_batches=P.n_batches,
                      interval=P.interval, alpha=P.alpha, coverage=P.coverage)
pdkit.plots.show(oc_curves(grid_mu, by="mu"))
pdkit.plots.show(oc_curves(grid_n, by="n"))
display(grid_n.pivot_table(index="sigma", columns="n", values="probability").round(3))
good = grid_n[(grid_n["n"] == P.n) & (grid_n["probability"] >= 0.9)]
largest = float(good["sigma"].max()) if len(good) else None
display(Markdown("Largest process SD (of those shown) at which all batches pass with probability >= 0.9: "
                 + (f"{largest:.4g}." if largest is not None else "none.")))
record("largest_sd_p_pass_90", largest)

# %% [markdown]
# ## Pass-probability map
#
# Probability that all PPQ batches pass over process means and standard deviations for the planned n.

# %%
heat = ppq.ppq_grid(np.linspace(lo_ref, hi_ref, 31), np.linspace(0.1, 2.5, 21) * sigma, P.n, P.lower, P.upper,
                    n_batches=P.n_batches, interval=P.interval, alpha=P.alpha, coverage=P.coverage)
pdkit.plots.show(pass_probability_map(heat))
