"""Counting rules: which detected boxes are characters, and which are fragments, text, far-away
figures or bodies fused together.

These are the write-up's false "two-person" hits turned into rules: a body cut by the frame edge
that shows little of itself is a fragment; a box on text is text; a small figure behind the main
characters is scenery; two heads in one body box, or two bodies sharing much of their boxes, is
an overlap the LoRA would learn as one fused body.
"""

from dataclasses import dataclass, field
from typing import List, Optional, Sequence

from .boxes import Box, Rect, cover, cut_edges, inside_share, stacked

CHARACTER, FRAGMENT, TEXT, BACKGROUND, OVERLAP, SMALL = "character", "fragment", "text", "background", "overlap", "small"
LABELS = (CHARACTER, FRAGMENT, TEXT, BACKGROUND, OVERLAP, SMALL)
EDGE_MARGIN = 0.01       # share of the frame height within which a box "touches" an edge
HEAD_INSIDE = 0.6        # share of a head box that must lie in a body box to belong to it


@dataclass(frozen=True)
class Rules:
    min_score: float = 0.3
    min_size: float = 0.15
    min_visible: float = 0.35
    body_heads: float = 4.0
    background_scale: float = 0.5
    max_overlap: float = 0.3


@dataclass
class Judged:
    box: Box
    label: str
    why: str = ""
    heads: List[Box] = field(default_factory=list)

    @property
    def persons(self) -> int:
        """How many characters the box holds: a fused box with two heads is two."""
        return max(1, len(self.heads)) if self.label in (CHARACTER, OVERLAP) else 0

    def to_json(self) -> dict:
        return {"label": self.label, "rect": [round(v, 1) for v in self.box.rect],
                "score": round(self.box.score, 3), "why": self.why,
                "heads": [[round(v, 1) for v in h.rect] for h in self.heads]}


@dataclass
class Count:
    boxes: List[Judged]
    overlap: bool

    @property
    def characters(self) -> List[Judged]:
        return [j for j in self.boxes if j.label in (CHARACTER, OVERLAP)]

    @property
    def n(self) -> int:
        return sum(j.persons for j in self.characters)


def count(boxes: Sequence[Box], width: int, height: int, rules: Rules, text: Sequence[Rect] = (),
          has_heads: bool = True) -> Count:
    """Judge every person box of one frame.  ``has_heads``: the detector reports heads or faces,
    so a body without one is a piece of a body."""
    margin = EDGE_MARGIN * height
    # heads and faces passed their own model's threshold already; min_score is about bodies
    heads = [b for b in boxes if b.kind in ("head", "face") and not _on_text(b.rect, text)]
    bodies = [b for b in boxes if b.kind == "person" and b.score >= rules.min_score]
    judged = []
    for person in sorted(bodies, key=lambda b: -b.area):
        inside = [h for h in heads if inside_share(h.rect, person.rect) >= HEAD_INSIDE]
        judged.append(_judge(person, inside, width, height, margin, rules, text, has_heads))
    _far_figures(judged, rules)
    overlap = _overlaps(judged, rules)
    return Count(judged, overlap)


def _on_text(rect: Rect, text: Sequence[Rect]) -> bool:
    return sum(inside_share(rect, t) for t in text) > 0.5


def _judge(person: Box, heads: List[Box], width: int, height: int, margin: float, rules: Rules,
           text: Sequence[Rect], has_heads: bool) -> Judged:
    if _on_text(person.rect, text):
        return Judged(person, TEXT, "on burned-in text")
    if max(person.width, person.height) < rules.min_size * height:
        return Judged(person, SMALL, f"under {rules.min_size:.0%} of the frame height")
    whole = [h for h in heads if not cut_edges(h.rect, width, height, margin)]
    if has_heads and not whole:
        why = "its head is cut by the frame edge" if heads else "no head"
        return Judged(person, FRAGMENT, why)
    edges = cut_edges(person.rect, width, height, margin)
    if edges:
        share = _visible_share(person, whole, edges, rules)
        if share < rules.min_visible:
            return Judged(person, FRAGMENT, f"cut by the {'/'.join(edges)} edge, about {share:.0%} of a body in view")
    # parts of one head stack (hair found as a bump over a face found by its eyes, a hat);
    # distinct heads stand side by side
    distinct = []
    for h in sorted(whole, key=lambda h: -h.area):
        if not any(stacked(h.rect, d.rect) for d in distinct):
            distinct.append(h)
    if len(distinct) >= 2:
        return Judged(person, OVERLAP, f"{len(distinct)} heads in one body box", distinct)
    return Judged(person, CHARACTER, "", distinct)


def _visible_share(person: Box, heads: List[Box], edges, rules: Rules) -> float:
    """How much of a body cut by the frame edge is in view, estimated from its head's size
    (a body is about ``body_heads`` heads tall); without a head, from its box's shape."""
    if heads:
        head = max(heads, key=lambda h: h.area)
        return min(1.0, person.height / (rules.body_heads * head.height))
    if set(edges) & {"left", "right"}:     # a standing body is roughly twice as tall as wide
        return min(1.0, 2.0 * person.width / max(person.height, 1.0))
    return 1.0


def _far_figures(judged: List[Judged], rules: Rules) -> None:
    """A figure much smaller than the main characters stands far behind them: scenery."""
    people = [j for j in judged if j.label in (CHARACTER, OVERLAP)]
    if len(people) < 2:
        return
    # heads measure distance better than bodies, which sit, crouch or are cut at the knees
    by_head = all(j.heads for j in people)

    def size(j: Judged) -> float:
        return max(h.height for h in j.heads) if by_head else j.box.height

    largest = max(size(j) for j in people)
    for j in people:
        if size(j) < rules.background_scale * largest:
            j.label, j.why = BACKGROUND, f"under {rules.background_scale:.0%} of the main characters' size"


def _overlaps(judged: List[Judged], rules: Rules) -> bool:
    people = [j for j in judged if j.label in (CHARACTER, OVERLAP)]
    overlap = any(j.label == OVERLAP for j in people)
    for i, a in enumerate(people):
        for b in people[i + 1:]:
            shared = cover(a.box.rect, b.box.rect)
            if shared > rules.max_overlap:
                for j in (a, b):
                    j.label, j.why = OVERLAP, f"shares {shared:.0%} of its box with another body"
                overlap = True
    return overlap


def frame_reason(c: Count, min_count: int, max_count: int, keep_overlap: bool) -> Optional[str]:
    """Why a frame leaves the set (None: it stays)."""
    if c.overlap and not keep_overlap:
        return "overlap"
    if c.n < min_count:
        return "no_character" if c.n == 0 else "too_few"
    if c.n > max_count:
        return "too_many"
    return None
