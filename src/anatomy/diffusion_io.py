"""Loading a text-to-image UNet: our own trained checkpoints and real Stable Diffusion
through the same diffusers call (``from_pretrained(source, subfolder="unet")``)."""

from __future__ import annotations

from pathlib import Path


class PretrainedModelMissing(FileNotFoundError):
    """The weights are not on this machine; the message says what to download and where."""


def load_unet(source: str | Path, allow_network: bool = False):
    """A ``UNet2DConditionModel`` from a diffusers folder (``<source>/unet``) or a hub id.

    Without ``allow_network`` only local files are read, so a missing model fails at once.
    """
    from diffusers import UNet2DConditionModel

    try:
        return UNet2DConditionModel.from_pretrained(
            str(source), subfolder="unet", local_files_only=not allow_network
        )
    except (OSError, ValueError) as error:
        raise PretrainedModelMissing(
            f"no UNet at {source!r} (subfolder 'unet') on this machine. On a machine with "
            f"network, download it (for example `hf download {source} --include 'unet/*' "
            f"--local-dir models/sd15`) and set the config's diffusion.pretrained to that "
            f"folder; or allow network access. ({type(error).__name__})"
        ) from error
