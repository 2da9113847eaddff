"""Benchmark the lot-history store: import 20 years of lots and render the CPV report from it.

Writes a synthetic (seeded) history of ``--years`` x ``--lots`` lots x ``--attributes`` numeric
attributes (default 20 x 50 x 40 = 40,000 results of one product) and its specification, then
measures, on an SQLite file (and on PostgreSQL when ``--postgres URL`` or
``PDKIT_TEST_POSTGRES_URL`` is given):

* ``import``: ``LotStore.import_results`` of the whole file in one transaction;
* ``re-import``: the same file again (a no-op found by its SHA-256);
* ``query + CPV``: ``LotStore.results`` and ``pdkit.lots.cpv.cpv_analysis`` (I-MR with Nelson
  rules per attribute, yearly Ppk with CIs, near-limit lots) in this process;
* ``pdkit run cpv_trending``: the full report (kernel, HTML, manifest) as a fresh CLI process
  (SQLite only).

Wall time and peak memory: peak resident set size of this process (cumulative over the steps;
it includes the interpreter, pandas and SQLAlchemy) for the in-process steps, of the child
processes (CLI and kernel) for the report.

Usage: ``python benchmarks/bench_lots.py [--years 20] [--lots 50] [--attributes 40] [--seed 11]
[--postgres URL] [--no-report]``.  Prints a markdown table.
"""
from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from pdkit.lots import open_store, redact_url
from pdkit.lots.cpv import cpv_analysis

PRODUCT = "BENCH-1 (synthetic)"


def make_data(folder: Path, years: int, lots: int, attributes: int, seed: int) -> tuple[Path, Path]:
    """A long-layout history (normal results, one slow drift) and a specification with +/- 6 SD limits."""
    rng = np.random.default_rng(seed)
    names = [f"attr_{k:02d}" for k in range(attributes)]
    means = rng.uniform(10, 100, attributes)
    sds = means * rng.uniform(0.01, 0.05, attributes)
    n = years * lots
    rows = []
    start = date(2006, 1, 3)
    lot_names = [f"B{y:02d}-{k + 1:03d}" for y in range(years) for k in range(lots)]
    dates = [(start + timedelta(days=round(i * 365.25 / lots))).isoformat() for i in range(n)]
    values = rng.normal(means, sds, (n, attributes))
    values[:, 0] += np.linspace(0, 3 * sds[0], n)  # one attribute drifts
    for i in range(n):
        for k, name in enumerate(names):
            rows.append((lot_names[i], dates[i], name, f"{values[i, k]:.4g}", "mg/mL"))
    data = pd.DataFrame(rows, columns=["lot", "date", "attribute", "value", "unit"])
    data.insert(0, "product", PRODUCT)
    path = folder / "bench_history_synthetic.csv"
    data.to_csv(path, index=False, lineterminator="\n")
    spec = [f"product: {PRODUCT}", 'version: "1"', "effective_date: 2006-01-01", "attributes:"]
    for name, m, s in zip(names, means, sds):
        spec += [f"  - name: {name}", "    method: bench", "    unit: mg/mL", "    criterion: range",
                 f"    lower: {m - 6 * s:.2f}", f"    upper: {m + 6 * s:.2f}"]
    spec_path = folder / "bench_spec_synthetic.yaml"
    spec_path.write_text("\n".join(spec) + "\n")
    return path, spec_path


def measure(fn, *args, **kwargs):
    """(result, wall seconds, peak RSS of this process so far in MiB).

    tracemalloc would slow the row-by-row import several-fold, so memory is the process's
    peak resident set size (``getrusage``), which includes the interpreter and libraries.
    """
    t0 = time.perf_counter()
    res = fn(*args, **kwargs)
    dt = time.perf_counter() - t0
    return res, dt, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bench_store(url: str, data: Path, spec: Path) -> list[tuple[str, float, float, str]]:
    rows = []
    with open_store(url) as store:
        store.add_specification(spec)
        s, dt, mem = measure(store.import_results, data, user="bench")
        rows.append(("import", dt, mem, f"{s.n_results_new:,} results, {s.n_lots_new:,} lots"))
        s, dt, mem = measure(store.import_results, data, user="bench")
        rows.append(("re-import (no-op)", dt, mem, s.status))

        def cpv():
            results, state = store.results(PRODUCT)
            return cpv_analysis(results, store.limits(PRODUCT), baseline=50), state

        (a, state), dt, mem = measure(cpv)
        rows.append(("query + CPV analysis", dt, mem, f"{state.row_count:,} rows, {len(a.signals):,} signals"))
    return rows


def bench_report(url: str, folder: Path) -> tuple[float, float]:
    out = folder / "report"
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "pdkit.cli", "run", "cpv_trending", "-p", "db", url,
                           "-p", "product", PRODUCT, "-p", "baseline", "50", "-o", str(out)],
                          capture_output=True, text=True)
    dt = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"pdkit run cpv_trending failed:\n{proc.stderr[-2000:]}")
    rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # KiB -> MiB on Linux
    return dt, rss


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--years", type=int, default=20)
    ap.add_argument("--lots", type=int, default=50, help="lots per year")
    ap.add_argument("--attributes", type=int, default=40)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--postgres", default=os.environ.get("PDKIT_TEST_POSTGRES_URL") or None,
                    help="PostgreSQL URL to measure too (a new schema is created and dropped)")
    ap.add_argument("--no-report", action="store_true", help="skip the full `pdkit run` report")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        t0 = time.perf_counter()
        data, spec = make_data(folder, args.years, args.lots, args.attributes, args.seed)
        n = args.years * args.lots * args.attributes
        print(f"wrote {args.years} years x {args.lots} lots x {args.attributes} attributes = {n:,} results "
              f"({data.stat().st_size / 2**20:.1f} MiB CSV) in {time.perf_counter() - t0:.1f} s\n")
        table = []
        sqlite_url = f"sqlite:///{folder / 'bench.sqlite'}"
        for step, dt, mem, note in bench_store(sqlite_url, data, spec):
            table.append(("SQLite", step, dt, f"{mem:.0f} (process max RSS)", note))
        if not args.no_report:
            dt, rss = bench_report(sqlite_url, folder)
            html = folder / "report" / "cpv_trending.html"
            table.append(("SQLite", "`pdkit run cpv_trending`", dt, f"{rss:.0f} (max RSS)",
                          f"HTML {html.stat().st_size / 2**20:.1f} MiB"))
        if args.postgres:
            import psycopg

            base = args.postgres.replace("postgresql+psycopg://", "postgresql://", 1)
            schema = f"bench_{uuid.uuid4().hex[:8]}"
            with psycopg.connect(base, autocommit=True) as conn:
                conn.execute(f'CREATE SCHEMA "{schema}"')
            try:
                url = f"{base}{'&' if '?' in base else '?'}options=-csearch_path%3D{schema}"
                for step, dt, mem, note in bench_store(url, data, spec):
                    table.append(("PostgreSQL", step, dt, f"{mem:.0f} (process max RSS)", note))
            finally:
                with psycopg.connect(base, autocommit=True) as conn:
                    conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
            print(f"PostgreSQL: {redact_url(base)}")
        print("| database | step | time (s) | peak memory (MiB) | notes |")
        print("|---|---|---:|---:|---|")
        for db, step, dt, mem, note in table:
            print(f"| {db} | {step} | {dt:.2f} | {mem} | {note} |")


if __name__ == "__main__":
    main()
