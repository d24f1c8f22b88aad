"""The figures' shared helpers."""

import math

import pytest

from anatomy.report import plotting
from anatomy.report.plotting import log_limits


def test_log_limits_span_the_decades_of_the_data_not_its_rounding_zeros():
    # 95 values between 2 and 300, five that are zero up to rounding and one exact zero.
    values = [2.0 + 3 * k for k in range(95)] + [1e-250, 1e-123, 1e-30, 1e-20, 1e-17, 0.0]
    assert log_limits(values) == (1.0, 1000.0)
    low, high = log_limits([0.05, 0.2, 0.9], quantile=0.0)
    assert low == pytest.approx(0.01) and high == 1.0


def test_log_limits_of_one_decade_round_outwards():
    low, high = log_limits([3.0, 4.0, 5.0])
    assert math.log10(low) == 0 and math.log10(high) == 1


def test_every_registered_operator_has_its_own_colour_and_its_family_marker(monkeypatch):
    from anatomy.core import operators

    names = operators.names()
    palette = plotting.operator_palette(names)
    assert len(set(palette.values())) == len(names)  # distinct for every registered operator
    markers = plotting.operator_markers(names)
    for name in names:
        family = operators.get(name).family
        assert markers[name] == plotting.FAMILY_MARKERS[family]
        assert palette[name] in plotting.FAMILY_COLOURS[family]
    # The same colour in every figure, whatever subset it shows, and under its normalizer's name.
    assert plotting.operator_palette(["uniform", "softmax_logn"]) == {
        "softmax_logn": palette["softmax_logn"],
        "uniform": palette["uniform"],
    }
    assert plotting.operator_palette(["softmax-logn"])["softmax-logn"] == palette["softmax_logn"]
    # Labels the registry does not know get colours of their own, after the operators.
    mixed = plotting.operator_palette(["recurrent", "softmax", "dense"])
    assert list(mixed) == ["softmax", "dense", "recurrent"]
    assert not {mixed["dense"], mixed["recurrent"]} & set(palette.values())
    # A plugin operator gets a colour of its family that no registered operator has.
    monkeypatch.setattr(operators, "OPERATORS", dict(operators.OPERATORS))
    plugin = operators.AttentionOperator(
        "plugin_sparse", operators.ScaledDotProduct(), operators.Sparsemax()
    )
    operators.register(plugin)
    extended = plotting.operator_palette(operators.names())
    assert len(set(extended.values())) == len(extended)
    assert extended["plugin_sparse"] in plotting.FAMILY_COLOURS["sparse"]


# ---- one figure geometry --------------------------------------------------------------------

ROOT = __import__("pathlib").Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("width", [1.0, 0.6])
def test_a_figure_is_saved_at_the_width_it_is_printed_at(tmp_path, width):
    import matplotlib.pyplot as plt

    plotting.theme()
    fig, ax = plt.subplots(figsize=(9.5, 2.8))  # drawn wider than the page, as figures were
    ax.plot([1, 2, 3], [3, 1, 2], label="softmax")
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1))
    plotting.save(fig, tmp_path / "f.pdf", tmp_path / "f.png", width=width)
    w, h = plotting.page_size(tmp_path / "f.pdf")
    assert w == pytest.approx(width * plotting.TEXT_WIDTH * 72, abs=0.5)  # no bbox trimming
    assert h == pytest.approx(w * 2.8 / 9.5, abs=0.5)  # the aspect ratio kept
    with pytest.raises(ValueError, match="share of the text width"):
        plotting.save(plt.figure(), tmp_path / "g.pdf", width=1.2)


def test_ticks_legends_and_labels_print_between_7_and_9_points():
    import matplotlib.pyplot as plt

    plotting.theme()
    for key in ("xtick.labelsize", "ytick.labelsize", "legend.fontsize", "axes.labelsize"):
        assert 7 <= plt.rcParams[key] <= 9, key
    assert plotting.SMALL >= 7


def test_no_figure_script_sets_text_smaller_than_the_smallest_printed_size():
    import re

    for script in sorted((ROOT / "workflow/scripts").glob("fig_*.py")):
        for size in re.findall(r"fontsize=([0-9.]+)", script.read_text()):
            assert float(size) >= plotting.SMALL, f"{script.name}: fontsize={size}"


def test_the_note_includes_every_figure_at_its_natural_size_in_a_text_block_of_that_width():
    # Figures are drawn at their printed width (plotting.save), so the note must not scale
    # them; the text block plotting.TEXT_WIDTH assumes is the one main.tex sets.
    import re

    main = (ROOT / "paper/main.tex").read_text()
    assert re.search(r"\\documentclass\[11pt\]\{article\}", main)  # letter paper: 8.5 in
    assert "margin=1in" in main and 8.5 - 2 * 1.0 == plotting.TEXT_WIDTH
    for tex in sorted((ROOT / "paper").rglob("*.tex")):
        for options in re.findall(r"\\includegraphics(\[[^\]]*\])?\{", tex.read_text()):
            assert not options, f"{tex.name}: \\includegraphics{options} scales a figure"
    # The sections set every figure and generated table with its link to the code (main.tex).
    sections = "".join(p.read_text() for p in sorted((ROOT / "paper/sections").glob("*.tex")))
    assert "\\includegraphics" not in sections and "\\input{generated/tables/" not in sections
    assert sections.count("\\sourcedgraphics{") >= 25


def test_a_log_axis_inside_one_decade_still_has_tick_labels(tmp_path):
    # The speed figure's memory panel spanned less than a decade and printed no y labels.
    import pandas as pd

    table = pd.DataFrame(
        {"n": [16, 64, 256] * 2, "mib": [2.0, 3.0, 7.0, 2.5, 4.0, 8.0], "op": ["a"] * 3 + ["b"] * 3}
    )
    fig, axes = plotting.line_panels(table, "n", "mib", hue="op")
    fig.canvas.draw()
    ax = axes[0, 0]
    low, high = ax.get_ylim()
    shown = [
        t.get_text()
        for t in ax.yaxis.get_majorticklabels() + ax.yaxis.get_minorticklabels()
        if t.get_text() and low <= t.get_position()[1] <= high
    ]
    assert len(shown) >= 2, shown
