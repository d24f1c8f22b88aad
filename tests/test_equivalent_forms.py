"""Layer B: random features against their theory, and the three equivalences
(RNN, GNN, convolution) to their stated tolerances."""

import math

import numpy as np
import pandas as pd
import pytest
import torch

from anatomy.core import operators
from anatomy.core import random_features as rf
from anatomy.equivalent_forms import linear_kernels as lk
from anatomy.equivalent_forms import message_passing as mp
from anatomy.equivalent_forms import speed


def pair(d=16, radius=1.0, seed=0):
    g = torch.Generator().manual_seed(seed)
    return lk.on_sphere(1, d, radius, g)[0], lk.on_sphere(1, d, radius, g)[0], g


@pytest.mark.parametrize("kind", rf.FEATURES)
@pytest.mark.parametrize("draw", rf.DRAWS)
def test_random_features_are_unbiased(kind, draw):
    x, y, g = pair()
    w = rf.draw_projections(4000, 8, 16, draw, g)  # 4000 independent estimates, m = 8
    est = rf.kernel_estimate(x, y, w, kind)
    truth = math.exp(float(x @ y))
    z = (est.mean() - truth) / (est.std() / math.sqrt(len(est)))
    assert abs(float(z)) < 4, f"z = {float(z):.2f}"
    if kind == "positive":
        assert (est > 0).all()  # positive features never give a negative kernel value


def test_mse_falls_like_one_over_m():
    table = lk.mse_sweep(16, 1.0, 16, 1024, [4, 8, 16, 32, 64, 128, 256, 512], 0)
    for kind in rf.FEATURES:
        sub = table[(table.features == kind) & (table.draw == "iid")]
        slope = np.polyfit(np.log(sub.m), np.log(sub.mse), 1)[0]
        assert -1.1 <= slope <= -0.9, f"{kind}: slope {slope:.3f}"


def test_orthogonal_draws_beat_iid_at_m_equal_d():
    x, y, g = pair(d=16, radius=1.0, seed=3)
    truth = math.exp(float(x @ y))
    mse = {}
    for draw in rf.DRAWS:
        w = rf.draw_projections(4000, 16, 16, draw, g)
        mse[draw] = float(((rf.kernel_estimate(x, y, w, "positive") - truth) ** 2).mean())
    assert mse["orthogonal"] < mse["iid"], mse


@pytest.mark.parametrize("kind", rf.FEATURES)
def test_closed_form_mse_within_ten_percent(kind):
    x, y, g = pair(d=8, radius=0.8, seed=1)
    w = rf.draw_projections(40000, 4, 8, "iid", g)
    est = rf.kernel_estimate(x, y, w, kind)
    empirical = float(((est - math.exp(float(x @ y))) ** 2).mean())
    theory = float(rf.closed_form_mse(x, y, 4, kind))
    assert abs(empirical / theory - 1) < 0.1, (empirical, theory)


def test_trig_features_fail_where_the_kernel_is_small():
    # Performer, Lemma 2: the trig MSE relative to SM^2 explodes as x . y becomes negative,
    # the positive one does not.
    x = torch.tensor([1.0, 0.0], dtype=torch.float64)
    far = torch.tensor([-1.0, 0.0], dtype=torch.float64)
    rel = {k: float(rf.closed_form_mse(x, far, 1, k)) / math.exp(-1.0) ** 2 for k in rf.FEATURES}
    assert rel["trig"] > 100 * rel["positive"]


def test_favor_matches_its_own_attention_matrix_and_softmax_for_large_m():
    g = torch.Generator().manual_seed(0)
    q, k, v = (0.5 * torch.randn(12, 8, generator=g, dtype=torch.float64) for _ in range(3))
    w = rf.draw_projection(20000, 8, "orthogonal", g)
    out = rf.favor_attention(q, k, v, w)
    assert torch.allclose(out, rf.approximate_weights(q, k, w) @ v, atol=1e-12)
    exact = torch.softmax(q @ k.T / math.sqrt(8), -1) @ v
    assert (out - exact).abs().max() < 0.02


