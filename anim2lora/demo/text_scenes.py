"""Frames with burned-in text, and hard negatives that only look like text, with known truth.

TextFrameFilter must find subtitles, title cards and signs, and must stay quiet on drawings whose
strokes look like letters to an OCR detector: eyes with lashes, hatching, rows of windows, speed
lines.  Every picture here is a *drawing* (line art that moves a little from variant to variant,
as animation does) with, for positives, a *text layer* laid over it that never moves: a subtitle
stays put while the drawing under it changes.

Coordinates are in units of a 1080-high reference frame and scale with the height, so every
resolution shows the same scene.  Same arguments, same pixels: randomness comes only from seeded
generators.  Needs Pillow (a test dependency; ComfyUI ships it) and two Debian font packages.
"""

import math
import os
import random
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterator, List, Optional, Sequence, Tuple

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from ..errors import Anim2LoRAError
from .clip import BLUE, PINK, Shot, render_shot_frame
from .encode import encode_clip

FONTS = {
    "sans": "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "sans_bold": "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    "ja": "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",      # face 0 of the collection: JP
    "ja_bold": "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
}
FONT_PACKAGES = "apt-get install fonts-dejavu-core fonts-noto-cjk"

POSITIVE = ("en_sub", "ja_sub", "ja_vert", "title", "sign")
NEGATIVE = ("demo", "face", "hatch", "facade", "speed")

REF = 1080.0            # the reference height all coordinates are written for
SUPERSAMPLE = 2         # line art is drawn this much larger and shrunk: PIL's wide lines are jagged
STEP = 9.0              # reference pixels a drawing drifts per variant (0.8 % of the height):
                        # enough new ink for the extractor to call it a new drawing, little enough
                        # that its lines stay near their old places, so it is not taken for a cut
WHITE, BLACK, INK = (255, 255, 255), (0, 0, 0), (20, 20, 20)
RGB = Tuple[int, int, int]


@lru_cache(maxsize=None)
def font(name: str, size: int) -> ImageFont.FreeTypeFont:
    """A font from FONTS at ``size`` pixels, or an error that says which package brings it."""
    path = FONTS[name]
    if not os.path.exists(path):
        raise Anim2LoRAError(f"Font file {path} is missing.", hint=f"Install the fonts: {FONT_PACKAGES}")
    return ImageFont.truetype(path, size, index=0)


# ---------------------------------------------------------------- line art
class _Canvas:
    """A white page in reference units, drawn supersampled, shifted by ``offset`` (the variant's
    drift) so that one seed draws the same picture a little further along each variant."""

    def __init__(self, width: int, height: int, offset=(0.0, 0.0), bg: RGB = WHITE):
        self.size = (width, height)
        self.scale = SUPERSAMPLE * height / REF
        self.w = width * REF / height            # the frame's width in reference units
        self.offset = offset
        self.im = Image.new("RGB", (width * SUPERSAMPLE, height * SUPERSAMPLE), bg)
        self.draw = ImageDraw.Draw(self.im)

    def _xy(self, pts):
        dx, dy = self.offset
        return [((x + dx) * self.scale, (y + dy) * self.scale) for x, y in pts]

    def _width(self, w):
        return max(1, round(w * self.scale))

    def line(self, pts, w=3.0):
        self.draw.line(self._xy(pts), fill=INK, width=self._width(w), joint="curve")

    def shape(self, kind, box, w=3.0, fill=None, **angles):
        """``kind`` is ellipse, rectangle or arc; ``box`` is [x0, y0, x1, y1] in reference units."""
        xy = [c for p in self._xy([box[:2], box[2:]]) for c in p]
        if kind == "arc":
            self.draw.arc(xy, fill=INK, width=self._width(w), **angles)
        else:
            getattr(self.draw, kind)(xy, outline=INK, fill=fill, width=self._width(w))

    def done(self) -> np.ndarray:
        return np.asarray(self.im.reduce(SUPERSAMPLE))


