"""The operator zoo: tasks, the tiny transformer, training and its metrics."""

import re

import pytest
import torch

from anatomy import operators, tasks, training, zoo
from anatomy.artifacts import UnreadableFile
from anatomy.model import ModelConfig, StackedTransformer, TinyTransformer
from anatomy.tasks import IGNORE, TASKS
from anatomy.training import NonFiniteTraining

SMALL = dict(d_model=16, heads=2, layers=2, steps=150, batch=32, learning_rate=3e-3, log_every=10)


@pytest.mark.parametrize("name", list(TASKS))
def test_tasks_are_seeded_and_well_formed(name):
    task = TASKS[name]
    a = task.sample(4, task.train_sizes[1], torch.Generator().manual_seed(0))
    b = task.sample(4, task.train_sizes[1], torch.Generator().manual_seed(0))
    assert torch.equal(a.tokens, b.tokens) and torch.equal(a.targets, b.targets)
    assert a.tokens.min() >= 0 and a.tokens.max() < task.vocab
    answered = a.targets != IGNORE
    assert answered.any() and a.targets[answered].max() < task.classes
    # Where a source position is given, the answer can be read off the input there.
    has = a.source >= 0
    if has.any() and name in ("reverse", "copy", "first"):
        read = a.tokens.gather(1, a.source.clamp_min(0))
        assert torch.equal(read[has], a.targets[has])


def test_task_answers_match_their_definitions():
    g = torch.Generator().manual_seed(1)
    batch = TASKS["parity"].sample(64, 9, g)
    assert torch.equal(batch.targets[:, -1], batch.tokens[:, :-1].sum(1) % 2)
    recall = TASKS["associative_recall"].sample(16, 6, g)
    pairs = recall.tokens[:, :12].view(16, 6, 2)
    for row in range(16):
        table = {int(k): int(v) - tasks.KEYS for k, v in pairs[row]}
        for q, t in zip(recall.tokens[row, 12:], recall.targets[row, 12:], strict=True):
            assert table[int(q)] == int(t)
    dyck = TASKS["dyck1"].sample(32, 20, g)
    depth = torch.cumsum(1 - 2 * dyck.tokens, 1)
    assert torch.equal(dyck.targets, (torch.cummin(depth, 1).values >= 0).long())
    assert 0.2 < dyck.targets[:, -1].float().mean() < 0.95  # both answers occur


def test_test_sizes_reach_eight_times_the_training_range():
    for task in TASKS.values():
        sizes = tasks.test_sizes(task, 8, 5)
        assert min(sizes) <= task.train_sizes[1]
        if task.name != "associative_recall":
            assert max(sizes) == 8 * task.train_sizes[1]


@pytest.mark.parametrize("name", operators.names())
def test_every_registered_operator_builds_a_model_that_returns_its_weights(name):
    model = TinyTransformer(
        ModelConfig(vocab=5, classes=3, operator=name, d_model=8, heads=2, causal=True)
    )
    logits = model(torch.randint(0, 5, (2, 7)))
    assert logits.shape == (2, 7, 3) and torch.isfinite(logits).all()
    weights = model.attention_weights()[-1]
    assert weights.shape == (2, 2, 7, 7)
    assert (weights.triu(1) == 0).all()  # causal: no weight on the future
    if operators.get(name).kernel.tied_qk:
        assert model.blocks[0].attention.k is model.blocks[0].attention.q


def test_training_learns_an_easy_task_and_checkpoints_round_trip(tmp_path):
    [(model, history)] = zoo.train("first", "softmax", SMALL, [0], device="cpu")
    assert history[-1]["loss"] < 0.5 * history[0]["loss"]
    path = tmp_path / "m.pt"
    zoo.save_checkpoint(path, model, "first", history, {"seed": 0})
    loaded, blob = zoo.load_checkpoint(path)
    tokens = TASKS["first"].sample(4, 8, torch.Generator().manual_seed(0)).tokens
    assert torch.allclose(loaded(tokens), model.eval()(tokens))
    table = zoo.evaluate(path, [8, 64], samples=64, seed=0, device="cpu")
    acc = table[(table.metric == "accuracy")].set_index("size").value
    assert acc[8] > 0.9  # in distribution
    values = table.set_index(["size", "metric"]).value
    assert 0 <= values[(64, "normalized_entropy")] <= 1.0 + 1e-9
    assert 0 <= values[(8, "target_weight")] <= 1
    assert values[(8, "rank_residual")] > 0


