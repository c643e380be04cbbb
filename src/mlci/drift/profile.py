"""What the drift tests need of a dataset, per column: a profile, mergeable and saved to a file.

A profile is built by streaming record batches into one accumulator per column
(:meth:`Profile.add_batch`), and profiles of partitions merge (:func:`merge`): the profile of a
dataset too big for one machine is one profile per partition (a Spark or Dask map over
partitions calling :func:`mlci.drift.read.profile_table` or ``profile_data``), then one merge
of them all. The current data goes through the same accumulators, so a comparison is always
profile against profile.

A numeric column (integers and floats) keeps:

- ``count`` (finite values), ``nulls`` (null, NaN and +-inf: Evidently drops them), ``mean``
  and ``m2`` (Welford's, merged with Chan's formula: exact up to rounding), ``min``, ``max``;
- its distinct values and their counts while there are at most DISTINCT_LIMIT of them (the
  tests on few values: chi-square, z, value shares; Evidently's "5 unique values" and "20
  unique values" rules; integer columns of at most 10 values are categorical). While they are
  kept, they *are* the column's values (each value once, its count its weight: exact, whatever
  the number of rows, in memory, merged and saved): integer columns are counted by np.bincount,
  no value is held or sorted. Past DISTINCT_LIMIT the counts are expanded into the values;
- the values themselves while there are at most ``exact_limit`` (in memory) or ``points`` (in
  a saved profile); beyond, a *compressed sample*: at most ``points`` blocks of equal mass over
  the sorted data, each kept as (mass, mean, lo, hi): the mean of the data it stands for and the
  range that data lies in. Merging concatenates blocks and compresses again (a block split
  across two new blocks keeps its mean and range in both), so the description stays true of
  the data however the partitions were merged.

The approximation, and its bound. From a compressed sample, each statistic is computed as if
each block's mass sat at its mean, and the bound follows from the blocks alone (computed per
column, reported as ``error_bound`` on each result):

- Wasserstein: W1(data, blocks) <= sum(mass * 2 (mean - lo)(hi - mean) / (hi - lo)) / count,
  the largest mean absolute deviation of data in [lo, hi] with that mean; by the triangle
  inequality the normed score is off by at most (bound_ref + bound_cur) / norm. The std is exact.
- shares per bin (Jensen-Shannon, PSI on numeric columns): a block is misplaced across an edge x
  only when lo < x <= hi, so each bin's mass is known within the mass of the blocks straddling
  its edges; the Jensen-Shannon score is then off by at most
  sqrt(ln 2 / 2 * sum(slack^2 / max(2 share - slack, slack))) (Topsoe's bound on JSD by the
  triangular discrimination, and JS distance being a metric). PSI's bound takes each bin's term
  at the worst corner of its shares' box (the term is convex in each share): it is tight where
  the bins hold mass and large where a share is within its slack of 0.
- measured (tests/unit/drift/test_profile.py, bench/bench_drift.py): at 4,096 points on 1M rows
  the normed-W1 bound is ~2e-3 (actual errors ~3e-4); at 1,024 points on 40,000 rows the W1
  bound is < 0.02 and the JS bound <= 0.06 (its tail bins, where wide blocks straddle edges,
  dominate it; actual differences are ~1e-3). Against a 0.1 threshold a verdict can differ only
  for a score within the bound of it; ``error_bound`` says when that could be. Repeated
  compression while streaming past ``exact_limit`` widens the blocks' ranges, so the bound grows
  with it (it stays a true bound: it is computed from the blocks, not from their history).
- the current data against a compressed reference column (``profile_data(..., against=)``, the
  monitor's path) is not kept but counted on a grid of GRID_PER_POINT x points equal bins over the
  reference's [min, max] (one pass, no sort; values outside it are kept as they are). A bin is a
  block whose mass sits at the middle of its range: data in [lo, hi] is at most (hi - lo) / 2 away
  from it on average, which is the block bound above at the middle, so the bound stays true. At
  4,096 points that is 16,384 bins: on a normal column (range ~10 std) half a bin is ~3e-4 std,
  under the reference's own ~1e-3 (tests/unit/drift/test_profile_fast_paths.py checks it against scipy,
  and on a coarse grid where the half bin dominates). The count, mean and m2 stay exact.
- KS, chi-square and z are exact: KS runs only on references of at most 1,000 values (kept
  exactly, as ``points`` >= MIN_POINTS), the others on exact counts.

Text, boolean and dictionary columns keep exact counts per category, up to MAX_CATEGORIES;
beyond, the counts are dropped and the column is reported as not tested (an identifier, not a
category). A saved profile is JSON (format ``mlci.drift-profile``, version 1), arrays as
base64 float64; :func:`load` treats the file as hostile: bounded size, strict structure,
consistent counts, finite numbers, one-line ProfileError naming the file and the field.
"""

from __future__ import annotations

import base64
import binascii
import math
import os
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

import numpy as np
import numpy.typing as npt

from mlci.drift.stats import Floats, Points, compress_sorted
from mlci.errors import MlciError

FORMAT = "mlci.drift-profile"
VERSION = 1
EXACT_LIMIT = 2**21  # values of a column kept exactly in memory (16 MiB of float64)
POINTS = 4096  # blocks of a compressed column, in memory beyond EXACT_LIMIT and in a saved profile
MIN_POINTS = 1024  # more than the 1,000 reference values under which KS is chosen
MAX_POINTS = 2**20
GRID_PER_POINT = 4  # the current data against a compressed reference column: bins of its grid per reference block
DISTINCT_LIMIT = 1000
MAX_CATEGORIES = 10_000
MAX_CATEGORY_TEXT = 1000  # characters of a category kept; longer ones are cut
MAX_COLUMNS = 10_000
MAX_NAME = 1000
MAX_PROFILE_BYTES = 512 * 2**20

