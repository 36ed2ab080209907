"""The statistics of compare, on known answers: textbook values, and seeded synthetic data whose true
difference is known (power) or is none (the false-positive rate stays at the stated level)."""

import math
import random

import pytest

from agent_telemetry import contract
from agent_telemetry.compare.prometheus import exact_increase
from agent_telemetry.compare.stats import (
    Distribution,
    difference_of_means,
    histogram_of,
    mann_whitney,
    two_proportions,
)

ALPHA = 0.05
BUCKETS = (*contract.RUN_COST_BUCKETS, math.inf)


def test_two_proportions_gives_the_textbook_p_value():
    # pooled 0.525, z = 0.15 / sqrt(0.525 * 0.475 * (1/100 + 1/100)) = 2.124
    assert two_proportions(45, 100, 60, 100).p_value == pytest.approx(0.033672, abs=1e-6)


def test_two_proportions_with_no_misses_on_either_side_find_no_difference():
    assert two_proportions(50, 50, 80, 80).p_value == 1.0


def test_two_proportions_say_too_little_data_below_ten_on_a_side():
    assert two_proportions(1, 9, 50, 100).too_little_data


def test_mann_whitney_on_separated_samples_gives_the_textbook_p_value():
    # U = 0, mean 50, variance 10 * 10 * 21 / 12: z = 49.5 / 13.229 = 3.742 (scipy: 0.00018267)
    result = mann_whitney(Distribution.of_values(range(1, 11)), Distribution.of_values(range(11, 21)))
    assert result.p_value == pytest.approx(0.00018267, abs=1e-8)


def test_mann_whitney_with_everything_in_one_bucket_finds_no_difference():
    a = histogram_of([0.003] * 20, BUCKETS)
    b = histogram_of([0.004] * 30, BUCKETS)  # the same bucket (0.0025, 0.005]
    assert mann_whitney(a, b).p_value == 1.0


def test_mann_whitney_refuses_histograms_with_different_buckets():
    with pytest.raises(ValueError, match="different buckets"):
        mann_whitney(histogram_of([1.0] * 10, (1.0, math.inf)), histogram_of([1.0] * 10, (2.0, math.inf)))


def test_mann_whitney_says_too_little_data_below_ten_on_a_side():
    assert mann_whitney(Distribution.of_values(range(9)), Distribution.of_values(range(50))).too_little_data


def test_difference_of_means_on_raw_values_gives_the_welch_z_p_value():
    # means 5.5 and 6.5, variances 55/6 each: z = 1 / sqrt(2 * 55/6 / 10) = 0.7385
    result = difference_of_means(Distribution.of_values(range(1, 11)), Distribution.of_values(range(2, 12)))
    assert result.p_value == pytest.approx(0.460181, abs=1e-6)


def test_the_variance_from_buckets_counts_each_buckets_width():
    # 10 at 0.5 in (0, 1], 10 at 1.5 in (1, 2]: midpoints give 20/19 * 0.25, widths add 1/12 each.
    histogram = Distribution.of_cumulative({1.0: 10, 2.0: 20, math.inf: 20}, total=20.0)
    assert histogram.variance() == pytest.approx((20 * 0.25 + 20 / 12) / 19, rel=1e-12)


def test_the_variance_is_unknown_past_the_last_finite_bucket():
    assert Distribution.of_cumulative({1.0: 10, math.inf: 11}, total=30.0).variance() is None


def test_histogram_quantiles_interpolate_inside_the_bucket_as_prometheus_does():
    histogram = Distribution.of_cumulative({1.0: 10, 2.0: 20, math.inf: 20}, total=25.0)
    assert (histogram.quantile(0.5), histogram.quantile(0.95), histogram.mean) == (1.0, 1.9, 1.25)


def test_quantiles_of_raw_values_are_exact():
    values = Distribution.of_values([5, 1, 3, 2, 4, 6, 7, 8, 9, 10])
    assert (values.quantile(0.5), values.quantile(0.95)) == (5, 10)


# -- Seeded synthetic data -----------------------------------------------------------------------------
def costs(rng: random.Random, n: int, mean: float) -> list[float]:
    """Run costs, lognormal with the given mean (sigma 0.5)."""
    sigma = 0.5
    mu = math.log(mean) - sigma**2 / 2
    return [rng.lognormvariate(mu, sigma) for _ in range(n)]


