"""The bundle: serialisation, schema validation, reading untrusted files."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from mlci.bundle import read_bundle, read_repro, write_bundle, write_repro
from mlci.errors import BundleError
from mlci.report import Context, MetricRow, Problem, Report, Repro, Revision, StageRun


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


def test_the_repro_record_round_trips_with_the_bundles_codec(tmp_path: Path) -> None:
    run = Repro((StageRun("train", "failed", 0.5),), pulled=False, pushed=False, seconds=2.5,
                dirty_before=("params.yaml",), failure="`dvc repro` failed in stage 'train' with exit code 1",
                pull_error="no credentials")
    path = write_repro(run, tmp_path, "c" * 40)
    data = json.loads(path.read_text())
    assert data["schema"] == "mlci.repro/v1" and data["head_sha"] == "c" * 40
    assert Repro.from_dict(json.loads(Report(project="p", context=sample().context, repro=run).to_json())["repro"]) == run
    assert read_repro(tmp_path, "c" * 40) == run
    assert read_repro(tmp_path, "d" * 40) is None  # made on another commit: stale


@pytest.mark.parametrize("change", [
    lambda d: d.update(stages=[{"name": "train", "state": "exploded", "seconds": 1}]),
    lambda d: d.update(exec="curl evil"),
    lambda d: d.pop("schema"),
    lambda d: d.update(head_sha="HEAD; rm -rf /"),
])
def test_a_repro_record_that_breaks_the_schema_is_not_used(tmp_path: Path, change: object) -> None:
    path = write_repro(Repro((StageRun("train", "ran", 1.0),), pulled=True, pushed=False, seconds=1.0), tmp_path, "c" * 40)
    data = json.loads(path.read_text())
    change(data)  # type: ignore[operator]
    path.write_text(json.dumps(data))
    assert read_repro(tmp_path, "c" * 40) is None
    with pytest.raises(BundleError, match="repro.json"):
        Repro.from_record(data)


def test_the_bundle_is_never_written_through_links(tmp_path: Path) -> None:
    """A bundle folder committed with links in it never makes mlci write anywhere else: a link
    at the old fixed temporary name is not used, and a link at a bundle file, or a bundle
    folder that is a link, is refused with a clear message."""
    bundle, victim = tmp_path / "mlci-report", tmp_path / "victim"
    bundle.mkdir()
    victim.write_text("precious\n")
    (bundle / ".report.json.tmp").symlink_to(victim)
    write_bundle(sample(), bundle, "# md\n")  # temporary files have unpredictable names, created exclusively
    assert victim.read_text() == "precious\n" and read_bundle(bundle).to_json() == sample().to_json()

    (bundle / "report.md").unlink()
    (bundle / "report.md").symlink_to(victim)
    with pytest.raises(BundleError, match=r"report.md: cannot write it: .*report.md is a symbolic link; mlci does not write through links"):
        write_bundle(sample(), bundle, "# md\n")
    linked = tmp_path / "linked-report"
    linked.symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    (tmp_path / "elsewhere").mkdir()
    with pytest.raises(BundleError, match="linked-report is a symbolic link"):
        write_bundle(sample(), linked, "# md\n")
    assert victim.read_text() == "precious\n" and not any((tmp_path / "elsewhere").iterdir())


# -- hostile bundles, and never writing one the reader rejects ----------------------------------


def test_a_report_the_schema_rejects_is_not_written(tmp_path: Path) -> None:
    report = sample()
    bad = Report(**{**report.__dict__, "metrics": (MetricRow("m.json", "k" * 5000, 0.9, 0.8, "changed"),)})
    with pytest.raises(BundleError) as exc:
        write_bundle(bad, tmp_path, "# md\n")
    message = str(exc.value)
    assert message.startswith("the report was not written: report.json: metrics/0/key: 'kkkk")
    assert "k" * 61 not in message and len(message) < 300
    assert not (tmp_path / "report.json").exists() and not (tmp_path / "report.md").exists()


def test_read_errors_never_repeat_a_long_value(tmp_path: Path) -> None:
    data = json.loads(sample().to_json())
    data["project"] = "p" * 5000
    data["metrics"][0]["bogus"] = {"x" * 5000: "y" * 5000}
    (tmp_path / "report.json").write_text(json.dumps(data))
    with pytest.raises(BundleError) as exc:
        read_bundle(tmp_path)
    assert len(str(exc.value)) <= 301 and "p" * 61 not in str(exc.value)


def test_clip() -> None:
    from mlci.bundle import clip

    assert clip("a: 'short' is bad") == "a: 'short' is bad"
    assert clip("a: '" + "x" * 100 + "' is too long") == "a: '" + "x" * 60 + "…' is too long"
    assert clip("one\ntwo") == "one two" and len(clip("z" * 1000)) == 301


def test_a_fifo_or_a_deep_repro_json_is_no_record(tmp_path: Path) -> None:
    import os

    os.mkfifo(tmp_path / "repro.json")
    assert read_repro(tmp_path, "b" * 40) is None  # returns at once: never opened for a blocking read
    (tmp_path / "repro.json").unlink()
    (tmp_path / "repro.json").write_text("[" * 900 + "]" * 900)
    assert read_repro(tmp_path, "b" * 40) is None


def test_a_repro_record_the_schema_rejects_is_not_written(tmp_path: Path) -> None:
    bad = Repro((StageRun("s" * 5000, "ran", 1.5),), pulled=True, pushed=False, seconds=2.0)
    with pytest.raises(BundleError, match="^the pipeline's record was not written: repro.json: stages/0/name: 'sss"):
        write_repro(bad, tmp_path, "b" * 40)
    assert not (tmp_path / "repro.json").exists()
