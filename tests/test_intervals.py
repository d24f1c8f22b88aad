"""Seed intervals: Student-t quantiles against published values, and the interval of a mean
computed by hand."""

import math

import pandas as pd
import pytest

from anatomy.core import intervals
from anatomy.core.intervals import compare_phrase, mean_ci, over_seeds, paired_difference, t975


@pytest.mark.parametrize(
    "df, published",
    [(1, 12.706), (2, 4.303), (4, 2.776), (9, 2.262), (30, 2.042), (60, 2.000), (120, 1.980)],
)
def test_t_quantiles_match_the_published_table(df, published):
    assert t975(df) == pytest.approx(published, abs=1.5e-3)


def test_t_quantiles_fall_towards_the_normal_one():
    values = [t975(df) for df in range(1, 200)]
    assert all(a > b for a, b in zip(values, values[1:], strict=False))
    assert values[-1] == pytest.approx(1.972, abs=1e-3)  # df = 199
    assert t975(100_000) == pytest.approx(1.95998, abs=1e-4)


def test_three_seeds_give_the_t_interval_by_hand():
    # mean 0.5, sample sd 0.1, three values: 4.303 * 0.1 / sqrt(3)
    mean, half = mean_ci([0.4, 0.5, 0.6])
    assert mean == pytest.approx(0.5)
    assert half == pytest.approx(4.303 * 0.1 / math.sqrt(3), rel=1e-6)


def test_one_seed_has_no_interval():
    mean, half = mean_ci([0.7])
    assert mean == 0.7 and math.isnan(half)


def test_over_seeds_averages_within_a_seed_first_and_keeps_group_order():
    table = pd.DataFrame(
        {
            "model": ["b", "b", "b", "b", "a", "a"],
            "seed": [0, 0, 1, 2, 0, 1],
            "acc": [0.2, 0.4, 0.5, 0.6, 1.0, 0.0],
        }
    )
    out = over_seeds(table, ["model"], ["acc"])
    assert list(out.model) == ["b", "a"]
    b = out.iloc[0]
    assert b.seeds == 3 and b.acc == pytest.approx(
        (0.3 + 0.5 + 0.6) / 3
    )  # seed 0 counts once, as 0.3
    assert b.acc_ci == pytest.approx(mean_ci([0.3, 0.5, 0.6])[1])
    assert out.iloc[1].acc_ci == pytest.approx(12.706 * 0.5)  # sd sqrt(1/2), two seeds)


def test_a_paired_difference_uses_the_per_seed_differences():
    # The seeds move together: the paired interval is narrow though each side varies a lot.
    a, b = [0.9, 0.5, 0.7], [0.8, 0.4, 0.6]
    mean, half = paired_difference(a, b)
    assert mean == pytest.approx(0.1) and half == pytest.approx(0.0, abs=1e-12)
    with pytest.raises(ValueError):
        paired_difference([1.0], [1.0, 2.0])


@pytest.mark.parametrize(
    "mean, half, expected",
    [(0.1, 0.05, "up"), (-0.1, 0.05, "down"), (0.03, 0.05, "same"), (-0.03, 0.05, "same")],
)
def test_the_verdict_follows_the_interval(mean, half, expected):
    assert compare_phrase(mean, half, "up", "down", "same", "open") == expected


def test_one_seed_gives_no_verdict_whatever_its_difference():
    assert compare_phrase(0.2, math.nan, "up", "down", "same", "open") == "open"
    assert compare_phrase(0.0, math.nan, "up", "down", "same", "open") == "open"


def test_wilson_interval_matches_published_values():
    """Wilson score intervals, 95%: 50 of 100 is [0.4038, 0.5962] and 0 of 10 is
    [0, 0.2775] (e.g. Brown, Cai & DasGupta 2001, and any table of the score interval)."""
    low, high = intervals.wilson(0.5, 100)
    assert low == pytest.approx(0.4038, abs=1e-4) and high == pytest.approx(0.5962, abs=1e-4)
    low, high = intervals.wilson(0.0, 10)
    assert low == pytest.approx(0.0, abs=1e-12) and high == pytest.approx(0.2775, abs=1e-4)


def test_against_chance_needs_the_whole_interval_on_one_side():
    words = dict(above="above", level="level", below="below")
    assert intervals.against_chance(0.95, 256, 0.5, **words) == "above"
    assert intervals.against_chance(0.53, 256, 0.5, **words) == "level"  # [0.47, 0.59]
    assert intervals.against_chance(0.40, 256, 0.5, **words) == "below"  # [0.34, 0.46]
    assert intervals.against_chance(0.60, 16, 0.5, **words) == "level"  # too few trials
    assert intervals.against_chance(math.nan, 0, 0.5, **words, unresolved="none") == "none"


def test_the_bootstrap_interval_of_a_binomial_proportion_is_its_normal_interval():
    """A known binomial case: 256 trials, 64 successes (p = 0.25). The mean's sampling
    distribution is Binomial(256, 0.25) / 256, whose 95% interval is 0.25 +- 1.96 *
    sqrt(0.25 * 0.75 / 256) = [0.197, 0.303]; the bootstrap of the 0/1 outcomes recovers it
    to within the resampling noise of 4000 draws."""
    from anatomy.core.intervals import bootstrap_interval

    outcomes = [1.0] * 64 + [0.0] * 192
    low, high = bootstrap_interval(outcomes, draws=4000, seed=0)
    half = 1.959964 * math.sqrt(0.25 * 0.75 / 256)
    assert low == pytest.approx(0.25 - half, abs=0.006)
    assert high == pytest.approx(0.25 + half, abs=0.006)
    assert bootstrap_interval(outcomes, seed=3) == bootstrap_interval(outcomes, seed=3)
    # Paired: every item changes by the same amount, so the interval is that amount alone.
    assert bootstrap_interval([0.1] * 50) == pytest.approx((0.1, 0.1))
    assert all(math.isnan(x) for x in bootstrap_interval([]))
