"""Anime-style characters for the realistic development set: a head with big eyes, bangs and a
hair mass of its own, neck, shoulders, a school uniform, arms and legs, drawn with OpenCV
polygons in flat colours with a cel-shadow tone and dark outlines (``colour``), or as dark lines
on paper (``line``).

A and B share the skin and the uniform (navy blazer, white shirt, red tie or ribbon) and differ
in hair (A: short and spiky, chestnut; B: long and straight with a straight fringe, violet),
eye colour and trousers against a skirt.  C, the stranger, wears the same uniform with a blond
bob and glasses; X, the extra, is an adult in a grey suit.

Coordinates are in head units: the head is one unit from crown to chin and centred on (0, 0),
the figure stands about seven heads tall (feet at y = 6.6), +x is screen right.  A figure is
placed by its head centre in pixels and the pixel size of one unit, mirrored by ``flip``; the
head turns with ``Pose.turn`` (0 front, about 0.5 three-quarter, 0.85 nearly profile) and is
seen from behind with ``Pose.view = "back"`` (the near figure of an over-the-shoulder shot: a
head of hair and a shoulder, no face).

Every figure is drawn into a ``Layer``: its colour on black, its coverage, and masks of its head
(hair and face above the chin) and its face (skin and eyes), which the truth is measured on.
"""

import math
from dataclasses import dataclass, field, replace
from typing import Dict, Optional, Tuple

import numpy as np

RGB = Tuple[int, int, int]
INK = (28, 22, 30)
PAPER = (255, 255, 255)
EYE = {"gap": 0.2, "y": 0.09, "w": 0.145, "h": 0.17, "iris": (0.78, 0.86), "pupil": 0.46, "lash": 0.03}
LINE = 0.013       # outline width, head units
FEET = 6.6          # head units from the head's centre to the soles
CHIN = 0.45


@dataclass(frozen=True)
class Look:
    """One character's design: colours and hair shape (``short``, ``long``, ``bob``)."""

    name: str
    hair: RGB
    eyes: RGB
    hair_shape: str
    legs: str                                  # "trousers" or "skirt"
    skin: RGB = (255, 226, 204)
    skin_shadow: RGB = (238, 178, 168)
    blazer: RGB = (48, 58, 100)
    shirt: RGB = (246, 246, 250)
    tie: RGB = (205, 40, 55)
    lower: RGB = (78, 78, 92)
    glasses: bool = False
    tie_kind: str = "tie"                      # "tie" or "ribbon"


LOOKS: Dict[str, Look] = {
    "A": Look("A", hair=(150, 84, 44), eyes=(56, 150, 84), hair_shape="short", legs="trousers"),
    "B": Look("B", hair=(86, 58, 138), eyes=(60, 112, 210), hair_shape="long", legs="skirt",
              lower=(48, 58, 100), tie_kind="ribbon"),
    "C": Look("C", hair=(238, 204, 112), eyes=(176, 70, 52), hair_shape="bob", legs="trousers", glasses=True),
    "X": Look("X", hair=(34, 32, 38), eyes=(90, 60, 40), hair_shape="short", legs="trousers",
              blazer=(112, 112, 124), tie=(60, 70, 90), lower=(100, 100, 112)),
}


@dataclass(frozen=True)
class Pose:
    turn: float = 0.0            # -1..1: where the face looks, + to the figure's right (screen right unflipped)
    view: str = "front"          # "front" or "back"
    tilt: float = 0.0            # head tilt in radians
    blink: bool = False
    mouth: int = 0               # 0 closed, 1 open
    arms: Tuple[float, float] = (0.12, 0.12)   # each arm's angle out from the body, radians

    def mirrored(self) -> "Pose":
        return replace(self, turn=-self.turn, tilt=-self.tilt, arms=self.arms[::-1])


ARM_WOBBLE = 0.08  # radians an arm moves from its pose while a shot animates


