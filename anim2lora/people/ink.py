"""The offline detector: characters as blobs of ink on a flat background, heads as the bumps on
their top outline.  No model, no download.

It suits what hand-drawn animation mostly is: dark lines (or flat fills) on a plain or flatly
painted background.  It fails on painted or photographic backgrounds (scenery becomes blobs),
on characters that touch scenery lines it cannot tell from the frame's long straight lines, and
on heads hidden behind raised arms (no bump); the ONNX detectors handle those.
"""

from typing import List, Sequence, Tuple

import numpy as np

from .boxes import Box, Rect, area, inside_share

WORK_HEIGHT = 360          # analysed at this height: blobs are large, detail is not needed
BG_TOLERANCE = 40          # colour distance (max over channels) still counted as background
LINE_SPAN = 0.3            # straight runs longer than this share of the frame are scenery lines
CLOSE = 0.015              # strokes of one body closer than this share of the height join up
MIN_BLOB = 0.05            # smaller blobs (share of the height) are specks
BUMP = 0.035               # a head stands at least this share of the height above its neighbours
HEAD_WIDTH = 0.04          # and is at least this wide (a raised finger is not a head)
SMALL_PART = 0.15          # a blob this small (share of a body's box) inside that box is part of it
VALLEY = 0.09             # bumps with a shallower dip between them are one head (spiky hair, ears)
HEAD_ZONE = 0.4            # heads sit in the upper part of a body: lower bumps are hands, feet, props


