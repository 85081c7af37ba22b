"""Stable digests for content addressing: files by their bytes, settings by canonical JSON."""

import hashlib
import json
import os


def settings_digest(obj, length: int = 16) -> str:
    text = json.dumps(obj, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:length]


def file_sha256(path: os.PathLike, chunk: int = 1 << 22, on_chunk=None) -> str:
    """sha256 of a file; ``on_chunk()`` runs between blocks (a place to check for cancel)."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
            if on_chunk is not None:
                on_chunk()
    return h.hexdigest()


def bytes_sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
