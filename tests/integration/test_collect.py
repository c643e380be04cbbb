"""collect then judge (what `mlci report` computes) on real git + DVC repositories."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from mlci.context import RunContext
from mlci.errors import DvcError, GitError, MlciError
from tests.repo_helpers import build_report, commit, init_repo, pinned_git_env, sh, working_copy, write


@pytest.fixture(scope="session")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    with pinned_git_env():
        return init_repo(tmp_path_factory.mktemp("template") / "repo")


@pytest.fixture
def repo(template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return working_copy(template, tmp_path, monkeypatch)


def rows(report, kind="metrics"):  # type: ignore[no-untyped-def]
    return {r.key: r for r in getattr(report, kind)}


def test_pr_branch_against_merge_base(repo: Path) -> None:
    sh(repo, "git", "checkout", "-q", "-b", "feature")
    write(repo, "metrics.json", {"accuracy": 0.75, "loss": 0.3, "per_class": {"a": {"f1": 0.7}}, "auc": 0.8})
    write(repo, "params.yaml", {"train": {"C": 1.0, "tags": ["x", "y"]}})
    commit(repo, "better")
    base_sha = sh(repo, "git", "rev-parse", "main").stdout.strip()

    report = build_report(repo, RunContext())

    assert report.context.base.sha == base_sha
    assert report.context.base.rev == "main"
    assert report.context.head.workspace
    m = rows(report)
    assert m["accuracy"].status == "changed"
    assert m["accuracy"].change == pytest.approx(0.05)
    assert m["accuracy"].relative_change == pytest.approx(0.05 / 0.7)
    assert m["loss"].status == "unchanged" and m["loss"].change == 0.0
    assert m["per_class.a.f1"].base == 0.69 and m["per_class.a.f1"].head == 0.7
    assert m["auc"].status == "added" and m["auc"].base is None and m["auc"].change is None
    p = rows(report, "params")
    assert p["train.C"].status == "changed" and (p["train.C"].base, p["train.C"].head) == (0.5, 1.0)
    assert p["train.tags"].status == "unchanged" and p["train.tags"].head == ["x", "y"]
    assert report.problems == ()


def test_workspace_changes_against_head_on_main(repo: Path) -> None:
    write(repo, "metrics.json", {"accuracy": 0.6, "loss": 0.4})
    report = build_report(repo, RunContext())
    assert report.context.base.rev == "HEAD"
    m = rows(report)
    assert m["accuracy"].change == pytest.approx(-0.1)
    assert m["per_class.a.f1"].status == "removed"


def test_same_commit_still_lists_every_metric(repo: Path) -> None:
    # `dvc metrics diff HEAD HEAD` returns nothing; mlci shows the metrics as unchanged.
    report = build_report(repo, RunContext(), base="HEAD", head="HEAD")
    assert {r.key for r in report.metrics} == {"accuracy", "loss", "per_class.a.f1"}
    assert all(r.status == "unchanged" for r in report.metrics)


def test_corrupt_metrics_file_is_a_problem_not_a_silent_drop(repo: Path) -> None:
    (repo / "metrics.json").write_text("{not json")
    report = build_report(repo, RunContext())
    assert [(p.source, p.side) for p in report.problems] == [("metrics.json", "head")]
    assert "not valid JSON" in report.problems[0].message
    assert rows(report)["accuracy"].status == "removed"


@pytest.mark.parametrize(("content", "what"), [("1", "a number"), ('"high"', "a string"), ("true", "a boolean")])
def test_a_metrics_file_of_one_value_is_a_problem_not_a_crash(repo: Path, content: str, what: str) -> None:
    """Found by the CLI fuzz (a metrics.json of `1` was exit 3): no names to compare, so a problem of that file."""
    (repo / "metrics.json").write_text(content)
    report = build_report(repo, RunContext())
    assert [(p.source, p.side, p.message) for p in report.problems] == [
        ("metrics.json", "head", f'holds {what}, not metrics by name (an object such as {{"accuracy": 0.9}})')]
    assert rows(report)["accuracy"].status == "removed"


def test_nan_strings_and_lists(repo: Path) -> None:
    (repo / "metrics.json").write_text('{"accuracy": NaN, "loss": "high", "curve": [1, 2], "per_class": {"a": {"f1": Infinity}}}')
    report = build_report(repo, RunContext())
    m = rows(report)
    assert math.isnan(m["accuracy"].head) and m["accuracy"].status == "changed" and m["accuracy"].change is None
    assert m["loss"].head == "high" and m["loss"].change is None
    assert m["per_class.a.f1"].head == math.inf
    assert any("'curve' is a list" in p.message for p in report.problems)
    # the bundle round-trips non-finite floats
    from mlci.report import Report

    again = Report.from_dict(json.loads(report.to_json()))
    assert math.isnan(rows(again)["accuracy"].head)
    assert again.to_json() == report.to_json()


def test_bundle_is_byte_identical_for_same_inputs(repo: Path) -> None:
    write(repo, "metrics.json", {"accuracy": 0.71})
    first = build_report(repo, RunContext()).to_json()
    second = build_report(repo, RunContext()).to_json()
    assert first == second


def test_pull_request_event_uses_payload_base(repo: Path, tmp_path: Path) -> None:
    first = sh(repo, "git", "rev-parse", "HEAD").stdout.strip()
    write(repo, "metrics.json", {"accuracy": 0.8})
    commit(repo, "main moves on")
    sh(repo, "git", "checkout", "-q", "-b", "pr")
    write(repo, "metrics.json", {"accuracy": 0.9})
    commit(repo, "pr")
    payload = {"number": 7, "pull_request": {"number": 7, "base": {"sha": first, "ref": "main"}, "head": {"sha": "0" * 40}}}
    event = tmp_path / "event.json"
    event.write_text(json.dumps(payload))
    ctx = RunContext.from_env({"GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "pull_request", "GITHUB_EVENT_PATH": str(event),
                               "GITHUB_REPOSITORY": "acme/churn", "GITHUB_RUN_ID": "118", "GITHUB_SERVER_URL": "https://github.com"})
    report = build_report(repo, ctx)
    assert report.context.base.sha == first
    assert report.context.pr_number == 7
    assert report.context.run_url == "https://github.com/acme/churn/actions/runs/118"
    assert rows(report)["accuracy"].base == 0.7


def test_push_to_default_branch_compares_with_previous_commit(repo: Path, tmp_path: Path) -> None:
    first = sh(repo, "git", "rev-parse", "HEAD").stdout.strip()
    write(repo, "metrics.json", {"accuracy": 0.8})
    commit(repo, "merge")
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"ref": "refs/heads/main", "repository": {"default_branch": "main"}}))
    ctx = RunContext.from_env({"GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "push", "GITHUB_EVENT_PATH": str(event), "GITHUB_REF_NAME": "main"})
    report = build_report(repo, ctx)
    assert report.context.base.sha == first


def test_unknown_revision(repo: Path) -> None:
    with pytest.raises(GitError, match="unknown revision 'nope'"):
        build_report(repo, RunContext(), base="nope")


def test_not_a_git_repository(tmp_path: Path) -> None:
    with pytest.raises(GitError, match="not a git repository"):
        build_report(tmp_path, RunContext())


def test_git_repo_without_dvc(tmp_path: Path) -> None:
    sh(tmp_path, "git", "init", "-q", "-b", "main")
    with pytest.raises(DvcError, match="not a DVC project"):
        build_report(tmp_path, RunContext())


def test_dvc_project_without_dvc_yaml(tmp_path: Path) -> None:
    from tests.repo_helpers import dvc

    sh(tmp_path, "git", "init", "-q", "-b", "main")
    dvc(tmp_path, "init", "-q")
    commit(tmp_path, "init")
    with pytest.raises(DvcError, match="no dvc.yaml"):
        build_report(tmp_path, RunContext())


def test_shallow_clone_names_fetch_depth(repo: Path, tmp_path: Path) -> None:
    write(repo, "metrics.json", {"accuracy": 0.8})
    commit(repo, "second")
    clone = tmp_path / "shallow"
    sh(tmp_path, "git", "clone", "-q", "--depth", "1", f"file://{repo}", str(clone))
    with pytest.raises(MlciError, match="fetch-depth: 0"):
        build_report(clone, RunContext(), base="HEAD~1")
