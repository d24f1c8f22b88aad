"""The tiny text-to-image model, its checker, its analyses and the pretrained loading path."""

import json
from dataclasses import replace

import pytest
import torch

pytest.importorskip("diffusers")

from anatomy.core import shapes_data as sd  # noqa: E402
from anatomy.core.artifacts import UnreadableFile  # noqa: E402
from anatomy.core.training import NonFiniteTraining  # noqa: E402
from anatomy.diffusion import data as ddata  # noqa: E402
from anatomy.diffusion import layer_map as dl  # noqa: E402
from anatomy.diffusion import measurements as da  # noqa: E402
from anatomy.diffusion import model as dm  # noqa: E402
from anatomy.diffusion.cross_attention import Window  # noqa: E402
from anatomy.diffusion.loading import PretrainedModelMissing  # noqa: E402
from anatomy.diffusion.settings import Analysis, DiffusionSettings, Sampling  # noqa: E402

SETTINGS = {
    "data": dict(
        size=8, colours=4, shapes=3, relations=2, radius=[0.2, 0.25], jitter=0.5, holdout=0.2
    ),
    "model": dict(
        text_width=16,
        text_layers=1,
        channels=[8, 16],
        attention=[True, True],
        heads=2,
        layers_per_block=1,
    ),
    "training": dict(
        steps=4,
        variant_steps=2,
        batch=4,
        learning_rate=1e-3,
        warmup=2,
        ema=0.9,
        caption_dropout=0.1,
        prediction="v_prediction",
        log_every=2,
    ),
}
S = DiffusionSettings.of(SETTINGS)  # as a job's boundary makes it
SAMPLING = Sampling(steps=3, guidance=3.0)
DATA = S.data


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    folder = tmp_path_factory.mktemp("models")
    torch.set_num_threads(1)
    models = {}
    for variant in dm.VARIANTS:
        model, history = dm.train(S.data, S.model, S.training, variant, 4, seed=0)
        assert len(history) == 4 and all(h["loss"] > 0 for h in history)
        dm.save(model, folder / variant, {"steps": 4})
        models[variant] = model
    return folder, models


# ------------------------------------------------------------------------------- checker


def test_checker_reads_binding_from_pixels_alone_and_calls_a_swap_a_swap():
    g = torch.Generator().manual_seed(0)
    attributes = sd.sample_attributes(512, g, 4, 3, 2)
    layout = g.get_state()
    scenes = sd.render(attributes, 16, g, tuple(sd.COLOURS)[:4], (0.2, 0.25))
    reads = sd.read_samples(scenes.images, attributes, tuple(sd.COLOURS)[:4], 3)
    assert reads["present"].all() and reads["position"].all()
    assert reads["binding"].float().mean() >= 0.99
    # The same layout with the colours exchanged between the shapes: a binding error.
    swapped = attributes.clone()
    swapped[:, [0, 3]] = swapped[:, [3, 0]]
    same = torch.Generator()
    same.set_state(layout)
    wrong = sd.render(swapped, 16, same, tuple(sd.COLOURS)[:4], (0.2, 0.25))
    reads = sd.read_samples(wrong.images, attributes, tuple(sd.COLOURS)[:4], 3)
    two_shapes = attributes[:, 1] != attributes[:, 4]
    assert reads["present"].all()
    assert reads["swapped"][two_shapes].float().mean() >= 0.99
    assert reads["binding"][two_shapes].float().mean() <= 0.01
    assert not reads["position"].any()  # object 1's colour now sits on the wrong side


def test_shape_classifier_reads_rendered_shapes():
    g = torch.Generator().manual_seed(1)
    n = 300
    shape = torch.arange(n) % 3
    radius = 16 * (0.2 + 0.05 * torch.rand(n, generator=g))
    cx, cy = (5 + 6 * torch.rand(n, generator=g) for _ in range(2))
    masks = sd.shape_masks(shape, cx, cy, radius, 16)
    assert (sd.classify_shapes(masks) == shape).float().mean() >= 0.98
    assert (sd.classify_shapes(torch.zeros(2, 16, 16, dtype=torch.bool)) == -1).all()


