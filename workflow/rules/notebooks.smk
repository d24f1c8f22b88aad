# Literate notebooks, one per reading, stored as jupytext percent scripts and executed here.


rule execute_notebook:
    input:
        notebook="workflow/notebooks/{name}.py",
        # A notebook may call any part of the library; it reruns when the library changes.
        lib=sorted(glob("src/anatomy/*.py")),
    output:
        ipynb="data/notebooks/{name}.ipynb",
        html="data/notebooks/{name}.html",
    log:
        f"{LOGS}/execute_notebook/{{name}}.log",
    benchmark:
        f"{BENCHMARKS}/execute_notebook/{{name}}.tsv"
    threads: 1
    resources:
        mem_mb=2000,
    script:
        "../scripts/run_notebook.py"
