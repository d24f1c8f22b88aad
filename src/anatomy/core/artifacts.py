"""Reading the pipeline's own files, and naming the one that cannot be read.

A result table, checkpoint or saved model that was truncated (a full disk, a copy cut short)
or corrupted must not end in a bare ``OSError`` or a blame on the code that read it: the
error names the file and the command that makes it again. Checkpoints are loaded with
``weights_only=True``: they hold tensors and plain Python values, never pickled objects.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path


class UnreadableFile(OSError):
    """A file the pipeline wrote cannot be read; ``str()`` is one line naming the fix."""

    def __init__(self, path: str | Path, why: str, target: str | Path | None = None):
        self.path = str(path)
        # A file inside a saved model folder is made again with its folder, the rule's output.
        self.target = str(target or path)
        super().__init__(
            f"{self.path} cannot be read ({why}); make it again with: "
            f"snakemake --cores 2 -f {self.target}"
        )


def load_torch(path: str | Path, map_location: str = "cpu"):
    """``torch.load`` of one of our checkpoints (tensors and plain values only)."""
    import torch

    path = Path(path)
    if not path.exists():
        raise UnreadableFile(path, "it does not exist")
    if not zipfile.is_zipfile(path):
        raise UnreadableFile(path, "not a complete torch file: truncated or overwritten")
    try:
        return torch.load(path, map_location=map_location, weights_only=True)
    except Exception as error:  # torch raises RuntimeError, UnpicklingError, EOFError ...
        raise UnreadableFile(path, f"{type(error).__name__}: {error}".split("\n")[0]) from error


def read_table(path: str | Path):
    """A result table (parquet) as a DataFrame."""
    import pandas as pd

    problem = _parquet_problem(Path(path))
    if problem:
        raise UnreadableFile(path, problem)
    return pd.read_parquet(path)


def _parquet_problem(path: Path) -> str | None:
    import pyarrow.parquet as pq

    try:
        pq.read_metadata(path)  # reads the footer: a truncated file has none
    except Exception as error:
        return f"not a complete parquet file: {type(error).__name__}"
    return None


def _torch_problem(path: Path) -> str | None:
    if not zipfile.is_zipfile(path):
        return "not a complete torch file: truncated or overwritten"
    try:
        with zipfile.ZipFile(path) as archive:
            bad = archive.testzip()
    except (zipfile.BadZipFile, OSError) as error:
        return f"damaged torch file: {error}"
    return f"damaged torch file: {bad} fails its checksum" if bad else None


def _json_problem(path: Path) -> str | None:
    try:
        json.loads(path.read_text())
    except (ValueError, UnicodeDecodeError) as error:
        return f"not valid JSON: {error}"
    return None


def _safetensors_problem(path: Path) -> str | None:
    from safetensors import safe_open

    try:
        with safe_open(str(path), framework="pt") as handle:
            for key in handle.keys():
                handle.get_slice(key)
    except Exception as error:
        return f"damaged safetensors file: {type(error).__name__}"
    return None


CHECKS = {
    ".parquet": _parquet_problem,
    ".pt": _torch_problem,
    ".json": _json_problem,
    ".safetensors": _safetensors_problem,
}


def problem(path: str | Path) -> str | None:
    """Why ``path`` cannot be read, or None (also for kinds of file not checked here)."""
    path = Path(path)
    if not path.exists():
        return None  # Snakemake names missing inputs itself
    check = CHECKS.get(path.suffix)
    try:
        return check(path) if check else None
    except OSError as error:
        return f"{type(error).__name__}: {error}"


def first_unreadable(paths) -> UnreadableFile | None:
    """The first of a job's input files (folders searched) that cannot be read."""
    for item in paths:
        item = Path(item)
        files = sorted(p for p in item.rglob("*") if p.is_file()) if item.is_dir() else [item]
        for file in files:
            why = problem(file)
            if why:
                return UnreadableFile(file, why, target=item)
    return None


# Pretrained weights from a hub, downloaded by hand into a folder (the pipeline never downloads).
WEIGHT_FILES = ("{name}/model.safetensors", "{name}.safetensors", "{name}.pth", "{name}.bin")


def pretrained_file(folder: str | Path, name: str) -> Path:
    """Where a model's weights sit in ``folder``: ``<name>/model.safetensors`` (as ``hf
    download --local-dir <folder>/<name>`` writes it) or ``<name>.safetensors/.pth/.bin``;
    the first of these when none exists (loading it then says what to download)."""
    candidates = [Path(folder) / pattern.format(name=name) for pattern in WEIGHT_FILES]
    return next((c for c in candidates if c.exists()), candidates[0])
