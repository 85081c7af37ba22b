"""PersonCountFilter: the counting rules one by one on boxes with known answers, the offline ink
detector on every kind of generated scene (both styles), the run with its cache, the command line
and the node loaded the way ComfyUI loads it."""

import json
import subprocess
import sys

import numpy as np
import pytest

from anim2lora.demo.people_scenes import KINDS, STYLES, scene
from anim2lora.errors import BadInputError
from anim2lora.people.boxes import Box
from anim2lora.people.detectors import InkDetector
from anim2lora.people.rules import (BACKGROUND, CHARACTER, CLOSE_UP, FRAGMENT, FULL, MEDIUM, OVERLAP, SMALL, TEXT, Rules,
                                    count, frame_reason)
from anim2lora.people.run import count_people
from anim2lora.people.settings import CountSettings
from framesets import frameset_of
from nodekit import widget_defaults

W, H = 640, 360
RULES = Rules()


def person(x0, y0, x1, y1, score=0.9):
    return Box("person", (x0, y0, x1, y1), score)


def head(x0, y0, x1, y1, kind="head"):
    return Box(kind, (x0, y0, x1, y1), 0.9)


def labels(c):
    return [j.label for j in c.boxes]


# -- the rules ----------------------------------------------------------------------------------
def test_a_whole_body_with_a_head_is_one_character():
    c = count([person(100, 60, 180, 340), head(115, 60, 165, 110)], W, H, RULES)
    assert labels(c) == [CHARACTER] and c.n == 1 and not c.overlap


@pytest.mark.parametrize("legs", [True, False])
def test_legs_running_out_of_the_bottom_under_a_figure_cut_it_there(legs):
    """Bare legs on a pale floor lose their outline where they meet the skirt: the figure's
    outline ends there, and two thin pieces of the legs' outline below it run out of the frame's
    bottom (LEGS_BELOW).  The figure is cut by the bottom, not wholly in view: its box reaches the
    bottom and it is no full shot (scout half, colour, shot 17: B, her head taken from her face,
    looked like a whole figure and was compared with the stills' full figures, unnamed at 0.67).
    With nothing under it, it stays a whole figure."""
    boxes = [person(341, 21, 518, 307), head(396, 21, 467, 91), head(401, 50, 452, 89, "face")]
    if legs:
        boxes += [person(404, 334, 406, 360), person(452, 347, 454, 360)]
    (j,) = count(boxes, W, H, RULES).characters
    if legs:
        assert j.box.rect[3] == H and not j.uncut and j.framing == MEDIUM
    else:
        assert j.box.rect[3] == 307 and j.uncut and j.framing == FULL


def test_a_close_up_cut_by_the_edge_is_a_character_and_its_framing_is_reported():
    # head and shoulders: 100 px of a body whose head is 60 px tall, cut by the bottom edge; it was
    # a fragment under min_visible until issue 15 (a close-up is the face-rich frame a LoRA needs)
    cut = [person(560, 260, 640, 360), head(575, 262, 625, 322)]
    for rules in (RULES, Rules(min_visible=0.9)):
        c = count(cut, W, H, rules)
        assert labels(c) == [CHARACTER] and c.n == 1 and c.framings == [CLOSE_UP]
    medium = count([person(200, 40, 330, 360), head(235, 40, 295, 100)], W, H, RULES)       # 5.3 heads, cut
    full = count([person(100, 60, 180, 340), head(115, 60, 165, 110)], W, H, RULES)         # feet in view
    waist = count([person(200, 100, 330, 360), head(235, 100, 295, 160)], W, H, RULES)      # 4.3 heads, cut
    assert (medium.framings, full.framings, waist.framings) == ([FULL], [FULL], [MEDIUM])
    # the user keeps or drops framings
    assert frame_reason(c, 1, 2, False, (MEDIUM, FULL)) == "framing"
    assert frame_reason(c, 1, 2, False) is None
    # a detector without heads still judges a cut body by how much of it is in view
    side = count([person(600, 100, 640, 340)], W, H, Rules(min_visible=0.5), has_heads=False)
    assert labels(side) == [FRAGMENT] and "right edge" in side.boxes[0].why


def test_a_face_with_no_body_around_it_is_a_character_on_any_background():
    big = count([Box("face", (280, 120, 400, 240), 0.95)], W, H, RULES, has_faces=True)
    assert labels(big) == [CHARACTER] and big.n == 1 and big.boxes[0].found_by_face
    assert big.framings == [CLOSE_UP]                 # under 2.6 of its heads down to the frame edge
    face = Box("face", (300, 80, 360, 140), 0.95)
    assert count([face], W, H, RULES, has_faces=True).framings == [MEDIUM]
    # two faces side by side are two characters; two faces whose heads run into each other fuse
    apart = count([face, Box("face", (460, 90, 520, 150), 0.9)], W, H, RULES, has_faces=True)
    assert apart.n == 2 and not apart.overlap
    fused = count([face, Box("face", (335, 95, 395, 155), 0.9)], W, H, RULES, has_faces=True)
    assert fused.overlap
    # a head seen from behind at the frame edge, with no face in it, is the near figure of an
    # over-the-shoulder shot; the same head with a face is a character
    back = [person(440, 60, 640, 360), head(470, 60, 600, 190)]
    assert labels(count(back, W, H, RULES, has_faces=True)) == [FRAGMENT]
    assert labels(count(back + [Box("face", (490, 100, 580, 185), 0.9)], W, H, RULES, has_faces=True)) == [CHARACTER]


def test_a_head_whose_hair_only_the_top_edge_cuts_is_a_character():
    # a close-up: the hair runs out of the top of the frame; a head outline cut by a side edge
    # may still be a shoulder (next test)
    close = count([person(200, 0, 420, 360), head(240, 0, 380, 150)], W, H, RULES)
    assert labels(close) == [CHARACTER] and close.framings == [CLOSE_UP]
    side = count([person(0, 0, 150, 360), head(0, 0, 100, 150)], W, H, RULES)
    assert labels(side) == [FRAGMENT]


def test_seen_from_behind_only_at_the_side_edge():
    # a floor line drags a character's body box to the left edge: its head stands far from that
    # edge, so it is no over-the-shoulder near figure, face found or not
    standing = [person(0, 60, 300, 360), head(180, 60, 240, 120)]
    assert labels(count(standing, W, H, RULES, has_faces=True)) == [CHARACTER]
    # the near figure's head is within a head's width of the edge that cuts its shoulders
    near = [person(0, 80, 200, 360), head(0, 80, 130, 220)]
    assert labels(count(near, W, H, RULES, has_faces=True)) == [FRAGMENT]


def test_a_face_mostly_inside_a_head_outline_is_that_head():
    # the face model's box sticks out under the outline bump's chin (85 % inside): one head
    c = count([person(360, 50, 440, 340), head(368, 56, 419, 93), head(380, 76, 412, 96, "face")], W, H, RULES,
              has_faces=True)
    assert labels(c) == [CHARACTER] and not c.overlap and c.n == 1


def test_a_face_at_one_end_of_a_head_outline_twice_its_width_is_one_of_two_heads():
    """One character half behind another, their hair fused into one outline bump: the face found
    sits at one end of the bump, and the bump runs on past its head by a whole head.  That is two
    heads in one body box (an overlap), not one head named after the face's character.  A face
    found on the eyes alone, small in the middle of its hair, stays that head's."""
    fused = count([person(170, 36, 425, 258), head(191, 41, 418, 198), head(202, 105, 279, 183, "face")], W, H,
                  RULES, has_faces=True)
    assert fused.overlap and fused.n == 2
    small = count([person(100, 18, 300, 360), head(139, 20, 220, 106), head(175, 66, 206, 97, "face")], W, H,
                  RULES, has_faces=True)
    assert labels(small) == [CHARACTER] and not small.overlap and small.n == 1


def test_a_close_ups_coat_on_the_bottom_edge_is_no_background_colour():
    """A colour must show on two edges of the frame to be its background: a close-up's coat or
    hair fills much of the bottom edge only, the wall runs round the other three."""
    import cv2
    from anim2lora.image.masks import background_colours

    frame = np.full((H, W, 3), (200, 180, 160), np.uint8)                  # a wall
    cv2.ellipse(frame, (320, 420), (300, 200), 0, 0, 360, (90, 40, 30), -1)  # a coat across the bottom
    near = lambda cs, c: any(np.abs(np.array(x) - c).max() <= 16 for x in cs)
    assert near(background_colours(frame).tolist(), (90, 40, 30))            # one edge is enough by default
    two = background_colours(frame, edges=2).tolist()
    assert near(two, (200, 180, 160)) and not near(two, (90, 40, 30))


