"""The operator zoo: tasks, the tiny transformer, training and its metrics."""

import math
import re
from dataclasses import asdict, replace

import pytest
import torch

from anatomy.core import operators, training
from anatomy.core.artifacts import UnreadableFile
from anatomy.core.model import ModelConfig, StackedTransformer, TinyTransformer
from anatomy.core.training import NonFiniteTraining
from anatomy.zoo import runs as zoo
from anatomy.zoo import tasks
from anatomy.zoo.settings import Training, ZooSettings
from anatomy.zoo.tasks import IGNORE, TASKS

SMALL = Training(
    d_model=16, heads=2, layers=2, steps=150, batch=32, learning_rate=3e-3, log_every=10
)


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
    for row in range(16):  # pair token k * VALUES + v; query token KEYS * VALUES + k
        table = {int(p) // tasks.VALUES: int(p) % tasks.VALUES for p in recall.tokens[row, :6]}
        assert len(table) == 6  # distinct keys
        asked = zip(
            recall.tokens[row, 6:], recall.targets[row, 6:], recall.source[row, 6:], strict=True
        )
        for q, t, s in asked:
            assert table[int(q) - tasks.KEYS * tasks.VALUES] == int(t)
            assert int(recall.tokens[row, s]) % tasks.VALUES == int(t)  # the source holds it
    n, queries = 20, tasks.MAX_QUERIES
    largest = TASKS["max_retrieval"].sample(64, n, g)
    for row in range(64):  # item (group, magnitude, feature); query GROUPS*MAGNITUDES*FEATURES + g
        items = [tasks.max_item(int(t)) for t in largest.tokens[row, :n]]
        peak = max(m for _, m, _ in items)
        tops = [(gr, f) for gr, m, f in items if m == peak]
        assert sorted(gr for gr, _ in tops) == list(range(tasks.GROUPS))  # one per group
        per_feature = torch.bincount(torch.tensor([f for _, f in tops]), minlength=8)
        assert (per_feature == tasks.GROUPS // tasks.FEATURES).all()  # the tops: balanced
        table = dict(tops)
        asked = zip(
            largest.tokens[row, n:], largest.targets[row, n:], largest.source[row, n:], strict=True
        )
        for q, t, s in asked:
            group = int(q) - tasks.GROUPS * tasks.MAGNITUDES * tasks.FEATURES
            assert table[group] == int(t)  # the feature of the group's largest item
            assert tasks.max_item(int(largest.tokens[row, s])) == (group, peak, int(t))
    assert len(largest.targets[0, n:]) == queries
    dyck = TASKS["dyck1"].sample(32, 20, g)
    depth = torch.cumsum(1 - 2 * dyck.tokens, 1)
    assert torch.equal(dyck.targets, (torch.cummin(depth, 1).values >= 0).long())
    assert 0.2 < dyck.targets[:, -1].float().mean() < 0.95  # both answers occur


@pytest.mark.parametrize("size", [8, 12, 16, 64])
def test_recall_values_are_balanced_to_within_one_and_the_bag_baseline_is_what_they_give(size):
    # Counted from the tokens, not the sampler's bookkeeping: every value occurs size // 8 or
    # one more times (exactly size / 8 when 8 divides size), so guessing the most frequent
    # value present is right ceil(size / 8) / size of the time (bag_baseline); the answer's
    # value is uniform over the eight (a chi-square test, 7 dof, 99.9% point 24.3).
    batch = TASKS["associative_recall"].sample(2000, size, torch.Generator().manual_seed(4))
    values = batch.tokens[:, :size] % tasks.VALUES
    counts = torch.stack([torch.bincount(row, minlength=tasks.VALUES) for row in values])
    assert ((counts == size // tasks.VALUES) | (counts == size // tasks.VALUES + 1)).all()
    assert (counts.sum(1) == size).all()
    asked = batch.targets[:, size:]  # the bag guess: the most frequent value (ties: any)
    top = counts.max(1, keepdim=True).values
    guess = (counts.gather(1, asked) == top).float() / (counts == top).sum(1, keepdim=True)
    assert float(guess.mean()) == pytest.approx(tasks.bag_baseline(size), abs=0.02)
    answers = torch.bincount(batch.targets[:, size:].flatten(), minlength=tasks.VALUES)
    expected = answers.sum() / tasks.VALUES
    assert float(((answers - expected) ** 2 / expected).sum()) < 24.3


def test_max_retrieval_answers_from_a_uniform_position_with_no_fixed_answer_token():
    # Chi-square tests of the answer's position (20 positions, 4000 samples x 8 queries, 19
    # degrees of freedom: the 99.9% point is 43.8) and of its feature (8 values, 7 dof: 24.3);
    # the shared maximum takes several values, so no single token id marks an answer.
    n = 20
    batch = TASKS["max_retrieval"].sample(4000, n, torch.Generator().manual_seed(7))
    for counts, bound in (
        (torch.bincount(batch.source[:, n:].flatten(), minlength=n), 43.8),
        (torch.bincount(batch.targets[:, n:].flatten(), minlength=tasks.FEATURES), 24.3),
    ):
        expected = counts.sum() / len(counts)
        assert float(((counts - expected) ** 2 / expected).sum()) < bound
    answer_token = batch.tokens.gather(1, batch.source[:, n:]).flatten()
    assert torch.bincount(answer_token).max() < 0.01 * answer_token.numel()
    assert len(answer_token.unique()) > 500


def test_max_retrieval_without_the_query_is_at_chance():
    # The strategies that ignore the query: the feature of a largest item (all sixteen tie),
    # or the most frequent feature among the items. Both are right 1/8 of the time, computed
    # from the tokens alone; 4000 x 8 answers put them within 0.01 of it.
    n = 24
    batch = TASKS["max_retrieval"].sample(4000, n, torch.Generator().manual_seed(11))
    items = batch.tokens[:, :n]
    magnitude, feature = items // tasks.FEATURES % tasks.MAGNITUDES, items % tasks.FEATURES
    answers = batch.targets[:, n:]
    top = magnitude == magnitude.max(1, keepdim=True).values
    top_share = torch.stack(  # P(a random largest item carries each feature)
        [((feature == f) & top).sum(1) / top.sum(1) for f in range(tasks.FEATURES)], 1
    )
    counts = torch.stack([(feature == f).sum(1) for f in range(tasks.FEATURES)], 1)
    most = (counts == counts.max(1, keepdim=True).values).float()
    most = most / most.sum(1, keepdim=True)  # ties broken at random
    for guess in (top_share, most):
        assert float(guess.gather(1, answers).mean()) == pytest.approx(1 / 8, abs=0.01)


@pytest.mark.parametrize(
    "name, size, expected",
    [
        ("parity", 16, 0.5),  # a fair coin per string
        ("first", 16, 0.5),
        ("max_retrieval", 16, 0.125),  # the answer's feature is uniform on 8
        ("associative_recall", 8, 0.125),  # values uniform on 8
        ("copy", 16, 0.125),  # symbols uniform on 8
        ("reverse", 16, 0.125),
    ],
)
def test_the_majority_baseline_of_a_balanced_task_is_its_chance_level(name, size, expected):
    # Computed from the sampler alone, against the value each task's definition gives; 4000
    # samples put the majority (a maximum of class frequencies) within 0.03 of it.
    batch = TASKS[name].sample(4000, size, torch.Generator().manual_seed(3))
    assert expected <= tasks.majority(batch.targets, TASKS[name].classes) < expected + 0.03
    assert 1 / TASKS[name].classes == expected


@pytest.mark.parametrize(
    "control, task, positions",
    [
        ("first_causal", "first", False),
        ("first_masked", "first", True),
        ("parity_causal", "parity", False),
    ],
)
def test_the_positional_controls_see_the_same_inputs_with_one_factor_changed(
    control, task, positions
):
    g1, g2 = torch.Generator().manual_seed(9), torch.Generator().manual_seed(9)
    a, b = TASKS[control].sample(32, 12, g1), TASKS[task].sample(32, 12, g2)
    assert torch.equal(a.tokens, b.tokens) and torch.equal(a.targets, b.targets)
    assert TASKS[control].causal and not TASKS[task].causal and TASKS[task].positions
    model = zoo.build_model(TASKS[control], "softmax", replace(SMALL, positions="task"))
    assert model.cfg.causal and model.cfg.positions == positions


@pytest.mark.parametrize("profile", ["smoke", "default", "gpu"])
def test_every_task_a_profile_names_exists(profile):
    from conftest import load_profile

    config = load_profile(profile)
    assert set(config["zoo"]["tasks"]) <= set(TASKS)


def test_dyck1_majority_is_the_share_of_valid_prefixes_counted_by_hand():
    # Independent of the sampler's own code: walk each string and count valid prefixes.
    batch = TASKS["dyck1"].sample(300, 32, torch.Generator().manual_seed(5))
    valid = total = 0
    for row in batch.tokens.tolist():
        depth, ok = 0, True
        for bracket in row:
            depth += 1 if bracket == 0 else -1
            ok = ok and depth >= 0
            valid, total = valid + ok, total + 1
    share = valid / total
    assert tasks.majority(batch.targets, 2) == pytest.approx(max(share, 1 - share))
    assert share > 0.6  # the majority answer is "valid": a baseline well above chance


def test_zoo_measurements_carry_the_baselines_of_their_own_samples():
    [(model, _)] = zoo.train("dyck1", "uniform", replace(SMALL, steps=2), [0], device="cpu")
    out = zoo.measure(model.eval(), TASKS["dyck1"], 32, 200, 11, "cpu")
    batch = TASKS["dyck1"].sample(200, 32, torch.Generator().manual_seed(11))
    assert out["chance"] == 0.5
    assert out["majority"] == tasks.majority(batch.targets, 2)


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
    [(model, history)] = zoo.train("first", "softmax", replace(SMALL, steps=2), [0], device="cpu")
    path = tmp_path / "m.pt"
    zoo.save_checkpoint(path, model, "first", history, {"seed": 0})
    path.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(UnreadableFile, match=r"m\.pt cannot be read .*-f .*m\.pt"):
        zoo.load_checkpoint(path)


def test_nan_loss_stops_training_in_one_line_naming_step_and_setting():
    settings = replace(SMALL, learning_rate=1e30, steps=30)  # one step sends the weights to inf
    with pytest.raises(NonFiniteTraining) as caught:
        zoo.train("first", "softmax", settings, [0, 3], device="cpu")
    message = str(caught.value)
    assert "\n" not in message
    assert re.search(
        r"seed 0: the loss is nan at step \d+; lower zoo\.training\.learning_rate", message
    )


def test_a_checkpoint_with_non_finite_weights_is_never_written(tmp_path):
    [(model, history)] = zoo.train("first", "softmax", replace(SMALL, steps=2), [0], device="cpu")
    with torch.no_grad():
        next(model.parameters())[0] = float("nan")
    path = tmp_path / "m.pt"
    with pytest.raises(NonFiniteTraining, match="weight tensors are not finite"):
        zoo.save_checkpoint(path, model, "first", history, {"settings": asdict(SMALL)})
    assert not path.exists()


def test_every_macro_the_zoo_section_uses_is_generated():
    import re
    from pathlib import Path

    import pandas as pd

    from anatomy.zoo.summary import accuracy_by_regime, macro_values

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
    script = {
        "zooSteps",
        "zooWidth",
        "zooLengthFactor",
        "zooSeeds",
        "zooEvalSamples",
        "zooRecallSteps",
        "zooMaxSteps",
        # from the learnability table
        "zooLearnVerdict",
        "zooLearnSentence",
        "zooLearnSteps",
        "zooLearnLengths",
        "zooLearnMinN",
        "zooLearnMaxN",
        "zooOperatorList",
    }
    generated = set(macro_values(metrics)) | script
    text = (Path(__file__).resolve().parents[1] / "paper/sections/zoo.tex").read_text()
    used = set(re.findall(r"\\(zoo[A-Z][A-Za-z]*)", text))
    assert used and used <= generated, sorted(used - generated)


def test_the_baselines_table_picks_each_familys_best_and_keeps_the_samples_baselines():
    import pandas as pd

    from anatomy.zoo.summary import baselines

    accuracy = {"softmax": 0.9, "uniform": 0.3, "sparsemax": 0.7, "entmax15": 0.8, "favor": 0.5}
    family = {"softmax": "dense", "uniform": "content-free", "favor": "kernel"}
    rows = [
        dict(task="max_retrieval", operator=op, family=family.get(op, "sparse"),
             size=size, in_distribution=size == 8, seed=seed, metric=metric, value=value)
        for op, acc in accuracy.items()
        for seed in range(3)
        for size in (8, 128)
        for metric, value in (
            ("accuracy", acc + 0.01 * seed), ("chance", 0.25), ("majority", 0.3 + 0.01 * seed)
        )
    ]  # fmt: skip
    table = baselines(pd.DataFrame(rows)).set_index("regime")
    for regime in ("in", "far"):
        row = table.loc[regime]
        assert row.chance == 0.25 and row.majority == pytest.approx(0.31)
        assert row.uniform == pytest.approx(0.31) and row.softmax == pytest.approx(0.91)
        assert row.sparse_operator == "entmax15" and row.sparse_best == pytest.approx(0.81)
        assert row.sparse_of == 2 and row.kernel_operator == "favor" and row.kernel_of == 1
        assert row.softmax_ci == pytest.approx(4.303 * 0.01 / 3**0.5, rel=1e-6)  # t, 2 df
    assert table.loc["far", "size"] == 128


def test_the_sampling_half_width_pools_a_cells_answers_over_seeds_and_sizes():
    import pandas as pd

    from anatomy.core.intervals import wilson
    from anatomy.zoo.summary import sampling_half_width

    # softmax: 3 seeds x (40 + 60) in-range answers, all at 0.9; uniform at 0.5 on as many.
    rows = [
        dict(task="copy", operator=op, size=size, in_distribution=size < 64, seed=seed,
             metric=metric, value=value)
        for op, acc in (("softmax", 0.9), ("uniform", 0.5))
        for seed in range(3)
        for size, answers in ((4, 40), (8, 60), (64, 10))
        for metric, value in (("accuracy", acc), ("answers", answers))
    ]  # fmt: skip
    metrics = pd.DataFrame(rows)
    low, high = wilson(0.5, 300)  # the widest cell: uniform's 150 of 300
    assert sampling_half_width(metrics, "copy", "in") == pytest.approx((high - low) / 2)
    low, high = wilson(0.5, 30)
    assert sampling_half_width(metrics, "copy", "far") == pytest.approx((high - low) / 2)
    no_answers = metrics[metrics.metric != "answers"]
    assert math.isnan(sampling_half_width(no_answers, "copy", "in"))


def test_the_default_zoo_evaluates_enough_samples_for_a_sampling_interval_under_005():
    from conftest import load_profile

    from anatomy.core.intervals import wilson

    zoo_config = load_profile("default")["zoo"]
    # The hardest cell: one answer per sample (max-retrieval, PARITY, FIRST), at the one
    # largest size, accuracy 0.5; its answers are pooled over the seeds.
    low, high = wilson(0.5, zoo_config["evaluation"]["samples"] * len(zoo_config["seeds"]))
    assert (high - low) / 2 < 0.05


def test_measure_counts_the_answers_its_accuracy_averages():
    model = zoo.build_model(TASKS["copy"], "softmax", SMALL)
    out = zoo.measure(model, TASKS["copy"], 5, 7, 0, "cpu")
    assert out["answers"] == 7 * 5  # the blanks after the separator, one per input token


def test_paired_differences_pair_each_seed_with_softmaxs_same_seed():
    import pandas as pd

    from anatomy.zoo.summary import paired_against

    # Seed effects shared by both operators cancel in the paired difference: sparsemax is
    # 0.10 below softmax on every seed (interval of zero width, "below"), uniform differs by
    # +0.1, -0.1, +0.3 (mean 0.1, interval across zero, "same").
    softmax = [0.5, 0.9, 0.7]
    others = {"sparsemax": [v - 0.1 for v in softmax], "uniform": [0.6, 0.8, 1.0]}
    accuracy = {"softmax": softmax, **others}
    rows = [
        dict(task="copy", operator=op, size=size, in_distribution=size == 8, seed=seed,
             metric="accuracy", value=value)
        for op, values in accuracy.items()
        for seed, value in enumerate(values)
        for size in (8, 64)
    ]  # fmt: skip
    table = paired_against(pd.DataFrame(rows)).set_index(["regime", "operator"])
    assert len(table) == 4 and set(table.seeds) == {3}
    sparse = table.loc[("in", "sparsemax")]
    assert sparse.difference == pytest.approx(-0.1) and sparse.difference_ci == pytest.approx(0)
    assert sparse.verdict == "below"
    flat = table.loc[("far", "uniform")]
    assert flat.difference == pytest.approx(0.1)
    assert flat.difference_ci == pytest.approx(4.303 * 0.2 / 3**0.5, rel=1e-6)  # t, 2 df
    assert flat.verdict == "same"
    one_seed = paired_against(pd.DataFrame([r for r in rows if r["seed"] == 0]))
    assert set(one_seed.verdict) == {"unresolved"}


def test_accuracy_table_gives_confidence_intervals_over_seeds():
    import pandas as pd

    from anatomy.zoo.summary import accuracy_by_regime

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
    model = zoo.build_model(TASKS["copy"], "softmax", replace(SMALL, positions=mode))
    assert model.cfg.positions is expected
    assert (
        zoo.build_model(TASKS["dyck1"], "softmax", replace(SMALL, positions="task")).cfg.positions
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
    settings = replace(SMALL, steps=20)
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


def _learnability(accuracies: dict[int, list[float]]):
    import pandas as pd

    return pd.DataFrame(
        [
            {"n": n, "seed": seed, "accuracy": a, "margin": 1 / (n + 1) ** 2}
            for n, values in accuracies.items()
            for seed, a in enumerate(values)
        ]
    )


@pytest.mark.parametrize(
    "accuracies, verdict, learned_n, failed_n",
    [
        # learned at 4, chance at 8: margins 1/25 and 1/81 differ 3.24x < 4
        ({3: [1, 1, 1], 4: [1, 0.95, 1], 8: [0.5, 0.52, 0.49]}, "optimisation", 4, 8),
        # learned at 3, chance only at 12: margins 1/16 and 1/169 differ 10.6x > 4
        ({3: [1, 1, 1], 6: [0.8, 0.7, 0.75], 12: [0.5, 0.5, 0.55]}, "margin", 3, 12),
        ({3: [1, 1, 1], 6: [0.95, 0.9, 1]}, "no failure", None, None),
        ({3: [0.7, 0.8, 0.6], 6: [0.5, 0.5, 0.5]}, "no success", None, 6),
    ],
)
def test_parity_verdict_applies_the_rule_fixed_before_the_run(
    accuracies, verdict, learned_n, failed_n
):
    from anatomy.zoo.summary import parity_sentence, parity_verdict

    result = parity_verdict(_learnability(accuracies), learned=0.9, failed=0.6, margin_ratio=4.0)
    assert result["verdict"] == verdict
    assert result["learned_n"] == learned_n and result["failed_n"] == failed_n
    if verdict in ("optimisation", "margin"):
        expected = ((failed_n + 1) / (learned_n + 1)) ** 2
        assert result["ratio"] == pytest.approx(expected)
    text = parity_sentence(result, 0.9, 0.6, 4.0)
    # The sentence names the explanation its rule chose, and no other conclusion.
    assert ("supports the optimisation" in text) == (verdict == "optimisation")
    assert ("consistent with the margin" in text) == (verdict == "margin")


def test_parity_at_a_fixed_length_trains_and_tests_only_that_length():
    from anatomy.expressivity import parity
    from anatomy.zoo import measurements as learnability

    rows = learnability.parity_at_fixed_length(
        5, "softmax", replace(SMALL, steps=3), [0, 1], samples=32, device="cpu"
    )
    assert [r["seed"] for r in rows] == [0, 1] and {r["n"] for r in rows} == {5}
    assert rows[0]["margin"] == pytest.approx(1 / 36) == parity.evaluate(5, 32, 5)["margin"]
    assert all(0 <= r["accuracy"] <= 1 for r in rows)


def test_logit_gap_is_the_answers_score_over_the_best_other_in_the_head_that_reads_it():
    scores = torch.tensor(
        [  # (B=1, h=2, L=2, L=3): head 0 puts 3 - 1 = 2 nats on key 2; head 1 looks elsewhere
            [[[0.0, 1.0, 3.0], [0.0, 0.0, 0.0]], [[5.0, 0.0, 0.0], [0.0, 0.0, 0.0]]]
        ],
        dtype=torch.float64,
    )
    weights = torch.softmax(scores, -1)
    source = torch.tensor([[2, -1]])  # row 0's answer is key 2; row 1 has none
    assert zoo.logit_gap(weights, source) == pytest.approx(2.0)
    assert torch.isnan(torch.tensor(zoo.logit_gap(weights, torch.tensor([[-1, -1]]))))


def test_parity_learnability_runs_through_the_protocol_with_the_zoos_typed_settings():
    """The generic rule's path (the zoo's ``load``, the settings class its annotation names,
    and the measurement) gives the table the library gives, each of the zoo's seeds offset by
    the job's seed."""
    import pandas as pd

    from anatomy.core.measurement import Job, run
    from anatomy.zoo import measurements
    from anatomy.zoo import measurements as learnability

    learn = dict(operator="softmax", lengths=[3], steps=3, batch=8, samples=16)
    block = {
        "seeds": [0, 1],
        "training": {**asdict(SMALL), "per_task": {"copy": {"steps": 9}}},
        "learnability": dict(learn, learned=0.9, failed=0.6, margin_ratio=4.0),
    }
    (table, _), meta = run(measurements, "parity_learnability", Job(block, seed=5))
    assert table.seed.tolist() == [5, 6] and (table.n == 3).all() and meta["rows"] == 2
    s = ZooSettings.of(block)
    direct = learnability.run(s.learnability, s.training, [5, 6], "cpu", seed=5)
    pd.testing.assert_frame_equal(table, direct)
