"""commands/drift_publish.py without GitHub: when a dataset is due a retraining, the reason it is given, the
options read, and the command in local mode on a bundle written as `mlci drift` writes it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from mlci.bundle import write_bundle
from mlci.commands import drift_publish as dp
from mlci.errors import BundleError, MlciError
from mlci.report import Context, GateResult, Report, Revision


def pair(drifted: int, of: int = 4, **extra: Any) -> dict[str, Any]:
    cols = [{"column": f"c{i}", "kind": "numeric", "method": "ks", "score": 0.001 if i < drifted else 0.6,
             "threshold": 0.05, "drifted": i < drifted, "reference_rows": 100, "current_rows": 40} for i in range(of)]
    return {"reference": "data/train.csv", "current": "data/prod.csv", "dataset_drift": drifted / of >= 0.5,
            "drifted_share": drifted / of, "threshold_share": 0.5, "columns": cols, **extra}


def test_a_dataset_is_due_at_the_share_given_else_its_own_else_at_dataset_drift() -> None:
    assert dp._retrain_due(pair(2), None) == (True, None)
    assert dp._retrain_due(pair(1), None) == (False, None)
    assert dp._retrain_due(pair(1, retrain_share=0.25), None) == (True, 0.25)
    assert dp._retrain_due(pair(3, retrain_share=0.25), 0.8) == (False, 0.8)  # the option wins
    assert dp._retrain_due(pair(0, retrain_share=0.0), None) == (False, 0.0)  # nothing moved: no retraining


def test_the_reason_names_each_dataset_that_is_due() -> None:
    due = [(True, None), (False, 0.9), (True, 0.25)]
    other = {**pair(1, retrain_share=0.25), "current": "data/eu\n.csv"}
    assert dp._dispatch_reason([pair(3), pair(1), other], due) == (
        "data drift in data/prod.csv: 3 of 4 columns drifted (75%; dataset drift); "
        "data/eu .csv: 1 of 4 columns drifted (25%; retrain share 25%)")


def test_the_workflow_and_label_options() -> None:
    assert dp._workflow(".github/workflows/retrain.yml") == "retrain.yml" == dp._workflow("retrain.yml")
    assert dp._workflow("161335") == "161335" and dp._workflow("") is None and dp._workflow(None) is None
    for bad in ("ci/retrain.yml", "retrain", "../x.yml"):
        with pytest.raises(MlciError, match="the workflow's file name"):
            dp._workflow(bad)
    assert dp._label(" mlci-drift ") == "mlci-drift"
    for bad in ("", "a,b", "x" * 51):
        with pytest.raises(MlciError, match="a GitHub label"):
            dp._label(bad)


def test_validation_gates_go_with_the_data_they_checked() -> None:
    gates = [GateResult(kind="data", subject="data/prod.csv", status="fail", reason="r"),
             GateResult(kind="data", subject="data/eu/part-1.csv", status="fail", reason="r"),
             GateResult(kind="drift", subject="data/prod.csv", status="fail", reason="r")]
    eu = {**pair(1), "current": "data/eu/@v1"}
    assert [g.subject for g in dp._validation_of([pair(1)], pair(1), gates)] == ["data/prod.csv", "data/eu/part-1.csv"]
    assert [g.subject for g in dp._validation_of([pair(1), eu], eu, gates)] == ["data/eu/part-1.csv"]


def bundle(tmp_path: Path, drifted: int, gates: tuple[GateResult, ...] = ()) -> Path:
    sha = "a" * 40
    context = Context(event="local", base=Revision("reference", sha), head=Revision("workspace", sha, True))
    return write_bundle(Report(project="churn", context=context, gates=gates, drift=(pair(drifted),)),
                        tmp_path / f"mlci-drift-{drifted}", "# report\n")


def test_local_mode_exits_0_or_1_with_fail_on_drift(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    monkeypatch.delenv("GH_TOKEN", raising=False)
    lines: list[str] = []
    settings = dp.Settings(bundle=bundle(tmp_path, 3), retrain_workflow="retrain.yml",
                           echo=lambda text, nl=True: lines.append(text))
    assert dp.run(settings) == 0
    assert lines[-1] == "mlci: local mode, no token (--token, GITHUB_TOKEN or GH_TOKEN): nothing posted"
    assert "mlci: retraining: would start retrain.yml (data drift in data/prod.csv: 3 of 4 columns drifted (75%; " \
           "dataset drift)); the cool-down is checked on GitHub" in lines
    assert dp.run(dp.Settings(bundle=settings.bundle, fail_on_drift=True, echo=lambda *a, **k: None)) == 1
    clean = bundle(tmp_path, 0)
    assert dp.run(dp.Settings(bundle=clean, fail_on_drift=True, echo=lambda *a, **k: None)) == 0
    failed = bundle(tmp_path, 1, (GateResult(kind="data", subject="data/prod.csv", status="fail", reason="12 nulls"),))
    assert dp.run(dp.Settings(bundle=failed, fail_on_drift=True, echo=lambda *a, **k: None)) == 1  # validation


def test_a_missing_bundle_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(BundleError, match="no report bundle here"):
        dp.run(dp.Settings(bundle=tmp_path / "nowhere"))


def test_the_pull_request_mode_is_due_and_cools_down_as_the_dispatch() -> None:
    from datetime import datetime, timedelta, timezone

    now = datetime(2026, 12, 2, tzinfo=timezone.utc)
    settings = dp.Settings(retrain_mode="pull-request", retrain_workflow="retrain.yml")
    files = {"data/prod.csv.dvc": b"md5: b\n"}
    go = dp._retrain_decision([pair(3)], [(True, None)], "retrain.yml", settings, None, now, local=False, files=files)
    assert (go.state, go.mode, go.workflow, go.files, go.at) == ("dispatched", "pull-request", None,
                                                                 ("data/prod.csv.dvc",), now)
    wait = dp._retrain_decision([pair(3)], [(True, None)], None, settings, now - timedelta(hours=1), now, local=False,
                                files=files)
    assert wait.state == "cooling-down" and wait.until == now + timedelta(hours=23)
    assert dp._retrain_decision([pair(1)], [(False, None)], None, settings, None, now, local=False).state == "not-needed"
