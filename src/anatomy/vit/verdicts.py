"""Every sentence the ViT section states as a verdict, each from a rule fixed here before the
run (the thresholds are module constants), so no verdict can contradict its number.

Each function takes numbers the measurements produced and returns the phrase the note prints;
tests/test_vit_verdicts.py checks both sides of every rule.
"""

from __future__ import annotations

from collections.abc import Sequence

from anatomy.core.intervals import compare_phrase, paired_difference

# Raghu et al. (2021): a head is local well below the uniform ceiling; 0.8 of it is global.
LOCAL_RATIO = 0.8
# A map clears the random map when its margin is ahead by this many combined standard errors.
CLEAR_SES = 3.0
# A one-pixel shift moves the map "about as much as if the image had not moved" when its
# equivariance error is at least this share of the static error.
STATIC_SHARE = 0.8
# The geometry is tied to the token grid when whole-patch shifts err less than this share of
# the other shifts.
GRID_SHARE = 0.5


def locality(lowest_head_ratio: float) -> str:
    """Whether any head became local: the lowest head's distance against ``LOCAL_RATIO`` of
    the uniform distance."""
    if lowest_head_ratio > LOCAL_RATIO:
        return "no head of any model became local"
    return "some heads became local"


def layer_locality(mean: float, half_width: float) -> str:
    """A layer's mean distance ratio over seeds with its interval, against ``LOCAL_RATIO``."""
    if mean + half_width < LOCAL_RATIO:
        return "local"
    if mean - half_width > LOCAL_RATIO:
        return "global"
    return "undecided"


def clears_random(margin: float, sem: float, random_margin: float, random_sem: float) -> bool:
    """A map's margin is ahead of the random map's by ``CLEAR_SES`` combined standard errors."""
    return margin - random_margin > CLEAR_SES * (sem**2 + random_sem**2) ** 0.5


def models_clearing(clears: Sequence[bool]) -> str:
    """Which trained models' rollouts clear the random map."""
    n, k = len(clears), int(sum(clears))
    if k == n:
        return "every trained model's rollout"
    if k == 0:
        return "no trained model's rollout"
    return f"the rollout of {k} of the {n} trained models"


def against_baseline(map_margins: Sequence[float], baseline_margins: Sequence[float]) -> str:
    """The object claim against the best object-agnostic baseline: the map's margin minus the
    baseline's, paired by seed (the same images), its 95% interval above zero, below, or
    containing it; one seed gives no verdict."""
    mean, half = paired_difference(map_margins, baseline_margins)
    return compare_phrase(
        mean,
        half,
        "separates the target from the decoy better than",
        "separates the target from the decoy worse than",
        "separates the target from the decoy no better than",
        "cannot, on one seed, be compared with",
    )


def answer_objects(beats_baseline: bool, clears: Sequence[bool]) -> str:
    """The answer to "does attention find the object?": it must beat the best map that knows
    where the objects are but not which one the label needs, not only a random map."""
    if beats_baseline:
        return (
            "does find the object the label depends on, better than any map that knows where "
            "the objects are but not which one the label needs"
        )
    if any(clears):
        return (
            "finds the objects, but the object the label depends on no better than a map "
            "that knows where the objects are and not which one the label needs"
        )
    return "does not find the object the label depends on any better than a random map"


def cls_against_rollout(cls_margin: float, rollout_margin: float) -> str:
    return "better than" if cls_margin > rollout_margin else "no better than"


def one_pixel_shift(error: float, static_error: float) -> str:
    if error > STATIC_SHARE * static_error:
        return "about as much as if the image had not moved"
    return "less than if the image had not moved"


def grid_tie(whole_patch_error: float, other_error: float) -> str:
    if whole_patch_error < GRID_SHARE * other_error:
        return "tied to the token grid"
    return "not tied to the token grid"


def high_norms(largest_fraction: float) -> str:
    if largest_fraction == 0:
        return "no model grows a high-norm population"
    return "some models grow a high-norm population"


# The patch sweep at a fixed token count: attention distance "keeps" a unit (patches or
# pixels) when its relative spread along the sweep in that unit is below this share of its
# spread in the other unit.
KEEP_SHARE = 0.5


def relative_spread(values: Sequence[float]) -> float:
    """``(max - min) / mean`` of positive values: 0 when they are all equal."""
    values = [float(v) for v in values]
    return (max(values) - min(values)) / (sum(values) / len(values))


def distance_unit(spread_patches: float, spread_pixels: float, lowest_ratio: float) -> str:
    """What attention distance keeps along the sweep where only the patch size changes (the
    same token grid on larger images): its length in patches, in pixels, or neither. Uniform
    attention over one grid keeps its length in patches by construction, so when the lowest
    layer of every model of the sweep (head means, averaged over seeds) stays above
    ``LOCAL_RATIO`` of the uniform distance the phrase says so."""
    if spread_patches < KEEP_SHARE * spread_pixels:
        unit = "keeps its length in patches (the same share of the image), not in pixels"
        if lowest_ratio > LOCAL_RATIO:
            unit += ", as uniform attention over the same grid would: no layer became local"
        return unit
    if spread_pixels < KEEP_SHARE * spread_patches:
        return "keeps its length in pixels, not in patches"
    return "keeps its length neither in patches nor in pixels"


def accuracy_change(larger: Sequence[float], smaller: Sequence[float]) -> str:
    """Accuracy of the larger-patch model against the smaller-patch one, paired by seed: the
    interval of the difference above zero, below it, or containing it."""
    mean, half = paired_difference(larger, smaller)
    return compare_phrase(
        mean, half, "higher", "lower", "no different", "not comparable on one seed"
    )


def patch_or_tokens(fixed_size: str, fixed_tokens: str) -> str:
    """Which factor the accuracy follows, from the two paired comparisons (:func:`accuracy_change`)
    along the sweep at a fixed image size (patch size and token count change together) and at a
    fixed token count (the patch size alone changes)."""
    if "one seed" in fixed_size or "one seed" in fixed_tokens:
        return "one seed cannot tell the patch size from the token count"
    if fixed_tokens != "no different":
        return "the patch size itself changes accuracy, at a fixed number of tokens"
    if fixed_size != "no different":
        return (
            "at a fixed number of tokens the patch size resolves no change in accuracy, where "
            "at one image size patch size and number of tokens together do"
        )
    return (
        "the seeds resolve no accuracy difference along either sweep, so accuracy cannot be "
        "attributed to the patch size or to the number of tokens"
    )
