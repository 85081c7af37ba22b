"""Counting rules: which detected boxes are characters, and which are fragments, text, far-away
figures or bodies fused together.

These are the write-up's false "two-person" hits turned into rules.  A character is a visible
head or face with whatever of its body is in view: a close-up cut at the chest counts as much as a
full figure, and its framing is reported.  A part of a body without its own visible head (a
shoulder, an arm, the back of the near figure in an over-the-shoulder shot) is a fragment; a box
on text is text; a small figure behind the main characters is scenery; two heads in one body box,
or two bodies sharing much of their boxes, is an overlap the LoRA would learn as one fused body.

A face found where no body was (a character on a painted or dark background, where the offline
detector finds no outline) is a character of its own: its body is taken to run below it, a few
heads wide, to the frame edge or to ``body_heads`` heads, whichever comes first.
"""

from dataclasses import dataclass, field
from typing import List, Optional, Sequence

from .boxes import Box, Rect, area, cover, cut_edges, inside_share, stacked, union

# bump when a change alters how cached boxes are judged: a counted set's id covers it, so two
# rule versions never share one id (the boxes' cache is keyed by the detector alone and stays)
COUNTING = "counting-24"
CHARACTER, FRAGMENT, TEXT, BACKGROUND, OVERLAP, SMALL = "character", "fragment", "text", "background", "overlap", "small"
LABELS = (CHARACTER, FRAGMENT, TEXT, BACKGROUND, OVERLAP, SMALL)
CLOSE_UP, MEDIUM, FULL = "close-up", "medium", "full"
FRAMINGS = (CLOSE_UP, MEDIUM, FULL)
EDGE_MARGIN = 0.01       # share of the frame height within which a box "touches" an edge
HEAD_INSIDE = 0.6        # share of a head box that must lie in a body box to belong to it
FACE_TO_HEAD = 1.35      # a head (hair included) is about this many face boxes tall
# framing by how many head heights of the character are in view: head and shoulders, waist or
# thighs up (bust, medium and cowboy shots), the whole figure
CLOSE_UP_HEADS, FULL_HEADS = 2.6, 5.0
BODY_WIDTH = 2.4         # a body taken from its face alone is this many head widths wide
HAIR_ABOVE = 0.45        # hair rises at most this many head heights above the head a face implies
FACE_IN_HEAD = 0.8       # a face this much inside a head box is that head's face
# unless the face sits at one end of that outline (within BESIDE[0] of the head it implies from
# that end) and the outline runs on past its head on the other side by BESIDE[1] of that head or
# more: room for a second head beside or behind it, their hair fused into one outline.  Hair
# frames a face about evenly; a face box found on the eyes alone is small but stays in the middle
BESIDE = (0.25, 1.0)
SPIKE = 0.5              # a bump narrower than this share of a head beside it is its hair
# a head outline that runs on below the chin of the face found in it by more than RUN_ON of the
# head above that chin followed long hair, or scenery beside the neck, down: as a measure of how
# near the figure stands and where its shoulders are, it ends at the chin (a head box that long
# made the character beside it look far behind, or their shoulders fused).  An outline that
# ends a little below the chin (the neck) measures as it is.  The head box itself stays: the
# identity features are cut from it
RUN_ON = 1.0
# only a face box at least CHIN_FACE of its head box's width ends that head at its chin: a face
# spans its head from cheek to cheek (about two thirds of a head with its hair; one found on one
# eye or one lens of a pair of glasses, a third), while a "face" a quarter of the head wide or
# less is a mark in the hair (tune half, colour, a dark set: the dashes of a highlight between
# hair strands closed a narrow "face" with two "eyes" high in A's head, which then measured a
# third of its height, and A was taken for a figure far behind B)
CHIN_FACE = 0.25
BACK_REACH = 1.0         # a head seen from behind stands within this many head widths of the side edge
FACE_ALONE = 0.5         # a face stands for a character with no body found around it from this score up
SAME_DISTANCE = 0.85     # whole figures this much as tall stand about as far (one sitting: about 0.6)
# a head, hair included, is about as tall as wide (fused heads of an overlap reach about 1.85
# wide); an outline bump this many times wider than tall with nothing of its outline under it is
# a prop seen from above (a plate, a bowl, a cushion on a table), not a head: a head stands on a
# neck and shoulders.  Nothing under it: the outline ends within PROP_BELOW of its height below it
PROP_WIDE, PROP_BELOW = 1.7, 0.25
# someone beside a character whose head the detector missed (a dark set hides the outline's head
# bump, glasses hide the eyes): an outline with no head that stands as tall as a character with
# one, its top and bottom within FIGURE_ALIKE of that character's height of the character's own
# (two people side by side stand on one floor, their heads at about one height; a door or a
# wardrobe rises above a head, a table or a chair stays below it), and at least FIGURE_WIDE of its
# width (a pole, a door frame or a lamp post is thin).  Such a frame is left out: naming only the
# character found would caption a frame that shows someone else too
FIGURE_ALIKE, FIGURE_WIDE = 0.1, 0.4
# a face found under a head's chin, its middle within that head's columns, stands where that
# head's neck and chest are: anyone behind would be hidden there, so a second character there
# stands in front, nearer, and its head is at least about as wide as the head above (an outline
# head is about 1.2 of the head its face implies: hair).  A "face" whose head would be under
# CHEST_FACE of the width of the head above is a mark on the chest (a bow, a collar, lapels).
# Not so for a face that box is the hair of (a bump that ends at the bangs over a small face under
# big hair): that face is the head's own.  So too for an outline bump (no face in it) wholly
# under a face's chin whose middle lies within that face's shoulders (see ``shoulders``): it is
# the top of that figure's shoulder or arm, or scenery its outline joined there (a cloud's
# lower edge over a shoulder), as wide as a head only when someone nearer stands there.  A
# second character's head at a shoulder, its top below the chin beside it, would stand lower
# than a seated figure's and hidden by that shoulder; two people's heads stand at about one
# height, side by side or one behind the other (an overlap's heads start above each other's chin)
CHEST_FACE = 0.8
# a "face" whose middle lies inside a head outline's box and whose head would be under HEAD_MARK
# of that box's width is a mark on that head (a loop closed by a strand of long hair beside the
# chin, the gap between a cheek and the hair): a face behind the head would be hidden by it, one
# in front would be nearer and about as wide.  Two heads whose hair fused into one outline box
# leave each face's head half that box or more, and room for the other head beside it (BESIDE):
# those faces stay (scout half, shot 25: a loop of long hair beside B's chin, a head a quarter
# as wide as her hair's, made her an overlap; check half, shot 7: two fused heads, 0.43-0.47)
HEAD_MARK = 0.4
# the mirror: an outline bump whose middle lies inside a face's box and that is under FACE_MARK of
# the width of the head that face implies is a mark on that face (a lens of a pair of glasses,
# an eye, closed into a loop of its own), not a head: a head behind the face would be hidden by
# it, one in front would cover it.  Taken for a head, it made the character a box of a few
# pixels round one lens and hid the face as that "head's" own (scout half, colour, shot 27: a
# bump 22 px wide in B's face 154 px wide, her close-up left unknown at 0.72)
FACE_MARK = HEAD_MARK
# an outline bump whose columns lie this much within the head a face implies and whose box
# reaches down into the face is that face's hair however high it rises (spiky hair in a
# close-up): someone's head behind would stand beside it or show only above the hair, not in it
HAIR_COLUMNS = 0.8
# two faces side by side whose boxes touch or overlap (the gap between them under EYES_APART of
# the narrower one's width) are the two eyes, or the two rims of a pair of glasses, of one face,
# each closed round and holding marks (an iris, a highlight): two people's faces stand at least
# their hair's width apart, since the hair round each face takes about a tenth of its width on
# either side (a head is about 1.2 faces wide), and a face half hidden behind another's is not
# found round.  Taken for two heads they made one bespectacled figure an overlap of two small
# heads, too small beside the character next to it, and it was dropped as a far figure
EYES_APART = 0.1
# a face found where no body holds it, lying below the head of a whole figure (an outline of its
# own that no frame edge cuts, its head found) over at least IN_FIGURE of the face's box, is that
# figure's own lines (arms, a coat's folds, the gap between two figures) taken for a face: a face
# in front of the figure would hide that outline, cutting or joining it, and one behind it would
# be hidden.  Kept, a false face as big as a close-up made the two whole figures beside it look
# far behind it (dropped as background) and was named after a main character
IN_FIGURE = 0.25
# a head outline that spans BANGS of a face's columns and ends in the face's upper half is the
# hair over that face, its bangs ending at the eyes, however small the face box (a face model's
# box on one eye and the nose, glasses hiding the other eye, implies a head half its size): a
# second head behind would stand beside the face (BESIDE), and where it stood over it, the face
# in front would hide its lower part, not end it at the eyes
BANGS = 0.9
# the bangs' lower edge is the line where the hair's outline meets the face's, and a face model's
# box may start on that line or a stroke below it: the outline followed down then ends just above
# the face's box, within BANGS_GAP of the face's height.  A head standing behind would be hidden
# by this head's hair, which rises about a third of the face's height over the face's box (see
# FACE_TO_HEAD), and end that far above it (spot half, colour, shot 15: B's hair bump ended 1.7 px
# over a face box 59 px tall found on her glasses, and she was taken for two heads, an overlap)
BANGS_GAP = 0.1
# a figure's legs drawn in a tone near the floor's (bare legs on a pale floor) lose their outline
# where they meet the skirt or the shorts: the figure's outline ends there, above the frame's
# bottom, and the legs below are pieces of outline of their own.  A figure with such pieces
# under it, within its columns, no wider than its head (a leg is narrower; a table's edge or a
# rug in front is wide), starting within LEGS_BELOW of its head's height under its box and
# running out of the frame's bottom, is cut by the bottom, not wholly in view: taken for a whole
# figure it was compared body with body with the stills' full figures, its legs missing (scout
# half, colour, shot 17: B in a medium shot, her head box taken from her face and hair so short
# that she looked like a full shot, unnamed at 0.67)
LEGS_BELOW = 0.5
# a character's face stands at the top of its own figure: only hair, a hat or raised hands rise
# above it, under two of its heads.  A figure box whose top stands more than DEEP_HEAD of the
# head's heights over the only head found in it holds something else as tall as a body above that
# head, within one outline: the body of someone the head stands in front of (two figures fused,
# one over the other), or the head is a mark on the figure's own clothes (a face model's find on
# a coat's two buttons) and the figure's head went unfound.  Either way the box is no one
# character's: named after that head, it captions two people as one, or a chest as a face (spot
# half, line art, shot 19: A and B side by side, their hair fused into one outline with no head
# found, a "face" on B's buttons 4.3 of its heads below the outline's top, named B).  On the
# development halves a lone head otherwise stood at most 1.6 of its heights below its box's top
# (the far character of an over-the-shoulder shot, the near one's shoulder beside it)
DEEP_HEAD = 3.0