def _background_colours(small: np.ndarray) -> np.ndarray:
    """The flat colours that cover the frame's border: sky and floor, paper, a painted wall."""
    border = np.concatenate([small[0], small[-1], small[:, 0], small[:, -1]]).astype(np.int32)
    keys, counts = np.unique(border // 16, axis=0, return_counts=True)
    common = keys[counts >= 0.1 * len(border)]
    colours = [np.median(border[(border // 16 == k).all(axis=1)], axis=0) for k in common]
    return np.array(colours or [np.median(border, axis=0)], np.int32)


def foreground(small: np.ndarray) -> np.ndarray:
    """Pixels unlike every background colour, without long straight scenery lines."""
    import cv2

    h, w = small.shape[:2]
    pix = small.astype(np.int32)
    fg = np.ones((h, w), bool)
    for colour in _background_colours(small):
        fg &= np.abs(pix - colour).max(axis=2) > BG_TOLERANCE
    mask = fg.astype(np.uint8) * 255
    lines = cv2.morphologyEx(mask, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (int(w * LINE_SPAN), 1)))
    lines |= cv2.morphologyEx(mask, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (1, int(h * LINE_SPAN))))
    # a character standing on the floor line keeps its feet: only the line's own pixels go
    return cv2.subtract(mask, cv2.dilate(lines, np.ones((3, 3), np.uint8)))


def _bumps(top: np.ndarray, min_rise: float, min_width: float) -> List[Tuple[int, int, int]]:
    """Head candidates on a top outline (row of the topmost ink per column, larger = lower):
    (start, end, peak column) of every run that rises ``min_rise`` above the outline on both
    sides and is at least ``min_width`` wide at that depth."""
    n = len(top)
    taken = np.zeros(n, bool)
    found = []
    for peak in np.argsort(top, kind="stable"):
        if taken[peak] or not np.isfinite(top[peak]):
            continue
        level = top[peak] + min_rise
        lo = hi = peak
        while lo > 0 and top[lo - 1] <= level:
            lo -= 1
        while hi < n - 1 and top[hi + 1] <= level:
            hi += 1
        # a run reaching a higher peak's run is that peak's shoulder, not a head of its own
        shoulder = taken[lo:hi + 1].any()
        taken[lo:hi + 1] = True
        if not shoulder and hi - lo + 1 >= min_width:
            found.append((int(lo), int(hi), int(peak)))
    return found


def detect_ink(bgr: np.ndarray, ignore: Sequence[Rect] = ()) -> List[Box]:
    """Person boxes (one per ink blob) and head boxes (one per bump on a blob's top outline).
    ``ignore``: rectangles (frame pixels) known to hold text; their ink is left out."""
    import cv2

    h, w = bgr.shape[:2]
    scale = min(1.0, WORK_HEIGHT / h)
    small = bgr if scale == 1.0 else cv2.resize(bgr, (max(1, round(w * scale)), max(1, round(h * scale))),
                                                interpolation=cv2.INTER_AREA)
    sh, sw = small.shape[:2]
    fg = foreground(small)
    for x0, y0, x1, y1 in ignore:
        fg[max(0, int(y0 * scale)):int(np.ceil(y1 * scale)), max(0, int(x0 * scale)):int(np.ceil(x1 * scale))] = 0
    r = max(1, round(CLOSE * sh))
    joined = cv2.dilate(fg, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1)))
    count, labels, stats, _ = cv2.connectedComponentsWithStats(joined, connectivity=8)
    blobs = []
    for label in range(1, count):
        x, y, bw, bh, _ = stats[label]
        if max(bw, bh) >= MIN_BLOB * sh:
            blobs.append((bw * bh, label, (x, y, x + bw, y + bh)))
    blobs.sort(reverse=True)
    boxes: List[Box] = []
    bodies: List[Rect] = []
    for _, label, rect in blobs:
        # small strokes inside a bigger body's outline (eyes in a head, a button) belong to it
        if any(inside_share(rect, body) > 0.8 and area(rect) < SMALL_PART * area(body) for body in bodies):
            continue
        x, y, x1, y1 = rect
        ink = (labels[y:y1, x:x1] == label) & (fg[y:y1, x:x1] > 0)
        rows, cols = np.nonzero(ink)
        if rows.size == 0:
            continue
        body = (x + cols.min(), y + rows.min(), x + cols.max() + 1, y + rows.max() + 1)
        bodies.append(body)
        boxes.append(Box("person", tuple(v / scale for v in body), 1.0))
        boxes.extend(_heads(ink, x, y, sh, scale))
    return boxes

def _heads(ink: np.ndarray, x: int, y: int, frame_h: int, scale: float) -> List[Box]:
    has = ink.any(axis=0)
    top = np.where(has, ink.argmax(axis=0), np.inf).astype(np.float64)
    k = max(1, round(0.01 * frame_h))
    if np.isfinite(top).sum() > k:     # smooth out stroke jitter and the gaps between spikes
        filled = np.where(np.isfinite(top), top, top[np.isfinite(top)].max())
        top = np.where(has, np.convolve(np.pad(filled, k, mode="edge"), np.ones(2 * k + 1) / (2 * k + 1), "valid"), np.inf)
    heads = []
    body_top, body_h = top[np.isfinite(top)].min(), ink.shape[0]
    for lo, hi, peak in _merge_close(_bumps(top, BUMP * frame_h, HEAD_WIDTH * frame_h), top, VALLEY * frame_h):
        width = hi - lo + 1
        y0 = top[peak]
        if y0 - body_top > HEAD_ZONE * body_h:
            continue
        heads.append(Box("head", ((x + lo) / scale, (y + y0) / scale, (x + hi + 1) / scale,
                                  (y + y0 + width) / scale), 1.0))
    return heads


def _merge_close(bumps, top: np.ndarray, valley: float):
    """Join neighbouring bumps that the outline barely dips between: one head's hair spikes or
    ears.  Two heads side by side have a neck and shoulders between them."""
    merged = []
    for lo, hi, peak in sorted(bumps):
        if merged:
            plo, phi, ppeak = merged[-1]
            dip = top[phi:lo + 1]
            dip = dip[np.isfinite(dip)]
            if dip.size and dip.max() - max(top[ppeak], top[peak]) < valley:
                merged[-1] = (plo, hi, ppeak if top[ppeak] <= top[peak] else peak)
                continue
        merged.append((lo, hi, peak))
    return merged

