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
# # A prediction profiler that needs no Python
#
# `pdkit.ui.profiler.Profiler` draws JMP-style profiler panels whose traces, confidence and
# prediction bands and desirabilities are computed **in the browser** from the fitted
# coefficients and their covariance. The same page therefore works in JupyterLab, in a
# standalone HTML file sent to a colleague (`Profiler(...).save("profiler.html")`), and on the
# kit's static site, with no kernel behind it. The interactive explorer (`doe_explorer`) wraps
# this profiler and adds what needs Python: contour plots and the Monte Carlo design space.
#
# **The data are SYNTHETIC** (`data_samples/doe/README.md` documents the ground truth): the AAV
# HEK293 triple-transfection central composite design of the other DoE examples.

# %%
import numpy as np
import pandas as pd
import yaml
from bokeh.io import show

from pdkit import doe
from pdkit.explorer import notebook_setup
from pdkit.ui.profiler import Profiler

notebook_setup()  # BokehJS with its widgets, inline, no CDN
factors = doe.as_factors(pd.read_csv("../data_samples/doe/aav_factors.csv").to_dict("records"))
data = pd.read_csv("../data_samples/doe/aav_transfection_rsm_synthetic.csv")
data["log10_vg_titer"] = np.log10(data["vg_titer"])
with open("../data_samples/doe/aav_goals.yaml") as fh:
    targets = yaml.safe_load(fh)
responses = ["log10_vg_titer", "full_pct", "viability_pct"]
fits = {r: doe.fit(data, r, "quadratic", factors) for r in responses}
units = {"log10_vg_titer": "log10 vg/mL", "full_pct": "%", "viability_pct": "%"}

# %% [markdown]
# ## The profiler
#
# Move a slider (or click it and use the arrow keys): every row of panels is one response, the
# line its prediction across that panel's factor with the others at their settings, the band its
# 95 % confidence interval. Tick *prediction band* for where 95 % of new runs are expected and
# *design points* for the runs. *Maximize desirability* searches the factor box in the page
# (factors whose *lock* box is ticked keep their setting); *Export settings (CSV)* writes the
# settings and predictions with their intervals.

# %%
profiler = Profiler(fits, goals=targets["goals"], units=units, n_points=50)
show(profiler.layout)

# %% [markdown]
# ## The numbers behind the panels
#
# The page and Python compute the same numbers (pdkit's tests compare the browser's values
# with `DoEFit.predict` to 1e-9). At the starting settings, the centre of every factor range,
# the *Export settings* button writes this table (rounded here):

# %% tags=["nbval-check-output"]
import io

exported = pd.read_csv(io.StringIO(profiler.export_settings()))
print(exported.round(3).to_string(index=False))