def _drift(variant: int, dx: float, dy: float):
    return (variant * STEP * dx, variant * STEP * dy)


def draw_face(seed: int, width: int, height: int, variant: int = 0) -> np.ndarray:
    """A close-up face: big eyes with lashes, pupils, highlights and iris hatching, the strokes a
    detector most often reads as letters.  Variants bob the head; every third one blinks."""
    r = random.Random(seed)
    c = _Canvas(width, height, _drift(variant, 1.0, 0.5))
    cx, cy = c.w / 2 + r.uniform(-200, 200), REF / 2 + r.uniform(-40, 80)
    fw, fh = r.uniform(650, 850), r.uniform(800, 1000)
    jaw = [math.pi * (0.05 + 0.9 * k / 59) for k in range(60)]
    c.line([(cx + fw / 2 * math.cos(a), cy + fh / 2 * math.sin(a) * (1 - 0.25 * (1 - math.sin(a)))) for a in jaw], 5)
    for side in (-1, 1):
        _eye(c, r, side, cx + side * fw * r.uniform(0.2, 0.26), cy + r.uniform(-40, 20), blink=variant % 3 == 2)
    c.line([(cx, cy + 120), (cx - 10, cy + 160), (cx + 5, cy + 165)], 4)              # nose
    c.shape("arc", [cx - 70, cy + 180, cx + 70, cy + 260], 5, start=20, end=160)       # mouth
    for k in range(r.randint(10, 16)):                                                   # hair strands
        x0, pitch, w = cx + r.uniform(-fw * 0.7, fw * 0.7), r.uniform(25, 38), r.choice([3, 4, 6])
        c.line([(x0 + 30 * math.sin(t / 3.0 + k) + r.uniform(-4, 4), -10 + t * pitch) for t in range(12)], w)
    return c.done()


def _eye(c: _Canvas, r: random.Random, side: int, ex: float, ey: float, blink: bool) -> None:
    """One eye.  The random draws do not depend on ``blink``, so a blink changes nothing else."""
    ew, eh = r.uniform(150, 200), r.uniform(170, 230)
    lashes = [math.radians((200 + k * 25 if side < 0 else 340 - k * 25) + r.uniform(-5, 5))
              for k in range(r.randint(3, 6))]
    lid_y = ey + eh * 0.2 if blink else ey                 # a closed lid sits lower, lashes follow
    c.shape("arc", [ex - ew / 2 - 15, lid_y - eh / 2 - 10, ex + ew / 2 + 15, lid_y + eh / 2 + 30], 12,
            start=20 if blink else 200, end=160 if blink else 340)
    for a in lashes:
        x0, y0 = ex + (ew / 2 + 15) * math.cos(a), lid_y + 10 + (eh / 2 + 20) * math.sin(a)
        c.line([(x0, y0), (x0 + side * 40 * abs(math.cos(a)) - side * 10, y0 - 35)], 6)
    if not blink:                                         # iris, pupil, iris hatching, highlights
        c.shape("ellipse", [ex - ew * 0.4, ey - eh * 0.42, ex + ew * 0.4, ey + eh * 0.45], 5)
        c.shape("ellipse", [ex - ew * 0.18, ey - eh * 0.15, ex + ew * 0.18, ey + eh * 0.25], 4, fill=INK)
        for k in range(6):
            c.line([(ex - ew * 0.3, ey + eh * (0.05 + 0.05 * k)), (ex + ew * 0.3, ey + eh * (0.05 + 0.05 * k))], 2)
        c.shape("ellipse", [ex - ew * 0.25, ey - eh * 0.3, ex - ew * 0.05, ey - eh * 0.1], 3, fill=WHITE)
        c.shape("ellipse", [ex + ew * 0.1, ey + eh * 0.15, ex + ew * 0.2, ey + eh * 0.25], 2, fill=WHITE)
        c.shape("arc", [ex - ew / 2, ey - eh / 2, ex + ew / 2, ey + eh / 2 + 20], 4, start=60, end=120)
    c.shape("arc", [ex - ew / 2 - 10, ey - eh - 40, ex + ew / 2 + 10, ey - eh / 2 + 60], 6, start=210, end=330)