@dataclass(frozen=True)
class Rules:
    min_score: float = 0.3
    min_size: float = 0.15
    min_visible: float = 0.35
    body_heads: float = 4.0
    background_scale: float = 0.5
    max_overlap: float = 0.3


@dataclass
class Judged:
    box: Box
    label: str
    why: str = ""
    heads: List[Box] = field(default_factory=list)
    framing: Optional[str] = None
    found_by_face: bool = False      # the body was taken from a face: no outline was found
    head: Optional[Rect] = None      # the whole head: every box found on it, hair included
    uncut: bool = False              # an outline the frame does not cut: the whole figure is in view
    hair_guessed: bool = False       # the head was found by its face alone: its hair is head_of's guess
    cut_apart: bool = False          # a part of one outline cut between its heads: its side is a guess
    headless: bool = False           # a fragment standing like a figure beside a character (FIGURE_ALIKE)

    @property
    def persons(self) -> int:
        """How many characters the box holds: a fused box with two heads is two."""
        return max(1, len(self.heads)) if self.label in (CHARACTER, OVERLAP) else 0

    def to_json(self) -> dict:
        out = {"label": self.label, "rect": [round(v, 1) for v in self.box.rect],
               "score": round(self.box.score, 3), "why": self.why,
               "heads": [[round(v, 1) for v in h.rect] for h in self.heads]}
        if self.framing:
            out["framing"] = self.framing
        if self.head:
            out["head"] = [round(v, 1) for v in self.head]
        if self.uncut:
            out["uncut"] = True
        if self.found_by_face:
            out["by_face"] = True
        if self.hair_guessed:
            out["hair_guessed"] = True
        return out


