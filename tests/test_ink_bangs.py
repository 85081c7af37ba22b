"""The ink detector's faces whose eyes touch the bangs: drawn over the eyes' upper lids, or met
by the lashes, the hair's line takes the eyes into the face's outline, where they are dents in
the face's area instead of marks inside it.  Such a face is found by its two dents (see LID in
anim2lora/people/ink.py); a loop bitten into from its sides, or the back of a head, is not."""

import numpy as np
import pytest

from anim2lora.people.ink import faces

cv2 = pytest.importorskip("cv2")
H, W = 360, 640


def _head(eyes_touch: bool, mouth: bool = True) -> np.ndarray:
    """Ink (255) of a head drawn at the working height: a face outline with the bangs' line
    across its top at row 100, two big filled eyes under it, a mouth.  ``eyes_touch``: the eyes'
    tops reach into the bangs' line (the lids drawn under the hair), or stand a little below it;
    ``mouth``: whether the mouth is drawn."""
    ink = np.zeros((H, W), np.uint8)
    cv2.polylines(ink, [np.array([(270, 100), (370, 100), (366, 150), (320, 175), (274, 150)])], True, 255, 3)
    top = 101 if eyes_touch else 110
    for cx in (298, 342):
        cv2.ellipse(ink, (cx, top + 13), (15, 14), 0, 0, 360, 255, -1)     # iris, lids and lashes
        cv2.circle(ink, (cx + 5, top + 9), 3, 0, -1)                      # its highlight
    if mouth:
        cv2.line(ink, (312, 158), (328, 158), 255, 2)
    return ink


def test_eyes_touching_the_bangs_are_two_eyes():
    # without the dents the face is bitten into twice from its top: not round, no two eyes in it
    found = faces(_head(eyes_touch=True), H)
    assert len(found) == 1
    x0, y0, x1, y1 = found[0]
    assert 268 <= x0 <= 280 and 360 <= x1 <= 372 and 170 <= y1 <= 178


def test_two_dents_with_no_mouth_under_them_are_no_face():
    # a gap closed between lids, brows and strands (a lens's rim, a cheek beside it) is bitten
    # into by them from its top too, but a face holds its nose or mouth under its eyes
    assert faces(_head(eyes_touch=True, mouth=False), H) == []


def test_a_loop_bitten_from_its_sides_is_no_face():
    # a hand's or a sleeve's loop: two dents as big as eyes, but from the sides, not the top
    ink = np.zeros((H, W), np.uint8)
    cv2.ellipse(ink, (320, 140), (50, 35), 0, 0, 360, 255, 3)
    for cx in (272, 368):
        cv2.ellipse(ink, (cx, 150), (16, 12), 0, 0, 360, 255, -1)
    assert faces(ink, H) == []


def test_the_back_of_a_head_under_a_hair_line_is_no_face():
    # strands hanging from the hair's line bite into the area from its top too, but narrow: no eye
    ink = np.zeros((H, W), np.uint8)
    cv2.polylines(ink, [np.array([(270, 100), (370, 100), (366, 150), (320, 175), (274, 150)])], True, 255, 3)
    for x in (292, 308, 324, 340):
        cv2.line(ink, (x, 100), (x + 3, 140), 255, 3)
    assert faces(ink, H) == []


def test_a_rendered_sets_face_under_its_bangs_is_found():
    # the check half's shot 45 (a pan over a rendered room, B alone): B's lashes meet her bangs,
    # and no face was found; her bow tie, closed into a bump, was taken for her head and dropped
    from anim2lora.demo.real_scenes import frame
    from anim2lora.demo.real_shots import real_set
    from anim2lora.image.masks import background_colours, dark_ink, lines_in_the_dark

    rgb, truth = frame(real_set("check")[45], 3, "colour", W, H)
    bgr = cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)
    strokes = dark_ink(bgr, background_colours(bgr, edges=2)) | lines_in_the_dark(bgr)
    found = faces(strokes, H)
    (face,) = [p["face_box"] for p in truth["people"] if p["name"] == "B"]
    assert len(found) == 1
    x0, y0, x1, y1 = found[0]
    assert face[0] - 10 <= x0 and x1 <= face[2] + 10 and face[1] - 10 <= y0 and y1 <= face[3] + 10
