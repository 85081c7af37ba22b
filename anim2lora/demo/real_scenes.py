"""A realistic development set with truth: anime characters in close-ups, busts, medium, cowboy
and full shots, over-the-shoulder shot/reverse-shot, extras and a stranger, burned-in text, on
paper, gradient, dark, painted and rendered backgrounds under changing light, with camera pans;
in colour and as line art; in two halves drawn from disjoint seeds.

    real_set("tune" | "holdout")        the storyboard of one half: a list of Shot
    frame(shot, step, style, W, H)      one drawing and its truth
    write_real_clip(path, half, style)  the half as a clip, on twos, and <path>.truth.json
    write_real_set(out, half, style)    the clip and the reference stills as PNG files
    reference_stills(name, style)       several stills per character, as a user gives them
    grade(truth_path, frames, counted, split)   accuracy overall and per framing, background
                                        kind and shot kind, false A+B and the misses

Tune detection on the ``tune`` half only and report on ``holdout``: the halves share the
characters and the kinds of shot, never a seed, so never a plate or a pose.

Truth, per frame: the shot, its kind, style, background kind, light (and ``dimmed``, its gain
against the shot's own as a lamp flickers), camera (``pan`` or a slow ``drift``), whether a
table stands in front, the boxes of burned-in text (a subtitle's letters, a sign's board), and
per person its name (A, B, C the stranger, X an extra), role (``character``: a head with a
visible face, counted; ``fragment``: part of a body without its own visible face, such as the
back of the near figure in an over-the-shoulder shot or a shoulder and arm at the frame edge;
``extra``: a small figure far behind), framing, head box (hair and face above the chin, None for
a fragment; a close-up's may be cut at the top, as real close-ups cut the hair), face box (skin
and eyes, always whole for a character), body box (every pixel of it in view, after whatever
stands in front), face pixels in view and the share of its head in view.  The expected group
is A, B or A+B, or None with a reason: ``empty``, ``fragment-only``, ``stranger`` (a face that
is neither A nor B), ``overlap`` (two bodies fused).  ``frame`` checks these promises on the
pixels and raises on a broken one.

Framing: ``shot`` is one of close-up (head and shoulders, cut at the chest), bust (cut under the
chest), medium (waist up), cowboy (thighs up) and full; ``framing`` is the coarse class the
issue reports on: close-up for close-ups, medium for bust, medium and cowboy, full for full.
"""

import math
import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Iterator, List, Optional, Sequence, Tuple

import numpy as np

from .anime import ARM_WOBBLE, FEET, LOOKS, Layer, Pen, Pose, draw, light as lightened, over, reach
from .characters import ink_box
from .encode import encode_clip
from .grading import grade_frames, overlap_share, separated
from .plates import KINDS as BACKGROUNDS, LIGHTS, Light, line_art, lit, plate

HALVES = ("tune", "holdout")
STYLES = ("colour", "line")
SHOT_KINDS = ("solo_a", "solo_b", "both", "over_shoulder", "extra", "stranger", "overlap", "fragment", "text",
              "pan", "empty")
SHOTS = ("close-up", "bust", "medium", "cowboy", "full")
FRAMING = {"close-up": "close-up", "bust": "medium", "medium": "medium", "cowboy": "medium", "full": "full"}
FRAMINGS = ("close-up", "medium", "full")
# (low, high) of where the frame's bottom edge cuts the body, in head units below the head's centre
CUT = {"close-up": (1.0, 1.4), "bust": (1.9, 2.4), "medium": (2.8, 3.3), "cowboy": (4.3, 4.9)}
DRAWINGS = 4          # drawings per shot
HOLD = 2              # frames per drawing: on twos
PAN = 1.6             # a panning shot's plate width against the frame's
CROWN = 0.75          # head units from the head's centre to the top of the hair (spikes, a tilt)
MIN_GAP = 0.03        # of the frame width, between side-by-side characters' bodies
WORDS = ("I told you already.", "Wait for me!", "Where were you?", "Is this the place?", "Let's go home.",
         "It's late...", "Thank you.", "No way!")
TABLE_KINDS = ("solo_a", "solo_b", "both", "over_shoulder", "text", "extra")
TABLE_SHOTS = ("bust", "medium", "cowboy")
SIGNS = ("CAFE", "EXIT", "CLASS 2-B", "OPEN", "LIBRARY", "STATION")


@dataclass(frozen=True)
class Cast:
    """One person of a shot, placed in the plate's coordinates (units of the frame height):
    ``x`` its axis, ``y`` its head's centre, ``unit`` the size of a head."""

    name: str
    role: str                      # character, fragment, extra
    shot: Optional[str]            # framing for characters and extras
    x: float
    y: float
    unit: float
    pose: Pose
    flip: bool
    walk: float = 0.0              # x change per drawing


