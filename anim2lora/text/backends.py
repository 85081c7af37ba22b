"""OCR backends behind one small interface, so the text filter never knows which one runs.

A backend does two things: ``detect`` (where is text-like ink, cheap, no reading) and ``read``
(detect and recognise).  Both take a BGR uint8 image and return boxes in its pixel coordinates.
Loading is lazy and cached per process: ComfyUI runs the node again and again in one process,
and a model load costs more than a frame.
"""

import threading
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from ..errors import Anim2LoRAError, MissingModelError
from ..image.crops import pad_rect
from ..runtime import resolve_device

Quad = Tuple[Tuple[float, float], ...]     # four corners, clockwise from top-left


@dataclass(frozen=True)
class TextBox:
    quad: Quad
    text: str = ""
    score: float = 0.0                      # recognition confidence, 0-1 (0: not read)

    def to_json(self) -> list:
        return [[[round(x, 1), round(y, 1)] for x, y in self.quad], self.text, round(self.score, 4)]

    @classmethod
    def from_json(cls, value) -> "TextBox":
        quad, text, score = value
        return cls(tuple((float(x), float(y)) for x, y in quad), text, float(score))


class MissingBackendError(MissingModelError):
    """The OCR package or its model files are not installed; the message says what to do."""


class OcrBackend:
    """Base class.  Subclasses set ``name`` and implement ``identity``, ``detect`` and ``read``."""

    name = ""

    def identity(self) -> Dict[str, str]:
        """What identifies results: package version and model files.  Part of the cache key."""
        raise NotImplementedError

    def detect(self, bgr: np.ndarray, max_side: int) -> List[Quad]:
        """Text regions only, with the image shrunk so its longer side is at most ``max_side``;
        quads come back in the input image's coordinates."""
        raise NotImplementedError

    def read(self, bgr: np.ndarray) -> List[TextBox]:
        """Detect and recognise at full resolution."""
        raise NotImplementedError

    def read_line(self, crop: np.ndarray) -> Optional[Tuple[str, float]]:
        """Recognise one horizontal line of text filling ``crop``: (text, confidence)."""
        raise NotImplementedError

    def recognize(self, bgr: np.ndarray, quads: Sequence[Quad]) -> List[TextBox]:
        """Recognise the text in each quad of ``bgr`` (one line each), without detecting again."""
        out = []
        for quad in quads:
            crop = line_crop(bgr, quad)
            read = self.read_line(crop) if crop is not None else None
            if read is not None:
                out.append(TextBox(quad, read[0], float(read[1])))
        return out


def shrink(bgr: np.ndarray, scale: float) -> np.ndarray:
    import cv2

    h, w = bgr.shape[:2]
    return cv2.resize(bgr, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA)


def line_crop(bgr: np.ndarray, quad: Quad) -> Optional[np.ndarray]:
    """The pixels of one text line, turned horizontal when the line runs top to bottom (as the
    PP-OCR and CRAFT recognisers expect)."""
    h, w = bgr.shape[:2]
    x0, y0, x1, y1 = pad_rect(quad_rect(quad), 0, 0, w, h)
    if x1 - x0 < 2 or y1 - y0 < 2:
        return None
    crop = bgr[y0:y1, x0:x1]
    return np.ascontiguousarray(np.rot90(crop)) if crop.shape[0] >= 1.5 * crop.shape[1] else crop


def quad_rect(quad: Quad) -> Tuple[float, float, float, float]:
    """The axis-aligned x0, y0, x1, y1 around a quad."""
    xs, ys = [p[0] for p in quad], [p[1] for p in quad]
    return min(xs), min(ys), max(xs), max(ys)



def as_quad(points: Sequence[Sequence[float]], scale: float = 1.0, dx: float = 0.0, dy: float = 0.0) -> Quad:
    return tuple((float(x) * scale + dx, float(y) * scale + dy) for x, y in points)


BACKEND_NAMES = ("rapidocr", "easyocr")
_loaded: Dict[tuple, OcrBackend] = {}
_lock = threading.Lock()


def load_backend(name: str, *, device: str = "cpu", models_dir: Optional[str] = None,
                 allow_download: bool = False, languages: Sequence[str] = ("en", "ja")) -> OcrBackend:
    """The named backend, loaded once per process and settings."""
    device = resolve_device(device)
    # only what the backend uses: rapidocr has no model folder, downloads or language choice
    key = (name, device) if name == "rapidocr" else (name, device, models_dir, allow_download, tuple(languages))
    with _lock:
        if key not in _loaded:
            if name == "rapidocr":
                from .rapid import RapidOcrBackend

                _loaded[key] = RapidOcrBackend(device=device)
            elif name == "easyocr":
                from .easy import EasyOcrBackend

                _loaded[key] = EasyOcrBackend(device=device, models_dir=models_dir,
                                              allow_download=allow_download, languages=languages)
            else:
                raise Anim2LoRAError(f"backend: '{name}' is not one of {', '.join(BACKEND_NAMES)}.")
        return _loaded[key]
