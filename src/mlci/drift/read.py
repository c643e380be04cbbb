"""Reading data into profiles: CSV or Parquet, one file or a directory of them, in record batches.

Memory is bounded by a few batches (``batch_rows`` rows) plus the profiles: no file is read whole.
A Parquet file is read a row group at a time, and a row group a column at a time (in batches), by
a thread of its own while the profile takes the columns already read, so that decoding and
profiling overlap (pyarrow decodes without the GIL); a CSV file in record batches.
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

from mlci.drift.profile import EXACT_LIMIT, POINTS, DriftInputError, Profile, grids_of, threads

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
            report = None if progress is None else (
                lambda rows, file=file, done=done: progress(Progress(str(file), rows, done, len(files), total)))
            if fmt == "parquet":
                schema = _parquet_columns(profile, file, schema, columns, batch_rows, report, last=done == len(files) - 1)
                if schema is not None:
                    continue
            dataset = ds.dataset(str(file), format=_format(fmt, ds), schema=schema)
            schema = schema or dataset.schema
            wanted = [c for c in columns if c in schema.names] if columns is not None else None
            for batch in dataset.to_batches(columns=wanted, batch_size=batch_rows, batch_readahead=1,
                                            fragment_readahead=1, use_threads=True):
                profile.add_batch(batch)
                if report is not None:
                    report(profile.rows)
        except (OSError, ValueError, TypeError) as exc:  # pyarrow's ArrowInvalid is a ValueError, ArrowIOError an OSError
            if "Empty CSV file" in str(exc):
                continue
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise DriftInputError(f"{file}: cannot read it as {fmt.upper()}: {first}") from None
    return profile.finish()


AHEAD = 4  # column chunks being read ahead of the one being profiled
READERS = 2  # threads reading them


def _parquet_columns(profile: Profile, file: Path, schema: Any, columns: tuple[str, ...] | None, batch_rows: int,
                     report: Callable[[int], None] | None, last: bool) -> Any:
    """A Parquet file into ``profile`` a row group at a time, each row group a column at a time (in
    batches of ``batch_rows``): READERS threads read (decompress, decode) the next column chunks,
    each with a reader of its own, while this thread profiles the last, so that decoding and profiling
    overlap, and memory holds AHEAD column chunks, not whole row groups. Columns are cast to
    ``schema`` (the first file's; None: this is the first), those it lacks are null, those it adds are
    left out, as pyarrow.dataset does. ``report`` gets the rows read so far (values read / columns).
    Returns the schema, or None (nothing read) for a file with nested or repeated column names,
    which the caller reads as a dataset."""
    import threading
    from collections import deque
    from concurrent.futures import Future, ThreadPoolExecutor

    import pyarrow as pa
    import pyarrow.parquet as pq

    parquet = pq.ParquetFile(str(file))
    own = parquet.schema_arrow
    if len(set(own.names)) != len(own.names) or any(pa.types.is_nested(f.type) for f in own):
        return None
    schema = schema or own
    names = [n for n in (columns if columns is not None else schema.names) if n in schema.names]
    types = {f.name: f.type for f in schema}
    groups = [parquet.metadata.row_group(i).num_rows for i in range(parquet.metadata.num_row_groups)]
    if not groups:  # no row groups: the columns, and no rows
        profile.add_columns(0, [(name, pa.array([], types[name])) for name in names])
        return schema
    local = threading.local()

    def read(group: int, name: str) -> list[Any]:
        """One column chunk (a row group's column) as arrays of ``schema``'s type."""
        if name not in own.names:
            return [pa.nulls(groups[group], types[name])]
        if getattr(local, "file", None) is None:
            local.file = pq.ParquetFile(str(file))  # a reader a thread
        out = []
        for batch in local.file.iter_batches(batch_size=batch_rows, row_groups=[group], columns=[name],
                                             use_threads=False):
            array = batch.column(0)
            out.append(array if array.type == types[name] else array.cast(types[name]))
        return out or [pa.array([], types[name])]  # a row group of no rows: the column is there all the same

    lock = threading.Lock()
    for name in names:
        profile.declare(name, types[name])
    with ThreadPoolExecutor(max_workers=READERS, thread_name_prefix="mlci-drift-read") as readers:
        profiling: deque[Future[None]] = deque()  # a column chunk each: read, then profiled, in the pool
        try:
            for index, rows in enumerate(groups):
                final = last and index == len(groups) - 1
                for done_columns, name in enumerate(names):
                    while len(profiling) >= AHEAD:
                        profiling.popleft().result()
                    chunk = readers.submit(read, index, name)
                    profiling.append(threads().submit(
                        lambda chunk=chunk, name=name: profile.add_chunk(name, chunk.result(), lock, final)))
                    if report is not None:
                        report(profile.rows + rows * done_columns // len(names))
                while profiling:
                    profiling.popleft().result()
                profile.end_rows(rows, names)
                if report is not None:
                    report(profile.rows)
        finally:
            for job in profiling:
                job.cancel()
            for job in profiling:
                if not job.cancelled():
                    job.exception()
    return schema


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
