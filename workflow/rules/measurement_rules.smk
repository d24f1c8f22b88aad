# One rule per entry of MEASUREMENT_RULES (filled by the sections' rules files): the generic
# run_measurement.py looks the measurement up by name in its section's registry,
# anatomy.<experiment>.measurements. Included after every section's rules file.

for _name, _m in MEASUREMENT_RULES.items():

    rule:
        name:
            f"measure_{_name}"
        input:
            # The runner's imports, and those of this measurement's function alone.
            lib=measurement_library(_m["experiment"], _name),
        output:
            table=result(_m["experiment"], _m["part"]),
            meta=result(_m["experiment"], _m["part"]).replace(".parquet", ".json"),
        log:
            f"{LOGS}/measure_{_name}.log",
        benchmark:
            f"{BENCHMARKS}/measure_{_name}.tsv"
        params:
            run=(
                run_params(_m["experiment"], blocks=_m["block"])
                if isinstance(_m["block"], tuple)
                else run_params(_m["experiment"], _m["block"])
            ),
            experiment=_m["experiment"],
            measurement=_name,
        threads: _m["threads"]
        priority: _m["priority"]
        resources:
            mem_mb=4000,
        conda:
            ENVS["pipeline"]
        script:
            "../scripts/run_measurement.py"
