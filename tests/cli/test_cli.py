"""The command line, through click's runner and through a real subprocess."""

from __future__ import annotations

import json
import re
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from mlci import __version__
from mlci.cli import cli
from tests.cli import run_main
from tests.repo_helpers import TRAIN_PY, commit, dvc, init_repo, sh, write


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = init_repo(tmp_path / "repo")
    sh(path, "git", "checkout", "-q", "-b", "feature")
    write(path, "metrics.json", {"accuracy": 0.8, "loss": 0.3, "per_class": {"a": {"f1": 0.69}}})
    write(path, "params.yaml", {"train": {"C": 1.0, "tags": ["x", "y"]}})
    commit(path, "better")
    monkeypatch.chdir(path)
    return path


def test_version_and_help() -> None:
    runner = CliRunner()
    assert runner.invoke(cli, ["--version"]).output == f"mlci {__version__}\n"
    result = runner.invoke(cli, ["--help"])
    assert result.exit_code == 0
    for command in ("repro", "report", "demo"):
        assert command in result.output


def test_report_writes_bundle_and_prints_each_format(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(["report", "--format", "json"], capsys)
    assert code == 0, err
    data = json.loads(out)
    assert data["schema"] == "mlci.report/v1"
    assert (repo / "mlci-report" / "report.json").read_text() == out
    md = (repo / "mlci-report" / "report.md").read_text()
    assert md.startswith("<!-- mlci:report ")
    assert "| accuracy" in md and "+0.1000" in md

    code, out, _ = run_main(["report", "--format", "md"], capsys)
    assert code == 0 and out == md
    code, out, _ = run_main(["report"], capsys)
    assert code == 0 and "accuracy" in out and "\x1b[" not in out  # no colours when not a terminal


def test_report_into_another_directory(repo: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, _ = run_main(["report", "--out", str(tmp_path / "bundle"), "--base", "main", "--head", "HEAD"], capsys)
    assert code == 0
    assert json.loads((tmp_path / "bundle" / "report.json").read_text())["context"]["head"]["rev"] == "HEAD"


def test_options_come_from_mlci_environment_variables_as_the_actions_pass_them(
        repo: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The composite actions call plain `mlci report` / `mlci gate` with their inputs in MLCI_*;
    an empty variable (an input left empty) counts as unset."""
    bundle = tmp_path / "bundle"
    outputs = tmp_path / "github_output"
    monkeypatch.setenv("MLCI_REPORT_DIR", str(bundle))
    monkeypatch.setenv("MLCI_BASE", "main")
    monkeypatch.setenv("MLCI_CONFIG", "")
    monkeypatch.setenv("GITHUB_OUTPUT", str(outputs))
    code, _, _ = run_main(["report"], capsys)
    assert code == 0
    report = json.loads((bundle / "report.json").read_text())
    assert report["context"]["base"]["rev"] == "main"
    assert re.fullmatch(r"report-dir<<(ghadelimiter_\w+)\n" + re.escape(str(bundle.resolve())) + r"\n\1\n",
                        outputs.read_text())
    code, out, _ = run_main(["gate"], capsys)  # the bundle argument from MLCI_REPORT_DIR
    assert code == 0 and "no policy" in out.lower()
    monkeypatch.setenv("MLCI_BASE", "no-such-rev")
    code, _, err = run_main(["report"], capsys)
    assert code == 2 and "unknown revision 'no-such-rev'" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["report", "--base", "no-such-rev"], "mlci: error: unknown revision 'no-such-rev'\n"),
        (["report", "--format", "xml"], "Invalid value for '--format'"),
        (["frobnicate"], "No such command 'frobnicate'"),
    ],
)
def test_usage_errors_exit_2_with_one_line(repo: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str) -> None:
    code, _, err = run_main(args, capsys)
    assert code == 2
    assert message in err
    assert "Traceback" not in err


def test_not_a_git_repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    code, _, err = run_main(["report"], capsys)
    assert code == 2
    assert err == f"mlci: error: {tmp_path.resolve()}: not a git repository\n"


def test_traceback_flag_shows_the_traceback_and_keeps_the_exit_code(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """Issue 12 finding 8: --traceback re-raised, so a user's mistake (exit 2) exited 1, the
    gate-failed code. The traceback now goes to stderr before the one line, with the same code."""
    monkeypatch.chdir(tmp_path)
    code, out, err = run_main(["--traceback", "report"], capsys)
    assert code == 2 and out == ""
    assert err.startswith("Traceback (most recent call last):\n") and "GitError" in err
    assert err.endswith(f"mlci: error: {tmp_path.resolve()}: not a git repository\n")


def test_traceback_flag_keeps_the_internal_error_code(monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    from mlci.commands import schema

    def broken(settings: object) -> int:
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(schema, "run", broken)
    code, _, err = run_main(["schema"], capsys)
    assert code == 3 and err == "mlci: internal error: ZeroDivisionError: a bug (run with --traceback and report it)\n"
    code, _, err = run_main(["--traceback", "schema"], capsys)
    assert code == 3 and "Traceback" in err and 'raise ZeroDivisionError("a bug")' in err
    assert err.endswith("mlci: internal error: ZeroDivisionError: a bug (report it)\n")


def test_corrupt_metrics_are_reported_not_fatal(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (repo / "metrics.json").write_text('{"accuracy": 0.9,')
    code, out, _ = run_main(["report", "--format", "md"], capsys)
    assert code == 0
    assert "metrics.json" in out and "not valid JSON" in out


def test_repro_then_report_includes_stages(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(["repro"], capsys)
    assert code == 0, err
    assert "Running stage 'train'" in out
    assert "1 stage, 1 ran" in out
    code, out, _ = run_main(["report", "--format", "json"], capsys)
    assert json.loads(out)["repro"]["stages"] == [{"name": "train", "state": "ran", "seconds": pytest.approx(0, abs=30)}]


def test_repro_passes_arguments_to_dvc(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_main(["repro"], capsys)[0] == 0
    code, out, _ = run_main(["repro", "--force", "train"], capsys)
    assert code == 0 and "Running stage 'train'" in out
    code, out, err = run_main(["repro", "no-such-stage"], capsys)
    assert code == 2 and "mlci: error: `dvc repro` failed" in err


def test_real_subprocess(repo: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GITHUB_")}
    proc = subprocess.run([sys.executable, "-m", "mlci", "report", "--format", "text"], cwd=repo, env=env,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "accuracy" in proc.stdout
    proc = subprocess.run([sys.executable, "-m", "mlci", "report", "--base", "nope"], cwd=repo, env=env,
                          capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stderr == "mlci: error: unknown revision 'nope'\n"


def test_no_color_respected(repo: Path) -> None:
    from mlci.cli import use_color

    class Tty:
        def isatty(self) -> bool:
            return True

    os.environ.pop("NO_COLOR", None)
    assert use_color(Tty())
    os.environ["NO_COLOR"] = "1"
    try:
        assert not use_color(Tty())
    finally:
        del os.environ["NO_COLOR"]


def test_gate_exit_codes_follow_the_verdict(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sh(repo, "git", "checkout", "-q", "main")
    write(repo, "mlci.yaml", "metrics:\n  accuracy:\n    min: 0.75\n")
    commit(repo, "policy")
    sh(repo, "git", "checkout", "-q", "feature")
    sh(repo, "git", "merge", "-q", "main", "-m", "merge main")
    assert run_main(["report", "--format", "md"], capsys)[0] == 0  # report never fails on the verdict
    code, out, _ = run_main(["gate"], capsys)
    assert code == 0 and out.startswith("PASS mlci")

    write(repo, "metrics.json", {"accuracy": 0.7, "loss": 0.3, "per_class": {"a": {"f1": 0.69}}})
    code, out, _ = run_main(["report"], capsys)
    assert code == 0 and out.startswith("FAIL mlci")
    code, out, _ = run_main(["gate", "mlci-report"], capsys)
    assert code == 1
    assert "accuracy 0.7 < min 0.75 (mlci.yaml line 2)" in out
    code, out, _ = run_main(["gate", "--format", "json"], capsys)
    data = json.loads(out)
    assert code == 1 and data["verdict"] == "fail" and data["gates"][0]["blocking"] is True



@pytest.mark.parametrize("policy", [True, False], ids=["policy", "no-policy"])
def test_a_failing_stage_becomes_the_verdict_of_the_report(
        repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, policy: bool) -> None:
    """What the actions do: `mlci repro` keeps the failure (MLCI_RECORD_FAILURE), the report's
    verdict fails and says where, so the comment and the check say so; `mlci gate` fails."""
    if policy:
        write(repo, "mlci.yaml", "metrics:\n  accuracy:\n    min: 0.5\n")
        commit(repo, "policy")
    write(repo, "train.py", "raise SystemExit('boom')\n")
    commit(repo, "breaks training")

    code, out, err = run_main(["repro"], capsys)
    assert code == 1
    assert "mlci: 1 stage, 0 ran, 0 restored from the remote, 0 unchanged, 1 failed" in out
    assert err == "mlci: error: `dvc repro` failed in stage 'train' with exit code 255 (see its output above)\n"

    monkeypatch.setenv("MLCI_RECORD_FAILURE", "true")
    code, out, err = run_main(["repro"], capsys)
    assert code == 0, err
    assert "kept for `mlci report`" in out

    code, out, _ = run_main(["report", "--format", "json"], capsys)
    assert code == 0
    report = json.loads(out)
    assert report["verdict"] == "fail"
    assert report["repro"]["failure"] == "`dvc repro` failed in stage 'train' with exit code 255"
    assert report["repro"]["stages"][0]["state"] == "failed"
    assert [(g["kind"], g["status"], g["blocking"]) for g in report["gates"]] == [("pipeline", "fail", True)]
    assert ("were not evaluated" in report["gates"][0]["reason"]) is policy  # no metric gate judged stale outputs
    markdown = (repo / "mlci-report" / "report.md").read_text()
    assert "### ❌ mlci · repo: the pipeline failed\n" in markdown
    # The workspace holds no result of this change: no metric table, though report.json keeps the rows.
    assert "Metrics not compared: the pipeline did not finish" in markdown and "| accuracy" not in markdown
    assert {row["key"] for row in report["metrics"]} >= {"accuracy", "loss"}
    assert "- pipeline: \\`dvc repro\\` failed in stage 'train' with exit code 255" in markdown
    code, out, _ = run_main(["gate"], capsys)
    assert code == 1 and out.startswith("FAIL mlci · repo: the pipeline failed")

    # Fixed: the next run's record replaces the failure.
    write(repo, "train.py", TRAIN_PY)
    commit(repo, "fixed")
    assert run_main(["repro"], capsys)[0] == 0
    code, out, _ = run_main(["report", "--format", "json"], capsys)
    report = json.loads(out)
    assert report["repro"]["failure"] is None
    assert report["verdict"] == ("pass" if policy else None)



def test_an_unreachable_remote_shows_as_a_problem_of_the_report(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    dvc(repo, "remote", "add", "-d", "storage", "s3://no-such-bucket/dvc")
    code, out, err = run_main(["repro"], capsys)
    assert code == 0, err
    assert "mlci: warning: could not pull from the DVC remote 'storage'" in out
    code, out, _ = run_main(["report", "--format", "json"], capsys)
    report = json.loads(out)
    [problem] = [p for p in report["problems"] if p["source"] == "dvc pull"]
    assert problem["side"] == "head" and "so every stage ran without it" in problem["message"]
    assert report["repro"]["pull_error"] == problem["message"] and report["repro"]["pulled"] is False
    assert "⚠️ `dvc pull` (head): could not pull from the DVC remote 'storage'" in (repo / "mlci-report" / "report.md").read_text()

def test_gate_without_policy_passes_and_says_so(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_main(["report"], capsys)[0] == 0
    code, out, _ = run_main(["gate"], capsys)
    assert code == 0 and "no policy (mlci.yaml) applied" in out


def test_gate_on_a_missing_or_tampered_bundle(repo: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run_main(["gate", str(tmp_path / "nothing")], capsys)
    assert code == 2 and "no report bundle here" in err
    (tmp_path / "report.json").write_text('{"schema": "mlci.report/v1", "verdict": "pass"}')
    code, _, err = run_main(["gate", str(tmp_path)], capsys)
    assert code == 2 and err.startswith("mlci: error: report.json: ")


def test_bad_policy_is_exit_2_with_file_line_key(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(repo, "mlci.yaml", "metrics:\n  accuracy:\n    min: high\n")
    code, _, err = run_main(["report"], capsys)
    assert code == 2
    assert err == "mlci: error: mlci.yaml:3: metrics.accuracy.min: expected a number, got 'high'\n"


def test_schema_command_prints_valid_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_main(["schema"], capsys)
    assert code == 0 and json.loads(out)["title"].startswith("mlci.yaml")
    code, out, _ = run_main(["schema", "report"], capsys)
    assert code == 0 and "mlci.report/v1" in out


def test_publish_in_local_mode_writes_files_and_posts_nothing(repo: Path, capsys: pytest.CaptureFixture[str],
                                                              tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert run_main(["report"], capsys)[0] == 0
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    monkeypatch.delenv("GH_TOKEN", raising=False)
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(tmp_path / "summary.md"))
    monkeypatch.setenv("GITHUB_OUTPUT", str(tmp_path / "output"))
    code, out, err = run_main(["publish"], capsys)
    assert code == 0, err
    assert "local mode, no token" in out and "would post: comment (update) and check 'mlci'" in out
    assert (tmp_path / "summary.md").read_text().startswith("<!-- mlci:report")
    assert "verdict<<ghadelimiter_" in (tmp_path / "output").read_text()


def test_publish_with_gate_exits_with_the_verdict_it_posted(repo: Path, capsys: pytest.CaptureFixture[str],
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """`--gate` (the PR template's publish step): after posting, the verdict as `mlci gate` gives it, in the
    same process; without it, publish exits 0 whatever the verdict."""
    for name in ("GITHUB_TOKEN", "GH_TOKEN", "GITHUB_STEP_SUMMARY", "GITHUB_OUTPUT"):
        monkeypatch.delenv(name, raising=False)
    write(repo, "mlci.yaml", "metrics:\n  accuracy:\n    min: 0.9\n")
    assert run_main(["report"], capsys)[0] == 0
    code, out, _ = run_main(["publish"], capsys)
    assert code == 0 and "would post:" in out and "accuracy 0.8 < min 0.9" not in out
    code, out, err = run_main(["publish", "--gate"], capsys)
    assert code == 1, err
    assert "would post:" in out and "accuracy 0.8 < min 0.9 (mlci.yaml line 2)" in out
    monkeypatch.setenv("MLCI_GATE", "false")
    assert run_main(["publish"], capsys)[0] == 0

    write(repo, "mlci.yaml", "metrics:\n  accuracy:\n    min: 0.5\n")
    assert run_main(["report"], capsys)[0] == 0
    monkeypatch.setenv("MLCI_GATE", "true")
    code, out, _ = run_main(["publish"], capsys)
    assert code == 0 and "would post:" in out


def test_publish_is_decided_by_the_policy_that_judged_the_gates(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """The base's mlci.yaml judged the gates, so it also says how they are published: a PR that
    edits `comment` and `check` in its copy changes neither. Options still come first."""
    path = init_repo(tmp_path / "repo")
    write(path, "mlci.yaml", "comment:\n  mode: once\n  take_over_cml: true\ncheck:\n  name: model-quality\n")
    commit(path, "policy")
    sh(path, "git", "checkout", "-q", "-b", "feature")
    write(path, "mlci.yaml", "comment:\n  mode: 'off'\ncheck:\n  name: anything-green\n")
    commit(path, "quieter, please")
    monkeypatch.chdir(path)
    for name in ("GITHUB_TOKEN", "GH_TOKEN", "GITHUB_STEP_SUMMARY", "GITHUB_OUTPUT"):
        monkeypatch.delenv(name, raising=False)
    assert run_main(["report", "--base", "main"], capsys)[0] == 0

    code, out, err = run_main(["publish"], capsys)
    assert code == 0, err
    assert "would post: comment (once) and check 'model-quality'" in out
    code, out, _ = run_main(["publish", "--comment", "new", "--check-name", "x"], capsys)
    assert "would post: comment (new) and check 'x'" in out

    from mlci.bundle import read_bundle
    from mlci.context import RunContext
    from mlci.errors import ConfigError
    from mlci.publish import settings_for

    bundle = read_bundle(path / "mlci-report")
    assert bundle.policy is not None and bundle.policy.source == "base" and bundle.policy.take_over_cml
    trusted = settings_for(bundle, RunContext(event="pull_request"), token="t")
    assert (trusted.comment, trusted.take_over_cml, trusted.check_name) == ("once", True, "model-quality")
    # Under workflow_run the bundle comes from an unprivileged run: its policy is not taken on trust.
    untrusted = settings_for(bundle, RunContext(event="workflow_run", payload={"workflow_run": {"head_sha": "a" * 40}}),
                             token="t", check_name="from-input")
    assert (untrusted.comment, untrusted.take_over_cml, untrusted.check_name) == ("update", False, "from-input")
    # An explicit --config is read as given, with its mistakes named.
    write(path, "elsewhere.yaml", "comment:\n  mode: sometimes\n")
    with pytest.raises(ConfigError, match="elsewhere.yaml:2: comment.mode: expected one of update, new, once, off"):
        settings_for(bundle, RunContext(), token="t", config="elsewhere.yaml")
    with pytest.raises(ConfigError, match="missing.yaml: file not found"):
        settings_for(bundle, RunContext(), token="t", config="missing.yaml")
