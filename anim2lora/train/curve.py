"""The loss curve as a picture (RGB uint8) for the node's IMAGE output and the README: raw
losses as dots, their running mean as a line.  One step or none draws as well as many
(ComfyUI's own loss graph fails on a one-step run)."""

from typing import Sequence

import numpy as np

WIDTH, HEIGHT, MARGIN = 640, 320, 48


def running_mean(values: Sequence[float], window: int) -> np.ndarray:
    v = np.asarray(values, dtype=np.float64)
    if not len(v):
        return v
    c = np.cumsum(np.insert(v, 0, 0.0))
    starts = np.maximum(0, np.arange(1, len(v) + 1) - window)
    return (c[1:] - c[starts]) / (np.arange(1, len(v) + 1) - starts)


def loss_picture(losses: Sequence[float], title: str = "loss") -> np.ndarray:
    import cv2

    img = np.full((HEIGHT, WIDTH, 3), 255, np.uint8)
    x0, y0, x1, y1 = MARGIN, MARGIN // 2, WIDTH - MARGIN // 2, HEIGHT - MARGIN
    cv2.rectangle(img, (x0, y0), (x1, y1), (160, 160, 160), 1)
    font = cv2.FONT_HERSHEY_SIMPLEX
    if not len(losses):
        cv2.putText(img, "no steps yet", (x0 + 10, (y0 + y1) // 2), font, 0.6, (80, 80, 80), 1, cv2.LINE_AA)
        return img
    v = np.asarray(losses, dtype=np.float64)
    lo, hi = float(v.min()), float(v.max())
    if hi - lo < 1e-12:
        lo, hi = lo - 0.5 * abs(lo) - 1e-3, hi + 0.5 * abs(hi) + 1e-3
    n = len(v)

    def point(i, value):
        x = x0 + (x1 - x0) * (i / max(1, n - 1) if n > 1 else 0.5)
        y = y1 - (y1 - y0) * (value - lo) / (hi - lo)
        return int(round(x)), int(round(y))

    for i, value in enumerate(v):
        cv2.circle(img, point(i, value), 2, (170, 190, 230), -1, cv2.LINE_AA)
    mean = running_mean(v, max(1, n // 20))
    pts = np.array([point(i, m) for i, m in enumerate(mean)], np.int32)
    cv2.polylines(img, [pts.reshape(-1, 1, 2)], False, (30, 70, 200), 2, cv2.LINE_AA)
    cv2.putText(img, f"{hi:.4g}", (4, y0 + 12), font, 0.4, (60, 60, 60), 1, cv2.LINE_AA)
    cv2.putText(img, f"{lo:.4g}", (4, y1), font, 0.4, (60, 60, 60), 1, cv2.LINE_AA)
    cv2.putText(img, "step 1", (x0, y1 + 18), font, 0.45, (60, 60, 60), 1, cv2.LINE_AA)
    cv2.putText(img, f"step {n}", (x1 - 70, y1 + 18), font, 0.45, (60, 60, 60), 1, cv2.LINE_AA)
    cv2.putText(img, f"{title}: last {v[-1]:.4f}, mean of last {max(1, n // 20)} {mean[-1]:.4f}",
                (x0, HEIGHT - 10), font, 0.45, (20, 20, 20), 1, cv2.LINE_AA)
    return img[..., ::-1].copy()       # drawn in BGR (OpenCV), handed on as RGB
