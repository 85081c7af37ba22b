"""Scenes with a known cast, for counting characters and telling them apart.

A character dataset is only as good as its crops: one per full character, the right name on it,
nothing for a sliver of somebody at the frame edge, a stranger, a tiny figure far away or two
characters tangled in one box.  Each scene kind here is one of those situations, and its truth
says who is in the picture, where, and how much of each is inside the frame.

Characters are drawn once on a padded canvas of their own (on black and on white, which gives
colour and coverage) and laid into the frame at whole-pixel offsets, so the truth is measured on
exactly the pixels shown: a box is the ink inside the frame, ``visible`` the share of the ink
that made it in.  Placements are solved on those measurements (a gap, an overlap, a visible
share), so the promises hold by construction, and are checked again before a scene is returned.

Same arguments, same pixels: randomness comes only from seeded numpy generators.  The layout
depends on kind and k, not on the style, so a line and a colour scene of one k match.
"""

import math
import os
from dataclasses import dataclass
from functools import lru_cache
from typing import List, Optional, Tuple

import numpy as np

from .characters import INK, INK_COVERAGE, PALETTES, coverage, ink_box, layer
from .encode import encode_clip
from .grading import grade_frames, overlap_share, separated

KINDS = ("solo_a", "solo_b", "both", "overlap", "fragment", "over_shoulder", "background_figure",
         "text_near", "empty", "stranger")
STYLES = ("line", "colour")

SCALES = (0.75, 1.15)        # a full character's size against the demo clip's
MIN_GAP = 0.03               # of the width: separated characters' boxes are at least this far apart
MIN_OVERLAP = 0.35           # of the smaller box: what "overlapping" means
FRAGMENT = (0.15, 0.35)      # visible share of a character cut by the frame edge
SHOULDER = (0.20, 0.40)      # visible share of a close foreground figure
FAR = (0.25, 0.35)           # a background figure's scale against the main character's
TEXT_HEIGHT = (0.04, 0.08)   # of the frame height
PHASE_STEP = 0.9             # walk phase per drawing, as in the demo clip

LINE_BGS = ((255, 255, 255), (255, 255, 255), (250, 245, 228), (232, 242, 250), (240, 248, 234), (250, 236, 240))
COLOUR_BGS = ((150, 200, 235), (232, 214, 160), (170, 220, 190), (200, 182, 230), (245, 200, 165))
FLOORS = ((120, 165, 95), (180, 145, 105), (110, 125, 150))
WORDS = ("CAFE", "EXIT", "OPEN", "BUS STOP", "NO ENTRY", "SCHOOL", "HELLO!", "SEE YOU SOON", "GOOD MORNING",
         "TRAIN STATION", "KEEP OUT", "PARK")
_PANE = (205, 230, 250)
RGB = Tuple[int, int, int]
_FONT = 2    # cv2.FONT_HERSHEY_DUPLEX, named without importing cv2 at module load


@dataclass(frozen=True)
class _Sprite:
    """A character alone: ``on_black`` and ``through`` (what it lets through, 0..1) lay it over
    any background; ``ink`` is every pixel it paints and ``box`` the ink's box, in its own
    pixels.  ``reach`` is the box of the whole walk cycle: characters are placed by it, so a
    swinging arm neither shifts the body from drawing to drawing nor closes a gap."""

    name: str
    on_black: np.ndarray
    through: np.ndarray
    ink: np.ndarray
    box: Tuple[int, int, int, int]
    reach: Tuple[int, int, int, int]

    @property
    def width(self) -> int:
        return self.reach[2] - self.reach[0]

    @property
    def height(self) -> int:
        return self.reach[3] - self.reach[1]


def _canvas(name: str, u: float, scale: float, phase: float, flip: bool, fill):
    """``name`` drawn on black and white canvases of its own, and its coverage.  The canvas size
    and the character's place on it depend on the scale only, so every pose lines up."""
    us = u * scale
    m = 4 + math.ceil(0.03 * us)                # room for the widest line and its anti-aliasing
    w, h = math.ceil(0.6 * us) + 2 * m, math.ceil(0.85 * us) + 2 * m
    # the canvas spans -0.3..0.3 around the axis and 0.1..0.95 down, in character units: every
    # pose of every character fits (checked below, as a character outgrowing it would be cut)
    x, y = (m + 0.3 * us) / u, (m - 0.1 * us) / u
    on_black, on_white = layer(name, (h, w), x, phase, u, y=y, scale=scale, flip=flip, fill=dict(fill or {}))
    cov = coverage(on_black, on_white)
    if cov[[0, -1]].max() > 0 or cov[:, [0, -1]].max() > 0:
        raise RuntimeError(f"character {name} outgrew its canvas")
    return on_black, on_white, cov


