"""Tags: how a tagger's names are normalised, and which ones a line-art character set must never
learn.

The write-up's colour bleed came from colour tags ("pink hair" taught pink), its ghost text from
text tags, its sticky backgrounds from background tags, and its false "two-person" frames from a
tagger counting people.  Matching is done on normalised tags (lowercase, underscores as spaces),
so ``long_hair`` and ``long hair`` are one tag and a blacklist written either way works.
"""

import re
from typing import Iterable, List, Sequence

COLOURS = ("red", "blue", "green", "yellow", "orange", "purple", "pink", "brown", "black", "white", "grey",
           "gray", "silver", "gold", "golden", "blonde", "aqua", "cyan", "magenta", "violet", "beige", "navy",
           "teal", "lavender", "multicolored", "two-tone", "gradient", "light brown", "dark blue", "light blue",
           "dark green", "light green", "dark skin", "tan", "pale skin", "colorful", "rainbow")
# one entry per rule a user can read and edit; '*' matches any run of words
DEFAULT_BLACKLIST = (
    # colour words anywhere in a tag: hair, eyes, clothes, skin (the write-up's colour bleed)
    *(rule for c in COLOURS for rule in (f"{c} *", f"* {c}", f"* {c} *", f"{c}-*", f"* {c}-*")),
    "colored *", "* colored *", "spot color",
    # burned-in text, learned as texture (the write-up's ghost text)
    "text", "* text", "text *", "subtitled", "speech bubble", "watermark", "signature", "artist name", "dated",
    "logo", "web address", "copyright *", "character name", "translated", "*translation*", "* username",
    "sound effects", "onomatopoeia",
    # backgrounds and scenery: a line-art set draws on white, whatever the source showed
    "* background", "background", "scenery", "outdoors", "indoors", "sky", "* sky", "cloud", "day", "night",
    "*room", "mountain", "moon", "star (sky)",
    "sunset", "tree", "grass", "building", "city", "street", "room", "window", "floor", "wall", "horizon",
    "landscape", "nature", "water", "ocean", "beach", "road", "forest", "field",
    # counting: the count comes from PersonCountFilter, not from a tagger
    "solo", "solo focus", "1girl", "1boy", "1other", "2girls", "2boys", "multiple girls", "multiple boys",
    "3girls", "3boys", "6+girls", "6+boys", "group",
    # colour and rendering words of the source, not of line art
    "colored", "coloured", "full color", "shading", "gradient", "blurry", "motion blur", "jpeg artifacts",
)
KEEP = ("white background",)   # the background a line-art set is drawn on
_SPACE = re.compile(r"\s+")


def normalise(tag: str) -> str:
    """``Long_Hair `` -> ``long hair``.  Kaomoji such as ``^_^`` and ``>_<`` keep their
    underscores (kohya's tagger keeps tags of 3 characters or less as they are)."""
    tag = tag.strip().lower()
    if len(tag) > 3:
        tag = tag.replace("_", " ")
    return _SPACE.sub(" ", tag)


def split(text: str) -> List[str]:
    """Comma- or newline-separated tags, normalised, empty ones dropped."""
    return [t for t in (normalise(x) for x in re.split(r"[,\n]", text or "")) if t]


def _pattern(rule: str) -> re.Pattern:
    return re.compile("^" + re.escape(rule).replace(r"\*", ".*") + "$")


class Blacklist:
    """Rules matched against whole normalised tags; ``*`` stands for anything (``pink *`` matches
    ``pink hair``, ``* hair`` matches ``very long pink hair``, ``*translation*`` any tag with the
    word in it).  ``keep`` wins over every rule but one naming it exactly."""

    def __init__(self, rules: Iterable[str], keep: Sequence[str] = KEEP):
        self.rules = [normalise(r) for r in rules if normalise(r)]
        self._patterns = [_pattern(r) for r in self.rules]
        # a tag the user names in their own rules is blocked even where the default keeps it
        self.keep = {normalise(k) for k in keep} - set(self.rules)

    def blocks(self, tag: str) -> bool:
        tag = normalise(tag)
        return tag not in self.keep and any(p.match(tag) for p in self._patterns)

    def __call__(self, tags: Iterable[str]) -> List[str]:
        return [t for t in tags if not self.blocks(t)]


def unique(tags: Iterable[str]) -> List[str]:
    """Normalised, first occurrence kept, order kept."""
    seen, out = set(), []
    for t in (normalise(x) for x in tags):
        if t and t not in seen:
            seen.add(t)
            out.append(t)
    return out


def drop_overlaps(tags: Sequence[str]) -> List[str]:
    """Drop a tag whose words all appear, in order, in a longer tag of the list: ``skirt`` beside
    ``pleated skirt``, ``hair`` beside ``long hair``.  The longer tag says it already, and the
    shorter one would take a caption slot (and a shuffle position) for nothing."""
    words = [t.split(" ") for t in tags]

    def inside(short: List[str], long: List[str]) -> bool:
        it = iter(long)
        return len(short) < len(long) and all(w in it for w in short)

    return [t for t, w in zip(tags, words) if not any(inside(w, other) for other in words)]
