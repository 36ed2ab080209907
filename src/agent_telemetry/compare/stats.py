"""The statistics of a comparison, on the standard library alone (``statistics.NormalDist``).

Rates (run success, tool errors) are compared with the two-proportion z-test. Distributions (run
duration, cost, tokens, steps, quality, call latency) are compared with the Mann-Whitney U test on
binned counts: Prometheus keeps only histogram buckets, and the U statistic is exact on them with the
usual correction for ties (every observation in one bucket is a tie). Raw values (recordings) are the
same test with one bin per distinct value.

Means (cost, tokens, steps per run, quality) are exact from ``_sum`` and ``_count``, and are compared
with a z-test of the difference of means (Welch). From buckets the variance is estimated as if each
observation sat at its bucket's middle plus the bucket's width squared over 12 (uniform inside it),
which over-estimates it for values bunched inside a bucket, so the test errs towards "no change".
It sees what Mann-Whitney cannot: a 40 % costlier version whose runs stay in the same bucket.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from statistics import NormalDist

# Below this many observations on a side, the normal approximations of both tests are not to be trusted.
MIN_OBSERVATIONS = 10
_NORMAL = NormalDist()


@dataclass(frozen=True, slots=True)
class TestResult:
    p_value: float | None  # None: too little data to tell
    test: str

    @property
    def too_little_data(self) -> bool:
        return self.p_value is None


@dataclass(frozen=True, slots=True)
class Distribution:
    """Counts in ordered bins: ``counts[i]`` observations at most ``bounds[i]`` (and above the bin before).

    From a Prometheus histogram, ``bounds`` are its ``le`` boundaries (the last is +Inf); from raw values,
    each distinct value is a bin and ``exact`` is true. ``total`` is the sum of the observations.
    """

    bounds: tuple[float, ...]
    counts: tuple[float, ...]
    total: float
    exact: bool = False

    @classmethod
    def of_values(cls, values: Iterable[float]) -> Distribution:
        counted = sorted(Counter(values).items())
        return cls(
            tuple(v for v, _ in counted),
            tuple(float(c) for _, c in counted),
            sum(v * c for v, c in counted),
            True,
        )

    @classmethod
    def of_cumulative(cls, buckets: dict[float, float], total: float) -> Distribution:
        """From Prometheus ``_bucket`` values (cumulative, by ``le``) and ``_sum``."""
        bounds = tuple(sorted(buckets))
        counts, below = [], 0.0
        for bound in bounds:
            counts.append(max(buckets[bound] - below, 0.0))
            below = max(buckets[bound], below)
        return cls(bounds, tuple(counts), total)

    @property
    def count(self) -> float:
        return sum(self.counts)

    @property
    def mean(self) -> float | None:
        return self.total / self.count if self.count else None

    def variance(self) -> float | None:
        """The sample variance; from buckets an over-estimate (see the module), None past the last finite
        bucket."""
        n, mean = self.count, self.mean
        if n < 2 or mean is None:
            return None
        if self.exact:
            return sum(c * (v - mean) ** 2 for v, c in zip(self.bounds, self.counts, strict=True)) / (n - 1)
        spread, lower = 0.0, min(0.0, self.bounds[0])
        for bound, c in zip(self.bounds, self.counts, strict=True):
            if c and not math.isfinite(bound):
                return None
            if c:
                middle, width = (lower + bound) / 2, bound - lower
                spread += c * ((middle - mean) ** 2 + width**2 / 12)
            lower = bound
        return spread / (n - 1)

    def quantile(self, q: float) -> float | None:
        """The ``q`` quantile: exact for raw values; for buckets, Prometheus's ``histogram_quantile``
        (linear inside the bucket, the upper bound of the last finite one past it)."""
        n = self.count
        if not n:
            return None
        rank = q * n
        if self.exact:
            seen = 0.0
            for bound, c in zip(self.bounds, self.counts, strict=True):
                seen += c
                if seen >= max(math.ceil(rank), 1):
                    return bound
            return self.bounds[-1]
        seen, lower = 0.0, 0.0
        finite = [b for b in self.bounds if math.isfinite(b)]
        for bound, c in zip(self.bounds, self.counts, strict=True):
            if seen + c >= rank and c > 0:
                if not math.isfinite(bound):
                    return finite[-1] if finite else None
                return lower + (bound - lower) * (rank - seen) / c
            seen += c
            lower = bound if math.isfinite(bound) else lower
        return finite[-1] if finite else None


def two_proportions(hits_a: float, n_a: float, hits_b: float, n_b: float) -> TestResult:
    """Two-sided two-proportion z-test (pooled) of ``hits_a/n_a`` against ``hits_b/n_b``."""
    test = "two-proportion z-test"
    if min(n_a, n_b) < MIN_OBSERVATIONS:
        return TestResult(None, test)
    pooled = (hits_a + hits_b) / (n_a + n_b)
    variance = pooled * (1 - pooled) * (1 / n_a + 1 / n_b)
    if variance <= 0:  # both sides all hits or all misses: no difference at all
        return TestResult(1.0, test)
    z = (hits_b / n_b - hits_a / n_a) / math.sqrt(variance)
    return TestResult(_two_sided(z), test)


def mann_whitney(a: Distribution, b: Distribution) -> TestResult:
    """Two-sided Mann-Whitney U test on two distributions binned alike (normal approximation, ties
    corrected, continuity corrected). Raw-value distributions may have different bins: they are merged."""
    test = "Mann-Whitney U"
    if a.exact and b.exact:
        a, b = _merged(a, b)
    elif a.bounds != b.bounds:
        raise ValueError("the two histograms have different buckets; compare the same metric")
    n_a, n_b = a.count, b.count
    if min(n_a, n_b) < MIN_OBSERVATIONS:
        return TestResult(None, test)
    u, below_b = 0.0, 0.0
    for count_a, count_b in zip(a.counts, b.counts, strict=True):
        u += count_a * (below_b + count_b / 2)  # pairs where b is below a, ties half
        below_b += count_b
    n = n_a + n_b
    ties = sum((t := ca + cb) ** 3 - t for ca, cb in zip(a.counts, b.counts, strict=True))
    variance = n_a * n_b / 12 * ((n + 1) - ties / (n * (n - 1)))
    if variance <= 0:  # every observation in one bin: nothing tells them apart
        return TestResult(1.0, test)
    mean = n_a * n_b / 2
    z = (abs(u - mean) - 0.5) / math.sqrt(variance)
    return TestResult(_two_sided(max(z, 0.0)), test)


def difference_of_means(a: Distribution, b: Distribution) -> TestResult:
    """Two-sided z-test of ``b.mean - a.mean`` with each side's variance (from buckets: an over-estimate)."""
    test = "difference of means (Welch z)"
    if min(a.count, b.count) < MIN_OBSERVATIONS:
        return TestResult(None, test)
    variances = (a.variance(), b.variance())
    if None in variances:  # observations past the last finite bucket: their spread is unknown
        return mann_whitney(a, b)
    standard_error = math.sqrt(variances[0] / a.count + variances[1] / b.count)  # type: ignore[operator]
    if standard_error == 0:
        return TestResult(1.0 if a.mean == b.mean else 0.0, test)
    return TestResult(_two_sided((b.mean - a.mean) / standard_error), test)  # type: ignore[operator]


def _merged(a: Distribution, b: Distribution) -> tuple[Distribution, Distribution]:
    bounds = tuple(sorted(set(a.bounds) | set(b.bounds)))

    def spread(d: Distribution) -> Distribution:
        by_bound = dict(zip(d.bounds, d.counts, strict=True))
        return Distribution(bounds, tuple(by_bound.get(x, 0.0) for x in bounds), d.total, True)

    return spread(a), spread(b)


def _two_sided(z: float) -> float:
    return 2 * (1 - _NORMAL.cdf(abs(z)))


def bonferroni(alpha: float, tests: int) -> float:
    """The level for each of ``tests`` tests, so that any one firing by chance stays below ``alpha``."""
    return alpha / max(tests, 1)


def histogram_of(values: Sequence[float], bounds: Sequence[float]) -> Distribution:
    """Raw values counted into histogram buckets (the last bound should be +Inf), as Prometheus would."""
    counts = [0.0] * len(bounds)
    for value in values:
        counts[next(i for i, bound in enumerate(bounds) if value <= bound)] += 1
    return Distribution(tuple(bounds), tuple(counts), float(sum(values)))
