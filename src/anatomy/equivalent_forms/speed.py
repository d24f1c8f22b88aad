"""Speed and memory of softmax and linear attention against sequence length.

Each (method, mode) runs in its own worker process, lengths in increasing order, so the
process's peak resident memory after length ``n`` is the peak of that length (on the CPU;
on CUDA the allocator's peak is reset per length). Times come from
``torch.utils.benchmark.Timer.blocked_autorange``. A method that a backend does not offer
on this device is skipped, with the reason in the table.

Methods (one head, batch 1, width ``d``): PyTorch ``scaled_dot_product_attention`` with each
backend forced through ``torch.nn.attention.sdpa_kernel``; the manual softmax path
(``softmax(q k^T / sqrt d) v``); linear attention with elu+1 features; FAVOR+ with ``m``
positive features; and the causal pair: SDPA with ``is_causal`` against chunked causal
linear attention. Decoding: the cost per new token against the prefix length, for a KV
cache (softmax) and for the recurrent state of linear attention.
"""

from __future__ import annotations

import json
import math
import resource
import subprocess
import sys

import pandas as pd
import torch
import torch.nn.functional as F
from torch.utils import benchmark

from anatomy.core import operators
from anatomy.core import random_features as rf
from anatomy.equivalent_forms.settings import Speed

SDPA_BACKENDS = ("math", "flash", "efficient", "cudnn")
NONCAUSAL = [f"sdpa_{b}" for b in SDPA_BACKENDS] + ["manual_softmax", "linear", "favor"]
CAUSAL = ["sdpa_causal", "linear_causal_chunked"]
METHODS = NONCAUSAL + CAUSAL
MODES = ("forward", "forward_backward")


def _sdpa(backend: str, causal: bool = False):
    from torch.nn.attention import SDPBackend, sdpa_kernel

    chosen = {
        "math": SDPBackend.MATH,
        "flash": SDPBackend.FLASH_ATTENTION,
        "efficient": SDPBackend.EFFICIENT_ATTENTION,
        "cudnn": SDPBackend.CUDNN_ATTENTION,
    }[backend]

    def run(q, k, v):
        with sdpa_kernel(chosen):
            return F.scaled_dot_product_attention(q, k, v, is_causal=causal)

    return run


def attention_function(method: str, features: int, chunk: int, d: int, device: str):
    """``(q, k, v) -> out`` for one method; inputs ``(1, 1, n, d)``."""
    if method.startswith("sdpa_") and method != "sdpa_causal":
        return _sdpa(method.removeprefix("sdpa_"))
    if method == "sdpa_causal":

        def causal(q, k, v):
            return F.scaled_dot_product_attention(q, k, v, is_causal=True)

        return causal
    if method == "manual_softmax":
        return lambda q, k, v: torch.softmax(q @ k.transpose(-2, -1) / math.sqrt(d), -1) @ v
    if method == "linear":
        phi = operators.get("linear_elu").kernel.features  # elu + 1
        return lambda q, k, v: rf.linear_attention(phi(q), phi(k), v)
    if method == "favor":
        g = torch.Generator().manual_seed(0)
        w = rf.draw_projection(features, d, "orthogonal", g, torch.float32).to(device)
        return lambda q, k, v: rf.favor_attention(q, k, v, w)
    if method == "linear_causal_chunked":
        linear = operators.get("linear_elu")
        return lambda q, k, v: linear.causal(q, k, v, "chunked", chunk)
    raise ValueError(f"unknown method {method!r} (allowed: {', '.join(METHODS)})")


def _peak_mib(device: str, baseline_kib: int) -> float:
    if device.startswith("cuda"):
        return torch.cuda.max_memory_allocated() / 2**20
    return (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - baseline_kib) / 1024


def sweep_one(spec: dict) -> list[dict]:
    """One (method, mode) over every length, in this process."""
    torch.set_num_threads(spec["threads"])
    device, d, method, mode = spec["device"], spec["d"], spec["method"], spec["mode"]
    fn = attention_function(method, spec["features"], spec["chunk"], d, device)
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    g = torch.Generator().manual_seed(0)
    rows = []
    for n in spec["lengths"]:
        row = {"method": method, "mode": mode, "n": n}
        q, k, v = (torch.randn(1, 1, n, d, generator=g).to(device) for _ in range(3))
        if mode == "forward_backward":
            for t in (q, k, v):
                t.requires_grad_(True)

            def step(q=q, k=k, v=v):
                fn(q, k, v).sum().backward()
        else:

            def step(q=q, k=k, v=v):
                with torch.no_grad():
                    fn(q, k, v)

        if device.startswith("cuda"):
            torch.cuda.synchronize()
            torch.cuda.reset_peak_memory_stats()
        try:
            step()
        except RuntimeError as error:  # a backend this device does not offer
            rows.append(
                {
                    **row,
                    "seconds": math.nan,
                    "peak_mib": math.nan,
                    "skipped": str(error).splitlines()[0][:120],
                }
            )
            break
        timer = benchmark.Timer("step()", globals={"step": step}, num_threads=spec["threads"])
        measured = timer.blocked_autorange(min_run_time=spec["min_run_time"])
        rows.append(
            {
                **row,
                "seconds": measured.median,
                "peak_mib": _peak_mib(device, baseline),
                "skipped": "",
            }
        )
        del q, k, v
    return rows