BLOCK_KEYS = ("block_mass", "block_mean", "block_lo", "block_hi")
NUMERIC, TEXT, BOOL, NULL, OTHER = "numeric", "text", "bool", "null", "other"


class ProfileError(MlciError):
    """A profile file that cannot be used, or profiles that cannot be merged (exit code 2)."""


class DriftInputError(MlciError):
    """A data file that cannot be read (exit code 2): one line naming the file."""


@dataclass
class NumericSummary:
    """A numeric column's accumulator (see the module's docstring)."""

    exact_limit: int = EXACT_LIMIT
    points: int = POINTS
    integer: bool = True  # every value seen was an integer type
    count: int = 0
    nulls: int = 0
    mean: float = 0.0
    m2: float = 0.0
    minimum: float = math.inf
    maximum: float = -math.inf
    distinct: dict[float, int] | None = field(default_factory=dict)  # while it is not None, it holds the values
    _pending: list[Floats] = field(default_factory=list)
    _pending_size: int = 0
    _sorted: bool = False
    _blocks: tuple[Floats, Floats, Floats, Floats] | None = None  # mass, mean, lo, hi (sorted by mean)
    grid: tuple[float, float, int] | None = None  # bin the values on this grid (low, high, bins) instead of keeping them
    _grid_counts: Floats | None = None

    def add(self, values: npt.NDArray[Any], nulls: int = 0, integer: bool = False) -> None:
        """Take a batch of values: float64 (NaN and +-inf count as nulls), or int64 for an integer column."""
        self.integer = self.integer and integer
        if values.dtype.kind in "iu":
            self.nulls += nulls
            if values.size:
                self._add_integers(values.astype(np.int64, copy=False))
            return
        values = np.asarray(values, dtype=np.float64)
        finite = np.isfinite(values, out=_scratch("finite", values.size, np.bool_))
        if not finite.all():
            values = values[finite]
        self.nulls += nulls + finite.size - values.size
        if values.size:
            self._add_floats(values)

    def _add_integers(self, values: npt.NDArray[np.int64]) -> None:
        """Integers: counted per value (np.bincount) while there are few of them, else as floats."""
        counted = _integer_counts(values) if self.distinct is not None else None
        if counted is None:
            self._drop_distinct()
            self._add_floats(values.astype(np.float64))
            return
        keys, counts = counted
        self._moments_of(keys, counts)
        self._count_distinct(keys, counts)

    def _add_floats(self, values: Floats) -> None:
        if self.distinct is not None:
            counted = _float_counts(values)
            if counted is not None:
                self._moments_of(*counted)
                self._count_distinct(*counted)
                return
            self._drop_distinct()
        self.minimum, self.maximum = min(self.minimum, float(values.min())), max(self.maximum, float(values.max()))
        if self.grid is not None:
            n, mean, m2, outside = _bin_pass(values, self._grid_counts_array(), self.grid, self.mean if self.count else None)
            self._moments(n, mean, m2)
            if outside.size:
                self._keep(outside)
            return
        mean = float(values.sum()) / values.size
        deviation = np.subtract(values, mean, out=_scratch("deviations", values.size, np.float64))
        self._moments(values.size, mean, float(np.square(deviation, out=deviation).sum()))  # numpy's pairwise sum
        self._hold(values)

    def _moments_of(self, keys: Floats, counts: Floats) -> None:
        """The moments, minimum and maximum of values given as distinct keys (sorted) and their counts."""
        n = int(counts.sum())
        mean = float(np.einsum("i,i->", keys, counts)) / n
        self._moments(n, mean, float(np.einsum("i,i->", counts, (keys - mean) ** 2)))
        self.minimum, self.maximum = min(self.minimum, float(keys[0])), max(self.maximum, float(keys[-1]))

    def _count_distinct(self, keys: Floats, counts: Floats) -> None:
        """Add counts per value; past DISTINCT_LIMIT values, the counts become the values they stand for."""
        assert self.distinct is not None
        for key, n in zip(keys.tolist(), counts.tolist()):
            self.distinct[key] = self.distinct.get(key, 0) + int(n)
        if len(self.distinct) > DISTINCT_LIMIT:
            self._drop_distinct()

    def _drop_distinct(self) -> None:
        """Stop counting per value: the values counted so far are held as values (sorted) from now on."""
        if self.distinct:
            keys, counts = _dict_arrays(self.distinct)
            self._hold(np.repeat(keys, counts.astype(np.int64)), already_sorted=True)
        self.distinct = None

    def _hold(self, values: Floats, already_sorted: bool = False) -> None:
        """Keep values (their moments already counted): binned on the grid, or as they are."""
        if self.grid is not None:
            values = _bin_pass(values, self._grid_counts_array(), self.grid, None)[3]  # those outside the grid
        if values.size:
            self._keep(values, already_sorted)

    def _keep(self, values: Floats, already_sorted: bool = False) -> None:
        self._sorted = already_sorted and not self._pending
        self._pending.append(values)
        self._pending_size += values.size
        if self._pending_size > self.exact_limit:
            self.compress(self.points)

    def _grid_counts_array(self) -> Floats:
        assert self.grid is not None
        if self._grid_counts is None:
            self._grid_counts = np.zeros(self.grid[2])
        return self._grid_counts

    def _grid_blocks(self) -> tuple[Floats, Floats, Floats, Floats] | None:
        """The grid's bins as blocks: a bin's range is its edges (widened by a millionth of a bin against
        rounding, and within [minimum, maximum]), its mean the middle of that range."""
        if self.grid is None or self._grid_counts is None:
            return None
        low, high, bins = self.grid
        width = (high - low) / bins
        edges = low + np.arange(bins + 1) * width
        lo, hi = edges[:-1] - width * 1e-6, edges[1:] + width * 1e-6
        keep = self._grid_counts > 0
        mass = self._grid_counts[keep]
        lo, hi = np.maximum(lo[keep], self.minimum), np.minimum(hi[keep], self.maximum)
        return mass, (lo + hi) / 2, lo, hi

    def _ungrid(self) -> None:
        """From binning to blocks (to merge, or to save)."""
        blocks = self._grid_blocks()
        self.grid, self._grid_counts = None, None
        if blocks is not None:
            self._blocks = blocks if self._blocks is None else _pool([blocks, self._blocks])

    def _moments(self, n: int, mean: float, m2: float) -> None:
        total = self.count + n
        delta = mean - self.mean
        self.mean += delta * n / total
        self.m2 += m2 + delta * delta * self.count * n / total
        self.count = total

    @property
    def std(self) -> float:
        """The population standard deviation (numpy's np.std)."""
        return math.sqrt(max(self.m2, 0.0) / self.count) if self.count else 0.0

    @property
    def exact(self) -> bool:
        return self._blocks is None and self._grid_counts is None

    def sample(self) -> Points:
        """The values (sorted; while they are few distinct values, each once with its count as its weight),
        or the compressed blocks (or the grid's bins)."""
        if self.distinct is not None:
            keys, counts = _dict_arrays(self.distinct)
            return Points(keys, counts, keys, keys)
        if self._grid_counts is not None:
            blocks = self._grid_blocks()
            assert blocks is not None and self.grid is not None
            if self._blocks is not None:
                return Points(*_reorder(_pool([blocks, self._parts()])))
            raw = self._flush() if self._pending else np.empty(0)  # outside the grid: below it, or at or above its top
            cut = int(np.searchsorted(raw, self.grid[0]))
            ones = np.ones(raw.size)
            mass, mean, lo, hi = blocks
            return Points(*(np.concatenate([x[:cut], y, x[cut:]])
                            for x, y in ((raw, mean), (ones, mass), (raw, lo), (raw, hi))))
        if self._blocks is None:
            return Points(self._flush())
        if self._pending:
            self.compress(self.points)
        assert self._blocks is not None
        mass, mean, lo, hi = self._blocks
        return Points(mean, mass, lo, hi)

    def settle(self) -> None:
        """Sort the values held (and fold them into the blocks when there are blocks)."""
        if self._pending:
            self._flush()
            if self._blocks is not None:
                self.compress(self.points)

    def _flush(self) -> Floats:
        if len(self._pending) != 1 or not self._sorted:
            values = np.concatenate(self._pending) if self._pending else np.empty(0)
            values.sort()
            self._pending, self._sorted = [values], True
        return self._pending[0]

    def compress(self, points: int) -> None:
        """Fold the exact values and the blocks into at most ``points`` blocks of equal mass."""
        raw = self._flush() if self._pending else np.empty(0)
        fresh = _blocks_of(raw, points) if raw.size else None
        if fresh is None or self._blocks is None:
            self._blocks = fresh or self._blocks
        else:
            self._blocks = _compress(*_pool([fresh, self._blocks]), points)
        self._pending, self._pending_size, self._sorted = [], 0, False

    def _parts(self) -> tuple[Floats, Floats, Floats, Floats]:
        """Everything held, as blocks (an exact value is a block of mass 1 and no width)."""
        raw = self._flush() if self._pending else np.empty(0)
        parts = [(np.ones(raw.size), raw, raw, raw)]
        if self._blocks is not None:
            parts.append(self._blocks)
        return _pool(parts)

    def merge(self, other: NumericSummary) -> None:
        """Add ``other``'s data to this one's."""
        self._ungrid()
        other._ungrid()
        self.nulls += other.nulls
        self.integer = self.integer and other.integer
        if not other.count:
            return
        self._moments(other.count, other.mean, other.m2)
        self.minimum, self.maximum = min(self.minimum, other.minimum), max(self.maximum, other.maximum)
        if self.distinct is not None and other.distinct is not None:
            self._count_distinct(*_dict_arrays(other.distinct))
            return
        if self.distinct is not None:
            self._drop_distinct()
        if other.distinct is not None:
            keys, counts = _dict_arrays(other.distinct)
            values = np.repeat(keys, counts.astype(np.int64))
        elif other._blocks is None:
            values = other._flush()
        else:
            values = None
        if values is not None and self._blocks is None and self._pending_size + values.size <= self.exact_limit:
            self._pending.append(values)
            self._pending_size += values.size
            self._sorted = False
        else:
            parts = [self._parts(), other._parts() if values is None else (np.ones(values.size), values, values, values)]
            self._blocks = _compress(*_pool(parts), self.points)
            self._pending, self._pending_size, self._sorted = [], 0, False