@lru_cache(maxsize=64)
def _reach(name: str, u: float, scale: float, flip: bool, fill) -> Tuple[int, int, int, int]:
    # limbs swing with sin(phase) and reach furthest out at its extremes and furthest down at
    # its zeros, so these four poses bound every other
    boxes = np.array([ink_box(_canvas(name, u, scale, p, flip, fill)[2] >= INK_COVERAGE)
                      for p in (0, math.pi / 2, math.pi, 3 * math.pi / 2)])
    return (*boxes[:, :2].min(axis=0).tolist(), *boxes[:, 2:].max(axis=0).tolist())


def _sprite(name: str, u: float, scale: float, phase: float, flip: bool, fill=None) -> _Sprite:
    fill = tuple(sorted(fill.items())) if fill else None
    on_black, on_white, cov = _canvas(name, u, scale, phase, flip, fill)
    through = (on_white.astype(np.float32) - on_black) / 255
    ink = cov >= INK_COVERAGE
    box = ink_box(ink)
    reach = _reach(name, u, scale, flip, fill)
    reach = (min(reach[0], box[0]), min(reach[1], box[1]), max(reach[2], box[2]), max(reach[3], box[3]))
    return _Sprite(name, on_black.astype(np.float32), through, ink, tuple(box), reach)


@dataclass
class _Figure:
    """A sprite placed in the frame: its top-left pixel at (ox, oy)."""

    sprite: _Sprite
    ox: int
    oy: int
    role: str = "character"

    def place(self, left: Optional[int] = None, bottom: Optional[int] = None) -> "_Figure":
        """Put the reach box's left edge at ``left`` and its last row just above ``bottom``."""
        if left is not None:
            self.ox = int(left) - self.sprite.reach[0]
        if bottom is not None:
            self.oy = int(bottom) - self.sprite.reach[3]
        return self

    def _moved(self, b) -> List[int]:
        return [b[0] + self.ox, b[1] + self.oy, b[2] + self.ox, b[3] + self.oy]

    @property
    def full_box(self) -> List[int]:
        return self._moved(self.sprite.box)

    @property
    def reach_box(self) -> List[int]:
        return self._moved(self.sprite.reach)

    def truth(self, width: int, height: int) -> dict:
        ink = self.sprite.ink
        x0, y0 = max(0, -self.ox), max(0, -self.oy)
        x1, y1 = min(ink.shape[1], width - self.ox), min(ink.shape[0], height - self.oy)
        inside = ink[y0:y1, x0:x1] if x1 > x0 and y1 > y0 else ink[:0, :0]
        box = ink_box(inside)
        if box is not None:
            box = [box[0] + x0 + self.ox, box[1] + y0 + self.oy, box[2] + x0 + self.ox, box[3] + y0 + self.oy]
        return {"name": self.sprite.name, "box": box, "full_box": self.full_box,
                "visible": round(float(inside.sum()) / float(ink.sum()), 4), "role": self.role}


def _fit(left: float, size: int, lo: int, hi: int) -> int:
    """``left`` moved as little as possible to keep [left, left + size) inside [lo, hi)."""
    return int(round(min(max(left, lo), hi - size)))


def _cut_at(share: np.ndarray, target: float) -> int:
    """The index into ``share`` (visible share per offset) that comes closest to ``target``."""
    return int(np.argmin(np.abs(share - target)))


