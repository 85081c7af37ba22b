"""Finding text in a frame without running the detector over every pixel of every frame.

Two savings, both measured in ``bench/text_filter.py``:

1. A quick look.  The detector runs on a shrunken copy, scaled so the smallest text the rules
   accept is still about ``GATE_TEXT_PX`` pixels tall, with lower thresholds than usual so it errs
   towards finding, and only over the box around the frame's ink (flat background holds no
   text).  The recogniser then reads the lines it found from the full-size frame.  Frames too
   small to shrink are read directly.
2. Within a shot, only what changed.  Animation holds its backgrounds and subtitles while a
   character moves, so a frame is compared with the shot's picture as last looked at: reads
   that lie wholly in unchanged pixels are carried over, and only the changed areas are looked
   at again.
"""

from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple

import numpy as np

from ..image.crops import pad_rect
from .backends import OcrBackend, TextBox
from .rules import boxlike, rect, thickness

GATE_TEXT_PX = 10       # the detector still finds text lines this tall
INK_EDGE = 16           # a local contrast step this big is ink, not flat colour or codec noise
CHANGE_LEVEL = 24       # a step in any colour channel this big counts as a change (above codec noise)
NO_GATE_SCALE = 0.7     # above this the quick look is skipped and areas are read directly
READ_MAX = 0.5          # taller quick-look boxes are figures, never read (max_text_height's top)
PROMISING_SCORE = 0.3   # quick reads at least this confident are read again at full size,
SURE_SCORE = 0.9        # unless they are this confident already
REDO_SHARE = 0.5        # changed or candidate area above this share: treat as a new picture
Rect = Tuple[int, int, int, int]


@dataclass
class Found:
    reads: List[TextBox]
    looked: float          # the detector's work, as a share of one full-size pass over the frame
    how: str               # "full" | "read" | "quick" | "changes" | "same"
    reference: Optional[np.ndarray] = None   # the shot's picture as last looked at, for the next frame


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


def _shift(box: TextBox, dx: int, dy: int) -> TextBox:
    return TextBox(tuple((x + dx, y + dy) for x, y in box.quad), box.text, box.score)


def _component_rects(mask: np.ndarray, step: int, pad: int, w: int, h: int) -> List[Rect]:
    """Padded, merged bounding boxes (in full-size pixels) of the blobs of a ``step``-times smaller mask."""
    import cv2

    n, _, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    rects = [(x * step, y * step, (x + bw) * step, (y + bh) * step) for x, y, bw, bh, _ in stats[1:n]]
    return _merge([pad_rect(r, pad, pad, w, h) for r in rects])


def ink_rects(picture: np.ndarray, pad: int) -> List[Rect]:
    """Where the frame has any ink at all.  Flat background (sky, walls, paper) holds no text,
    and in line art it is often most of the frame."""
    import cv2

    h, w = picture.shape[:2]
    step = 4
    # per colour channel: yellow text on a sky of the same brightness is ink too
    edges = _channel_max(cv2.morphologyEx(picture, cv2.MORPH_GRADIENT, np.ones((3, 3), np.uint8))) > INK_EDGE
    rects = _component_rects(_shrink_mask(edges, step), step, pad, w, h)
    if len(rects) > 3:     # each look has a fixed cost: many small ones are dearer than their union
        rects = [(min(r[0] for r in rects), min(r[1] for r in rects), max(r[2] for r in rects),
                  max(r[3] for r in rects))]
    return rects


def changed_rects(picture: np.ndarray, prev: np.ndarray, pad: int) -> List[Rect]:
    """Padded bounding boxes of the areas where ``picture`` differs from ``prev``."""
    import cv2

    h, w = picture.shape[:2]
    step = 4            # judge changes on a 4x smaller mask: a text line is taller than that
    changed = _channel_max(cv2.absdiff(picture, prev)) > CHANGE_LEVEL
    return _component_rects(_shrink_mask(changed, step), step, pad, w, h)


def _channel_max(image: np.ndarray) -> np.ndarray:
    return image.max(axis=2) if image.ndim == 3 else image