@dataclass
class Count:
    boxes: List[Judged]
    overlap: bool

    @property
    def characters(self) -> List[Judged]:
        return [j for j in self.boxes if j.label in (CHARACTER, OVERLAP)]

    @property
    def n(self) -> int:
        return sum(j.persons for j in self.characters)

    @property
    def framings(self) -> List[str]:
        return [j.framing for j in self.characters if j.framing]

    @property
    def headless(self) -> bool:
        """Someone may stand in the frame whose head was not found (FIGURE_ALIKE)."""
        return any(j.headless for j in self.boxes)


def count(boxes: Sequence[Box], width: int, height: int, rules: Rules, text: Sequence[Rect] = (),
          has_heads: bool = True, has_faces: bool = False) -> Count:
    """Judge every person box of one frame.  ``has_heads``: the detector reports heads or faces,
    so a body without one is a piece of a body.  ``has_faces``: it looks for faces too, so a head
    without a face is seen from behind."""
    margin = EDGE_MARGIN * height
    # heads and faces passed their own model's threshold already; min_score is about bodies
    heads = [b for b in boxes if b.kind in ("head", "face") and not _on_text(b.rect, text)]
    heads = [b for b in heads if not any(_in_face(b, f) for f in heads)]     # a lens, an eye (FACE_MARK)
    bodies = [b for b in boxes if b.kind == "person" and b.score >= rules.min_score]
    judged, held = [], []
    for person in sorted(bodies, key=lambda b: -b.area):
        inside = [h for h in heads if inside_share(h.rect, person.rect) >= HEAD_INSIDE]
        held.extend(inside)
        judged.extend(_judge_apart(person, inside, width, height, margin, rules, text, has_heads, has_faces))
    whole = [j for j in judged if j.label == CHARACTER and j.uncut and j.head]
    loose = [f for f in _loose(heads, held) if not any(_in_figure(f.rect, j) for j in whole)]
    for group in _stacks(loose):
        body = Box("person", union([_body_below(f, width, height, rules) for f in group]), group[0].score)
        j = _judge(body, group, width, height, margin, rules, text, True, has_faces)
        j.found_by_face, j.uncut = True, False
        judged.append(j)
    _legs_run_out(judged, width, height, margin, rules)
    _far_figures(judged, rules, width, height)
    _headless_figures(judged, width, height, margin)
    overlap = _overlaps(judged, rules)
    return Count(judged, overlap)


