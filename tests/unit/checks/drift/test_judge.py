"""checks/drift/judge.py: the gate from the record alone, its verdict worked out again under the spec."""

from __future__ import annotations

from dataclasses import replace

import pytest

from mlci.checks.drift.judge import judge, summary
from mlci.checks.drift.spec import ColumnResult, ColumnRule, DriftRecord, DriftSpec
from mlci.evidence import Evidence

SPEC = DriftSpec(reference="train.csv", current="prod.csv", line=4)


def column(name: str, drifted: bool, method: str = "wasserstein_normed", score: float | None = None) -> ColumnResult:
    threshold = 0.05 if method in ("ks", "chisquare", "z") else 0.1
    if score is None:
        score = (0.5 if drifted else 0.01) if threshold == 0.1 else (0.001 if drifted else 0.5)
    return ColumnResult(name, "numeric", method, score, threshold, drifted, 1000, 500)


def untested(name: str, reason: str = "only in the reference") -> ColumnResult:
    return ColumnResult(name, "numeric", None, None, None, False, 1000, 0, reason)


def rec(*columns: ColumnResult) -> DriftRecord:
    return DriftRecord("train.csv", "prod.csv", 1000, 500, columns)


def test_dataset_drift_fails_with_the_drifted_and_untested_columns() -> None:
    measured = rec(column("age", True), column("fee", True, "ks"), column("plan", False, "chisquare"),
                   column("tenure", False), untested("id"))
    (gate,) = judge(SPEC, measured, Evidence())
    assert gate.kind == "drift" and gate.subject == "prod.csv" and gate.status == "fail" and gate.line == 4
    assert gate.reason.startswith("2 of 4 columns drifted (50%; dataset drift at 50%): age (wasserstein_normed 0.5")
    assert gate.reason.endswith("; 1 not tested")
    assert gate.table is not None
    assert [row[0] for row in gate.table.rows] == ["age", "fee", "id"]
    assert gate.table.rows[2][5] == "not tested: only in the reference"
    facts = dict(gate.facts)
    assert (facts["tested"], facts["drifted"], facts["drifted_share"], facts["dataset_drift"]) == (4, 2, 0.5, True)


def test_below_the_share_passes_and_nothing_tested_warns() -> None:
    (gate,) = judge(SPEC, rec(column("age", True), column("b", False), column("c", False)), Evidence())
    assert gate.status == "pass" and gate.reason.startswith("1 of 3 columns drifted (33.3%; dataset drift at 50%)")
    (gate,) = judge(SPEC, rec(untested("a", "current sample too small to test (3 values, fewer than 30)")), Evidence())
    assert gate.status == "warn" and gate.reason.startswith("no column could be tested: a (current sample too small")
    assert not gate.blocking


def test_the_spec_that_judges_sets_the_share() -> None:
    measured = rec(column("age", True), column("b", False), column("c", False))
    (gate,) = judge(replace(SPEC, threshold_share=0.3), measured, Evidence())
    assert gate.status == "fail"
    (gate,) = judge(replace(SPEC, informational=True, threshold_share=0.3), measured, Evidence())
    assert gate.status == "fail" and not gate.blocking


@pytest.mark.parametrize(("spec", "measured", "message"), [
    (SPEC, rec(replace(column("age", False), score=0.5)), "does not follow from its score"),
    (SPEC, rec(replace(column("age", False), threshold=0.9, score=0.5)), "threshold"),
    (replace(SPEC, columns=(ColumnRule("age", method="psi"),)), rec(column("age", False)), "the policy says psi"),
    (replace(SPEC, columns=(ColumnRule("age", threshold=0.05),)), rec(column("age", False, score=0.07)), "threshold"),
    (replace(SPEC, ignore=("age",)), rec(column("age", False)), "ignored"),
    (replace(SPEC, min_rows=600), rec(column("age", False)), "fewer than"),
    (replace(SPEC, reference_rev="v1"), rec(column("age", False)), "train.csv@v1"),
])
def test_a_record_that_does_not_fit_the_spec_raises(spec: DriftSpec, measured: DriftRecord, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        judge(spec, measured, Evidence())


def test_summary_is_the_public_shape() -> None:
    measured = rec(column("tenure", False), untested("id"), column("age", True))
    out = summary(replace(SPEC, retrain_share=0.4), measured)
    assert list(out) == ["reference", "current", "dataset_drift", "drifted_share", "threshold_share", "columns",
                         "retrain_share"]
    assert [c["column"] for c in out["columns"]] == ["age", "tenure", "id"]
    assert out["columns"][0] == {"column": "age", "kind": "numeric", "method": "wasserstein_normed", "score": 0.5,
                                 "threshold": 0.1, "drifted": True, "reference_rows": 1000, "current_rows": 500}
    assert out["columns"][2]["reason"] == "only in the reference"
    assert (out["dataset_drift"], out["drifted_share"], out["retrain_share"]) == (True, 0.5, 0.4)
    assert "retrain_share" not in summary(SPEC, measured)
