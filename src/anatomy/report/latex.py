"""LaTeX for the note: number formatting, macros and tables (PyLaTeX), and the PDF build.

Numbers reach the prose only through macros written here, so a sentence such as
"softmax keeps \\scSoftmaxTargetAtMaxN{} of its weight on the target" is always the number
the pipeline computed.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

from pylatex import LongTable, MultiColumn, NoEscape, Tabular
from pylatex.base_classes import UnsafeCommand

from anatomy.core.formatting import (  # noqa: F401 (the prose's formatting, re-exported)
    code,
    fmt,
    fmt_int,
    format_values,
    pm,
    seed_words,
    with_interval,
    word_list,
)

MACRO_NAME = re.compile(r"^[A-Za-z]+$")  # TeX control words are letters only


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


# Decimal alignment: every right-aligned column is set as two, ``r@{}l``, the integer part
# right-aligned and the rest (the decimals, an interval, a unit) left-aligned after it, so the
# decimal points of a column line up whatever the number of digits on either side. A cell
# that is not a number spans both halves, centred.
DECIMAL = "r@{}l"
_NUMBER = re.compile(r"(-?\d+(?:\\,\d{3})*)((?:\.\d+)?(?![\d\\]).*)", re.S)
# A number in math: ``\ensuremath{...}`` (then maybe more text), or one ``$...$`` span.
_ENSUREMATH = re.compile(r"\\ensuremath\{((?:[^{}]|\{[^{}]*\})*)\}(.*)", re.S)
_DOLLARS = re.compile(r"\$([^$]*)\$")


def _columns(align: str) -> list[str]:
    """The column specifiers of a tabular's preamble: a letter, with its ``{...}`` argument
    for ``p``/``m``/``b``; ``@{...}`` and ``|`` attach to the column before them."""
    columns: list[str] = []
    prefix = ""  # an @{...} or | before the first column
    i = 0
    while i < len(align):
        char = align[i]
        j = i + 1
        if char in "pmb@" and j < len(align) and align[j] == "{":
            depth = 0
            while j < len(align):
                depth += {"{": 1, "}": -1}.get(align[j], 0)
                j += 1
                if depth == 0:
                    break
        token = align[i:j]
        if char in "@|":
            if columns:
                columns[-1] += token
            else:
                prefix += token
        elif not char.isspace():
            columns.append(prefix + token)
            prefix = ""
        i = j
    return columns


def _decimal_pairs(align: str) -> list[bool]:
    """Per physical column of a written preamble: whether it starts a decimal pair."""
    physical = _columns(align)
    starts = [False] * len(physical)
    for i in range(len(physical) - 1):
        if physical[i].lstrip("@{}|").startswith("r@{}") and physical[i + 1].startswith("l"):
            starts[i] = True
    return starts


def decimal_split(cell: str) -> tuple[str, str] | None:
    """A number's cell as ``(integer part, the rest)``, for the two halves of a decimal
    column: ``0.86 $\\pm$ 0.039`` gives ``("0", ".86 $\\pm$ 0.039")``, ``16\\,384`` gives
    ``("16\\,384", "")``; a number in ``\\ensuremath`` keeps it on both halves. ``None`` for a
    cell that does not start with a number."""
    text = str(cell).strip()
    for pattern, opening, closing in ((_ENSUREMATH, r"\ensuremath{", "}"), (_DOLLARS, "$", "$")):
        wrapped = pattern.fullmatch(text)
        if wrapped:
            inner = _NUMBER.fullmatch(wrapped.group(1))
            if not inner:
                return None
            whole, rest = inner.groups()
            after = wrapped.group(2) if pattern is _ENSUREMATH else ""
            rest = (opening + rest + closing if rest else "") + after
            return opening + whole + closing, rest
    match = _NUMBER.fullmatch(text)
    return match.groups() if match else None


class _Layout:
    """The physical columns behind a table's logical ones: a decimal column is two."""

    def __init__(self, align: str):
        self.logical = _columns(align)
        self.decimal = [column == "r" for column in self.logical]
        pairs = zip(self.decimal, self.logical, strict=True)
        self.align = "".join(DECIMAL if d else c for d, c in pairs)

    def width(self, first: int, span: int = 1) -> int:
        return sum(2 if d else 1 for d in self.decimal[first : first + span])

    def header(self, cells: Sequence) -> list:
        out, column = [], 0
        for cell in cells:
            text, span = cell if isinstance(cell, tuple) else (cell, 1)
            width = self.width(column, span)
            out.append(
                MultiColumn(width, align="c", data=NoEscape(str(text)))
                if width > 1
                else NoEscape(str(text))
            )
            column += span
        return out

    def row(self, cells: Sequence) -> list:
        out = []
        for cell, decimal in zip(cells, self.decimal, strict=True):
            if not decimal:
                out.append(NoEscape(str(cell)))
                continue
            parts = decimal_split(cell) if str(cell).strip() else ("", "")
            if parts is None:
                out.append(MultiColumn(2, align="c", data=NoEscape(str(cell))))
            else:
                out += [NoEscape(parts[0]), NoEscape(parts[1])]
        return out


