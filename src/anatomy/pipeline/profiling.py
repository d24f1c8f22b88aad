"""Where a training step's time goes: the three models of the note at a profile's sizes.

Usage: ``python -m anatomy.pipeline.profiling [zoo|vit|diffusion ...] [--config config/default.yaml]
[--steps 20] [--threads 1 2] [--ops 12] [--device cuda]``. For each model and thread count it
trains a few warm-up steps, then times ``--steps`` steps of the one training loop
(``anatomy.core.training``), and prints the seconds per step and, on the CPU, torch's profiler
table of the most expensive operators (self CPU time). The README's "How long it takes" and
"A GPU" quote what it found.
"""

from __future__ import annotations

import argparse
import time

from anatomy.pipeline.config import load_profile


def _zoo(settings: dict, steps: int, device: str = "cpu"):
    from dataclasses import replace

    from anatomy.zoo import runs as zoo
    from anatomy.zoo.settings import Training

    copy = Training.of(settings["zoo"]["training"]).for_task("copy")
    training = replace(copy, steps=steps, log_every=max(1, steps))
    seeds = settings["zoo"]["seeds"]  # one step trains every seed of a cell (a stack)
    return lambda: zoo.train("copy", "softmax", training, seeds, device=device)


def _vit(settings: dict, steps: int, device: str = "cpu"):
    from anatomy.vit import data as vit_data
    from anatomy.vit import models as vit
    from anatomy.vit.settings import ViTSettings

    s = ViTSettings.of(settings["vit"])
    data = vit_data.make_dataset(512, 4, s.data.size, 0, s.data.radius)
    spec = vit.ModelSpec("softmax", s.reference_patch)
    t = s.training

    def run():
        model = vit.build_from_spec(spec, s.data.size, s.model).to(device)
        return vit.train(
            model,
            vit_data.training_sampler(data),
            steps,
            t.batch,
            t.learning_rate,
            seed=0,
            warmup=min(t.warmup, steps - 1),
            log_every=max(1, steps),
            device=device,
        )

    return run


def _diffusion(settings: dict, steps: int, device: str = "cpu"):
    from dataclasses import replace

    from anatomy.diffusion import model as diffusion
    from anatomy.diffusion.settings import DiffusionSettings

    s = DiffusionSettings.of(settings["diffusion"])
    t = replace(s.training, warmup=min(s.training.warmup, steps - 1))
    return lambda: diffusion.train(s.data, s.model, t, "base", steps, seed=0, device=device)


MODELS = {"zoo": _zoo, "vit": _vit, "diffusion": _diffusion}


def seconds_per_step(
    kind: str, settings: dict, steps: int, threads: int, device: str = "cpu"
) -> float:
    """Wall seconds per training step on ``threads`` threads: a run of ``steps + 2`` steps
    less a run of 2, so that building the model and the first touch of every kernel cancel
    (a first 2-step run warms the process up)."""
    import torch

    torch.set_num_threads(threads)

    def timed(n: int) -> float:
        run = MODELS[kind](settings, n, device)
        start = time.perf_counter()
        run()
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        return time.perf_counter() - start

    timed(2)
    return max(0.0, (timed(steps + 2) - timed(2)) / steps)


def operator_table(kind: str, settings: dict, steps: int, threads: int, rows: int) -> str:
    import torch
    from torch.profiler import ProfilerActivity, profile

    torch.set_num_threads(threads)
    run = MODELS[kind](settings, steps)
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        run()
    return prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="*", default=list(MODELS), choices=list(MODELS))
    parser.add_argument("--config", default="config/default.yaml")
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--ops", type=int, default=12, help="profiler rows (0: no table)")
    parser.add_argument("--device", default="cpu", help="cpu or cuda (no profiler table)")
    args = parser.parse_args(argv)
    settings = load_profile(args.config)
    for kind in args.models:
        for threads in args.threads:
            per_step = seconds_per_step(kind, settings, args.steps, threads, args.device)
            print(
                f"{kind}: {per_step * 1000:.1f} ms per step on {threads} thread(s), "
                f"{args.device}, {args.config}",
                flush=True,
            )
        if args.ops and args.device == "cpu":
            print(operator_table(kind, settings, args.steps, args.threads[-1], args.ops))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
