"""Screening designs: Plackett-Burman (Hadamard matrices) and definitive screening (conference matrices)."""
from __future__ import annotations

import itertools
from typing import Sequence

import numpy as np

from pdkit.errors import InputError
from pdkit.doe.factors import Factor, as_factors
from pdkit.doe.designs.base import (Design, assemble, check_int, check_seed, replicate_runs, rows_to_frame, two_level_only,
                                    with_center)

__all__ = ['plackett_burman', 'definitive_screening', 'conference_matrix', 'hadamard_matrix']


# ----------------------------------------------------------------------------
# Finite fields, Hadamard and conference matrices
# ----------------------------------------------------------------------------
def _prime_power(q: int) -> tuple[int, int] | None:
    if q < 2:
        return None
    for p in range(2, q + 1):
        if q % p == 0:
            e, r = 0, q
            while r % p == 0:
                r //= p
                e += 1
            return (p, e) if r == 1 else None
    return None


def _gf(q: int) -> tuple[np.ndarray, np.ndarray]:
    """Addition and multiplication tables of GF(q), q a prime power (elements 0..q-1)."""
    p, e = _prime_power(q)  # type: ignore[misc]
    digits = np.array([[(x // p**i) % p for i in range(e)] for x in range(q)])
    weights = p ** np.arange(e)
    add = ((digits[:, None, :] + digits[None, :, :]) % p) @ weights
    if e == 1:
        return add, np.outer(np.arange(q), np.arange(q)) % p
    for tail in itertools.product(range(p), repeat=e):  # monic polynomial x^e + tail
        poly = np.array(tail)

        def mul(a, b):
            prod = np.zeros(2 * e - 1, dtype=int)
            for i in range(e):
                prod[i:i + e] += a[i] * b
            prod %= p
            for d in range(2 * e - 2, e - 1, -1):
                c = prod[d]
                if c:
                    prod[d - e:d] = (prod[d - e:d] - c * poly) % p
                    prod[d] = 0
            return prod[:e]

        table = np.array([[mul(digits[a], digits[b]) @ weights for b in range(q)] for a in range(q)])
        if np.all(table[1:, 1:] != 0):
            return add, table
    raise RuntimeError(f"no irreducible polynomial found for GF({q})")  # pragma: no cover


def _paley_core(q: int) -> np.ndarray:
    """Q[i, j] = chi(a_i - a_j), chi the quadratic character of GF(q)."""
    add, mul = _gf(q)
    neg = np.array([int(np.flatnonzero(add[x] == 0)[0]) for x in range(q)])
    squares = {int(mul[x, x]) for x in range(1, q)}
    chi = np.array([0] + [1 if x in squares else -1 for x in range(1, q)])
    diff = add[:, neg]  # diff[i, j] = a_i + (-a_j)
    return chi[diff].astype(float)


def conference_matrix(n: int) -> np.ndarray | None:
    """A conference matrix C of order n (C'C = (n-1) I, zero diagonal), or None if not constructed.

    Paley constructions from GF(q), q = n - 1 a prime power: symmetric for
    q = 1 (mod 4), antisymmetric for q = 3 (mod 4).  Order 2 is [[0, 1], [1, 0]].

    Examples
    --------
    >>> C = conference_matrix(6)
    >>> (C.T @ C).tolist() == (5 * np.eye(6)).tolist()
    True
    """
    if n == 2:
        return np.array([[0.0, 1.0], [1.0, 0.0]])
    q = n - 1
    if q > 400 or _prime_power(q) is None or q % 2 == 0:
        return None
    Q = _paley_core(q)
    eps = 1.0 if q % 4 == 1 else -1.0
    C = np.zeros((n, n))
    C[0, 1:] = 1.0
    C[1:, 0] = eps
    C[1:, 1:] = Q
    return C


def hadamard_matrix(n: int) -> np.ndarray | None:
    """A Hadamard matrix of order n (H'H = n I) by Sylvester doubling or Paley I/II, or None.

    Examples
    --------
    >>> H = hadamard_matrix(12)
    >>> bool(np.allclose(H.T @ H, 12 * np.eye(12)))
    True
    """
    if n == 1:
        return np.ones((1, 1))
    if n == 2:
        return np.array([[1.0, 1.0], [1.0, -1.0]])
    if n % 4:
        return None
    q = n - 1
    pp = _prime_power(q)
    if pp is not None and q % 4 == 3:
        return conference_matrix(n) + np.eye(n)
    q2 = n // 2 - 1
    pp2 = _prime_power(q2)
    if pp2 is not None and q2 % 4 == 1:
        C = conference_matrix(q2 + 1)
        return np.kron(C, np.array([[1.0, 1.0], [1.0, -1.0]])) + np.kron(np.eye(q2 + 1), np.array([[1.0, -1.0], [-1.0, -1.0]]))
    half = hadamard_matrix(n // 2)
    if half is not None:
        return np.block([[half, half], [half, -half]])
    return None


# Plackett & Burman (1946), Biometrika 33:305-325: first rows of the cyclic designs.
_PB_ROWS = {
    12: "++-+++---+-",
    20: "++--++++-+-+----++-",
    24: "+++++-+-++--++--+-+----",
}


def _pb_matrix(n: int) -> np.ndarray | None:
    """n x (n-1) two-level orthogonal array (Plackett-Burman)."""
    if n in _PB_ROWS:
        g = np.array([1.0 if c == "+" else -1.0 for c in _PB_ROWS[n]])
        rows = [np.roll(g, i) for i in range(n - 1)]
        rows.append(-np.ones(n - 1))
        return np.array(rows)
    H = hadamard_matrix(n)
    if H is None:
        return None
    H = H * H[:, [0]]  # first column all +1
    H = H[:, 1:]
    return H * np.where(H[-1] > 0, -1.0, 1.0)  # last run all low, as in the cyclic designs


def plackett_burman(
    factors: Sequence[Factor],
    runs: int | None = None,
    *,
    center: int = 0,
    replicates: int = 1,
    seed: int | None = None,
) -> Design:
    """Plackett-Burman screening design (N a multiple of 4, N > number of factors).

    N = 12, 20, 24 use the cyclic generating rows of Plackett & Burman (1946);
    other N use a normalised Hadamard matrix (Sylvester doubling or Paley).
    The first k columns are used.

    Examples
    --------
    >>> from pdkit.doe.factors import Factor
    >>> d = plackett_burman([Factor(f"x{i}", 0, 1) for i in range(7)])
    >>> d.n_runs, d.name
    (8, 'Plackett-Burman 8 runs')
    """
    factors = as_factors(factors)
    two_level_only(factors, "plackett_burman")
    k = len(factors)
    if runs is None:
        runs = 4 * (k // 4 + 1)
        while _pb_matrix(runs) is None:
            runs += 4
    runs = check_int(runs, "runs", 4)
    if runs % 4 or runs <= k:
        raise InputError(f"runs: a Plackett-Burman design needs a multiple of 4 greater than the {k} factors, got {runs}")
    M = _pb_matrix(runs)
    if M is None:
        raise InputError(f"runs: no Plackett-Burman/Hadamard construction available for {runs} runs")
    rows = M[:, :k]
    rows, blk, ptype = replicate_runs(rows, np.ones(len(rows), dtype=int), ["factorial"] * len(rows),
                                  check_int(replicates, "replicates", 1))
    rows, blk, ptype = with_center(rows, factors, check_int(center, "center", 0), blk)
    return assemble(f"Plackett-Burman {runs} runs", factors, rows_to_frame(rows, factors), blk, ptype,
                     check_seed(seed), details={"source": "Plackett & Burman (1946)" if runs in _PB_ROWS else "Hadamard"})


# ----------------------------------------------------------------------------
# Definitive screening
# ----------------------------------------------------------------------------
def definitive_screening(
    factors: Sequence[Factor],
    *,
    center: int = 1,
    fake_factors: int = 0,
    seed: int | None = None,
) -> Design:
    """Definitive screening design (Jones & Nachtsheim 2011) for continuous and two-level categorical factors.

    The design is a conference matrix C of order n (n = m for an even number
    m of factors, m + 1 for odd m), its fold-over -C and centre run(s):
    2n + ``center`` runs.  When no conference matrix of order n is available
    here (Paley constructions need n - 1 to be an odd prime power; e.g. n = 16,
    22, 34 are not covered), the next available even order is used and the
    extra ("fake") factor columns are dropped, as JMP does.

    Two-level categorical factors (Jones & Nachtsheim 2013): the zero of
    each categorical column in C is set to +1 (and so to -1 in -C), and the
    centre runs come in pairs with every categorical factor at +1 in one and
    -1 in the other (so ``center`` counts pairs).  Main effects then remain
    orthogonal to all two-factor interactions and quadratic effects; main
    effects of categorical and continuous factors are nearly, not exactly,
    orthogonal.  With two or more categorical factors the result depends on
    the sign of the conference matrix's core (Paley's Q or -Q, both valid
    conference matrices): setting the zeros to +1 makes the categorical columns
    correlated through the core's entries.  Both are built and the one with
    the larger main-effects determinant |X'X| is kept (``details
    ["core_sign"]``).  Against the designs Jones & Nachtsheim tabulate (as in
    ``daewr::DefScreen``) this reproduces the published design's correlation
    structure, or improves on it (7 continuous + 2 categorical factors:
    |X'X| 5.59e12 against 5.11e12).

    Extra runs (``fake_factors``): the design is built for m + ``fake_factors``
    factors and the fake columns are dropped (JMP's "Extra runs": 2 fake factors
    add 4 runs; the fake-factor columns are what Jones & Nachtsheim 2017,
    Technometrics 59:319-329, use to estimate the error variance).  The main effects stay orthogonal to each other and to every
    two-factor interaction and quadratic effect, and the extra runs raise the
    error degrees of freedom and the power for second-order terms.

    Parameters
    ----------
    factors : list of Factor
        Continuous or two-level categorical factors (at least 2).
    center : int
        Centre runs (pairs of runs with categorical factors), at least 1.
    fake_factors : int
        Extra fake factors to build the design for (each pair adds 4 runs).
    seed : int, optional
        Randomise the run order; ``None`` keeps the construction order.

    Examples
    --------
    >>> from pdkit.doe.factors import Factor
    >>> d = definitive_screening([Factor(f"x{i}", 0, 1) for i in range(6)])
    >>> d.n_runs, d.details["conference_order"]
    (13, 6)
    >>> definitive_screening([Factor(f"x{i}", 0, 1) for i in range(6)], fake_factors=2).n_runs
    17
    """
    factors = as_factors(factors)
    two_level_only(factors, "definitive_screening")
    center = check_int(center, "center", 1)
    extra = check_int(fake_factors, "fake_factors", 0)
    m = len(factors)
    if m < 2:
        raise InputError(f"definitive_screening: needs at least 2 factors, got {m}")
    # continuous factors first in the conference columns, then categorical
    cont = [j for j, f in enumerate(factors) if f.is_continuous]
    cat = [j for j, f in enumerate(factors) if not f.is_continuous]
    order = m + extra if (m + extra) % 2 == 0 else m + extra + 1
    C = conference_matrix(order)
    while C is None:
        order += 2
        C = conference_matrix(order)
    fake = order - m

    def fold_half(core_sign: float) -> np.ndarray:
        Cs = C.copy()
        if core_sign < 0:  # [[0, 1'], [1, -Q]]: also a conference matrix
            Cs[1:, 0] = 1.0
            Cs[1:, 1:] *= -1.0
        half = np.zeros((order, m))
        for pos, j in enumerate(cont + cat):
            half[:, j] = Cs[:, pos]
            if j in cat:
                half[pos, j] = 1.0
        return half

    if cat:  # centre runs in pairs, every categorical factor at +1 in one and -1 in the other
        pair = np.zeros((2, m))
        pair[0, cat], pair[1, cat] = 1.0, -1.0
        centre = np.vstack([pair] * center)
    else:
        centre = np.zeros((center, m))

    def main_effects_det(half: np.ndarray) -> float:
        X = np.column_stack([np.ones(2 * order + len(centre)), np.vstack([half, -half, centre])])
        return float(np.linalg.det(X.T @ X))

    core_sign = 1.0
    cols = fold_half(core_sign)
    if len(cat) >= 2:
        other = fold_half(-1.0)
        if main_effects_det(other) > main_effects_det(cols) * (1 + 1e-9):
            core_sign, cols = -1.0, other
    rows = [cols, -cols, centre]
    ptype = ["fold"] * (2 * order) + ["center"] * len(centre)
    rows = np.vstack(rows)
    return assemble(
        f"definitive screening {m} factors",
        factors,
        rows_to_frame(rows, factors),
        np.ones(len(rows), dtype=int),
        ptype,
        check_seed(seed),
        details={"conference_order": order, "fake_factors": fake, "extra_fake_factors": extra, "categorical": [factors[j].name for j in cat],
                 "core_sign": int(core_sign)},
    )
