"""mlci release on real git + DVC repositories: GTO's tags, read back by `gto show` and DVC's artifact lookup."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli import run_main
from tests.repo_helpers import DVC_YAML, commit, dvc, init_repo, pinned_git_env, sh, working_copy, write

WITH_ARTIFACT = {**DVC_YAML, "artifacts": {"model": {"path": "model.bin", "type": "model", "desc": "The model"}}}


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return released_template(tmp_path_factory.mktemp("release") / "repo")


def released_template(path: Path) -> Path:
    """A repository whose dvc.yaml declares its model as an artifact, the pipeline run and committed."""
    with pinned_git_env():
        init_repo(path)
        write(path, "dvc.yaml", WITH_ARTIFACT)
        dvc(path, "repro", "-q")
        commit(path, "the first model")
    return path


@pytest.fixture
def repo(template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return working_copy(template, tmp_path, monkeypatch)


def release(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """`mlci report`, then `mlci release ARGS` on its bundle, as the release workflow runs them
    (the report's own outcome when it fails: a policy mistake stops it first)."""
    reported = run_main(["report"], capsys)
    return reported if reported[0] != 0 else run_main(["release", *args], capsys)


def tags(repo: Path) -> list[str]:
    return sh(repo, "git", "tag", "--list").stdout.split()


def gto_show(repo: Path) -> dict:  # type: ignore[type-arg]
    gto = Path(sys.executable).parent / "gto"  # GTO's own command, from the same environment
    proc = subprocess.run([str(gto), "show", "--json"], cwd=repo, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)  # type: ignore[no-any-return]


def retrain(repo: Path, c: float, message: str) -> str:
    write(repo, "params.yaml", {"train": {"C": c, "tags": ["x", "y"]}})
    dvc(repo, "repro", "-q")
    return commit(repo, message)


def test_the_first_release_is_a_tag_gto_and_dvc_read(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import dvc.api

    head = sh(repo, "git", "rev-parse", "HEAD").stdout.strip()
    code, out, err = release(capsys)
    assert code == 0, err
    assert out.startswith(f"mlci: created tag model@v0.1.0 at {head[:7]} (its first version)\n## model v0.1.0\n")
    assert tags(repo) == ["model@v0.1.0"]
    assert "Registering artifact model version v0.1.0" in sh(repo, "git", "cat-file", "-p", "model@v0.1.0").stdout
    assert gto_show(repo)["model"]["version"] == "v0.1.0"
    assert dvc.api.artifacts_show("model", repo=str(repo)) == {"rev": head, "path": "model.bin"}


def test_running_again_on_the_same_commit_creates_nothing(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert release(capsys)[0] == 0
    code, out, _ = release(capsys)
    assert code == 0 and out == "mlci: model: no new version: this commit is already v0.1.0 (model@v0.1.0)\n"
    assert tags(repo) == ["model@v0.1.0"]


def test_a_new_model_gets_the_bump_its_pr_asks_for(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import dvc.api

    assert release(capsys)[0] == 0
    second = retrain(repo, 0.9, "stronger model")
    code, out, err = release(capsys, "--pr", "7", "--pr-title", "feat: a stronger model")
    assert code == 0, err
    assert "created tag model@v0.2.0" in out and "minor bump: a conventional title of type feat" in out
    assert '#7 "feat: a stronger model"' in out
    assert "### Quality, against v0.1.0" in out and "| accuracy | 0.7000 | 0.8600 |" in out
    third = retrain(repo, 0.2, "a patch")
    assert release(capsys, "--label", "release:major")[0] == 0
    assert sorted(tags(repo)) == ["model@v0.1.0", "model@v0.2.0", "model@v1.0.0"]
    assert dvc.api.artifacts_show("model", version="v0.2.0", repo=str(repo))["rev"] == second
    assert dvc.api.artifacts_show("model", repo=str(repo))["rev"] == third


def test_a_commit_that_leaves_the_model_alone_gets_no_version(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert release(capsys)[0] == 0
    write(repo, "README.md", "docs\n")
    commit(repo, "docs only")
    code, out, _ = release(capsys)
    assert code == 0 and "no new version: unchanged since v0.1.0" in out
    assert tags(repo) == ["model@v0.1.0"]


def test_an_untracked_file_is_not_the_commits_and_does_not_stop_it(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(repo, "pip-log.txt", "an installer's leftovers\n")
    assert release(capsys)[0] == 0 and tags(repo) == ["model@v0.1.0"]


def test_dry_run_prints_the_tag_and_card_and_creates_nothing(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = release(capsys, "--dry-run")
    assert code == 0 and out.startswith("mlci: would create tag model@v0.1.0")
    assert "## model v0.1.0" in out and "### What it was built from" in out
    assert tags(repo) == []


def test_failed_gates_release_nothing(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(repo, "mlci.yaml", "version: 1\nmetrics:\n  accuracy: {min: 0.95}\n")
    commit(repo, "a strict policy")
    code, out, _ = release(capsys)
    assert code == 1 and "no release: the gates failed" in out and "accuracy" in out
    assert tags(repo) == []


@pytest.mark.parametrize(("change", "needle"), [
    (lambda repo: write(repo, "train.py", "# edited\n"), "the work tree has changes not in"),
    (lambda repo: (write(repo, "mlci.yaml", "version: 1\nrelease:\n  artifacts: [modle]\n"), commit(repo, "p")),
     "mlci.yaml:2: release.artifacts: 'modle' is not an artifact of dvc.yaml (it declares model)"),
    (lambda repo: (write(repo, "mlci.yaml", "version: 1\nrelease:\n  first_version: 1.0\n"), commit(repo, "p")),
     ":3: release.first_version: expected a string, got 1.0"),
    (lambda repo: (write(repo, "dvc.yaml", {**DVC_YAML, "artifacts": {"-bad": {"path": "model.bin"}}}),
                   commit(repo, "p")), "dvc.yaml: artifacts.-bad: not a name GTO allows"),
])
def test_bad_input_is_one_line_and_exit_2(repo: Path, capsys: pytest.CaptureFixture[str], change, needle: str) -> None:  # type: ignore[no-untyped-def]
    change(repo)
    code, _, err = release(capsys)
    assert code == 2 and err.startswith("mlci: error: ") and len(err.strip().splitlines()) == 1, err
    assert needle in err, err
    assert tags(repo) == []


def test_a_bundle_of_another_commit_is_refused(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_main(["report"], capsys)[0] == 0
    commit(repo, "later")
    code, _, err = run_main(["release"], capsys)
    assert code == 2 and "its report is of" in err and "run `mlci report` on this commit first" in err
