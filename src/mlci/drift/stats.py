"""The drift tests, as Evidently 0.7's legacy stattests compute them, on sorted samples.

Every function here is pure numpy/scipy. A sample is a :class:`Points`: sorted values, each
with a weight (None: each value once, an exact sample), and for a compressed sample the range
``[lo, hi]`` of the data each point stands for (see :mod:`mlci.drift.profile`). On exact
samples every statistic is Evidently's to the last rounding; on compressed ones the functions
that can say how far off they may be return that bound too.

Evidently's definitions (src/evidently/legacy/calculations/stattests/, read at a4aa4c2):

- ``ks``: ``scipy.stats.ks_2samp(reference, current).pvalue``; drift when p <= threshold.
- ``wasserstein_normed``: ``wasserstein_distance(reference, current) / max(std(reference), 0.001)``
  (population std); drift when >= threshold.
- ``chisquare``: observed = current counts, expected = reference counts * len(current) /
  len(reference), over the union of categories; ``scipy.stats.chisquare`` p; drift when p < threshold.
- ``z`` (binary columns): the two-proportion z-test of "not the first category (sorted)";
  p = 1 when both sides hold the same single value; drift when p < threshold.
- ``jensenshannon``: ``scipy.spatial.distance.jensenshannon`` (natural log) of the shares per
  category, or, for a numeric column with more than 20 distinct reference values, per bin of
  ``np.histogram_bin_edges(reference + current, "sturges")`` (equal width over the combined range;
  Evidently ignores its n_bins there); drift when >= threshold.
- ``psi``: the same shares, zeros replaced by 0.0001 (or by the smallest non-zero share / 1e6
  when that is <= 0.0001), ``sum((r - c) * ln(r / c))``; drift when >= threshold.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

Floats = npt.NDArray[np.float64]

# Evidently's default thresholds, and how a score compares with its threshold.
THRESHOLDS = {"ks": 0.05, "wasserstein_normed": 0.1, "chisquare": 0.05, "z": 0.05, "jensenshannon": 0.1, "psi": 0.1}
P_VALUES = ("ks", "chisquare", "z")
NUMERIC_ONLY = ("ks", "wasserstein_normed")
METHODS = tuple(THRESHOLDS)
MIN_NORM = 0.001  # Evidently's floor on the reference's std in wasserstein_normed


def is_drift(method: str, score: float, threshold: float) -> bool:
    """Evidently's comparison: KS p <= threshold; chi-square and z p < threshold; distances >= threshold."""
    if method == "ks":
        return score <= threshold
    if method in P_VALUES:
        return score < threshold
    return score >= threshold


@dataclass(frozen=True)
class Points:
    """A sorted sample. ``weights`` None: each value counts once (the exact data). Otherwise each
    value is the mean of ``weights[i]`` data points that all lie in ``[lo[i], hi[i]]``."""

    values: Floats
    weights: Floats | None = None
    lo: Floats | None = None
    hi: Floats | None = None

    @property
    def total(self) -> float:
        return float(self.values.size if self.weights is None else self.weights.sum())

    @property
    def exact(self) -> bool:
        return self.lo is None or bool(np.all(self.lo == self.hi))

    def expanded(self) -> Floats:
        """An exact sample's values, each as many times as its weight."""
        assert self.exact
        return self.values if self.weights is None else np.repeat(self.values, self.weights.astype(np.int64))

    def cumulative(self) -> Floats:
        """The share of the sample at or below each value (the last is exactly 1)."""
        n = self.values.size
        out = np.arange(1, n + 1, dtype=np.float64) / n if self.weights is None else np.cumsum(self.weights) / self.total
        if n:
            out[-1] = 1.0
        return out

    def w1_error(self) -> float:
        """An upper bound on the Wasserstein-1 distance between the data and these points: a point of
        mean m standing for data in [lo, hi] is at most 2(m-lo)(hi-m)/(hi-lo) away on average."""
        if self.lo is None or self.hi is None or self.weights is None:
            return 0.0
        width = self.hi - self.lo
        with np.errstate(divide="ignore", invalid="ignore"):
            spread = np.where(width > 0, 2 * (self.values - self.lo) * (self.hi - self.values) / width, 0.0)
        return float(np.sum(self.weights * spread) / self.total)


def wasserstein(a: Points, b: Points) -> float:
    """The first Wasserstein distance between two samples (scipy.stats.wasserstein_distance's value),
    as the integral of |Qa(u) - Qb(u)| over the quantile level u: no search, one pass."""
    if a.weights is None and b.weights is None:
        n, m = a.values.size, b.values.size
        if n == m:
            return _mean_gap(a.values, b.values)
        if n * m < 2**62:
            return _w1_unit(a.values, b.values)
    return _w1_steps(a.values, a.cumulative(), b.values, b.cumulative())


