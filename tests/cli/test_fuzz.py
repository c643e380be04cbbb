"""Fuzzing what mlci reads from a PR or a fork: mlci.yaml, the metrics files and report.json.

Arbitrary bytes and arbitrary structures; every outcome is exit 0, 1 or 2 with, for 2, one
line on stderr: never a traceback, a hang or exit 3 (issue 12). The parse functions take most
of the examples; a handful go through the real CLI on a real repository, where each costs a
DVC run.
"""

from __future__ import annotations

import json
import math
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mlci.bundle import write_bundle
from mlci.config import load_policy
from mlci.errors import ConfigError
from mlci.report import Context, MetricRow, Report, Revision
from tests.cli import run_main
from tests.cli.test_hostile_input import template  # noqa: F401 - the module's real repository, built once
from tests.repo_helpers import copy_repo

FIXTURES = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]

# Words mlci.yaml and report.json use, so generated structures reach past the first check.
POLICY_WORDS = ["version", "project", "policy", "metrics", "checks", "comment", "check", "mode", "name", "min", "max",
                "max_drop", "direction", "required", "informational", "on_missing_base", "reproducible", "data",
                "fairness", "runtime", "path", "columns", "accuracy", "per_class.*.f1", "base", "head", "higher",
                "lower", "update", "take_over_cml", "2%", "10MB", "ignore"]
scalars = (st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True, allow_infinity=True)
           | st.sampled_from(POLICY_WORDS) | st.text(max_size=20))
keys = st.sampled_from(POLICY_WORDS) | st.text(max_size=10) | st.integers()
structures = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=5),
                          max_leaves=30)
policies = st.fixed_dictionaries({"version": st.sampled_from([1, 2, "1"])}, optional={
    "metrics": st.dictionaries(st.sampled_from(POLICY_WORDS) | st.text(max_size=8), structures, max_size=3),
    "checks": st.dictionaries(st.sampled_from(POLICY_WORDS), structures, max_size=3),
    "comment": structures, "check": structures, "project": structures, "policy": structures})


def one_line(message: str) -> None:
    assert message and "\n" not in message and len(message) < 1000, message


def policy_outcome(text: str) -> None:
    """load_policy returns a Policy or raises a one-line ConfigError; nothing else."""
    try:
        load_policy(text)
    except ConfigError as exc:
        one_line(str(exc))


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_any_text_as_mlci_yaml(text: str) -> None:
    policy_outcome(text)


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=300))
def test_any_bytes_as_mlci_yaml(data: bytes) -> None:
    policy_outcome(data.decode("utf-8", "surrogateescape"))


@settings(max_examples=400, deadline=None)
@given(policies | structures)
def test_any_structure_as_mlci_yaml(data: Any) -> None:
    policy_outcome(yaml.safe_dump(data, allow_unicode=True))


# -- report.json through `mlci gate` ---------------------------------------------------------


def valid_report() -> dict[str, Any]:
    report = Report(project="churn", context=Context(event="pull_request", base=Revision("main", "a" * 40),
                                                       head=Revision("workspace", "b" * 40, True), pr_number=7),
                    metrics=(MetricRow("m.json", "acc", 0.9, math.nan, "changed"),))
    return json.loads(report.to_json())  # type: ignore[no-any-return]


def gate_outcome(content: bytes, capsys: pytest.CaptureFixture[str]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        Path(folder, "report.json").write_bytes(content)
        code, _, err = run_main(["gate", folder], capsys)
    assert code in (0, 1, 2), err
    if code == 2:
        one_line(err.strip())
        assert err.startswith("mlci: error: "), err
    assert "Traceback" not in err


@settings(max_examples=150, deadline=None, suppress_health_check=FIXTURES)
@given(st.binary(max_size=500))
def test_any_bytes_as_report_json(capsys: pytest.CaptureFixture[str], data: bytes) -> None:
    gate_outcome(data, capsys)


def _paths(data: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(data, dict):
        for key, value in data.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            found += _paths(value, (*prefix, i))
    return found


@settings(max_examples=200, deadline=None, suppress_health_check=FIXTURES)
@given(st.data())
def test_a_valid_report_json_with_any_part_replaced(capsys: pytest.CaptureFixture[str], data: st.DataObject) -> None:
    report = valid_report()
    path = data.draw(st.sampled_from(_paths(report)[1:]))
    target = report
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = data.draw(structures | st.text(min_size=200, max_size=3000) | st.integers(min_value=10 ** 120))
    gate_outcome(json.dumps(report, allow_nan=True).encode(), capsys)


@settings(max_examples=100, deadline=None, suppress_health_check=FIXTURES)
@given(structures)
def test_any_structure_as_report_json(capsys: pytest.CaptureFixture[str], data: Any) -> None:
    gate_outcome(json.dumps(data).encode(), capsys)


# -- a handful through the real CLI, on a real repository -------------------------------------


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


def cli_outcome(repo: Path, args: list[str], capsys: pytest.CaptureFixture[str]) -> int:
    code, _, err = run_main(args, capsys)
    assert code in (0, 1, 2), err
    if code == 2:
        one_line(err.strip())
    assert "Traceback" not in err and "internal error" not in err
    return code


@settings(max_examples=8, deadline=None, suppress_health_check=FIXTURES)
@given(st.binary(max_size=200) | policies.map(lambda d: yaml.safe_dump(d).encode()))
def test_any_mlci_yaml_through_mlci_report(template: Path, work: Path, capsys: pytest.CaptureFixture[str],  # noqa: F811
                                           monkeypatch: pytest.MonkeyPatch, content: bytes) -> None:
    repo = copy_repo(template, Path(tempfile.mkdtemp(dir=work)) / "repo")
    try:
        (repo / "mlci.yaml").write_bytes(content)
        monkeypatch.chdir(repo)
        cli_outcome(repo, ["report"], capsys)
    finally:
        monkeypatch.undo()
        shutil.rmtree(repo.parent, ignore_errors=True)


@settings(max_examples=8, deadline=None, suppress_health_check=FIXTURES)
@given(st.binary(max_size=200) | structures.map(lambda d: json.dumps(d).encode())
       | st.dictionaries(st.text(max_size=1100), scalars, max_size=3).map(lambda d: json.dumps(d).encode()))
def test_any_metrics_json_through_mlci_report(template: Path, work: Path, capsys: pytest.CaptureFixture[str],  # noqa: F811
                                              monkeypatch: pytest.MonkeyPatch, content: bytes) -> None:
    repo = copy_repo(template, Path(tempfile.mkdtemp(dir=work)) / "repo")
    try:
        (repo / "mlci.yaml").write_text("version: 1\nmetrics:\n  accuracy: {min: 0.5}\n")
        (repo / "metrics.json").write_bytes(content)
        monkeypatch.chdir(repo)
        if cli_outcome(repo, ["report"], capsys) != 2:
            cli_outcome(repo, ["gate"], capsys)  # the bundle report wrote, its own reader accepts
    finally:
        monkeypatch.undo()
        shutil.rmtree(repo.parent, ignore_errors=True)


def test_write_bundle_is_fuzzed_by_the_report_it_writes(tmp_path: Path) -> None:
    """A sanity check of the premise of the CLI fuzz: a valid report is written and read back."""
    from mlci.bundle import read_bundle

    report = Report(project="p", context=Context(event="local", base=Revision("main", "a" * 40),
                                                 head=Revision("workspace", "b" * 40, True)))
    write_bundle(report, tmp_path, "# md\n")
    assert read_bundle(tmp_path).to_json() == report.to_json()
