"""Build the course index and lessons 05-08 (notebooks/course/) with nbformat.

Usage: python scripts/notebooks/make_course_b.py [--execute]

Writes notebooks/course/00_index.ipynb, 05_scaleup.ipynb, 06_release_testing.ipynb,
07_specs_capability_stability.ipynb and 08_ppq_facility_cogs.ipynb without outputs; with
``--execute`` it then runs scripts/execute_notebooks.py on them (committed notebooks carry
outputs).  Exercise answers live in pdkit/exercises/<lesson>.yaml and the worked solutions
in notebooks/course/solutions/<lesson>.yaml; nothing here may contain an expected value.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

ROOT = Path(__file__).resolve().parents[2]
COURSE = ROOT / "notebooks" / "course"
CHECK = "# NBVAL_CHECK_OUTPUT\n"


def md(text: str):
    return new_markdown_cell(text.strip("\n"))


def code(src: str, check: bool = False):
    return new_code_cell((CHECK if check else "") + src.strip("\n"))


def exercise(ex_id: str):
    cell = new_code_cell(
        "answer = None  # replace None with your answer (a number, or text where asked)\n"
        f'check("{ex_id}", answer);'
    )
    cell.metadata["tags"] = ["exercise"]
    cell.metadata["pdkit"] = {"exercise": ex_id}
    return cell


def notebook(cells) -> nbformat.NotebookNode:
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": "python3"}
    nb.metadata["language_info"] = {"name": "python"}
    return nb


# ============================================================================ 00 index
LESSONS = [
    ("01_plasmid_fermentation", "Plasmid DNA by E. coli fed-batch fermentation: growth, biomass and specific pDNA yield", 20),
    ("02_aav_transfection", "AAV by HEK293 triple transient transfection: cell growth, titer and scale", 25),
    ("03_doe", "Design of experiments: screening with fractional factorials, response surfaces, model fitting", 30),
    ("04_downstream", "Downstream purification: step and cumulative yields, mass balance, impurity clearance (LRV)", 25),
    ("05_scaleup", "Scale-up from the bench to 200 L and 2000 L: P/V, tip speed, Re, mixing time, kLa and their trade-offs", 25),
    ("06_release_testing", "Release testing: specifications as data, USP rounding, censored results, dispositions, the CoA", 25),
    ("07_specs_capability_stability", "Setting specifications: tolerance intervals, capability, I-MR trending with Nelson rules, ICH Q1E shelf life", 30),
    ("08_ppq_facility_cogs", "Process validation (PPQ), facility capacity and cost of goods per dose", 30),
]


def index_nb():
    rows = "\n".join(
        f"| {i} | [{stem}]({stem}.ipynb) | {desc} | {minutes} min |"
        for i, (stem, desc, minutes) in enumerate(LESSONS, start=1)
    )
    total = sum(m for *_, m in LESSONS)
    return notebook([
        md("""
# pdkit course: process development for plasmid DNA and viral vectors

Eight short, hands-on lessons that take you from a shake flask to a released, costed lot. Every
lesson runs real calculations with **pdkit** on the bundled sample data (`data_samples/`) and
ends with exercises that check your answers.
"""),
        md("""
## Who it is for

New process-development and manufacturing scientists, engineers and QC/QA staff working on plasmid
DNA, AAV or lentiviral vectors, who know basic Python (variables, calling a function, a pandas
table) and want to see how the numbers behind lab and GMP decisions are calculated. No statistics
or chemical-engineering background is assumed: each lesson states its formulas and cites its
sources (ICH, USP, FDA guidance, textbooks and papers).
"""),
        md(f"""
## Lessons

| # | lesson | what you learn | time |
|---|---|---|---|
{rows}

Total {total} minutes (about {total / 60:.1f} hours). Lessons 1-4 (upstream, DoE, downstream) and 5-8 (scale-up,
quality, validation and economics) can be taken in either order; inside each half the order above
is recommended.
"""),
        md("""
## How to use the lessons

