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
# # Worked example: screening, response surface, optimum and design space
#
# An AAV HEK293 triple-transfection process is optimised sequentially, as in Montgomery,
# *Design and Analysis of Experiments* (8th ed., ch. 11):
#
# 1. **Screening**: a 2^(5-1) resolution V fraction in five factors (total DNA per cell,
#    PEI:DNA ratio, Rep/Cap:GOI plasmid ratio, cell density at transfection, harvest time) with
#    four centre runs. Which factors matter, and is there curvature?
# 2. **Response surface**: ten face-centred axial runs and two more centre runs complete a
#    central composite design; full quadratic models for the vg titer (log10 scale), % full
#    capsids and viability, reduced by backward elimination.
# 3. **Optimum**: the settings that maximise the overall desirability of the three responses.
# 4. **Design space**: the probability that a new run meets every specification, over the two
#    plasmid/cell factors, and a robust set point.
#
# **The data are SYNTHETIC** (`data_samples/doe/README.md` documents the ground truth, which we
# compare with at the end). The same analysis runs as a report: `pdkit run doe_analysis`; the
# design itself comes from `pdkit run doe_design`.

# %%
import numpy as np
import pandas as pd
import yaml

import pdkit.plots
from pdkit import doe
from pdkit.plots.doe import contour_plot, design_space_plot, half_normal_plot, profiler

pdkit.plots.setup()
factors = doe.as_factors(pd.read_csv("../data_samples/doe/aav_factors.csv").to_dict("records"))
data = pd.read_csv("../data_samples/doe/aav_transfection_rsm_synthetic.csv")
data["log10_vg_titer"] = np.log10(data["vg_titer"])
responses = ["log10_vg_titer", "full_pct", "viability_pct"]
data.head()

# %% [markdown]
# ## 1. Screening: the first block
#
# Block 1 is the two-level fraction plus four centre runs. Its design (built here again with
# the same generator) is resolution V: main effects and two-factor interactions are aliased
# only with higher-order interactions.

# %% tags=["nbval-check-output"]
screen_design = doe.fractional_factorial(factors, generators=["E=ABCD"])
print(screen_design.name, "| resolution", screen_design.resolution, "|", screen_design.defining_relation[0])
block1 = data[data["block"] == 1]
screen = doe.fit(block1, "log10_vg_titer", "interactions", factors=factors)
print(screen.effects["effect"].round(3).to_string())

# %% [markdown]
# Lenth's method separates the active effects without an error estimate from replicates: its
# pseudo standard error comes from the 15 effects of the 16 factorial runs (the centre runs
# only inform the intercept and the curvature test, so the fit above already carries it as
# `screen.lenth`). The half-normal plot shows the active effects off the line.

# %% tags=["nbval-check-output"]
L = screen.lenth
hn = screen.half_normal
print(f"Lenth PSE = {L.pse:.4f}, ME = {L.me:.4f}, SME = {L.sme:.4f} ({L.m} effects)")
print("active:", ", ".join(hn.loc[hn["active"], "term"].iloc[::-1]))

# %%
pdkit.plots.show(half_normal_plot(screen))

# %% [markdown]
# Lenth's margin of error flags the four transfection factors; harvest time falls just short
# of it, but it stays in the study because it drives % full and viability. More important,
# the centre runs sit well above the average of the factorial runs: the curvature test says a
# first-order model (even with interactions) cannot describe the region, so the axial runs of
# block 2 are needed.

# %% tags=["nbval-check-output"]
c = screen.curvature
print(f"centre mean {c.mean_center:.3f} vs factorial mean {c.mean_factorial:.3f} (log10 vg/mL)")
print(f"curvature F = {c.F:.1f}, p = {c.p:.2g}")

# %% [markdown]
# ## 2. Response surface: the complete central composite design
#
# All 32 runs; full quadratic models in coded units (-1/+1 at each factor's declared low/high),
# then hierarchical backward elimination at alpha = 0.05.

# %% tags=["nbval-check-output"]
full = {r: doe.fit(data, r, "quadratic", factors=factors) for r in responses}
reduced = {r: f.reduce(alpha=0.05) for r, f in full.items()}
for r in responses:
    f, g = full[r], reduced[r]
    lof = "n/a" if g.lack_of_fit is None else f"{g.lack_of_fit.p:.2f}"
    print(f"{r}: full R2 = {f.r2:.3f}; reduced {len(g.terms) - 1} terms, R2 adj = {g.r2_adj:.3f}, "
          f"R2 pred = {g.r2_pred:.3f}, lack-of-fit p = {lof}")

# %% tags=["nbval-check-output"]
coef = pd.DataFrame({r: reduced[r].params for r in responses})
print(coef.round(3).to_string(na_rep=""))

