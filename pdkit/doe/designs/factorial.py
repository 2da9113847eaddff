"""Full and regular fractional two-level factorials: generators, defining relation, aliasing, blocking."""
from __future__ import annotations

import itertools
import math
import re
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from pdkit.errors import InputError
from pdkit.doe.factors import Factor, as_factors
from pdkit.doe.designs.base import (Design, FACTOR_LETTERS, assemble, check_int, check_seed, replicate_runs, rows_to_frame,
                                    two_level_full, two_level_only, with_center)

__all__ = ['full_factorial', 'fractional_factorial', 'defining_relation',
           # tables and helpers shared with tests and the other design modules
           'MA_TABLE', 'factor_letters', 'search_generators']


def _popcount(x: int) -> int:
    return bin(x).count("1")


def _word(mask: int, names: Sequence[str]) -> str:
    letters = [names[j] for j in range(len(names)) if (mask >> j) & 1]
    if all(len(n) == 1 for n in names):
        return "".join(letters)
    return ":".join(letters)


def factor_letters(k: int) -> list[str]:
    """Letters naming ``k`` factors in generators (``A``, ``B``, ...; ``X1``... beyond the alphabet).

    Examples
    --------
    >>> factor_letters(3)
    ['A', 'B', 'C']
    """
    if k > len(FACTOR_LETTERS):
        return [f"X{j + 1}" for j in range(k)]
    return list(FACTOR_LETTERS[:k])


