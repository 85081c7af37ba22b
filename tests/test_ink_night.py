"""Night sets (masks.NIGHT): a dark coat and dark hair are as dark as the set, so the flat blob of
a character is its lit parts alone, and its outline figure stands for it (see ink.NIGHT_HEAD);
and a narrow "face" in a head's hair ends no head at its chin (see rules.CHIN_FACE)."""

import cv2

from anim2lora.demo.real_scenes import real_clip_frames
from anim2lora.people.boxes import Box
from anim2lora.people.ink import _widened_by_blobs, detect_ink
from anim2lora.people.rules import Rules, _to_chin, count


def _fig(body, *heads):
    return [Box("person", body)] + [Box("head", h) for h in heads]


def test_an_outline_figure_is_widened_by_the_lit_blob_that_shares_its_head():
    """The outline closes round a navy coat the flat pass lost; the blob of the lit face and
    collar under the same head adds what the outline left out, a blob under another head adds
    nothing."""
    outline = _fig((340, 62, 426, 230), (363, 64, 402, 107))
    lit = _fig((330, 72, 396, 242), (370, 76, 395, 100))
    other = _fig((165, 50, 238, 203), (198, 54, 243, 103))
    assert _widened_by_blobs(outline, lit + other) == _fig((330, 62, 426, 242), (363, 64, 402, 107))


def test_both_characters_count_on_a_dark_set_where_a_navy_coat_makes_no_blob():
    """Probe half, colour, shot 2 (frame 18): A's navy body on the dark set is no blob, only
    A's face and collar are, and A was taken for a small figure far behind B: one character."""
    rgb, row = next((rgb, row) for rgb, row in real_clip_frames("probe", "colour", shots=3) if row["index"] == 18)
    assert row["group"] == "A+B"
    bgr = cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)
    h, w = bgr.shape[:2]
    assert count(detect_ink(bgr), w, h, Rules()).n == 2


def test_a_narrow_face_in_the_hair_sets_no_chin():
    """A "face" a quarter of its head wide or less, high in the head (a highlight's dashes
    between hair strands taken for two eyes), would end the head at its bottom and make the
    character look far behind the other; a face as wide as a face is ends a long head there."""
    head = (95, 32, 195, 200)
    in_hair = Box("face", (156, 49, 179, 80))
    assert _to_chin(head, [in_hair]) == head
    face = Box("face", (115, 50, 175, 90))
    assert _to_chin(head, [face]) == (95, 32, 195, 90)
