"""What happens to a frame with text: dropped, cropped clear of it, or painted over."""

from dataclasses import dataclass
from typing import Optional, Sequence, Tuple

import numpy as np

from ..image.crops import pad_rect

Rect = Tuple[float, float, float, float]
MAX_BAND = 0.35        # never crop away more than this share of the height
INK_LEVEL = 48         # colour distance from the band's background that counts as drawing
INK_SHARE = 2e-4       # more drawing than this share of the band (or any on the cut line): it would be cut
INK_PIXELS = 12


@dataclass(frozen=True)
class Edit:
    action: str                         # "drop" | "crop" | "mask"
    note: str
    crop: Optional[Tuple[int, int, int, int]] = None   # x0, y0, x1, y1 kept


def _line(rects: Sequence[Rect]) -> float:
    return max(r[3] - r[1] for r in rects)


def plan_crop(bgr: np.ndarray, rects: Sequence[Rect]) -> Edit:
    """Cut away the top or bottom band that holds every text box, if the band holds no drawing.

    "The characters stay whole" is checked on pixels: outside the (padded) text boxes, the band
    must be background, so the cut removes text and nothing the LoRA should learn.
    """
    h, w = bgr.shape[:2]
    pad = 0.25 * _line(rects)
    top, bottom = min(r[1] for r in rects), max(r[3] for r in rects)
    if bottom <= h / 2:
        cut = min(h, int(np.ceil(bottom + pad)))
        band, keep = (0, cut), (0, cut, w, h)
    elif top >= h / 2:
        cut = max(0, int(top - pad))
        band, keep = (cut, h), (0, 0, w, cut)
    elif all(r[3] <= h / 2 or r[1] >= h / 2 for r in rects):
        return Edit("drop", "text at both the top and the bottom: one crop cannot remove it")
    else:
        return Edit("drop", "text in the middle of the frame: no band to crop")
    if band[1] - band[0] > MAX_BAND * h:
        return Edit("drop", f"text band is {100 * (band[1] - band[0]) / h:.0f}% of the height: too much to crop")
    strip = bgr[band[0]:band[1]].astype(np.int16)
    background = np.median(strip.reshape(-1, 3), axis=0)
    ink = np.abs(strip - background).max(axis=2) > INK_LEVEL
    outline = 0.1 * _line(rects) + 2
    for r in rects:                       # the text itself (with its outline) is not drawing
        x0, y0, x1, y1 = pad_rect(r, outline, outline, w, h)
        ink[max(0, y0 - band[0]):max(0, y1 - band[0]), x0:x1] = False
    edge = ink[-3:] if band[0] == 0 else ink[:3]          # the rows along the cut line
    if edge.any() or ink.sum() > max(INK_PIXELS, INK_SHARE * ink.size):
        return Edit("drop", f"the drawing reaches into the text band (y {band[0]}-{band[1]}): a crop would cut it")
    side = "top" if band[0] == 0 else "bottom"
    return Edit("crop", f"cut the {side} {band[1] - band[0]} px holding the text", keep)


def mask_text(bgr: np.ndarray, rects: Sequence[Rect]) -> np.ndarray:
    """The frame with every text box painted in from its surroundings (outline strokes included)."""
    import cv2

    h, w = bgr.shape[:2]
    mask = np.zeros((h, w), np.uint8)
    pad = 0.15 * _line(rects) + 2
    for r in rects:
        x0, y0, x1, y1 = pad_rect(r, pad, pad, w, h)
        mask[y0:y1, x0:x1] = 255
    return cv2.inpaint(bgr, mask, 5, cv2.INPAINT_TELEA)
