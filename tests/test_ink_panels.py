"""The ink detector's head boxes widened by a lit panel behind the head (a window, a door, a
wall's panel): where a face is found in the head box, a part of the box beside that face's
head and hair drawn in straight lines is the panel, and the head box ends where the hair does
(see HAIR_SIDE in anim2lora/people/ink.py).  Hair beside a face is drawn in curves and stays."""

import numpy as np
import pytest

from anim2lora.people.boxes import Box
from anim2lora.people.ink import _off_panels

cv2 = pytest.importorskip("cv2")
H, W = 360, 640
FACE = (282.0, 100.0, 358.0, 185.0)


def _drawn(beside: str) -> np.ndarray:
    """Outline ink (255) of a head with its face at FACE, and ``beside`` it on the right: a
    window's frame ("panel") or long wavy hair ("hair")."""
    ink = np.zeros((H, W), np.uint8)
    cv2.ellipse(ink, (320, 130), (48, 70), 0, 180, 360, 255, 2)              # the hair's top
    cv2.ellipse(ink, (320, 142), (38, 43), 0, 0, 180, 255, 2)                # cheeks and chin
    for cx in (303, 337):
        cv2.circle(ink, (cx, 135), 7, 255, -1)                                # eyes
    if beside == "panel":
        cv2.rectangle(ink, (385, 60), (455, 250), 255, 2)
        cv2.line(ink, (420, 60), (420, 250), 255, 2)                          # its mullion
    elif beside == "panel over plates":
        cv2.rectangle(ink, (385, 60), (455, 190), 255, 2)                     # a back wall's panel
        for cy in (215, 240):                                                 # plates on a table below
            for cx in (405, 440):
                cv2.ellipse(ink, (cx, cy), (18, 9), 0, 0, 360, 255, 2)
                cv2.ellipse(ink, (cx, cy), (9, 4), 0, 0, 360, 255, 2)
    elif beside == "hair":
        for x in (378, 398, 418, 438):
            ys = np.arange(80, 250)
            pts = np.stack([x + (8 * np.sin(ys / 14.0 + x)).astype(int), ys], axis=1)
            cv2.polylines(ink, [pts.astype(np.int32)], False, 255, 2)
    return ink


def test_a_window_joined_to_the_head_is_cut_off_its_box():
    head = Box("head", (270.0, 55.0, 462.0, 255.0), 1.0)
    cut = _off_panels(head, [FACE], _drawn("panel"), 1.0)
    assert cut.rect[0] == head.rect[0] and cut.rect[1:4:2] == head.rect[1:4:2]
    assert 380 <= cut.rect[2] <= 395         # the face's head (366) and the hair beside it


def test_long_hair_beside_the_face_stays_in_its_box():
    head = Box("head", (270.0, 55.0, 462.0, 255.0), 1.0)
    assert _off_panels(head, [FACE], _drawn("hair"), 1.0) == head