def _add_header(table, layout: _Layout, header: Sequence, subheader: Sequence | None) -> None:
    """The header row, then (if given) a sub-header row under it with a rule under each group
    of spanned columns; both above the header's rule, so that no header sits in the body."""
    table.add_row(layout.header(header))
    if subheader is not None:
        column = 0
        for cell in header:
            span = cell[1] if isinstance(cell, tuple) else 1
            if span > 1:
                first = layout.width(0, column) + 1
                last = first + layout.width(column, span) - 1
                table.append(NoEscape(rf"\cmidrule(lr){{{first}-{last}}}"))
            column += span
        table.add_row(layout.header(subheader))
    table.add_hline()


def tabular(
    header: Sequence, rows: Sequence[Sequence[str]], align: str, subheader: Sequence | None = None
) -> str:
    """A booktabs tabular; cells are LaTeX already (no escaping). A header cell may be a
    ``(text, span)`` pair, centred over ``span`` columns; ``subheader`` is a second header row
    (say, "in" and "far" under each task), set above the header's rule. Right-aligned (``r``)
    columns are aligned on the decimal point (:data:`DECIMAL`)."""
    layout = _Layout(align)
    table = Tabular(layout.align, booktabs=True)
    _add_header(table, layout, header, subheader)
    for row in rows:
        table.add_row(layout.row(row))
    return table.dumps() + "\n"


def longtable(header: Sequence, rows: Sequence[Sequence[str]], align: str) -> str:
    """A booktabs longtable whose header is repeated at the top of every page it runs onto."""
    layout = _Layout(align)
    table = LongTable(layout.align, booktabs=True)
    _add_header(table, layout, header, None)
    table.end_table_header()
    for row in rows:
        table.add_row(layout.row(row))
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


def _logical_cells(cells: list[tuple[str, int]], pairs: list[bool]) -> list[tuple[str, int]]:
    """Physical cells back into the table's columns: the two halves of a decimal column
    joined into one cell, spans counted in columns, not halves."""
    out, column, i = [], 0, 0
    while i < len(cells):
        text, span = cells[i]
        if span == 1 and column < len(pairs) and pairs[column] and i + 1 < len(cells):
            out.append((text + cells[i + 1][0], 1))
            column, i = column + 2, i + 2
            continue
        halves = sum(pairs[column : column + span]) if column < len(pairs) else 0
        out.append((text, span - halves))
        column, i = column + span, i + 1
    return out


