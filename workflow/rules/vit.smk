# Layer C, vision: tiny timm ViTs trained on generated images with known object masks (softmax
# at several patch sizes, a sparse-normalizer contrast, a register-token model), probed through
# timm's own attention hooks; optionally the same analyses on pretrained timm ViTs
# (`vit.pretrained`). Training sees only data/model/training; changing an analysis never retrains.

from anatomy.vit.specs import ModelSpec, experiment_specs, token_sweep_specs
from anatomy.vit.settings import ViTSettings

VIT = f"{RESULTS}/vit"
VIT_MODELS = "data/models/vit"
VIT_MEASUREMENTS = ["distance", "objects", "shift", "patch", "norms"]
VIT_PRETRAINED = config["vit"]["pretrained"]
VIT_SETTINGS = ViTSettings.of(config["vit"])
VIT_MODEL_NAMES = [spec.name for spec in experiment_specs(VIT_SETTINGS)]
# The patch sweep at a fixed token count; its models at other image sizes read their own images.
VIT_SWEEP_NAMES = [
    spec.name for spec in token_sweep_specs(VIT_SETTINGS.token_sweep, VIT_SETTINGS.data.size)
]
VIT_TRAINED = list(dict.fromkeys(VIT_MODEL_NAMES + VIT_SWEEP_NAMES))
VIT_SIZES = [str(size) for size in config["vit"]["token_sweep"]["sizes"]]
# One checkpoint per (model, seed); one job trains every seed of a model.
# Seeds in increasing order: "the first seed" (the maps, the notebook) is the smallest.
VIT_SEED_FILES = [f"seed{seed}.pt" for seed in sorted(config["vit"]["seeds"])]


rule make_vit_data:
    # The training set and the held-out images with their masks, drawn once and cached.
    input:
        lib=library_of("../scripts/make_vit_data.py"),
    output:
        data=f"{VIT}/data.pt",
    log:
        f"{LOGS}/make_vit_data.log",
    params:
        run=run_params("vit", blocks=("data",)),
    conda:
        ENVS["pipeline"]
    script:
        "../scripts/make_vit_data.py"


use rule make_vit_data as make_vit_sized_data with:
    # The same scenes drawn at another image size, for the patch sweep at a fixed token count.
    output:
        data=f"{VIT}/sizes/data_{{pixels}}.pt",
    log:
        f"{LOGS}/make_vit_data/{{pixels}}.log",
    wildcard_constraints:
        pixels="|".join(VIT_SIZES),


rule train_vit:
    input:
        # A sweep model's own image size, else the experiment's images.
        data=lambda w: (
            f"{VIT}/sizes/data_{ModelSpec.parse(w.model).size}.pt"
            if ModelSpec.parse(w.model).size
            else rules.make_vit_data.output.data
        ),
        lib=library_of("../scripts/train_vit.py"),
    output:
        # One named output per seed ("seed0"): the output cache stores named files.
        **{Path(name).stem: f"{VIT_MODELS}/{{model}}/{name}" for name in VIT_SEED_FILES},
        history=f"{VIT}/training/{{model}}.parquet",
    log:
        f"{LOGS}/train_vit/{{model}}.log",
    benchmark:
        f"{BENCHMARKS}/train_vit/{{model}}.tsv"
    wildcard_constraints:
        model="|".join(VIT_TRAINED),
    params:
        run=run_params("vit", blocks=("data", "model", "training")),
        **CACHE_KEY,
    # One thread: two one-thread jobs side by side train 1.3x more steps per second than one
    # two-thread job (python -m anatomy.pipeline.profiling vit --threads 1 2).
    threads: 1
    priority: 2
    cache: OUTPUT_CACHE  # with --cache: trained once per code and settings (README)
    resources:
        mem_mb=3000,
        gpu=1 if config["device"]["allow_cuda"] else 0,
    conda:
        ENVS["pipeline"]
    script:
        "../scripts/train_vit.py"