def draw_hatch(seed: int, width: int, height: int, variant: int = 0) -> np.ndarray:
    """Patches of parallel and cross-hatched shading: rows of short, evenly spaced strokes.
    Variants move the shaded forms, as shading moves with what it shades."""
    r = random.Random(seed)
    c = _Canvas(width, height, _drift(variant, 0.8, -0.6))
    for _ in range(r.randint(5, 8)):
        x0, y0 = r.uniform(0, c.w - 400), r.uniform(0, REF - 300)
        box = (x0, y0, x0 + r.uniform(150, 450), y0 + r.uniform(100, 350))
        spacing, w = r.uniform(6, 16), r.choice([1, 2, 2, 3])
        for angle in r.sample([20, 45, 70, 110, 135, 160], r.randint(1, 3)):
            _hatch_patch(c, r, box, math.radians(angle), spacing, w)
    return c.done()


def _hatch_patch(c: _Canvas, r: random.Random, box, angle: float, spacing: float, w: float) -> None:
    dx, dy = math.cos(angle), math.sin(angle)
    mx, my = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    n = int((box[2] - box[0] + box[3] - box[1]) / spacing)
    for k in range(-n, n):
        px, py = mx - dy * k * spacing, my + dx * k * spacing
        span = _clip_line(px, py, dx, dy, box)
        if span is None:
            continue
        trim = r.uniform(0, 0.15) * (span[1] - span[0])   # hand-drawn strokes stop short of the edge
        t0, t1 = span[0] + trim, span[1] - trim
        if t1 > t0:
            c.line([(px + dx * t0, py + dy * t0), (px + dx * t1, py + dy * t1)], w)


def _clip_line(px, py, dx, dy, box) -> Optional[Tuple[float, float]]:
    """The stretch (t0, t1) of the line p + t·d inside ``box``, or None (Liang-Barsky)."""
    t0, t1 = -math.inf, math.inf
    for p, d, lo, hi in ((px, dx, box[0], box[2]), (py, dy, box[1], box[3])):
        if abs(d) < 1e-9:
            if not lo <= p <= hi:
                return None
            continue
        a, b = (lo - p) / d, (hi - p) / d
        t0, t1 = max(t0, min(a, b)), min(t1, max(a, b))
    return (t0, t1) if t1 > t0 else None


def draw_facade(seed: int, width: int, height: int, variant: int = 0) -> np.ndarray:
    """A street of buildings with grids of windows: rows of small boxes, like rows of letters.
    Variants pan the camera."""
    r = random.Random(seed)
    c = _Canvas(width, height, _drift(variant, -1.0, 0.3))
    margin = STEP * 12                      # drawn beyond the frame, so a pan never shows paper
    ground = REF - r.uniform(60, 160)
    c.line([(-margin, ground), (c.w + margin, ground)], 4)
    x = r.uniform(-100, 50) - margin
    while x < c.w + margin:
        bw, top = r.uniform(300, 600), r.uniform(250, 550)
        c.shape("rectangle", [x, top, x + bw, ground], 4)
        _windows(c, r, x, top, bw, ground)
        x += bw + r.uniform(0, 40)
    return c.done()


