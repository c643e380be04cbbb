"""`mlci release` on the demo, beyond the report it reuses: the goal is well under 10 s.

Run:  python bench/bench_release.py        (prints a markdown table; ~2 minutes)
Records: bench/README.md. On the demo's default branch (its model declared as a DVC artifact),
after `mlci repro` and `mlci report`: a dry run, the first version (v0.1.0), then a retrained
model's version against it (its card compares the two version commits), each timed as a whole
command, next to the `mlci report` it follows. Local tags only (no GitHub).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import bench_report
from bench_report import PY, timed

ROUNDS = 3
# The demo's stages run `python` from PATH: this interpreter's, which has scikit-learn.
bench_report.ENV["PATH"] = f"{Path(PY).parent}{os.pathsep}{bench_report.ENV.get('PATH', '')}"
ENV = bench_report.ENV


def sh(cwd: Path, *cmd: str) -> None:
    subprocess.run(list(cmd), cwd=cwd, env=ENV, check=True, capture_output=True)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        sh(root, PY, "-m", "mlci", "demo", "--keep", str(root / "demo"))
        project = root / "work"
        sh(root, "git", "clone", "-q", str(root / "demo" / "project"), str(project))
        sh(project, PY, "-m", "mlci", "repro")
        report = timed([PY, "-m", "mlci", "report"], project)
        dry = statistics.median(timed([PY, "-m", "mlci", "release", "--dry-run"], project) for _ in range(ROUNDS))
        first = timed([PY, "-m", "mlci", "release"], project)
        params = project / "params.yaml"
        params.write_text(params.read_text().replace("C: 1.0", "C: 0.3"))
        sh(project, PY, "-m", "mlci", "repro")
        sh(project, "git", "commit", "-qam", "feat: stronger regularisation")
        sh(project, PY, "-m", "mlci", "repro")
        second_report = timed([PY, "-m", "mlci", "report"], project)
        second = timed([PY, "-m", "mlci", "release", "--pr-title", "feat: stronger regularisation"], project)
    print("| benchmark | result | goal |")
    print("|---|---|---|")
    print(f"| `mlci report` on the demo's default branch (what the release reuses) | {report:.2f} s | |")
    print(f"| `mlci release --dry-run` (median of {ROUNDS}) | {dry:.2f} s | well under 10 s |")
    print(f"| `mlci release`: the first version | {first:.2f} s | well under 10 s |")
    print(f"| `mlci release`: the next version, its card against the first (after a {second_report:.2f} s report) "
          f"| {second:.2f} s | well under 10 s |")
    print(f"\n(2 cores, Python {sys.version.split()[0]})")


if __name__ == "__main__":
    main()