def speed_sweep(s: Speed, threads: int, device: str) -> pd.DataFrame:
    """Every (method, mode) in a fresh worker process; returns one row per length."""
    lengths = [2**p for p in range(s.n_min_log2, s.n_max_log2 + 1)]
    rows = []
    for method in METHODS:
        for mode in MODES:
            spec = {
                "method": method,
                "mode": mode,
                "lengths": lengths,
                "d": s.d,
                "features": s.features,
                "chunk": s.chunk,
                "threads": threads,
                "device": device,
                "min_run_time": s.min_run_time,
            }
            done = subprocess.run(
                [sys.executable, "-m", "anatomy.equivalent_forms.speed", json.dumps(spec)],
                capture_output=True,
                text=True,
                check=False,
            )
            if done.returncode != 0:
                raise RuntimeError(f"speed worker {method}/{mode} failed:\n{done.stderr[-2000:]}")
            rows += json.loads(done.stdout.strip().splitlines()[-1])
    table = pd.DataFrame(rows)
    table["causal"] = table.method.isin(CAUSAL)
    return table


def _kv_cache_step(cache_k, cache_v, q, k, v, n: int):
    """One decoding step with a KV cache: store the new key and value (pre-allocated slot
    ``n``), attend over all ``n + 1``."""

    def step():
        cache_k[n], cache_v[n] = k, v
        w = torch.softmax(cache_k @ q / math.sqrt(q.shape[-1]), 0)
        return w @ cache_v

    return step


def _recurrent_step(state, norm, q, k, v):
    """One decoding step of linear attention: update ``(S, z)``, read it with the query."""

    def step():
        fk, fq = F.elu(k) + 1, F.elu(q) + 1
        state.add_(torch.outer(fk, v))
        norm.add_(fk)
        return (fq @ state) / (fq @ norm)

    return step


def decoding_sweep(s: Speed, threads: int, device: str) -> pd.DataFrame:
    """Time to produce one token after a prefix of length ``n``: attend over a KV cache, or
    update and read the recurrent state; with the bytes each keeps."""
    torch.set_num_threads(threads)
    d = s.d
    g = torch.Generator().manual_seed(0)
    rows = []
    for n in [2**p for p in range(s.n_min_log2, s.n_max_log2 + 1)]:
        cache_k, cache_v = (torch.randn(n + 1, d, generator=g).to(device) for _ in range(2))
        state, norm = torch.zeros(d, d, device=device), torch.zeros(d, device=device)
        q, k, v = (torch.randn(d, generator=g).to(device) for _ in range(3))

        kv_cache = _kv_cache_step(cache_k, cache_v, q, k, v, n)
        recurrent = _recurrent_step(state, norm, q, k, v)
        for method, fn, size in (
            ("kv_cache", kv_cache, 2 * (n + 1) * d * 4),
            ("recurrent_state", recurrent, (d * d + d) * 4),
        ):
            timer = benchmark.Timer("fn()", globals={"fn": fn}, num_threads=threads)
            t = timer.blocked_autorange(min_run_time=s.min_run_time).median
            rows.append({"method": method, "prefix": n, "seconds": t, "state_bytes": size})
    return pd.DataFrame(rows)


def crossover(table: pd.DataFrame) -> pd.DataFrame:
    """Per mode: the shortest length from which each linear method is faster than the best
    softmax of the same kind (non-causal: any SDPA backend or the manual path; causal: SDPA
    with ``is_causal``), staying faster at every longer length; None if never."""
    timed = table[table.skipped == ""]
    pairs = {
        "linear": NONCAUSAL[:-2],
        "favor": NONCAUSAL[:-2],
        "linear_causal_chunked": ["sdpa_causal"],
    }
    rows = []
    for mode in MODES:
        t = timed[timed["mode"] == mode].pivot_table(index="n", columns="method", values="seconds")
        for linear, softmaxes in pairs.items():
            present = [m for m in softmaxes if m in t]
            if linear not in t or not present:
                continue
            best = t[present].min(axis=1)
            faster = t[linear] < best
            crossing = None
            for n in sorted(t.index, reverse=True):
                if not faster[n]:
                    break
                crossing = int(n)
            longest = int(t.index.max())
            rows.append(
                {
                    "mode": mode,
                    "method": linear,
                    "against": ", ".join(present),
                    "crossover": crossing,
                    "speedup_at_longest": float(best[longest] / t.loc[longest, linear]),
                    "longest": longest,
                }
            )
    return pd.DataFrame(rows)


if __name__ == "__main__":
    print(json.dumps(sweep_one(json.loads(sys.argv[1]))))
