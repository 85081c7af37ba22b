"""The counting rules on a character whose head outline runs down long hair (or scenery beside
the neck) far below the chin of the face found in it: as a measure of distance and of where
its shoulders are, that head ends at the chin (rules.RUN_ON)."""

from anim2lora.people.boxes import Box
from anim2lora.people.rules import CHARACTER, Rules, count

W, H = 640, 360


def _two_side_by_side(hair_bottom: float):
    """Two characters cut at the bottom edge, side by side: one with long hair (its head outline
    ends at ``hair_bottom``, its face found high in it) by the left edge, one with short hair."""
    return [Box("person", (0, 21, 263, 360), 1.0), Box("head", (31, 21, 268, hair_bottom), 1.0),
            Box("face", (86, 61, 149, 110), 1.0),
            Box("person", (263, 29, 502, 360), 1.0), Box("head", (351, 30, 453, 143), 1.0)]


def test_a_head_outline_running_down_long_hair_measures_to_the_chin():
    c = count(_two_side_by_side(281), W, H, Rules(), has_heads=True, has_faces=True)
    assert [j.label for j in c.boxes] == [CHARACTER, CHARACTER]
    assert not c.overlap
    # the head box the identity features are cut from is left whole
    assert c.boxes[0].head[3] == 281


def test_a_head_outline_ending_at_the_neck_measures_as_it_is():
    c = count(_two_side_by_side(140), W, H, Rules(), has_heads=True, has_faces=True)
    assert [j.label for j in c.boxes] == [CHARACTER, CHARACTER]
