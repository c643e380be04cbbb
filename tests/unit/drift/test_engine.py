"""The choice of test (Evidently's defaults), each column's verdict and the dataset's; known shifts and none."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy import stats as ss
from scipy.spatial import distance

from mlci.drift import ColumnOptions, DriftOptions, compare
from tests.unit.drift.conftest import prof, rng


def one(ref: object, cur: object, **options: object) -> dict:
    result = compare(prof(x=ref), prof(x=cur), DriftOptions(columns={"x": ColumnOptions(**options)}))  # type: ignore[arg-type]
    return result.columns[0].to_dict() | {"bound": result.columns[0].error_bound}


def test_small_numeric_reference_is_ks_and_scipys_p() -> None:
    a, b = rng(1).normal(0, 1, 1000), rng(2).normal(0.3, 1, 400)
    out = one(a, b)
    assert out["method"] == "ks" and out["score"] == ss.ks_2samp(a, b).pvalue and out["drifted"]
    assert out["reference_rows"] == 1000 and out["current_rows"] == 400 and out["threshold"] == 0.05


def test_large_numeric_reference_is_normed_wasserstein() -> None:
    a, b = rng(1).normal(5, 2, 1001), rng(2).normal(5.3, 2, 700)
    out = one(a, b)
    assert out["method"] == "wasserstein_normed"
    assert out["score"] == pytest.approx(ss.wasserstein_distance(a, b) / np.std(a), rel=1e-9)
    assert out["drifted"] == (out["score"] >= 0.1)


def test_categorical_small_is_chisquare_and_binary_is_z() -> None:
    labels = np.array(["a", "b", "c"])
    a, b = labels[rng(1).integers(0, 3, 900)], labels[rng(2).integers(0, 3, 300)]
    out = one(a.tolist(), b.tolist())
    ra, rb = [np.array([np.sum(x == k) for k in labels], dtype=float) for x in (a, b)]
    assert out["method"] == "chisquare" and out["score"] == pytest.approx(ss.chisquare(rb, ra * rb.sum() / ra.sum()).pvalue)
    assert one(["y", "n"] * 300, ["y", "n", "y"] * 100)["method"] == "z"


def test_categorical_large_is_jensenshannon_of_the_shares() -> None:
    a, b = ["a"] * 700 + ["b"] * 500, ["a"] * 100 + ["b"] * 200 + ["c"] * 50
    out = one(a, b)
    assert out["method"] == "jensenshannon" and out["kind"] == "categorical"
    assert out["score"] == pytest.approx(distance.jensenshannon([700 / 1200, 500 / 1200, 0], [100 / 350, 200 / 350, 50 / 350]))
    assert out["drifted"]


def test_numeric_with_few_values_is_tested_as_categories() -> None:
    a = rng(1).choice([0.5, 1.5, 2.5], 3000)
    out = one(a, rng(2).choice([0.5, 1.5, 2.5], 800))
    assert out["kind"] == "numeric" and out["method"] == "jensenshannon"
    assert one(a[:900], a[900:1500])["method"] == "chisquare"


def test_integers_of_few_values_are_categorical_as_evidently_infers() -> None:
    assert one(rng(1).integers(0, 8, 2000), rng(2).integers(0, 8, 500))["kind"] == "categorical"
    assert one(rng(1).integers(0, 80, 2000), rng(2).integers(0, 80, 500))["kind"] == "numeric"


def test_numeric_jensenshannon_bins_are_sturges_over_both_sides() -> None:
    a, b = rng(1).normal(0, 1, 5000), rng(2).normal(0.2, 1.2, 3000)
    edges = np.histogram_bin_edges(np.concatenate([a, b]), "sturges")
    want = distance.jensenshannon(np.histogram(a, edges)[0] / a.size, np.histogram(b, edges)[0] / b.size)
    assert one(a, b, method="jensenshannon")["score"] == pytest.approx(want)
    ten = np.linspace(min(a.min(), b.min()), max(a.max(), b.max()), 11)
    r, c = np.histogram(a, ten)[0] / a.size, np.histogram(b, ten)[0] / b.size
    r, c = np.where(r == 0, 0.0001, r), np.where(c == 0, 0.0001, c)
    assert one(a, b, method="psi", bins=10)["score"] == pytest.approx(np.sum((r - c) * np.log(r / c)))


def test_method_and_threshold_are_overridable() -> None:
    a, b = rng(1).normal(0, 1, 3000), rng(2).normal(0.05, 1, 3000)
    out = one(a, b, method="ks", threshold=0.5)
    assert out["method"] == "ks" and out["threshold"] == 0.5 and out["score"] == ss.ks_2samp(a, b).pvalue
    assert one(a, b, threshold=0.01)["drifted"]
    with pytest.raises(ValueError, match="unknown drift method"):
        ColumnOptions(method="magic")


@pytest.mark.parametrize(("make", "shifted"), [
    (lambda g, n, s: g.normal(s, 1, n), 0.5),
    (lambda g, n, s: g.lognormal(s, 0.7, n), 0.4),
])
@pytest.mark.parametrize("n", [600, 20_000])
def test_known_shifts_are_found(make: object, shifted: float, n: int) -> None:
    ref, cur = make(rng(3), n, 0.0), make(rng(4), n // 2, shifted)  # type: ignore[operator]
    assert one(ref, cur)["drifted"]


def test_no_shift_false_alarms_at_the_nominal_rate() -> None:
    """200 KS tests without shift at 0.05: the number of alarms is Binomial(200, 0.05); accept the
    central 99.9% of it (3..22)."""
    alarms = 0
    g = rng(99)
    for _ in range(200):
        alarms += one(g.normal(0, 1, 300), g.normal(0, 1, 200))["drifted"]
    low, high = ss.binom.ppf(0.0005, 200, 0.05), ss.binom.ppf(0.9995, 200, 0.05)
    assert low <= alarms <= high


def test_no_shift_large_samples_do_not_drift_by_distance() -> None:
    g = rng(7)
    assert not any(one(g.normal(0, 1, 20_000), g.normal(0, 1, 5_000))["drifted"] for _ in range(5))


def test_dataset_verdict_and_its_json_shape() -> None:
    g = rng(5)
    ref = prof(a=g.normal(0, 1, 2000), b=g.normal(0, 1, 2000), c=["x", "y"] * 1000)
    cur = prof(a=g.normal(1, 1, 500), b=g.normal(0, 1, 500), c=["x", "y"] * 250)
    result = compare(ref, cur)
    data = json.loads(json.dumps(result.to_dict()))
    assert list(data) == ["dataset_drift", "drifted_share", "threshold_share", "columns"]
    assert list(data["columns"][0]) == ["column", "kind", "method", "score", "threshold", "drifted",
                                        "reference_rows", "current_rows"]
    assert data["drifted_share"] == pytest.approx(1 / 3) and data["dataset_drift"] is False
    assert compare(ref, cur, DriftOptions(threshold_share=0.3)).dataset_drift
    assert [c["column"] for c in data["columns"]] == ["a", "b", "c"]
