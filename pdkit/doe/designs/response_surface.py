"""Response-surface designs: central composite (Box & Wilson 1951) and Box-Behnken (1960)."""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np

from pdkit.errors import InputError
from pdkit.doe.factors import Factor, as_factors
from pdkit.doe.designs.base import (Design, assemble, check_int, check_seed, continuous_only, replicate_runs, rows_to_frame,
                                    two_level_full)
from pdkit.doe.designs.factorial import fractional_factorial

__all__ = ['central_composite', 'box_behnken']


# ----------------------------------------------------------------------------
# Response-surface designs
# ----------------------------------------------------------------------------
def central_composite(
    factors: Sequence[Factor],
    alpha: str | float = "rotatable",
    center: int | tuple[int, int] | None = None,
    *,
    core_resolution: int | None = None,
    core_generators: Sequence[str] | None = None,
    replicates: int = 1,
    seed: int | None = None,
) -> Design:
    """Central composite design: 2^k (or 2^(k-p)) core, 2k axial runs at +/-alpha, centre runs.

    Parameters
    ----------
    factors : list of Factor (continuous)
    alpha : {"rotatable", "orthogonal", "face", "spherical"} or float
        * ``"rotatable"``: alpha = F**(1/4), F = number of factorial runs;
        * ``"orthogonal"``: unblocked, the alpha making the quadratic columns
          orthogonal, alpha = (F (sqrt(N) - sqrt(F))**2 / 4)**(1/4) with N the
          total runs; blocked (``center`` a tuple), the alpha for orthogonal
          blocking, alpha = sqrt(F (2k + c_a) / (2 (F + c_f)));
        * ``"face"``: alpha = 1 (face-centred);
        * ``"spherical"``: alpha = sqrt(k);
        * a positive number.
    center : int or (int, int), optional
        Number of centre runs; a tuple (c_f, c_a) makes two blocks, the
        factorial block with c_f and the axial block with c_a centre runs.
        Default 4 (unblocked).
    core_resolution, core_generators : optional
        Use a fractional factorial core (resolution V or higher recommended).
    replicates : int
        Replicates of the factorial and axial portions (centre runs are not replicated).
    seed : int, optional
        Randomise run order within blocks.

    Examples
    --------
    >>> from pdkit.doe.factors import Factor
    >>> d = central_composite([Factor("A", 0, 1), Factor("B", 0, 1)], center=5)
    >>> round(d.details["alpha"], 4), d.n_runs
    (1.4142, 13)
    """
    factors = as_factors(factors)
    continuous_only(factors, "central_composite")
    k = len(factors)
    if k < 2:
        raise InputError(f"central_composite: needs at least 2 factors, got {k}")
    replicates = check_int(replicates, "replicates", 1)
    if center is None:
        center = 4
    blocked = isinstance(center, tuple)
    if blocked:
        if len(center) != 2:
            raise InputError(f"center: expected an int or a (factorial, axial) tuple, got {center!r}")
        cf = check_int(center[0], "center (factorial block)", 0)
        ca = check_int(center[1], "center (axial block)", 0)
    else:
        cf = check_int(center, "center", 0)
        ca = 0
    if core_resolution is not None or core_generators is not None:
        core = fractional_factorial(factors, resolution=core_resolution, generators=core_generators).standard()
        cube = core.coded.to_numpy(dtype=float)
        core_info = {"core_generators": core.generators, "core_resolution": core.resolution}
    else:
        cube = two_level_full(k)
        core_info = {}
    cube = np.vstack([cube] * replicates)
    F = len(cube)
    n_axial = 2 * k * replicates
    N = F + n_axial + cf + ca
    if isinstance(alpha, str):
        a = alpha.lower()
        if a == "rotatable":
            value = (F / replicates) ** 0.25  # factorial and axial portions replicated alike
        elif a == "orthogonal":
            if blocked:
                value = math.sqrt(F * (n_axial + ca) / (2 * replicates * (F + cf)))
            else:
                # cov(x_i^2, x_j^2) = 0  <=>  N F = (F + 2 r alpha^2)^2
                value = math.sqrt((math.sqrt(N * F) - F) / (2 * replicates))
        elif a in ("face", "face-centered", "face-centred"):
            value = 1.0
        elif a == "spherical":
            value = math.sqrt(k)
        else:
            raise InputError(f"alpha: expected 'rotatable', 'orthogonal', 'face', 'spherical' or a number, got {alpha!r}")
    else:
        try:
            value = float(alpha)
        except (TypeError, ValueError):
            raise InputError(f"alpha: expected 'rotatable', 'orthogonal', 'face', 'spherical' or a number, got {alpha!r}") from None
        if not np.isfinite(value) or value <= 0:
            raise InputError(f"alpha: expected a positive number, got {alpha!r}")
    axial = np.zeros((2 * k, k))
    for j in range(k):
        axial[2 * j, j] = -value
        axial[2 * j + 1, j] = value
    axial = np.vstack([axial] * replicates)
    rows = np.vstack([cube, np.zeros((cf, k)), axial, np.zeros((ca, k))])
    ptype = ["factorial"] * F + ["center"] * cf + ["axial"] * len(axial) + ["center"] * ca
    if blocked:
        blk = np.array([1] * (F + cf) + [2] * (len(axial) + ca))
    else:
        blk = np.ones(len(rows), dtype=int)
        # centre runs at the end of the standard order
        rows = np.vstack([cube, axial, np.zeros((cf, k))])
        ptype = ["factorial"] * F + ["axial"] * len(axial) + ["center"] * cf
    kind = alpha if isinstance(alpha, str) else "custom"
    return assemble(
        f"central composite ({kind}, alpha={value:.4g})",
        factors,
        rows_to_frame(rows, factors),
        blk,
        ptype,
        check_seed(seed),
        details={"alpha": value, "alpha_kind": kind, "n_factorial": F, "n_axial": len(axial),
                 "n_center": cf + ca, **core_info},
    )


