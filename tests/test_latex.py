"""Numbers, macros and tables for the note, and the reproducible PDF build."""

import hashlib
import shutil

import pytest

from anatomy.latex import (
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
    text = tabular(["a", "b"], [["1", r"$x$"]], "lr")
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
    text = tabular(["op", ("parity", 2)], [["", "in", "far"], ["softmax", "1.0", "0.50"]], "lrr")
    assert r"\multicolumn{2}{c}{parity}" in text and "softmax&1.0&0.50" in text


def test_code_names_are_typewriter_with_escaped_underscores():
    from anatomy.latex import code

    assert code("linear_causal_chunked") == r"\texttt{linear\_causal\_chunked}"
    assert code("softmax") == r"\texttt{softmax}"


def test_an_unbalanced_brace_is_named_at_its_own_line(tmp_path):
    from anatomy.latex import unbalanced_brace

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
    from anatomy.latex import with_interval

    assert with_interval(0.912, 0.0304) == r"0.91 $\pm$ 0.030"
    assert with_interval(0.912, float("nan")) == "0.91"


def test_word_list_joins_like_prose():
    assert word_list([]) == ""
    assert word_list(["a"]) == "a"
    assert word_list(["a", "b"]) == "a and b"
    assert word_list(["a", "b", "c"]) == "a, b and c"


def test_a_sub_header_sits_above_the_rule_with_a_rule_under_each_group():
    from anatomy.latex import tabular

    sub = ["", "in", "far", "in", "far"]
    tex = tabular(["op", ("recall", 2), ("max", 2)], [["a", "1", "2", "3", "4"]], "lrrrr", sub)
    lines = tex.splitlines()
    row = next(i for i, line in enumerate(lines) if line.startswith("&in&far"))
    assert row < next(i for i, line in enumerate(lines) if line.startswith(r"\midrule"))
    assert r"\cmidrule(lr){2-3}" in tex and r"\cmidrule(lr){4-5}" in tex


def test_a_long_table_repeats_its_header_on_every_page():
    from anatomy.latex import longtable

    tex = longtable(["file", "rule"], [["a", "b"]] * 3, "ll")
    assert tex.index(r"\endhead") < tex.index("a&b") and tex.index("file&rule") < tex.index(
        r"\endhead"
    )


def test_a_generated_table_reads_the_same_in_html():
    from anatomy.latex import code, tabular, tabular_html, with_interval

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