def reach(pose: Pose) -> float:
    """How far (head units) any part of a figure in ``pose`` reaches from its axis, arms moving
    by up to ARM_WOBBLE included: the hands, else the shoulders or the long hair."""
    out = 0.95
    for a in pose.arms:
        a = abs(a) + ARM_WOBBLE
        out = max(out, 0.88 + math.sin(a) * 1.15 + math.sin(a * 0.6) * 1.0 + 0.16)
    return out


def shade(c: RGB, k: float = 0.72) -> RGB:
    """The cel-shadow tone of a colour: darker and a little cooler, as painted shadows are."""
    r, g, b = c
    return (int(r * k * 0.94), int(g * k * 0.97), int(min(255, b * k * 1.06 + 6)))


def light(c: RGB, k: float = 0.45) -> RGB:
    return tuple(int(v + (255 - v) * k) for v in c)


@dataclass
class Layer:
    """A figure drawn alone over the frame: ``rgb`` its colour times its coverage (drawn on
    black), ``alpha`` the coverage, ``head`` and ``face`` masks (uint8 0..255)."""

    rgb: np.ndarray
    alpha: np.ndarray
    head: np.ndarray
    face: np.ndarray

    @classmethod
    def empty(cls, height: int, width: int) -> "Layer":
        z = np.zeros((height, width), np.uint8)
        return cls(np.zeros((height, width, 3), np.uint8), z, z.copy(), z.copy())


@dataclass
class Pen:
    """Draws a figure's parts: head units in, pixels out, into a Layer and its masks."""

    layer: Layer
    cx: float
    cy: float
    unit: float
    flip: bool
    style: str
    tilt: float = 0.0
    width: int = field(init=False)

    def __post_init__(self):
        self.width = max(1, round(LINE * self.unit))

    def pts(self, points, head: bool = False) -> np.ndarray:
        p = np.asarray(points, np.float64).reshape(-1, 2).copy()
        if head and self.tilt:
            # about the neck, so the chin stays on it
            c, s = math.cos(self.tilt), math.sin(self.tilt)
            x, y = p[:, 0], p[:, 1] - 0.4
            p = np.stack([c * x - s * y, s * x + c * y + 0.4], axis=1)
        sx = -1.0 if self.flip else 1.0
        return np.stack([self.cx + sx * self.unit * p[:, 0], self.cy + self.unit * p[:, 1]], axis=1)

    def _cv(self, points, head: bool):
        return [np.round(self.pts(points, head) * 16).astype(np.int32)]

    def fill(self, points, colour: Optional[RGB], head: bool = False, *, to_head: bool = False,
             to_face: bool = False, line: Optional[RGB] = None, ink: bool = True) -> None:
        """A closed shape: painted (paper in line art, unless ``line`` names its line-art fill),
        outlined in ink, and added to the head or face mask."""
        import cv2

        poly = self._cv(points, head)
        paint = colour if self.style == "colour" else (line or PAPER)
        if paint is not None:
            cv2.fillPoly(self.layer.rgb, poly, paint, cv2.LINE_AA, 4)
            cv2.fillPoly(self.layer.alpha, poly, 255, cv2.LINE_AA, 4)
            for mask, on in ((self.layer.head, to_head), (self.layer.face, to_face)):
                if on:
                    cv2.fillPoly(mask, poly, 255, cv2.LINE_AA, 4)
        if ink:
            self.stroke(points, True, head)

    def tone(self, points, colour: RGB, head: bool = False) -> None:
        """A cel shadow or highlight inside a part: colour only, no line, nothing in line art."""
        import cv2

        if self.style == "colour":
            cv2.fillPoly(self.layer.rgb, self._cv(points, head), colour, cv2.LINE_AA, 4)

    def stroke(self, points, closed: bool = False, head: bool = False, width: Optional[float] = None,
               colour: RGB = INK) -> None:
        import cv2

        w = self.width if width is None else max(1, round(width * self.unit))
        if self.style == "line" and colour != PAPER:
            colour = INK               # line art has one ink
        poly = self._cv(points, head)
        cv2.polylines(self.layer.rgb, poly, closed, colour, w, cv2.LINE_AA, 4)
        cv2.polylines(self.layer.alpha, poly, closed, 255, w, cv2.LINE_AA, 4)

    def ellipse(self, centre, axes, colour: Optional[RGB], head: bool = True, line: Optional[RGB] = None,
                ink: bool = True, to_face: bool = False, n: int = 28) -> None:
        t = np.linspace(0, 2 * math.pi, n, endpoint=False)
        pts = np.stack([centre[0] + axes[0] * np.cos(t), centre[1] + axes[1] * np.sin(t)], axis=1)
        self.fill(pts, colour, head, to_face=to_face, to_head=to_face, line=line, ink=ink)


