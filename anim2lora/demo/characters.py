"""Three characters that no detector could confuse, drawn with OpenCV strokes.

A: round head, spiky hair, short, shorts.   B: oval head, long hair with a bow, tall, long dress.
C, the stranger: square head under a peaked cap, boxy jacket, sleeves and trousers drawn as bars
where A and B have stick limbs, shoes pointing forward.

Positions and sizes are in units of the picture height, so any resolution draws the same scene.
Each character is drawn about its own vertical axis ``x``; ``y`` moves it down, ``scale`` grows it
about the top of the picture (so ``y`` and ``scale`` together put its feet anywhere) and ``flip``
mirrors it about ``x``.  ``fill`` turns line art into flat-coloured animation: a dict of part
colours (PALETTES holds each character's own) painted under the ink.  With the defaults the
strokes are exactly those of the first version, pixel for pixel: the demo clip depends on them.
"""

import math
from typing import Dict, Optional, Tuple

import numpy as np

INK = (20, 20, 20)
RGB = Tuple[int, int, int]
Fill = Optional[Dict[str, RGB]]

# Flat colours for the coloured style (RGB).  Keys: skin, hair (C: the cap), clothes (A's shirt,
# B's dress and bow, C's jacket and sleeves), limbs (A's and B's arms and legs, which are then
# drawn as outlined bands instead of single strokes) and trousers (C).  A key left out leaves
# that part unpainted, so a fill of one background colour without "limbs" makes a line-art
# character opaque (it hides what is behind it) without changing how it looks.
PALETTES: Dict[str, Dict[str, RGB]] = {
    "A": {"skin": (255, 221, 187), "hair": (240, 135, 30), "clothes": (70, 170, 75), "limbs": (255, 221, 187)},
    "B": {"skin": (250, 214, 196), "hair": (85, 40, 105), "clothes": (205, 40, 55), "limbs": (250, 214, 196)},
    "C": {"skin": (225, 185, 145), "hair": (35, 90, 205), "clothes": (140, 140, 148), "trousers": (55, 60, 90)},
}


class _Pen:
    """Draws in a character's own coordinates.  The identity transform is special-cased so that
    a default character goes through exactly the float operations of the first version (an
    ``x + (px - x)`` could round one pixel differently)."""

    def __init__(self, img: np.ndarray, x: float, u: float, y: float, scale: float, flip: bool):
        self.img, self.x, self.u, self.y, self.scale, self.flip = img, x, u, y, scale, flip
        self.us = u * scale
        self.w = max(1, round(self.us * 0.009))
        self.plain = scale == 1 and not flip

    def pt(self, px: float, py: float):
        if not self.plain:
            px = self.x + (-1 if self.flip else 1) * self.scale * (px - self.x)
        return int(round(px * self.u)), int(round((self.y + self.scale * py) * self.u))

    def pts(self, points) -> np.ndarray:
        return np.array([self.pt(*p) for p in points], np.int32)

    def size(self, r: float) -> int:
        return round(r * self.us)

    def angles(self, start: float, end: float):
        return (180 - end, 180 - start) if self.flip else (start, end)

    def poly(self, points, closed: bool, colour: RGB = INK) -> None:
        import cv2

        cv2.polylines(self.img, [self.pts(points)], closed, colour, self.w, cv2.LINE_AA)

    def paint(self, points, colour: Optional[RGB]) -> None:
        import cv2

        if colour is not None:
            cv2.fillPoly(self.img, [self.pts(points)], colour, cv2.LINE_AA)

    def shape(self, points, colour: Optional[RGB]) -> None:
        """A closed outline, painted first when it has a colour."""
        self.paint(points, colour)
        self.poly(points, True)

    def line(self, a, b, width: Optional[int] = None, colour: RGB = INK) -> None:
        import cv2

        cv2.line(self.img, self.pt(*a), self.pt(*b), colour, width or self.w, cv2.LINE_AA)


def _limb(pen: _Pen, start, angle, length, colour: Optional[RGB] = None) -> None:
    """A stick limb; with a colour, a band of that colour outlined in ink."""
    end = (start[0] + math.sin(angle) * length, start[1] + math.cos(angle) * length)
    if colour is None:
        pen.line(start, end)
        return
    pen.line(start, end, 3 * pen.w)
    pen.line(start, end, pen.w, colour)


def _bar(pen: _Pen, start, angle, length, half: float, colour: Optional[RGB]) -> list:
    """C's sleeves and trouser legs: a band with square ends around the stroke from ``start``;
    returns the far end's centre."""
    dx, dy = math.sin(angle), math.cos(angle)
    nx, ny = dy * half, -dx * half
    end = (start[0] + dx * length, start[1] + dy * length)
    pen.shape([(start[0] + nx, start[1] + ny), (end[0] + nx, end[1] + ny),
               (end[0] - nx, end[1] - ny), (start[0] - nx, start[1] - ny)], colour)
    return end


