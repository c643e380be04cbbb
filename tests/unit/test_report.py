"""The bundle: serialisation, schema validation, reading untrusted files."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from mlci.errors import BundleError
from mlci.report import Context, MetricRow, Problem, Report, Repro, Revision, StageRun, read_bundle, write_bundle


def sample() -> Report:
    return Report(
        project="churn",
        context=Context(event="pull_request", base=Revision("main", "a" * 40), head=Revision("workspace", "b" * 40, True),
                        repository="acme/churn", pr_number=42, run_id="118", server_url="https://github.com"),
        metrics=(MetricRow("m.json", "acc", 0.9, math.nan, "changed"), MetricRow("m.json", "auc", None, 0.8, "added")),
        problems=(Problem("x.json", "head", "not valid JSON"),),
        repro=Repro((StageRun("train", "ran", 1.5),), pulled=True, pushed=False, seconds=2.0),
    )


def test_round_trip_is_exact(tmp_path: Path) -> None:
    report = sample()
    write_bundle(report, tmp_path, "# md\n")
    again = read_bundle(tmp_path)
    assert again.to_json() == report.to_json()
    assert math.isnan(again.metrics[0].head)
    assert json.loads(report.to_json())["metrics"][0]["head"] == {"float": "NaN"}
    assert json.loads(report.to_json())["context"]["run_url"] == "https://github.com/acme/churn/actions/runs/118"
    assert (tmp_path / "report.md").read_text() == "# md\n"


def test_missing_bundle(tmp_path: Path) -> None:
    with pytest.raises(BundleError, match="no report bundle here"):
        read_bundle(tmp_path)


def test_not_json(tmp_path: Path) -> None:
    (tmp_path / "report.json").write_text("{\n oops")
    with pytest.raises(BundleError, match=r"report.json:2: not valid JSON"):
        read_bundle(tmp_path)


def test_unknown_schema_version(tmp_path: Path) -> None:
    (tmp_path / "report.json").write_text(json.dumps({"schema": "mlci.report/v9"}))
    with pytest.raises(BundleError, match="expected 'mlci.report/v1'"):
        read_bundle(tmp_path)


@pytest.mark.parametrize(
    ("path", "value", "where"),
    [
        (("metrics", 0, "status"), "exploded", "metrics/0/status"),
        (("context", "pr_number"), "42; rm -rf /", "context/pr_number"),
        (("context", "base", "sha"), "not-a-sha", "context/base/sha"),
        (("project",), "", "project"),
    ],
)
def test_schema_rejects_tampered_bundles(tmp_path: Path, path: tuple, value: object, where: str) -> None:  # type: ignore[type-arg]
    data = json.loads(sample().to_json())
    target = data
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    (tmp_path / "report.json").write_text(json.dumps(data))
    with pytest.raises(BundleError, match=f"report.json: {where}:"):
        read_bundle(tmp_path)


def test_unknown_fields_are_rejected(tmp_path: Path) -> None:
    data = json.loads(sample().to_json())
    data["metrics"][0]["exec"] = "curl evil"
    (tmp_path / "report.json").write_text(json.dumps(data))
    with pytest.raises(BundleError, match="Additional properties are not allowed"):
        read_bundle(tmp_path)
