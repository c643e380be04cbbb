"""mlci's drift against Evidently's DataDriftPreset, side by side, on bench_drift.py's seeded tables.

    python bench/bench_drift_evidently.py [--rows 100000 1000000] [--mlci-rounds 3] [--evidently-rounds 1]
                                          [--dir /tmp/mlci-bench-drift] [--venv /tmp/mlci-bench-evidently]

Evidently is a benchmark-only dependency: the script makes a venv of its own (``--venv``, from this
interpreter's base Python) and installs ``evidently==0.7.23`` and ``pandas<3`` into it the first
time; mlci's environment never sees it. For each size (all in one run), each tool runs in a fresh
child process of its own, on the same two Parquet files (bench_drift.py's ``make_table``: seed 1
for the reference, seed 2 with a 0.05 shift for the current; written once under ``--dir``):

- mlci: ``detect_drift(reference.parquet, current.parquet)`` (both read in batches, profiled,
  compared), with default options (Evidently's default tests and thresholds);
- Evidently: both files read into pandas (``pq.read_table(...).to_pandas()``: Evidently needs
  DataFrames), then ``Report([DataDriftPreset()], include_tests=True).run(current, reference)``,
  its defaults (the test picked per column by its "stattest auto", the method's default threshold,
  drift share 0.5). Its read and its run are timed apart and together.

Each child imports its libraries first (mlci: pyarrow, numpy, scipy's stats; Evidently: evidently,
pandas, pyarrow), then measures its baseline RSS, resets the kernel's peak-RSS mark
(``/proc/self/clear_refs``, 5) and runs; peak extra memory is ``VmHWM - baseline`` from
/proc/self/status (the kernel's own high-water mark: no sampling to miss a spike), the largest over
the child's rounds; wall time is the best of its rounds (time.perf_counter).

Then, per column: Evidently's method (its display name mapped to mlci's), its score and its verdict
(the test's FAIL) against mlci's; any disagreement is listed, and the exit code is 1 when there is
one. ``--json FILE`` writes every figure.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
EVIDENTLY = "evidently==0.7.23"
PANDAS = "pandas<3"
METHODS = {"Wasserstein distance (normed)": "wasserstein_normed", "Jensen-Shannon distance": "jensenshannon",
           "K-S p_value": "ks", "chi-square p_value": "chisquare", "Z-test p_value": "z", "PSI": "psi"}


# ---------------------------------------------------------------- the children


def _kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no {field} in /proc/self/status")


def _reset_peak() -> None:
    Path("/proc/self/clear_refs").write_text("5")  # the peak RSS mark back to the current RSS (Linux >= 4.0)


def _measured(rounds: int, run: Any) -> tuple[dict[str, Any], Any]:
    """Best wall time and largest extra peak RSS over ``rounds`` runs of ``run`` (which returns
    (result, {phase: seconds}))."""
    best, peak, phases, out = float("inf"), 0, {}, None
    for _ in range(rounds):
        baseline = _kib("VmRSS")
        _reset_peak()
        start = time.perf_counter()
        out, parts = run()
        wall = time.perf_counter() - start
        peak = max(peak, _kib("VmHWM") - baseline)
        if wall < best:
            best, phases = wall, parts
    return {"wall": best, "extra_rss": peak, "phases": phases, "rounds": rounds}, out


def child_mlci(ref: str, cur: str, rounds: int) -> dict[str, Any]:
    sys.path.insert(0, str(ROOT / "src"))
    import pyarrow.dataset  # noqa: F401
    import scipy.spatial.distance  # noqa: F401
    import scipy.stats  # noqa: F401

    from mlci.drift import detect_drift

    def run() -> tuple[Any, dict[str, float]]:
        return detect_drift(ref, cur), {}

    figures, result = _measured(rounds, run)
    figures["dataset_drift"] = result.dataset_drift
    figures["columns"] = {c.column: {"method": c.method, "score": c.score, "threshold": c.threshold,
                                     "drifted": c.drifted, "error_bound": c.error_bound, "reason": c.reason}
                          for c in result.columns}
    return figures


def child_evidently(ref: str, cur: str, rounds: int) -> dict[str, Any]:
    import warnings

    warnings.filterwarnings("ignore")
    import evidently
    import pandas
    import pyarrow
    import pyarrow.parquet as pq
    from evidently import Report
    from evidently.presets import DataDriftPreset

    def run() -> tuple[Any, dict[str, float]]:
        start = time.perf_counter()
        reference, current = pq.read_table(ref).to_pandas(), pq.read_table(cur).to_pandas()
        read = time.perf_counter() - start
        snapshot = Report([DataDriftPreset()], include_tests=True).run(current_data=current, reference_data=reference)
        out = snapshot.dict()
        return out, {"read": read, "run": time.perf_counter() - start - read}

    figures, snapshot = _measured(rounds, run)
    columns: dict[str, dict[str, Any]] = {}
    for metric in snapshot["metrics"]:
        config = metric["config"]
        if config["type"].endswith("ValueDrift"):
            columns[config["column"]] = {"method": METHODS.get(config["method"], config["method"]),
                                         "score": metric["value"], "threshold": config["threshold"]}
        elif config["type"].endswith("DriftedColumnsCount"):
            figures["drifted_count"] = metric["value"]["count"]
    for test in snapshot["tests"]:
        params = test["metric_config"]["params"]
        if params["type"].endswith("ValueDrift"):
            columns[params["column"]]["drifted"] = test["status"] == "FAIL"
        elif params["type"].endswith("DriftedColumnsCount"):
            figures["dataset_drift"] = test["status"] == "FAIL"
    figures["columns"] = columns
    figures["versions"] = {"evidently": evidently.__version__, "pandas": pandas.__version__,
                           "pyarrow": pyarrow.__version__}
    return figures


# ---------------------------------------------------------------- the parent


def evidently_python(venv: Path) -> Path:
    """The venv's interpreter, with Evidently installed in it (made the first time)."""
    python = venv / "bin" / "python"
    check = [str(python), "-c", "import evidently, pandas; assert evidently.__version__ == '0.7.23'; "
             "assert int(pandas.__version__.split('.')[0]) < 3"]
    if python.exists() and subprocess.run(check, capture_output=True).returncode == 0:
        return python
    print(f"installing {EVIDENTLY} and {PANDAS} into {venv} (once)", flush=True)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run([str(python), "-m", "pip", "install", "-q", EVIDENTLY, PANDAS, "pyarrow"], check=True)
    subprocess.run(check, check=True)
    return python


