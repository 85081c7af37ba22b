"""The one check for a name that becomes a folder: a character's, a group's (``A+B``), a crop set's.

Applied where a name is typed (a reference, SingleGroup) and where it is read back from a file
a stage wrote (``groups.json``, ``dataset.json``): a name that passes cannot be ``..``, absolute,
hidden, hold a separator, or collide with the folders GroupSplit writes beside the groups.
"""

import re
from typing import Sequence

from .errors import BadInputError

NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9 _.-]{0,39}")
UNKNOWN = "unknown"
# names that would collide with the verdict or with the folders GroupSplit writes beside the groups
RESERVED = {UNKNOWN: "characters that match no reference", "crops": "the crops folder",
            "composed": "the composed pictures' folder", "stills": "the stills' folder",
            "groups.json": "the index of the groups", "images": "a group's image folder", "sets": "a group's manifests"}
GROUP_JOIN = "+"


def check_names(names: Sequence[str], what: str = "reference name", hint: str = "") -> None:
    seen = set()
    for name in names:
        if not isinstance(name, str) or not NAME.fullmatch(name):
            raise BadInputError(f"{what} '{name}': use letters, digits, space, '_', '.' or '-' "
                                "(up to 40, starting with a letter or digit).", hint=hint)
        if name.lower() in RESERVED:
            raise BadInputError(f"{what} '{name}' is reserved (it names {RESERVED[name.lower()]}).",
                                hint=hint or "Give the character another name.")
        if name.lower() in seen:
            raise BadInputError(f"{what} '{name}' is used twice.", hint=hint or "Give every character its own name.")
        seen.add(name.lower())


def check_group(group: str, what: str, hint: str = "") -> str:
    """A group name as GroupSplit writes it: character names joined by '+' (``A``, ``A+B``)."""
    if not isinstance(group, str):
        raise BadInputError(f"{what} {group!r}: a group name is text.", hint=hint)
    parts = group.split(GROUP_JOIN)
    check_names(parts, what if len(parts) == 1 else f"{what} '{group}': name", hint)
    return group