def test_chance_levels_are_low_for_a_model_that_ignores_the_prompt():
    chance = da.chance_levels(replace(DATA, size=16), seed=0, n=2048)
    assert chance["prompt_ignored_binding"] < 0.05
    assert chance["random_pairing_binding"] == 0.5


# ------------------------------------------------------------------------ data and split


def test_held_out_combinations_never_reach_training():
    held = ddata.heldout_combinations(DATA, 0)
    two_shape = [c for c in ddata.all_combinations(DATA) if c[1] != c[4]]
    assert len(held) == round(0.2 * len(two_shape))
    drawn = ddata.draw_attributes(4000, torch.Generator().manual_seed(0), DATA, exclude=held)
    assert not {tuple(r) for r in drawn.tolist()} & held
    prompts = ddata.evaluation_prompts(DATA, 0, 50)
    assert {tuple(r) for r in prompts.tolist()} <= held
    assert (prompts[:, 1] != prompts[:, 4]).all()


# ------------------------------------------------------------------ models, save and load


def test_saved_models_load_back_through_the_pretrained_path_and_sample_the_same(trained):
    folder, models = trained
    for variant, model in models.items():
        assert sorted(p.name for p in (folder / variant).iterdir()) == [
            "anatomy.json",
            "scheduler",
            "text_encoder",
            "tokenizer",
            "unet",
        ]
        loaded = dm.load(folder / variant)
        assert loaded.variant == variant
        captions = ["a red circle left of a blue square"] * 2
        a = model.sample(captions, torch.Generator().manual_seed(3), 8, steps=3)
        b = loaded.sample(captions, torch.Generator().manual_seed(3), 8, steps=3)
        assert a.shape == (2, 3, 8, 8)
        assert torch.allclose(a, b, atol=1e-5), f"{variant}: {(a - b).abs().max()}"


def test_variants_differ_where_they_should(trained):
    _, models = trained
    assert models["pooled"].unet.class_embedding is not None
    assert models["base"].unet.class_embedding is None
    uniform = models["uniform"]
    with da.intervention(uniform, record=Window()) as state:
        uniform.sample(["a red circle left of a blue square"], torch.Generator(), 8, steps=2)
        maps = list(state.recorded.values())
    assert maps and all(torch.allclose(m, torch.full_like(m, 1 / m.shape[-1])) for m in maps)
    # The sparse variants train and sample with their registry normalizer: exact zeros.
    for name in dm.NORMALIZER_VARIANTS:
        model = models[name]
        assert model.state.operator == name
        with da.intervention(model, record=Window()) as state:
            model.sample(["a red circle left of a blue square"], torch.Generator(), 8, steps=2)
            maps = list(state.recorded.values())
        assert maps and all(torch.allclose(m.sum(-1), torch.ones_like(m.sum(-1))) for m in maps)
        assert any((m == 0).any() for m in maps), name


def test_pretrained_folder_with_a_vae_runs_the_same_analyses(tmp_path, trained):
    """A latent model (a VAE beside the UNet, as in Stable Diffusion), saved with
    save_pretrained and loaded back through the same call."""
    from diffusers import AutoencoderKL, UNet2DConditionModel

    folder, models = trained
    base = models["base"]
    torch.manual_seed(0)
    vae = AutoencoderKL(
        in_channels=3,
        out_channels=3,
        latent_channels=4,
        block_out_channels=(8, 8),
        down_block_types=("DownEncoderBlock2D",) * 2,
        up_block_types=("UpDecoderBlock2D",) * 2,
        norm_num_groups=4,
        layers_per_block=1,
    )
    unet = UNet2DConditionModel(
        sample_size=4,
        in_channels=4,
        out_channels=4,
        layers_per_block=1,
        block_out_channels=(8, 16),
        norm_num_groups=8,
        cross_attention_dim=16,
        attention_head_dim=2,
        down_block_types=("CrossAttnDownBlock2D",) * 2,
        up_block_types=("CrossAttnUpBlock2D",) * 2,
    )
    sd_like = dm.TextToImage(unet, base.text_encoder, base.tokenizer, base.scheduler)
    dm.save(sd_like, tmp_path / "sd", {})
    vae.save_pretrained(tmp_path / "sd" / "vae")
    loaded = dm.load(tmp_path / "sd")
    assert loaded.vae is not None and len(loaded.layers) == 7
    images = loaded.sample(["a red circle left of a blue square"], torch.Generator(), 8, steps=2)
    assert images.shape == (1, 3, 8, 8)
    table = da.token_map_table(loaded, DATA, seed=0, prompts=2, timesteps=[500], threshold=0.4)
    assert set(table.word) >= set(da.WORDS)