1. Open a lesson in JupyterLab (`pdkit lab` starts it on the kit's notebooks) and run the cells
   from the top (*Run > Run All Cells* once, then read and re-run cells as you go).
2. Each lesson has the same layout: *Overview*, *Prerequisites*, *Learning objectives*, the
   content sections, *Exercises*, *Summary* and *What's next*.
3. The sample data are **synthetic** (simulated from a documented ground truth, see the README in
   each `data_samples/` folder); they have realistic magnitudes but describe no real product.
4. Change the numbers and re-run: the lessons are meant to be played with.
"""),
        md("""
## Checking your answers with `check()`

Each exercise ends in a cell like this:

```python
answer = None  # replace None with your answer (a number, or text where asked)
check("05_scaleup.speed_pv_50L", answer);
```

Replace `None` by your answer, usually a calculation with names defined earlier in the lesson
(for example `answer = scaleup.impeller_speed(...)`), and run the cell. `check` prints one line:

* **Right!** - within the tolerance of the exercise;
* **Close, but not quite** - with a hint (often rounding or a unit);
* **Not right yet** - with a hint on the method.

Where an exercise has a unit you may answer with one, as text (`"150 rpm"`). `check` never shows
the expected value, so you can keep trying. It is imported at the top of every lesson with
`from pdkit.tutorial import check`. It also returns `True` or `False`, which is handy in your own
code (`if check(...):`); the `;` at the end of the exercise line stops Jupyter from echoing that
value under the message.
"""),
    ])


# ============================================================================ 05 scale-up
def scaleup_nb():
    return notebook([
        md("""
# Lesson 05 - Scale-up from the bench to 200 L and 2000 L

*pdkit course, part 5 of 8. About 25 minutes.*
"""),
        md("""
## Overview

An AAV process developed in shake flasks and a 2 L bench bioreactor has to run in a 200 L pilot
and a 2000 L commercial bioreactor. The cells must see the same environment: enough oxygen, good
mixing, but not so much power or impeller tip speed that shear harms them. A stirred tank cannot
keep all of these constant at once, so you choose a **scale-up criterion** and check what happens
to the rest. This lesson computes the classical dimensionless and engineering quantities with
`pdkit.scaleup` and shows the trade-offs between the four textbook criteria.
"""),
        md("""
## Prerequisites

* Python basics and pandas tables; lesson 2 (AAV transfection) for the process context.
* Units: speeds in revolutions per second (rpm / 60), lengths in m, volumes in m3 (1 L =
  0.001 m3) except the scale-up table, which takes litres.

Run the next cell first: it imports pdkit and the answer checker.
"""),
        code("""
import math

import pandas as pd

import pdkit.plots
from pdkit import scaleup
from pdkit.plots.scaleup import pv_figure, tip_speed_figure
from pdkit.tutorial import check

pdkit.plots.setup()
"""),
        md("""
## Learning objectives

After this lesson you can

1. compute the Reynolds number, power per volume (P/V), tip speed, 95 % mixing time and kLa of a
   stirred bioreactor, and say which flow regime applies;
2. scale a vessel geometrically and derive the impeller speed for constant P/V, tip speed,
   Reynolds number or mixing time;
3. explain why no criterion keeps everything constant, and check a choice against the HEK293
   P/V window;
4. see how oxygen transfer (kLa) changes with scale at constant gassing rate.
"""),
        md("""
## The reference: a 2 L bench bioreactor

Shake flasks are mixed by orbital shaking, not by an impeller, so the stirred-tank relations
below start at the first stirred vessel of the seed train: here a 2 L (working volume) bench
bioreactor with two pitched-blade impellers. Its settings were found to give good growth and
transfection; they are the numbers to carry to scale.

The relations (domain primer, *Scale-up and facility*; Nienow 1997 for mixing; van 't Riet 1979
for kLa):

* Reynolds number $Re = \\rho N D^2 / \\mu$; turbulent above about $10^4$, where the power number
  $N_p$ is constant (about 5 Rushton, 1.3-1.7 pitched blade, 0.3 hydrofoil per impeller);
* power $P = N_p \\rho N^3 D^5$ and power per volume $P/V$; tip speed $\\pi N D$;
* 95 % mixing time $\\theta_{95} = 5.9\\,T^{2/3} \\varepsilon^{-1/3} (D/T)^{-1/3}$ with
  $\\varepsilon = P/(\\rho V)$ (A. W. Nienow, *Chem. Eng. Sci.* 52 (1997) 2557);
* $k_La = 0.026\\,(P/V)^{0.4} u_s^{0.5}$ (1/s, SI units, coalescing media; K. van 't Riet,
  *Ind. Eng. Chem. Process Des. Dev.* 18 (1979) 357), with $u_s$ the superficial gas velocity.
"""),
        code("""
V1_L = 2.0        # working volume, L
N1_RPM = 300.0    # impeller speed, rpm
D1 = 0.06         # impeller diameter, m
T1 = 0.13         # tank diameter, m
NP = 3.0          # two pitched-blade impellers, about 1.5 each (sum for a multi-impeller shaft)
VVM = 0.05        # sparge rate, gas volume per liquid volume per minute
"""),
        code("""
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
print(f"mixing time = {theta1:.2f} s, kLa = {kla1:.1f} 1/h at {VVM} vvm")
""", check=True),
        md("""
The flow is turbulent, so the constant-power-number relations hold. The P/V lies inside the
window HEK293 suspension cultures are reported to tolerate, about 60-450 W/m3 (domain primer),
which pdkit stores as `scaleup.CELL_LINE_WINDOWS`:
"""),
        code("""
print(scaleup.CELL_LINE_WINDOWS["HEK293"])
""", check=True),
        md("""
## Four ways to scale up

Under **geometric similarity** every length grows with the cube root of the volume ratio,
$D_2 = D_1 (V_2/V_1)^{1/3}$: from 2 L to 2000 L the volume grows 1000-fold and every length
tenfold. The impeller speed then follows from the quantity you keep constant,
$N_2 = N_1 (D_1/D_2)^a$:

| criterion | a | consequence |
|---|---|---|
| power per volume | 2/3 | same energy dissipation; tip speed and mixing time grow |
| tip speed | 1 | same maximum shear at the blade tip; P/V falls |
| Reynolds number | 2 | same flow regime number; far too little power at scale |
| mixing time | 0 | same speed; P/V and tip speed explode |

`scaleup.scaleup_table` applies each criterion at every volume and flags results outside the
declared P/V window (here the HEK293 window) or in non-turbulent flow.
"""),
        code("""
table = scaleup.scaleup_table(
    [V1_L, 200.0, 2000.0], n1_rps=n1, d1=D1, tank_diameter1=T1, power_number=NP,
    vvm=VVM, cell_line="HEK293",
)
cols = ["criterion", "volume_l", "impeller_diameter_m", "n_rpm", "p_per_v_w_m3",
        "tip_speed_m_s", "mixing_time_s", "kla_per_h", "pv_ok"]
print(table[cols].round(3).to_string(index=False))
""", check=True),
        md("""
`pdkit.plots.scaleup` draws the table: P/V against volume for each criterion on log axes, with
the declared window (here HEK293) shaded and points outside it drawn hollow; hover over a point
for its speed and flags.
"""),
        code("""
pdkit.plots.show(pv_figure(table, window_label="HEK293"))
"""),
        md("""
The same view for the impeller tip speed (no tip-speed window was declared here; pass
`tip_speed_window=(None, 1.5)` to `scaleup_table` to shade and flag one):
"""),
        code("""
pdkit.plots.show(tip_speed_figure(table))
"""),
        md("""
Read the table row by row:

* **Constant P/V** stays in the window by construction, but the tip speed roughly doubles from
  2 L to 2000 L and the mixing time grows several-fold: large tanks mix more slowly.
* **Constant tip speed** protects against tip shear but drops P/V below the HEK293 window at
  200 L and 2000 L (flagged `False`): poorer mixing and oxygen transfer.
* **Constant Re** is useless here: P/V falls by orders of magnitude.
* **Constant mixing time** keeps 300 rpm, so P/V and tip speed become absurd at 2000 L.

Constant P/V (checked against tip speed, mixing time and kLa) is therefore the usual starting
point for animal-cell culture; tip speed is a secondary check.
"""),
        md("""
## Oxygen transfer at scale

At a constant gassing rate in vvm, the gas flow grows with the volume ($\\propto D^3$) but the
cross-section only with $D^2$, so the superficial gas velocity $u_s$ grows with $D$. With P/V
constant, van 't Riet's kLa therefore rises with scale. In practice large vessels are sparged
at lower vvm, and CO2 stripping (not modelled here) becomes the limiting issue.
"""),
        code("""
pv_rows = table[table["criterion"] == "power_per_volume"]
print(pv_rows[["volume_l", "tank_diameter_m", "u_s_m_s", "kla_per_h"]].round(5).to_string(index=False))
""", check=True),
        md("""
## Choosing and documenting a criterion

A scale-up decision is a documented engineering choice, not a formula: write down the criterion
(here constant P/V), the window it must respect (HEK293 P/V), the secondary checks (tip speed,
mixing time, kLa and CO2 removal) and the assumptions (geometric similarity, turbulent flow,
water-like medium, the power number of *your* impellers, ideally measured). Real vessels are
rarely geometrically similar (taller aspect ratios, several impellers), so use these numbers to
set the first pilot runs and confirm with data: growth, viability and titer at 200 L (lesson 2
and the upstream sample data) tell you whether the choice was right.
"""),
        md("""
## Exercises

**Exercise 1.** A 50 L pilot bioreactor is geometrically similar to the 2 L reference. What is its
impeller diameter in m? (Hint: `scaleup.geometric_scale`.)
"""),
        exercise("05_scaleup.impeller_diameter_50L"),
        md("""
**Exercise 2.** Keeping P/V constant, what impeller speed (rpm) do you set in the 50 L vessel?
"""),
        exercise("05_scaleup.speed_pv_50L"),
        md("""
**Exercise 3.** At 2000 L (scaled at constant P/V) the sparge rate is raised from 0.05 to 0.10 vvm.
What is van 't Riet's kLa in **1/s** (coalescing medium)? Use the 2000 L tank diameter from the
table.
"""),
        exercise("05_scaleup.kla_2000L_01vvm"),
        md("""
**Exercise 4.** With P/V held constant, by what factor is the 95 % mixing time at 200 L longer than
at 2 L?
"""),
        exercise("05_scaleup.mixing_time_ratio_200L"),
        md("""
## Summary

* P/V, tip speed, Re, mixing time and kLa describe the environment in a stirred tank; pdkit
  computes each with stated units and correlations.
* Geometric scale-up fixes the lengths; the chosen criterion fixes the speed, and every other
  quantity then follows and must be checked.
* For HEK293 suspension culture, constant P/V within about 60-450 W/m3 is the usual basis;
  tip speed, mixing time and oxygen transfer are the trade-offs to watch.
"""),
        md("""
## What's next

Lesson 6 follows a lot out of the bioreactor and through **release testing**: specifications as
data, USP rounding, censored results and the certificate of analysis
([06_release_testing.ipynb](06_release_testing.ipynb)).
"""),
    ])


# ============================================================================ 06 release testing
def release_nb():
    return notebook([
        md("""
# Lesson 06 - Release testing and certificates of analysis

*pdkit course, part 6 of 8. About 25 minutes.*
"""),
        md("""
## Overview

Before a lot of drug substance can be used, Quality Control tests it against its
**specification** and Quality Assurance decides its disposition. The decision must be
reproducible to the last digit: how a result is rounded, what a "< LOQ" result means and what
happens when a test is missing are all written rules. In this lesson you evaluate GMP plasmid
DNA lots with `pdkit.specs` and produce a certificate of analysis (CoA) with
`pdkit.certificate`.
"""),
        md("""
## Prerequisites

* Python and pandas basics.
* Helpful: lesson 4 (downstream), where the impurities tested here are removed.

Run the next cell first.
"""),
        code("""
import pandas as pd
from IPython.display import HTML, display

from pdkit import certificate, specs
from pdkit.tutorial import check

SPEC = "../../data_samples/specs/plasmid_gmp_spec.yaml"
RESULTS = "../../data_samples/release/plasmid_release_synthetic.csv"
"""),
        md("""
## Learning objectives

After this lesson you can

1. read a specification as data: attribute, method, acceptance criterion, unit and precision;
2. round results as USP General Notices 7.20 requires before comparing them with a limit;
3. evaluate censored (< LOQ) results, unit conversions and missing tests, and explain a lot's
   disposition;
4. produce a certificate of analysis for a lot.
"""),
        md("""
## A specification is data

The plasmid specification lists each attribute with its method and criterion. Its limits follow
the EMA column of Table 2 in *J Biol Eng* (2024) doi:10.1186/s13036-024-00411-w (supercoiled
>= 90 %, endotoxin <= 10 EU/mg, host protein and gDNA <= 10 ug/mg, A260/280 1.75-1.85) and
*Cancer Gene Ther* (2015) 22:85 (concentration 2.0 +/- 0.2 mg/mL); the FDA column would allow
supercoiled >= 80 % and endotoxin <= 40 EU/mg (domain primer). Which regulator's numbers apply is a
product decision recorded in the file.
"""),
        code("""
spec = specs.load_spec(SPEC)
print(spec.product, "version", spec.version, "effective", spec.effective_date)
for a in spec.attributes:
    print(f"{a.name:26s} {a.criterion_text:28s} {a.unit:6s} {a.method}")
""", check=True),
        md("""
## Rounding before comparing (USP General Notices 7.20)

USP General Notices 7.20 says a result is rounded to the number of decimal places of the limit
*as written* before it is compared, rounding half **up** (a 5 in the first dropped digit raises the
last kept digit). Limits are "significant to the last digit shown". So against ">= 90.0 %" a
supercoiled result of 89.95 % is reported as 90.0 % and passes, while 89.94 % is reported as
89.9 % and fails. Python's built-in `round` rounds half to *even* and works on binary floats, so
it must not be used for this; `specs.round_half_up` works in decimal arithmetic.
"""),
        code("""
for value, places in [(89.95, 1), (89.94, 1), (2.5, 0), (0.125, 2)]:
    print(f"{value} -> USP {specs.round_half_up(value, places)}, Python round {round(value, places)}")
""", check=True),
        md("""
## Evaluating lots: censored results, conversions and missing tests

`specs.evaluate_lots` reads a long table (one row per lot and attribute) and applies the rules:

* convert each result to the specification's unit, then round to its precision (USP 7.20);
* a censored result "< x" passes an upper limit only when x is within it; against a lower limit
  it cannot show conformance and fails (see the `pdkit.specs` documentation);
* a test without a result is *missing*: the lot is **incomplete** and cannot be released;
* any failed test: the lot **does not meet** specification.
"""),
        code("""
ev = specs.evaluate_lots(RESULTS, spec)
print(ev.dispositions.to_string(index=False))
""", check=True),
        md("""
The rows that are not a plain pass, or where a rule was applied, explain those dispositions:
"""),
        code("""
notable = ev.results[(ev.results["result"] != "pass") | (ev.results["note"] != "")]
print(notable[["lot", "attribute", "reported", "unit", "criterion", "result", "note"]].to_string(index=False))
""", check=True),
        md("""
* PD-24-002 fails supercoiled (86.4 % against >= 90.0 %): an out-of-specification result that
  starts an OOS investigation before any disposition.
* PD-24-003 passes although host protein was below the assay's LOQ ("< 0.5" ug/mg is within
  <= 10) and host gDNA was reported in ng/mg (converted to ug/mg, then rounded).