BIN_STEP = 65_536  # values binned at a time: the scratch arrays stay in the core's cache
_SCRATCH = threading.local()


def _scratch(name: str, n: int, dtype: Any) -> npt.NDArray[Any]:
    """A buffer of this thread's, reused from batch to batch: a fresh array of a megabyte or more is
    mapped anew each time, and the kernel's zeroing of its pages costs more than the arithmetic."""
    held = getattr(_SCRATCH, name, None)
    if held is None or held.size < n:
        held = np.empty(max(n, BATCH_SCRATCH), dtype=dtype)
        setattr(_SCRATCH, name, held)
    return held[:n]


BATCH_SCRATCH = 1 << 17


def _bin_pass(values: Floats, counts: Floats, grid: tuple[float, float, int], centre: float | None
              ) -> tuple[int, float, float, Floats]:
    """Count ``values`` (finite) into ``counts`` per bin of ``grid`` in one pass, step by step; return their
    number, mean and sum of squared deviations from it (deviations are taken from ``centre``, else from
    the first step's mean, and corrected: as exact as two passes), and the values outside the grid
    (below its low, or at or above its high), which are not counted."""
    low, high, bins = grid
    scale = bins / (high - low)
    n = values.size
    slots = _scratch("slots", n, np.intp)
    scratch = _scratch("bins", min(n, BIN_STEP), np.float64)
    c = float(values[:BIN_STEP].mean()) if centre is None else centre
    offset = (c - low) * scale + 1.0  # slot + 1: below the grid lands in [0, 1), truncated to 0
    total = squares = 0.0
    for start in range(0, n, BIN_STEP):
        part = values[start:start + BIN_STEP]
        d = scratch[:part.size]
        np.subtract(part, c, out=d)
        total += float(d.sum())
        squares += float(np.einsum("i,i->", d, d))  # not np.dot: BLAS threads stall on a busy machine
        d *= scale
        d += offset
        np.clip(d, 0.0, bins + 1.0, out=d)
        slots[start:start + part.size] = d  # truncated: the slot of each value, 0 and bins + 1 outside
    tally = np.bincount(slots, minlength=bins + 2)
    counts += tally[1:bins + 1]
    outside = values[(slots == 0) | (slots == bins + 1)] if tally[0] or tally[bins + 1] else values[:0]
    shift = total / n
    return n, c + shift, max(squares - total * shift, 0.0), outside


