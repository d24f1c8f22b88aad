"""The ViT section's numbers, from real measurement tables of tiny untrained models on two
seeds: every macro the section uses is there, each number is the table's, and the choices
the prose states (the best baseline, the best head) are the ones the tables make."""

import re
from pathlib import Path

import pandas as pd
import pytest
import torch
from test_vit_measurements import SETTINGS, _checkpoints, _objects

from anatomy.vit import measurements as vm
from anatomy.vit import models as vit
from anatomy.vit.settings import ViTSettings
from anatomy.vit.summary import section_values

ROOT = Path(__file__).resolve().parents[1]
SEEDS = (0, 1)
TRAINING = {"steps": 10, "batch": 8, "learning_rate": 1e-3, "warmup": 2, "log_every": 5}
S = ViTSettings.of({**SETTINGS, "seeds": list(SEEDS), "training": TRAINING})


def checkpoints(specs, folder: Path) -> dict[int, list[Path]]:
    """Untrained checkpoints of ``specs`` for every seed: ``{seed: paths}``."""
    return {seed: _checkpoints(specs, folder, seed, S) for seed in SEEDS}


@pytest.fixture(scope="module")
def measured(tmp_path_factory):
    folder = tmp_path_factory.mktemp("vit")
    torch.manual_seed(0)
    objects = _objects(8)
    models = checkpoints(vit.experiment_specs(S), folder)
    raw = {
        name: vm.MEASUREMENTS[name](vm.Trained(models, objects), S, 0).table
        for name in ("distance", "objects", "shift", "patch", "norms")
    }
    sweep = checkpoints(vit.token_sweep_specs(S.token_sweep, S.data.size), folder)
    sized = {16: objects, 32: _objects(8, size=32, patch=8)}
    swept, _ = vm.MEASUREMENTS["tokens"](vm.Trained(sweep, sized), S, 0)
    names = [spec.name for spec in vit.experiment_specs(S)]
    histories = pd.DataFrame(
        [
            {"model": m, "seed": s, "step": t, "loss": 1.0 / t + s}
            for m in names
            for s in SEEDS
            for t in range(1, 61)
        ]
    )
    return raw, histories, swept, section_values(raw, histories, swept, S)


def test_every_macro_the_section_uses_is_a_value(measured):
    values = measured[3]
    used = set(re.findall(r"\\(vit[A-Za-z]+)", (ROOT / "paper/sections/vit.tex").read_text()))
    pretrained = {"vitPretrainedModels", "vitPretrainedSummary"}  # only with vit.pretrained
    assert used - pretrained - set(values) == set()


def test_the_numbers_are_the_tables(measured):
    raw, histories, _, values = measured
    native = raw["patch"][raw["patch"].kind == "native"]
    ref = native[native.model == "softmax_p4"]
    assert values["vitAccRef"] == pytest.approx(ref.accuracy.mean())
    assert values["vitAccMin"] == pytest.approx(native.groupby("model").accuracy.mean().min())
    # The final loss: the worst model and seed's mean over its last 50 steps.
    assert values["vitFinalLoss"] == pytest.approx(1 + sum(1 / t for t in range(11, 61)) / 50)
    assert values["vitSeeds"] == 2 and values["vitSeedWords"] == "2 seeds"
    assert values["vitPatchSizes"] == "2, 4 and 8"
    assert values["vitTokenCounts"] == "64, 16 and 4"
    assert values["vitModels"] == 5 and 0 <= values["vitModelsClearing"] <= 5


def test_the_choices_the_prose_states_are_the_tables(measured):
    raw, _, _, values = measured
    # The best baseline is the one with the largest mean margin.
    bases = [values[f"vitBase{k}Margin"] for k in ("Bright", "Objects", "Position")]
    assert values["vitBestBaselineMargin"] >= max(bases) - 1e-12
    # The best single head is the largest margin of any head of any seed.
    objects = raw["objects"]
    heads = objects[
        (objects.state == "trained") & (objects.kind == "cls") & (objects.head_id != "mean")
    ]
    assert values["vitBestHeadMargin"] == pytest.approx(heads.margin.max())
    assert values["vitInitRatioMin"] <= values["vitInitRatioMax"]
    assert values["vitRefFirstHeadMin"] <= values["vitRefFirstHeadMax"]


def test_the_pretrained_probes_get_one_clause_each(measured):
    raw, histories, swept, _ = measured
    probe = pd.DataFrame(
        {
            "model": ["tiny_a"] * 2,
            "measurement": ["distance"] * 2,
            "layer": [0, 1],
            "distance_ratio": [0.4, 0.9],
        }
    )
    values = section_values(raw, histories, swept, S, [probe])
    assert values["vitPretrainedModels"] == r"\texttt{tiny\_a}"
    assert values["vitPretrainedSummary"].endswith("$0.90$ in its last")