* PD-24-004 has no sterility result: *incomplete*, not *fails*. A lot is released only when
  every test has been done and passed.
"""),
        md("""
## The certificate of analysis

The CoA states, for one lot, every test, its method, the specification and the reported result,
with the disposition and signature lines for QC and QA. `certificate.certificate_html` renders it
as a self-contained, print-ready HTML page (here shown inline); `certificate.write_certificates`
writes one file per lot. The CoA documents the QC result; the release itself is QA's decision
(and, in the EU, the Qualified Person's certification).
"""),
        code("""
html = certificate.certificate_html(ev, "PD-24-003", spec, organisation="pdkit course (synthetic data)",
                                    issue_date="2025-02-03")
display(HTML(html))
"""),
        md("""
## Exercises

**Exercise 1.** A host gDNA result of 4.5 ug/mg is compared with "<= 10" ug/mg (whole numbers).
What value is reported?
"""),
        exercise("06_release_testing.usp_rounding"),
        md("""
**Exercise 2.** Evaluate the AAV lots in `../../data_samples/release/aav_release_synthetic.csv`
against `../../data_samples/specs/aav_ds_spec.yaml` (store the evaluation as `ev_aav`). How many
lots meet specification?
"""),
        exercise("06_release_testing.aav_lots_meeting_spec"),
        md("""
**Exercise 3.** Using `ev_aav`: which value is reported for full capsids (%) of lot AV-25-02?
"""),
        exercise("06_release_testing.aav_full_capsids_reported"),
        md("""
**Exercise 4.** Endotoxin limits come from USP <85>: limit = K/M, with K = 5 EU/kg (per hour, for
non-intrathecal routes) and M the maximum dose per kg given within one hour. An AAV drug product
at 2.0e13 vg/mL is infused at 1.5e14 vg/kg within one hour. What is the limit in EU/mL?
"""),
        exercise("06_release_testing.endotoxin_limit_km"),
        md("""
## Summary

* A specification is a controlled document; pdkit keeps it as validated YAML with each limit's
  source.
* Results are converted, rounded half up to the limit's precision (USP General Notices 7.20) and
  only then compared; censored results follow explicit rules.
* Dispositions: *meets specification*, *does not meet* (any failure) or *incomplete* (any missing
  test). The CoA reports the evaluation of one lot.
"""),
        md("""
## What's next

Lesson 7 asks where specification limits come from and whether a process can meet them:
tolerance intervals, capability, trending and shelf life
([07_specs_capability_stability.ipynb](07_specs_capability_stability.ipynb)).
"""),
    ])


# ============================================================================ 07 specs, capability, stability
def specs_nb():
    return notebook([
        md("""
# Lesson 07 - Specifications, capability and stability

*pdkit course, part 7 of 8. About 30 minutes.*
"""),
        md("""
## Overview

Specification limits must be wide enough for a well-run process to meet them and tight enough to
guarantee quality, clinically and over the whole shelf life. This lesson uses 30 development lots
of a plasmid drug substance and multi-batch stability studies to (1) propose limits with
tolerance intervals, (2) judge capability, (3) trend lots on an I-MR control chart with Nelson's
rules and (4) estimate a shelf life following ICH Q1E.
"""),
        md("""
## Prerequisites

* Lesson 6 (specifications and release testing).
* Basic statistics: mean, standard deviation, the normal distribution, a confidence interval.

Run the next cell first.
"""),
        code("""
import pandas as pd

import pdkit.plots
from pdkit import stability, stats, trending
from pdkit.plots.stability import stability_figure
from pdkit.plots.trending import capability_figure, imr_figure
from pdkit.tutorial import check

pdkit.plots.setup()
"""),
        code("""
lots = pd.read_csv("../../data_samples/spec_setting/plasmid_dev_lots_synthetic.csv")
wide = lots.pivot(index="lot", columns="attribute", values="value")  # one row per lot, in lot order
print(wide.round(2).head().to_string())
print(wide.shape)
""", check=True),
        md("""
## Learning objectives

After this lesson you can

1. compute a normal tolerance interval and explain coverage and confidence;
2. propose specification limits from development data and compare them with existing ones;
3. compute and interpret Cp, Cpk, Pp and Ppk with their uncertainty;
4. trend lots on an I-MR chart and recognise Nelson-rule signals;
5. estimate a shelf life from stability data with the ICH Q1E poolability tests.
"""),
        md("""
## Tolerance intervals and proposed limits

A confidence interval bounds the *mean*; a **tolerance interval** $\\bar x \\pm k s$ bounds a
stated proportion of *individual lots* (the coverage, e.g. 99 %) with a stated confidence (e.g.
95 %). The factor $k$ depends on $n$: exact values solve the Odeh/Owen integral tabulated in
ISO 16269-6; Howe's approximation is in the NIST/SEMATECH e-Handbook, section 7.2.6.3 (domain
primer, *Statistics for specifications*). Here: the plasmid concentration of the 30 lots, whose
current specification is 1.80-2.20 mg/mL.
"""),
        code("""
