"""Boxes in frame pixels, and the few geometric tests the counting rules are made of."""

from dataclasses import dataclass, replace
from typing import List, Sequence, Tuple

import numpy as np

Rect = Tuple[float, float, float, float]     # x0, y0, x1, y1


@dataclass(frozen=True)
class Box:
    kind: str                 # person | head | face
    rect: Rect
    score: float = 1.0

    @property
    def width(self) -> float:
        return max(0.0, self.rect[2] - self.rect[0])

    @property
    def height(self) -> float:
        return max(0.0, self.rect[3] - self.rect[1])

    @property
    def area(self) -> float:
        return self.width * self.height

    def to_json(self) -> list:
        return [self.kind, [round(v, 1) for v in self.rect], round(self.score, 4)]

    @classmethod
    def from_json(cls, value) -> "Box":
        kind, rect, score = value
        return cls(kind, tuple(float(v) for v in rect), float(score))

    def scaled(self, sx: float, sy: float) -> "Box":
        x0, y0, x1, y1 = self.rect
        return replace(self, rect=(x0 * sx, y0 * sy, x1 * sx, y1 * sy))


def area(r: Rect) -> float:
    return max(0.0, r[2] - r[0]) * max(0.0, r[3] - r[1])


def intersection(a: Rect, b: Rect) -> float:
    return area((max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3])))


def union(rects: Sequence[Rect]) -> Rect:
    """The smallest box holding all of ``rects``."""
    return (min(r[0] for r in rects), min(r[1] for r in rects), max(r[2] for r in rects), max(r[3] for r in rects))


def cover(a: Rect, b: Rect) -> float:
    """How much of the smaller box the two share: 1 when one holds the other."""
    small = min(area(a), area(b))
    return intersection(a, b) / small if small > 0 else 0.0


def stacked(a: Rect, b: Rect) -> bool:
    """One box stands over the other, touching or nearly (hair over a face, a hat over hair):
    the narrower shares half its width with the wider, and the gap between them is under a
    quarter of the taller one's height."""
    shared = min(a[2], b[2]) - max(a[0], b[0])
    gap = max(a[1], b[1]) - min(a[3], b[3])
    return shared >= 0.5 * min(a[2] - a[0], b[2] - b[0]) and gap <= 0.25 * max(a[3] - a[1], b[3] - b[1])


def inside_share(inner: Rect, outer: Rect) -> float:
    """The share of ``inner`` that lies in ``outer``."""
    a = area(inner)
    return intersection(inner, outer) / a if a > 0 else 0.0


def cut_edges(r: Rect, width: int, height: int, margin: float) -> Tuple[str, ...]:
    """The frame edges ``r`` touches (within ``margin`` pixels): where a body may go on out of view."""
    out = []
    if r[0] <= margin:
        out.append("left")
    if r[1] <= margin:
        out.append("top")
    if r[2] >= width - margin:
        out.append("right")
    if r[3] >= height - margin:
        out.append("bottom")
    return tuple(out)


def nms(boxes: Sequence[Box], iou: float) -> List[Box]:
    """Greedy non-maximum suppression per kind (OpenCV's), best score first."""
    import cv2

    kept: List[Box] = []
    for kind in sorted({b.kind for b in boxes}):
        same = [b for b in boxes if b.kind == kind]
        xywh = [[b.rect[0], b.rect[1], b.width, b.height] for b in same]
        keep = cv2.dnn.NMSBoxes(xywh, [b.score for b in same], 0.0, iou)
        kept.extend(same[i] for i in np.asarray(keep, dtype=int).reshape(-1))
    return sorted(kept, key=lambda b: -b.score)