def test_missing_pretrained_pipeline_says_what_to_download(monkeypatch, tmp_path):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    with pytest.raises(PretrainedModelMissing, match="download it"):
        dm.load("stable-diffusion-v1-5/stable-diffusion-v1-5")


def test_a_damaged_trained_model_names_its_file_and_the_retraining_command(trained, tmp_path):
    import shutil

    folder, _ = trained
    copy = tmp_path / "base"
    shutil.copytree(folder / "base", copy)
    weights = next((copy / "unet").glob("*.safetensors"))
    weights.write_bytes(weights.read_bytes()[:1000])
    with pytest.raises(UnreadableFile) as caught:
        dm.load(copy)
    message = str(caught.value)
    assert str(weights) in message and message.endswith(f"snakemake --cores 2 -f {copy}")
    assert "hf download" not in message  # our own model: nothing to download


def test_a_nan_loss_stops_diffusion_training_before_any_snapshot(tmp_path):
    training = replace(S.training, learning_rate=1e30)
    snapshot = tmp_path / "short"
    with pytest.raises(NonFiniteTraining, match="lower diffusion.training.learning_rate"):
        dm.train(S.data, S.model, training, "base", 6, seed=0, snapshots={5: snapshot})
    assert not snapshot.exists()


# --------------------------------------------------------------------------- the analyses


def test_map_scores_are_one_on_the_own_object_and_minus_one_on_the_other():
    g = torch.Generator().manual_seed(0)
    scenes = sd.render(sd.sample_attributes(8, g), 16, g)
    own = scenes.masks.float()
    maps = torch.stack([own[:, 0], own[:, 0], own[:, 1], own[:, 1]], 1)
    scores = da.map_scores(maps, scenes.masks, 0.4)
    assert torch.allclose(scores["iou"], torch.ones(8, 4))
    assert torch.allclose(scores["margin"], torch.ones(8, 4))
    flipped = maps[:, [2, 3, 0, 1]]
    assert torch.allclose(da.map_scores(flipped, scenes.masks, 0.4)["margin"], -torch.ones(8, 4))


def test_object_maps_sum_heads_and_the_words_tokens():
    probs = torch.zeros(1, 2, 4, 5)  # 2 heads, a 2x2 map, 5 tokens
    probs[0, 0, :, 1] = 1.0
    probs[0, 1, :, 3] = 0.5
    probs[0, 1, :, 4] = 0.5
    maps = da.object_maps(probs, [[[1], [3, 4]]], size=2)
    assert torch.allclose(maps[0, 0], torch.ones(2, 2))
    assert torch.allclose(maps[0, 1], torch.ones(2, 2))


def test_word_swap_with_the_same_prompt_and_full_injection_reproduces_the_source(trained):
    _, models = trained
    model = models["base"]
    prompts = ddata.evaluation_prompts(DATA, 0, 3)
    with da.intervention(model, record=Window()) as state:
        _, source = da.sample_reads(model, prompts, DATA, SAMPLING, seed=5)
        recorded = dict(state.recorded)
    with da.intervention(model, inject=Window(), injected=recorded):
        _, again = da.sample_reads(model, prompts, DATA, SAMPLING, seed=5)
    assert torch.allclose(source, again, atol=1e-5)
    assert model.state.inject is None and not model.state.injected  # restored


