"""Cheap measurements on a decoded frame's luma plane.

Two tiers, because most frames of an animation repeat the drawing before them:

* every frame: a strided sample of the Y plane (``hold_key``), enough to tell a held drawing
  from a new one, at a few hundredths of a millisecond;
* every new drawing: a smoothed thumbnail, its edge map and a small float copy (``Look``), for
  cut, cross-fade, sharpness and novelty measures.

Both read the Y plane in place, so no colour conversion is paid for frames that are thrown away.
"""

from dataclasses import dataclass

import numpy as np

HOLD_WIDTH = 480           # width of the per-frame sample used to recognise held drawings
THUMB_WIDTH = 320          # analysis thumbnail width for any source size
INK_DELTA = 24             # grey levels: a pixel "changed" when it moved by more than this
HOLD_MAD = 1.5             # mean grey difference below which two frames show the same drawing…
HOLD_CHANGE = 0.002        # …and at most this share of pixels changed noticeably (codec noise)
_SHARP_QUANTILE = 0.995    # sharpness = this quantile of |Laplacian|: the crispest edges only
_EDGE_REACH = np.ones((5, 5), np.uint8)   # how far a line may move and still be "the same line"
_EDGE_CONTRAST = 40        # grey levels across a 3x3 neighbourhood that make an edge pixel
_EDGE_KERNEL = np.ones((3, 3), np.uint8)
# a camera pan moves every line of the drawing by one shift, which replaces much of the edge
# structure like a cut does: a pan's drawings scored 0.35-0.37 each, so the cut that ended the
# pan stood out against them by less than scan.ADAPTIVE_RATIO and was missed.  Where one shift
# clearly explains the change, the structure is compared after that shift.  Phase correlation
# peaked at 0.76-0.97 between a pan's drawings on the development set, at most 0.06 across
# cuts to another set, and at 0.47 across a cut to the same set framed further along (which a
# shift explains only in part: the new framing shows what the old one did not)
PAN_RESPONSE = 0.6


