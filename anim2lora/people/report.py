"""What the counting did, in numbers, and a picture with every box labelled."""

from collections import Counter
from typing import Mapping

import numpy as np

from ..frameset import FrameSet
from ..preview import contact_sheet
from .rules import BACKGROUND, CHARACTER, FRAGMENT, FRAMINGS, OVERLAP, SMALL, TEXT
from .run import CountResult

COLOURS = {CHARACTER: (40, 180, 40), FRAGMENT: (0, 140, 255), TEXT: (0, 0, 230), BACKGROUND: (150, 150, 150),
           OVERLAP: (200, 0, 200), SMALL: (200, 160, 60)}          # BGR
REASONS = {"overlap": "bodies overlap or fuse", "no_character": "no character", "too_few": "fewer than min_count",
           "too_many": "more than max_count", "framing": "a character in a framing not kept",
           "headless": "a figure with no head found stands beside a character"}


def count_report(result: CountResult) -> str:
    s = result.summary
    n = len(result.frames)
    hist = Counter(f.count.n for f in result.frames)
    labels = Counter(j.label for f in result.frames for j in f.count.boxes)
    d = result.detector
    lines = [
        f"PersonCountFilter: {n} frames in; kept {len(result.kept)} with {result.settings.min_count}–"
        f"{result.settings.max_count} characters",
        f"detector: {d.get('detector')} on {result.device}; ran on {result.detected} frames, "
        f"{n - result.detected} from cache; {result.seconds:.1f} s",
        "characters per frame: " + ", ".join(f"{k}: {hist[k]}" for k in sorted(hist)),
    ]
    if labels:
        lines.append("boxes: " + ", ".join(f"{labels[k]} {k}" for k in COLOURS if labels[k]))
    framings = Counter(f for fc in result.frames for f in fc.count.framings)
    if framings:
        by_face = sum(j.found_by_face for fc in result.frames for j in fc.count.characters)
        lines.append("characters by framing: " + ", ".join(f"{k} {framings[k]}" for k in FRAMINGS if framings[k])
                     + (f" (kept: {result.settings.framings})" if result.settings.framings != "all" else "")
                     + (f"; {by_face} found by their face alone (no outline around them)" if by_face else ""))
    if d.get("faces") == "none":
        lines.append("faces: not searched (the animeface package is not installed here): characters on painted, "
                     "dark or rendered backgrounds may be missed")
    for reason, idx in sorted(s["dropped"].items(), key=lambda kv: -len(kv[1])):
        lines.append(f"  dropped {len(idx):5d}  {REASONS.get(reason, reason)}: "
                     + " ".join(f"#{i}" for i in idx[:12]) + (" …" if len(idx) > 12 else ""))
    if not n:
        lines.append("  the input set has no frames: check the previous stage's report.")
    elif not len(result.kept):
        lines.append("  no frame is left: check min_count/max_count, or look at the preview for what the "
                     "detector saw (detector 'onnx' handles painted backgrounds).")
    lines.append(f"frame set: {result.kept.path}")
    return "\n".join(lines)


def draw_people(tile: np.ndarray, row: Mapping, sx: float, sy: float) -> None:
    import cv2

    for j in row.get("people", ()):
        colour = COLOURS.get(j["label"], (255, 255, 255))
        x0, y0, x1, y1 = j["rect"]
        p0, p1 = (int(x0 * sx), int(y0 * sy)), (int(x1 * sx), int(y1 * sy))
        cv2.rectangle(tile, p0, p1, colour, 2)
        for h in j.get("heads", ()):
            cv2.rectangle(tile, (int(h[0] * sx), int(h[1] * sy)), (int(h[2] * sx), int(h[3] * sy)), colour, 1)
        label = f"{j['label']} {j['framing']}" if j.get("framing") else j["label"]
        cv2.putText(tile, label, (p0[0] + 2, max(10, p1[1] - 4)), cv2.FONT_HERSHEY_SIMPLEX, 0.35, colour, 1,
                    cv2.LINE_AA)


def count_sheet(frames: FrameSet) -> np.ndarray:
    """Frames kept and dropped (up to 24, spread over the set), every box labelled."""
    return contact_sheet(frames, frames.rows, overlay=draw_people)
