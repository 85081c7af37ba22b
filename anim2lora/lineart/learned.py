"""A learned line extractor from ComfyUI's ``models/lineart/`` (an ONNX export of an
anime-to-sketch network): ``[1, C, H, W]`` RGB (C 3) or grey (C 1) in 0-1 in, ``[1, 1, H, W]``
(or ``[1, H, W]``) out, 1 for paper and 0 for ink.  Run at the picture's size in steps of 8,
longest side at most 1024, and sized back."""

import os
from pathlib import Path
from typing import Dict, List, Optional

import numpy as np

from ..runtime import Loaded, onnx_session, resolve_device

MODELS_FOLDER = "lineart"
MAX_SIDE = 1024


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
        scale = min(1.0, MAX_SIDE / max(h, w))
        sw, sh = max(8, int(w * scale) // 8 * 8), max(8, int(h * scale) // 8 * 8)
        small = cv2.resize(bgr, (sw, sh), interpolation=cv2.INTER_AREA)
        if self.channels == 1:
            x = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY)[None, None]
        else:
            x = cv2.cvtColor(small, cv2.COLOR_BGR2RGB).transpose(2, 0, 1)[None]
        out = np.asarray(self.session.run(None, {self.input_name: x.astype(np.float32) / 255.0})[0], np.float32)
        grey = (out.reshape(out.shape[-2:]).clip(0, 1) * 255).round().astype(np.uint8)
        return cv2.resize(grey, (w, h), interpolation=cv2.INTER_CUBIC if scale < 1 else cv2.INTER_AREA) \
            if (sw, sh) != (w, h) else grey


def installed(models_dir: Optional[os.PathLike]) -> List[str]:
    if models_dir is None or not Path(models_dir).is_dir():
        return []
    return sorted(p.name for p in Path(models_dir).glob("*.onnx"))


_loaded = Loaded()


def load_lines(models_dir: os.PathLike, name: str, device: str = "cpu") -> OnnxLines:
    path = Path(models_dir) / name
    key = (resolve_device(device), str(path), path.stat().st_mtime_ns if path.is_file() else 0)
    return _loaded.get(key, lambda: OnnxLines(path, key[0]))