def _dict_arrays(counts: Mapping[float, int]) -> tuple[Floats, Floats]:
    """Counts per value as (sorted values, their counts)."""
    keys = np.array(sorted(counts), dtype=np.float64)
    return keys, np.array([counts[k] for k in keys.tolist()], dtype=np.float64)


def _integer_counts(values: npt.NDArray[np.int64]) -> tuple[Floats, Floats] | None:
    """Distinct integers and their counts, by np.bincount over their range (np.unique beyond a small
    range), or None when there are more than DISTINCT_LIMIT of them."""
    low, high = int(values.min()), int(values.max())
    if high - low > max(1 << 16, 4 * values.size):
        return _float_counts(values.astype(np.float64))
    counts = np.bincount(np.subtract(values, low, out=_scratch("integers", values.size, np.int64)))
    keys = np.flatnonzero(counts)
    if keys.size > DISTINCT_LIMIT:
        return None
    return (keys + low).astype(np.float64), counts[keys].astype(np.float64)


def _float_counts(values: Floats) -> tuple[Floats, Floats] | None:
    """Distinct values and their counts, or None when there are more than DISTINCT_LIMIT of them (found
    from the first few thousand values when it shows there)."""
    if values.size > 4 * DISTINCT_LIMIT and np.unique(values[:4 * DISTINCT_LIMIT]).size > DISTINCT_LIMIT:
        return None
    keys, counts = np.unique(values, return_counts=True)
    if keys.size > DISTINCT_LIMIT:
        return None
    return keys, counts.astype(np.float64)


def _reorder(blocks: tuple[Floats, Floats, Floats, Floats]) -> tuple[Floats, Floats, Floats, Floats]:
    """(mass, mean, lo, hi) as Points' (values, weights, lo, hi)."""
    mass, mean, lo, hi = blocks
    return mean, mass, lo, hi


def _blocks_of(values: Floats, points: int) -> tuple[Floats, Floats, Floats, Floats]:
    p = compress_sorted(values, points)
    assert p.weights is not None and p.lo is not None and p.hi is not None
    return p.weights, p.values, p.lo, p.hi


def _pool(parts: Sequence[tuple[Floats, Floats, Floats, Floats]]) -> tuple[Floats, Floats, Floats, Floats]:
    """Blocks of several sources in one list, sorted by mean."""
    mass, mean, lo, hi = (np.concatenate([p[k] for p in parts]) for k in range(4))
    order = np.argsort(mean, kind="stable")
    return mass[order], mean[order], lo[order], hi[order]


def _compress(mass: Floats, mean: Floats, lo: Floats, hi: Floats, points: int
              ) -> tuple[Floats, Floats, Floats, Floats]:
    """Blocks sorted by mean, cut into ``points`` groups of equal mass (a block on a cut is split)."""
    total = float(mass.sum())
    ends = np.cumsum(mass)
    cuts = np.arange(1, points) * (total / points)
    marks = np.sort(np.concatenate([[0.0], ends, cuts[cuts < ends[-1]]]))
    marks = marks[np.diff(marks, prepend=-1.0) > 0]
    marks = marks[marks <= ends[-1]]
    pieces = np.diff(marks)
    keep = pieces > 0
    middle = (marks[:-1] + marks[1:])[keep] / 2
    pieces = pieces[keep]
    source = np.minimum(np.searchsorted(ends, middle, side="left"), mass.size - 1)
    group = np.minimum((middle * (points / total)).astype(np.int64), points - 1)
    starts = np.flatnonzero(np.diff(group, prepend=-1))
    new_mass = np.add.reduceat(pieces, starts)
    new_mean = np.add.reduceat(pieces * mean[source], starts) / new_mass
    new_lo = np.minimum.reduceat(lo[source], starts)
    new_hi = np.maximum.reduceat(hi[source], starts)
    return new_mass, np.clip(new_mean, new_lo, new_hi), new_lo, new_hi


@dataclass
class CategoricalSummary:
    """A text or boolean column's counts per category (None once there are more than MAX_CATEGORIES)."""

    count: int = 0
    nulls: int = 0
    counts: dict[str, int] | None = field(default_factory=dict)

    def add_counts(self, pairs: Iterable[tuple[str, int]], nulls: int = 0) -> None:
        self.nulls += nulls
        for key, n in pairs:
            self.count += n
            if self.counts is not None:
                key = key[:MAX_CATEGORY_TEXT]
                self.counts[key] = self.counts.get(key, 0) + n
        if self.counts is not None and len(self.counts) > MAX_CATEGORIES:
            self.counts = None

    def merge(self, other: CategoricalSummary) -> None:
        if other.counts is None:
            self.counts = None
        self.add_counts(other.counts.items() if other.counts is not None else (), other.nulls)
        if other.counts is None:
            self.count += other.count


