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

