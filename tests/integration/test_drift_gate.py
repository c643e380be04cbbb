"""The drift check as a PR gate: `mlci report` on a real git + DVC project judges the PR's training
data against the previous release's (``reference_rev``, read through DVC), and a privileged job
re-judges the bundle's measurement (evaluate.rejudge) with the policy it trusts."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from mlci.bundle import read_bundle
from mlci.config import load_policy
from mlci.evaluate import rejudge
from mlci.report import Measurement
from tests.cli import run_main
from tests.repo_helpers import commit, dvc, init_repo, sh, write

POLICY = {"checks": {"drift": [{"reference": "data/train.csv", "reference_rev": "v1", "current": "data/train.csv",
                                "ignore": ["id"], "pr_gate": True}]}}
# The monitor's entry (production data, which a PR's job does not have): no gate of `mlci report`.
MONITOR = {"reference": "data/train.csv", "current": "production/latest.csv"}


def training_data(path: Path, shift: float, seed: int) -> None:
    rng = np.random.default_rng(seed)
    plans = np.array(["a", "b", "c"])[rng.choice(3, 800, p=[0.6, 0.3, 0.1] if shift == 0 else [0.1, 0.3, 0.6])]
    ages = rng.normal(40 + 10 * shift, 8, 800)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("id,age,plan\n" + "".join(f"{i},{a:.2f},{p}\n" for i, (a, p) in enumerate(zip(ages, plans))), "utf-8")


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = init_repo(tmp_path / "repo")
    dvc(root, "remote", "add", "-d", "local", str(tmp_path / "remote"))
    training_data(root / "data/train.csv", 0.0, 1)
    dvc(root, "add", "-q", "data/train.csv")
    write(root, "mlci.yaml", POLICY)
    commit(root, "release v1")
    sh(root, "git", "tag", "v1")
    dvc(root, "push", "-q")
    sh(root, "git", "checkout", "-q", "-b", "new-data")
    monkeypatch.chdir(root)
    return root


def pr(repo: Path, shift: float, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    training_data(repo / "data/train.csv", shift, 2)
    dvc(repo, "add", "-q", "data/train.csv")
    commit(repo, "new training data")
    code, _, err = run_main(["report", "--base", "main", "--no-plots", "--format", "json"], capsys)
    assert code == 0, err
    code, out, _ = run_main(["gate"], capsys)
    return code, out


def test_the_prs_training_data_against_the_releases(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = pr(repo, 1.0, capsys)

    assert code == 1 and "drift: data/train.csv" in out
    bundle = read_bundle(repo / "mlci-report")
    (gate,) = [g for g in bundle.gates if g.kind == "drift"]
    assert gate.status == "fail" and gate.rule.startswith("against data/train.csv@v1")
    assert gate.reason.startswith("2 of 2 columns drifted (100%; dataset drift at 50%)")
    (measurement,) = [m for m in bundle.measurements if m.check == "checks.drift"]
    assert measurement.value["reference"] == "data/train.csv@v1" and measurement.error is None

    # the publish job judges the bundle's evidence again with the policy it trusts
    trusted = load_policy(json.dumps(POLICY))
    again = rejudge(bundle, trusted, bundle.policy)
    assert [(g.kind, g.status, g.reason) for g in again.gates] == [(g.kind, g.status, g.reason) for g in bundle.gates]

    # a measurement made under another rule is no evidence for this one: the gate fails closed
    looser = load_policy(json.dumps({"checks": {"drift": [{**POLICY["checks"]["drift"][0], "threshold_share": 1.0}]}}))
    (closed,) = rejudge(bundle, looser, bundle.policy).gates
    assert closed.status == "fail" and "no measurement for this rule" in closed.reason

    # a fork that edits its bundle's verdicts gets a gate that fails closed, not a pass
    value = json.loads(json.dumps(measurement.value))
    for column in value["columns"]:
        column["drifted"] = False
    forged = replace(bundle, measurements=tuple(
        replace(m, value=value) if m.check == "checks.drift" else m for m in bundle.measurements))
    (closed,) = [g for g in rejudge(forged, trusted, bundle.policy).gates if g.kind == "drift"]
    assert closed.status == "fail" and "does not follow from its score" in closed.reason
    hostile = replace(bundle, measurements=(Measurement(check="checks.drift", spec=measurement.spec, value={"columns": 1}),))
    (closed,) = [g for g in rejudge(hostile, trusted, bundle.policy).gates if g.kind == "drift"]
    assert closed.status == "fail" and "not one" in closed.reason


def test_unchanged_data_passes_the_gate(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = pr(repo, 0.0, capsys)
    assert code == 0, out
    (gate,) = [g for g in read_bundle(repo / "mlci-report").gates if g.kind == "drift"]
    assert gate.status == "pass" and gate.reason.startswith("0 of 2 columns drifted")


def test_the_monitors_entries_are_no_gates_of_a_pull_request(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Without `pr_gate`, an entry is only `mlci drift`'s (the monitor's): a PR's report neither reads its
    production data (absent here) nor fails for want of it, and the bundle judged again has no such gate."""
    write(repo, "mlci.yaml", {"checks": {"drift": [MONITOR, POLICY["checks"]["drift"][0]]}})
    commit(repo, "the monitor's dataset")
    sh(repo, "git", "checkout", "-q", "main")
    sh(repo, "git", "merge", "-q", "new-data")
    sh(repo, "git", "checkout", "-q", "-b", "later")
    code, out = pr(repo, 0.0, capsys)
    assert code == 0, out
    bundle = read_bundle(repo / "mlci-report")
    assert [(g.kind, g.subject) for g in bundle.gates if g.kind == "drift"] == [("drift", "data/train.csv")]
    assert [m.spec for m in bundle.measurements if m.check == "checks.drift"] == [
        m.spec for m in bundle.measurements if "production" not in m.spec]
    assert bundle.policy is not None
    trusted = load_policy((repo / "mlci.yaml").read_text())
    assert trusted.gate_count == 1 and len(trusted.specs("checks.drift")) == 2
    assert [g.subject for g in rejudge(bundle, trusted, bundle.policy).gates] == ["data/train.csv"]

    code, _, err = run_main(["drift", "--no-validate"], capsys)  # the monitor checks both
    assert code == 2 and "production/latest.csv" in err
