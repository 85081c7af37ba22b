"""YOLOv8-format ONNX detectors (the deepghs anime person / head / face models) on ONNX Runtime.

The exported graph takes ``images`` [1, 3, H, W] RGB in 0-1 and returns ``output0`` [1, 4 + C, N]:
per anchor a centre-size box in input pixels and one score per class (no objectness).  The frame
is stretched to the model's size, without letterboxing, as imgutils feeds these models: the
graph's fixed input size, else ``imgsz`` from the file's metadata, else 640 square.  Class names
come from the metadata's ``names`` (written by the Ultralytics exporter) when present.
"""

import ast
import json
import os
from typing import List, Optional, Sequence, Tuple

import numpy as np

from ..runtime import onnx_session
from .boxes import Box, nms

SCORE_FLOOR = 0.05     # kept and cached down to this; the counting rules apply the real threshold


class YoloModel:
    def __init__(self, path: os.PathLike, kind: str, device: str = "cpu", iou: float = 0.5, conf: float = SCORE_FLOOR):
        self.path, self.kind, self.iou, self.conf = os.fspath(path), kind, iou, conf
        self.session, self.device = onnx_session(path, device, f"{kind} detector")
        inp = self.session.get_inputs()[0]
        self.input_name = inp.name
        meta = self.session.get_modelmeta().custom_metadata_map
        self.labels = _labels(meta)
        fixed = inp.shape[2:4]
        if len(fixed) == 2 and all(isinstance(d, int) and d > 0 for d in fixed):
            self.size = (int(fixed[1]), int(fixed[0]))
        else:
            self.size = _imgsz(meta)

    def _input(self, bgr: np.ndarray) -> Tuple[np.ndarray, float, float]:
        import cv2

        h, w = bgr.shape[:2]
        iw, ih = self.size
        rgb = cv2.cvtColor(cv2.resize(bgr, (iw, ih), interpolation=cv2.INTER_AREA if iw < w else cv2.INTER_CUBIC),
                           cv2.COLOR_BGR2RGB)
        x = np.ascontiguousarray(rgb.transpose(2, 0, 1)[None], dtype=np.float32) / 255.0
        return x, w / iw, h / ih

    def detect(self, bgr: np.ndarray) -> List[Box]:
        x, sx, sy = self._input(bgr)
        out = np.asarray(self.session.run(None, {self.input_name: x})[0])
        return decode(out, self.kind, sx, sy, self.iou, classes=len(self.labels) or None, floor=self.conf)


def decode(out: np.ndarray, kind: str, sx: float, sy: float, iou: float, classes: Optional[int] = None,
           floor: float = SCORE_FLOOR) -> List[Box]:
    """Boxes from a YOLOv8 head's ``[1, 4 + C, N]`` output, scaled back by ``sx``/``sy``, after NMS."""
    pred = out[0] if out.ndim == 3 else out
    if classes is not None and pred.shape[0] != 4 + classes and pred.shape[1] == 4 + classes:
        pred = pred.T      # some exports put anchors first
    if pred.shape[0] < 5:
        raise ValueError(f"output of shape {tuple(out.shape)} is not [1, 4 + classes, anchors]")
    scores = pred[4:].max(axis=0)
    keep = scores >= floor
    cx, cy, bw, bh = pred[:4, keep]
    boxes = [Box(kind, (float((a - c / 2) * sx), float((b - d / 2) * sy), float((a + c / 2) * sx), float((b + d / 2) * sy)),
                 float(s)) for a, b, c, d, s in zip(cx, cy, bw, bh, scores[keep])]
    return nms(boxes, iou)


def _labels(meta) -> Sequence[str]:
    try:
        names = meta.get("names")
        parsed = ast.literal_eval(names) if names else {}
    except (ValueError, SyntaxError):
        return ()
    if isinstance(parsed, dict):
        return tuple(str(parsed[k]) for k in sorted(parsed))
    return tuple(str(v) for v in parsed)


def _imgsz(meta) -> Tuple[int, int]:
    """(width, height) from the exporter's ``imgsz`` ([h, w] or one number); 640 square without."""
    try:
        value = json.loads(meta.get("imgsz", "640"))
    except ValueError:
        return 640, 640
    if isinstance(value, list) and len(value) == 2:
        return int(value[1]), int(value[0])
    side = int(value[0] if isinstance(value, list) else value)
    return side, side
