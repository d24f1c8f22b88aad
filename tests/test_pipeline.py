"""The Snakemake pipeline end to end on the smoke profile, in a throwaway copy of the repo.

One smoke build (about a minute on two cores), then dry runs that check what Snakemake would
rerun after an edit: a paper section plans only LaTeX, an experiment's setting plans that
experiment and its dependents, a library module plans the rules that import it.
"""

import hashlib
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest
from conftest import (
    found_by_modulefinder,
    library_modules,
    measurement_source,
    section_measurements,
    tracked_files,
)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.pipeline,
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
    assert "all three interpretations agree with anatomy.core.operators" in html
    for meta in (work / "data/results/softmax_constraints").glob("*.json"):
        text = meta.read_text()
        assert '"profile": "smoke"' in text and '"device": "cpu"' in text
    # Every rule left its log, every compute rule its benchmark.
    assert (work / "data/logs/compile_note.log").exists()
    assert (work / "data/benchmarks/measure_softmax_sharpness.tsv").exists()


def test_every_reproduction_anchor_finds_its_value_in_the_smoke_build(work):
    import json

    values = json.loads((work / "paper/generated/values/reproduction.json").read_text())
    assert values["rpRun"] == values["rpRows"] >= 12  # no row reads "not run"
    table = (work / "paper/generated/tables/reproduction.tex").read_text()
    assert table.count("citet") == values["rpRows"] and "not run" not in table


def test_up_to_date_tree_plans_nothing(work):
    assert planned(work) == {}


def test_changing_a_setting_plans_that_experiment_and_its_dependents_only(work):
    jobs = planned(work, "--config", "softmax_constraints={sharpness: {trials: 5}}")
    assert set(jobs) == {
        "measure_softmax_sharpness",
        "figure",  # figures/softmax_sharpness.pdf alone (the count is checked below)
        "write_softmax_macros",
        "tabulate_reproduction",  # reads the section's values
        "write_provenance",  # the experiment's config hash is in the appendix
        "compile_note",
        "archive_note",
        "all",
    }
    assert jobs["figure"] == 1
    # Restating a setting's current value (keys in another order) changes nothing.
    assert planned(work, "--config", "softmax_constraints={sharpness: {trials: 4, gap: 3.0}}") == {}


def test_editing_a_library_module_reruns_its_importers_only(work):
    path = work / "src/anatomy/report/plotting.py"
    original = path.read_text()
    try:
        path.write_text(original + "\n# an edit\n")
        # Every figure imports plotting; no measurement, training, evaluation or table does.
        jobs = planned(work)
        assert set(jobs) == {"figure", "execute_notebook", "compile_note", "archive_note", "all"}
        assert jobs["figure"] == len(list((work / "figures").glob("*.pdf")))
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


def test_every_figure_is_drawn_at_the_width_the_note_prints_it(work):
    # The note includes figures at natural size (tests/test_plotting.py), so the printed scale
    # of a figure is 1 exactly when its page fits the text block: at most the text width, and
    # none shrunk to a stamp.
    from anatomy.report.plotting import TEXT_WIDTH, page_size

    figures = sorted((work / "figures").glob("*.pdf"))
    assert len(figures) >= 25
    for pdf in figures:
        w, _ = page_size(pdf)
        assert 0.3 * TEXT_WIDTH * 72 <= w <= TEXT_WIDTH * 72 + 0.5, (pdf.name, w)


def test_every_executed_notebook_shows_at_least_the_figures_its_cells_draw(work):
    # A cell that makes a figure (plt.subplots, plotting.image_grid) shows it inline; a loop
    # may show more than one.
    import json

    for source in sorted((work / "workflow/notebooks").glob("*.py")):
        cells = source.read_text().split("# %%")
        drawing = sum(("plt.subplots(" in c or "image_grid(" in c) for c in cells)
        notebook = json.loads((work / f"data/notebooks/{source.stem}.ipynb").read_text())
        images = sum(
            "image/png" in output.get("data", {})
            for cell in notebook["cells"]
            for output in cell.get("outputs", [])
        )
        assert images >= drawing > 0, (source.stem, images, drawing)