def _legs_run_out(judged: List[Judged], width: int, height: int, margin: float, rules: Rules) -> None:
    """Take each figure whose outline ends above the frame's bottom, with pieces of outline under
    it that run out of the bottom (LEGS_BELOW), for one cut there: its box runs down to the
    bottom, not wholly in view."""
    pieces = [j.box.rect for j in judged if j.label in (SMALL, FRAGMENT) and not j.heads
              and set(cut_edges(j.box.rect, width, height, margin)) == {"bottom"}]
    for j in judged:
        if j.label != CHARACTER or not j.uncut or not j.head:
            continue
        x0, y0, x1, y1 = j.box.rect
        reach, wide = LEGS_BELOW * _height(j.head), j.head[2] - j.head[0]
        if any(x0 <= p[0] and p[2] <= x1 and p[2] - p[0] <= wide and y1 - margin <= p[1] <= y1 + reach for p in pieces):
            j.box = Box(j.box.kind, (x0, y0, x1, float(height)), j.box.score)
            j.uncut, j.framing = False, framing(j.box.rect, j.head, height, rules)


def _on_text(rect: Rect, text: Sequence[Rect]) -> bool:
    return sum(inside_share(rect, t) for t in text) > 0.5


def _loose(heads: Sequence[Box], held: Sequence[Box]) -> List[Box]:
    """Faces that no body holds, one per head (two boxes on one head are one character).  A head
    box alone, or an unsure face, is not enough: the head and face models also find the heads of
    bodies their person model was unsure of, and min_score is there to drop those."""
    out: List[Box] = []
    for h in sorted((b for b in heads if b.kind == "face" and b.score >= FACE_ALONE), key=lambda b: -b.score):
        # a face on a head a body holds (hair or a hat over it found as a face) is that head's
        if any(h is k or same_head(h, k) for k in held):
            continue
        if any(cover(h.rect, o.rect) > 0.5 or stacked(h.rect, o.rect) and _near(h.rect, o.rect) for o in out):
            continue
        out.append(h)
    return out


def _in_figure(face: Rect, figure: Judged) -> bool:
    """Whether ``face`` lies on the body of the whole ``figure``, below its head (IN_FIGURE)."""
    return face[1] >= figure.head[3] and inside_share(face, figure.box.rect) >= IN_FIGURE


def _stacks(faces: List[Box]) -> List[List[Box]]:
    """Loose faces, those standing one on another kept together: a face right under another is
    a head in front of someone else's (or hair taken for a face) and judged as one fused box,
    never as two characters side by side."""
    groups: List[List[Box]] = []
    for f in faces:
        home = next((g for g in groups if any(stacked(f.rect, o.rect) for o in g)), None)
        if home is None:
            groups.append([f])
        else:
            home.append(f)
    return groups


def _near(a: Rect, b: Rect) -> bool:
    """Two boxes of about one head's size and place (a stack of two heads is two characters)."""
    ha, hb = a[3] - a[1], b[3] - b[1]
    return abs((a[1] + a[3]) - (b[1] + b[3])) / 2 < 0.6 * max(ha, hb)


def head_of(box: Box) -> Rect:
    """The whole head a head or face box stands for: a face box runs from the brows to the chin,
    the hair is above and beside it."""
    x0, y0, x1, y1 = box.rect
    if box.kind != "face":
        return box.rect
    cx, w, h = (x0 + x1) / 2, (x1 - x0) * 1.2, (y1 - y0) * FACE_TO_HEAD
    return (cx - w / 2, y1 - h, cx + w / 2, y1)


def _body_below(face: Box, width: int, height: int, rules: Rules) -> Rect:
    x0, y0, x1, y1 = head_of(face)
    cx, w, h = (x0 + x1) / 2, x1 - x0, y1 - y0
    return (max(0.0, cx - BODY_WIDTH * w / 2), max(0.0, y0), min(float(width), cx + BODY_WIDTH * w / 2),
            min(float(height), y0 + rules.body_heads * h))