# ---------------------------------------------------------------- staging
class _Stage:
    """One scene being laid out.  Every solver draws the same random numbers in the same order
    whatever the ``step``, so the drawings of one shot are one layout walking on: the step only
    advances walk phases and a small drift."""

    def __init__(self, kind: str, k: int, width: int, height: int, style: str, step: int):
        self.kind, self.k, self.W, self.H, self.style, self.step = kind, k, width, height, style, step
        self.u = float(height)
        self.rng = np.random.default_rng([0, KINDS.index(kind), k])
        self.margin = max(2, round(0.01 * width))
        self.gap = math.ceil(MIN_GAP * width) + 1
        self.ground = round(self.H * self.rng.uniform(0.9, 0.965))      # where feet stand
        self.horizon = round(self.H * self.rng.uniform(0.55, 0.68))     # where the far floor begins
        self.drift = self.rng.choice([-1.0, 1.0]) * 0.004 * self.H * step
        self.figures: List[_Figure] = []
        self.texts: List[dict] = []
        self.scenery: List[str] = []
        bg_rng = np.random.default_rng([1, KINDS.index(kind), k, STYLES.index(style)])
        bgs = LINE_BGS if style == "line" else COLOUR_BGS
        self.bg = bgs[int(bg_rng.integers(len(bgs)))]
        self.floor = FLOORS[int(bg_rng.integers(len(FLOORS)))] if style == "colour" else None
        self.ground_line = bool(bg_rng.integers(2))       # a line across the frame, edge to edge

    def sprite(self, name: str, scale: Optional[float] = None, pace: float = 1.0, occluder: bool = False) -> _Sprite:
        """``name`` in a pose of its own: a scale (given or drawn), a walk phase, a facing."""
        drawn, phase, flip = self.rng.uniform(*SCALES), self.rng.uniform(0, 2 * math.pi), bool(self.rng.integers(2))
        fill = PALETTES[name] if self.style == "colour" else None
        if occluder and fill is None:
            # line art hides what is behind it with paper-coloured paint
            fill = {part: self.bg for part in ("skin", "hair", "clothes", "trousers")}
        return _sprite(name, self.u, scale or drawn, phase + PHASE_STEP * pace * self.step, flip, fill)

    def add(self, sprite: _Sprite, role: str = "character") -> _Figure:
        fig = _Figure(sprite, 0, 0, role)
        self.figures.append(fig)
        return fig

    def stand(self, fig: _Figure, left: float, lift: float = 0.0, lo: Optional[int] = None,
              hi: Optional[int] = None, drift: bool = True) -> _Figure:
        """A full character with its reach box's left edge at ``left`` (moved along by the drift),
        its feet on the ground (``lift`` frame heights further back), kept inside [lo, hi) if it
        fits and wholly inside the frame in any case."""
        s = fig.sprite
        bottom = max(self.ground - round(lift * self.H), s.height + self.margin)
        left = _fit(left + (self.drift if drift else 0), s.width, lo or self.margin, hi or self.W - self.margin)
        return fig.place(_fit(left, s.width, self.margin, self.W - self.margin), bottom)

    def stand_within(self, fig: _Figure, lo: int, hi: int, where: float) -> _Figure:
        """Stand ``fig`` at ``where`` (0..1) of the free span [lo, hi)."""
        return self.stand(fig, lo + where * max(0, hi - lo - fig.sprite.width), lo=lo, hi=hi)

    def pair(self, a: _Figure, b: _Figure) -> None:
        """``a`` and ``b`` side by side, at least the minimum gap apart."""
        free = self.W - 2 * self.margin - a.sprite.width - b.sprite.width
        gap = max(self.gap, min(round(self.W * self.rng.uniform(0.05, 0.3)), free))
        self.stand(a, self.margin + self.rng.uniform(0, 1) * max(0, free - gap))
        self.stand(b, a.reach_box[2] + gap, drift=False)
        if b.reach_box[0] - a.reach_box[2] < self.gap:   # pushed back by the frame edge: move both
            self.stand(a, b.reach_box[0] - self.gap - a.sprite.width, drift=False)


def _other(name: str) -> str:
    return "B" if name == "A" else "A"


def _solo(st: _Stage, name: str) -> None:
    fig = st.add(st.sprite(name))
    st.stand(fig, st.W * st.rng.uniform(0.1, 0.9) - fig.sprite.width / 2)


def _both(st: _Stage, names=("A", "B")) -> None:
    order = list(names) if st.rng.integers(2) else list(names)[::-1]
    st.pair(st.add(st.sprite(order[0])), st.add(st.sprite(order[1])))


