"""`mlci demo`, as a new user runs it: a real subprocess, real git, DVC and scikit-learn.

mlci runs from a virtual environment that is not on PATH (as pipx installs it, or as
``.venv/bin/mlci`` run without activating the venv), and PATH's ``python`` is a bare
interpreter without scikit-learn: the demo's stages must run on mlci's own interpreter.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import yaml

from mlci.demo.scenarios import BASE_PARAMS, SCENARIOS
from tests.venv_helpers import clean_env, make_venv

PROJECT = Path(__file__).resolve().parents[2] / "src" / "mlci" / "demo" / "project"


def test_committed_params_are_the_scenarios_base() -> None:
    assert yaml.safe_load((PROJECT / "params.yaml").read_text()) == BASE_PARAMS


def install_apart(venv: Path) -> Path:
    """mlci in its own venv, off PATH, as pipx does; its ``bin/mlci`` entry point.

    The venv sees the test environment's packages (no network); the entry point is the
    console script pip would write for ``mlci = "mlci.cli:main"``.
    """
    python = make_venv(venv, see_test_packages=True)
    mlci = venv / "bin" / "mlci"
    mlci.write_text(f"#!{python}\nimport sys\nfrom mlci.cli import main\nsys.exit(main())\n")
    mlci.chmod(0o755)
    return mlci


def path_with_bare_python(bare: Path) -> str:
    """PATH with ``bare``'s bin/ first and the test environment's bin/ left out."""
    own = {os.path.realpath(Path(sys.prefix) / "bin"), os.path.realpath(Path(sys.executable).parent)}
    rest = [d for d in os.environ["PATH"].split(os.pathsep) if d and os.path.realpath(d) not in own]
    return os.pathsep.join([str(bare.parent), *rest])


def test_demo_shows_one_better_and_one_worse_pr_from_an_install_off_path(tmp_path: Path) -> None:
    mlci = install_apart(tmp_path / "pipx" / "venvs" / "mlci")
    bare = make_venv(tmp_path / "bare", see_test_packages=False)
    env = {k: v for k, v in clean_env(PATH=path_with_bare_python(bare)).items() if not k.startswith("GITHUB_")}
    for name in ("python", "python3"):
        on_path = subprocess.run([name, "-c", "import sys, importlib.util as u; print(sys.executable, u.find_spec('sklearn'))"],
                                 env=env, capture_output=True, text=True, check=True)
        assert on_path.stdout.split() == [str(bare.parent / name), "None"], "PATH's python must lack scikit-learn"

    keep = tmp_path / "demo"
    proc = subprocess.run([str(mlci), "demo", "--keep", str(keep)], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
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
        # exactly, so evaluate (whose outputs are in git) has nothing to do; export's ONNX
        # file was never pushed either, so it runs too.
        assert stages == {"prepare": "restored", "train": "ran", "evaluate": "unchanged", "export": "ran"}
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
        gate = subprocess.run([str(mlci), "gate", str(bundle)], env=env, capture_output=True, text=True)
        if scenario.expect == "better":
            assert report["verdict"] == "pass", [g["reason"] for g in report["gates"] if g["blocking"]]
            assert md.splitlines()[1].startswith("### ✅ mlci · diabetes-risk: all ")
            assert gate.returncode == 0
        else:
            assert report["verdict"] == "fail"
            assert gates[("metric", "accuracy")]["status"] == "fail"
            assert "**Why it failed**" in md and "accuracy dropped by" in md
            assert gate.returncode == 1 and "Why it failed" in gate.stdout

    # The end: PR #1 merged, released as v0.2.0 (the baseline is v0.1.0), promoted to staging, served once.
    project = keep / "project"
    assert "created tag diabetes-risk@v0.1.0" in out and "created tag diabetes-risk@v0.2.0" in out
    card = out.split("## diabetes-risk v0.2.0", 1)[1]
    assert "### Quality, against v0.1.0" in card and "| model | `models/model.onnx` |" in card
    assert "mlci: the staging gates passed for diabetes-risk v0.2.0" in out
    assert re.search(r"mlci: serving diabetes-risk: \d+ answers equal offline, p95 [\d.]+ ms", out), out
    assert "created tag diabetes-risk#staging#1: diabetes-risk v0.2.0 enters staging" in out
    gto = Path(sys.executable).parent / "gto"
    shown = subprocess.run([str(gto), "show", "diabetes-risk", "--json"], cwd=project, capture_output=True, text=True)
    assert shown.returncode == 0, shown.stderr
    versions = {v["version"]: [s["stage"] for s in v.get("stages") or []] for v in json.loads(shown.stdout)}
    assert versions == {"v0.2.0": ["staging"], "v0.1.0": []}
    answer = json.loads(next(line for line in out.splitlines() if line.strip().startswith("<- ")).split("<- ", 1)[1])
    asked = json.loads(next(line for line in out.splitlines() if line.strip().startswith("-> ")).split("-> ", 1)[1])
    import numpy as np
    import onnxruntime as ort

    row = np.asarray(asked["inputs"][0]["data"], dtype=np.float32).reshape(1, -1)
    label, probabilities = ort.InferenceSession(str(project / "models" / "model.onnx")).run(None, {"X": row})
    outputs = {o["name"]: o["data"] for o in answer["outputs"]}
    assert outputs["output_label"] == label.tolist()
    assert np.allclose(outputs["output_probability"], list(probabilities[0].values()), rtol=1e-6)
    assert "the model says: " in out and "risk (" in out

    # Then the drift monitor's run: production's older, heavier patients drift from the training data; the
    # training data's validation rules pass on them; the text is shown and the retraining named.
    drift = json.loads((project / "mlci-drift" / "report.json").read_text())["drift"]
    assert (drift["reference"], drift["current"]) == ("data/train.csv", "production/2026-02.csv")
    assert drift["dataset_drift"] is True and drift["drifted_share"] == 0.5
    drifted = {c["column"] for c in drift["columns"] if c["drifted"]}
    assert drifted == {"age", "bmi", "bp", "s5", "s6", "age_band"}
    assert all((c["reference_rows"], c["current_rows"]) == (331, 400) for c in drift["columns"])
    monitor = out.split("the drift monitor's scheduled run", 1)[1]
    assert "pass  data: production/2026-02.csv   400 rows, 12 columns, no violations" in monitor
    assert "mlci: retraining: would start retrain.yml" in monitor
    assert "### 🔴 Data drift in `production/2026-02.csv`" in monitor and "**Drifted columns** (6)" in monitor
    assert "<!--" not in monitor  # the hidden lines are not shown

    # --keep refuses to build over an existing example.
    proc = subprocess.run([str(mlci), "demo", "--keep", str(keep)], env=env, capture_output=True, text=True)
    assert proc.returncode == 2
    assert "not empty" in proc.stderr


def test_the_exported_model_is_the_same_bytes_whatever_pythons_hash_seed(tmp_path: Path) -> None:
    """dvc.lock records models/model.onnx's hash: a run on another machine (another hash seed) must match it."""
    import shutil

    project = tmp_path / "project"
    shutil.copytree(PROJECT, project)
    for stage in ("prepare", "train"):
        subprocess.run([sys.executable, f"src/{stage}.py"], cwd=project, check=True, capture_output=True)
    exported = set()
    for seed in ("1", "2", "3"):
        subprocess.run([sys.executable, "src/export.py"], cwd=project, check=True, capture_output=True,
                       env={**os.environ, "PYTHONHASHSEED": seed})
        exported.add((project / "models" / "model.onnx").read_bytes())
    assert len(exported) == 1