def draw_a(img: np.ndarray, x: float, phase: float, u: float, *, y: float = 0.0, scale: float = 1.0,
           flip: bool = False, fill: Fill = None) -> None:
    """Character A standing at ``x`` (height units), walk cycle ``phase`` in radians."""
    import cv2

    pen = _Pen(img, x, u, y, scale, flip)
    fill = fill or {}
    w = pen.w
    head = (x, 0.36)
    spikes = [(head[0] - 0.085 + 0.034 * i, 0.30 - (0.06 if i % 2 else 0.0)) for i in range(6)]
    if fill:
        pen.paint([(x + 0.085 * math.cos(a), 0.36 + 0.085 * math.sin(a)) for a in np.linspace(0, 2 * math.pi, 40)],
                  fill.get("skin"))
        # spikes, then down the sides and back along a fringe above the eyes
        fringe = [(x + 0.085, 0.33), (x + 0.04, 0.295), (x, 0.31), (x - 0.04, 0.295), (x - 0.085, 0.33)]
        pen.paint(spikes + fringe, fill.get("hair"))
        if "hair" in fill:
            pen.poly(fringe, False)
    cv2.circle(img, pen.pt(*head), pen.size(0.085), INK, w, cv2.LINE_AA)
    cv2.polylines(img, [pen.pts(spikes)], False, INK, w, cv2.LINE_AA)
    for dx in (-0.03, 0.03):
        cv2.circle(img, pen.pt(head[0] + dx, 0.35), max(1, pen.size(0.008)), INK, -1, cv2.LINE_AA)
    cv2.ellipse(img, pen.pt(head[0], 0.385), (pen.size(0.025), pen.size(0.012)), 0, *pen.angles(10, 170), INK, w,
                cv2.LINE_AA)
    torso = [(x - 0.05, 0.46), (x + 0.05, 0.46), (x + 0.06, 0.64), (x - 0.06, 0.64)]
    pen.paint(torso, fill.get("clothes"))
    cv2.polylines(img, [pen.pts(torso)], True, INK, w, cv2.LINE_AA)
    swing = 0.5 * math.sin(phase)
    limbs = fill.get("limbs")
    _limb(pen, (x - 0.05, 0.48), -0.4 + swing, 0.15, limbs)
    _limb(pen, (x + 0.05, 0.48), 0.4 - swing, 0.15, limbs)
    _limb(pen, (x - 0.03, 0.64), swing, 0.2, limbs)
    _limb(pen, (x + 0.03, 0.64), -swing, 0.2, limbs)


def draw_b(img: np.ndarray, x: float, phase: float, u: float, *, y: float = 0.0, scale: float = 1.0,
           flip: bool = False, fill: Fill = None) -> None:
    """Character B: taller, oval face, long hair and a bow, a long dress."""
    import cv2

    pen = _Pen(img, x, u, y, scale, flip)
    fill = fill or {}
    w = pen.w
    if fill:
        # the hair hangs behind the face; a fringe caps the forehead
        back = [(x - 0.11, 0.45), (x - 0.1, 0.32), (x - 0.07, 0.22), (x - 0.035, 0.18), (x, 0.175), (x + 0.035, 0.18),
                (x + 0.07, 0.22), (x + 0.1, 0.32), (x + 0.11, 0.45), (x + 0.06, 0.45), (x + 0.05, 0.36),
                (x - 0.05, 0.36), (x - 0.06, 0.45)]
        pen.paint(back, fill.get("hair"))
        face = [(x + 0.065 * math.cos(a), 0.27 + 0.09 * math.sin(a)) for a in np.linspace(0, 2 * math.pi, 40)]
        pen.paint(face, fill.get("skin"))
        pen.paint([(x + 0.065 * math.cos(a), 0.27 + 0.09 * math.sin(a)) for a in np.radians(np.linspace(205, 335, 14))],
                  fill.get("hair"))
    cv2.ellipse(img, pen.pt(x, 0.27), (pen.size(0.065), pen.size(0.09)), 0, 0, 360, INK, w, cv2.LINE_AA)
    for side in (-1, 1):
        hair = [(x + side * 0.07, 0.22), (x + side * 0.1, 0.32), (x + side * 0.11, 0.45)]
        cv2.polylines(img, [pen.pts(hair)], False, INK, w, cv2.LINE_AA)
        bow = [(x + side * 0.005, 0.17), (x + side * 0.06, 0.14), (x + side * 0.06, 0.2)]
        pen.paint(bow, fill.get("clothes"))
        cv2.polylines(img, [pen.pts(bow)], True, INK, w, cv2.LINE_AA)
        cv2.line(img, pen.pt(x + side * 0.025, 0.26), pen.pt(x + side * 0.04, 0.27), INK, w, cv2.LINE_AA)
    dress = [(x - 0.04, 0.38), (x + 0.04, 0.38), (x + 0.13, 0.8), (x - 0.13, 0.8)]
    pen.paint(dress, fill.get("clothes"))
    cv2.polylines(img, [pen.pts(dress)], True, INK, w, cv2.LINE_AA)
    swing = 0.35 * math.sin(phase)
    limbs = fill.get("limbs")
    _limb(pen, (x - 0.04, 0.42), -0.5 + swing, 0.17, limbs)
    _limb(pen, (x + 0.04, 0.42), 0.5 - swing, 0.17, limbs)
    _limb(pen, (x - 0.04, 0.8), swing * 0.5, 0.12, limbs)
    _limb(pen, (x + 0.04, 0.8), -swing * 0.5, 0.12, limbs)


