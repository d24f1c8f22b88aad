"""The typed settings (every experiment's block as frozen dataclasses): every profile's block
converts whole and back, a job's part of it converts alone, every measurement declares the class
it reads, and a key the block should not hold is refused by name."""

import dataclasses

import pandas as pd
import pytest

from anatomy.diffusion.settings import DiffusionSettings, Sampling
from anatomy.pipeline.config import load_profile
from anatomy.vit import models as vit
from anatomy.vit.settings import Architecture, ViTSettings
from anatomy.zoo.settings import Training, ZooSettings

TYPED = {"vit": ViTSettings, "diffusion": DiffusionSettings, "zoo": ZooSettings}


def plain(value):
    """Settings as the config writes them: dataclasses as dicts, tuples as lists."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [plain(v) for v in value]
    return value


@pytest.mark.parametrize("profile", ["default", "smoke", "gpu"])
@pytest.mark.parametrize("experiment", sorted(TYPED))
def test_every_profile_block_converts_whole_and_back(profile, experiment):
    """No key is lost or renamed on the way in: the settings, read back as plain values, are
    the block."""
    block = load_profile(profile)[experiment]
    s = TYPED[experiment].of(block)
    assert plain(dataclasses.asdict(s)) == plain(block)
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.seeds = ()


def test_a_zoo_task_trains_with_its_own_values_over_the_shared_ones():
    training = load_profile("default")["zoo"]["training"]
    shared = Training.of(training)
    recall = shared.for_task("associative_recall")
    assert recall.steps == training["per_task"]["associative_recall"]["steps"] != shared.steps
    assert recall.per_task is None and recall.d_model == shared.d_model
    assert shared.for_task("copy") == dataclasses.replace(shared, per_task=None)
    with pytest.raises(TypeError, match="zoo.training settings: unknown key 'width'"):
        Training.of({**training, "width": 8})


@pytest.mark.parametrize("profile", ["default", "smoke", "gpu"])
def test_every_profile_block_becomes_frozen_settings_with_the_same_values(profile):
    block = load_profile(profile)["vit"]
    s = ViTSettings.of(block)
    assert s.data.size == block["data"]["size"] and s.model.heads == block["model"]["heads"]
    assert s.patch_sizes == tuple(block["patch_sizes"])
    assert s.training.learning_rate == block["training"]["learning_rate"]
    assert s.token_sweep.sizes == tuple(block["token_sweep"]["sizes"])
    assert [spec.name for spec in vit.experiment_specs(s)][
        0
    ] == f"softmax_p{block['patch_sizes'][0]}"
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.data.size = 1


def test_a_jobs_part_of_the_block_converts_alone_and_the_rest_stays_none():
    s = ViTSettings.of({"model": {"embed_dim": 8, "depth": 1, "heads": 2}, "registers": 2})
    assert s.model == Architecture(8, 1, 2) and s.registers == 2
    assert s.data is None and s.training is None and s.analysis is None


def test_the_diffusion_parts_a_measurement_job_receives_convert_alone():
    block = load_profile("smoke")["diffusion"]
    job = {key: block[key] for key in ("data", "sampling", "analysis")}
    s = DiffusionSettings.of(job)
    assert s.sampling == Sampling(**block["sampling"]) and s.model is None and s.training is None
    assert s.analysis.timesteps == tuple(block["analysis"]["timesteps"])


def test_an_unknown_key_is_refused_by_name():
    with pytest.raises(TypeError, match="diffusion settings: unknown key sampling.scale"):
        DiffusionSettings.of({"sampling": {"steps": 10, "scale": 2.0}})
    with pytest.raises(TypeError, match="diffusion settings: unknown key 'variant'"):
        DiffusionSettings.of({"variant": ["uniform"]})
    with pytest.raises(TypeError, match="unknown key 'patchsizes'"):
        ViTSettings.of({"patchsizes": [4]})
    with pytest.raises(TypeError, match="unknown key model.width"):
        ViTSettings.of({"model": {"width": 8, "depth": 1, "heads": 2}})


SECTIONS = ("softmax_constraints", "expressivity", "equivalent_forms")
EXPERIMENTS = (*SECTIONS, "zoo", "vit", "diffusion")


def registry(experiment):
    import importlib

    return importlib.import_module(f"anatomy.{experiment}.measurements")


@pytest.mark.parametrize("experiment", EXPERIMENTS)
def test_every_measurement_declares_the_settings_class_it_reads(experiment):
    """The protocol types every measurement's settings from its annotation: none is handed a
    dict. A section's class is named after its block (``label``)."""
    from anatomy.core.measurement import settings_class

    for name, measurement in registry(experiment).MEASUREMENTS.items():
        kind = settings_class(measurement)
        assert kind.label.split(".")[0] == experiment, (name, kind)


@pytest.mark.parametrize("profile", ["default", "smoke", "gpu"])
@pytest.mark.parametrize("section", SECTIONS)
def test_every_section_block_a_measurement_reads_converts_whole_and_back(profile, section):
    from anatomy.core.measurement import settings_class

    config = load_profile(profile)[section]
    for measurement in registry(section).MEASUREMENTS.values():
        kind = settings_class(measurement)
        block = config[kind.label.split(".")[1]]
        assert plain(dataclasses.asdict(kind.of(block))) == plain(block), kind.label


def test_a_measurement_without_a_settings_class_is_refused_by_name():
    from anatomy.core.measurement import Job, Measured, bench, run
    from anatomy.softmax_constraints.settings import Gap

    def untyped(device: str, s: dict, seed: int) -> Measured:
        raise AssertionError("never called")

    def typed(device: str, s: Gap, seed: int) -> Measured:
        return Measured(pd.DataFrame({"trials": [s.trials], "ns": [s.ns]}))

    class Registry:
        __name__ = "a registry"
        load = staticmethod(bench)
        MEASUREMENTS = {"untyped": untyped, "typed": typed}

    block = {"ns": [4], "gap_min": 0.0, "gap_max": 1.0, "gap_step": 0.5, "noise_stds": [0.0]}
    with pytest.raises(TypeError, match="measurement untyped: annotate its settings parameter 's'"):
        run(Registry, "untyped", Job({**block, "trials": 2}))
    (table, _), _ = run(Registry, "typed", Job({**block, "trials": 2}))
    assert table.trials[0] == 2 and table.ns[0] == (4,)
    with pytest.raises(TypeError, match="softmax_constraints.gap settings: unknown key 'n'"):
        run(Registry, "typed", Job({**block, "trials": 2, "n": 3}))
