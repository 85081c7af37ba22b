"""Where two characters stand in a composed picture: matched in scale by head height (never
enlarged), side by side with paper between them (so their bodies never overlap and no fused head
is made), at several gaps and heights, mirrored at random, and now and then cut by the frame's
edge as real frames are (waist up, or one side out of view)."""

import random
from dataclasses import dataclass
from typing import List, Tuple, Union

import numpy as np

from ..people.boxes import Rect
from .figures import JOIN, Figure, scaled
from .settings import ComposeSettings

TOP = 0.02            # a head keeps this share of the height above it
SIDE = 0.01           # an uncut character keeps this share of the width from a side
FULL_HEIGHT = 0.96    # a whole figure stands at most this share of the picture's height
SHRINK, FITS = 0.9, 5    # a layout that does not fit is tried this much smaller, this many times (never under 2/3)
WAIST = (0.15, 0.35)  # a waist-up layout cuts this share of each figure's height off at the bottom
SIDE_CUT = (0.1, 0.3)  # a side cut puts this share of a figure's width out of view (never its head)
HEAD_JITTER = (0.95, 1.0)  # both heads drawn at the smaller head's height times this (shrunk figures read as text)


@dataclass
class Placed:
    name: str
    scale: float
    mirror: bool
    x: int                  # the scaled figure's top-left corner on the picture (may lie outside it)
    y: int
    pixels: np.ndarray
    mask: np.ndarray
    head: Rect              # on the picture

    def box(self, width: int, height: int) -> Rect:
        """The character's pixels in view: its box on the picture."""
        ys, xs = np.nonzero(self.mask)
        x0, x1 = max(0, self.x + int(xs.min())), min(width, self.x + int(xs.max()) + 1)
        y0, y1 = max(0, self.y + int(ys.min())), min(height, self.y + int(ys.max()) + 1)
        return (float(x0), float(y0), float(x1), float(y1))


@dataclass
class Layout:
    size: Tuple[int, int]
    placed: List[Placed]       # left to right
    cut: str                   # "", "waist" or "side"
    gap: int

    def describe(self) -> dict:
        return {"order": [p.name for p in self.placed], "scale": [round(p.scale, 3) for p in self.placed],
                "mirror": [p.mirror for p in self.placed], "gap": self.gap, "cut": self.cut,
                "head_height": [round(p.head[3] - p.head[1], 1) for p in self.placed]}


def plan(a: Figure, b: Figure, size: Tuple[int, int], settings: ComposeSettings,
         rng: random.Random) -> Union[Layout, str]:
    """A layout of ``a`` and ``b`` on a picture of ``size`` (width, height), or why none fits."""
    W, H = size
    pair = [a, b] if rng.random() < 0.5 else [b, a]
    mirrors = [settings.mirror and rng.random() < 0.5 for _ in pair]
    cut = ""
    if rng.random() < settings.partial:
        cut = rng.choice(("waist", "side"))
    side = rng.randrange(2)                      # which figure a side cut puts partly out of view
    gap_share = rng.uniform(settings.min_gap, settings.max_gap)
    lift = rng.uniform(-1.0, 1.0) * settings.height_shift * H
    floor = rng.uniform(0.9, 0.99) * H
    drop = rng.uniform(*WAIST)
    out_share = rng.uniform(*SIDE_CUT)
    target = min(f.head_height for f in pair) * rng.uniform(*HEAD_JITTER)
    # two bodies closer than the detector's joining distance would read as one blob
    least_gap = int(np.ceil(max(settings.min_gap * W, 2 * JOIN * H + 2)))
    gap = max(least_gap, int(gap_share * W))
    for _ in range(FITS):
        placed = _try(pair, mirrors, target, W, H, gap, cut, side, lift, floor, drop, out_share, rng)
        if placed is not None:
            return Layout(size, placed, cut, gap)
        target *= SHRINK
        gap = max(least_gap, int(gap * SHRINK))
    return "does not fit the picture"


def _try(pair, mirrors, target, W, H, gap, cut, side, lift, floor, drop, out_share, rng):
    parts = [scaled(f, min(1.0, target / f.head_height), m) for f, m in zip(pair, mirrors)]
    sizes = [(p[1].shape[1], p[1].shape[0]) for p in parts]
    # vertical: whole figures stand on a floor (one lifted), cut ones on the bottom edge, waist up both dropped
    ys = []
    for k, (f, (w, h)) in enumerate(zip(pair, sizes)):
        if cut == "waist":
            bottom = H + drop * h
        elif f.bottom_cut:
            bottom = H
        else:
            if h > FULL_HEIGHT * H:
                return None
            bottom = min(H - 1, floor + (lift if k else 0.0))
        top = bottom - h
        head_top = top + parts[k][2][1]
        if head_top < TOP * H:
            if cut == "waist" or f.bottom_cut:
                return None
            top += TOP * H - head_top
            if top + h > H:
                return None
        ys.append(int(round(top)))
    # horizontal: left figure, the gap, right figure; a side cut pushes one outer side out of view
    (wl, _), (wr, _) = sizes
    margin = SIDE * W
    if cut == "side":
        head = parts[side][2]
        room = head[0] if side == 0 else sizes[1][0] - head[2]     # pixels outside the head on the outer side
        out = min(int(out_share * sizes[side][0]), int(room - margin))
        if out <= 0:
            return None
        if side == 0:
            xl = -out
            xr = xl + wl + gap
            if xr + wr > W - margin:
                return None
        else:
            xr = W - wr + out
            xl = xr - gap - wl
            if xl < margin:
                return None
    else:
        free = W - (wl + gap + wr) - 2 * margin
        if free < 0:
            return None
        xl = int(margin + rng.uniform(0, free))
        xr = xl + wl + gap
    out = []
    for f, m, (pixels, mask, head), x, y in zip(pair, mirrors, parts, (xl, xr), ys):
        scale = pixels.shape[0] / f.pixels.shape[0]
        out.append(Placed(f.name, scale, m, int(x), y, pixels, mask,
                          (head[0] + x, head[1] + y, head[2] + x, head[3] + y)))
    return out


def render(layout: Layout) -> np.ndarray:
    """The composed picture: white paper, each character's own pixels laid on it (BGR uint8)."""
    W, H = layout.size
    canvas = np.full((H, W, 3), 255, np.uint8)
    for p in layout.placed:
        h, w = p.mask.shape
        x0, y0 = max(0, p.x), max(0, p.y)
        x1, y1 = min(W, p.x + w), min(H, p.y + h)
        if x1 <= x0 or y1 <= y0:
            continue
        sub = p.mask[y0 - p.y:y1 - p.y, x0 - p.x:x1 - p.x]
        canvas[y0:y1, x0:x1][sub] = p.pixels[y0 - p.y:y1 - p.y, x0 - p.x:x1 - p.x][sub]
    return canvas
