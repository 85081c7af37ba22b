"""Background plates for the realistic development set, and the lighting laid over characters.

A plate is the held background of one shot, wider than the frame when the camera pans across it.
Kinds (the "background kind" a frame's truth names):

- ``paper``: a flat colour with a floor band, the control (what the first demo drew);
- ``gradient``: a sky or wall fading between two colours, with soft clouds or a window glow;
- ``dark``: a night interior, low luma, dim texture, furniture a shade lighter than the dark and
  a few light sources (a lamp with a halo, a moonlit window);
- ``painted``: soft brush blobs, textured noise and clutter (a window, shelves, a lamp, a plant)
  blurred as a painted background is;
- ``rendered``: a 3D-looking room in perspective, tiled floor and shaded walls, boxes with a lit
  and a shadowed face, flat cel tones.

``line_art`` turns a plate into what a line-art pass over it gives: dark lines on white.
Everything is drawn in units of the plate height from a seeded generator: same seed, same plate,
at any resolution.
"""

import math
from dataclasses import dataclass
from typing import Tuple

import numpy as np

KINDS = ("paper", "gradient", "dark", "painted", "rendered")
RGB = Tuple[int, int, int]


def plate(kind: str, seed, width: int, height: int) -> np.ndarray:
    """A ``kind`` plate, RGB float32 ``height`` x ``width``, from ``seed``."""
    if kind not in KINDS:
        raise ValueError(f"unknown background kind {kind!r}; expected one of {KINDS}")
    rng = np.random.default_rng(seed)
    img = _PAINT[kind](rng, width, height)
    return np.clip(img, 0, 255).astype(np.float32)


def _noise(rng, width: int, height: int, cells: float, amount: float) -> np.ndarray:
    """Smooth value noise (``cells`` blobs per plate height), -amount..amount, one channel."""
    import cv2

    gw, gh = max(2, int(cells * width / height) + 2), max(2, int(cells) + 2)
    small = rng.uniform(-amount, amount, (gh, gw)).astype(np.float32)
    return cv2.resize(small, (width, height), interpolation=cv2.INTER_CUBIC)


def _grain(rng, width: int, height: int, amount: float) -> np.ndarray:
    """Fine paper or canvas texture, scaled with the plate so it looks alike at any size."""
    import cv2

    h, w = 360, max(1, round(360 * width / height))
    g = rng.normal(0, amount, (h, w)).astype(np.float32)
    g = cv2.GaussianBlur(g, (0, 0), 0.8)
    return cv2.resize(g, (width, height), interpolation=cv2.INTER_LINEAR)[..., None]


def _vertical(top: RGB, bottom: RGB, width: int, height: int, start: float = 0.0, end: float = 1.0) -> np.ndarray:
    t = np.clip((np.linspace(0, 1, height, dtype=np.float32) - start) / max(1e-6, end - start), 0, 1)[:, None, None]
    img = np.asarray(top, np.float32) * (1 - t) + np.asarray(bottom, np.float32) * t
    return np.broadcast_to(img, (height, width, 3)).copy()


def _cv(img: np.ndarray, points, height: int) -> list:
    return [np.round(np.asarray(points, np.float64) * height * 16).astype(np.int32)]


def _poly(img, points, colour, height: int) -> None:
    import cv2

    cv2.fillPoly(img, _cv(img, points, height), tuple(float(c) for c in colour), cv2.LINE_AA, 4)


def _outline(img, points, colour, height: int, w: float = 0.004) -> None:
    import cv2

    cv2.polylines(img, _cv(img, points, height), True, tuple(float(c) for c in colour),
                  max(1, round(w * height)), cv2.LINE_AA, 4)


def _rect(x0, y0, x1, y1):
    return [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]


def _glow(img: np.ndarray, cx: float, cy: float, radius: float, colour: RGB, strength: float, height: int) -> None:
    """Light added around (cx, cy): a lamp's halo."""
    h, w = img.shape[:2]
    ys, xs = np.ogrid[:h, :w]
    d2 = ((xs - cx * height) ** 2 + (ys - cy * height) ** 2) / (radius * height) ** 2
    img += (strength * np.exp(-d2))[..., None].astype(np.float32) * np.asarray(colour, np.float32) / 255


