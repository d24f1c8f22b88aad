"""The profile's name and page banner; the smoke profile marks every page as not meaningful."""

from pathlib import Path

from anatomy.pipeline.runtime import snakemake_job
from anatomy.report.latex import macros

with snakemake_job(snakemake):
    profile = snakemake.params.profile
    banner = (
        r"\textcolor{red}{\textbf{SMOKE PROFILE: toy sizes, the numbers on this page are not"
        r" meaningful}}"
        if profile == "smoke"
        else rf"\textcolor{{gray}}{{profile: {profile}}}"
    )
    Path(snakemake.output.tex).write_text(
        macros(
            {"ProfileName": profile, "ProfileBanner": banner},
            header="written by write_profile_banner",
        )
    )
