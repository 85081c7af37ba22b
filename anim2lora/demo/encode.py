"""Writing a generated clip: H.264 (or another codec) through PyAV, and its per-frame truth
beside it as ``<path>.truth.json``."""

import json
import os
from pathlib import Path
from typing import Iterable, List, Mapping, Optional, Tuple

import numpy as np


def encode_clip(path: os.PathLike, pictures: Iterable[Tuple[np.ndarray, dict]], width: int, height: int,
                fps: int = 24, codec: str = "libx264", crf: int = 18, meta: Optional[Mapping] = None) -> List[dict]:
    """Encode the ``(rgb, truth row)`` pairs to ``path``; the truth file holds ``meta``, the
    size and rate, and the rows, which are returned."""
    import av

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = []
    with av.open(os.fspath(path), "w") as out:
        stream = out.add_stream(codec, rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        if codec == "libx264":
            stream.options = {"preset": "veryfast", "crf": str(crf)}
        for rgb, row in pictures:
            rows.append(row)
            out.mux(stream.encode(av.VideoFrame.from_ndarray(rgb, format="rgb24")))
        out.mux(stream.encode())
    truth = {"fps": fps, "width": width, "height": height, **dict(meta or {}), "frames": rows}
    Path(f"{path}.truth.json").write_text(json.dumps(truth, ensure_ascii=False, indent=0), encoding="utf-8")
    return rows