def hold_key(y: np.ndarray) -> np.ndarray:
    step = max(1, y.shape[1] // HOLD_WIDTH)
    return np.ascontiguousarray(y[::step, ::step])


def same_picture(a: np.ndarray, b: np.ndarray) -> bool:
    """True when two hold keys show the same drawing (codec noise aside)."""
    import cv2

    diff = cv2.absdiff(a, b)
    return cv2.mean(diff)[0] < HOLD_MAD and np.count_nonzero(diff > INK_DELTA) < HOLD_CHANGE * diff.size


@dataclass
class Look:
    """What one drawing looks like, at analysis scale."""

    thumb: np.ndarray        # uint8 grey, THUMB_WIDTH wide
    edges: np.ndarray        # its edge map
    near_edges: np.ndarray   # the edge map grown by _EDGE_REACH
    mix: np.ndarray          # float32 half-size thumbnail, for cross-fade fits
    mean: float
    std: float


def look(y: np.ndarray) -> Look:
    import cv2

    # area-average a twice-as-wide sample: thin lines stay visible, codec noise averages out
    step = max(1, y.shape[1] // (THUMB_WIDTH * 2))
    view = np.ascontiguousarray(y[::step, ::step])
    height = max(1, round(view.shape[0] * THUMB_WIDTH / view.shape[1]))
    thumb = cv2.resize(view, (THUMB_WIDTH, height), interpolation=cv2.INTER_AREA)
    # a morphological gradient is a few times cheaper than Canny and, on ink, just as telling
    gradient = cv2.morphologyEx(thumb, cv2.MORPH_GRADIENT, _EDGE_KERNEL)
    edges = cv2.threshold(gradient, _EDGE_CONTRAST, 255, cv2.THRESH_BINARY)[1]
    mix = cv2.resize(thumb, (THUMB_WIDTH // 2, max(1, height // 2)), interpolation=cv2.INTER_AREA)
    mean, std = cv2.meanStdDev(thumb)
    return Look(thumb, edges, cv2.dilate(edges, _EDGE_REACH), mix.astype(np.float32),
                float(mean[0, 0]), float(std[0, 0]))


def change(a: np.ndarray, b: np.ndarray) -> float:
    """Share of the picture (0-1) whose grey level moved by more than INK_DELTA."""
    import cv2

    diff = cv2.absdiff(a, b)
    return float(np.count_nonzero(diff > INK_DELTA)) / diff.size


def mean_abs_diff(a: np.ndarray, b: np.ndarray) -> float:
    import cv2

    return float(cv2.mean(cv2.absdiff(a, b))[0])


def structure_change(a: Look, b: Look) -> float:
    """0-1: how much of the edge structure was replaced, judged both ways.

    Motion moves lines a little and keeps most of them near where they were; a cut replaces them
    all: most of a's lines are gone *and* most of b's are new.  A subtitle or an object that
    appears over a drawing adds new lines but removes none, so it is not a cut.  Works on line
    art on white, where plain pixel differences are tiny either way.
    """
    return _replaced(a.edges, a.near_edges, b)


def _replaced(edges: np.ndarray, near_edges: np.ndarray, b: Look) -> float:
    """``structure_change`` of an edge map (and its grown copy) against ``b``'s."""
    na, nb = np.count_nonzero(edges), np.count_nonzero(b.edges)
    if na + nb < 0.001 * edges.size:      # both nearly featureless: no structure to compare
        return 0.0
    new_in_b = np.count_nonzero(b.edges > near_edges) / max(nb, 1)
    gone_from_a = np.count_nonzero(edges > b.near_edges) / max(na, 1)
    return float(min(new_in_b, gone_from_a))


def cut_score(a: Look, b: Look, pan: bool = False) -> float:
    """0-1 evidence that b starts a new shot after a: new structure, or a change of overall tone.
    ``pan``: a and b are consecutive drawings, and a camera pan between them is no new structure
    (not for the two ends of a transition, which may show one set from two places)."""
    tone = abs(a.mean - b.mean) / 48.0
    change = structure_change(a, b)
    return min(1.0, max(min(change, _panned_change(a, b)) if pan else change, tone))


def _panned_change(a: Look, b: Look) -> float:
    """``structure_change`` after moving ``a`` by the one shift that best explains ``b`` (a
    camera pan); 1.0 when no single shift does (a cut, or motion within the drawing)."""
    import cv2

    if a.thumb.shape != b.thumb.shape:
        return 1.0
    (dx, dy), response = cv2.phaseCorrelate(a.thumb.astype(np.float32), b.thumb.astype(np.float32))
    if response < PAN_RESPONSE:
        return 1.0
    h, w = a.edges.shape
    move = np.float32([[1, 0, dx], [0, 1, dy]])
    return _replaced(cv2.warpAffine(a.edges, move, (w, h), flags=cv2.INTER_NEAREST),
                     cv2.warpAffine(a.near_edges, move, (w, h), flags=cv2.INTER_NEAREST), b)


def blend_residual(prev: Look, cur: Look, nxt: Look):
    """How well ``cur`` is a cross-fade of ``prev`` and ``nxt``: (residual 0-1, weight of prev).

    A dissolve or fade frame is almost exactly a mix of its neighbours; a drawing in motion is
    not (a moving line is not the average of its two positions).  Residual is relative to the
    neighbours' own difference, so it means the same on any contrast.
    """
    d = prev.mix - nxt.mix
    denom = float(np.vdot(d, d))
    if denom <= 1e-6:
        return 1.0, 0.0
    c = cur.mix - nxt.mix
    alpha = float(np.vdot(c, d)) / denom
    resid = c - alpha * d
    return float(np.sqrt(np.vdot(resid, resid) / denom)), alpha


def sharpness(thumb: np.ndarray) -> float:
    """Acutance of the crispest edges: a high quantile of |Laplacian|, independent of ink amount."""
    import cv2

    lap = np.abs(cv2.Laplacian(thumb, cv2.CV_16S, ksize=3))   # unclipped: crisp lines exceed 255
    cdf = np.cumsum(np.bincount(lap.ravel()))
    if cdf[-1] <= 0:
        return 0.0
    return float(np.searchsorted(cdf, _SHARP_QUANTILE * cdf[-1]))
