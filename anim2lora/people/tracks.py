"""One decision per character per shot.

Within a shot a character stays about where it was from one drawing to the next, and looks like
itself: the frames of a shot that show someone in one place, looking alike, show one character.
Their distances to each named character are pooled along that track and the name is chosen once.
Twenty looks at one face in twenty poses outvote the one drawing where it blinked or turned away,
and a stranger stays a stranger for the whole shot.  A cut starts new tracks, and so does a head
that no longer looks like the last one in its place: a cut the shot detection missed (two shots
framed alike, line art on white) must not pool one character's drawings with another's.
"""

from typing import Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np

from .boxes import Rect

STEP = 0.75           # a track goes on while its head moves less than this many head widths a frame
# and while it looks like its last drawing: nearer than this share of the distance that names a
# character.  Chosen on the development set's tune half (features embedder, threshold 0.38): one
# character's consecutive drawings lay at 0.02-0.09 (a few turns of the head 0.13-0.41), another
# character in the same place after a missed cut at 0.25-0.31 in line art and 0.41-0.52 in colour
LOOK = 0.6

Same = Callable[[Tuple[int, int], Tuple[int, int]], bool]


def _centre(r: Rect) -> Tuple[float, float, float]:
    return (r[0] + r[2]) / 2, (r[1] + r[3]) / 2, max(1.0, r[2] - r[0])


def _moved(a: Rect, b: Rect) -> float:
    """How far ``b`` lies from ``a`` in head widths; inf when their sizes differ twofold or more
    (not one character drawn at one scale)."""
    ax, ay, aw = _centre(a)
    bx, by, bw = _centre(b)
    return float(np.hypot(bx - ax, by - ay) / max(aw, bw)) if 0.5 < bw / aw < 2.0 else float("inf")


def tracks(frames: Sequence[Sequence[Rect]], same: Optional[Same] = None) -> List[List[Tuple[int, int]]]:
    """Tracks through consecutive frames of one shot: lists of (frame position, character
    position).  ``frames``: per frame, the rect that places each character (its head where found).
    ``same(last, this)``, each a (frame, character) position: whether the two look like one
    character (None: place and size alone decide)."""
    open_: List[List[Tuple[int, int]]] = []
    done: List[List[Tuple[int, int]]] = []
    for f, rects in enumerate(frames):
        claimed, still = set(), []
        for t in open_:
            pf, pc = t[-1]
            best, near = None, STEP
            for c, r in enumerate(rects):
                if c in claimed:
                    continue
                d = _moved(frames[pf][pc], r)
                if d < near and (same is None or same((pf, pc), (f, c))):
                    best, near = c, d
            if best is None:
                done.append(t)
            else:
                claimed.add(best)
                t.append((f, best))
                still.append(t)
        open_ = still + [[(f, c)] for c in range(len(rects)) if c not in claimed]
    return done + open_


def _near(a: Rect, b: Rect, steps: float) -> bool:
    return _moved(a, b) < steps * STEP


def lost(frames: Sequence[Sequence[Rect]], same: Optional[Same] = None) -> List[int]:
    """Frame positions of one shot where a character found in the place it holds in the frames
    just before and just after (looking alike there) is not found: the detector missed it in
    that drawing, so the frame shows someone its names leave out.  A character just after that
    goes on from one found here is accounted for: the one before has moved on or was someone
    else (a cut the shot detection missed puts the next shot's character, by chance, near where
    the last shot's stood), and nobody went missing."""
    out = []
    for f in range(1, len(frames) - 1):
        shown = _continued(frames, f, same)
        for c, before in enumerate(frames[f - 1]):
            held = [e for e, after in enumerate(frames[f + 1]) if e not in shown and _near(before, after, 2)
                    and (same is None or same((f - 1, c), (f + 1, e)))]
            if held and not any(_near(before, here, 1) for here in frames[f]):
                out.append(f)
                break
    return out


def _continued(frames: Sequence[Sequence[Rect]], f: int, same: Optional[Same]) -> set:
    """Positions in frame ``f + 1`` of the characters that go on from one found in frame ``f``:
    each one's nearest within a step, looking alike."""
    out = set()
    for c, here in enumerate(frames[f]):
        near = [(_moved(here, after), e) for e, after in enumerate(frames[f + 1])
                if _near(here, after, 1) and (same is None or same((f, c), (f + 1, e)))]
        if near:
            out.add(min(near)[1])
    return out


def pooled(distances: Sequence[np.ndarray], places: Sequence[Sequence[Rect]],
           same: Optional[Same] = None) -> List[np.ndarray]:
    """Per frame, its characters' distance rows replaced by the mean along their track
    (``distances``: per frame, [characters, names]; ``same``: as for ``tracks``)."""
    out = [np.array(d, np.float32, copy=True) for d in distances]
    for t in tracks(places, same):
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
