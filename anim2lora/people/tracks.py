"""One decision per character per shot.

Within a shot a character stays about where it was from one drawing to the next, so the frames
of a shot that show someone in one place show one character: their distances to each named
character are pooled along that track and the name is chosen once.  Twenty looks at one face in
twenty poses outvote the one drawing where it blinked or turned away; a cut starts new tracks.
"""

from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from .boxes import Rect

STEP = 0.75           # a track goes on while its head moves less than this many head widths a frame


def _centre(r: Rect) -> Tuple[float, float, float]:
    return (r[0] + r[2]) / 2, (r[1] + r[3]) / 2, max(1.0, r[2] - r[0])


def tracks(frames: Sequence[Sequence[Rect]]) -> List[List[Tuple[int, int]]]:
    """Tracks through consecutive frames of one shot: lists of (frame position, character
    position).  ``frames``: per frame, the rect that places each character (its head where found)."""
    open_: List[List[Tuple[int, int]]] = []
    done: List[List[Tuple[int, int]]] = []
    for f, rects in enumerate(frames):
        claimed, still = set(), []
        for t in open_:
            pf, pc = t[-1]
            px, py, pw = _centre(frames[pf][pc])
            best, near = None, STEP
            for c, r in enumerate(rects):
                if c in claimed:
                    continue
                x, y, w = _centre(r)
                d = np.hypot(x - px, y - py) / max(pw, w)
                if d < near and 0.5 < w / pw < 2.0:
                    best, near = c, d
            if best is None:
                done.append(t)
            else:
                claimed.add(best)
                t.append((f, best))
                still.append(t)
        open_ = still + [[(f, c)] for c in range(len(rects)) if c not in claimed]
    return done + open_


def pooled(distances: Sequence[np.ndarray], places: Sequence[Sequence[Rect]]) -> List[np.ndarray]:
    """Per frame, its characters' distance rows replaced by the mean along their track
    (``distances``: per frame, [characters, names])."""
    out = [np.array(d, np.float32, copy=True) for d in distances]
    for t in tracks(places):
        if len(t) < 2:
            continue
        mean = np.mean([distances[f][c] for f, c in t], axis=0)
        for f, c in t:
            out[f][c] = mean
    return out


def by_shot(rows: Sequence[dict]) -> Dict[Optional[object], List[int]]:
    """Positions of ``rows`` per run of one shot, in order (a row without a shot is its own run)."""
    runs: Dict[object, List[int]] = {}
    last, key = object(), 0
    for i, r in enumerate(rows):
        shot = r.get("shot")
        if shot is None or shot != last:
            key += 1
        last = shot
        runs.setdefault(key, []).append(i)
    return runs
