"""What the text filter did, in numbers and per frame, and a picture of the frames it caught."""

from typing import Mapping

import numpy as np

from ..frameset import FrameSet
from ..preview import contact_sheet
from .run import TextResult

_DRAWING = {"low_score": "read with low confidence", "too_short": "fewer characters than min_chars",
            "too_small": "smaller than min_text_height", "too_large": "taller than max_text_height",
            "boxlike_glyphs": "read as box-like glyphs (口, 日, 0, |)", "grid": "one of a row or column of look-alikes"}
_MAX_LINES = 30


def text_report(result: TextResult) -> str:
    s, f = result.summary, result.frames
    n = len(f)
    acted = [x for x in f if x.edit]
    drawing: dict = {}
    for x in f:
        for reason, count in x.drawing.items():
            drawing[reason] = drawing.get(reason, 0) + count
    looked = [x.looked for x in f if x.how not in ("cache",)]
    lines = [
        f"TextFrameFilter: {n} frames in; {len(acted)} show text; kept {len(result.kept)} "
        f"(dropped {len(s['dropped']['text'])}, cropped {len(s['cropped'])}, masked {len(s['masked'])})",
        f"OCR: {result.backend['backend']} {result.backend.get('version', '')} on {result.device}; "
        f"ran on {result.ocr_frames} frames, {n - result.ocr_frames} from cache; {result.seconds:.1f} s"
        + (f"; looked at {100 * float(np.mean(looked)):.0f}% of the pixels" if looked and result.settings.fast else ""),
    ]
    if drawing:
        lines.append(f"ignored {sum(drawing.values())} boxes as drawing:")
        for reason, count in sorted(drawing.items(), key=lambda kv: -kv[1]):
            lines.append(f"  {count:6d}  {_DRAWING.get(reason, reason)}")
    for x in acted[:_MAX_LINES]:
        words = "; ".join(f"\"{t['text']}\" ({t['score']:.2f})" for t in x.text)
        verb = {"drop": "dropped", "crop": "cropped", "mask": "masked"}[x.edit.action]
        lines.append(f"  #{x.index} {verb}: {x.edit.note} — {words}")
    if len(acted) > _MAX_LINES:
        lines.append(f"  … and {len(acted) - _MAX_LINES} more (see --json or the rejected set)")
    if not n:
        lines.append("  the input set has no frames: check the previous stage's report.")
    elif not len(result.kept):
        lines.append("  every frame shows text: nothing is left to train on. Try action = crop or mask.")
    lines.append(f"frame set: {result.kept.path}")
    return "\n".join(lines)


def _draw_boxes(tile: np.ndarray, row: Mapping, sx: float, sy: float) -> None:
    import cv2

    for t in row.get("text", ()):
        x0, y0, x1, y1 = t["rect"]
        cv2.rectangle(tile, (int(x0 * sx), int(y0 * sy)), (int(x1 * sx), int(y1 * sy)), (0, 0, 255), 2)


def rejected_sheet(rejected: FrameSet) -> np.ndarray:
    """Frames that show text, with their text boxes drawn in red."""
    return contact_sheet(rejected, overlay=_draw_boxes)
