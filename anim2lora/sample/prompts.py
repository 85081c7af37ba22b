"""The line-art prompt for the characters a dataset was trained on.

A LoRA trained with kohya's ``keep_tokens`` answers to the pinned head its captions begin with
("A", or "A, B, 2people" plus any trigger), so the prompt starts with exactly that head, read
from the group's own captions rather than rebuilt from the name.
"""

from typing import List, Tuple

from ..dataset.captions import characters_of, group_names, head_tags
from ..errors import BadInputError

TEMPLATE = "{head}, lineart, monochrome, white background, simple background"

# The source write-up's failures, named the way SD1.5 anime models know them: sticky coloured
# backgrounds, colour bleeding onto clothes, thick muddy lines, ghost text, fused or multiplied
# characters, and missing or extra arms.
NEGATIVE = ("color, colored, colorful, spot color, shading, gradient, background, colored background, "
            "scenery, text, english text, speech bubble, watermark, signature, artist name, username, logo, "
            "multiple views, fused bodies, merged heads, extra heads, clone, extra limbs, extra arms, "
            "missing arms, bad hands, thick lines, blurry, lowres, jpeg artifacts, worst quality")


def group_head(dataset, subset) -> str:
    """A group's pinned head, the way its captions begin (its names when it has no caption)."""
    first = subset.captions[0] if subset.captions else ""
    if dataset.keep_tokens_separator:
        head = first.split(dataset.keep_tokens_separator)[0]
    else:
        head = ", ".join(t.strip() for t in first.split(",")[: subset.keep_tokens])
    return head.strip(" ,") or ", ".join(head_tags(characters_of(subset.group)))


def group_prompts(dataset) -> List[Tuple[str, str]]:
    """(group, pinned head) per group of the dataset, once per group: a group's composed pictures
    and stills are subsets of their own, with the same head (their first subset speaks for it)."""
    first = {}
    for sub in dataset.subsets:
        first.setdefault(characters_of(sub.group), sub)
    return [(group, group_head(dataset, sub)) for group, sub in first.items()]


def characters_head(characters: str, dataset=None) -> str:
    """The pinned head for "A", "B" or "A+B" (in any order): the dataset's group of exactly those
    names; without a dataset, the head CaptionWithKeepTokens writes by default."""
    wanted = frozenset(group_names(characters))
    if not wanted:
        return ""
    if dataset is None:
        return ", ".join(head_tags("+".join(sorted(wanted))))
    for sub in dataset.subsets:
        if frozenset(group_names(sub.group)) == wanted:
            return group_head(dataset, sub)
    groups = ", ".join(dict.fromkeys(characters_of(s.group) for s in dataset.subsets)) or "none"
    raise BadInputError(f"characters: '{characters}' is not a group of the dataset (its groups: {groups}).",
                        hint="Name one of those groups, or leave it empty for no character.")


def line_art_prompt(characters: str = "", text: str = "", dataset=None, template: str = TEMPLATE) -> str:
    """The positive prompt: the characters' pinned head in the line-art template, then the user's
    text."""
    head = characters_head(characters, dataset)
    body = template.format(head=head).strip(" ,")
    return ", ".join(p for p in (body, text.strip(" ,")) if p)
