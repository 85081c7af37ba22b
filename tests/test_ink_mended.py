"""The ink detector's faces whose lines break into dashes (thin or faint lines traced at the
working height, compression): searched again inside a head that shows no face, over mended
strokes, so that a face looking at us is not taken for the back of a head."""

import numpy as np
import pytest

from anim2lora.people.ink import detect_ink

cv2 = pytest.importorskip("cv2")
INK, PAPER = (20, 20, 20), (235, 235, 235)


def _dashed(img, points, every=11):
    """A closed two-pixel outline through ``points``, broken by small gaps about ``every`` pixels
    apart: a thin line traced into dashes, the way a faint line breaks at a low working height."""
    cv2.polylines(img, [np.array(points)], True, INK, 2)
    centre = np.zeros(img.shape[:2], np.uint8)
    cv2.polylines(centre, [np.array(points)], True, 255, 1)
    ys, xs = np.nonzero(centre)
    for x, y in zip(xs, ys):
        if (3 * x + 5 * y) % every == 0:              # scattered along lines of any slope
            img[y:y + 2, x:x + 2] = PAPER


def _long_haired(face: bool, glasses: bool = True, dashed: bool = False, shift: int = 0):
    """A figure with hair falling past its shoulders; seen from the front (a face, its eyes
    behind round glasses or not, its outline in dashes or not) or from behind (strands), moved
    ``shift`` pixels to the left (towards the side edge, where a near head seen from behind stands)."""
    img = np.full((360, 640, 3), PAPER[0], np.uint8)
    cv2.ellipse(img, (320, 120), (70, 80), 0, 180, 360, INK, 2)
    for x in (250, 390):
        cv2.line(img, (x, 120), (x, 300), INK, 2)
    cv2.line(img, (250, 300), (390, 300), INK, 2)
    cv2.line(img, (180, 359), (250, 260), INK, 2)
    cv2.line(img, (390, 260), (460, 359), INK, 2)
    if face:
        outline = [(262, 100), (378, 100), (370, 160), (320, 205), (270, 160)]
        if dashed:
            _dashed(img, outline)
        else:
            cv2.polylines(img, [np.array(outline)], True, INK, 2)
        for cx in (296, 344):
            cv2.circle(img, (cx, 137), 5, INK, -1)              # the eyes
            if glasses:
                cv2.circle(img, (cx, 135), 13, INK, 2)          # the rims of glasses round them
        if glasses:
            cv2.line(img, (309, 135), (331, 135), INK, 2)       # their bridge
        cv2.line(img, (310, 180), (330, 180), INK, 2)           # mouth
    else:
        for x in (280, 305, 335, 360):                          # strands, curving down
            lean = (x - 320) // 4
            cv2.polylines(img, [np.array([(x, 60), (x + lean, 110), (x + lean // 2, 160), (x + lean, 200)])],
                          False, INK, 2)
    return np.concatenate([img[:, shift:], np.full((360, shift, 3), PAPER[0], np.uint8)], axis=1)


def _face(boxes):
    faces = [b for b in boxes if b.kind == "face"]
    assert len(faces) == 1
    x0, y0, x1, y1 = faces[0].rect
    assert 255 <= x0 <= 270 and 370 <= x1 <= 385 and 200 <= y1 <= 210
    return faces[0]


def test_eyes_behind_glasses_joined_by_their_bridge_are_two_eyes():
    _face(detect_ink(_long_haired(face=True, glasses=True)))


def test_a_face_in_broken_lines_is_found_inside_a_head_by_the_side_edge():
    faces = [b for b in detect_ink(_long_haired(face=True, glasses=False, dashed=True, shift=200))
             if b.kind == "face"]
    assert len(faces) == 1
    x0, y0, x1, y1 = faces[0].rect
    assert 55 <= x0 <= 70 and 170 <= x1 <= 185 and 200 <= y1 <= 210


def test_the_back_of_a_long_haired_head_shows_no_face_however_mended():
    boxes = detect_ink(_long_haired(face=False, shift=200))
    assert [b for b in boxes if b.kind == "head"]
    assert not [b for b in boxes if b.kind == "face"]



def test_a_crown_whose_line_broke_into_dashes_is_one_head(tmp_path):
    """A head's top line traced thin breaks into dashes where it is faint, and a hair clip's
    outline stands beside them: in each break the topmost ink is the bangs far below, and the top
    outline dips there.  Taken for the dip between two crowns (CREST), it cut B's head into two
    heads side by side, and A beside her made the frame an overlap (spot half, colour, shot 25, as
    the clip decodes; see ink.BREAK).  Bridged, the dips are gone: B's head is one head, the frame
    two characters."""
    from anim2lora.demo.real_scenes import write_real_clip
    from anim2lora.people.detectors import InkDetector
    from anim2lora.people.rules import Rules, count

    clip = tmp_path / "spot.mp4"
    truth = write_real_clip(clip, "spot", "colour", shots=27)
    index = 204
    cap = cv2.VideoCapture(str(clip))
    for _ in range(index + 1):
        ok, bgr = cap.read()
        assert ok
    boxes = InkDetector(faces=False).detect(bgr)
    c = count(boxes, bgr.shape[1], bgr.shape[0], Rules())
    assert truth[index]["group"] == "A+B" and not c.overlap and c.n == 2
