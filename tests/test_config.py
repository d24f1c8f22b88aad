"""The config schema: every profile is valid, and a bad value fails in one line naming the key."""

import copy

import pytest
from conftest import PROFILES, load_profile

from anatomy.pipeline.config import ConfigError, check_relations, coerce, validate


def _keys(tree, prefix=""):
    if not isinstance(tree, dict):
        return {prefix}
    return set().union(*(_keys(v, f"{prefix}.{k}" if prefix else k) for k, v in tree.items()))


@pytest.mark.parametrize("profile", PROFILES)
def test_profiles_are_valid(profile, schema):
    config = load_profile(profile)
    validate(config, schema)
    check_relations(config)
    assert config["profile"] == profile


def test_profile_files_state_only_what_differs_from_the_default(root):
    import yaml

    default = yaml.safe_load((root / "config/default.yaml").read_text())

    def restated(delta, base, where=""):
        for key, value in delta.items():
            here = f"{where}.{key}" if where else key
            assert key in base, f"{here} is not a key of config/default.yaml"
            if isinstance(value, dict):
                yield from restated(value, base[key], here)
            elif value == base[key]:
                yield here

    for profile in set(PROFILES) - {"default"}:
        delta = yaml.safe_load((root / f"config/{profile}.yaml").read_text())
        assert list(restated(delta, default)) == [], f"config/{profile}.yaml repeats the default"
        assert _keys(load_profile(profile)) == _keys(default)


def test_a_profile_is_merged_as_snakemake_merges_its_configfile(root):
    import yaml
    from snakemake.utils import update_config

    from anatomy.pipeline.config import merge

    default = yaml.safe_load((root / "config/default.yaml").read_text())
    for profile in set(PROFILES) - {"default"}:
        delta = yaml.safe_load((root / f"config/{profile}.yaml").read_text())
        expected = copy.deepcopy(default)
        update_config(expected, delta)
        assert merge(default, delta) == expected == load_profile(profile)
    assert merge({"a": {"b": 1, "c": [1, 2]}}, {"a": {"c": [3]}}) == {"a": {"b": 1, "c": [3]}}


def test_every_schema_property_is_documented_and_typed(schema):
    def walk(node, where):
        for key, sub in node.get("properties", {}).items():
            assert "type" in sub, f"{where}.{key} has no type"
            if sub["type"] == "object":
                assert sub.get("additionalProperties") is False, f"{where}.{key} allows typos"
                assert set(sub.get("required", [])) == set(sub["properties"]), where + "." + key
                walk(sub, f"{where}.{key}")
            else:
                assert sub.get("description"), f"{where}.{key} is undocumented"

    walk(schema, "config")


def _with(change):
    config = load_profile("default")
    change(config)
    return config


BAD = [
    (
        lambda c: c["softmax_constraints"]["sharpness"].update(gap=-1.0),
        "softmax_constraints.sharpness.gap",
        "> 0",
    ),
    (lambda c: c.update(seed="zero"), "seed", "type integer"),
    (
        lambda c: c["softmax_constraints"]["sharpness"].update(gapp=2.0),
        "softmax_constraints.sharpness.gapp",
        "allowed keys: gap, n_max_log2",
    ),
    (
        lambda c: c.update(experiments=["softmax_constraint"]),
        "experiments[0]",
        "allowed values: softmax_constraints",
    ),
    (lambda c: c.update(profle="smoke"), "profle", "allowed keys:"),
    (
        lambda c: c["softmax_constraints"]["properties"].update(d=7),
        "softmax_constraints.properties.d",
        "multiple of 2",
    ),
    (lambda c: c["device"].update(allow_cuda="perhaps"), "device.allow_cuda", "type boolean"),
    (
        lambda c: c["softmax_constraints"]["sharpness"].pop("trials"),
        "softmax_constraints.sharpness",
        "trials",
    ),
]


@pytest.mark.parametrize(("change", "key", "allowed"), BAD)
def test_bad_values_fail_in_one_line_naming_the_key(change, key, allowed, schema):
    with pytest.raises(ConfigError) as error:
        validate(_with(change), schema)
    message = str(error.value)
    assert "\n" not in message
    assert key in message and allowed in message, message


def test_range_relation_between_keys():
    config = _with(
        lambda c: c["softmax_constraints"]["sharpness"].update(n_min_log2=9, n_max_log2=4)
    )
    with pytest.raises(ConfigError, match="n_min_log2 = 9: must be <= n_max_log2 = 4"):
        check_relations(config)


def test_coerce_turns_command_line_strings_into_typed_values(schema):
    config = load_profile("default")
    override = copy.deepcopy(config)
    sharp = override["softmax_constraints"]["sharpness"]
    sharp.update(gap="4", noise_stds=["0", "1.5"], trials="8")
    override["device"]["allow_cuda"] = "false"
    typed = coerce(override, schema)
    assert typed["softmax_constraints"]["sharpness"]["gap"] == 4.0
    assert typed["softmax_constraints"]["sharpness"]["noise_stds"] == [0.0, 1.5]
    assert typed["softmax_constraints"]["sharpness"]["trials"] == 8
    assert typed["device"]["allow_cuda"] is False
    validate(typed, schema)
    # What cannot be read as a number stays a string, and validation names it.
    sharp["gap"] = "wide"
    with pytest.raises(ConfigError, match="softmax_constraints.sharpness.gap = 'wide'"):
        validate(coerce(override, schema), schema)


def test_every_relation_between_settings_is_checked_in_one_place():
    import copy

    from anatomy.pipeline.config import ConfigError, check_relations

    base = load_profile("smoke")
    check_relations(base)
    cases = [
        (("zoo", "training", "heads"), 3, "zoo.training.heads = 3: does not divide d_model"),
        (("diffusion", "model", "heads"), 3, "diffusion.model.heads = 3: does not divide"),
        (("diffusion", "training", "warmup"), 50, "diffusion.training.warmup = 50: must be fewer"),
        (("diffusion", "model", "attention"), [True], "needs one entry per channel level"),
        (("diffusion", "model", "attention"), [False] * 3, "at least one of them true"),
        (("diffusion", "model", "attention"), [False, False, True], "at one resolution only"),
        (("diffusion", "pretrained"), "no/such/folder", "no such model folder"),
        (("equivalent_forms", "adjacency", "task"), "nope", "adjacency.task = nope: not a zoo"),
    ]
    for path, value, message in cases:
        config = copy.deepcopy(base)
        block = config
        for key in path[:-1]:
            block = block[key]
        block[path[-1]] = value
        with pytest.raises(ConfigError, match=message):
            check_relations(config)