def _windows(c: _Canvas, r: random.Random, x: float, top: float, bw: float, ground: float) -> None:
    ww, wh = r.uniform(22, 44), r.uniform(26, 50)
    gx, gy = r.uniform(18, 36), r.uniform(22, 40)
    cols, rows = int((bw - 40) // (ww + gx)), int((ground - top - 80) // (wh + gy))
    ox = x + (bw - cols * (ww + gx) + gx) / 2
    style = r.randint(0, 2)                 # plain panes, or split down or across the middle
    for i in range(rows):
        for j in range(cols):
            wx, wy = ox + j * (ww + gx), top + 30 + i * (wh + gy)
            c.shape("rectangle", [wx, wy, wx + ww, wy + wh], 2 if style else 3)
            if style == 1:
                c.line([(wx + ww / 2, wy), (wx + ww / 2, wy + wh)], 1)
            elif style == 2:
                c.line([(wx, wy + wh / 2), (wx + ww, wy + wh / 2)], 1)


def draw_speed(seed: int, width: int, height: int, variant: int = 0) -> np.ndarray:
    """Speed lines: horizontal streaks (even seeds) or radial focus lines (odd seeds).
    Variants shake the camera."""
    r = random.Random(seed)
    c = _Canvas(width, height, _drift(variant, 0.4, 1.0))
    if seed % 2 == 0:
        for _ in range(r.randint(80, 160)):
            y, x0, length = r.uniform(-STEP * 12, REF), r.uniform(-200, c.w), r.uniform(150, 900)
            c.line([(x0, y), (x0 + length, y + r.uniform(-3, 3))], r.choice([1, 1, 2, 3]))
        return c.done()
    cx, cy = c.w / 2 + r.uniform(-200, 200), REF / 2 + r.uniform(-100, 100)
    for _ in range(r.randint(70, 130)):
        a, r0 = r.uniform(0, 2 * math.pi), r.uniform(300, 600)
        c.line([(cx + r0 * math.cos(a), cy + r0 * math.sin(a)), (cx + 1500 * math.cos(a), cy + 1500 * math.sin(a))],
               r.choice([1, 2, 3]))
    return c.done()


# the demo clip's characters, without its subtitles; variants step through their walk
_DEMO_SHOTS = (
    Shot("a_walk", ("A",), 0, 2),
    Shot("both", ("A", "B"), 0, 2),
    Shot("b_pink", ("B",), 0, 3, bg=PINK),
    Shot("both_blue", ("A", "B"), 0, 3, bg=BLUE),
    Shot("b_run", ("B",), 0, 2, speed=0.01),
)


def draw_demo(seed: int, width: int, height: int, variant: int = 0) -> np.ndarray:
    """The demo clip's characters A and B: a frame of one of its shots, ``variant`` drawings in."""
    shot = _DEMO_SHOTS[seed % len(_DEMO_SHOTS)]
    return render_shot_frame(shot, variant * shot.hold, width, height, variant=seed // len(_DEMO_SHOTS))


NEGATIVE_DRAW = {"demo": draw_demo, "face": draw_face, "hatch": draw_hatch, "facade": draw_facade,
                 "speed": draw_speed}


# ---------------------------------------------------------------- text
EN = ("Where are you going?", "I told you, it's not my fault!", "We'll meet again at the station.",
      "Hurry up, the train is leaving!", "Thank you for everything.")
JA = ("どこへ行くの？", "待って！まだ話は終わってない", "明日、駅で会いましょう。",
      "ありがとう、本当に助かったよ", "東京タワーが見える")
VERTICAL = ("夏の終わり", "いってきます", "第三話", "さよなら", "桜が咲いた日")
TITLES = (("EPISODE 12", "sans_bold"), ("第1話 はじまりの朝", "ja_bold"), ("The Last Summer", "sans_bold"),
          ("つづく", "ja_bold"), ("To Be Continued", "sans_bold"))
SIGNS = (("CAFE", "sans_bold"), ("駅前商店街", "ja"), ("OPEN", "sans_bold"), ("本屋", "ja"),
         ("NO PARKING", "sans"))

# per kind: lines, font, sizes, baselines (reference units; a baseline above the middle means a
# subtitle in the top band, hung from its top)
_SUBTITLES = {
    "en_sub": (EN, "sans", (46, 50, 54, 48, 56), (1010, 990, 1020, 70, 970)),
    "ja_sub": (JA, "ja", (50, 54, 46, 52, 58), (1010, 980, 1015, 1000, 60)),
}
_SCENERY = ("demo", "face", "facade", "demo", "hatch")       # what subtitles are laid over, in turn
_SIGN_SCENERY = ("facade", "demo", "facade", "demo", "hatch")
_SIGN_PLACES = {"facade": ((0.35, 0.65), (0.45, 0.6)), "demo": ((0.8, 0.9), (0.15, 0.3)),   # x, y ranges
                "hatch": ((0.35, 0.65), (0.35, 0.6))}
_PLATES = ((255, 255, 255), (255, 240, 170), (230, 230, 230), (255, 255, 255), (200, 230, 255))


@dataclass(frozen=True)
class _Text:
    """One piece of text, laid out in pixels."""

    text: str
    font: ImageFont.FreeTypeFont
    xy: Tuple[float, float]
    anchor: str
    fill: RGB
    stroke: RGB = BLACK
    stroke_width: int = 0
    vertical: bool = False               # one character under the other, hung from ``xy``

    def runs(self):
        """(position, string) pairs to draw: the whole line, or each character of a column."""
        if not self.vertical:
            return [(self.xy, self.text)]
        step = self.font.size * 1.08
        return [((self.xy[0], self.xy[1] + i * step), ch) for i, ch in enumerate(self.text)]

    def bbox(self, draw: ImageDraw.ImageDraw):
        boxes = [draw.textbbox(xy, s, font=self.font, anchor=self.anchor, stroke_width=self.stroke_width)
                 for xy, s in self.runs()]
        return [min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes)]


def _px(ref: float, height: int) -> int:
    """Reference pixels to whole pixels at ``height``, never less than one."""
    return max(1, round(ref * height / REF))


def _subtitle_layout(kind: str, k: int, width: int, height: int, r: random.Random) -> _Text:
    """White outlined text, centred (give or take a little) in the bottom or top band."""
    lines, face, sizes, baselines = _SUBTITLES[kind]
    u, y = height / REF, baselines[k % 5]
    return _Text(lines[k % 5], font(face, _px(sizes[k % 5], height)), (width / 2 + r.uniform(-40, 40) * u, y * u),
                 "mt" if y < REF / 2 else "ms", WHITE, BLACK, _px(3, height))


def _vertical_layout(kind: str, k: int, width: int, height: int, r: random.Random) -> _Text:
    """A column of Japanese at the right edge: white outlined on even k, plain black on odd k."""
    u, outlined = height / REF, k % 2 == 0
    x = width - (60, 80, 50, 100, 70)[k % 5] * u
    return _Text(VERTICAL[k % 5], font("ja", _px((48, 52, 44, 56, 50)[k % 5], height)),
                 (x, (120, 200, 90, 160, 240)[k % 5] * u), "mt", WHITE if outlined else BLACK, BLACK,
                 _px(3, height) if outlined else 0, vertical=True)


def _title_layout(kind: str, k: int, width: int, height: int, r: random.Random) -> _Text:
    """A title card: big white text on black, centred or off to one side."""
    text, face = TITLES[k % 5]
    fx, fy = ((0.5, 0.5), (0.5, 0.5), (0.45, 0.7), (0.8, 0.85), (0.5, 0.4))[k % 5]
    return _Text(text, font(face, _px((120, 110, 140, 150, 100)[k % 5], height)),
                 (fx * width, fy * height), "mm", WHITE)


def _sign_layout(kind: str, k: int, width: int, height: int, r: random.Random) -> _Text:
    """A small sign in the scene: dark letters on a board (the board belongs to the drawing),
    on a building front, or on the wall behind the characters, clear of their heads."""
    text, face = SIGNS[k % 5]
    (x0, x1), (y0, y1) = _SIGN_PLACES[_SIGN_SCENERY[k % 5]]
    return _Text(text, font(face, _px((32, 30, 28, 34, 30)[k % 5], height)),
                 (width * r.uniform(x0, x1), height * r.uniform(y0, y1)), "mm", INK)


_LAYOUTS = {"en_sub": _subtitle_layout, "ja_sub": _subtitle_layout, "ja_vert": _vertical_layout,
            "title": _title_layout, "sign": _sign_layout}


def layout(kind: str, k: int, width: int, height: int) -> _Text:
    """Where and how scene ``kind``/``k`` shows its text; the same for every variant."""
    return _LAYOUTS[kind](kind, k, width, height, random.Random(f"{kind}:{k}"))


def text_layer(kind: str, k: int, width: int, height: int) -> Tuple[np.ndarray, List[List[int]], str]:
    """The text of a positive scene as straight-alpha RGBA, with its truth boxes and string.

    Outline and fill are drawn as coverage masks and combined the way PIL draws stroked text
    (outline first, fill over it).  Where alpha is 255 the picture shows the layer whatever the
    drawing below, which is what keeps a subtitle pixel-identical while the drawing moves.
    """
    t = layout(kind, k, width, height)
    outline, fill = Image.new("L", (width, height)), Image.new("L", (width, height))
    for mask, stroke in ((outline, t.stroke_width), (fill, 0)):
        d = ImageDraw.Draw(mask)
        for xy, s in t.runs():
            d.text(xy, s, font=t.font, fill=255, anchor=t.anchor, stroke_width=stroke, stroke_fill=255)
    rgba = np.zeros((height, width, 4), np.uint8)
    box = outline.getbbox()                  # the ink itself: the tightest honest box
    if box is None:
        return rgba, [], t.text
    o = np.asarray(outline.crop(box), np.float32)[..., None] / 255
    f = np.asarray(fill.crop(box), np.float32)[..., None] / 255
    alpha = 1 - (1 - o) * (1 - f)
    premultiplied = np.float32(t.stroke) * o * (1 - f) + np.float32(t.fill) * f
    rgb = premultiplied / np.maximum(alpha, 1e-6)
    x0, y0, x1, y1 = box
    rgba[y0:y1, x0:x1] = np.concatenate([rgb, alpha * 255], axis=2).round().clip(0, 255)
    return rgba, [list(box)], t.text


def _composite(picture: np.ndarray, rgba: np.ndarray, boxes) -> np.ndarray:
    """``rgba`` over ``picture`` (only its ``boxes`` hold ink): fully covered pixels take the
    layer's colour exactly."""
    out = picture.copy()
    for x0, y0, x1, y1 in boxes:
        alpha = rgba[y0:y1, x0:x1, 3:].astype(np.float32) / 255
        mix = rgba[y0:y1, x0:x1, :3] * alpha + out[y0:y1, x0:x1] * (1 - alpha)
        out[y0:y1, x0:x1] = mix.round().astype(np.uint8)
    return out


# ---------------------------------------------------------------- scenes
def drawing(kind: str, k: int, width: int, height: int, variant: int = 0) -> np.ndarray:
    """Scene ``kind``/``k`` without its text: what lies under a subtitle (or a black title card,
    or a street with a blank signboard).  For negatives this is the whole scene."""
    if kind in NEGATIVE_DRAW:
        return NEGATIVE_DRAW[kind](k, width, height, variant)
    if kind == "title":
        return np.zeros((height, width, 3), np.uint8)      # a still: no variant changes it
    if kind == "sign":
        img = Image.fromarray(NEGATIVE_DRAW[_SIGN_SCENERY[k % 5]](400 + k, width, height, variant))
        _signboard(img, kind, k)
        return np.asarray(img)
    if kind in POSITIVE:
        j = (k + POSITIVE.index(kind)) % len(_SCENERY)
        return NEGATIVE_DRAW[_SCENERY[j]](100 * (j + 1) + k, width, height, variant)
    raise ValueError(f"unknown scene kind {kind!r}; expected one of {POSITIVE + NEGATIVE}")


def _signboard(img: Image.Image, kind: str, k: int) -> None:
    """The board behind a sign's letters, fixed in place like the letters."""
    d = ImageDraw.Draw(img)
    x0, y0, x1, y1 = layout(kind, k, img.width, img.height).bbox(d)
    pad = _px(14, img.height)
    d.rectangle([x0 - pad, y0 - pad, x1 + pad, y1 + pad], fill=_PLATES[k % 5], outline=INK, width=_px(4, img.height))


def truth(kind: str, boxes=(), text: str = "") -> dict:
    """A picture's truth; boxes are [x0, y0, x1, y1] in pixels, x1 and y1 exclusive."""
    return {"kind": kind, "positive": bool(boxes), "boxes": [list(b) for b in boxes], "text": text}


def scene(kind: str, k: int, width: int, height: int, variant: int = 0) -> Tuple[np.ndarray, dict]:
    """Scene ``kind``/``k`` as RGB uint8 and its truth.  ``variant`` redraws the drawing a little
    further along (a drift of STEP per variant, a blink); a positive's text stays where it is."""
    picture = drawing(kind, k, width, height, variant)
    if kind in NEGATIVE:
        return picture, truth(kind)
    rgba, boxes, text = text_layer(kind, k, width, height)
    return _composite(picture, rgba, boxes), truth(kind, boxes, text)


# ---------------------------------------------------------------- the labelled clip
@dataclass(frozen=True)
class TextShot:
    """One shot of the text clip: scene ``kind``/``k`` over several drawings."""

    kind: str
    k: int
    drawings: int               # distinct drawings: variants 0 .. drawings-1
    hold: int = 2               # frames each drawing is held: 2 = "on twos"
    text_from: int = 0          # first drawing that shows the text: > 0 = it appears mid-shot


TEXT_STORYBOARD = (
    TextShot("demo", 1, 7),
    TextShot("en_sub", 1, 8, text_from=3),      # over a face; the subtitle comes in mid-shot
    TextShot("facade", 0, 6, 3),
    TextShot("ja_sub", 2, 7),
    TextShot("hatch", 0, 6),
    TextShot("title", 0, 1, 16),                # a title card is a still
    TextShot("face", 0, 7),
    TextShot("sign", 0, 7),
    TextShot("speed", 0, 6),
    TextShot("ja_vert", 1, 6, 3),
    TextShot("demo", 2, 7, 3),
    TextShot("ja_sub", 0, 8, text_from=4),
    TextShot("facade", 2, 6, 3),
    TextShot("en_sub", 3, 7),
    TextShot("speed", 1, 6),
    TextShot("face", 1, 7),
    TextShot("sign", 1, 6, 3),
    TextShot("hatch", 1, 6, 3),
    TextShot("demo", 3, 6),
    TextShot("title", 1, 1, 14),
)


def text_clip_frames(width: int = 960, height: int = 540,
                     storyboard: Sequence[TextShot] = TEXT_STORYBOARD) -> Iterator[Tuple[np.ndarray, dict]]:
    """Yield ``(rgb, truth row)`` for every frame: each shot holds distinct drawings for ``hold``
    frames each, and shots meet at hard cuts."""
    index = 0
    for shot_no, shot in enumerate(storyboard):
        layer = text_layer(shot.kind, shot.k, width, height) if shot.kind in POSITIVE else None
        for v in range(shot.drawings):
            picture = drawing(shot.kind, shot.k, width, height, v)
            boxes, text = (), ""
            if layer is not None and v >= shot.text_from:
                picture, boxes, text = _composite(picture, layer[0], layer[1]), layer[1], layer[2]
            for h in range(shot.hold):
                row = {"index": index, "shot": shot_no, "k": shot.k, **truth(shot.kind, boxes, text),
                       "drawing": f"{shot_no}:{v}", "held": h > 0}
                yield picture, row
                index += 1


def write_text_clip(path: os.PathLike, width: int = 960, height: int = 540, fps: int = 24) -> List[dict]:
    """Encode the text clip to ``path`` (H.264, CRF 18) and write ``<path>.truth.json``."""
    return encode_clip(path, text_clip_frames(width, height), width, height, fps)