# The measurements (anatomy.vit.measurements), run by the one measurement rule template
# (measurement_rules.smk): one job per measurement, on every model's seeds and the held-out
# images.
VIT_SEED_MODELS = expand(
    f"{VIT_MODELS}/{{model}}/{{name}}", model=VIT_MODEL_NAMES, name=VIT_SEED_FILES
)
VIT_SWEEP_MODELS = expand(
    f"{VIT_MODELS}/{{model}}/{{name}}", model=VIT_SWEEP_NAMES, name=VIT_SEED_FILES
)
MEASUREMENT_RULES.update(
    {
        "vit": measurement(
            "vit",
            ("patch_sizes", "reference_patch", "analysis"),
            runs=VIT_MEASUREMENTS,
            subject=dict(data=rules.make_vit_data.output.data, models=VIT_SEED_MODELS),
            functions=["load"],
            tensors=True,
            mem_mb=3000,
        ),
        # The patch sweep at a fixed token count: each model on held-out images of its own size.
        "vit_tokens": measurement(
            "vit",
            ("token_sweep", "analysis"),
            runs=["tokens"],
            subject=dict(
                data=rules.make_vit_data.output.data,
                sized=[f"{VIT}/sizes/data_{size}.pt" for size in VIT_SIZES],
                models=VIT_SWEEP_MODELS,
            ),
            logs="measure_vit/{measurement}",
            functions=["load"],
            tensors=True,
            mem_mb=3000,
        ),
        # A pretrained timm ViT on the user's images: the analyses that need no masks (the
        # measurement "pretrained"; the job's source is the model's name). No GPU: the probe
        # (anatomy.vit.measurements.probe_pretrained) runs on the CPU.
        "pretrained_vit": measurement(
            "vit",
            ("pretrained", "analysis"),
            threads=2,
            runs="pretrained",
            results=f"{VIT}/pretrained/{{pretrained}}",
            logs="measure_pretrained_vit/{pretrained}",
            functions=["load", "pretrained"],
            source=lambda w: w.pretrained,
            tensors=True,
            mem_mb=6000,
        ),
    }
)


VIT_FIGURES = ["vit_distance", "vit_maps", "vit_shift"] + (["vit_pretrained"] if VIT_PRETRAINED else [])
VIT_TABLES = ["vit_jaccard", "vit_patch", "vit_tokens"]
VIT_PRETRAINED_FILES = (
    [
        f"{VIT}/pretrained/{name}.{ext}"
        for name in VIT_PRETRAINED["models"]
        for ext in ("parquet", "pt")
    ]
    if VIT_PRETRAINED
    else []
)
# What each figure, table and the macros read.
VIT_READS = {
    "vit_distance": [f"{VIT}/distance.parquet"],
    "vit_maps": [f"{VIT}/objects.pt"],
    "vit_shift": [f"{VIT}/shift.parquet"],
    "vit_pretrained": VIT_PRETRAINED_FILES,
    "vit_jaccard": [f"{VIT}/objects.parquet"],
    "vit_patch": [f"{VIT}/patch.parquet"],
    "vit_tokens": [f"{VIT}/tokens.parquet"],
}
REPORT_CATEGORIES["vit"] = "Layer C.1 - vision transformers"
# The section's figures and tables, made by figures_and_tables.smk.
for name in VIT_FIGURES:
    declare("figure", name, "vit", tables=VIT_READS[name])
for name in VIT_TABLES:
    declare("table", name, "vit", tables=VIT_READS[name])
PAPER_ASSETS["vit"].append(f"{GENERATED}/macros/vit.tex")


rule write_vit_macros:
    input:
        tables=[f"{VIT}/{m}.parquet" for m in VIT_MEASUREMENTS],
        tokens=f"{VIT}/tokens.parquet",
        histories=expand(f"{VIT}/training/{{model}}.parquet", model=VIT_MODEL_NAMES),
        pretrained=VIT_PRETRAINED_FILES,
        lib=library_of("../scripts/macros_vit.py"),
    output:
        tex=f"{GENERATED}/macros/vit.tex",
    log:
        f"{LOGS}/write_vit_macros.log",
    params:
        settings=config["vit"],
    conda:
        ENVS["pipeline"]
    script:
        "../scripts/macros_vit.py"
