"""Bad input is reported per column, never a crash and never drift."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from mlci.drift import DriftOptions, compare, detect_drift, profile_data
from tests.unit.drift.conftest import prof, rng, table

N = rng(0).normal(0, 1, 500)


def reasons(ref: object, cur: object, options: DriftOptions = DriftOptions()) -> dict[str, str | None]:
    result = compare(ref, cur, options)  # type: ignore[arg-type]
    assert not any(c.drifted for c in result.columns if c.reason)
    return {c.column: c.reason for c in result.columns}


def test_a_column_on_one_side_only() -> None:
    out = reasons(prof(a=N, old=N), prof(a=N, new=N))
    assert out == {"a": None, "old": "only in the reference", "new": "only in the current data"}


def test_type_mismatch() -> None:
    out = reasons(prof(a=N), prof(a=[str(v) for v in N]))
    assert out["a"] == "types differ: numeric (double) in the reference, text (string) now"


def test_integers_against_floats_are_both_numeric() -> None:
    assert reasons(prof(a=np.arange(500)), prof(a=np.arange(500) + 0.5)) == {"a": None}


def test_all_null_and_constant_columns() -> None:
    nulls = pa.array([None] * 500, pa.float64())
    out = reasons(prof(a=N, b=N, c=np.full(500, 3.0)), prof(a=nulls, b=pa.nulls(500), c=np.full(500, 3.0)))
    assert out["a"] == "no values in the current data (all null)"
    assert out["b"] == "no values in the current data (all null)"
    assert out["c"] is None  # constant on both sides: tested (z: one value), no drift
    assert not compare(prof(c=np.full(500, 3.0)), prof(c=np.full(500, 3.0))).columns[0].drifted


def test_nan_and_infinity_are_missing_as_evidently_drops_them() -> None:
    cur = N.copy()
    cur[:100] = np.nan
    cur[100:110] = np.inf
    column = compare(prof(a=N), prof(a=cur)).columns[0]
    assert column.current_rows == 390 and column.reason is None


def test_a_current_sample_too_small() -> None:
    out = reasons(prof(a=N), prof(a=N[:12] + 10))
    assert out["a"] == "current sample too small to test (12 values, fewer than 30)"
    assert reasons(prof(a=N), prof(a=N[:12] + 10), DriftOptions(min_rows=5))["a"] is None


def test_unsupported_types() -> None:
    dates = pa.array(np.arange(500).astype("datetime64[D]"))
    assert reasons(prof(a=dates), prof(a=dates))["a"] == "date32[day] values in the reference are not tested"


def test_too_many_categories(monkeypatch: object) -> None:
    import mlci.drift.profile as p

    monkeypatch.setattr(p, "MAX_CATEGORIES", 50)  # type: ignore[attr-defined]
    ids = [f"id{i}" for i in range(500)]
    assert "too many distinct values" in (reasons(prof(a=ids), prof(a=ids))["a"] or "")


def test_empty_files(tmp_path: Path) -> None:
    ref = tmp_path / "ref.csv"
    ref.write_text("a,b\n" + "".join(f"{v},x\n" for v in N))
    (tmp_path / "empty.csv").write_bytes(b"")
    (tmp_path / "header.csv").write_text("a,b\n")
    for name in ("empty.csv", "header.csv"):
        result = detect_drift(ref, tmp_path / name)
        assert not result.dataset_drift and all(c.reason for c in result.columns)
    assert {c.reason for c in detect_drift(ref, tmp_path / "empty.csv").columns} == {"the current data has no rows"}
    assert profile_data(tmp_path / "header.csv").rows == 0
    pq.write_table(table(a=pa.array([], pa.float64())), tmp_path / "empty.parquet")
    assert detect_drift(tmp_path / "empty.parquet", ref).columns[0].reason == "no values in the reference"


def test_nothing_tested_is_no_drift() -> None:
    result = compare(prof(a=N), prof(b=N))
    assert result.drifted_share == 0.0 and result.dataset_drift is False
