"""A figure seated behind a table (a counter, a desk, a sill): the table's top edge runs unbroken
across the figure and beyond it, and ends the figure's ink above the frame's bottom.  The figure
is cut there, not wholly in view: its box goes down to the frame's bottom.  A figure standing
with its feet on a floor line keeps its box (its whole body shows below its head)."""

import numpy as np
import pytest

from anim2lora.image.masks import background_colours, dark_ink, lines_in_the_dark, outlines, without_broken_lines
from anim2lora.people.boxes import Box
from anim2lora.people.ink import detect_ink
from anim2lora.people.ledge import behind_ledges, level_edges

cv2 = pytest.importorskip("cv2")
INK, WALL, WOOD = (20, 20, 20), (200, 215, 225), (60, 100, 140)


def _seated(table: bool, height: int = 360, width: int = 640):
    """A cel figure (head, hair, shoulders, arms) from the crown down to row 300, in front of a
    wall; with ``table``, a table from row 290 to the bottom is drawn in front of it."""
    img = np.full((height, width, 3), WALL, np.uint8)
    body = np.array([(250, 200), (390, 200), (420, 300), (220, 300)])
    cv2.fillPoly(img, [body], (140, 60, 40))
    cv2.polylines(img, [body], True, INK, 2)
    cv2.ellipse(img, (320, 130), (55, 70), 0, 0, 360, (200, 220, 250), -1)
    cv2.ellipse(img, (320, 130), (55, 70), 0, 0, 360, INK, 2)
    for cx in (300, 340):
        cv2.circle(img, (cx, 130), 6, INK, -1)
    cv2.line(img, (310, 165), (330, 165), INK, 2)
    if table:
        cv2.rectangle(img, (0, 290), (width - 1, height - 1), WOOD, -1)
        cv2.line(img, (0, 290), (width - 1, 290), INK, 2)
        for cx in (120, 320, 520):                       # plates on it
            cv2.ellipse(img, (cx, 325), (45, 12), 0, 0, 360, (240, 240, 240), -1)
            cv2.ellipse(img, (cx, 325), (45, 12), 0, 0, 360, INK, 2)
    return img


def _lines(img):
    """The lines the ink detector hands the ledge rule: outlines and dark ink."""
    return without_broken_lines(outlines(img)) | dark_ink(img, background_colours(img, edges=2)) | lines_in_the_dark(img)


def test_level_edge_of_a_table_runs_across_the_figure():
    edges = level_edges(_seated(table=True))
    assert edges[288:293, :].all(axis=1).any()           # the table's top edge, the whole width
    assert not edges[:, :].all(axis=1)[:280].any()       # nothing else runs the width above it


def test_figure_ending_on_a_table_is_cut_there():
    head, person = Box("head", (265, 60, 375, 200), 1.0), Box("person", (220, 60, 420, 290), 1.0)
    edges = level_edges(_seated(table=True))
    out = behind_ledges([person, head], edges, _lines(_seated(table=True)), 1.0, 640, 360, lambda bs, k: bs[k + 1].rect)
    assert out[0].rect[3] == 360 and out[1] is head


def test_edge_behind_the_figure_is_no_ledge():
    # the wall's base behind the figure: broken where the figure stands in front of it
    img = _seated(table=False)
    img[300:, :] = WOOD
    cv2.fillPoly(img, [np.array([(250, 200), (390, 200), (420, 330), (220, 330)])], (140, 60, 40))
    head, person = Box("head", (265, 60, 375, 200), 1.0), Box("person", (220, 60, 420, 300), 1.0)
    out = behind_ledges([person, head], level_edges(img), _lines(img), 1.0, 640, 360, lambda bs, k: bs[k + 1].rect)
    assert out[0].rect[3] == 300


def test_full_figure_on_a_floor_line_keeps_its_feet():
    # a standing figure, feet on the floor line: its whole body shows (six heads below the crown)
    img = np.full((360, 640, 3), WALL, np.uint8)
    img[330:, :] = WOOD
    head, person = Box("head", (300, 30, 340, 75), 1.0), Box("person", (280, 30, 360, 330), 1.0)
    out = behind_ledges([person, head], level_edges(img), _lines(img), 1.0, 640, 360, lambda bs, k: bs[k + 1].rect)
    assert out[0].rect[3] == 330


def test_detected_figure_behind_a_table_reaches_the_bottom():
    people = [b for b in detect_ink(_seated(table=True)) if b.kind == "person" and b.rect[0] < 320 < b.rect[2]
              and b.rect[1] < 100]
    assert people and max(b.rect[3] for b in people) >= 359


def test_seated_characters_of_the_dinner_shots_are_cut_at_the_table():
    # the development set's tune half: every figure found holding a seated character's head and
    # running down to the table is cut by it (down to the frame's bottom), none taken as wholly
    # in view (a head found on its own is a close-up's anyway)
    from anim2lora.demo import real_scenes as rs, real_shots as story

    found = 0
    for shot in [s for s in story.real_set("tune") if s.table]:
        for style in ("colour", "line"):
            img, truth = rs.frame(shot, 0, style, 640, 360)
            boxes = detect_ink(np.ascontiguousarray(img[..., ::-1]))              # RGB to BGR
            for p in truth["people"]:
                if p["role"] != "character" or p["body"][3] >= 355:
                    continue
                hx, hy = (p["head"][0] + p["head"][2]) / 2, (p["head"][1] + p["head"][3]) / 2
                held = [b for b in boxes if b.kind == "person" and b.rect[0] <= hx <= b.rect[2]
                        and b.rect[1] <= hy <= b.rect[3] and b.rect[1] <= p["head"][1] + 20
                        and b.rect[3] >= p["body"][3] - 20]
                found += len(held)
                assert all(b.rect[3] >= 355 for b in held), (shot.number, style, [b.rect for b in held])
    assert found