# Box & Behnken (1960) Table 2 / Table 3: factor groups varied together (1-based),
# and the numbers of centre runs they list.
_BBD_GROUPS = {
    3: [(1, 2), (1, 3), (2, 3)],
    4: [(1, 2), (3, 4), (1, 4), (2, 3), (1, 3), (2, 4)],
    5: [(1, 2), (3, 4), (2, 5), (1, 3), (4, 5), (2, 3), (1, 4), (3, 5), (1, 5), (2, 4)],
    6: [(1, 2, 4), (2, 3, 5), (3, 4, 6), (1, 4, 5), (2, 5, 6), (1, 3, 6)],
    7: [(4, 5, 6), (1, 6, 7), (2, 5, 7), (1, 2, 4), (3, 4, 7), (1, 3, 5), (2, 3, 6)],
}
_BBD_CENTER = {3: 3, 4: 3, 5: 6, 6: 6, 7: 6}
#: numbers of orthogonal blocks Box & Behnken (1960) give for each number of factors
_BBD_BLOCKS = {3: (1,), 4: (1, 3), 5: (1, 2), 6: (1, 2), 7: (1, 2)}


def _bbd_block_of(k: int, group_index: int, sub: np.ndarray, blocks: int) -> np.ndarray:
    """Block number of each run of one factor group's 2^2 / 2^3 factorial.

    Pairs (3-5 factors): ``_BBD_GROUPS`` lists the pairs block by block - for 4
    factors three perfect matchings of {1..4}, for 5 factors a 5-cycle and its
    complementary pentagram - so every factor appears equally often in every
    block.  Triples (6, 7 factors): each 2^3 is split into its two half
    fractions by the sign of the three-factor product, as Box & Behnken do.
    """
    if blocks == 1:
        return np.ones(len(sub), dtype=int)
    if k in (6, 7):
        return np.where(sub.prod(axis=1) > 0, 1, 2)
    per_block = len(_BBD_GROUPS[k]) // blocks
    return np.full(len(sub), group_index // per_block + 1, dtype=int)


def box_behnken(
    factors: Sequence[Factor],
    center: int | None = None,
    *,
    blocks: int = 1,
    replicates: int = 1,
    seed: int | None = None,
) -> Design:
    """Box-Behnken design for 3-7 continuous factors (Box & Behnken 1960).

    Each group of factors (pairs for 3-5 factors; the partially balanced
    triples of Box & Behnken for 6 and 7) runs a 2^2 or 2^3 factorial with the
    other factors at their centre.  Default centre runs 3, 3, 6, 6, 6 for 3-7
    factors (Box & Behnken 1960), giving 15, 27, 46, 54, 62 runs.

    ``blocks`` arranges the runs in orthogonal blocks where Box & Behnken give
    them: 3 blocks for 4 factors, 2 blocks for 5, 6 and 7 factors.  Block
    effects are then orthogonal to every term of the full quadratic model, so
    a day-to-day or batch-to-batch shift does not bias any coefficient.  The
    ``center`` runs are shared equally between blocks (so ``center`` must be a
    multiple of ``blocks``); runs are randomised within blocks.

    Examples
    --------
    >>> from pdkit.doe.factors import Factor
    >>> box_behnken([Factor(n, 0, 1) for n in "ABC"]).n_runs
    15
    >>> d = box_behnken([Factor(n, 0, 1) for n in "ABCD"], blocks=3)
    >>> d.n_runs, sorted(set(d.blocks.tolist()))
    (27, [1, 2, 3])
    """
    factors = as_factors(factors)
    continuous_only(factors, "box_behnken")
    k = len(factors)
    if k not in _BBD_GROUPS:
        raise InputError(f"box_behnken: available for 3 to 7 factors, got {k}")
    center = _BBD_CENTER[k] if center is None else check_int(center, "center", 0)
    blocks = check_int(blocks, "blocks", 1)
    if blocks not in _BBD_BLOCKS[k]:
        raise InputError(f"box_behnken: {k} factors can be run in "
                         f"{' or '.join(str(b) for b in _BBD_BLOCKS[k])} orthogonal block(s), got blocks={blocks}")
    if center % blocks:
        raise InputError(f"box_behnken: center={center} cannot be shared equally between {blocks} blocks; "
                         f"give a multiple of {blocks}")
    rows, blk = [], []
    for gi, g in enumerate(_BBD_GROUPS[k]):
        sub = two_level_full(len(g))
        part = np.zeros((len(sub), k))
        part[:, [j - 1 for j in g]] = sub
        rows.append(part)
        blk.append(_bbd_block_of(k, gi, sub, blocks))
    rows, blk = np.vstack(rows), np.concatenate(blk)
    rows, blk, ptype = replicate_runs(rows, blk, ["edge"] * len(rows), check_int(replicates, "replicates", 1))
    per_block = center // blocks
    rows = np.vstack([rows, np.zeros((center, k))])
    blk = np.concatenate([blk, np.repeat(np.arange(1, blocks + 1), per_block)])
    ptype = ptype + ["center"] * center
    order = np.argsort(blk, kind="stable")  # standard order: block by block, centre runs last in each
    rows, blk, ptype = rows[order], blk[order], [ptype[i] for i in order]
    return assemble(f"Box-Behnken {k} factors" + (f" in {blocks} blocks" if blocks > 1 else ""), factors,
                     rows_to_frame(rows, factors), blk, ptype, check_seed(seed),
                     details={"groups": _BBD_GROUPS[k], "n_center": center, "n_blocks": blocks})