conc = wide["concentration"]
ti = stats.tolerance_interval(conc, coverage=0.99, confidence=0.95)
print(f"n = {ti.n}, mean = {ti.mean:.4f} mg/mL, sd = {ti.sd:.4f} mg/mL, k = {ti.k:.3f}")
print(f"99 % / 95 % tolerance interval: {ti.lower:.3f} - {ti.upper:.3f} mg/mL")
""", check=True),
        md("""
`stats.spec_proposal` rounds the tolerance limits outward to the reporting precision of the data
and compares them with the current limits (the Cpk and Ppk each set of limits would imply, and
any lots outside):
"""),
        code("""
proposal = stats.spec_proposal(conc, lsl=1.80, usl=2.20, coverage=0.99, confidence=0.95)
print(proposal[["basis", "lower", "upper", "cpk", "ppk", "n_outside"]].round(3).to_string(index=False))
""", check=True),
        md("""
The tolerance interval lies inside the current 1.80-2.20 mg/mL: the process comfortably meets
the existing range. Limits derived purely from process data are narrower than clinically
necessary and can reject good lots later; they are one input to a specification, next to
clinical experience and regulatory expectations (ICH Q6B).
"""),
        md("""
## Process capability

Capability compares the specification width with the process spread: $C_p = (USL-LSL)/6\\sigma$
and $C_{pk} = \\min(USL-\\bar x, \\bar x-LSL)/3\\sigma$. $C_p$/$C_{pk}$ use the *within* sigma
(average moving range / 1.128 for individual lots), $P_p$/$P_{pk}$ the overall SD. Common minimum
guidance is 1.33 for an existing process (domain primer). With 30 lots the estimate is still
uncertain, so pdkit reports Bissell's confidence interval for Cpk.
"""),
        code("""