@dataclass
class ColumnProfile:
    """One column: its kind of values (numeric, text, bool, null: every value missing, other), the
    arrow type it was read as, its rows (nulls included) and its summary."""

    name: str
    kind: str
    arrow_type: str
    rows: int = 0
    numeric: NumericSummary | None = None
    categorical: CategoricalSummary | None = None

    @property
    def nulls(self) -> int:
        if self.numeric is not None:
            return self.numeric.nulls
        if self.categorical is not None:
            return self.categorical.nulls
        return self.rows

    @property
    def count(self) -> int:
        """Values that are not missing."""
        return self.rows - self.nulls


@dataclass
class Profile:
    """A dataset's profile: its rows and its columns in order."""

    rows: int = 0
    columns: dict[str, ColumnProfile] = field(default_factory=dict)
    exact_limit: int = EXACT_LIMIT
    points: int = POINTS
    grids: dict[str, tuple[float, float, int]] = field(default_factory=dict)
    _settling: list[Any] = field(default_factory=list, repr=False, compare=False)

    def add_batch(self, batch: Any) -> None:
        """Take a pyarrow RecordBatch (or Table)."""
        work = [(self._take(name, array, batch.num_rows), array) for name, array in zip(batch.schema.names, batch.columns)]
        if len(work) > 1 and batch.num_rows >= 10_000:  # numpy and arrow work without the GIL: a column a thread
            list(threads().map(lambda job: _add_array(*job), work))
        else:
            for job in work:
                _add_array(*job)
        self._end_rows(batch.num_rows, set(batch.schema.names))

    def add_columns(self, rows: int, arrays: Iterable[tuple[str, Any]], last: bool = False) -> None:
        """Take ``rows`` rows given column by column, as (name, array) pairs arriving one at a time, a
        column's arrays one after another (a Parquet row group read a column at a time). ``last``: no
        more data will come; each numeric column is then sorted (in the pool) once its arrays are taken."""
        names: set[str] = set()
        taking: ColumnProfile | None = None
        for name, array in arrays:  # a column's arrays come one after another
            column = self._take(name, array, rows)
            if last and taking is not None and column is not taking:
                self._settle(taking)
            _add_array(column, array)
            names.add(name)
            taking = column
        if last and taking is not None:
            self._settle(taking)
        self._end_rows(rows, names)

    def add_chunk(self, name: str, arrays: Iterable[Any], lock: Any, last: bool = False) -> None:
        """Take one column's arrays of rows that :meth:`end_rows` will close: several columns' chunks
        may be taken at once in threads (numpy and arrow work without the GIL), given one ``lock``
        for the lot (it guards the columns' table, not the columns). ``last``: no more data will come;
        the column is then sorted here."""
        column = None
        for array in arrays:
            with lock:
                column = self._take(name, array, 0)
            _add_array(column, array)
        if last and column is not None and column.numeric is not None and column.numeric._pending:
            column.numeric.settle()

    def declare(self, name: str, arrow_type: Any) -> None:
        """Make the column ``name`` now if it is new (so that columns keep their order whichever thread
        takes its first values)."""
        if name not in self.columns:
            self.columns[name] = self._column(name, _kind(arrow_type), str(arrow_type), self.rows)

    def end_rows(self, rows: int, names: Iterable[str]) -> None:
        """Close ``rows`` rows whose columns ``names`` were given by :meth:`add_chunk`."""
        self._end_rows(rows, set(names))

    def _settle(self, column: ColumnProfile) -> None:
        if column.numeric is not None and column.numeric._pending:
            self._settling.append(threads().submit(column.numeric.settle))

    def _take(self, name: str, array: Any, rows: int) -> ColumnProfile:
        """The column that takes ``array`` (made, or promoted from all-null, if need be), its rows counted."""
        column = self.columns.get(name)
        kind = _kind(array.type)
        if column is None:
            column = self.columns[name] = self._column(name, kind, str(array.type), self.rows)
        elif column.kind != kind and kind != NULL:
            column = self._promote(column, kind, str(array.type))
        column.rows += len(array)
        return column

    def _end_rows(self, rows: int, names: set[str]) -> None:
        """Close a batch of ``rows`` rows: the columns absent from it are missing in it."""
        for name, column in self.columns.items():
            if name not in names:
                column.rows += rows
                _add_missing(column, rows)
        self.rows += rows

    def _column(self, name: str, kind: str, arrow_type: str, missing: int) -> ColumnProfile:
        column = ColumnProfile(name, kind, arrow_type)
        if kind == NUMERIC:
            column.numeric = NumericSummary(self.exact_limit, self.points, grid=self.grids.get(name))
        elif kind in (TEXT, BOOL):
            column.categorical = CategoricalSummary()
        column.rows = missing
        _add_missing(column, missing)
        return column

    def _promote(self, column: ColumnProfile, kind: str, arrow_type: str) -> ColumnProfile:
        """A column seen all-null so far takes the kind of its first values; any other change is an error."""
        if column.kind != NULL:
            raise ProfileError(f"column {column.name!r} is {column.kind} ({column.arrow_type}) in one part "
                               f"and {kind} ({arrow_type}) in another")
        fresh = self._column(column.name, kind, arrow_type, column.rows)
        self.columns[column.name] = fresh
        return fresh

    def finish(self) -> Profile:
        """Sort what is pending (before comparing or saving); returns self."""
        for job in self._settling:
            job.result()
        self._settling.clear()
        numeric = [c.numeric for c in self.columns.values() if c.numeric is not None and c.numeric._pending]
        if len(numeric) > 1:
            list(threads().map(NumericSummary.settle, numeric))  # numpy sorts without the GIL
        for summary in numeric:
            summary.settle()
        return self


