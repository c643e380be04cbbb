"""Benchmarks for the foundation: report vs DVC's own diff, start-up time, a huge project.

Run:  python bench/bench_report.py            (prints a markdown table; ~1-2 minutes)
Records: bench/README.md. Ratios are compared within one run, since these machines are noisy.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
GIT_ENV = {
    "GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "bench@mlci.invalid",
    "GIT_COMMITTER_NAME": "bench", "GIT_COMMITTER_EMAIL": "bench@mlci.invalid",
    "DVC_NO_ANALYTICS": "1",
}
ENV = {**{k: v for k, v in os.environ.items() if not k.startswith("GITHUB_")}, **GIT_ENV}
PY = sys.executable


def timed(cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> float:
    """Seconds ``cmd`` took in ``cwd`` (with ``env``, default ENV); SystemExit with its stderr when it failed."""
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, env=ENV if env is None else env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{proc.stderr}")
    return elapsed


def median_of(n: int, fn) -> float:  # type: ignore[no-untyped-def]
    return statistics.median(fn() for _ in range(n))


def bench_demo(root: Path, rounds: int) -> dict[str, float]:
    subprocess.run([PY, "-m", "mlci", "demo", "--keep", str(root / "demo")], env=ENV, check=True, capture_output=True)
    clone = root / "demo" / "ci-improve-features"
    # The like-for-like comparison uses the demo's metric gates only; the data and
    # fairness checks (pandas, pandera, fairlearn) are timed on their own below.
    policy = yaml.safe_load((clone / "mlci.yaml").read_text())
    policy.pop("checks")
    (root / "metrics-only.yaml").write_text(yaml.safe_dump(policy))
    report = [PY, "-m", "mlci", "report", "--base", "origin/main", "--head", "HEAD", "--format", "md", "--out", str(root / "bundle")]
    dvc_times, mlci_times, full_times = [], [], []
    for _ in range(rounds):  # interleaved, so drift in machine load hits all alike
        dvc_times.append(
            timed([PY, "-m", "dvc", "metrics", "diff", "--json", "origin/main", "HEAD"], clone)
            + timed([PY, "-m", "dvc", "params", "diff", "--json", "origin/main", "HEAD"], clone)
        )
        mlci_times.append(timed([*report, "--config", str(root / "metrics-only.yaml")], clone))
        full_times.append(timed(report, clone))
    dvc_s, mlci_s = statistics.median(dvc_times), statistics.median(mlci_times)
    return {"dvc_two_processes_s": dvc_s, "mlci_report_s": mlci_s, "ratio": mlci_s / dvc_s,
            "full_policy_s": statistics.median(full_times)}


def bench_startup(root: Path, rounds: int) -> dict[str, float]:
    mlci = str(Path(PY).with_name("mlci")) if Path(PY).with_name("mlci").exists() else None
    base = [mlci] if mlci else [PY, "-m", "mlci"]
    return {
        "help_s": median_of(rounds, lambda: timed([*base, "--help"], root)),
        "version_s": median_of(rounds, lambda: timed([*base, "--version"], root)),
    }


def synthetic_project(path: Path, n_metrics: int, n_params: int) -> None:
    rng = random.Random(7)
    path.mkdir(parents=True)

    def sh(*cmd: str) -> None:
        subprocess.run(list(cmd), cwd=path, env=ENV, check=True, capture_output=True)

    def metrics(shift: float) -> dict:  # type: ignore[type-arg]
        out: dict = {}  # type: ignore[type-arg]
        for i in range(n_metrics):
            group = out.setdefault(f"group_{i // 100:03d}", {})
            group[f"metric_{i % 100:03d}"] = round(rng.random() + (shift if i % 3 == 0 else 0.0), 6)
        return out

    def params(shift: int) -> dict:  # type: ignore[type-arg]
        return {f"section_{i:02d}": {f"p_{j:02d}": (i * 50 + j + (shift if j % 5 == 0 else 0)) for j in range(50)}
                for i in range(n_params // 50)}

    sh("git", "init", "-q", "-b", "main")
    sh(PY, "-m", "dvc", "init", "-q")
    (path / "dvc.yaml").write_text(yaml.safe_dump({"stages": {"train": {
        "cmd": "true", "params": list(params(0)), "metrics": [{"metrics.json": {"cache": False}}]}}}))
    (path / "metrics.json").write_text(json.dumps(metrics(0.0)))
    (path / "params.yaml").write_text(yaml.safe_dump(params(0)))
    sh("git", "add", "-A"); sh("git", "commit", "-qm", "base")
    sh("git", "checkout", "-qb", "pr")
    (path / "metrics.json").write_text(json.dumps(metrics(0.01)))
    (path / "params.yaml").write_text(yaml.safe_dump(params(1)))
    sh("git", "add", "-A"); sh("git", "commit", "-qm", "pr")


def bench_synthetic(root: Path, rounds: int) -> dict[str, float]:
    path = root / "synthetic"
    synthetic_project(path, 10_000, 2_000)
    seconds = median_of(rounds, lambda: timed([PY, "-m", "mlci", "report", "--base", "main", "--head", "HEAD",
                                               "--format", "md", "--out", str(root / "big")], path))
    report = json.loads((root / "big" / "report.json").read_text())
    comment = (root / "big" / "report.md").read_text()
    # Render alone, in-process, to separate it from DVC's reading.
    sys.path.insert(0, str(HERE.parent / "src"))
    from mlci.render.markdown import render_markdown
    from mlci.report import Report

    rep = Report.from_dict(report)
    start = time.perf_counter()
    render_markdown(rep)
    render_s = time.perf_counter() - start
    return {"metrics": len(report["metrics"]), "params": len(report["params"]), "report_s": seconds,
            "render_s": render_s, "comment_chars": len(comment)}


def main() -> None:
    rounds = int(os.environ.get("BENCH_ROUNDS", "5"))
    with tempfile.TemporaryDirectory(prefix="mlci-bench-") as tmp:
        root = Path(tmp)
        demo = bench_demo(root, rounds)
        start = bench_startup(root, rounds * 2)
        big = bench_synthetic(root, rounds)
    print(f"| benchmark | result | goal |\n|---|---|---|")
    print(f"| `mlci report` (metrics, params, metric gates) on the demo vs `dvc metrics diff --json` + `dvc params diff --json` | "
          f"{demo['mlci_report_s']:.2f} s vs {demo['dvc_two_processes_s']:.2f} s: ratio **{demo['ratio']:.2f}** | <= 1.2 |")
    print(f"| `mlci report` on the demo with its whole policy (adds data validation and fairness) | "
          f"{demo['full_policy_s']:.2f} s | (no goal) |")
    print(f"| `mlci --help` | {start['help_s'] * 1000:.0f} ms | < 300 ms |")
    print(f"| `mlci --version` | {start['version_s'] * 1000:.0f} ms | < 300 ms |")
    print(f"| `mlci report` on {big['metrics']:,} metrics and {big['params']:,} params (whole command) | "
          f"{big['report_s']:.2f} s (render alone {big['render_s'] * 1000:.0f} ms) | < 3 s |")
    print(f"| its PR comment | {big['comment_chars']:,} characters | < 65,536 |")
    print(f"\n(median of {rounds} rounds, {os.cpu_count()} cores, Python {sys.version.split()[0]})")


if __name__ == "__main__":
    main()
