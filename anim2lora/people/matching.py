"""Who a found character is, compared with what both pictures show.

A reference still may be a full figure on white, a bust cropped from a frame or a whole frame
with its background; a frame may hold a close-up.  Comparing a close-up's crop with a full-body
still compares a face with a figure, so wherever the character and a character's stills both
show a head, heads are compared with heads (the embedders are mirror-invariant and every crop is
scaled to one size, so facing and distance do not matter); a body without a found head is
compared with whole stills.  GroupSplit and the verdict both ask here.
"""

from dataclasses import dataclass, field, replace
from typing import List, Mapping, Optional, Sequence, Tuple

import numpy as np

from ..errors import BadInputError
from ..image.crops import grown_rect, padded_crop
from .boxes import Rect
from .detectors import Detector
from .identity import raised
from .rules import CHARACTER, HAIR_ABOVE, Judged, count
from .settings import CountSettings

CROP_PAD = 0.06           # share of the box added around a crop: the outline's own margin
HEAD_PAD = 0.12           # a head crop keeps the hair's edge and a little of the neck
# A close-up's head runs off the frame's top (or a side), and a still cut out by the user can cut
# its hair too: cut at the picture's edge, the crop loses its margin there and the head fills it
# to that edge, while a whole head sits HEAD_PAD inside its crop.  Scaled to one size, the two
# heads' hair, eyes and chin then stand at other heights, and the outline's gradients fall in other
# cells.  So a head whose box reaches the picture's edge is cut out as if the picture went on past
# it, the part beyond filled with the colour along the cut edge (the paper or the scene the head
# stands on; what hair lies beyond is unknown, and a plain fill draws no edge but the cut hair's own
# ends): it stands where a whole head stands in its crop.  On the development set's check and probe
# halves in line art, with the heads where counting found them, A's close-ups cut at the top came
# from 0.16-0.19 of A's stills (farther than A's stills say A's drawings lie; those whose hair
# stayed in the frame lay at 0.07-0.09) to 0.07-0.10, and the stranger's nearest head stayed at
# 0.17-0.20.  A whole head whose margin alone runs off the edge (a still cut close above the hair)
# stands a few pixels off and is cut as before: filling that too drew A's stills together (0.122 ->
# 0.112 apart), which tightened the limit they set A's drawings (SPREAD) and lost a dark medium
# shot of A on the tune half.
# A character's stills show how far apart its own drawings lie: a found character is named after
# it when nearer than SPREAD times the farthest two of them (where it has two or more), and
# farther than that only on a clear call (GroupSplit's assign: the runner-up twice as far).  In
# line art every head lies about 0.2 from every still, and a stranger's nearest still can be
# nearer than the embedder's threshold; A's own stills lay within 0.12 of one another, its
# drawings (pooled per shot) within 0.16 and the stranger at 0.18-0.29.  On the development set's
# tune half 1.2-1.4 named the same frames; 1.5 and more let the stranger beside B be named A.
# Never tighter than FLOOR times the threshold: two stills in one pose lie nearly on each other
# (the people clip's 0.04), and a character's drawings vary more than its stills then show.
SPREAD = 1.3
FLOOR = 0.4
# A still whose character the detector misses as given is looked at again inside a margin of its
# own edge pixels this share of its height wide: enough that no outline reaches the new border.
STILL_MARGIN = 0.25
# Where the embedder's body vector does not carry across scenes (Embedder.body_tells: coloured
# fills), a whole figure is named by its head alone when the head is this share of the threshold
# or nearer, closer than a stranger's head gets.  On the development set's tune half the right
# character's head lay at 0.17-0.20 on a lit background (0.45-0.53 of 0.38), where its body was
# 0.66 from its own stills, and the stranger's nearest head at 0.25 (0.66).  Since the hair is
# taken against the face's white and above a box that stops at the hairline (identity.FACE_BOX,
# identity.RAISE), on the tune and check halves, heads where counting found them, every
# stranger's and extra's nearest head lay at 0.38 (1.0) or farther, while a main character's
# head boxed from its eyes down (a dark room, a rendered one) came to 0.24-0.25: 0.7 names those
HEAD_ALONE = 0.7
# A single figure's box centres near its head: a stretched arm moves the box's middle about 1.5
# head heights to one side, a figure lying down about 3.  A head farther from its box's middle
# than this many head heights is one of two figures the box has merged (on the development set's
# tune half, two characters side by side: 3.9-4.0), so its head alone does not name the box.
OFF_CENTRE = 3.0
# A head found by its face alone (no outline around it: a close-up whose outline runs off the
# frame on three sides, a dark set) is head_of's guess, FACE_TO_HEAD face boxes tall: a low guess
# for anime, where a face found from the fringe down sits under hair about as tall as itself (on
# the development set's scout half, A's close-up: a face 115 px tall under a head 213 px tall).
# Cut out as guessed, such a head is a face under a fringe, and every character's face has the
# same eyes, nose and mouth strokes: A's face lay nearer B's stills (0.19) than A's (0.25) and the
# frame was named B.  So it is also cut out as its hair may reach (rules.HAIR_ABOVE of its height
# higher, GUESS_SIDE of its width wider at each side), and the view nearer a still is the one
# compared: where the guess held the whole head the scene around it draws no still nearer (B's
# faces under a long fringe stayed with their guess, 0.03-0.17 from B's stills), where it cut the
# hair the taller view shows the hair the stills show (A's close-up came to 0.15 from A's stills,
# 0.22 from B's).  0.1 left it at 0.16; rising 0.6 took in too much scene and drew no still nearer.
GUESS_SIDE = 0.2


