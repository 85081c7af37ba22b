"""Cheap per-frame measurements on a decoded frame's luma plane.

Every decoded frame gets a small grey thumbnail (for holds, cuts and transitions); only the
frames that may be kept get the sharpness measure on a larger view.  Both read the Y plane
in place, so no colour conversion is paid for frames that are thrown away.
"""

from dataclasses import dataclass

import numpy as np

THUMB_WIDTH = 320          # analysis thumbnail width for any source size
INK_DELTA = 24             # grey levels: a pixel "changed" when it moved by more than this
_SHARP_QUANTILE = 0.995    # sharpness = this quantile of |Laplacian|: the crispest edges only


@dataclass
class Look:
    """What one frame looks like, at analysis scale."""

    thumb: np.ndarray      # uint8 grey, THUMB_WIDTH wide
    view: np.ndarray       # uint8 grey, about 2x the thumbnail: for sharpness
    mean: float
    std: float


def luma_plane(frame) -> np.ndarray:
    """The frame's Y plane as a (height, width) uint8 view, without copying."""
    if frame.format.name not in _PLANAR_YUV:
        return frame.to_ndarray(format="gray")
    plane = frame.planes[0]
    buf = np.frombuffer(plane, np.uint8).reshape(plane.height, plane.line_size)
    return buf[:, :plane.width]


_PLANAR_YUV = {"yuv420p", "yuvj420p", "yuv422p", "yuvj422p", "yuv444p", "yuvj444p", "nv12", "nv21",
               "yuv420p10le", "gray"}


def look(frame) -> Look:
    import cv2

    y = luma_plane(frame)
    if y.dtype != np.uint8:  # 10-bit planes arrive as uint16 bytes: fall back to a conversion
        y = frame.to_ndarray(format="gray")
    h, w = y.shape
    step = max(1, w // (THUMB_WIDTH * 2))
    view = np.ascontiguousarray(y[::step, ::step])
    vh, vw = view.shape
    th = max(1, round(vh * THUMB_WIDTH / vw))
    thumb = cv2.resize(view, (THUMB_WIDTH, th), interpolation=cv2.INTER_AREA)
    mean, std = cv2.meanStdDev(thumb)
    return Look(thumb=thumb, view=view, mean=float(mean[0, 0]), std=float(std[0, 0]))


def change(a: np.ndarray, b: np.ndarray) -> float:
    """Share of the picture (0-1) whose grey level moved by more than INK_DELTA."""
    import cv2

    diff = cv2.absdiff(a, b)
    return float(np.count_nonzero(diff > INK_DELTA)) / diff.size


def mean_abs_diff(a: np.ndarray, b: np.ndarray) -> float:
    import cv2

    return float(cv2.mean(cv2.absdiff(a, b))[0])


def structure_change(a: np.ndarray, b: np.ndarray) -> float:
    """0-1: how much of either picture's edge structure has no counterpart near it in the other.

    Motion moves lines a little and keeps most of them near where they were; a cut replaces them.
    Works on line art on white, where plain pixel differences are tiny either way.
    """
    import cv2

    ea, eb = cv2.Canny(a, 40, 120), cv2.Canny(b, 40, 120)
    kernel = np.ones((5, 5), np.uint8)
    na, nb = np.count_nonzero(ea), np.count_nonzero(eb)
    if na + nb < 0.001 * a.size:      # both nearly featureless: no structure to compare
        return 0.0
    new_in_b = np.count_nonzero(eb & ~cv2.dilate(ea, kernel)) / max(nb, 1)
    gone_from_a = np.count_nonzero(ea & ~cv2.dilate(eb, kernel)) / max(na, 1)
    return float(max(new_in_b, gone_from_a))


def cut_score(a: np.ndarray, b: np.ndarray) -> float:
    """0-1 evidence that b starts a new shot after a: new structure, or a change of overall tone."""
    import cv2

    tone = abs(float(cv2.mean(a)[0]) - float(cv2.mean(b)[0])) / 48.0
    return min(1.0, max(structure_change(a, b), tone))


def blend_residual(prev: np.ndarray, cur: np.ndarray, nxt: np.ndarray):
    """How well ``cur`` is a cross-fade of ``prev`` and ``nxt``: (residual 0-1, weight of prev).

    A dissolve or fade frame is almost exactly a mix of its neighbours; a drawing in motion is
    not (a moving line is not the average of its two positions).  Residual is relative to the
    neighbours' own difference, so it means the same on any contrast.
    """
    p, c, n = (x.astype(np.float32) for x in (prev, cur, nxt))
    d = p - n
    denom = float(np.vdot(d, d))
    if denom <= 1e-6:
        return 1.0, 0.0
    alpha = float(np.vdot(c - n, d)) / denom
    resid = c - (n + alpha * d)
    return float(np.sqrt(np.vdot(resid, resid) / denom)), alpha


def sharpness(view: np.ndarray) -> float:
    """Acutance of the crispest edges: a high quantile of |Laplacian|, independent of ink amount."""
    import cv2

    lap = cv2.convertScaleAbs(cv2.Laplacian(view, cv2.CV_16S, ksize=3))
    hist = cv2.calcHist([lap], [0], None, [256], [0, 256]).ravel()
    cdf = np.cumsum(hist)
    if cdf[-1] <= 0:
        return 0.0
    return float(np.searchsorted(cdf, _SHARP_QUANTILE * cdf[-1]))
