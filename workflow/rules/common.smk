# Shared by every stage: config validation, paths, and the params each run rule passes on.
import json
import os
import re
import sys
from glob import glob
from pathlib import Path

from snakemake import benchmark as snakemake_benchmark

from anatomy.pipeline.dependencies import function_library, script_library, with_plugins
from anatomy.pipeline.runtime import CODE_PATHS, git_commit
from anatomy.pipeline.config import (
    ConfigError,
    check_relations,
    coerce,
    load_schema,
    put_library_on_path,
    validate,
)

SCHEMA = load_schema(Path(workflow.basedir) / "workflow/schemas/config.schema.yaml")
config.update(coerce(config, SCHEMA))
try:
    validate(config, SCHEMA)
    check_relations(config)
except ConfigError as error:
    # One line naming the key, before any job is planned.
    sys.exit(str(error))


put_library_on_path(Path(workflow.basedir) / "src")
# Conda environments for --sdm conda, relative to workflow/rules/ (where every rule lives).
ENVS = {name: f"../../envs/{name}.yaml" for name in ("pipeline", "latex")}

REPORT_TABLES = "data/report/tables"  # the generated tables as HTML, for the report
NOTE_PDF = "paper/build/note.pdf"  # the note's one name, used by every rule and the README
NOTE_NUMBERS = "paper/build/note-numbers.json"  # the number LaTeX gave each figure and table
# The shared result cache (README, "A shared result cache"): with SNAKEMAKE_OUTPUT_CACHE set and
# --cache, the training rules (cache: OUTPUT_CACHE) store their models in that folder under a
# hash of their code, settings and inputs, and take them from there when the hash is known.
OUTPUT_CACHE = bool(os.environ.get("SNAKEMAKE_OUTPUT_CACHE"))
CACHED_RULES = ["train_zoo_model", "train_vit", "train_diffusion_base", "train_diffusion_variant"]
# Snakemake's cache key covers a job's script, params, inputs and upstream jobs but not its
# wildcards: the seeds, tasks and models of one rule would share one entry. The cached rules add
# their wildcards to their params while the cache is on (switching it on retrains once, which
# fills the cache).
CACHE_KEY = {"cache_key": lambda w: dict(w.items())} if OUTPUT_CACHE else {}


def drop_cached_benchmarks():
    """While the output cache is on, the cached rules write no benchmark file: Snakemake
    refuses both on one rule (a model taken from the cache has no run time), and a benchmark
    directive cannot be made conditional, so it is removed from the defined rule (the state of
    a rule that never had one). Called once every rule is defined (Snakefile)."""
    if OUTPUT_CACHE:
        for name in CACHED_RULES:
            workflow.get_rule(name)._benchmark = None
ARCHIVE = "paper/build/note-arxiv.tar.gz"  # its sources, ready for arXiv
RESULTS = "data/results"
LOGS = "data/logs"
BENCHMARKS = "data/benchmarks"
GENERATED = "paper/generated"

# What each experiment contributes to the note: its figures, tables and macros.
# Each stage file adds its experiments; compile_note depends on the enabled ones.
PAPER_ASSETS = {}


PACKAGE_DIR = "src/anatomy"


def library_of(script):
    """The library files a rule's script runs (its ``anatomy`` imports, transitively, read
    from the source; plus the operator plugins when it uses the registry): inputs, so that
    editing a module reruns exactly the rules whose scripts import it. ``script`` is written
    as the rule names its script; with a ``{wildcards.x}`` in it, an input function."""
    path = os.path.join("workflow/rules", script)

    def files(path):
        return with_plugins(script_library(os.path.normpath(path), PACKAGE_DIR))

    if "{" in path:
        return lambda wildcards: files(path.format(wildcards=wildcards))
    return files(path)


def result(experiment, part):
    """Where a measurement's tidy table lives; its metadata sits beside it as .json."""
    return f"{RESULTS}/{experiment}/{part}.parquet"


# The note's figures and tables, each declared once, in its experiment's rules file: its name,
# the named inputs its script reads (``snakemake.input.<name>``) and the settings it reads, if
# any. The two generic rules of figures_and_tables.smk make them all: figures/<name>.pdf with
# workflow/scripts/fig_<name>.py, paper/generated/tables/<name>.tex with tab_<name>.py.
FIGURES = {}
TABLES = {}
# Each experiment's title in the HTML report (snakemake --report), set by its rules file.
REPORT_CATEGORIES = {}


def declare(kind, name, experiment, settings=None, **inputs):
    """Declare figure ``name`` (``kind`` "figure") or table ``name`` ("table") of ``experiment``:
    the generic rule makes it from ``inputs`` and ``settings``, and the note reads it
    (PAPER_ASSETS)."""
    entry = dict(experiment=experiment, inputs=inputs, settings=settings or {})
    if kind == "figure":
        FIGURES[name] = entry
        PAPER_ASSETS.setdefault(experiment, []).append(f"figures/{name}.pdf")
    else:
        TABLES[name] = entry
        PAPER_ASSETS.setdefault(experiment, []).append(f"{GENERATED}/tables/{name}.tex")