def test_a_body_whose_head_is_cut_or_missing_is_a_fragment():
    cut_head = count([person(0, 0, 90, 300), head(0, 0, 40, 50)], W, H, RULES)
    assert labels(cut_head) == [FRAGMENT] and "head is cut" in cut_head.boxes[0].why
    headless = count([person(200, 100, 300, 340)], W, H, RULES)
    assert labels(headless) == [FRAGMENT] and headless.boxes[0].why == "no head"
    # a detector that reports no heads at all cannot ask for one
    assert labels(count([person(200, 100, 300, 340)], W, H, RULES, has_heads=False)) == [CHARACTER]


def test_boxes_on_text_small_boxes_and_unsure_boxes_do_not_count():
    text = [(400, 300, 620, 340)]
    c = count([person(410, 305, 600, 338), head(420, 305, 440, 325),          # a caption seen as a body
               person(20, 20, 40, 45), head(22, 20, 38, 30),                   # a speck
               person(100, 60, 180, 340, score=0.2), head(115, 60, 165, 110)], W, H, RULES, text)
    assert sorted(labels(c)) == sorted([TEXT, SMALL]) and c.n == 0
    assert frame_reason(c, 1, 2, False) == "no_character"


def test_a_figure_far_behind_is_background_by_its_head():
    near = [person(100, 40, 200, 350), head(120, 40, 180, 100)]
    far = [person(400, 150, 440, 260), head(408, 150, 432, 172)]       # head 22 px against 60
    c = count(near + far, W, H, RULES)
    assert labels(c) == [CHARACTER, BACKGROUND] and c.n == 1
    assert labels(count(near + far, W, H, Rules(background_scale=0.3))) == [CHARACTER, CHARACTER]


def test_two_heads_in_one_body_box_overlap_but_hair_over_a_face_is_one_head():
    fused = count([person(100, 40, 300, 350), head(110, 40, 170, 100), head(220, 80, 280, 140, "face")], W, H, RULES)
    assert labels(fused) == [OVERLAP] and fused.overlap and fused.n == 2
    assert frame_reason(fused, 1, 2, False) == "overlap"
    assert frame_reason(fused, 1, 2, True) is None, "keep_overlap keeps it"
    # a spiky-hair bump over the face found by its eyes, 5 px apart: one head
    one = count([person(150, 90, 240, 340), head(200, 91, 225, 112), head(160, 117, 230, 175, "face")], W, H, RULES)
    assert labels(one) == [CHARACTER] and one.n == 1


def test_bodies_sharing_much_of_their_boxes_overlap():
    a = [person(100, 40, 220, 350), head(130, 40, 190, 100)]
    b = [person(170, 60, 290, 350), head(200, 60, 260, 120)]
    c = count(a + b, W, H, RULES)
    assert labels(c) == [OVERLAP, OVERLAP] and c.overlap and "shares" in c.boxes[0].why
    apart = [person(400, 60, 520, 350), head(430, 60, 490, 120)]
    assert not count(a + apart, W, H, RULES).overlap


def test_boxes_widened_by_scenery_do_not_overlap_when_the_heads_shoulders_are_apart():
    """A cloud beside one head joins its outline, a cloud touching the other's arm joins that one:
    the boxes share much, yet the heads stand over two head widths apart (check half, shot 25)."""
    a = [person(160, 39, 332, 176), head(162, 45, 227, 108)]
    b = [person(225, 34, 545, 360), head(413, 36, 486, 116)]
    c = count(a + b, W, H, RULES)
    assert not c.overlap and c.n == 2, [(j.label, j.why) for j in c.boxes]
    # fused bodies have their shoulders together: still an overlap (test_bodies_sharing_much_...)
    near = [person(225, 34, 545, 360), head(240, 36, 310, 116)]
    assert count(a + near, W, H, RULES).overlap


def test_a_face_found_on_the_chest_under_a_head_is_no_second_head():
    """A bow, a collar or lapels under a head found as a small face: one character (check half,
    shots 4 and 24).  A face as big as a nearer head's under it is someone in front: an overlap."""
    top = [person(220, 45, 529, 360), head(318, 46, 442, 136)]
    c = count(top + [head(352, 161, 411, 220, "face")], W, H, RULES, has_faces=True)
    assert not c.overlap and c.n == 1 and labels(c) == [CHARACTER]
    assert c.boxes[0].heads[0].kind == "head", "the head above stays the character's head"
    front = count(top + [head(330, 170, 440, 270, "face")], W, H, RULES, has_faces=True)
    assert front.overlap and front.n == 2
    # big hair found as a bump down to the bangs over a small face: the face is that head's own
    hair = count([person(220, 45, 529, 360), head(300, 70, 460, 120), head(345, 122, 415, 190, "face")],
                 W, H, RULES, has_faces=True)
    assert hair.n == 1 and [h.kind for h in hair.boxes[0].heads] == ["face"]


def test_a_shoulder_bump_under_a_faces_chin_is_no_second_head():
    """A cloud drawn behind a figure joins its outline at the shoulder, and the top of that
    shoulder is found as a small head box under the chin beside the neck (probe half, shot 8): it
    is the figure's shoulder, so the frame is one character, not an overlap.  A head as big as
    the one above, or one standing at the head's own height, is a second character."""
    top = [person(322, 19, 580, 322), head(428, 42, 463, 68, "face")]
    c = count(top + [head(397, 83, 428, 118)], W, H, RULES, has_faces=True)
    assert not c.overlap and c.n == 1 and labels(c) == [CHARACTER], [(j.label, j.why) for j in c.boxes]
    nearer = count(top + [head(380, 80, 440, 140)], W, H, RULES, has_faces=True)
    assert nearer.overlap and nearer.n == 2
    beside = count(top + [head(380, 30, 420, 70)], W, H, RULES, has_faces=True)
    assert beside.overlap and beside.n == 2


def test_a_small_face_inside_a_head_box_is_a_mark_on_that_head():
    """A loop of long hair beside the chin closed round two specks, found as a face a quarter as
    wide as the head box it lies in: a mark on that head, one character (scout half, shot 25: B
    became an overlap).  A face behind that head would be hidden by it, and one in front would be
    about as wide as the head."""
    top = [person(391, 36, 512, 132), head(417, 36, 489, 105)]
    c = count(top + [head(463, 93, 477, 116, "face")], W, H, RULES, has_faces=True)
    assert not c.overlap and c.n == 1 and labels(c) == [CHARACTER]
    assert c.boxes[0].heads[0].kind == "head"


def test_a_small_head_bump_inside_a_face_is_a_mark_on_that_face():
    """The mirror: one lens of B's glasses closed into a loop of its own, found as an outline bump
    22 px wide with a sliver of outline under it, inside a face 154 px wide (scout half, colour,
    shot 27).  Taken for a head it made the character a box round the lens, and the face was
    dropped as that "head's" own: B's close-up named from 22 pixels, unknown.  A mark on the face
    (FACE_MARK), the face is the character's head, its hair guessed."""
    boxes = [person(317, 126, 459, 193), head(317, 126, 339, 142), head(325, 116, 479, 214, "face")]
    c = count(boxes, 640, 360, RULES, has_faces=True)
    chars = [j for j in c.boxes if j.label == CHARACTER]
    assert c.n == 1 and len(chars) == 1 and chars[0].head[2] - chars[0].head[0] > 150, c.boxes
    assert chars[0].hair_guessed


def test_a_bump_of_spiky_hair_over_a_close_ups_face_is_that_face_s_hair():
    """A close-up's spiky hair rises high over its face; a bump on one side of it, within the
    head the face implies and reaching down into the face, is its hair (check half, shot 12).
    A bump beside the face's head is another head."""
    c = count([person(215, 20, 410, 360), head(306, 21, 410, 136), head(256, 114, 389, 205, "face")],
              W, H, RULES, has_faces=True)
    assert not c.overlap and c.n == 1
    beside = count([person(215, 20, 560, 360), head(420, 21, 530, 136), head(256, 114, 389, 205, "face")],
                   W, H, RULES, has_faces=True)
    assert beside.n == 2


def test_a_bump_of_hair_on_a_head_and_a_face_inside_a_head_are_that_one_head():
    # a spike or ribbon on the hair top (under half a head wide) and a face model's eyes-to-mouth
    # box inside the head outline: one character, not an overlap of three heads
    c = count([person(200, 40, 400, 360), head(240, 60, 360, 180), head(330, 40, 360, 62),
               head(270, 110, 330, 160, "face")], W, H, RULES)
    assert labels(c) == [CHARACTER] and not c.overlap and c.n == 1


