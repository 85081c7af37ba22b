"""What PairCompose did, in numbers: per two-character group the composed pictures kept, the
checks' pass rate and every reject by reason; the solo cut-outs per character and why some solo
frames gave none; the stills added; and a sheet with the real and the composed pairs apart."""

import numpy as np

from ..people.group_report import draw_names
from ..preview import contact_sheet, stack, title_bar
from .checks import REASONS
from .run import ComposeResult

SHEET_WIDTH = 1024


def compose_report(result: ComposeResult) -> str:
    lines = [f"PairCompose: {sum(len(p.kept) for p in result.pairs.values())} composed pictures in "
             f"{len(result.pairs)} groups; {result.seconds:.1f} s"]
    for g, p in result.pairs.items():
        lines.append(f"  {g}: {len(p.kept)} composed beside {p.real} real frames, {p.tries} tries; the checks passed "
                     f"{p.pass_rate:.0%} of the pictures laid out")
        for reason, n in sorted(p.rejected.items(), key=lambda kv: -kv[1]):
            lines.append(f"      rejected {n:4d}  {REASONS.get(reason, reason)}")
    lines.append("solo cut-outs: " + ", ".join(f"{n}: {k}" for n, k in result.figures.items()))
    for name, reasons in result.unusable.items():
        for reason, n in reasons.items():
            lines.append(f"  {name}: {n} solo frames gave no cut-out ({reason})")
    if result.stills:
        lines.append("stills: " + "; ".join(f"{n}: " + ", ".join(f"{k} {v}" for k, v in c.items())
                                            for n, c in result.stills.items()))
    lines.append("CaptionWithKeepTokens uses composed pictures up to composed_share (default 3) times each group's "
                 "real frames, as a subset of their own beside them; the stills are a subset of their own too.")
    lines.extend(f"WARNING {w}" for w in result.warnings)
    lines.append(f"group folders: {result.groups.folder}")
    return "\n".join(lines)


def compose_sheet(result: ComposeResult, per_part: int = 8) -> np.ndarray:
    """One RGB picture: per two-character group its real frames, then its composed pictures
    (names drawn on), then every character's stills."""
    parts = []
    for g, s in result.groups.groups.items():
        if g in result.groups.composed:
            composed = result.groups.composed[g]
            parts += [title_bar(f"{g}: {len(s)} real frames", SHEET_WIDTH),
                      contact_sheet(s, max_tiles=per_part, width=SHEET_WIDTH, overlay=draw_names),
                      title_bar(f"{g}: {len(composed)} composed pictures (kept apart from the real frames)",
                                SHEET_WIDTH),
                      contact_sheet(composed, max_tiles=per_part, width=SHEET_WIDTH, overlay=draw_names)]
    for name, s in result.groups.stills.items():
        parts += [title_bar(f"{name}: {len(s)} stills", SHEET_WIDTH), contact_sheet(s, max_tiles=per_part,
                                                                                    width=SHEET_WIDTH)]
    return stack(parts or [title_bar("nothing composed", SHEET_WIDTH)], SHEET_WIDTH)
