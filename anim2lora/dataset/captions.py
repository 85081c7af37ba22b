"""Captions with a pinned head, and what kohya's trainer does with them at every step.

The head is what must never move: the group's character names (``A``; ``B``; ``A, B`` and a
count tag), then an optional style trigger.  kohya's ``keep_tokens`` counts comma-separated tags
(not CLIP tokens) kept at the front while the rest is shuffled and dropped out; with
``keep_tokens_separator`` (say ``|||``) the head is marked in the text itself instead.
"""

import random
from typing import List, Sequence

from .tags import normalise

CAPTION_SEPARATOR = ","
KIND_MARK = "~"           # a subset beside a group's frames: "A+B~composed", "A~stills" (no name holds "~")


def characters_of(subset: str) -> str:
    """The group a subset's pictures show: ``"A+B~composed"`` -> ``"A+B"``."""
    return subset.split(KIND_MARK, 1)[0]


def group_names(group: str) -> List[str]:
    """The characters of a group, a subset or an ask: ``"A+B"`` -> ``["A", "B"]``."""
    return [n.strip() for n in characters_of(group).split("+") if n.strip()]


def count_text(count_tag: str, n: int) -> str:
    return count_tag.replace("{n}", str(n))


def head_tags(group: str, trigger: str = "", count_tag: str = "{n}people") -> List[str]:
    """The pinned tags of a group's captions: ``A+B`` -> ``["A", "B", "2people"]`` (+ trigger)."""
    names = [n for n in characters_of(group).split("+") if n]
    head = list(names)
    if len(names) > 1 and count_tag:
        head.append(count_text(count_tag, len(names)))
    if trigger.strip():
        head.append(trigger.strip())
    return list(dict.fromkeys(head))       # a trigger equal to a name is pinned once


def caption_text(head: Sequence[str], tags: Sequence[str], keep_tokens_separator: str = "") -> str:
    """One caption line; the head's own tags are not repeated among the free ones."""
    pinned = {normalise(h) for h in head}
    free = [t for t in tags if normalise(t) not in pinned]
    if keep_tokens_separator:
        return ", ".join(head) + f" {keep_tokens_separator} " + ", ".join(free)
    return ", ".join([*head, *free])


def per_step(caption: str, keep_tokens: int, rng: random.Random, *, shuffle: bool = True, tag_dropout: float = 0.0,
             keep_tokens_separator: str = "") -> str:
    """The caption one training step sees, by kohya's rules: the fixed part (the first
    ``keep_tokens`` tags, or everything before ``keep_tokens_separator`` when the caption has
    it, and everything after a second separator) stays in place and is never dropped; the rest
    is shuffled and each of its tags dropped with probability ``tag_dropout``."""
    if not (shuffle or tag_dropout > 0):
        return caption
    suffix: List[str] = []
    if keep_tokens_separator and keep_tokens_separator in caption:
        fixed_part, flex_part = caption.split(keep_tokens_separator, 1)
        if keep_tokens_separator in flex_part:       # a second separator: a fixed tail as well
            flex_part, suffix_part = flex_part.split(keep_tokens_separator, 1)
            suffix = _tags(suffix_part)
        fixed = _tags(fixed_part)
        flex = _tags(flex_part)
    else:
        tags = _tags(caption)
        fixed, flex = tags[:keep_tokens], tags[keep_tokens:]
    if shuffle:
        rng.shuffle(flex)
    if tag_dropout > 0:
        flex = [t for t in flex if rng.random() >= tag_dropout]
    return ", ".join(fixed + flex + suffix)


def _tags(text: str) -> List[str]:
    return [t.strip() for t in text.split(CAPTION_SEPARATOR) if t.strip()]
