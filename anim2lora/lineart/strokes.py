"""Line pictures: the classical extractor, the stroke-width measure, and kohya's bucket size.

A drawn line is darker than the paper or paint right around it.  The local background is the
picture with every dark thing narrower than a fill closed over (a morphological closing), so
subtracting the picture from it leaves the lines, and flat fills of any colour, a pink wall or a
dress, become white.  No blur and no dilation touch the lines, so a thin stroke stays thin.
"""

from typing import Tuple

import numpy as np

from ..image.masks import background_colours, dark_ink

MAX_STROKE = 0.03         # dark things up to this share of the height across are lines (wider ones are fills)
FAINT, SOLID = 18, 90     # darkness under the local background: below FAINT is paper, from SOLID full black


def lines(bgr: np.ndarray) -> np.ndarray:
    """Dark lines on pure white, one channel uint8, same size."""
    import cv2

    grey = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY) if bgr.ndim == 3 else bgr
    r = max(2, int(round(MAX_STROKE * grey.shape[0])))
    background = cv2.morphologyEx(grey, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1,) * 2))
    dark = background.astype(np.int16) - grey.astype(np.int16)
    ink = np.clip((dark - FAINT) * (255.0 / (SOLID - FAINT)), 0, 255)
    return (255 - ink).astype(np.uint8)


def stroke_width(grey: np.ndarray, dark: int = 128) -> float:
    """Median width in pixels of the strokes darker than ``dark`` (0 with no stroke), to within
    half a pixel: twice the distance from a stroke's middle to its edge, read on the ridge of the
    distance transform (an odd width has a one-pixel ridge one step further from the edge)."""
    ink = grey < dark
    if not ink.any():
        return 0.0
    dist, middle = ridge(ink)
    return float(np.median(2.0 * dist[middle]) - 0.5)


def ridge(ink: np.ndarray):
    """Each ink pixel's distance to the paper, and the strokes' middle lines (where that distance
    peaks), for a boolean ink mask."""
    import cv2

    dist = cv2.distanceTransform(ink.astype(np.uint8), cv2.DIST_L2, 5)
    return dist, (dist >= cv2.dilate(dist, np.ones((3, 3), np.uint8))) & ink


def ink_of(bgr: np.ndarray, colours=None) -> np.ndarray:
    """The BGR picture's own dark lines, black on white, for measuring it before extraction;
    ``colours``: its background colours, when the caller has found them already."""
    colours = background_colours(bgr) if colours is None else colours
    return np.where(dark_ink(bgr, colours) > 0, 0, 255).astype(np.uint8)


def bucket(width: int, height: int, resolution: int) -> Tuple[int, int]:
    """kohya's bucket for a picture: sides in steps of 64 between 256 and 1024 (or the
    resolution, when larger), area at most resolution², the aspect nearest the picture's."""
    top = max(1024, resolution)
    best, aspect = None, width / height
    for w in range(256, top + 1, 64):
        h = min(top, (resolution * resolution // w) // 64 * 64)
        if h < 256:
            continue
        err = abs(np.log((w / h) / aspect))
        if best is None or err < best[0] - 1e-9:
            best = (err, w, h)
    return best[1], best[2]


def fit_bucket(picture: np.ndarray, size: Tuple[int, int]) -> np.ndarray:
    """Sized to fit inside ``size`` (width, height) and padded to it with white around the
    middle: on paper, padding loses nothing, where kohya's crop to its bucket could cut off feet."""
    import cv2

    h, w = picture.shape[:2]
    bw, bh = size
    scale = min(bw / w, bh / h)
    nw, nh = min(bw, max(1, round(w * scale))), min(bh, max(1, round(h * scale)))
    resized = cv2.resize(picture, (nw, nh), interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC)
    top, left = (bh - nh) // 2, (bw - nw) // 2
    return cv2.copyMakeBorder(resized, top, bh - nh - top, left, bw - nw - left, cv2.BORDER_CONSTANT, value=255)
