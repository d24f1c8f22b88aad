"""The ViT foundations: registry attention inside timm, capture through timm's hooks (and its
guard against fused attention), and the offline pretrained loading path."""

import pytest
import torch

timm = pytest.importorskip("timm")
from timm.models.vision_transformer import VisionTransformer  # noqa: E402

from anatomy.core.training import NonFiniteTraining  # noqa: E402
from anatomy.vit import models as vit  # noqa: E402
from anatomy.vit.settings import Architecture, Data, Training  # noqa: E402

SMALL = dict(img_size=16, patch_size=4, num_classes=3, embed_dim=16, depth=2, num_heads=2)


def images(n=2):
    return torch.randn(n, 3, 16, 16, generator=torch.Generator().manual_seed(0))


def test_registry_softmax_computes_what_timm_attention_computes():
    ours = vit.build_vit(16, 4, 16, 2, 2, 3, "softmax").eval()
    stock = VisionTransformer(mlp_ratio=2.0, **SMALL).eval()
    stock.load_state_dict(ours.state_dict())  # same parameter names and shapes
    assert torch.allclose(ours(images()), stock(images()), atol=1e-6)


def test_fused_softmax_trains_the_sum_the_registry_computes():
    """Softmax attention takes PyTorch's fused kernel unless someone reads the weights: the
    two paths agree in value and gradient, and no other operator is ever fused."""
    model = vit.build_vit(16, 4, 16, 2, 2, 3, "softmax").train()
    assert all(block.attn.fusable for block in model.blocks)
    fused = model(images())
    (fused_grad,) = torch.autograd.grad(fused.square().sum(), model.blocks[0].attn.qkv.weight)
    for block in model.blocks:
        block.attn.fused_attn = False
    plain = model(images())
    (plain_grad,) = torch.autograd.grad(plain.square().sum(), model.blocks[0].attn.qkv.weight)
    assert torch.allclose(fused, plain, atol=1e-5)
    assert torch.allclose(fused_grad, plain_grad, atol=1e-4)
    for operator in ("sparsemax", "uniform", "linear_elu"):
        blocks = vit.build_vit(16, 4, 16, 2, 2, 3, operator).blocks
        assert not any(block.attn.fusable for block in blocks)


def test_capture_returns_row_stochastic_maps_per_block():
    for operator in ("softmax", "sparsemax"):
        maps = vit.capture(vit.build_vit(16, 4, 16, 2, 2, 3, operator).eval(), images())
        assert len(maps) == 2
        assert maps[0].shape == (2, 2, 17, 17)  # (B, heads, 1 + 16 patches, same)
        assert torch.allclose(maps[1].sum(-1), torch.ones(2, 2, 17), atol=1e-5)
    sparse_model = vit.build_vit(16, 4, 16, 2, 2, 3, "sparsemax").eval()
    with torch.no_grad():
        for block in sparse_model.blocks:
            block.attn.qkv.weight.mul_(20)  # sharp scores: sparsemax cuts keys
    sparse = vit.capture(sparse_model, images())
    assert (sparse[0] == 0).any()  # the sparse normalizer's zeros reach the capture


def test_capture_raises_when_fused_attention_hides_the_maps():
    stock = VisionTransformer(**SMALL).eval()
    for block in stock.blocks:
        block.attn.fused_attn = True
    with pytest.raises(vit.MissingAttentionMaps, match="fused attention"):
        vit.capture(stock, images(), disable_fused=False)
    maps = vit.capture(stock, images())  # turned off: timm's own attention gives its maps
    assert torch.allclose(maps[0].sum(-1), torch.ones(2, 2, 17), atol=1e-5)


def test_unknown_operator_fails_with_the_registry():
    with pytest.raises(KeyError, match="registered"):
        vit.attention_layer("no-such-operator")