def test_a_night_windows_panels_do_not_fuse_two_characters():
    # the probe half's shot 9: B stands before lit windows at night, A beside her; her head
    # box spanned the window on her right, her shoulders reached A's, and the pair was an overlap
    from anim2lora.demo.real_scenes import frame
    from anim2lora.demo.real_shots import real_set
    from anim2lora.people.ink import detect_ink
    from anim2lora.people.rules import Rules, count

    rgb, truth = frame(real_set("probe")[9], 2, "colour", W, H)
    boxes = detect_ink(cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    (b_head,) = [p["head"] for p in truth["people"] if p["name"] == "B"]
    on_b = [b for b in boxes if b.kind == "head" and b.rect[0] <= (b_head[0] + b_head[2]) / 2 <= b.rect[2]]
    assert on_b and all(b.rect[2] <= b_head[2] + 0.25 * (b_head[2] - b_head[0]) for b in on_b)
    judged = count(boxes, W, H, Rules(), (), True, True)
    assert judged.n == 2 and not judged.overlap


def test_a_window_beside_the_head_is_cut_off_though_plates_below_it_are_round():
    """The head box runs on into a panel beside the head and down past the chin over a table's
    plates: the side as a whole is not mostly straight, yet beside the head (the face's head's
    rows) it is, and the panel goes (check half, shot 21: B's head crop held the back wall and
    she was not named).  Judged on the whole side only, the box kept the panel."""
    head = Box("head", (270.0, 55.0, 462.0, 255.0), 1.0)
    drawn = _drawn("panel over plates")
    cut = _off_panels(head, [FACE], drawn, 1.0)
    assert 380 <= cut.rect[2] <= 395
    from anim2lora.people.ink import _ink_in, _ruled
    assert not _ruled(_ink_in(drawn, (cut.rect[2], 55.0, 462.0, 255.0)), H)   # the whole side is not straight


def _door_beside(kind: str) -> np.ndarray:
    """The flat pass's foreground (255) of a head on paper whose spiky hair a door beside it
    touches ("door": its frame drawn in straight lines, lighter than the outline, so the outline
    pass leaves it out) or long wavy hair beside it ("hair"): either joins the head's silhouette
    on its left, down past the chin."""
    fg = np.zeros((H, W), np.uint8)
    cv2.ellipse(fg, (135, 80), (53, 58), 0, 0, 360, 255, 2)                 # the head
    if kind == "door":
        cv2.rectangle(fg, (23, 40), (95, 205), 255, 2)                        # the door's frame
        cv2.line(fg, (85, 40), (85, 205), 255, 2)                             # its jamb
    else:
        for x in (30, 50, 70):
            ys = np.arange(40, 205)
            pts = np.stack([x + (8 * np.sin(ys / 14.0 + x)).astype(int), ys], axis=1)
            cv2.polylines(fg, [pts.astype(np.int32)], False, 255, 2)
    return fg


@pytest.mark.parametrize("kind, replaced", [("door", True), ("hair", False)])
def test_a_door_joined_to_a_head_gives_way_to_its_own_outline(kind, replaced):
    """The flat head box spans a door beside the head (its frame touches the hair) and runs
    down it past the chin; the outline head is 0.39 of that box, too big a share for the area
    rule (OWN_OUTLINE) alone.  The part of the flat box beyond the outline head and its hair is
    drawn in straight lines: a panel, and the outline head stands for the head (PANEL_SIDE;
    scout half, shot 9: A's head crop held the door, A was not named).  Wavy hair there stays."""
    from anim2lora.people.ink import _own_outlines

    flat = [Box("person", (22.0, 21.0, 247.0, 271.0), 1.0), Box("head", (23.0, 23.0, 192.0, 209.0), 1.0)]
    drawn = [Box("person", (33.0, 22.0, 247.0, 272.0), 1.0), Box("head", (82.0, 24.0, 188.0, 140.0), 1.0)]
    heads = [b.rect for b in _own_outlines(flat, drawn, H, _door_beside(kind)) if b.kind == "head"]
    assert heads == ([(82.0, 23.0, 188.0, 140.0)] if replaced else [flat[1].rect]), heads


def test_the_heads_of_the_text_shot_leave_the_door_out():
    # the scout half's shot 9 (line art): a door stands behind A, its frame touching A's spiky
    # hair; every drawing's head box of A stays within A's head and its hair's margin
    from anim2lora.demo.real_scenes import frame
    from anim2lora.demo.real_shots import real_set
    from anim2lora.people.ink import detect_ink
    from anim2lora.people.rules import Rules, count

    for k in range(4):
        rgb, truth = frame(real_set("scout")[9], k, "line", W, H)
        (a,) = [p["head"] for p in truth["people"] if p["name"] == "A"]
        judged = count(detect_ink(cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)), W, H, Rules(), (), True, True)
        on_a = [j.head for j in judged.characters if j.head and j.head[0] <= (a[0] + a[2]) / 2 <= j.head[2]]
        margin = 0.25 * (a[2] - a[0])
        assert on_a and all(a[0] - margin <= h[0] and h[3] <= a[3] + margin for h in on_a), (k, on_a, a)


def _marked(outline: np.ndarray) -> np.ndarray:
    """Ink (255) of the closed outline ``outline`` (points) with two specks side by side in its
    upper part, as eyes would be."""
    ink = np.zeros((H, W), np.uint8)
    cv2.polylines(ink, [outline.astype(np.int32)], True, 255, 2)
    x0, y0 = outline.min(axis=0)
    x1, y1 = outline.max(axis=0)
    for fx in (0.35, 0.65):
        cv2.circle(ink, (int(x0 + fx * (x1 - x0)), int(y0 + 0.35 * (y1 - y0))), 3, 255, -1)
    return ink


def test_a_sleeves_panel_with_two_specks_in_it_is_no_face():
    """A seated character's sleeve on a painted set (sweep half, colour, shot 4): its panel,
    closed off by the table's edge, a slanted four-sided outline with two specks of its shading
    in it, was found as a face at each elbow and the one character became an overlap.  A face's
    outline is drawn in curves (cheeks, jaw, bangs), and one drawn in straight strokes narrows to
    its chin; one drawn in straight lines as wide at its bottom as above is a panel."""
    from anim2lora.people.ink import faces

    panel = np.array([(300, 228), (340, 236), (356, 301), (312, 301)])
    assert faces(_marked(panel), H) == []
    t = np.linspace(0, 2 * np.pi, 60, endpoint=False)
    face = np.stack([328 + 28 * np.cos(t), 264 + 36 * np.sin(t)], axis=1)
    assert len(faces(_marked(face), H)) == 1, "a round outline with two eyes stays a face"
    flat = np.array([(262, 100), (378, 100), (370, 160), (320, 205), (270, 160)])
    assert len(faces(_marked(flat), H)) == 1, "straight bangs and jaw lines down to a chin: a face"