cap = stats.capability(conc, lsl=1.80, usl=2.20)
print(f"Cp = {cap.cp:.3f}, Cpk = {cap.cpk:.3f} (95 % CI {cap.cpk_ci[0]:.3f} - {cap.cpk_ci[1]:.3f})")
print(f"Pp = {cap.pp:.3f}, Ppk = {cap.ppk:.3f}")
print(f"sigma within = {cap.sigma_within:.4f}, sigma overall = {cap.sigma_overall:.4f}")
""", check=True),
        code("""
pdkit.plots.show(capability_figure(conc, cap, value_label="concentration (mg/mL)"))
"""),
        md("""
The Cpk is below 1.33, and its confidence interval is wide: a few more lots will not settle the
question. Centring the process (the mean is slightly above the target of 2.00 mg/mL) or reducing
variability would help.
"""),
        md("""
## Trending lots: I-MR chart and Nelson rules

A control chart asks a different question from a specification: *is the process behaving as
before?* The individuals chart has limits $\\bar x \\pm 3\\,\\overline{MR}/1.128$; Nelson's rules
(L. S. Nelson, *J. Quality Technology* 16 (1984) 237) flag non-random patterns such as a point
beyond 3 sigma (rule 1), nine points on one side (rule 2) or two of three beyond 2 sigma (rule 5).
Limits are computed from a stable baseline, here the first 15 lots, and applied to later lots.
"""),
        code("""
