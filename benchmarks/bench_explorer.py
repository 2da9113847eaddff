"""Benchmark the DoE explorer's per-interaction computation (pdkit.explorer.Explorer).

Synthetic problem (seeded): a rotatable central composite design in 5 factors (2^5 cube,
10 axial runs at alpha = 2, 6 centre points; 48 runs), three responses with known
quadratic surfaces plus normal noise, each fitted with the full quadratic model (21 terms).
The explorer shows 5 factors x 3 responses (+ desirability row) with ``--points`` points
per trace.  Timed, ``--repeats`` times each (wall clock, after one warm-up call):

* ``slider move, compute``: traces of the other 4 factors, the current point and the
  contour grid (numpy only, what a slider move computes);
* ``slider move, total``: ``Explorer.set`` end to end, i.e. the computation plus the
  bokeh ``ColumnDataSource`` updates (browser transfer not included);
* ``contour recompute``: the ``points x points`` grid of one response;
* ``design space``: the Monte Carlo probability map (``--draws`` draws) on the contour grid.

Prints a table of median and 95th-percentile milliseconds; writes nothing.

Usage: ``python benchmarks/bench_explorer.py [--points 50] [--repeats 200] [--draws 1000] [--seed 1]``
"""
from __future__ import annotations

import argparse
import itertools
import time
import warnings

import numpy as np
import pandas as pd

from pdkit.doe.analysis import fit
from pdkit.doe.factors import Factor
from pdkit.explorer import Explorer

NAMES = ["dna", "pei", "density", "complex_time", "harvest"]


def make_fits(seed: int) -> dict:
    rng = np.random.default_rng(seed)
    cube = np.array(list(itertools.product([-1.0, 1.0], repeat=5)))
    a = 2.0  # fit() accepts axial runs up to 2 coded units out
    axial = np.vstack([s * a * np.eye(5)[i] for i in range(5) for s in (-1, 1)])
    X = np.vstack([cube, axial, np.zeros((6, 5))])
    factors = [Factor(n, 0.0, 10.0) for n in NAMES]
    data = pd.DataFrame(5 + 5 * X / 1.0, columns=NAMES)  # coded -> 0..10 (+ axial beyond)
    out = {}
    for k, resp in enumerate(["titer", "full_capsids", "hcp"]):
        b = rng.normal(0, 1, 5)
        y = 50 + 10 * k + X @ b - 0.8 * (X**2).sum(axis=1) + 0.3 * X[:, 0] * X[:, 1] + rng.normal(0, 0.5, len(X))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out[resp] = fit(data.assign(**{resp: y}), resp, "quadratic", factors)
    return out


def timed(func, repeats: int) -> np.ndarray:
    func()
    t = np.empty(repeats)
    for i in range(repeats):
        t0 = time.perf_counter()
        func()
        t[i] = time.perf_counter() - t0
    return 1000 * t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--points", type=int, default=50)
    ap.add_argument("--repeats", type=int, default=200)
    ap.add_argument("--draws", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    fits = make_fits(a.seed)
    goals = {"titer": ("maximize", 40, 60), "full_capsids": ("target", 50, 70, 60), "hcp": ("minimize", 60, 80)}
    specs = {"titer": (45, None), "hcp": (None, 75)}
    ex = Explorer(fits, goals=goals, specs=specs, n_points=a.points, seed=a.seed, n_draws=a.draws)
    values = np.linspace(3.0, 7.0, 7)
    counter = itertools.count()

    def move_compute() -> None:
        i = next(counter)
        ex._state["density"] = float(values[i % len(values)])
        ex.compute_profiles([n for n in ex.explored if n != "density"])
        ex.compute_current()
        ex.compute_contour()

    def move_total() -> None:
        i = next(counter)
        ex.set(density=float(values[i % len(values)]))

    rows = [
        ("slider move, compute", timed(move_compute, a.repeats)),
        ("slider move, total (incl. source updates)", timed(move_total, a.repeats)),
        ("contour recompute", timed(ex.compute_contour, a.repeats)),
        (f"design space ({a.draws} draws, {a.points}x{a.points})", timed(ex.compute_design_space,
                                                                        max(5, a.repeats // 20))),
    ]
    print(f"Explorer: {len(fits)} responses x {len(ex.explored)} factors x {a.points} points, "
          f"quadratic models with {fits['titer'].X.shape[1]} terms")
    print(f"{'operation':<46}{'median ms':>12}{'p95 ms':>12}{'n':>6}")
    for name, t in rows:
        print(f"{name:<46}{np.median(t):>12.2f}{np.percentile(t, 95):>12.2f}{len(t):>6}")


if __name__ == "__main__":
    main()
