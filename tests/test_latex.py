"""Numbers, macros and tables for the note, and the reproducible PDF build."""

import hashlib
import shutil

import pytest

from anatomy.report.latex import (
    LatexError,
    build_pdf,
    first_error,
    fmt,
    fmt_int,
    format_values,
    macros,
    tabular,
    word_list,
)

needs_tex = pytest.mark.skipif(shutil.which("latexmk") is None, reason="TeX Live not installed")


@pytest.mark.parametrize(
    ("x", "text"),
    [
        (0.3300, "0.33"),
        (0.0072, "0.0072"),
        (0, "0"),
        (1.0, "1.0"),
        (123.456, "123"),
        (3.4e-16, r"\ensuremath{3.4\times10^{-16}}"),
        (9.96e-5, r"\ensuremath{1.0\times10^{-4}}"),
        (-0.5, "-0.50"),
        (float("nan"), "---"),
    ],
)
def test_fmt(x, text):
    assert fmt(x) == text


def test_format_values_and_macros():
    values = format_values({"scN": 16384, "scW": 0.33, "scName": "softmax"})
    assert values == {"scN": fmt_int(16384), "scW": "0.33", "scName": "softmax"}
    text = macros(values, header="test")
    assert r"\newcommand{\scN}{16\,384}" in text and text.startswith("% test")
    with pytest.raises(ValueError, match="letters only"):
        macros({"sc2": "1"})


def test_tabular_is_booktabs():
    text = tabular(["a", "b"], [["1", r"$x$"]], "lc")
    assert r"\toprule" in text and r"\bottomrule" in text and "1&$x$" in text


def test_first_error_gives_file_and_line():
    log = (
        "This is pdfTeX\n(./main.tex\n"
        "./sections/intro.tex:12: Undefined control sequence.\nl.12 \\foo\n"
    )
    assert first_error(log, "paper") == "paper/sections/intro.tex:12: Undefined control sequence."
    assert first_error("! Emergency stop.\n<*> main.tex\n") == "Emergency stop. (<*> main.tex)"
    assert first_error("all good\n") is None


DOC = r"""\pdfinfoomitdate=1 \pdftrailerid{} \pdfsuppressptexinfo=-1
\documentclass{article}\begin{document}Hello \today. \input{body}\end{document}
"""


@needs_tex
def test_build_is_byte_reproducible_and_errors_name_file_and_line(tmp_path, monkeypatch):
    (tmp_path / "main.tex").write_text(DOC)
    (tmp_path / "body.tex").write_text("A body.\n")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    digests = []
    for name in ("a", "b"):
        build_pdf(tmp_path / "main.tex", tmp_path / f"{name}.pdf")
        digests.append(hashlib.sha256((tmp_path / f"{name}.pdf").read_bytes()).hexdigest())
    assert digests[0] == digests[1]

    (tmp_path / "body.tex").write_text("First line.\n\\undefinedmacro\n")
    with pytest.raises(LatexError) as error:
        build_pdf(tmp_path / "main.tex", tmp_path / "c.pdf", log_file=tmp_path / "c.log")
    assert "body.tex:2: Undefined control sequence" in str(error.value)
    assert not (tmp_path / "c.pdf").exists()


def test_tabular_header_can_span_columns():
    text = tabular(["op", ("parity", 2)], [["", "in", "far"], ["softmax", "1.0", "0.50"]], "lcc")
    assert r"\multicolumn{2}{c}{parity}" in text and "softmax&1.0&0.50" in text


def test_code_names_are_typewriter_with_escaped_underscores():
    from anatomy.report.latex import code

    assert code("linear_causal_chunked") == r"\texttt{linear\_causal\_chunked}"
    assert code("softmax") == r"\texttt{softmax}"


def test_an_unbalanced_brace_is_named_at_its_own_line(tmp_path):
    from anatomy.report.latex import unbalanced_brace

    section = tmp_path / "section.tex"
    section.write_text("Fine \\{ escaped \\} and {grouped}.\n% a comment {\n\\textbf{open\nmore\n")
    assert unbalanced_brace(section) == (
        f"{section}:3: unbalanced brace: the '{{' opened here is never closed"
    )
    section.write_text("one}\n")
    assert unbalanced_brace(section) == f"{section}:1: unbalanced brace: this '}}' closes nothing"
    section.write_text("\\\\{balanced}\n")  # a line break, then a group
    assert unbalanced_brace(section) is None


def test_a_cell_shows_its_interval_only_when_there_is_one():
    from anatomy.report.latex import with_interval

    assert with_interval(0.912, 0.0304) == r"0.91 $\pm$ 0.030"
    assert with_interval(0.912, float("nan")) == "0.91"


def test_word_list_joins_like_prose():
    assert word_list([]) == ""
    assert word_list(["a"]) == "a"
    assert word_list(["a", "b"]) == "a and b"
    assert word_list(["a", "b", "c"]) == "a, b and c"


