"""Every sentence the ViT section states as a verdict, each from a rule fixed here before the
run (the thresholds are module constants), so no verdict can contradict its number.

Each function takes numbers the measurements produced and returns the phrase the note prints;
tests/test_vit_verdicts.py checks both sides of every rule.
"""

from __future__ import annotations

from collections.abc import Sequence

from anatomy.intervals import compare_phrase, paired_difference

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
