"""The ViT experiment's measurements and plumbing: models by name, checkpoints, cached data,
the measurements on tiny models (against identities: uniform attention has ratio 1, a map
equal to the mask has Jaccard 1), and the pretrained path on a folder of images, offline."""

import numpy as np
import pandas as pd
import pytest
import torch
from PIL import Image

from anatomy.core import artifacts
from anatomy.pipeline.config import ConfigError, check_vit
from anatomy.vit import data as vit_data
from anatomy.vit import measurements as vm
from anatomy.vit import models as vit
from anatomy.vit.settings import ViTSettings

SETTINGS = {
    "data": {"size": 16, "radius": [0.1, 0.16], "noise": 0.15, "train": 64, "evaluation": 12},
    "model": {"embed_dim": 16, "depth": 2, "heads": 2},
    "patch_sizes": [2, 4, 8],
    "reference_patch": 4,
    "contrast_operator": "sparsemax",
    "registers": 2,
    "token_sweep": {"grid": 4, "sizes": [32]},
    "analysis": {"share": 0.6, "examples": 2, "norm_factor": 3.0},
}
S = ViTSettings.of(SETTINGS)  # as a job's boundary makes it


def test_model_names_round_trip_and_the_experiment_lists_five_models():
    specs = vit.experiment_specs(S)
    assert [s.name for s in specs] == [
        "softmax_p2",
        "softmax_p4",
        "softmax_p8",
        "sparsemax_p4",
        "softmax_p4_reg2",
    ]
    for spec in specs:
        assert vit.ModelSpec.parse(spec.name) == spec
    with pytest.raises(ValueError):
        vit.ModelSpec.parse("softmax4")


def test_the_token_sweep_keeps_the_grid_and_grows_image_and_patch_together():
    specs = vit.token_sweep_specs(S.token_sweep, S.data.size)
    assert [s.name for s in specs] == ["softmax_p4", "softmax_p8_s32"]
    for spec in specs:
        assert vit.ModelSpec.parse(spec.name) == spec
        model = vit.build_from_spec(spec, S.data.size, S.model)
        assert model.patch_embed.grid_size == (4, 4)
        assert spec.image_size(S.data.size) == model.patch_embed.img_size[0]
    both = vit.ModelSpec("softmax", 8, 2, 32)
    assert both.name == "softmax_p8_s32_reg2" and vit.ModelSpec.parse(both.name) == both
    with pytest.raises(ConfigError, match="multiple of grid"):
        check_vit(SETTINGS | {"token_sweep": {"grid": 4, "sizes": [30]}} | _training())


def _training():
    return {"pretrained": None, "training": {"steps": 10, "warmup": 2}}


def test_checkpoint_keeps_trained_and_initial_weights(tmp_path):
    spec = vit.ModelSpec("softmax", 4, 2)
    torch.manual_seed(0)
    model = vit.build_from_spec(spec, S.data.size, S.model)
    init = {k: v.clone() for k, v in model.state_dict().items()}
    with torch.no_grad():
        model.head.weight.add_(1.0)
    vit.save_checkpoint(tmp_path / "m.pt", spec, S.data, S.model, init, model)
    loaded_spec, trained = vit.load_checkpoint(tmp_path / "m.pt")
    _, first = vit.load_checkpoint(tmp_path / "m.pt", "init")
    x = torch.randn(3, 3, 16, 16)
    assert loaded_spec == spec and trained.num_prefix_tokens == 3
    with torch.no_grad():
        assert torch.allclose(trained(x), model.eval()(x), atol=1e-6)
        assert torch.allclose(first.head.weight + 1.0, trained.head.weight)


def test_cached_data_is_deterministic_and_the_sampler_keeps_labels():
    a = vit_data.make_dataset(32, 8, 16, seed=3)
    b = vit_data.make_dataset(32, 8, 16, seed=3)
    assert torch.equal(a["train_images"], b["train_images"])
    assert a["train_images"].dtype == torch.float16
    ev = vit_data.evaluation_set(a, 5)
    assert ev.images.shape == (5, 3, 16, 16) and ev.target.shape == (5, 16, 16)
    # Held-out images come from their own generator, not from the training stream.
    assert not torch.equal(ev.images[0].half(), a["train_images"][0])
    x, y = vit_data.training_sampler(a)(64, torch.Generator().manual_seed(0))
    assert x.shape == (64, 3, 16, 16) and set(y.tolist()) <= {0, 1, 2}
    # Every drawn image is a training image, flipped or not.
    flat = a["train_images"].float().flatten(1)
    for image in x[:8]:
        same = (flat == image.flatten()).all(1) | (flat == image.flip(-1).flatten()).all(1)
        assert same.any()


