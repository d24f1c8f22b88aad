"""The Snakemake pipeline end to end on the smoke profile, in a throwaway copy of the repo.

One smoke build (about a minute on two cores), then dry runs that check what Snakemake would
rerun after an edit: a paper section plans only LaTeX, an experiment's setting plans that
experiment and its dependents, a library module plans the rules that import it.
"""

import hashlib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from conftest import tracked_files

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("latexmk") is None, reason="TeX Live not installed"),
]

ROOT = Path(__file__).resolve().parents[1]
PDF = "paper/build/note.pdf"
SECTION = "paper/sections/softmax_constraints.tex"
SMOKE = ["--configfile", "config/smoke.yaml"]


def snakemake(work: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "snakemake", "--cores", "2", *SMOKE, *args]
    result = subprocess.run(cmd, cwd=work, capture_output=True, text=True)
    if check and result.returncode != 0:
        raise AssertionError(
            f"{' '.join(cmd)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
        )
    return result


def planned(work: Path, *args: str) -> dict[str, int]:
    """Rules a dry run would execute, with their job counts ({} when nothing is to be done)."""
    result = snakemake(work, "-n", "--quiet", "rules", *args)
    text = result.stdout + result.stderr
    if "Nothing to be done" in text:
        return {}
    table = text.split("Job stats:", 1)[1].splitlines()
    jobs = {}
    for line in table[3:]:
        parts = line.split()
        if not parts or parts[0] == "total":
            break
        jobs[parts[0]] = int(parts[1])
    return jobs


@pytest.fixture(scope="module")
def work(tmp_path_factory) -> Path:
    """A copy of the repository's source files, built once with the smoke profile."""
    work = tmp_path_factory.mktemp("repo")
    for name in tracked_files(ROOT):
        (work / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, work / name)
    snakemake(work)
    return work


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_smoke_build_yields_the_note_and_the_executed_notebook(work):
    assert (work / PDF).read_bytes().startswith(b"%PDF")
    html = (work / "data/notebooks/attention_is_all_you_need.html").read_text()
    assert "all three interpretations agree with anatomy.operators" in html
    for meta in (work / "data/results/softmax_constraints").glob("*.json"):
        text = meta.read_text()
        assert '"profile": "smoke"' in text and '"device": "cpu"' in text
    # Every rule left its log, every compute rule its benchmark.
    assert (work / "data/logs/compile_note.log").exists()
    assert (work / "data/benchmarks/measure_softmax_sharpness.tsv").exists()


def test_up_to_date_tree_plans_nothing(work):
    assert planned(work) == {}


def test_changing_a_setting_plans_that_experiment_and_its_dependents_only(work):
    jobs = planned(work, "--config", "softmax_constraints={sharpness: {trials: 5}}")
    assert set(jobs) == {
        "measure_softmax_sharpness",
        "plot_softmax_sharpness",
        "write_softmax_macros",
        "write_provenance",  # the experiment's config hash is in the appendix
        "compile_note",
        "archive_note",
        "all",
    }
    # Restating a setting's current value (keys in another order) changes nothing.
    assert planned(work, "--config", "softmax_constraints={sharpness: {trials: 4, gap: 3.0}}") == {}


def test_editing_a_library_module_reruns_its_importers_only(work):
    path = work / "src/anatomy/plotting.py"
    original = path.read_text()
    try:
        path.write_text(original + "\n# an edit\n")
        # Every figure imports plotting; no measurement, training or evaluation does.
        assert set(planned(work)) == {
            "plot_softmax_sharpness",
            "plot_expressivity",
            "plot_zoo",
            "plot_equivalent_forms",
            "plot_diffusion",
            "plot_vit",
            "execute_notebook",
            "compile_note",
            "archive_note",
            "all",
        }
    finally:
        path.write_text(original)
        snakemake(work)
    assert planned(work) == {}


