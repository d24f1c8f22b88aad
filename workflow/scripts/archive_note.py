"""Write the note's arXiv source tarball (TeX, bibliography as .bbl, generated tables, macros
and figures, nothing else) and check that it compiles on its own to the very same PDF."""

import hashlib
import shutil
import tempfile
from pathlib import Path

from anatomy.pipeline.runtime import snakemake_job
from anatomy.report.latex import build_pdf, pack_sources

with snakemake_job(snakemake):
    with tempfile.TemporaryDirectory(prefix="archive-") as work:
        files = [*snakemake.input.sections, snakemake.input.bib, *snakemake.input.generated]
        tarball = pack_sources(snakemake.input.main, files, snakemake.output.tarball, work)
        # Unpack into a clean folder and build from there alone.
        alone = Path(work, "alone")
        shutil.unpack_archive(tarball, alone)
        rebuilt = Path(work, "main.pdf")  # arXiv's job name: main.bbl is read
        build_pdf(alone / "main.tex", rebuilt, log_file=snakemake.log.tex)
        digest = [
            hashlib.sha256(Path(p).read_bytes()).hexdigest() for p in (rebuilt, snakemake.input.pdf)
        ]
        if digest[0] != digest[1]:
            Path(snakemake.output.tarball).unlink()
            raise SystemExit(
                f"the archive compiles to another PDF ({digest[0][:12]}"
                f" against the note's {digest[1][:12]})"
            )
