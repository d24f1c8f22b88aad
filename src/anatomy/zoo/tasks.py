"""Synthetic tasks for the operator zoo, generated from seeds, with known targets.

Every task samples a :class:`Batch` for a *problem size* ``n`` (the number of items, pairs or
bits); models train on sizes in ``train_sizes`` and are tested at sizes up to 8x larger. Each
target position may name the input position that holds the answer (``source``), so the
attention weight on the correct token can be measured.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

IGNORE = -100  # target value at positions without a prediction


@dataclass(frozen=True)
class Batch:
    """``tokens (B, L)`` inputs; ``targets (B, L)`` class or IGNORE; ``source (B, L)`` the input
    position holding the answer, or -1."""

    tokens: Tensor
    targets: Tensor
    source: Tensor


@dataclass(frozen=True)
class Task:
    """A sequence task: ``vocab`` input tokens, ``classes`` outputs, its own sampler."""

    name: str
    vocab: int
    classes: int
    causal: bool  # the model sees only the prefix at each position
    positions: bool  # the task needs token order (sinusoidal encodings are added)
    train_sizes: tuple[int, int]
    description: str
    sampler: str = ""  # the sampler of another task (a control on the same inputs); "" = own

    def sample(self, batch: int, size: int, generator: torch.Generator) -> Batch:
        return SAMPLERS[self.sampler or self.name](batch, size, generator)


def _empty(batch: int, length: int) -> tuple[Tensor, Tensor]:
    return (
        torch.full((batch, length), IGNORE, dtype=torch.long),
        torch.full((batch, length), -1, dtype=torch.long),
    )


# ---- samplers: (batch, size, generator) -> Batch ---------------------------------------------

KEYS, VALUES, QUERIES = 64, 8, 4  # associative recall: key ids, value ids, queries per sequence


def associative_recall(batch: int, size: int, g) -> Batch:
    """``(k1,v1) ... (kn,vn) q1 ... q4``: n key-value pairs, each one token, then four queries,
    each a stored key; answer its value.

    Multi-query associative recall (Zoology's MQAR) in its one-hop form: a pair is one token,
    so answering is one content lookup (match the query's key among the pairs), with nothing
    positional left in it. Keys are distinct; queries may repeat. The values are balanced to
    within one: value ``i mod VALUES`` (under a random renaming per sequence) goes to the i-th
    pair of a random order, so every value occurs ``size // VALUES`` or one more times, exactly
    ``size / VALUES`` when VALUES divides ``size``. Guessing from the bag of values alone is then
    right ``ceil(size / VALUES) / size`` of the time (:func:`bag_baseline`), chance when VALUES
    divides ``size``; a model that pools the context without matching keys (``uniform``) has
    that and what its width can store of the pairs' bindings."""
    keys = torch.rand(batch, KEYS, generator=g).argsort(-1)[:, :size]  # distinct keys
    naming = torch.rand(batch, VALUES, generator=g).argsort(-1)
    slot = torch.rand(batch, size, generator=g).argsort(-1) % VALUES  # balanced counts
    values = naming.gather(1, slot)
    asked = torch.randint(0, size, (batch, QUERIES), generator=g)
    queries = KEYS * VALUES + keys.gather(1, asked)  # query tokens follow the pair tokens
    tokens = torch.cat([keys * VALUES + values, queries], 1)
    targets, source = _empty(batch, tokens.shape[1])
    targets[:, size:] = values.gather(1, asked)
    source[:, size:] = asked  # the pair token holding the answer
    return Batch(tokens, targets, source)


# max-retrieval: item groups, magnitudes, features; queries per sequence
GROUPS, MAGNITUDES, FEATURES, MAX_QUERIES = 16, 6, 8, 8


def max_retrieval(batch: int, size: int, g) -> Batch:
    """``(g1,m1,f1) ... (gn,mn,fn) q1 ... q8``: n items, each one token holding a group, a
    magnitude and a feature, then eight queries, each a group; answer the feature of the
    largest item of the queried group.

    Max-retrieval in the multi-query form of recall: the answer is found by a comparison of
    magnitudes among the items a query selects. Every group has one largest item and all
    sixteen share one magnitude, itself random (1 to MAGNITUDES - 1); the other items lie
    below it, with random groups and features. The largest items carry every feature
    GROUPS / FEATURES times, so neither the bag of features nor the largest magnitude alone
    says anything about an answer: an operator that pools the context without matching the
    query's group (``uniform``) is left with chance, 1 / FEATURES, and what its width can store
    of the sixteen (group, feature) bindings. The answer's position is uniform over the items,
    its feature uniform over FEATURES. Needs ``size >= GROUPS``."""
    if size < GROUPS:
        raise ValueError(f"max_retrieval needs at least {GROUPS} items, got {size}")
    top = torch.randint(1, MAGNITUDES, (batch, 1), generator=g)  # the groups' shared maximum
    group = torch.randint(0, GROUPS, (batch, size), generator=g)
    magnitude = (torch.rand(batch, size, generator=g) * top).long()  # the others: below it
    feature = torch.randint(0, FEATURES, (batch, size), generator=g)
    tops = torch.rand(batch, size, generator=g).argsort(-1)[:, :GROUPS]  # group i's largest
    top_feature = torch.rand(batch, GROUPS, generator=g).argsort(-1) % FEATURES  # balanced
    group.scatter_(1, tops, torch.arange(GROUPS).expand(batch, GROUPS))
    magnitude.scatter_(1, tops, top.expand(batch, GROUPS))
    feature.scatter_(1, tops, top_feature)
    asked = torch.randint(0, GROUPS, (batch, MAX_QUERIES), generator=g)
    items = (group * MAGNITUDES + magnitude) * FEATURES + feature
    tokens = torch.cat([items, GROUPS * MAGNITUDES * FEATURES + asked], 1)
    targets, source = _empty(batch, size + MAX_QUERIES)
    targets[:, size:] = top_feature.gather(1, asked)
    source[:, size:] = tops.gather(1, asked)
    return Batch(tokens, targets, source)


def max_item(token: int) -> tuple[int, int, int]:
    """A max-retrieval item token as ``(group, magnitude, feature)``."""
    return token // (MAGNITUDES * FEATURES), token // FEATURES % MAGNITUDES, token % FEATURES


def reverse(batch: int, size: int, g) -> Batch:
    """``x1 ... xn``: position i answers ``x_{n+1-i}``."""
    tokens = torch.randint(0, 8, (batch, size), generator=g)
    flipped = torch.arange(size - 1, -1, -1)
    return Batch(tokens, tokens[:, flipped], flipped.expand(batch, size).clone())


def copy(batch: int, size: int, g) -> Batch:
    """``x1 ... xn | _ ... _``: the j-th blank answers ``x_j``."""
    x = torch.randint(0, 8, (batch, size), generator=g)
    tokens = torch.cat([x, torch.full((batch, 1), 8), torch.full((batch, size), 9)], 1)
    targets, source = _empty(batch, 2 * size + 1)
    targets[:, size + 1 :] = x
    source[:, size + 1 :] = torch.arange(size)
    return Batch(tokens, targets, source)


def parity(batch: int, size: int, g) -> Batch:
    """``b1 ... bn [CLS]``: answer the parity of the bits at [CLS]."""
    bits = torch.randint(0, 2, (batch, size), generator=g)
    tokens = torch.cat([bits, torch.full((batch, 1), 2)], 1)
    targets, source = _empty(batch, size + 1)
    targets[:, -1] = bits.sum(1) % 2
    return Batch(tokens, targets, source)


def first(batch: int, size: int, g) -> Batch:
    """``b1 ... bn [CLS]``: answer the first bit (PARITY's easy control)."""
    bits = torch.randint(0, 2, (batch, size), generator=g)
    tokens = torch.cat([bits, torch.full((batch, 1), 2)], 1)
    targets, source = _empty(batch, size + 1)
    targets[:, -1] = bits[:, 0]
    source[:, -1] = 0
    return Batch(tokens, targets, source)


def dyck1(batch: int, size: int, g) -> Batch:
    """Brackets ``(`` = 0, ``)`` = 1; position i answers whether the prefix up to i is a valid
    Dyck-1 prefix (its depth never went negative). Strings are random walks that stay valid
    for a random stretch. The answers are not balanced: most prefixes are valid, so always
    answering "valid" is a strong baseline (:func:`majority`; the zoo's table shows it beside
    every operator)."""
    steps = (torch.rand(batch, size, generator=g) < 0.5).long()
    # Keep each string valid up to a random cut by reflecting steps that would go negative.
    cut = torch.randint(1, size + 1, (batch,), generator=g)
    depth = torch.zeros(batch, dtype=torch.long)
    for i in range(size):
        closing = steps[:, i] == 1
        forced_open = closing & (depth == 0) & (i < cut)
        steps[forced_open, i] = 0
        depth = depth + torch.where(steps[:, i] == 1, -1, 1)
    depth_path = torch.cumsum(1 - 2 * steps, 1)
    valid = (torch.cummin(depth_path, 1).values >= 0).long()
    return Batch(steps, valid, torch.full((batch, size), -1, dtype=torch.long))


SAMPLERS = {
    f.__name__: f for f in (associative_recall, max_retrieval, reverse, copy, parity, first, dyck1)
}

TASKS: dict[str, Task] = {
    t.name: t
    for t in (
        Task(
            "associative_recall",
            KEYS * VALUES + KEYS,
            VALUES,
            False,
            False,
            (8, 16),
            "recall the value stored with a queried key",
        ),
        Task(
            "max_retrieval",
            GROUPS * MAGNITUDES * FEATURES + GROUPS,
            FEATURES,
            False,
            False,
            (GROUPS, 24),
            "return the feature of the queried group's largest item",
        ),
        Task("reverse", 8, 8, False, True, (4, 16), "output the sequence reversed"),
        Task("copy", 10, 8, False, True, (4, 16), "copy the sequence after a separator"),
        # PARITY has positions although it needs none, so that it and FIRST see identical
        # inputs: a length failure of one and not the other is not about position encodings.
        Task("parity", 3, 2, False, True, (4, 16), "parity of a bit string"),
        Task("first", 3, 2, False, True, (4, 16), "the first bit (control for parity)"),
        Task("dyck1", 2, 2, True, False, (8, 32), "Dyck-1 prefix validity"),
        # Positions as a controlled factor: FIRST and PARITY on the same inputs with no position
        # encoding and a causal mask, under which the first token can still tell it is first
        # (it attends to itself alone). A length failure that goes away here was positional.
        Task("first_causal", 3, 2, True, False, (4, 16), "FIRST, causal, no positions", "first"),
        # The third arm: the causal mask with the positions kept, so that the mask and the
        # encoding are varied one at a time.
        Task("first_masked", 3, 2, True, True, (4, 16), "FIRST, causal, with positions", "first"),
        Task("parity_causal", 3, 2, True, False, (4, 16), "PARITY, causal, no positions", "parity"),
    )
}


def bag_baseline(size: int) -> float:
    """Recall's accuracy from the bag of values alone: the most frequent value of a context of
    ``size`` balanced pairs occurs ``ceil(size / VALUES)`` times, and a query asks it that share
    of the time."""
    return -(-size // VALUES) / size


def majority(targets: Tensor, classes: int) -> float:
    """The accuracy of always answering the most common class of ``targets`` (IGNORE entries
    skipped): the baseline a model reaches without reading its input."""
    answered = targets[targets != IGNORE]
    return float(torch.bincount(answered, minlength=classes).max() / answered.numel())


def test_sizes(task: Task, factor: int, points: int) -> list[int]:
    """Problem sizes from the training maximum up to ``factor`` times it, plus one in-range
    size; ``points`` sizes in all, geometric."""
    lo, hi = task.train_sizes
    sizes = {hi} | {int(round(hi * factor ** (k / max(1, points - 2)))) for k in range(points - 1)}
    sizes.add((lo + hi) // 2)
    sizes.add(2 * hi)  # twice the training maximum, where published length tests often stop
    if task.name == "associative_recall":  # keys must stay distinct
        sizes = {min(s, KEYS) for s in sizes}
    return sorted(sizes)