_POOL: list[Any] = []


def threads() -> Any:
    """One pool of threads, a thread per core, shared by every profile."""
    if not _POOL:
        from concurrent.futures import ThreadPoolExecutor

        _POOL.append(ThreadPoolExecutor(max_workers=os.cpu_count() or 1, thread_name_prefix="mlci-drift"))
    return _POOL[0]


def grids_of(reference: Profile, bins: int | None = None) -> dict[str, tuple[float, float, int]]:
    """For data to compare with ``reference``: the grid each of its compressed numeric columns is binned on
    (its [min, max], in 4x its points bins). Exact reference columns get none: their current side stays
    exact too (KS and the exact statistics need it)."""
    out = {}
    for name, column in reference.columns.items():
        s = column.numeric
        if s is not None and not s.exact and s.count and s.maximum > s.minimum:
            out[name] = (s.minimum, s.maximum, bins or GRID_PER_POINT * s.points)
    return out


def _kind(arrow_type: Any) -> str:
    import pyarrow as pa

    t = pa.types
    if t.is_dictionary(arrow_type):
        return _kind(arrow_type.value_type)
    if t.is_integer(arrow_type) or t.is_floating(arrow_type) or t.is_decimal(arrow_type):
        return NUMERIC
    if t.is_string(arrow_type) or t.is_large_string(arrow_type) or getattr(t, "is_string_view", lambda _: False)(arrow_type):
        return TEXT
    if t.is_boolean(arrow_type):
        return BOOL
    if t.is_null(arrow_type):
        return NULL
    return OTHER


def _add_missing(column: ColumnProfile, n: int) -> None:
    if column.numeric is not None:
        column.numeric.nulls += n
    elif column.categorical is not None:
        column.categorical.nulls += n


def _add_array(column: ColumnProfile, array: Any) -> None:
    import pyarrow as pa
    import pyarrow.compute as pc

    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    kind = _kind(array.type)
    if kind == NULL or column.kind in (NULL, OTHER):
        _add_missing(column, len(array)) if kind == NULL else None
        return
    if pa.types.is_dictionary(array.type) and column.numeric is not None:
        array = array.dictionary_decode()
    if column.numeric is not None:
        if pa.types.is_integer(array.type) and not pa.types.is_uint64(array.type):  # counted as integers
            nulls = array.null_count
            values = (array.drop_null() if nulls else array).to_numpy(zero_copy_only=False)
            column.numeric.add(values, nulls, True)
            return
        values = array.to_numpy(zero_copy_only=False) if pa.types.is_float64(array.type) \
            else array.cast(pa.float64()).to_numpy(zero_copy_only=False)
        column.numeric.add(np.asarray(values, dtype=np.float64), 0, pa.types.is_integer(array.type))  # nulls are NaN
    elif column.categorical is not None:
        column.categorical.add_counts(*_category_pairs(array, pa, pc))


def _category_pairs(array: Any, pa: Any, pc: Any) -> tuple[list[tuple[str, int]], int]:
    """A text or boolean array's (category, count) pairs and its nulls: a dictionary array's by counting
    its indices (np.bincount), any other by pyarrow's value_counts."""
    if pa.types.is_dictionary(array.type):
        indices = array.indices.drop_null() if array.null_count else array.indices
        counts = np.bincount(indices.to_numpy(zero_copy_only=False), minlength=len(array.dictionary)).tolist()
        keys = array.dictionary.to_pylist()
    else:
        value_counts = pc.value_counts(array)
        keys, counts = value_counts.field("values").to_pylist(), value_counts.field("counts").to_pylist()
    pairs = [(_category(k), n) for k, n in zip(keys, counts) if n and k is not None]
    return pairs, len(array) - sum(n for _, n in pairs)


def _category(key: Any) -> str:
    return ("true" if key else "false") if isinstance(key, bool) else str(key)


def merge(profiles: Sequence[Profile]) -> Profile:
    """One profile of the union of the profiles' data (their columns by name; a column missing from a
    part counts as missing values there). ProfileError when a column's kinds disagree."""
    if not profiles:
        raise ProfileError("no profiles to merge")
    out = Profile(exact_limit=max(p.exact_limit for p in profiles), points=max(p.points for p in profiles))
    for profile in profiles:
        for name, column in profile.columns.items():
            mine = out.columns.get(name)
            if mine is None:
                mine = out.columns[name] = out._column(name, column.kind, column.arrow_type, out.rows)
            elif mine.kind != column.kind and column.kind != NULL:
                mine = out._promote(mine, column.kind, column.arrow_type)
            mine.rows += column.rows
            if column.kind == NULL or mine.kind != column.kind:
                _add_missing(mine, column.rows)
            elif mine.numeric is not None and column.numeric is not None:
                mine.numeric.merge(column.numeric)
            elif mine.categorical is not None and column.categorical is not None:
                mine.categorical.merge(column.categorical)
        for name, mine in out.columns.items():
            if name not in profile.columns:
                mine.rows += profile.rows
                _add_missing(mine, profile.rows)
        out.rows += profile.rows
    return out.finish()


# ---------------------------------------------------------------- the file


def to_json(profile: Profile) -> dict[str, Any]:
    """The profile as JSON data; a column with more values than ``points`` is saved compressed."""
    return {"format": FORMAT, "version": VERSION, "rows": profile.rows, "points": profile.points,
            "columns": [_column_json(c, profile.points) for c in profile.columns.values()]}


