"""Hostile and broken input through the real CLI: every case is one line and exit 2, never a
traceback, a hang, exit 3, or a bundle its own reader rejects (issue 12, findings 5, 8 and 9)."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.cli import run_main
from tests.repo_helpers import commit, init_repo, pinned_git_env, sh, working_copy, write

GOOD_POLICY = "version: 1\nmetrics:\n  accuracy: {min: 0.5}\n"


def bomb(levels: int = 7, width: int = 10) -> str:
    lines = [f"a0: &a0 [{', '.join(['x'] * width)}]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * width)}]" for i in range(1, levels)]
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    with pinned_git_env():
        path = init_repo(tmp_path_factory.mktemp("hostile") / "repo")
        sh(path, "git", "checkout", "-q", "-b", "feature")
    return path


@pytest.fixture
def repo(template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return working_copy(template, tmp_path, monkeypatch)


def limited(memory: int = 2 << 30) -> None:
    """In the child: at most ``memory`` bytes of address space, so a failing test cannot eat the machine."""
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))


def one_line_error(code: int, err: str, *needles: str) -> None:
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("mlci: error: "), err
    assert "Traceback" not in err and "internal error" not in err
    for needle in needles:
        assert needle in lines[0], lines[0]


# -- mlci.yaml ----------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "needle"), [
    (bomb(5), "mlci.yaml:5: invalid YAML: more than 50,000 values once its aliases are expanded"),
    ("[" * 20_000, "mlci.yaml:1: invalid YAML: nested more than 64 levels deep"),
    ("version: 1\nproject: a\x01b\n", "mlci.yaml:2: invalid YAML: the character U+0001 is not allowed"),
    ("version: 1\nproject: a\x1bb\n", "mlci.yaml:2: invalid YAML: the character U+001B is not allowed"),
    (b"version: 1\nproject: \xff\xfe\n", "mlci.yaml:2: not UTF-8 text: the byte 0xFF"),
    ("version: 1\nmetrics:\n  accuracy: {min: " + "9" * 5000 + "}\n", "mlci.yaml:3: invalid YAML: cannot read the int"),
])
def test_a_hostile_policy_in_the_work_tree(repo: Path, capsys: pytest.CaptureFixture[str], text: str | bytes,
                                           needle: str) -> None:
    (repo / "mlci.yaml").write_bytes(text if isinstance(text, bytes) else text.encode())
    started = time.monotonic()
    one_line_error(*run_main(["report"], capsys)[::2], needle)
    assert time.monotonic() - started < 30


def test_a_base_copy_that_is_not_utf8(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sh(repo, "git", "checkout", "-q", "main")
    (repo / "mlci.yaml").write_bytes(b"version: 1\n# caf\xe9\n")
    commit(repo, "a policy in Latin-1")
    sh(repo, "git", "checkout", "-q", "-b", "pr")
    write(repo, "mlci.yaml", GOOD_POLICY)
    commit(repo, "the PR mends it")
    one_line_error(*run_main(["report"], capsys)[::2], "mlci.yaml (at main)", "not UTF-8 text")


def test_a_prs_bomb_does_not_take_down_the_run_when_the_base_applies(repo: Path) -> None:
    """The 7 x 10 bomb of the issue (5.8 GB, more than 100 s before), in a child with 2 GB."""
    sh(repo, "git", "checkout", "-q", "main")
    write(repo, "mlci.yaml", GOOD_POLICY)
    commit(repo, "policy")
    sh(repo, "git", "checkout", "-q", "-b", "pr")
    write(repo, "mlci.yaml", bomb())
    commit(repo, "the PR's bomb")
    proc = subprocess.run([sys.executable, "-m", "mlci", "report", "--format", "json", "--head", "HEAD"], cwd=repo,
                          capture_output=True, text=True, timeout=120, preexec_fn=limited)
    assert proc.returncode == 0, proc.stderr
    policy = json.loads(proc.stdout)["policy"]
    assert policy["source"] == "base" and "its new copy is invalid" in policy["note"]
    assert "once its aliases are expanded" in policy["note"]


def test_the_alias_bomb_through_the_cli_in_bounded_memory(repo: Path) -> None:
    """A child limited to 2 GB of address space (DVC's imports need about 1) and 120 s:
    before, the bomb took 5.8 GB and did not finish in 100 s."""
    write(repo, "mlci.yaml", bomb(9, 10))
    proc = subprocess.run([sys.executable, "-m", "mlci", "report"], cwd=repo, capture_output=True, text=True,
                          timeout=120, preexec_fn=limited)
    one_line_error(proc.returncode, proc.stderr, "mlci.yaml:", "more than 50,000 values once its aliases are expanded")


# -- dvc.yaml ------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "needle"), [
    ("stages:\n  train:\n    cmd: [python\n", "dvc.yaml"),
    ("stages:\n  train: {cmd: 1, bogus: 2}\n", "dvc.yaml: not a valid DVC pipeline"),
    ("stages:\n  train:\x01\n", "dvc.yaml"),
])
@pytest.mark.parametrize("verb", ["repro", "report"])
def test_a_malformed_dvc_yaml(repo: Path, capsys: pytest.CaptureFixture[str], verb: str, text: str, needle: str) -> None:
    write(repo, "dvc.yaml", text)
    one_line_error(*run_main([verb], capsys)[::2], needle)


@pytest.mark.parametrize("verb", ["repro", "report"])
@pytest.mark.parametrize("name", ["params.yaml", "dvc.lock"])
def test_a_bomb_in_a_file_dvc_parses_in_bounded_memory(repo: Path, verb: str, name: str) -> None:
    """Before, DVC's templating took the 7 x 10 bomb in params.yaml past 3 GB and 100 s."""
    write(repo, name, bomb())
    proc = subprocess.run([sys.executable, "-m", "mlci", verb], cwd=repo, capture_output=True, text=True,
                          timeout=120, preexec_fn=limited)
    one_line_error(proc.returncode, proc.stderr, f"{name}:", "invalid YAML: more than", "once its aliases are expanded")


def test_a_bomb_in_the_bases_params(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """DVC reads the base's files too: the message names the revision."""
    sh(repo, "git", "checkout", "-q", "main")
    write(repo, "params.yaml", "train:\n  C: 0.5\n" + bomb())
    base = commit(repo, "a bomb on main")
    sh(repo, "git", "checkout", "-q", "-b", "pr")
    write(repo, "params.yaml", "train:\n  C: 0.5\n")
    commit(repo, "the PR removes it")
    one_line_error(*run_main(["report", "--head", "HEAD"], capsys)[::2], f"params.yaml (at {base[:7]}):", "invalid YAML")


# -- the bundle ------------------------------------------------------------------------------


@pytest.fixture
def bundle(repo: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    assert run_main(["report"], capsys)[0] == 0
    return repo / "mlci-report"


def tamper(bundle: Path, text: str | bytes) -> None:
    (bundle / "report.json").write_bytes(text if isinstance(text, bytes) else text.encode())


@pytest.mark.parametrize(("make", "needle"), [
    (lambda data: "[" * 900 + "]" * 900, "nested more than 64 levels deep"),
    (lambda data: "[" * 100_000, "nested more than 64 levels deep"),
    (lambda data: json.dumps(data).replace('"line": 0', '"line": ' + "9" * 5000, 1) if '"line": 0' in json.dumps(data)
     else json.dumps({**data, "x": int("9" * 4000)}), "a number of"),
    (lambda data: json.dumps(data).encode().replace(b'"project": "', b'"project": "\xff', 1), "report.json:1: not UTF-8 text"),
    (lambda data: json.dumps(data).replace('"project": "', '"project": "\x01', 1), "not valid JSON: Invalid control character"),
    (lambda data: json.dumps({**data, "project": "p" * 5000}), "report.json: project: "),
])
def test_a_tampered_report_json(bundle: Path, capsys: pytest.CaptureFixture[str], make, needle: str) -> None:  # type: ignore[no-untyped-def]
    tamper(bundle, make(json.loads((bundle / "report.json").read_text())))
    code, _, err = run_main(["gate"], capsys)
    one_line_error(code, err, needle)
    assert len(err) < 400  # never the 5 KB value again


def test_a_fifo_as_report_json_is_refused_not_waited_on(bundle: Path) -> None:
    (bundle / "report.json").unlink()
    os.mkfifo(bundle / "report.json")
    proc = subprocess.run([sys.executable, "-m", "mlci", "gate"], cwd=bundle.parent, capture_output=True, text=True,
                          timeout=60, preexec_fn=limited)
    one_line_error(proc.returncode, proc.stderr, "report.json: not a regular file (a FIFO)")


def test_a_symlink_out_of_the_bundle_is_refused(bundle: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    outside = tmp_path / "elsewhere.json"
    (bundle / "report.json").rename(outside)
    (bundle / "report.json").symlink_to(outside)
    one_line_error(*run_main(["gate"], capsys)[::2], "a symlink to", "outside")


def test_a_symlink_within_the_bundle_is_read(bundle: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (bundle / "report.json").rename(bundle / "real.json")
    (bundle / "report.json").symlink_to("real.json")
    assert run_main(["gate"], capsys)[0] == 0


def test_a_device_as_report_json_is_refused(tmp_path: Path) -> None:
    """Before, /dev/zero was read until memory ran out (24 GB here): run in a child with 2 GB."""
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "report.json").symlink_to("/dev/zero")
    proc = subprocess.run([sys.executable, "-m", "mlci", "gate", str(tmp_path / "b")], capture_output=True, text=True,
                          timeout=60, preexec_fn=limited)
    one_line_error(proc.returncode, proc.stderr, "outside")


# -- a bundle its own reader rejects is never written ------------------------------------------


def test_a_metric_key_over_the_schemas_limit(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(repo, "metrics.json", {"accuracy": 0.8, "k" * 1100: 1.0})
    code, _, err = run_main(["report"], capsys)
    one_line_error(code, err, "the report was not written", "/key")
    assert len(err) < 400
    assert not (repo / "mlci-report" / "report.json").exists()


def test_a_project_name_over_the_schemas_limit(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_main(["report", "--project", "p" * 300], capsys)
    one_line_error(code, err, "the report was not written", "project")
    assert len(err) < 400


# -- the event payload --------------------------------------------------------------------------


@pytest.mark.parametrize(("content", "needle"), [
    ("[" * 900 + "]" * 900, "nested more than 64 levels deep"),
    ('{"pull_request": {"number": ' + "9" * 5000 + "}}", "a number of 5,000 characters"),
    (b'{"a": "\xff"}', "not UTF-8 text"),
    (None, "not a regular file (a FIFO)"),
])
def test_a_hostile_event_payload(repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                 capsys: pytest.CaptureFixture[str], content: str | bytes | None, needle: str) -> None:
    event = tmp_path / "event.json"
    if content is None:
        os.mkfifo(event)
    else:
        event.write_bytes(content if isinstance(content, bytes) else content.encode())
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_EVENT_NAME", "pull_request")
    monkeypatch.setenv("GITHUB_EVENT_PATH", str(event))
    one_line_error(*run_main(["report"], capsys)[::2], f"GITHUB_EVENT_PATH={event}", needle)


# -- bytes that are not UTF-8 from git and from stages --------------------------------------------


def test_a_stage_that_prints_bytes_not_utf8(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Before, the first such line ended `mlci repro` with exit 3 (UnicodeDecodeError)."""
    write(repo, "train.py", "import sys\nsys.stdout.buffer.write(b'epoch 1 \\xff\\xfe done\\n')\n"
          + (repo / "train.py").read_text())
    code, out, err = run_main(["repro"], capsys)
    assert code == 0, err
    assert "epoch 1 \\xff\\xfe done" in out + err


def test_a_file_name_not_utf8_in_the_work_tree(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """git's `status -z` gives the name's own bytes (before: exit 3); the report shows them as \\xNN."""
    write(repo, "mlci.yaml", "version: 1\nchecks:\n  reproducible: {}\n")
    commit(repo, "policy")
    assert run_main(["repro"], capsys)[0] == 0
    commit(repo, "the run's lock")
    assert run_main(["repro"], capsys)[0] == 0  # nothing to run: the record of this commit
    (repo / os.fsdecode(b"caf\xe9.csv")).write_text("x\n")
    code, out, err = run_main(["report"], capsys)
    assert code == 0, err
    assert "reproducible" in out and "caf\\xe9.csv" in out
