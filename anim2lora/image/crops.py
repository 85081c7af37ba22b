"""Rectangles cut out of a picture in whole pixels, never past its edges: a text line for the OCR,
a character for its identity, the margin around text to paint out."""

from typing import Tuple

import numpy as np


def grown_rect(r, pad_x: float, pad_y: float) -> Tuple[int, int, int, int]:
    """``r`` grown by the pads, in whole pixels, running past the picture's edges where it does."""
    return (int(np.floor(r[0] - pad_x)), int(np.floor(r[1] - pad_y)),
            int(np.ceil(r[2] + pad_x)), int(np.ceil(r[3] + pad_y)))


def pad_rect(r, pad_x: float, pad_y: float, w: int, h: int) -> Tuple[int, int, int, int]:
    """``r`` grown by the pads, in whole pixels, clipped to a ``w`` x ``h`` image."""
    x0, y0, x1, y1 = grown_rect(r, pad_x, pad_y)
    return max(0, x0), max(0, y0), min(w, x1), min(h, y1)


def padded_crop(bgr: np.ndarray, rect, pad: float) -> np.ndarray:
    """``rect`` grown by ``pad`` (a share of its own width and height) on every side and cut out."""
    h, w = bgr.shape[:2]
    x0, y0, x1, y1 = pad_rect(rect, (rect[2] - rect[0]) * pad, (rect[3] - rect[1]) * pad, w, h)
    return np.ascontiguousarray(bgr[y0:y1, x0:x1])
