# Every measurement rule of the note, one per entry of MEASUREMENT_RULES (filled by the
# sections' rules files with measurement(...)): one rule template and one script,
# run_measurement.py, which looks the measurement up by name in its section's registry,
# anatomy.<experiment>.measurements (its load, then MEASUREMENTS[name]). Included after every
# section's rules file.

for _name, _m in MEASUREMENT_RULES.items():
    # What the job runs: the entry's own measurement, the one it names, or its wildcard's.
    _runs = _m["runs"] or _name
    _functions = _m["functions"] or [_runs]
    _constraints = dict(_m["wildcards"])
    _stem = _m["logs"] or f"measure_{_name}"
    if isinstance(_runs, list):
        _stem = _m["logs"] or f"{_stem}/{{measurement}}"
        _constraints["measurement"] = "|".join(_runs)
        _runs = lambda w: w.measurement

    rule:
        name:
            f"measure_{_name}"
        input:
            **_m["subject"],
            # The runner's imports, and those of the functions this measurement runs.
            lib=measurement_library(_m["experiment"], *_functions),
        output:
            table=f"{_m['results']}.parquet",
            **({"tensors": f"{_m['results']}.pt"} if _m["tensors"] else {}),
            meta=f"{_m['results']}.json",
        log:
            f"{LOGS}/{_stem}.log",
        benchmark:
            f"{BENCHMARKS}/{_stem}.tsv"
        wildcard_constraints:
            **_constraints,
        params:
            run=(
                run_params(_m["experiment"], blocks=_m["block"])
                if isinstance(_m["block"], tuple)
                else run_params(_m["experiment"], _m["block"])
            ),
            experiment=_m["experiment"],
            measurement=_runs,
            **({"source": _m["source"]} if _m["source"] else {}),
        threads: _m["threads"]
        priority: _m["priority"]
        resources:
            mem_mb=_m["mem_mb"],
            **({"gpu": 1 if config["device"]["allow_cuda"] else 0} if _m["gpu"] else {}),
        conda:
            ENVS["pipeline"]
        script:
            "../scripts/run_measurement.py"
