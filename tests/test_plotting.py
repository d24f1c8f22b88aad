"""The figures' shared helpers."""

import math

import pytest

from anatomy.plotting import log_limits


def test_log_limits_span_the_decades_of_the_data_not_its_rounding_zeros():
    # 95 values between 2 and 300, five that are zero up to rounding and one exact zero.
    values = [2.0 + 3 * k for k in range(95)] + [1e-250, 1e-123, 1e-30, 1e-20, 1e-17, 0.0]
    assert log_limits(values) == (1.0, 1000.0)
    low, high = log_limits([0.05, 0.2, 0.9], quantile=0.0)
    assert low == pytest.approx(0.01) and high == 1.0


def test_log_limits_of_one_decade_round_outwards():
    low, high = log_limits([3.0, 4.0, 5.0])
    assert math.log10(low) == 0 and math.log10(high) == 1
