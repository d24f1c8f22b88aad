"""An operator defined outside the package, named in ANATOMY_OPERATOR_PLUGINS, reaches the
zoo, the ViT and the diffusion UNet's cross-attention with no file of the package edited:
the registry is the one seam through which every experiment takes its attention."""

import sys

import pytest
import torch

from anatomy.core import operators
from anatomy.pipeline import config

PLUGIN = '''
"""A plugin: softmax at temperature 2, registered on import."""
import torch
from anatomy.core import operators as o


class HalfSoftmax(o.Normalizer):
    name = "half-softmax"

    def normalize(self, scores, mask):
        return torch.softmax(scores / 2, dim=-1)


o.register(o.AttentionOperator("half_softmax", o.ScaledDotProduct(), HalfSoftmax(), "softmax(s/2)"))
'''


@pytest.fixture
def plugin(tmp_path, monkeypatch):
    (tmp_path / "half_softmax_plugin.py").write_text(PLUGIN)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("ANATOMY_OPERATOR_PLUGINS", "half_softmax_plugin")
    monkeypatch.setattr(operators, "OPERATORS", dict(operators.OPERATORS))  # restored after
    operators._load_plugins()
    yield operators.get("half_softmax")
    sys.modules.pop("half_softmax_plugin", None)


def test_a_plugin_operator_reaches_the_zoo_the_vit_and_the_unet(plugin):
    from anatomy.diffusion import model as dm
    from anatomy.diffusion.cross_attention import install, weights
    from anatomy.vit import models as vit
    from anatomy.zoo import runs as zoo
    from anatomy.zoo.settings import Training
    from anatomy.zoo.tasks import TASKS

    torch.manual_seed(0)
    half = lambda scores: torch.softmax(scores / 2, dim=-1)  # noqa: E731
    # The zoo: a model of any task takes the operator by name.
    settings = Training(
        d_model=16, heads=2, layers=1, steps=1, batch=1, learning_rate=1e-3, log_every=1
    )
    model = zoo.build_model(TASKS["copy"], "half_softmax", settings)
    attention = model.blocks[0].attention
    assert attention.operator is plugin
    model(torch.randint(0, 8, (2, 9)))
    assert torch.allclose(attention.last_weights.sum(-1), torch.ones(2, 2, 9), atol=1e-6)
    # The ViT: timm's attention through the registry operator, read through timm's hooks.
    net = vit.build_vit(16, 4, 16, 1, 2, 3, operator="half_softmax").eval()
    images = torch.randn(2, 3, 16, 16)
    maps = vit.capture(net, images)[0]
    softmax_net = vit.build_vit(16, 4, 16, 1, 2, 3, operator="softmax").eval()
    softmax_net.load_state_dict(net.state_dict())
    softmax_maps = vit.capture(softmax_net, images)[0]
    # The same weights and images: the plugin's maps are softmax's at temperature 2, flatter.
    entropy = lambda p: -(p * p.log()).sum(-1).mean()  # noqa: E731
    assert entropy(maps) > entropy(softmax_maps)
    assert torch.allclose(maps.sum(-1), torch.ones_like(maps.sum(-1)), atol=1e-5)
    # The UNet: a diffusion variant named after the operator trains with its weights.
    from test_diffusion import SETTINGS, S

    unet_model, history = dm.train(S.data, S.model, S.training, "half_softmax", 2, seed=0)
    assert unet_model.state.operator == "half_softmax" and len(history) == 2
    name = install(unet_model.unet, unet_model.state)[0].removesuffix(".processor")
    attn = unet_model.unet.get_submodule(name)
    q, k = torch.randn(2, 16, 4), torch.randn(2, 5, 4)
    expected = half(attn.scale * q @ k.transpose(-1, -2))
    assert torch.allclose(weights("half_softmax", attn, q, k, None), expected, atol=1e-6)
    # The configuration accepts it as a variant, and refuses what is not registered.
    training = {**SETTINGS["training"], "variant_steps": 4}
    diffusion = {**SETTINGS, "training": training, "pretrained": None, "layer_map_variants": []}
    config.check_diffusion({**diffusion, "variants": ["pooled", "uniform", "half_softmax"]})
    with pytest.raises(config.ConfigError, match="registered operator"):
        config.check_diffusion({**diffusion, "variants": ["pooled", "uniform", "quarter_softmax"]})
    with pytest.raises(config.ConfigError, match="ties queries to keys"):
        config.check_diffusion({**diffusion, "variants": ["pooled", "uniform", "l2"]})
    with pytest.raises(config.ConfigError, match="must hold uniform"):
        config.check_diffusion({**diffusion, "variants": ["pooled", "half_softmax"]})
    config.check_diffusion({**diffusion, "variants": ["uniform", "half_softmax"]})  # no pooled
