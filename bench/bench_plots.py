"""Collecting and drawing the plots of a PR, base against head: the drawing half of issue 14's goal
(a comment with 6 plots drawn and hosted in under 5 s on 2 cores).

Run:  python bench/bench_plots.py        (prints a markdown table; ~1 minute)
Records: bench/README.md. The demo project as `mlci demo` builds it (its pipeline run for main and
the improving PR): its three plots (ROC curve, confusion matrix, feature importance), then six
(those, plus a precision-recall curve, a training curve of 200 steps and the normalised confusion
matrix, each with data at both revisions). Each case is timed as a fresh
process, as CI pays it (Python, DVC and vl-convert started, DVC asked, every figure drawn to PNG
and SVG and written), and in one warm process split into its parts: DVC's figures
(`dvc.plots_diff`), the drawing (vl-convert), and the whole `mlci.plots.collect.collect`.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

import bench_report
from bench_report import PY, timed

ROUNDS = 5
ENV = bench_report.ENV
EXTRA_PLOTS = [
    {"precision_recall": {"title": "Precision-recall", "template": "linear", "x": "recall",
                          "y": {"plots/pr.json": "precision"}}},
    {"training": {"title": "Training loss", "template": "smooth", "x": "step", "y": {"plots/loss.csv": "loss"}}},
    {"confusion_normalized": {"title": "Confusion matrix (normalised)", "template": "confusion_normalized",
                              "x": "actual", "y": {"plots/confusion.csv": "predicted"}}},
]


def sh(cwd: Path, *cmd: str) -> str:
    return subprocess.run(list(cmd), cwd=cwd, env=ENV, check=True, capture_output=True, text=True).stdout.strip()


def write_extra_data(project: Path, shift: float) -> None:
    """The data of the extra plots (a precision-recall curve, a training curve), a little different at each revision (``shift``)."""
    plots = project / "plots"
    points = [{"recall": i / 50, "precision": round(max(0.0, 1 - (i / 50) ** (2 + shift)), 4)} for i in range(51)]
    (plots / "pr.json").write_text(json.dumps(points))
    (plots / "loss.csv").write_text("step,loss\n" + "".join(f"{s},{1 / (1 + s * (0.05 + shift / 100)):.4f}\n"
                                                            for s in range(200)))


def six_plots(project: Path, base: str, head: str) -> tuple[str, str]:
    """Commits on top of ``base`` and ``head`` whose dvc.yaml declares six plots, their data at both."""
    shas = []
    for rev, shift in ((base, 0.0), (head, 0.5)):
        sh(project, "git", "checkout", "-q", "--detach", rev)
        pipeline = yaml.safe_load((project / "dvc.yaml").read_text())
        pipeline["plots"].extend(EXTRA_PLOTS)
        (project / "dvc.yaml").write_text(yaml.safe_dump(pipeline, sort_keys=False))
        write_extra_data(project, shift)
        sh(project, "git", "add", "-A")
        sh(project, "git", "commit", "-qm", "six plots")
        shas.append(sh(project, "git", "rev-parse", "HEAD"))
    return shas[0], shas[1]


def fresh_process(project: Path, base: str, head: str, out: Path) -> float:
    code = (f"from mlci.plots.collect import collect; plots = collect('.', {base!r}, {head!r}, {str(out)!r}); "
            "assert all(p.drawn for p in plots), plots")
    return timed([PY, "-c", code], project)


def warm(project: Path, base: str, head: str, out: Path) -> dict[str, Any]:
    """One process: the parts, each a median of ROUNDS after one untimed round (vl-convert's engine started)."""
    from mlci import dvc
    from mlci.plots.collect import collect, label
    from mlci.plots.vega import draw

    collect(project, base, head, out)
    dvc_s, draw_s, whole_s = [], [], []
    figures: list[dvc.PlotFigure] = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        repo = dvc.open_repo(project)
        figures, _ = dvc.plots_diff(repo, [label(project, base), label(project, head)])
        repo.close()
        dvc_s.append(time.perf_counter() - start)
        start = time.perf_counter()
        for figure in figures:
            assert figure.spec is not None
            draw(figure.spec)
        draw_s.append(time.perf_counter() - start)
        start = time.perf_counter()
        plots = collect(project, base, head, out)
        whole_s.append(time.perf_counter() - start)
    assert all(p.drawn for p in plots)
    files = sorted((out / "plots").iterdir())
    return {"dvc": statistics.median(dvc_s), "draw": statistics.median(draw_s), "whole": statistics.median(whole_s),
            "plots": len(plots), "files": len(files), "bytes": sum(f.stat().st_size for f in files)}


def main() -> None:
    from mlci.demo.runner import create_project
    from mlci.demo.scenarios import BASE_BRANCH, IMPROVE

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        project = create_project(root, lambda line: None)
        base, head = sh(project, "git", "rev-parse", BASE_BRANCH), sh(project, "git", "rev-parse", IMPROVE.branch)
        cases = [("the demo's 3 plots", base, head)]
        cases.append(("6 plots", *six_plots(project, base, head)))
        for name, b, h in cases:
            fresh = statistics.median(fresh_process(project, b, h, root / f"fresh-{i}") for i in range(ROUNDS))
            parts = warm(project, b, h, root / f"warm-{name}")
            rows.append((name, fresh, parts))
        tiny = ("import vl_convert; vl_convert.vegalite_to_svg({'mark': 'point', 'data': {'values': [{'a': 1}]}, "
                "'encoding': {'x': {'field': 'a'}}})")
        engine = statistics.median(timed([PY, "-c", tiny], root) for _ in range(ROUNDS))
        python = statistics.median(timed([PY, "-c", "pass"], root) for _ in range(ROUNDS))
        dvc_import = statistics.median(timed([PY, "-c", "import dvc.repo, dvc.render.match"], root) for _ in range(ROUNDS))
    print("| case | fresh process (median of 5) | warm: DVC's figures | warm: drawing (PNG + SVG) | warm: whole collect "
          "| files written |")
    print("|---|---|---|---|---|---|")
    for name, fresh, parts in rows:
        print(f"| {name} | {fresh:.2f} s | {parts['dvc']:.2f} s | {parts['draw']:.2f} s | {parts['whole']:.2f} s "
              f"| {parts['files']} ({parts['bytes'] / 1e6:.1f} MB) |")
    print(f"\nOf a fresh process: Python itself {python:.2f} s, importing DVC's plots {dvc_import:.2f} s, vl-convert "
          f"imported and its engine started (one point drawn) {engine:.2f} s.")
    import vl_convert

    print(f"\n(2 cores, Python {sys.version.split()[0]}, vl-convert-python {vl_convert.__version__}, "
          f"Vega-Lite {vl_convert.get_vegalite_versions()[-1]})")


if __name__ == "__main__":
    main()
