"""Pictures from anywhere (a reference still, a dataset picture, a host's image batch) as the
stages read them: BGR uint8 on white paper."""

import numpy as np


def on_white(picture: np.ndarray) -> np.ndarray:
    """A still as read from any file (grey, BGR or BGRA, 8 or 16 bit) as BGR uint8, transparent
    parts laid on white: on black a drawing's dark lines would vanish."""
    import cv2

    img = picture
    if img.dtype != np.uint8:
        img = (img.astype(np.float32) * (255.0 / np.iinfo(img.dtype).max if img.dtype.kind in "ui" else 255.0))
        img = img.clip(0, 255).round().astype(np.uint8)
    if img.ndim == 2 or img.shape[2] == 1:
        return cv2.cvtColor(img, cv2.COLOR_GRAY2BGR)
    if img.shape[2] == 4:
        alpha = img[..., 3:4].astype(np.float32) / 255.0
        return (img[..., :3] * alpha + 255.0 * (1.0 - alpha)).round().astype(np.uint8)
    return np.ascontiguousarray(img[..., :3])