def test_missing_or_truncated_checkpoint_names_the_command_that_makes_it(tmp_path):
    with pytest.raises(UnreadableFile, match=r"snakemake --cores 2 -f .*absent\.pt"):
        zoo.load_checkpoint(tmp_path / "absent.pt")
    [(model, history)] = zoo.train("first", "softmax", dict(SMALL, steps=2), [0], device="cpu")
    path = tmp_path / "m.pt"
    zoo.save_checkpoint(path, model, "first", history, {"seed": 0})
    path.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(UnreadableFile, match=r"m\.pt cannot be read .*-f .*m\.pt"):
        zoo.load_checkpoint(path)


def test_nan_loss_stops_training_in_one_line_naming_step_and_setting():
    settings = dict(SMALL, learning_rate=1e30, steps=30)  # one step sends the weights to inf
    with pytest.raises(NonFiniteTraining) as caught:
        zoo.train("first", "softmax", settings, [0, 3], device="cpu")
    message = str(caught.value)
    assert "\n" not in message
    assert re.search(
        r"seed 0: the loss is nan at step \d+; lower zoo\.training\.learning_rate", message
    )


def test_a_checkpoint_with_non_finite_weights_is_never_written(tmp_path):
    [(model, history)] = zoo.train("first", "softmax", dict(SMALL, steps=2), [0], device="cpu")
    with torch.no_grad():
        next(model.parameters())[0] = float("nan")
    path = tmp_path / "m.pt"
    with pytest.raises(NonFiniteTraining, match="weight tensors are not finite"):
        zoo.save_checkpoint(path, model, "first", history, {"settings": SMALL})
    assert not path.exists()


def test_every_macro_the_zoo_section_uses_is_generated():
    import re
    from pathlib import Path

    import pandas as pd

    from anatomy.zoo_summary import accuracy_by_regime, macro_values

    rows = []
    for task in TASKS:
        for op in ("softmax", "hardmax"):
            for size, inside in ((8, True), (64, False)):
                for metric, value in (
                    ("accuracy", 0.9 if inside else 0.4),
                    ("normalized_entropy", 0.5),
                ):
                    rows.append(
                        dict(
                            task=task,
                            operator=op,
                            size=size,
                            in_distribution=inside,
                            metric=metric,
                            value=value,
                            seed=0,
                        )
                    )
    metrics = pd.DataFrame(rows)
    table = accuracy_by_regime(metrics)
    assert (
        table.loc["softmax", ("parity", "in")] == 0.9
        and table.loc["softmax", ("parity", "far")] == 0.4
    )
    generated = set(macro_values(metrics)) | {"zooSteps", "zooWidth", "zooLengthFactor", "zooSeeds"}
    text = (Path(__file__).resolve().parents[1] / "paper/sections/zoo.tex").read_text()
    used = set(re.findall(r"\\(zoo[A-Z][A-Za-z]*)", text))
    assert used and used <= generated, sorted(used - generated)


def test_accuracy_table_gives_confidence_intervals_over_seeds():
    import pandas as pd

    from anatomy.zoo_summary import accuracy_by_regime

    rows = [
        dict(
            task="parity",
            operator="softmax",
            size=size,
            in_distribution=size == 8,
            metric="accuracy",
            value=value,
            seed=seed,
        )
        for seed, value in enumerate([0.4, 0.5, 0.6])
        for size in (8, 64)
    ]
    metrics = pd.DataFrame(rows)
    mean = accuracy_by_regime(metrics)
    ci = accuracy_by_regime(metrics, "ci95")
    assert mean.loc["softmax", ("parity", "in")] == pytest.approx(0.5)
    assert ci.loc["softmax", ("parity", "far")] == pytest.approx(
        4.303 * 0.1 / 3**0.5, rel=1e-6
    )  # Student t, 2 df


@pytest.mark.parametrize(("mode", "expected"), [("task", True), ("always", True), ("never", False)])
def test_positions_switch(mode, expected):
    model = zoo.build_model(TASKS["copy"], "softmax", dict(SMALL, positions=mode))
    assert model.cfg.positions is expected
    assert (
        zoo.build_model(TASKS["parity"], "softmax", dict(SMALL, positions="task")).cfg.positions
        is False
    )