def test_a_sub_header_sits_above_the_rule_with_a_rule_under_each_group():
    from anatomy.report.latex import tabular

    sub = ["", "in", "far", "in", "far"]
    tex = tabular(["op", ("recall", 2), ("max", 2)], [["a", "1", "2", "3", "4"]], "lrrrr", sub)
    lines = tex.splitlines()
    row = next(i for i, line in enumerate(lines) if line.startswith(r"&\multicolumn{2}{c}{in}"))
    assert row < next(i for i, line in enumerate(lines) if line.startswith(r"\midrule"))
    # Each number column is two halves (decimal alignment): the rules span both.
    assert r"\cmidrule(lr){2-5}" in tex and r"\cmidrule(lr){6-9}" in tex


def test_a_long_table_repeats_its_header_on_every_page():
    from anatomy.report.latex import longtable

    tex = longtable(["file", "rule"], [["a", "b"]] * 3, "ll")
    assert tex.index(r"\endhead") < tex.index("a&b") and tex.index("file&rule") < tex.index(
        r"\endhead"
    )


def test_a_generated_table_reads_the_same_in_html():
    from anatomy.report.latex import code, tabular, tabular_html, with_interval

    tex = tabular(
        ["op", ("recall", 2)],
        [[code("linear_elu"), with_interval(0.97, 0.031), r"\ensuremath{1.4\times10^{-4}}"]],
        "lrr",
        ["", "in", "far"],
    )
    html = tabular_html(tex)
    assert "<th colspan=2>recall</th>" in html and "<th>in</th><th>far</th>" in html
    assert "<td><code>linear_elu</code></td>" in html and "0.97 ± 0.031" in html
    assert "1.4×10<sup>-4</sup>" in html and "\\" not in html


def test_numbers_line_up_on_their_decimal_points():
    """A right-aligned column is two: the integer part right-aligned, the rest left-aligned
    after it, so every decimal point of the column sits at one x; a cell that is no number
    spans both halves."""
    from anatomy.report.latex import decimal_split, tabular, tabular_html, with_interval

    assert decimal_split(with_interval(0.86, 0.039)) == ("0", r".86 $\pm$ 0.039")
    assert decimal_split(r"16\,384") == (r"16\,384", "")
    assert decimal_split("-12.5") == ("-12", ".5")
    assert decimal_split(r"\ensuremath{1.4\times10^{-4}}") == (
        r"\ensuremath{1}",
        r"\ensuremath{.4\times10^{-4}}",
    )
    assert decimal_split(r"$-0.07 \pm 0.03^\dagger$") == ("$-0$", r"$.07 \pm 0.03^\dagger$")
    assert decimal_split(r"\ensuremath{1.0\times10^{-3}} $\pm$ 0.001") == (
        r"\ensuremath{1}",
        r"\ensuremath{.0\times10^{-3}} $\pm$ 0.001",
    )
    assert decimal_split("---") is None and decimal_split(r"\texttt{a}") is None
    assert decimal_split("$x$") is None and decimal_split(r"\ensuremath{\infty}") is None
    rows = [["a", "0.5", "---"], ["b", "12.25", "3"]]
    tex = tabular(["op", ("acc", 2)], rows, "lrr", ["", "in", "far"])
    assert r"\begin{tabular}{@{}lr@{}lr@{}l@{}}" in tex
    assert "a&0&.5&\\multicolumn{2}{c}{---}" in tex and "b&12&.25&3&" in tex
    assert r"\multicolumn{4}{c}{acc}" in tex and r"\cmidrule(lr){2-5}" in tex
    html = tabular_html(tex)  # the report's table has one cell per number again
    assert "<tr><td>b</td><td>12.25</td><td>3</td></tr>" in html
    assert "<th colspan=2>acc</th>" in html and "<th>in</th><th>far</th>" in html


def test_the_notes_figure_and_table_numbers_come_from_its_aux():
    from anatomy.report.latex import asset_numbers, asset_reference

    aux = (
        r"\newlabel{asset:fig:vit_maps}{{12}{15}{What each ViT looks at}{figure.caption.30}{}}"
        "\n"
        r"\newlabel{asset:tab:zoo_baselines}{{3}{9}{Each task}{table.caption.8}{}}"
        "\n"
        r"\newlabel{sec:zoo}{{5}{8}{The operator zoo}{section.5}{}}"
    )
    numbers = asset_numbers(aux)
    assert numbers == {"fig:vit_maps": "12", "tab:zoo_baselines": "3"}
    assert asset_reference("fig", "vit_maps", numbers) == "Figure 12"
    assert asset_reference("tab", "zoo_baselines", numbers) == "Table 3"
    assert asset_reference("fig", "kernel_mse", numbers) == "not in the note"