def _arc(cx, cy, rx, ry, a0, a1, n=16) -> np.ndarray:
    t = np.radians(np.linspace(a0, a1, n))
    return np.stack([cx + rx * np.cos(t), cy + ry * np.sin(t)], axis=1)


def _clip_below(points, y: float) -> np.ndarray:
    """The part of a closed polygon above the line at ``y`` (Sutherland-Hodgman on one edge)."""
    p = np.asarray(points, np.float64)
    out = []
    for a, b in zip(p, np.roll(p, -1, axis=0)):
        if a[1] <= y:
            out.append(a)
        if (a[1] <= y) != (b[1] <= y):
            f = (y - a[1]) / (b[1] - a[1])
            out.append(a + f * (b - a))
    return np.array(out)


def _band(points, width: float) -> np.ndarray:
    """A polyline thickened into a closed outline ``width`` across (arms, legs, locks of hair)."""
    p = np.asarray(points, np.float64)
    d = np.gradient(p, axis=0)
    d /= np.maximum(1e-9, np.linalg.norm(d, axis=1, keepdims=True))
    nrm = np.stack([-d[:, 1], d[:, 0]], axis=1) * (np.asarray(width, np.float64).reshape(-1, 1) / 2)
    return np.concatenate([p + nrm, (p - nrm)[::-1]])