def test_flip_sensitivity_is_n_times_the_mean_total_variation():
    # Two rows: one flip moves all the mass (TV 1), one moves a quarter (TV 0.25).
    p = torch.tensor([[1.0, 0.0, 0.0], [0.5, 0.5, 0.0]], dtype=torch.float64)
    p_flip = torch.tensor([[0.0, 1.0, 0.0], [0.25, 0.5, 0.25]], dtype=torch.float64)
    # n = 8: 8 * (1 + 0.25) / 2 = 5.0
    assert zoo.flip_sensitivity(p, p_flip, 8) == pytest.approx(5.0)


@pytest.mark.parametrize("operator", ["softmax", "sparsemax", "l2", "favor"])
def test_a_stack_of_models_computes_what_each_model_computes_alone(operator):
    """StackedTransformer: the same logits, attention weights and gradients as every seed's
    own TinyTransformer (tied L2 shares its query and key projections in both)."""
    task = TASKS["dyck1"]  # causal: the mask path too
    models = []
    for seed in (0, 1, 2):
        torch.manual_seed(seed)
        models.append(zoo.build_model(task, operator, SMALL))
    stack = StackedTransformer(models)
    g = torch.Generator().manual_seed(0)
    batches = [task.sample(4, 9, g) for _ in models]
    tokens = torch.stack([b.tokens for b in batches])
    targets = torch.stack([b.targets for b in batches])
    logits = stack(tokens)
    zoo.seed_losses(logits, targets).sum().backward()
    grads = dict(zip(stack.names, (p.grad for p in stack.stack), strict=True))
    for s, model in enumerate(models):
        alone = model(tokens[s])
        assert torch.allclose(logits[s], alone, atol=1e-6)
        assert torch.allclose(stack.last_weights[-1][s], model.attention_weights()[-1], atol=1e-6)
        torch.nn.functional.cross_entropy(
            alone.flatten(0, 1), targets[s].flatten(), ignore_index=IGNORE
        ).backward()
        for name, param in model.named_parameters():
            assert torch.allclose(grads[name][s], param.grad, atol=1e-5), (s, name)
    for a, b in zip(stack.unstack(), models, strict=True):
        assert torch.equal(a(tokens[0]), b(tokens[0]))


def test_a_seed_trained_in_a_stack_equals_that_seed_trained_alone():
    """One job trains every seed of a cell as one stacked model; each seed must be exactly
    what training it alone gives (same losses, bitwise the same weights)."""
    settings = dict(SMALL, steps=20)
    torch.manual_seed(123)
    torch.rand(5)  # whatever ran before in the process
    [(alone, history_alone)] = zoo.train("first", "sparsemax", settings, [1], device="cpu")
    together = zoo.train("first", "sparsemax", settings, [0, 1, 2], device="cpu")
    stacked, history_stacked = together[1]
    assert history_alone == history_stacked
    for (name, a), b in zip(alone.state_dict().items(), stacked.state_dict().values(), strict=True):
        assert torch.equal(a, b), name
    # The seeds differ from one another: each has its own initialisation and batches.
    assert not torch.equal(together[0][0].head.weight, together[2][0].head.weight)


def test_clipping_each_seed_matches_the_library_clip_on_that_seed_alone():
    grads = [
        torch.randn(3, 4, 5) * torch.tensor([0.01, 1.0, 10.0]).view(3, 1, 1),
        torch.randn(3, 7),
    ]
    params = [torch.zeros_like(g, requires_grad=True) for g in grads]
    for p, g in zip(params, grads, strict=True):
        p.grad = g.clone()
    training.clip_per_seed(params, 1.0)
    for s in range(3):
        alone = [torch.zeros_like(g[s], requires_grad=True) for g in grads]
        for p, g in zip(alone, grads, strict=True):
            p.grad = g[s].clone()
        torch.nn.utils.clip_grad_norm_(alone, 1.0)
        for p, a in zip(params, alone, strict=True):
            assert torch.allclose(p.grad[s], a.grad, rtol=1e-6, atol=1e-9)


def test_checkpoints_are_grouped_by_operator_in_the_order_given():
    paths = [f"m/zoo/copy/{op}/seed{s}.pt" for op in ("relu", "softmax") for s in (2, 0)]
    assert zoo.by_operator(paths) == {"relu": paths[:2], "softmax": paths[2:]}
