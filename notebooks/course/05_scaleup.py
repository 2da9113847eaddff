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
# # Lesson 05 - Scale-up from the bench to 200 L and 2000 L
#
# *pdkit course, part 5 of 15. About 25 minutes.*

# %% [markdown]
# ## Overview
#
# An AAV process developed in shake flasks and a 2 L bench bioreactor has to run in a 200 L pilot
# and a 2000 L commercial bioreactor. The cells must see the same environment: enough oxygen, good
# mixing, but not so much power or impeller tip speed that shear harms them. A stirred tank cannot
# keep all of these constant at once, so you choose a **scale-up criterion** and check what happens
# to the rest. This lesson computes the classical dimensionless and engineering quantities with
# `pdkit.scaleup` and shows the trade-offs between the four textbook criteria.

# %% [markdown]
# ## Prerequisites
#
# * Python basics and pandas tables; lesson 2 (AAV transfection) for the process context.
# * Units: speeds in revolutions per second (rpm / 60), lengths in m, volumes in m3 (1 L =
#   0.001 m3) except the scale-up table, which takes litres.
#
# Run the next cell first: it imports pdkit and the answer checker.

# %%
import math

import pandas as pd

import pdkit.plots
from pdkit import scaleup
from pdkit.plots.scaleup import pv_figure, tip_speed_figure
from pdkit.tutorial import check, choose, exercise, explain, hint, interpret, lesson_header

pdkit.plots.setup()
lesson_header("05");

# %% [markdown]
# ## Learning objectives
#
# After this lesson you can
#
# 1. compute the Reynolds number, power per volume (P/V), tip speed, 95 % mixing time and kLa of a
#    stirred bioreactor, and say which flow regime applies;
# 2. scale a vessel geometrically and derive the impeller speed for constant P/V, tip speed,
#    Reynolds number or mixing time;
# 3. explain why no criterion keeps everything constant, and check a choice against the HEK293
#    P/V window;
# 4. see how oxygen transfer (kLa) changes with scale at constant gassing rate.

# %% [markdown]
# ## The reference: a 2 L bench bioreactor
#
# Shake flasks are mixed by orbital shaking, not by an impeller, so the stirred-tank relations
# below start at the first stirred vessel of the seed train: here a 2 L (working volume) bench
# bioreactor with two pitched-blade impellers. Its settings were found to give good growth and
# transfection; they are the numbers to carry to scale.
#
# The relations (course primer, `docs/course/primer.md`, *Scale-up and facility*; Nienow 1997 for
# mixing; van 't Riet 1979 for kLa):
#
# * Reynolds number $Re = \rho N D^2 / \mu$; turbulent above about $10^4$, where the power number
#   $N_p$ of a baffled tank is constant - take it from the impeller supplier or, better, measure it;
# * power $P = N_p \rho N^3 D^5$ and power per volume $P/V$; tip speed $\pi N D$;
# * 95 % mixing time $\theta_{95} = 5.9\,T^{2/3} \varepsilon^{-1/3} (D/T)^{-1/3}$ with
#   $\varepsilon = P/(\rho V)$ (A. W. Nienow, *Chem. Eng. Sci.* 52 (1997) 2557) - derived for a
#   **single impeller with liquid height H equal to the tank diameter T** (see the caveat below);
#   in turbulent flow $N\theta_{95}$ is constant for a given geometry, whatever the number of impellers,
#   which is how `scaleup.mixing_time_multi_impeller` scales a *measured* mixing time;
# * $k_La = 0.026\,(P/V)^{0.4} u_s^{0.5}$ (1/s, SI units, coalescing media; K. van 't Riet,
#   *Ind. Eng. Chem. Process Des. Dev.* 18 (1979) 357), with $u_s$ the superficial gas velocity.

# %%
V1_L = 2.0        # working volume, L
N1_RPM = 300.0    # impeller speed, rpm
D1 = 0.06         # impeller diameter, m
T1 = 0.13         # tank diameter, m
NP = 3.0          # two pitched-blade impellers at an ASSUMED 1.5 each; summing holds only for
                  # impellers spaced far enough apart not to interact - measure the shaft's power
VVM = 0.05        # sparge rate, gas volume per liquid volume per minute