@dataclass(frozen=True)
class Shot:
    half: str
    number: int
    kind: str
    background: str
    light: Light
    cast: Tuple[Cast, ...]
    plate_seed: Tuple[int, ...]
    plate_width: float             # units of the frame height
    pan: float                     # camera x change per drawing, units of the frame height
    camera: float                  # camera x at the first drawing
    dim: Tuple[float, ...] = ()    # light changes within the shot: a gain per drawing
    subtitle: Optional[str] = None
    sign: Optional[Tuple[str, float, float]] = None        # text, x, y (plate units)
    group: Optional[str] = None
    reason: Optional[str] = None
    table: Optional[float] = None  # a table in front of the characters: its top edge, frame heights


# ---------------------------------------------------------------- the storyboard
def real_set(half: str) -> List[Shot]:
    """The shots of one half, in clip order: four rounds of every shot kind (over-the-shoulder
    shots as shot/reverse-shot pairs, empty plates in two rounds only), with background kinds
    and framings cycling across them, so each half holds every framing, background kind and
    shot kind.  The halves lay out the same kinds in the same order from disjoint seeds."""
    if half not in HALVES:
        raise ValueError(f"unknown half {half!r}; expected one of {HALVES}")
    return list(_storyboard(half))


@lru_cache(maxsize=2)
def _storyboard(half: str) -> Tuple[Shot, ...]:
    h = HALVES.index(half)
    shots = []
    order = [k for k in SHOT_KINDS if k != "over_shoulder"]
    for rnd in range(4):
        for i, kind in enumerate(order):
            if kind == "empty" and rnd % 2:
                continue
            kinds = ("over_shoulder", "over_shoulder") if kind == "both" else ()
            for k in (kind,) + kinds:
                n = len(shots)
                rng = np.random.default_rng([101 + h, n])
                bg = BACKGROUNDS[(i + rnd * 2 + (k == "over_shoulder") * (n % 3)) % len(BACKGROUNDS)]
                framing = SHOTS[(i + 3 * rnd + n) % len(SHOTS)]
                nth = sum(s.kind == k for s in shots)
                shots.append(_SOLVE[k](_Draft(half, h, n, k, bg, framing, rng, nth)))
    return tuple(shots)


@dataclass
class _Draft:
    half: str
    h: int
    number: int
    kind: str
    background: str
    framing: str
    rng: np.random.Generator
    nth: int = 0                   # how many shots of this kind came before in the half
    cast: List[Cast] = field(default_factory=list)
    wide: float = 16 / 9

    def pose(self, look_at: float = 0.0, spread: float = 0.45) -> Pose:
        r = self.rng
        turn = float(np.clip(look_at + r.uniform(-spread, spread), -0.8, 0.8))
        return Pose(turn=turn, tilt=float(r.uniform(-0.12, 0.12)), mouth=int(r.integers(2)),
                    arms=(float(r.uniform(0.03, 0.3)), float(r.uniform(0.03, 0.3))))

    def size(self, shot: str) -> Tuple[float, float]:
        """(unit, head centre y) of a figure framed ``shot``, in frame heights."""
        r = self.rng
        if shot == "full":
            feet = r.uniform(0.88, 0.97)
            unit = r.uniform(0.1, (feet - 0.03) / (FEET + CROWN))
            return unit, feet - FEET * unit
        # close-ups often lose the top of the hair to the frame edge; the face stays whole
        top = r.uniform(-0.1, 0.05) if shot == "close-up" else r.uniform(0.02, 0.1)
        cut = r.uniform(*CUT[shot])
        unit = (1 - top) / (cut + CROWN)
        return unit, top + CROWN * unit

    def person(self, name: str, x: float, shot: Optional[str] = None, role: str = "character",
               look_at: float = 0.0, **kw) -> Cast:
        shot = shot or self.framing
        unit, y = self.size(shot)
        c = Cast(name, role, shot, x, y, unit, self.pose(look_at), bool(self.rng.integers(2)), **kw)
        self.cast.append(c)
        return c

    def shot(self, group: Optional[str], reason: Optional[str] = None, *, pan: float = 0.0,
             plate_width: Optional[float] = None, subtitle: Optional[str] = None, sign=None) -> Shot:
        r = self.rng
        lights = LIGHTS[self.background]
        light = lights[int(r.integers(len(lights)))]
        dim = ()
        if self.background in ("dark", "painted") and r.integers(2):      # a lamp flickers, a cloud passes
            dim = tuple(float(v) for v in r.uniform(0.8, 1.15, DRAWINGS))
        drift = pan or float(r.uniform(0.01, 0.02)) * float(r.choice([-1, 1]))
        width = plate_width or self.wide + DRAWINGS * 0.02 + 0.05
        camera = (width - self.wide) / 2 - drift * (DRAWINGS - 1) / 2
        # a dinner table across the bottom of the frame hides the seated characters' waists
        seated = [c for c in self.cast if c.role == "character" and c.shot in TABLE_SHOTS]
        table = float(r.uniform(0.74, 0.86)) if self.kind in TABLE_KINDS and seated and r.random() < 0.4 else None
        return Shot(self.half, self.number, self.kind, self.background, light, tuple(self.cast),
                    (202 + self.h, self.number), width, drift, camera, dim, subtitle, sign, group, reason, table)

    def centre(self) -> float:
        """Where the frame's centre is at mid-shot, in plate units (the camera drifts about it)."""
        return self.wide / 2 + (DRAWINGS * 0.02 + 0.05) / 2