# ---------------------------------------------------------------- the kinds
def _paper(rng, width, height):
    import cv2

    wall = rng.choice([(246, 240, 226), (232, 238, 246), (240, 232, 240), (236, 244, 230), (250, 236, 214)])
    floor = rng.choice([(196, 174, 140), (170, 186, 160), (184, 180, 196)])
    img = np.empty((height, width, 3), np.float32)
    img[:] = wall
    horizon = rng.uniform(0.62, 0.8)
    img[int(horizon * height):] = floor
    cv2.line(img, (0, int(horizon * height)), (width, int(horizon * height)), (60, 50, 50), max(1, height // 300),
             cv2.LINE_AA)
    return img


def _gradient(rng, width, height):
    import cv2

    pairs = [((70, 120, 200), (250, 190, 150)), ((30, 40, 90), (200, 110, 120)), ((150, 200, 240), (245, 245, 250)),
             ((250, 170, 90), (120, 60, 110)), ((60, 150, 140), (220, 240, 200))]
    top, bottom = pairs[int(rng.integers(len(pairs)))]
    img = _vertical(top, bottom, width, height, rng.uniform(-0.2, 0.2), rng.uniform(0.8, 1.2))
    wide = width / height
    clouds = np.zeros((height, width), np.float32)
    for _ in range(int(rng.integers(2, 6))):
        cx, cy, r = rng.uniform(0, wide), rng.uniform(0.05, 0.5), rng.uniform(0.05, 0.12)
        for j in range(5):
            cv2.ellipse(clouds, (int((cx + j * r * 0.7) * height), int((cy + rng.uniform(-0.02, 0.02)) * height)),
                        (int(r * height), int(r * 0.55 * height)), 0, 0, 360, 1.0, -1, cv2.LINE_AA)
    clouds = cv2.GaussianBlur(clouds, (0, 0), 0.012 * height)
    img += clouds[..., None] * (np.float32(245) - img) * 0.7
    return img + _noise(rng, width, height, 3, 6)[..., None]


def _room_clutter(rng, img, width, height, wall: RGB, ink: RGB, dim: float) -> None:
    """Windows, a shelf, a table, a lamp and a plant, at ``dim`` of their daylight colours."""
    wide = width / height
    floor_y = rng.uniform(0.66, 0.78)
    _poly(img, _rect(-0.1, floor_y, wide + 0.1, 1.1), np.asarray(wall) * 0.7, height)
    x = rng.uniform(0.0, 0.3)
    while x < wide:
        thing = int(rng.integers(4))
        w = rng.uniform(0.18, 0.42)
        if thing == 0:      # a window
            y0 = rng.uniform(0.08, 0.2)
            pane = np.asarray((170, 205, 235)) * dim
            _poly(img, _rect(x, y0, x + w, y0 + w * 1.1), pane, height)
            _outline(img, _rect(x, y0, x + w, y0 + w * 1.1), ink, height)
            _poly(img, _rect(x + w / 2 - 0.006, y0, x + w / 2 + 0.006, y0 + w * 1.1), ink, height)
        elif thing == 1:    # a shelf with books
            y0 = rng.uniform(0.2, 0.35)
            _poly(img, _rect(x, y0, x + w, y0 + 0.02), np.asarray((120, 80, 50)) * dim, height)
            bx = x + 0.01
            while bx < x + w - 0.03:
                bw, bh = rng.uniform(0.015, 0.035), rng.uniform(0.06, 0.1)
                colour = rng.choice([(180, 60, 60), (60, 90, 160), (200, 170, 80), (80, 140, 90)]) * dim
                _poly(img, _rect(bx, y0 - bh, bx + bw, y0), colour, height)
                bx += bw + 0.004
        elif thing == 2:    # a table
            y0 = floor_y - rng.uniform(0.12, 0.2)
            wood = np.asarray((140, 95, 60)) * dim
            _poly(img, _rect(x, y0, x + w, y0 + 0.03), wood, height)
            for lx in (x + 0.02, x + w - 0.035):
                _poly(img, _rect(lx, y0 + 0.03, lx + 0.015, floor_y + 0.02), wood * 0.8, height)
        else:               # a plant in a pot
            pot = np.asarray((170, 100, 70)) * dim
            _poly(img, [(x, floor_y - 0.08), (x + 0.08, floor_y - 0.08), (x + 0.07, floor_y), (x + 0.01, floor_y)], pot,
                  height)
            for _ in range(7):
                a = rng.uniform(-2.6, -0.5)
                cx, cy = x + 0.04 + math.cos(a) * 0.07, floor_y - 0.1 + math.sin(a) * 0.08
                _poly(img, [(x + 0.04, floor_y - 0.08), (cx - 0.02, cy), (cx + 0.02, cy - 0.01)],
                      np.asarray((70, 140, 70)) * dim * rng.uniform(0.8, 1.1), height)
        x += w + rng.uniform(0.08, 0.3)


def _dark(rng, width, height):
    base = rng.choice([(22, 24, 40), (30, 22, 30), (18, 28, 30), (34, 30, 28)])
    img = np.empty((height, width, 3), np.float32)
    img[:] = base
    _room_clutter(rng, img, width, height, np.asarray(base) * 1.8, (8, 8, 12), 0.35)
    img += _noise(rng, width, height, 6, 10)[..., None]
    wide = width / height
    for _ in range(int(rng.integers(1, 3))):     # lamps: a warm bulb and its halo
        cx, cy = rng.uniform(0.1, wide - 0.1), rng.uniform(0.1, 0.45)
        _glow(img, cx, cy, rng.uniform(0.15, 0.3), (255, 190, 110), rng.uniform(60, 110), height)
        _poly(img, [(cx + 0.02 * math.cos(t), cy + 0.02 * math.sin(t)) for t in np.linspace(0, 6.28, 12)],
              (255, 235, 180), height)
    return img + _grain(rng, width, height, 3)


def _painted(rng, width, height):
    import cv2

    palettes = [((200, 170, 120), (120, 150, 110), (90, 110, 150)), ((240, 200, 170), (170, 120, 140), (110, 90, 120)),
                ((150, 190, 200), (90, 130, 150), (220, 210, 170)), ((210, 180, 140), (160, 110, 80), (90, 70, 60))]
    cols = palettes[int(rng.integers(len(palettes)))]
    img = _vertical(cols[0], cols[1], width, height, 0.2, 0.9)
    _room_clutter(rng, img, width, height, np.asarray(cols[1]) * 0.9, (70, 55, 60), 0.95)
    wide = width / height
    for _ in range(40):      # brush dabs: soft, overlapping, a little off the palette
        cx, cy = rng.uniform(0, wide), rng.uniform(0, 1)
        c = np.asarray(cols[int(rng.integers(3))], np.float32) * rng.uniform(0.85, 1.15)
        dab = np.zeros((height, width), np.float32)
        cv2.ellipse(dab, (int(cx * height), int(cy * height)),
                    (int(rng.uniform(0.04, 0.14) * height), int(rng.uniform(0.02, 0.06) * height)),
                    rng.uniform(0, 180), 0, 360, rng.uniform(0.15, 0.35), -1, cv2.LINE_AA)
        img += dab[..., None] * (c - img)
    img = cv2.GaussianBlur(img, (0, 0), 0.004 * height)
    img += _noise(rng, width, height, 8, 14)[..., None]
    return img + _grain(rng, width, height, 5)


def _rendered(rng, width, height):
    """A room in one-point perspective: back wall, side walls, tiled floor, lit boxes."""
    wide = width / height
    wall = np.asarray(rng.choice([(200, 190, 170), (170, 185, 200), (210, 180, 170), (180, 200, 180)]), np.float32)
    floor = np.asarray(rng.choice([(150, 120, 90), (120, 120, 130), (170, 150, 120)]), np.float32)
    vx, vy = rng.uniform(0.35, 0.65) * wide, rng.uniform(0.35, 0.5)
    bw, bh = rng.uniform(0.35, 0.55) * wide, rng.uniform(0.35, 0.5)
    bx0, by0 = vx - bw / 2, vy - bh * 0.55
    bx1, by1 = bx0 + bw, by0 + bh
    img = np.empty((height, width, 3), np.float32)
    img[:] = wall * 0.75
    ink = (50, 45, 50)
    _poly(img, [(-0.5, -0.5), (bx0, by0), (bx0, by1), (-0.5, 1.6)], wall * 0.62, height)            # left wall
    _poly(img, [(wide + 0.5, -0.5), (bx1, by0), (bx1, by1), (wide + 0.5, 1.6)], wall * 0.86, height)  # right wall
    _poly(img, [(-0.5, -0.5), (wide + 0.5, -0.5), (bx1, by0), (bx0, by0)], wall * 0.95, height)        # ceiling
    _poly(img, [(bx0, by1), (bx1, by1), (wide + 0.5, 1.6), (-0.5, 1.6)], floor, height)                # floor
    _poly(img, _rect(bx0, by0, bx1, by1), wall, height)                                                 # back wall
    for x in np.linspace(bx0, bx1, 7):        # floor tiles run to the vanishing point
        far = (x, by1)
        near = (vx + (x - vx) * 4, by1 + (1.6 - by1))
        _outline(img, [far, near], floor * 0.75, height, 0.002)
    for k in range(1, 6):
        y = by1 + (1 - by1) * (k / 6) ** 1.6
        _outline(img, [(-0.5, y), (wide + 0.5, y)], floor * 0.75, height, 0.002)
    for x0, y0, x1, y1 in ((bx0, by0, bx1, by1),):
        _outline(img, _rect(x0, y0, x1, y1), ink, height)
    for _ in range(int(rng.integers(2, 5))):  # boxes: a lit top, a lit front, a side in shadow
        s = rng.uniform(0.08, 0.2)
        x = rng.uniform(0.0, wide - s)
        y = rng.uniform(by1 + 0.05, 0.95)
        c = np.asarray(rng.choice([(200, 90, 80), (90, 140, 200), (220, 190, 90), (120, 180, 120)]), np.float32)
        d = s * 0.35 * (1 if x + s / 2 < vx else -1)
        front = _rect(x, y - s, x + s, y)
        side = [(x + s if d > 0 else x, y - s), (x + s + d if d > 0 else x + d, y - s - abs(d) * 0.6),
                (x + s + d if d > 0 else x + d, y - abs(d) * 0.6), (x + s if d > 0 else x, y)]
        top = [(x, y - s), (x + s, y - s), (x + s + d, y - s - abs(d) * 0.6), (x + d, y - s - abs(d) * 0.6)]
        _poly(img, front, c * 0.9, height)
        _poly(img, side, c * 0.55, height)
        _poly(img, top, np.minimum(255, c * 1.15), height)
        for p in (front, side, top):
            _outline(img, p, ink, height, 0.003)
    light = _vertical((255, 250, 240), (120, 120, 140), width, height)       # light from above
    return img * (0.75 + 0.25 * light / 255)


_PAINT = {"paper": _paper, "gradient": _gradient, "dark": _dark, "painted": _painted, "rendered": _rendered}


def line_art(img: np.ndarray) -> np.ndarray:
    """Dark lines on white where ``img`` has edges: what a line-art pass over a plate gives."""
    import cv2

    h = img.shape[0]
    grey = cv2.cvtColor(np.clip(img, 0, 255).astype(np.uint8), cv2.COLOR_RGB2GRAY)
    grey = cv2.GaussianBlur(grey, (0, 0), 1.2 * h / 360)
    edges = cv2.Canny(grey, 20, 50).astype(np.float32)
    if h > 400:
        edges = cv2.dilate(edges, np.ones((2, 2), np.uint8), iterations=max(1, round(h / 540)))
    edges = cv2.GaussianBlur(edges, (0, 0), 0.6)
    out = 255 - np.clip(edges, 0, 255) * 0.85
    return np.repeat(out[..., None], 3, axis=2).astype(np.float32)


# ---------------------------------------------------------------- lighting
@dataclass(frozen=True)
class Light:
    """How a shot's light falls on its characters: a colour gain per channel, and a rim of
    ``rim`` colour on the ``side`` (-1 left, 1 right, 0 none) the light comes from."""

    gain: Tuple[float, float, float] = (1.0, 1.0, 1.0)
    rim: RGB = (255, 230, 190)
    side: int = 0
    name: str = "flat"

    def scaled(self, k: float) -> "Light":
        return Light(tuple(g * k for g in self.gain), self.rim, self.side, self.name)


LIGHTS = {
    "paper": [Light()],
    "gradient": [Light((1.0, 0.95, 0.92), name="warm"), Light((0.92, 0.96, 1.04), name="cool"),
                 Light((1.02, 0.9, 0.84), (255, 200, 140), 1, "sunset rim")],
    "dark": [Light((0.5, 0.52, 0.7), (255, 190, 120), -1, "night, lamp rim"),
             Light((0.58, 0.5, 0.5), (255, 170, 110), 1, "night, warm rim"), Light((0.45, 0.5, 0.62), name="night")],
    "painted": [Light((0.96, 0.94, 0.9), name="soft"), Light((0.9, 0.88, 0.96), (240, 240, 255), 1, "window rim")],
    "rendered": [Light((0.95, 0.95, 0.95), name="room"), Light((0.85, 0.85, 0.92), (255, 245, 220), -1, "key rim")],
}


def lit(rgb: np.ndarray, alpha: np.ndarray, light: Light, height: int) -> np.ndarray:
    """A character layer's premultiplied colour under ``light`` (float32): the gain, and a rim
    on the lit side where the silhouette edge faces the light."""
    import cv2

    out = rgb.astype(np.float32) * np.asarray(light.gain, np.float32)
    if light.side:
        shift = max(1, round(0.008 * height))
        a = alpha.astype(np.float32) / 255
        moved = np.zeros_like(a)
        if light.side > 0:
            moved[:, :-shift] = a[:, shift:]
        else:
            moved[:, shift:] = a[:, :-shift]
        rim = np.clip(a - moved, 0, 1)
        rim = cv2.GaussianBlur(rim, (0, 0), 0.5) * a
        out += rim[..., None] * (np.asarray(light.rim, np.float32) * a[..., None] - out) * 0.85
    return out
