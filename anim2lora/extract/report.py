"""The human-readable report of an extraction: counts per reason, shots, damage, speed."""

from ..frameset import FrameSet

_REASONS = {
    "held": "held drawings collapsed (same drawing as the frame before)",
    "similar": "too similar to the last kept drawing of the shot",
    "near_cut": "within the cut margin of a shot change",
    "dissolve": "inside a dissolve (double exposure)",
    "fade": "inside a fade",
    "black": "black",
    "blank": "blank (one flat colour)",
    "blurred": "blurred or smeared relative to the shot",
    "damaged": "decoded from a damaged stream",
    "cap": "over max_frames (spread evenly across shots)",
}


def text_report(frames: FrameSet, cached: bool = False) -> str:
    m, src = frames.manifest, frames.source
    counts = {reason: len(idx) for reason, idx in frames.dropped_by_reason().items()}
    held = sum(b - a + 1 for a, b in m.get("held", []))
    if held:
        counts["held"] = held
    lines = [
        f"VideoFrameExtract: {src['name']} ({src['width']}x{src['height']}, {src['codec']}, "
        f"{src['fps']:g} fps, {src['duration']:.1f} s, rotation {src['rotation']}°)",
        f"decoded {src['decoded_frames']} frames, {len(m.get('shots', []))} shots; "
        f"kept {len(frames.kept)}" + (" (from cache)" if cached else f" in {m.get('seconds', 0):.1f} s"),
    ]
    for reason, n in sorted(counts.items(), key=lambda kv: -kv[1]):
        lines.append(f"  dropped {n:6d}  {_REASONS.get(reason, reason)}")
    for run in m.get("damaged", []):
        lines.append(f"  DAMAGED frames {run['first']}-{run['last']} ({run['first_time']:.2f}-{run['last_time']:.2f} s): "
                     "smeared by stream damage, dropped")
    events = m.get("damage", [])
    if events:
        first = events[0]
        where = f"at {first['time']:.2f} s" if first.get("time") is not None else "position unknown"
        more = f" (+{len(events) - 1} more)" if len(events) > 1 else ""
        lines.append(f"  DAMAGED stream {where}: {first['message']}{more}; frames that decoded were kept")
    if not frames.kept:
        lines.append("  no frame was kept: lower blur_threshold or unique_threshold, or check the video.")
    lines.append(f"frame set: {frames.path}")
    return "\n".join(lines)