def test_layer_b_speed_benchmark_and_dynamic_adjacency_reach_the_note(work):
    table = pd.read_parquet(work / "data/results/equivalent_forms/speed.parquet")
    # Every method and pass was tried at the shortest length: timed, or skipped with a reason.
    first = table.groupby(["method", "mode"]).first()
    assert len(first) == 2 * 9
    assert ((first.seconds > 0) | (first.skipped != "")).all()
    assert table[table.method == "linear"].skipped.eq("").all()
    crossover = (work / "paper/generated/tables/speed_crossover.tex").read_text()
    assert "linear" in crossover and "favor" in crossover
    for name in ("attention_speed", "decoding_speed", "dynamic_adjacency", "kernel_mse"):
        assert (work / f"figures/{name}.pdf").read_bytes().startswith(b"%PDF")
    text = subprocess.run(
        ["pdftotext", str(work / PDF), "-"], capture_output=True, text=True, check=True
    ).stdout
    text = " ".join(text.split())  # captions break lines anywhere
    assert "Attention as a dynamic adjacency matrix" in text
    assert "Crossover" in text
    for name in ("performer_kernels", "message_passing"):
        assert (work / f"data/notebooks/{name}.html").exists()


def test_diffusion_models_are_saved_in_the_diffusers_layout(work):
    for variant in ("base", "base_short", "pooled", "uniform"):
        folder = work / "data/models/diffusion" / variant
        assert {p.name for p in folder.iterdir()} >= {"unet", "text_encoder", "tokenizer"}
    assert (work / "data/notebooks/cross_attention_control.html").exists()


def test_changing_a_diffusion_analysis_never_retrains(work):
    jobs = planned(work, "--config", "diffusion={analysis: {threshold: 0.5}}")
    assert not any(rule.startswith("train_diffusion") for rule in jobs), jobs
    assert jobs.get("measure_diffusion", 0) >= 1 and "compile_note" in jobs
    jobs = planned(work, "--config", "diffusion={training: {learning_rate: 0.002}}")
    assert {"train_diffusion_base", "train_diffusion_variant"} <= set(jobs), jobs


def test_a_pretrained_model_is_probed_without_training_or_variants(work):
    jobs = planned(work, "--config", "diffusion={pretrained: models/sd15}")
    assert jobs.get("measure_diffusion", 0) == 8, jobs
    assert "compare_diffusion_variants" not in jobs and "train_diffusion_variant" not in jobs


def test_vit_models_maps_and_tables_reach_the_note(work):
    models = sorted(p.stem for p in (work / "data/models/vit").glob("*.pt"))
    assert models == sorted(
        ["softmax_p2", "softmax_p4", "softmax_p8", "sparsemax_p4", "softmax_p4_reg2"]
    )
    jaccard = (work / "paper/generated/tables/vit_jaccard.tex").read_text()
    assert "random map" in jaccard and "distractor" in jaccard
    for name in ("vit_distance", "vit_maps", "vit_shift"):
        assert (work / f"figures/{name}.pdf").read_bytes().startswith(b"%PDF")
    text = subprocess.run(
        ["pdftotext", str(work / PDF), "-"], capture_output=True, text=True, check=True
    ).stdout
    text = " ".join(text.split())
    assert "What ViT attention finds" in text and "random map on the same grid gives" in text
    assert (work / "data/notebooks/vision_transformer.html").exists()


def test_changing_a_vit_analysis_never_retrains(work):
    jobs = planned(work, "--config", "vit={analysis: {share: 0.5}}")
    assert "train_vit" not in jobs and "make_vit_data" not in jobs, jobs
    assert jobs.get("measure_vit", 0) >= 1 and "compile_note" in jobs
    jobs = planned(work, "--config", "vit={training: {steps: 11}}")
    assert jobs.get("train_vit") == 5 and "make_vit_data" not in jobs, jobs


def test_pretrained_vits_are_probed_beside_the_tiny_ones(work):
    jobs = planned(
        work,
        "--config",
        "vit={pretrained: {models: [vit_small_patch16_224.dino,"
        " vit_small_patch16_224.augreg_in21k_ft_in1k], weights: models/vit, images: my_images}}",
    )
    assert jobs.get("measure_pretrained_vit") == 2, jobs
    assert jobs.get("plot_vit") == 1 and "train_vit" not in jobs, jobs


