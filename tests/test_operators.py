"""The operator module: known values, identities and properties of every normalizer."""

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from anatomy.core import operators
from anatomy.core.operators import AttentionOperator, Hardmax, ScaledDotProduct

X = torch.tensor([-2.0, 0.0, 0.5], dtype=torch.float64)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        # Published values (Martins & Astudillo 2016; Peters et al. 2019) for x = [-2, 0, .5].
        ("softmax", [0.0486, 0.3592, 0.5922]),
        ("sparsemax", [0.0, 0.25, 0.75]),
        ("entmax15", [0.0, 0.3260, 0.6740]),
        ("hardmax", [0.0, 0.0, 1.0]),
    ],
)
def test_normalizer_known_values(name, expected):
    weights = operators.get(name).normalizer(X)
    assert torch.allclose(weights, torch.tensor(expected, dtype=X.dtype), atol=5e-5), weights


def test_sparsemax_and_entmax_zeros_are_exact():
    assert operators.get("sparsemax").normalizer(X)[0].item() == 0.0
    assert operators.get("entmax15").normalizer(X)[0].item() == 0.0
    assert (operators.get("softmax").normalizer(X) > 0).all()


@pytest.mark.parametrize("name", ["sparsemax", "entmax15"])
def test_partial_sort_equals_the_full_sort_bitwise(name):
    """The normalizers search the threshold among the TOP_K largest scores; rows with a larger
    support (flat rows, from the small scale) are redone with 2k, so nothing changes."""
    import entmax

    full = {"sparsemax": entmax.sparsemax, "entmax15": entmax.entmax15}[name]
    g = torch.Generator().manual_seed(0)
    for scale in (0.01, 1.0, 5.0):
        scores = scale * torch.randn(8, 3, 40, 300, generator=g)
        ours = operators.get(name).normalizer.normalize(scores, None)
        reference = full(scores, dim=-1)
        assert torch.equal(ours, reference)
        if scale == 0.01:  # flat rows: the 2k path is taken
            assert (reference > 0).sum(-1).min() > operators.TOP_K


def test_the_normalizers_ask_for_the_partial_sort(monkeypatch):
    import entmax

    asked = []
    for name in ("sparsemax", "entmax15"):
        real = getattr(entmax, name)
        monkeypatch.setattr(
            entmax, name, lambda x, dim, k=None, real=real: asked.append(k) or real(x, dim=dim)
        )
        operators.get(name).normalizer.normalize(torch.randn(2, 5), None)
    assert asked == [operators.TOP_K, operators.TOP_K]


def test_sigmoid_bias_is_minus_log_n():
    scores = torch.randn(3, 7, dtype=torch.float64)
    weights = operators.get("sigmoid").normalizer(scores)
    assert torch.allclose(weights, torch.sigmoid(scores - math.log(7)), atol=1e-15)


def test_hardmax_is_exactly_one_hot_with_softmax_gradient():
    scores = torch.randn(4, 9, dtype=torch.float64, requires_grad=True)
    weights = Hardmax()(scores)
    assert ((weights == 0) | (weights == 1)).all() and (weights.sum(-1) == 1).all()
    upstream = torch.randn(4, 9, dtype=torch.float64)
    (grad,) = torch.autograd.grad((weights * upstream).sum(), scores)
    soft_scores = scores.detach().requires_grad_(True)
    (expected,) = torch.autograd.grad(
        (torch.softmax(soft_scores, -1) * upstream).sum(), soft_scores
    )
    assert torch.allclose(grad, expected, atol=1e-12), f"{(grad - expected).abs().max()}"


@pytest.mark.parametrize("name", operators.names())
def test_mask_gives_exact_zeros_and_normalizes_the_rest(name):
    scores = torch.randn(5, 6, dtype=torch.float64)
    if not operators.get(name).normalizer.accepts_logits:
        scores = scores.abs()  # feature kernels' scores are nonnegative
    mask = torch.ones(5, 6, dtype=torch.bool)
    mask[:, -2:] = False
    weights = operators.get(name).normalizer(scores, mask)
    assert (weights[:, -2:] == 0).all()
    if operators.get(name).normalizer.sums_to_one:
        assert torch.allclose(weights.sum(-1), torch.ones(5, dtype=torch.float64), atol=1e-12)
        assert torch.allclose(
            weights[:, :4], operators.get(name).normalizer(scores[:, :4]), atol=1e-12
        )