def tabular_html(tex: str) -> str:
    """A table written by :func:`tabular` (or :func:`longtable`) as an HTML table, for the
    report: header rows above the first rule, body rows below it; LaTeX markup of the cells
    turned into its HTML or plain-text equivalent."""
    preamble = re.search(r"\\begin\{(?:tabular|longtable)\}\{(.*?)\}%?\n", tex)
    pairs = _decimal_pairs(preamble.group(1)) if preamble else []
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
                cells = _logical_cells([_html_cell(c) for c in re.split(r"(?<!\\)&", line)], pairs)
                rows.append(
                    "<tr>"
                    + "".join(
                        f"<{tag}{f' colspan={span}' if span > 1 else ''}>{text}</{tag}>"
                        for text, span in cells
                    )
                    + "</tr>"
                )
    return '<table class="anatomy">\n' + "\n".join(rows) + "\n</table>\n"


def stacked(tables: Sequence[str]) -> str:
    """Tabulars one under the other, as one box (a table too wide for the page, split into
    blocks of columns); a single table as it is."""
    if len(tables) == 1:
        return tables[0]
    inner = "\\[1.5ex]\n".join(t.rstrip("\n") for t in tables)
    return "\\begin{tabular}{@{}c@{}}\n" + inner + "\n\\end{tabular}\n"


def write_table(output, tex: str, html: str | None = None) -> None:
    """Write a generated table: its LaTeX (``output.tex``, for the note) and, where the rule
    asks for it, its HTML (``output.html``, for the report), from ``html`` when the report's
    table is laid out otherwise (one table where the note stacks blocks), else from ``tex``."""
    Path(output.tex).write_text(tex)
    if hasattr(output, "html"):
        Path(output.html).parent.mkdir(parents=True, exist_ok=True)
        style = (
            "<style>table.anatomy{border-collapse:collapse;font:13px sans-serif}"
            "table.anatomy th,table.anatomy td{padding:2px 8px;text-align:right;"
            "border-bottom:1px solid #ddd}table.anatomy th{border-bottom:2px solid #888}"
            "table.anatomy td:first-child,table.anatomy th:first-child{text-align:left}</style>\n"
        )
        Path(output.html).write_text(style + tabular_html(html or tex))


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
TEX_STYLES = (
    "booktabs.sty",
    "fancyhdr.sty",
    "placeins.sty",
    "natbib.sty",
    "lmodern.sty",
    "adjustbox.sty",
)


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


_ASSET_LABEL = re.compile(r"\\newlabel\{asset:(fig|tab):([^}]*)\}\{\{([^}]*)\}")


def asset_numbers(aux: str) -> dict[str, str]:
    """The number LaTeX gave each figure and table that the note sets with
    ``\\sourcedgraphics`` or ``\\sourcedtable`` (labels ``asset:fig:name``, ``asset:tab:name``),
    read from its ``.aux``: ``{"fig:vit_maps": "12", "tab:zoo": "3"}``."""
    return {f"{kind}:{name}": number for kind, name, number in _ASSET_LABEL.findall(aux)}


ASSET_KINDS = {"fig": "Figure", "tab": "Table"}  # the label prefixes of \sourced... assets


def asset_reference(kind: str, name: str, numbers: Mapping[str, str]) -> str:
    """Where the note shows an asset: ``Figure 12``, ``Table 3``, or ``not in the note``."""
    number = numbers.get(f"{kind}:{name}")
    return "not in the note" if number is None else f"{ASSET_KINDS[kind]} {number}"


def build_pdf(
    main_tex: str | Path,
    pdf: str | Path,
    log_file: str | Path | None = None,
    numbers_file: str | Path | None = None,
) -> None:
    """Compile ``main_tex`` with latexmk (pdfLaTeX + BibTeX) into ``pdf``, reproducibly.

    The build runs in a fresh temporary output folder, so no stale auxiliary file from an
    earlier build can change the result; ``SOURCE_DATE_EPOCH`` comes from the last commit.
    On failure raises :class:`LatexError` naming the first error and its file:line.
    ``numbers_file`` receives the figure and table numbers (:func:`asset_numbers`, JSON).
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
        if numbers_file:
            import json

            aux = Path(out, f"{pdf.stem}.aux").read_text(errors="replace")
            numbers = json.dumps(asset_numbers(aux), sort_keys=True, indent=1)
            Path(numbers_file).write_text(numbers + "\n")
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