def framing(body: Rect, head: Rect, height: int, rules: Rules) -> str:
    """Close-up, medium (bust to cowboy) or full, by how many of its own head heights of the
    character are in view from the top of its head down."""
    head_h = max(1.0, head[3] - head[1])
    in_view = (body[3] - head[1]) / head_h
    feet = body[3] < height * (1 - EDGE_MARGIN)
    if in_view < CLOSE_UP_HEADS:
        return CLOSE_UP
    if in_view >= FULL_HEADS or (feet and in_view >= 0.8 * rules.body_heads):
        return FULL
    return MEDIUM


def _judge_apart(person: Box, heads: List[Box], width: int, height: int, margin: float, rules: Rules,
                 text: Sequence[Rect], has_heads: bool, has_faces: bool) -> List[Judged]:
    """A body box judged; one holding several heads whose shoulders do not touch is several
    characters that a floor line, a table or a hand joined into one outline: it is cut between
    the heads and each part judged on its own (their boxes then decide whether they overlap)."""
    j = _judge(person, heads, width, height, margin, rules, text, has_heads, has_faces)
    if j.label != OVERLAP or len(j.heads) < 2:
        return [j]
    tops = sorted(j.heads, key=lambda h: (h.rect[0] + h.rect[2]) / 2)
    spans = [shoulders(head_of(h)) for h in tops]
    if any(cover(a, b) > 0 for i, a in enumerate(spans) for b in spans[i + 1:]):
        return [j]
    centres = [(h.rect[0] + h.rect[2]) / 2 for h in tops]
    cuts = [person.rect[0]] + [(a + b) / 2 for a, b in zip(centres, centres[1:])] + [person.rect[2]]
    out = []
    for k in range(len(tops)):
        part = Box(person.kind, (cuts[k], person.rect[1], cuts[k + 1], person.rect[3]), person.score)
        mine = [h for h in heads if cuts[k] <= (h.rect[0] + h.rect[2]) / 2 < cuts[k + 1]]
        out.append(_judge(part, mine, width, height, margin, rules, text, has_heads, has_faces))
        out[-1].cut_apart = True
    return out


def _judge(person: Box, heads: List[Box], width: int, height: int, margin: float, rules: Rules,
           text: Sequence[Rect], has_heads: bool, has_faces: bool) -> Judged:
    if _on_text(person.rect, text):
        return Judged(person, TEXT, "on burned-in text")
    if max(person.width, person.height) < rules.min_size * height:
        return Judged(person, SMALL, f"under {rules.min_size:.0%} of the frame height")
    # a face is seen whatever the frame cuts of the hair around it, and so is a head whose hair
    # only the top edge cuts (a close-up); a head outline cut by a side or the bottom edge may be
    # a shoulder or an elbow
    heads = [h for h in heads if not _prop_top(h, person)]
    whole = [h for h in heads if h.kind == "face" or not set(cut_edges(h.rect, width, height, margin)) - {"top"}]
    whole = [h for h in whole
             if not any((_on_chest(h, o) or _on_head(h, o)) and not same_head(h, o) for o in whole if o is not h)]
    if has_heads and not whole:
        why = "its head is cut by the frame edge" if heads else "no head"
        return Judged(person, FRAGMENT, why)
    edges = cut_edges(person.rect, width, height, margin)
    if not has_heads and edges:
        share = _visible_share(person, edges)
        if share < rules.min_visible:
            return Judged(person, FRAGMENT, f"cut by the {'/'.join(edges)} edge, about {share:.0%} of a body in view")
    faces = [h for h in whole if h.kind == "face"]
    if has_faces and not faces and "bottom" in edges and _at_side(whole, edges, width):
        # the near figure of an over-the-shoulder shot: a head seen from behind, shoulders out of frame
        return Judged(person, FRAGMENT, f"seen from behind, cut by the {'/'.join(edges)} edge")
    # parts of one head stack (hair found as a bump over a face found by its eyes, a hat);
    # distinct heads stand side by side
    distinct: List[Box] = []
    # faces first: an outline bump over two faces side by side is two fused heads, not one
    for h in sorted(whole, key=lambda h: (h.kind != "face", -area(head_of(h)))):
        if not any(same_head(h, d) or _hair_of(h, d) for d in distinct):
            distinct.append(h)
    if len(distinct) >= 2:
        return Judged(person, OVERLAP, f"{len(distinct)} heads in one body box", distinct)
    if not distinct:
        return Judged(person, CHARACTER, "", distinct)
    boxes = [h for h in whole if h is distinct[0] or same_head(h, distinct[0])]
    head = union([head_of(h) for h in boxes])
    if _deep_under(head, person.rect):
        return Judged(person, OVERLAP, "its only head lies deep under its top", distinct)
    framed = framing(person.rect, head, height, rules)
    # the whole figure is in view when no edge cuts it, unless the outline holds little more than
    # the head: a head found on its own (its body's outline lost in a dark or painted background)
    return Judged(person, CHARACTER, "", distinct, framed, head=head, uncut=not edges and framed != CLOSE_UP,
                  hair_guessed=all(h.kind == "face" for h in boxes))


