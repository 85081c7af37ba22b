"""The ink detector's outline figures mended by the dark ink (see ink.INKED_HEAD and
_closed_by_ink): on a painted or rendered set a character in a dark coat is outlined by a line no
darker than her own fills, so her outline closes round her head alone and leaves her body open
(a cup and a hand below her head then make a figure of their own), or closes round nothing and
loses her; her dark ink, lines and dark fills together, closes her body."""

from anim2lora.people.boxes import Box
from anim2lora.people.ink import _closed_by_ink


def _fig(body, *heads):
    return [Box("person", body)] + [Box("head", h) for h in heads]


W, H = 640, 360


def test_an_inked_figure_takes_the_parts_of_the_one_head_it_holds():
    # the outlines: her head closed on its own, and a cup with a hand below it taken for a figure
    head_only = _fig((419, 37, 519, 135), (441, 37, 515, 105))
    cup = _fig((447, 255, 565, 321), (526, 260, 569, 300))
    inked = _fig((396, 37, 565, 321), (423, 37, 528, 130))
    out = _closed_by_ink(head_only + cup, inked, W, H)
    # she keeps her own head and box (the outline's, not the silhouette's): the cup is gone
    assert out == head_only


def test_an_inked_figure_over_two_outline_heads_is_left_out():
    # dark coats side by side join two characters into one inked blob: no figure made of both
    a = _fig((100, 40, 250, 200), (130, 40, 220, 120))
    b = _fig((330, 40, 480, 200), (360, 40, 450, 120))
    both = _fig((60, 30, 560, 360), (120, 30, 470, 230))
    assert _closed_by_ink(a + b, both, W, H) == a + b


def test_a_figure_only_the_ink_finds_is_taken_where_the_frame_cuts_it():
    seen = _fig((450, 36, 529, 175), (451, 40, 534, 124))
    lost = _fig((25, 26, 287, 360), (113, 28, 185, 99))
    assert _closed_by_ink(seen, lost, W, H) == seen + lost
    # ended above the bottom (a table or a counter in front): its box would pass for a whole figure
    above = _fig((25, 26, 287, 336), (113, 28, 185, 99))
    assert _closed_by_ink(seen, above, W, H) == seen
    # a head as wide as its shoulders is the silhouette running on down long hair: no head
    wide = _fig((25, 26, 287, 360), (30, 28, 270, 230))
    assert _closed_by_ink(seen, wide, W, H) == seen


def test_an_inked_head_over_an_outline_head_lower_down_is_left_out():
    # the outline closed round a bow tie under a head it did not close: the inked figure's head is
    # the silhouette's, and the tie is no head at its top; nothing is made of the two
    tie = _fig((282, 146, 320, 195), (303, 156, 320, 173))
    inked = _fig((196, 42, 418, 360), (250, 42, 370, 190))
    assert _closed_by_ink(tie, inked, W, H) == tie


def test_a_dark_coat_under_a_light_head_is_no_figure_of_its_own():
    # a brown-haired head over a navy coat: the ink leaves the head out and takes the coat's
    # shoulders for heads; the coat is the outline head's body, not a second character
    head = _fig((137, 23, 240, 125), (141, 26, 238, 126))
    coat = _fig((21, 87, 289, 360), (83, 142, 187, 211), (186, 141, 283, 247))
    assert _closed_by_ink(head, coat, W, H) == head


def test_a_cup_low_in_an_inked_figure_does_not_stand_for_its_head():
    """B seated behind a table on a painted wall (sweep half, colour, shot 13): her long straight
    hair over her dark coat closes no round outline head, and the outlines' only heads are a cup
    and a plate on the table in front, low in the inked figure's box.  Such a bump is no head
    of that figure (a head tops it): the inked figure is taken.  Without the rule the cup barred
    it and nobody was found."""
    hair = _fig((290, 37, 365, 124))
    cup = _fig((381, 300, 405, 304), (381, 300, 405, 324))
    inked = _fig((94, 34, 606, 360), (211, 35, 429, 266))
    assert _closed_by_ink(hair + cup, inked, W, H) == inked
    # an outline head in the inked figure's upper part is someone the outlines found there (a
    # figure beside her whose dark coat the ink joined to hers): nothing is made of the two
    beside = _fig((500, 40, 640, 300), (520, 40, 600, 120))
    assert _closed_by_ink(hair + cup + beside, inked, W, H) == hair + cup + beside


def test_a_dark_coat_under_an_outline_head_it_does_not_reach_is_that_heads_body():
    """A brown-haired A over a navy coat on a rendered set (tune half, colour, shot 40): the ink
    leaves the head out and its coat starts under the chin, its box apart from the head's, its
    shoulders taken for heads.  A figure whose head lies under an outline head, at its shoulders,
    is that head's body, not a second character (an overlap)."""
    head = _fig((140, 25, 242, 127), (145, 28, 241, 114))
    coat = _fig((26, 141, 282, 360), (88, 146, 193, 211), (192, 142, 281, 240))
    assert _closed_by_ink(head, coat, W, H) == head
