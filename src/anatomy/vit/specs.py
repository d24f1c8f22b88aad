"""The ViT experiment's models by name, without torch: which tiny ViTs the settings ask for
(:func:`experiment_specs`, :func:`token_sweep_specs`) and each one's name, the rule wildcard
(:class:`ModelSpec`). The rules file, the training script and the section's summary read them;
:mod:`anatomy.vit.models` builds and trains them."""

from __future__ import annotations

import re
from dataclasses import dataclass

from anatomy.vit.settings import TokenSweep, ViTSettings


@dataclass(frozen=True)
class ModelSpec:
    """One trained ViT of the experiment: its operator, patch size, register tokens and, for
    the patch sweep at a fixed token count, an image size of its own (0: the experiment's).
    Its name (``softmax_p4``, ``sparsemax_p4``, ``softmax_p4_reg4``, ``softmax_p8_s48``) is
    the rule wildcard."""

    operator: str
    patch: int
    registers: int = 0
    size: int = 0

    @property
    def name(self) -> str:
        base = f"{self.operator}_p{self.patch}" + (f"_s{self.size}" if self.size else "")
        return base + (f"_reg{self.registers}" if self.registers else "")

    @classmethod
    def parse(cls, name: str) -> ModelSpec:
        match = re.fullmatch(r"(\w+?)_p(\d+)(?:_s(\d+))?(?:_reg(\d+))?", name)
        if match is None:
            raise ValueError(f"not a ViT model name: {name!r}")
        operator, patch, size, registers = match.groups()
        return cls(operator, int(patch), int(registers or 0), int(size or 0))

    def image_size(self, data_size: int) -> int:
        """The side of its images in pixels (``data_size``: the experiment's)."""
        return self.size or data_size


def model_specs(
    patch_sizes, reference_patch: int, contrast_operator: str, registers: int
) -> list[ModelSpec]:
    """The experiment's models: softmax at every patch size, then the sparse-normalizer
    contrast and the register-token model at the reference patch size."""
    specs = [ModelSpec("softmax", p) for p in patch_sizes]
    specs.append(ModelSpec(contrast_operator, reference_patch))
    specs.append(ModelSpec("softmax", reference_patch, registers))
    return specs


def experiment_specs(s: ViTSettings) -> list[ModelSpec]:
    """:func:`model_specs` of the experiment's settings."""
    return model_specs(s.patch_sizes, s.reference_patch, s.contrast_operator, s.registers)


def token_sweep_specs(sweep: TokenSweep, data_size: int) -> list[ModelSpec]:
    """The patch sweep at a fixed token count: softmax models on a ``grid x grid`` token grid,
    at the experiment's image size (``data_size``) and at each of ``sweep.sizes`` (patch =
    size / grid), so that the patch size changes while the sequence length does not. The first
    is the experiment's own model at that grid."""
    grid, base = sweep.grid, data_size
    specs = []
    for size in [base, *sweep.sizes]:
        if size % grid:
            raise ValueError(f"vit.token_sweep: image size {size} is not a multiple of grid {grid}")
        specs.append(ModelSpec("softmax", size // grid, size=0 if size == base else size))
    return specs