def _deep_under(head: Rect, body: Rect) -> bool:
    """Whether ``body`` rises more than DEEP_HEAD of ``head``'s heights above that head."""
    return head[1] - body[1] > DEEP_HEAD * _height(head)


def _prop_top(head: Box, person: Box) -> bool:
    """A head box much wider than tall with nothing of its outline below it (PROP_WIDE)."""
    if head.kind != "head" or head.width < PROP_WIDE * head.height:
        return False
    return person.rect[3] <= head.rect[3] + PROP_BELOW * head.height


def _headless_figures(judged: List[Judged], width: int, height: int, margin: float) -> None:
    """Mark the fragments with no head that stand like a figure beside a character (see
    FIGURE_ALIKE).  A character whose body was taken from its face has a guessed box: no
    measure of a figure's height."""
    people = [j for j in judged if j.label == CHARACTER and j.head and not j.found_by_face]
    for f in judged:
        if f.label != FRAGMENT or f.heads or set(cut_edges(f.box.rect, width, height, margin)) - {"bottom"}:
            continue
        for p in people:
            tall = p.box.height
            if (abs(f.box.rect[1] - p.box.rect[1]) <= FIGURE_ALIKE * tall
                    and abs(f.box.rect[3] - p.box.rect[3]) <= FIGURE_ALIKE * tall
                    and f.box.width >= FIGURE_WIDE * p.box.width):
                f.headless, f.why = True, "no head found, yet it stands like a figure beside a character"
                break


def _at_side(heads: Sequence[Box], edges, width: int) -> bool:
    """A head stands at a side edge the body is cut by: within ``BACK_REACH`` of its own widths
    from that edge (the near figure of an over-the-shoulder shot is at the frame's side; a
    character further in whose body box a floor line or a prop drags to the edge is not)."""
    for h in heads:
        cx, w = (h.rect[0] + h.rect[2]) / 2, max(1.0, h.width)
        if ("left" in edges and cx <= BACK_REACH * w) or ("right" in edges and width - cx <= BACK_REACH * w):
            return True
    return False


def same_head(a: Box, b: Box) -> bool:
    """Two boxes on one head: much of one covers the other, or they stack (hair found as a bump
    over a face found by its eyes, a hat).  An outline bump whose top stands well above the head
    a face implies is the head of someone standing behind, not that face's hair."""
    faces = [x for x in (a, b) if x.kind == "face"]
    if len(faces) == 2:                        # two models, or two windows, on one face
        # or an eye or a cheek found as a face of its own: a second face whose middle lies in a
        # head would be mostly hidden behind it, too hidden to be found
        return (cover(head_of(a), head_of(b)) > 0.5 or stacked(a.rect, b.rect)
                or _middle_in(a.rect, head_of(b)) or _middle_in(b.rect, head_of(a)) or _eye_pair(a.rect, b.rect))
    if not stacked(a.rect, b.rect):
        return False
    if faces:
        face, other = faces[0], b if faces[0] is a else a
        if _head_beside(face, other):
            return False          # one outline over two heads: this face's and another's
        if inside_share(face.rect, other.rect) >= FACE_IN_HEAD or _hair_in(other, face) or _bangs_over(other, face):
            return True           # a face's box inside the head outline round it, or its own hair over it
        top, h = head_of(face)[1], _height(head_of(face))
        return other.rect[1] > top - HAIR_ABOVE * h
    return True


def _eye_pair(a: Rect, b: Rect) -> bool:
    """Two face boxes side by side that touch or overlap (EYES_APART), their rows shared."""
    gap = max(a[0], b[0]) - min(a[2], b[2])
    rows = min(a[3], b[3]) - max(a[1], b[1])
    return gap <= EYES_APART * min(a[2] - a[0], b[2] - b[0]) and rows >= 0.5 * min(a[3] - a[1], b[3] - b[1])


def _on_chest(face: Box, head: Box) -> bool:
    """Whether ``face`` is a mark on the chest under ``head``, or an outline bump ``face`` is a
    shoulder under a face ``head`` (CHEST_FACE): wholly below the head's chin, its middle within
    the head's columns (a bump's: within its shoulders), too small for a nearer head."""
    if face.kind != "face" and head.kind != "face":
        return False
    above, own = head_of(head), head_of(face)
    reach = (above[0], above[2]) if face.kind == "face" else shoulders(above)[0::2]
    cx = (face.rect[0] + face.rect[2]) / 2
    return (face.rect[1] >= above[3] and reach[0] <= cx <= reach[1]
            and own[2] - own[0] < CHEST_FACE * (above[2] - above[0]))


