"""Drift at scale: 1,000,000 rows x 25 columns (20 numeric, 5 categorical), seeded, as issue 15 sets it.

    python bench/bench_drift.py [--rows 1000000] [--rounds 9] [--dir /tmp/mlci-bench-drift] [--in-process]

Writes a reference and a shifted current table as Parquet (once), then times, each the median of
``--rounds`` rounds, the rounds interleaved (each step once a round): reading both files once, three
ways (the whole file in one threaded call, the strict floor; each column on its own from one open
file; each column on its own, one call a column: the issue's "reading each column once"), the full drift
(reference and current read and compared), building the reference's profile and saving it,
and the monitor's run (the saved profile loaded, the current read, binned on the profile's grid, and compared) against the
read-once time of the current file alone. Each step runs in a fresh process (as `mlci drift` does),
timed inside it after a warm-up on a 1,000-row copy; ``--in-process`` times them all here. It prints
a table and the drifted columns.
Evidently is not imported here (it needs pandas < 3): bench_drift_evidently.py runs it side by side.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

import numpy as np  # noqa: E402
import pyarrow as pa  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402

from mlci.drift import detect_drift, load_profile, profile_data, save_profile  # noqa: E402

NUMERIC, CATEGORICAL = 20, 5


def make_table(rows: int, seed: int, shift: float) -> pa.Table:
    """20 numeric columns (normal, lognormal, uniform, integer-valued) and 5 categorical; ``shift`` moves
    the first 8 numeric columns and the first 2 categorical ones."""
    rng = np.random.default_rng(seed)
    columns: dict[str, Any] = {}
    for i in range(NUMERIC):
        moved = shift if i < 8 else 0.0
        kind = i % 4
        if kind == 0:
            columns[f"num_{i}"] = rng.normal(moved, 1.0, rows)
        elif kind == 1:
            columns[f"num_{i}"] = rng.lognormal(moved, 0.5, rows)
        elif kind == 2:
            columns[f"num_{i}"] = rng.uniform(moved, 1 + moved, rows)
        else:
            columns[f"num_{i}"] = rng.poisson(20 + 20 * moved, rows).astype(np.int64)
    labels = np.array([f"cat_{k}" for k in range(12)])
    for j in range(CATEGORICAL):
        weights = np.linspace(1, 3, 12) if (j < 2 and shift) else np.ones(12)
        columns[f"cat_{j}"] = pa.array(rng.choice(labels, rows, p=weights / weights.sum())).dictionary_encode()
    return pa.table(columns)


def interleaved(rounds: int, steps: dict[str, Callable[[], Any]], fresh: list[str] | None = None) -> dict[str, float]:
    """Each step once per round, the rounds one after another (so that a change in the machine's load
    falls on every step alike); each step's median wall time. ``fresh``: the command line of this
    script's child mode: each step then runs in a new process of its own, timed inside it after its
    imports, as `mlci drift` runs (in one process, each step would find the memory the step before
    it mapped and freed, and how much of it pyarrow's pool kept moved the reads' times by up to 3x)."""
    times: dict[str, list[float]] = {name: [] for name in steps}
    for _ in range(rounds):
        for name, run in steps.items():
            if fresh is not None:
                times[name].append(float(subprocess.run([*fresh, name], capture_output=True, text=True,
                                                        check=True).stdout.split()[-1]))
                continue
            start = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(t) for name, t in times.items()}


def read_once(path: Path) -> int:
    """The strict floor: the whole file read in one call, pyarrow decoding its columns on every core."""
    table = pq.read_table(path)
    return sum(len(c) for c in table.columns)


def read_each_column(path: Path) -> int:
    """The issue's read-once ("merely reading each column once", ~0.34 s at 1M rows), as a per-column
    tool reads its input: each column on its own, one ``pq.read_table`` call a column."""
    names = pq.ParquetFile(path).schema_arrow.names
    return sum(len(pq.read_table(path, columns=[name]).column(0)) for name in names)


def read_each_column_one_handle(path: Path) -> int:
    """Each column on its own from one open file (its metadata parsed once): between the two above."""
    file = pq.ParquetFile(path)
    return sum(len(file.read(columns=[name]).column(0)) for name in file.schema_arrow.names)


def data_files(folder: Path, rows: int) -> tuple[Path, Path, Path]:
    """The reference and the current table as Parquet files (written when missing), and where the
    reference's profile goes (the parent saves it, with this checkout's code, before timing)."""
    ref_path, cur_path = folder / f"reference-{rows}.parquet", folder / f"current-{rows}.parquet"
    if not ref_path.exists():
        pq.write_table(make_table(rows, 1, 0.0), ref_path)
        pq.write_table(make_table(rows, 2, 0.05), cur_path)
    return ref_path, cur_path, folder / f"reference-{rows}.profile"


def steps_on(ref_path: Path, cur_path: Path, profile_path: Path) -> dict[str, Callable[[], Any]]:
    return {
        "read both": lambda: (read_once(ref_path), read_once(cur_path)),
        "read current": lambda: read_once(cur_path),
        "columns both": lambda: (read_each_column(ref_path), read_each_column(cur_path)),
        "columns current": lambda: read_each_column(cur_path),
        "handle both": lambda: (read_each_column_one_handle(ref_path), read_each_column_one_handle(cur_path)),
        "handle current": lambda: read_each_column_one_handle(cur_path),
        "full": lambda: detect_drift(ref_path, cur_path),
        "profile": lambda: save_profile(profile_data(ref_path), profile_path),
        "monitor": lambda: detect_drift(load_profile(profile_path), cur_path)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/mlci-bench-drift"))
    parser.add_argument("--in-process", action="store_true", help="time every step in this process, not each in a fresh one")
    parser.add_argument("--child", help=argparse.SUPPRESS)  # one step, timed, in a process of its own
    args = parser.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    ref_path, cur_path, profile_path = data_files(args.dir, args.rows)
    steps = steps_on(ref_path, cur_path, profile_path)
    if args.child:  # warmed up on a small copy first: its imports and thread pools, not its memory
        steps_on(*data_files(args.dir, 1000))[args.child]()
        start = time.perf_counter()
        steps[args.child]()
        print(f"{time.perf_counter() - start:.6f}")
        return
    for rows in (args.rows, 1000):  # the profiles, and the children's warm-up copy, before any step is timed
        reference, _, profile = data_files(args.dir, rows)
        save_profile(profile_data(reference), profile)
    full, monitored = detect_drift(ref_path, cur_path), detect_drift(load_profile(profile_path), cur_path)
    load = os.getloadavg()[0]
    child = None if args.in_process else [sys.executable, __file__, "--rows", str(args.rows), "--dir", str(args.dir),
                                          "--child"]
    t = interleaved(args.rounds, steps, child)
    t_read_both, t_full, t_profile, t_read_cur, t_monitor = (
        t["read both"], t["full"], t["profile"], t["read current"], t["monitor"])

    print(f"{args.rows:,} rows x {NUMERIC + CATEGORICAL} columns ({NUMERIC} numeric, {CATEGORICAL} categorical), "
          f"median of {args.rounds} interleaved rounds, "
          f"{'in this process' if args.in_process else 'each step in a fresh process'}; profile {profile_path.stat().st_size / 2**20:.1f} MiB; "
          f"load average {load:.2f} before, {os.getloadavg()[0]:.2f} after")
    both = {"whole": t_read_both, "handle": t["handle both"], "columns": t["columns both"]}
    current = {"whole": t_read_cur, "handle": t["handle current"], "columns": t["columns current"]}
    print("x: the step's time over a read-once time of the same files: whole = the whole file in one "
          "threaded call (the strict floor), handle = each column on its own from one open file, "
          "columns = each column on its own, one pq.read_table call a column (the issue's read-once)")
    print(f"{'step':<48}{'seconds':>9}{'x whole':>9}{'x handle':>10}{'x columns':>11}")
    for name, seconds, floors in [
            ("read once, whole files: reference + current", t_read_both, both),
            ("read once, each column (one handle): both", both["handle"], both),
            ("read once, each column: reference + current", both["columns"], both),
            ("full drift: read both, compare", t_full, both),
            ("profile: read reference, save", t_profile, {k: v / 2 for k, v in both.items()}),
            ("read once, whole file: current", t_read_cur, current),
            ("read once, each column (one handle): current", current["handle"], current),
            ("read once, each column: current", current["columns"], current),
            ("monitor: load profile, read current, compare", t_monitor, current)]:
        print(f"{name:<48}{seconds:>9.3f}" + "".join(f"{seconds / floors[k]:>{w}.2f}x"
                                                  for k, w in (("whole", 8), ("handle", 9), ("columns", 10))))
    same = [a.drifted == b.drifted for a, b in zip(full.columns, monitored.columns)]
    print(f"drifted columns: {sum(c.drifted for c in full.columns)} of {len(full.columns)} (full), "
          f"{sum(c.drifted for c in monitored.columns)} (profile); verdicts equal on {sum(same)} of {len(same)}")
    worst = max(full.columns, key=lambda c: abs((c.score or 0) - (m.score or 0)) if (m := monitored.columns[full.columns.index(c)]) else 0)
    print(f"largest score difference, full vs profile: {worst.column} "
          f"{abs((worst.score or 0) - (monitored.columns[full.columns.index(worst)].score or 0)):.2e} "
          f"(bound {monitored.columns[full.columns.index(worst)].error_bound:.2e})")
    for column in full.columns:
        print(f"  {column.column:<8} {column.kind:<12} {column.method or '-':<20} "
              f"{column.score if column.score is not None else float('nan'):>10.4g} {'DRIFT' if column.drifted else ''}")


if __name__ == "__main__":
    main()
