"""The figures' shared helpers."""

import math

import pytest

from anatomy import plotting
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


def test_every_registered_operator_has_its_own_colour_and_its_family_marker(monkeypatch):
    from anatomy import operators

    names = operators.names()
    palette = plotting.operator_palette(names)
    assert len(set(palette.values())) == len(names)  # distinct for every registered operator
    markers = plotting.operator_markers(names)
    for name in names:
        family = operators.get(name).family
        assert markers[name] == plotting.FAMILY_MARKERS[family]
        assert palette[name] in plotting.FAMILY_COLOURS[family]
    # The same colour in every figure, whatever subset it shows, and under its normalizer's name.
    assert plotting.operator_palette(["uniform", "softmax_logn"]) == {
        "softmax_logn": palette["softmax_logn"],
        "uniform": palette["uniform"],
    }
    assert plotting.operator_palette(["softmax-logn"])["softmax-logn"] == palette["softmax_logn"]
    # Labels the registry does not know get colours of their own, after the operators.
    mixed = plotting.operator_palette(["recurrent", "softmax", "dense"])
    assert list(mixed) == ["softmax", "dense", "recurrent"]
    assert not {mixed["dense"], mixed["recurrent"]} & set(palette.values())
    # A plugin operator gets a colour of its family that no registered operator has.
    monkeypatch.setattr(operators, "OPERATORS", dict(operators.OPERATORS))
    plugin = operators.AttentionOperator(
        "plugin_sparse", operators.ScaledDotProduct(), operators.Sparsemax()
    )
    operators.register(plugin)
    extended = plotting.operator_palette(operators.names())
    assert len(set(extended.values())) == len(extended)
    assert extended["plugin_sparse"] in plotting.FAMILY_COLOURS["sparse"]