def successes(rng: random.Random, n: int, rate: float) -> int:
    return sum(rng.random() < rate for _ in range(n))


def rejection_rate(trial, trials: int = 400) -> float:
    return sum(trial(random.Random(seed)) < ALPHA for seed in range(trials)) / trials


def test_a_ten_point_drop_in_success_is_found_in_nearly_every_trial_of_300_runs():
    def trial(rng: random.Random) -> float:
        return two_proportions(successes(rng, 300, 0.95), 300, successes(rng, 300, 0.85), 300).p_value

    assert rejection_rate(trial) >= 0.95


def test_forty_percent_more_cost_per_run_is_found_from_histogram_buckets_in_nearly_every_trial():
    def trial(rng: random.Random) -> float:
        a = histogram_of(costs(rng, 100, 0.05), BUCKETS)
        b = histogram_of(costs(rng, 100, 0.07), BUCKETS)
        return mann_whitney(a, b).p_value

    assert rejection_rate(trial) >= 0.95


@pytest.mark.parametrize("rate", [0.5, 0.9, 0.97])
def test_two_proportions_on_one_rate_reject_at_most_at_the_stated_level(rate):
    def trial(rng: random.Random) -> float:
        return two_proportions(successes(rng, 200, rate), 200, successes(rng, 200, rate), 200).p_value

    # 1,000 trials: the rate's standard error is 0.007, so 0.07 is three of them above 0.05.
    assert rejection_rate(trial, trials=1000) <= 0.07


def test_mann_whitney_on_one_cost_distribution_rejects_at_most_at_the_stated_level():
    def trial(rng: random.Random) -> float:
        return mann_whitney(
            histogram_of(costs(rng, 150, 0.05), BUCKETS), histogram_of(costs(rng, 150, 0.05), BUCKETS)
        ).p_value

    assert rejection_rate(trial, trials=1000) <= 0.07


def test_mann_whitney_on_raw_values_of_one_distribution_rejects_at_most_at_the_stated_level():
    def trial(rng: random.Random) -> float:
        return mann_whitney(
            Distribution.of_values(costs(rng, 40, 1.0)), Distribution.of_values(costs(rng, 40, 1.0))
        ).p_value

    assert rejection_rate(trial, trials=1000) <= 0.07


def uniform_costs(rng: random.Random, n: int, scale: float) -> list[float]:
    """Run costs that all stay inside one bucket of agent_run_cost_usd, (0.0025, 0.005], times ``scale``."""
    return [rng.uniform(0.0026, 0.0034) * scale for _ in range(n)]


def test_forty_percent_more_cost_inside_one_bucket_is_found_from_the_means():
    def trial(rng: random.Random) -> float:
        a = histogram_of(uniform_costs(rng, 60, 1.0), BUCKETS)
        b = histogram_of(uniform_costs(rng, 60, 1.4), BUCKETS)
        assert a.counts == b.counts  # the buckets alone cannot tell them apart
        return difference_of_means(a, b).p_value

    assert rejection_rate(trial) >= 0.95


@pytest.mark.parametrize("draw", [costs, uniform_costs], ids=["lognormal", "inside-one-bucket"])
def test_difference_of_means_from_buckets_rejects_at_most_at_the_stated_level(draw):
    def trial(rng: random.Random) -> float:
        return difference_of_means(
            histogram_of(draw(rng, 150, 0.05), BUCKETS), histogram_of(draw(rng, 150, 0.05), BUCKETS)
        ).p_value

    assert rejection_rate(trial, trials=1000) <= 0.07


def test_difference_of_means_on_raw_values_rejects_at_most_at_the_stated_level():
    def trial(rng: random.Random) -> float:
        return difference_of_means(
            Distribution.of_values(costs(rng, 40, 1.0)), Distribution.of_values(costs(rng, 40, 1.0))
        ).p_value

    assert rejection_rate(trial, trials=1000) <= 0.07


# -- Exact counter increases from raw samples ----------------------------------------------------------
def test_a_counter_increase_is_exact_across_a_reset_and_from_a_baseline_before_the_window():
    # 5 at the window's start, then 7, a restart (2), 4: 2 + 2 + 2 = 6
    assert exact_increase([[100, "5"], [110, "7"], [120, "2"], [130, "4"]], start=105) == 6


def test_a_series_born_inside_the_window_counts_from_zero():
    assert exact_increase([[110, "3"], [120, "3"]], start=105) == 3
