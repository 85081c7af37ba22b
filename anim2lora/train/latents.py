"""Latents of the training pictures, encoded once (kohya's cache_latents) in memory or on disk.

The key covers the picture's bytes, its bucket, the size it is resized to before the crop to
that bucket (one bucket holds pictures resized differently at different resolutions) and the VAE
that encoded it, so a cache on disk survives re-runs and is never used for another picture, size
or model.
"""

import os
from pathlib import Path
from typing import Dict, List, Optional

import numpy as np
import torch

from ..hashing import file_sha256, settings_digest
from .data import Item, load_pixels


class LatentCache:
    def __init__(self, backend, mode: str, folder: Optional[os.PathLike] = None):
        self.backend, self.mode = backend, mode
        self.folder = Path(folder) if folder is not None and mode == "disk" else None
        self._memory: Dict[int, torch.Tensor] = {}
        self._keys: Dict[int, str] = {}
        self.encoded = 0            # pictures the VAE ran on (the rest came from the cache)

    def batch(self, items: List[Item]) -> torch.Tensor:
        return torch.cat([self._one(item) for item in items]).to(self.backend.device)

    def prepare(self, item: Item) -> None:
        """Encode ``item`` now unless its latent is cached already (a disk entry is not read)."""
        if self.mode == "memory" and item.index in self._memory:
            return
        if self.folder is not None and self._path(item).is_file():     # disk mode reads it at its step
            return
        self._one(item)

    def _one(self, item: Item) -> torch.Tensor:
        if self.mode == "memory" and item.index in self._memory:
            return self._memory[item.index]
        path = self._path(item) if self.folder is not None else None
        if path is not None and path.is_file():
            from safetensors.torch import load_file

            latent = load_file(str(path))["latent"]
        else:
            pixels = torch.from_numpy(np.ascontiguousarray(load_pixels(item)))[None]
            latent = self.backend.encode_images(pixels.to(self.backend.device)).float().cpu()
            self.encoded += 1
            if path is not None:
                _save(path, latent)
        if self.mode == "memory":
            self._memory[item.index] = latent
        return latent

    def _path(self, item: Item) -> Path:
        if item.index not in self._keys:
            self._keys[item.index] = settings_digest(
                {"picture": file_sha256(item.image), "bucket": item.bucket, "resized": item.resized,
                 "vae": self.backend.identity}, 24)
        return self.folder / f"{self._keys[item.index]}.safetensors"


def _save(path: Path, latent: torch.Tensor) -> None:
    from safetensors.torch import save_file

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.part")
    save_file({"latent": latent.contiguous()}, str(tmp))
    os.replace(tmp, path)
