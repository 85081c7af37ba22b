"""A learned line extractor from ComfyUI's ``models/lineart/``: an ONNX export of an
Anime2Sketch-type network (imgutils' ``lineart_anime.onnx``), fed as its authors feed it.

``[1, 3, H, W]`` RGB (or ``[1, 1, H, W]`` grey) in [-1, 1] in, ``[1, 1, H, W]`` (or ``[1, H, W]``)
in [-1, 1] out, 1 for paper and -1 for ink.  The network is a U-Net that halves the picture eight
times, so both sides must be a multiple of 256: the picture is stretched to its own size rounded
up to one (after shrinking it to at most 1024 px a side), shrunk with area averaging and enlarged
with Lanczos, and its answer is sized back the same way."""

import math
import os
from pathlib import Path
from typing import Dict, List, Optional

import numpy as np

from ..runtime import Loaded, onnx_session, resolve_device

MODELS_FOLDER = "lineart"
MAX_SIDE = 1024           # Anime2Sketch's activations at 2048 px a side take several GB
ALIGN = 256


def fed_size(w: int, h: int) -> tuple:
    """(width, height) the network sees: at most MAX_SIDE, then each side up to a multiple of ALIGN."""
    scale = min(1.0, MAX_SIDE / max(w, h))
    return tuple(max(ALIGN, math.ceil(round(side * scale) / ALIGN) * ALIGN) for side in (w, h))


def _resize(img: np.ndarray, w: int, h: int) -> np.ndarray:
    import cv2

    # area averaging keeps thin lines when shrinking; Lanczos keeps them sharp when enlarging
    enlarging = max(w / img.shape[1], h / img.shape[0]) > 1
    return cv2.resize(img, (w, h), interpolation=cv2.INTER_LANCZOS4 if enlarging else cv2.INTER_AREA)


class OnnxLines:
    def __init__(self, path: Path, device: str = "cpu"):
        self.path = path
        self.session, self.device = onnx_session(path, device, "line extractor")
        inp = self.session.get_inputs()[0]
        self.input_name = inp.name
        self.channels = inp.shape[1] if isinstance(inp.shape[1], int) else 3

    def identity(self) -> Dict[str, str]:
        return {"method": self.path.name, "size": str(self.path.stat().st_size)}

    def __call__(self, bgr: np.ndarray) -> np.ndarray:
        import cv2

        h, w = bgr.shape[:2]
        fw, fh = fed_size(w, h)
        fed = _resize(bgr, fw, fh) if (fw, fh) != (w, h) else bgr
        if self.channels == 1:
            x = cv2.cvtColor(fed, cv2.COLOR_BGR2GRAY)[None, None]
        else:
            x = cv2.cvtColor(fed, cv2.COLOR_BGR2RGB).transpose(2, 0, 1)[None]
        out = self.session.run(None, {self.input_name: x.astype(np.float32) / 127.5 - 1.0})[0]
        paper = (np.asarray(out, np.float32).reshape(out.shape[-2:]) + 1.0) / 2.0
        if (fw, fh) != (w, h):
            paper = _resize(paper, w, h)
        return (paper.clip(0, 1) * 255).round().astype(np.uint8)


def installed(models_dir: Optional[os.PathLike]) -> List[str]:
    if models_dir is None or not Path(models_dir).is_dir():
        return []
    return sorted(p.name for p in Path(models_dir).glob("*.onnx"))


_loaded = Loaded()


def load_lines(models_dir: os.PathLike, name: str, device: str = "cpu") -> OnnxLines:
    path = Path(models_dir) / name
    key = (resolve_device(device), str(path), path.stat().st_mtime_ns if path.is_file() else 0)
    return _loaded.get(key, lambda: OnnxLines(path, key[0]))