def _mean_gap(va: Floats, vb: Floats, step: int = 65_536) -> float:
    """mean(|va - vb|), a cache-sized step at a time (no temporary the size of the samples)."""
    gap = np.empty(min(va.size, step))
    total = 0.0
    for start in range(0, va.size, step):
        d = gap[:min(step, va.size - start)]
        np.subtract(va[start:start + step], vb[start:start + step], out=d)
        total += float(np.abs(d, out=d).sum())
    return total / va.size if va.size else math.nan


def _w1_unit(va: Floats, vb: Floats) -> float:
    """Both samples unweighted: the breakpoints i/n and j/m merged by integer arithmetic."""
    n, m = va.size, vb.size
    i, j = np.arange(1, n + 1, dtype=np.int64), np.arange(1, m + 1, dtype=np.int64)
    a_marks, b_marks = i * m, j * n  # the breakpoints, in units of 1/(n*m)
    pos_a = (i - 1) + np.minimum(m, -((-a_marks) // n) - 1)  # a's breakpoints come first at ties
    pos_b = (j - 1) + np.minimum(n, b_marks // m)
    marks = np.empty(n + m, dtype=np.int64)
    from_a = np.zeros(n + m, dtype=bool)
    marks[pos_a], marks[pos_b], from_a[pos_a] = a_marks, b_marks, True
    return _integrate(va, vb, marks.astype(np.float64) / (n * m), from_a)


def _w1_steps(va: Floats, ca: Floats, vb: Floats, cb: Floats) -> float:
    small, big = (ca, cb) if ca.size <= cb.size else (cb, ca)
    at = np.searchsorted(big, small, side="left") + np.arange(small.size)  # the merged places of the small side's marks
    marks = np.empty(ca.size + cb.size)
    from_small = np.zeros(marks.size, dtype=bool)
    from_small[at] = True
    marks[at], marks[~from_small] = small, big
    return _integrate(va, vb, marks, from_small if small is ca else ~from_small)


def _integrate(va: Floats, vb: Floats, marks: Floats, from_a: npt.NDArray[np.bool_]) -> float:
    """Sum over the pieces [marks[k-1], marks[k]) of width * |va[ia] - vb[ib]|, where ia (ib) is the
    number of a's (b's) breakpoints before the piece."""
    widths = np.diff(marks, prepend=0.0)
    ia = np.minimum(np.cumsum(from_a) - from_a, va.size - 1)
    ib = np.minimum(np.cumsum(~from_a) - ~from_a, vb.size - 1)
    return float(np.sum(widths * np.abs(va[ia] - vb[ib])))


def compress_sorted(values: Floats, points: int) -> Points:
    """Sorted values cut into ``points`` runs of (nearly) equal length, each kept as its mass, mean and
    range: one pass, no search."""
    n = values.size
    runs = max(1, min(points, n))
    starts = (np.arange(runs) * (n / runs)).astype(np.int64)  # strictly increasing, as runs <= n
    ends = np.append(starts[1:], n)
    mass = (ends - starts).astype(np.float64)
    lo, hi = values[starts], values[ends - 1]
    mean = np.clip(np.add.reduceat(values, starts) / mass, lo, hi)
    return Points(mean, mass, lo, hi)


def ks_pvalue(a: Points, b: Points) -> float:
    """The two-sided two-sample KS p-value: scipy's ks_2samp on exact samples; on a compressed one,
    the statistic from the two step CDFs and scipy's asymptotic distribution (kstwo) for it."""
    from scipy import stats

    if a.exact and b.exact:
        return float(stats.ks_2samp(a.expanded(), b.expanded()).pvalue)
    support = np.concatenate([a.values, b.values])
    d = float(np.max(np.abs(_cdf(a, support) - _cdf(b, support))))
    big, small = sorted((a.total, b.total), reverse=True)
    return float(stats.kstwo.sf(d, np.round(big * small / (big + small))))


def _cdf(p: Points, x: Floats) -> Floats:
    cum = np.concatenate([[0.0], p.cumulative()])
    return cum[np.searchsorted(p.values, x, side="right")]


def sturges_edges(n: int, low: float, high: float) -> Floats:
    """``np.histogram_bin_edges(data, "sturges")`` for ``n`` values from ``low`` to ``high``, without the data."""
    first, last = (low - 0.5, high + 0.5) if low == high else (low, high)
    width = (high - low) / (np.log2(n) + 1.0)
    bins = int(np.ceil((last - first) / width)) if width else 1
    return np.linspace(first, last, bins + 1, endpoint=True)


def equal_edges(bins: int, low: float, high: float) -> Floats:
    """``bins`` equal-width bins over [low, high], as np.histogram makes them."""
    first, last = (low - 0.5, high + 0.5) if low == high else (low, high)
    return np.linspace(first, last, bins + 1, endpoint=True)


def histogram(p: Points, edges: Floats) -> tuple[Floats, Floats]:
    """The sample's count per bin (np.histogram's bins: [e_i, e_i+1), the last one closed) and, per bin,
    how much of that count may belong to a neighbour (0 for exact samples): a point standing for data in
    [lo, hi] may be misplaced across an edge x only when lo < x <= hi."""
    inner = edges[1:-1]
    cum = np.concatenate([[0.0], np.cumsum(p.weights)]) if p.weights is not None else np.arange(p.values.size + 1.0)
    at = cum[np.searchsorted(p.values, inner, side="left")]
    counts = np.diff(np.concatenate([[0.0], at, [cum[-1]]]))
    slack = np.zeros(counts.size)
    if p.lo is not None and p.hi is not None and p.weights is not None and inner.size:
        edge = np.array([p.weights[(p.lo < x) & (p.hi >= x)].sum() for x in inner])
        slack[:-1] += edge
        slack[1:] += edge
    return counts, slack


def shares_error(shares: Floats, slack: Floats) -> float:
    """A bound on the Jensen-Shannon distance between the true shares and ``shares`` when each may be off
    by ``slack``: JSD(p, q) <= (ln 2 / 2) * sum((p - q)^2 / (p + q)) (Topsoe 2000), and JS distance is a
    metric, so a score moves by at most this much."""
    if not np.any(slack):
        return 0.0
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(slack > 0, slack**2 / np.maximum(2 * shares - slack, slack), 0.0)
    return math.sqrt(math.log(2) / 2 * float(terms.sum()))


def chisquare_pvalue(reference: Floats, current: Floats) -> float:
    """Counts over the union of categories: expected = reference scaled to the current's size."""
    from scipy import stats

    expected = reference * (current.sum() / reference.sum())
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(stats.chisquare(current, expected).pvalue)


def z_pvalue(reference: Floats, current: Floats) -> float:
    """Counts of two categories (the first of them sorted first): the two-proportion z-test of the second."""
    from scipy import stats

    if reference.size == 1 or (np.count_nonzero(reference) == 1 and np.array_equal(reference > 0, current > 0)
                                and np.count_nonzero(current) == 1):
        return 1.0
    n1, n2 = reference.sum(), current.sum()
    p1, p2 = reference[1:].sum() / n1, current[1:].sum() / n2
    pooled = (p1 * n1 + p2 * n2) / (n1 + n2)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (p1 - p2) / np.sqrt(pooled * (1 - pooled) * (1.0 / n1 + 1.0 / n2))
    return float(2 * (1 - stats.norm.cdf(np.abs(z))))


def jensenshannon(reference: Floats, current: Floats) -> float:
    """scipy's Jensen-Shannon distance (natural log) of two vectors of shares."""
    from scipy.spatial import distance

    return float(distance.jensenshannon(reference, current))


def fill_zeroes(shares: Floats) -> Floats:
    """Evidently's replacement of empty shares: 0.0001, or the smallest share / 1e6 when that is <= 0.0001."""
    positive = shares[shares > 0]
    if not positive.size:
        return shares
    smallest = float(positive.min())
    return np.where(shares == 0, smallest / 10**6 if smallest <= 0.0001 else 0.0001, shares)


def psi(reference: Floats, current: Floats) -> float:
    r, c = fill_zeroes(reference), fill_zeroes(current)
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(np.sum((r - c) * np.log(r / c)))


def psi_error(reference: Floats, r_slack: Floats, current: Floats, c_slack: Floats) -> float:
    """A bound on how far PSI may move when each share may be off by its slack: each bin's term
    (r - c) ln(r / c) is convex in r and in c, so it is largest at a corner of the box of possible
    shares (kept above 1e-12, as a share of 0 is replaced). Large when a bin's share is within its
    slack of 0: PSI is that sensitive there."""
    r, c = fill_zeroes(reference), fill_zeroes(current)
    best = np.zeros(r.size)
    for dr in (-1.0, 0.0, 1.0):
        for dc in (-1.0, 0.0, 1.0):
            rr, cc = np.maximum(r + dr * r_slack, 1e-12), np.maximum(c + dc * c_slack, 1e-12)
            best = np.maximum(best, np.abs((rr - cc) * np.log(rr / cc) - (r - c) * np.log(r / c)))
    return float(best.sum())
