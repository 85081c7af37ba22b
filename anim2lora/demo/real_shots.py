"""The storyboard of the realistic development set (drawn by real_scenes): which shots each half
holds, who stands where in each, framed how, on which background kind, under which light, with
which text, and the group each frame's truth expects.

Positions and sizes are in frame heights, so any resolution lays out the same shot.  Two halves,
``tune`` and ``holdout``, lay out the same kinds of shot in the same order from disjoint seeds: no
plate, pose or place is shared.  A third, ``check``, is laid out the same way from seeds of its
own: a fresh draw to find and fix errors on once the tune half is fitted (the tune half's rules fit
its own shots closer than they carry), so that the holdout stays unseen.  A fourth, ``probe``, is
another fresh draw for the same purpose once ``check`` is fitted in turn; the later halves (HALVES,
DRAW) are more such draws.  Figures are placed by their arms' reach (anime.reach) and by
where the frame's bottom edge cuts them (CUT), so the promises real_scenes checks on the pixels
(heads whole, bodies apart unless they overlap on purpose, extras small) hold by construction;
the overlap shot's share is measured on its drawing, and the shot drawn again where it falls
short (MEASURED).
"""

from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import List, Optional, Sequence, Tuple

import numpy as np

from .anime import FEET, Pose, reach
from .grading import separated
from .plates import KINDS as BACKGROUNDS, LIGHTS, Light

HALVES = ("tune", "holdout", "check", "probe", "trial", "scout", "sweep", "spot", "gauge", "audit", "field")
# each half's draw: its seeds start here.  spot was drawn from 8 while draw 7 still broke a promise
# of its overlap shot (now redrawn, see MEASURED), so gauge took draw 7 later.  Draw 9 is never
# used: its plate seeds (202 + 9, n) are the reference stills' own (reference_shots), so a half
# drawn from it would share their backgrounds
DRAW = dict(zip(HALVES, (0, 1, 2, 3, 4, 5, 6, 8, 7, 10, 11)))
# shot kinds whose promise is measured on the drawn ink, not solved from the reach boxes: the
# overlap shot places its two at a drawn distance, and whether their bodies' ink boxes then
# overlap by the promised share depends on where this drawing's limbs are.  A shot of such a
# kind is drawn (masks only) and, where a promise breaks, solved again from the next sub-seed of
# its own, at most REDRAWS times; a shot that held at its first draw is the one it always was
MEASURED = ("overlap",)
REDRAWS = 20
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
# the tune half only, after its rounds: the stranger in the same uniform standing beside a main
# character, the case where naming the second person of a frame by elimination names a stranger
# (who, background, framing); the holdout half keeps its own shots unchanged
TUNE_EXTRA = (("A", "paper", "medium"), ("B", "dark", "cowboy"), ("A", "gradient", "full"), ("B", "painted", "bust"))


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
    shot kind.  The halves lay out the same kinds in the same order from disjoint seeds; the
    tune half then adds TUNE_EXTRA's shots of the stranger beside a main character."""
    if half not in HALVES:
        raise ValueError(f"unknown half {half!r}; expected one of {HALVES}")
    return list(_storyboard(half))


@lru_cache(maxsize=len(HALVES))
def _storyboard(half: str) -> Tuple[Shot, ...]:
    h = DRAW[half]
    shots = []
    order = [k for k in SHOT_KINDS if k != "over_shoulder"]
    for rnd in range(4):
        for i, kind in enumerate(order):
            if kind == "empty" and rnd % 2:
                continue
            kinds = ("over_shoulder", "over_shoulder") if kind == "both" else ()
            for k in (kind,) + kinds:
                n = len(shots)
                rng = _rng(h, n)
                bg = BACKGROUNDS[(i + rnd * 2 + (k == "over_shoulder") * (n % 3)) % len(BACKGROUNDS)]
                framing = SHOTS[(i + 3 * rnd + n) % len(SHOTS)]
                nth = sum(s.kind == k for s in shots)
                shots.append(_solved(_Draft(half, h, n, k, bg, framing, rng, nth)))
    for who, bg, framing in TUNE_EXTRA if half == "tune" else ():
        n = len(shots)
        d = _Draft(half, h, n, "stranger", bg, framing, _rng(h, n))
        _side_by_side(d, ("C", who), framing)
        shots.append(d.shot(None, "stranger"))
    return tuple(shots)


def _rng(h: int, n: int, redraw: int = 0) -> np.random.Generator:
    """The random choices of shot ``n`` of draw ``h``; ``redraw`` > 0 a sub-seed of its own for
    solving the shot again (never another shot's or another half's seed)."""
    return np.random.default_rng([101 + h, n] + ([redraw] if redraw else []))


def _solved(d: "_Draft") -> Shot:
    """``d`` solved for its kind.  A MEASURED kind is checked on its drawn masks and, where a
    promise breaks (frame would raise), solved again from the shot's next sub-seed: the same
    background and framing, other random choices."""
    from .real_scenes import broken_promise      # it draws the shots laid out here

    if d.kind not in MEASURED:
        return _SOLVE[d.kind](d)
    for redraw in range(REDRAWS + 1):
        shot = _SOLVE[d.kind](replace(d, rng=_rng(d.h, d.number, redraw), cast=[]) if redraw else d)
        broken = broken_promise(shot)
        if broken is None:
            return shot
    raise RuntimeError(f"{d.half} shot {d.number} ({d.kind}): no draw of {REDRAWS + 1} keeps its promise: {broken}")


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
        if all(separated(sign_box(at, 360, 0), _head_room(c, 360), 0.05 * 360) for c in d.cast):
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


def reference_shots(name: str) -> List[Shot]:
    """Three solo shots of ``name`` for reference stills: a close-up on a painted plate, a
    medium shot in a rendered room, a full figure on paper; from seeds of their own, not either
    half's."""
    out = []
    for i, (shot, background) in enumerate((("close-up", "painted"), ("medium", "rendered"), ("full", "paper"))):
        rng = np.random.default_rng([303, "AB".index(name), i])
        d = _Draft("reference", 9, 10 * i + "AB".index(name), "solo", background, shot, rng)
        d.person(name, d.centre() + rng.uniform(-0.2, 0.2), look_at=rng.uniform(-0.3, 0.3))
        out.append(d.shot(name))
    return out


def sign_box(sign, height: int, camera: float) -> List[int]:
    import cv2

    text, x, y = sign
    scale, thick = 0.0016 * height, max(1, round(0.005 * height))
    (tw, th), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_DUPLEX, scale, thick)
    x0, y0 = int(x * height) - int(round(camera * height)), int(y * height)
    pad = round(0.015 * height)
    return [x0 - pad, y0 - pad, x0 + tw + pad, y0 + th + base + pad]