def _names(*cast: Cast) -> str:
    return "+".join(sorted(c.name for c in cast))


def _solo(d: _Draft, name: str) -> Shot:
    r = d.rng
    c = d.person(name, d.centre() + r.uniform(-0.35, 0.35) * d.wide / 2, look_at=r.uniform(-0.3, 0.3))
    return d.shot(c.name)


def _side_by_side(d: _Draft, names: Sequence[str], shot: Optional[str] = None) -> List[Cast]:
    """Two people apart: each kept to its own side of a gap wider than both reaches."""
    r = d.rng
    shot = shot or (d.framing if d.framing != "close-up" else "bust")
    left, right = list(names) if r.integers(2) else list(names)[::-1]
    sizes = [d.size(shot) for _ in range(2)]
    poses = [d.pose(0.4, 0.3), d.pose(-0.4, 0.3)]
    gap = max(MIN_GAP * d.wide + 0.02, r.uniform(0.04, 0.25))
    wide = sum(2 * u * reach(p) for (u, _), p in zip(sizes, poses))
    if wide + gap > d.wide - 0.12:      # too big for two: step back, keeping the top margin
        k = (d.wide - 0.12 - gap) / wide
        sizes = [(u * k, y - CROWN * u * (1 - k)) for u, y in sizes]
    reaches = [u * reach(p) for (u, _), p in zip(sizes, poses)]
    span = 2 * reaches[0] + 2 * reaches[1] + gap
    x0 = d.centre() - span / 2 + r.uniform(-0.1, 0.1) * max(0.0, d.wide - span - 0.1)
    out = []
    for name, (unit, y), x, pose in ((left, sizes[0], x0 + reaches[0], poses[0]),
                                     (right, sizes[1], x0 + span - reaches[1], poses[1])):
        c = Cast(name, "character", _framed(unit, y), x, y, unit, pose, False)
        d.cast.append(c)
        out.append(c)
    return out


def _framed(unit: float, y: float) -> str:
    """The framing a figure of ``unit`` with its head at ``y`` shows: where the bottom edge cuts."""
    if y + FEET * unit <= 1:
        return "full"
    cut = (1 - y) / unit
    return min(CUT, key=lambda s: 0 if CUT[s][0] <= cut <= CUT[s][1] else min(abs(cut - v) for v in CUT[s]))


def _both(d: _Draft) -> Shot:
    _side_by_side(d, ("A", "B"))
    return d.shot("A+B")


def _over_shoulder(d: _Draft) -> Shot:
    """Shot/reverse-shot: the near one seen from behind, big and cut by a side and the bottom
    edge (a fragment, no face), the far one facing it across the frame.  Consecutive
    over-the-shoulder shots alternate who is near."""
    r = d.rng
    near_name = "A" if d.number % 2 else "B"
    far_name = "B" if near_name == "A" else "A"
    near_left = bool(r.integers(2))
    far_shot = ("close-up", "bust", "medium")[d.number % 3]
    unit, y = d.size(far_shot)
    lo = d.centre() - d.wide / 2
    far_x = lo + d.wide * (r.uniform(0.6, 0.72) if near_left else r.uniform(0.28, 0.4))
    d.cast.append(Cast(far_name, "character", far_shot, far_x, y, unit, d.pose(-0.4 if near_left else 0.4, 0.25), False))
    near_unit = r.uniform(0.55, 0.8)
    near_x = lo + (r.uniform(-0.1, 0.12) * d.wide if near_left else d.wide * r.uniform(0.88, 1.1))
    # the near head's far edge must stay clear of the far one's head
    limit = far_x - unit * 0.6 - 0.05 - near_unit * 0.55 if near_left else far_x + unit * 0.6 + 0.05 + near_unit * 0.55
    near_x = min(near_x, limit) if near_left else max(near_x, limit)
    near = Cast(near_name, "fragment", None, near_x, r.uniform(0.5, 0.75), near_unit, Pose(view="back"), False)
    d.cast.append(near)
    return d.shot(far_name)


