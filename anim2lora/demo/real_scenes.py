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
from functools import lru_cache
from pathlib import Path
from typing import Iterator, List, Optional, Tuple

import numpy as np

from .anime import ARM_WOBBLE, LOOKS, Layer, Pen, Pose, draw, light as lightened, over
from .characters import ink_box
from .encode import encode_clip
from .grading import grade_frames, overlap_share, separated
from .plates import Light, line_art, lit, plate
from .real_shots import DRAWINGS, FRAMING, HOLD, MIN_GAP, Cast, Shot, real_set, reference_shots, sign_box

STYLES = ("colour", "line")


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


def _subtitle(img: Optional[np.ndarray], text: str, width: int, height: int) -> List[int]:
    """A subtitle at the bottom centre, white with a dark edge (on ``img``, unless None: its box
    alone); returns its box."""
    import cv2

    scale = 0.0021 * height
    thick = max(1, round(0.006 * height))
    (tw, th), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_DUPLEX, scale, thick)
    org = ((width - tw) // 2, int(height * 0.93))
    mask = np.zeros((height, width), np.uint8)
    cv2.putText(mask, text, org, cv2.FONT_HERSHEY_DUPLEX, scale, 255, thick + 2 * max(1, thick // 2) + 2, cv2.LINE_AA)
    box = ink_box(mask >= 64)
    if img is None:
        return box
    a = mask.astype(np.float32)[..., None] / 255
    img *= 1 - a
    img += a * 20
    mask[:] = 0
    cv2.putText(mask, text, org, cv2.FONT_HERSHEY_DUPLEX, scale, 255, thick, cv2.LINE_AA)
    a = mask.astype(np.float32)[..., None] / 255
    img *= 1 - a
    img += a * 255
    return box


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
    truth = _staged(img, shot, step, style, width, height)
    rgb = np.clip(img, 0, 255).round().astype(np.uint8)
    return rgb, truth


def _staged(img: Optional[np.ndarray], shot: Shot, step: int, style: str, width: int, height: int) -> dict:
    """Lay the cast, the table and the subtitle of drawing ``step`` over ``img`` (in place), and
    return its truth, checked.  With ``img`` None nothing is painted: the truth alone, as cheap as
    the figures' masks (what broken_promise draws)."""
    camera = shot.camera + shot.pan * step
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
        text.append(sign_box(shot.sign, height, camera))
    if shot.subtitle:
        text.append(_subtitle(img, shot.subtitle, width, height))
    truth = _truth(shot, step, style, light, layers, text, width, height)
    _check(truth, width, height)
    return truth


def broken_promise(shot: Shot, width: int = 640, height: int = 360) -> Optional[str]:
    """What ``frame`` would raise on for some drawing of ``shot`` in some style at ``width`` x
    ``height`` (the bench's size), or None when every promise holds: the storyboard redraws a
    shot whose promise is measured on the drawn ink (real_shots.MEASURED) until this is None."""
    for style in STYLES:
        for step in range(DRAWINGS):
            try:
                _staged(None, shot, step, style, width, height)
            except RuntimeError as e:
                return str(e)
    return None


def _lay(img: Optional[np.ndarray], layer: Layer, light: Light, height: int, style: str) -> Layer:
    """Lay ``layer`` over ``img`` (in place, unless None: the truth alone), lit in colour; returns
    the layer."""
    if img is None:
        return layer
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


def write_real_set(out: os.PathLike, half: str, style: str = "colour", width: int = 640, height: int = 360,
                   shots: Optional[int] = None) -> dict:
    """One half as a user would get it (its first ``shots`` shots): ``real_<half>_<style>.mp4``
    with its truth, and the reference stills as ``refs/A_1.png`` ... (what ``groups --ref A=...``
    takes)."""
    import cv2

    out = Path(out)
    video = out / f"real_{half}_{style}.mp4"
    rows = write_real_clip(video, half, style, width, height, shots=shots)
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
    for i, ref in enumerate(reference_shots(name)):
        c = ref.cast[0]
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