# Measurements all have one shape: settings (and, for a trained model, its files) in, one tidy
# table (+ the tensors its figure draws, + metadata) out. Stage files add entries;
# measurement_rules.smk makes one rule of each, by one rule template and one script.
MEASUREMENT_RULES = {}


def measurement(
    experiment,
    block,
    part=None,
    threads=1,
    priority=0,
    *,
    runs=None,
    subject=None,
    results=None,
    logs=None,
    functions=None,
    source=None,
    tensors=False,
    wildcards=None,
    mem_mb=4000,
    gpu=False,
):
    """How the rule ``measure_<entry>`` is wired.

    Settings: its block (``config[experiment][block]``, or a tuple of blocks:
    ``config[experiment]`` holding only those). What it runs: by default the measurement named
    as its entry, whose table is ``RESULTS/experiment/part`` (``part`` defaults to the block;
    a tuple block needs a ``part``); ``runs`` names another measurement (a string), or lists
    several (a non-empty list), one job each through the ``{measurement}`` wildcard, whose
    tables are ``RESULTS/experiment/{measurement}``. ``subject``: the files the experiment's
    ``load`` reads (trained models, images), by input name; ``source``: a function of the
    wildcards (and, if it asks, the input) naming the model it loads. ``results``: its outputs'
    path, from the working directory and without suffix, when not the default (``part`` is then
    unused); ``logs``: its log's and benchmark's path below ``LOGS`` and ``BENCHMARKS``
    (default ``measure_<entry>``, plus ``/{measurement}`` for a list); ``wildcards``: the
    constraints of the wildcards its paths hold; ``tensors``: whether it writes the tensors its
    figure draws. ``functions``: the measurements module's functions whose library files it
    runs (default: the one it runs; a list of measurements names them, usually ``["load"]``).
    Threads, priority, memory, and a GPU when the profile allows CUDA (``gpu``)."""
    if runs is not None and not (isinstance(runs, str) or (isinstance(runs, list) and runs)):
        raise ValueError(f"measurement {experiment}: runs is a name or a non-empty list: {runs!r}")
    if isinstance(runs, list) and functions is None:
        raise ValueError(f"measurement {experiment}: an entry that runs {runs} names its functions")
    if results is None and isinstance(runs, list):
        results = f"{RESULTS}/{experiment}/{{measurement}}"
    elif results is None:
        if isinstance(block, tuple) and part is None:
            raise ValueError(f"measurement {experiment}: a tuple block {block} needs a part")
        results = f"{RESULTS}/{experiment}/{part or block}"
    return dict(
        experiment=experiment,
        block=block,
        runs=runs,
        subject=subject or {},
        results=results,
        logs=logs,
        functions=functions,
        source=source,
        tensors=tensors,
        wildcards=wildcards or {},
        threads=threads,
        priority=priority,
        mem_mb=mem_mb,
        gpu=gpu,
    )


# The one script of every measurement rule: every experiment's measurements run through it
# (anatomy.core.measurement: the experiment's load, then MEASUREMENTS[name]).
RUN_MEASUREMENT = "workflow/scripts/run_measurement.py"


def measurement_library(experiment, *functions):
    """The library files a measurement job runs: the runner's imports, and those of the named
    functions of the experiment's measurements module (the module's own imports included)."""
    files = set(script_library(RUN_MEASUREMENT, PACKAGE_DIR))
    for function in functions:
        files |= set(function_library(f"{experiment}.measurements", function, PACKAGE_DIR))
    return with_plugins(sorted(files))


def run_params(*keys, blocks=None):
    """The params every run rule passes to its script; ``keys`` select its settings block,
    ``blocks`` (optional) only some of that block's sub-blocks, so that a rule reruns only
    when the settings it reads change."""
    settings = config
    for key in keys:
        settings = settings[key]
    if blocks is not None:
        settings = {block: settings[block] for block in blocks}
    # Sorted keys: a --config override that reorders keys must not look like a change.
    settings = json.loads(json.dumps(settings, sort_keys=True))
    return dict(
        profile=config["profile"],
        seed=config["seed"],
        allow_cuda=config["device"]["allow_cuda"],
        settings=settings,
    )


def zoo_training_params(wildcards):
    """The training settings of one task's job: the shared block with that task's own
    (zoo.training.per_task) merged in, so that changing one task's steps retrains it alone."""
    run = run_params("zoo", "training")
    own = run["settings"].pop("per_task", {}).get(wildcards.task, {})
    run["settings"].update(own)
    return run


# The HTML report (snakemake --report report.html): every figure, table and executed notebook,
# captioned by the docstring of the script that made it (workflow/report/caption.rst).
def shown(path, category):
    return report(
        path, caption="../report/caption.rst", category=category, labels=report_labels(path)
    )


