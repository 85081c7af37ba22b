"""Telling burned-in text from drawing, box by box.

Measured on line art (README, "Text filter"): an OCR detector boxes eyes, hatching and rows of
windows, and its recogniser reads them as 口口口, 日日, 8888 or single strokes, often with high
confidence.  What separates real text:

- the recogniser is confident and reads at least two characters;
- the box is as tall as readable text on screen (not a speck, not half the frame);
- the characters are not all box-like glyphs or digits, nor one glyph repeated;
- the box is not one of a row or column of look-alike boxes (windows, tiles, panels).

A region of interest (subtitle bands only) was measured too and rejected: it halves the recall
on title cards, vertical text and signs.
"""

import math
from dataclasses import dataclass
from typing import List, Sequence, Tuple

from .backends import Quad, TextBox, quad_rect

# glyphs the recogniser produces for drawn rectangles, strokes and grids
_BOXLIKE = set("口ロ□■一丨|Il1!0OoＯー－-_=日田目皿国回工十+[]()（）")


@dataclass(frozen=True)
class Rules:
    min_score: float = 0.5
    min_chars: int = 2
    min_height: float = 0.02         # text line height / frame height
    max_height: float = 0.2
    max_aligned: int = 2


@dataclass(frozen=True)
class Judged:
    box: TextBox
    rect: Tuple[float, float, float, float]     # axis-aligned x0, y0, x1, y1
    reason: str                                  # "" = text; otherwise why it is drawing


def rect(box: TextBox) -> Tuple[float, float, float, float]:
    return quad_rect(box.quad)


def thickness(q: Quad) -> float:
    """A line's height (the quad's short side), so vertical text is measured like horizontal."""
    return max(1e-6, min(math.dist(q[0], q[1]), math.dist(q[0], q[3])))


def boxlike(text: str) -> bool:
    """True for reads made only of box-like glyphs or digits, or mostly one repeated glyph."""
    chars = [c for c in text if not c.isspace()]
    if all(c in _BOXLIKE or c.isdigit() for c in chars):
        return True
    # repeats among letters, kana and kanji only: "No...", "はい……" and "I see" are speech
    letters = [c for c in chars if c.isalnum()]
    return len(letters) >= 4 and max(letters.count(c) for c in set(letters)) / len(letters) > 0.6


def _aligned(boxes: Sequence[TextBox]) -> List[int]:
    """For each box, how many similar-thickness boxes (itself included) share its row, or its
    column with the same left and right edges.  Windows give rows and columns of equal boxes;
    a subtitle gives one or two lines."""
    info = [(rect(b), thickness(b.quad)) for b in boxes]
    counts = []
    for (r, t) in info:
        row = col = 0
        cy = (r[1] + r[3]) / 2
        for (g, u) in info:
            if not 0.7 < u / t < 1.4:
                continue
            # a row counts boxes of a like length too: windows repeat, words beside them do not
            if abs(cy - (g[1] + g[3]) / 2) < 0.5 * t and 0.67 < (g[2] - g[0]) / max(1e-6, r[2] - r[0]) < 1.5:
                row += 1
            if abs(r[0] - g[0]) < 0.5 * t and abs(r[2] - g[2]) < 0.5 * t:
                col += 1
        counts.append(max(row, col))
    return counts


def judge(boxes: Sequence[TextBox], frame_height: int, rules: Rules) -> List[Judged]:
    """Every box with the reason it is not text ("" when it is)."""
    out = []
    for box, aligned in zip(boxes, _aligned(boxes)):
        chars = len("".join(box.text.split()))
        height = thickness(box.quad) / frame_height
        if height < rules.min_height:
            reason = "too_small"
        elif height > rules.max_height:
            reason = "too_large"
        elif box.score < rules.min_score:
            reason = "low_score"
        elif chars < rules.min_chars:
            reason = "too_short"
        elif boxlike(box.text):
            reason = "boxlike_glyphs"
        elif aligned > rules.max_aligned:
            reason = "grid"
        else:
            reason = ""
        out.append(Judged(box, rect(box), reason))
    return out
