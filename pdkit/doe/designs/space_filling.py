"""Space-filling designs: maximin Latin hypercubes."""
from __future__ import annotations

from dataclasses import replace
from typing import Sequence

import numpy as np

from pdkit.doe.factors import Factor, as_factors
from pdkit.doe.designs.base import Design, assemble, check_int, check_seed, rows_to_frame

__all__ = ['latin_hypercube']


# ----------------------------------------------------------------------------
# Latin hypercube
# ----------------------------------------------------------------------------
def latin_hypercube(
    factors: Sequence[Factor],
    runs: int,
    seed: int | None = None,
    *,
    maximin: bool = True,
    n_candidates: int = 50,
) -> Design:
    """Latin hypercube sample in coded units (space-filling design).

    Each continuous factor's range is cut into ``runs`` equal strata with one
    run in each (:class:`scipy.stats.qmc.LatinHypercube`).  With
    ``maximin=True`` the best of ``n_candidates`` hypercubes by the smallest
    inter-point distance is kept, then pairs of values within a column are
    swapped while that distance increases.  Categorical factors get balanced
    levels in random order.

    Examples
    --------
    >>> from pdkit.doe.factors import Factor
    >>> d = latin_hypercube([Factor("A", 0, 10), Factor("B", 0, 1)], runs=5, seed=3)
    >>> sorted(np.floor((d.coded["A"] + 1) / 2 * 5).astype(int).tolist())
    [0, 1, 2, 3, 4]
    """
    from scipy.spatial.distance import pdist
    from scipy.stats import qmc

    factors = as_factors(factors)
    runs = check_int(runs, "runs", 2)
    n_candidates = check_int(n_candidates, "n_candidates", 1)
    seed = check_seed(seed)
    if seed is None:
        seed = int(np.random.SeedSequence().generate_state(1)[0])
    rng = np.random.default_rng(seed)
    cont = [j for j, f in enumerate(factors) if f.is_continuous]
    U = None
    if cont:
        best = None
        for _ in range(n_candidates if maximin else 1):
            u = qmc.LatinHypercube(d=len(cont), seed=rng).random(runs)
            score = pdist(u).min() if runs > 1 else 0.0
            if best is None or score > best[0]:
                best = (score, u)
        U = best[1]
        if maximin and len(cont) > 1:
            score = pdist(U).min()
            for _ in range(20 * runs):
                j = rng.integers(len(cont))
                a, b = rng.choice(runs, 2, replace=False)
                V = U.copy()
                V[[a, b], j] = V[[b, a], j]
                s = pdist(V).min()
                if s > score:
                    U, score = V, s
    S = np.zeros((runs, len(factors)))
    for pos, j in enumerate(cont):
        S[:, j] = 2 * U[:, pos] - 1
    for j, f in enumerate(factors):
        if not f.is_continuous:
            lev = np.resize(np.arange(len(f.levels)), runs)
            S[:, j] = rng.permutation(lev)
            if len(f.levels) == 2:
                S[:, j] = 2 * S[:, j] - 1
    d = assemble(f"Latin hypercube {runs} runs", factors, rows_to_frame(S, factors), None, ["lhs"] * runs, None,
                  details={"maximin": maximin, "min_distance_coded": float(pdist(S[:, cont]).min()) * 1.0 if cont and runs > 1 else None})
    return replace(d, seed=seed)