def _overlap(st: _Stage) -> None:
    """The one further back stands a little higher and is drawn first; the front one hides it.
    The front one's offset is solved for a drawn overlap share, so the boxes overlap by at least
    MIN_OVERLAP at every step."""
    back_name = "A" if st.rng.integers(2) else "B"
    target, side, lift = st.rng.uniform(0.45, 0.75), st.rng.choice([-1, 1]), st.rng.uniform(0.02, 0.05)
    centre = st.W * st.rng.uniform(0.3, 0.7)
    back = st.add(st.sprite(back_name))
    front = st.add(st.sprite(_other(back_name), occluder=True))
    st.stand(back, centre - back.sprite.width / 2, lift)
    st.stand(front, centre - front.sprite.width / 2)
    b, f = back.reach_box, front.reach_box
    rows = max(0, min(b[3], f[3]) - max(b[1], f[1]))
    smaller = min(back.sprite.width * back.sprite.height, front.sprite.width * front.sprite.height)
    offsets = np.arange(0, back.sprite.width + front.sprite.width)
    lefts = b[0] + (b[2] - b[0] - front.sprite.width) / 2 + side * offsets
    cols = np.clip(np.minimum(b[2], lefts + front.sprite.width) - np.maximum(b[0], lefts), 0, None)
    ok = np.nonzero(cols * rows / smaller >= target)[0]
    front.place(left=lefts[ok[-1] if len(ok) else 0])
    # keep both inside the frame by moving them together: the overlap stays what it was
    lo = min(back.reach_box[0], front.reach_box[0])
    hi = max(back.reach_box[2], front.reach_box[2])
    shift = _fit(lo, hi - lo, st.margin, st.W - st.margin) - lo
    for fig in (back, front):
        fig.ox += shift
    # the reach boxes bound every pose, but this drawing's own ink boxes are what overlap: where
    # its limbs are tucked in, the front one steps closer (towards the one behind, inside the frame)
    while overlap_share(back.full_box, front.full_box) < MIN_OVERLAP + 0.02:
        front.ox -= int(np.sign(front.full_box[0] + front.full_box[2] - back.full_box[0] - back.full_box[2])) or 1


def _edge_cut(fig: _Figure, W: int, H: int, right: bool, target: float) -> None:
    """Move ``fig`` sideways until about ``target`` of its ink is inside the frame, the rest
    beyond the ``right`` (or left) edge.  Rows below or above the frame are already lost."""
    s = fig.sprite
    rows = slice(max(0, -fig.oy), max(0, min(s.ink.shape[0], H - fig.oy)))
    cols = s.ink[rows].sum(axis=0) / s.ink.sum()
    if right:   # ox from "box touches the right edge" to "just off"
        lefts = np.arange(W - s.box[2], W - s.box[0] + 1)
        share = np.array([cols[: max(0, W - ox)].sum() for ox in lefts])
    else:
        lefts = np.arange(-s.box[0], -s.box[2] - 1, -1)
        share = np.array([cols[max(0, -ox):].sum() for ox in lefts])
    fig.ox = int(lefts[_cut_at(share, target)])


def _fragment(st: _Stage) -> None:
    """A full character, and the other one mostly beyond the frame edge on the far side.  The
    fragment's place is solved anew for each drawing (its share of ink in the frame changes as it
    swings its arms); the full character keeps clear of anywhere the fragment could show."""
    main_name = "A" if st.rng.integers(2) else "B"
    right, target, where = bool(st.rng.integers(2)), st.rng.uniform(0.19, 0.31), st.rng.uniform(0, 1)
    main = st.add(st.sprite(main_name))
    frag = st.add(st.sprite(_other(main_name)), "fragment")
    frag.place(bottom=st.ground)
    _edge_cut(frag, st.W, st.H, right, target)
    reach = frag.sprite.width
    lo, hi = (st.margin, st.W - reach - st.gap) if right else (reach + st.gap, st.W - st.margin)
    st.stand_within(main, lo, hi, where)


