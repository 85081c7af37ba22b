"""Pictures read from disk (reference stills, frames, dataset pictures) with their size read from
the file's header first: a 12000x12000 PNG decodes to 430 MB per copy and takes half a minute,
so a picture over ``MAX_PIXELS`` is refused before it is decoded, with the limit in the message.

Every stage reads its pictures here: ``read_image`` where a missing picture is the user's to
fix, ``read_frame`` for a frame set's own files, ``read_or_none`` where a picture that cannot be
read only leaves a gap (a contact sheet, a sample to measure)."""

import os
import struct
from typing import Mapping, Optional, Tuple

import numpy as np

from ..errors import BadInputError

MAX_PIXELS = 40_000_000        # 8K video is 33 MP; nothing the pack trains on needs more
MIN_SIDE = 16                  # under this a still shows no character a detector can find
_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


def header_size(path: os.PathLike) -> Optional[Tuple[int, int]]:
    """(width, height) from a PNG, JPEG, WebP or BMP header; None for another format."""
    with open(path, "rb") as f:
        head = f.read(32)
        if head.startswith(b"\x89PNG\r\n\x1a\n") and head[12:16] == b"IHDR":
            return struct.unpack(">II", head[16:24])
        if head.startswith(b"BM") and len(head) >= 26:
            w, h = struct.unpack("<ii", head[18:26])
            return abs(w), abs(h)
        if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
            return _webp_size(head + f.read(8))
        if head.startswith(b"\xff\xd8"):
            f.seek(2)
            return _jpeg_size(f)
    return None


def _webp_size(head: bytes) -> Optional[Tuple[int, int]]:
    kind = head[12:16]
    if kind == b"VP8 " and len(head) >= 30:
        w, h = struct.unpack("<HH", head[26:30])
        return w & 0x3FFF, h & 0x3FFF
    if kind == b"VP8L" and len(head) >= 25:
        bits = int.from_bytes(head[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if kind == b"VP8X" and len(head) >= 30:
        return int.from_bytes(head[24:27], "little") + 1, int.from_bytes(head[27:30], "little") + 1
    return None


def _jpeg_size(f) -> Optional[Tuple[int, int]]:
    while True:
        byte = f.read(1)
        while byte and byte != b"\xff":
            byte = f.read(1)
        while byte == b"\xff":
            byte = f.read(1)
        if not byte:
            return None
        marker = byte[0]
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            continue
        length = f.read(2)
        if len(length) < 2:
            return None
        if marker in _SOF:
            data = f.read(5)
            if len(data) < 5:
                return None
            h, w = struct.unpack(">HH", data[1:5])
            return w, h
        f.seek(struct.unpack(">H", length)[0] - 2, 1)


def _too_big(what: str, path, w: int, h: int) -> BadInputError:
    return BadInputError(f"{what} {path}: {w}x{h} is {w * h / 1e6:.0f} megapixels, over the "
                         f"{MAX_PIXELS / 1e6:.0f}-megapixel limit; it is not decoded.",
                         hint="Downscale it first (a long side of 4000 px is plenty).")


def check_size(path: os.PathLike, what: str, hint: str = "Give a PNG or JPEG picture.") -> Optional[Tuple[int, int]]:
    """The picture's (width, height) from its header (None for a format without one known here),
    or an error naming ``what`` when it cannot be opened or is over ``MAX_PIXELS``."""
    try:
        size = header_size(path)
    except OSError as e:
        raise BadInputError(f"{what} {path}: cannot read it ({e.strerror or e}).", hint=hint) from None
    except struct.error:
        size = None
    if size and size[0] * size[1] > MAX_PIXELS:
        raise _too_big(what, path, *size)
    return size


def read_image(path: os.PathLike, flags: int, what: str, hint: str = "Give a PNG or JPEG picture.") -> np.ndarray:
    """``cv2.imread(path, flags)`` after the header's size is checked; an error naming ``what``
    (e.g. "reference A") for a picture that is missing, unreadable or over the limit."""
    import cv2

    check_size(path, what, hint)
    img = cv2.imread(os.fspath(path), flags)
    if img is None:
        raise BadInputError(f"{what} {path}: cannot read it as a picture.", hint=hint)
    if img.shape[0] * img.shape[1] > MAX_PIXELS:
        raise _too_big(what, path, img.shape[1], img.shape[0])
    return img


FRAME_HINT = "The frame set's files were moved or deleted: run the previous stage again."


def read_frame(frames, row: Mapping, flags: Optional[int] = None) -> np.ndarray:
    """A frame set's picture for ``row`` (BGR unless ``flags`` says otherwise), or an error naming
    the frame."""
    import cv2

    return read_image(frames.image_path(row), cv2.IMREAD_COLOR if flags is None else flags,
                      f"frame {row['index']}:", hint=FRAME_HINT)


def read_or_none(path: Optional[os.PathLike], flags: Optional[int] = None) -> Optional[np.ndarray]:
    """The picture (BGR unless ``flags`` says otherwise), or None where there is none to read:
    no path, a missing or unreadable file, or one over ``MAX_PIXELS``."""
    import cv2

    if path is None:
        return None
    try:
        return read_image(path, cv2.IMREAD_COLOR if flags is None else flags, "picture")
    except BadInputError:
        return None


def check_reference(img: np.ndarray, what: str) -> None:
    """A reference still must show something: not a speck, not fully transparent, not one colour."""
    h, w = img.shape[:2]
    if min(h, w) < MIN_SIDE:
        raise BadInputError(f"{what}: the still is {w}x{h} px, too small to show a character "
                            f"(at least {MIN_SIDE} px a side).", hint="Give a larger still of the character alone.")
    pixels = img.reshape(-1, img.shape[2] if img.ndim == 3 else 1)
    if img.ndim == 3 and img.shape[2] == 4:
        seen = img[..., 3] > 0
        if not seen.any():
            raise BadInputError(f"{what}: the still is fully transparent; it shows nothing.",
                                hint="Give a still where the character is drawn (opaque).")
        pixels = img[..., :3][seen]
    if (pixels.max(axis=0) == pixels.min(axis=0)).all():
        raise BadInputError(f"{what}: the still is one colour; it shows no character.",
                            hint="Give a still of the character alone.")