# %% [markdown]
# The titer rises with the Rep/Cap:GOI ratio and the cell density, with curvature in both
# (compare Zhao et al. 2020, whose DoE optimum used more Rep/Cap plasmid and a higher cell
# density), while more Rep/Cap lowers the fraction of full capsids: a trade-off that the
# optimisation must balance. The contour plot shows the titer over these two factors with the
# others at their centre.

# %%
pdkit.plots.show(contour_plot(reduced["log10_vg_titer"], "repcap_goi_ratio", "vcd_1e6_per_ml"))

# %% [markdown]
# ## 3. Optimum by desirability
#
# Goals (from `data_samples/doe/aav_goals.yaml`): maximise all three responses, with ramps
# from an unacceptable to a fully satisfactory value. The search is seeded.

# %% tags=["nbval-check-output"]
plan = yaml.safe_load(open("../data_samples/doe/aav_goals.yaml", encoding="utf-8"))
print(plan["goals"])
opt = doe.maximize_desirability(reduced, plan["goals"], seed=1)
print("settings:", {k: round(v, 2) for k, v in opt.settings.items()})
print("predicted:", {k: round(v, 2) for k, v in opt.predicted.items()})
print(f"overall desirability D = {opt.overall:.2f}; titer at the optimum = {10 ** opt.predicted['log10_vg_titer']:.2e} vg/mL")

# %%
pdkit.plots.show(profiler(reduced['log10_vg_titer'], settings=opt.settings))

# %% [markdown]
# ## 4. Design space and robust set point
#
# Specifications: titer at least 10^10.7 vg/mL (5.0e10), at least 22 % full, at least 65 %
# viable. Over the Rep/Cap:GOI ratio and the cell density, with the other factors at the
# optimum, 2000 Monte Carlo draws per grid point (parameter uncertainty and residual error)
# give the probability that a new run meets all three.

# %% tags=["nbval-check-output"]
specs = {k: tuple(v) for k, v in plan["specs"].items()}
hold = {k: v for k, v in opt.settings.items() if k not in ("repcap_goi_ratio", "vcd_1e6_per_ml")}
space = doe.design_space(reduced, specs, n_draws=2000, seed=1, grid=21,
                         x="repcap_goi_ratio", y="vcd_1e6_per_ml", hold=hold)
sp = doe.robust_set_point(space, tolerance=0.02)
print(f"max probability = {float(space.max()):.3f}; share of the map with P >= 0.9: {float((space >= 0.9).mean()):.3f}")
print(f"robust set point: Rep/Cap:GOI = {sp.settings['repcap_goi_ratio']:.2f}, "
      f"cells = {sp.settings['vcd_1e6_per_ml']:.2f}e6/mL, P = {sp.probability:.3f}")
print(f"at the desirability optimum: P = {float(space.interp(repcap_goi_ratio=opt.settings['repcap_goi_ratio'], vcd_1e6_per_ml=opt.settings['vcd_1e6_per_ml'])):.2f}")

# %%
pdkit.plots.show(design_space_plot(space, probability=0.9, set_point=sp))

# %% [markdown]
# ## 5. Check against the ground truth
#
# Because the data are synthetic we know the true coefficients (`aav_transfection_truth_synthetic.yaml`).
# The full quadratic model's 95 % confidence intervals should cover about 95 % of them.

# %% tags=["nbval-check-output"]
truth = yaml.safe_load(open("../data_samples/doe/aav_transfection_truth_synthetic.yaml", encoding="utf-8"))
cover = {}
for resp, s in truth["responses"].items():
    f = full["log10_vg_titer" if s["scale"] == "log10" else resp]
    true = pd.Series(s["coefficients"]).reindex(f.coefficients.index, fill_value=0.0)
    cover[resp] = int(((f.coefficients["ci_low"] <= true) & (true <= f.coefficients["ci_high"])).sum())
print({k: f"{v}/21" for k, v in cover.items()}, f"overall {sum(cover.values()) / 63:.1%}")
t = truth["responses"]["vg_titer"]["coefficients"]
cmp = pd.DataFrame({"true": pd.Series(t), "estimate": full["log10_vg_titer"].params.reindex(list(t))})
print(cmp.round(3).to_string())

# %% [markdown]
# The sequential strategy found the active factors with 20 runs, detected the curvature,
# and the 12 added runs gave quadratic models that recover the true surface within its
# uncertainty. The robust set point sits in the middle of the region where all three
# specifications are met with high probability; the desirability optimum meets them too, but
# closer to the edge of that region, where a small drift in the Rep/Cap:GOI ratio or the cell
# density costs more.