def test_diffusion_models_are_saved_in_the_diffusers_layout_one_per_seed(work):
    variants = ("base", "base_short", "pooled", "uniform", "sparsemax", "entmax15")
    for variant in variants:
        for seed in (0, 1):  # the smoke profile's seeds
            folder = work / "data/models/diffusion" / variant / f"seed{seed}"
            assert {p.name for p in folder.iterdir()} >= {"unet", "text_encoder", "tokenizer"}
    assert (work / "data/notebooks/cross_attention_control.html").exists()
    # Every seed compared on its own held-out prompts; the table gives means with intervals.
    compared = [
        pd.read_parquet(work / f"data/results/diffusion/variants/seed{s}.parquet") for s in (0, 1)
    ]
    assert [set(t.seed) for t in compared] == [{0}, {1}]
    assert all(set(t.model) == set(variants) for t in compared)
    # The sparse models' weights come from their registry normalizer, saved with the model.
    assert all(
        dict(zip(t.model, t.operator, strict=True))["sparsemax"] == "sparsemax" for t in compared
    )
    table = (work / "paper/generated/tables/diffusion_variants.tex").read_text()
    assert table.count("$\\pm$") >= 6 * 5, table
    normalizers = (work / "paper/generated/tables/diffusion_normalizers.tex").read_text()
    assert all(name in normalizers for name in ("softmax", "sparsemax", "entmax15"))
    assert normalizers.count("$\\pm$") >= 3 * 4 + 2, normalizers


def test_changing_a_diffusion_analysis_never_retrains(work):
    jobs = planned(work, "--config", "diffusion={analysis: {threshold: 0.5}}")
    assert not any(rule.startswith("train_diffusion") for rule in jobs), jobs
    assert jobs.get("measure_diffusion", 0) >= 1 and "compile_note" in jobs
    jobs = planned(work, "--config", "diffusion={training: {learning_rate: 0.002}}")
    assert {"train_diffusion_base", "train_diffusion_variant"} <= set(jobs), jobs


def test_a_tasks_own_training_setting_retrains_that_task_alone(work):
    setting = "zoo={training: {per_task: {associative_recall: {steps: 31}}}}"
    jobs = planned(work, "--config", setting)
    assert jobs["train_zoo_model"] == 1 and jobs["evaluate_zoo_model"] == 1, jobs


def test_a_pretrained_model_is_probed_without_training_or_variants(work):
    missing = snakemake(work, "-n", "--config", "diffusion={pretrained: models/sd15}", check=False)
    assert missing.returncode != 0
    last = missing.stderr.strip().splitlines()[-1]
    assert last.startswith("config: diffusion.pretrained = models/sd15: no such model folder"), last
    assert "--local-dir models/sd15" in last and "Job stats" not in missing.stdout
    (work / "models/sd15/unet").mkdir(parents=True, exist_ok=True)
    jobs = planned(work, "--config", "diffusion={pretrained: models/sd15}")
    assert jobs.get("measure_diffusion", 0) == 8, jobs
    assert "compare_diffusion_variants" not in jobs and "train_diffusion_variant" not in jobs


def test_vit_models_maps_and_tables_reach_the_note(work):
    checkpoints = list((work / "data/models/vit").glob("*/seed*.pt"))
    models = sorted({p.parent.name for p in checkpoints})
    # The five models of the experiment and the token sweep's model on 32-pixel images.
    assert models == sorted(
        ["softmax_p2", "softmax_p4", "softmax_p8", "sparsemax_p4", "softmax_p4_reg2"]
        + ["softmax_p8_s32"]
    )
    assert sorted(p.name for p in checkpoints) == sorted(["seed0.pt", "seed1.pt"] * 6)
    sweep = (work / "data/report/tables/vit_tokens.html").read_text()
    row = "<td><code>softmax_p{}</code></td><td>{}</td><td>{}</td><td>16</td>"
    assert row.format(4, 16, 4) in sweep and row.format("8_s32", 32, 8) in sweep, sweep
    # In the note the numbers sit on their decimal points: integer part, then the rest.
    assert (
        r"softmax\_p8\_s32}&32&&8&&16&&"
        in (work / "paper/generated/tables/vit_tokens.tex").read_text()
    )
    objects = pd.read_parquet(work / "data/results/vit/objects.parquet")
    assert set(objects.seed) == {0, 1}
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
    assert jobs.get("train_vit") == 6 and "make_vit_data" not in jobs, jobs


