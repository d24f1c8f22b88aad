"""LaTeX for the note: number formatting, macros and tables (PyLaTeX), and the PDF build.

Numbers reach the prose only through macros written here, so a sentence such as
"softmax keeps \\scSoftmaxTargetAtMaxN{} of its weight on the target" is always the number
the pipeline computed.
"""

from __future__ import annotations

import math
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

from pylatex import LongTable, MultiColumn, NoEscape, Tabular
from pylatex.base_classes import UnsafeCommand

MACRO_NAME = re.compile(r"^[A-Za-z]+$")  # TeX control words are letters only


def fmt(x: float, digits: int = 2) -> str:
    """A number for the prose: ``digits`` significant figures, scientific below 1e-3.

    Returns LaTeX (math mode where needed), e.g. ``0.33``, ``1.2\\times10^{-16}``.
    """
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "---"
    if x == 0:
        return "0"
    if math.isinf(x):
        return r"\ensuremath{\infty}" if x > 0 else r"\ensuremath{-\infty}"
    magnitude = math.floor(math.log10(abs(x)))
    if -3 <= magnitude < 5:
        decimals = max(0, digits - 1 - magnitude)
        return f"{x:.{decimals}f}"
    mantissa = round(x / 10**magnitude, digits - 1)
    if abs(mantissa) >= 10:  # rounding carried into the next power
        mantissa, magnitude = mantissa / 10, magnitude + 1
    return rf"\ensuremath{{{mantissa:.{digits - 1}f}\times10^{{{magnitude}}}}}"


def code(name: str) -> str:
    """A name from the code (an operator, a method) in typewriter, underscores escaped."""
    return r"\texttt{" + name.replace("_", r"\_") + "}"


def fmt_int(x: float) -> str:
    """An integer with thin-space thousands separators (``16\\,384``)."""
    return f"{int(round(x)):,}".replace(",", r"\,")


def pm(half_width: float, digits: int = 2) -> str:
    """``\\pm`` and an interval's half-width, for math mode after the mean; empty when there
    is no interval (one seed), so that the prose reads the same either way."""
    if half_width is None or math.isnan(half_width):
        return ""
    return rf"\pm {fmt(float(half_width), digits)}"


def with_interval(value: float, half_width: float, digits: int = 2) -> str:
    """A table cell: ``value $\\pm$ half-width``, or the value alone when there is no
    interval (NaN, one seed)."""
    shown = fmt(value, digits)
    if half_width is None or math.isnan(half_width):
        return shown
    return f"{shown} $\\pm$ {fmt(float(half_width), 2)}"


def seed_words(count: int) -> str:
    """``one seed`` or ``3 seeds``, for the prose."""
    return "one seed" if count == 1 else f"{count} seeds"