def report_labels(path):
    """The labels of a report entry, read when the report is made (after the note built):
    where the note shows it (its figure or table number, from NOTE_NUMBERS) and its
    experiment. Labels are not params, so a new number never reruns a rule."""

    def labels(wildcards):
        from anatomy.report.latex import asset_reference

        concrete = re.sub(r"\{(\w+)[^}]*\}", lambda m: str(getattr(wildcards, m.group(1))), path)
        name = Path(concrete).stem
        if concrete == NOTE_PDF:
            return {"in the note": "the note", "experiment": "all"}
        if concrete.startswith("data/notebooks/"):
            return {"in the note": "notebook", "experiment": name}
        kind, asset = (
            ("fig", f"figures/{name}.pdf")
            if concrete.startswith("figures/")
            else ("tab", f"{GENERATED}/tables/{name}.tex")
        )
        numbers = Path(NOTE_NUMBERS)
        numbers = json.loads(numbers.read_text()) if numbers.exists() else {}
        experiment = next((e for e, files in PAPER_ASSETS.items() if asset in files), "")
        return {"in the note": asset_reference(kind, name, numbers), "experiment": experiment}

    return labels


def script_doc(path):
    """The docstring of a figure or table script, or a notebook's title line: a caption."""
    import ast

    text = Path(workflow.basedir, path).read_text()
    if "/notebooks/" in path:
        return next(line.lstrip("# ") for line in text.splitlines() if line.startswith("# # "))
    doc = " ".join((ast.get_docstring(ast.parse(text)) or "").split())
    # Plain text in reStructuredText: |x| and *x* are markup there.
    for char in "\\|*`":
        doc = doc.replace(char, f"\\{char}")
    return doc


def variant_models(w):
    """The models a seed's variant comparison (diffusion.smk) reads: every variant and the
    base model. The full base model's samples come from the samples measurement when it is the
    probed model (same prompts, same noise), and are drawn otherwise; its maps are always read."""
    names = ["base", "base_short", *config["diffusion"]["variants"]]
    return [f"{DIFF_MODELS}/{name}/seed{w.seed}" for name in names]


def provenance_rows():
    """For every file the note reads (PAPER_ASSETS of the enabled experiments): the rule and
    script that make it, its experiment and that experiment's config hash. Called once all
    stage files are included (paper.smk)."""
    from types import SimpleNamespace

    from anatomy.pipeline.runtime import config_hash

    rows = []
    for experiment in config["experiments"]:
        for asset in PAPER_ASSETS[experiment]:
            maker = next(r for r in workflow.rules if r.script and r.is_producer(asset))
            wildcards = SimpleNamespace(**maker.get_wildcards(asset))
            script = Path(maker.script.format(wildcards=wildcards)).name
            rows.append([asset, maker.name, script, experiment, config_hash(config[experiment])])
    for asset in NOTE_ASSETS:  # the note's own tables (paper.smk), across experiments
        maker = next(r for r in workflow.rules if r.script and r.is_producer(asset))
        script = Path(maker.script).name
        rows.append([asset, maker.name, script, "reproduction", config_hash(config["reproduction"])])
    return rows


def final_outputs():
    return [NOTE_PDF, ARCHIVE] + expand("data/notebooks/{name}.html", name=config["notebooks"])


# ---- run hooks: before the first job, and after the last -------------------------------------

# TeX Live is needed only by the two LaTeX rules: when they are to run, a missing tool or
# package stops the run before any job (the onstart handler, once the DAG is planned), with
# the install command, not after the experiments.
def check_tex_before_jobs(planned_jobs):
    """Only where the LaTeX jobs run on this machine with its own TeX: not under a cluster
    executor, and not with conda environments (envs/latex.yaml brings TeX)."""
    from anatomy.report.latex import missing_tex, missing_tex_message
    from snakemake.settings.types import DeploymentMethod

    uses_conda = DeploymentMethod.CONDA in workflow.deployment_settings.deployment_method
    if uses_conda or not workflow.local_exec:
        return
    if any(job.rule.name in ("compile_note", "archive_note") for job in planned_jobs):
        missing = missing_tex()
        if missing:
            sys.exit(missing_tex_message(missing))


DRIVER = {}  # what the driver measures about its own run

# Snakemake samples a benchmarked job 30 times at 0.5-s intervals, then every 30 s; each sample
# reads the job's /proc smaps, which for a torch process costs the driver about 0.2 CPU-s. In
# the 71-minute default run of stop 28 that was 611 CPU-s of the driver (py-spy: mostly
# psutil's smaps parsing), taken from the two cores the jobs train on. One sample at the start
# and then every 30 s keeps each job's wall time exact; its CPU time and memory are sampled
# every 30 s (a job shorter than that reports 0 for both).
snakemake_benchmark.BENCHMARK_INTERVAL_SHORT = snakemake_benchmark.BENCHMARK_INTERVAL


onstart:
    DRIVER["jobs"] = len(list(workflow.dag.needrun_jobs()))
    check_tex_before_jobs(workflow.dag.needrun_jobs())


onsuccess:
    from anatomy.pipeline.benchmarks import write_driver_usage

    write_driver_usage(f"{BENCHMARKS}/driver.tsv", DRIVER.get("jobs", 0))


onerror:
    # Snakemake removes the output of a failed job: a failed LaTeX build puts the last good
    # PDF back (build_pdf.py says so in its error line).
    from anatomy.report.latex import restore_last_good

    restore_last_good(NOTE_PDF)