@dataclass
class Reference:
    name: str
    crops: List[np.ndarray]                  # the character cut out of each usable still
    heads: List[np.ndarray] = field(default_factory=list)   # and its head, where one was found
    notes: List[str] = field(default_factory=list)


@dataclass(frozen=True)
class Look:
    """How a found character looks to the embedder: its head's vector, else its body's."""

    head: bool
    vec: np.ndarray


class Looks:
    """Many looks stacked once, heads apart from bodies, to compare one look with all of them."""

    def __init__(self, looks: Sequence[Look]):
        self.heads = np.array([look.head for look in looks], bool)
        self.vecs = {h: np.stack([look.vec for look in looks if look.head == h]) if (self.heads == h).any() else None
                     for h in (True, False)}


@dataclass(frozen=True)
class Seen:
    """One character found in a picture: its body's box and its head's, when it has one."""

    rect: Rect
    head: Optional[Rect] = None
    whole: bool = False        # the whole figure is in view, outlined: its body tells too (Judged.uncut)
    hair_guessed: bool = False  # the head was found by its face alone (Judged.hair_guessed)


def character_crop(bgr: np.ndarray, rect, pad: float = CROP_PAD) -> np.ndarray:
    """A character's box cut out with its outline's margin, as GroupSplit and the verdict compare it."""
    return padded_crop(bgr, rect, pad)


def head_crop(bgr: np.ndarray, head) -> np.ndarray:
    """A head's box grown by HEAD_PAD and cut out; where the box itself reaches the picture's edge,
    as if the picture went on past it, the part beyond filled with the median colour along the
    edges it crosses (see HEAD_PAD)."""
    import cv2

    h, w = bgr.shape[:2]
    crop = padded_crop(bgr, head, HEAD_PAD)
    x0, y0, x1, y1 = grown_rect(head, (head[2] - head[0]) * HEAD_PAD, (head[3] - head[1]) * HEAD_PAD)
    beyond = (max(0, -y0), max(0, y1 - h), max(0, -x0), max(0, x1 - w))      # top, bottom, left, right
    cut = head[0] < 1 or head[1] < 1 or head[2] > w - 1 or head[3] > h - 1      # the head itself runs off
    if not cut or not any(beyond) or not crop.size:
        return crop
    edge = np.concatenate([e for e, b in zip((crop[0], crop[-1], crop[:, 0], crop[:, -1]), beyond) if b])
    fill = np.median(edge.reshape(len(edge), -1), axis=0)
    return cv2.copyMakeBorder(crop, *beyond, cv2.BORDER_CONSTANT, value=[int(v) for v in fill])


def tallest_head(head: Rect) -> Rect:
    """A head implied by a face alone (rules.head_of) as its hair may reach: HAIR_ABOVE of its
    height higher and GUESS_SIDE of its width wider at each side."""
    x0, y0, x1, y1 = head
    w, h = x1 - x0, y1 - y0
    return (x0 - GUESS_SIDE * w, y0 - HAIR_ABOVE * h, x1 + GUESS_SIDE * w, y1)


def seen_in(judged) -> Seen:
    """A counted character (rules.Judged) as the matcher needs it."""
    return Seen(judged.box.rect, judged.head, judged.uncut, judged.hair_guessed)


