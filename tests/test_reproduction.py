"""The published-results table: its checks, its anchors, and two rows recomputed
independently of the pipeline's code."""

import math
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml

from anatomy.report import reproduction
from anatomy.softmax_constraints.measurements import softmax_gap
from anatomy.softmax_constraints.measures import PUBLISHED_GAP, gap_values
from anatomy.softmax_constraints.settings import Gap

ROOT = Path(__file__).resolve().parents[1]
GAP_SETTINGS = dict(ns=[16, 1024], gap_min=0.0, gap_max=3.0, gap_step=0.25, noise_stds=[0.0])


def default_tolerances():
    return yaml.safe_load((ROOT / "config/default.yaml").read_text())["reproduction"]


@pytest.mark.parametrize(
    "check, ours, published, tolerance, expected",
    [
        ("abs", 0.33, 0.3300, 0.005, True),
        ("abs", 0.34, 0.3300, 0.005, False),
        ("rel", 0.0075, 0.0072, 0.05, True),
        ("rel", 0.0080, 0.0072, 0.05, False),
        ("factor", 0.0083, 0.007, 1.5, True),
        ("factor", 0.0030, 0.007, 1.5, False),
        ("factor", -0.0083, 0.007, 1.5, False),  # opposite sign never matches
        ("below", 2e-16, 0.0, 1e-6, True),
        ("below", 0.2, 0.0, 1e-6, False),
        ("above", 0.61, math.nan, 0.3, True),
        ("above", 0.1, math.nan, 0.3, False),
    ],
)
def test_each_check_passes_and_fails_where_it_should(check, ours, published, tolerance, expected):
    assert reproduction.passes(check, ours, published, tolerance) is expected


def test_a_missing_value_is_not_run_and_a_missing_tolerance_is_an_error():
    rows = reproduction.table({}, default_tolerances())
    assert (rows.verdict == "not run").all() and len(rows) >= 12
    tolerances = dict(default_tolerances())
    tolerances.pop("collapse_pure")
    with pytest.raises(KeyError, match="collapse_pure"):
        reproduction.table({}, tolerances)


def test_every_anchor_cites_a_known_paper_and_has_one_key():
    # That every anchor's value is written by its section is checked on the smoke build
    # (tests/test_pipeline.py: no row of the table reads "not run").
    bib = (ROOT / "paper/refs.bib").read_text()
    for anchor in reproduction.ANCHORS:
        assert "{" + anchor.cite + "," in bib, anchor.cite
        assert anchor.check in reproduction.CHECKS
    assert len({a.key for a in reproduction.ANCHORS}) == len(reproduction.ANCHORS)


def _gap_rows():
    table = softmax_gap("cpu", Gap.of(dict(GAP_SETTINGS, trials=2)), 0).table
    values = {"softmax_constraints": gap_values(table, PUBLISHED_GAP, (16, 1024))}
    return reproduction.table(values, default_tolerances()).set_index("key")


def test_velickovic_rows_recomputed_with_torch_softmax():
    # Independent of the registry: torch's own softmax on the row the paper describes.
    rows = _gap_rows()
    for key, n in (("sharpness_small", 16), ("sharpness_large", 1024)):
        logits = torch.zeros(n, dtype=torch.float64)
        logits[0] = PUBLISHED_GAP
        expected = float(torch.softmax(logits, 0)[0])
        assert rows.loc[key, "ours"] == pytest.approx(expected, rel=1e-12)
        assert rows.loc[key, "verdict"] == "pass"
    assert rows.loc["sharpness_small", "published"] == pytest.approx(0.33, abs=5e-4)
    assert rows.loc["sharpness_large", "published"] == pytest.approx(0.0072, abs=5e-5)


def _sparsemax(z: np.ndarray) -> np.ndarray:
    """Martins & Astudillo (2016), Algorithm 1, written here from the paper: sort, find the
    support size k(z) = max{k : 1 + k z_(k) > sum_{j<=k} z_(j)}, threshold, clip."""
    s = np.sort(z)[::-1]
    cumulative = np.cumsum(s)
    k = np.arange(1, len(z) + 1)
    support = k[1 + k * s > cumulative].max()
    tau = (cumulative[support - 1] - 1) / support
    return np.maximum(z - tau, 0)


def test_sparsemax_threshold_row_recomputed_with_the_papers_algorithm():
    rows = _gap_rows()
    grid = np.arange(0, 3.0 + 1e-9, 0.25)
    thresholds = []
    for n in (16, 1024):
        full = [float(_sparsemax(np.r_[gap, np.zeros(n - 1)])[0]) == 1.0 for gap in grid]
        thresholds.append(min(g for g, f in zip(grid, full, strict=True) if f))
    assert rows.loc["sparsemax_threshold", "ours"] == max(thresholds) == 1.0
    assert rows.loc["sparsemax_threshold", "verdict"] == "pass"
    assert rows.loc["entmax_threshold", "ours"] == 2.0  # the registry's 1.5-entmax