# %% tags=["nbval-check-output"]
n1 = N1_RPM / 60                      # rev/s
v1 = V1_L / 1000                      # m3
re1 = scaleup.reynolds(n1, D1)        # water-like medium: 1000 kg/m3, 1 mPa s
pv1 = scaleup.power_per_volume(n1, D1, v1, NP)
tip1 = scaleup.tip_speed(n1, D1)
theta1 = scaleup.mixing_time(n1, D1, T1, v1, NP)
us1 = scaleup.superficial_gas_velocity(VVM, v1, T1)
kla1 = scaleup.kla_van_t_riet(pv1, us1) * 3600   # 1/s -> 1/h
print(f"Re = {re1:.0f} (turbulent: {scaleup.is_turbulent(n1, D1)})")
print(f"P/V = {pv1:.1f} W/m3, tip speed = {tip1:.2f} m/s")
h1 = v1 / (math.pi / 4 * T1**2)       # liquid height from volume and tank diameter, m
print(f"single-impeller mixing-time estimate = {theta1:.2f} s (H/T = {h1 / T1:.2f}, two impellers)")
print(f"kLa = {kla1:.1f} 1/h at {VVM} vvm")

# %% [markdown]
# The flow is turbulent, so the constant-power-number relations hold.
#
# **Caveat: this vessel has two impellers.** Nienow's correlation was derived for one impeller with
# H = T. With several impellers on a taller shaft the liquid between the impellers' circulation zones
# exchanges slowly, and measured mixing times are longer and grow steeply with the aspect ratio H/T
# (Cooke, Middleton and Bush 1988, for multiple Rushton turbines). So the value
# printed above is a **lower bound** for this shaft, not its mixing time. `pdkit.scaleup` deliberately
# ships no absolute multiple-impeller correlation: the $(H/T)^{2.43}$ dependence quoted for multiple
# Rushton turbines could not be checked against its primary text, so it is not encoded. Instead,
# measure the mixing time (e.g. by a pH or conductivity tracer) at the bench and scale it: in turbulent
# flow $N\theta_{95}$ is constant for geometrically similar vessels (same impellers, D/T, H/T and
# spacing), so $\theta_{95} = \theta_{ref} N_{ref}/N$ (`scaleup.mixing_time_multi_impeller`). The same
# holds for the correlation's **ratios**: any correction factor that depends only on H/T and the number
# of impellers cancels in theta(large)/theta(small), while the absolute times stay underestimated.
#
# The P/V is compared with a declared window for the cell line. pdkit ships a **planning window** for
# HEK293, 60-450 W/m3 (`scaleup.CELL_LINE_WINDOWS`, labelled in `scaleup.CELL_LINE_WINDOW_LABELS` and in
# the plots); no primary source for these bounds was found, so it is not a published tolerance limit for
# your clone and medium - justify your own from growth and quality data at the bench:

# %% tags=["nbval-check-output"]
print(scaleup.CELL_LINE_WINDOWS["HEK293"])
print(scaleup.CELL_LINE_WINDOW_LABELS["HEK293"])

# %% [markdown]
# ## Four ways to scale up
#
# Under **geometric similarity** every length grows with the cube root of the volume ratio,
# $D_2 = D_1 (V_2/V_1)^{1/3}$: from 2 L to 2000 L the volume grows 1000-fold and every length
# tenfold. The impeller speed then follows from the quantity you keep constant,
# $N_2 = N_1 (D_1/D_2)^a$:
#
# | criterion | a | consequence |
# |---|---|---|
# | power per volume | 2/3 | same energy dissipation; tip speed and mixing time grow |
# | tip speed | 1 | same maximum shear at the blade tip; P/V falls |
# | Reynolds number | 2 | same flow regime number; far too little power at scale |
# | mixing time | 0 | same speed; P/V and tip speed explode |
#
# `scaleup.scaleup_table` applies each criterion at every volume and flags results outside the
# declared P/V window (here the HEK293 planning window) or in non-turbulent flow. Given the shaft's
# liquid height and number of impellers it also says what its mixing time is (`mixing_time_basis`):
# without a measured bench value, the single-impeller lower bound.

# %% tags=["nbval-check-output"]
table = scaleup.scaleup_table(
    [V1_L, 200.0, 2000.0], n1_rps=n1, d1=D1, tank_diameter1=T1, power_number=NP,
    vvm=VVM, cell_line="HEK293", liquid_height1=h1, n_impellers=2,
)
cols = ["criterion", "volume_l", "impeller_diameter_m", "n_rpm", "p_per_v_w_m3",
        "tip_speed_m_s", "mixing_time_s", "kla_per_h", "pv_ok"]
