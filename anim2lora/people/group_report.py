"""What the group split did: frames per group, why the rest left, warnings; a sheet per group."""

from collections import Counter
from typing import Mapping

import numpy as np

from ..preview import contact_sheet, stack, title_bar
from .groups import FUSED, LOST, UNKNOWN, GroupResult
from .report import REASONS

_REASONS = {**REASONS, UNKNOWN: "a character matches no reference",
            "same_character_twice": "one name given to two characters",
            LOST: "a character found in the drawings before and after is not found in this one",
            FUSED: "one character named where the drawing beside it in the shot fused two bodies"}
SHEET_WIDTH = 1024


def group_report(result: GroupResult) -> str:
    s = result.summary
    n = len(result.frames)
    e = result.embedder
    lines = [f"GroupSplit: {n} frames in; " + ", ".join(f"{g}: {len(v)}" for g, v in s["groups"].items())
             + ("; crops: " + ", ".join(f"{k}: {v}" for k, v in s["crops"].items()) if s["crops"] else ""),
             f"identity: {e.get('embedder')} (distance ≤ {result.threshold:.3f} names a character); {result.seconds:.1f} s"]
    for reason, idx in sorted(s["dropped"].items(), key=lambda kv: -len(kv[1])):
        lines.append(f"  rejected {len(idx):5d}  {_REASONS.get(reason, reason)}: "
                     + " ".join(f"#{i}" for i in idx[:12]) + (" …" if len(idx) > 12 else ""))
    named = Counter(w for f in result.frames for w, _, _ in f.names)
    if named:
        lines.append("characters named: " + ", ".join(f"{k} {v}" for k, v in named.most_common()))
    unknown = [d for f in result.frames for w, d, _ in f.names if w == UNKNOWN]
    if unknown:
        lines.append(f"  unknown characters were at distance {min(unknown):.3f}–{max(unknown):.3f} from the "
                     "nearest reference: add a still of them, or raise the threshold if they are your characters.")
    lines.extend(f"WARNING {w}" for w in result.warnings)
    if n and not s["groups"]:
        lines.append("  no frame went to a group: check the reference stills and the rejected preview.")
    return "\n".join(lines)


def group_counts(result: GroupResult) -> dict:
    """The counts the browser shows as a table: frames (and crops) per group with the group's
    warning if it has one, rejections per reason, and every warning."""
    s = result.summary

    def warning(g):
        return next((w for w in result.warnings if w.startswith(f"group {g}:")), None)

    names = list(s["groups"]) + [n for n in s["crops"] if n not in s["groups"]]
    return {"frames": len(result.frames),
            "groups": [{"group": g, "frames": len(s["groups"].get(g, ())), "crops": s["crops"].get(g, 0),
                        "warning": warning(g)} for g in names]
            + [{"group": r.name, "frames": 0, "crops": 0, "warning": warning(r.name)}
               for r in result.references if r.name not in names],
            "rejected": {reason: len(idx) for reason, idx in sorted(s["dropped"].items(), key=lambda kv: -len(kv[1]))},
            "reasons": {reason: _REASONS.get(reason, reason) for reason in s["dropped"]},
            "warnings": list(result.warnings)}


def _title(text: str) -> np.ndarray:
    return title_bar(text, SHEET_WIDTH)


def draw_names(tile: np.ndarray, row: Mapping, sx: float, sy: float) -> None:
    import cv2

    for who, _, rect in row.get("characters_named", ()):
        colour = (60, 60, 220) if who == UNKNOWN else (40, 160, 40)
        x0, y0, x1, y1 = rect
        cv2.rectangle(tile, (int(x0 * sx), int(y0 * sy)), (int(x1 * sx), int(y1 * sy)), colour, 2)
        cv2.putText(tile, who, (int(x0 * sx) + 2, int(y0 * sy) + 12), cv2.FONT_HERSHEY_SIMPLEX, 0.4, colour, 1,
                    cv2.LINE_AA)


def group_sheet(result: GroupResult, per_group: int = 12) -> np.ndarray:
    """One RGB picture: a titled grid per group, then the rejected frames, names drawn on."""
    parts = []
    for g, s in result.groups.items():
        parts += [_title(f"{g}: {len(s)} frames"), contact_sheet(s, max_tiles=per_group, width=SHEET_WIDTH, overlay=draw_names)]
    rejected = result.rejected.kept
    if rejected:
        parts += [_title(f"rejected: {len(rejected)} frames"),
                  contact_sheet(result.rejected, rejected, max_tiles=per_group, width=SHEET_WIDTH, overlay=draw_names)]
    if not parts:
        parts = [_title("no frames")]
    return stack(parts, SHEET_WIDTH)
