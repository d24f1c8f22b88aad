# Layer C, diffusion: a tiny text-to-image model trained on generated scenes (or a real
# Stable Diffusion folder, `diffusion.pretrained`), probed through one cross-attention
# controller. Training rules see only data/model/training settings; the analyses only
# data/sampling/analysis, so changing an analysis never retrains a model.

DIFF = f"{RESULTS}/diffusion"
DIFF_MODELS = "data/models/diffusion"
DIFF_MEASUREMENTS = [
    "samples",
    "guidance",
    "token_maps",
    "update_norms",
    "ablations",
    "windows",
    "word_swap",
    "layer_prompts",
]
PRETRAINED = config["diffusion"]["pretrained"]
# Every seed trains the base model and the two variants; the layer analyses probe the first
# seed's base model (or a pretrained folder, not a file Snakemake makes).
DIFF_SEEDS = sorted(config["diffusion"]["seeds"])  # the first is the smallest
PROBED_MODEL = PRETRAINED or f"{DIFF_MODELS}/base/seed{DIFF_SEEDS[0]}"
DIFF_VARIANT_NAMES = ["base", "base_short", *config["diffusion"]["variants"]]


rule train_diffusion_base:
    # The full run, with its EMA weights also saved at the variants' step count (base_short),
    # the base model the two variants are compared with. One job per seed.
    input:
        lib=library_of("../scripts/train_diffusion.py"),
    output:
        model=directory(f"{DIFF_MODELS}/base/seed{{seed}}"),
        history=f"{DIFF}/training/base/seed{{seed}}.parquet",
        short=directory(f"{DIFF_MODELS}/base_short/seed{{seed}}"),
        short_history=f"{DIFF}/training/base_short/seed{{seed}}.parquet",
    log:
        f"{LOGS}/train_diffusion/base/seed{{seed}}.log",
    benchmark:
        f"{BENCHMARKS}/train_diffusion/base/seed{{seed}}.tsv"
    params:
        run=run_params("diffusion", blocks=("data", "model", "training")),
        **CACHE_KEY,
    # One thread: two one-thread jobs side by side train 1.2x more steps per second than one
    # two-thread job (python -m anatomy.pipeline.profiling diffusion --threads 1 2).
    threads: 1
    # The longest chain of the DAG (training, eight measurements, the section) starts first.
    priority: 3
    cache: OUTPUT_CACHE  # with --cache: trained once per code and settings (README)
    resources:
        mem_mb=4000,
        gpu=1 if config["device"]["allow_cuda"] else 0,
    conda:
        ENVS["pipeline"]
    script:
        "../scripts/train_diffusion.py"


rule train_diffusion_variant:
    # The "main cause or modulator" variants (pooled text in the time embedding, uniform
    # cross-attention maps throughout training) and the normalizer variants (sparsemax or
    # 1.5-entmax cross-attention weights); variant_steps steps each.
    input:
        lib=library_of("../scripts/train_diffusion.py"),
    output:
        model=directory(f"{DIFF_MODELS}/{{variant}}/seed{{seed}}"),
        history=f"{DIFF}/training/{{variant}}/seed{{seed}}.parquet",
    log:
        f"{LOGS}/train_diffusion/{{variant}}/seed{{seed}}.log",
    benchmark:
        f"{BENCHMARKS}/train_diffusion/{{variant}}/seed{{seed}}.tsv"
    wildcard_constraints:
        variant="|".join(config["diffusion"]["variants"]) or "(?!)",
    params:
        run=run_params("diffusion", blocks=("data", "model", "training")),
        **CACHE_KEY,
    threads: 1
    priority: 2
    cache: OUTPUT_CACHE  # with --cache: trained once per code and settings (README)
    resources:
        mem_mb=4000,
        gpu=1 if config["device"]["allow_cuda"] else 0,
    conda:
        ENVS["pipeline"]
    script:
        "../scripts/train_diffusion.py"


