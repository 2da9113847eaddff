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
# # Interactive DoE explorer: prediction profiler, contours and design space
#
# This notebook fits response-surface models to an AAV HEK293 triple-transfection study and
# opens `pdkit.explorer.Explorer`, an interactive prediction profiler in the style of JMP's:
# move a factor's slider and every panel shows at once how the predicted responses change
# along its own factor, with 95 % confidence (and, on request, prediction) bands.
#
# **The data are SYNTHETIC** (`data_samples/doe/README.md` documents the ground truth): a
# face-centred central composite design in five factors (total DNA per cell, PEI:DNA ratio,
# Rep/Cap:GOI plasmid ratio, cell density at transfection, harvest time), 32 runs, and three
# responses: vg titer (analysed as log10), % full capsids and % viability at harvest.
#
# The profiler panels are computed **in the browser** from the fitted coefficients and their
# covariance, so a slider step redraws every panel at once without waiting for the kernel,
# and a saved copy keeps working (`ex.profiler.save("profiler.html")` writes a standalone page
# that works offline). The contour plot, the design space and *Maximize desirability* run in
# the kernel.

# %%
import numpy as np
import pandas as pd
import yaml

from pdkit import doe
from pdkit.explorer import Explorer, notebook_setup

notebook_setup()  # BokehJS with its widgets (sliders, dropdowns, buttons), inline, no CDN
factors = doe.as_factors(pd.read_csv("../data_samples/doe/aav_factors.csv").to_dict("records"))
data = pd.read_csv("../data_samples/doe/aav_transfection_rsm_synthetic.csv")
data["log10_vg_titer"] = np.log10(data["vg_titer"])
with open("../data_samples/doe/aav_goals.yaml") as fh:
    targets = yaml.safe_load(fh)
responses = ["log10_vg_titer", "full_pct", "viability_pct"]

# %% [markdown]
# ## Models
#
# A full quadratic model (5 main effects, 10 two-factor interactions, 5 squares) for each
# response, in coded units. Every response uses the same `Factor` definitions, which the
# explorer requires.

# %% tags=["nbval-check-output"]
fits = {r: doe.fit(data, r, "quadratic", factors) for r in responses}
quality = pd.DataFrame({r: {"R2": f.r2, "R2 adj": f.r2_adj, "RMSE": f.rmse} for r, f in fits.items()})
print(quality.round(3).to_string())

# %% [markdown]
# ## The explorer
#
# Goals and specifications come from `aav_goals.yaml`: maximise titer, % full and viability
# (Derringer-Suich desirabilities), with specifications log10 titer >= 10.7, % full >= 22 and
# viability >= 65 %.
#
# How to use it:
#
# * **Sliders** set the continuous factors, **dropdowns** the categorical ones (by level name);
#   click a slider and use the arrow keys for single steps. Each row of panels is one
#   response: the line is the prediction across that panel's factor with the others at their
#   settings, the band its 95 % confidence interval, the red marker and dashed line the current
#   setting (its prediction and interval are written in the row header on the left).
# * **confidence band / prediction band / design points** switch the bands (the prediction
#   band is where 95 % of new runs are expected) and the runs of the design on and off; the
#   y-axes always contain what is shown.
# * The **desirability** row shows each response's desirability `d` and the overall `D`.
# * **Maximize desirability** searches the factor box (seeded multi-start) and moves the
#   sliders to the best settings found; factors whose **lock** box is ticked keep their
#   setting. The line under the buttons shows progress and the result.
# * **Export settings (CSV)** writes the settings, predictions and both intervals into the text
#   box under the profiler and downloads them as `profiler_settings.csv`.
# * The **contour plot** shows the chosen response over any two factors (dropdowns), the other
#   factors at their slider settings; white points are the design runs.
# * **Compute design space** estimates by Monte Carlo (seeded) the probability that a new run
#   meets every specification over the contour plane: dark = unlikely, the orange line is
#   P = 0.9. It is cleared when a setting changes, since it depends on the held factors.

# %%
units = {"log10_vg_titer": "log10 vg/mL", "full_pct": "%", "viability_pct": "%"}
ex = Explorer(fits, goals=targets["goals"], specs=targets["specs"], n_points=50, seed=1, units=units)
ex.widget

# %% [markdown]
# ## Numbers behind the plots
#
# Predicted responses with their 95 % confidence intervals (`lower`, `upper`) and prediction
# intervals (`pi_lower`, `pi_upper`) at the initial settings (the centre of every factor range):

# %% tags=["nbval-check-output"]
print(ex.state)
print(pd.DataFrame(ex.predict_current()).T.round(3).to_string())

# %% [markdown]
# The desirability optimum (what the **Maximize desirability** button does); the sliders and
# all panels above move there:

# %% tags=["nbval-check-output"]
opt = ex.maximize()
print({k: round(v, 3) for k, v in ex.state.items()})
print(f"overall desirability D = {opt.overall:.3f}")
print(pd.DataFrame(ex.predict_current()).T.round(3).to_string())

# %% [markdown]
# The same numbers as the **Export settings** button writes them:

# %%
print(ex.export_settings())

# %% [markdown]
# The design space over the first two factors (total DNA and PEI:DNA), the others held at the
# optimum (what the **Compute design space** button does):

# %% tags=["nbval-check-output"]
space = ex.compute_design_space()
print(f"max P(all specifications met) = {float(space.max()):.3f}")
print(f"share of the plane with P >= 0.9: {float((space >= 0.9).mean()):.3f}")