def _extra(d: _Draft) -> Shot:
    """A main character and a small figure standing far behind it (scenery, not counted)."""
    r = d.rng
    shot = d.framing if d.framing != "close-up" else "medium"
    name = "AB"[d.number % 2]
    main_left = bool(r.integers(2))
    lo = d.centre() - d.wide / 2
    unit, y = d.size(shot)
    main_x = lo + d.wide * (r.uniform(0.25, 0.35) if main_left else r.uniform(0.65, 0.75))
    far_unit = unit * r.uniform(0.25, 0.4) if shot == "full" else r.uniform(0.03, 0.045)
    far_x = lo + d.wide * (r.uniform(0.72, 0.9) if main_left else r.uniform(0.1, 0.28))
    feet = r.uniform(0.62, 0.72)
    d.cast.append(Cast("X" if r.integers(3) else "C", "extra", "full", far_x, feet - FEET * far_unit, far_unit,
                       d.pose(0, 0.6), bool(r.integers(2)), float(r.uniform(-0.006, 0.006))))
    d.cast.append(Cast(name, "character", shot, main_x, y, unit, d.pose(0, 0.4), bool(r.integers(2))))
    return d.shot(name)


def _stranger(d: _Draft) -> Shot:
    r = d.rng
    if r.integers(2):
        d.person("C", d.centre() + r.uniform(-0.3, 0.3) * d.wide / 2)
    else:
        _side_by_side(d, ("C", "AB"[int(r.integers(2))]))
    return d.shot(None, "stranger")


def _overlap(d: _Draft) -> Shot:
    """A and B with bodies overlapping, both faces in view: one body the LoRA would learn fused."""
    r = d.rng
    shot = d.framing if d.framing not in ("close-up",) else "bust"
    back_name = "AB"[int(r.integers(2))]
    front_name = "B" if back_name == "A" else "A"
    unit, y = d.size(shot)
    side = float(r.choice([-1, 1]))
    x = d.centre() + r.uniform(-0.15, 0.15)
    apart = r.uniform(0.5, 0.56) * unit       # each from the middle: heads side by side, bodies fused
    back = Cast(back_name, "character", shot, x - side * apart, y, unit * 0.92, d.pose(side * 0.4, 0.2), False)
    front = Cast(front_name, "character", shot, x + side * apart, y, unit, d.pose(-side * 0.3, 0.2), False)
    d.cast.extend([back, front])
    return d.shot(None, "overlap")


def _fragment(d: _Draft) -> Shot:
    """Someone's shoulder and arm at a side edge, their head beyond it; a main character in view
    two times out of three."""
    r = d.rng
    lo = d.centre() - d.wide / 2
    right = bool(r.integers(2))
    unit = r.uniform(0.3, 0.5)
    frag_name = "ABC"[int(r.integers(3))]
    # head beyond the edge by more than its half-width: only shoulder, arm and body show
    x = lo + (d.wide + unit * r.uniform(0.62, 0.8) if right else -unit * r.uniform(0.62, 0.8))
    d.cast.append(Cast(frag_name, "fragment", None, x, r.uniform(0.1, 0.35), unit, d.pose(0, 0.3),
                       bool(r.integers(2))))
    if d.nth % 2:
        return d.shot(None, "fragment-only")
    shot = d.framing if d.framing != "close-up" else "bust"
    name = "B" if frag_name == "A" else "A"
    main_unit, y = d.size(shot)
    pose = d.pose(0, 0.4)
    own = main_unit * reach(pose)
    frag = unit * reach(d.cast[0].pose) + MIN_GAP * d.wide + 0.02
    room = (lo + own + 0.02, lo + d.wide - own - 0.02)
    main_x = r.uniform(*room) if room[1] > room[0] else (room[0] + room[1]) / 2
    # keep the main one clear of the fragment's reach
    main_x = min(main_x, x - frag - own) if right else max(main_x, x + frag + own)
    d.cast.append(Cast(name, "character", shot, main_x, y, main_unit, pose, bool(r.integers(2))))
    return d.shot(name)


def _text(d: _Draft) -> Shot:
    """Characters with a subtitle under them and a sign on the wall: text near characters."""
    r = d.rng
    if r.integers(2):
        c = d.person("AB"[d.number % 2], d.centre() + r.uniform(-0.2, 0.2), look_at=r.uniform(-0.3, 0.3))
        group = c.name
    else:
        _side_by_side(d, ("A", "B"))
        group = "A+B"
    text = SIGNS[int(r.integers(len(SIGNS)))]
    sign = None
    for _ in range(20):               # a place on the wall clear of every head, or no sign
        at = (text, d.centre() + r.uniform(-0.8, 0.6), r.uniform(0.04, 0.14))
        if all(separated(_sign_box(at, 360, 0), _head_room(c, 360), 0.05 * 360) for c in d.cast):
            sign = at
            break
    return d.shot(group, subtitle=WORDS[int(r.integers(len(WORDS)))], sign=sign)


