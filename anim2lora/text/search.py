"""Finding text in a frame without running the reader over every pixel of every frame.

Two savings, both measured in ``bench/text_filter.py``:

1. A quick look first.  The detector alone runs on a shrunken copy, scaled so the smallest text
   the rules accept is still about ``GATE_TEXT_PX`` pixels tall; the reader (detector again plus
   recogniser) then runs only on crops around what the quick look found.  Thresholds of the
   quick look are lower than the reader's, so it errs towards looking.
2. Within a shot, only what changed.  Animation holds its backgrounds and subtitles while a
   character moves, so a frame is compared with the shot's previous frame: reads that lie wholly
   in unchanged pixels are carried over, and only the changed areas are looked at again.
"""

from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple

import numpy as np

from .backends import OcrBackend, TextBox, quad_rect
from .rules import rect

GATE_TEXT_PX = 10          # the detector still finds text lines this tall
CHANGE_LEVEL = 24          # grey-level step that counts as a change (above codec noise)
NO_GATE_SCALE = 0.7       # above this the quick look is skipped and areas are read directly
REDO_SHARE = 0.5           # changed or candidate area above this share: treat as a new picture
Rect = Tuple[int, int, int, int]


@dataclass
class Found:
    reads: List[TextBox]
    looked: float          # share of the frame's area the detector looked at
    how: str               # "full" | "quick" | "changes" | "same"


def gate_scale(height: int, min_text_height: float) -> float:
    return float(np.clip(GATE_TEXT_PX / max(1.0, min_text_height * height), 0.25, 1.0))


def _merge(rects: List[Rect]) -> List[Rect]:
    """Union overlapping rectangles until none overlap, so no pixel is read twice."""
    rects = list(rects)
    merged = True
    while merged:
        merged = False
        out: List[Rect] = []
        for r in rects:
            for k, o in enumerate(out):
                if r[0] < o[2] and o[0] < r[2] and r[1] < o[3] and o[1] < r[3]:
                    out[k] = (min(r[0], o[0]), min(r[1], o[1]), max(r[2], o[2]), max(r[3], o[3]))
                    merged = True
                    break
            else:
                out.append(r)
        rects = out
    return rects


def _area(rects: Sequence[Rect]) -> int:
    return sum((r[2] - r[0]) * (r[3] - r[1]) for r in rects)


def _pad(r, pad_x: float, pad_y: float, w: int, h: int) -> Rect:
    return (max(0, int(r[0] - pad_x)), max(0, int(r[1] - pad_y)),
            min(w, int(np.ceil(r[2] + pad_x))), min(h, int(np.ceil(r[3] + pad_y))))


def _shift(box: TextBox, dx: int, dy: int) -> TextBox:
    return TextBox(tuple((x + dx, y + dy) for x, y in box.quad), box.text, box.score)


def changed_rects(grey: np.ndarray, prev: np.ndarray, pad: int) -> List[Rect]:
    """Padded bounding boxes of the areas where ``grey`` differs from ``prev``."""
    import cv2

    h, w = grey.shape
    step = 4            # judge changes on a 4x smaller mask: a text line is taller than that
    diff = cv2.absdiff(grey, prev)
    # x255 so one changed pixel still leaves a non-zero mean in its 4x4 block
    small = cv2.resize((diff > CHANGE_LEVEL).astype(np.uint8) * 255, (max(1, w // step), max(1, h // step)),
                       interpolation=cv2.INTER_AREA)
    n, _, stats, _ = cv2.connectedComponentsWithStats((small > 0).astype(np.uint8), connectivity=8)
    rects = [(x * step, y * step, (x + bw) * step, (y + bh) * step) for x, y, bw, bh, _ in stats[1:n]]
    return _merge([_pad(r, pad, pad, w, h) for r in rects])


class TextSearch:
    """Per-frame text search with one backend; ``find`` is called in frame order within a shot."""

    def __init__(self, backend: OcrBackend, min_text_height: float, fast: bool = True):
        self.backend = backend
        self.min_text_height = min_text_height
        self.fast = fast

    def find(self, bgr: np.ndarray, grey: np.ndarray, prev: Optional[Tuple[np.ndarray, List[TextBox]]]) -> Found:
        """Text boxes in ``bgr``; ``prev`` is the shot's previous (grey, reads), if any."""
        if not self.fast:
            return Found(self.backend.read(bgr), 1.0, "full")
        h, w = grey.shape
        line = max(4, int(self.min_text_height * h))
        if prev is not None and prev[0].shape == grey.shape:
            areas = changed_rects(grey, prev[0], pad=2 * line)
            if not areas:
                return Found(list(prev[1]), 0.0, "same")
            if _area(areas) <= REDO_SHARE * w * h:
                touched = [b for b in prev[1] if any(_overlaps(rect(b), a) for a in areas)]
                kept = [b for b in prev[1] if b not in touched]
                found = self._look(bgr, areas, line, also=[rect(b) for b in touched])
                return Found(kept + found.reads, found.looked, "changes")
        return self._look(bgr, [(0, 0, w, h)], line)

    def _look(self, bgr: np.ndarray, areas: Sequence[Rect], line: int, also: Sequence = ()) -> Found:
        """Quick look in ``areas``, then read around what it found and around ``also`` (earlier
        reads a change touched, so a line is read whole even where only part of it changed)."""
        h, w = bgr.shape[:2]
        scale = gate_scale(h, self.min_text_height)
        candidates: List[Rect] = [_pad(r, 2 * line, line, w, h) for r in also]
        if scale > NO_GATE_SCALE:     # small frames: a quick look would cost as much as reading
            return self._read_in(bgr, _merge(candidates + list(areas)), _area(areas) / (w * h))
        for a in areas:
            crop = bgr[a[1]:a[3], a[0]:a[2]]
            side = max(32, int(round(max(crop.shape[:2]) * scale)))
            for q in self.backend.detect(crop, side):
                x0, y0, x1, y1 = quad_rect(q)
                candidates.append(_pad((x0 + a[0], y0 + a[1], x1 + a[0], y1 + a[1]), 2 * line, line, w, h))
        return self._read_in(bgr, _merge(candidates), _area(areas) / (w * h))

    def _read_in(self, bgr: np.ndarray, regions: List[Rect], looked: float) -> Found:
        h, w = bgr.shape[:2]
        if _area(regions) > REDO_SHARE * w * h:
            regions = [(0, 0, w, h)]
        reads: List[TextBox] = []
        for c in regions:
            reads += [_shift(b, c[0], c[1]) for b in self.backend.read(bgr[c[1]:c[3], c[0]:c[2]])]
        return Found(reads, looked, "quick")


def _overlaps(r, a: Rect) -> bool:
    return r[0] < a[2] and a[0] < r[2] and r[1] < a[3] and a[1] < r[3]