def _shrink_mask(mask: np.ndarray, step: int) -> np.ndarray:
    """A ``step``-times smaller mask, true wherever any pixel of its block is (x255 so that one
    pixel still leaves a non-zero block mean)."""
    import cv2

    h, w = mask.shape
    small = cv2.resize(mask.astype(np.uint8) * 255, (max(1, w // step), max(1, h // step)),
                       interpolation=cv2.INTER_AREA)
    return small > 0


class TextSearch:
    """Per-frame text search with one backend; ``find`` is called in frame order within a shot."""

    def __init__(self, backend: OcrBackend, min_text_height: float, fast: bool = True):
        self.backend = backend
        self.min_text_height = min_text_height
        self.fast = fast

    def find(self, bgr: np.ndarray, picture: np.ndarray, prev: Optional[Tuple[np.ndarray, List[TextBox]]]) -> Found:
        """Text boxes in ``bgr``.  ``prev`` is (reference, reads) from the shot's previous frame:
        the reference holds, for every pixel, its value when it was last looked at, so a change
        too slow to notice between two frames (a subtitle fading in) still adds up to one."""
        if not self.fast:
            return Found(self.backend.read(bgr), 1.0, "full", picture)
        h, w = picture.shape[:2]
        line = max(4, int(self.min_text_height * h))
        if prev is not None and prev[0].shape == picture.shape:
            reference, reads = prev
            areas = changed_rects(picture, reference, pad=2 * line)
            if not areas:
                return Found(list(reads), 0.0, "same", reference)
            if _area(areas) <= REDO_SHARE * w * h:
                touched = [b for b in reads if any(_overlaps(rect(b), a) for a in areas)]
                kept = [b for b in reads if b not in touched]
                found = self._look(bgr, areas, line, also=[rect(b) for b in touched])
                updated = reference.copy()
                for x0, y0, x1, y1 in areas:
                    updated[y0:y1, x0:x1] = picture[y0:y1, x0:x1]
                return Found(_drop_pieces(kept + found.reads), found.looked, "changes", updated)
        found = self._look(bgr, ink_rects(picture, pad=2 * line) or [(0, 0, w, h)], line)
        found.reference = picture
        return found

    def _look(self, bgr: np.ndarray, areas: Sequence[Rect], line: int, also: Sequence = ()) -> Found:
        """Look for text in ``areas`` and around ``also`` (earlier reads a change touched, so a
        line is read whole even where only part of it changed)."""
        h, w = bgr.shape[:2]
        looked = _area(areas) / (w * h)
        lines = [pad_rect(r, 2 * line, line, w, h) for r in also]
        scale = gate_scale(h, self.min_text_height)
        if scale > NO_GATE_SCALE:     # small frames: a quick look would cost as much as reading
            return self._read_in(bgr, _merge(list(areas) + lines))
        # each earlier line is looked at on its own: joined to a changed area, the quick look can
        # merge the line with the drawing next to it into one box too big to be text
        areas = list(areas) + lines
        quads = []
        for a in areas:
            crop = bgr[a[1]:a[3], a[0]:a[2]]
            side = max(32, int(round(max(crop.shape[:2]) * scale)))
            quads += [tuple((x + a[0], y + a[1]) for x, y in q) for q in self.backend.detect(crop, side)]
        # only lines of a plausible height are worth the recogniser; the rest stay, unread, so
        # the report counts them as drawing
        low, high = 0.7 * self.min_text_height * h, READ_MAX * h
        plausible = [q for q in quads if low <= thickness(q) <= high]
        unread = [TextBox(q) for q in quads if not low <= thickness(q) <= high]
        quick = self.backend.recognize(bgr, plausible)
        # A quick-look box can join a small line to the drawing beside it ("□ CAFE" with a row of
        # windows); what reads as more than box-like glyphs, but not surely, is read again at full
        # size, tightly.  A sure read (most subtitles) stands as it is.
        promising = [b for b in quick if PROMISING_SCORE <= b.score < SURE_SCORE and not boxlike(b.text)]
        regions = _merge([pad_rect(rect(b), line, 0.5 * line, w, h) for b in promising])
        again = self._read_in(bgr, regions) if regions else Found([], 0.0, "read")
        rest = [b for b in quick if b not in promising]
        return Found(_drop_pieces(rest + unread + again.reads), looked * scale * scale + again.looked, "quick")

    def _read_in(self, bgr: np.ndarray, regions: List[Rect]) -> Found:
        h, w = bgr.shape[:2]
        if _area(regions) > REDO_SHARE * w * h:
            regions = [(0, 0, w, h)]
        reads: List[TextBox] = []
        for c in regions:
            reads += [_shift(b, c[0], c[1]) for b in self.backend.read(bgr[c[1]:c[3], c[0]:c[2]])]
        return Found(reads, _area(regions) / (w * h), "read")


def _drop_pieces(boxes: List[TextBox]) -> List[TextBox]:
    """Without the boxes that lie mostly inside a larger one of the same height: an area's edge
    can cut a line, and the piece read there is the same text as the whole line."""
    def size(r):
        return max(0.0, r[2] - r[0]) * max(0.0, r[3] - r[1])

    rects = [rect(b) for b in boxes]
    keep = []
    for i, (b, r) in enumerate(zip(boxes, rects)):
        inside = False
        for j, o in enumerate(rects):
            if j == i or size(o) < size(r) or (size(o) == size(r) and j > i):
                continue
            if not 0.7 < thickness(boxes[j].quad) / max(1e-6, thickness(b.quad)) < 1.4:
                continue          # a piece of a line is as tall as the line; a figure's box is not
            common = (min(r[2], o[2]) - max(r[0], o[0]), min(r[3], o[3]) - max(r[1], o[1]))
            if common[0] > 0 and common[1] > 0 and common[0] * common[1] >= 0.6 * size(r):
                inside = True
                break
        if not inside:
            keep.append(b)
    return keep


def _overlaps(r, a: Rect) -> bool:
    return r[0] < a[2] and a[0] < r[2] and r[1] < a[3] and a[1] < r[3]
