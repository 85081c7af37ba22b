"""The ink detector's faces with their eyes closed: a blink draws each eye as a lash arc, a wide
thin stroke, and where a lash runs into the cheek's or the bangs' line it is a dent in the face's
outline, not a mark inside it.  Such a face is found by its two arcs side by side, a mark or a
dent each, with its nose or mouth between and below them (see LASHES in
anim2lora/people/ink.py); a loop with two level strokes in it and nothing under them is not."""

import numpy as np
import pytest

from anim2lora.people.ink import faces

cv2 = pytest.importorskip("cv2")
H, W = 360, 640


def _blinking(mouth: bool = True, touching: bool = True) -> np.ndarray:
    """Ink (255) of a face drawn at the working height with its eyes closed: its outline (the
    bangs' line across its top at row 100), two lash arcs at row 125, a mouth.  ``touching``:
    the right lash runs on into the cheek's line (a dent in the face's area), or stops short of
    it (a mark inside); ``mouth``: whether the mouth is drawn."""
    ink = np.zeros((H, W), np.uint8)
    cv2.polylines(ink, [np.array([(270, 100), (370, 100), (366, 150), (320, 175), (274, 150)])], True, 255, 3)
    cv2.ellipse(ink, (298, 122), (15, 6), 0, 0, 180, 255, 3)                  # the left lash
    cv2.ellipse(ink, (348 if touching else 342, 122), (17 if touching else 15, 6), 0, 0, 180, 255, 3)
    if mouth:
        cv2.line(ink, (312, 158), (328, 158), 255, 2)
    return ink


def test_a_blinking_face_is_found():
    # the right lash meets the cheek: one eye is a dent, the other a mark, and no two marks pair up
    found = faces(_blinking(), H)
    assert len(found) == 1
    x0, y0, x1, y1 = found[0]
    assert 268 <= x0 <= 280 and 360 <= x1 <= 372 and 170 <= y1 <= 178


def test_two_lashes_inside_the_face_were_found_before():
    # both arcs inside the area are two marks side by side: the eyes' rule finds them already
    assert len(faces(_blinking(touching=False), H)) == 1


def test_two_level_strokes_with_nothing_under_them_are_no_face():
    # a panel or a sleeve's loop with two folds in it: no nose or mouth under the "lashes"
    assert faces(_blinking(mouth=False), H) == []


def test_the_sweep_halfs_blinking_face_at_night_is_found():
    # the sweep half's shot 28 (A before a night window, blinking): his left lash is a mark, his
    # right one meets his cheek's line; no face was found, his head box ran on over the pane and
    # he was left unknown
    from anim2lora.demo.real_scenes import frame
    from anim2lora.demo.real_shots import real_set
    from anim2lora.image.masks import background_colours, dark_ink, lines_in_the_dark

    rgb, truth = frame(real_set("sweep")[28], 2, "colour", W, H)
    bgr = cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)
    strokes = dark_ink(bgr, background_colours(bgr, edges=2)) | lines_in_the_dark(bgr)
    (face,) = [p["face_box"] for p in truth["people"] if p["name"] == "A"]
    found = [f for f in faces(strokes, H) if f[0] < face[2] and face[0] < f[2] and f[1] < face[3] and face[1] < f[3]]
    assert len(found) == 1
    x0, y0, x1, y1 = found[0]
    assert face[0] - 10 <= x0 and x1 <= face[2] + 10 and face[1] - 10 <= y0 and y1 <= face[3] + 10