def draw_c(img: np.ndarray, x: float, phase: float, u: float, *, y: float = 0.0, scale: float = 1.0,
           flip: bool = False, fill: Fill = None) -> None:
    """Character C, the stranger: a square head under a peaked cap (the peak points the way he
    faces, so a mirrored C is told apart), a boxy jacket, banded sleeves and trousers, shoes."""
    import cv2

    pen = _Pen(img, x, u, y, scale, flip)
    fill = fill or {}
    head = [(x - 0.07, 0.25), (x + 0.07, 0.25), (x + 0.07, 0.35), (x + 0.045, 0.38), (x - 0.045, 0.38), (x - 0.07, 0.35)]
    pen.shape(head, fill.get("skin"))
    crown = [(x + 0.075 * math.cos(a), 0.255 + 0.065 * math.sin(a)) for a in np.radians(np.linspace(180, 360, 16))]
    pen.shape(crown, fill.get("hair"))
    pen.shape([(x - 0.075, 0.25), (x + 0.14, 0.25), (x + 0.13, 0.27), (x - 0.075, 0.27)], fill.get("hair"))
    for dx in (-0.028, 0.028):
        pen.line((x + dx, 0.295), (x + dx, 0.32))
    pen.line((x - 0.025, 0.352), (x + 0.02, 0.352))
    for dx in (-0.02, 0.02):
        pen.line((x + dx, 0.38), (x + dx, 0.40))
    swing = 0.45 * math.sin(phase)
    trousers = fill.get("trousers", fill.get("clothes"))
    for side, s in ((-1, swing), (1, -swing)):                  # legs first: the jacket hangs over them
        foot = _bar(pen, (x + side * 0.045, 0.62), s * 0.6, 0.23, 0.035, trousers)
        shoe = [(foot[0] - 0.035, foot[1] - 0.01), (foot[0] + 0.06, foot[1] - 0.01), (foot[0] + 0.06, foot[1] + 0.02),
                (foot[0] - 0.035, foot[1] + 0.02)]
        pen.paint(shoe, INK)
    jacket = [(x - 0.11, 0.40), (x + 0.11, 0.40), (x + 0.10, 0.645), (x - 0.10, 0.645)]
    pen.shape(jacket, fill.get("clothes"))
    pen.poly([(x - 0.04, 0.40), (x, 0.45), (x + 0.04, 0.40)], False)
    pen.line((x, 0.45), (x, 0.645))
    for side, s in ((-1, swing), (1, -swing)):
        hand = _bar(pen, (x + side * 0.095, 0.42), side * 0.15 + s * 0.5, 0.2, 0.028, fill.get("clothes"))
        cv2.circle(img, pen.pt(*hand), max(1, pen.size(0.022)), INK, pen.w, cv2.LINE_AA)
        if "skin" in fill:
            cv2.circle(img, pen.pt(*hand), max(1, pen.size(0.022) - pen.w), fill["skin"], -1, cv2.LINE_AA)


DRAW = {"A": draw_a, "B": draw_b, "C": draw_c}


def layer(name: str, shape: Tuple[int, int], x: float, phase: float, u: float, **kw) -> Tuple[np.ndarray, np.ndarray]:
    """Character ``name`` alone, drawn on black and on white (``shape`` is (height, width)).

    The two pictures hold everything needed to lay the character over any background:
    ``on_black`` is its colour times its coverage and ``on_white - on_black`` what it lets
    through, so ``on_black + (on_white - on_black) * background / 255`` is the character drawn
    over that background (anti-aliased edges included), and its coverage is exact."""
    h, w = shape
    on_black, on_white = np.zeros((h, w, 3), np.uint8), np.full((h, w, 3), 255, np.uint8)
    for img in (on_black, on_white):
        DRAW[name](img, x, phase, u, **kw)
    return on_black, on_white


INK_COVERAGE = 0.25   # a pixel belongs to a character's ink (or paint) from this coverage up


def coverage(on_black: np.ndarray, on_white: np.ndarray) -> np.ndarray:
    """How much of each pixel a ``layer`` covers, 0..1."""
    through = on_white.astype(np.float32) - on_black.astype(np.float32)
    return 1 - through.mean(axis=2) / 255


def ink_box(mask: np.ndarray) -> Optional[list]:
    """[x0, y0, x1, y1] (x1, y1 exclusive) around the True pixels of ``mask``, or None.  From the
    rows and columns that hold any (not every pixel's coordinates): the real set's storyboard
    measures its overlap shots' boxes this way, several per drawing."""
    ys, xs = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    if not len(xs):
        return None
    return [int(xs[0]), int(ys[0]), int(xs[-1]) + 1, int(ys[-1]) + 1]
