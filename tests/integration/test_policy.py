"""The policy on real repositories: whose copy applies, the verdict, reproducibility after `mlci repro`."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlci import dvc as mlci_dvc
from mlci.context import RunContext
from mlci.errors import ConfigError
from tests.repo_helpers import build_report, commit, init_repo, sh, write

POLICY = "metrics:\n  accuracy:\n    min: 0.6\n    max_drop: 0.05\n"


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = init_repo(tmp_path / "repo")
    write(path, "mlci.yaml", POLICY)
    commit(path, "policy")
    sh(path, "git", "checkout", "-q", "-b", "pr")
    commit(path, "start the PR")
    monkeypatch.chdir(path)
    return path


def policy_on_main(repo: Path, text: str, branch: str) -> None:
    """Commit ``text`` as mlci.yaml on main, then start ``branch`` from there."""
    sh(repo, "git", "checkout", "-q", "main")
    write(repo, "mlci.yaml", text)
    commit(repo, "policy on main")
    sh(repo, "git", "checkout", "-q", "-b", branch)
    commit(repo, f"start {branch}")


REPRO_POLICY = POLICY + "checks:\n  reproducible: true\n"


def gates(report):  # type: ignore[no-untyped-def]
    return {(g.kind, g.subject): g for g in report.gates}


def test_verdict_follows_the_base_policy(repo: Path) -> None:
    write(repo, "metrics.json", {"accuracy": 0.62, "loss": 0.3, "per_class": {"a": {"f1": 0.69}}})
    report = build_report(repo, RunContext())
    assert report.verdict == "fail"
    assert gates(report)[("metric", "accuracy")].reason == "accuracy dropped by 0.08; the policy allows 0.05"
    assert report.policy is not None and report.policy.source == "base" and report.policy.rev == "main"
    assert not report.policy.changed


def test_a_pr_cannot_loosen_its_own_gate(repo: Path) -> None:
    write(repo, "metrics.json", {"accuracy": 0.62, "loss": 0.3, "per_class": {"a": {"f1": 0.69}}})
    write(repo, "mlci.yaml", "metrics:\n  accuracy:\n    min: 0.1\n")
    commit(repo, "loosen")
    report = build_report(repo, RunContext())
    assert report.verdict == "fail"
    assert report.policy is not None and report.policy.changed and report.policy.source == "base"
    assert "-    max_drop: 0.05" in report.policy.diff and "+    min: 0.1" in report.policy.diff
    assert "cannot loosen" in report.policy.note


def test_base_may_delegate_to_the_head_policy(repo: Path) -> None:
    sh(repo, "git", "checkout", "-q", "main")
    write(repo, "mlci.yaml", "policy: head\n" + POLICY)
    commit(repo, "trust PRs")
    sh(repo, "git", "checkout", "-q", "-b", "pr2")
    write(repo, "mlci.yaml", "policy: head\nmetrics:\n  accuracy:\n    min: 0.1\n")
    write(repo, "metrics.json", {"accuracy": 0.62, "loss": 0.3, "per_class": {"a": {"f1": 0.69}}})
    commit(repo, "loosen")
    report = build_report(repo, RunContext())
    assert report.verdict == "pass"
    assert report.policy is not None and report.policy.source == "head" and "policy: head" in report.policy.note


def test_new_policy_file_applies_from_the_pr(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = init_repo(tmp_path / "fresh")
    sh(path, "git", "checkout", "-q", "-b", "pr")
    write(path, "mlci.yaml", POLICY)
    monkeypatch.chdir(path)
    report = build_report(path, RunContext())
    assert report.policy is not None and report.policy.source == "head" and "new in this change" in report.policy.note
    assert report.verdict == "pass"


def test_policy_naming_an_unknown_metric(repo: Path) -> None:
    write(repo, "mlci.yaml", "metrics:\n  acuracy:\n    min: 0.5\n")
    commit(repo, "typo")
    sh(repo, "git", "checkout", "-q", "main")
    write(repo, "mlci.yaml", "metrics:\n  acuracy:\n    min: 0.5\n")
    commit(repo, "typo on main")
    with pytest.raises(ConfigError, match=r"mlci.yaml \(at HEAD\):2: metrics.acuracy: no metrics file has this metric \(did you mean 'accuracy'\?\)"):
        build_report(repo, RunContext())


def test_reproducibility_fails_when_dvc_lock_was_not_committed(repo: Path) -> None:
    policy_on_main(repo, REPRO_POLICY, "pr-no-lock")
    write(repo, "params.yaml", {"train": {"C": 0.9, "tags": ["x", "y"]}})
    commit(repo, "change a param, forget to run dvc repro")
    result = mlci_dvc.repro(repo, echo=lambda _: None)
    report = build_report(repo, RunContext(), repro=result, bundle_dir="mlci-report")
    gate = gates(report)[("reproducible", "pipeline")]
    assert gate.status == "fail" and report.verdict == "fail"
    assert "dvc.lock is not committed" in gate.reason
    assert "metrics.json" in gate.reason  # the output kept in git changed too


def test_reproducibility_names_the_stage_that_changed(repo: Path) -> None:
    policy_on_main(repo, REPRO_POLICY, "pr-random")
    mlci_dvc.repro(repo, echo=lambda _: None)
    commit(repo, "lock")
    # The stage is not deterministic: its model differs on every run.
    write(repo, "train.py", "import json, random\njson.dump({'accuracy': 0.7, 'loss': 0.3, 'per_class': {'a': {'f1': 0.69}}},"
                            " open('metrics.json', 'w'))\nopen('model.bin', 'w').write(str(random.random()))\n")
    mlci_dvc.repro(repo, echo=lambda _: None)
    commit(repo, "nondeterministic model")
    result = mlci_dvc.repro(repo, args=["--force"], echo=lambda _: None)
    report = build_report(repo, RunContext(), repro=result, bundle_dir="mlci-report")
    gate = gates(report)[("reproducible", "pipeline")]
    assert gate.status == "fail"
    assert "stage 'train' (model.bin)" in gate.reason
    assert gate.table is not None and ("train", "model.bin") in gate.table.rows


def test_reproducible_pipeline_passes(repo: Path) -> None:
    policy_on_main(repo, REPRO_POLICY, "pr-ok")
    mlci_dvc.repro(repo, echo=lambda _: None)
    commit(repo, "lock")
    result = mlci_dvc.repro(repo, args=["--force"], echo=lambda _: None)
    report = build_report(repo, RunContext(), repro=result, bundle_dir="mlci-report")
    gate = gates(report)[("reproducible", "pipeline")]
    assert gate.status == "pass", gate.reason
    assert gate.reason.startswith("dvc.lock matches the commit: 1 stage, 1 ran")


def test_reproducibility_without_a_pipeline_run_fails_closed(repo: Path) -> None:
    policy_on_main(repo, REPRO_POLICY, "pr-no-run")
    report = build_report(repo, RunContext())
    assert gates(report)[("reproducible", "pipeline")].status == "fail"
