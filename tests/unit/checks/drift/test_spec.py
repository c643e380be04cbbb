"""checks/drift/spec.py: mlci.yaml's checks.drift, and the strict codec of the measurement's record."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from mlci.checks.drift.spec import P_VALUES, THRESHOLDS, ColumnResult, DriftRecord, decode, encode, is_drift
from mlci.config import load_policy
from mlci.errors import ConfigError


def record(**changes: Any) -> DriftRecord:
    columns = (ColumnResult("age", "numeric", "wasserstein_normed", 0.13, 0.1, True, 100, 50, None, 0.0),
               ColumnResult("plan", "categorical", "chisquare", 0.4, 0.05, False, 100, 50),
               ColumnResult("id", "unsupported", None, None, None, False, 100, 0, "only in the reference"))
    return replace(DriftRecord("train.csv", "prod.csv", 100, 50, columns), **changes)


def test_the_tables_are_the_engines() -> None:
    from mlci.drift import stats

    assert THRESHOLDS == stats.THRESHOLDS and P_VALUES == stats.P_VALUES
    for method in THRESHOLDS:
        for score in (0.0, 0.05, 0.1, 0.5):
            assert is_drift(method, score, 0.05) == stats.is_drift(method, score, 0.05)


def test_policy_entries() -> None:
    policy = load_policy("""checks:
  drift:
    - reference: data/train.csv
      reference_rev: v1.0.0
      current: data/prod/
      threshold_share: 0.3
      min_rows: 10
      ignore: [customer_id]
      columns:
        tenure: {method: psi, threshold: 0.2, bins: 10}
        plan: {kind: categorical}
      retrain_share: 0.6
      informational: true
""")
    (spec,) = policy.specs("checks.drift")
    assert (spec.reference, spec.reference_rev, spec.current, spec.threshold_share, spec.min_rows) == \
        ("data/train.csv", "v1.0.0", "data/prod/", 0.3, 10)
    assert spec.ignore == ("customer_id",) and spec.retrain_share == 0.6 and spec.informational
    assert spec.rule_of("tenure") is not None and (spec.rule_of("tenure").method, spec.rule_of("tenure").bins) == ("psi", 10)
    assert spec.rule_of("plan").kind == "categorical" and spec.line == 3
    assert spec.reference_label == "data/train.csv@v1.0.0"


@pytest.mark.parametrize(("entry", "message"), [
    ("{reference: a.csv, current: b.csv, columns: {x: {method: nope}}}", "checks.drift[0].columns.x.method"),
    ("{reference: a.csv, current: b.csv, columns: {x: {bins: 0}}}", "checks.drift[0].columns.x.bins"),
    ("{reference: a.csv, current: b.csv, columns: {x: {colour: red}}}", "unknown key 'colour'"),
    ("{reference: a.csv, current: b.csv, threshold_share: 0}", "threshold_share"),
    ("{reference: a.csv}", "current"),
    ("{reference: /etc/a.csv, current: b.csv}", "checks.drift[0].reference: must be a path inside the project"),
    ("{reference: a.csv, current: b.csv, columns: {x: {method: ks, kind: categorical}}}", "ks tests numbers"),
    ("{reference: a.csv, current: b.csv, reference_rev: --upload-pack=x}", "reference_rev"),
])
def test_mistakes_name_the_key(entry: str, message: str) -> None:
    with pytest.raises(ConfigError, match="mlci.yaml") as exc:
        load_policy(f"checks:\n  drift:\n    - {entry}\n")
    assert message in str(exc.value)


def test_the_record_round_trips() -> None:
    assert decode(encode(record())) == record()


@pytest.mark.parametrize("hostile", [
    lambda d: {**d, "extra": 1},
    lambda d: {**d, "reference_rows": -1},
    lambda d: {**d, "columns": [{**d["columns"][0], "score": "0.1"}]},
    lambda d: {**d, "columns": [{**d["columns"][0], "method": "magic"}]},
    lambda d: {**d, "columns": [{**d["columns"][0], "kind": "image"}]},
    lambda d: {**d, "columns": [{**d["columns"][0], "score": None}]},  # tested, without a score
    lambda d: {**d, "columns": [{**d["columns"][2], "drifted": True}]},  # not tested, yet drifted
    lambda d: {**d, "columns": [d["columns"][0], d["columns"][0]]},
    lambda d: {**d, "columns": [{**d["columns"][0], "error_bound": -1.0}]},
    lambda d: {**d, "columns": [{**d["columns"][0], "drifted": 1}]},
    lambda d: {**d, "columns": "age"},
    lambda d: [d],
])
def test_decode_refuses_what_the_engine_cannot_make(hostile: Any) -> None:
    with pytest.raises((ValueError, TypeError)):
        decode(hostile(encode(record())))
