"""What attention can express, against the published results each experiment is held to."""

import math
import re
from pathlib import Path

import numpy as np
import pytest
import torch

from anatomy.core import operators
from anatomy.core.measurement import Job, run
from anatomy.expressivity import (
    hopfield,
    lipschitz,
    measurements,
    parity,
    rank_collapse,
    sensitivity,
)
from anatomy.expressivity import summary as expressivity

ROOT = Path(__file__).resolve().parents[1]


# ---- Chiang & Cholak (2022): exact PARITY, margin ~ 1/n^2 ------------------------------------


def test_parity_construction_is_exact_with_margin_shrinking_like_n_squared():
    lengths = [10, 100, 1000]
    results = [parity.evaluate(n, samples=32, seed=n) for n in lengths]
    assert all(r["accuracy"] == 1.0 for r in results)
    slope = expressivity.loglog_slope(lengths, [r["margin"] for r in results])
    assert -2.2 <= slope <= -1.8, slope
    # Published order of magnitude: ~7e-3 at n = 10, ~8e-5 at n = 100, ~8e-7 at n = 1000.
    for r, published in zip(results, [7e-3, 8e-5, 8e-7], strict=True):
        assert published / 3 < r["margin"] < published * 3
    # Cross-entropy tends to one bit; the layer-norm fix restores confidence.
    assert results[-1]["cross_entropy_bits"] > 0.999
    fixed = parity.evaluate(1000, samples=32, seed=1, layer_norm=True, scale=10.0)
    assert fixed["accuracy"] == 1.0 and fixed["cross_entropy_bits"] < 1e-3


def test_parity_output_is_signed_inverse_square():
    bits = torch.tensor([[1, 1, 0, 1], [0, 0, 0, 0], [1, 0, 0, 0]])
    y = parity.parity_output(bits)
    expected = torch.tensor([-1.0, 1.0, -1.0], dtype=torch.float64) / 25  # (-1)^k / (n+1)^2
    assert torch.allclose(y, expected, atol=1e-15)


# ---- Dong et al. (2021): rank collapse -------------------------------------------------------


def test_pure_attention_collapses_and_skip_connections_stop_it():
    table = rank_collapse.depth_sweep(32, 64, 4, ["pure", "skip"], ["softmax"], trials=3, seed=0)
    res = table.groupby(["variant", "layer"]).relative_residual.mean()
    assert res[("pure", 0)] / res[("pure", 4)] >= 100
    assert res[("skip", 0)] / res[("skip", 4)] < 2


def test_the_input_scale_is_a_temperature_for_collapse_and_the_mlp_controls_hold():
    table = rank_collapse.scale_sweep(
        32, 64, 6, [0.25, 4.0], rank_collapse.SCALE_VARIANTS, ["softmax", "l2"], 3, 0
    )
    last = table[table.layer == 6].groupby(["operator", "variant", "scale"]).relative_residual
    res = last.mean()
    # Small inputs: flat rows, pure softmax collapses; large inputs: nearly hard rows keep a lot.
    assert res[("softmax", "pure", 0.25)] < 1e-6 < 0.3 < res[("softmax", "pure", 4.0)]
    assert res[("l2", "pure", 0.25)] < 1e-6  # tied L2 collapses too once its rows are flat
    # The MLP-only controls run once, without attention: ReLU contracts, the tanh stack not.
    controls = table[table.operator == "none"]
    assert set(controls.variant) == {"mlp_only", "skip+mlp_only", "skip+tanh_only"}
    assert res[("none", "mlp_only", 0.25)] < 0.8 < res[("none", "skip+tanh_only", 0.25)]
    # ReLU is positively homogeneous: the MLP-only residual does not depend on the scale.
    assert res[("none", "mlp_only", 0.25)] == pytest.approx(res[("none", "mlp_only", 4.0)])
    scale = rank_collapse.collapse_scale(table, 1e-3)
    assert scale[("softmax", "pure")] == 0.25 and np.isnan(scale[("softmax", "skip")])