def test_uniform_attention_has_distance_ratio_one():
    model = vit.build_vit(16, 4, 16, 2, 2, 3, operator="uniform").eval()
    rows = vm.distance_rows(model, torch.randn(4, 3, 16, 16))
    ratios = np.array([r["distance_ratio"] for r in rows])
    assert np.allclose(ratios, 1.0, atol=1e-9)
    assert all(abs(r["distance_tokens"] * 4 - r["distance_px"]) < 1e-9 for r in rows)


def _objects(n=6, size=16, patch=4):
    """Targets that are exactly one patch, distractors exactly another."""
    target = torch.zeros(n, size, size, dtype=torch.bool)
    distractor = torch.zeros_like(target)
    target[:, :patch, :patch] = True
    distractor[:, -patch:, -patch:] = True
    images = torch.randn(n, 3, size, size)
    return vit_data.Objects(images, target, distractor, torch.zeros(n, dtype=torch.long))


def test_a_map_on_the_target_scores_jaccard_one_and_full_margin():
    objects = _objects()
    grid = 4
    maps = torch.zeros(len(objects.labels), grid, grid)
    maps[:, 0, 0] = 1.0
    out = vm.object_scores(maps, objects, patch=4, share=0.6)
    assert out["jaccard_target"] == pytest.approx(1.0)
    assert out["jaccard_distractor"] == 0 and out["margin"] == pytest.approx(1.0)
    assert out["mass_target"] == pytest.approx(1.0)
    uniform = torch.full((len(objects.labels), grid, grid), 1 / 16)
    assert vm.object_scores(uniform, objects, 4, 0.6)["mass_target"] == pytest.approx(1 / 16)


def _checkpoints(specs, folder, seed=0, settings=S) -> list:
    """Untrained checkpoints of ``specs`` in ``folder`` (initialized from ``seed``), their
    paths."""
    paths = []
    for spec in specs:
        torch.manual_seed(seed)
        model = vit.build_from_spec(spec, settings.data.size, settings.model)
        path = folder / f"{spec.name}{f'_seed{seed}' if seed else ''}.pt"
        vit.save_checkpoint(path, spec, settings.data, settings.model, model.state_dict(), model)
        paths.append(path)
    return paths


def test_measurements_on_tiny_models(tmp_path):
    objects = _objects(8)
    models = vm.load_models(_checkpoints(vit.experiment_specs(S), tmp_path))
    found, extras = vm.measure_objects(models, objects, S, seed=0)
    assert set(found.kind) == {"cls", "rollout", "random", "brightness", "objects", "position"}
    assert (found.margin_low <= found.margin + 1e-12).all()
    assert (found.margin <= found.margin_high + 1e-12).all()
    assert set(extras["maps"]) == set(models) and len(extras["images"]) == 2
    # Rollout of one layer is that layer's head-averaged [CLS] row.
    first = found[(found.layer == 0) & (found["head_id"] == "mean")]
    for model in models:
        rows = first[(first.model == model) & (first.state == "trained")]
        assert rows.jaccard_target.nunique() == 1
    patch, _ = vm.measure_patch(models, objects, S, seed=0)
    repatched = patch[patch.kind == "repatchified"]
    assert sorted(repatched.patch) == [2, 8] and (repatched.trained_patch == 4).all()
    assert set(patch.tokens) == {64, 16, 4}
    # The token sweep: each model on images of its own size, the same grid throughout.
    sweep = _checkpoints(vit.token_sweep_specs(S.token_sweep, S.data.size), tmp_path)
    sized = {16: objects, 32: _objects(8, size=32, patch=8)}
    tokens, _ = vm.measure_tokens(vm.load_models(sweep), sized, S, seed=0)
    assert list(tokens["size"]) == [16, 32] and list(tokens.patch) == [4, 8]
    assert set(tokens.tokens) == {16}
    assert np.allclose(tokens.distance_image, tokens.distance_tokens / 4)
    norms, _ = vm.measure_norms(models, objects, S, seed=0)
    assert set(norms[norms.registers > 0].kind) == {"cls", "patch", "register"}
    shift, _ = vm.measure_shift(models, objects, S, seed=0)
    assert sorted(shift.shift_px.unique()) == list(range(1, 9))


def test_config_relations_for_the_vit_block(tmp_path):
    full = SETTINGS | {"training": {"steps": 10, "warmup": 2}, "pretrained": None}
    check_vit(full)
    with pytest.raises(ConfigError, match="does not divide"):
        check_vit(full | {"patch_sizes": [3, 4]})
    with pytest.raises(ConfigError, match="reference_patch"):
        check_vit(full | {"reference_patch": 16})
    with pytest.raises(ConfigError, match="multiple of heads"):
        check_vit(full | {"model": {"embed_dim": 15, "depth": 1, "heads": 2}})
    with pytest.raises(ConfigError, match="warmup = 10: must be fewer than steps = 10"):
        check_vit(full | {"training": {"steps": 10, "warmup": 10}})
    pretrained = {"models": ["vit_tiny_patch16_224"], "weights": str(tmp_path), "images": "none"}
    with pytest.raises(ConfigError, match="images = none: no such folder"):
        check_vit(full | {"pretrained": pretrained})
    pretrained["images"] = str(tmp_path)
    with pytest.raises(ConfigError, match="no weights for vit_tiny_patch16_224 at"):
        check_vit(full | {"pretrained": pretrained})