# The layer map on every training seed: the first seed's base model is the probed one; the
# other seeds' base models get the two measurements the map reads.
LAYER_MAP_MEASUREMENTS = ["token_maps", "ablations"]
LAYER_MAP_SEEDS = [] if PRETRAINED else DIFF_SEEDS[1:]
LAYER_MAP_SEED_FILES = [
    f"{DIFF}/seeds/seed{seed}/{m}.parquet" for seed in LAYER_MAP_SEEDS for m in LAYER_MAP_MEASUREMENTS
]


# The layer map of the models that diffusion.layer_map_variants names (base_short and the
# normalizer variants, at the variants' budget), on every seed, by the same rule and prompts.
LAYER_MAP_VARIANTS = [] if PRETRAINED else config["diffusion"]["layer_map_variants"]
LAYER_MAP_VARIANT_FILES = [
    f"{DIFF}/variants/{variant}/seed{seed}/{m}.parquet"
    for variant in LAYER_MAP_VARIANTS
    for seed in DIFF_SEEDS
    for m in LAYER_MAP_MEASUREMENTS
]


# The measurements (anatomy.diffusion.measurements), run by the one measurement rule template
# (measurement_rules.smk), one job per measurement: on the probed model, on every seed's base
# model (the layer map's two) and on the variants the layer map names. One thread each: eight
# jobs, and two side by side beat one on both cores.
DIFF_MEASURE = dict(
    block=("data", "sampling", "analysis"),
    functions=["load"],
    tensors=True,
    mem_mb=6000,
    gpu=True,
)
MEASUREMENT_RULES.update(
    {
        "diffusion": measurement(
            "diffusion",
            runs=DIFF_MEASUREMENTS,
            subject=dict(model=[] if PRETRAINED else [PROBED_MODEL]),
            source=lambda w, input: input.model[0] if input.model else PRETRAINED,
            **DIFF_MEASURE,
        ),
        "diffusion_seed": measurement(
            "diffusion",
            runs=LAYER_MAP_MEASUREMENTS,
            subject=dict(model=[f"{DIFF_MODELS}/base/seed{{seed}}"]),
            results=f"{DIFF}/seeds/seed{{seed}}/{{measurement}}",
            logs="measure_diffusion/seed{seed}/{measurement}",
            wildcards=dict(seed=r"\d+"),
            source=lambda w, input: input.model[0],
            **DIFF_MEASURE,
        ),
        "diffusion_variant_seed": measurement(
            "diffusion",
            runs=LAYER_MAP_MEASUREMENTS,
            subject=dict(model=[f"{DIFF_MODELS}/{{variant}}/seed{{seed}}"]),
            results=f"{DIFF}/variants/{{variant}}/seed{{seed}}/{{measurement}}",
            logs="measure_diffusion/{variant}/seed{seed}/{measurement}",
            wildcards=dict(variant="|".join(LAYER_MAP_VARIANTS) or "(?!)", seed=r"\d+"),
            source=lambda w, input: input.model[0],
            **DIFF_MEASURE,
        ),
    }
)


rule compare_diffusion_variants:
    input:
        models=variant_models,
        samples=lambda w: (
            [f"{DIFF}/samples.parquet"] if not PRETRAINED and int(w.seed) == DIFF_SEEDS[0] else []
        ),
        histories=expand(
            f"{DIFF}/training/{{variant}}/seed{{{{seed}}}}.parquet", variant=DIFF_VARIANT_NAMES
        ),
        lib=library_of("../scripts/compare_diffusion_variants.py"),
    output:
        table=f"{DIFF}/variants/seed{{seed}}.parquet",
    log:
        f"{LOGS}/compare_diffusion_variants/seed{{seed}}.log",
    benchmark:
        f"{BENCHMARKS}/compare_diffusion_variants/seed{{seed}}.tsv"
    params:
        run=run_params("diffusion", blocks=("data", "sampling", "analysis")),
    threads: 1
    resources:
        mem_mb=4000,
    conda:
        ENVS["pipeline"]
    script:
        "../scripts/compare_diffusion_variants.py"


