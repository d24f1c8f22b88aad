"""Validate the pipeline configuration against its JSON schema, with one-line errors.

Snakemake's own ``validate`` prints the whole schema on a failure; a researcher who typed
``--config sharpness='{gap: -1}'`` wants one line that names the key and what it may be.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsonschema
import yaml


class ConfigError(ValueError):
    """A configuration value the schema rejects; ``str()`` is a single line."""


def load_schema(path: str | Path) -> dict:
    return yaml.safe_load(Path(path).read_text())


CONFIG_DIR = Path(__file__).resolve().parents[3] / "config"
BASE_PROFILE = "default"


def merge(base: dict, delta: dict) -> dict:
    """``base`` updated by ``delta`` as Snakemake merges a ``--configfile`` over the
    Snakefile's (its own ``update_config``): a nested mapping updates key by key, anything
    else (a list, a number) replaces the value. Neither argument is changed."""
    import copy

    from snakemake.utils import update_config

    out = copy.deepcopy(base)
    update_config(out, delta)
    return out


def load_profile(profile: str | Path, config_dir: str | Path = CONFIG_DIR) -> dict:
    """A profile's whole configuration: ``config/default.yaml`` with the profile's file (which
    states only what differs) merged over it, as ``snakemake --configfile config/<profile>.yaml``
    sees it. ``profile`` is a name (``smoke``) or a path to a YAML file."""
    config_dir = Path(config_dir)
    path = Path(profile) if str(profile).endswith((".yaml", ".yml")) else None
    path = path or config_dir / f"{profile}.yaml"
    base = yaml.safe_load((config_dir / f"{BASE_PROFILE}.yaml").read_text())
    return merge(base, yaml.safe_load(path.read_text()) or {})


def _key(path) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "<top level>"


def _allowed(error: jsonschema.ValidationError) -> str:
    """What the schema would have accepted at the failing place, in words."""
    schema = error.schema if isinstance(error.schema, dict) else {}
    validator, value = error.validator, error.validator_value
    if validator == "additionalProperties":
        return "allowed keys: " + ", ".join(sorted(schema.get("properties", {})))
    if validator == "enum":
        return "allowed values: " + ", ".join(map(str, value))
    if validator == "required":
        return "required keys: " + ", ".join(value)
    words = {
        "minimum": ">= {}",
        "maximum": "<= {}",
        "exclusiveMinimum": "> {}",
        "exclusiveMaximum": "< {}",
        "minItems": "at least {} items",
        "maxItems": "at most {} items",
        "type": "type {}",
        "uniqueItems": "no repeated items",
    }
    allowed = [fmt.format(schema[k]) for k, fmt in words.items() if k in schema]
    if schema.get("description"):
        allowed.append(schema["description"].rstrip("."))
    return "allowed: " + "; ".join(allowed) if allowed else ""


def describe(error: jsonschema.ValidationError) -> str:
    """One line: ``config key <key> = <value>: <problem> (<allowed>)``."""
    if error.validator == "additionalProperties":
        known = set(error.schema.get("properties", {}))
        unknown = sorted(k for k in error.instance if k not in known)
        where = _key(error.absolute_path)
        names = ", ".join(f"{where}.{k}" if error.absolute_path else k for k in unknown)
        return f"config: unknown key {names} ({_allowed(error)})"
    value = error.instance
    shown = repr(value) if not isinstance(value, dict) else "{...}"
    problem = error.message.split("\n")[0]
    if len(problem) > 120:
        problem = problem[:117] + "..."
    allowed = _allowed(error)
    return f"config: {_key(error.absolute_path)} = {shown}: {problem}" + (
        f" ({allowed})" if allowed else ""
    )


def validate(config: dict[str, Any], schema: dict) -> None:
    """Raise :class:`ConfigError` with a one-line message for the first (best) error."""
    validator = jsonschema.Draft202012Validator(schema)
    error = jsonschema.exceptions.best_match(validator.iter_errors(config))
    if error is not None:
        raise ConfigError(describe(error))


# (block path, lower key, upper key): pairs that must be ordered.
ORDERED_PAIRS = [
    (("softmax_constraints", "sharpness"), "n_min_log2", "n_max_log2"),
    (("expressivity", "sensitivity"), "n_min_log2", "n_max_log2"),
    (("expressivity", "lipschitz"), "scale_min", "scale_max"),
    (("expressivity", "hopfield"), "beta_min", "beta_max"),
    (("equivalent_forms", "features"), "m_min_log2", "m_max_log2"),
    (("equivalent_forms", "speed"), "n_min_log2", "n_max_log2"),
]


def check_relations(config: dict[str, Any]) -> None:
    """Every constraint between keys that JSON Schema cannot state (the schema's descriptions
    say them in words), checked here, in one place, before any job is planned."""
    for path, low, high in ORDERED_PAIRS:
        block = config
        for key in path:
            block = block[key]
        if block[low] > block[high]:
            where = ".".join(path)
            raise ConfigError(
                f"config: {where}.{low} = {block[low]}: must be <= {high} = {block[high]}"
            )
    if "zoo" in config:
        check_zoo(config["zoo"])
    enabled = set(config.get("experiments", []))
    if "equivalent_forms" in enabled and "zoo" in config:
        check_layer_b_reads_the_zoo(config["equivalent_forms"], config["zoo"])
    if "vit" in enabled:
        check_vit(config["vit"])
    if "diffusion" in enabled:
        check_diffusion(config["diffusion"])


def _divides(heads: int, width: int, where: str, name: str) -> None:
    if width % heads:
        raise ConfigError(f"config: {where} = {heads}: does not divide {name} = {width}")


def _warmup(training: dict, where: str) -> None:
    if training["warmup"] >= training["steps"]:
        raise ConfigError(
            f"config: {where}.warmup = {training['warmup']}: must be fewer than "
            f"steps = {training['steps']}"
        )


def check_zoo(zoo: dict[str, Any]) -> None:
    training = zoo["training"]
    _divides(training["heads"], training["d_model"], "zoo.training.heads", "d_model")


def check_layer_b_reads_the_zoo(eq: dict[str, Any], zoo: dict[str, Any]) -> None:
    """The adjacency figure and the recall table read the zoo: what they name must be in it."""
    needs = {
        "adjacency.task": eq["adjacency"]["task"],
        "recall.content_task": eq["recall"]["content_task"],
        "recall.position_task": eq["recall"]["position_task"],
    }
    for key, task in needs.items():
        if task not in zoo["tasks"]:
            raise ConfigError(
                f"config: equivalent_forms.{key} = {task}: not a zoo task (zoo.tasks: "
                f"{', '.join(zoo['tasks'])})"
            )
    # The adjacency operators against the zoo's: in zoo.smk, where the registry (with its
    # plugins) is known.


def diffusion_model_available(source: str) -> bool:
    """A Stable Diffusion folder with ``unet/`` on this machine, or a hub id (``owner/name``)
    already in the local Hugging Face cache: the two that load without network."""
    if (Path(source) / "unet").is_dir():
        return True
    if source.count("/") != 1 or source.startswith((".", "/", "~")):
        return False
    from huggingface_hub import try_to_load_from_cache

    return isinstance(try_to_load_from_cache(source, "unet/config.json"), str)


def attention_levels(attention, channels) -> list[bool]:
    """``diffusion.model.attention``, one entry per level of ``channels`` with at least one
    true."""
    attention, channels = list(attention), list(channels)
    if len(attention) != len(channels) or not any(attention):
        raise ConfigError(
            f"config: diffusion.model.attention = {attention}: needs one entry per channel level "
            f"({len(channels)}: {channels}), at least one of them true"
        )
    return attention


def check_diffusion(diffusion: dict[str, Any]) -> None:
    model, training = diffusion["model"], diffusion["training"]
    for channels in model["channels"]:
        _divides(model["heads"], channels, "diffusion.model.heads", "a channel count")
    _warmup(training, "diffusion.training")
    _warmup(dict(training, steps=training["variant_steps"]), "diffusion.training")
    attention = attention_levels(model["attention"], model["channels"])
    # The mid block always attends at the coarsest level; the layer prompts (P+) compare two.
    if diffusion["pretrained"] is None and not any(attention[:-1]):
        raise ConfigError(
            f"config: diffusion.model.attention = {attention}: cross-attention at one resolution "
            "only; the layer analyses compare at least two (set an entry before the last true)"
        )
    downsample = 2 ** (len(model["channels"]) - 1)
    if diffusion["pretrained"] is None and diffusion["data"]["size"] % downsample:
        raise ConfigError(
            f"config: diffusion.data.size = {diffusion['data']['size']}: must be a multiple of "
            f"{downsample} (the UNet halves it {len(model['channels']) - 1} times)"
        )
    from anatomy.core.operators import get, names  # plugins registered on import

    if diffusion["pretrained"] is None and "uniform" not in diffusion["variants"]:
        raise ConfigError(
            f"config: diffusion.variants = {diffusion['variants']}: must hold uniform (the "
            "section's routing comparison reads it); add pooled and other variants beside it"
        )
    for variant in diffusion["variants"]:
        if variant in ("pooled", "uniform"):
            continue
        if variant not in names():
            raise ConfigError(
                f"config: diffusion.variants: {variant!r} is neither pooled, uniform nor a "
                f"registered operator ({', '.join(names())})"
            )
        if get(variant).kernel.tied_qk:
            raise ConfigError(
                f"config: diffusion.variants: {variant!r} ties queries to keys, which "
                "cross-attention (queries from the image, keys from the text) cannot do"
            )
    trained = ["base_short", *diffusion["variants"]]
    for name in diffusion["layer_map_variants"]:
        if name not in trained:
            raise ConfigError(
                f"config: diffusion.layer_map_variants: {name!r} is not a trained model of the "
                f"variants' budget (one of {trained})"
            )
    pretrained = diffusion["pretrained"]
    if pretrained is not None and not diffusion_model_available(pretrained):
        raise ConfigError(
            f"config: diffusion.pretrained = {pretrained}: no such model folder (with unet/) on "
            f"this machine, nor a hub model in its cache; download it first, e.g. `hf download "
            f"stable-diffusion-v1-5/stable-diffusion-v1-5 --local-dir {pretrained}`"
        )


def check_vit(vit: dict[str, Any]) -> None:
    """Patch sizes that tile the image, a reference patch among them, a token sweep whose
    image sizes its grid tiles, whole heads."""
    size = vit["data"]["size"]
    for patch in vit["patch_sizes"]:
        if size % patch:
            raise ConfigError(
                f"config: vit.patch_sizes: {patch} does not divide data.size = {size}"
            )
    if vit["reference_patch"] not in vit["patch_sizes"]:
        raise ConfigError(
            f"config: vit.reference_patch = {vit['reference_patch']}: not one of"
            f" patch_sizes {vit['patch_sizes']}"
        )
    from anatomy.core.operators import names  # plugins registered on import

    if vit["contrast_operator"] == "softmax":
        raise ConfigError(
            "config: vit.contrast_operator = 'softmax': the contrast is another normalizer than "
            "the reference model's"
        )
    if vit["contrast_operator"] not in names():
        raise ConfigError(
            f"config: vit.contrast_operator = {vit['contrast_operator']!r}: not a registered "
            f"operator ({', '.join(names())})"
        )
    grid = vit["token_sweep"]["grid"]
    for side in [size, *vit["token_sweep"]["sizes"]]:
        if side % grid:
            raise ConfigError(
                f"config: vit.token_sweep: image size {side} is not a multiple of grid = {grid}"
            )
    model = vit["model"]
    if model["embed_dim"] % model["heads"]:
        raise ConfigError(
            f"config: vit.model.embed_dim = {model['embed_dim']}: not a multiple of heads"
            f" = {model['heads']}"
        )
    low, high = vit["data"]["radius"]
    if low > high:
        raise ConfigError(f"config: vit.data.radius = {[low, high]}: smallest above largest")
    _warmup(vit["training"], "vit.training")
    pretrained = vit["pretrained"]
    if pretrained:
        if not Path(pretrained["images"]).is_dir():
            raise ConfigError(
                f"config: vit.pretrained.images = {pretrained['images']}: no such folder of images"
            )
        from anatomy.core.artifacts import pretrained_file

        for name in pretrained["models"]:
            path = pretrained_file(pretrained["weights"], name)
            if not path.exists():
                raise ConfigError(
                    f"config: vit.pretrained.models: no weights for {name} at {path}; download "
                    f"them first: `hf download timm/{name} model.safetensors --local-dir "
                    f"{Path(pretrained['weights']) / name}`"
                )


def _scalar(value: str, kind: str):
    text = value.strip()
    if kind == "boolean":
        return {"true": True, "false": False}.get(text.lower(), value)
    try:
        number = float(text)
    except ValueError:
        return value
    if kind == "integer":
        return int(number) if number.is_integer() else value
    return number


def coerce(config: Any, schema: dict) -> Any:
    """Turn strings into the numbers or booleans the schema asks for.

    Snakemake parses nested ``--config key='{a: {b: 3}}'`` values with YAML's BaseLoader, which
    leaves every scalar a string; without this, ``3`` would be rejected as "not a number".
    """
    kind = schema.get("type")
    if isinstance(config, dict) and kind == "object":
        props = schema.get("properties", {})
        return {k: coerce(v, props[k]) if k in props else v for k, v in config.items()}
    if isinstance(config, list) and kind == "array" and isinstance(schema.get("items"), dict):
        return [coerce(v, schema["items"]) for v in config]
    if isinstance(config, str) and kind in ("number", "integer", "boolean"):
        return _scalar(config, kind)
    return config


def put_library_on_path(src: str | Path) -> None:
    """Let every job import the library from ``src`` (also under ``--sdm conda``, whose
    environments hold only the dependencies): an edit needs no reinstall."""
    import os

    paths = [str(src), os.environ.get("PYTHONPATH", "")]
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in paths if p)