def test_legs_in_front_of_a_floor_line_break_it():
    # a short figure (under four heads to the floor line) standing in front of it: its legs hide
    # the line where they stand, so the line runs behind the figure, not in front of it
    img = np.full((360, 640, 3), WALL, np.uint8)
    img[250:, :] = WOOD
    for x in (300, 330):                                  # the legs, from the hips down to the feet
        cv2.rectangle(img, (x, 200), (x + 12, 300), (180, 200, 230), -1)
    head, person = Box("head", (280, 60, 360, 130), 1.0), Box("person", (270, 60, 370, 300), 1.0)
    out = behind_ledges([person, head], level_edges(img), _lines(img), 1.0, 640, 360, lambda bs, k: bs[k + 1].rect)
    assert out[0].rect[3] == 300


@pytest.mark.parametrize("kind, k", [("both", 2), ("solo_a", 0), ("solo_a", 24), ("both", 17), ("over_shoulder", 8)])
def test_short_figures_standing_on_a_floor_line_keep_their_feet(kind, k):
    # the people clip's stick figures are three heads tall, no taller than a figure seated at a
    # table, and stand on a drawn floor line that runs unbroken under their thin legs: only their
    # feet meet it, well inside the span of their arms or skirt, so they are not cut there (these
    # five: legs wide apart, feet spanning up to 0.77 of the arms)
    from anim2lora.demo.people_scenes import scene

    rgb, truth = scene(kind, k, 640, 360, "line")
    boxes = detect_ink(np.ascontiguousarray(rgb[..., ::-1]))
    for c in truth["chars"]:
        if c["visible"] == 1 and c["role"] != "fragment":
            x0, y0, x1, y1 = c["box"]
            held = [b for b in boxes if b.kind == "person" and b.rect[0] <= (x0 + x1) / 2 <= b.rect[2]
                    and abs(b.rect[1] - y0) < 20]
            assert held and all(b.rect[3] < 355 for b in held), (c["name"], c["box"], [b.rect for b in held])


def _seated_lines(cup: bool):
    """A line-art figure seated behind a table (its edge a line across the frame), no face found
    (only bangs under the crown), a hand resting on the table; with ``cup``, a cup and a plate
    stand on the table in front of it, the cup near enough to the hand that the figure's blob
    joins them."""
    img = np.full((360, 640, 3), 235, np.uint8)
    cv2.ellipse(img, (440, 70), (45, 50), 0, 0, 360, INK, 2)                 # the head
    cv2.line(img, (398, 55), (482, 55), INK, 2)                              # its bangs
    for x in (430, 450):
        cv2.line(img, (x, 120), (x, 132), INK, 2)                            # the neck
    cv2.polylines(img, [np.array([(380, 132), (500, 132), (520, 280), (360, 280)])], True, INK, 2)
    cv2.line(img, (380, 132), (362, 270), INK, 2)                            # the arms
    cv2.line(img, (500, 132), (535, 270), INK, 2)
    for cx, cy in ((362, 278), (535, 275)):
        cv2.circle(img, (cx, cy), 8, INK, 2)                                 # the hands
    cv2.line(img, (0, 283), (639, 283), INK, 3)                              # the table's edge
    if cup:
        cv2.rectangle(img, (327, 290), (349, 318), INK, 3)
        for axes in ((44, 12), (24, 6)):
            cv2.ellipse(img, (276, 318), axes, 0, 0, 360, INK, 3)            # a plate, its rim
    return img


@pytest.mark.parametrize("cup", [False, True])
def test_a_cup_joined_to_a_seated_figure_does_not_hide_its_head(cup):
    # the cup's top is a bump of the figure's top outline far below its head (out of HEAD_ZONE),
    # and the outline between them (arm, shoulder) never dips below the cup: merged with the
    # head's bump into one run that spanned the cup and the plate beside it, the head was not
    # round, the plate's bump wider than the head's, and the figure headless, a fragment (the
    # sweep half's shot 17: a small extra far behind was then the only character, unnamed)
    from anim2lora.people.rules import Rules, count

    boxes = detect_ink(_seated_lines(cup))
    heads = [b.rect for b in boxes if b.kind == "head"]
    assert any(390 <= h[0] <= 400 and 480 <= h[2] <= 492 and h[1] <= 25 for h in heads), heads
    assert count(boxes, 640, 360, Rules()).n == 1


def test_the_main_character_of_the_extra_shots_is_counted_not_the_extra():
    # the sweep half's shot 17 (line art, a paper set): B seated behind a table with a cup by her
    # hand, a small extra standing far behind; every drawing counts B alone, the extra dropped
    # as a far figure (the cup's bump merged with B's head cost B her head in three of seven)
    from anim2lora.demo import real_scenes as rs, real_shots as story
    from anim2lora.people.rules import Rules, count

    shot = story.real_set("sweep")[17]
    for k in range(7):
        img, truth = rs.frame(shot, k, "line", 640, 360)
        main = next(p for p in truth["people"] if p["role"] == "character")
        c = count(detect_ink(np.ascontiguousarray(img[..., ::-1])), 640, 360, Rules(), (), True, True)
        hx = (main["head"][0] + main["head"][2]) / 2
        assert [j.box.rect[0] <= hx <= j.box.rect[2] for j in c.characters] == [True], (k, c.characters)
