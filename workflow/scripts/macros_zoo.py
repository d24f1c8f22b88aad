"""Macros for every number the zoo section quotes."""

import pandas as pd

from anatomy.pipeline.runtime import snakemake_job
from anatomy.report.latex import code, word_list, write_macros
from anatomy.zoo.settings import ZooSettings
from anatomy.zoo.summary import macro_values, parity_sentence, parity_verdict

with snakemake_job(snakemake):
    metrics = pd.read_parquet(snakemake.input.table)
    values = macro_values(metrics)
    s = ZooSettings.of(snakemake.params.settings)
    values |= {
        "zooSteps": s.training.steps,
        "zooRecallSteps": s.training.for_task("associative_recall").steps,
        "zooMaxSteps": s.training.for_task("max_retrieval").steps,
        "zooWidth": s.training.d_model,
        "zooLengthFactor": s.evaluation.length_factor,
        "zooSeeds": len(s.seeds),
        "zooEvalSamples": s.evaluation.samples,
    }
    rule = s.learnability
    learn = pd.read_parquet(snakemake.input.learnability)
    verdict = parity_verdict(learn, rule.learned, rule.failed, rule.margin_ratio)
    values |= {
        "zooLearnVerdict": verdict["verdict"],
        "zooLearnSentence": parity_sentence(verdict, rule.learned, rule.failed, rule.margin_ratio),
        "zooLearnSteps": rule.steps,
        "zooOperatorList": word_list([code(op) for op in dict.fromkeys(metrics.operator)]),
        "zooLearnLengths": ", ".join(str(n) for n in rule.lengths),
        "zooLearnMinN": min(rule.lengths),
        "zooLearnMaxN": max(rule.lengths),
    }
    write_macros(
        values,
        snakemake.output.tex,
        snakemake.output.values,
        "written by write_zoo_macros; do not edit",
    )
