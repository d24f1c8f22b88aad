"""The 'what softmax constrains' experiment against its closed forms and published values."""

import math
import re
from pathlib import Path

import numpy as np
import pytest
import torch

from anatomy.core import operators
from anatomy.softmax_constraints import measures as sc

ROOT = Path(__file__).resolve().parents[1]


NORMALIZERS = list(operators.logit_normalizers())


def _mean(table, normalizer, metric, n, noise=0.0):
    rows = table[
        (table.normalizer == normalizer)
        & (table.metric == metric)
        & (table.n == n)
        & (table.noise_std == noise)
    ]
    return rows.value.mean()


def test_closed_form_matches_published_values():
    # Velickovic et al. (2024): gap 2 gives about .33 at n = 16 and .0072 at n = 1024.
    assert sc.softmax_target_weight(2.0, 16) == pytest.approx(0.33, abs=0.005)
    assert sc.softmax_target_weight(2.0, 1024) == pytest.approx(0.0072, abs=0.00005)


def test_sweep_meets_closed_form_and_sparse_normalizers_stay_sharp():
    ns = [4, 16, 1024, 16384]
    table = sc.sharpness_sweep(NORMALIZERS, ns, gap=2.0, noise_stds=[0.0], trials=3, seed=0)
    for n in ns:
        assert _mean(table, "softmax", "target_weight", n) == pytest.approx(
            sc.softmax_target_weight(2.0, n), rel=1e-12
        )
        assert _mean(table, "sparsemax", "target_weight", n) == 1.0  # gap >= 1
        assert _mean(table, "hardmax", "target_weight", n) == 1.0
        assert _mean(table, "softmax", "support", n) == n  # softmax never zeroes a weight
    # Entropy approaches log n: normalized entropy above .99 at the largest n.
    assert _mean(table, "softmax", "normalized_entropy", 16384) > 0.99
    # Scaling logits by log n keeps a gap above 1 sharp: n^2 / (n^2 + n - 1) -> 1.
    for n in ns:
        assert _mean(table, "softmax-logn", "target_weight", n) == pytest.approx(
            n**2 / (n**2 + n - 1), rel=1e-9
        )
    assert _mean(table, "uniform", "target_weight", 1024) == pytest.approx(1 / 1024)


@pytest.mark.parametrize(("name", "threshold"), [("sparsemax", 1.0), ("entmax15", 2.0)])
def test_sparse_normalizers_have_a_gap_threshold(name, threshold):
    """Sparsemax is one-hot iff gap >= 1 over equal distractors; 1.5-entmax iff gap >= 2."""
    normalizer = operators.get(name).normalizer
    for n in (8, 4096):
        above = sc.sharpness_logits(n, threshold * 1.05, 0.0, 1, torch.Generator().manual_seed(0))
        below = sc.sharpness_logits(n, threshold * 0.9, 0.0, 1, torch.Generator().manual_seed(0))
        assert normalizer(above)[0, 0].item() == 1.0
        assert normalizer(below)[0, 0].item() < 1.0


def test_noise_keeps_target_exactly_gap_above_largest_distractor():
    logits = sc.sharpness_logits(100, 1.5, 2.0, 5, torch.Generator().manual_seed(1))
    assert torch.allclose(
        logits[:, 0] - logits[:, 1:].max(-1).values, torch.full((5,), 1.5, dtype=logits.dtype)
    )


def test_weight_statistics_entropy_and_support():
    w = torch.tensor([[0.25, 0.25, 0.25, 0.25], [1.0, 0.0, 0.0, 0.0]], dtype=torch.float64)
    stats = sc.weight_statistics(w)
    assert torch.allclose(stats["entropy"], torch.tensor([math.log(4), 0.0], dtype=w.dtype))
    assert stats["support"].tolist() == [4.0, 1.0]
    assert torch.allclose(stats["normalized_entropy"], torch.tensor([1.0, 0.0], dtype=w.dtype))


@pytest.fixture(scope="module")
def properties():
    return sc.structural_properties(operators.names(), n=16, d=8, trials=3, seed=0)