def _group(words: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """All products of signed words (mask, sign), including the identity (0, 1)."""
    out = {0: 1}
    for w, s in words:
        new = {}
        for m, t in out.items():
            new[m ^ w] = t * s
        out.update(new)
    return sorted(out.items(), key=lambda kv: (_popcount(kv[0]), kv[0]))


def _wlp(group_masks: Sequence[int], k: int) -> tuple[int, ...]:
    lengths = [_popcount(m) for m in group_masks if m]
    return tuple(lengths.count(L) for L in range(3, k + 1))


def _resolution(group_masks: Sequence[int]) -> int | None:
    lengths = [_popcount(m) for m in group_masks if m]
    return min(lengths) if lengths else None


def defining_relation(generators: Sequence[str], factor_names: Sequence[str]) -> dict[str, Any]:
    """Defining relation, word-length pattern and resolution computed from generators.

    Parameters
    ----------
    generators : list of str
        E.g. ``["E=ABCD"]`` (letters by factor position, I skipped) or
        ``["E = A*B*C*D"]`` with factor names.
    factor_names : list of str
        All factor names, in order.

    Returns
    -------
    dict with ``words`` (list of (mask, sign)), ``relation`` (e.g. ``['I = ABCDE']``),
    ``word_length_pattern`` (A3, A4, ...), ``resolution``, ``generated`` (dict
    factor index -> (mask over base factors, sign)).

    Examples
    --------
    >>> r = defining_relation(["E=ABC", "F=BCD"], list("ABCDEF"))
    >>> r["relation"], r["resolution"]
    (['I = ABCE = BCDF = ADEF'], 4)
    """
    k = len(factor_names)
    gen = _parse_generators(generators, factor_names)
    words = [(mask | (1 << g), sign) for g, (mask, sign) in gen.items()]
    grp = _group(words)
    rel = "I = " + " = ".join(("-" if s < 0 else "") + _word(m, factor_names) for m, s in grp if m)
    masks = [m for m, _ in grp]
    return {
        "words": grp,
        "relation": [rel],
        "word_length_pattern": _wlp(masks, k),
        "resolution": _resolution(masks),
        "generated": gen,
    }


def _parse_generators(generators: Sequence[str], names: Sequence[str]) -> dict[int, tuple[int, int]]:
    if isinstance(generators, str):
        generators = [generators]
    k = len(names)
    letters = factor_letters(k)
    index = {n: i for i, n in enumerate(names)}

    def lookup(tok: str, g: str) -> int:
        if tok in index:
            return index[tok]
        if tok in letters:
            return letters.index(tok)
        raise InputError(f"generator '{g}': unknown factor '{tok}' (factors: {', '.join(names)}; letters {''.join(letters)})")

    out: dict[int, tuple[int, int]] = {}
    for g in generators:
        if not isinstance(g, str) or g.count("=") != 1:
            raise InputError(f"generator {g!r}: expected the form 'E=ABCD' (one '=')")
        lhs, rhs = (s.strip() for s in g.split("="))
        target = lookup(lhs, g)
        sign = 1
        rhs = rhs.replace(" ", "")
        while rhs[:1] in "+-" and rhs:
            sign *= -1 if rhs[0] == "-" else 1
            rhs = rhs[1:]
        if not rhs:
            raise InputError(f"generator '{g}': empty right-hand side")
        if re.search(r"[*:]", rhs):
            toks = [t for t in re.split(r"[*:]", rhs) if t]
        elif rhs in index:
            toks = [rhs]
        else:
            toks = list(rhs)
        mask = 0
        for t in toks:
            j = lookup(t, g)
            if mask >> j & 1:
                raise InputError(f"generator '{g}': factor '{t}' repeats")
            mask |= 1 << j
        if target in out:
            raise InputError(f"generator '{g}': factor '{names[target]}' is generated twice")
        out[target] = (mask, sign)
    for t, (mask, _) in out.items():
        used = [names[j] for j in range(k) if mask >> j & 1 and j in out]
        if used:
            raise InputError(
                f"generator for '{names[t]}': uses generated factor(s) {used}; write generators in terms of base factors only"
            )
        if _popcount(mask) < 2:
            raise InputError(
                f"generator for '{names[t]}': needs an interaction of at least two base factors, "
                "otherwise two main effects are aliased"
            )
    return out


# Minimum-aberration generators, Montgomery DAE 8th ed. Table 8.14 (letters of the
# base factors); keyed by (k, p) -> (generators, resolution stated in the table).
# The resolution stated here is checked against the audit in _fraction_generators.
MA_TABLE: dict[tuple[int, int], tuple[tuple[str, ...], int]] = {
    (3, 1): (("C=AB",), 3),
    (4, 1): (("D=ABC",), 4),
    (5, 1): (("E=ABCD",), 5),
    (5, 2): (("D=AB", "E=AC"), 3),
    (6, 1): (("F=ABCDE",), 6),
    (6, 2): (("E=ABC", "F=BCD"), 4),
    (6, 3): (("D=AB", "E=AC", "F=BC"), 3),
    (7, 1): (("G=ABCDEF",), 7),
    (7, 2): (("F=ABCD", "G=ABDE"), 4),
    (7, 3): (("E=ABC", "F=BCD", "G=ACD"), 4),
    (7, 4): (("D=AB", "E=AC", "F=BC", "G=ABC"), 3),
    (8, 2): (("G=ABCD", "H=ABEF"), 5),
    (8, 3): (("F=ABC", "G=ABD", "H=BCDE"), 4),
    (8, 4): (("E=BCD", "F=ACD", "G=ABC", "H=ABD"), 4),
    (9, 2): (("H=ACDFG", "J=BCEFG"), 6),
    (9, 3): (("G=ABCD", "H=ACEF", "J=CDEF"), 4),
    (9, 4): (("F=BCDE", "G=ACDE", "H=ABDE", "J=ABCE"), 4),
    (9, 5): (("E=ABC", "F=BCD", "G=ACD", "H=ABD", "J=ABCD"), 3),
    (10, 3): (("H=ABCG", "J=BCDE", "K=ACDF"), 5),
    (10, 4): (("G=BCDF", "H=ACDF", "J=ABDE", "K=ABCE"), 4),
    (10, 5): (("F=ABCD", "G=ABCE", "H=ABDE", "J=ACDE", "K=BCDE"), 4),
    (10, 6): (("E=ABC", "F=BCD", "G=ACD", "H=ABD", "J=ABCD", "K=AB"), 3),
    (11, 5): (("G=CDE", "H=ABCD", "J=ABF", "K=BDEF", "L=ADEF"), 4),
    (11, 6): (("F=ABC", "G=BCD", "H=CDE", "J=ACD", "K=ADE", "L=BDE"), 4),
    (11, 7): (("E=ABC", "F=BCD", "G=ACD", "H=ABD", "J=ABCD", "K=AB", "L=AC"), 3),
}

_SEARCH_LIMIT = 20000


def search_generators(k: int, p: int) -> tuple[str, ...] | None:
    """Minimum-aberration generators by search (exhaustive when small, else greedy)."""
    n = k - p
    letters = factor_letters(k)
    cands = [m for m in range(1, 2**n) if _popcount(m) >= 2]
    cands.sort(key=lambda m: (-_popcount(m), m))
    if len(cands) < p:
        return None

    def score(masks: Sequence[int]) -> tuple:
        words = [(m | (1 << (n + i)), 1) for i, m in enumerate(masks)]
        grp = [w for w, _ in _group(words)]
        return _wlp(grp, k)

    best = None
    if math.comb(len(cands), p) <= _SEARCH_LIMIT:
        for combo in itertools.combinations(cands, p):
            s = score(combo)
            if best is None or s < best[0]:
                best = (s, combo)
    else:
        # greedy build-up (balanced word lengths first), then single-generator swaps while the WLP improves
        chosen: list[int] = []
        mid = n / 2 + 1
        order = sorted(cands, key=lambda m: (abs(_popcount(m) - mid), m))
        for _ in range(p):
            opts = [(score(chosen + [m]), abs(_popcount(m) - mid), m) for m in order if m not in chosen]
            chosen.append(min(opts)[2])
        cur = score(chosen)
        improved = True
        while improved:
            improved = False
            for i in range(p):
                for m in cands:
                    if m in chosen:
                        continue
                    trial = chosen[:i] + [m] + chosen[i + 1:]
                    s = score(trial)
                    if s < cur:
                        chosen, cur, improved = trial, s, True
        best = (cur, tuple(chosen))
    combo = best[1]
    return tuple(
        f"{letters[n + i]}=" + "".join(letters[j] for j in range(n) if m >> j & 1) for i, m in enumerate(combo)
    )


def _fraction_generators(k: int, p: int) -> tuple[tuple[str, ...], str]:
    if (k, p) in MA_TABLE:
        gens, stated = MA_TABLE[(k, p)]
        audit = defining_relation(gens, factor_letters(k))["resolution"]
        if audit != stated:
            raise RuntimeError(
                f"internal generator table entry 2^({k}-{p}) {gens} states resolution {stated} "
                f"but its defining relation gives resolution {audit}"
            )
        return gens, "Montgomery (2013) Table 8.14"
    gens = search_generators(k, p)
    if gens is None:
        raise InputError(f"no 2^({k}-{p}) fraction exists: {2 ** (k - p)} runs cannot hold {k} factors")
    return gens, "minimum-aberration search"


_ROMAN = {"III": 3, "IV": 4, "V": 5, "VI": 6, "VII": 7, "VIII": 8}


def _alias_table(grp: Sequence[tuple[int, int]], names: Sequence[str], max_order: int) -> pd.DataFrame:
    k = len(names)
    rows = []
    for order in range(1, max_order + 1):
        for combo in itertools.combinations(range(k), order):
            e = sum(1 << j for j in combo)
            chain = sorted(((e ^ m, s) for m, s in grp if m), key=lambda t: (_popcount(t[0]), t[0]))
            term = ":".join(names[j] for j in combo)
            als = [("-" if s < 0 else "") + ":".join(names[j] for j in range(k) if w >> j & 1) for w, s in chain]
            rows.append({"effect": term, "order": order, "aliases": " = ".join(als) if als else "",
                         "lowest_alias_order": min((_popcount(w) for w, _ in chain), default=None)})
    return pd.DataFrame(rows)


def _block_words(k: int, grp_masks: Sequence[int], n_blocks: int, builder: str) -> list[int]:
    q = int(round(math.log2(n_blocks)))
    if 2**q != n_blocks:
        raise InputError(f"{builder}: blocks must be a power of 2 for a two-level design, got {n_blocks}")
    if q == 0:
        return []

    def eff(w: int) -> int:
        return min(_popcount(w ^ g) for g in grp_masks)

    classes = {}
    for w in range(1, 2**k):
        key = min(w ^ g for g in grp_masks)
        if key not in classes:
            classes[key] = eff(w)
    cands = sorted((c for c, e in classes.items() if e >= 2), key=lambda c: (-classes[c], c))[:24]
    best = None
    for combo in itertools.combinations(cands, q):
        grp = [m for m, _ in _group([(c, 1) for c in combo]) if m]
        effs = [eff(m) for m in grp]
        if min(effs) < 2:
            continue
        s = (min(effs), -effs.count(min(effs)))
        if best is None or s > best[0]:
            best = (s, combo)
    if best is None:
        raise InputError(f"{builder}: cannot split this design into {n_blocks} blocks without confounding main effects")
    return list(best[1])


def _assign_blocks(rows: np.ndarray, words: Sequence[int]) -> np.ndarray:
    b = np.zeros(len(rows), dtype=int)
    for i, w in enumerate(words):
        cols = [j for j in range(rows.shape[1]) if w >> j & 1]
        sign = np.prod(rows[:, cols], axis=1)
        b += (sign > 0).astype(int) << i
    # renumber so that the block containing the first run is block 1, in order of appearance
    _, first = np.unique(b, return_index=True)
    rank = {v: i + 1 for i, v in enumerate(b[np.sort(first)])}
    return np.array([rank[v] for v in b], dtype=int)


# ----------------------------------------------------------------------------
# Factorials
# ----------------------------------------------------------------------------
def full_factorial(
    factors: Sequence[Factor],
    levels: int | Sequence[int] | Mapping[str, int] | None = None,
    *,
    replicates: int = 1,
    center: int = 0,
    blocks: int = 1,
    seed: int | None = None,
) -> Design:
    """Full factorial design, two-level or multi-level, with categorical factors.

    Parameters
    ----------
    factors : list of Factor
    levels : int, list or dict, optional
        Number of levels per continuous factor (equally spaced from ``low`` to
        ``high``); default 2.  Categorical factors always use all their levels.
    replicates : int
        Number of complete replicates.
    center : int
        Centre runs (all factors continuous), spread evenly over the blocks.
    blocks : int
        Number of blocks (a power of 2; two-level designs only), confounding the
        highest-order interactions possible (search for the block generators
        whose lowest confounded interaction is of the highest order).
    seed : int, optional
        Randomise the run order within blocks; ``None`` = standard order.

    Examples
    --------
    >>> from pdkit.doe.factors import Factor
    >>> d = full_factorial([Factor("A", 0, 1), Factor("B", 0, 1)], center=2)
    >>> d.coded.to_numpy().tolist()
    [[-1.0, -1.0], [1.0, -1.0], [-1.0, 1.0], [1.0, 1.0], [0.0, 0.0], [0.0, 0.0]]
    """
    factors = as_factors(factors)
    replicates = check_int(replicates, "replicates", 1)
    center = check_int(center, "center", 0)
    blocks = check_int(blocks, "blocks", 1)
    seed = check_seed(seed)
    k = len(factors)
    if levels is None:
        nlev = [2] * k
    elif isinstance(levels, (int, np.integer)) and not isinstance(levels, bool):
        nlev = [int(levels)] * k
    elif isinstance(levels, Mapping):
        unknown = [n for n in levels if n not in [f.name for f in factors]]
        if unknown:
            raise InputError(f"levels: unknown factor(s) {unknown}")
        nlev = [int(levels.get(f.name, 2)) for f in factors]
    else:
        nlev = list(levels)
        if len(nlev) != k:
            raise InputError(f"levels: expected {k} numbers (one per factor), got {len(nlev)}")
    values = []
    for f, n in zip(factors, nlev):
        if f.is_continuous:
            n = check_int(n, f"levels for factor '{f.name}'", 2)
            values.append(np.linspace(-1.0, 1.0, n))
        elif len(f.levels) == 2:
            values.append(np.array([-1.0, 1.0]))
        else:
            values.append(np.arange(len(f.levels), dtype=float))
    grid = np.array(list(itertools.product(*reversed(values))), dtype=float)[:, ::-1] if k else np.zeros((1, 0))
    blk = np.ones(len(grid), dtype=int)
    if blocks > 1:
        if any(len(v) != 2 for v in values):
            raise InputError("blocks: blocking is available for two-level full factorials only")
        words = _block_words(k, [0], blocks, "full_factorial")
        blk = _assign_blocks(grid, words)
    rows, blk, ptype = replicate_runs(grid, blk, ["factorial"] * len(grid), replicates)
    rows, blk, ptype = with_center(rows, factors, center, blk)
    two = all(len(v) == 2 for v in values)
    name = f"2^{k} full factorial" if two else "x".join(str(len(v)) for v in values) + " full factorial"
    return assemble(name, factors, rows_to_frame(rows, factors), blk, ptype, seed,
                     details={"levels": [len(v) for v in values], "replicates": replicates, "center": center})


def fractional_factorial(
    factors: Sequence[Factor],
    resolution: int | str | None = None,
    generators: Sequence[str] | None = None,
    *,
    runs: int | None = None,
    center: int = 0,
    replicates: int = 1,
    blocks: int = 1,
    alias_order: int = 2,
    seed: int | None = None,
) -> Design:
    """Regular two-level fractional factorial 2^(k-p) by resolution, run count or generators.

    The defining relation, word-length pattern, resolution and alias chains
    are computed from the generators actually used (audited), whichever way
    they were chosen.

    Parameters
    ----------
    factors : list of Factor
        Continuous or two-level categorical factors.
    resolution : int or {"III", "IV", "V", ...}, optional
        Smallest design whose audited resolution is at least this.  Generators
        are the minimum-aberration ones (Montgomery Table 8.14, else a search).
    generators : list of str, optional
        Explicit generators, e.g. ``["D=AB", "E=AC"]`` (factor letters by
        position, I skipped) or ``["pH=temp*feed*dose"]`` with names.
    runs : int, optional
        Number of runs (a power of 2) when neither resolution nor generators is given.
    center, replicates, blocks, seed
        As in :func:`full_factorial`; blocks confound interactions chosen so
        that no main effect is confounded with blocks.
    alias_order : int
        Alias chains are listed for effects up to this order (2 = main effects
        and two-factor interactions).

    Examples
    --------
    >>> from pdkit.doe.factors import Factor
    >>> fs = [Factor(n, 0, 1) for n in "ABCDEF"]
    >>> d = fractional_factorial(fs, resolution=4)
    >>> d.name, d.generators, d.defining_relation
    ('2^(6-2) fractional factorial', ('E=ABC', 'F=BCD'), ('I = ABCE = BCDF = ADEF',))
    """
    factors = as_factors(factors)
    two_level_only(factors, "fractional_factorial")
    k = len(factors)
    names = [f.name for f in factors]
    letters = factor_letters(k)
    alias_order = check_int(alias_order, "alias_order", 1)
    source = "user generators"
    if generators is not None:
        if resolution is not None or runs is not None:
            raise InputError("fractional_factorial: give either generators or resolution/runs, not both")
        gens = tuple([generators] if isinstance(generators, str) else generators)
        if not gens:
            raise InputError("generators: expected at least one generator such as 'E=ABCD'")
    else:
        if resolution is None and runs is None:
            raise InputError("fractional_factorial: give resolution (e.g. 4 or 'IV'), runs or generators")
        if resolution is not None:
            res = _ROMAN.get(str(resolution).upper()) if isinstance(resolution, str) else resolution
            if res is None or isinstance(res, bool) or not isinstance(res, (int, np.integer)) or not 3 <= res <= 8:
                raise InputError(f"resolution: expected 3-8 or 'III'-'VIII', got {resolution!r}")
        if runs is not None:
            runs = check_int(runs, "runs", 2)
            n = int(round(math.log2(runs)))
            if 2**n != runs:
                raise InputError(f"runs: a regular fraction has a power-of-2 number of runs, got {runs}")
            if n > k:
                raise InputError(f"runs: {runs} runs exceed the 2^{k} = {2 ** k} runs of the full factorial")
            if 2**n - 1 < k:
                raise InputError(f"runs: {runs} runs cannot hold {k} two-level factors (at most {2 ** n - 1})")
            ps = [k - n]
        else:
            ps = list(range(k - max(1, math.ceil(math.log2(k + 1))), -1, -1))
        gens = None
        for p in ps:
            if p == 0:
                gens = ()
                break
            g, source = _fraction_generators(k, p)
            audit = defining_relation(g, letters)["resolution"]
            if resolution is None or audit >= res:
                gens = g
                break
        if gens is None:
            raise InputError(f"resolution: no regular fraction of resolution {resolution} found for {k} factors")
        if resolution is not None and runs is not None and gens and defining_relation(gens, letters)["resolution"] < res:
            raise InputError(f"no {runs}-run fraction for {k} factors reaches resolution {resolution}")
    if not gens:
        d = full_factorial(factors, replicates=replicates, center=center, blocks=blocks, seed=seed)
        return d
    rel = defining_relation(gens, names)
    if rel["resolution"] is not None and rel["resolution"] < 3:
        raise InputError(f"generators {list(gens)}: resolution {rel['resolution']} aliases main effects with each other")
    gen = rel["generated"]
    base = [j for j in range(k) if j not in gen]
    full = two_level_full(len(base))
    rows = np.zeros((len(full), k))
    rows[:, base] = full
    for t, (mask, sign) in gen.items():
        cols = [j for j in range(k) if mask >> j & 1]
        rows[:, t] = sign * np.prod(rows[:, cols], axis=1)
    grp = rel["words"]
    masks = [m for m, _ in grp]
    blk = np.ones(len(rows), dtype=int)
    if blocks > 1:
        blk = _assign_blocks(rows, _block_words(k, masks, check_int(blocks, "blocks", 1), "fractional_factorial"))
    rows, blk, ptype = replicate_runs(rows, blk, ["factorial"] * len(rows), check_int(replicates, "replicates", 1))
    rows, blk, ptype = with_center(rows, factors, check_int(center, "center", 0), blk)
    p = len(gen)
    use_letters = letters if any(len(n) > 1 for n in names) else names
    gen_txt = tuple(
        f"{use_letters[t]}=" + ("-" if s < 0 else "") + "".join(use_letters[j] for j in range(k) if m >> j & 1)
        for t, (m, s) in gen.items()
    )
    rel_l = defining_relation(gen_txt, use_letters)["relation"] if use_letters is not names else rel["relation"]
    return assemble(
        f"2^({k}-{p}) fractional factorial",
        factors,
        rows_to_frame(rows, factors),
        blk,
        ptype,
        check_seed(seed),
        generators=gen_txt,
        defining_relation=tuple(rel_l),
        resolution=rel["resolution"],
        word_length_pattern=rel["word_length_pattern"],
        aliases=_alias_table(grp, names, alias_order),
        details={"generator_source": source, "letters": dict(zip(use_letters, names))},
    )