sc = wide["supercoiled"]
chart = trending.imr_chart(sc, baseline=15)
print(f"centre {chart.center:.2f} %, limits {chart.lcl:.2f} - {chart.ucl:.2f} %, MR-bar {chart.mr_center:.3f}")
first = chart.signals.iloc[0]
print(f"first signal: {first['label']} (rule {first['rule']}: {first['description']})")
print("rules that fired:", sorted(int(r) for r in chart.signals["rule"].unique()))
""", check=True),
        code("""
pdkit.plots.show(imr_figure(chart, value_label="supercoiled (%)"))
"""),
        md("""
The supercoiled content drifts downwards from about lot 19, and the chart signals before any lot
fails the >= 90.0 % specification: trending gives time to investigate (e.g. a change in lysis or
in a raw material) before lots are lost. This is the purpose of continued process verification
(lesson 8).
"""),
        md("""
## Shelf life from stability data (ICH Q1E)

ICH Q1E fits a straight line of the attribute against time for each batch and tests, by analysis
of covariance at a significance level of 0.25, whether the batches share a slope and then an
intercept. The shelf life is the earliest time at which the 95 % confidence bound of the mean
crosses the acceptance criterion (two-sided, 2.5 % per side, when both limits apply). Biologics
such as AAV need real-time data (ICH Q5C), so the shelf life should not exceed the longest time
tested. Here: relative potency of four AAV drug-product batches at 5 C, criterion 70-130 %.
"""),
        code("""
stab = pd.read_csv("../../data_samples/stability/aav_stability_synthetic.csv")
sl = stability.shelf_life(stab, "month", "potency_pct", "batch", lower=70, upper=130)
print(sl.ancova[["test", "F", "p_value", "poolable"]].round(4).to_string(index=False))
print(f"model {sl.model}, shelf life {sl.shelf_life:.2f} months, limit crossed: {sl.limit_crossed}, "
      f"worst batch {sl.worst_batch}")
""", check=True),
        code("""
pdkit.plots.show(stability_figure(sl, stab, time_unit="months", response_label="potency (% of reference)"))
"""),
        md("""
The slopes can be pooled (p >= 0.25) but the intercepts cannot, so each batch keeps its own
intercept with a common slope (`dics`) and the worst batch decides. A label claim would be set at
or below this estimate and within the 24 months of real-time data.
"""),
        md("""
## Exercises

**Exercise 1.** What is the one-sided tolerance factor k for n = 30, 99 % coverage and 95 %
confidence (a lower limit)?
"""),
        exercise("07_specs_capability_stability.k_lower_n30"),
        md("""
**Exercise 2.** What is Cpk of the A260/A280 ratio (`wide["a260_a280"]`) against the
specification 1.75-1.85?
"""),
        exercise("07_specs_capability_stability.cpk_a260_a280"),
        md("""
**Exercise 3.** Redraw the supercoiled I-MR chart with limits from all 30 lots (no `baseline`).
How many points carry at least one signal? Why is this a worse chart for detecting the drift?
"""),
        exercise("07_specs_capability_stability.signals_all_lots_baseline"),
        md("""
**Exercise 4.** Estimate the shelf life (months) of the plasmid drug substance in
`../../data_samples/stability/plasmid_stability_synthetic.csv` for `supercoiled_pct` >= 90 %.
"""),
        exercise("07_specs_capability_stability.shelf_life_plasmid_supercoiled"),
        md("""
## Summary

* Tolerance intervals bound individual lots; `spec_proposal` turns them into limits rounded to the
  reporting precision and compares them with existing limits.
* Cp/Cpk use within-lot variation, Pp/Ppk overall variation; small samples give wide confidence
  intervals.
* I-MR charts with Nelson's rules detect drifts before lots fail; compute limits from a stable
  baseline.
* ICH Q1E pools batches only when the ANCOVA tests allow (p >= 0.25); the worst batch decides
  otherwise.