print(table[cols].round(3).to_string(index=False))
print("mixing_time_s:", table["mixing_time_basis"].iloc[0])

# %% [markdown]
# `pdkit.plots.scaleup` draws the table: P/V against volume for each criterion on log axes, with
# the declared window (here HEK293) shaded and points outside it drawn hollow; hover over a point
# for its speed and flags.

# %%
pdkit.plots.show(pv_figure(table, window_label="HEK293"))

# %% [markdown]
# The same view for the impeller tip speed (no tip-speed window was declared here; pass
# `tip_speed_window=(None, 1.5)` to `scaleup_table` to shade and flag one):

# %%
pdkit.plots.show(tip_speed_figure(table))

# %% [markdown]
# Read the table row by row:
#
# * **Constant P/V** stays in the window by construction, but the tip speed roughly doubles from
#   2 L to 2000 L and the mixing time grows several-fold: large tanks mix more slowly. (The
#   `mixing_time_s` column is the single-impeller lower bound, as `mixing_time_basis` says: read it as a
#   ratio between scales; pass a measured 2 L value as `mixing_time1_s` and the column becomes that
#   value scaled to each vessel.)
# * **Constant tip speed** protects against tip shear but drops P/V below the HEK293 window at
#   200 L and 2000 L (flagged `False`): poorer mixing and oxygen transfer.
# * **Constant Re** is useless here: P/V falls by orders of magnitude.
# * **Constant mixing time** keeps 300 rpm, so P/V and tip speed become absurd at 2000 L.
#
# Constant P/V (checked against tip speed, mixing time and kLa) is therefore the usual starting
# point for animal-cell culture; tip speed is a secondary check.

# %% [markdown]
# ## Oxygen transfer at scale
#
# At a constant gassing rate in vvm, the gas flow grows with the volume ($\propto D^3$) but the
# cross-section only with $D^2$, so the superficial gas velocity $u_s$ grows with $D$. With P/V
# constant, van 't Riet's kLa therefore rises with scale. In practice large vessels are sparged
# at lower vvm, and CO2 stripping (not modelled here) becomes the limiting issue.

# %% tags=["nbval-check-output"]
pv_rows = table[table["criterion"] == "power_per_volume"]
print(pv_rows[["volume_l", "tank_diameter_m", "u_s_m_s", "kla_per_h"]].round(5).to_string(index=False))

# %% [markdown]
# ## Choosing and documenting a criterion
#
# A scale-up decision is a documented engineering choice, not a formula: write down the criterion
# (here constant P/V), the window it must respect (HEK293 P/V), the secondary checks (tip speed,
# mixing time, kLa and CO2 removal) and the assumptions (geometric similarity, turbulent flow,
# water-like medium, the power number of *your* impellers, ideally measured). Real vessels are
# rarely geometrically similar (taller aspect ratios, several impellers), so use these numbers to
# set the first pilot runs and confirm with data: growth, viability and titer at 200 L (lesson 2
# and the upstream sample data) tell you whether the choice was right.

# %% [markdown]
# ## Exercises
#
# Each exercise cell prints one line: *Right!*, *Close* or *Not right yet* with a hint - never the
# answer. A calculation marked *your own numbers* prints **your** values when you run it (they differ
# between trainees). A choice needs a one- or two-sentence justification; a written answer is recorded
# for your trainer, who marks it against a model answer. Stuck? `hint("<exercise id>", 1)` gives a
# nudge and `hint("<exercise id>", 2)` the method.
#
# Use `scaleup`, `table` and the reference settings `V1_L`, `N1_RPM`, `D1`, `T1`, `NP`, `VVM`.

# %% [markdown]
# **Exercise 1.** A 50 L pilot bioreactor is geometrically similar to the 2 L reference. What is its
# impeller diameter in m?

# %% pdkit={"exercise": "05_scaleup.impeller_diameter_50L"} tags=["exercise"]
answer = None  # replace None with your answer (a number, or text where asked)
check("05_scaleup.impeller_diameter_50L", answer);

# %% [markdown]
# **Exercise 2.** Keeping power per volume constant, what impeller speed (rpm) do you set in the
# 50 L vessel? Is its tip speed then higher or lower than at 2 L?