def _head_room(c: Cast, height: int) -> List[int]:
    """A box around everywhere ``c``'s head goes during the shot, in plate pixels."""
    half = 0.62 * c.unit
    return [round((c.x - half - 0.1) * height), round((c.y - CROWN * c.unit) * height),
            round((c.x + half + 0.1) * height), round((c.y + 0.5 * c.unit) * height)]


def _pan(d: _Draft) -> Shot:
    """The camera pans across a wide plate past a character (or both) standing in it."""
    r = d.rng
    speed = float(r.uniform(0.05, 0.09)) * float(r.choice([-1, 1]))
    width = d.wide * PAN
    mid = width / 2
    if r.integers(2):
        d.person("AB"[d.number % 2], mid + r.uniform(-0.1, 0.1), look_at=r.uniform(-0.3, 0.3))
    else:
        d_wide, d.wide = d.wide, d.wide * 0.9
        _side_by_side(d, ("A", "B"))
        d.wide = d_wide
        shift = mid - d.centre()
        d.cast = [Cast(c.name, c.role, c.shot, c.x + shift, c.y, c.unit, c.pose, c.flip) for c in d.cast]
    shot = d.shot(_names(*d.cast), pan=speed, plate_width=width)
    return shot


def _empty(d: _Draft) -> Shot:
    return d.shot(None, "empty")


_SOLVE = {"solo_a": lambda d: _solo(d, "A"), "solo_b": lambda d: _solo(d, "B"), "both": _both,
          "over_shoulder": _over_shoulder, "extra": _extra, "stranger": _stranger, "overlap": _overlap,
          "fragment": _fragment, "text": _text, "pan": _pan, "empty": _empty}


# ---------------------------------------------------------------- drawing a frame
@lru_cache(maxsize=4)
def _plate(seed: Tuple[int, ...], kind: str, width: int, height: int, style: str) -> np.ndarray:
    img = plate(kind, seed, width, height)
    return line_art(img) if style == "line" else img


def _sign(img: np.ndarray, sign, height: int, style: str) -> None:
    """A sign board on the plate: it pans with the scenery."""
    import cv2

    text, x, y = sign
    scale = 0.0016 * height
    thick = max(1, round(0.005 * height))
    (tw, th), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_DUPLEX, scale, thick)
    x0, y0 = int(x * height), int(y * height)
    pad = round(0.015 * height)
    board = (235, 225, 190) if style == "colour" else (255, 255, 255)
    cv2.rectangle(img, (x0 - pad, y0 - pad), (x0 + tw + pad, y0 + th + base + pad), board, -1)
    cv2.rectangle(img, (x0 - pad, y0 - pad), (x0 + tw + pad, y0 + th + base + pad), (40, 30, 30), thick, cv2.LINE_AA)
    cv2.putText(img, text, (x0, y0 + th), cv2.FONT_HERSHEY_DUPLEX, scale, (40, 30, 30), thick, cv2.LINE_AA)