"""),
        md("""
## What's next

Lesson 8 uses the same statistics to accept process performance qualification (PPQ) lots, then
asks how many doses a facility can make and at what cost
([08_ppq_facility_cogs.ipynb](08_ppq_facility_cogs.ipynb)).
"""),
    ])


# ============================================================================ 08 PPQ, facility, COGS
def ppq_nb():
    return notebook([
        md("""
# Lesson 08 - Process validation, facility capacity and cost of goods

*pdkit course, part 8 of 8. About 30 minutes.*
"""),
        md("""
## Overview

Before commercial supply, the process must be shown to be reproducible at scale: **process
performance qualification (PPQ)**. And before investing in a facility, you must know how many
doses it can make and what each dose costs. This lesson places PPQ in the FDA process validation
life cycle, judges PPQ lots with capability and tolerance intervals, and builds a capacity and
cost-of-goods (COGS) model with `pdkit.facility`.
"""),
        md("""
## Prerequisites

* Lesson 7 (tolerance intervals and capability) and lesson 5 (bioreactor scale).
* Lessons 2 and 4 help with titers and downstream yields.

Run the next cell first.
"""),
        code("""
import pandas as pd

import pdkit.plots
from pdkit import facility, stats
from pdkit.plots.facility import cogs_split_figure, tornado_figure
from pdkit.tutorial import check

pdkit.plots.setup()
"""),
        md("""
## Learning objectives

After this lesson you can

1. describe the three stages of process validation and where PPQ fits;
2. judge PPQ lots against statistical acceptance criteria and explain why the number of lots
   matters;
3. compute batches per year, suite utilisation and doses per year;
4. compute COGS per dose, its split by category, and find its main drivers.
"""),
        md("""
## Process validation in three stages

FDA's *Process Validation: General Principles and Practices* (Guidance for Industry, January 2011)
defines validation as a life cycle:

1. **Stage 1, process design**: the commercial process is defined from development and scale-up
   knowledge (lessons 1-5: DoE, scale-up, the control strategy).
2. **Stage 2, process qualification**: (a) facility, utilities and equipment are qualified;
   (b) **PPQ** lots are made at commercial scale under GMP, with a protocol that states the
   number of lots and pre-defined, preferably statistical, acceptance criteria. The guidance
   does not prescribe three lots; the number must be justified by the variability and knowledge
   from Stage 1.
3. **Stage 3, continued process verification**: data from routine lots are trended (lesson 7's
   control charts) to show the process stays in control.
"""),
        md("""
## Judging PPQ lots with statistics

Five PPQ lots of the plasmid drug substance gave these supercoiled results (illustrative numbers;
specification >= 90.0 %). Three criteria are common in PPQ protocols: every lot meets
specification; the capability index (Ppk) is at least 1.33; and a one-sided lower tolerance limit
with 99 % coverage and 95 % confidence lies above the specification limit.
"""),
        code("""
ppq = pd.Series([94.1, 93.2, 94.8, 93.6, 94.4], index=[f"PPQ-{i}" for i in range(1, 6)], name="supercoiled_pct")
LSL = 90.0
cap = stats.capability(ppq, lsl=LSL)
ti = stats.tolerance_interval(ppq, coverage=0.99, confidence=0.95, sided="lower")
print(f"all lots >= {LSL}: {bool((ppq >= LSL).all())}")
print(f"mean {ti.mean:.2f} %, sd {ti.sd:.3f} %")
print(f"Ppk = {cap.ppk:.2f} (95 % CI {cap.ppk_ci[0]:.2f} - {cap.ppk_ci[1]:.2f})")
print(f"lower 99/95 tolerance limit = {ti.lower:.2f} % with k = {ti.k:.3f}")
""", check=True),
        md("""
All three criteria are met, but look at the confidence interval of Ppk: with five lots it
reaches far below 1.33. The tolerance factor shows the price of few lots:
"""),
        code("""
for n in (5, 10, 20, 30):
    print(f"n = {n:2d}: k(99 % coverage, 95 % confidence, one-sided) = "
          f"{stats.tolerance_factor(n, 0.99, 0.95, sided='lower'):.3f}")
""", check=True),
        md("""
Few lots need a large k, so a criterion that is easy to pass with many lots can fail with few
although the process is the same. Protocols therefore justify the number of PPQ lots from Stage 1
data and often combine PPQ with development and engineering-run results.
"""),
        md("""
## Facility capacity

A production suite is available for a number of days a year (after shutdowns and maintenance).
Each batch occupies it for a cycle time plus a changeover (domain primer, *Scale-up and
facility*):

* batches per year = available days / (cycle time + changeover), rounded down;
* doses per year = titer x working volume x downstream yield x batches / dose.

The base case is an AAV process at 2000 L with a crude titer of 5e10 vg/mL (between the 1e10 vg/mL
of Chahal et al. 2014 and the 3e11 vg/mL of the optimised process of Zhao et al. 2020), a
downstream yield of 30 % (the planning value of the domain primer) and a high systemic dose of
1e15 vg. The costs are illustrative round numbers, not industry data.
"""),
        code("""
