"""Drift on a Parquet file far larger than the memory it may use (issue 15: 10 GB under 2 GB).

    python bench/bench_drift_large.py [--gb 10] [--limit-gb 2] [--dir /tmp/mlci-bench-drift-large] [--keep]

Writes bench_drift.py's table (25 columns: 20 numeric, 5 categorical) row group by row group
(1,000,000 rows each, a seed each; never more than one row group in memory) until the file holds
``--gb`` GB, then runs, each in a child process whose address space is capped at ``--limit-gb``
(``prlimit --as``: every mapping counts, not only what is resident, so it is stricter than a
cgroup's MemoryMax, which systemd-run cannot set here without a user bus):

1. ``profile_data(big.parquet)`` and ``save_profile``: the reference's profile, streamed;
2. ``detect_drift(load_profile(saved), big.parquet)``: the monitor's run against it (the same data:
   no column may drift);
3. ``mlci drift profile big.parquet`` under a pseudo-terminal (``script``), to see the progress line
   a person sees.

Each child reports its wall time, its peak RSS (VmHWM), its peak address space (VmPeak) and how
often the progress callback was called (calls, and the longest gap between two). The file is
deleted at the end unless ``--keep``. Needs ``--gb`` + 1 GB free under ``--dir``; with less, the
largest size that fits is used, and said.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
GROUP_ROWS = 1_000_000


def status(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(field)


def child(step: str, data: str, profile: str) -> dict[str, Any]:
    sys.path.insert(0, str(ROOT / "src"))
    from mlci.drift import Progress, detect_drift, load_profile, profile_data, save_profile

    calls: list[float] = []
    start = time.perf_counter()

    def progress(p: Progress) -> None:
        calls.append(time.perf_counter())

    if step == "profile":
        save_profile(profile_data(data, progress=progress), profile)
        out: dict[str, Any] = {"profile_bytes": Path(profile).stat().st_size}
    else:
        result = detect_drift(load_profile(profile), data, progress=progress)
        out = {"dataset_drift": result.dataset_drift, "drifted": [c.column for c in result.columns if c.drifted],
               "tested": sum(c.reason is None for c in result.columns),
               "largest_bound": max(c.error_bound for c in result.columns),
               "largest_score": max((c.score or 0.0) for c in result.columns if c.method == "wasserstein_normed")}
    wall = time.perf_counter() - start
    gaps = [b - a for a, b in zip([start, *calls], calls)]
    return {**out, "wall": wall, "peak_rss": status("VmHWM"), "peak_vm": status("VmPeak"), "progress_calls": len(calls),
            "longest_gap": max(gaps) if gaps else None}


def write(path: Path, target: int) -> tuple[int, float]:
    """bench_drift's table, a row group at a time, until the file holds ``target`` bytes."""
    sys.path.insert(0, str(ROOT / "bench"))
    import pyarrow.parquet as pq
    from bench_drift import make_table

    start, rows, group = time.perf_counter(), 0, 0
    writer = None
    try:
        while path.stat().st_size < target if path.exists() else True:
            table = make_table(GROUP_ROWS, 1000 + group, 0.0)
            if writer is None:
                writer = pq.ParquetWriter(path, table.schema)
            writer.write_table(table, row_group_size=GROUP_ROWS)
            rows, group = rows + GROUP_ROWS, group + 1
            del table
            if group % 10 == 0:
                print(f"  written {rows:,} rows, {path.stat().st_size / 1e9:.1f} GB", flush=True)
    finally:
        if writer is not None:
            writer.close()
    return rows, time.perf_counter() - start


