"""What a generated picture's pixels say: how much of its paper is not white, how much colour is
in its strokes and fills, and how wide its strokes are.  Strokes and background colours are
found exactly as the ink detector and LineArtPrep find them in the training frames, so a number
here means what it means in their reports."""

from dataclasses import dataclass
from typing import Optional

import numpy as np

from ..lineart.strokes import ink_of, stroke_width
from ..image.masks import BG_TOLERANCE, background_colours, unlike

# paper is white within the tolerance the ink detector grants a background colour: off-white or
# pale-grey paper is paper, not a backdrop that stuck
WHITE = 255 - BG_TOLERANCE
RIM = 2         # px around a stroke that belong to it: its anti-aliased edge is grey, not background


@dataclass(frozen=True)
class Look:
    background: float    # share of the paper (not stroke, not fill) that is not white, 0-1
    colour: float        # mean chroma of strokes and fills, 0-1
    line_width: Optional[float]    # median stroke width, px; None when no stroke is found


def look(bgr: np.ndarray) -> Look:
    """The picture's ``Look``.  Fills are what differs from the colours around the picture's
    border (the ink detector's test for a body), so a coloured dress counts as colour and a
    coloured backdrop as background, never both."""
    import cv2

    colours = background_colours(bgr)
    ink = ink_of(bgr, colours)
    strokes = ink == 0
    rim = cv2.dilate(strokes.astype(np.uint8), np.ones((2 * RIM + 1, 2 * RIM + 1), np.uint8)) > 0
    paint = unlike(bgr, colours) & ~rim
    paper = ~rim & ~paint
    not_white = bgr.min(axis=2) < WHITE
    # a picture that is all ink or paint has no white paper left: that fails, not passes
    background = float(not_white[paper].mean()) if paper.any() else 1.0
    # chroma, not HSV saturation: a near-black stroke has no colour to speak of, whatever its hue
    chroma = (bgr.max(axis=2).astype(np.float32) - bgr.min(axis=2)) / 255.0
    drawn = strokes | paint
    colour = float(chroma[drawn].mean()) if drawn.any() else 0.0
    width = stroke_width(ink)
    return Look(background, colour, width if width > 0 else None)      # stroke_width is 0 without ink