def test_collapse_scale_needs_every_smaller_scale_collapsed_and_every_draw_defined():
    import pandas as pd

    rows = [  # collapsed at 0.25 and 1, not at 0.5: collapse holds from 0.25 down only
        dict(operator="a", variant="pure", scale=s, layer=2, trial=0, relative_residual=r)
        for s, r in ((0.25, 1e-9), (0.5, 0.4), (1.0, 1e-9))
    ] + [
        dict(operator="b", variant="pure", scale=0.25, layer=2, trial=t, relative_residual=r)
        for t, r in ((0, 1e-9), (1, float("nan")))  # one undefined draw: undefined cell
    ]
    scale = rank_collapse.collapse_scale(pd.DataFrame(rows), 1e-3)
    assert scale[("a", "pure")] == 0.25 and np.isnan(scale[("b", "pure")])
    assert np.isnan(rank_collapse.relative_residual(torch.zeros(3, 2, dtype=torch.float64)))


def test_scale_one_of_the_scale_sweep_is_the_depth_sweep():
    depth = rank_collapse.depth_sweep(8, 8, 3, ["pure", "skip+mlp"], ["softmax"], 2, 5)
    scaled = rank_collapse.scale_sweep(8, 8, 3, [1.0], ["pure", "skip+mlp"], ["softmax"], 2, 5)
    assert np.allclose(depth.relative_residual, scaled.relative_residual)


# ---- Weiss et al. (2021): a RASP program compiled to attention --------------------------------


def test_the_compiled_reverse_program_is_exact_with_hard_attention_at_every_length():
    from anatomy.expressivity import rasp

    table = rasp.length_sweep(
        ["hardmax", "sparsemax", "softmax", "uniform"], [8, 256], 2.0, 8, 16, 0
    )
    acc = table.set_index(["operator", "n"]).accuracy
    assert acc[("hardmax", 8)] == acc[("hardmax", 256)] == 1.0
    assert acc[("sparsemax", 256)] == 1.0  # a gap of 2 is above sparsemax's threshold of 1
    assert acc[("softmax", 8)] == 1.0 > 0.6 > acc[("softmax", 256)]
    assert acc[("uniform", 256)] < 0.3


def test_the_compiled_selector_scores_beta_on_the_selected_pair_only():
    from anatomy.expressivity import rasp

    q, k = rasp.compiled_flip(5, 2.0)
    scores = q @ k.T / math.sqrt(5)
    expected = 2.0 * torch.eye(5, dtype=torch.float64).flip(0)
    assert torch.allclose(scores, expected)
    # Softmax on these scores is the closed form e^b / (e^b + n - 1), computed here by hand.
    w = rasp.reverse_weights("softmax", 5, 2.0)
    assert float(w[0, 4]) == pytest.approx(math.exp(2) / (math.exp(2) + 4))
    assert rasp.softmax_breaking_length(2.0, 8) == pytest.approx(4 * math.exp(4))


def test_softmax_runs_the_program_well_below_its_breaking_length_and_fails_well_above():
    from anatomy.expressivity import rasp

    scale = rasp.softmax_breaking_length(1.5, 4)  # 40: small enough to test both sides
    table = rasp.length_sweep(["softmax"], [8, 160], 1.5, 4, 64, 0).set_index("n").accuracy
    assert table[8] > 0.9 and table[160] < 0.6  # at a fifth of the scale and at four times it
    assert 8 < scale / 4 and 160 > 3 * scale


def test_relative_residual_is_zero_for_identical_tokens():
    x = torch.randn(1, 8, dtype=torch.float64).expand(5, 8)
    assert rank_collapse.relative_residual(x) < 1e-15
    assert rank_collapse.relative_residual(torch.eye(4, dtype=torch.float64)) > 0.8


# ---- Kim et al. (2021): dot product is not Lipschitz, tied L2 is ---------------------------


def test_dot_product_jacobian_grows_and_tied_l2_stays_bounded():
    table = lipschitz.scale_sweep(
        ["softmax", "l2"], [1.0, 8.0], n=4, d=16, trials=8, seed=0, inputs=["one_token"]
    )
    norm = table.groupby(["operator", "scale"]).jacobian_norm.mean()
    assert norm[("softmax", 8.0)] / norm[("softmax", 1.0)] >= 10
    assert 0.5 <= norm[("l2", 8.0)] / norm[("l2", 1.0)] <= 2