base = dict(
    titer_per_ml=5e10, working_volume_l=2000, dsp_yield=0.30, dose=1e15,
    cycle_time_days=14, changeover_days=3, available_days=330,
    facility_per_year=5e6, labour_per_year=3e6, qc_qa_per_year=2e6,
    materials_per_batch=4e5, qc_qa_per_batch=1e5,
)
batches = facility.batches_per_year(base["cycle_time_days"], base["changeover_days"], base["available_days"])
util = facility.suite_utilisation(batches, base["cycle_time_days"], base["changeover_days"], base["available_days"])
doses = facility.doses_per_year(base["titer_per_ml"], base["working_volume_l"], base["dsp_yield"], batches, base["dose"])
print(f"{batches} batches per year, suite utilisation {util:.1%}, {doses:.0f} doses per year")
""", check=True),
        md("""
## Cost of goods per dose and its drivers

COGS per dose = (facility + labour + QC/QA + materials x batches) / doses. Fixed costs
(facility, labour, fixed QC/QA) are spread over all doses; materials and batch-release testing
scale with the number of batches. At low demand labour and indirect costs dominate, at high demand
raw materials do (domain primer, after Farid and co-workers' analyses of viral-vector COGS).
"""),
        code("""
cogs = facility.cost_model(base)
print(f"COGS per dose: {cogs.total_per_dose:,.0f}")
print(cogs.table.round(3).to_string(index=False))
""", check=True),
        md("""
Compare with a 200 L process in the same suite (materials scaled down to 8e4 per batch): ten
times fewer doses carry almost the same fixed costs.
"""),
        code("""
small = facility.cost_model({**base, "working_volume_l": 200, "materials_per_batch": 8e4})
print(f"200 L: {small.doses:.0f} doses per year, COGS per dose {small.total_per_dose:,.0f}")
print(small.table.round(3).to_string(index=False))
""", check=True),
        code("""
pdkit.plots.show(cogs_split_figure([small, cogs], ["200 L", "2000 L"]))
"""),
        md("""
Which assumptions matter most? `facility.cost_sensitivity` varies one input at a time between a
low and a high value (a tornado analysis):
"""),
        code("""
ranges = {
    "titer_per_ml": (2e10, 1e11), "dsp_yield": (0.2, 0.45), "materials_per_batch": (2e5, 8e5),
    "cycle_time_days": (10, 21), "facility_per_year": (3e6, 8e6), "labour_per_year": (2e6, 4.5e6),
}
tornado = facility.cost_sensitivity(base, ranges)
print(tornado[["input", "low", "high", "cogs_low", "cogs_high", "swing"]].to_string(index=False, float_format="{:.4g}".format))
""", check=True),
        code("""
pdkit.plots.show(tornado_figure(tornado))
"""),
        md("""
Titer and downstream yield dominate: every vector genome made and kept is a dose, whereas the
facility and labour costs move COGS much less. This is why upstream (lessons 1-3) and downstream
(lesson 4) development pay off in the clinic and the market.
"""),
        md("""
## Exercises

**Exercise 1.** What is the one-sided lower tolerance limit of the five PPQ results with 95 %
coverage and 95 % confidence?
"""),
        exercise("08_ppq_facility_cogs.ppq_lower_9595"),
        md("""
**Exercise 2.** With the traditional three PPQ lots, which tolerance factor k (one-sided, 99 %
coverage, 95 % confidence) would the criterion need?
"""),
        exercise("08_ppq_facility_cogs.k_three_lots"),
        md("""
**Exercise 3.** A second, identical suite is added. How many batches per year can the facility
make?
"""),
        exercise("08_ppq_facility_cogs.batches_two_suites"),
        md("""
**Exercise 4.** Downstream development raises the overall yield of the 2000 L base case from 30 %
to 40 %. What is the new COGS per dose?
"""),
        exercise("08_ppq_facility_cogs.cogs_yield_40pct"),
        md("""
## Summary

* Process validation is a life cycle: design (Stage 1), qualification including PPQ (Stage 2) and
  continued verification (Stage 3), per FDA's 2011 guidance.
* PPQ acceptance criteria based on capability and tolerance intervals depend strongly on the
  number of lots; justify it.
* Capacity follows from the suite's available days, cycle time and changeover; doses from titer,
  volume, yield and dose.
* COGS per dose splits into facility, labour, QC/QA and materials; titer and yield are usually
  the strongest levers.
"""),
        md("""
## What's next

You have reached the end of the course. Revisit the [course index](00_index.ipynb), run the
reports on your own data (`pdkit templates` lists them, `pdkit run` runs one), and try the
lessons' calculations with your own process numbers.
"""),
    ])


NOTEBOOKS = {
    "00_index": index_nb,
    "05_scaleup": scaleup_nb,
    "06_release_testing": release_nb,
    "07_specs_capability_stability": specs_nb,
    "08_ppq_facility_cogs": ppq_nb,
}


def main(argv: list[str]) -> int:
    COURSE.mkdir(parents=True, exist_ok=True)
    paths = []
    for stem, build in NOTEBOOKS.items():
        path = COURSE / f"{stem}.ipynb"
        nb = build()
        nbformat.validate(nb)
        nbformat.write(nb, str(path))
        paths.append(path)
        print(f"wrote {path.relative_to(ROOT)}")
    if "--execute" in argv:
        return subprocess.call([sys.executable, str(ROOT / "scripts" / "execute_notebooks.py"),
                                *[str(p) for p in paths]], cwd=ROOT)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
