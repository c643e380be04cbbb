"""mlci repro on real DVC pipelines: ran, unchanged, restored from the remote, failures."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from mlci import dvc as mlci_dvc
from mlci.errors import DvcError, PipelineFailed
from tests.repo_helpers import commit, dvc, init_repo, sh, write
from tests.venv_helpers import clean_env, make_venv


def states(result):  # type: ignore[no-untyped-def]
    return {s.name: s.state for s in result.stages}


def test_ran_then_unchanged_then_forced(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "repo")
    lines: list[str] = []
    first = mlci_dvc.repro(repo, echo=lines.append)
    assert states(first) == {"train": "ran"}
    assert any("Running stage 'train'" in line for line in lines), "DVC's own output streams through"
    assert not first.pulled and not first.pushed

    second = mlci_dvc.repro(repo, echo=lambda _: None)
    assert states(second) == {"train": "unchanged"}

    forced = mlci_dvc.repro(repo, args=["--force", "train"], echo=lambda _: None)
    assert states(forced) == {"train": "ran"}


def test_restored_from_remote_in_a_fresh_clone(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "repo")
    remote = tmp_path / "remote"
    dvc(repo, "remote", "add", "-d", "storage", str(remote))
    mlci_dvc.repro(repo, echo=lambda _: None)
    commit(repo, "lock")
    pushed = mlci_dvc.repro(repo, push=True, echo=lambda _: None)
    assert pushed.pushed and (remote / "files").exists()

    clone = tmp_path / "clone"
    sh(tmp_path, "git", "clone", "-q", str(repo), str(clone))
    assert not (clone / "model.bin").exists()
    result = mlci_dvc.repro(clone, echo=lambda _: None)
    assert result.pulled
    assert states(result) == {"train": "restored"}
    assert (clone / "model.bin").read_text() == "model C=0.5\n"

    # a changed param makes the stage run again, whatever the remote holds
    write(clone, "params.yaml", {"train": {"C": 0.9, "tags": ["x", "y"]}})
    assert states(mlci_dvc.repro(clone, echo=lambda _: None)) == {"train": "ran"}


def test_run_cache_restores_a_stage_seen_before(tmp_path: Path) -> None:
    # DVC keeps run-cache entries only for stages whose outputs are all cached,
    # so this pipeline's stage has no `cache: false` metrics file.
    repo = init_repo(tmp_path / "repo")
    write(repo, "dvc.yaml", {"stages": {"train": {"cmd": "python train.py", "deps": ["train.py"], "params": ["train.C"],
                                                 "outs": ["model.bin", "metrics.json"]}}})
    sh(repo, "git", "rm", "-q", "metrics.json")
    remote = tmp_path / "remote"
    dvc(repo, "remote", "add", "-d", "storage", str(remote))
    mlci_dvc.repro(repo, echo=lambda _: None)
    commit(repo, "lock C=0.5")
    write(repo, "params.yaml", {"train": {"C": 0.9, "tags": ["x", "y"]}})
    mlci_dvc.repro(repo, push=True, echo=lambda _: None)  # run-cache now knows C=0.9
    sh(repo, "git", "checkout", "-q", "--", "params.yaml", "dvc.lock")

    clone = tmp_path / "clone"
    sh(tmp_path, "git", "clone", "-q", str(repo), str(clone))
    write(clone, "params.yaml", {"train": {"C": 0.9, "tags": ["x", "y"]}})
    result = mlci_dvc.repro(clone, echo=lambda _: None)
    assert states(result) == {"train": "restored"}
    assert (clone / "model.bin").read_text() == "model C=0.9\n"


def test_failing_stage_names_the_stage(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "repo")
    write(repo, "train.py", "raise SystemExit('boom')\n")
    failure = mlci_dvc.repro(repo, echo=lambda _: None).failure
    assert failure is not None and "failed in stage 'train'" in failure


def test_a_failing_stage_comes_with_what_ran_before_it_and_nothing_is_pushed(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "repo")
    remote = tmp_path / "remote"
    dvc(repo, "remote", "add", "-d", "storage", str(remote))
    write(repo, "prepare.py", "open('data.txt', 'w').write('rows\\n')\n")
    write(repo, "dvc.yaml", {"stages": {
        "prepare": {"cmd": "python prepare.py", "deps": ["prepare.py"], "outs": ["data.txt"]},
        "train": {"cmd": "python train.py", "deps": ["train.py", "data.txt"], "outs": ["model.bin"],
                  "metrics": [{"metrics.json": {"cache": False}}]},
    }})
    write(repo, "train.py", "import sys; print('training'); sys.exit(3)\n")
    record = mlci_dvc.repro(repo, push=True, echo=lambda _: None)  # a failed pipeline is a value
    assert states(record) == {"prepare": "ran", "train": "failed"}
    assert record.failure == "`dvc repro` failed in stage 'train' with exit code 255"
    assert not record.pushed and not remote.exists()


def test_dvc_refusing_before_any_stage_is_a_usage_error(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "repo")
    with pytest.raises(DvcError, match="`dvc repro` failed with exit code") as refused:
        mlci_dvc.repro(repo, args=["no-such-stage"], echo=lambda _: None)
    assert not isinstance(refused.value, PipelineFailed) and refused.value.exit_code == 2


def test_push_without_remote_is_a_usage_error(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "repo")
    with pytest.raises(DvcError, match="--push needs a default DVC remote"):
        mlci_dvc.repro(repo, push=True, echo=lambda _: None)


def test_a_remote_that_cannot_be_pulled_from_is_skipped_unless_pull_was_asked_for(tmp_path: Path) -> None:
    """Pulling is a shortcut: with an unreachable remote (here S3 without DVC's S3 plugin, as when a
    workflow forgot dvc-s3 or a fork gets no credentials) the stages run without it, and the record says so."""
    repo = init_repo(tmp_path / "repo")
    dvc(repo, "remote", "add", "-d", "storage", "s3://no-such-bucket/dvc")
    lines: list[str] = []
    result = mlci_dvc.repro(repo, echo=lines.append)
    assert states(result) == {"train": "ran"} and not result.pulled
    assert result.pull_error is not None and result.pull_error.startswith(
        "could not pull from the DVC remote 'storage' (`dvc pull`: s3 is supported, but requires 'dvc-s3' to be installed")
    assert f"mlci: warning: {result.pull_error}" in lines

    with pytest.raises(DvcError, match="`dvc pull --run-cache` failed"):
        mlci_dvc.repro(repo, pull=True, echo=lambda _: None)


def test_a_stage_missing_a_module_names_the_interpreter_that_ran_it(tmp_path: Path) -> None:
    """`mlci repro` as a user runs it, with PATH's `python` a bare interpreter (not mlci's): after
    DVC's output one line says which interpreter ran the stage, where mlci runs and what to install;
    the repro record keeps it for the report."""
    bare = make_venv(tmp_path / "bare", see_test_packages=False)
    repo = init_repo(tmp_path / "repo")
    write(repo, "train.py", "import json\nimport no_such_module_for_mlci\n")
    write(repo, "requirements.txt", "no-such-module-for-mlci\n")
    commit(repo, "a stage that imports what is not installed")
    env = clean_env(PATH=os.pathsep.join([str(bare.parent), os.environ["PATH"]]))
    proc = subprocess.run([sys.executable, "-m", "mlci", "repro"], cwd=repo, env=env, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    out = proc.stdout.splitlines()
    traceback_end = out.index("ModuleNotFoundError: No module named 'no_such_module_for_mlci'")
    [hint] = [line for line in out if line.startswith("mlci: stage 'train' could not import")]
    assert out.index(hint) > traceback_end, "the hint comes after DVC's output"
    assert hint == (f"mlci: stage 'train' could not import 'no_such_module_for_mlci': mlci runs on {sys.executable} "
                    f"(a virtual environment), but the stage ran on {bare} (`python` on PATH); install the stage's "
                    f"dependencies into it: {bare} -m pip install -r requirements.txt")
    assert proc.stderr.strip() == "mlci: error: `dvc repro` failed in stage 'train' with exit code 255 (see its output above)"

    record = json.loads((repo / "mlci-report" / "repro.json").read_text())
    assert record["failure"] == "`dvc repro` failed in stage 'train' with exit code 255: " + hint.removeprefix(
        "mlci: stage 'train' ")


def test_a_stage_failing_otherwise_gets_no_interpreter_hint(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "repo")
    write(repo, "train.py", "print('ModuleNotFoundError: is only a word here')\nraise SystemExit('boom')\n")
    lines: list[str] = []
    assert mlci_dvc.repro(repo, echo=lines.append).failure == "`dvc repro` failed in stage 'train' with exit code 255"
    assert not any("could not import" in line for line in lines)


def test_stages_run_in_the_environment_given(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "repo")
    write(repo, "train.py", "import os\nopen('model.bin', 'w').write(os.environ['MLCI_TEST_MARK'])\n"
                            "open('metrics.json', 'w').write('{}')\n")
    mlci_dvc.repro(repo, echo=lambda _: None, env={**os.environ, "MLCI_TEST_MARK": "from env"})
    assert (repo / "model.bin").read_text() == "from env"
    assert "MLCI_TEST_MARK" not in os.environ