def word_list(items: list[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``: a list for the prose."""
    if len(items) < 2:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def format_values(values: Mapping[str, float | int | str], digits: int = 2) -> dict[str, str]:
    """Python ints as integers, floats with ``digits`` significant figures, strings as given."""
    out = {}
    for name, value in values.items():
        if isinstance(value, str):
            out[name] = value
        elif isinstance(value, int):
            out[name] = fmt_int(value)
        else:
            out[name] = fmt(float(value), digits)
    return out


def macros(values: Mapping[str, str], header: str = "") -> str:
    """``\\newcommand`` lines for ``{name: latex}``; names are letters only."""
    lines = [f"% {line}" for line in header.splitlines()] if header else []
    for name in sorted(values):
        if not MACRO_NAME.match(name):
            raise ValueError(f"macro name {name!r} must be letters only (a TeX control word)")
        command = UnsafeCommand("newcommand", "\\" + name, extra_arguments=NoEscape(values[name]))
        lines.append(command.dumps())
    return "\n".join(lines) + "\n"


def write_macros(values: Mapping, tex: str | Path, values_file: str | Path, header: str) -> None:
    """A section's macros (``tex``) and the same values unformatted (``values_file``, JSON),
    which other rules read (the reproduction table) without parsing LaTeX."""
    import json

    Path(tex).write_text(macros(format_values(values), header=header))
    plain = {k: v if isinstance(v, str | int) else float(v) for k, v in values.items()}
    Path(values_file).write_text(json.dumps(plain, sort_keys=True, indent=1) + "\n")


def _header_cells(header: Sequence) -> list:
    return [
        MultiColumn(h[1], align="c", data=NoEscape(h[0])) if isinstance(h, tuple) else NoEscape(h)
        for h in header
    ]


def _add_header(table, header: Sequence, subheader: Sequence | None) -> None:
    """The header row, then (if given) a sub-header row under it with a rule under each group
    of spanned columns; both above the header's rule, so that no header sits in the body."""
    table.add_row(_header_cells(header))
    if subheader is not None:
        column = 1
        for cell in header:
            span = cell[1] if isinstance(cell, tuple) else 1
            if span > 1:
                table.append(NoEscape(rf"\cmidrule(lr){{{column}-{column + span - 1}}}"))
            column += span
        table.add_row([NoEscape(str(c)) for c in subheader])
    table.add_hline()


def tabular(
    header: Sequence, rows: Sequence[Sequence[str]], align: str, subheader: Sequence | None = None
) -> str:
    """A booktabs tabular; cells are LaTeX already (no escaping). A header cell may be a
    ``(text, span)`` pair, centred over ``span`` columns; ``subheader`` is a second header row
    (say, "in" and "far" under each task), set above the header's rule."""
    table = Tabular(align, booktabs=True)
    _add_header(table, header, subheader)
    for row in rows:
        table.add_row([NoEscape(str(c)) for c in row])
    return table.dumps() + "\n"


def longtable(header: Sequence, rows: Sequence[Sequence[str]], align: str) -> str:
    """A booktabs longtable whose header is repeated at the top of every page it runs onto."""
    table = LongTable(align, booktabs=True)
    _add_header(table, header, None)
    table.end_table_header()
    for row in rows:
        table.add_row([NoEscape(str(c)) for c in row])
    return table.dumps() + "\n"


_HTML_MARKUP = [
    (re.compile(r"\\texttt\{([^{}]*)\}"), r"<code>\1</code>"),
    (re.compile(r"\\textbf\{([^{}]*)\}"), r"<b>\1</b>"),
    (re.compile(r"\\emph\{([^{}]*)\}"), r"<i>\1</i>"),
    (re.compile(r"\\ensuremath\{([^{}]*(?:\{[^{}]*\}[^{}]*)*)\}"), r"\1"),
    (re.compile(r"\$?\{?\\pm\}?\$?"), " ± "),
    (re.compile(r"\\times"), "×"),
    (re.compile(r"10\^\{([^{}]*)\}"), r"10<sup>\1</sup>"),
    (re.compile(r"\\([_%&#$])"), r"\1"),
    (re.compile(r"\\(?:dag|dagger)\b"), "†"),
    (re.compile(r"\$"), ""),
]


def _html_cell(cell: str) -> tuple[str, int]:
    """One tabular cell as HTML text and its column span."""
    import html

    span = 1
    match = re.fullmatch(r"\s*\\multicolumn\{(\d+)\}\{[^}]*\}\{(.*)\}\s*", cell, flags=re.S)
    if match:
        span, cell = int(match.group(1)), match.group(2)
    text = html.escape(cell.strip(), quote=False)
    for pattern, replacement in _HTML_MARKUP:
        text = pattern.sub(replacement, text)
    text = re.sub(r"\\[a-zA-Z]+\*?(\[[^]]*\])?", "", text).replace("{", "").replace("}", "")
    return " ".join(text.split()), span


def tabular_html(tex: str) -> str:
    """A table written by :func:`tabular` (or :func:`longtable`) as an HTML table, for the
    report: header rows above the first rule, body rows below it; LaTeX markup of the cells
    turned into its HTML or plain-text equivalent."""
    body = re.sub(
        r"\\begin\{(?:tabular|longtable)\}\{.*?\}%?\n|\\end\{(?:tabular|longtable)\}", "", tex
    )
    rows, head = [], True
    for raw in re.split(r"\\\\", body):
        for line in raw.splitlines():
            line = line.strip().rstrip("%")
            if line.startswith(r"\midrule") or line.startswith(r"\endhead"):
                head = False
            line = re.sub(
                r"\\(toprule|midrule|bottomrule|endhead|cmidrule\(\w*\)\{[^}]*\})", "", line
            )
            if line.strip():
                tag = "th" if head else "td"
                cells = [_html_cell(c) for c in re.split(r"(?<!\\)&", line)]
                rows.append(
                    "<tr>"
                    + "".join(
                        f"<{tag}{f' colspan={span}' if span > 1 else ''}>{text}</{tag}>"
                        for text, span in cells
                    )
                    + "</tr>"
                )
    return '<table class="anatomy">\n' + "\n".join(rows) + "\n</table>\n"


def write_table(output, tex: str) -> None:
    """Write a generated table: its LaTeX (``output.tex``, for the note) and, where the rule
    asks for it, its HTML (``output.html``, for the report)."""
    Path(output.tex).write_text(tex)
    if hasattr(output, "html"):
        Path(output.html).parent.mkdir(parents=True, exist_ok=True)
        style = (
            "<style>table.anatomy{border-collapse:collapse;font:13px sans-serif}"
            "table.anatomy th,table.anatomy td{padding:2px 8px;text-align:right;"
            "border-bottom:1px solid #ddd}table.anatomy th{border-bottom:2px solid #888}"
            "table.anatomy td:first-child,table.anatomy th:first-child{text-align:left}</style>\n"
        )
        Path(output.html).write_text(style + tabular_html(tex))


# --------------------------------------------------------------------------------------------
# The PDF build
# --------------------------------------------------------------------------------------------


class LatexError(RuntimeError):
    """A LaTeX failure; ``str()`` is the first error line with its ``file:line``."""


_FILE_LINE_ERROR = re.compile(
    r"^(?P<file>[^\s:][^:]*\.(?:tex|sty|cls|bib|bbl)):(?P<line>\d+): (?P<msg>.*)$"
)


def first_error(log_text: str, source_dir: str = "") -> str | None:
    """The first error in a LaTeX log written with ``-file-line-error``, as ``file:line: msg``."""
    lines = log_text.splitlines()
    for line in lines:
        match = _FILE_LINE_ERROR.match(line)
        if match:
            file = match["file"].removeprefix("./")
            if source_dir and not file.startswith("/"):
                file = f"{source_dir.rstrip('/')}/{file}"
            return f"{file}:{match['line']}: {match['msg'].strip()}"
    for i, line in enumerate(lines):
        if line.startswith("!"):
            return line[1:].strip() + ("" if i + 1 >= len(lines) else f" ({lines[i + 1].strip()})")
    return None


def unbalanced_brace(path: str | Path) -> str | None:
    """``file:line: message`` for the first brace of ``path`` that is never matched, or None.

    LaTeX itself reports a missing ``}`` where the file that included the section ends (a
    runaway argument in ``generated/sections.tex``), far from the brace; this names the line
    of the brace. Escaped braces (``\\{``) and comments are skipped.
    """
    opened: list[int] = []
    for number, line in enumerate(Path(path).read_text().splitlines(), start=1):
        i = 0
        while i < len(line):
            char = line[i]
            if char == "\\":
                i += 2  # an escaped character, \{ \} \% or the second half of \\
                continue
            if char == "%":
                break
            if char == "{":
                opened.append(number)
            elif char == "}":
                if not opened:
                    return f"{path}:{number}: unbalanced brace: this '}}' closes nothing"
                opened.pop()
            i += 1
    if opened:
        return f"{path}:{opened[-1]}: unbalanced brace: the '{{' opened here is never closed"
    return None


TEX_PACKAGES = (
    "latexmk texlive-latex-recommended texlive-latex-extra texlive-fonts-recommended "
    "texlive-science lmodern"
)
TEX_TOOLS = ("latexmk", "pdflatex", "bibtex", "kpsewhich")
TEX_STYLES = ("booktabs.sty", "fancyhdr.sty", "placeins.sty", "natbib.sty", "lmodern.sty")


def missing_tex() -> list[str]:
    """The TeX tools and packages the note needs that this machine lacks."""
    missing = [tool for tool in TEX_TOOLS if shutil.which(tool) is None]
    if "kpsewhich" not in missing:
        for style in TEX_STYLES:
            found = subprocess.run(["kpsewhich", style], capture_output=True, text=True)
            if not found.stdout.strip():
                missing.append(style)
    return missing


def missing_tex_message(missing: list[str]) -> str:
    return (
        f"TeX Live is missing here ({', '.join(missing)}): install it with `sudo apt-get "
        f"update && sudo apt-get install -y --no-install-recommends {TEX_PACKAGES}` "
        f"(or `make tex`)"
    )


def source_date_epoch(repo: str | Path = ".") -> str:
    """The last commit's time (seconds since the epoch); ``0`` outside a git checkout."""
    if "SOURCE_DATE_EPOCH" in os.environ:
        return os.environ["SOURCE_DATE_EPOCH"]
    try:
        out = subprocess.run(
            ["git", "log", "-1", "--format=%ct"],
            cwd=repo,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        return out or "0"
    except (OSError, subprocess.CalledProcessError):
        return "0"


def build_pdf(main_tex: str | Path, pdf: str | Path, log_file: str | Path | None = None) -> None:
    """Compile ``main_tex`` with latexmk (pdfLaTeX + BibTeX) into ``pdf``, reproducibly.

    The build runs in a fresh temporary output folder, so no stale auxiliary file from an
    earlier build can change the result; ``SOURCE_DATE_EPOCH`` comes from the last commit.
    On failure raises :class:`LatexError` naming the first error and its file:line.
    """
    main_tex, pdf = Path(main_tex).resolve(), Path(pdf).resolve()
    source_dir = main_tex.parent
    for tex in [main_tex, *sorted((source_dir / "sections").glob("*.tex"))]:
        problem = unbalanced_brace(os.path.relpath(tex))
        if problem:
            raise LatexError(problem)
    env = dict(os.environ)
    env["SOURCE_DATE_EPOCH"] = source_date_epoch(source_dir)
    env["FORCE_SOURCE_DATE"] = "1"  # \today and friends from SOURCE_DATE_EPOCH, not the clock
    missing = missing_tex()
    if missing:
        raise LatexError(missing_tex_message(missing))
    with tempfile.TemporaryDirectory(prefix="note-") as out:
        cmd = [
            "latexmk",
            "-pdf",
            "-interaction=nonstopmode",
            "-halt-on-error",
            "-file-line-error",
            f"-outdir={out}",
            f"-jobname={pdf.stem}",
            main_tex.name,
        ]
        result = subprocess.run(cmd, cwd=source_dir, env=env, capture_output=True, text=True)
        tex_log = Path(out, f"{pdf.stem}.log")
        log_text = tex_log.read_text(errors="replace") if tex_log.exists() else ""
        if log_file:
            Path(log_file).write_text(result.stdout + result.stderr + "\n" + log_text)
        built = Path(out, f"{pdf.stem}.pdf")
        if result.returncode != 0 or not built.exists():
            rel = os.path.relpath(source_dir)
            message = first_error(log_text, rel) or first_error(result.stdout, rel)
            raise LatexError(
                message or f"latexmk failed (exit {result.returncode}); see {log_file}"
            )
        pdf.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(built, pdf)
        # Kept for a later failing build, which restores it (last_good_pdf).
        shutil.copyfile(built, last_good_pdf(pdf))


def last_good_pdf(pdf: str | Path) -> Path:
    """Where the last PDF that built is kept: ``<build>/last-good/<name>.pdf``."""
    pdf = Path(pdf)
    path = pdf.parent / "last-good" / pdf.name
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def restore_last_good(pdf: str | Path) -> bool:
    """After a failed build (Snakemake removed the PDF): put the last good PDF back, with its
    old time stamp so that the next run still rebuilds it. True when one was restored."""
    pdf = Path(pdf)
    kept = pdf.parent / "last-good" / pdf.name
    if pdf.exists() or not kept.exists():
        return False
    shutil.copy2(kept, pdf)
    return True


def pack_sources(main_tex: str | Path, files, tarball: str | Path, work: str | Path) -> Path:
    """An arXiv-ready source tarball of the note: ``main_tex`` at its root (figures read from
    ``figures/``, the date written out), ``files`` (paths under the TeX folder keep their
    place, figures go to ``figures/``) and the bibliography compiled into ``main.bbl``.
    Reproducible: sorted entries, one fixed time, no owner. Returns the tarball's path."""
    import datetime
    import tarfile

    main_tex = Path(main_tex).resolve()
    source = main_tex.parent
    stage = Path(work, "stage")
    stage.mkdir(parents=True)
    epoch = int(source_date_epoch(source))
    day = datetime.datetime.fromtimestamp(epoch, datetime.UTC)
    text = main_tex.read_text()
    text = re.sub(r"\\graphicspath\{\{[^}]*\}\}", lambda _: r"\graphicspath{{figures/}}", text)
    text = text.replace(r"\date{\today}", rf"\date{{{day:%B} {day.day}, {day.year}}}")
    (stage / "main.tex").write_text(text)
    for name in files:
        path = Path(name).resolve()
        place = (
            Path("figures", path.name)
            if path.suffix in (".pdf", ".png")
            else path.relative_to(source)
        )
        (stage / place).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, stage / place)
    # arXiv does not run BibTeX: ship the .bbl a full build leaves behind.
    with tempfile.TemporaryDirectory(prefix="bbl-") as out:
        env = dict(os.environ, SOURCE_DATE_EPOCH=str(epoch), FORCE_SOURCE_DATE="1")
        cmd = ["latexmk", "-pdf", "-interaction=nonstopmode", "-halt-on-error", f"-outdir={out}"]
        result = subprocess.run(cmd + ["main.tex"], cwd=stage, env=env, capture_output=True)
        if result.returncode != 0:
            raise LatexError(
                f"the staged sources do not compile (latexmk exit {result.returncode})"
            )
        shutil.copyfile(Path(out, "main.bbl"), stage / "main.bbl")

    def clean(info: tarfile.TarInfo) -> tarfile.TarInfo:
        info.mtime, info.uid, info.gid, info.uname, info.gname = epoch, 0, 0, "", ""
        return info

    tarball = Path(tarball)
    tarball.parent.mkdir(parents=True, exist_ok=True)
    raw = Path(work, "sources.tar")
    with tarfile.open(raw, "w", format=tarfile.PAX_FORMAT) as tar:
        for path in sorted(p for p in stage.rglob("*") if p.is_file()):
            tar.add(path, arcname=str(path.relative_to(stage)), filter=clean)
    import gzip

    with open(raw, "rb") as src, gzip.GzipFile(tarball, "wb", mtime=epoch) as gz:
        shutil.copyfileobj(src, gz)
    return tarball