def test_registry_favor_features_follow_the_papers_formula():
    """FAVOR+'s positive features written out from Choromanski et al. (Lemma 1), not through
    the library: phi(x) = m^{-1/2} exp(W x' - |x'|^2 / 2) with x' = x d^{-1/4}."""
    op = operators.get("favor")
    d = 16
    x = torch.randn(5, d, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    w = op.kernel.projection(d).double()  # (m, d)
    m = w.shape[0]
    scaled = x / d**0.25
    expected = torch.exp(scaled @ w.T - (scaled**2).sum(-1, keepdim=True) / 2) / math.sqrt(m)
    assert torch.allclose(op.kernel.features(x), expected, atol=1e-12)


def test_causal_linear_attention_parallel_recurrent_chunked_agree():
    rows = mp.equivalence_checks(n=37, d=8, chunk=5, seed=0)  # 37: a ragged last chunk
    failed = [r for r in rows if not r["holds"]]
    assert not failed, failed
    assert {r["check"] for r in rows} >= {
        "causal elu+1: parallel = recurrent",
        "causal elu+1: parallel = chunked",
        "causal FAVOR+: prefix unchanged by the future",
        "softmax = torch_geometric TransformerConv",
    }


def log_space_reference(lq, lk, v):
    """Causal linear attention from log-features, every weight computed by logsumexp."""
    n = v.shape[0]
    log_a = torch.logsumexp(lq[:, None, :] + lk[None, :, :], -1)  # (n, n)
    log_a = log_a.masked_fill(~torch.ones(n, n, dtype=torch.bool).tril(), -math.inf)
    return torch.softmax(log_a, -1) @ v


def test_causal_favor_is_prefix_invariant_and_stable_where_a_global_max_is_not():
    g = torch.Generator().manual_seed(2)
    d = 4
    q, k, v = (torch.randn(16, d, generator=g, dtype=torch.float64) for _ in range(3))
    w = rf.draw_projection(16, d, "iid", g)
    # The first eight keys are long: every log-feature near -1800, far below exp's float64 range.
    k[:8] = 60 * d**0.25 * k[:8] / k[:8].norm(dim=-1, keepdim=True)
    lq, lk_ = rf.log_features(rf.scaled(q), w), rf.log_features(rf.scaled(k), w)
    assert (lk_[:8] < -800).all()
    out = rf.causal_linear_attention(lq, lk_, v, chunk=16)  # one chunk: the future alongside
    assert torch.isfinite(out).all()
    assert torch.allclose(out, log_space_reference(lq, lk_, v), atol=1e-10)
    # A global key maximum, as a non-causal stabilizer uses, lets the future erase the past.
    assert (torch.exp(lk_ - lk_.max())[:8] == 0).all()
    # Prefix invariance: any future leaves the past bit for bit.
    k2, v2 = k.clone(), v.clone()
    k2[8:] = 100 * torch.randn(8, d, generator=g, dtype=torch.float64)
    v2[8:] = 1e6
    again = rf.causal_linear_attention(lq, rf.log_features(rf.scaled(k2), w), v2, chunk=16)
    assert torch.equal(again[:8], out[:8])


def test_message_passing_complete_and_sparse_graphs():
    g = torch.Generator().manual_seed(0)
    q, k, v = (torch.randn(9, 4, generator=g, dtype=torch.float64) for _ in range(3))
    full = mp.message_passing_attention(q, k, v, mp.complete_graph(9))
    assert torch.allclose(full, mp.dense_attention(q, k, v), atol=1e-12)
    mask = torch.eye(9, dtype=torch.bool) | torch.eye(9, dtype=torch.bool).roll(1, 1)
    sparse = mp.message_passing_attention(q, k, v, mp.edges_from_mask(mask))
    assert torch.allclose(sparse, mp.dense_attention(q, k, v, mask), atol=1e-12)


def test_gat_is_static_and_dot_product_is_not():
    rows = {r["attention"]: r["same_key_ranking"] for r in mp.static_rankings(12, 8, 0)}
    assert rows["GATConv"] == 1.0
    assert rows["dot product"] < 0.1


def test_attention_is_a_convolution_as_alpha_grows():
    table = mp.conv_sweep(size=5, kernel=3, channels=3, alphas=[4.0, 8.0, 32.0], seed=0)
    err = dict(zip(table.alpha, table.relative_error, strict=True))
    assert err[8.0] < 2e-3
    assert err[32.0] < 1e-10
    # The error follows the nearest-neighbour leak 4 exp(-alpha) within a factor of three.
    for a in (4.0, 8.0):
        assert 1 / 3 < err[a] / (4 * math.exp(-a)) < 3


def test_spikiness_softmax_is_monotone_and_linear_kernels_flatter():
    table = lk.spikiness_table(["softmax", "linear_elu", "poly2"], 32, 16, 4, 0).set_index(
        "operator"
    )
    assert table.loc["softmax", "spearman"] == pytest.approx(1.0)
    assert table.loc["linear_elu", "spearman"] < 0.9
    assert table.loc["linear_elu", "entropy"] > table.loc["softmax", "entropy"]


def test_spearman_rows_known_values():
    a = np.array([[1.0, 2.0, 3.0], [1.0, 2.0, 3.0], [1.0, 1.0, 1.0]])
    b = np.array([[10.0, 20.0, 30.0], [3.0, 2.0, 1.0], [1.0, 2.0, 3.0]])
    rho = lk.spearman_rows(a, b)
    assert rho[0] == pytest.approx(1.0) and rho[1] == pytest.approx(-1.0) and np.isnan(rho[2])


def test_capacity_softmax_flat_where_linear_kernels_saturate():
    table = lk.capacity_sweep(64, [4, 64], [64], 4, 0).pivot(
        index="pairs", columns="kernel", values="loss"
    )
    assert table.loc[64, "softmax"] < 0.05
    assert table.loc[64, "linear_elu"] > 0.5 and table.loc[64, "favor64"] > 0.5


def test_recall_against_position_reads_the_zoo_table():
    rows = []
    for op, content, position in (("softmax", 0.9, 1.0), ("linear_elu", 0.2, 0.9)):
        for task, value in (("associative_recall", content), ("copy", position)):
            rows.append(
                {
                    "task": task,
                    "operator": op,
                    "size": 8,
                    "in_distribution": True,
                    "metric": "accuracy",
                    "value": value,
                    "seed": 0,
                }
            )
    table = lk.recall_against_position(
        pd.DataFrame(rows), "associative_recall", "copy", ("softmax", "linear_elu", "favor")
    ).set_index("operator")
    assert table.loc["linear_elu", "gap"] == pytest.approx(0.7)
    assert list(table.index) == ["softmax", "linear_elu"]  # favor was not trained: no row


def test_crossover_finds_the_first_length_that_stays_faster():
    rows = []
    for n, soft, lin in (
        (128, 1.0, 2.0),
        (256, 2.0, 1.5),
        (512, 4.0, 4.5),
        (1024, 8.0, 5.0),
        (2048, 16.0, 6.0),
    ):
        rows += [
            {"method": "sdpa_math", "mode": "forward", "n": n, "seconds": soft, "skipped": ""},
            {"method": "linear", "mode": "forward", "n": n, "seconds": lin, "skipped": ""},
        ]
    table = speed.crossover(pd.DataFrame(rows)).set_index("method")
    assert table.loc["linear", "crossover"] == 1024
    assert table.loc["linear", "speedup_at_longest"] == pytest.approx(16 / 6)


def test_speed_worker_times_and_skips():
    spec = {
        "method": "linear",
        "mode": "forward_backward",
        "lengths": [16, 32],
        "d": 8,
        "features": 8,
        "chunk": 8,
        "threads": 1,
        "device": "cpu",
        "min_run_time": 0.01,
    }
    rows = speed.sweep_one(spec)
    assert [r["n"] for r in rows] == [16, 32] and all(r["seconds"] > 0 for r in rows)
    for method in speed.METHODS:  # every method runs or says why not
        out = speed.sweep_one({**spec, "method": method, "mode": "forward", "lengths": [16]})
        assert out[0]["skipped"] or out[0]["seconds"] > 0


def test_row_change_is_zero_for_a_static_graph_and_one_when_rows_move_wholly():
    rows = torch.ones(4, 3, dtype=torch.bool)
    static = torch.full((4, 3, 3), 1 / 3, dtype=torch.float64)
    assert torch.equal(operators.row_change(static, rows), torch.zeros(2, dtype=torch.float64))
    one_hot = torch.zeros(4, 3, 3, dtype=torch.float64)
    one_hot[:2, :, 0] = 1.0  # first half: every row on key 0; second half: on key 2
    one_hot[2:, :, 2] = 1.0
    assert torch.equal(operators.row_change(one_hot, rows), torch.ones(2, dtype=torch.float64))
    # Half a row's weight moves: TV 0.5; only the rows kept in both inputs count.
    half = one_hot.clone()
    half[2:, :, :] = 0.0
    half[2:, :, 0] = half[2:, :, 1] = 0.5
    kept = torch.tensor([[True, False, False]] * 4)
    assert operators.row_change(half, kept).tolist() == [0.5, 0.5]


def test_a_trained_uniform_model_has_a_static_graph_and_softmax_a_moving_one(tmp_path):
    from anatomy.zoo import runs as zoo
    from anatomy.zoo.settings import Training

    settings = Training(
        d_model=16, heads=2, layers=2, steps=40, batch=16, learning_rate=3e-3, log_every=20
    )
    change = {}
    for op in ("uniform", "softmax"):
        [(model, history)] = zoo.train("associative_recall", op, settings, [0], "cpu")
        path = tmp_path / f"{op}.pt"
        zoo.save_checkpoint(path, model, "associative_recall", history, {"seed": 0})
        entry = zoo.zoo_adjacency(path, "associative_recall", 5, 2, seed=0, inputs=64)
        assert entry["seed"] == 0 and entry["weights"].shape == (2, 9, 9)
        change[op] = lk.adjacency_summary([entry])[op]
    # uniform attends alike over the same number of keys whatever the input: exactly static
    assert change["uniform"]["change"] == 0.0 and math.isnan(change["uniform"]["change_ci"])
    assert change["softmax"]["change"] > 0.01
