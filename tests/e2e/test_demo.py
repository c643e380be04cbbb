"""`mlci demo`, as a new user runs it: a real subprocess, real git, DVC and scikit-learn."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import yaml

from mlci.demo.scenarios import BASE_PARAMS, SCENARIOS

PROJECT = Path(__file__).resolve().parents[2] / "src" / "mlci" / "demo" / "project"


def test_committed_params_are_the_scenarios_base() -> None:
    assert yaml.safe_load((PROJECT / "params.yaml").read_text()) == BASE_PARAMS


def test_demo_shows_one_better_and_one_worse_pr(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GITHUB_")}
    keep = tmp_path / "demo"
    proc = subprocess.run([sys.executable, "-m", "mlci", "demo", "--keep", str(keep)], env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    out = proc.stdout
    for scenario in SCENARIOS:
        assert scenario.title in out

    for scenario in SCENARIOS:
        bundle = keep / f"ci-{scenario.branch}" / "mlci-report"
        report = json.loads((bundle / "report.json").read_text())
        metrics = {m["key"]: m for m in report["metrics"]}
        sign = 1 if scenario.expect == "better" else -1
        for key in ("accuracy", "f1", "roc_auc"):
            assert metrics[key]["status"] == "changed"
            assert sign * metrics[key]["change"] > 0.02, (scenario.branch, key, metrics[key])
        assert metrics["log_loss"]["change"] * sign < 0  # lower is better for a loss
        params = {p["key"]: p for p in report["params"]}
        assert params["train.features"]["status"] == "changed"
        assert params["train.features"]["head"] == scenario.params()["train"]["features"]
        stages = {s["name"]: s["state"] for s in report["repro"]["stages"]}
        # train runs again (its model was never pushed) and reproduces the committed one
        # exactly, so evaluate has nothing to do.
        assert stages == {"prepare": "restored", "train": "ran", "evaluate": "unchanged"}
        assert report["context"]["base"]["rev"] == "origin/main"
        md = (bundle / "report.md").read_text()
        assert "| accuracy" in md and "train.features" in md
        assert report["problems"] == []

        # The policy: the improving PR passes every gate, the worse one fails with reasons.
        gates = {(g["kind"], g["subject"]): g for g in report["gates"]}
        assert {kind for kind, _ in gates} == {"metric", "reproducible", "data", "fairness"}
        assert gates[("reproducible", "pipeline")]["status"] == "pass"
        assert gates[("data", "data/train.csv")]["status"] == "pass"
        assert ("fairness", "sex") in gates and ("fairness", "age_band") in gates
        gate = subprocess.run([sys.executable, "-m", "mlci", "gate", str(bundle)], env=env, capture_output=True, text=True)
        if scenario.expect == "better":
            assert report["verdict"] == "pass", [g["reason"] for g in report["gates"] if g["blocking"]]
            assert md.splitlines()[1].startswith("### ✅ mlci · diabetes-risk: all ")
            assert gate.returncode == 0
        else:
            assert report["verdict"] == "fail"
            assert gates[("metric", "accuracy")]["status"] == "fail"
            assert "**Why it failed**" in md and "accuracy dropped by" in md
            assert gate.returncode == 1 and "Why it failed" in gate.stdout

    # --keep refuses to build over an existing example.
    proc = subprocess.run([sys.executable, "-m", "mlci", "demo", "--keep", str(keep)], env=env, capture_output=True, text=True)
    assert proc.returncode == 2
    assert "not empty" in proc.stderr