def reference_crops(stills: Mapping[str, Sequence[np.ndarray]], detector: Detector,
                    settings: CountSettings) -> List[Reference]:
    """The character in each reference still (BGR), found as frames' characters are found, on any
    background.  A still whose character cannot be told apart is left out with a note naming it;
    a character none of whose stills can be used is an error."""
    refs = []
    for name, images in stills.items():
        ref = Reference(name, [])
        for k, bgr in enumerate(images):
            people = _subject(bgr, detector, settings)
            if not people:
                ref.notes.append(f"still {k + 1}: no character found in it, so it is not used. Give one where the "
                                 "character's face is visible, cut out or masked on a plain light background")
                continue
            if len(people) > 1 and _size(people[1]) > 0.7 * _size(people[0]):
                ref.notes.append(f"still {k + 1}: {len(people)} characters of about one size, so it is not used "
                                 "(which one is the character?). Crop it to the character alone")
                continue
            ref.crops.append(character_crop(bgr, people[0].box.rect))
            if people[0].head is not None:
                ref.heads.append(head_crop(bgr, people[0].head))
        if not ref.crops:
            raise BadInputError(f"reference '{name}': the character cannot be found in any of its "
                                f"{len(images)} still(s): " + "; ".join(ref.notes) + ".",
                                hint="Give a still where its face is visible: a frame, a crop of one, or the "
                                     "character alone on a plain light background.")
        refs.append(ref)
    return refs


def _characters(bgr: np.ndarray, detector: Detector, settings: CountSettings) -> List[Judged]:
    """The characters found in a picture as in a frame, largest first."""
    c = count(detector.detect(bgr), bgr.shape[1], bgr.shape[0], settings.rules, (), detector.has_heads,
              detector.has_faces)
    return sorted((j for j in c.boxes if j.label == CHARACTER), key=_size, reverse=True)


def _subject(bgr: np.ndarray, detector: Detector, settings: CountSettings) -> List[Judged]:
    """The characters of a still, largest first.  A still is cut out by the user, so its edges
    are the cut's, not the scene's: a close-up's hair and shoulders run off it and a medium shot's
    body off its bottom, and the frame rules then call the outline a fragment, or a figure whose
    outline joins scenery at both sides the background.  Where the still as given shows no
    character, it is looked at again inside a margin of its own edge pixels (STILL_MARGIN), which
    closes the cut outline off the picture's border; boxes found there are moved back into it.
    A still found as given is kept as found, a face guess included: frames' close-ups are found
    the same way, and like is compared with like (its margin view instead lowered the tune half)."""
    import cv2

    found = _characters(bgr, detector, settings)
    if found:
        return found
    h, w = bgr.shape[:2]
    m = max(1, round(STILL_MARGIN * h))
    framed = _characters(cv2.copyMakeBorder(bgr, m, m, m, m, cv2.BORDER_REPLICATE), detector, settings)
    # a body guessed from a face would reach into the margin; a face is found as given anyway
    moved = [_unframed(j, m, w, h) for j in framed if not j.found_by_face]
    return [j for j in moved if j.box.width > 0 and j.box.height > 0]


def _unframed(j: Judged, m: int, w: int, h: int) -> Judged:
    """``j`` found in a still framed by ``m`` pixels, its boxes moved back into the still."""
    def back(r: Rect) -> Rect:
        return (min(max(r[0] - m, 0.0), w), min(max(r[1] - m, 0.0), h), min(max(r[2] - m, 0.0), w),
                min(max(r[3] - m, 0.0), h))

    return replace(j, box=replace(j.box, rect=back(j.box.rect)), heads=[replace(b, rect=back(b.rect)) for b in j.heads],
                   head=None if j.head is None else back(j.head))


def _size(j) -> float:
    """Characters compare by their heads' size (bodies are cut by the frame as the shot goes)."""
    return max(((h.rect[3] - h.rect[1]) for h in j.heads), default=0.0) or 0.1 * j.box.height


def _off_centre(s: Seen) -> bool:
    """Whether ``s``'s head lies too far to one side of its box to be that box's only figure (OFF_CENTRE)."""
    head_h = s.head[3] - s.head[1]
    offset = abs((s.head[0] + s.head[2]) / 2 - (s.rect[0] + s.rect[2]) / 2)
    return head_h <= 0 or offset > OFF_CENTRE * head_h


