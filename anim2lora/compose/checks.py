"""Every composed picture judged as the data stages judge a real frame, before it is kept: the
text filter must read no text in it (a small figure's strokes can read as letters; such a frame
would never have reached GroupSplit), the count stage's detector and rules must find exactly two
characters, apart (no overlap, no fused head), with heads of about one size, one where each
character was laid, and GroupSplit's embedder must name each of them right."""

from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple

import numpy as np

from ..names import UNKNOWN
from ..people.boxes import Rect
from ..people.detectors import Detector
from ..people.groups import assign
from ..people.matching import Matcher, seen_in
from ..people.rules import count
from ..people.settings import CountSettings
from ..text.rules import judge as judge_text
from ..text.search import TextSearch
from ..text.settings import TextSettings

HEAD_MATCH = 1.3      # the found heads' heights may differ by this factor (the detector's head boxes jitter)
# why a composed picture is not kept
REASONS = {"layout": "the two did not fit the picture side by side", "text": "the text filter reads text in it",
           "count": "not the characters laid found",
           "overlap": "bodies found overlapping or fused", "scale": "the heads found are not of one size", "misplaced": "a character found away from where it was laid",
           UNKNOWN: "a character matches no reference", "wrong_name": "a character named as the other one"}


@dataclass
class Judge:
    """The analyzers a composed picture must satisfy: GroupSplit's own."""

    detector: Detector
    counting: CountSettings
    matcher: Matcher
    threshold: float
    margin: float
    search: TextSearch
    text: TextSettings

    def text_rects(self, bgr: np.ndarray) -> List[Rect]:
        """What TextFrameFilter would call text (eyes, hatching and window rows left out)."""
        reads = self.search.find(bgr, bgr, None).reads
        return [j.rect for j in judge_text(reads, bgr.shape[0], self.text.rules) if not j.reason]

    def check(self, bgr: np.ndarray, laid: Sequence[Tuple[str, Rect]]) -> Tuple[Optional[str], List[list]]:
        """(None, the characters as named: [name, distance, rect]) when the picture holds exactly
        ``laid`` (name, box), else (the reason, what was found)."""
        h, w = bgr.shape[:2]
        if self.text_rects(bgr):
            return "text", []
        c = count(self.detector.detect(bgr), w, h, self.counting.rules, (), self.detector.has_heads,
                  self.detector.has_faces)
        found = c.characters
        if c.overlap:
            return "overlap", []
        if c.n != len(laid) or len(found) != len(laid):
            return "count", [[UNKNOWN, 1.0, [round(v, 1) for v in j.box.rect]] for j in found]
        heads = [j.head[3] - j.head[1] for j in found if j.head is not None]
        if len(heads) == len(laid) > 1 and max(heads) > HEAD_MATCH * min(heads):
            return "scale", []
        places = [_where(j.box.rect, laid) for j in found]
        if sorted(p for p in places if p is not None) != list(range(len(laid))):
            return "misplaced", []
        called = assign(self.matcher.per_name(bgr, [seen_in(j) for j in found]), self.matcher.names,
                        self.threshold, self.margin)
        named = [[who, round(d, 4), [round(v, 1) for v in j.box.rect]] for (who, d), j in zip(called, found)]
        for (who, _), place in zip(called, places):
            if who == UNKNOWN:
                return UNKNOWN, named
            if who != laid[place][0]:
                return "wrong_name", named
        return None, [named[places.index(k)] for k in range(len(laid))]


def _where(rect: Rect, laid: Sequence[Tuple[str, Rect]]) -> Optional[int]:
    """The laid character whose box holds the found box's middle (None: none does)."""
    cx, cy = (rect[0] + rect[2]) / 2, (rect[1] + rect[3]) / 2
    for k, (_, (x0, y0, x1, y1)) in enumerate(laid):
        if x0 <= cx <= x1 and y0 <= cy <= y1:
            return k
    return None