def test_pretrained_probe_on_a_folder_of_images_offline(tmp_path):
    """The pretrained path end to end, with no network: a checkpoint the test saves in the
    layout `hf download` writes, found by name, loaded through timm's pretrained path, and
    probed on a folder of images."""
    import timm

    name = "vit_tiny_patch16_224.augreg_in21k_ft_in1k"
    torch.manual_seed(0)
    reference = timm.create_model(name, pretrained=False)  # the released head: 1000 classes
    (tmp_path / "weights" / name).mkdir(parents=True)
    from safetensors.torch import save_file

    save_file(reference.state_dict(), tmp_path / "weights" / name / "model.safetensors")
    images = tmp_path / "images"
    images.mkdir()
    rng = np.random.default_rng(0)
    for i in range(2):
        pixels = rng.integers(0, 255, (256, 300, 3), dtype=np.uint8)
        Image.fromarray(pixels).save(images / f"{i}.png")
    (images / "notes.txt").write_text("not an image")

    path = artifacts.pretrained_file(tmp_path / "weights", name)
    assert path.name == "model.safetensors"
    model = vit.load_pretrained(name, file=path)
    batch, files = vm.load_images(images, model, limit=8)
    assert batch.shape == (2, 3, 224, 224) and files == ["0.png", "1.png"]
    table, extras = vm.probe_pretrained(model, batch, 3.0)
    assert set(table.measurement) == {"distance", "shift", "norms"}
    assert sorted(table[table.measurement == "shift"].shift_px.unique()) == [1, 8, 16]
    assert extras["maps"]["rollout"].shape == (2, 14, 14)
    assert len(table[table.measurement == "distance"]) == 12 * 3  # layers x heads
    # The pipeline's path: the protocol's load (the job's source names the model) and the
    # measurement "pretrained" give the same table, with the model's name and the images'.
    from anatomy.core.measurement import Job, run

    block = {
        "pretrained": {
            "models": [name],
            "weights": str(tmp_path / "weights"),
            "images": str(images),
        },
        "analysis": SETTINGS["analysis"],
    }
    (measured, tensors), meta = run(vm, "pretrained", Job(block, source=name))
    assert meta["model"] == name and meta["images"] == 2 and tensors["files"] == files
    assert (measured.model == name).all()
    pd.testing.assert_frame_equal(measured.drop(columns="model"), table)
    with pytest.raises(vit.PretrainedModelMissing, match="hf download"):
        vit.load_pretrained(name, file=artifacts.pretrained_file(tmp_path / "nowhere", name))


def test_the_decoy_is_as_salient_as_the_target_and_never_a_label_shape():
    """The filled cross has the target's area (to pixel rounding) and colour, so the
    object-agnostic maps cannot prefer the target: both-objects and brightness maps tie."""
    from anatomy.vit import maps as va
    from anatomy.vit.data import sample

    objects = sample(512, 36, torch.Generator().manual_seed(0), radius=(0.1, 0.16))
    area_t = objects.target.sum((-2, -1)).double()
    area_d = objects.distractor.sum((-2, -1)).double()
    assert float((area_d / area_t).mean()) == pytest.approx(1.0, abs=0.05)
    assert float((area_d / area_t - 1).abs().max()) < 0.35  # small shapes round coarsely
    assert not (objects.target & objects.distractor).any()
    # Same colour: the mean pixel of each object agrees (noise aside).
    colour_t = (objects.images * objects.target[:, None]).sum((-2, -1)) / area_t[:, None]
    colour_d = (objects.images * objects.distractor[:, None]).sum((-2, -1)) / area_d[:, None]
    assert float((colour_t - colour_d).abs().mean()) < 0.03
    maps = va.object_agnostic_maps(objects, 3)
    margin = {k: vm.object_scores(m, objects, 3, 0.6)["margin"] for k, m in maps.items()}
    assert abs(margin["brightness"]) < 0.02 and abs(margin["position"]) < 0.02, margin
    # Weighting both objects equally still favours the compact shapes a little (a cross
    # covers fewer whole patches than a disc of its area): the baseline a map must beat.
    assert 0 < margin["objects"] < 0.1, margin
    # The position map is one map for every image, where targets tend to be.
    assert torch.equal(maps["position"][0], maps["position"][-1])