def data(rows: int, folder: Path) -> tuple[Path, Path]:
    """bench_drift.py's two tables at ``rows`` rows (written once)."""
    sys.path.insert(0, str(ROOT / "bench"))
    import pyarrow.parquet as pq
    from bench_drift import make_table

    folder.mkdir(parents=True, exist_ok=True)
    ref, cur = folder / f"reference-{rows}.parquet", folder / f"current-{rows}.parquet"
    if not (ref.exists() and cur.exists()):
        pq.write_table(make_table(rows, 1, 0.0), ref)
        pq.write_table(make_table(rows, 2, 0.05), cur)
    return ref, cur


def in_child(python: Path, tool: str, ref: Path, cur: Path, rounds: int) -> dict[str, Any]:
    command = [str(python), str(Path(__file__).resolve()), "--child", tool, "--ref", str(ref), "--cur", str(cur),
               "--rounds", str(rounds)]
    done = subprocess.run(command, capture_output=True, text=True, env={**os.environ, "PYTHONWARNINGS": "ignore"})
    if done.returncode:
        sys.exit(f"{tool} child failed:\n{done.stderr[-3000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def compare(mlci: dict[str, Any], evidently: dict[str, Any]) -> list[str]:
    """Every column's method and verdict, Evidently's against mlci's: the disagreements."""
    out = []
    names = sorted(set(mlci["columns"]) | set(evidently["columns"]))
    for name in names:
        a, b = mlci["columns"].get(name), evidently["columns"].get(name)
        if a is None or b is None:
            out.append(f"{name}: only in {'Evidently' if a is None else 'mlci'}'s result")
            continue
        if a["method"] != b["method"]:
            out.append(f"{name}: method {a['method']} (mlci) vs {b['method']} (Evidently)")
        if a["drifted"] != b["drifted"]:
            out.append(f"{name}: verdict {a['drifted']} (mlci, score {a['score']}) vs {b['drifted']} (Evidently, "
                       f"score {b['score']})")
        if a["threshold"] != b["threshold"]:
            out.append(f"{name}: threshold {a['threshold']} (mlci) vs {b['threshold']} (Evidently)")
    if mlci["dataset_drift"] != evidently["dataset_drift"]:
        out.append(f"dataset drift: {mlci['dataset_drift']} (mlci) vs {evidently['dataset_drift']} (Evidently)")
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--mlci-rounds", type=int, default=3)
    parser.add_argument("--evidently-rounds", type=int, default=1)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/mlci-bench-drift"))
    parser.add_argument("--venv", type=Path, default=Path("/tmp/mlci-bench-evidently"))
    parser.add_argument("--json", type=Path)
    parser.add_argument("--child", choices=["mlci", "evidently"], help=argparse.SUPPRESS)
    parser.add_argument("--ref", help=argparse.SUPPRESS)
    parser.add_argument("--cur", help=argparse.SUPPRESS)
    parser.add_argument("--rounds", type=int, default=1, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        run = child_mlci if args.child == "mlci" else child_evidently
        print(json.dumps(run(args.ref, args.cur, args.rounds)))
        return

    python = evidently_python(args.venv)
    figures: dict[str, Any] = {"load_before": os.getloadavg(), "sizes": {}}
    failed = False
    for rows in args.rows:
        ref, cur = data(rows, args.dir)
        mlci = in_child(Path(sys.executable), "mlci", ref, cur, args.mlci_rounds)
        evidently = in_child(python, "evidently", ref, cur, args.evidently_rounds)
        disagreements = compare(mlci, evidently)
        failed = failed or bool(disagreements)
        figures["sizes"][rows] = {"mlci": mlci, "evidently": evidently, "disagreements": disagreements}
        report(rows, mlci, evidently, disagreements)
    figures["load_after"] = os.getloadavg()
    print(f"load average before {figures['load_before'][0]:.2f}, after {figures['load_after'][0]:.2f}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1))
    sys.exit(1 if failed else 0)


def report(rows: int, mlci: dict[str, Any], evidently: dict[str, Any], disagreements: list[str]) -> None:
    mib = 2**20
    ev_read, ev_run = evidently["phases"]["read"], evidently["phases"]["run"]
    print(f"\n{rows:,} rows x {len(mlci['columns'])} columns; mlci best of {mlci['rounds']}, Evidently "
          f"{evidently['versions']['evidently']} (pandas {evidently['versions']['pandas']}) best of {evidently['rounds']}")
    print(f"{'':<36}{'wall s':>9}{'extra RSS MiB':>15}")
    print(f"{'mlci detect_drift (reads the files)':<36}{mlci['wall']:>9.3f}{mlci['extra_rss'] / mib:>15.0f}")
    print(f"{'Evidently: read + DataDriftPreset':<36}{evidently['wall']:>9.3f}{evidently['extra_rss'] / mib:>15.0f}")
    print(f"{'  of which its read into pandas':<36}{ev_read:>9.3f}")
    print(f"{'  of which its Report.run':<36}{ev_run:>9.3f}")
    print(f"speed-up: {evidently['wall'] / mlci['wall']:.0f}x (read + run), {ev_run / mlci['wall']:.0f}x (its run "
          f"alone against mlci's read + run); memory: mlci {mlci['extra_rss'] / evidently['extra_rss']:.1%} of Evidently's")
    print(f"{'column':<8} {'method':<20}{'mlci score':>12}{'Evidently':>12}  verdicts")
    worst = 0.0
    for name, a in mlci["columns"].items():
        b = evidently["columns"].get(name, {})
        sa, sb = a["score"], b.get("score")
        if sa is not None and sb is not None:
            worst = max(worst, abs(sa - sb))
        print(f"{name:<8} {a['method'] or '-':<20}{sa if sa is not None else float('nan'):>12.5g}"
              f"{sb if sb is not None else float('nan'):>12.5g}  {'DRIFT' if a['drifted'] else 'ok':<6}"
              f"{'DRIFT' if b.get('drifted') else 'ok'}")
    drifted = sum(c["drifted"] for c in mlci["columns"].values())
    print(f"drifted: {drifted} of {len(mlci['columns'])} (mlci), {evidently.get('drifted_count')} (Evidently); dataset "
          f"drift {mlci['dataset_drift']} / {evidently['dataset_drift']}; largest score difference {worst:.2e}")
    print("disagreements: " + ("; ".join(disagreements) if disagreements else "none (same method, threshold and "
                                                                           "verdict on every column)"))


if __name__ == "__main__":
    main()