def test_structural_identities_hold_and_fail_where_they_should(properties):
    summary = sc.summarize_properties(properties)
    assert (summary.loc["permutation_error"] < 1e-12).all()
    content = [n for n in summary.columns if n != "uniform"]  # uniform ignores content
    assert (summary.loc["permutation_error_with_positions", content] > 1e-2).all()
    assert (summary.loc["linearity_in_v_error"] < 1e-12).all()
    assert (summary.loc["additivity_in_x_error", content] > 1e-2).all()  # nonlinear in X
    assert summary.loc["additivity_in_x_error", "uniform"] < 1e-12  # mean pooling is linear
    invariant = [n for n in summary.columns if operators.get(n).normalizer.shift_invariant]
    assert (summary.loc["shift_invariance_error", invariant] < 1e-12).all()
    for name in ("sigmoid", "relu"):
        assert summary.loc["shift_invariance_error", name] > 1e-2, name
    assert np.isnan(summary.loc["shift_invariance_error", "linear_elu"])  # undefined there
    normalized = [n for n in summary.columns if operators.get(n).normalizer.sums_to_one]
    # Rows route a convex mixture, except relu-feature rows whose every score is zero (these
    # route nothing, and their output, 0, may leave the values' box).
    convex = [n for n in normalized if n != "linear_relu"]
    assert (summary.loc["convex_row_fraction", convex] == 1).all()
    assert (summary.loc["outside_value_box_fraction", convex] == 0).all()
    assert summary.loc["exact_zero_fraction", "softmax"] == 0
    assert summary.loc["exact_zero_fraction", "hardmax"] == pytest.approx(15 / 16)


def test_sinusoidal_positions_match_the_formula():
    from anatomy.core.positions import sinusoidal_positions

    pe = sinusoidal_positions(5, 6)
    pos, i = 3, 2  # dimension 2i = 4 is sin, 2i + 1 = 5 is cos
    angle = pos / 10000 ** (2 * i / 6)
    assert pe[pos, 4].item() == pytest.approx(np.sin(angle))
    assert pe[pos, 5].item() == pytest.approx(np.cos(angle))


def test_the_gap_sweep_measures_the_sparse_thresholds_at_every_n():
    # Clean and noisy distractors: only the gap to the runner-up decides the support, so
    # sparsemax is full from gap 1 and 1.5-entmax from gap 2 at every n, on a 0.5 grid.
    table = sc.gap_sweep(NORMALIZERS, [8, 256], [0.0, 0.5, 1.0, 1.5, 2.0, 2.5], [0.0, 1.0], 3, 0)
    for noise in (0.0, 1.0):
        assert sc.support_threshold(table, "sparsemax", noise).tolist() == [1.0, 1.0]
        assert sc.support_threshold(table, "entmax15", noise).tolist() == [2.0, 2.0]
    assert sc.support_threshold(table, "softmax").isna().all()  # never all the weight
    values = sc.gap_values(table, 2.0, (8, 256))
    assert values["scGapSoftmaxSmall"] == pytest.approx(math.exp(2) / (math.exp(2) + 7))
    assert values["scGapSoftmaxNoisySmallCi"] > 0  # noisy rows differ: a real interval
    assert values["scGapStep"] == 0.5


def test_a_threshold_needs_every_larger_gap_full_too():
    import pandas as pd

    rows = [  # full at gap 1, not at 2, full again at 3: the threshold is 3
        dict(normalizer="sparsemax", metric="target_weight", noise_std=0.0, n=4, gap=g, value=v)
        for g, v in ((0.0, 0.4), (1.0, 1.0), (2.0, 0.9), (3.0, 1.0))
    ]
    assert sc.support_threshold(pd.DataFrame(rows), "sparsemax").tolist() == [3.0]


def test_every_macro_the_section_uses_is_generated(properties):
    """The prose quotes only numbers the pipeline computes: each \\sc... macro in the section
    is produced by macro_values or the macro script's settings block."""
    table = sc.sharpness_sweep(NORMALIZERS, [4, 16, 64], 3.0, [0.0, 1.0], 2, 0)
    gaps = sc.gap_sweep(NORMALIZERS, [16, 64], [0.0, 1.0, 2.0], [0.0, 1.0], 2, 0)
    generated = (
        set(sc.macro_values(table, properties, 3.0))
        | set(sc.gap_values(gaps, sc.PUBLISHED_GAP, (16, 64)))
        | {
            "scPropN",
            "scPropD",
            "scPropTrials",
        }
    )
    text = (ROOT / "paper/sections/softmax_constraints.tex").read_text()
    used = set(re.findall(r"\\(sc[A-Z][A-Za-z]*)", text))
    assert used, "the section quotes no generated number"
    assert used <= generated, f"undefined macros: {sorted(used - generated)}"
    # No bare decimal numbers typed into the prose (equation constants like 1/n are fine).
    prose = re.sub(r"\$[^$]*\$|\\[a-zA-Z]+|%.*|\[[^\]]*\]|1\.5-entmax", "", text)
    assert not re.findall(r"\b\d+\.\d+\b", prose)