def test_pretrained_vits_are_probed_beside_the_tiny_ones(work):
    setting = (
        "vit={pretrained: {models: [vit_small_patch16_224.dino,"
        " vit_small_patch16_224.augreg_in21k_ft_in1k], weights: models/vit, images: my_images}}"
    )
    missing = snakemake(work, "-n", "--config", setting, check=False)
    assert missing.stderr.strip().splitlines()[-1] == (
        "config: vit.pretrained.images = my_images: no such folder of images"
    )
    (work / "my_images").mkdir(exist_ok=True)
    missing = snakemake(work, "-n", "--config", setting, check=False)
    last = missing.stderr.strip().splitlines()[-1]
    assert last.startswith("config: vit.pretrained.models: no weights for vit_small_patch16_224")
    assert "hf download timm/vit_small_patch16_224.dino" in last
    for name in ("vit_small_patch16_224.dino", "vit_small_patch16_224.augreg_in21k_ft_in1k"):
        (work / "models/vit" / name).mkdir(parents=True, exist_ok=True)
        (work / "models/vit" / name / "model.safetensors").write_bytes(b"")
    jobs = planned(work, "--config", setting)
    assert jobs.get("measure_pretrained_vit") == 2, jobs
    assert jobs.get("figure") == 1 and "train_vit" not in jobs, jobs  # vit_pretrained.pdf


