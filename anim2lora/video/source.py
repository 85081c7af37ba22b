"""Open a video and describe it, turning every way a file can be unusable into a clear message."""

import os
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from ..errors import BadInputError

VIDEO_EXTENSIONS = (".mp4", ".mkv", ".webm", ".mov", ".avi", ".gif", ".m4v")


@dataclass(frozen=True)
class VideoInfo:
    path: str
    container: str
    codec: str
    width: int            # as displayed, after rotation
    height: int
    rotation: int         # degrees clockwise applied to decoded pictures for display
    fps: float            # average rate; frames carry their own timestamps (variable rate is fine)
    duration: float       # seconds, 0 when the container does not say
    frames_estimate: int  # for the progress bar only

    def to_dict(self) -> dict:
        return asdict(self)

    def rotated(self, rotation: int) -> "VideoInfo":
        """The same video as displayed after turning decoded pictures ``rotation`` degrees."""
        if rotation == self.rotation:
            return self
        turn = (rotation - self.rotation) % 180
        w, h = (self.height, self.width) if turn else (self.width, self.height)
        return replace(self, rotation=rotation, width=w, height=h)


def open_video(path: os.PathLike):
    """Return ``(container, stream)`` or raise BadInputError naming the file and the problem."""
    import av

    p = Path(path)
    if not p.is_file():
        raise BadInputError(f"{p.name}: no such file.", hint="Put the video in ComfyUI's input folder.")
    if p.stat().st_size == 0:
        raise BadInputError(f"{p.name}: the file is empty (0 bytes).", hint="Copy or upload it again.")
    try:
        container = av.open(os.fspath(p), metadata_errors="ignore")
    except av.FFmpegError as e:
        raise BadInputError(f"{p.name}: not a readable video ({_ffmpeg_reason(e)}).",
                            hint="Check that it is a video (mp4, mkv, webm, mov, avi, gif); an MP4 cut short "
                                 "before its index was written cannot be opened: re-export or copy it again.") from None
    if not container.streams.video:
        container.close()
        raise BadInputError(f"{p.name}: the file has no video stream.")
    stream = container.streams.video[0]
    if stream.codec_context is None or not stream.codec_context.name:
        container.close()
        raise BadInputError(f"{p.name}: its video codec is not supported by this FFmpeg build.")
    stream.thread_type = "AUTO"
    return container, stream


def describe(path: os.PathLike, container, stream) -> VideoInfo:
    rate = stream.average_rate or stream.guessed_rate or stream.base_rate
    fps = float(rate) if rate else 0.0
    if stream.duration and stream.time_base:
        duration = float(stream.duration * stream.time_base)
    elif container.duration:
        duration = container.duration / 1_000_000
    else:
        duration = 0.0
    estimate = stream.frames or int(round(duration * fps))
    return VideoInfo(path=os.fspath(path), container=container.format.name, codec=stream.codec_context.name,
                     width=stream.codec_context.width, height=stream.codec_context.height, rotation=0,
                     fps=round(fps, 4), duration=round(duration, 4),
                     frames_estimate=int(estimate or 0))


def _ffmpeg_reason(e) -> str:
    text = getattr(e, "strerror", None) or str(e)
    return text.split(":")[0].strip() if "'" in text else text.strip()