def _on_head(face: Box, head: Box) -> bool:
    """Whether ``face`` is a mark on the head outline ``head`` (HEAD_MARK): its middle in the
    outline's box, its head too small for a head of its own there, no room for one beside it."""
    if face.kind != "face" or head.kind != "head" or not _middle_in(face.rect, head.rect):
        return False
    own = head_of(face)
    return own[2] - own[0] < HEAD_MARK * head.width and not _head_beside(face, head)


def _in_face(head: Box, face: Box) -> bool:
    """Whether an outline bump ``head`` is a mark inside ``face`` (FACE_MARK): its middle in the
    face's box and under FACE_MARK of the width of the head that face implies."""
    if head.kind != "head" or face.kind != "face" or not _middle_in(head.rect, face.rect):
        return False
    own = head_of(face)
    return head.width < FACE_MARK * (own[2] - own[0])


def _hair_in(outline: Box, face: Box) -> bool:
    """Whether an outline bump lies within the columns of the head ``face`` implies and reaches
    down into the face (HAIR_COLUMNS)."""
    own = head_of(face)
    across = min(outline.rect[2], own[2]) - max(outline.rect[0], own[0])
    return across >= HAIR_COLUMNS * outline.width and outline.rect[3] > face.rect[1]


def _bangs_over(outline: Box, face: Box) -> bool:
    """Whether a head ``outline`` spans the columns of ``face`` and ends in its upper half, or just
    above its box (BANGS, BANGS_GAP)."""
    across = min(outline.rect[2], face.rect[2]) - max(outline.rect[0], face.rect[0])
    return (across >= BANGS * face.width
            and face.rect[1] - BANGS_GAP * face.height < outline.rect[3] <= (face.rect[1] + face.rect[3]) / 2)


def _head_beside(face: Box, outline: Box) -> bool:
    """Whether a head ``outline`` round ``face`` holds room for another head beside it (BESIDE)."""
    own = head_of(face)
    w = own[2] - own[0]
    near, far = sorted((own[0] - outline.rect[0], outline.rect[2] - own[2]))
    return near <= BESIDE[0] * w and far >= BESIDE[1] * w


def _middle_in(r: Rect, outer: Rect) -> bool:
    cx, cy = (r[0] + r[2]) / 2, (r[1] + r[3]) / 2
    return outer[0] <= cx <= outer[2] and outer[1] <= cy <= outer[3]


def _hair_of(bump: Box, head: Box) -> bool:
    """A bump under half a head's width on the top or side of that head is its hair (a spike, a
    ribbon, a cowlick), not a second head: a head beside another is about as wide."""
    whole = head_of(head)
    w, h = whole[2] - whole[0], whole[3] - whole[1]
    if bump.kind == "face" or bump.width >= SPIKE * w:
        return False
    cx, cy = (bump.rect[0] + bump.rect[2]) / 2, (bump.rect[1] + bump.rect[3]) / 2
    return whole[0] - 0.25 * w <= cx <= whole[2] + 0.25 * w and whole[1] - HAIR_ABOVE * h - bump.height <= cy <= whole[3]


def _visible_share(person: Box, edges) -> float:
    """How much of a body cut by the frame edge is in view, for a detector that finds no heads:
    estimated from its box's shape."""
    if set(edges) & {"left", "right"}:     # a standing body is roughly twice as tall as wide
        return min(1.0, 2.0 * person.width / max(person.height, 1.0))
    return 1.0


def _far_figures(judged: List[Judged], rules: Rules, width: int, height: int) -> None:
    """A figure much smaller than the main characters stands far behind them: scenery."""
    people = [j for j in judged if j.label in (CHARACTER, OVERLAP)]
    if len(people) < 2:
        return
    # heads measure distance better than bodies, which sit, crouch or are cut at the knees
    by_head = all(j.heads for j in people)

    def size(j: Judged) -> float:
        if not by_head:
            return j.box.height
        return _height(_to_chin(j.head, j.heads)) if j.head else max(_height(head_of(h)) for h in j.heads)

    largest = max(people, key=size)
    for j in people:
        if size(j) < rules.background_scale * size(largest) and not _as_tall(j, largest, width, height):
            j.label, j.why = BACKGROUND, f"under {rules.background_scale:.0%} of the main characters' size"


