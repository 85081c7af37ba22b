"""Generate the demo clip and its per-frame truth.

The storyboard exercises every data fault of the source write-up: solo shots of A and of B and
shots of both, drawings held on twos and threes, a hard cut, a dissolve, a fade through black,
a motion-blurred stretch, burned-in subtitles and coloured backgrounds.  Same arguments, same
pixels: nothing is random.
"""

import os
from dataclasses import dataclass
from typing import List, Optional, Tuple

import numpy as np

from .characters import DRAW
from .encode import encode_clip

WHITE, PINK, BLUE = (255, 255, 255), (255, 205, 225), (205, 225, 255)   # RGB


@dataclass(frozen=True)
class Shot:
    name: str
    chars: Tuple[str, ...]
    frames: int
    hold: int                       # frames per drawing: 2 = "on twos"
    bg: Tuple[int, int, int] = WHITE
    speed: float = 0.004            # height units per frame
    subtitle: Optional[Tuple[int, int, str]] = None   # (first frame, last frame, text) within the shot
    blur: Optional[Tuple[int, int]] = None             # motion-blurred frames within the shot
    enter: str = "cut"              # how the shot begins: cut | dissolve | fade


STORYBOARD = (
    Shot("a_walk", ("A",), 48, 2),
    Shot("b_pink", ("B",), 36, 3, bg=PINK, subtitle=(6, 30, "Where are you going?")),
    Shot("both", ("A", "B"), 48, 2, subtitle=(24, 47, "Wait for me!"), enter="dissolve"),
    Shot("a_run", ("A",), 36, 2, speed=0.028, blur=(12, 23)),
    Shot("b_white", ("B",), 36, 2, enter="fade"),
    Shot("both_blue", ("A", "B"), 36, 3, bg=BLUE, subtitle=(3, 33, "Together again")),
)
DISSOLVE_FRAMES = 12
FADE_FRAMES = 8
BLACK_FRAMES = 12


def _start_x(shot: Shot, aspect: float):
    span = aspect
    if len(shot.chars) == 2:
        return [span * 0.33, span * 0.62]
    return [span * 0.3]


def render_shot_frame(shot: Shot, i: int, width: int, height: int, variant: int = 0) -> np.ndarray:
    """Frame ``i`` of ``shot`` as RGB uint8."""
    import cv2

    u = float(height)
    aspect = width / height
    img = np.empty((height, width, 3), np.uint8)
    img[:] = shot.bg
    drawing = i // shot.hold                # held frames repeat the same drawing exactly
    t = drawing * shot.hold
    for k, (name, x0) in enumerate(zip(shot.chars, _start_x(shot, aspect))):
        x = x0 + shot.speed * t + 0.02 * (variant % 5)
        DRAW[name](img, x, 0.9 * drawing + k + variant, u)
    if shot.blur and shot.blur[0] <= i <= shot.blur[1]:
        length = max(3, int(0.06 * u))
        kernel = np.zeros((length, length), np.float32)
        kernel[length // 2, :] = 1.0 / length
        img = cv2.filter2D(img, -1, kernel)
    if shot.subtitle and shot.subtitle[0] <= i <= shot.subtitle[1]:
        _subtitle(img, shot.subtitle[2], u)
    return img


def _subtitle(img: np.ndarray, text: str, u: float) -> None:
    import cv2

    scale = u / 300
    thick = max(1, round(u / 180))
    (tw, th), _ = cv2.getTextSize(text, cv2.FONT_HERSHEY_DUPLEX, scale, thick)
    org = ((img.shape[1] - tw) // 2, int(u * 0.93))
    cv2.putText(img, text, org, cv2.FONT_HERSHEY_DUPLEX, scale, (0, 0, 0), thick * 4, cv2.LINE_AA)
    cv2.putText(img, text, org, cv2.FONT_HERSHEY_DUPLEX, scale, (255, 255, 255), thick, cv2.LINE_AA)


def frames(width: int = 640, height: int = 360, loops: int = 1):
    """Yield ``(rgb, truth)`` for every frame of the storyboard, ``loops`` times with variations."""
    index = 0
    shot_no = 0
    for loop in range(loops):
        for n, shot in enumerate(STORYBOARD):
            prev = STORYBOARD[n - 1] if n else None
            if shot.enter == "dissolve" and prev is not None:
                a = render_shot_frame(prev, prev.frames - 1, width, height, loop)
                for k in range(DISSOLVE_FRAMES):
                    w = (k + 1) / (DISSOLVE_FRAMES + 1)
                    b = render_shot_frame(shot, 0, width, height, loop)
                    mix = (a.astype(np.float32) * (1 - w) + b.astype(np.float32) * w).round().astype(np.uint8)
                    yield mix, _truth(index, None, (), None, transition="dissolve")
                    index += 1
            if shot.enter == "fade" and prev is not None:
                a = render_shot_frame(prev, prev.frames - 1, width, height, loop)
                b = render_shot_frame(shot, 0, width, height, loop)
                for src, ramp in ((a, range(FADE_FRAMES, 0, -1)), (None, range(BLACK_FRAMES)), (b, range(1, FADE_FRAMES + 1))):
                    for k in ramp:
                        if src is None:
                            yield np.zeros_like(a), _truth(index, None, (), None, black=True)
                        else:
                            level = k / (FADE_FRAMES + 1)
                            yield (src.astype(np.float32) * level).round().astype(np.uint8), \
                                _truth(index, None, (), None, transition="fade")
                        index += 1
            for i in range(shot.frames):
                img = render_shot_frame(shot, i, width, height, loop)
                sub = shot.subtitle[2] if shot.subtitle and shot.subtitle[0] <= i <= shot.subtitle[1] else None
                yield img, _truth(index, shot_no, shot.chars, sub, drawing=f"{shot_no}:{i // shot.hold}",
                                  held=i % shot.hold != 0, blurred=bool(shot.blur and shot.blur[0] <= i <= shot.blur[1]),
                                  bg=list(shot.bg), cut_before=i == 0, name=shot.name)
                index += 1
            shot_no += 1


def _truth(index, shot, chars, subtitle, *, transition=None, black=False, drawing=None, held=False,
           blurred=False, bg=None, cut_before=False, name=None):
    return {"index": index, "shot": shot, "shot_name": name, "chars": list(chars), "subtitle": subtitle,
            "transition": transition, "black": black, "drawing": drawing, "held": held,
            "blurred": blurred, "bg": bg, "cut_before": cut_before}


def write_clip(path: os.PathLike, width: int = 640, height: int = 360, loops: int = 1, fps: int = 24,
               codec: str = "libx264", crf: int = 18) -> List[dict]:
    """Encode the clip to ``path`` and write ``<path>.truth.json``; returns the truth rows."""
    return encode_clip(path, frames(width, height, loops), width, height, fps, codec, crf,
                       {"loops": loops, "shots": [s.name for s in STORYBOARD] * loops})