DIFF_VARIANTS = expand(f"{DIFF}/variants/seed{{seed}}.parquet", seed=DIFF_SEEDS)


DIFF_FIGURES = [
    "diffusion_samples",
    "diffusion_token_maps",
    "diffusion_ablations",
    "diffusion_timesteps",
    "diffusion_word_swap",
] + ([] if PRETRAINED else ["diffusion_variants"])
# The normalizer table when a variant takes its weights from another registry operator.
NORMALIZER_VARIANTS = [v for v in config["diffusion"]["variants"] if v not in ("pooled", "uniform")]
DIFF_TABLES = (
    ["diffusion_layer_map", "diffusion_layer_prompts"]
    + (
        []
        if PRETRAINED
        else ["diffusion_variants"] + (["diffusion_normalizers"] if NORMALIZER_VARIANTS else [])
    )
    + (["diffusion_variant_layers"] if LAYER_MAP_VARIANTS else [])
)

# What each figure, table and the macros read.
DIFF_READS = {
    "diffusion_samples": ["samples"],
    "diffusion_token_maps": ["token_maps"],
    "diffusion_ablations": ["ablations"],
    "diffusion_timesteps": ["windows", "token_maps"],
    "diffusion_word_swap": ["word_swap"],
    "diffusion_layer_map": ["token_maps", "ablations", "update_norms"],
    "diffusion_layer_prompts": ["layer_prompts"],
}
DIFF_READ_FILES = {
    name: [f"{DIFF}/{m}.{ext}" for m in reads for ext in ("parquet", "pt")]
    for name, reads in DIFF_READS.items()
}
# Every model at the variants' budget, seed by seed, with the chance levels of the samples.
DIFF_READ_FILES["diffusion_variants"] = DIFF_VARIANTS + [f"{DIFF}/samples.pt"]

REPORT_CATEGORIES["diffusion"] = "Layer C.2 - cross-attention in diffusion"
# The section's figures and tables, made by figures_and_tables.smk.
for name in DIFF_FIGURES:
    declare("figure", name, "diffusion", tables=DIFF_READ_FILES[name])
for name in DIFF_TABLES:
    if name in ("diffusion_variants", "diffusion_normalizers"):
        declare("table", name, "diffusion", tables=DIFF_VARIANTS)
    elif name == "diffusion_variant_layers":
        # The layer map's rule and threshold, on the named variants' seeds.
        settings = {"analysis": config["diffusion"]["analysis"]}
        declare("table", name, "diffusion", settings=settings, tables=LAYER_MAP_VARIANT_FILES)
    elif name == "diffusion_layer_map":
        # The layer map on the probed model, beside the same measurements on the other seeds.
        settings = {
            "analysis": config["diffusion"]["analysis"],
            "probed_seed": 0 if PRETRAINED else DIFF_SEEDS[0],
        }
        declare(
            "table",
            name,
            "diffusion",
            settings=settings,
            tables=DIFF_READ_FILES[name],
            seeds=LAYER_MAP_SEED_FILES,
        )
    else:
        declare("table", name, "diffusion", tables=DIFF_READ_FILES[name])
PAPER_ASSETS["diffusion"].append(f"{GENERATED}/macros/diffusion.tex")


rule write_diffusion_macros:
    input:
        tables=[f"{DIFF}/{m}.parquet" for m in DIFF_MEASUREMENTS],
        extras=[f"{DIFF}/{m}.pt" for m in DIFF_MEASUREMENTS],
        variants=[] if PRETRAINED else DIFF_VARIANTS,
        seeds=LAYER_MAP_SEED_FILES,
        variant_layers=LAYER_MAP_VARIANT_FILES,
        lib=library_of("../scripts/macros_diffusion.py"),
    output:
        tex=f"{GENERATED}/macros/diffusion.tex",
    log:
        f"{LOGS}/write_diffusion_macros.log",
    params:
        settings=config["diffusion"],
        probed_seed=0 if PRETRAINED else DIFF_SEEDS[0],
    conda:
        ENVS["pipeline"]
    script:
        "../scripts/macros_diffusion.py"