def test_the_html_report_holds_the_figures_tables_and_notebooks_with_captions(work):
    snakemake(work, "--report", "report.html")
    html = (work / "report.html").read_text()
    for name in ("vit_maps.png", "softmax_sharpness.png", "vit_jaccard.tex"):
        assert name in html, name
    assert "vision_transformer.html" in html
    # A caption is the docstring of the script that drew the figure.
    assert "where each trained ViT looks" in html


def test_the_archive_compiles_alone_to_the_same_pdf(work):
    import tarfile

    with tarfile.open(work / "paper/build/note-arxiv.tar.gz") as tar:
        names = set(tar.getnames())
    assert {"main.tex", "main.bbl", "refs.bib", "generated/tables/provenance.tex"} <= names
    assert "figures/vit_maps.pdf" in names and not any(n.endswith(".png") for n in names)
    # The rule checked byte identity itself; its log holds the isolated build.
    assert (work / "data/logs/archive_note.log").read_text()


def test_provenance_names_every_figure_and_table_of_the_note(work):
    text = (work / "paper/generated/tables/provenance.tex").read_text()
    for asset in ("figures/vit\\_maps.pdf", "tables/zoo.tex", "macros/diffusion.tex"):
        assert asset in text, asset
    assert "plot\\_vit" in text and "fig\\_vit\\_maps.py" in text
    pdf_text = subprocess.run(
        ["pdftotext", str(work / PDF), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "Provenance" in pdf_text and "tabulate_vit" in pdf_text


def test_editing_a_section_plans_only_latex_and_rebuilds_identically(work):
    before = sha256(work / PDF)
    path = work / SECTION
    original = path.read_text()
    try:
        path.write_text(original + "\n% an edit that changes no output\n")
        assert planned(work) == {"compile_note": 1, "archive_note": 1, "all": 1}
        snakemake(work)
        assert sha256(work / PDF) == before  # a comment changes no byte of the PDF
    finally:
        path.write_text(original)
        snakemake(work)
    assert planned(work) == {}


def test_bad_config_value_fails_at_once_in_one_line(work):
    result = snakemake(
        work, "-n", "--config", "softmax_constraints={sharpness: {gap: -1}}", check=False
    )
    assert result.returncode != 0
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("config: softmax_constraints.sharpness.gap = -1.0"), last
    assert "Job stats" not in result.stdout + result.stderr


def test_latex_error_names_file_and_line_and_leaves_no_pdf(work):
    path = work / SECTION
    original = path.read_text()
    line = len(original.splitlines()) + 1
    try:
        path.write_text(original + "\\undefinedmacro\n")
        result = snakemake(work, check=False)
        assert result.returncode != 0
        out = result.stdout + result.stderr
        assert re.search(
            rf"LaTeX error: paper/sections/softmax_constraints\.tex:{line}: Undefined control", out
        ), out[-2000:]
        assert not (work / PDF).exists()
    finally:
        path.write_text(original)
        snakemake(work)
    assert (work / PDF).exists()


PLUGIN = """
import torch

from anatomy import operators


class HalfTemperature(operators.Normalizer):
    name = "half-temperature"

    def normalize(self, scores, mask):
        return torch.softmax(scores / 2, dim=-1)


operators.register(
    operators.AttentionOperator("throwaway", operators.ScaledDotProduct(), HalfTemperature())
)
"""


def test_a_registered_operator_enters_the_zoo_without_editing_a_rule(work, tmp_path):
    """A throwaway operator class, registered from a module outside the package, appears in
    the zoo's planned training and evaluation jobs; no rule or config file is edited."""
    (tmp_path / "throwaway_operator.py").write_text(PLUGIN)
    env = dict(os.environ, PYTHONPATH=str(tmp_path), ANATOMY_OPERATOR_PLUGINS="throwaway_operator")
    cmd = [
        sys.executable,
        "-m",
        "snakemake",
        "--cores",
        "2",
        *SMOKE,
        "-n",
        "--config",
        "zoo={operators: all}",
    ]
    result = subprocess.run(cmd, cwd=work, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
    jobs = re.findall(r"rule (\w+):\n(?:.*\n)*?\s+wildcards: ([^\n]*)", result.stdout)
    planned_for = {rule for rule, wildcards in jobs if "operator=throwaway" in wildcards}
    assert {"train_zoo_model", "evaluate_zoo_model"} <= planned_for, result.stdout[-3000:]