def test_operator_forward_is_weights_times_values():
    g = torch.Generator().manual_seed(0)
    q, k, v = (torch.randn(2, 5, 8, generator=g, dtype=torch.float64) for _ in range(3))
    out = operators.get("softmax").forward(q, k, v)
    expected = torch.softmax(q @ k.transpose(-2, -1) / math.sqrt(8), -1) @ v
    assert torch.allclose(out.out, expected, atol=1e-14)
    assert out.weights.shape == (2, 5, 5)
    # PyTorch's fused kernel computes the same thing.
    fused = torch.nn.functional.scaled_dot_product_attention(q, k, v)
    assert torch.allclose(out.out, fused, atol=1e-12), f"{(out.out - fused).abs().max()}"


def test_registry_names_unique_and_unknown_name_lists_them():
    assert operators.names() == list(dict.fromkeys(operators.names()))
    with pytest.raises(ValueError, match="already registered"):
        operators.register(operators.get("softmax"))
    with pytest.raises(KeyError, match="softmax"):
        operators.get("no-such-operator")


def test_a_new_operator_is_one_class_and_one_line():
    class HalfSoftmax(operators.Normalizer):
        name = "half"

        def normalize(self, scores, mask):
            return torch.softmax(scores / 2, dim=-1)

    op = operators.register(AttentionOperator("test_half", ScaledDotProduct(), HalfSoftmax()))
    try:
        assert "test_half" in operators.names()
        w = op.weights(torch.randn(3, 4), torch.randn(3, 4))
        assert torch.allclose(w.sum(-1), torch.ones(3))
    finally:
        del operators.OPERATORS["test_half"]


# ---- properties over random shapes (Hypothesis) ----------------------------------------------

shapes = st.tuples(st.integers(1, 6), st.integers(1, 12), st.integers(1, 8))


@settings(max_examples=40, deadline=None)
@given(shape=shapes, seed=st.integers(0, 2**31 - 1), name=st.sampled_from(operators.names()))
def test_rows_sum_to_one(shape, seed, name):
    n_q, n_k, d = shape
    g = torch.Generator().manual_seed(seed)
    q, k = torch.randn(n_q, d, generator=g), torch.randn(n_k, d, generator=g)
    op = operators.get(name)
    weights = op.weights(q.double(), k.double())
    assert (weights >= 0).all()
    if op.normalizer.sums_to_one:
        sums = weights.sum(-1)
        if not op.normalizer.accepts_logits:
            # relu features can make every score of a row zero: that row routes nothing.
            sums = sums[op.kernel.scores(q.double(), k.double()).sum(-1) > 0]
        assert torch.allclose(sums, torch.ones_like(sums), atol=1e-12)


@settings(max_examples=40, deadline=None)
@given(shape=shapes, seed=st.integers(0, 2**31 - 1), name=st.sampled_from(operators.names()))
def test_permutation_equivariance(shape, seed, name):
    """Permuting keys and values together leaves the output unchanged; permuting queries
    permutes the output rows."""
    n_q, n_k, d = shape
    g = torch.Generator().manual_seed(seed)
    q, k, v = (torch.randn(n, d, generator=g, dtype=torch.float64) for n in (n_q, n_k, n_k))
    op = operators.get(name)
    pk, pq = torch.randperm(n_k, generator=g), torch.randperm(n_q, generator=g)
    out = op(q, k, v)
    assert torch.allclose(op(q, k[pk], v[pk]), out, atol=1e-10)
    assert torch.allclose(op(q[pq], k, v), out[pq], atol=1e-10)


@settings(max_examples=40, deadline=None)
@given(
    shape=shapes,
    seed=st.integers(0, 2**31 - 1),
    shift=st.floats(-20, 20),
    name=st.sampled_from(
        [n for n in operators.names() if operators.get(n).normalizer.shift_invariant]
    ),
)
def test_shift_invariance(shape, seed, shift, name):
    """Normalizers onto the simplex ignore a constant added to a row of scores."""
    n_q, n_k, _ = shape
    g = torch.Generator().manual_seed(seed)
    scores = torch.randn(n_q, n_k, generator=g, dtype=torch.float64)
    normalizer = operators.get(name).normalizer
    assert torch.allclose(normalizer(scores + shift), normalizer(scores), atol=1e-9)


def test_sigmoid_is_not_shift_invariant():
    scores = torch.randn(4, 8, dtype=torch.float64)
    normalizer = operators.get("sigmoid").normalizer
    assert (normalizer(scores + 3.0) - normalizer(scores)).abs().max() > 0.1


def test_row_entropy_known_values():
    w = torch.tensor([[0.25] * 4, [0.0, 0.0, 2.0, 0.0], [0.0] * 4], dtype=torch.float64)
    assert torch.allclose(
        operators.row_entropy(w), torch.tensor([math.log(4), 0.0, 0.0], dtype=torch.float64)
    )