def _column_json(column: ColumnProfile, points: int) -> dict[str, Any]:
    out: dict[str, Any] = {"name": column.name, "kind": column.kind, "arrow_type": column.arrow_type, "rows": column.rows}
    if column.numeric is not None:
        s = column.numeric
        sample = s.sample()
        if s.distinct is not None and s.count <= points:
            sample = Points(sample.expanded())  # few values, each once
        elif s.distinct is None and s.exact and s.count > points:
            sample = compress_sorted(sample.values, points)
        elif sample.weights is not None and sample.values.size > points:
            assert sample.lo is not None and sample.hi is not None
            sample = Points(*_reorder(_compress(sample.weights, sample.values, sample.lo, sample.hi, points)))
        arrays = {"values": _b64(sample.values)} if sample.weights is None else {
            "block_mass": _b64(sample.weights), "block_mean": _b64(sample.values), "block_lo": _b64(sample.lo),
            "block_hi": _b64(sample.hi)}
        out["numeric"] = {"integer": s.integer, "count": s.count, "nulls": s.nulls, "mean": s.mean, "m2": s.m2,
                          "min": s.minimum if s.count else None, "max": s.maximum if s.count else None,
                          "distinct": None if s.distinct is None else sorted([k, v] for k, v in s.distinct.items()),
                          **arrays}
    if column.categorical is not None:
        c = column.categorical
        out["categorical"] = {"count": c.count, "nulls": c.nulls,
                              "counts": None if c.counts is None else sorted([k, v] for k, v in c.counts.items())}
    return out


def _b64(values: Floats | None) -> str:
    assert values is not None
    return base64.b64encode(np.ascontiguousarray(values, dtype="<f8").tobytes()).decode("ascii")


def save(profile: Profile, path: str | Path) -> None:
    """Write the profile to ``path`` (whole or not at all)."""
    import json

    from mlci.files import write_atomically

    write_atomically(path, json.dumps(to_json(profile.finish()), separators=(",", ":"), allow_nan=False))


def load(path: str | Path, *, max_bytes: int = MAX_PROFILE_BYTES) -> Profile:
    """A saved profile, read as hostile input: ProfileError (one line naming the file) on anything wrong."""
    from mlci import safeload

    try:
        text = safeload.read_text(path, max_bytes, error=ProfileError)
    except FileNotFoundError:
        raise ProfileError(f"{path}: no such profile") from None
    return from_json(safeload.load_json(text, path, error=ProfileError, max_depth=8), str(path))


def from_json(data: Any, where: str = "profile") -> Profile:
    """A profile from JSON data that may be hostile."""
    reader = _Reader(where)
    top = reader.object(data, "", {"format", "version", "rows", "points", "columns"})
    if top["format"] != FORMAT:
        reader.fail("format", f"not an mlci drift profile (format {str(top['format'])[:40]!r})")
    if top["version"] != VERSION:
        reader.fail("version", f"version {str(top['version'])[:20]} is not one this mlci reads ({VERSION})")
    rows = reader.count(top["rows"], "rows")
    points = reader.count(top["points"], "points")
    if not MIN_POINTS <= points <= MAX_POINTS:
        reader.fail("points", f"{points} is outside {MIN_POINTS}..{MAX_POINTS}")
    columns = top["columns"]
    if not isinstance(columns, list) or len(columns) > MAX_COLUMNS:
        reader.fail("columns", f"expected a list of at most {MAX_COLUMNS:,} columns")
    profile = Profile(rows=rows, exact_limit=max(EXACT_LIMIT, points), points=points)
    for i, item in enumerate(columns):
        column = reader.column(item, f"columns[{i}]", rows, points)
        if column.name in profile.columns:
            reader.fail(f"columns[{i}].name", f"column {column.name[:80]!r} twice")
        profile.columns[column.name] = column
    return profile