ANALYSIS = DiffusionSettings(
    data=DATA,
    sampling=SAMPLING,
    analysis=Analysis(
        prompts=4,
        grid=4,
        ablation_prompts=2,
        sweep_prompts=2,
        map_prompts=2,
        swap_prompts=2,
        guidance_scales=(1.0, 3.0),
        timesteps=(200, 800),
        threshold=0.4,
        splits=(0.0, 0.5, 1.0),
        taus=(0.0, 1.0),
        margin_threshold=0.1,
        effect_threshold=0.05,
    ),
)


@pytest.fixture(scope="module")
def measured(trained):
    """Every measurement of the base model: ``{name: (table, extras)}``."""
    _, models = trained
    return {name: fn(models["base"], ANALYSIS, 0) for name, fn in da.MEASUREMENTS.items()}


def test_measurements_produce_their_tables(trained, measured):
    _, models = trained
    model, tables = models["base"], measured
    ablations = tables["ablations"][0]
    assert len(ablations) == 1 + 2 * (len(model.layers) + 1)
    maps = tables["token_maps"][0]
    layers = maps[maps.layer != "all"].drop_duplicates("layer")
    roles = dl.classify_layers(
        maps, ablations, dict(zip(layers.layer, layers.resolution, strict=True)), 0.1, 0.05
    )
    assert len(roles) == len(model.layers) and set(roles.role) <= {"binding", "modulation"}
    prompts = tables["layer_prompts"][0]
    assert set(prompts.group) >= {"none", "8x8", "4x4", "down", "mid", "up"}
    json.dumps(tables["samples"][1]["chance"])


def test_disjoint_prompt_changes_every_attribute():
    a = ddata.evaluation_prompts(DATA, 0, 20)
    b = da.disjoint_prompt(a, DATA)
    assert (a != b).all()


def _layer_tables(effects: dict[str, tuple[float, float, float]], margins=None):
    """Token maps (margin 0.5 in every layer unless ``margins`` says otherwise) and ablations
    with the given uniform-map effects ``layer -> (binding, drop_low, drop_high)`` against a
    base binding of 0.9."""
    import pandas as pd

    margins = margins or {}
    maps = pd.DataFrame(
        [
            {"layer": name, "word": word, "margin": margins.get(name, 0.5), "iou": 0.5}
            | {"resolution": 8}
            for name in effects
            for word in ("colour1", "colour2")
        ]
    )
    reads = dict(present=1.0, swapped=0.0, position=0.5)
    ablations = pd.DataFrame(
        [{"condition": "none", "layer": "none", "binding": 0.9, **reads}]
        + [
            {
                "condition": kind,
                "layer": name,
                "binding": binding,
                "binding_drop_low": low,
                "binding_drop_high": high,
                **reads,
            }
            for name, (binding, low, high) in effects.items()
            for kind in ("uniform", "null")
        ]
    )
    return maps, ablations


def test_layer_map_rule_needs_both_a_margin_and_an_interval_clear_of_the_threshold():
    # (binding with uniform maps, the 95% interval of the drop from 0.9)
    effects = {"a": (0.5, 0.3, 0.5), "b": (0.9, -0.04, 0.04), "c": (0.5, 0.3, 0.5)}
    effects["d"] = (0.8, 0.01, 0.19)  # a drop of 0.1, but the interval contains 0.05
    maps, ablations = _layer_tables(effects, margins={"c": 0.0})
    roles = dl.classify_layers(maps, ablations, {"a": 8, "b": 8, "c": 4, "d": 4}, 0.1, 0.05)
    assert roles.set_index("layer").role.to_dict() == {
        "a": "binding",  # its maps sit on the object and removing its routing costs binding
        "b": "modulation",  # maps on the object, but nothing depends on them
        "c": "modulation",  # removing it costs binding, but its maps do not locate the word
        "d": "undecided",  # the prompts cannot tell its cost from the threshold
    }


