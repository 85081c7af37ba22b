"""The ink detector's close-up faces told by their shape (a marked face area under a dome of
hair), not by two open eyes: drawn heads, the back of a head and a crate."""

import numpy as np
import pytest

from anim2lora.people.ink import _hair_over, detect_ink

cv2 = pytest.importorskip("cv2")
INK = (20, 20, 20)


def _canvas():
    return np.full((360, 640, 3), 235, np.uint8)


def _hair(img):
    """A dome of hair with strands, hanging down beside the face, and shoulders cut by the bottom."""
    cv2.ellipse(img, (320, 150), (105, 125), 0, 180, 360, INK, 3)
    for x in (215, 425):
        cv2.line(img, (x, 150), (x, 300), INK, 3)
    cv2.line(img, (150, 359), (215, 300), INK, 3)
    cv2.line(img, (425, 300), (490, 359), INK, 3)
    for x in (280, 320, 360):
        cv2.line(img, (x, 50), (x - 10, 95), INK, 3)


def _close_up(eyes_closed: bool):
    """A close-up with no two open eyes for the eye rule: closed eyes drawn up against the bangs
    (they join its line), or one eye with the other under a lock of hair."""
    img = _canvas()
    _hair(img)
    # the face: bangs across the hair on top, cheeks down to the chin
    cv2.polylines(img, [np.array([(217, 115), (423, 115), (400, 200), (320, 265), (240, 200)])], True, INK, 3)
    if eyes_closed:
        for cx in (280, 360):
            cv2.ellipse(img, (cx, 125), (22, 10), 0, 0, 180, INK, 3)
            cv2.line(img, (cx - 22, 125), (cx - 22, 115), INK, 3)          # lashes up to the bangs
    else:
        cv2.ellipse(img, (280, 160), (18, 24), 0, 0, 360, INK, 3)
        cv2.circle(img, (280, 165), 9, INK, -1)
        cv2.fillPoly(img, [np.array([(330, 115), (410, 115), (400, 200), (345, 200)])], INK)  # hair over the other
    cv2.line(img, (316, 198), (326, 212), INK, 3)                    # nose
    cv2.line(img, (305, 235), (335, 235), INK, 3)                    # mouth
    return img


def _faces(img):
    return [b for b in detect_ink(img) if b.kind == "face"]


@pytest.mark.parametrize("eyes_closed", [True, False])
def test_close_up_face_without_two_open_eyes_is_found(eyes_closed):
    found = _faces(_close_up(eyes_closed))
    assert len(found) == 1
    x0, y0, x1, y1 = found[0].rect
    assert 210 <= x0 < 260 and 380 < x1 <= 430 and 100 <= y0 <= 130 and y1 >= 250


def test_back_of_a_head_is_no_face():
    """Seen from behind: hair with a clip and a ribbon (marks) under its own dome, the neck and
    collar below.  The marked area is the hair itself: nothing rises over it."""
    img = _canvas()
    cv2.ellipse(img, (320, 180), (105, 150), 0, 180, 360, INK, 3)
    cv2.line(img, (215, 180), (425, 180), INK, 3)                    # the bob's lower edge
    for x in (270, 320, 370):                                         # strands from the crown
        cv2.line(img, (x, int(178 - 150 * np.sqrt(1 - ((x - 320) / 105) ** 2))), (x - 10, 150), INK, 3)
    cv2.rectangle(img, (335, 90), (350, 115), INK, 3)                # a hair clip
    cv2.rectangle(img, (380, 160), (405, 172), INK, 3)               # a ribbon lower down
    for x in (285, 355):
        cv2.line(img, (x, 180), (x, 260), INK, 3)                    # the neck
    cv2.line(img, (150, 359), (220, 260), INK, 3)
    cv2.line(img, (220, 260), (420, 260), INK, 3)                    # the collar
    cv2.line(img, (420, 260), (490, 359), INK, 3)
    assert _faces(img) == []


def test_clock_is_no_face():
    """A round prop with marks in it: no hair rises over it."""
    img = _canvas()
    cv2.circle(img, (320, 180), 80, INK, 4)
    cv2.line(img, (320, 115), (320, 130), INK, 3)                    # 12 and 6 o'clock
    cv2.line(img, (320, 230), (320, 245), INK, 3)
    cv2.line(img, (320, 260), (320, 359), INK, 4)                    # its stand
    assert _faces(img) == []


def test_crate_is_no_face():
    """A box's front is fuller than an ellipse (a label's marks on it are no features)."""
    img = _canvas()
    front = np.array([(230, 170), (410, 170), (410, 320), (230, 320)])
    top = np.array([(230, 170), (290, 100), (470, 100), (410, 170)])
    cv2.polylines(img, [front, top, np.array([(410, 170), (470, 100), (470, 250), (410, 320)])], True, INK, 3)
    cv2.line(img, (300, 220), (340, 220), INK, 3)                    # a label's two marks
    cv2.line(img, (300, 270), (340, 270), INK, 3)
    assert _faces(img) == []


def test_hair_over_a_close_up_face_is_no_second_face():
    """Strands in the hair dome taken for eyes sit on the close-up's face: its hair, dropped; a
    face beside it or well below it is not."""
    face = (353.0, 103.0, 499.0, 200.0)
    assert _hair_over((314.0, 1.0, 513.0, 116.0), face)
    assert not _hair_over((520.0, 10.0, 620.0, 110.0), face)
    assert not _hair_over((360.0, 210.0, 480.0, 300.0), face)