def test_one_outline_over_two_heads_whose_shoulders_do_not_touch_is_two_characters():
    # a floor line or a table joins two standing characters into one blob: cut between the heads
    c = count([person(20, 40, 620, 360), head(100, 50, 160, 110), head(450, 60, 510, 120)], W, H, RULES)
    assert labels(c) == [CHARACTER, CHARACTER] and not c.overlap and c.n == 2
    assert sorted(j.box.rect[2] for j in c.boxes)[0] < 450


def test_heads_nearer_than_a_body_width_overlap_whatever_their_boxes():
    # bodies lost in a dark background: two heads side by side, a head's width apart, with a
    # box each that barely meet, have their shoulders fused
    c = count([person(100, 40, 190, 140), head(110, 40, 180, 110), person(185, 45, 275, 145),
               head(195, 45, 265, 115)], W, H, RULES)
    assert c.overlap and all(j.label == OVERLAP for j in c.characters)
    apart = count([person(100, 40, 190, 140), head(110, 40, 180, 110), person(400, 45, 490, 145),
                   head(410, 45, 480, 115)], W, H, RULES)
    assert not apart.overlap and apart.n == 2


def test_outlines_that_show_their_shoulders_overlap_by_their_boxes_not_their_heads():
    # two characters side by side, each its own outline down to the frame edge; a lamp's glow
    # behind one widens its head box to twice a head: the boxes barely touch, no overlap
    a = [person(80, 30, 250, 360), head(80, 30, 170, 130)]
    b = [person(240, 10, 510, 360), head(270, 10, 455, 135)]
    c = count(a + b, W, H, RULES)
    assert not c.overlap and c.n == 2
    # the same heads on outlines cut apart from one blob (no box edge of their own) still fuse
    joined = count([person(80, 30, 510, 360), head(80, 30, 170, 130), head(270, 10, 455, 135)], W, H, RULES)
    assert joined.overlap


def test_an_eye_or_hair_found_as_a_face_is_that_heads():
    # an eye found as a second, smaller face half inside the first face's head: one head
    c = count([person(20, 20, 500, 360), head(24, 20, 163, 172), head(81, 62, 113, 93, "face"),
               head(107, 76, 123, 108, "face"), head(332, 23, 491, 169)], W, H, RULES, has_faces=True)
    assert not c.overlap and c.n == 2
    # the bangs over a held face found as a face of its own: still one character
    one = count([person(395, 123, 485, 328), head(379, 147, 464, 232, "face"), head(344, 30, 532, 131, "face")],
                W, H, RULES, has_faces=True)
    assert not one.overlap and one.n == 1


def test_whole_figures_as_tall_are_not_far_behind_whatever_their_head_boxes():
    # a head outline followed down into the shoulders looks twice its size; the other figure,
    # as tall from head to feet, is no figure far behind
    a = [person(199, 41, 319, 339), head(207, 43, 324, 171)]
    b = [person(359, 67, 478, 346), head(392, 67, 459, 126)]
    c = count(a + b, W, H, RULES)
    assert labels(c) == [CHARACTER, CHARACTER] and c.n == 2
    # a figure far behind is small from head to feet
    far = [person(400, 150, 440, 260), head(408, 150, 432, 172)]
    assert labels(count(a + far, W, H, RULES)) == [CHARACTER, BACKGROUND]


def test_a_figure_far_behind_a_character_whose_outline_ends_at_its_chin_is_background():
    # issue 15 (check half, a painted room): the main character's navy body is lost in the
    # background, so its box is its head alone, about as tall as a whole small figure far behind
    near = [person(404, 37, 485, 123), head(411, 38, 479, 107)]
    far = [person(156, 134, 191, 233), head(162, 138, 183, 159)]
    assert labels(count(near + far, W, H, RULES)) == [CHARACTER, BACKGROUND]


def test_figures_cut_alike_at_the_bottom_as_wide_and_tall_are_not_far_behind():
    # a medium shot of two figures side by side, cut at the waist: one head found whole, the other
    # only by one lens of its glasses, a third of its head
    near = [person(20, 20, 245, H), head(100, 22, 195, 125)]
    lens = [person(350, 30, 600, H), head(480, 80, 510, 110, "face")]
    assert labels(count(near + lens, W, H, RULES)) == [CHARACTER, CHARACTER]
    # cut at the bottom, a figure far behind is narrow however low it stands
    low = [person(420, 200, 470, H), head(432, 200, 458, 226)]
    assert labels(count(near + low, W, H, RULES)) == [CHARACTER, BACKGROUND]
    # and one cut at a side edge as well says nothing about its distance
    side = [person(500, 30, W, H), head(560, 80, 590, 110, "face")]
    assert labels(count(near + side, W, H, RULES)) == [CHARACTER, BACKGROUND]


def test_a_plate_found_as_a_wide_bump_with_nothing_below_is_no_head():
    # a plate seen from above: a bump twice as wide as tall that is its whole outline
    plate = count([person(270, 294, 388, 344), head(270, 294, 387, 349)], W, H, RULES)
    assert labels(plate) == [FRAGMENT] and plate.n == 0
    # two heads fused into one wide bump still stand on their shoulders
    fused = count([person(228, 33, 476, 216), head(227, 35, 457, 160)], W, H, RULES)
    assert labels(fused) == [CHARACTER]


def test_a_headless_outline_standing_like_a_figure_beside_a_character_leaves_the_frame_out():
    named = [person(411, 41, 526, 306), head(440, 43, 490, 100)]
    figure = person(184, 25, 398, 286)          # someone whose head was not found, as tall, on one floor
    c = count(named + [figure], W, H, RULES)
    assert labels(c) == [FRAGMENT, CHARACTER] and c.n == 1 and c.headless
    assert frame_reason(c, 1, 2, False) == "headless"
    # a door rises above the head, a pole is thin, a table stays low: the frame stays
    for other in (person(200, 0, 320, 300), person(250, 41, 260, 306), person(150, 200, 380, 306)):
        c = count(named + [other], W, H, RULES)
        assert not c.headless and frame_reason(c, 1, 2, False) is None


def test_min_score_judges_bodies_only():
    """Heads and faces passed their own model's threshold (face 0.25): a sure body with a face at
    0.28 is a character, and a stricter min_score drops weak bodies, not their heads."""
    body, face = person(100, 60, 180, 340, score=0.9), Box("face", (115, 70, 165, 120), 0.28)
    assert labels(count([body, face], W, H, RULES)) == [CHARACTER]
    assert labels(count([body, face], W, H, Rules(min_score=0.95))) == []


def test_tiny_grey_and_odd_pictures_show_nobody_and_do_not_crash():
    for shape in ((1, 1, 3), (2, 2, 3), (50, 3, 3), (3, 50, 3), (15, 200, 3)):
        assert InkDetector().detect(np.full(shape, 255, np.uint8)) == []
    rgb, _ = scene("solo_a", 0, W, H, "line")
    grey = rgb.mean(axis=2).astype(np.uint8)
    boxes = InkDetector().detect(grey)
    assert count(boxes, W, H, RULES).n == 1
    assert count(InkDetector().detect(grey[..., None]), W, H, RULES).n == 1


def test_frame_reasons_follow_the_range():
    two = count([person(50, 40, 150, 350), head(70, 40, 130, 100), person(400, 40, 500, 350),
                 head(420, 40, 480, 100)], W, H, RULES)
    assert two.n == 2
    assert frame_reason(two, 1, 2, False) is None
    assert frame_reason(two, 1, 1, False) == "too_many"
    assert frame_reason(two, 3, 4, False) == "too_few"


def test_settings_are_checked_by_name():
    with pytest.raises(BadInputError, match="min_count"):
        CountSettings(min_count=3, max_count=2)
    with pytest.raises(BadInputError, match="max_overlap"):
        CountSettings(max_overlap=1.5)
    with pytest.raises(BadInputError, match="detector"):
        CountSettings(detector="yolo")


