"""Loading a text-to-image UNet: our own trained checkpoints and real Stable Diffusion
through the same diffusers call (``from_pretrained(source, subfolder="unet")``)."""

from __future__ import annotations

from pathlib import Path


class PretrainedModelMissing(FileNotFoundError):
    """The weights are not on this machine; the message says what to download and where."""


SD_REPO = "stable-diffusion-v1-5/stable-diffusion-v1-5"


def is_ours(source: str | Path) -> bool:
    """A model this pipeline trained (``anatomy.json`` beside its subfolders)."""
    return (Path(source) / "anatomy.json").exists()


def unreadable_model(source: str | Path, error: Exception) -> OSError:
    """The error for a model folder that exists but cannot be loaded: our own names its
    damaged file and the command that retrains it; a downloaded one, the download."""
    from anatomy.core.artifacts import UnreadableFile, first_unreadable

    if is_ours(source):
        return first_unreadable([source]) or UnreadableFile(
            source, f"{type(error).__name__}: {str(error).splitlines()[0]}"
        )
    return PretrainedModelMissing(
        f"the model folder {source} cannot be loaded ({type(error).__name__}); download it "
        f"again: `hf download {SD_REPO} --local-dir {source}`"
    )


def load_unet(source: str | Path, allow_network: bool = False):
    """A ``UNet2DConditionModel`` from a diffusers folder (``<source>/unet``) or a hub id.

    Without ``allow_network`` only local files are read, so a missing model fails at once.
    """
    from diffusers import UNet2DConditionModel

    try:
        return UNet2DConditionModel.from_pretrained(
            str(source), subfolder="unet", local_files_only=not allow_network
        )
    except (OSError, ValueError, RuntimeError) as error:
        if Path(source).is_dir():
            raise unreadable_model(source, error) from error
        hub_id = not Path(source).is_absolute() and str(source).count("/") == 1
        repo, folder = (source, f"models/{Path(str(source)).name}") if hub_id else (SD_REPO, source)
        raise PretrainedModelMissing(
            f"no UNet at {source!r} (subfolder 'unet') on this machine. On a machine with "
            f"network, download it (`hf download {repo} --local-dir {folder}`) and set the "
            f"config's diffusion.pretrained to {folder}. ({type(error).__name__})"
        ) from error
