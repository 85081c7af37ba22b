"""The default OCR backend: RapidOCR 3.x (PP-OCRv6 on ONNX Runtime).

Chosen over rapidocr_onnxruntime 1.4.x by measurement (see the README): its wheel ships a
detector and a recogniser that reads kana as well as Latin and kanji, so it works offline and in
CI; it does not declare ``onnxruntime``, so it never overwrites a host's ``onnxruntime-gpu``.
Only the shipped model files are used, named by path, so the package never downloads anything.
"""

import os
import threading
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import numpy as np

from ..runtime import cuda_id, onnxruntime
from .backends import MissingBackendError, OcrBackend, Quad, TextBox, as_quad, shrink

INSTALL = 'pip install "rapidocr>=3.10,<4"'
# the files RapidOCR 3.x ships in its wheel (others would be downloaded on first use)
MODEL_FILES = {"Det": "PP-OCRv6_det_small.onnx", "Rec": "PP-OCRv6_rec_small.onnx",
               "Cls": "ch_ppocr_mobile_v2.0_cls_mobile.onnx"}
FULL_SIDE = 1920     # reading: 1080p is read as is, larger frames are shrunk to this
NO_RESIZE = 8192     # the quick look shrinks the image itself: its engine must not resize again
# a lower bar for the quick look: a gate must not miss what the full read would find
GATE_THRESH, GATE_BOX_THRESH = 0.2, 0.3


def _package():
    try:
        import rapidocr
    except ImportError as e:
        raise MissingBackendError(f"backend 'rapidocr': the package is not installed ({e}).",
                                  hint=f"Install it into ComfyUI's Python: {INSTALL}") from None
    onnxruntime("backend 'rapidocr'", MissingBackendError)   # rapidocr does not declare a runtime
    return rapidocr


class RapidOcrBackend(OcrBackend):
    name = "rapidocr"

    def __init__(self, device: str = "cpu"):
        package = _package()
        self.version = package.__version__ if hasattr(package, "__version__") else _dist_version()
        folder = Path(package.__file__).parent / "models"
        self.models = {part: folder / name for part, name in MODEL_FILES.items()}
        missing = [str(p) for p in self.models.values() if not p.is_file()]
        if missing:
            raise MissingBackendError(f"backend 'rapidocr': model files missing: {', '.join(missing)}.",
                                      hint=f"Reinstall the package: {INSTALL} --force-reinstall")
        self.cuda_id = cuda_id(device)
        self.device = "cpu" if self.cuda_id is None else f"cuda:{self.cuda_id}"
        # RapidOCR keeps per-call options on the engine, so one call at a time
        self._lock = threading.Lock()
        self._reader = self._engine(**{"Det.limit_type": "max", "Det.limit_side_len": FULL_SIDE})
        self._gate = self._engine(**{"Det.limit_type": "max", "Det.limit_side_len": NO_RESIZE,
                                     "Det.thresh": GATE_THRESH, "Det.box_thresh": GATE_BOX_THRESH})

    def _engine(self, **params):
        from rapidocr import RapidOCR

        # "error": at "warning" it logs every frame without text to the host's console
        base = {"Global.log_level": "error", "EngineConfig.onnxruntime.use_cuda": self.cuda_id is not None,
                "EngineConfig.onnxruntime.cuda_ep_cfg.device_id": self.cuda_id or 0}
        base.update({f"{part}.model_path": os.fspath(path) for part, path in self.models.items()})
        return RapidOCR(params={**base, **params})

    def identity(self) -> Dict[str, str]:
        files = {name: str(self.models[part].stat().st_size) for part, name in MODEL_FILES.items()}
        return {"backend": self.name, "version": self.version, **files}

    def detect(self, bgr: np.ndarray, max_side: int) -> List[Quad]:
        scale = min(1.0, max_side / max(bgr.shape[:2]))
        small = bgr if scale == 1.0 else shrink(bgr, scale)
        with self._lock:
            result = self._gate(small, use_det=True, use_cls=False, use_rec=False)
        boxes = result.boxes if result.boxes is not None else []
        return [as_quad(b, 1.0 / scale) for b in boxes]

    def read_line(self, crop: np.ndarray) -> Optional[Tuple[str, float]]:
        with self._lock:
            result = self._reader(crop, use_det=False, use_cls=False, use_rec=True)
        return (result.txts[0], result.scores[0]) if result.txts else None

    def read(self, bgr: np.ndarray) -> List[TextBox]:
        # no orientation classifier: burned-in text is never upside down
        with self._lock:
            result = self._reader(bgr, use_det=True, use_cls=False, use_rec=True, text_score=0.0)
        if result.boxes is None or result.txts is None:
            return []
        return [TextBox(as_quad(b), t, float(s)) for b, t, s in zip(result.boxes, result.txts, result.scores)]


def _dist_version() -> str:
    from importlib.metadata import version

    return version("rapidocr")