class Matcher:
    """Distances from found characters to each named character's stills, nearest still first."""

    def __init__(self, refs: Sequence[Reference], embedder):
        self.embedder, self.names = embedder, [r.name for r in refs]
        self.owners = np.array([r.name for r in refs for _ in r.crops])
        self.head_owners = np.array([r.name for r in refs for _ in r.heads])
        self.vecs = embedder.embed([c for r in refs for c in r.crops])
        self.head_vecs = embedder.embed_heads([c for r in refs for c in r.heads])
        self.spread = {True: self._spread(self.head_vecs, self.head_owners, embedder.head_distance),
                       False: self._spread(self.vecs, self.owners, embedder.distance)}

    def _spread(self, vecs: np.ndarray, owners: np.ndarray, measure) -> np.ndarray:
        """Per name, the largest distance between two of its stills (inf: fewer than two)."""
        out = np.full(len(self.names), np.inf, np.float32)
        for k, name in enumerate(self.names):
            mine = vecs[owners == name]
            if len(mine) > 1:
                out[k] = float(measure(mine, mine).max())
        return out

    def limits(self, threshold: float, looks: Sequence["Look"]) -> np.ndarray:
        """[len(looks), names]: the largest distance that names each character after each name,
        ``threshold`` or nearer where the name's own stills lie close together (SPREAD, FLOOR)."""
        out = np.full((len(looks), len(self.names)), threshold, np.float32)
        for i, look in enumerate(looks):
            for k, name in enumerate(self.names):
                heads = look.head and bool((self.head_owners == name).any())   # else compared with whole stills
                out[i, k] = min(threshold, max(FLOOR * threshold, SPREAD * self.spread[heads][k]))
        return out

    def per_name(self, bgr: np.ndarray, seen: Sequence[Seen]) -> np.ndarray:
        """[len(seen), names] distances."""
        return self.judge(bgr, seen)[0]

    def judge(self, bgr: np.ndarray, seen: Sequence[Seen]) -> Tuple[np.ndarray, List[Look]]:
        """[len(seen), names] distances, and how each character looks (for ``alike``)."""
        out = np.ones((len(seen), len(self.names)), np.float32)
        looks: List[Look] = []
        for i, s in enumerate(seen):
            heads = s.head is not None and len(self.head_vecs) > 0
            if heads:
                vec = self._head_vec(bgr, s.head)
                dist = self.embedder.head_distance(vec, self.head_vecs)[0]
                if s.hair_guessed:          # its hair is a guess: as guessed and as tall as it may be
                    tall = self._head_vec(bgr, tallest_head(s.head))
                    tall_dist = self.embedder.head_distance(tall, self.head_vecs)[0]
                    if tall_dist.min() < dist.min():
                        vec, dist = tall, tall_dist
                looks.append(Look(True, vec[0]))
                owners = self.head_owners
                if s.whole:          # a stranger with a look-alike head has another body
                    body_vec = self.embedder.embed([character_crop(bgr, s.rect)])
                    body = self.embedder.distance(body_vec, self.vecs)[0]
                    alone = not self.embedder.body_tells(body_vec[0]) and not _off_centre(s)
                    dist = np.array([d if alone and d <= HEAD_ALONE * self.embedder.threshold
                                     else max(d, body[self.owners == o].min()) for d, o in zip(dist, owners)])
            else:
                vec = self.embedder.embed([character_crop(bgr, s.rect)])
                looks.append(Look(False, vec[0]))
                dist = self.embedder.distance(vec, self.vecs)[0]
                owners = self.owners
            for k, name in enumerate(self.names):
                mine = dist[owners == name]
                if not mine.size and heads:          # this character's stills show no head: whole stills
                    mine = self.embedder.distance(self.embedder.embed([character_crop(bgr, s.rect)]),
                                                  self.vecs[self.owners == name])[0]
                out[i, k] = float(mine.min()) if mine.size else 1.0
        return out, looks

    def _head_vec(self, bgr: np.ndarray, head: Rect) -> np.ndarray:
        """[1, n]: the embedder's vector of ``head`` cut out of ``bgr`` (with its raised view, RAISE)."""
        return self.embedder.embed_heads([head_crop(bgr, head)], [character_crop(bgr, raised(head), HEAD_PAD)])

    def apart(self, looks: "Looks", others: "Looks") -> np.ndarray:
        """[len(looks), len(others)] distances (head with head, body with body; inf where one
        shows a head and the other does not)."""
        out = np.full((len(looks.heads), len(others.heads)), np.inf, np.float32)
        for head, measure in ((True, self.embedder.head_distance), (False, self.embedder.distance)):
            mine, theirs = looks.heads == head, others.heads == head
            if mine.any() and theirs.any():
                out[np.ix_(mine, theirs)] = measure(looks.vecs[head], others.vecs[head])
        return out

    def alike(self, a: "Look", b: "Look") -> Optional[float]:
        """How far two looks of found characters are from each other (head with head, body with
        body); None when one shows a head and the other does not."""
        return float(self.apart(Looks([a]), Looks([b]))[0, 0]) if a.head == b.head else None
