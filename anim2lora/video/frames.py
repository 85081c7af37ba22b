"""Stream decoded frames once, in order, surviving damage: never the whole video in memory."""

import math
from dataclasses import dataclass, field

import numpy as np
from typing import Iterator, List, Optional


@dataclass
class Decoded:
    index: int          # position in decode order: the "source frame index" everywhere else
    time: float         # presentation time in seconds (variable frame rate safe)
    frame: object       # av.VideoFrame, still in the decoder's pixel format
    damaged: bool       # decoded after a stream error and before the next key frame


@dataclass
class DamageLog:
    """Where the stream could not be read, as (time seconds or None, what happened)."""

    events: List[dict] = field(default_factory=list)

    def add(self, where: str, time: Optional[float], error: str, message: str) -> None:
        self.events.append({"where": where, "time": None if time is None else round(time, 3),
                            "error": error, "message": message.strip()[:200]})


def decode(container, stream, damage: DamageLog, max_events: int = 50) -> Iterator[Decoded]:
    """Yield every frame that decodes; log where the stream is damaged and keep going.

    Damage shows three ways: the decoder raises, or it conceals the loss and only logs an error,
    or the demuxer silently skips to the next cluster it can read.  FFmpeg's error log is
    captured (from every thread: frame-threaded decoders log from workers) so the last two are
    reported too.  After damage the codec smears neighbours into the hole, so frames from the
    damaged packet's timestamp on are marked ``damaged`` until a later key frame restores a clean
    picture.  Timestamps, not arrival order, decide: a threaded decoder hands frames out a few
    packets late, and a key frame decoded before the damage must not clear it.
    """
    import av
    import av.logging

    index = 0
    last_time = 0.0
    last_pts = None
    damaged_from = None          # pts from which decoded pictures are smeared…
    damaged_last = None          # …and of the latest damage: only a key frame after it is clean
    packets = container.demux(stream)
    previous_level = av.logging.get_level()
    previous_skip = av.logging.get_skip_repeated()
    av.logging.set_level(av.logging.ERROR)
    av.logging.set_skip_repeated(False)   # or a repeated error is swallowed, and may surface later

    def note(where, packet, error, message):
        nonlocal damaged_from, damaged_last
        if len(damage.events) < max_events:
            damage.add(where, _packet_time(packet) if packet is not None else last_time, error, message)
        at = packet.pts if packet is not None and packet.pts is not None else last_pts
        if at is not None:
            damaged_from = at if damaged_from is None else min(damaged_from, at)
            damaged_last = at if damaged_last is None else max(damaged_last, at)

    try:
        with av.logging.Capture(local=False) as logs:
            while True:
                try:
                    packet = next(packets)
                except StopIteration:
                    break
                except av.FFmpegError as e:   # the demuxer lost sync for good: drain the decoder
                    note("demux", None, type(e).__name__, str(e))
                    packet = None
                try:
                    frames = packet.decode() if packet is not None else stream.codec_context.decode(None)
                except av.FFmpegError as e:
                    frames = []
                    note("decode", packet, type(e).__name__, str(e))
                if logs:   # one event per packet is enough to locate the damage
                    _, source, message = logs[0]
                    note(source or "ffmpeg", packet, "ffmpeg", message)
                    del logs[:]
                for frame in frames:
                    pts = frame.pts
                    smeared = damaged_from is not None and (pts is None or pts >= damaged_from)
                    if smeared and frame.key_frame and pts is not None and pts > damaged_last:
                        damaged_from = damaged_last = None
                        smeared = False
                    last_pts = pts if pts is not None else last_pts
                    last_time = _frame_time(frame, stream, last_time)
                    yield Decoded(index, float(last_time), frame, smeared)
                    index += 1
                if packet is None:
                    break
    finally:
        av.logging.set_level(previous_level)
        av.logging.set_skip_repeated(previous_skip)


def _frame_time(frame, stream, fallback: float) -> float:
    """Seconds; frames drained from the decoder after a demux error carry no time base."""
    t = frame.time
    if t is not None and math.isfinite(t):
        return float(t)
    if frame.pts is not None and stream.time_base:
        return float(frame.pts * stream.time_base)
    return fallback


def _packet_time(packet) -> Optional[float]:
    if packet.pts is None or packet.time_base is None:
        return None
    return float(packet.pts * packet.time_base)


def frame_rotation(frame) -> int:
    """Clockwise degrees to turn a decoded picture upright, from the display matrix."""
    rotation = getattr(frame, "rotation", 0) or 0
    return int(-rotation) % 360


_YUV_8BIT = {"yuv420p", "yuvj420p", "yuv422p", "yuvj422p", "yuv444p", "yuvj444p"}
# pixel formats whose first plane is 8-bit luma, one byte per pixel
_EIGHT_BIT_LUMA_FIRST = _YUV_8BIT | {"nv12", "nv21", "gray"}


def luma_plane(frame):
    """The frame's 8-bit Y plane as a (height, width) view without copying; other formats
    (10-bit, RGB, palette) are converted."""
    if frame.format.name not in _EIGHT_BIT_LUMA_FIRST:
        return frame.to_ndarray(format="gray")
    plane = frame.planes[0]
    buf = np.frombuffer(plane, np.uint8).reshape(plane.height, plane.line_size)
    return buf[:, :plane.width]


def is_colourless(frame, tolerance: int = 2) -> bool:
    """True when both chroma planes sit within ``tolerance`` of neutral: a grey picture (most
    line art), which a one-channel image holds exactly as well at a third of the encoding cost."""
    if frame.format.name not in _YUV_8BIT:
        return False
    for plane in frame.planes[1:3]:
        values = np.frombuffer(plane, np.uint8).reshape(plane.height, plane.line_size)[:, :plane.width]
        if values.min() < 128 - tolerance or values.max() > 128 + tolerance:
            return False
    return True


def upright(img, rotation: int):
    import cv2

    if rotation == 90:
        return cv2.rotate(img, cv2.ROTATE_90_CLOCKWISE)
    if rotation == 180:
        return cv2.rotate(img, cv2.ROTATE_180)
    if rotation == 270:
        return cv2.rotate(img, cv2.ROTATE_90_COUNTERCLOCKWISE)
    return img


# limited-range luma (16-235) to full-range grey, as FFmpeg's own yuv->gray conversion does
_TV_TO_FULL = None


def to_grey(frame, rotation: int):
    """The luma plane as full-range grey.  Through OpenCV, which releases the GIL, so writer
    threads run beside decoding (PyAV's own conversion holds it)."""
    import cv2
    global _TV_TO_FULL
    y = luma_plane(frame)
    if frame.format.name.startswith("yuvj") or getattr(frame, "color_range", 1) == 2:
        grey = y.copy()                     # already full range (JPEG-style)
    else:
        if _TV_TO_FULL is None:
            _TV_TO_FULL = np.clip(np.round((np.arange(256) - 16) * 255 / 219), 0, 255).astype(np.uint8)
        grey = cv2.LUT(y, _TV_TO_FULL)
    return upright(grey, rotation)


def to_rgb(frame, rotation: int):
    """The frame as an upright RGB array."""
    return upright(frame.to_ndarray(format="rgb24"), rotation)