def test_the_layer_map_of_each_named_model_counts_its_binding_seeds(tmp_path):
    analysis = ANALYSIS.analysis  # margin threshold 0.1, effect threshold 0.05
    binds, flat = (0.6, 0.2, 0.4), (0.9, -0.02, 0.02)
    runs = {
        ("sparsemax", 0): {"a": binds, "b": flat},
        ("sparsemax", 1): {"a": binds, "b": flat},
        ("base_short", 0): {"a": binds, "b": binds},
        ("base_short", 1): {"a": flat, "b": binds},
    }
    paths = []
    for (model, seed), effects in runs.items():
        folder = tmp_path / "variants" / model / f"seed{seed}"
        folder.mkdir(parents=True)
        for name, table in zip(("token_maps", "ablations"), _layer_tables(effects), strict=True):
            table.to_parquet(folder / f"{name}.parquet")
            paths.append(str(folder / f"{name}.parquet"))
    per_seed = dl.variant_layer_maps(paths, analysis)
    assert len(per_seed) == 8 and set(per_seed.model) == {"sparsemax", "base_short"}
    summary = dl.variant_layer_summary(per_seed).set_index(["model", "layer"])
    assert summary.loc[("sparsemax", "a"), "binding"] == 2
    assert summary.loc[("sparsemax", "b"), "binding"] == 0
    assert summary.loc[("base_short", "a"), "binding"] == 1
    assert summary.loc[("base_short", "b"), ["binding", "seeds"]].tolist() == [2, 2]
    assert summary.loc[("sparsemax", "a"), "cost"] == pytest.approx(0.3)
    assert summary.loc[("base_short", "a"), "cost"] == pytest.approx(0.15)
    phrase = dl.variant_layer_phrase(dl.variant_layer_summary(per_seed))
    assert phrase.startswith("sparsemax: a binds in every seed") and "base_short: b binds" in phrase
    # The base model's other seeds are read the same way, after the probed seed's tables.
    seeds = dl.seed_tables(0, *_layer_tables({"a": binds}), paths[2:4])
    assert list(seeds) == [0, 1] and len(seeds[1][0]) == 4  # sparsemax seed 1: layers a, b
    with pytest.raises(ValueError, match="one model"):
        dl.seed_tables(0, *_layer_tables({"a": binds}), paths)


def test_an_ablation_drop_carries_its_paired_interval_over_prompts(trained):
    _, models = trained
    table = da.ablation_table(models["base"], DATA, SAMPLING, seed=0, prompts=6)
    none = table[table.condition == "none"].iloc[0]
    assert none.binding_drop == 0 and none.binding_drop_low == none.binding_drop_high == 0
    assert (table.prompts == 6).all()
    assert (table.binding_drop_low <= table.binding_drop + 1e-12).all()
    assert (table.binding_drop <= table.binding_drop_high + 1e-12).all()
    assert ((table.binding_drop - (table.binding.iloc[0] - table.binding)).abs() < 1e-6).all()


