"""Per-column drift of the current data against a reference, and the dataset's verdict.

The test of each column is chosen as Evidently 0.7's DataDriftPreset chooses it by default
("stattest auto", legacy/calculations/stattests/registry.py), from the reference's values that
are not missing (``reference_rows``) and the distinct values of both sides together:

- numeric, more than 5 distinct values: ``ks`` when the reference has <= 1,000 values, else
  ``wasserstein_normed``;
- categorical, or numeric with at most 5 distinct values: with <= 1,000 reference values,
  ``chisquare``, or for a binary column (at most 2 values) ``z``, the two-proportion z-test, as
  Evidently does (its verdicts are Evidently's); beyond 1,000, ``jensenshannon``.

Kinds, as Evidently infers them: floats are numeric; integers are numeric unless the reference
has at most 10 distinct values (then categorical); text and booleans are categorical. Any
column's kind, method, threshold and bins (``psi`` and ``jensenshannon`` on a numeric column:
equal-width bins over both sides' range; default Sturges', as Evidently) can be set in
:class:`ColumnOptions`.

Not tested, with a reason, never counted as drift: a column on one side only; kinds that differ
(numeric against text); a column with no values on a side (empty file, all null); fewer than
``min_rows`` values on a side (default 30: below it a p-value has no power and a distance over
30 Sturges bins is noise; Evidently tests any non-empty column); unsupported types (dates,
lists); more categories than a profile keeps; a test undefined on the data (a NaN score).
``drifted_share`` is the share of drifted columns among the tested ones (0 when none is tested),
and ``dataset_drift`` is ``drifted_share >= threshold_share`` with at least one column tested.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mlci.drift import stats
from mlci.drift.profile import BOOL, NULL, NUMERIC, OTHER, TEXT, ColumnProfile, Profile, category_counts
from mlci.drift.stats import Floats, Points

SMALL_REFERENCE = 1000  # Evidently: KS and chi-square up to this many reference values, distances beyond
FEW_VALUES = 5  # numeric columns with at most this many distinct values are tested as categories
BINNED_VALUES = 20  # numeric columns with more distinct reference values are binned for JS and PSI
CATEGORICAL_INTEGERS = 10  # integer columns with at most this many distinct reference values are categorical
MIN_ROWS = 30
KINDS = ("numeric", "categorical")


@dataclass(frozen=True)
class ColumnOptions:
    """What a user may set for one column; None: the default."""

    method: str | None = None
    threshold: float | None = None
    kind: str | None = None
    bins: int | None = None

    def __post_init__(self) -> None:
        if self.method is not None and self.method not in stats.METHODS:
            raise ValueError(f"unknown drift method {self.method!r} (expected one of {', '.join(stats.METHODS)})")
        if self.kind is not None and self.kind not in KINDS:
            raise ValueError(f"unknown column kind {self.kind!r} (expected numeric or categorical)")
        if self.bins is not None and not 1 <= self.bins <= 10_000:
            raise ValueError(f"bins must be between 1 and 10,000, not {self.bins}")
        if self.threshold is not None and not math.isfinite(self.threshold):
            raise ValueError("a threshold must be a finite number")


@dataclass(frozen=True)
class DriftOptions:
    """The dataset's settings: the share of drifted columns that is dataset drift, the smallest sample
    tested, each column's options (by name), the columns to leave out."""

    threshold_share: float = 0.5
    min_rows: int = MIN_ROWS
    columns: Mapping[str, ColumnOptions] = field(default_factory=dict)
    ignore: tuple[str, ...] = ()


@dataclass(frozen=True)
class ColumnDrift:
    """One column's test. ``score`` and ``threshold`` are None, and ``reason`` says why, when it was not
    tested. ``error_bound``: how far the score may be from the one on the full data (0: exact)."""

    column: str
    kind: str
    method: str | None
    score: float | None
    threshold: float | None
    drifted: bool
    reference_rows: int
    current_rows: int
    reason: str | None = None
    error_bound: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"column": self.column, "kind": self.kind, "method": self.method, "score": self.score,
                               "threshold": self.threshold, "drifted": self.drifted,
                               "reference_rows": self.reference_rows, "current_rows": self.current_rows}
        if self.reason is not None:
            out["reason"] = self.reason
        return out


