"""Frame sets made straight from pictures, for stages that start after extraction."""

from pathlib import Path
from typing import Iterable, Mapping, Optional, Tuple

import numpy as np

from anim2lora.frameset import KIND, SCHEMA, FrameSet, save
from anim2lora.hashing import bytes_sha256, settings_digest
from anim2lora.png import encode_png


def frameset_of(root: Path, pictures: Iterable[Tuple[np.ndarray, Optional[Mapping]]], name: str = "pictures") -> FrameSet:
    """One row per RGB picture, each its own shot unless its extra mapping names one."""
    rows, digests = [], []
    set_id = None
    encoded = []
    for index, (rgb, extra) in enumerate(pictures):
        data = encode_png(np.ascontiguousarray(rgb))
        encoded.append((index, data, dict(extra or {})))
        digests.append(bytes_sha256(data))
    set_id = settings_digest({"pictures": digests, "name": name}, 20)
    folder = Path(root) / "frames" / set_id
    folder.mkdir(parents=True, exist_ok=True)
    height, width = (rgb.shape[0], rgb.shape[1]) if encoded else (0, 0)
    for (index, data, extra), digest in zip(encoded, digests):
        (folder / f"{index:07d}.png").write_bytes(data)
        rows.append({"index": index, "time": index / 24, "shot": extra.pop("shot", index), "scores": {},
                     "dropped": None, "file": f"frames/{set_id}/{index:07d}.png", "sha256": digest, **extra})
    manifest = {"schema": SCHEMA, "kind": KIND, "id": set_id, "parent": None, "stage": "pictures",
                "settings": {}, "source": {"name": name, "width": width, "height": height}, "shots": [],
                "frames": rows}
    return save(Path(root), manifest)