class _Reader:
    def __init__(self, where: str) -> None:
        self.where = where

    def fail(self, at: str, message: str) -> NoReturn:
        raise ProfileError(f"{self.where}: {at}: {message}" if at else f"{self.where}: {message}")

    def object(self, data: Any, at: str, keys: set[str], optional: set[str] = set()) -> dict[str, Any]:
        if not isinstance(data, dict):
            self.fail(at, "expected an object")
        assert isinstance(data, dict)
        missing, extra = keys - set(data), set(data) - keys - optional
        if missing or extra:
            self.fail(at, f"missing {sorted(missing)[:3]}" if missing else f"unexpected {sorted(extra)[:3]}")
        return data

    def count(self, value: Any, at: str, most: int | None = None) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < 0 or (most is not None and value > most):
            self.fail(at, "expected a count" + (f" of at most {most:,}" if most is not None else ""))
        return int(value)

    def number(self, value: Any, at: str) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            self.fail(at, "expected a finite number")
        return float(value)

    def text(self, value: Any, at: str, most: int) -> str:
        if not isinstance(value, str) or len(value) > most:
            self.fail(at, f"expected text of at most {most:,} characters")
        return str(value)

    def array(self, value: Any, at: str, most: int) -> Floats:
        if not isinstance(value, str) or len(value) > (most * 8 + 2) // 3 * 4 + 4:
            self.fail(at, f"expected base64 of at most {most:,} numbers")
        try:
            raw = base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            self.fail(at, "not base64")
        if len(raw) % 8:
            self.fail(at, "not a whole number of float64 values")
        out = np.frombuffer(raw, dtype="<f8").astype(np.float64)
        if not np.all(np.isfinite(out)):
            self.fail(at, "holds a value that is not finite")
        return out

    def pairs(self, value: Any, at: str, most: int, key: str) -> list[tuple[Any, int]]:
        if not isinstance(value, list) or len(value) > most:
            self.fail(at, f"expected a list of at most {most:,} pairs")
        out = []
        for i, pair in enumerate(value):
            if not isinstance(pair, list) or len(pair) != 2:
                self.fail(f"{at}[{i}]", "expected [value, count]")
            k = self.number(pair[0], f"{at}[{i}]") if key == "number" else self.text(pair[0], f"{at}[{i}]", MAX_CATEGORY_TEXT)
            out.append((k, self.count(pair[1], f"{at}[{i}]")))
        if len({k for k, _ in out}) != len(out):
            self.fail(at, "a value twice")
        return out

    def column(self, data: Any, at: str, rows: int, points: int) -> ColumnProfile:
        item = self.object(data, at, {"name", "kind", "arrow_type", "rows"}, {"numeric", "categorical"})
        name = self.text(item["name"], f"{at}.name", MAX_NAME)
        kind = item["kind"]
        if kind not in (NUMERIC, TEXT, BOOL, NULL, OTHER):
            self.fail(f"{at}.kind", "expected numeric, text, bool, null or other")
        column = ColumnProfile(name, kind, self.text(item["arrow_type"], f"{at}.arrow_type", 200),
                               self.count(item["rows"], f"{at}.rows", rows))
        want = {NUMERIC: {"numeric"}, TEXT: {"categorical"}, BOOL: {"categorical"}}.get(kind, set())
        if set(item) - {"name", "kind", "arrow_type", "rows"} != want:
            self.fail(at, f"a {kind} column must have {sorted(want) or 'no summary'}")
        if kind == NUMERIC:
            column.numeric = self.numeric(item["numeric"], f"{at}.numeric", column.rows, points)
        elif want:
            column.categorical = self.categorical(item["categorical"], f"{at}.categorical", column.rows)
        return column

    def numeric(self, data: Any, at: str, rows: int, points: int) -> NumericSummary:
        common = {"integer", "count", "nulls", "mean", "m2", "min", "max", "distinct"}
        blocks = isinstance(data, dict) and "block_mass" in data
        item = self.object(data, at, common | (set(BLOCK_KEYS) if blocks else {"values"}))
        s = NumericSummary(max(EXACT_LIMIT, points), points)
        if not isinstance(item["integer"], bool):
            self.fail(f"{at}.integer", "expected true or false")
        s.integer = item["integer"]
        s.count, s.nulls = self.count(item["count"], f"{at}.count"), self.count(item["nulls"], f"{at}.nulls")
        if s.count + s.nulls != rows:
            self.fail(at, f"count + nulls ({s.count + s.nulls:,}) is not the column's rows ({rows:,})")
        s.mean, s.m2 = self.number(item["mean"], f"{at}.mean"), self.number(item["m2"], f"{at}.m2")
        if s.m2 < 0:
            self.fail(f"{at}.m2", "negative")
        if s.count:
            s.minimum, s.maximum = self.number(item["min"], f"{at}.min"), self.number(item["max"], f"{at}.max")
            if not s.minimum <= s.mean <= s.maximum and not math.isclose(s.mean, s.minimum) and not math.isclose(s.mean, s.maximum):
                self.fail(at, "mean outside [min, max]")
        elif item["min"] is not None or item["max"] is not None:
            self.fail(at, "min and max of an empty column must be null")
        if item["distinct"] is not None:
            pairs = self.pairs(item["distinct"], f"{at}.distinct", DISTINCT_LIMIT, "number")
            if sum(n for _, n in pairs) != s.count:
                self.fail(f"{at}.distinct", "the counts do not add up to count")
            s.distinct = dict(pairs)
        else:
            s.distinct = None
        if blocks:
            mass, mean, lo, hi = (self.array(item[k], f"{at}.{k}", points) for k in BLOCK_KEYS)
            if not mass.size == mean.size == lo.size == hi.size:
                self.fail(at, "mass, mean, lo and hi differ in length")
            if not (np.all(mass > 0) and math.isclose(float(mass.sum()), s.count, rel_tol=1e-9)):
                self.fail(f"{at}.mass", "masses must be positive and add up to count")
            if not (np.all(lo <= mean) and np.all(mean <= hi) and np.all(np.diff(mean) >= 0)
                    and (not lo.size or (lo.min() >= s.minimum and hi.max() <= s.maximum))):
                self.fail(at, "blocks must be sorted, with lo <= mean <= hi within [min, max]")
            s._blocks = None if s.distinct is not None else (mass, mean, lo, hi)  # the counts per value are the values
        else:
            values = self.array(item["values"], f"{at}.values", points)
            if values.size != s.count or (values.size and (np.any(np.diff(values) < 0) or values[0] < s.minimum
                                                             or values[-1] > s.maximum)):
                self.fail(f"{at}.values", "expected count sorted values within [min, max]")
            if s.distinct is None:
                s._pending, s._pending_size, s._sorted = [values], values.size, True
        return s

    def categorical(self, data: Any, at: str, rows: int) -> CategoricalSummary:
        item = self.object(data, at, {"count", "nulls", "counts"})
        c = CategoricalSummary(self.count(item["count"], f"{at}.count"), self.count(item["nulls"], f"{at}.nulls"))
        if c.count + c.nulls != rows:
            self.fail(at, f"count + nulls ({c.count + c.nulls:,}) is not the column's rows ({rows:,})")
        if item["counts"] is None:
            c.counts = None
        else:
            pairs = self.pairs(item["counts"], f"{at}.counts", MAX_CATEGORIES, "text")
            if sum(n for _, n in pairs) != c.count:
                self.fail(f"{at}.counts", "the counts do not add up to count")
            c.counts = dict(pairs)
        return c


def category_counts(column: ColumnProfile) -> Mapping[Any, int] | None:
    """A column's counts per value, for the tests on categories (None when too many were seen)."""
    if column.categorical is not None:
        return column.categorical.counts
    if column.numeric is not None:
        return column.numeric.distinct
    return None