def test_jacobian_matches_finite_differences():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(3, 4, generator=g, dtype=torch.float64)
    w = [torch.randn(4, 4, generator=g, dtype=torch.float64) for _ in range(3)]
    op = operators.get("softmax")
    f = lambda h: op(h @ w[0], h @ w[1], h @ w[2]).reshape(-1)  # noqa: E731
    jac = torch.autograd.functional.jacobian(lambda v: f(v.reshape(3, 4)), x.reshape(-1))
    eps, e = 1e-6, torch.zeros(12, dtype=torch.float64)
    e[5] = eps
    fd = (f((x.reshape(-1) + e).reshape(3, 4)) - f((x.reshape(-1) - e).reshape(3, 4))) / (2 * eps)
    assert torch.allclose(jac[:, 5], fd, atol=1e-7)
    assert lipschitz.jacobian_norm("softmax", x, *w) == pytest.approx(
        float(torch.linalg.matrix_norm(jac, ord=2))
    )


# ---- Hahn (2020): soft attention moves by O(1/n) per flipped input ---------------------------


def test_softmax_sensitivity_falls_like_one_over_n_and_hardmax_does_not():
    table = sensitivity.length_sweep(["softmax", "hardmax"], [16, 64, 256], d=16, trials=6, seed=0)
    mean = table.groupby(["operator", "n"]).mean_delta.mean()
    worst = table.groupby(["operator", "n"]).max_delta.mean()
    soft_slope = expressivity.loglog_slope([16, 64, 256], mean["softmax"].to_numpy())
    assert -1.3 < soft_slope < -0.7, soft_slope
    hard_slope = expressivity.loglog_slope([16, 64, 256], worst["hardmax"].to_numpy())
    assert hard_slope > -0.3, hard_slope  # one flip can move the hard readout by O(1)


# ---- Ramsauer et al. (2021): beta moves retrieval from the average to one pattern -----------


def test_hopfield_beta_moves_from_average_to_single_pattern():
    table = hopfield.beta_sweep([64], 32, [1e-4, 10.0], noise=0.3, trials=3, seed=0)
    eff = table.groupby("beta").effective_patterns.mean()
    cos = table.groupby("beta").cosine_to_target.mean()
    assert eff[1e-4] > 60 and eff[10.0] < 1.1
    assert cos[10.0] > 0.99


def test_hopfield_update_is_softmax_attention():
    g = torch.Generator().manual_seed(0)
    patterns, state = (
        torch.randn(6, 4, generator=g, dtype=torch.float64),
        torch.randn(4, dtype=torch.float64),
    )
    new, _ = hopfield.retrieve(patterns, state, beta=1 / math.sqrt(4))
    attention = operators.get("softmax")(state[None], patterns, patterns)[0]
    assert torch.allclose(new, attention, atol=1e-14)


# ---- the pipeline's view ---------------------------------------------------------------------


def measured(name: str, settings: dict):
    """The table measurement ``name`` makes on the CPU with seed 0 (the protocol's call)."""
    (table, _), _ = run(measurements, name, Job(settings))
    return table


def test_every_macro_the_section_uses_is_generated():
    tables = {
        "parity": measured(
            "parity_construction", {"lengths": [10, 100], "samples": 4, "output_scale": 10.0}
        ),
        "rank_collapse": measured("rank_collapse_depth", {"n": 6, "d": 8, "depth": 2, "trials": 1}),
        "rank_collapse_scale": measured(
            "rank_collapse_scale", {"n": 6, "d": 8, "depth": 2, "scales": [0.5, 2.0], "trials": 1}
        ),
        "rasp": measured("rasp_reverse", {"ns": [8, 64], "beta": 2.0, "vocab": 8, "samples": 2}),
        "lipschitz": measured(
            "lipschitz_scale",
            {"n": 3, "d": 4, "scale_min": 1.0, "scale_max": 4.0, "num_scales": 2, "trials": 1},
        ),
        "sensitivity": measured(
            "flip_sensitivity", {"n_min_log2": 2, "n_max_log2": 3, "d": 4, "trials": 1}
        ),
        "hopfield": measured(
            "hopfield_beta",
            {
                "num_patterns": [4],
                "d": 4,
                "beta_min": 0.1,
                "beta_max": 1.0,
                "num_betas": 2,
                "noise": 0.1,
                "trials": 1,
            },
        ),
    }
    values = expressivity.macro_values(tables)
    generated = set(values) | {"exCollapseN", "exCollapseD", "exLipN", "exLipD"}
    text = (ROOT / "paper/sections/expressivity.tex").read_text()
    used = set(re.findall(r"\\(ex[A-Z][A-Za-z]*)", text))
    assert used, "the section quotes no generated number"
    assert used <= generated, f"undefined macros: {sorted(used - generated)}"