def _over_shoulder(st: _Stage) -> None:
    """A close figure two to three times life size, its head near the top and its body below the
    frame, cut at a side edge to a drawn visible share; the other character stands further back.
    The close figure is a held cel, as it would be in animation: only the one behind walks."""
    near_name = "A" if st.rng.integers(2) else "B"
    scale, top, right = st.rng.uniform(2, 3), st.rng.uniform(0.0, 0.25), bool(st.rng.integers(2))
    target, where, far_scale = st.rng.uniform(0.24, 0.36), st.rng.uniform(0, 1), st.rng.uniform(0.75, 1.0)
    lift = st.rng.uniform(0.0, 0.08)
    near = _Figure(st.sprite(near_name, scale, pace=0), 0, 0, "fragment")
    far = st.add(st.sprite(_other(near_name), far_scale))
    st.figures.append(near)                                                     # drawn last: in front
    near.place(bottom=round(top * st.H) + near.sprite.height)
    _edge_cut(near, st.W, st.H, right, target)
    seen = near.truth(st.W, st.H)["box"]
    lo, hi = (st.margin, seen[0] - st.gap) if right else (seen[2] + st.gap, st.W - st.margin)
    st.stand_within(far, lo, hi, where)
    far.place(bottom=far.reach_box[3] - round(lift * st.H))


def _background_figure(st: _Stage) -> None:
    """The main character in one half, a small far-away figure standing on the horizon in the
    other."""
    main_name = "A" if st.rng.integers(2) else "B"
    far_name = ("C", _other(main_name))[int(st.rng.integers(2))]
    scale, ratio, left_side = st.rng.uniform(*SCALES), st.rng.uniform(*FAR), bool(st.rng.integers(2))
    where, where_far = st.rng.uniform(0, 1), st.rng.uniform(0, 1)
    main = st.add(st.sprite(main_name, scale))
    far = _Figure(st.sprite(far_name, scale * ratio), 0, 0, "background")
    st.figures.insert(0, far)
    half = st.W // 2
    st.stand_within(main, *((st.margin, half) if left_side else (half, st.W - st.margin)), where)
    b = main.reach_box
    lo, hi = (b[2] + st.gap, st.W - st.margin) if left_side else (st.margin, b[0] - st.gap)
    left = _fit(lo + where_far * max(0, hi - lo - far.sprite.width) + st.drift, far.sprite.width, lo, hi)
    far.place(left, st.horizon + round(0.03 * st.H))


def _text_near(st: _Stage) -> None:
    """A character with a caption or a sign beside it, about head height."""
    name = "A" if st.rng.integers(2) else "B"
    word = WORDS[int(st.rng.integers(len(WORDS)))]
    height, left_side, where = st.rng.uniform(0.045, 0.075) * st.H, bool(st.rng.integers(2)), st.rng.uniform(0, 1)
    raise_by, sign = st.rng.uniform(0.1, 0.4), bool(st.rng.integers(2))
    fig = st.add(st.sprite(name))
    thick = max(1, round(height / 10))
    tw, th = _text_size(word, 1.0, thick)
    fscale = height / th
    room = st.W - 2 * st.margin - 3 * st.gap - fig.sprite.width
    if tw * fscale > room:                  # a long word beside a big character: smaller letters
        fscale = max(room / tw, TEXT_HEIGHT[0] * 1.1 * st.H / th)
    width = _text_size(word, fscale, thick)[0]
    span = (st.margin + width + 2 * st.gap, st.W - st.margin) if left_side else (st.margin, st.W - st.margin - width - 2 * st.gap)
    st.stand_within(fig, *span, where)
    b = fig.reach_box
    x = b[0] - st.gap - width if left_side else b[2] + st.gap
    y = b[1] + raise_by * (b[3] - b[1]) + height
    st.texts.append({"text": word, "org": (int(round(x)), int(round(y))), "scale": fscale, "thick": thick,
                     "sign": sign})


def _text_size(word: str, fscale: float, thick: int) -> Tuple[int, int]:
    """The width and height of the ink of ``word`` (cv2's own text size counts room for accents
    and descenders that capitals never use)."""
    import cv2

    (tw, th), base = cv2.getTextSize(word, _FONT, fscale, thick)
    mask = np.zeros((th + base + 2 * thick + 4, tw + 2 * thick + 4), np.uint8)
    cv2.putText(mask, word, (thick + 2, th + thick + 2), _FONT, fscale, 255, thick, cv2.LINE_AA)
    box = ink_box(mask >= INK_COVERAGE * 255)
    return box[2] - box[0], box[3] - box[1]


def _empty(st: _Stage) -> None:
    """No character: a window, a bare tree, or both (a tree of lines is the nearest thing to a
    stick figure that is not one)."""
    st.scenery = [("window", "tree", "both")[int(st.rng.integers(3))]]


