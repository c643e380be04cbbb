"""The profile's fast paths against scipy's and numpy's exact computations: columns of few values kept
as their counts, the current data binned on a reference's grid (its bound)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from scipy import stats as ss

from mlci.drift import (ColumnOptions, DriftOptions, compare, detect_drift, load_profile, merge_profiles, profile_table,
                        save_profile)
from mlci.drift.profile import DISTINCT_LIMIT, NumericSummary, _bin_pass, grids_of
from tests.unit.drift.conftest import rng, table

# ---------------------------------------------------------------- few distinct values: their counts


def test_integer_columns_are_kept_as_counts_and_tested_exactly() -> None:
    ref, cur = rng(1).poisson(30, 200_000), rng(2).poisson(30.4, 150_000)
    a, b = profile_table(table(n=ref)), profile_table(table(n=cur))
    s = a.columns["n"].numeric
    assert s is not None and s.distinct is not None and not s._pending and s.exact  # no values held, only counts
    result = compare(a, b).columns[0]
    want = ss.wasserstein_distance(ref, cur) / np.std(ref)
    assert result.method == "wasserstein_normed" and result.error_bound == 0.0
    assert result.score == pytest.approx(want, rel=1e-12)
    assert s.mean == pytest.approx(np.mean(ref), rel=1e-14) and s.std == pytest.approx(np.std(ref), rel=1e-12)


def test_ks_on_counted_columns_is_scipys_exact_test() -> None:
    ref, cur = rng(3).integers(0, 40, 900), rng(4).integers(2, 45, 5000)
    result = compare(profile_table(table(n=ref)), profile_table(table(n=cur))).columns[0]
    assert result.method == "ks" and result.score == ss.ks_2samp(ref, cur).pvalue


def test_a_column_whose_values_become_many_holds_them_all() -> None:
    """Counts per value until there are more than DISTINCT_LIMIT of them, then the values themselves
    (the counts expanded), batch by batch, integers or floats: the same sample as sorting all of them."""
    few = rng(5).integers(0, 600, 50_000)
    many = rng(6).integers(0, 5000, 20_000)
    for values in (np.concatenate([few, many]), np.concatenate([few, many]).astype(np.float64) / 7):
        s = NumericSummary()
        for i, part in enumerate(np.array_split(values, 9)):
            s.add(part, integer=values.dtype.kind == "i")
            assert (s.distinct is not None) == (i < 6)  # parts 0-5 hold only the few values
            assert (s.distinct is None or len(s.distinct) <= DISTINCT_LIMIT) and s._pending_size == (0 if i < 6 else s.count)
        assert s.distinct is None and s.count == values.size
        assert np.array_equal(s.sample().values, np.sort(values.astype(np.float64)))
        assert s.std == pytest.approx(np.std(values), rel=1e-12)


def test_counted_columns_save_merge_and_load_exactly(tmp_path: Path) -> None:
    data = rng(7).poisson(12, 90_000)
    parts = [profile_table(table(n=data[i::3], f=rng(i).normal(0, 1, 30_000)), points=1024) for i in range(3)]
    whole = profile_table(table(n=data))
    merged = merge_profiles(parts)
    save_profile(merged, tmp_path / "p.profile")
    loaded = load_profile(tmp_path / "p.profile")
    for p in (merged, loaded):
        s = p.columns["n"].numeric
        assert s is not None and s.exact and s.distinct == whole.columns["n"].numeric.distinct  # type: ignore[union-attr]
    assert "n" not in grids_of(loaded) and "f" in grids_of(loaded)  # exact columns are not binned
    cur = table(n=rng(8).poisson(12.3, 40_000), f=rng(9).normal(0, 1, 40_000))
    pq.write_table(cur, tmp_path / "cur.parquet")
    exact = compare(whole, profile_table(cur)).columns[0]
    monitored = detect_drift(loaded, tmp_path / "cur.parquet").columns[0]
    assert monitored.error_bound == 0.0 and monitored.score == pytest.approx(exact.score, rel=1e-12)


def test_merging_counts_with_values_expands_the_counts() -> None:
    counted = profile_table(table(x=rng(10).integers(0, 50, 5000).astype(np.float64)))
    valued = profile_table(table(x=rng(11).normal(0, 30, 5000)))
    for parts in ([counted, valued], [valued, counted]):
        merged = merge_profiles(parts).columns["x"].numeric
        assert merged is not None and merged.distinct is None and merged.exact
        every = np.concatenate([p.columns["x"].numeric.sample().expanded() for p in parts])  # type: ignore[union-attr]
        assert np.array_equal(merged.sample().values, np.sort(every))


# ---------------------------------------------------------------- the current data on the reference's grid


def test_bin_pass_counts_like_numpy_and_its_moments_are_exact() -> None:
    x = np.concatenate([rng(12).normal(3, 2, 300_001), [-20.0, 40.0, 10.0]])  # 10.0 is the grid's top: outside
    counts = np.zeros(512)
    n, mean, m2, outside = _bin_pass(x, counts, (-5.0, 10.0, 512), None)
    inside = x[(x >= -5.0) & (x < 10.0)]
    assert np.array_equal(counts, np.histogram(inside, bins=512, range=(-5.0, 10.0))[0])
    assert sorted(outside.tolist()) == sorted(x[(x < -5.0) | (x >= 10.0)].tolist())
    assert n == x.size and mean == pytest.approx(np.mean(x), rel=1e-13)
    assert m2 == pytest.approx(np.sum((x - np.mean(x)) ** 2), rel=1e-11)


@pytest.mark.parametrize("bins", [None, 64])
@pytest.mark.parametrize("shift", [0.0, 0.05, 0.5])
@pytest.mark.parametrize("draw", ["normal", "lognormal", "uniform"])
def test_binned_current_wasserstein_is_scipys_within_its_bound(shift: float, draw: str, bins: int | None) -> None:
    """The monitor's path: a compressed reference, the current data binned on its grid (each bin's mass
    at its middle). The score is scipy's on the full data within the reported bound; on the default
    grid the bound is small (the reference's compression, ~1e-3 at 4,096 points, plus half a bin),
    on a coarse one (64 bins) the grid's half bin dominates it, and it still holds."""

    def make(g: np.random.Generator, n: int) -> np.ndarray:
        if draw == "normal":
            return g.normal(shift, 1, n)
        return g.lognormal(shift, 0.5, n) if draw == "lognormal" else g.uniform(shift, 1 + shift, n)

    ref, cur = make(rng(13), 300_000), make(rng(14), 200_000)
    if shift:
        ref = ref - shift if draw != "lognormal" else ref / np.exp(shift)
    reference = profile_table(table(x=ref), exact_limit=50_000)
    assert not reference.columns["x"].numeric.exact  # type: ignore[union-attr]
    binned = profile_table(table(x=cur), grids=grids_of(reference, bins))
    result = compare(reference, binned).columns[0]
    want = ss.wasserstein_distance(ref, cur) / np.std(ref)
    assert abs(result.score - want) <= result.error_bound
    assert 0 < result.error_bound < (0.01 if bins is None else 0.2)
    assert binned.columns["x"].numeric.mean == pytest.approx(np.mean(cur), rel=1e-12)  # type: ignore[union-attr]


def test_binned_jensenshannon_and_psi_are_within_their_bounds() -> None:
    ref, cur = rng(15).normal(0, 1, 100_000), rng(16).normal(0.1, 1.1, 60_000)
    reference = profile_table(table(x=ref), exact_limit=20_000, points=1024)
    binned = profile_table(table(x=cur), grids=grids_of(reference))
    exact = compare(profile_table(table(x=ref)), profile_table(table(x=cur)),
                    DriftOptions(columns={"x": ColumnOptions(method="jensenshannon")})).columns[0]
    got = compare(reference, binned, DriftOptions(columns={"x": ColumnOptions(method="jensenshannon")})).columns[0]
    assert abs(got.score - exact.score) <= got.error_bound  # type: ignore[operator]
    assert exact.drifted == got.drifted