def test_pretrained_path_offline_from_a_local_checkpoint(tmp_path):
    name = "vit_tiny_patch16_224"
    reference = timm.create_model(name, pretrained=False, num_classes=5).eval()
    path = tmp_path / "weights.pth"
    torch.save(reference.state_dict(), path)
    loaded = vit.load_pretrained(name, file=path, num_classes=5)
    x = torch.randn(1, 3, 224, 224, generator=torch.Generator().manual_seed(1))
    assert torch.allclose(loaded(x), reference(x), atol=1e-5)
    assert len(vit.capture(loaded, x)) == 12


def test_pretrained_without_weights_says_what_to_download(tmp_path):
    with pytest.raises(vit.PretrainedModelMissing, match="hf download timm/vit_small"):
        vit.load_pretrained("vit_small_patch16_224.dino", file=tmp_path / "missing.pth")
    with pytest.raises(vit.PretrainedModelMissing, match="no local file"):
        vit.load_pretrained("vit_small_patch16_224.dino")


def sampler(n, g):  # label 1: a bright image, label 0: a dark one
    y = torch.randint(0, 2, (n,), generator=g)
    x = torch.randn(n, 3, 16, 16, generator=g) * 0.3 + (2 * y - 1).view(-1, 1, 1, 1)
    return x, y


def test_a_diverging_vit_stops_in_one_line_and_saves_nothing(tmp_path):
    # The typo (2e3 for 2e-3): the loss turns non-finite within a few steps.
    model = vit.build_vit(16, 8, 16, 1, 2, 2)
    with pytest.raises(NonFiniteTraining) as caught:
        vit.train(model, sampler, steps=40, batch=32, learning_rate=2e3, seed=0, warmup=1)
    assert "lower vit.training.learning_rate (now 2000)" in str(caught.value)
    assert "\n" not in str(caught.value)
    with torch.no_grad():
        next(model.parameters()).fill_(float("nan"))
    path = tmp_path / "m.pt"
    spec = vit.ModelSpec("softmax", 8)
    with pytest.raises(NonFiniteTraining, match="weight tensors are not finite"):
        data = Data(16, (0.1, 0.16), 0.15, 64, 12)
        vit.save_checkpoint(path, spec, data, Architecture(16, 1, 2), {}, model)
    assert not path.exists()


def test_training_learns_an_easy_rule():
    model = vit.build_vit(16, 8, 16, 1, 2, 2)
    history = vit.train(model, sampler, steps=60, batch=32, learning_rate=3e-3, seed=0, warmup=5)
    assert not model.training
    assert sum(h["accuracy"] for h in history[-10:]) / 10 > 0.9
    assert history[-1]["loss"] < history[0]["loss"]


def test_register_tokens_enter_the_captured_maps():
    model = vit.build_vit(16, 4, 16, 1, 2, 3, reg_tokens=2).eval()
    assert model.num_prefix_tokens == 3  # [CLS] + two registers
    maps = vit.capture(model, images())
    assert maps[0].shape == (2, 2, 3 + 16, 3 + 16)


def test_a_seed_trained_after_others_in_one_process_equals_that_seed_alone():
    """One job trains every seed of a model in turn; each must be what training it alone gives."""
    settings = (16, Architecture(16, 1, 2), Training(8, 16, 3e-3, 2, 8))  # size, model, training
    spec = vit.ModelSpec("softmax", 8)
    torch.manual_seed(7)
    torch.rand(3)  # whatever ran before in the process
    init_alone, alone, history_alone = vit.train_seed(spec, *settings, sampler, seed=1)
    vit.train_seed(spec, *settings, sampler, seed=0)
    init_after, after, history_after = vit.train_seed(spec, *settings, sampler, seed=1)
    assert history_alone == history_after
    for name, a in init_alone.items():
        assert torch.equal(a, init_after[name]), name
    for (name, a), b in zip(alone.state_dict().items(), after.state_dict().values(), strict=True):
        assert torch.equal(a, b), name