def _as_tall(j: Judged, other: Judged, width: int, height: int) -> bool:
    """Two outlines of their own that the frame cuts alike (not at all, or both only at the
    bottom), ``j`` about as tall as ``other`` (and, when cut, about as wide): two figures about
    as far from the camera, whatever their heads say (a head outline followed down the neck into
    the shoulders looks twice its size; a face found on one eye or one lens of a pair of glasses
    looks a third of its head; a figure far behind is small from head to feet, and far below the
    top of the frame).  Cut at the bottom, the height left in view says less (a figure far
    behind may stand low in the frame), so the width must match too: a body box as wide and as
    tall as a main character's is as near as it is; not so for a part of one outline cut between
    its heads, whose width is where the cut fell, not the figure's."""
    if j.found_by_face or other.found_by_face:
        return False
    # a main character whose outline ends at its chin (its body lost in a dark or painted
    # background, or behind a table) has a box a head tall, however tall the figure: a small
    # full figure far behind it is then as tall as that box by chance, not as near
    if not _outlined(other):
        return False
    margin = EDGE_MARGIN * height
    cuts = set(cut_edges(j.box.rect, width, height, margin)), set(cut_edges(other.box.rect, width, height, margin))
    if cuts[0] != cuts[1] or cuts[0] - {"bottom"}:
        return False
    wide = not cuts[0] or (not (j.cut_apart or other.cut_apart) and j.box.width >= SAME_DISTANCE * other.box.width)
    return wide and j.box.height >= SAME_DISTANCE * other.box.height


def _overlaps(judged: List[Judged], rules: Rules) -> bool:
    people = [j for j in judged if j.label in (CHARACTER, OVERLAP)]
    overlap = any(j.label == OVERLAP for j in people)
    for i, a in enumerate(people):
        for b in people[i + 1:]:
            if (a.found_by_face or b.found_by_face) and a.heads and b.heads:
                # a body taken from a face is a guess: only heads that run into each other fuse
                shared, what = cover(a.head or head_of(a.heads[0]), b.head or head_of(b.heads[0])), "head"
            else:
                shared, what = cover(a.box.rect, b.box.rect), "box"
            if a.head and b.head and shared <= rules.max_overlap and not (_outlined(a) and _outlined(b)):
                # bodies lost in a dark or painted background, or hidden behind a table, still
                # have shoulders: two heads nearer than a body's width have them fused.  Two
                # outlines of their own that show their shoulders say where those are better
                # than a head's width does (a head box is widened by hair, or by a lamp's glow
                # behind it, more often than a body box is)
                shared, what = cover(shoulders(a.head), shoulders(b.head)), "shoulders"
            elif a.head and b.head and cover(shoulders(a.head), shoulders(b.head)) == 0:
                # boxes that share much while the heads' shoulders do not touch were widened by
                # what one outline joined (a cloud or a prop beside a head, an arm held out): two
                # fused bodies have their shoulders together, as _judge_apart cuts a blob by
                shared = 0.0
            if shared > rules.max_overlap:
                for j in (a, b):
                    j.label, j.why = OVERLAP, f"shares {shared:.0%} of its {what} with another character"
                overlap = True
    return overlap


def _outlined(j: Judged) -> bool:
    """The character's own outline reaches below its shoulders: its box shows where its body
    is.  Not so for a body taken from a face, a part of one outline cut between two heads, or an
    outline that ends at the chin (a body lost in the dark or behind a table)."""
    if j.found_by_face or j.cut_apart or not j.head:
        return False
    head = _to_chin(j.head, j.heads)
    return j.box.rect[3] >= head[3] + _height(head)


def _to_chin(head: Rect, boxes: Sequence[Box]) -> Rect:
    """``head`` as a measure of size and place: ended at the chin of a face in ``boxes`` where
    it runs on below that chin by more than RUN_ON of the head above it (see RUN_ON; a face
    narrower than CHIN_FACE of the head sets no chin)."""
    chins = [b.rect[3] for b in boxes if b.kind == "face" and head[1] < b.rect[3] < head[3]
             and b.rect[2] - b.rect[0] >= CHIN_FACE * (head[2] - head[0])]
    if chins and head[3] - max(chins) > RUN_ON * (max(chins) - head[1]):
        return (head[0], head[1], head[2], max(chins))
    return head


def shoulders(head: Rect) -> Rect:
    """Where a character's head and shoulders are, from its head: ``BODY_WIDTH`` heads wide, down
    to a head below the chin."""
    cx, w, h = (head[0] + head[2]) / 2, head[2] - head[0], head[3] - head[1]
    return (cx - BODY_WIDTH * w / 2, head[1], cx + BODY_WIDTH * w / 2, head[3] + h)


def _height(r: Rect) -> float:
    return r[3] - r[1]


def frame_reason(c: Count, min_count: int, max_count: int, keep_overlap: bool,
                 framings: Sequence[str] = FRAMINGS) -> Optional[str]:
    """Why a frame leaves the set (None: it stays).  ``framings``: the framings kept; a frame
    showing a character in another one leaves."""
    if c.overlap and not keep_overlap:
        return "overlap"
    if any(f not in framings for f in c.framings):
        return "framing"
    if c.headless and c.n:
        return "headless"
    if c.n < min_count:
        return "no_character" if c.n == 0 else "too_few"
    if c.n > max_count:
        return "too_many"
    return None
