# Literate notebooks, one per reading, stored as jupytext percent scripts and executed here.

NOTEBOOK_INPUTS = {
    "cross_attention_control": [
        f"{DIFF_MODELS}/base/seed{DIFF_SEEDS[0]}",
        f"{DIFF}/token_maps.parquet",
        f"{DIFF}/token_maps.json",
        f"{DIFF}/ablations.parquet",
        *([] if PRETRAINED else DIFF_VARIANTS),
    ],
    "mathematical_properties": [f"{ZOO}/parity_learnability.parquet", f"{ZOO}/parity_learnability.json"],
    "message_passing": [f"{RESULTS}/{EQ}/adjacency.pt"],
    "vision_transformer": [
        f"{VIT}/data.pt",
        f"{VIT_MODELS}/softmax_p{config['vit']['reference_patch']}/{VIT_SEED_FILES[0]}",
        f"{VIT}/patch.json",
        f"{VIT}/tokens.parquet",
    ],
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
        results=lambda w: NOTEBOOK_INPUTS.get(w.name, []),
    output:
        ipynb="data/notebooks/{name}.ipynb",
        html=shown("data/notebooks/{name}.html", "Notebooks"),
    log:
        f"{LOGS}/execute_notebook/{{name}}.log",
    benchmark:
        f"{BENCHMARKS}/execute_notebook/{{name}}.tsv"
    params:
        caption=lambda w: script_doc(f"workflow/notebooks/{w.name}.py"),
    threads: 1
    resources:
        mem_mb=2000,
    conda:
        ENVS["pipeline"]
    script:
        "../scripts/run_notebook.py"
