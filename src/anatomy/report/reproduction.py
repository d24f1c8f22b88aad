"""Published results reproduced: each anchor sets a paper's number or law beside ours.

An :class:`Anchor` names the paper, the published value, the macro value of ours (from the
values file a section's macros rule writes next to its macros) and how the two are compared;
its tolerance lives in the config (``reproduction.<key>``), fixed before the run, so a row
passes or fails by a rule nobody chose after seeing the number. A failed row stays in the
table. A row whose section the profile did not run reads "not run".

Comparisons (``check``):

- ``abs``: ``|ours - published| <= tolerance``;
- ``rel``: ``|ours / published - 1| <= tolerance``;
- ``factor``: ``max(ours / published, published / ours) <= tolerance`` (same sign);
- ``below``: ``ours <= tolerance`` (a published law "tends to zero" or "stays below");
- ``above``: ``ours >= tolerance`` (a published law "stays away from zero").
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

CHECKS = ("abs", "rel", "factor", "below", "above")


@dataclass(frozen=True)
class Anchor:
    key: str  # the config key of its tolerance
    layer: str  # where in the note: "A", "B" or "zoo"
    cite: str  # bibtex key of the paper
    claim: str  # what the paper states, LaTeX
    published: float  # the published number (NaN for a law stated by its tolerance alone)
    check: str  # one of CHECKS
    section: str  # whose values hold ours
    value: str  # the macro name of ours in that section's values
    set_after: bool = False  # its criterion was set after earlier runs had shown our number


E = math.exp
ANCHORS: tuple[Anchor, ...] = (
    Anchor(
        "sharpness_small",
        "A",
        "velickovic2024softmax",
        r"softmax weight of a target $\Delta=2$ above $n-1=15$ equal items, $.33$",
        E(2) / (E(2) + 15),
        "abs",
        "softmax_constraints",
        "scGapSoftmaxSmall",
    ),
    Anchor(
        "sharpness_large",
        "A",
        "velickovic2024softmax",
        r"the same at $n=1024$, $.0072$",
        E(2) / (E(2) + 1023),
        "rel",
        "softmax_constraints",
        "scGapSoftmaxLarge",
    ),
    Anchor(
        "sparsemax_threshold",
        "A",
        "martins2016sparsemax",
        r"sparsemax puts all weight on the target once $\Delta\ge 1$, at any $n$",
        1.0,
        "abs",
        "softmax_constraints",
        "scSparsemaxThreshold",
    ),
    Anchor(
        "entmax_threshold",
        "A",
        "peters2019sparse",
        r"1.5-entmax does once $\Delta\ge 2$",
        2.0,
        "abs",
        "softmax_constraints",
        "scEntmaxThreshold",
    ),
    Anchor(
        "sensitivity_slope",
        "A",
        "hahn2020theoretical",
        r"one flipped input moves a softmax output by $O(1/n)$: slope $-1$ in $\log n$",
        -1.0,
        "abs",
        "expressivity",
        "exSensSoftmaxSlope",
    ),
    Anchor(
        "parity_margin",
        "A",
        "chiang2022overcoming",
        r"exact PARITY's margin at $n=10$, about $7\times10^{-3}$",
        7e-3,
        "factor",
        "expressivity",
        "exParityMarginLow",
    ),
    Anchor(
        "parity_margin_slope",
        "A",
        "chiang2022overcoming",
        r"the margin shrinks like $1/n^2$: slope $-2$",
        -2.0,
        "abs",
        "expressivity",
        "exParityMarginSlope",
    ),
    Anchor(
        "parity_cross_entropy",
        "A",
        "chiang2022overcoming",
        r"cross-entropy tends to 1 bit ($n=1000$)",
        1.0,
        "abs",
        "expressivity",
        "exParityCrossEntropyHigh",
    ),
    Anchor(
        "parity_layer_norm",
        "A",
        "chiang2022overcoming",
        r"their layer-norm trick restores confidence (cross-entropy, bits)",
        0.0,
        "below",
        "expressivity",
        "exParityLayerNormCrossEntropy",
    ),
    Anchor(
        "collapse_pure",
        "A",
        "dong2021attention",
        r"pure attention's residual tends to 0 doubly exponentially (6 layers)",
        0.0,
        "below",
        "expressivity",
        "exCollapsePureLast",
    ),
    Anchor(
        "collapse_skip",
        "A",
        "dong2021attention",
        r"skip connections stop the collapse (residual after 6 layers)",
        float("nan"),
        "above",
        "expressivity",
        "exCollapseSkipLast",
    ),
    Anchor(
        "rasp_hard",
        "A",
        "weiss2021rasp",
        r"a RASP program (reverse) is exact with hard attention (accuracy 1 at the longest $n$)",
        1.0,
        "abs",
        "expressivity",
        "exRaspHardmaxHigh",
    ),
    Anchor(
        "lipschitz_slope",
        "A",
        "kim2021lipschitz",
        r"dot-product attention's Jacobian grows like the input scale squared: slope 2",
        2.0,
        "abs",
        "expressivity",
        "exLipSoftmaxSlope",
    ),
    Anchor(
        "lipschitz_l2",
        "A",
        "kim2021lipschitz",
        r"tied $L_2$ attention is Lipschitz: its Jacobian does not grow (ratio 1)",
        1.0,
        "factor",
        "expressivity",
        "exLipLtwoGrowth",
    ),
    Anchor(
        "hopfield_single",
        "A",
        "ramsauer2021hopfield",
        r"large $\beta$ retrieves a single pattern (effective patterns 1)",
        1.0,
        "abs",
        "expressivity",
        "exHopEffHighBeta",
    ),
    Anchor(
        "favor_lemma",
        "B",
        "choromanski2021performer",
        r"positive random features' MSE is Lemma~2's closed form (ratio 1)",
        1.0,
        "rel",
        "equivalent_forms",
        "eqTheoryRatioPositive",
    ),
    Anchor(
        "favor_trig_lemma",
        "B",
        "choromanski2021performer",
        r"trigonometric features' MSE is Lemma~2's (ratio 1)",
        1.0,
        "rel",
        "equivalent_forms",
        "eqTheoryRatioTrig",
    ),
    Anchor(
        "favor_mse_slope",
        "B",
        "choromanski2021performer",
        r"the estimators' MSE falls like $1/m$: slope $-1$",
        -1.0,
        "abs",
        "equivalent_forms",
        "eqSlopePositive",
    ),
    Anchor(
        "favor_orthogonal",
        "B",
        "choromanski2021performer",
        r"orthogonal features beat iid ones (MSE ratio below 1)",
        1.0,
        "below",
        "equivalent_forms",
        "eqOrthRatio",
    ),
    Anchor(
        "conv_alpha",
        "B",
        "cordonnier2020relationship",
        r"attention heads reproduce a convolution with error $\approx 4e^{-\alpha}$ ($\alpha=8$)",
        4 * E(-8),
        "factor",
        "equivalent_forms",
        "eqConvErrMid",
    ),
    Anchor(
        "gat_static",
        "B",
        "brody2022gatv2",
        r"GAT attention is static: every query ranks the keys alike (share 1)",
        1.0,
        "abs",
        "equivalent_forms",
        "eqGatRanking",
    ),
    Anchor(
        "recall_softmax",
        "zoo",
        "zhang2024hedgehog",
        r"softmax attention solves associative recall (accuracy 1.0)",
        1.0,
        "abs",
        "zoo",
        "zooRecallSoftmaxIn",
        set_after=True,
    ),
    Anchor(
        "dyck_length",
        "zoo",
        "bhattamishra2020ability",
        r"transformers learn Dyck-1 and keep it on longer strings (accuracy near 1 at about"
        r" twice the training length)",
        1.0,
        "above",
        "zoo",
        "zooDyckSoftmaxTwice",
        set_after=True,
    ),
    Anchor(
        "parity_not_learned",
        "zoo",
        "bhattamishra2020ability",
        r"they do not learn PARITY (best operator in range, near chance 0.5)",
        0.5,
        "below",
        "zoo",
        "zooParityBestIn",
        set_after=True,
    ),
)


def passes(check: str, ours: float, published: float, tolerance: float) -> bool | None:
    """Whether ``ours`` meets the published value under ``check``; None when ours is missing."""
    if ours is None or not math.isfinite(ours):
        return None
    if check == "abs":
        return abs(ours - published) <= tolerance
    if check == "rel":
        return abs(ours / published - 1) <= tolerance
    if check == "factor":
        if ours == 0 or (ours > 0) != (published > 0):
            return False
        return max(ours / published, published / ours) <= tolerance
    if check == "below":
        return ours <= tolerance
    if check == "above":
        return ours >= tolerance
    raise ValueError(f"unknown check {check!r}; one of {CHECKS}")


def read_values(paths: Mapping[str, str | Path]) -> dict[str, dict]:
    """``{section: values}`` from the values files the macros rules write."""
    return {section: json.loads(Path(path).read_text()) for section, path in paths.items()}


def table(values: Mapping[str, Mapping], tolerances: Mapping[str, float]) -> pd.DataFrame:
    """One row per anchor: paper, claim, published, ours, check, tolerance, verdict
    (``pass``, ``fail`` or ``not run``)."""
    missing = [a.key for a in ANCHORS if a.key not in tolerances]
    if missing:
        raise KeyError(f"config reproduction: no tolerance for {', '.join(missing)}")
    rows = []
    for anchor in ANCHORS:
        ours = values.get(anchor.section, {}).get(anchor.value)
        ours = float(ours) if isinstance(ours, int | float) else float("nan")
        tolerance = float(tolerances[anchor.key])
        verdict = passes(anchor.check, ours, anchor.published, tolerance)
        rows.append(
            {
                "key": anchor.key,
                "layer": anchor.layer,
                "cite": anchor.cite,
                "claim": anchor.claim,
                "published": anchor.published,
                "ours": ours,
                "check": anchor.check,
                "tolerance": tolerance,
                "set_after": anchor.set_after,
                "verdict": "not run" if verdict is None else ("pass" if verdict else "fail"),
            }
        )
    return pd.DataFrame(rows)


def macro_values(rows: pd.DataFrame) -> dict[str, int | str]:
    """Counts for the prose: rows, run, passed, failed, and the failed rows' keys."""
    failed = rows[rows.verdict == "fail"]
    return {
        "rpRows": len(rows),
        "rpRun": int((rows.verdict != "not run").sum()),
        "rpPassed": int((rows.verdict == "pass").sum()),
        "rpFailed": len(failed),
        "rpSetAfter": int(rows.set_after.sum()),
        "rpSetAfterPassed": int((rows.set_after & (rows.verdict == "pass")).sum()),
        "rpFailedList": ", ".join(
            rf"\citet{{{cite}}} ({key.replace('_', ' ')})"
            for cite, key in zip(failed.cite, failed.key, strict=True)
        )
        or "none",
    }