@dataclass(frozen=True)
class DatasetDrift:
    dataset_drift: bool
    drifted_share: float
    threshold_share: float
    columns: tuple[ColumnDrift, ...]

    def to_dict(self) -> dict[str, Any]:
        """The shape users script against (report.json's ``drift``)."""
        return {"dataset_drift": self.dataset_drift, "drifted_share": self.drifted_share,
                "threshold_share": self.threshold_share, "columns": [c.to_dict() for c in self.columns]}


def compare(reference: Profile, current: Profile, options: DriftOptions = DriftOptions()) -> DatasetDrift:
    """Every column of either side tested (the reference's order, then the current's new columns)."""
    reference.finish()
    current.finish()
    names = [*reference.columns, *(n for n in current.columns if n not in reference.columns)]
    from mlci.drift.profile import threads

    def test(name: str) -> ColumnDrift:
        return column_drift(name, reference.columns.get(name), current.columns.get(name),
                            options.columns.get(name, ColumnOptions()), options.min_rows, reference.rows, current.rows)

    results = tuple(threads().map(test, [n for n in names if n not in options.ignore]))  # numpy runs without the GIL
    tested = [r for r in results if r.reason is None]
    share = sum(r.drifted for r in tested) / len(tested) if tested else 0.0
    return DatasetDrift(bool(tested) and share >= options.threshold_share, share, options.threshold_share, results)


def _kind(column: ColumnProfile) -> str:
    if column.kind == NUMERIC:
        assert column.numeric is not None
        distinct = column.numeric.distinct
        few = distinct is not None and len(distinct) <= CATEGORICAL_INTEGERS
        return "categorical" if column.numeric.integer and few else "numeric"
    return "categorical" if column.kind in (TEXT, BOOL) else "unsupported"


def column_drift(name: str, ref: ColumnProfile | None, cur: ColumnProfile | None, options: ColumnOptions,
                 min_rows: int = MIN_ROWS, reference_total: int = 0, current_total: int = 0) -> ColumnDrift:
    """One column's test (or why there is none)."""
    some = ref or cur
    assert some is not None
    kind = options.kind or _kind(some) if some.kind not in (NULL, OTHER) else "unsupported"
    n_ref, n_cur = (ref.count if ref else 0), (cur.count if cur else 0)

    def untested(reason: str, kind: str = kind) -> ColumnDrift:
        return ColumnDrift(name, kind, None, None, None, False, n_ref, n_cur, reason)

    if ref is None or cur is None:
        empty = current_total == 0 if ref is not None else reference_total == 0
        side = "current data" if ref is not None else "reference"
        return untested(f"the {side} has no rows" if empty else f"only in the {'reference' if ref else 'current data'}")
    for side, column in (("reference", ref), ("current data", cur)):
        if column.kind == OTHER:
            return untested(f"{column.arrow_type} values in the {side} are not tested", "unsupported")
    for side, column in (("reference", ref), ("current data", cur)):
        if column.count == 0:
            return untested(f"no values in the {side}" + (" (all null)" if column.rows else ""))
    if ref.kind != cur.kind:
        return untested(f"types differ: {ref.kind} ({ref.arrow_type}) in the reference, {cur.kind} ({cur.arrow_type}) now")
    for side, n in (("reference", n_ref), ("current", n_cur)):
        if n < min_rows:
            return untested(f"{side} sample too small to test ({n:,} values, fewer than {min_rows:,})")
    if kind == "numeric" and ref.kind != NUMERIC:
        return untested(f"{ref.kind} values cannot be tested as numeric")
    ref_counts, cur_counts = category_counts(ref), category_counts(cur)
    method = options.method or _auto(kind, n_ref, ref_counts, cur_counts)
    if method in stats.NUMERIC_ONLY and ref.kind != NUMERIC:
        return untested(f"{method} needs numeric values, not {ref.kind}")
    threshold = stats.THRESHOLDS[method] if options.threshold is None else options.threshold
    try:
        score, bound = _score(method, ref, cur, ref_counts, cur_counts, options.bins, kind)
    except _Untestable as exc:
        return ColumnDrift(name, kind, method, None, threshold, False, n_ref, n_cur, str(exc))
    if not math.isfinite(score):
        return ColumnDrift(name, kind, method, None, threshold, False, n_ref, n_cur,
                           f"{method} is undefined on these values")
    return ColumnDrift(name, kind, method, score, threshold, stats.is_drift(method, score, threshold),
                       n_ref, n_cur, None, bound)