def _inked_character_on_a_lit_gradient():
    """A cel character inked with dark outlines (hair, face, two eyes, a neck, a body cut by the
    bottom edge) on a sky-to-dusk gradient with a soft lamp glow: no flat colour frames it."""
    import cv2

    ys, xs = np.mgrid[0:H, 0:W].astype(np.float32)
    t = (ys / H)[..., None] * 0.7 + (xs / W)[..., None] * 0.3
    img = (np.array([200, 150, 90], np.float32) * (1 - t) + np.array([60, 90, 200], np.float32) * t)
    img += (np.exp(-((xs - 500) ** 2 + (ys - 90) ** 2) / (2 * 40.0 ** 2)) * 120)[..., None]     # the lamp
    img = np.clip(img, 0, 255).astype(np.uint8)
    ink, line = (25, 20, 30), 3
    neck = np.array([[222, 200], [222, 250], [258, 250], [258, 200]], np.int32)
    cv2.fillPoly(img, [neck], (190, 215, 250))
    cv2.polylines(img, [neck], False, ink, line, cv2.LINE_AA)
    body = np.array([[150, 360], [175, 245], [305, 245], [330, 360]], np.int32)
    cv2.fillPoly(img, [body], (90, 40, 30))
    cv2.polylines(img, [body], False, ink, line, cv2.LINE_AA)
    cv2.ellipse(img, (240, 150), (52, 62), 0, 0, 360, (190, 215, 250), -1, cv2.LINE_AA)       # face
    cv2.ellipse(img, (240, 150), (52, 62), 0, 0, 360, ink, line, cv2.LINE_AA)
    cv2.ellipse(img, (240, 120), (60, 48), 0, 180, 360, (40, 70, 140), -1, cv2.LINE_AA)       # hair
    cv2.ellipse(img, (240, 120), (60, 48), 0, 180, 360, ink, line, cv2.LINE_AA)
    cv2.line(img, (180, 120), (300, 120), ink, line, cv2.LINE_AA)
    for x in (220, 260):                                                                     # eyes
        cv2.ellipse(img, (x, 150), (8, 12), 0, 0, 360, ink, -1, cv2.LINE_AA)
    cv2.line(img, (232, 185), (248, 185), ink, 2, cv2.LINE_AA)                                # mouth
    return img, (180, 72, 300, 212)


def test_two_heads_whose_hair_touches_get_a_head_box_each():
    """Two characters standing close, heads touching, bodies one blob widening to the frame edge:
    the outline under both heads met no chin, so each head is followed on its own side of the
    dip between them; one head box over both heads counted them as one character."""
    import cv2

    def figure(img, cx, top, rx, ry):
        body = np.array([[cx - 20, top + 1.8 * ry], [cx + 20, top + 1.8 * ry], [cx + 108, H], [cx - 108, H]], np.int32)
        cv2.fillPoly(img, [body], (90, 60, 40))
        cv2.polylines(img, [body], True, (0, 0, 0), 2)
        cv2.ellipse(img, (cx, top + ry), (rx, ry), 0, 0, 360, (150, 190, 230), -1)
        cv2.ellipse(img, (cx, top + ry), (rx, ry), 0, 0, 360, (0, 0, 0), 2)

    # apart far enough that the outline dips between the heads; so near that it barely does (the
    # two bumps were merged as one head's spikes, and that one head ran down both bodies)
    for apart in (88, 78):
        two = np.full((H, W, 3), 255, np.uint8)
        figure(two, 270, 40, 45, 70)
        figure(two, 270 + apart, 42, 45, 70)
        heads = [b for b in InkDetector(faces=False).detect(two) if b.kind == "head"]
        assert len(heads) == 2 and all(h.width < 120 for h in heads), (apart, heads)
        c = count(InkDetector(faces=False).detect(two), W, H, RULES)
        assert c.overlap and c.n == 2


def test_a_character_inked_on_a_gradient_is_found_by_its_outlines_and_a_lamp_glow_is_no_head():
    bgr, truth_head = _inked_character_on_a_lit_gradient()
    boxes = InkDetector().detect(bgr)
    heads = [b for b in boxes if b.kind == "head"]
    assert heads and all(b.rect[0] < 330 for b in heads), "the glow at x 500 is no head"
    c = count(boxes, W, H, RULES, (), True, False)
    assert c.n == 1
    x0, y0, x1, y1 = c.characters[0].head
    assert x0 < 240 < x1 and y0 < 150 < y1


