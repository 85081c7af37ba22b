"""Small generated videos with known content for input-format tests (PyAV encoders only)."""

import os
from fractions import Fraction
from pathlib import Path


from anim2lora.demo.clip import frames as demo_frames


def demo_pictures(n=None, width=320, height=180):
    pics = [rgb for rgb, _ in demo_frames(width, height)]
    return pics[:n] if n else pics


def encode(path, pictures, codec="libx264", pix_fmt="yuv420p", fps=24, options=None, pts_ms=None,
           rotation=None, container_options=None):
    import av

    path = Path(path)
    h, w = pictures[0].shape[:2]
    with av.open(os.fspath(path), "w", options=container_options or {}) as out:
        stream = out.add_stream(codec, rate=fps, options=options or {})
        stream.width, stream.height, stream.pix_fmt = w, h, pix_fmt
        if pts_ms is not None:
            stream.time_base = stream.codec_context.time_base = Fraction(1, 1000)
        if rotation is not None:
            stream.set_display_rotation(rotation)
        for k, rgb in enumerate(pictures):
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            if pts_ms is not None:
                frame.pts, frame.time_base = pts_ms[k], Fraction(1, 1000)
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path
