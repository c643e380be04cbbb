"""Profiles: verdicts against a saved (compressed) profile equal those against the full data, within the
documented bounds; partition profiles merge into the whole's."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy import stats as ss

from mlci.drift import ColumnOptions, DatasetDrift, DriftOptions, compare, load_profile, merge_profiles, profile_table, save_profile
from mlci.drift.profile import NumericSummary, grids_of
from tests.unit.drift.conftest import rng, table

G = rng(42)
N = 40_000


def reference() -> dict[str, object]:
    return {"normal": G.normal(0, 1, N), "lognormal": G.lognormal(0, 0.6, N), "uniform": G.uniform(0, 1, N),
            "counts": G.poisson(30, N), "cat": G.choice(np.array(list("abcdefgh")), N), "few": G.choice([1.5, 2.5, 4.0], N)}


def current(shift: float) -> dict[str, object]:
    n = 9000
    return {"normal": G.normal(shift, 1, n), "lognormal": G.lognormal(shift, 0.6, n), "uniform": G.uniform(shift, 1 + shift, n),
            "counts": G.poisson(30 * (1 + shift), n), "cat": G.choice(np.array(list("abcdefgh")), n,
                                                                    p=np.linspace(1, 1 + 4 * shift, 8) / np.linspace(1, 1 + 4 * shift, 8).sum()),
            "few": G.choice([1.5, 2.5, 4.0], n, p=[0.33 + shift / 2, 0.34 - shift / 4, 0.33 - shift / 4])}


EXACT = ("few", "counts")  # at most 1,000 distinct values: a profile keeps their counts, exactly
JS = DriftOptions(columns={"normal": ColumnOptions(method="jensenshannon"), "uniform": ColumnOptions(method="psi")})


@pytest.mark.parametrize("shift", [0.0, 0.03, 0.08, 0.2])
@pytest.mark.parametrize("options", [DriftOptions(), JS])
def test_verdicts_against_a_saved_profile_equal_the_full_datas(tmp_path: Path, shift: float, options: DriftOptions) -> None:
    current_data = current(shift)
    ref_table, cur = table(**reference()), profile_table(table(**current_data))
    full = compare(profile_table(ref_table), cur, options)
    save_profile(profile_table(ref_table, points=1024), tmp_path / "ref.profile")  # 40,000 values -> 1,024 blocks
    saved = load_profile(tmp_path / "ref.profile")
    assert any(not c.numeric.exact for c in saved.columns.values() if c.numeric is not None)
    binned = profile_table(table(**current_data), grids=grids_of(saved))
    for against in (compare(saved, cur, options), compare(saved, binned, options)):
        check(full, against)


def check(full: DatasetDrift, against: DatasetDrift) -> None:
    for a, b in zip(full.columns, against.columns):
        assert (a.method, a.drifted) == (b.method, b.drifted), a.column
        assert abs(a.score - b.score) <= b.error_bound + 1e-12, a.column  # type: ignore[operator]
        if a.method in ("wasserstein_normed", "jensenshannon") and a.column not in EXACT and a.kind == "numeric":
            assert 0 < b.error_bound < (0.02 if a.method == "wasserstein_normed" else 0.08), a.column  # compressed
        elif a.method != "psi":
            assert a.score == pytest.approx(b.score, rel=1e-12, abs=1e-15) and b.error_bound == 0.0, a.column
    assert full.dataset_drift == against.dataset_drift


def test_full_wasserstein_is_scipys_on_the_table() -> None:
    ref, cur = reference(), current(0.05)
    result = compare(profile_table(table(**ref)), profile_table(table(**cur)))
    column = next(c for c in result.columns if c.column == "normal")
    want = ss.wasserstein_distance(ref["normal"], cur["normal"]) / np.std(ref["normal"])  # type: ignore[arg-type]
    assert column.score == pytest.approx(want, rel=1e-9) and column.error_bound == 0.0


def test_merged_partition_profiles_equal_the_wholes() -> None:
    data = reference()
    whole = profile_table(table(**data))
    parts = [profile_table(table(**{k: v[i::7] for k, v in data.items()}), points=1024)  # type: ignore[index]
             for i in range(7)]
    merged = merge_profiles(parts)
    assert merged.rows == whole.rows
    for name, column in whole.columns.items():
        other = merged.columns[name]
        if column.numeric is not None:
            a, b = column.numeric, other.numeric
            assert b is not None and (a.count, a.minimum, a.maximum) == (b.count, b.minimum, b.maximum)
            assert b.mean == pytest.approx(a.mean, rel=1e-12) and b.m2 == pytest.approx(a.m2, rel=1e-9)
            assert b.distinct == a.distinct
        else:
            assert other.categorical.counts == column.categorical.counts  # type: ignore[union-attr]
    cur = profile_table(table(**current(0.05)))
    for a, b in zip(compare(whole, cur).columns, compare(merged, cur).columns):
        assert a.drifted == b.drifted and abs(a.score - b.score) <= b.error_bound + 1e-12  # type: ignore[operator]


def test_streaming_past_the_exact_limit_keeps_a_true_bound() -> None:
    x = rng(3).standard_t(4, 200_000)
    y = np.sort(rng(4).standard_t(4, 5000) + 0.05)
    s = NumericSummary(exact_limit=20_000, points=1024)
    for part in np.array_split(x, 37):
        s.add(part)
    p = s.sample()
    assert not s.exact and p.values.size <= 1024 and p.total == pytest.approx(x.size)
    from mlci.drift.stats import Points, wasserstein

    error = abs(wasserstein(p, Points(y)) - ss.wasserstein_distance(x, y))
    assert error <= p.w1_error() and p.w1_error() < 0.05 * np.std(x)  # 37 compressions of heavy tails
    assert s.std == pytest.approx(np.std(x), rel=1e-9)


def test_merging_profiles_whose_column_types_differ_is_an_error() -> None:
    from mlci.drift import ProfileError

    with pytest.raises(ProfileError, match="column 'a' is numeric"):
        merge_profiles([profile_table(table(a=[1.0, 2.0])), profile_table(table(a=["x", "y"]))])
    with pytest.raises(ProfileError, match="no profiles"):
        merge_profiles([])


def test_a_small_profile_saves_its_values_exactly(tmp_path: Path) -> None:
    data = {"a": rng(1).normal(0, 1, 900), "b": ["x", None, "y"] * 300}
    original = profile_table(table(**data))
    save_profile(original, tmp_path / "p")
    loaded = load_profile(tmp_path / "p")
    assert loaded.columns["a"].numeric.exact  # type: ignore[union-attr]
    assert np.array_equal(loaded.columns["a"].numeric.sample().values, np.sort(data["a"]))  # type: ignore[union-attr, arg-type]
    assert loaded.columns["b"].categorical.counts == {"x": 300, "y": 300}  # type: ignore[union-attr]
    assert loaded.columns["b"].nulls == 300
    cur = profile_table(table(a=rng(2).normal(0.3, 1, 500), b=["x"] * 500))
    assert compare(original, cur).to_dict() == compare(loaded, cur).to_dict()


def test_detect_drift_bins_the_current_data_on_a_profiles_grid(tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    from mlci.drift import detect_drift

    ref = profile_table(table(x=rng(8).normal(0, 1, 30_000)), points=1024)
    save_profile(ref, tmp_path / "ref.profile")
    saved = load_profile(tmp_path / "ref.profile")
    cur = rng(9).normal(0.3, 1.5, 6000)  # a third of it beyond the reference's range
    pq.write_table(table(x=cur), tmp_path / "cur.parquet")
    column = detect_drift(saved, tmp_path / "cur.parquet").columns[0]
    exact = ss.wasserstein_distance(rng(8).normal(0, 1, 30_000), cur) / saved.columns["x"].numeric.std  # type: ignore[union-attr]
    assert column.drifted and 0 < column.error_bound < 0.01 and abs(column.score - exact) <= column.error_bound  # type: ignore[operator]
