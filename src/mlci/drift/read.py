"""Reading data into profiles: CSV or Parquet, one file or a directory of them, in record batches.

Memory is bounded by one batch (``batch_rows`` rows) plus the profiles: no file is read whole.
A directory is a partitioned dataset (pyarrow.dataset): every ``.csv`` or every ``.parquet``
file under it, read file by file in name order; the schema is the first file's, the others' are
cast to it (a file that cannot be is a DriftInputError naming it). Partition keys in directory
names (``date=2024-05-01/``) are not read as columns. In a CSV the types are pyarrow's
inference from the first block of the first file; a value later that does not fit its column's
type is a DriftInputError naming the file.

Progress goes to ``progress``, a callable the caller gives (the engine prints nothing): it gets a
:class:`Progress` after every batch.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlci.drift.profile import EXACT_LIMIT, POINTS, DriftInputError, Profile, grids_of

BATCH_ROWS = 131_072
CSV_SUFFIXES = (".csv", ".csv.gz", ".tsv")
PARQUET_SUFFIXES = (".parquet", ".pq")


@dataclass(frozen=True)
class Progress:
    """Where a read is: the file being read, rows read so far (all files), files done of files."""

    file: str
    rows: int
    files_done: int
    files: int
    total_rows: int | None  # Parquet knows it beforehand; CSV does not


def data_format(path: Path) -> str:
    """``csv`` or ``parquet``, from the file's name (a directory: from the files in it)."""
    name = path.name.lower()
    if name.endswith(CSV_SUFFIXES):
        return "csv"
    if name.endswith(PARQUET_SUFFIXES):
        return "parquet"
    raise DriftInputError(f"{path}: not a .csv or .parquet file")


def data_files(path: str | Path) -> tuple[list[Path], str]:
    """The files of a dataset (the file itself, or those under the directory) and their format."""
    path = Path(path)
    if path.is_file():
        return [path], data_format(path)
    if not path.is_dir():
        raise DriftInputError(f"{path}: no such file or directory")
    files = sorted(p for p in path.rglob("*") if p.is_file() and p.name.lower().endswith(CSV_SUFFIXES + PARQUET_SUFFIXES)
                   and not any(part.startswith((".", "_")) for part in p.relative_to(path).parts))
    if not files:
        raise DriftInputError(f"{path}: a directory with no .csv or .parquet files")
    formats = {data_format(p) for p in files}
    if len(formats) > 1:
        raise DriftInputError(f"{path}: holds both CSV and Parquet files; give one kind")
    return files, formats.pop()


def profile_data(path: str | Path, *, batch_rows: int = BATCH_ROWS, progress: Callable[[Progress], None] | None = None,
                 columns: tuple[str, ...] | None = None, exact_limit: int = EXACT_LIMIT, points: int = POINTS,
                 against: Profile | None = None) -> Profile:
    """The profile of the data at ``path`` (a file or a directory), read in batches.

    ``against``: the reference it will be compared with. Its compressed numeric columns are then met
    by binning this data's values on a grid over the reference's range (one pass, no sort: the
    monitor's fast path) instead of keeping them; the bins are blocks like the reference's, and their
    bound is part of each result's ``error_bound``.

    ``columns``: only these (None: all). An empty file (no bytes, or a header and no rows) is a profile
    of no rows. DriftInputError, naming the file, when one cannot be read.
    """
    import pyarrow.dataset as ds

    files, fmt = data_files(path)
    profile = Profile(exact_limit=exact_limit, points=points, grids=grids_of(against) if against is not None else {})
    schema = None
    total = _parquet_rows(files) if fmt == "parquet" else None
    for done, file in enumerate(files):
        if file.stat().st_size == 0:
            continue
        try:
            dataset = ds.dataset(str(file), format=_format(fmt, ds), schema=schema)
            schema = schema or dataset.schema
            wanted = [c for c in columns if c in schema.names] if columns is not None else None
            for batch in dataset.to_batches(columns=wanted, batch_size=batch_rows, batch_readahead=1,
                                            fragment_readahead=1, use_threads=True):
                profile.add_batch(batch)
                if progress is not None:
                    progress(Progress(str(file), profile.rows, done, len(files), total))
        except (OSError, ValueError, TypeError) as exc:  # pyarrow's ArrowInvalid is a ValueError, ArrowIOError an OSError
            if "Empty CSV file" in str(exc):
                continue
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise DriftInputError(f"{file}: cannot read it as {fmt.upper()}: {first}") from None
    return profile.finish()


def profile_table(table: Any, *, exact_limit: int = EXACT_LIMIT, points: int = POINTS,
                  grids: dict[str, tuple[float, float, int]] | None = None) -> Profile:
    """The profile of data in memory: a pyarrow Table or RecordBatch, or a pandas DataFrame (a Spark or
    Dask partition's), for :func:`mlci.drift.profile.merge`."""
    import pyarrow as pa

    if not isinstance(table, (pa.Table, pa.RecordBatch)):
        table = pa.Table.from_pandas(table, preserve_index=False)
    profile = Profile(exact_limit=exact_limit, points=points, grids=grids or {})
    for batch in table.to_batches(max_chunksize=BATCH_ROWS) if isinstance(table, pa.Table) else [table]:
        profile.add_batch(batch)
    return profile.finish()


def _format(fmt: str, ds: Any) -> Any:
    if fmt == "parquet":
        return ds.ParquetFileFormat()
    return ds.CsvFileFormat()


def _parquet_rows(files: list[Path]) -> int | None:
    import pyarrow.parquet as pq

    try:
        return int(sum(pq.ParquetFile(str(f)).metadata.num_rows for f in files))
    except (OSError, ValueError):
        return None  # the read itself will name the file
