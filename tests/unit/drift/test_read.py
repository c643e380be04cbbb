"""Reading CSV and Parquet, files and directories, in batches; unreadable files name themselves."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq
import pytest

from mlci.drift import DriftInputError, Progress, compare, profile_data, profile_table
from mlci.errors import MlciError
from tests.unit.drift.conftest import rng, table

G = rng(11)
DATA = table(x=G.normal(0, 1, 3000), k=G.choice(np.array(["a", "b", "c"]), 3000), n=G.integers(0, 100, 3000))


def same(p: object, q: object) -> bool:
    a, b = compare(p, q), compare(q, p)  # type: ignore[arg-type]
    return all(c.score in (0.0, 1.0) for c in a.columns + b.columns) and not a.dataset_drift


@pytest.mark.parametrize("kind", ["csv", "parquet"])
def test_a_file_and_a_directory_give_the_profile_of_the_table(tmp_path: Path, kind: str) -> None:
    write = (lambda t, p: pcsv.write_csv(t, p)) if kind == "csv" else (lambda t, p: pq.write_table(t, p, row_group_size=500))
    write(DATA, tmp_path / f"all.{kind}")
    (tmp_path / "parts" / "day=1").mkdir(parents=True)
    (tmp_path / "parts" / "day=2").mkdir()
    write(DATA.slice(0, 1000), tmp_path / "parts" / "day=1" / f"a.{kind}")
    write(DATA.slice(1000), tmp_path / "parts" / "day=2" / f"b.{kind}")
    seen: list[Progress] = []
    whole = profile_data(tmp_path / f"all.{kind}", batch_rows=256, progress=seen.append)
    parts = profile_data(tmp_path / "parts")
    memory = profile_table(DATA)
    assert whole.rows == parts.rows == 3000 and list(parts.columns) == ["x", "k", "n"]  # no "day" column
    assert len(seen) >= 3000 // 256 and seen[-1].rows == 3000
    for p in (whole, parts):
        for name in ("x", "n"):
            a, b = p.columns[name].numeric, memory.columns[name].numeric
            assert a is not None and b is not None
            assert np.array_equal(a.sample().values, b.sample().values) and a.mean == pytest.approx(b.mean)
        assert p.columns["k"].categorical.counts == memory.columns["k"].categorical.counts  # type: ignore[union-attr]


def test_unreadable_files_are_one_line_naming_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.parquet"
    bad.write_bytes(b"not parquet at all")
    with pytest.raises(DriftInputError, match=r"bad\.parquet: cannot read it as PARQUET") as info:
        profile_data(bad)
    assert isinstance(info.value, MlciError) and info.value.exit_code == 2 and "\n" not in str(info.value)
    with pytest.raises(DriftInputError, match="no such file"):
        profile_data(tmp_path / "missing.csv")
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(DriftInputError, match="not a .csv or .parquet"):
        profile_data(tmp_path / "notes.txt")


def test_a_csv_value_that_does_not_fit_its_column_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "late.csv"
    path.write_text("a\n" + "1\n" * 700_000 + "oops\n")
    with pytest.raises(DriftInputError, match=r"late\.csv: cannot read it as CSV"):
        profile_data(path)


def test_a_directory_of_both_formats_or_none(tmp_path: Path) -> None:
    pcsv.write_csv(DATA, tmp_path / "a.csv")
    pq.write_table(DATA, tmp_path / "b.parquet")
    with pytest.raises(DriftInputError, match="both CSV and Parquet"):
        profile_data(tmp_path)
    (tmp_path / "e").mkdir()
    with pytest.raises(DriftInputError, match="no .csv or .parquet"):
        profile_data(tmp_path / "e")


def test_a_partition_whose_column_has_another_type_names_the_file(tmp_path: Path) -> None:
    pq.write_table(table(a=[1.0, 2.0]), tmp_path / "1.parquet")
    pq.write_table(table(a=["x", "y"]), tmp_path / "2.parquet")
    with pytest.raises(DriftInputError, match=r"2\.parquet"):
        profile_data(tmp_path)


def test_a_pandas_partition_profiles_like_arrow() -> None:
    frame = DATA.to_pandas()
    assert profile_table(frame).columns["x"].numeric.count == 3000  # type: ignore[union-attr]
    assert profile_table(pa.record_batch(DATA.to_batches()[0])).rows == DATA.to_batches()[0].num_rows