def test_the_html_report_holds_the_figures_tables_and_notebooks_with_captions(work):
    snakemake(work, "--report", "report.html")
    html = (work / "report.html").read_text()
    for name in ("vit_maps.png", "softmax_sharpness.png", "vit_jaccard.html", "note.pdf"):
        assert name in html, name
    assert "vision_transformer.html" in html
    # Categories in the note's order; tables as HTML (anatomy.report.latex.tabular_html).
    categories = ["Layer A.1 - what softmax constrains", "Layer A.3 - the operator zoo"]
    categories += ["Layer B - equivalent forms", "Layer C.2 - cross-attention in diffusion"]
    assert all(c in html for c in categories)
    table = (work / "data/report/tables/zoo_baselines.html").read_text()
    assert "<th>chance</th>" in table and "<code>uniform</code>" in table  # smoke: one seed
    # A caption is the docstring of the script that drew the figure.
    assert "where each trained ViT looks" in html
    # Each entry is labelled with its number in the note (from the .aux) and its experiment.
    numbers = json.loads((work / "paper/build/note-numbers.json").read_text())
    vit_maps = (
        f'"labels": {{"in the note": "Figure {numbers["fig:vit_maps"]}", "experiment": "vit"}}'
    )
    assert vit_maps in html, vit_maps
    assert '"labels": {"in the note": "notebook", "experiment": "vision_transformer"}' in html


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
    for asset in ("vit\\_maps.pdf", "zoo.tex", "diffusion.tex"):
        assert asset in text, asset
    assert "fig\\_vit\\_maps.py" in text and "write\\_vit\\_macros" in text
    pdf_text = subprocess.run(
        ["pdftotext", "-layout", str(work / PDF), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "Provenance" in pdf_text and "tabulate_reproduction" in pdf_text
    # From figure to code: a link under every figure and table, and the appendix's rows name
    # the figure or table they made, by number.
    flat = " ".join(pdf_text.split())
    assert "code: fig_vit_maps.py (rule figure)" in flat
    assert "code: tab_zoo.py (rule table)" in flat
    assert re.search(r"Figure \d+ +vit_maps\.pdf +figure", pdf_text)
    assert re.search(r"Table \d+ +zoo\.tex +table", pdf_text)


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


def test_latex_error_names_file_and_line_and_keeps_the_last_good_pdf(work):
    good = sha256(work / PDF)
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
        assert f"{PDF} is the last good build" in out
        assert sha256(work / PDF) == good
        # An unbalanced brace is named at its own line, not where the section list ends.
        path.write_text(original + "\\textbf{never closed\n")
        result = snakemake(work, check=False)
        out = result.stdout + result.stderr
        brace = f"paper/sections/softmax_constraints.tex:{line}: unbalanced brace"
        assert brace in out, out[-2000:]
        assert sha256(work / PDF) == good
    finally:
        path.write_text(original)
        snakemake(work)
    assert (work / PDF).exists()


PLUGIN = """
import torch

from anatomy.core import operators


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
    # One zoo job per task: the operator shows in the files the job makes.
    jobs = re.findall(r"rule (\w+):\n(?:.*\n)*?\s+output: ([^\n]*)", result.stdout)
    planned_for = {rule for rule, output in jobs if re.search(r"zoo/\w+/throwaway/seed", output)}
    assert {"train_zoo_model", "evaluate_zoo_model"} <= planned_for, result.stdout[-3000:]


# ---- nothing silent, nothing stale -------------------------------------------------------------


def rule_scripts(root: Path) -> dict[str, str]:
    """Each rule's script, as its rule file names it (a template with {wildcards.x})."""
    scripts = {}
    pattern = r'^rule (\w+):\n(?:(?!rule ).*\n)*?\s+script:\n\s+"([^"]+)"'
    texts = [smk.read_text() for smk in (root / "workflow/rules").glob("*.smk")]
    for text in texts:
        for name, script in re.findall(pattern, text, re.M):
            scripts[name] = "workflow/rules/" + script
    for text in texts:  # `use rule base as name with:` keeps the base rule's script
        for base, name in re.findall(r"^use rule (\w+) as (\w+) with:", text, re.M):
            scripts[name] = scripts[base]
    return scripts


def expected_library(root: Path, tmp: Path, rule: str, wildcards: dict, scripts) -> set[str]:
    """What the job's script imports, read by modulefinder (conftest), not by the pipeline."""

    measured = section_measurements()
    function = rule.removeprefix("measure_")
    if rule not in scripts and function in measured:
        # The runner imports the section's registry by name (importlib): the function's own
        # source, with the registry's top-level imports and the runner, as one script.
        experiment, measure = measured[function]
        runner = (root / "workflow/scripts/run_measurement.py").read_text()
        script = tmp / f"{rule}.py"
        script.write_text(measurement_source(experiment, measure, root) + "\n" + runner)
        return found_by_modulefinder(script, root) | {experiment, f"{experiment}.measurements"}
    # A rule of no rules file's own is made by the measurement rule template, whose script is
    # the runner (measurement_rules.smk).
    template = scripts.get(rule, "workflow/scripts/run_measurement.py")
    path = os.path.normpath(template.format(wildcards=SimpleNamespace(**wildcards)))
    if path.endswith("run_measurement.py"):
        # A measurement of a trained model (measure_vit, measure_pretrained_vit,
        # measure_diffusion_seed, ...): the runner and the experiment's measurements module,
        # which it imports by name; the experiment is the word of the name that is a package.
        experiment = next(w for w in rule.split("_") if (root / "src/anatomy" / w).is_dir())
        script = tmp / f"{rule}.py"
        runner = (root / path).read_text()
        script.write_text(f"from anatomy.{experiment} import measurements\n" + runner)
        return found_by_modulefinder(script, root)
    found = found_by_modulefinder(root / path, root)
    if rule == "execute_notebook":
        found |= found_by_modulefinder(root / f"workflow/notebooks/{wildcards['name']}.py", root)
    return found


def test_every_job_depends_on_exactly_the_library_its_script_imports(work, tmp_path):
    """Every job of the DAG (a forced dry run lists them all with their inputs) has as library
    inputs what its script imports, transitively, as Python's modulefinder reads the script:
    so editing a module reruns exactly the jobs whose scripts import it."""
    text = snakemake(work, "-n", "--forceall").stdout
    scripts = rule_scripts(work)
    checked = 0
    for rule, block in re.findall(r"^rule (\w+):\n((?:    .*\n)+)", text, re.M):
        if rule == "all":
            continue
        found = re.search(r"wildcards: (.*)", block)
        wildcards = dict(re.findall(r"(\w+)=([^,\s]+)", found[1])) if found else {}
        inputs = re.search(r"input: (.*)", block)
        files = inputs[1].split(", ") if inputs else []
        depends = library_modules([f for f in files if f.startswith("src/anatomy/")], work)
        expected = expected_library(work, tmp_path, rule, wildcards, scripts)
        assert depends == expected, f"{rule} {wildcards}: differs in {sorted(depends ^ expected)}"
        checked += 1
    assert checked > 50, text[-2000:]


def test_a_measurement_setting_redraws_only_its_own_figure(work):
    jobs = planned(work, "--config", "equivalent_forms={features: {draws: 7}}")
    assert jobs == {
        "measure_kernel_mse": 1,
        "figure": 1,  # figures/kernel_mse.pdf alone
        "write_equivalent_forms_macros": 1,
        "tabulate_reproduction": 1,  # reads the section's values
        "write_provenance": 1,
        "compile_note": 1,
        "archive_note": 1,
        "all": 1,
    }, jobs


def test_a_plain_run_loads_the_repositorys_default_profile(work):
    result = snakemake(work, "-n")
    assert "Using workflow specific profile profiles/default" in result.stdout + result.stderr


def test_a_killed_run_is_recovered_by_the_command_it_prints(work):
    target = "data/results/expressivity/hopfield.parquet"
    good = (work / target).read_bytes()
    cmd = [sys.executable, "-m", "snakemake", "--cores", "2", *SMOKE, "-f", target]
    driver = subprocess.Popen(
        cmd, cwd=work, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    incomplete = work / ".snakemake/incomplete"
    try:
        for _ in range(1200):  # until the job has started (its output is marked incomplete)
            if incomplete.exists() and any(incomplete.iterdir()):
                break
            time.sleep(0.05)
        else:
            raise AssertionError("the job never started")
    finally:
        os.killpg(driver.pid, signal.SIGKILL)  # the driver and its job, as a power cut would
        driver.wait()
    # What a job killed while writing leaves behind: half a table.
    (work / target).write_bytes(good[: len(good) // 2])
    stuck = snakemake(work, check=False)
    out = stuck.stdout + stuck.stderr
    assert stuck.returncode != 0 and "--unlock" in out, out[-2000:]
    snakemake(work, "--unlock")
    again = snakemake(work)
    # The half-made table is not reused: it is made again (rerun-incomplete, from the
    # repository's default profile), and everything that reads it after it.
    assert "measure_hopfield_beta" in again.stdout + again.stderr
    assert pd.read_parquet(work / target).equals(pd.read_parquet(io.BytesIO(good)))
    assert planned(work) == {}


def test_a_corrupt_result_names_itself_and_the_command_that_remakes_it(work):
    table = work / "data/results/expressivity/hopfield.parquet"
    data = table.read_bytes()
    table.write_bytes(data[: len(data) // 2])  # an output cut short after its job ended
    failed = snakemake(work, "-f", "figures/hopfield.pdf", check=False)
    out = failed.stdout + failed.stderr
    assert failed.returncode != 0
    assert "data/results/expressivity/hopfield.parquet cannot be read" in out, out[-3000:]
    assert "snakemake --cores 2 -f data/results/expressivity/hopfield.parquet" in out
    snakemake(work, "-f", "data/results/expressivity/hopfield.parquet")
    snakemake(work)
    assert planned(work) == {}


def test_missing_tex_stops_before_any_job_with_the_install_command(work, tmp_path):
    # A PATH with every program of this machine but TeX's.
    from anatomy.report.latex import TEX_TOOLS

    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for folder in map(Path, os.environ["PATH"].split(os.pathsep)):
        for program in folder.glob("*") if folder.is_dir() else []:
            link = bin_dir / program.name
            if program.name not in TEX_TOOLS and not link.exists():
                link.symlink_to(program)
    env = dict(os.environ, PATH=str(bin_dir))
    cmd = [sys.executable, "-m", "snakemake", "--cores", "2", *SMOKE, "-R", "compile_note"]
    result = subprocess.run(cmd, cwd=work, env=env, capture_output=True, text=True)
    out = result.stdout + result.stderr
    assert result.returncode != 0
    assert "TeX Live is missing here (latexmk" in out and "apt-get install" in out, out[-2000:]
    assert "Finished job" not in out and (work / PDF).exists()


def test_bad_settings_stop_while_planning_in_one_line(work):
    for setting, start in [
        ("vit={training: {learning_rate: 2000}}", "config: vit.training.learning_rate = 2000.0"),
        ("zoo={training: {heads: 3}}", "config: zoo.training.heads = 3: does not divide d_model"),
        ("vit={training: {warmup: 10}}", "config: vit.training.warmup = 10: must be fewer"),
    ]:
        result = snakemake(work, "--config", setting, check=False)
        assert result.returncode != 0
        last = result.stderr.strip().splitlines()[-1]
        assert last.startswith(start), last
        assert "Job stats" not in result.stdout + result.stderr


def test_a_section_edit_in_a_git_checkout_reruns_only_latex(work):
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t"]
    if not (work / ".git").exists():
        subprocess.run([*git, "init", "-q"], cwd=work, check=True)
    subprocess.run([*git, "add", "-A"], cwd=work, check=True)
    subprocess.run([*git, "commit", "-q", "-m", "the note's sources"], cwd=work, check=True)
    snakemake(work)  # the provenance names the new commit
    path = work / SECTION
    original = path.read_text()
    try:
        path.write_text(original + "\nAn edited sentence.\n")
        assert planned(work) == {"compile_note": 1, "archive_note": 1, "all": 1}
    finally:
        path.write_text(original)
