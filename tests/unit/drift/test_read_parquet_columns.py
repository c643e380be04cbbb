"""Parquet read a row group and a column at a time by threads: the same profile as pyarrow's whole
table, the first file's schema, errors and progress."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from mlci.drift import DriftInputError, Progress, compare, profile_data, profile_table
from tests.unit.drift.conftest import rng, table

# ---------------------------------------------------------------- Parquet a column at a time


def test_parquet_read_by_columns_is_the_tables_profile(tmp_path: Path) -> None:
    data = table(x=rng(17).normal(0, 1, 50_000), n=rng(18).integers(0, 9, 50_000),
                 k=pa.array(rng(19).choice(np.array(["a", "b", None]), 50_000)).dictionary_encode(),
                 t=rng(20).choice(np.array(["u", "v", "w"]), 50_000), b=rng(21).integers(0, 2, 50_000) == 1)
    pq.write_table(data, tmp_path / "d.parquet", row_group_size=7_000)
    seen: list[Progress] = []
    read = profile_data(tmp_path / "d.parquet", batch_rows=3_000, progress=seen.append)
    memory = profile_table(data)
    assert read.rows == memory.rows == 50_000 and list(read.columns) == list(memory.columns)
    assert compare(memory, read).to_dict() == compare(memory, memory).to_dict()
    for name, column in memory.columns.items():
        other = read.columns[name]
        assert (other.rows, other.nulls, other.kind) == (column.rows, column.nulls, column.kind)
    assert np.array_equal(read.columns["x"].numeric.sample().values, np.sort(data["x"].to_numpy()))  # type: ignore[union-attr]
    rows = [p.rows for p in seen]
    assert len(seen) > 50_000 * 5 // 3_000 // 5 and rows == sorted(rows) and rows[-1] == 50_000  # during the read


def test_parquet_partitions_take_the_first_files_schema(tmp_path: Path) -> None:
    (tmp_path / "d").mkdir()
    pq.write_table(table(a=[1, 2, 3] * 20, b=["x", "y", "z"] * 20), tmp_path / "d" / "1.parquet")
    pq.write_table(table(a=pa.array([4, 5] * 20, pa.int32()), c=[1.0, 2.0] * 20), tmp_path / "d" / "2.parquet")
    p = profile_data(tmp_path / "d")
    assert p.rows == 100 and list(p.columns) == ["a", "b"]  # c is not in the first file's schema
    assert p.columns["a"].numeric.distinct == {1.0: 20, 2.0: 20, 3.0: 20, 4.0: 20, 5.0: 20}  # type: ignore[union-attr]
    assert p.columns["b"].nulls == 40  # missing from the second file


def test_a_failure_in_the_reading_thread_names_the_file(tmp_path: Path) -> None:
    (tmp_path / "d").mkdir()
    pq.write_table(table(a=[1, 2] * 50), tmp_path / "d" / "1.parquet")
    pq.write_table(table(a=[1.5, 2.0] * 5000), tmp_path / "d" / "2.parquet", row_group_size=1000)
    with pytest.raises(DriftInputError, match=r"2\.parquet: cannot read it as PARQUET: .*truncated"):
        profile_data(tmp_path / "d")


def test_a_parquet_file_of_no_rows_has_its_columns(tmp_path: Path) -> None:
    pq.write_table(table(a=pa.array([], pa.float64()), s=pa.array([], pa.string())), tmp_path / "e.parquet")
    p = profile_data(tmp_path / "e.parquet")
    assert p.rows == 0 and list(p.columns) == ["a", "s"] and p.columns["a"].count == 0