def _stranger(st: _Stage) -> None:
    if st.rng.integers(2):
        _solo(st, "C")
    else:
        _both(st, ("A", "C"))


_SOLVE = {"solo_a": lambda st: _solo(st, "A"), "solo_b": lambda st: _solo(st, "B"), "both": _both,
          "overlap": _overlap, "fragment": _fragment, "over_shoulder": _over_shoulder,
          "background_figure": _background_figure, "text_near": _text_near, "empty": _empty,
          "stranger": _stranger}


# ---------------------------------------------------------------- painting
def _backdrop(st: _Stage) -> np.ndarray:
    """The flat background: paper or a colour, in colour sometimes a floor up to the horizon;
    a ground or horizon line always runs from edge to edge, as a real one would."""
    import cv2

    img = np.empty((st.H, st.W, 3), np.uint8)
    img[:] = st.bg
    w = max(1, round(st.u * 0.009))
    if st.floor is not None and st.ground_line:
        img[st.horizon:] = st.floor
        cv2.line(img, (-5, st.horizon), (st.W + 5, st.horizon), INK, w, cv2.LINE_AA)
    elif st.ground_line:
        cv2.line(img, (-5, st.ground), (st.W + 5, st.ground), INK, w, cv2.LINE_AA)
    for thing in st.scenery:
        _scenery(img, st, thing, w)
    return img