# %% pdkit={"exercise": "05_scaleup.speed_pv_50L"} tags=["exercise"]
answer = None  # replace None with your answer (a number, or text where asked)
check("05_scaleup.speed_pv_50L", answer);

# %% [markdown]
# **Exercise 3 (derive it, your own numbers).** Run the cell: it prints *your* target volume. By what
# factor does the single-impeller estimate of the 95 % mixing time grow when the 2 L vessel is scaled
# geometrically to that volume at constant P/V? Derive the scaling law from the correlation rather than
# building a table.

# %% pdkit={"exercise": "05_scaleup.mixing_ratio_own_volume"} tags=["exercise"]
v = exercise("05_scaleup.mixing_ratio_own_volume")
answer = None  # replace None with your answer, computed with v.<name> (e.g. v.rpm)
check("05_scaleup.mixing_ratio_own_volume", answer);

# %% [markdown]
# **Exercise 4 (choose and justify).** You scale the HEK293 transfection process from the 2 L bench to
# the 2000 L commercial bioreactor. Which scale-up basis do you write into the scale-up plan?
#
# * (a) Constant impeller speed, so that the mixing time stays the same.
# * (b) Constant Reynolds number, so that the flow regime is identical.
# * (c) Constant power per volume inside a justified P/V window, with tip speed, mixing time, kLa and CO2
#   removal checked as secondary criteria and confirmed by pilot runs.
# * (d) Constant tip speed, because shear at the blade tip is the only risk for animal cells.

# %% pdkit={"exercise": "05_scaleup.criterion_choice"} tags=["exercise"]
choice = None  # replace None with the letter of your choice, e.g. "b"
why = ""  # explain your choice in one or two sentences
choose("05_scaleup.criterion_choice", choice, why=why);

# %% [markdown]
# **Exercise 5 (written answer, marked by your trainer).** The reference vessel has two impellers.
# Explain why the mixing time printed by the lesson is a lower bound for it, why the ratio between two
# geometrically similar vessels is still usable, and what you would do to know the actual mixing time at
# 2000 L.

# %% pdkit={"exercise": "05_scaleup.multi_impeller_mixing"} tags=["exercise"]
text = ""  # your answer in a few sentences
explain("05_scaleup.multi_impeller_mixing", text);

# %% [markdown]
# ## Summary
#
# * P/V, tip speed, Re, mixing time and kLa describe the environment in a stirred tank; pdkit
#   computes each with stated units and correlations.
# * Geometric scale-up fixes the lengths; the chosen criterion fixes the speed, and every other
#   quantity then follows and must be checked.
# * For HEK293 suspension culture, constant P/V within a declared window (pdkit's planning window is
#   60-450 W/m3; justify your own) is the usual basis; tip speed, mixing time and oxygen transfer are the
#   trade-offs to watch.
# * Nienow's mixing-time correlation is for one impeller at H = T: for a multi-impeller shaft it is a
#   lower bound; use it for ratios between geometrically similar vessels, measure the absolute time and
#   scale the measurement with `scaleup.mixing_time_multi_impeller` ($N\theta_{95}$ constant).

# %% [markdown]
# ## What's next
#
# Lesson 6 follows a lot out of the bioreactor and through **release testing**: specifications as
# data, USP rounding, censored results and the certificate of analysis
# ([06_release_testing.ipynb](06_release_testing.ipynb)).

# %% [markdown]
# ### Sources
#
# 1. Nienow AW (1997) On impeller circulation and mixing effectiveness in the turbulent flow regime.
#    Chem Eng Sci 52:2557-2565 (single impeller, H = T).
# 2. Cooke M, Middleton JC, Bush JR (1988) Mixing and mass transfer in filamentous fermentations.
#    Proc. 2nd Int. Conf. Bioreactor Fluid Dynamics, BHRA, Cranfield (mixing times with multiple
#    impellers; the exact form of their correlation could not be verified, so pdkit does not encode it).
# 3. van 't Riet K (1979) Review of measuring methods and results in nonviscous gas-liquid mass
#    transfer in stirred vessels. Ind Eng Chem Process Des Dev 18:357-364.
# 4. Course primer, `docs/course/primer.md` (a curated summary that names the primary source of each
#    value). The HEK293 P/V window of `scaleup.CELL_LINE_WINDOWS` (60-450 W/m3) is a planning window,
#    not a published limit.
