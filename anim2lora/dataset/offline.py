"""Captions without a tagger model: tags measured on the picture itself, the same way every run.

What can be measured is what the earlier stages measure: whether the picture has colour, what
its background is, and how much of the character is in view.  It says less than a tagger, but it
never says anything false, and the pinned names carry who is drawn.
"""

from typing import List

import numpy as np

from ..image.masks import background_colours, foreground

GREY_TOLERANCE = 12       # channel spread still counted as grey (compression noise)
WHITE = 235               # a background this bright in every channel is white
EDGE = 0.01               # ink within this share of the height from the bottom is cut by the frame


def measured_tags(bgr: np.ndarray) -> List[str]:
    tags = []
    spread = bgr.max(axis=2).astype(np.int16) - bgr.min(axis=2)
    if np.mean(spread <= GREY_TOLERANCE) > 0.99:
        tags += ["monochrome", "greyscale"]
    colours = background_colours(bgr)
    if len(colours) == 1:
        tags.append("white background" if (colours[0] >= WHITE).all() else "simple background")
    ink = foreground(bgr, colours) > 0
    rows = np.flatnonzero(ink.any(axis=1))
    if rows.size:
        cut = rows[-1] >= bgr.shape[0] * (1 - EDGE) - 1
        tags.append("upper body" if cut else "full body")
    return tags