def _scenery(img: np.ndarray, st: _Stage, thing: str, w: int) -> None:
    import cv2

    rng = np.random.default_rng([2, st.k])
    pan = round(st.drift)                  # the camera drifts as it does over the characters
    if thing in ("window", "both"):
        x0, y0 = int(st.W * rng.uniform(0.08, 0.4)) + pan, int(st.H * rng.uniform(0.1, 0.3))
        x1, y1 = x0 + int(st.H * rng.uniform(0.25, 0.45)), y0 + int(st.H * rng.uniform(0.25, 0.4))
        if st.style == "colour":
            cv2.rectangle(img, (x0, y0), (x1, y1), _PANE, -1)
        cv2.rectangle(img, (x0, y0), (x1, y1), INK, w, cv2.LINE_AA)
        cv2.line(img, ((x0 + x1) // 2, y0), ((x0 + x1) // 2, y1), INK, w, cv2.LINE_AA)
        cv2.line(img, (x0, (y0 + y1) // 2), (x1, (y0 + y1) // 2), INK, w, cv2.LINE_AA)
    if thing in ("tree", "both"):
        trunk = (st.W * rng.uniform(0.55, 0.85) + pan, st.ground)
        _branch(img, rng, trunk, -math.pi / 2, st.H * rng.uniform(0.25, 0.35), 4, w)


def _branch(img, rng, start, angle, length, depth, w) -> None:
    import cv2

    end = (start[0] + math.cos(angle) * length, start[1] + math.sin(angle) * length)
    cv2.line(img, (round(start[0]), round(start[1])), (round(end[0]), round(end[1])), INK,
             max(1, round(w * depth / 2)), cv2.LINE_AA)
    if depth > 1:
        for turn in (-1, 1):
            _branch(img, rng, end, angle + turn * rng.uniform(0.3, 0.7), length * rng.uniform(0.55, 0.75), depth - 1, w)


def _lay(img: np.ndarray, fig: _Figure) -> None:
    """``fig`` over ``img`` (float32), through its coverage: its strokes and paint, exactly."""
    s = fig.sprite
    h, w = s.ink.shape
    x0, y0, x1, y1 = max(0, fig.ox), max(0, fig.oy), min(img.shape[1], fig.ox + w), min(img.shape[0], fig.oy + h)
    if x1 <= x0 or y1 <= y0:
        return
    sx, sy = slice(x0 - fig.ox, x1 - fig.ox), slice(y0 - fig.oy, y1 - fig.oy)
    img[y0:y1, x0:x1] = s.on_black[sy, sx] + s.through[sy, sx] * img[y0:y1, x0:x1]


def _write(img: np.ndarray, st: _Stage, t: dict) -> List[int]:
    """Draw caption or sign ``t``; returns the letters' own box (a sign's board is scenery)."""
    import cv2

    mask = np.zeros(img.shape[:2], np.uint8)
    cv2.putText(mask, t["text"], t["org"], _FONT, t["scale"], 255, t["thick"], cv2.LINE_AA)
    box = ink_box(mask >= INK_COVERAGE * 255)
    if t["sign"]:
        pad, w = max(3, round(0.015 * st.H)), max(1, round(st.u * 0.006))
        x0, y0, x1, y1 = box[0] - pad, box[1] - pad, box[2] + pad, box[3] + pad
        post = (x0 + x1) // 2
        cv2.line(img, (post, y1), (post, st.ground), INK, 2 * w, cv2.LINE_AA)
        cv2.rectangle(img, (x0, y0), (x1, y1), (250, 240, 190) if st.style == "colour" else st.bg, -1)
        cv2.rectangle(img, (x0, y0), (x1, y1), INK, w, cv2.LINE_AA)
    alpha = mask[..., None].astype(np.float32) / 255
    img[:] = (img * (1 - alpha) + np.float32(INK) * alpha).round().astype(np.uint8)
    return box


# ---------------------------------------------------------------- truth
def _truth(st: _Stage, chars: List[dict], text: List[List[int]]) -> dict:
    full = sorted(c["name"] for c in chars if c["role"] == "character")
    group = None if st.kind in ("overlap", "stranger") or not full else "+".join(full)
    return {"kind": st.kind, "style": st.style, "k": st.k, "group": group, "count": len(full),
            "overlap": st.kind == "overlap", "chars": chars, "text": text}


def _check(t: dict, W: int, H: int) -> None:
    """The promises of each kind, on the measured truth: a scene that breaks one is a bug here,
    and must not reach a benchmark as truth."""
    by_role = {r: [c for c in t["chars"] if c["role"] == r] for r in ("character", "fragment", "background")}
    gap = math.ceil(MIN_GAP * W)
    problems = []
    if any(c["visible"] != 1 for c in by_role["character"] + by_role["background"]):
        problems.append("a full character is cut by the frame")
    boxes = [c["box"] for c in t["chars"]]
    if t["kind"] == "overlap":
        a, b = boxes
        if overlap_share(a, b) < MIN_OVERLAP:
            problems.append(f"overlap of only {overlap_share(a, b):.2f}")
    elif any(not separated(a, b, gap) for i, a in enumerate(boxes) for b in boxes[i + 1:]):
        problems.append("characters closer than the minimum gap")
    if any(not separated(a, b, 1) for a in boxes for b in t["text"]):
        problems.append("text touches a character")
    lo, hi = SHOULDER if t["kind"] == "over_shoulder" else FRAGMENT
    if any(not lo <= c["visible"] <= hi for c in by_role["fragment"]):
        problems.append(f"fragment visible {[c['visible'] for c in by_role['fragment']]}")
    for x0, y0, x1, y1 in t["text"]:
        if not TEXT_HEIGHT[0] <= (y1 - y0) / H <= TEXT_HEIGHT[1]:
            problems.append(f"text {y1 - y0} px high")
    if problems:
        raise RuntimeError(f"scene {t['kind']}/{t['k']} at {W}x{H}: " + "; ".join(problems))


# ---------------------------------------------------------------- the API
def scene(kind: str, k: int, width: int = 640, height: int = 360, style: str = "line",
          step: int = 0) -> Tuple[np.ndarray, dict]:
    """Scene ``kind``/``k`` as RGB uint8 and its truth.  ``step`` is the drawing within a shot:
    the same layout with walk phases advanced and a small drift."""
    if kind not in KINDS:
        raise ValueError(f"unknown scene kind {kind!r}; expected one of {KINDS}")
    if style not in STYLES:
        raise ValueError(f"unknown style {style!r}; expected one of {STYLES}")
    st = _Stage(kind, k, width, height, style, step)
    _SOLVE[kind](st)
    img = _backdrop(st).astype(np.float32)
    for fig in st.figures:
        _lay(img, fig)
    img = img.round().clip(0, 255).astype(np.uint8)
    text = [_write(img, st, t) for t in st.texts]
    truth = _truth(st, [fig.truth(width, height) for fig in st.figures], text)
    _check(truth, width, height)
    return img, truth


def reference_stills(name: str, n: int = 3, width: int = 640, height: int = 360,
                     style: str = "line") -> List[np.ndarray]:
    """``n`` pictures of character ``name`` alone on a plain background, as one would hand a
    tool to say "this one".  Poses come from a seed range of their own, so they are not the
    scenes' poses: recognising a character must not come down to matching the very drawing."""
    rng = np.random.default_rng([3, "ABC".index(name)])
    bgs = LINE_BGS if style == "line" else COLOUR_BGS
    out = []
    for i in range(n):
        scale, phase, where = rng.uniform(0.8, 1.1), rng.uniform(0, 2 * math.pi), rng.uniform(0.25, 0.75)
        s = _sprite(name, float(height), scale, phase, i % 2 == 1, PALETTES[name] if style == "colour" else None)
        img = np.empty((height, width, 3), np.float32)
        img[:] = bgs[(i + 1) % len(bgs)]
        left = _fit(where * width - s.width / 2, s.width, 2, width - 2)
        _lay(img, _Figure(s, 0, 0).place(left, round(height * 0.94)))
        out.append(img.round().clip(0, 255).astype(np.uint8))
    return out


# ---------------------------------------------------------------- the labelled clip
HOLD = 2     # frames per drawing: on twos


def clip_storyboard(style: str = "line") -> List[Tuple[str, int, int]]:
    """(kind, k, frames) per shot: every kind twice, in an order where neighbours differ, 14 or
    16 frames each (300 in all).  Each k is the first from its shot's own range whose scene
    changes the background colour, moves or removes the edge-to-edge line and puts nobody where
    somebody stood, so that each cut is a cut to any detector: by chance a new shot could
    otherwise begin with a figure standing just where the last one ended on the same floor,
    which looks like a drawing changing in place, not like a cut."""
    shots, last = [], None
    for rep in range(2):
        for i, kind in enumerate(KINDS[rep::2] + KINDS[1 - rep::2]):
            n = 14 + 2 * ((i + rep) % 2)
            for k in range(10 + 20 * len(shots), 30 + 20 * len(shots)):
                first = _clip_look(kind, k, style, 0)
                if last is None or _cuts(last, first):
                    break
            shots.append((kind, k, n))
            last = _clip_look(kind, k, style, n // HOLD - 1)
    return shots


def _clip_look(kind: str, k: int, style: str, step: int):
    """What a cut compares (at a small size): the background colour, the height of the line
    across the frame (or None), where each character is."""
    st = _Stage(kind, k, 320, 180, style, step)
    _SOLVE[kind](st)
    line = (st.horizon if st.floor else st.ground) if st.ground_line else None
    return st.bg, line, {fig.sprite.name: fig.full_box for fig in st.figures}


def _cuts(a, b) -> bool:
    line_moves = a[1] is None or b[1] is None or abs(a[1] - b[1]) >= 0.05 * 180
    return a[0] != b[0] and line_moves and all(_iou(p, q) < 0.25 for p in a[2].values() for q in b[2].values())


def _iou(a: List[int], b: List[int]) -> float:
    ix = max(0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0, min(a[3], b[3]) - max(a[1], b[1]))
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - ix * iy
    return ix * iy / union


def people_clip_frames(width: int = 640, height: int = 360, style: str = "line"):
    """Yield ``(rgb, truth row)`` for every frame of the people clip."""
    index = 0
    for shot_no, (kind, k, n) in enumerate(clip_storyboard(style)):
        for d in range(n // HOLD):
            img, truth = scene(kind, k, width, height, style, step=d)
            for h in range(HOLD):
                yield img, {"index": index, "shot": shot_no, **truth, "drawing": f"{shot_no}:{d}", "held": h > 0}
                index += 1


def write_people_clip(path: os.PathLike, width: int = 640, height: int = 360, fps: int = 24,
                      style: str = "line") -> List[dict]:
    """Encode the people clip to ``path`` (H.264, CRF 18) and write ``<path>.truth.json``."""
    return encode_clip(path, people_clip_frames(width, height, style), width, height, fps, meta={"style": style})


def grade_groups(truth_path: os.PathLike, frames, counted, split) -> dict:
    """How counting and splitting did on the people clip, frame by frame against its truth.

    ``frames``: the extracted set (every frame there is graded), ``counted`` and ``split``: the
    PersonCountFilter and GroupSplit results.  A frame counting dropped or the split rejected has
    the group None, which is right for empty, overlap and stranger frames."""
    return grade_frames(truth_path, frames, counted, split, lambda t: {"kind": [t["kind"]]}, lambda t: t["kind"])