def test_a_cloud_joined_to_a_figures_outline_leaves_its_head_not_its_shoulder():
    """Line art, probe half, shot 8: a cloud drawn behind A's head joins its outline to A's, so
    the blob's top is the cloud's and the only bump found (under the cloud's loop) is the top of
    A's shoulder, beside his neck.  A head tops its figure: the head of A's own inked outline is
    taken, and the shoulder bump under his face's chin is no second head.  Before, the frame was
    an overlap of A's face and his shoulder."""
    import cv2

    from anim2lora.demo.real_scenes import frame
    from anim2lora.demo.real_shots import real_set

    rgb, truth = frame(real_set("probe")[8], 2, "line", W, H)
    boxes = InkDetector().detect(cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    (a,) = [p for p in truth["people"] if p["name"] == "A"]
    c = count(boxes, W, H, RULES, (), True, True)
    assert not c.overlap and c.n == 1, [(j.label, j.why, j.box.rect) for j in c.boxes]
    x0, y0, x1, y1 = c.characters[0].head
    ax0, ay0, ax1, ay1 = a["head"]
    assert abs(y0 - ay0) <= 10 and x0 < (ax0 + ax1) / 2 < x1, "the head reaches A's crown"


def test_a_blob_along_three_edges_is_the_background_and_a_plate_is_no_found_head():
    """Grey room lines joined to a figure make one blob along the top, a side and the bottom: the
    background (also with numpy's integers, whose booleans do not add up), so the figure's dark
    outlines are tried; so they are when the only head found is a plate or a cup that the bottom
    edge cuts."""
    from anim2lora.people.ink import _scenery, _standing_head

    assert _scenery(tuple(np.int32(v) for v in (106, 0, 640, 360)), 640, 360)
    assert not _scenery(tuple(np.int32(v) for v in (106, 20, 640, 360)), 640, 360)
    plate = head(0, 315, 55, 369)
    assert not _standing_head([person(0, 315, 56, 360), plate], W, H)
    assert _standing_head([plate, head(281, 0, 433, 200)], W, H)           # a close-up's crown: top cut only


def _figure_before_a_wall(img, cx, top, ink=(25, 20, 30)):
    """A cel figure inked with dark outlines: a round head (hair, two eyes) on a neck and a coat."""
    import cv2

    body = np.array([[cx - 60, top + 300], [cx - 45, top + 130], [cx + 45, top + 130], [cx + 60, top + 300]], np.int32)
    cv2.fillPoly(img, [body], (60, 50, 120))
    cv2.polylines(img, [body], True, ink, 2, cv2.LINE_AA)
    cv2.rectangle(img, (cx - 10, top + 100), (cx + 10, top + 130), (190, 215, 250), -1)
    for x in (cx - 10, cx + 10):
        cv2.line(img, (x, top + 100), (x, top + 130), ink, 2, cv2.LINE_AA)
    cv2.ellipse(img, (cx, top + 55), (42, 55), 0, 0, 360, (190, 215, 250), -1, cv2.LINE_AA)
    cv2.ellipse(img, (cx, top + 55), (42, 55), 0, 0, 360, ink, 2, cv2.LINE_AA)
    cv2.ellipse(img, (cx, top + 35), (46, 36), 0, 180, 360, (40, 70, 140), -1, cv2.LINE_AA)
    cv2.ellipse(img, (cx, top + 35), (46, 36), 0, 180, 360, ink, 2, cv2.LINE_AA)
    for x in (cx - 16, cx + 16):
        cv2.ellipse(img, (x, top + 60), (6, 9), 0, 0, 360, ink, -1, cv2.LINE_AA)


def test_a_wall_line_the_figure_stands_before_is_scenery_not_its_outline():
    """A room's wall edge runs behind a standing figure just under the top of its head: the figure
    cuts the line in two pieces, each shorter than a scenery line, which joined the head's
    outline to the wall's and hid its bump.  Pieces in line that add up to a scenery line are
    one: the head stands out again."""
    import cv2

    img = np.full((H, W, 3), (150, 165, 185), np.uint8)                  # the back wall
    img[250:] = np.linspace((60, 65, 75), (110, 115, 125), W).astype(np.uint8)   # a shaded floor
    cv2.rectangle(img, (120, 66), (430, 250), (40, 40, 40), 1)           # a window's frame
    _figure_before_a_wall(img, 250, 62)
    boxes = InkDetector(faces=False).detect(img)
    heads = [b for b in boxes if b.kind == "head"]
    assert any(200 < (h.rect[0] + h.rect[2]) / 2 < 300 and h.rect[1] < 80 for h in heads), boxes
    assert count(boxes, W, H, RULES).n == 1


def test_a_wall_line_cut_into_a_long_and_a_short_piece_is_scenery():
    """A rendered room's back wall: its top line runs from near the frame's left edge to its
    corner, and a standing figure's head cuts it into a piece long enough for a scenery line and
    a shorter piece in line with it.  Measured apart, the long piece went and the short one
    stayed, joining the head's outline to the wall's corner (the head did not stand out).  Pieces
    in line are one line, counted before either goes: both go, the head is found."""
    import cv2
    from anim2lora.image.masks import without_scenery_lines

    mask = np.zeros((H, W), np.uint8)
    mask[60, 10:220] = mask[60, 300:400] = 255                            # long and short piece
    mask[60:200, 400] = 255                                               # the wall's corner
    cv2.ellipse(mask, (260, 100), (40, 50), 0, 0, 360, 255, 2)            # the head between them
    kept = without_scenery_lines(mask)
    assert not kept[60, 320:390].any() and kept[100, 220]

    img = np.full((H, W, 3), (150, 165, 185), np.uint8)                  # the back wall
    img[250:] = np.linspace((60, 65, 75), (110, 115, 125), W).astype(np.uint8)   # a shaded floor
    cv2.rectangle(img, (6, 66), (400, 250), (40, 40, 40), 1)             # the back wall's edges
    _figure_before_a_wall(img, 250, 62)
    heads = [b for b in InkDetector(faces=False).detect(img) if b.kind == "head"]
    assert any(200 < (h.rect[0] + h.rect[2]) / 2 < 300 and h.rect[1] < 80 for h in heads), heads


def test_a_night_scenes_outlines_are_found_by_their_relative_contrast():
    """A night set: the room, the navy coat and its ink line all lie in the bottom few dozen
    levels (the coat's fill a dozen above its line), so no line is LINE_CONTRAST darker than its
    sides, yet the eye sees the coat's outline plainly.  On a night frame a line a good share
    darker than both its sides is an outline; a lit frame's soft shading of the same step is not."""
    import cv2
    from anim2lora.image.masks import outlines

    def coat(room, fill, line):
        img = np.full((H, W, 3), room, np.uint8)
        body = np.array([[250, 330], [270, 120], [370, 120], [390, 330]], np.int32)
        cv2.fillPoly(img, [body], fill)
        cv2.polylines(img, [body], True, line, 2)
        return outlines(img)

    night = coat((30, 28, 28), (26, 22, 22), (12, 10, 10))
    assert night[200, 255:270].any() and not night[50:100, 50:200].any()
    # the same step of 14 levels in a lit frame is shading, no line
    assert not coat((170, 165, 160), (120, 110, 110), (106, 96, 96))[200, 255:270].any()


def test_a_dark_coats_figure_gets_the_head_its_outline_shows_in_its_hair_blob():
    """A night set: the navy coat is as dark as the room and makes no flat blob; only the hair
    and the face differ from the background, a blob with no bump of a head on it.  The figure's
    outline closes round the whole body and shows the head, inside that blob: the blob is a
    piece of that figure, and it gets the head."""
    from anim2lora.people.ink import _headed_by_outline

    hair = person(237, 52, 280, 142)
    outline = [person(205, 52, 295, 340), head(222, 60, 285, 120)]
    boxes = _headed_by_outline([hair], outline, W, H)
    assert [b.rect for b in boxes if b.kind == "head"] == [(222, 60, 285, 120)]
    # a flat blob beside the figure (a lamp) that holds no head of it gets none
    assert not [b for b in _headed_by_outline([person(100, 140, 130, 165)], outline, W, H) if b.kind == "head"]


def test_a_crate_drawn_in_straight_lines_is_no_head():
    """A shaded crate stands on a rendered room's floor beside a figure: its top is a round
    enough bump of its outline, but a box is drawn in straight lines and a head in curves.  The
    crate is no head; the figure's head still is."""
    import cv2
    from anim2lora.people.ink import _ruled

    img = np.full((H, W, 3), (150, 165, 185), np.uint8)                  # the back wall
    img[250:] = np.linspace((60, 65, 75), (110, 115, 125), W).astype(np.uint8)   # a shaded floor
    _figure_before_a_wall(img, 250, 40)
    top = np.array([[430, 200], [470, 185], [530, 185], [490, 200]], np.int32)
    front = np.array([[430, 200], [490, 200], [490, 270], [430, 270]], np.int32)
    side = np.array([[490, 200], [530, 185], [530, 255], [490, 270]], np.int32)
    for face, colour in ((top, (90, 200, 230)), (front, (60, 150, 190)), (side, (40, 110, 150))):
        cv2.fillPoly(img, [face], colour)
        cv2.polylines(img, [face], True, (25, 20, 30), 2)
    heads = [b for b in InkDetector(faces=False).detect(img) if b.kind == "head"]
    assert heads and all((h.rect[0] + h.rect[2]) / 2 < 400 for h in heads), heads
    # the rule itself: a box's outline is ruled, a head's is not
    crate, face = np.zeros((80, 80), bool), np.zeros((80, 80), np.uint8)
    crate[10, 5:75] = crate[70, 5:75] = crate[10:71, 5] = crate[10:71, 75] = crate[10, 5:75] = True
    cv2.ellipse(face, (40, 42), (32, 36), 0, 0, 360, 255, 2)
    for x in (28, 52):
        cv2.ellipse(face, (x, 45), (4, 6), 0, 0, 360, 255, -1)
    assert _ruled(crate, H) and not _ruled(face > 0, H)


def test_a_cloud_drawn_behind_a_head_is_scenery_and_the_head_is_found():
    """Line art: a cloud's outline runs behind a figure's head, its lower line meeting the crown,
    so the cloud's top was the blob's top and the figure had no head (a stranger beside A went
    uncounted).  The cloud is an empty loop much wider than tall that runs past the head on both
    sides: without it the head stands out again."""
    import cv2

    ink = (30, 30, 30)
    img = np.full((H, W, 3), 255, np.uint8)
    cx, top = 250, 70
    cv2.ellipse(img, (cx, top - 22), (120, 26), 0, 0, 360, ink, 2, cv2.LINE_AA)               # the cloud
    body = np.array([[cx - 60, top + 300], [cx - 45, top + 130], [cx + 45, top + 130], [cx + 60, top + 300]], np.int32)
    cv2.polylines(img, [body], True, ink, 2, cv2.LINE_AA)
    for x in (cx - 10, cx + 10):
        cv2.line(img, (x, top + 100), (x, top + 130), ink, 2, cv2.LINE_AA)
    cv2.ellipse(img, (cx, top + 55), (42, 55), 0, 0, 360, (255, 255, 255), -1, cv2.LINE_AA)  # covers the cloud
    cv2.ellipse(img, (cx, top + 55), (42, 55), 0, 0, 360, ink, 2, cv2.LINE_AA)
    for x in (cx - 24, cx - 8, cx + 8, cx + 24):                                          # hair strands
        cv2.line(img, (x, top + 2), (x + (x - cx) // 4, top + 30), ink, 2, cv2.LINE_AA)
    for x in (cx - 16, cx + 16):
        cv2.ellipse(img, (x, top + 60), (6, 9), 0, 0, 360, ink, -1, cv2.LINE_AA)
    boxes = InkDetector(faces=False).detect(img)
    heads = [b for b in boxes if b.kind == "head"]
    assert any(cx - 30 < (h.rect[0] + h.rect[2]) / 2 < cx + 30 and h.width < 120 for h in heads), boxes
    assert count(boxes, W, H, RULES).n == 1


def test_specks_are_no_eyes():
    """A coat's panel closed by its outline and a table's edge holds specks of a broken fold line
    (or of compression noise): two specks side by side made it a face, a second character on the
    first one's coat.  An eye spans a few percent of its face at least."""
    import cv2
    from anim2lora.people.ink import faces

    def outline(eyes):
        mask = np.zeros((H, W), np.uint8)
        cv2.ellipse(mask, (320, 180), (40, 50), 0, 0, 360, 255, 2)
        for x in (305, 335):
            if eyes:
                cv2.ellipse(mask, (x, 170), (5, 8), 0, 0, 360, 255, -1)
            else:
                mask[170, x] = 255
        return mask

    assert len(faces(outline(True), H)) == 1
    assert faces(outline(False), H) == []


# -- the offline detector on generated scenes ---------------------------------------------------
def _counted(kind, k, style):
    rgb, truth = scene(kind, k, W, H, style)
    bgr = np.ascontiguousarray(rgb[..., ::-1])
    text = [tuple(t) for t in truth["text"]]
    return count(InkDetector().detect(bgr, text), W, H, RULES, text), truth


@pytest.mark.parametrize("style", STYLES)
def test_the_ink_detector_counts_every_kind_of_scene(style):
    """Every kind but overlap must count exactly what the truth says; an overlap must never pass as
    two separate characters (GroupSplit would call it A+B)."""
    wrong = []
    for kind in KINDS:
        for k in range(4):
            c, truth = _counted(kind, k, style)
            if kind == "overlap":
                if c.n == 2 and not c.overlap:
                    wrong.append(f"{kind}/{k}: two separate characters")
            elif c.n != truth["count"] or c.overlap:
                wrong.append(f"{kind}/{k}: {c.n} (truth {truth['count']}) {[(j.label, j.why) for j in c.boxes]}")
    assert not wrong, wrong


@pytest.mark.parametrize("style", STYLES)
def test_fragments_background_figures_and_text_get_their_labels(style):
    fragment, _ = _counted("fragment", 1, style)
    assert FRAGMENT in labels(fragment) and fragment.n == 1
    far, _ = _counted("background_figure", 0, style)
    assert BACKGROUND in labels(far) and far.n == 1
    shoulder, _ = _counted("over_shoulder", 1, style)
    assert FRAGMENT in labels(shoulder) and shoulder.n == 1
    empty, _ = _counted("empty", 0, style)
    assert empty.n == 0


def test_overlaps_are_flagged_by_two_faces_in_one_body():
    """The head behind shows no bump on the outline; its face (eyes in a closed outline) does."""
    flagged = [k for k in range(12) if _counted("overlap", k, "colour")[0].overlap]
    assert len(flagged) >= 3, flagged


# -- the run, its cache, the command line and the node -----------------------------------------
def _pictures(style="line"):
    specs = [("solo_a", 0), ("both", 0), ("empty", 0), ("fragment", 1), ("solo_b", 0), ("background_figure", 0)]
    return [scene(kind, k, W, H, style) for kind, k in specs]


@pytest.fixture
def small_set(tmp_path):
    return frameset_of(tmp_path, [(rgb, None) for rgb, _ in _pictures()])


def test_count_people_keeps_the_range_and_rejudges_from_the_cache(small_set):
    first = count_people(small_set)
    assert first.detected == 6 and first.summary["counts"] == {"0": 1, "1": 2, "2": 0, "3": 1, "4": 1, "5": 1}
    assert first.summary["kept"] == [0, 1, 3, 4, 5] and first.summary["dropped"] == {"no_character": [2]}
    assert [r["index"] for r in first.rejected.kept] == [2]
    assert first.rejected.kept[0]["reason"] == "no_character"
    assert {j["label"] for r in first.kept.kept for j in r["people"]} >= {CHARACTER, FRAGMENT, BACKGROUND}
    solo = count_people(small_set, CountSettings(max_count=1))
    assert solo.detected == 0, "a new threshold re-judges the cached boxes"
    assert solo.summary["dropped"] == {"no_character": [2], "too_many": [1]}


def test_new_counting_rules_name_a_new_set_and_rejudge_the_cached_boxes(small_set, monkeypatch):
    from anim2lora.people import run

    first = count_people(small_set)
    monkeypatch.setattr(run, "COUNTING", "counting-next")
    again = count_people(small_set)
    assert again.detected == 0, "the boxes' cache is keyed by the detector, which did not change"
    assert again.kept.path != first.kept.path and again.rejected.path != first.rejected.path


def test_an_empty_set_is_reported_not_raised(tmp_path, small_set):
    from anim2lora.people.report import count_report, count_sheet

    nothing = small_set.derive("none", {}, lambda row: "gone")
    result = count_people(nothing)
    report = count_report(result)
    assert len(result.kept) == 0 and "no frames" in report
    assert count_sheet(result.kept).ndim == 3
    everything_dropped = count_people(small_set, CountSettings(min_count=3, max_count=3))
    assert "no frame is left" in count_report(everything_dropped)


def test_the_command_line_prints_source_indices(small_set, tmp_path):
    out = subprocess.run([sys.executable, "-m", "anim2lora", "count", str(small_set.path), "--out",
                          str(tmp_path / "count"), "--json", "--max-count", "1"],
                         capture_output=True, text=True, check=True)
    s = json.loads(out.stdout)
    assert s["kept"] == [0, 3, 4, 5] and s["dropped"] == {"no_character": [2], "too_many": [1]}
    assert s["counts"]["1"] == 2 and s["detector"]["detector"] == "ink"
    assert (tmp_path / "count" / "count_preview.png").is_file() and (tmp_path / "count" / "count_report.txt").is_file()
    bad = subprocess.run([sys.executable, "-m", "anim2lora", "count", str(small_set.path), "--out", str(tmp_path),
                          "--min-count", "3"], capture_output=True, text=True)
    assert bad.returncode == 2 and "min_count" in bad.stderr


def test_the_node_filters_and_shows_labelled_boxes(pack, host_dirs, small_set):
    node = pack.NODE_CLASS_MAPPINGS["PersonCountFilter"]
    out = node().filter(frames=small_set, unique_id="5", **widget_defaults(node))
    kept, rejected, preview, report = out["result"]
    assert [r["index"] for r in kept.kept] == [0, 1, 3, 4, 5] and [r["index"] for r in rejected.kept] == [2]
    assert preview.shape[0] == 1 and preview.shape[3] == 3 and float(preview.max()) <= 1.0
    assert report.startswith("PersonCountFilter: 6 frames in; kept 5") and out["ui"]["a2l_report"] == [report]


def _figure_beside_a_lamp_glow():
    """A cel figure on a dim evening wall, a lamp's soft warm glow touching its head."""
    img = np.full((H, W, 3), (90, 80, 80), np.uint8)
    _figure_before_a_wall(img, 250, 40)
    yy, xx = np.mgrid[0:H, 0:W]
    glow = np.exp(-((xx - 335) ** 2 + (yy - 70) ** 2) / (2 * 35.0 ** 2))[..., None] * np.array([110, 160, 200])
    return np.clip(img + glow, 0, 255).astype(np.uint8)


def test_a_lamps_glow_is_background_and_widens_no_head():
    """Light falls off smoothly and a drawn figure's edges are steps: the glow is reached from the
    border's background through small steps, the figure's fills are not, and the head box stays
    on the head (it ran over the glow, and the character was named by nobody)."""
    from anim2lora.image.masks import background_colours, foreground, soft_light

    img = _figure_beside_a_lamp_glow()
    lit = soft_light(img, foreground(img, background_colours(img, edges=2)))
    assert lit[70, 335] and lit[70, 370], "the glow's middle and its side"
    assert not lit[95, 250] and not lit[300, 250], "the face and the coat"
    heads = [b for b in InkDetector(faces=False).detect(img) if b.kind == "head"]
    assert any(b.rect[0] < 250 < b.rect[2] < 310 and b.rect[1] < 95 < b.rect[3] for b in heads), heads


def test_outlines_part_a_blob_only_into_figures_with_heads_side_by_side():
    """The outlines part two figures a blob merged when they show two bodies with a head in the
    blob's upper part; a second bump inside one body (a raised hand), or a figure's legs with its
    hands on top, is no second figure."""
    from anim2lora.people.ink import _parted

    merged = [person(40, 50, 440, 350), head(360, 50, 410, 95)]
    two = [person(40, 90, 205, 313), person(209, 85, 250, 148), head(209, 87, 248, 130),
           person(374, 57, 414, 120), head(376, 59, 419, 104)]
    assert _parted(merged, two, W, H)
    one = [person(450, 91, 525, 340), head(457, 92, 505, 140)]
    stick = [person(450, 91, 525, 210), head(445, 95, 530, 189), person(452, 233, 522, 340), head(453, 236, 468, 250)]
    assert not _parted(one, stick, W, H)
    hand = [person(100, 50, 400, 350), head(120, 50, 180, 110), head(320, 150, 380, 210)]
    assert not _parted(one, hand, W, H)


def test_a_blob_with_no_head_takes_the_head_its_own_outline_shows():
    """Scenery drawn in light or broken lines (a frame on the wall, a cloud) that touches a
    character's hair or arm joins its flat blob, whose top is then the scenery's: no head.  The
    outline pass closes round the figure alone and shows the head, which the blob takes (check
    half, shots 2 and 25: the second character was taken for a headless figure)."""
    from anim2lora.people.ink import _headed_by_outline

    flat = [person(357, 22, 487, 349), head(399, 24, 453, 82), person(207, 45, 311, 342)]
    drawn = [person(357, 23, 486, 332), head(400, 25, 452, 81), person(208, 61, 307, 299), head(229, 62, 292, 121)]
    heads = [b.rect for b in _headed_by_outline(flat, drawn, W, H) if b.kind == "head"]
    assert heads == [(399, 24, 453, 82), (229, 62, 292, 121)], heads
    # a head low in the blob (a hand, a prop at its foot) or one the blob's own pass found stay out
    low = [person(208, 250, 307, 340), head(229, 250, 292, 300)]
    assert [b.rect for b in _headed_by_outline(flat, low, W, H) if b.kind == "head"] == [(399, 24, 453, 82)]


def test_a_spike_tip_cut_off_from_the_hair_is_followed_down_into_the_head():
    from anim2lora.people.ink import _head_extent
    solid = np.zeros((200, 120), bool)
    solid[5:7, 59:61] = True                       # the tip, cut off by the erosion
    yy, xx = np.mgrid[0:200, 0:120]
    solid |= ((xx - 60) / 40.0) ** 2 + ((yy - 55) / 42.0) ** 2 <= 1      # the head under it
    solid[97:, 50:70] = True                       # neck
    left, right, bottom = _head_extent(solid, 60, 5, 360)
    assert right - left > 60 and bottom > 80, (left, right, bottom)


def test_a_head_outline_ending_at_the_eyes_over_a_small_face_is_that_face_s_hair():
    """A face model's box on one eye and the nose (glasses hid the other eye) implies a head half
    the size of its hair outline, which rises far over it and ends at the eyes: that outline is
    the bangs over this face, one character, not a second head behind (probe half, shot 21).  An
    outline over only part of the face, running on beside it by a head, is still a head of its own."""
    bangs = count([person(56, 23, 421, 298), head(310, 24, 398, 120), head(312, 104, 361, 153, "face")], W, H, RULES,
                  has_faces=True)
    assert not bangs.overlap and bangs.n == 1
    beside = count([person(56, 23, 441, 298), head(340, 24, 428, 120), head(312, 104, 361, 153, "face")], W, H, RULES,
                   has_faces=True)
    assert beside.overlap and beside.n == 2


def test_a_hair_outline_ending_just_above_a_face_box_is_that_face_s_bangs():
    """The hair's outline followed down ends where the bangs meet the face, and a face model's box
    may start a stroke below that line: an outline over the face's columns that ends just above
    its box (BANGS_GAP) is this face's bangs, one character (spot half, colour, shot 15: B's hair
    ended 1.7 px over a face box found on her glasses, and the frame was flagged an overlap).  A
    head behind would be hidden by this head's hair and end a third of the face's height over it."""
    over = count([person(423, 44, 638, 306), head(422, 45.2, 492, 123), head(418, 124.7, 476.7, 183.3, "face")],
                 W, H, RULES, has_faces=True)
    assert not over.overlap and over.n == 1
    behind = count([person(423, 14, 638, 306), head(422, 14, 492, 80), head(418, 124.7, 476.7, 183.3, "face")],
                   W, H, RULES, has_faces=True)
    assert behind.overlap and behind.n == 2


def _dark_set_heads(img, cx, top, hair, bow=False):
    """A head on a dark set whose coat is as dark as the set: only the hair, face and collar stand
    out."""
    import cv2

    y = top + 104
    cv2.fillPoly(img, [np.array([[cx - 10, y - 8], [cx + 10, y - 8], [cx + 25, y + 30], [cx - 25, y + 30]], np.int32)],
                 (235, 235, 235))
    cv2.ellipse(img, (cx, top + 52), (44, 52), 0, 0, 360, hair, -1)
    cv2.ellipse(img, (cx, top + 52), (44, 52), 0, 0, 360, (0, 0, 0), 2)
    cv2.ellipse(img, (cx, top + 66), (32, 36), 0, 0, 360, (180, 200, 230), -1)


def test_two_heads_at_one_height_whose_hair_touches_on_a_dark_set_are_two_heads():
    """Two characters side by side on a dark set, their hair touching and a bow filling the shallow
    dip between their crowns: the lower crown's run reached the higher one's and was taken for its
    shoulder, and one head box spanned both (probe half, shot 19: the pair named as one).  Each
    crown is found, followed down on its own side of the dip: two heads in one body, an overlap."""
    import cv2

    for apart in (76, 80):
        img = np.full((H, W, 3), 35, np.uint8)
        _dark_set_heads(img, 270, 40, (150, 40, 110))
        _dark_set_heads(img, 270 + apart, 44, (40, 90, 170))
        cv2.rectangle(img, (270 + apart // 2 - 8, 48), (270 + apart // 2 + 8, 62), (30, 30, 200), -1)
        boxes = InkDetector(faces=False).detect(img)
        heads = [b for b in boxes if b.kind == "head"]
        assert len(heads) == 2 and all(h.width < 110 for h in heads), (apart, heads)
        c = count(boxes, W, H, RULES)
        assert c.overlap and c.n == 2


def test_two_crowns_over_one_chin_each_are_two_heads_and_one_head_s_buns_are_not():
    """The silhouette of two heads whose hair touches, each over a collar of its own: the run over
    both meets a chin (the collars) yet holds two crowns, each as wide as the other and together
    spanning much of the head box; followed apart, each runs down to its own chin.  One head's two
    buns, followed apart, end at the crown they sit on: one head."""
    import cv2

    from anim2lora.people.ink import _heads

    for apart in (70, 76, 82):
        m = np.zeros((H, W), np.uint8)
        for k, cx in enumerate((270, 270 + apart)):
            top = 40 + 4 * k
            cv2.ellipse(m, (cx, top + 52), (44, 52), 0, 0, 360, 255, -1)
            y = top + 104
            cv2.fillPoly(m, [np.array([[cx - 10, y - 8], [cx + 10, y - 8], [cx + 30, y + 20], [cx - 30, y + 20]],
                                      np.int32)], 255)
            cv2.rectangle(m, (cx - 5, y + 20), (cx + 5, y + 120), 255, -1)
        heads = _heads(m > 0, m > 0, 0, 0, (H, W), 1.0)
        assert len(heads) == 2 and all(h.width < 100 for h in heads), (apart, heads)
    buns = np.full((H, W, 3), 40, np.uint8)
    _dark_set_heads(buns, 320, 60, (60, 40, 120))
    for dx in (-35, 35):
        cv2.ellipse(buns, (320 + dx, 75), (20, 24), 0, 0, 360, (60, 40, 120), -1)
        cv2.ellipse(buns, (320 + dx, 75), (20, 24), 0, 0, 360, (0, 0, 0), 2)
    assert count(InkDetector(faces=False).detect(buns), W, H, RULES).n == 1


def _face_in_dashes(m, cx, cy, dash):
    """An oval face outline drawn as 12 arcs of ``dash`` degrees each (30: closed) and two solid
    eyes, into ``m``."""
    import cv2

    for a in range(0, 360, 30):
        cv2.ellipse(m, (cx, cy), (40, 30), 0, a, a + dash, 255, 2)
    for dx in (-14, 14):
        cv2.circle(m, (cx + dx, cy - 6), 5, 255, -1)


def test_a_face_whose_outline_broke_beside_a_face_with_no_body_makes_an_overlap_only():
    """A rendered set: no body stands out, so a face alone stands for its character.  The one half
    behind it wears glasses, its face outline broken into dashes at the working height, and was
    not found: the pair was named as one character (probe half, shot 30).  Closed over small gaps,
    that face is found beside the loose one, so near that their shoulders fuse; a broken face far
    from it, or beside a face a body holds, is left alone (a mended face never adds a character)."""
    from anim2lora.people.ink import _mended_beside, faces

    def face(m, cx, cy, broken):                         # dashes: a few pixels apart when broken
        _face_in_dashes(m, cx, cy, 24 if broken else 30)

    strokes = np.zeros((H, W), np.uint8)
    face(strokes, 380, 110, False)
    face(strokes, 290, 90, True)
    face(strokes, 560, 260, True)
    found = faces(strokes, H)
    assert len(found) == 1 and found[0][0] > 330
    near = _mended_beside(strokes, [], found, 1.0)
    assert len(near) == 1 and near[0][2] < 340
    held = _mended_beside(strokes, [person(300, 60, 440, 360)], found, 1.0)
    assert held == []


def test_a_second_pair_of_eyes_beside_a_face_alone_makes_an_overlap_only():
    """A rendered set: no body stands out, so a face alone stands for its character.  The one
    beside it has its face outline broken into dashes wider than the mending closes (a thin jaw
    line, long hair's strands run into it), only its irises left solid: the pair was named as the
    one face's character (probe half, line art, shot 30: A named B).  Two irises beside the face,
    at its eyes' rows, as big as its eyes and as far apart, are a second face, so near that their
    shoulders fuse: an overlap.  A pair far off (lower, or smaller: buttons, a far figure's eyes)
    is left alone, and so is a face a body holds (no character is ever added from them)."""
    import cv2

    from anim2lora.people.ink import _mended_beside, faces

    def face(m, cx, cy, broken):                         # dashes wider apart than the mending closes
        _face_in_dashes(m, cx, cy, 10 if broken else 30)

    strokes = np.zeros((H, W), np.uint8)
    face(strokes, 380, 110, False)
    face(strokes, 290, 112, True)
    found = faces(strokes, H)
    assert len(found) == 1 and found[0][0] > 330
    near = _mended_beside(strokes, [], found, 1.0)
    assert len(near) == 1 and 250 <= (near[0][0] + near[0][2]) / 2 <= 330
    assert _mended_beside(strokes, [person(300, 60, 440, 360)], found, 1.0) == []
    for cx, cy, r in ((290, 200, 5), (290, 106, 2)):     # buttons under the face; specks in its rows
        other = np.zeros((H, W), np.uint8)
        face(other, 380, 110, False)
        for dx in (-14, 14):
            cv2.circle(other, (cx + dx, cy), r, 255, -1)
        assert _mended_beside(other, [], faces(other, H), 1.0) == []


def test_two_hair_colours_in_one_head_box_are_two_heads():
    """Two heads side by side whose outlines fused into one head box, one face found in it (the
    other's eyes closed): taken for that face's head with long hair beside it, the pair was named
    as one character (sweep half, colour, shot 19: B's purple hair round her face, A's orange hair
    beside it).  The hair over the face and the top of the far side differ in hue: the far side is
    a head of its own, and the box two heads, an overlap.  One head's hair in one colour, however
    wide it falls, stays one character; a face found in it off its middle changes nothing."""
    import cv2

    from anim2lora.demo.real_scenes import frame
    from anim2lora.demo.real_shots import real_set
    from anim2lora.people.ink import two_hair_masses

    def pair(far):
        img = np.full((H, W, 3), 40, np.uint8)
        cv2.rectangle(img, (185, 35), (270, 200), (150, 40, 110), -1)      # purple hair, long
        cv2.ellipse(img, (328, 100), (52, 62), 0, 0, 360, far, -1)          # the hair beside it
        cv2.rectangle(img, (215, 85), (262, 128), (170, 190, 235), -1)     # the face in the purple hair
        return img

    body, box, face = person(100, 30, 420, 360), head(182, 31, 383, 195), head(217, 83, 262, 128, "face")
    split = two_hair_masses(pair((40, 110, 220)), [body, box, face])
    assert sorted(b.kind for b in split) == ["face", "head", "head", "person"]
    judged = count(split, W, H, RULES, (), True, True)
    assert judged.overlap and labels(judged) == [OVERLAP]
    same = two_hair_masses(pair((150, 40, 110)), [body, box, face])
    assert same == [body, box, face] and count(same, W, H, RULES, (), True, True).n == 1
    # the frame itself, as drawn (the boxes found on it after encoding)
    rgb, _ = frame(real_set("sweep")[19], 1, "colour", W, H)
    found = [body, box, Box("face", (217.3, 83.3, 262.0, 128.0), 0.76)]
    drawn = two_hair_masses(cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), found)
    assert count(drawn, W, H, RULES, (), True, True).overlap


def test_one_face_found_twice_in_a_head_box_is_one_face_and_two_hair_masses_two_heads():
    """Two searches find one face twice (the face model's box, and the ink's round outline taking
    in the hair): the rules take such boxes as one head (same_head), and so does the hair-hue cut.
    Counted as two faces, the head box over two heads side by side was never cut, and the pair was
    named as one character (spot half, colour, shot 42)."""
    import cv2

    from anim2lora.people.ink import two_hair_masses

    def pair(far):
        img = np.full((H, W, 3), 40, np.uint8)
        cv2.rectangle(img, (220, 45), (345, 170), (40, 90, 160), -1)         # brown hair round the face
        cv2.ellipse(img, (410, 120), (62, 75), 0, 0, 360, far, -1)          # what stands beside it
        cv2.rectangle(img, (237, 112), (317, 169), (170, 190, 235), -1)     # the face
        return img

    body, box = person(217, 44, 473, 231), head(228, 46, 472, 170)
    faces_ = [head(237, 112, 317, 169, "face"), head(232, 55, 340, 124, "face")]      # one face, found twice
    split = two_hair_masses(pair((150, 40, 110)), [body, box] + faces_)
    assert sorted(b.kind for b in split) == ["face", "face", "head", "head", "person"]
    assert count(split, W, H, RULES, (), True, True).overlap


def test_a_lone_face_deep_under_its_figures_top_is_no_one_characters_head():
    """A character's face stands at the top of its figure; a figure box rising far above the only
    face in it (DEEP_HEAD of its heads) holds someone else's body over it, or the "face" is a mark
    on the clothes and the figure's head went unfound (spot half, line art, shot 19: A and B side
    by side, their hair one outline with no head found, a face found on B's two buttons 4.3 heads
    under its top and named B).  Either way the box is no one character: an overlap.  A face at
    its figure's top, or under raised hands, is the character."""
    buttons = count([person(147, 27, 459, 360), Box("face", (250, 275, 291, 316), 0.87)], W, H, RULES,
                    has_faces=True)
    assert buttons.overlap and labels(buttons) == [OVERLAP]
    top = count([person(190, 60, 350, 360), Box("face", (250, 100, 291, 141), 0.87)], W, H, RULES, has_faces=True)
    assert not top.overlap and labels(top) == [CHARACTER]
    arms_up = count([person(190, 10, 350, 360), Box("face", (250, 120, 291, 161), 0.87)], W, H, RULES,
                    has_faces=True)      # hands 1.6 heads over the head's top
    assert not arms_up.overlap and labels(arms_up) == [CHARACTER]


def test_a_lit_panel_beside_a_head_is_no_second_heads_hair():
    """A lit window's frame drawn beside a head at about its height on a night set joins the head's
    outline: the shared run then ran down the panel (a head box twice the head's width, the head
    taken for the back of one at the frame's side; check half, shot 33).  A bump whose own part is
    drawn in straight lines is a panel, and the head beside it is its own part; a second head's
    curved outline beside it leaves the shared run as it was."""
    import cv2
    from anim2lora.people.ink import _beside_a_panel

    ink = np.zeros((200, 260), np.uint8)
    cv2.ellipse(ink, (60, 60), (45, 55), 0, 0, 360, 1, 2)                    # the head
    cv2.rectangle(ink, (120, 16), (200, 150), 1, 2)                          # the window's frame
    apart, tops = [(15, 105, 115), (118, 202, 150)], [5, 16]
    assert _beside_a_panel(ink.astype(bool), apart, tops, 0, 360)
    other = np.zeros((200, 260), np.uint8)
    cv2.ellipse(other, (60, 60), (45, 55), 0, 0, 360, 1, 2)
    cv2.ellipse(other, (160, 70), (40, 52), 0, 0, 360, 1, 2)                 # a second head
    assert not _beside_a_panel(other.astype(bool), [(15, 105, 115), (120, 200, 122)], [5, 18], 0, 360)


def test_a_night_figure_whose_outline_runs_out_of_the_frame_is_not_wholly_in_view():
    """On a night set a navy coat is as dark as the set: the flat blob (head, and a lit panel
    behind it) ends above the frame's bottom, and the figure was taken for one wholly in view,
    its body compared with whole stills (check half, shot 36: B unnamed).  Where its head is the
    outline figure's own and that figure covers the blob and runs out of the frame's bottom, the
    blob's box does too; a figure whose outline ends above the bottom keeps its box."""
    from anim2lora.people.ink import _own_outlines

    flat = [person(178, 20, 470, 279), head(173, 23, 475, 221)]
    drawn = [person(177, 25, 471, 360), head(311, 27, 394, 110)]
    bodies = [b.rect for b in _own_outlines(flat, drawn, H) if b.kind == "person"]
    assert bodies == [(178, 20, 470, 360)], bodies
    short = [person(177, 25, 471, 300), head(311, 27, 394, 110)]
    assert [b.rect for b in _own_outlines(flat, short, H) if b.kind == "person"] == [(178, 20, 470, 279)]


def test_a_head_beside_a_panel_is_followed_over_its_own_tufts():
    """A wall panel beside a head on a rendered set shares its run with the head's bow and a tuft
    of straight hair: the head is followed with the panel cleared, not tuft by tuft, or its box
    shrank to the tuft and the face under it looked like a second head's (probe half, shot 21)."""
    from anim2lora.people.ink import _between, _without

    solid = np.zeros((120, 200), bool)
    solid[20:120, 0:60] = True                 # the panel
    solid[10:30, 90:100] = True                # the bow
    solid[5:90, 100:160] = True                # the head's hair
    bumps = [(0, 59, 30), (90, 99, 95), (100, 159, 130)]
    cleared = _without(solid, bumps, 2, [0])
    assert not cleared[:, :60].any() and cleared[10:30, 90:100].all() and cleared[5:90, 100:160].all()
    assert not _between(solid, bumps, 2)[10:30, 90:94].any()     # a tuft alone loses the bow's half
