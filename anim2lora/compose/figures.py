"""A character cut out of a solo frame onto white paper, with its head found by the counting
stage's own detector and rules, so two of them can be matched in scale by head height.

The cut-out is the character's silhouette: what differs from the frame's background colours and
its dark lines (the offline detector's own masks), joined, holes filled, inside the character's
box.  A character the frame cuts at a side or at the top is no source (its cut edge would stand
in the middle of a composed picture); one cut at the bottom (a waist-up shot) stands on the
composed picture's bottom edge.
"""

from dataclasses import dataclass
from typing import Tuple, Union

import numpy as np

from ..image.masks import background_colours, dark_ink, foreground
from ..people.boxes import Rect, inside_share
from ..people.detectors import Detector
from ..people.rules import CHARACTER, count
from ..people.settings import CountSettings

JOIN = 0.015          # strokes of one body closer than this share of the frame height join (the ink detector's)
EDGE = 0.01           # a silhouette this near a frame edge (share of the height) is cut by it
PAD = 0.06            # the character's box grown by this share before its silhouette is looked for
PAPER = np.array([[255, 255, 255]], np.int32)    # a cut-out's background colour


@dataclass
class Figure:
    name: str
    pixels: np.ndarray        # BGR: the character on white, cut to its silhouette's box
    mask: np.ndarray          # bool, same size: the character's own pixels
    head: Rect                # its head, in ``pixels``' coordinates
    bottom_cut: bool          # the frame cut it at the bottom: it stands on the picture's bottom edge
    source: str               # the frame file it came from
    frame_height: int

    @property
    def head_height(self) -> float:
        return self.head[3] - self.head[1]


def silhouette(bgr: np.ndarray, rect: Rect) -> np.ndarray:
    """The character in ``rect`` as a bool mask over the whole frame (empty when nothing is there)."""
    import cv2

    h, w = bgr.shape[:2]
    colours = background_colours(bgr)
    marks = foreground(bgr, colours)              # its lines and fills, without long straight scenery lines
    x0, y0, x1, y1 = rect
    px, py = PAD * (x1 - x0), PAD * (y1 - y0)
    region = np.zeros((h, w), np.uint8)
    region[max(0, int(y0 - py)):min(h, int(np.ceil(y1 + py))), max(0, int(x0 - px)):min(w, int(np.ceil(x1 + px)))] = 1
    marks = marks * region
    r = max(1, round(JOIN * h))
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1))
    joined = cv2.dilate(marks, kernel)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(joined, connectivity=8)
    keep = np.zeros((h, w), np.uint8)
    for label in range(1, n):
        x, y, bw, bh, _ = stats[label]
        if inside_share((x, y, x + bw, y + bh), rect) >= 0.5:     # the character's, not scenery reaching in
            keep[labels == label] = 255
    contours, _ = cv2.findContours(keep, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    cv2.drawContours(keep, contours, -1, 255, cv2.FILLED)          # a line-art face is an empty outline
    solid = cv2.erode(keep, kernel) | (marks & keep)                 # the joining taken back, every stroke kept
    return cv2.dilate(solid, np.ones((3, 3), np.uint8)) > 0         # the outline's soft edge


def cut_figure(bgr: np.ndarray, rect: Rect, name: str, source: str, detector: Detector,
               counting: CountSettings) -> Union[Figure, str]:
    """The character in ``rect`` of a solo frame, or why it cannot be one (a short reason)."""
    h, w = bgr.shape[:2]
    mask = silhouette(bgr, rect)
    if not mask.any():
        return "nothing in its box"
    ys, xs = np.nonzero(mask)
    x0, y0, x1, y1 = int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1
    margin = EDGE * h
    if x0 <= margin or x1 >= w - margin or y0 <= margin:
        return "cut by the frame's side or top"
    clean = np.where(mask[..., None], bgr, 255).astype(np.uint8)
    head = _one_head(clean, detector, counting)
    if isinstance(head, str):
        return head
    pixels = np.ascontiguousarray(clean[y0:y1, x0:x1])
    hx0, hy0, hx1, hy1 = head
    return Figure(name, pixels, mask[y0:y1, x0:x1].copy(), (hx0 - x0, hy0 - y0, hx1 - x0, hy1 - y0),
                  y1 >= h - margin, source, h)


def _one_head(clean: np.ndarray, detector: Detector, counting: CountSettings) -> Union[Rect, str]:
    """The head of the one character on ``clean`` (a frame with all else white), by the count
    stage's detector and rules."""
    c = count(detector.detect(clean), clean.shape[1], clean.shape[0], counting.rules, (), detector.has_heads,
              detector.has_faces)
    people = [j for j in c.boxes if j.label == CHARACTER]
    if len(people) != 1 or c.n != 1:
        return f"{c.n} characters found in the cut-out"
    if people[0].head is None:
        return "no head found in the cut-out"
    return tuple(float(v) for v in people[0].head)


def scaled(fig: Figure, scale: float, mirror: bool) -> Tuple[np.ndarray, np.ndarray, Rect]:
    """``fig``'s pixels, mask and head at ``scale`` (never above 1: enlarging thickens lines),
    mirrored left to right when asked."""
    import cv2

    h, w = fig.mask.shape
    nw, nh = max(1, round(w * scale)), max(1, round(h * scale))
    pixels = fig.pixels if (nw, nh) == (w, h) else crisp_resize(fig.pixels, (nw, nh))
    mask = cv2.resize(fig.mask.astype(np.uint8), (nw, nh), interpolation=cv2.INTER_NEAREST) > 0
    hx0, hy0, hx1, hy1 = (v * scale for v in fig.head)
    if mirror:
        pixels, mask = pixels[:, ::-1], mask[:, ::-1]
        hx0, hx1 = nw - hx1, nw - hx0
    return np.ascontiguousarray(pixels), np.ascontiguousarray(mask), (hx0, hy0, hx1, hy1)


def crisp_resize(bgr: np.ndarray, size: Tuple[int, int]) -> np.ndarray:
    """``bgr`` made smaller with its dark lines kept crisp: a plain area resize turns a line's
    edges grey, and line extraction reads grey edges as ink, so a shrunk figure's lines would come
    out as thick as the full-size figure's (the write-up's thick, muddy lines).  Here an output
    pixel is ink, in the ink's own colour, when ink covers at least half of it; elsewhere it takes
    the colours around the lines (the lines and their soft edges painted over with their surroundings
    first)."""
    import cv2

    ink = dark_ink(bgr, PAPER) > 0
    if not ink.any():
        return cv2.resize(bgr, size, interpolation=cv2.INTER_AREA)
    rim = cv2.dilate(ink.astype(np.uint8), np.ones((3, 3), np.uint8))    # the lines' soft edges go with them
    around = cv2.inpaint(bgr, rim, 3, cv2.INPAINT_TELEA)
    cover = cv2.resize(ink.astype(np.float32), size, interpolation=cv2.INTER_AREA)
    colour = cv2.resize(bgr.astype(np.float32) * ink[..., None], size, interpolation=cv2.INTER_AREA)
    colour /= np.maximum(cover, 1e-6)[..., None]
    base = cv2.resize(around, size, interpolation=cv2.INTER_AREA)
    return np.where((cover >= 0.5)[..., None], colour.clip(0, 255).round(), base).astype(np.uint8)
