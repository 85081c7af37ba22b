"""Optional clean-up of generated pictures toward the line art the LoRA was trained on: the
write-up's LoRAs still drew coloured backgrounds, colour bleeding onto clothes and heavy lines.

Each step takes and gives an RGB uint8 picture, so they chain in any order; ``clean`` runs the
chosen ones in the order that keeps lines intact (whiten before measuring, binarise last).
"""

import numpy as np

from ..lineart.strokes import lines, ridge, stroke_width

INK = 128          # darker than this is stroke, as stroke_width counts it


def _grey(rgb: np.ndarray) -> np.ndarray:
    import cv2

    return cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)


def _rgb(grey: np.ndarray) -> np.ndarray:
    return np.repeat(grey[..., None], 3, axis=2)


def whiten_background(rgb: np.ndarray) -> np.ndarray:
    """Paper, backgrounds and flat fills pure white, strokes in their own colour: the classical
    extractor says how much of each pixel is paper, and that share is blended to white."""
    paper = lines(np.ascontiguousarray(rgb[..., ::-1])).astype(np.float32)[..., None] / 255.0
    return (rgb + (255.0 - rgb) * paper).round().astype(np.uint8)


def desaturated(rgb: np.ndarray) -> np.ndarray:
    return _rgb(_grey(rgb))


def binarised(rgb: np.ndarray) -> np.ndarray:
    """Only black and white, split where Otsu's threshold separates ink from paper."""
    import cv2

    _, out = cv2.threshold(_grey(rgb), 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    return _rgb(out)


def thinned(rgb: np.ndarray, px: int) -> np.ndarray:
    """Every stroke ``px`` pixels narrower: the lighter surroundings grow over its edges (a
    round kernel, so diagonals thin as much as straight lines), and a stroke narrower than that
    keeps its middle line instead of vanishing."""
    import cv2

    if px <= 0:
        return rgb
    out = cv2.dilate(rgb, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (px + 1, px + 1)))
    _, middle = ridge(_grey(rgb) < INK)
    out[middle] = rgb[middle]
    return out


def thinned_to(rgb: np.ndarray, width: float) -> np.ndarray:
    """Strokes thinned toward a median ``width`` in pixels (a dataset's, say); never thickened."""
    return thinned(rgb, int(round(stroke_width(_grey(rgb), INK) - width)))


def clean(rgb: np.ndarray, white: bool = True, desaturate: bool = True, binarise: bool = False, thin: int = 0,
          line_width: float = 0.0) -> np.ndarray:
    """The chosen clean-up steps on one RGB uint8 picture: ``thin`` pixels off every stroke, or
    toward ``line_width`` when that is set."""
    out = np.ascontiguousarray(rgb)
    if white:
        out = whiten_background(out)
    if desaturate:
        out = desaturated(out)
    if line_width > 0:
        out = thinned_to(out, line_width)
    elif thin > 0:
        out = thinned(out, thin)
    if binarise:
        out = binarised(out)
    return out