class _Untestable(Exception):
    pass


def _union(ref: Mapping[Any, int] | None, cur: Mapping[Any, int] | None) -> int:
    """Distinct values of both sides together (more than FEW_VALUES when either side has too many)."""
    if ref is None or cur is None:
        return FEW_VALUES + 1 if (ref is None or len(ref) > FEW_VALUES or cur is None or len(cur) > FEW_VALUES) else 0
    return len(set(ref) | set(cur))


def _auto(kind: str, n_ref: int, ref: Mapping[Any, int] | None, cur: Mapping[Any, int] | None) -> str:
    values = _union(ref, cur) if ref is not None and cur is not None else FEW_VALUES + 1
    if kind == "numeric" and values > FEW_VALUES:
        return "ks" if n_ref <= SMALL_REFERENCE else "wasserstein_normed"
    if n_ref <= SMALL_REFERENCE:
        return "chisquare" if values > 2 else "z"
    return "jensenshannon"


def _score(method: str, ref: ColumnProfile, cur: ColumnProfile, ref_counts: Mapping[Any, int] | None,
           cur_counts: Mapping[Any, int] | None, bins: int | None, kind: str) -> tuple[float, float]:
    if method in ("ks", "wasserstein_normed"):
        assert ref.numeric is not None and cur.numeric is not None
        a, b = ref.numeric.sample(), cur.numeric.sample()
        if method == "ks":
            return stats.ks_pvalue(a, b), 0.0
        norm = max(ref.numeric.std, stats.MIN_NORM)
        a, b = _alike(a, b, ref.numeric.points), _alike(b, a, ref.numeric.points)
        return stats.wasserstein(a, b) / norm, (a.w1_error() + b.w1_error()) / norm
    binned = (ref.kind == NUMERIC and method in ("jensenshannon", "psi")
              and (ref_counts is None or len(ref_counts) > BINNED_VALUES or bins is not None))
    r_slack = c_slack = None
    if binned:
        r, c, bound, r_slack, c_slack = _binned(ref, cur, bins)
    else:
        if ref_counts is None or cur_counts is None:
            side = "reference" if ref_counts is None else "current data"
            raise _Untestable(f"too many distinct values in the {side} to test as categories")
        keys = sorted(set(ref_counts) | set(cur_counts))
        r = np.array([ref_counts.get(k, 0) for k in keys], dtype=np.float64)
        c = np.array([cur_counts.get(k, 0) for k in keys], dtype=np.float64)
        bound = 0.0
    if method == "chisquare":
        return stats.chisquare_pvalue(r, c), 0.0
    if method == "z":
        if r.size > 2:
            raise _Untestable(f"z needs at most 2 values, not {r.size}")
        return stats.z_pvalue(r, c), 0.0
    r_share, c_share = r / r.sum(), c / c.sum()
    if method == "jensenshannon":
        return stats.jensenshannon(r_share, c_share), bound
    score = stats.psi(r_share, c_share)
    if r_slack is None or c_slack is None or not (r_slack.any() or c_slack.any()):
        return score, 0.0
    return score, stats.psi_error(r_share, r_slack / r.sum(), c_share, c_slack / c.sum())


def _alike(p: Points, other: Points, points: int) -> Points:
    """An exact sample compared with a compressed one, itself compressed to 16x the points when bigger:
    the W1 integral then runs over thousands of steps, not millions, and its bound grows by as little."""
    if p.weights is None and not other.exact and p.values.size > 16 * points:
        return stats.compress_sorted(p.values, 16 * points)
    return p


def _binned(ref: ColumnProfile, cur: ColumnProfile, bins: int | None
            ) -> tuple[Floats, Floats, float, Floats, Floats]:
    """Counts per bin over both sides' range (Sturges' number of bins unless given), and the JS bound."""
    assert ref.numeric is not None and cur.numeric is not None
    a, b = ref.numeric, cur.numeric
    low, high = min(a.minimum, b.minimum), max(a.maximum, b.maximum)
    edges = stats.equal_edges(bins, low, high) if bins else stats.sturges_edges(a.count + b.count, low, high)
    ra, rs = stats.histogram(a.sample(), edges)
    ca, cs = stats.histogram(b.sample(), edges)
    bound = stats.shares_error(ra / a.count, rs / a.count) + stats.shares_error(ca / b.count, cs / b.count)
    return ra, ca, bound, rs, cs
