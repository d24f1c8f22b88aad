# Literate notebooks, one per reading, stored as jupytext percent scripts and executed here.

# What a notebook reads from the pipeline's outputs (most compute their own), by name: the rule
# writes them to data/notebooks/<name>.inputs.json, which the notebook reads
# (anatomy.pipeline.notebooks.inputs), so no notebook spells a path of the pipeline's.
NOTEBOOK_INPUTS = {
    "cross_attention_control": {
        "model": f"{DIFF_MODELS}/base/seed{DIFF_SEEDS[0]}",
        "token_maps": f"{DIFF}/token_maps.parquet",
        "token_maps_meta": f"{DIFF}/token_maps.json",
        "ablations": f"{DIFF}/ablations.parquet",
        "variants": [] if PRETRAINED else DIFF_VARIANTS,
    },
    "mathematical_properties": {
        "learnability": f"{ZOO}/parity_learnability.parquet",
        "learnability_meta": f"{ZOO}/parity_learnability.json",
    },
    "message_passing": {"adjacency": f"{RESULTS}/{EQ}/adjacency.pt"},
    "vision_transformer": {
        "data": f"{VIT}/data.pt",
        "model": f"{VIT_MODELS}/softmax_p{config['vit']['reference_patch']}/{VIT_SEED_FILES[0]}",
        "patch_meta": f"{VIT}/patch.json",
        "tokens": f"{VIT}/tokens.parquet",
    },
}


rule execute_notebook:
    input:
        notebook="workflow/notebooks/{name}.py",
        # What the runner and the notebook itself import from the library.
        lib=lambda w: sorted(
            set(library_of("../scripts/run_notebook.py"))
            | set(with_plugins(script_library(f"workflow/notebooks/{w.name}.py", PACKAGE_DIR)))
        ),
        # What a notebook reads from the pipeline's outputs (most compute their own).
        results=lambda w: [
            path
            for value in NOTEBOOK_INPUTS.get(w.name, {}).values()
            for path in (value if isinstance(value, list) else [value])
        ],
    output:
        ipynb="data/notebooks/{name}.ipynb",
        inputs="data/notebooks/{name}.inputs.json",
        html=shown("data/notebooks/{name}.html", "Notebooks"),
    log:
        f"{LOGS}/execute_notebook/{{name}}.log",
    benchmark:
        f"{BENCHMARKS}/execute_notebook/{{name}}.tsv"
    params:
        caption=lambda w: script_doc(f"workflow/notebooks/{w.name}.py"),
        inputs=lambda w: NOTEBOOK_INPUTS.get(w.name, {}),
    threads: 1
    resources:
        mem_mb=2000,
    conda:
        ENVS["pipeline"]
    script:
        "../scripts/run_notebook.py"
