"""A figure seated behind a table, a counter, a desk or a window sill.

Where such a ledge crosses the frame in front of a character, the figure's ink ends at the ledge's
top edge, above the frame's bottom, and its box passes for a figure wholly in view: its body (the
half that shows) is then compared with full-figure reference stills, which puts it far from its
own character although its head alone is near.  The ledge is in front of the figure, so its top
edge runs unbroken across the whole figure and on beyond it on both sides; a wall's, a window's or
a floor's line behind a figure is broken where the figure stands in front of it.  A figure whose
box ends at such an edge is cut there: its box is taken down to the frame's bottom, as if the
frame cut it, and it is framed and named by its head and what shows.  A figure standing with its
feet on a floor line also ends at an unbroken edge (legs and floor, wall and floor): it shows its
whole body below its head, far more heads of height than a figure cut at the waist or the chest,
and is left as it is (LEDGE_HEADS).  A short figure (a child, a chibi, a stick figure: three heads
tall) standing on a floor line shows no more heads than a seated one: its feet tell it apart.  A
body cut by a table is cut across its chest or waist, with its arms at its sides, so its lines
meet the edge across nearly its whole width; a standing figure meets the line only at its feet,
well inside the span of its arms, hair or skirt (LEDGE_WIDE).
"""
from __future__ import annotations

from typing import List

import numpy as np

from .boxes import Box, Rect

LEDGE_STEP = 40       # a ledge's edge: the colour (max over channels) changes this much
LEDGE_ROWS = 3        # from this many working rows above it to as many below it
LEDGE_BEYOND = 0.25   # and it runs on past the figure this share of the figure's width on each side
                      # (or to the frame's side, when the figure stands nearer to it)
LEDGE_GAP = 2         # gaps in it up to this many working pixels are the drawing's antialiasing; a leg
                      # in front of a floor line is wider: it breaks the line
LEDGE_SPAN = 0.3      # and it is a long edge: at least this share of the frame's width (a table, a
                      # counter), not a chance step under a small far figure
LEDGE_REACH = 0.03    # the edge lies at most this share of the frame height under the figure's box
                      # (or crosses it higher up, below the head: the plates on the table joined it)
LEDGE_HEADS = 4.0     # only figures showing fewer of their head heights than this are cut at it
                      # (a standing figure shows five or more, a seated one at a table two to four)
LEDGE_WIDE = 0.8      # and only where its lines just above the edge (a band LEDGE_BAND of its head height)
LEDGE_BAND = 0.15     # span this share of their span from its chin down, and keep this share of their own
LEDGE_UP = 0.5        # span in every band up the lower LEDGE_UP of what shows below its chin: a body cut at
                      # the chest, arms at its sides (the development set's seated figures); not feet inside
                      # a skirt's or the arms' span, nor legs (a standing figure's lower half) that narrow
                      # up to the hips or cross (the people clip's stick figures on their floor line)
EDGE = 0.01           # a box this near the bottom (share of the height) is cut by the frame already


def level_edges(small: np.ndarray) -> np.ndarray:
    """Boolean mask (working pixels) of the level colour steps of ``small`` (BGR): row y is set
    where the colour LEDGE_ROWS rows below differs from that LEDGE_ROWS rows above by LEDGE_STEP,
    small gaps (LEDGE_GAP) closed."""
    import cv2

    img = small.astype(np.int16) if small.ndim == 3 else small.astype(np.int16)[..., None]
    h, w = img.shape[:2]
    k = LEDGE_ROWS
    step = np.zeros((h, w), np.uint8)
    if h > 2 * k:
        step[k:h - k] = (np.abs(img[2 * k:] - img[:h - 2 * k]).max(axis=2) >= LEDGE_STEP).astype(np.uint8)
    return cv2.morphologyEx(step, cv2.MORPH_CLOSE, np.ones((1, LEDGE_GAP + 1), np.uint8)) > 0


