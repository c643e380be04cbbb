"""mlci.drift.stats against scipy's and numpy's own computations (Evidently's definitions)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats as ss
from scipy.spatial import distance

from mlci.drift import stats
from mlci.drift.stats import Points

RNG = np.random.default_rng(20260)


@pytest.mark.parametrize(("n", "m"), [(1, 1), (7, 10), (500, 500), (999, 1000), (20_000, 3_001)])
def test_wasserstein_is_scipys(n: int, m: int) -> None:
    a, b = np.sort(RNG.normal(0, 1, n)), np.sort(RNG.standard_t(3, m))
    assert stats.wasserstein(Points(a), Points(b)) == pytest.approx(ss.wasserstein_distance(a, b), rel=1e-9, abs=1e-12)


def test_weighted_wasserstein_is_scipys() -> None:
    a, b = np.sort(RNG.normal(0, 1, 300)), np.sort(RNG.normal(0.3, 2, 40))
    wa, wb = RNG.integers(1, 9, a.size).astype(float), RNG.uniform(0.5, 3, b.size)
    assert stats.wasserstein(Points(a, wa), Points(b, wb)) == pytest.approx(ss.wasserstein_distance(a, b, wa, wb), rel=1e-9)
    assert stats.wasserstein(Points(a), Points(b, wb)) == pytest.approx(ss.wasserstein_distance(a, b, None, wb), rel=1e-9)


def test_ties_are_handled_like_scipy() -> None:
    a, b = np.sort(RNG.integers(0, 5, 400).astype(float)), np.sort(RNG.integers(1, 7, 250).astype(float))
    assert stats.wasserstein(Points(a), Points(b)) == pytest.approx(ss.wasserstein_distance(a, b), rel=1e-9)


def test_ks_is_scipys_on_exact_samples() -> None:
    a, b = np.sort(RNG.normal(0, 1, 800)), np.sort(RNG.normal(0.1, 1, 5000))
    assert stats.ks_pvalue(Points(a), Points(b)) == ss.ks_2samp(a, b).pvalue


def test_ks_on_a_compressed_sample_uses_the_asymptotic_distribution_of_its_statistic() -> None:
    a, b = np.sort(RNG.normal(0, 1, 800)), np.sort(RNG.normal(0.2, 1, 200_000))
    exact = ss.ks_2samp(a, b, method="asymp").pvalue
    assert stats.ks_pvalue(Points(a), stats.compress_sorted(b, 4096)) == pytest.approx(exact, rel=0.05)


def test_chisquare_is_evidently_form_of_scipys() -> None:
    ref, cur = np.array([50.0, 30, 20, 0]), np.array([10.0, 12, 5, 3])
    expected = ref * cur.sum() / ref.sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        assert stats.chisquare_pvalue(ref, cur) == ss.chisquare(cur, expected).pvalue
    ref2 = np.array([40.0, 35, 25])
    assert stats.chisquare_pvalue(ref2, cur[:3]) == pytest.approx(ss.chisquare(cur[:3], ref2 * cur[:3].sum() / ref2.sum()).pvalue)


def test_z_test_is_the_two_proportion_test() -> None:
    ref, cur = np.array([60.0, 40]), np.array([45.0, 55])
    p1, p2, pooled = 0.4, 0.55, (40 + 55) / 200
    z = (p1 - p2) / np.sqrt(pooled * (1 - pooled) * (1 / 100 + 1 / 100))
    assert stats.z_pvalue(ref, cur) == pytest.approx(2 * ss.norm.sf(abs(z)))
    assert stats.z_pvalue(np.array([10.0]), np.array([7.0])) == 1.0


def test_jensenshannon_and_psi() -> None:
    r, c = np.array([0.5, 0.3, 0.2, 0.0]), np.array([0.4, 0.3, 0.1, 0.2])
    assert stats.jensenshannon(r, c) == distance.jensenshannon(r, c)
    rf = np.where(r == 0, 0.0001, r)
    assert stats.psi(r, c) == pytest.approx(np.sum((rf - c) * np.log(rf / c)))
    tiny = np.array([0.99995, 0.00005, 0.0])  # the smallest share <= 0.0001: zeros become it / 1e6
    assert stats.fill_zeroes(tiny)[2] == pytest.approx(0.00005 / 1e6)


@pytest.mark.parametrize("n", [2, 31, 1000, 123_457])
def test_sturges_edges_are_numpys(n: int) -> None:
    x = RNG.lognormal(0, 1, n)
    assert np.array_equal(stats.sturges_edges(n, float(x.min()), float(x.max())), np.histogram_bin_edges(x, "sturges"))
    const = np.full(n, 3.0)
    assert np.array_equal(stats.sturges_edges(n, 3.0, 3.0), np.histogram_bin_edges(const, "sturges"))


def test_histogram_counts_are_numpys_at_the_edges() -> None:
    x = np.sort(np.round(RNG.normal(0, 1, 10_000), 1))  # many values exactly on edges
    edges = stats.equal_edges(12, float(x.min()), float(x.max()))
    counts, slack = stats.histogram(Points(x), edges)
    assert np.array_equal(counts, np.histogram(x, edges)[0]) and not slack.any()


def test_compressed_histogram_is_within_its_slack() -> None:
    x = np.sort(RNG.normal(0, 1, 50_000))
    edges = stats.sturges_edges(x.size, float(x.min()), float(x.max()))
    counts, slack = stats.histogram(stats.compress_sorted(x, 1024), edges)
    true = np.histogram(x, edges)[0]
    assert np.all(np.abs(counts - true) <= slack + 1e-9) and slack.max() > 0


def test_the_compression_bounds_hold() -> None:
    for x in (RNG.normal(0, 1, 30_000), RNG.lognormal(0, 2, 30_000), RNG.integers(0, 4, 30_000).astype(float)):
        x = np.sort(x)
        y = np.sort(RNG.normal(0.5, 1, 7000))
        p = stats.compress_sorted(x, 1024)
        assert p.total == x.size
        assert abs(stats.wasserstein(p, Points(y)) - ss.wasserstein_distance(x, y)) <= p.w1_error() + 1e-12
        edges = stats.sturges_edges(x.size + y.size, min(x[0], y[0]), max(x[-1], y[-1]))
        counts, slack = stats.histogram(p, edges)
        true = np.histogram(x, edges)[0] / x.size
        ys = np.histogram(y, edges)[0] / y.size
        bound = stats.shares_error(counts / x.size, slack / x.size)
        assert abs(distance.jensenshannon(counts / x.size, ys) - distance.jensenshannon(true, ys)) <= bound + 1e-12


@pytest.mark.parametrize("method", stats.METHODS)
def test_the_comparison_with_the_threshold_is_evidentlys(method: str) -> None:
    t = stats.THRESHOLDS[method]
    if method == "ks":
        assert stats.is_drift(method, t, t) and not stats.is_drift(method, t * 1.01, t)
    elif method in stats.P_VALUES:
        assert not stats.is_drift(method, t, t) and stats.is_drift(method, t * 0.99, t)
    else:
        assert stats.is_drift(method, t, t) and not stats.is_drift(method, t * 0.99, t)