def limited(limit: int, command: list[str]) -> list[str]:
    return ["prlimit", f"--as={limit}", "--", *command]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--gb", type=float, default=10.0)
    parser.add_argument("--limit-gb", type=float, default=2.0)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/mlci-bench-drift-large"))
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--child", choices=["profile", "monitor"], help=argparse.SUPPRESS)
    parser.add_argument("--data", help=argparse.SUPPRESS)
    parser.add_argument("--profile", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.data, args.profile)))
        return

    args.dir.mkdir(parents=True, exist_ok=True)
    free = shutil.disk_usage(args.dir).free
    target = int(args.gb * 1e9)
    if free < target + 1e9:
        target = int(free - 1e9)
        print(f"only {free / 1e9:.1f} GB free under {args.dir}: writing {target / 1e9:.1f} GB instead of {args.gb} GB")
    limit = int(args.limit_gb * 2**30)
    data, profile = args.dir / "big.parquet", args.dir / "big.profile"
    figures: dict[str, Any] = {"load_before": os.getloadavg()}
    try:
        if not data.exists() or data.stat().st_size < target:
            data.unlink(missing_ok=True)
            print(f"writing {target / 1e9:.1f} GB of Parquet to {data}", flush=True)
            rows, seconds = write(data, target)
            figures["write"] = {"rows": rows, "seconds": seconds}
        import pyarrow.parquet as pq

        meta = pq.ParquetFile(data).metadata
        figures["file"] = {"bytes": data.stat().st_size, "rows": meta.num_rows, "row_groups": meta.num_row_groups,
                           "columns": meta.num_columns}
        print(f"{data}: {data.stat().st_size / 1e9:.2f} GB, {meta.num_rows:,} rows in {meta.num_row_groups} row groups, "
              f"{meta.num_columns} columns; each step under prlimit --as={limit:,} ({args.limit_gb:g} GiB)", flush=True)
        for step in ("profile", "monitor"):
            command = limited(limit, [sys.executable, str(Path(__file__).resolve()), "--child", step, "--data", str(data),
                                      "--profile", str(profile)])
            done = subprocess.run(command, capture_output=True, text=True)
            if done.returncode:
                print(f"{step}: FAILED (exit {done.returncode})\n{done.stderr[-3000:]}")
                figures[step] = {"failed": done.returncode, "stderr": done.stderr[-3000:]}
                continue
            figures[step] = json.loads(done.stdout.strip().splitlines()[-1])
            f = figures[step]
            print(f"{step}: {f['wall']:.1f} s, peak RSS {f['peak_rss'] / 2**20:,.0f} MiB, peak address space "
                  f"{f['peak_vm'] / 2**20:,.0f} MiB, progress called {f['progress_calls']:,} times "
                  f"(longest gap {f['longest_gap'] or 0:.2f} s)"
                  + (f"; {f['tested']} columns tested, drifted: {f['drifted'] or 'none'}, largest W1 score "
                     f"{f['largest_score']:.2e}, largest bound {f['largest_bound']:.2e}" if step == "monitor" else
                     f"; profile {f['profile_bytes'] / 2**20:.1f} MiB"), flush=True)
        figures["cli"] = cli(limit, data, args.dir / "cli.profile")
        print(f"mlci drift profile under a terminal: exit {figures['cli']['exit']}, {figures['cli']['seconds']:.1f} s, "
              f"{figures['cli']['redraws']} progress redraws; last: {figures['cli']['last']!r}")
    finally:
        if not args.keep:
            for path in (data, profile, args.dir / "cli.profile"):
                path.unlink(missing_ok=True)
            print(f"removed {data}")
    figures["load_after"] = os.getloadavg()
    print(f"load average before {figures['load_before'][0]:.2f}, after {figures['load_after'][0]:.2f}")
    (args.dir / "figures.json").write_text(json.dumps(figures, indent=1))


def cli(limit: int, data: Path, out: Path) -> dict[str, Any]:
    """``mlci drift profile`` as a person runs it, on a pseudo-terminal (``script``), under the limit."""
    mlci = Path(sys.executable).with_name("mlci")
    inner = " ".join(limited(limit, [str(mlci), "drift", "profile", str(data), "--out", str(out)]))
    start = time.perf_counter()
    done = subprocess.run(["script", "-qefc", inner, "/dev/null"], capture_output=True)  # bytes: keep the \r
    seconds = time.perf_counter() - start
    text = done.stdout.decode(errors="replace")
    lines = [part.strip() for part in text.replace("\x1b[K", "").split("\r") if part.strip()]
    return {"exit": done.returncode, "seconds": seconds, "redraws": text.count("\r\x1b[K"),
            "last": lines[-2] if len(lines) > 1 else (lines[-1] if lines else "")}


if __name__ == "__main__":
    main()
