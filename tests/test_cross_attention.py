"""The cross-attention controller on a tiny seeded UNet, and the offline loading path."""

import pytest
import torch

diffusers = pytest.importorskip("diffusers")
from diffusers import UNet2DConditionModel  # noqa: E402
from diffusers.models.attention_processor import AttnProcessor  # noqa: E402

from anatomy.core.operators import get as get_operator  # noqa: E402
from anatomy.diffusion.cross_attention import ControllerState, Window, install  # noqa: E402
from anatomy.diffusion.loading import PretrainedModelMissing, load_unet  # noqa: E402

TOKENS, WIDTH = 5, 8


def tiny_unet():
    torch.manual_seed(0)
    return UNet2DConditionModel(
        sample_size=8,
        in_channels=3,
        out_channels=3,
        layers_per_block=1,
        block_out_channels=(8, 16),
        norm_num_groups=4,
        cross_attention_dim=WIDTH,
        attention_head_dim=4,
        down_block_types=("CrossAttnDownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "CrossAttnUpBlock2D"),
    ).eval()


@pytest.fixture(scope="module")
def inputs():
    g = torch.Generator().manual_seed(1)
    x = torch.randn(2, 3, 8, 8, generator=g)
    a, b = (torch.randn(2, TOKENS, WIDTH, generator=g) for _ in range(2))
    return x, a, b


def run(unet, x, context, state=None, step=0):
    if state is not None:
        state.step = step
    with torch.no_grad():
        return unet(x, torch.tensor([10]), encoder_hidden_states=context).sample


def test_no_op_reproduces_the_stock_processors(inputs):
    x, a, _ = inputs
    unet = tiny_unet()
    fused = run(unet, x, a)  # diffusers' default (scaled_dot_product_attention)
    unet.set_attn_processor(AttnProcessor())
    stock = run(unet, x, a)
    install(unet, ControllerState())
    controlled = run(unet, x, a)
    assert torch.allclose(controlled, stock, atol=1e-6), f"{(controlled - stock).abs().max()}"
    assert torch.allclose(controlled, fused, atol=1e-5), f"{(controlled - fused).abs().max()}"


def test_record_keeps_row_stochastic_maps_per_layer_and_step(inputs):
    x, a, _ = inputs
    unet = tiny_unet()
    state = ControllerState(record=Window())
    layers = install(unet, state)
    assert len(layers) >= 4
    for step in (0, 1):
        run(unet, x, a, state, step)
    assert set(state.recorded) == {(layer, step) for layer in layers for step in (0, 1)}
    maps = state.recorded[(layers[0], 0)]
    assert maps.shape[0] == 2 and maps.shape[-1] == TOKENS
    assert torch.allclose(maps.sum(-1), torch.ones_like(maps.sum(-1)), atol=1e-5)


def test_uniform_null_and_per_layer_prompts(inputs):
    x, a, b = inputs
    unet = tiny_unet()
    state = ControllerState(uniform=Window(), record=Window())
    layers = install(unet, state)
    run(unet, x, a, state)
    assert torch.allclose(state.recorded[(layers[0], 0)], torch.full((1,), 1 / TOKENS))
    # The maps are the registry's uniform weights, bit for bit, and the shortcut is its read.
    uniform = get_operator("uniform")
    maps = state.recorded[(layers[0], 0)]
    assert torch.equal(
        maps, uniform.weights(torch.randn(*maps.shape[:-1], 3), torch.randn(TOKENS, 3))
    )
    values = torch.randn(2, TOKENS, 5)
    assert torch.allclose(
        uniform.normalizer.read(values, 7),
        uniform(torch.randn(2, 7, 3), torch.randn(2, TOKENS, 3), values),
        atol=1e-6,
    )
    # Without recording, uniform maps take the shortcut (each query reads the mean value):
    # the same output as the full path through 1/K weights.
    recorded = run(unet, x, a, state)
    install(unet, ControllerState(uniform=Window()))
    assert torch.allclose(run(unet, x, a), recorded, atol=1e-6)
    install(unet, ControllerState())
    assert not torch.allclose(run(unet, x, a), recorded, atol=1e-4)
    # Null context everywhere equals running with the null context as the prompt.
    null = torch.zeros(1, TOKENS, WIDTH)
    state = ControllerState(null=Window(), null_context=null)
    install(unet, state)
    with_null = run(unet, x, a, state)
    install(unet, ControllerState())
    assert torch.allclose(with_null, run(unet, x, null.expand(2, -1, -1)), atol=1e-6)
    # Prompt b in every layer (P+) equals running with b.
    install(unet, ControllerState(prompts={layer: b for layer in layers}))
    assert torch.allclose(run(unet, x, a), run(unet, x, b), atol=1e-6)
    # Prompt b in some layers only changes the output.
    install(unet, ControllerState(prompts={layers[0]: b}))
    assert not torch.allclose(run(unet, x, a), run(unet, x, b), atol=1e-4)


def test_injected_maps_replace_the_targets_maps(inputs):
    x, a, b = inputs
    unet = tiny_unet()
    source = ControllerState(record=Window())
    install(unet, source)
    run(unet, x, a, source)
    edit = ControllerState(inject=Window(stop=1), injected=dict(source.recorded), record=Window())
    layers = install(unet, edit)
    run(unet, x, b, edit, step=0)
    for layer in layers:
        assert torch.equal(edit.recorded[(layer, 0)], source.recorded[(layer, 0)])
    run(unet, x, b, edit, step=1)  # outside the window: b's own maps
    assert not torch.allclose(edit.recorded[(layers[0], 1)], source.recorded[(layers[0], 0)])


def test_cache_reuses_the_output_from_its_first_step(inputs):
    x, a, b = inputs
    unet = tiny_unet()
    state = ControllerState(cache=Window(start=0))
    install(unet, state)
    first = run(unet, x, a, state, step=0)
    # Later steps reuse every cross-attention output of step 0, whatever the prompt.
    assert torch.allclose(run(unet, x, b, state, step=1), first, atol=1e-6)


def test_pretrained_path_loads_a_locally_saved_model_through_the_same_call(tmp_path, inputs):
    x, a, _ = inputs
    unet = tiny_unet()
    unet.save_pretrained(tmp_path / "unet")
    loaded = load_unet(tmp_path)
    assert torch.allclose(run(loaded.eval(), x, a), run(unet, x, a), atol=1e-6)


def test_missing_pretrained_model_fails_with_what_to_download(monkeypatch, tmp_path):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    with pytest.raises(PretrainedModelMissing, match="download it"):
        load_unet("stable-diffusion-v1-5/stable-diffusion-v1-5")


def test_the_registry_normalizer_sees_diffusers_scores(inputs):
    """Through the seam, the registry's softmax on the scaled scores is diffusers' own map, and
    sparsemax gives row-stochastic maps with exact zeros that change the output."""
    from anatomy.diffusion.cross_attention import weights

    x, a, _ = inputs
    unet = tiny_unet()
    attn = unet.get_submodule(install(unet, ControllerState())[0].removesuffix(".processor"))
    g = torch.Generator().manual_seed(2)
    query, key = torch.randn(4, 16, 4, generator=g) * 3, torch.randn(4, TOKENS, 4, generator=g) * 3
    stock = attn.get_attention_scores(query, key, None)
    registry = weights("sparsemax", attn, query, key, None)
    from anatomy.core.operators import get

    softmax = get("softmax").normalizer(attn.scale * query @ key.transpose(-1, -2))
    assert torch.allclose(softmax, stock, atol=1e-6)
    assert torch.allclose(registry.sum(-1), torch.ones(4, 16), atol=1e-5)
    assert (registry == 0).any() and not (stock == 0).any()

    states = {op: ControllerState(operator=op, record=Window()) for op in ("softmax", "sparsemax")}
    outs = {}
    for op, state in states.items():
        unet = tiny_unet()
        install(unet, state)
        outs[op] = run(unet, x, a, state)
    maps = next(iter(states["sparsemax"].recorded.values()))
    assert (maps == 0).any()
    assert torch.allclose(maps.sum(-1), torch.ones_like(maps.sum(-1)), atol=1e-5)
    assert not torch.allclose(outs["softmax"], outs["sparsemax"], atol=1e-4)