def test_attention_levels_choose_where_the_transformer_blocks_are():
    """``model.attention`` per channel level: without transformer blocks at the finest level,
    every cross-attention layer sees the coarser feature map; a level list of the wrong
    length, or without any attention, is refused."""

    def sides(model):
        text, unet, tokenizer = dm.build(model, DATA)
        probe = dm.TextToImage(unet, text, tokenizer, dm.noise_scheduler("v_prediction"))
        return {dl.short_name(n): side for n, side in da.layer_resolution(probe, DATA.size).items()}

    coarse = sides(replace(S.model, attention=(False, True)))
    assert sorted(coarse) == ["down1.0", "mid", "up0.0", "up0.1"]
    assert set(coarse.values()) == {DATA.size // 2}
    both = sides(replace(S.model, attention=(True, True)))
    assert len(both) == 7 and set(both.values()) == {DATA.size, DATA.size // 2}
    for wrong in ([True], [False, False]):
        with pytest.raises(ValueError, match="diffusion.model.attention"):
            dm.build(replace(S.model, attention=wrong), DATA)


def test_the_normalizer_comparison_pairs_each_sparse_model_with_softmax_by_seed():
    import pandas as pd

    rows = []
    for seed, (soft, sparse) in enumerate([(0.5, 0.6), (0.7, 0.8), (0.6, 0.7)]):
        common = dict(seed=seed, steps=7, present=1.0, miou=0.5, map_margin=0.1, final_loss=0.1)
        rows += [
            dict(model="base_short", operator="softmax", binding=soft, **common),
            dict(model="sparsemax", operator="sparsemax", binding=sparse, **common),
            dict(model="uniform", operator="softmax", binding=0.1, **common),
        ]
    table = dl.normalizer_comparison(pd.DataFrame(rows)).set_index("operator")
    assert list(table.index) == ["softmax", "sparsemax"]  # the uniform variant is not one
    assert table.loc["sparsemax", "binding_diff"] == pytest.approx(0.1)
    assert table.loc["sparsemax", "binding_diff_ci"] == pytest.approx(0.0, abs=1e-9)  # constant
    assert table.loc["softmax", "binding"] == pytest.approx(0.6)
    assert table.loc["softmax", "binding_diff"] == pytest.approx(0.0)


def _variant_rows():
    """A per-seed table of the retrained variants, as compare_diffusion_variants writes it."""
    import pandas as pd

    rows = []
    for seed in range(3):
        for model, operator, binding in (
            ("base", "softmax", 0.8),
            ("base_short", "softmax", 0.5 + 0.1 * seed),
            ("pooled", "softmax", 0.3),
            ("uniform", "softmax", 0.2 + 0.1 * seed),
            ("sparsemax", "sparsemax", 0.6 + 0.1 * seed),
            ("entmax15", "entmax15", 0.5 + 0.1 * seed),
        ):
            rows.append(
                dict(
                    model=model,
                    operator=operator,
                    seed=seed,
                    steps=7,
                    binding=binding,
                    present=0.9,
                    swapped=0.1,
                    final_loss=0.2,
                    miou=0.4,
                    map_margin=0.1,
                )
            )
    return pd.DataFrame(rows)


def test_the_section_numbers_come_from_the_tables(measured):
    import re
    from pathlib import Path

    from anatomy.diffusion.summary import section_values

    tables = {name: table for name, (table, _) in measured.items()}
    extras = {name: found for name, (_, found) in measured.items()}
    s = replace(ANALYSIS, seeds=(0, 1, 2), training=S.training)
    values = section_values(tables, extras, s, 0, [], _variant_rows(), [])
    section = (Path(__file__).resolve().parents[1] / "paper/sections/diffusion.tex").read_text()
    used = set(re.findall(r"\\(diff[A-Za-z]+)", section))
    only_with_layer_maps = {"diffVariantLayers", "diffVariantLayersShown"}
    assert used - only_with_layer_maps - set(values) == set()
    samples = tables["samples"]
    assert values["diffBinding"] == pytest.approx(samples.binding.mean())
    assert values["diffPrompts"] == len(samples) and values["diffMapSeeds"] == 1
    assert values["diffAblationPrompts"] == 2
    # Paired over seeds against base_short: uniform is 0.3 lower on every seed.
    assert values["diffVarUniformDiff"] == pytest.approx(-0.3)
    assert values["diffVarUniformPhrase"] == "binds worse than"
    assert values["diffNormSparsemaxDiff"] == pytest.approx(0.1)
    assert values["diffNormSparsemaxPhrase"] == "binds better than"
    assert values["diffNormEntmaxPhrase"] == "binds as well as"
    assert "diffVarPooledBinding" in values
    without = section_values(tables, extras, s, 0, [], None, [])
    assert not [k for k in without if re.match(r"diff(Var[A-Z]|Norm)", k)]  # no variants