def behind_ledges(boxes: List[Box], edges: np.ndarray, lines: np.ndarray, scale: float, width: int, height: int,
                  head_of_figure) -> List[Box]:
    """``boxes`` (frame pixels) with each person box that ends on a ledge's edge (``edges``, from
    level_edges at ``scale``) above the frame's bottom taken down to the bottom (``height``).
    ``lines``: the frame's drawn lines and dark ink (boolean, working pixels, as ``edges``).
    ``head_of_figure(boxes, k)``: the head rect of the person box ``boxes[k]``, or None (a figure
    with no head is left as it is)."""
    out = list(boxes)
    for k, b in enumerate(boxes):
        if b.kind != "person" or b.rect[3] >= height * (1 - EDGE):
            continue
        head = head_of_figure(boxes, k)
        ledge = None if head is None else _ledge(b.rect, head, edges, scale, width, height)
        # heads of height from the crown down to the ledge: a seated figure's waist, not a
        # standing figure's feet (the plates below the edge may have joined the figure's box)
        if (ledge is not None and ledge - head[1] < LEDGE_HEADS * max(1.0, head[3] - head[1])
                and _cut_across(b.rect, head, ledge, lines, scale)):
            out[k] = Box(b.kind, (b.rect[0], b.rect[1], b.rect[2], float(height)), b.score)
    return out


def _ledge(rect: Rect, head: Rect, edges: np.ndarray, scale: float, width: int, height: int):
    """The highest row (frame pixels) where a level edge runs unbroken across the figure ``rect``
    (anywhere below its ``head``, down to LEDGE_REACH under the box) over its width and
    LEDGE_BEYOND of it past each side, or None."""
    x0, _, x1, y1 = rect
    beyond = LEDGE_BEYOND * (x1 - x0)
    a = max(0, int((x0 - beyond) * scale))
    b = min(edges.shape[1], int(np.ceil(min(float(width), x1 + beyond) * scale)))
    top = int(head[3] * scale)
    bottom = min(edges.shape[0], int(np.ceil((y1 + LEDGE_REACH * height) * scale)) + 1)
    span = LEDGE_SPAN * edges.shape[1]
    for y in range(top, bottom):
        if b > a and edges[y, a:b].all() and _run(edges[y], a, b) >= span:
            return y / scale
    return None


def _cut_across(rect: Rect, head: Rect, ledge: float, lines: np.ndarray, scale: float) -> bool:
    """Whether the ``lines`` of the figure ``rect`` (frame pixels) just above its ``ledge`` span
    LEDGE_WIDE of their span from its ``head``'s chin down, and keep that span all the way up
    the lower LEDGE_UP of what shows below the chin: a body cut across (a chest, arms at its sides), not feet,
    which stand inside the span of the arms or skirt above them, or legs, which narrow up to the
    hips or cross above the feet.  The figure's lines, not its box: scenery joined to the figure
    widens the box, and pale scenery lines are not the figure's."""
    a, b = max(0, int(rect[0] * scale)), min(lines.shape[1], int(np.ceil(rect[2] * scale)))
    # above the edge's own line: a step is found LEDGE_ROWS either side of a drawn line, and legs
    # standing on it break its upper step, so the edge found may be the line's lower one
    y1 = int(ledge * scale) - 2 * LEDGE_ROWS - 1
    tall = (head[3] - head[1]) * scale
    step = max(1, round(LEDGE_BAND * tall))
    chin = int(head[3] * scale)
    spans = [_span(lines[max(0, y - step):max(0, y), a:b]) for y in range(y1, round(y1 - LEDGE_UP * (y1 - chin)), -step)]
    body = _span(lines[chin:max(0, y1), a:b])
    return bool(spans) and spans[0] > 0 and min(spans) >= LEDGE_WIDE * spans[0] and spans[0] >= LEDGE_WIDE * body


def _span(mask: np.ndarray) -> int:
    """Columns from the first to the last holding any of ``mask``, 0 where it holds none."""
    cols = np.flatnonzero(mask.any(axis=0))
    return int(cols[-1] - cols[0] + 1) if cols.size else 0


def _run(row: np.ndarray, a: int, b: int) -> int:
    """The length of the run of set pixels of ``row`` holding columns ``a``..``b``-1 (all set)."""
    left = np.flatnonzero(~row[:a])
    right = np.flatnonzero(~row[b:])
    lo = left[-1] + 1 if left.size else 0
    hi = b + right[0] if right.size else row.size
    return int(hi - lo)
