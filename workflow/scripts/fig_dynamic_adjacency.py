"""Figure: attention = a dynamic adjacency matrix + value aggregation. For each compared zoo
operator (its first training seed) and each of two inputs: the last layer's attention drawn as
a weighted graph over the tokens, beside the same weights as a matrix."""

import math

import matplotlib.pyplot as plt

from anatomy.core.artifacts import load_torch
from anatomy.pipeline.runtime import snakemake_job
from anatomy.report import plotting
from anatomy.zoo.tasks import FEATURES, GROUPS, KEYS, MAGNITUDES, VALUES, max_item

with snakemake_job(snakemake):
    blob = load_torch(snakemake.input.tables[0])
    first = min(entry["seed"] for entry in blob["maps"])
    maps = [entry for entry in blob["maps"] if entry["seed"] == first]
    examples = maps[0]["weights"].shape[0]
    plotting.theme()
    fig, axes = plt.subplots(
        len(maps), 2 * examples, figsize=(3.0 * examples * 2, 2.9 * len(maps)), squeeze=False
    )

    def labels(tokens):
        """Max-retrieval: items show ``group:magnitude``, queries ``?group``. Recall: pairs show
        ``key:value``, queries ``?key``."""
        if blob["task"] == "max_retrieval":
            queries = GROUPS * MAGNITUDES * FEATURES
            return [
                "{}:{}".format(*max_item(int(t))[:2]) if t < queries else f"?{int(t) - queries}"
                for t in tokens
            ]
        if blob["task"] == "associative_recall":
            return [
                f"{int(t) // VALUES}:{int(t) % VALUES}"
                if t < KEYS * VALUES
                else f"?{int(t) - KEYS * VALUES}"
                for t in tokens
            ]
        return [str(int(t)) for t in tokens]

    for row, entry in enumerate(maps):
        for e in range(examples):
            w = entry["weights"][e].double()  # (L, L): row = query, column = key
            names = labels(entry["tokens"][e])
            n = w.shape[0]
            angle = [2 * math.pi * i / n for i in range(n)]
            xy = [(math.cos(a), math.sin(a)) for a in angle]
            graph, matrix = axes[row, 2 * e], axes[row, 2 * e + 1]
            for i in range(n):  # edges key j -> query i; the query token's edges in colour
                for j in range(n):
                    weight = float(w[i, j])
                    if i == j or weight < 0.02:
                        continue
                    last = i == n - 1
                    graph.annotate(
                        "",
                        xy=xy[i],
                        xytext=xy[j],
                        arrowprops=dict(
                            arrowstyle="-|>",
                            lw=0.4 + 3.0 * weight,
                            shrinkA=7,
                            shrinkB=7,
                            color="tab:red" if last else "0.55",
                            alpha=min(1.0, 0.25 + weight),
                        ),
                    )
            source = int(entry["source"][e][-1])
            for i, (x, y) in enumerate(xy):
                face = "tab:red" if i == n - 1 else ("gold" if i == source else "white")
                graph.scatter([x], [y], s=210, color=face, edgecolor="black", zorder=3, lw=0.6)
                graph.text(
                    x, y, names[i], ha="center", va="center", fontsize=plotting.SMALL, zorder=4
                )
            graph.set(xlim=(-1.35, 1.35), ylim=(-1.35, 1.35), aspect="equal", xticks=[], yticks=[])
            graph.grid(False)
            ok = bool(entry["correct"][e].all())
            graph.set_title(
                f"{entry['operator']}, input {e + 1} ({'right' if ok else 'wrong'})", fontsize=8
            )
            im = matrix.imshow(w.numpy(), vmin=0, vmax=1, cmap="magma_r")
            matrix.set_xticks(range(n), names, fontsize=plotting.SMALL)
            matrix.set_yticks(range(n), names, fontsize=plotting.SMALL)
            matrix.set_xlabel("key", fontsize=7)
            matrix.set_ylabel("query", fontsize=7)
            matrix.grid(False)
            matrix.set_title("adjacency (weights)", fontsize=8)
    fig.subplots_adjust(hspace=0.4, wspace=0.3)
    fig.colorbar(im, ax=axes[:, -1].tolist(), shrink=0.6, label="attention weight")
    plotting.save(fig, snakemake.output.pdf, snakemake.output.png)
