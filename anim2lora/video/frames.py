"""Stream decoded frames once, in order, surviving damage: never the whole video in memory."""

from dataclasses import dataclass, field
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
    reported too.  After damage the codec smears neighbours into the hole, so frames are marked
    ``damaged`` until the next key frame restores a clean picture.
    """
    import av
    import av.logging

    index = 0
    tainted = False
    last_time = 0.0
    packets = container.demux(stream)
    previous_level = av.logging.get_level()
    av.logging.set_level(av.logging.ERROR)
    try:
        with av.logging.Capture(local=False) as logs:
            while True:
                try:
                    packet = next(packets)
                except StopIteration:
                    break
                except av.FFmpegError as e:   # the demuxer lost sync for good
                    damage.add("demux", last_time, type(e).__name__, str(e))
                    break
                try:
                    frames = packet.decode()
                except av.FFmpegError as e:
                    frames = []
                    if len(damage.events) < max_events:
                        damage.add("decode", _packet_time(packet) or last_time, type(e).__name__, str(e))
                    tainted = True
                if logs:   # one event per packet is enough to locate the damage
                    _, source, message = logs[0]
                    if len(damage.events) < max_events:
                        damage.add(source or "ffmpeg", _packet_time(packet) or last_time, "ffmpeg", message)
                    del logs[:]
                    tainted = True
                for frame in frames:
                    if frame.key_frame:
                        tainted = False
                    t = frame.time if frame.time is not None else last_time
                    last_time = t
                    yield Decoded(index, float(t), frame, tainted)
                    index += 1
    finally:
        av.logging.set_level(previous_level)


def _packet_time(packet) -> Optional[float]:
    if packet.pts is None or packet.time_base is None:
        return None
    return float(packet.pts * packet.time_base)


def frame_rotation(frame) -> int:
    """Clockwise degrees to turn a decoded picture upright, from the display matrix."""
    rotation = getattr(frame, "rotation", 0) or 0
    return int(-rotation) % 360


def to_bgr(frame, rotation: int, width: Optional[int] = None):
    """The frame as an upright BGR array (OpenCV's order), optionally scaled to ``width``."""
    import cv2

    if width:
        w, h = (frame.height, frame.width) if rotation % 180 else (frame.width, frame.height)
        scale = width / w
        out_w, out_h = max(2, round(frame.width * scale)), max(2, round(frame.height * scale))
        img = frame.to_ndarray(format="bgr24", width=out_w, height=out_h)
    else:
        img = frame.to_ndarray(format="bgr24")
    if rotation == 90:
        return cv2.rotate(img, cv2.ROTATE_90_CLOCKWISE)
    if rotation == 180:
        return cv2.rotate(img, cv2.ROTATE_180)
    if rotation == 270:
        return cv2.rotate(img, cv2.ROTATE_90_COUNTERCLOCKWISE)
    return img
