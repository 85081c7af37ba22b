"""Issue 15, probe half: a stranger in the main characters' uniform beside one of them, whose
head the detector found otherwise than a main character's, made the frame look like that
character alone.  The counting rules and the ink detector on the boxes those frames gave."""

from anim2lora.people.boxes import Box
from anim2lora.people.rules import CHARACTER, Rules, count

W, H = 640, 360


def _box(kind, *rect):
    return Box(kind, tuple(float(v) for v in rect), 1.0)


def test_the_two_rims_of_a_pair_of_glasses_found_as_faces_are_one_head():
    # line art, a medium shot: the stranger's glasses (two round rims, each with an eye in it)
    # found as two faces whose boxes touch, inside its head outline; beside it a main character
    near = [_box("person", 338, 29, 598, 360), _box("head", 421, 31, 523, 144)]
    glasses = [_box("person", 27, 21, 241, 360), _box("head", 95, 22, 192, 129),
               _box("face", 117, 72, 149, 103), _box("face", 147, 68, 174, 99)]
    c = count(near + glasses, W, H, Rules(), has_faces=True)
    assert [j.label for j in c.boxes] == [CHARACTER, CHARACTER] and c.n == 2 and not c.overlap
    # two faces a hair's width apart or more stay two people's faces
    apart = [_box("person", 27, 21, 300, 360), _box("face", 60, 60, 110, 110), _box("face", 125, 60, 175, 110)]
    assert count(apart, W, H, Rules(), has_faces=True).overlap


def test_a_face_found_on_the_bodies_of_whole_figures_is_no_character():
    # a full shot on paper: two whole figures, and a face found between their arms and coats, three
    # times their heads' size, which made both look far behind it
    figures = [_box("person", 160, 56, 273, 341), _box("head", 188, 58, 235, 108),
               _box("person", 334, 49, 436, 341), _box("head", 365, 49, 412, 100)]
    c = count(figures + [_box("face", 218.7, 139.3, 378, 298.7)], W, H, Rules(), has_faces=True)
    assert [j.label for j in c.boxes] == [CHARACTER, CHARACTER] and c.n == 2
    # a face beside them, or one as high as their heads, still stands for a character of its own
    for face in ((440, 150, 520, 230), (250, 40, 330, 120)):
        c = count(figures + [_box("face", *face)], W, H, Rules(), has_faces=True)
        assert any(j.found_by_face and j.label == CHARACTER for j in c.boxes), face


def test_a_figure_beside_another_in_one_blob_is_parted_by_its_highest_head():
    # the outline pass: a main character's figure lists a low bump (a hand at its lapel) before its
    # head, the stranger's figure beside it its head alone; the flat blob holds both
    from anim2lora.people.ink import _parted

    blob = [_box("person", 24, 18, 614, 360), _box("head", 425, 28, 529, 142)]
    drawn = [_box("person", 336, 28, 614, 360), _box("head", 387, 162, 418, 193), _box("head", 426, 29, 529, 142),
             _box("person", 25, 19, 257, 360), _box("head", 113, 19, 193, 81)]
    assert _parted(blob, drawn, W, H)


def test_a_scenery_line_touching_a_heads_side_does_not_widen_the_head():
    # colour, a rendered room: the back wall's top edge runs from the stranger's hair to the wall's
    # corner and down; the silhouette's run at that row reached the corner, the head was no longer
    # round and the stranger a headless fragment beside a main character
    import numpy as np

    from anim2lora.people.ink import _head_extent, _round

    yy, xx = np.mgrid[0:160, 0:150]
    solid = ((xx - 55) / 46.0) ** 2 + ((yy - 52) / 48.0) ** 2 <= 1      # the head
    solid[98:, 40:70] = True                                          # neck
    solid[28:31, 55:145] = True                                       # the wall's top edge, 3 rows thick
    solid[28:, 141:147] = True                                        # and its corner, running down
    left, right, bottom = _head_extent(solid, 55, 4, 360)
    assert right - left < 100 and _round(solid[4:bottom, left:right + 1]), (left, right, bottom)
    # shoulders under a head still end it
    body = solid.copy()
    body[28:, 141:147] = False
    body[28:31, 55:145] = False
    body[110:, 0:150] = True
    assert _head_extent(body, 55, 4, 360)[2] < 115