def test_l2_kernel_known_value():
    # q = e1, k = e2 in d = 4: -|q - k|^2 / sqrt(d) = -2 / 2 = -1; q = k gives 0.
    q = torch.tensor([[1.0, 0.0, 0.0, 0.0]], dtype=torch.float64)
    k = torch.tensor([[0.0, 1.0, 0.0, 0.0], [1.0, 0.0, 0.0, 0.0]], dtype=torch.float64)
    scores = operators.get("l2").kernel.scores(q, k)
    assert torch.allclose(scores, torch.tensor([[-1.0, 0.0]], dtype=torch.float64)), scores


def test_the_tied_kernel_rule_lives_in_the_operator_and_every_model_follows_it():
    from anatomy.core.model import ModelConfig, TinyTransformer
    from anatomy.vit import models as vit

    l2, softmax = operators.get("l2"), operators.get("softmax")
    drawn = []
    assert l2.key_projection("q", lambda: drawn.append(1)) == "q" and not drawn  # nothing drawn
    assert softmax.key_projection("q", lambda: "k") == "k"
    cfg = ModelConfig(vocab=4, classes=2, operator="l2", d_model=8, heads=2, layers=1)
    block = TinyTransformer(cfg).blocks[0].attention
    assert block.k is block.q
    # The ViT's fused projection: with a tied kernel its keys are its queries.
    net = vit.build_vit(8, 4, 8, 1, 2, 3, operator="l2").eval()
    maps = vit.capture(net, torch.randn(2, 3, 8, 8))[0]  # (B, h, N, N)
    # -|q_i - q_j|^2 is largest on the diagonal: every token weights itself most.
    eye = torch.arange(maps.shape[-1])
    assert (maps.argmax(-1) == eye).all()


LINEAR = [n for n in operators.names() if operators.get(n).family == "kernel" and n != "poly2"]


@pytest.mark.parametrize("name", LINEAR)
def test_the_causal_forms_of_a_linear_operator_compute_one_sum(name):
    """Transformers are RNNs: the masked matrix, the recurrence and the chunked scan of one
    registry operator agree (float64), a ragged last chunk included, and equal the operator's
    own weights under a causal mask (a sum written independently)."""
    g = torch.Generator().manual_seed(0)
    q, k, v = (torch.randn(2, 13, 4, generator=g, dtype=torch.float64) for _ in range(3))
    q, k = q.abs(), k.abs()  # no row of relu features all zero (0/0 in every form)
    op = operators.get(name)
    causal = torch.ones(13, 13, dtype=torch.bool).tril()
    reference = (
        (op.kernel.scores(q, k) * causal)
        @ v
        / (op.kernel.scores(q, k) * causal).sum(-1, keepdim=True)
    )
    for form in operators.CAUSAL_FORMS:
        out = op.causal(q, k, v, form, chunk=5)
        assert torch.allclose(out, reference, atol=1e-10, rtol=1e-10), form


def test_a_causal_form_reads_no_future_key():
    g = torch.Generator().manual_seed(1)
    q, k, v = (torch.randn(9, 4, generator=g, dtype=torch.float64).abs() for _ in range(3))
    k2, v2 = k.clone(), v.clone()
    k2[5:], v2[5:] = 50 * k2[5:], 1e6
    for name in ["softmax", *LINEAR]:
        op = operators.get(name)
        forms = operators.CAUSAL_FORMS if name in LINEAR else ("dense",)
        for form in forms:
            before, after = op.causal(q, k, v, form, chunk=4), op.causal(q, k2, v2, form, chunk=4)
            assert torch.allclose(before[:5], after[:5], atol=1e-12), (name, form)


def test_a_normalizer_of_the_whole_row_has_only_the_dense_causal_form():
    q = k = v = torch.randn(5, 4)
    softmax = operators.get("softmax")
    mask = torch.ones(5, 5, dtype=torch.bool).tril()
    assert torch.equal(softmax.causal(q, k, v), softmax(q, k, v, mask))
    for form in ("recurrent", "chunked"):
        with pytest.raises(ValueError, match="no .* form: it is not linear"):
            softmax.causal(q, k, v, form)
    with pytest.raises(ValueError, match="both signs"):
        operators.get("poly2").causal(q, k, v, "chunked")
    assert torch.allclose(
        operators.get("poly2").causal(q, k, v, "recurrent"),
        operators.get("poly2").causal(q, k, v, "dense"),
        atol=1e-5,
    )
    with pytest.raises(ValueError, match="unknown form"):
        softmax.causal(q, k, v, "sideways")
