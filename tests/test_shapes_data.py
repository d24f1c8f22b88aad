"""Compositional two-object scenes: captions, masks, relations and the colour checker."""

import torch

from anatomy.core import shapes_data as sd


def scenes(n=64, size=32, seed=0):
    g = torch.Generator().manual_seed(seed)
    return sd.render(sd.sample_attributes(n, g), size, g)


def test_scenes_are_seeded_and_captions_match_attributes():
    a, b = scenes(), scenes()
    assert torch.equal(a.images, b.images) and a.captions == b.captions
    c1, s1, r, c2, s2 = (int(x) for x in a.attributes[0])
    colours = list(sd.COLOURS)
    assert (
        a.captions[0]
        == f"a {colours[c1]} {sd.SHAPES[s1]} {sd.RELATIONS[r]} a {colours[c2]} {sd.SHAPES[s2]}"
    )
    assert (a.attributes[:, 0] != a.attributes[:, 3]).all()  # two different colours


def test_masks_are_disjoint_nonempty_and_in_the_stated_relation():
    s = scenes(n=128)
    assert not (s.masks[:, 0] & s.masks[:, 1]).any()
    assert (s.masks.sum((-1, -2)) > 0).all()
    ys, xs = torch.meshgrid(torch.arange(32.0), torch.arange(32.0), indexing="ij")
    area = s.masks.sum((-1, -2)).float()
    cx = (s.masks * xs).sum((-1, -2)) / area
    cy = (s.masks * ys).sum((-1, -2)) / area
    rel = s.attributes[:, 2]
    assert (cx[rel == 0, 0] < cx[rel == 0, 1]).all()  # left of
    assert (cx[rel == 1, 0] > cx[rel == 1, 1]).all()  # right of
    assert (cy[rel == 2, 0] < cy[rel == 2, 1]).all()  # above (image rows grow downward)
    assert (cy[rel == 3, 0] > cy[rel == 3, 1]).all()  # below


def test_checker_reads_true_binding_and_catches_a_colour_swap():
    g = torch.Generator().manual_seed(0)
    attributes = sd.sample_attributes(64, g)
    layout = g.get_state()
    s = sd.render(attributes, 32, g)
    assert sd.binding_accuracy(s.images, s.masks, s.attributes) == {
        "binding": 1.0,
        "swapped": 0.0,
        "object_colour": 1.0,
    }
    swapped = attributes.clone()
    swapped[:, [0, 3]] = swapped[:, [3, 0]]
    same_layout = torch.Generator()
    same_layout.set_state(layout)
    wrong = sd.render(swapped, 32, same_layout)
    assert torch.equal(wrong.masks, s.masks)
    # Same layout, colours exchanged: the checker calls every image swapped.
    result = sd.binding_accuracy(wrong.images, s.masks, s.attributes)
    assert result["binding"] == 0.0 and result["swapped"] == 1.0


def test_word_tokenizer_round_trip(tmp_path):
    tok = sd.WordTokenizer.for_captions()
    ids = tok.encode(["a red circle left of a blue square"], length=12)
    assert ids[0, 0] == 1 and ids[0, 9] == 2 and ids[0, 10:].eq(0).all()
    tok.save(tmp_path / "tokenizer")
    assert torch.equal(
        sd.WordTokenizer.load(tmp_path / "tokenizer").encode(
            ["a red circle left of a blue square"], 12
        ),
        ids,
    )


def test_jitter_zero_puts_objects_in_fixed_slots():
    def spread(jitter):
        g = torch.Generator().manual_seed(0)
        a = sd.sample_attributes(256, g, relations=2)
        s = sd.render(a, 32, g, radius=(0.2, 0.2), jitter=jitter)
        ys = torch.arange(32.0).view(1, -1, 1)
        m = s.masks[:, 0].float()
        cy = (m * ys).sum((-1, -2)) / m.sum((-1, -2))
        return float(cy.std())

    assert spread(0.0) < 1.0 < 3.0 < spread(1.0)  # shapes differ in centroid a little


def test_caption_lines_split_object_relation_object():
    assert sd.caption_lines("a red circle right of a blue square") == (
        "red circle\nright of\nblue square"
    )
