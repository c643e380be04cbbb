"""mlci promote on real git + DVC repositories: the stage's gates first, then GTO's stage tag, read back by GTO."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli import run_main
from tests.integration.test_release import gto_show, release, retrain, tags, template  # noqa: F401 - the fixture
from tests.repo_helpers import commit, sh, working_copy, write

POLICY = """\
version: 1
promote:
  order: [staging, prod]
  stages:
    prod:
      metrics:
        accuracy: {min: 0.8}
"""


@pytest.fixture
def repo(template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,  # noqa: F811
         capsys: pytest.CaptureFixture[str]) -> Path:
    """The first model released as v0.1.0 (accuracy 0.7), with a policy whose prod floor is 0.8."""
    path = working_copy(template, tmp_path, monkeypatch)
    write(path, "mlci.yaml", POLICY)
    commit(path, "the promotion policy")
    assert release(capsys, "--bump", "patch")[0] == 0
    return path


def stages(repo: Path) -> dict[str, str]:
    """GTO's own reading: stage -> the version in it."""
    return {stage: info["version"] for stage, info in gto_show_stages(repo).items()}


def gto_show_stages(repo: Path) -> dict:  # type: ignore[type-arg]
    import json
    import subprocess
    import sys

    gto = Path(sys.executable).parent / "gto"
    proc = subprocess.run([str(gto), "show", "model", "--json"], cwd=repo, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    out: dict = {}  # type: ignore[type-arg]
    for version in json.loads(proc.stdout):
        for stage in version.get("stages") or []:
            out[stage["stage"]] = {"version": version["version"]}
    return out


def test_staging_then_a_floor_that_keeps_it_from_prod(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(["promote", "model", "v0.1.0", "staging"], capsys)
    assert code == 0, err
    assert "created tag model#staging#1: model v0.1.0 enters staging" in out
    assert stages(repo) == {"staging": "v0.1.0"}
    code, out, _ = run_main(["promote", "model", "v0.1.0", "prod"], capsys)
    assert code == 1 and "not promoted: 1 of the prod gates failed for model v0.1.0: accuracy" in out
    assert "model#prod#1" not in tags(repo) and stages(repo) == {"staging": "v0.1.0"}


def test_a_better_version_goes_to_prod_and_gto_sees_it(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    retrain(repo, 0.9, "stronger model")
    assert release(capsys, "--bump", "minor")[0] == 0
    assert run_main(["promote", "model", "v0.2.0", "staging"], capsys)[0] == 0
    code, out, err = run_main(["promote", "model", "v0.2.0", "prod"], capsys)
    assert code == 0, out + err
    assert "the prod gates passed for model v0.2.0" in out
    assert stages(repo) == {"staging": "v0.2.0", "prod": "v0.2.0"}
    assert gto_show(repo)["model"]["stage"] == {"staging": "v0.2.0", "prod": "v0.2.0"}  # `gto show`'s registry view
    # What the deploy workflow runs on the tagged commit: the stage's gates judged again, nothing written.
    before = tags(repo)
    code, out, _ = run_main(["promote", "model", "v0.2.0", "prod", "--dry-run"], capsys)
    assert code == 0 and "the prod gates passed for model v0.2.0" in out and "would promote" in out
    assert tags(repo) == before


def test_no_prod_before_staging(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    retrain(repo, 0.9, "stronger model")
    assert release(capsys)[0] == 0
    code, _, err = run_main(["promote", "model", "v0.1.1", "prod"], capsys)
    assert code == 2 and "model v0.1.1 must be in staging before prod (promote.order: staging → prod)" in err


def test_demotion_is_gtos_tag_too(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_main(["promote", "model", "v0.1.0", "staging"], capsys)[0] == 0
    code, out, _ = run_main(["promote", "model", "v0.1.0", "staging", "--demote"], capsys)
    assert code == 0 and "created tag model#staging!#2" in out
    assert stages(repo) == {}


def test_promoting_again_creates_nothing(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_main(["promote", "model", "v0.1.0", "staging"], capsys)[0] == 0
    code, out, _ = run_main(["promote", "model", "v0.1.0", "staging"], capsys)
    assert code == 0 and "is in staging already" in out
    assert [t for t in tags(repo) if "#" in t] == ["model#staging#1"]


@pytest.mark.parametrize(("args", "needle"), [
    (["model", "v9.9.9", "staging"], "model v9.9.9 is not registered (its versions: v0.1.0)"),
    (["no-such", "v0.1.0", "staging"], "no-such v0.1.0 is not registered (its versions: none)"),
    (["model", "v0.1.0", "qa"], "'qa' is not a stage .gto allows (dev, staging, prod)"),
])
def test_bad_input_is_one_line_and_exit_2(repo: Path, capsys: pytest.CaptureFixture[str], args: list[str],
                                         needle: str) -> None:
    write(repo, ".gto", "stages: [dev, staging, prod]\n")
    commit(repo, "the allowed stages")
    code, _, err = run_main(["promote", *args], capsys)
    assert code == 2 and err.startswith("mlci: error: ") and err.count("\n") == 1, err
    assert needle in err
    assert not [t for t in tags(repo) if "#" in t]


def test_a_check_beyond_metrics_needs_the_versions_commit(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(repo, "mlci.yaml", POLICY + "    staging:\n      checks:\n        reproducible: true\n")
    commit(repo, "reproducibility for staging")
    code, _, err = run_main(["promote", "model", "v0.1.0", "staging"], capsys)
    assert code == 2 and "check out its commit first" in err
    assert sh(repo, "git", "tag", "--list", "model#*").stdout == ""


def test_check_ref_says_what_a_tag_says_as_gto_action_does(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_main(["promote", "model", "v0.1.0", "staging"], capsys)[0] == 0
    code, out, _ = run_main(["check-ref", "refs/tags/model#staging#1"], capsys)
    assert code == 0 and out == "event=assignment name=model version=v0.1.0 stage=staging\n"
    code, out, _ = run_main(["check-ref", "model@v0.1.0"], capsys)
    assert code == 0 and out == "event=registration name=model version=v0.1.0 stage=\n"
    code, _, err = run_main(["check-ref", "v1.0.0"], capsys)
    assert code == 2 and "'v1.0.0' is not a GTO tag" in err


SERVED = """\
version: 1
promote:
  stages:
    staging:
      checks:
        serving:
          - model: serving/iris.onnx
            sample: serving/sample.csv
            requests: 20
            max_p95_ms: 2000
"""


@pytest.fixture
def served(template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,  # noqa: F811
           capsys: pytest.CaptureFixture[str]) -> Path:
    """v0.1.0 released with a real ONNX model and a sample in its commit, and a staging gate that serves it."""
    import pandas as pd

    from tests.unit.serve.models import FEATURES, classifier

    path = working_copy(template, tmp_path, monkeypatch)
    (path / "serving").mkdir()
    iris = classifier(path / "serving")
    classifier(path / "serving", "plain", zipmap=False)
    pd.DataFrame(iris.X, columns=[f"f{i}" for i in range(FEATURES)]).to_csv(path / "serving" / "sample.csv", index=False)
    write(path, "mlci.yaml", SERVED)
    commit(path, "the served model and its staging gate")
    assert release(capsys, "--bump", "patch")[0] == 0
    return path


def test_the_served_model_gate_runs_the_server_before_staging(served: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(["promote", "model", "v0.1.0", "staging"], capsys)
    assert code == 0, out + err
    assert "the staging gates passed for model v0.1.0 (1 checked)" in out
    assert stages(served) == {"staging": "v0.1.0"}


def test_a_server_that_answers_otherwise_keeps_the_version_out(served: Path, tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    import shlex
    import sys

    # The stage's server is a command, here one serving another export of the model (no ZipMap: other outputs)
    command = f"{shlex.quote(sys.executable)} -m mlci serve serving/plain.onnx --port {{port}} --name iris"
    strict = tmp_path / "strict.yaml"
    strict.write_text(SERVED + f"            command: {command}\n")
    code, out, _ = run_main(["promote", "model", "v0.1.0", "staging", "--config", str(strict)], capsys)
    assert code == 1, out
    assert ("not promoted: 1 of the staging gates failed for model v0.1.0: iris: 25 of 25 answers differ from "
            "offline (sample row 21: output 'output_label' missing)") in out
    assert "model#staging#1" not in tags(served) and stages(served) == {}


def test_the_policy_can_come_from_another_revision(served: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The deploy template checks out the version and judges it with the default branch's policy (--policy-ref)."""
    version = sh(served, "git", "rev-parse", "HEAD").stdout.strip()
    sh(served, "git", "checkout", "-q", "-b", "today")
    write(served, "mlci.yaml", SERVED.replace("max_p95_ms: 2000", "max_p95_ms: 0.001"))
    commit(served, "today's staging gate: tighter than the version's own")
    sh(served, "git", "checkout", "-q", version)
    code, out, _ = run_main(["promote", "model", "v0.1.0", "staging", "--dry-run", "--policy-ref", "today"], capsys)
    assert code == 1 and "p95 " in out and "> max 0.001 ms" in out  # today's gate, on the version's files
    assert run_main(["promote", "model", "v0.1.0", "staging", "--dry-run"], capsys)[0] == 0  # the version's own
    code, _, err = run_main(["promote", "model", "v0.1.0", "staging", "--policy-ref", "nowhere"], capsys)
    assert code == 2 and "--policy-ref nowhere: no such commit here" in err
