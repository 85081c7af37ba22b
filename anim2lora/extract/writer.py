"""Encode chosen frames to image files on a worker thread, while decoding goes on.

PNG, lossless (line art must not ring), through ``anim2lora.png`` (a fast deflate).  Colourless
frames (most line art) are written as one-channel grey PNGs, a third of the data.  The
queue is bounded, so a slow disk slows decoding instead of piling frames up in memory.  Two
workers: OpenCV releases the GIL while it encodes, so they overlap with each other and with
decoding.
"""

import os
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Optional

from ..hashing import bytes_sha256
from ..png import encode_png
from ..video.frames import is_colourless, to_grey, to_rgb, upright


def _jpeg(grey) -> bytes:
    import cv2

    return cv2.imencode(".jpg", grey, [cv2.IMWRITE_JPEG_QUALITY, 85])[1].tobytes()


THUMBS = "thumbs"   # subfolder for the previews of dropped frames


class FrameWriter:
    def __init__(self, folder: Path, rotation: int, workers: int = 2, max_pending: int = 6):
        self.folder = Path(folder)
        (self.folder / THUMBS).mkdir(parents=True, exist_ok=True)
        self.rotation = rotation
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="a2l-writer")
        self._slots = threading.Semaphore(max_pending)
        self._failure: Optional[BaseException] = None

    def submit(self, frame, name: str) -> Future:
        """Write ``frame`` as a PNG named ``name``; returns a future of the file's sha256."""
        return self._submit(self._frame_png, frame, name)

    def submit_thumbnail(self, grey, name: str) -> Future:
        """Write an analysis thumbnail (a small grey array) as a JPEG in ``THUMBS``: the preview
        of a dropped frame."""
        return self._submit(self._thumb_jpg, grey, f"{THUMBS}/{name}")

    def _submit(self, make, source, name: str) -> Future:
        if self._failure is not None:   # a full disk should stop decoding now, not at the end
            raise self._failure
        self._slots.acquire()
        fut = self._pool.submit(self._write, make, source, name)
        fut.add_done_callback(self._done)
        return fut

    def _frame_png(self, frame) -> bytes:
        return encode_png(to_grey(frame, self.rotation) if is_colourless(frame) else to_rgb(frame, self.rotation))

    def _thumb_jpg(self, grey) -> bytes:
        return _jpeg(upright(grey, self.rotation))

    def _write(self, make, source, name: str) -> str:
        data = make(source)
        path = self.folder / name
        tmp = path.with_name(f".{path.name}.tmp")
        with open(tmp, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
        return bytes_sha256(data)

    def _done(self, fut: Future) -> None:
        self._slots.release()
        if not fut.cancelled() and fut.exception() is not None and self._failure is None:
            self._failure = fut.exception()

    def close(self, cancel: bool = False) -> None:
        """Wait for every write (re-raising the first failure), or drop the queue on cancel."""
        self._pool.shutdown(wait=True, cancel_futures=cancel)
        if not cancel and self._failure is not None:
            raise self._failure