def _subtitle(img: np.ndarray, text: str, height: int) -> List[int]:
    """A subtitle at the bottom centre, white with a dark edge; returns its box."""
    import cv2

    width = img.shape[1]
    scale = 0.0021 * height
    thick = max(1, round(0.006 * height))
    (tw, th), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_DUPLEX, scale, thick)
    org = ((width - tw) // 2, int(height * 0.93))
    mask = np.zeros(img.shape[:2], np.uint8)
    cv2.putText(mask, text, org, cv2.FONT_HERSHEY_DUPLEX, scale, 255, thick + 2 * max(1, thick // 2) + 2, cv2.LINE_AA)
    box = ink_box(mask >= 64)
    a = mask.astype(np.float32)[..., None] / 255
    img *= 1 - a
    img += a * 20
    mask[:] = 0
    cv2.putText(mask, text, org, cv2.FONT_HERSHEY_DUPLEX, scale, 255, thick, cv2.LINE_AA)
    a = mask.astype(np.float32)[..., None] / 255
    img *= 1 - a
    img += a * 255
    return box


def _sign_box(sign, height: int, camera: float) -> List[int]:
    import cv2

    text, x, y = sign
    scale, thick = 0.0016 * height, max(1, round(0.005 * height))
    (tw, th), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_DUPLEX, scale, thick)
    x0, y0 = int(x * height) - int(round(camera * height)), int(y * height)
    pad = round(0.015 * height)
    return [x0 - pad, y0 - pad, x0 + tw + pad, y0 + th + base + pad]


def frame(shot: Shot, step: int, style: str = "colour", width: int = 640, height: int = 360) -> Tuple[np.ndarray, dict]:
    """Drawing ``step`` of ``shot`` as RGB uint8, and its truth."""
    if style not in STYLES:
        raise ValueError(f"unknown style {style!r}; expected one of {STYLES}")
    pw = int(math.ceil(shot.plate_width * height))
    camera = shot.camera + shot.pan * step
    base = _plate(shot.plate_seed, shot.background, pw, height, style).copy()
    if shot.sign:
        base = np.clip(base, 0, 255).astype(np.uint8)
        _sign(base, shot.sign, height, style)
        base = base.astype(np.float32)
    cx = int(round(camera * height))
    img = np.ascontiguousarray(base[:, cx:cx + width])
    light = shot.light.scaled(shot.dim[step]) if shot.dim else shot.light
    layers = []
    for c in shot.cast:
        if shot.table is not None and c.pose.view == "back" and not any(who is None for who, _ in layers):
            layers.append((None, _lay(img, _table(shot, camera, width, height, style), light, height, style)))
        layer = Layer.empty(height, width)
        pose = _animated(c.pose, shot, step, c)
        x = (c.x + c.walk * step - camera) * height
        y = (c.y + 0.004 * math.sin(step * 1.9 + c.x * 7)) * height
        draw(layer, LOOKS[c.name], x, y, c.unit * height, pose, flip=c.flip, style=style)
        layers.append((c, _lay(img, layer, light, height, style)))
    if shot.table is not None and not any(who is None for who, _ in layers):
        layers.append((None, _lay(img, _table(shot, camera, width, height, style), light, height, style)))
    text = []
    if shot.sign:
        text.append(_sign_box(shot.sign, height, camera))
    if shot.subtitle:
        text.append(_subtitle(img, shot.subtitle, height))
    rgb = np.clip(img, 0, 255).round().astype(np.uint8)
    truth = _truth(shot, step, style, light, layers, text, width, height)
    _check(truth, width, height)
    return rgb, truth


def _lay(img: np.ndarray, layer: Layer, light: Light, height: int, style: str) -> Layer:
    """Lay ``layer`` over ``img`` (in place), lit in colour; returns the layer."""
    colour = lit(layer.rgb, layer.alpha, light, height) if style == "colour" else layer.rgb.astype(np.float32)
    a = layer.alpha.astype(np.float32)[..., None] / 255
    img *= 1 - a
    img += colour
    return layer


def _table(shot: Shot, camera: float, width: int, height: int, style: str) -> Layer:
    """A dinner table from its top edge to the bottom of the frame, with plates and cups; it
    belongs to the set, so it pans with the plate."""
    layer = Layer.empty(height, width)
    pen = Pen(layer, -camera * height, 0.0, float(height), False, style)
    pen.width = max(1, round(0.005 * height))
    rng = np.random.default_rng([404, *shot.plate_seed])
    wood = tuple(int(v) for v in rng.choice([(150, 100, 64), (120, 84, 60), (236, 230, 214)]))
    y, far = shot.table, shot.plate_width + 0.2
    pen.fill([(-0.2, y), (far, y), (far, 1.1), (-0.2, 1.1)], wood)
    pen.tone([(-0.2, y + 0.012), (far, y + 0.012), (far, y + 0.03), (-0.2, y + 0.03)], lightened(wood, 0.25))
    x = float(rng.uniform(0.0, 0.3))
    while x < far:
        px, py = x, y + float(rng.uniform(0.07, 0.14))
        pen.ellipse((px, py), (0.12, 0.04), (248, 248, 250), head=False)
        pen.ellipse((px, py), (0.07, 0.022), (230, 232, 238), head=False)
        if rng.random() < 0.6:                                   # a cup beside the plate
            cx = px + 0.17
            pen.fill([(cx - 0.03, py - 0.09), (cx + 0.03, py - 0.09), (cx + 0.025, py - 0.01), (cx - 0.025, py - 0.01)],
                     (200, 80, 70))
        x += float(rng.uniform(0.45, 0.8))
    return layer


def _animated(pose: Pose, shot: Shot, step: int, c: Cast) -> Pose:
    """The pose at drawing ``step``: a mouth flap, a blink, the arms and head moving a little."""
    if pose.view == "back":
        return pose
    k = (shot.number * 7 + step * 3 + int(c.x * 10)) % 5
    arms = (pose.arms[0] + ARM_WOBBLE * math.sin(step * 1.3), pose.arms[1] + ARM_WOBBLE * math.cos(step * 1.1))
    return Pose(turn=pose.turn + 0.05 * math.sin(step), view=pose.view, tilt=pose.tilt + 0.03 * math.sin(step * 2.1),
                blink=k == 0, mouth=(pose.mouth + step) % 2, arms=arms)


def _truth(shot: Shot, step: int, style: str, light: Light, layers: list, text: list, width: int,
           height: int) -> dict:
    people = []
    covered = np.zeros((height, width), bool)
    for c, layer in reversed(layers):                     # front to back: what is in front hides
        if c is None:                                     # the table
            covered |= layer.alpha >= 128
            continue
        seen = ~covered
        body = ink_box((layer.alpha >= 128) & seen)
        heads = layer.head >= 128
        head = ink_box(heads & seen)
        faces = (layer.face >= 128) & seen
        face, face_box = int(faces.sum()), ink_box(faces)
        head_seen = float((heads & seen).sum()) / max(1, int(heads.sum()))
        covered |= layer.alpha >= 128
        people.append({"name": c.name, "role": c.role, "shot": c.shot, "framing": FRAMING.get(c.shot),
                       "head": head if c.role != "fragment" else None, "body": body, "face_pixels": face,
                       "fragment": c.role == "fragment", "unit": round(c.unit * height, 1),
                       "face_box": face_box if c.role != "fragment" else None, "head_seen": round(head_seen, 3)})
    return {"half": shot.half, "shot": shot.number, "kind": shot.kind, "style": style, "background": shot.background,
            "light": light.name, "dimmed": round(light.gain[0] / max(1e-6, shot.light.gain[0]), 3),
            "camera": "pan" if shot.kind == "pan" else "drift", "step": step,
            "table": shot.table is not None, "group": shot.group, "reason": shot.reason, "people": people[::-1],
            "text": text}


def _check(t: dict, width: int, height: int) -> None:
    """The promises the truth makes, on the measured pixels: a frame that breaks one is a bug
    here and must not reach a benchmark as truth."""
    chars = [p for p in t["people"] if p["role"] == "character"]
    problems = []
    for p in chars:
        h, f = p["head"], p["face_box"]
        if h is None or f is None or p["head_seen"] < 0.9:
            problems.append(f"{p['name']}'s head or face hidden")
        elif f[0] <= 0 or f[1] <= 0 or f[2] >= width or f[3] >= height:
            problems.append(f"{p['name']}'s face cut by the frame edge")
        # a close-up may lose the top of its hair to the frame edge, nothing else of its head
        elif h[0] <= 0 or h[2] >= width or h[3] >= height or (h[1] <= 0 and p["shot"] != "close-up"):
            problems.append(f"{p['name']}'s head cut by the frame edge")
        if any(separated(h or [0, 0, 0, 0], x, 0) is False for x in t["text"]):
            problems.append(f"text on {p['name']}'s head")
    problems += [f"{p['name']} is a fragment with a face in view" for p in t["people"]
                 if p["role"] == "fragment" and p["face_pixels"]]
    smallest = min((p["unit"] for p in chars), default=0)
    problems += [f"extra {p['name']} as big as a character" for p in t["people"]
                 if p["role"] == "extra" and p["unit"] > 0.5 * smallest]
    apart = [p for p in t["people"] if p["role"] == "character" or (p["role"] == "fragment" and t["kind"] == "fragment")]
    boxes = [p["body"] for p in apart if p["body"]]
    if t["kind"] == "overlap":
        if overlap_share(*boxes) < 0.3:
            problems.append(f"bodies overlap by only {overlap_share(*boxes):.2f}")
    elif any(not separated(a, b, MIN_GAP * width) for i, a in enumerate(boxes) for b in boxes[i + 1:]):
        problems.append("bodies closer than the minimum gap")
    if problems:
        raise RuntimeError(f"{t['half']} shot {t['shot']} ({t['kind']}) step {t['step']} at {width}x{height}: "
                           + "; ".join(problems))


# ---------------------------------------------------------------- the clip
def real_clip_frames(half: str, style: str = "colour", width: int = 640, height: int = 360,
                     shots: Optional[int] = None) -> Iterator[Tuple[np.ndarray, dict]]:
    """``(rgb, truth row)`` for every frame of one half's clip (the first ``shots`` shots)."""
    index = 0
    for shot in real_set(half)[:shots]:
        for step in range(DRAWINGS):
            img, truth = frame(shot, step, style, width, height)
            for held in range(HOLD):
                yield img, {"index": index, "drawing": f"{shot.number}:{step}", "held": held > 0, **truth}
                index += 1


def write_real_clip(path: os.PathLike, half: str, style: str = "colour", width: int = 640, height: int = 360,
                    fps: int = 24, shots: Optional[int] = None) -> List[dict]:
    """Encode one half's clip to ``path`` (H.264) and write ``<path>.truth.json``."""
    return encode_clip(path, real_clip_frames(half, style, width, height, shots), width, height, fps,
                       meta={"set": "real", "half": half, "style": style})


def write_real_set(out: os.PathLike, half: str, style: str = "colour", width: int = 640, height: int = 360) -> dict:
    """One half as a user would get it: ``real_<half>_<style>.mp4`` with its truth, and the
    reference stills as ``refs/A_1.png`` ... (what ``groups --ref A=...`` takes)."""
    import cv2

    out = Path(out)
    video = out / f"real_{half}_{style}.mp4"
    rows = write_real_clip(video, half, style, width, height)
    refs: dict = {}
    (out / "refs").mkdir(parents=True, exist_ok=True)
    for name in ("A", "B"):
        for i, still in enumerate(reference_stills(name, style, width, height), 1):
            path = out / "refs" / f"{name}_{i}.png"
            cv2.imwrite(os.fspath(path), cv2.cvtColor(still, cv2.COLOR_RGB2BGR))
            refs.setdefault(name, []).append(str(path))
    return {"video": str(video), "truth": f"{video}.truth.json", "frames": len(rows), "refs": refs}


# ---------------------------------------------------------------- reference stills
def reference_stills(name: str, style: str = "colour", width: int = 640, height: int = 360) -> List[np.ndarray]:
    """Stills of ``name`` (A or B) as a user gives them: a close-up cut out of a frame, a whole
    medium-shot frame with its background, a full figure on white.  Seeds of their own, not
    either half's."""
    if name not in ("A", "B"):
        raise ValueError(f"reference stills exist for A and B, not {name!r}")
    out = []
    for i, (shot, background) in enumerate((("close-up", "painted"), ("medium", "rendered"), ("full", "paper"))):
        rng = np.random.default_rng([303, "AB".index(name), i])
        d = _Draft("reference", 9, 10 * i + "AB".index(name), "solo", background, shot, rng)
        c = d.person(name, d.centre() + rng.uniform(-0.2, 0.2), look_at=rng.uniform(-0.3, 0.3))
        ref = d.shot(name)
        # nobody picks a still where the character blinks
        step = next(s for s in range(DRAWINGS) if not _animated(c.pose, ref, s, c).blink)
        img, truth = frame(ref, step, style, width, height)
        if i == 0:                       # cut out around the character, as from a screenshot
            x0, y0, x1, y1 = truth["people"][0]["body"]
            pad = round(0.05 * height)
            img = img[max(0, y0 - pad):y1, max(0, x0 - pad):min(width, x1 + pad)].copy()
        elif i == 2:                     # on white
            layer = Layer.empty(height, width)
            c = ref.cast[0]
            draw(layer, LOOKS[name], (c.x - ref.camera) * height, c.y * height, c.unit * height, c.pose, flip=c.flip,
                 style=style)
            white = np.full((height, width, 3), 255, np.float32)
            over(white, layer)
            img = np.clip(white, 0, 255).round().astype(np.uint8)
        out.append(img)
    return out


# ---------------------------------------------------------------- grading
def frame_framings(row: dict) -> List[str]:
    """The framings a frame is tallied under: those of its counted characters (a frame with a
    close-up and a medium shot counts in both), ``none`` when it has none."""
    found = sorted({p["framing"] for p in row["people"] if p["role"] == "character"})
    return found or ["none"]


def grade(truth_path: os.PathLike, frames, counted, split) -> dict:
    """How counting and splitting did on a real-set clip, frame by frame against its truth.

    ``frames``: the extracted set (every frame there is graded), ``counted`` and ``split``: the
    PersonCountFilter and GroupSplit results.  A frame dropped by counting or rejected by the
    split has the group None, which is right for empty, fragment-only, stranger and overlap
    frames.  Tallies (right/frames) per framing, background kind, shot kind and light; ``worst``
    is the lowest share right of any framing or background kind (the issue's 0.90 floor)."""
    def tallies(t):
        return {"framing": frame_framings(t), "background": [t["background"]], "kind": [t["kind"]],
                "light": [t["light"]]}

    def describe(t):
        return f"shot {t['shot']} {t['kind']} {t['background']} {'/'.join(frame_framings(t))}"

    graded = grade_frames(truth_path, frames, counted, split, tallies, describe)
    shares = [a / b for what in ("framing", "background")
              for k, (a, b) in ((k, map(int, v.split("/"))) for k, v in graded.get(f"per_{what}", {}).items())
              if k != "none"]
    return {**graded, "worst": min(shares, default=1.0)}