# ---------------------------------------------------------------- the figure
def draw(layer: Layer, look: Look, cx: float, cy: float, unit: float, pose: Pose = Pose(), *,
         flip: bool = False, style: str = "colour") -> None:
    """``look`` with its head's centre at pixel (cx, cy), one head unit ``unit`` pixels."""
    pen = Pen(layer, cx, cy, unit, flip, style, pose.tilt)
    back = pose.view == "back"
    if look.hair_shape == "long":
        _long_hair_back(pen, look, back)
    _legs(pen, look)
    _torso(pen, look, back)
    for side in (-1, 1):
        _arm(pen, look, side, pose.arms[(side + 1) // 2])
    _neck(pen, look)
    if back:
        _head_back(pen, look)
    else:
        _head(pen, look, pose)


def _legs(pen: Pen, look: Look) -> None:
    skin, lower = look.skin, look.lower
    for side in (-1, 1):
        if look.legs == "skirt":
            leg = [(side * 0.12, 3.6), (side * 0.42, 3.6), (side * 0.36, 5.3), (side * 0.3, 6.2), (side * 0.12, 6.2),
                   (side * 0.14, 5.3)]
            pen.fill(leg, skin)
            pen.fill([(side * 0.12, 5.5), (side * 0.36, 5.5), (side * 0.31, 6.25), (side * 0.12, 6.25)], (30, 30, 40),
                     line=INK)
        else:
            leg = [(side * 0.04, 3.0), (side * 0.6, 3.0), (side * 0.5, 4.8), (side * 0.44, 6.3), (side * 0.1, 6.3),
                   (side * 0.1, 4.8)]
            pen.fill(leg, lower)
            pen.tone([(side * 0.36, 3.1), (side * 0.58, 3.1), (side * 0.48, 4.8), (side * 0.43, 6.25),
                      (side * 0.32, 6.25)], shade(lower))
        shoe = [(side * 0.08, 6.22), (side * 0.46, 6.22), (side * 0.56, 6.5), (side * 0.5, FEET), (side * 0.06, FEET)]
        pen.fill(shoe, (70, 46, 36), line=INK)
    if look.legs == "skirt":
        skirt = [(-0.56, 2.55), (0.56, 2.55), (0.92, 3.8), (0.5, 3.9), (0.0, 3.85), (-0.5, 3.9), (-0.92, 3.8)]
        pen.fill(skirt, lower)
        pen.tone([(0.2, 2.58), (0.56, 2.58), (0.92, 3.78), (0.5, 3.88), (0.3, 3.86)], shade(lower))
        for x in (-0.3, 0.0, 0.3):                       # pleats
            pen.stroke([(x * 0.8, 2.7), (x * 1.5, 3.85)], width=0.012)


def _torso(pen: Pen, look: Look, back: bool) -> None:
    body = [(-0.2, 0.64), (0.2, 0.64), (0.82, 0.88), (0.9, 1.2), (0.74, 1.6), (0.6, 2.6), (0.64, 3.15),
            (-0.64, 3.15), (-0.6, 2.6), (-0.74, 1.6), (-0.9, 1.2), (-0.82, 0.92)]
    pen.fill(body, look.blazer)
    pen.tone([(0.3, 0.76), (0.82, 0.94), (0.9, 1.2), (0.74, 1.6), (0.6, 2.6), (0.64, 3.13), (0.34, 3.13),
              (0.4, 1.5)], shade(look.blazer))
    if back:
        pen.stroke([(0.0, 0.8), (0.0, 3.1)], width=0.012)
        return
    collar = [(-0.22, 0.64), (0.22, 0.64), (0.02, 1.55), (-0.02, 1.55)]
    pen.fill(collar, look.shirt)
    if look.tie_kind == "tie":
        pen.fill([(-0.07, 0.8), (0.07, 0.8), (0.1, 1.5), (0.0, 1.62), (-0.1, 1.5)], look.tie)
    else:
        for side in (-1, 1):
            pen.fill([(0, 0.86), (side * 0.26, 0.74), (side * 0.28, 1.02)], look.tie)
        pen.ellipse((0, 0.88), (0.06, 0.06), look.tie, head=False)
    for side in (-1, 1):   # lapels
        pen.stroke([(side * 0.22, 0.72), (side * 0.05, 1.6), (side * 0.02, 2.2)], width=0.014)
    pen.stroke([(0.0, 2.2), (0.0, 3.1)], width=0.012)
    for y in (2.35, 2.75):
        pen.ellipse((0.07, y), (0.03, 0.03), (220, 190, 90), head=False, line=INK, ink=False)


def _arm(pen: Pen, look: Look, side: int, angle: float) -> None:
    sx, sy = side * 0.8, 0.98
    a = side * angle
    elbow = (sx + math.sin(a) * 1.15 + side * 0.08, sy + math.cos(a) * 1.15)
    wrist = (elbow[0] + math.sin(a * 0.6) * 1.0, elbow[1] + math.cos(a * 0.6) * 1.0)
    sleeve = _band([(sx, sy), elbow, wrist], np.array([0.36, 0.3, 0.26]))
    pen.ellipse((wrist[0] + side * 0.02, wrist[1] + 0.16), (0.12, 0.17), look.skin, head=False)
    pen.fill(sleeve, look.blazer)
    pen.tone(_band([(sx + side * 0.08, sy + 0.1), (elbow[0] + side * 0.07, elbow[1]),
                    (wrist[0] + side * 0.06, wrist[1])], 0.12), shade(look.blazer))
    pen.fill(_band([(wrist[0] - math.sin(a * 0.6) * 0.06, wrist[1] - 0.06), (wrist[0], wrist[1] + 0.02)], 0.3),
             look.shirt)


def _neck(pen: Pen, look: Look) -> None:
    pen.fill([(-0.13, 0.3), (0.13, 0.3), (0.15, 0.8), (0.0, 0.88), (-0.15, 0.8)], look.skin)
    pen.tone([(-0.13, 0.42), (0.13, 0.42), (0.14, 0.62), (-0.14, 0.52)], look.skin_shadow)


# ---------------------------------------------------------------- heads
def _cranium(cx: float = 0.0) -> np.ndarray:
    return _arc(cx, -0.07, 0.44, 0.48, 180, 360, 20)


def _face_outline(t: float) -> np.ndarray:
    """Cranium arc and a jaw tapering to a small chin; a turned head's chin and far cheek move
    toward where it looks (the far side is squeezed, from the temples down)."""
    chin = 0.2 * t
    side = np.sign(t) if t else 1.0
    jaw = [(0.44, -0.05), (0.42, 0.12), (0.3, 0.3), (chin + 0.08 * side * (1 - abs(t)), 0.42), (chin, CHIN),
           (chin - 0.08 * side * (1 - abs(t)), 0.42), (-0.3, 0.3), (-0.42, 0.12), (-0.44, -0.05)]
    pts = np.concatenate([_cranium()[::-1][:-1][::-1], np.array(jaw)])
    far = pts[:, 0] * side > 0
    k = np.clip((pts[:, 1] + 0.3) / 0.3, 0, 1) * far
    pts[:, 0] = pts[:, 0] * (1 - 0.45 * abs(t) * k) + 0.06 * t * k
    return pts


def _head(pen: Pen, look: Look, pose: Pose) -> None:
    t = max(-0.8, min(0.8, pose.turn))
    _hair_behind(pen, look, t)
    face = _face_outline(t)
    pen.fill(face, look.skin, head=True, to_head=True, to_face=True)
    # the shadow the fringe casts on the forehead and the cheek away from the light
    pen.tone(_clip_below(face, -0.02), look.skin_shadow, head=True)
    if look.hair_shape != "long":
        ear_x = -0.42 + 0.12 * max(0.0, t) if t >= 0 else 0.42 + 0.12 * t
        pen.ellipse((ear_x, 0.1), (0.07, 0.12), look.skin, to_face=True)
    _features(pen, look, pose, t)
    _bangs(pen, look, t)
    pen.stroke(face[len(face) - 9:], head=True)     # the jaw line stays over any lock of hair


def _features(pen: Pen, look: Look, pose: Pose, t: float) -> None:
    shift, squeeze = 0.2 * t, 1 - 0.32 * abs(t)
    for side in (-1, 1):
        far = side * t > 0
        scale = 1 - 0.45 * abs(t) if far else 1.0
        if far and abs(t) > 0.75:
            continue                                       # the far eye is behind the nose
        ex, ey = shift + side * (EYE["gap"] * 0.9 * (1 - 0.5 * abs(t)) if far else EYE["gap"] * squeeze), EYE["y"]
        w, h = EYE["w"] * scale, EYE["h"]
        iw, ih = EYE["iris"]
        if pose.blink:
            pen.stroke(_arc(ex, ey, w, h * 0.4, 10, 170, 10), head=True, width=0.035)
        else:
            pen.ellipse((ex, ey), (w, h), (255, 255, 255), line=PAPER, ink=False, to_face=True)
            pen.ellipse((ex + 0.01 * side * scale, ey + 0.02), (w * iw, h * ih), look.eyes, line=PAPER)
            pen.tone(_arc(ex + 0.01 * side * scale, ey + 0.02, w * iw, h * ih, 180, 360, 12),
                     shade(look.eyes, 0.6), head=True)
            pen.ellipse((ex + 0.01 * side * scale, ey + 0.04), (w * iw * EYE["pupil"], h * ih * EYE["pupil"]), (20, 16, 28),
                        line=INK, ink=False)
            pen.ellipse((ex - 0.04 * scale, ey - 0.05), (0.038 * scale, 0.04), (255, 255, 255), ink=False)
            pen.ellipse((ex + 0.04 * scale, ey + 0.09), (0.018 * scale, 0.018), (255, 255, 255), ink=False)
            lash = _arc(ex, ey, w * 1.08, h * 1.02, 195, 345, 12)
            lash = np.concatenate([lash, [(ex + side * w * 1.35, ey - h * 0.55)]]) if side > 0 else \
                np.concatenate([[(ex + side * w * 1.35, ey - h * 0.55)], lash])
            pen.stroke(lash, head=True, width=EYE["lash"])
            pen.stroke(_arc(ex, ey, w * 0.8, h * 1.0, 60, 120, 6), head=True, width=0.015)
        pen.stroke(_arc(ex, ey - 0.13, w * 1.1, 0.07, 205, 335, 8), head=True, width=0.022, colour=shade(look.hair, 0.6))
        if look.glasses:
            pen.stroke(_arc(ex, ey + 0.01, w * 1.45, h * 1.2, 0, 360, 20), True, head=True, width=0.022)
        if not (far and abs(t) > 0.4):
            pen.tone(_arc(ex - side * 0.03, ey + 0.18, 0.07 * scale, 0.025, 0, 360, 10), (255, 180, 180), head=True)
    pen.stroke([(shift + 0.1 * t + 0.02, 0.25), (shift + 0.1 * t, 0.28)], head=True, width=0.02)
    mx, mw = 0.8 * shift, 0.055 * (1 - 0.4 * abs(t))      # the mouth stays inside a turned jaw
    if pose.mouth:
        pen.fill(_arc(mx, 0.325, mw, 0.028, 0, 180, 10), (150, 50, 60), head=True, line=INK, ink=False)
        pen.stroke([(mx - mw, 0.325), (mx + mw, 0.325)], head=True, width=0.018)
    else:
        pen.stroke([(mx - mw * 0.9, 0.33), (mx + mw * 0.8, 0.325)], head=True, width=0.018)


def _hair_behind(pen: Pen, look: Look, t: float) -> None:
    """The hair mass around and behind the head, in the head mask."""
    if look.hair_shape == "short":
        n = 15
        ang = np.linspace(170, 370, n)
        r = np.where(np.arange(n) % 2 == 0, 0.6, 0.5)
        pts = np.stack([-0.05 * t + r * 1.0 * np.cos(np.radians(ang)), -0.1 + r * 1.02 * np.sin(np.radians(ang))], 1)
        pts = np.concatenate([[(-0.5, 0.2)], pts, [(0.5, 0.2)]])
    elif look.hair_shape == "bob":
        pts = np.concatenate([_arc(-0.04 * t, -0.08, 0.53, 0.56, 180, 360, 18), [(0.56, 0.3), (0.5, 0.4), (0.38, 0.32),
                                                                                 (-0.38, 0.32), (-0.5, 0.4), (-0.56, 0.3)]])
    else:
        pts = np.concatenate([_arc(-0.05 * t, -0.06, 0.52, 0.55, 180, 360, 18), [(0.55, 0.4), (-0.55, 0.4)]])
    pen.fill(pts, look.hair, head=True, to_head=True)
    pen.tone(pts[pts[:, 1] > -0.1] if len(pts[pts[:, 1] > -0.1]) > 2 else pts, shade(look.hair), head=True)


def _bangs(pen: Pen, look: Look, t: float) -> None:
    """The fringe over the forehead, with a highlight band, shifted toward where the face looks."""
    s = 0.12 * t
    if look.hair_shape == "long":     # a straight fringe and long side locks
        tips = [(-0.46 + s, -0.06)] + [(x + s, -0.1 + 0.03 * (i % 2)) for i, x in enumerate(np.linspace(-0.4, 0.4, 9))] \
            + [(0.46 + s, -0.06)]
        bangs = np.concatenate([_arc(s * 0.5, -0.08, 0.5, 0.52, 180, 360, 16), tips[::-1]])
        pen.fill(bangs, look.hair, head=True, to_head=True)
        for side in (-1, 1):
            # locks hanging to the chest: hair, not head, below the chin
            pen.fill(_band([(side * 0.47, -0.05), (side * 0.5, 0.5), (side * 0.46, 1.1)], np.array([0.14, 0.15, 0.08])),
                     look.hair, head=True)
        pen.fill([(0.3, -0.55), (0.5, -0.62), (0.52, -0.42), (0.34, -0.4)], look.tie, head=True, to_head=True)
    elif look.hair_shape == "bob":    # a side-parted fringe
        bangs = np.concatenate([_arc(s * 0.5, -0.08, 0.5, 0.52, 180, 360, 16),
                                [(0.5 + s, 0.3), (0.36 + s, -0.04), (0.1 + s, -0.11), (-0.2 + s, -0.08), (-0.44 + s, 0.02),
                                 (-0.5 + s, 0.3)]])
        pen.fill(bangs, look.hair, head=True, to_head=True)
    else:                             # spiky locks
        locks = [(-0.48, 0.14), (-0.4, -0.12), (-0.3, -0.04), (-0.18, -0.14), (-0.08, -0.06), (0.04, -0.14),
                 (0.14, -0.06), (0.26, -0.14), (0.36, -0.04), (0.42, -0.12), (0.5, 0.14)]
        bangs = np.concatenate([_arc(s * 0.5, -0.1, 0.5, 0.5, 180, 360, 16), [(x + s, y) for x, y in locks[::-1]]])
        pen.fill(bangs, look.hair, head=True, to_head=True)
    pen.tone(_band(_arc(s * 0.5, -0.1, 0.33, 0.3, 210, 330, 10), 0.06), light(look.hair), head=True)
    for x in (-0.3, -0.12, 0.08, 0.26):      # strands: the lines a fringe is drawn with
        pen.stroke([(s * 0.5 + x * 0.5, -0.5), (s * 0.8 + x * 0.85, -0.32), (s + x, -0.16)], head=True, width=0.01)


def _head_back(pen: Pen, look: Look) -> None:
    """The back of a head: hair over everything, no face, in the head mask."""
    down = 0.9 if look.hair_shape == "long" else 0.3
    pts = np.concatenate([_arc(0, -0.06, 0.52, 0.55, 180, 360, 20), [(0.5, down), (0.2, down + 0.08), (-0.2, down + 0.08),
                                                                     (-0.5, down)]])
    pen.fill(pts, look.hair, head=True, to_head=True)
    pen.tone(np.concatenate([_arc(0, -0.06, 0.52, 0.55, 20, 160, 10)]), shade(look.hair), head=True)
    for x in (-0.25, 0.0, 0.25):
        pen.stroke([(x * 0.6, -0.55), (x, 0.0), (x * 1.2, down)], head=True, width=0.012)
    if look.hair_shape == "long":
        pen.fill([(0.3, -0.55), (0.5, -0.62), (0.52, -0.42), (0.34, -0.4)], look.tie, head=True, to_head=True)


def _long_hair_back(pen: Pen, look: Look, back: bool) -> None:
    """B's hair falling behind the shoulders to the waist (over them from behind)."""
    if back:
        return
    pts = [(-0.55, -0.1), (0.55, -0.1), (0.7, 1.0), (0.75, 2.2), (0.4, 2.1), (0.0, 2.25), (-0.4, 2.1), (-0.75, 2.2),
           (-0.7, 1.0)]
    pen.fill(pts, look.hair)
    pen.tone([(0.2, 0.3), (0.7, 1.0), (0.75, 2.2), (0.4, 2.1)], shade(look.hair))


def over(img: np.ndarray, layer: Layer) -> None:
    """Lay ``layer`` over ``img`` (float32 RGB, in place) through its coverage."""
    a = layer.alpha.astype(np.float32)[..., None] / 255
    img *= 1 - a
    img += layer.rgb
